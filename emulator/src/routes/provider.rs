//! The local identity provider's HTTP side, under `/oauth-provider/{provider}/…`: a sign-in page
//! for fake accounts (no passwords), authorization codes, a token endpoint, an account endpoint
//! that stands in for a provider's SDK, and userinfo. Not Backendless: its answers follow OAuth2
//! (`{"error": …}`), except an unknown provider (3210), a full table (503) and a request from
//! another site (403), which use the service's error shape like the rest of this server.
//!
//! Same origin only: no CORS, and another site's requests are refused ([`same_origin_only`]).
//! Anyone can type any address into this provider, so a page elsewhere that could use it could
//! sign its visitor in as the page's choice (login CSRF) or mint tokens.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::web::{self, error_page, escape_html, html_page, value_of};
use super::{json_response, Params, SharedState};
use crate::error::ApiError;
use crate::protocol::{encode_uri_component, faults};
use crate::provider::{Account, IssuedCode, ProviderError, TOKEN_TTL};

/// The provider endpoints (nested under `/oauth-provider`).
pub fn router() -> Router<SharedState> {
    Router::new()
        .route(
            "/{provider}/authorize",
            get(authorize_page).post(authorize_choice),
        )
        .route("/{provider}/token", post(token))
        .route("/{provider}/accounts", post(accounts))
        .route("/{provider}/userinfo", get(userinfo))
        .fallback(unknown)
        .method_not_allowed_fallback(unknown)
        .layer(axum::middleware::from_fn(same_origin_only))
}

/// Refuses (403, code 0) what another origin's page sends: a request whose `Origin` is not this
/// server's, or, without one, a non-GET request that Fetch metadata marks as another site's (an
/// auto-submitted form). GET stays open: an app navigates its visitors to the sign-in page. An
/// `Origin: null` is this server's own page when Fetch metadata says so: its pages send
/// `Referrer-Policy: no-referrer`, under which browsers post forms with that Origin.
async fn same_origin_only(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let foreign = match headers.get(header::ORIGIN) {
        Some(origin) if origin == "null" => !is_same_origin(headers),
        Some(origin) => !is_own_origin(origin.as_bytes(), headers),
        None => request.method() != Method::GET && is_from_another_site(headers),
    };
    if foreign {
        return ApiError::provider_cross_site().into_response();
    }
    next.run(request).await
}

/// Whether `origin` is this server's as the request reached it (its Host).
fn is_own_origin(origin: &[u8], headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
    else {
        return false;
    };
    let Ok(origin) = std::str::from_utf8(origin) else {
        return false;
    };
    let Some((scheme, authority, "")) = web::split_url(origin) else {
        return false;
    };
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let host = host.strip_suffix(default_port).unwrap_or(host);
    authority.eq_ignore_ascii_case(host)
}

/// Whether Fetch metadata says a page of this origin sent it (browsers set the header; pages
/// cannot).
fn is_same_origin(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"same-origin"))
}

/// Whether Fetch metadata says another site's page (or another origin of this site) sent it.
fn is_from_another_site(headers: &HeaderMap) -> bool {
    headers.get("sec-fetch-site").is_some_and(|site| {
        let site = site.as_bytes();
        site.eq_ignore_ascii_case(b"cross-site") || site.eq_ignore_ascii_case(b"same-site")
    })
}

async fn unknown(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::unknown_endpoint(method.as_str(), &format!("/oauth-provider{}", uri.path()))
}

/// An OAuth2 error answer: `{"error": code, "error_description": …}`.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = json_response(&json!({ "error": code, "error_description": description }));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 3210 unless `provider` is enabled.
fn enabled(state: &SharedState, provider: &str) -> Result<(), Box<Response>> {
    if state.provider.is_enabled(provider) {
        Ok(())
    } else {
        Err(Box::new(
            ApiError::from(faults::UNKNOWN_OAUTH_PROVIDER).into_response(),
        ))
    }
}

/// The sign-in request is one the Backendless side started: its `state` is pending for this
/// provider and `redirect_uri` is exactly the callback recorded with it (so the provider
/// redirects nowhere else: no open redirect).
fn check_request(
    state: &SharedState,
    provider: &str,
    pairs: &[(String, String)],
) -> Result<(), Box<Response>> {
    let login_state = value_of(pairs, "state").unwrap_or_default();
    let redirect_uri = value_of(pairs, "redirect_uri").unwrap_or_default();
    let known = state
        .provider
        .pending(login_state)
        .is_some_and(|login| login.provider == provider && login.callback == redirect_uri);
    if known {
        Ok(())
    } else {
        Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "Invalid sign-in request",
            "redirect_uri and state must come from this server's users/oauth/{provider}/request_url (a sign-in it started in the last 10 minutes).",
        )))
    }
}

/// Signs `account` in: a code for the callback, and 302 there with the state.
fn sign_in(
    state: &SharedState,
    provider: &str,
    account: Result<Account, ProviderError>,
    pairs: &[(String, String)],
) -> Response {
    let account = match account {
        Ok(account) => account,
        Err(ProviderError::Invalid(detail)) => {
            return error_page(StatusCode::BAD_REQUEST, "Invalid account", detail)
        }
        Err(ProviderError::Busy) => {
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                faults::SERVER_BUSY.message,
            )
        }
        Err(error) => return ApiError::from(error).into_response(),
    };
    let redirect_uri = value_of(pairs, "redirect_uri").unwrap_or_default();
    let login_state = value_of(pairs, "state").unwrap_or_default();
    let code = state.provider.issue_code(IssuedCode {
        provider: provider.to_string(),
        account_id: account.id,
        redirect_uri: redirect_uri.to_string(),
        state: login_state.to_string(),
    });
    match code {
        Ok(code) => web::redirect(&format!(
            "{redirect_uri}?code={code}&state={}",
            encode_uri_component(login_state)
        )),
        Err(ProviderError::Busy) => error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Busy",
            faults::SERVER_BUSY.message,
        ),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `GET authorize?redirect_uri=&state=&scope=&login_hint=`: the sign-in page, or with
/// `login_hint=<email>` (the hook for automated tests) that account signed in at once, created if
/// new — unless another site's page sent the browser here, where the page is shown with the
/// address filled in (signing in at once would be login CSRF). The page lists no accounts: it is
/// open to anyone who starts a sign-in.
async fn authorize_page(
    State(state): State<SharedState>,
    params: Params,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let provider = params.get("provider");
    if let Err(response) = enabled(&state, provider) {
        return *response;
    }
    let pairs = web::form_pairs(uri.query().unwrap_or_default());
    if let Err(response) = check_request(&state, provider, &pairs) {
        return *response;
    }
    let hint = value_of(&pairs, "login_hint").filter(|hint| !hint.is_empty());
    if let Some(hint) = hint.filter(|_| !is_from_another_site(&headers)) {
        let account = state.provider.account(provider, hint, None);
        return sign_in(&state, provider, account, &pairs);
    }
    let hidden: String = ["redirect_uri", "state", "scope"]
        .iter()
        .map(|name| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape_html(value_of(&pairs, name).unwrap_or_default())
            )
        })
        .collect();
    let scope = value_of(&pairs, "scope").unwrap_or_default();
    let body = format!(
        "<p class=\"note\">backendless-emulator local provider: fake accounts for development, no passwords.{}</p>\n\
         <form method=\"post\" action=\"authorize\">{hidden}\
         <label>Email<input name=\"email\" type=\"email\" required maxlength=\"254\" value=\"{}\"></label>\
         <label>Display name (for a new account)<input name=\"name\" maxlength=\"128\"></label>\
         <button type=\"submit\">Sign in</button></form>\n\
         <p class=\"note\">The account with this email signs in; an email with no account here yet gets a new one.</p>",
        if scope.is_empty() {
            String::new()
        } else {
            format!(" Requested scope: {}.", escape_html(scope))
        },
        escape_html(hint.unwrap_or_default()),
    );
    html_page(
        StatusCode::OK,
        &format!("Sign in with {provider} — backendless-emulator local provider"),
        &body,
    )
}

/// `POST authorize` (form: `email`, and `name` for a new account; `redirect_uri`, `state`):
/// a single-use code and 302 to the callback.
async fn authorize_choice(
    State(state): State<SharedState>,
    params: Params,
    body: Bytes,
) -> Response {
    let provider = params.get("provider");
    if let Err(response) = enabled(&state, provider) {
        return *response;
    }
    let pairs = web::form_pairs(&String::from_utf8_lossy(&body));
    if let Err(response) = check_request(&state, provider, &pairs) {
        return *response;
    }
    let account = state.provider.account(
        provider,
        value_of(&pairs, "email").unwrap_or_default(),
        value_of(&pairs, "name"),
    );
    sign_in(&state, provider, account, &pairs)
}

/// A request body as name/value pairs: JSON (an object's string values) or a form.
fn body_pairs(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(fields)) => fields
                .into_iter()
                .filter_map(|(name, value)| Some((name, value.as_str()?.to_string())))
                .collect(),
            _ => Vec::new(),
        }
    } else {
        web::form_pairs(&String::from_utf8_lossy(body))
    }
}

/// `POST token` (`grant_type=authorization_code&code=…`, form or JSON): an access token.
async fn token(
    State(state): State<SharedState>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let provider = params.get("provider");
    if let Err(response) = enabled(&state, provider) {
        return *response;
    }
    let pairs = body_pairs(&headers, &body);
    if value_of(&pairs, "grant_type") != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=authorization_code",
        );
    }
    let redirect_uri = value_of(&pairs, "redirect_uri");
    let issued = value_of(&pairs, "code")
        .and_then(|code| state.provider.take_code(code))
        .filter(|issued| {
            issued.provider == provider && redirect_uri.is_none_or(|uri| uri == issued.redirect_uri)
        });
    let Some(issued) = issued else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the code is unknown, expired or was used already",
        );
    };
    match state.provider.issue_token(provider, &issued.account_id) {
        Ok(access_token) => {
            let mut response = json_response(&json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL.as_secs(),
            }));
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `POST accounts` with `{"email","name","oauth1"?}`: the account (created if new) and a fresh
/// access token, what a provider's SDK would hand the app for `loginWithOauth2`; with
/// `"oauth1": true`, an OAuth1 token and its `access_token_secret`, for `loginWithOauth1`. Also served as a
/// control endpoint (`/__emulator/oauth-provider/{provider}/accounts`) for test pages elsewhere
/// on this machine.
pub(super) async fn accounts(
    State(state): State<SharedState>,
    params: Params,
    body: Bytes,
) -> Response {
    let provider = params.get("provider");
    if let Err(response) = enabled(&state, provider) {
        return *response;
    }
    let fields = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(fields)) => fields,
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body must be a JSON object {\"email\",\"name\"}",
            )
        }
    };
    let (Some(Value::String(email)), name) = (fields.get("email"), fields.get("name")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "email must be a string",
        );
    };
    let name = match name {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.as_str()),
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "name must be a string",
            )
        }
    };
    let oauth1 = fields.get("oauth1") == Some(&Value::Bool(true));
    let issued = state
        .provider
        .account(provider, email, name)
        .and_then(|account| {
            let pair = if oauth1 {
                let (token, secret) = state.provider.issue_oauth1_token(provider, &account.id)?;
                (token, Some(secret))
            } else {
                (state.provider.issue_token(provider, &account.id)?, None)
            };
            Ok((account, pair))
        });
    match issued {
        Ok((account, (access_token, secret))) => {
            let mut answer = json!({
                "id": account.id,
                "email": account.email,
                "name": account.name,
                "access_token": access_token,
            });
            if let Some(secret) = secret {
                answer["access_token_secret"] = Value::from(secret);
            }
            json_response(&answer)
        }
        Err(ProviderError::Invalid(detail)) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_request", detail)
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `GET userinfo` with `Authorization: Bearer TOKEN`: `{"id","email","name"}`.
async fn userinfo(
    State(state): State<SharedState>,
    params: Params,
    headers: HeaderMap,
) -> Response {
    let provider = params.get("provider");
    if let Err(response) = enabled(&state, provider) {
        return *response;
    }
    let account = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| state.provider.token_account(provider, token.trim()));
    match account {
        Some(account) => json_response(&account),
        None => {
            let mut response = oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the access token is unknown or expired",
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            response
        }
    }
}
