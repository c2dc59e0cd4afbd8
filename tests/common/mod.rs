//! Shared helpers for the browser tests: the local server's address, its control endpoints
//! (reset, request log), and small wrappers around the SDK's exports.
//!
//! The test script starts the real `backendless-emulator` and passes its URL in
//! `BACKENDLESS_EMULATOR_URL` at build time.
#![allow(dead_code)]

pub mod hold;

use gloo_net::http::Request;
use js_sys::{Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub const APP_ID: &str = match option_env!("BACKENDLESS_TEST_APP_ID") {
    Some(id) => id,
    None => "TEST-APP",
};
pub const API_KEY: &str = match option_env!("BACKENDLESS_TEST_API_KEY") {
    Some(key) => key,
    None => "TEST-KEY",
};
pub const SERVER: &str = match option_env!("BACKENDLESS_EMULATOR_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8200",
};

pub fn storage_key() -> String {
    format!("Backendless_{APP_ID}")
}

pub fn base_path() -> String {
    format!("/{APP_ID}/{API_KEY}")
}

pub fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// The raw text of a localStorage item.
pub fn local_cache_item(key: &str) -> Option<String> {
    local_storage().get_item(key).unwrap()
}

/// The raw text of this app's cache item.
pub fn stored_item() -> Option<String> {
    local_storage().get_item(&storage_key()).unwrap()
}

/// The exact item the official SDK stores after `login(…, true)` (key order included).
pub fn session_map(token: &str, id: &str) -> String {
    format!(r#"{{"stayLoggedIn":true,"user-token":"{token}","current-user-id":"{id}"}}"#)
}

/// [`session_map`] of a logged-in user object.
pub fn session_map_of(user: &JsValue) -> String {
    session_map(
        &get_string(user, "user-token").unwrap(),
        &get_string(user, "objectId").unwrap(),
    )
}

/// A fresh page: empty localStorage, the SDK pointed at the local server, `initApp` done.
pub fn fresh_page() {
    local_storage().clear().unwrap();
    reload();
}

/// What a page reload does to the SDK: in-memory state gone, storage kept.
pub fn reload() {
    backendless_wasm::js::backendless::set_server_url(SERVER.into()).unwrap();
    backendless_wasm::js::backendless::init_app(APP_ID.into(), API_KEY.into()).unwrap();
}

pub async fn resolve(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

pub fn unique_email() -> String {
    let n = (js_sys::Math::random() * 1e12) as u64;
    format!("user{n}@example.com")
}

/// A property of an object; `undefined` for null, undefined and other non-objects.
pub fn get(value: &JsValue, name: &str) -> JsValue {
    if !value.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(value, &JsValue::from_str(name)).unwrap()
}

pub fn get_string(value: &JsValue, name: &str) -> Option<String> {
    get(value, name).as_string()
}

pub fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

pub fn stringify(value: &JsValue) -> String {
    JSON::stringify(value).unwrap().as_string().unwrap()
}

/// Registers a user straight on the server (not through the SDK) and returns its objectId.
pub async fn register_user(email: &str, password: &str) -> String {
    let body = format!(
        r#"{{"email":{},"password":{}}}"#,
        stringify(&email.into()),
        stringify(&password.into())
    );
    let (status, user) = post_json(&format!("{SERVER}{}/users/register", base_path()), &body).await;
    assert_eq!(status, 200, "register {email}");
    get_string(&user, "objectId").unwrap()
}

/// POSTs a JSON text straight to the server: the status and the parsed answer (null if empty).
pub async fn post_json(url: &str, body: &str) -> (u16, JsValue) {
    let response = Request::post(url)
        .header("Content-Type", "application/json")
        .body(body)
        .unwrap()
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        JsValue::NULL
    } else {
        json(&text)
    };
    (response.status(), value)
}

/// Forgets every request the server logged so far.
pub async fn clear_requests() {
    let response = Request::delete(&format!("{SERVER}/__emulator/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// The requests the server received since the last `clear_requests`, oldest first.
pub async fn requests() -> Vec<JsValue> {
    let response = Request::get(&format!("{SERVER}/__emulator/requests"))
        .send()
        .await
        .unwrap();
    let list = json(&response.text().await.unwrap());
    list.dyn_into::<js_sys::Array>().unwrap().iter().collect()
}

/// Asserts the request log holds exactly one request, with this method and path, and returns it.
pub async fn single_request(method: &str, path: &str) -> JsValue {
    let log = requests().await;
    assert_eq!(
        log.len(),
        1,
        "expected exactly one request, got {}",
        stringify(&js_sys::Array::from_iter(log.iter()))
    );
    let request = log[0].clone();
    assert_eq!(get_string(&request, "method").as_deref(), Some(method));
    assert_eq!(get_string(&request, "path").as_deref(), Some(path));
    request
}

pub fn header(request: &JsValue, name: &str) -> Option<String> {
    get_string(&get(request, "headers"), name)
}

/// Asserts a rejection is a real `Error` with these code and status, and returns it.
pub fn assert_error(error: &JsValue, code: Option<u32>, status: Option<u16>) -> JsValue {
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "not an Error: {error:?}"
    );
    let number = |name: &str| get(error, name).as_f64();
    assert_eq!(number("code"), code.map(f64::from), "code of {error:?}");
    assert_eq!(
        number("statusCode"),
        code.map(f64::from),
        "statusCode of {error:?}"
    );
    assert_eq!(
        number("status"),
        status.map(f64::from),
        "status of {error:?}"
    );
    assert!(get_string(error, "message").is_some_and(|m| !m.is_empty()));
    error.clone()
}

pub const PASSWORD: &str = "wonderland";

/// `UserService.login(email, PASSWORD, stay)` through the SDK.
pub async fn login_as(email: &str, stay: bool) -> Result<JsValue, JsValue> {
    resolve(backendless_wasm::js::user_service::login(
        email.into(),
        PASSWORD.into(),
        stay.into(),
        JsValue::UNDEFINED,
    ))
    .await
}

/// `UserService.getCurrentUser()` through the SDK.
pub async fn current_user() -> Result<JsValue, JsValue> {
    resolve(backendless_wasm::js::user_service::get_current_user(
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    ))
    .await
}

/// Registers a fresh user and logs it in through the SDK; returns (email, objectId, user).
pub async fn logged_in_user(stay: bool) -> (String, String, JsValue) {
    let email = unique_email();
    let id = register_user(&email, PASSWORD).await;
    let user = login_as(&email, stay).await.unwrap();
    (email, id, user)
}

/// Ends every session on the server (as an expiry or an admin would).
pub async fn expire_all_sessions() {
    let response = Request::post(&format!("{SERVER}/__emulator/sessions/expire"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

pub fn current_token() -> Option<String> {
    backendless_wasm::js::user_service::get_current_user_token().as_string()
}

/// A port nothing listens on: connections are refused at once.
pub const DEAD_SERVER: &str = "http://127.0.0.1:9";

/// Records what session listeners receive.
pub struct ListenerLog {
    pub calls: std::rc::Rc<std::cell::RefCell<Vec<JsValue>>>,
    pub id: u32,
    _callback: wasm_bindgen::closure::Closure<dyn FnMut(JsValue)>,
}

impl ListenerLog {
    pub fn subscribe() -> ListenerLog {
        let calls = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = calls.clone();
        let callback =
            wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |user: JsValue| {
                sink.borrow_mut().push(user)
            });
        let id =
            backendless_wasm::js::user_service::add_session_listener(callback.as_ref().clone())
                .unwrap();
        ListenerLog {
            calls,
            id,
            _callback: callback,
        }
    }

    /// The objectIds (or "null") the listener was called with, in order.
    pub fn ids(&self) -> Vec<String> {
        self.calls
            .borrow()
            .iter()
            .map(|user| get_string(user, "objectId").unwrap_or_else(|| "null".into()))
            .collect()
    }
}

impl ListenerLog {
    pub fn unsubscribe(&self) {
        backendless_wasm::js::user_service::remove_session_listener(self.id);
    }
}

impl Drop for ListenerLog {
    fn drop(&mut self) {
        self.unsubscribe();
    }
}

/// Lets pending promise callbacks and event handlers run.
pub async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// How the SDK sends: XMLHttpRequest where the page has one, fetch (through gloo-net) where it
/// has not (service workers, Node). Tests of the wire, errors, aborts and timeouts run both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Xhr,
    Fetch,
}

pub const TRANSPORTS: [Transport; 2] = [Transport::Xhr, Transport::Fetch];

impl Transport {
    /// Makes the page look like one with this transport until the guard is dropped.
    /// Logged, so a failing test's output says which transport it was on.
    pub fn select(self) -> Option<WithoutXhr> {
        web_sys::console::log_1(&format!("transport: {self:?}").into());
        (self == Transport::Fetch).then(WithoutXhr::hide)
    }
}

/// Hides `XMLHttpRequest` from the page while alive, as in a service worker: the SDK then sends
/// with fetch. Put back on drop.
pub struct WithoutXhr(JsValue);

impl WithoutXhr {
    pub fn hide() -> WithoutXhr {
        let global = js_sys::global();
        let saved = Reflect::get(&global, &"XMLHttpRequest".into()).unwrap();
        assert!(
            saved.is_function(),
            "this page has no XMLHttpRequest to hide"
        );
        Reflect::set(&global, &"XMLHttpRequest".into(), &JsValue::UNDEFINED).unwrap();
        WithoutXhr(saved)
    }
}

impl Drop for WithoutXhr {
    fn drop(&mut self) {
        Reflect::set(&js_sys::global(), &"XMLHttpRequest".into(), &self.0).unwrap();
    }
}

/// `Backendless.LocalCache`, as the entry module assembles it from the one `cache` export.
pub mod local_cache {
    use backendless_wasm::js::local_cache::{cache, CacheOp};
    use wasm_bindgen::JsValue;

    pub fn get(key: JsValue) -> Result<JsValue, JsValue> {
        cache(CacheOp::Get, key, JsValue::UNDEFINED)
    }

    pub fn set(key: JsValue, value: JsValue) -> Result<(), JsValue> {
        cache(CacheOp::Set, key, value).map(drop)
    }

    pub fn remove(key: JsValue) -> Result<(), JsValue> {
        cache(CacheOp::Remove, key, JsValue::UNDEFINED).map(drop)
    }
}
