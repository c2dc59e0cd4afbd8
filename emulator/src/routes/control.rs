//! `/__emulator/*`: controls for tests and demos. Not part of the Backendless API and never logged.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{json_response, parse_json, percent_decode, AppState};
use crate::error::ApiError;

/// Dispatches a control request; `rest` is the path after `/__emulator/`.
pub async fn handle(
    state: &AppState,
    method: &Method,
    rest: &[&str],
    query: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    match (method, rest) {
        (&Method::POST, ["hold"]) => {
            state.hold.start();
            tracing::info!("holding API requests");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (&Method::DELETE, ["hold"]) => {
            state.hold.stop().processed().await;
            tracing::info!("no longer holding API requests");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (&Method::GET, ["held"]) => Ok(json_response(&state.hold.list())),
        (&Method::POST, ["release", id]) => {
            let drop = query.is_some_and(|query| {
                query
                    .split('&')
                    .any(|pair| matches!(pair, "drop=1" | "drop=true" | "drop"))
            });
            let pending = id
                .parse::<u64>()
                .ok()
                .and_then(|id| state.hold.release(id, drop))
                .ok_or_else(|| ApiError::no_held_request(id))?;
            pending.processed().await;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (&Method::POST, ["reset"]) => {
            // Whatever was parked is answered first, so the reset comes after it.
            state.hold.stop().processed().await;
            state.auth.reset().await?;
            state.request_log.clear();
            Ok(json_response(&json!({})))
        }
        (&Method::GET, ["requests"]) => Ok(json_response(&state.request_log.snapshot())),
        (&Method::DELETE, ["requests"]) => {
            state.request_log.clear();
            Ok(json_response(&json!({})))
        }
        (&Method::POST, ["users", object_id, "status"]) => {
            let status = match parse_json(body)? {
                Value::Object(mut fields) => fields.remove("userStatus").unwrap_or(Value::Null),
                _ => Value::Null,
            };
            let user = state
                .auth
                .set_user_status(&percent_decode(object_id), &status)
                .await?;
            Ok(json_response(&user))
        }
        (&Method::POST, ["sessions", "expire"]) => {
            state.auth.expire_all_sessions().await?;
            Ok(json_response(&json!({})))
        }
        (&Method::GET, ["config"]) => Ok(json_response(&state.auth.policy())),
        (&Method::POST, ["config"]) => {
            let policy = state.auth.update_policy(parse_json(body)?)?;
            tracing::info!(?policy, "policy changed");
            Ok(json_response(&policy))
        }
        _ => Err(ApiError::unknown_endpoint(
            method.as_str(),
            &format!("/__emulator/{}", rest.join("/")),
        )),
    }
}
