//! Refusing requests that carry far more than an operation allows before they are decoded:
//! decoding builds every element (a 16 MB TransactWriteItems of 300,000 tiny actions took
//! 1.7 GB), while counting them here allocates nothing.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{Constraints, DynamoError};
use crate::Operation;

/// AWS's limits, and for the operations whose message names every element, ten times them: the
/// usual over-limit request still gets AWS's message from the operation itself.
pub(crate) fn check(op: Operation, body: &[u8]) -> Result<(), DynamoError> {
    // (member, its name in messages, AWS's limit, where this refuses)
    let (member, constraint_member, aws_limit, limit) = match op {
        Operation::TransactWriteItems | Operation::TransactGetItems => {
            ("TransactItems", "transactItems", 100, 100)
        }
        Operation::ExecuteTransaction => ("TransactStatements", "transactStatements", 100, 1000),
        Operation::BatchExecuteStatement => ("Statements", "statements", 25, 250),
        Operation::BatchWriteItem => ("RequestItems", "", 25, 250),
        Operation::BatchGetItem => ("RequestItems", "", 100, 10_000),
        _ => return Ok(()),
    };
    if count(body, member) <= limit {
        return Ok(());
    }
    if constraint_member.is_empty() {
        return Err(DynamoError::validation(format!(
            "Too many items requested for the {} call", // DynamoDB Local's words (its error codes)
            op.name()
        )));
    }
    let mut c = Constraints::default();
    c.push(
        "[...]",
        constraint_member,
        &format!("have length less than or equal to {aws_limit}"),
    );
    c.into_result()
}

/// How many elements the arrays under the body's top-level `member` hold (the array itself, or
/// the arrays in the objects it holds, and in theirs). A body that is not JSON counts
/// 0: decoding it will say what is wrong.
pub(super) fn count(body: &[u8], member: &'static str) -> usize {
    let mut de = serde_json::Deserializer::from_slice(body);
    de::Deserializer::deserialize_any(&mut de, Top { member }).unwrap_or(0)
}

struct Top {
    member: &'static str,
}

impl<'de> Visitor<'de> for Top {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a request object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.member {
                n += map.next_value_seed(Elements { depth: 3 })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(n)
    }
}

/// Counts array elements without keeping them; objects are searched `depth` levels down.
struct Elements {
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for Elements {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Elements {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while map.next_key::<IgnoredAny>()?.is_some() {
            n += if self.depth > 1 {
                map.next_value_seed(Elements {
                    depth: self.depth - 1,
                })?
            } else {
                map.next_value::<IgnoredAny>()?;
                0
            };
        }
        Ok(n)
    }

    fn visit_bool<E>(self, _: bool) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_i64<E>(self, _: i64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_u64<E>(self, _: u64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_f64<E>(self, _: f64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_str<E>(self, _: &str) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_unit<E>(self) -> Result<usize, E> {
        Ok(0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_arrays_without_building_them() {
        assert_eq!(
            count(
                br#"{"TransactItems": [{}, {}, {"Put": {}}], "X": [1]}"#,
                "TransactItems"
            ),
            3
        );
        assert_eq!(
            count(
                br#"{"RequestItems": {"a": [1, 2], "b": [3]}}"#,
                "RequestItems"
            ),
            3
        );
        assert_eq!(
            count(
                br#"{"RequestItems": {"a": {"Keys": [1, 2], "ConsistentRead": true}}}"#,
                "RequestItems"
            ),
            2
        );
        assert_eq!(count(br#"{"TransactItems": null}"#, "TransactItems"), 0);
        assert_eq!(count(b"not json", "TransactItems"), 0);
    }

    #[test]
    fn refuses_far_too_many_actions_with_aws_message() {
        let body = format!(r#"{{"TransactItems": [{}]}}"#, vec!["{}"; 101].join(","));
        let e = check(Operation::TransactWriteItems, body.as_bytes()).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"
        );
        let body = format!(r#"{{"TransactItems": [{}]}}"#, vec!["{}"; 100].join(","));
        assert!(check(Operation::TransactWriteItems, body.as_bytes()).is_ok());
    }
}
