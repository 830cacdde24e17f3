//! Items in a compact binary form, the one they are stored in. AWS's JSON form costs a tree of
//! `serde_json` values, string escaping and base64 on every write and read; this form is a
//! tag byte per value, varint lengths and numbers as their normalised digits, so packing is a
//! copy and unpacking checks only what a corrupt file could break (UTF-8, digits, nesting).
//!
//! Layout: an item (or a map) is a varint count of attributes, each a length-prefixed name
//! followed by a value; a value is one of the `TAG_*` bytes and its body. Names come in the
//! map's order, so packing the same item always gives the same bytes.

use std::collections::BTreeMap;

use crate::number::Number;
use crate::value::{Item, Value};

const TAG_S: u8 = 0;
const TAG_N: u8 = 1;
const TAG_B: u8 = 2;
const TAG_FALSE: u8 = 3;
const TAG_TRUE: u8 = 4;
const TAG_NULL: u8 = 5;
const TAG_M: u8 = 6;
const TAG_L: u8 = 7;
const TAG_SS: u8 = 8;
const TAG_NS: u8 = 9;
const TAG_BS: u8 = 10;

/// How deep a stored item may nest and still be read: eight times DynamoDB's 32, since
/// earlier builds let UpdateItem build items past 32 levels (a path 30 levels into a map, set to
/// a 31-level value, made 61), and those items must stay readable, deletable and overwritable.
/// Deeper only in corrupt bytes, or after more than seven such updates. Bounds the recursion
/// of reading an item and of everything done with it (a request thread has 8 MiB of stack).
pub const MAX_STORED_DEPTH: usize = 256;

/// Appends `item` in packed form to `out`.
pub fn pack_item(item: &Item, out: &mut Vec<u8>) {
    put_len(out, item.len());
    for (name, value) in item {
        put_bytes(out, name.as_bytes());
        pack_value(value, out);
    }
}

fn pack_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::S(s) => {
            out.push(TAG_S);
            put_bytes(out, s.as_bytes());
        }
        Value::N(n) => {
            out.push(TAG_N);
            put_number(out, n);
        }
        Value::B(b) => {
            out.push(TAG_B);
            put_bytes(out, b);
        }
        Value::Bool(b) => out.push(if *b { TAG_TRUE } else { TAG_FALSE }),
        Value::Null => out.push(TAG_NULL),
        Value::M(m) => {
            out.push(TAG_M);
            pack_item(m, out);
        }
        Value::L(l) => put_many(out, TAG_L, l, |out, v| pack_value(v, out)),
        Value::Ss(ss) => put_many(out, TAG_SS, ss, |out, s| put_bytes(out, s.as_bytes())),
        Value::Ns(ns) => put_many(out, TAG_NS, ns, put_number),
        Value::Bs(bs) => put_many(out, TAG_BS, bs, |out, b| put_bytes(out, b)),
    }
}

/// A list or set: its tag, its length, then each element.
fn put_many<T>(out: &mut Vec<u8>, tag: u8, elements: &[T], put: impl Fn(&mut Vec<u8>, &T)) {
    out.push(tag);
    put_len(out, elements.len());
    for e in elements {
        put(out, e);
    }
}

/// Sign byte (0 zero, 1 positive, 2 negative), then for a non-zero number its exponent
/// (zigzag varint) and its significant digits, one per byte.
fn put_number(out: &mut Vec<u8>, n: &Number) {
    let (negative, digits, exponent) = n.parts();
    if digits.is_empty() {
        out.push(0);
        return;
    }
    out.push(if negative { 2 } else { 1 });
    put_varint(
        out,
        u64::from((exponent << 1) as u32 ^ (exponent >> 31) as u32),
    );
    put_bytes(out, digits);
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    put_varint(out, len as u64);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads an item packed by [`pack_item`]; every byte must be used. The error says what was
/// wrong with the bytes (for a corruption report, never for a client).
pub fn unpack_item(bytes: &[u8]) -> Result<Item, String> {
    let mut r = Reader { bytes, at: 0 };
    let item = r.item(0)?;
    if r.at != bytes.len() {
        return Err(format!("{} bytes after a packed item", bytes.len() - r.at));
    }
    Ok(item)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn item(&mut self, depth: usize) -> Result<Item, String> {
        if depth > MAX_STORED_DEPTH {
            return Err("packed item nests too deep".into());
        }
        let count = self.len()?;
        let mut item = BTreeMap::new();
        for _ in 0..count {
            let name = self.string()?;
            let value = self.value(depth)?;
            item.insert(name, value);
        }
        if item.len() != count {
            return Err("packed item repeats an attribute name".into());
        }
        Ok(item)
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        // Lists nest as deep as maps: both are bounded here.
        if depth > MAX_STORED_DEPTH {
            return Err("packed item nests too deep".into());
        }
        Ok(match self.byte()? {
            TAG_S => Value::S(self.string()?),
            TAG_N => Value::N(self.number()?),
            TAG_B => Value::B(self.take()?.to_vec()),
            TAG_FALSE => Value::Bool(false),
            TAG_TRUE => Value::Bool(true),
            TAG_NULL => Value::Null,
            TAG_M => Value::M(self.item(depth + 1)?),
            TAG_L => {
                let count = self.len()?;
                let mut list = Vec::with_capacity(count.min(self.remaining()));
                for _ in 0..count {
                    list.push(self.value(depth + 1)?);
                }
                Value::L(list)
            }
            TAG_SS => Value::Ss(self.many(Reader::string)?),
            TAG_NS => Value::Ns(self.many(Reader::number)?),
            TAG_BS => Value::Bs(self.many(|r| r.take().map(<[u8]>::to_vec))?),
            tag => return Err(format!("unknown value tag {tag} in a packed item")),
        })
    }

    fn many<T>(
        &mut self,
        mut one: impl FnMut(&mut Reader<'a>) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        let count = self.len()?;
        let mut out = Vec::with_capacity(count.min(self.remaining()));
        for _ in 0..count {
            out.push(one(self)?);
        }
        Ok(out)
    }

    fn number(&mut self) -> Result<Number, String> {
        let negative = match self.byte()? {
            0 => return Ok(Number::zero()),
            1 => false,
            2 => true,
            sign => return Err(format!("unknown number sign {sign} in a packed item")),
        };
        let zigzag = u32::try_from(self.varint()?).map_err(|_| "number exponent out of range")?;
        let exponent = (zigzag >> 1) as i32 ^ -((zigzag & 1) as i32);
        let digits = self.take()?;
        Number::from_normalised(negative, digits, exponent)
            .ok_or_else(|| "malformed number in a packed item".to_string())
    }

    fn string(&mut self) -> Result<String, String> {
        let bytes = self.take()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "packed string is not UTF-8".to_string())
    }

    /// A length-prefixed run of bytes.
    fn take(&mut self) -> Result<&'a [u8], String> {
        let len = self.len()?;
        let end = self.at.checked_add(len).ok_or_else(truncated)?;
        let slice = self.bytes.get(self.at..end).ok_or_else(truncated)?;
        self.at = end;
        Ok(slice)
    }

    fn len(&mut self) -> Result<usize, String> {
        usize::try_from(self.varint()?).map_err(|_| truncated())
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or_else(truncated)?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("packed varint is too long".into())
    }
}

fn truncated() -> String {
    "packed item is truncated".into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::json::{item_from_json, item_to_json};
    use serde_json::json;

    fn round_trip(item: &Item) -> Item {
        let mut out = Vec::new();
        pack_item(item, &mut out);
        unpack_item(&out).unwrap()
    }

    #[test]
    fn every_type_round_trips() {
        let item = item_from_json(&json!({
            "s": {"S": "héllo"}, "empty": {"S": ""},
            "n": {"N": "-123.4500"}, "zero": {"N": "0"}, "big": {"N": "9.9E125"},
            "small": {"N": "-1E-130"},
            "b": {"B": "AAEC/w=="},
            "t": {"BOOL": true}, "f": {"BOOL": false}, "null": {"NULL": true},
            "m": {"M": {"inner": {"L": [{"N": "1"}, {"S": "x"}, {"M": {}}]}}},
            "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["3", "-0.5"]}, "bs": {"BS": ["AA==", "AQ=="]}
        }))
        .unwrap();
        let back = round_trip(&item);
        assert_eq!(back, item);
        assert_eq!(item_to_json(&back), item_to_json(&item));
    }

    #[test]
    fn packing_is_deterministic() {
        let item = item_from_json(&json!({"b": {"N": "1"}, "a": {"SS": ["y", "x"]}})).unwrap();
        let (mut one, mut two) = (Vec::new(), Vec::new());
        pack_item(&item, &mut one);
        pack_item(&item.clone(), &mut two);
        assert_eq!(one, two);
    }

    #[test]
    fn corrupt_bytes_are_errors_not_panics() {
        let item = item_from_json(&json!({
            "k": {"S": "key"}, "n": {"N": "42"}, "m": {"M": {"l": {"L": [{"BOOL": true}]}}}
        }))
        .unwrap();
        let mut good = Vec::new();
        pack_item(&item, &mut good);
        for cut in 0..good.len() {
            assert!(unpack_item(&good[..cut]).is_err(), "cut at {cut}");
        }
        for at in 0..good.len() {
            for flip in [0x01u8, 0x80, 0xFF] {
                let mut bad = good.clone();
                bad[at] ^= flip;
                // Either an error or some other well-formed item: never a panic.
                let _ = unpack_item(&bad);
            }
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(unpack_item(&trailing).is_err());
        // A number digit outside 0-9 and a name that is not UTF-8 are refused.
        assert!(unpack_item(&[1, 1, b'n', TAG_N, 1, 2, 1, 10]).is_err());
        assert!(unpack_item(&[1, 1, 0xFF, TAG_NULL]).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let mut bytes = Vec::new();
        for _ in 0..100_000 {
            bytes.extend_from_slice(&[1, 1, b'm', TAG_M]);
        }
        bytes.push(0);
        assert!(unpack_item(&bytes).is_err());
    }

    /// An item whose attribute `v` nests `levels` deep, maps and lists in turn.
    fn nested(levels: usize) -> Item {
        let mut v = Value::S("leaf".into());
        for n in 0..levels {
            v = if n % 2 == 0 {
                Value::L(vec![v])
            } else {
                Value::M(BTreeMap::from([("a".to_string(), v)]))
            };
        }
        BTreeMap::from([("v".to_string(), v)])
    }

    #[test]
    fn items_an_earlier_build_nested_deep_are_read_to_the_stored_limit() {
        for levels in [61, 91, MAX_STORED_DEPTH] {
            let item = nested(levels);
            let mut bytes = Vec::new();
            pack_item(&item, &mut bytes);
            assert_eq!(unpack_item(&bytes).unwrap(), item, "{levels} levels");
        }
        let mut bytes = Vec::new();
        pack_item(&nested(MAX_STORED_DEPTH + 2), &mut bytes);
        assert_eq!(
            unpack_item(&bytes).unwrap_err(),
            "packed item nests too deep"
        );
    }
}
