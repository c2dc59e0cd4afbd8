//! Hostile and mistaken arguments to every export, as a table. Each case gets a clear
//! rejection (or a documented result), sends no request when the mistake is the caller's, and
//! never panics: after every case a normal login still works in the same page.
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::{backendless, user_service};
use common::*;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = "
export function lone_surrogate() { return 'ab\\uD800cd'; }
export function rtl() { return '\\u05E9\\u05DC\\u05D5\\u05DD \\u202Eabc@example.com'; }
export function megabyte() { return 'x'.repeat(1 << 20); }
export function symbol() { return Symbol('s'); }
export function with_big_int() { return { email: 'a@b.c', password: 'p', n: 10n }; }
export function a_function() { return function () {}; }
export function without_json_form() { return { toJSON() { return undefined; } }; }
")]
extern "C" {
    fn lone_surrogate() -> JsValue;
    fn rtl() -> JsValue;
    fn megabyte() -> JsValue;
    fn symbol() -> JsValue;
    fn with_big_int() -> JsValue;
    fn a_function() -> JsValue;
    fn without_json_form() -> JsValue;
}

/// What a case must do.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Reject/throw with this error name and code, sending no request.
    Refused(&'static str, Option<u32>),
    /// Reach the server and be rejected by it (any code): the server is the judge here.
    ServerSaysNo,
    /// Succeed.
    Works,
}

enum Outcome {
    Sync(Result<JsValue, JsValue>),
    Async(Promise),
}

/// A synchronous export's result; `()` (a void export) counts as `undefined`.
trait IntoJs {
    fn into_js(self) -> JsValue;
}
impl IntoJs for JsValue {
    fn into_js(self) -> JsValue {
        self
    }
}
impl IntoJs for u32 {
    fn into_js(self) -> JsValue {
        JsValue::from(self)
    }
}
impl IntoJs for () {
    fn into_js(self) -> JsValue {
        JsValue::UNDEFINED
    }
}

fn sync<T: IntoJs>(result: Result<T, JsValue>) -> Outcome {
    Outcome::Sync(result.map(IntoJs::into_js))
}

fn undef() -> JsValue {
    JsValue::UNDEFINED
}

/// One row of the table: a label, what must happen, and the call.
type Case = (&'static str, Expect, Box<dyn Fn() -> Outcome>);

fn cases() -> Vec<Case> {
    use Expect::*;
    let login = |l: JsValue, p: JsValue| {
        Box::new(move || {
            Outcome::Async(user_service::login(
                l.clone(),
                p.clone(),
                true.into(),
                undef(),
            ))
        })
    };
    let type_error = Refused("TypeError", None);
    vec![
        (
            "login(undefined, p)",
            Refused("TypeError", Some(3038)),
            login(undef(), "p".into()),
        ),
        (
            "login(null, p)",
            Refused("TypeError", Some(3038)),
            login(JsValue::NULL, "p".into()),
        ),
        (
            // login(objectId): sent, as the official client sends it; the server allows it only
            // under a CloudCode API key.
            "login(objectId) under the app's key",
            ServerSaysNo,
            login("a@b.c".into(), undef()),
        ),
        (
            "login(l, null)",
            Refused("TypeError", Some(3038)),
            login("a@b.c".into(), JsValue::NULL),
        ),
        (
            "login('', p)",
            Refused("TypeError", Some(3006)),
            login("".into(), "p".into()),
        ),
        (
            "login(l, '')",
            Refused("TypeError", Some(3006)),
            login("a@b.c".into(), "".into()),
        ),
        ("login(0, p)", type_error, login(0.into(), "p".into())),
        // A number is a login (an identity column of numbers), as in the official client.
        ("login(42, p)", ServerSaysNo, login(42.into(), "p".into())),
        (
            "login(NaN, p)",
            type_error,
            login(f64::NAN.into(), "p".into()),
        ),
        ("login(true, p)", type_error, login(true.into(), "p".into())),
        ("login({}, p)", type_error, login(json("{}"), "p".into())),
        ("login([], p)", type_error, login(json("[]"), "p".into())),
        ("login(symbol, p)", type_error, login(symbol(), "p".into())),
        (
            "login(l, 12345)",
            type_error,
            login("a@b.c".into(), 12345.into()),
        ),
        (
            "login(l, function)",
            type_error,
            login("a@b.c".into(), a_function()),
        ),
        (
            "login(1 MB, p)",
            ServerSaysNo,
            login(megabyte(), "p".into()),
        ),
        (
            "login(l, 1 MB)",
            ServerSaysNo,
            login("a@b.c".into(), megabyte()),
        ),
        (
            "login(rtl + unicode, p)",
            ServerSaysNo,
            login(rtl(), "p".into()),
        ),
        (
            "login(lone surrogate, p)",
            ServerSaysNo,
            login(lone_surrogate(), "p".into()),
        ),
        (
            "login(l, p, stay, 5)",
            type_error,
            Box::new(|| {
                Outcome::Async(user_service::login(
                    "a@b.c".into(),
                    "p".into(),
                    true.into(),
                    5.into(),
                ))
            }),
        ),
        (
            "login(l, p, stay, {timeout:'x'})",
            type_error,
            Box::new(|| {
                Outcome::Async(user_service::login(
                    "a@b.c".into(),
                    "p".into(),
                    true.into(),
                    json(r#"{"timeout":"x"}"#),
                ))
            }),
        ),
        (
            "register(undefined)",
            type_error,
            Box::new(|| Outcome::Async(user_service::register(undef(), undef()))),
        ),
        (
            "register(null)",
            type_error,
            Box::new(|| Outcome::Async(user_service::register(JsValue::NULL, undef()))),
        ),
        (
            "register('text')",
            type_error,
            Box::new(|| Outcome::Async(user_service::register("text".into(), undef()))),
        ),
        (
            "register(7)",
            type_error,
            Box::new(|| Outcome::Async(user_service::register(7.into(), undef()))),
        ),
        (
            "register([])",
            type_error,
            Box::new(|| Outcome::Async(user_service::register(json("[]"), undef()))),
        ),
        (
            "register({n: BigInt})",
            type_error,
            Box::new(|| Outcome::Async(user_service::register(with_big_int(), undef()))),
        ),
        (
            // JSON.stringify answers undefined, not a string: nothing to send.
            "register({toJSON: () => undefined})",
            type_error,
            Box::new(|| Outcome::Async(user_service::register(without_json_form(), undef()))),
        ),
        (
            "register({})",
            ServerSaysNo,
            Box::new(|| Outcome::Async(user_service::register(json("{}"), undef()))),
        ),
        (
            "register({email: 1 MB})",
            ServerSaysNo,
            Box::new(|| {
                let user = json(r#"{"password":"p"}"#);
                js_sys::Reflect::set(&user, &"email".into(), &megabyte()).unwrap();
                Outcome::Async(user_service::register(user, undef()))
            }),
        ),
        (
            "restorePassword(undefined)",
            type_error,
            Box::new(|| Outcome::Async(user_service::restore_password(undef(), undef()))),
        ),
        (
            "restorePassword('')",
            type_error,
            Box::new(|| Outcome::Async(user_service::restore_password("".into(), undef()))),
        ),
        (
            "restorePassword(5)",
            type_error,
            Box::new(|| Outcome::Async(user_service::restore_password(5.into(), undef()))),
        ),
        (
            "loginAsGuest(true, 'x')",
            type_error,
            Box::new(|| Outcome::Async(user_service::login_as_guest(true.into(), "x".into()))),
        ),
        (
            "logout('x')",
            type_error,
            Box::new(|| Outcome::Async(user_service::logout("x".into()))),
        ),
        (
            "isValidLogin(5)",
            type_error,
            Box::new(|| Outcome::Async(user_service::is_valid_login(5.into()))),
        ),
        (
            "getCurrentUser(false, [])",
            type_error,
            Box::new(|| Outcome::Async(user_service::get_current_user(false.into(), json("[1]")))),
        ),
        (
            "getCurrentUser('yes')",
            Works,
            Box::new(|| Outcome::Async(user_service::get_current_user("yes".into(), undef()))),
        ),
        (
            // As in the official client: no user, no session.
            "setCurrentUser(null)",
            Works,
            Box::new(|| sync(user_service::set_current_user(JsValue::NULL, true.into()))),
        ),
        (
            "setCurrentUser(5)",
            type_error,
            Box::new(|| sync(user_service::set_current_user(5.into(), true.into()))),
        ),
        (
            "setCurrentUser({})",
            type_error,
            Box::new(|| sync(user_service::set_current_user(json("{}"), true.into()))),
        ),
        (
            "setCurrentUser(token object)",
            type_error,
            Box::new(|| {
                sync(user_service::set_current_user(
                    json(r#"{"objectId":1,"user-token":{"a":1}}"#),
                    true.into(),
                ))
            }),
        ),
        (
            "addSessionListener(null)",
            type_error,
            Box::new(|| sync(user_service::add_session_listener(JsValue::NULL))),
        ),
        (
            "addSessionListener('f')",
            type_error,
            Box::new(|| sync(user_service::add_session_listener("f".into()))),
        ),
        (
            "LocalCache.get(null)",
            type_error,
            Box::new(|| sync(local_cache::get(JsValue::NULL))),
        ),
        (
            "LocalCache.get(symbol)",
            type_error,
            Box::new(|| sync(local_cache::get(symbol()))),
        ),
        (
            "LocalCache.set(1, v)",
            type_error,
            Box::new(|| sync(local_cache::set(1.into(), "v".into()))),
        ),
        (
            "LocalCache.set(k, BigInt)",
            type_error,
            Box::new(|| sync(local_cache::set("k".into(), with_big_int()))),
        ),
        (
            "LocalCache.set(lone surrogate, 1 MB)",
            Works,
            Box::new(|| sync(local_cache::set(lone_surrogate(), megabyte()))),
        ),
        (
            "LocalCache.remove({})",
            type_error,
            Box::new(|| sync(local_cache::remove(json("{}")))),
        ),
        (
            "initApp()",
            type_error,
            Box::new(|| sync(backendless::init_app(undef(), undef()))),
        ),
        (
            "initApp('')",
            type_error,
            Box::new(|| sync(backendless::init_app("".into(), "K".into()))),
        ),
        (
            "initApp(5, 6)",
            type_error,
            Box::new(|| sync(backendless::init_app(5.into(), 6.into()))),
        ),
        (
            "initApp({})",
            type_error,
            Box::new(|| sync(backendless::init_app(json("{}"), undef()))),
        ),
        (
            "initApp('ftp://x')",
            type_error,
            Box::new(|| sync(backendless::init_app("ftp://x".into(), undef()))),
        ),
        (
            "initApp('APP')",
            type_error,
            Box::new(|| sync(backendless::init_app("APP".into(), undef()))),
        ),
        (
            "initApp('A/B', 'K')",
            type_error,
            Box::new(|| sync(backendless::init_app("A/B".into(), "K".into()))),
        ),
        (
            "initApp(lone surrogate, rtl)",
            type_error,
            Box::new(|| sync(backendless::init_app(lone_surrogate(), rtl()))),
        ),
        (
            "serverURL = 5",
            type_error,
            Box::new(|| sync(backendless::set_server_url(5.into()))),
        ),
        (
            "serverURL = ''",
            type_error,
            Box::new(|| sync(backendless::set_server_url("".into()))),
        ),
        (
            "serverURL = '127.0.0.1:8200'",
            type_error,
            Box::new(|| sync(backendless::set_server_url("127.0.0.1:8200".into()))),
        ),
    ]
}

async fn settle_outcome(outcome: Outcome) -> Result<JsValue, JsValue> {
    match outcome {
        Outcome::Sync(result) => result,
        Outcome::Async(promise) => resolve(promise).await,
    }
}

#[wasm_bindgen_test]
async fn every_bad_argument_gets_a_clear_answer_and_never_poisons_the_module() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    let table = cases();
    assert!(
        table.len() >= 40,
        "the table must stay at least 40 cases long"
    );
    for (label, expect, call) in table {
        clear_requests().await;
        let result = settle_outcome(call()).await;
        match (expect, &result) {
            (Expect::Refused(name, code), Err(error)) => {
                assert!(
                    error.is_instance_of::<js_sys::Error>(),
                    "{label}: not an Error"
                );
                assert_eq!(
                    get_string(error, "name").as_deref(),
                    Some(name),
                    "{label}: {}",
                    get_string(error, "message").unwrap_or_default()
                );
                assert_eq!(
                    get(error, "code").as_f64(),
                    code.map(f64::from),
                    "{label}: code"
                );
                assert!(
                    get_string(error, "message").is_some_and(|m| !m.is_empty()),
                    "{label}: message"
                );
                assert!(
                    requests().await.is_empty(),
                    "{label}: a caller's mistake must not reach the network"
                );
            }
            (Expect::ServerSaysNo, Err(error)) => {
                assert_eq!(
                    get_string(error, "name").as_deref(),
                    Some("BackendlessError"),
                    "{label}: {error:?}"
                );
                assert!(
                    get(error, "status")
                        .as_f64()
                        .is_some_and(|s| (400.0..500.0).contains(&s)),
                    "{label}: a 4xx status"
                );
            }
            (Expect::Works, Ok(_)) => {}
            _ => panic!("{label}: expected {expect:?}, got {result:?}"),
        }
        // The module is not poisoned and the app kept its settings: a normal login works.
        backendless::set_server_url(SERVER.into()).unwrap();
        let user = resolve(user_service::login(
            email.as_str().into(),
            PASSWORD.into(),
            true.into(),
            undef(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: login after the case failed: {e:?}"));
        assert_eq!(get_string(&user, "email"), Some(email.clone()), "{label}");
    }
}

#[wasm_bindgen_test]
async fn rejected_init_app_keeps_the_previous_app() {
    fresh_page();
    let (_, _, user) = logged_in_user(true).await;
    assert!(backendless::init_app("ftp://nope".into(), undef()).is_err());
    assert_eq!(current_token(), get_string(&user, "user-token"));
    assert_eq!(backendless::server_url(), SERVER);
}

/// An object whose `toJSON` runs `inner` (Rust code calling the SDK) when JSON.stringify meets it.
fn with_to_json(
    inner: impl FnMut() -> Result<JsValue, JsValue> + 'static,
) -> (JsValue, Closure<dyn FnMut() -> Result<JsValue, JsValue>>) {
    let callback = Closure::<dyn FnMut() -> Result<JsValue, JsValue>>::new(inner);
    let object = json("{}");
    js_sys::Reflect::set(&object, &"toJSON".into(), callback.as_ref()).unwrap();
    (object, callback)
}

#[wasm_bindgen_test]
async fn user_code_calling_back_into_the_sdk_mid_call_gets_an_error_not_a_panic() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    let inner_errors = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));

    // LocalCache.set stringifies the map while it holds the page state; the value's toJSON calls
    // LocalCache.get, then initApp.
    let seen = inner_errors.clone();
    let (value, _keep) = with_to_json(move || {
        let nested = local_cache::get("user-token".into());
        let reinit = backendless::init_app(APP_ID.into(), API_KEY.into());
        seen.borrow_mut()
            .extend([nested.err(), reinit.err()].into_iter().flatten());
        Ok("plain".into())
    });
    let result = local_cache::set("prefs".into(), value);

    assert!(result.is_ok(), "the outer call completes: {result:?}");
    let errors = inner_errors.take();
    assert_eq!(errors.len(), 2, "both nested calls were refused");
    for error in errors.iter() {
        assert!(error.is_instance_of::<js_sys::Error>());
        assert!(
            get_string(error, "message").is_some_and(|m| m.contains("inside one of its own calls")),
            "{error:?}"
        );
    }
    assert_eq!(
        local_cache::get("prefs".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("plain")
    );

    // A toJSON that throws the nested error on makes the outer call fail cleanly.
    let (value, _keep) = with_to_json(|| local_cache::get("x".into()));
    let error = local_cache::set("prefs".into(), value).unwrap_err();
    assert_eq!(get_string(&error, "name").as_deref(), Some("TypeError"));

    // The module is not poisoned.
    let user = resolve(user_service::login(
        email.as_str().into(),
        PASSWORD.into(),
        true.into(),
        undef(),
    ))
    .await
    .unwrap();
    assert_eq!(get_string(&user, "email"), Some(email));
}
