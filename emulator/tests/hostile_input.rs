//! Hostile input over real sockets (in-process server): property-based fuzzing of bodies, headers,
//! paths and raw bytes (never a crash, never a 5xx for a client's mistake, every 4xx a Backendless
//! error object), and SQL-injection and path-traversal strings handled as data.

mod common;

use std::fmt::Debug;

use backendless_emulator::protocol::faults;
use common::{encode_component, raw_request, scratch_dir, send_raw, Client, Local, Reply, APP};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

const SEED_EMAIL: &str = "alice@x.io";
const SEED_PASSWORD: &str = "wonderland";

/// A server with the seed user, in memory.
fn seeded_server() -> Local {
    Local::start(&["--seed-user", &format!("{SEED_EMAIL}:{SEED_PASSWORD}")])
}

/// The server still does its job: the seed user logs in.
fn assert_alive_and_well(server: &Local) {
    let user = server.login(SEED_EMAIL, SEED_PASSWORD);
    assert_eq!(user["email"], SEED_EMAIL);
}

/// The rule for every answer the server's own handler gives: no 5xx; CORS; a 4xx is `{code, message}` JSON.
fn check_answer(method: &str, reply: &Reply) -> Result<(), String> {
    let context = || format!("{method} → {} {:?}", reply.status, reply.body);
    if reply.status >= 500 {
        return Err(format!("a 5xx for a client's request: {}", context()));
    }
    if reply.header("access-control-allow-origin") != Some("*") {
        return Err(format!("no CORS header: {}", context()));
    }
    if (400..500).contains(&reply.status) && method != "HEAD" {
        if reply.header("content-type") != Some("application/json") {
            return Err(format!("a 4xx that is not JSON: {}", context()));
        }
        let body: Value = serde_json::from_str(&reply.body)
            .map_err(|error| format!("a 4xx body that does not parse ({error}): {}", context()))?;
        if !body["code"].is_u64() {
            return Err(format!("a 4xx without a numeric code: {}", context()));
        }
        if body["message"].as_str().is_none_or(str::is_empty) {
            return Err(format!("a 4xx without a message: {}", context()));
        }
    }
    Ok(())
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

/// Counts answers by status, printed at the end of a property so a report can say what the fuzzer reached.
#[derive(Default)]
struct Tally(std::cell::RefCell<std::collections::BTreeMap<String, usize>>);

impl Tally {
    fn add(&self, reply: &Reply) {
        let code = serde_json::from_str::<Value>(&reply.body)
            .ok()
            .and_then(|body| body.get("code").cloned())
            .map_or(String::new(), |code| format!("/{code}"));
        *self
            .0
            .borrow_mut()
            .entry(format!("{}{code}", reply.status))
            .or_default() += 1;
    }

    fn print(&self, what: &str) {
        println!("{what}: answers by status/code: {:?}", self.0.borrow());
    }
}

/// Runs `test` on `cases` inputs from `strategy`; on failure, shrinks and panics with the smallest input.
fn check_property<S>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    });
    if let Err(error) = runner.run(&strategy, test) {
        panic!("{error}");
    }
}

/// Property names, biased towards the ones the server reads.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "login", "password", "email", "objectId", "user-token", "___class", "userStatus", "name", "",
        ])
        .prop_map(String::from),
        1 => ".{0,12}",
    ]
}

/// Any JSON value, nested up to a few levels, with odd strings and extreme numbers.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "[a-z0-9.+'%_-]{1,12}@[a-z]{1,8}\\.io".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key(), inner, 0..6).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Numbers far outside what f64/u64 hold, as JSON text.
fn huge_number() -> impl Strategy<Value = String> {
    "-?[1-9][0-9]{0,3000}(\\.[0-9]{1,60})?([eE][+-]?[0-9]{1,6})?"
}

/// A request body: arbitrary bytes, JSON of any shape, deep nesting, huge numbers, truncated JSON.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..2048),
        json_value().prop_map(|value| value.to_string().into_bytes()),
        (json_value(), json_value()).prop_map(|(login, password)| {
            json!({"login": login, "password": password})
                .to_string()
                .into_bytes()
        }),
        (json_value(), json_value(), key(), json_value()).prop_map(
            |(email, password, name, extra)| {
                let mut user = json!({"email": email, "password": password});
                user[name] = extra;
                user.to_string().into_bytes()
            }
        ),
        (1usize..60_000, 0..3u8).prop_map(|(depth, kind)| match kind {
            0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            1 => format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
            _ => format!(
                "{{\"login\":{}\"x\"{},\"password\":\"p\"}}",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        }
        .into_bytes()),
        (huge_number(), 0..3u8, "[a-z]{1,10}").prop_map(|(number, kind, local)| match kind {
            0 => number.into_bytes(),
            1 => format!("{{\"login\":{number},\"password\":{number}}}").into_bytes(),
            _ => format!("{{\"email\":\"{local}@huge.io\",\"password\":\"p\",\"n\":{number}}}")
                .into_bytes(),
        }),
        (json_value(), any::<prop::sample::Index>()).prop_map(|(value, cut)| {
            let text = value.to_string().into_bytes();
            let end = cut.index(text.len() + 1);
            text[..end].to_vec()
        }),
    ]
}

/// Header value bytes hyper lets through: visible ASCII, space, tab and obs-text (0x80–0xFF).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff],
        0..200,
    )
}

/// Header names that change how the request is framed or routed; the fuzzer leaves those alone.
const FRAMING_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "user-token",
    "content-type",
];

fn extra_headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    vec(
        (
            "[a-z][a-z0-9-]{0,24}".prop_filter("framing header", |name| {
                !FRAMING_HEADERS.contains(&name.as_str())
            }),
            header_bytes(),
        ),
        0..5,
    )
}

/// One path segment: traversal, odd percent-escapes, injection, long runs, random escaped bytes.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "..",
            ".",
            "",
            "%2e%2e",
            "%2E%2E%2F",
            "%2F",
            "%00",
            "%zz",
            "%",
            "%4",
            "%C0%AF",
            "%ff%fe",
            "..%5C..%5C",
            "'%20OR%20'1'%3D'1",
            "%27%3B%20DROP%20TABLE%20users%3B--",
            "users",
            "login",
            "data",
            "Users",
            "isvalidusertoken",
            "restorepassword",
            "__emulator",
            "api",
            "LOCAL-APP-ID",
            "LOCAL-API-KEY",
        ])
        .prop_map(String::from),
        "[A-Za-z0-9._~!$&'()*+,;=:@-]{1,30}",
        vec(any::<u8>(), 1..40)
            .prop_map(|bytes| bytes.iter().map(|byte| format!("%{byte:02X}")).collect()),
        // Up to 10,000: six of them stay under the HTTP layer's URI limit (64 KiB; beyond it, hyper's bare 414).
        (1usize..10_000).prop_map(|length| "a".repeat(length)),
    ]
}

/// A path: a URL-form prefix, then segments.
fn path() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "",
            "/api",
            APP,
            "/WRONG-APP/WRONG-KEY",
            "/__emulator",
            "/api/users",
            "/api/data/Users",
            "/api/users/isvalidusertoken",
            "/api/users/restorepassword",
            "//",
            "/.",
        ]),
        vec(segment(), 0..6),
        any::<bool>(),
    )
        .prop_map(|(prefix, segments, trailing)| {
            let mut path = format!("{prefix}/{}", segments.join("/"));
            if trailing {
                path.push('/');
            }
            path
        })
}

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ])
}

#[test]
fn arbitrary_bodies_never_crash_the_server_nor_get_a_5xx() {
    let server = seeded_server();
    let port = server.port;
    let endpoints = [
        ("POST", format!("{APP}/users/login")),
        ("POST", "/api/users/login".to_string()),
        ("POST", format!("{APP}/users/register")),
        ("POST", format!("{APP}/users/register/guest")),
        ("GET", format!("{APP}/users/logout")),
        ("POST", "/__emulator/config".to_string()),
        ("POST", "/__emulator/users/NOT-AN-ID/status".to_string()),
    ];
    let content_types = prop::sample::select(vec![
        Some("application/json"),
        Some("text/plain"),
        Some("application/json; charset=utf-16"),
        Some("multipart/form-data; boundary=x"),
        None,
    ]);
    let tally = Tally::default();
    check_property(
        300,
        (0..endpoints.len(), content_types, body()),
        |(endpoint, content_type, body)| {
            let (method, path) = &endpoints[endpoint];
            let headers: Vec<(String, Vec<u8>)> = content_type
                .map(|value| ("content-type".to_string(), value.as_bytes().to_vec()))
                .into_iter()
                .collect();
            let reply = send_raw(port, &raw_request(method, path.as_bytes(), &headers, &body))
                .map_err(|error| fail(format!("{method} {path}: no answer ({error})")))?;
            tally.add(&reply);
            check_answer(method, &reply).map_err(fail)?;
            // A login body that is not exactly two strings, one of them right, never logs anybody in.
            if path.ends_with("users/login") && reply.status == 200 {
                return Err(fail(format!(
                    "a fuzzed login succeeded: {:?}",
                    String::from_utf8_lossy(&body)
                )));
            }
            Ok(())
        },
    );
    tally.print("fuzzed bodies");
    // Over the limit: 413 with the error object, not a dropped connection.
    let big = vec![b' '; super_limit()];
    let reply = send_raw(
        port,
        &raw_request("POST", format!("{APP}/users/login").as_bytes(), &[], &big),
    )
    .expect("an answer to an oversized body");
    reply.assert_error(413, 8002);
    assert_alive_and_well(&server);
}

/// One byte over the 1 MiB body limit.
fn super_limit() -> usize {
    1024 * 1024 + 1
}

#[test]
fn arbitrary_headers_and_user_tokens_never_crash_nor_let_anyone_in() {
    let server = seeded_server();
    let port = server.port;
    let alice = server.login(SEED_EMAIL, SEED_PASSWORD);
    let alice_id = alice["objectId"].as_str().unwrap().to_string();
    let login_body = json!({"login": SEED_EMAIL, "password": SEED_PASSWORD}).to_string();
    let tally = Tally::default();
    check_property(
        300,
        (0..4u8, header_bytes(), extra_headers()),
        |(operation, token, extra)| {
            let mut headers = extra;
            headers.push(("user-token".to_string(), token.clone()));
            // What the token is once the HTTP parser has dropped surrounding blanks.
            let trimmed: &[u8] = {
                let start = token
                    .iter()
                    .position(|b| *b != b' ' && *b != b'\t')
                    .unwrap_or(token.len());
                let end = token
                    .iter()
                    .rposition(|b| *b != b' ' && *b != b'\t')
                    .map_or(start, |i| i + 1);
                &token[start..end]
            };
            let (method, path, body) = match operation {
                0 => ("GET", format!("{APP}/users/logout"), ""),
                1 => ("GET", format!("{APP}/data/Users/{alice_id}"), ""),
                2 => {
                    let path_token = encode_component(&String::from_utf8_lossy(trimmed));
                    (
                        "GET",
                        format!("{APP}/users/isvalidusertoken/X{path_token}"),
                        "",
                    )
                }
                _ => {
                    headers.push(("content-type".to_string(), b"application/json".to_vec()));
                    ("POST", format!("{APP}/users/login"), login_body.as_str())
                }
            };
            let reply = send_raw(
                port,
                &raw_request(method, path.as_bytes(), &headers, body.as_bytes()),
            )
            .map_err(|error| fail(format!("{method} {path}: no answer ({error})")))?;
            tally.add(&reply);
            check_answer(method, &reply).map_err(fail)?;
            let code = || {
                serde_json::from_str::<Value>(&reply.body)
                    .ok()
                    .map(|body| body["code"].clone())
            };
            match operation {
                // A token nobody was given is never live: logout and reads with it say 3064.
                0 | 1 if !trimmed.is_empty() => {
                    prop_assert_eq!(
                        reply.status,
                        401,
                        "token {:?}: {}",
                        String::from_utf8_lossy(trimmed),
                        reply.body
                    );
                    prop_assert_eq!(code(), Some(json!(3064)));
                }
                // No token: logout has nothing to end; nobody reads a user without its token.
                0 => prop_assert_eq!(reply.status, 200),
                1 => prop_assert_eq!(reply.status, faults::OBJECT_NOT_FOUND.status),
                2 => prop_assert_eq!(reply.body.as_str(), "false"),
                // Login ignores whatever token comes along.
                _ => prop_assert_eq!(reply.status, 200, "{}", reply.body),
            }
            Ok(())
        },
    );
    tally.print("fuzzed headers");
    assert!(
        server.is_valid(alice["user-token"].as_str().unwrap()),
        "alice's session survived"
    );
    assert_alive_and_well(&server);
}

#[test]
fn arbitrary_paths_and_methods_never_crash_nor_get_a_5xx() {
    let server = seeded_server();
    let port = server.port;
    let tally = Tally::default();
    check_property(400, (method(), path()), |(method, path)| {
        let reply = send_raw(port, &raw_request(method, path.as_bytes(), &[], b""))
            .map_err(|error| fail(format!("{method} {path}: no answer ({error})")))?;
        tally.add(&reply);
        check_answer(method, &reply).map_err(fail)?;
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let app_operation = match segments.as_slice() {
            ["api", rest @ ..] => Some(rest),
            ["LOCAL-APP-ID", "LOCAL-API-KEY", rest @ ..] => Some(rest),
            _ => None,
        };
        match (method, app_operation) {
            // Whatever the id: nothing is found (the seed user's id is a random UUID).
            ("GET", Some(["data", "Users", _])) => {
                prop_assert_eq!(
                    reply.status,
                    faults::OBJECT_NOT_FOUND.status,
                    "{}",
                    reply.body
                )
            }
            ("GET", Some(["users", "isvalidusertoken", _])) => {
                prop_assert_eq!(reply.body.as_str(), "false")
            }
            ("GET", Some(["users", "restorepassword", _])) => {
                prop_assert_eq!(
                    reply.status,
                    faults::UNKNOWN_IDENTITY.status,
                    "{}",
                    reply.body
                )
            }
            _ => {}
        }
        Ok(())
    });
    tally.print("fuzzed paths");
    assert_alive_and_well(&server);
}

#[test]
fn raw_garbage_request_lines_and_requests_never_crash_the_server() {
    let server = seeded_server();
    let port = server.port;
    // Request targets with any bytes but the ones that end a request line.
    let target = vec(
        any::<u8>().prop_filter("line break or space", |b| !b" \r\n".contains(b)),
        0..300,
    );
    check_property(200, target, |target| {
        let mut full = b"/".to_vec();
        full.extend_from_slice(&target);
        match send_raw(port, &raw_request("GET", &full, &[], b"")) {
            // Either the HTTP parser refuses it (its own bare 400) or the handler answers by the rules.
            Ok(reply) if reply.body.is_empty() && reply.status == 400 => Ok(()),
            Ok(reply) => check_answer("GET", &reply).map_err(fail),
            Err(error) => Err(fail(format!("no answer ({error})"))),
        }
    });
    // Not HTTP at all: any answer (or none) is fine, as long as the server lives on.
    check_property(100, vec(any::<u8>(), 0..2000), |bytes| {
        if let Ok(reply) = send_raw(port, &bytes) {
            prop_assert!(reply.status < 500, "{} {}", reply.status, reply.body);
        }
        Ok(())
    });
    assert_alive_and_well(&server);
}

/// SQL-injection, LIKE-wildcard and path-traversal strings, used as identities, passwords, ids and tokens.
const HOSTILE_STRINGS: &[&str] = &[
    "x' OR '1'='1@example.com",
    "' OR '1'='1",
    "' OR 1=1 --",
    "\" OR \"\"=\"",
    "admin'--",
    "a@b.c'; DROP TABLE users; --",
    "'); DELETE FROM users; --",
    "' UNION SELECT object_id, password_hash FROM users --",
    "1; UPDATE users SET user_status = 'ENABLED'",
    "%",
    "_",
    "%' OR identity_key LIKE '%",
    "*",
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..",
    "/__emulator/reset",
    "../__emulator/reset",
    "nul\u{0}byte@x.io",
    "Robert'); DROP TABLE Students;--@x.io",
    "é' OR 'ß'='ß",
    "\u{202E}moc.elpmaxe@evil",
    // Email-shaped, so they are registered too.
    "x'OR'1'='1@example.com",
    "admin'--@x.io",
    "'||'1'='1@x.io",
    "%@x.io",
    "_@x.io",
    "*@x.io",
    "%'OR`identity_key`LIKE'%@x.io",
    "a@b.c'--",
    "robert'+drop+table+students--@x.io",
];

#[test]
fn injection_and_traversal_strings_are_plain_data_everywhere() {
    let dir = scratch_dir("injection");
    let db = dir.join("injection.db");
    let db = db.to_str().unwrap();
    let server = Local::start_on(
        db,
        &["--seed-user", &format!("{SEED_EMAIL}:{SEED_PASSWORD}")],
    );
    let victim = server.register("victim@x.io", "victim-pw");
    let victim_id = victim["objectId"].as_str().unwrap().to_string();

    let mut registered = vec![(
        SEED_EMAIL.to_string(),
        SEED_PASSWORD.to_string(),
        None::<String>,
    )];
    registered.push((
        "victim@x.io".into(),
        "victim-pw".into(),
        Some(victim_id.clone()),
    ));
    let mut refused = 0;
    for &hostile in HOSTILE_STRINGS {
        // Nobody has this identity yet: login, restore and lookups all find nothing.
        server
            .login_reply(hostile, hostile)
            .assert_fault(faults::INVALID_LOGIN);
        // The classic attack: an identity that matches "anyone" plus a password someone has.
        server
            .login_reply(hostile, SEED_PASSWORD)
            .assert_fault(faults::INVALID_LOGIN);
        server
            .login_reply("victim@x.io", hostile)
            .assert_fault(faults::INVALID_LOGIN);
        server
            .get(&format!(
                "{APP}/users/restorepassword/{}",
                encode_component(hostile)
            ))
            .assert_fault(faults::UNKNOWN_IDENTITY);
        server
            .get(&format!("{APP}/data/Users/{}", encode_component(hostile)))
            .assert_fault(faults::OBJECT_NOT_FOUND);
        assert!(
            !server.is_valid(&encode_component(hostile)),
            "{hostile:?} as a token"
        );
        if !hostile.contains('\u{0}') {
            // As a user-token header: a token nobody was given.
            server
                .get_with_token(&format!("{APP}/users/logout"), hostile)
                .assert_stale_token();
            server
                .get_with_token(&format!("{APP}/data/Users/{victim_id}"), hostile)
                .assert_stale_token();
        }

        // Registered as identity and password: a string that is no email address is refused (3040);
        // one that is logs in as exactly itself, and nothing else matches it.
        let attempt = server.post(
            &format!("{APP}/users/register"),
            &json!({"email": hostile, "password": hostile}).to_string(),
        );
        if attempt.status != 200 {
            attempt.assert_fault(faults::INVALID_EMAIL);
            refused += 1;
            continue;
        }
        let user = attempt.json();
        let id = user["objectId"].as_str().unwrap().to_string();
        assert_eq!(user["email"], hostile, "stored as given");
        let logged_in = server.login(hostile, hostile);
        assert_eq!(
            logged_in["objectId"],
            id.as_str(),
            "{hostile:?} logs in as itself"
        );
        server
            .login_reply(hostile, "wrong")
            .assert_fault(faults::INVALID_LOGIN);
        server
            .login_reply(&format!("{hostile}x"), hostile)
            .assert_fault(faults::INVALID_LOGIN);
        let reply = server.get(&format!(
            "{APP}/users/restorepassword/{}",
            encode_component(hostile)
        ));
        assert_eq!(reply.status, 200, "{hostile:?}: {}", reply.body);
        let token = logged_in["user-token"].as_str().unwrap();
        let read = server.get_with_token(
            &format!("{APP}/data/Users/{}", encode_component(&id)),
            token,
        );
        assert_eq!(read.status, 200, "{}", read.body);
        assert_eq!(read.json()["email"], hostile);
        // Registering it again is a duplicate, whatever its quotes.
        let again = server.post(
            &format!("{APP}/users/register"),
            &json!({"email": hostile, "password": "other"}).to_string(),
        );
        again.assert_fault(faults::USER_EXISTS);
        registered.push((hostile.to_string(), hostile.to_string(), Some(id)));
    }
    assert!(
        refused > 0 && registered.len() > 8,
        "refused {refused}, registered {}",
        registered.len()
    );
    // The wildcards matched nobody else: "%" and "_" are identities of their own, not patterns.
    server
        .login_reply("%", SEED_PASSWORD)
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("_lice@x.io", SEED_PASSWORD)
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("%@x.io", SEED_PASSWORD)
        .assert_fault(faults::INVALID_LOGIN);

    // Every account is still there and still logs in with its own password.
    for (login, password, id) in &registered {
        let user = server.login(login, password);
        if let Some(id) = id {
            assert_eq!(user["objectId"], id.as_str(), "{login:?}");
        }
    }
    // And the tables hold exactly those accounts: nothing deleted, nothing extra.
    let connection = rusqlite::Connection::open(db).unwrap();
    let users: i64 = connection
        .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(users as usize, registered.len());
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in ["failed_logins", "sessions", "users"] {
        assert!(
            tables.iter().any(|name| name == table),
            "table {table} is gone: {tables:?}"
        );
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------------------
// Property trees (issue 18, item 8): every string at any depth, every name, the depth, the count and
// the whole user object are bounded on register.

#[test]
fn nested_values_long_names_deep_trees_and_big_users_are_refused_on_register() {
    let server = common::App::start(&["--max-property-length", "100"]);
    let path = format!("{APP}/users/register");
    let long = "x".repeat(101);
    let mut deep = json!("leaf");
    for _ in 0..20 {
        deep = json!({ "d": deep });
    }
    let many: Vec<Value> = (0..2000).map(Value::from).collect();
    let big: Vec<Value> = (0..200).map(|_| Value::from("y".repeat(100))).collect();
    for (what, extra) in [
        (
            "a long string in an object",
            json!({ "profile": { "bio": long } }),
        ),
        ("a long string in an array", json!({ "tags": ["ok", long] })),
        ("a long property name", json!({ "n".repeat(300): 1 })),
        (
            "a long name inside",
            json!({ "profile": { "n".repeat(300): 1 } }),
        ),
        ("a deep tree", json!({ "deep": deep })),
        ("too many values", json!({ "many": many })),
        ("a user object over the byte limit", json!({ "big": big })),
    ] {
        let mut user = json!({ "email": "tree@x.io", "password": "pw" });
        for (key, value) in extra.as_object().unwrap() {
            user[key] = value.clone();
        }
        let reply = server.post(&path, &user.to_string());
        assert_eq!(
            reply.status,
            faults::VALUE_TOO_LONG.status,
            "{what}: {}",
            reply.body
        );
        reply.assert_fault(faults::VALUE_TOO_LONG);
    }
    // Nothing was stored; a reasonable tree is.
    server
        .login_reply("tree@x.io", "pw")
        .assert_fault(faults::INVALID_LOGIN);
    let fine = json!({ "email": "tree@x.io", "password": "pw",
        "profile": { "bio": "x".repeat(100), "links": [{ "url": "https://a.example" }] } });
    let reply = server.post(&path, &fine.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["profile"], fine["profile"]);
}

// ---------------------------------------------------------------------------------------------------------
// Email identities (issue 18, item 7): malformed ones are refused with the service's 3040, and
// lookalikes (width, composition, case) are the same identity.

#[test]
fn malformed_emails_are_refused_and_lookalikes_are_the_same_identity() {
    let server = common::App::start(&[]);
    let path = format!("{APP}/users/register");
    let register = |email: &str| {
        server.post(
            &path,
            &json!({ "email": email, "password": "pw" }).to_string(),
        )
    };
    let alice = register("alice@x.io");
    assert_eq!(alice.status, 200, "{}", alice.body);
    for malformed in [
        " alice@x.io",
        "alice@x.io ",
        "ali ce@x.io",
        "ali\u{200B}ce@x.io",
        "\u{FEFF}alice@x.io",
        "\u{202E}alice@x.io",
        "alice\u{0}@x.io",
        "<script>@x.io",
        "a@x.io<script>alert(1)</script>",
        "no-at-sign",
        "a@@x.io",
        "a@b@x.io",
        "a@",
        "@x.io",
        ".a@x.io",
        "a.@x.io",
        "a..b@x.io",
        "a@x..io",
        "a@-x.io",
        "a@x.io.",
        "a\"b@x.io",
        "a(b)@x.io",
        "a,b@x.io",
        "a\nb@x.io",
    ] {
        let reply = register(malformed);
        reply.assert_fault(faults::INVALID_EMAIL);
    }
    // The same identity in other clothes: fullwidth letters, another case, another composition.
    for lookalike in [
        "ａｌｉｃｅ@x.io",
        "ALICE@X.IO",
        "Ａlice@ｘ.io",
        "alice＠x.io",
    ] {
        let reply = register(lookalike);
        reply.assert_fault(faults::USER_EXISTS);
        let user = server.login(lookalike, "pw");
        assert_eq!(user["objectId"], alice.json()["objectId"], "{lookalike}");
    }
    let composed = register("jos\u{e9}@x.io");
    assert_eq!(composed.status, 200, "{}", composed.body);
    register("jose\u{301}@x.io").assert_fault(faults::USER_EXISTS);
    assert_eq!(
        server.login("jose\u{301}@x.io", "pw")["objectId"],
        composed.json()["objectId"]
    );
    // Valid shapes stay valid.
    for valid in [
        "o'brien+tag@x.io",
        "ünïcødé@exämple.de",
        "a@localhost",
        "x_y-z.w@sub.x-y.io",
    ] {
        let reply = register(valid);
        assert_eq!(reply.status, 200, "{valid}: {}", reply.body);
    }
}
