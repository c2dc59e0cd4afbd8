//! OAuth logins on the Backendless side: the account behind a provider's identity (linked,
//! another id of an account linked to that provider with the provider's email, a converted guest,
//! or new), then a session as a password login opens one, all in one transaction.
//! Which identity it is (the provider's account) is the caller's business: see
//! [`crate::provider`].

use serde_json::{Map, Value};

use super::login::check_session_policy;
use super::{new_token, new_user, secs_to_ms, with_token, Auth, AuthError};
use crate::store::{SessionRecord, StoreError, Tx};
use crate::user::UserRecord;
use crate::user::{is_valid_email, UserStatus, MAX_NAME_CHARS, SERVER_OWNED_PROPERTIES};

/// An account at a provider, as the provider vouches for it.
#[derive(Debug, Clone)]
pub struct ProviderIdentity {
    /// The provider's code.
    pub provider: String,
    /// The account's id at the provider.
    pub id: String,
    /// Its email.
    pub email: String,
    /// Its display name.
    pub name: String,
}

/// Which provider property goes to which Users column: (`id`|`email`|`name`, column).
pub type FieldsMapping = Vec<(String, String)>;

/// The provider properties that can be mapped.
const PROVIDER_FIELDS: [&str; 3] = ["id", "email", "name"];

/// A `guestUser` to convert: its objectId and the request's `user-token`.
#[derive(Debug, Clone)]
pub struct GuestClaim {
    /// The guest's objectId, as the body names it.
    pub object_id: String,
    /// The request's `user-token`: it must be that guest's live session.
    pub token: Option<String>,
}

/// A `fieldsMapping` from a request: absent or null → `email→email`, `name→name`; an object's
/// string values replace those defaults key by key (keys other than `id`, `email`, `name` are
/// ignored: the local provider has nothing else). Anything else → 8002, and so is mapping
/// `id` or `name` to the `email` column: that column is the account's identity, and only the
/// provider's email may fill it.
pub fn fields_mapping(value: Option<&Value>) -> Result<FieldsMapping, AuthError> {
    let mut mapping: FieldsMapping = vec![
        ("email".into(), "email".into()),
        ("name".into(), "name".into()),
    ];
    let fields = match value {
        None | Some(Value::Null) => return Ok(mapping),
        Some(Value::Object(fields)) => fields,
        Some(_) => {
            return Err(AuthError::UnparsableBody(
                "fieldsMapping must be an object of provider property → Users column".into(),
            ))
        }
    };
    for (source, column) in fields {
        let Value::String(column) = column else {
            return Err(AuthError::UnparsableBody(
                "fieldsMapping values must be column names (strings)".into(),
            ));
        };
        if column.is_empty() || column.chars().count() > MAX_NAME_CHARS {
            return Err(AuthError::ValueTooLong);
        }
        if !PROVIDER_FIELDS.contains(&source.as_str()) {
            continue;
        }
        // A free-text field (the display name) as the identity would claim an address the
        // provider never vouched for.
        if column == "email" && source != "email" {
            return Err(AuthError::UnparsableBody(
                "fieldsMapping may map only the provider's email to the email column".into(),
            ));
        }
        mapping.retain(|(known, _)| known != source);
        mapping.push((source.clone(), column.clone()));
    }
    Ok(mapping)
}

impl Auth {
    /// Logs in as the account linked to `identity` (creating or linking one, see
    /// [`oauth_account`]): the user with a fresh `user-token`, as a password
    /// login answers. `guest` names a GUEST to become this user when the identity is new; as
    /// register converts one, the request's token must be that guest's live session (else 3212).
    pub async fn oauth_login(
        &self,
        identity: ProviderIdentity,
        mapping: &FieldsMapping,
        guest: Option<GuestClaim>,
    ) -> Result<Value, AuthError> {
        self.check_logins_open()?;
        let guest_id = match guest {
            Some(GuestClaim { object_id, token }) => {
                let owner = token
                    .as_deref()
                    .filter(|token| !token.is_empty())
                    .and_then(|token| self.session_user(token));
                if owner.as_deref() != Some(object_id.as_str()) {
                    return Err(AuthError::InvalidGuest);
                }
                Some(object_id)
            }
            None => None,
        };
        let policy = self.policy();
        let mut email = None;
        let mut properties = Map::new();
        for (source, column) in mapping {
            let value = match source.as_str() {
                "id" => &identity.id,
                "email" => &identity.email,
                _ => &identity.name,
            };
            if column == "email" {
                // `fields_mapping` lets only the provider's email reach this column.
                if source == "email" {
                    email = Some(value.clone()).filter(|value| is_valid_email(value));
                }
            } else if column != "password" && !SERVER_OWNED_PROPERTIES.contains(&column.as_str()) {
                properties.insert(column.clone(), Value::from(value.clone()));
            }
        }
        let fresh = new_user(self.now_ms(), email, None, UserStatus::Enabled, properties)?;
        let (token, digest) = new_token()?;
        let ProviderIdentity {
            provider,
            id,
            email: provider_email,
            name,
        } = identity;
        let (store, sessions, gate, clock) = (
            self.store.clone(),
            self.sessions.clone(),
            self.session_gate.clone(),
            self.clock.clone(),
        );
        let timeout_ms = secs_to_ms(policy.session_timeout_secs);
        let outcome = tokio::task::spawn_blocking(move || {
            // As for a password login: counting the live sessions and adding one is one step.
            let _gate = gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = clock.now_ms();
            let login = OAuthLogin {
                provider: &provider,
                oauth_id: &id,
                provider_email: &provider_email,
                display_name: &name,
                guest_id: guest_id.as_deref(),
                new_user: &fresh,
            };
            // One transaction from the account to its session: any refusal rolls back the
            // account or link written on the way, so nothing of a refused sign-in is left.
            let signed_in = store.transaction(|tx| {
                let user_id = oauth_account(tx, &login)?;
                // The account went between two statements (cannot happen inside the transaction).
                let user = tx.user_by_id(&user_id)?.ok_or(AuthError::InvalidLogin)?;
                match user.status {
                    UserStatus::Enabled => {}
                    UserStatus::Disabled => return Err(AuthError::LoginDisabledForUser),
                    UserStatus::EmailConfirmationPending => {
                        return Err(AuthError::EmailNotConfirmed)
                    }
                    UserStatus::Guest => return Err(AuthError::InvalidGuest),
                }
                check_session_policy(
                    &policy,
                    sessions.live_count(&user.object_id, now, timeout_ms),
                )?;
                let session = SessionRecord {
                    token_digest: digest,
                    user_id,
                    last_activity: now,
                };
                if !tx.open_session(&session)? {
                    return Err(AuthError::InvalidLogin);
                }
                let user = tx
                    .user_by_id(&session.user_id)?
                    .ok_or(AuthError::InvalidLogin)?;
                Ok((user, session))
            });
            signed_in.map(|(user, session)| {
                sessions.insert(&session);
                user
            })
        })
        .await
        .map_err(|error| StoreError::Task(error.to_string()))?;
        let user = match outcome {
            Ok(user) => user,
            // Another request created an account with that email at the same moment.
            Err(AuthError::Store(StoreError::DuplicateIdentity)) => {
                return Err(AuthError::UserExists)
            }
            Err(error) => return Err(error),
        };
        tracing::info!(user = %user.object_id, "OAuth login");
        Ok(with_token(&user, &token))
    }
}

/// One OAuth sign-in, as [`oauth_account`] judges it.
struct OAuthLogin<'a> {
    /// The provider's code.
    provider: &'a str,
    /// The account's id at the provider.
    oauth_id: &'a str,
    /// The account's email as the provider reports it: the only value an existing account is
    /// found by (never one the request chose through `fieldsMapping`).
    provider_email: &'a str,
    /// The account's name at the provider (kept on the link).
    display_name: &'a str,
    /// The guest account to convert, if the client named one (the caller checked it is the
    /// requester's own).
    guest_id: Option<&'a str>,
    /// The account to create if none is found: fresh objectId, mapped email and properties.
    new_user: &'a UserRecord,
}

/// The account an OAuth sign-in lands on, its link written, inside the sign-in's transaction:
/// the account linked to (provider, oauth id); else, when the provider's email is an existing
/// account's, that account only if it is linked to this provider already (another id of it: the
/// provider's memory went at a restart) — any other account of that email is refused
/// ([`AuthError::AccountNotLinked`]); else the guest `login.guest_id` converted (its properties
/// merged with the new ones, ENABLED; not a guest: [`AuthError::InvalidGuest`]); else
/// `login.new_user` created.
fn oauth_account(tx: &Tx<'_>, login: &OAuthLogin<'_>) -> Result<String, AuthError> {
    if let Some(user_id) = tx.linked_user(login.provider, login.oauth_id)? {
        tx.link(login.provider, login.oauth_id, &user_id, login.display_name)?;
        return Ok(user_id);
    }
    let guest = match login.guest_id {
        Some(guest_id) => match tx.user_by_id(guest_id)? {
            Some(user) if user.status == UserStatus::Guest => Some(user),
            _ => return Err(AuthError::InvalidGuest),
        },
        None => None,
    };
    let user_id = match (tx.user_by_identity(login.provider_email)?, guest) {
        (Some(existing), _) => {
            // The local provider vouches for any address typed into it: an account of its own (a
            // password, another provider) is not handed to whoever holds the provider account.
            // One linked to this provider already is the same person. A guest holding the
            // address is refused by the status check after this write, which then rolls back.
            if !tx.is_linked_to(login.provider, &existing.object_id)?
                && existing.status != UserStatus::Guest
            {
                return Err(AuthError::AccountNotLinked);
            }
            existing.object_id
        }
        (None, Some(mut guest)) => {
            guest.email = login.new_user.email.clone();
            guest.status = login.new_user.status;
            guest.updated = login.new_user.updated;
            for (name, value) in &login.new_user.properties {
                guest.properties.insert(name.clone(), value.clone());
            }
            tx.put_user(&guest)?;
            guest.object_id
        }
        (None, None) => {
            tx.put_user(login.new_user)?;
            login.new_user.object_id.clone()
        }
    };
    tx.link(login.provider, login.oauth_id, &user_id, login.display_name)?;
    Ok(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_defaults_and_overrides() {
        assert_eq!(
            fields_mapping(None).unwrap(),
            vec![
                ("email".to_string(), "email".to_string()),
                ("name".to_string(), "name".to_string())
            ]
        );
        let given = serde_json::json!({"name": "nickname", "id": "githubId", "avatar": "x"});
        let mapping = fields_mapping(Some(&given)).unwrap();
        assert!(mapping.contains(&("name".into(), "nickname".into())));
        assert!(mapping.contains(&("id".into(), "githubId".into())));
        assert!(mapping.contains(&("email".into(), "email".into())));
        assert_eq!(mapping.len(), 3);
        assert!(fields_mapping(Some(&serde_json::json!([1]))).is_err());
        assert!(fields_mapping(Some(&serde_json::json!({"name": 1}))).is_err());
        for source in ["name", "id"] {
            assert!(fields_mapping(Some(&serde_json::json!({ source: "email" }))).is_err());
        }
        assert!(fields_mapping(Some(&serde_json::json!({"email": "email"}))).is_ok());
    }
}
