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

/// Runs `action`; returns the XML inside `<{action}Result>`.
pub fn call(
    action: &str,
    _params: &[(String, String)],
    account_id: &str,
) -> Result<String, StsError> {
    match action {
        "GetCallerIdentity" => Ok(format!(
            "<Arn>arn:aws:iam::{account_id}:root</Arn><UserId>{account_id}</UserId><Account>{account_id}</Account>"
        )),
        other => Err(StsError {
            code: "InvalidAction",
            message: format!("Could not find operation {other} for version 2011-06-15"),
            status: 400,
        }),
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
