//! Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. A key has one policy, named
//! `default`; it is stored and returned as the text the client gave (AWS's own formatting for
//! the policies KMS writes itself). Policies are not evaluated: Dynostack authorizes requests
//! by SigV4 credentials only.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::error::{Constraints, ErrorCode, KmsError};
use crate::keys;
use crate::Operation;

use super::{check_access, update_key, Call};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyPolicy {
    key_id: Option<String>,
    policy_name: Option<String>,
}

fn check_policy_name(cons: &mut Constraints, name: Option<&str>) {
    if let Some(n) = name {
        cons.length(n, "policyName", 1, 128);
        if !n.is_empty() && !n.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
            cons.push(
                n,
                "policyName",
                "satisfy regular expression pattern: [\\w]+",
            );
        }
    }
}

pub(crate) fn get(c: &Call<'_>, req: GetKeyPolicy) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    check_policy_name(&mut cons, req.policy_name.as_deref());
    cons.into_result()?;
    let ident = keys::parse_ident(&c.scope, req.key_id.as_deref().unwrap_or_default(), false)?;
    let key = keys::resolve(&c.svc.store.read()?, &c.scope, &ident)?;
    check_access(c, &key, Operation::GetKeyPolicy)?;
    let name = req.policy_name.as_deref().unwrap_or("default");
    if name != "default" {
        return Err(KmsError::not_found("No such policy exists"));
    }
    Ok(json!({ "Policy": key.policy, "PolicyName": "default" }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutKeyPolicy {
    key_id: Option<String>,
    policy_name: Option<String>,
    policy: Option<String>,
    #[allow(dead_code)]
    bypass_policy_lockout_safety_check: Option<bool>,
}

/// A policy document must at least be a JSON object with a Statement.
pub(crate) fn check_document(policy: &str) -> Result<(), KmsError> {
    let parsed: Result<Json, _> = serde_json::from_str(policy);
    match parsed {
        Ok(Json::Object(m)) if m.contains_key("Statement") => Ok(()),
        _ => Err(KmsError::new(
            ErrorCode::MalformedPolicyDocument,
            "The new key policy is not a valid JSON policy document.",
        )),
    }
}

pub(crate) async fn put(c: &Call<'_>, req: PutKeyPolicy) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    check_policy_name(&mut cons, req.policy_name.as_deref());
    cons.string(req.policy.as_deref(), "policy", 1, 131_072);
    cons.into_result()?;
    if req.policy_name.as_deref().is_some_and(|n| n != "default") {
        return Err(KmsError::validation(
            "The only valid value for PolicyName is \"default\".",
        ));
    }
    let policy = req.policy.unwrap_or_default();
    check_document(&policy)?;
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, Operation::PutKeyPolicy, move |key, _| {
        key.policy = policy;
        Ok(json!({}))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyPolicies {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) fn list(c: &Call<'_>, req: ListKeyPolicies) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    super::paging_constraints(&mut cons, req.limit, req.marker.as_deref());
    cons.into_result()?;
    let ident = keys::parse_ident(&c.scope, req.key_id.as_deref().unwrap_or_default(), false)?;
    let key = keys::resolve(&c.svc.store.read()?, &c.scope, &ident)?;
    check_access(c, &key, Operation::ListKeyPolicies)?;
    Ok(json!({ "PolicyNames": ["default"], "Truncated": false }))
}
