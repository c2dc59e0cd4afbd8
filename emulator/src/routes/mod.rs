//! The HTTP surface: an axum [`Router`] of the Backendless operations, served under both URL forms
//! (`/{appId}/{apiKey}/<op>` and `/api/<op>`), the control endpoints under `/__emulator`, the local
//! identity provider under `/oauth-provider`, and the layers around them ([`router`]): tower-http's
//! where one does the job, the refusals of [`guards`], the hold switch, the body read once
//! ([`body`]) and the request log.
//!
//! Handlers take extractors ([`Params`] for path parameters) and answer `Result<Response, ApiError>`;
//! the domain's [`crate::auth::AuthError`] becomes the service's answer in [`crate::error`].

pub mod body;
pub mod control;
pub mod guards;
pub mod oauth;
pub mod provider;
pub mod users;
pub mod web;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use tower::Layer;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer, Vary};
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::hold::Hold;
use crate::request_log::RequestLog;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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
    /// The CloudCode (Code Runner) API key: requests under it are business logic's ([`KeyKind`]).
    pub cloud_code_api_key: String,
    /// The hold switch (`/__emulator/hold`).
    pub hold: Hold,
    /// Sign-ups per client and minute.
    pub signups: crate::ratelimit::RateLimiter,
    /// OAuth sign-ins started (`request_url`) per client and minute.
    pub oauth_starts: crate::ratelimit::RateLimiter,
    /// Confirmation mails asked for (`resendconfirmation`) per client and minute.
    pub confirmation_mails: crate::ratelimit::RateLimiter,
    /// Host names served besides localhost, `*.localhost` and IP literals (lower case).
    pub allowed_hosts: Vec<String>,
    /// Token the control endpoints require, if any.
    pub control_token: Option<String>,
    /// Time a client has to send a request body (408 after).
    pub body_timeout: std::time::Duration,
    /// Bytes of large request bodies (over [`LARGE_BODY_BYTES`]) that may be in flight at once.
    pub large_bodies: Arc<tokio::sync::Semaphore>,
    /// The local OAuth2 identity provider (`--oauth-provider`).
    pub provider: crate::provider::LocalProvider,
}

/// A body over this size (or of unknown size) counts against [`AppState::large_bodies`].
pub const LARGE_BODY_BYTES: usize = 64 * 1024;
/// Bytes of large bodies in flight at once: 64 MiB (64 bodies of the 1 MiB maximum).
pub const LARGE_BODIES_IN_FLIGHT: usize = 64 * 1024 * 1024;

/// Shared state as the handlers extract it.
pub type SharedState = Arc<AppState>;

/// The whole HTTP surface.
pub fn router(state: SharedState) -> Router {
    // The operations, once; served under both URL forms.
    let limit_signups = from_fn_with_state(state.clone(), guards::limit_signups);
    let limit_oauth_starts = from_fn_with_state(state.clone(), guards::limit_oauth_starts);
    let limit_confirmation_mails =
        from_fn_with_state(state.clone(), guards::limit_confirmation_mails);
    // One debug line per answer, named by the route's template: no token or key from the path.
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let route = request.extensions().get::<MatchedPath>();
            let route = route.map_or("(no route)", MatchedPath::as_str);
            tracing::debug_span!("request", method = %request.method(), route)
        })
        .on_request(())
        .on_eos(())
        .on_failure(());
    let operations = Router::new()
        .route(
            "/users/register",
            post(users::register).layer(limit_signups.clone()),
        )
        .route(
            "/users/register/guest",
            post(users::register_guest).layer(limit_signups),
        )
        .route("/users/login", post(users::login))
        .route(
            "/users/isvalidusertoken/{token}",
            get(users::is_valid_user_token),
        )
        .route("/users/logout", get(users::logout))
        .route(
            "/users/restorepassword/{identity}",
            get(users::restore_password),
        )
        .route("/users/userroles", get(users::user_roles))
        .route("/users/userroles/{user_id}", get(users::user_roles_of))
        .route("/users/role/{role}", get(users::users_by_role))
        .route("/users/assignRole", post(users::assign_role))
        .route("/users/unassignRole", post(users::unassign_role))
        .route("/users/userclassprops", get(users::user_class_props))
        // Sic: the official client's path (`urls.js`, `userVerifyPassowrd`).
        .route("/users/verifypassowrd", post(users::verify_password))
        .route("/users/{object_id}/status", put(users::update_user_status))
        .route(
            "/users/createEmailConfirmationURL/{identity}",
            post(users::create_confirmation_url).layer(limit_confirmation_mails.clone()),
        )
        .route("/users/{object_id}", put(users::update_user))
        .route(
            "/users/resendconfirmation/{identity}",
            post(users::resend_confirmation).layer(limit_confirmation_mails),
        )
        // The official client's loginWithOauth2 path, and the one the REST docs name.
        .route("/users/social/{provider}/login", post(oauth::login))
        // loginWithFacebookSdk / loginWithGooglePlusSdk: an access-token login.
        .route("/users/social/{provider}/sdk/login", post(oauth::login))
        // The popup logins' authorization URL.
        .route(
            "/users/social/oauth/{provider}/request_url",
            post(oauth::popup_request_url).layer(limit_oauth_starts.clone()),
        )
        .route("/users/oauth/{provider}/login", post(oauth::login))
        .route(
            "/users/oauth/{provider}/request_url",
            post(oauth::request_url).layer(limit_oauth_starts),
        )
        .route("/users/oauth/{provider}/callback", get(oauth::callback))
        .route("/data/{table}/{object_id}", get(users::read_user))
        .route("/info", get(users::app_info))
        // A path no operation takes, or takes with another method.
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(unknown_endpoint)
        .layer(trace)
        .with_state(state.clone());
    let read_body = from_fn_with_state(state.clone(), body::read_body);
    // Around the operations, outermost first: the hold switch, the body read, the request log;
    // then, for `/{appId}/{apiKey}/…`, the key check (on the router's `app_id` and `api_key`).
    let keyed = from_fn_with_state(state.clone(), guards::check_app_key).layer(operations.clone());
    let api = Router::new()
        .nest_service("/api", operations)
        .nest_service("/{app_id}/{api_key}", keyed)
        .fallback(unknown_endpoint)
        .layer(from_fn_with_state(
            state.clone(),
            crate::request_log::log_request,
        ))
        .layer(read_body.clone())
        .layer(from_fn_with_state(state.clone(), crate::hold::hold));
    // CORS: preflights answered for any path, every method the API has, whatever headers they ask
    // for; the API open to every origin like the hosted service, the control endpoints to pages
    // on this machine (the origin echoed; others refused by `check_control_origin`).
    let cors = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(std::time::Duration::from_secs(86400));
    let api_cors = cors
        .clone()
        .allow_origin(AllowOrigin::any())
        .vary(Vary::list([]));
    let control_cors = cors
        .allow_origin(AllowOrigin::mirror_request())
        .vary([header::ORIGIN]);
    let control = control::router()
        .layer(read_body.clone())
        .layer(from_fn_with_state(
            state.clone(),
            guards::check_control_token,
        ))
        .with_state(state.clone());
    let control = (from_fn(guards::check_control_origin), control_cors).layer(control);
    // The local identity provider: not the API (no app key, no hold, not logged), no CORS.
    let identity_provider = provider::router()
        .layer(read_body)
        .with_state(state.clone());
    let app = Router::new()
        .nest_service("/__emulator", control)
        .nest_service("/oauth-provider", identity_provider)
        .fallback_service(api_cors.layer(api))
        .layer(from_fn_with_state(state, guards::check_host));
    // Paths are matched with their slashes trimmed, as they always were here.
    Router::new().fallback_service(NormalizePathLayer::trim_trailing_slash().layer(app))
}

/// 0 / 404 for anything no route takes, named by its whole path (slashes trimmed, as routed).
async fn unknown_endpoint(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    let path = format!("/{}", uri.path().trim_matches('/'));
    ApiError::unknown_endpoint(method.as_str(), &path)
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
    parse_json_or_detail(body).map_err(|detail| ApiError::unparsable_body(&detail))
}

/// A body that must be a JSON object, read into `T`: only the fields `T` reads are kept, every
/// other value is checked and skipped while parsing (never built into a tree; a skipped value is
/// checked without recursion, so it may nest deeper than a tree's 128 levels). An empty body or
/// `null` is `T::default()`; other JSON is 8002 `not_object`; JSON that does not parse is 8002 with
/// serde_json's words.
pub fn read_object<T: serde::de::DeserializeOwned + Default>(
    body: &[u8],
    not_object: &str,
) -> Result<T, ApiError> {
    let unparsable = |error: serde_json::Error| ApiError::unparsable_body(&error.to_string());
    match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
        None => Ok(T::default()),
        Some(b'{') => serde_json::from_slice(body).map_err(unparsable),
        Some(_) => match serde_json::from_slice::<Option<serde::de::IgnoredAny>>(body) {
            Ok(None) => Ok(T::default()),
            Ok(Some(_)) => Err(ApiError::unparsable_body(not_object)),
            Err(error) => Err(unparsable(error)),
        },
    }
}

/// [`parse_json`] for the domain: what is wrong, as text.
pub fn parse_json_or_detail(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|error| error.to_string())
}

/// Decodes `%XX` escapes of one path segment (as `encodeURIComponent` makes them); `+` stays `+`;
/// bytes that are not UTF-8 become U+FFFD.
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

/// Which API key the request came with, as [`guards::check_app_key`] found it (the
/// `/api/…` URL form names no key: the app's normal one).
pub use crate::auth::KeyKind;

impl<S: Send + Sync> FromRequestParts<S> for KeyKind {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<KeyKind>()
            .copied()
            .unwrap_or_default())
    }
}

/// The client's IP address, as the accept loop saw it (`None` where no connection is known, as
/// in tests that call the router directly).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl ClientIp {
    /// The address in `extensions`.
    pub fn of(extensions: &axum::http::Extensions) -> Self {
        let info = extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        ClientIp(info.map(|info| info.0.ip()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(&parts.extensions))
    }
}

/// The path parameters of the matched route, percent-decoded leniently: a segment that does not
/// decode to UTF-8 (`%ff`) is still a value (with U+FFFD), so an odd id or token gets the
/// operation's answer (1000, `false`, 3020) rather than a bare 400 — axum's `Path` would refuse it.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// The value of `{name}`, or "" if the route has none.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(template) = parts.extensions.get::<MatchedPath>() else {
            return Ok(Params::default());
        };
        let path = parts.extensions.get::<OriginalUri>().map_or_else(
            || parts.uri.path().to_string(),
            |uri| uri.path().to_string(),
        );
        let values = path.trim_start_matches('/').split('/');
        let names = template.as_str().trim_start_matches('/').split('/');
        Ok(Params(
            names
                .zip(values)
                .filter_map(|(name, value)| {
                    let name = name.strip_prefix('{')?.strip_suffix('}')?;
                    Some((name.to_string(), percent_decode(value)))
                })
                .collect(),
        ))
    }
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
        assert_eq!(percent_decode("%ff"), "\u{FFFD}");
    }
}
