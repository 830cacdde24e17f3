//! From PartiQL expressions to the expression language's trees, with the request's parameters
//! bound: values ([`value`]), WHERE clauses ([`condition`]), SET/REMOVE clauses ([`update`]) and
//! projection lists ([`projection`], [`unnest`]).
//!
//! The checks and their wording follow DynamoDB's PartiQL translator; where a problem is the
//! expression language's (an operand of the wrong type, a function with the wrong number of
//! operands) the expression language's wording is used.

use std::collections::{BTreeMap, HashSet};

use super::{BinOp, Expr, Literal, PartiqlError, PathExpr, UpdateOp};
use crate::expr::{
    CompareOp, Condition, Operand, Path, PathElement, SetValue, Update, UpdateAction, UpdateOperand,
};
use crate::number::Number;
use crate::value::{Item, Value};

const PARAM_COUNT: &str = "Number of parameters in request and statement don't match.";
const BAG_TYPES: &str =
    "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags";
const MISSING_NOT_IS: &str = "MISSING must be compared using IS operator";
/// Deepest nesting of lists and maps in a value, as in an item.
const MAX_DEPTH: usize = 32;

fn err(message: impl Into<String>) -> PartiqlError {
    PartiqlError::new(message)
}

/// The name AWS gives an expression's kind in "Unsupported data type" messages.
fn kind_name(e: &Expr) -> &'static str {
    match e {
        Expr::Lit(Literal::Str(_)) => "STRING",
        Expr::Lit(Literal::Num(_)) => "DECIMAL",
        Expr::Lit(Literal::Bool(_)) => "BOOL",
        Expr::Lit(Literal::Null) => "NULL",
        Expr::Missing => "LiteralMissing",
        Expr::Param(_) => "Parameter",
        Expr::Path(p) if p.steps.is_empty() => "VariableReference",
        Expr::Path(_) => "Path",
        Expr::List(_) | Expr::Bag(_) => "Seq",
        Expr::Tuple(_) => "Struct",
        Expr::Is { .. } => "Typed",
        _ => "NAry",
    }
}

/// The value of a literal, list, map, set or parameter.
pub fn value(e: &Expr, params: &[Value]) -> Result<Value, PartiqlError> {
    value_at(e, params, "root", 0)
}

fn param(i: usize, params: &[Value]) -> Result<Value, PartiqlError> {
    params.get(i).cloned().ok_or_else(|| err(PARAM_COUNT))
}

fn number(text: &str, at: &str) -> Result<Number, PartiqlError> {
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    let n = Number::parse(trimmed).map_err(|e| err(format!("{e} under {at}")))?; // message unverified
    if n.is_zero() && text.starts_with('-') && text.contains('.') && !text.contains(['e', 'E']) {
        return Err(err(format!(
            "Negative zero decimal is not supported under key {at}"
        )));
    }
    Ok(n)
}

fn value_at(e: &Expr, params: &[Value], at: &str, depth: usize) -> Result<Value, PartiqlError> {
    if depth > MAX_DEPTH {
        return Err(err(format!(
            "Nesting Levels have exceeded supported limits under {at}" // message unverified
        )));
    }
    Ok(match e {
        Expr::Lit(Literal::Str(s)) => Value::S(s.clone()),
        Expr::Lit(Literal::Num(n)) => Value::N(number(n, at)?),
        Expr::Lit(Literal::Bool(b)) => Value::Bool(*b),
        Expr::Lit(Literal::Null) => Value::Null,
        Expr::Param(i) => param(*i, params)?,
        Expr::List(items) => Value::L(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| value_at(x, params, &format!("{at}[{i}]"), depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Tuple(fields) => {
            let mut m = BTreeMap::new();
            for (k, v) in fields {
                let name = match k {
                    Expr::Lit(Literal::Str(s)) => s.clone(),
                    other => {
                        return Err(err(format!(
                            "Tuple keys must be of type String. Actual type: {} under {at}",
                            kind_name(other)
                        )))
                    }
                };
                if name.is_empty() {
                    return Err(err("Path component cannot be an empty string"));
                }
                if m.contains_key(&name) {
                    return Err(err(format!(
                        "Duplicate keys in tuple. Key: {name} under {at}"
                    )));
                }
                // An INSERT's attributes are each converted from the root, as AWS does.
                let below = if depth == 0 {
                    at.to_string()
                } else {
                    format!("{at}.{name}")
                };
                let v = value_at(v, params, &below, depth + 1)?;
                m.insert(name, v);
            }
            Value::M(m)
        }
        Expr::Bag(items) => bag(items, at)?,
        Expr::Neg(inner) => match value_at(inner, params, at, depth)? {
            Value::N(n) => Value::N(n.negated()),
            _ => return Err(err(format!("Unsupported data type: NAry under key {at}"))),
        },
        other => {
            // An INSERT's attribute names the expression as written; deeper values by kind.
            let what = if depth == 1 && at == "root" {
                identifier(other)
            } else {
                kind_name(other).to_string()
            };
            return Err(err(format!("Unsupported data type: {what} under key {at}")));
        }
    })
}

/// How DynamoDB's translator names an expression it cannot take as a value.
fn identifier(e: &Expr) -> String {
    match e {
        Expr::Missing => "MISSING".into(),
        Expr::Path(p) if p.steps.is_empty() => p.root.clone(),
        Expr::Path(_) => "PATH".into(),
        Expr::Call(name, _) => name.clone(),
        Expr::Binary(op, _, _) => op.symbol().into(),
        Expr::Not(_) => "not".into(),
        Expr::Neg(_) => "-".into(),
        Expr::Between { .. } => "between".into(),
        Expr::In(..) => "in".into(),
        Expr::Is { .. } => "is".into(),
        other => kind_name(other).to_string(),
    }
}

/// `<<…>>`: a number set or a string set, of literals only.
fn bag(items: &[Expr], at: &str) -> Result<Value, PartiqlError> {
    let Some(first) = items.first() else {
        return Err(err("Empty bags are not supported"));
    };
    let unfold = |e: &Expr| -> Option<Literal> {
        match e {
            Expr::Lit(l) => Some(l.clone()),
            Expr::Neg(inner) => match inner.as_ref() {
                Expr::Lit(Literal::Num(n)) => Some(Literal::Num(format!("-{n}"))),
                _ => None,
            },
            _ => None,
        }
    };
    match unfold(first) {
        Some(Literal::Num(_)) => {
            let mut set: Vec<Number> = Vec::with_capacity(items.len());
            for e in items {
                match unfold(e) {
                    Some(Literal::Num(n)) => set.push(number(&n, at)?),
                    Some(Literal::Null) => {
                        return Err(err(format!("Numeric sets may not contain null under {at}")));
                        // message unverified
                    }
                    _ => return Err(err(BAG_TYPES)),
                }
            }
            let distinct: HashSet<&Number> = set.iter().collect();
            if distinct.len() != set.len() {
                return Err(err("Input collection contains duplicates"));
            }
            Ok(Value::Ns(set))
        }
        Some(Literal::Str(_)) => {
            let mut set: Vec<String> = Vec::with_capacity(items.len());
            for e in items {
                match unfold(e) {
                    Some(Literal::Str(s)) => set.push(s),
                    Some(Literal::Null) => {
                        return Err(err(format!("String sets may not contain null under {at}")));
                        // message unverified
                    }
                    _ => return Err(err(BAG_TYPES)),
                }
            }
            let distinct: HashSet<&String> = set.iter().collect();
            if distinct.len() != set.len() {
                return Err(err("Input collection contains duplicates"));
            }
            Ok(Value::Ss(set))
        }
        _ => Err(err(BAG_TYPES)),
    }
}

// ---- conditions -----------------------------------------------------------------------------

/// True for what DynamoDB's translator makes an operator node: comparisons, logic, IS and
/// function calls (a path or a value is not a condition).
fn is_operator(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Binary(..)
            | Expr::Not(_)
            | Expr::Between { .. }
            | Expr::In(..)
            | Expr::Is { .. }
            | Expr::Call(..)
            | Expr::Neg(_)
    )
}

/// A WHERE clause as a condition.
pub fn condition(e: &Expr, params: &[Value]) -> Result<Condition, PartiqlError> {
    if !is_operator(e) {
        return Err(err(
            "WHERE clause must contain an expression that resolves to a boolean",
        ));
    }
    cond(e, params)
}

fn compare_op(op: BinOp) -> Option<CompareOp> {
    Some(match op {
        BinOp::Eq => CompareOp::Eq,
        BinOp::Ne => CompareOp::Ne,
        BinOp::Lt => CompareOp::Lt,
        BinOp::Le => CompareOp::Le,
        BinOp::Gt => CompareOp::Gt,
        BinOp::Ge => CompareOp::Ge,
        _ => return None,
    })
}

fn cond(e: &Expr, params: &[Value]) -> Result<Condition, PartiqlError> {
    Ok(match e {
        Expr::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
            if !is_operator(a) || !is_operator(b) {
                return Err(err("The arguments to AND/OR must be Expressions"));
            }
            let (a, b) = (Box::new(cond(a, params)?), Box::new(cond(b, params)?));
            if *op == BinOp::And {
                Condition::And(a, b)
            } else {
                Condition::Or(a, b)
            }
        }
        Expr::Not(a) => {
            if !is_operator(a) {
                return Err(err("The argument to NOT must be a Type or Expression"));
            }
            Condition::Not(Box::new(cond(a, params)?))
        }
        Expr::Binary(op, a, b) => {
            let Some(cmp) = compare_op(*op) else {
                return Err(err(format!(
                    "Unsupported operator in Condition Expression. Operator: {}",
                    op.symbol()
                )));
            };
            let (l, r) = (operand(a, params)?, operand(b, params)?);
            if !matches!(cmp, CompareOp::Eq | CompareOp::Ne) {
                orderable(cmp.symbol(), &[&l, &r])?;
            }
            Condition::Compare {
                op: cmp,
                left: l,
                right: r,
            }
        }
        Expr::Between {
            operand: x,
            low,
            high,
        } => {
            let (x, lo, hi) = (
                operand(x, params)?,
                operand(low, params)?,
                operand(high, params)?,
            );
            orderable("BETWEEN", &[&x, &lo, &hi])?;
            Condition::Between {
                operand: x,
                low: lo,
                high: hi,
            }
        }
        Expr::In(x, list) => {
            let items = match list.as_ref() {
                Expr::List(items) if !items.is_empty() => items,
                _ => return Err(err("IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member")),
            };
            Condition::In {
                operand: operand(x, params)?,
                list: items
                    .iter()
                    .map(|i| operand(i, params))
                    .collect::<Result<_, _>>()?,
            }
        }
        Expr::Is {
            operand: x,
            type_name,
            negated,
        } => {
            let target = match x.as_ref() {
                Expr::Path(_) | Expr::Lit(_) => operand(x, params)?,
                _ => {
                    return Err(err(
                        "The left hand side argument to IS must be a Variable Reference, Literal, or Path",
                    ))
                }
            };
            let c = is_type(target, type_name)?;
            if *negated {
                Condition::Not(Box::new(c))
            } else {
                c
            }
        }
        Expr::Call(name, args) => function(name, args, params)?,
        Expr::Neg(_) => {
            return Err(err(
                "Unsupported operator in Condition Expression. Operator: -",
            ))
        }
        other => {
            return Err(err(format!(
                "Unsupported token in expression: {}",
                kind_name(other)
            )))
        }
    })
}

/// `x IS type`: MISSING and NULL directly, the other types as `attribute_type`.
fn is_type(target: Operand, type_name: &str) -> Result<Condition, PartiqlError> {
    let dynamo = match type_name {
        "missing" => {
            return Ok(match target {
                Operand::Path(p) => Condition::AttributeNotExists(p),
                // A literal is never missing.
                _ => Condition::Not(Box::new(Condition::True)),
            })
        }
        "null" => {
            return Ok(Condition::Compare {
                op: CompareOp::Eq,
                left: target,
                right: Operand::Value(Value::Null),
            })
        }
        "boolean" | "bool" => "BOOL",
        "numeric" => "N",
        "string" => "S",
        "blob" => "B",
        "struct" | "tuple" => "M",
        "list" => "L",
        other => {
            return Err(err(format!(
                "Unsupported data type for IS operator: {}. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]",
                other.to_ascii_uppercase()
            )))
        }
    };
    Ok(Condition::AttributeType {
        operand: target,
        type_name: dynamo.to_string(),
    })
}

/// A literal operand of `<`, `<=`, `>`, `>=` or BETWEEN must be a string, number or binary.
fn orderable(op: &str, operands: &[&Operand]) -> Result<(), PartiqlError> {
    for o in operands {
        if let Operand::Value(v) = o {
            if !matches!(v, Value::S(_) | Value::N(_) | Value::B(_)) {
                return Err(err(format!(
                    "Incorrect operand type for operator or function; operator or function: {op}, operand type: {}",
                    v.type_name()
                )));
            }
        }
    }
    Ok(())
}

fn arity(name: &str, args: &[Expr], n: usize) -> Result<(), PartiqlError> {
    if args.len() != n {
        return Err(err(format!(
            "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
            args.len()
        )));
    }
    Ok(())
}

fn path_arg(name: &str, e: &Expr) -> Result<Path, PartiqlError> {
    match e {
        Expr::Path(p) => Ok(p.to_path()),
        _ => Err(err(format!(
            "Operator or function requires a document path; operator or function: {name}"
        ))),
    }
}

const CONDITION_FUNCTIONS: &[&str] = &[
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];
const VALUE_FUNCTIONS: &[&str] = &["if_not_exists", "list_append"];

fn function(name: &str, args: &[Expr], params: &[Value]) -> Result<Condition, PartiqlError> {
    if VALUE_FUNCTIONS.contains(&name) {
        return Err(err(format!(
            "The function is not allowed in a condition expression; function: {name}" // message unverified
        )));
    }
    if !CONDITION_FUNCTIONS.contains(&name) {
        return Err(err(format!("Unrecognized function: {name}")));
    }
    Ok(match name {
        "attribute_exists" => {
            arity(name, args, 1)?;
            Condition::AttributeExists(path_arg(name, first(args)?)?)
        }
        "attribute_not_exists" => {
            arity(name, args, 1)?;
            Condition::AttributeNotExists(path_arg(name, first(args)?)?)
        }
        "attribute_type" => {
            arity(name, args, 2)?;
            let target = operand(first(args)?, params)?;
            let type_name = match operand(second(args)?, params)? {
                Operand::Value(Value::S(t)) => {
                    const TYPES: [&str; 10] = ["S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"];
                    if !TYPES.contains(&t.as_str()) {
                        return Err(err(format!(
                            "Invalid attribute type name found; type: {t}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                        )));
                    }
                    t
                }
                Operand::Value(v) => {
                    return Err(err(format!(
                        "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {}",
                        v.type_name()
                    )))
                }
                _ => {
                    return Err(err(
                        "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: ANY", // message unverified
                    ))
                }
            };
            Condition::AttributeType {
                operand: target,
                type_name,
            }
        }
        "begins_with" => {
            arity(name, args, 2)?;
            let (a, b) = (
                operand(first(args)?, params)?,
                operand(second(args)?, params)?,
            );
            for o in [&a, &b] {
                if let Operand::Value(v) = o {
                    if !matches!(v, Value::S(_) | Value::B(_)) {
                        return Err(err(format!(
                            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                            v.type_name()
                        )));
                    }
                }
            }
            Condition::BeginsWith(a, b)
        }
        "contains" => {
            arity(name, args, 2)?;
            Condition::Contains(
                operand(first(args)?, params)?,
                operand(second(args)?, params)?,
            )
        }
        // `size(…)` alone is a number, not a condition.
        _ => {
            return Err(err(
                "The function is not allowed to be used this way in an expression; function: size",
            ))
        }
    })
}

fn first(args: &[Expr]) -> Result<&Expr, PartiqlError> {
    args.first()
        .ok_or_else(|| err("Incorrect number of operands"))
}

fn second(args: &[Expr]) -> Result<&Expr, PartiqlError> {
    args.get(1)
        .ok_or_else(|| err("Incorrect number of operands"))
}

/// An operand of a comparison or function: a path, a value, or `size(…)`.
fn operand(e: &Expr, params: &[Value]) -> Result<Operand, PartiqlError> {
    Ok(match e {
        Expr::Path(p) => Operand::Path(p.to_path()),
        Expr::Missing => return Err(err(MISSING_NOT_IS)),
        Expr::Lit(_) | Expr::Param(_) | Expr::List(_) | Expr::Bag(_) | Expr::Tuple(_) => {
            Operand::Value(value(e, params)?)
        }
        Expr::Neg(inner) if matches!(inner.as_ref(), Expr::Param(_)) => {
            Operand::Value(value(e, params)?)
        }
        Expr::Call(name, args) if name == "size" => {
            arity(name, args, 1)?;
            let inner = operand(first(args)?, params)?;
            if let Operand::Value(v) = &inner {
                if matches!(v, Value::N(_) | Value::Bool(_) | Value::Null) {
                    return Err(err(format!(
                        "Incorrect operand type for operator or function; operator or function: size, operand type: {}",
                        v.type_name()
                    )));
                }
            }
            Operand::Size(Box::new(inner))
        }
        Expr::Call(name, _)
            if CONDITION_FUNCTIONS.contains(&name.as_str())
                || VALUE_FUNCTIONS.contains(&name.as_str()) =>
        {
            return Err(err(format!(
                "The function is not allowed to be used this way in an expression; function: {name}"
            )))
        }
        Expr::Call(name, _) => return Err(err(format!("Unrecognized function: {name}"))),
        Expr::Binary(op, _, _)
            if compare_op(*op).is_none() && !matches!(op, BinOp::And | BinOp::Or) =>
        {
            return Err(err(format!(
                "Unsupported operator in Condition Expression. Operator: {}",
                op.symbol()
            )))
        }
        other => {
            return Err(err(format!(
                "Unsupported token in expression: {}", // message unverified
                kind_name(other)
            )));
        }
    })
}

// ---- updates --------------------------------------------------------------------------------

/// SET and REMOVE clauses as an update (`set_add`/`set_delete` become ADD and DELETE).
pub fn update(ops: &[UpdateOp], params: &[Value]) -> Result<Update, PartiqlError> {
    let mut actions = Vec::with_capacity(ops.len());
    for op in ops {
        actions.push(match op {
            UpdateOp::Remove(p) => UpdateAction::Remove(p.to_path()),
            UpdateOp::Set(target, rhs) => set_action(target, rhs, params)?,
        });
    }
    check_paths(actions.iter().map(UpdateAction::path), "UpdateExpression")?;
    Ok(Update::new(actions, false))
}

fn set_action(
    target: &PathExpr,
    rhs: &Expr,
    params: &[Value],
) -> Result<UpdateAction, PartiqlError> {
    let path = target.to_path();
    if let Expr::Call(name, args) = rhs {
        if name == "set_add" || name == "set_delete" {
            let upper = name.to_ascii_uppercase();
            if args.len() != 2 {
                return Err(err(format!("{upper} must have exactly two arguments")));
            }
            match args.first() {
                Some(Expr::Path(p)) if p.to_path() == path => {}
                _ => {
                    return Err(err(format!(
                        "The first argument to {upper} must equal the assignment value"
                    )))
                }
            }
            let v = match args.get(1) {
                Some(e @ (Expr::Bag(_) | Expr::Param(_))) => value(e, params)?,
                _ => Value::Null,
            };
            if !v.is_set() {
                return Err(err(format!(
                    "The second argument to {upper} must be a value with type SET"
                )));
            }
            return Ok(if name == "set_add" {
                UpdateAction::Add(path, v)
            } else {
                UpdateAction::Delete(path, v)
            });
        }
    }
    let set = match rhs {
        Expr::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let (a, b) = (update_operand(a, params)?, update_operand(b, params)?);
            if *op == BinOp::Add {
                SetValue::Plus(a, b)
            } else {
                SetValue::Minus(a, b)
            }
        }
        other => SetValue::Operand(update_operand(other, params)?),
    };
    Ok(UpdateAction::Set(path, set))
}

fn update_operand(e: &Expr, params: &[Value]) -> Result<UpdateOperand, PartiqlError> {
    Ok(match e {
        Expr::Path(p) => UpdateOperand::Path(p.to_path()),
        Expr::Missing => return Err(err(MISSING_NOT_IS)),
        Expr::Is { .. } => return Err(err("IS operator is not supported in update expressions")),
        Expr::Lit(_)
        | Expr::Param(_)
        | Expr::List(_)
        | Expr::Bag(_)
        | Expr::Tuple(_)
        | Expr::Neg(_) => UpdateOperand::Value(value(e, params)?),
        Expr::Call(name, args) => match name.as_str() {
            "list_append" => {
                arity(name, args, 2)?;
                UpdateOperand::ListAppend(
                    Box::new(update_operand(first(args)?, params)?),
                    Box::new(update_operand(second(args)?, params)?),
                )
            }
            "if_not_exists" => {
                arity(name, args, 2)?;
                UpdateOperand::IfNotExists(
                    path_arg(name, first(args)?)?,
                    Box::new(update_operand(second(args)?, params)?),
                )
            }
            n if CONDITION_FUNCTIONS.contains(&n) => {
                return Err(err(format!(
                    "The function is not allowed in an update expression; function: {n}" // message unverified
                )));
            }
            n => return Err(err(format!("Unrecognized function: {n}"))),
        },
        Expr::Binary(BinOp::Add | BinOp::Sub, _, _) => {
            return Err(err(
                "Nested arithmetic is not supported in update expressions", // message unverified
            ));
        }
        Expr::Binary(op, _, _) => {
            return Err(err(format!(
                "Unsupported operator in Update Expression. Operator: {}",
                op.symbol()
            )))
        }
        other => {
            return Err(err(format!(
                "Unsupported token in expression: {}", // message unverified
                kind_name(other)
            )));
        }
    })
}

/// The expression language's rule: no two paths of one expression may overlap or conflict.
fn check_paths<'p>(paths: impl Iterator<Item = &'p Path>, kind: &str) -> Result<(), PartiqlError> {
    let mut seen: Vec<&Path> = Vec::new();
    let mut conflict: Option<String> = None;
    for p in paths {
        for earlier in &seen {
            let mut parted = None;
            for (x, y) in earlier.elements().iter().zip(p.elements()) {
                match (x, y) {
                    (PathElement::Name(a), PathElement::Name(b)) if a == b => {}
                    (PathElement::Index(a), PathElement::Index(b)) if a == b => {}
                    (PathElement::Name(_), PathElement::Name(_))
                    | (PathElement::Index(_), PathElement::Index(_)) => {
                        parted = Some(false);
                        break;
                    }
                    _ => {
                        parted = Some(true);
                        break;
                    }
                }
            }
            match parted {
                None => {
                    // message unverified: the expression language's wording, as PartiQL reports it.
                    return Err(err(format!(
                        "Invalid {kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {earlier}, path two: {p}"
                    )));
                }
                Some(true) => {
                    conflict = Some(format!(
                        "Invalid {kind}: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {earlier}, path two: {p}"
                    ));
                }
                Some(false) => {}
            }
        }
        seen.push(p);
    }
    match conflict {
        Some(m) => Err(err(m)),
        None => Ok(()),
    }
}

// ---- projections ----------------------------------------------------------------------------

/// A SELECT list as paths, refusing two that would come back under one name, or that overlap.
pub fn projection(paths: &[PathExpr]) -> Result<Vec<Path>, PartiqlError> {
    let mut names = HashSet::new();
    let resolved: Vec<Path> = paths.iter().map(PathExpr::to_path).collect();
    for p in &resolved {
        let name = collapsed_name(p);
        if !names.insert(name.clone()) {
            return Err(err(format!(
                "Duplicate identifiers in select clause: {name}"
            )));
        }
    }
    check_paths(resolved.iter(), "ProjectionExpression")?;
    Ok(resolved)
}

/// The name a projected path's value comes back under: its last map key, followed by the list
/// indexes after it (`a.b[1]` is `b[1]`, `l[0]` is `l[0]`).
pub fn collapsed_name(p: &Path) -> String {
    let mut name = String::new();
    for e in p.elements() {
        match e {
            PathElement::Name(n) => name = n.clone(),
            PathElement::Index(i) => name.push_str(&format!("[{i}]")),
        }
    }
    name
}

/// A SELECT list applied to an item: each path's value, if the item has one, flattened to the
/// top level under its [`collapsed_name`].
pub fn unnest(item: &Item, paths: &[Path]) -> Item {
    paths
        .iter()
        .filter_map(|p| p.resolve(item).map(|v| (collapsed_name(p), v.clone())))
        .collect()
}
