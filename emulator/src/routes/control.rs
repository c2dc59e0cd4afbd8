//! `/__emulator/*`: controls for tests and demos. Not part of the Backendless API and never logged.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{json_response, parse_json, Params, SharedState};
use crate::error::ApiError;

/// The control endpoints (nested under `/__emulator`).
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/reset", post(reset))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/users/{object_id}/status", post(set_user_status))
        .route("/sessions/expire", post(expire_sessions))
        .route("/config", get(config).post(update_config))
        .route("/hold", post(start_holding).delete(stop_holding))
        .route("/held", get(held))
        .route("/release/{id}", post(release))
        .route("/roles", get(roles).post(create_role))
        .route("/outbox", get(outbox))
        .route("/confirm/{code}", get(confirm))
        // The provider is same origin only; test pages on this machine mint tokens here.
        .route(
            "/oauth-provider/{provider}/accounts",
            post(super::provider::accounts),
        )
        .fallback(unknown)
        .method_not_allowed_fallback(unknown)
}

async fn unknown(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::unknown_endpoint(method.as_str(), &format!("/__emulator{}", uri.path()))
}

/// Deletes every user, session and failed attempt, the log, the outbox and the local provider's
/// accounts, codes and tokens; the start policy and seed users
/// come back. Whatever was parked by the hold switch is answered first.
async fn reset(State(state): State<SharedState>) -> Result<Response, ApiError> {
    state.hold.stop().processed().await;
    state.auth.reset().await?;
    state.request_log.clear();
    state.provider.clear();
    Ok(json_response(&json!({})))
}

/// The log as a JSON array, oldest first, streamed from the stored entries. `?limit=N`: only the
/// newest N; `?after=SEQ`: only entries after the one the `X-Emulator-Last-Seq` header of an
/// earlier answer named.
async fn requests(State(state): State<SharedState>, uri: axum::http::Uri) -> Response {
    let query = |name: &str| {
        uri.query()?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value.parse::<u64>().ok())
    };
    let page = state.request_log.page(
        query("after"),
        query("limit").map(|limit| usize::try_from(limit).unwrap_or(usize::MAX)),
    );
    let mut response = Response::new(axum::body::Body::new(
        crate::request_log::JsonArrayBody::new(page.texts),
    ));
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    headers.insert("x-emulator-last-seq", page.last_seq.into());
    response
}

async fn clear_requests(State(state): State<SharedState>) -> Response {
    state.request_log.clear();
    json_response(&json!({}))
}

async fn set_user_status(
    State(state): State<SharedState>,
    params: Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let status = match parse_json(&body)? {
        Value::Object(mut fields) => fields.remove("userStatus").unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let user = state
        .auth
        .set_user_status(params.get("object_id"), &status)
        .await?;
    Ok(json_response(&user))
}

/// The custom roles, by name.
async fn roles(State(state): State<SharedState>) -> Result<Response, ApiError> {
    Ok(json_response(&state.auth.custom_roles().await?))
}

/// Creates a custom role: body `{"name": "…"}` (kept if it exists); the custom roles after.
async fn create_role(State(state): State<SharedState>, body: Bytes) -> Result<Response, ApiError> {
    let name = match parse_json(&body)? {
        Value::Object(mut fields) => fields.remove("name").unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let Value::String(name) = name else {
        return Err(ApiError::unparsable_body(
            "the body must be {\"name\": \"ROLE\"}",
        ));
    };
    let roles = state.auth.create_role(&name).await?;
    tracing::info!(role = %name, "custom role created");
    Ok(json_response(&roles))
}

async fn expire_sessions(State(state): State<SharedState>) -> Result<Response, ApiError> {
    state.auth.expire_all_sessions().await?;
    Ok(json_response(&json!({})))
}

async fn config(State(state): State<SharedState>) -> Response {
    json_response(&state.auth.policy().to_json())
}

async fn update_config(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let policy = state.auth.update_policy(parse_json(&body)?)?;
    tracing::info!(?policy, "policy changed");
    Ok(json_response(&policy.to_json()))
}

async fn start_holding(State(state): State<SharedState>) -> StatusCode {
    state.hold.start();
    tracing::info!("holding API requests");
    StatusCode::NO_CONTENT
}

async fn stop_holding(State(state): State<SharedState>) -> StatusCode {
    state.hold.stop().processed().await;
    tracing::info!("no longer holding API requests");
    StatusCode::NO_CONTENT
}

async fn held(State(state): State<SharedState>) -> Response {
    json_response(&state.hold.list())
}

/// Releases a parked request: 204 once it has been processed; `?drop=1` closes its connection
/// without an answer instead.
async fn release(
    State(state): State<SharedState>,
    params: Params,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let drop = uri.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| matches!(pair, "drop=1" | "drop=true" | "drop"))
    });
    let id = params.get("id");
    let pending = id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.hold.release(id, drop))
        .ok_or_else(|| ApiError::no_held_request(id))?;
    pending.processed().await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The confirmation "mail" the server would have sent, oldest first: `[{to, kind, link}]`; the
/// link (this server, as the caller named it) confirms the account once.
async fn outbox(State(state): State<SharedState>, headers: axum::http::HeaderMap) -> Response {
    let host = super::web::request_host(&headers);
    let mails: Vec<Value> = state
        .auth
        .outbox()
        .list()
        .into_iter()
        .map(|mail| {
            json!({
                "to": mail.to,
                "kind": mail.kind,
                "link": format!("http://{host}/__emulator/confirm/{}", mail.code),
            })
        })
        .collect();
    json_response(&mails)
}

/// A confirmation link: the account becomes ENABLED; a page says so. Unknown or used: 404 page.
async fn confirm(State(state): State<SharedState>, params: Params) -> Response {
    use super::web::{error_page, escape_html, html_page};
    match state.auth.confirm_email(params.get("code")).await {
        Ok(Some(user)) => html_page(
            StatusCode::OK,
            "Email confirmed",
            &format!(
                "<p>The email address {} is confirmed; the account can log in.</p>",
                escape_html(user["email"].as_str().unwrap_or_default())
            ),
        ),
        Ok(None) => error_page(
            StatusCode::NOT_FOUND,
            "Unknown link",
            "This confirmation link is unknown or was used already.",
        ),
        Err(crate::auth::AuthError::IdentityTaken) => error_page(
            StatusCode::CONFLICT,
            "Address taken",
            "Another account uses this email address now; the account keeps its old one.",
        ),
        Err(error) => ApiError::from(error).into_response(),
    }
}
