//! Lockout: with it on, the logins of one account take turns from the lock check to the end of the
//! password check, and each failure is counted (locking the account at the threshold).
//!
//! The turns make a burst of parallel guesses meet the lock the earlier ones set: without them every
//! guess of the burst would be checked against the password, whatever the threshold.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

use super::secs_to_ms;
use crate::config::Policy;
use crate::store::{Store, StoreError};

/// One async mutex per account that someone is logging in to right now.
#[derive(Default)]
pub struct Turns(Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>);

/// An account's turn, held from the lock check to the end of its password check.
pub type Turn = OwnedMutexGuard<()>;

impl Turns {
    /// Waits for the turn of account `user_id`.
    pub async fn take(&self, user_id: &str) -> Turn {
        let turn = {
            let mut turns = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match turns.get(user_id).and_then(Weak::upgrade) {
                Some(turn) => turn,
                None => {
                    // Entries of accounts nobody is logging in to are dropped as the map grows.
                    if turns.len() >= 64 {
                        turns.retain(|_, turn| turn.strong_count() > 0);
                    }
                    let turn = Arc::new(tokio::sync::Mutex::new(()));
                    turns.insert(user_id.to_owned(), Arc::downgrade(&turn));
                    turn
                }
            }
        };
        turn.lock_owned().await
    }
}

/// The lockout rules of a policy, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Failures within the window that lock the account; 0 = lockout off.
    pub threshold: u32,
    /// The window, ms.
    pub window_ms: i64,
    /// How long a lock lasts, ms.
    pub duration_ms: i64,
}

impl Rules {
    /// The rules of `policy`.
    pub fn of(policy: &Policy) -> Self {
        Self {
            threshold: policy.lockout_threshold,
            window_ms: secs_to_ms(policy.lockout_window_secs),
            duration_ms: secs_to_ms(policy.lockout_duration_secs),
        }
    }

    /// Whether lockout is on.
    pub fn is_on(&self) -> bool {
        self.threshold > 0
    }
}

/// Counts a failed login of `user_id` at `now`, locking the account at the threshold (and
/// forgetting its failures), in one committed transaction. Returns whether this failure locked
/// it. Blocking (run it on a blocking thread).
pub fn record_failure(
    store: &Store,
    user_id: &str,
    rules: Rules,
    now: i64,
) -> Result<bool, StoreError> {
    let locked = store.transaction(|tx| {
        let window_start = now.saturating_sub(rules.window_ms);
        let Some(failures) = tx.add_failure(user_id, now, window_start)? else {
            return Ok::<_, StoreError>(false);
        };
        let locks = rules.is_on() && failures >= rules.threshold;
        if locks {
            tx.lock_user(user_id, now.saturating_add(rules.duration_ms))?;
        }
        Ok(locks)
    })?;
    if locked {
        tracing::info!(user = %user_id, "account locked after too many failed logins");
    }
    Ok(locked)
}

/// What a failed login of an identity nobody has writes instead of [`record_failure`], so that
/// its answer takes as long as a known account's (no telling accounts apart by time): the same
/// statements in a committed transaction, on a table nothing reads. Returns the decoy count (the
/// failures within the window), for tests. Blocking.
pub fn equalise_unknown_identity(store: &Store, rules: Rules, now: i64) -> Result<u32, StoreError> {
    store.transaction(|tx| tx.add_decoy_failure(now, now.saturating_sub(rules.window_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::UserRecord;

    const RULES: Rules = Rules {
        threshold: 3,
        window_ms: 250,
        duration_ms: 1000,
    };

    fn store_with(id: &str) -> Store {
        let store = Store::open(":memory:").unwrap();
        store
            .insert_user(&UserRecord::sample(id, &format!("{id}@x.io")))
            .unwrap();
        store
    }

    #[test]
    fn failures_within_the_window_lock_at_the_threshold() {
        let store = store_with("A");
        assert!(!record_failure(&store, "A", RULES, 100).unwrap());
        assert!(!record_failure(&store, "A", RULES, 200).unwrap());
        // The first failure fell out of the window (400 - 250 = 150): still two.
        assert!(!record_failure(&store, "A", RULES, 400).unwrap());
        assert!(record_failure(&store, "A", RULES, 420).unwrap());
        let locked = store.user_by_id("A").unwrap().unwrap();
        assert_eq!(locked.locked_until, Some(1420));
        // The lock forgot the count: the next failures start again.
        assert!(!record_failure(&store, "A", RULES, 430).unwrap());
        // An account that is gone is not counted.
        assert!(!record_failure(&store, "nobody", RULES, 440).unwrap());
    }

    #[test]
    fn the_decoy_for_unknown_identities_writes_within_the_window_and_touches_no_account() {
        let store = store_with("A");
        assert_eq!(equalise_unknown_identity(&store, RULES, 100).unwrap(), 1);
        assert_eq!(equalise_unknown_identity(&store, RULES, 200).unwrap(), 2);
        assert_eq!(equalise_unknown_identity(&store, RULES, 400).unwrap(), 2);
        let account = store.user_by_id("A").unwrap().unwrap();
        assert_eq!(account.locked_until, None);
        assert!(!record_failure(&store, "A", RULES, 410).unwrap());
    }
}
