//! The user: what is stored about an account and how it looks on the wire.

use serde_json::{Map, Value};

/// Properties the server owns; a register body cannot set them (they are dropped), and they are never stored
/// among the custom properties. `password` and `email` are handled separately.
pub const SERVER_OWNED_PROPERTIES: &[&str] = &[
    "objectId",
    "ownerId",
    "created",
    "updated",
    "lastLogin",
    "userStatus",
    "accountType",
    "socialAccount",
    "oAuthIdentities",
    "___class",
    "user-token",
];

/// `userStatus` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// May log in.
    Enabled,
    /// Login fails with 3000; live sessions end when the status is set.
    Disabled,
    /// Login fails with 3087.
    EmailConfirmationPending,
    /// Created by `register/guest`; has no identity or password.
    Guest,
}

impl UserStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "ENABLED",
            Self::Disabled => "DISABLED",
            Self::EmailConfirmationPending => "EMAIL_CONFIRMATION_PENDING",
            Self::Guest => "GUEST",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ENABLED" => Some(Self::Enabled),
            "DISABLED" => Some(Self::Disabled),
            "EMAIL_CONFIRMATION_PENDING" => Some(Self::EmailConfirmationPending),
            "GUEST" => Some(Self::Guest),
            _ => None,
        }
    }
}

/// One account as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// Upper-case UUID; also the `ownerId`.
    pub object_id: String,
    /// The identity as registered (guests have none).
    pub email: Option<String>,
    /// Argon2id PHC string (guests have none).
    pub password_hash: Option<String>,
    /// Account status.
    pub status: UserStatus,
    /// Creation time, epoch ms.
    pub created: i64,
    /// Last change of the account data, epoch ms.
    pub updated: i64,
    /// Last successful login, epoch ms.
    pub last_login: Option<i64>,
    /// Locked out (3036) until this time, epoch ms.
    pub locked_until: Option<i64>,
    /// Custom properties (including `name`), returned as they were given.
    pub properties: Map<String, Value>,
}

/// The key under which identities are unique and looked up: comparison ignores case.
pub fn identity_key(identity: &str) -> String {
    identity.to_lowercase()
}

impl UserRecord {
    /// The user object as the API returns it: custom properties plus the server-owned fields, never the password.
    pub fn to_wire(&self) -> Map<String, Value> {
        let mut object = self.properties.clone();
        object.remove("password");
        object.insert("objectId".into(), Value::from(self.object_id.clone()));
        object.insert("ownerId".into(), Value::from(self.object_id.clone()));
        object.insert(
            "email".into(),
            self.email.clone().map_or(Value::Null, Value::from),
        );
        object.insert("userStatus".into(), Value::from(self.status.as_str()));
        object.insert("created".into(), Value::from(self.created));
        object.insert("updated".into(), Value::from(self.updated));
        object.insert(
            "lastLogin".into(),
            self.last_login.map_or(Value::Null, Value::from),
        );
        object.insert("accountType".into(), Value::from("BACKENDLESS"));
        object.insert("socialAccount".into(), Value::from("BACKENDLESS"));
        object.insert("oAuthIdentities".into(), Value::Null);
        // The official client sends its locale on register; keep it, else "en" as the hosted service does.
        if !matches!(object.get("blUserLocale"), Some(Value::String(_))) {
            object.insert("blUserLocale".into(), Value::from("en"));
        }
        object.insert("___class".into(), Value::from("Users"));
        object
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_has_system_fields_and_no_password() {
        let mut properties = Map::new();
        properties.insert("name".into(), Value::from("Alice"));
        properties.insert("password".into(), Value::from("leak"));
        let user = UserRecord {
            object_id: "ID".into(),
            email: Some("a@b.c".into()),
            password_hash: Some("hash".into()),
            status: UserStatus::Enabled,
            created: 1,
            updated: 2,
            last_login: None,
            locked_until: None,
            properties,
        };
        let wire = Value::Object(user.to_wire());
        assert_eq!(wire["ownerId"], "ID");
        assert_eq!(wire["name"], "Alice");
        assert_eq!(wire["lastLogin"], Value::Null);
        assert_eq!(wire["___class"], "Users");
        assert!(wire.get("password").is_none());
        assert!(!wire.to_string().contains("hash"));
    }
}
