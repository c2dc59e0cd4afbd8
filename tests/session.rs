//! Session rules in a real browser against the real local server: logout, server-confirmed
//! invalidation, network failures that must not end a session, session listeners, another
//! tab's changes, abort and timeout, and the other UserService calls.
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::{backendless, user_service};
use common::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = "
export function dispatch_storage_event(key, newValue) {
  window.dispatchEvent(new StorageEvent('storage', { key, newValue, storageArea: window.localStorage }));
}
export function aborted_signal() { const c = new AbortController(); c.abort('a plain string reason'); return c.signal; }
export function controller() { return new AbortController(); }
export function abort_with_text(controller) { controller.abort('a plain string reason'); }
export function options_with(signal, timeout) { const o = {}; if (signal) o.signal = signal; if (timeout !== undefined) o.timeout = timeout; return o; }
")]
extern "C" {
    fn dispatch_storage_event(key: &str, new_value: Option<String>);
    fn aborted_signal() -> web_sys::AbortSignal;
    fn controller() -> web_sys::AbortController;
    fn abort_with_text(controller: &web_sys::AbortController);
    fn options_with(signal: Option<web_sys::AbortSignal>, timeout: Option<f64>) -> JsValue;
}

fn use_dead_server() {
    backendless::set_server_url(DEAD_SERVER.into()).unwrap();
}

fn use_real_server() {
    backendless::set_server_url(SERVER.into()).unwrap();
}

#[wasm_bindgen_test]
async fn logout_ends_the_session_on_server_and_client() {
    fresh_page();
    let (_, id, _) = logged_in_user(true).await;
    clear_requests().await;

    resolve(user_service::logout(JsValue::UNDEFINED))
        .await
        .unwrap();

    let request = single_request("GET", &format!("{}/users/logout", base_path())).await;
    assert_eq!(get_string(&request, "tokenUserId"), Some(id));
    assert_eq!(stored_item().as_deref(), Some("{}"));
    assert_eq!(current_token(), None);
    let user = current_user().await.unwrap();
    assert!(user.is_null());
}

#[wasm_bindgen_test]
async fn logout_clears_the_local_session_even_when_the_server_is_unreachable() {
    fresh_page();
    logged_in_user(true).await;
    use_dead_server();

    let error = resolve(user_service::logout(JsValue::UNDEFINED))
        .await
        .unwrap_err();

    use_real_server();
    assert_error(&error, None, None);
    assert_eq!(get_string(&error, "name").as_deref(), Some("NetworkError"));
    assert_eq!(
        stored_item().as_deref(),
        Some("{}"),
        "an offline logout must not leave the user logged in"
    );
    assert_eq!(current_token(), None);
}

#[wasm_bindgen_test]
async fn logout_of_a_session_the_server_already_ended_succeeds() {
    fresh_page();
    logged_in_user(true).await;
    expire_all_sessions().await;

    resolve(user_service::logout(JsValue::UNDEFINED))
        .await
        .expect("3064 on logout means: already logged out");

    assert_eq!(stored_item().as_deref(), Some("{}"));
}

#[wasm_bindgen_test]
async fn is_valid_login_false_from_the_server_clears_the_session() {
    fresh_page();
    logged_in_user(true).await;
    let listener = ListenerLog::subscribe();
    expire_all_sessions().await;

    let valid = resolve(user_service::is_valid_login(JsValue::UNDEFINED))
        .await
        .unwrap();

    assert_eq!(valid, JsValue::FALSE);
    assert_eq!(stored_item().as_deref(), Some("{}"));
    assert_eq!(current_token(), None);
    assert_eq!(listener.ids(), ["null"]);
    // Nothing left to ask about: the next check sends no request.
    clear_requests().await;
    assert_eq!(
        resolve(user_service::is_valid_login(JsValue::UNDEFINED))
            .await
            .unwrap(),
        JsValue::FALSE
    );
    assert!(requests().await.is_empty());
}

#[wasm_bindgen_test]
async fn is_valid_login_network_error_rejects_and_keeps_the_session() {
    fresh_page();
    let (_, _, user) = logged_in_user(true).await;
    let before = stored_item();
    use_dead_server();

    let error = resolve(user_service::is_valid_login(JsValue::UNDEFINED))
        .await
        .unwrap_err();

    use_real_server();
    assert_eq!(get_string(&error, "name").as_deref(), Some("NetworkError"));
    assert_eq!(stored_item(), before);
    assert_eq!(current_token(), get_string(&user, "user-token"));
}

#[wasm_bindgen_test]
async fn is_valid_login_sync_answers_like_the_async_form() {
    fresh_page();
    assert!(
        !user_service::is_valid_login_sync().unwrap(),
        "no token: false"
    );
    logged_in_user(true).await;
    clear_requests().await;
    assert!(user_service::is_valid_login_sync().unwrap());
    single_request(
        "GET",
        &format!("{}/users/isvalidusertoken/[redacted]", base_path()),
    )
    .await;
    expire_all_sessions().await;
    assert!(!user_service::is_valid_login_sync().unwrap());
    assert_eq!(stored_item().as_deref(), Some("{}"));
}

#[wasm_bindgen_test]
async fn restore_with_a_dead_token_answers_null_and_clears_the_session() {
    fresh_page();
    logged_in_user(true).await;
    expire_all_sessions().await;
    reload();
    let listener = ListenerLog::subscribe();

    let user = current_user().await.unwrap();

    assert!(user.is_null());
    assert_eq!(stored_item().as_deref(), Some("{}"));
    assert_eq!(listener.ids(), ["null"]);
}

#[wasm_bindgen_test]
async fn restore_network_error_rejects_and_keeps_the_stored_session() {
    fresh_page();
    logged_in_user(true).await;
    let before = stored_item();
    reload();
    use_dead_server();

    let error = current_user().await.unwrap_err();

    use_real_server();
    assert_eq!(get_string(&error, "name").as_deref(), Some("NetworkError"));
    assert_eq!(stored_item(), before);
    // Once the network is back, the same session restores.
    let user = current_user().await.unwrap();
    assert!(get_string(&user, "objectId").is_some());
}

#[wasm_bindgen_test]
async fn concurrent_get_current_user_calls_share_one_request() {
    fresh_page();
    let (_, id, _) = logged_in_user(true).await;
    reload();
    clear_requests().await;

    let calls: Vec<_> = (0..20)
        .map(|_| user_service::get_current_user(JsValue::UNDEFINED, JsValue::UNDEFINED))
        .collect();
    let mut users = Vec::new();
    for call in calls {
        users.push(resolve(call).await.unwrap());
    }

    single_request("GET", &format!("{}/data/Users/{id}", base_path())).await;
    assert!(
        users.iter().all(|user| *user == users[0]),
        "every caller gets the same user object"
    );
}

#[wasm_bindgen_test]
async fn get_current_user_reload_true_fetches_again() {
    fresh_page();
    let (_, id, _) = logged_in_user(true).await;
    clear_requests().await;
    let user = resolve(user_service::get_current_user(
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(get_string(&user, "objectId"), Some(id.clone()));
    single_request("GET", &format!("{}/data/Users/{id}", base_path())).await;
}

#[wasm_bindgen_test]
async fn session_listener_hears_login_restore_logout_and_stops_when_unsubscribed() {
    fresh_page();
    let listener = ListenerLog::subscribe();
    let (_, id, _) = logged_in_user(true).await;
    reload();
    current_user().await.unwrap();
    resolve(user_service::logout(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(listener.ids(), [id.clone(), id, "null".into()]);

    listener.unsubscribe();
    listener.unsubscribe();
    logged_in_user(true).await;
    assert_eq!(
        listener.calls.borrow().len(),
        3,
        "no calls after unsubscribing"
    );
}

#[wasm_bindgen_test]
async fn a_throwing_listener_does_not_break_the_call_or_other_listeners() {
    fresh_page();
    let thrower =
        Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| wasm_bindgen::throw_str("listener bug"));
    let thrower_id = user_service::add_session_listener(thrower.as_ref().clone()).unwrap();
    let listener = ListenerLog::subscribe();
    let (_, id, _) = logged_in_user(true).await;
    assert_eq!(listener.ids(), [id]);
    user_service::remove_session_listener(thrower_id);
}

#[wasm_bindgen_test]
async fn another_tab_logging_out_ends_a_shared_session_here() {
    fresh_page();
    logged_in_user(true).await;
    let listener = ListenerLog::subscribe();

    // What the other tab's logout does to storage, then the event this tab receives.
    local_storage().set_item(&storage_key(), "{}").unwrap();
    dispatch_storage_event(&storage_key(), Some("{}".into()));

    assert_eq!(current_token(), None);
    assert_eq!(listener.ids(), ["null"]);
}

#[wasm_bindgen_test]
async fn another_tab_logging_in_is_followed_here() {
    fresh_page();
    // "Another tab" logs in: a real session made with the server, whose map this tab then
    // sees in storage and hears about through a storage event.
    let (_, other_id, other_user) = logged_in_user(false).await;
    reload();
    let listener = ListenerLog::subscribe();
    let token = get_string(&other_user, "user-token").unwrap();
    let map = session_map(&token, &other_id);

    local_storage().set_item(&storage_key(), &map).unwrap();
    dispatch_storage_event(&storage_key(), Some(map));
    settle().await;

    assert_eq!(current_token(), Some(token));
    assert_eq!(
        listener.ids(),
        [other_id],
        "the adopted session's user is fetched and announced"
    );
}

#[wasm_bindgen_test]
async fn the_item_deleted_by_another_tab_mid_session_ends_a_shared_session() {
    fresh_page();
    logged_in_user(true).await;
    let listener = ListenerLog::subscribe();

    local_storage().remove_item(&storage_key()).unwrap();
    dispatch_storage_event(&storage_key(), None);

    assert_eq!(current_token(), None);
    assert_eq!(listener.ids(), ["null"]);
    clear_requests().await;
    let user = current_user().await.unwrap();
    assert!(user.is_null());
    assert!(requests().await.is_empty(), "nothing left to restore");
}

#[wasm_bindgen_test]
async fn another_tab_cannot_end_a_memory_only_session() {
    fresh_page();
    let (_, _, user) = logged_in_user(false).await;
    dispatch_storage_event(&storage_key(), None);
    assert_eq!(current_token(), get_string(&user, "user-token"));
}

#[wasm_bindgen_test]
async fn events_for_other_keys_are_ignored() {
    fresh_page();
    let (_, _, user) = logged_in_user(true).await;
    dispatch_storage_event("Backendless_SOME-OTHER-APP", Some("{}".into()));
    assert_eq!(current_token(), get_string(&user, "user-token"));
}

// Aborts and timeouts run over both transports: XMLHttpRequest (pages) and fetch (no
// XMLHttpRequest), which cancel in different ways.
#[wasm_bindgen_test]
async fn an_already_aborted_signal_rejects_without_a_request() {
    for transport in TRANSPORTS {
        let _page = transport.select();
        fresh_page();
        let email = unique_email();
        register_user(&email, PASSWORD).await;
        clear_requests().await;

        let options = options_with(Some(aborted_signal()), None);
        let error = resolve(user_service::login(
            email.into(),
            PASSWORD.into(),
            true.into(),
            options,
        ))
        .await
        .unwrap_err();

        assert_eq!(
            get_string(&error, "name").as_deref(),
            Some("AbortError"),
            "{transport:?}"
        );
        assert!(error.is_instance_of::<js_sys::Error>(), "{transport:?}");
        assert!(requests().await.is_empty(), "{transport:?}");
        assert_eq!(stored_item(), None, "{transport:?}");
    }
}

#[wasm_bindgen_test]
async fn aborting_during_login_rejects_and_changes_nothing() {
    for transport in TRANSPORTS {
        let _page = transport.select();
        fresh_page();
        let (email, _, user) = logged_in_user(true).await;
        let before = stored_item();
        let control = controller();

        let pending = user_service::login(
            email.into(),
            PASSWORD.into(),
            false.into(),
            options_with(Some(control.signal()), None),
        );
        control.abort();
        let error = resolve(pending).await.unwrap_err();

        assert_eq!(
            get_string(&error, "name").as_deref(),
            Some("AbortError"),
            "{transport:?}"
        );
        assert_eq!(
            stored_item(),
            before,
            "{transport:?}: an aborted login leaves the stored session alone"
        );
        assert_eq!(current_token(), get_string(&user, "user-token"));
    }
}

#[wasm_bindgen_test]
async fn aborting_mid_flight_with_a_non_error_reason_is_still_an_abort_error() {
    for transport in TRANSPORTS {
        let _page = transport.select();
        fresh_page();
        let (email, _, user) = logged_in_user(true).await;
        let control = controller();

        let pending = user_service::login(
            email.as_str().into(),
            PASSWORD.into(),
            false.into(),
            options_with(Some(control.signal()), None),
        );
        abort_with_text(&control);
        let error = resolve(pending).await.unwrap_err();

        assert_eq!(
            get_string(&error, "name").as_deref(),
            Some("AbortError"),
            "{transport:?}"
        );
        assert!(error.is_instance_of::<js_sys::Error>(), "{transport:?}");
        assert_eq!(current_token(), get_string(&user, "user-token"));
        // The module is fine: the same login, unaborted, works.
        login_as(&email, true).await.unwrap();
    }
}

#[wasm_bindgen_test]
async fn a_call_over_its_timeout_rejects_with_timeout_error() {
    for transport in TRANSPORTS {
        let _page = transport.select();
        fresh_page();
        let (email, _, _) = logged_in_user(true).await;
        let before = stored_item();

        // Login hashes a password with argon2 on the server: far longer than 1 ms. The timeout
        // alone, and next to a caller's signal that never fires (fetch takes different paths
        // for the two).
        let idle = web_sys::AbortController::new().unwrap();
        for options in [
            options_with(None, Some(1.0)),
            options_with(Some(idle.signal()), Some(1.0)),
        ] {
            let error = resolve(user_service::login(
                email.clone().into(),
                PASSWORD.into(),
                false.into(),
                options,
            ))
            .await
            .unwrap_err();

            assert_eq!(
                get_string(&error, "name").as_deref(),
                Some("TimeoutError"),
                "{transport:?}"
            );
            assert_error(&error, None, None);
            assert_eq!(stored_item(), before, "{transport:?}");
        }
    }
}

#[wasm_bindgen_test]
async fn a_call_goes_out_with_the_settings_of_the_moment_it_was_made() {
    // Like a JS async function, the call runs up to its request before it returns: changing
    // the server address right after calling does not redirect it.
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;

    let pending = user_service::login(
        email.into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    );
    use_dead_server();
    let answer = resolve(pending).await;
    use_real_server();

    let user = answer.expect("the login went to the server set when it was called");
    assert_eq!(stored_item(), Some(session_map_of(&user)));
}

#[wasm_bindgen_test]
async fn bad_options_are_rejected_before_any_request() {
    fresh_page();
    clear_requests().await;
    for options in [
        JsValue::from(5),
        options_with(None, Some(-1.0)),
        options_with(None, Some(f64::NAN)),
        js_sys::JSON::parse(r#"{"signal":"x"}"#).unwrap(),
    ] {
        let error = resolve(user_service::login(
            "a@b.c".into(),
            "p".into(),
            true.into(),
            options,
        ))
        .await
        .unwrap_err();
        assert_eq!(get_string(&error, "name").as_deref(), Some("TypeError"));
    }
    assert!(requests().await.is_empty());
}

#[wasm_bindgen_test]
async fn a_second_login_sends_the_known_token_like_the_official_client() {
    fresh_page();
    let (email, id, _) = logged_in_user(true).await;
    clear_requests().await;
    login_as(&email, true).await.unwrap();
    let request = single_request("POST", &format!("{}/users/login", base_path())).await;
    assert_eq!(get_string(&request, "tokenUserId"), Some(id));
}

#[wasm_bindgen_test]
async fn register_creates_the_user_without_logging_in() {
    fresh_page();
    let email = unique_email();
    clear_requests().await;
    let new_user = json(&format!(
        r#"{{"email":"{email}","password":"{PASSWORD}","name":"Alice","favouriteColour":"teal"}}"#
    ));

    let user = resolve(user_service::register(new_user, JsValue::UNDEFINED))
        .await
        .unwrap();

    assert_eq!(get_string(&user, "email"), Some(email.clone()));
    assert_eq!(
        get_string(&user, "favouriteColour").as_deref(),
        Some("teal"),
        "custom columns are kept"
    );
    assert!(get(&user, "password").is_undefined());
    assert!(get(&user, "user-token").is_undefined());
    assert_eq!(current_token(), None, "register does not log in");
    let request = single_request("POST", &format!("{}/users/register", base_path())).await;
    assert_eq!(
        header(&request, "content-type").as_deref(),
        Some("application/json")
    );
    // The body is JSON.stringify of the caller's object, so its key order is the caller's; the
    // server's log re-serialises it, so compare the fields.
    let body = get(&request, "body");
    let keys = js_sys::Object::keys(&body.clone().into())
        .iter()
        .filter_map(|k| k.as_string())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        keys,
        ["email", "favouriteColour", "name", "password"]
            .map(String::from)
            .into()
    );
    assert_eq!(get_string(&body, "email"), Some(email));
    assert_eq!(get_string(&body, "password").as_deref(), Some("[redacted]"));
    assert_eq!(get_string(&body, "name").as_deref(), Some("Alice"));
}

#[wasm_bindgen_test]
async fn login_as_guest_starts_a_guest_session() {
    fresh_page();
    clear_requests().await;
    let user = resolve(user_service::login_as_guest(
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(get_string(&user, "userStatus").as_deref(), Some("GUEST"));
    let (token, id) = (
        get_string(&user, "user-token").unwrap(),
        get_string(&user, "objectId").unwrap(),
    );
    assert_eq!(stored_item(), Some(session_map(&token, &id)));
    let request = single_request("POST", &format!("{}/users/register/guest", base_path())).await;
    assert_eq!(
        header(&request, "content-type"),
        None,
        "no body, no Content-Type"
    );
}

#[wasm_bindgen_test]
async fn restore_password_sends_the_encoded_identity() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    clear_requests().await;
    resolve(user_service::restore_password(
        email.as_str().into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    single_request(
        "GET",
        &format!(
            "{}/users/restorepassword/{}",
            base_path(),
            email.replace('@', "%40")
        ),
    )
    .await;
}

#[wasm_bindgen_test]
async fn set_current_user_adopts_a_session_and_the_user_id_is_the_sessions() {
    fresh_page();
    let (_, id, user) = logged_in_user(false).await;
    let user_id = || backendless::read(backendless::Read::UserId).as_string();
    assert_eq!(
        user_id().as_deref(),
        Some(id.as_str()),
        "the session's, though nothing is stored"
    );
    assert_eq!(
        local_cache::get("current-user-id".into()).unwrap(),
        JsValue::UNDEFINED
    );
    reload();
    assert_eq!(user_id(), None);

    let adopted = user_service::set_current_user(user.clone(), true.into()).unwrap();

    assert_eq!(adopted, user);
    assert_eq!(user_id(), Some(id.clone()));
    assert_eq!(
        local_cache::get("current-user-id".into())
            .unwrap()
            .as_string(),
        Some(id)
    );
    assert_eq!(current_token(), get_string(&user, "user-token"));
    assert_eq!(
        resolve(user_service::is_valid_login(JsValue::UNDEFINED))
            .await
            .unwrap(),
        JsValue::TRUE
    );
    let error =
        user_service::set_current_user(json(r#"{"objectId":"X"}"#), true.into()).unwrap_err();
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "a user without a token is refused"
    );
    assert_eq!(get_string(&error, "name").as_deref(), Some("TypeError"));

    // As in the official client, no user ends the session.
    assert_eq!(
        user_service::set_current_user(JsValue::NULL, true.into()).unwrap(),
        JsValue::NULL
    );
    assert_eq!(current_token(), None);
    assert_eq!(stored_item().as_deref(), Some("{}"));
}

#[wasm_bindgen_test]
async fn two_logins_at_once_the_later_one_wins_whatever_answers_first() {
    fresh_page();
    let (first_email, second_email) = (unique_email(), unique_email());
    register_user(&first_email, PASSWORD).await;
    let second_id = register_user(&second_email, PASSWORD).await;
    let listener = ListenerLog::subscribe();

    let first = user_service::login(
        first_email.into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    );
    let second = user_service::login(
        second_email.into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    );
    let second_user = resolve(second).await.unwrap();
    // The earlier call resolved only if its answer took effect before the later one's;
    // otherwise it was superseded.
    if let Err(error) = resolve(first).await {
        assert_eq!(
            get_string(&error, "name").as_deref(),
            Some("SupersededError")
        );
    }
    let token = get_string(&second_user, "user-token").unwrap();
    assert_eq!(
        current_token(),
        Some(token.clone()),
        "memory follows the later call"
    );
    assert_eq!(
        stored_item(),
        Some(session_map(&token, &second_id)),
        "storage agrees with memory"
    );
    let current = current_user().await.unwrap();
    assert_eq!(get_string(&current, "objectId"), Some(second_id.clone()));
    assert_eq!(
        listener.ids().last(),
        Some(&second_id),
        "the last thing listeners heard is the winner"
    );
}

#[wasm_bindgen_test]
async fn login_here_while_another_tab_logs_out_ends_consistent() {
    fresh_page();
    let (email, _, _) = logged_in_user(true).await;
    let listener = ListenerLog::subscribe();

    // This tab's login is in flight when the other tab's logout reaches storage.
    let pending = user_service::login(
        email.as_str().into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    );
    local_storage().set_item(&storage_key(), "{}").unwrap();
    dispatch_storage_event(&storage_key(), Some("{}".into()));
    let user = resolve(pending).await.unwrap();

    // The login answered last, so it wins; memory and storage agree on it.
    let token = get_string(&user, "user-token").unwrap();
    assert_eq!(current_token(), Some(token));
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    assert_eq!(
        listener.ids().last().cloned(),
        get_string(&user, "objectId")
    );
    assert_eq!(
        resolve(user_service::is_valid_login(JsValue::UNDEFINED))
            .await
            .unwrap(),
        JsValue::TRUE
    );
}

#[wasm_bindgen_test]
async fn logout_during_login_leaves_the_user_logged_out() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;

    let login = user_service::login(
        email.into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    );
    resolve(user_service::logout(JsValue::UNDEFINED))
        .await
        .unwrap();
    let error = resolve(login).await.unwrap_err();

    assert_eq!(
        get_string(&error, "name").as_deref(),
        Some("SupersededError"),
        "the login answered after the later logout took effect: it did not take effect"
    );
    assert_eq!(current_token(), None, "the later logout wins");
    assert!(
        stored_item().map_or(true, |item| item == "{}"),
        "nothing stored: {:?}",
        stored_item()
    );
    assert!(current_user().await.unwrap().is_null());
}
