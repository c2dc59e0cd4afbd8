//! The request body, read once, whole, before the handler, so that handlers and the request log
//! share it. Its deadline is tower-http's `DeadlineBody` (what `RequestBodyDeadlineLayer` puts on, here
//! after the hold switch); the size limit is `http_body_util::Limited` (through
//! `axum::body::to_bytes`). Not `RequestBodyLimitLayer`: it refuses a declared length at once,
//! unread, so a client still sending gets a reset instead of the 413.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;
use tower_http::timeout::{DeadlineBody, TimeoutError};

use super::{SharedState, LARGE_BODY_BYTES, MAX_BODY_BYTES};
use crate::error::ApiError;

/// The request body, read once by [`read_body`], for the request log.
#[derive(Clone)]
pub struct BodyBytes(pub Bytes);

/// Reads the whole body (at most [`MAX_BODY_BYTES`], within the body deadline) so that handlers and
/// the log share it: 413 over the limit, 408 (and the connection closed) when it does not arrive in
/// time, 400 when it cannot be read (broken chunked framing, a client gone mid-body).
pub async fn read_body(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let request = request.map(|body| Body::new(DeadlineBody::new(state.body_timeout, body)));
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
    let _room = if reserve > LARGE_BODY_BYTES {
        let permits = u32::try_from(reserve).unwrap_or(u32::MAX);
        match state.large_bodies.clone().try_acquire_many_owned(permits) {
            Ok(room) => Some(room),
            Err(_) => {
                tracing::debug!(reserve, "large bodies in flight at their bound: busy");
                // Read and discard the body first (a chunk at a time, within the deadline), so
                // the client, still sending, gets the answer instead of a reset connection.
                discard(request.into_body()).await;
                return ApiError::from(crate::protocol::faults::SERVER_BUSY).into_response();
            }
        }
    } else {
        None
    };
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) if caused_by::<LengthLimitError>(&error) => {
            return ApiError::body_too_large(MAX_BODY_BYTES).into_response()
        }
        Err(error) if caused_by::<TimeoutError>(&error) => {
            let mut response = ApiError::body_timeout(state.body_timeout).into_response();
            let close = HeaderValue::from_static("close");
            response.headers_mut().insert(header::CONNECTION, close);
            return response;
        }
        Err(_) => {
            return ApiError::unparsable_body("the request body could not be read").into_response()
        }
    };
    let mut request = Request::from_parts(parts, Body::from(bytes.clone()));
    request.extensions_mut().insert(BodyBytes(bytes));
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

/// Whether reading the body failed because of a `T` (over the limit, past the deadline), not
/// because it is malformed.
fn caused_by<T: std::error::Error + 'static>(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<T>() {
            return true;
        }
        source = current.source();
    }
    false
}
