//! Attribute values as the rest of the server sees them: validated, typed, numbers exact.

use std::collections::BTreeMap;

use crate::number::Number;

/// An item: attribute name to value. Ordered so that anything derived from it (sizes, encodings,
/// responses) is deterministic.
pub type Item = BTreeMap<String, Value>;

/// One DynamoDB AttributeValue. Sets keep the order the client sent and never hold duplicates or
/// nothing (the JSON decoder refuses both, as AWS does).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, Value>),
    L(Vec<Value>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

impl Value {
    /// The type descriptor AWS uses on the wire and in `attribute_type`: "S", "N", "BOOL", …
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::S(_) => "S",
            Value::N(_) => "N",
            Value::B(_) => "B",
            Value::Bool(_) => "BOOL",
            Value::Null => "NULL",
            Value::M(_) => "M",
            Value::L(_) => "L",
            Value::Ss(_) => "SS",
            Value::Ns(_) => "NS",
            Value::Bs(_) => "BS",
        }
    }
}

impl Value {
    /// The number inside an `N`, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::N(n) => Some(n),
            _ => None,
        }
    }

    /// The bytes inside a `B`, if this is one.
    pub fn as_binary(&self) -> Option<&[u8]> {
        match self {
            Value::B(b) => Some(b),
            _ => None,
        }
    }

    /// True for SS, NS and BS.
    pub fn is_set(&self) -> bool {
        matches!(self, Value::Ss(_) | Value::Ns(_) | Value::Bs(_))
    }

    /// The string inside an `S`, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }
}

/// Ordering as DynamoDB compares in conditions and key ranges: only between two values of the same
/// scalar type S, N or B; anything else is not comparable.
pub fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::S(x), Value::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::N(x), Value::N(y)) => Some(x.cmp(y)),
        (Value::B(x), Value::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Equality as DynamoDB's `=` and `<>` see it: same type and same contents, where sets compare as
/// sets (order-insensitive; members are unique) and numbers numerically; lists compare in order
/// and maps by key, recursively with the same rules.
pub fn aws_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Ss(x), Value::Ss(y)) => same_set(x, y),
        (Value::Ns(x), Value::Ns(y)) => same_set(x, y),
        (Value::Bs(x), Value::Bs(y)) => same_set(x, y),
        (Value::L(x), Value::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| aws_eq(p, q))
        }
        (Value::M(x), Value::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| aws_eq(p, q)))
        }
        _ => a == b,
    }
}

/// Set equality for duplicate-free member lists, in O(n log n).
fn same_set<T: Ord>(x: &[T], y: &[T]) -> bool {
    if x.len() != y.len() {
        return false;
    }
    let mut xs: Vec<&T> = x.iter().collect();
    let mut ys: Vec<&T> = y.iter().collect();
    xs.sort_unstable();
    ys.sort_unstable();
    xs == ys
}
