//! Who an access key is, and which policies bear on what it asks: what the server's
//! authorization reads of IAM on every request in enforced mode.

use policy::{Caller, Kind, Policy};

use crate::entity;
use crate::error::{Fail, IamError};
use crate::managed;
use crate::model::{AccessKey, Role, Tag, User, View, ACCESS_KEYS};
use crate::sessions::{self, Acting, Session};
use crate::Iam;

/// What IAM knows of an access key id.
#[derive(Clone, Debug)]
pub enum KeyRecord {
    Unknown,
    Expired,
    Known {
        secret: String,
        /// The session token temporary credentials must be presented with.
        token: Option<String>,
        identity: Box<Identity>,
    },
}

/// A caller as the evaluator sees it, with what its policies are drawn from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub caller: Caller,
    /// The user or role whose policies apply (`None` for the root user).
    pub holder: Option<Holder>,
    /// The session's own policies (AssumeRole's Policy and PolicyArns).
    pub session_policy: Option<String>,
    pub session_policy_arns: Vec<String>,
    /// Tags of the principal (`aws:PrincipalTag/…`): the session's, over the role's or user's.
    pub tags: Vec<Tag>,
    /// When temporary credentials were issued (`aws:TokenIssueTime`), Unix ms.
    pub token_issued_ms: Option<u64>,
}

impl Identity {
    /// The account's root user: no policies of its own.
    pub fn root(account: &str) -> Identity {
        Identity::held_by(Caller::root(account), None)
    }

    /// `caller`, whose policies are `holder`'s, outside any session.
    pub fn held_by(caller: Caller, holder: Option<Holder>) -> Identity {
        Identity {
            caller,
            holder,
            session_policy: None,
            session_policy_arns: Vec::new(),
            tags: Vec::new(),
            token_issued_ms: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    User(String),
    Role(String),
}

/// The parsed policies that bear on an identity's requests.
#[derive(Clone, Debug, Default)]
pub struct Held {
    pub identity: Vec<Policy>,
    pub boundary: Option<Policy>,
    pub session: Vec<Policy>,
}

impl Iam {
    /// What `access_key_id` is: a user's key or a session's (the credentials file's root keys
    /// are the server's to know).
    pub fn key_record(&self, access_key_id: &str) -> Result<KeyRecord, IamError> {
        let snap = self.snapshot()?;
        let account = self.account_id();
        if let Some(bytes) = snap.get_raw(ACCESS_KEYS, access_key_id.as_bytes())? {
            let key: AccessKey = crate::model::decode(&bytes).map_err(Fail::from)?;
            if key.status != "Active" {
                return Ok(KeyRecord::Unknown);
            }
            let Some(user) = snap.user(&key.user_name)? else {
                return Ok(KeyRecord::Unknown);
            };
            return Ok(KeyRecord::Known {
                secret: key.secret,
                token: None,
                identity: Box::new(user_identity(&user, account)),
            });
        }
        let Some(session) = sessions::session(&snap, access_key_id)? else {
            return Ok(KeyRecord::Unknown);
        };
        if session.expires_ms <= self.now_ms() {
            return Ok(KeyRecord::Expired);
        }
        let identity = match session_identity(&snap, &session, account)? {
            Some(i) => i,
            None => return Ok(KeyRecord::Unknown),
        };
        Ok(KeyRecord::Known {
            secret: session.secret,
            token: Some(session.token),
            identity: Box::new(identity),
        })
    }

    /// The policies that bear on `identity`'s requests, parsed. A stored document the
    /// evaluator cannot read is an error, never silently nothing: it may hold a deny.
    pub fn held(&self, identity: &Identity) -> Result<Held, IamError> {
        let snap = self.snapshot()?;
        let mut held = Held::default();
        let (inline, attached, boundary) = match &identity.holder {
            None => return Ok(held),
            Some(Holder::User(name)) => {
                let mut u: User = entity::require(&snap, name)?;
                let (mut inline, mut attached) = (std::mem::take(&mut u.inline), u.attached);
                // A user holds the policies of its groups too.
                for g in crate::groups::groups_of(&snap, &u.name)? {
                    inline.extend(g.inline);
                    attached.extend(g.attached);
                }
                (inline, attached, u.permissions_boundary)
            }
            Some(Holder::Role(name)) => {
                let mut r: Role = entity::require(&snap, name)?;
                (
                    std::mem::take(&mut r.inline),
                    r.attached,
                    r.permissions_boundary,
                )
            }
        };
        for i in &inline {
            held.identity.push(parse(&i.document)?);
        }
        for arn in &attached {
            held.identity.push(parse(&managed_document(&snap, arn)?)?);
        }
        if let Some(arn) = boundary {
            held.boundary = Some(parse(&managed_document(&snap, &arn)?)?);
        }
        if let Some(doc) = &identity.session_policy {
            held.session.push(parse(doc)?);
        }
        for arn in &identity.session_policy_arns {
            held.session.push(parse(&managed_document(&snap, arn)?)?);
        }
        Ok(held)
    }

    /// The trust policy of the role `arn` names, with the role; for AssumeRole.
    pub fn role_by_arn(&self, arn: &str) -> Result<Option<(Role, Policy)>, IamError> {
        let Some(name) = arn
            .strip_prefix(&format!("arn:aws:iam::{}:role/", self.account_id()))
            .and_then(|rest| rest.rsplit('/').next())
        else {
            return Ok(None);
        };
        let Some(role) = self.snapshot()?.role(name)? else {
            return Ok(None);
        };
        if role.arn != arn {
            return Ok(None);
        }
        let trust = parse(&role.assume_role_policy)?;
        Ok(Some((role, trust)))
    }

    /// The default version's document of a managed policy (customer or AWS).
    pub fn managed_policy_document(&self, arn: &str) -> Result<Option<String>, IamError> {
        match managed_document(&self.snapshot()?, arn) {
            Ok(doc) => Ok(Some(doc)),
            Err(Fail::Iam(e)) if e.code == "NoSuchEntity" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

fn parse(document: &str) -> Result<Policy, IamError> {
    Policy::parse(document).map_err(|e| {
        tracing::error!(error = %e, "iam: a stored policy cannot be evaluated");
        IamError::new(
            500,
            "ServiceFailure",
            "A stored policy cannot be evaluated.",
        )
    })
}

fn managed_document(view: &impl View, arn: &str) -> Result<String, Fail> {
    if let Some(p) = managed::find(arn) {
        return Ok(p.document.to_string());
    }
    let policy = view
        .policy(arn)?
        .ok_or_else(|| Fail::Iam(IamError::policy_not_found(arn)))?;
    Ok(policy
        .version(&policy.default_version)
        .map(|v| v.document.clone())
        .unwrap_or_default())
}

fn user_identity(user: &User, account: &str) -> Identity {
    let caller = Caller {
        kind: Kind::User,
        arn: user.arn.clone(),
        account: account.to_string(),
        role_arn: None,
        id: user.id.clone(),
    };
    Identity {
        tags: user.tags.clone(),
        ..Identity::held_by(caller, Some(Holder::User(user.name.clone())))
    }
}

/// The identity of a session; `None` when what it acts as is gone.
fn session_identity(
    view: &impl View,
    session: &Session,
    account: &str,
) -> Result<Option<Identity>, Fail> {
    let mut identity = match &session.acting {
        Acting::Root => Identity::root(account),
        Acting::User { user_name } => match view.user(user_name)? {
            Some(u) => user_identity(&u, account),
            None => return Ok(None),
        },
        Acting::Role {
            role_name,
            session_name,
        } => {
            let Some(role) = view.role(role_name)? else {
                return Ok(None);
            };
            let mut tags = role.tags.clone();
            for t in &session.tags {
                tags.retain(|o| !o.key.eq_ignore_ascii_case(&t.key));
                tags.push(t.clone());
            }
            Identity {
                caller: Caller {
                    kind: Kind::AssumedRole,
                    arn: format!(
                        "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
                        role.name
                    ),
                    account: account.to_string(),
                    role_arn: Some(role.arn.clone()),
                    id: format!("{}:{session_name}", role.id),
                },
                holder: Some(Holder::Role(role.name.clone())),
                session_policy: session.policy.clone(),
                session_policy_arns: session.policy_arns.clone(),
                tags,
                token_issued_ms: None,
            }
        }
    };
    identity.token_issued_ms = Some(session.issued_ms);
    Ok(Some(identity))
}
