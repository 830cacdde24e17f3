//! AWS's policy evaluation logic for a request within one account (IAM User Guide, "Policy
//! evaluation logic"): an explicit deny in any policy wins; then a resource-based policy that
//! names the caller may grant on its own; otherwise an identity-based policy must allow, and
//! the permissions boundary and session policies, where there are any, must allow too.

use crate::caller::{named, Caller, Kind, Named};
use crate::context::Context;
use crate::document::{Effect, Patterns, Policy, Statement};
use crate::wildcard;

/// The kinds of policy a decision names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Resource,
    Boundary,
    Session,
}

/// Why a request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// A `Deny` statement of this kind of policy applies.
    Explicit(PolicyKind),
    /// No statement of this kind of policy allows.
    Implicit(PolicyKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(Denial),
}

/// Every policy that bears on one request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Policies<'a> {
    /// The caller's identity-based policies: inline and attached managed, of the user, its
    /// groups, or the session's role.
    pub identity: &'a [Policy],
    /// The resource's policy (a table's resource policy, a KMS key policy).
    pub resource: Option<&'a Policy>,
    /// The user's or role's permissions boundary.
    pub boundary: Option<&'a Policy>,
    /// The session policies passed to AssumeRole (inline and managed).
    pub session: &'a [Policy],
    /// Whether the resource's policy must grant access itself or delegate it to the account, as
    /// a KMS key policy must: without a key policy statement no IAM policy can grant.
    pub resource_policy_required: bool,
}

/// What is asked: an action (`dynamodb:GetItem`) on a resource ARN, with the request's keys.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub caller: &'a Caller,
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context,
}

/// The decision for `request` under `policies`.
pub fn evaluate(policies: &Policies<'_>, request: &Request<'_>) -> Decision {
    // 1. An explicit deny anywhere.
    let denies = |policy: &Policy| any_applies(policy, Effect::Deny, request).is_some();
    if policies.identity.iter().any(denies) && request.caller.kind != Kind::Root {
        return Decision::Deny(Denial::Explicit(PolicyKind::Identity));
    }
    if policies.resource.is_some_and(denies) {
        return Decision::Deny(Denial::Explicit(PolicyKind::Resource));
    }
    if policies.boundary.is_some_and(denies) {
        return Decision::Deny(Denial::Explicit(PolicyKind::Boundary));
    }
    if policies.session.iter().any(denies) {
        return Decision::Deny(Denial::Explicit(PolicyKind::Session));
    }
    // 2. What the resource's policy grants, by how it names the caller.
    let granted = policies
        .resource
        .and_then(|p| any_applies(p, Effect::Allow, request))
        .unwrap_or(Named::No);
    let allows = |policy: &Policy| any_applies(policy, Effect::Allow, request).is_some();
    let boundary_ok = policies.boundary.is_none_or(allows);
    let session_ok = policies.session.is_empty() || policies.session.iter().any(allows);
    if cross_account(request) {
        // Across accounts both sides must allow: the resource's policy naming the caller or
        // its account, and the caller's own policies (IAM User Guide, "Cross-account policy
        // evaluation logic").
        if granted == Named::No {
            return Decision::Deny(Denial::Implicit(PolicyKind::Resource));
        }
        return identity_side(policies, request, boundary_ok, session_ok);
    }
    match granted {
        Named::Directly => return Decision::Allow,
        Named::Role if boundary_ok && session_ok => return Decision::Allow,
        Named::No if policies.resource_policy_required => {
            return Decision::Deny(Denial::Implicit(PolicyKind::Resource));
        }
        _ => {}
    }
    identity_side(policies, request, boundary_ok, session_ok)
}

/// The identity-based path: the root needs no policy; everyone else needs an allow that the
/// boundary and the session policies also allow.
fn identity_side(
    policies: &Policies<'_>,
    request: &Request<'_>,
    boundary_ok: bool,
    session_ok: bool,
) -> Decision {
    let allows = |policy: &Policy| any_applies(policy, Effect::Allow, request).is_some();
    if request.caller.kind == Kind::Root {
        return Decision::Allow;
    }
    if !policies.identity.iter().any(allows) {
        return Decision::Deny(Denial::Implicit(PolicyKind::Identity));
    }
    if !boundary_ok {
        return Decision::Deny(Denial::Implicit(PolicyKind::Boundary));
    }
    if !session_ok {
        return Decision::Deny(Denial::Implicit(PolicyKind::Session));
    }
    Decision::Allow
}

/// Whether the resource belongs to another account than the caller's (its ARN names one).
fn cross_account(request: &Request<'_>) -> bool {
    let account = request.resource.split(':').nth(4).unwrap_or_default();
    !account.is_empty()
        && !account.contains(['*', '?'])
        && request.caller.kind != Kind::Service
        && account != request.caller.account
}

/// Whether a statement of `policy` with `effect` applies to the request; for a statement with
/// a principal, how strongly it names the caller (the strongest of all that apply).
fn any_applies(policy: &Policy, effect: Effect, request: &Request<'_>) -> Option<Named> {
    policy
        .statements
        .iter()
        .filter(|s| s.effect == effect)
        .filter_map(|s| applies(s, request))
        .max()
}

/// Whether one statement applies, and how it names the caller (`Directly` for statements
/// without a principal, which name whoever holds the policy).
pub fn applies(s: &Statement, request: &Request<'_>) -> Option<Named> {
    let ctx = request.context;
    let action_listed = |patterns: &[String]| {
        patterns
            .iter()
            .any(|p| wildcard::matches(p, request.action, true))
    };
    let action = match &s.action {
        Patterns::Listed(p) => action_listed(p),
        Patterns::AllBut(p) => !action_listed(p),
    };
    if !action {
        return None;
    }
    let resource_listed = |patterns: &[String]| {
        patterns.iter().any(|p| {
            let p = if s.variables {
                ctx.substitute(p)
            } else {
                Some(p.clone())
            };
            p.is_some_and(|p| wildcard::arn_matches(&p, request.resource))
        })
    };
    let resource = match &s.resource {
        Some(Patterns::Listed(p)) => resource_listed(p),
        Some(Patterns::AllBut(p)) => !resource_listed(p),
        None => true,
    };
    if !resource {
        return None;
    }
    let how = match &s.principal {
        None => Named::Directly,
        Some((principals, false)) => named(principals, request.caller),
        // NotPrincipal: everyone not listed by their own ARN. An account listed spares only
        // the account (its root), a role only the role: its sessions must be listed too (IAM
        // User Guide, "NotPrincipal").
        Some((principals, true)) => match named(principals, request.caller) {
            Named::Directly => Named::No,
            _ => Named::Directly,
        },
    };
    if how == Named::No {
        return None;
    }
    s.conditions.iter().all(|c| c.holds(ctx)).then_some(how)
}

/// AWS's words for a refusal, as DynamoDB and KMS write them in `AccessDeniedException`:
/// "User: ARN is not authorized to perform: ACTION on resource: ARN because no identity-based
/// policy allows the ACTION action".
pub fn message(caller_arn: &str, action: &str, resource: &str, denial: Denial) -> String {
    let why = match denial {
        Denial::Explicit(kind) => format!("with an explicit deny in {}", explicit_name(kind)),
        Denial::Implicit(kind) => {
            format!(
                "because no {} allows the {action} action",
                implicit_name(kind)
            )
        }
    };
    format!(
        "User: {caller_arn} is not authorized to perform: {action} on resource: {resource} {why}"
    )
}

fn explicit_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "an identity-based policy",
        PolicyKind::Resource => "a resource-based policy",
        PolicyKind::Boundary => "a permissions boundary",
        PolicyKind::Session => "a session policy",
    }
}

fn implicit_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity-based policy",
        PolicyKind::Resource => "resource-based policy",
        PolicyKind::Boundary => "permissions boundary",
        PolicyKind::Session => "session policy",
    }
}
