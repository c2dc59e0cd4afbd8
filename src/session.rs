//! The session rules, as one transition function.
//!
//! Every change of session state goes through [`Session::apply`], which takes an [`Event`] and
//! returns the [`Effects`] the browser layer must carry out (write the cache map, notify the
//! session listeners). The function is the spec of the session rules (README, "Session rules"):
//!
//! | event | memory | storage map |
//! |---|---|---|
//! | login ok, stay = true | user + token | `stayLoggedIn`, `user-token`, `current-user-id` |
//! | login ok, stay = false | user + token | session keys removed (`{}`) |
//! | login failed | unchanged (no event) | unchanged |
//! | logout | cleared | session keys removed |
//! | server-confirmed dead token, `isValidLogin` → false | cleared, if that token is still the session's | session keys removed |
//! | network error / timeout / abort | unchanged (no event) | unchanged |
//! | restore after reload | user from the server, if its token is still the session's | unchanged |
//! | another tab changed the map | follows the map | already written |
//!
//! The user type is generic so the rules are tested natively with plain strings; the browser
//! layer uses the JS user object.
//!
//! ```
//! use backendless_wasm::session::{Event, Session, StorageChange};
//! let mut session: Session<&str> = Session::default();
//! let effects = session.apply(Event::LoggedIn { user: "alice", user_id: "ID".into(), token: "T".into(), stay: true });
//! assert!(effects.notify);
//! assert_eq!(effects.storage, StorageChange::Write);
//! assert_eq!(session.token.as_deref(), Some("T"));
//! ```

/// The policy for overlapping session calls (login, loginAsGuest, setCurrentUser, logout): the
/// last one *made* wins. Each takes a stamp when it is made; when its answer comes it may take
/// effect only if no later-stamped change has taken effect meanwhile, else it is superseded
/// (and must reject, changing nothing). So a call that resolves has taken effect, and once all
/// calls have settled the session is the last-made successful call's.
///
/// ```
/// use backendless_wasm::session::Stamps;
/// let mut stamps = Stamps::new();
/// let (alice, bob) = (stamps.issue(), stamps.issue());
/// assert!(stamps.admit(bob));    // bob answers first: bob's session
/// assert!(!stamps.admit(alice)); // alice answers later: superseded
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamps {
    issued: u32,
    applied: u32,
}

impl Stamps {
    /// None issued yet (`const`, for the page's `thread_local!`; the same as `default()`).
    pub const fn new() -> Stamps {
        Stamps {
            issued: 0,
            applied: 0,
        }
    }

    /// A stamp later than every one issued before (4 billion session calls per page load).
    pub fn issue(&mut self) -> u32 {
        self.issued += 1;
        self.issued
    }

    /// May the change stamped `stamp` take effect now? If so it becomes the one in force.
    pub fn admit(&mut self, stamp: u32) -> bool {
        let admitted = stamp >= self.applied;
        if admitted {
            self.applied = stamp;
        }
        admitted
    }

    /// A change made now, outside any call (`initApp`), has taken effect: every call made
    /// before it is superseded.
    pub fn supersede_all(&mut self) {
        self.applied = self.issue();
    }
}

/// The session part of the cache map, as another tab or a page reload sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredSession {
    pub token: Option<String>,
    pub user_id: Option<String>,
}

impl StoredSession {
    /// A stored session is usable only with both its token and its user id.
    pub fn is_complete(&self) -> bool {
        self.token.is_some() && self.user_id.is_some()
    }
}

/// The in-memory session of this page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session<U> {
    /// The user object, once known (after login, or restored from the server).
    pub user: Option<U>,
    pub token: Option<String>,
    pub user_id: Option<String>,
    /// True when this session is also in storage (`stayLoggedIn`), so other tabs share it.
    pub persisted: bool,
}

impl<U> Default for Session<U> {
    fn default() -> Self {
        Session {
            user: None,
            token: None,
            user_id: None,
            persisted: false,
        }
    }
}

/// Something that happened to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<U> {
    /// login, loginAsGuest or setCurrentUser succeeded.
    LoggedIn {
        user: U,
        user_id: String,
        token: String,
        stay: bool,
    },
    /// The server answered the user `user_id` of the session with `token`: the stored session's
    /// user from `data/Users/{id}`, or the session's own user after an update or a guest's
    /// registration. It becomes the current user if the session is still that token's and that
    /// user's.
    Restored {
        user: U,
        user_id: String,
        token: String,
    },
    /// The session is over: logout (whatever the server said).
    Ended,
    /// The server says `token` is not a session (`isValidLogin` answered false, or 3064 and
    /// kin): the session ends if it is still that token's. An answer about a token the page has
    /// since replaced says nothing about the new session.
    Invalidated { token: String },
    /// A page load found this stored session (no request yet).
    Loaded(StoredSession),
    /// Another tab wrote this stored session.
    StorageChanged(StoredSession),
}

/// What to do to the cache map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageChange {
    Keep,
    /// Write `stayLoggedIn: true` and the session's (new) `user-token` and `current-user-id`.
    /// The values are read off the session, not copied here.
    Write,
    /// Remove the session keys (the map becomes `{}` unless it holds other keys).
    Clear,
}

/// The effects of one transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    pub storage: StorageChange,
    /// Fire the session listeners (with the current user, or null).
    pub notify: bool,
    /// The stored session changed under us and its user must be fetched (`data/Users/{id}`).
    pub restore: bool,
}

impl Effects {
    const NONE: Effects = Effects {
        storage: StorageChange::Keep,
        notify: false,
        restore: false,
    };
}

impl<U> Session<U> {
    /// True when a token is known, in memory or from storage.
    pub fn is_active(&self) -> bool {
        self.token.is_some()
    }

    fn clear(&mut self) -> bool {
        let was_active = self.is_active() || self.user.is_some();
        *self = Session::default();
        was_active
    }

    /// Applies one event and says what the browser layer must do about it.
    pub fn apply(&mut self, event: Event<U>) -> Effects {
        match event {
            Event::LoggedIn {
                user,
                user_id,
                token,
                stay,
            } => {
                let storage = if stay {
                    StorageChange::Write
                } else {
                    StorageChange::Clear
                };
                *self = Session {
                    user: Some(user),
                    token: Some(token),
                    user_id: Some(user_id),
                    persisted: stay,
                };
                Effects {
                    storage,
                    notify: true,
                    restore: false,
                }
            }
            Event::Restored {
                user,
                user_id,
                token,
            } => {
                if self.token.as_deref() != Some(token.as_str())
                    || self.user_id.as_deref() != Some(user_id.as_str())
                {
                    // The session ended or changed while the restore was in flight: its answer
                    // is stale.
                    return Effects::NONE;
                }
                self.user = Some(user);
                Effects {
                    notify: true,
                    ..Effects::NONE
                }
            }
            Event::Invalidated { token } if self.token.as_deref() != Some(token.as_str()) => {
                Effects::NONE
            }
            Event::Ended | Event::Invalidated { .. } => {
                let was_active = self.clear();
                Effects {
                    storage: StorageChange::Clear,
                    notify: was_active,
                    restore: false,
                }
            }
            Event::Loaded(stored) => {
                if self.is_active() || !stored.is_complete() {
                    return Effects::NONE;
                }
                self.token = stored.token;
                self.user_id = stored.user_id;
                self.persisted = true;
                Effects::NONE
            }
            Event::StorageChanged(stored) => self.follow_other_tab(stored),
        }
    }

    /// Another tab wrote the map. A session that lives only in this tab's memory is not
    /// shared, so only a persisted session (or none) follows the other tab.
    fn follow_other_tab(&mut self, stored: StoredSession) -> Effects {
        let ours_is_shared = self.persisted || !self.is_active();
        if !ours_is_shared {
            return Effects::NONE;
        }
        if !stored.is_complete() {
            let was_active = self.clear();
            return Effects {
                notify: was_active,
                ..Effects::NONE
            };
        }
        if stored.token == self.token && stored.user_id == self.user_id {
            return Effects::NONE;
        }
        // Another user (or a new session of the same user) logged in elsewhere: adopt the
        // stored session and fetch its user; listeners hear of it once the user is known.
        let had_user = self.user.is_some();
        *self = Session {
            user: None,
            token: stored.token,
            user_id: stored.user_id,
            persisted: true,
        };
        Effects {
            notify: had_user,
            restore: true,
            ..Effects::NONE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(token: &str, id: &str) -> StoredSession {
        StoredSession {
            token: Some(token.into()),
            user_id: Some(id.into()),
        }
    }

    fn login(session: &mut Session<&'static str>, user: &'static str, stay: bool) -> Effects {
        session.apply(Event::LoggedIn {
            user,
            user_id: format!("{user}-id"),
            token: format!("{user}-token"),
            stay,
        })
    }

    #[test]
    fn login_with_stay_writes_the_session() {
        let mut s = Session::default();
        let e = login(&mut s, "alice", true);
        assert_eq!(e.storage, StorageChange::Write);
        assert_eq!(s.user_id.as_deref(), Some("alice-id"));
        assert!(e.notify && !e.restore);
        assert_eq!(
            (s.user, s.token.as_deref(), s.persisted),
            (Some("alice"), Some("alice-token"), true)
        );
    }

    #[test]
    fn login_without_stay_wipes_any_stored_session() {
        let mut s = Session::default();
        login(&mut s, "alice", true);
        let e = login(&mut s, "bob", false);
        assert_eq!(e.storage, StorageChange::Clear);
        assert!(e.notify);
        assert_eq!((s.user, s.persisted), (Some("bob"), false));
    }

    #[test]
    fn end_clears_memory_and_storage_and_notifies_once() {
        let mut s = Session::default();
        login(&mut s, "alice", true);
        let e = s.apply(Event::Ended);
        assert_eq!(e.storage, StorageChange::Clear);
        assert!(e.notify);
        assert_eq!(s, Session::default());
        // Nothing observable changes the second time, so nobody is told again.
        let again = s.apply(Event::Ended);
        assert!(!again.notify);
        assert_eq!(again.storage, StorageChange::Clear);
    }

    #[test]
    fn load_then_restore_fills_in_the_user() {
        let mut s: Session<&str> = Session::default();
        assert_eq!(s.apply(Event::Loaded(stored("T", "ID"))), Effects::NONE);
        assert_eq!(
            (
                s.token.as_deref(),
                s.user_id.as_deref(),
                s.user,
                s.persisted
            ),
            (Some("T"), Some("ID"), None, true)
        );
        let e = s.apply(Event::Restored {
            user: "alice",
            user_id: "ID".into(),
            token: "T".into(),
        });
        assert!(e.notify);
        assert_eq!(e.storage, StorageChange::Keep);
        assert_eq!(s.user, Some("alice"));
    }

    #[test]
    fn incomplete_stored_sessions_are_ignored() {
        let mut s: Session<&str> = Session::default();
        s.apply(Event::Loaded(StoredSession {
            token: Some("T".into()),
            user_id: None,
        }));
        assert!(!s.is_active());
        s.apply(Event::Loaded(StoredSession {
            token: None,
            user_id: Some("ID".into()),
        }));
        assert!(!s.is_active());
    }

    #[test]
    fn load_does_not_override_a_live_session() {
        let mut s = Session::default();
        login(&mut s, "alice", false);
        s.apply(Event::Loaded(stored("T", "ID")));
        assert_eq!(s.token.as_deref(), Some("alice-token"));
    }

    #[test]
    fn a_restore_that_lands_after_logout_is_dropped() {
        let mut s: Session<&str> = Session::default();
        s.apply(Event::Loaded(stored("T", "ID")));
        s.apply(Event::Ended);
        let e = s.apply(Event::Restored {
            user: "alice",
            user_id: "ID".into(),
            token: "T".into(),
        });
        assert_eq!(e, Effects::NONE);
        assert_eq!(s.user, None);
    }

    #[test]
    fn a_restore_of_a_replaced_token_is_dropped() {
        let mut s: Session<&str> = Session::default();
        s.apply(Event::Loaded(stored("T", "ID")));
        login(&mut s, "bob", true);
        let e = s.apply(Event::Restored {
            user: "alice",
            user_id: "ID".into(),
            token: "T".into(),
        });
        assert_eq!(e, Effects::NONE);
        assert_eq!(s.user, Some("bob"));
    }

    #[test]
    fn an_answer_about_another_user_is_not_the_current_user() {
        let mut s = Session::default();
        login(&mut s, "alice", true);
        let other = s.apply(Event::Restored {
            user: "bob",
            user_id: "bob-id".into(),
            token: "alice-token".into(),
        });
        assert_eq!(other, Effects::NONE);
        assert_eq!(s.user, Some("alice"));
        // An update of alice herself replaces the user and is heard; storage is untouched.
        let own = s.apply(Event::Restored {
            user: "alice, renamed",
            user_id: "alice-id".into(),
            token: "alice-token".into(),
        });
        assert!(own.notify && !own.restore);
        assert_eq!(own.storage, StorageChange::Keep);
        assert_eq!(s.user, Some("alice, renamed"));
    }

    #[test]
    fn invalidating_an_old_token_leaves_the_new_session() {
        let mut s = Session::default();
        login(&mut s, "alice", true);
        login(&mut s, "bob", true);
        let e = s.apply(Event::Invalidated {
            token: "alice-token".into(),
        });
        assert_eq!(e, Effects::NONE);
        assert_eq!(s.token.as_deref(), Some("bob-token"));
        let e = s.apply(Event::Invalidated {
            token: "bob-token".into(),
        });
        assert_eq!((e.storage, e.notify), (StorageChange::Clear, true));
        assert!(!s.is_active());
    }

    #[test]
    fn other_tab_logout_ends_a_shared_session() {
        let mut s = Session::default();
        login(&mut s, "alice", true);
        let e = s.apply(Event::StorageChanged(StoredSession::default()));
        assert!(e.notify && !e.restore);
        assert_eq!(e.storage, StorageChange::Keep);
        assert!(!s.is_active());
    }

    #[test]
    fn other_tab_cannot_touch_a_memory_only_session() {
        let mut s = Session::default();
        login(&mut s, "alice", false);
        assert_eq!(
            s.apply(Event::StorageChanged(StoredSession::default())),
            Effects::NONE
        );
        assert_eq!(
            s.apply(Event::StorageChanged(stored("X", "Y"))),
            Effects::NONE
        );
        assert_eq!(s.user, Some("alice"));
    }

    #[test]
    fn other_tab_login_is_adopted_and_restored() {
        let mut s = Session::default();
        login(&mut s, "alice", true);
        let e = s.apply(Event::StorageChanged(stored("bob-token", "bob-id")));
        assert!(e.restore && e.notify);
        assert_eq!(
            (s.user, s.token.as_deref(), s.persisted),
            (None, Some("bob-token"), true)
        );
        // From logged out, adopting needs a restore but nothing observable changed yet.
        let mut fresh: Session<&str> = Session::default();
        let e = fresh.apply(Event::StorageChanged(stored("T", "ID")));
        assert!(e.restore && !e.notify);
    }

    #[test]
    fn other_tab_writing_our_own_session_changes_nothing() {
        let mut s = Session::default();
        login(&mut s, "alice", true);
        assert_eq!(
            s.apply(Event::StorageChanged(stored("alice-token", "alice-id"))),
            Effects::NONE
        );
        assert_eq!(s.user, Some("alice"));
    }
}
