//! [`Config`] and [`App`]: setting the app up, and the `UserService` calls as `async fn`s.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use js_sys::{Object, Promise};
use serde::Serialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::{Error, LocalCache, Persistence, SessionListener, User};
use crate::config::AppConfig;
use crate::js::backendless::{self, Read};
use crate::js::{error_to_js, user_service};
use crate::property;

/// How to reach the app: what the JavaScript `initApp` takes, as a builder.
///
/// ```
/// use backendless_wasm::rust_api::{Config, Persistence};
/// let local = Config::new("APP_ID", "API_KEY").server_url("http://127.0.0.1:8200");
/// let hosted = Config::domain("https://xxxx.backendless.app").persistence(Persistence::Session);
/// # let _ = (local, hosted);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `(appId, Some(apiKey))`, or `(domain, None)`: the JavaScript `initApp`'s arguments.
    target: (String, Option<String>),
    server_url: Option<String>,
    persistence: Option<Persistence>,
}

impl Config {
    /// An app by its id and API key, on the hosted service unless [`Config::server_url`] says
    /// otherwise (`initApp(appId, apiKey)`).
    pub fn new(app_id: impl Into<String>, api_key: impl Into<String>) -> Config {
        Config {
            target: (app_id.into(), Some(api_key.into())),
            server_url: None,
            persistence: None,
        }
    }

    /// An app by its custom domain, `https://xxxx.backendless.app`
    /// (`initApp("https://xxxx.backendless.app")`): requests go to `{domain}/api`.
    pub fn domain(domain: impl Into<String>) -> Config {
        Config {
            target: (domain.into(), None),
            server_url: None,
            persistence: None,
        }
    }

    /// Where `(app id, API key)` apps send requests (`Backendless.serverURL`); default
    /// `https://api.backendless.com`. Page-wide, as in the JavaScript API.
    pub fn server_url(mut self, url: impl Into<String>) -> Config {
        self.server_url = Some(url.into());
        self
    }

    /// Where the session and the [`LocalCache`] live (`Backendless.setPersistence`); default
    /// [`Persistence::Local`] (localStorage, shared with the origin's other tabs).
    pub fn persistence(mut self, persistence: Persistence) -> Config {
        self.persistence = Some(persistence);
        self
    }
}

thread_local! {
    /// The `initApp` arguments [`App::init`] last applied, for [`LocalCache`]'s writes of the
    /// session keys (which re-read the session, as the JavaScript `LocalCache` does).
    static APPLIED: RefCell<Option<(String, Option<String>)>> = const { RefCell::new(None) };
}

/// Runs the wasm `initApp` again with the arguments last applied, if they are still the app in
/// force: a page that writes the session's keys into the cache while no user is known makes them
/// the session, as a reload would.
pub(crate) fn reapply() -> Result<(), Error> {
    let applied = APPLIED.with(|applied| applied.borrow().clone());
    match applied {
        Some(target) if is_in_force(&target)? => init_app(&target),
        _ => Ok(()),
    }
}

fn init_app((first, second): &(String, Option<String>)) -> Result<(), Error> {
    let second = second
        .as_deref()
        .map_or(JsValue::UNDEFINED, JsValue::from_str);
    backendless::init_app(JsValue::from_str(first), second).map_err(Error::from_js)
}

/// True when the app in force is the one `target` names on the current server URL.
fn is_in_force((first, second): &(String, Option<String>)) -> Result<bool, Error> {
    let config = match second {
        Some(key) => AppConfig::with_keys(first, key),
        None => AppConfig::with_domain(first),
    }
    .map_err(|error| Error::from_js(error_to_js(error)))?;
    let path = config.base_url(&backendless::server_url());
    let read = |what| backendless::read(what).as_string();
    Ok(read(Read::AppPath) == Some(path) && read(Read::StorageName) == Some(config.storage_key()))
}

/// The app: every `UserService` call as an `async fn`, the session's synchronous reads, the
/// session listener and the [`LocalCache`].
///
/// It is a handle on the wasm instance's one app (what [`App::init`] or the JavaScript `initApp`
/// set up last), so copies are free and all see the same session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App {
    timeout_ms: Option<u32>,
}

impl App {
    /// Sets the app up (`Backendless.initApp`) and picks up the stored session, as a page load
    /// does. The same settings again change nothing (a component mounted twice keeps the session
    /// and the calls in flight); other settings start a fresh app, whose stored session is read.
    /// A bad app id, key, domain or server URL is an [`Error::Argument`], changing nothing.
    pub fn init(config: Config) -> Result<App, Error> {
        let before = backendless::server_url();
        if let Some(url) = &config.server_url {
            backendless::set_server_url(JsValue::from_str(url)).map_err(Error::from_js)?;
        }
        let applied = is_in_force(&config.target).and_then(|same| {
            if let Some(persistence) = config.persistence {
                backendless::set_persistence(persistence).map_err(Error::from_js)?;
            }
            match same {
                true => Ok(()),
                false => init_app(&config.target),
            }
        });
        if let Err(error) = applied {
            // Nothing half-done: the server URL goes back too.
            let _ = backendless::set_server_url(JsValue::from_str(&before));
            return Err(error);
        }
        APPLIED.with(|applied| *applied.borrow_mut() = Some(config.target));
        Ok(App { timeout_ms: None })
    }

    /// A handle on the app the page has already set up (with [`App::init`], or with the
    /// JavaScript `initApp` on this wasm instance); calls fail with [`Error::NotInitialized`]
    /// while there is none.
    pub fn current() -> App {
        App { timeout_ms: None }
    }

    /// This handle, with every call it makes abandoned after `timeout` (with
    /// [`Error::Timeout`]; the session unchanged), as the JavaScript `{ timeout }` option.
    pub fn with_timeout(self, timeout: Duration) -> App {
        let ms = timeout.as_millis().min(i32::MAX as u128) as u32;
        App {
            timeout_ms: Some(ms),
        }
    }

    /// The trailing `{ timeout }` argument of the exports.
    fn options(&self) -> JsValue {
        match self.timeout_ms {
            None => JsValue::UNDEFINED,
            Some(ms) => {
                let options = Object::new();
                property::set(&options, "timeout", &JsValue::from(ms));
                options.into()
            }
        }
    }

    /// Logs in (`POST users/login`) and answers the user, its `user_token` included. With
    /// `stay_logged_in` the session survives a reload (stored as the official client stores it);
    /// without, any stored session is wiped and the new one lives in memory only. A failed login
    /// changes nothing; an identical login in flight (from Rust or JS) is shared.
    ///
    /// Like every call here, the request starts when the call is made (as in JavaScript), not
    /// when the future is first polled, so overlapping calls take effect in the order they were
    /// made (README, "Session rules"); dropping the future does not cancel the call.
    pub fn login(
        &self,
        login: &str,
        password: &str,
        stay_logged_in: bool,
    ) -> impl Future<Output = Result<User, Error>> + 'static {
        let answer = settle(user_service::login(
            JsValue::from_str(login),
            JsValue::from_str(password),
            JsValue::from_bool(stay_logged_in),
            self.options(),
        ));
        async move { User::from_js(answer.await?) }
    }

    /// Logs in as a new GUEST user (`POST users/register/guest`), with its own session.
    pub fn login_as_guest(
        &self,
        stay_logged_in: bool,
    ) -> impl Future<Output = Result<User, Error>> + 'static {
        let answer = settle(user_service::login_as_guest(
            JsValue::from_bool(stay_logged_in),
            self.options(),
        ));
        async move { User::from_js(answer.await?) }
    }

    /// Registers `user` (`POST users/register`; a [`NewUser`](super::NewUser), or any value that serialises to
    /// a JSON object) and answers the new user; does not log in. Sends `blUserLocale` (the
    /// page's language, its first two letters) unless `user` has one, as the JavaScript API does.
    pub fn register<T: Serialize + ?Sized>(
        &self,
        user: &T,
    ) -> impl Future<Output = Result<User, Error>> + 'static {
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let answer = user
            .serialize(&serializer)
            .map_err(|error| Error::Argument {
                code: None,
                message: format!("register: the user cannot be sent as JSON: {error}"),
            })
            .map(|value| {
                if value.is_object() && !property::get(&value, "blUserLocale").is_truthy() {
                    if let Some(locale) = client_locale() {
                        property::set(&value, "blUserLocale", &JsValue::from_str(&locale));
                    }
                }
                settle(user_service::register(value, self.options()))
            });
        async move { User::from_js(answer?.await?) }
    }

    /// Logs out (`GET users/logout`). The local session always ends, even when the server cannot
    /// be reached; the error then says the server did not hear it.
    pub fn logout(&self) -> impl Future<Output = Result<(), Error>> + 'static {
        let answer = settle(user_service::logout(self.options()));
        async move { answer.await.map(drop) }
    }

    /// Asks the server whether the session's token is still alive (`GET users/isvalidusertoken`).
    /// No session: `false`, without a request. A server-confirmed `false` ends the session; a
    /// network error keeps it.
    pub fn is_valid_login(&self) -> impl Future<Output = Result<bool, Error>> + 'static {
        let answer = settle(user_service::is_valid_login(self.options()));
        async move {
            answer
                .await?
                .as_bool()
                .ok_or_else(|| Error::InvalidResponse {
                    status: None,
                    message: "isValidLogin answered no boolean".into(),
                })
        }
    }

    /// The current user: from memory, else (after a reload) the stored session's user fetched
    /// from `data/Users/{id}` (concurrent calls share one request), else `None`. A stored session
    /// the server no longer knows is cleared and answers `None`.
    pub fn current_user(&self) -> impl Future<Output = Result<Option<User>, Error>> + 'static {
        self.get_current_user(false)
    }

    /// [`App::current_user`], fetched from the server again even when it is in memory
    /// (`getCurrentUser(true)`).
    pub fn reload_current_user(
        &self,
    ) -> impl Future<Output = Result<Option<User>, Error>> + 'static {
        self.get_current_user(true)
    }

    fn get_current_user(
        &self,
        reload: bool,
    ) -> impl Future<Output = Result<Option<User>, Error>> + 'static {
        let answer = settle(user_service::get_current_user(
            JsValue::from_bool(reload),
            self.options(),
        ));
        async move { User::maybe_from_js(answer.await?) }
    }

    /// Asks the server to mail `identity` (the user's email, by default) a password reset link
    /// (`GET users/restorepassword/{identity}`).
    pub fn restore_password(
        &self,
        identity: &str,
    ) -> impl Future<Output = Result<(), Error>> + 'static {
        let answer = settle(user_service::restore_password(
            JsValue::from_str(identity),
            self.options(),
        ));
        async move { answer.await.map(drop) }
    }

    /// The session's token, or `None` (`getCurrentUserToken()`); known after a reload before the
    /// user is fetched.
    pub fn current_user_token(&self) -> Option<String> {
        backendless::read(Read::Token).as_string()
    }

    /// The session's user id, or `None` (`getCurrentUserId()`); known after a reload before the
    /// user is fetched.
    pub fn current_user_id(&self) -> Option<String> {
        backendless::read(Read::UserId).as_string()
    }

    /// Calls `on_change` with the current user (or `None`) on every session change: login,
    /// logout, restore after a reload, invalidation, an update of the current user, and other
    /// tabs' logins and logouts. The listener is removed when the answered [`SessionListener`]
    /// is dropped.
    pub fn on_session_change(
        &self,
        on_change: impl FnMut(Option<User>) + 'static,
    ) -> Result<SessionListener, Error> {
        SessionListener::add(on_change)
    }

    /// The app's cache map (`Backendless.LocalCache`).
    pub fn local_cache(&self) -> LocalCache {
        LocalCache::new()
    }
}

/// Awaits a Promise of the JavaScript API, its rejection read as an [`Error`].
fn settle(promise: Promise) -> impl Future<Output = Result<JsValue, Error>> + 'static {
    let answer = JsFuture::from(promise);
    async move { answer.await.map_err(Error::from_js) }
}

/// What `register` sends as `blUserLocale`: the page's first language, its first two letters,
/// lower-cased (`UserService.Utils.getClientUserLocale()`).
fn client_locale() -> Option<String> {
    let navigator = property::get(&js_sys::global(), "navigator");
    let first = property::get(&property::get(&navigator, "languages"), "0").as_string();
    let language = first
        .filter(|language| !language.is_empty())
        .or_else(|| property::get(&navigator, "language").as_string())?;
    let locale: String = language.chars().take(2).collect::<String>().to_lowercase();
    (!locale.is_empty()).then_some(locale)
}
