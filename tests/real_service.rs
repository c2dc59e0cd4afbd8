//! The hosted service's recorded answers (tests/fixtures/real-service/, with their provenance in
//! its INDEX.md), replayed by the fault responder byte for byte and in the other forms the wire
//! allows (key order, whitespace, extra keys, errorData of any shape), over both transports.
//! The responder stands in for the hosted service here because these answers are the service's,
//! not the local server's.
//!
//! Every expectation is read off the recorded answer itself: an error rejects with its `code`,
//! `message`, the served `status`, `statusCode` and the parsed `body`; a login answer becomes the
//! session exactly as the official client stores it; a register answer resolves unchanged.
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::{backendless, user_service};
use common::*;
use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FAULTS: &str = match option_env!("BACKENDLESS_FAULT_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8299",
};

/// One recorded answer, as the responder lists it.
struct Fixture {
    name: String,
    path: String,
    status: f64,
    is_error: bool,
    /// The recorded text, parsed.
    value: JsValue,
    variants: Vec<String>,
}

async fn fixtures() -> Vec<Fixture> {
    let response = gloo_net::http::Request::get(&format!("{FAULTS}/fixtures"))
        .send()
        .await
        .unwrap();
    let list = json(&response.text().await.unwrap());
    Array::from(&list)
        .iter()
        .map(|f| Fixture {
            name: get_string(&f, "name").unwrap(),
            path: get_string(&f, "path").unwrap(),
            status: get(&f, "status").as_f64().unwrap(),
            is_error: get(&f, "isError").as_bool().unwrap(),
            value: json(&get_string(&f, "text").unwrap()),
            variants: Array::from(&get(&f, "variants"))
                .iter()
                .map(|v| v.as_string().unwrap())
                .collect(),
        })
        .collect()
}

/// Which SDK calls replay a recorded answer. Errors are read the same way by every call, so an
/// error is replayed to login, and a stale-token error also to the calls it ends a session in.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Call {
    Login,
    Guest,
    Register,
    Restore,
    Logout,
    IsValidLogin,
}

fn calls_for(fixture: &Fixture) -> Vec<Call> {
    let path = fixture.path.as_str();
    if fixture.is_error {
        let code = get(&fixture.value, "code").as_f64();
        return if code == Some(3064.0) {
            vec![Call::Login, Call::Restore, Call::Logout, Call::IsValidLogin]
        } else {
            vec![Call::Login]
        };
    }
    if path.starts_with("users/register/guest") {
        vec![Call::Guest]
    } else if path.starts_with("users/register") {
        vec![Call::Register]
    } else if path.contains("users/login") {
        vec![Call::Login]
    } else {
        // A Data API query (an array of users): no SDK call of the login family sends it.
        vec![]
    }
}

fn start(call: Call) -> Promise {
    let none = || JsValue::UNDEFINED;
    match call {
        Call::Login => user_service::login("a@b.c".into(), "pw".into(), true.into(), none()),
        Call::Guest => user_service::login_as_guest(true.into(), none()),
        Call::Register => {
            let user = json(r#"{"email":"a@b.c","password":"pw"}"#);
            user_service::register(user, none())
        }
        Call::Restore => user_service::get_current_user(none(), none()),
        Call::Logout => user_service::logout(none()),
        Call::IsValidLogin => user_service::is_valid_login(none()),
    }
}

/// A stored session, not yet in memory (as after a reload), for the calls that need a token.
const STORED_TOKEN: &str = "STORED-TOKEN";
const STORED_ID: &str = "STORED-ID";

#[wasm_bindgen_test]
async fn every_recorded_answer_is_read_as_the_service_meant_it() {
    let fixtures = fixtures().await;
    assert!(
        fixtures.len() >= 10,
        "the corpus has {} answers",
        fixtures.len()
    );
    let mut replayed = 0;
    for transport in TRANSPORTS {
        let _page = transport.select();
        for fixture in &fixtures {
            for call in calls_for(fixture) {
                for variant in &fixture.variants {
                    let label = format!(
                        "{} ({variant}) on {call:?} over {transport:?}",
                        fixture.name
                    );
                    replay(fixture, variant, call, &label).await;
                    replayed += 1;
                }
            }
        }
    }
    web_sys::console::log_1(&format!("{replayed} recorded answers replayed").into());
}

async fn replay(fixture: &Fixture, variant: &str, call: Call, label: &str) {
    local_storage().clear().unwrap();
    local_storage()
        .set_item(&storage_key(), &session_map(STORED_TOKEN, STORED_ID))
        .unwrap();
    reload();
    backendless::set_server_url(format!("{FAULTS}/fixture/{}/{variant}", fixture.name).into())
        .unwrap();
    let before = stored_item();
    let outcome = resolve(start(call)).await;
    backendless::set_server_url(SERVER.into()).unwrap();

    if fixture.is_error {
        let code = get(&fixture.value, "code").as_f64();
        if code == Some(3064.0) && call != Call::Login {
            // The server says the token is dead: the session ends, and these calls answer as
            // if there had been none.
            let answer = outcome.unwrap_or_else(|e| panic!("{label}: {e:?}"));
            let expected = match call {
                Call::Restore => JsValue::NULL,
                Call::IsValidLogin => JsValue::FALSE,
                _ => JsValue::UNDEFINED,
            };
            assert_eq!(answer, expected, "{label}");
            assert_eq!(
                stored_item().as_deref(),
                Some("{}"),
                "{label}: session ended"
            );
            assert_eq!(current_token(), None, "{label}");
        } else {
            expect_server_error(&outcome.expect_err(label), fixture, label);
            assert_eq!(
                stored_item(),
                before,
                "{label}: a failed call changes nothing"
            );
        }
        return;
    }
    match call {
        Call::Login | Call::Guest => {
            let has = |name| get_string(&fixture.value, name).is_some_and(|s| !s.is_empty());
            if !(has("objectId") && has("user-token")) {
                let error = outcome.expect_err(label);
                assert_eq!(
                    get_string(&error, "name").as_deref(),
                    Some("InvalidResponseError"),
                    "{label}"
                );
                assert_eq!(stored_item(), before, "{label}");
                return;
            }
            let user = outcome.unwrap_or_else(|e| panic!("{label}: {e:?}"));
            assert_carries(&user, &fixture.value, &[], label);
            assert_eq!(
                stored_item(),
                Some(session_map_of(&user)),
                "{label}: stored session"
            );
            assert_eq!(current_token(), get_string(&user, "user-token"), "{label}");
        }
        Call::Register => {
            let user = outcome.unwrap_or_else(|e| panic!("{label}: {e:?}"));
            assert_carries(&user, &fixture.value, &[], label);
            assert_eq!(stored_item(), before, "{label}: register does not log in");
        }
        other => panic!("{label}: no success expectation for {other:?}"),
    }
}

/// `actual` carries every property of the recorded `expected`, with equal values (whatever
/// the order the variant sent them in).
fn assert_carries(actual: &JsValue, expected: &JsValue, skip: &[&str], label: &str) {
    for key in js_sys::Object::keys(expected.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap();
        if skip.contains(&key.as_str()) {
            continue;
        }
        assert_eq!(
            stringify(&get(actual, &key)),
            stringify(&get(expected, &key)),
            "{label}: property {key} kept"
        );
    }
}

fn expect_server_error(error: &JsValue, fixture: &Fixture, label: &str) {
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "{label}: not an Error"
    );
    assert_eq!(
        get_string(error, "name").as_deref(),
        Some("BackendlessError"),
        "{label}"
    );
    let code = get(&fixture.value, "code").as_f64();
    assert!(
        code.is_some(),
        "{label}: the recorded error has a numeric code"
    );
    assert_eq!(get(error, "code").as_f64(), code, "{label}: code");
    assert_eq!(
        get(error, "statusCode").as_f64(),
        code,
        "{label}: statusCode"
    );
    assert_eq!(
        get(error, "status").as_f64(),
        Some(fixture.status),
        "{label}: status"
    );
    assert_eq!(
        get_string(error, "message"),
        get_string(&fixture.value, "message"),
        "{label}: message"
    );
    // The body as received: the recorded keys with the recorded values (the variant's extras
    // aside; errorData is what the variant sent, any shape).
    let body = get(error, "body");
    assert!(body.is_object(), "{label}: body {body:?}");
    assert_carries(&body, &fixture.value, &["errorData"], label);
}

/// The documentation's error sample, as written, prints the real code for a real answer.
#[wasm_bindgen_test]
async fn the_docs_error_sample_prints_the_real_code() {
    fresh_page();
    backendless::set_server_url(
        format!("{FAULTS}/fixture/login-3003-wrong-password/recorded").into(),
    )
    .unwrap();
    let error = resolve(start(Call::Login)).await.unwrap_err();
    backendless::set_server_url(SERVER.into()).unwrap();
    // console.log( "error code - " + err.statusCode );
    let printed = format!(
        "error message - {} / error code - {}",
        get_string(&error, "message").unwrap(),
        get(&error, "statusCode").as_f64().unwrap()
    );
    assert_eq!(
        printed,
        "error message - Invalid login or password / error code - 3003"
    );
}

/// The local server's own answer to a wrong password has the recorded answer's exact shape:
/// the same keys in the same order, the same status, code and wording.
#[wasm_bindgen_test]
async fn the_local_server_answers_a_wrong_password_as_the_service_does() {
    fresh_page();
    let (email, _, _) = logged_in_user(false).await;
    let error = resolve(user_service::login(
        email.into(),
        "not the password".into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_err();
    let recorded = r#"{"code":3003,"message":"Invalid login or password","errorData":{}}"#;
    assert_eq!(stringify(&get(&error, "body")), recorded);
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
}
