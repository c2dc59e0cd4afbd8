//! Handlers of the Backendless operations: decode the request, call [`crate::auth::Auth`], encode
//! the answer.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{json_response, parse_json, user_token, Params, SharedState};
use crate::auth::Credentials;
use crate::error::ApiError;

/// `POST users/register`. The app's switch (3009) comes before the body's checks.
pub async fn register(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    state.auth.check_registration_open()?;
    // Too long to pass the property limits whatever it holds: refused before it is parsed.
    if body.len() > state.auth.max_register_body() {
        return Err(crate::protocol::faults::VALUE_TOO_LONG.into());
    }
    let user = state
        .auth
        .register(parse_json(&body)?, user_token(&headers))
        .await?;
    Ok(json_response(&user))
}

/// `GET users/userroles`: the session's roles as a JSON array of names.
pub async fn user_roles(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let roles = state.auth.user_roles(user_token(&headers)).await?;
    Ok(json_response(&roles))
}

/// `PUT users/{objectId}`: the updated user (no password, no token).
pub async fn update_user(
    State(state): State<SharedState>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // The body is judged only after the token and ownership checks (3028, 3064, 3030, 3029).
    let body = if body.len() > state.auth.max_register_body() {
        Err(crate::auth::AuthError::ValueTooLong)
    } else {
        super::parse_json_or_detail(&body).map_err(crate::auth::AuthError::UnparsableBody)
    };
    let user = state
        .auth
        .update_user(params.get("object_id"), user_token(&headers), body)
        .await?;
    Ok(json_response(&user))
}

/// `POST users/resendconfirmation/{identity}`: 200 with an empty body.
pub async fn resend_confirmation(
    State(state): State<SharedState>,
    params: Params,
) -> Result<Response, ApiError> {
    state
        .auth
        .resend_confirmation(params.get("identity"))
        .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST users/register/guest` (the body, if any, is ignored).
pub async fn register_guest(State(state): State<SharedState>) -> Result<Response, ApiError> {
    let user = state.auth.register_guest().await?;
    Ok(json_response(&user))
}

/// `POST users/login` with `{"login":L,"password":P}`. The app's switches (3001, 3034) come
/// before the body's checks: 3038 missing or null, 8002 not strings, 3006 empty.
pub async fn login(State(state): State<SharedState>, body: Bytes) -> Result<Response, ApiError> {
    state.auth.check_logins_open()?;
    let credentials = credentials(&body)?;
    let user = state.auth.login(credentials).await?;
    Ok(json_response(&user))
}

/// The login request's body as [`Credentials`].
fn credentials(body: &[u8]) -> Result<Credentials, ApiError> {
    use crate::protocol::faults;
    let (login, password) = match parse_json(body)? {
        Value::Object(mut fields) => (fields.remove("login"), fields.remove("password")),
        Value::Null => (None, None),
        _ => {
            return Err(ApiError::unparsable_body(
                "the login request must be a JSON object",
            ))
        }
    };
    let (login, password) = match (login, password) {
        (None | Some(Value::Null), _) | (_, None | Some(Value::Null)) => {
            return Err(faults::MISSING_PARAMETER.into())
        }
        (Some(Value::String(login)), Some(Value::String(password))) => (login, password),
        _ => {
            return Err(ApiError::unparsable_body(
                "login and password must be strings",
            ))
        }
    };
    if login.is_empty() || password.is_empty() {
        return Err(faults::EMPTY_LOGIN_OR_PASSWORD.into());
    }
    Ok(Credentials { login, password })
}

/// `GET users/isvalidusertoken/{token}`: `true` or `false`, always 200.
pub async fn is_valid_user_token(State(state): State<SharedState>, params: Params) -> Response {
    json_response(&state.auth.is_valid_token(params.get("token")))
}

/// `GET users/logout`: 200 with an empty body.
pub async fn logout(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.auth.logout(user_token(&headers)).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET users/restorepassword/{identity}`: 200 with an empty body.
pub async fn restore_password(
    State(state): State<SharedState>,
    params: Params,
) -> Result<Response, ApiError> {
    state.auth.restore_password(params.get("identity")).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET data/Users/{objectId}` (the table name compared without case, as the service does); a
/// sent `user-token` must be live.
pub async fn read_user(
    State(state): State<SharedState>,
    params: Params,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !params.get("table").eq_ignore_ascii_case("Users") {
        return Err(ApiError::unknown_endpoint(method.as_str(), uri.path()));
    }
    let user = state
        .auth
        .read_user(params.get("object_id"), user_token(&headers))
        .await?;
    Ok(json_response(&user))
}

/// `GET info`, which the official client asks for after `initApp`.
pub async fn app_info(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    json_response(&json!({
        "loggers": [],
        "rtURL": format!("http://{host}"),
        "appId": state.app_id,
        "apiKey": state.api_key,
    }))
}
