//! The JavaScript-facing layer: argument decoding, Promise wrapping and the page-wide state.
//! Nothing here decides anything; the rules live in [`crate::calls`], [`crate::engine`],
//! [`crate::session`] and [`crate::config`]. `Page` is the engine's host: JS values, Promises,
//! and the page's state in thread-locals.
//!
//! The raw exports have flat names (`initApp`, `login`, `cache`, …); the npm entry module
//! assembles them into `Backendless`, `Backendless.UserService` and `Backendless.LocalCache`.

pub mod backendless;
#[cfg(feature = "business-logic")]
pub mod business_logic;
pub mod local_cache;
pub mod user_service;

use std::cell::{Cell, RefCell};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::cache::LocalCache;
use crate::config::{AppConfig, DEFAULT_SERVER_URL};
use crate::engine::{Host, State};
use crate::error::BackendlessError;
use crate::property;
use crate::session::{Event, Stamps};
use crate::transport::CallOptions;
use crate::user;

/// The app set up by `initApp`.
pub(crate) struct App {
    pub config: AppConfig,
    pub cache: LocalCache,
    /// The session and the calls in flight that others may share.
    pub state: State<Page>,
    /// Follows other tabs' writes to the cache map; unsubscribes when the app is replaced.
    pub _storage_listener: Option<backendless::StorageListener>,
}

impl App {
    /// What every request starts from: the base URL and the session's token, if any.
    pub fn base_and_token(&self) -> (String, Option<String>) {
        let base = with_server_url(|url| self.config.base_url(url));
        (base, self.state.session.token.clone())
    }
}

/// The page, as the engine's host.
pub(crate) struct Page;

impl Host for Page {
    type Value = JsValue;
    type Pending = Promise;

    fn object_id(value: &JsValue) -> Option<String> {
        user::object_id(value)
    }
    fn token(value: &JsValue) -> Option<String> {
        user::token(value)
    }
    fn set_token(value: &JsValue, token: &str) {
        user::set_token(value, token)
    }
    fn as_user(value: JsValue) -> JsValue {
        user::as_user(&value)
    }
    fn as_bool(value: &JsValue) -> Option<bool> {
        value.as_bool()
    }
    fn from_bool(value: bool) -> JsValue {
        JsValue::from_bool(value)
    }
    fn undefined() -> JsValue {
        JsValue::UNDEFINED
    }
    fn null() -> JsValue {
        JsValue::NULL
    }
    fn with_state<R>(f: impl FnOnce(&mut State<Page>) -> R) -> Result<R, BackendlessError> {
        with_app(|app| f(&mut app.state))
    }
    fn stamps<R>(f: impl FnOnce(&mut Stamps) -> R) -> R {
        STAMPS.with(|cell| {
            let mut stamps = cell.get();
            let result = f(&mut stamps);
            cell.set(stamps);
            result
        })
    }
    /// Applies the event to the session, writes storage, and tells the listeners (after the
    /// state borrow is released); a stored session another tab changed is fetched.
    fn apply(event: Event<JsValue>) -> Result<(), BackendlessError> {
        let (notify_now, restore, user) = with_app(|app| {
            let session = &mut app.state.session;
            let effects = session.apply(event);
            app.cache.apply(&effects.storage, session);
            (effects.notify, effects.restore, session.user.clone())
        })?;
        if notify_now {
            notify(&user.unwrap_or(JsValue::NULL));
        }
        if restore {
            let _ = user_service::start_restore(false, CallOptions::default());
        }
        Ok(())
    }
    fn next_id() -> u32 {
        NEXT_ID.with(|n| {
            n.set(n.get().wrapping_add(1));
            n.get()
        })
    }
}

/// Runs `f` on the server URL in force: `Backendless.serverURL` once set, else the hosted
/// service's.
pub(crate) fn with_server_url<R>(f: impl FnOnce(&str) -> R) -> R {
    SERVER_URL.with(|url| f(url.borrow().as_deref().unwrap_or(DEFAULT_SERVER_URL)))
}

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
    /// `Backendless.serverURL` once set; `None` means the hosted service.
    static SERVER_URL: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The last-made-wins order of session calls; page-wide, so that calls made under an app
    /// that `initApp` replaced are superseded too.
    static STAMPS: Cell<Stamps> = const { Cell::new(Stamps::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    /// `Backendless.setPersistence`'s choice, for this and later `initApp`s.
    pub(crate) static PERSISTENCE: Cell<crate::cache::Persistence> =
        const { Cell::new(crate::cache::Persistence::Local) };
}

/// Runs `f` on the app, or fails with "not initialized". The borrow never outlives `f`, and
/// listeners are called after it ends. User code can still run inside `f` (a `toJSON` or getter
/// met by JSON.stringify, an overridden storage method); if that code calls the SDK, the state is
/// found borrowed and the inner call fails with a clear error instead of a panic.
pub(crate) fn with_app<R>(f: impl FnOnce(&mut App) -> R) -> Result<R, BackendlessError> {
    APP.with(|app| {
        let mut slot = app
            .try_borrow_mut()
            .map_err(|_| BackendlessError::reentrant())?;
        slot.as_mut()
            .map(f)
            .ok_or_else(BackendlessError::not_initialized)
    })
}

pub(crate) fn replace_app(app: App) -> Result<(), BackendlessError> {
    // Drop the old app (and its storage listener) outside the borrow.
    let old = APP.with(|slot| slot.try_borrow_mut().map(|mut slot| slot.replace(app)));
    let old = old.map_err(|_| BackendlessError::reentrant())?;
    // Calls made under the old app are superseded by the new one.
    Page::stamps(Stamps::supersede_all);
    drop(old);
    Ok(())
}

#[wasm_bindgen(module = "/src/js/listeners.js")]
extern "C" {
    /// Adds `listener` under `id`, or removes the one under `id` when `listener` is `None`.
    fn listen(id: u32, listener: Option<&Function>);

    /// Calls every session listener with `user`; one that throws is logged and the others still
    /// run. The listeners live in that JS module (size: see BENCHMARKS.md#size-listeners-js).
    fn notify(user: &JsValue);
}

pub(crate) fn add_listener(callback: Function) -> u32 {
    let id = Page::next_id();
    listen(id, Some(&callback));
    id
}

pub(crate) fn remove_listener(id: u32) {
    listen(id, None);
}

/// A real `Error` carrying `code`, `status`, `statusCode` and `body` (null when unknown) and a
/// `name` telling the kind (`BackendlessError`, `NetworkError`, `TimeoutError`, `AbortError`, …).
pub fn error_to_js(error: BackendlessError) -> JsValue {
    let number = |n: Option<f64>| n.map_or(JsValue::NULL, JsValue::from_f64);
    js_error(
        &error.message,
        error.kind.js_name(),
        number(error.code.map(f64::from)),
        number(error.status.map(f64::from)),
        error.body.unwrap_or(JsValue::NULL),
    )
}

#[wasm_bindgen(module = "/src/js/objects.js")]
extern "C" {
    /// Makes the `Error` (see that module), in one call rather than by an `Error` binding and a
    /// property write per field (size: see BENCHMARKS.md#size-js-error).
    #[wasm_bindgen(js_name = jsError)]
    fn js_error(
        message: &str,
        name: &str,
        code: JsValue,
        status: JsValue,
        body: JsValue,
    ) -> JsValue;
}

/// Decodes the optional trailing `{ timeout, signal }` argument.
pub(crate) fn call_options(value: &JsValue) -> Result<CallOptions, BackendlessError> {
    if value.is_undefined() || value.is_null() {
        return Ok(CallOptions::default());
    }
    if !crate::user::is_plain_object(value) {
        return Err(BackendlessError::argument(
            "options must be an object like { timeout, signal }",
        ));
    }
    let get = |name: &str| property::get(value, name);
    let timeout = get("timeout");
    let timeout_ms = if timeout.is_undefined() {
        None
    } else {
        match timeout.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => Some(ms.min(f64::from(i32::MAX)) as u32),
            _ => {
                return Err(BackendlessError::argument(
                    "options.timeout must be milliseconds >= 0",
                ))
            }
        }
    };
    let signal = get("signal");
    let signal = if signal.is_undefined() || signal.is_null() {
        None
    } else {
        Some(
            signal
                .dyn_into::<web_sys::AbortSignal>()
                .map_err(|_| BackendlessError::argument("options.signal must be an AbortSignal"))?,
        )
    };
    Ok(CallOptions { timeout_ms, signal })
}
