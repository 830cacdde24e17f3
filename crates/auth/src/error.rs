//! Why a request was refused, worded as AWS words it.

use std::fmt;

/// The message DynamoDB returns when the recomputed signature differs from the one sent.
pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
service documentation for details.";

/// The message for a request that carries no SigV4 authentication at all.
pub const MISSING_TOKEN: &str = "Request is missing Authentication Token";

/// The message for an access key id the server does not know.
pub const UNRECOGNIZED_CLIENT: &str = "The security token included in the request is invalid.";

/// The message for temporary credentials used after their expiration.
pub const EXPIRED_TOKEN: &str = "The security token included in the request is expired";

/// A refused request. The variants are the four exceptions DynamoDB answers authentication
/// failures with; the strings carry AWS's own wording (collected from DynamoDB's responses
/// as recorded by dynalite, and from reports of real responses) because SDKs and users match
/// on these texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header and no query-string signature, or a header that is not a
    /// SigV4 one at all (DynamoDB treats anything not starting with `AWS4-` as absent).
    MissingAuthenticationToken,
    /// The header is SigV4 but malformed: a missing parameter, a missing or unreadable date,
    /// an unsupported algorithm or a credential that is not five slash-separated parts.
    IncompleteSignature(String),
    /// The access key id is not one the server was given.
    UnrecognizedClient,
    /// Temporary credentials past their expiration.
    ExpiredToken,
    /// Well formed but wrong: the timestamp is outside the allowed window, `host` is not
    /// signed, the credential scope does not match, or the signature differs.
    InvalidSignature(String),
}

impl AuthError {
    /// The error code for JSON-protocol services such as DynamoDB (the part after `#` in
    /// `com.amazon.coral.service#InvalidSignatureException`).
    pub fn aws_code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
            AuthError::ExpiredToken => "ExpiredTokenException",
        }
    }

    /// The error code the same failure has in AWS query-protocol services (IAM, STS, SQS's
    /// XML API), whose "Common Errors" pages name them differently.
    pub fn query_code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationToken",
            AuthError::IncompleteSignature(_) => "IncompleteSignature",
            AuthError::UnrecognizedClient => "InvalidClientTokenId",
            AuthError::InvalidSignature(_) => "SignatureDoesNotMatch",
            AuthError::ExpiredToken => "ExpiredToken",
        }
    }

    /// The human-readable message, exactly as AWS sends it.
    pub fn message(&self) -> String {
        match self {
            AuthError::MissingAuthenticationToken => MISSING_TOKEN.to_string(),
            AuthError::IncompleteSignature(m) | AuthError::InvalidSignature(m) => m.clone(),
            AuthError::UnrecognizedClient => UNRECOGNIZED_CLIENT.to_string(),
            AuthError::ExpiredToken => EXPIRED_TOKEN.to_string(),
        }
    }

    /// The HTTP status for JSON-protocol services: DynamoDB answers every one of these with
    /// 400 Bad Request (its error-handling guide lists them all as 400-class exceptions,
    /// and real `Signature expired` / `InvalidSignatureException` responses carry 400).
    ///
    /// Other protocols differ: the query-protocol "Common Errors" pages give 403 for
    /// `MissingAuthenticationToken`, `InvalidClientTokenId` and `SignatureDoesNotMatch`
    /// (see [`AuthError::query_http_status`]), and API Gateway-fronted REST services answer
    /// 403 for all of them.
    pub fn http_status(&self) -> u16 {
        400
    }

    /// The HTTP status AWS query-protocol services use for this failure: 400 for
    /// `IncompleteSignature`, 403 for the rest.
    pub fn query_http_status(&self) -> u16 {
        match self {
            AuthError::IncompleteSignature(_) => 400,
            _ => 403,
        }
    }

    pub(crate) fn mismatch() -> AuthError {
        AuthError::InvalidSignature(SIGNATURE_MISMATCH.to_string())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.aws_code(), self.message())
    }
}

impl std::error::Error for AuthError {}
