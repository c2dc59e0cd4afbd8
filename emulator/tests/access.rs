//! Who may reach what: the Host header (DNS rebinding), the control token off loopback, the Users
//! table's permissions, and secrets in the request log. In-process, except where the process is
//! the point (binding to every interface).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{App, Client, APP};
use serde_json::json;

#[test]
fn only_loopback_ip_literal_and_configured_host_names_are_served() {
    let server = App::start(&["--seed-user", "a@x.io:pw"]);
    // A DNS-rebinding page: its own name in Host, this server's address underneath.
    for host in [
        "evil.example",
        "evil.example:8200",
        "127.0.0.1.nip.example",
        "localhost.evil.example",
    ] {
        for path in [
            "/__emulator/requests".to_string(),
            "/__emulator/config".to_string(),
            format!("{APP}/users/isvalidusertoken/X"),
        ] {
            let reply = server.request("GET", &path, &[("host", host)], None);
            assert_eq!(reply.status, 403, "{host} {path}: {}", reply.body);
            assert_eq!(reply.json()["code"], 0);
            assert!(reply.body.contains("--allowed-host"), "{}", reply.body);
        }
        let reply = server.request("POST", "/__emulator/reset", &[("host", host)], None);
        assert_eq!(reply.status, 403, "{host}");
    }
    for host in [
        "localhost",
        "localhost:8200",
        "LOCALHOST:8200",
        "app.localhost:5173",
        "127.0.0.1:8200",
        "[::1]:8200",
        "192.168.1.5:8200",
    ] {
        let reply = server.request("GET", "/__emulator/config", &[("host", host)], None);
        assert_eq!(reply.status, 200, "{host}: {}", reply.body);
    }
    server.login("a@x.io", "pw");
    // Names of one's own (a LAN name, a tunnel) are configured.
    let server = App::start(&["--allowed-host", "dev.example", "--allowed-host", "Box.Lan"]);
    for host in ["dev.example", "dev.example:8200", "box.lan:8200"] {
        let reply = server.request("GET", "/__emulator/config", &[("host", host)], None);
        assert_eq!(reply.status, 200, "{host}: {}", reply.body);
    }
    let reply = server.request(
        "GET",
        "/__emulator/config",
        &[("host", "other.example")],
        None,
    );
    assert_eq!(reply.status, 403);
}

/// Starts the binary bound to every interface; returns it with its port and its stderr so far.
fn start_on_every_interface(extra: &[&str]) -> (std::process::Child, u16, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backendless-emulator"))
        .args(["--host", "0.0.0.0", "--port", "0", "--db", ":memory:"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on http://0.0.0.0:")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    // The warning is written before the listening line: whatever stderr holds within a moment.
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut warning = String::new();
    while let Ok(line) = receiver.recv_timeout(std::time::Duration::from_millis(500)) {
        warning.push_str(&line);
        warning.push('\n');
    }
    (child, port, warning)
}

#[test]
fn bound_to_every_interface_it_warns_and_the_control_endpoints_need_the_token() {
    let (mut child, port, warning) = start_on_every_interface(&[]);
    assert!(warning.contains("0.0.0.0"), "{warning}");
    let token = warning
        .lines()
        .find_map(|line| line.split("X-Emulator-Token: ").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("no generated token in {warning:?}"));
    assert!(token.len() >= 32, "{token}");
    let without = common::send(port, "GET", "/__emulator/requests", &[], None);
    assert_eq!(without.status, 401, "{}", without.body);
    assert_eq!(without.json()["code"], 0);
    let wrong = common::send(
        port,
        "POST",
        "/__emulator/reset",
        &[("x-emulator-token", "nope")],
        None,
    );
    assert_eq!(wrong.status, 401);
    let with = common::send(
        port,
        "GET",
        "/__emulator/requests",
        &[("x-emulator-token", &token)],
        None,
    );
    assert_eq!(with.status, 200, "{}", with.body);
    // The Backendless API itself needs no token (as the hosted service).
    let api = common::send(
        port,
        "GET",
        &format!("{APP}/users/isvalidusertoken/X"),
        &[],
        None,
    );
    assert_eq!(api.body, "false");
    let _ = child.kill();
    let _ = child.wait();

    // A token of one's own, also on loopback.
    let server = App::start(&["--control-token", "s3cret-control-token"]);
    assert_eq!(server.get("/__emulator/config").status, 401);
    let reply = server.request(
        "GET",
        "/__emulator/config",
        &[("authorization", "Bearer s3cret-control-token")],
        None,
    );
    assert_eq!(reply.status, 200);
}

// ---------------------------------------------------------------------------------------------------------
// The Users table and secrets (issue 18, item 10)

#[test]
fn a_user_is_readable_with_its_own_token_only_by_default() {
    use backendless_emulator::protocol::faults;
    let server = App::start(&[]);
    let alice = server.register("alice@x.io", "pw")["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    server.register("bob@x.io", "pw");
    let alice_token = common::token_of(&server.login("alice@x.io", "pw"));
    let bob_token = common::token_of(&server.login("bob@x.io", "pw"));
    let path = format!("{APP}/data/Users/{alice}");
    let own = server.get_with_token(&path, &alice_token);
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.json()["email"], "alice@x.io");
    // No token, or another user's: as if there were no such user (nothing confirms it exists).
    server.get(&path).assert_fault(faults::OBJECT_NOT_FOUND);
    server
        .get_with_token(&path, &bob_token)
        .assert_fault(faults::OBJECT_NOT_FOUND);
    server
        .get_with_token(&path, "2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C")
        .assert_stale_token();
    // The hosted service's out-of-the-box permissions (every role may find) are one setting away.
    let reply = server.post("/__emulator/config", r#"{"usersReadableBy":"anyone"}"#);
    assert_eq!(reply.json()["usersReadableBy"], "anyone");
    assert_eq!(server.get(&path).status, 200);
    assert_eq!(server.get_with_token(&path, &bob_token).status, 200);
    server
        .post("/__emulator/config", r#"{"usersReadableBy":"everyone"}"#)
        .assert_fault(faults::UNPARSABLE_BODY);
}

#[test]
fn secret_looking_fields_never_reach_the_request_log() {
    let server = App::start(&[]);
    let secrets = [
        "Hunter-Password-1",
        "Pwd-Secret-2",
        "Confirm-Secret-3",
        "Api-Key-4",
        "Client-Secret-5",
        "Nested-Token-6",
    ];
    let body = json!({
        "email": "sec@x.io", "password": "pw",
        "Password": secrets[0], "pwd": secrets[1], "passwordConfirm": secrets[2],
        "settings": { "apiKey": secrets[3], "client_secret": secrets[4], "list": [{ "auth_token": secrets[5] }] },
        "nickname": "kept"
    });
    let reply = server.post(&format!("{APP}/users/register"), &body.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    // Stored and returned to the user itself, as any property.
    assert_eq!(reply.json()["pwd"], secrets[1]);
    let log = server.get("/__emulator/requests");
    for secret in secrets {
        assert!(
            !log.body.contains(secret),
            "{secret} is in the log: {}",
            log.body
        );
    }
    let entry = &log.json()[0]["body"];
    assert_eq!(entry["Password"], "[redacted]");
    assert_eq!(entry["settings"]["list"][0]["auth_token"], "[redacted]");
    assert_eq!(entry["nickname"], "kept");
    assert_eq!(entry["email"], "sec@x.io");
}
