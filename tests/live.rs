//! The login family against whatever Backendless-compatible server the environment names, with
//! only the public API (no control endpoints): `npm test` runs it against the local server, and
//! the same build runs it against a real Backendless app (README, "Testing against a real
//! Backendless app"). Settings, read when the tests are built:
//!
//! | variable | meaning |
//! |---|---|
//! | `BACKENDLESS_LIVE_URL` | the server URL for `(appId, apiKey)` apps, e.g. `https://api.backendless.com` |
//! | `BACKENDLESS_LIVE_DOMAIN` | or a custom domain, e.g. `https://xxxx.backendless.app` (then no app id or key) |
//! | `BACKENDLESS_LIVE_APP_ID`, `BACKENDLESS_LIVE_API_KEY` | the app's id and JS API key |
//! | `BACKENDLESS_LIVE_LOGIN`, `BACKENDLESS_LIVE_PASSWORD` | an existing test identity; without them each run registers its own user and deletes it afterwards where the app allows |
//!
//! With none set, the suite has nothing to run against and says so.
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::{backendless, user_service};
use common::{get, get_string, json, local_cache_item, resolve, session_map, stringify};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const URL: Option<&str> = option_env!("BACKENDLESS_LIVE_URL");
const DOMAIN: Option<&str> = option_env!("BACKENDLESS_LIVE_DOMAIN");
const APP_ID: &str = match option_env!("BACKENDLESS_LIVE_APP_ID") {
    Some(id) => id,
    None => "",
};
const API_KEY: &str = match option_env!("BACKENDLESS_LIVE_API_KEY") {
    Some(key) => key,
    None => "",
};
const LOGIN: Option<&str> = option_env!("BACKENDLESS_LIVE_LOGIN");
const PASSWORD: Option<&str> = option_env!("BACKENDLESS_LIVE_PASSWORD");

/// The server named by the environment, or `None` (then the suite only says so).
fn configured() -> bool {
    let set = URL.is_some() || DOMAIN.is_some();
    if !set {
        web_sys::console::log_1(&"live: no BACKENDLESS_LIVE_URL or _DOMAIN; nothing to run".into());
    }
    set
}

/// The storage item of the app under test.
fn storage_key() -> String {
    if DOMAIN.is_some() {
        "Backendless".into()
    } else {
        format!("Backendless_{APP_ID}")
    }
}

fn stored_item() -> Option<String> {
    local_cache_item(&storage_key())
}

/// A page load: in-memory state gone, storage kept, the SDK initialised for the live app.
fn reload() {
    match DOMAIN {
        Some(domain) => backendless::init_app(domain.into(), JsValue::UNDEFINED).unwrap(),
        None => {
            backendless::set_server_url(URL.unwrap_or_default().into()).unwrap();
            backendless::init_app(APP_ID.into(), API_KEY.into()).unwrap();
        }
    }
}

fn fresh_page() {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
    reload();
}

/// The test identity: the given one, or a fresh user registered through the SDK (its objectId
/// returned for the clean-up).
async fn identity() -> (String, String, Option<String>) {
    if let (Some(login), Some(password)) = (LOGIN, PASSWORD) {
        return (login.into(), password.into(), None);
    }
    let n = (js_sys::Math::random() * 1e12) as u64;
    let email = format!("backendless-wasm-live-{n}@example.com");
    let password = format!("live-{n}-Pw!");
    let user = json(&format!(
        r#"{{"email":"{email}","password":"{password}","name":"backendless-wasm live test"}}"#
    ));
    let created = resolve(user_service::register(user, JsValue::UNDEFINED))
        .await
        .unwrap_or_else(|e| panic!("live: register failed: {:?}", get_string(&e, "message")));
    assert!(
        get(&created, "user-token").is_undefined(),
        "register does not log in"
    );
    (email, password, get_string(&created, "objectId"))
}

/// Deletes a user this run registered, with its own session, where the app's permissions allow;
/// says so where they do not.
async fn remove(object_id: &str, token: &str) {
    let base = match DOMAIN {
        Some(domain) => format!("{domain}/api"),
        None => format!("{}/{APP_ID}/{API_KEY}", URL.unwrap_or_default()),
    };
    let answer = gloo_net::http::Request::delete(&format!("{base}/data/Users/{object_id}"))
        .header("user-token", token)
        .send()
        .await;
    let status = answer.as_ref().map(|r| r.status()).unwrap_or(0);
    if !(200..300).contains(&status) {
        web_sys::console::log_1(
            &format!("live: the test user {object_id} could not be removed (HTTP {status}); remove it by hand").into(),
        );
    }
}

fn name_of(error: &JsValue) -> Option<String> {
    get_string(error, "name")
}

#[wasm_bindgen_test]
async fn a_whole_session_on_the_live_server() {
    if !configured() {
        return;
    }
    fresh_page();
    let (login, password, registered) = identity().await;

    let user = resolve(user_service::login(
        login.clone().into(),
        password.clone().into(),
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_or_else(|e| panic!("live login: {:?}", get_string(&e, "message")));
    let token = get_string(&user, "user-token").expect("a user-token");
    let id = get_string(&user, "objectId").expect("an objectId");
    assert!(
        get(&user, "password").is_undefined(),
        "no password in the answer"
    );
    assert_eq!(stored_item(), Some(session_map(&token, &id)));
    assert_eq!(
        resolve(user_service::is_valid_login(JsValue::UNDEFINED))
            .await
            .unwrap(),
        JsValue::TRUE
    );

    // A reload: the user comes back from data/Users/{id} with the stored token.
    reload();
    let restored = resolve(user_service::get_current_user(
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(get_string(&restored, "objectId"), Some(id.clone()));
    assert_eq!(get_string(&restored, "user-token"), Some(token.clone()));

    resolve(user_service::logout(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(stored_item().as_deref(), Some("{}"));

    // The ended token, put back as if another client still had it: the server says it is
    // dead, and the stale session is cleared instead of answering a user.
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .set_item(&storage_key(), &session_map(&token, &id))
        .unwrap();
    reload();
    let stale = resolve(user_service::get_current_user(
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert!(stale.is_null(), "a dead token restores nobody");
    assert_eq!(stored_item().as_deref(), Some("{}"));

    if let Some(object_id) = registered {
        let again = resolve(user_service::login(
            login.into(),
            password.into(),
            false.into(),
            JsValue::UNDEFINED,
        ))
        .await
        .unwrap();
        remove(&object_id, &get_string(&again, "user-token").unwrap()).await;
    }
}

#[wasm_bindgen_test]
async fn a_wrong_password_is_3003_with_the_service_body() {
    if !configured() {
        return;
    }
    fresh_page();
    let login = LOGIN.map_or_else(
        || "nobody-backendless-wasm@example.com".to_string(),
        String::from,
    );
    let error = resolve(user_service::login(
        login.into(),
        "certainly not the password".into(),
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(name_of(&error).as_deref(), Some("BackendlessError"));
    assert_eq!(get(&error, "code").as_f64(), Some(3003.0));
    assert_eq!(get(&error, "statusCode").as_f64(), Some(3003.0));
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
    assert_eq!(
        get_string(&error, "message").as_deref(),
        Some("Invalid login or password")
    );
    let body = get(&error, "body");
    assert_eq!(
        get(&body, "code").as_f64(),
        Some(3003.0),
        "{}",
        stringify(&body)
    );
    assert_eq!(stored_item(), None, "a failed login writes nothing");
}

#[wasm_bindgen_test]
async fn a_wrong_app_key_is_2002() {
    if !configured() || DOMAIN.is_some() {
        return;
    }
    fresh_page();
    backendless::init_app(APP_ID.into(), "NOT-THE-API-KEY".into()).unwrap();
    let error = resolve(user_service::login(
        "a@b.c".into(),
        "pw".into(),
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_err();
    assert_eq!(name_of(&error).as_deref(), Some("BackendlessError"));
    assert_eq!(get(&error, "code").as_f64(), Some(2002.0));
}
