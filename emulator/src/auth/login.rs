//! The login flow, step by step: the app's switches, the account, its lock and turn, the password,
//! the account's status, and the session policy. Checking the request body is the route's job; it
//! hands over [`Credentials`].

use serde_json::Value;

use super::lockout::{self, Rules, Turn};
use super::{new_token, secs_to_ms, with_token, Auth, AuthError};
use crate::config::Policy;
use crate::store::SessionRecord;
use crate::user::{UserRecord, UserStatus};

/// A login request's login and password: two non-empty strings.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The identity as typed (compared without case).
    pub login: String,
    /// The password.
    pub password: String,
}

impl Auth {
    /// The app-level switches, checked before the request body is looked at (3001, 3034).
    pub fn check_logins_open(&self) -> Result<(), AuthError> {
        let policy = self.policy();
        if policy.login_settings_missing {
            return Err(AuthError::MissingLoginSettings);
        }
        if policy.logins_disabled {
            return Err(AuthError::LoginsDisabledForApp);
        }
        Ok(())
    }

    /// `POST users/login`: the user with a fresh `user-token`.
    pub async fn login(&self, credentials: Credentials) -> Result<Value, AuthError> {
        self.check_logins_open()?;
        let policy = self.policy();
        let rules = Rules::of(&policy);
        let Credentials { login, password } = credentials;
        let Some(user) = self
            .blocking(move |store| store.user_by_identity(&login))
            .await?
        else {
            return Err(self.refuse_unknown_identity(password, rules).await?);
        };
        let (user, turn) = self.take_turn(user, rules).await?;
        if user.locked_until.is_some_and(|until| until > self.now_ms()) {
            tracing::info!(user = %user.object_id, "login refused: account locked");
            return Err(AuthError::AccountLocked);
        }
        let verified = self
            .passwords
            .verify(password, user.password_hash.clone())
            .await?;
        if !verified {
            tracing::info!(user = %user.object_id, "failed login: invalid login or password");
            if rules.is_on() {
                // Counted (and committed) before the answer, inside the account's turn: the next
                // guess meets the lock it may set, a crash right after the answer cannot lose it,
                // and if it cannot be written the guess gets the same refusal as a right password
                // whose session cannot be written (fail closed: no verdict, no unlimited guesses).
                let user_id = user.object_id.clone();
                let now = self.now_ms();
                self.blocking(move |store| lockout::record_failure(store, &user_id, rules, now))
                    .await?;
            }
            drop(turn);
            return Err(AuthError::InvalidLogin);
        }
        drop(turn);
        // Only someone who knows the password learns the account's status.
        match user.status {
            UserStatus::Enabled => {}
            UserStatus::Disabled => return Err(AuthError::LoginDisabledForUser),
            UserStatus::EmailConfirmationPending => return Err(AuthError::EmailNotConfirmed),
            UserStatus::Guest => return Err(AuthError::InvalidLogin),
        }
        self.open_session(user, policy).await
    }

    /// An identity nobody has: the same work as for a known user (always a password hash; with
    /// lockout on, re-reading the account and committing a failure), then the same refusal.
    async fn refuse_unknown_identity(
        &self,
        password: String,
        rules: Rules,
    ) -> Result<AuthError, AuthError> {
        if rules.is_on() {
            self.blocking(|store| store.user_by_id("")).await?;
        }
        self.passwords.verify(password, None).await?;
        if rules.is_on() {
            let now = self.now_ms();
            self.blocking(move |store| lockout::equalise_unknown_identity(store, rules, now))
                .await?;
        }
        tracing::info!("failed login: invalid login or password");
        Ok(AuthError::InvalidLogin)
    }

    /// With lockout on, waits for the account's turn and reads the account afresh: a guess that
    /// waited behind failing ones meets the lock they set.
    async fn take_turn(
        &self,
        user: UserRecord,
        rules: Rules,
    ) -> Result<(UserRecord, Option<Turn>), AuthError> {
        if !rules.is_on() {
            return Ok((user, None));
        }
        let turn = self.turns.take(&user.object_id).await;
        let id = user.object_id.clone();
        match self.blocking(move |store| store.user_by_id(&id)).await? {
            Some(fresh) => Ok((fresh, Some(turn))),
            None => Err(AuthError::InvalidLogin),
        }
    }

    /// A session for a user whose password checked out, within the session policy (3002, 3044).
    pub(super) async fn open_session(
        &self,
        user: UserRecord,
        policy: Policy,
    ) -> Result<Value, AuthError> {
        let (token, digest) = new_token()?;
        let user_id = user.object_id.clone();
        let seen = user.clone();
        let store = self.store.clone();
        let sessions = self.sessions.clone();
        let gate = self.session_gate.clone();
        let clock = self.clock.clone();
        let timeout_ms = secs_to_ms(policy.session_timeout_secs);
        let opened = tokio::task::spawn_blocking(move || {
            let _gate = gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = clock.now_ms();
            check_session_policy(&policy, sessions.live_count(&user_id, now, timeout_ms))?;
            let session = SessionRecord {
                token_digest: digest,
                user_id,
                last_activity: now,
            };
            match store.record_login(&session, &seen)? {
                Some(user) => {
                    sessions.insert(&session);
                    Ok(user)
                }
                // Gone (a reset), or its password or status changed, since the checks above.
                None => Err(AuthError::InvalidLogin),
            }
        })
        .await
        .map_err(|error| crate::store::StoreError::Task(error.to_string()))?;
        match opened {
            Ok(user) => {
                tracing::info!(user = %user.object_id, "logged in");
                Ok(with_token(&user, &token))
            }
            Err(error) => {
                if !matches!(error, AuthError::Store(_)) {
                    tracing::info!(user = %user.object_id, %error, "login refused by session policy");
                }
                Err(error)
            }
        }
    }
}

/// The session policy on one more session for an account that has `live` ones (3002, 3044).
pub(super) fn check_session_policy(policy: &Policy, live: usize) -> Result<(), AuthError> {
    if !policy.allow_multiple_logins && live > 0 {
        return Err(AuthError::MultipleLoginsDisabled);
    }
    if policy.max_concurrent_logins > 0 && live >= policy.max_concurrent_logins as usize {
        return Err(AuthError::LoginLimitReached);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::clock::SystemClock;
    use crate::config::SeedUser;
    use crate::store::Store;

    const LOGIN: &str = "victim@x.io";
    const OLD: &str = "old-password";

    async fn auth() -> Arc<Auth> {
        let store = Arc::new(Store::open(":memory:").unwrap());
        let seed = SeedUser {
            login: LOGIN.into(),
            password: OLD.into(),
        };
        let clock = Arc::new(SystemClock);
        Arc::new(
            Auth::new(store, Policy::default(), vec![seed], vec![], 4, clock)
                .await
                .unwrap(),
        )
    }

    fn credentials(password: &str) -> Credentials {
        Credentials {
            login: LOGIN.into(),
            password: password.into(),
        }
    }

    /// A login of `password` stopped after its password checked out (at the session gate), while
    /// `meanwhile` runs; then let through. (The gate is a std mutex held across awaits on purpose:
    /// the login waits for it on a blocking thread, not on this task.)
    #[allow(clippy::await_holding_lock)]
    async fn login_across(
        auth: &Arc<Auth>,
        password: &str,
        meanwhile: impl Future<Output = ()>,
    ) -> Result<Value, AuthError> {
        let gate = auth.session_gate.clone();
        let held = gate.lock().unwrap();
        let login = tokio::spawn({
            let (auth, credentials) = (auth.clone(), credentials(password));
            async move { auth.login(credentials).await }
        });
        // `open_session` takes its own handle on the gate once the password has checked out.
        while Arc::strong_count(&gate) < 3 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        meanwhile.await;
        drop(held);
        login.await.unwrap()
    }

    #[tokio::test]
    async fn a_login_with_a_password_replaced_during_its_check_gets_no_session() {
        let auth = auth().await;
        let owner = auth.login(credentials(OLD)).await.unwrap();
        let (id, token) = (
            owner["objectId"].as_str().unwrap(),
            owner["user-token"].as_str().unwrap(),
        );
        let change = async {
            let body = Ok(json!({"password": "new-password"}));
            auth.update_user(id, Some(token), body, None).await.unwrap();
        };
        let raced = login_across(&auth, OLD, change).await;
        assert!(matches!(raced, Err(AuthError::InvalidLogin)), "{raced:?}");
        assert_eq!(
            auth.sessions.live_count(id, auth.now_ms(), 0),
            1,
            "only the owner's session"
        );
        assert!(auth.login(credentials("new-password")).await.is_ok());
    }

    #[tokio::test]
    async fn a_login_of_an_account_disabled_during_its_check_gets_no_session() {
        let auth = auth().await;
        let id = auth.login(credentials(OLD)).await.unwrap()["objectId"]
            .as_str()
            .unwrap()
            .to_string();
        let disable = async {
            auth.set_user_status(&id, &json!("DISABLED")).await.unwrap();
        };
        let raced = login_across(&auth, OLD, disable).await;
        assert!(matches!(raced, Err(AuthError::InvalidLogin)), "{raced:?}");
        assert_eq!(auth.sessions.live_count(&id, auth.now_ms(), 0), 0);
    }
}
