//! The checks AWS makes on a parsed condition expression, and the building of the final
//! [`Condition`]. The first problem is reported in AWS's order of precedence: unknown function,
//! function used where it is not allowed, reserved word; then, for the first comparison or
//! function call (in the order AWS's parser meets them) that has any problem: undefined
//! placeholder, wrong operand count, non-distinct operands, wrong operand type (a literal that
//! an ordering operator cannot compare, BETWEEN bounds of different types or in the wrong
//! order, a function's operand).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::condition::{CompareOp, Condition, Operand};
use super::condition_parse::{RawCond, RawFunc, RawLeaf, RawOperand};
use super::path::{Path, PathElement, RawElem, RawPath};
use super::reserved::is_reserved;
use super::Context;
use crate::value::{compare, Value};

/// The type list AWS prints when `attribute_type`'s second operand is not a literal.
const ANY_TYPE: &str = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";

/// Checks `raw` and builds the condition, or gives AWS's message for the first problem.
pub(crate) fn check(raw: RawCond, ctx: &mut Context) -> Result<Condition, String> {
    let mut checker = Checker {
        ctx,
        unknown_function: None,
        misused: None,
        reserved: None,
        condition: None,
    };
    let (cond, is_size) = checker.cond(raw);
    checker.misused_size(is_size);
    match checker
        .unknown_function
        .or(checker.misused)
        .or(checker.reserved)
        .or(checker.condition)
    {
        Some(msg) => Err(msg),
        None => Ok(cond),
    }
}

/// Problems found in one comparison or function-call condition, each kind keeping its first.
#[derive(Default)]
struct Leaf {
    undefined: Option<String>,
    operand_count: Option<String>,
    distinct: Option<String>,
    function: Option<String>,
}

/// An operand after name/value lookup, keeping what the checks need.
enum Chk {
    Path(Path),
    /// `None`: the placeholder was undefined (already reported).
    Value(Option<Value>),
    Func {
        name: String,
        args: Vec<Chk>,
        /// The type the call yields, when the checks could tell.
        yields: Option<&'static str>,
    },
}

impl Chk {
    /// The operand's type as far as the checks can know it: a literal's type or a function's
    /// result type.
    fn known_type(&self) -> Option<&'static str> {
        match self {
            Chk::Value(Some(v)) => Some(v.type_name()),
            Chk::Func { yields, .. } => *yields,
            _ => None,
        }
    }

    fn into_operand(self) -> Operand {
        match self {
            Chk::Path(p) => Operand::Path(p),
            Chk::Value(v) => Operand::Value(v.unwrap_or(Value::Null)),
            Chk::Func { name, args, .. } => {
                let inner = args
                    .into_iter()
                    .next()
                    .map_or(Operand::Value(Value::Null), Chk::into_operand);
                if name == "size" {
                    Operand::Size(Box::new(inner))
                } else {
                    // Refused by the checks before the tree can be used.
                    inner
                }
            }
        }
    }
}

struct Checker<'c, 'a> {
    ctx: &'c mut Context<'a>,
    unknown_function: Option<String>,
    misused: Option<String>,
    reserved: Option<String>,
    /// The problem of the first comparison/function condition that had one.
    condition: Option<String>,
}

fn first(slot: &mut Option<String>, msg: impl FnOnce() -> String) {
    if slot.is_none() {
        *slot = Some(msg());
    }
}

/// Ordering operators only compare strings, numbers and binaries: a literal of another type is
/// refused (an item's attribute of another type just makes the comparison false).
fn orderable_literals(lf: &mut Leaf, operator: &str, operands: &[&Chk]) {
    for o in operands {
        if let Chk::Value(Some(v)) = o {
            if !matches!(v, Value::S(_) | Value::N(_) | Value::B(_)) {
                first(&mut lf.function, || {
                    format!(
                        "Incorrect operand type for operator or function; operator or function: {operator}, operand type: {}",
                        v.type_name()
                    )
                });
                return;
            }
        }
    }
}

/// `{N:5}`, as AWS prints a literal in BETWEEN messages.
fn literal_display(v: &Value) -> String {
    let inner = match v {
        Value::S(s) => s.clone(),
        Value::N(n) => n.to_string(),
        Value::B(b) => BASE64.encode(b),
        Value::Bool(b) => b.to_string(),
        Value::Null => "true".to_string(),
        other => crate::json::value_to_json(other)
            .as_object()
            .and_then(|o| o.values().next())
            .map(|j| j.to_string())
            .unwrap_or_default(),
    };
    format!("{{{}:{}}}", v.type_name(), inner)
}

impl Checker<'_, '_> {
    /// Checks a condition subtree (in the order AWS's parser meets its parts) and builds it;
    /// the flag says the condition is a bare `size(…)` call, which is not a condition.
    fn cond(&mut self, c: RawCond) -> (Condition, bool) {
        match c {
            RawCond::Or(a, b) => {
                let (a, sa) = self.cond(*a);
                let (b, sb) = self.cond(*b);
                self.misused_size(sa);
                self.misused_size(sb);
                (Condition::Or(Box::new(a), Box::new(b)), false)
            }
            RawCond::And(a, b) => {
                let (a, sa) = self.cond(*a);
                let (b, sb) = self.cond(*b);
                self.misused_size(sa);
                self.misused_size(sb);
                (Condition::And(Box::new(a), Box::new(b)), false)
            }
            RawCond::Not(a) => {
                let (a, sa) = self.cond(*a);
                self.misused_size(sa);
                (Condition::Not(Box::new(a)), false)
            }
            RawCond::Leaf(leaf) => {
                let mut problems = Leaf::default();
                let built = self.leaf(&mut problems, *leaf);
                if self.condition.is_none() {
                    self.condition = problems
                        .undefined
                        .or(problems.operand_count)
                        .or(problems.distinct)
                        .or(problems.function);
                }
                built
            }
        }
    }

    fn leaf(&mut self, lf: &mut Leaf, c: RawLeaf) -> (Condition, bool) {
        match c {
            RawLeaf::Compare(op, x, y) => {
                let x = self.operand(lf, x);
                let y = self.operand(lf, y);
                self.misused_functions(&[&x, &y]);
                self.distinct(lf, op.symbol(), &x, &y);
                if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                    orderable_literals(lf, op.symbol(), &[&x, &y]);
                }
                (
                    Condition::Compare {
                        op,
                        left: x.into_operand(),
                        right: y.into_operand(),
                    },
                    false,
                )
            }
            RawLeaf::Between(x, y, z) => {
                let x = self.operand(lf, x);
                let y = self.operand(lf, y);
                let z = self.operand(lf, z);
                self.misused_functions(&[&x, &y, &z]);
                orderable_literals(lf, "BETWEEN", &[&x, &y, &z]);
                self.between_bounds(lf, &y, &z);
                (
                    Condition::Between {
                        operand: x.into_operand(),
                        low: y.into_operand(),
                        high: z.into_operand(),
                    },
                    false,
                )
            }
            RawLeaf::In(x, list) => {
                let x = self.operand(lf, x);
                let list: Vec<Chk> = list.into_iter().map(|o| self.operand(lf, o)).collect();
                let mut all: Vec<&Chk> = vec![&x];
                all.extend(list.iter());
                self.misused_functions(&all);
                (
                    Condition::In {
                        operand: x.into_operand(),
                        list: list.into_iter().map(Chk::into_operand).collect(),
                    },
                    false,
                )
            }
            RawLeaf::Func(f) => match self.function(lf, f) {
                Chk::Func { name, args, .. } => function_condition(name, args),
                _ => (Condition::True, false),
            },
        }
    }

    fn operand(&mut self, lf: &mut Leaf, o: RawOperand) -> Chk {
        match o {
            RawOperand::Path(p) => Chk::Path(self.path(lf, p)),
            RawOperand::Value(name) => match self.ctx.value(&name) {
                Some(v) => Chk::Value(Some(v)),
                None => {
                    first(&mut lf.undefined, || {
                        format!("An expression attribute value used in expression is not defined; attribute value: {name}")
                    });
                    Chk::Value(None)
                }
            },
            RawOperand::Func(f) => self.function(lf, *f),
        }
    }

    fn path(&mut self, lf: &mut Leaf, raw: RawPath) -> Path {
        let mut elements = Vec::with_capacity(raw.0.len());
        for e in raw.0 {
            match e {
                RawElem::Ident(s) => {
                    if is_reserved(&s) {
                        first(&mut self.reserved, || {
                            format!("Attribute name is a reserved keyword; reserved keyword: {s}")
                        });
                    }
                    elements.push(PathElement::Name(s));
                }
                RawElem::Name(n) => match self.ctx.name(&n) {
                    Some(real) => elements.push(PathElement::Name(real)),
                    None => {
                        first(&mut lf.undefined, || {
                            format!("An expression attribute name used in the document path is not defined; attribute name: {n}")
                        });
                        elements.push(PathElement::Name(String::new()));
                    }
                },
                RawElem::Index(i) => elements.push(PathElement::Index(i)),
            }
        }
        Path::from_resolved(elements)
    }

    fn function(&mut self, lf: &mut Leaf, f: RawFunc) -> Chk {
        let args: Vec<Chk> = f.args.into_iter().map(|a| self.operand(lf, a)).collect();
        let refs: Vec<&Chk> = args.iter().collect();
        self.misused_functions(&refs);
        let yields = self.check_function(lf, &f.name, &args);
        Chk::Func {
            name: f.name,
            args,
            yields,
        }
    }

    /// A function other than `size` may only be a whole condition, never an operand.
    fn misused_functions(&mut self, operands: &[&Chk]) {
        if self.misused.is_some() {
            return;
        }
        for o in operands {
            if let Chk::Func { name, .. } = o {
                if name != "size" {
                    self.misused = Some(format!(
                        "The function is not allowed to be used this way in an expression; function: {name}"
                    ));
                    return;
                }
            }
        }
    }

    /// `size(…)` is an operand, never a whole condition.
    fn misused_size(&mut self, is_size: bool) {
        if is_size {
            first(&mut self.misused, || {
                "The function is not allowed to be used this way in an expression; function: size"
                    .to_string()
            });
        }
    }

    fn distinct(&mut self, lf: &mut Leaf, operator: &str, x: &Chk, y: &Chk) {
        if let (Chk::Path(a), Chk::Path(b)) = (x, y) {
            if a == b {
                first(&mut lf.distinct, || {
                    format!("The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {a}")
                });
            }
        }
    }

    fn between_bounds(&mut self, lf: &mut Leaf, low: &Chk, high: &Chk) {
        if lf.function.is_some() {
            return;
        }
        let (Chk::Value(Some(lo)), Chk::Value(Some(hi))) = (low, high) else {
            return;
        };
        let bounds = || {
            format!(
                "lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                literal_display(lo),
                literal_display(hi)
            )
        };
        if lo.type_name() != hi.type_name() {
            lf.function = Some(format!(
                "The BETWEEN operator requires same data type for lower and upper bounds; {}",
                bounds()
            ));
        } else if compare(lo, hi) == Some(std::cmp::Ordering::Greater) {
            lf.function = Some(format!(
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {}",
                bounds()
            ));
        }
    }

    /// Arity and operand checks of one function call; returns the type the call yields.
    fn check_function(&mut self, lf: &mut Leaf, name: &str, args: &[Chk]) -> Option<&'static str> {
        if self.unknown_function.is_some() {
            return None;
        }
        let arity = match name {
            "attribute_exists" | "attribute_not_exists" | "size" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            _ => {
                self.unknown_function = Some(format!("Invalid function name; function: {name}"));
                return None;
            }
        };
        if lf.operand_count.is_some() {
            return None;
        }
        if args.len() != arity {
            lf.operand_count = Some(format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                args.len()
            ));
            return None;
        }
        if let [x, y] = args {
            self.distinct(lf, name, x, y);
        }
        if lf.function.is_some() {
            return None;
        }
        let wrong_type = |t: &str| {
            format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {t}")
        };
        match (name, args) {
            ("attribute_exists" | "attribute_not_exists", [target]) => {
                if !matches!(target, Chk::Path(_)) {
                    lf.function = Some(format!(
                        "Operator or function requires a document path; operator or function: {name}"
                    ));
                }
                None
            }
            ("begins_with", _) => {
                for a in args {
                    if let Some(t) = a.known_type() {
                        if t != "S" && t != "B" {
                            lf.function = Some(wrong_type(t));
                            return None;
                        }
                    }
                }
                Some("BOOL")
            }
            ("attribute_type", [_, type_arg]) => {
                match type_arg {
                    Chk::Value(Some(Value::S(t))) => {
                        const TYPES: [&str; 10] =
                            ["S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"];
                        if !TYPES.contains(&t.as_str()) {
                            lf.function = Some(format!(
                                "Invalid attribute type name found; type: {t}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                            ));
                            return None;
                        }
                    }
                    other => {
                        lf.function = Some(wrong_type(other.known_type().unwrap_or(ANY_TYPE)));
                        return None;
                    }
                }
                Some("BOOL")
            }
            ("size", [target]) => {
                if let Some(t) = target.known_type() {
                    if matches!(t, "N" | "BOOL" | "NULL") {
                        lf.function = Some(wrong_type(t));
                        return None;
                    }
                }
                Some("N")
            }
            ("contains", _) => Some("BOOL"),
            _ => None,
        }
    }
}

/// Builds the condition a checked function call stands for; the flag marks `size`, which is
/// not a condition (the checks report it).
fn function_condition(name: String, args: Vec<Chk>) -> (Condition, bool) {
    let mut args = args.into_iter();
    let (a, b) = (args.next(), args.next());
    let cond = match (name.as_str(), a, b) {
        ("attribute_exists", Some(Chk::Path(p)), None) => Condition::AttributeExists(p),
        ("attribute_not_exists", Some(Chk::Path(p)), None) => Condition::AttributeNotExists(p),
        ("attribute_type", Some(x), Some(Chk::Value(Some(Value::S(t))))) => {
            Condition::AttributeType {
                operand: x.into_operand(),
                type_name: t,
            }
        }
        ("begins_with", Some(x), Some(y)) => {
            Condition::BeginsWith(x.into_operand(), y.into_operand())
        }
        ("contains", Some(x), Some(y)) => Condition::Contains(x.into_operand(), y.into_operand()),
        ("size", _, _) => return (Condition::True, true),
        // Refused by the checks.
        _ => Condition::True,
    };
    (cond, false)
}
