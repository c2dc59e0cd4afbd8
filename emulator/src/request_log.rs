//! The recent-request log behind `GET /__emulator/requests`: what went on the wire, minus secrets.
//!
//! Bounded by entries and by bytes: each entry is kept as its compact JSON text (not a parsed
//! tree), bodies over 16 KiB and header values over 1 KiB are not kept, and the oldest entries go
//! once either bound is passed. A read shares the stored texts (no copy) and streams them out.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use serde::Serialize;
use serde_json::Value;

use crate::routes::body::BodyBytes;
use crate::routes::{percent_decode, user_token, SharedState};

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// One request as the log shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// URL path (no query), with a token in the path replaced by `[redacted]`.
    pub path: String,
    /// Headers by lower-case name; `user-token` (and any credential header) redacted.
    pub headers: BTreeMap<String, String>,
    /// The body: parsed JSON with every secret-looking field redacted, else the text, or null.
    pub body: Value,
    /// objectId of the user whose session the `user-token` header belongs (or belonged) to.
    pub token_user_id: Option<String>,
    /// objectId of the user whose session the token in the path belongs (or belonged) to.
    pub path_token_user_id: Option<String>,
}

/// Header names whose values are never kept.
const SECRET_HEADERS: &[&str] = &[
    "user-token",
    "authorization",
    "cookie",
    "proxy-authorization",
];

/// Whether a header value must be redacted.
fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.contains(&name)
}

/// Whether a property name looks like it holds a secret: once lower-cased and stripped of `_`,
/// `-`, `.` and spaces, it contains `password`, `passwd`, `pwd`, `secret`, `token`, `apikey`,
/// `privatekey` or `credential` (`Password`, `passwordConfirm`, `client_secret`, `auth_token`…).
pub fn is_secret_key(key: &str) -> bool {
    const MARKERS: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "privatekey",
        "credential",
    ];
    let folded: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    MARKERS.iter().any(|marker| folded.contains(marker))
}

/// Replaces every secret-looking field ([`is_secret_key`]), at any depth, by `[redacted]`.
pub fn redact_passwords(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if is_secret_key(key) {
                    *field = Value::from(REDACTED);
                } else {
                    redact_passwords(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_passwords),
        _ => {}
    }
}

/// Largest body the log keeps.
pub const MAX_LOGGED_BODY_BYTES: usize = 16 * 1024;
/// Longest header value the log keeps.
pub const MAX_LOGGED_HEADER_BYTES: usize = 1024;

/// The body as the log shows it.
pub fn logged_body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if bytes.len() > MAX_LOGGED_BODY_BYTES {
        return Value::from(format!("[body of {} bytes, not kept]", bytes.len()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut json) => {
            redact_passwords(&mut json);
            json
        }
        Err(_) => Value::from(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// A header value as the log shows it (the caller redacts secrets first).
fn logged_header(value: &[u8]) -> String {
    if value.len() > MAX_LOGGED_HEADER_BYTES {
        return format!("[header of {} bytes, not kept]", value.len());
    }
    String::from_utf8_lossy(value).into_owned()
}

/// The path as the log and the hold list show them, and the token in it. Redacted: the segment after
/// any `isvalidusertoken` (wherever it sits: a malformed URL must not put a token into the log
/// either) and a CloudCode key as the second segment (it opens business logic's operations, and
/// local pages can read the log).
pub fn logged_path(path: &str, cloud_code_key: &str) -> (String, Option<String>) {
    let mut segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segments
        .get(1)
        .is_some_and(|key| percent_decode(key) == cloud_code_key)
    {
        segments[1] = REDACTED;
    }
    let token = segments
        .iter()
        .position(|segment| *segment == "isvalidusertoken")
        .and_then(|index| segments.get_mut(index + 1))
        .map(|token| percent_decode(std::mem::replace(token, REDACTED)));
    (format!("/{}", segments.join("/")), token)
}

/// Records every API request in the log (secrets redacted) before it is handled. (tower-http's
/// `TraceLayer` writes the debug line; it keeps nothing for `/__emulator/requests`.)
pub async fn log_request(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let (path, path_token) = logged_path(request.uri().path(), &state.cloud_code_api_key);
    let mut headers = BTreeMap::new();
    for (name, value) in request.headers() {
        let text = if is_secret_header(name.as_str()) {
            REDACTED.to_string()
        } else {
            logged_header(value.as_bytes())
        };
        headers
            .entry(name.to_string())
            .and_modify(|existing: &mut String| {
                existing.push_str(", ");
                existing.push_str(&text);
            })
            .or_insert(text);
    }
    let owner = |token: Option<&str>| {
        let token = token.filter(|token| !token.is_empty())?;
        state.auth.token_owner(token).map(|id| id.to_string())
    };
    let body = request.extensions().get::<BodyBytes>();
    state.request_log.push(LoggedRequest {
        method: request.method().to_string(),
        path,
        headers,
        body: logged_body(body.map_or(&[], |body| &body.0)),
        token_user_id: owner(user_token(request.headers())),
        path_token_user_id: owner(path_token.as_deref()),
    });
    next.run(request).await
}

struct Entries {
    /// (sequence number, compact JSON text), oldest first.
    texts: VecDeque<(u64, Bytes)>,
    bytes: usize,
    next_seq: u64,
}

/// A bounded log, oldest first.
pub struct RequestLog {
    max_entries: usize,
    max_bytes: usize,
    entries: Mutex<Entries>,
}

/// A page of the log: entries' JSON texts and the sequence number of the last one.
pub struct Page {
    /// Compact JSON text of each entry, oldest first.
    pub texts: Vec<Bytes>,
    /// Sequence number of the last entry of the page (or of the log, when the page is empty).
    pub last_seq: u64,
}

impl RequestLog {
    /// An empty log keeping the last `max_entries` requests and at most `max_bytes` of them.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            max_entries,
            max_bytes,
            entries: Mutex::new(Entries {
                texts: VecDeque::new(),
                bytes: 0,
                next_seq: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends, dropping the oldest beyond either bound.
    pub fn push(&self, entry: LoggedRequest) {
        if self.max_entries == 0 || self.max_bytes == 0 {
            return;
        }
        let text = match serde_json::to_vec(&entry) {
            Ok(text) => Bytes::from(text),
            Err(error) => {
                tracing::warn!(%error, "request log entry not serialisable");
                return;
            }
        };
        let mut entries = self.lock();
        entries.next_seq += 1;
        let seq = entries.next_seq;
        entries.bytes += text.len();
        entries.texts.push_back((seq, text));
        while entries.texts.len() > self.max_entries || entries.bytes > self.max_bytes {
            match entries.texts.pop_front() {
                Some((_, old)) => entries.bytes -= old.len(),
                None => break,
            }
        }
    }

    /// Entries after sequence number `after` (all with `None`), the newest `limit` of them.
    pub fn page(&self, after: Option<u64>, limit: Option<usize>) -> Page {
        let entries = self.lock();
        let mut texts: Vec<(u64, Bytes)> = entries
            .texts
            .iter()
            .filter(|(seq, _)| after.is_none_or(|after| *seq > after))
            .cloned()
            .collect();
        if let Some(limit) = limit {
            let skip = texts.len().saturating_sub(limit);
            texts.drain(..skip);
        }
        let last_seq = texts
            .last()
            .map_or(after.unwrap_or(entries.next_seq), |(seq, _)| *seq);
        Page {
            texts: texts.into_iter().map(|(_, text)| text).collect(),
            last_seq,
        }
    }

    /// Bytes of JSON text held.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Empties the log.
    pub fn clear(&self) {
        let mut entries = self.lock();
        entries.texts.clear();
        entries.bytes = 0;
    }
}

/// A JSON array streamed from the entries' texts, without copying them into one buffer.
pub struct JsonArrayBody {
    parts: VecDeque<Bytes>,
    remaining: u64,
}

impl JsonArrayBody {
    /// `[text,text,…]`.
    pub fn new(texts: Vec<Bytes>) -> Self {
        let mut parts = VecDeque::with_capacity(texts.len() * 2 + 1);
        parts.push_back(Bytes::from_static(b"["));
        for (index, text) in texts.into_iter().enumerate() {
            if index > 0 {
                parts.push_back(Bytes::from_static(b","));
            }
            parts.push_back(text);
        }
        parts.push_back(Bytes::from_static(b"]"));
        let remaining = parts.iter().map(|part| part.len() as u64).sum();
        Self { parts, remaining }
    }
}

impl hyper::body::Body for JsonArrayBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.parts.pop_front() {
            Some(part) => {
                self.remaining -= part.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(part))))
            }
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            path: path.into(),
            headers: BTreeMap::new(),
            body: Value::Null,
            token_user_id: None,
            path_token_user_id: None,
        }
    }

    fn paths(page: &Page) -> Vec<String> {
        page.texts
            .iter()
            .map(|text| {
                serde_json::from_slice::<Value>(text).unwrap()["path"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn passwords_are_redacted_at_any_depth_and_text_is_kept() {
        let body = logged_body(
            br#"{"login":"a","password":"p","nested":[{"password":"q"}],"accessToken":"t"}"#,
        );
        assert_eq!(body["password"], REDACTED);
        assert_eq!(body["accessToken"], REDACTED);
        assert_eq!(body["nested"][0]["password"], REDACTED);
        assert_eq!(body["login"], "a");
        for secret in [
            "Password",
            "pwd",
            "passwordConfirm",
            "client_secret",
            "API-Key",
            "user-token",
            "accessToken",
            "access_token",
        ] {
            assert!(is_secret_key(secret), "{secret}");
        }
        for plain in ["login", "email", "name", "passport", "compass"] {
            assert!(!is_secret_key(plain), "{plain}");
        }
        assert_eq!(logged_body(b"not json"), Value::from("not json"));
        assert_eq!(logged_body(b""), Value::Null);
        let big = vec![b'0'; MAX_LOGGED_BODY_BYTES + 1];
        assert_eq!(
            logged_body(&big),
            Value::from(format!("[body of {} bytes, not kept]", big.len()))
        );
        assert_eq!(
            logged_header(&[b'h'; 2000]),
            "[header of 2000 bytes, not kept]"
        );
    }

    #[test]
    fn bodies_keep_the_key_order_they_were_sent_in() {
        // A client's exact body, order included, is what a wire-compatibility test compares.
        let body = logged_body(br#"{"password":"p","login":"a","z":1,"b":{"y":2,"x":3}}"#);
        assert_eq!(
            body.to_string(),
            r#"{"password":"[redacted]","login":"a","z":1,"b":{"y":2,"x":3}}"#
        );
    }

    #[test]
    fn log_keeps_the_newest_within_entries_and_bytes_and_pages() {
        let log = RequestLog::new(2, 10_000);
        for index in 0..3 {
            log.push(entry(&format!("/{index}")));
        }
        assert_eq!(paths(&log.page(None, None)), ["/1", "/2"]);
        let one_entry = log.bytes() / 2;
        let log = RequestLog::new(100, one_entry * 3);
        for index in 0..10 {
            log.push(entry(&format!("/{index}")));
        }
        assert_eq!(paths(&log.page(None, None)), ["/7", "/8", "/9"]);
        let newest = log.page(None, Some(1));
        assert_eq!(paths(&newest), ["/9"]);
        assert!(log.page(Some(newest.last_seq), None).texts.is_empty());
        log.push(entry("/10"));
        assert_eq!(paths(&log.page(Some(newest.last_seq), None)), ["/10"]);
    }
}
