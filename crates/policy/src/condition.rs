//! The `Condition` element: operators, the `IfExists` suffix, the `ForAllValues:` and
//! `ForAnyValue:` set qualifiers, and AWS's rules for absent keys and several values
//! (IAM User Guide, "Condition operators" and "Conditions with multiple context keys or values").

use std::net::IpAddr;

use crate::context::Context;
use crate::wildcard;

/// How a condition compares one request value with one policy value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    /// `Null`: whether the key is absent, not a comparison of values.
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    ForAllValues,
    ForAnyValue,
}

/// One operator of a `Condition` block, as written (`ForAnyValue:StringNotLikeIfExists`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator {
    pub test: Test,
    /// The negated forms (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, …).
    pub negated: bool,
    pub if_exists: bool,
    pub qualifier: Option<Qualifier>,
}

impl Operator {
    /// Parses an operator name; `None` for one AWS does not have.
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(Qualifier::ForAllValues), r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(Qualifier::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let (test, negated) = match base {
            "StringEquals" => (Test::StringEquals, false),
            "StringNotEquals" => (Test::StringEquals, true),
            "StringEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, true),
            "StringLike" => (Test::StringLike, false),
            "StringNotLike" => (Test::StringLike, true),
            "NumericEquals" => (Test::NumericEquals, false),
            "NumericNotEquals" => (Test::NumericEquals, true),
            "NumericLessThan" => (Test::NumericLessThan, false),
            "NumericLessThanEquals" => (Test::NumericLessThanEquals, false),
            "NumericGreaterThan" => (Test::NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (Test::NumericGreaterThanEquals, false),
            "DateEquals" => (Test::DateEquals, false),
            "DateNotEquals" => (Test::DateEquals, true),
            "DateLessThan" => (Test::DateLessThan, false),
            "DateLessThanEquals" => (Test::DateLessThanEquals, false),
            "DateGreaterThan" => (Test::DateGreaterThan, false),
            "DateGreaterThanEquals" => (Test::DateGreaterThanEquals, false),
            "Bool" => (Test::Bool, false),
            "BinaryEquals" => (Test::BinaryEquals, false),
            "IpAddress" => (Test::IpAddress, false),
            "NotIpAddress" => (Test::IpAddress, true),
            "ArnEquals" | "ArnLike" => (Test::ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (Test::ArnLike, true),
            "Null" if !if_exists && qualifier.is_none() => (Test::Null, false),
            _ => return None,
        };
        Some(Operator {
            test,
            negated,
            if_exists,
            qualifier,
        })
    }
}

/// One key under one operator, with the policy's values for it (numbers and booleans in the
/// document are kept as their text, as IAM compares them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<String>,
    /// Whether `${…}` in the values are policy variables (documents of version 2012-10-17);
    /// in older documents they are literal text.
    pub variables: bool,
}

impl Condition {
    /// Whether the condition holds for `ctx`.
    pub fn holds(&self, ctx: &Context) -> bool {
        let op = self.operator;
        // A key whose values are all empty strings is an empty set (IAM User Guide,
        // "Conditions with multiple context keys or values").
        let present = ctx
            .get(&self.key)
            .filter(|v| !v.iter().all(String::is_empty) || op.qualifier.is_none());
        if op.test == Test::Null {
            let absent = present.is_none_or(|v| v.is_empty() || v.iter().all(String::is_empty));
            return self
                .values
                .iter()
                .any(|v| v.eq_ignore_ascii_case(if absent { "true" } else { "false" }));
        }
        // Policy values with variables: a variable without a value matches nothing.
        let policy: Vec<String> = self
            .values
            .iter()
            .filter_map(|v| match op.test {
                Test::StringEquals
                | Test::StringEqualsIgnoreCase
                | Test::StringLike
                | Test::ArnLike
                    if self.variables =>
                {
                    ctx.substitute(v)
                }
                _ => Some(v.clone()),
            })
            .collect();
        let one = |value: &str| policy.iter().any(|p| compare(op.test, value, p));
        match (op.qualifier, present) {
            (Some(Qualifier::ForAllValues), None) => true,
            (Some(Qualifier::ForAllValues), Some(values)) => {
                values
                    .iter()
                    .all(|v| if op.negated { !one(v) } else { one(v) })
            }
            (Some(Qualifier::ForAnyValue), None) => false,
            (Some(Qualifier::ForAnyValue), Some(values)) => {
                values
                    .iter()
                    .any(|v| if op.negated { !one(v) } else { one(v) })
            }
            // An absent key: IfExists passes; a negated operator's "does not match" holds.
            (None, None) => op.if_exists || op.negated,
            (None, Some(values)) => {
                let matched = values.iter().any(|v| one(v));
                matched != op.negated
            }
        }
    }
}

/// One request value against one policy value.
fn compare(test: Test, value: &str, policy: &str) -> bool {
    match test {
        Test::StringEquals => value == wildcard::literal(policy),
        Test::StringEqualsIgnoreCase => {
            value.to_lowercase() == wildcard::literal(policy).to_lowercase()
        }
        Test::StringLike => wildcard::matches(policy, value, false),
        Test::NumericEquals => numbers(value, policy).is_some_and(|(a, b)| a == b),
        Test::NumericLessThan => numbers(value, policy).is_some_and(|(a, b)| a < b),
        Test::NumericLessThanEquals => numbers(value, policy).is_some_and(|(a, b)| a <= b),
        Test::NumericGreaterThan => numbers(value, policy).is_some_and(|(a, b)| a > b),
        Test::NumericGreaterThanEquals => numbers(value, policy).is_some_and(|(a, b)| a >= b),
        Test::DateEquals => dates(value, policy).is_some_and(|(a, b)| a == b),
        Test::DateLessThan => dates(value, policy).is_some_and(|(a, b)| a < b),
        Test::DateLessThanEquals => dates(value, policy).is_some_and(|(a, b)| a <= b),
        Test::DateGreaterThan => dates(value, policy).is_some_and(|(a, b)| a > b),
        Test::DateGreaterThanEquals => dates(value, policy).is_some_and(|(a, b)| a >= b),
        Test::Bool => value.eq_ignore_ascii_case(policy),
        Test::BinaryEquals => value == policy,
        Test::IpAddress => in_cidr(value, policy),
        Test::ArnLike => wildcard::arn_matches(policy, value),
        Test::Null => false,
    }
}

fn numbers(a: &str, b: &str) -> Option<(f64, f64)> {
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Dates as ISO 8601 (with or without time, zone `Z` or an offset) or epoch seconds; compared
/// as Unix milliseconds.
fn dates(a: &str, b: &str) -> Option<(i128, i128)> {
    Some((date_ms(a)?, date_ms(b)?))
}

pub fn date_ms(text: &str) -> Option<i128> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Some(i128::from(secs) * 1000);
    }
    if let Ok(t) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp_nanos() / 1_000_000);
    }
    if let Ok(t) = time::OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(t.unix_timestamp_nanos() / 1_000_000);
    }
    if let Ok(t) = time::PrimitiveDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(t.assume_utc().unix_timestamp_nanos() / 1_000_000);
    }
    let day = time::Date::parse(text, &Iso8601::DEFAULT).ok()?;
    Some(day.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000)
}

/// Whether address `ip` is in `cidr` (`203.0.113.0/24`, `2001:db8::/32`, or one address).
fn in_cidr(ip: &str, cidr: &str) -> bool {
    let Ok(ip) = ip.trim().parse::<IpAddr>() else {
        return false;
    };
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
            None => return false,
        },
        _ => return false,
    };
    let bits = bits.unwrap_or(width);
    if bits > width {
        return false;
    }
    let shift = width - bits;
    let mask = if shift >= 128 {
        0
    } else {
        (u128::MAX >> (128 - width)) >> shift << shift
    };
    ip & mask == net & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition {
            operator: Operator::parse(op)
                .unwrap_or_else(|| Operator::parse("Null").unwrap_or(NULL)),
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            variables: true,
        }
    }

    const NULL: Operator = Operator {
        test: Test::Null,
        negated: false,
        if_exists: false,
        qualifier: None,
    };

    #[test]
    fn operators_parse_as_aws_names_them() {
        assert!(Operator::parse("ForAnyValue:StringNotLikeIfExists").is_some());
        assert!(Operator::parse("StringEqualz").is_none());
        assert!(Operator::parse("NullIfExists").is_none());
        assert_eq!(
            Operator::parse("NotIpAddress").map(|o| (o.test, o.negated)),
            Some((Test::IpAddress, true))
        );
    }

    #[test]
    fn addresses() {
        assert!(in_cidr("203.0.113.7", "203.0.113.0/24"));
        assert!(!in_cidr("203.0.114.7", "203.0.113.0/24"));
        assert!(in_cidr("10.1.2.3", "0.0.0.0/0"));
        assert!(in_cidr("2001:db8::1", "2001:db8::/32"));
        assert!(in_cidr("127.0.0.1", "127.0.0.1"));
        assert!(!in_cidr("127.0.0.1", "::1/128"));
    }

    #[test]
    fn dates_in_every_form() {
        assert_eq!(date_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(date_ms("1"), Some(1000));
        assert_eq!(date_ms("1970-01-02"), Some(86_400_000));
        assert!(date_ms("2019-07-16T12:00:00+02:00").is_some());
        assert_eq!(date_ms("yesterday"), None);
    }

    #[test]
    fn negated_and_absent() {
        let ctx = Context::new();
        assert!(!cond("StringEquals", "aws:username", &["a"]).holds(&ctx));
        assert!(cond("StringNotEquals", "aws:username", &["a"]).holds(&ctx));
        assert!(cond("StringEqualsIfExists", "aws:username", &["a"]).holds(&ctx));
        assert!(cond("Null", "aws:username", &["true"]).holds(&ctx));
    }
}
