//! Every way a call can fail, as one type.
//!
//! A [`BackendlessError`] becomes a real JavaScript `Error` at the JS boundary, carrying
//! `message`, `code` (the Backendless error code, when the server sent one or an argument check
//! produced one), `status` (the HTTP status, when there was a response), `statusCode` (the
//! same code again, because the documentation's samples read `err.statusCode`) and `body` (the
//! server's error body, parsed when it is JSON, as the official client's rejections carry it).
//!
//! ```
//! use backendless_wasm::error::{BackendlessError, ErrorKind};
//! let err = BackendlessError::server(401, Some(3003), Some("Invalid login or password".into()));
//! assert_eq!(err.kind, ErrorKind::Server);
//! assert!(!err.ends_session());
//! ```

use std::borrow::Cow;

use wasm_bindgen::JsValue;

use crate::protocol::{Fault, SESSION_ENDING_CODES};

/// What went wrong, in the categories a caller reacts to differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server answered with a non-2xx status.
    Server,
    /// No answer: the server is unreachable, CORS refused, the connection dropped.
    Network,
    /// The call took longer than its timeout and was abandoned.
    Timeout,
    /// The caller's AbortSignal fired.
    Aborted,
    /// A bad argument, caught before any request was sent.
    Argument,
    /// A 2xx answer whose body is not what the protocol promises.
    InvalidResponse,
    /// The SDK was used before `initApp`.
    NotInitialized,
    /// A session call whose answer came after a later session call had taken effect: it
    /// changed nothing (see README, "Session rules").
    Superseded,
}

impl ErrorKind {
    /// The JavaScript `name` of the error, so callers can tell kinds apart without parsing
    /// messages. Timeout and abort use the DOM's own names.
    pub fn js_name(self) -> &'static str {
        match self {
            ErrorKind::Server => "BackendlessError",
            ErrorKind::Network => "NetworkError",
            ErrorKind::Timeout => "TimeoutError",
            ErrorKind::Aborted => "AbortError",
            ErrorKind::Argument => "TypeError",
            ErrorKind::InvalidResponse => "InvalidResponseError",
            ErrorKind::NotInitialized => "NotInitializedError",
            ErrorKind::Superseded => "SupersededError",
        }
    }
}

/// An error from any SDK call.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendlessError {
    pub kind: ErrorKind,
    /// Backendless error code, e.g. 3003.
    pub code: Option<u32>,
    /// HTTP status of the answer, when there was one.
    pub status: Option<u16>,
    pub message: Cow<'static, str>,
    /// The server's error body: parsed JSON, else its text; `None` without an answer.
    pub body: Option<JsValue>,
}

impl BackendlessError {
    fn new(kind: ErrorKind, message: &'static str) -> Self {
        BackendlessError {
            kind,
            code: None,
            status: None,
            message: Cow::Borrowed(message),
            body: None,
        }
    }

    /// A bad argument (no code).
    pub fn argument(message: &'static str) -> Self {
        Self::new(ErrorKind::Argument, message)
    }

    /// A bad argument the server would refuse with `fault`; caught locally, so no request,
    /// with the server's code and wording.
    pub fn refused_locally(fault: Fault) -> Self {
        BackendlessError {
            code: Some(fault.code),
            ..Self::argument(fault.message)
        }
    }

    pub fn network() -> Self {
        Self::new(ErrorKind::Network, "The server could not be reached")
    }

    pub fn timeout() -> Self {
        Self::new(ErrorKind::Timeout, "The request timed out")
    }

    pub fn aborted() -> Self {
        Self::new(ErrorKind::Aborted, "The request was aborted")
    }

    pub fn not_initialized() -> Self {
        Self::new(
            ErrorKind::NotInitialized,
            "Call Backendless.initApp(appId, apiKey) first",
        )
    }

    /// A later session call took effect before this one's answer came.
    pub fn superseded() -> Self {
        Self::new(
            ErrorKind::Superseded,
            "A later login or logout took effect first; this call changed nothing",
        )
    }

    /// The SDK was called from code it was itself running (a `toJSON`, a getter, an overridden
    /// storage method): refused, since the page state is mid-change.
    pub fn reentrant() -> Self {
        Self::argument("Backendless was called from inside one of its own calls (a toJSON, getter or storage override)")
    }

    /// A 2xx answer that does not have the promised shape.
    pub fn invalid_response(status: u16, message: &'static str) -> Self {
        BackendlessError {
            status: Some(status),
            ..Self::new(ErrorKind::InvalidResponse, message)
        }
    }

    /// A non-2xx answer. Without a message in the body (an HTML error page, say), the message
    /// says so; without a code, `code` stays empty.
    pub fn server(status: u16, code: Option<u32>, message: Option<String>) -> Self {
        let message = match message {
            Some(text) if !text.is_empty() => Cow::Owned(text),
            _ => Cow::Borrowed("Server error without a Backendless error body"),
        };
        BackendlessError {
            kind: ErrorKind::Server,
            code,
            status: Some(status),
            message,
            body: None,
        }
    }

    /// True when the server told us the session is over, so the local copy must go too.
    /// Network failures, timeouts and aborts never end a session.
    pub fn ends_session(&self) -> bool {
        self.kind == ErrorKind::Server
            && self
                .code
                .is_some_and(|code| SESSION_ENDING_CODES.contains(&code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_code_status_and_message() {
        let err =
            BackendlessError::server(401, Some(3003), Some("Invalid login or password".into()));
        assert_eq!((err.code, err.status), (Some(3003), Some(401)));
        assert_eq!(err.message, "Invalid login or password");
        assert_eq!(err.kind.js_name(), "BackendlessError");
    }

    #[test]
    fn server_error_without_body_gets_a_generic_message() {
        let err = BackendlessError::server(502, None, None);
        assert_eq!(err.code, None);
        assert_eq!(err.status, Some(502));
        assert!(err.message.contains("without a Backendless error body"));
        assert!(!BackendlessError::server(500, None, Some(String::new()))
            .message
            .is_empty());
    }

    #[test]
    fn only_server_confirmed_dead_tokens_end_the_session() {
        for code in [3064, 3090, 3091, 3023] {
            assert!(
                BackendlessError::server(401, Some(code), None).ends_session(),
                "{code}"
            );
        }
        for code in [3003, 3006, 3036, 2002] {
            assert!(
                !BackendlessError::server(401, Some(code), None).ends_session(),
                "{code}"
            );
        }
        assert!(!BackendlessError::network().ends_session());
        assert!(!BackendlessError::timeout().ends_session());
        assert!(!BackendlessError::aborted().ends_session());
        // A locally produced code never ends a session: the server did not say so.
        let local = Fault {
            status: 401,
            code: 3064,
            message: "x",
        };
        assert!(!BackendlessError::refused_locally(local).ends_session());
    }

    #[test]
    fn kinds_have_distinct_js_names() {
        use ErrorKind::*;
        let kinds = [
            Server,
            Network,
            Timeout,
            Aborted,
            Argument,
            InvalidResponse,
            NotInitialized,
            Superseded,
        ];
        for (i, a) in kinds.iter().enumerate() {
            for b in &kinds[i + 1..] {
                assert_ne!(a.js_name(), b.js_name());
            }
        }
    }
}
