//! awsJson 1.0/1.1 responses: JSON bodies, `x-amzn-RequestId`, and `x-amz-crc32` (the CRC32 of
//! the body, which boto3 verifies for DynamoDB and retries on mismatch).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Response, StatusCode};

pub const JSON_1_0: &str = "application/x-amz-json-1.0";
pub const JSON_1_1: &str = "application/x-amz-json-1.1";

/// A response; `content_type` echoes the request's when it was plain `application/json`, which
/// DynamoDB accepts and answers in kind.
pub fn respond(
    status: u16,
    body: &serde_json::Value,
    request_id: &str,
    content_type: Option<&str>,
) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let crc = crc32fast::hash(&bytes);
    let len = bytes.len();
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    // Answer in the JSON flavour the client spoke: awsJson 1.1 (KMS, Auto Scaling), plain JSON.
    let ct = match content_type {
        Some("application/json") => "application/json",
        Some(JSON_1_1) => JSON_1_1,
        _ => JSON_1_0,
    };
    h.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    h.insert("x-amz-crc32", HeaderValue::from(crc));
    resp
}

/// An error body in the awsJson envelope: `__type` is `namespace#Code`.
/// Coral leaves `message` out when it has nothing to say (UnknownOperationException,
/// SerializationException on unreadable JSON).
pub fn error(
    status: u16,
    namespace: &str,
    code: &str,
    message: &str,
    request_id: &str,
    content_type: Option<&str>,
) -> Response<Full<Bytes>> {
    let mut body = serde_json::json!({ "__type": format!("{namespace}#{code}") });
    if !message.is_empty() {
        body["message"] = message.into();
    }
    respond(status, &body, request_id, content_type)
}
