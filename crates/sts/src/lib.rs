//! AWS Security Token Service, the part the stack needs: GetCallerIdentity, which Terraform's
//! `aws_caller_identity` and every SDK's account lookup call. Requests arrive in the awsQuery
//! protocol; this crate sees only the action and its parameters and answers the inner XML of
//! `<{Action}Result>`, leaving framing to the server's protocol layer.
//!
//! Every caller is the installation's account root: Dynostack has no IAM users yet.

/// The namespace STS's XML responses carry.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An STS error: its code, message and HTTP status (awsQuery renders `<Error>` with them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsError {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
}

protocol::operations!("sts"; GetCallerIdentity);

/// The STS service of one installation.
pub struct Sts {
    account_id: String,
}

impl Sts {
    pub fn new(account_id: String) -> Sts {
        Sts { account_id }
    }
}

impl protocol::AwsError for StsError {
    fn aws_code(&self) -> &str {
        self.code
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

impl protocol::Service for Sts {
    type Operation = Operation;
    type Output = protocol::QueryResult;
    type Error = StsError;
    const XMLNS: &'static str = XMLNS;

    fn operation(&self, req: &protocol::Request<'_>) -> Result<Operation, StsError> {
        let name = req.name.unwrap_or_default();
        Operation::from_name(name).ok_or_else(|| unknown_action(name))
    }

    async fn call<'a>(
        &'a self,
        op: Operation,
        _req: &'a protocol::Request<'a>,
    ) -> Result<protocol::QueryResult, StsError> {
        match op {
            Operation::GetCallerIdentity => {
                Ok(protocol::QueryResult(caller_identity(&self.account_id)))
            }
        }
    }
}

fn caller_identity(account_id: &str) -> String {
    format!(
        "<Arn>arn:aws:iam::{account_id}:root</Arn><UserId>{account_id}</UserId><Account>{account_id}</Account>"
    )
}

fn unknown_action(action: &str) -> StsError {
    StsError {
        code: "InvalidAction",
        message: format!("Could not find operation {action} for version 2011-06-15"),
        status: 400,
    }
}

/// Runs `action`; returns the XML inside `<{action}Result>`.
pub fn call(
    action: &str,
    _params: &[(String, String)],
    account_id: &str,
) -> Result<String, StsError> {
    match Operation::from_name(action) {
        Some(Operation::GetCallerIdentity) => Ok(caller_identity(account_id)),
        None => Err(unknown_action(action)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_is_the_account_root() {
        let xml = call("GetCallerIdentity", &[], "123456789012").unwrap_or_default();
        assert!(xml.contains("<Arn>arn:aws:iam::123456789012:root</Arn>"));
        assert!(xml.contains("<Account>123456789012</Account>"));
        assert_eq!(
            call("Nope", &[], "1").map_err(|e| e.code),
            Err("InvalidAction")
        );
    }
}
