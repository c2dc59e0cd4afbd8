//! Every setting of the emulator, declared once: its flag, TOML key, default and help come from the
//! one field in [`Settings`] (or in [`Policy`], the login rules that `/__emulator/config` can change
//! at run time). The TOML file (`--config`) uses the field names as keys.
//!
//! Precedence: flag > TOML file > default. Flags are parsed first (clap fills in the defaults and
//! remembers which values came from the command line); then every key of the file replaces the
//! value of the same name unless that value was given as a flag. `--seed-user`s from the file and
//! the flags are combined.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The settings, as flags and TOML keys.
#[derive(Debug, Clone, PartialEq, Eq, Parser, Serialize, Deserialize)]
#[command(
    name = "backendless-emulator",
    version,
    about = "A local, Backendless-compatible user-login server for development and tests.",
    after_help = "URL forms: /{appId}/{apiKey}/<op> and /api/<op>. Control endpoints live under /__emulator/.\n\
                  Prints `listening on http://HOST:PORT` on stdout once ready; logs go to stderr."
)]
pub struct Settings {
    /// TOML file with any of the settings below (keys as the flag names, with '_' for '-';
    /// seed_users = [...] for --seed-user)
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// TCP port; 0 picks a free one
    #[arg(long, default_value_t = 8200)]
    pub port: u16,
    /// SQLite database file, or :memory: for a throw-away store
    #[arg(long, value_name = "PATH", default_value = "./backendless-emulator.db")]
    pub db: String,
    /// Application id accepted in /{appId}/{apiKey}/… URLs
    #[arg(long, default_value = "LOCAL-APP-ID")]
    pub app_id: String,
    /// API key accepted in /{appId}/{apiKey}/… URLs
    #[arg(long, default_value = "LOCAL-API-KEY")]
    pub api_key: String,
    /// The app's CloudCode (Code Runner) API key, also accepted in /{appId}/{apiKey}/… URLs: its
    /// requests are business logic's (login by objectId, verifypassowrd, assignRole, user status)
    #[arg(long, value_name = "KEY", default_value = "LOCAL-CLOUDCODE-KEY")]
    pub cloud_code_api_key: String,
    /// Create this custom role at start and after each reset (1-64 letters, digits, _ and -; not a
    /// system role's name); repeatable
    #[arg(long = "role", value_name = "NAME")]
    pub roles: Vec<String>,
    /// Create this user (identity = email) at start and after each reset, unless it exists; repeatable
    #[arg(long = "seed-user", value_name = "LOGIN:PASSWORD")]
    pub seed_users: Vec<String>,
    /// A host name (Host header) to serve besides localhost, *.localhost and IP addresses, e.g. a
    /// LAN name or a tunnel; repeatable. Other names are refused (403), against DNS rebinding.
    /// OAuth sign-ins may also send the browser and the session to these names and addresses
    #[arg(long = "allowed-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,
    /// Token the /__emulator control endpoints require (header X-Emulator-Token: TOKEN, or
    /// Authorization: Bearer TOKEN). Off loopback one is generated and printed if none is given
    #[arg(long, value_name = "TOKEN")]
    pub control_token: Option<String>,
    /// Log level on stderr: error, warn, info, debug or trace (debug shows every request)
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    pub log_level: String,
    /// How many requests /__emulator/requests keeps
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub request_log_size: usize,
    /// Most bytes (as JSON) /__emulator/requests keeps; the oldest entries go first
    #[arg(long, value_name = "BYTES", default_value_t = 8 * 1024 * 1024)]
    pub request_log_bytes: usize,
    /// Seconds a client has to send a request's headers, also while a kept-alive connection waits
    /// for its next request (Node's headersTimeout, nginx's client_header_timeout)
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body; later → 408 (nginx's client_body_timeout)
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub body_timeout_secs: u64,
    /// Seconds after which a connection with no request in flight that receives nothing is closed
    /// (Node's keepAliveTimeout)
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub idle_timeout_secs: u64,
    /// Seconds a stop (SIGINT/SIGTERM) waits for answers in flight before closing what is left
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Accounts (registrations and guests) one client (IP address) may create per minute, in a
    /// burst or spread out; more → 429. 0 = unlimited
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub signups_per_minute: u32,
    /// OAuth sign-ins one client (IP address) may start per minute (POST
    /// users/oauth/{provider}/request_url), in a burst or spread out; more → 429. 0 = unlimited
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub oauth_starts_per_minute: u32,
    /// Confirmation mails one client (IP address) may ask for per minute (POST
    /// users/resendconfirmation/{identity}); more → 429. 0 = unlimited
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub confirmation_mails_per_minute: u32,
    /// Most password hashes waiting or running at once; a register or login beyond it gets 503
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_pending_hashes: usize,
    /// Most connections open at once; 0 = what the open-file limit allows, less 128 for the
    /// database and threads (the soft limit is raised to the hard one at start)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_connections: usize,
    /// Enable an OAuth2 login provider served by the local identity provider at
    /// /oauth-provider/CODE/ (lower-case [a-z0-9_-], at most 32); repeatable
    #[arg(long = "oauth-provider", value_name = "CODE")]
    pub oauth_providers: Vec<String>,
    /// The login rules (also changeable at run time through /__emulator/config).
    #[command(flatten)]
    #[serde(flatten)]
    pub policy: Policy,
}

/// The login rules; can be changed while running (`POST /__emulator/config`, camelCase keys) and go
/// back to the start values on reset.
#[derive(Debug, Clone, PartialEq, Eq, Args, Serialize, Deserialize)]
pub struct Policy {
    /// End a session after this many seconds without use; 0 = never
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub session_timeout_secs: u64,
    /// Lock an account after this many failed logins within the window (3036); 0 = no lockout
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub lockout_threshold: u32,
    /// Window in which failed logins are counted
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub lockout_window_secs: u64,
    /// How long a locked account stays locked
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub lockout_duration_secs: u64,
    /// false = a login while the account has a live session fails with 3002
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", default_value_t = true, action = clap::ArgAction::Set)]
    pub allow_multiple_logins: bool,
    /// Live sessions allowed per account, beyond which login fails with 3044; 0 = unlimited
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_concurrent_logins: u32,
    /// Every login fails with 3034, as when logins are disabled for the app version
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    pub logins_disabled: bool,
    /// Every `users/register` fails with 3009 (403), as when registration is turned off for the
    /// app; guest logins still work
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    pub registration_disabled: bool,
    /// Every login fails with 3001, as when the app has no login settings
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    pub login_settings_missing: bool,
    /// Longest string (in characters) accepted for a user property, at any depth, on register (8000)
    #[arg(long, value_name = "CHARS", default_value_t = 500)]
    pub max_property_length: usize,
    /// Largest user object (its custom properties as JSON, in bytes) accepted on register (8000)
    #[arg(long, value_name = "BYTES", default_value_t = 16384)]
    pub max_user_bytes: usize,
    /// Who may read GET data/Users/{id}: owner = only with that user's own live token (others and
    /// no token get 1000); anyone = every caller (the hosted service's out-of-the-box matrix)
    #[arg(long, value_enum, value_name = "WHO", default_value_t = UsersReadableBy::Owner)]
    pub users_readable_by: UsersReadableBy,
    /// New accounts wait for their email confirmation (EMAIL_CONFIRMATION_PENDING, login 3087)
    /// until the link in /__emulator/outbox is opened; off: resendconfirmation answers 3103
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    pub require_email_confirmation: bool,
}

/// Who may read a user through the Data API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsersReadableBy {
    /// Only the user, with its own live token.
    Owner,
    /// Every caller, with or without a token (a token sent must still be live).
    Anyone,
}

impl Default for Settings {
    /// Every default, as the flags declare them.
    fn default() -> Self {
        Settings::parse_from(["backendless-emulator"])
    }
}

impl Default for Policy {
    fn default() -> Self {
        Settings::default().policy
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
    /// Parses `LOGIN:PASSWORD`, splitting at the first ':' (so the password may contain ':'); the
    /// login must be a valid email address.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        match text.split_once(':') {
            Some((login, _)) if !login.is_empty() && !crate::user::is_valid_email(login) => {
                Err(ConfigError::Invalid(format!(
                    "--seed-user: '{login}' is not a valid email address"
                )))
            }
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

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The command line itself is wrong, or asks for help or the version (clap prints those).
    #[error(transparent)]
    Flags(#[from] clap::Error),
    /// The TOML file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML file is malformed, has unknown keys or values of the wrong type.
    #[error("bad config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Flags, then the TOML file they name, then the defaults (see the module docs).
    pub fn load<I, T>(args: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = Settings::command().try_get_matches_from(args)?;
        let mut settings = Settings::from_arg_matches(&matches)?;
        if let Some(path) = settings.config.clone() {
            settings = settings.overlay_file(&path, |id| {
                matches.value_source(id) == Some(ValueSource::CommandLine)
            })?;
        }
        settings.check()?;
        Ok(settings)
    }

    /// The setting names (flag ids, TOML keys), `config` excepted.
    pub fn names() -> BTreeSet<String> {
        Settings::command()
            .get_arguments()
            .map(|argument| argument.get_id().to_string())
            .filter(|id| id != "config" && id != "help" && id != "version")
            .collect()
    }

    /// Replaces each value named in the TOML file at `path` unless `from_flags(name)`.
    fn overlay_file(
        self,
        path: &PathBuf,
        from_flags: impl Fn(&str) -> bool,
    ) -> Result<Self, ConfigError> {
        let parse_error = |message: String| ConfigError::Parse {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let file: toml::Table =
            toml::from_str(&text).map_err(|error| parse_error(error.to_string()))?;
        let names = Settings::names();
        let mut merged = match serde_json::to_value(&self) {
            Ok(Value::Object(map)) => map,
            _ => return Err(parse_error("settings do not serialise".into())),
        };
        for (key, value) in file {
            if !names.contains(&key) {
                return Err(parse_error(format!("unknown key `{key}`")));
            }
            let value =
                serde_json::to_value(value).map_err(|error| parse_error(error.to_string()))?;
            if key == "seed_users" || key == "oauth_providers" || key == "roles" {
                // Lists: the file's entries come first, then the flags' ones.
                let mut combined = match value {
                    Value::Array(items) => items,
                    _ => return Err(parse_error(format!("`{key}` must be a list"))),
                };
                let flags = match key.as_str() {
                    "seed_users" => &self.seed_users,
                    "roles" => &self.roles,
                    _ => &self.oauth_providers,
                };
                combined.extend(flags.iter().cloned().map(Value::from));
                merged.insert(key, Value::Array(combined));
            } else if !from_flags(&key) {
                merged.insert(key, value);
            }
        }
        let mut settings: Settings = serde_json::from_value(Value::Object(merged))
            .map_err(|error| parse_error(error.to_string()))?;
        settings.config = Some(path.clone());
        Ok(settings)
    }

    /// Checks values no type can: seed users, the log level, timeouts of at least a second.
    fn check(&self) -> Result<(), ConfigError> {
        self.seed_users()?;
        self.log_level()?;
        if let Some(bad) = self
            .oauth_providers
            .iter()
            .find(|code| !is_provider_code(code))
        {
            return Err(ConfigError::Invalid(format!(
                "--oauth-provider wants a code of 1-32 characters a-z 0-9 _ -, got '{bad}'"
            )));
        }
        if let Some(bad) = self.roles.iter().find(|name| !is_role_name(name)) {
            return Err(ConfigError::Invalid(format!(
                "--role wants 1-64 of A-Z a-z 0-9 _ - and not a system role's name, got '{bad}'"
            )));
        }
        if self.cloud_code_api_key.is_empty()
            || self.cloud_code_api_key == self.api_key
            || self.cloud_code_api_key.contains('/')
        {
            return Err(ConfigError::Invalid(
                "--cloud-code-api-key must be non-empty, without '/', and differ from --api-key"
                    .into(),
            ));
        }
        if self
            .control_token
            .as_deref()
            .is_some_and(|token| token.len() < 16 || !crate::protocol::is_header_value(token))
        {
            return Err(ConfigError::Invalid(
                "--control-token wants at least 16 visible ASCII characters".into(),
            ));
        }
        for (name, value) in [
            ("--header-timeout-secs", self.header_timeout_secs),
            ("--body-timeout-secs", self.body_timeout_secs),
            ("--idle-timeout-secs", self.idle_timeout_secs),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
            }
        }
        Ok(())
    }

    /// The control token in force: the one given, else (bound off loopback) a fresh random one.
    pub fn control_token(&self) -> Result<Option<String>, crate::ids::RandomnessError> {
        match &self.control_token {
            Some(token) => Ok(Some(token.clone())),
            None if !self.host.is_loopback() => Ok(Some(
                format!("{}{}", crate::ids::new_token()?, crate::ids::new_token()?)
                    .replace('-', ""),
            )),
            None => Ok(None),
        }
    }

    /// The accept loop's bounds; with `max_connections` 0, raises the open-file limit and fits
    /// under it.
    pub fn serve_options(&self) -> crate::server::ServeOptions {
        use std::time::Duration;
        crate::server::ServeOptions {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            max_connections: match self.max_connections {
                0 => crate::server::connection_capacity(),
                n => n,
            },
        }
    }

    /// The `--seed-user`s, parsed.
    pub fn seed_users(&self) -> Result<Vec<SeedUser>, ConfigError> {
        self.seed_users
            .iter()
            .map(|text| SeedUser::parse(text))
            .collect()
    }

    /// The log level, parsed.
    pub fn log_level(&self) -> Result<tracing::Level, ConfigError> {
        self.log_level
            .parse::<tracing::Level>()
            .map_err(|_| ConfigError::Invalid(format!("unknown log level '{}'", self.log_level)))
    }
}

/// Whether `code` can name an OAuth provider: 1–32 of `a-z 0-9 _ -` (it goes into URLs as is).
pub fn is_provider_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Whether `name` can name a custom role: 1–64 of `A-Z a-z 0-9 _ -`, not a system role's name
/// (it goes into URLs, `users/role/{name}`, and HTML as is).
pub fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !crate::protocol::roles::SYSTEM.contains(&name)
}

/// `session_timeout_secs` → `sessionTimeoutSecs`.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for character in name.chars() {
        if character == '_' {
            upper = true;
        } else if upper {
            out.extend(character.to_uppercase());
            upper = false;
        } else {
            out.push(character);
        }
    }
    out
}

impl Policy {
    /// The policy as `/__emulator/config` shows it: camelCase keys.
    pub fn to_json(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => Value::Object(
                map.into_iter()
                    .map(|(key, value)| (camel_case(&key), value))
                    .collect(),
            ),
            other => other.unwrap_or(Value::Null),
        }
    }

    /// This policy with the camelCase keys of `patch` applied; unknown keys and wrong types are
    /// refused with a message.
    pub fn patched(&self, patch: &Map<String, Value>) -> Result<Policy, String> {
        let mut fields = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => return Err("the policy does not serialise".into()),
        };
        for (key, value) in patch {
            let Some(name) = fields.keys().find(|name| camel_case(name) == *key).cloned() else {
                return Err(format!("unknown policy key `{key}`"));
            };
            fields.insert(name, value.clone());
        }
        serde_json::from_value(Value::Object(fields)).map_err(|error| error.to_string())
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
            "port = 9000\napp_id = \"FILE\"\nlockout_threshold = 3\nseed_users = [\"f@x:1\"]\n\
             allow_multiple_logins = true\nmax_property_length = 7\n\
             oauth_providers = [\"github\"]\nrequire_email_confirmation = true\n\
             registration_disabled = true\n",
        )
        .unwrap();
        let settings = Settings::load([
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
            "--oauth-provider",
            "my_idp-2",
        ])
        .unwrap();
        assert_eq!(settings.oauth_providers, ["github", "my_idp-2"]);
        assert!(settings.policy.require_email_confirmation);
        assert!(settings.policy.registration_disabled, "the file's key");
        assert_eq!(settings.port, 9100);
        assert_eq!(settings.app_id, "FILE");
        assert_eq!(settings.api_key, "LOCAL-API-KEY");
        assert_eq!(settings.policy.lockout_threshold, 3);
        assert_eq!(settings.policy.max_property_length, 7);
        assert!(!settings.policy.allow_multiple_logins, "the flag wins");
        assert!(settings.policy.logins_disabled);
        assert_eq!(settings.seed_users, ["f@x:1", "c@x:2"]);
        // A flag that equals its default still wins over the file.
        let settings = Settings::load([
            "backendless-emulator",
            "--config",
            path.to_str().unwrap(),
            "--port",
            "8200",
        ])
        .unwrap();
        assert_eq!(settings.port, 8200);
        for bad in ["prot = 1\n", "port = \"eighty\"\n", "port = 70000\n"] {
            std::fs::write(&path, bad).unwrap();
            let result =
                Settings::load(["backendless-emulator", "--config", path.to_str().unwrap()]);
            assert!(
                matches!(result, Err(ConfigError::Parse { .. })),
                "{bad}: {result:?}"
            );
        }
        for bad in ["GitHub", "", "a b", "x".repeat(33).as_str()] {
            let result = Settings::load(["backendless-emulator", "--oauth-provider", bad]);
            assert!(matches!(result, Err(ConfigError::Invalid(_))), "{bad}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_setting_is_a_flag_and_a_key_and_policy_keys_are_camel_case() {
        let names = Settings::names();
        for name in [
            "host",
            "port",
            "seed_users",
            "lockout_threshold",
            "max_property_length",
            "oauth_providers",
            "require_email_confirmation",
        ] {
            assert!(names.contains(name), "{name}: {names:?}");
        }
        let json = Policy::default().to_json();
        assert_eq!(json["sessionTimeoutSecs"], 3600);
        assert_eq!(json["allowMultipleLogins"], true);
        assert_eq!(json["usersReadableBy"], "owner");
        assert_eq!(json["requireEmailConfirmation"], false);
        assert_eq!(json["registrationDisabled"], false);
        assert!(
            Settings::load(["backendless-emulator", "--registration-disabled"])
                .unwrap()
                .policy
                .registration_disabled
        );
        let patch = serde_json::json!({"loginsDisabled": true});
        let patched = Policy::default()
            .patched(patch.as_object().unwrap())
            .unwrap();
        assert!(patched.logins_disabled);
        let unknown = serde_json::json!({"noSuchKnob": 1});
        assert!(Policy::default()
            .patched(unknown.as_object().unwrap())
            .is_err());
        let wrong = serde_json::json!({"lockoutThreshold": "three"});
        assert!(Policy::default()
            .patched(wrong.as_object().unwrap())
            .is_err());
    }
}
