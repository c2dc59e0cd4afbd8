//! The Backendless side of OAuth2 logins: `request_url` (start a redirect login), the callback
//! the provider sends the browser back to, and the access-token login
//! (`users/social/{provider}/login`, also served as `users/oauth/{provider}/login`).

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::web::{self, error_page, html_page, is_local_authority, split_url};
use super::{json_response, parse_json, user_token, Params, SharedState};
use crate::auth::oauth::{fields_mapping, FieldsMapping, GuestClaim, ProviderIdentity};
use crate::error::ApiError;
use crate::protocol::{encode_uri_component, faults, keys, redirect};
use crate::provider::PendingLogin;

/// Longest `redirectAfterLoginUrl` or scope accepted.
const MAX_URL_BYTES: usize = 2048;

/// The request body as an object (an empty body is an empty object).
fn body_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match parse_json(body)? {
        Value::Object(fields) => Ok(fields),
        Value::Null => Ok(Map::new()),
        _ => Err(ApiError::unparsable_body(
            "the request must be a JSON object",
        )),
    }
}

/// The URL form's prefix of `path` (`/api` or `/{appId}/{apiKey}`, as sent), before `users/oauth`.
fn app_prefix(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let at = segments
        .windows(2)
        .position(|pair| pair == ["users", "oauth"])
        .unwrap_or(0);
    segments[..at]
        .iter()
        .map(|segment| format!("/{segment}"))
        .collect()
}

/// `POST users/oauth/{provider}/request_url` with `{fieldsMapping?, permissions?, redirect?,
/// redirectAfterLoginUrl?, callbackUrlDomain?}`: records a pending login under a fresh `state`
/// and answers the provider's authorization URL as a JSON string (302 there only with
/// `redirect: true`, see the README).
pub async fn request_url(
    State(state): State<SharedState>,
    params: Params,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let provider = params.get("provider");
    if !state.provider.is_enabled(provider) {
        return Err(faults::UNKNOWN_OAUTH_PROVIDER.into());
    }
    let fields = body_object(&body)?;
    let fields_mapping = fields_mapping(fields.get("fieldsMapping"))?;
    let scope = match fields.get("permissions") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(scope)) => scope.clone(),
        Some(Value::Array(items)) => {
            let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            names
                .ok_or_else(|| ApiError::unparsable_body("permissions must be strings"))?
                .join(" ")
        }
        Some(_) => {
            return Err(ApiError::unparsable_body(
                "permissions must be a string or an array of strings",
            ))
        }
    };
    if scope.len() > MAX_URL_BYTES {
        return Err(faults::VALUE_TOO_LONG.into());
    }
    let redirect_after = match fields.get("redirectAfterLoginUrl") {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) => {
            let local = url.len() <= MAX_URL_BYTES
                && split_url(url).is_some_and(|(_, authority, _)| {
                    is_local_authority(authority, &state.allowed_hosts)
                });
            if !local {
                return Err(ApiError::unparsable_body(
                    "redirectAfterLoginUrl must be an http(s) URL on this machine, a private network or an --allowed-host name",
                ));
            }
            Some(url.clone())
        }
        Some(_) => {
            return Err(ApiError::unparsable_body(
                "redirectAfterLoginUrl must be a string",
            ))
        }
    };
    // The Host header is the caller's word: the provider's page and the default callback are
    // built from it only when it names this machine or a private network like any other URL.
    let host = web::request_host(&headers);
    if !is_local_authority(&host, &state.allowed_hosts) {
        return Err(ApiError::callback_host_not_local(&host));
    }
    let origin = match fields.get("callbackUrlDomain") {
        None | Some(Value::Null) => format!("http://{host}"),
        Some(Value::String(domain)) => {
            let domain = domain.trim_end_matches('/');
            match split_url(domain) {
                Some((scheme, authority, ""))
                    if is_local_authority(authority, &state.allowed_hosts) =>
                {
                    format!("{scheme}://{authority}")
                }
                _ => {
                    return Err(ApiError::unparsable_body(
                        "callbackUrlDomain must be http(s)://HOST[:PORT] naming this server",
                    ))
                }
            }
        }
        Some(_) => {
            return Err(ApiError::unparsable_body(
                "callbackUrlDomain must be a string",
            ))
        }
    };
    let callback = format!(
        "{origin}{}/users/oauth/{provider}/callback",
        app_prefix(original.path())
    );
    let login_state = state
        .provider
        .start_login(PendingLogin {
            provider: provider.to_string(),
            callback: callback.clone(),
            fields_mapping,
            redirect_after,
        })
        .map_err(ApiError::from)?;
    let url = format!(
        "http://{host}/oauth-provider/{provider}/authorize?redirect_uri={}&state={login_state}&scope={}",
        encode_uri_component(&callback),
        encode_uri_component(&scope),
    );
    if fields.get("redirect") == Some(&Value::Bool(true)) {
        return Ok(web::redirect(&url));
    }
    Ok(json_response(&url))
}

/// `GET users/oauth/{provider}/callback?code=&state=`: where the provider sends the browser.
/// Exchanges the code, logs in as the linked (or new) user, then 302 to `redirectAfterLoginUrl`
/// with `userId` and `userToken` added to its query (see [`with_session`]), or a page saying who
/// signed in. Anything wrong: an HTML page
/// with status 400 (the page never shows the token).
pub async fn callback(State(state): State<SharedState>, params: Params, uri: Uri) -> Response {
    let provider = params.get("provider");
    let bad = |message: &str| error_page(StatusCode::BAD_REQUEST, "Sign-in failed", message);
    if !state.provider.is_enabled(provider) {
        let fault = faults::UNKNOWN_OAUTH_PROVIDER;
        return bad(&format!("{} ({})", fault.message, fault.code));
    }
    let query = web::form_pairs(uri.query().unwrap_or_default());
    let login_state = web::value_of(&query, "state").unwrap_or_default();
    let Some(login) = state
        .provider
        .take_login(login_state)
        .filter(|login| login.provider == provider)
    else {
        return bad("This sign-in is unknown, expired or finished already (state). Start again from the app.");
    };
    if let Some(error) = web::value_of(&query, "error") {
        return bad(&format!("The provider did not sign you in: {error}"));
    }
    let issued = web::value_of(&query, "code")
        .and_then(|code| state.provider.take_code(code))
        .filter(|issued| {
            issued.provider == provider
                && issued.state == login_state
                && issued.redirect_uri == login.callback
        });
    let Some(account) =
        issued.and_then(|issued| state.provider.account_by_id(provider, &issued.account_id))
    else {
        return bad("The authorization code is unknown, expired or was used already. Start again from the app.");
    };
    let identity = ProviderIdentity {
        provider: provider.to_string(),
        id: account.id.clone(),
        email: account.email.clone(),
        name: account.name.clone(),
    };
    let user = match state
        .auth
        .oauth_login(identity, &login.fields_mapping, None)
        .await
    {
        Ok(user) => user,
        Err(error) => {
            let error = ApiError::from(error);
            return error_page(
                error.status,
                "Sign-in failed",
                &format!("{} ({})", error.message, error.code),
            );
        }
    };
    let text = |name: &str| user[name].as_str().unwrap_or_default().to_string();
    match login.redirect_after {
        Some(url) => web::redirect(&with_session(
            &url,
            &text(keys::OBJECT_ID),
            &text(keys::USER_TOKEN),
        )),
        None => html_page(
            StatusCode::OK,
            "Signed in",
            &format!(
                "<p>Signed in as {} &lt;{}&gt; — you can close this window.</p>",
                web::escape_html(&account.name),
                web::escape_html(&account.email),
            ),
        ),
    }
}

/// `url` with the session added to its query as the hosted service hands it back
/// (`protocol::redirect`: `userId`, `userToken`, percent-encoded), before any fragment, which is
/// kept.
fn with_session(url: &str, user_id: &str, token: &str) -> String {
    // `fragment` keeps its `#`, or is empty.
    let (base, fragment) = url.split_at(url.find('#').unwrap_or(url.len()));
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with(['?', '&']) {
        ""
    } else {
        "&"
    };
    format!(
        "{base}{separator}{}={}&{}={}{fragment}",
        redirect::USER_ID,
        encode_uri_component(user_id),
        redirect::USER_TOKEN,
        encode_uri_component(token),
    )
}

/// The fields an access-token login reads. Anything else in the body is skipped while parsing,
/// so a big body never becomes a tree, and nothing of it is held while the login waits for the
/// database.
#[derive(Default, Deserialize)]
struct LoginBody {
    #[serde(rename = "accessToken")]
    access_token: Option<Value>,
    #[serde(rename = "fieldsMapping")]
    fields_mapping: Option<Value>,
    #[serde(rename = "guestUser")]
    guest_user: Option<Value>,
}

/// An access-token login request, checked: the token, the mapping, the guest's objectId.
struct LoginRequest {
    access_token: String,
    mapping: FieldsMapping,
    guest_id: Option<String>,
}

/// Reads an access-token login body in the order its refusals come: 8002 not an object, 3038 no
/// token, 8002 a bad `fieldsMapping`, 3212 a `guestUser` without an objectId.
fn login_request(body: &[u8]) -> Result<LoginRequest, ApiError> {
    let fields = match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
        None => LoginBody::default(),
        Some(b'{') => serde_json::from_slice(body)
            .map_err(|error| ApiError::unparsable_body(&error.to_string()))?,
        // Not an object: parsed only to tell `null` (an empty request) from the rest.
        Some(_) => {
            body_object(body)?;
            LoginBody::default()
        }
    };
    let access_token = match fields.access_token {
        Some(Value::String(token)) if !token.is_empty() => token,
        _ => return Err(faults::MISSING_PARAMETER.into()),
    };
    let mapping = fields_mapping(fields.fields_mapping.as_ref())?;
    let guest_id = match fields.guest_user {
        None | Some(Value::Null) => None,
        Some(Value::Object(mut guest)) => match guest.remove("objectId") {
            Some(Value::String(object_id)) => Some(object_id),
            _ => return Err(faults::INVALID_GUEST.into()),
        },
        Some(_) => return Err(faults::INVALID_GUEST.into()),
    };
    Ok(LoginRequest {
        access_token,
        mapping,
        guest_id,
    })
}

/// `POST users/social/{provider}/login` (and `users/oauth/{provider}/login`) with
/// `{accessToken, fieldsMapping?, guestUser?}`: the linked (or new) user with its `user-token`,
/// as a password login answers. `guestUser` converts only with that guest's own `user-token`.
pub async fn login(
    State(state): State<SharedState>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    state.auth.check_logins_open()?;
    let provider = params.get("provider");
    if !state.provider.is_enabled(provider) {
        return Err(faults::UNKNOWN_OAUTH_PROVIDER.into());
    }
    let request = login_request(&body)?;
    let Some(account) = state
        .provider
        .token_account(provider, &request.access_token)
    else {
        return Err(faults::INVALID_OAUTH_TOKEN.into());
    };
    let identity = ProviderIdentity {
        provider: provider.to_string(),
        id: account.id,
        email: account.email,
        name: account.name,
    };
    let guest = request.guest_id.map(|object_id| GuestClaim {
        object_id,
        token: user_token(&headers).map(str::to_string),
    });
    let user = state
        .auth
        .oauth_login(identity, &request.mapping, guest)
        .await?;
    Ok(json_response(&user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_the_url_form_as_sent() {
        assert_eq!(app_prefix("/api/users/oauth/github/request_url"), "/api");
        assert_eq!(
            app_prefix("/APP/KEY/users/oauth/github/request_url"),
            "/APP/KEY"
        );
    }

    #[test]
    fn the_session_joins_the_query_before_the_fragment() {
        let cases = [
            ("http://h/p", "http://h/p?userId=U&userToken=a%2Bb%26c"),
            ("http://h/p?x=1", "http://h/p?x=1&userId=U&userToken=a%2Bb%26c"),
            ("http://h/p?", "http://h/p?userId=U&userToken=a%2Bb%26c"),
            ("http://h/p?x=1&", "http://h/p?x=1&userId=U&userToken=a%2Bb%26c"),
            ("http://h/p#top", "http://h/p?userId=U&userToken=a%2Bb%26c#top"),
            ("http://h/p?x=1#a?b", "http://h/p?x=1&userId=U&userToken=a%2Bb%26c#a?b"),
        ];
        for (url, expected) in cases {
            assert_eq!(with_session(url, "U", "a+b&c"), expected, "{url}");
        }
    }
}
