//! The canonical request: the byte string both sides hash, rebuilt here from the request as
//! it arrived (AWS General Reference, "Create a canonical request").
//!
//! ```text
//! METHOD
//! canonical URI
//! canonical query string
//! canonical headers (one `name:value` line each)
//!
//! signed headers
//! hashed payload
//! ```

use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::signing::sha256_hex;
use crate::Request;

/// Everything except RFC 3986's unreserved characters is percent-encoded, with uppercase
/// hex digits; spaces become `%20`, never `+`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The query parameter that carries a presigned URL's signature and so cannot be signed.
pub(crate) const SIGNATURE_PARAMETER: &str = "X-Amz-Signature";

/// Builds the canonical request for a request authenticated by its `Authorization` header.
///
/// `signed_headers` are the names from the header's `SignedHeaders` (lowercase); `service`
/// is the credential scope's service, which decides how the path is canonicalized.
pub fn canonical_request(req: &Request<'_>, signed_headers: &[String], service: &str) -> String {
    build(req, signed_headers, service, false)
}

pub(crate) fn build(
    req: &Request<'_>,
    signed_headers: &[String],
    service: &str,
    presigned: bool,
) -> String {
    let mut out = String::new();
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path, service));
    out.push('\n');
    out.push_str(&canonical_query(req.query, presigned));
    out.push('\n');
    out.push_str(&canonical_headers(req.headers, signed_headers));
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(&payload_hash(req, service, presigned));
    out
}

/// The path as the SDKs canonicalize it.
///
/// For every service but S3 the SDKs first normalize the path (drop empty and `.` segments,
/// resolve `..`, keep a trailing slash) and then URI-encode each segment of the path *as sent*
/// — which is already percent-encoded, so `/my%20vault` is signed as `/my%2520vault`. S3
/// signs the path exactly as sent. An empty path is `/`.
pub fn canonical_uri(path: &str, service: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    if service == "s3" {
        return path.to_string();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let mut out = String::new();
    if path.starts_with('/') {
        out.push('/');
    }
    let encoded: Vec<String> = segments
        .iter()
        .map(|s| percent_encode(s.as_bytes(), UNRESERVED).to_string())
        .collect();
    out.push_str(&encoded.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The query string with every name and value decoded and re-encoded in SigV4's one spelling,
/// sorted by name and then value; a parameter without `=` gets an empty value (`key=`).
///
/// Re-encoding makes `a%2fb` and `a%2Fb` (or a raw `ሴ`) sign alike, as they do for the
/// client, which encodes from the unencoded value. `+` is taken literally, not as a space:
/// the SDKs never send a raw `+` (they write `%2B` or `%20`), so a raw one was meant as `+`.
pub fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(query)
        .filter(|(name, _)| !(presigned && decode(name) == SIGNATURE_PARAMETER.as_bytes()))
        .map(|(name, value)| (reencode(name), reencode(value)))
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    joined.join("&")
}

/// One `name:value\n` line per signed header. Values are trimmed and inner runs of
/// whitespace collapse to one space; a header sent several times is listed once with its
/// values joined by commas in the order they arrived. A signed header the request lacks
/// gets an empty value, so the signature simply fails to match.
pub fn canonical_headers(headers: &[(&str, &str)], signed_headers: &[String]) -> String {
    let mut out = String::new();
    for name in signed_headers {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// The last line of the canonical request: the `x-amz-content-sha256` header's value when
/// the client sent one (S3's `UNSIGNED-PAYLOAD` and `STREAMING-…` markers included), else
/// the hex SHA-256 of the body. Presigned S3 URLs without that header sign
/// `UNSIGNED-PAYLOAD`, because the URL is made before any body exists.
pub fn payload_hash(req: &Request<'_>, service: &str, presigned: bool) -> String {
    if let Some(declared) = req.header("x-amz-content-sha256") {
        return declared.trim().to_string();
    }
    if presigned && service == "s3" {
        return "UNSIGNED-PAYLOAD".to_string();
    }
    sha256_hex(req.body)
}

/// The raw `name=value` pairs of a query string, still encoded, empty pieces skipped.
pub(crate) fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| piece.split_once('=').unwrap_or((piece, "")))
}

/// Percent-decodes to bytes. A `%` not followed by two hex digits stays a literal `%`.
pub(crate) fn decode(text: &str) -> Vec<u8> {
    percent_decode_str(text).collect()
}

fn reencode(text: &str) -> String {
    percent_encode(&decode(text), UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_normalization_matches_the_sdks() {
        for (path, expected) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/..", "/"),
            ("//example//", "/example/"),
            ("/./example", "/example"),
            ("/a/b/../c/", "/a/c/"),
            ("/example space/", "/example%20space/"),
            ("/-._~0123456789AZaz", "/-._~0123456789AZaz"),
        ] {
            assert_eq!(canonical_uri(path, "dynamodb"), expected, "{path}");
        }
    }

    #[test]
    fn non_s3_paths_are_encoded_twice() {
        assert_eq!(
            canonical_uri("/backup-vaults/my%20vault", "backup"),
            "/backup-vaults/my%2520vault"
        );
        assert_eq!(canonical_uri("/%E1%88%B4", "host"), "/%25E1%2588%25B4");
    }

    #[test]
    fn s3_paths_are_signed_as_sent() {
        assert_eq!(
            canonical_uri("/bucket/a%20b//c/../d", "s3"),
            "/bucket/a%20b//c/../d"
        );
        assert_eq!(canonical_uri("", "s3"), "/");
    }

    #[test]
    fn query_is_sorted_and_reencoded() {
        assert_eq!(
            canonical_query("Param2=value2&Param1=value1", false),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(
            canonical_query("Param1=value2&Param1=Value1", false),
            "Param1=Value1&Param1=value2"
        );
        assert_eq!(canonical_query("a=x%2fy&b", false), "a=x%2Fy&b=");
        assert_eq!(canonical_query("k=a b+c", false), "k=a%20b%2Bc");
        assert_eq!(canonical_query("ሴ=bar", false), "%E1%88%B4=bar");
        assert_eq!(canonical_query("&&x=1&", false), "x=1");
        assert_eq!(canonical_query("bad=%zz", false), "bad=%25zz");
        assert_eq!(canonical_query("", false), "");
    }

    #[test]
    fn presigned_queries_leave_out_the_signature() {
        let query = "X-Amz-Signature=abc&Action=ListUsers&X-Amz-Date=20150830T123600Z";
        assert_eq!(
            canonical_query(query, true),
            "Action=ListUsers&X-Amz-Date=20150830T123600Z"
        );
        assert!(canonical_query(query, false).contains("X-Amz-Signature=abc"));
    }

    #[test]
    fn headers_are_trimmed_collapsed_and_joined() {
        let headers = [
            ("Host", "example.amazonaws.com"),
            ("My-Header1", "  value2 "),
            ("my-header1", "a   b\t c"),
            ("Unsigned", "x"),
        ];
        let signed = vec![
            "host".to_string(),
            "my-header1".to_string(),
            "absent".to_string(),
        ];
        assert_eq!(
            canonical_headers(&headers, &signed),
            "host:example.amazonaws.com\nmy-header1:value2,a b c\nabsent:\n"
        );
    }
}
