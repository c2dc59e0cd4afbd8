//! OAuth2 logins against the local identity provider: its endpoints, both access-token login
//! paths, guests, and the redirect flow end to end over HTTP.

mod common;

use backendless_emulator::protocol::faults;
use common::{encode_component, send, token_of, App, Client, Local, APP};
use serde_json::{json, Value};

const GITHUB: &[&str] = &["--oauth-provider", "github", "--oauth-provider", "gitlab"];

/// A fake account at `provider` and an access token for it.
fn account(server: &impl Client, provider: &str, email: &str, name: &str) -> Value {
    let reply = server.post(
        &format!("/oauth-provider/{provider}/accounts"),
        &json!({ "email": email, "name": name }).to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn social_login(server: &impl Client, path: &str, body: Value) -> common::Reply {
    server.post(&format!("{APP}/{path}"), &body.to_string())
}

#[test]
fn provider_accounts_tokens_and_userinfo() {
    let server = App::start(GITHUB);
    let ann = account(&server, "github", "ann@x.io", "Ann <b>");
    assert_eq!(ann["email"], "ann@x.io");
    assert_eq!(ann["name"], "Ann <b>");
    let token = ann["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    let again = account(&server, "github", "ANN@x.io", "Other name");
    assert_eq!(again["id"], ann["id"], "found by email");
    assert_ne!(again["access_token"], ann["access_token"]);
    let info = server.request(
        "GET",
        "/oauth-provider/github/userinfo",
        &[("authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(
        info.json(),
        json!({"id": ann["id"], "email": "ann@x.io", "name": "Ann <b>"})
    );
    // Another provider's endpoint does not know the token.
    let foreign = server.request(
        "GET",
        "/oauth-provider/gitlab/userinfo",
        &[("authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(foreign.status, 401);
    assert_eq!(foreign.json()["error"], "invalid_token");
    assert_eq!(server.get("/oauth-provider/github/userinfo").status, 401);
    let bad = server.post("/oauth-provider/github/accounts", r#"{"email":"nope"}"#);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"], "invalid_request");
    assert_provider_fault(
        &server.post("/oauth-provider/facebook/accounts", r#"{"email":"a@x.io"}"#),
        faults::UNKNOWN_OAUTH_PROVIDER,
    );
    // Without --oauth-provider nothing is enabled.
    assert_provider_fault(
        &App::start(&[]).post("/oauth-provider/github/accounts", r#"{"email":"a@x.io"}"#),
        faults::UNKNOWN_OAUTH_PROVIDER,
    );
}

/// A Backendless error from the provider's endpoints, which grant no origin anything (no CORS).
fn assert_provider_fault(reply: &common::Reply, fault: backendless_emulator::protocol::Fault) {
    assert_eq!(reply.status, fault.status, "{}", reply.body);
    assert_eq!(reply.json()["code"], fault.code, "{}", reply.body);
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[test]
fn test_pages_on_this_machine_mint_tokens_through_the_control_endpoint() {
    let server = App::start(GITHUB);
    let reply = server.request(
        "POST",
        "/__emulator/oauth-provider/github/accounts",
        &[
            ("content-type", "application/json"),
            ("origin", "http://127.0.0.1:8000"),
        ],
        Some(r#"{"email":"ann@x.io","name":"Ann"}"#),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://127.0.0.1:8000")
    );
    let minted = reply.json();
    let login = social_login(
        &server,
        "users/social/github/login",
        json!({ "accessToken": minted["access_token"] }),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.json()["email"], "ann@x.io");
    // Pages elsewhere are refused as for every control endpoint.
    let foreign = server.request(
        "POST",
        "/__emulator/oauth-provider/github/accounts",
        &[
            ("content-type", "application/json"),
            ("origin", "https://evil.example"),
        ],
        Some(r#"{"email":"ann@x.io"}"#),
    );
    assert_eq!(foreign.status, 403, "{}", foreign.body);
}

#[test]
fn access_token_login_on_both_paths_links_one_user() {
    let server = App::start(GITHUB);
    let ann = account(&server, "github", "ann@x.io", "Ann");
    let token = ann["access_token"].as_str().unwrap();
    let reply = social_login(
        &server,
        "users/social/github/login",
        json!({ "accessToken": token }),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    assert_eq!(user["email"], "ann@x.io");
    assert_eq!(user["name"], "Ann");
    assert_eq!(user["userStatus"], "ENABLED");
    assert!(user["lastLogin"].is_i64());
    assert_eq!(
        user["oAuthIdentities"],
        json!([{"providerCode": "github", "oAuthId": ann["id"], "displayName": "Ann"}])
    );
    assert!(user.get("password").is_none());
    let session = token_of(&user);
    assert!(server.is_valid(&session));
    assert_eq!(
        server
            .get_with_token(&format!("{APP}/users/userroles"), &session)
            .json(),
        json!(["AuthenticatedUser"])
    );
    // The REST docs' path: the same user, a new session.
    let again = social_login(
        &server,
        "users/oauth/github/login",
        json!({ "accessToken": token }),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["objectId"], user["objectId"]);
    assert_ne!(token_of(&again.json()), session);
    // Stored as the read answers it.
    let stored = server
        .get_with_token(
            &format!("{APP}/data/Users/{}", user["objectId"].as_str().unwrap()),
            &session,
        )
        .json();
    assert_eq!(stored["oAuthIdentities"], user["oAuthIdentities"]);
    // The request log never shows the access token.
    let log = server.get("/__emulator/requests").body;
    assert!(!log.contains(token), "{log}");
    assert!(!log.contains(&session));
}

#[test]
fn login_errors_3210_3038_3211_8002() {
    let server = App::start(GITHUB);
    let ann = account(&server, "github", "ann@x.io", "Ann");
    let token = ann["access_token"].as_str().unwrap();
    social_login(
        &server,
        "users/social/facebook/login",
        json!({ "accessToken": token }),
    )
    .assert_fault(faults::UNKNOWN_OAUTH_PROVIDER);
    for body in [
        json!({}),
        json!({"accessToken": null}),
        json!({"accessToken": 5}),
        json!({"accessToken": ""}),
    ] {
        social_login(&server, "users/social/github/login", body)
            .assert_fault(faults::MISSING_PARAMETER);
    }
    server
        .post(&format!("{APP}/users/social/github/login"), "")
        .assert_fault(faults::MISSING_PARAMETER);
    social_login(
        &server,
        "users/social/github/login",
        json!({ "accessToken": "f".repeat(64) }),
    )
    .assert_fault(faults::INVALID_OAUTH_TOKEN);
    social_login(
        &server,
        "users/social/gitlab/login",
        json!({ "accessToken": token }),
    )
    .assert_fault(faults::INVALID_OAUTH_TOKEN);
    social_login(
        &server,
        "users/social/github/login",
        json!({ "accessToken": token, "fieldsMapping": [1] }),
    )
    .assert_fault(faults::UNPARSABLE_BODY);
    server
        .post(&format!("{APP}/users/social/github/login"), "[1]")
        .assert_fault(faults::UNPARSABLE_BODY);
    // The app's switches come first, as for a password login.
    server.post("/__emulator/config", r#"{"loginsDisabled":true}"#);
    social_login(
        &server,
        "users/social/github/login",
        json!({ "accessToken": token }),
    )
    .assert_fault(faults::LOGINS_DISABLED_FOR_APP);
}

#[test]
fn fields_mapping_and_an_existing_account_with_the_email() {
    let server = App::start(GITHUB);
    let registered = server.register("bob@x.io", "pw");
    let bob = account(&server, "github", "bob@x.io", "Bobby");
    // A password account of the provider's email is not linked without its owner (3213).
    social_login(
        &server,
        "users/oauth/github/login",
        json!({ "accessToken": bob["access_token"] }),
    )
    .assert_fault(faults::ACCOUNT_NOT_LINKED);
    assert_eq!(
        server.login("bob@x.io", "pw")["objectId"],
        registered["objectId"]
    );

    let cy = account(&server, "gitlab", "cy@x.io", "Cy");
    let user = social_login(
        &server,
        "users/oauth/gitlab/login",
        json!({ "accessToken": cy["access_token"], "fieldsMapping": {"name": "nickname", "id": "gitlabId"} }),
    )
    .json();
    assert_eq!(user["nickname"], "Cy");
    assert_eq!(user["gitlabId"], cy["id"]);
    assert_eq!(user["email"], "cy@x.io");
    assert!(user.get("name").is_none());
}

#[test]
fn a_guest_becomes_the_oauth_user_unless_the_identity_is_linked_already() {
    let server = App::start(GITHUB);
    let guest = server
        .post(&format!("{APP}/users/register/guest"), "")
        .json();
    let guest_id = guest["objectId"].as_str().unwrap();
    let guest_token = token_of(&guest);
    let dee = account(&server, "github", "dee@x.io", "Dee");
    let reply = guest_login(
        &server,
        json!({ "accessToken": dee["access_token"], "guestUser": {"objectId": guest_id} }),
        &guest_token,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    assert_eq!(user["objectId"], guest_id);
    assert_eq!(user["userStatus"], "ENABLED");
    assert_eq!(user["email"], "dee@x.io");
    assert_eq!(user["oAuthIdentities"][0]["oAuthId"], dee["id"]);
    assert_eq!(
        server
            .get_with_token(&format!("{APP}/users/userroles"), &guest_token)
            .json(),
        json!(["AuthenticatedUser"])
    );

    // Linked already: that account, and the second guest stays a guest.
    let second = server
        .post(&format!("{APP}/users/register/guest"), "")
        .json();
    let reply = guest_login(
        &server,
        json!({ "accessToken": dee["access_token"], "guestUser": {"objectId": second["objectId"]} }),
        &token_of(&second),
    );
    assert_eq!(reply.json()["objectId"], guest_id);
    assert_eq!(
        server
            .get_with_token(&format!("{APP}/users/userroles"), &token_of(&second))
            .json(),
        json!(["GuestUser"])
    );

    // A guestUser that is no guest, or not the caller's: 3212.
    let eve = account(&server, "github", "eve@x.io", "Eve");
    let registered = server.register("reg@x.io", "pw");
    let registered_token = server.token("reg@x.io", "pw");
    for guest_user in [
        json!({"objectId": registered["objectId"]}),
        json!({"objectId": "NOBODY"}),
        json!("x"),
        json!({}),
    ] {
        guest_login(
            &server,
            json!({ "accessToken": eve["access_token"], "guestUser": guest_user }),
            &registered_token,
        )
        .assert_fault(faults::INVALID_GUEST);
    }
}

/// An access-token login sent with `token` as its `user-token`.
fn guest_login(server: &App, body: Value, token: &str) -> common::Reply {
    server.request(
        "POST",
        &format!("{APP}/users/social/github/login"),
        &[("content-type", "application/json"), ("user-token", token)],
        Some(&body.to_string()),
    )
}

/// The path and query of an absolute URL on this server.
fn local_path(url: &str, port: u16) -> String {
    url.strip_prefix(&format!("http://127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("not this server: {url}"))
        .to_string()
}

/// Starts a redirect login; the authorization URL.
fn request_url(server: &Local, body: Value) -> String {
    let reply = common::post_json(
        server.port,
        &format!("{APP}/users/oauth/github/request_url"),
        &body,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json().as_str().expect("a JSON string").to_string()
}

#[test]
fn redirect_flow_end_to_end_over_http() {
    let server = Local::start(GITHUB);
    let port = server.port;
    let url = request_url(
        &server,
        json!({
            "fieldsMapping": {"name": "name"}, "permissions": ["read:user", "user:email"],
            "redirectAfterLoginUrl": "http://localhost:5173/app?x=1#old"
        }),
    );
    let callback = format!("http://127.0.0.1:{port}{APP}/users/oauth/github/callback");
    assert!(
        url.starts_with(&format!(
            "http://127.0.0.1:{port}/oauth-provider/github/authorize?redirect_uri={}&state=",
            encode_component(&callback)
        )),
        "{url}"
    );
    assert!(url.ends_with("&scope=read%3Auser%20user%3Aemail"), "{url}");
    // The provider's page, as a person sees it.
    let page = send(port, "GET", &local_path(&url, port), &[], None);
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page
        .body
        .contains("Sign in with github — backendless-emulator local provider"));
    // login_hint: signed in at once.
    let authorize = send(
        port,
        "GET",
        &format!("{}&login_hint=flo%40x.io", local_path(&url, port)),
        &[],
        None,
    );
    assert_eq!(authorize.status, 302, "{}", authorize.body);
    let to_callback = authorize.header("location").unwrap().to_string();
    assert!(
        to_callback.starts_with(&format!("{callback}?code=")),
        "{to_callback}"
    );
    let done = send(port, "GET", &local_path(&to_callback, port), &[], None);
    assert_eq!(done.status, 302, "{}", done.body);
    let location = done.header("location").unwrap();
    // The session joins the query as the hosted service hands it back (the recorded evidence);
    // the page's own query and fragment stay.
    let recorded: Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/real-service/oauth-redirect/landing-query-native-shell.json"
    ))
    .unwrap();
    let names = &recorded["query_parameters"];
    let (id_name, token_name) = (
        names["objectId"].as_str().unwrap(),
        names["user-token"].as_str().unwrap(),
    );
    let query = location
        .strip_prefix("http://localhost:5173/app?x=1&")
        .and_then(|rest| rest.strip_suffix("#old"))
        .unwrap_or_else(|| panic!("{location}"));
    let pairs: Vec<(&str, &str)> = query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap())
        .collect();
    assert_eq!(pairs.len(), 2, "{location}");
    assert_eq!(
        (pairs[0].0, pairs[1].0),
        (id_name, token_name),
        "{location}"
    );
    let (user_id, session) = (pairs[0].1, pairs[1].1);
    assert_eq!(done.header("cache-control"), Some("no-store"));
    assert_eq!(
        send(
            port,
            "GET",
            &format!("{APP}/users/userroles"),
            &[("user-token", session)],
            None
        )
        .body,
        r#"["AuthenticatedUser"]"#
    );
    let user = send(
        port,
        "GET",
        &format!("{APP}/data/Users/{user_id}"),
        &[("user-token", session)],
        None,
    )
    .json();
    assert_eq!(user["email"], "flo@x.io");
    assert_eq!(user["name"], "flo");
    // The code and the state work once.
    let reused = send(port, "GET", &local_path(&to_callback, port), &[], None);
    assert_eq!(reused.status, 400);
    assert!(reused
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(!reused.body.contains(session));
}

#[test]
fn the_form_then_the_token_endpoint_and_a_page_without_redirect_after() {
    let server = Local::start(GITHUB);
    let port = server.port;
    let url = request_url(&server, json!({}));
    let query = url.split_once('?').unwrap().1;
    let form = format!("{query}&email=gus%40x.io&name=Gus+%3Cg%3E");
    let posted = send(
        port,
        "POST",
        "/oauth-provider/github/authorize",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&form),
    );
    assert_eq!(posted.status, 302, "{}", posted.body);
    let location = posted.header("location").unwrap().to_string();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    // The page lists no accounts.
    let page = send(port, "GET", &local_path(&url, port), &[], None);
    assert!(!page.body.contains("gus@x.io"), "{}", page.body);
    assert!(!page.body.contains("Gus"), "{}", page.body);
    // The code exchanged at the token endpoint (then it is spent for the callback too).
    let token = send(
        port,
        "POST",
        "/oauth-provider/github/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&format!("grant_type=authorization_code&code={code}")),
    );
    assert_eq!(token.status, 200, "{}", token.body);
    let token = token.json();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3600);
    let spent = send(port, "GET", &local_path(&location, port), &[], None);
    assert_eq!(spent.status, 400);
    let again = common::post_json(
        port,
        "/oauth-provider/github/token",
        &json!({"grant_type": "authorization_code", "code": code}),
    );
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["error"], "invalid_grant");
    let wrong_grant = common::post_json(
        port,
        "/oauth-provider/github/token",
        &json!({"grant_type": "password"}),
    );
    assert_eq!(wrong_grant.json()["error"], "unsupported_grant_type");
    let login = common::post_json(
        port,
        &format!("{APP}/users/social/github/login"),
        &json!({"accessToken": token["access_token"]}),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.json()["name"], "Gus <g>");

    // Without redirectAfterLoginUrl: a page that names the user and shows no token.
    let url = request_url(&server, json!({}));
    let hinted = send(
        port,
        "GET",
        &format!("{}&login_hint=gus%40x.io", local_path(&url, port)),
        &[],
        None,
    );
    let done = send(
        port,
        "GET",
        &local_path(hinted.header("location").unwrap(), port),
        &[],
        None,
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body
            .contains("Signed in as Gus &lt;g&gt; &lt;gus@x.io&gt;"),
        "{}",
        done.body
    );
    assert!(!done.body.contains("user-token"));
}

#[test]
fn no_open_redirect_and_error_pages() {
    let server = Local::start(GITHUB);
    let port = server.port;
    let url = request_url(&server, json!({"redirect": false}));
    let state = url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    // The provider sends codes only to the callback recorded with the state.
    let evil = encode_component("https://evil.example/cb");
    for query in [
        format!("redirect_uri={evil}&state={state}&login_hint=a%40x.io"),
        format!(
            "redirect_uri={}&state=unknown&login_hint=a%40x.io",
            encode_component(&format!(
                "http://127.0.0.1:{port}{APP}/users/oauth/github/callback"
            ))
        ),
        "login_hint=a%40x.io".to_string(),
    ] {
        let reply = send(
            port,
            "GET",
            &format!("/oauth-provider/github/authorize?{query}"),
            &[],
            None,
        );
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert!(reply.header("location").is_none());
        assert!(reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
    }
    let posted = send(
        port,
        "POST",
        "/oauth-provider/github/authorize",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&format!("redirect_uri={evil}&state={state}&email=a%40x.io")),
    );
    assert_eq!(posted.status, 400);
    // request_url refuses far-away places to send the browser or the session.
    for body in [
        json!({"redirectAfterLoginUrl": "https://evil.example/"}),
        json!({"redirectAfterLoginUrl": "javascript:alert(1)"}),
        json!({"redirectAfterLoginUrl": "http://localhost@evil.example/"}),
        json!({"callbackUrlDomain": "https://evil.example"}),
        json!({"callbackUrlDomain": "http://localhost/path"}),
        json!({"permissions": 5}),
    ] {
        common::post_json(
            port,
            &format!("{APP}/users/oauth/github/request_url"),
            &body,
        )
        .assert_fault(faults::UNPARSABLE_BODY);
    }
    common::post_json(
        port,
        &format!("{APP}/users/oauth/nope/request_url"),
        &json!({}),
    )
    .assert_fault(faults::UNKNOWN_OAUTH_PROVIDER);
    // A callback with an unknown state, or an error from the provider: a 400 page.
    let bad = send(
        port,
        "GET",
        &format!("{APP}/users/oauth/github/callback?code=x&state=y"),
        &[],
        None,
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("Sign-in failed"));
    let denied = send(
        port,
        "GET",
        &format!("{APP}/users/oauth/github/callback?error=access_denied&state={state}"),
        &[],
        None,
    );
    assert_eq!(denied.status, 400);
    assert!(denied.body.contains("access_denied"));
    // callbackUrlDomain naming this machine replaces the callback's scheme and host; redirect:
    // true answers 302.
    let reply = common::post_json(
        port,
        "/api/users/oauth/github/request_url",
        &json!({"callbackUrlDomain": "https://localhost:9443/", "redirect": true}),
    );
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = reply.header("location").unwrap();
    assert!(
        location.contains(&format!(
            "redirect_uri={}",
            encode_component("https://localhost:9443/api/users/oauth/github/callback")
        )),
        "{location}"
    );
}

#[test]
fn provider_accounts_are_bounded() {
    let server = App::start(GITHUB);
    for index in 0..backendless_emulator::provider::MAX_ACCOUNTS {
        let reply = server.post(
            "/oauth-provider/github/accounts",
            &format!(r#"{{"email":"u{index}@x.io"}}"#),
        );
        assert_eq!(reply.status, 200, "{index}: {}", reply.body);
    }
    assert_provider_fault(
        &server.post(
            "/oauth-provider/github/accounts",
            r#"{"email":"one.more@x.io"}"#,
        ),
        faults::SERVER_BUSY,
    );
    // Known accounts still sign in; reset frees the table.
    let known = server.post("/oauth-provider/github/accounts", r#"{"email":"u1@x.io"}"#);
    assert_eq!(known.status, 200);
    assert_eq!(server.post("/__emulator/reset", "").status, 200);
    let after = server.post(
        "/oauth-provider/github/accounts",
        r#"{"email":"one.more@x.io"}"#,
    );
    assert_eq!(after.status, 200);
}
