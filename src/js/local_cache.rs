//! `Backendless.LocalCache`: `get`, `set`, `remove` over the app's cache map.
//!
//! The three share one export, [`cache`] (the entry module maps the names): one argument check,
//! one app lookup and one error path in the wasm instead of three.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::{error_to_js, with_app};
use crate::error::BackendlessError;

/// `op` of [`cache`]: `LocalCache.get`.
pub const GET: u32 = 0;
/// `op` of [`cache`]: `LocalCache.set`.
pub const SET: u32 = 1;
/// `op` of [`cache`]: `LocalCache.remove`.
pub const REMOVE: u32 = 2;

/// `LocalCache.get(key)` ([`GET`]: the stored value, or `undefined`), `set(key, value)` ([`SET`]:
/// stores any JSON-serialisable value) and `remove(key)` ([`REMOVE`]); `set` and `remove` answer
/// `undefined`.
#[wasm_bindgen(js_name = cache)]
pub fn cache(op: u32, key: JsValue, value: JsValue) -> Result<JsValue, JsValue> {
    // The key stays the caller's JS string: no copy through Rust on the hot path.
    let key = Some(key)
        .filter(JsValue::is_string)
        .ok_or_else(|| BackendlessError::argument("LocalCache: the key must be a string"));
    key.and_then(|key| {
        with_app(|app| match op {
            GET => Ok(app.cache.get(&key)),
            SET => app
                .cache
                .set(&key, &value)
                .map(|()| JsValue::UNDEFINED)
                .map_err(|_| {
                    BackendlessError::argument("LocalCache.set: the value cannot be stored as JSON")
                }),
            _ => {
                app.cache.remove(&key);
                Ok(JsValue::UNDEFINED)
            }
        })?
    })
    .map_err(error_to_js)
}

/// `LocalCache.get(key)`: the stored value, or `undefined`.
pub fn get(key: JsValue) -> Result<JsValue, JsValue> {
    cache(GET, key, JsValue::UNDEFINED)
}

/// `LocalCache.set(key, value)`: stores any JSON-serialisable value.
pub fn set(key: JsValue, value: JsValue) -> Result<(), JsValue> {
    cache(SET, key, value).map(drop)
}

/// `LocalCache.remove(key)`.
pub fn remove(key: JsValue) -> Result<(), JsValue> {
    cache(REMOVE, key, JsValue::UNDEFINED).map(drop)
}
