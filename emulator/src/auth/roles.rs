//! Roles: the system role a session has (`AuthenticatedUser`, `GuestUser`, or
//! `NotAuthenticatedUser` without one), the app's custom roles (`--role`, `/__emulator/roles`)
//! that business logic assigns, and the users having a role.
//!
//! Who may do what: a user reads its own roles with the app's key; other users' roles, the lists
//! by role (unless `usersReadableBy` is `anyone`, as for `data/Users`) and every change need the
//! CloudCode key. A role list names accounts and their addresses: with the app's key, anyone
//! could enumerate every user.

use std::sync::Arc;

use serde_json::Value;

use super::{Auth, AuthError, KeyKind};
use crate::config::{is_role_name, UsersReadableBy};
use crate::protocol::roles;
use crate::store::UserFilter;
use crate::user::{UserRecord, UserStatus};

/// Largest page of a list by role (Backendless's own bound on `pageSize`).
pub const MAX_PAGE_SIZE: u32 = 100;
/// A page's size when the request names none.
pub const DEFAULT_PAGE_SIZE: u32 = 10;

/// A `users/role/{name}` request, its query read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePage {
    /// The role.
    pub role: String,
    /// Whether each user carries its `roles`.
    pub load_roles: bool,
    /// Users per page, 1 to [`MAX_PAGE_SIZE`].
    pub page_size: u32,
    /// Users skipped.
    pub offset: u32,
}

/// A user's roles: its system role, then its custom ones.
fn all_roles(user: &UserRecord, custom: Vec<String>) -> Vec<String> {
    let system = if user.status == UserStatus::Guest {
        roles::GUEST
    } else {
        roles::AUTHENTICATED
    };
    let mut names = Vec::with_capacity(custom.len() + 1);
    names.push(system.to_string());
    names.extend(custom);
    names
}

impl Auth {
    /// The session behind a token that was sent (`None` without one); a stale token → 3064.
    pub(super) fn caller(&self, token: Option<&str>) -> Result<Option<Arc<str>>, AuthError> {
        match token.filter(|token| !token.is_empty()) {
            None => Ok(None),
            Some(token) => match self.session_user(token) {
                Some(user) => Ok(Some(user)),
                None => Err(AuthError::StaleToken(token.to_string())),
            },
        }
    }

    /// Creates the `--role`s (at start and after a reset).
    pub(super) async fn create_startup_roles(&self) -> Result<(), AuthError> {
        let names = self.startup_roles.clone();
        if names.is_empty() {
            return Ok(());
        }
        self.blocking(move |store| store.create_roles(&names))
            .await?;
        Ok(())
    }

    /// Control: creates the custom role `name` (kept if it exists); every custom role after.
    pub async fn create_role(&self, name: &str) -> Result<Vec<String>, AuthError> {
        if !is_role_name(name) {
            return Err(AuthError::UnparsableBody(
                "a role name is 1-64 of A-Z a-z 0-9 _ - and not a system role's name".into(),
            ));
        }
        let names = vec![name.to_string()];
        self.blocking(move |store| {
            store.create_roles(&names)?;
            store.custom_roles()
        })
        .await
        .map_err(AuthError::from)
    }

    /// Control: the custom roles.
    pub async fn custom_roles(&self) -> Result<Vec<String>, AuthError> {
        Ok(self.blocking(|store| store.custom_roles()).await?)
    }

    /// `GET users/userroles`: `["NotAuthenticatedUser"]` without a token, else the session's
    /// system role and its custom roles; a stale token → 3064.
    pub async fn user_roles(&self, token: Option<&str>) -> Result<Vec<String>, AuthError> {
        let Some(user_id) = self.caller(token)? else {
            return Ok(vec![roles::NOT_AUTHENTICATED.to_string()]);
        };
        match self.roles_by_id(user_id.to_string()).await? {
            Some(names) => Ok(names),
            // The account went (a reset raced the check): its token is no session any more.
            None => Err(AuthError::StaleToken(token.unwrap_or_default().to_string())),
        }
    }

    /// `GET users/userroles/{userId}`: that user's roles, as `users/userroles` gives a session's.
    /// A sent token must be live (3064). With the app's key only the caller's own id (no token
    /// 3028, another id 3214 — whether it exists or not); with the CloudCode key any id, an
    /// unknown one 3030.
    pub async fn roles_of_user(
        &self,
        object_id: &str,
        token: Option<&str>,
        key: KeyKind,
    ) -> Result<Vec<String>, AuthError> {
        let caller = self.caller(token)?;
        if !key.is_cloud_code() {
            match caller.as_deref() {
                None => return Err(AuthError::NotLoggedIn),
                Some(caller) if caller != object_id => return Err(AuthError::OtherUsersRoles),
                Some(_) => {}
            }
        }
        self.roles_by_id(object_id.to_string())
            .await?
            .ok_or(AuthError::UnknownUserId)
    }

    /// The roles of the account `object_id`, `None` if there is none.
    async fn roles_by_id(&self, object_id: String) -> Result<Option<Vec<String>>, AuthError> {
        let found = self
            .blocking(move |store| {
                store.transaction(|tx| match tx.user_by_id(&object_id)? {
                    Some(user) => {
                        let custom = tx.roles_of(&object_id)?;
                        Ok(Some((user, custom)))
                    }
                    None => Ok(None),
                })
            })
            .await?;
        Ok(found.map(|(user, custom)| all_roles(&user, custom)))
    }

    /// `GET users/role/{name}`: a page of the users having the role (oldest first), as
    /// `data/Users` shows them, each with its `roles` when asked. `AuthenticatedUser` lists the
    /// registered accounts, `GuestUser` the guests; `NotAuthenticatedUser` and `SocialUser` no
    /// account (no account has them here). A custom role the app does not have → 2005. A sent
    /// token must be live (3064); the app's key → 3214 unless `usersReadableBy` is `anyone`.
    pub async fn users_by_role(
        &self,
        page: RolePage,
        token: Option<&str>,
        key: KeyKind,
    ) -> Result<Vec<Value>, AuthError> {
        self.caller(token)?;
        if !key.is_cloud_code() && self.policy().users_readable_by != UsersReadableBy::Anyone {
            return Err(AuthError::OtherUsersRoles);
        }
        let filter = match page.role.as_str() {
            roles::AUTHENTICATED => Some(UserFilter::Registered),
            roles::GUEST => Some(UserFilter::Guests),
            roles::NOT_AUTHENTICATED | roles::SOCIAL => None,
            custom => Some(UserFilter::Role(custom.to_string())),
        };
        let Some(filter) = filter else {
            return Ok(Vec::new());
        };
        let RolePage {
            role,
            load_roles,
            page_size,
            offset,
        } = page;
        let users = self
            .blocking_auth(move |store| {
                if matches!(filter, UserFilter::Role(_)) {
                    let known = store.transaction(|tx| tx.role_exists(&role))?;
                    if !known {
                        return Err(AuthError::RoleNotFound);
                    }
                }
                Ok(store.users_page(&filter, page_size, offset, load_roles)?)
            })
            .await?;
        Ok(users
            .into_iter()
            .map(|(user, custom)| {
                let mut object = user.to_wire();
                if load_roles {
                    let names = all_roles(&user, custom);
                    object.insert("roles".into(), Value::from(names));
                }
                Value::Object(object)
            })
            .collect())
    }

    /// `POST users/assignRole` (`assign`) and `users/unassignRole`: `user` is an identity (the
    /// email) or an objectId. The app's key → 2011; a system role → 2007 / 2008; a role the app
    /// does not have → 2005; no such user → 3030. Assigning a role the user has, or taking one it
    /// does not have, changes nothing and succeeds.
    pub async fn change_role(
        &self,
        user: &str,
        role: &str,
        assign: bool,
        key: KeyKind,
    ) -> Result<(), AuthError> {
        if !key.is_cloud_code() {
            return Err(AuthError::RoleChangeNotAllowed);
        }
        if roles::SYSTEM.contains(&role) {
            return Err(if assign {
                AuthError::SystemRoleAssign
            } else {
                AuthError::SystemRoleUnassign
            });
        }
        let (user, role) = (user.to_string(), role.to_string());
        let user_id = self
            .blocking_auth(move |store| {
                store.transaction(|tx| {
                    if !tx.role_exists(&role)? {
                        return Err(AuthError::RoleNotFound);
                    }
                    let account = match tx.user_by_identity(&user)? {
                        Some(account) => Some(account),
                        None => tx.user_by_id(&user)?,
                    };
                    let Some(account) = account else {
                        return Err(AuthError::UnknownUserId);
                    };
                    if assign {
                        tx.assign_role(&account.object_id, &role)?;
                    } else {
                        tx.unassign_role(&account.object_id, &role)?;
                    }
                    Ok(account.object_id)
                })
            })
            .await?;
        tracing::info!(user = %user_id, assign, "role changed by business logic");
        Ok(())
    }
}
