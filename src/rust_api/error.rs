//! [`Error`]: a rejection of the JavaScript API, as a Rust enum.

use std::fmt;

use wasm_bindgen::JsValue;

use crate::error::ErrorKind;
use crate::property;

/// Why a call failed. The variants are the kinds the JavaScript API tells apart by the error's
/// `name` ([`Error::name`] answers it), each with what that kind carries: the Backendless error
/// code, the HTTP status and the message.
///
/// ```no_run
/// # async fn page(app: backendless_wasm::rust_api::App) {
/// use backendless_wasm::rust_api::Error;
/// match app.login("alice@yourmail.com", "wrong", true).await {
///     Err(Error::Backendless { code: Some(3003), status: 401, .. }) => { /* wrong password */ }
///     Err(Error::Network { .. }) => { /* offline: the session is unchanged */ }
///     Err(other) => { /* see other.message() */ }
///     Ok(user) => { /* logged in */ }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The server refused the call (a non-2xx answer; JS name `BackendlessError`).
    Backendless {
        /// The Backendless error code (3003: invalid login or password), when the body had one.
        code: Option<u32>,
        /// The HTTP status of the answer.
        status: u16,
        /// The server's message, or a generic one when its body had none.
        message: String,
    },
    /// No answer: the server is unreachable, CORS refused, the connection dropped
    /// (`NetworkError`). The session is unchanged.
    Network {
        /// What happened.
        message: String,
    },
    /// The call took longer than [`App::with_timeout`](super::App::with_timeout) allows
    /// (`TimeoutError`). The session is unchanged.
    Timeout {
        /// What happened.
        message: String,
    },
    /// The call was aborted (`AbortError`). The session is unchanged.
    Aborted {
        /// What happened.
        message: String,
    },
    /// A bad argument, refused before any request (`TypeError`).
    Argument {
        /// The code the server would have answered (3006 for an empty login or password), when
        /// the check is one the server makes too.
        code: Option<u32>,
        /// What is wrong with the argument.
        message: String,
    },
    /// A 2xx answer that is not what the protocol promises, or a user that does not read as a
    /// [`User`](super::User) (`InvalidResponseError`).
    InvalidResponse {
        /// The HTTP status, when the answer came from the server.
        status: Option<u16>,
        /// What is wrong with it.
        message: String,
    },
    /// No app: [`App::init`](super::App::init) (or the JavaScript `initApp`) was not called
    /// (`NotInitializedError`).
    NotInitialized {
        /// What to do.
        message: String,
    },
    /// A session call whose answer came after a later session call had taken effect: it
    /// changed nothing (`SupersededError`; README, "Session rules").
    Superseded {
        /// What happened.
        message: String,
    },
    /// A rejection of any other name.
    Other {
        /// Its JavaScript `name`.
        name: String,
        /// Its message.
        message: String,
    },
}

impl Error {
    /// The JavaScript API's `name` for this error (`"BackendlessError"`, `"NetworkError"`, …).
    pub fn name(&self) -> &str {
        let kind = match self {
            Error::Backendless { .. } => ErrorKind::Server,
            Error::Network { .. } => ErrorKind::Network,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Aborted { .. } => ErrorKind::Aborted,
            Error::Argument { .. } => ErrorKind::Argument,
            Error::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Error::NotInitialized { .. } => ErrorKind::NotInitialized,
            Error::Superseded { .. } => ErrorKind::Superseded,
            Error::Other { name, .. } => return name,
        };
        kind.js_name()
    }

    /// The Backendless error code, when there is one.
    pub fn code(&self) -> Option<u32> {
        match self {
            Error::Backendless { code, .. } | Error::Argument { code, .. } => *code,
            _ => None,
        }
    }

    /// The HTTP status of the server's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Backendless { status, .. } => Some(*status),
            Error::InvalidResponse { status, .. } => *status,
            _ => None,
        }
    }

    /// The message, as the JavaScript error's `message`.
    pub fn message(&self) -> &str {
        match self {
            Error::Backendless { message, .. }
            | Error::Network { message }
            | Error::Timeout { message }
            | Error::Aborted { message }
            | Error::Argument { message, .. }
            | Error::InvalidResponse { message, .. }
            | Error::NotInitialized { message }
            | Error::Superseded { message }
            | Error::Other { message, .. } => message,
        }
    }

    /// Reads a rejection of the JavaScript API (an `Error` with `name`, `message`, `code` and
    /// `status`); anything else becomes [`Error::Other`].
    pub(crate) fn from_js(value: JsValue) -> Error {
        let text = |name: &str| property::get(&value, name).as_string();
        let number = |name: &str| {
            property::get(&value, name)
                .as_f64()
                .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX))
        };
        let message = text("message").unwrap_or_default();
        let code = number("code").map(|n| n as u32);
        let status = number("status")
            .filter(|n| *n <= f64::from(u16::MAX))
            .map(|n| n as u16);
        let Some(name) = text("name") else {
            let message = value.as_string().unwrap_or(message);
            return Error::Other {
                name: String::new(),
                message,
            };
        };
        let kind = [
            ErrorKind::Server,
            ErrorKind::Network,
            ErrorKind::Timeout,
            ErrorKind::Aborted,
            ErrorKind::Argument,
            ErrorKind::InvalidResponse,
            ErrorKind::NotInitialized,
            ErrorKind::Superseded,
        ]
        .into_iter()
        .find(|kind| kind.js_name() == name);
        match kind {
            Some(ErrorKind::Server) => Error::Backendless {
                code,
                // A server error always carries its status; 0 would mean none was known.
                status: status.unwrap_or(0),
                message,
            },
            Some(ErrorKind::Network) => Error::Network { message },
            Some(ErrorKind::Timeout) => Error::Timeout { message },
            Some(ErrorKind::Aborted) => Error::Aborted { message },
            Some(ErrorKind::Argument) => Error::Argument { code, message },
            Some(ErrorKind::InvalidResponse) => Error::InvalidResponse { status, message },
            Some(ErrorKind::NotInitialized) => Error::NotInitialized { message },
            Some(ErrorKind::Superseded) => Error::Superseded { message },
            None => Error::Other { name, message },
        }
    }

    /// A value the API answered that does not read as the type promised.
    pub(crate) fn unreadable(what: &str, error: serde_wasm_bindgen::Error) -> Error {
        Error::InvalidResponse {
            status: None,
            message: format!("{what}: {error}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())?;
        match (self.code(), self.status()) {
            (Some(code), Some(status)) => write!(f, " (code {code}, HTTP {status})"),
            (Some(code), None) => write!(f, " (code {code})"),
            (None, Some(status)) => write!(f, " (HTTP {status})"),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

/// Reads a rejection of this SDK's JavaScript API (or any JS `Error`: its `name` picks the
/// variant), for code that awaits the JavaScript exports itself.
impl From<JsValue> for Error {
    fn from(value: JsValue) -> Error {
        Error::from_js(value)
    }
}
