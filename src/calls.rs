//! The call table: every `UserService` call is one [`Row`] saying what it sends and what its
//! answer does to the session. "What does this call send, and what does it do to the session?"
//! is answered here, and only here; [`crate::engine`] carries a row out.
//!
//! Nothing here touches the network: a [`Request`] is data (method, path, the path's data
//! segment, whether a JSON body follows, which token goes in the `user-token` header), so the
//! wire format is unit-tested natively and the transport only has to carry it out.
//!
//! ```
//! use backendless_wasm::calls::{Call, Method};
//! let request = Call::IsValid.request(None, Some("TOK"), None);
//! assert_eq!(request.method, Method::Get);
//! assert_eq!(request.url("http://h/APP/KEY"), "http://h/APP/KEY/users/isvalidusertoken/TOK");
//! assert_eq!(request.token, Some("TOK"));
//! ```

use crate::protocol::paths;

/// HTTP methods the login protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// Every asynchronous `UserService` call, as the engine runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Login,
    Guest,
    Register,
    RestorePassword,
    Logout,
    IsValid,
    /// The stored session's user, fetched by `getCurrentUser` after a reload.
    Restore,
    Roles,
    Update,
    ResendConfirmation,
    OAuthLogin,
    AuthorizationUrl,
    /// `completeOAuthRedirect`: the user of the session a redirect brought back.
    Adopt,
    /// `getUserRoles(userId)`.
    RolesOf,
    /// `createEmailConfirmationURL(identity)`.
    ConfirmationUrl,
    DescribeUserClass,
    /// `loginWithFacebookSdk`, `loginWithGooglePlusSdk`: a provider SDK's access token.
    SdkLogin,
    /// `verifyPassword(currentPassword)`: business logic's (the CloudCode key's) call, as are the
    /// four below. Feature `business-logic`: only the Node entries have them (see
    /// `npm/business-logic.js` for why).
    #[cfg(feature = "business-logic")]
    VerifyPassword,
    /// `findByRole(roleName, loadRoles, query)`: its query is [`Request::query`].
    #[cfg(feature = "business-logic")]
    UsersByRole,
    #[cfg(feature = "business-logic")]
    AssignRole,
    #[cfg(feature = "business-logic")]
    UnassignRole,
    /// `enableUser`, `disableUser`, `updateUserStatus`.
    #[cfg(feature = "business-logic")]
    UserStatus,
}

/// Which token a call sends in the `user-token` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// The session's, when there is one (the official client sends it on every call, login too).
    Session,
    /// The session's, also as the path's segment; without a session the call answers without a
    /// request (see [`Effect::Validity`]).
    SessionInPath,
    /// One the call carries: a restore's (the stored session's), a redirect's.
    Given,
}

/// What a call's answer does to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// None: the call resolves with the answer (roles, the authorization URL).
    Answer,
    /// None: the call resolves with nothing.
    Void,
    /// The answer is a user with its `user-token`: it becomes the session (last call made wins).
    LogIn,
    /// The answer is `data/Users/{objectId}` for the given token: that user, with that token,
    /// becomes the session (last call made wins).
    Adopt,
    /// The answer is a user: when it is the session's own (same id, the session still holding the
    /// token the call sent), it becomes the current user, keeping the token.
    Refresh,
    /// The session ends whatever the answer (last call made wins); without a session, at once
    /// and with no request.
    End,
    /// `true`/`false`: a server-confirmed `false` (or a dead-token error) ends the session if it
    /// still holds that token. Without a session: `false`, with no request.
    Validity,
    /// The stored session's user becomes current; a token the server calls dead ends the session
    /// and answers null.
    Restore,
}

/// One call: its request and its session rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub method: Method,
    /// Below the base URL; `{}` stands for the data segment (see [`paths`]).
    pub path: &'static str,
    /// True when a JSON body follows (and so `Content-Type: application/json`).
    pub json_body: bool,
    pub token: Token,
    pub effect: Effect,
}

const fn row(
    method: Method,
    path: &'static str,
    json_body: bool,
    token: Token,
    effect: Effect,
) -> Row {
    Row {
        method,
        path,
        json_body,
        token,
        effect,
    }
}

/// The table, in the order of [`Call`]'s variants (static data rather than a `match`: size: see
/// BENCHMARKS.md#size-call-table).
const ROWS: &[Row] = &{
    use Effect::*;
    use Method::*;
    use Token::*;
    [
        // Login
        row(Post, paths::LOGIN, true, Session, LogIn),
        // Guest: no body at all, so no Content-Type either.
        row(Post, paths::GUEST_LOGIN, false, Session, LogIn),
        // Register: a guest that registers becomes that user, in the same session.
        row(Post, paths::REGISTER, true, Session, Refresh),
        // RestorePassword
        row(Get, paths::RESTORE_PASSWORD, false, Session, Void),
        // Logout
        row(Get, paths::LOGOUT, false, Session, End),
        // IsValid
        row(
            Get,
            paths::IS_VALID_USER_TOKEN,
            false,
            SessionInPath,
            Validity,
        ),
        // Restore
        row(Get, paths::USERS_TABLE, false, Given, Restore),
        // Roles
        row(Get, paths::USER_ROLES, false, Session, Answer),
        // Update
        row(Put, paths::USERS, true, Session, Refresh),
        // ResendConfirmation
        row(Post, paths::RESEND_CONFIRMATION, false, Session, Void),
        // OAuthLogin: the provider code is lower-cased by the caller, as the official client does.
        row(Post, paths::OAUTH_LOGIN, true, Session, LogIn),
        // AuthorizationUrl
        row(Post, paths::OAUTH_REQUEST_URL, true, Session, Answer),
        // Adopt
        row(Get, paths::USERS_TABLE, false, Given, Adopt),
        // RolesOf
        row(Get, paths::USER_ROLES_OF, false, Session, Answer),
        // ConfirmationUrl
        row(Post, paths::CREATE_CONFIRMATION_URL, false, Session, Answer),
        // DescribeUserClass
        row(Get, paths::USER_CLASS_PROPS, false, Session, Answer),
        // SdkLogin: the provider code is "facebook" or "googleplus", as the official client sends.
        row(Post, paths::SOCIAL_SDK_LOGIN, true, Session, LogIn),
        // VerifyPassword
        #[cfg(feature = "business-logic")]
        row(Post, paths::VERIFY_PASSWORD, true, Session, Answer),
        // UsersByRole
        #[cfg(feature = "business-logic")]
        row(Get, paths::USERS_BY_ROLE, false, Session, Answer),
        // AssignRole
        #[cfg(feature = "business-logic")]
        row(Post, paths::ASSIGN_ROLE, true, Session, Answer),
        // UnassignRole
        #[cfg(feature = "business-logic")]
        row(Post, paths::UNASSIGN_ROLE, true, Session, Answer),
        // UserStatus
        #[cfg(feature = "business-logic")]
        row(Put, paths::USER_STATUS, true, Session, Answer),
    ]
};

impl Call {
    /// This call's row of the table.
    pub fn row(self) -> Row {
        ROWS[self as usize]
    }

    /// Calls that change who is logged in take a stamp: the last one made wins.
    pub fn changes_session(self) -> bool {
        matches!(
            self.row().effect,
            Effect::LogIn | Effect::Adopt | Effect::End
        )
    }

    /// The request this call sends, given its data segment, the session's token and the token it
    /// carries; `None` when it sends none (it needs the session's token and there is none).
    pub fn request<'a>(
        self,
        segment: Option<&'a str>,
        session: Option<&'a str>,
        given: Option<&'a str>,
    ) -> Request<'a> {
        let row = self.row();
        let (segment, token) = match row.token {
            Token::Session => (segment, session),
            Token::SessionInPath => (session, session),
            Token::Given => (segment, given),
        };
        Request {
            method: row.method,
            path: row.path,
            segment,
            #[cfg(feature = "business-logic")]
            query: None,
            json_body: row.json_body,
            token,
        }
    }
}

/// A described request.
///
/// The URL itself is put together by the exchange (`address` in `src/js/exchange.js`, as
/// [`Request::url`] does here, natively, for the tests; size: see BENCHMARKS.md#size-url-in-js).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: Method,
    /// Below the base URL; `{}` stands for [`Request::segment`].
    pub path: &'static str,
    /// The path's segment taken from data, sent encoded as `encodeURIComponent` does.
    pub segment: Option<&'a str>,
    /// The query string, already encoded by the caller (`findByRole`'s), sent after a `?`.
    #[cfg(feature = "business-logic")]
    pub query: Option<&'a str>,
    /// True when a JSON body follows (and so `Content-Type: application/json`).
    pub json_body: bool,
    /// Sent as the lowercase `user-token` header when present.
    pub token: Option<&'a str>,
}

impl Request<'_> {
    /// The request's URL below `base`, as the exchange builds it.
    pub fn url(&self, base: &str) -> String {
        let segment = crate::protocol::encode_uri_component(self.segment.unwrap_or_default());
        #[cfg(feature = "business-logic")]
        let query = self
            .query
            .map(|query| format!("?{query}"))
            .unwrap_or_default();
        #[cfg(not(feature = "business-logic"))]
        let query = "";
        format!("{base}/{}{query}", self.path.replacen("{}", &segment, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8200/APP/KEY";
    const ALL: &[Call] = &[
        Call::Login,
        Call::Guest,
        Call::Register,
        Call::RestorePassword,
        Call::Logout,
        Call::IsValid,
        Call::Restore,
        Call::Roles,
        Call::Update,
        Call::ResendConfirmation,
        Call::OAuthLogin,
        Call::AuthorizationUrl,
        Call::Adopt,
        Call::RolesOf,
        Call::ConfirmationUrl,
        Call::DescribeUserClass,
        Call::SdkLogin,
        #[cfg(feature = "business-logic")]
        Call::VerifyPassword,
        #[cfg(feature = "business-logic")]
        Call::UsersByRole,
        #[cfg(feature = "business-logic")]
        Call::AssignRole,
        #[cfg(feature = "business-logic")]
        Call::UnassignRole,
        #[cfg(feature = "business-logic")]
        Call::UserStatus,
    ];

    /// The official client's request for each call: method, path (with the segment "a@b.c"
    /// where it takes one), JSON body or none.
    #[test]
    fn every_call_sends_the_official_method_path_and_body() {
        use Method::*;
        let expected = [
            (Call::Login, Post, "/users/login", true),
            (Call::Guest, Post, "/users/register/guest", false),
            (Call::Register, Post, "/users/register", true),
            (
                Call::RestorePassword,
                Get,
                "/users/restorepassword/a%40b.c",
                false,
            ),
            (Call::Logout, Get, "/users/logout", false),
            (Call::IsValid, Get, "/users/isvalidusertoken/TOK", false),
            (Call::Restore, Get, "/data/Users/a%40b.c", false),
            (Call::Roles, Get, "/users/userroles", false),
            (Call::Update, Put, "/users/a%40b.c", true),
            (
                Call::ResendConfirmation,
                Post,
                "/users/resendconfirmation/a%40b.c",
                false,
            ),
            (Call::OAuthLogin, Post, "/users/social/a%40b.c/login", true),
            (
                Call::AuthorizationUrl,
                Post,
                "/users/oauth/a%40b.c/request_url",
                true,
            ),
            (Call::Adopt, Get, "/data/Users/a%40b.c", false),
            (Call::RolesOf, Get, "/users/userroles/a%40b.c", false),
            (
                Call::ConfirmationUrl,
                Post,
                "/users/createEmailConfirmationURL/a%40b.c",
                false,
            ),
            (Call::DescribeUserClass, Get, "/users/userclassprops", false),
            (
                Call::SdkLogin,
                Post,
                "/users/social/a%40b.c/sdk/login",
                true,
            ),
            #[cfg(feature = "business-logic")]
            (Call::VerifyPassword, Post, "/users/verifypassowrd", true),
            #[cfg(feature = "business-logic")]
            (Call::UsersByRole, Get, "/users/role/a%40b.c", false),
            #[cfg(feature = "business-logic")]
            (Call::AssignRole, Post, "/users/assignRole", true),
            #[cfg(feature = "business-logic")]
            (Call::UnassignRole, Post, "/users/unassignRole", true),
            #[cfg(feature = "business-logic")]
            (Call::UserStatus, Put, "/users/a%40b.c/status", true),
        ];
        assert_eq!(expected.map(|(call, ..)| call), ALL, "one case per call");
        for (call, method, path, json_body) in expected {
            let request = call.request(Some("a@b.c"), Some("TOK"), Some("GIVEN"));
            assert_eq!(request.method, method, "{call:?}");
            assert_eq!(request.url(BASE), format!("{BASE}{path}"), "{call:?}");
            assert_eq!(request.json_body, json_body, "{call:?}");
        }
    }

    #[test]
    fn the_session_token_travels_on_every_call_but_those_carrying_their_own() {
        for call in ALL {
            let request = call.request(Some("ID"), Some("SESSION"), Some("GIVEN"));
            let expected = match call {
                Call::Restore | Call::Adopt => "GIVEN",
                _ => "SESSION",
            };
            assert_eq!(request.token, Some(expected), "{call:?}");
            assert_eq!(
                call.request(Some("ID"), None, Some("GIVEN"))
                    .token
                    .is_some(),
                expected == "GIVEN"
            );
        }
    }

    #[test]
    fn only_calls_that_change_who_is_logged_in_take_a_stamp() {
        let stamped: Vec<Call> = ALL
            .iter()
            .copied()
            .filter(|call| call.changes_session())
            .collect();
        assert_eq!(
            stamped,
            [
                Call::Login,
                Call::Guest,
                Call::Logout,
                Call::OAuthLogin,
                Call::Adopt,
                Call::SdkLogin
            ]
        );
    }

    #[test]
    #[cfg(feature = "business-logic")]
    fn a_query_follows_the_path_as_given() {
        let request = Request {
            query: Some("loadRoles=true&where=a%3D1"),
            ..Call::UsersByRole.request(Some("R/1"), None, None)
        };
        assert_eq!(
            request.url(BASE),
            format!("{BASE}/users/role/R%2F1?loadRoles=true&where=a%3D1")
        );
    }

    #[test]
    fn data_in_paths_is_encoded() {
        assert_eq!(
            Call::Restore.request(Some("../x"), None, None).url(BASE),
            format!("{BASE}/data/Users/..%2Fx")
        );
    }
}
