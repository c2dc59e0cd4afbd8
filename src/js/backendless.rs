//! `Backendless.initApp` and `Backendless.serverURL`.

use std::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::{error_to_js, replace_app, with_server_url, App, Page, SERVER_URL};
use crate::cache::{LocalCache, Persistence, GLOBAL};
use crate::config::{normalize_server_url, AppConfig, BAD_SERVER_URL};
use crate::engine::{transition, State};
use crate::error::BackendlessError;
use crate::session::Event;

/// `Backendless.initApp(appId, apiKey)` or `initApp("https://xxxx.backendless.app")`; the entry
/// module turns the object forms (`{ domain }`, `{ appId, apiKey }`, …) into these (npm/api.js).
///
/// Starts a fresh in-memory state (as a page load does) and picks up the stored session (the
/// entry module skips the call when the settings are those already in force). Throws a
/// `TypeError` for anything else.
#[wasm_bindgen(js_name = initApp)]
pub fn init_app(app: JsValue, api_key: JsValue) -> Result<(), JsValue> {
    let config = parse_init_args(&app, &api_key).map_err(error_to_js)?;
    let mut cache = LocalCache::open(&config, super::PERSISTENCE.with(Cell::get));
    let stored = cache.stored_session();
    let listener = StorageListener::subscribe(cache.key());
    let mut state = State::default();
    state.session.apply(Event::Loaded(stored));
    replace_app(App {
        config,
        cache,
        state,
        _storage_listener: listener,
    })
    .map_err(error_to_js)
}

fn parse_init_args(app: &JsValue, api_key: &JsValue) -> Result<AppConfig, BackendlessError> {
    match (app.as_string(), api_key.as_string()) {
        (Some(domain), _) if AppConfig::looks_like_domain(&domain) => {
            AppConfig::with_domain(&domain)
        }
        (Some(id), Some(key)) => AppConfig::with_keys(&id, &key),
        _ => Err(BackendlessError::argument(crate::config::INIT_APP)),
    }
}

/// `Backendless.serverURL` (read): where `(appId, apiKey)` apps send requests.
#[wasm_bindgen(js_name = serverURL)]
pub fn server_url() -> String {
    with_server_url(|url| url.to_owned())
}

/// `Backendless.serverURL = url`: an absolute http(s) URL, taking effect for the next call.
#[wasm_bindgen(js_name = setServerURL)]
pub fn set_server_url(url: JsValue) -> Result<(), JsValue> {
    let normalized = url
        .as_string()
        .ok_or_else(|| BackendlessError::argument(BAD_SERVER_URL))
        .and_then(|text| normalize_server_url(&text))
        .map_err(error_to_js)?;
    SERVER_URL.with(|slot| *slot.borrow_mut() = Some(normalized));
    // A login made from now on goes to the new server: it must not join one in flight.
    let _ = super::with_app(|app| app.state.pending_login = None);
    Ok(())
}

/// What [`read`] answers; the entry module names them (`Read.Token`, …).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// `UserService.getCurrentUserToken()`: the session's token, or null.
    Token = 0,
    /// `UserService.getCurrentUserId()`: the session's user id, or null.
    UserId = 1,
    /// `UserService.currentUser`: the session's user once known (after a login, or once
    /// `getCurrentUser()` has fetched it after a reload), else null.
    User = 2,
    /// `LocalCache.storageName`: the storage item holding the app's map.
    StorageName = 3,
    /// `Backendless.appPath`: the URL every request of the app starts with.
    AppPath = 4,
}

/// The synchronous reads of the session and the app, in one export (size: see
/// BENCHMARKS.md#size-one-read-export); null before `initApp`, as the official client answers
/// them before it has an app.
#[wasm_bindgen]
pub fn read(what: Read) -> JsValue {
    super::with_app(|app| {
        let session = &app.state.session;
        let text =
            |value: &Option<String>| value.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        match what {
            Read::Token => text(&session.token),
            Read::UserId => text(&session.user_id),
            Read::User => session.user.clone().unwrap_or(JsValue::NULL),
            Read::StorageName => app.cache.key().clone(),
            Read::AppPath => JsValue::from(app.base_and_token().0),
        }
    })
    .unwrap_or(JsValue::NULL)
}

/// `Backendless.setPersistence("local" | "session" | "memory")` (the entry module names the
/// choice: `Persistence.Local`, …): where the session and the `LocalCache` map live, from now on.
/// Before `initApp` it picks where `initApp` looks; after, it also moves the map there (see
/// [`LocalCache::switch`]). The session in memory is unchanged.
#[wasm_bindgen(js_name = setPersistence)]
pub fn set_persistence(persistence: Persistence) -> Result<(), JsValue> {
    super::PERSISTENCE.with(|slot| slot.set(persistence));
    match super::with_app(|app| app.cache.switch(persistence)) {
        Err(error) if error.kind != crate::error::ErrorKind::NotInitialized => {
            Err(error_to_js(error))
        }
        _ => Ok(()),
    }
}

/// Follows writes to this app's cache item made by other tabs (`storage` events), and stops
/// listening when dropped (when `initApp` replaces the app).
pub(crate) struct StorageListener {
    callback: Closure<dyn FnMut(JsValue)>,
}

impl StorageListener {
    fn subscribe(key: &JsValue) -> Option<StorageListener> {
        let key = key.clone();
        // The event is read as a plain object: three property reads cost the wasm less than
        // StorageEvent's typed bindings.
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let field = |name| crate::property::get(&event, name);
            // `key` is null when another tab cleared the whole storage.
            let changed = field("key");
            let relevant = changed.is_null() || changed == key;
            if relevant {
                let area = field("storageArea");
                let text = field("newValue");
                // Only the storage the map lives in: sessionStorage events come from this tab's
                // own frames, and a memory map has no events at all.
                let stored = super::with_app(|app| {
                    app.cache
                        .lives_in(&area)
                        .then(|| app.cache.session_from_text(text))
                });
                if let Ok(Some(stored)) = stored {
                    let _ = transition::<Page>(None, Event::StorageChanged(stored));
                }
            }
        });
        // Node's global is no EventTarget: the call throws and there is nothing to follow.
        GLOBAL
            .with(|global| {
                global
                    .add_event_listener_with_callback("storage", callback.as_ref().unchecked_ref())
            })
            .ok()?;
        Some(StorageListener { callback })
    }
}

impl Drop for StorageListener {
    fn drop(&mut self) {
        let _ = GLOBAL.with(|global| {
            global.remove_event_listener_with_callback(
                "storage",
                self.callback.as_ref().unchecked_ref(),
            )
        });
    }
}
