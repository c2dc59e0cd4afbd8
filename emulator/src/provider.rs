//! The local identity provider's memory: fake accounts, authorization codes, access tokens
//! (OAuth2 bearer tokens, and OAuth1 token + secret pairs), and the Backendless side's pending
//! redirect and popup logins (by `state`). In memory and bounded: expired
//! entries are evicted first when a table is full; a table still full refuses (503).
//!
//! Every code, token and state is 256 bits from the OS CSPRNG ([`crate::ids::new_secret`]).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clock::SharedClock;
use crate::ids::{constant_time_eq, new_secret, new_uuid, RandomnessError};
use crate::user::{identity_key, is_valid_email};

/// Fake accounts kept (they do not expire).
pub const MAX_ACCOUNTS: usize = 10_000;
/// Access tokens kept.
pub const MAX_TOKENS: usize = 100_000;
/// An access token's life.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Authorization codes kept.
pub const MAX_CODES: usize = 10_000;
/// An authorization code's life.
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// Pending redirect logins kept.
pub const MAX_PENDING: usize = 10_000;
/// How long a redirect login may take, from `request_url` to the callback.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
/// Longest display name (characters).
pub const MAX_NAME_CHARS: usize = 128;
/// Longest email (characters).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A fake account at a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Its id at the provider.
    pub id: String,
    /// Its email (unique per provider, without case).
    pub email: String,
    /// Its display name.
    pub name: String,
}

/// A redirect login between `request_url` and the callback.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingLogin {
    /// The provider's code.
    pub provider: String,
    /// The Backendless callback URL the provider must send the browser back to.
    pub callback: String,
    /// The request's `fieldsMapping`, checked.
    pub fields_mapping: crate::auth::oauth::FieldsMapping,
    /// Where the browser goes once signed in, if anywhere.
    pub redirect_after: Option<String>,
    /// A popup login (`users/social/oauth/{type}/request_url`): its end page hands the session
    /// to the window that opened it, instead of redirecting.
    pub popup: Option<Popup>,
}

/// A popup login's end: the origin that started it, the only one its end page posts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    /// The `Origin` of the page that asked for the sign-in URL; `None` if it sent none (then the
    /// end page posts nothing).
    pub origin: Option<String>,
}

/// An access token's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IssuedToken {
    provider: String,
    account_id: String,
    /// The OAuth1 token secret; `None` for an OAuth2 bearer token.
    secret: Option<String>,
}

/// An authorization code's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    /// The provider's code.
    pub provider: String,
    /// The account that signed in.
    pub account_id: String,
    /// Where the code was sent.
    pub redirect_uri: String,
    /// The state it came with.
    pub state: String,
}

/// Why the provider could not do it.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A table is at its bound.
    #[error("busy")]
    Busy,
    /// The email or name is not acceptable; says which.
    #[error("{0}")]
    Invalid(&'static str),
    /// No randomness.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
}

struct Expiring<T> {
    value: T,
    expires: Instant,
}

#[derive(Default)]
struct Tables {
    /// By account id: (provider, account).
    accounts: HashMap<String, (String, Account)>,
    /// (provider, identity key of the email) → account id.
    by_email: HashMap<(String, String), String>,
    /// Access token → its provider, account and (OAuth1) secret.
    tokens: HashMap<String, Expiring<IssuedToken>>,
    codes: HashMap<String, Expiring<IssuedCode>>,
    pending: HashMap<String, Expiring<PendingLogin>>,
}

/// Inserts under a fresh key unless the table is full of live entries.
fn insert_bounded<T>(
    table: &mut HashMap<String, Expiring<T>>,
    value: T,
    ttl: Duration,
    max: usize,
    now: Instant,
) -> Result<String, ProviderError> {
    if table.len() >= max {
        table.retain(|_, entry| entry.expires > now);
        if table.len() >= max {
            return Err(ProviderError::Busy);
        }
    }
    let key = new_secret()?;
    table.insert(
        key.clone(),
        Expiring {
            value,
            expires: now + ttl,
        },
    );
    Ok(key)
}

/// Removes and returns a live entry (an expired one is removed too, and is `None`).
fn take_live<T>(table: &mut HashMap<String, Expiring<T>>, key: &str, now: Instant) -> Option<T> {
    let entry = table.remove(key)?;
    (entry.expires > now).then_some(entry.value)
}

/// The provider codes enabled and their tables.
pub struct LocalProvider {
    codes: Vec<String>,
    tables: Mutex<Tables>,
    clock: SharedClock,
}

impl LocalProvider {
    /// The providers `codes` (checked by the configuration), with nothing in them.
    pub fn new(codes: Vec<String>, clock: SharedClock) -> Self {
        Self {
            codes,
            tables: Mutex::new(Tables::default()),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // Every critical section leaves the tables consistent.
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `code` is an enabled provider.
    pub fn is_enabled(&self, code: &str) -> bool {
        self.codes.iter().any(|known| known == code)
    }

    /// The account with this email at `provider`, created (named `name`, else the email's local
    /// part) if there is none.
    pub fn account(
        &self,
        provider: &str,
        email: &str,
        name: Option<&str>,
    ) -> Result<Account, ProviderError> {
        let email = email.trim();
        if email.chars().count() > MAX_EMAIL_CHARS || !is_valid_email(email) {
            return Err(ProviderError::Invalid(
                "email must be a valid email address",
            ));
        }
        let name = name.map(str::trim).filter(|name| !name.is_empty());
        if name.is_some_and(|name| {
            name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control)
        }) {
            return Err(ProviderError::Invalid(
                "name must be at most 128 characters, without control characters",
            ));
        }
        let key = (provider.to_string(), identity_key(email));
        let mut tables = self.lock();
        if let Some(account) = tables
            .by_email
            .get(&key)
            .and_then(|id| tables.accounts.get(id))
        {
            return Ok(account.1.clone());
        }
        if tables.accounts.len() >= MAX_ACCOUNTS {
            return Err(ProviderError::Busy);
        }
        let account = Account {
            id: new_uuid()?.to_ascii_lowercase(),
            email: email.to_string(),
            name: name
                .unwrap_or_else(|| email.split('@').next().unwrap_or(email))
                .to_string(),
        };
        tables.by_email.insert(key, account.id.clone());
        tables
            .accounts
            .insert(account.id.clone(), (provider.to_string(), account.clone()));
        Ok(account)
    }

    /// The accounts of `provider`, by email.
    pub fn accounts(&self, provider: &str) -> Vec<Account> {
        let mut accounts: Vec<Account> = self
            .lock()
            .accounts
            .values()
            .filter(|(owner, _)| owner == provider)
            .map(|(_, account)| account.clone())
            .collect();
        accounts.sort_by(|a, b| a.email.cmp(&b.email));
        accounts
    }

    /// The account `id` of `provider`.
    pub fn account_by_id(&self, provider: &str, id: &str) -> Option<Account> {
        self.lock()
            .accounts
            .get(id)
            .filter(|(owner, _)| owner == provider)
            .map(|(_, account)| account.clone())
    }

    /// A new (OAuth2 bearer) access token for the account `account_id` of `provider`.
    pub fn issue_token(&self, provider: &str, account_id: &str) -> Result<String, ProviderError> {
        let issued = IssuedToken {
            provider: provider.to_string(),
            account_id: account_id.to_string(),
            secret: None,
        };
        let now = self.clock.instant();
        insert_bounded(&mut self.lock().tokens, issued, TOKEN_TTL, MAX_TOKENS, now)
    }

    /// A new OAuth1 access token and its token secret for the account `account_id` of
    /// `provider` (what `loginWithOauth1` sends, e.g. for Twitter).
    pub fn issue_oauth1_token(
        &self,
        provider: &str,
        account_id: &str,
    ) -> Result<(String, String), ProviderError> {
        let secret = new_secret()?;
        let issued = IssuedToken {
            provider: provider.to_string(),
            account_id: account_id.to_string(),
            secret: Some(secret.clone()),
        };
        let now = self.clock.instant();
        let token = insert_bounded(&mut self.lock().tokens, issued, TOKEN_TTL, MAX_TOKENS, now)?;
        Ok((token, secret))
    }

    /// The account a live OAuth2 access token of `provider` stands for (an OAuth1 token, which
    /// needs its secret, stands for none here).
    pub fn token_account(&self, provider: &str, token: &str) -> Option<Account> {
        self.live_token(provider, token, None)
    }

    /// The account a live OAuth1 access token of `provider` stands for, if `secret` is its
    /// token secret (compared in constant time); an OAuth2 token stands for none here.
    pub fn oauth1_token_account(
        &self,
        provider: &str,
        token: &str,
        secret: &str,
    ) -> Option<Account> {
        self.live_token(provider, token, Some(secret))
    }

    fn live_token(&self, provider: &str, token: &str, secret: Option<&str>) -> Option<Account> {
        let tables = self.lock();
        let entry = tables.tokens.get(token)?;
        if entry.expires <= self.clock.instant() || entry.value.provider != provider {
            return None;
        }
        let matches = match (&entry.value.secret, secret) {
            (None, None) => true,
            (Some(issued), Some(sent)) => constant_time_eq(issued.as_bytes(), sent.as_bytes()),
            _ => false,
        };
        if !matches {
            return None;
        }
        tables
            .accounts
            .get(&entry.value.account_id)
            .map(|(_, account)| account.clone())
    }

    /// A new single-use authorization code.
    pub fn issue_code(&self, code: IssuedCode) -> Result<String, ProviderError> {
        let now = self.clock.instant();
        insert_bounded(&mut self.lock().codes, code, CODE_TTL, MAX_CODES, now)
    }

    /// Redeems an authorization code (once).
    pub fn take_code(&self, code: &str) -> Option<IssuedCode> {
        take_live(&mut self.lock().codes, code, self.clock.instant())
    }

    /// Records a redirect login; its `state`.
    pub fn start_login(&self, login: PendingLogin) -> Result<String, ProviderError> {
        let now = self.clock.instant();
        insert_bounded(
            &mut self.lock().pending,
            login,
            PENDING_TTL,
            MAX_PENDING,
            now,
        )
    }

    /// The redirect login `state` stands for, left in place (the provider's pages).
    pub fn pending(&self, state: &str) -> Option<PendingLogin> {
        let tables = self.lock();
        let entry = tables.pending.get(state)?;
        (entry.expires > self.clock.instant()).then(|| entry.value.clone())
    }

    /// Ends the redirect login `state` (the callback: once).
    pub fn take_login(&self, state: &str) -> Option<PendingLogin> {
        take_live(&mut self.lock().pending, state, self.clock.instant())
    }

    /// Forgets every account, code, token and pending login (reset).
    pub fn clear(&self) {
        *self.lock() = Tables::default();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{ShiftedClock, SystemClock};

    fn pending_login() -> PendingLogin {
        PendingLogin {
            provider: "a".into(),
            callback: "http://127.0.0.1/cb".into(),
            fields_mapping: Vec::new(),
            redirect_after: None,
            popup: None,
        }
    }

    #[test]
    fn oauth1_tokens_need_their_secret_and_oauth2_tokens_none() {
        let provider = LocalProvider::new(vec!["t".into()], Arc::new(SystemClock));
        let account = provider.account("t", "tw@x.io", None).unwrap();
        let (token, secret) = provider.issue_oauth1_token("t", &account.id).unwrap();
        assert_eq!(
            provider.oauth1_token_account("t", &token, &secret),
            Some(account.clone())
        );
        assert_eq!(provider.oauth1_token_account("t", &token, "wrong"), None);
        assert_eq!(provider.oauth1_token_account("t", &token, ""), None);
        assert_eq!(
            provider.token_account("t", &token),
            None,
            "no secret, no account"
        );
        let bearer = provider.issue_token("t", &account.id).unwrap();
        assert_eq!(provider.oauth1_token_account("t", &bearer, &secret), None);
        assert_eq!(provider.token_account("t", &bearer), Some(account));
    }

    #[test]
    fn accounts_are_found_by_email_per_provider_and_tokens_per_provider() {
        let provider = LocalProvider::new(vec!["a".into(), "b".into()], Arc::new(SystemClock));
        let first = provider.account("a", "Ann@x.io", Some("Ann")).unwrap();
        assert_eq!(provider.account("a", "ann@X.io", None).unwrap(), first);
        let other = provider.account("b", "ann@x.io", None).unwrap();
        assert_ne!(other.id, first.id);
        assert_eq!(other.name, "ann");
        let token = provider.issue_token("a", &first.id).unwrap();
        assert_eq!(provider.token_account("a", &token), Some(first.clone()));
        assert_eq!(provider.token_account("b", &token), None);
        assert!(matches!(
            provider.account("a", "not an email", None),
            Err(ProviderError::Invalid(_))
        ));
        assert!(matches!(
            provider.account("a", "c@x.io", Some("bad\u{7}")),
            Err(ProviderError::Invalid(_))
        ));
    }

    #[test]
    fn codes_and_states_are_single_use() {
        let provider = LocalProvider::new(vec!["a".into()], Arc::new(SystemClock));
        let issued = IssuedCode {
            provider: "a".into(),
            account_id: "X".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            state: "S".into(),
        };
        let code = provider.issue_code(issued.clone()).unwrap();
        assert_eq!(code.len(), 64);
        assert_eq!(provider.take_code(&code), Some(issued));
        assert_eq!(provider.take_code(&code), None);
        let state = provider.start_login(pending_login()).unwrap();
        assert!(provider.pending(&state).is_some());
        assert!(provider.take_login(&state).is_some());
        assert!(provider.take_login(&state).is_none());
    }

    #[test]
    fn a_full_table_evicts_expired_entries_first_then_refuses() {
        let mut table = HashMap::new();
        let now = Instant::now();
        let past = now - Duration::from_secs(1);
        table.insert(
            "old".to_string(),
            Expiring {
                value: 1,
                expires: past,
            },
        );
        insert_bounded(&mut table, 2, Duration::from_secs(60), 1, now).unwrap();
        assert!(!table.contains_key("old"));
        assert!(matches!(
            insert_bounded(&mut table, 3, Duration::from_secs(60), 1, now),
            Err(ProviderError::Busy)
        ));
    }

    #[test]
    fn tokens_codes_and_states_expire_after_their_ttl() {
        let clock = Arc::new(ShiftedClock::default());
        let provider = LocalProvider::new(vec!["a".into()], clock.clone());
        let account = provider.account("a", "t@x.io", None).unwrap();
        let token = provider.issue_token("a", &account.id).unwrap();
        let code = provider
            .issue_code(IssuedCode {
                provider: "a".into(),
                account_id: account.id.clone(),
                redirect_uri: "http://127.0.0.1/cb".into(),
                state: "S".into(),
            })
            .unwrap();
        let state = provider.start_login(pending_login()).unwrap();
        clock.advance(CODE_TTL);
        assert_eq!(provider.take_code(&code), None);
        assert!(provider.pending(&state).is_some());
        clock.advance(PENDING_TTL);
        assert!(provider.pending(&state).is_none());
        assert!(provider.token_account("a", &token).is_some());
        clock.advance(TOKEN_TTL);
        assert_eq!(provider.token_account("a", &token), None);
    }
}
