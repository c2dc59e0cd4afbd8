//! The refusals a request meets before its handler runs: a Host that is not this machine, a page
//! elsewhere on the control endpoints, a missing control token, a wrong app id or API key, a client
//! over its allowance. Hand-written: no tower-http layer answers these with the service's errors.

use axum::extract::{RawPathParams, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{KeyKind, SharedState};
use crate::error::ApiError;
use crate::ids::constant_time_eq;

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
        if !matches {
            return ApiError::control_token_required().into_response();
        }
    }
    next.run(request).await
}

/// The control endpoints' origin rule: a page elsewhere gets 403 before anything runs (CORS alone
/// would not stop a body-less "simple" POST from resetting the data), and so does an `<img>` or
/// `<script>` of another site (Fetch metadata), which could fill and read the log. A request
/// without `Origin` (curl, Node, test harnesses) is answered with `Access-Control-Allow-Origin: *`,
/// which `CorsLayer` gives no request that it also echoes the origin of.
pub async fn check_control_origin(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    match headers.get(header::ORIGIN).map(HeaderValue::to_str) {
        Some(Ok(origin)) if is_loopback_origin(origin) => next.run(request).await,
        None if !cross_site => {
            let mut response = next.run(request).await;
            let any = HeaderValue::from_static("*");
            response
                .headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, any);
            response
        }
        _ => ApiError::foreign_origin().into_response(),
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

/// `/{appId}/{apiKey}/…` with an app id or API key that is not this server's: 2002, whatever the
/// operation, before the routes (the router's path parameters; `/api/…` names no key). The bare
/// `/{appId}/{apiKey}` is no operation at all (404).
pub async fn check_app_key(
    State(state): State<SharedState>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    mut request: Request,
    next: Next,
) -> Response {
    let kind = match params {
        _ if request.uri().path() == "/" => Some(KeyKind::Normal),
        Ok(params) => key_kind(&state, &params),
        Err(_) => None,
    };
    let Some(kind) = kind else {
        return ApiError::wrong_app_info().into_response();
    };
    request.extensions_mut().insert(kind);
    next.run(request).await
}

/// The key `/{app_id}/{api_key}` names, if it is one of this app's.
fn key_kind(state: &SharedState, params: &RawPathParams) -> Option<KeyKind> {
    let mut values = params.iter().map(|(_, value)| value.as_bytes());
    let (app_id, key) = (values.next()?, values.next()?);
    if app_id != state.app_id.as_bytes() {
        None
    } else if constant_time_eq(key, state.api_key.as_bytes()) {
        Some(KeyKind::Normal)
    } else if constant_time_eq(key, state.cloud_code_api_key.as_bytes()) {
        Some(KeyKind::CloudCode)
    } else {
        None
    }
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
    if let super::ClientIp(Some(client)) = super::ClientIp::of(request.extensions()) {
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
}
