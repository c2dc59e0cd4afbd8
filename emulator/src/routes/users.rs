//! Handlers for `users/*` and `info`: decode the request, call [`crate::auth::Auth`], encode the answer.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{json_response, parse_json, AppState};
use crate::error::ApiError;

/// `POST users/register`.
pub async fn register(state: &AppState, body: &[u8]) -> Result<Response, ApiError> {
    let user = state.auth.register(parse_json(body)?).await?;
    Ok(json_response(&user))
}

/// `POST users/register/guest` (the body, if any, is ignored).
pub async fn register_guest(state: &AppState) -> Result<Response, ApiError> {
    let user = state.auth.register_guest().await?;
    Ok(json_response(&user))
}

/// `POST users/login` with `{"login":L,"password":P}`.
pub async fn login(state: &AppState, body: &[u8]) -> Result<Response, ApiError> {
    let (login, password) = match parse_json(body)? {
        Value::Object(mut fields) => (fields.remove("login"), fields.remove("password")),
        Value::Null => (None, None),
        _ => {
            return Err(ApiError::unparsable_body(
                "the login request must be a JSON object",
            ))
        }
    };
    let user = state.auth.login(login, password).await?;
    Ok(json_response(&user))
}

/// `GET users/isvalidusertoken/{token}`: `true` or `false`, always 200.
pub fn is_valid_user_token(state: &AppState, token: &str) -> Response {
    json_response(&state.auth.is_valid_token(token))
}

/// `GET users/logout`: 200 with an empty body.
pub async fn logout(state: &AppState, token: Option<&str>) -> Result<Response, ApiError> {
    state.auth.logout(token).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET users/restorepassword/{identity}`: 200 with an empty body.
pub async fn restore_password(state: &AppState, identity: &str) -> Result<Response, ApiError> {
    state.auth.restore_password(identity).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET info`, which the official client asks for after `initApp`.
pub fn app_info(state: &AppState, headers: &HeaderMap) -> Response {
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
