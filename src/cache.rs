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

use js_sys::{Object, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::config::AppConfig;
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

    /// `storage.removeItem(key)` of a JS string; the only removeItem binding (size: see
    /// BENCHMARKS.md#size-one-remove-item).
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

/// What `LocalCache`'s one export (`cache` in src/js/local_cache.rs) does: one export serves
/// `LocalCache.get`, `set` and `remove`, so one argument check, one app lookup and one error
/// path in the wasm instead of three. wasm-bindgen exports this enum to JS, where the entry
/// module names the operation (`CacheOp.Get`, …).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOp {
    /// `LocalCache.get(key)`: the stored value, or `undefined`.
    Get = 0,
    /// `LocalCache.set(key, value)`: stores any JSON-serialisable value.
    Set = 1,
    /// `LocalCache.remove(key)`.
    Remove = 2,
}

/// The cache map of one app.
pub struct LocalCache {
    /// The storage item's name, as a JS string: every access passes it to storage as it is.
    key: JsValue,
    /// Where the map lives: the page's Web Storage, or a one-item storage in memory (the
    /// "memory" persistence, or once Web Storage has failed us).
    storage: RawStorage,
    /// True when `storage` is the page's Web Storage, shared with its other tabs or frames.
    in_web_storage: bool,
    warned_corrupt: bool,
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
    /// built from here (size: see BENCHMARKS.md#size-cache-entry-js).
    fn entry(op: CacheOp, map: &Object, key: &JsValue, value: &JsValue) -> JsValue;

    /// The stored text parsed as a map, or null when it is not a JSON object (see that module).
    /// This, `session_keys` and `migrate_item` as JS functions instead of JSON, Reflect and
    /// Storage calls from here (size: see BENCHMARKS.md#size-cache-map-js).
    #[wasm_bindgen(js_name = parseMap)]
    fn parse_map(text: &JsValue) -> JsValue;

    /// The session keys written (`write`) or removed on the map (see that module).
    #[wasm_bindgen(js_name = sessionKeys)]
    fn session_keys(map: &Object, write: bool, token: Option<&str>, user_id: Option<&str>);

    /// The legacy item moved into the app's item when only the legacy one exists (see that
    /// module).
    #[wasm_bindgen(js_name = migrate)]
    fn migrate_item(storage: &RawStorage, legacy: &str, key: &JsValue);

    /// A one-item storage in memory holding `text` (see that module): the memory map goes
    /// through the same calls as Web Storage (size: see BENCHMARKS.md#size-memory-storage).
    #[wasm_bindgen(js_name = memoryStorage)]
    fn memory_storage(text: &JsValue) -> RawStorage;
}

#[wasm_bindgen]
extern "C" {
    /// `globalThis`: the window in pages, the worker's (or Node's) global elsewhere. Bound once
    /// here instead of through `web_sys::window()`, which looks for the global object by four
    /// routes and checks its type at every call (size: see BENCHMARKS.md#size-global-this).
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    pub static GLOBAL: web_sys::EventTarget;
}

/// The Web Storage `persistence` names, or `None` for memory, when there is none or touching it
/// throws (a blocked page's getter throws `SecurityError`).
fn browser_storage(persistence: Persistence) -> Option<RawStorage> {
    let name = persistence.property()?;
    let storage = GLOBAL.with(|global| property::get(global, name));
    storage.is_object().then(|| storage.unchecked_into())
}

impl LocalCache {
    /// Opens the map of `config` where `persistence` says, migrating a legacy localStorage item
    /// if there is one.
    pub fn open(config: &AppConfig, persistence: Persistence) -> LocalCache {
        let key = JsValue::from_str(&config.storage_key());
        let mut cache = LocalCache {
            storage: memory_storage(&JsValue::NULL),
            key,
            in_web_storage: false,
            warned_corrupt: false,
        };
        cache.place(persistence, JsValue::NULL);
        if let (Some(legacy), true, Persistence::Local) = (
            config.legacy_storage_key(),
            cache.in_web_storage,
            persistence,
        ) {
            migrate_item(&cache.storage, legacy, &cache.key);
        }
        cache
    }

    /// Puts the map where `persistence` says, holding `text` (a JS string, or null for none).
    fn place(&mut self, persistence: Persistence, text: JsValue) {
        match browser_storage(persistence) {
            Some(storage) => {
                self.storage = storage;
                self.in_web_storage = true;
            }
            None => {
                if persistence != Persistence::Memory {
                    warn(MEMORY_ONLY);
                }
                self.storage = memory_storage(&JsValue::from_str("{}"));
                self.in_web_storage = false;
            }
        }
        if text.is_string() {
            self.write_text(text);
        }
    }

    /// Moves the map to where `persistence` says: written there first, then removed from where it
    /// was, so an interruption leaves it in both places, never in neither.
    pub fn switch(&mut self, persistence: Persistence) {
        let text = self.read_text();
        let old: RawStorage = (*self.storage).clone().unchecked_into();
        let was_shared = self.in_web_storage;
        self.place(persistence, text);
        if was_shared && !(self.in_web_storage && *self.storage == *old) {
            let _ = old.remove_item_value(&self.key);
        }
    }

    /// True when `area` (a storage event's `storageArea`) is where this map lives.
    pub fn lives_in(&self, area: &JsValue) -> bool {
        self.in_web_storage && *self.storage == *area
    }

    /// The storage item's name (a JS string).
    pub fn key(&self) -> &JsValue {
        &self.key
    }

    /// The stored text (a JS string), or null when there is none.
    fn read_text(&mut self) -> JsValue {
        self.storage.get_item_value(&self.key).unwrap_or_else(|_| {
            self.fall_back_to_memory(JsValue::from_str("{}"));
            JsValue::NULL
        })
    }

    /// From now on the map lives in memory, holding `text`; one warning says so.
    fn fall_back_to_memory(&mut self, text: JsValue) {
        if self.in_web_storage {
            warn(MEMORY_ONLY);
        }
        self.storage = memory_storage(&text);
        self.in_web_storage = false;
    }

    fn write_text(&mut self, text: JsValue) {
        if self.storage.set_item_value(&self.key, &text).is_err() {
            // The item must not keep a map the page has moved on from (a session it logged
            // out of, another user's): a reload would bring it back. Removing needs no room.
            let _ = self.storage.remove_item_value(&self.key);
            self.fall_back_to_memory(text);
        }
    }

    /// Parses a stored map text; anything but a JSON object reads as `{}`.
    fn parse(&mut self, text: JsValue) -> Object {
        if !text.is_string() {
            return Object::new();
        }
        let map = parse_map(&text);
        if map.is_null() {
            if !std::mem::replace(&mut self.warned_corrupt, true) {
                warn("Backendless: the stored cache is not JSON; read as {}");
            }
            return Object::new();
        }
        map.unchecked_into()
    }

    /// The whole map (a fresh object each time).
    pub fn read_map(&mut self) -> Object {
        let text = self.read_text();
        self.parse(text)
    }

    fn write_map(&mut self, map: &Object) -> Result<(), JsValue> {
        self.write_text(JSON::stringify(map)?.into());
        Ok(())
    }

    /// `LocalCache.get`, `set` or `remove` of `key` (the caller's JS string, a plain data key),
    /// as `op` says: the stored value, or `undefined` (after a `set` or `remove` too). A `set`
    /// fails (nothing written) when the value cannot be turned into JSON (a BigInt, a cycle).
    pub fn entry(
        &mut self,
        op: CacheOp,
        key: &JsValue,
        value: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let map = self.read_map();
        let found = entry(op, &map, key, value);
        if op != CacheOp::Get {
            self.write_map(&map)?;
        }
        Ok(found)
    }

    /// The session part of the map.
    pub fn stored_session(&mut self) -> StoredSession {
        session_of(&self.read_map())
    }

    /// Session part of a map text written by another tab (a JS string; null: the item was
    /// removed).
    pub fn session_from_text(&mut self, text: JsValue) -> StoredSession {
        session_of(&self.parse(text))
    }

    /// Carries out a session transition's storage change; `session` is the session after it.
    pub fn apply<U>(&mut self, change: &StorageChange, session: &Session<U>) {
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
