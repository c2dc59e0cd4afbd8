//! Every knob of the emulator with its default: command-line flags, an optional TOML file, and the
//! login policy that tests can also change at run time through `/__emulator/config`.
//!
//! Precedence: flag > TOML file > built-in default. `--seed-user`s from the file and the flags are combined.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;
use serde::{Deserialize, Serialize};

/// Default TCP port.
pub const DEFAULT_PORT: u16 = 8200;
/// Default database file.
pub const DEFAULT_DB: &str = "./backendless-emulator.db";
/// Default application id accepted in `/{appId}/{apiKey}/…` URLs.
pub const DEFAULT_APP_ID: &str = "LOCAL-APP-ID";
/// Default API key accepted in `/{appId}/{apiKey}/…` URLs.
pub const DEFAULT_API_KEY: &str = "LOCAL-API-KEY";

/// Command-line flags. Every value is optional so that a TOML file can fill it in; defaults are in the help.
#[derive(Debug, Default, Parser)]
#[command(
    name = "backendless-emulator",
    version,
    about = "A local, Backendless-compatible user-login server for development and tests.",
    after_help = "URL forms: /{appId}/{apiKey}/<op> and /api/<op>. Control endpoints live under /__emulator/.\n\
                  Prints `listening on http://HOST:PORT` on stdout once ready; logs go to stderr."
)]
pub struct Cli {
    /// TOML file with any of the settings below (keys as the flag names, with '_' for '-')
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<IpAddr>,
    /// TCP port; 0 picks a free one [default: 8200]
    #[arg(long)]
    pub port: Option<u16>,
    /// SQLite database file, or :memory: for a throw-away store [default: ./backendless-emulator.db]
    #[arg(long, value_name = "PATH")]
    pub db: Option<String>,
    /// Application id accepted in /{appId}/{apiKey}/… URLs [default: LOCAL-APP-ID]
    #[arg(long)]
    pub app_id: Option<String>,
    /// API key accepted in /{appId}/{apiKey}/… URLs [default: LOCAL-API-KEY]
    #[arg(long)]
    pub api_key: Option<String>,
    /// Create this user (identity = email) at start and after each reset, unless it exists; repeatable
    #[arg(long, value_name = "LOGIN:PASSWORD")]
    pub seed_user: Vec<String>,
    /// Log level on stderr: error, warn, info, debug or trace (debug shows every request) [default: info]
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// End a session after this many seconds without use; 0 = never [default: 3600]
    #[arg(long, value_name = "SECS")]
    pub session_timeout_secs: Option<u64>,
    /// Lock an account after this many failed logins within the window (3036); 0 = no lockout [default: 0]
    #[arg(long, value_name = "N")]
    pub lockout_threshold: Option<u32>,
    /// Window in which failed logins are counted [default: 900]
    #[arg(long, value_name = "SECS")]
    pub lockout_window_secs: Option<u64>,
    /// How long a locked account stays locked [default: 900]
    #[arg(long, value_name = "SECS")]
    pub lockout_duration_secs: Option<u64>,
    /// false = a login while the account has a live session fails with 3002 [default: true]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub allow_multiple_logins: Option<bool>,
    /// Live sessions allowed per account, beyond which login fails with 3044; 0 = unlimited [default: 0]
    #[arg(long, value_name = "N")]
    pub max_concurrent_logins: Option<u32>,
    /// Every login fails with 3034, as when logins are disabled for the app version [default: false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub logins_disabled: Option<bool>,
    /// Every login fails with 3001, as when the app has no login settings [default: false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub login_settings_missing: Option<bool>,
    /// Longest string (in characters) accepted for a user property on register (8000) [default: 500]
    #[arg(long, value_name = "CHARS")]
    pub max_property_length: Option<usize>,
    /// How many requests /__emulator/requests keeps [default: 1000]
    #[arg(long, value_name = "N")]
    pub request_log_size: Option<usize>,
}

/// The TOML file: the same settings as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    host: Option<IpAddr>,
    port: Option<u16>,
    db: Option<String>,
    app_id: Option<String>,
    api_key: Option<String>,
    #[serde(default)]
    seed_users: Vec<String>,
    log_level: Option<String>,
    session_timeout_secs: Option<u64>,
    lockout_threshold: Option<u32>,
    lockout_window_secs: Option<u64>,
    lockout_duration_secs: Option<u64>,
    allow_multiple_logins: Option<bool>,
    max_concurrent_logins: Option<u32>,
    logins_disabled: Option<bool>,
    login_settings_missing: Option<bool>,
    max_property_length: Option<usize>,
    request_log_size: Option<usize>,
}

/// The login rules; can be changed while running (POST /__emulator/config) and go back to the start values on reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Inactivity timeout of a session in seconds; 0 = sessions never expire.
    pub session_timeout_secs: u64,
    /// Failed logins within the window that lock the account; 0 = no lockout.
    pub lockout_threshold: u32,
    /// Window for counting failed logins, in seconds.
    pub lockout_window_secs: u64,
    /// Lock duration in seconds.
    pub lockout_duration_secs: u64,
    /// Whether an account may hold more than one live session (else 3002).
    pub allow_multiple_logins: bool,
    /// Maximum live sessions per account (else 3044); 0 = unlimited.
    pub max_concurrent_logins: u32,
    /// Simulates logins disabled for the app (3034).
    pub logins_disabled: bool,
    /// Simulates missing login settings (3001).
    pub login_settings_missing: bool,
    /// Longest accepted string property, in characters (8000).
    pub max_property_length: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            session_timeout_secs: 3600,
            lockout_threshold: 0,
            lockout_window_secs: 900,
            lockout_duration_secs: 900,
            allow_multiple_logins: true,
            max_concurrent_logins: 0,
            logins_disabled: false,
            login_settings_missing: false,
            max_property_length: 500,
        }
    }
}

/// A user created at start and after every reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedUser {
    /// The identity (`email`).
    pub login: String,
    /// The clear-text password (hashed before it is stored).
    pub password: String,
}

impl SeedUser {
    /// Parses `LOGIN:PASSWORD`, splitting at the first ':' (so the password may contain ':').
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        match text.split_once(':') {
            Some((login, password)) if !login.is_empty() && !password.is_empty() => Ok(Self {
                login: login.to_string(),
                password: password.to_string(),
            }),
            _ => Err(ConfigError::Invalid(format!(
                "--seed-user wants LOGIN:PASSWORD, got '{text}'"
            ))),
        }
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub host: IpAddr,
    /// Listen port (0 = any free port).
    pub port: u16,
    /// Database path or `:memory:`.
    pub db: String,
    /// Accepted application id.
    pub app_id: String,
    /// Accepted API key.
    pub api_key: String,
    /// Users created at start and on reset.
    pub seed_users: Vec<SeedUser>,
    /// stderr log level.
    pub log_level: tracing::Level,
    /// Entries kept by the request log.
    pub request_log_size: usize,
    /// The login policy at start.
    pub policy: Policy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: DEFAULT_PORT,
            db: DEFAULT_DB.to_string(),
            app_id: DEFAULT_APP_ID.to_string(),
            api_key: DEFAULT_API_KEY.to_string(),
            seed_users: Vec::new(),
            log_level: tracing::Level::INFO,
            request_log_size: 1000,
            policy: Policy::default(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML file is malformed or has unknown keys.
    #[error("bad config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Resolves flags over the optional TOML file over the defaults.
    pub fn resolve(cli: Cli) -> Result<Self, ConfigError> {
        let file = match &cli.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|error| ConfigError::Parse {
                    path: path.clone(),
                    message: error.to_string(),
                })?
            }
            None => FileConfig::default(),
        };
        let defaults = Config::default();
        let base_policy = defaults.policy.clone();
        let policy = Policy {
            session_timeout_secs: cli
                .session_timeout_secs
                .or(file.session_timeout_secs)
                .unwrap_or(base_policy.session_timeout_secs),
            lockout_threshold: cli
                .lockout_threshold
                .or(file.lockout_threshold)
                .unwrap_or(base_policy.lockout_threshold),
            lockout_window_secs: cli
                .lockout_window_secs
                .or(file.lockout_window_secs)
                .unwrap_or(base_policy.lockout_window_secs),
            lockout_duration_secs: cli
                .lockout_duration_secs
                .or(file.lockout_duration_secs)
                .unwrap_or(base_policy.lockout_duration_secs),
            allow_multiple_logins: cli
                .allow_multiple_logins
                .or(file.allow_multiple_logins)
                .unwrap_or(base_policy.allow_multiple_logins),
            max_concurrent_logins: cli
                .max_concurrent_logins
                .or(file.max_concurrent_logins)
                .unwrap_or(base_policy.max_concurrent_logins),
            logins_disabled: cli
                .logins_disabled
                .or(file.logins_disabled)
                .unwrap_or(base_policy.logins_disabled),
            login_settings_missing: cli
                .login_settings_missing
                .or(file.login_settings_missing)
                .unwrap_or(base_policy.login_settings_missing),
            max_property_length: cli
                .max_property_length
                .or(file.max_property_length)
                .unwrap_or(base_policy.max_property_length),
        };
        let log_level = match cli.log_level.or(file.log_level) {
            Some(text) => text
                .parse::<tracing::Level>()
                .map_err(|_| ConfigError::Invalid(format!("unknown log level '{text}'")))?,
            None => defaults.log_level,
        };
        let seed_users = file
            .seed_users
            .iter()
            .chain(cli.seed_user.iter())
            .map(|text| SeedUser::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        let request_log_size = cli
            .request_log_size
            .or(file.request_log_size)
            .unwrap_or(defaults.request_log_size);
        Ok(Self {
            host: cli.host.or(file.host).unwrap_or(defaults.host),
            port: cli.port.or(file.port).unwrap_or(defaults.port),
            db: cli.db.or(file.db).unwrap_or(defaults.db),
            app_id: cli.app_id.or(file.app_id).unwrap_or(defaults.app_id),
            api_key: cli.api_key.or(file.api_key).unwrap_or(defaults.api_key),
            seed_users,
            log_level,
            request_log_size,
            policy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_user_splits_at_first_colon() {
        let seed = SeedUser::parse("a@b.c:pa:ss").unwrap();
        assert_eq!(seed.login, "a@b.c");
        assert_eq!(seed.password, "pa:ss");
        assert!(SeedUser::parse("nocolon").is_err());
        assert!(SeedUser::parse(":pw").is_err());
    }

    #[test]
    fn flags_override_file_which_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("bl-emu-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(
            &path,
            "port = 9000\napp_id = \"FILE\"\nlockout_threshold = 3\nseed_users = [\"f@x:1\"]\n",
        )
        .unwrap();
        let cli = Cli::parse_from([
            "backendless-emulator",
            "--config",
            path.to_str().unwrap(),
            "--port",
            "9100",
            "--seed-user",
            "c@x:2",
            "--allow-multiple-logins",
            "false",
            "--logins-disabled",
        ]);
        let config = Config::resolve(cli).unwrap();
        assert_eq!(config.port, 9100);
        assert_eq!(config.app_id, "FILE");
        assert_eq!(config.api_key, DEFAULT_API_KEY);
        assert_eq!(config.policy.lockout_threshold, 3);
        assert!(!config.policy.allow_multiple_logins);
        assert!(config.policy.logins_disabled);
        assert_eq!(config.seed_users.len(), 2);
        std::fs::write(&path, "prot = 1\n").unwrap();
        let cli = Cli::parse_from(["backendless-emulator", "--config", path.to_str().unwrap()]);
        assert!(matches!(
            Config::resolve(cli),
            Err(ConfigError::Parse { .. })
        ));
    }
}
