//! `Backendless.LocalCache`: one localStorage item per app holding a JSON map, exactly as the
//! official browser SDK stores it.
//!
//! - key `Backendless_{appId}` (custom-domain mode: `Backendless`);
//! - value `JSON.stringify` of a map such as `{"stayLoggedIn":true,"user-token":"…","current-user-id":"…"}`;
//! - a legacy item named `Backendless` is moved into `Backendless_{appId}` once, then removed;
//! - corrupt JSON reads as `{}` (with one console warning), never a crash;
//! - when localStorage is missing, throws (SecurityError) or is full (QuotaExceededError), the
//!   map lives in memory for the rest of the page's life, with one console warning; a write that
//!   fails removes the stored item, so a reload never brings back a session the page has left.
//!
//! Where the map lives is the page's [`Persistence`] choice (`Backendless.setPersistence`):
//! localStorage (the default, shared by the origin's tabs), sessionStorage (this tab only) or
//! memory (gone with the page). Switching moves the whole map, session and `LocalCache` keys
//! alike, to the new place, written there before it is removed from the old one.
//!
//! The map is read from storage on every access, so a write by another tab is seen at once. Its
//! text stays a JS string on the way from `getItem` to `JSON.parse` (it is never copied into
//! Rust), which keeps `LocalCache.get` cheap.

use std::cell::{Cell, RefCell};

use js_sys::{Object, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::config::AppConfig;
use crate::js::local_cache::CacheOp;
use crate::property;
use crate::session::{Session, StorageChange, StoredSession};

use crate::protocol::keys::{CURRENT_USER_ID, USER_TOKEN};

#[wasm_bindgen]
extern "C" {
    /// The DOM `Storage`, bound here for a `getItem` whose answer stays a JS value.
    #[wasm_bindgen(js_name = Storage)]
    type RawStorage;

    /// `storage.getItem(key)` left as a JS value (a string, or null).
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item_value(this: &RawStorage, key: &JsValue) -> Result<JsValue, JsValue>;

    /// `storage.setItem(key, text)` of JS strings.
    #[wasm_bindgen(method, catch, js_name = setItem)]
    fn set_item_value(this: &RawStorage, key: &JsValue, text: &JsValue) -> Result<(), JsValue>;

    /// `storage.removeItem(key)` of a JS string; the only removeItem binding (web_sys's, taking
    /// `&str`, was a second import: measured -3 B gzip in the shipped entry).
    #[wasm_bindgen(method, catch, js_name = removeItem)]
    fn remove_item_value(this: &RawStorage, key: &JsValue) -> Result<(), JsValue>;
}

/// Where the cache map (and so a `stayLoggedIn` session) lives. Exported to JS, where the entry
/// module maps the documented names (`"local"`, `"session"`, `"memory"`) to it.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Persistence {
    /// localStorage: survives reloads and is shared with the origin's other tabs (the official
    /// client's only choice).
    #[default]
    Local,
    /// sessionStorage: survives reloads of this tab only.
    Session,
    /// Memory: gone when the page goes.
    Memory,
}

impl Persistence {
    /// The global's property holding this storage, if the choice is a Web Storage.
    fn property(self) -> Option<&'static str> {
        match self {
            Persistence::Local => Some("localStorage"),
            Persistence::Session => Some("sessionStorage"),
            Persistence::Memory => None,
        }
    }
}

/// The cache map of one app.
pub struct LocalCache {
    /// The storage item's name, as a JS string: every access passes it to storage as it is.
    key: JsValue,
    storage: Option<web_sys::Storage>,
    /// The map's JSON text (a JS string) once storage has failed us (or never existed).
    memory: RefCell<Option<JsValue>>,
    warned_corrupt: Cell<bool>,
}

const MEMORY_ONLY: &str =
    "Backendless: localStorage is unavailable; the session is kept in memory only";

fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

#[wasm_bindgen(module = "/src/js/objects.js")]
extern "C" {
    /// The map's own property `key`: read, defined or deleted as `op` says (see that module).
    /// One JS function instead of `Reflect`/`Object.hasOwn` bindings and a property descriptor
    /// built from here: measured -237 B gzip all-in (21,044 -> 20,807).
    fn entry(op: CacheOp, map: &Object, key: &JsValue, value: &JsValue) -> JsValue;

    /// The stored text parsed as a map, or null when it is not a JSON object (see that module).
    /// This, `session_keys` and `migrate_item` as JS functions instead of JSON, Reflect and
    /// Storage calls from here: measured -146 B gzip all-in (20,807 -> 20,661).
    #[wasm_bindgen(js_name = parseMap)]
    fn parse_map(text: &JsValue) -> JsValue;

    /// The session keys written (`write`) or removed on the map (see that module).
    #[wasm_bindgen(js_name = sessionKeys)]
    fn session_keys(map: &Object, write: bool, token: Option<&str>, user_id: Option<&str>);

    /// The legacy item moved into the app's item when only the legacy one exists (see that
    /// module).
    #[wasm_bindgen(js_name = migrate)]
    fn migrate_item(storage: &web_sys::Storage, legacy: &str, key: &JsValue);
}

#[wasm_bindgen]
extern "C" {
    /// `globalThis`: the window in pages, the worker's (or Node's) global elsewhere. Bound once
    /// here instead of through `web_sys::window()`, which looks for the global object by four
    /// routes and checks its type at every call: measured 423 B gzip less in the shipped entry.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    pub static GLOBAL: web_sys::EventTarget;
}

/// The Web Storage `persistence` names, or `None` for memory, when there is none or touching it
/// throws (a blocked page's getter throws `SecurityError`).
pub fn browser_storage(persistence: Persistence) -> Option<web_sys::Storage> {
    let name = persistence.property()?;
    let storage = GLOBAL.with(|global| property::get(global, name));
    storage.is_object().then(|| storage.unchecked_into())
}

impl LocalCache {
    /// Opens the map of `config` where `persistence` says, migrating a legacy localStorage item
    /// if there is one.
    pub fn open(config: &AppConfig, persistence: Persistence) -> LocalCache {
        let mut cache = LocalCache {
            key: JsValue::from_str(&config.storage_key()),
            storage: None,
            memory: RefCell::new(None),
            warned_corrupt: Cell::new(false),
        };
        cache.place(persistence, JsValue::NULL);
        if let (Some(legacy), Some(storage), Persistence::Local) =
            (config.legacy_storage_key(), &cache.storage, persistence)
        {
            cache.migrate(storage, legacy);
        }
        cache
    }

    /// Puts the map where `persistence` says, holding `text` (a JS string, or null for none).
    fn place(&mut self, persistence: Persistence, text: JsValue) {
        self.storage = browser_storage(persistence);
        let memory = match (&self.storage, persistence) {
            (Some(_), _) => None,
            (None, Persistence::Memory) => Some(JsValue::from_str("{}")),
            (None, _) => {
                warn(MEMORY_ONLY);
                Some(JsValue::from_str("{}"))
            }
        };
        *self.memory.borrow_mut() = memory;
        if text.is_string() {
            self.write_text(text);
        }
    }

    /// Moves the map to where `persistence` says: written there first, then removed from where it
    /// was, so an interruption leaves it in both places, never in neither.
    pub fn switch(&mut self, persistence: Persistence) {
        let text = self.read_text();
        let old = self.storage.take().filter(|_| self.memory.borrow().is_none());
        self.place(persistence, text);
        if let Some(old) = old {
            let moved = self.storage.as_ref().map_or(true, |new| ***new != **old);
            if moved {
                let old: &RawStorage = old.unchecked_ref();
                let _ = old.remove_item_value(&self.key);
            }
        }
    }

    /// True when `area` (a storage event's `storageArea`) is where this map lives.
    pub fn lives_in(&self, area: &JsValue) -> bool {
        self.memory.borrow().is_none() && self.storage.as_ref().is_some_and(|own| ***own == *area)
    }

    fn migrate(&self, storage: &web_sys::Storage, legacy: &str) {
        migrate_item(storage, legacy, &self.key);
    }

    /// The storage item's name (a JS string).
    pub fn key(&self) -> &JsValue {
        &self.key
    }

    /// The stored text (a JS string), or null when there is none.
    fn read_text(&self) -> JsValue {
        if let Some(text) = self.memory.borrow().as_ref() {
            return text.clone();
        }
        let Some(storage) = &self.storage else {
            return JsValue::NULL;
        };
        let storage: &RawStorage = storage.unchecked_ref();
        storage.get_item_value(&self.key).unwrap_or_else(|_| {
            self.fall_back_to_memory(None);
            JsValue::NULL
        })
    }

    fn fall_back_to_memory(&self, text: Option<JsValue>) {
        let mut memory = self.memory.borrow_mut();
        if memory.is_none() {
            warn(MEMORY_ONLY);
        }
        *memory = Some(text.unwrap_or_else(|| JsValue::from_str("{}")));
    }

    fn write_text(&self, text: JsValue) {
        if self.memory.borrow().is_some() || self.storage.is_none() {
            *self.memory.borrow_mut() = Some(text);
            return;
        }
        if let Some(storage) = &self.storage {
            let storage: &RawStorage = storage.unchecked_ref();
            if storage.set_item_value(&self.key, &text).is_err() {
                // The item must not keep a map the page has moved on from (a session it logged
                // out of, another user's): a reload would bring it back. Removing needs no room.
                let _ = storage.remove_item_value(&self.key);
                self.fall_back_to_memory(Some(text));
            }
        }
    }

    /// Parses a stored map text; anything but a JSON object reads as `{}`.
    fn parse(&self, text: JsValue) -> Object {
        if !text.is_string() {
            return Object::new();
        }
        let map = parse_map(&text);
        if map.is_null() {
            if !self.warned_corrupt.replace(true) {
                warn("Backendless: the stored cache is not JSON; read as {}");
            }
            return Object::new();
        }
        map.unchecked_into()
    }

    /// The whole map (a fresh object each time).
    pub fn read_map(&self) -> Object {
        self.parse(self.read_text())
    }

    fn write_map(&self, map: &Object) -> Result<(), JsValue> {
        self.write_text(JSON::stringify(map)?.into());
        Ok(())
    }

    /// `LocalCache.get`, `set` or `remove` of `key` (the caller's JS string, a plain data key),
    /// as `op` says: the stored value, or `undefined` (after a `set` or `remove` too). A `set`
    /// fails (nothing written) when the value cannot be turned into JSON (a BigInt, a cycle).
    pub fn entry(&self, op: CacheOp, key: &JsValue, value: &JsValue) -> Result<JsValue, JsValue> {
        let map = self.read_map();
        let found = entry(op, &map, key, value);
        if op != CacheOp::Get {
            self.write_map(&map)?;
        }
        Ok(found)
    }

    /// The session part of the map.
    pub fn stored_session(&self) -> StoredSession {
        session_of(&self.read_map())
    }

    /// Session part of a map text written by another tab (a JS string; null: the item was
    /// removed).
    pub fn session_from_text(&self, text: JsValue) -> StoredSession {
        session_of(&self.parse(text))
    }

    /// Carries out a session transition's storage change; `session` is the session after it.
    pub fn apply<U>(&self, change: &StorageChange, session: &Session<U>) {
        let write = match change {
            StorageChange::Keep => return,
            StorageChange::Write => true,
            StorageChange::Clear => false,
        };
        let map = self.read_map();
        session_keys(
            &map,
            write,
            session.token.as_deref(),
            session.user_id.as_deref(),
        );
        let _ = self.write_map(&map);
    }
}

fn session_of(map: &Object) -> StoredSession {
    // A stored token that could not travel as a header, or too long to, is garbage, not a session.
    let token = property::non_empty_string(map, USER_TOKEN)
        .filter(|token| crate::protocol::is_token(token));
    StoredSession {
        token,
        user_id: property::non_empty_string(map, CURRENT_USER_ID),
    }
}
