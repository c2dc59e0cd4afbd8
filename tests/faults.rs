//! Faults the real server cannot produce, from the fault-injecting responder
//! (tests/support/fault-server.mjs): garbage and wrong-typed bodies, dropped and truncated
//! connections, answers slower than the timeout. Each case must end in a clear rejection (or
//! a documented result), leave the session exactly as it was, and leave the module working:
//! after every case a real login against the real local server succeeds. Every case runs over
//! both transports: XMLHttpRequest (pages) and fetch (where the page has no XMLHttpRequest).
//! The blocking `isValidLoginSync` (synchronous XMLHttpRequest, where engines report failures
//! each their own way) meets the faults it can meet too.
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::{backendless, user_service};
use common::*;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FAULTS: &str = match option_env!("BACKENDLESS_FAULT_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8299",
};

#[wasm_bindgen(inline_js = "export function with_timeout(ms) { return { timeout: ms }; }")]
extern "C" {
    fn with_timeout(ms: f64) -> JsValue;
}

#[derive(Clone, Copy, Debug)]
enum Call {
    Login,
    IsValidLogin,
    Restore,
    Logout,
}

/// What the caller must see: the error's name, code and status.
#[derive(Clone, Copy, Debug)]
struct Expect(&'static str, Option<u32>, Option<u16>);

const INVALID_200: Expect = Expect("InvalidResponseError", None, Some(200));
const NETWORK: Expect = Expect("NetworkError", None, None);

fn cases() -> Vec<(&'static str, Call, Expect)> {
    use Call::*;
    vec![
        (
            "html502",
            Login,
            Expect("BackendlessError", None, Some(502)),
        ),
        (
            "html502",
            IsValidLogin,
            Expect("BackendlessError", None, Some(502)),
        ),
        (
            "html502",
            Restore,
            Expect("BackendlessError", None, Some(502)),
        ),
        ("empty200", Login, INVALID_200),
        ("empty200", IsValidLogin, INVALID_200),
        ("empty200", Restore, INVALID_200),
        ("text200", Login, INVALID_200),
        ("text200", IsValidLogin, INVALID_200),
        ("true200", Login, INVALID_200),
        ("true200", Restore, INVALID_200),
        ("string200", IsValidLogin, INVALID_200),
        ("array200", Login, INVALID_200),
        ("wrong-types", Login, INVALID_200),
        ("wrong-types", Restore, INVALID_200),
        ("empty-id", Login, INVALID_200),
        ("crlf-token", Login, INVALID_200),
        ("huge-token", Login, INVALID_200),
        ("other-user", Restore, INVALID_200),
        ("huge", Login, INVALID_200),
        ("huge", IsValidLogin, INVALID_200),
        (
            "error-data-only",
            Login,
            Expect("BackendlessError", None, Some(400)),
        ),
        (
            "code-as-string",
            Login,
            Expect("BackendlessError", None, Some(400)),
        ),
        ("truncated", Login, NETWORK),
        ("truncated", Restore, NETWORK),
        ("reset", Login, NETWORK),
        ("reset", IsValidLogin, NETWORK),
        ("reset", Restore, NETWORK),
        ("reset", Logout, NETWORK),
        ("slow", Login, Expect("TimeoutError", None, None)),
        ("slow", IsValidLogin, Expect("TimeoutError", None, None)),
        ("slow", Restore, Expect("TimeoutError", None, None)),
    ]
}

/// Starts `call`. Only the slow fault is meant to meet the timeout (300 ms, against an answer
/// after 3 s); every other fault answers at once, but gets 10 s, so that a machine loaded by a
/// parallel build cannot turn its answer into a timeout.
fn start(call: Call, email: &str, fault: &str) -> Promise {
    let options = with_timeout(if fault == "slow" { 300.0 } else { 10_000.0 });
    match call {
        Call::Login => user_service::login(email.into(), PASSWORD.into(), true.into(), options),
        Call::IsValidLogin => user_service::is_valid_login(options),
        Call::Restore => user_service::get_current_user(JsValue::UNDEFINED, options),
        Call::Logout => user_service::logout(options),
    }
}

#[wasm_bindgen_test]
async fn every_fault_is_a_clear_error_that_changes_nothing() {
    for transport in TRANSPORTS {
        let _page = transport.select();
        every_fault_over(transport).await;
    }
}

async fn every_fault_over(transport: Transport) {
    fresh_page();
    let (email, _, user) = logged_in_user(true).await;
    let session = stored_item();
    let token = get_string(&user, "user-token");

    for (fault, call, Expect(name, code, status)) in cases() {
        let label = format!("{fault} on {call:?} over {transport:?}");
        // A restore needs a session that is stored but not yet in memory: a reload.
        reload();
        backendless::set_server_url(format!("{FAULTS}/{fault}").into()).unwrap();

        let error = resolve(start(call, &email, fault)).await.expect_err(&label);

        assert!(
            error.is_instance_of::<js_sys::Error>(),
            "{label}: not an Error"
        );
        assert_eq!(
            get_string(&error, "name").as_deref(),
            Some(name),
            "{label}: {:?}",
            get_string(&error, "message")
        );
        assert_eq!(
            get(&error, "code").as_f64(),
            code.map(f64::from),
            "{label}: code"
        );
        assert_eq!(
            get(&error, "status").as_f64(),
            status.map(f64::from),
            "{label}: status"
        );
        if matches!(call, Call::Logout) {
            // The documented exception: logout ends the local session even when unheard.
            assert_eq!(stored_item().as_deref(), Some("{}"), "{label}");
        } else {
            assert_eq!(
                stored_item(),
                session,
                "{label}: the stored session must be untouched"
            );
            assert_eq!(
                current_token(),
                token,
                "{label}: the session in memory must be untouched"
            );
        }

        // The module still works: the real server, the same page.
        backendless::set_server_url(SERVER.into()).unwrap();
        let again = login_as(&email, true)
            .await
            .unwrap_or_else(|e| panic!("{label}: login afterwards failed: {e:?}"));
        // Keep the same session for the next case: the restore cases need it stored.
        if get_string(&again, "user-token") != token {
            local_storage()
                .set_item(&storage_key(), session.as_deref().unwrap())
                .unwrap();
            reload();
            current_user().await.unwrap();
        }
    }
}

#[wasm_bindgen_test]
async fn a_server_saying_the_token_is_dead_ends_the_session() {
    fresh_page();
    logged_in_user(true).await;
    backendless::set_server_url(format!("{FAULTS}/code-3064").into()).unwrap();
    let valid = resolve(user_service::is_valid_login(JsValue::UNDEFINED)).await;
    backendless::set_server_url(SERVER.into()).unwrap();
    assert_eq!(
        valid.unwrap(),
        JsValue::FALSE,
        "3064 from isvalidusertoken means: not valid"
    );
    assert_eq!(stored_item().as_deref(), Some("{}"));
    assert_eq!(current_token(), None);
}

/// `isValidLoginSync` over a synchronous XMLHttpRequest: a failed `send` throws in Chromium and
/// WebKit and may answer status 0 in Firefox; a dropped or cut connection, garbage, an HTML
/// error page and a refused port must all end in the same thrown `Error` (name, code, status)
/// in every engine, with the session untouched. (It has no timeout: no slow case.)
#[wasm_bindgen_test]
async fn the_blocking_is_valid_login_meets_faults_with_the_same_errors() {
    fresh_page();
    let (email, _, user) = logged_in_user(true).await;
    let session = stored_item();
    let token = get_string(&user, "user-token");
    let cases = [
        (
            format!("{FAULTS}/html502"),
            Expect("BackendlessError", None, Some(502)),
        ),
        (format!("{FAULTS}/empty200"), INVALID_200),
        (format!("{FAULTS}/text200"), INVALID_200),
        (format!("{FAULTS}/string200"), INVALID_200),
        (format!("{FAULTS}/huge"), INVALID_200),
        (format!("{FAULTS}/truncated"), NETWORK),
        (format!("{FAULTS}/reset"), NETWORK),
        (DEAD_SERVER.to_string(), NETWORK),
    ];
    for (url, Expect(name, code, status)) in cases {
        backendless::set_server_url(url.clone().into()).unwrap();
        let error = user_service::is_valid_login_sync().expect_err(&url);
        backendless::set_server_url(SERVER.into()).unwrap();

        assert!(
            error.is_instance_of::<js_sys::Error>(),
            "{url}: not an Error"
        );
        assert_eq!(
            get_string(&error, "name").as_deref(),
            Some(name),
            "{url}: {:?}",
            get_string(&error, "message")
        );
        assert_eq!(
            get(&error, "code").as_f64(),
            code.map(f64::from),
            "{url}: code"
        );
        assert_eq!(
            get(&error, "status").as_f64(),
            status.map(f64::from),
            "{url}: status"
        );
        assert_eq!(
            stored_item(),
            session,
            "{url}: the stored session must be untouched"
        );
        assert_eq!(
            current_token(),
            token,
            "{url}: the session in memory must be untouched"
        );
        // The module still works, blocking form included.
        assert!(
            user_service::is_valid_login_sync().unwrap(),
            "{url}: afterwards"
        );
    }

    // The server saying the token is dead: `false`, and the session ends, as in the async form.
    backendless::set_server_url(format!("{FAULTS}/code-3064").into()).unwrap();
    let valid = user_service::is_valid_login_sync();
    backendless::set_server_url(SERVER.into()).unwrap();
    assert!(!valid.unwrap());
    assert_eq!(stored_item().as_deref(), Some("{}"));
    assert_eq!(current_token(), None);
    login_as(&email, true).await.unwrap();
}

/// What the real exchange never does. A call's Promise is the exchange's `then` with one closure
/// for both settlements (`run` in src/js/user_service.rs), so that the session rule runs however
/// it settles. `exchange.js` only ever resolves with `{ status, text }`; a rejection's reason, or
/// any value that is no outcome, must read as a network failure, with no status, code or body.
#[wasm_bindgen_test]
fn a_settlement_that_is_no_outcome_reads_as_a_network_failure() {
    use backendless_wasm::error::ErrorKind;
    use backendless_wasm::transport::answer_of;
    let outcome = |status: JsValue| {
        let object = js_sys::Object::new();
        js_sys::Reflect::set(&object, &"status".into(), &status).unwrap();
        js_sys::Reflect::set(&object, &"text".into(), &"{}".into()).unwrap();
        JsValue::from(object)
    };
    let not_outcomes = [
        ("an Error", JsValue::from(js_sys::Error::new("dropped"))),
        ("undefined", JsValue::UNDEFINED),
        ("null", JsValue::NULL),
        ("a string", JsValue::from_str("200")),
        ("a status that is a string", outcome("200".into())),
        ("a status out of range", outcome(1000.into())),
    ];
    for (what, value) in not_outcomes {
        let error = answer_of(value).expect_err(what);
        assert_eq!(error.kind, ErrorKind::Network, "{what}");
        assert_eq!((error.status, error.code), (None, None), "{what}");
        assert!(error.body.is_none(), "{what}");
    }
    // The same shape with a real status is an answer: the check above is not vacuous.
    assert!(answer_of(outcome(200.into())).unwrap().is_object());
}
