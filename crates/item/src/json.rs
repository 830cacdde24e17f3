//! The awsJson wire form of AttributeValue (`{"S":"x"}`, `{"N":"1.5"}`, `{"B":"<base64>"}`, …),
//! decoded the way DynamoDB decodes it.
//!
//! AWS reads a request in two stages, and the error type tells which one refused it:
//! 1. deserialisation into its model (wrong JSON type, bad base64) answers
//!    `SerializationException` with Coral's wording ("NUMBER_VALUE cannot be converted to String");
//! 2. validation (empty value, several types, bad numbers, empty or duplicated sets, NULL:false,
//!    nesting) answers `ValidationException`.
//!
//! Because AWS deserialises the whole request before validating any of it, [`decode_value`] and
//! [`decode_item`] check the shape of the whole tree first; callers decoding several parts of one
//! request can run [`value_shape_error`]/[`item_shape_error`] over all of them before validating.
//!
//! Wording sources: dynalite's test suite and validations (recorded against AWS), its newer
//! serialization assertions (Coral messages), and conformance suites recorded against AWS for the
//! 32-level nesting limit.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::Value as Json;

use crate::number::Number;
use crate::value::{Item, Value};

/// Deepest level a value may sit at, the attribute itself being level 1 (AWS accepts a leaf under
/// 31 nested maps/lists and refuses one under 32).
pub const MAX_NESTING_LEVEL: usize = 32;

pub const MSG_EMPTY: &str =
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
pub const MSG_MULTIPLE: &str = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes";
pub const MSG_NULL_FALSE: &str =
    "One or more parameter values were invalid: Null attribute value types must have the value of true";
/// AWS's own wording, including the double space and "An string".
pub const MSG_EMPTY_SS: &str =
    "One or more parameter values were invalid: An string set  may not be empty";
pub const MSG_EMPTY_NS: &str =
    "One or more parameter values were invalid: An number set  may not be empty";
pub const MSG_EMPTY_BS: &str =
    "One or more parameter values were invalid: Binary sets should not be empty";
/// Number-set duplicates carry neither the usual prefix nor the collection (AWS quirk).
pub const MSG_NS_DUPLICATES: &str = "Input collection contains duplicates";
/// An empty (or missing) number text: no ": value" suffix, unlike other unparsable numbers.
pub const MSG_EMPTY_NUMBER: &str = "The parameter cannot be converted to a numeric value";
pub const MSG_NESTING: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

/// Which AWS exception a refused AttributeValue maps to, with AWS's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// `SerializationException`: the JSON does not fit the AttributeValue model.
    Serialization(String),
    /// `ValidationException`: the value is well-formed JSON but DynamoDB refuses it.
    Validation(String),
}

impl DecodeError {
    pub fn message(&self) -> &str {
        match self {
            DecodeError::Serialization(m) | DecodeError::Validation(m) => m,
        }
    }

    pub fn into_message(self) -> String {
        match self {
            DecodeError::Serialization(m) | DecodeError::Validation(m) => m,
        }
    }

    pub fn is_serialization(&self) -> bool {
        matches!(self, DecodeError::Serialization(_))
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for DecodeError {}

/// Decodes one AttributeValue, validating as AWS does; the error is AWS's message (see
/// [`decode_value`] to also learn whether it is a serialization or a validation error).
pub fn value_from_json(v: &Json) -> Result<Value, String> {
    decode_value(v).map_err(DecodeError::into_message)
}

/// Decodes an item (an object of attribute name to AttributeValue); the error is AWS's message.
pub fn item_from_json(v: &Json) -> Result<Item, String> {
    decode_item(v).map_err(DecodeError::into_message)
}

/// Decodes one AttributeValue (at nesting level 1).
pub fn decode_value(v: &Json) -> Result<Value, DecodeError> {
    if let Some(e) = value_shape_error(v) {
        return Err(DecodeError::Serialization(e));
    }
    validate_value(v, 1).map_err(DecodeError::Validation)
}

/// Decodes an item: every attribute value sits at nesting level 1.
pub fn decode_item(v: &Json) -> Result<Item, DecodeError> {
    if let Some(e) = item_shape_error(v) {
        return Err(DecodeError::Serialization(e));
    }
    let mut item = Item::new();
    if let Json::Object(map) = v {
        for (name, av) in map {
            let value = validate_value(av, 1).map_err(DecodeError::Validation)?;
            item.insert(name.clone(), value);
        }
    }
    Ok(item)
}

/// The `SerializationException` message AWS gives for an item-shaped member (`Item`, `Key`, …)
/// whose JSON does not fit `Map<String, AttributeValue>`, if any.
pub fn item_shape_error(v: &Json) -> Option<String> {
    match v {
        Json::Object(map) => map.values().find_map(value_shape_error),
        _ => map_shape_error(v),
    }
}

/// The `SerializationException` message AWS gives for an AttributeValue whose JSON does not fit
/// the model, if any; the whole tree is checked.
pub fn value_shape_error(v: &Json) -> Option<String> {
    match v {
        // A null value is an absent one: validation reports it as empty.
        Json::Null => None,
        Json::Bool(_) | Json::Number(_) | Json::String(_) => {
            Some("Unexpected value type in payload".to_string())
        }
        Json::Array(_) => Some(
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"
                .to_string(),
        ),
        Json::Object(fields) => fields.iter().find_map(|(k, f)| field_shape_error(k, f)),
    }
}

fn field_shape_error(key: &str, f: &Json) -> Option<String> {
    if f.is_null() {
        return None;
    }
    match key {
        "S" | "N" => string_shape_error(f),
        "B" => blob_shape_error(f),
        "BOOL" | "NULL" => bool_shape_error(f),
        "SS" | "NS" => list_shape_error(f).or_else(|| elements(f).find_map(string_shape_error)),
        "BS" => list_shape_error(f).or_else(|| elements(f).find_map(blob_shape_error)),
        "L" => list_shape_error(f).or_else(|| elements(f).find_map(value_shape_error)),
        "M" => map_shape_error(f).or_else(|| {
            f.as_object()
                .and_then(|m| m.values().find_map(value_shape_error))
        }),
        // Unknown members are ignored by AWS's deserialiser.
        _ => None,
    }
}

/// Non-null elements of a JSON array (nulls are validated later).
fn elements(f: &Json) -> impl Iterator<Item = &Json> {
    f.as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|e| !e.is_null())
}

/// Coral names JSON numbers by token: integers are NUMBER_VALUE, others DECIMAL_VALUE.
fn number_token(n: &serde_json::Number) -> &'static str {
    if n.is_f64() {
        "DECIMAL_VALUE"
    } else {
        "NUMBER_VALUE"
    }
}

fn string_shape_error(f: &Json) -> Option<String> {
    match f {
        Json::String(_) | Json::Null => None,
        Json::Bool(true) => Some("TRUE_VALUE cannot be converted to String".to_string()),
        Json::Bool(false) => Some("FALSE_VALUE cannot be converted to String".to_string()),
        Json::Number(n) => Some(format!("{} cannot be converted to String", number_token(n))),
        Json::Array(_) => Some("Unrecognized collection type class java.lang.String".to_string()),
        Json::Object(_) => Some("Start of structure or map found where not expected".to_string()),
    }
}

fn bool_shape_error(f: &Json) -> Option<String> {
    match f {
        Json::Bool(_) | Json::Null => None,
        // AWS refuses a numeric string ("23") here but reads other strings as a boolean
        // ({"NULL":"no"} is refused by validation as NULL:false); see `json_bool`.
        Json::String(s) if s.parse::<f64>().is_ok() => {
            Some("Unexpected token received from parser".to_string())
        }
        Json::String(_) => None,
        Json::Number(n) => Some(format!(
            "{} cannot be converted to Boolean",
            number_token(n)
        )),
        Json::Array(_) => Some("Unrecognized collection type class java.lang.Boolean".to_string()),
        Json::Object(_) => Some("Start of structure or map found where not expected".to_string()),
    }
}

fn blob_shape_error(f: &Json) -> Option<String> {
    match f {
        Json::Null => None,
        Json::Bool(_) | Json::Number(_) => {
            Some("only base-64-encoded strings are convertible to bytes".to_string())
        }
        Json::Array(_) => {
            Some("Unrecognized collection type class java.nio.ByteBuffer".to_string())
        }
        Json::Object(_) => Some("Start of structure or map found where not expected".to_string()),
        Json::String(s) => base64_decode(s).err(),
    }
}

/// Decodes standard, padded base64 as AWS does, with its messages (typo included).
fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let len = s.chars().count();
    if !len.is_multiple_of(4) {
        return Err(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {len}"
        ));
    }
    BASE64
        .decode(s)
        .map_err(|_| "Invalid last non-pad Base64 character dectected".to_string())
}

fn list_shape_error(f: &Json) -> Option<String> {
    match f {
        Json::Array(_) | Json::Null => None,
        Json::Object(_) => Some("Start of structure or map found where not expected".to_string()),
        _ => Some("Unexpected field type".to_string()),
    }
}

fn map_shape_error(f: &Json) -> Option<String> {
    match f {
        Json::Object(_) | Json::Null => None,
        Json::Array(_) => Some(
            "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"
                .to_string(),
        ),
        _ => Some("Unexpected field type".to_string()),
    }
}

/// Reads a boolean member already shape-checked: strings other than "true" read as false.
fn json_bool(f: &Json) -> bool {
    match f {
        Json::Bool(b) => *b,
        Json::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn parse_number(f: &Json) -> Result<Number, String> {
    match f.as_str() {
        None | Some("") => Err(MSG_EMPTY_NUMBER.to_string()),
        Some(s) => Number::parse(s).map_err(|e| e.to_string()),
    }
}

/// The elements of a set member already shape-checked as an array.
fn array(f: &Json) -> &[Json] {
    f.as_array().map(|a| a.as_slice()).unwrap_or_default()
}

/// Validates a shape-checked AttributeValue at nesting `level` (1 = attribute) and builds it.
/// Follows AWS's order: each member is checked in turn (nested values included), and only then
/// is having several members refused.
fn validate_value(v: &Json, level: usize) -> Result<Value, String> {
    if level > MAX_NESTING_LEVEL {
        return Err(MSG_NESTING.to_string());
    }
    let Json::Object(fields) = v else {
        return Err(MSG_EMPTY.to_string());
    };
    let mut built: Option<Value> = None;
    let mut count = 0usize;
    for (key, f) in fields {
        if f.is_null() {
            continue;
        }
        let value = match key.as_str() {
            "S" => Value::S(f.as_str().unwrap_or_default().to_string()),
            "N" => Value::N(parse_number(f)?),
            "B" => Value::B(base64_decode(f.as_str().unwrap_or_default())?),
            "BOOL" => Value::Bool(json_bool(f)),
            "NULL" => {
                if !json_bool(f) {
                    return Err(MSG_NULL_FALSE.to_string());
                }
                Value::Null
            }
            "SS" => Value::Ss(validate_ss(array(f))?),
            "NS" => Value::Ns(validate_ns(array(f))?),
            "BS" => Value::Bs(validate_bs(array(f))?),
            "L" => {
                let mut list = Vec::new();
                for e in array(f) {
                    list.push(validate_value(e, level + 1)?);
                }
                Value::L(list)
            }
            "M" => {
                let mut map = BTreeMap::new();
                if let Json::Object(m) = f {
                    for (k, e) in m {
                        map.insert(k.clone(), validate_value(e, level + 1)?);
                    }
                }
                Value::M(map)
            }
            _ => continue,
        };
        count += 1;
        built = Some(value);
    }
    if count > 1 {
        return Err(MSG_MULTIPLE.to_string());
    }
    built.ok_or_else(|| MSG_EMPTY.to_string())
}

fn validate_ss(items: &[Json]) -> Result<Vec<String>, String> {
    if items.is_empty() {
        return Err(MSG_EMPTY_SS.to_string());
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for e in items {
        match e.as_str() {
            Some(s) => out.push(s.to_string()),
            // Unverified wording (from LocalStack's validator); JSON null members are rare.
            None => {
                return Err("One or more parameter values were invalid: An string set may not have a null string as a member".to_string())
            }
        }
    }
    if has_duplicates(&out) {
        return Err(format!(
            "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
            out.join(", ")
        ));
    }
    Ok(out)
}

fn validate_ns(items: &[Json]) -> Result<Vec<Number>, String> {
    if items.is_empty() {
        return Err(MSG_EMPTY_NS.to_string());
    }
    let mut out = Vec::with_capacity(items.len());
    for e in items {
        out.push(parse_number(e)?);
    }
    // Numerically equal members are duplicates ("1" and "1.0"): `Number` is normalised.
    if has_duplicates(&out) {
        return Err(MSG_NS_DUPLICATES.to_string());
    }
    Ok(out)
}

fn validate_bs(items: &[Json]) -> Result<Vec<Vec<u8>>, String> {
    if items.is_empty() {
        return Err(MSG_EMPTY_BS.to_string());
    }
    let mut out = Vec::with_capacity(items.len());
    for e in items {
        match e.as_str() {
            Some(s) => out.push(base64_decode(s)?),
            // Unverified wording (older AWS message for null/empty binary members).
            None => {
                return Err("One or more parameter values were invalid: Binary sets may not contain null or empty values".to_string())
            }
        }
    }
    if has_duplicates(&out) {
        // AWS prints the members as base64 and omits the space before "of".
        let shown: Vec<String> = out.iter().map(|b| BASE64.encode(b)).collect();
        return Err(format!(
            "One or more parameter values were invalid: Input collection [{}]of type BS contains duplicates.",
            shown.join(", ")
        ));
    }
    Ok(out)
}

fn has_duplicates<T: Ord>(items: &[T]) -> bool {
    let mut refs: Vec<&T> = items.iter().collect();
    refs.sort_unstable();
    refs.windows(2).any(|w| matches!(w, [a, b] if a == b))
}

/// Encodes one AttributeValue in AWS's wire form; numbers in canonical text, binary as padded
/// standard base64, sets in stored order.
pub fn value_to_json(v: &Value) -> Json {
    let mut obj = serde_json::Map::new();
    let (key, body) = match v {
        Value::S(s) => ("S", Json::String(s.clone())),
        Value::N(n) => ("N", Json::String(n.to_string())),
        Value::B(b) => ("B", Json::String(BASE64.encode(b))),
        Value::Bool(b) => ("BOOL", Json::Bool(*b)),
        Value::Null => ("NULL", Json::Bool(true)),
        Value::M(m) => ("M", item_to_json(m)),
        Value::L(l) => ("L", Json::Array(l.iter().map(value_to_json).collect())),
        Value::Ss(ss) => (
            "SS",
            Json::Array(ss.iter().map(|s| Json::String(s.clone())).collect()),
        ),
        Value::Ns(ns) => (
            "NS",
            Json::Array(ns.iter().map(|n| Json::String(n.to_string())).collect()),
        ),
        Value::Bs(bs) => (
            "BS",
            Json::Array(bs.iter().map(|b| Json::String(BASE64.encode(b))).collect()),
        ),
    };
    obj.insert(key.to_string(), body);
    Json::Object(obj)
}

/// Encodes an item (or a map's contents) as an object of name to AttributeValue.
pub fn item_to_json(item: &Item) -> Json {
    Json::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), value_to_json(v)))
            .collect(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Json) -> String {
        value_from_json(&v).unwrap_err()
    }

    fn validation(v: Json) -> String {
        match decode_value(&v) {
            Err(DecodeError::Validation(m)) => m,
            other => panic!("expected a validation error for {v}, got {other:?}"),
        }
    }

    fn serialization(v: Json) -> String {
        match decode_value(&v) {
            Err(DecodeError::Serialization(m)) => m,
            other => panic!("expected a serialization error for {v}, got {other:?}"),
        }
    }

    #[test]
    fn round_trips_every_type() {
        let v = json!({"M": {
            "s": {"S": "x"}, "e": {"S": ""}, "n": {"N": "1.5"}, "b": {"B": "AAEC"},
            "eb": {"B": ""}, "t": {"BOOL": true}, "z": {"NULL": true},
            "l": {"L": [{"N": "1"}, {"S": "a"}, {"L": []}, {"M": {}}]},
            "ss": {"SS": ["b", "a", ""]}, "ns": {"NS": ["10", "-1"]}, "bs": {"BS": ["Yg==", ""]}
        }});
        let value = value_from_json(&v).unwrap();
        assert_eq!(value_to_json(&value), v);
        let Value::M(m) = &value else { panic!() };
        assert_eq!(m.get("b"), Some(&Value::B(vec![0, 1, 2])));
        assert_eq!(
            m.get("n").and_then(Value::as_number),
            Some(&Number::parse("1.5").unwrap())
        );
    }

    #[test]
    fn numbers_are_canonical_on_output() {
        let v = value_from_json(&json!({"NS": ["1.50", "+2", "1e2", "-0"]})).unwrap();
        assert_eq!(value_to_json(&v), json!({"NS": ["1.5", "2", "100", "0"]}));
        let v = value_from_json(&json!({"N": "-1.0E-3"})).unwrap();
        assert_eq!(value_to_json(&v), json!({"N": "-0.001"}));
    }

    #[test]
    fn empty_and_multiple_types() {
        for v in [
            json!({}),
            json!({"a": ""}),
            json!({"S": null}),
            json!({"M": {"a": {}}}),
            json!({"L": [{}]}),
            json!({"L": [{"a": {}}]}),
            json!(null),
        ] {
            assert_eq!(validation(v), MSG_EMPTY);
        }
        assert_eq!(
            validation(json!({"S": "a", "N": "1"})),
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        );
        assert_eq!(
            validation(json!({"S": "a", "N": "1", "x": 1})),
            MSG_MULTIPLE
        );
    }

    #[test]
    fn invalid_values_as_recorded_against_aws() {
        let prefix = "One or more parameter values were invalid: ";
        for (v, msg) in [
            (
                json!({"NULL": false}),
                "Null attribute value types must have the value of true",
            ),
            (
                json!({"NULL": "no"}),
                "Null attribute value types must have the value of true",
            ),
            (json!({"SS": []}), "An string set  may not be empty"),
            (json!({"NS": []}), "An number set  may not be empty"),
            (json!({"BS": []}), "Binary sets should not be empty"),
            (
                json!({"SS": ["a", "a"]}),
                "Input collection [a, a] contains duplicates.",
            ),
            (
                json!({"SS": ["a", "b", "a"]}),
                "Input collection [a, b, a] contains duplicates.",
            ),
            (
                json!({"BS": ["Yg==", "Yg=="]}),
                "Input collection [Yg==, Yg==]of type BS contains duplicates.",
            ),
            (
                json!({"BS": ["", ""]}),
                "Input collection [, ]of type BS contains duplicates.",
            ),
        ] {
            assert_eq!(validation(v), format!("{prefix}{msg}"));
        }
        for (v, msg) in [
            (json!({"S": "", "N": ""}), "The parameter cannot be converted to a numeric value"),
            (json!({"S": "a", "N": ""}), "The parameter cannot be converted to a numeric value"),
            (json!({"S": "a", "N": "b"}), "The parameter cannot be converted to a numeric value: b"),
            (json!({"NS": ["1", ""]}), "The parameter cannot be converted to a numeric value"),
            (json!({"NS": ["1", "b"]}), "The parameter cannot be converted to a numeric value: b"),
            (json!({"NS": ["1", "1"]}), "Input collection contains duplicates"),
            (json!({"NS": ["1", "1.0"]}), "Input collection contains duplicates"),
            (json!({"NS": ["-0", "0"]}), "Input collection contains duplicates"),
            (json!({"N": "123456789012345678901234567890123456789"}), "Attempting to store more than 38 significant digits in a Number"),
            (json!({"N": "-1.23456789012345678901234567890123456789"}), "Attempting to store more than 38 significant digits in a Number"),
            (json!({"N": "1e126"}), "Number overflow. Attempting to store a number with magnitude larger than supported range"),
            (json!({"N": "-1e126"}), "Number overflow. Attempting to store a number with magnitude larger than supported range"),
            (json!({"N": "1e-131"}), "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
            (json!({"N": "-1e-131"}), "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
            (json!({"M": {"a": {"L": [{"NS": []}]}}}), MSG_EMPTY_NS),
        ] {
            assert_eq!(validation(v), msg);
        }
        // Empty strings and binaries are fine outside keys, in sets too.
        assert!(value_from_json(&json!({"SS": [""]})).is_ok());
        assert!(value_from_json(&json!({"B": ""})).is_ok());
    }

    #[test]
    fn nesting_limit_is_32_levels() {
        fn deep(wraps: usize) -> Json {
            let mut v = json!({"S": "leaf"});
            for i in 0..wraps {
                v = if i % 2 == 0 {
                    json!({"M": {"n": v}})
                } else {
                    json!({"L": [v]})
                };
            }
            v
        }
        assert!(value_from_json(&deep(31)).is_ok());
        assert_eq!(validation(deep(32)), MSG_NESTING);
        assert!(item_from_json(&json!({"a": deep(31)})).is_ok());
        assert_eq!(
            item_from_json(&json!({"a": deep(32)})).unwrap_err(),
            MSG_NESTING
        );
    }

    #[test]
    fn serialization_errors_use_coral_wording() {
        for (v, msg) in [
            (json!({"S": 23}), "NUMBER_VALUE cannot be converted to String"),
            (json!({"N": 123}), "NUMBER_VALUE cannot be converted to String"),
            (json!({"N": 34.56}), "DECIMAL_VALUE cannot be converted to String"),
            (json!({"S": true}), "TRUE_VALUE cannot be converted to String"),
            (json!({"S": false}), "FALSE_VALUE cannot be converted to String"),
            (json!({"S": []}), "Unrecognized collection type class java.lang.String"),
            (json!({"S": {}}), "Start of structure or map found where not expected"),
            (json!({"BOOL": 23}), "NUMBER_VALUE cannot be converted to Boolean"),
            (json!({"NULL": 34.56}), "DECIMAL_VALUE cannot be converted to Boolean"),
            (json!({"BOOL": "23"}), "Unexpected token received from parser"),
            (json!({"BOOL": []}), "Unrecognized collection type class java.lang.Boolean"),
            (json!({"B": true}), "only base-64-encoded strings are convertible to bytes"),
            (json!({"B": 23}), "only base-64-encoded strings are convertible to bytes"),
            (json!({"B": []}), "Unrecognized collection type class java.nio.ByteBuffer"),
            (json!({"B": "23456"}), "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
            (json!({"B": "=+/="}), "Invalid last non-pad Base64 character dectected"),
            (json!({"B": "+/+="}), "Invalid last non-pad Base64 character dectected"),
            (json!({"BS": ["Yg==", "a"]}), "Base64 encoded length is expected a multiple of 4 bytes but found: 1"),
            (json!({"L": "23"}), "Unexpected field type"),
            (json!({"SS": true}), "Unexpected field type"),
            (json!({"L": {}}), "Start of structure or map found where not expected"),
            (json!({"M": 23}), "Unexpected field type"),
            (json!({"M": []}), "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"),
            (json!({"L": [23]}), "Unexpected value type in payload"),
            (json!({"L": [[]]}), "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"),
            (json!({"M": {"a": {"L": [{"B": 1}]}}}), "only base-64-encoded strings are convertible to bytes"),
            (json!("x"), "Unexpected value type in payload"),
            // Deserialisation fails before validation looks at anything.
            (json!({"NS": [], "S": 1}), "NUMBER_VALUE cannot be converted to String"),
        ] {
            assert_eq!(serialization(v), msg);
        }
    }

    #[test]
    fn items() {
        let item = item_from_json(&json!({"id": {"S": "a"}, "n": {"N": "01"}})).unwrap();
        assert_eq!(item.get("n"), Some(&Value::N(Number::from_i64(1))));
        assert_eq!(
            item_to_json(&item),
            json!({"id": {"S": "a"}, "n": {"N": "1"}})
        );
        assert_eq!(err(json!({"M": {"a": {"NULL": false}}})), MSG_NULL_FALSE);
        assert_eq!(
            decode_item(&json!([])),
            Err(DecodeError::Serialization(
                "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>".into()
            ))
        );
        assert_eq!(
            decode_item(&json!({"a": {"S": "x"}, "b": {"SS": []}, "c": {"N": 1}})),
            Err(DecodeError::Serialization(
                "NUMBER_VALUE cannot be converted to String".into()
            ))
        );
        assert_eq!(
            item_from_json(&json!({"b": {"SS": []}})).unwrap_err(),
            MSG_EMPTY_SS
        );
    }
}
