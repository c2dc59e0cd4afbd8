//! The control endpoints (`/__emulator/…`): reset, user status, session expiry, run-time policy, the
//! request log, the origin rule, and the hold switch. In-process; the hold switch over real sockets
//! (a dropped request is a closed connection).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use backendless_emulator::hold::MAX_PARKED;
use backendless_emulator::protocol::faults;
use common::{send, try_send, App, Client, Local, Reply, APP};
use serde_json::{json, Value};

#[test]
fn control_reset_recreates_seed_users_and_drops_everything_else() {
    let server = App::start(&["--seed-user", "seed@example.com:pw"]);
    let seed_token = server.login("seed@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    server.register("temp@example.com", "pw");
    let reply = server.post("/__emulator/reset", "");
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    assert!(!server.is_valid(&seed_token));
    server
        .login_reply("temp@example.com", "pw")
        .assert_fault(faults::INVALID_LOGIN);
    server.login("seed@example.com", "pw");
    // The log was emptied by the reset: only the three requests since (isvalidusertoken, two logins).
    let paths = server.logged_paths();
    assert_eq!(
        paths,
        vec![
            format!("{APP}/users/isvalidusertoken/[redacted]"),
            format!("{APP}/users/login"),
            format!("{APP}/users/login")
        ]
    );
}

#[test]
fn control_status_and_session_expiry() {
    let server = App::start(&[]);
    let id = server.register("jo@example.com", "pw")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = server.login("jo@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = server.post("/__emulator/sessions/expire", "");
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    assert!(!server.is_valid(&token));

    let token = server.login("jo@example.com", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = server.post(
        &format!("/__emulator/users/{id}/status"),
        r#"{"userStatus":"DISABLED"}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["userStatus"], "DISABLED");
    assert_eq!(reply.json()["objectId"], id.as_str());
    assert!(
        !server.is_valid(&token),
        "disabling ends the user's sessions"
    );
    server
        .login_reply("jo@example.com", "pw")
        .assert_fault(faults::LOGIN_DISABLED_FOR_USER);
    // A wrong password still says 3003, so 3000 does not confirm the account to a guesser.
    server
        .login_reply("jo@example.com", "bad")
        .assert_fault(faults::INVALID_LOGIN);
    server.post(
        &format!("/__emulator/users/{id}/status"),
        r#"{"userStatus":"ENABLED"}"#,
    );
    server.login("jo@example.com", "pw");
    server
        .post(
            "/__emulator/users/NOPE/status",
            r#"{"userStatus":"ENABLED"}"#,
        )
        .assert_fault(faults::OBJECT_NOT_FOUND);
    server
        .post(
            &format!("/__emulator/users/{id}/status"),
            r#"{"userStatus":"WEIRD"}"#,
        )
        .assert_fault(faults::UNPARSABLE_BODY);
}

#[test]
fn policy_changes_at_run_time_and_reset_restores_it() {
    let server = App::start(&["--seed-user", "rt@x.io:pw"]);
    let reply = server.get("/__emulator/config");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({
            "sessionTimeoutSecs": 3600, "lockoutThreshold": 0, "lockoutWindowSecs": 900,
            "lockoutDurationSecs": 900, "allowMultipleLogins": true, "maxConcurrentLogins": 0,
            "loginsDisabled": false, "registrationDisabled": false,
            "loginSettingsMissing": false, "maxPropertyLength": 500,
            "maxUserBytes": 16384, "usersReadableBy": "owner", "requireEmailConfirmation": false
        })
    );
    let reply = server.post("/__emulator/config", r#"{"loginsDisabled":true}"#);
    assert_eq!(reply.json()["loginsDisabled"], true);
    assert_eq!(reply.json()["lockoutWindowSecs"], 900);
    server
        .login_reply("rt@x.io", "pw")
        .assert_fault(faults::LOGINS_DISABLED_FOR_APP);
    server
        .post("/__emulator/config", r#"{"noSuchKnob":1}"#)
        .assert_fault(faults::UNPARSABLE_BODY);
    server
        .post("/__emulator/config", r#"{"lockoutThreshold":"three"}"#)
        .assert_fault(faults::UNPARSABLE_BODY);
    server.post("/__emulator/reset", "");
    server.login("rt@x.io", "pw");
}

#[test]
fn request_log_redacts_password_and_tokens_and_attributes_them() {
    let server = App::start(&[]);
    let user_id = server.register("hal@example.com", "hunter2")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    let token = server.login("hal@example.com", "hunter2")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    server.get_with_token(&format!("{APP}/users/isvalidusertoken/{token}"), &token);
    server.request("OPTIONS", &format!("{APP}/users/login"), &[], None);
    server.get("/__emulator/requests");

    let reply = server.get("/__emulator/requests");
    assert_eq!(reply.status, 200);
    assert!(!reply.body.contains("hunter2"), "{}", reply.body);
    assert!(!reply.body.contains(&token), "{}", reply.body);
    let log = reply.json();
    let entries = log.as_array().unwrap();
    assert_eq!(
        entries.len(),
        3,
        "OPTIONS and control requests are not logged: {log:#}"
    );
    assert_eq!(entries[0]["method"], "POST");
    assert_eq!(entries[0]["path"], format!("{APP}/users/register"));
    assert_eq!(
        entries[0]["body"],
        json!({"email":"hal@example.com","password":"[redacted]"})
    );
    assert_eq!(entries[0]["headers"]["content-type"], "application/json");
    assert_eq!(entries[0]["tokenUserId"], Value::Null);
    assert_eq!(
        entries[1]["body"],
        json!({"login":"hal@example.com","password":"[redacted]"})
    );
    assert_eq!(entries[2]["method"], "GET");
    assert_eq!(
        entries[2]["path"],
        format!("{APP}/users/isvalidusertoken/[redacted]")
    );
    assert_eq!(entries[2]["headers"]["user-token"], "[redacted]");
    assert_eq!(entries[2]["body"], Value::Null);
    assert_eq!(entries[2]["tokenUserId"], user_id.as_str());
    assert_eq!(entries[2]["pathTokenUserId"], user_id.as_str());

    // Malformed URLs (no app prefix, wrong key) keep their token out of the log too.
    server.request("DELETE", "/__emulator/requests", &[], None);
    server.get(&format!("/users/isvalidusertoken/{token}"));
    server.get(&format!("/APP/WRONG/users/isvalidusertoken/{token}"));
    let reply = server.get("/__emulator/requests");
    assert!(!reply.body.contains(&token), "{}", reply.body);
    let paths: Vec<Value> = reply
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["path"].clone())
        .collect();
    assert_eq!(
        paths,
        vec![
            json!("/users/isvalidusertoken/[redacted]"),
            json!("/APP/WRONG/users/isvalidusertoken/[redacted]")
        ]
    );
    assert_eq!(reply.json()[0]["pathTokenUserId"], user_id.as_str());

    assert_eq!(
        server
            .request("DELETE", "/__emulator/requests", &[], None)
            .json(),
        json!({})
    );
    assert_eq!(server.get("/__emulator/requests").json(), json!([]));
}

#[test]
fn request_log_keeps_only_the_configured_number() {
    let server = App::start(&["--request-log-size", "3"]);
    for index in 0..5 {
        server.get(&format!("{APP}/users/isvalidusertoken/T{index}"));
    }
    server.get(&format!("{APP}/data/Users/X"));
    let paths = server.logged_paths();
    assert_eq!(
        paths,
        vec![
            format!("{APP}/users/isvalidusertoken/[redacted]"),
            format!("{APP}/users/isvalidusertoken/[redacted]"),
            format!("{APP}/data/Users/X")
        ]
    );
}

#[test]
fn control_endpoints_refuse_pages_from_other_origins() {
    let server = App::start(&["--seed-user", "alice@yourmail.com:wonderland"]);
    // A website open in the developer's browser must not reset the data: refused before it runs,
    // even for a body-less POST that CORS alone would let through.
    for origin in [
        "https://evil.example",
        "http://127.0.0.1.evil.example",
        "null",
    ] {
        let reply = server.request("POST", "/__emulator/reset", &[("origin", origin)], None);
        assert_eq!(reply.status, 403, "{origin}: {}", reply.body);
        assert_eq!(
            reply.header("access-control-allow-origin"),
            None,
            "{origin}"
        );
        let preflight = server.request(
            "OPTIONS",
            "/__emulator/requests",
            &[
                ("origin", origin),
                ("access-control-request-method", "DELETE"),
            ],
            None,
        );
        assert_eq!(preflight.status, 403, "{origin}");
    }
    server.login("alice@yourmail.com", "wonderland");
    let log = server.request(
        "GET",
        "/__emulator/requests",
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!(
        log.status, 403,
        "the request log is not readable from elsewhere"
    );

    // Pages on this machine (the browser tests, the demo) and clients without an Origin work.
    let reply = server.request(
        "GET",
        "/__emulator/requests",
        &[("origin", "http://127.0.0.1:41234")],
        None,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://127.0.0.1:41234")
    );
    assert_eq!(reply.header("vary"), Some("origin"));
    assert_eq!(server.get("/__emulator/requests").status, 200);
    // The Backendless API itself stays open to every origin, like the hosted service.
    let api = server.request(
        "GET",
        &format!("{APP}/users/isvalidusertoken/X"),
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!(api.status, 200);
    assert_eq!(api.header("access-control-allow-origin"), Some("*"));
}

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
        200
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

// ---------------------------------------------------------------------------------------------------------
// The request log under load (issue 18, item 3)

#[test]
fn the_request_log_is_capped_by_bytes_and_pages() {
    let server = App::start(&["--request-log-bytes", "1048576"]);
    // Bodies just under the 16 KiB cut-off and a large header: ~24 KiB an entry.
    let body = format!("\"{}\"", "b".repeat(16 * 1024 - 3));
    let header = "h".repeat(8 * 1024);
    for index in 0..200 {
        let reply = server.request(
            "POST",
            &format!("{APP}/users/isvalidusertoken/T{index}"),
            &[("content-type", "text/plain"), ("x-big", &header)],
            Some(&body),
        );
        assert!(reply.status < 500);
    }
    let all = server.get("/__emulator/requests");
    assert_eq!(all.status, 200);
    assert!(
        all.body.len() <= 1024 * 1024 + 1024,
        "the log kept {} bytes under a 1 MiB cap",
        all.body.len()
    );
    let entries = all.json().as_array().unwrap().clone();
    assert!(entries.len() >= 10, "{} entries", entries.len());
    assert_eq!(
        entries.last().unwrap()["method"],
        "POST",
        "the newest is kept"
    );
    // A header that long is not kept whole.
    let logged = entries.last().unwrap()["headers"]["x-big"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(logged.len() < 200, "{logged}");
    // Paging: the newest N, or those after a sequence number the previous page named.
    let page = server.get("/__emulator/requests?limit=2");
    assert_eq!(page.json().as_array().unwrap().len(), 2);
    assert_eq!(page.json()[1], *entries.last().unwrap());
    let last: u64 = page
        .header("x-emulator-last-seq")
        .expect("the page names its last entry")
        .parse()
        .unwrap();
    assert_eq!(
        server
            .get(&format!("/__emulator/requests?after={last}"))
            .json(),
        json!([])
    );
    server.get(&format!("{APP}/users/isvalidusertoken/NEW"));
    let newer = server
        .get(&format!("/__emulator/requests?after={last}"))
        .json();
    assert_eq!(newer.as_array().unwrap().len(), 1);
    assert_eq!(
        newer[0]["path"],
        format!("{APP}/users/isvalidusertoken/[redacted]")
    );
}

#[test]
fn an_image_or_script_from_another_site_cannot_read_the_control_endpoints() {
    let server = App::start(&[]);
    // `<img src="http://127.0.0.1:8200/__emulator/requests">` on another site: no Origin header,
    // but browsers say where it comes from.
    let site = "cross-site";
    {
        let reply = server.request(
            "GET",
            "/__emulator/requests",
            &[
                ("sec-fetch-site", site),
                ("sec-fetch-mode", "no-cors"),
                ("sec-fetch-dest", "image"),
            ],
            None,
        );
        assert_eq!(reply.status, 403, "{site}: {}", reply.body);
        let reply = server.request(
            "POST",
            "/__emulator/reset",
            &[("sec-fetch-site", site), ("sec-fetch-mode", "navigate")],
            None,
        );
        assert_eq!(reply.status, 403, "{site}: {}", reply.body);
    }
    // The page's own origin, a page on this machine, a tool without Fetch metadata: allowed.
    for headers in [
        vec![("sec-fetch-site", "same-origin")],
        vec![("sec-fetch-site", "same-site")],
        vec![("sec-fetch-site", "none")],
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://localhost:8080"),
        ],
        vec![],
    ] {
        let reply = server.request("GET", "/__emulator/requests", &headers, None);
        assert_eq!(reply.status, 200, "{headers:?}: {}", reply.body);
    }
}
