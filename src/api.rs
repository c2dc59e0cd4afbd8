//! One function per operation, describing its request exactly as the official client sends it.
//!
//! Nothing here touches the network: a [`Call`] is data (method, URL, whether a JSON body
//! follows, which token goes in the `user-token` header), so the wire format is unit-tested
//! natively and the transport only has to carry it out.
//!
//! ```
//! use backendless_wasm::api::{self, Method};
//! let call = api::is_valid_user_token("http://h/APP/KEY", "TOK");
//! assert_eq!(call.method, Method::Get);
//! assert_eq!(call.url, "http://h/APP/KEY/users/isvalidusertoken/TOK");
//! assert_eq!(call.token, Some("TOK"));
//! ```

use crate::protocol::paths;

/// Path segments taken from data are encoded as `encodeURIComponent` does. In the browser that is
/// the platform's own function (119 B gzip less in the shipped entry than compiling
/// `protocol::encode_uri_component` in); natively, for the unit tests, the protocol module's,
/// which is tested against the same rules.
#[cfg(target_arch = "wasm32")]
fn encode_uri_component(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}
#[cfg(not(target_arch = "wasm32"))]
use crate::protocol::encode_uri_component;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call<'a> {
    pub method: Method,
    pub url: String,
    /// True when a JSON body follows (and so `Content-Type: application/json`).
    pub json_body: bool,
    /// Sent as the lowercase `user-token` header when present (borrowed from the session).
    pub token: Option<&'a str>,
}

fn call<'a>(
    method: Method,
    base: &str,
    path: &[&str],
    last: Option<&str>,
    json_body: bool,
    token: Option<&'a str>,
) -> Call<'a> {
    let mut url = String::with_capacity(base.len() + 48);
    url.push_str(base);
    for segment in path.iter().copied().chain(last) {
        url.push('/');
        url.push_str(segment);
    }
    Call {
        method,
        url,
        json_body,
        token,
    }
}

/// `POST users/login` with body `{"login":…,"password":…}`. The official client sends a
/// known token along even here.
pub fn login<'a>(base: &str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Post, base, &paths::LOGIN, None, true, token)
}

/// `GET users/isvalidusertoken/{token}`, with the same token in the header.
pub fn is_valid_user_token<'a>(base: &str, token: &'a str) -> Call<'a> {
    let encoded = encode_uri_component(token);
    call(
        Method::Get,
        base,
        &paths::IS_VALID_USER_TOKEN,
        Some(&encoded),
        false,
        Some(token),
    )
}

/// `GET data/Users/{objectId}`: restores the user after a reload.
pub fn find_user<'a>(base: &str, object_id: &str, token: Option<&'a str>) -> Call<'a> {
    let encoded = encode_uri_component(object_id);
    call(
        Method::Get,
        base,
        &paths::USERS_TABLE,
        Some(&encoded),
        false,
        token,
    )
}

/// `GET users/logout`.
pub fn logout<'a>(base: &str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Get, base, &paths::LOGOUT, None, false, token)
}

/// `POST users/register` with the user's properties as the body.
pub fn register<'a>(base: &str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Post, base, &paths::REGISTER, None, true, token)
}

/// `POST users/register/guest`, no body at all (so no Content-Type either).
pub fn login_as_guest<'a>(base: &str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Post, base, &paths::GUEST_LOGIN, None, false, token)
}

/// `GET users/restorepassword/{identity}`.
pub fn restore_password<'a>(base: &str, identity: &str, token: Option<&'a str>) -> Call<'a> {
    let encoded = encode_uri_component(identity);
    call(
        Method::Get,
        base,
        &paths::RESTORE_PASSWORD,
        Some(&encoded),
        false,
        token,
    )
}

/// `GET users/userroles`: the session's roles (`NotAuthenticatedUser` alone without a token).
pub fn user_roles<'a>(base: &str, token: Option<&'a str>) -> Call<'a> {
    call(Method::Get, base, &paths::USER_ROLES, None, false, token)
}

/// `PUT users/{objectId}` with the changed properties as the body.
pub fn update_user<'a>(base: &str, object_id: &str, token: Option<&'a str>) -> Call<'a> {
    let encoded = encode_uri_component(object_id);
    call(Method::Put, base, &paths::USERS, Some(&encoded), true, token)
}

/// `POST users/resendconfirmation/{identity}`, no body.
pub fn resend_confirmation<'a>(base: &str, identity: &str, token: Option<&'a str>) -> Call<'a> {
    let encoded = encode_uri_component(identity);
    call(
        Method::Post,
        base,
        &paths::RESEND_CONFIRMATION,
        Some(&encoded),
        false,
        token,
    )
}

/// `POST users/social/{providerCode}/login` with `{accessToken, fieldsMapping, guestUser}`, where
/// the official client sends `loginWithOauth2`. `provider` is already lower-cased, as it does.
pub fn oauth_login<'a>(base: &str, provider: &str, token: Option<&'a str>) -> Call<'a> {
    provider_call(base, &paths::OAUTH_LOGIN, provider, paths::OAUTH_LOGIN_TAIL, token)
}

/// `POST users/oauth/{providerCode}/request_url` with `{fieldsMapping, permissions, redirect,
/// redirectAfterLoginUrl, callbackUrlDomain}`: the provider's authorization URL.
pub fn authorization_url<'a>(base: &str, provider: &str, token: Option<&'a str>) -> Call<'a> {
    provider_call(base, &paths::OAUTH, provider, paths::OAUTH_REQUEST_URL_TAIL, token)
}

fn provider_call<'a>(
    base: &str,
    head: &[&str; 2],
    provider: &str,
    tail: &str,
    token: Option<&'a str>,
) -> Call<'a> {
    let encoded = encode_uri_component(provider);
    call(
        Method::Post,
        base,
        &[head[0], head[1], &encoded],
        Some(tail),
        true,
        token,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8200/APP/KEY";

    #[test]
    fn every_operation_has_the_official_method_path_and_body() {
        let cases = [
            (login(BASE, None), Method::Post, "/users/login", true),
            (
                is_valid_user_token(BASE, "T"),
                Method::Get,
                "/users/isvalidusertoken/T",
                false,
            ),
            (
                find_user(BASE, "ID", Some("T")),
                Method::Get,
                "/data/Users/ID",
                false,
            ),
            (logout(BASE, Some("T")), Method::Get, "/users/logout", false),
            (register(BASE, None), Method::Post, "/users/register", true),
            (
                login_as_guest(BASE, None),
                Method::Post,
                "/users/register/guest",
                false,
            ),
            (
                restore_password(BASE, "a@b.c", None),
                Method::Get,
                "/users/restorepassword/a%40b.c",
                false,
            ),
            (user_roles(BASE, None), Method::Get, "/users/userroles", false),
            (
                update_user(BASE, "ID", Some("T")),
                Method::Put,
                "/users/ID",
                true,
            ),
            (
                resend_confirmation(BASE, "a@b.c", None),
                Method::Post,
                "/users/resendconfirmation/a%40b.c",
                false,
            ),
            (
                oauth_login(BASE, "github", None),
                Method::Post,
                "/users/social/github/login",
                true,
            ),
            (
                authorization_url(BASE, "github", None),
                Method::Post,
                "/users/oauth/github/request_url",
                true,
            ),
        ];
        for (call, method, path, json_body) in cases {
            assert_eq!(call.method, method, "{path}");
            assert_eq!(call.url, format!("{BASE}{path}"));
            assert_eq!(call.json_body, json_body, "{path}");
        }
    }

    #[test]
    fn known_token_travels_in_the_header() {
        assert_eq!(login(BASE, Some("TOK")).token, Some("TOK"));
        assert_eq!(login(BASE, None).token, None);
        assert_eq!(is_valid_user_token(BASE, "TOK").token, Some("TOK"));
    }

    #[test]
    fn data_in_paths_is_encoded() {
        assert_eq!(
            find_user(BASE, "../x", None).url,
            format!("{BASE}/data/Users/..%2Fx")
        );
    }
}
