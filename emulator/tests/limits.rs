//! Limits: oversized and malformed framing, memory under big bodies, timeouts, connection bounds, a
//! stop with a deadline. The real binary (its memory, its descriptors, its signals).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use backendless_emulator::protocol::faults;
use common::{raw_request, resident_kib, send_raw, Client, Server, APP};

const SEED_EMAIL: &str = "alice@x.io";
const SEED_PASSWORD: &str = "wonderland";

/// The binary with the seed user, in memory.
fn seeded_server() -> Server {
    Server::start(&["--seed-user", &format!("{SEED_EMAIL}:{SEED_PASSWORD}")])
}

/// The process is still running and still does its job: the seed user logs in.
fn assert_alive_and_well(server: &mut Server) {
    assert!(
        server.child.try_wait().expect("try_wait").is_none(),
        "the server process died"
    );
    let user = server.login(SEED_EMAIL, SEED_PASSWORD);
    assert_eq!(user["email"], SEED_EMAIL);
}

#[test]
fn oversized_and_malformed_framing_is_a_4xx() {
    let mut server = seeded_server();
    let port = server.port;
    // A 60 KiB path is still the handler's to answer.
    let long = format!("{APP}/data/Users/{}", "A".repeat(60 * 1024));
    send_raw(port, &raw_request("GET", long.as_bytes(), &[], b""))
        .unwrap()
        .assert_fault(faults::OBJECT_NOT_FOUND);
    // A 1 MiB path or header: the HTTP layer refuses it with a 4xx (or closes), nothing worse.
    let huge = format!("{APP}/data/Users/{}", "A".repeat(1024 * 1024));
    if let Ok(reply) = send_raw(port, &raw_request("GET", huge.as_bytes(), &[], b"")) {
        assert!((400..500).contains(&reply.status), "{}", reply.status);
    }
    let header = vec![("user-token".to_string(), vec![b'T'; 1024 * 1024])];
    if let Ok(reply) = send_raw(
        port,
        &raw_request(
            "GET",
            format!("{APP}/users/logout").as_bytes(),
            &header,
            b"",
        ),
    ) {
        assert!((400..500).contains(&reply.status), "{}", reply.status);
    }
    // Broken chunked encoding: a malformed body (400), not one over the size limit (413).
    let chunked = format!(
        "POST {APP}/users/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{{}}\r\n0\r\n\r\n"
    );
    if let Ok(reply) = send_raw(port, chunked.as_bytes()) {
        reply.assert_fault(faults::UNPARSABLE_BODY);
        assert!(reply.body.contains("could not be read"), "{}", reply.body);
    }
    // A body shorter than its Content-Length, then the client goes away: the server just moves on.
    {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let head = format!("POST {APP}/users/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{{\"login\":");
        stream.write_all(head.as_bytes()).unwrap();
    }
    assert_alive_and_well(&mut server);
}

/// Big bodies are answered and forgotten: the request log (1,000 entries by default) must not keep each one
/// as a parsed JSON tree, where a 1 MiB `[0,0,…]` takes ~17 MB and 1,000 of them exhaust the machine.
#[cfg(target_os = "linux")]
#[test]
fn big_bodies_do_not_pile_up_in_memory() {
    let mut server = seeded_server();
    let port = server.port;
    let limit = 1024 * 1024;
    let body = format!("[{}0]", "0,".repeat(limit / 2 - 2));
    assert!(body.len() <= limit);
    let send_big = || {
        send_raw(
            port,
            &raw_request(
                "POST",
                b"/api/users/login",
                &[("content-type".into(), b"application/json".to_vec())],
                body.as_bytes(),
            ),
        )
        .expect("an answer")
        .assert_fault(faults::UNPARSABLE_BODY)
    };
    // Warm-up: the hashing work areas and the first big buffers.
    server.login(SEED_EMAIL, SEED_PASSWORD);
    for _ in 0..3 {
        send_big();
    }
    let before = resident_kib(server.pid());
    const BIG: usize = 40;
    for _ in 0..BIG {
        send_big();
    }
    let grown_mib = resident_kib(server.pid()).saturating_sub(before) / 1024;
    println!("{BIG} bodies of 1 MiB ([0,0,…]): resident memory grew by {grown_mib} MiB");
    assert!(
        grown_mib < 150,
        "{BIG} requests of 1 MiB made the server keep {grown_mib} MiB more"
    );
    // They are still in the log, as requests.
    let log = server.get("/__emulator/requests").json();
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["path"], "/api/users/login");
    assert_alive_and_well(&mut server);
}

// ---------------------------------------------------------------------------------------------------------
// Time: header, body and idle timeouts; a stop with a deadline (issue 18, item 2)

/// How long after `opened` the server closes `stream` (reads until EOF, collecting the answer).
fn time_until_closed(
    stream: &mut TcpStream,
    opened: Instant,
    limit: Duration,
) -> (Duration, String) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => answer.extend_from_slice(&buffer[..count]),
            // Reset by the server counts as closed; a read timeout means still open.
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(error) => panic!("still open after {limit:?} ({error}); got {answer:?}"),
        }
    }
    (
        opened.elapsed(),
        String::from_utf8_lossy(&answer).into_owned(),
    )
}

#[test]
fn half_sent_headers_stalled_and_endless_bodies_and_idle_connections_are_closed() {
    let server = Server::start(&[
        "--header-timeout-secs",
        "1",
        "--body-timeout-secs",
        "1",
        "--idle-timeout-secs",
        "1",
    ]);
    let connect = || TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let limit = Duration::from_secs(6);
    let opened = Instant::now();

    // Half-sent headers, then nothing.
    let mut half = connect();
    half.write_all(
        format!("POST {APP}/users/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty").as_bytes(),
    )
    .unwrap();
    // Half-sent headers, trickled a byte at a time (never idle): the header timeout.
    let mut trickle = connect();
    trickle
        .write_all(b"GET /api/info HTTP/1.1\r\nX-Slow: ")
        .unwrap();
    let trickler = {
        let mut stream = trickle.try_clone().unwrap();
        thread::spawn(move || {
            for _ in 0..40 {
                if stream.write_all(b"a").is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // A body that never finishes.
    let mut stalled = connect();
    stalled
        .write_all(
            format!("POST {APP}/users/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{{\"login\":")
                .as_bytes(),
        )
        .unwrap();
    // An endless chunked body, a chunk every 100 ms.
    let mut endless = connect();
    endless
        .write_all(
            format!("POST {APP}/users/register HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    let chunker = {
        let mut stream = endless.try_clone().unwrap();
        thread::spawn(move || {
            for _ in 0..60 {
                if stream.write_all(b"1\r\n \r\n").is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // A kept-alive connection after one answer.
    let mut idle = connect();
    idle.write_all(b"GET /api/users/isvalidusertoken/X HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();

    let (after, answer) = time_until_closed(&mut half, opened, limit);
    assert!(answer.is_empty(), "{answer}");
    println!("half-sent headers closed after {after:?}");
    let (after, answer) = time_until_closed(&mut trickle, opened, limit);
    assert!(!answer.starts_with("HTTP/1.1 2"), "{answer}");
    println!("trickled headers closed after {after:?}");
    for (name, stream) in [
        ("stalled body", &mut stalled),
        ("endless chunked body", &mut endless),
    ] {
        let (after, answer) = time_until_closed(stream, opened, limit);
        assert!(answer.starts_with("HTTP/1.1 408"), "{name}: {answer}");
        assert!(answer.contains("\"code\":0"), "{name}: {answer}");
        assert!(
            answer.contains("access-control-allow-origin: *"),
            "{name}: {answer}"
        );
        println!("{name}: 408 and closed after {after:?}");
    }
    let (after, answer) = time_until_closed(&mut idle, opened, limit);
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("false"),
        "{answer}"
    );
    println!("idle keep-alive connection closed after {after:?}");
    trickler.join().unwrap();
    chunker.join().unwrap();
}

#[test]
fn idle_sockets_beyond_the_open_file_limit_do_not_keep_a_login_out() {
    // The usual 1,024-file limit, 1,100 idle connections, then a normal login: answered at once
    // (the oldest idle connection makes room), not after a timeout. Default timeouts.
    let server = Server::start_with_file_limit(1024, &["--seed-user", "a@x.io:pw"]);
    let mut idle = Vec::new();
    for _ in 0..1100 {
        match TcpStream::connect(("127.0.0.1", server.port)) {
            Ok(stream) => idle.push(stream),
            Err(error) => panic!("connect {}: {error}", idle.len()),
        }
    }
    let started = Instant::now();
    let reply = common::try_send(
        server.port,
        "POST",
        &format!("{APP}/users/login"),
        &[("content-type", "application/json")],
        Some(r#"{"login":"a@x.io","password":"pw"}"#),
    )
    .expect("an answer");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let took = started.elapsed();
    println!("login with 1,100 idle sockets open under a 1,024-file limit: {took:?}");
    assert!(took < Duration::from_secs(3), "the login took {took:?}");
}

#[test]
fn sigterm_with_half_sent_requests_open_exits_within_the_grace_period() {
    // Default grace period (10 s): a half-sent request has not reached a handler, so nothing is
    // lost by closing it at once; a half-sent body has, and gets the grace period.
    let mut server = Server::start(&[]);
    let mut headers_only = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    headers_only
        .write_all(b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
        .unwrap();
    thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "still running after SIGTERM"
        );
        thread::sleep(Duration::from_millis(20));
    };
    println!(
        "stopped {:?} after SIGTERM with half-sent headers open",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(exit.code(), Some(0));

    let mut server = Server::start(&["--shutdown-grace-secs", "1"]);
    let mut half = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    half.write_all(
        format!(
            "POST {APP}/users/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .unwrap();
    thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "still running {:?} after SIGTERM",
            started.elapsed()
        );
        thread::sleep(Duration::from_millis(20));
    };
    println!(
        "stopped {:?} after SIGTERM with a half-sent body open (grace 1 s)",
        started.elapsed()
    );
    assert_eq!(exit.code(), Some(0));
}

// ---------------------------------------------------------------------------------------------------------
// Work in flight (issue 18, item 1)

/// Peak resident memory of a process so far (VmHWM), in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn four_hundred_parallel_one_mib_registrations_stay_bounded_in_memory() {
    const CLIENTS: usize = 400;
    let mut server = seeded_server();
    let port = server.port;
    // ~1 MiB of nested arrays of numbers: the shape that takes ~20x its size as a parsed tree.
    let blob = format!(
        "[{}[0]]",
        "[0,0,0,0,0,0,0,0,0,0,0,0],".repeat(1024 * 1024 / 26 - 4)
    );
    let body = std::sync::Arc::new(format!(
        "{{\"email\":\"big@x.io\",\"password\":\"pw\",\"blob\":{blob}}}"
    ));
    assert!(
        body.len() > 1000 * 1000 && body.len() <= 1024 * 1024,
        "{}",
        body.len()
    );
    server.login(SEED_EMAIL, SEED_PASSWORD);
    let before = peak_kib(server.pid());
    let started = Instant::now();
    let statuses = common::all_at_once(CLIENTS, move |_| {
        common::try_send(
            port,
            "POST",
            &format!("{APP}/users/register"),
            &[("content-type", "application/json")],
            Some(&body),
        )
        .map(|reply| (reply.status, reply.json()["code"].as_u64().unwrap_or(0)))
        .unwrap_or_else(|error| {
            // Status 0: no answer. Said, so that a failure shows why (seen once, on a loaded
            // machine, not reproduced since).
            eprintln!("a registration got no answer: {error}");
            (0, 0)
        })
    });
    let took = started.elapsed();
    let peak_mib = peak_kib(server.pid()).saturating_sub(before) / 1024;
    let mut tally = std::collections::BTreeMap::new();
    for answer in &statuses {
        *tally.entry(*answer).or_insert(0) += 1;
    }
    println!(
        "{CLIENTS} parallel registrations of {} bytes: answers {tally:?} in {took:.1?}; peak resident memory +{peak_mib} MiB",
        1024 * 1024
    );
    for answer in tally.keys() {
        assert!(
            [
                (
                    faults::VALUE_TOO_LONG.status,
                    u64::from(faults::VALUE_TOO_LONG.code)
                ),
                (
                    faults::SERVER_BUSY.status,
                    u64::from(faults::SERVER_BUSY.code)
                ),
            ]
            .contains(answer),
            "unexpected answer {answer:?}: {tally:?}"
        );
    }
    assert!(
        peak_mib < 400,
        "peak resident memory grew by {peak_mib} MiB"
    );
    assert_alive_and_well(&mut server);
}

#[test]
fn three_hundred_parallel_one_mib_oauth_logins_stay_bounded_in_memory() {
    const CLIENTS: usize = 300;
    let mut server = Server::start(&[
        "--seed-user",
        &format!("{SEED_EMAIL}:{SEED_PASSWORD}"),
        "--oauth-provider",
        "github",
    ]);
    let port = server.port;
    let account = server
        .post(
            "/oauth-provider/github/accounts",
            r#"{"email":"octo@x.io","name":"Octo"}"#,
        )
        .json();
    let token = account["access_token"].as_str().expect("access_token");
    // A valid login with ~1 MiB of nested arrays beside the token: the tree it parses into is
    // ~20x its size, and must not be held while the login waits for the database.
    let blob = format!(
        "[{}[0]]",
        "[0,0,0,0,0,0,0,0,0,0,0,0],".repeat(1024 * 1024 / 26 - 8)
    );
    let body = std::sync::Arc::new(format!("{{\"accessToken\":\"{token}\",\"blob\":{blob}}}"));
    assert!(
        body.len() > 1000 * 1000 && body.len() <= 1024 * 1024,
        "{}",
        body.len()
    );
    let before = peak_kib(server.pid());
    let started = Instant::now();
    let statuses = common::all_at_once(CLIENTS, move |_| {
        common::try_send(
            port,
            "POST",
            &format!("{APP}/users/social/github/login"),
            &[("content-type", "application/json")],
            Some(&body),
        )
        .map(|reply| reply.status)
        .unwrap_or_else(|error| {
            // Status 0: no answer. Said, so that a failure shows why (seen once, on a loaded
            // machine, not reproduced since).
            eprintln!("an OAuth login got no answer: {error}");
            0
        })
    });
    let took = started.elapsed();
    let peak_mib = peak_kib(server.pid()).saturating_sub(before) / 1024;
    let mut tally = std::collections::BTreeMap::new();
    for status in &statuses {
        *tally.entry(*status).or_insert(0) += 1;
    }
    println!(
        "{CLIENTS} parallel OAuth logins of ~1 MiB: statuses {tally:?} in {took:.1?}; peak resident memory +{peak_mib} MiB"
    );
    assert!(tally.contains_key(&200), "{tally:?}");
    for status in tally.keys() {
        assert!(
            [200, faults::SERVER_BUSY.status].contains(status),
            "unexpected status {status}: {tally:?}"
        );
    }
    assert!(
        peak_mib < 400,
        "peak resident memory grew by {peak_mib} MiB"
    );
    assert_alive_and_well(&mut server);
}

#[test]
fn a_full_hashing_queue_answers_busy_instead_of_queueing_more() {
    let server = Server::start(&["--max-pending-hashes", "4"]);
    let port = server.port;
    let replies = common::all_at_once(40, move |index| {
        common::post_json(
            port,
            &format!("{APP}/users/register"),
            &serde_json::json!({"email": format!("q{index}@x.io"), "password": "pw"}),
        )
    });
    let mut registered = Vec::new();
    for (index, reply) in replies.iter().enumerate() {
        match reply.status {
            200 => registered.push(index),
            _ => reply.assert_fault(faults::SERVER_BUSY),
        }
    }
    println!(
        "40 parallel registrations, 4 hashes pending at most: {} registered, {} busy",
        registered.len(),
        40 - registered.len()
    );
    assert!(
        registered.len() >= 4 && registered.len() < 40,
        "{registered:?}"
    );
    for index in registered {
        server.login(&format!("q{index}@x.io"), "pw");
    }
}

#[test]
fn large_bodies_in_flight_are_bounded_and_small_requests_still_get_through() {
    let server = seeded_server();
    // 64 clients each announce a 1 MiB body and send only the start of it: the budget of large
    // bodies in flight (64 MiB) is taken.
    let mut slow = Vec::new();
    for _ in 0..64 {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .write_all(
                format!("POST {APP}/users/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1048576\r\n\r\n{{\"email\":")
                    .as_bytes(),
            )
            .unwrap();
        slow.push(stream);
    }
    thread::sleep(Duration::from_millis(300));
    let big = format!(
        "{{\"email\":\"late@x.io\",\"password\":\"pw\",\"pad\":\"{}\"}}",
        " ".repeat(200 * 1024)
    );
    let reply = common::send(
        server.port,
        "POST",
        &format!("{APP}/users/register"),
        &[("content-type", "application/json")],
        Some(&big),
    );
    reply.assert_fault(faults::SERVER_BUSY);
    // Small requests are not held up by big ones.
    server.login(SEED_EMAIL, SEED_PASSWORD);
    // The room comes back once the slow clients are gone.
    drop(slow);
    thread::sleep(Duration::from_millis(300));
    let reply = common::send(
        server.port,
        "POST",
        &format!("{APP}/users/register"),
        &[("content-type", "application/json")],
        Some(&big),
    );
    reply.assert_fault(faults::VALUE_TOO_LONG);
}

#[test]
fn the_request_log_stays_small_under_big_requests_and_parallel_reads() {
    let mut server = seeded_server();
    let port = server.port;
    let before = peak_kib(server.pid());
    // 1,000 requests just under the body cut-off, with a large header each (any web page can send
    // these as text/plain POSTs).
    // A JSON array of numbers: the body the log used to keep as a parsed tree (~17x its size).
    let body = std::sync::Arc::new(format!("[{}0]", "0,".repeat(8 * 1024 - 2)));
    assert!(body.len() < 16 * 1024);
    let header = std::sync::Arc::new("h".repeat(32 * 1024));
    common::all_at_once(8, move |client| {
        for index in 0..125 {
            common::send(
                port,
                "POST",
                &format!("/api/users/register?{client}-{index}"),
                &[("content-type", "text/plain"), ("x-filler", &header)],
                Some(&body),
            );
        }
    });
    let filled = peak_kib(server.pid()).saturating_sub(before) / 1024;
    let reads = common::all_at_once(4, move |_| {
        common::send(port, "GET", "/__emulator/requests", &[], None)
            .body
            .len()
    });
    let read = peak_kib(server.pid()).saturating_sub(before) / 1024;
    println!(
        "request log: 1,000 requests with 16 KiB bodies and 32 KiB headers: peak +{filled} MiB; 4 parallel reads of {} bytes each: peak +{read} MiB",
        reads[0]
    );
    assert!(
        reads.iter().all(|length| *length <= 8 * 1024 * 1024 + 4096),
        "{reads:?}"
    );
    assert!(read < 100, "peak resident memory grew by {read} MiB");
    assert_alive_and_well(&mut server);
}

// ---------------------------------------------------------------------------------------------------------
// Sign-ups (issue 18, item 9)

#[test]
fn sign_ups_are_rate_limited_per_client() {
    let server = common::App::start(&["--signups-per-minute", "5"]);
    let me = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    let other = std::net::SocketAddr::from(([127, 0, 0, 2], 40000));
    let guest = |peer| {
        server.request_from(
            peer,
            "POST",
            &format!("{APP}/users/register/guest"),
            &[],
            None,
        )
    };
    for _ in 0..3 {
        assert_eq!(guest(me).status, 200);
    }
    // Registrations draw on the same allowance.
    for index in 0..2 {
        let reply = server.request_from(
            me,
            "POST",
            &format!("{APP}/users/register"),
            &[("content-type", "application/json")],
            Some(
                &serde_json::json!({"email": format!("r{index}@x.io"), "password": "pw"})
                    .to_string(),
            ),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let refused = guest(me);
    refused.assert_fault(faults::TOO_MANY_REQUESTS);
    assert!(refused.header("retry-after").is_some());
    // Another client is not affected; logins are not counted.
    assert_eq!(guest(other).status, 200);
    server.login("r0@x.io", "pw");
    // Over 4,500 guests a second used to be accepted from one client: now the allowance holds.
    let started = Instant::now();
    let accepted = (0..200).filter(|_| guest(me).status == 200).count();
    assert!(
        accepted <= 1,
        "{accepted} more guests accepted in {:?}",
        started.elapsed()
    );
}

/// A JSON POST as from the client at `peer`, in process.
fn post_from(
    server: &common::App,
    peer: std::net::SocketAddr,
    path: &str,
    body: &str,
) -> common::Reply {
    server.request_from(
        peer,
        "POST",
        path,
        &[("content-type", "application/json")],
        Some(body),
    )
}

#[test]
fn one_client_cannot_fill_the_pending_oauth_sign_ins() {
    // The default allowance: one client used to start 10,000 sign-ins in under 4 s, after which
    // everyone got 503 for the ten minutes the flows live.
    let server = common::App::start(&["--oauth-provider", "github"]);
    let flooder = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    let other = std::net::SocketAddr::from(([127, 0, 0, 2], 40000));
    let path = format!("{APP}/users/oauth/github/request_url");
    let flood = backendless_emulator::provider::MAX_PENDING + 1;
    let mut accepted = 0;
    let started = Instant::now();
    for _ in 0..flood {
        let reply = post_from(&server, flooder, &path, "{}");
        match reply.status {
            200 => accepted += 1,
            _ => {
                reply.assert_fault(faults::TOO_MANY_REQUESTS);
                assert!(reply.header("retry-after").is_some());
            }
        }
    }
    // The allowance, plus one a second for as long as the flood took (a loaded machine is slow).
    let refilled = started.elapsed().as_secs() + 1;
    assert!(
        accepted <= 60 + refilled,
        "{accepted} sign-ins started by one client in {refilled} s"
    );
    let reply = post_from(&server, other, &path, "{}");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply
        .json()
        .as_str()
        .unwrap()
        .contains("/oauth-provider/github/authorize?"));
}

#[test]
fn one_client_cannot_push_confirmation_links_out_of_the_outbox() {
    let server = common::App::start(&["--require-email-confirmation"]);
    let flooder = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    let other = std::net::SocketAddr::from(([127, 0, 0, 2], 40000));
    server.register("victim@x.io", "pw");
    let link = server.get("/__emulator/outbox").json()[0]["link"]
        .as_str()
        .unwrap()
        .to_string();
    server.register("flooder@x.io", "pw");
    // One client used to ask for 1,000 mails in 0.4 s, and the oldest links went.
    let resend = |peer, identity: &str| {
        post_from(
            &server,
            peer,
            &format!("{APP}/users/resendconfirmation/{identity}"),
            "",
        )
    };
    let mut accepted = 0;
    let started = Instant::now();
    for _ in 0..backendless_emulator::auth::outbox::MAX_MAILS + 100 {
        let reply = resend(flooder, "flooder@x.io");
        match reply.status {
            200 => accepted += 1,
            _ => reply.assert_fault(faults::TOO_MANY_REQUESTS),
        }
    }
    // The allowance, plus one every two seconds for as long as the flood took.
    let refilled = started.elapsed().as_secs() / 2 + 1;
    assert!(
        accepted <= 30 + refilled,
        "{accepted} mails sent for one client in {refilled} refills"
    );
    // The victim's link still confirms; another client still gets its mail.
    let path = link.strip_prefix("http://127.0.0.1").unwrap();
    let confirmed = server.get(path);
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(server.login("victim@x.io", "pw")["userStatus"], "ENABLED");
    assert_eq!(resend(other, "flooder@x.io").status, 200);
}

#[test]
fn registering_pending_accounts_from_one_client_pushes_out_only_its_own_links() {
    // The sign-up limit off: one client registers more pending accounts than the outbox holds.
    // Each used to push the oldest link out, other people's first.
    let server = common::App::start(&["--require-email-confirmation", "--signups-per-minute", "0"]);
    let victim = std::net::SocketAddr::from(([127, 0, 0, 2], 40000));
    let flooder = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    let register = |peer, email: &str| {
        let body = serde_json::json!({ "email": email, "password": "pw" }).to_string();
        let reply = post_from(&server, peer, &format!("{APP}/users/register"), &body);
        assert_eq!(reply.status, 200, "{}", reply.body);
    };
    register(victim, "victim@x.io");
    let flood = backendless_emulator::auth::outbox::MAX_MAILS + 10;
    for index in 0..flood {
        register(flooder, &format!("f{index}@x.io"));
    }
    let outbox = server.get("/__emulator/outbox").json();
    let mails = outbox.as_array().unwrap();
    assert_eq!(mails.len(), backendless_emulator::auth::outbox::MAX_MAILS);
    assert_eq!(mails[0]["to"], "victim@x.io");
    assert_eq!(mails[1]["to"], "f11@x.io", "the flooder's own oldest went");
    let link = mails[0]["link"].as_str().unwrap();
    let confirmed = server.get(link.strip_prefix("http://127.0.0.1").unwrap());
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(server.login("victim@x.io", "pw")["userStatus"], "ENABLED");
}

#[test]
fn guests_whose_sessions_ended_or_expired_are_purged() {
    let server = common::App::start(&["--session-timeout-secs", "3600"]);
    let guest = || {
        server
            .request("POST", &format!("{APP}/users/register/guest"), &[], None)
            .json()
    };
    let expired = guest();
    let logged_out = guest();
    let live = guest();
    let member = server.register("member@x.io", "pw");
    server.get_with_token(
        &format!("{APP}/users/logout"),
        logged_out["user-token"].as_str().unwrap(),
    );
    for _ in 0..3 {
        server.advance(Duration::from_secs(1500));
        assert!(server.is_valid(live["user-token"].as_str().unwrap()));
    }
    let purged = server
        .block_on(server.state.auth.purge_guests())
        .expect("purge");
    assert_eq!(purged, 2);
    let exists = |user: &serde_json::Value| {
        server
            .state
            .auth
            .store()
            .user_by_id(user["objectId"].as_str().unwrap())
            .unwrap()
            .is_some()
    };
    assert!(!exists(&expired) && !exists(&logged_out));
    assert!(
        exists(&live) && exists(&member),
        "live guests and members stay"
    );
}
