//! Handlers for `data/Users/*`.

use axum::response::Response;

use super::{json_response, AppState};
use crate::error::ApiError;

/// `GET data/Users/{objectId}`: the user without password or token; a sent `user-token` must be live.
pub async fn user(
    state: &AppState,
    object_id: &str,
    token: Option<&str>,
) -> Result<Response, ApiError> {
    let user = state.auth.read_user(object_id, token).await?;
    Ok(json_response(&user))
}
