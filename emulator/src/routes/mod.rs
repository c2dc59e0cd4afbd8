//! HTTP front door: one handler that applies CORS, reads the body, records the request, resolves the URL
//! form (`/{appId}/{apiKey}/<op>` or `/api/<op>`) and dispatches to the operation.

pub mod control;
pub mod data;
pub mod users;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::Serialize;
use serde_json::Value;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::hold::{Admission, Hold, Outcome};
use crate::request_log::{is_secret_header, logged_body, LoggedRequest, RequestLog, REDACTED};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Headers allowed by a preflight that does not list the ones it wants.
const DEFAULT_ALLOWED_HEADERS: &str = "content-type, user-token, application-type, api-version";

/// Everything a handler needs.
pub struct AppState {
    /// The login service.
    pub auth: Auth,
    /// The recent-request log.
    pub request_log: RequestLog,
    /// The accepted application id.
    pub app_id: String,
    /// The accepted API key.
    pub api_key: String,
    /// The hold switch (`/__emulator/hold`).
    pub hold: Hold,
}

/// The whole HTTP surface.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// A 200 JSON response.
pub fn json_response(value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "response serialisation failed");
            ApiError::internal().into_response()
        }
    }
}

/// Parses a request body as JSON; an empty body is `null`.
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|error| ApiError::unparsable_body(&error.to_string()))
}

/// Decodes `%XX` escapes of one path segment (as `encodeURIComponent` makes them); `+` stays `+`.
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
            if let Some(value) = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                decoded.push(value);
                index += 3;
                continue;
            }
        }
        decoded.push(byte);
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The `user-token` header, if any. A value with bytes beyond visible ASCII is no token this server issued, but
/// it was sent: it is kept (as UTF-8, else as U+FFFD) so that it is refused as stale (3064), not ignored.
pub fn user_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("user-token")
        .map(|value| std::str::from_utf8(value.as_bytes()).unwrap_or("\u{FFFD}"))
}

async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // The control endpoints can reset data and read the request log, so a page from elsewhere
    // (any website open in the developer's browser) must not reach them: CORS alone would not
    // stop a body-less "simple" POST from running, hence the refusal before anything runs.
    let control = is_control_path(parts.uri.path());
    let allow_origin = if control {
        match control_origin(&parts.headers) {
            Ok(origin) => origin,
            Err(error) => return error.into_response(),
        }
    } else {
        Some(HeaderValue::from_static("*"))
    };
    let mut response = if parts.method == Method::OPTIONS {
        preflight(&parts.headers)
    } else if control {
        read_and_route(&state, &parts, body).await
    } else {
        // The hold switch parks API requests before anything about them is done.
        let segments: Vec<&str> = parts.uri.path().trim_matches('/').split('/').collect();
        match state
            .hold
            .admit(parts.method.as_str(), logged_path(&segments))
        {
            Admission::Proceed => read_and_route(&state, &parts, body).await,
            Admission::Full => ApiError::from(crate::protocol::faults::SERVER_BUSY).into_response(),
            Admission::Parked(ticket) => match ticket.wait().await {
                Outcome::Drop => return crate::server::drop_connection(),
                Outcome::Process(processed) => {
                    let response = read_and_route(&state, &parts, body).await;
                    processed.done();
                    response
                }
            },
        }
    };
    if let Some(origin) = allow_origin {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    if control {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

/// Reads the body and answers the request.
async fn read_and_route(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: axum::body::Body,
) -> Response {
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            route(
                state,
                &parts.method,
                parts.uri.path(),
                parts.uri.query(),
                &parts.headers,
                bytes,
            )
            .await
        }
        Err(error) if is_over_limit(&error) => {
            ApiError::body_too_large(MAX_BODY_BYTES).into_response()
        }
        // Broken chunked framing, a connection dropped mid-body: the body cannot be read.
        Err(_) => ApiError::unparsable_body("the request body could not be read").into_response(),
    }
}

/// True when reading the body failed because it is larger than the limit (not malformed).
fn is_over_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

fn is_control_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    first == "__emulator"
}

/// The `Access-Control-Allow-Origin` for a control request: the origin itself when it is this
/// machine, else refused. Without an `Origin` header the caller is not a cross-origin page
/// (curl, Node, test harnesses), so the usual `*` is harmless.
fn control_origin(headers: &HeaderMap) -> Result<Option<HeaderValue>, ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(Some(HeaderValue::from_static("*")));
    };
    match origin.to_str() {
        Ok(text) if is_loopback_origin(text) => Ok(Some(origin.clone())),
        _ => Err(ApiError::foreign_origin()),
    }
}

/// `http(s)://127.0.0.1[:port]`, `localhost` or `[::1]`, and nothing else.
fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = match rest.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => rest,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

#[cfg(test)]
mod origin_tests {
    use super::*;

    #[test]
    fn only_this_machine_is_a_loopback_origin() {
        for good in [
            "http://127.0.0.1:8080",
            "http://localhost:5173",
            "https://localhost",
            "http://[::1]:3000",
            "http://127.0.0.1",
        ] {
            assert!(is_loopback_origin(good), "{good}");
        }
        for bad in [
            "https://evil.example",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "null",
            "http://10.0.0.2:8080",
            "http://[::1]evil",
            "file://",
            "http://localhost:80/x",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
        assert!(is_control_path("/__emulator/reset"));
        assert!(!is_control_path("/api/users/login"));
        assert!(!is_control_path("/__emulatorx/reset"));
    }
}

/// Answers a CORS preflight for any path.
fn preflight(headers: &HeaderMap) -> Response {
    let requested = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .filter(|value| !value.is_empty())
        .cloned()
        .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOWED_HEADERS));
    (
        StatusCode::NO_CONTENT,
        [
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
            ),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, requested),
            (
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            ),
        ],
    )
        .into_response()
}

async fn route(
    state: &AppState,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if let ["__emulator", rest @ ..] = segments.as_slice() {
        return match control::handle(state, method, rest, query, &body).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        };
    }
    let (prefix_len, app_matches) = match segments.as_slice() {
        ["api", ..] => (1, true),
        [app_id, api_key, _, ..] => (
            2,
            percent_decode(app_id) == state.app_id && percent_decode(api_key) == state.api_key,
        ),
        _ => (0, true),
    };
    let operation = &segments[prefix_len..];
    let path_token = match operation {
        ["users", "isvalidusertoken", token] => Some(percent_decode(token)),
        _ => None,
    };
    record(
        state,
        method,
        &segments,
        path_token.as_deref(),
        headers,
        &body,
    );

    let result = if !app_matches {
        Err(ApiError::wrong_app_info())
    } else if prefix_len == 0 {
        Err(ApiError::unknown_endpoint(method.as_str(), path))
    } else {
        dispatch(state, method, operation, path_token, headers, &body).await
    };
    let response = result.unwrap_or_else(IntoResponse::into_response);
    tracing::debug!(method = %method, op = %operation.first().copied().unwrap_or(""), status = response.status().as_u16(), "request");
    response
}

async fn dispatch(
    state: &AppState,
    method: &Method,
    operation: &[&str],
    path_token: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let token = user_token(headers);
    match (method, operation) {
        (&Method::POST, ["users", "register"]) => users::register(state, body).await,
        (&Method::POST, ["users", "register", "guest"]) => users::register_guest(state).await,
        (&Method::POST, ["users", "login"]) => users::login(state, body).await,
        (&Method::GET, ["users", "isvalidusertoken", _]) => Ok(users::is_valid_user_token(
            state,
            path_token.as_deref().unwrap_or(""),
        )),
        (&Method::GET, ["users", "logout"]) => users::logout(state, token).await,
        (&Method::GET, ["users", "restorepassword", identity]) => {
            users::restore_password(state, &percent_decode(identity)).await
        }
        (&Method::GET, ["info"]) => Ok(users::app_info(state, headers)),
        (&Method::GET, ["data", table, object_id]) if table.eq_ignore_ascii_case("Users") => {
            data::user(state, &percent_decode(object_id), token).await
        }
        _ => Err(ApiError::unknown_endpoint(
            method.as_str(),
            &format!("/{}", operation.join("/")),
        )),
    }
}

/// The index of the segment after any `isvalidusertoken`, wherever it sits: a malformed URL (no app
/// prefix, wrong key) must not put a token into the log either.
fn token_segment(segments: &[&str]) -> Option<usize> {
    segments
        .iter()
        .position(|segment| *segment == "isvalidusertoken")
        .map(|index| index + 1)
        .filter(|index| *index < segments.len())
}

/// The path as the log (and the hold list) shows it: a token in the path redacted.
fn logged_path(segments: &[&str]) -> String {
    let token_index = token_segment(segments);
    let path = segments
        .iter()
        .enumerate()
        .map(|(index, segment)| {
            if Some(index) == token_index {
                REDACTED
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    format!("/{path}")
}

/// Adds the request to the log, with secrets redacted.
fn record(
    state: &AppState,
    method: &Method,
    segments: &[&str],
    path_token: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) {
    let auth: &Auth = &state.auth;
    let mut logged_headers = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        let text = if is_secret_header(name) {
            REDACTED.to_string()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        logged_headers
            .entry(name.to_string())
            .and_modify(|existing: &mut String| {
                existing.push_str(", ");
                existing.push_str(&text);
            })
            .or_insert(text);
    }
    let token_index = token_segment(segments);
    let path = logged_path(segments);
    let path_token = path_token
        .map(str::to_string)
        .or_else(|| token_index.map(|index| percent_decode(segments[index])));
    let token_user_id = user_token(headers)
        .filter(|token| !token.is_empty())
        .and_then(|token| auth.token_owner(token));
    let path_token_user_id = path_token
        .filter(|token| !token.is_empty())
        .and_then(|token| auth.token_owner(&token));
    state.request_log.push(LoggedRequest {
        method: method.as_str().to_string(),
        path,
        headers: logged_headers,
        body: logged_body(body),
        token_user_id: token_user_id.map(|id| id.to_string()),
        path_token_user_id: path_token_user_id.map(|id| id.to_string()),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_and_garbage() {
        assert_eq!(percent_decode("a%40b.c"), "a@b.c");
        assert_eq!(percent_decode("a%2Bb"), "a+b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
