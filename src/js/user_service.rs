//! `Backendless.UserService`: each export decodes and checks its arguments into an [`Op`] (a
//! row of the call table, [`crate::calls`], with its data) and hands it to the engine
//! ([`crate::engine`]); this file only ties the engine to Promises.
//!
//! Every asynchronous call validates its arguments before any request (so a caller's mistake
//! never reaches the network), returns a Promise, and takes an optional trailing
//! `{ timeout, signal }`. Arguments are decoded where they cost the fewest bytes: the password
//! calls' here, the login family's in the entry module (README, "Layout").

use js_sys::{Function, JsString, Object, Promise, JSON};
use wasm_bindgen::prelude::{wasm_bindgen, Closure};
use wasm_bindgen::{JsCast, JsValue};

use super::{call_options, error_to_js, with_app, Page};
use crate::calls::Call;
use crate::engine::{self, Begun, Host, Op, Restore};
use crate::error::BackendlessError;
use crate::property;
use crate::protocol::faults;
use crate::session::Stamps;
use crate::transport::{self, CallOptions};
use crate::user;

/// Starts `op` as a Promise, or answers one already rejected with the argument error. An
/// identical login in flight is joined instead (see [`engine::State::join_login`]).
pub(super) fn start(op: Result<Op<JsValue>, BackendlessError>, options: &JsValue) -> Promise {
    let (op, options) = match op.and_then(|op| Ok((op, call_options(options)?))) {
        Ok(checked) => checked,
        Err(error) => return Promise::reject(&error_to_js(error)),
    };
    let login = op.call == Call::Login && options.signal.is_none();
    if login {
        if let Ok(Some(shared)) = Page::with_state(|state| state.join_login(&op)) {
            return shared;
        }
    }
    let id = op.id;
    let started = run(op, options);
    if login {
        // Shared from now on, unless it has already ended (it failed before any request).
        let _ = Page::with_state(|state| state.share_login(id, started.clone()));
    }
    started
}

/// Runs `op`: [`engine::begin`] describes the request, the exchange sends it, and its `then`
/// calls [`engine::finish`] through a one-shot closure; the Promise `then` returns is the
/// call's (no Rust future; size: see BENCHMARKS.md#size-no-future). One closure serves both settlements:
/// the exchange resolves with its outcome and never rejects, and anything else reads as a
/// network failure (`transport::answer_of`), so `finish` always runs and no call stays in flight.
fn run(op: Op<JsValue>, options: CallOptions) -> Promise {
    let (sent, token, started) = match send(&op, options) {
        Ok(Sent::Request(sent, token, started)) => (sent, token, started),
        Ok(Sent::Answered(value)) => return Promise::resolve(&value),
        Err(error) => return Promise::reject(&error_to_js(error)),
    };
    let settle = Closure::once_into_js(move |outcome: JsValue| {
        engine::finish::<Page>(op, transport::answer_of(outcome), token.as_deref(), started)
            .map_err(error_to_js)
    });
    sent.then_both(&settle)
}

enum Sent {
    /// The exchange under way, with the session's token when it started and the call's stamp.
    Request(transport::Exchange, Option<String>, Option<u32>),
    /// Settled without a request.
    Answered(JsValue),
}

fn send(op: &Op<JsValue>, options: CallOptions) -> Result<Sent, BackendlessError> {
    let (base, token) = with_app(|app| app.base_and_token())?;
    let (request, started) = match engine::begin::<Page>(op, token.as_deref())? {
        Begun::Answered(value) => return Ok(Sent::Answered(value)),
        Begun::Send(request, started) => (request, started),
    };
    let sent = transport::send(&base, &request, op.body.as_ref(), &options)?;
    Ok(Sent::Request(sent, token, started))
}

/// Checks login and password as the server would, so mistakes never reach the network. A login
/// with no password (`undefined`) is a login by objectId, as in the official client (the server
/// allows it only under a CloudCode API key).
fn credentials(login: &JsValue, password: &JsValue) -> Result<JsValue, BackendlessError> {
    let body = Object::new();
    if password.is_undefined() && login.is_string() {
        property::set(&body, "objectId", login);
        return json_text(&body);
    }
    let missing = |v: &JsValue| v.is_null() || v.is_undefined();
    if missing(login) || missing(password) {
        return Err(BackendlessError::refused_locally(faults::MISSING_PARAMETER));
    }
    // Checked as JS strings: the credentials are never copied into the wasm. A number other than
    // 0 and NaN is a login too (an identity column of numbers), sent as the number it is.
    let empty = |v: &JsValue| v.dyn_ref::<JsString>().map(JsString::length) == Some(0);
    let number = login.as_f64().is_some() && login.is_truthy();
    match (login.is_string() || number, password.is_string()) {
        _ if empty(login) || empty(password) => Err(BackendlessError::refused_locally(
            faults::EMPTY_LOGIN_OR_PASSWORD,
        )),
        (true, true) => {
            property::set(&body, "login", login);
            property::set(&body, "password", password);
            json_text(&body)
        }
        _ => Err(BackendlessError::argument(
            "login must be a string or a number, and the password a string",
        )),
    }
}

/// `JSON.stringify(value)`, kept as a JS string.
fn json_text(value: &JsValue) -> Result<JsValue, BackendlessError> {
    JSON::stringify(value)
        .ok()
        .map(JsValue::from)
        // undefined when the value (or its toJSON) has no JSON form
        .filter(JsValue::is_string)
        .ok_or_else(|| BackendlessError::argument("The value cannot be sent as JSON"))
}

/// `stayLoggedIn` of `login` and `loginAsGuest`: `true` itself, as the official client reads it
/// there (its other calls, like ours, take any truthy value).
fn stays(stay_logged_in: &JsValue) -> bool {
    stay_logged_in.as_bool() == Some(true)
}

/// `UserService.login(login, password, stayLoggedIn)` (or `login(objectId, stayLoggedIn)`, whose
/// shift the entry module makes): resolves with the user (its `user-token` included). With `stayLoggedIn` the session survives a reload; without it any
/// stored session is wiped and the new one lives in memory only. A failed login changes nothing.
#[wasm_bindgen(js_name = login)]
pub fn login(
    login: JsValue,
    password: JsValue,
    stay_logged_in: JsValue,
    options: JsValue,
) -> Promise {
    let op = credentials(&login, &password).map(|body| Op {
        body: Some(body),
        stay: stays(&stay_logged_in),
        id: Page::next_id(),
        ..Op::new(Call::Login)
    });
    start(op, &options)
}

/// `UserService.loginAsGuest(stayLoggedIn)`: a new GUEST user with its own session.
#[wasm_bindgen(js_name = loginAsGuest)]
pub fn login_as_guest(stay_logged_in: JsValue, options: JsValue) -> Promise {
    start(
        Ok(Op {
            stay: stays(&stay_logged_in),
            ..Op::new(Call::Guest)
        }),
        &options,
    )
}

/// `UserService.register(user)`: creates the user; does not log in.
#[wasm_bindgen(js_name = register)]
pub fn register(new_user: JsValue, options: JsValue) -> Promise {
    let op = if user::is_plain_object(&new_user) {
        json_text(&new_user).map(|body| Op {
            body: Some(body),
            ..Op::new(Call::Register)
        })
    } else {
        Err(BackendlessError::argument(
            "register: the user must be an object",
        ))
    };
    start(op, &options)
}

/// `UserService.restorePassword(identity)`: asks the server to mail a reset link.
#[wasm_bindgen(js_name = restorePassword)]
pub fn restore_password(identity: JsValue, options: JsValue) -> Promise {
    let op = identity
        .as_string()
        .filter(|s| !s.is_empty())
        .map(|identity| Op {
            segment: Some(identity),
            ..Op::new(Call::RestorePassword)
        })
        .ok_or_else(|| {
            BackendlessError::argument("restorePassword: the identity must be a non-empty string")
        });
    start(op, &options)
}

/// The calls that [`user_call`] serves; the entry module names them (`UserCall.Roles`, …).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserCall {
    /// `getUserRoles()`.
    Roles = 0,
    /// `update(user)`: `body` is the user.
    Update = 1,
    /// `resendEmailConfirmation(identity)`: `segment` is the identity.
    ResendConfirmation = 2,
    /// `loginWithOauth2`: `segment` the provider code, `body` `{accessToken, fieldsMapping,
    /// guestUser}`.
    OAuthLogin = 3,
    /// `getAuthorizationUrlLink`: `segment` the provider code, `body` the request body.
    AuthorizationUrl = 4,
    /// `completeOAuthRedirect`: `segment` the objectId, `body` the user-token from the redirect
    /// (the entry module refuses the call without one; anything but a string takes over no
    /// session: the engine answers `InvalidResponseError`).
    Adopt = 5,
    /// `getUserRoles(userId)`: `segment` the user's objectId.
    RolesOf = 6,
    /// `createEmailConfirmationURL(identity)`: `segment` the identity.
    ConfirmationUrl = 7,
    DescribeUserClass = 8,
    /// `loginWithFacebookSdk`, `loginWithGooglePlusSdk`: `segment` the provider code, `body`
    /// `{accessToken, fieldsMapping}`.
    SdkLogin = 9,
}

/// The calls of [`UserCall`], in its order (static data rather than a `match`: size: see
/// BENCHMARKS.md#size-call-table).
const FAMILY: [Call; 10] = [
    Call::Roles,
    Call::Update,
    Call::ResendConfirmation,
    Call::OAuthLogin,
    Call::AuthorizationUrl,
    Call::Adopt,
    Call::RolesOf,
    Call::ConfirmationUrl,
    Call::DescribeUserClass,
    Call::SdkLogin,
];

/// One export for every call beyond the password flow: one path in the wasm for ten calls (their
/// cost per call is in BENCHMARKS.md). The entry module checks and places the caller's arguments
/// (npm/api.js): `segment` is the checked path segment (objectId, identity, lower-cased provider
/// code), `body` the request body object, or for [`UserCall::Adopt`] the redirect's user-token.
#[wasm_bindgen(js_name = userCall)]
pub fn user_call(
    call: UserCall,
    segment: String,
    body: JsValue,
    stay_logged_in: JsValue,
    options: JsValue,
) -> Promise {
    let stay = stay_logged_in.is_truthy();
    let adopted = (call == UserCall::Adopt)
        .then(|| body.as_string())
        .flatten();
    let op = segment_call(FAMILY[call as usize], segment, &body).map(|op| Op {
        token: adopted,
        stay,
        ..op
    });
    start(op, &options)
}

/// The [`Op`] of a call taking a path segment and, when its row says so, `body` as JSON.
pub(super) fn segment_call(
    call: Call,
    segment: String,
    body: &JsValue,
) -> Result<Op<JsValue>, BackendlessError> {
    let body = match call.row().json_body {
        true => Some(json_text(body)?),
        false => None,
    };
    Ok(Op {
        segment: Some(segment),
        body,
        ..Op::new(call)
    })
}

/// `UserService.logout()`: always ends the local session, even when the server cannot be
/// reached; still rejects with that error so the page knows the server did not hear it.
#[wasm_bindgen(js_name = logout)]
pub fn logout(options: JsValue) -> Promise {
    start(Ok(Op::new(Call::Logout)), &options)
}

/// `UserService.isValidLogin()`: asks the server whether the session's token is alive.
/// No token known: `false` with no request. A server-confirmed `false` ends the session
/// locally too; a network error rejects and keeps it.
#[wasm_bindgen(js_name = isValidLogin)]
pub fn is_valid_login(options: JsValue) -> Promise {
    start(Ok(Op::new(Call::IsValid)), &options)
}

/// `UserService.isValidLoginSync()`: the blocking form of [`is_valid_login`], over a
/// synchronous XMLHttpRequest. It freezes the page until the server answers, so prefer
/// `isValidLogin()`; it is here because the documentation shows it. Same session rules.
#[wasm_bindgen(js_name = isValidLoginSync)]
pub fn is_valid_login_sync() -> Result<bool, JsValue> {
    let (base, token) = with_app(|app| app.base_and_token()).map_err(error_to_js)?;
    let Some(token) = token else { return Ok(false) };
    engine::validity::<Page>(
        &token,
        transport::send_sync(&base, &Call::IsValid.request(None, Some(&token), None)),
    )
    .map_err(error_to_js)
}

/// `UserService.getCurrentUser(reload?)`: the user in memory, else the stored session's user
/// from `data/Users/{id}` (concurrent calls share one request), else `null`. A stored session
/// the server no longer knows is cleared and answers `null`.
#[wasm_bindgen(js_name = getCurrentUser)]
pub fn get_current_user(reload: JsValue, options: JsValue) -> Promise {
    match call_options(&options).and_then(|options| start_restore(reload.is_truthy(), options)) {
        Ok(promise) => promise,
        Err(error) => start(Err(error), &JsValue::UNDEFINED),
    }
}

/// Answers from memory, joins the restore in flight, or starts one.
pub(crate) fn start_restore(
    reload: bool,
    options: CallOptions,
) -> Result<Promise, BackendlessError> {
    match engine::restore::<Page>(reload)? {
        Restore::Ready(user) => Ok(Promise::resolve(&user)),
        Restore::Shared(pending) => Ok(pending),
        Restore::Fetch(user_id, token) => {
            let op = engine::restore_op::<Page>(user_id, token);
            let id = op.id;
            let pending = run(op, options);
            Page::with_state(|state| state.restoring = Some((id, pending.clone())))?;
            Ok(pending)
        }
    }
}

/// `UserService.getCurrentUserToken()`: the session's token, or `null` (the entry module reads
/// it through [`super::backendless::read`]).
pub fn get_current_user_token() -> JsValue {
    super::backendless::read(super::backendless::Read::Token)
}

/// `UserService.setCurrentUser(user, stayLoggedIn)`: adopts a user object that carries its
/// `objectId` and `user-token` (from a server-side login, say), as a `Backendless.User`; a falsy
/// `user` ends the session. Answers the current user.
#[wasm_bindgen(js_name = setCurrentUser)]
pub fn set_current_user(user: JsValue, stay_logged_in: JsValue) -> Result<JsValue, JsValue> {
    let stamp = Page::stamps(Stamps::issue);
    let set = if !user.is_truthy() {
        engine::transition::<Page>(Some(stamp), crate::session::Event::Ended).map(|_| JsValue::NULL)
    } else if user::is_plain_object(&user)
        && user::object_id(&user).is_some()
        && user::token(&user).is_some()
    {
        engine::logged_in::<Page>(
            Some(stamp),
            user::as_user(&user),
            stay_logged_in.is_truthy(),
        )
    } else {
        Err(BackendlessError::argument(
            "setCurrentUser: the user must be an object with its objectId and user-token",
        ))
    };
    set.map_err(error_to_js)
}

/// `UserService.addSessionListener(callback)`: `callback(user | null)` runs on login, logout,
/// restore after reload, invalidation and changes made in another tab. Returns the listener's
/// id for [`remove_session_listener`]; the entry module turns the pair into the documented
/// "returns an unsubscribe function".
#[wasm_bindgen(js_name = addSessionListener)]
pub fn add_session_listener(callback: JsValue) -> Result<u32, JsValue> {
    let callback: Function = callback.dyn_into().map_err(|_| {
        error_to_js(BackendlessError::argument(
            "addSessionListener: the listener must be a function",
        ))
    })?;
    Ok(super::add_listener(callback))
}

/// Stops the listener `id` (unknown ids are ignored, so unsubscribing twice is harmless).
#[wasm_bindgen(js_name = removeSessionListener)]
pub fn remove_session_listener(id: u32) {
    super::remove_listener(id);
}
