//! `Backendless.LocalCache`: `get`, `set`, `remove` over the app's cache map.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::{error_to_js, with_app};
pub use crate::cache::CacheOp;
use crate::error::BackendlessError;

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
