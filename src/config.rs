//! Where requests go and where the session is stored, from the arguments of `initApp`.
//!
//! Two forms, as in the official SDK:
//! - `initApp(appId, apiKey)`: requests go to `{serverURL}/{appId}/{apiKey}` and the session is
//!   stored under `Backendless_{appId}`;
//! - `initApp("https://xxxx.backendless.app")` (or `{domain}`): requests go to `{domain}/api` and
//!   the session is stored under `Backendless`.
//!
//! ```
//! use backendless_wasm::config::AppConfig;
//! let app = AppConfig::with_keys("APP", "KEY").unwrap();
//! assert_eq!(app.base_url("https://api.backendless.com/"), "https://api.backendless.com/APP/KEY");
//! assert_eq!(app.storage_key(), "Backendless_APP");
//! ```

use crate::error::BackendlessError;

/// The hosted service, used until `Backendless.serverURL` is set.
pub const DEFAULT_SERVER_URL: &str = "https://api.backendless.com";

/// Name of the localStorage item in custom-domain mode, and of the legacy item that
/// `Backendless_{appId}` replaced.
pub const SHARED_STORAGE_KEY: &str = crate::protocol::keys::STORAGE_PREFIX;

/// An initialised application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppConfig {
    /// `initApp(appId, apiKey)`.
    Keys { app_id: String, api_key: String },
    /// `initApp("https://xxxx.backendless.app")`; stored without a trailing slash.
    Domain { domain: String },
}

impl AppConfig {
    /// Validates an app id and API key: both non-empty, and neither may contain characters
    /// that would change the URL's shape.
    pub fn with_keys(app_id: &str, api_key: &str) -> Result<AppConfig, BackendlessError> {
        if !is_path_segment(app_id) {
            return Err(BackendlessError::argument(
                "initApp: appId must be non-empty, without / ? # % or spaces",
            ));
        }
        if !is_path_segment(api_key) {
            return Err(BackendlessError::argument(
                "initApp: apiKey must be non-empty, without / ? # % or spaces",
            ));
        }
        Ok(AppConfig::Keys {
            app_id: app_id.into(),
            api_key: api_key.into(),
        })
    }

    /// Validates a custom domain: it must be an absolute http(s) URL with a host.
    pub fn with_domain(domain: &str) -> Result<AppConfig, BackendlessError> {
        let trimmed = without_trailing_slashes(domain);
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.bytes().any(is_space_or_control) => {
                Ok(AppConfig::Domain {
                    domain: trimmed.into(),
                })
            }
            _ => Err(BackendlessError::argument(INIT_APP)),
        }
    }

    /// True when the single string argument of `initApp` is meant as a custom domain.
    pub fn looks_like_domain(value: &str) -> bool {
        value.starts_with("http://") || value.starts_with("https://")
    }

    /// The URL every operation path is appended to. `server_url` is only used in the
    /// app-id form; it is read at call time because `Backendless.serverURL` may change.
    pub fn base_url(&self, server_url: &str) -> String {
        match self {
            AppConfig::Keys { app_id, api_key } => {
                let server = without_trailing_slashes(server_url);
                let mut url =
                    String::with_capacity(server.len() + app_id.len() + api_key.len() + 2);
                url.push_str(server);
                url.push('/');
                url.push_str(app_id);
                url.push('/');
                url.push_str(api_key);
                url
            }
            AppConfig::Domain { domain } => {
                let mut url = String::with_capacity(domain.len() + 4);
                url.push_str(domain);
                url.push_str("/api");
                url
            }
        }
    }

    /// The localStorage item holding this app's cache map.
    pub fn storage_key(&self) -> String {
        match self {
            AppConfig::Keys { app_id, .. } => {
                let mut key = String::from(SHARED_STORAGE_KEY);
                key.push('_');
                key.push_str(app_id);
                key
            }
            AppConfig::Domain { .. } => SHARED_STORAGE_KEY.into(),
        }
    }

    /// The legacy item to migrate from on first use, if this mode has one. In custom-domain
    /// mode the current and legacy names coincide, so there is nothing to migrate.
    pub fn legacy_storage_key(&self) -> Option<&'static str> {
        match self {
            AppConfig::Keys { .. } => Some(SHARED_STORAGE_KEY),
            AppConfig::Domain { .. } => None,
        }
    }
}

/// The error message for a `serverURL` that is not an absolute http(s) URL.
pub const BAD_SERVER_URL: &str = "serverURL must be an absolute http:// or https:// URL";

/// `initApp` given neither an app id and API key nor a custom domain: one message for every such
/// refusal, the object forms' included (they are read in npm/api.js; size: see
/// BENCHMARKS.md#size-short-messages).
pub const INIT_APP: &str =
    "initApp: expected (appId, apiKey) or a custom domain URL (http:// or https://)";

/// Validates a `serverURL`: an absolute http(s) URL. Trailing slashes are dropped.
pub fn normalize_server_url(url: &str) -> Result<String, BackendlessError> {
    match AppConfig::with_domain(url) {
        Ok(AppConfig::Domain { domain }) => Ok(domain),
        _ => Err(BackendlessError::argument(BAD_SERVER_URL)),
    }
}

fn is_path_segment(value: &str) -> bool {
    !value.is_empty()
        && !value
            .bytes()
            .any(|b| matches!(b, b'/' | b'?' | b'#' | b'%' | b'\\') || is_space_or_control(b))
}

// The checks below look at bytes, not chars: every character they look for is ASCII, and a
// UTF-8 byte of a non-ASCII character is never ASCII, so the answers are the same without
// pulling char decoding into the wasm.

/// ASCII spaces and control characters.
fn is_space_or_control(b: u8) -> bool {
    b <= b' ' || b == 0x7f
}

/// `text` without its trailing `/`s.
fn without_trailing_slashes(mut text: &str) -> &str {
    while let Some(rest) = text.strip_suffix("/") {
        text = rest;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_form_builds_base_and_storage_key() {
        let app = AppConfig::with_keys("A1B2", "K3Y").unwrap();
        assert_eq!(
            app.base_url("http://127.0.0.1:8200"),
            "http://127.0.0.1:8200/A1B2/K3Y"
        );
        assert_eq!(
            app.base_url("http://127.0.0.1:8200///"),
            "http://127.0.0.1:8200/A1B2/K3Y"
        );
        assert_eq!(app.storage_key(), "Backendless_A1B2");
        assert_eq!(app.legacy_storage_key(), Some("Backendless"));
    }

    #[test]
    fn domain_form_uses_api_prefix_and_shared_key() {
        let app = AppConfig::with_domain("https://xxxx.backendless.app/").unwrap();
        assert_eq!(app.base_url("ignored"), "https://xxxx.backendless.app/api");
        assert_eq!(app.storage_key(), "Backendless");
        assert_eq!(app.legacy_storage_key(), None);
        let http = AppConfig::with_domain("http://localhost:8200").unwrap();
        assert_eq!(http.base_url(""), "http://localhost:8200/api");
    }

    #[test]
    fn bad_arguments_are_rejected() {
        for (id, key) in [
            ("", "K"),
            ("A", ""),
            ("A/B", "K"),
            ("A", "K?x"),
            ("A B", "K"),
            ("A", "K#"),
            ("A", "%2F"),
        ] {
            let err = AppConfig::with_keys(id, key).unwrap_err();
            assert_eq!(
                err.kind,
                crate::error::ErrorKind::Argument,
                "{id:?} {key:?}"
            );
        }
        for domain in [
            "",
            "ftp://x",
            "xxxx.backendless.app",
            "https://",
            "http:///",
            "https://a b",
        ] {
            assert!(AppConfig::with_domain(domain).is_err(), "{domain:?}");
        }
        assert!(AppConfig::looks_like_domain("https://x"));
        assert!(!AppConfig::looks_like_domain("APP-ID"));
    }

    #[test]
    fn server_url_is_validated_and_trimmed() {
        assert_eq!(
            normalize_server_url("http://127.0.0.1:8200/").unwrap(),
            "http://127.0.0.1:8200"
        );
        assert!(normalize_server_url("127.0.0.1:8200").is_err());
        assert!(normalize_server_url("").is_err());
    }
}
