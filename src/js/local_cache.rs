//! `Backendless.LocalCache`: `get`, `set`, `remove` over the app's cache map.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::{error_to_js, with_app};
use crate::error::BackendlessError;

/// What [`cache`] does. One export serves `LocalCache.get`, `set` and `remove`: one argument
/// check, one app lookup and one error path in the wasm instead of three. wasm-bindgen exports
/// this enum to JS, where the entry module names the operation (`CacheOp.Get`, …).
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

/// `LocalCache.get`, `set` and `remove`, as `op` says; `set` and `remove` answer `undefined`.
#[wasm_bindgen(js_name = cache)]
pub fn cache(op: CacheOp, key: JsValue, value: JsValue) -> Result<JsValue, JsValue> {
    // The key stays the caller's JS string: no copy through Rust on the hot path.
    let key = Some(key)
        .filter(JsValue::is_string)
        .ok_or_else(|| BackendlessError::argument("LocalCache: the key must be a string"));
    key.and_then(|key| {
        with_app(|app| app.cache.entry(op, &key, &value))?.map_err(|_| {
            BackendlessError::argument("LocalCache.set: the value cannot be stored as JSON")
        })
    })
    .map_err(error_to_js)
}
