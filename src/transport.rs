//! Carries out a described [`Request`] and turns the answer into a JS value or a
//! [`BackendlessError`].
//!
//! The exchange itself (XMLHttpRequest in pages, fetch where there is none: service workers,
//! Node) is `src/js/exchange.js`: it sends what the [`Request`] describes and reports the status and
//! body text, or which of network, timeout and abort ended it. Everything that decides (the
//! headers' values, the errors, what an answer means) stays here.
//!
//! In JS rather than through web-sys bindings (size: see BENCHMARKS.md#size-exchange-js). Both
//! transports stay covered by the browser suites, which hide XMLHttpRequest from the page to
//! force fetch.

use js_sys::{JsString, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use crate::calls::Request;
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

#[wasm_bindgen(module = "/src/js/exchange.js")]
extern "C" {
    /// An exchange under way: a Promise of its `{ status, text }` (see `Ended`).
    pub type Exchange;

    /// `then(settle, settle)`: one function for either settlement (the exchange never rejects;
    /// [`answer_of`] reads anything but an outcome as a network failure).
    #[wasm_bindgen(method, js_name = then)]
    fn then2(this: &Exchange, on_fulfilled: &JsValue, on_rejected: &JsValue) -> Promise;

    /// Sends and resolves with `{ status, text }` (see [`Ended`]); throws for a URL or header
    /// the platform refuses.
    #[wasm_bindgen(catch)]
    fn exchange(
        method: &str,
        base: &str,
        path: &str,
        segment: Option<&str>,
        token: Option<&str>,
        body: Option<&JsValue>,
        timeout: u32,
        signal: Option<&AbortSignal>,
    ) -> Result<Exchange, JsValue>;

    /// The blocking form: `{ status, text }` at once.
    #[wasm_bindgen(catch, js_name = exchangeSync)]
    fn exchange_sync(
        method: &str,
        base: &str,
        path: &str,
        segment: Option<&str>,
        token: Option<&str>,
    ) -> Result<JsValue, JsValue>;
}

impl Exchange {
    /// The Promise of `settle(outcome)`: `settle` runs once, when the exchange ends, and its
    /// result (or the error it throws) settles the Promise.
    pub fn then_both(&self, settle: &JsValue) -> Promise {
        self.then2(settle, settle)
    }
}

/// How an exchange ended, decoded from its `{ status, text }`.
enum Ended {
    Answered {
        status: u16,
        text: JsValue,
    },
    /// Status 0: no answer (refused, dropped, CORS).
    Network,
    /// Status -1.
    TimedOut,
    /// Status -2.
    Aborted,
}

impl Ended {
    fn of(outcome: &JsValue) -> Ended {
        let status = property::get(outcome, "status").as_f64().unwrap_or(0.0);
        match status as i32 {
            -1 => Ended::TimedOut,
            -2 => Ended::Aborted,
            s if s > 0 && s < 1000 => Ended::Answered {
                status: s as u16,
                text: property::get(outcome, "text"),
            },
            _ => Ended::Network,
        }
    }

    fn result(self) -> Result<JsValue, BackendlessError> {
        match self {
            Ended::Answered { status, text } => answer(status, &text),
            Ended::Network => Err(BackendlessError::network()),
            Ended::TimedOut => Err(BackendlessError::timeout()),
            Ended::Aborted => Err(BackendlessError::aborted()),
        }
    }
}

/// Starts sending `request` with an optional JSON body text (a JS string, sent as it is: no copy
/// through the wasm). The [`Exchange`] settles with the exchange's outcome, which
/// [`answer_of`] reads (see `run` in src/js/user_service.rs).
pub fn send(
    base: &str,
    request: &Request<'_>,
    body: Option<&JsValue>,
    options: &CallOptions,
) -> Result<Exchange, BackendlessError> {
    let token = request.token.map(checked_token).transpose()?;
    let body = body.filter(|_| request.json_body);
    let timeout = options.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    // The exchange fills the path's first `{}` only, so a query after it is sent as it is.
    #[cfg(feature = "business-logic")]
    let with_query;
    #[cfg(feature = "business-logic")]
    let path = match request.query {
        Some(query) => {
            with_query = [request.path, "?", query].concat();
            &with_query
        }
        None => request.path,
    };
    #[cfg(not(feature = "business-logic"))]
    let path = request.path;
    exchange(
        request.method.as_str(),
        base,
        path,
        request.segment,
        token,
        body,
        timeout,
        options.signal.as_ref(),
    )
    .map_err(|_| BackendlessError::argument(BAD_URL))
}

/// The result of an exchange [`send`] started: the parsed JSON answer (`null` for an empty
/// body), or the error (a non-2xx answer's with the server's code and message).
pub fn answer_of(outcome: JsValue) -> Result<JsValue, BackendlessError> {
    Ended::of(&outcome).result()
}

/// A token with characters a header cannot carry is not a token the server issued (a corrupt
/// stored value, say): refuse it clearly instead of letting the platform throw.
fn checked_token(token: &str) -> Result<&str, BackendlessError> {
    if crate::protocol::is_header_value(token) {
        Ok(token)
    } else {
        Err(BackendlessError::argument(BAD_TOKEN))
    }
}

/// Sends `request` with a synchronous XMLHttpRequest, for the docs' blocking API. It freezes the
/// page while it waits and cannot time out, which is why it is discouraged; no body is sent.
pub fn send_sync(base: &str, request: &Request<'_>) -> Result<JsValue, BackendlessError> {
    let token = request.token.map(checked_token).transpose()?;
    let outcome = exchange_sync(
        request.method.as_str(),
        base,
        request.path,
        request.segment,
        token,
    )
    .map_err(|_| BackendlessError::argument(BAD_URL))?;
    Ended::of(&outcome).result()
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
        // A success that is not JSON is its text, as the official client answers it (an
        // authorization URL sent as plain text, say); a call that needs a user or a boolean
        // refuses it as an invalid response (src/engine.rs).
        return Ok(match parsed {
            Some(Ok(json)) => json,
            Some(Err(_)) => text.clone(),
            None => JsValue::NULL,
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
