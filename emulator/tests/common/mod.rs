//! Test support, three ways to run the server:
//!
//! - [`App`]: the router in this process, called with `oneshot` (no socket) — for everything about
//!   answers;
//! - [`Local`]: the server in this process on `127.0.0.1:0` — for tests that need real sockets
//!   (framing, fuzzing raw bytes, the hold switch's dropped connections, timing over HTTP);
//! - [`Server`]: the real binary — for processes: signals, `kill -9`, restarts, flags, memory.
//!
//! All three answer [`Client`] requests with the same [`Reply`]. Sockets are plain HTTP/1.1 over
//! std TCP (no client library, so the tests see exactly what is on the wire).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use backendless_emulator::clock::ShiftedClock;
use backendless_emulator::config::Settings;
use backendless_emulator::protocol::{codes, Fault, STALE_TOKEN_STATUS};
use backendless_emulator::routes::SharedState;
use serde_json::Value;
use tower::ServiceExt;

/// Path prefix of the `/{appId}/{apiKey}` URL form with the default credentials.
pub const APP: &str = "/LOCAL-APP-ID/LOCAL-API-KEY";

/// A fresh, empty directory for one test's database files, named after the test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bl-emu-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Settings from flags as on the command line, with `--port 0 --db :memory:` unless given.
fn settings(args: &[&str]) -> Settings {
    let mut argv = vec!["backendless-emulator"];
    if !args.contains(&"--port") {
        argv.extend(["--port", "0"]);
    }
    if !args.contains(&"--db") {
        argv.extend(["--db", ":memory:"]);
    }
    argv.extend_from_slice(args);
    Settings::load(argv).expect("configuration")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// What every way of running the server answers: one request, and the helpers built on it.
pub trait Client: Sync {
    /// One request (`Content-Length` added for a body); the whole answer.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply;

    fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], None)
    }

    fn get_with_token(&self, path: &str, token: &str) -> Reply {
        self.request("GET", path, &[("user-token", token)], None)
    }

    fn post(&self, path: &str, body: &str) -> Reply {
        self.request(
            "POST",
            path,
            &[("content-type", "application/json")],
            Some(body),
        )
    }

    /// Registers `email`/`password`, asserting success; returns the user object.
    fn register(&self, email: &str, password: &str) -> Value {
        let reply = self.post(
            &format!("{APP}/users/register"),
            &serde_json::json!({ "email": email, "password": password }).to_string(),
        );
        assert_eq!(reply.status, 200, "register {email}: {}", reply.body);
        reply.json()
    }

    /// Logs in, asserting success; returns the user object with its token.
    fn login(&self, login: &str, password: &str) -> Value {
        let reply = self.login_reply(login, password);
        assert_eq!(reply.status, 200, "login {login}: {}", reply.body);
        reply.json()
    }

    /// Logs in, asserting success; returns the token.
    fn token(&self, login: &str, password: &str) -> String {
        token_of(&self.login(login, password))
    }

    fn login_reply(&self, login: &str, password: &str) -> Reply {
        self.post(
            &format!("{APP}/users/login"),
            &serde_json::json!({ "login": login, "password": password }).to_string(),
        )
    }

    fn is_valid(&self, token: &str) -> bool {
        let reply = self.get(&format!("{APP}/users/isvalidusertoken/{token}"));
        assert_eq!(reply.status, 200, "{}", reply.body);
        match reply.json() {
            Value::Bool(valid) => valid,
            other => panic!("isvalidusertoken answered {other}"),
        }
    }

    /// The paths in the request log, oldest first.
    fn logged_paths(&self) -> Vec<String> {
        let log = self.get("/__emulator/requests").json();
        log.as_array()
            .expect("the request log is an array")
            .iter()
            .map(|entry| entry["path"].as_str().expect("a path").to_string())
            .collect()
    }
}

/// The `user-token` of a logged-in user object.
pub fn token_of(user: &Value) -> String {
    user["user-token"].as_str().expect("user-token").to_string()
}

/// The router in this process, called without a socket (`oneshot`), on a runtime of its own that
/// any number of test threads can share. Its clock is the system's until [`App::advance`] moves
/// it ahead, so expiries and locks are tested without waiting for them.
pub struct App {
    pub state: SharedState,
    pub clock: Arc<ShiftedClock>,
    router: axum::Router,
    runtime: tokio::runtime::Runtime,
}

impl App {
    /// `:memory:` and these flags.
    pub fn start(args: &[&str]) -> App {
        let settings = settings(args);
        let runtime = runtime();
        let clock = Arc::new(ShiftedClock::default());
        let state = runtime
            .block_on(backendless_emulator::build_state_with_clock(
                &settings,
                clock.clone(),
            ))
            .expect("state");
        let router = backendless_emulator::routes::router(state.clone());
        App {
            state,
            clock,
            router,
            runtime,
        }
    }

    /// Moves the server's clock ahead by `by`.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Runs `future` on the app's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl App {
    /// One request as from the client at `peer`.
    pub fn request_from(
        &self,
        peer: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(Body::from(body.unwrap_or_default().to_string()))
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        let map = request.headers_mut();
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            map.insert("host", "127.0.0.1".parse().unwrap());
        }
        for (name, value) in headers {
            let name = axum::http::HeaderName::from_bytes(name.as_bytes()).expect("header name");
            let value =
                axum::http::HeaderValue::from_bytes(value.as_bytes()).expect("header value");
            map.append(name, value);
        }
        if let Some(body) = body {
            map.insert("content-length", body.len().into());
        }
        request.extensions_mut().insert(ConnectInfo(peer));
        self.runtime.block_on(async {
            let response = match self.router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("response body");
            Reply {
                status,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }
        })
    }
}

impl Client for App {
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let peer = SocketAddr::from(([127, 0, 0, 1], 50000));
        self.request_from(peer, method, path, headers, body)
    }
}

/// The server run inside the test process on its own runtime and thread, on `127.0.0.1:0`, with the
/// flags `args` (`--db` defaults to `:memory:`). Stopped (gracefully) on drop. For tests that need
/// real sockets but not a separate process.
pub struct Local {
    pub port: u16,
    pub state: SharedState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Local {
    pub fn start(args: &[&str]) -> Local {
        let settings = settings(args);
        let runtime = runtime();
        let (state, listener) = runtime.block_on(async {
            let state = backendless_emulator::build_state(&settings)
                .await
                .expect("state");
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .expect("bind");
            (state, listener)
        });
        let port = listener.local_addr().expect("address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = backendless_emulator::routes::router(state.clone());
        let options = settings.serve_options();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let _ = backendless_emulator::server::serve(listener, app, options, async move {
                    let _ = stopped.await;
                })
                .await;
            });
        });
        Local {
            port,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The database `db` (a file path, or `:memory:`) and these flags.
    pub fn start_on(db: &str, extra: &[&str]) -> Local {
        let mut args = vec!["--db", db];
        args.extend_from_slice(extra);
        Local::start(&args)
    }
}

impl Client for Local {
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        send(self.port, method, path, headers, body)
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A running server, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// Starts the binary with an in-memory database and `extra` flags.
    pub fn start(extra: &[&str]) -> Server {
        Server::start_on(":memory:", extra)
    }

    /// Starts the binary on the database `db` (a file path, or `:memory:`) with `extra` flags.
    pub fn start_on(db: &str, extra: &[&str]) -> Server {
        let mut args = vec!["--port", "0", "--db", db, "--log-level", "warn"];
        args.extend_from_slice(extra);
        Server::start_with_args(&args)
    }

    /// Starts the binary with exactly these flags; waits for the listening line.
    pub fn start_with_args(args: &[&str]) -> Server {
        Server::start_with_stderr(args, Stdio::inherit())
    }

    /// Starts the binary under an open-file limit of `limit` (soft and hard, as `ulimit -n` sets
    /// it), with `--port 0 --db :memory:` and `extra` flags.
    pub fn start_with_file_limit(limit: u32, extra: &[&str]) -> Server {
        let mut args = vec![
            "-c".to_string(),
            format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_backendless-emulator").to_string(),
        ];
        for arg in ["--port", "0", "--db", ":memory:", "--log-level", "error"]
            .iter()
            .chain(extra)
        {
            args.push(arg.to_string());
        }
        let child = Command::new("sh")
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn backendless-emulator under sh");
        Server::from_child(child)
    }

    /// Starts the binary with these flags, its stderr (the log) going to `stderr`.
    pub fn start_with_stderr(args: &[&str], stderr: Stdio) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_backendless-emulator"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn backendless-emulator");
        Server::from_child(child)
    }

    /// Waits for the listening line of a started binary.
    fn from_child(mut child: Child) -> Server {
        // The tests' own clients open many sockets at once (1,100 idle ones, 400 parallel
        // requests, other tests beside them): this process's soft open-file limit is raised to the
        // hard one, as the server raises its own, so a bare machine's usual 1,024 is no limit here.
        backendless_emulator::server::connection_capacity();
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read listening line");
        let port = line
            .trim()
            .strip_prefix("listening on http://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("port");
        Server { child, port }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Client for Server {
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        send(self.port, method, path, headers, body)
    }
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body))
    }

    /// Asserts a Backendless error: status, code, JSON content type, CORS header.
    pub fn assert_error(&self, status: u16, code: u64) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.json()["code"], code, "body: {}", self.body);
        assert!(self.json()["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()));
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(self.header("access-control-allow-origin"), Some("*"));
    }

    /// Asserts the Backendless error `fault` of the shared protocol module: its status, code and
    /// message (a message that names something, as 3033's or 8002's do, starts with the fault's).
    pub fn assert_fault(&self, fault: Fault) {
        self.assert_error(fault.status, u64::from(fault.code));
        let message = self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            message.starts_with(fault.message),
            "{message:?} is not {:?}",
            fault.message
        );
    }

    /// Asserts a 3064: the token is not (or no longer) a session.
    pub fn assert_stale_token(&self) {
        self.assert_error(STALE_TOKEN_STATUS, u64::from(codes::STALE_TOKEN));
    }
}

/// Sends one HTTP/1.1 request with `Connection: close` and reads the whole answer; panics on I/O errors.
pub fn send(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    try_send(port, method, path, headers, body)
        .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
}

/// Like [`send`], but a connection failure is an `Err` (for tests that kill the server).
pub fn try_send(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    if let Some(body) = body {
        request.push_str(body);
    }
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    if raw.windows(4).all(|window| window != b"\r\n\r\n") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a full answer",
        ));
    }
    let reply = parse_reply(&raw);
    let declared = reply
        .header("content-length")
        .and_then(|length| length.parse::<usize>().ok());
    if declared.is_some_and(|length| reply.body.len() < length) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "body cut short",
        ));
    }
    Ok(reply)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|window| window == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .expect("chunk size");
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// True if `text` looks like `2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C`.
pub fn is_upper_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|group| group.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && groups.iter().all(|group| {
            group
                .chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
        })
}

/// Sends `request` (raw bytes: request line, headers, body, exactly as given) on a fresh connection and reads
/// whatever answer comes back. `Err` when the connection closes without a full answer head.
pub fn send_raw(port: u16, request: &[u8]) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    // The server may answer (and close) before reading all of a large body: a failed write is not the end.
    let _ = stream.write_all(request);
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => raw.extend_from_slice(&buffer[..count]),
            // A reset after the answer arrived (unread request bytes left behind) still leaves the answer.
            Err(_) if !raw.is_empty() => break,
            Err(error) => return Err(error),
        }
    }
    if raw.windows(4).all(|window| window != b"\r\n\r\n") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a full answer",
        ));
    }
    Ok(parse_reply(&raw))
}

/// `encodeURIComponent`.
pub fn encode_component(text: &str) -> String {
    backendless_emulator::protocol::encode_uri_component(text)
}

/// One HTTP/1.1 request as raw bytes, `Connection: close`, `Content-Length` when there is a body.
pub fn raw_request(
    method: &str,
    target: &[u8],
    headers: &[(String, Vec<u8>)],
    body: &[u8],
) -> Vec<u8> {
    let mut request = Vec::new();
    request.extend_from_slice(method.as_bytes());
    request.push(b' ');
    request.extend_from_slice(target);
    request.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method == "POST" {
        request.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    request
}

/// Runs `work(index)` on `count` threads released together; returns the results in index order.
pub fn all_at_once<T: Send + 'static>(
    count: usize,
    work: impl Fn(usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(count));
    let work = Arc::new(work);
    let handles: Vec<_> = (0..count)
        .map(|index| {
            let (barrier, work) = (barrier.clone(), work.clone());
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    barrier.wait();
                    work(index)
                })
                .expect("spawn")
        })
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().expect("client thread"))
        .collect()
}

/// A JSON POST on a fresh connection.
pub fn post_json(port: u16, path: &str, body: &Value) -> Reply {
    send(
        port,
        "POST",
        path,
        &[("content-type", "application/json")],
        Some(&body.to_string()),
    )
}

/// Resident memory of a process, in KiB.
#[cfg(target_os = "linux")]
pub fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}
