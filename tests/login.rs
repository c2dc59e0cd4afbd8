//! Walking skeleton, in a real browser against the real local server: login, the stored
//! session's exact layout, isValidLogin, restore after reload, and a wrong password. The wire
//! and error tests run over both transports (XMLHttpRequest in pages, fetch without it).
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::user_service;
use common::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(inline_js = "
export function count_sends() {
  const counts = { xhr: 0, fetch: 0 };
  const Xhr = globalThis.XMLHttpRequest, open = Xhr && Xhr.prototype.open, fetch = globalThis.fetch;
  if (Xhr) Xhr.prototype.open = function (...args) { counts.xhr++; return open.apply(this, args); };
  globalThis.fetch = (...args) => { counts.fetch++; return fetch(...args); };
  return () => {
    if (Xhr) Xhr.prototype.open = open;
    globalThis.fetch = fetch;
    return [counts.xhr, counts.fetch];
  };
}")]
extern "C" {
    /// Counts XMLHttpRequest opens and fetch calls until the returned function is called,
    /// which answers `[xhr, fetch]`.
    fn count_sends() -> js_sys::Function;
}

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn login_with_stay_logged_in_stores_exactly_the_official_map() {
    for transport in TRANSPORTS {
        let _page = transport.select();
        login_with_stay_logged_in_stores_exactly_the_official_map_over().await;
    }
}

async fn login_with_stay_logged_in_stores_exactly_the_official_map_over() {
    fresh_page();
    let email = unique_email();
    let id = register_user(&email, PASSWORD).await;
    clear_requests().await;

    let user = login_as(&email, true).await.unwrap();

    let token = get_string(&user, "user-token").expect("user-token on the user");
    assert_eq!(get_string(&user, "objectId").as_deref(), Some(id.as_str()));
    assert_eq!(get_string(&user, "email").as_deref(), Some(email.as_str()));
    assert!(
        get(&user, "password").is_undefined(),
        "password must never come back"
    );
    assert_eq!(stored_item(), Some(session_map(&token, &id)));
    let request = single_request("POST", &format!("{}/users/login", base_path())).await;
    assert_eq!(
        header(&request, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        header(&request, "user-token"),
        None,
        "no token was known before this login"
    );
    assert_eq!(
        stringify(&get(&request, "body")),
        format!(r#"{{"login":"{email}","password":"[redacted]"}}"#)
    );
}

#[wasm_bindgen_test]
async fn pages_send_with_xml_http_request_and_fetch_only_without_it() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    // login and isValidLogin: two requests, all over the one transport.
    for (transport, expected) in [(Transport::Xhr, [2, 0]), (Transport::Fetch, [0, 2])] {
        let _page = transport.select();
        let stop = count_sends();
        login_as(&email, true).await.unwrap();
        let valid = resolve(user_service::is_valid_login(JsValue::UNDEFINED)).await;
        let counts = stop.call0(&JsValue::NULL).unwrap();
        assert_eq!(valid.unwrap(), JsValue::TRUE);
        let counts: Vec<f64> = js_sys::Array::from(&counts)
            .iter()
            .map(|n| n.as_f64().unwrap())
            .collect();
        assert_eq!(
            counts,
            expected.map(f64::from),
            "{transport:?}: [xhr, fetch]"
        );
    }
}

#[wasm_bindgen_test]
async fn login_without_stay_logged_in_wipes_the_stored_session() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    login_as(&email, true).await.unwrap();
    assert!(stored_item().is_some_and(|item| item.contains("user-token")));

    let user = login_as(&email, false).await.unwrap();

    assert_eq!(stored_item().as_deref(), Some("{}"));
    // The session still lives in memory.
    let token = get_string(&user, "user-token").unwrap();
    assert_eq!(
        user_service::get_current_user_token().as_string(),
        Some(token)
    );
}

#[wasm_bindgen_test]
async fn local_cache_reads_the_session_the_docs_promise() {
    fresh_page();
    let email = unique_email();
    let id = register_user(&email, PASSWORD).await;
    let user = login_as(&email, true).await.unwrap();

    assert_eq!(
        local_cache::get("user-token".into()).unwrap().as_string(),
        get_string(&user, "user-token")
    );
    assert_eq!(
        local_cache::get("current-user-id".into())
            .unwrap()
            .as_string(),
        Some(id)
    );
    assert_eq!(
        local_cache::get("stayLoggedIn".into()).unwrap().as_bool(),
        Some(true)
    );
    assert!(local_cache::get("no-such-key".into())
        .unwrap()
        .is_undefined());
}

#[wasm_bindgen_test]
async fn is_valid_login_is_true_after_login_and_asks_with_the_token() {
    for transport in TRANSPORTS {
        let _page = transport.select();
        is_valid_login_is_true_after_login_and_asks_with_the_token_over().await;
    }
}

async fn is_valid_login_is_true_after_login_and_asks_with_the_token_over() {
    fresh_page();
    let email = unique_email();
    let id = register_user(&email, PASSWORD).await;
    login_as(&email, true).await.unwrap();
    clear_requests().await;

    let valid = resolve(user_service::is_valid_login(JsValue::UNDEFINED))
        .await
        .unwrap();

    assert_eq!(valid, JsValue::TRUE);
    let request = single_request(
        "GET",
        &format!("{}/users/isvalidusertoken/[redacted]", base_path()),
    )
    .await;
    assert_eq!(get_string(&request, "pathTokenUserId"), Some(id.clone()));
    assert_eq!(
        get_string(&request, "tokenUserId"),
        Some(id),
        "the user-token header carries the session's token"
    );
    assert_eq!(
        header(&request, "content-type"),
        None,
        "no body, so no Content-Type"
    );
}

#[wasm_bindgen_test]
async fn is_valid_login_without_a_token_is_false_and_sends_nothing() {
    fresh_page();
    clear_requests().await;

    let valid = resolve(user_service::is_valid_login(JsValue::UNDEFINED))
        .await
        .unwrap();

    assert_eq!(valid, JsValue::FALSE);
    assert!(
        requests().await.is_empty(),
        "no request may be sent without a token"
    );
}

#[wasm_bindgen_test]
async fn get_current_user_after_reload_restores_the_user_from_the_server() {
    fresh_page();
    let email = unique_email();
    let id = register_user(&email, PASSWORD).await;
    let logged_in = login_as(&email, true).await.unwrap();
    let token = get_string(&logged_in, "user-token").unwrap();

    reload();
    clear_requests().await;
    let user = current_user().await.unwrap();

    assert_eq!(get_string(&user, "objectId"), Some(id.clone()));
    assert_eq!(get_string(&user, "email"), Some(email));
    assert_eq!(
        get_string(&user, "user-token"),
        Some(token),
        "the restored user carries the session token"
    );
    assert!(get(&user, "password").is_undefined());
    let request = single_request("GET", &format!("{}/data/Users/{id}", base_path())).await;
    assert_eq!(get_string(&request, "tokenUserId"), Some(id));

    // Now in memory: a second call sends nothing.
    clear_requests().await;
    let again = current_user().await.unwrap();
    assert_eq!(again, user);
    assert!(requests().await.is_empty());
}

#[wasm_bindgen_test]
async fn get_current_user_without_a_session_is_null() {
    fresh_page();
    clear_requests().await;
    let user = current_user().await.unwrap();
    assert!(user.is_null());
    assert!(requests().await.is_empty());
}

#[wasm_bindgen_test]
async fn wrong_password_rejects_with_3003_and_changes_nothing() {
    for transport in TRANSPORTS {
        let _page = transport.select();
        wrong_password_rejects_with_3003_and_changes_nothing_over().await;
    }
}

async fn wrong_password_rejects_with_3003_and_changes_nothing_over() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    login_as(&email, true).await.unwrap();
    let before = stored_item();

    let error = resolve(user_service::login(
        email.as_str().into(),
        "not-the-password".into(),
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_err();

    assert_error(&error, Some(3003), Some(401));
    assert_eq!(
        stored_item(),
        before,
        "a failed login leaves the stored session alone"
    );
    let valid = resolve(user_service::is_valid_login(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(valid, JsValue::TRUE, "and the session it had");
}
