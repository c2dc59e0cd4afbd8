//! The first-cut contract (issue 2) over real HTTP against the real binary.

mod common;

use backendless_emulator::protocol::faults;
use common::{is_upper_uuid, scratch_dir, Server, APP};
use serde_json::{json, Value};

#[test]
fn register_returns_user_without_password_or_token_and_keeps_custom_properties() {
    let server = Server::start(&[]);
    let reply = server.post(
        &format!("{APP}/users/register"),
        r#"{"email":"bob@example.com","password":"secret","name":"Bob","age":42,"tags":["a"]}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let user = reply.json();
    let id = user["objectId"].as_str().unwrap();
    assert!(is_upper_uuid(id), "{id}");
    assert_eq!(user["ownerId"], id);
    assert_eq!(user["email"], "bob@example.com");
    assert_eq!(user["name"], "Bob");
    assert_eq!(user["age"], 42);
    assert_eq!(user["tags"], json!(["a"]));
    assert_eq!(user["userStatus"], "ENABLED");
    assert_eq!(user["lastLogin"], Value::Null);
    assert_eq!(user["accountType"], "BACKENDLESS_ACCOUNT");
    assert_eq!(user["socialAccount"], "BACKENDLESS");
    assert_eq!(user["oAuthIdentities"], Value::Null);
    assert_eq!(user["blUserLocale"], "en");
    assert_eq!(user["___class"], "Users");
    assert!(user["created"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(user["created"], user["updated"]);
    assert!(user.get("password").is_none());
    assert!(user.get("user-token").is_none());
    assert!(!reply.body.contains("secret"));
}

#[test]
fn login_ok_returns_user_and_upper_case_uuid_token_and_sets_last_login() {
    let server = Server::start(&[]);
    let registered = server.register("carol@example.com", "pw1");
    let reply = server.login_reply("CAROL@Example.com", "pw1");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    let token = user["user-token"].as_str().unwrap();
    assert!(is_upper_uuid(token), "{token}");
    assert_ne!(token, user["objectId"].as_str().unwrap());
    assert_eq!(user["objectId"], registered["objectId"]);
    assert!(user["lastLogin"].as_i64().unwrap() >= registered["created"].as_i64().unwrap());
    assert!(user.get("password").is_none());
}

#[test]
fn login_3003_is_identical_for_wrong_password_and_unknown_user() {
    let server = Server::start(&[]);
    server.register("dave@example.com", "right");
    let wrong_password = server.login_reply("dave@example.com", "wrong");
    let unknown_user = server.login_reply("nobody@example.com", "right");
    wrong_password.assert_fault(faults::INVALID_LOGIN);
    unknown_user.assert_fault(faults::INVALID_LOGIN);
    assert_eq!(wrong_password.body, unknown_user.body);
}

#[test]
fn login_3006_for_empty_and_3038_for_missing_or_null() {
    let server = Server::start(&[]);
    let path = format!("{APP}/users/login");
    server
        .post(&path, r#"{"login":"","password":"x"}"#)
        .assert_fault(faults::EMPTY_LOGIN_OR_PASSWORD);
    server
        .post(&path, r#"{"login":"a@b.c","password":""}"#)
        .assert_fault(faults::EMPTY_LOGIN_OR_PASSWORD);
    server
        .post(&path, r#"{"password":"x"}"#)
        .assert_fault(faults::MISSING_PARAMETER);
    server
        .post(&path, r#"{"login":"a@b.c","password":null}"#)
        .assert_fault(faults::MISSING_PARAMETER);
    server
        .post(&path, "")
        .assert_fault(faults::MISSING_PARAMETER);
}

#[test]
fn isvalidusertoken_true_for_live_token_false_for_unknown() {
    let server = Server::start(&["--seed-user", "erin@example.com:pass:word"]);
    let token = server.login("erin@example.com", "pass:word")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(server.is_valid(&token));
    assert!(!server.is_valid("2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C"));
    assert!(!server.is_valid("garbage"));
    let reply = server.get(&format!("/api/users/isvalidusertoken/{token}"));
    assert_eq!((reply.status, reply.body.as_str()), (200, "true"));
}

#[test]
fn logout_ends_only_that_session() {
    let server = Server::start(&[]);
    server.register("fay@example.com", "pw");
    let first = server.login("fay@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    let second = server.login("fay@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = server.get_with_token(&format!("{APP}/users/logout"), &first);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "");
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert!(!server.is_valid(&first));
    assert!(server.is_valid(&second));
    // The ended token is stale from now on.
    server
        .get_with_token(&format!("{APP}/users/logout"), &first)
        .assert_stale_token();
}

#[test]
fn data_users_returns_user_without_password_and_checks_the_token() {
    let server = Server::start(&[]);
    let registered = server.register("gus@example.com", "pw");
    let id = registered["objectId"].as_str().unwrap();
    let token = server.login("gus@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = server.get_with_token(&format!("{APP}/data/Users/{id}"), &token);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    assert_eq!(user["objectId"], id);
    assert_eq!(user["email"], "gus@example.com");
    assert!(user["lastLogin"].is_i64());
    assert!(user.get("password").is_none());
    assert!(user.get("user-token").is_none());
    // Without a token the user is readable too.
    assert_eq!(server.get(&format!("/api/data/Users/{id}")).status, 200);
    server
        .get_with_token(
            &format!("{APP}/data/Users/{id}"),
            "2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C",
        )
        .assert_stale_token();
    server
        .get(&format!("{APP}/data/Users/NOPE"))
        .assert_fault(faults::OBJECT_NOT_FOUND);
}

#[test]
fn cors_preflight_and_allow_origin_everywhere() {
    let server = Server::start(&[]);
    let reply = server.request(
        "OPTIONS",
        &format!("{APP}/users/login"),
        &[
            ("origin", "http://localhost:8080"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type,user-token"),
        ],
        None,
    );
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let methods = reply.header("access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "PUT", "DELETE", "OPTIONS"] {
        assert!(methods.contains(method), "{methods}");
    }
    let allowed = reply
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("user-token"),
        "{allowed}"
    );
    // Without Access-Control-Request-Headers the defaults still cover both.
    let bare = server.request("OPTIONS", "/api/users/logout", &[], None);
    assert_eq!(bare.status, 204);
    let allowed = bare.header("access-control-allow-headers").unwrap();
    assert!(
        allowed.contains("content-type") && allowed.contains("user-token"),
        "{allowed}"
    );
    // Errors carry it too.
    server.get("/api/users/nothing-here").assert_error(404, 0);
    assert_eq!(
        server
            .get("/__emulator/requests")
            .header("access-control-allow-origin"),
        Some("*")
    );
}

#[test]
fn request_log_redacts_password_and_tokens_and_attributes_them() {
    let server = Server::start(&[]);
    let user_id = server.register("hal@example.com", "hunter2")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = server.login("hal@example.com", "hunter2")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    server.get_with_token(&format!("{APP}/users/isvalidusertoken/{token}"), &token);
    server.request("OPTIONS", &format!("{APP}/users/login"), &[], None);
    server.get("/__emulator/requests");

    let reply = server.get("/__emulator/requests");
    assert_eq!(reply.status, 200);
    assert!(!reply.body.contains("hunter2"), "{}", reply.body);
    assert!(!reply.body.contains(&token), "{}", reply.body);
    let log = reply.json();
    let entries = log.as_array().unwrap();
    assert_eq!(
        entries.len(),
        3,
        "OPTIONS and control requests are not logged: {log:#}"
    );
    assert_eq!(entries[0]["method"], "POST");
    assert_eq!(entries[0]["path"], format!("{APP}/users/register"));
    assert_eq!(
        entries[0]["body"],
        json!({"email":"hal@example.com","password":"[redacted]"})
    );
    assert_eq!(entries[0]["headers"]["content-type"], "application/json");
    assert_eq!(entries[0]["tokenUserId"], Value::Null);
    assert_eq!(
        entries[1]["body"],
        json!({"login":"hal@example.com","password":"[redacted]"})
    );
    assert_eq!(entries[2]["method"], "GET");
    assert_eq!(
        entries[2]["path"],
        format!("{APP}/users/isvalidusertoken/[redacted]")
    );
    assert_eq!(entries[2]["headers"]["user-token"], "[redacted]");
    assert_eq!(entries[2]["body"], Value::Null);
    assert_eq!(entries[2]["tokenUserId"], user_id.as_str());
    assert_eq!(entries[2]["pathTokenUserId"], user_id.as_str());

    // Malformed URLs (no app prefix, wrong key) keep their token out of the log too.
    server.request("DELETE", "/__emulator/requests", &[], None);
    server.get(&format!("/users/isvalidusertoken/{token}"));
    server.get(&format!("/APP/WRONG/users/isvalidusertoken/{token}"));
    let reply = server.get("/__emulator/requests");
    assert!(!reply.body.contains(&token), "{}", reply.body);
    let paths: Vec<Value> = reply
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["path"].clone())
        .collect();
    assert_eq!(
        paths,
        vec![
            json!("/users/isvalidusertoken/[redacted]"),
            json!("/APP/WRONG/users/isvalidusertoken/[redacted]")
        ]
    );
    assert_eq!(reply.json()[0]["pathTokenUserId"], user_id.as_str());

    assert_eq!(
        server
            .request("DELETE", "/__emulator/requests", &[], None)
            .json(),
        json!({})
    );
    assert_eq!(server.get("/__emulator/requests").json(), json!([]));
}

#[test]
fn both_url_forms_serve_the_same_operations() {
    let server = Server::start(&["--app-id", "MY-APP", "--api-key", "MY-KEY"]);
    let reply = server.post(
        "/MY-APP/MY-KEY/users/register",
        r#"{"email":"ivy@example.com","password":"pw"}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = server
        .post(
            "/api/users/login",
            r#"{"login":"ivy@example.com","password":"pw"}"#,
        )
        .json()["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        server
            .get(&format!("/MY-APP/MY-KEY/users/isvalidusertoken/{token}"))
            .body,
        "true"
    );
    assert_eq!(
        server
            .get(&format!("/api/users/isvalidusertoken/{token}"))
            .body,
        "true"
    );
}

#[test]
fn wrong_app_id_or_api_key_is_2002() {
    let server = Server::start(&["--app-id", "MY-APP", "--api-key", "MY-KEY"]);
    server
        .post(
            "/MY-APP/WRONG/users/login",
            r#"{"login":"a","password":"b"}"#,
        )
        .assert_fault(faults::WRONG_APP_INFO);
    server
        .post(
            "/WRONG/MY-KEY/users/register",
            r#"{"email":"a@b.c","password":"b"}"#,
        )
        .assert_fault(faults::WRONG_APP_INFO);
    server
        .get("/WRONG/MY-KEY/users/isvalidusertoken/X")
        .assert_fault(faults::WRONG_APP_INFO);
    // Nothing was registered through the wrong key.
    server
        .post("/api/users/login", r#"{"login":"a@b.c","password":"b"}"#)
        .assert_fault(faults::INVALID_LOGIN);
}

#[test]
fn control_reset_recreates_seed_users_and_drops_everything_else() {
    let server = Server::start(&["--seed-user", "seed@example.com:pw"]);
    let seed_token = server.login("seed@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    server.register("temp@example.com", "pw");
    let reply = server.post("/__emulator/reset", "");
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    assert!(!server.is_valid(&seed_token));
    server
        .login_reply("temp@example.com", "pw")
        .assert_fault(faults::INVALID_LOGIN);
    server.login("seed@example.com", "pw");
    // The log was emptied by the reset: only the three requests since (isvalidusertoken, two logins).
    let paths = server.logged_paths();
    assert_eq!(
        paths,
        vec![
            format!("{APP}/users/isvalidusertoken/[redacted]"),
            format!("{APP}/users/login"),
            format!("{APP}/users/login")
        ]
    );
}

#[test]
fn control_status_and_session_expiry() {
    let server = Server::start(&[]);
    let id = server.register("jo@example.com", "pw")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = server.login("jo@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = server.post("/__emulator/sessions/expire", "");
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    assert!(!server.is_valid(&token));

    let token = server.login("jo@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = server.post(
        &format!("/__emulator/users/{id}/status"),
        r#"{"userStatus":"DISABLED"}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["userStatus"], "DISABLED");
    assert_eq!(reply.json()["objectId"], id.as_str());
    assert!(
        !server.is_valid(&token),
        "disabling ends the user's sessions"
    );
    server
        .login_reply("jo@example.com", "pw")
        .assert_fault(faults::LOGIN_DISABLED_FOR_USER);
    // A wrong password still says 3003, so 3000 does not confirm the account to a guesser.
    server
        .login_reply("jo@example.com", "bad")
        .assert_fault(faults::INVALID_LOGIN);
    server.post(
        &format!("/__emulator/users/{id}/status"),
        r#"{"userStatus":"ENABLED"}"#,
    );
    server.login("jo@example.com", "pw");
    server
        .post(
            "/__emulator/users/NOPE/status",
            r#"{"userStatus":"ENABLED"}"#,
        )
        .assert_fault(faults::OBJECT_NOT_FOUND);
    server
        .post(
            &format!("/__emulator/users/{id}/status"),
            r#"{"userStatus":"WEIRD"}"#,
        )
        .assert_fault(faults::UNPARSABLE_BODY);
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
fn control_endpoints_refuse_pages_from_other_origins() {
    let server = Server::start(&["--seed-user", "alice@yourmail.com:wonderland"]);
    // A website open in the developer's browser must not reset the data: refused before it runs,
    // even for a body-less POST that CORS alone would let through.
    for origin in [
        "https://evil.example",
        "http://127.0.0.1.evil.example",
        "null",
    ] {
        let reply = server.request("POST", "/__emulator/reset", &[("origin", origin)], None);
        assert_eq!(reply.status, 403, "{origin}: {}", reply.body);
        assert_eq!(
            reply.header("access-control-allow-origin"),
            None,
            "{origin}"
        );
        let preflight = server.request(
            "OPTIONS",
            "/__emulator/requests",
            &[
                ("origin", origin),
                ("access-control-request-method", "DELETE"),
            ],
            None,
        );
        assert_eq!(preflight.status, 403, "{origin}");
    }
    server.login("alice@yourmail.com", "wonderland");
    let log = server.request(
        "GET",
        "/__emulator/requests",
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!(
        log.status, 403,
        "the request log is not readable from elsewhere"
    );

    // Pages on this machine (the browser tests, the demo) and clients without an Origin work.
    let reply = server.request(
        "GET",
        "/__emulator/requests",
        &[("origin", "http://127.0.0.1:41234")],
        None,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://127.0.0.1:41234")
    );
    assert_eq!(reply.header("vary"), Some("origin"));
    assert_eq!(server.get("/__emulator/requests").status, 200);
    // The Backendless API itself stays open to every origin, like the hosted service.
    let api = server.request(
        "GET",
        &format!("{APP}/users/isvalidusertoken/X"),
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!(api.status, 200);
    assert_eq!(api.header("access-control-allow-origin"), Some("*"));
}
