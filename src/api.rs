//! One function per operation, describing its request exactly as the official client sends it.
//!
//! Nothing here touches the network: a [`Call`] is data (method, path, the path's data segment,
//! whether a JSON body follows, which token goes in the `user-token` header), so the wire format
//! is unit-tested natively and the transport only has to carry it out.
//!
//! ```
//! use backendless_wasm::api::{self, Method};
//! let call = api::is_valid_user_token("TOK");
//! assert_eq!(call.method, Method::Get);
//! assert_eq!(call.url("http://h/APP/KEY"), "http://h/APP/KEY/users/isvalidusertoken/TOK");
//! assert_eq!(call.token, Some("TOK"));
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

/// A described request.
///
/// The URL itself is put together by the exchange (`address` in `src/js/exchange.js`, as
/// [`Call::url`] does here, natively, for the tests): building and percent-encoding it in Rust
/// for every call cost the shipped entry 270 B gzip more than that one line of JS (measured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call<'a> {
    pub method: Method,
    /// Below the base URL; `{}` stands for [`Call::segment`] (see [`paths`]).
    pub path: &'static str,
    /// The path's segment taken from data, sent encoded as `encodeURIComponent` does.
    pub segment: Option<&'a str>,
    /// True when a JSON body follows (and so `Content-Type: application/json`).
    pub json_body: bool,
    /// Sent as the lowercase `user-token` header when present (borrowed from the session).
    pub token: Option<&'a str>,
}

impl Call<'_> {
    /// The request's URL below `base`, as the exchange builds it.
    pub fn url(&self, base: &str) -> String {
        let segment = crate::protocol::encode_uri_component(self.segment.unwrap_or_default());
        format!("{base}/{}", self.path.replacen("{}", &segment, 1))
    }
}

fn call<'a>(
    method: Method,
    path: &'static str,
    segment: Option<&'a str>,
    json_body: bool,
    token: Option<&'a str>,
) -> Call<'a> {
    Call {
        method,
        path,
        segment,
        json_body,
        token,
    }
}

/// `POST users/login` with body `{"login":…,"password":…}`. The official client sends a
/// known token along even here.
pub fn login(token: Option<&str>) -> Call<'_> {
    call(Method::Post, paths::LOGIN, None, true, token)
}

/// `GET users/isvalidusertoken/{token}`, with the same token in the header.
pub fn is_valid_user_token(token: &str) -> Call<'_> {
    call(
        Method::Get,
        paths::IS_VALID_USER_TOKEN,
        Some(token),
        false,
        Some(token),
    )
}

/// `GET data/Users/{objectId}`: restores the user after a reload.
pub fn find_user<'a>(object_id: &'a str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Get, paths::USERS_TABLE, Some(object_id), false, token)
}

/// `GET users/logout`.
pub fn logout(token: Option<&str>) -> Call<'_> {
    call(Method::Get, paths::LOGOUT, None, false, token)
}

/// `POST users/register` with the user's properties as the body.
pub fn register(token: Option<&str>) -> Call<'_> {
    call(Method::Post, paths::REGISTER, None, true, token)
}

/// `POST users/register/guest`, no body at all (so no Content-Type either).
pub fn login_as_guest(token: Option<&str>) -> Call<'_> {
    call(Method::Post, paths::GUEST_LOGIN, None, false, token)
}

/// `GET users/restorepassword/{identity}`.
pub fn restore_password<'a>(identity: &'a str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Get, paths::RESTORE_PASSWORD, Some(identity), false, token)
}

/// `GET users/userroles`: the session's roles (`NotAuthenticatedUser` alone without a token).
pub fn user_roles(token: Option<&str>) -> Call<'_> {
    call(Method::Get, paths::USER_ROLES, None, false, token)
}

/// `PUT users/{objectId}` with the changed properties as the body.
pub fn update_user<'a>(object_id: &'a str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Put, paths::USERS, Some(object_id), true, token)
}

/// `POST users/resendconfirmation/{identity}`, no body.
pub fn resend_confirmation<'a>(identity: &'a str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Post, paths::RESEND_CONFIRMATION, Some(identity), false, token)
}

/// `POST users/social/{providerCode}/login` with `{accessToken, fieldsMapping, guestUser}`, where
/// the official client sends `loginWithOauth2`. `provider` is already lower-cased, as it does.
pub fn oauth_login<'a>(provider: &'a str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Post, paths::OAUTH_LOGIN, Some(provider), true, token)
}

/// `POST users/oauth/{providerCode}/request_url` with `{fieldsMapping, permissions, redirect,
/// redirectAfterLoginUrl, callbackUrlDomain}`: the provider's authorization URL.
pub fn authorization_url<'a>(provider: &'a str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Post, paths::OAUTH_REQUEST_URL, Some(provider), true, token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8200/APP/KEY";

    #[test]
    fn every_operation_has_the_official_method_path_and_body() {
        let cases = [
            (login(None), Method::Post, "/users/login", true),
            (
                is_valid_user_token("T"),
                Method::Get,
                "/users/isvalidusertoken/T",
                false,
            ),
            (
                find_user("ID", Some("T")),
                Method::Get,
                "/data/Users/ID",
                false,
            ),
            (logout(Some("T")), Method::Get, "/users/logout", false),
            (register(None), Method::Post, "/users/register", true),
            (
                login_as_guest(None),
                Method::Post,
                "/users/register/guest",
                false,
            ),
            (
                restore_password("a@b.c", None),
                Method::Get,
                "/users/restorepassword/a%40b.c",
                false,
            ),
            (user_roles(None), Method::Get, "/users/userroles", false),
            (
                update_user("ID", Some("T")),
                Method::Put,
                "/users/ID",
                true,
            ),
            (
                resend_confirmation("a@b.c", None),
                Method::Post,
                "/users/resendconfirmation/a%40b.c",
                false,
            ),
            (
                oauth_login("github", None),
                Method::Post,
                "/users/social/github/login",
                true,
            ),
            (
                authorization_url("github", None),
                Method::Post,
                "/users/oauth/github/request_url",
                true,
            ),
        ];
        for (call, method, path, json_body) in cases {
            assert_eq!(call.method, method, "{path}");
            assert_eq!(call.url(BASE), format!("{BASE}{path}"));
            assert_eq!(call.json_body, json_body, "{path}");
        }
    }

    #[test]
    fn known_token_travels_in_the_header() {
        assert_eq!(login(Some("TOK")).token, Some("TOK"));
        assert_eq!(login(None).token, None);
        assert_eq!(is_valid_user_token("TOK").token, Some("TOK"));
    }

    #[test]
    fn data_in_paths_is_encoded() {
        assert_eq!(
            find_user("../x", None).url(BASE),
            format!("{BASE}/data/Users/..%2Fx")
        );
    }
}
