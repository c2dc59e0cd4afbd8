//! What only business logic (requests under the CloudCode key) may do — log a user in by its
//! objectId, check a session's password, enable or disable an account — and what any caller may
//! ask about the Users class: its columns, and a confirmation link for an address.
//!
//! The app's key is refused before anything else is looked at, so its callers learn nothing about
//! which ids or tokens exist from these operations.

use serde_json::{json, Value};

use super::{Auth, AuthError, KeyKind};
use crate::user::{UserStatus, SERVER_OWNED_PROPERTIES};

/// Most dynamic columns `users/userclassprops` lists.
pub const MAX_DYNAMIC_COLUMNS: u32 = 1000;

/// The Users table's own columns: (name, type, required, identity). The shape of each
/// description is the official SDKs' `UserProperty` (name, required, type, defaultValue,
/// identity); the types are Backendless's column type names. Assumed: no raw answer is public.
const SYSTEM_COLUMNS: [(&str, &str, bool, bool); 11] = [
    ("objectId", "STRING_ID", false, false),
    ("ownerId", "STRING", false, false),
    ("email", "STRING", true, true),
    ("password", "STRING", true, false),
    ("name", "STRING", false, false),
    ("created", "DATETIME", false, false),
    ("updated", "DATETIME", false, false),
    ("lastLogin", "DATETIME", false, false),
    ("userStatus", "STRING", false, false),
    ("accountType", "STRING", false, false),
    ("blUserLocale", "STRING", false, false),
];

/// A column's description.
fn column(name: &str, kind: &str, required: bool, identity: bool) -> Value {
    json!({
        "name": name,
        "required": required,
        "type": kind,
        "defaultValue": null,
        "identity": identity,
    })
}

/// Backendless's column type for a JSON type as SQLite's `json_each` names it.
fn column_type(json_type: &str) -> &'static str {
    match json_type {
        "integer" => "INT",
        "real" => "DOUBLE",
        "true" | "false" => "BOOLEAN",
        "array" | "object" => "JSON",
        _ => "STRING",
    }
}

impl Auth {
    /// `POST users/login` with `{"objectId"}`: the user with a fresh `user-token`, as a password
    /// login answers, for business logic only (the app's key → 2014 before the id is looked at).
    /// An id nobody has → 3030. Status and lock are judged as for a password login (3000, 3087,
    /// 3036; a guest, which has no login, 3003), and the session policy applies.
    pub async fn login_by_object_id(
        &self,
        object_id: &str,
        key: KeyKind,
    ) -> Result<Value, AuthError> {
        self.check_logins_open()?;
        if !key.is_cloud_code() {
            return Err(AuthError::ObjectIdLoginNotAllowed);
        }
        let policy = self.policy();
        let id = object_id.to_string();
        let Some(user) = self.blocking(move |store| store.user_by_id(&id)).await? else {
            return Err(AuthError::UnknownUserId);
        };
        if user.locked_until.is_some_and(|until| until > self.now_ms()) {
            return Err(AuthError::AccountLocked);
        }
        match user.status {
            UserStatus::Enabled => {}
            UserStatus::Disabled => return Err(AuthError::LoginDisabledForUser),
            UserStatus::EmailConfirmationPending => return Err(AuthError::EmailNotConfirmed),
            UserStatus::Guest => return Err(AuthError::InvalidLogin),
        }
        tracing::info!(user = %user.object_id, "login by objectId (business logic)");
        self.open_session(user, policy).await
    }

    /// `POST users/verifypassowrd`: whether `password` is the password of the session's user.
    /// The app's key → 3122 first; then no token 3028, a stale one 3064; then the password
    /// (8002 / 3038 from the route's reading of the body).
    ///
    /// Not counted toward lockout, and no lock is judged: only business logic reaches this oracle,
    /// and it can log anyone in by objectId anyway, so counting would protect nothing and would let
    /// a "confirm your password" step lock accounts. The real KDF still runs every time (a guest,
    /// which has no hash, against the dummy one), so the answer's time says nothing either.
    pub async fn verify_password(
        &self,
        token: Option<&str>,
        password: Result<String, AuthError>,
        key: KeyKind,
    ) -> Result<bool, AuthError> {
        if !key.is_cloud_code() {
            return Err(AuthError::PasswordCheckNotAllowed);
        }
        let Some(user_id) = self.caller(token)? else {
            return Err(AuthError::NotLoggedIn);
        };
        let password = password?;
        let id = user_id.to_string();
        let Some(user) = self.blocking(move |store| store.user_by_id(&id)).await? else {
            return Err(AuthError::StaleToken(token.unwrap_or_default().to_string()));
        };
        Ok(self.passwords.verify(password, user.password_hash).await?)
    }

    /// `PUT users/{objectId}/status` with `{"userStatus": "ENABLED" | "DISABLED"}`: the app's key
    /// → 3054 first; another value → 8002; no such user → 3030; a guest → 3212 (it has no
    /// identity to be enabled with). DISABLED ends the user's sessions (as the control endpoint
    /// does). The user, as `data/Users` shows it.
    pub async fn update_user_status(
        &self,
        object_id: &str,
        status: &Value,
        key: KeyKind,
    ) -> Result<Value, AuthError> {
        if !key.is_cloud_code() {
            return Err(AuthError::BlLogicOnly);
        }
        let wanted = status.as_str().and_then(UserStatus::parse);
        if !matches!(wanted, Some(UserStatus::Enabled | UserStatus::Disabled)) {
            return Err(AuthError::UnparsableBody(
                "userStatus must be ENABLED or DISABLED".into(),
            ));
        }
        let id = object_id.to_string();
        match self.blocking(move |store| store.user_by_id(&id)).await? {
            None => return Err(AuthError::UnknownUserId),
            Some(user) if user.status == UserStatus::Guest => return Err(AuthError::InvalidGuest),
            Some(_) => {}
        }
        match self.set_user_status(object_id, status).await {
            Err(AuthError::ObjectNotFound(_)) => Err(AuthError::UnknownUserId),
            other => other,
        }
    }

    /// `GET users/userclassprops`: the Users table's columns, its own then the custom properties
    /// stored users have (by name, at most [`MAX_DYNAMIC_COLUMNS`]), each typed by a stored value.
    /// A sent token must be live (3064).
    pub async fn describe_user_class(&self, token: Option<&str>) -> Result<Vec<Value>, AuthError> {
        self.caller(token)?;
        let dynamic = self
            .blocking(|store| store.property_columns(MAX_DYNAMIC_COLUMNS))
            .await?;
        let mut columns: Vec<Value> = SYSTEM_COLUMNS
            .iter()
            .map(|(name, kind, required, identity)| column(name, kind, *required, *identity))
            .collect();
        for (name, json_type) in dynamic {
            let known = SYSTEM_COLUMNS.iter().any(|(system, ..)| *system == name)
                || SERVER_OWNED_PROPERTIES.contains(&name.as_str());
            if !known {
                columns.push(column(&name, column_type(&json_type), false, false));
            }
        }
        Ok(columns)
    }

    /// `POST users/createEmailConfirmationURL/{identity}`: a fresh confirmation code for the
    /// account (recorded in the outbox as `confirmation-url`, not mailed), under the rules of
    /// `resendconfirmation`: 3103 unless the policy requires confirmation, 3104 for an identity
    /// nobody has, 3102 for an account not waiting. The route turns the code into the link.
    pub async fn create_confirmation_code(&self, identity: &str) -> Result<String, AuthError> {
        let (to, user_id) = self.awaiting_confirmation(identity).await?;
        let code = self.outbox.confirmation_url(&to, &user_id)?;
        tracing::info!(user = %user_id, "confirmation link handed out (createEmailConfirmationURL)");
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_follow_the_stored_json() {
        assert_eq!(column_type("text"), "STRING");
        assert_eq!(column_type("integer"), "INT");
        assert_eq!(column_type("real"), "DOUBLE");
        assert_eq!(column_type("true"), "BOOLEAN");
        assert_eq!(column_type("object"), "JSON");
        assert_eq!(column_type("null"), "STRING");
    }
}
