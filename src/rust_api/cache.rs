//! [`LocalCache`]: the app's `Backendless_{appId}` map, typed with serde.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

use super::Error;
use crate::cache::CacheOp;
use crate::js::backendless::{self, Read};
use crate::js::local_cache::cache;

/// The app's cache map (`Backendless.LocalCache`): the `Backendless_{appId}` item of
/// localStorage (`Backendless` for a custom domain), shared with the JavaScript API and the
/// official client. Values are stored as JSON.
///
/// Writing `user-token` or `current-user-id` while no user is known in memory (after a reload,
/// before [`App::current_user`](super::App::current_user)) makes them the session, as a reload
/// would read them, like the JavaScript `LocalCache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalCache {
    _private: (),
}

impl LocalCache {
    /// The key of the session's token.
    pub const USER_TOKEN: &'static str = "user-token";
    /// The key of the session's user id.
    pub const CURRENT_USER_ID: &'static str = "current-user-id";
    /// The key that is `true` while the session is stored.
    pub const STAY_LOGGED_IN: &'static str = "stayLoggedIn";

    pub(crate) fn new() -> LocalCache {
        LocalCache { _private: () }
    }

    /// The value under `key`, read as a `T`: `None` when there is none.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        let value = cache(CacheOp::Get, JsValue::from_str(key), JsValue::UNDEFINED)
            .map_err(Error::from_js)?;
        if value.is_undefined() {
            return Ok(None);
        }
        serde_wasm_bindgen::from_value(value)
            .map(Some)
            .map_err(|error| Error::unreadable(key, error))
    }

    /// Stores `value` (as JSON) under `key`.
    pub fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), Error> {
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let value = value
            .serialize(&serializer)
            .map_err(|error| Error::Argument {
                code: None,
                message: format!("LocalCache.set: the value cannot be stored as JSON: {error}"),
            })?;
        self.write(CacheOp::Set, key, value)
    }

    /// Removes `key`.
    pub fn remove(&self, key: &str) -> Result<(), Error> {
        self.write(CacheOp::Remove, key, JsValue::UNDEFINED)
    }

    fn write(&self, op: CacheOp, key: &str, value: JsValue) -> Result<(), Error> {
        cache(op, JsValue::from_str(key), value).map_err(Error::from_js)?;
        let session_key = key == Self::USER_TOKEN || key == Self::CURRENT_USER_ID;
        if session_key && backendless::read(Read::User).is_null() {
            super::app::reapply()?;
        }
        Ok(())
    }

    /// The storage item holding the map (`Backendless_{appId}`, or `Backendless`), or `None`
    /// before the app is set up.
    pub fn storage_name(&self) -> Option<String> {
        backendless::read(Read::StorageName).as_string()
    }
}
