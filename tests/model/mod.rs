//! A reference model of the session rules for overlapping calls (README, "Session rules"),
//! written apart from the SDK to check it: plain data, no browser, no SDK types.
//!
//! - A session call (login, loginAsGuest, logout) is stamped when it is made; the last one made
//!   wins. An answer takes effect only if no later-made change took effect before it; otherwise
//!   the call is superseded and changes nothing.
//! - A login identical to one still waiting for its answer (same user, password and
//!   stayLoggedIn) shares it, and counts as made when the later of them was.
//! - A logout that takes effect ends the session whatever the server answered.
//! - The server saying a token is dead (`isValidLogin` false, 3064) ends the session only if
//!   that token is still the session's.
//! - Another tab ending a shared (stored) session ends it here at once; calls in flight here
//!   still take effect when they answer (the other tabs then follow them).
//! - The stored map holds the session only when it was made with stayLoggedIn.
#![allow(dead_code)]

/// A session as the page sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub user_id: String,
    pub token: String,
    pub stay: bool,
}

/// How a call settles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Resolved; it took effect (for session calls).
    Resolved,
    /// Rejected with this error `name`, having changed nothing (or, for a logout, having ended
    /// the session all the same).
    Rejected(&'static str),
}

pub const SUPERSEDED: Outcome = Outcome::Rejected("SupersededError");

#[derive(Debug, Default)]
pub struct Model {
    pub session: Option<Held>,
    made: u32,
    in_force: u32,
}

impl Model {
    /// A session call is made now: its stamp.
    pub fn make(&mut self) -> u32 {
        self.made += 1;
        self.made
    }

    fn admit(&mut self, stamp: u32) -> bool {
        if stamp < self.in_force {
            return false;
        }
        self.in_force = stamp;
        true
    }

    /// A login (or guest login) made with `stamp` answered: `Ok(session)` or the error's name.
    pub fn login_answered(&mut self, stamp: u32, answer: Result<Held, &'static str>) -> Outcome {
        match answer {
            Err(name) => Outcome::Rejected(name),
            Ok(_) if !self.admit(stamp) => SUPERSEDED,
            Ok(held) => {
                self.session = Some(held);
                Outcome::Resolved
            }
        }
    }

    /// A logout made with `stamp` answered: `Ok` (or a session-ending code), or the error's
    /// name. With no session when it was made, it settles at once as `Ok`.
    pub fn logout_answered(&mut self, stamp: u32, answer: Result<(), &'static str>) -> Outcome {
        if !self.admit(stamp) {
            return SUPERSEDED;
        }
        self.session = None;
        match answer {
            Ok(()) => Outcome::Resolved,
            Err(name) => Outcome::Rejected(name),
        }
    }

    /// The server said `token` is not a session.
    pub fn token_dead(&mut self, token: &str) {
        if self
            .session
            .as_ref()
            .is_some_and(|held| held.token == token)
        {
            self.session = None;
        }
    }

    /// Another tab ended the stored session.
    pub fn other_tab_logged_out(&mut self) {
        if self.session.as_ref().is_some_and(|held| held.stay) {
            self.session = None;
        }
    }

    pub fn token(&self) -> Option<&str> {
        self.session.as_ref().map(|held| held.token.as_str())
    }

    /// The stored map's session keys, as `(user-token, current-user-id)`.
    pub fn stored(&self) -> Option<(&str, &str)> {
        self.session
            .as_ref()
            .filter(|held| held.stay)
            .map(|held| (held.token.as_str(), held.user_id.as_str()))
    }
}

/// A small deterministic generator (xorshift64*), so a failing sequence replays from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}
