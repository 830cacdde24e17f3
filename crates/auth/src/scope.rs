//! The credential scope, `AKID/20150830/us-east-1/dynamodb/aws4_request`: who signed, and
//! for which day, region and service the signing key was derived.

use crate::error::AuthError;
use crate::time;

/// The fixed last element of every SigV4 credential scope.
pub const TERMINATOR: &str = "aws4_request";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
}

impl Scope {
    /// Splits a credential into its five parts. Trailing slashes are ignored, as DynamoDB
    /// ignores them; any other count of parts is an `IncompleteSignatureException`.
    pub fn parse(credential: &str) -> Result<Scope, AuthError> {
        let mut parts = credential.trim_end_matches('/').split('/');
        let mut next = || parts.next();
        match (next(), next(), next(), next(), next(), next()) {
            (Some(key), Some(date), Some(region), Some(service), Some(terminator), None) => {
                Ok(Scope {
                    access_key_id: key.to_string(),
                    date: date.to_string(),
                    region: region.to_string(),
                    service: service.to_string(),
                    terminator: terminator.to_string(),
                })
            }
            _ => Err(AuthError::IncompleteSignature(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term, got '{credential}'"
            ))),
        }
    }

    /// Checks the scope against the request's timestamp. All failures are reported at once,
    /// space-separated, as DynamoDB does.
    ///
    /// AWS also insists that the region and service are the endpoint's own. This server
    /// answers for any region, and it routes by the scope's service, so only an empty
    /// region is refused here; callers that pin a region compare [`crate::Verified::region`].
    pub fn check(&self, timestamp: i64) -> Result<(), AuthError> {
        let mut problems = Vec::new();
        if self.region.is_empty() {
            problems.push(format!(
                "Credential should be scoped to a valid region, not '{}'.",
                self.region
            ));
        }
        if self.terminator != TERMINATOR {
            problems.push(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
                self.terminator
            ));
        }
        let expected = time::format_date_stamp(timestamp);
        if self.date != expected {
            problems.push(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of \
                 date from HTTP: '{}' != '{expected}', from '{}'.",
                self.date,
                time::format_amz_date(timestamp)
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AuthError::InvalidSignature(problems.join(" ")))
        }
    }

    /// `date/region/service/aws4_request`, the third line of the string to sign.
    pub fn without_key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(amz: &str) -> i64 {
        time::parse_amz_date(amz).unwrap()
    }

    #[test]
    fn trailing_slashes_are_ignored() {
        let scope = Scope::parse("AKID/20150830/us-east-1/dynamodb/aws4_request//").unwrap();
        assert_eq!(scope.service, "dynamodb");
        assert_eq!(
            scope.without_key(),
            "20150830/us-east-1/dynamodb/aws4_request"
        );
    }

    #[test]
    fn wrong_part_counts_are_incomplete() {
        for credential in ["", "a/b/c/d", "a/b/c/d/e/f"] {
            let err = Scope::parse(credential).unwrap_err();
            assert_eq!(
                err.aws_code(),
                "IncompleteSignatureException",
                "{credential}"
            );
            assert!(err.message().ends_with(&format!("got '{credential}'")));
        }
    }

    #[test]
    fn reports_all_scope_problems_together() {
        let scope = Scope::parse("AKID/b//d/e").unwrap();
        let err = scope.check(at("20130609T095204Z")).unwrap_err();
        assert_eq!(
            err,
            AuthError::InvalidSignature(
                "Credential should be scoped to a valid region, not ''. Credential should be \
                 scoped with a valid terminator: 'aws4_request', not 'e'. Date in Credential \
                 scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != \
                 '20130609', from '20130609T095204Z'."
                    .to_string()
            )
        );
    }

    #[test]
    fn a_matching_scope_passes() {
        let scope = Scope::parse("AKID/20150830/us-east-1/service/aws4_request").unwrap();
        assert_eq!(scope.check(at("20150830T235959Z")), Ok(()));
        assert!(scope.check(at("20150831T000000Z")).is_err());
    }
}
