//! Limits: oversized and malformed framing, memory under big bodies. The real binary where memory is
//! measured.

mod common;

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
        "POST {APP}/users/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{{}}\r\n0\r\n\r\n"
    );
    if let Ok(reply) = send_raw(port, chunked.as_bytes()) {
        reply.assert_fault(faults::UNPARSABLE_BODY);
        assert!(reply.body.contains("could not be read"), "{}", reply.body);
    }
    // A body shorter than its Content-Length, then the client goes away: the server just moves on.
    {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let head = format!("POST {APP}/users/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{{\"login\":");
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
