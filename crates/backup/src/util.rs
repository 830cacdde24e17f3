//! Small helpers without I/O: identifiers, percent-decoding, query strings, paging
//! tokens and JSON member access with AWS Backup's validation errors.

use serde_json::{Map, Value};

use crate::error::BackupError;

/// A random (version 4) UUID, lower-case, as AWS Backup's plan, rule and selection ids.
pub fn uuid4() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A plan VersionId: AWS's are the base64 of a UUID string (48 characters).
pub fn version_id() -> String {
    base64(uuid4().as_bytes())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            if n > 1 { chunk[1] } else { 0 },
            if n > 2 { chunk[2] } else { 0 },
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= n {
                out.push(A[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-decodes one path segment or query component.
pub fn decode(s: &str) -> Result<String, BackupError> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| BackupError::invalid("Invalid UTF-8 in the request URI"))
}

/// The query string as decoded (name, value) pairs.
pub fn parse_query(query: &str) -> Result<Vec<(String, String)>, BackupError> {
    let mut out = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        // Form encoding: '+' is a space (Go's SDK encodes spaces so); a literal '+' is %2B.
        let plus = |s: &str| s.replace('+', " ");
        out.push((decode(&plus(k))?, decode(&plus(v))?));
    }
    Ok(out)
}

/// A date filter of the query string: epoch seconds, or ISO 8601 as botocore sends them.
pub fn date_query(q: &[(String, String)], name: &str) -> Result<Option<f64>, BackupError> {
    query_get(q, name)
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .or_else(|| clock::parse_date_time(s))
                .ok_or_else(|| BackupError::invalid(format!("Invalid {name}: {s}")))
        })
        .transpose()
}

pub fn query_get<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `maxResults` (1..=1000, as the model bounds it) and the decoded `nextToken`.
pub struct Page {
    pub max: usize,
    pub after: Option<String>,
}

pub fn page(q: &[(String, String)]) -> Result<Page, BackupError> {
    let max = match query_get(q, "maxResults") {
        None => 1000,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(BackupError::invalid(format!(
                    "MaxResults must be between 1 and 1000, got {s}"
                )))
            }
        },
    };
    let after = match query_get(q, "nextToken") {
        None | Some("") => None,
        Some(t) => Some(
            unhex(t)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| BackupError::invalid("Invalid NextToken"))?,
        ),
    };
    Ok(Page { max, after })
}

/// Takes one page from `items` (sorted by `key`) and the token for the next one.
pub fn take_page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    page: &Page,
) -> (Vec<T>, Option<String>) {
    let mut out = Vec::new();
    let mut next = None;
    for item in items {
        if let Some(after) = &page.after {
            if key(&item) <= *after {
                continue;
            }
        }
        if out.len() == page.max {
            next = out.last().map(|last| hex(key(last).as_bytes()));
            break;
        }
        out.push(item);
    }
    (out, next)
}

/// The request body as a JSON object (an empty body is `{}`).
pub fn body_object(body: &[u8]) -> Result<Map<String, Value>, BackupError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(BackupError::new(
            crate::error::ErrorCode::Serialization,
            "Request body is not a valid JSON object",
        )),
    }
}

pub fn opt_str<'a>(m: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, BackupError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(BackupError::invalid(format!("{name} must be a string"))),
    }
}

pub fn req_str<'a>(m: &'a Map<String, Value>, name: &str) -> Result<&'a str, BackupError> {
    match opt_str(m, name)? {
        Some(s) => Ok(s),
        None => Err(BackupError::missing(name)),
    }
}

pub fn opt_i64(m: &Map<String, Value>, name: &str) -> Result<Option<i64>, BackupError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| BackupError::invalid(format!("{name} must be an integer"))),
    }
}

pub fn opt_object<'a>(
    m: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Map<String, Value>>, BackupError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(BackupError::invalid(format!("{name} must be an object"))),
    }
}

/// A `Tags` map: string keys to string values.
pub fn tags(
    m: &Map<String, Value>,
    name: &str,
) -> Result<std::collections::BTreeMap<String, String>, BackupError> {
    let mut out = std::collections::BTreeMap::new();
    if let Some(o) = opt_object(m, name)? {
        for (k, v) in o {
            match v {
                Value::String(s) => {
                    out.insert(k.clone(), s.clone());
                }
                _ => {
                    return Err(BackupError::invalid(format!(
                        "{name} values must be strings"
                    )))
                }
            }
        }
    }
    Ok(out)
}

/// Whether `s` is 1..=max characters of `[A-Za-z0-9_-]` plus `extra`.
pub fn valid_name(s: &str, min: usize, max: usize, extra: &[char]) -> bool {
    (min..=max).contains(&s.chars().count())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || extra.contains(&c))
}

/// The members a backup job and a recovery point share: the vault it is in and the DynamoDB
/// resource it protects, with the role that acts.
pub fn place(m: &mut Map<String, Value>, vault: (&str, &str), resource: (&str, &str), role: &str) {
    m.insert("BackupVaultName".into(), Value::from(vault.0));
    m.insert("BackupVaultArn".into(), Value::from(vault.1));
    m.insert("VaultType".into(), Value::from("BACKUP_VAULT"));
    m.insert("ResourceArn".into(), Value::from(resource.0));
    m.insert("ResourceName".into(), Value::from(resource.1));
    m.insert("ResourceType".into(), Value::from("DynamoDB"));
    m.insert("IamRoleArn".into(), Value::from(role));
}

/// A timestamp as AWS Backup's JSON renders it: epoch seconds, milliseconds as the fraction.
pub fn ts(t: f64) -> Value {
    serde_json::Number::from_f64(t).map_or(Value::Null, Value::Number)
}
