//! Small pieces of the web (not JSON) side: HTML pages, redirects, form and query decoding, and
//! the rules for URLs the server sends a browser to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::percent_decode;
use crate::error::ApiError;

/// `text` with `& < > " '` escaped, for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Headers every page and redirect of the sign-in flow carries: not cached (a page may follow a
/// sign-in), not framed, no Referer to the next site, no scripts or outside resources.
fn guard(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
}

/// A self-contained HTML page; `body` is HTML the caller escaped, `title` is text.
pub fn html_page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.4}}\
         button{{display:block;width:100%;margin:.3rem 0;padding:.6rem;text-align:left;font:inherit}}\
         input{{display:block;width:100%;margin:.2rem 0 .8rem;padding:.4rem;box-sizing:border-box;font:inherit}}\
         .note{{color:#555;font-size:.9rem}}</style></head>\n<body>\n<h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape_html(title),
    );
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response();
    guard(&mut response);
    response
}

/// `text` as a JavaScript string literal that can sit inside an HTML `<script>`: JSON's string
/// escaping, with `<`, `>`, `&` and the line separators U+2028/U+2029 escaped too (no
/// `</script>` or `<!--` can appear).
pub fn js_string(text: &str) -> String {
    let quoted = serde_json::Value::from(text).to_string();
    let mut out = String::with_capacity(quoted.len());
    for character in quoted.chars() {
        match character {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

/// [`html_page`] with one inline script, allowed by its nonce (a fresh 256-bit secret) and
/// nothing else: `script` is JavaScript the caller built from [`js_string`] literals.
pub fn html_page_with_script(
    status: StatusCode,
    title: &str,
    body: &str,
    script: &str,
) -> Response {
    let Ok(nonce) = crate::ids::new_secret() else {
        return ApiError::internal().into_response();
    };
    let body = format!("{body}\n<script nonce=\"{nonce}\">{script}</script>");
    let mut response = html_page(status, title, &body);
    let policy =
        format!("default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'");
    match HeaderValue::from_str(&policy) {
        Ok(value) => {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
            response
        }
        Err(_) => ApiError::internal().into_response(),
    }
}

/// An HTML error page: `message` is text.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    html_page(status, title, &format!("<p>{}</p>", escape_html(message)))
}

/// 302 to `location` (already a valid URL: checked or built here).
pub fn redirect(location: &str) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return ApiError::internal().into_response();
    };
    let mut response = (StatusCode::FOUND, [(header::LOCATION, value)]).into_response();
    guard(&mut response);
    response
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space), as in a form body or a query.
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |part: &str| percent_decode(&part.replace('+', " "));
            (decode(name), decode(value))
        })
        .collect()
}

/// The first value of `name` among `pairs`.
pub fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The Host the client used (as sent), for URLs that bring it back here.
pub fn request_host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| !host.is_empty())
        .unwrap_or("127.0.0.1")
        .to_string()
}

/// `http(s)://AUTHORITY/rest` split into scheme, authority and the rest (path, query,
/// fragment); `None` for other schemes or text that cannot travel in a header.
pub fn split_url(url: &str) -> Option<(&'static str, &str, &str)> {
    if !crate::protocol::is_header_value(url) || url.contains([' ', '\t', '\\']) {
        return None;
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("http://") {
        ("http", url.get(7..)?)
    } else if lower.starts_with("https://") {
        ("https", url.get(8..)?)
    } else {
        return None;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((scheme, &rest[..end], &rest[end..]))
}

/// The host of a URL authority as a browser reaches it, or `None` for a spelling it would read
/// differently from us or that a local URL never needs.
#[derive(Debug, PartialEq, Eq)]
enum UrlHost {
    /// A name: lower case, without its trailing dot.
    Name(String),
    /// An IP address; IPv4-mapped IPv6 (`[::ffff:a.b.c.d]`) is its IPv4 address.
    Ip(IpAddr),
}

/// Parses `host[:port]` strictly. Refused: user info (`@`), percent-escapes (a browser decodes
/// them before resolving), anything but visible ASCII, empty labels, and any name a browser would
/// take for an IPv4 address (its last label numeric, as in `134744072`, `0x8.8.8.8` or
/// `010.8.8.8`) unless it is the plain dotted-decimal form, so that the address checked here is
/// the address the browser goes to.
fn url_host(authority: &str) -> Option<UrlHost> {
    if authority.is_empty()
        || !authority.bytes().all(|byte| byte.is_ascii_graphic())
        || authority.contains(['@', '%', '\\'])
    {
        return None;
    }
    let lower = authority.to_ascii_lowercase();
    let (host, port) = match lower.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?,
        None => lower.split_at(lower.find(':').unwrap_or(lower.len())),
    };
    let port_ok = match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => {
            digits.bytes().all(|byte| byte.is_ascii_digit())
                && (digits.is_empty() || digits.parse::<u16>().is_ok())
        }
    };
    if !port_ok {
        return None;
    }
    if lower.starts_with('[') {
        let v6 = host.parse::<Ipv6Addr>().ok()?;
        return Some(UrlHost::Ip(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        }));
    }
    // One trailing dot names the same host (a fully qualified name); more is no host.
    let name = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = name.split('.').collect();
    if labels.iter().any(|label| {
        label.is_empty()
            || !label
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    }) {
        return None;
    }
    let last = labels.last().copied().unwrap_or_default();
    let numeric = last.bytes().all(|byte| byte.is_ascii_digit())
        || last
            .strip_prefix("0x")
            .is_some_and(|hex| hex.bytes().all(|byte| byte.is_ascii_hexdigit()));
    if !numeric {
        return Some(UrlHost::Name(name.to_string()));
    }
    // Rust reads only the dotted-decimal form; octal-looking parts ("010") are refused outright.
    let canonical = labels.len() == 4
        && labels
            .iter()
            .all(|part| *part == "0" || !part.starts_with('0'));
    if !canonical {
        return None;
    }
    name.parse::<Ipv4Addr>()
        .ok()
        .map(|v4| UrlHost::Ip(IpAddr::V4(v4)))
}

/// Whether a URL authority (`host[:port]`) names this machine or one the server may send a
/// browser to: localhost, `*.localhost`, `--allowed-host` names and addresses, and IP addresses
/// of this machine or a private network — no public address, no user info, and no spelling a
/// browser would resolve differently (see [`url_host`]).
pub fn is_local_authority(authority: &str, allowed: &[String]) -> bool {
    let listed = |text: &str| {
        allowed
            .iter()
            .any(|entry| entry.trim_end_matches('.').eq_ignore_ascii_case(text))
    };
    match url_host(authority) {
        None => false,
        Some(UrlHost::Name(name)) => {
            name == "localhost" || name.ends_with(".localhost") || listed(&name)
        }
        Some(UrlHost::Ip(ip)) => {
            let local = match ip {
                IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
                IpAddr::V6(v6) => {
                    let first = v6.segments()[0];
                    v6.is_loopback() || first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80
                }
            };
            local
                || allowed
                    .iter()
                    .any(|entry| entry.trim_matches(['[', ']']).parse::<IpAddr>().ok() == Some(ip))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn js_strings_cannot_end_the_script() {
        assert_eq!(js_string("a\"b"), "\"a\\\"b\"");
        let hostile = js_string("</script><!-- \u{2028} & >");
        assert!(!hostile.contains('<') && !hostile.contains('>') && !hostile.contains('&'));
        assert!(!hostile.contains('\u{2028}'));
        assert_eq!(
            serde_json::from_str::<String>(&hostile).unwrap(),
            "</script><!-- \u{2028} & >"
        );
    }

    #[test]
    fn forms_decode_plus_and_escapes() {
        let pairs = form_pairs("a=1+2&b=%2B%40&c&=x");
        assert_eq!(value_of(&pairs, "a"), Some("1 2"));
        assert_eq!(value_of(&pairs, "b"), Some("+@"));
        assert_eq!(value_of(&pairs, "c"), Some(""));
        assert_eq!(value_of(&pairs, "d"), None);
    }

    #[test]
    fn only_local_http_urls_pass() {
        let allowed = vec!["dev.example".to_string()];
        for good in [
            "http://localhost:8080/app",
            "https://127.0.0.1/x?y#z",
            "http://app.localhost",
            "http://192.168.1.5:3000/",
            "http://[::1]:80/cb",
            "http://dev.example/",
            "http://dev.example./",
            "http://localhost.:5173/",
            "http://127.0.0.1.:80/",
            "http://[::ffff:127.0.0.1]/",
            "http://10.0.0.1:/",
        ] {
            let (_, authority, _) = split_url(good).unwrap();
            assert!(is_local_authority(authority, &allowed), "{good}");
        }
        for bad in [
            "https://evil.example/",
            "http://localhost@evil.example/",
            "http://8.8.8.8/",
            "http://[2001:db8::1]/",
            "http://localhost.evil.example",
            "http://8.8.8.8./",
            "http://8.8.8.8../",
            "http://134744072/",
            "http://0x8.8.8.8/",
            "http://010.0.0.1/",
            "http://127.1/",
            "http://[::ffff:8.8.8.8]/",
            "http://%6cocalhost/",
            "http://localhost:99999/",
            "http://localhost:80:80/",
        ] {
            let (_, authority, _) = split_url(bad).unwrap();
            assert!(!is_local_authority(authority, &allowed), "{bad}");
        }
        for bad in [
            "javascript:alert(1)",
            "//localhost/x",
            "ftp://localhost",
            "http://a b",
            "http://a\\b",
        ] {
            assert!(split_url(bad).is_none(), "{bad}");
        }
    }
}
