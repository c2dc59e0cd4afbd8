//! The local server's hold switch (`/__emulator/hold`): requests are held until released one by
//! one, so a test picks the order answers arrive in; and watching calls settle meanwhile.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::Request;
use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use super::{get, get_string, json, resolve, SERVER};

pub async fn control(method: &str, path: &str) -> String {
    let url = format!("{SERVER}/__emulator/{path}");
    let request = match method {
        "POST" => Request::post(&url),
        "DELETE" => Request::delete(&url),
        _ => Request::get(&url),
    };
    let response = request.send().await.unwrap();
    assert!(response.ok(), "{method} {path}: {}", response.status());
    response.text().await.unwrap()
}

/// The held requests, oldest first: (id, method, path).
pub async fn held() -> Vec<(u64, String, String)> {
    let list = json(&control("GET", "held").await);
    js_sys::Array::from(&list)
        .iter()
        .map(|r| {
            (
                get(&r, "id").as_f64().unwrap() as u64,
                get_string(&r, "method").unwrap(),
                get_string(&r, "path").unwrap(),
            )
        })
        .collect()
}

/// Waits until `n` requests are held (a request is on its way once the call returns, but reaches
/// the server a little later).
pub async fn wait_for_held(n: usize, label: &str) -> Vec<(u64, String, String)> {
    let mut list = Vec::new();
    for _ in 0..200 {
        list = held().await;
        if list.len() >= n {
            assert_eq!(
                list.len(),
                n,
                "{label}: more requests held than calls made: {list:?}"
            );
            return list;
        }
        settle_briefly().await;
    }
    panic!("{label}: {n} requests should be held, the server has {list:?}");
}

/// The id of the request a call just made sends: the one held after the `before` already held
/// (calls are made one at a time, each waited for here, so it is the last in the list).
pub async fn newly_held(before: usize, label: &str) -> u64 {
    wait_for_held(before + 1, label).await.last().unwrap().0
}

pub async fn settle_briefly() {
    let promise = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 5)
            .unwrap();
    });
    resolve(promise).await.unwrap();
}

/// A call's settlement once it comes: `Ok(value)` or `Err(error name)`.
pub type Settled = Rc<RefCell<Option<Result<JsValue, String>>>>;

pub fn watch(promise: Promise) -> Settled {
    let settled: Settled = Rc::new(RefCell::new(None));
    let sink = settled.clone();
    spawn_local(async move {
        let outcome = resolve(promise)
            .await
            .map_err(|error| get_string(&error, "name").unwrap_or_default());
        *sink.borrow_mut() = Some(outcome);
    });
    settled
}

pub async fn until_settled(settled: &Settled, label: &str) -> Result<JsValue, String> {
    for _ in 0..1000 {
        if let Some(outcome) = settled.borrow().clone() {
            return outcome;
        }
        settle_briefly().await;
    }
    panic!("{label}: the call never settled");
}

/// Makes sure the server is not holding requests: a test that failed mid-sequence (a panic
/// ends a wasm test without running its destructors) may have left it on.
pub async fn not_holding() {
    control("DELETE", "hold").await;
}

/// Lets the held request `id` through to the server.
pub async fn release(id: u64) {
    control("POST", &format!("release/{id}")).await;
}
