//! What a logged-in user does with its own account: `update`, email confirmation
//! (resend, the outbox link), and turning a guest into a registered user.

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::{Auth, AuthError};
use crate::config::Policy;
use crate::ids::token_digest;
use crate::store::StoreError;
use crate::user::{
    check_properties, identity_key, is_valid_email, UserStatus, SERVER_OWNED_PROPERTIES,
};

/// A converted guest's new identity: email, password hash, status and the body's properties.
pub(super) type GuestFields = (String, String, UserStatus, Map<String, Value>);

impl Auth {
    /// `PUT users/{objectId}`: the caller's own account, changed by the body's properties.
    /// Checks in the documented order: 3028 no token, 3064 stale, 3030 no such user, 3029
    /// someone else's; then the register rules (3040, 8000) and 3018 for an email in use.
    /// Server-owned properties in the body are ignored; a new password is hashed and ends every
    /// other session of the user (the caller's stays). A guest cannot set an email or a password
    /// here (3212: it registers instead). With email confirmation required, a new email waits for
    /// its link ([`super::outbox::Outbox::email_change`]) and the account keeps its address
    /// until then.
    pub async fn update_user(
        &self,
        object_id: &str,
        token: Option<&str>,
        body: Result<Value, AuthError>,
        client: Option<IpAddr>,
    ) -> Result<Value, AuthError> {
        let Some(token) = token.filter(|token| !token.is_empty()) else {
            return Err(AuthError::NotLoggedIn);
        };
        let Some(caller) = self.session_user(token) else {
            return Err(AuthError::StaleToken(token.to_string()));
        };
        let id = object_id.to_string();
        let Some(current) = self.blocking(move |store| store.user_by_id(&id)).await? else {
            return Err(AuthError::UnknownUserId);
        };
        if *caller != *object_id {
            return Err(AuthError::OtherUsersProperties);
        }
        let Value::Object(mut changes) = body? else {
            return Err(AuthError::UnparsableBody(
                "the user must be a JSON object".into(),
            ));
        };
        for name in SERVER_OWNED_PROPERTIES {
            changes.remove(*name);
        }
        let email = match changes.remove("email") {
            None => None,
            // A guest's object carries `email: null`: sending it back changes nothing.
            Some(Value::Null) if current.email.is_none() => None,
            Some(Value::String(email)) if is_valid_email(&email) => Some(email),
            Some(_) => return Err(AuthError::InvalidEmail),
        };
        let password = match changes.remove("password") {
            None => None,
            Some(Value::String(password)) if !password.is_empty() => Some(password),
            Some(_) => return Err(AuthError::MissingPassword),
        };
        // A guest becomes a user through register, which checks the address and has it
        // confirmed when that is required; set here, an address would skip both and could be
        // anyone's, keeping its owner from registering or signing in with a provider.
        if current.status == UserStatus::Guest && (email.is_some() || password.is_some()) {
            return Err(AuthError::InvalidGuest);
        }
        let policy = self.policy();
        // With confirmation required a new address is the account's only once the link mailed
        // to it is opened: until then it logs nobody in, links no provider account and keeps
        // nobody from registering it. Another spelling of the same address changes at once.
        let same_address = |new: &str| {
            current
                .email
                .as_deref()
                .is_some_and(|old| identity_key(old) == identity_key(new))
        };
        let (email, pending_email) = match email {
            Some(new) if policy.require_email_confirmation && !same_address(&new) => {
                (None, Some(new))
            }
            other => (other, None),
        };
        let too_long = |value: &Option<String>| {
            value
                .as_deref()
                .is_some_and(|value| value.chars().count() > policy.max_property_length)
        };
        if too_long(&email) || too_long(&pending_email) || too_long(&password) {
            return Err(AuthError::ValueTooLong);
        }
        let (max_chars, max_bytes) = (policy.max_property_length, policy.max_user_bytes);
        let within_limits = move |properties: &Map<String, Value>| {
            check_properties(properties, max_chars, max_bytes).map_err(|limit| {
                tracing::debug!(?limit, "update refused: property limits");
                AuthError::ValueTooLong
            })
        };
        within_limits(&changes)?;
        // Cheap check before a hash; the unique index settles races inside the write.
        if let Some(email) = email.clone().or_else(|| pending_email.clone()) {
            let owner = self
                .blocking(move |store| store.user_by_identity(&email))
                .await?;
            if owner.is_some_and(|owner| owner.object_id != object_id) {
                return Err(AuthError::IdentityTaken);
            }
        }
        let hash = match password {
            Some(password) => Some(self.passwords.hash(password).await?),
            None => None,
        };
        let id = object_id.to_string();
        // The session that changes the password is the one that knows it: the others end.
        let keep = hash.is_some().then(|| token_digest(token));
        let now = self.now_ms();
        let updated = self
            .blocking_auth(move |store| {
                let apply = |user: &mut crate::user::UserRecord| {
                    if let Some(email) = email {
                        user.email = Some(email);
                    }
                    if let Some(hash) = hash {
                        user.password_hash = Some(hash);
                    }
                    for (name, value) in changes {
                        user.properties.insert(name, value);
                    }
                    within_limits(&user.properties)?;
                    // Strictly later, so a client can tell the change happened.
                    user.updated = now.max(user.updated.saturating_add(1));
                    Ok::<(), AuthError>(())
                };
                match keep {
                    Some(keep) => store.update_user_ending_other_sessions(&id, &keep, apply),
                    None => Ok(store
                        .update_user(&id, apply)?
                        .map(|user| (user, Vec::new()))),
                }
            })
            .await;
        match updated {
            Ok(Some((user, ended))) => {
                for digest in &ended {
                    self.sessions.end(digest);
                }
                if !ended.is_empty() {
                    tracing::info!(user = %user.object_id, ended = ended.len(), "password changed: other sessions ended");
                }
                if let Some(new_email) = pending_email {
                    self.outbox
                        .email_change(&new_email, &user.object_id, client)?;
                    tracing::info!(user = %user.object_id, "email change waits for its link in /__emulator/outbox");
                }
                tracing::info!(user = %user.object_id, "user updated");
                Ok(Value::Object(user.to_wire()))
            }
            Ok(None) => Err(AuthError::UnknownUserId),
            Err(AuthError::Store(StoreError::DuplicateIdentity)) => Err(AuthError::IdentityTaken),
            Err(error) => Err(error),
        }
    }

    /// `POST users/resendconfirmation/{identity}`: 3103 unless the policy requires confirmation,
    /// 3104 for an identity nobody has, 3102 for an account not waiting; else a new message in
    /// the outbox.
    pub async fn resend_confirmation(
        &self,
        identity: &str,
        client: Option<IpAddr>,
    ) -> Result<(), AuthError> {
        let (to, user_id) = self.awaiting_confirmation(identity).await?;
        self.send_confirmation(&to, &user_id, client)
    }

    /// The address and id of the account `identity` names, when it waits for its confirmation:
    /// 3103 unless the policy requires confirmation, 3104 for an identity nobody has, 3102 for an
    /// account not waiting (the rules of `resendconfirmation` and `createEmailConfirmationURL`).
    pub(super) async fn awaiting_confirmation(
        &self,
        identity: &str,
    ) -> Result<(String, String), AuthError> {
        if !self.policy().require_email_confirmation {
            return Err(AuthError::ConfirmationNotRequired);
        }
        let probe = identity.to_string();
        let Some(user) = self
            .blocking(move |store| store.user_by_identity(&probe))
            .await?
        else {
            return Err(AuthError::ConfirmationUserNotFound);
        };
        if user.status != UserStatus::EmailConfirmationPending {
            return Err(AuthError::EmailAlreadyConfirmed);
        }
        let to = user.email.unwrap_or_else(|| identity.to_string());
        Ok((to, user.object_id))
    }

    /// Records a confirmation message (the log names the account, never the link).
    pub(super) fn send_confirmation(
        &self,
        to: &str,
        user_id: &str,
        client: Option<IpAddr>,
    ) -> Result<(), AuthError> {
        self.outbox.confirmation(to, user_id, client)?;
        tracing::info!(user = %user_id, "confirmation mail recorded in /__emulator/outbox");
        Ok(())
    }

    /// The outbox (`GET /__emulator/outbox`).
    pub fn outbox(&self) -> &super::outbox::Outbox {
        &self.outbox
    }

    /// Opening a confirmation link: the account waiting for it becomes ENABLED (one already
    /// enabled stays as it is); an email change's link also gives the account its new address
    /// (3018 if another account has it by now). `None`: the code is unknown or was used.
    pub async fn confirm_email(&self, code: &str) -> Result<Option<Value>, AuthError> {
        let Some(super::outbox::Redeemed { user_id, new_email }) = self.outbox.redeem(code) else {
            return Ok(None);
        };
        let now = self.now_ms();
        let updated = self
            .blocking(move |store| {
                store.update_user(&user_id, |user| {
                    let mut changed = false;
                    if let Some(new_email) = new_email {
                        user.email = Some(new_email);
                        changed = true;
                    }
                    if user.status == UserStatus::EmailConfirmationPending {
                        user.status = UserStatus::Enabled;
                        changed = true;
                    }
                    if changed {
                        user.updated = now.max(user.updated.saturating_add(1));
                    }
                    Ok::<(), StoreError>(())
                })
            })
            .await;
        let updated = match updated {
            Ok(updated) => updated,
            Err(StoreError::DuplicateIdentity) => return Err(AuthError::IdentityTaken),
            Err(error) => return Err(error.into()),
        };
        if let Some(user) = &updated {
            tracing::info!(user = %user.object_id, "email confirmed");
        }
        Ok(updated.map(|user| Value::Object(user.to_wire())))
    }

    /// Whether a register body converts a guest: it names an `objectId`. With a `user-token`
    /// the token must be that account's live session and the account a GUEST, else 3212.
    /// Without one, an objectId that names an account is refused too (3212: converting needs the
    /// guest's session); one that names nobody is ignored as before (server-owned).
    pub(super) async fn guest_to_convert(
        &self,
        properties: &Map<String, Value>,
        token: Option<&str>,
    ) -> Result<Option<String>, AuthError> {
        let object_id = match properties.get("objectId") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(object_id)) => object_id.clone(),
            Some(_) => return Err(AuthError::InvalidGuest),
        };
        let token = token.filter(|token| !token.is_empty());
        if let Some(token) = token {
            if self.session_user(token).as_deref() != Some(object_id.as_str()) {
                return Err(AuthError::InvalidGuest);
            }
        }
        let id = object_id.clone();
        let account = self.blocking(move |store| store.user_by_id(&id)).await?;
        match (account, token) {
            (Some(user), Some(_)) if user.status == UserStatus::Guest => Ok(Some(object_id)),
            (None, None) => Ok(None),
            _ => Err(AuthError::InvalidGuest),
        }
    }

    /// Turns the guest `guest_id` into a registered account in one write: identity, password,
    /// status, its properties merged with the body's. Its sessions stay valid.
    pub(super) async fn convert_guest(
        &self,
        guest_id: String,
        (email, hash, status, properties): GuestFields,
        policy: &Policy,
        client: Option<IpAddr>,
    ) -> Result<Value, AuthError> {
        let (max_chars, max_bytes) = (policy.max_property_length, policy.max_user_bytes);
        let stored_email = email.clone();
        let now = self.now_ms();
        let converted = self
            .blocking_auth(move |store| {
                store.update_user(&guest_id, |user| {
                    if user.status != UserStatus::Guest {
                        return Err(AuthError::InvalidGuest);
                    }
                    user.email = Some(stored_email);
                    user.password_hash = Some(hash);
                    user.status = status;
                    for (name, value) in properties {
                        user.properties.insert(name, value);
                    }
                    if check_properties(&user.properties, max_chars, max_bytes).is_err() {
                        return Err(AuthError::ValueTooLong);
                    }
                    user.updated = now.max(user.updated.saturating_add(1));
                    Ok(())
                })
            })
            .await;
        let user = match converted {
            Ok(Some(user)) => user,
            // The guest went (purged, reset) since it was checked.
            Ok(None) => return Err(AuthError::InvalidGuest),
            Err(AuthError::Store(StoreError::DuplicateIdentity)) => {
                return Err(AuthError::UserExists)
            }
            Err(error) => return Err(error),
        };
        tracing::info!(user = %user.object_id, "guest converted to a registered user");
        if status == UserStatus::EmailConfirmationPending {
            self.send_confirmation(&email, &user.object_id, client)?;
        }
        Ok(Value::Object(user.to_wire()))
    }
}
