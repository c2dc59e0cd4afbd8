//! What the login domain refuses. Each variant is named after the fault of
//! [`crate::protocol::faults`] it answers (`UserExists` → `USER_EXISTS`), so the one mapping,
//! in [`crate::error`], reads as a table and a wrong pairing shows.

use crate::password::PasswordError;
use crate::store::StoreError;

/// Why an operation of [`super::Auth`] did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The app has no login settings (simulated by the policy).
    #[error("login settings are missing")]
    MissingLoginSettings,
    /// Logins are disabled for the whole app (simulated by the policy).
    #[error("logins are disabled for the app")]
    LoginsDisabledForApp,
    /// Registration is turned off for the app (simulated by the policy).
    #[error("registration is disabled for the app")]
    RegistrationDisabled,
    /// Unknown identity or wrong password: deliberately one refusal for both.
    #[error("invalid login or password")]
    InvalidLogin,
    /// Too many failed logins: the account is locked for a while.
    #[error("account locked")]
    AccountLocked,
    /// The account's status is DISABLED.
    #[error("login disabled for the user")]
    LoginDisabledForUser,
    /// The account waits for its email confirmation.
    #[error("email not confirmed")]
    EmailNotConfirmed,
    /// Multiple logins are off and the account has a live session.
    #[error("multiple logins disabled")]
    MultipleLoginsDisabled,
    /// The account holds as many live sessions as allowed.
    #[error("login limit reached")]
    LoginLimitReached,
    /// A user-token that is not (or no longer) a session; carries the token as sent.
    #[error("stale user-token")]
    StaleToken(String),
    /// No user with that objectId (as sent), or none the reader may see.
    #[error("no such user")]
    ObjectNotFound(String),
    /// Password recovery for an identity nobody has.
    #[error("unknown identity")]
    UnknownIdentity,
    /// Register (or an OAuth sign-up, or a guest conversion) with an identity that is taken.
    #[error("user exists")]
    UserExists,
    /// Register without a usable password.
    #[error("password missing")]
    MissingPassword,
    /// Register without a usable identity.
    #[error("identity missing")]
    MissingIdentity,
    /// Register with an identity that is not an email address.
    #[error("invalid email")]
    InvalidEmail,
    /// A property value (or name, or nesting) beyond the limits.
    #[error("value too long")]
    ValueTooLong,
    /// `update` (or a confirmation link) to an identity another account has; register's is
    /// [`Self::UserExists`].
    #[error("identity taken by another account")]
    IdentityTaken,
    /// `update` without a user-token.
    #[error("not logged in")]
    NotLoggedIn,
    /// `update` of another user's account.
    #[error("another user's properties")]
    OtherUsersProperties,
    /// `update` of an objectId nobody has.
    #[error("unknown user id")]
    UnknownUserId,
    /// Resend for an account that is not waiting for its confirmation.
    #[error("email already confirmed")]
    EmailAlreadyConfirmed,
    /// Resend while the app does not require email confirmation.
    #[error("email confirmation not required")]
    ConfirmationNotRequired,
    /// Resend for an identity nobody has.
    #[error("no account for the confirmation")]
    ConfirmationUserNotFound,
    /// A provider code that is not configured.
    #[error("unknown OAuth provider")]
    UnknownOAuthProvider,
    /// An access token the provider did not issue, issued by another provider, or expired.
    #[error("invalid OAuth access token")]
    InvalidOAuthToken,
    /// The guest named for conversion is not a guest, or not the caller's.
    #[error("invalid guest")]
    InvalidGuest,
    /// An OAuth sign-in whose provider email is an account's not linked to that provider.
    #[error("account not linked to the provider")]
    AccountNotLinked,
    /// `users/login` by objectId under the app's normal key.
    #[error("login by objectId needs the CloudCode key")]
    ObjectIdLoginNotAllowed,
    /// `verifypassowrd` under the app's normal key.
    #[error("password verification needs the CloudCode key")]
    PasswordCheckNotAllowed,
    /// A user's status set under the app's normal key.
    #[error("operation allowed only for business logic")]
    BlLogicOnly,
    /// `assignRole` / `unassignRole` under the app's normal key.
    #[error("role changes need the CloudCode key")]
    RoleChangeNotAllowed,
    /// A custom role the app does not have.
    #[error("no such role")]
    RoleNotFound,
    /// `assignRole` of a system role.
    #[error("a system role cannot be assigned")]
    SystemRoleAssign,
    /// `unassignRole` of a system role.
    #[error("a system role cannot be unassigned")]
    SystemRoleUnassign,
    /// Another user's roles (or a list of users by role) under the app's normal key.
    #[error("other users' roles need the CloudCode key")]
    OtherUsersRoles,
    /// A required parameter is missing or null.
    #[error("missing parameter")]
    MissingParameter,
    /// The input is not what the operation needs; the detail says what.
    #[error("unparsable input: {0}")]
    UnparsableBody(String),
    /// The server is at its bound of work in flight (hashes pending).
    #[error("busy")]
    ServerBusy,
    /// The store failed (the detail goes to the log only).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing or randomness failed (the detail goes to the log only).
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// No randomness for an id or token.
    #[error(transparent)]
    Randomness(#[from] crate::ids::RandomnessError),
}
