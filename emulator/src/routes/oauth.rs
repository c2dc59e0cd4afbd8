//! The Backendless side of OAuth2 logins: `request_url` (start a redirect login), the callback
//! the provider sends the browser back to, and the access-token login
//! (`users/social/{provider}/login`, also served as `users/oauth/{provider}/login`).

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::web::{self, error_page, html_page, is_local_authority, split_url};
use super::{json_response, parse_json, user_token, Params, SharedState};
use crate::auth::oauth::{fields_mapping, FieldsMapping, GuestClaim, ProviderIdentity};
use crate::error::ApiError;
use crate::protocol::{encode_uri_component, faults, keys, popup, redirect};
use crate::provider::{PendingLogin, Popup};

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

/// The URL form's prefix of `path` (`/api` or `/{appId}/{apiKey}`, as sent): the operations are
/// mounted under exactly these two forms.
fn app_prefix(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let length = if segments.first() == Some(&"api") {
        1
    } else {
        2
    };
    segments
        .iter()
        .take(length)
        .map(|segment| format!("/{segment}"))
        .collect()
}

/// The route's `{provider}`, or 3210 unless it is an enabled login provider.
fn enabled_provider<'a>(state: &SharedState, params: &'a Params) -> Result<&'a str, ApiError> {
    let provider = params.get("provider");
    if state.provider.is_enabled(provider) {
        Ok(provider)
    } else {
        Err(faults::UNKNOWN_OAUTH_PROVIDER.into())
    }
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
    let provider = enabled_provider(&state, &params)?;
    let fields = body_object(&body)?;
    let url = start_sign_in(&state, provider, original.path(), &headers, &fields, None)?;
    if fields.get("redirect") == Some(&Value::Bool(true)) {
        return Ok(web::redirect(&url));
    }
    Ok(json_response(&url))
}

/// `POST users/social/oauth/{type}/request_url` with `{fieldsMapping?, permissions?}` (the
/// official client's popup logins: `loginWithFacebook`, `loginWithGooglePlus`,
/// `loginWithTwitter`): the provider's authorization URL as a JSON string. The popup window goes
/// there, through the local provider's sign-in page, and ends on a page of this server that
/// posts the user (with its `user-token`) as JSON text to `window.opener` — with the `Origin`
/// of the page that made this request as the target origin, recorded with the sign-in, never
/// `*`. Without an `Origin` (or with `null`) the end page posts nothing and says so. Other keys
/// of the body (`redirect`, `redirectAfterLoginUrl`, `callbackUrlDomain`) do not apply.
pub async fn popup_request_url(
    State(state): State<SharedState>,
    params: Params,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let provider = enabled_provider(&state, &params)?;
    let mut fields = body_object(&body)?;
    fields.retain(|name, _| name == "fieldsMapping" || name == "permissions");
    let popup = Popup {
        origin: popup_origin(&headers),
    };
    let url = start_sign_in(
        &state,
        provider,
        original.path(),
        &headers,
        &fields,
        Some(popup),
    )?;
    Ok(json_response(&url))
}

/// The request's `Origin` when it is one (`http(s)://host[:port]`, nothing after), else `None`.
fn popup_origin(headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(axum::http::header::ORIGIN)?.to_str().ok()?;
    match split_url(origin) {
        Some((_, authority, "")) if !authority.is_empty() && !authority.contains('@') => {
            Some(origin.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// Records a pending sign-in from a `request_url` body and answers the provider's
/// authorization URL.
fn start_sign_in(
    state: &SharedState,
    provider: &str,
    original_path: &str,
    headers: &HeaderMap,
    fields: &Map<String, Value>,
    popup: Option<Popup>,
) -> Result<String, ApiError> {
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
    let host = web::request_host(headers);
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
        app_prefix(original_path)
    );
    let login_state = state
        .provider
        .start_login(PendingLogin {
            provider: provider.to_string(),
            callback: callback.clone(),
            fields_mapping,
            redirect_after,
            popup,
        })
        .map_err(ApiError::from)?;
    Ok(format!(
        "http://{host}/oauth-provider/{provider}/authorize?redirect_uri={}&state={login_state}&scope={}",
        encode_uri_component(&callback),
        encode_uri_component(&scope),
    ))
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
    let popup = login.popup.clone();
    // A popup's failures go to its opener too, as `{"fault": …}`.
    let bad = |message: &str| match &popup {
        Some(popup) => popup_page(popup, Err(message)),
        None => bad(message),
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
            if let Some(popup) = &popup {
                return popup_page(popup, Err(&error.message));
            }
            return error_page(
                error.status,
                "Sign-in failed",
                &format!("{} ({})", error.message, error.code),
            );
        }
    };
    if let Some(popup) = &popup {
        return popup_page(popup, Ok(&user));
    }
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

/// A popup login's end page: posts the user (with its `user-token`) or `{"fault": message}`, as
/// JSON text, to `window.opener` with the origin that started the sign-in as the target, so that
/// only a page of that origin receives it (the official client parses `event.data` of a message
/// whose `event.origin` is this server). Without a recorded origin it posts nothing and says why.
fn popup_page(popup: &Popup, outcome: Result<&Value, &str>) -> Response {
    let (title, text) = match outcome {
        Ok(user) => ("Signed in", user.to_string()),
        Err(message) => (
            "Sign-in failed",
            json!({ popup::FAULT: message }).to_string(),
        ),
    };
    let Some(origin) = &popup.origin else {
        return html_page(
            StatusCode::OK,
            title,
            "<p>This sign-in was started by a request without an Origin header, so this page does not know which page to hand the result to: it hands it to none. Start the sign-in from the app's page.</p>",
        );
    };
    let script = format!(
        "if (window.opener) {{ window.opener.postMessage({}, {}); }}",
        web::js_string(&text),
        web::js_string(origin),
    );
    let body = format!(
        "<p>The result goes to the page that started the sign-in ({}); you can close this window.</p>",
        web::escape_html(origin)
    );
    web::html_page_with_script(StatusCode::OK, title, &body, &script)
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
    #[serde(rename = "accessTokenSecret")]
    access_token_secret: Option<Value>,
}

/// An access-token login request, checked: the token, the mapping, the guest's objectId.
struct LoginRequest {
    access_token: String,
    /// `loginWithOauth1`'s token secret.
    secret: Option<String>,
    mapping: FieldsMapping,
    guest_id: Option<String>,
}

/// Reads an access-token login body in the order its refusals come: 8002 not an object, 3038 no
/// token, 8002 a bad `fieldsMapping`, 3212 a `guestUser` without an objectId.
fn login_request(body: &[u8]) -> Result<LoginRequest, ApiError> {
    let fields: LoginBody = super::read_object(body, "the request must be a JSON object")?;
    let access_token = match fields.access_token {
        Some(Value::String(token)) if !token.is_empty() => token,
        _ => return Err(faults::MISSING_PARAMETER.into()),
    };
    let secret = match fields.access_token_secret {
        None | Some(Value::Null) => None,
        Some(Value::String(secret)) if !secret.is_empty() => Some(secret),
        Some(Value::String(_)) => return Err(faults::MISSING_PARAMETER.into()),
        Some(_) => {
            return Err(ApiError::unparsable_body(
                "accessTokenSecret must be a string",
            ))
        }
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
        secret,
        mapping,
        guest_id,
    })
}

/// `POST users/social/{provider}/login` (and `users/oauth/{provider}/login`) with
/// `{accessToken, accessTokenSecret?, fieldsMapping?, guestUser?}`: the linked (or new) user
/// with its `user-token`, as a password login answers. `guestUser` converts only with that
/// guest's own `user-token`. With `accessTokenSecret` (`loginWithOauth1`) the token must be an
/// OAuth1 token of the provider and the secret its own, else 3211 as for a bad OAuth2 token.
/// Also `users/social/{facebook|googleplus}/sdk/login` (`loginWithFacebookSdk`,
/// `loginWithGooglePlusSdk`), for any enabled provider code.
pub async fn login(
    State(state): State<SharedState>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    state.auth.check_logins_open()?;
    let provider = enabled_provider(&state, &params)?;
    let request = login_request(&body)?;
    // An OAuth1 token needs its secret, an OAuth2 one none: either mismatch is a bad token.
    let account = match &request.secret {
        Some(secret) => {
            state
                .provider
                .oauth1_token_account(provider, &request.access_token, secret)
        }
        None => state
            .provider
            .token_account(provider, &request.access_token),
    };
    let Some(account) = account else {
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
            (
                "http://h/p?x=1",
                "http://h/p?x=1&userId=U&userToken=a%2Bb%26c",
            ),
            ("http://h/p?", "http://h/p?userId=U&userToken=a%2Bb%26c"),
            (
                "http://h/p?x=1&",
                "http://h/p?x=1&userId=U&userToken=a%2Bb%26c",
            ),
            (
                "http://h/p#top",
                "http://h/p?userId=U&userToken=a%2Bb%26c#top",
            ),
            (
                "http://h/p?x=1#a?b",
                "http://h/p?x=1&userId=U&userToken=a%2Bb%26c#a?b",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_session(url, "U", "a+b&c"), expected, "{url}");
        }
    }
}
