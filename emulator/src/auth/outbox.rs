//! The "mail" the local server would send: confirmation messages kept in memory, bounded, for
//! tests and people to read at `GET /__emulator/outbox`, as the Firebase Auth Emulator exposes
//! its out-of-band codes. Each carries a single-use CSPRNG code; opening its link confirms the
//! account, or (an e-mail change) makes the address it went to the account's.

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
    /// What it is: `confirmation`, or `email-change` (confirms a new address).
    pub kind: &'static str,
    /// The code its link carries.
    pub code: String,
    /// The account it confirms.
    user_id: String,
    /// For an e-mail change: the address the account takes when the link is opened.
    new_email: Option<String>,
    /// The link was opened already (it works once).
    used: bool,
}

/// What opening a link does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    /// The account.
    pub user_id: String,
    /// The address it takes, for an e-mail change.
    pub new_email: Option<String>,
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
        self.confirming(to, user_id, "confirmation").map(drop)
    }

    /// Records a confirmation link handed to business logic (`createEmailConfirmationURL`), not
    /// mailed: kind `confirmation-url`. Its code.
    pub fn confirmation_url(&self, to: &str, user_id: &str) -> Result<String, RandomnessError> {
        self.confirming(to, user_id, "confirmation-url")
    }

    fn confirming(
        &self,
        to: &str,
        user_id: &str,
        kind: &'static str,
    ) -> Result<String, RandomnessError> {
        let code = new_secret()?;
        self.push(Mail {
            to: to.to_string(),
            kind,
            code: code.clone(),
            user_id: user_id.to_string(),
            new_email: None,
            used: false,
        });
        Ok(code)
    }

    /// Records the confirmation of `new_email` as the address of `user_id`. An account has one
    /// pending change at a time: an earlier unopened one is dropped, so a user cannot flood the
    /// outbox (and push other people's links out) by changing its address over and over.
    pub fn email_change(&self, new_email: &str, user_id: &str) -> Result<(), RandomnessError> {
        let mail = Mail {
            to: new_email.to_string(),
            kind: "email-change",
            code: new_secret()?,
            user_id: user_id.to_string(),
            new_email: Some(new_email.to_string()),
            used: false,
        };
        self.lock()
            .retain(|old| old.used || old.new_email.is_none() || old.user_id != user_id);
        self.push(mail);
        Ok(())
    }

    fn push(&self, mail: Mail) {
        let mut mails = self.lock();
        while mails.len() >= MAX_MAILS {
            mails.pop_front();
        }
        mails.push_back(mail);
    }

    /// What the unused code `code` does, marking it used.
    pub fn redeem(&self, code: &str) -> Option<Redeemed> {
        let mut mails = self.lock();
        let mail = mails
            .iter_mut()
            .find(|mail| !mail.used && mail.code == code)?;
        mail.used = true;
        Some(Redeemed {
            user_id: mail.user_id.clone(),
            new_email: mail.new_email.clone(),
        })
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
        assert_eq!(
            outbox
                .redeem(&code)
                .map(|redeemed| redeemed.user_id)
                .as_deref(),
            Some("A")
        );
        assert_eq!(outbox.redeem(&code), None);
        for index in 0..MAX_MAILS {
            outbox.confirmation(&format!("{index}@x.io"), "B").unwrap();
        }
        assert_eq!(outbox.list().len(), MAX_MAILS);
        assert_eq!(outbox.list()[0].to, "0@x.io");
    }

    #[test]
    fn an_account_has_one_pending_email_change() {
        let outbox = Outbox::default();
        outbox.confirmation("a@x.io", "A").unwrap();
        for index in 0..5 {
            outbox.email_change(&format!("a{index}@x.io"), "A").unwrap();
        }
        outbox.email_change("b2@x.io", "B").unwrap();
        let mails = outbox.list();
        let kinds: Vec<(&str, &str)> = mails
            .iter()
            .map(|mail| (mail.kind, mail.to.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("confirmation", "a@x.io"),
                ("email-change", "a4@x.io"),
                ("email-change", "b2@x.io")
            ]
        );
        assert_eq!(
            outbox.redeem(&mails[1].code),
            Some(Redeemed {
                user_id: "A".into(),
                new_email: Some("a4@x.io".into())
            })
        );
    }
}
