//! The policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy answer "would this be
//! allowed" with the evaluator the server authorizes every request with (`policy::evaluate`),
//! so what they say is what enforced mode does.

use policy::{
    evaluate, Caller, Context, Decision, Denial, Effect, Kind, Policies, Policy, Request,
};

use crate::error::{Fail, IamError};
use crate::identity::{Holder, Identity};
use crate::paging::page;
use crate::params::{Checks, Params};
use crate::xml::Xml;
use crate::Iam;

/// A policy of the simulation, with what the answer names it by.
struct Source {
    id: String,
    kind: &'static str,
    policy: Policy,
}

fn parse(text: &str, field: &str) -> Result<Policy, IamError> {
    Policy::parse(text)
        .map_err(|e| IamError::malformed(format!("The policy in {field} is not valid: {e}")))
}

/// `ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M, ContextKeyType}`.
fn context_entries(p: Params<'_>) -> Context {
    let mut ctx = Context::new();
    for n in 1.. {
        let Some(name) = p.get(&format!("ContextEntries.member.{n}.ContextKeyName")) else {
            break;
        };
        let values = p
            .members(&format!("ContextEntries.member.{n}.ContextKeyValues"))
            .into_iter()
            .map(str::to_string)
            .collect();
        ctx.set_all(name, values);
    }
    ctx
}

/// What both simulations share once their policies are known.
struct Simulation {
    caller: Caller,
    identity: Vec<Source>,
    boundary: Option<Source>,
    resource: Option<Policy>,
    context: Context,
}

impl Simulation {
    fn run(
        &self,
        actions: &[&str],
        resources: &[&str],
        marker: Option<&str>,
        max: usize,
    ) -> Result<String, Fail> {
        let identity: Vec<Policy> = self.identity.iter().map(|s| s.policy.clone()).collect();
        let policies = Policies {
            identity: &identity,
            resource: self.resource.as_ref(),
            boundary: self.boundary.as_ref().map(|b| &b.policy),
            session: &[],
            resource_policy_required: false,
        };
        let mut results = Vec::new();
        for (i, action) in actions.iter().enumerate() {
            for (j, resource) in resources.iter().enumerate() {
                let request = Request {
                    caller: &self.caller,
                    action,
                    resource,
                    context: &self.context,
                };
                let decision = evaluate(&policies, &request);
                results.push((
                    format!("{i:06}{j:06}").into_bytes(),
                    (action.to_string(), resource.to_string(), decision),
                ));
            }
        }
        let pg = page(results, marker, max)?;
        let mut x = Xml::new();
        x.open("EvaluationResults");
        for (action, resource, decision) in &pg.items {
            let request = Request {
                caller: &self.caller,
                action,
                resource,
                context: &self.context,
            };
            let word = match decision {
                Decision::Allow => "allowed",
                Decision::Deny(Denial::Explicit(_)) => "explicitDeny",
                Decision::Deny(Denial::Implicit(_)) => "implicitDeny",
            };
            x.open("member")
                .text("EvalActionName", action)
                .text("EvalResourceName", resource)
                .text("EvalDecision", word);
            // The statements that decided: the denying ones, or the allowing ones.
            let effect = match decision {
                Decision::Deny(Denial::Explicit(_)) => Some(Effect::Deny),
                Decision::Allow => Some(Effect::Allow),
                Decision::Deny(Denial::Implicit(_)) => None,
            };
            x.open("MatchedStatements");
            if let Some(effect) = effect {
                for source in self.identity.iter().chain(self.boundary.iter()) {
                    let applies = source.policy.statements.iter().any(|s| {
                        s.effect == effect && policy::evaluate::applies(s, &request).is_some()
                    });
                    if applies {
                        x.open("member")
                            .text("SourcePolicyId", &source.id)
                            .text("SourcePolicyType", source.kind)
                            .close("member");
                    }
                }
            }
            x.close("MatchedStatements");
            x.open("MissingContextValues");
            for key in self.missing_keys(&request) {
                x.text("member", &key);
            }
            x.close("MissingContextValues");
            if let Some(b) = &self.boundary {
                let allowed = b.policy.statements.iter().any(|s| {
                    s.effect == Effect::Allow && policy::evaluate::applies(s, &request).is_some()
                });
                x.open("PermissionsBoundaryDecisionDetail")
                    .bool("AllowedByPermissionsBoundary", allowed)
                    .close("PermissionsBoundaryDecisionDetail");
            }
            x.close("member");
        }
        x.close("EvaluationResults");
        x.paging(pg.marker.as_deref());
        Ok(x.finish())
    }

    /// Condition keys the statements about this request test and the context lacks (global
    /// keys the server would supply, like aws:CurrentTime, are the caller's to give here).
    fn missing_keys(&self, request: &Request<'_>) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        let all = self
            .identity
            .iter()
            .chain(self.boundary.iter())
            .map(|s| &s.policy);
        for policy in all.chain(self.resource.iter()) {
            for s in &policy.statements {
                let without = policy::document::Statement {
                    conditions: Vec::new(),
                    ..s.clone()
                };
                if policy::evaluate::applies(&without, request).is_none() {
                    continue;
                }
                for c in &s.conditions {
                    if self.context.get(&c.key).is_none() && !keys.contains(&c.key) {
                        keys.push(c.key.clone());
                    }
                }
            }
        }
        keys.sort();
        keys
    }
}

/// What both simulations take from their parameters.
struct Inputs<'a> {
    /// `PolicyInputList`, parsed.
    policies: Vec<Source>,
    /// `PermissionsBoundaryPolicyInputList`'s first, parsed.
    boundary: Option<Source>,
    resource: Option<Policy>,
    actions: Vec<&'a str>,
    /// `ResourceArns`, or `*`.
    resources: Vec<&'a str>,
    context: Context,
    marker: Option<&'a str>,
    max: usize,
}

fn names<'a>(
    c: &mut Checks,
    p: Params<'a>,
    prefix: &str,
    field: &str,
    required: bool,
) -> Vec<&'a str> {
    let list = p.members(prefix);
    if required && list.is_empty() {
        c.fail(None, field, "Member must not be null");
    }
    list
}

/// The parameters both simulations share, checked (`PolicyInputList` required or not), with
/// `c` holding the caller's own checks.
fn inputs<'a>(mut c: Checks, p: Params<'a>, policies_required: bool) -> Result<Inputs<'a>, Fail> {
    let texts = names(
        &mut c,
        p,
        "PolicyInputList",
        "policyInputList",
        policies_required,
    );
    let actions = names(&mut c, p, "ActionNames", "actionNames", true);
    let resources = names(&mut c, p, "ResourceArns", "resourceArns", false);
    let boundaries = names(
        &mut c,
        p,
        "PermissionsBoundaryPolicyInputList",
        "permissionsBoundaryPolicyInputList",
        false,
    );
    let (marker, max) = crate::roles::paging_params(&mut c, p);
    c.done()?;
    let mut policies = Vec::new();
    for (n, text) in texts.iter().enumerate() {
        policies.push(Source {
            id: format!("PolicyInputList.{}", n + 1),
            kind: "IAM Policy",
            policy: parse(text, "PolicyInputList")?,
        });
    }
    let boundary = match boundaries.first() {
        Some(text) => Some(Source {
            id: "PermissionsBoundaryPolicyInputList.1".into(),
            kind: "PermissionsBoundaryPolicy",
            policy: parse(text, "PermissionsBoundaryPolicyInputList")?,
        }),
        None => None,
    };
    let resource = p
        .get("ResourcePolicy")
        .map(|t| parse(t, "ResourcePolicy"))
        .transpose()?;
    Ok(Inputs {
        policies,
        boundary,
        resource,
        actions,
        resources: if resources.is_empty() {
            vec!["*"]
        } else {
            resources
        },
        context: context_entries(p),
        marker,
        max,
    })
}

pub fn simulate_custom(p: Params<'_>, account: &str) -> Result<String, Fail> {
    let i = inputs(Checks::new(), p, true)?;
    let caller = match p.get("CallerArn") {
        Some(arn) => caller_of(arn, account),
        None => Caller {
            kind: Kind::User,
            arn: format!("arn:aws:iam::{account}:user/simulated"),
            account: account.to_string(),
            role_arn: None,
            id: "AIDASIMULATEDUSER0000".into(),
        },
    };
    let sim = Simulation {
        caller,
        identity: i.policies,
        boundary: i.boundary,
        resource: i.resource,
        context: i.context,
    };
    sim.run(&i.actions, &i.resources, i.marker, i.max)
}

/// A caller from an ARN the simulation names (user, role or assumed role).
fn caller_of(arn: &str, account: &str) -> Caller {
    let kind = if arn.contains(":assumed-role/") {
        Kind::AssumedRole
    } else if arn.ends_with(":root") {
        Kind::Root
    } else {
        Kind::User
    };
    Caller {
        kind,
        arn: arn.to_string(),
        account: arn
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .unwrap_or(account)
            .to_string(),
        role_arn: None,
        id: arn.to_string(),
    }
}

pub fn simulate_principal(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let source = c
        .required("policySourceArn", p.get("PolicySourceArn"))
        .to_string();
    let i = inputs(c, p, false)?;
    let account = iam.account_id().to_string();
    let name = source.rsplit('/').next().unwrap_or_default().to_string();
    let (holder, kind) = if source.contains(":user/") {
        (Holder::User(name.clone()), Kind::User)
    } else if source.contains(":role/") {
        (Holder::Role(name.clone()), Kind::AssumedRole)
    } else {
        return Err(IamError::invalid_input(format!(
            "Invalid ARN: {source}. Specify the ARN of a user, group or role."
        ))
        .into()); // message unverified
    };
    let caller = Caller {
        kind,
        arn: source.clone(),
        account: account.clone(),
        role_arn: (kind == Kind::AssumedRole).then(|| source.clone()),
        id: name.clone(),
    };
    let identity = Identity::held_by(caller, Some(holder));
    let held = iam.held(&identity).map_err(|e| {
        if e.code == "NoSuchEntity" {
            IamError::no_such_entity(format!("The user or role {source} cannot be found."))
        // message unverified
        } else {
            e
        }
    })?;
    let mut sources: Vec<Source> = held
        .identity
        .into_iter()
        .enumerate()
        .map(|(n, policy)| Source {
            id: format!("{name}_policy_{}", n + 1),
            kind: if kind == Kind::User { "user" } else { "role" },
            policy,
        })
        .collect();
    sources.extend(i.policies);
    let boundary = i.boundary.or_else(|| {
        held.boundary.map(|policy| Source {
            id: format!("{name}_boundary"),
            kind: "PermissionsBoundaryPolicy",
            policy,
        })
    });
    let mut context = i.context;
    if kind == Kind::User {
        context.set("aws:username", name.as_str());
    }
    let caller = match p.get("CallerArn") {
        Some(arn) => caller_of(arn, &account),
        None => identity.caller,
    };
    let sim = Simulation {
        caller,
        identity: sources,
        boundary,
        resource: i.resource,
        context,
    };
    sim.run(&i.actions, &i.resources, i.marker, i.max)
}
