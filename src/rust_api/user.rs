//! [`User`] (what the calls answer) and [`NewUser`] (what [`App::register`](super::App::register)
//! takes).

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use super::Error;

/// The properties of a user beyond the known fields: custom columns of the Users table, by
/// name, as JSON values.
pub type Properties = serde_json::Map<String, serde_json::Value>;

/// A Backendless user, as the server sent it: the columns every Users table has, typed, and
/// every other property in [`User::properties`]. The password never comes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user's id (`objectId`).
    pub object_id: String,
    /// The email column (the default identity).
    #[serde(default)]
    pub email: Option<String>,
    /// The name column.
    #[serde(default)]
    pub name: Option<String>,
    /// `ENABLED`, `DISABLED`, `GUEST`, `EMAIL_CONFIRMATION_PENDING`, … (`userStatus`).
    #[serde(default)]
    pub user_status: Option<String>,
    /// The session's token (`user-token`), on the user a login answers and on the current user.
    #[serde(
        rename = "user-token",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_token: Option<String>,
    /// Who owns the record (`ownerId`).
    #[serde(default)]
    pub owner_id: Option<String>,
    /// When the user was created, in milliseconds since 1970 (UTC).
    #[serde(default)]
    pub created: Option<f64>,
    /// When the user was last updated, in milliseconds since 1970 (UTC).
    #[serde(default)]
    pub updated: Option<f64>,
    /// When the user last logged in, in milliseconds since 1970 (UTC).
    #[serde(default)]
    pub last_login: Option<f64>,
    /// The language `register` recorded (`blUserLocale`).
    #[serde(default)]
    pub bl_user_locale: Option<String>,
    /// The class name the API tags users with (`___class`: `"Users"`).
    #[serde(rename = "___class", default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// Every other property (custom columns), by name.
    #[serde(flatten)]
    pub properties: Properties,
}

impl User {
    /// Reads a user the JavaScript API answered.
    pub(crate) fn from_js(value: JsValue) -> Result<User, Error> {
        serde_wasm_bindgen::from_value(value).map_err(|e| Error::unreadable("user", e))
    }

    /// Reads a user or `null`.
    pub(crate) fn maybe_from_js(value: JsValue) -> Result<Option<User>, Error> {
        if value.is_null() || value.is_undefined() {
            Ok(None)
        } else {
            User::from_js(value).map(Some)
        }
    }
}

/// A user to [register](super::App::register): its identity (the email, in the default Users
/// table), its password, and any other columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUser {
    /// The email (the default identity column).
    pub email: String,
    /// The password.
    pub password: String,
    /// Other columns to set (`name`, custom columns, `blUserLocale` to override the page's
    /// language), by name.
    #[serde(flatten)]
    pub properties: Properties,
}

impl NewUser {
    /// A user with this email and password and no other columns.
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> NewUser {
        NewUser {
            email: email.into(),
            password: password.into(),
            properties: Properties::new(),
        }
    }

    /// Sets the column `name` to `value`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> NewUser {
        self.properties.insert(name.into(), value.into());
        self
    }
}
