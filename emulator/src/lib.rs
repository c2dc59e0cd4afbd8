//! `backendless-emulator`: a local, Backendless-compatible user-login server for development and tests.
//!
//! | module | owns |
//! |---|---|
//! | [`config`] | every setting, declared once: flags, TOML file, login policy |
//! | [`routes`] | HTTP handlers (users, data, control) and CORS |
//! | [`auth`] | registration, login, tokens, lockout and session policy |
//! | [`password`] | argon2id hashing and verification |
//! | [`sessions`] | the in-memory session view that makes token checks cheap |
//! | [`store`] | SQLite: users, sessions, failed logins |
//! | [`user`] | the user record and its wire form |
//! | [`request_log`] | the redacted recent-request log, bounded by entries and bytes |
//! | [`ratelimit`] | sign-ups per client and minute |
//! | [`clock`] | the time expiries, locks and rates go by: the system's, or one tests move ahead |
//! | [`ids`] | UUIDs, salts, token digests and single-use secrets from the OS CSPRNG |
//! | [`provider`] | the local OAuth2 identity provider's accounts, codes, tokens and pending logins |
//! | [`error`] | `ApiError` and its JSON form |
//! | [`hold`] | the hold switch that parks API requests for interleaving tests |
//! | [`server`] | the accept loop: connections, dropping one without an answer, graceful stop |
//! | [`protocol`] | codes, wording and paths, the same source file the SDK compiles |

pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod hold;
pub mod ids;
pub mod password;
/// The protocol facts shared with the SDK (codes, wording, paths): the SDK crate's own file.
#[path = "../../src/protocol.rs"]
pub mod protocol;
pub mod provider;
pub mod ratelimit;
pub mod request_log;
pub mod routes;
pub mod server;
pub mod sessions;
pub mod store;
pub mod user;

use std::sync::Arc;

use crate::auth::Auth;
use crate::config::Settings;
use crate::request_log::RequestLog;
use crate::routes::AppState;
use crate::store::Store;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The database could not be opened.
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    /// Seeding or loading failed.
    #[error("startup: {0}")]
    Startup(#[from] auth::AuthError),
    /// No randomness for a control token.
    #[error("randomness: {0}")]
    Randomness(#[from] ids::RandomnessError),
    /// The socket could not be bound.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the store and builds the shared state for [`routes::router`], on the system clock.
pub async fn build_state(config: &Settings) -> Result<Arc<AppState>, StartError> {
    build_state_with_clock(config, Arc::new(clock::SystemClock)).await
}

/// As [`build_state`], with every expiry, lock and rate read from `clock`.
pub async fn build_state_with_clock(
    config: &Settings,
    clock: clock::SharedClock,
) -> Result<Arc<AppState>, StartError> {
    let path = config.db.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&path))
        .await
        .map_err(|error| store::StoreError::Task(error.to_string()))??;
    let auth = Auth::new(
        Arc::new(store),
        config.policy.clone(),
        config.seed_users()?,
        config.roles.clone(),
        config.max_pending_hashes,
        clock.clone(),
    )
    .await?;
    Ok(Arc::new(AppState {
        auth,
        request_log: RequestLog::new(config.request_log_size, config.request_log_bytes),
        app_id: config.app_id.clone(),
        api_key: config.api_key.clone(),
        cloud_code_api_key: config.cloud_code_api_key.clone(),
        hold: hold::Hold::default(),
        signups: ratelimit::RateLimiter::new(config.signups_per_minute, clock.clone()),
        oauth_starts: ratelimit::RateLimiter::new(config.oauth_starts_per_minute, clock.clone()),
        confirmation_mails: ratelimit::RateLimiter::new(
            config.confirmation_mails_per_minute,
            clock.clone(),
        ),
        allowed_hosts: config
            .allowed_hosts
            .iter()
            .map(|name| name.trim_end_matches('.').to_ascii_lowercase())
            .collect(),
        control_token: config.control_token()?,
        body_timeout: std::time::Duration::from_secs(config.body_timeout_secs),
        large_bodies: Arc::new(tokio::sync::Semaphore::new(routes::LARGE_BODIES_IN_FLIGHT)),
        provider: provider::LocalProvider::new(config.oauth_providers.clone(), clock),
    }))
}
