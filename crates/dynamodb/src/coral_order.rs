//! The order AWS reports a request's constraint violations in. AWS's request validation (Coral)
//! collects every violation and joins them in one message; the order is not the model's but
//! that of a Java `HashMap` holding each structure's members: by bucket — the member name's
//! `String.hashCode`, spread and masked by a capacity of 16 doubled while the members exceed
//! three quarters of it — then, within a bucket, the model's order. Every recording we have
//! agrees (UpdateItem: returnConsumedCapacity, tableName, returnValues, key; PutItem:
//! returnValues before returnConsumedCapacity; writeCapacityUnits before readCapacityUnits).
//!
//! The members come from botocore's model (`model/members.json`, written by
//! `scripts/coral-members.py`), so a new member takes its place without code.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Deserialize)]
struct Members {
    operations: HashMap<String, String>,
    shapes: HashMap<String, Shape>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Shape {
    Members(Vec<(String, String)>),
    List(String),
    Map(String),
}

fn members() -> Option<&'static Members> {
    static MEMBERS: OnceLock<Option<Members>> = OnceLock::new();
    MEMBERS
        .get_or_init(|| serde_json::from_str(include_str!("../model/members.json")).ok())
        .as_ref()
}

tokio::task_local! {
    /// The operation the current request runs (its input shape is looked up only when there
    /// are violations to order).
    static OPERATION: &'static str;
}

/// Runs `f` as operation `op`, so that its violations are ordered as AWS orders them.
pub(crate) async fn as_operation<F: std::future::Future>(op: &'static str, f: F) -> F::Output {
    OPERATION.scope(op, f).await
}

/// Java's `String.hashCode`, spread as `HashMap.hash` spreads it.
fn java_hash(name: &str) -> u32 {
    let h = name
        .encode_utf16()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)));
    h ^ (h >> 16)
}

/// The position of `name` among a structure's `members` as a `HashMap` iterates them.
fn position(members: &[(String, String)], name: &str) -> Option<(u32, u32)> {
    let index = members.iter().position(|(m, _)| m == name)?;
    let mut capacity = 16usize;
    while members.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = java_hash(name) & (capacity as u32 - 1);
    Some((bucket, index as u32))
}

/// One step of a path's sort key: a structure member's position, a list index, a map key.
type Step = (u32, u32, String);

/// The sort key of a violation at `path` ("keySchema.1.member.attributeName") under `input`.
fn key(members: &Members, input: &str, path: &str) -> Vec<Step> {
    let mut shape = members.shapes.get(input);
    let mut out = Vec::new();
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let step = match shape {
            Some(Shape::Members(list)) => match position(list, segment) {
                Some((bucket, index)) => {
                    shape = list
                        .get(index as usize)
                        .and_then(|(_, target)| members.shapes.get(target));
                    (bucket, index, String::new())
                }
                None => {
                    shape = None;
                    (u32::MAX, u32::MAX, segment.to_string())
                }
            },
            Some(Shape::List(target)) => {
                shape = members.shapes.get(target);
                segments.next_if_eq(&"member");
                (segment.parse().unwrap_or(u32::MAX), 0, String::new())
            }
            Some(Shape::Map(target)) => {
                shape = members.shapes.get(target);
                segments.next_if_eq(&"member");
                (0, 0, segment.to_string())
            }
            None => (u32::MAX, u32::MAX, segment.to_string()),
        };
        out.push(step);
    }
    out
}

/// Sorts violations (each with its member path) into AWS's order for the current operation;
/// outside one, or for paths the model does not know, the order they were found in stays.
pub(crate) fn sort<T>(violations: &mut [(String, T)]) {
    let Ok(op) = OPERATION.try_with(|o| *o) else {
        return;
    };
    let Some((members, input)) = members().and_then(|m| Some((m, m.operations.get(op)?))) else {
        return;
    };
    violations.sort_by_cached_key(|(path, _)| key(members, input, path));
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn ordered(op: &str, paths: &[&str]) -> Vec<String> {
        let members = members().expect("model");
        let input = &members.operations[op];
        let mut v: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        v.sort_by_cached_key(|p| key(members, input, p));
        v
    }

    #[test]
    fn members_are_ordered_as_aws_reports_them() {
        // Recorded from AWS (UpdateItem, 2026-10-09; PutItem as issue 26 quotes it).
        assert_eq!(
            ordered(
                "UpdateItem",
                &["key", "returnValues", "tableName", "returnConsumedCapacity"]
            ),
            ["returnConsumedCapacity", "tableName", "returnValues", "key"]
        );
        assert_eq!(
            ordered("UpdateItem", &["key", "conditionalOperator"]),
            ["conditionalOperator", "key"]
        );
        assert_eq!(
            ordered("PutItem", &["returnConsumedCapacity", "returnValues"]),
            ["returnValues", "returnConsumedCapacity"]
        );
        assert_eq!(
            ordered(
                "UpdateTable",
                &[
                    "globalSecondaryIndexUpdates.1.member.update.provisionedThroughput.readCapacityUnits",
                    "globalSecondaryIndexUpdates.1.member.update.provisionedThroughput.writeCapacityUnits",
                ]
            ),
            [
                "globalSecondaryIndexUpdates.1.member.update.provisionedThroughput.writeCapacityUnits",
                "globalSecondaryIndexUpdates.1.member.update.provisionedThroughput.readCapacityUnits",
            ]
        );
    }

    #[test]
    fn list_elements_keep_their_order_and_unknown_paths_go_last() {
        assert_eq!(
            ordered(
                "CreateTable",
                &[
                    "nope",
                    "keySchema.2.member.keyType",
                    "keySchema.1.member.keyType"
                ]
            ),
            [
                "keySchema.1.member.keyType",
                "keySchema.2.member.keyType",
                "nope"
            ]
        );
    }
}
