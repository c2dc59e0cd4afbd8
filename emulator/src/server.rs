//! The accept loop: HTTP/1.1 connections served by hyper with the router, bounded in number and in
//! time, and a stop with a deadline.
//!
//! - Headers must arrive within the header timeout (hyper's `header_read_timeout`; it also runs
//!   while a kept-alive connection waits for its next request).
//! - A connection with no request in flight that receives nothing for the idle timeout is closed
//!   (a request it has begun is answered first; one that does not complete within as long again is
//!   cut off).
//! - At most `max_connections` are open (by default the descriptor limit less a reserve for the
//!   database and threads). When full, the oldest connection with no request in flight is closed
//!   to make room; if every one is busy, new connections wait in the backlog.
//! - A handler can ask for its connection to be closed without an answer (the hold switch's drop).
//! - On stop: no more accepts; connections with no request in flight close at once (also one
//!   whose headers are still arriving); requests in flight get up to the grace period to be
//!   answered; then whatever is left is closed and `serve` returns.
//!
//! Hand-written because `axum::serve` has none of these bounds and cannot close a connection
//! without an answer. (The request body's own deadline is `routes::body`'s, which answers 408.)

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Marks a response whose connection must be closed without sending it.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// A response that makes the server close the connection without an answer.
pub fn drop_connection() -> Response {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(DropConnection);
    response
}

/// The error hyper gets for a dropped connection: it closes the connection without writing.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("connection dropped on request")
    }
}

impl std::error::Error for ConnectionDropped {}

/// Bounds of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Time allowed for a request's headers (and for the next request on a kept-alive connection).
    pub header_timeout: Duration,
    /// A connection with no request in flight is closed after this long.
    pub idle_timeout: Duration,
    /// On stop, how long requests in flight get to be answered.
    pub shutdown_grace: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
            max_connections: 1000,
        }
    }
}

/// Descriptors kept free for the database, its journal, blocking threads and the log.
pub const RESERVED_DESCRIPTORS: u64 = 128;

/// Raises this process's soft limit on open files to its hard limit (as servers commonly do) and
/// returns how many connections fit under it with [`RESERVED_DESCRIPTORS`] to spare.
pub fn connection_capacity() -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
        let soft = unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return 1000;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit.rlim_cur = limit.rlim_max;
                }
            }
            limit.rlim_cur
        };
        // rlim_t is u64 on Linux; not everywhere.
        #[allow(clippy::useless_conversion)]
        let soft = u64::try_from(soft).unwrap_or(u64::MAX);
        usize::try_from(soft.saturating_sub(RESERVED_DESCRIPTORS).clamp(16, 100_000))
            .unwrap_or(100_000)
    }
    #[cfg(not(unix))]
    {
        1000
    }
}

/// Milliseconds since the server started (for idle bookkeeping).
fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// What the accept loop knows about one connection.
struct Connection {
    /// Requests whose answer is not finished.
    in_flight: AtomicUsize,
    /// When a request last started or finished (ms since [`Connections::start`]).
    last_activity: AtomicU64,
    /// Asks the connection to close now.
    evict: Notify,
}

/// The open connections, oldest first.
struct Connections {
    start: Instant,
    next_id: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<Connection>>>,
    /// Signalled whenever a connection closes.
    closed: Notify,
}

impl Connections {
    fn register(&self) -> (u64, Arc<Connection>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            in_flight: AtomicUsize::new(0),
            last_activity: AtomicU64::new(elapsed_ms(self.start)),
            evict: Notify::new(),
        });
        self.lock().insert(id, connection.clone());
        (id, connection)
    }

    fn unregister(&self, id: u64) {
        self.lock().remove(&id);
        self.closed.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Connection>>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    /// Asks the oldest connection with no request in flight to close; false if every one is busy.
    fn evict_oldest_idle(&self) -> bool {
        let open = self.lock();
        let oldest = open
            .values()
            .find(|connection| connection.in_flight.load(Ordering::Acquire) == 0);
        match oldest {
            Some(connection) => {
                connection.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves; see the module docs for the bounds.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    let connections = Arc::new(Connections {
        start: Instant::now(),
        next_id: AtomicU64::new(0),
        open: Mutex::new(BTreeMap::new()),
        closed: Notify::new(),
    });
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    let max = options.max_connections.max(1);
    loop {
        // Room first: when full, close the oldest idle connection, or wait for one to close.
        while connections.len() >= max {
            let closed = connections.closed.notified();
            if !connections.evict_oldest_idle() {
                tracing::warn!(
                    open = max,
                    "connection limit reached and every connection is busy; new ones wait"
                );
            }
            tokio::select! {
                () = &mut shutdown => return finish(stop, tasks, options).await,
                () = closed => {}
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let (id, connection) = connections.register();
                    let connections = connections.clone();
                    let app = app.clone();
                    let stopping = stopping.clone();
                    tasks.spawn(async move {
                        serve_connection(stream, peer, app, options, connection, connections.start, stopping).await;
                        connections.unregister(id);
                    });
                }
                // Out of file descriptors, a connection reset before accept: wait a moment, go on.
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    finish(stop, tasks, options).await
}

/// Stops every connection gracefully, waits up to the grace period, then closes the rest.
async fn finish(
    stop: watch::Sender<bool>,
    mut tasks: JoinSet<()>,
    options: ServeOptions,
) -> std::io::Result<()> {
    let _ = stop.send(true);
    let drained = tokio::time::timeout(options.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = tasks.len(),
            "connections still open after the shutdown grace period; closing them"
        );
        tasks.shutdown().await;
    }
    Ok(())
}

/// Resolves once a stop is requested (or the server is gone).
async fn stop_requested(stopping: &mut watch::Receiver<bool>) {
    loop {
        if *stopping.borrow_and_update() {
            return;
        }
        if stopping.changed().await.is_err() {
            return;
        }
    }
}

/// Resolves once the connection has had no request in flight for the idle timeout.
async fn idle_for(connection: &Connection, start: Instant, idle_timeout: Duration) {
    let idle_ms = u64::try_from(idle_timeout.as_millis()).unwrap_or(u64::MAX);
    loop {
        let last = connection.last_activity.load(Ordering::Acquire);
        let due = last.saturating_add(idle_ms);
        let now = elapsed_ms(start);
        if now >= due && connection.in_flight.load(Ordering::Acquire) == 0 {
            return;
        }
        let wait = if now >= due { idle_ms } else { due - now };
        tokio::time::sleep(Duration::from_millis(wait.max(10))).await;
    }
}

/// Counts a request in flight until its answer's body is done (or dropped).
struct InFlight {
    connection: Arc<Connection>,
    start: Instant,
}

impl InFlight {
    fn begin(connection: Arc<Connection>, start: Instant) -> Self {
        connection.in_flight.fetch_add(1, Ordering::AcqRel);
        connection
            .last_activity
            .store(elapsed_ms(start), Ordering::Release);
        Self { connection, start }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.connection
            .last_activity
            .store(elapsed_ms(self.start), Ordering::Release);
        self.connection.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The socket, noting when bytes arrive: a connection receiving bytes is not idle.
struct ActivityStream {
    inner: TcpStream,
    connection: Arc<Connection>,
    start: Instant,
}

impl tokio::io::AsyncRead for ActivityStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buffer.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(context, buffer);
        if buffer.filled().len() > before {
            self.connection
                .last_activity
                .store(elapsed_ms(self.start), Ordering::Release);
        }
        polled
    }
}

impl tokio::io::AsyncWrite for ActivityStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(context, data)
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(context)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(context)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(context, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A response body that keeps its request counted in flight until it is done.
struct TrackedBody {
    inner: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(context)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    options: ServeOptions,
    connection: Arc<Connection>,
    start: Instant,
    mut stopping: watch::Receiver<bool>,
) {
    let tracked = connection.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let app = app.clone();
        let in_flight = InFlight::begin(tracked.clone(), start);
        request.extensions_mut().insert(ConnectInfo(peer));
        async move {
            let response = match app.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(ConnectionDropped);
            }
            Ok(response.map(|inner| TrackedBody {
                inner,
                _in_flight: in_flight,
            }))
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    let stream = ActivityStream {
        inner: stream,
        connection: connection.clone(),
        start,
    };
    let http = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(http);
    tokio::select! {
        result = http.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = connection.evict.notified() => {
            tracing::debug!(%peer, "idle connection closed to make room");
        }
        () = idle_for(&connection, start, options.idle_timeout) => {
            // Closes at once if no request is being read; a request that started meanwhile is
            // answered first. A connection that still does not finish is closed after as long again.
            http.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(options.idle_timeout, http.as_mut()).await;
        }
        () = stop_requested(&mut stopping) => {
            // A request not yet handed to a handler (headers still arriving, or none) loses
            // nothing by closing now; one in flight is answered first (within the grace period).
            if connection.in_flight.load(Ordering::Acquire) > 0 {
                http.as_mut().graceful_shutdown();
                let _ = http.await;
            }
        }
    }
}
