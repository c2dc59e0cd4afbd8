//! Overlapping session calls against the real local server: the last call made wins, a call that
//! resolves has taken effect, a superseded one rejects with `SupersededError` and changes
//! nothing, identical logins share one request. The server holds requests on demand
//! (`/__emulator/hold`) so answers arrive in the order a test picks; random sequences are checked
//! step by step against the reference model (tests/model), over both transports.
//!
//! A failing sequence prints its seed; build with `OVERLAP_SEED=N` to replay just that one.
#![cfg(target_arch = "wasm32")]

mod common;
mod model;

use backendless_wasm::js::user_service;
use common::hold::*;
use common::*;
use model::{Held, Model, Outcome, Rng, SUPERSEDED};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = "
export function other_tab_writes(key, text) {
  window.localStorage.setItem(key, text);
  window.dispatchEvent(new StorageEvent('storage', { key, newValue: text, storageArea: window.localStorage }));
}
")]
extern "C" {
    fn other_tab_writes(key: &str, text: &str);
}

fn outcome_of(result: &Result<JsValue, String>) -> Outcome {
    match result {
        Ok(_) => Outcome::Resolved,
        Err(name) if name == "SupersededError" => SUPERSEDED,
        Err(name) => Outcome::Rejected(match name.as_str() {
            "BackendlessError" => "BackendlessError",
            "NetworkError" => "NetworkError",
            other => panic!("unexpected error {other}"),
        }),
    }
}

/// The state a page sees: memory, LocalCache and localStorage, compared with the model.
fn assert_page_matches(model: &Model, label: &str) {
    assert_eq!(
        current_token().as_deref(),
        model.token(),
        "{label}: token in memory"
    );
    let cached = |key: &str| common::local_cache::get(key.into()).unwrap().as_string();
    let expected = model.stored();
    assert_eq!(
        cached("user-token").as_deref(),
        expected.map(|(token, _)| token),
        "{label}: LocalCache user-token"
    );
    assert_eq!(
        cached("current-user-id").as_deref(),
        expected.map(|(_, id)| id),
        "{label}: LocalCache current-user-id"
    );
    let item = stored_item().unwrap_or_else(|| "{}".into());
    let want = expected.map_or("{}".to_string(), |(token, id)| session_map(token, id));
    assert_eq!(item, want, "{label}: localStorage");
}

// ---- the StrictMode double login ------------------------------------------------------------

/// React StrictMode runs an effect twice: two identical logins overlap. They share one request,
/// both resolve with the same user, and the page is logged in from the first resolution on.
#[wasm_bindgen_test]
async fn identical_overlapping_logins_share_one_request_and_both_take_effect() {
    not_holding().await;
    fresh_page();
    let email = unique_email();
    let id = register_user(&email, PASSWORD).await;
    for round in 0..20 {
        resolve(user_service::logout(JsValue::UNDEFINED))
            .await
            .unwrap();
        clear_requests().await;
        let first = user_service::login(
            email.clone().into(),
            PASSWORD.into(),
            true.into(),
            JsValue::UNDEFINED,
        );
        let second = user_service::login(
            email.clone().into(),
            PASSWORD.into(),
            true.into(),
            JsValue::UNDEFINED,
        );
        let user = resolve(first)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        // The moment the first resolves, the page is logged in as that user.
        let token = get_string(&user, "user-token");
        assert_eq!(current_token(), token, "round {round}");
        assert_eq!(stored_item(), Some(session_map_of(&user)), "round {round}");
        assert_eq!(
            get_string(&current_user().await.unwrap(), "objectId").as_deref(),
            Some(id.as_str())
        );
        let again = resolve(second).await.unwrap();
        assert_eq!(
            get_string(&again, "user-token"),
            token,
            "round {round}: the same answer"
        );
        assert_eq!(current_token(), token, "round {round}");
        let valid = resolve(user_service::is_valid_login(JsValue::UNDEFINED))
            .await
            .unwrap();
        assert_eq!(valid, JsValue::TRUE, "round {round}");
        let logins = requests()
            .await
            .iter()
            .filter(|r| get_string(r, "path").is_some_and(|p| p.ends_with("/users/login")))
            .count();
        assert_eq!(logins, 1, "round {round}: one request for both");
    }
}

/// Two different users: the later login wins even when its answer comes first, and the earlier
/// one then rejects instead of resolving into a session that is not its own.
#[wasm_bindgen_test]
async fn a_login_answered_after_a_later_one_took_effect_is_superseded() {
    not_holding().await;
    fresh_page();
    let (alice, bob) = (unique_email(), unique_email());
    register_user(&alice, PASSWORD).await;
    let bob_id = register_user(&bob, PASSWORD).await;
    control("POST", "hold").await;
    let first = watch(user_service::login(
        alice.into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    ));
    // Alice's request is held before bob's is sent, so the held list's order is the calls'.
    wait_for_held(1, "alice's login").await;
    let second = watch(user_service::login(
        bob.into(),
        PASSWORD.into(),
        true.into(),
        JsValue::UNDEFINED,
    ));
    let held = wait_for_held(2, "two logins").await;
    release(held[1].0).await;
    let user = until_settled(&second, "second").await.unwrap();
    assert_eq!(
        get_string(&user, "objectId").as_deref(),
        Some(bob_id.as_str())
    );
    release(held[0].0).await;
    assert_eq!(
        until_settled(&first, "first").await.unwrap_err(),
        "SupersededError"
    );
    control("DELETE", "hold").await;
    assert_eq!(current_token(), get_string(&user, "user-token"));
    assert_eq!(stored_item(), Some(session_map_of(&user)));
}

// ---- random sequences against the model -----------------------------------------------------

const SEQUENCES: u64 = 150;
const STEPS: usize = 14;

#[wasm_bindgen_test]
async fn random_overlapping_sequences_follow_the_reference_model() {
    let users = [unique_email(), unique_email()];
    let mut ids = Vec::new();
    for email in &users {
        ids.push(register_user(email, PASSWORD).await);
    }
    let seeds: Vec<u64> = match option_env!("OVERLAP_SEED") {
        Some(seed) => vec![seed.parse().unwrap()],
        None => (1..=SEQUENCES).collect(),
    };
    for seed in seeds {
        let transport = if seed % 2 == 0 {
            Transport::Xhr
        } else {
            Transport::Fetch
        };
        let _page = transport.select();
        sequence(seed, &users, &ids).await;
    }
}

enum Call {
    Login {
        stamp: u32,
        user: usize,
        stay: bool,
        wrong: bool,
    },
    Guest {
        stamp: u32,
        stay: bool,
    },
    Logout {
        stamp: u32,
        token: String,
    },
    IsValid {
        token: String,
    },
}

struct InFlight {
    call: Call,
    /// The held request's id, once the server has it.
    request: Option<u64>,
    settled: Settled,
    /// Whether the answer is to be dropped (a network error).
    drop: bool,
}

/// Stops the server holding requests when a sequence ends, even by a failed assertion (the
/// other tests of this file would otherwise time out behind it).
struct Holding {
    stopped: bool,
}

impl Holding {
    async fn start() -> Holding {
        control("POST", "hold").await;
        Holding { stopped: false }
    }

    async fn stop(mut self) {
        control("DELETE", "hold").await;
        self.stopped = true;
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        if !self.stopped {
            spawn_local(async {
                control("DELETE", "hold").await;
            });
        }
    }
}

async fn sequence(seed: u64, users: &[String; 2], ids: &[String]) {
    let mut rng = Rng::new(seed * 7919);
    fresh_page();
    let holding = Holding::start().await;
    let mut model = Model::default();
    let mut flights: Vec<InFlight> = Vec::new();
    // Tokens the server has ended (processed logouts).
    let mut dead: Vec<String> = Vec::new();
    // The request of the login made last (not joined), while it waits: the only one a new
    // identical login can join.
    let mut joinable: Option<u64> = None;
    let mut trace: Vec<&str> = Vec::new();
    for step in 0..STEPS {
        let mut requests: Vec<u64> = flights.iter().filter_map(|f| f.request).collect();
        requests.sort_unstable();
        requests.dedup();
        let expected_requests = requests.len();
        // A browser opens at most 6 connections to one server, and the hold switch's own
        // control requests need one: past 4 held requests, release one first.
        let mut choice = if expected_requests >= 4 {
            6
        } else {
            rng.below(9)
        };
        // Chromium's HTTP cache sends a GET only after an identical one in flight has ended
        // (its cache lock): a second logout, or a second isValidLogin of the same token, would
        // wait behind the held one and never reach the server. Release instead.
        let same_get_in_flight = flights.iter().any(|f| match &f.call {
            Call::Logout { .. } => choice == 2,
            Call::IsValid { token } => choice == 3 && model.token() == Some(token.as_str()),
            Call::Login { .. } | Call::Guest { .. } => false,
        });
        if same_get_in_flight {
            choice = 6;
        }
        trace.push(
            [
                "login",
                "login",
                "logout",
                "isValidLogin",
                "other tab",
                "release",
                "release",
                "loginAsGuest",
                "getCurrentUser",
            ][choice],
        );
        let label = format!("seed {seed} step {step} ({})", trace.join(", "));
        match choice {
            0 | 1 => {
                let user = rng.below(2);
                let stay = rng.chance(60);
                let wrong = rng.chance(15);
                let password = if wrong { "not the password" } else { PASSWORD };
                let promise = user_service::login(
                    users[user].clone().into(),
                    password.into(),
                    stay.into(),
                    JsValue::UNDEFINED,
                );
                // An identical login still waiting shares its request: no new one goes out.
                let joined = flights.iter().position(|f| {
                    f.request.is_some()
                        && f.request == joinable
                        && matches!(f.call, Call::Login { user: u, stay: s, wrong: w, .. } if u == user && s == stay && w == wrong)
                });
                let stamp = model.make();
                if let Some(index) = joined {
                    // Every call sharing the request now counts as made now (the model sees
                    // one login, answered once).
                    let request = flights[index].request;
                    for flight in flights.iter_mut().filter(|f| f.request == request) {
                        if let Call::Login { stamp: shared, .. } = &mut flight.call {
                            *shared = stamp;
                        }
                    }
                    let settled = watch(promise);
                    flights.push(InFlight {
                        call: Call::Login {
                            stamp,
                            user,
                            stay,
                            wrong,
                        },
                        request: None,
                        settled,
                        drop: false,
                    });
                    // The joiner settles with the shared request: mark it as following `index`.
                    flights.last_mut().unwrap().request = flights[index].request;
                } else {
                    let settled = watch(promise);
                    let id = newly_held(expected_requests, &label).await;
                    joinable = Some(id);
                    flights.push(InFlight {
                        call: Call::Login {
                            stamp,
                            user,
                            stay,
                            wrong,
                        },
                        request: Some(id),
                        settled,
                        drop: rng.chance(10),
                    });
                }
            }
            2 => {
                let stamp = model.make();
                let promise = user_service::logout(JsValue::UNDEFINED);
                match model.token().map(str::to_string) {
                    None => {
                        // Nothing to tell the server: settles at once.
                        let result = resolve(promise)
                            .await
                            .map_err(|e| get_string(&e, "name").unwrap());
                        let expected = model.logout_answered(stamp, Ok(()));
                        assert_eq!(
                            outcome_of(&result),
                            expected,
                            "{label}: logout without session"
                        );
                    }
                    Some(token) => {
                        let settled = watch(promise);
                        let id = newly_held(expected_requests, &label).await;
                        // Logouts are never dropped: WebKit sends a GET whose connection
                        // closed unanswered again and again, later than a test can follow (a
                        // logout with no answer is covered in session.rs against a dead port).
                        flights.push(InFlight {
                            call: Call::Logout { stamp, token },
                            request: Some(id),
                            settled,
                            drop: false,
                        });
                    }
                }
            }
            3 => {
                let promise = user_service::is_valid_login(JsValue::UNDEFINED);
                match model.token().map(str::to_string) {
                    None => assert_eq!(resolve(promise).await.unwrap(), JsValue::FALSE, "{label}"),
                    Some(token) => {
                        let settled = watch(promise);
                        let id = newly_held(expected_requests, &label).await;
                        flights.push(InFlight {
                            call: Call::IsValid { token },
                            request: Some(id),
                            settled,
                            drop: false,
                        });
                    }
                }
            }
            4 => {
                other_tab_writes(&storage_key(), "{}");
                model.other_tab_logged_out();
            }
            7 => {
                let stay = rng.chance(60);
                let stamp = model.make();
                let settled = watch(user_service::login_as_guest(
                    stay.into(),
                    JsValue::UNDEFINED,
                ));
                let id = newly_held(expected_requests, &label).await;
                flights.push(InFlight {
                    call: Call::Guest { stamp, stay },
                    request: Some(id),
                    settled,
                    drop: rng.chance(10),
                });
            }
            8 => {
                // The user in memory (no request), or null without a session.
                let user = resolve(user_service::get_current_user(
                    JsValue::UNDEFINED,
                    JsValue::UNDEFINED,
                ))
                .await
                .unwrap_or_else(|e| panic!("{label}: getCurrentUser: {e:?}"));
                let expected = model.session.as_ref().map(|held| held.user_id.clone());
                assert_eq!(
                    get_string(&user, "objectId"),
                    expected,
                    "{label}: getCurrentUser"
                );
            }
            _ => {
                // Release one held request (chosen at random), then settle every call it answers.
                let holders: Vec<usize> = (0..flights.len())
                    .filter(|&i| {
                        flights[i].request.is_some()
                            && !flights
                                .iter()
                                .take(i)
                                .any(|f| f.request == flights[i].request)
                    })
                    .collect();
                if holders.is_empty() {
                    continue;
                }
                let chosen = holders[rng.below(holders.len())];
                let request = flights[chosen].request.unwrap();
                let drop = flights[chosen].drop;
                let release = if drop {
                    format!("release/{request}?drop=1")
                } else {
                    format!("release/{request}")
                };
                control("POST", &release).await;
                if drop {
                    // Chromium sends a request again when a reused keep-alive connection closes
                    // before any answer, on the next idle connection, until one is fresh: each
                    // retry is held like any request; drop them too.
                    let known: Vec<u64> = flights.iter().filter_map(|f| f.request).collect();
                    for _ in 0..200 {
                        if flights[chosen].settled.borrow().is_some() {
                            break;
                        }
                        for (id, _, _) in held().await {
                            if !known.contains(&id) {
                                control("POST", &format!("release/{id}?drop=1")).await;
                            }
                        }
                        settle_briefly().await;
                    }
                }
                if joinable == Some(request) {
                    joinable = None;
                }
                let sharing: Vec<usize> = (0..flights.len())
                    .filter(|&i| flights[i].request == Some(request))
                    .collect();
                for &i in sharing.iter().rev() {
                    let flight = flights.remove(i);
                    let result = until_settled(&flight.settled, &label).await;
                    let expected = match flight.call {
                        Call::Login {
                            stamp,
                            user,
                            stay,
                            wrong,
                        } => {
                            let answer = if drop {
                                Err("NetworkError")
                            } else if wrong {
                                Err("BackendlessError")
                            } else {
                                let value = result.as_ref().ok().cloned();
                                let token = value
                                    .as_ref()
                                    .and_then(|v| get_string(v, "user-token"))
                                    .unwrap_or_else(|| {
                                        format!("(superseded login of user {user})")
                                    });
                                Ok(Held {
                                    user_id: ids[user].clone(),
                                    token,
                                    stay,
                                })
                            };
                            model.login_answered(stamp, answer)
                        }
                        Call::Guest { stamp, stay } => {
                            // A new guest each time: its id and token are known once it resolved.
                            let value = result.as_ref().ok();
                            let field = |name| {
                                value
                                    .and_then(|v| get_string(v, name))
                                    .unwrap_or_else(|| "(superseded guest)".into())
                            };
                            let answer = if drop {
                                Err("NetworkError")
                            } else {
                                Ok(Held {
                                    user_id: field("objectId"),
                                    token: field("user-token"),
                                    stay,
                                })
                            };
                            model.login_answered(stamp, answer)
                        }
                        Call::Logout { stamp, token } => {
                            if !drop {
                                dead.push(token.clone());
                            }
                            model.logout_answered(
                                stamp,
                                if drop { Err("NetworkError") } else { Ok(()) },
                            )
                        }
                        Call::IsValid { token } => {
                            let alive = !dead.contains(&token);
                            if !alive {
                                model.token_dead(&token);
                            }
                            assert_eq!(
                                result.as_ref().ok().and_then(JsValue::as_bool),
                                Some(alive),
                                "{label}: isValidLogin"
                            );
                            Outcome::Resolved
                        }
                    };
                    assert_eq!(outcome_of(&result), expected, "{label}");
                }
            }
        }
        assert_page_matches(&model, &label);
    }
    holding.stop().await;
    // Whatever was still in flight settles now; the page must end whole either way.
    for flight in flights {
        let _ = until_settled(&flight.settled, &format!("seed {seed}, after the sequence")).await;
    }
    let token = current_token();
    let cached = common::local_cache::get("user-token".into())
        .unwrap()
        .as_string();
    if cached.is_some() {
        assert_eq!(
            cached, token,
            "seed {seed}: storage and memory agree at the end"
        );
    }
}
