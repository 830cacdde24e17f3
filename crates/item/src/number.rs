//! Exact decimal numbers with DynamoDB's limits: up to 38 significant digits, magnitudes from
//! 1E-130 to 9.9999999999999999999999999999999999999E+125, zero, and negatives.

use std::cmp::Ordering;
use std::fmt;

/// Normalised: `digits` holds 1..=38 decimal digits (0..=9) with no leading or trailing zero, and
/// the value is `0.d1d2…dn × 10^exponent`; zero is `digits` empty. Two equal numbers therefore have
/// equal fields, whatever text they came from ("1.50" == "15E-1").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: Vec<u8>,
    exponent: i32,
}

/// Why a number was refused; `Display` gives AWS's message text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberError {
    NotANumber(String),
    TooManyDigits,
    Overflow,
    Underflow,
}

/// Most significant digits DynamoDB stores in a number.
pub const MAX_SIGNIFICANT_DIGITS: usize = 38;
/// Largest allowed `exponent` field: 0.999…×10^126 is 9.99…E+125.
const MAX_EXPONENT: i64 = 126;
/// Smallest allowed `exponent` field: 0.1×10^-129 is 1E-130.
const MIN_EXPONENT: i64 = -129;

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // AWS echoes the text, except for an empty one (dynalite's recorded messages).
            NumberError::NotANumber(s) if s.is_empty() => {
                f.write_str("The parameter cannot be converted to a numeric value")
            }
            NumberError::NotANumber(s) => {
                write!(f, "The parameter cannot be converted to a numeric value: {s}")
            }
            NumberError::TooManyDigits => {
                f.write_str("Attempting to store more than 38 significant digits in a Number")
            }
            NumberError::Overflow => f.write_str(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ),
            NumberError::Underflow => f.write_str(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ),
        }
    }
}

impl std::error::Error for NumberError {}

impl Number {
    /// Zero (DynamoDB has a single zero; "-0" parses to it).
    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Count of significant digits (zero has none).
    pub fn significant_digits(&self) -> usize {
        self.digits.len()
    }

    pub fn from_i64(v: i64) -> Number {
        let negative = v < 0;
        let mut mag = v.unsigned_abs();
        let mut rev = Vec::new();
        while mag > 0 {
            // `mag % 10` is below 10, so the narrowing cannot lose anything.
            rev.push((mag % 10) as u8);
            mag /= 10;
        }
        rev.reverse();
        let len = rev.len() as i64;
        // At most 20 digits: always within limits.
        Number::from_parts(negative, rev, len).unwrap_or_else(|_| Number::zero())
    }

    /// Builds a number from a sign, digits (any leading/trailing zeros) and the position of the
    /// decimal point relative to the first digit (value = 0.digits × 10^point), normalising and
    /// checking DynamoDB's limits.
    fn from_parts(negative: bool, digits: Vec<u8>, point: i64) -> Result<Number, NumberError> {
        let lead = digits.iter().take_while(|d| **d == 0).count();
        let trail = digits.iter().rev().take_while(|d| **d == 0).count();
        if lead == digits.len() {
            return Ok(Number::zero());
        }
        let sig: Vec<u8> = digits
            .get(lead..digits.len() - trail)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let exponent = point.saturating_sub(lead as i64);
        // Order of checks follows dynalite (verified against AWS): overflow, underflow, precision.
        if exponent > MAX_EXPONENT {
            return Err(NumberError::Overflow);
        }
        if exponent < MIN_EXPONENT {
            return Err(NumberError::Underflow);
        }
        if sig.len() > MAX_SIGNIFICANT_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        Ok(Number {
            negative,
            digits: sig,
            // Within MIN_EXPONENT..=MAX_EXPONENT, so it fits.
            exponent: exponent as i32,
        })
    }

    /// Parses DynamoDB's number syntax, `[+-]?(digits[.digits*]|.digits)([eE][+-]?digits)?`, and
    /// normalises it. Verified against AWS (ScyllaDB's Alternator tests, dynoxide captures):
    /// "+3", ".123", "0001.23", "1e+5", "-17.4E37" and "0e1000" are accepted; "NaN",
    /// "Infinity", " 1", "1 " and "dog" are refused. "5." follows Java's BigDecimal (accepted).
    /// Limits are checked in dynalite's order: overflow, underflow, then precision.
    pub fn parse(s: &str) -> Result<Number, NumberError> {
        let bad = || NumberError::NotANumber(s.to_string());
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut negative = false;
        match bytes.first() {
            Some(b'-') => {
                negative = true;
                i = 1;
            }
            Some(b'+') => i = 1,
            _ => {}
        }
        let mut digits = Vec::new();
        let int_start = i;
        while let Some(c) = bytes.get(i).filter(|c| c.is_ascii_digit()) {
            digits.push(c - b'0');
            i += 1;
        }
        let int_len = i - int_start;
        let mut frac_len = 0;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            while let Some(c) = bytes.get(i).filter(|c| c.is_ascii_digit()) {
                digits.push(c - b'0');
                i += 1;
                frac_len += 1;
            }
        }
        if int_len + frac_len == 0 {
            return Err(bad());
        }
        let mut exp: i64 = 0;
        if matches!(bytes.get(i), Some(b'e') | Some(b'E')) {
            i += 1;
            let mut exp_negative = false;
            match bytes.get(i) {
                Some(b'-') => {
                    exp_negative = true;
                    i += 1;
                }
                Some(b'+') => i += 1,
                _ => {}
            }
            let exp_start = i;
            while let Some(c) = bytes.get(i).filter(|c| c.is_ascii_digit()) {
                // Saturates: any exponent this large is out of range anyway (unless the
                // mantissa is zero, which ignores it).
                exp = exp.saturating_mul(10).saturating_add(i64::from(c - b'0'));
                i += 1;
            }
            if i == exp_start {
                return Err(bad());
            }
            if exp_negative {
                exp = -exp;
            }
        }
        if i != bytes.len() {
            return Err(bad());
        }
        let n = Number::from_parts(negative, digits, (int_len as i64).saturating_add(exp))?;
        Ok(n)
    }

    /// Exact sum. A result outside the magnitude range is refused as AWS does; so is a result that
    /// needs more than 38 significant digits (1E50 + 1), which AWS reports with its *overflow*
    /// message (observed by ScyllaDB's Alternator tests against AWS), hence `Overflow` for both.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Place both on a common grid of decimal places from `high` (exclusive of the point)
        // down to `low`; one extra leading slot absorbs a carry.
        let high = i64::from(self.exponent.max(other.exponent)) + 1;
        let low = (i64::from(self.exponent) - self.digits.len() as i64)
            .min(i64::from(other.exponent) - other.digits.len() as i64);
        let width = (high - low) as usize;
        let a = self.aligned(high, width);
        let b = other.aligned(high, width);
        let (negative, digits) = if self.negative == other.negative {
            (self.negative, add_mag(&a, &b))
        } else {
            match a.cmp(&b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.negative, sub_mag(&a, &b)),
                Ordering::Less => (other.negative, sub_mag(&b, &a)),
            }
        };
        Number::from_parts(negative, digits, high).map_err(|e| match e {
            NumberError::TooManyDigits => NumberError::Overflow,
            other => other,
        })
    }

    /// Exact difference, refused like [`Number::checked_add`].
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&other.negated())
    }

    /// The number with its sign flipped (zero stays zero).
    pub fn negated(&self) -> Number {
        let mut n = self.clone();
        if !n.is_zero() {
            n.negative = !n.negative;
        }
        n
    }

    /// Digits of the magnitude laid out on `width` places whose first place is 10^(high-1).
    fn aligned(&self, high: i64, width: usize) -> Vec<u8> {
        let mut out = vec![0u8; width];
        let offset = (high - i64::from(self.exponent)) as usize;
        for (k, d) in self.digits.iter().enumerate() {
            if let Some(slot) = out.get_mut(offset + k) {
                *slot = *d;
            }
        }
        out
    }

    /// The inverse of [`Number::parts`] for a non-zero number: `None` unless `digits` are
    /// significant digits (0–9, neither first nor last a zero) within DynamoDB's limits.
    pub fn from_normalised(negative: bool, digits: &[u8], exponent: i32) -> Option<Number> {
        let normalised = matches!((digits.first(), digits.last()), (Some(1..=9), Some(1..=9)))
            && digits.iter().all(|d| *d <= 9)
            && digits.len() <= MAX_SIGNIFICANT_DIGITS
            && (MIN_EXPONENT..=MAX_EXPONENT).contains(&i64::from(exponent));
        normalised.then(|| Number {
            negative,
            digits: digits.to_vec(),
            exponent,
        })
    }

    /// Sign, significant digits (no leading/trailing zeros) and exponent with
    /// value = 0.digits × 10^exponent; for encoders that need the normalised form.
    pub fn parts(&self) -> (bool, &[u8], i32) {
        (self.negative, &self.digits, self.exponent)
    }
}

/// Adds two equal-length digit vectors (most significant first); the caller reserves a leading
/// zero slot so the final carry never overflows.
fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u8;
    for ((o, x), y) in out.iter_mut().zip(a).zip(b).rev() {
        let s = x + y + carry;
        *o = s % 10;
        carry = s / 10;
    }
    out
}

/// Subtracts `b` from `a` (equal lengths, `a >= b` as digit strings).
fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0u8;
    for ((o, x), y) in out.iter_mut().zip(a).zip(b).rev() {
        let sub = y + borrow;
        if *x >= sub {
            *o = x - sub;
            borrow = 0;
        } else {
            *o = x + 10 - sub;
            borrow = 1;
        }
    }
    out
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut s = String::with_capacity(self.digits.len() + 4);
        if self.negative {
            s.push('-');
        }
        let n = self.digits.len() as i64;
        let e = i64::from(self.exponent);
        let digit = |d: &u8| char::from(b'0' + d);
        if e <= 0 {
            s.push_str("0.");
            s.extend(std::iter::repeat_n('0', (-e) as usize));
            s.extend(self.digits.iter().map(digit));
        } else if e < n {
            let (int, frac) = self.digits.split_at(e as usize);
            s.extend(int.iter().map(digit));
            s.push('.');
            s.extend(frac.iter().map(digit));
        } else {
            s.extend(self.digits.iter().map(digit));
            s.extend(std::iter::repeat_n('0', (e - n) as usize));
        }
        f.write_str(&s)
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            o => return o,
        }
        let mag = self
            .exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits));
        if self.negative {
            mag.reverse()
        } else {
            mag
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        Number::from_i64(v)
    }
}

impl std::str::FromStr for Number {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Number, NumberError> {
        Number::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    /// Small deterministic PRNG (xorshift64*), so tests need no dependency.
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

    /// A random valid number text: sign, up to 38 digits, a point somewhere, an exponent that
    /// keeps it in range.
    fn random_number_text(rng: &mut Rng) -> String {
        let len = 1 + rng.below(38) as usize;
        let mut digits: String = (0..len)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        if rng.below(3) == 0 {
            let at = rng.below(len as u64 + 1) as usize;
            digits.insert(at, '.');
            if digits == "." {
                digits = "0".to_string();
            }
        }
        let sign = if rng.below(2) == 0 { "-" } else { "" };
        let exp = rng.below(160) as i64 - 80;
        format!("{sign}{digits}e{exp}")
    }

    #[test]
    fn parses_and_normalises() {
        for (input, shown) in [
            ("1.50", "1.5"),
            ("1e2", "100"),
            ("-0", "0"),
            ("0.001", "0.001"),
            ("+3", "3"),
            ("+0", "0"),
            ("+1e2", "100"),
            (".123", "0.123"),
            ("-.5", "-0.5"),
            ("5.", "5"),
            ("0001.23", "1.23"),
            ("1e+5", "100000"),
            ("1.5E+3", "1500"),
            ("-17e5", "-1700000"),
            ("-17.4E37", "-174000000000000000000000000000000000000"),
            ("0e1000", "0"),
            ("0.000e-5000", "0"),
            ("-7.1234", "-7.1234"),
            ("100", "100"),
            ("12345.678", "12345.678"),
            ("1e-130", &format!("0.{}1", "0".repeat(129))),
            (
                "9.9999999999999999999999999999999999999E+125",
                &format!("{}{}", "9".repeat(38), "0".repeat(88)),
            ),
        ] {
            assert_eq!(n(input).to_string(), shown, "{input}");
        }
        assert_eq!(n("1.50"), n("15E-1"));
        assert_eq!(n("-0"), Number::zero());
        assert!(n("-0.000").is_zero());
        assert!(!n("-0.000").is_negative());
    }

    #[test]
    fn refuses_what_aws_refuses() {
        for bad in [
            "NaN",
            "Infinity",
            "-Infinity",
            "-NaN",
            "dog",
            "-dog",
            " 1",
            "1 ",
            "",
            "-",
            "+",
            ".",
            "1e",
            "1e+",
            "e5",
            "1.2.3",
            "1+2",
            "+e2",
            "--1",
            "+-1",
            "0x10",
            "1_000",
            "1,5",
        ] {
            assert_eq!(
                Number::parse(bad),
                Err(NumberError::NotANumber(bad.to_string())),
                "{bad:?}"
            );
        }
        assert_eq!(
            NumberError::NotANumber(String::new()).to_string(),
            "The parameter cannot be converted to a numeric value"
        );
        assert_eq!(
            NumberError::NotANumber("b".into()).to_string(),
            "The parameter cannot be converted to a numeric value: b"
        );
    }

    #[test]
    fn limits() {
        let digits39 = "123456789012345678901234567890123456789";
        assert_eq!(Number::parse(digits39), Err(NumberError::TooManyDigits));
        assert_eq!(
            Number::parse("-1.23456789012345678901234567890123456789"),
            Err(NumberError::TooManyDigits)
        );
        // Leading and trailing zeros do not count.
        assert!(Number::parse(&format!("000{}000", &digits39[1..])).is_ok());
        assert!(Number::parse(&format!("0.000{}", &digits39[1..])).is_ok());
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("-1e126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("11e125"), Err(NumberError::Overflow));
        assert_eq!(
            Number::parse("1e99999999999999999999"),
            Err(NumberError::Overflow)
        );
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
        assert_eq!(Number::parse("-1e-131"), Err(NumberError::Underflow));
        assert_eq!(Number::parse("0.9e-130"), Err(NumberError::Underflow));
        assert!(Number::parse("1e125").is_ok());
        assert!(Number::parse("9.99999999e125").is_ok());
        assert!(Number::parse("-1e-130").is_ok());
        // Overflow is reported before precision, as dynalite (recorded against AWS) does.
        assert_eq!(
            Number::parse(&format!("{digits39}e200")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            NumberError::TooManyDigits.to_string(),
            "Attempting to store more than 38 significant digits in a Number"
        );
        assert_eq!(
            NumberError::Overflow.to_string(),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert_eq!(
            NumberError::Underflow.to_string(),
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        );
    }

    #[test]
    fn significant_digits_and_from_i64() {
        assert_eq!(n("100").significant_digits(), 1);
        assert_eq!(n("0.0120").significant_digits(), 2);
        assert_eq!(Number::zero().significant_digits(), 0);
        for v in [0, 1, -1, 10, -100, 123_456, i64::MAX, i64::MIN] {
            assert_eq!(Number::from_i64(v).to_string(), v.to_string());
            assert_eq!(Number::from_i64(v), n(&v.to_string()));
        }
    }

    #[test]
    fn round_trips_through_display() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..5000 {
            let text = random_number_text(&mut rng);
            let a = n(&text);
            let shown = a.to_string();
            assert_eq!(n(&shown), a, "{text} -> {shown}");
            assert!(!shown.contains('e') && !shown.starts_with('+'));
            assert!(!(shown.contains('.') && shown.ends_with('0')), "{shown}");
        }
    }

    #[test]
    fn order_matches_i128_and_text() {
        let mut rng = Rng(42);
        for _ in 0..5000 {
            let x = rng.next() as i64 as i128 / (1 + rng.below(1 << 20) as i128);
            let y = rng.next() as i64 as i128 / (1 + rng.below(1 << 20) as i128);
            let (a, b) = (n(&x.to_string()), n(&y.to_string()));
            assert_eq!(a.cmp(&b), x.cmp(&y), "{x} vs {y}");
        }
        let mut sorted: Vec<Number> = [
            "-100", "-1.5", "-1", "-0.001", "0", "1e-130", "0.1", "1", "1.01", "10", "1e125",
        ]
        .iter()
        .map(|s| n(s))
        .collect();
        let expected = sorted.clone();
        sorted.reverse();
        sorted.sort();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn arithmetic_matches_i128() {
        let mut rng = Rng(7);
        for _ in 0..5000 {
            let x = (rng.next() >> (rng.below(64) as u32)) as i64 as i128
                * if rng.below(2) == 0 { 1 } else { -1 };
            let y = (rng.next() >> (rng.below(64) as u32)) as i64 as i128
                * if rng.below(2) == 0 { 1 } else { -1 };
            let (a, b) = (n(&x.to_string()), n(&y.to_string()));
            assert_eq!(
                a.checked_add(&b).unwrap().to_string(),
                (x + y).to_string(),
                "{x} + {y}"
            );
            assert_eq!(
                a.checked_sub(&b).unwrap().to_string(),
                (x - y).to_string(),
                "{x} - {y}"
            );
        }
    }

    #[test]
    fn decimal_arithmetic_is_exact() {
        let add = |a: &str, b: &str| n(a).checked_add(&n(b)).map(|r| r.to_string());
        let sub = |a: &str, b: &str| n(a).checked_sub(&n(b)).map(|r| r.to_string());
        assert_eq!(add("0.1", "0.2").unwrap(), "0.3");
        assert_eq!(sub("0.3", "0.1").unwrap(), "0.2");
        assert_eq!(add("1.5", "-1.5").unwrap(), "0");
        assert_eq!(add("-0.5", "0.25").unwrap(), "-0.25");
        assert_eq!(add("99.99", "0.01").unwrap(), "100");
        assert_eq!(
            add("1", "10000000000000000000000").unwrap(),
            "10000000000000000000001"
        );
        assert_eq!(
            sub("10000000000000000000000", "1").unwrap(),
            "9999999999999999999999"
        );
        assert_eq!(
            sub("100000000000000000000.00000001", "1").unwrap(),
            "99999999999999999999.00000001"
        );
        assert_eq!(
            add("1e-130", "1e-130").unwrap(),
            format!("0.{}2", "0".repeat(129))
        );
        assert_eq!(add("0", "-7").unwrap(), "-7");
        // Out of range or beyond 38 digits: AWS answers with its overflow message for both.
        assert_eq!(add("9e125", "9e125"), Err(NumberError::Overflow));
        assert_eq!(sub("9e125", "-9e125"), Err(NumberError::Overflow));
        assert_eq!(
            add("9.9999999999999999999999999999999999999E+125", "1E+125"),
            Err(NumberError::Overflow)
        );
        assert_eq!(add("1e50", "1"), Err(NumberError::Overflow));
        assert_eq!(sub("1e50", "1"), Err(NumberError::Overflow));
        assert_eq!(sub("1.00001e-130", "1e-130"), Err(NumberError::Underflow));
    }
}
