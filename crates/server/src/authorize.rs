//! Enforced mode's access control: who signed a request (`Lookup`, consulted by SigV4
//! verification), then whether the policies that bear on it allow every action it performs
//! (`authorize`), with AWS's evaluation logic (`policy`) and AWS's words for a refusal.
//!
//! The credentials file's keys are the account's root user: no identity policy limits it, but
//! a KMS key policy must still let the account use the key. IAM users' keys and STS sessions
//! come from IAM. Open mode has no principals and skips all of this.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;

use auth::{Credentials, Key};
use iam::{Iam, Identity, KeyRecord};
use policy::{evaluate, Caller, Context, Decision, Kind, Policies, Policy, Request};
use protocol::{AwsError, Reply, Wire};

use crate::route::Endpoint;
use crate::SharedState;

/// The keys SigV4 verification looks up, remembering whose key the request was signed with.
pub(crate) struct Lookup<'a> {
    pub credentials: &'a Credentials,
    pub iam: &'a Iam,
    pub found: RefCell<Option<Identity>>,
}

impl auth::Keys for Lookup<'_> {
    fn key(&self, access_key_id: &str) -> Key {
        if let Some(secret) = self.credentials.secret(access_key_id) {
            *self.found.borrow_mut() = Some(Identity::root(self.iam.account_id()));
            return Key::Known {
                secret: secret.to_string(),
                token: None,
            };
        }
        match self.iam.key_record(access_key_id) {
            Ok(KeyRecord::Known {
                secret,
                token,
                identity,
            }) => {
                *self.found.borrow_mut() = Some(*identity);
                Key::Known { secret, token }
            }
            Ok(KeyRecord::Expired) => Key::Expired,
            Ok(KeyRecord::Unknown) => Key::Unknown,
            Err(e) => {
                tracing::error!(error = %e.message, "looking up an access key failed");
                Key::Unknown
            }
        }
    }
}

/// One authorization a request needs: an action on a resource, the resource's policy where it
/// has one, and the condition keys particular to it.
struct Ask {
    action: String,
    resource: String,
    resource_policy: Option<Result<Policy, String>>,
    /// KMS key policies (and trust policies) must grant or delegate to the account themselves.
    resource_policy_required: bool,
    context: Context,
    /// A KMS key's grants, and the request's encryption context they may constrain.
    grants: Vec<kms::Grant>,
    encryption_context: BTreeMap<String, String>,
}

impl Ask {
    fn new(action: String, resource: String) -> Ask {
        Ask {
            action,
            resource,
            resource_policy: None,
            resource_policy_required: false,
            context: Context::new(),
            grants: Vec::new(),
            encryption_context: BTreeMap::new(),
        }
    }

    /// Whether a grant of the key lets the caller do this (grants allow where the key policy
    /// and IAM policies are silent; an explicit deny still wins).
    fn granted(&self, caller: &Caller) -> bool {
        let Some(operation) = self.action.strip_prefix("kms:") else {
            return false;
        };
        let mut principals = vec![caller.arn.as_str()];
        principals.extend(caller.role_arn.as_deref());
        let operations: &[&str] = match operation {
            "ReEncrypt" => &["ReEncryptFrom", "ReEncryptTo"],
            other => &[other],
        };
        self.grants.iter().any(|g| {
            operations
                .iter()
                .any(|op| g.allows(&principals, op, &self.encryption_context))
        })
    }
}

/// How a request arrived: `aws:SourceIp` and `aws:SecureTransport`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transport {
    pub source: IpAddr,
    pub secure: bool,
}

/// Whether `identity` may make this request; the refusal in the request's protocol if not.
pub(crate) fn authorize(
    state: &SharedState,
    endpoint: &Endpoint,
    req: &protocol::Request<'_>,
    identity: &Identity,
    transport: Transport,
) -> Result<(), Reply> {
    let asks = match asks(state, endpoint, req, identity) {
        Ok(asks) => asks,
        Err(message) => return Err(failure(endpoint, req, &message)),
    };
    if asks.is_empty() {
        return Ok(());
    }
    let held = if identity.caller.kind == Kind::Root {
        iam::Held::default()
    } else {
        match state.iam.held(identity) {
            Ok(h) => h,
            Err(e) => return Err(failure(endpoint, req, &e.message)),
        }
    };
    let base = base_context(state, identity, req.region, transport);
    for ask in asks {
        let mut context = base.clone();
        context.merge(&ask.context);
        let resource_policy = match &ask.resource_policy {
            Some(Ok(p)) => Some(p),
            Some(Err(why)) => {
                tracing::warn!(resource = %ask.resource, %why, "a resource policy cannot be evaluated; refusing");
                return Err(denied(
                    endpoint,
                    req,
                    &identity.caller,
                    &ask,
                    policy::Denial::Implicit(policy::PolicyKind::Resource),
                ));
            }
            None => None,
        };
        let policies = Policies {
            identity: &held.identity,
            resource: resource_policy,
            boundary: held.boundary.as_ref(),
            session: &held.session,
            resource_policy_required: ask.resource_policy_required,
        };
        let request = Request {
            caller: &identity.caller,
            action: &ask.action,
            resource: &ask.resource,
            context: &context,
        };
        match evaluate(&policies, &request) {
            Decision::Allow => {}
            Decision::Deny(policy::Denial::Implicit(_)) if ask.granted(&identity.caller) => {}
            Decision::Deny(denial) => {
                return Err(denied(endpoint, req, &identity.caller, &ask, denial))
            }
        }
    }
    Ok(())
}

/// The global condition keys every request carries (IAM User Guide, "AWS global condition
/// context keys"), as far as they apply on one server.
fn base_context(
    state: &SharedState,
    identity: &Identity,
    region: &str,
    transport: Transport,
) -> Context {
    let caller = &identity.caller;
    let mut c = Context::new();
    let principal_arn = caller.role_arn.as_deref().unwrap_or(&caller.arn);
    c.set("aws:PrincipalArn", principal_arn)
        .set("aws:PrincipalAccount", caller.account.as_str())
        .set("aws:userid", caller.id.as_str())
        .set("aws:SecureTransport", transport.secure.to_string())
        .set("aws:RequestedRegion", region)
        .set("aws:ViaAWSService", "false");
    let principal_type = match caller.kind {
        Kind::Root => "Account",
        Kind::User => "User",
        Kind::AssumedRole => "AssumedRole",
        Kind::Service => "Service",
    };
    c.set("aws:PrincipalType", principal_type);
    if caller.kind == Kind::User {
        if let Some(name) = caller.arn.rsplit('/').next() {
            c.set("aws:username", name);
        }
    }
    let now = state.workers.clock().now_ms();
    c.set("aws:CurrentTime", clock::iso8601_seconds(now as i64))
        .set("aws:EpochTime", (now / 1000).to_string());
    c.set("aws:SourceIp", transport.source.to_string());
    if let Some(issued) = identity.token_issued_ms {
        c.set("aws:TokenIssueTime", clock::iso8601_seconds(issued as i64));
    }
    for t in &identity.tags {
        c.set(&format!("aws:PrincipalTag/{}", t.key), t.value.as_str());
    }
    c
}

/// What `endpoint` asks. Root callers ask only what a resource policy could refuse them (the
/// KMS key policies); everyone else asks every action.
fn asks(
    state: &SharedState,
    endpoint: &Endpoint,
    req: &protocol::Request<'_>,
    identity: &Identity,
) -> Result<Vec<Ask>, String> {
    let root = identity.caller.kind == Kind::Root;
    let account = state.iam.account_id();
    let mut out = Vec::new();
    match endpoint {
        Endpoint::DynamoDb(_) | Endpoint::Streams(_)
            if root && !state.dynamodb.guards_the_root() => {}
        Endpoint::DynamoDb(op) => {
            for a in state.dynamodb.asks(*op, req.body, req.region) {
                if let Some(key) = &a.kms_key {
                    out.push(kms_via_dynamodb(state, key, req.region)?);
                }
                // The root is refused only by a resource policy's explicit deny.
                if !root || a.resource_policy.is_some() {
                    let mut ask = Ask::new(a.action, a.resource);
                    ask.context = a.context;
                    ask.resource_policy = a
                        .resource_policy
                        .map(|p| Policy::parse(&p).map_err(|e| e.0));
                    out.push(ask);
                }
            }
        }
        Endpoint::Kms(op) => {
            let action = op.iam_action();
            let mut ask = match state.kms.key_of_request(req.body, req.region) {
                Ok(Some(key)) => {
                    let mut ask = Ask::new(action, key.arn);
                    ask.resource_policy = Some(Policy::parse(&key.policy).map_err(|e| e.0));
                    ask.resource_policy_required = true;
                    ask.grants = key.grants;
                    for (k, v) in &key.tags {
                        ask.context.set(&format!("aws:ResourceTag/{k}"), v.as_str());
                    }
                    ask
                }
                Ok(None) if root => return Ok(out),
                Ok(None) => Ask::new(action, "*".into()),
                Err(e) => return Err(e.message().to_string()),
            };
            ask.context.set("kms:CallerAccount", account);
            kms_request_keys(&mut ask, req.body);
            out.push(ask);
        }
        Endpoint::Streams(op) => {
            let body: serde_json::Value = serde_json::from_slice(req.body).unwrap_or_default();
            let arn = body
                .get("StreamArn")
                .and_then(|v| v.as_str())
                .or_else(|| {
                    body.get("ShardIterator")
                        .and_then(|v| v.as_str())
                        .and_then(|i| i.split('|').next())
                })
                .unwrap_or("*");
            let resource_policy = state.dynamodb.resource_policy_of(arn);
            // As for tables, the root is refused only by the stream policy's explicit deny.
            if !root || resource_policy.is_some() {
                let mut ask = Ask::new(op.iam_action(), arn.to_string());
                ask.resource_policy = resource_policy.map(|p| Policy::parse(&p).map_err(|e| e.0));
                out.push(ask);
            }
        }
        _ if root => {}
        Endpoint::Sts(op) => match op {
            // Nobody needs permission to learn who they are or to get a session token.
            sts::Operation::GetCallerIdentity | sts::Operation::GetSessionToken => {}
            sts::Operation::AssumeRole => {
                let params = protocol::query::parse_form(req.body);
                let arn = protocol::query::param(&params, "RoleArn").unwrap_or("*");
                let mut ask = Ask::new(op.iam_action(), arn.to_string());
                ask.resource_policy_required = true;
                ask.resource_policy = match state.iam.role_by_arn(arn) {
                    Ok(Some((_, trust))) => Some(Ok(trust)),
                    Ok(None) => None,
                    Err(e) => return Err(e.message),
                };
                if let Some(name) = protocol::query::param(&params, "RoleSessionName") {
                    ask.context.set("sts:RoleSessionName", name);
                }
                out.push(ask);
            }
        },
        Endpoint::Iam(op) => {
            let params = protocol::query::parse_form(req.body);
            let param = |n| protocol::query::param(&params, n);
            let resource = if let Some(role) = param("RoleName") {
                format!("arn:aws:iam::{account}:role/{role}")
            } else if let Some(user) = param("UserName") {
                format!("arn:aws:iam::{account}:user/{user}")
            } else if let Some(group) = param("GroupName") {
                format!("arn:aws:iam::{account}:group/{group}")
            } else if let Some(arn) = param("PolicyArn") {
                arn.to_string()
            } else {
                "*".to_string()
            };
            out.push(Ask::new(op.iam_action(), resource));
        }
        Endpoint::CloudWatch(op) => out.push(Ask::new(op.iam_action(), "*".into())),
        Endpoint::AutoScaling(op) => out.push(Ask::new(op.iam_action(), "*".into())),
        Endpoint::Backup(op) => {
            // The operation's name is its variant's (`Op` carries the path's parameters).
            let name = format!("{op:?}");
            let name = name.split('(').next().unwrap_or_default();
            out.push(Ask::new(format!("backup:{name}"), "*".into()))
        }
    }
    Ok(out)
}

/// The condition keys of a KMS request's body: the tags it sets or removes
/// (`aws:RequestTag/…`, `aws:TagKeys`) and its encryption context (`kms:EncryptionContext:…`,
/// which grants' constraints also read).
fn kms_request_keys(ask: &mut Ask, body: &[u8]) {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(body) else {
        return;
    };
    let list = |name: &str| {
        body.get(name)
            .and_then(|t| t.as_array())
            .cloned()
            .unwrap_or_default()
    };
    let mut tag_keys = Vec::new();
    for tag in list("Tags") {
        let key = tag.get("TagKey").and_then(|k| k.as_str());
        let value = tag.get("TagValue").and_then(|v| v.as_str());
        if let (Some(k), Some(v)) = (key, value) {
            ask.context.set(&format!("aws:RequestTag/{k}"), v);
            tag_keys.push(k.to_string());
        }
    }
    tag_keys.extend(
        list("TagKeys")
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string)),
    );
    if !tag_keys.is_empty() {
        ask.context.set_all("aws:TagKeys", tag_keys);
    }
    if let Some(serde_json::Value::Object(ec)) = body.get("EncryptionContext") {
        for (k, v) in ec {
            if let Some(v) = v.as_str() {
                ask.context.set(&format!("kms:EncryptionContext:{k}"), v);
                ask.encryption_context.insert(k.clone(), v.to_string());
            }
        }
    }
}

/// DynamoDB's use of a table's customer managed key on the caller's behalf: `kms:Decrypt`
/// under the key policy, with `kms:ViaService` naming DynamoDB (Developer Guide, "How
/// DynamoDB uses AWS KMS"). Without the key, nothing to ask: the table's own checks answer.
fn kms_via_dynamodb(state: &SharedState, key_arn: &str, region: &str) -> Result<Ask, String> {
    let mut ask = Ask::new("kms:Decrypt".into(), key_arn.to_string());
    ask.resource_policy_required = true;
    match state.kms.key_policy(key_arn, region) {
        Ok(Some(key)) => {
            ask.resource_policy = Some(Policy::parse(&key.policy).map_err(|e| e.0));
            ask.grants = key.grants;
        }
        Ok(None) => ask.resource_policy_required = false,
        Err(e) => return Err(e.message().to_string()),
    }
    ask.context
        .set("kms:ViaService", format!("dynamodb.{region}.amazonaws.com"))
        .set("kms:CallerAccount", state.iam.account_id());
    Ok(ask)
}

/// A refusal: DynamoDB, KMS, Auto Scaling and Backup answer `AccessDeniedException`, the query
/// services `AccessDenied` (403).
struct AccessDenied {
    code: &'static str,
    status: u16,
    message: String,
}

impl AwsError for AccessDenied {
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

fn denied(
    endpoint: &Endpoint,
    req: &protocol::Request<'_>,
    caller: &Caller,
    ask: &Ask,
    denial: policy::Denial,
) -> Reply {
    let message = policy::message(&caller.arn, &ask.action, &ask.resource, denial);
    let (code, status) = match (endpoint, req.wire) {
        (_, Wire::AwsQuery) | (Endpoint::CloudWatch(_), _) => ("AccessDenied", 403),
        (Endpoint::Backup(_), _) => ("AccessDeniedException", 403),
        _ => ("AccessDeniedException", 400),
    };
    protocol::render_error(
        &AccessDenied {
            code,
            status,
            message,
        },
        req,
        xmlns(endpoint),
    )
}

/// A failure to read what authorization needs: the service's internal error.
fn failure(endpoint: &Endpoint, req: &protocol::Request<'_>, why: &str) -> Reply {
    tracing::error!(%why, "authorization could not be decided");
    let e = AccessDenied {
        code: "InternalServerError",
        status: 500,
        message: "Internal server error".into(),
    };
    protocol::render_error(&e, req, xmlns(endpoint))
}

fn xmlns(endpoint: &Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Iam(_) => iam::XMLNS,
        Endpoint::Sts(_) => sts::XMLNS,
        Endpoint::CloudWatch(_) => cloudwatch::XMLNS,
        _ => "",
    }
}
