//! Policy document checks with IAM's `MalformedPolicyDocument` messages, and the size quotas.
//!
//! Identity policies (managed policy versions, inline role policies) go through IAM's grammar in
//! the order IAM applies it: syntax, version, legacy parsing (case of `Effect`), Sid uniqueness,
//! actions present, resource format, action vendors, resources present. Trust policies are
//! checked for JSON, their actions and the absence of `Resource`.

use serde_json::{Map, Value};

use crate::error::IamError;

const SYNTAX: &str = "Syntax errors in policy.";

/// Statement elements IAM's grammar knows.
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// The characters IAM counts against its size quotas (it ignores white space).
pub fn counted_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

fn statements(policy: &Map<String, Value>) -> Option<Vec<&Map<String, Value>>> {
    match policy.get("Statement")? {
        Value::Object(s) => Some(vec![s]),
        Value::Array(list) if !list.is_empty() => list.iter().map(Value::as_object).collect(),
        _ => None,
    }
}

fn is_string_or_strings(v: &Value) -> bool {
    match v {
        Value::String(_) => true,
        Value::Array(list) => list.iter().all(Value::is_string),
        _ => false,
    }
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// `Condition`: operator → { key → value or list of values }.
fn condition_ok(v: &Value) -> bool {
    let Some(ops) = v.as_object() else {
        return false;
    };
    ops.values().all(|keys| {
        keys.as_object().is_some_and(|keys| {
            keys.values().all(|v| match v {
                Value::Array(list) => list.iter().all(is_scalar),
                v => is_scalar(v),
            })
        })
    })
}

fn syntax_ok(policy: &Map<String, Value>) -> bool {
    if !policy
        .keys()
        .all(|k| matches!(k.as_str(), "Version" | "Id" | "Statement"))
    {
        return false;
    }
    if let Some(v) = policy.get("Version") {
        if !matches!(v.as_str(), Some("2008-10-17" | "2012-10-17")) {
            return false;
        }
    }
    if policy.get("Id").is_some_and(|v| !v.is_string()) {
        return false;
    }
    let Some(list) = statements(policy) else {
        return false;
    };
    list.iter().all(|s| {
        s.keys().all(|k| STATEMENT_ELEMENTS.contains(&k.as_str()))
            && !(s.contains_key("Action") && s.contains_key("NotAction"))
            && !(s.contains_key("Resource") && s.contains_key("NotResource"))
            && s.get("Effect")
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case("Allow") || e.eq_ignore_ascii_case("Deny"))
            && ["Action", "NotAction", "Resource", "NotResource"]
                .iter()
                .all(|k| s.get(*k).is_none_or(is_string_or_strings))
            && s.get("Condition").is_none_or(condition_ok)
            && s.get("Sid").is_none_or(Value::is_string)
    })
}

fn parse_object(document: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(document) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// The first resource that is neither `*` nor ARN-shaped, as IAM reports it.
fn resource_error(list: &[&Map<String, Value>]) -> Option<String> {
    for s in list {
        for key in ["Resource", "NotResource"] {
            if let Some(v) = s.get(key) {
                for r in strings(v) {
                    if r != "*" && !r.contains(':') {
                        return Some(format!("Resource {r} must be in ARN format or \"*\"."));
                    }
                }
            }
        }
    }
    None
}

fn action_error(list: &[&Map<String, Value>]) -> Option<String> {
    for s in list {
        for key in ["Action", "NotAction"] {
            let Some(v) = s.get(key) else { continue };
            for action in strings(v) {
                let parts: Vec<&str> = action.split(':').collect();
                if parts.len() == 1 && parts[0] != "*" {
                    return Some(
                        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                            .to_string(),
                    );
                }
                if parts.len() > 2 {
                    return Some("Actions/Condition can contain only one colon.".to_string());
                }
                let vendor = parts[0];
                if vendor != "*"
                    && !vendor
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                {
                    return Some(format!("Vendor {vendor} is not valid"));
                }
            }
        }
    }
    None
}

fn has_nonempty(s: &Map<String, Value>, a: &str, b: &str) -> bool {
    let present = |k: &str| match s.get(k) {
        Some(Value::Array(list)) => !list.is_empty(),
        Some(_) => true,
        None => false,
    };
    present(a) || present(b)
}

/// An identity-based policy: a managed policy version or an inline role policy.
pub fn validate_identity(document: &str) -> Result<(), IamError> {
    let Some(policy) = parse_object(document) else {
        return Err(IamError::malformed(SYNTAX));
    };
    if !syntax_ok(&policy) {
        return Err(IamError::malformed(SYNTAX));
    }
    let list = statements(&policy).unwrap_or_default();
    if list
        .iter()
        .any(|s| s.contains_key("Principal") || s.contains_key("NotPrincipal"))
    {
        return Err(IamError::malformed(
            "Policy document should not specify a principal.",
        ));
    }
    if policy.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        return Err(IamError::malformed(
            "Policy document must be version 2012-10-17 or greater.",
        ));
    }
    if list.iter().any(|s| {
        !matches!(
            s.get("Effect").and_then(Value::as_str),
            Some("Allow" | "Deny")
        )
    }) {
        return Err(IamError::malformed("The policy failed legacy parsing"));
    }
    let mut sids: Vec<&str> = Vec::new();
    for s in &list {
        if let Some(sid) = s.get("Sid").and_then(Value::as_str) {
            if !sid.is_empty() {
                if sids.contains(&sid) {
                    return Err(IamError::malformed(
                        "Statement IDs (SID) in a single policy must be unique.",
                    ));
                }
                sids.push(sid);
            }
        }
    }
    if !list.iter().all(|s| has_nonempty(s, "Action", "NotAction")) {
        return Err(IamError::malformed(
            "Policy statement must contain actions.",
        ));
    }
    if let Some(message) = resource_error(&list) {
        return Err(IamError::malformed(message));
    }
    if let Some(message) = action_error(&list) {
        return Err(IamError::malformed(message));
    }
    if !list
        .iter()
        .all(|s| has_nonempty(s, "Resource", "NotResource"))
    {
        return Err(IamError::malformed(
            "Policy statement must contain resources.",
        ));
    }
    Ok(())
}

/// Actions a trust policy may grant.
const TRUST_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:SetSourceIdentity",
    "sts:TagSession",
    "sts:SetContext",
];

/// A role's trust policy (`AssumeRolePolicyDocument`).
pub fn validate_trust(document: &str) -> Result<(), IamError> {
    let Some(policy) = parse_object(document) else {
        return Err(IamError::malformed("This policy contains invalid Json"));
    };
    let Some(list) = statements(&policy) else {
        return Err(IamError::malformed(SYNTAX));
    };
    for s in &list {
        if let Some(v) = s.get("Action") {
            if strings(v).iter().any(|a| !TRUST_ACTIONS.contains(a)) {
                return Err(IamError::malformed(
                    "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
                ));
            }
        }
    }
    if list
        .iter()
        .any(|s| s.contains_key("Resource") || s.contains_key("NotResource"))
    {
        return Err(IamError::malformed("Has prohibited field Resource."));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn identity_error(doc: &str) -> String {
        validate_identity(doc).unwrap_err().message
    }

    #[test]
    fn accepts_ordinary_policies() {
        let ok = [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/t"}]}"#,
            r#"{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Deny","NotAction":["s3:*"],"NotResource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"NumericLessThan":{"s3:x":[1,2]}}}}"#,
            r#"{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        ];
        for d in ok {
            assert!(validate_identity(d).is_ok(), "{d}");
        }
    }

    #[test]
    fn refuses_malformed_identity_policies_with_iams_messages() {
        let cases = [
            ("{", SYNTAX),
            ("[]", SYNTAX),
            (r#"{"Version":"2012-10-17"}"#, SYNTAX),
            (r#"{"Version":"2012-10-17","Statement":[]}"#, SYNTAX),
            (
                r#"{"Version":"2012-10-17","Extra":1,"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                SYNTAX,
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
                SYNTAX,
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}]}"#,
                SYNTAX,
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]}"#,
                "Policy document should not specify a principal.",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                "Policy document must be version 2012-10-17 or greater.",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
                "The policy failed legacy parsing",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                "Statement IDs (SID) in a single policy must be unique.",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
                "Policy statement must contain actions.",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get","Resource":"bucket"}]}"#,
                "Resource bucket must be in ARN format or \"*\".",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetItem","Resource":"*"}]}"#,
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b:c","Resource":"*"}]}"#,
                "Actions/Condition can contain only one colon.",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"d b:x","Resource":"*"}]}"#,
                "Vendor d b is not valid",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
                "Policy statement must contain resources.",
            ),
        ];
        for (doc, message) in cases {
            assert_eq!(identity_error(doc), message, "{doc}");
        }
    }

    #[test]
    fn checks_trust_policies() {
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(validate_trust(ok).is_ok());
        assert_eq!(
            validate_trust("not json").unwrap_err().message,
            "This policy contains invalid Json"
        );
        let with_resource = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"x"},"Action":"sts:AssumeRole","Resource":"*"}]}"#;
        assert_eq!(
            validate_trust(with_resource).unwrap_err().message,
            "Has prohibited field Resource."
        );
        let bad_action = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"x"},"Action":"s3:GetObject"}]}"#;
        assert_eq!(
            validate_trust(bad_action).unwrap_err().code,
            "MalformedPolicyDocument"
        );
        assert_eq!(counted_size("{ \"a\" :\n 1 }"), 7);
    }
}
