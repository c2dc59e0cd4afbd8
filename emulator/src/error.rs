//! The one error type every handler answers with: a Backendless error code, an HTTP status and a
//! message, rendered as the hosted service renders it: `{"code":N,"message":"…","errorData":{}}`.
//! Codes, statuses and wording come from the protocol module shared with the SDK; the domain's
//! and the provider's errors become faults here, and only here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::AuthError;
use crate::password::PasswordError;
use crate::protocol::{faults, stale_token_message, Fault, STALE_TOKEN_STATUS};
use crate::provider::ProviderError;

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

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> Self {
        Self::new(
            fault.code,
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::BAD_REQUEST),
            fault.message,
        )
    }
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

    /// 0 / 403: a request to the local identity provider from another origin's page.
    pub fn provider_cross_site() -> Self {
        Self::new(
            0,
            StatusCode::FORBIDDEN,
            "The local identity provider (/oauth-provider) accepts only requests from its own pages (same origin)",
        )
    }

    /// 0 / 403: a Host header that names neither this machine nor a configured name.
    pub fn host_not_allowed(host: &str) -> Self {
        Self::new(
            0,
            StatusCode::FORBIDDEN,
            format!(
                "Host '{host}' is not allowed; this server answers localhost, IP addresses and names given with --allowed-host"
            ),
        )
    }

    /// 0 / 403: an OAuth sign-in asked for with a Host header that is not this machine, a
    /// private network or an `--allowed-host` entry (the callback would go there).
    pub fn callback_host_not_local(host: &str) -> Self {
        Self::new(
            0,
            StatusCode::FORBIDDEN,
            format!(
                "Host '{host}' is not this machine or a private network; OAuth sign-ins start only from localhost, private addresses and --allowed-host entries"
            ),
        )
    }

    /// 0 / 401: a control request without the control token in force.
    pub fn control_token_required() -> Self {
        Self::new(
            0,
            StatusCode::UNAUTHORIZED,
            "The /__emulator control endpoints need the control token (header X-Emulator-Token)",
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

    /// 0 / 404: `/__emulator/release/{id}` for a request that is not parked (never was, or was
    /// released already).
    pub fn no_held_request(id: &str) -> Self {
        Self::new(
            0,
            StatusCode::NOT_FOUND,
            format!("No held request with id {id}"),
        )
    }

    /// 2002: the app id or API key in the URL is not this server's.
    pub fn wrong_app_info() -> Self {
        faults::WRONG_APP_INFO.into()
    }

    /// 1000: no object with that id; the message names it, as the service's does.
    pub fn object_not_found(object_id: &str) -> Self {
        Self {
            message: crate::protocol::object_not_found_message(object_id),
            ..faults::OBJECT_NOT_FOUND.into()
        }
    }

    /// 3064: the user-token is unknown, ended or expired. The token is echoed as the hosted service does.
    pub fn stale_token(token: &str) -> Self {
        Self::new(
            crate::protocol::codes::STALE_TOKEN,
            StatusCode::from_u16(STALE_TOKEN_STATUS).unwrap_or(StatusCode::UNAUTHORIZED),
            stale_token_message(token),
        )
    }

    /// 8002 / 400: the body is not the JSON the operation needs. The detail is the emulator's.
    pub fn unparsable_body(detail: &str) -> Self {
        let fault = faults::UNPARSABLE_BODY;
        Self::new(
            fault.code,
            StatusCode::BAD_REQUEST,
            format!("{}: {detail}", fault.message),
        )
    }

    /// 0 / 408: the request body did not arrive within the body timeout.
    pub fn body_timeout(timeout: std::time::Duration) -> Self {
        Self::new(
            0,
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "The request body did not arrive within {} s",
                timeout.as_secs()
            ),
        )
    }

    /// 8002 / 413: the body is larger than the server accepts.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            faults::UNPARSABLE_BODY.code,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body is larger than {limit} bytes"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The service always sends `errorData`, an object of extra details (empty here).
        let body =
            serde_json::json!({ "code": self.code, "message": self.message, "errorData": {} })
                .to_string();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// The domain's refusals as the service answers them: the one place they become faults.
impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::MissingLoginSettings => faults::MISSING_LOGIN_SETTINGS.into(),
            AuthError::LoginsDisabledForApp => faults::LOGINS_DISABLED_FOR_APP.into(),
            AuthError::RegistrationDisabled => faults::REGISTRATION_DISABLED.into(),
            AuthError::InvalidLogin => faults::INVALID_LOGIN.into(),
            AuthError::AccountLocked => faults::ACCOUNT_LOCKED.into(),
            AuthError::LoginDisabledForUser => faults::LOGIN_DISABLED_FOR_USER.into(),
            AuthError::EmailNotConfirmed => faults::EMAIL_NOT_CONFIRMED.into(),
            AuthError::MultipleLoginsDisabled => faults::MULTIPLE_LOGINS_DISABLED.into(),
            AuthError::LoginLimitReached => faults::LOGIN_LIMIT_REACHED.into(),
            AuthError::StaleToken(token) => ApiError::stale_token(&token),
            AuthError::ObjectNotFound(object_id) => ApiError::object_not_found(&object_id),
            AuthError::UnknownIdentity => faults::UNKNOWN_IDENTITY.into(),
            AuthError::UserExists => faults::USER_EXISTS.into(),
            AuthError::MissingPassword => faults::MISSING_PASSWORD.into(),
            AuthError::MissingIdentity => faults::MISSING_IDENTITY.into(),
            AuthError::InvalidEmail => faults::INVALID_EMAIL.into(),
            AuthError::ValueTooLong => faults::VALUE_TOO_LONG.into(),
            AuthError::UnparsableBody(detail) => ApiError::unparsable_body(&detail),
            AuthError::IdentityTaken => faults::IDENTITY_TAKEN.into(),
            AuthError::NotLoggedIn => faults::NOT_LOGGED_IN.into(),
            AuthError::OtherUsersProperties => faults::OTHER_USERS_PROPERTIES.into(),
            AuthError::UnknownUserId => faults::UNKNOWN_USER_ID.into(),
            AuthError::EmailAlreadyConfirmed => faults::EMAIL_ALREADY_CONFIRMED.into(),
            AuthError::ConfirmationNotRequired => faults::CONFIRMATION_NOT_REQUIRED.into(),
            AuthError::ConfirmationUserNotFound => faults::CONFIRMATION_USER_NOT_FOUND.into(),
            AuthError::UnknownOAuthProvider => faults::UNKNOWN_OAUTH_PROVIDER.into(),
            AuthError::InvalidOAuthToken => faults::INVALID_OAUTH_TOKEN.into(),
            AuthError::InvalidGuest => faults::INVALID_GUEST.into(),
            AuthError::AccountNotLinked => faults::ACCOUNT_NOT_LINKED.into(),
            AuthError::MissingParameter => faults::MISSING_PARAMETER.into(),
            AuthError::ObjectIdLoginNotAllowed => faults::OBJECT_ID_LOGIN_NOT_ALLOWED.into(),
            AuthError::PasswordCheckNotAllowed => faults::PASSWORD_CHECK_NOT_ALLOWED.into(),
            AuthError::BlLogicOnly => faults::BL_LOGIC_ONLY.into(),
            AuthError::RoleChangeNotAllowed => faults::ROLE_CHANGE_NOT_ALLOWED.into(),
            AuthError::RoleNotFound => faults::ROLE_NOT_FOUND.into(),
            AuthError::SystemRoleAssign => faults::SYSTEM_ROLE_ASSIGN.into(),
            AuthError::SystemRoleUnassign => faults::SYSTEM_ROLE_UNASSIGN.into(),
            AuthError::OtherUsersRoles => faults::OTHER_USERS_ROLES.into(),
            AuthError::Store(error) => {
                tracing::error!(%error, "store failure");
                ApiError::internal()
            }
            AuthError::ServerBusy | AuthError::Password(PasswordError::Busy) => {
                faults::SERVER_BUSY.into()
            }
            AuthError::Password(error) => {
                tracing::error!(%error, "password hashing failure");
                ApiError::internal()
            }
            AuthError::Randomness(error) => {
                tracing::error!(%error, "no randomness");
                ApiError::internal()
            }
        }
    }
}

/// The local provider's refusals (busy, bad input, no randomness) as the API gives them.
impl From<ProviderError> for ApiError {
    fn from(error: ProviderError) -> Self {
        match error {
            ProviderError::Busy => faults::SERVER_BUSY.into(),
            ProviderError::Invalid(detail) => ApiError::unparsable_body(detail),
            ProviderError::Randomness(error) => {
                tracing::error!(%error, "no randomness");
                ApiError::internal()
            }
        }
    }
}
