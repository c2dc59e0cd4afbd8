//! Attacks on other people's accounts and sessions, each performed against the server: where an
//! OAuth sign-in may send the session, e-mail changes through `update`, and the sessions a
//! password change leaves behind. In-process, no socket.

mod common;

use backendless_emulator::protocol::faults;
use common::{App, Client, APP};
use serde_json::json;

const GITHUB: &[&str] = &["--oauth-provider", "github"];

/// `POST request_url` with `body`, as a client that sent `Host: host`.
fn request_url(server: &App, host: &str, body: &serde_json::Value) -> common::Reply {
    server.request(
        "POST",
        &format!("{APP}/users/oauth/github/request_url"),
        &[("content-type", "application/json"), ("host", host)],
        Some(&body.to_string()),
    )
}

/// Spellings of a public address (8.8.8.8, or a far-away name) that a browser follows there but
/// a naive check takes for a name or a local address.
const PUBLIC_SPELLINGS: &[&str] = &[
    "http://8.8.8.8./x",
    "http://8.8.8.8.:80/x",
    "http://8.8.8.8../x",
    "HTTP://8.8.8.8./X",
    "http://134744072/",
    "http://0x8080808/",
    "http://0x8.8.8.8/",
    "http://0x08.0x08.0x08.0x08/",
    "http://010.8.8.8/",
    "http://8.8.2056/",
    "http://8.526344/",
    "http://[::ffff:8.8.8.8]/",
    "http://[::ffff:808:808]/",
    "http://[::8.8.8.8]/",
    "http://[2001:4860:4860::8888]/",
    "http://127.0.0.1@8.8.8.8/",
    "http://localhost:80@8.8.8.8/",
    "http://%38.8.8.8/",
    "http://8.8.8.8%2e/",
    "http://localhost%2eevil.example/",
    "http://evil.example./",
    "http://EVIL.example/",
    "http://.localhost.evil.example/",
    "http://8.8.8.8:99999/",
    "http://[fe80::1%25eth0]/",
];

#[test]
fn the_session_never_goes_to_a_public_address_however_it_is_spelled() {
    let server = App::start(GITHUB);
    for url in PUBLIC_SPELLINGS {
        request_url(
            &server,
            "127.0.0.1:8200",
            &json!({ "redirectAfterLoginUrl": url }),
        )
        .assert_fault(faults::UNPARSABLE_BODY);
        let origin = url.trim_end_matches(['x', 'X', '/']);
        request_url(
            &server,
            "127.0.0.1:8200",
            &json!({ "callbackUrlDomain": origin }),
        )
        .assert_fault(faults::UNPARSABLE_BODY);
    }
    // Local spellings still pass, trailing dot and IPv4-mapped loopback included.
    for url in [
        "http://localhost.:5173/app",
        "http://127.0.0.1./",
        "http://[::ffff:127.0.0.1]:3000/",
        "http://192.168.1.5/",
        "http://APP.LOCALHOST/",
    ] {
        let reply = request_url(
            &server,
            "127.0.0.1:8200",
            &json!({ "redirectAfterLoginUrl": url }),
        );
        assert_eq!(reply.status, 200, "{url}: {}", reply.body);
    }
}

#[test]
fn a_host_header_naming_a_public_address_earns_no_trust() {
    let server = App::start(GITHUB);
    for host in [
        "8.8.8.8",
        "8.8.8.8:80",
        "8.8.8.8.",
        "[2001:4860:4860::8888]:80",
    ] {
        // The Host the caller sent used to be accepted as the callback's domain, and was the
        // default one: the provider would have sent the code there.
        for body in [
            json!({ "callbackUrlDomain": format!("http://{host}") }),
            json!({}),
        ] {
            let reply = request_url(&server, host, &body);
            reply.assert_error(403, 0);
            assert!(!reply.body.contains("/oauth-provider/"), "{}", reply.body);
        }
    }
    // This machine's names keep working, and an --allowed-host address is trusted.
    for host in ["127.0.0.1:8200", "localhost:8200", "[::1]:8200"] {
        let reply = request_url(&server, host, &json!({}));
        assert_eq!(reply.status, 200, "{host}: {}", reply.body);
        let url = reply.json().as_str().unwrap().to_string();
        assert!(
            url.starts_with(&format!("http://{host}/oauth-provider/")),
            "{url}"
        );
    }
    let listed = App::start(&[
        "--oauth-provider",
        "github",
        "--allowed-host",
        "203.0.113.7",
    ]);
    let reply = request_url(&listed, "203.0.113.7:8200", &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// `PUT users/{id}` with `body`, as the session `token`.
fn put(server: &App, id: &str, token: &str, body: &serde_json::Value) -> common::Reply {
    server.request(
        "PUT",
        &format!("{APP}/users/{id}"),
        &[("content-type", "application/json"), ("user-token", token)],
        Some(&body.to_string()),
    )
}

/// The objectId of a user object.
fn id_of(user: &serde_json::Value) -> String {
    user["objectId"].as_str().expect("objectId").to_string()
}

#[test]
fn a_password_change_ends_every_other_session_of_the_user() {
    let server = App::start(&[]);
    let user = server.register("u@x.io", "old");
    let id = id_of(&user);
    let changer = server.token("u@x.io", "old");
    let laptop = server.token("u@x.io", "old");
    let stolen = server.token("u@x.io", "old");
    server.register("other@x.io", "pw");
    let bystander = server.token("other@x.io", "pw");
    // Other changes leave every session alone.
    assert_eq!(
        put(&server, &id, &changer, &json!({ "name": "U" })).status,
        200
    );
    assert!(server.is_valid(&laptop) && server.is_valid(&stolen));
    // The sessions used to stay valid after the password changed, a stolen one included.
    let reply = put(&server, &id, &changer, &json!({ "password": "new" }));
    assert_eq!(reply.status, 200, "{}", reply.body);
    for ended in [&laptop, &stolen] {
        server
            .get_with_token(&format!("{APP}/users/userroles"), ended)
            .assert_stale_token();
        put(&server, &id, ended, &json!({ "password": "mine now" })).assert_stale_token();
        assert!(!server.is_valid(ended));
    }
    // The session that made the change, other users' sessions and new logins work.
    assert!(server.is_valid(&changer));
    assert_eq!(
        server
            .get_with_token(&format!("{APP}/users/userroles"), &changer)
            .json(),
        json!(["AuthenticatedUser"])
    );
    assert!(server.is_valid(&bystander));
    let fresh = server.token("u@x.io", "new");
    assert!(server.is_valid(&fresh));
    // Ended in the database too, so a restart does not bring them back.
    let open = server.state.auth.store().open_sessions().unwrap();
    assert_eq!(
        open.iter().filter(|session| session.user_id == id).count(),
        2
    );
}
