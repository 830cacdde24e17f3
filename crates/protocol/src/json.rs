//! awsJson 1.0/1.1: request bodies decoded the way the Coral front end decodes them, responses
//! with `x-amz-crc32` (the CRC32 of the body, which boto3 verifies for DynamoDB and retries on
//! mismatch), and errors as `{"__type": "namespace#Code", "message": …}`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::tree::V;
use crate::Reply;

pub const JSON_1_0: &str = "application/x-amz-json-1.0";
pub const JSON_1_1: &str = "application/x-amz-json-1.1";
/// The namespace of errors the front end raises before a service sees the request.
pub const CORAL: &str = "com.amazon.coral.service";

/// A body the front end could not decode: the service's SerializationException.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerializationError {
    pub message: String,
}

/// Decodes a request body into `T`. An empty body is `{}`. Malformed JSON, or a member of the
/// wrong JSON type, is the front end's SerializationException, before any validation.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, SerializationError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| SerializationError {
        message: if e.is_syntax() || e.is_eof() {
            "Start of structure or map found where not expected.".to_string()
        } else {
            e.to_string()
        },
    })
}

/// A response; `content_type` echoes the request's when it was plain `application/json`, which
/// DynamoDB accepts and answers in kind, or awsJson 1.1 (KMS, Auto Scaling).
pub fn respond(status: u16, body: &Value, content_type: Option<&str>) -> Reply {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let crc = crc32fast::hash(&bytes);
    let ct = match content_type {
        Some("application/json") => "application/json",
        Some(JSON_1_1) => JSON_1_1,
        _ => JSON_1_0,
    };
    Reply::new(status, ct, bytes).with_header("x-amz-crc32", crc.to_string())
}

/// An error in the awsJson envelope: `__type` is `namespace#Code`. Coral leaves `message` out
/// when it has nothing to say (UnknownOperationException, SerializationException on unreadable
/// JSON).
pub fn error(
    status: u16,
    namespace: &str,
    code: &str,
    message: &str,
    content_type: Option<&str>,
) -> Reply {
    let mut body = serde_json::json!({ "__type": format!("{namespace}#{code}") });
    if !message.is_empty() {
        body["message"] = message.into();
    }
    respond(status, &body, content_type)
}

/// A request body as a tree (a JSON object; empty is `{}`); `None` if it is not one.
pub fn decode_tree(body: &[u8]) -> Option<V> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(V::map());
    }
    let j: Value = serde_json::from_slice(body).ok()?;
    match V::from_json(&j) {
        v @ V::Map(_) => Some(v),
        _ => None,
    }
}

/// The JSON of a tree, null members left out.
pub fn tree_json(v: &V) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        V::Map(m) => J::Object(
            m.iter()
                .filter(|(_, x)| *x != V::Null)
                .map(|(k, x)| (k.clone(), tree_json(x)))
                .collect(),
        ),
        V::List(l) => J::Array(l.iter().map(tree_json).collect()),
        other => other.to_json(),
    }
}

pub fn tree_bytes(v: &V) -> Vec<u8> {
    serde_json::to_vec(&tree_json(v)).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Req {
        #[serde(rename = "N")]
        n: Option<i64>,
    }

    #[test]
    fn bodies_decode_as_the_front_end_does() {
        assert_eq!(parse::<Req>(b"").map(|r| r.n), Ok(None));
        assert_eq!(parse::<Req>(br#"{"N": 3}"#).map(|r| r.n), Ok(Some(3)));
        assert_eq!(
            parse::<Req>(b"{").map(|r| r.n),
            Err(SerializationError {
                message: "Start of structure or map found where not expected.".into()
            })
        );
        assert!(parse::<Req>(br#"{"N": "x"}"#).is_err());
    }

    #[test]
    fn replies_carry_the_body_crc() {
        let r = respond(200, &serde_json::json!({}), None);
        assert_eq!(r.content_type, JSON_1_0);
        assert_eq!(
            r.headers,
            vec![("x-amz-crc32", crc32fast::hash(b"{}").to_string())]
        );
        let e = error(400, CORAL, "UnknownOperationException", "", Some(JSON_1_1));
        assert_eq!(e.content_type, JSON_1_1);
        assert_eq!(
            e.body,
            br#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#
        );
    }
}
