//! Durability against a database file and the real binary: `kill -9` during a registration burst
//! loses no acknowledged user; sessions survive a restart; session use is written back on a graceful
//! stop.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use backendless_emulator::ids::token_digest;
use backendless_emulator::store::Store;
use common::{scratch_dir, try_send, Client, Server, APP};
use serde_json::json;

#[test]
fn kill_9_during_a_registration_burst_loses_no_acknowledged_user() {
    let dir = scratch_dir("kill9");
    let db = dir.join("burst.db");
    let db = db.to_str().unwrap().to_string();
    let mut server = Server::start_on(&db, &[]);
    let port = server.port;

    let acknowledged: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            thread::spawn(move || {
                let mut attempts = 0;
                for index in 0.. {
                    if stop.load(Ordering::Relaxed) || index >= 200 {
                        break;
                    }
                    let email = format!("w{writer}-{index}@burst.io");
                    let password = format!("pw-{writer}-{index}");
                    let body = json!({ "email": email, "password": password }).to_string();
                    attempts += 1;
                    // After the kill the connection fails: that request was never acknowledged.
                    let json_header = [("content-type", "application/json")];
                    let Ok(reply) = try_send(
                        port,
                        "POST",
                        &format!("{APP}/users/register"),
                        &json_header,
                        Some(&body),
                    ) else {
                        break;
                    };
                    assert_eq!(reply.status, 200, "{}", reply.body);
                    let id = reply.json()["objectId"].as_str().unwrap().to_string();
                    acknowledged.lock().unwrap().push((email, password, id));
                }
                attempts
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 60 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL while the writers are still sending.
    server.child.kill().unwrap();
    let killed_at_count = acknowledged.lock().unwrap().len();
    stop.store(true, Ordering::Relaxed);
    server.child.wait().unwrap();
    let attempts: usize = writers
        .into_iter()
        .map(|writer| writer.join().unwrap())
        .sum();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 60,
        "only {} registrations acknowledged",
        acknowledged.len()
    );
    assert!(
        attempts > acknowledged.len(),
        "the kill must interrupt requests in flight"
    );
    assert!(acknowledged.len() <= killed_at_count + 8);
    drop(server);

    let restarted = Server::start_on(&db, &[]);
    for (email, password, id) in &acknowledged {
        let user = restarted.login(email, password);
        assert_eq!(user["objectId"], id.as_str(), "{email}");
    }
    drop(restarted);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sessions_and_users_survive_a_restart() {
    let dir = scratch_dir("restart");
    let db = dir.join("restart.db");
    let db = db.to_str().unwrap().to_string();
    let first = Server::start_on(&db, &[]);
    first.register("keep@x.io", "pw");
    let live = first.login("keep@x.io", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    let ended = first.login("keep@x.io", "pw")["user-token"]
        .as_str()
        .unwrap()
        .to_string();
    first.get_with_token(&format!("{APP}/users/logout"), &ended);
    drop(first); // SIGKILL: nothing is flushed on the way out
    let second = Server::start_on(&db, &[]);
    assert!(second.is_valid(&live));
    assert!(!second.is_valid(&ended));
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn session_use_is_written_back_on_a_graceful_stop() {
    // Last-use times are kept in memory and written in batches; a graceful stop writes the last
    // ones, or a session used just before a restart would expire by its login time. The database
    // is read after the stop, so the test need not wait out a timeout to see it.
    let dir = scratch_dir("touch");
    let db = dir.join("touch.db");
    let db = db.to_str().unwrap().to_string();
    let args = ["--port", "0", "--db", &db, "--log-level", "warn"];
    let mut first = Server::start_with_args(&args);
    first.register("touch@x.io", "pw");
    let login = first.login("touch@x.io", "pw");
    let logged_in_at = login["lastLogin"].as_i64().expect("lastLogin");
    let token = common::token_of(&login);
    // The use must fall on a later millisecond than the login to be told apart from it.
    thread::sleep(Duration::from_millis(10));
    assert!(first.is_valid(&token));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &first.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(first.child.wait().unwrap().code(), Some(0));
    let store = Store::open(&db).unwrap();
    let digest = token_digest(&token);
    let session = store
        .open_sessions()
        .unwrap()
        .into_iter()
        .find(|session| session.token_digest == digest)
        .expect("the session is on disk");
    assert!(
        session.last_activity > logged_in_at,
        "the last use before shutdown was lost"
    );
    drop(store);
    let second = Server::start_with_args(&args);
    assert!(second.is_valid(&token));
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_login_is_on_disk_before_its_3003_arrives() {
    // kill -9 right after each 3003: with the failure written after the answer, it was missing in
    // most runs. Five failures over five killed processes must lock the account.
    let dir = scratch_dir("failed-login-durable");
    let db = dir.join("lock.db");
    let db = db.to_str().unwrap().to_string();
    let flags = ["--lockout-threshold", "5", "--lockout-window-secs", "600"];
    {
        let server = Server::start_on(&db, &flags);
        server.register("durable@x.io", "right");
    }
    for round in 0..5 {
        let mut server = Server::start_on(&db, &flags);
        server
            .login_reply("durable@x.io", &format!("guess{round}"))
            .assert_fault(backendless_emulator::protocol::faults::INVALID_LOGIN);
        server.child.kill().unwrap();
        server.child.wait().unwrap();
    }
    let server = Server::start_on(&db, &flags);
    server
        .login_reply("durable@x.io", "right")
        .assert_fault(backendless_emulator::protocol::faults::ACCOUNT_LOCKED);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
