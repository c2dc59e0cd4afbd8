//! The login domain: registration, password checks, lockout, sessions and their policy.
//!
//! Handlers call this; this calls the store on blocking threads (composing its row operations
//! inside [`crate::store::Store::transaction`] where a rule spans several) and knows nothing of HTTP: it
//! answers with [`AuthError`], which [`crate::error`] maps to the service's answers.
//!
//! | module | owns |
//! |---|---|
//! | this one | the service, registration, guests, tokens, logout, reads, control operations |
//! | [`login`] | the login flow: account lookup, password check, status, session policy |
//! | [`lockout`] | turns per account, counting failed logins, the unknown-identity timing decoy |
//! | [`profile`] | `update`, email confirmation, guest conversion |
//! | [`roles`] | system and custom roles, role changes, users by role |
//! | [`cloud_code`] | what only business logic (the CloudCode key) may do, and the Users class |
//! | [`oauth`] | OAuth logins: the linking rules, in the sign-in's one transaction |
//! | [`outbox`] | the confirmation "mail", kept in memory |

pub mod cloud_code;
mod error;
pub mod lockout;
pub mod login;
pub mod oauth;
pub mod outbox;
pub mod profile;
pub mod roles;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use serde_json::{Map, Value};

pub use self::error::AuthError;
pub use self::login::Credentials;
use crate::clock::SharedClock;
use crate::config::{Policy, SeedUser, UsersReadableBy};
use crate::ids::{new_uuid, token_digest};
use crate::password::Passwords;
use crate::sessions::SessionCache;
use crate::store::{SessionRecord, Store, StoreError};
use crate::user::{
    check_properties, is_valid_email, UserRecord, UserStatus, SERVER_OWNED_PROPERTIES,
};

/// Seconds (from the policy) as milliseconds, saturating.
fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Which of the app's API keys a request came with: the app's normal key, or the CloudCode
/// (Code Runner) key, whose requests are business logic's and may do what apps may not (login
/// by objectId, password checks, role changes, user status).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyKind {
    /// The app's key, as browsers and apps use it.
    #[default]
    Normal,
    /// The CloudCode key.
    CloudCode,
}

impl KeyKind {
    /// Whether the request is business logic's (the CloudCode key).
    pub fn is_cloud_code(self) -> bool {
        self == KeyKind::CloudCode
    }
}

/// The login service.
pub struct Auth {
    store: Arc<Store>,
    sessions: Arc<SessionCache>,
    policy: RwLock<Policy>,
    startup_policy: Policy,
    seed_users: Vec<SeedUser>,
    /// The custom roles created at start and after every reset (`--role`).
    startup_roles: Vec<String>,
    passwords: Passwords,
    /// Serialises "count live sessions, then add one" so two parallel logins cannot both pass a limit.
    session_gate: Arc<Mutex<()>>,
    /// With lockout on, one password check at a time per account.
    turns: lockout::Turns,
    /// Confirmation messages the local server would have sent.
    outbox: outbox::Outbox,
    /// The time every expiry and lock is measured against.
    clock: SharedClock,
}

/// A new account as of `now`: a fresh objectId, never logged in, not locked.
fn new_user(
    now: i64,
    email: Option<String>,
    password_hash: Option<String>,
    status: UserStatus,
    properties: Map<String, Value>,
) -> Result<UserRecord, AuthError> {
    Ok(UserRecord {
        object_id: new_uuid()?,
        email,
        password_hash,
        status,
        created: now,
        updated: now,
        last_login: None,
        locked_until: None,
        properties,
        oauth_identities: Vec::new(),
    })
}

/// A fresh token with its stored digest.
fn new_token() -> Result<(String, crate::ids::TokenDigest), AuthError> {
    let token = crate::ids::new_token()?;
    let digest = token_digest(&token);
    Ok((token, digest))
}

/// The user object with its session token, as login and guest registration answer.
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
        roles: Vec<String>,
        max_pending_hashes: usize,
        clock: SharedClock,
    ) -> Result<Self, AuthError> {
        let passwords = tokio::task::spawn_blocking(move || Passwords::new(max_pending_hashes))
            .await
            .map_err(|error| StoreError::Task(error.to_string()))??;
        let auth = Self {
            store,
            sessions: Arc::new(SessionCache::default()),
            policy: RwLock::new(policy.clone()),
            startup_policy: policy,
            seed_users,
            startup_roles: roles,
            passwords,
            session_gate: Arc::new(Mutex::new(())),
            turns: lockout::Turns::default(),
            outbox: outbox::Outbox::default(),
            clock,
        };
        let timeout_ms = secs_to_ms(auth.startup_policy.session_timeout_secs);
        let idle_before = (timeout_ms > 0).then(|| auth.now_ms().saturating_sub(timeout_ms));
        let purged = auth
            .blocking(move |store| store.purge_dead_sessions(idle_before))
            .await?;
        if purged > 0 {
            tracing::info!(purged, "removed ended or expired sessions");
        }
        let open = auth.blocking(|store| store.open_sessions()).await?;
        auth.sessions.load(open);
        auth.create_startup_roles().await?;
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

    /// Runs a store operation that may refuse in the domain's terms on a blocking thread.
    async fn blocking_auth<T, F>(&self, operation: F) -> Result<T, AuthError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, AuthError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || operation(&store))
            .await
            .map_err(|error| StoreError::Task(error.to_string()))?
    }

    /// The database (for tests that make it fail).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Applies a partial policy (camelCase keys); unknown keys or wrong types are refused.
    pub fn update_policy(&self, patch: Value) -> Result<Policy, AuthError> {
        let Value::Object(patch) = patch else {
            return Err(AuthError::UnparsableBody(
                "the policy patch must be a JSON object".into(),
            ));
        };
        let mut guard = self
            .policy
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let updated = guard.patched(&patch).map_err(AuthError::UnparsableBody)?;
        *guard = updated.clone();
        Ok(updated)
    }

    /// The current time in epoch milliseconds, by the service's clock.
    fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    fn timeout_ms(&self) -> i64 {
        secs_to_ms(self.policy().session_timeout_secs)
    }

    async fn create_seed_users(&self) -> Result<(), AuthError> {
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
                self.now_ms(),
                Some(seed.login.clone()),
                Some(hash),
                UserStatus::Enabled,
                Map::new(),
            )?;
            let object_id = user.object_id.clone();
            match self.blocking(move |store| store.insert_user(&user)).await {
                Ok(()) => tracing::info!(user = %object_id, "seed user created"),
                Err(StoreError::DuplicateIdentity) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// The largest register body that can pass the property limits (with room for whitespace):
    /// anything longer is refused (8000) before it is parsed.
    pub fn max_register_body(&self) -> usize {
        let policy = self.policy();
        // email and password (4 bytes a character at most, escaped up to 6), and slack.
        policy
            .max_user_bytes
            .saturating_add(policy.max_property_length.saturating_mul(12))
            .saturating_add(4096)
    }

    /// The app-level switch of `users/register`, checked before the request body is looked at
    /// (3009). Guest logins are not registrations and stay open.
    pub fn check_registration_open(&self) -> Result<(), AuthError> {
        if self.policy().registration_disabled {
            return Err(AuthError::RegistrationDisabled);
        }
        Ok(())
    }

    /// `POST users/register`: creates a user from any JSON object with `email` and `password`
    /// (ENABLED, or EMAIL_CONFIRMATION_PENDING with a confirmation in the outbox when the policy
    /// requires it). A body naming a GUEST's `objectId`, sent with that guest's own `token`,
    /// converts the guest in place instead ([`Auth::guest_to_convert`]).
    /// `client` is who asked (the outbox keeps clients' messages apart).
    pub async fn register(
        &self,
        body: Value,
        token: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Value, AuthError> {
        self.check_registration_open()?;
        let Value::Object(mut properties) = body else {
            return Err(AuthError::UnparsableBody(
                "the user must be a JSON object".into(),
            ));
        };
        let guest = self.guest_to_convert(&properties, token).await?;
        let password = match properties.remove("password") {
            Some(Value::String(password)) if !password.is_empty() => password,
            _ => return Err(AuthError::MissingPassword),
        };
        let email = match properties.remove("email") {
            Some(Value::String(email)) if !email.trim().is_empty() => email,
            _ => return Err(AuthError::MissingIdentity),
        };
        if !is_valid_email(&email) {
            return Err(AuthError::InvalidEmail);
        }
        for name in SERVER_OWNED_PROPERTIES {
            properties.remove(*name);
        }
        // Every limit is checked before the request waits for a hash, so a refused body is dropped
        // at once instead of being held in the queue.
        let policy = self.policy();
        let too_long = |value: &str| value.chars().count() > policy.max_property_length;
        if too_long(&email) || too_long(&password) {
            return Err(AuthError::ValueTooLong);
        }
        if let Err(limit) = check_properties(
            &properties,
            policy.max_property_length,
            policy.max_user_bytes,
        ) {
            tracing::debug!(?limit, "register refused: property limits");
            return Err(AuthError::ValueTooLong);
        }
        // Cheap check first so a duplicate does not cost a hash; the unique index settles races.
        let probe = email.clone();
        if self
            .blocking(move |store| store.identity_exists(&probe))
            .await?
        {
            return Err(AuthError::UserExists);
        }
        let hash = self.passwords.hash(password).await?;
        let status = if policy.require_email_confirmation {
            UserStatus::EmailConfirmationPending
        } else {
            UserStatus::Enabled
        };
        if let Some(guest_id) = guest {
            let fields = (email, hash, status, properties);
            return self.convert_guest(guest_id, fields, &policy, client).await;
        }
        let user = new_user(
            self.now_ms(),
            Some(email.clone()),
            Some(hash),
            status,
            properties,
        )?;
        let stored = user.clone();
        match self.blocking(move |store| store.insert_user(&stored)).await {
            Ok(()) => {}
            Err(StoreError::DuplicateIdentity) => return Err(AuthError::UserExists),
            Err(error) => return Err(error.into()),
        }
        tracing::info!(user = %user.object_id, "user registered");
        if status == UserStatus::EmailConfirmationPending {
            self.send_confirmation(&email, &user.object_id, client)?;
        }
        Ok(Value::Object(user.to_wire()))
    }

    /// `POST users/register/guest`: a GUEST user with a session.
    pub async fn register_guest(&self) -> Result<Value, AuthError> {
        let (token, digest) = new_token()?;
        let mut user = new_user(self.now_ms(), None, None, UserStatus::Guest, Map::new())?;
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

    /// The user id behind a live token, recording the use; `None` for unknown, ended or expired tokens.
    pub fn session_user(&self, token: &str) -> Option<Arc<str>> {
        if token.is_empty() {
            return None;
        }
        self.sessions
            .use_live(&token_digest(token), self.now_ms(), self.timeout_ms())
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
    pub async fn logout(&self, token: Option<&str>) -> Result<(), AuthError> {
        let Some(token) = token.filter(|token| !token.is_empty()) else {
            return Ok(());
        };
        let Some(user_id) = self.session_user(token) else {
            return Err(AuthError::StaleToken(token.to_string()));
        };
        let digest = token_digest(token);
        self.blocking(move |store| store.end_session(&digest))
            .await?;
        self.sessions.end(&digest);
        tracing::info!(user = %user_id, "logged out");
        Ok(())
    }

    /// `GET data/Users/{objectId}`; a token, when given, must be live (else 3064). With the
    /// policy's `usersReadableBy` at `owner` (the default), only the user's own token reads it;
    /// anyone else is told what a missing user would get (1000), so existence does not show.
    pub async fn read_user(
        &self,
        object_id: &str,
        token: Option<&str>,
    ) -> Result<Value, AuthError> {
        let reader = match token.filter(|token| !token.is_empty()) {
            Some(token) => match self.session_user(token) {
                Some(user) => Some(user),
                None => return Err(AuthError::StaleToken(token.to_string())),
            },
            None => None,
        };
        if self.policy().users_readable_by == UsersReadableBy::Owner
            && reader.as_deref() != Some(object_id)
        {
            return Err(AuthError::ObjectNotFound(object_id.to_string()));
        }
        let id = object_id.to_string();
        match self.blocking(move |store| store.user_by_id(&id)).await? {
            Some(user) => Ok(Value::Object(user.to_wire())),
            None => Err(AuthError::ObjectNotFound(object_id.to_string())),
        }
    }

    /// `GET users/restorepassword/{identity}`: no mail is sent; the log says one would be.
    pub async fn restore_password(&self, identity: &str) -> Result<(), AuthError> {
        let probe = identity.to_string();
        match self
            .blocking(move |store| store.user_by_identity(&probe))
            .await?
        {
            Some(user) => {
                tracing::info!(user = %user.object_id, "password reset requested: a reset mail would be sent now (the local server sends none)");
                Ok(())
            }
            None => Err(AuthError::UnknownIdentity),
        }
    }

    /// Control: sets a user's status; DISABLED also ends the user's sessions.
    pub async fn set_user_status(
        &self,
        object_id: &str,
        status: &Value,
    ) -> Result<Value, AuthError> {
        let Some(status) = status.as_str().and_then(UserStatus::parse) else {
            return Err(AuthError::UnparsableBody(
                "userStatus must be one of ENABLED, DISABLED, EMAIL_CONFIRMATION_PENDING, GUEST"
                    .into(),
            ));
        };
        let end_sessions = status == UserStatus::Disabled;
        let id = object_id.to_string();
        let now = self.now_ms();
        let updated = self
            .blocking(move |store| store.set_user_status(&id, status, now, end_sessions))
            .await?;
        let Some(user) = updated else {
            return Err(AuthError::ObjectNotFound(object_id.to_string()));
        };
        if end_sessions {
            self.sessions.end_user(object_id);
        }
        tracing::info!(user = %object_id, status = status.as_str(), "user status set");
        Ok(Value::Object(user.to_wire()))
    }

    /// Control: ends every session.
    pub async fn expire_all_sessions(&self) -> Result<(), AuthError> {
        self.blocking(|store| store.end_all_sessions()).await?;
        self.sessions.end_all();
        tracing::info!("all sessions expired");
        Ok(())
    }

    /// Control: deletes all data, restores the start policy and re-creates the seed users.
    pub async fn reset(&self) -> Result<(), AuthError> {
        self.blocking(|store| store.delete_everything()).await?;
        self.sessions.clear();
        self.outbox.clear();
        *self
            .policy
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = self.startup_policy.clone();
        self.create_startup_roles().await?;
        self.create_seed_users().await?;
        tracing::info!("reset: all users and sessions deleted");
        Ok(())
    }

    /// Deletes guests whose sessions all ended or expired (a guest has no password: once its
    /// session is gone nobody can use it again). Returns how many went.
    pub async fn purge_guests(&self) -> Result<usize, AuthError> {
        self.flush_session_activity().await;
        let timeout_ms = self.timeout_ms();
        let idle_before = (timeout_ms > 0).then(|| self.now_ms().saturating_sub(timeout_ms));
        let purged = self
            .blocking(move |store| store.purge_guests(idle_before))
            .await?;
        if purged > 0 {
            tracing::info!(purged, "removed guests whose sessions ended or expired");
        }
        Ok(purged)
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
        let timeout_ms = self.timeout_ms();
        let stale_after = if timeout_ms > 0 {
            timeout_ms.saturating_add(DAY_MS)
        } else {
            i64::MAX
        };
        self.sessions
            .prune(self.now_ms().saturating_sub(stale_after));
    }
}
