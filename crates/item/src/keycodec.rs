//! Order-preserving byte encodings of key values, so that the store's byte order is DynamoDB's
//! key order: S and B compare bytewise, N numerically.
//!
//! Layout of a full key: `partition_spread(p) ++ encode_partition(hash) ++ encode_sort_value(range)`.
//! The 4-byte spread is a stable hash of the partition, so partitions are stored in hash order as
//! on AWS and a parallel Scan's segments are contiguous ranges. The partition part is prefix-free
//! (type tag + length + bytes) and sort values are self-delimiting, so all items of one partition
//! are contiguous and, within it, ordered by sort key — also when an index appends the table's
//! key after its own.

use crate::number::Number;
use crate::value::Value;

/// Number sign classes: negatives sort first, then zero, then positives.
const NUM_NEGATIVE: u8 = 0x01;
const NUM_ZERO: u8 = 0x02;
const NUM_POSITIVE: u8 = 0x03;
/// Ends a positive mantissa; below every digit-pair byte (1..=100) so shorter sorts first.
const POSITIVE_END: u8 = 0x00;
/// Ends a negative mantissa; above every inverted digit-pair byte (155..=254).
const NEGATIVE_END: u8 = 0xFF;
/// Bias making the exponent field (-129..=126) fit a byte in order.
const EXPONENT_BIAS: i32 = 129;

/// Partition type tags (any distinct values; partition order carries no meaning).
const TAG_S: u8 = b'S';
const TAG_N: u8 = b'N';
const TAG_B: u8 = b'B';

/// Escape and end bytes of S/B sort values: 0x00 is written 0x00 0xFF and the value ends with
/// 0x00 0x00, which sorts below any continuation, so shorter values sort first.
const ESCAPE: u8 = 0xFF;
const END: [u8; 2] = [0x00, 0x00];

/// Self-delimiting, order-preserving encoding of a sort-key value: S (UTF-8) and B bytes
/// escaped and terminated, N as [`encode_number`]. None for other types. Only values of one type
/// are ever compared (a key attribute has one declared type), so no type tag is added.
pub fn encode_sort_value(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::S(s) => Some(escaped_bytes(s.as_bytes(), true)),
        Value::B(b) => Some(escaped_bytes(b, true)),
        Value::N(n) => Some(encode_number(n)),
        _ => None,
    }
}

/// The encoding every S/B sort value starting with `v` starts with: `begins_with` is this
/// byte-prefix range.
pub fn encode_sort_prefix(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::S(s) => Some(escaped_bytes(s.as_bytes(), false)),
        Value::B(b) => Some(escaped_bytes(b, false)),
        _ => None,
    }
}

fn escaped_bytes(bytes: &[u8], terminate: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(ESCAPE);
        }
    }
    if terminate {
        out.extend_from_slice(&END);
    }
    out
}

/// The smallest key greater than every key starting with `prefix` (the exclusive end of a
/// prefix range), or unbounded when there is none.
pub fn prefix_end(prefix: &[u8]) -> std::ops::Bound<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return std::ops::Bound::Excluded(end);
        }
    }
    std::ops::Bound::Unbounded
}

/// A stable 32-bit FNV-1a hash of the partition's encoding, stored big-endian in front of keys.
/// Stable across versions: it is part of the on-disk format.
pub fn partition_spread(encoded_partition: &[u8]) -> [u8; 4] {
    let mut h: u32 = 0x811c_9dc5;
    for &b in encoded_partition {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_be_bytes()
}

/// Every key of the partition `hash` starts with these bytes.
pub fn partition_key_prefix(hash: &Value) -> Option<Vec<u8>> {
    let part = encode_partition(hash)?;
    let mut out = Vec::with_capacity(4 + part.len());
    out.extend_from_slice(&partition_spread(&part));
    out.extend_from_slice(&part);
    Some(out)
}

/// Self-delimiting, order-preserving encoding of a number: a sign byte; then, for non-zero
/// numbers, the biased exponent and the digits two to a byte (`10a + b + 1`), then an end byte;
/// negatives have exponent and digit bytes inverted (and a high end byte) so larger magnitudes
/// sort first.
pub fn encode_number(n: &Number) -> Vec<u8> {
    let (negative, digits, exponent) = n.parts();
    if digits.is_empty() {
        return vec![NUM_ZERO];
    }
    let mut out = Vec::with_capacity(3 + digits.len().div_ceil(2));
    // Within -129..=126 for any valid Number, so the biased value fits a byte.
    let biased = u8::try_from(exponent + EXPONENT_BIAS).unwrap_or(u8::MAX);
    out.push(if negative { NUM_NEGATIVE } else { NUM_POSITIVE });
    out.push(if negative { !biased } else { biased });
    for pair in digits.chunks(2) {
        let (a, b) = match pair {
            [a, b] => (*a, *b),
            [a] => (*a, 0),
            _ => (0, 0),
        };
        let byte = 10 * a + b + 1;
        out.push(if negative { !byte } else { byte });
    }
    out.push(if negative { NEGATIVE_END } else { POSITIVE_END });
    out
}

/// Prefix-free encoding of a partition-key value (S, N or B): a type tag, the payload's length
/// as 4 big-endian bytes, and the payload (UTF-8, raw bytes, or [`encode_number`]).
pub fn encode_partition(v: &Value) -> Option<Vec<u8>> {
    let (tag, payload): (u8, std::borrow::Cow<'_, [u8]>) = match v {
        Value::S(s) => (TAG_S, s.as_bytes().into()),
        Value::B(b) => (TAG_B, b.as_slice().into()),
        Value::N(n) => (TAG_N, encode_number(n).into()),
        _ => return None,
    };
    // Key values are at most 2048 bytes; anything that does not fit 4 bytes is not a key.
    let len = u32::try_from(payload.len()).ok()?;
    let mut out = Vec::with_capacity(5 + payload.len());
    out.push(tag);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    Some(out)
}

/// The store key of an item: its partition's spread and encoding followed by the sort key's, if
/// the table has one. None if either value is not of a key type.
pub fn encode_key(hash: &Value, range: Option<&Value>) -> Option<Vec<u8>> {
    let mut out = partition_key_prefix(hash)?;
    if let Some(r) = range {
        out.extend(encode_sort_value(r)?);
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Random valid numbers across the whole range, biased towards near-ties (shared prefixes,
    /// equal exponents, small digit counts).
    fn random_number(rng: &mut Rng) -> Number {
        let max_len = if rng.below(2) == 0 { 4 } else { 38 };
        let len = 1 + rng.below(max_len) as usize;
        // Often only 0s and 1s, to provoke shared prefixes.
        let base = if rng.below(3) == 0 { 2 } else { 10 };
        let digits: String = (0..len)
            .map(|_| char::from(b'0' + rng.below(base) as u8))
            .collect();
        let sign = if rng.below(2) == 0 { "-" } else { "" };
        // Exponent of the last digit; keep the leading one within -130..=125.
        let lo = -130i64;
        let hi = 125 - len as i64 + 1;
        let exp = if rng.below(2) == 0 {
            rng.below(7) as i64 - 3
        } else {
            lo + rng.below((hi - lo + 1) as u64) as i64
        };
        Number::parse(&format!("{sign}{digits}e{exp}"))
            .or_else(|_| Number::parse(&format!("{sign}{digits}")))
            .unwrap()
    }

    #[test]
    fn number_encoding_orders_like_numbers() {
        let mut rng = Rng(0xDEAD_BEEF);
        let mut nums: Vec<Number> = (0..4000).map(|_| random_number(&mut rng)).collect();
        for s in [
            "0",
            "-0",
            "1e-130",
            "-1e-130",
            "9.9999999999999999999999999999999999999E+125",
        ] {
            nums.push(Number::parse(s).unwrap());
        }
        nums.push(Number::parse("-9.9999999999999999999999999999999999999E+125").unwrap());
        let mut by_ord = nums.clone();
        by_ord.sort();
        let mut by_bytes = nums.clone();
        by_bytes.sort_by_key(encode_number);
        assert_eq!(by_ord, by_bytes);
        // Equal numbers encode equally, different ones differently.
        for w in by_ord.windows(2) {
            let [a, b] = w else { panic!() };
            assert_eq!(a == b, encode_number(a) == encode_number(b));
        }
    }

    #[test]
    fn number_encoding_is_prefix_free() {
        let mut rng = Rng(99);
        let nums: Vec<Vec<u8>> = (0..500)
            .map(|_| encode_number(&random_number(&mut rng)))
            .collect();
        for a in &nums {
            for b in &nums {
                if a != b {
                    assert!(!b.starts_with(a), "{a:?} is a prefix of {b:?}");
                }
            }
        }
    }

    #[test]
    fn ord_agrees_with_subtraction() {
        let mut rng = Rng(5);
        for _ in 0..2000 {
            let (a, b) = (random_number(&mut rng), random_number(&mut rng));
            if let Ok(d) = a.checked_sub(&b) {
                let sign = if d.is_zero() {
                    std::cmp::Ordering::Equal
                } else if d.is_negative() {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                };
                assert_eq!(a.cmp(&b), sign, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn strings_and_binaries_sort_bytewise() {
        let s = |x: &str| encode_sort_value(&Value::S(x.into())).unwrap();
        assert!(s("a") < s("aa"));
        assert!(s("Z") < s("a"));
        // Bytewise UTF-8, not UTF-16: U+FF61 sorts before U+1F600 in both, U+E000 vs U+1F600 too.
        assert!(s("\u{E000}") < s("\u{1F600}"));
        let b = |x: &[u8]| encode_sort_value(&Value::B(x.to_vec())).unwrap();
        assert!(b(&[0x00]) < b(&[0x00, 0x00]));
        assert!(b(&[0x7F]) < b(&[0x80]));
        assert_eq!(encode_sort_value(&Value::Bool(true)), None);
        assert_eq!(encode_partition(&Value::Null), None);
        assert_eq!(
            encode_key(&Value::S("a".into()), Some(&Value::L(vec![]))),
            None
        );
    }

    #[test]
    fn keys_group_by_partition_then_sort() {
        let mut rng = Rng(1234);
        let hashes: Vec<Value> = vec![
            Value::S("a".into()),
            Value::S("ab".into()),
            Value::S("b".into()),
            Value::B(vec![b'a']),
            Value::N(Number::from_i64(1)),
            Value::N(Number::from_i64(10)),
        ];
        let mut rows: Vec<(usize, Number, Vec<u8>)> = Vec::new();
        for _ in 0..600 {
            let h = rng.below(hashes.len() as u64) as usize;
            let r = random_number(&mut rng);
            let hv = hashes.get(h).unwrap();
            rows.push((h, r.clone(), encode_key(hv, Some(&Value::N(r))).unwrap()));
        }
        rows.sort_by(|x, y| x.2.cmp(&y.2));
        // Each partition is one contiguous run, sorted by its sort key.
        let mut seen = Vec::new();
        for w in rows.windows(2) {
            let [x, y] = w else { panic!() };
            if x.0 == y.0 {
                assert!(x.1 <= y.1);
            } else {
                assert!(!seen.contains(&y.0), "partition {} split", y.0);
                seen.push(x.0);
            }
            let prefix = partition_key_prefix(hashes.get(x.0).unwrap()).unwrap();
            assert!(x.2.starts_with(&prefix));
        }
        // A partition encoding is never a prefix of another's.
        for a in &hashes {
            for b in &hashes {
                let (ea, eb) = (encode_partition(a).unwrap(), encode_partition(b).unwrap());
                assert_eq!(a == b, eb.starts_with(&ea));
            }
        }
        let first = hashes.first().unwrap();
        assert_eq!(encode_key(first, None), partition_key_prefix(first));
    }

    #[test]
    fn sort_values_are_self_delimiting() {
        // An index appends the table key after its sort value; order must not depend on it.
        let s = |x: &str, tail: &[u8]| {
            let mut k = encode_sort_value(&Value::S(x.into())).unwrap();
            k.extend_from_slice(tail);
            k
        };
        assert!(s("ab", &[0xFF, 0xFF]) < s("abc", &[0x00]));
        let b = |x: &[u8], tail: &[u8]| {
            let mut k = encode_sort_value(&Value::B(x.to_vec())).unwrap();
            k.extend_from_slice(tail);
            k
        };
        assert!(b(&[1, 0], &[0xFF]) < b(&[1, 0, 0], &[0x00]));
        assert!(b(&[1], &[0xFF]) < b(&[1, 0], &[0x00]));
        // begins_with: the prefix encoding starts every longer value's encoding.
        let p = encode_sort_prefix(&Value::B(vec![1, 0])).unwrap();
        assert!(b(&[1, 0, 7], &[]).starts_with(&p));
        assert!(b(&[1, 0], &[]).starts_with(&p));
        assert!(!b(&[1, 1], &[]).starts_with(&p));
    }
}
