//! The hold switch behind `/__emulator/hold`: while it is on, every API request is parked before it
//! is processed, until a test releases it (processed then, and answered normally), drops it (its
//! connection is closed without an answer) or 60 s pass. Tests use it to make answers arrive in an
//! order they choose.
//!
//! Bounded: at most [`MAX_PARKED`] requests wait at once (more are refused as busy), and each waits
//! at most [`AUTO_RELEASE`]. A parked request whose client goes away leaves the list by itself.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{self, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::request_log::logged_path;

/// Most requests parked at once; one more is answered 503.
pub const MAX_PARKED: usize = 256;
/// A parked request is released by itself after this long.
pub const AUTO_RELEASE: Duration = Duration::from_secs(60);

/// A parked request as `GET /__emulator/held` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldRequest {
    /// Unique, increasing in arrival order.
    pub id: u64,
    /// HTTP method.
    pub method: String,
    /// URL path as the request log shows it (a token in the path redacted).
    pub path: String,
}

/// What a parked request is told to do.
#[derive(Debug)]
enum Release {
    /// Be processed now; `done` fires once it has been.
    Process(oneshot::Sender<()>),
    /// Close the connection without an answer.
    Drop,
}

struct Parked {
    request: HeldRequest,
    release: oneshot::Sender<Release>,
}

#[derive(Default)]
struct State {
    holding: bool,
    next_id: u64,
    parked: BTreeMap<u64, Parked>,
}

/// The switch and the requests parked behind it.
#[derive(Default)]
pub struct Hold {
    state: Mutex<State>,
}

/// Whether a request may go on.
pub enum Admission<'a> {
    /// Not holding: process it.
    Proceed,
    /// Parked: wait on the ticket.
    Parked(Ticket<'a>),
    /// Holding, and [`MAX_PARKED`] requests already wait.
    Full,
}

/// What a parked request does once let go.
pub enum Outcome {
    /// Be processed, then call [`Processed::done`].
    Process(Processed),
    /// Close the connection without an answer.
    Drop,
}

/// Tells the releaser that the released request has been processed (also when dropped unused).
pub struct Processed(Option<oneshot::Sender<()>>);

impl Processed {
    /// The request has been processed.
    pub fn done(mut self) {
        if let Some(sender) = self.0.take() {
            let _ = sender.send(());
        }
    }
}

/// A parked request's place in the list; leaving (dropping it) takes it off the list.
pub struct Ticket<'a> {
    hold: &'a Hold,
    id: u64,
    receiver: Option<oneshot::Receiver<Release>>,
}

impl Ticket<'_> {
    /// Waits until the request is released, dropped, or [`AUTO_RELEASE`] passes.
    pub async fn wait(mut self) -> Outcome {
        let Some(receiver) = self.receiver.take() else {
            return Outcome::Process(Processed(None));
        };
        match tokio::time::timeout(AUTO_RELEASE, receiver).await {
            Ok(Ok(Release::Process(done))) => Outcome::Process(Processed(Some(done))),
            Ok(Ok(Release::Drop)) => Outcome::Drop,
            // Timed out (the entry is removed on drop), or the switch itself went away.
            Ok(Err(_)) | Err(_) => {
                tracing::debug!(id = self.id, "held request released automatically");
                Outcome::Process(Processed(None))
            }
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.hold.lock().parked.remove(&self.id);
    }
}

/// Waits for released requests to be processed.
pub struct Pending(Vec<oneshot::Receiver<()>>);

impl Pending {
    /// Resolves once each released request has been processed (or has gone away).
    pub async fn processed(self) {
        for receiver in self.0 {
            let _ = receiver.await;
        }
    }
}

impl Hold {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts parking API requests.
    pub fn start(&self) {
        self.lock().holding = true;
    }

    /// Stops parking and releases everything parked (processed normally).
    pub fn stop(&self) -> Pending {
        let mut state = self.lock();
        state.holding = false;
        let parked = std::mem::take(&mut state.parked);
        drop(state);
        Pending(
            parked
                .into_values()
                .filter_map(|parked| Self::send_process(parked.release))
                .collect(),
        )
    }

    /// Whether requests are being parked.
    pub fn is_holding(&self) -> bool {
        self.lock().holding
    }

    /// The parked requests, in arrival order.
    pub fn list(&self) -> Vec<HeldRequest> {
        self.lock()
            .parked
            .values()
            .map(|parked| parked.request.clone())
            .collect()
    }

    /// Parks a request while holding.
    pub fn admit(&self, method: &str, path: String) -> Admission<'_> {
        let mut state = self.lock();
        if !state.holding {
            return Admission::Proceed;
        }
        if state.parked.len() >= MAX_PARKED {
            return Admission::Full;
        }
        state.next_id += 1;
        let id = state.next_id;
        let (release, receiver) = oneshot::channel();
        state.parked.insert(
            id,
            Parked {
                request: HeldRequest {
                    id,
                    method: method.to_string(),
                    path,
                },
                release,
            },
        );
        Admission::Parked(Ticket {
            hold: self,
            id,
            receiver: Some(receiver),
        })
    }

    /// Releases request `id`: processed normally, or with `drop` its connection closed without an
    /// answer. `None` when no such request is parked.
    pub fn release(&self, id: u64, drop: bool) -> Option<Pending> {
        let parked = self.lock().parked.remove(&id)?;
        if drop {
            let _ = parked.release.send(Release::Drop);
            return Some(Pending(Vec::new()));
        }
        Some(Pending(
            Self::send_process(parked.release).into_iter().collect(),
        ))
    }

    fn send_process(release: oneshot::Sender<Release>) -> Option<oneshot::Receiver<()>> {
        let (done, processed) = oneshot::channel();
        release.send(Release::Process(done)).ok()?;
        Some(processed)
    }
}

/// The hold switch as the API's outermost layer (no library layer parks requests for a test to
/// release): while on, a request is parked here, before anything about it is done.
pub async fn hold(
    extract::State(state): extract::State<crate::routes::SharedState>,
    request: Request,
    next: Next,
) -> Response {
    if !state.hold.is_holding() {
        return next.run(request).await;
    }
    let path = logged_path(request.uri().path(), &state.cloud_code_api_key).0;
    match state.hold.admit(request.method().as_str(), path) {
        Admission::Proceed => next.run(request).await,
        Admission::Full => ApiError::from(crate::protocol::faults::SERVER_BUSY).into_response(),
        Admission::Parked(ticket) => match ticket.wait().await {
            Outcome::Drop => crate::server::drop_connection(),
            Outcome::Process(processed) => {
                let response = next.run(request).await;
                processed.done();
                response
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parks_only_while_holding_and_lists_in_arrival_order() {
        let hold = Hold::default();
        assert!(matches!(hold.admit("GET", "/a".into()), Admission::Proceed));
        hold.start();
        let Admission::Parked(first) = hold.admit("POST", "/x".into()) else {
            panic!("not parked")
        };
        let Admission::Parked(second) = hold.admit("GET", "/y".into()) else {
            panic!("not parked")
        };
        let listed = hold.list();
        assert_eq!(listed.len(), 2);
        assert!(listed[0].id < listed[1].id);
        assert_eq!(
            (listed[0].method.as_str(), listed[0].path.as_str()),
            ("POST", "/x")
        );
        let second_id = listed[1].id;
        // The client of the second goes away: it leaves the list.
        drop(second);
        assert_eq!(hold.list().len(), 1);
        assert!(hold.release(second_id, false).is_none());
        let id = listed[0].id;
        let waiter = async {
            match first.wait().await {
                Outcome::Process(processed) => processed.done(),
                Outcome::Drop => panic!("dropped"),
            }
        };
        let releaser = async { hold.release(id, false).expect("parked").processed().await };
        tokio::join!(waiter, releaser);
        assert!(hold.list().is_empty());
    }

    #[tokio::test]
    async fn is_bounded() {
        let hold = Hold::default();
        hold.start();
        let tickets: Vec<_> = (0..MAX_PARKED)
            .map(|index| match hold.admit("GET", format!("/{index}")) {
                Admission::Parked(ticket) => ticket,
                _ => panic!("refused early"),
            })
            .collect();
        assert!(matches!(
            hold.admit("GET", "/one-more".into()),
            Admission::Full
        ));
        drop(tickets);
        assert!(matches!(
            hold.admit("GET", "/again".into()),
            Admission::Parked(_)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_parked_request_is_released_by_itself_after_sixty_seconds() {
        let hold = Hold::default();
        hold.start();
        let Admission::Parked(ticket) = hold.admit("GET", "/slow".into()) else {
            panic!("not parked")
        };
        let started = tokio::time::Instant::now();
        assert!(matches!(ticket.wait().await, Outcome::Process(_)));
        assert_eq!(started.elapsed(), AUTO_RELEASE);
        assert!(hold.list().is_empty(), "it left the list");
        assert!(hold.is_holding(), "the switch stays on");
    }
}
