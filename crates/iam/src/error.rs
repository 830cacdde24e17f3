//! IAM's errors: code, message and HTTP status as AWS sends them. The server renders them as
//! `<ErrorResponse><Error><Type>Sender</Type>…` (Type `Receiver` for 5xx).

use std::fmt;

use store::StoreError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IamError {
    pub code: String,
    pub message: String,
    pub status: u16,
}

impl IamError {
    /// Messages echo client input; characters XML 1.0 cannot carry become U+FFFD so that the
    /// error document stays well-formed.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> IamError {
        let message: String = message
            .into()
            .chars()
            .map(|c| {
                if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
        IamError {
            code: code.to_string(),
            message,
            status,
        }
    }

    /// `Sender` for client errors, `Receiver` for server errors (the awsQuery `<Type>`).
    pub fn kind(&self) -> &'static str {
        if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }

    pub(crate) fn no_such_entity(message: impl Into<String>) -> IamError {
        IamError::new(404, "NoSuchEntity", message)
    }

    pub(crate) fn policy_not_found(arn: &str) -> IamError {
        IamError::no_such_entity(format!("Policy {arn} was not found."))
    }

    pub(crate) fn version_not_found(arn: &str, version: &str) -> IamError {
        IamError::no_such_entity(format!(
            "Policy {arn} version {version} does not exist or is not attachable."
        ))
    }

    pub(crate) fn entity_exists(message: impl Into<String>) -> IamError {
        IamError::new(409, "EntityAlreadyExists", message)
    }

    pub(crate) fn delete_conflict(message: impl Into<String>) -> IamError {
        IamError::new(409, "DeleteConflict", message)
    }

    pub(crate) fn limit_exceeded(message: impl Into<String>) -> IamError {
        IamError::new(409, "LimitExceeded", message)
    }

    pub(crate) fn malformed(message: impl Into<String>) -> IamError {
        IamError::new(400, "MalformedPolicyDocument", message)
    }

    pub(crate) fn validation(message: impl Into<String>) -> IamError {
        IamError::new(400, "ValidationError", message)
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> IamError {
        IamError::new(400, "InvalidInput", message)
    }

    /// A storage failure, logged; the client sees only IAM's `ServiceFailure`.
    pub(crate) fn internal(e: &StoreError) -> IamError {
        if e.is_disk_full() {
            return IamError::new(500, "ServiceFailure", store::DISK_FULL_MESSAGE);
        }
        tracing::error!(error = %e, "iam: storage failure");
        IamError::new(
            500,
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for IamError {}

/// What an internal step can fail with: an answer for the client, or the store.
#[derive(Debug)]
pub(crate) enum Fail {
    Iam(IamError),
    Store(StoreError),
}

impl From<IamError> for Fail {
    fn from(e: IamError) -> Fail {
        Fail::Iam(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        Fail::Store(e)
    }
}

impl From<Fail> for IamError {
    fn from(f: Fail) -> IamError {
        match f {
            Fail::Iam(e) => e,
            Fail::Store(e) => IamError::internal(&e),
        }
    }
}

impl protocol::AwsError for IamError {
    fn aws_code(&self) -> &str {
        &self.code
    }

    fn http_status(&self) -> u16 {
        self.status
    }

    fn message(&self) -> &str {
        &self.message
    }

    fn json_body(&self) -> serde_json::Value {
        serde_json::json!({ "__type": self.code, "message": self.message })
    }
}

impl From<StoreError> for IamError {
    fn from(e: StoreError) -> IamError {
        IamError::internal(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_stay_xml_safe() {
        let e =
            IamError::no_such_entity(format!("The role with name {} cannot be found.", "a\u{1}b"));
        assert_eq!(e.message, "The role with name a\u{fffd}b cannot be found.");
        assert_eq!(e.kind(), "Sender");
        assert_eq!(IamError::internal(&StoreError::Closed).kind(), "Receiver");
    }
}
