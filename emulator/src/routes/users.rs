//! Handlers of the Backendless operations: decode the request, call [`crate::auth::Auth`], encode
//! the answer.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{
    json_response, parse_json, read_object, user_token, ClientIp, KeyKind, Params, SharedState,
};
use crate::auth::Credentials;
use crate::error::ApiError;

/// `POST users/register`. The app's switch (3009) comes before the body's checks.
pub async fn register(
    State(state): State<SharedState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    state.auth.check_registration_open()?;
    // Too long to pass the property limits whatever it holds: refused before it is parsed.
    if body.len() > state.auth.max_register_body() {
        return Err(crate::protocol::faults::VALUE_TOO_LONG.into());
    }
    let user = state
        .auth
        .register(parse_json(&body)?, user_token(&headers), client)
        .await?;
    Ok(json_response(&user))
}

/// `GET users/userroles`: the session's roles as a JSON array of names.
pub async fn user_roles(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let roles = state.auth.user_roles(user_token(&headers)).await?;
    Ok(json_response(&roles))
}

/// `PUT users/{objectId}`: the updated user (no password, no token).
pub async fn update_user(
    State(state): State<SharedState>,
    ClientIp(client): ClientIp,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // The body is judged only after the token and ownership checks (3028, 3064, 3030, 3029).
    let body = if body.len() > state.auth.max_register_body() {
        Err(crate::auth::AuthError::ValueTooLong)
    } else {
        super::parse_json_or_detail(&body).map_err(crate::auth::AuthError::UnparsableBody)
    };
    let user = state
        .auth
        .update_user(params.get("object_id"), user_token(&headers), body, client)
        .await?;
    Ok(json_response(&user))
}

/// `POST users/resendconfirmation/{identity}`: 200 with an empty body.
pub async fn resend_confirmation(
    State(state): State<SharedState>,
    ClientIp(client): ClientIp,
    params: Params,
) -> Result<Response, ApiError> {
    state
        .auth
        .resend_confirmation(params.get("identity"), client)
        .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST users/register/guest` (the body, if any, is ignored).
pub async fn register_guest(State(state): State<SharedState>) -> Result<Response, ApiError> {
    let user = state.auth.register_guest().await?;
    Ok(json_response(&user))
}

/// `POST users/login` with `{"login":L,"password":P}`, or with `{"objectId":ID}` alone (login
/// by objectId: the CloudCode key only, 2014 otherwise). The app's switches (3001, 3034) come
/// before the body's checks: 3038 missing or null, 8002 not strings, 3006 empty.
pub async fn login(
    State(state): State<SharedState>,
    key: KeyKind,
    body: Bytes,
) -> Result<Response, ApiError> {
    state.auth.check_logins_open()?;
    // Parsed once, for either form of login.
    let body: Fields = read_object(&body, "the login request must be a JSON object")?;
    if let Some(object_id) = object_id_login(&body)? {
        let user = state.auth.login_by_object_id(&object_id, key).await?;
        return Ok(json_response(&user));
    }
    let credentials = credentials(body)?;
    let user = state.auth.login(credentials).await?;
    Ok(json_response(&user))
}

/// The objectId of a login body that names one and neither `login` nor `password` (as the
/// official client sends `login(objectId)`); `None` for any other body. 8002 for an objectId
/// that is not a non-empty string.
fn object_id_login(body: &Fields) -> Result<Option<String>, ApiError> {
    if body.login.is_some() || body.password.is_some() {
        return Ok(None);
    }
    match &body.object_id {
        None => Ok(None),
        Some(Value::String(id)) if !id.is_empty() => Ok(Some(id.clone())),
        Some(_) => Err(ApiError::unparsable_body(
            "objectId must be a non-empty string",
        )),
    }
}

/// `POST users/verifypassowrd` (the official client's spelling) with `{"password":P}` and the
/// session's `user-token`: `{"valid": true|false}`, for the CloudCode key only (3122).
pub async fn verify_password(
    State(state): State<SharedState>,
    key: KeyKind,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    use crate::auth::AuthError;
    let password = match super::parse_json_or_detail(&body) {
        Err(detail) => Err(AuthError::UnparsableBody(detail)),
        Ok(Value::Object(mut fields)) => match fields.remove("password") {
            None | Some(Value::Null) => Err(AuthError::MissingParameter),
            Some(Value::String(password)) if !password.is_empty() => Ok(password),
            Some(_) => Err(AuthError::UnparsableBody(
                "password must be a non-empty string".into(),
            )),
        },
        Ok(Value::Null) => Err(AuthError::MissingParameter),
        Ok(_) => Err(AuthError::UnparsableBody(
            "the request must be a JSON object".into(),
        )),
    };
    let valid = state
        .auth
        .verify_password(user_token(&headers), password, key)
        .await?;
    Ok(json_response(&json!({ "valid": valid })))
}

/// `GET users/userroles/{userId}`: that user's roles (see [`crate::auth::Auth::roles_of_user`]).
pub async fn user_roles_of(
    State(state): State<SharedState>,
    key: KeyKind,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let roles = state
        .auth
        .roles_of_user(params.get("user_id"), user_token(&headers), key)
        .await?;
    Ok(json_response(&roles))
}

/// `GET users/role/{roleName}?loadRoles=&pageSize=&offset=`: the users having the role. Other
/// query keys (`where`, `sortBy`, `props`, …) are ignored; a `pageSize` that is no number is the
/// default (10), one beyond 100 is 100, below 1 is 1; an `offset` that is no number is 0.
pub async fn users_by_role(
    State(state): State<SharedState>,
    key: KeyKind,
    params: Params,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    use crate::auth::roles::{RolePage, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    let query = super::web::form_pairs(uri.query().unwrap_or_default());
    let number =
        |name: &str| super::web::value_of(&query, name).and_then(|v| v.parse::<u64>().ok());
    let page = RolePage {
        role: params.get("role").to_string(),
        load_roles: super::web::value_of(&query, "loadRoles") == Some("true"),
        page_size: number("pageSize").map_or(DEFAULT_PAGE_SIZE, |size| {
            u32::try_from(size.clamp(1, u64::from(MAX_PAGE_SIZE))).unwrap_or(MAX_PAGE_SIZE)
        }),
        offset: number("offset").map_or(0, |offset| u32::try_from(offset).unwrap_or(u32::MAX)),
    };
    let users = state
        .auth
        .users_by_role(page, user_token(&headers), key)
        .await?;
    Ok(json_response(&users))
}

/// The body of `assignRole` / `unassignRole`: `{"user": identity or objectId (a string or a
/// number), "roleName": name}`; 3038 for either missing, 8002 for other types.
fn role_change(body: &[u8]) -> Result<(String, String), ApiError> {
    use crate::protocol::faults;
    let mut fields = match parse_json(body)? {
        Value::Object(fields) => fields,
        Value::Null => return Err(faults::MISSING_PARAMETER.into()),
        _ => {
            return Err(ApiError::unparsable_body(
                "the request must be a JSON object",
            ))
        }
    };
    let user = match fields.remove("user") {
        None | Some(Value::Null) => return Err(faults::MISSING_PARAMETER.into()),
        Some(Value::String(user)) if !user.is_empty() => user,
        Some(Value::Number(number)) => number.to_string(),
        Some(_) => {
            return Err(ApiError::unparsable_body(
                "user must be a string or a number",
            ))
        }
    };
    let role = match fields.remove("roleName") {
        None | Some(Value::Null) => return Err(faults::MISSING_PARAMETER.into()),
        Some(Value::String(role)) if !role.is_empty() => role,
        Some(_) => {
            return Err(ApiError::unparsable_body(
                "roleName must be a non-empty string",
            ))
        }
    };
    Ok((user, role))
}

/// `POST users/assignRole`: 200 with an empty body (the official client ignores the answer).
pub async fn assign_role(
    State(state): State<SharedState>,
    key: KeyKind,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_role(&state, key, &body, true).await
}

/// `POST users/unassignRole`: 200 with an empty body.
pub async fn unassign_role(
    State(state): State<SharedState>,
    key: KeyKind,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_role(&state, key, &body, false).await
}

async fn change_role(
    state: &SharedState,
    key: KeyKind,
    body: &[u8],
    assign: bool,
) -> Result<Response, ApiError> {
    // The key is judged before the body: the app's key gets 2011 whatever it sends.
    if !key.is_cloud_code() {
        return Err(crate::auth::AuthError::RoleChangeNotAllowed.into());
    }
    let (user, role) = role_change(body)?;
    state.auth.change_role(&user, &role, assign, key).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET users/userclassprops`: the Users table's columns.
pub async fn user_class_props(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let columns = state.auth.describe_user_class(user_token(&headers)).await?;
    Ok(json_response(&columns))
}

/// `PUT users/{objectId}/status` with `{"userStatus": …}`: the user (CloudCode key only, 3054).
pub async fn update_user_status(
    State(state): State<SharedState>,
    key: KeyKind,
    params: Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !key.is_cloud_code() {
        return Err(crate::auth::AuthError::BlLogicOnly.into());
    }
    let status = match parse_json(&body)? {
        Value::Object(mut fields) => fields.remove("userStatus").unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let user = state
        .auth
        .update_user_status(params.get("object_id"), &status, key)
        .await?;
    Ok(json_response(&user))
}

/// `POST users/createEmailConfirmationURL/{identity}`: `{"confirmationURL": "<link>"}`, the
/// absolute URL of a confirmation link (this server, as the caller named it), the same kind of
/// link `/__emulator/outbox` lists. Served under the app's key too, as the hosted service does.
pub async fn create_confirmation_url(
    State(state): State<SharedState>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let code = state
        .auth
        .create_confirmation_code(params.get("identity"))
        .await?;
    let host = super::web::request_host(&headers);
    Ok(json_response(&json!({
        "confirmationURL": format!("http://{host}/__emulator/confirm/{code}"),
    })))
}

/// The login request's body (parsed) as [`Credentials`].
fn credentials(body: Fields) -> Result<Credentials, ApiError> {
    use crate::protocol::faults;
    let (login, password) = match (body.login, body.password) {
        (None | Some(Value::Null), _) | (_, None | Some(Value::Null)) => {
            return Err(faults::MISSING_PARAMETER.into())
        }
        (Some(Value::String(login)), Some(Value::String(password))) => (login, password),
        _ => {
            return Err(ApiError::unparsable_body(
                "login and password must be strings",
            ))
        }
    };
    if login.is_empty() || password.is_empty() {
        return Err(faults::EMPTY_LOGIN_OR_PASSWORD.into());
    }
    Ok(Credentials { login, password })
}

/// The values of `login`, `password` and `objectId` in a `users/login` body (a key given as `null`
/// is `Some(Null)`). Read by [`super::read_object`]; a repeated key keeps its last value, as when
/// the object is read whole.
#[derive(Default)]
struct Fields {
    login: Option<Value>,
    password: Option<Value>,
    object_id: Option<Value>,
}

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> serde::de::Visitor<'de> for FieldsVisitor {
            type Value = Fields;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut fields = Fields::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let slot = match &*key {
                        "login" => &mut fields.login,
                        "password" => &mut fields.password,
                        "objectId" => &mut fields.object_id,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value()?);
                }
                Ok(fields)
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

/// `GET users/isvalidusertoken/{token}`: `true` or `false`, always 200.
pub async fn is_valid_user_token(State(state): State<SharedState>, params: Params) -> Response {
    json_response(&state.auth.is_valid_token(params.get("token")))
}

/// `GET users/logout`: 200 with an empty body.
pub async fn logout(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.auth.logout(user_token(&headers)).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET users/restorepassword/{identity}`: 200 with an empty body.
pub async fn restore_password(
    State(state): State<SharedState>,
    params: Params,
) -> Result<Response, ApiError> {
    state.auth.restore_password(params.get("identity")).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET data/Users/{objectId}` (the table name compared without case, as the service does); a
/// sent `user-token` must be live.
pub async fn read_user(
    State(state): State<SharedState>,
    params: Params,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !params.get("table").eq_ignore_ascii_case("Users") {
        return Err(ApiError::unknown_endpoint(method.as_str(), uri.path()));
    }
    let user = state
        .auth
        .read_user(params.get("object_id"), user_token(&headers))
        .await?;
    Ok(json_response(&user))
}

/// `GET info`, which the official client asks for after `initApp`.
pub async fn app_info(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    json_response(&json!({
        "loggers": [],
        "rtURL": format!("http://{host}"),
        "appId": state.app_id,
        "apiKey": state.api_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOT_OBJECT: &str = "the login request must be a JSON object";

    fn read(body: &str) -> Result<Fields, ApiError> {
        read_object(body.as_bytes(), NOT_OBJECT)
    }

    #[test]
    fn a_login_body_keeps_its_three_fields_as_a_whole_object_read_would() {
        let fields =
            read(r#"{"login":"a","blob":[[1,{"x":[2]}]],"password":null,"login":"b"}"#).unwrap();
        assert_eq!(
            fields.login,
            Some(Value::from("b")),
            "the last of a repeated key"
        );
        assert_eq!(
            fields.password,
            Some(Value::Null),
            "a key given as null is given"
        );
        assert_eq!(fields.object_id, None);
        let escaped = read(r#"{"log\u0069n":1}"#).unwrap();
        assert_eq!(escaped.login, Some(Value::from(1)));
        for body in [" ", "null"] {
            let empty = read(body).unwrap();
            assert!(empty.login.is_none() && empty.password.is_none() && empty.object_id.is_none());
        }
        for body in ["[1]", "\"x\""] {
            let refused = read(body).err().map(|error| error.to_string());
            let expected = ApiError::unparsable_body(NOT_OBJECT).to_string();
            assert_eq!(refused, Some(expected), "{body}");
        }
    }

    #[test]
    fn a_login_body_that_does_not_parse_gets_serde_jsons_words() {
        for body in ["{\"login\":", "{} x", "[1,", "nul", "{\"login\":[1,]}"] {
            let expected = parse_json(body.as_bytes())
                .err()
                .map(|error| error.to_string());
            let got = read(body).err().map(|error| error.to_string());
            assert!(expected.is_some(), "{body} parses");
            assert_eq!(got, expected, "{body}");
        }
        // A skipped value is checked by serde_json's skipping reader (its words may differ: "expected
        // value" for a trailing comma), without recursion (serde_json keeps a byte per level), so
        // nesting deeper than a tree may be is no error there, and costs no stack.
        let deep = format!(
            "{{\"blob\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(read(&deep).is_ok());
        let skipped = read(r#"{"blob":[1,]}"#).err();
        assert_eq!(skipped.map(|error| error.code), Some(8002));
    }
}
