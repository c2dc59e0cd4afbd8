//! `Backendless.UserService`: login, session checks and the current user.
//!
//! Every asynchronous call validates its arguments before any request (so a caller's mistake
//! never reaches the network), returns a Promise, and takes an optional trailing
//! `{ timeout, signal }`. The exports only decode arguments into an `Op`; one engine,
//! `run`, describes the request, sends it and applies the session rule to the answer.

use js_sys::{Function, JsString, Object, Promise, JSON};
use wasm_bindgen::prelude::{wasm_bindgen, Closure};
use wasm_bindgen::{JsCast, JsValue};

use super::{call_options, error_to_js, new_stamp, next_id, transition, with_app, App};
use crate::api;
use crate::error::BackendlessError;
use crate::property;
use crate::protocol::{faults, is_token};
use crate::session::Event;
use crate::transport::{self, CallOptions};
use crate::user;

/// Which call an [`Op`] is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Login,
    Guest,
    Register,
    RestorePassword,
    Logout,
    IsValid,
    /// Fetch the stored session's user (`getCurrentUser` after a reload).
    Restore,
    /// A call of the login family beyond the password (see [`UserCall`]), arguments checked by
    /// the entry module.
    Family(UserCall),
}

/// One asynchronous operation, its arguments already checked. One struct for every call, each
/// using the fields it needs, rather than an enum with a variant per call, whose per-variant
/// drop code cost more than the unused fields (BENCHMARKS.md, "Size steps").
struct Op {
    kind: Kind,
    /// The path segment taken from data: identity, objectId or provider code.
    segment: Option<String>,
    /// The request's JSON text, as a JS string.
    body: Option<JsValue>,
    /// The token sent instead of the session's: a restore's (the stored session's) or
    /// [`UserCall::Adopt`]'s (the redirect's).
    token: Option<String>,
    stay: bool,
    /// A login's [`PendingLogin`] id, a restore's id (see `App::restoring`).
    id: u32,
}

impl Op {
    fn new(kind: Kind) -> Op {
        Op {
            kind,
            segment: None,
            body: None,
            token: None,
            stay: false,
            id: 0,
        }
    }

    /// Calls that change who is logged in take a stamp: the last one made wins (see
    /// [`transition`]).
    fn changes_session(&self) -> bool {
        matches!(
            self.kind,
            Kind::Login
                | Kind::Guest
                | Kind::Logout
                | Kind::Family(UserCall::OAuthLogin | UserCall::Adopt)
        )
    }
}

/// The login in flight. A login identical to it (same body text, same `stayLoggedIn`, no
/// `AbortSignal` on either) made before it answers shares its request and its Promise, as a
/// React StrictMode effect that runs twice would want: both resolve with the same user, and the
/// shared login counts as made when the last of them was.
pub(crate) struct PendingLogin {
    id: u32,
    body: JsValue,
    stay: bool,
    /// The stamp the answer applies under; a joining call renews it.
    stamp: u32,
    /// `None` until the call that started it has its Promise, and for a login with a signal.
    promise: Option<Promise>,
}

impl App {
    /// The Promise of an identical login in flight, renewed as made now.
    fn join_login(&mut self, body: &JsValue, stay: bool) -> Option<Promise> {
        let pending = self.pending_login.as_mut()?;
        let shared = pending.promise.clone()?;
        if pending.stay != stay || pending.body != *body {
            return None;
        }
        pending.stamp = new_stamp();
        Some(shared)
    }

    /// Ends the login entry `id`, answering the stamp its answer applies under.
    fn finish_login(&mut self, id: u32) -> Option<u32> {
        let pending = self.pending_login.take_if(|pending| pending.id == id)?;
        Some(pending.stamp)
    }
}

/// Starts `op` as a Promise, or answers one already rejected with the argument error.
fn start(op: Result<Op, BackendlessError>, options: &JsValue) -> Promise {
    let (op, options) = match op.and_then(|op| Ok((op, call_options(options)?))) {
        Ok(checked) => checked,
        Err(error) => return Promise::reject(&error_to_js(error)),
    };
    let login = op.kind == Kind::Login && options.signal.is_none();
    if login {
        let body = op.body.clone().unwrap_or_default();
        let joined = with_app(|app| app.join_login(&body, op.stay)).ok().flatten();
        if let Some(shared) = joined {
            return shared;
        }
    }
    let id = op.id;
    let started = run(op, options);
    if login {
        // Shared from now on, unless it has already ended (it failed before any request).
        let _ = with_app(|app| match &mut app.pending_login {
            Some(pending) if pending.id == id => pending.promise = Some(started.clone()),
            _ => {}
        });
    }
    started
}

/// The engine: describe and send ([`send`]), then apply the session rule to the answer when it
/// comes ([`finish`]). A call waits once, so it needs no Rust future: the exchange's `then`
/// calls `finish` through a one-shot closure, and the Promise `then` returns is the call's. The
/// same steps as an `async fn` on a small executor with `JsFuture` cost 874 B gzip more in the
/// shipped entry (BENCHMARKS.md, "Size steps"). One closure serves both settlements: the
/// exchange resolves with its outcome and never rejects, and anything else reads as a network
/// failure (`transport::answer_of`), so `finish` always runs and no call stays in flight.
fn run(op: Op, options: CallOptions) -> Promise {
    let (sent, token, started) = match send(&op, options) {
        Ok(Sent::Request(sent, token, started)) => (sent, token, started),
        Ok(Sent::Answered(value)) => return Promise::resolve(&value),
        Err(error) => return Promise::reject(&error_to_js(error)),
    };
    let settle = Closure::once_into_js(move |outcome: JsValue| {
        finish(op, transport::answer_of(outcome), token.as_deref(), started).map_err(error_to_js)
    });
    sent.then_both(&settle)
}

enum Sent {
    /// The exchange under way, with the session's token when it started and the call's stamp.
    Request(transport::Exchange, Option<String>, Option<u32>),
    /// Settled without a request.
    Answered(JsValue),
}

/// Describes the request `op` sends and starts it, or answers when it needs none. A login also
/// becomes the login in flight here.
fn send(op: &Op, options: CallOptions) -> Result<Sent, BackendlessError> {
    let (base, token) = with_app(|app| app.base_and_token())?;
    let started = op.changes_session().then(new_stamp);
    if let (Kind::Login, Some(stamp)) = (op.kind, started) {
        with_app(|app| {
            app.pending_login = Some(PendingLogin {
                id: op.id,
                body: op.body.clone().unwrap_or_default(),
                stay: op.stay,
                stamp,
                promise: None,
            })
        })?;
    }
    let segment = op.segment.as_deref().unwrap_or_default();
    let session = token.as_deref();
    let call = match op.kind {
        Kind::Login => api::login(session),
        Kind::Guest => api::login_as_guest(session),
        Kind::Register => api::register(session),
        Kind::RestorePassword => api::restore_password(segment, session),
        Kind::Logout => match session {
            Some(token) => api::logout(Some(token)),
            None => {
                transition(started, Event::Ended)?;
                return Ok(Sent::Answered(JsValue::UNDEFINED));
            }
        },
        // No token known: nothing to ask, and no request.
        Kind::IsValid => match session {
            Some(token) => api::is_valid_user_token(token),
            None => return Ok(Sent::Answered(JsValue::FALSE)),
        },
        Kind::Restore | Kind::Family(UserCall::Adopt) => {
            api::find_user(segment, op.token.as_deref())
        }
        Kind::Family(UserCall::Roles) => api::user_roles(session),
        Kind::Family(UserCall::Update) => api::update_user(segment, session),
        Kind::Family(UserCall::ResendConfirmation) => api::resend_confirmation(segment, session),
        Kind::Family(UserCall::OAuthLogin) => api::oauth_login(segment, session),
        Kind::Family(UserCall::AuthorizationUrl) => api::authorization_url(segment, session),
    };
    let sent = transport::send(&base, &call, op.body.as_ref(), &options)?;
    Ok(Sent::Request(sent, token, started))
}

/// Applies the session rule of `op` to its answer.
fn finish(
    op: Op,
    answer: Result<JsValue, BackendlessError>,
    token: Option<&str>,
    started: Option<u32>,
) -> Result<JsValue, BackendlessError> {
    let segment = op.segment.as_deref().unwrap_or_default();
    match (op.kind, op.token) {
        (Kind::Login, _) => {
            let stamp = with_app(|app| app.finish_login(op.id))?.or(started);
            logged_in(stamp, answer?, op.stay)
        }
        (Kind::Guest | Kind::Family(UserCall::OAuthLogin), _) => {
            logged_in(started, answer?, op.stay)
        }
        // A guest that registers becomes that user: the session keeps its token.
        (Kind::Register | Kind::Family(UserCall::Update), _) => refreshed(answer?, token),
        (Kind::RestorePassword | Kind::Family(UserCall::ResendConfirmation), _) => {
            answer.map(|_| JsValue::UNDEFINED)
        }
        (Kind::Family(UserCall::Adopt), Some(adopted)) => {
            let found = answer?;
            if user::object_id(&found).as_deref() != Some(segment) {
                return Err(BackendlessError::invalid_response(200, NO_OBJECT_ID));
            }
            user::set_token(&found, &adopted);
            logged_in(started, found, op.stay)
        }
        // Roles and the authorization URL: the answer itself.
        (Kind::Family(_), _) => answer,
        (Kind::Logout, _) => {
            // Logout always ends the local session, even when the server was not reached; the
            // error still reaches the caller, unless the server says the session was gone anyway.
            transition(started, Event::Ended)?;
            match answer {
                Err(error) if !error.ends_session() => Err(error),
                _ => Ok(JsValue::UNDEFINED),
            }
        }
        (Kind::IsValid, _) => validity(token.unwrap_or_default(), answer).map(JsValue::from_bool),
        (Kind::Restore, restore_token) => {
            restored(answer, segment, restore_token.unwrap_or_default(), op.id)
        }
    }
}

const NO_OBJECT_ID: &str = "data/Users answered without the user's objectId";

/// A user the server answered for an update or a registration made with this session's `token`:
/// when it is the session's own user (a profile update, a guest that registered), it becomes the
/// current user, keeping the token, and the listeners hear of it, provided the session still has
/// that token (the same guard as a restore's).
fn refreshed(user: JsValue, token: Option<&str>) -> Result<JsValue, BackendlessError> {
    if let (Some(token), Some(user_id)) = (token, user::object_id(&user)) {
        user::set_token(&user, token);
        transition(
            None,
            Event::Restored {
                user: user.clone(),
                user_id,
                token: token.into(),
            },
        )?;
    }
    Ok(user)
}

/// Checks login and password as the server would, so mistakes never reach the network.
fn credentials(login: &JsValue, password: &JsValue) -> Result<JsValue, BackendlessError> {
    let missing = |v: &JsValue| v.is_null() || v.is_undefined();
    if missing(login) || missing(password) {
        return Err(BackendlessError::refused_locally(faults::MISSING_PARAMETER));
    }
    // Checked as JS strings: the credentials are never copied into the wasm.
    match (login.dyn_ref::<JsString>(), password.dyn_ref::<JsString>()) {
        (Some(l), Some(p)) if l.length() == 0 || p.length() == 0 => Err(
            BackendlessError::refused_locally(faults::EMPTY_LOGIN_OR_PASSWORD),
        ),
        (Some(_), Some(_)) => {
            let body = Object::new();
            property::set(&body, "login", login);
            property::set(&body, "password", password);
            json_text(&body)
        }
        _ => Err(BackendlessError::argument(
            "login and password must be strings",
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

/// Reads `objectId` and `user-token` from a login answer and records the new session. A token
/// that could not travel back as a header (control characters, say, or longer than
/// `protocol::MAX_TOKEN_LEN`) is refused here, leaving the session as it was, rather than
/// breaking every later call.
fn logged_in(stamp: Option<u32>, user: JsValue, stay: bool) -> Result<JsValue, BackendlessError> {
    let token = user::token(&user).filter(|token| is_token(token));
    let (Some(user_id), Some(token)) = (user::object_id(&user), token) else {
        return Err(BackendlessError::invalid_response(
            200,
            "The login answer has no objectId or no usable user-token",
        ));
    };
    transition(
        stamp,
        Event::LoggedIn {
            user: user.clone(),
            user_id,
            token,
            stay,
        },
    )?;
    Ok(user)
}

/// The session rule shared by both forms of isValidLogin: a server-confirmed `false` (or a
/// dead-token error) about `token` ends the session if it is still that token's; anything else
/// leaves it as it is.
fn validity(
    token: &str,
    answer: Result<JsValue, BackendlessError>,
) -> Result<bool, BackendlessError> {
    let valid = match answer {
        Ok(answer) => answer.as_bool().ok_or_else(|| {
            BackendlessError::invalid_response(200, "isvalidusertoken did not answer true or false")
        })?,
        Err(error) if error.ends_session() => false,
        Err(error) => return Err(error),
    };
    if !valid {
        transition(
            None,
            Event::Invalidated {
                token: token.into(),
            },
        )?;
    }
    Ok(valid)
}

/// The end of a restore: the user gets its token back and becomes current; a token the server
/// calls dead ends the session and answers null.
fn restored(
    answer: Result<JsValue, BackendlessError>,
    id: &str,
    token: String,
    restore_id: u32,
) -> Result<JsValue, BackendlessError> {
    with_app(|app| {
        if app
            .restoring
            .as_ref()
            .is_some_and(|(other, _)| *other == restore_id)
        {
            app.restoring = None;
        }
    })?;
    match answer {
        Ok(found) if user::object_id(&found).as_deref() == Some(id) => {
            user::set_token(&found, &token);
            transition(
                None,
                Event::Restored {
                    user: found.clone(),
                    user_id: id.into(),
                    token,
                },
            )?;
            Ok(found)
        }
        Ok(_) => Err(BackendlessError::invalid_response(200, NO_OBJECT_ID)),
        Err(error) if error.ends_session() => {
            transition(None, Event::Invalidated { token })?;
            Ok(JsValue::NULL)
        }
        Err(error) => Err(error),
    }
}

/// `UserService.login(login, password, stayLoggedIn)`: resolves with the user (its
/// `user-token` included). With `stayLoggedIn` the session survives a reload; without it any
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
        stay: stay_logged_in.is_truthy(),
        id: next_id(),
        ..Op::new(Kind::Login)
    });
    start(op, &options)
}

/// `UserService.loginAsGuest(stayLoggedIn)`: a new GUEST user with its own session.
#[wasm_bindgen(js_name = loginAsGuest)]
pub fn login_as_guest(stay_logged_in: JsValue, options: JsValue) -> Promise {
    start(
        Ok(Op {
            stay: stay_logged_in.is_truthy(),
            ..Op::new(Kind::Guest)
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
            ..Op::new(Kind::Register)
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
            ..Op::new(Kind::RestorePassword)
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
    /// (a string: the entry module refuses the call without one; a guard here measured +91 B).
    Adopt = 5,
}

/// One export for the login family beyond the password: one path in the wasm for six calls (their
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
    let adopted = (call == UserCall::Adopt).then(|| body.as_string()).flatten();
    let body = match call {
        UserCall::Update | UserCall::OAuthLogin | UserCall::AuthorizationUrl => {
            json_text(&body).map(Some)
        }
        _ => Ok(None),
    };
    let op = body.map(|body| Op {
        segment: Some(segment),
        body,
        token: adopted,
        stay,
        ..Op::new(Kind::Family(call))
    });
    start(op, &options)
}

/// `UserService.logout()`: always ends the local session, even when the server cannot be
/// reached; still rejects with that error so the page knows the server did not hear it.
#[wasm_bindgen(js_name = logout)]
pub fn logout(options: JsValue) -> Promise {
    start(Ok(Op::new(Kind::Logout)), &options)
}

/// `UserService.isValidLogin()`: asks the server whether the session's token is alive.
/// No token known: `false` with no request. A server-confirmed `false` ends the session
/// locally too; a network error rejects and keeps it.
#[wasm_bindgen(js_name = isValidLogin)]
pub fn is_valid_login(options: JsValue) -> Promise {
    start(Ok(Op::new(Kind::IsValid)), &options)
}

/// `UserService.isValidLoginSync()`: the blocking form of [`is_valid_login`], over a
/// synchronous XMLHttpRequest. It freezes the page until the server answers, so prefer
/// `isValidLogin()`; it is here because the documentation shows it. Same session rules.
#[wasm_bindgen(js_name = isValidLoginSync)]
pub fn is_valid_login_sync() -> Result<bool, JsValue> {
    let (base, token) = with_app(|app| app.base_and_token()).map_err(error_to_js)?;
    let Some(token) = token else { return Ok(false) };
    validity(
        &token,
        transport::send_sync(&base, &api::is_valid_user_token(&token)),
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

enum Next {
    Ready(JsValue),
    Shared(Promise),
    Fetch { id: String, token: String },
}

/// Answers from memory, joins the restore in flight, or starts one.
pub(crate) fn start_restore(
    reload: bool,
    options: CallOptions,
) -> Result<Promise, BackendlessError> {
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
            (Some(id), Some(token)) => Next::Fetch {
                id: id.clone(),
                token: token.clone(),
            },
            _ => Next::Ready(JsValue::NULL),
        }
    })?;
    let (id, token) = match next {
        Next::Ready(user) => return Ok(Promise::resolve(&user)),
        Next::Shared(pending) => return Ok(pending),
        Next::Fetch { id, token } => (id, token),
    };
    let restore_id = next_id();
    let pending = run(
        Op {
            segment: Some(id),
            token: Some(token),
            id: restore_id,
            ..Op::new(Kind::Restore)
        },
        options,
    );
    with_app(|app| app.restoring = Some((restore_id, pending.clone())))?;
    Ok(pending)
}

/// `UserService.getCurrentUserToken()`: the session's token, or `null`.
#[wasm_bindgen(js_name = getCurrentUserToken)]
pub fn get_current_user_token() -> Result<JsValue, JsValue> {
    with_app(|app| {
        app.session
            .token
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str)
    })
    .map_err(error_to_js)
}

/// `UserService.loggedInUser()`: the stored `current-user-id`, or `null`.
#[wasm_bindgen(js_name = loggedInUser)]
pub fn logged_in_user() -> Result<JsValue, JsValue> {
    with_app(|app| {
        app.cache
            .stored_session()
            .user_id
            .map_or(JsValue::NULL, |id| JsValue::from_str(&id))
    })
    .map_err(error_to_js)
}

/// `UserService.setCurrentUser(user, stayLoggedIn)`: adopts a user object that carries its
/// `objectId` and `user-token` (from a server-side login, say).
#[wasm_bindgen(js_name = setCurrentUser)]
pub fn set_current_user(user: JsValue, stay_logged_in: JsValue) -> Result<JsValue, JsValue> {
    if !user::is_plain_object(&user) {
        return Err(error_to_js(BackendlessError::argument(
            "setCurrentUser: the user must be an object",
        )));
    }
    logged_in(Some(new_stamp()), user, stay_logged_in.is_truthy()).map_err(error_to_js)
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
