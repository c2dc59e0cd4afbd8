//! The Backendless operations as the SDK and the official client see them: every answer and error
//! code under its documented trigger, both URL forms, CORS, sessions. In-process, no socket.

mod common;

use std::time::Duration;

use backendless_emulator::protocol::faults;
use common::{is_upper_uuid, token_of, App, Client, APP};
use serde_json::{json, Value};

#[test]
fn register_returns_user_without_password_or_token_and_keeps_custom_properties() {
    let server = App::start(&[]);
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
    assert_eq!(user["accountType"], "BACKENDLESS");
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
fn register_ignores_server_owned_properties() {
    let server = App::start(&[]);
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
fn register_errors_3011_3013_3033_8000_8002() {
    let server = App::start(&["--max-property-length", "20"]);
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
fn login_ok_returns_user_and_upper_case_uuid_token_and_sets_last_login() {
    let server = App::start(&[]);
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
    let server = App::start(&[]);
    server.register("dave@example.com", "right");
    let wrong_password = server.login_reply("dave@example.com", "wrong");
    let unknown_user = server.login_reply("nobody@example.com", "right");
    wrong_password.assert_fault(faults::INVALID_LOGIN);
    unknown_user.assert_fault(faults::INVALID_LOGIN);
    assert_eq!(wrong_password.body, unknown_user.body);
}

#[test]
fn login_3006_for_empty_and_3038_for_missing_or_null() {
    let server = App::start(&[]);
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
fn app_level_switches_3034_and_3001() {
    let disabled = App::start(&["--logins-disabled"]);
    disabled.register("sw@x.io", "pw");
    disabled
        .login_reply("sw@x.io", "pw")
        .assert_fault(faults::LOGINS_DISABLED_FOR_APP);
    let missing = App::start(&["--login-settings-missing", "true"]);
    missing
        .login_reply("sw@x.io", "pw")
        .assert_fault(faults::MISSING_LOGIN_SETTINGS);
}

/// Asserts that `reply` is the recorded answer `fixture` (a file of
/// tests/fixtures/real-service/): its code and its whole message, and its status where the
/// recording has one.
fn assert_recorded(reply: &common::Reply, fixture: &str) {
    let recorded: Value = serde_json::from_str(fixture).expect("fixture is JSON");
    let expected = match recorded["body"].as_str() {
        Some(body) => serde_json::from_str(body).expect("recorded body is JSON"),
        None => recorded["known_fields"].clone(),
    };
    if let Some(status) = recorded["status"].as_u64() {
        assert_eq!(u64::from(reply.status), status, "{}", reply.body);
    }
    let answer = reply.json();
    assert_eq!(answer["code"], expected["code"], "{}", reply.body);
    assert_eq!(answer["message"], expected["message"], "{}", reply.body);
}

#[test]
fn an_unconfirmed_account_gets_3087_as_recorded() {
    let server = App::start(&["--require-email-confirmation"]);
    server.register("pending@x.io", "pw");
    let reply = server.login_reply("pending@x.io", "pw");
    // The status is the local server's choice (no public source shows the service's).
    reply.assert_error(403, 3087);
    assert_eq!(
        reply.json()["message"],
        "User cannot login - email address must be confirmed first"
    );
    assert_recorded(
        &reply,
        include_str!("../../tests/fixtures/real-service/login-3087-email-not-confirmed.json"),
    );
    // A wrong password still reads 3003: only the password's owner learns the status.
    server
        .login_reply("pending@x.io", "bad")
        .assert_fault(faults::INVALID_LOGIN);
}

#[test]
fn registration_disabled_3009_as_recorded_and_guests_still_log_in() {
    let server = App::start(&["--registration-disabled"]);
    let path = format!("{APP}/users/register");
    let reply = server.post(&path, r#"{"email":"no@x.io","password":"pw"}"#);
    reply.assert_error(403, 3009);
    assert_eq!(
        reply.json()["message"],
        "User registration is denied for this version of application"
    );
    reply.assert_fault(faults::REGISTRATION_DISABLED);
    assert_recorded(
        &reply,
        include_str!("../../tests/fixtures/real-service/register-3009-registration-disabled.json"),
    );
    // The app's switch comes before the body is looked at.
    server
        .post(&path, "not json")
        .assert_fault(faults::REGISTRATION_DISABLED);
    server
        .login_reply("no@x.io", "pw")
        .assert_fault(faults::INVALID_LOGIN);
    // Nothing public says guests are refused too: they are not registrations here.
    let guest = server.post(&format!("{APP}/users/register/guest"), "");
    assert_eq!(guest.status, 200, "{}", guest.body);
    // A run-time switch like the others.
    let config = server.post("/__emulator/config", r#"{"registrationDisabled":false}"#);
    assert_eq!(
        config.json()["registrationDisabled"],
        false,
        "{}",
        config.body
    );
    server.register("yes@x.io", "pw");
}

#[test]
fn multiple_logins_disabled_3002() {
    let server = App::start(&["--allow-multiple-logins", "false"]);
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
    let server = App::start(&["--max-concurrent-logins", "2"]);
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
fn isvalidusertoken_true_for_live_token_false_for_unknown() {
    let server = App::start(&["--seed-user", "erin@example.com:pass:word"]);
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
    let server = App::start(&[]);
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
fn stale_token_3064_message_and_logout_without_token() {
    let server = App::start(&[]);
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
fn sessions_expire_after_inactivity_not_after_a_fixed_age() {
    // Two hours of inactivity end a session; a use within them starts the two hours again.
    let server = App::start(&["--session-timeout-secs", "7200"]);
    let id = server.register("idle@x.io", "pw")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = token_of(&server.login("idle@x.io", "pw"));
    for _ in 0..3 {
        server.advance(Duration::from_secs(5000));
        assert!(server.is_valid(&token), "each use extends the session");
    }
    server.advance(Duration::from_secs(7190));
    assert!(
        server.is_valid(&token),
        "still live just before the timeout"
    );
    server.advance(Duration::from_secs(7210));
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
fn data_users_returns_user_without_password_and_checks_the_token() {
    let server = App::start(&[]);
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
    // Without a token the user is not readable (access.rs has the permission rules).
    server
        .get(&format!("/api/data/Users/{id}"))
        .assert_fault(faults::OBJECT_NOT_FOUND);
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
fn guest_registration_gives_a_guest_with_a_live_token() {
    let server = App::start(&[]);
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
    let server = App::start(&[]);
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
    let server = App::start(&["--app-id", "I-APP", "--api-key", "I-KEY"]);
    let reply = server.request(
        "GET",
        "/I-APP/I-KEY/info",
        &[("host", "127.0.0.1:8200")],
        None,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"loggers": [], "rtURL": "http://127.0.0.1:8200", "appId": "I-APP", "apiKey": "I-KEY"})
    );
}

#[test]
fn both_url_forms_serve_the_same_operations() {
    let server = App::start(&["--app-id", "MY-APP", "--api-key", "MY-KEY"]);
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
    let server = App::start(&["--app-id", "MY-APP", "--api-key", "MY-KEY"]);
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
fn cors_preflight_and_allow_origin_everywhere() {
    let server = App::start(&[]);
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
    // Any 2xx is an "ok status" to a browser's preflight; tower-http's CorsLayer answers 200.
    assert_eq!(reply.status, 200);
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
    // Without Access-Control-Request-Headers no header is allowed: a browser lists every header
    // beyond the safelisted ones that it will send, so such a preflight needs none.
    let bare = server.request("OPTIONS", "/api/users/logout", &[], None);
    assert_eq!(bare.status, 200);
    assert!(bare.header("access-control-allow-methods").is_some());
    assert_eq!(bare.header("access-control-allow-headers"), None);
    // Errors carry it too.
    server.get("/api/users/nothing-here").assert_error(404, 0);
    assert_eq!(
        server
            .get("/__emulator/requests")
            .header("access-control-allow-origin"),
        Some("*")
    );
}
