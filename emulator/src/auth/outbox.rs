//! The "mail" the local server would send: confirmation messages kept in memory, bounded, for
//! tests and people to read at `GET /__emulator/outbox`, as the Firebase Auth Emulator exposes
//! its out-of-band codes. Each carries a single-use CSPRNG code; opening its link confirms the
//! account, or (an e-mail change) makes the address it went to the account's.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};

use crate::ids::{new_secret, RandomnessError};

/// Messages kept; beyond it, the oldest of the client that asked for the most go (their codes
/// with them).
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
    /// The client (IP address) whose request made it; `None` for business logic's.
    client: Option<IpAddr>,
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

    /// Records a confirmation message to `to` for the account `user_id`, asked for by `client`.
    pub fn confirmation(
        &self,
        to: &str,
        user_id: &str,
        client: Option<IpAddr>,
    ) -> Result<(), RandomnessError> {
        self.confirming(to, user_id, "confirmation", client)
            .map(drop)
    }

    /// Records a confirmation link handed to business logic (`createEmailConfirmationURL`), not
    /// mailed: kind `confirmation-url`. Its code.
    pub fn confirmation_url(&self, to: &str, user_id: &str) -> Result<String, RandomnessError> {
        self.confirming(to, user_id, "confirmation-url", None)
    }

    fn confirming(
        &self,
        to: &str,
        user_id: &str,
        kind: &'static str,
        client: Option<IpAddr>,
    ) -> Result<String, RandomnessError> {
        let code = new_secret()?;
        self.push(Mail {
            to: to.to_string(),
            kind,
            code: code.clone(),
            user_id: user_id.to_string(),
            new_email: None,
            used: false,
            client,
        });
        Ok(code)
    }

    /// Records the confirmation of `new_email` as the address of `user_id`. An account has one
    /// pending change at a time: an earlier unopened one is dropped, so a user cannot flood the
    /// outbox (and push other people's links out) by changing its address over and over.
    pub fn email_change(
        &self,
        new_email: &str,
        user_id: &str,
        client: Option<IpAddr>,
    ) -> Result<(), RandomnessError> {
        let mail = Mail {
            to: new_email.to_string(),
            kind: "email-change",
            code: new_secret()?,
            user_id: user_id.to_string(),
            new_email: Some(new_email.to_string()),
            used: false,
            client,
        };
        self.lock()
            .retain(|old| old.used || old.new_email.is_none() || old.user_id != user_id);
        self.push(mail);
        Ok(())
    }

    /// Adds `mail`. When the outbox is full, the oldest message of the client with the most
    /// (this one counted) goes: a client that floods it, by registering accounts or asking for
    /// mails from many addresses of one account, pushes out its own links, not other people's.
    fn push(&self, mail: Mail) {
        let mut mails = self.lock();
        if mails.len() >= MAX_MAILS {
            let mut counts: HashMap<Option<IpAddr>, usize> = HashMap::new();
            for client in mails
                .iter()
                .map(|queued| queued.client)
                .chain([mail.client])
            {
                *counts.entry(client).or_default() += 1;
            }
            let most = counts.values().copied().max().unwrap_or(0);
            match mails
                .iter()
                .position(|queued| counts[&queued.client] == most)
            {
                Some(oldest) => drop(mails.remove(oldest)),
                // Only the new message's client has that many: its earlier ones are all it has.
                None => drop(mails.pop_front()),
            }
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
        outbox.confirmation("a@x.io", "A", None).unwrap();
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
            outbox
                .confirmation(&format!("{index}@x.io"), "B", None)
                .unwrap();
        }
        assert_eq!(outbox.list().len(), MAX_MAILS);
        assert_eq!(outbox.list()[0].to, "0@x.io");
    }

    #[test]
    fn an_account_has_one_pending_email_change() {
        let outbox = Outbox::default();
        outbox.confirmation("a@x.io", "A", None).unwrap();
        for index in 0..5 {
            outbox
                .email_change(&format!("a{index}@x.io"), "A", None)
                .unwrap();
        }
        outbox.email_change("b2@x.io", "B", None).unwrap();
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

    #[test]
    fn a_full_outbox_drops_the_oldest_message_of_the_client_with_the_most() {
        let outbox = Outbox::default();
        let (victim, flooder) = (Some([10, 0, 0, 1].into()), Some([10, 0, 0, 2].into()));
        outbox.confirmation("victim@x.io", "V", victim).unwrap();
        outbox.email_change("new@x.io", "W", victim).unwrap();
        for index in 0..3 * MAX_MAILS {
            let to = format!("{index}@x.io");
            outbox
                .confirmation(&to, &index.to_string(), flooder)
                .unwrap();
        }
        let mails = outbox.list();
        assert_eq!(mails.len(), MAX_MAILS);
        assert_eq!(
            (mails[0].to.as_str(), mails[1].to.as_str()),
            ("victim@x.io", "new@x.io")
        );
        let first_kept = 3 * MAX_MAILS - (MAX_MAILS - 2);
        assert_eq!(mails[2].to, format!("{first_kept}@x.io"));
        // A second flood pushes out the first one's messages until the two hold as many; the
        // victim's stay.
        let other = Some([10, 0, 0, 3].into());
        for index in 0..MAX_MAILS {
            outbox
                .confirmation(&format!("o{index}@x.io"), "O", other)
                .unwrap();
        }
        let mails = outbox.list();
        let from = |client| mails.iter().filter(|mail| mail.client == client).count();
        assert_eq!((from(victim), from(flooder), from(other)), (2, 499, 499));
    }
}
