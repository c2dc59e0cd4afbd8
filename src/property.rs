//! Reading and writing a JS object's properties by name. The SDK names properties with Rust
//! string literals; turning one into a JS string and calling `Reflect` happens here only, so the
//! wasm holds that code once instead of at every use.

use js_sys::Reflect;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse(text)` of a JS string: JSON texts (answers, the stored map) stay JS strings
    /// and are never copied through the wasm.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub fn parse_json(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// `object[name]`, or `undefined` when reading it throws (`object` is not an object, a getter
/// throws).
#[inline(never)]
pub fn get(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// `object[name]` when it is a non-empty string (`None` for anything else, non-objects included).
pub fn non_empty_string(object: &JsValue, name: &str) -> Option<String> {
    get(object, name).as_string().filter(|s| !s.is_empty())
}

/// `object[name] = value`, ignoring a refused or throwing write (the SDK writes only to objects
/// it made, or to a user object that already went through the server).
#[inline(never)]
pub fn set(object: &JsValue, name: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(name), value);
}
