//! What a request presents as its authentication, from whichever of the two places SigV4
//! allows: the `Authorization` header, or the `X-Amz-*` parameters of a presigned URL.
//!
//! Both end up as the same [`Presented`], so the later checks (clock, `host`, scope, key,
//! signature) are written once.

use crate::canonical::{decode, query_pairs};
use crate::error::AuthError;
use crate::header::{RawAuthorization, ALGORITHM};
use crate::time;
use crate::Request;

/// How far a request's timestamp may be from the server's clock, either way.
pub(crate) const ALLOWED_SKEW_SECONDS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Carrier {
    /// The `Authorization` header; its algorithm is checked late, in AWS's order.
    Header { algorithm: String },
    /// A presigned URL, valid for `X-Amz-Expires` seconds when given.
    Query { expires: Option<i64> },
}

#[derive(Debug, Clone)]
pub(crate) struct Presented {
    pub carrier: Carrier,
    pub credential: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// The request time in Unix seconds.
    pub timestamp: i64,
}

impl Presented {
    /// Finds the authentication and checks it is complete and dated.
    pub fn from_request(req: &Request<'_>) -> Result<Presented, AuthError> {
        let header = req.header("authorization");
        let query_algorithm = query_parameter(req.query, "X-Amz-Algorithm");
        match (header, query_algorithm) {
            (Some(value), None) => Self::from_header(req, value),
            (None, Some(algorithm)) => Self::from_query(req, &algorithm),
            // Signing twice is refused rather than guessing which one counts.
            (Some(_), Some(_)) => Err(AuthError::mismatch()),
            (None, None) => Err(AuthError::MissingAuthenticationToken),
        }
    }

    fn from_header(req: &Request<'_>, value: &str) -> Result<Presented, AuthError> {
        let raw = RawAuthorization::split(value)?;
        let mut missing = raw.missing_parameters();
        // X-Amz-Date wins over Date: SDKs send Date for other reasons and sign X-Amz-Date.
        let date = req.header("x-amz-date").or_else(|| req.header("date"));
        if date.is_none() {
            missing.push(
                "Authorization header requires existence of either a 'X-Amz-Date' or a \
                 'Date' header.",
            );
        }
        if !missing.is_empty() {
            return Err(raw.incomplete(&missing));
        }
        let date = date.unwrap_or_default().trim();
        // A Date header may also use the HTTP date format; X-Amz-Date only the ISO one.
        let timestamp = time::parse_amz_date(date)
            .or_else(|| {
                if req.header("x-amz-date").is_none() {
                    time::parse_http_date(date)
                } else {
                    None
                }
            })
            .ok_or_else(|| not_iso8601(date))?;
        Ok(Presented {
            carrier: Carrier::Header {
                algorithm: raw.algorithm.to_string(),
            },
            credential: raw.credential.unwrap_or_default().to_string(),
            signed_headers: crate::header::signed_header_list(
                raw.signed_headers.unwrap_or_default(),
            ),
            signature: raw.signature.unwrap_or_default().to_string(),
            timestamp,
        })
    }

    fn from_query(req: &Request<'_>, algorithm: &str) -> Result<Presented, AuthError> {
        // For presigned URLs AWS answers an unknown algorithm as if nothing were signed.
        if algorithm != ALGORITHM {
            return Err(AuthError::MissingAuthenticationToken);
        }
        let credential = query_parameter(req.query, "X-Amz-Credential");
        let signature = query_parameter(req.query, "X-Amz-Signature");
        let signed_headers = query_parameter(req.query, "X-Amz-SignedHeaders");
        let date = query_parameter(req.query, "X-Amz-Date");
        let mut message = String::new();
        for (value, name) in [
            (credential.is_none(), "X-Amz-Credential"),
            (signature.is_none(), "X-Amz-Signature"),
            (signed_headers.is_none(), "X-Amz-SignedHeaders"),
            (date.is_none(), "X-Amz-Date"),
        ] {
            if value {
                message.push_str(&format!(
                    "AWS query-string parameters must include '{name}'. "
                ));
            }
        }
        if !message.is_empty() {
            message.push_str("Re-examine the query-string parameters.");
            return Err(AuthError::IncompleteSignature(message));
        }
        let date = date.unwrap_or_default();
        let timestamp = time::parse_amz_date(&date).ok_or_else(|| not_iso8601(&date))?;
        let expires = match query_parameter(req.query, "X-Amz-Expires") {
            None => None,
            Some(text) => Some(text.parse::<u32>().map(i64::from).map_err(|_| {
                AuthError::IncompleteSignature(format!(
                    "X-Amz-Expires must be a non-negative integer number of seconds. \
                             Got '{text}'."
                ))
            })?),
        };
        Ok(Presented {
            carrier: Carrier::Query { expires },
            credential: credential.unwrap_or_default(),
            signed_headers: crate::header::signed_header_list(&signed_headers.unwrap_or_default()),
            signature: signature.unwrap_or_default(),
            timestamp,
        })
    }

    pub fn is_presigned(&self) -> bool {
        matches!(self.carrier, Carrier::Query { .. })
    }

    /// Refuses requests dated more than 15 minutes ahead of `now`, and requests older than
    /// 15 minutes (or, for a presigned URL with `X-Amz-Expires`, older than that), with
    /// AWS's wording, e.g. `Signature expired: 20150830T123600Z is now earlier than
    /// 20150830T124100Z (20150830T125600Z - 15 min.)`.
    pub fn check_freshness(&self, now: i64) -> Result<(), AuthError> {
        let ts = self.timestamp;
        let latest = now.saturating_add(ALLOWED_SKEW_SECONDS);
        if ts > latest {
            return Err(AuthError::InvalidSignature(format!(
                "Signature not yet current: {} is still later than {} ({} + {}.)",
                time::format_amz_date(ts),
                time::format_amz_date(latest),
                time::format_amz_date(now),
                duration_text(ALLOWED_SKEW_SECONDS)
            )));
        }
        let window = match self.carrier {
            Carrier::Query {
                expires: Some(expires),
            } => expires,
            _ => ALLOWED_SKEW_SECONDS,
        };
        let earliest = now.saturating_sub(window);
        if ts < earliest {
            return Err(AuthError::InvalidSignature(format!(
                "Signature expired: {} is now earlier than {} ({} - {}.)",
                time::format_amz_date(ts),
                time::format_amz_date(earliest),
                time::format_amz_date(now),
                duration_text(window)
            )));
        }
        Ok(())
    }

    /// AWS requires `host` to be signed, so a signature cannot be replayed at another host.
    pub fn require_signed_host(&self) -> Result<(), AuthError> {
        if self.signed_headers.iter().any(|h| h == "host") {
            Ok(())
        } else {
            Err(AuthError::InvalidSignature(
                "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_string(),
            ))
        }
    }

    /// In a signed header, AWS requires every header that says what the request does to be
    /// signed when present: the date, the operation (`x-amz-target`) and the body's type. A
    /// signature that leaves `x-amz-target` out could be replayed as another operation.
    pub fn require_signed_headers(&self, req: &Request<'_>) -> Result<(), AuthError> {
        if !matches!(self.carrier, Carrier::Header { .. }) {
            return Ok(());
        }
        for (name, shown) in [
            ("x-amz-date", "X-Amz-Date"),
            ("x-amz-target", "X-Amz-Target"),
            ("content-type", "Content-Type"),
        ] {
            if req.header(name).is_some() && !self.signed_headers.iter().any(|h| h == name) {
                // message unverified: modelled on AWS's message for an unsigned Host
                return Err(AuthError::InvalidSignature(format!(
                    "'{shown}' must be a 'SignedHeader' in the AWS Authorization."
                )));
            }
        }
        Ok(())
    }

    pub fn check_algorithm(&self) -> Result<(), AuthError> {
        match &self.carrier {
            Carrier::Header { algorithm } if algorithm != ALGORITHM => {
                Err(AuthError::IncompleteSignature(format!(
                    "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
                )))
            }
            _ => Ok(()),
        }
    }
}

fn not_iso8601(date: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{date}'. See \
         http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// `15 min` for whole minutes, `90 sec` otherwise.
fn duration_text(seconds: i64) -> String {
    if seconds % 60 == 0 {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} sec")
    }
}

/// The first value of a query parameter, decoded. Names are matched exactly (decoded), as
/// AWS's `X-Amz-*` parameters are case-sensitive.
pub(crate) fn query_parameter(query: &str, name: &str) -> Option<String> {
    query_pairs(query)
        .find(|(n, _)| decode(n) == name.as_bytes())
        .map(|(_, v)| String::from_utf8_lossy(&decode(v)).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presented(carrier: Carrier, amz: &str) -> Presented {
        Presented {
            carrier,
            credential: String::new(),
            signed_headers: vec!["host".into()],
            signature: String::new(),
            timestamp: time::parse_amz_date(amz).unwrap(),
        }
    }

    fn header() -> Carrier {
        Carrier::Header {
            algorithm: ALGORITHM.into(),
        }
    }

    #[test]
    fn fifteen_minutes_either_way_is_fine() {
        let now = time::parse_amz_date("20150830T125600Z").unwrap();
        assert!(presented(header(), "20150830T124100Z")
            .check_freshness(now)
            .is_ok());
        assert!(presented(header(), "20150830T131100Z")
            .check_freshness(now)
            .is_ok());
    }

    #[test]
    fn stale_and_future_messages() {
        let now = time::parse_amz_date("20150830T125600Z").unwrap();
        assert_eq!(
            presented(header(), "20150830T123600Z").check_freshness(now),
            Err(AuthError::InvalidSignature(
                "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z \
                 (20150830T125600Z - 15 min.)"
                    .into()
            ))
        );
        assert_eq!(
            presented(header(), "20150830T131101Z").check_freshness(now),
            Err(AuthError::InvalidSignature(
                "Signature not yet current: 20150830T131101Z is still later than \
                 20150830T131100Z (20150830T125600Z + 15 min.)"
                    .into()
            ))
        );
    }

    #[test]
    fn presigned_urls_last_for_their_expiry() {
        let now = time::parse_amz_date("20150830T133600Z").unwrap();
        let an_hour = Carrier::Query {
            expires: Some(3600),
        };
        assert!(presented(an_hour.clone(), "20150830T123600Z")
            .check_freshness(now)
            .is_ok());
        let err = presented(an_hour, "20150830T123559Z")
            .check_freshness(now)
            .unwrap_err();
        assert_eq!(
            err.message(),
            "Signature expired: 20150830T123559Z is now earlier than 20150830T123600Z \
             (20150830T133600Z - 60 min.)"
        );
        let odd = Carrier::Query { expires: Some(90) };
        let err = presented(odd, "20150830T133000Z")
            .check_freshness(now)
            .unwrap_err();
        assert!(err.message().ends_with("- 90 sec.)"), "{}", err.message());
    }

    #[test]
    fn host_must_be_signed() {
        let mut p = presented(header(), "20150830T123600Z");
        p.signed_headers = vec!["x-amz-date".into()];
        assert_eq!(
            p.require_signed_host().unwrap_err().message(),
            "'Host' must be a 'SignedHeader' in the AWS Authorization."
        );
    }

    #[test]
    fn query_parameters_are_decoded() {
        let q = "X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fiam%2Faws4_request&a=1&a=2";
        assert_eq!(
            query_parameter(q, "X-Amz-Credential").as_deref(),
            Some("AKID/20150830/us-east-1/iam/aws4_request")
        );
        assert_eq!(query_parameter(q, "a").as_deref(), Some("1"));
        assert_eq!(query_parameter(q, "x-amz-credential"), None);
    }
}
