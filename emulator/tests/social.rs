//! The official client's social logins beyond `loginWithOauth2`: `loginWithOauth1` (a token and
//! its secret), `loginWithFacebookSdk` / `loginWithGooglePlusSdk` (`users/social/{code}/sdk/login`)
//! and the popup logins (`users/social/oauth/{type}/request_url`, ending on a page that posts the
//! session to the window that opened it — and only to the origin that started the sign-in).

mod common;

use backendless_emulator::protocol::{faults, paths};
use common::{token_of, App, Client, Reply, APP};
use serde_json::{json, Value};

const PROVIDERS: &[&str] = &[
    "--oauth-provider",
    "twitter",
    "--oauth-provider",
    "facebook",
    "--oauth-provider",
    "googleplus",
];

fn account(app: &App, provider: &str, email: &str, oauth1: bool) -> Value {
    let reply = app.post(
        &format!("/oauth-provider/{provider}/accounts"),
        &json!({ "email": email, "name": "N", "oauth1": oauth1 }).to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn social(app: &App, template: &str, provider: &str, body: Value) -> Reply {
    app.post(
        &format!("{APP}/{}", template.replace("{}", provider)),
        &body.to_string(),
    )
}

#[test]
fn oauth1_logins_need_the_tokens_own_secret() {
    let app = App::start(PROVIDERS);
    let twitter = account(&app, "twitter", "tw@x.io", true);
    let token = twitter["access_token"].as_str().unwrap();
    let secret = twitter["access_token_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    let login = |secret: Value| {
        social(
            &app,
            paths::OAUTH_LOGIN,
            "twitter",
            json!({ "accessToken": token, "accessTokenSecret": secret, "fieldsMapping": {"name": "name"} }),
        )
    };
    let reply = login(json!(secret));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = reply.json();
    assert_eq!(user["email"], "tw@x.io");
    assert_eq!(user["___class"], "Users");
    assert!(user.get("password").is_none());
    assert!(app.is_valid(&token_of(&user)));
    // A wrong secret, or none, is a bad token (as a bad OAuth2 token is).
    login(json!("0".repeat(64))).assert_fault(faults::INVALID_OAUTH_TOKEN);
    social(
        &app,
        paths::OAUTH_LOGIN,
        "twitter",
        json!({ "accessToken": token }),
    )
    .assert_fault(faults::INVALID_OAUTH_TOKEN);
    login(json!("")).assert_fault(faults::MISSING_PARAMETER);
    login(json!(5)).assert_error(400, 8002);
    // An OAuth2 token with a secret is refused too.
    let bearer = account(&app, "twitter", "tw@x.io", false);
    assert!(bearer.get("access_token_secret").is_none());
    social(
        &app,
        paths::OAUTH_LOGIN,
        "twitter",
        json!({ "accessToken": bearer["access_token"], "accessTokenSecret": secret }),
    )
    .assert_fault(faults::INVALID_OAUTH_TOKEN);
    // The same linking rules: the same provider account is the same user.
    let again = account(&app, "twitter", "tw@x.io", true);
    let reply = social(
        &app,
        paths::OAUTH_LOGIN,
        "twitter",
        json!({ "accessToken": again["access_token"], "accessTokenSecret": again["access_token_secret"] }),
    );
    assert_eq!(reply.json()["objectId"], user["objectId"]);
}

#[test]
fn an_oauth1_login_does_not_take_over_an_unlinked_account() {
    let app = App::start(PROVIDERS);
    app.register("owner@x.io", "pw-owner");
    let twitter = account(&app, "twitter", "owner@x.io", true);
    social(
        &app,
        paths::OAUTH_LOGIN,
        "twitter",
        json!({ "accessToken": twitter["access_token"], "accessTokenSecret": twitter["access_token_secret"] }),
    )
    .assert_fault(faults::ACCOUNT_NOT_LINKED);
}

#[test]
fn facebook_and_google_sdk_logins_are_access_token_logins() {
    let app = App::start(PROVIDERS);
    for provider in ["facebook", "googleplus"] {
        let email = format!("{provider}@x.io");
        let minted = account(&app, provider, &email, false);
        let reply = social(
            &app,
            paths::SOCIAL_SDK_LOGIN,
            provider,
            json!({ "accessToken": minted["access_token"], "fieldsMapping": {"email": "email"} }),
        );
        assert_eq!(reply.status, 200, "{provider}: {}", reply.body);
        assert_eq!(reply.json()["email"], email.as_str());
        assert!(!token_of(&reply.json()).is_empty());
        // Another provider's token is no token here.
        social(
            &app,
            paths::SOCIAL_SDK_LOGIN,
            if provider == "facebook" {
                "googleplus"
            } else {
                "facebook"
            },
            json!({ "accessToken": minted["access_token"] }),
        )
        .assert_fault(faults::INVALID_OAUTH_TOKEN);
    }
    // Not enabled: 3210.
    App::start(&[])
        .post(
            &format!(
                "{APP}/{}",
                paths::SOCIAL_SDK_LOGIN.replace("{}", "facebook")
            ),
            r#"{"accessToken":"x"}"#,
        )
        .assert_fault(faults::UNKNOWN_OAUTH_PROVIDER);
}

/// Starts a popup login from a page of `origin` (none: no Origin header); the authorization URL's
/// path and query.
fn start_popup(app: &App, provider: &str, origin: Option<&str>) -> String {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(origin) = origin {
        headers.push(("origin", origin));
    }
    let reply = app.request(
        "POST",
        &format!(
            "{APP}/{}",
            paths::SOCIAL_REQUEST_URL.replace("{}", provider)
        ),
        &headers,
        Some(r#"{"fieldsMapping": {}, "permissions": ["email"]}"#),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let url = reply.json().as_str().expect("a JSON string").to_string();
    let path = url
        .strip_prefix("http://127.0.0.1")
        .expect("this server's provider page")
        .to_string();
    assert!(
        path.starts_with(&format!("/oauth-provider/{provider}/authorize?")),
        "{url}"
    );
    assert!(
        path.contains(
            "redirect_uri=http%3A%2F%2F127.0.0.1%2FLOCAL-APP-ID%2FLOCAL-API-KEY%2Fusers%2Foauth%2F"
        ),
        "the callback is this server's: {path}"
    );
    path
}

/// Signs in as `email` at the provider's page and follows the redirect to the end page.
fn finish_popup(app: &App, authorize: &str, email: &str) -> Reply {
    let signed = app.get(&format!(
        "{authorize}&login_hint={}",
        email.replace('@', "%40")
    ));
    assert_eq!(signed.status, 302, "{}", signed.body);
    let callback = signed.header("location").expect("a redirect").to_string();
    let callback = callback
        .strip_prefix("http://127.0.0.1")
        .unwrap_or(&callback);
    app.get(callback)
}

/// The two arguments of the end page's `postMessage(…)` call: the message text and the target.
fn posted(page: &Reply) -> Option<(String, String)> {
    let call = page.body.split("postMessage(").nth(1)?;
    let arguments = call.split(");").next()?;
    let parsed: Vec<Value> = serde_json::from_str(&format!("[{arguments}]")).ok()?;
    match parsed.as_slice() {
        [Value::String(message), Value::String(target)] => Some((message.clone(), target.clone())),
        _ => None,
    }
}

#[test]
fn a_popup_login_posts_the_session_to_the_origin_that_started_it() {
    let app = App::start(PROVIDERS);
    let authorize = start_popup(&app, "twitter", Some("http://app-a.localhost:5173"));
    let page = finish_popup(&app, &authorize, "pop@x.io");
    assert_eq!(page.status, 200, "{}", page.body);
    let (message, target) = posted(&page).expect("a postMessage call");
    assert_eq!(target, "http://app-a.localhost:5173");
    let user: Value = serde_json::from_str(&message).unwrap();
    assert_eq!(user["email"], "pop@x.io");
    assert_eq!(user["___class"], "Users");
    assert!(user.get("password").is_none());
    assert!(app.is_valid(&token_of(&user)));
    // The inline script runs by its nonce only; the page is not framed or cached.
    let policy = page.header("content-security-policy").unwrap();
    let scripts = policy
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src"))
        .expect("a script-src directive");
    let nonce = scripts
        .strip_prefix("script-src 'nonce-")
        .and_then(|rest| rest.strip_suffix('\''))
        .expect("the nonce alone");
    assert!(nonce.len() >= 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(page.body.contains(&format!("<script nonce=\"{nonce}\">")));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
}

/// The attack: site B opens the popup with a sign-in URL that page A started (or B starts one
/// with its own request, which carries B's Origin). The end page of A's sign-in targets A only:
/// a window of B that opened it receives nothing, whatever B does; never `*`.
#[test]
fn a_popup_started_by_one_origin_never_posts_to_another() {
    let app = App::start(PROVIDERS);
    let a = "http://app-a.localhost:5173";
    let b = "https://evil.example";
    for _ in 0..3 {
        let authorize = start_popup(&app, "facebook", Some(a));
        // B navigates the victim's popup to A's URL (with its own Referer, Sec-Fetch-Site).
        let signed = app.request(
            "GET",
            &format!("{authorize}&login_hint=victim%40x.io"),
            &[
                ("referer", "https://evil.example/"),
                ("sec-fetch-site", "none"),
            ],
            None,
        );
        let callback = signed.header("location").expect("a redirect").to_string();
        let page = app.request(
            "GET",
            callback.strip_prefix("http://127.0.0.1").unwrap(),
            &[("origin", b), ("referer", "https://evil.example/")],
            None,
        );
        let (_, target) = posted(&page).expect("a postMessage call");
        assert_eq!(target, a);
        assert!(!page.body.contains("evil.example"), "{}", page.body);
        assert_eq!(page.body.matches("postMessage(").count(), 1);
        assert!(!page.body.contains("\"*\""), "never any origin");
    }
    // B's own sign-in posts to B, and A's page never gets it.
    let page = finish_popup(&app, &start_popup(&app, "facebook", Some(b)), "b@x.io");
    assert_eq!(posted(&page).unwrap().1, b);
}

#[test]
fn a_popup_without_an_origin_posts_nothing() {
    let app = App::start(PROVIDERS);
    for origin in [
        None,
        Some("null"),
        Some("not an origin"),
        Some("http://a.localhost/path"),
    ] {
        let page = finish_popup(&app, &start_popup(&app, "googleplus", origin), "no@x.io");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(posted(&page).is_none(), "{origin:?}: {}", page.body);
        assert!(!page.body.contains("<script"), "{}", page.body);
        assert!(page.body.contains("without an Origin header"));
        assert!(!page.body.contains("user-token"), "no session on the page");
    }
}

#[test]
fn a_failed_popup_login_posts_a_fault() {
    let app = App::start(PROVIDERS);
    app.register("taken@x.io", "pw-taken");
    let authorize = start_popup(&app, "twitter", Some("http://localhost:8080"));
    let page = finish_popup(&app, &authorize, "taken@x.io");
    let (message, target) = posted(&page).expect("a postMessage call");
    assert_eq!(target, "http://localhost:8080");
    let fault: Value = serde_json::from_str(&message).unwrap();
    assert_eq!(
        fault,
        json!({ "fault": faults::ACCOUNT_NOT_LINKED.message })
    );
    // The provider's refusal too.
    let authorize = start_popup(&app, "twitter", Some("http://localhost:8080"));
    let state = authorize
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let page = app.get(&format!(
        "{APP}/users/oauth/twitter/callback?state={state}&error=access_denied"
    ));
    let (message, _) = posted(&page).expect("a postMessage call");
    assert!(serde_json::from_str::<Value>(&message).unwrap()["fault"]
        .as_str()
        .unwrap()
        .contains("access_denied"));
}

#[test]
fn popup_request_urls_count_against_the_oauth_start_allowance_and_need_a_provider() {
    let app = App::start(&[
        "--oauth-provider",
        "twitter",
        "--oauth-starts-per-minute",
        "1",
    ]);
    start_popup(&app, "twitter", Some("http://localhost:1"));
    let reply = app.post(
        &format!(
            "{APP}/{}",
            paths::SOCIAL_REQUEST_URL.replace("{}", "twitter")
        ),
        "{}",
    );
    assert_eq!(reply.status, 429);
    App::start(&[])
        .post(
            &format!(
                "{APP}/{}",
                paths::SOCIAL_REQUEST_URL.replace("{}", "twitter")
            ),
            "{}",
        )
        .assert_fault(faults::UNKNOWN_OAUTH_PROVIDER);
}
