//! Who is asking, and whether a resource policy's `Principal` names them.

use crate::document::Principals;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The account's root user: every identity-based check passes.
    Root,
    User,
    /// A session of an assumed role (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// An AWS service acting itself (`dynamodb.amazonaws.com`), as named in `Service` principals.
    Service,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub kind: Kind,
    /// `arn:aws:iam::ACCOUNT:root`, `…:user/PATH/NAME`, `arn:aws:sts::ACCOUNT:assumed-role/…`,
    /// or the service's name for [`Kind::Service`].
    pub arn: String,
    pub account: String,
    /// The role of a session, `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    pub role_arn: Option<String>,
    /// `aws:userid`: the account id for the root user, `AIDA…` for a user,
    /// `AROA…:SESSION` for a role session.
    pub id: String,
}

impl Caller {
    pub fn root(account: &str) -> Caller {
        Caller {
            kind: Kind::Root,
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_string(),
            role_arn: None,
            id: account.to_string(),
        }
    }
}

/// How a resource policy's principal names the caller, from the weakest to the strongest
/// (IAM User Guide, "Policy evaluation logic: the request context" and "Identity-based policies
/// and resource-based policies").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Named {
    No,
    /// The caller's account (`123456789012` or `arn:aws:iam::123456789012:root`): the account
    /// delegates to its own identity policies, which must then allow.
    Account,
    /// The role of the caller's session: granted, but the session's permissions boundary and
    /// session policies still limit it.
    Role,
    /// The caller itself (user or session ARN, or `*`): granted outright.
    Directly,
}

/// How `principals` names `caller` (before `NotPrincipal` is applied).
pub fn named(principals: &Principals, caller: &Caller) -> Named {
    let Principals::Listed(listed) = principals else {
        return Named::Directly;
    };
    let mut best = Named::No;
    for (kind, id) in listed {
        let how = match kind.as_str() {
            "AWS" => aws_principal(id, caller),
            "Service" if caller.kind == Kind::Service && id == &caller.arn => Named::Directly,
            _ => Named::No,
        };
        best = best.max(how);
    }
    best
}

fn aws_principal(id: &str, caller: &Caller) -> Named {
    if caller.kind == Kind::Service {
        return Named::No;
    }
    let account_root = format!("arn:aws:iam::{}:root", caller.account);
    if id == caller.account || id == account_root {
        return if caller.kind == Kind::Root {
            Named::Directly
        } else {
            Named::Account
        };
    }
    if id == caller.arn {
        return Named::Directly;
    }
    if caller.role_arn.as_deref() == Some(id) {
        return Named::Role;
    }
    Named::No
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Caller {
        Caller {
            kind: Kind::AssumedRole,
            arn: "arn:aws:sts::111122223333:assumed-role/app/s1".into(),
            account: "111122223333".into(),
            role_arn: Some("arn:aws:iam::111122223333:role/app".into()),
            id: "AROAEXAMPLE:s1".into(),
        }
    }

    fn aws(ids: &[&str]) -> Principals {
        Principals::Listed(
            ids.iter()
                .map(|i| ("AWS".to_string(), i.to_string()))
                .collect(),
        )
    }

    #[test]
    fn how_a_session_is_named() {
        let c = session();
        assert_eq!(named(&aws(&["111122223333"]), &c), Named::Account);
        assert_eq!(
            named(&aws(&["arn:aws:iam::111122223333:root"]), &c),
            Named::Account
        );
        assert_eq!(
            named(&aws(&["arn:aws:iam::111122223333:role/app"]), &c),
            Named::Role
        );
        assert_eq!(
            named(&aws(&["arn:aws:sts::111122223333:assumed-role/app/s1"]), &c),
            Named::Directly
        );
        assert_eq!(
            named(&aws(&["arn:aws:iam::444455556666:root"]), &c),
            Named::No
        );
        assert_eq!(named(&Principals::Anyone, &c), Named::Directly);
    }
}
