//! What only business logic (the CloudCode key) may do, and the Users class: login by objectId,
//! `verifypassowrd`, user status, `userclassprops`, `createEmailConfirmationURL` — each under
//! both keys, as the official JS SDK's end-to-end suite exercises them against a real server.

mod common;

use backendless_emulator::protocol::{faults, paths};
use common::*;
use serde_json::{json, Value};

/// The `/{appId}/{apiKey}` prefix with the default CloudCode key.
const CLOUD: &str = "/LOCAL-APP-ID/LOCAL-CLOUDCODE-KEY";

fn path(prefix: &str, template: &str, segment: &str) -> String {
    format!("{prefix}/{}", template.replace("{}", segment))
}

fn put(app: &App, url: &str, body: &Value) -> Reply {
    app.request(
        "PUT",
        url,
        &[("content-type", "application/json")],
        Some(&body.to_string()),
    )
}

#[test]
fn login_by_object_id_works_only_under_the_cloud_code_key() {
    let app = App::start(&[]);
    let user = app.register("obj@x.io", "pw-obj-1");
    let id = user["objectId"].as_str().unwrap();
    let body = json!({ "objectId": id }).to_string();

    let refused = app.post(&format!("{APP}/{}", paths::LOGIN), &body);
    refused.assert_fault(faults::OBJECT_ID_LOGIN_NOT_ALLOWED);
    // The app's key learns nothing of which ids exist: an unknown one gets the same answer.
    let unknown = json!({ "objectId": "NOBODY" }).to_string();
    app.post(&format!("{APP}/{}", paths::LOGIN), &unknown)
        .assert_fault(faults::OBJECT_ID_LOGIN_NOT_ALLOWED);

    let reply = app.post(&format!("{CLOUD}/{}", paths::LOGIN), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let logged = reply.json();
    assert_eq!(logged["objectId"], id);
    assert_eq!(logged["email"], "obj@x.io");
    assert_eq!(logged["___class"], "Users");
    assert!(logged.get("password").is_none());
    let token = token_of(&logged);
    assert!(app.is_valid(&token));
    assert!(logged["lastLogin"].is_i64());

    app.post(&format!("{CLOUD}/{}", paths::LOGIN), &unknown)
        .assert_fault(faults::UNKNOWN_USER_ID);
    // Both keys address the same users: a password login still works under either.
    let reply = app.post(
        &format!("{CLOUD}/{}", paths::LOGIN),
        &json!({ "login": "obj@x.io", "password": "pw-obj-1" }).to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // An odd objectId is a malformed request, not a password login.
    app.post(&format!("{CLOUD}/{}", paths::LOGIN), r#"{"objectId": 7}"#)
        .assert_error(400, 8002);
    // A key that is neither is still 2002.
    app.post("/LOCAL-APP-ID/OTHER-KEY/users/login", &body)
        .assert_fault(faults::WRONG_APP_INFO);
}

#[test]
fn login_by_object_id_respects_status_and_the_app_switches() {
    let app = App::start(&[]);
    let user = app.register("dis@x.io", "pw-dis-1");
    let id = user["objectId"].as_str().unwrap().to_string();
    let body = json!({ "objectId": id }).to_string();
    put(
        &app,
        &path(CLOUD, paths::USER_STATUS, &id),
        &json!({"userStatus": "DISABLED"}),
    );
    app.post(&format!("{CLOUD}/{}", paths::LOGIN), &body)
        .assert_fault(faults::LOGIN_DISABLED_FOR_USER);
    app.post("/__emulator/config", r#"{"loginsDisabled": true}"#);
    app.post(&format!("{CLOUD}/{}", paths::LOGIN), &body)
        .assert_fault(faults::LOGINS_DISABLED_FOR_APP);
}

#[test]
fn the_cloud_code_key_is_not_written_to_the_request_log() {
    let app = App::start(&[]);
    app.post(&format!("{CLOUD}/{}", paths::LOGIN), r#"{"objectId":"X"}"#);
    app.post(&format!("{APP}/{}", paths::LOGIN), r#"{"objectId":"X"}"#);
    let paths = app.logged_paths();
    assert_eq!(
        paths,
        [
            "/LOCAL-APP-ID/[redacted]/users/login",
            "/LOCAL-APP-ID/LOCAL-API-KEY/users/login"
        ]
    );
}

#[test]
fn verify_password_answers_valid_only_to_business_logic() {
    let app = App::start(&[]);
    app.register("vp@x.io", "right-pass");
    let token = app.token("vp@x.io", "right-pass");
    let check = |prefix: &str, token: &str, password: &str| {
        app.request(
            "POST",
            &format!("{prefix}/{}", paths::VERIFY_PASSWORD),
            &[("content-type", "application/json"), ("user-token", token)],
            Some(&json!({ "password": password }).to_string()),
        )
    };
    let reply = check(CLOUD, &token, "right-pass");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), json!({"valid": true}));
    assert_eq!(
        check(CLOUD, &token, "wrong").json(),
        json!({"valid": false})
    );

    let refused = check(APP, &token, "right-pass");
    refused.assert_fault(faults::PASSWORD_CHECK_NOT_ALLOWED);
    assert_eq!(
        refused.json()["message"],
        "Password verification allowed only from CloudCode"
    );

    let stale = check(CLOUD, "invalid-token", "right-pass");
    stale.assert_stale_token();
    assert_eq!(
        stale.json()["message"],
        "Not existing user token - invalid-token. Relogin user to update your user token"
    );
    // No token: not logged in.
    app.post(
        &format!("{CLOUD}/{}", paths::VERIFY_PASSWORD),
        r#"{"password":"x"}"#,
    )
    .assert_fault(faults::NOT_LOGGED_IN);
    // No password: a missing parameter.
    app.request(
        "POST",
        &format!("{CLOUD}/{}", paths::VERIFY_PASSWORD),
        &[("user-token", &token)],
        Some("{}"),
    )
    .assert_fault(faults::MISSING_PARAMETER);
}

#[test]
fn wrong_passwords_at_verify_password_do_not_lock_the_account() {
    let app = App::start(&["--lockout-threshold", "2"]);
    app.register("lock@x.io", "right-pass");
    let token = app.token("lock@x.io", "right-pass");
    for _ in 0..4 {
        let reply = app.request(
            "POST",
            &format!("{CLOUD}/{}", paths::VERIFY_PASSWORD),
            &[("user-token", &token)],
            Some(r#"{"password":"wrong"}"#),
        );
        assert_eq!(reply.json(), json!({"valid": false}));
    }
    // Not locked: the next login with the right password works.
    app.login("lock@x.io", "right-pass");
}

#[test]
fn user_status_is_set_only_by_business_logic_and_disabling_ends_sessions() {
    let app = App::start(&[]);
    let user = app.register("st@x.io", "pw-st-1");
    let id = user["objectId"].as_str().unwrap().to_string();
    let token = app.token("st@x.io", "pw-st-1");

    let refused = put(
        &app,
        &path(APP, paths::USER_STATUS, &id),
        &json!({"userStatus": "DISABLED"}),
    );
    refused.assert_fault(faults::BL_LOGIC_ONLY);
    assert_eq!(
        refused.json()["message"],
        "Operation allowed only for BL logic."
    );

    let reply = put(
        &app,
        &path(CLOUD, paths::USER_STATUS, &id),
        &json!({"userStatus": "DISABLED"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["userStatus"], "DISABLED");
    assert!(reply.json().get("password").is_none());
    assert!(!app.is_valid(&token), "disabling ends the user's sessions");
    app.login_reply("st@x.io", "pw-st-1")
        .assert_fault(faults::LOGIN_DISABLED_FOR_USER);

    let reply = put(
        &app,
        &path(CLOUD, paths::USER_STATUS, &id),
        &json!({"userStatus": "ENABLED"}),
    );
    assert_eq!(reply.json()["userStatus"], "ENABLED");
    app.login("st@x.io", "pw-st-1");

    for bad in [
        json!({"userStatus": "GUEST"}),
        json!({"userStatus": 1}),
        json!({}),
    ] {
        put(&app, &path(CLOUD, paths::USER_STATUS, &id), &bad).assert_error(400, 8002);
    }
    put(
        &app,
        &path(CLOUD, paths::USER_STATUS, "NOBODY"),
        &json!({"userStatus": "ENABLED"}),
    )
    .assert_fault(faults::UNKNOWN_USER_ID);
    let guest = app
        .post(&format!("{APP}/{}", paths::GUEST_LOGIN), "")
        .json();
    put(
        &app,
        &path(
            CLOUD,
            paths::USER_STATUS,
            guest["objectId"].as_str().unwrap(),
        ),
        &json!({"userStatus": "ENABLED"}),
    )
    .assert_fault(faults::INVALID_GUEST);
}

#[test]
fn describe_user_class_lists_system_and_dynamic_columns() {
    let app = App::start(&[]);
    let reply = app.post(
        &format!("{APP}/{}", paths::REGISTER),
        &json!({"email": "loc@x.io", "password": "pw", "location": "New York", "age": 7})
            .to_string(),
    );
    assert_eq!(reply.status, 200);
    let columns = app
        .get(&format!("{APP}/{}", paths::USER_CLASS_PROPS))
        .json();
    let columns = columns.as_array().unwrap();
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in ["location", "email", "created", "updated", "objectId", "age"] {
        assert!(names.contains(&name), "{name}: {names:?}");
    }
    for column in columns {
        for key in ["name", "required", "type", "defaultValue", "identity"] {
            assert!(column.get(key).is_some(), "{key} in {column}");
        }
    }
    let find = |name: &str| columns.iter().find(|c| c["name"] == name).unwrap();
    assert_eq!(find("email")["identity"], true);
    assert_eq!(find("location")["type"], "STRING");
    assert_eq!(find("age")["type"], "INT");
    assert_eq!(names.iter().filter(|n| **n == "blUserLocale").count(), 1);
    // Under the CloudCode key too; a stale token is 3064.
    assert_eq!(
        app.get(&format!("{CLOUD}/{}", paths::USER_CLASS_PROPS))
            .status,
        200
    );
    app.get_with_token(&format!("{APP}/{}", paths::USER_CLASS_PROPS), "dead")
        .assert_stale_token();
}

#[test]
fn create_email_confirmation_url_gives_a_link_that_confirms() {
    let app = App::start(&["--require-email-confirmation"]);
    app.register("conf@x.io", "pw-conf");
    app.login_reply("conf@x.io", "pw-conf")
        .assert_fault(faults::EMAIL_NOT_CONFIRMED);
    // The app's key works, as on the hosted service (the e2e suite calls it so).
    let reply = app.post(
        &path(APP, paths::CREATE_CONFIRMATION_URL, "conf%40x.io"),
        "",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let url = reply.json()["confirmationURL"]
        .as_str()
        .unwrap()
        .to_string();
    let link = url
        .strip_prefix("http://127.0.0.1")
        .expect("absolute, this server");
    assert!(link.starts_with("/__emulator/confirm/"), "{url}");
    let outbox = app.get("/__emulator/outbox").json();
    assert!(outbox
        .as_array()
        .unwrap()
        .iter()
        .any(|mail| mail["kind"] == "confirmation-url" && mail["link"] == url));
    assert_eq!(app.get(link).status, 200);
    app.login("conf@x.io", "pw-conf");
    // Confirmed now: 3102; nobody: 3104.
    app.post(
        &path(APP, paths::CREATE_CONFIRMATION_URL, "conf%40x.io"),
        "",
    )
    .assert_fault(faults::EMAIL_ALREADY_CONFIRMED);
    app.post(
        &path(APP, paths::CREATE_CONFIRMATION_URL, "nobody%40x.io"),
        "",
    )
    .assert_fault(faults::CONFIRMATION_USER_NOT_FOUND);
}

#[test]
fn create_email_confirmation_url_follows_the_confirmation_option() {
    let app = App::start(&[]);
    app.register("noconf@x.io", "pw");
    app.post(
        &path(APP, paths::CREATE_CONFIRMATION_URL, "noconf%40x.io"),
        "",
    )
    .assert_fault(faults::CONFIRMATION_NOT_REQUIRED);
}

/// The code and whole message of a recorded answer (tests/fixtures/real-service/), and its
/// status where the recording has one.
fn assert_recorded(reply: &Reply, fixture: &str) {
    let recorded: Value = serde_json::from_str(fixture).expect("fixture is JSON");
    let expected = match recorded["body"].as_str() {
        Some(body) => serde_json::from_str(body).expect("recorded body is JSON"),
        None => recorded["known_fields"].clone(),
    };
    if let Some(status) = recorded["status"].as_u64() {
        assert_eq!(u64::from(reply.status), status, "{}", reply.body);
    }
    assert_eq!(reply.json()["code"], expected["code"], "{}", reply.body);
    assert_eq!(
        reply.json()["message"],
        expected["message"],
        "{}",
        reply.body
    );
}

#[test]
fn the_app_keys_refusals_are_the_recorded_answers() {
    let app = App::start(&[]);
    let user = app.register("rec@x.io", "pw-rec");
    let id = user["objectId"].as_str().unwrap().to_string();
    let token = app.token("rec@x.io", "pw-rec");
    assert_recorded(
        &app.post(
            &format!("{APP}/{}", paths::LOGIN),
            &json!({ "objectId": id }).to_string(),
        ),
        include_str!("../../tests/fixtures/real-service/login-2014-objectid-login-wrong-key.json"),
    );
    assert_recorded(
        &app.request(
            "POST",
            &format!("{APP}/{}", paths::VERIFY_PASSWORD),
            &[("user-token", &token)],
            Some(r#"{"password":"pw-rec"}"#),
        ),
        include_str!("../../tests/fixtures/real-service/verifypassword-3122-not-cloud-code.json"),
    );
    assert_recorded(
        &put(
            &app,
            &path(APP, paths::USER_STATUS, &id),
            &json!({"userStatus": "DISABLED"}),
        ),
        include_str!("../../tests/fixtures/real-service/user-status-3054-not-business-logic.json"),
    );
    assert_recorded(
        &app.request(
            "POST",
            &format!("{CLOUD}/{}", paths::VERIFY_PASSWORD),
            &[("user-token", "invalid-token")],
            Some(r#"{"password":"pw-rec"}"#),
        ),
        include_str!("../../tests/fixtures/real-service/verifypassword-3064-stale-token.json"),
    );
}
