//! The Rust API (`--features rust-api`), in a real browser against the real local server: every
//! call, its typed answers and errors, the session listener, the cache, and a page that mixes
//! Rust and JavaScript on one session (the JavaScript side is the exports the entry module
//! calls, as in the other suites).
#![cfg(all(target_arch = "wasm32", feature = "rust-api"))]

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use backendless_wasm::js::backendless::{read, Read};
use backendless_wasm::js::user_service;
use backendless_wasm::protocol::faults;
use backendless_wasm::rust_api::{App, Config, Error, LocalCache, NewUser, User};
use common::hold::*;
use common::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = "
export function dispatch_storage_event(key, newValue) {
  window.dispatchEvent(new StorageEvent('storage', { key, newValue, storageArea: window.localStorage }));
}
export function page_locale() {
  return (navigator.languages?.[0] || navigator.language || '').slice(0, 2).toLowerCase() || undefined;
}")]
extern "C" {
    /// What the page sees when another tab writes `key`.
    fn dispatch_storage_event(key: &str, new_value: Option<String>);
    /// `UserService.Utils.getClientUserLocale()` of npm/api.js (WebKitGTK under Xvfb says "c",
    /// from the POSIX locale).
    fn page_locale() -> Option<String>;
}

/// A fresh page, set up through the Rust API.
fn app() -> App {
    fresh_page();
    App::init(Config::new(APP_ID, API_KEY).server_url(SERVER)).expect("init")
}

/// A registered user's email (straight on the server).
async fn registered() -> (String, String) {
    let email = unique_email();
    let id = register_user(&email, PASSWORD).await;
    (email, id)
}

#[wasm_bindgen_test]
async fn login_answers_a_typed_user_and_stores_the_official_map() {
    let app = app();
    let (email, id) = registered().await;
    clear_requests().await;

    let user = app.login(&email, PASSWORD, true).await.unwrap();

    assert_eq!(user.object_id, id);
    assert_eq!(user.email.as_deref(), Some(email.as_str()));
    assert_eq!(user.user_status.as_deref(), Some("ENABLED"));
    assert!(user.created.is_some() && user.last_login.is_some());
    assert!(!user.properties.contains_key("password"));
    assert!(
        !user.properties.contains_key("objectId"),
        "known fields leave the map"
    );
    let token = user.user_token.clone().expect("user-token");
    assert_eq!(stored_item(), Some(session_map(&token, &id)));
    assert_eq!(app.current_user_token(), Some(token));
    assert_eq!(app.current_user_id(), Some(id));
    let request = single_request("POST", &format!("{}/users/login", base_path())).await;
    assert_eq!(
        stringify(&get(&request, "body")),
        format!(r#"{{"login":"{email}","password":"[redacted]"}}"#)
    );
}

#[wasm_bindgen_test]
async fn login_without_stay_logged_in_keeps_the_session_in_memory_only() {
    let app = app();
    let (email, _) = registered().await;
    app.login(&email, PASSWORD, true).await.unwrap();

    let user = app.login(&email, PASSWORD, false).await.unwrap();

    assert_eq!(stored_item().as_deref(), Some("{}"));
    assert_eq!(app.current_user_token(), user.user_token);
}

#[wasm_bindgen_test]
async fn a_wrong_password_is_a_typed_backendless_error_and_changes_nothing() {
    let app = app();
    let (email, _) = registered().await;
    let user = app.login(&email, PASSWORD, true).await.unwrap();
    let stored = stored_item();

    let error = app
        .login(&email, "not the password", true)
        .await
        .unwrap_err();

    assert!(
        matches!(
            &error,
            Error::Backendless { code: Some(3003), status: 401, message } if message == "Invalid login or password"
        ),
        "{error:?}"
    );
    assert_eq!(error.name(), "BackendlessError");
    assert_eq!((error.code(), error.status()), (Some(3003), Some(401)));
    assert_eq!(
        error.to_string(),
        "BackendlessError: Invalid login or password (code 3003, HTTP 401)"
    );
    assert_eq!(app.current_user_token(), user.user_token);
    assert_eq!(stored_item(), stored);
}

#[wasm_bindgen_test]
async fn an_empty_password_is_refused_before_any_request() {
    let app = app();
    clear_requests().await;

    let error = app
        .login("someone@example.com", "", true)
        .await
        .unwrap_err();

    let expected = faults::EMPTY_LOGIN_OR_PASSWORD;
    assert_eq!(
        error,
        Error::Argument {
            code: Some(expected.code),
            message: expected.message.into()
        }
    );
    assert_eq!(error.name(), "TypeError");
    assert!(requests().await.is_empty());
}

#[wasm_bindgen_test]
async fn an_unreachable_server_is_a_network_error() {
    fresh_page();
    let app = App::init(Config::new(APP_ID, API_KEY).server_url(DEAD_SERVER)).unwrap();

    let error = app
        .login("someone@example.com", PASSWORD, true)
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    assert_eq!(error.name(), "NetworkError");
    assert_eq!(app.current_user_token(), None);
    fresh_page();
}

#[wasm_bindgen_test]
async fn a_call_past_its_timeout_is_a_timeout_error() {
    let app = app();
    let (email, _) = registered().await;
    control("POST", "hold").await;

    let error = app
        .with_timeout(Duration::from_millis(200))
        .login(&email, PASSWORD, true)
        .await
        .unwrap_err();

    not_holding().await;
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(error.name(), "TimeoutError");
    assert_eq!(app.current_user_token(), None);
}

#[wasm_bindgen_test]
async fn init_again_with_the_same_settings_keeps_the_session_and_bad_settings_change_nothing() {
    let app = app();
    let (email, _) = registered().await;
    let user = app.login(&email, PASSWORD, false).await.unwrap();

    // A component mounted twice: the in-memory session stays.
    App::init(Config::new(APP_ID, API_KEY).server_url(SERVER)).unwrap();
    assert_eq!(app.current_user_token(), user.user_token);

    for config in [
        Config::new("", API_KEY),
        Config::new(APP_ID, API_KEY).server_url("not a url"),
        Config::domain("ftp://nowhere"),
    ] {
        let error = App::init(config.clone()).unwrap_err();
        assert!(
            matches!(error, Error::Argument { .. }),
            "{config:?}: {error:?}"
        );
    }
    assert_eq!(app.current_user_token(), user.user_token);
    assert_eq!(backendless_wasm::js::backendless::server_url(), SERVER);
}

#[wasm_bindgen_test]
async fn current_user_restores_the_session_after_a_reload() {
    let app = app();
    let (email, id) = registered().await;
    let user = app.login(&email, PASSWORD, true).await.unwrap();
    assert_eq!(
        app.current_user().await.unwrap(),
        Some(user.clone()),
        "from memory"
    );

    reload();
    let app = App::init(Config::new(APP_ID, API_KEY).server_url(SERVER)).unwrap();
    assert_eq!(
        app.current_user_id(),
        Some(id.clone()),
        "known before the fetch"
    );
    clear_requests().await;
    let restored = app.current_user().await.unwrap().expect("restored");

    assert_eq!(restored.object_id, id);
    assert_eq!(restored.email, user.email);
    assert_eq!(restored.user_token, user.user_token);
    single_request("GET", &format!("{}/data/Users/{id}", base_path())).await;
    let reloaded = app.reload_current_user().await.unwrap().expect("reloaded");
    assert_eq!(reloaded.object_id, id);
}

#[wasm_bindgen_test]
async fn current_user_without_a_session_is_none() {
    let app = app();
    assert_eq!(app.current_user().await.unwrap(), None);
    assert_eq!(
        (app.current_user_token(), app.current_user_id()),
        (None, None)
    );
}

#[wasm_bindgen_test]
async fn is_valid_login_follows_the_server() {
    let app = app();
    clear_requests().await;
    assert!(!app.is_valid_login().await.unwrap());
    assert!(requests().await.is_empty(), "no token, no request");

    let (email, _) = registered().await;
    app.login(&email, PASSWORD, true).await.unwrap();
    assert!(app.is_valid_login().await.unwrap());

    expire_all_sessions().await;
    assert!(!app.is_valid_login().await.unwrap());
    assert_eq!(
        app.current_user_token(),
        None,
        "a dead token ends the session"
    );
    assert_eq!(stored_item().as_deref(), Some("{}"));
}

#[wasm_bindgen_test]
async fn logout_ends_the_session_and_its_stored_keys() {
    let app = app();
    let (email, _) = registered().await;
    app.login(&email, PASSWORD, true).await.unwrap();
    clear_requests().await;

    app.logout().await.unwrap();

    single_request("GET", &format!("{}/users/logout", base_path())).await;
    assert_eq!(app.current_user_token(), None);
    assert_eq!(stored_item().as_deref(), Some("{}"));
    assert_eq!(app.current_user().await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn register_sends_the_user_with_the_page_language_and_does_not_log_in() {
    let app = app();
    let email = unique_email();
    clear_requests().await;

    let user = app
        .register(
            &NewUser::new(&email, PASSWORD)
                .with("name", "Ann")
                .with("age", 41),
        )
        .await
        .unwrap();

    assert_eq!(user.email.as_deref(), Some(email.as_str()));
    assert_eq!(user.name.as_deref(), Some("Ann"));
    assert_eq!(user.properties.get("age"), Some(&serde_json::json!(41)));
    assert_eq!(user.user_token, None);
    assert_eq!(app.current_user_token(), None, "register does not log in");
    let request = single_request("POST", &format!("{}/users/register", base_path())).await;
    let body = get(&request, "body");
    let locale = get_string(&body, "blUserLocale").expect("blUserLocale");
    assert_eq!(
        Some(&locale),
        page_locale().as_ref(),
        "what the JS API sends"
    );
    assert_eq!(user.bl_user_locale, Some(locale));

    // Any serialisable object will do, and a locale given is kept.
    let other = unique_email();
    let user = app
        .register(
            &serde_json::json!({ "email": other, "password": PASSWORD, "blUserLocale": "pt" }),
        )
        .await
        .unwrap();
    assert_eq!(user.bl_user_locale.as_deref(), Some("pt"));
    // The server's refusal is typed too.
    let error = app
        .register(&NewUser::new(&other, PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(faults::USER_EXISTS.code), "{error:?}");
    let error = app.register(&[1, 2]).await.unwrap_err();
    assert!(matches!(error, Error::Argument { .. }), "{error:?}");
}

#[wasm_bindgen_test]
async fn login_as_guest_starts_a_guest_session() {
    let app = app();

    let guest = app.login_as_guest(true).await.unwrap();

    assert_eq!(guest.user_status.as_deref(), Some("GUEST"));
    assert_eq!(app.current_user_token(), guest.user_token);
    let token = guest.user_token.clone().unwrap();
    assert_eq!(stored_item(), Some(session_map(&token, &guest.object_id)));
}

#[wasm_bindgen_test]
async fn restore_password_asks_the_server_for_that_identity() {
    let app = app();
    let (email, _) = registered().await;
    clear_requests().await;

    app.restore_password(&email).await.unwrap();

    let encoded = String::from(js_sys::encode_uri_component(&email));
    single_request(
        "GET",
        &format!("{}/users/restorepassword/{encoded}", base_path()),
    )
    .await;
    let error = app.restore_password("").await.unwrap_err();
    assert!(matches!(error, Error::Argument { .. }), "{error:?}");
}

#[wasm_bindgen_test]
async fn the_session_listener_hears_every_change_until_it_is_dropped() {
    let app = app();
    let (email, id) = registered().await;
    let heard: Rc<RefCell<Vec<Option<String>>>> = Rc::default();
    let sink = heard.clone();
    let listener = app
        .on_session_change(move |user: Option<User>| {
            sink.borrow_mut().push(user.map(|u| u.object_id))
        })
        .unwrap();

    app.login(&email, PASSWORD, true).await.unwrap();
    app.logout().await.unwrap();
    assert_eq!(*heard.borrow(), [Some(id.clone()), None]);

    drop(listener);
    app.login(&email, PASSWORD, true).await.unwrap();
    settle().await;
    assert_eq!(heard.borrow().len(), 2, "a dropped listener hears nothing");
}

#[wasm_bindgen_test]
async fn another_tabs_logout_reaches_the_rust_listener() {
    let app = app();
    let (email, _) = registered().await;
    app.login(&email, PASSWORD, true).await.unwrap();
    let heard: Rc<RefCell<Vec<Option<User>>>> = Rc::default();
    let sink = heard.clone();
    let _listener = app
        .on_session_change(move |user| sink.borrow_mut().push(user))
        .unwrap();

    // Another tab logged out: it removed the session keys from the shared map.
    dispatch_storage_event(&storage_key(), Some("{}".into()));
    settle().await;

    assert_eq!(*heard.borrow(), [None]);
    assert_eq!(app.current_user_token(), None);
}

#[wasm_bindgen_test]
async fn another_tabs_login_reaches_the_rust_listener_with_the_fetched_user() {
    let app = app();
    let (email, id) = registered().await;
    let heard: Rc<RefCell<Vec<Option<String>>>> = Rc::default();
    let sink = heard.clone();
    let _listener = app
        .on_session_change(move |user: Option<User>| {
            sink.borrow_mut().push(user.map(|u| u.object_id))
        })
        .unwrap();
    // The other tab's login, made straight on the server, and its write of the shared map.
    let (_, other) = post_json(
        &format!("{SERVER}{}/users/login", base_path()),
        &format!(r#"{{"login":"{email}","password":"{PASSWORD}"}}"#),
    )
    .await;
    let map = session_map_of(&other);
    local_storage().set_item(&storage_key(), &map).unwrap();
    dispatch_storage_event(&storage_key(), Some(map));

    for _ in 0..40 {
        if !heard.borrow().is_empty() {
            break;
        }
        settle().await;
    }
    assert_eq!(*heard.borrow(), [Some(id.clone())]);
    let user = app.current_user().await.unwrap().expect("followed");
    assert_eq!(user.object_id, id);
}

#[wasm_bindgen_test]
async fn the_local_cache_is_the_js_map_typed() {
    let app = app();
    let cache = app.local_cache();
    assert_eq!(cache.storage_name(), Some(storage_key()));

    cache
        .set(
            "settings",
            &serde_json::json!({ "theme": "dark", "size": 3 }),
        )
        .unwrap();
    cache.set("count", &7u32).unwrap();
    assert_eq!(cache.get::<u32>("count").unwrap(), Some(7));
    assert_eq!(
        cache.get::<serde_json::Value>("settings").unwrap(),
        Some(serde_json::json!({ "theme": "dark", "size": 3 }))
    );
    assert_eq!(cache.get::<String>("nothing").unwrap(), None);
    assert!(matches!(
        cache.get::<String>("count"),
        Err(Error::InvalidResponse { .. })
    ));
    // The JavaScript LocalCache reads the same map.
    assert_eq!(
        local_cache::get("count".into()).unwrap().as_f64(),
        Some(7.0)
    );
    cache.remove("count").unwrap();
    assert!(local_cache::get("count".into()).unwrap().is_undefined());

    // The session's keys, as the docs promise them.
    let (email, id) = registered().await;
    let user = app.login(&email, PASSWORD, true).await.unwrap();
    assert_eq!(
        cache.get::<String>(LocalCache::USER_TOKEN).unwrap(),
        user.user_token
    );
    assert_eq!(
        cache.get::<String>(LocalCache::CURRENT_USER_ID).unwrap(),
        Some(id.clone())
    );
    assert_eq!(
        cache.get::<bool>(LocalCache::STAY_LOGGED_IN).unwrap(),
        Some(true)
    );

    // After a reload, a page that writes a session into the cache makes it the session.
    let token = user.user_token.unwrap();
    cache.remove(LocalCache::USER_TOKEN).unwrap();
    cache.remove(LocalCache::CURRENT_USER_ID).unwrap();
    reload();
    assert_eq!(app.current_user_token(), None);
    cache.set(LocalCache::USER_TOKEN, &token).unwrap();
    cache.set(LocalCache::CURRENT_USER_ID, &id).unwrap();
    assert_eq!(app.current_user_token(), Some(token));
    assert_eq!(
        app.current_user().await.unwrap().map(|u| u.object_id),
        Some(id)
    );
}

#[wasm_bindgen_test]
async fn a_rust_login_is_the_session_of_the_js_api() {
    let app = app();
    let (email, id) = registered().await;
    let js_listener = ListenerLog::subscribe();

    let user = app.login(&email, PASSWORD, true).await.unwrap();

    // What JavaScript code on the page reads: getCurrentUserToken(), currentUser, getCurrentUser().
    assert_eq!(current_token(), user.user_token);
    assert_eq!(get_string(&read(Read::User), "objectId"), Some(id.clone()));
    let js_user = current_user().await.unwrap();
    assert_eq!(get_string(&js_user, "user-token"), user.user_token);
    assert_eq!(js_listener.ids(), [id]);

    // And JavaScript's logout is Rust's.
    resolve(user_service::logout(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(app.current_user().await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn a_js_login_is_the_session_of_the_rust_api() {
    let app = app();
    let (email, id) = registered().await;
    let heard: Rc<RefCell<Vec<Option<String>>>> = Rc::default();
    let sink = heard.clone();
    let _listener = app
        .on_session_change(move |user: Option<User>| {
            sink.borrow_mut().push(user.map(|u| u.object_id))
        })
        .unwrap();

    let js_user = login_as(&email, true).await.unwrap();

    let user = app
        .current_user()
        .await
        .unwrap()
        .expect("the JS login's user");
    assert_eq!(user.object_id, id);
    assert_eq!(user.user_token, get_string(&js_user, "user-token"));
    assert_eq!(*heard.borrow(), [Some(id)]);
    assert!(app.is_valid_login().await.unwrap());

    app.logout().await.unwrap();
    assert_eq!(current_token(), None, "Rust's logout is JavaScript's");
}

#[wasm_bindgen_test]
async fn overlapping_rust_and_js_calls_the_last_made_wins() {
    let app = app();
    let (first, _) = registered().await;
    let (second, second_id) = registered().await;
    control("POST", "hold").await;

    // Rust's login is made first, JavaScript's second; the answers come the other way round.
    let rust_login = app.login(&first, PASSWORD, true);
    let rust_id = newly_held(0, "Rust login").await;
    let js_login = watch(user_service::login(
        second.as_str().into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    ));
    let js_id = newly_held(1, "JS login").await;
    release(js_id).await;
    until_settled(&js_login, "JS login").await.unwrap();
    release(rust_id).await;
    let outcome = rust_login.await;
    not_holding().await;

    assert!(
        matches!(outcome, Err(Error::Superseded { .. })),
        "{outcome:?}"
    );
    assert_eq!(
        app.current_user().await.unwrap().map(|u| u.object_id),
        Some(second_id)
    );
}

#[wasm_bindgen_test]
async fn identical_overlapping_logins_share_one_request() {
    let app = app();
    let (email, _) = registered().await;
    clear_requests().await;

    let (a, b) = (
        app.login(&email, PASSWORD, true),
        app.login(&email, PASSWORD, true),
    );
    let (a, b) = (a.await.unwrap(), b.await.unwrap());

    assert_eq!(a, b);
    assert_eq!(requests().await.len(), 1);
}

#[wasm_bindgen_test]
fn errors_of_every_js_name_read_back_as_their_variant() {
    use backendless_wasm::error::BackendlessError;
    let cases = [
        (BackendlessError::network(), "NetworkError"),
        (BackendlessError::timeout(), "TimeoutError"),
        (BackendlessError::aborted(), "AbortError"),
        (BackendlessError::not_initialized(), "NotInitializedError"),
        (BackendlessError::superseded(), "SupersededError"),
        (
            BackendlessError::invalid_response(200, "bad"),
            "InvalidResponseError",
        ),
        (
            BackendlessError::server(502, None, None),
            "BackendlessError",
        ),
    ];
    for (error, name) in cases {
        let js = backendless_wasm::js::error_to_js(error.clone());
        let rust = backendless_wasm::rust_api::Error::from(js);
        assert_eq!(rust.name(), name);
        assert_eq!(rust.message(), error.message);
        assert_eq!(rust.code(), error.code);
        assert_eq!(rust.status(), error.status);
    }
}
