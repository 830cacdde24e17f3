//! Item sizes as AWS counts them for the 400 KB item limit, key limits and capacity units.
//!
//! Rules (DynamoDB developer guide, "Item sizes and formats", refined by dynalite's `itemSize`,
//! which was fitted to AWS's consumed capacity):
//! - attribute and map-key names: UTF-8 bytes;
//! - S: UTF-8 bytes; B: raw bytes; BOOL and NULL: 1 byte;
//! - N: see [`number_size`];
//! - L and M: 3 bytes, plus 1 byte per element, plus the elements (map keys included);
//! - SS/NS/BS: the sum of their members, with no per-member overhead.

use crate::number::Number;
use crate::value::{Item, Value};

/// Largest item AWS accepts, names and values included.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
/// Largest partition key value, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// Largest sort key value, in bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// Overhead of a list or map, whatever it holds.
const DOCUMENT_OVERHEAD: usize = 3;
/// Overhead of each list element or map entry.
const ELEMENT_OVERHEAD: usize = 1;

/// Bytes a number occupies: DynamoDB stores numbers in base 100 (two decimal digits a byte,
/// pairs aligned on the decimal point) after one exponent byte, and negatives take one more
/// byte. So: 1 + the count of digit pairs the significant digits span + 1 if negative; zero is 1.
/// This is dynalite's formula (`1 + ceil(n/2) + (n even and exponent even) + negative`) and gives
/// the documented "1 byte per two significant digits, plus 1".
pub fn number_size(n: &Number) -> usize {
    let (negative, digits, exponent) = n.parts();
    if digits.is_empty() {
        return 1;
    }
    // Positions of the first and last significant digits, as powers of ten.
    let first = i64::from(exponent) - 1;
    let last = first - digits.len() as i64 + 1;
    // Pair index of a position: 10^0 and 10^1 share a pair, as do 10^-1 and 10^-2, ….
    let pairs = first.div_euclid(2) - last.div_euclid(2) + 1;
    // `pairs` is between 1 and 20 for a valid number.
    1 + pairs as usize + usize::from(negative)
}

/// Size of a value without any name.
pub fn value_size(v: &Value) -> usize {
    match v {
        Value::S(s) => s.len(),
        Value::N(n) => number_size(n),
        Value::B(b) => b.len(),
        Value::Bool(_) | Value::Null => 1,
        Value::L(list) => {
            DOCUMENT_OVERHEAD
                + list
                    .iter()
                    .map(|e| ELEMENT_OVERHEAD + value_size(e))
                    .sum::<usize>()
        }
        Value::M(map) => {
            DOCUMENT_OVERHEAD
                + map
                    .iter()
                    .map(|(k, e)| k.len() + ELEMENT_OVERHEAD + value_size(e))
                    .sum::<usize>()
        }
        Value::Ss(ss) => ss.iter().map(String::len).sum(),
        Value::Ns(ns) => ns.iter().map(number_size).sum(),
        Value::Bs(bs) => bs.iter().map(Vec::len).sum(),
    }
}

/// Size of one attribute: its name plus its value.
pub fn attribute_size(name: &str, v: &Value) -> usize {
    name.len() + value_size(v)
}

/// Size of a whole item, as checked against [`MAX_ITEM_SIZE`].
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| attribute_size(k, v)).sum()
}

/// The deepest level any value of `item` sits at, an attribute being level 1 and each map or
/// list adding one (AWS allows 32, [`crate::json::MAX_NESTING_LEVEL`]). Iterative, so an item
/// built too deep by an earlier build is measured without deep recursion.
pub fn nesting_level(item: &Item) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&Value, usize)> = item.values().map(|v| (v, 1)).collect();
    while let Some((v, level)) = stack.pop() {
        deepest = deepest.max(level);
        match v {
            Value::M(m) => stack.extend(m.values().map(|c| (c, level + 1))),
            Value::L(l) => stack.extend(l.iter().map(|c| (c, level + 1))),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn num(s: &str) -> usize {
        number_size(&Number::parse(s).unwrap())
    }

    #[test]
    fn numbers() {
        // Worked values: the documented "1 byte per two significant digits + 1", a byte more for
        // negatives, digits paired on the decimal point.
        for (text, size) in [
            ("0", 1),
            ("-0", 1),
            ("1", 2),
            ("27", 2),
            ("-27", 3),
            ("461", 3),
            ("100", 2),
            ("1000", 2),
            ("12345", 4),
            ("1.5", 3),
            ("12.5", 3),
            ("0.5", 2),
            ("0.01", 2),
            ("0.012", 3),
            ("0.0012", 2),
            ("1786461547", 6),
            ("12345678901234567890123456789012345678", 20),
            ("1234567890123456789012345678901234567.8", 21),
            ("-1234567890123456789012345678901234567.8", 22),
            ("9.9999999999999999999999999999999999999E+125", 20),
            ("1E-130", 2),
        ] {
            assert_eq!(num(text), size, "{text}");
        }
    }

    #[test]
    fn documents_and_sets() {
        let s = |x: &str| Value::S(x.to_string());
        assert_eq!(value_size(&s("héllo")), 6);
        assert_eq!(value_size(&Value::B(vec![1, 2, 3])), 3);
        assert_eq!(value_size(&Value::Bool(false)), 1);
        assert_eq!(value_size(&Value::Null), 1);
        assert_eq!(value_size(&Value::L(vec![])), 3);
        assert_eq!(value_size(&Value::M(BTreeMap::new())), 3);
        // 3 + (1 + 2) + (1 + 1)
        assert_eq!(value_size(&Value::L(vec![s("ab"), Value::Null])), 8);
        // 3 + ("key" 3 + 1 + "v" 1)
        let m = Value::M(BTreeMap::from([("key".to_string(), s("v"))]));
        assert_eq!(value_size(&m), 8);
        // Nested: 3 + (1 + 8)
        assert_eq!(value_size(&Value::L(vec![m])), 12);
        assert_eq!(
            value_size(&Value::Ss(vec!["ab".into(), "".into(), "c".into()])),
            3
        );
        assert_eq!(
            value_size(&Value::Ns(vec![
                Number::from_i64(27),
                Number::from_i64(-27)
            ])),
            5
        );
        assert_eq!(value_size(&Value::Bs(vec![vec![1], vec![2, 3]])), 3);
        assert_eq!(attribute_size("név", &s("x")), 5);
        let item = crate::value::Item::from([
            ("id".to_string(), s("abc")),
            ("n".to_string(), Value::N(Number::from_i64(12345))),
            ("flag".to_string(), Value::Bool(true)),
        ]);
        assert_eq!(item_size(&item), 5 + 5 + 5);
    }

    #[test]
    fn nesting_level_counts_the_attribute_as_level_one() {
        let mut v = Value::S("leaf".into());
        for _ in 0..31 {
            v = Value::M(BTreeMap::from([("a".to_string(), v)]));
        }
        let item = Item::from([("x".to_string(), v), ("y".to_string(), Value::Null)]);
        assert_eq!(nesting_level(&item), 32);
        assert_eq!(nesting_level(&Item::new()), 0);
    }
}
