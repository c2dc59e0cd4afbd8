//! The "mail" the local server would send: confirmation messages kept in memory, bounded, for
//! tests and people to read at `GET /__emulator/outbox`, as the Firebase Auth Emulator exposes
//! its out-of-band codes. Each carries a single-use CSPRNG code; opening its link confirms the
//! account.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use crate::ids::{new_secret, RandomnessError};

/// Messages kept; the oldest go first (their codes with them).
pub const MAX_MAILS: usize = 1000;

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The address it went to.
    pub to: String,
    /// What it is: `confirmation`.
    pub kind: &'static str,
    /// The code its link carries.
    pub code: String,
    /// The account it confirms.
    user_id: String,
    /// The link was opened already (it works once).
    used: bool,
}

/// The outbox.
#[derive(Debug, Default)]
pub struct Outbox {
    mails: Mutex<VecDeque<Mail>>,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Mail>> {
        // Every critical section leaves the queue consistent.
        self.mails
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a confirmation message to `to` for the account `user_id`.
    pub fn confirmation(&self, to: &str, user_id: &str) -> Result<(), RandomnessError> {
        let mail = Mail {
            to: to.to_string(),
            kind: "confirmation",
            code: new_secret()?,
            user_id: user_id.to_string(),
            used: false,
        };
        let mut mails = self.lock();
        while mails.len() >= MAX_MAILS {
            mails.pop_front();
        }
        mails.push_back(mail);
        Ok(())
    }

    /// The account whose unused code this is, marking it used.
    pub fn redeem(&self, code: &str) -> Option<String> {
        let mut mails = self.lock();
        let mail = mails
            .iter_mut()
            .find(|mail| !mail.used && mail.code == code)?;
        mail.used = true;
        Some(mail.user_id.clone())
    }

    /// Every message kept, oldest first.
    pub fn list(&self) -> Vec<Mail> {
        self.lock().iter().cloned().collect()
    }

    /// Forgets every message (reset).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_work_once_and_the_oldest_go_first() {
        let outbox = Outbox::default();
        outbox.confirmation("a@x.io", "A").unwrap();
        let code = outbox.list()[0].code.clone();
        assert_eq!(code.len(), 64);
        assert_eq!(outbox.redeem(&code).as_deref(), Some("A"));
        assert_eq!(outbox.redeem(&code), None);
        for index in 0..MAX_MAILS {
            outbox.confirmation(&format!("{index}@x.io"), "B").unwrap();
        }
        assert_eq!(outbox.list().len(), MAX_MAILS);
        assert_eq!(outbox.list()[0].to, "0@x.io");
    }
}
