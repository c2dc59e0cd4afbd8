//! Load benchmark of the local server over loopback.
//!
//! `cargo bench -p backendless-emulator --profile server --bench load [-- --secs N]`
//!
//! Starts the real binary (in-memory store, one seeded user), then for `isvalidusertoken` and `login` at 1 and
//! 64 concurrent keep-alive connections sends requests for a bounded time (default 5 s) and at most a bounded
//! count, and prints req/s and p50/p99 latency as a Markdown table. The client runs on a single thread so the
//! server keeps most of the machine; it stops by itself and kills the server it started.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LOGIN: &str = "bench@example.com";
const PASSWORD: &str = "bench-password";
const MAX_REQUESTS_PER_SCENARIO: usize = 2_000_000;

/// One scenario's outcome.
struct Outcome {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

fn percentile(sorted: &[u32], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

/// Reads one HTTP/1.1 response with a Content-Length body from a keep-alive connection.
async fn read_response(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<(u16, Vec<u8>)> {
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .unwrap_or(0);
            let length: usize = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse().ok())
                .unwrap_or(0);
            let total = end + 4 + length;
            while buffer.len() < total {
                let mut chunk = [0u8; 8192];
                let read = stream.read(&mut chunk).await?;
                if read == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buffer.extend_from_slice(&chunk[..read]);
            }
            let body = buffer[end + 4..total].to_vec();
            buffer.drain(..total);
            return Ok((status, body));
        }
        let mut chunk = [0u8; 8192];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

async fn run_scenario(
    port: u16,
    request: Arc<Vec<u8>>,
    clients: usize,
    limit: Duration,
    max: usize,
) -> Outcome {
    let start = Instant::now();
    let per_client = max / clients;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
                    return (latencies, 1);
                };
                let _ = stream.set_nodelay(true);
                let mut buffer = Vec::with_capacity(16 * 1024);
                while start.elapsed() < limit && latencies.len() < per_client {
                    let sent = Instant::now();
                    if stream.write_all(&request).await.is_err() {
                        errors += 1;
                        break;
                    }
                    match read_response(&mut stream, &mut buffer).await {
                        Ok((200, _)) => {
                            latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32)
                        }
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            break;
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((latencies, task_errors)) = task.await {
            latencies_us.extend(latencies);
            errors += task_errors;
        }
    }
    let elapsed = start.elapsed();
    latencies_us.sort_unstable();
    Outcome {
        requests: latencies_us.len(),
        errors,
        elapsed,
        latencies_us,
    }
}

fn main() {
    let mut seconds = 5u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--secs" {
            seconds = args
                .next()
                .and_then(|value| value.parse().ok())
                .unwrap_or(seconds)
                .clamp(1, 60);
        }
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_backendless-emulator"))
        .args([
            "--port",
            "0",
            "--db",
            ":memory:",
            "--log-level",
            "warn",
            "--seed-user",
        ])
        .arg(format!("{LOGIN}:{PASSWORD}"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start backendless-emulator");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let port: u16 = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("port in listening line");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let login_body = format!(r#"{{"login":"{LOGIN}","password":"{PASSWORD}"}}"#);
        let login_request = Arc::new(
            format!(
                "POST /LOCAL-APP-ID/LOCAL-API-KEY/users/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{login_body}",
                login_body.len()
            )
            .into_bytes(),
        );
        // One login for the token the validity checks use.
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        stream.write_all(&login_request).await.expect("send login");
        let (status, body) = read_response(&mut stream, &mut Vec::new()).await.expect("login answer");
        assert_eq!(status, 200, "login failed: {}", String::from_utf8_lossy(&body));
        let user: serde_json::Value = serde_json::from_slice(&body).expect("login JSON");
        let token = user["user-token"].as_str().expect("user-token").to_string();
        let check_request = Arc::new(
            format!(
                "GET /LOCAL-APP-ID/LOCAL-API-KEY/users/isvalidusertoken/{token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                 user-token: {token}\r\n\r\n"
            )
            .into_bytes(),
        );

        println!("| operation | clients | requests | errors | req/s | p50 ms | p99 ms |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for (name, request) in [("isvalidusertoken", &check_request), ("login", &login_request)] {
            for clients in [1, 64] {
                let outcome =
                    run_scenario(port, request.clone(), clients, Duration::from_secs(seconds), MAX_REQUESTS_PER_SCENARIO)
                        .await;
                println!(
                    "| {name} | {clients} | {} | {} | {:.0} | {:.2} | {:.2} |",
                    outcome.requests,
                    outcome.errors,
                    outcome.requests as f64 / outcome.elapsed.as_secs_f64(),
                    percentile(&outcome.latencies_us, 0.50),
                    percentile(&outcome.latencies_us, 0.99),
                );
            }
        }
    });
    let _ = server.kill();
    let _ = server.wait();
}
