//! The one error type every handler answers with: a Backendless error code, an HTTP status and a message,
//! rendered as `{"code":N,"message":"…"}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error as the Backendless API reports it on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({status}): {message}")]
pub struct ApiError {
    /// Backendless error code (`0` for emulator-only conditions such as an unknown endpoint).
    pub code: u32,
    /// HTTP status of the response.
    pub status: StatusCode,
    /// Human-readable message, sent as is.
    pub message: String,
}

impl ApiError {
    /// Builds an error from its three parts.
    pub fn new(code: u32, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
        }
    }

    /// 0 / 500: something failed inside the emulator (database, OS randomness). Details go to the log only.
    pub fn internal() -> Self {
        Self::new(
            0,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error in the local server; see its log",
        )
    }

    /// 0 / 403: a control endpoint called from a page that is not on this machine.
    pub fn foreign_origin() -> Self {
        Self::new(
            0,
            StatusCode::FORBIDDEN,
            "The /__emulator control endpoints accept only pages served from 127.0.0.1, localhost or [::1]",
        )
    }

    /// 0 / 404: no such endpoint.
    pub fn unknown_endpoint(method: &str, path: &str) -> Self {
        Self::new(
            0,
            StatusCode::NOT_FOUND,
            format!("No endpoint for {method} {path}"),
        )
    }

    /// 1000 / 404: no object with that id.
    pub fn object_not_found(object_id: &str) -> Self {
        Self::new(
            1000,
            StatusCode::NOT_FOUND,
            format!("Entity with ID {object_id} not found"),
        )
    }

    /// 2002 / 401: the app id or API key in the URL is not this server's.
    pub fn wrong_app_info() -> Self {
        Self::new(
            2002,
            StatusCode::UNAUTHORIZED,
            "Version is disabled or provided wrong application info (application id or secret key)",
        )
    }

    /// 3000 / 403: the account's userStatus forbids logging in.
    pub fn login_disabled_for_user() -> Self {
        Self::new(
            3000,
            StatusCode::FORBIDDEN,
            "Login has been disabled for the user account.",
        )
    }

    /// 3001 / 400: the app has no login settings (simulated by configuration).
    pub fn missing_login_settings() -> Self {
        Self::new(
            3001,
            StatusCode::BAD_REQUEST,
            "Missing login settings, possibly invalid application id or version.",
        )
    }

    /// 3002 / 403: multiple logins are disabled and the account already has a live session.
    pub fn multiple_logins_disabled() -> Self {
        Self::new(
            3002,
            StatusCode::FORBIDDEN,
            "User cannot login because Multiple Logins disabled and there is a logged in user for the account.",
        )
    }

    /// 3003 / 401: unknown identity or wrong password; deliberately one message for both.
    pub fn invalid_credentials() -> Self {
        Self::new(3003, StatusCode::UNAUTHORIZED, "Invalid login or password.")
    }

    /// 3006 / 400: login or password is an empty string.
    pub fn empty_credentials() -> Self {
        Self::new(
            3006,
            StatusCode::BAD_REQUEST,
            "Either login or password is an empty string value.",
        )
    }

    /// 3011 / 400: register without a usable password.
    pub fn missing_password() -> Self {
        Self::new(
            3011,
            StatusCode::BAD_REQUEST,
            "Property 'password' is required.",
        )
    }

    /// 3013 / 400: register without a usable identity (`email`).
    pub fn missing_identity() -> Self {
        Self::new(
            3013,
            StatusCode::BAD_REQUEST,
            "Identity property 'email' is required and must be a non-empty string.",
        )
    }

    /// 3020 / 404: password recovery for an identity nobody has.
    pub fn unknown_identity() -> Self {
        Self::new(
            3020,
            StatusCode::NOT_FOUND,
            "Unable to find user with the specified login.",
        )
    }

    /// 3033 / 409: register with an identity that is taken.
    pub fn user_exists(identity: &str) -> Self {
        Self::new(
            3033,
            StatusCode::CONFLICT,
            format!("User already exists: {identity}"),
        )
    }

    /// 3034 / 403: logins are disabled for the whole app (simulated by configuration).
    pub fn logins_disabled_for_app() -> Self {
        Self::new(
            3034,
            StatusCode::FORBIDDEN,
            "User logins are disabled for the version of the application.",
        )
    }

    /// 3036 / 403: too many failed logins; the account is locked for a while.
    pub fn account_locked() -> Self {
        Self::new(
            3036,
            StatusCode::FORBIDDEN,
            "Account locked out due to too many failed logins.",
        )
    }

    /// 3038 / 400: login or password missing or null.
    pub fn missing_parameter() -> Self {
        Self::new(
            3038,
            StatusCode::BAD_REQUEST,
            "One of the required parameters (application id, version, login or password) is null.",
        )
    }

    /// 3044 / 403: the account already has as many live sessions as allowed.
    pub fn login_limit_reached() -> Self {
        Self::new(
            3044,
            StatusCode::FORBIDDEN,
            "Multiple login limit for the same user account has been reached.",
        )
    }

    /// 3064 / 401: the user-token is unknown, ended or expired. The token is echoed as the hosted service does.
    pub fn stale_token(token: &str) -> Self {
        Self::new(
            3064,
            StatusCode::UNAUTHORIZED,
            format!("Not existing user token - {token}. Relogin user to update your user token"),
        )
    }

    /// 3087 / 403: the account still waits for its email confirmation.
    pub fn email_not_confirmed() -> Self {
        Self::new(3087, StatusCode::FORBIDDEN, "User has not confirmed email.")
    }

    /// 8000 / 400: a property value is longer than the configured limit.
    pub fn value_too_long(property: &str, limit: usize) -> Self {
        Self::new(
            8000,
            StatusCode::BAD_REQUEST,
            format!("Property value exceeds the length limit: '{property}' is longer than {limit} characters."),
        )
    }

    /// 8002 / 400: the body is not the JSON the operation needs.
    pub fn unparsable_body(detail: &str) -> Self {
        Self::new(
            8002,
            StatusCode::BAD_REQUEST,
            format!("Could not parse request: {detail}"),
        )
    }

    /// 8002 / 413: the body is larger than the server accepts.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            8002,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body is larger than {limit} bytes."),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "message": self.message }).to_string();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}
