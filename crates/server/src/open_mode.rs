//! Open mode's defence against web pages. Open mode accepts any access key, so a page the user
//! visits must not be able to reach it: by DNS rebinding (its own name resolving to 127.0.0.1,
//! so the browser sends `Host: attacker.example`) or by a cross-site request a browser sends
//! without asking first (a "simple" request: form or text content type, no custom headers).
//!
//! So in open mode a request must name a loopback host (or one given with `--allow-host`), and
//! one a browser could send without a CORS preflight is refused: a simple content type with
//! neither an `Authorization` nor an `X-Amz-Target` header (a browser sets neither without a
//! preflight, which is never answered). Every SDK and Terraform send `Authorization`.

use std::net::IpAddr;

use hyper::HeaderMap;

/// The hosts open mode answers: loopback names and addresses, plus these.
#[derive(Clone, Debug, Default)]
pub struct Allowed {
    pub hosts: Vec<String>,
}

/// Why a request is refused, for the client.
pub fn refusal(allowed: &Allowed, headers: &HeaderMap) -> Option<String> {
    if let Some(why) = foreign_host(allowed, headers) {
        return Some(why);
    }
    let simple = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(is_simple_content_type);
    let unsigned = !headers.contains_key(hyper::header::AUTHORIZATION)
        && !headers.contains_key("x-amz-target");
    if simple && unsigned {
        return Some(
            "A request without an Authorization header must not use a form or text content \
             type in open mode (a web page could send it)"
                .to_string(),
        );
    }
    None
}

/// Why the request's Host is not one this server answers, if it is not: loopback names and
/// addresses, and those given with `--allow-host`.
pub fn foreign_host(allowed: &Allowed, headers: &HeaderMap) -> Option<String> {
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = host_name(host);
    let known = is_loopback(name) || allowed.hosts.iter().any(|h| h.eq_ignore_ascii_case(name));
    (!known).then(|| {
        format!(
            "Host '{host}' is not a loopback address; Dynostack answers only loopback hosts \
             here and those given with --allow-host"
        )
    })
}

/// The host without its port (`[::1]:8000` → `::1`, `localhost:8000` → `localhost`).
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn is_loopback(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The content types a browser sends cross-site without a preflight.
fn is_simple_content_type(ct: &str) -> bool {
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data" | ""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, hyper::header::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn loopback_hosts_pass_and_others_need_allowing() {
        let none = Allowed::default();
        let signed = [("authorization", "AWS4-HMAC-SHA256 ...")];
        for host in [
            "127.0.0.1:8000",
            "localhost",
            "LOCALHOST:1",
            "[::1]:8000",
            "127.8.9.1",
        ] {
            let mut h = headers(&signed);
            h.insert("host", hyper::header::HeaderValue::from_static(host));
            assert_eq!(refusal(&none, &h), None, "{host}");
        }
        let mut h = headers(&signed);
        h.insert(
            "host",
            hyper::header::HeaderValue::from_static("attacker.example"),
        );
        assert!(refusal(&none, &h).is_some());
        let allowed = Allowed {
            hosts: vec!["dynostack.internal".into()],
        };
        h.insert(
            "host",
            hyper::header::HeaderValue::from_static("dynostack.internal:8000"),
        );
        assert_eq!(refusal(&allowed, &h), None);
    }

    #[test]
    fn requests_a_browser_sends_without_preflight_are_refused() {
        let none = Allowed::default();
        let h = headers(&[("host", "127.0.0.1:8000"), ("content-type", "text/plain")]);
        assert!(refusal(&none, &h).is_some());
        let h = headers(&[("host", "127.0.0.1"), ("content-type", "application/cbor")]);
        assert_eq!(
            refusal(&none, &h),
            None,
            "a CBOR content type needs a preflight"
        );
        let h = headers(&[
            ("host", "127.0.0.1"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", "AWS4-HMAC-SHA256 ..."),
        ]);
        assert_eq!(refusal(&none, &h), None, "Terraform's awsQuery is signed");
    }
}
