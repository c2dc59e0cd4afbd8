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

/// Signs in with the local provider's account for `email` (access-token login); the reply.
fn provider_sign_in(server: &App, email: &str) -> common::Reply {
    let account = server.post(
        "/oauth-provider/github/accounts",
        &json!({ "email": email, "name": "Victim" }).to_string(),
    );
    assert_eq!(account.status, 200, "{}", account.body);
    server.post(
        &format!("{APP}/users/social/github/login"),
        &json!({ "accessToken": account.json()["access_token"] }).to_string(),
    )
}

/// The objectId of a user object.
fn id_of(user: &serde_json::Value) -> String {
    user["objectId"].as_str().expect("objectId").to_string()
}

/// The outbox's messages.
fn outbox(server: &App) -> Vec<serde_json::Value> {
    server
        .get("/__emulator/outbox")
        .json()
        .as_array()
        .unwrap()
        .clone()
}

/// Opens the link of the newest message to `to`.
fn open_link(server: &App, to: &str) -> common::Reply {
    let mails = outbox(server);
    let mail = mails
        .iter()
        .rev()
        .find(|mail| mail["to"] == to)
        .unwrap_or_else(|| panic!("no mail to {to}: {mails:?}"));
    let link = mail["link"].as_str().unwrap();
    server.get(
        link.strip_prefix("http://127.0.0.1")
            .expect("a link to this server"),
    )
}

#[test]
fn a_guest_cannot_put_someone_elses_address_onto_itself() {
    for flags in [
        &["--oauth-provider", "github"][..],
        &["--oauth-provider", "github", "--require-email-confirmation"],
    ] {
        let server = App::start(flags);
        let guest = server
            .post(&format!("{APP}/users/register/guest"), "")
            .json();
        let (guest_id, guest_token) = (id_of(&guest), common::token_of(&guest));
        // The guest used to take the address at once: the owner then got 3033 on register and
        // a provider sign-in with that address landed on the guest's account.
        put(
            &server,
            &guest_id,
            &guest_token,
            &json!({ "email": "victim@x.io" }),
        )
        .assert_fault(faults::INVALID_GUEST);
        put(
            &server,
            &guest_id,
            &guest_token,
            &json!({ "password": "pw" }),
        )
        .assert_fault(faults::INVALID_GUEST);
        // Its own object back (email null) and other properties are still fine.
        let reply = put(
            &server,
            &guest_id,
            &guest_token,
            &json!({ "email": null, "cart": 3 }),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["cart"], 3);
        assert_eq!(reply.json()["userStatus"], "GUEST");
        let signed_in = provider_sign_in(&server, "victim@x.io");
        assert_eq!(signed_in.status, 200, "{flags:?}: {}", signed_in.body);
        assert_ne!(id_of(&signed_in.json()), guest_id);
        let registered = server.post(
            &format!("{APP}/users/register"),
            &json!({ "email": "victim2@x.io", "password": "pw" }).to_string(),
        );
        assert_eq!(registered.status, 200, "{}", registered.body);
    }
}

#[test]
fn with_confirmation_required_a_new_address_waits_for_its_link() {
    let server = App::start(&["--oauth-provider", "github", "--require-email-confirmation"]);
    let attacker = server.register("attacker@x.io", "pw");
    let attacker_id = id_of(&attacker);
    assert_eq!(open_link(&server, "attacker@x.io").status, 200);
    let token = server.token("attacker@x.io", "pw");
    // The address used to become the attacker's at once: the owner's register got 3033 and the
    // owner's provider sign-in was linked to the attacker's account.
    let reply = put(
        &server,
        &attacker_id,
        &token,
        &json!({ "email": "victim@x.io", "name": "A" }),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["email"], "attacker@x.io");
    assert_eq!(reply.json()["name"], "A");
    let mail = outbox(&server).last().unwrap().clone();
    assert_eq!(
        (mail["to"].as_str(), mail["kind"].as_str()),
        (Some("victim@x.io"), Some("email-change"))
    );
    server
        .login_reply("victim@x.io", "pw")
        .assert_fault(faults::INVALID_LOGIN);
    let victim = provider_sign_in(&server, "victim@x.io");
    assert_eq!(victim.status, 200, "{}", victim.body);
    assert_ne!(id_of(&victim.json()), attacker_id);
    // Should the link be opened later, the address is someone else's by then.
    let late = open_link(&server, "victim@x.io");
    assert_eq!(late.status, 409, "{}", late.body);
    assert_eq!(
        server.login("attacker@x.io", "pw")["email"],
        "attacker@x.io"
    );
    // The owner of a new address gets it by opening the link; the old address stops working.
    let reply = put(
        &server,
        &attacker_id,
        &token,
        &json!({ "email": "new@x.io" }),
    );
    assert_eq!(reply.json()["email"], "attacker@x.io");
    // A second change replaces the first: one pending change per account.
    put(
        &server,
        &attacker_id,
        &token,
        &json!({ "email": "newer@x.io" }),
    );
    assert!(!outbox(&server).iter().any(|mail| mail["to"] == "new@x.io"));
    assert_eq!(open_link(&server, "newer@x.io").status, 200);
    assert_eq!(
        server.login("newer@x.io", "pw")["objectId"],
        attacker_id.as_str()
    );
    server
        .login_reply("attacker@x.io", "pw")
        .assert_fault(faults::INVALID_LOGIN);
    // Another spelling of the same address is no new address: it changes at once.
    let reply = put(
        &server,
        &attacker_id,
        &token,
        &json!({ "email": "NEWER@x.io" }),
    );
    assert_eq!(reply.json()["email"], "NEWER@x.io");
    // An address another account has: 3018 at once, no mail.
    let mails = outbox(&server).len();
    put(
        &server,
        &attacker_id,
        &token,
        &json!({ "email": "victim@x.io" }),
    )
    .assert_fault(faults::IDENTITY_TAKEN);
    assert_eq!(outbox(&server).len(), mails);
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
