//! What a logged-in user does with its own account: roles, `update`, email confirmation (resend,
//! the outbox and its link) and converting a guest. In-process, no socket.

mod common;

use backendless_emulator::protocol::faults;
use common::{token_of, App, Client, APP};
use serde_json::{json, Value};

fn roles(server: &App, token: Option<&str>) -> common::Reply {
    match token {
        Some(token) => server.get_with_token(&format!("{APP}/users/userroles"), token),
        None => server.get(&format!("{APP}/users/userroles")),
    }
}

fn put(server: &App, id: &str, token: Option<&str>, body: &str) -> common::Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(token) = token {
        headers.push(("user-token", token));
    }
    server.request("PUT", &format!("{APP}/users/{id}"), &headers, Some(body))
}

fn guest(server: &App) -> (String, String) {
    let reply = server.post(&format!("{APP}/users/register/guest"), "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    (
        user["objectId"].as_str().unwrap().to_string(),
        token_of(&user),
    )
}

#[test]
fn roles_follow_the_session() {
    let server = App::start(&[]);
    let reply = roles(&server, None);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!(["NotAuthenticatedUser"]));
    assert_eq!(
        server.get("/api/users/userroles").json(),
        json!(["NotAuthenticatedUser"])
    );
    roles(&server, Some("0000-NOT-A-SESSION")).assert_stale_token();
    server.register("r@x.io", "pw");
    let token = server.token("r@x.io", "pw");
    assert_eq!(
        roles(&server, Some(&token)).json(),
        json!(["AuthenticatedUser"])
    );
    let (_, guest_token) = guest(&server);
    assert_eq!(
        roles(&server, Some(&guest_token)).json(),
        json!(["GuestUser"])
    );
    let logout = server.get_with_token(&format!("{APP}/users/logout"), &token);
    assert_eq!(logout.status, 200);
    roles(&server, Some(&token)).assert_stale_token();
}

#[test]
fn update_checks_in_the_documented_order() {
    let server = App::start(&[]);
    let me = server.register("me@x.io", "pw");
    let me_id = me["objectId"].as_str().unwrap();
    let other = server.register("other@x.io", "pw");
    let other_id = other["objectId"].as_str().unwrap();
    let token = server.token("me@x.io", "pw");
    put(&server, me_id, None, r#"{"name":"x"}"#).assert_fault(faults::NOT_LOGGED_IN);
    put(&server, "NOPE", None, "not json").assert_fault(faults::NOT_LOGGED_IN);
    put(&server, me_id, Some("STALE"), r#"{"name":"x"}"#).assert_stale_token();
    put(&server, "NO-SUCH-ID", Some(&token), "not json").assert_fault(faults::UNKNOWN_USER_ID);
    put(&server, other_id, Some(&token), r#"{"name":"x"}"#)
        .assert_fault(faults::OTHER_USERS_PROPERTIES);
    put(&server, me_id, Some(&token), "not json").assert_fault(faults::UNPARSABLE_BODY);
    put(&server, me_id, Some(&token), "[1]").assert_fault(faults::UNPARSABLE_BODY);
    put(&server, me_id, Some(&token), r#"{"email":"Other@X.io"}"#)
        .assert_fault(faults::IDENTITY_TAKEN);
    put(&server, me_id, Some(&token), r#"{"email":"not an email"}"#)
        .assert_fault(faults::INVALID_EMAIL);
    put(&server, me_id, Some(&token), r#"{"email":null}"#).assert_fault(faults::INVALID_EMAIL);
    put(&server, me_id, Some(&token), r#"{"password":""}"#).assert_fault(faults::MISSING_PASSWORD);
    let long = "x".repeat(501);
    put(
        &server,
        me_id,
        Some(&token),
        &json!({ "bio": long }).to_string(),
    )
    .assert_fault(faults::VALUE_TOO_LONG);
    // Nothing of the refused updates was written.
    let stored = server
        .get_with_token(&format!("{APP}/data/Users/{me_id}"), &token)
        .json();
    assert_eq!(stored["email"], "me@x.io");
    assert!(stored.get("bio").is_none());
    assert_eq!(stored["updated"], me["updated"]);
}

#[test]
fn update_changes_properties_email_and_password_and_ignores_server_owned_ones() {
    let server = App::start(&[]);
    let me = server.register("me@x.io", "old password");
    let id = me["objectId"].as_str().unwrap();
    let token = server.token("me@x.io", "old password");
    let reply = put(
        &server,
        id,
        Some(&token),
        &json!({
            "objectId": id, "name": "Me", "age": 7, "email": "ME2@x.io", "password": "new password",
            "userStatus": "DISABLED", "created": 1, "lastLogin": 2, "ownerId": "X", "___class": "Other",
            "user-token": "T", "oAuthIdentities": [1], "accountType": "X", "socialAccount": "X"
        })
        .to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    assert_eq!(user["objectId"], id);
    assert_eq!(user["name"], "Me");
    assert_eq!(user["age"], 7);
    assert_eq!(user["email"], "ME2@x.io");
    assert_eq!(user["userStatus"], "ENABLED");
    assert_eq!(user["created"], me["created"]);
    assert_eq!(user["ownerId"], id);
    assert_eq!(user["___class"], "Users");
    assert_eq!(user["oAuthIdentities"], Value::Null);
    assert_eq!(user["accountType"], "BACKENDLESS");
    assert!(user["updated"].as_i64().unwrap() > me["updated"].as_i64().unwrap());
    assert!(user.get("password").is_none());
    assert!(user.get("user-token").is_none());
    assert!(!reply.body.contains("new password"));
    // Stored: the read answers the same; the new password logs in, the old one does not.
    let stored = server
        .get_with_token(&format!("{APP}/data/Users/{id}"), &token)
        .json();
    assert_eq!(stored, user);
    server
        .login_reply("me@x.io", "old password")
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("me2@x.io", "old password")
        .assert_fault(faults::INVALID_LOGIN);
    assert_eq!(server.login("me2@x.io", "new password")["name"], "Me");
    // Its own email again (another case) is no conflict; the old email is free again.
    let again = put(&server, id, Some(&token), r#"{"email":"me2@X.IO"}"#);
    assert_eq!(again.status, 200, "{}", again.body);
    server.register("me@x.io", "pw");
    // The /api form and an empty object work too.
    let api = server.request(
        "PUT",
        &format!("/api/users/{id}"),
        &[("user-token", &token)],
        Some("{}"),
    );
    assert_eq!(api.status, 200, "{}", api.body);
}

#[test]
fn preflight_allows_put() {
    let server = App::start(&[]);
    let reply = server.request(
        "OPTIONS",
        &format!("{APP}/users/ABC"),
        &[
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "PUT"),
        ],
        None,
    );
    assert_eq!(reply.status, 200);
    assert!(reply
        .header("access-control-allow-methods")
        .unwrap()
        .contains("PUT"));
}

fn outbox(server: &App) -> Vec<Value> {
    let reply = server.get("/__emulator/outbox");
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json().as_array().unwrap().clone()
}

#[test]
fn resend_confirmation_answers_3103_3104_3102_and_mails_a_single_use_link() {
    let server = App::start(&[]);
    server.register("early@x.io", "pw");
    let resend =
        |identity: &str| server.post(&format!("{APP}/users/resendconfirmation/{identity}"), "");
    resend("early@x.io").assert_fault(faults::CONFIRMATION_NOT_REQUIRED);
    let config = server.post("/__emulator/config", r#"{"requireEmailConfirmation":true}"#);
    assert_eq!(config.status, 200, "{}", config.body);
    assert_eq!(config.json()["requireEmailConfirmation"], true);
    resend("nobody@x.io").assert_fault(faults::CONFIRMATION_USER_NOT_FOUND);
    resend("early@x.io").assert_fault(faults::EMAIL_ALREADY_CONFIRMED);
    assert!(outbox(&server).is_empty());

    let user = server.register("late@x.io", "pw");
    assert_eq!(user["userStatus"], "EMAIL_CONFIRMATION_PENDING");
    server
        .login_reply("late@x.io", "pw")
        .assert_fault(faults::EMAIL_NOT_CONFIRMED);
    let reply = resend("LATE%40x.io");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, "");
    let mails = outbox(&server);
    assert_eq!(
        mails.len(),
        2,
        "register and resend each mail once: {mails:?}"
    );
    for mail in &mails {
        assert_eq!(mail["to"], "late@x.io");
        assert_eq!(mail["kind"], "confirmation");
    }
    let link = mails[1]["link"].as_str().unwrap();
    let path = link
        .strip_prefix("http://127.0.0.1")
        .expect("a link to this server");
    assert!(path.starts_with("/__emulator/confirm/"), "{link}");
    assert_ne!(mails[0]["link"], mails[1]["link"]);
    let confirmed = server.get(path);
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(confirmed
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(server.login("late@x.io", "pw")["userStatus"], "ENABLED");
    resend("late@x.io").assert_fault(faults::EMAIL_ALREADY_CONFIRMED);
    assert_eq!(server.get(path).status, 404, "a link works once");
    assert_eq!(server.get("/__emulator/confirm/0000").status, 404);
    // The request log shows no link code (resend has none) and reset empties the outbox.
    assert!(!server
        .get("/__emulator/requests")
        .body
        .contains(&path[20..]));
    assert_eq!(server.post("/__emulator/reset", "").status, 200);
    assert!(outbox(&server).is_empty());
}

#[test]
fn the_flag_makes_registrations_wait_for_confirmation() {
    let server = App::start(&["--require-email-confirmation"]);
    let user = server.register("p@x.io", "pw");
    assert_eq!(user["userStatus"], "EMAIL_CONFIRMATION_PENDING");
    assert_eq!(outbox(&server).len(), 1);
}

#[test]
fn a_guest_registers_in_place_with_its_own_token() {
    let server = App::start(&[]);
    let (id, token) = guest(&server);
    let register = |body: Value, token: Option<&str>| {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(token) = token {
            headers.push(("user-token", token));
        }
        server.request(
            "POST",
            &format!("{APP}/users/register"),
            &headers,
            Some(&body.to_string()),
        )
    };
    register(json!({"objectId": id, "email": "g@x.io"}), Some(&token))
        .assert_fault(faults::MISSING_PASSWORD);
    register(json!({"objectId": id, "password": "pw"}), Some(&token))
        .assert_fault(faults::MISSING_IDENTITY);
    register(
        json!({"objectId": id, "email": "bad", "password": "pw"}),
        Some(&token),
    )
    .assert_fault(faults::INVALID_EMAIL);
    server.register("taken@x.io", "pw");
    register(
        json!({"objectId": id, "email": "taken@x.io", "password": "pw"}),
        Some(&token),
    )
    .assert_fault(faults::USER_EXISTS);
    // Not this session's guest, or no session: 3212.
    let (other_id, other_token) = guest(&server);
    register(
        json!({"objectId": id, "email": "g@x.io", "password": "pw"}),
        Some(&other_token),
    )
    .assert_fault(faults::INVALID_GUEST);
    register(
        json!({"objectId": id, "email": "g@x.io", "password": "pw"}),
        None,
    )
    .assert_fault(faults::INVALID_GUEST);
    register(
        json!({"objectId": id, "email": "g@x.io", "password": "pw"}),
        Some("STALE"),
    )
    .assert_fault(faults::INVALID_GUEST);
    register(
        json!({"objectId": "UNKNOWN", "email": "g@x.io", "password": "pw"}),
        Some(&token),
    )
    .assert_fault(faults::INVALID_GUEST);
    register(
        json!({"objectId": 5, "email": "g@x.io", "password": "pw"}),
        Some(&token),
    )
    .assert_fault(faults::INVALID_GUEST);
    let registered_token = server.token("taken@x.io", "pw");
    let taken_id = server.login("taken@x.io", "pw")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    register(
        json!({"objectId": taken_id, "email": "g@x.io", "password": "pw"}),
        Some(&registered_token),
    )
    .assert_fault(faults::INVALID_GUEST);

    let reply = register(
        json!({"objectId": id, "email": "g@x.io", "password": "pw", "name": "Guest no more"}),
        Some(&token),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    assert_eq!(user["objectId"], id);
    assert_eq!(user["email"], "g@x.io");
    assert_eq!(user["userStatus"], "ENABLED");
    assert_eq!(user["name"], "Guest no more");
    assert!(user.get("user-token").is_none());
    assert!(user.get("password").is_none());
    // The guest's session is still valid, now as a registered user.
    assert!(server.is_valid(&token));
    assert_eq!(
        roles(&server, Some(&token)).json(),
        json!(["AuthenticatedUser"])
    );
    assert_eq!(server.login("g@x.io", "pw")["objectId"], id);
    // Once converted it is no guest: a second conversion is refused.
    register(
        json!({"objectId": id, "email": "g2@x.io", "password": "pw"}),
        Some(&token),
    )
    .assert_fault(faults::INVALID_GUEST);
    // The other guest is untouched.
    assert_eq!(
        roles(&server, Some(&other_token)).json(),
        json!(["GuestUser"])
    );
    let _ = other_id;
}

#[test]
fn a_converted_guest_waits_for_confirmation_when_required() {
    let server = App::start(&["--require-email-confirmation"]);
    let (id, token) = guest(&server);
    let reply = server.request(
        "POST",
        &format!("{APP}/users/register"),
        &[("user-token", &token)],
        Some(&json!({"objectId": id, "email": "c@x.io", "password": "pw"}).to_string()),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["userStatus"], "EMAIL_CONFIRMATION_PENDING");
    assert_eq!(outbox(&server)[0]["to"], "c@x.io");
    assert_eq!(
        roles(&server, Some(&token)).json(),
        json!(["AuthenticatedUser"])
    );
}
