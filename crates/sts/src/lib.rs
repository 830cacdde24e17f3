//! AWS Security Token Service: GetCallerIdentity for every kind of caller, AssumeRole and
//! GetSessionToken, whose temporary credentials expire on the installation's clock (the
//! sessions themselves are IAM's, `iam::sessions`). Requests arrive in the awsQuery protocol;
//! this crate answers the inner XML of `<{Action}Result>`, leaving framing to the server.
//!
//! Whether a caller may assume a role (the role's trust policy, the caller's own policies) is
//! decided before the call, by the server's authorization, like every other action.

use iam::{Acting, Iam, IamError, NewSession, Session, Tag};
use policy::{Caller, Kind};
use protocol::query::param;

/// The namespace STS's XML responses carry.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An STS error: its code, message and HTTP status (awsQuery renders `<Error>` with them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsError {
    pub code: String,
    pub message: String,
    pub status: u16,
}

impl StsError {
    fn new(status: u16, code: &str, message: impl Into<String>) -> StsError {
        StsError {
            code: code.to_string(),
            message: message.into(),
            status,
        }
    }

    fn validation(message: impl Into<String>) -> StsError {
        StsError::new(400, "ValidationError", message)
    }
}

impl From<IamError> for StsError {
    fn from(e: IamError) -> StsError {
        StsError::new(e.status, &e.code, e.message)
    }
}

protocol::operations!("sts"; GetCallerIdentity, AssumeRole, GetSessionToken);

/// STS's default and limits for session durations, in seconds.
const MIN_DURATION: u64 = 900;
const ASSUME_ROLE_DEFAULT: u64 = 3600;
const SESSION_TOKEN_DEFAULT: u64 = 43_200;
const SESSION_TOKEN_MAX: u64 = 129_600;
/// The root user's GetSessionToken sessions last at most an hour.
const ROOT_SESSION_MAX: u64 = 3600;
/// STS's limit on a session policy and tags, packed (we count the policy's characters).
const PACKED_POLICY_LIMIT: usize = 2048;

/// The STS service of one installation.
pub struct Sts {
    account_id: String,
    iam: Iam,
}

impl Sts {
    pub fn new(account_id: String, iam: Iam) -> Sts {
        Sts { account_id, iam }
    }
}

impl protocol::AwsError for StsError {
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
        req: &'a protocol::Request<'a>,
    ) -> Result<protocol::QueryResult, StsError> {
        let params = protocol::query::parse_form(req.body);
        let root = Caller::root(&self.account_id);
        let caller = req.caller.unwrap_or(&root);
        let xml = match op {
            Operation::GetCallerIdentity => caller_identity(caller),
            Operation::AssumeRole => self.assume_role(&params, caller).await?,
            Operation::GetSessionToken => self.session_token(&params, caller).await?,
        };
        Ok(protocol::QueryResult(xml))
    }
}

fn caller_identity(caller: &Caller) -> String {
    format!(
        "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
        escape(&caller.arn),
        escape(&caller.id),
        escape(&caller.account)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn unknown_action(action: &str) -> StsError {
    StsError::new(
        400,
        "InvalidAction",
        format!("Could not find operation {action} for version 2011-06-15"),
    )
}

/// `DurationSeconds`, within `min..=max`, or `default`.
fn duration(params: &[(String, String)], default: u64, max: u64) -> Result<u64, StsError> {
    let Some(text) = param(params, "DurationSeconds") else {
        return Ok(default);
    };
    let n: u64 = text.trim().parse().map_err(|_| {
        StsError::validation(format!(
            "1 validation error detected: Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
        ))
    })?;
    if n < MIN_DURATION {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{n}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to {MIN_DURATION}"
        )));
    }
    if n > max {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{n}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(n)
}

/// `Prefix.member.N.Key` / `.Value` pairs, in order.
fn tags(params: &[(String, String)]) -> Vec<Tag> {
    let mut out = Vec::new();
    for n in 1.. {
        let Some(key) = param(params, &format!("Tags.member.{n}.Key")) else {
            break;
        };
        let value = param(params, &format!("Tags.member.{n}.Value")).unwrap_or_default();
        out.push(Tag {
            key: key.to_string(),
            value: value.to_string(),
        });
    }
    out
}

fn policy_arns(params: &[(String, String)]) -> Vec<String> {
    (1..)
        .map_while(|n| param(params, &format!("PolicyArns.member.{n}.arn")))
        .map(str::to_string)
        .collect()
}

fn session_name_ok(name: &str) -> bool {
    (2..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

fn credentials_xml(s: &Session) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        s.access_key_id,
        s.secret,
        s.token,
        clock::iso8601_seconds(s.expires_ms as i64)
    )
}

impl Sts {
    async fn assume_role(
        &self,
        params: &[(String, String)],
        caller: &Caller,
    ) -> Result<String, StsError> {
        let arn = param(params, "RoleArn").unwrap_or_default();
        let session_name = param(params, "RoleSessionName").unwrap_or_default();
        let mut problems = Vec::new();
        if arn.len() < 20 {
            problems.push(format!("Value '{arn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"));
        }
        if !session_name_ok(session_name) {
            problems.push(format!("Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"));
        }
        if !problems.is_empty() {
            return Err(StsError::validation(format!(
                "{} validation error{} detected: {}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                problems.join("; ")
            )));
        }
        let Some((role, _trust)) = self.iam.role_by_arn(arn)? else {
            // The server's authorization refuses a role that does not exist before this runs.
            return Err(StsError::new(
                403,
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                    caller.arn
                ),
            ));
        };
        let max = u64::from(role.max_session_duration);
        let seconds = match param(params, "DurationSeconds").map(|d| d.trim().parse::<u64>()) {
            Some(Ok(n)) if n > max && n <= 43_200 => return Err(StsError::validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )),
            _ => duration(params, ASSUME_ROLE_DEFAULT, 43_200)?,
        };
        let policy = param(params, "Policy").map(str::to_string);
        let policy_arns = policy_arns(params);
        if let Some(p) = &policy {
            if let Err(e) = policy::Policy::parse(p) {
                return Err(StsError::new(
                    400,
                    "MalformedPolicyDocument",
                    format!("The policy is not in the valid JSON format. {e}"),
                ));
            }
            if p.chars().filter(|c| !c.is_whitespace()).count() > PACKED_POLICY_LIMIT {
                return Err(StsError::new(
                    400,
                    "PackedPolicyTooLarge",
                    "Packed policy consumes more than 100% of the allotted space.",
                ));
            }
        }
        for a in &policy_arns {
            if self.iam.managed_policy_document(a)?.is_none() {
                return Err(StsError::validation(format!("Policy {a} does not exist.")));
            }
        }
        let packed = policy.as_ref().map(|p| {
            let size = p.chars().filter(|c| !c.is_whitespace()).count();
            size * 100 / PACKED_POLICY_LIMIT
        });
        let session = self
            .iam
            .open_session(NewSession {
                acting: Acting::Role {
                    role_name: role.name.clone(),
                    session_name: session_name.to_string(),
                },
                duration_ms: seconds * 1000,
                policy,
                policy_arns,
                tags: tags(params),
            })
            .await?;
        let mut xml = format!(
            "<AssumedRoleUser><AssumedRoleId>{}:{session_name}</AssumedRoleId><Arn>arn:aws:sts::{}:assumed-role/{}/{session_name}</Arn></AssumedRoleUser>{}",
            role.id,
            self.account_id,
            role.name,
            credentials_xml(&session)
        );
        if let Some(p) = packed {
            xml.push_str(&format!("<PackedPolicySize>{p}</PackedPolicySize>"));
        }
        Ok(xml)
    }

    async fn session_token(
        &self,
        params: &[(String, String)],
        caller: &Caller,
    ) -> Result<String, StsError> {
        let (acting, max) = match caller.kind {
            Kind::Root => (Acting::Root, ROOT_SESSION_MAX),
            Kind::User => (
                Acting::User {
                    user_name: caller
                        .arn
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                },
                SESSION_TOKEN_MAX,
            ),
            Kind::AssumedRole | Kind::Service => {
                return Err(StsError::new(
                    403,
                    "AccessDenied",
                    "Cannot call GetSessionToken with session credentials",
                ))
            }
        };
        let seconds = duration(params, SESSION_TOKEN_DEFAULT.min(max), SESSION_TOKEN_MAX)?.min(max);
        let session = self
            .iam
            .open_session(NewSession {
                acting,
                duration_ms: seconds * 1000,
                policy: None,
                policy_arns: Vec::new(),
                tags: Vec::new(),
            })
            .await?;
        Ok(credentials_xml(&session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_of_every_kind() {
        let xml = caller_identity(&Caller::root("123456789012"));
        assert!(xml.contains("<Arn>arn:aws:iam::123456789012:root</Arn>"));
        assert!(xml.contains("<UserId>123456789012</UserId>"));
        let session = Caller {
            kind: Kind::AssumedRole,
            arn: "arn:aws:sts::123456789012:assumed-role/app/s".into(),
            account: "123456789012".into(),
            role_arn: Some("arn:aws:iam::123456789012:role/app".into()),
            id: "AROAEXAMPLE:s".into(),
        };
        assert!(caller_identity(&session).contains("<UserId>AROAEXAMPLE:s</UserId>"));
    }

    #[test]
    fn session_names() {
        assert!(session_name_ok("app-session@1"));
        assert!(!session_name_ok("a"));
        assert!(!session_name_ok("has space"));
    }
}
