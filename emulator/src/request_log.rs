//! The recent-request log behind `GET /__emulator/requests`: what went on the wire, minus secrets.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;

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
    /// The body: parsed JSON with every `password` redacted, else the text, or null when empty.
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
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.contains(&name)
}

/// Replaces every `password` field, at any depth, by `[redacted]`.
pub fn redact_passwords(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if key == "password" {
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

/// Largest body the log keeps. A parsed JSON body can take ~17× its size in memory (a 1 MiB `[0,0,…]` is
/// ~17 MB), so keeping the 1 MiB bodies the server accepts, 1,000 entries deep, could exhaust the machine.
pub const MAX_LOGGED_BODY_BYTES: usize = 16 * 1024;

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

/// A bounded log, oldest first.
#[derive(Debug)]
pub struct RequestLog {
    capacity: usize,
    entries: Mutex<VecDeque<LoggedRequest>>,
}

impl RequestLog {
    /// An empty log keeping the last `capacity` requests.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<LoggedRequest>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends, dropping the oldest beyond capacity.
    pub fn push(&self, entry: LoggedRequest) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// A copy of the entries, oldest first.
    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.lock().iter().cloned().collect()
    }

    /// Empties the log.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_at_any_depth_and_text_is_kept() {
        let body = logged_body(br#"{"login":"a","password":"p","nested":[{"password":"q"}]}"#);
        assert_eq!(body["password"], REDACTED);
        assert_eq!(body["nested"][0]["password"], REDACTED);
        assert_eq!(body["login"], "a");
        assert_eq!(logged_body(b"not json"), Value::from("not json"));
        assert_eq!(logged_body(b""), Value::Null);
        let big = vec![b'0'; MAX_LOGGED_BODY_BYTES + 1];
        assert_eq!(
            logged_body(&big),
            Value::from(format!("[body of {} bytes, not kept]", big.len()))
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
    fn log_keeps_the_newest() {
        let log = RequestLog::new(2);
        for index in 0..3 {
            log.push(LoggedRequest {
                method: "GET".into(),
                path: format!("/{index}"),
                headers: BTreeMap::new(),
                body: Value::Null,
                token_user_id: None,
                path_token_user_id: None,
            });
        }
        let paths: Vec<String> = log.snapshot().into_iter().map(|entry| entry.path).collect();
        assert_eq!(paths, vec!["/1", "/2"]);
    }
}
