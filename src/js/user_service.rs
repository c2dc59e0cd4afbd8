//! `Backendless.UserService`: login, session checks and the current user.
//!
//! Every call validates its arguments before any request, returns a Promise, and takes an
//! optional trailing `{ timeout, signal }`.

use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::{call_options, generation, next_generation, next_id, promise, transition, with_app};
use crate::api;
use crate::error::{codes, BackendlessError};
use crate::session::Event;
use crate::transport::{self, CallOptions};
use crate::user;

fn rejected(error: BackendlessError) -> Promise {
    promise(Box::pin(async move { Err(error) }))
}

/// Checks login and password as the server would, so mistakes never reach the network.
fn credentials(login: &JsValue, password: &JsValue) -> Result<(String, String), BackendlessError> {
    let missing = |v: &JsValue| v.is_null() || v.is_undefined();
    if missing(login) || missing(password) {
        return Err(BackendlessError::argument_with_code(
            codes::MISSING_PARAMETER,
            "One of the required parameters (login or password) is null",
        ));
    }
    match (login.as_string(), password.as_string()) {
        (Some(login), Some(password)) if login.is_empty() || password.is_empty() => Err(
            BackendlessError::argument_with_code(codes::EMPTY_LOGIN_OR_PASSWORD, "Either login or password is an empty string value"),
        ),
        (Some(login), Some(password)) => Ok((login, password)),
        _ => Err(BackendlessError::argument("login and password must be strings")),
    }
}

fn json_text(value: &JsValue) -> Result<String, BackendlessError> {
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| BackendlessError::argument("The value cannot be sent as JSON"))
}

/// Reads `objectId` and `user-token` from a login answer and records the new session.
fn logged_in(started: u32, user: JsValue, stay: bool) -> Result<JsValue, BackendlessError> {
    let (Some(user_id), Some(token)) = (user::object_id(&user), user::token(&user)) else {
        return Err(BackendlessError::invalid_response(200, "The login answer has no objectId or user-token"));
    };
    transition(Some(started), Event::LoggedIn { user: user.clone(), user_id, token, stay })?;
    Ok(user)
}

fn base_and_token() -> Result<(String, Option<String>), BackendlessError> {
    with_app(|app| (app.base_url(), app.session.token.clone()))
}

/// `UserService.login(login, password, stayLoggedIn)`: resolves with the user (its
/// `user-token` included). With `stayLoggedIn` the session survives a reload; without it any
/// stored session is wiped and the new one lives in memory only. A failed login changes nothing.
#[wasm_bindgen(js_name = login)]
pub fn login(login: JsValue, password: JsValue, stay_logged_in: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let (login, password) = credentials(&login, &password)?;
        let options = call_options(&options)?;
        let (base, token) = base_and_token()?;
        let body = Object::new();
        let _ = Reflect::set(&body, &JsValue::from_str("login"), &JsValue::from_str(&login));
        let _ = Reflect::set(&body, &JsValue::from_str("password"), &JsValue::from_str(&password));
        let body = json_text(&body)?;
        let started = next_generation();
        let user = transport::send(&api::login(&base, token.as_deref()), Some(&body), &options).await?;
        logged_in(started, user, stay_logged_in.is_truthy())
    }))
}

/// `UserService.loginAsGuest(stayLoggedIn)`: a new GUEST user with its own session.
#[wasm_bindgen(js_name = loginAsGuest)]
pub fn login_as_guest(stay_logged_in: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let options = call_options(&options)?;
        let (base, token) = base_and_token()?;
        let started = next_generation();
        let user = transport::send(&api::login_as_guest(&base, token.as_deref()), None, &options).await?;
        logged_in(started, user, stay_logged_in.is_truthy())
    }))
}

/// `UserService.register(user)`: creates the user; does not log in.
#[wasm_bindgen(js_name = register)]
pub fn register(new_user: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(async move {
        if !user::is_plain_object(&new_user) {
            return Err(BackendlessError::argument("register: the user must be an object of properties"));
        }
        let options = call_options(&options)?;
        let body = json_text(&new_user)?;
        let (base, token) = base_and_token()?;
        transport::send(&api::register(&base, token.as_deref()), Some(&body), &options).await
    }))
}

/// `UserService.restorePassword(identity)`: asks the server to mail a reset link.
#[wasm_bindgen(js_name = restorePassword)]
pub fn restore_password(identity: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let identity = identity
            .as_string()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| BackendlessError::argument("restorePassword: the identity must be a non-empty string"))?;
        let options = call_options(&options)?;
        let (base, token) = base_and_token()?;
        transport::send(&api::restore_password(&base, &identity, token.as_deref()), None, &options).await?;
        Ok(JsValue::UNDEFINED)
    }))
}

/// `UserService.logout()`: always ends the local session, even when the server cannot be
/// reached; still rejects with that error so the page knows the server did not hear it.
#[wasm_bindgen(js_name = logout)]
pub fn logout(options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let options = call_options(&options)?;
        let (base, token) = base_and_token()?;
        let started = next_generation();
        let Some(token) = token else {
            transition(Some(started), Event::Ended)?;
            return Ok(JsValue::UNDEFINED);
        };
        let result = transport::send(&api::logout(&base, Some(&token)), None, &options).await;
        transition(Some(started), Event::Ended)?;
        match result {
            Ok(_) => Ok(JsValue::UNDEFINED),
            // The server says the session was already gone: that is what logout wanted.
            Err(error) if error.ends_session() => Ok(JsValue::UNDEFINED),
            Err(error) => Err(error),
        }
    }))
}

/// `UserService.isValidLogin()`: asks the server whether the session's token is alive.
/// No token known: `false` with no request. A server-confirmed `false` ends the session
/// locally too; a network error rejects and keeps it.
#[wasm_bindgen(js_name = isValidLogin)]
pub fn is_valid_login(options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let options = call_options(&options)?;
        let (base, token) = base_and_token()?;
        let Some(token) = token else { return Ok(JsValue::FALSE) };
        let started = generation();
        let answer = transport::send(&api::is_valid_user_token(&base, &token), None, &options).await;
        validity(started, answer).map(JsValue::from_bool)
    }))
}

/// `UserService.isValidLoginSync()`: the blocking form of [`is_valid_login`], over a
/// synchronous XMLHttpRequest. It freezes the page until the server answers, so prefer
/// `isValidLogin()`; it is here because the documentation shows it. Same session rules.
#[wasm_bindgen(js_name = isValidLoginSync)]
pub fn is_valid_login_sync() -> Result<bool, JsValue> {
    let (base, token) = base_and_token().map_err(super::error_to_js)?;
    let Some(token) = token else { return Ok(false) };
    let started = generation();
    validity(started, transport::send_sync(&api::is_valid_user_token(&base, &token))).map_err(super::error_to_js)
}

/// The session rule shared by both forms of isValidLogin: a server-confirmed `false` (or a
/// dead-token error) ends the session; anything else leaves it as it is.
fn validity(started: u32, answer: Result<JsValue, BackendlessError>) -> Result<bool, BackendlessError> {
    let valid = match answer {
        Ok(answer) => answer
            .as_bool()
            .ok_or_else(|| BackendlessError::invalid_response(200, "isvalidusertoken did not answer true or false"))?,
        Err(error) if error.ends_session() => false,
        Err(error) => return Err(error),
    };
    if !valid {
        transition(Some(started), Event::Ended)?;
    }
    Ok(valid)
}

/// `UserService.getCurrentUser(reload?)`: the user in memory, else the stored session's user
/// from `data/Users/{id}` (concurrent calls share one request), else `null`. A stored session
/// the server no longer knows is cleared and answers `null`.
#[wasm_bindgen(js_name = getCurrentUser)]
pub fn get_current_user(reload: JsValue, options: JsValue) -> Promise {
    match call_options(&options).and_then(|options| start_restore(reload.is_truthy(), options)) {
        Ok(promise) => promise,
        Err(error) => rejected(error),
    }
}

enum Next {
    Ready(JsValue),
    Shared(Promise),
    Fetch { base: String, id: String, token: String },
}

pub(crate) fn start_restore(reload: bool, options: CallOptions) -> Result<Promise, BackendlessError> {
    let next = with_app(|app| {
        if !reload {
            if let Some(user) = &app.session.user {
                return Next::Ready(user.clone());
            }
            if let Some((_, pending)) = &app.restoring {
                return Next::Shared(pending.clone());
            }
        }
        match (&app.session.user_id, &app.session.token) {
            (Some(id), Some(token)) => Next::Fetch { base: app.base_url(), id: id.clone(), token: token.clone() },
            _ => Next::Ready(JsValue::NULL),
        }
    })?;
    let (base, id, token) = match next {
        Next::Ready(user) => return Ok(Promise::resolve(&user)),
        Next::Shared(pending) => return Ok(pending),
        Next::Fetch { base, id, token } => (base, id, token),
    };
    let restore_id = next_id();
    let started = generation();
    let pending = promise(Box::pin(async move {
        let result = transport::send(&api::find_user(&base, &id, Some(&token)), None, &options).await;
        with_app(|app| {
            if app.restoring.as_ref().is_some_and(|(other, _)| *other == restore_id) {
                app.restoring = None;
            }
        })?;
        match result {
            Ok(found) if user::object_id(&found).as_deref() == Some(id.as_str()) => {
                user::set_token(&found, &token);
                transition(Some(started), Event::Restored { user: found.clone() })?;
                Ok(found)
            }
            Ok(_) => Err(BackendlessError::invalid_response(200, "data/Users answered without the user's objectId")),
            Err(error) if error.ends_session() => {
                transition(Some(started), Event::Ended)?;
                Ok(JsValue::NULL)
            }
            Err(error) => Err(error),
        }
    }));
    with_app(|app| app.restoring = Some((restore_id, pending.clone())))?;
    Ok(pending)
}

/// `UserService.getCurrentUserToken()`: the session's token, or `null`.
#[wasm_bindgen(js_name = getCurrentUserToken)]
pub fn get_current_user_token() -> Result<JsValue, JsValue> {
    with_app(|app| app.session.token.as_deref().map_or(JsValue::NULL, JsValue::from_str)).map_err(super::error_to_js)
}

/// `UserService.loggedInUser()`: the stored `current-user-id`, or `null`.
#[wasm_bindgen(js_name = loggedInUser)]
pub fn logged_in_user() -> Result<JsValue, JsValue> {
    with_app(|app| app.cache.stored_session().user_id.map_or(JsValue::NULL, |id| JsValue::from_str(&id)))
        .map_err(super::error_to_js)
}

/// `UserService.setCurrentUser(user, stayLoggedIn)`: adopts a user object that carries its
/// `objectId` and `user-token` (from a server-side login, say).
#[wasm_bindgen(js_name = setCurrentUser)]
pub fn set_current_user(user: JsValue, stay_logged_in: JsValue) -> Result<JsValue, JsValue> {
    if !user::is_plain_object(&user) {
        return Err(super::error_to_js(BackendlessError::argument("setCurrentUser: the user must be an object")));
    }
    let started = next_generation();
    logged_in(started, user, stay_logged_in.is_truthy()).map_err(super::error_to_js)
}

/// `UserService.addSessionListener(callback)`: `callback(user | null)` runs on login, logout,
/// restore after reload, invalidation and changes made in another tab. Returns a function
/// that unsubscribes.
#[wasm_bindgen(js_name = addSessionListener)]
pub fn add_session_listener(callback: JsValue) -> Result<JsValue, JsValue> {
    let callback: Function = callback.dyn_into().map_err(|_| {
        super::error_to_js(BackendlessError::argument("addSessionListener: the listener must be a function"))
    })?;
    let id = super::add_listener(callback);
    Ok(Closure::<dyn Fn()>::new(move || super::remove_listener(id)).into_js_value())
}
