//! Reading the `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
//! header.
//!
//! The checks are split into steps because AWS interleaves them with checks on the rest of
//! the request (the date header, the clock), and the order decides which message a broken
//! request gets. [`parse_authorization`] runs the header-only steps in that same order.

use crate::error::AuthError;
use crate::scope::Scope;

/// The only algorithm SigV4 (as opposed to SigV4a) defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// A parsed SigV4 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    pub access_key_id: String,
    /// The credential scope's date, `yyyymmdd`.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lowercased, in the order the client listed them.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parses an `Authorization` header value on its own, without the request around it.
///
/// Errors are the ones AWS gives for the header alone: `MissingAuthenticationToken` when
/// it is not a SigV4 header, `IncompleteSignature` for a missing parameter, a parameter
/// without `=`, an unsupported algorithm or a credential that is not
/// `keyid/date/region/service/aws4_request`.
pub fn parse_authorization(value: &str) -> Result<AuthHeader, AuthError> {
    let raw = RawAuthorization::split(value)?;
    let missing = raw.missing_parameters();
    if !missing.is_empty() {
        return Err(raw.incomplete(&missing));
    }
    raw.check_algorithm()?;
    let scope = Scope::parse(raw.credential.unwrap_or_default())?;
    Ok(AuthHeader {
        access_key_id: scope.access_key_id,
        date: scope.date,
        region: scope.region,
        service: scope.service,
        signed_headers: signed_header_list(raw.signed_headers.unwrap_or_default()),
        signature: raw.signature.unwrap_or_default().to_string(),
    })
}

/// The header split into its parameters, nothing validated beyond the syntax.
#[derive(Debug)]
pub(crate) struct RawAuthorization<'a> {
    /// The whole header value, trimmed; AWS quotes it back in some messages.
    pub value: &'a str,
    pub algorithm: &'a str,
    pub credential: Option<&'a str>,
    pub signed_headers: Option<&'a str>,
    pub signature: Option<&'a str>,
}

impl<'a> RawAuthorization<'a> {
    /// Splits the header into `key=value` parameters.
    ///
    /// Parameters are separated by commas and/or whitespace, which is why a stray space in a
    /// credential makes AWS complain about the fragment after it lacking an `=`. Unknown keys
    /// are ignored and the last occurrence of a key wins, as AWS does.
    pub fn split(value: &'a str) -> Result<Self, AuthError> {
        let value = value.trim();
        // DynamoDB answers a header that is not SigV4 at all (`Bearer …`, SigV2 `AWS …`) as if
        // there were no header: "Request is missing Authentication Token".
        if !value.starts_with("AWS4-") {
            return Err(AuthError::MissingAuthenticationToken);
        }
        let (algorithm, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((value, ""));
        let mut raw = RawAuthorization {
            value,
            algorithm,
            credential: None,
            signed_headers: None,
            signature: None,
        };
        let tokens = rest
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|t| !t.is_empty());
        for token in tokens {
            let Some((key, val)) = token.split_once('=') else {
                return Err(AuthError::IncompleteSignature(format!(
                    "'{token}' not a valid key=value pair (missing equal-sign) in \
                     Authorization header: '{value}'."
                )));
            };
            match key {
                "Credential" => raw.credential = Some(val),
                "SignedHeaders" => raw.signed_headers = Some(val),
                "Signature" => raw.signature = Some(val),
                _ => {}
            }
        }
        Ok(raw)
    }

    /// AWS's sentences for each absent parameter, in AWS's order. Only absence counts: an
    /// empty `SignedHeaders=` or `Signature=` passes here and fails a later check.
    pub fn missing_parameters(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.credential.is_none() {
            missing.push("Authorization header requires 'Credential' parameter.");
        }
        if self.signature.is_none() {
            missing.push("Authorization header requires 'Signature' parameter.");
        }
        if self.signed_headers.is_none() {
            missing.push("Authorization header requires 'SignedHeaders' parameter.");
        }
        missing
    }

    /// The `IncompleteSignatureException` for missing parts: the sentences followed by the
    /// header AWS received, e.g. `… requires 'Signature' parameter. Authorization=AWS4-…`.
    pub fn incomplete(&self, missing: &[&str]) -> AuthError {
        let mut message = String::new();
        for sentence in missing {
            message.push_str(sentence);
            message.push(' ');
        }
        message.push_str("Authorization=");
        message.push_str(self.value);
        AuthError::IncompleteSignature(message)
    }

    pub fn check_algorithm(&self) -> Result<(), AuthError> {
        if self.algorithm == ALGORITHM {
            Ok(())
        } else {
            // The trailing space is part of the message DynamoDB sends.
            Err(AuthError::IncompleteSignature(format!(
                "Unsupported AWS 'algorithm': '{}' (only {ALGORITHM} for now). ",
                self.algorithm
            )))
        }
    }
}

/// `host;x-amz-date` as a list of lowercase names. Names are compared case-insensitively
/// when looking headers up, and the canonical request uses lowercase, so lowercasing here
/// makes a client that lists `Host` sign the same bytes as one that lists `host`.
pub(crate) fn signed_header_list(text: &str) -> Vec<String> {
    text.split(';')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    #[test]
    fn parses_a_well_formed_header() {
        let parsed = parse_authorization(GOOD).unwrap();
        assert_eq!(
            parsed,
            AuthHeader {
                access_key_id: "AKIDEXAMPLE".into(),
                date: "20150830".into(),
                region: "us-east-1".into(),
                service: "service".into(),
                signed_headers: vec!["host".into(), "x-amz-date".into()],
                signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                    .into(),
            }
        );
    }

    #[test]
    fn separators_may_be_commas_spaces_or_both() {
        let squeezed = "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request,SignedHeaders=host,Signature=ab";
        let spaced = "  AWS4-HMAC-SHA256\tCredential=A/20150830/r/s/aws4_request  SignedHeaders=host Signature=ab  ";
        let a = parse_authorization(squeezed).unwrap();
        let b = parse_authorization(spaced).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.signature, "ab");
    }

    #[test]
    fn non_sigv4_headers_count_as_missing() {
        for value in [
            "",
            "Bearer abc",
            "AWS AKID:signature",
            "aws4-hmac-sha256 Credential=x",
        ] {
            assert_eq!(
                parse_authorization(value),
                Err(AuthError::MissingAuthenticationToken),
                "{value}"
            );
        }
    }

    #[test]
    fn lists_every_missing_parameter() {
        let err = parse_authorization("AWS4-HMAC-SHA256").unwrap_err();
        assert_eq!(
            err.message(),
            "Authorization header requires 'Credential' parameter. Authorization header \
             requires 'Signature' parameter. Authorization header requires 'SignedHeaders' \
             parameter. Authorization=AWS4-HMAC-SHA256"
        );
        let err = parse_authorization("AWS4-HMAC-SHA256 Credential=ABCDEF").unwrap_err();
        assert_eq!(
            err.message(),
            "Authorization header requires 'Signature' parameter. Authorization header \
             requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF"
        );
        assert_eq!(err.aws_code(), "IncompleteSignatureException");
    }

    #[test]
    fn a_fragment_without_equals_is_named() {
        let value = "AWS4-HMAC-SHA256 Credential=AKID /20210706/us-east-2/dynamodb/aws4_request, SignedHeaders=host, Signature=ab";
        let err = parse_authorization(value).unwrap_err();
        assert_eq!(
            err,
            AuthError::IncompleteSignature(format!(
                "'/20210706/us-east-2/dynamodb/aws4_request' not a valid key=value pair \
                 (missing equal-sign) in Authorization header: '{value}'."
            ))
        );
    }

    #[test]
    fn refuses_other_algorithms() {
        let value = GOOD.replacen("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA25", 1);
        assert_eq!(
            parse_authorization(&value).unwrap_err().message(),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "
        );
    }

    #[test]
    fn refuses_short_credentials() {
        let value = GOOD.replacen(
            "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
            "a/b/c/d",
            1,
        );
        assert_eq!(
            parse_authorization(&value).unwrap_err().message(),
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got 'a/b/c/d'"
        );
    }

    #[test]
    fn empty_values_are_present_but_empty() {
        let value =
            "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=, Signature=";
        let parsed = parse_authorization(value).unwrap();
        assert!(parsed.signed_headers.is_empty());
        assert_eq!(parsed.signature, "");
    }

    #[test]
    fn signed_header_names_are_lowercased() {
        assert_eq!(
            signed_header_list("Host;X-Amz-Date;;"),
            vec!["host".to_string(), "x-amz-date".to_string()]
        );
    }
}
