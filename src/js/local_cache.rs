//! `Backendless.LocalCache`: `get`, `set`, `remove` over the app's cache map.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::{error_to_js, with_app};
use crate::error::BackendlessError;

fn key_of(key: &JsValue) -> Result<String, JsValue> {
    key.as_string().ok_or_else(|| {
        error_to_js(BackendlessError::argument(
            "LocalCache: the key must be a string",
        ))
    })
}

/// `LocalCache.get(key)`: the stored value, or `undefined`.
#[wasm_bindgen(js_name = cacheGet)]
pub fn get(key: JsValue) -> Result<JsValue, JsValue> {
    let key = key_of(&key)?;
    with_app(|app| app.cache.get(&key)).map_err(error_to_js)
}

/// `LocalCache.set(key, value)`: stores any JSON-serialisable value.
#[wasm_bindgen(js_name = cacheSet)]
pub fn set(key: JsValue, value: JsValue) -> Result<(), JsValue> {
    let key = key_of(&key)?;
    with_app(|app| app.cache.set(&key, &value))
        .map_err(error_to_js)?
        .map_err(|_| {
            error_to_js(BackendlessError::argument(
                "LocalCache.set: the value cannot be stored as JSON",
            ))
        })
}

/// `LocalCache.remove(key)`.
#[wasm_bindgen(js_name = cacheRemove)]
pub fn remove(key: JsValue) -> Result<(), JsValue> {
    let key = key_of(&key)?;
    with_app(|app| app.cache.remove(&key)).map_err(error_to_js)
}
