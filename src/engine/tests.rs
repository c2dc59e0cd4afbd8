//! The engine's rules, natively: a fake page whose values are plain Rust, whose exchange is the
//! test itself (it answers each request when and how the case says), and whose session
//! transitions are recorded.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::*;
use crate::error::ErrorKind;
use crate::protocol::codes;
use crate::session::StorageChange;

/// A value of the fake page. Users are shared and mutable, as JS objects are.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Undefined,
    Null,
    Bool(bool),
    Text(&'static str),
    User(Rc<RefCell<(String, Option<String>)>>),
}

fn user(id: &str, token: Option<&str>) -> V {
    V::User(Rc::new(RefCell::new((id.into(), token.map(Into::into)))))
}

struct Page;

thread_local! {
    static STATE: RefCell<Option<State<Page>>> = const { RefCell::new(None) };
    static STAMPS: Cell<Stamps> = const { Cell::new(Stamps::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    /// What each applied transition did to storage, in order.
    static STORAGE: RefCell<Vec<StorageChange>> = const { RefCell::new(Vec::new()) };
    static NOTIFIED: Cell<u32> = const { Cell::new(0) };
}

impl Host for Page {
    type Value = V;
    type Pending = &'static str;

    fn object_id(value: &V) -> Option<String> {
        match value {
            V::User(user) => Some(user.borrow().0.clone()).filter(|id| !id.is_empty()),
            _ => None,
        }
    }
    fn token(value: &V) -> Option<String> {
        match value {
            V::User(user) => user.borrow().1.clone().filter(|token| !token.is_empty()),
            _ => None,
        }
    }
    fn set_token(value: &V, token: &str) {
        if let V::User(user) = value {
            user.borrow_mut().1 = Some(token.into());
        }
    }
    fn as_user(value: V) -> V {
        value
    }
    fn as_bool(value: &V) -> Option<bool> {
        match value {
            V::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn from_bool(value: bool) -> V {
        V::Bool(value)
    }
    fn undefined() -> V {
        V::Undefined
    }
    fn null() -> V {
        V::Null
    }
    fn with_state<R>(f: impl FnOnce(&mut State<Page>) -> R) -> Result<R, BackendlessError> {
        STATE.with(|state| {
            let mut state = state
                .try_borrow_mut()
                .map_err(|_| BackendlessError::reentrant())?;
            state
                .as_mut()
                .map(f)
                .ok_or_else(BackendlessError::not_initialized)
        })
    }
    fn stamps<R>(f: impl FnOnce(&mut Stamps) -> R) -> R {
        STAMPS.with(|cell| {
            let mut stamps = cell.get();
            let result = f(&mut stamps);
            cell.set(stamps);
            result
        })
    }
    fn apply(event: Event<V>) -> Result<(), BackendlessError> {
        let effects = Page::with_state(|state| state.session.apply(event))?;
        STORAGE.with(|log| log.borrow_mut().push(effects.storage));
        if effects.notify {
            NOTIFIED.with(|n| n.set(n.get() + 1));
        }
        Ok(())
    }
    fn next_id() -> u32 {
        NEXT_ID.with(|n| {
            n.set(n.get() + 1);
            n.get()
        })
    }
}

/// A fresh page with `initApp` done and no session.
fn fresh_page() {
    STATE.with(|state| *state.borrow_mut() = Some(State::default()));
    STORAGE.with(|log| log.borrow_mut().clear());
    NOTIFIED.with(|n| n.set(0));
}

fn session() -> (Option<String>, Option<String>, bool) {
    Page::with_state(|state| {
        let session = &state.session;
        (
            session.user_id.clone(),
            session.token.clone(),
            session.persisted,
        )
    })
    .unwrap()
}

fn storage() -> Vec<StorageChange> {
    STORAGE.with(|log| log.borrow().clone())
}

/// A call in flight: what `begin` sent, and what `finish` needs when the test answers it.
struct Sent {
    op: Op<V>,
    request: Option<(String, Option<String>)>,
    token: Option<String>,
    started: Option<u32>,
}

impl Sent {
    /// The request's path (segment filled in, not encoded) and `user-token`; `None` when the
    /// call answered without one.
    fn request(&self) -> Option<(&str, Option<&str>)> {
        self.request
            .as_ref()
            .map(|(path, token)| (path.as_str(), token.as_deref()))
    }

    /// The exchange answers: the call settles as a page would see it.
    fn answer(self, answer: Result<V, BackendlessError>) -> Result<V, BackendlessError> {
        finish::<Page>(self.op, answer, self.token.as_deref(), self.started)
    }
}

/// How a call started: settled at once, or a request sent.
enum Started {
    Settled(Result<V, BackendlessError>),
    Sent(Box<Sent>),
}

impl Started {
    /// The settled outcome, if the call settled without a request.
    fn ok(self) -> Option<Result<V, BackendlessError>> {
        match self {
            Started::Settled(outcome) => Some(outcome),
            Started::Sent(_) => None,
        }
    }
}

/// Starts `op` the way the page layer does: the session's token, then `begin`.
fn send(op: Op<V>) -> Started {
    let token = match Page::with_state(|state| state.session.token.clone()) {
        Ok(token) => token,
        Err(error) => return Started::Settled(Err(error)),
    };
    let begun = begin::<Page>(&op, token.as_deref());
    let (request, started) = match begun {
        Ok(Begun::Answered(value)) => return Started::Settled(Ok(value)),
        Err(error) => return Started::Settled(Err(error)),
        Ok(Begun::Send(request, started)) => (
            (
                request
                    .path
                    .replacen("{}", request.segment.unwrap_or_default(), 1),
                request.token.map(String::from),
            ),
            started,
        ),
    };
    Started::Sent(Box::new(Sent {
        op,
        request: Some(request),
        token,
        started,
    }))
}

fn sent(op: Op<V>) -> Sent {
    match send(op) {
        Started::Sent(sent) => *sent,
        Started::Settled(settled) => {
            panic!("expected a request, the call settled with {settled:?}")
        }
    }
}

fn login(body: &'static str, stay: bool) -> Op<V> {
    Op {
        body: Some(V::Text(body)),
        stay,
        id: Page::next_id(),
        ..Op::new(Call::Login)
    }
}

fn logged_in_as(id: &str, token: &str, stay: bool) {
    let result = sent(login("alice", stay)).answer(Ok(user(id, Some(token))));
    assert!(result.is_ok());
    assert_eq!(session(), (Some(id.into()), Some(token.into()), stay));
}

fn server_error(code: u32) -> BackendlessError {
    BackendlessError::server(401, Some(code), Some("no".into()))
}

fn kind(result: Result<V, BackendlessError>) -> ErrorKind {
    result.expect_err("expected an error").kind
}

#[test]
fn a_login_answered_becomes_the_session_stored_only_with_stay_logged_in() {
    fresh_page();
    let call = sent(login("alice", true));
    assert_eq!(call.request(), Some(("users/login", None)));
    let answered = call.answer(Ok(user("ID", Some("TOK")))).unwrap();
    assert_eq!(Page::token(&answered).as_deref(), Some("TOK"));
    assert_eq!(session(), (Some("ID".into()), Some("TOK".into()), true));
    assert_eq!(storage(), [StorageChange::Write]);

    // The next call sends that token; a login without stayLoggedIn clears what was stored.
    let call = sent(login("bob", false));
    assert_eq!(call.request(), Some(("users/login", Some("TOK"))));
    call.answer(Ok(user("BOB", Some("T2")))).unwrap();
    assert_eq!(storage(), [StorageChange::Write, StorageChange::Clear]);
}

#[test]
fn a_failed_login_changes_nothing() {
    fresh_page();
    logged_in_as("ID", "TOK", true);
    let before = storage();
    let error =
        sent(login("alice", true)).answer(Err(BackendlessError::server(401, Some(3003), None)));
    assert_eq!(error.unwrap_err().code, Some(3003));
    assert_eq!(session(), (Some("ID".into()), Some("TOK".into()), true));
    assert_eq!(storage(), before);
}

#[test]
fn a_login_answer_without_a_usable_token_is_refused_and_changes_nothing() {
    fresh_page();
    for answer in [
        user("ID", None),
        user("", Some("TOK")),
        user("ID", Some("A\r\nB")),
        user("ID", Some(&"T".repeat(crate::protocol::MAX_TOKEN_LEN + 1))),
        V::Bool(true),
    ] {
        let outcome = sent(login("alice", true)).answer(Ok(answer));
        assert_eq!(kind(outcome), ErrorKind::InvalidResponse);
        assert_eq!(session(), (None, None, false));
    }
}

#[test]
fn the_last_session_call_made_wins_whatever_order_the_answers_come_in() {
    fresh_page();
    let alice = sent(login("alice", true));
    let bob = sent(login("bob", true));
    bob.answer(Ok(user("BOB", Some("TB")))).unwrap();
    let late = alice.answer(Ok(user("ALICE", Some("TA"))));
    assert_eq!(kind(late), ErrorKind::Superseded);
    assert_eq!(session(), (Some("BOB".into()), Some("TB".into()), true));

    // A logout made after a login in flight wins too, even if the login answers last.
    let carol = sent(login("carol", true));
    let logout = sent(Op::new(Call::Logout));
    assert_eq!(logout.request(), Some(("users/logout", Some("TB"))));
    logout.answer(Ok(V::Null)).unwrap();
    assert_eq!(
        kind(carol.answer(Ok(user("CAROL", Some("TC"))))),
        ErrorKind::Superseded
    );
    assert_eq!(session(), (None, None, false));

    // A change made outside any call (initApp) supersedes every call made before it.
    let dave = sent(login("dave", true));
    Page::stamps(Stamps::supersede_all);
    assert_eq!(
        kind(dave.answer(Ok(user("DAVE", Some("TD"))))),
        ErrorKind::Superseded
    );
}

#[test]
fn an_identical_login_in_flight_is_shared_and_counts_as_made_last() {
    fresh_page();
    logged_in_as("OLD", "T0", true);
    let first = login("alice", true);
    let first_id = first.id;
    let first = sent(first);
    Page::with_state(|state| state.share_login(first_id, "promise")).unwrap();

    let same = login("alice", true);
    assert_eq!(
        Page::with_state(|state| state.join_login(&same)).unwrap(),
        Some("promise")
    );
    for other in [login("alice", false), login("bob", true)] {
        assert_eq!(
            Page::with_state(|state| state.join_login(&other)).unwrap(),
            None
        );
    }
    // A logout made between the two: the shared login was made after it, so it wins.
    let logout = sent(Op::new(Call::Logout));
    let _ = Page::with_state(|state| state.join_login(&login("alice", true))).unwrap();
    first.answer(Ok(user("ID", Some("TOK")))).unwrap();
    assert_eq!(session(), (Some("ID".into()), Some("TOK".into()), true));
    assert_eq!(kind(logout.answer(Ok(V::Null))), ErrorKind::Superseded);
    assert_eq!(session(), (Some("ID".into()), Some("TOK".into()), true));
    // Once answered, nothing is left to join.
    assert_eq!(
        Page::with_state(|state| state.join_login(&same)).unwrap(),
        None
    );
}

#[test]
fn logout_ends_the_local_session_whatever_the_server_says() {
    fresh_page();
    // No session: no request, and nothing to end.
    assert_eq!(
        send(Op::new(Call::Logout)).ok().map(Result::unwrap),
        Some(V::Undefined)
    );

    logged_in_as("ID", "TOK", true);
    let unreachable = sent(Op::new(Call::Logout)).answer(Err(BackendlessError::network()));
    assert_eq!(
        kind(unreachable),
        ErrorKind::Network,
        "the caller still hears of it"
    );
    assert_eq!(session(), (None, None, false));
    assert_eq!(storage().last(), Some(&StorageChange::Clear));

    for gone in [
        codes::LOGOUT_ERROR,
        codes::STALE_TOKEN,
        codes::USER_DISABLED,
        codes::SESSION_UNKNOWN,
    ] {
        logged_in_as("ID", "TOK", true);
        let outcome = sent(Op::new(Call::Logout)).answer(Err(server_error(gone)));
        assert_eq!(
            outcome.unwrap(),
            V::Undefined,
            "{gone}: the session was gone anyway"
        );
        assert_eq!(session(), (None, None, false));
    }
}

#[test]
fn is_valid_login_asks_only_with_a_token_and_ends_only_a_disowned_one() {
    fresh_page();
    assert_eq!(
        send(Op::new(Call::IsValid)).ok().map(Result::unwrap),
        Some(V::Bool(false))
    );

    logged_in_as("ID", "TOK", true);
    let call = sent(Op::new(Call::IsValid));
    assert_eq!(
        call.request(),
        Some(("users/isvalidusertoken/TOK", Some("TOK")))
    );
    assert_eq!(call.answer(Ok(V::Bool(true))).unwrap(), V::Bool(true));
    assert_eq!(
        kind(sent(Op::new(Call::IsValid)).answer(Err(BackendlessError::timeout()))),
        ErrorKind::Timeout
    );
    assert_eq!(
        kind(sent(Op::new(Call::IsValid)).answer(Ok(V::Text("true")))),
        ErrorKind::InvalidResponse
    );
    assert_eq!(
        session().1.as_deref(),
        Some("TOK"),
        "no answer about the token: kept"
    );

    // An answer about a token the page has since replaced says nothing about the new session.
    let stale = sent(Op::new(Call::IsValid));
    logged_in_as("ID", "NEW", true);
    assert_eq!(stale.answer(Ok(V::Bool(false))).unwrap(), V::Bool(false));
    assert_eq!(session().1.as_deref(), Some("NEW"));

    assert_eq!(
        sent(Op::new(Call::IsValid))
            .answer(Err(server_error(codes::STALE_TOKEN)))
            .unwrap(),
        V::Bool(false)
    );
    assert_eq!(session(), (None, None, false));
}

#[test]
fn concurrent_restores_share_one_request_and_a_dead_token_answers_null() {
    fresh_page();
    assert!(matches!(
        restore::<Page>(false),
        Ok(Restore::Ready(V::Null))
    ));
    Page::apply(Event::Loaded(crate::session::StoredSession {
        token: Some("TOK".into()),
        user_id: Some("ID".into()),
    }))
    .unwrap();

    let Ok(Restore::Fetch(id, token)) = restore::<Page>(false) else {
        panic!("a restore starts")
    };
    let op = restore_op::<Page>(id, token);
    let id = op.id;
    let call = sent(op);
    assert_eq!(call.request(), Some(("data/Users/ID", Some("TOK"))));
    Page::with_state(|state| state.restoring = Some((id, "restore"))).unwrap();
    assert!(matches!(
        restore::<Page>(false),
        Ok(Restore::Shared("restore"))
    ));

    let found = call.answer(Ok(user("ID", None))).unwrap();
    assert_eq!(
        Page::token(&found).as_deref(),
        Some("TOK"),
        "the user gets its token back"
    );
    assert!(
        matches!(restore::<Page>(false), Ok(Restore::Ready(V::User(_)))),
        "then from memory"
    );
    assert!(
        matches!(restore::<Page>(true), Ok(Restore::Fetch(..))),
        "unless reloaded"
    );

    let Ok(Restore::Fetch(id, token)) = restore::<Page>(true) else {
        panic!()
    };
    let op = restore_op::<Page>(id, token);
    assert_eq!(
        kind(sent(op).answer(Ok(user("SOMEONE-ELSE", None)))),
        ErrorKind::InvalidResponse
    );
    assert_eq!(session().1.as_deref(), Some("TOK"));
    let Ok(Restore::Fetch(id, token)) = restore::<Page>(true) else {
        panic!()
    };
    let op = restore_op::<Page>(id, token);
    assert_eq!(
        sent(op)
            .answer(Err(server_error(codes::STALE_TOKEN)))
            .unwrap(),
        V::Null
    );
    assert_eq!(session(), (None, None, false));
}

#[test]
fn an_update_of_the_sessions_own_user_becomes_the_current_user_keeping_the_token() {
    fresh_page();
    logged_in_as("ID", "TOK", true);
    let update = |id: &'static str| Op {
        segment: Some(id.into()),
        body: Some(V::Text("{}")),
        ..Op::new(Call::Update)
    };
    let call = sent(update("ID"));
    assert_eq!(call.request(), Some(("users/ID", Some("TOK"))));
    let notified = NOTIFIED.with(Cell::get);
    let answered = call.answer(Ok(user("ID", None))).unwrap();
    assert_eq!(Page::token(&answered).as_deref(), Some("TOK"));
    assert_eq!(
        NOTIFIED.with(Cell::get),
        notified + 1,
        "the listeners hear of it"
    );

    // Someone else's user, or an answer after the session changed: the session stays.
    sent(update("OTHER"))
        .answer(Ok(user("OTHER", None)))
        .unwrap();
    let late = sent(update("ID"));
    logged_in_as("ID2", "T2", true);
    late.answer(Ok(user("ID", None))).unwrap();
    assert_eq!(session(), (Some("ID2".into()), Some("T2".into()), true));
    assert_eq!(
        NOTIFIED.with(Cell::get),
        notified + 2,
        "only the login since"
    );
}

#[test]
fn a_redirects_session_is_taken_over_only_for_the_user_it_names() {
    fresh_page();
    let adopt = |token: Option<&str>| Op {
        segment: Some("ID".into()),
        token: token.map(Into::into),
        stay: true,
        ..Op::new(Call::Adopt)
    };
    let call = sent(adopt(Some("REDIRECT")));
    assert_eq!(call.request(), Some(("data/Users/ID", Some("REDIRECT"))));
    assert_eq!(
        kind(call.answer(Ok(user("OTHER", None)))),
        ErrorKind::InvalidResponse
    );
    assert_eq!(session(), (None, None, false));
    // Without a token to take over, the answer is no session either.
    assert_eq!(
        kind(sent(adopt(None)).answer(Ok(user("ID", None)))),
        ErrorKind::InvalidResponse
    );
    assert_eq!(session(), (None, None, false));

    sent(adopt(Some("REDIRECT")))
        .answer(Ok(user("ID", None)))
        .unwrap();
    assert_eq!(
        session(),
        (Some("ID".into()), Some("REDIRECT".into()), true)
    );
}

#[test]
fn calls_that_leave_the_session_alone_answer_as_their_row_says() {
    fresh_page();
    logged_in_as("ID", "TOK", true);
    let before = storage();
    let roles = sent(Op::new(Call::Roles));
    assert_eq!(roles.request(), Some(("users/userroles", Some("TOK"))));
    assert_eq!(roles.answer(Ok(V::Text("[]"))).unwrap(), V::Text("[]"));
    let restore_password = Op {
        segment: Some("a@b.c".into()),
        ..Op::new(Call::RestorePassword)
    };
    assert_eq!(
        sent(restore_password).answer(Ok(V::Null)).unwrap(),
        V::Undefined
    );
    assert_eq!(
        kind(sent(Op::new(Call::Roles)).answer(Err(BackendlessError::network()))),
        ErrorKind::Network
    );
    assert_eq!(storage(), before);
    assert_eq!(session(), (Some("ID".into()), Some("TOK".into()), true));
}

#[test]
fn every_call_before_init_app_fails_clearly() {
    STATE.with(|state| *state.borrow_mut() = None);
    for op in [login("alice", true), Op::new(Call::Logout)] {
        assert_eq!(kind(send(op).ok().unwrap()), ErrorKind::NotInitialized);
    }
    assert!(
        matches!(restore::<Page>(false), Err(error) if error.kind == ErrorKind::NotInitialized)
    );
}
