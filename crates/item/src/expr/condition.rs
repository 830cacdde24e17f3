//! The condition tree (ConditionExpression, FilterExpression, KeyConditionExpression, and the
//! legacy `Expected`/`QueryFilter`/`ScanFilter` converted to it) and its evaluation.
//!
//! Evaluation follows AWS: a comparison whose operands are missing or of different types is
//! false, not an error; `<>` is the negation of `=`, so it holds when an operand is missing.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::error::ExprError;
use super::path::Path;
use crate::value::{aws_eq, compare, Item, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    /// The operator as written in expressions (and in AWS's messages).
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    pub(crate) fn from_symbol(s: &str) -> Option<CompareOp> {
        Some(match s {
            "=" => CompareOp::Eq,
            "<>" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            ">=" => CompareOp::Ge,
            _ => return None,
        })
    }
}

/// A value a condition compares: an item's attribute, a literal, or the size of either.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(Value),
    Size(Box<Operand>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// Always true: what an empty legacy condition map means.
    True,
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    Compare {
        op: CompareOp,
        left: Operand,
        right: Operand,
    },
    Between {
        operand: Operand,
        low: Operand,
        high: Operand,
    },
    In {
        operand: Operand,
        list: Vec<Operand>,
    },
    AttributeExists(Path),
    AttributeNotExists(Path),
    /// `attribute_type(operand, :t)`; the parser has checked `:t` names a type.
    AttributeType {
        operand: Operand,
        type_name: String,
    },
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

impl Condition {
    /// Whether `item` (`None`: there is no item) satisfies the condition. With no item every
    /// attribute is missing: `attribute_not_exists` holds, comparisons do not.
    pub fn evaluate(&self, item: Option<&Item>) -> Result<bool, ExprError> {
        Ok(self.eval(item))
    }

    fn eval(&self, item: Option<&Item>) -> bool {
        match self {
            Condition::True => true,
            Condition::And(a, b) => a.eval(item) && b.eval(item),
            Condition::Or(a, b) => a.eval(item) || b.eval(item),
            Condition::Not(c) => !c.eval(item),
            Condition::Compare { op, left, right } => {
                let (l, r) = (left.resolve(item), right.resolve(item));
                match op {
                    CompareOp::Eq => equal(l.as_deref(), r.as_deref()),
                    CompareOp::Ne => !equal(l.as_deref(), r.as_deref()),
                    _ => {
                        let ord = match (l.as_deref(), r.as_deref()) {
                            (Some(a), Some(b)) => compare(a, b),
                            _ => None,
                        };
                        match (op, ord) {
                            (_, None) => false,
                            (CompareOp::Lt, Some(o)) => o == Ordering::Less,
                            (CompareOp::Le, Some(o)) => o != Ordering::Greater,
                            (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
                            (CompareOp::Ge, Some(o)) => o != Ordering::Less,
                            (CompareOp::Eq | CompareOp::Ne, Some(_)) => false,
                        }
                    }
                }
            }
            Condition::Between { operand, low, high } => {
                let v = operand.resolve(item);
                let (lo, hi) = (low.resolve(item), high.resolve(item));
                match (v.as_deref(), lo.as_deref(), hi.as_deref()) {
                    (Some(v), Some(lo), Some(hi)) => {
                        matches!(compare(v, lo), Some(Ordering::Greater | Ordering::Equal))
                            && matches!(compare(v, hi), Some(Ordering::Less | Ordering::Equal))
                    }
                    _ => false,
                }
            }
            Condition::In { operand, list } => {
                let v = operand.resolve(item);
                match v.as_deref() {
                    Some(v) => list
                        .iter()
                        .any(|o| o.resolve(item).as_deref().is_some_and(|c| aws_eq(v, c))),
                    None => false,
                }
            }
            Condition::AttributeExists(p) => resolve_path(p, item).is_some(),
            Condition::AttributeNotExists(p) => resolve_path(p, item).is_none(),
            Condition::AttributeType { operand, type_name } => operand
                .resolve(item)
                .is_some_and(|v| v.type_name() == type_name),
            Condition::BeginsWith(a, b) => {
                match (a.resolve(item).as_deref(), b.resolve(item).as_deref()) {
                    (Some(Value::S(s)), Some(Value::S(p))) => s.starts_with(p.as_str()),
                    (Some(Value::B(s)), Some(Value::B(p))) => s.starts_with(p),
                    _ => false,
                }
            }
            Condition::Contains(a, b) => {
                match (a.resolve(item).as_deref(), b.resolve(item).as_deref()) {
                    (Some(a), Some(b)) => contains(a, b),
                    _ => false,
                }
            }
        }
    }

    /// The distinct top-level attributes the condition reads, in order of first mention (e.g.
    /// for the caller's "Filter Expression can only contain non-primary key attributes" check).
    pub fn attribute_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self.paths() {
            let n = p.attribute_name();
            if !out.iter().any(|x| x == n) {
                out.push(n.to_string());
            }
        }
        out
    }

    /// Every document path the condition reads, in order of mention.
    pub fn paths(&self) -> Vec<&Path> {
        fn operand<'a>(o: &'a Operand, out: &mut Vec<&'a Path>) {
            match o {
                Operand::Path(p) => out.push(p),
                Operand::Value(_) => {}
                Operand::Size(inner) => operand(inner, out),
            }
        }
        fn walk<'a>(c: &'a Condition, out: &mut Vec<&'a Path>) {
            match c {
                Condition::True => {}
                Condition::And(a, b) | Condition::Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Condition::Not(a) => walk(a, out),
                Condition::Compare { left, right, .. }
                | Condition::BeginsWith(left, right)
                | Condition::Contains(left, right) => {
                    operand(left, out);
                    operand(right, out);
                }
                Condition::Between {
                    operand: o,
                    low,
                    high,
                } => {
                    operand(o, out);
                    operand(low, out);
                    operand(high, out);
                }
                Condition::In { operand: o, list } => {
                    operand(o, out);
                    list.iter().for_each(|x| operand(x, out));
                }
                Condition::AttributeExists(p) | Condition::AttributeNotExists(p) => out.push(p),
                Condition::AttributeType { operand: o, .. } => operand(o, out),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// Conjunction of two conditions (`True` is the identity).
    pub fn and(self, other: Condition) -> Condition {
        match (self, other) {
            (Condition::True, c) | (c, Condition::True) => c,
            (a, b) => Condition::And(Box::new(a), Box::new(b)),
        }
    }
}

fn equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => aws_eq(a, b),
        _ => false,
    }
}

/// `contains(a, b)`: substring of a string, byte subsequence of a binary, member of a set of
/// the matching type, or element of a list.
fn contains(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::S(s), Value::S(sub)) => s.contains(sub.as_str()),
        (Value::B(s), Value::B(sub)) => {
            sub.is_empty() || s.windows(sub.len()).any(|w| w == sub.as_slice())
        }
        (Value::Ss(set), Value::S(x)) => set.contains(x),
        (Value::Ns(set), Value::N(x)) => set.contains(x),
        (Value::Bs(set), Value::B(x)) => set.contains(x),
        (Value::L(list), x) => list.iter().any(|e| aws_eq(e, x)),
        _ => false,
    }
}

fn resolve_path<'v>(p: &Path, item: Option<&'v Item>) -> Option<&'v Value> {
    item.and_then(|i| p.resolve(i))
}

impl Operand {
    /// The operand's value for `item`, if it has one. `size` of a value without a size (number,
    /// boolean, null) or of a missing attribute has none.
    pub fn resolve<'v>(&'v self, item: Option<&'v Item>) -> Option<Cow<'v, Value>> {
        match self {
            Operand::Path(p) => resolve_path(p, item).map(Cow::Borrowed),
            Operand::Value(v) => Some(Cow::Borrowed(v)),
            Operand::Size(inner) => {
                let v = inner.resolve(item)?;
                size_of(&v).map(|n| Cow::Owned(Value::N(crate::number::Number::from_i64(n))))
            }
        }
    }
}

/// What `size()` returns: a string's length in UTF-16 code units (as AWS measures it), a
/// binary's bytes, a set's or list's element count, a map's entry count.
pub(crate) fn size_of(v: &Value) -> Option<i64> {
    let n = match v {
        Value::S(s) => s.encode_utf16().count(),
        Value::B(b) => b.len(),
        Value::Ss(x) => x.len(),
        Value::Ns(x) => x.len(),
        Value::Bs(x) => x.len(),
        Value::L(x) => x.len(),
        Value::M(x) => x.len(),
        Value::N(_) | Value::Bool(_) | Value::Null => return None,
    };
    i64::try_from(n).ok()
}
