//! The user object: a `Backendless.User` that keeps every property the server sent (custom
//! columns included). The SDK only reads `objectId` and `user-token` from it.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::property;
use crate::protocol::keys::{OBJECT_ID, USER_TOKEN};

/// True for a JS object that is not an array (what a user must be).
pub fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !js_sys::Array::is_array(value)
}

/// The user's `objectId`, when it is a non-empty string.
pub fn object_id(user: &JsValue) -> Option<String> {
    property::non_empty_string(user, OBJECT_ID)
}

/// The `user-token` property of a logged-in user.
pub fn token(user: &JsValue) -> Option<String> {
    property::non_empty_string(user, USER_TOKEN)
}

/// Puts the session token on a user restored from `data/Users/{id}` (which answers without it).
pub fn set_token(user: &JsValue, token: &str) {
    property::set(user, USER_TOKEN, &JsValue::from_str(token));
}

#[wasm_bindgen(module = "/src/js/objects.js")]
extern "C" {
    /// A user object as a `Backendless.User` (see that module); anything else unchanged.
    #[wasm_bindgen(js_name = asUser)]
    pub fn as_user(value: &JsValue) -> JsValue;
}
