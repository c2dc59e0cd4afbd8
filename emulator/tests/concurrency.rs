//! Concurrency: parallel clients lose, duplicate and mix up nothing; limits hold under parallel logins;
//! 10,000 logins give 10,000 distinct random tokens. In-process server over real sockets, on database
//! files where the test reads the tables afterwards.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use backendless_emulator::protocol::faults;
use common::{all_at_once, is_upper_uuid, post_json, scratch_dir, send, App, Client, Local, APP};
use serde_json::json;

#[test]
fn login_limit_holds_under_parallel_logins() {
    let server = App::start(&["--max-concurrent-logins", "3"]);
    server.register("par@x.io", "pw");
    let statuses: Vec<u16> = thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| server.login_reply("par@x.io", "pw").status))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == faults::LOGIN_LIMIT_REACHED.status)
            .count(),
        5,
        "{statuses:?}"
    );
}

#[test]
fn parallel_writers_never_see_database_is_locked() {
    let dir = scratch_dir("parallel");
    let db = dir.join("parallel.db");
    let server = Local::start_on(db.to_str().unwrap(), &[]);
    let port = server.port;
    server.register("shared@x.io", "pw");
    let workers: Vec<_> = (0..16)
        .map(|worker| {
            thread::spawn(move || {
                let mut statuses = Vec::new();
                for index in 0..4 {
                    let body =
                        json!({ "email": format!("p{worker}-{index}@x.io"), "password": "pw" })
                            .to_string();
                    let json_header = [("content-type", "application/json")];
                    statuses.push(
                        send(
                            port,
                            "POST",
                            &format!("{APP}/users/register"),
                            &json_header,
                            Some(&body),
                        )
                        .status,
                    );
                    let login = send(
                        port,
                        "POST",
                        &format!("{APP}/users/login"),
                        &json_header,
                        Some(r#"{"login":"shared@x.io","password":"pw"}"#),
                    );
                    statuses.push(login.status);
                    let token = login.json()["user-token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    let logout = send(
                        port,
                        "GET",
                        &format!("{APP}/users/logout"),
                        &[("user-token", &token)],
                        None,
                    );
                    statuses.push(logout.status);
                }
                statuses
            })
        })
        .collect();
    let statuses: Vec<u16> = workers
        .into_iter()
        .flat_map(|worker| worker.join().unwrap())
        .collect();
    assert_eq!(statuses.len(), 16 * 4 * 3);
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_hundred_concurrent_registrations_and_logins_lose_and_duplicate_nothing() {
    const CLIENTS: usize = 200;
    let dir = scratch_dir("concurrent");
    let db = dir.join("concurrent.db");
    let db = db.to_str().unwrap().to_string();
    let server = Local::start_on(&db, &[]);
    let port = server.port;
    let started = Instant::now();

    let registrations = all_at_once(CLIENTS, move |index| {
        post_json(
            port,
            &format!("{APP}/users/register"),
            &json!({"email": format!("c{index}@many.io"), "password": format!("pw-{index}")}),
        )
    });
    let registered_in = started.elapsed();
    let mut ids = Vec::new();
    for (index, reply) in registrations.iter().enumerate() {
        assert_eq!(reply.status, 200, "registration {index}: {}", reply.body);
        assert_eq!(reply.json()["email"], format!("c{index}@many.io"));
        ids.push(reply.json()["objectId"].as_str().unwrap().to_string());
    }
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        CLIENTS,
        "objectIds are distinct"
    );

    let started = Instant::now();
    let logins = all_at_once(CLIENTS, move |index| {
        post_json(
            port,
            &format!("{APP}/users/login"),
            &json!({"login": format!("c{index}@many.io"), "password": format!("pw-{index}")}),
        )
    });
    let logged_in_in = started.elapsed();
    let mut tokens = Vec::new();
    for (index, reply) in logins.iter().enumerate() {
        assert_eq!(reply.status, 200, "login {index}: {}", reply.body);
        assert_eq!(
            reply.json()["objectId"],
            ids[index].as_str(),
            "login {index} is its own user"
        );
        tokens.push(reply.json()["user-token"].as_str().unwrap().to_string());
    }
    assert_eq!(
        tokens.iter().collect::<HashSet<_>>().len(),
        CLIENTS,
        "tokens are distinct"
    );

    // Every session belongs to the user who logged in: 200 concurrent reads with the tokens.
    let pairs: Arc<Vec<(String, String)>> =
        Arc::new(ids.iter().cloned().zip(tokens.iter().cloned()).collect());
    let reads = all_at_once(CLIENTS, {
        let pairs = pairs.clone();
        move |index| {
            let (id, token) = &pairs[index];
            send(
                port,
                "GET",
                &format!("{APP}/data/Users/{id}"),
                &[("user-token", token)],
                None,
            )
        }
    });
    for (index, reply) in reads.iter().enumerate() {
        assert_eq!(reply.status, 200, "read {index}: {}", reply.body);
        assert_eq!(reply.json()["email"], format!("c{index}@many.io"));
    }
    println!(
        "{CLIENTS} concurrent registrations in {:.2} s, {CLIENTS} concurrent logins in {:.2} s (all 200, none lost)",
        registered_in.as_secs_f64(),
        logged_in_in.as_secs_f64()
    );

    // The database agrees: one row per identity, one session per login.
    let connection = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| -> i64 { connection.query_row(sql, [], |row| row.get(0)).unwrap() };
    assert_eq!(count("SELECT COUNT(*) FROM users"), CLIENTS as i64);
    assert_eq!(
        count("SELECT COUNT(DISTINCT identity_key) FROM users"),
        CLIENTS as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM sessions WHERE ended = 0"),
        CLIENTS as i64
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_identity_registered_by_twenty_clients_at_once_succeeds_exactly_once() {
    const IDENTITIES: usize = 5;
    const RACERS: usize = 20;
    let dir = scratch_dir("race");
    let db = dir.join("race.db");
    let db = db.to_str().unwrap().to_string();
    let server = Local::start_on(&db, &[]);
    let port = server.port;
    // 100 clients: each identity raced by 20, half of them spelling it in upper case (identities ignore case).
    let replies = all_at_once(IDENTITIES * RACERS, move |index| {
        let identity = format!("same{}@race.io", index % IDENTITIES);
        let spelled = if index % 2 == 0 {
            identity
        } else {
            identity.to_uppercase()
        };
        post_json(
            port,
            &format!("{APP}/users/register"),
            &json!({"email": spelled, "password": format!("pw-{index}")}),
        )
    });
    for identity in 0..IDENTITIES {
        let mut winners = Vec::new();
        for (index, reply) in replies
            .iter()
            .enumerate()
            .filter(|(index, _)| index % IDENTITIES == identity)
        {
            match reply.status {
                200 => winners.push(index),
                _ => reply.assert_fault(faults::USER_EXISTS),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "identity {identity}: exactly one registration wins, got {winners:?}"
        );
        // The winner's password is the one that works.
        let winner = winners[0];
        server.login(&format!("same{identity}@race.io"), &format!("pw-{winner}"));
        let loser = (0..IDENTITIES * RACERS)
            .find(|index| index % IDENTITIES == identity && *index != winner)
            .unwrap();
        server
            .login_reply(&format!("same{identity}@race.io"), &format!("pw-{loser}"))
            .assert_fault(faults::INVALID_LOGIN);
    }
    let connection = rusqlite::Connection::open(&db).unwrap();
    let rows: i64 = connection
        .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows as usize, IDENTITIES, "one row per identity");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database file holding `count` users `t{i}@tokens.io` / `pw`, whose argon2id hashes use the smallest
/// parameters (8 KiB, t=1): the server verifies a hash with the parameters it was made with, so logins cost
/// microseconds instead of ~15 ms and 10,000 of them fit in a test. Everything else about a login (lookup,
/// token from the CSPRNG, session written to the database) is the real thing.
fn database_with_cheap_users(path: &str, count: usize) {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use backendless_emulator::store::Store;
    use backendless_emulator::user::{UserRecord, UserStatus};
    let store = Store::open(path).expect("open store");
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    for index in 0..count {
        let salt = SaltString::encode_b64(format!("salt-of-user-{index:04}").as_bytes()).unwrap();
        let hash = hasher.hash_password(b"pw", &salt).unwrap().to_string();
        store
            .insert_user(&UserRecord {
                object_id: backendless_emulator::ids::new_uuid().unwrap(),
                email: Some(format!("t{index}@tokens.io")),
                password_hash: Some(hash),
                status: UserStatus::Enabled,
                created: 0,
                updated: 0,
                last_login: None,
                locked_until: None,
                properties: Default::default(),
                oauth_identities: Vec::new(),
            })
            .expect("insert user");
    }
}

#[test]
fn ten_thousand_logins_give_ten_thousand_distinct_uuid_tokens() {
    const LOGINS: usize = 10_000;
    const CLIENTS: usize = 8;
    const USERS: usize = 16;
    // tmpfs when there is one: each login commits its session with a full sync.
    let base = PathBuf::from("/dev/shm");
    let dir = if base.is_dir() {
        base.join(format!("bl-emu-tokens-{}", std::process::id()))
    } else {
        scratch_dir("tokens")
    };
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("tokens.db");
    let db = db.to_str().unwrap().to_string();
    database_with_cheap_users(&db, USERS);
    let server = Local::start_on(&db, &[]);
    let port = server.port;

    let started = Instant::now();
    let per_client = LOGINS / CLIENTS;
    let tokens: Vec<String> = all_at_once(CLIENTS, move |client| {
        (0..per_client)
            .map(|round| {
                let user = (client * per_client + round) % USERS;
                let reply = post_json(
                    port,
                    &format!("{APP}/users/login"),
                    &json!({"login": format!("t{user}@tokens.io"), "password": "pw"}),
                );
                assert_eq!(reply.status, 200, "{}", reply.body);
                reply.json()["user-token"]
                    .as_str()
                    .expect("a token")
                    .to_string()
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let elapsed = started.elapsed();
    assert_eq!(tokens.len(), LOGINS);

    let distinct: HashSet<&str> = tokens.iter().map(String::as_str).collect();
    assert_eq!(distinct.len(), LOGINS, "every login got a token of its own");
    for token in &tokens {
        assert!(is_upper_uuid(token), "{token:?} is not an upper-case UUID");
    }
    // Not a counter nor a clock, and no fixed bits: each of the 128 bits is set in about half of the
    // tokens (mean 5,000, σ = 50; a bound of ±300 is 6σ, so a fair source fails it with odds far
    // below one in a million).
    let hex: Vec<u128> = tokens
        .iter()
        .map(|token| u128::from_str_radix(&token.replace('-', ""), 16).unwrap())
        .collect();
    let (mut lowest, mut highest) = (usize::MAX, 0);
    for bit in 0..128 {
        let ones = hex.iter().filter(|value| *value & (1 << bit) != 0).count();
        lowest = lowest.min(ones);
        highest = highest.max(ones);
        assert!(
            (4700..=5300).contains(&ones),
            "bit {bit} is set in {ones} of {LOGINS} tokens"
        );
    }
    // Spot check: the first and the last tokens are live sessions of the server.
    for token in tokens.iter().take(50).chain(tokens.iter().rev().take(50)) {
        assert!(server.is_valid(token));
    }
    println!(
        "{LOGINS} logins by {CLIENTS} clients in {:.1} s ({:.0}/s): {} distinct upper-case UUID-form tokens; \
         each random bit set in {lowest}..{highest} of them",
        elapsed.as_secs_f64(),
        LOGINS as f64 / elapsed.as_secs_f64(),
        distinct.len()
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
