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

/// Counts a failed login of `user_id` at `now`, locking the account at the threshold. Returns
/// whether this failure locked it. Blocking (run it on a blocking thread).
pub fn record_failure(
    store: &Store,
    user_id: &str,
    rules: Rules,
    now: i64,
) -> Result<bool, StoreError> {
    let locked = store.record_failed_login(
        user_id,
        now,
        now.saturating_sub(rules.window_ms),
        rules.threshold,
        now.saturating_add(rules.duration_ms),
    )?;
    if locked {
        tracing::info!(user = %user_id, "account locked after too many failed logins");
    }
    Ok(locked)
}
