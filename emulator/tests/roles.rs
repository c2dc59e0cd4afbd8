//! Roles: the session's (`users/userroles`), another user's (`users/userroles/{id}`), the users
//! having one (`users/role/{name}`), and business logic's `assignRole` / `unassignRole`, with
//! the codes the official JS SDK's end-to-end suite asserts against a real server (2011, 2007,
//! 2008, 2005).

mod common;

use backendless_emulator::protocol::{faults, paths};
use common::*;
use serde_json::{json, Value};

const CLOUD: &str = "/LOCAL-APP-ID/LOCAL-CLOUDCODE-KEY";

fn change(app: &App, prefix: &str, op: &str, user: &str, role: &str) -> Reply {
    app.post(
        &format!("{prefix}/{op}"),
        &json!({ "user": user, "roleName": role }).to_string(),
    )
}

fn roles_of(app: &App, prefix: &str, id: &str, token: Option<&str>) -> Reply {
    let url = format!("{prefix}/{}", paths::USER_ROLES_OF.replace("{}", id));
    match token {
        Some(token) => app.get_with_token(&url, token),
        None => app.get(&url),
    }
}

#[test]
fn only_business_logic_assigns_and_unassigns_custom_roles() {
    let app = App::start(&["--role", "CustomRole"]);
    let user = app.register("r1@x.io", "pw-r1");
    let id = user["objectId"].as_str().unwrap().to_string();
    for op in [paths::ASSIGN_ROLE, paths::UNASSIGN_ROLE] {
        change(&app, APP, op, "r1@x.io", "CustomRole")
            .assert_fault(faults::ROLE_CHANGE_NOT_ALLOWED);
    }
    let reply = change(&app, CLOUD, paths::ASSIGN_ROLE, "r1@x.io", "CustomRole");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, "");
    let token = app.token("r1@x.io", "pw-r1");
    let session = app.get_with_token(&format!("{APP}/{}", paths::USER_ROLES), &token);
    assert_eq!(session.json(), json!(["AuthenticatedUser", "CustomRole"]));
    assert_eq!(
        roles_of(&app, APP, &id, Some(&token)).json(),
        json!(["AuthenticatedUser", "CustomRole"])
    );
    // Twice is once; by objectId as well as by identity.
    assert_eq!(
        change(&app, CLOUD, paths::ASSIGN_ROLE, &id, "CustomRole").status,
        200
    );
    assert_eq!(
        change(&app, CLOUD, paths::UNASSIGN_ROLE, "R1@X.io", "CustomRole").status,
        200
    );
    assert_eq!(
        roles_of(&app, CLOUD, &id, None).json(),
        json!(["AuthenticatedUser"])
    );
    assert_eq!(
        change(&app, CLOUD, paths::UNASSIGN_ROLE, &id, "CustomRole").status,
        200
    );
}

#[test]
fn system_and_unknown_roles_are_refused_with_their_codes() {
    let app = App::start(&["--role", "CustomRole"]);
    app.register("r2@x.io", "pw-r2");
    for system in [
        "AuthenticatedUser",
        "NotAuthenticatedUser",
        "GuestUser",
        "SocialUser",
    ] {
        change(&app, CLOUD, paths::ASSIGN_ROLE, "r2@x.io", system)
            .assert_fault(faults::SYSTEM_ROLE_ASSIGN);
        change(&app, CLOUD, paths::UNASSIGN_ROLE, "r2@x.io", system)
            .assert_fault(faults::SYSTEM_ROLE_UNASSIGN);
    }
    for op in [paths::ASSIGN_ROLE, paths::UNASSIGN_ROLE] {
        change(&app, CLOUD, op, "r2@x.io", "NonexistentRole").assert_fault(faults::ROLE_NOT_FOUND);
        change(&app, CLOUD, op, "nobody@x.io", "CustomRole").assert_fault(faults::UNKNOWN_USER_ID);
    }
    app.post(
        &format!("{CLOUD}/{}", paths::ASSIGN_ROLE),
        r#"{"user":"r2@x.io"}"#,
    )
    .assert_fault(faults::MISSING_PARAMETER);
    app.post(
        &format!("{CLOUD}/{}", paths::ASSIGN_ROLE),
        r#"{"user":["r2@x.io"],"roleName":"CustomRole"}"#,
    )
    .assert_error(400, 8002);
}

#[test]
fn a_user_reads_its_own_roles_and_business_logic_anyones() {
    let app = App::start(&[]);
    let alice = app.register("alice@x.io", "pw-a")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = app.register("bob@x.io", "pw-b")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = app.token("alice@x.io", "pw-a");
    assert_eq!(
        roles_of(&app, APP, &alice, Some(&token)).json(),
        json!(["AuthenticatedUser"])
    );
    // Another user's, and an id nobody has: one answer under the app's key.
    roles_of(&app, APP, &bob, Some(&token)).assert_fault(faults::OTHER_USERS_ROLES);
    roles_of(&app, APP, "NOBODY", Some(&token)).assert_fault(faults::OTHER_USERS_ROLES);
    roles_of(&app, APP, &bob, None).assert_fault(faults::NOT_LOGGED_IN);
    roles_of(&app, APP, &alice, Some("dead")).assert_stale_token();
    assert_eq!(
        roles_of(&app, CLOUD, &bob, None).json(),
        json!(["AuthenticatedUser"])
    );
    roles_of(&app, CLOUD, "NOBODY", None).assert_fault(faults::UNKNOWN_USER_ID);
    let guest = app
        .post(&format!("{APP}/{}", paths::GUEST_LOGIN), "")
        .json();
    let guest_id = guest["objectId"].as_str().unwrap();
    assert_eq!(
        roles_of(&app, APP, guest_id, Some(&token_of(&guest))).json(),
        json!(["GuestUser"])
    );
}

#[test]
fn find_by_role_pages_the_users_having_a_role() {
    let app = App::start(&["--role", "CustomRole2"]);
    let mut ids = Vec::new();
    for n in 0..13 {
        let email = format!("fr{n:02}@x.io");
        let user = app.register(&email, "pw");
        ids.push(user["objectId"].as_str().unwrap().to_string());
        if n != 5 {
            assert_eq!(
                change(&app, CLOUD, paths::ASSIGN_ROLE, &email, "CustomRole2").status,
                200
            );
        }
    }
    let url = |query: &str| {
        format!(
            "{CLOUD}/{}{query}",
            paths::USERS_BY_ROLE.replace("{}", "CustomRole2")
        )
    };
    let first = app.get(&url("?loadRoles=true")).json();
    let first = first.as_array().unwrap();
    assert_eq!(first.len(), 10, "default page size");
    for user in first {
        assert_eq!(user["___class"], "Users");
        assert!(user.get("password").is_none() && user.get("user-token").is_none());
        assert_eq!(user["roles"], json!(["AuthenticatedUser", "CustomRole2"]));
        assert_ne!(user["objectId"], ids[5]);
    }
    let rest = app
        .get(&url(
            "?pageSize=10&offset=10&where=x%3D1&sortBy=name&props=email",
        ))
        .json();
    assert_eq!(rest.as_array().unwrap().len(), 2);
    assert!(
        rest[0].get("roles").is_none(),
        "roles only with loadRoles=true"
    );
    let big = app.get(&url("?pageSize=5000&offset=abc")).json();
    assert_eq!(
        big.as_array().unwrap().len(),
        12,
        "pageSize at most 100, a bad offset 0"
    );
    assert_eq!(
        app.get(&url("?pageSize=0"))
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Unknown role: 2005; system roles list what has them.
    app.get(&format!(
        "{CLOUD}/{}",
        paths::USERS_BY_ROLE.replace("{}", "Nope")
    ))
    .assert_fault(faults::ROLE_NOT_FOUND);
    let registered = app
        .get(&format!(
            "{CLOUD}/{}?pageSize=100",
            paths::USERS_BY_ROLE.replace("{}", "AuthenticatedUser")
        ))
        .json();
    assert_eq!(registered.as_array().unwrap().len(), 13);
    let nobody = app
        .get(&format!(
            "{CLOUD}/{}",
            paths::USERS_BY_ROLE.replace("{}", "NotAuthenticatedUser")
        ))
        .json();
    assert_eq!(nobody, json!([]));
}

#[test]
fn find_by_role_under_the_app_key_follows_users_readable_by() {
    let app = App::start(&["--role", "R"]);
    app.register("f@x.io", "pw");
    let url = format!("{APP}/{}", paths::USERS_BY_ROLE.replace("{}", "R"));
    app.get(&url).assert_fault(faults::OTHER_USERS_ROLES);
    app.post("/__emulator/config", r#"{"usersReadableBy": "anyone"}"#);
    assert_eq!(app.get(&url).json(), json!([]));
}

#[test]
fn roles_come_from_flags_and_the_control_api_and_reset_restores_the_flags() {
    let app = App::start(&["--role", "FromFlag"]);
    assert_eq!(app.get("/__emulator/roles").json(), json!(["FromFlag"]));
    let reply = app.post("/__emulator/roles", r#"{"name": "Made"}"#);
    assert_eq!(reply.json(), json!(["FromFlag", "Made"]));
    for bad in [
        r#"{"name": "AuthenticatedUser"}"#,
        r#"{"name": "a b"}"#,
        r#"{"name": 1}"#,
        "[]",
    ] {
        app.post("/__emulator/roles", bad).assert_error(400, 8002);
    }
    app.register("z@x.io", "pw");
    assert_eq!(
        change(&app, CLOUD, paths::ASSIGN_ROLE, "z@x.io", "Made").status,
        200
    );
    app.post("/__emulator/reset", "");
    assert_eq!(app.get("/__emulator/roles").json(), json!(["FromFlag"]));
    let _: Value = app.register("z@x.io", "pw");
    change(&app, CLOUD, paths::ASSIGN_ROLE, "z@x.io", "Made").assert_fault(faults::ROLE_NOT_FOUND);
}

#[test]
fn role_flags_are_checked() {
    use backendless_emulator::config::Settings;
    for bad in ["AuthenticatedUser", "", "a b", "x/y"] {
        assert!(
            Settings::load(["backendless-emulator", "--role", bad]).is_err(),
            "{bad}"
        );
    }
    assert!(Settings::load([
        "backendless-emulator",
        "--api-key",
        "SAME",
        "--cloud-code-api-key",
        "SAME"
    ])
    .is_err());
    let settings =
        Settings::load(["backendless-emulator", "--role", "A", "--role", "B-2"]).unwrap();
    assert_eq!(settings.roles, ["A", "B-2"]);
    assert_eq!(settings.cloud_code_api_key, "LOCAL-CLOUDCODE-KEY");
}
