//! The login domain: registration, password checks, lockout, sessions and their policy.
//!
//! Handlers call this; this calls the store on blocking threads and never sees HTTP beyond the error type.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tokio::sync::OwnedMutexGuard;

use crate::config::{Policy, SeedUser};
use crate::error::ApiError;
use crate::ids::{new_uuid, token_digest};
use crate::password::{PasswordError, Passwords};
use crate::sessions::SessionCache;
use crate::store::{SessionRecord, Store, StoreError};
use crate::user::{UserRecord, UserStatus, SERVER_OWNED_PROPERTIES};

/// Current time in epoch milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store failure");
        ApiError::internal()
    }
}

impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        tracing::error!(%error, "password hashing failure");
        ApiError::internal()
    }
}

/// A login that passed its password check but that the session policy refuses.
enum SessionRefusal {
    Policy(ApiError),
    Store(StoreError),
}

/// The login service.
pub struct Auth {
    store: Arc<Store>,
    sessions: Arc<SessionCache>,
    policy: RwLock<Policy>,
    startup_policy: Policy,
    seed_users: Vec<SeedUser>,
    passwords: Passwords,
    /// Serialises "count live sessions, then add one" so two parallel logins cannot both pass a limit.
    session_gate: Arc<Mutex<()>>,
    /// With lockout on, one password check at a time per account (by objectId): a burst of parallel
    /// guesses then gets exactly the threshold's worth of checks, the rest meet the lock.
    login_turns: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

/// A new account as of now: a fresh objectId, never logged in, not locked.
fn new_user(
    email: Option<String>,
    password_hash: Option<String>,
    status: UserStatus,
    properties: Map<String, Value>,
) -> Result<UserRecord, ApiError> {
    let now = now_ms();
    Ok(UserRecord {
        object_id: new_uuid().map_err(|_| ApiError::internal())?,
        email,
        password_hash,
        status,
        created: now,
        updated: now,
        last_login: None,
        locked_until: None,
        properties,
    })
}

/// A fresh token with its stored digest.
fn new_token() -> Result<(String, crate::ids::TokenDigest), ApiError> {
    let token = crate::ids::new_token().map_err(|error| {
        tracing::error!(%error, "no token");
        ApiError::internal()
    })?;
    let digest = token_digest(&token);
    Ok((token, digest))
}

fn with_token(user: &UserRecord, token: &str) -> Value {
    let mut object = user.to_wire();
    object.insert("user-token".into(), Value::from(token));
    Value::Object(object)
}

impl Auth {
    /// Opens the service over `store`, loading its open sessions.
    pub async fn new(
        store: Arc<Store>,
        policy: Policy,
        seed_users: Vec<SeedUser>,
    ) -> Result<Self, ApiError> {
        let passwords = tokio::task::spawn_blocking(Passwords::new)
            .await
            .map_err(|_| ApiError::internal())??;
        let auth = Self {
            store,
            sessions: Arc::new(SessionCache::default()),
            policy: RwLock::new(policy.clone()),
            startup_policy: policy,
            seed_users,
            passwords,
            session_gate: Arc::new(Mutex::new(())),
            login_turns: Mutex::new(HashMap::new()),
        };
        let timeout_ms = Self::timeout_ms(&auth.startup_policy);
        let idle_before = (timeout_ms > 0).then(|| now_ms().saturating_sub(timeout_ms));
        let purged = auth
            .blocking(move |store| store.purge_dead_sessions(idle_before))
            .await?;
        if purged > 0 {
            tracing::info!(purged, "removed ended or expired sessions");
        }
        let open = auth.blocking(|store| store.open_sessions()).await?;
        auth.sessions.load(open);
        auth.create_seed_users().await?;
        Ok(auth)
    }

    /// Runs a store operation on a blocking thread.
    async fn blocking<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || operation(&store))
            .await
            .map_err(|error| StoreError::Task(error.to_string()))?
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Applies a partial policy (camelCase keys as in [`Policy`]); unknown keys or wrong types are refused.
    pub fn update_policy(&self, patch: Value) -> Result<Policy, ApiError> {
        let Value::Object(patch) = patch else {
            return Err(ApiError::unparsable_body(
                "the policy patch must be a JSON object",
            ));
        };
        let mut guard = self
            .policy
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut merged = match serde_json::to_value(&*guard) {
            Ok(Value::Object(map)) => map,
            _ => return Err(ApiError::internal()),
        };
        merged.extend(patch);
        let updated: Policy = serde_json::from_value(Value::Object(merged))
            .map_err(|error| ApiError::unparsable_body(&error.to_string()))?;
        *guard = updated.clone();
        Ok(updated)
    }

    fn timeout_ms(policy: &Policy) -> i64 {
        i64::try_from(policy.session_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    async fn create_seed_users(&self) -> Result<(), ApiError> {
        for seed in &self.seed_users {
            let login = seed.login.clone();
            if self
                .blocking(move |store| store.identity_exists(&login))
                .await?
            {
                continue;
            }
            let hash = self.passwords.hash(seed.password.clone()).await?;
            let user = new_user(
                Some(seed.login.clone()),
                Some(hash),
                UserStatus::Enabled,
                Map::new(),
            )?;
            let object_id = user.object_id.clone();
            match self.blocking(move |store| store.insert_user(&user)).await {
                Ok(()) => tracing::info!(user = %object_id, "seed user created"),
                Err(StoreError::IdentityTaken) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// `POST users/register`: creates an ENABLED user from any JSON object with `email` and `password`.
    pub async fn register(&self, body: Value) -> Result<Value, ApiError> {
        let Value::Object(mut properties) = body else {
            return Err(ApiError::unparsable_body("the user must be a JSON object"));
        };
        let password = match properties.remove("password") {
            Some(Value::String(password)) if !password.is_empty() => password,
            _ => return Err(ApiError::missing_password()),
        };
        let email = match properties.remove("email") {
            Some(Value::String(email)) if !email.trim().is_empty() => email,
            _ => return Err(ApiError::missing_identity()),
        };
        let limit = self.policy().max_property_length;
        let too_long = |value: &str| value.chars().count() > limit;
        let too_long_property = properties
            .values()
            .any(|value| matches!(value, Value::String(text) if too_long(text)));
        if too_long(&email) || too_long(&password) || too_long_property {
            return Err(ApiError::value_too_long());
        }
        for name in SERVER_OWNED_PROPERTIES {
            properties.remove(*name);
        }
        // Cheap check first so a duplicate does not cost a hash; the unique index settles races.
        let probe = email.clone();
        if self
            .blocking(move |store| store.identity_exists(&probe))
            .await?
        {
            return Err(ApiError::user_exists());
        }
        let hash = self.passwords.hash(password).await?;
        let user = new_user(
            Some(email.clone()),
            Some(hash),
            UserStatus::Enabled,
            properties,
        )?;
        let stored = user.clone();
        match self.blocking(move |store| store.insert_user(&stored)).await {
            Ok(()) => {}
            Err(StoreError::IdentityTaken) => return Err(ApiError::user_exists()),
            Err(error) => return Err(error.into()),
        }
        tracing::info!(user = %user.object_id, "user registered");
        Ok(Value::Object(user.to_wire()))
    }

    /// `POST users/register/guest`: a GUEST user with a session.
    pub async fn register_guest(&self) -> Result<Value, ApiError> {
        let (token, digest) = new_token()?;
        let mut user = new_user(None, None, UserStatus::Guest, Map::new())?;
        // A guest is born logged in.
        let now = user.created;
        user.last_login = Some(now);
        let session = SessionRecord {
            token_digest: digest,
            user_id: user.object_id.clone(),
            last_activity: now,
        };
        let (stored_user, stored_session) = (user.clone(), session.clone());
        self.blocking(move |store| store.insert_user_with_session(&stored_user, &stored_session))
            .await?;
        self.sessions.insert(&session);
        tracing::info!(user = %user.object_id, "guest registered");
        Ok(with_token(&user, &token))
    }

    /// The turn (an async mutex) of account `user_id`; shared by every login of it waiting right now.
    fn login_turn(&self, user_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = self
            .login_turns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(turn) = turns.get(user_id).and_then(Weak::upgrade) {
            return turn;
        }
        // Entries of accounts nobody is logging in to are dropped as the map grows.
        if turns.len() >= 64 {
            turns.retain(|_, turn| turn.strong_count() > 0);
        }
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        turns.insert(user_id.to_owned(), Arc::downgrade(&turn));
        turn
    }

    /// `POST users/login`.
    pub async fn login(
        &self,
        login: Option<Value>,
        password: Option<Value>,
    ) -> Result<Value, ApiError> {
        let policy = self.policy();
        if policy.login_settings_missing {
            return Err(ApiError::missing_login_settings());
        }
        if policy.logins_disabled {
            return Err(ApiError::logins_disabled_for_app());
        }
        let (login, password) = match (login, password) {
            (None | Some(Value::Null), _) | (_, None | Some(Value::Null)) => {
                return Err(ApiError::missing_parameter())
            }
            (Some(Value::String(login)), Some(Value::String(password))) => (login, password),
            _ => {
                return Err(ApiError::unparsable_body(
                    "login and password must be strings",
                ))
            }
        };
        if login.is_empty() || password.is_empty() {
            return Err(ApiError::empty_credentials());
        }
        let identity = login.clone();
        let Some(user) = self
            .blocking(move |store| store.user_by_identity(&identity))
            .await?
        else {
            // Same work as for a known user, same answer: with lockout on, that includes re-reading
            // the account (below); the failure count is written after the answer.
            if policy.lockout_threshold > 0 {
                self.blocking(|store| store.user_by_id("")).await?;
            }
            self.passwords.verify(password, None).await?;
            tracing::info!("failed login: invalid login or password");
            return Err(ApiError::invalid_credentials());
        };
        // With lockout on, wait for this account's turn, then read its lock state afresh: a guess that
        // waited behind failing ones meets the lock they set. Otherwise every guess of a parallel burst
        // would be checked, past any threshold, and a right one would get in.
        let (user, turn) = if policy.lockout_threshold > 0 {
            let turn = self.login_turn(&user.object_id).lock_owned().await;
            let id = user.object_id.clone();
            match self.blocking(move |store| store.user_by_id(&id)).await? {
                Some(fresh) => (fresh, Some(turn)),
                None => return Err(ApiError::invalid_credentials()),
            }
        } else {
            (user, None)
        };
        if user.locked_until.is_some_and(|until| until > now_ms()) {
            tracing::info!(user = %user.object_id, "login refused: account locked");
            return Err(ApiError::account_locked());
        }
        let verified = self
            .passwords
            .verify(password, user.password_hash.clone())
            .await?;
        if !verified {
            tracing::info!(user = %user.object_id, "failed login: invalid login or password");
            if let Some(turn) = turn {
                self.record_failure(user.object_id.clone(), &policy, turn);
            }
            return Err(ApiError::invalid_credentials());
        }
        drop(turn);
        match user.status {
            UserStatus::Enabled => {}
            UserStatus::Disabled => return Err(ApiError::login_disabled_for_user()),
            UserStatus::EmailConfirmationPending => return Err(ApiError::email_not_confirmed()),
            UserStatus::Guest => return Err(ApiError::invalid_credentials()),
        }
        let (token, digest) = new_token()?;
        let user_id = user.object_id.clone();
        let store = self.store.clone();
        let sessions = self.sessions.clone();
        let gate = self.session_gate.clone();
        let timeout_ms = Self::timeout_ms(&policy);
        let outcome = tokio::task::spawn_blocking(move || {
            let _gate = gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = now_ms();
            let live = sessions.live_count(&user_id, now, timeout_ms);
            if !policy.allow_multiple_logins && live > 0 {
                return Err(SessionRefusal::Policy(ApiError::multiple_logins_disabled()));
            }
            if policy.max_concurrent_logins > 0 && live >= policy.max_concurrent_logins as usize {
                return Err(SessionRefusal::Policy(ApiError::login_limit_reached()));
            }
            let session = SessionRecord {
                token_digest: digest,
                user_id,
                last_activity: now,
            };
            match store.record_login(&session) {
                Ok(Some(user)) => {
                    sessions.insert(&session);
                    Ok(user)
                }
                // The user vanished (reset) between the check and now.
                Ok(None) => Err(SessionRefusal::Policy(ApiError::invalid_credentials())),
                Err(error) => Err(SessionRefusal::Store(error)),
            }
        })
        .await
        .map_err(|_| ApiError::internal())?;
        match outcome {
            Ok(user) => {
                tracing::info!(user = %user.object_id, "logged in");
                Ok(with_token(&user, &token))
            }
            Err(SessionRefusal::Policy(error)) => {
                tracing::info!(user = %user.object_id, code = error.code, "login refused by session policy");
                Err(error)
            }
            Err(SessionRefusal::Store(error)) => Err(error.into()),
        }
    }

    /// Counts a failed login against the account (lockout on), locking it at the threshold.
    ///
    /// Written after the answer, so a wrong password answers as fast as an unknown user (a slower
    /// answer would tell which accounts exist), but inside the account's turn: the next guess
    /// waits for the count, and meets the lock it may set.
    fn record_failure(&self, user_id: String, policy: &Policy, turn: OwnedMutexGuard<()>) {
        let now = now_ms();
        let window_ms =
            i64::try_from(policy.lockout_window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let lock_ms =
            i64::try_from(policy.lockout_duration_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let threshold = policy.lockout_threshold;
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let counted = store.record_failed_login(
                &user_id,
                now,
                now.saturating_sub(window_ms),
                threshold,
                now.saturating_add(lock_ms),
            );
            match counted {
                Ok(true) => {
                    tracing::info!(user = %user_id, "account locked after too many failed logins");
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(user = %user_id, %error, "could not count a failed login");
                }
            }
        });
    }

    /// The user id behind a live token, recording the use; `None` for unknown, ended or expired tokens.
    pub fn session_user(&self, token: &str) -> Option<Arc<str>> {
        if token.is_empty() {
            return None;
        }
        let timeout_ms = Self::timeout_ms(&self.policy());
        self.sessions
            .use_live(&token_digest(token), now_ms(), timeout_ms)
    }

    /// `GET users/isvalidusertoken/{token}`.
    pub fn is_valid_token(&self, token: &str) -> bool {
        self.session_user(token).is_some()
    }

    /// Whose token this is (or was), for the request log; does not count as a use.
    pub fn token_owner(&self, token: &str) -> Option<Arc<str>> {
        self.sessions.owner(&token_digest(token))
    }

    /// `GET users/logout`: ends the session of `token` (no token: nothing to end). Stale token → 3064.
    pub async fn logout(&self, token: Option<&str>) -> Result<(), ApiError> {
        let Some(token) = token.filter(|token| !token.is_empty()) else {
            return Ok(());
        };
        let Some(user_id) = self.session_user(token) else {
            return Err(ApiError::stale_token(token));
        };
        let digest = token_digest(token);
        self.blocking(move |store| store.end_session(&digest))
            .await?;
        self.sessions.end(&digest);
        tracing::info!(user = %user_id, "logged out");
        Ok(())
    }

    /// `GET data/Users/{objectId}`; a token, when given, must be live (else 3064).
    pub async fn read_user(&self, object_id: &str, token: Option<&str>) -> Result<Value, ApiError> {
        if let Some(token) = token.filter(|token| !token.is_empty()) {
            if self.session_user(token).is_none() {
                return Err(ApiError::stale_token(token));
            }
        }
        let id = object_id.to_string();
        match self.blocking(move |store| store.user_by_id(&id)).await? {
            Some(user) => Ok(Value::Object(user.to_wire())),
            None => Err(ApiError::object_not_found(object_id)),
        }
    }

    /// `GET users/restorepassword/{identity}`: no mail is sent; the log says one would be.
    pub async fn restore_password(&self, identity: &str) -> Result<(), ApiError> {
        let probe = identity.to_string();
        match self
            .blocking(move |store| store.user_by_identity(&probe))
            .await?
        {
            Some(user) => {
                tracing::info!(user = %user.object_id, "password reset requested: a reset mail would be sent now (the local server sends none)");
                Ok(())
            }
            None => Err(ApiError::unknown_identity()),
        }
    }

    /// Control: sets a user's status; DISABLED also ends the user's sessions.
    pub async fn set_user_status(
        &self,
        object_id: &str,
        status: &Value,
    ) -> Result<Value, ApiError> {
        let Some(status) = status.as_str().and_then(UserStatus::parse) else {
            return Err(ApiError::unparsable_body(
                "userStatus must be one of ENABLED, DISABLED, EMAIL_CONFIRMATION_PENDING, GUEST",
            ));
        };
        let end_sessions = status == UserStatus::Disabled;
        let id = object_id.to_string();
        let updated = self
            .blocking(move |store| store.set_user_status(&id, status, now_ms(), end_sessions))
            .await?;
        let Some(user) = updated else {
            return Err(ApiError::object_not_found(object_id));
        };
        if end_sessions {
            self.sessions.end_user(object_id);
        }
        tracing::info!(user = %object_id, status = status.as_str(), "user status set");
        Ok(Value::Object(user.to_wire()))
    }

    /// Control: ends every session.
    pub async fn expire_all_sessions(&self) -> Result<(), ApiError> {
        self.blocking(|store| store.end_all_sessions()).await?;
        self.sessions.end_all();
        tracing::info!("all sessions expired");
        Ok(())
    }

    /// Control: deletes all data, restores the start policy and re-creates the seed users.
    pub async fn reset(&self) -> Result<(), ApiError> {
        self.blocking(|store| store.delete_everything()).await?;
        self.sessions.clear();
        *self
            .policy
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = self.startup_policy.clone();
        self.create_seed_users().await?;
        tracing::info!("reset: all users and sessions deleted");
        Ok(())
    }

    /// Writes batched session last-use times to the database and forgets sessions dead for a day.
    pub async fn flush_session_activity(&self) {
        let touches = self.sessions.take_touches();
        if !touches.is_empty() {
            if let Err(error) = self
                .blocking(move |store| store.touch_sessions(&touches))
                .await
            {
                tracing::warn!(%error, "could not persist session activity");
            }
        }
        const DAY_MS: i64 = 24 * 3600 * 1000;
        let timeout_ms = Self::timeout_ms(&self.policy());
        let stale_after = if timeout_ms > 0 {
            timeout_ms.saturating_add(DAY_MS)
        } else {
            i64::MAX
        };
        self.sessions.prune(now_ms().saturating_sub(stale_after));
    }
}
