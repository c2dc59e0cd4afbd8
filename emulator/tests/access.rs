//! Who may reach what: the Host header (DNS rebinding), the control token off loopback, the Users
//! table's permissions, and secrets in the request log. In-process, except where the process is
//! the point (binding to every interface).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{App, Client, APP};

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
