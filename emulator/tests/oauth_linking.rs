//! Attempts to get into someone else's account through the OAuth flows and the local identity
//! provider. Each test performs the attack and checks that the attacker's session does not reach
//! the victim's account and that nothing of the attempt is left in storage.

mod common;

use backendless_emulator::protocol::faults;
use common::{token_of, App, Client, Reply, APP};
use serde_json::{json, Value};

const PROVIDERS: &[&str] = &["--oauth-provider", "github", "--oauth-provider", "gitlab"];

/// A fake account at `provider` (created as a tool would, with no Origin) and an access token.
fn provider_account(server: &App, provider: &str, email: &str, name: &str) -> Value {
    let reply = server.post(
        &format!("/oauth-provider/{provider}/accounts"),
        &json!({ "email": email, "name": name }).to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn oauth_login(server: &App, provider: &str, body: Value, token: Option<&str>) -> Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(token) = token {
        headers.push(("user-token", token));
    }
    server.request(
        "POST",
        &format!("{APP}/users/social/{provider}/login"),
        &headers,
        Some(&body.to_string()),
    )
}

/// The account as its owner reads it.
fn own_account(server: &App, user: &Value, token: &str) -> Value {
    let id = user["objectId"].as_str().expect("objectId");
    let reply = server.get_with_token(&format!("{APP}/data/Users/{id}"), token);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn no_links(user: &Value) -> bool {
    user["oAuthIdentities"].is_null() || user["oAuthIdentities"] == json!([])
}

fn guest(server: &App) -> (Value, String) {
    let guest = server
        .post(&format!("{APP}/users/register/guest"), "")
        .json();
    let token = token_of(&guest);
    (guest, token)
}

/// A redirect sign-in started by `request_url` with `body`: the authorization URL's path and query.
fn start_redirect(server: &App, provider: &str, body: Value) -> Reply {
    server.post(
        &format!("{APP}/users/oauth/{provider}/request_url"),
        &body.to_string(),
    )
}

fn local(url: &str) -> &str {
    url.strip_prefix("http://127.0.0.1")
        .unwrap_or_else(|| panic!("not this server: {url}"))
}

#[test]
fn fields_mapping_cannot_choose_the_account_a_sign_in_lands_on() {
    let server = App::start(PROVIDERS);
    let victim = server.register("victim@x.io", "victim-pw");
    // The attacker's provider account: their own address, the victim's as free-text display name.
    let attacker = provider_account(&server, "github", "attacker@x.io", "victim@x.io");
    let reply = oauth_login(
        &server,
        "github",
        json!({ "accessToken": attacker["access_token"], "fieldsMapping": {"name": "email"} }),
        None,
    );
    assert_ne!(
        reply.json()["objectId"],
        victim["objectId"],
        "the attacker's session is the victim's account: {}",
        reply.body
    );
    reply.assert_fault(faults::UNPARSABLE_BODY);
    // The redirect flow takes the same mapping at request_url.
    start_redirect(
        &server,
        "github",
        json!({ "fieldsMapping": {"name": "email"}, "redirect": false }),
    )
    .assert_fault(faults::UNPARSABLE_BODY);
    // The victim's account is as it was: no link, the password still works.
    let session = server.login("victim@x.io", "victim-pw");
    assert_eq!(session["objectId"], victim["objectId"]);
    assert!(no_links(&own_account(
        &server,
        &victim,
        &token_of(&session)
    )));
    // The attacker still signs in, as a new account of their own, properties mapped as asked.
    let own = oauth_login(
        &server,
        "github",
        json!({ "accessToken": attacker["access_token"], "fieldsMapping": {"name": "nickname"} }),
        None,
    );
    assert_eq!(own.status, 200, "{}", own.body);
    let own = own.json();
    assert_ne!(own["objectId"], victim["objectId"]);
    assert_eq!(own["email"], "attacker@x.io");
    assert_eq!(own["nickname"], "victim@x.io");
}

#[test]
fn a_refused_sign_in_leaves_no_link_on_the_guest_holding_the_email() {
    let server = App::start(PROVIDERS);
    let owner = provider_account(&server, "github", "owner@x.io", "Owner");
    // The attacker's guest takes the owner's address before the owner ever signs in.
    let (squatter, squatter_token) = guest(&server);
    let squatter_id = squatter["objectId"].as_str().unwrap();
    let put = server.request(
        "PUT",
        &format!("{APP}/users/{squatter_id}"),
        &[
            ("content-type", "application/json"),
            ("user-token", &squatter_token),
        ],
        Some(r#"{"email":"owner@x.io"}"#),
    );
    if put.status != 200 {
        // However a guest comes to hold the address, the sign-in must not leave a link on it.
        server
            .state
            .auth
            .store()
            .update_user(squatter_id, |user| {
                user.email = Some("owner@x.io".into());
                Ok::<(), backendless_emulator::store::StoreError>(())
            })
            .unwrap();
    }
    // The owner's sign-in is refused (the address is a guest's)…
    oauth_login(
        &server,
        "github",
        json!({ "accessToken": owner["access_token"] }),
        None,
    )
    .assert_fault(faults::INVALID_GUEST);
    // …and leaves nothing on the guest.
    assert!(
        no_links(&own_account(&server, &squatter, &squatter_token)),
        "the refused sign-in linked the owner's provider account to the guest"
    );
    // The guest becomes a registered account under another address.
    let converted = server.request(
        "POST",
        &format!("{APP}/users/register"),
        &[
            ("content-type", "application/json"),
            ("user-token", &squatter_token),
        ],
        Some(
            &json!({"objectId": squatter_id, "email": "squatter@x.io", "password": "pw"})
                .to_string(),
        ),
    );
    assert_eq!(converted.status, 200, "{}", converted.body);
    // The owner's next sign-in lands on an account of the owner's own, not the attacker's.
    let reply = oauth_login(
        &server,
        "github",
        json!({ "accessToken": owner["access_token"] }),
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let signed_in = reply.json();
    assert_ne!(
        signed_in["objectId"], squatter["objectId"],
        "the owner's sign-in landed on the attacker's account"
    );
    assert_eq!(signed_in["email"], "owner@x.io");
    // The attacker's session cannot read it.
    let peek = server.get_with_token(
        &format!(
            "{APP}/data/Users/{}",
            signed_in["objectId"].as_str().unwrap()
        ),
        &squatter_token,
    );
    peek.assert_error(404, 1000);
}

#[test]
fn an_oauth_login_cannot_convert_someone_elses_guest() {
    let server = App::start(PROVIDERS);
    let (victim, victim_token) = guest(&server);
    let (_, attacker_guest_token) = guest(&server);
    let attacker = provider_account(&server, "github", "attacker@x.io", "Attacker");
    let body = json!({ "accessToken": attacker["access_token"], "guestUser": {"objectId": victim["objectId"]} });
    // Without a token, with the attacker's own guest session, with a stale token: refused as
    // register refuses it.
    for token in [
        None,
        Some(attacker_guest_token.as_str()),
        Some("F".repeat(36).as_str()),
    ] {
        let reply = oauth_login(&server, "github", body.clone(), token);
        assert_ne!(
            reply.json()["objectId"],
            victim["objectId"],
            "the attacker took over the victim's guest ({token:?})"
        );
        reply.assert_fault(faults::INVALID_GUEST);
    }
    // The victim is still a guest of its own, nothing linked, nothing created.
    assert_eq!(
        server
            .get_with_token(&format!("{APP}/users/userroles"), &victim_token)
            .json(),
        json!(["GuestUser"])
    );
    let stored = own_account(&server, &victim, &victim_token);
    assert!(no_links(&stored));
    assert!(stored["email"].is_null());
    assert!(!server
        .state
        .auth
        .store()
        .identity_exists("attacker@x.io")
        .unwrap());
    // With the guest's own session it converts.
    let own = provider_account(&server, "github", "victim@x.io", "Victim");
    let reply = oauth_login(
        &server,
        "github",
        json!({ "accessToken": own["access_token"], "guestUser": {"objectId": victim["objectId"]} }),
        Some(&victim_token),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["objectId"], victim["objectId"]);
}

#[test]
fn a_provider_sign_in_never_lands_on_a_password_account_of_its_email() {
    let server = App::start(PROVIDERS);
    let victim = server.register("victim@x.io", "victim-pw");
    // Anyone can have the local provider vouch for any address.
    let claimed = provider_account(&server, "github", "victim@x.io", "Not the victim");
    let reply = oauth_login(
        &server,
        "github",
        json!({ "accessToken": claimed["access_token"] }),
        None,
    );
    assert_ne!(
        reply.json()["objectId"],
        victim["objectId"],
        "the provider token logged into the password account"
    );
    reply.assert_fault(faults::ACCOUNT_NOT_LINKED);
    // The redirect flow: the callback refuses the same way and hands out no session.
    let url = start_redirect(
        &server,
        "github",
        json!({"redirectAfterLoginUrl": "http://localhost:5173/app", "redirect": false}),
    )
    .json();
    let authorize = server.get(&format!(
        "{}&login_hint=victim%40x.io",
        local(url.as_str().unwrap())
    ));
    assert_eq!(authorize.status, 302, "{}", authorize.body);
    let done = server.get(local(authorize.header("location").unwrap()));
    assert_eq!(done.status, 409, "{}", done.body);
    assert!(done.header("location").is_none());
    assert!(done.body.contains("3213"), "{}", done.body);
    // The victim's account: no link; its password still works.
    let session = server.login("victim@x.io", "victim-pw");
    assert!(no_links(&own_account(
        &server,
        &victim,
        &token_of(&session)
    )));
}

#[test]
fn an_account_linked_to_the_provider_signs_in_again_after_the_provider_forgot_it() {
    let server = App::start(PROVIDERS);
    let first = provider_account(&server, "github", "carol@x.io", "Carol");
    let user = oauth_login(
        &server,
        "github",
        json!({ "accessToken": first["access_token"] }),
        None,
    )
    .json();
    // A restart on a database file: the provider's accounts are gone, the links stay; the same
    // address at the same provider comes back with a new id.
    server.state.provider.clear();
    let again = provider_account(&server, "github", "carol@x.io", "Carol");
    assert_ne!(again["id"], first["id"]);
    let reply = oauth_login(
        &server,
        "github",
        json!({ "accessToken": again["access_token"] }),
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["objectId"], user["objectId"]);
    // Another provider vouching for the address is not that account's consent.
    let other = provider_account(&server, "gitlab", "carol@x.io", "Carol");
    oauth_login(
        &server,
        "gitlab",
        json!({ "accessToken": other["access_token"] }),
        None,
    )
    .assert_fault(faults::ACCOUNT_NOT_LINKED);
}

/// A page on another site: what a browser adds to its requests.
const EVIL_ORIGIN: &[(&str, &str)] = &[
    ("origin", "https://evil.example"),
    ("sec-fetch-site", "cross-site"),
];

#[test]
fn a_page_on_another_site_cannot_use_the_local_provider() {
    let server = App::start(PROVIDERS);
    // Minting a token for any address, from a script on another site.
    let mut headers = vec![("content-type", "application/json")];
    headers.extend_from_slice(EVIL_ORIGIN);
    let minted = server.request(
        "POST",
        "/oauth-provider/github/accounts",
        &headers,
        Some(r#"{"email":"victim@x.io"}"#),
    );
    assert_eq!(minted.status, 403, "{}", minted.body);
    assert!(minted.header("access-control-allow-origin").is_none());
    assert!(!minted.body.contains("access_token"));
    assert!(server.state.provider.accounts("github").is_empty());
    // No CORS allowance for it either: the preflight grants nothing.
    let preflight = server.request(
        "OPTIONS",
        "/oauth-provider/github/accounts",
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        None,
    );
    assert!(
        preflight.header("access-control-allow-origin").is_none(),
        "{:?}",
        preflight.headers
    );
    // Login CSRF from the provider side: the attacker starts a sign-in (anyone can) and has the
    // victim's browser auto-submit the provider's form with the attacker's account.
    let url = start_redirect(
        &server,
        "github",
        json!({"redirectAfterLoginUrl": "http://localhost:5173/app", "redirect": false}),
    )
    .json();
    let query = url.as_str().unwrap().split_once('?').unwrap().1.to_string();
    let form = format!("{query}&email=attacker%40x.io");
    let cross_site: [&[(&str, &str)]; 4] = [
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
        &[("origin", "null"), ("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "cross-site")],
    ];
    for extra in cross_site {
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        headers.extend_from_slice(extra);
        let posted = server.request(
            "POST",
            "/oauth-provider/github/authorize",
            &headers,
            Some(&form),
        );
        assert_eq!(posted.status, 403, "{extra:?}: {}", posted.body);
        assert!(posted.header("location").is_none(), "{extra:?}");
    }
    // A cross-site navigation with login_hint shows the page instead of signing in at once.
    let hinted = server.request(
        "GET",
        &format!(
            "{}&login_hint=attacker%40x.io",
            local(url.as_str().unwrap())
        ),
        &[("sec-fetch-site", "cross-site")],
        None,
    );
    assert_eq!(hinted.status, 200, "{}", hinted.body);
    assert!(hinted.header("location").is_none());
    assert!(server.state.provider.accounts("github").is_empty());
    // The provider's own page still signs in (same origin), also as Chromium posts its form:
    // the page says `Referrer-Policy: no-referrer`, so its Origin is `null`, and only Fetch
    // metadata, which no page can set, says where the form was.
    for own_page in [
        [
            ("origin", "http://127.0.0.1"),
            ("sec-fetch-site", "same-origin"),
        ],
        [("origin", "null"), ("sec-fetch-site", "same-origin")],
    ] {
        let url = start_redirect(
            &server,
            "github",
            json!({"redirectAfterLoginUrl": "http://localhost:5173/app", "redirect": false}),
        )
        .json();
        let query = url.as_str().unwrap().split_once('?').unwrap().1.to_string();
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        headers.extend_from_slice(&own_page);
        let own = server.request(
            "POST",
            "/oauth-provider/github/authorize",
            &headers,
            Some(&format!("{query}&email=someone%40x.io")),
        );
        assert_eq!(own.status, 302, "{own_page:?}: {}", own.body);
    }
}

#[test]
fn the_sign_in_page_lists_no_accounts() {
    let server = App::start(PROVIDERS);
    provider_account(&server, "github", "secret.person@x.io", "Secret Person");
    // Anyone can start a sign-in and open the page.
    let url = start_redirect(&server, "github", json!({"redirect": false})).json();
    let page = server.get(local(url.as_str().unwrap()));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("secret.person"), "{}", page.body);
    assert!(!page.body.contains("Secret Person"), "{}", page.body);
    // Typing the address signs in as that account.
    let query = url.as_str().unwrap().split_once('?').unwrap().1.to_string();
    let posted = server.request(
        "POST",
        "/oauth-provider/github/authorize",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&format!("{query}&email=secret.person%40x.io")),
    );
    assert_eq!(posted.status, 302, "{}", posted.body);
    let done = server.get(local(posted.header("location").unwrap()));
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Secret Person"), "{}", done.body);
}
