//! The hold switch (`/__emulator/hold`, `held`, `release/{id}`): parked API requests are answered in
//! the order a test releases them; in-process server, real sockets.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use backendless_emulator::hold::MAX_PARKED;
use backendless_emulator::protocol::faults;
use common::{send, try_send, Local, Reply, APP};
use serde_json::{json, Value};

/// The parked requests, as `GET /__emulator/held` lists them.
fn held(server: &Local) -> Vec<Value> {
    let reply = server.get("/__emulator/held");
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json().as_array().expect("an array").clone()
}

/// Waits until `count` requests are parked; returns them.
fn wait_for_held(server: &Local, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = held(server);
        if list.len() >= count {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "only {} parked: {list:?}",
            list.len()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

fn login_in_background(port: u16, login: &str) -> thread::JoinHandle<std::io::Result<Reply>> {
    let body = json!({"login": login, "password": "pw"}).to_string();
    thread::spawn(move || {
        try_send(
            port,
            "POST",
            &format!("{APP}/users/login"),
            &[("content-type", "application/json")],
            Some(&body),
        )
    })
}

#[test]
fn held_requests_are_answered_in_the_order_they_are_released() {
    let server = Local::start(&["--seed-user", "a@x.io:pw", "--seed-user", "b@x.io:pw"]);
    let reply = server.request("POST", "/__emulator/hold", &[], None);
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));

    let first = login_in_background(server.port, "a@x.io");
    wait_for_held(&server, 1);
    let second = login_in_background(server.port, "b@x.io");
    let list = wait_for_held(&server, 2);
    assert_eq!(list[0]["method"], "POST");
    assert_eq!(list[0]["path"], format!("{APP}/users/login"));
    let (first_id, second_id) = (
        list[0]["id"].as_u64().unwrap(),
        list[1]["id"].as_u64().unwrap(),
    );
    assert!(
        first_id < second_id,
        "ids increase in arrival order: {list:?}"
    );
    // Parked means not processed: nothing reached the request log yet.
    assert_eq!(server.get("/__emulator/requests").json(), json!([]));

    // The later one is released first: it is processed now, answered, and the release says so.
    let released = server.request(
        "POST",
        &format!("/__emulator/release/{second_id}"),
        &[],
        None,
    );
    assert_eq!((released.status, released.body.as_str()), (204, ""));
    let second = second.join().unwrap().expect("an answer");
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.json()["email"], "b@x.io");
    assert!(!first.is_finished(), "the first one is still parked");
    assert_eq!(held(&server).len(), 1);

    server.request(
        "POST",
        &format!("/__emulator/release/{first_id}"),
        &[],
        None,
    );
    let first = first.join().unwrap().expect("an answer");
    assert_eq!(first.json()["email"], "a@x.io");
    // Processed in release order: the log has b's login before a's.
    let log = server.get("/__emulator/requests").json();
    let logins: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["body"]["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["b@x.io", "a@x.io"]);

    // Released twice, or never parked: 404 with an error body.
    for id in [first_id.to_string(), "999999".into(), "nope".into()] {
        let reply = server.request("POST", &format!("/__emulator/release/{id}"), &[], None);
        assert_eq!(reply.status, 404, "{}", reply.body);
        assert_eq!(reply.json()["code"], 0);
        assert!(reply.json()["message"].as_str().unwrap().contains(&id));
    }
}

#[test]
fn a_dropped_request_gets_no_answer_and_changes_nothing() {
    let server = Local::start(&[]);
    server.request("POST", "/__emulator/hold", &[], None);
    let port = server.port;
    let register = thread::spawn(move || {
        try_send(
            port,
            "POST",
            &format!("{APP}/users/register"),
            &[("content-type", "application/json")],
            Some(r#"{"email":"gone@x.io","password":"pw"}"#),
        )
    });
    let id = wait_for_held(&server, 1)[0]["id"].as_u64().unwrap();
    let reply = server.request(
        "POST",
        &format!("/__emulator/release/{id}?drop=1"),
        &[],
        None,
    );
    assert_eq!(reply.status, 204, "{}", reply.body);
    let outcome = register.join().unwrap();
    assert!(
        outcome.is_err(),
        "the client sees a network error, got {outcome:?}"
    );
    assert!(held(&server).is_empty());
    // Never processed: the user does not exist and the log is empty.
    server.request("DELETE", "/__emulator/hold", &[], None);
    assert_eq!(server.get("/__emulator/requests").json(), json!([]));
    server
        .post(
            &format!("{APP}/users/login"),
            r#"{"login":"gone@x.io","password":"pw"}"#,
        )
        .assert_fault(faults::INVALID_LOGIN);
}

#[test]
fn only_api_requests_are_held_and_delete_or_reset_release_everything() {
    let server = Local::start(&["--seed-user", "a@x.io:pw"]);
    server.request("POST", "/__emulator/hold", &[], None);
    // Control requests and CORS preflights pass.
    assert_eq!(server.get("/__emulator/config").status, 200);
    assert_eq!(
        server
            .request("OPTIONS", &format!("{APP}/users/login"), &[], None)
            .status,
        204
    );
    let parked: Vec<_> = (0..3)
        .map(|_| login_in_background(server.port, "a@x.io"))
        .collect();
    wait_for_held(&server, 3);
    let reply = server.request("DELETE", "/__emulator/hold", &[], None);
    assert_eq!(reply.status, 204);
    for login in parked {
        assert_eq!(login.join().unwrap().expect("an answer").status, 200);
    }
    // No longer holding: answered at once.
    assert_eq!(
        server.get(&format!("{APP}/users/isvalidusertoken/X")).body,
        "false"
    );

    // Reset also stops holding and answers what was parked (before the data goes).
    server.request("POST", "/__emulator/hold", &[], None);
    let parked = login_in_background(server.port, "a@x.io");
    wait_for_held(&server, 1);
    assert_eq!(server.post("/__emulator/reset", "").status, 200);
    assert_eq!(parked.join().unwrap().expect("an answer").status, 200);
    assert!(held(&server).is_empty());
    assert_eq!(
        server.get(&format!("{APP}/users/isvalidusertoken/X")).body,
        "false"
    );
}

#[test]
fn at_most_256_requests_are_parked_and_the_next_is_busy() {
    let server = Local::start(&[]);
    server.request("POST", "/__emulator/hold", &[], None);
    let request = format!(
        "GET {APP}/users/isvalidusertoken/T HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut streams: Vec<TcpStream> = (0..MAX_PARKED)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            stream
        })
        .collect();
    wait_for_held(&server, MAX_PARKED);
    let busy = send(
        server.port,
        "GET",
        &format!("{APP}/users/isvalidusertoken/T"),
        &[],
        None,
    );
    busy.assert_fault(faults::SERVER_BUSY);
    server.request("DELETE", "/__emulator/hold", &[], None);
    for stream in &mut streams {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("false"), "{answer}");
    }
}

#[test]
fn control_origin_rules_apply_to_the_hold_endpoints() {
    let server = Local::start(&[]);
    for (method, path) in [
        ("POST", "/__emulator/hold"),
        ("GET", "/__emulator/held"),
        ("POST", "/__emulator/release/1"),
        ("DELETE", "/__emulator/hold"),
    ] {
        let reply = server.request(method, path, &[("origin", "https://evil.example")], None);
        assert_eq!(reply.status, 403, "{method} {path}");
    }
    assert_eq!(held(&server), Vec::<Value>::new());
    let local = server.request(
        "POST",
        "/__emulator/hold",
        &[("origin", "http://localhost:5173")],
        None,
    );
    assert_eq!(local.status, 204);
    assert_eq!(
        local.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert!(server.state.hold.is_holding());
}
