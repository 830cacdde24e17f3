//! Policy documents as the evaluator reads them: identity policies, resource policies (key
//! policies, table policies, trust policies) and session policies share one grammar.
//!
//! Parsing is lenient where IAM's own checks already refused bad documents at storage time
//! (`iam::doc`), and strict where leniency would widen access: an unknown condition operator or
//! element makes the whole document unusable, so it grants nothing (and its denials are kept by
//! refusing it loudly instead: see [`ParseError`]).

use serde_json::{Map, Value};

use crate::condition::{Condition, Operator};

/// Documents nest at most this deep (a valid policy is five levels deep); deeper ones are
/// refused before anything walks them.
pub const MAX_DEPTH: usize = 16;

/// Documents larger than this are refused unread (IAM's largest quota, a role's inline
/// policies together, is 10,240 characters; a KMS key policy 32 KiB).
pub const MAX_BYTES: usize = 128 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, or every pattern but those (`NotAction`, `NotResource`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Patterns {
    Listed(Vec<String>),
    AllBut(Vec<String>),
}

/// Who a resource policy's statement is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principals {
    /// `"Principal": "*"` or `{"AWS": "*"}`.
    Anyone,
    /// `{"AWS": [...], "Service": [...], "Federated": [...]}`: lists by kind.
    Listed(Vec<(String, String)>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `None` in identity policies; `Some((principals, negated))` in resource policies.
    pub principal: Option<(Principals, bool)>,
    pub action: Patterns,
    /// `None` when the statement has neither `Resource` nor `NotResource` (trust policies).
    pub resource: Option<Patterns>,
    pub conditions: Vec<Condition>,
    /// Whether `${…}` are policy variables: only in documents of version 2012-10-17 (IAM User
    /// Guide, "IAM JSON policy elements: Version").
    pub variables: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

/// Why a document cannot be evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(why: impl Into<String>) -> ParseError {
    ParseError(why.into())
}

impl Policy {
    /// Parses a policy document's text.
    pub fn parse(text: &str) -> Result<Policy, ParseError> {
        if text.len() > MAX_BYTES {
            return Err(bad("the policy is too large"));
        }
        if nesting(text) > MAX_DEPTH {
            return Err(bad("the policy nests too deeply"));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        Policy::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Policy, ParseError> {
        let doc = value
            .as_object()
            .ok_or_else(|| bad("a policy is a JSON object"))?;
        let variables = doc.get("Version").and_then(Value::as_str) == Some("2012-10-17");
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) => list
                .iter()
                .map(|v| statement(v, variables))
                .collect::<Result<_, _>>()?,
            Some(one @ Value::Object(_)) => vec![statement(one, variables)?],
            _ => return Err(bad("a policy needs a Statement")),
        };
        Ok(Policy { statements })
    }
}

/// The deepest nesting of brackets outside strings: measured before parsing, so a hostile
/// document cannot make the parser (or dropping its result) recurse deeply.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn statement(value: &Value, variables: bool) -> Result<Statement, ParseError> {
    let s = value
        .as_object()
        .ok_or_else(|| bad("a statement is a JSON object"))?;
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(bad("a statement's Effect is Allow or Deny")),
    };
    let action = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => Patterns::Listed(strings(a, "Action")?),
        (None, Some(a)) => Patterns::AllBut(strings(a, "NotAction")?),
        _ => return Err(bad("a statement has one of Action or NotAction")),
    };
    let resource = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), None) => Some(Patterns::Listed(strings(r, "Resource")?)),
        (None, Some(r)) => Some(Patterns::AllBut(strings(r, "NotResource")?)),
        (None, None) => None,
        _ => return Err(bad("a statement has Resource or NotResource, not both")),
    };
    let principal = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(p), None) => Some((principals(p)?, false)),
        (None, Some(p)) => Some((principals(p)?, true)),
        (None, None) => None,
        _ => return Err(bad("a statement has Principal or NotPrincipal, not both")),
    };
    let conditions = match s.get("Condition") {
        Some(c) => conditions(c, variables)?,
        None => Vec::new(),
    };
    Ok(Statement {
        sid: s.get("Sid").and_then(Value::as_str).map(str::to_string),
        effect,
        principal,
        action,
        resource,
        conditions,
        variables,
    })
}

/// A string or a list of strings.
fn strings(value: &Value, element: &str) -> Result<Vec<String>, ParseError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad(format!("{element} holds strings")))
            })
            .collect(),
        _ => Err(bad(format!("{element} is a string or a list of strings"))),
    }
}

fn principals(value: &Value) -> Result<Principals, ParseError> {
    match value {
        Value::String(s) if s == "*" => Ok(Principals::Anyone),
        Value::Object(kinds) => {
            let mut listed = Vec::new();
            for (kind, ids) in kinds {
                if !matches!(
                    kind.as_str(),
                    "AWS" | "Service" | "Federated" | "CanonicalUser"
                ) {
                    return Err(bad(format!("unknown principal kind {kind}")));
                }
                for id in strings(ids, "Principal")? {
                    if kind == "AWS" && id == "*" {
                        return Ok(Principals::Anyone);
                    }
                    listed.push((kind.clone(), id));
                }
            }
            Ok(Principals::Listed(listed))
        }
        _ => Err(bad("Principal is \"*\" or an object")),
    }
}

fn conditions(value: &Value, variables: bool) -> Result<Vec<Condition>, ParseError> {
    let ops: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| bad("Condition is an object"))?;
    let mut out = Vec::new();
    for (name, keys) in ops {
        let operator = Operator::parse(name)
            .ok_or_else(|| bad(format!("unknown condition operator {name}")))?;
        let keys = keys
            .as_object()
            .ok_or_else(|| bad(format!("{name} holds an object of keys")))?;
        for (key, values) in keys {
            let values = match values {
                Value::Array(list) => list.iter().map(scalar).collect::<Result<_, _>>()?,
                v => vec![scalar(v)?],
            };
            out.push(Condition {
                operator,
                key: key.clone(),
                values,
                variables,
            });
        }
    }
    Ok(out)
}

/// A condition value: strings as they are, numbers and booleans as their JSON text.
fn scalar(value: &Value) -> Result<String, ParseError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(bad("a condition value is a string, number or boolean")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_policy() {
        let p = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Action":["dynamodb:GetItem","dynamodb:PutItem"],
            "Resource":["arn:aws:dynamodb:*:*:table/myapp-*"]}]}"#,
        );
        let Ok(p) = p else { panic!("{p:?}") };
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].effect, Effect::Allow);
    }

    #[test]
    fn deep_documents_are_refused_unparsed() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(Policy::parse(&deep).is_err());
        // Brackets inside strings are not nesting.
        let quoted = format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":"{}","Resource":"*"}}}}"#,
            "[".repeat(100)
        );
        assert!(Policy::parse(&quoted).is_ok());
    }
}
