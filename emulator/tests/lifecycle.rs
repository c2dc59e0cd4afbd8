//! The process: flags, the TOML file, `--help`, exit statuses, signals, the log on stderr. The real
//! binary.

mod common;

use std::thread::sleep;
use std::time::{Duration, Instant};

use backendless_emulator::protocol::faults;
use common::{scratch_dir, token_of, Client, Server, APP};

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
        ("--request-log-bytes", "[default: 8388608]"),
        ("--header-timeout-secs", "[default: 60]"),
        ("--body-timeout-secs", "[default: 60]"),
        ("--idle-timeout-secs", "[default: 5]"),
        ("--shutdown-grace-secs", "[default: 10]"),
        ("--max-connections", "[default: 0]"),
        ("--max-pending-hashes", "[default: 256]"),
        ("--signups-per-minute", "[default: 600]"),
        ("--oauth-starts-per-minute", "[default: 60]"),
        ("--confirmation-mails-per-minute", "[default: 30]"),
        ("--allowed-host", ""),
        ("--control-token", ""),
        ("--max-user-bytes", "[default: 16384]"),
        ("--users-readable-by", "[default: owner]"),
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
    // Every flag the settings declare is in the README's table too.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    use clap::CommandFactory;
    for argument in backendless_emulator::config::Settings::command().get_arguments() {
        if let Some(long) = argument.get_long() {
            if long == "help" || long == "version" {
                continue;
            }
            assert!(
                readme.contains(&format!("| `--{long}")),
                "--{long} is missing from the README's flags table"
            );
        }
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
fn seed_user_already_existing_is_left_as_is_and_db_file_persists() {
    let dir = scratch_dir("seed");
    let db = dir.join("seed.db");
    let db = db.to_str().unwrap();
    let first = Server::start_on(db, &["--seed-user", "kim@example.com:one"]);
    let id = first.login("kim@example.com", "one")["objectId"].clone();
    drop(first);
    let second = Server::start_on(db, &["--seed-user", "KIM@example.com:two"]);
    let user = second.login("kim@example.com", "one");
    assert_eq!(user["objectId"], id);
    second
        .login_reply("kim@example.com", "two")
        .assert_fault(faults::INVALID_LOGIN);
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
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
