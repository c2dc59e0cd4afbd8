//! Facts of the Backendless user-login protocol, in one place for the SDK, the local server and
//! the tests: error codes with the hosted service's wording and HTTP status, request paths, the
//! encoding of path segments and header values, and the names in the stored session map.
//!
//! Plain constants and two small functions, with no dependencies: the local server includes this
//! same file (`emulator/src/lib.rs`), so the two sides cannot drift apart, and what the wasm does
//! not use costs it nothing. Where the wording comes from is recorded beside each entry; the
//! recorded answers themselves are in `tests/fixtures/real-service/` (see its `INDEX.md`).

/// An error the server answers with: HTTP status, Backendless code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub status: u16,
    pub code: u32,
    pub message: &'static str,
}

const fn fault(status: u16, code: u32, message: &'static str) -> Fault {
    Fault {
        status,
        code,
        message,
    }
}

/// The errors of the login family, each with where its wording comes from:
/// - *wire*: a real answer of the hosted service, recorded in `tests/fixtures/real-service/`;
/// - *wire substring*: public apps match this text in real answers; the sentence around it is the
///   service's error-code list's;
/// - *docs*: no public answer; the login docs' wording, without the final period (the one case
///   where docs and wire can be compared, 3003, has none on the wire).
///
/// HTTP statuses are *assumed* (the local server's choice) except 3003's 401 (wire) and 3009's
/// 403 (asserted by the official SDK's end-to-end suite).
pub mod faults {
    use super::{fault, Fault};

    /// An object id nobody has (`data/Users/{id}`); the message names the id
    /// ([`super::object_not_found_message`]). Wording: the official SDK's end-to-end suite
    /// against a real server.
    pub const OBJECT_NOT_FOUND: Fault = fault(404, 1000, "Entity with ID ");
    /// The app id or API key in the URL is not the app's. Wire (2017).
    pub const WRONG_APP_INFO: Fault = fault(
        401,
        2002,
        "Version is disabled or provided wrong application info (application id or secret key)",
    );
    /// The account's status forbids logging in. Docs.
    pub const LOGIN_DISABLED_FOR_USER: Fault =
        fault(403, 3000, "Login has been disabled for the user account");
    /// The app has no login settings. Docs.
    pub const MISSING_LOGIN_SETTINGS: Fault = fault(
        400,
        3001,
        "Missing login settings, possibly invalid application id or version",
    );
    /// Multiple logins are disabled and the account has a live session. Docs.
    pub const MULTIPLE_LOGINS_DISABLED: Fault = fault(
        403,
        3002,
        "User cannot login because Multiple Logins disabled and there is a logged in user for the account",
    );
    /// Unknown identity or wrong password: one answer for both. Wire, status included.
    pub const INVALID_LOGIN: Fault = fault(401, 3003, "Invalid login or password");
    /// Login or password is an empty string. Docs.
    pub const EMPTY_LOGIN_OR_PASSWORD: Fault = fault(
        400,
        3006,
        "Either login or password is an empty string value",
    );
    /// Registration is turned off for the app (Users > Registration in the console). Message
    /// and status: the official JS SDK's end-to-end suite against a real server
    /// (`test/e2e/specs/users.js`, "when disabled"); code: the same suite's earlier version and
    /// the registration docs
    /// (`tests/fixtures/real-service/register-3009-registration-disabled.json`).
    pub const REGISTRATION_DISABLED: Fault = fault(
        403,
        3009,
        "User registration is denied for this version of application",
    );
    /// Register without a password. The local server's wording (no public source).
    pub const MISSING_PASSWORD: Fault = fault(400, 3011, "Property 'password' is required");
    /// Register without the identity property. The local server's wording (no public source).
    pub const MISSING_IDENTITY: Fault = fault(400, 3013, "Identity property 'email' is required");
    /// Password recovery for an identity nobody has. Wire substring.
    pub const UNKNOWN_IDENTITY: Fault = fault(
        404,
        3020,
        "Cannot perform password recovery. Unable to find a user with the specified identity.",
    );
    /// Register with an identity that is taken. Wire (through the Java SDK), final period
    /// included.
    pub const USER_EXISTS: Fault =
        fault(409, 3033, "Unable to register user. User already exists.");
    /// Logins are disabled for the whole app. Docs.
    pub const LOGINS_DISABLED_FOR_APP: Fault = fault(
        403,
        3034,
        "User logins are disabled for the version of the application",
    );
    /// Too many failed logins: the account is locked for a while. Wire substring.
    pub const ACCOUNT_LOCKED: Fault = fault(
        403,
        3036,
        "Unable to login. User account is locked out due to too many failed logins.",
    );
    /// Login or password is missing or null. Docs.
    pub const MISSING_PARAMETER: Fault = fault(
        400,
        3038,
        "One of the required parameters (application id, version, login or password) is null",
    );
    /// A malformed email on register. Wire substring.
    pub const INVALID_EMAIL: Fault = fault(400, 3040, "Provided email has wrong format.");
    /// The account has as many live sessions as allowed. Docs.
    pub const LOGIN_LIMIT_REACHED: Fault = fault(
        403,
        3044,
        "Multiple login limit for the same user account has been reached",
    );
    /// The account waits for its email confirmation. Wire: public apps compare the whole message
    /// (`tests/fixtures/real-service/login-3087-email-not-confirmed.json`); the status is assumed.
    pub const EMAIL_NOT_CONFIRMED: Fault = fault(
        403,
        3087,
        "User cannot login - email address must be confirmed first",
    );
    /// A property value longer than the column allows. Docs.
    pub const VALUE_TOO_LONG: Fault = fault(400, 8000, "Property value exceeds the length limit");
    /// The body is not the JSON the operation needs. The local server's wording.
    pub const UNPARSABLE_BODY: Fault = fault(400, 8002, "Could not parse request");

    // `update` (PUT users/{objectId}). Codes and wording: docs ("Update User Object").

    /// The new identity (email) belongs to another user. Docs.
    pub const IDENTITY_TAKEN: Fault = fault(
        409,
        3018,
        "The property marked as \"identity\" is being updated and another user already has the specified value which must be unique",
    );
    /// `update` without a user-token. Docs.
    pub const NOT_LOGGED_IN: Fault = fault(401, 3028, "User is not logged in");
    /// `update` of another user's account. Docs.
    pub const OTHER_USERS_PROPERTIES: Fault =
        fault(403, 3029, "Cannot modify properties of another user");
    /// `update` of an objectId with no account. Docs.
    pub const UNKNOWN_USER_ID: Fault =
        fault(404, 3030, "Unable to locate user account - invalid user id");

    // `resendEmailConfirmation` (POST users/resendconfirmation/{identity}). Docs.

    /// The account has confirmed its email already. Docs.
    pub const EMAIL_ALREADY_CONFIRMED: Fault = fault(
        400,
        3102,
        "User has already confirmed the email address. Email confirmation will not be sent",
    );
    /// The app does not require email confirmation. Docs.
    pub const CONFIRMATION_NOT_REQUIRED: Fault = fault(
        400,
        3103,
        "Unable to send email confirmation. The \"Require Email Confirmation\" option must be enabled",
    );
    /// No account has that identity. Docs.
    pub const CONFIRMATION_USER_NOT_FOUND: Fault = fault(
        404,
        3104,
        "Unable to send email confirmation - user account with the email cannot be found",
    );

    // OAuth2 logins. No public source gives the service's codes or wording for these: the codes
    // and texts are the local server's own choice (in a range the docs do not use).

    /// `providerCode` names no enabled login provider (local server).
    pub const UNKNOWN_OAUTH_PROVIDER: Fault = fault(
        400,
        3210,
        "The login provider is not enabled for the application",
    );
    /// The access token is not one the provider issued, or it expired (local server).
    pub const INVALID_OAUTH_TOKEN: Fault = fault(
        401,
        3211,
        "The login provider did not accept the access token",
    );
    /// The guest account named for conversion is not a guest, or not this session's (local server).
    pub const INVALID_GUEST: Fault = fault(400, 3212, "The guest user cannot be converted");
    /// The provider's email is an existing account's that is not linked to this provider: the
    /// sign-in would hand that account to whoever holds the provider account (local server).
    pub const ACCOUNT_NOT_LINKED: Fault = fault(
        409,
        3213,
        "A user with the login provider's email already exists and is not linked to this login provider",
    );

    // The CloudCode (Code Runner) API key's operations. The e2e suite of the official JS SDK
    // (test/e2e/specs/users.js, against a real server) asserts the codes, and the wording where
    // quoted; statuses are assumed: 403 as for the one quoted "not allowed" refusal (3009).

    /// `users/login` with `{"objectId"}` under the app's normal key. Wire (e2e, whole message)
    /// (`tests/fixtures/real-service/login-2014-objectid-login-wrong-key.json`).
    pub const OBJECT_ID_LOGIN_NOT_ALLOWED: Fault = fault(
        403,
        2014,
        "Login by object id is allowed only for Code Runner API key",
    );
    /// `users/verifypassowrd` under the normal key. Wire (e2e, whole message).
    pub const PASSWORD_CHECK_NOT_ALLOWED: Fault = fault(
        403,
        3122,
        "Password verification allowed only from CloudCode",
    );
    /// `PUT users/{objectId}/status` under the normal key. Wire (e2e, whole message, final
    /// period included).
    pub const BL_LOGIC_ONLY: Fault = fault(403, 3054, "Operation allowed only for BL logic.");
    /// `assignRole` / `unassignRole` under the normal key. Code: e2e; wording: the local
    /// server's (none public).
    pub const ROLE_CHANGE_NOT_ALLOWED: Fault = fault(
        403,
        2011,
        "Assigning and unassigning roles is allowed only for the CloudCode API key",
    );
    /// `assignRole`, `unassignRole` or `findByRole` of a role the app does not have. Code: e2e;
    /// wording: the local server's.
    pub const ROLE_NOT_FOUND: Fault = fault(404, 2005, "Role not found");
    /// `assignRole` of a system role. Code: e2e; wording: the local server's.
    pub const SYSTEM_ROLE_ASSIGN: Fault = fault(400, 2007, "A system role cannot be assigned");
    /// `unassignRole` of a system role. Code: e2e; wording: the local server's.
    pub const SYSTEM_ROLE_UNASSIGN: Fault = fault(400, 2008, "A system role cannot be unassigned");
    /// `users/userroles/{userId}` of another user, or `users/role/{name}`, under the normal key
    /// (local server: no public source shows the hosted service's answer).
    pub const OTHER_USERS_ROLES: Fault = fault(
        403,
        3214,
        "Other users' roles can be read only with the CloudCode API key",
    );

    // The local server's own answers (code 0: the hosted service's code for them is not public).

    /// The server is at its bound of work in flight (local server).
    pub const SERVER_BUSY: Fault = fault(503, 0, "The server is busy; try again later");
    /// A client created accounts, started OAuth sign-ins or asked for confirmation mails faster
    /// than the local server allows.
    pub const TOO_MANY_REQUESTS: Fault = fault(429, 0, "Too many requests; try again later");
}

/// Codes that come without a fixed message here (the others are in [`faults`]), for matching
/// answers.
pub mod codes {
    /// General logout error: the session is gone either way.
    pub const LOGOUT_ERROR: u32 = 3023;
    /// The user-token is not (or no longer) a session; see [`super::stale_token_message`].
    pub const STALE_TOKEN: u32 = 3064;
    /// The user is disabled.
    pub const USER_DISABLED: u32 = 3090;
    /// Meaning unknown; the official client treats it like 3064 on logout.
    pub const SESSION_UNKNOWN: u32 = 3091;
}

/// Codes with which the server says the user-token is no longer a session, so the client's copy
/// must go too (the official client's list for logout).
pub const SESSION_ENDING_CODES: [u32; 4] = [
    codes::STALE_TOKEN,
    codes::USER_DISABLED,
    codes::SESSION_UNKNOWN,
    codes::LOGOUT_ERROR,
];

/// HTTP status of a stale-token answer.
pub const STALE_TOKEN_STATUS: u16 = 401;

/// The two halves of the 3064 message, around the token it names:
/// `Not existing user token - {token}. Relogin user to update your user token`.
pub const STALE_TOKEN_MESSAGE: [&str; 2] = [
    "Not existing user token - ",
    ". Relogin user to update your user token",
];

/// The 3064 message for `token`.
pub fn stale_token_message(token: &str) -> String {
    let [head, tail] = STALE_TOKEN_MESSAGE;
    let mut message = String::with_capacity(head.len() + token.len() + tail.len());
    message.push_str(head);
    message.push_str(token);
    message.push_str(tail);
    message
}

/// The 1000 message for `object_id`: `Entity with ID {id} not found`.
pub fn object_not_found_message(object_id: &str) -> String {
    let mut message = String::from(faults::OBJECT_NOT_FOUND.message);
    message.push_str(object_id);
    message.push_str(" not found");
    message
}

/// Request paths below the app's base URL. `{}` stands for the one segment taken from data
/// (token, objectId, identity, provider code), encoded as `encodeURIComponent` does.
pub mod paths {
    pub const LOGIN: &str = "users/login";
    pub const LOGOUT: &str = "users/logout";
    pub const REGISTER: &str = "users/register";
    pub const GUEST_LOGIN: &str = "users/register/guest";
    pub const IS_VALID_USER_TOKEN: &str = "users/isvalidusertoken/{}";
    pub const RESTORE_PASSWORD: &str = "users/restorepassword/{}";
    /// The user with that objectId.
    pub const USERS_TABLE: &str = "data/Users/{}";
    /// The session's roles: `["AuthenticatedUser", …]`, or `["NotAuthenticatedUser"]` without a
    /// token (docs, "Retrieving Available User Roles").
    pub const USER_ROLES: &str = "users/userroles";
    /// `PUT users/{objectId}`.
    pub const USERS: &str = "users/{}";
    pub const RESEND_CONFIRMATION: &str = "users/resendconfirmation/{}";
    /// Where the official client sends `loginWithOauth2`. The REST docs name
    /// `users/oauth/{providerCode}/login`; the local server takes both.
    pub const OAUTH_LOGIN: &str = "users/social/{}/login";
    /// The provider's authorization URL.
    pub const OAUTH_REQUEST_URL: &str = "users/oauth/{}/request_url";
    /// `verifyPassword`: the official client's spelling (`urls.js`, `userVerifyPassowrd`).
    pub const VERIFY_PASSWORD: &str = "users/verifypassowrd";
    /// `getUserRoles(userId)`: that user's roles.
    pub const USER_ROLES_OF: &str = "users/userroles/{}";
    /// `findByRole`: the users having that role (query: `loadRoles`, `pageSize`, `offset`).
    pub const USERS_BY_ROLE: &str = "users/role/{}";
    pub const ASSIGN_ROLE: &str = "users/assignRole";
    pub const UNASSIGN_ROLE: &str = "users/unassignRole";
    /// `describeUserClass`.
    pub const USER_CLASS_PROPS: &str = "users/userclassprops";
    /// `enableUser` / `disableUser` / `updateUserStatus`.
    pub const USER_STATUS: &str = "users/{}/status";
    pub const CREATE_CONFIRMATION_URL: &str = "users/createEmailConfirmationURL/{}";
    /// `loginWithFacebookSdk` / `loginWithGooglePlusSdk`.
    pub const SOCIAL_SDK_LOGIN: &str = "users/social/{}/sdk/login";
    /// The popup logins' authorization URL (`loginWithFacebook`, `loginWithGooglePlus`,
    /// `loginWithTwitter`).
    pub const SOCIAL_REQUEST_URL: &str = "users/social/oauth/{}/request_url";
}

/// System role names (docs).
pub mod roles {
    /// Every logged-in (registered or social) user's role.
    pub const AUTHENTICATED: &str = "AuthenticatedUser";
    /// The only role of a call made without a user-token.
    pub const NOT_AUTHENTICATED: &str = "NotAuthenticatedUser";
    /// A guest session's role (`loginAsGuest`).
    pub const GUEST: &str = "GuestUser";
    /// A user signed in through a social login provider (a system role: never assigned).
    pub const SOCIAL: &str = "SocialUser";
    /// The system roles: `assignRole` refuses them (2007), `unassignRole` too (2008).
    pub const SYSTEM: [&str; 4] = [AUTHENTICATED, NOT_AUTHENTICATED, GUEST, SOCIAL];
}

/// Where the session comes back after an OAuth redirect flow: the query parameters the server
/// appends to `redirectAfterLoginUrl` (`?userId=…&userToken=…`), as Backendless's own mobile
/// shell reads them from the hosted service's landing URL
/// (tests/fixtures/real-service/oauth-redirect/, with its provenance). The SDK's
/// `completeOAuthRedirect` reads them and the local server writes them.
pub mod redirect {
    /// The user's objectId.
    pub const USER_ID: &str = "userId";
    /// The session's user-token.
    pub const USER_TOKEN: &str = "userToken";
    /// The SDK's own parameter, added to `redirectAfterLoginUrl` by `getAuthorizationUrlLink`:
    /// a secret of the tab that started the flow, which `completeOAuthRedirect` requires back
    /// before it takes a session over (a landing URL an attacker sends carries none, or theirs).
    /// The server passes it through with the rest of that URL's query.
    pub const STATE: &str = "blState";
    /// The sessionStorage key holding that secret.
    pub const STATE_KEY: &str = "Backendless_oauth_state";
}

/// The popup logins' end (`loginWithFacebook`, `loginWithGooglePlus`, `loginWithTwitter`): the
/// server's end page posts the user, with its `user-token`, as JSON text to `window.opener`, or
/// on failure an object with one key, [`popup::FAULT`], holding the message; the official client
/// `JSON.parse`s the message and rejects with `new Error(result.fault)`.
pub mod popup {
    pub const FAULT: &str = "fault";
}

/// Names in the user object and in the stored session map.
pub mod keys {
    /// The session token: a property of a logged-in user, a key of the stored map, and the
    /// request header (lowercase) that carries it.
    pub const USER_TOKEN: &str = "user-token";
    /// The logged-in user's objectId in the stored map.
    pub const CURRENT_USER_ID: &str = "current-user-id";
    /// Marks a stored map written by `login(…, true)`.
    pub const STAY_LOGGED_IN: &str = "stayLoggedIn";
    pub const OBJECT_ID: &str = "objectId";
    /// The stored map's localStorage item is this prefix and the app id (`Backendless_{appId}`),
    /// or the prefix alone in custom-domain mode, and for the legacy item.
    pub const STORAGE_PREFIX: &str = "Backendless";
}

/// The longest `user-token` the SDK takes from an answer, a redirect or storage. The service's
/// tokens are 36-character UUIDs; the bound leaves room for any other format while refusing one
/// that would make every later request's headers too large for servers (most take 8 KB or
/// 16 KB of headers in all), which would break every call until a logout.
pub const MAX_TOKEN_LEN: usize = 4096;

/// A user-token the SDK can keep and send (its callers have already refused an empty one): a
/// header value of at most [`MAX_TOKEN_LEN`] bytes.
pub fn is_token(value: &str) -> bool {
    value.len() <= MAX_TOKEN_LEN && is_header_value(value)
}

/// True when `value` can travel as an HTTP header value: visible ASCII, spaces and tabs, with no
/// leading or trailing whitespace (browsers refuse anything else).
pub fn is_header_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let blank = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    bytes
        .iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
        && !blank(bytes.first())
        && !blank(bytes.last())
}

/// JavaScript's `encodeURIComponent`, the encoding of every path segment taken from data (token,
/// objectId, identity): every byte of the UTF-8 form is percent-encoded except
/// `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
pub fn encode_uri_component(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[(byte >> 4) as usize] as char);
            out.push(HEX[(byte & 15) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_token_message_names_the_token() {
        assert_eq!(
            stale_token_message("AB-12"),
            "Not existing user token - AB-12. Relogin user to update your user token"
        );
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            faults::OBJECT_NOT_FOUND,
            faults::WRONG_APP_INFO,
            faults::LOGIN_DISABLED_FOR_USER,
            faults::MISSING_LOGIN_SETTINGS,
            faults::MULTIPLE_LOGINS_DISABLED,
            faults::INVALID_LOGIN,
            faults::EMPTY_LOGIN_OR_PASSWORD,
            faults::MISSING_PASSWORD,
            faults::MISSING_IDENTITY,
            faults::REGISTRATION_DISABLED,
            faults::USER_EXISTS,
            faults::UNKNOWN_IDENTITY,
            faults::LOGINS_DISABLED_FOR_APP,
            faults::ACCOUNT_LOCKED,
            faults::MISSING_PARAMETER,
            faults::LOGIN_LIMIT_REACHED,
            faults::INVALID_EMAIL,
            faults::EMAIL_NOT_CONFIRMED,
            faults::VALUE_TOO_LONG,
            faults::UNPARSABLE_BODY,
            faults::IDENTITY_TAKEN,
            faults::NOT_LOGGED_IN,
            faults::OTHER_USERS_PROPERTIES,
            faults::UNKNOWN_USER_ID,
            faults::EMAIL_ALREADY_CONFIRMED,
            faults::CONFIRMATION_NOT_REQUIRED,
            faults::CONFIRMATION_USER_NOT_FOUND,
            faults::UNKNOWN_OAUTH_PROVIDER,
            faults::INVALID_OAUTH_TOKEN,
            faults::INVALID_GUEST,
            faults::ACCOUNT_NOT_LINKED,
            faults::OBJECT_ID_LOGIN_NOT_ALLOWED,
            faults::PASSWORD_CHECK_NOT_ALLOWED,
            faults::BL_LOGIC_ONLY,
            faults::ROLE_CHANGE_NOT_ALLOWED,
            faults::ROLE_NOT_FOUND,
            faults::SYSTEM_ROLE_ASSIGN,
            faults::SYSTEM_ROLE_UNASSIGN,
            faults::OTHER_USERS_ROLES,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.code, b.code);
            }
        }
    }

    /// The SDK's JS parts spell some of these names themselves (src/js/objects.js writes the
    /// session keys, npm/api.js reads the redirect's query): they must say what this module says.
    #[test]
    fn the_js_parts_spell_the_names_as_here() {
        let objects = include_str!("js/objects.js");
        for name in [
            keys::STAY_LOGGED_IN,
            keys::USER_TOKEN,
            keys::CURRENT_USER_ID,
        ] {
            assert!(
                objects.contains(&format!("\"{name}\"")),
                "src/js/objects.js: {name}"
            );
        }
        let api = include_str!("../npm/api.js");
        for name in [redirect::USER_ID, redirect::USER_TOKEN] {
            assert!(
                api.contains(&format!("name !== \"{name}\"")),
                "npm/api.js: {name}"
            );
        }
        assert!(
            api.contains(&format!("STATE = \"{}\"", redirect::STATE)),
            "npm/api.js: STATE"
        );
        assert!(
            api.contains(&format!("STATE_KEY = \"{}\"", redirect::STATE_KEY)),
            "npm/api.js: STATE_KEY"
        );
    }

    /// The redirect's names are the ones the recorded evidence shows, paired with the user's
    /// fields they carry.
    #[test]
    fn the_redirect_names_are_the_recorded_ones() {
        let recorded = include_str!(
            "../tests/fixtures/real-service/oauth-redirect/landing-query-native-shell.json"
        );
        for (field, name) in [
            (keys::OBJECT_ID, redirect::USER_ID),
            (keys::USER_TOKEN, redirect::USER_TOKEN),
        ] {
            assert!(
                recorded.contains(&format!("\"{field}\": \"{name}\"")),
                "{field} travels as {name}"
            );
        }
    }

    #[test]
    fn tokens_are_bounded_header_values() {
        assert!(is_token("2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C"));
        assert!(is_token(&"A".repeat(MAX_TOKEN_LEN)));
        assert!(!is_token(&"A".repeat(MAX_TOKEN_LEN + 1)));
        assert!(!is_token("a\r\nb"));
    }

    #[test]
    fn header_values_are_visible_ascii() {
        assert!(is_header_value("2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C"));
        assert!(is_header_value(""));
        for bad in [
            "a\nb",
            "a\rb",
            "é",
            "tab\tend\t",
            " lead",
            "nul\0",
            "del\u{7f}",
        ] {
            assert!(!is_header_value(bad), "{bad:?}");
        }
    }

    #[test]
    fn path_segments_are_encoded_like_encode_uri_component() {
        assert_eq!(encode_uri_component("AZaz09-_.!~*'()"), "AZaz09-_.!~*'()");
        assert_eq!(
            encode_uri_component("a b/c?d#e%f&g=h+i"),
            "a%20b%2Fc%3Fd%23e%25f%26g%3Dh%2Bi"
        );
        assert_eq!(encode_uri_component("é✓"), "%C3%A9%E2%9C%93");
        assert_eq!(encode_uri_component("😀"), "%F0%9F%98%80");
        assert_eq!(encode_uri_component("../../etc"), "..%2F..%2Fetc");
    }
}
