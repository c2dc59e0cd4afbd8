//! SQLite persistence: users, sessions, failed login attempts and OAuth links, as row
//! operations. The rules that combine them (lockout, OAuth linking, guests) are the login
//! domain's ([`crate::auth`]); it runs them inside [`Store::transaction`].
//!
//! One connection behind a mutex does all the work, so writers never race each other into
//! "database is locked"; WAL with `synchronous=FULL` makes every committed write survive a crash.
//! Every multi-step change runs in one transaction. Callers run these methods on a blocking thread.

use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde_json::{Map, Value};

use crate::ids::TokenDigest;
use crate::user::{identity_key, UserRecord, UserStatus};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Insert of a user whose identity is taken.
    #[error("a user with this identity already exists")]
    DuplicateIdentity,
    /// A row that cannot be understood.
    #[error("corrupt row in the database: {0}")]
    Corrupt(String),
    /// SQLite said no.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The blocking task running the operation died.
    #[error("store task failed: {0}")]
    Task(String),
}

/// A session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Digest of the user-token.
    pub token_digest: TokenDigest,
    /// Owner's objectId.
    pub user_id: String,
    /// Last use, epoch ms.
    pub last_activity: i64,
}

/// The database.
pub struct Store {
    connection: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    object_id     TEXT PRIMARY KEY,
    email         TEXT,
    identity_key  TEXT UNIQUE,
    password_hash TEXT,
    user_status   TEXT NOT NULL,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    last_login    INTEGER,
    locked_until  INTEGER,
    properties    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_digest  BLOB PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(object_id) ON DELETE CASCADE,
    created       INTEGER NOT NULL,
    last_activity INTEGER NOT NULL,
    ended         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS failed_logins (
    user_id TEXT NOT NULL REFERENCES users(object_id) ON DELETE CASCADE,
    at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_logins_by_user ON failed_logins(user_id);
CREATE TABLE IF NOT EXISTS failed_unknown_logins (
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_identities (
    provider     TEXT NOT NULL,
    oauth_id     TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(object_id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    PRIMARY KEY (provider, oauth_id)
);
CREATE INDEX IF NOT EXISTS oauth_identities_by_user ON oauth_identities(user_id);
CREATE TABLE IF NOT EXISTS roles (
    name TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS user_roles (
    user_id TEXT NOT NULL REFERENCES users(object_id) ON DELETE CASCADE,
    role    TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX IF NOT EXISTS user_roles_by_role ON user_roles(role);
";

/// Which users a page of [`Store::users_page`] lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFilter {
    /// Those assigned this custom role.
    Role(String),
    /// Registered (and OAuth) accounts: every status but GUEST.
    Registered,
    /// Guests.
    Guests,
}

/// The last column is the user's linked OAuth identities as a JSON array, in the wire shape.
const USER_COLUMNS: &str =
    "object_id, email, password_hash, user_status, created, updated, last_login, locked_until, properties,
     (SELECT json_group_array(json_object('providerCode', provider, 'oAuthId', oauth_id,
                                          'displayName', display_name))
      FROM oauth_identities WHERE oauth_identities.user_id = users.object_id)";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<Result<UserRecord, StoreError>> {
    let object_id: String = row.get(0)?;
    let status_text: String = row.get(3)?;
    let properties_text: String = row.get(8)?;
    let identities_text: String = row.get(9)?;
    let Some(status) = UserStatus::parse(&status_text) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "user {object_id} has status '{status_text}'"
        ))));
    };
    let properties = match serde_json::from_str::<Map<String, Value>>(&properties_text) {
        Ok(properties) => properties,
        Err(error) => {
            return Ok(Err(StoreError::Corrupt(format!(
                "user {object_id} properties: {error}"
            ))))
        }
    };
    let oauth_identities = match serde_json::from_str::<Vec<Value>>(&identities_text) {
        Ok(identities) => identities,
        Err(error) => {
            return Ok(Err(StoreError::Corrupt(format!(
                "user {object_id} OAuth identities: {error}"
            ))))
        }
    };
    Ok(Ok(UserRecord {
        object_id,
        email: row.get(1)?,
        password_hash: row.get(2)?,
        status,
        created: row.get(4)?,
        updated: row.get(5)?,
        last_login: row.get(6)?,
        locked_until: row.get(7)?,
        properties,
        oauth_identities,
    }))
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Adds a user, or rewrites its row (everything but objectId, created, lastLogin and the lock):
/// the one writer of user rows. `DuplicateIdentity` if another account has the identity.
fn put_user_row(connection: &Connection, user: &UserRecord) -> Result<(), StoreError> {
    let properties = Value::Object(user.properties.clone()).to_string();
    let result = connection.execute(
        "INSERT INTO users (object_id, email, identity_key, password_hash, user_status, created, updated,
                            last_login, locked_until, properties)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (object_id) DO UPDATE SET
             email = excluded.email, identity_key = excluded.identity_key,
             password_hash = excluded.password_hash, user_status = excluded.user_status,
             updated = excluded.updated, properties = excluded.properties",
        params![
            user.object_id,
            user.email,
            user.email.as_deref().map(identity_key),
            user.password_hash,
            user.status.as_str(),
            user.created,
            user.updated,
            user.last_login,
            user.locked_until,
            properties,
        ],
    );
    match result {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Err(StoreError::DuplicateIdentity),
        Err(error) => Err(error.into()),
    }
}

fn insert_session_row(connection: &Connection, session: &SessionRecord) -> Result<(), StoreError> {
    connection.execute(
        "INSERT INTO sessions (token_digest, user_id, created, last_activity) VALUES (?1, ?2, ?3, ?3)",
        params![session.token_digest.as_slice(), session.user_id, session.last_activity],
    )?;
    Ok(())
}

fn user_where(
    connection: &Connection,
    condition: &str,
    value: &str,
) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition} = ?1");
    let mut statement = connection.prepare_cached(&sql)?;
    match statement.query_row([value], user_from_row).optional()? {
        Some(user) => user.map(Some),
        None => Ok(None),
    }
}

/// Ends every open session of `user_id` but `keep`; the digests of those it ended.
fn end_other_sessions(
    connection: &Connection,
    user_id: &str,
    keep: &TokenDigest,
) -> Result<Vec<TokenDigest>, StoreError> {
    let mut statement = connection.prepare_cached(
        "UPDATE sessions SET ended = 1 WHERE user_id = ?1 AND ended = 0 AND token_digest != ?2
         RETURNING token_digest",
    )?;
    let digests = statement
        .query_map(params![user_id, keep.as_slice()], |row| {
            row.get::<_, Vec<u8>>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    digests
        .into_iter()
        .map(|digest| {
            TokenDigest::try_from(digest).map_err(|_| {
                StoreError::Corrupt(format!("session of user {user_id} has a malformed digest"))
            })
        })
        .collect()
}

/// The custom roles assigned to `user_id`, by name.
fn roles_of_user(connection: &Connection, user_id: &str) -> Result<Vec<String>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT role FROM user_roles WHERE user_id = ?1 ORDER BY role")?;
    let roles = statement
        .query_map([user_id], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(roles)
}

/// One write transaction, as [`Store::transaction`] hands it out: typed row operations that the
/// login domain composes into its rules (lockout, OAuth linking, guests). Nothing here decides.
pub struct Tx<'c> {
    transaction: rusqlite::Transaction<'c>,
}

impl Tx<'_> {
    /// The user with this objectId.
    pub fn user_by_id(&self, object_id: &str) -> Result<Option<UserRecord>, StoreError> {
        user_where(&self.transaction, "object_id", object_id)
    }

    /// The user with this identity, compared without case.
    pub fn user_by_identity(&self, identity: &str) -> Result<Option<UserRecord>, StoreError> {
        user_where(&self.transaction, "identity_key", &identity_key(identity))
    }

    /// Adds a user, or rewrites the user's row; `DuplicateIdentity` if another has the identity.
    pub fn put_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        put_user_row(&self.transaction, user)
    }

    /// Whether the custom role `name` exists.
    pub fn role_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .transaction
            .prepare_cached("SELECT 1 FROM roles WHERE name = ?1")?
            .exists([name])?)
    }

    /// Gives `user_id` the role `role` (kept if it has it already).
    pub fn assign_role(&self, user_id: &str, role: &str) -> Result<(), StoreError> {
        self.transaction.execute(
            "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?1, ?2)",
            params![user_id, role],
        )?;
        Ok(())
    }

    /// Takes the role `role` from `user_id` (nothing if it does not have it).
    pub fn unassign_role(&self, user_id: &str, role: &str) -> Result<(), StoreError> {
        self.transaction.execute(
            "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2",
            params![user_id, role],
        )?;
        Ok(())
    }

    /// The custom roles of `user_id`, by name.
    pub fn roles_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        roles_of_user(&self.transaction, user_id)
    }

    /// The account linked to (provider, id at the provider).
    pub fn linked_user(
        &self,
        provider: &str,
        oauth_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .transaction
            .prepare_cached(
                "SELECT user_id FROM oauth_identities WHERE provider = ?1 AND oauth_id = ?2",
            )?
            .query_row(params![provider, oauth_id], |row| row.get(0))
            .optional()?)
    }

    /// Whether the account has any link to `provider`.
    pub fn is_linked_to(&self, provider: &str, user_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .transaction
            .prepare_cached("SELECT 1 FROM oauth_identities WHERE provider = ?1 AND user_id = ?2")?
            .exists(params![provider, user_id])?)
    }

    /// Records (or renames) the link of (provider, id at the provider) to `user_id`.
    pub fn link(
        &self,
        provider: &str,
        oauth_id: &str,
        user_id: &str,
        display_name: &str,
    ) -> Result<(), StoreError> {
        self.transaction.execute(
            "INSERT INTO oauth_identities (provider, oauth_id, user_id, display_name) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (provider, oauth_id) DO UPDATE SET display_name = excluded.display_name",
            params![provider, oauth_id, user_id, display_name],
        )?;
        Ok(())
    }

    /// A login's writes: `lastLogin`, lock and failed attempts cleared, the session. `false` (and
    /// nothing written) if the user is gone.
    pub fn open_session(&self, session: &SessionRecord) -> Result<bool, StoreError> {
        let changed = self.transaction.execute(
            "UPDATE users SET last_login = ?2, locked_until = NULL WHERE object_id = ?1",
            params![session.user_id, session.last_activity],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        self.transaction.execute(
            "DELETE FROM failed_logins WHERE user_id = ?1",
            [&session.user_id],
        )?;
        insert_session_row(&self.transaction, session)?;
        Ok(true)
    }

    /// Adds a failed login of `user_id` at `at` after forgetting those before `window_start`;
    /// the failures now on record, or `None` if there is no such user (nothing written).
    pub fn add_failure(
        &self,
        user_id: &str,
        at: i64,
        window_start: i64,
    ) -> Result<Option<u32>, StoreError> {
        self.transaction.execute(
            "DELETE FROM failed_logins WHERE user_id = ?1 AND at < ?2",
            params![user_id, window_start],
        )?;
        let inserted = self.transaction.execute(
            "INSERT INTO failed_logins (user_id, at) SELECT object_id, ?2 FROM users WHERE object_id = ?1",
            params![user_id, at],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        let failures: i64 = self.transaction.query_row(
            "SELECT COUNT(*) FROM failed_logins WHERE user_id = ?1",
            [user_id],
            |row| row.get(0),
        )?;
        Ok(Some(u32::try_from(failures).unwrap_or(u32::MAX)))
    }

    /// Locks the account until `until` and forgets its failures.
    pub fn lock_user(&self, user_id: &str, until: i64) -> Result<(), StoreError> {
        self.transaction.execute(
            "UPDATE users SET locked_until = ?2 WHERE object_id = ?1",
            params![user_id, until],
        )?;
        self.transaction
            .execute("DELETE FROM failed_logins WHERE user_id = ?1", [user_id])?;
        Ok(())
    }

    /// The statements [`Tx::add_failure`] runs, on a table of their own that nothing reads:
    /// the write-and-count a failed login of an unknown identity makes so that its answer takes
    /// as long as a known account's. Returns the count, for tests.
    pub fn add_decoy_failure(&self, at: i64, window_start: i64) -> Result<u32, StoreError> {
        self.transaction.execute(
            "DELETE FROM failed_unknown_logins WHERE at < ?1",
            params![window_start],
        )?;
        self.transaction.execute(
            "INSERT INTO failed_unknown_logins (at) VALUES (?1)",
            params![at],
        )?;
        let failures: i64 = self.transaction.query_row(
            "SELECT COUNT(*) FROM failed_unknown_logins",
            [],
            |row| row.get(0),
        )?;
        Ok(u32::try_from(failures).unwrap_or(u32::MAX))
    }
}

/// Schema version (`PRAGMA user_version`) this code writes.
const SCHEMA_VERSION: i64 = 1;

/// Brings an older database up to [`SCHEMA_VERSION`]. Version 1: identity keys are NFKC lower
/// case (they were plain lower case), so they are recomputed; two accounts that now collide keep
/// their old keys (and a warning says so).
fn migrate(connection: &Connection) -> Result<(), StoreError> {
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let mut statement = connection
        .prepare("SELECT object_id, email, identity_key FROM users WHERE email IS NOT NULL")?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (object_id, email, old_key) in rows {
        let key = identity_key(&email);
        if old_key.as_deref() == Some(key.as_str()) {
            continue;
        }
        match connection.execute(
            "UPDATE users SET identity_key = ?2 WHERE object_id = ?1",
            params![object_id, key],
        ) {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                tracing::warn!(user = %object_id, "identity collides with another account once normalised; left as it was");
            }
            Err(error) => return Err(error.into()),
        }
    }
    connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path`, or an in-memory one for `:memory:`.
    pub fn open(path: &str) -> Result<Self, StoreError> {
        let connection = Connection::open(path)?;
        // WAL: readers and the writer do not block each other; FULL: a commit is on disk before it returns.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        // Another process (a person with the sqlite3 shell) may hold a lock for a moment: wait, don't fail.
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        connection.execute_batch(SCHEMA)?;
        migrate(&connection)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock rolled back its transaction (Transaction rolls back on drop),
        // so the connection is still consistent: keep using it.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The user with this objectId.
    pub fn user_by_id(&self, object_id: &str) -> Result<Option<UserRecord>, StoreError> {
        user_where(&self.lock(), "object_id", object_id)
    }

    /// The user with this identity, compared without case.
    pub fn user_by_identity(&self, identity: &str) -> Result<Option<UserRecord>, StoreError> {
        user_where(&self.lock(), "identity_key", &identity_key(identity))
    }

    /// Whether some user has this identity (compared without case).
    pub fn identity_exists(&self, identity: &str) -> Result<bool, StoreError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare_cached("SELECT 1 FROM users WHERE identity_key = ?1")?;
        Ok(statement.exists([identity_key(identity)])?)
    }

    /// Creates the custom roles `names` that do not exist yet.
    pub fn create_roles(&self, names: &[String]) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for name in names {
                tx.transaction
                    .execute("INSERT OR IGNORE INTO roles (name) VALUES (?1)", [name])?;
            }
            Ok(())
        })
    }

    /// The custom roles, by name.
    pub fn custom_roles(&self) -> Result<Vec<String>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached("SELECT name FROM roles ORDER BY name")?;
        let names = statement
            .query_map([], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(names)
    }

    /// The custom roles of `user_id`, by name.
    pub fn roles_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        roles_of_user(&self.lock(), user_id)
    }

    /// A page of the users `filter` selects, oldest first (then by objectId), each with its
    /// custom roles when `with_roles`.
    pub fn users_page(
        &self,
        filter: &UserFilter,
        limit: u32,
        offset: u32,
        with_roles: bool,
    ) -> Result<Vec<(UserRecord, Vec<String>)>, StoreError> {
        let connection = self.lock();
        let (condition, value) = match filter {
            UserFilter::Role(role) => (
                "object_id IN (SELECT user_id FROM user_roles WHERE role = ?1)",
                role.as_str(),
            ),
            UserFilter::Registered => ("user_status != ?1", "GUEST"),
            UserFilter::Guests => ("user_status = ?1", "GUEST"),
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {condition}
             ORDER BY created, object_id LIMIT ?2 OFFSET ?3"
        );
        let mut statement = connection.prepare_cached(&sql)?;
        let users = statement
            .query_map(params![value, limit, offset], user_from_row)?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .collect::<Result<Vec<UserRecord>, StoreError>>()?;
        users
            .into_iter()
            .map(|user| {
                let roles = if with_roles {
                    roles_of_user(&connection, &user.object_id)?
                } else {
                    Vec::new()
                };
                Ok((user, roles))
            })
            .collect()
    }

    /// The names of the users' custom properties (at most `limit`, by name), each with the JSON
    /// type of one stored value (`text`, `integer`, `real`, `true`, `false`, `array`, `object`;
    /// `null` only when every value is null).
    pub fn property_columns(&self, limit: u32) -> Result<Vec<(String, String)>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT each.key, COALESCE(MAX(CASE WHEN each.type != 'null' THEN each.type END), 'null')
             FROM users, json_each(users.properties) AS each
             GROUP BY each.key ORDER BY each.key LIMIT ?1",
        )?;
        let columns = statement
            .query_map([limit], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<Vec<(String, String)>, _>>()?;
        Ok(columns)
    }

    /// Adds a user; `DuplicateIdentity` if the identity exists.
    pub fn insert_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        put_user_row(&self.lock(), user)
    }

    /// Adds a user and a session for it, both or neither (guest registration).
    pub fn insert_user_with_session(
        &self,
        user: &UserRecord,
        session: &SessionRecord,
    ) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        put_user_row(&transaction, user)?;
        insert_session_row(&transaction, session)?;
        transaction.commit()?;
        Ok(())
    }

    /// A successful login: new session, `lastLogin` set, failed attempts and lock cleared. Returns the updated user.
    /// `None`, and nothing written, when the account is no longer as the login checked it (`seen`):
    /// gone (a reset), or its password or status changed while the password was being checked, so
    /// a login with a password just replaced, or of an account just disabled, gets no session.
    pub fn record_login(
        &self,
        session: &SessionRecord,
        seen: &UserRecord,
    ) -> Result<Option<UserRecord>, StoreError> {
        self.transaction(|tx| {
            let unchanged = tx.user_by_id(&session.user_id)?.is_some_and(|now| {
                now.password_hash == seen.password_hash && now.status == seen.status
            });
            if !unchanged || !tx.open_session(session)? {
                return Ok(None);
            }
            tx.user_by_id(&session.user_id)
        })
    }

    /// Runs `work` in one IMMEDIATE transaction: committed if it returns `Ok`, rolled back
    /// otherwise, so a refusal decided halfway leaves nothing behind.
    pub fn transaction<T, E>(&self, work: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut connection = self.lock();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let tx = Tx { transaction };
        let value = work(&tx)?;
        tx.transaction.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Makes every write fail (on) as on a full disk, or work again (off): `PRAGMA query_only`.
    /// For tests of what happens when the database cannot be written.
    pub fn fail_writes(&self, on: bool) {
        if let Err(error) = self.lock().pragma_update(None, "query_only", on) {
            tracing::warn!(%error, "could not switch query_only");
        }
    }

    /// Sets a user's status (and `updated`), ending the user's sessions too when `end_sessions`.
    pub fn set_user_status(
        &self,
        user_id: &str,
        status: UserStatus,
        now: i64,
        end_sessions: bool,
    ) -> Result<Option<UserRecord>, StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = transaction.execute(
            "UPDATE users SET user_status = ?2, updated = ?3 WHERE object_id = ?1",
            params![user_id, status.as_str(), now],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        if end_sessions {
            transaction.execute(
                "UPDATE sessions SET ended = 1 WHERE user_id = ?1",
                [user_id],
            )?;
        }
        let user = user_where(&transaction, "object_id", user_id)?;
        transaction.commit()?;
        Ok(user)
    }

    /// Ends one session.
    pub fn end_session(&self, token_digest: &TokenDigest) -> Result<(), StoreError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare_cached("UPDATE sessions SET ended = 1 WHERE token_digest = ?1")?;
        statement.execute([token_digest.as_slice()])?;
        Ok(())
    }

    /// Ends every session.
    pub fn end_all_sessions(&self) -> Result<(), StoreError> {
        self.lock()
            .execute("UPDATE sessions SET ended = 1 WHERE ended = 0", [])?;
        Ok(())
    }

    /// Writes the last-use times of sessions in one transaction.
    pub fn touch_sessions(&self, touches: &[(TokenDigest, i64)]) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut statement = transaction.prepare_cached(
                "UPDATE sessions SET last_activity = MAX(last_activity, ?2) WHERE token_digest = ?1",
            )?;
            for (digest, last_activity) in touches {
                statement.execute(params![digest.as_slice(), last_activity])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// Sessions not ended (they may have timed out: the caller judges that).
    pub fn open_sessions(&self) -> Result<Vec<SessionRecord>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare("SELECT token_digest, user_id, last_activity FROM sessions WHERE ended = 0")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        let mut sessions = Vec::new();
        for row in rows {
            let (digest, user_id, last_activity) = row?;
            let token_digest: TokenDigest = digest.try_into().map_err(|_| {
                StoreError::Corrupt(format!("session of user {user_id} has a malformed digest"))
            })?;
            sessions.push(SessionRecord {
                token_digest,
                user_id,
                last_activity,
            });
        }
        Ok(sessions)
    }

    /// Deletes ended sessions and, when `idle_before` is given, sessions unused since before it (expired), so the
    /// table does not grow across months of development. Returns how many went.
    pub fn purge_dead_sessions(&self, idle_before: Option<i64>) -> Result<usize, StoreError> {
        let connection = self.lock();
        let removed = match idle_before {
            Some(cutoff) => connection.execute(
                "DELETE FROM sessions WHERE ended = 1 OR last_activity < ?1",
                [cutoff],
            )?,
            None => connection.execute("DELETE FROM sessions WHERE ended = 1", [])?,
        };
        Ok(removed)
    }

    /// Deletes guests with no session that is open and (when `idle_before` is given) used since
    /// then; their sessions go with them. Returns how many guests went.
    pub fn purge_guests(&self, idle_before: Option<i64>) -> Result<usize, StoreError> {
        let removed = self.lock().execute(
            "DELETE FROM users WHERE user_status = 'GUEST' AND NOT EXISTS (
                 SELECT 1 FROM sessions
                 WHERE sessions.user_id = users.object_id AND sessions.ended = 0
                   AND (?1 IS NULL OR sessions.last_activity >= ?1))",
            params![idle_before],
        )?;
        Ok(removed)
    }

    /// Changes a user in one transaction: reads it, lets `apply` change the record (or refuse),
    /// writes it back with its identity key, so nothing is half-written and two updates cannot
    /// interleave. `None` if there is no such user; an identity another account has is
    /// `StoreError::DuplicateIdentity`.
    pub fn update_user<E>(
        &self,
        object_id: &str,
        apply: impl FnOnce(&mut UserRecord) -> Result<(), E>,
    ) -> Result<Option<UserRecord>, E>
    where
        E: From<StoreError>,
    {
        let changed = self.change_user(object_id, None, apply)?;
        Ok(changed.map(|(user, _)| user))
    }

    /// [`Store::update_user`] that also ends, in the same transaction, every open session of the
    /// user but `keep` (a password change: whoever else held a session must log in again with the
    /// new password). Returns the digests of the sessions it ended too.
    pub fn update_user_ending_other_sessions<E>(
        &self,
        object_id: &str,
        keep: &TokenDigest,
        apply: impl FnOnce(&mut UserRecord) -> Result<(), E>,
    ) -> Result<Option<(UserRecord, Vec<TokenDigest>)>, E>
    where
        E: From<StoreError>,
    {
        self.change_user(object_id, Some(keep), apply)
    }

    /// Both of the above: the user changed by `apply` and, when `keep` is given, every other
    /// open session of the user ended, in one transaction.
    fn change_user<E>(
        &self,
        object_id: &str,
        keep: Option<&TokenDigest>,
        apply: impl FnOnce(&mut UserRecord) -> Result<(), E>,
    ) -> Result<Option<(UserRecord, Vec<TokenDigest>)>, E>
    where
        E: From<StoreError>,
    {
        self.transaction(|tx| {
            let Some(mut user) = tx.user_by_id(object_id)? else {
                return Ok(None);
            };
            apply(&mut user)?;
            tx.put_user(&user)?;
            let ended = match keep {
                Some(keep) => end_other_sessions(&tx.transaction, object_id, keep)?,
                None => Vec::new(),
            };
            Ok(tx.user_by_id(object_id)?.map(|user| (user, ended)))
        })
    }

    /// Deletes all users, sessions and failed attempts.
    pub fn delete_everything(&self) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction.execute_batch(
            "DELETE FROM failed_logins; DELETE FROM failed_unknown_logins; DELETE FROM sessions;
             DELETE FROM oauth_identities; DELETE FROM user_roles; DELETE FROM roles;
             DELETE FROM users;",
        )?;
        transaction.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, email: &str) -> UserRecord {
        UserRecord::sample(id, email)
    }

    #[test]
    fn identity_is_unique_without_case() {
        let store = Store::open(":memory:").unwrap();
        store.insert_user(&user("A", "Alice@X.org")).unwrap();
        assert!(matches!(
            store.insert_user(&user("B", "alice@x.ORG")),
            Err(StoreError::DuplicateIdentity)
        ));
        assert_eq!(
            store
                .user_by_identity("ALICE@x.org")
                .unwrap()
                .unwrap()
                .object_id,
            "A"
        );
        assert!(store.identity_exists("alice@x.org").unwrap());
    }

    #[test]
    fn identity_keys_of_an_older_database_are_normalised_on_open() {
        let path = std::env::temp_dir().join(format!("bl-emu-migrate-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        {
            let store = Store::open(path.to_str().unwrap()).unwrap();
            store.insert_user(&user("A", "ＡＢＣ@x.io")).unwrap();
            let connection = store.lock();
            connection
                .execute("UPDATE users SET identity_key = 'ａｂｃ@x.io'", [])
                .unwrap();
            connection.pragma_update(None, "user_version", 0).unwrap();
        }
        let store = Store::open(path.to_str().unwrap()).unwrap();
        assert_eq!(
            store
                .user_by_identity("abc@x.io")
                .unwrap()
                .unwrap()
                .object_id,
            "A"
        );
        drop(store);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_login_clears_the_lock_and_opens_the_session() {
        let store = Store::open(":memory:").unwrap();
        store.insert_user(&user("A", "a@x")).unwrap();
        store.transaction(|tx| tx.lock_user("A", 1000)).unwrap();
        assert_eq!(
            store.user_by_id("A").unwrap().unwrap().locked_until,
            Some(1000)
        );
        let session = SessionRecord {
            token_digest: [7; 32],
            user_id: "A".into(),
            last_activity: 2000,
        };
        let seen = store.user_by_id("A").unwrap().unwrap();
        let after = store.record_login(&session, &seen).unwrap().unwrap();
        assert_eq!(after.locked_until, None);
        assert_eq!(after.last_login, Some(2000));
        assert_eq!(store.open_sessions().unwrap(), vec![session]);
    }

    #[test]
    fn a_login_of_an_account_changed_since_its_check_writes_nothing() {
        let store = Store::open(":memory:").unwrap();
        let mut account = user("A", "a@x");
        account.password_hash = Some("old".into());
        store.insert_user(&account).unwrap();
        let seen = store.user_by_id("A").unwrap().unwrap();
        let session = SessionRecord {
            token_digest: [7; 32],
            user_id: "A".into(),
            last_activity: 2000,
        };
        let changes: [fn(&mut UserRecord); 2] = [
            |user| user.password_hash = Some("new".into()),
            |user| user.status = UserStatus::Disabled,
        ];
        for change in changes {
            let mut changed = seen.clone();
            change(&mut changed);
            store.transaction(|tx| tx.put_user(&changed)).unwrap();
            assert_eq!(store.record_login(&session, &seen).unwrap(), None);
            assert_eq!(store.open_sessions().unwrap(), vec![]);
            assert_eq!(store.user_by_id("A").unwrap().unwrap().last_login, None);
            store.transaction(|tx| tx.put_user(&seen)).unwrap();
        }
        assert!(store.record_login(&session, &seen).unwrap().is_some());
    }

    #[test]
    fn a_transaction_that_refuses_writes_nothing() {
        let store = Store::open(":memory:").unwrap();
        let refused: Result<(), StoreError> = store.transaction(|tx| {
            tx.put_user(&user("A", "a@x"))?;
            Err(StoreError::Corrupt("refused".into()))
        });
        assert!(refused.is_err());
        assert!(store.user_by_id("A").unwrap().is_none());
    }

    #[test]
    fn purge_removes_ended_and_idle_sessions_only() {
        let store = Store::open(":memory:").unwrap();
        store.insert_user(&user("A", "a@x")).unwrap();
        let seen = store.user_by_id("A").unwrap().unwrap();
        for (byte, at) in [(1u8, 100), (2, 500), (3, 900)] {
            let session = SessionRecord {
                token_digest: [byte; 32],
                user_id: "A".into(),
                last_activity: at,
            };
            store.record_login(&session, &seen).unwrap();
        }
        store.end_session(&[3; 32]).unwrap();
        assert_eq!(store.purge_dead_sessions(None).unwrap(), 1);
        assert_eq!(store.purge_dead_sessions(Some(200)).unwrap(), 1);
        let left: Vec<u8> = store
            .open_sessions()
            .unwrap()
            .iter()
            .map(|session| session.token_digest[0])
            .collect();
        assert_eq!(left, vec![2]);
    }

    #[test]
    fn corrupt_properties_are_an_error_not_a_panic() {
        let store = Store::open(":memory:").unwrap();
        store.insert_user(&user("A", "a@x")).unwrap();
        store
            .lock()
            .execute("UPDATE users SET properties = 'nope'", [])
            .unwrap();
        assert!(matches!(store.user_by_id("A"), Err(StoreError::Corrupt(_))));
    }
}
