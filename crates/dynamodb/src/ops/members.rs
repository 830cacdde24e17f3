//! Required members of list entries, checked on the request's JSON before it is decoded. AWS
//! names a missing one by its path (`attributeDefinitions.1.member.attributeType`) in a
//! ValidationException, or for tags in words of its own; decoding would only say which field a
//! SerializationException missed. Only the control-plane operations that carry such lists
//! pay for the extra parse.
//!
//! The messages and their order are as AWS answered on 2026-10-09 (a public catalogue of
//! degenerate requests sent to DynamoDB: ack-api-quirks, DDB-TABLE-457).

use serde_json::Value as Json;

use crate::error::{Constraints, DynamoError};
use crate::Operation;

pub(super) fn check(op: Operation, body: &[u8]) -> Result<(), DynamoError> {
    if !matches!(
        op,
        Operation::CreateTable
            | Operation::UpdateTable
            | Operation::TagResource
            | Operation::UntagResource
    ) {
        return Ok(());
    }
    // A body that is not JSON is the decoder's to refuse, with its own message.
    let Ok(Json::Object(req)) = serde_json::from_slice::<Json>(body) else {
        return Ok(());
    };
    let mut c = Constraints::default();
    let entries = |name: &str| match req.get(name) {
        Some(Json::Array(a)) => a.as_slice(),
        _ => &[],
    };
    match op {
        Operation::UntagResource => return untag_keys(req.get("TagKeys")),
        Operation::TagResource => return tags(entries("Tags")),
        _ => {}
    }
    // AWS lists an attribute definition's type before its name, a key's name before its type.
    missing(
        &mut c,
        "attributeDefinitions",
        entries("AttributeDefinitions"),
        &["AttributeType", "AttributeName"],
    );
    if op == Operation::CreateTable {
        missing(
            &mut c,
            "keySchema",
            entries("KeySchema"),
            &["AttributeName", "KeyType"],
        );
        for (list, member) in [
            ("GlobalSecondaryIndexes", "globalSecondaryIndexes"),
            ("LocalSecondaryIndexes", "localSecondaryIndexes"),
        ] {
            for (i, index) in entries(list).iter().enumerate() {
                if let Some(Json::Array(keys)) = index.get("KeySchema") {
                    let path = format!("{member}.{}.member.keySchema", i + 1);
                    missing(&mut c, &path, keys, &["AttributeName", "KeyType"]);
                    // order unverified
                }
            }
        }
    }
    c.into_result()?;
    if op == Operation::CreateTable {
        tags(entries("Tags"))?;
    }
    Ok(())
}

/// `list.N.member.field` for each entry of `list` missing one of `fields` (or holding null).
fn missing(c: &mut Constraints, list: &str, entries: &[Json], fields: &[&str]) {
    for (i, entry) in entries.iter().enumerate() {
        for field in fields {
            if entry.get(field).is_none_or(Json::is_null) {
                c.push_null(&format!("{list}.{}.member.{}", i + 1, lower_camel(field)));
            }
        }
    }
}

fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

/// A tag needs a key, then a value.
fn tags(entries: &[Json]) -> Result<(), DynamoError> {
    for tag in entries {
        if tag.get("Key").is_none_or(Json::is_null) {
            return Err(DynamoError::validation(
                "The Tag Key provided is invalid, Key: null",
            ));
        }
        if tag.get("Value").is_none_or(Json::is_null) {
            return Err(DynamoError::validation(
                "The Tag Value provided is invalid, Value: null",
            ));
        }
    }
    Ok(())
}

/// UntagResource's keys: at least one, none empty. (Absent is the operation's own null check.)
fn untag_keys(keys: Option<&Json>) -> Result<(), DynamoError> {
    let Some(Json::Array(keys)) = keys else {
        return Ok(());
    };
    if keys.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    if keys.iter().any(|k| k.as_str() == Some("")) {
        return Err(DynamoError::validation(
            "The Tag Key provided is invalid, Key: ",
        ));
    }
    Ok(())
}
