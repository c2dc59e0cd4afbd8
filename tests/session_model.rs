//! The SDK's session core (`session::Session` under `session::Stamps`) against the reference
//! model (tests/model), natively: random sequences of overlapping logins, logouts, token checks
//! and other tabs' logouts, their answers arriving in random orders, compared after every step.
//! The same model checks the whole SDK in the browser (tests/overlapping_calls.rs).
//!
//! A failure prints its seed; `SESSION_MODEL_SEED=N cargo test --test session_model` replays it.
#![cfg(not(target_arch = "wasm32"))]

mod model;

use backendless_wasm::session::{Effects, Event, Session, Stamps, StorageChange, StoredSession};
use model::{Held, Model, Outcome, Rng, SUPERSEDED};

/// The implementation under test, with the stored map it would write.
struct Sdk {
    session: Session<String>,
    stamps: Stamps,
    stored: Option<(String, String)>,
}

impl Sdk {
    fn new() -> Sdk {
        Sdk {
            session: Session::default(),
            stamps: Stamps::new(),
            stored: None,
        }
    }

    fn apply(&mut self, event: Event<String>) -> Effects {
        let effects = self.session.apply(event);
        match effects.storage {
            StorageChange::Keep => {}
            StorageChange::Write => {
                self.stored = self.session.token.clone().zip(self.session.user_id.clone())
            }
            StorageChange::Clear => self.stored = None,
        }
        effects
    }

    fn call(&mut self, stamp: u32, event: Event<String>) -> Result<(), ()> {
        if !self.stamps.admit(stamp) {
            return Err(());
        }
        self.apply(event);
        Ok(())
    }
}

enum Pending {
    Login {
        stamp: u32,
        held: Held,
        wrong_password: bool,
    },
    Logout {
        stamp: u32,
        network_error: bool,
    },
    IsValid {
        token: String,
        dead: bool,
    },
}

fn run(seed: u64) {
    let mut rng = Rng::new(seed);
    let mut sdk = Sdk::new();
    let mut model = Model::default();
    let mut pending: Vec<Pending> = Vec::new();
    let mut tokens = 0;
    for step in 0..60 {
        let label = format!("seed {seed}, step {step}");
        match rng.below(6) {
            0 | 1 => {
                tokens += 1;
                let held = Held {
                    user_id: format!("U{}", rng.below(2)),
                    token: format!("T{tokens}"),
                    stay: rng.chance(50),
                };
                let stamp = sdk.stamps.issue();
                assert_eq!(stamp, model.make(), "{label}");
                let wrong_password = rng.chance(20);
                pending.push(Pending::Login {
                    stamp,
                    held,
                    wrong_password,
                });
            }
            2 => {
                let stamp = sdk.stamps.issue();
                assert_eq!(stamp, model.make(), "{label}");
                pending.push(Pending::Logout {
                    stamp,
                    network_error: rng.chance(20),
                });
            }
            3 => {
                if let Some(token) = sdk.session.token.clone() {
                    pending.push(Pending::IsValid {
                        token,
                        dead: rng.chance(50),
                    });
                }
            }
            4 => {
                sdk.stored = None; // what the other tab wrote
                let _ = sdk.apply(Event::StorageChanged(StoredSession::default()));
                model.other_tab_logged_out();
            }
            _ => {
                if pending.is_empty() {
                    continue;
                }
                let answered = pending.remove(rng.below(pending.len()));
                match answered {
                    Pending::Login {
                        stamp,
                        held,
                        wrong_password,
                    } => {
                        let answer = if wrong_password {
                            Err("BackendlessError")
                        } else {
                            Ok(held.clone())
                        };
                        let expected = model.login_answered(stamp, answer.clone());
                        let actual = match answer {
                            Err(name) => Outcome::Rejected(name),
                            Ok(held) => match sdk.call(
                                stamp,
                                Event::LoggedIn {
                                    user: held.user_id.clone(),
                                    user_id: held.user_id,
                                    token: held.token,
                                    stay: held.stay,
                                },
                            ) {
                                Ok(()) => Outcome::Resolved,
                                Err(()) => SUPERSEDED,
                            },
                        };
                        assert_eq!(actual, expected, "{label}: login");
                    }
                    Pending::Logout {
                        stamp,
                        network_error,
                    } => {
                        let answer = if network_error {
                            Err("NetworkError")
                        } else {
                            Ok(())
                        };
                        let expected = model.logout_answered(stamp, answer);
                        let actual = match sdk.call(stamp, Event::Ended) {
                            Err(()) => SUPERSEDED,
                            Ok(()) if network_error => Outcome::Rejected("NetworkError"),
                            Ok(()) => Outcome::Resolved,
                        };
                        assert_eq!(actual, expected, "{label}: logout");
                    }
                    Pending::IsValid { token, dead } => {
                        if dead {
                            model.token_dead(&token);
                            let _ = sdk.apply(Event::Invalidated { token });
                        }
                    }
                }
            }
        }
        assert_eq!(
            sdk.session.token.as_deref(),
            model.token(),
            "{label}: token"
        );
        let stored = sdk.stored.as_ref().map(|(t, i)| (t.as_str(), i.as_str()));
        assert_eq!(stored, model.stored(), "{label}: stored map");
    }
}

#[test]
fn overlapping_calls_follow_the_reference_model() {
    if let Some(seed) = std::env::var("SESSION_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return run(seed);
    }
    for seed in 1..=500 {
        run(seed);
    }
}
