//! [`SessionListener`]: a Rust closure told of every session change, until dropped.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

use super::{Error, User};
use crate::js::user_service;

/// A session listener added by [`App::on_session_change`](super::App::on_session_change): its
/// closure runs on login, logout, restore after a reload, invalidation, an update of the current
/// user and other tabs' changes, with the current user or `None`. Dropping it removes the
/// listener (keep it as long as the component that reacts lives).
#[must_use = "the listener is removed when this is dropped"]
pub struct SessionListener {
    id: u32,
    // Kept alive while the listener is registered; dropped after it is removed.
    _callback: Closure<dyn FnMut(JsValue)>,
}

impl SessionListener {
    pub(crate) fn add(mut on_change: impl FnMut(Option<User>) + 'static) -> Result<Self, Error> {
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |user: JsValue| {
            match User::maybe_from_js(user) {
                Ok(user) => on_change(user),
                // Not reachable with the SDK's own users (they all carry an objectId); said
                // rather than passed on as a logout.
                Err(error) => web_sys::console::warn_1(&JsValue::from_str(&format!(
                    "backendless-wasm: a session listener got {error}"
                ))),
            }
        });
        let id = user_service::add_session_listener(callback.as_ref().clone())
            .map_err(Error::from_js)?;
        Ok(SessionListener {
            id,
            _callback: callback,
        })
    }
}

impl Drop for SessionListener {
    fn drop(&mut self) {
        user_service::remove_session_listener(self.id);
    }
}

impl std::fmt::Debug for SessionListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionListener")
            .field("id", &self.id)
            .finish()
    }
}
