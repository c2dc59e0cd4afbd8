//! The rules every request goes through before (and after) its handler, as axum middleware.
//!
//! Order, outermost first: [`trim_slashes`] (before routing), [`cors`] (preflights, the control
//! endpoints' origin rule, `Access-Control-Allow-Origin` on every answer); then, for the API only,
//! [`hold`], [`read_body`], [`log_request`] and [`check_app_key`]. The control endpoints get
//! [`read_body`] too.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{percent_decode, user_token, KeyKind, SharedState, MAX_BODY_BYTES};
use crate::error::ApiError;
use crate::hold::{Admission, Outcome};
use crate::request_log::{is_secret_header, logged_body, logged_header, LoggedRequest, REDACTED};
use crate::server::DropConnection;

/// Headers allowed by a preflight that does not list the ones it wants.
const DEFAULT_ALLOWED_HEADERS: &str = "content-type, user-token, application-type, api-version";

/// The request body, read once by [`read_body`], for the request log.
#[derive(Clone)]
pub struct BodyBytes(pub Bytes);

/// The path with leading and trailing slashes trimmed (`/api/users/login/` is `/api/users/login`),
/// as paths were always matched here. Runs before routing.
pub fn trim_slashes(mut request: Request) -> Request {
    let path = request.uri().path();
    let trimmed = path.trim_matches('/');
    if trimmed.len() + 1 == path.len() && path.starts_with('/') {
        return request;
    }
    let path_and_query = match request.uri().query() {
        Some(query) => format!("/{trimmed}?{query}"),
        None => format!("/{trimmed}"),
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(value) = path_and_query.parse() {
        parts.path_and_query = Some(value);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// The `Host` header must name this machine: `localhost` or a name under `.localhost`, an IP
/// address (a DNS-rebinding page can only bring its own name), or a name given with
/// `--allowed-host`. Anything else is refused (403, code 0) before anything runs, as dev servers
/// do. A request without a Host header (not HTTP/1.1, not a browser) is let through.
pub async fn check_host(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(host) = request.headers().get(header::HOST) {
        let text = String::from_utf8_lossy(host.as_bytes()).to_ascii_lowercase();
        if !is_allowed_host(&text, &state.allowed_hosts) {
            return ApiError::host_not_allowed(&text).into_response();
        }
    }
    next.run(request).await
}

/// Whether `host` (a Host header value, lower case, maybe with a port) may be served.
pub fn is_allowed_host(host: &str, allowed: &[String]) -> bool {
    let name = match host.strip_prefix('[') {
        // [v6]:port
        Some(rest) => match rest.split_once(']') {
            Some((address, tail)) if tail.is_empty() || tail.starts_with(':') => {
                return address.parse::<std::net::Ipv6Addr>().is_ok();
            }
            _ => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    let name = name.trim_end_matches('.');
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok()
        || allowed.iter().any(|allowed| allowed == name)
}

/// With a control token in force, a control request must carry it (`X-Emulator-Token: TOKEN` or
/// `Authorization: Bearer TOKEN`), else 401 (code 0).
pub async fn check_control_token(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(token) = &state.control_token {
        let headers = request.headers();
        let sent = headers
            .get("x-emulator-token")
            .map(HeaderValue::as_bytes)
            .or_else(|| {
                headers
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "))
            });
        let matches = sent.is_some_and(|sent| constant_time_eq(sent, token.as_bytes()));
        if !matches && request.method() != Method::OPTIONS {
            return ApiError::control_token_required().into_response();
        }
    }
    next.run(request).await
}

/// Equality that takes as long wherever the first difference is.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// The path's segments, without the leading slash.
pub fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

/// Whether the path is a control endpoint's.
pub fn is_control_path(path: &str) -> bool {
    segments(path).first() == Some(&"__emulator")
}

/// Whether the path is the local identity provider's.
pub fn is_provider_path(path: &str) -> bool {
    segments(path).first() == Some(&"oauth-provider")
}

/// CORS on every route but the local identity provider's: preflights answered for any path; `Access-Control-Allow-Origin: *` on the
/// API (open to every origin, like the hosted service); on the control endpoints, the origin
/// echoed when it is this machine, else a 403 before anything runs (CORS alone would not stop a
/// body-less "simple" POST from resetting the data).
pub async fn cors(request: Request, next: Next) -> Response {
    // The local identity provider grants no origin anything (same origin only, refused there).
    if is_provider_path(request.uri().path()) {
        return next.run(request).await;
    }
    let control = is_control_path(request.uri().path());
    let allow_origin = if control {
        match control_origin(request.headers()) {
            Ok(origin) => origin,
            Err(error) => return error.into_response(),
        }
    } else {
        HeaderValue::from_static("*")
    };
    let mut response = if request.method() == Method::OPTIONS {
        preflight(request.headers())
    } else {
        next.run(request).await
    };
    if response.extensions().get::<DropConnection>().is_some() {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
    if control {
        headers.insert(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

/// The `Access-Control-Allow-Origin` for a control request: the origin itself when it is this
/// machine, else refused. Without an `Origin` header the caller is not a cross-origin page
/// (curl, Node, test harnesses), so the usual `*` is harmless.
fn control_origin(headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        // No Origin: a tool, or a page's `<img>`/`<script>`/link, which browsers mark with
        // Fetch metadata. Another site's is refused (it could fill and read the log).
        let cross_site = headers
            .get("sec-fetch-site")
            .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"));
        if cross_site {
            return Err(ApiError::foreign_origin());
        }
        return Ok(HeaderValue::from_static("*"));
    };
    match origin.to_str() {
        Ok(text) if is_loopback_origin(text) => Ok(origin.clone()),
        _ => Err(ApiError::foreign_origin()),
    }
}

/// `http(s)://127.0.0.1[:port]`, `localhost` or `[::1]`, and nothing else.
pub fn is_loopback_origin(origin: &str) -> bool {
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

/// The hold switch: while on, an API request is parked here, before anything about it is done.
pub async fn hold(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let path = logged_path(&loggable_segments(&state, request.uri().path()));
    match state.hold.admit(request.method().as_str(), path) {
        Admission::Proceed => next.run(request).await,
        Admission::Full => ApiError::from(crate::protocol::faults::SERVER_BUSY).into_response(),
        Admission::Parked(ticket) => match ticket.wait().await {
            Outcome::Drop => crate::server::drop_connection(),
            Outcome::Process(processed) => {
                let response = next.run(request).await;
                processed.done();
                response
            }
        },
    }
}

/// Reads the whole body (at most [`MAX_BODY_BYTES`], within the body timeout) so that handlers and
/// the log share it: 413 over the limit, 408 (and the connection closed) when it does not arrive in
/// time, 400 when it cannot be read (broken chunked framing, a client gone mid-body).
pub async fn read_body(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    // A large body (or one of unknown length) needs room in the budget of large bodies in flight:
    // without it the request is refused at once, before anything is read.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
    let reserve = match declared {
        Some(length) if !chunked => length.min(MAX_BODY_BYTES + 1),
        _ if chunked => MAX_BODY_BYTES,
        _ => 0,
    };
    let _room = if reserve > super::LARGE_BODY_BYTES {
        let permits = u32::try_from(reserve).unwrap_or(u32::MAX);
        match state.large_bodies.clone().try_acquire_many_owned(permits) {
            Ok(room) => Some(room),
            Err(_) => {
                tracing::debug!(reserve, "large bodies in flight at their bound: busy");
                // Read and discard the body first (a chunk at a time, within the body timeout),
                // so the client, still sending, gets the answer instead of a reset connection.
                let body = request.into_body();
                let _ = tokio::time::timeout(state.body_timeout, discard(body)).await;
                return ApiError::from(crate::protocol::faults::SERVER_BUSY).into_response();
            }
        }
    } else {
        None
    };
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(
        state.body_timeout,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) if is_over_limit(&error) => {
            return ApiError::body_too_large(MAX_BODY_BYTES).into_response()
        }
        Ok(Err(_)) => {
            return ApiError::unparsable_body("the request body could not be read").into_response()
        }
        Err(_) => {
            let mut response = ApiError::body_timeout(state.body_timeout).into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let mut request = Request::from_parts(parts, Body::from(bytes.clone()));
    request.extensions_mut().insert(BodyBytes(bytes));
    next.run(request).await
}

/// Account creation (register, guest) draws on the client's sign-up allowance: over it → 429 with
/// `Retry-After`.
pub async fn limit_signups(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    within_allowance(&state.signups, "sign-up", request, next).await
}

/// Starting an OAuth sign-in (`request_url`) draws on the client's allowance, so that one client
/// cannot fill the table of pending sign-ins that everyone shares.
pub async fn limit_oauth_starts(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    within_allowance(&state.oauth_starts, "OAuth start", request, next).await
}

/// Asking for a confirmation mail (`resendconfirmation`) draws on the client's allowance, so that
/// one client cannot push everyone else's links out of the bounded outbox.
pub async fn limit_confirmation_mails(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    within_allowance(
        &state.confirmation_mails,
        "confirmation mail",
        request,
        next,
    )
    .await
}

/// Runs the request if its client has an operation left in `limiter`, else 429 with
/// `Retry-After`.
async fn within_allowance(
    limiter: &crate::ratelimit::RateLimiter,
    what: &'static str,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(client) = client {
        if let Err(wait) = limiter.take(client) {
            tracing::debug!(%client, what, "refused: over the client's allowance");
            let mut response =
                ApiError::from(crate::protocol::faults::TOO_MANY_REQUESTS).into_response();
            let seconds = wait.as_secs().saturating_add(1);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return response;
        }
    }
    next.run(request).await
}

/// Reads a body to its end (at most [`MAX_BODY_BYTES`] and a little), keeping nothing.
async fn discard(body: Body) {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        seen += frame.data_ref().map_or(0, |data| data.len());
        if seen > MAX_BODY_BYTES {
            break;
        }
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

/// `/{appId}/{apiKey}/…` with an app id or API key that is not this server's: 2002, whatever the
/// operation. (`/api/…` has no key to check.)
pub async fn check_app_key(
    State(state): State<SharedState>,
    mut request: Request,
    next: Next,
) -> Response {
    let kind = match segments(request.uri().path()).as_slice() {
        ["api", ..] => Some(KeyKind::Normal),
        [app_id, api_key, _, ..] => {
            let key = percent_decode(api_key);
            if percent_decode(app_id) != state.app_id {
                None
            } else if constant_time_eq(key.as_bytes(), state.api_key.as_bytes()) {
                Some(KeyKind::Normal)
            } else if constant_time_eq(key.as_bytes(), state.cloud_code_api_key.as_bytes()) {
                Some(KeyKind::CloudCode)
            } else {
                None
            }
        }
        _ => Some(KeyKind::Normal),
    };
    let Some(kind) = kind else {
        return ApiError::wrong_app_info().into_response();
    };
    request.extensions_mut().insert(kind);
    next.run(request).await
}

/// The path's segments with the CloudCode key (the second segment of the `/{appId}/{apiKey}`
/// form) replaced by [`REDACTED`]: the request log and the hold list are readable by local
/// pages, and that key opens business logic's operations.
fn loggable_segments<'a>(state: &SharedState, path: &'a str) -> Vec<&'a str> {
    let mut parts = segments(path);
    if let Some(key) = parts.get_mut(1) {
        if percent_decode(key) == state.cloud_code_api_key {
            *key = REDACTED;
        }
    }
    parts
}

/// Records every API request in the log (secrets redacted) before it is handled, and writes one
/// debug line per request after.
pub async fn log_request(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let body = request
        .extensions()
        .get::<BodyBytes>()
        .map(|body| body.0.clone())
        .unwrap_or_default();
    let shown = loggable_segments(&state, &path);
    record(&state, &method, &shown, request.headers(), &body);
    let response = next.run(request).await;
    tracing::debug!(method = %method, path = %logged_path(&shown), status = response.status().as_u16(), "request");
    response
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
pub fn logged_path(segments: &[&str]) -> String {
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
    state: &SharedState,
    method: &Method,
    segments: &[&str],
    headers: &HeaderMap,
    body: &[u8],
) {
    let mut logged_headers = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        let text = if is_secret_header(name) {
            REDACTED.to_string()
        } else {
            logged_header(value.as_bytes())
        };
        logged_headers
            .entry(name.to_string())
            .and_modify(|existing: &mut String| {
                existing.push_str(", ");
                existing.push_str(&text);
            })
            .or_insert(text);
    }
    let path_token = token_segment(segments).map(|index| percent_decode(segments[index]));
    let token_user_id = user_token(headers)
        .filter(|token| !token.is_empty())
        .and_then(|token| state.auth.token_owner(token));
    let path_token_user_id = path_token
        .filter(|token| !token.is_empty())
        .and_then(|token| state.auth.token_owner(&token));
    state.request_log.push(LoggedRequest {
        method: method.as_str().to_string(),
        path: logged_path(segments),
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

    #[test]
    fn host_names_of_this_machine_ip_literals_and_configured_names_pass() {
        let allowed = vec!["dev.example".to_string()];
        for good in [
            "localhost",
            "localhost:8200",
            "a.localhost",
            "127.0.0.1:1",
            "10.0.0.2",
            "[::1]:8200",
            "[fe80::1]",
            "dev.example:80",
            "localhost.",
        ] {
            assert!(is_allowed_host(good, &allowed), "{good}");
        }
        for bad in [
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "[::1]evil",
            "[nope]:80",
            "dev.example.evil",
            "",
        ] {
            assert!(!is_allowed_host(bad, &allowed), "{bad}");
        }
    }

    #[test]
    fn slashes_are_trimmed_and_the_query_kept() {
        let request = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
        for (given, expected) in [
            ("/api/users/login/", "/api/users/login"),
            ("//api/users/login", "/api/users/login"),
            ("/x/?a=1", "/x?a=1"),
            ("/", "/"),
            ("/plain", "/plain"),
        ] {
            assert_eq!(trim_slashes(request(given)).uri().to_string(), expected);
        }
    }
}
