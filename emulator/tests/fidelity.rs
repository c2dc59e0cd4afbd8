//! Full-fidelity behaviour (issue 3): every error code under its documented trigger, sessions, extra
//! endpoints, configuration. Real binary, real HTTP.

mod common;

use std::thread::sleep;
use std::time::{Duration, Instant};

use backendless_emulator::protocol::faults;
use common::{is_upper_uuid, scratch_dir, Server, APP};
use serde_json::{json, Value};

fn token_of(user: &Value) -> String {
    user["user-token"].as_str().expect("user-token").to_string()
}

#[test]
fn register_errors_3011_3013_3033_8000_8002() {
    let server = Server::start(&["--max-property-length", "20"]);
    let path = format!("{APP}/users/register");
    server
        .post(&path, r#"{"email":"a@x.io"}"#)
        .assert_fault(faults::MISSING_PASSWORD);
    server
        .post(&path, r#"{"email":"a@x.io","password":""}"#)
        .assert_fault(faults::MISSING_PASSWORD);
    server
        .post(&path, r#"{"email":"a@x.io","password":null}"#)
        .assert_fault(faults::MISSING_PASSWORD);
    server
        .post(&path, r#"{"password":"pw"}"#)
        .assert_fault(faults::MISSING_IDENTITY);
    server
        .post(&path, r#"{"email":"  ","password":"pw"}"#)
        .assert_fault(faults::MISSING_IDENTITY);
    server
        .post(
            &path,
            r#"{"email":"a@x.io","password":"pw","bio":"123456789012345678901"}"#,
        )
        .assert_fault(faults::VALUE_TOO_LONG);
    server
        .post(
            &path,
            r#"{"email":"a-very-long-address@x.io","password":"pw"}"#,
        )
        .assert_fault(faults::VALUE_TOO_LONG);
    server.post(
        &path,
        r#"{"email":"a@x.io","password":"pw","bio":"12345678901234567890"}"#,
    );
    server
        .post(&path, r#"["not","an","object"]"#)
        .assert_fault(faults::UNPARSABLE_BODY);
    server
        .post(&path, r#"{"email":"#)
        .assert_fault(faults::UNPARSABLE_BODY);
    server
        .post(&path, r#"{"email":"A@X.IO","password":"other"}"#)
        .assert_fault(faults::USER_EXISTS);
    // None of the failed attempts created a user.
    server
        .login_reply("a@x.io", "other")
        .assert_fault(faults::INVALID_LOGIN);
    server.login("a@x.io", "pw");
}

#[test]
fn register_ignores_server_owned_properties() {
    let server = Server::start(&[]);
    let reply = server.post(
        &format!("{APP}/users/register"),
        r#"{"email":"b@x.io","password":"pw","objectId":"MINE","userStatus":"DISABLED","created":1,
            "___class":"Users","user-token":"T","blUserLocale":"de"}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    assert!(is_upper_uuid(user["objectId"].as_str().unwrap()));
    assert_eq!(user["userStatus"], "ENABLED");
    assert_ne!(user["created"], 1);
    assert!(user.get("user-token").is_none());
    assert_eq!(user["blUserLocale"], "de");
    server.login("b@x.io", "pw");
}

#[test]
fn lockout_3036_after_threshold_lasts_its_duration_and_success_resets_the_count() {
    let server = Server::start(&[
        "--lockout-threshold",
        "3",
        "--lockout-window-secs",
        "60",
        "--lockout-duration-secs",
        "2",
    ]);
    server.register("lock@x.io", "pw");
    // Two failures, then a success resets the count: two more failures do not lock.
    for _ in 0..2 {
        server
            .login_reply("lock@x.io", "bad")
            .assert_fault(faults::INVALID_LOGIN);
    }
    server.login("lock@x.io", "pw");
    for _ in 0..2 {
        server
            .login_reply("lock@x.io", "bad")
            .assert_fault(faults::INVALID_LOGIN);
    }
    server.login("lock@x.io", "pw");
    // Three in a row lock the account, even for the right password.
    for _ in 0..3 {
        server
            .login_reply("lock@x.io", "bad")
            .assert_fault(faults::INVALID_LOGIN);
    }
    server
        .login_reply("lock@x.io", "pw")
        .assert_fault(faults::ACCOUNT_LOCKED);
    server
        .login_reply("lock@x.io", "bad")
        .assert_fault(faults::ACCOUNT_LOCKED);
    sleep(Duration::from_millis(2100));
    server.login("lock@x.io", "pw");
    // Unknown users are never "locked": same 3003 as ever.
    for _ in 0..4 {
        server
            .login_reply("ghost@x.io", "bad")
            .assert_fault(faults::INVALID_LOGIN);
    }
}

#[test]
fn lockout_window_forgets_old_failures() {
    let server = Server::start(&["--lockout-threshold", "2", "--lockout-window-secs", "2"]);
    server.register("win@x.io", "pw");
    server
        .login_reply("win@x.io", "bad")
        .assert_fault(faults::INVALID_LOGIN);
    sleep(Duration::from_millis(2100));
    server
        .login_reply("win@x.io", "bad")
        .assert_fault(faults::INVALID_LOGIN);
    server.login("win@x.io", "pw");
    server
        .login_reply("win@x.io", "bad")
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("win@x.io", "bad")
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("win@x.io", "pw")
        .assert_fault(faults::ACCOUNT_LOCKED);
}

#[test]
fn sessions_expire_after_inactivity_not_after_a_fixed_age() {
    let server = Server::start(&["--session-timeout-secs", "2"]);
    let id = server.register("idle@x.io", "pw")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = token_of(&server.login("idle@x.io", "pw"));
    for _ in 0..3 {
        sleep(Duration::from_millis(1200));
        assert!(server.is_valid(&token), "each use extends the session");
    }
    sleep(Duration::from_millis(2300));
    assert!(!server.is_valid(&token));
    server
        .get_with_token(&format!("{APP}/users/logout"), &token)
        .assert_stale_token();
    server
        .get_with_token(&format!("{APP}/data/Users/{id}"), &token)
        .assert_stale_token();
    // A new login works.
    let fresh = token_of(&server.login("idle@x.io", "pw"));
    assert!(server.is_valid(&fresh));
}

#[test]
fn stale_token_3064_message_and_logout_without_token() {
    let server = Server::start(&[]);
    server.register("st@x.io", "pw");
    let reply = server.get_with_token(
        &format!("{APP}/users/logout"),
        "2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C",
    );
    reply.assert_stale_token();
    assert_eq!(
        reply.json()["message"],
        "Not existing user token - 2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C. Relogin user to update your user token"
    );
    let reply = server.get(&format!("{APP}/users/logout"));
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));
    // A stale token sent along with login does not stop the login (the SDK sends whatever token it has).
    let reply = server.request(
        "POST",
        &format!("{APP}/users/login"),
        &[
            ("content-type", "application/json"),
            ("user-token", "STALE"),
        ],
        Some(r#"{"login":"st@x.io","password":"pw"}"#),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn multiple_logins_disabled_3002() {
    let server = Server::start(&["--allow-multiple-logins", "false"]);
    server.register("one@x.io", "pw");
    let token = token_of(&server.login("one@x.io", "pw"));
    server
        .login_reply("one@x.io", "pw")
        .assert_fault(faults::MULTIPLE_LOGINS_DISABLED);
    // A wrong password still reads 3003.
    server
        .login_reply("one@x.io", "bad")
        .assert_fault(faults::INVALID_LOGIN);
    server.get_with_token(&format!("{APP}/users/logout"), &token);
    server.login("one@x.io", "pw");
}

#[test]
fn login_limit_3044() {
    let server = Server::start(&["--max-concurrent-logins", "2"]);
    server.register("two@x.io", "pw");
    let first = token_of(&server.login("two@x.io", "pw"));
    server.login("two@x.io", "pw");
    server
        .login_reply("two@x.io", "pw")
        .assert_fault(faults::LOGIN_LIMIT_REACHED);
    server.get_with_token(&format!("{APP}/users/logout"), &first);
    server.login("two@x.io", "pw");
    server
        .login_reply("two@x.io", "pw")
        .assert_fault(faults::LOGIN_LIMIT_REACHED);
}

#[test]
fn login_limit_holds_under_parallel_logins() {
    let server = Server::start(&["--max-concurrent-logins", "3"]);
    server.register("par@x.io", "pw");
    let port = server.port;
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                common::send(
                    port,
                    "POST",
                    &format!("{APP}/users/login"),
                    &[("content-type", "application/json")],
                    Some(r#"{"login":"par@x.io","password":"pw"}"#),
                )
                .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == faults::LOGIN_LIMIT_REACHED.status)
            .count(),
        5,
        "{statuses:?}"
    );
}

#[test]
fn app_level_switches_3034_and_3001() {
    let disabled = Server::start(&["--logins-disabled"]);
    disabled.register("sw@x.io", "pw");
    disabled
        .login_reply("sw@x.io", "pw")
        .assert_fault(faults::LOGINS_DISABLED_FOR_APP);
    let missing = Server::start(&["--login-settings-missing", "true"]);
    missing
        .login_reply("sw@x.io", "pw")
        .assert_fault(faults::MISSING_LOGIN_SETTINGS);
}

#[test]
fn policy_changes_at_run_time_and_reset_restores_it() {
    let server = Server::start(&["--seed-user", "rt@x.io:pw"]);
    let reply = server.get("/__emulator/config");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({
            "sessionTimeoutSecs": 3600, "lockoutThreshold": 0, "lockoutWindowSecs": 900,
            "lockoutDurationSecs": 900, "allowMultipleLogins": true, "maxConcurrentLogins": 0,
            "loginsDisabled": false, "loginSettingsMissing": false, "maxPropertyLength": 500
        })
    );
    let reply = server.post("/__emulator/config", r#"{"loginsDisabled":true}"#);
    assert_eq!(reply.json()["loginsDisabled"], true);
    assert_eq!(reply.json()["lockoutWindowSecs"], 900);
    server
        .login_reply("rt@x.io", "pw")
        .assert_fault(faults::LOGINS_DISABLED_FOR_APP);
    server
        .post("/__emulator/config", r#"{"noSuchKnob":1}"#)
        .assert_fault(faults::UNPARSABLE_BODY);
    server
        .post("/__emulator/config", r#"{"lockoutThreshold":"three"}"#)
        .assert_fault(faults::UNPARSABLE_BODY);
    server.post("/__emulator/reset", "");
    server.login("rt@x.io", "pw");
}

#[test]
fn guest_registration_gives_a_guest_with_a_live_token() {
    let server = Server::start(&[]);
    let reply = server.request("POST", &format!("{APP}/users/register/guest"), &[], None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let guest = reply.json();
    assert_eq!(guest["userStatus"], "GUEST");
    assert_eq!(guest["email"], Value::Null);
    assert_eq!(guest["___class"], "Users");
    assert!(guest["lastLogin"].is_i64());
    let token = token_of(&guest);
    assert!(is_upper_uuid(&token));
    assert!(server.is_valid(&token));
    let id = guest["objectId"].as_str().unwrap();
    let read = server.get_with_token(&format!("{APP}/data/Users/{id}"), &token);
    assert_eq!(read.json()["userStatus"], "GUEST");
    server.get_with_token(&format!("{APP}/users/logout"), &token);
    assert!(!server.is_valid(&token));
}

#[test]
fn restore_password_for_known_and_unknown_identities() {
    let server = Server::start(&[]);
    server.register("mail+tag@x.io", "pw");
    let reply = server.get(&format!("{APP}/users/restorepassword/MAIL%2Btag%40x.io"));
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));
    server
        .get(&format!("{APP}/users/restorepassword/nobody%40x.io"))
        .assert_fault(faults::UNKNOWN_IDENTITY);
    // Nothing changed for the account.
    server.login("mail+tag@x.io", "pw");
}

#[test]
fn info_answers_what_the_official_client_expects() {
    let server = Server::start(&["--app-id", "I-APP", "--api-key", "I-KEY"]);
    let reply = server.get("/I-APP/I-KEY/info");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"loggers": [], "rtURL": format!("http://127.0.0.1:{}", server.port), "appId": "I-APP", "apiKey": "I-KEY"})
    );
}

#[test]
fn unknown_user_and_wrong_password_take_comparable_time() {
    let server = Server::start(&[]);
    server.register("time@x.io", "pw");
    let median = |login: &str| {
        let mut samples: Vec<Duration> = (0..7)
            .map(|_| {
                let start = Instant::now();
                server
                    .login_reply(login, "wrong")
                    .assert_fault(faults::INVALID_LOGIN);
                start.elapsed()
            })
            .collect();
        samples.sort();
        samples[3]
    };
    let known = median("time@x.io");
    let unknown = median("nobody@x.io");
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    // Without the dummy hash the unknown case would be ~100x faster.
    assert!(
        (0.33..3.0).contains(&ratio),
        "known {known:?} vs unknown {unknown:?}"
    );
}

#[test]
fn config_file_sets_values_and_flags_override_it() {
    let dir = scratch_dir("toml");
    let file = dir.join("emulator.toml");
    std::fs::write(
        &file,
        "app_id = \"TOML-APP\"\napi_key = \"TOML-KEY\"\nseed_users = [\"toml@x.io:pw\"]\n\
         max_concurrent_logins = 1\ndb = \":memory:\"\nport = 1\n",
    )
    .unwrap();
    let server = Server::start_with_args(&[
        "--config",
        file.to_str().unwrap(),
        "--port",
        "0",
        "--api-key",
        "FLAG-KEY",
    ]);
    let reply = server.post(
        "/TOML-APP/FLAG-KEY/users/login",
        r#"{"login":"toml@x.io","password":"pw"}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    server
        .post("/TOML-APP/TOML-KEY/users/login", "{}")
        .assert_fault(faults::WRONG_APP_INFO);
    server
        .post(
            "/api/users/login",
            r#"{"login":"toml@x.io","password":"pw"}"#,
        )
        .assert_fault(faults::LOGIN_LIMIT_REACHED);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configuration_exits_with_status_2_and_a_message() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_backendless-emulator"))
        .args(["--seed-user", "no-colon", "--db", ":memory:", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("LOGIN:PASSWORD"));
    assert!(output.stdout.is_empty());
}

#[test]
fn help_documents_every_flag_and_default() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_backendless-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for (flag, default) in [
        ("--config", ""),
        ("--host", "[default: 127.0.0.1]"),
        ("--port", "[default: 8200]"),
        ("--db", "[default: ./backendless-emulator.db]"),
        ("--app-id", "[default: LOCAL-APP-ID]"),
        ("--api-key", "[default: LOCAL-API-KEY]"),
        ("--seed-user", ""),
        ("--log-level", "[default: info]"),
        ("--session-timeout-secs", "[default: 3600]"),
        ("--lockout-threshold", "[default: 0]"),
        ("--lockout-window-secs", "[default: 900]"),
        ("--lockout-duration-secs", "[default: 900]"),
        ("--allow-multiple-logins", "[default: true]"),
        ("--max-concurrent-logins", "[default: 0]"),
        ("--logins-disabled", "[default: false]"),
        ("--login-settings-missing", "[default: false]"),
        ("--max-property-length", "[default: 500]"),
        ("--request-log-size", "[default: 1000]"),
    ] {
        let line = help
            .lines()
            .find(|line| line.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("{flag}"));
        let start = help.find(line).unwrap();
        let entry = &help[start
            ..help[start..]
                .find("\n  -")
                .map_or(help.len(), |end| start + end)];
        assert!(
            entry.contains(default),
            "{flag} should say {default}: {entry}"
        );
    }
}

#[test]
fn sigterm_and_sigint_stop_gracefully_with_status_0() {
    for signal in ["-TERM", "-INT"] {
        let mut server = Server::start(&[]);
        let status = std::process::Command::new("kill")
            .args([signal, &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let exit = loop {
            if let Some(exit) = server.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "did not stop on {signal}");
            sleep(Duration::from_millis(20));
        };
        assert_eq!(exit.code(), Some(0), "{signal}");
    }
}

#[test]
fn request_log_keeps_only_the_configured_number() {
    let server = Server::start(&["--request-log-size", "3"]);
    for index in 0..5 {
        server.get(&format!("{APP}/users/isvalidusertoken/T{index}"));
    }
    server.get(&format!("{APP}/data/Users/X"));
    let paths = server.logged_paths();
    assert_eq!(
        paths,
        vec![
            format!("{APP}/users/isvalidusertoken/[redacted]"),
            format!("{APP}/users/isvalidusertoken/[redacted]"),
            format!("{APP}/data/Users/X")
        ]
    );
}

#[test]
fn the_log_never_shows_passwords_or_tokens_even_at_trace_level() {
    let dir = scratch_dir("log");
    let log_path = dir.join("stderr.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut server = Server::start_with_stderr(
        &[
            "--port",
            "0",
            "--db",
            ":memory:",
            "--log-level",
            "trace",
            "--seed-user",
            "seed@x.io:Seed-Secret-1",
        ],
        log_file.into(),
    );
    server.post(
        &format!("{APP}/users/register"),
        r#"{"email":"log@x.io","password":"Log-Secret-2"}"#,
    );
    let token = token_of(&server.login("log@x.io", "Log-Secret-2"));
    server
        .login_reply("log@x.io", "Wrong-Secret-3")
        .assert_fault(faults::INVALID_LOGIN);
    server.login_reply("seed@x.io", "Seed-Secret-1");
    assert!(server.is_valid(&token));
    server.get_with_token(&format!("{APP}/users/logout"), &token);
    server
        .get_with_token(&format!("{APP}/users/logout"), &token)
        .assert_stale_token();
    server.get(&format!("{APP}/users/restorepassword/log%40x.io"));
    let guest_token = token_of(
        &server
            .request("POST", &format!("{APP}/users/register/guest"), &[], None)
            .json(),
    );
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status();
    let _ = server.child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("logged in"), "the log is being written: {log}");
    for secret in [
        "Seed-Secret-1",
        "Log-Secret-2",
        "Wrong-Secret-3",
        token.as_str(),
        guest_token.as_str(),
    ] {
        assert!(!log.contains(secret), "{secret} appears in the log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
