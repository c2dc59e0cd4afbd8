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
    /// Linked OAuth identities, in the wire shape `{"providerCode","oAuthId","displayName"}`.
    pub oauth_identities: Vec<Value>,
}

/// Longest property name (characters), at any depth.
pub const MAX_NAME_CHARS: usize = 255;
/// Deepest nesting of objects and arrays below the user object itself.
pub const MAX_DEPTH: usize = 8;
/// Most values (at any depth) in a user's custom properties.
pub const MAX_VALUES: usize = 1000;

/// Why custom properties were refused (8000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyLimit {
    /// A string value longer than the policy's `max_property_length`, at any depth.
    StringLength,
    /// A property name longer than [`MAX_NAME_CHARS`].
    NameLength,
    /// Nested deeper than [`MAX_DEPTH`].
    Depth,
    /// More than [`MAX_VALUES`] values.
    Count,
    /// More than the policy's `max_user_bytes` as JSON.
    Size,
}

/// Checks a register body's custom properties against the limits, walking every value once: no
/// string longer than `max_chars`, no name longer than [`MAX_NAME_CHARS`], nesting at most
/// [`MAX_DEPTH`], at most [`MAX_VALUES`] values, at most `max_bytes` as JSON.
pub fn check_properties(
    properties: &Map<String, Value>,
    max_chars: usize,
    max_bytes: usize,
) -> Result<(), PropertyLimit> {
    fn walk(
        value: &Value,
        depth: usize,
        max_chars: usize,
        count: &mut usize,
    ) -> Result<(), PropertyLimit> {
        *count += 1;
        if *count > MAX_VALUES {
            return Err(PropertyLimit::Count);
        }
        match value {
            Value::String(text) if text.chars().count() > max_chars => {
                Err(PropertyLimit::StringLength)
            }
            Value::Array(items) => {
                if depth >= MAX_DEPTH {
                    return Err(PropertyLimit::Depth);
                }
                items
                    .iter()
                    .try_for_each(|item| walk(item, depth + 1, max_chars, count))
            }
            Value::Object(fields) => {
                if depth >= MAX_DEPTH {
                    return Err(PropertyLimit::Depth);
                }
                fields.iter().try_for_each(|(name, item)| {
                    if name.chars().count() > MAX_NAME_CHARS {
                        return Err(PropertyLimit::NameLength);
                    }
                    walk(item, depth + 1, max_chars, count)
                })
            }
            _ => Ok(()),
        }
    }
    let mut count = 0;
    for (name, value) in properties {
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(PropertyLimit::NameLength);
        }
        walk(value, 0, max_chars, &mut count)?;
    }
    if json_size(properties) > max_bytes {
        return Err(PropertyLimit::Size);
    }
    Ok(())
}

/// Bytes of `properties` as compact JSON, counted without building the text.
fn json_size(properties: &Map<String, Value>) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, properties) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

/// The key under which identities are unique and looked up: the NFKC form, lower case. So
/// fullwidth letters, composed and decomposed accents and case are one identity.
pub fn identity_key(identity: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    identity.nfkc().collect::<String>().to_lowercase()
}

/// Characters the local part of an address may hold besides letters and digits (the unquoted
/// `atext` of RFC 5322, as HTML's `type=email` allows).
const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";

/// Whether `email` is an address the service would take: `local@domain`, checked in its NFKC form.
/// The local part is 1–64 letters, digits, `.` and [`LOCAL_SPECIALS`] (no dot at either end or
/// twice in a row); the domain is 1–253 characters of dot-separated labels of 1–63 letters, digits
/// and `-` (not at either end of a label). Letters and digits may be any script's. Whitespace,
/// control and format characters (NUL, zero-width space, direction overrides), quotes, angle
/// brackets and the other RFC 5322 specials are refused.
pub fn is_valid_email(email: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let email: String = email.nfkc().collect();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.chars().count())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || LOCAL_SPECIALS.contains(c));
    let domain_ok = (1..=253).contains(&domain.chars().count())
        && domain.split('.').all(|label| {
            (1..=63).contains(&label.chars().count())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
impl UserRecord {
    /// An enabled password account, as the unit tests store one.
    pub(crate) fn sample(id: &str, email: &str) -> UserRecord {
        UserRecord {
            object_id: id.into(),
            email: Some(email.into()),
            password_hash: Some("h".into()),
            status: UserStatus::Enabled,
            created: 1,
            updated: 1,
            last_login: None,
            locked_until: None,
            properties: Map::new(),
            oauth_identities: Vec::new(),
        }
    }
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
        // Null when there are none, as for an account that never used an OAuth login.
        let identities = if self.oauth_identities.is_empty() {
            Value::Null
        } else {
            Value::Array(self.oauth_identities.clone())
        };
        object.insert("oAuthIdentities".into(), identities);
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
    fn emails_are_checked_and_compared_in_nfkc_lower_case() {
        for good in [
            "a@b",
            "a.b+c@d-e.f",
            "ünï@exämple.de",
            "ａ@ｘ.io",
            "jose\u{301}@x.io",
        ] {
            assert!(is_valid_email(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@b",
            "a@b@c",
            " a@b",
            "a@b ",
            "a\u{200B}@b",
            "a\u{0}@b",
            "<a>@b",
            "a..b@c",
            ".a@b",
            "a.@b",
            "a@b..c",
            "a@-b",
            "a@b-",
            "a@b.",
            "\"a\"@b",
            "a\u{A0}b@c",
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
        assert_eq!(identity_key("ＡＬＩＣＥ@Ｘ.io"), "alice@x.io");
        assert_eq!(
            identity_key("JOSE\u{301}@x.io"),
            identity_key("jos\u{e9}@x.io")
        );
    }

    #[test]
    fn property_limits_apply_at_every_depth() {
        let check = |value: Value| match value {
            Value::Object(map) => check_properties(&map, 5, 200),
            _ => unreachable!(),
        };
        assert_eq!(
            check(serde_json::json!({"a": "12345", "b": [1, {"c": "x"}]})),
            Ok(())
        );
        assert_eq!(
            check(serde_json::json!({"a": {"b": ["123456"]}})),
            Err(PropertyLimit::StringLength)
        );
        assert_eq!(
            check(serde_json::json!({"a": {"n".repeat(256): 1}})),
            Err(PropertyLimit::NameLength)
        );
        let mut deep = serde_json::json!(1);
        for _ in 0..=MAX_DEPTH {
            deep = serde_json::json!([deep]);
        }
        assert_eq!(
            check(serde_json::json!({"d": deep})),
            Err(PropertyLimit::Depth)
        );
        assert_eq!(
            check(serde_json::json!({"a": vec![0; MAX_VALUES]})),
            Err(PropertyLimit::Count)
        );
        assert_eq!(
            check(serde_json::json!({"a": vec!["12345"; 40]})),
            Err(PropertyLimit::Size)
        );
    }

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
            oauth_identities: Vec::new(),
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
