//! The login family beyond the password, in a real browser against the real local server and its
//! local OAuth identity provider (`--oauth-provider github`): getUserRoles, update,
//! resendEmailConfirmation, a guest becoming a registered user, loginWithOauth2,
//! getAuthorizationUrlLink and the redirect flow it starts. Each test checks the exact request,
//! the state a page sees when the promise settles (memory, storage, listeners) and exact error
//! codes.
//!
//! These call the one wasm export the entry module puts the documented arguments into
//! (`userCall`); the entry module's own part (argument checks and shifts, the URL fragment of the
//! redirect) is covered in the built package by tests/node/login-family.test.mjs, in each engine.
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::user_service::{self, user_call, UserCall};
use common::hold::*;
use common::*;
use gloo_net::http::Request;
use js_sys::{Array, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PROVIDER: &str = "github";

// ---- helpers ----------------------------------------------------------------------------------

fn call(kind: UserCall, segment: &str, body: JsValue, stay: bool) -> Promise {
    user_call(kind, segment.into(), body, stay.into(), JsValue::UNDEFINED)
}

async fn roles() -> Result<Vec<String>, JsValue> {
    let answer = resolve(call(UserCall::Roles, "", JsValue::UNDEFINED, false)).await?;
    Ok(Array::from(&answer)
        .iter()
        .map(|role| role.as_string().unwrap())
        .collect())
}

/// `{ name: value, … }` of string values.
fn object(pairs: &[(&str, &str)]) -> JsValue {
    let object = Object::new();
    for (name, value) in pairs {
        js_sys::Reflect::set(&object, &(*name).into(), &(*value).into()).unwrap();
    }
    object.into()
}

fn set(object: &JsValue, name: &str, value: &JsValue) {
    js_sys::Reflect::set(object, &name.into(), value).unwrap();
}

/// A fake account at the local identity provider, and an access token it minted for it: what a
/// provider's own SDK hands a page. The provider answers only its own pages, so this page (another
/// origin on this machine) asks through the control endpoint that stands in for it.
async fn provider_account(email: &str, name: &str) -> (String, String) {
    let body = format!(
        r#"{{"email":{},"name":{}}}"#,
        stringify(&email.into()),
        stringify(&name.into())
    );
    let (status, account) = post_json(
        &format!("{SERVER}/__emulator/oauth-provider/{PROVIDER}/accounts"),
        &body,
    )
    .await;
    assert_eq!(status, 200, "provider account for {email}");
    (
        get_string(&account, "id").unwrap(),
        get_string(&account, "access_token").unwrap(),
    )
}

fn oauth_body(access_token: &str) -> JsValue {
    object(&[("accessToken", access_token)])
}

async fn set_policy(patch: &str) {
    let (status, _) = post_json(&format!("{SERVER}/__emulator/config"), patch).await;
    assert_eq!(status, 200, "policy {patch}");
}

/// This page's origin (the wasm-bindgen test server's).
fn page_origin() -> String {
    get_string(&get(&js_sys::global(), "location"), "origin").unwrap()
}

fn assert_error_name(error: &JsValue, name: &str) {
    assert_eq!(
        get_string(error, "name").as_deref(),
        Some(name),
        "{error:?}"
    );
}

// ---- getUserRoles -----------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn roles_follow_the_session_not_authenticated_guest_and_logged_in() {
    fresh_page();
    clear_requests().await;
    assert_eq!(roles().await.unwrap(), ["NotAuthenticatedUser"]);
    let request = single_request("GET", &format!("{}/users/userroles", base_path())).await;
    assert_eq!(header(&request, "user-token"), None, "no session, no token");

    let guest = resolve(user_service::login_as_guest(
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(roles().await.unwrap(), ["GuestUser"]);

    let (_, id, _) = logged_in_user(true).await;
    clear_requests().await;
    assert_eq!(roles().await.unwrap(), ["AuthenticatedUser"]);
    let request = single_request("GET", &format!("{}/users/userroles", base_path())).await;
    assert_eq!(
        get_string(&request, "tokenUserId").as_deref(),
        Some(id.as_str()),
        "sent with the session's token"
    );
    assert_ne!(get_string(&guest, "objectId"), Some(id));
}

#[wasm_bindgen_test]
async fn roles_with_a_dead_token_reject_with_3064_and_change_nothing_else() {
    fresh_page();
    let (_, id, user) = logged_in_user(true).await;
    expire_all_sessions().await;
    let error = resolve(call(UserCall::Roles, "", JsValue::UNDEFINED, false))
        .await
        .unwrap_err();
    assert_error(&error, Some(3064), Some(401));
    assert_eq!(get(&get(&error, "body"), "code").as_f64(), Some(3064.0));
    // The error reaches the caller; the session rule for dead tokens is isValidLogin's.
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    assert_eq!(
        get_string(&current_user().await.unwrap(), "objectId"),
        Some(id)
    );
}

/// `{ timeout, signal }` work as for every call: an aborted signal sends nothing, a timeout gives
/// up on an answer that does not come (the server holds it), and neither changes the session.
#[wasm_bindgen_test]
async fn the_family_takes_timeout_and_signal_like_every_call() {
    not_holding().await;
    fresh_page();
    let (_, id, user) = logged_in_user(true).await;
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let aborted = Object::new();
    set(&aborted, "signal", &controller.signal());
    clear_requests().await;
    let error = resolve(user_call(
        UserCall::Update,
        id.clone(),
        object(&[("objectId", &id), ("name", "Never")]),
        false.into(),
        aborted.into(),
    ))
    .await
    .unwrap_err();
    assert_error_name(&error, "AbortError");
    assert!(requests().await.is_empty(), "an aborted call sends nothing");

    control("POST", "hold").await;
    let quick = Object::new();
    set(&quick, "timeout", &JsValue::from(200));
    let error = resolve(user_call(
        UserCall::Roles,
        String::new(),
        JsValue::UNDEFINED,
        false.into(),
        quick.into(),
    ))
    .await
    .unwrap_err();
    control("DELETE", "hold").await;
    assert_error_name(&error, "TimeoutError");
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    assert_eq!(current_token(), get_string(&user, "user-token"));
}

// ---- update -----------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn update_of_the_current_user_sends_put_and_the_page_follows() {
    fresh_page();
    let (_, id, user) = logged_in_user(true).await;
    let token = get_string(&user, "user-token").unwrap();
    let listener = ListenerLog::subscribe();
    clear_requests().await;

    let changes = object(&[("objectId", &id), ("name", "Alice Liddell")]);
    let updated = resolve(call(UserCall::Update, &id, changes, false))
        .await
        .unwrap();

    let request = single_request("PUT", &format!("{}/users/{id}", base_path())).await;
    assert_eq!(
        header(&request, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        get_string(&request, "tokenUserId").as_deref(),
        Some(id.as_str())
    );
    assert_eq!(
        stringify(&get(&request, "body")),
        format!(r#"{{"objectId":"{id}","name":"Alice Liddell"}}"#)
    );
    assert_eq!(
        get_string(&updated, "name").as_deref(),
        Some("Alice Liddell")
    );
    // The current user is the updated one, token kept; storage is the same session.
    let current = current_user().await.unwrap();
    assert_eq!(
        get_string(&current, "name").as_deref(),
        Some("Alice Liddell")
    );
    assert_eq!(get_string(&current, "user-token"), Some(token));
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    assert_eq!(
        listener.ids(),
        [id.clone()],
        "listeners hear of the new profile"
    );
    assert_eq!(
        get_string(&listener.calls.borrow()[0], "name").as_deref(),
        Some("Alice Liddell")
    );
    // The server kept it: a reload restores the new name.
    reload();
    let restored = current_user().await.unwrap();
    assert_eq!(
        get_string(&restored, "name").as_deref(),
        Some("Alice Liddell")
    );
}

/// `update` of the user `id` with `property` set to `value`, expected to reject: the error.
async fn update_refused(id: &str, property: &str, value: &str) -> JsValue {
    let changes = object(&[("objectId", id), (property, value)]);
    resolve(call(UserCall::Update, id, changes, false))
        .await
        .unwrap_err()
}

#[wasm_bindgen_test]
async fn update_errors_carry_the_documented_codes_and_change_nothing() {
    fresh_page();
    let other = register_user(&unique_email(), PASSWORD).await;
    // Not logged in: 3028.
    assert_error(
        &update_refused(&other, "name", "x").await,
        Some(3028),
        Some(401),
    );

    let (_, id, user) = logged_in_user(true).await;
    let listener = ListenerLog::subscribe();
    // Another user's account: 3029.
    assert_error(
        &update_refused(&other, "name", "x").await,
        Some(3029),
        Some(403),
    );
    // An email another account has: 3018.
    let taken = unique_email();
    register_user(&taken, PASSWORD).await;
    assert_error(
        &update_refused(&id, "email", &taken).await,
        Some(3018),
        Some(409),
    );
    // Nothing moved.
    assert!(listener.ids().is_empty());
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    let current = current_user().await.unwrap();
    assert_eq!(get_string(&current, "objectId"), Some(id));
    assert_ne!(get_string(&current, "email"), Some(taken));
}

/// An update the server made, answered after this page moved on to another session: the answer
/// is the caller's, the page keeps the new session.
#[wasm_bindgen_test]
async fn an_update_answered_after_another_login_leaves_the_new_session() {
    fresh_page();
    let (_, alice, _) = logged_in_user(true).await;
    let bob = unique_email();
    register_user(&bob, PASSWORD).await;
    let update = || {
        let changes = object(&[("objectId", &alice), ("name", "Late")]);
        call(UserCall::Update, &alice, changes, false)
    };
    let (updated, bob_user) = answered_after_a_later_login(update, &bob, "the update").await;
    assert_eq!(
        get_string(&updated.unwrap(), "name").as_deref(),
        Some("Late")
    );
    let current = current_user().await.unwrap();
    assert_eq!(
        get_string(&current, "objectId"),
        get_string(&bob_user, "objectId")
    );
    assert_eq!(stored_item(), Some(session_map_of(&bob_user)));
}

/// Makes `first` while the server holds requests, then a password login of `email`; lets the
/// login's answer through first, then `first`'s. Answers how `first` settled and the login's user.
async fn answered_after_a_later_login(
    first: impl FnOnce() -> Promise,
    email: &str,
    label: &str,
) -> (Result<JsValue, String>, JsValue) {
    not_holding().await;
    control("POST", "hold").await;
    let first = watch(first());
    let first_id = newly_held(0, label).await;
    let login = watch(user_service::login(
        email.into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    ));
    let login_id = newly_held(1, "the later login").await;
    release(login_id).await;
    let user = until_settled(&login, "the later login").await.unwrap();
    release(first_id).await;
    let outcome = until_settled(&first, label).await;
    control("DELETE", "hold").await;
    (outcome, user)
}

// ---- guest → registered user ------------------------------------------------------------------

#[wasm_bindgen_test]
async fn a_guest_that_registers_becomes_that_user_in_the_same_session() {
    fresh_page();
    let guest = resolve(user_service::login_as_guest(
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    let id = get_string(&guest, "objectId").unwrap();
    let token = get_string(&guest, "user-token").unwrap();
    let listener = ListenerLog::subscribe();
    let email = unique_email();
    clear_requests().await;

    let account = object(&[("objectId", &id), ("email", &email), ("password", PASSWORD)]);
    let registered = resolve(user_service::register(account, JsValue::UNDEFINED))
        .await
        .unwrap();

    let request = single_request("POST", &format!("{}/users/register", base_path())).await;
    assert_eq!(
        get_string(&request, "tokenUserId").as_deref(),
        Some(id.as_str()),
        "sent with the guest's token"
    );
    assert_eq!(get_string(&registered, "objectId"), Some(id.clone()));
    assert_eq!(
        get_string(&registered, "userStatus").as_deref(),
        Some("ENABLED")
    );
    let current = current_user().await.unwrap();
    assert_eq!(get_string(&current, "email"), Some(email.clone()));
    assert_eq!(get_string(&current, "user-token"), Some(token.clone()));
    assert_eq!(current_token(), Some(token.clone()), "the same session");
    assert_eq!(stored_item(), Some(session_map(&token, &id)));
    assert_eq!(listener.ids(), [id.clone()]);
    assert_eq!(roles().await.unwrap(), ["AuthenticatedUser"]);
    // The account logs in with its new password.
    let again = login_as(&email, false).await.unwrap();
    assert_eq!(get_string(&again, "objectId"), Some(id));
}

#[wasm_bindgen_test]
async fn registering_someone_else_leaves_the_current_user_alone() {
    fresh_page();
    let (_, id, user) = logged_in_user(true).await;
    let listener = ListenerLog::subscribe();
    let other = object(&[("email", &unique_email()), ("password", PASSWORD)]);
    let created = resolve(user_service::register(other, JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_ne!(get_string(&created, "objectId"), Some(id.clone()));
    assert!(listener.ids().is_empty());
    assert_eq!(
        get_string(&current_user().await.unwrap(), "objectId"),
        Some(id)
    );
    assert_eq!(stored_item(), Some(session_map_of(&user)));
}

#[wasm_bindgen_test]
async fn a_registered_user_cannot_be_registered_over() {
    fresh_page();
    let (_, id, user) = logged_in_user(true).await;
    let account = object(&[
        ("objectId", &id),
        ("email", &unique_email()),
        ("password", PASSWORD),
    ]);
    let error = resolve(user_service::register(account, JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_error(&error, Some(3212), Some(400));
    assert_eq!(stored_item(), Some(session_map_of(&user)));
}

// ---- resendEmailConfirmation ------------------------------------------------------------------

#[wasm_bindgen_test]
async fn resend_confirmation_answers_as_the_docs_say() {
    fresh_page();
    let email = unique_email();
    // The app does not require confirmation: 3103.
    register_user(&email, PASSWORD).await;
    clear_requests().await;
    let error = resolve(call(
        UserCall::ResendConfirmation,
        &email,
        JsValue::UNDEFINED,
        false,
    ))
    .await
    .unwrap_err();
    assert_error(&error, Some(3103), Some(400));
    let encoded = email.replace('@', "%40");
    let request = single_request(
        "POST",
        &format!("{}/users/resendconfirmation/{encoded}", base_path()),
    )
    .await;
    assert_eq!(
        header(&request, "content-type"),
        None,
        "no body, no Content-Type"
    );

    set_policy(r#"{"requireEmailConfirmation":true}"#).await;
    let pending = unique_email();
    register_user(&pending, PASSWORD).await;
    let sent = resolve(call(
        UserCall::ResendConfirmation,
        &pending,
        JsValue::UNDEFINED,
        false,
    ))
    .await;
    // An already confirmed account: 3102; nobody: 3104.
    let confirmed = resolve(call(
        UserCall::ResendConfirmation,
        &email,
        JsValue::UNDEFINED,
        false,
    ))
    .await;
    let nobody = resolve(call(
        UserCall::ResendConfirmation,
        &unique_email(),
        JsValue::UNDEFINED,
        false,
    ))
    .await;
    set_policy(r#"{"requireEmailConfirmation":false}"#).await;

    assert!(sent.unwrap().is_undefined(), "resolves with nothing");
    assert_error(&confirmed.unwrap_err(), Some(3102), Some(400));
    assert_error(&nobody.unwrap_err(), Some(3104), Some(404));
    let outbox = Request::get(&format!("{SERVER}/__emulator/outbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        outbox.contains(&pending),
        "the confirmation went to {pending}: {outbox}"
    );
}

// ---- loginWithOauth2 ----------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn oauth_login_exchanges_the_providers_token_for_a_session() {
    fresh_page();
    let email = unique_email();
    let (account_id, access_token) = provider_account(&email, "Alice").await;
    let listener = ListenerLog::subscribe();
    clear_requests().await;

    let user = resolve(call(
        UserCall::OAuthLogin,
        PROVIDER,
        oauth_body(&access_token),
        true,
    ))
    .await
    .unwrap();

    let request = single_request(
        "POST",
        &format!("{}/users/social/{PROVIDER}/login", base_path()),
    )
    .await;
    assert_eq!(
        header(&request, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        stringify(&get(&request, "body")),
        r#"{"accessToken":"[redacted]"}"#,
        "the official client's body (its undefined fields dropped)"
    );
    let id = get_string(&user, "objectId").unwrap();
    assert_eq!(get_string(&user, "email"), Some(email.clone()));
    let identity = Array::from(&get(&user, "oAuthIdentities")).get(0);
    assert_eq!(
        get_string(&identity, "providerCode").as_deref(),
        Some(PROVIDER)
    );
    assert_eq!(get_string(&identity, "oAuthId"), Some(account_id));
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    assert_eq!(listener.ids(), [id.clone()]);
    assert_eq!(roles().await.unwrap(), ["AuthenticatedUser"]);
    // The same provider account logs in to the same user again.
    let (_, token_again) = provider_account(&email, "Alice").await;
    let again = resolve(call(
        UserCall::OAuthLogin,
        PROVIDER,
        oauth_body(&token_again),
        false,
    ))
    .await
    .unwrap();
    assert_eq!(get_string(&again, "objectId"), Some(id));
    assert_eq!(
        stored_item(),
        Some("{}".into()),
        "stayLoggedIn false wipes the stored session"
    );
}

#[wasm_bindgen_test]
async fn oauth_login_failures_keep_the_session_and_carry_codes() {
    fresh_page();
    let (_, _, user) = logged_in_user(true).await;
    let listener = ListenerLog::subscribe();
    let error = resolve(call(
        UserCall::OAuthLogin,
        PROVIDER,
        oauth_body("not-a-token"),
        true,
    ))
    .await
    .unwrap_err();
    assert_error(&error, Some(3211), Some(401));
    let (_, access_token) = provider_account(&unique_email(), "Bob").await;
    let error = resolve(call(
        UserCall::OAuthLogin,
        "nosuchprovider",
        oauth_body(&access_token),
        true,
    ))
    .await
    .unwrap_err();
    assert_error(&error, Some(3210), Some(400));
    assert!(listener.ids().is_empty());
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    assert_eq!(current_token(), get_string(&user, "user-token"));
}

#[wasm_bindgen_test]
async fn oauth_login_with_a_guest_turns_the_guest_into_the_social_user() {
    fresh_page();
    let guest = resolve(user_service::login_as_guest(
        true.into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    let guest_id = get_string(&guest, "objectId").unwrap();
    let email = unique_email();
    let (_, access_token) = provider_account(&email, "Carol").await;
    let body = oauth_body(&access_token);
    set(&body, "guestUser", &guest);
    let user = resolve(call(UserCall::OAuthLogin, PROVIDER, body, true))
        .await
        .unwrap();
    assert_eq!(get_string(&user, "objectId"), Some(guest_id));
    assert_eq!(get_string(&user, "email"), Some(email));
    assert_eq!(get_string(&user, "userStatus").as_deref(), Some("ENABLED"));
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    assert_eq!(roles().await.unwrap(), ["AuthenticatedUser"]);
}

#[wasm_bindgen_test]
async fn an_oauth_login_answered_after_a_later_password_login_is_superseded() {
    fresh_page();
    let (_, access_token) = provider_account(&unique_email(), "Dan").await;
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    let oauth = || {
        call(
            UserCall::OAuthLogin,
            PROVIDER,
            oauth_body(&access_token),
            true,
        )
    };
    let (outcome, user) = answered_after_a_later_login(oauth, &email, "the OAuth login").await;
    assert_eq!(outcome.unwrap_err(), "SupersededError");
    assert_eq!(current_token(), get_string(&user, "user-token"));
    assert_eq!(stored_item(), Some(session_map_of(&user)));
}

// ---- getAuthorizationUrlLink and the redirect flow -------------------------------------------

fn authorization_body(redirect_after_login: &str) -> JsValue {
    let body = object(&[("redirectAfterLoginUrl", redirect_after_login)]);
    set(&body, "redirect", &JsValue::FALSE);
    body
}

#[wasm_bindgen_test]
async fn authorization_url_points_at_the_providers_sign_in_page() {
    fresh_page();
    clear_requests().await;
    let back = format!("{}/back", page_origin());
    let url = resolve(call(
        UserCall::AuthorizationUrl,
        PROVIDER,
        authorization_body(&back),
        false,
    ))
    .await
    .unwrap()
    .as_string()
    .expect("the authorization URL as a string");
    assert!(
        url.starts_with(&format!("{SERVER}/oauth-provider/{PROVIDER}/authorize?")),
        "{url}"
    );
    assert!(url.contains("state="), "{url}");
    let request = single_request(
        "POST",
        &format!("{}/users/oauth/{PROVIDER}/request_url", base_path()),
    )
    .await;
    assert_eq!(
        stringify(&get(&request, "body")),
        format!(r#"{{"redirectAfterLoginUrl":"{back}","redirect":false}}"#)
    );
    let error = resolve(call(
        UserCall::AuthorizationUrl,
        "nosuchprovider",
        authorization_body(&back),
        false,
    ))
    .await
    .unwrap_err();
    assert_error(&error, Some(3210), Some(400));
}

/// The redirect flow itself runs in a real tab in tests/node/login-family.test.mjs (the
/// provider's pages refuse to be framed, so a test page cannot follow it in an iframe); here, the
/// page's side of its end: a session the server made elsewhere, taken over with its token and id.
#[wasm_bindgen_test]
async fn a_session_brought_back_by_a_redirect_is_taken_over() {
    fresh_page();
    let email = unique_email();
    let (_, access_token) = provider_account(&email, "Alice").await;
    let body = format!(r#"{{"accessToken":{}}}"#, stringify(&access_token.into()));
    let (status, session) = post_json(
        &format!("{SERVER}{}/users/oauth/{PROVIDER}/login", base_path()),
        &body,
    )
    .await;
    assert_eq!(status, 200, "the REST docs' path answers too");
    let token = get_string(&session, "user-token").unwrap();
    let id = get_string(&session, "objectId").unwrap();

    let listener = ListenerLog::subscribe();
    clear_requests().await;
    let user = resolve(call(UserCall::Adopt, &id, token.clone().into(), true))
        .await
        .unwrap();
    let request = single_request("GET", &format!("{}/data/Users/{id}", base_path())).await;
    assert_eq!(
        get_string(&request, "tokenUserId").as_deref(),
        Some(id.as_str())
    );
    assert_eq!(get_string(&user, "email"), Some(email));
    assert_eq!(get_string(&user, "user-token"), Some(token.clone()));
    assert_eq!(stored_item(), Some(session_map(&token, &id)));
    assert_eq!(listener.ids(), [id]);
    assert_eq!(roles().await.unwrap(), ["AuthenticatedUser"]);
}

#[wasm_bindgen_test]
async fn a_redirect_with_a_dead_token_changes_nothing() {
    fresh_page();
    let (_, id, user) = logged_in_user(true).await;
    let error = resolve(call(
        UserCall::Adopt,
        &id,
        "00000000-0000-0000-0000-000000000000".into(),
        true,
    ))
    .await
    .unwrap_err();
    assert_error_name(&error, "BackendlessError");
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    assert_eq!(current_token(), get_string(&user, "user-token"));
}
