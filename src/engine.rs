//! The engine that carries out a row of the call table ([`crate::calls`]): decide whether a
//! request is needed and describe it ([`begin`]), then, when the answer comes, apply the row's
//! session rule ([`finish`]). Around that, the rules that span calls: the last session call made
//! wins ([`transition`]), an identical login in flight is shared ([`State::join_login`]),
//! concurrent restores share one request ([`restore`]).
//!
//! It is generic over the page ([`Host`]): [`crate::js`] runs it over JS values and Promises, the
//! tests below over plain Rust values, so every rule here is tested natively with `cargo test`.

use crate::calls::{Call, Effect, Request};
use crate::error::BackendlessError;
use crate::protocol::is_token;
use crate::session::{Event, Session, Stamps};

/// What the engine needs from the page.
pub trait Host: Sized {
    /// A value of the page: an answer, a user, a request body.
    type Value: Clone + PartialEq;
    /// A call in flight, as the page holds it (a Promise).
    type Pending: Clone;

    /// A user's `objectId`, when it is a non-empty string.
    fn object_id(value: &Self::Value) -> Option<String>;
    /// A user's `user-token`, when it is a non-empty string.
    fn token(value: &Self::Value) -> Option<String>;
    /// Puts the session's token on a user (`data/Users/{id}` answers without it).
    fn set_token(value: &Self::Value, token: &str);
    /// A user object of an answer as the page's user class (`Backendless.User`); anything else
    /// unchanged.
    fn as_user(value: Self::Value) -> Self::Value;
    fn as_bool(value: &Self::Value) -> Option<bool>;
    fn from_bool(value: bool) -> Self::Value;
    fn undefined() -> Self::Value;
    fn null() -> Self::Value;

    /// Runs `f` on the page's state, or fails (not initialized, or re-entered from user code).
    fn with_state<R>(f: impl FnOnce(&mut State<Self>) -> R) -> Result<R, BackendlessError>;
    /// Runs `f` on the page-wide last-made-wins order.
    fn stamps<R>(f: impl FnOnce(&mut Stamps) -> R) -> R;
    /// Applies `event` to the session, persists it and tells the listeners.
    fn apply(event: Event<Self::Value>) -> Result<(), BackendlessError>;
    /// A fresh id for a login or a restore in flight.
    fn next_id() -> u32;
}

/// The engine's part of the page's state.
pub struct State<H: Host> {
    pub session: Session<H::Value>,
    /// The login in flight, shared by an identical login made before it answers.
    pub pending_login: Option<PendingLogin<H>>,
    /// The restore in flight, shared by concurrent `getCurrentUser` calls.
    pub restoring: Option<(u32, H::Pending)>,
}

impl<H: Host> Default for State<H> {
    fn default() -> Self {
        State {
            session: Session::default(),
            pending_login: None,
            restoring: None,
        }
    }
}

/// The login in flight. A login identical to it (same body text, same `stayLoggedIn`, no
/// `AbortSignal` on either) made before it answers shares its request and its Promise, as a
/// React StrictMode effect that runs twice would want: both resolve with the same user, and the
/// shared login counts as made when the last of them was.
pub struct PendingLogin<H: Host> {
    id: u32,
    body: Option<H::Value>,
    stay: bool,
    /// The stamp the answer applies under; a joining call renews it.
    stamp: u32,
    /// `None` until the call that started it has its Promise, and for a login with a signal.
    pending: Option<H::Pending>,
}

impl<H: Host> State<H> {
    /// The Promise of a login identical to `op` in flight, renewed as made now.
    pub fn join_login(&mut self, op: &Op<H::Value>) -> Option<H::Pending> {
        let pending = self.pending_login.as_mut()?;
        let shared = pending.pending.clone()?;
        if pending.stay != op.stay || pending.body != op.body {
            return None;
        }
        pending.stamp = H::stamps(Stamps::issue);
        Some(shared)
    }

    /// Makes the login `id`, if still in flight, shareable through `pending`.
    pub fn share_login(&mut self, id: u32, pending: H::Pending) {
        if let Some(login) = self.pending_login.as_mut().filter(|login| login.id == id) {
            login.pending = Some(pending);
        }
    }

    /// Ends the login entry `id`, answering the stamp its answer applies under.
    fn finish_login(&mut self, id: u32) -> Option<u32> {
        let pending = self.pending_login.take_if(|pending| pending.id == id)?;
        Some(pending.stamp)
    }
}

/// One call, its arguments decoded and checked.
pub struct Op<V> {
    pub call: Call,
    /// The path segment taken from data: identity, objectId or provider code.
    pub segment: Option<String>,
    /// The request's query string, encoded (`findByRole`'s).
    #[cfg(feature = "business-logic")]
    pub query: Option<String>,
    /// The request's JSON text.
    pub body: Option<V>,
    /// The token sent instead of the session's (see [`crate::calls::Token::Given`]).
    pub token: Option<String>,
    pub stay: bool,
    /// A login's or a restore's id (see [`State`]).
    pub id: u32,
}

impl<V> Op<V> {
    pub fn new(call: Call) -> Op<V> {
        Op {
            call,
            segment: None,
            #[cfg(feature = "business-logic")]
            query: None,
            body: None,
            token: None,
            stay: false,
            id: 0,
        }
    }
}

/// What [`begin`] decided.
pub enum Begun<'a, V> {
    /// Send this request; the answer goes to [`finish`] with the call's stamp.
    Send(Request<'a>, Option<u32>),
    /// Settled without a request.
    Answered(V),
}

/// Decides whether `op` needs a request, given the session's token, and describes it. A session
/// call takes its stamp here; a login becomes the login in flight.
pub fn begin<'a, H: Host>(
    op: &'a Op<H::Value>,
    session: Option<&'a str>,
) -> Result<Begun<'a, H::Value>, BackendlessError> {
    let started = op.call.changes_session().then(|| H::stamps(Stamps::issue));
    match (op.call.row().effect, session, started) {
        // No session to end or to check: nothing to ask the server.
        (Effect::End, None, _) => {
            transition::<H>(started, Event::Ended)?;
            return Ok(Begun::Answered(H::undefined()));
        }
        (Effect::Validity, None, _) => return Ok(Begun::Answered(H::from_bool(false))),
        (_, _, Some(stamp)) if op.call == Call::Login => H::with_state(|state| {
            state.pending_login = Some(PendingLogin {
                id: op.id,
                body: op.body.clone(),
                stay: op.stay,
                stamp,
                pending: None,
            })
        })?,
        _ => {}
    }
    let request = op
        .call
        .request(op.segment.as_deref(), session, op.token.as_deref());
    #[cfg(feature = "business-logic")]
    let request = Request {
        query: op.query.as_deref(),
        ..request
    };
    Ok(Begun::Send(request, started))
}

const NO_OBJECT_ID: &str = "data/Users answered without the user's objectId";

/// Applies the session rule of `op`'s row to its answer; `token` is the session's token when
/// the call started, `started` its stamp.
pub fn finish<H: Host>(
    op: Op<H::Value>,
    answer: Result<H::Value, BackendlessError>,
    token: Option<&str>,
    started: Option<u32>,
) -> Result<H::Value, BackendlessError> {
    let segment = op.segment.as_deref().unwrap_or_default();
    match op.call.row().effect {
        Effect::LogIn => {
            let stamp = match op.call {
                Call::Login => H::with_state(|state| state.finish_login(op.id))?.or(started),
                _ => started,
            };
            logged_in::<H>(stamp, H::as_user(answer?), op.stay)
        }
        Effect::Adopt => {
            let found = H::as_user(answer?);
            if H::object_id(&found).as_deref() != Some(segment) {
                return Err(BackendlessError::invalid_response(200, NO_OBJECT_ID));
            }
            H::set_token(&found, op.token.as_deref().unwrap_or_default());
            logged_in::<H>(started, found, op.stay)
        }
        Effect::Refresh => refreshed::<H>(H::as_user(answer?), token),
        Effect::Void => answer.map(|_| H::undefined()),
        Effect::Answer => answer,
        Effect::End => {
            // The local session ends even when the server was not reached; the error still
            // reaches the caller, unless the server says the session was gone anyway.
            transition::<H>(started, Event::Ended)?;
            match answer {
                Err(error) if !error.ends_session() => Err(error),
                _ => Ok(H::undefined()),
            }
        }
        Effect::Validity => validity::<H>(token.unwrap_or_default(), answer).map(H::from_bool),
        Effect::Restore => restored::<H>(
            answer.map(H::as_user),
            segment,
            op.token.unwrap_or_default(),
            op.id,
        ),
    }
}

/// Applies a session event. A session call passes its `stamp`: one that a later change
/// superseded fails, changing nothing, so a call that resolves has always taken effect. Other
/// events (`None`) always apply: restores and invalidations (guarded by the token they concern)
/// and other tabs' changes.
pub fn transition<H: Host>(
    stamp: Option<u32>,
    event: Event<H::Value>,
) -> Result<(), BackendlessError> {
    if stamp.is_some_and(|stamp| !H::stamps(|stamps| stamps.admit(stamp))) {
        return Err(BackendlessError::superseded());
    }
    H::apply(event)
}

/// Reads `objectId` and `user-token` from a user that logged in and records the new session. A
/// token that could not travel back as a header (control characters, say, or longer than
/// `protocol::MAX_TOKEN_LEN`) is refused here, leaving the session as it was, rather than
/// breaking every later call.
pub fn logged_in<H: Host>(
    stamp: Option<u32>,
    user: H::Value,
    stay: bool,
) -> Result<H::Value, BackendlessError> {
    let token = H::token(&user).filter(|token| is_token(token));
    let (Some(user_id), Some(token)) = (H::object_id(&user), token) else {
        return Err(BackendlessError::invalid_response(
            200,
            "The login answer has no objectId or no usable user-token",
        ));
    };
    transition::<H>(
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

/// A user the server answered for an update or a registration made with this session's `token`:
/// when it is the session's own user (a profile update, a guest that registered), it becomes the
/// current user, keeping the token, and the listeners hear of it, provided the session still has
/// that token (the same guard as a restore's).
fn refreshed<H: Host>(user: H::Value, token: Option<&str>) -> Result<H::Value, BackendlessError> {
    if let (Some(token), Some(user_id)) = (token, H::object_id(&user)) {
        H::set_token(&user, token);
        transition::<H>(
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

/// The session rule shared by both forms of isValidLogin: a server-confirmed `false` (or a
/// dead-token error) about `token` ends the session if it is still that token's; anything else
/// leaves it as it is.
pub fn validity<H: Host>(
    token: &str,
    answer: Result<H::Value, BackendlessError>,
) -> Result<bool, BackendlessError> {
    let valid = match answer {
        Ok(answer) => H::as_bool(&answer).ok_or_else(|| {
            BackendlessError::invalid_response(200, "isvalidusertoken did not answer true or false")
        })?,
        Err(error) if error.ends_session() => false,
        Err(error) => return Err(error),
    };
    if !valid {
        transition::<H>(
            None,
            Event::Invalidated {
                token: token.into(),
            },
        )?;
    }
    Ok(valid)
}

/// What `getCurrentUser` does next.
pub enum Restore<H: Host> {
    /// Answer this at once (the user in memory, or null without a session).
    Ready(H::Value),
    /// Join the restore in flight.
    Shared(H::Pending),
    /// Fetch the user `id` of the stored session with `token`: [`restore_op`].
    Fetch(String, String),
}

/// The call that fetches the stored session's user `id` with its `token`.
pub fn restore_op<H: Host>(id: String, token: String) -> Op<H::Value> {
    Op {
        segment: Some(id),
        token: Some(token),
        id: H::next_id(),
        ..Op::new(Call::Restore)
    }
}

/// `getCurrentUser`: the user in memory, the restore in flight, or a new restore of the stored
/// session (`reload` skips the first two).
pub fn restore<H: Host>(reload: bool) -> Result<Restore<H>, BackendlessError> {
    H::with_state(|state| {
        if !reload {
            if let Some(user) = &state.session.user {
                return Restore::Ready(user.clone());
            }
            if let Some((_, pending)) = &state.restoring {
                return Restore::Shared(pending.clone());
            }
        }
        match (&state.session.user_id, &state.session.token) {
            (Some(id), Some(token)) => Restore::Fetch(id.clone(), token.clone()),
            _ => Restore::Ready(H::null()),
        }
    })
}

/// The end of a restore: the user gets its token back and becomes current; a token the server
/// calls dead ends the session and answers null.
fn restored<H: Host>(
    answer: Result<H::Value, BackendlessError>,
    id: &str,
    token: String,
    restore_id: u32,
) -> Result<H::Value, BackendlessError> {
    H::with_state(|state| {
        if state
            .restoring
            .as_ref()
            .is_some_and(|(other, _)| *other == restore_id)
        {
            state.restoring = None;
        }
    })?;
    match answer {
        Ok(found) if H::object_id(&found).as_deref() == Some(id) => {
            H::set_token(&found, &token);
            transition::<H>(
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
            transition::<H>(None, Event::Invalidated { token })?;
            Ok(H::null())
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests;
