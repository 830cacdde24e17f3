//! AWS Signature Version 4 verification.
//!
//! The server hands in a request as it arrived ([`Request`]) and gets back who signed it
//! ([`Verified`]) or the exact error AWS would have answered ([`AuthError`]). Two modes:
//!
//! * [`Mode::Open`], like DynamoDB Local: any access key is accepted and neither the clock
//!   nor the signature is checked, but the request must still carry a well-formed SigV4
//!   `Authorization` header (or presigned query), because SDKs always send one and a
//!   request without one is answered with `MissingAuthenticationTokenException` by both
//!   DynamoDB and DynamoDB Local.
//! * [`Mode::Enforced`]: full verification against a set of [`Credentials`], in the order
//!   DynamoDB performs its checks, so a request broken in several ways gets the same error
//!   it would get from AWS: completeness, date format, clock skew, `host` signed,
//!   algorithm, credential scope, access key, signature.
//!
//! Architecture invariant: no I/O and no clock reads; the caller passes `now`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod canonical;
mod credentials;
mod error;
mod header;
mod presented;
mod scope;
pub mod signing;
pub mod time;

use std::time::SystemTime;

pub use credentials::Credentials;
pub use error::{AuthError, EXPIRED_TOKEN, MISSING_TOKEN, SIGNATURE_MISMATCH, UNRECOGNIZED_CLIENT};
pub use header::{parse_authorization, AuthHeader, ALGORITHM};

use header::RawAuthorization;
use presented::{query_parameter, Presented};
use scope::Scope;

/// What the server hands in: the request as it arrived on the wire.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// Raw path as sent, still percent-encoded, e.g. `/` or `/backup-vaults/my%20vault`.
    pub path: &'a str,
    /// Raw query string without `?`, may be empty.
    pub query: &'a str,
    /// Header names in any case, values raw; a header may repeat. Over HTTP/2 pass the
    /// `:authority` as `host`, which is what the SDKs sign.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// The first value of a header, looked up case-insensitively.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// What the server knows of an access key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// No such key, or one no longer usable (an inactive user key).
    Unknown,
    /// Temporary credentials past their expiration on the installation's clock.
    Expired,
    /// A usable key; temporary ones name the session token the request must carry.
    Known {
        secret: String,
        token: Option<String>,
    },
}

/// Where an enforcing server looks up access keys: the credentials file, IAM's users, STS's
/// sessions.
pub trait Keys {
    fn key(&self, access_key_id: &str) -> Key;
}

impl Keys for Credentials {
    fn key(&self, access_key_id: &str) -> Key {
        match self.secret(access_key_id) {
            Some(secret) => Key::Known {
                secret: secret.to_string(),
                token: None,
            },
            None => Key::Unknown,
        }
    }
}

/// How strictly requests are checked.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Well-formedness only: any access key, no clock or signature check.
    Open,
    /// Full SigV4 verification against these keys.
    Enforced(Credentials),
}

/// Who signed an accepted request, and for which region and service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key_id: String,
    pub region: String,
    pub service: String,
}

/// Verifies a request's SigV4 authentication (see the crate docs for the two modes).
///
/// In open mode the header must be present and well formed — complete, dated, `host`
/// signed, the right algorithm, a five-part credential whose date matches the request's —
/// but the access key, the clock skew and the signature are not checked.
///
/// A `x-amz-content-sha256` header holding a hex digest must match the body: the payload
/// line of the canonical request is taken from that header, so without this check a body
/// could be swapped under a valid signature. Non-digest values (`UNSIGNED-PAYLOAD`,
/// `STREAMING-…`) are signed as sent; chunk signatures of streaming uploads are not checked.
///
/// In enforced mode the keys are the credentials file's; [`verify_keys`] looks them up
/// elsewhere too.
pub fn verify(req: &Request<'_>, mode: &Mode, now: SystemTime) -> Result<Verified, AuthError> {
    match mode {
        Mode::Open => check(req, None, now),
        Mode::Enforced(credentials) => check(req, Some(credentials), now),
    }
}

/// Full verification (enforced mode) against `keys`. Temporary credentials must carry their
/// session token in `X-Amz-Security-Token` (header, or query of a presigned URL).
pub fn verify_keys(
    req: &Request<'_>,
    keys: &dyn Keys,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    check(req, Some(keys), now)
}

fn check(
    req: &Request<'_>,
    keys: Option<&dyn Keys>,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let presented = Presented::from_request(req)?;
    if keys.is_some() {
        presented.check_freshness(time::unix_seconds(now))?;
    }
    presented.require_signed_host()?;
    presented.check_algorithm()?;
    let scope = Scope::parse(&presented.credential)?;
    scope.check(presented.timestamp)?;
    let Some(keys) = keys else {
        return Ok(Verified {
            access_key_id: scope.access_key_id,
            region: scope.region,
            service: scope.service,
        });
    };
    let (secret, token) = match keys.key(&scope.access_key_id) {
        Key::Unknown => return Err(AuthError::UnrecognizedClient),
        Key::Expired => return Err(AuthError::ExpiredToken),
        Key::Known { secret, token } => (secret, token),
    };
    // Temporary credentials are only good with their token. A token sent with a long-term
    // key is signed like any header and otherwise ignored (the SigV4 test suite signs one).
    if let Some(token) = token {
        let sent = req
            .header("x-amz-security-token")
            .map(str::to_string)
            .or_else(|| query_parameter(req.query, "X-Amz-Security-Token"));
        let matches = sent
            .as_deref()
            .is_some_and(|sent| signing::signatures_match(&token, sent.trim()));
        if !matches {
            return Err(AuthError::UnrecognizedClient);
        }
    }
    presented.require_signed_headers(req)?;
    check_declared_payload_hash(req)?;
    let canonical_request = canonical::build(
        req,
        &presented.signed_headers,
        &scope.service,
        presented.is_presigned(),
    );
    let string_to_sign = signing::string_to_sign(
        &time::format_amz_date(presented.timestamp),
        &scope.without_key(),
        &canonical_request,
    );
    let key = signing::signing_key(&secret, &scope.date, &scope.region, &scope.service);
    let expected = signing::signature(&key, &string_to_sign);
    if signing::signatures_match(&expected, &presented.signature) {
        Ok(Verified {
            access_key_id: scope.access_key_id,
            region: scope.region,
            service: scope.service,
        })
    } else {
        Err(AuthError::mismatch())
    }
}

/// The service named in the credential scope (`…/us-east-1/dynamodb/aws4_request` →
/// `dynamodb`), from the `Authorization` header or a presigned URL's `X-Amz-Credential`.
/// The server routes by this before verifying; `None` when there is no readable scope, in
/// which case [`verify`] will explain what is wrong.
pub fn service_of(req: &Request<'_>) -> Option<String> {
    let credential = match req.header("authorization") {
        Some(value) => RawAuthorization::split(value).ok()?.credential?.to_string(),
        None => query_parameter(req.query, "X-Amz-Credential")?,
    };
    Scope::parse(&credential).ok().map(|scope| scope.service)
}

/// Signs a request the way the SDKs do and returns the `Authorization` header value; for
/// tests and tools that need to talk to an enforcing server.
///
/// The request must already carry its `host` and `x-amz-date` (or `date`) headers. Every
/// header present except `authorization` is signed.
pub fn sign(
    req: &Request<'_>,
    access_key_id: &str,
    secret_access_key: &str,
    region: &str,
    service: &str,
) -> Result<String, AuthError> {
    let date = req
        .header("x-amz-date")
        .or_else(|| req.header("date"))
        .ok_or_else(|| {
            AuthError::IncompleteSignature(
                "Authorization header requires existence of either a 'X-Amz-Date' or a \
                 'Date' header."
                    .to_string(),
            )
        })?
        .trim();
    let timestamp = time::parse_amz_date(date)
        .or_else(|| time::parse_http_date(date))
        .ok_or_else(|| {
            AuthError::IncompleteSignature(format!(
                "Date must be in ISO-8601 'basic format'. Got '{date}'."
            ))
        })?;
    let mut signed_headers: Vec<String> = req
        .headers
        .iter()
        .map(|(name, _)| name.trim().to_ascii_lowercase())
        .filter(|name| name != "authorization")
        .collect();
    signed_headers.sort();
    signed_headers.dedup();
    let day = time::format_date_stamp(timestamp);
    let scope = format!("{day}/{region}/{service}/{}", scope::TERMINATOR);
    let canonical_request = canonical::canonical_request(req, &signed_headers, service);
    let string_to_sign = signing::string_to_sign(
        &time::format_amz_date(timestamp),
        &scope,
        &canonical_request,
    );
    let key = signing::signing_key(secret_access_key, &day, region, service);
    Ok(format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={}",
        signed_headers.join(";"),
        signing::signature(&key, &string_to_sign)
    ))
}

/// A hex `x-amz-content-sha256` is a claim about the body; hold the client to it.
fn check_declared_payload_hash(req: &Request<'_>) -> Result<(), AuthError> {
    let Some(declared) = req.header("x-amz-content-sha256") else {
        return Ok(());
    };
    let declared = declared.trim();
    let is_digest = declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit());
    if is_digest && !declared.eq_ignore_ascii_case(&signing::sha256_hex(req.body)) {
        return Err(AuthError::mismatch());
    }
    Ok(())
}
