//! Hostile input against the real binary over real HTTP (issue 7, local server): property-based fuzzing of
//! bodies, headers and paths (never a crash, never a 5xx for a client's mistake, every 4xx a Backendless error
//! object), SQL-injection and path-traversal strings handled as data, brute force (lockout per account, timing
//! figures), 200 concurrent registrations and logins, and 10,000 logins' worth of tokens.
//!
//! `cargo test -p backendless-emulator --profile server --test hostile -- --nocapture` prints the timing figures.

mod common;

use std::collections::HashSet;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use backendless_emulator::protocol::faults;
use common::{is_upper_uuid, scratch_dir, send, send_raw, Reply, Server, APP};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

const SEED_EMAIL: &str = "alice@x.io";
const SEED_PASSWORD: &str = "wonderland";

// ---------------------------------------------------------------------------------------------------------
// Helpers

/// A server with the seed user, in memory.
fn seeded_server() -> Server {
    Server::start(&["--seed-user", &format!("{SEED_EMAIL}:{SEED_PASSWORD}")])
}

/// The server process is still running and still does its job: the seed user logs in.
fn assert_alive_and_well(server: &mut Server) {
    assert!(
        server.child.try_wait().expect("try_wait").is_none(),
        "the server process died"
    );
    let user = server.login(SEED_EMAIL, SEED_PASSWORD);
    assert_eq!(user["email"], SEED_EMAIL);
}

/// `encodeURIComponent`.
fn encode_component(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One HTTP/1.1 request as raw bytes, `Connection: close`, `Content-Length` when there is a body.
fn raw_request(method: &str, target: &[u8], headers: &[(String, Vec<u8>)], body: &[u8]) -> Vec<u8> {
    let mut request = Vec::new();
    request.extend_from_slice(method.as_bytes());
    request.push(b' ');
    request.extend_from_slice(target);
    request.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method == "POST" {
        request.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    request
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

// ---------------------------------------------------------------------------------------------------------
// Strategies

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

// ---------------------------------------------------------------------------------------------------------
// Request parsing, fuzzed

#[test]
fn arbitrary_bodies_never_crash_the_server_nor_get_a_5xx() {
    let mut server = seeded_server();
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
    assert_alive_and_well(&mut server);
}

/// One byte over the 1 MiB body limit.
fn super_limit() -> usize {
    1024 * 1024 + 1
}

#[test]
fn arbitrary_headers_and_user_tokens_never_crash_nor_let_anyone_in() {
    let mut server = seeded_server();
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
                0 | 1 => prop_assert_eq!(reply.status, 200),
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
    assert_alive_and_well(&mut server);
}

#[test]
fn arbitrary_paths_and_methods_never_crash_nor_get_a_5xx() {
    let mut server = seeded_server();
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
    assert_alive_and_well(&mut server);
}

#[test]
fn raw_garbage_request_lines_and_requests_never_crash_the_server() {
    let mut server = seeded_server();
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
    assert_alive_and_well(&mut server);
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

// ---------------------------------------------------------------------------------------------------------
// Injection and traversal strings are data

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
];

#[test]
fn injection_and_traversal_strings_are_plain_data_everywhere() {
    let dir = scratch_dir("injection");
    let db = dir.join("injection.db");
    let db = db.to_str().unwrap();
    let server = Server::start_on(
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

        // Registered as identity and password: it logs in as exactly itself, and nothing else matches it.
        let user = server.register(hostile, hostile);
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
    // The wildcards matched nobody else: "%" and "_" are identities of their own, not patterns.
    server
        .login_reply("%", SEED_PASSWORD)
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("_lice@x.io", SEED_PASSWORD)
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
// Brute force

#[test]
fn lockout_is_per_account_and_a_case_variant_does_not_dodge_it() {
    let server = Server::start(&[
        "--lockout-threshold",
        "3",
        "--lockout-window-secs",
        "60",
        "--lockout-duration-secs",
        "60",
    ]);
    for email in ["a@lock.io", "b@lock.io", "c@lock.io", "d@lock.io"] {
        server.register(email, "right");
    }
    // Three failures lock A, also for the right password, also under another spelling of the identity.
    server
        .login_reply("a@lock.io", "guess1")
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("A@LOCK.IO", "guess2")
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("a@Lock.io", "guess3")
        .assert_fault(faults::INVALID_LOGIN);
    server
        .login_reply("a@lock.io", "right")
        .assert_fault(faults::ACCOUNT_LOCKED);
    server
        .login_reply("A@lock.IO", "right")
        .assert_fault(faults::ACCOUNT_LOCKED);
    // B, with no failures, is not affected: the lock is the account's, not the server's or the client's.
    server.login("b@lock.io", "right");
    // Failures spread over accounts lock none of them: two each on B and C, then both log in.
    for email in ["b@lock.io", "c@lock.io"] {
        for _ in 0..2 {
            server
                .login_reply(email, "guess")
                .assert_fault(faults::INVALID_LOGIN);
        }
    }
    server.login("b@lock.io", "right");
    server.login("c@lock.io", "right");

    // A burst of 30 parallel guesses on D: every answer is a refusal, exactly threshold-many are checked
    // against the password (logins of one account take turns while lockout is on), and D ends up locked.
    // Without the turns, all 30 were checked; with only a re-check after hashing, one more per core.
    let port = server.port;
    const GUESSES: usize = 30;
    let answers: Vec<Reply> = (0..GUESSES)
        .map(|index| {
            thread::spawn(move || {
                send(
                    port,
                    "POST",
                    &format!("{APP}/users/login"),
                    &[("content-type", "application/json")],
                    Some(
                        &json!({"login": "d@lock.io", "password": format!("guess{index}")})
                            .to_string(),
                    ),
                )
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    for reply in &answers {
        let code = reply.json()["code"].as_u64();
        assert!(
            matches!(code, Some(3003 | 3036)),
            "{} {}",
            reply.status,
            reply.body
        );
    }
    let refused_as_locked = answers
        .iter()
        .filter(|reply| reply.json()["code"] == 3036)
        .count();
    let checked = GUESSES - refused_as_locked;
    println!(
        "{GUESSES} parallel guesses on one account, threshold 3: {checked} × 3003 (password checked), {refused_as_locked} × 3036"
    );
    assert_eq!(
        checked, 3,
        "a parallel burst must not get past the lockout: {checked} guesses were checked against the password"
    );
    server
        .login_reply("d@lock.io", "right")
        .assert_fault(faults::ACCOUNT_LOCKED);
}

/// Median, 10th and 90th percentile.
fn spread(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    (at(0.5), at(0.1), at(0.9))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Times logins of an unknown user, a wrong password and the right password, interleaved; prints the figures
/// and returns the ratio of medians wrong-password / unknown-user.
fn time_login_outcomes(server: &Server, label: &str, rounds: usize) -> f64 {
    server.register("timing@x.io", "right-password");
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    let mut right = Vec::new();
    // Warm-up: first connections, first hashes.
    for _ in 0..3 {
        server
            .login_reply("nobody@x.io", "whatever")
            .assert_fault(faults::INVALID_LOGIN);
        server
            .login_reply("timing@x.io", "wrong-password")
            .assert_fault(faults::INVALID_LOGIN);
    }
    for round in 0..rounds {
        let time = |login: &str, password: &str| {
            let start = Instant::now();
            let reply = server.login_reply(login, password);
            (start.elapsed(), reply)
        };
        // Rotate the order so drifts in machine load hit all three alike.
        for step in 0..3 {
            match (round + step) % 3 {
                0 => {
                    let (elapsed, reply) = time(&format!("nobody-{round}@x.io"), "wrong-password");
                    reply.assert_fault(faults::INVALID_LOGIN);
                    unknown.push(elapsed);
                }
                1 => {
                    let (elapsed, reply) = time("timing@x.io", "wrong-password");
                    reply.assert_fault(faults::INVALID_LOGIN);
                    wrong.push(elapsed);
                }
                _ => {
                    let (elapsed, reply) = time("timing@x.io", "right-password");
                    assert_eq!(reply.status, 200, "{}", reply.body);
                    right.push(elapsed);
                }
            }
        }
    }
    let (unknown_median, unknown_p10, unknown_p90) = spread(&mut unknown);
    let (wrong_median, wrong_p10, wrong_p90) = spread(&mut wrong);
    let (right_median, right_p10, right_p90) = spread(&mut right);
    let ratio = wrong_median.as_secs_f64() / unknown_median.as_secs_f64();
    println!(
        "login timing, {label}, {rounds} rounds (median [p10–p90] ms): unknown user {:.2} [{:.2}–{:.2}], \
         wrong password {:.2} [{:.2}–{:.2}], right password {:.2} [{:.2}–{:.2}]; wrong/unknown = {ratio:.3}",
        ms(unknown_median), ms(unknown_p10), ms(unknown_p90),
        ms(wrong_median), ms(wrong_p10), ms(wrong_p90),
        ms(right_median), ms(right_p10), ms(right_p90),
    );
    ratio
}

#[test]
fn unknown_user_and_wrong_password_timing_figures() {
    // The default setup (no lockout, in-memory database).
    let server = Server::start(&[]);
    let plain = time_login_outcomes(&server, "defaults (:memory:, lockout off)", 40);
    drop(server);
    // With lockout on and a database file, a wrong password for a real account also writes the failure.
    let dir = scratch_dir("timing");
    let db = dir.join("timing.db");
    let server = Server::start_on(db.to_str().unwrap(), &["--lockout-threshold", "1000"]);
    let counted = time_login_outcomes(&server, "database file, lockout on (failures written)", 40);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    // Loose bounds only: without the dummy hash for unknown users the ratio would be ~100.
    for ratio in [plain, counted] {
        assert!(
            (0.33..3.0).contains(&ratio),
            "wrong/unknown median ratio {ratio}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Concurrency

/// Runs `work(index)` on `count` threads released together; returns the results in index order.
fn all_at_once<T: Send + 'static>(
    count: usize,
    work: impl Fn(usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(count));
    let work = Arc::new(work);
    let handles: Vec<_> = (0..count)
        .map(|index| {
            let (barrier, work) = (barrier.clone(), work.clone());
            thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    barrier.wait();
                    work(index)
                })
                .expect("spawn")
        })
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().expect("client thread"))
        .collect()
}

fn post_json(port: u16, path: &str, body: &Value) -> Reply {
    send(
        port,
        "POST",
        path,
        &[("content-type", "application/json")],
        Some(&body.to_string()),
    )
}

#[test]
fn two_hundred_concurrent_registrations_and_logins_lose_and_duplicate_nothing() {
    const CLIENTS: usize = 200;
    let dir = scratch_dir("concurrent");
    let db = dir.join("concurrent.db");
    let db = db.to_str().unwrap().to_string();
    let server = Server::start_on(&db, &[]);
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
    let server = Server::start_on(&db, &[]);
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

// ---------------------------------------------------------------------------------------------------------
// Tokens

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
    let server = Server::start_on(&db, &[]);
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

// ---------------------------------------------------------------------------------------------------------
// Memory

/// Resident memory of a process, in KiB.
#[cfg(target_os = "linux")]
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
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
