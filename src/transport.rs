//! Carries out a described [`Call`] and turns the answer into a JS value or a
//! [`BackendlessError`].
//!
//! Pages send with XMLHttpRequest; where there is none (service workers, Node), with the global
//! `fetch`. Both honour the call's timeout and the caller's `AbortSignal` and end in the same
//! errors. With fetch, the timeout is the browser's `AbortSignal.timeout`; a caller's signal and
//! the timeout are joined in a controller of our own (`AbortSignal.any` would do it, but only
//! from Safari 17.4).

use js_sys::{Function, JsString, Object, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, AbortSignal};

use crate::api::Call;
use crate::error::BackendlessError;
use crate::property;

const BAD_URL: &str = "Bad request URL: check serverURL and initApp";
const BAD_TOKEN: &str = "The user-token is not a valid header value";

/// Default time a call may take, request and body included.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// Per-call options (`{ timeout, signal }` from JavaScript).
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Milliseconds; `None` uses [`DEFAULT_TIMEOUT_MS`], `Some(0)` means no timeout.
    pub timeout_ms: Option<u32>,
    pub signal: Option<AbortSignal>,
}

/// The signal a call's fetch runs under: the timeout's and the caller's, in one.
///
/// The timeout is the browser's own `AbortSignal.timeout`, with no timer of ours to set and
/// clear: in a plain-JS stand-in of this call measured in Chromium, a per-call `Error`, `bind`
/// and `setTimeout`/`clearTimeout` cost ~50–70 µs, the timeout signal ~5. With no caller signal
/// it goes to fetch as it is, so the common call creates nothing else. With one, both it and the
/// timeout fire our own controller's `abort`, bound to an `AbortError`, a plain JS function
/// rather than a Rust closure. Which one fired is read off the signals afterwards
/// ([`Guard::failure`]).
struct Guard {
    /// What fetch listens to, if anything.
    signal: Option<AbortSignal>,
    /// The caller's signal and the listener we added to it.
    caller: Option<(AbortSignal, Function)>,
}

impl Guard {
    fn arm(options: &CallOptions) -> Result<Guard, BackendlessError> {
        let timeout = match options.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS) {
            0 => None,
            ms => Some(AbortSignal::timeout_with_u32(ms)),
        };
        let Some(caller) = options.signal.clone() else {
            return Ok(Guard {
                signal: timeout,
                caller: None,
            });
        };
        if caller.aborted() {
            return Err(BackendlessError::aborted());
        }
        let controller = AbortController::new().map_err(|_| BackendlessError::network())?;
        let reason = js_sys::Error::new("The request was aborted");
        reason.set_name("AbortError");
        let abort: Function = property::get(&controller, "abort").unchecked_into();
        let on_cancel: Function = abort
            .bind1(&controller, &JsValue::from(reason))
            .unchecked_into();
        let _ = caller.add_event_listener_with_callback("abort", &on_cancel);
        // Firing after the call has ended aborts a finished controller: harmless.
        if let Some(timeout) = &timeout {
            let _ = timeout.add_event_listener_with_callback("abort", &on_cancel);
        }
        Ok(Guard {
            signal: Some(controller.signal()),
            caller: Some((caller, on_cancel)),
        })
    }

    /// The error for a failed fetch or body read: ours if we cancelled, else the network's.
    /// The caller's abort wins over our timeout, whichever came first.
    fn failure(&self) -> BackendlessError {
        if self
            .caller
            .as_ref()
            .is_some_and(|(caller, _)| caller.aborted())
        {
            BackendlessError::aborted()
        } else if self.signal.as_ref().is_some_and(AbortSignal::aborted) {
            BackendlessError::timeout()
        } else {
            BackendlessError::network()
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some((caller, on_cancel)) = &self.caller {
            let _ = caller.remove_event_listener_with_callback("abort", on_cancel);
        }
    }
}

/// Sends `call` with an optional JSON body text (a JS string). Resolves with the parsed JSON
/// answer (`null` for an empty body); rejects with the server's `{code, message}` for a non-2xx
/// answer.
///
/// Pages send with XMLHttpRequest, as the official client does: status and body arrive in one
/// event, where fetch resolves at the headers and reads the body in a second round. Where there
/// is no XMLHttpRequest (Node, service workers), the global fetch.
pub async fn send(
    call: &Call<'_>,
    body: Option<&JsValue>,
    options: &CallOptions,
) -> Result<JsValue, BackendlessError> {
    match web_sys::XmlHttpRequest::new() {
        Ok(xhr) => send_xhr(xhr, call, body, options).await,
        Err(_) => send_fetch(call, body, options).await,
    }
}

/// The XMLHttpRequest exchange: one promise, settled with the event of whichever of load,
/// error, timeout or abort comes first, so one wake-up per call. The timeout is the request's
/// own; the caller's signal calls its `abort`.
async fn send_xhr(
    xhr: web_sys::XmlHttpRequest,
    call: &Call<'_>,
    body: Option<&JsValue>,
    options: &CallOptions,
) -> Result<JsValue, BackendlessError> {
    let caller = options.signal.as_ref();
    if caller.is_some_and(AbortSignal::aborted) {
        return Err(BackendlessError::aborted());
    }
    open(&xhr, call, true)?;
    xhr.set_timeout(options.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let settled = Promise::new(&mut |resolve, _| {
        for event in ["onload", "onerror", "ontimeout", "onabort"] {
            property::set(&xhr, event, &resolve);
        }
    });
    // A bound `abort`, not a Rust closure, listens to the caller's signal.
    let abort = caller.map(|signal| {
        let abort: Function = property::get(&xhr, "abort").unchecked_into();
        let abort = abort.bind0(&xhr);
        let _ = signal.add_event_listener_with_callback("abort", &abort);
        (signal, abort)
    });
    // The body goes as the JS string it is (no copy through the wasm).
    let sent = match body {
        Some(body) if call.json_body => {
            let send: Function = property::get(&xhr, "send").unchecked_into();
            send.call1(&xhr, body).map(drop)
        }
        _ => xhr.send(),
    };
    let event = match sent {
        Ok(()) => wasm_bindgen_futures::JsFuture::from(settled).await.ok(),
        Err(_) => None,
    };
    if let Some((signal, abort)) = abort {
        let _ = signal.remove_event_listener_with_callback("abort", &abort);
    }
    // The event's type told apart by its length, without copying it into the wasm: "load" (4),
    // "error" and "abort" (5), "timeout" (7).
    let kind = event.map_or(0, |event| {
        property::get(&event, "type")
            .dyn_ref::<JsString>()
            .map_or(0, JsString::length)
    });
    match kind {
        4 => answer(
            xhr.status().unwrap_or(0),
            &property::get(&xhr, "responseText"),
        ),
        7 => Err(BackendlessError::timeout()),
        _ if caller.is_some_and(AbortSignal::aborted) => Err(BackendlessError::aborted()),
        _ => Err(BackendlessError::network()),
    }
}

/// Opens `xhr` for `call` (asynchronous or blocking) and sets its headers: `Content-Type` when
/// a JSON body follows, the checked `user-token` when the call carries one.
fn open(
    xhr: &web_sys::XmlHttpRequest,
    call: &Call<'_>,
    asynchronous: bool,
) -> Result<(), BackendlessError> {
    xhr.open_with_async(call.method.as_str(), &call.url, asynchronous)
        .map_err(|_| BackendlessError::argument(BAD_URL))?;
    if call.json_body {
        let _ = xhr.set_request_header("Content-Type", "application/json");
    }
    if let Some(token) = call.token {
        xhr.set_request_header("user-token", checked_token(token)?)
            .map_err(|_| BackendlessError::argument(BAD_TOKEN))?;
    }
    Ok(())
}

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, the same in windows, workers and Node. Bound directly rather than
    /// through gloo-net's `Request::send`, which looks the global scope up on every call and
    /// ships its own error type: measured, gloo-net cost 966 B of wasm, 531 B gzip with the glue.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &web_sys::Request) -> Promise;
}

/// The fetch exchange: headers first, then the body as a JS string.
async fn send_fetch(
    call: &Call<'_>,
    body: Option<&JsValue>,
    options: &CallOptions,
) -> Result<JsValue, BackendlessError> {
    let guard = Guard::arm(options)?;
    let request = build_request(call, body, guard.signal.as_ref())?;
    let response = wasm_bindgen_futures::JsFuture::from(global_fetch(&request))
        .await
        .map_err(|_| guard.failure())?;
    let response: web_sys::Response = response.unchecked_into();
    let status = response.status();
    // The body is read as a JS string and parsed on the JS side: never copied through the wasm.
    let text = match response.text() {
        Ok(text) => wasm_bindgen_futures::JsFuture::from(text).await,
        Err(error) => Err(error),
    };
    let text = text.map_err(|_| guard.failure())?;
    drop(guard);
    answer(status, &text)
}

// The init and headers are plain objects (fetch accepts them): fewer bindings to ship than
// RequestInit and Headers.
fn build_request(
    call: &Call<'_>,
    body: Option<&JsValue>,
    signal: Option<&AbortSignal>,
) -> Result<web_sys::Request, BackendlessError> {
    let headers = Object::new();
    if call.json_body {
        property::set(
            &headers,
            "Content-Type",
            &JsValue::from_str("application/json"),
        );
    }
    if let Some(token) = call.token {
        property::set(
            &headers,
            "user-token",
            &JsValue::from_str(checked_token(token)?),
        );
    }
    let init = Object::new();
    property::set(&init, "method", &JsValue::from_str(call.method.as_str()));
    property::set(&init, "headers", &headers);
    if let Some(signal) = signal {
        property::set(&init, "signal", signal);
    }
    if let (true, Some(body)) = (call.json_body, body) {
        property::set(&init, "body", body);
    }
    web_sys::Request::new_with_str_and_init(&call.url, init.unchecked_ref())
        .map_err(|_| BackendlessError::argument(BAD_URL))
}

/// A token with characters a header cannot carry is not a token the server issued (a corrupt
/// stored value, say): refuse it clearly instead of letting fetch throw.
fn checked_token(token: &str) -> Result<&str, BackendlessError> {
    if crate::protocol::is_header_value(token) {
        Ok(token)
    } else {
        Err(BackendlessError::argument(BAD_TOKEN))
    }
}

/// Sends `call` with a synchronous XMLHttpRequest, for the docs' blocking API. It freezes the
/// page while it waits and cannot time out, which is why it is discouraged; no body is sent.
pub fn send_sync(call: &Call<'_>) -> Result<JsValue, BackendlessError> {
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| BackendlessError::network())?;
    open(&xhr, call, false)?;
    // Engines differ here (Chrome throws a NetworkError DOMException, Firefox may answer with
    // status 0): both mean there was no answer.
    xhr.send().map_err(|_| BackendlessError::network())?;
    let status = xhr.status().unwrap_or(0);
    let text = property::get(&xhr, "responseText");
    if status == 0 || body_cut(&xhr, &text) {
        return Err(BackendlessError::network());
    }
    answer(status, &text)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = XMLHttpRequest)]
    type RawXhr;

    /// `xhr.getResponseHeader(name)` as a number: the JS-to-wasm call converts the header's
    /// text with `ToNumber`, so a missing header (null) is 0.
    #[wasm_bindgen(method, js_name = getResponseHeader)]
    fn numeric_header(this: &RawXhr, name: &str) -> f64;
}

/// WebKit does not fail a blocking request whose connection drops mid-body: it reports the
/// status with an empty body, where Chrome and Firefox throw. A body announced (a non-zero
/// `Content-Length`) and not delivered is no answer either.
fn body_cut(xhr: &web_sys::XmlHttpRequest, text: &JsValue) -> bool {
    text.dyn_ref::<JsString>()
        .is_some_and(|text| text.length() == 0)
        && xhr
            .unchecked_ref::<RawXhr>()
            .numeric_header("content-length")
            > 0.0
}

/// Maps status and body text (a JS string) to the call's result.
///
/// A non-2xx answer's `code` and `message` are read from the top level of its JSON body, the
/// only place the service puts them (its `errorData` is an object of extra details), whatever
/// else the body holds; the body itself travels on the error, parsed when it is JSON, else as
/// the text received, as the official client's rejections carry it.
fn answer(status: u16, text: &JsValue) -> Result<JsValue, BackendlessError> {
    // An empty or blank body is no JSON at all (`null` for a success).
    let blank = text
        .dyn_ref::<JsString>()
        .map_or(true, |text| text.trim().length() == 0);
    let parsed = (!blank).then(|| property::parse_json(text));
    if (200..300).contains(&status) {
        return parsed.unwrap_or(Ok(JsValue::NULL)).map_err(|_| {
            BackendlessError::invalid_response(status, "The server's answer is not valid JSON")
        });
    }
    let body = match parsed {
        Some(Ok(json)) => json,
        _ => text.clone(),
    };
    let field = |name: &str| body.is_object().then(|| property::get(&body, name));
    let code = field("code")
        .and_then(|v| v.as_f64())
        .filter(|c| c.fract() == 0.0 && *c >= 0.0 && *c < 4e9)
        .map(|c| c as u32);
    let message = field("message").and_then(|v| v.as_string());
    Err(BackendlessError {
        body: Some(body),
        ..BackendlessError::server(status, code, message)
    })
}
