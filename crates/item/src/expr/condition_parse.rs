//! Parsing condition expressions (ConditionExpression, FilterExpression,
//! KeyConditionExpression) into [`Condition`] trees.
//!
//! Grammar (keywords case-insensitive; NOT binds tighter than AND, AND tighter than OR):
//! ```text
//! or      := and (OR and)*
//! and     := not (AND not)*
//! not     := NOT primary | primary
//! primary := operand (comparator operand | BETWEEN operand AND operand | IN '(' operands ')')
//!          | function-call
//!          | '(' or ')'
//! operand := '(' operand ')' [path-tail] | name '(' operands ')' | :value | path
//! ```
//! A leading `(` may open a parenthesised condition or a parenthesised operand; the parser
//! parses the inside as a condition that may also be a bare operand and decides once it sees
//! what follows the `)`.
//!
//! After the syntax, the tree is checked the way AWS checks it, and the first problem is
//! reported in AWS's order of precedence: redundant parentheses, unknown function, function used
//! where it is not allowed, reserved word; then, for the first comparison or function call that
//! has any problem: undefined placeholder, wrong operand count, non-distinct operands, wrong
//! operand type.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::condition::{CompareOp, Condition, Operand};
use super::error::{ExprError, ExprKind};
use super::lexer::{Cursor, Fail, PResult, TokKind};
use super::path::{parse_path_name, parse_path_tail, IdentRule, Path, PathElement, RawElem, RawPath};
use super::reserved::is_reserved;
use super::{Context, MAX_IN_OPERANDS, MAX_OPERATORS};
use crate::value::{compare, Value};

/// Words that are operators in this grammar and so can be neither attribute nor function names.
const KEYWORDS: &[&str] = &["AND", "OR", "NOT", "BETWEEN", "IN"];

/// Deepest parenthesis nesting accepted; keeps recursion (and the stack) bounded. Any
/// expression within AWS's size and operator limits nests far less.
const MAX_NESTING: usize = 256;

/// The type list AWS prints when `attribute_type`'s second operand is not a literal.
const ANY_TYPE: &str = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";

#[derive(Debug)]
pub(crate) enum RawCond {
    Or(Box<RawCond>, Box<RawCond>),
    And(Box<RawCond>, Box<RawCond>),
    Not(Box<RawCond>),
    Compare(CompareOp, RawOperand, RawOperand),
    Between(RawOperand, RawOperand, RawOperand),
    In(RawOperand, Vec<RawOperand>),
    Func(RawFunc),
}

#[derive(Debug)]
pub(crate) struct RawFunc {
    name: String,
    args: Vec<RawOperand>,
}

#[derive(Debug)]
pub(crate) enum RawOperand {
    Path(RawPath),
    Value(String),
    Func(RawFunc),
}

/// What a (possibly parenthesised) stretch of condition text turned out to be.
enum Node {
    Cond(RawCond),
    /// An operand not (yet) part of a comparison; only valid directly inside parentheses that
    /// are followed by a comparator.
    Bare(RawOperand),
}

struct Parsed {
    node: Node,
    /// Wrapped in parentheses with nothing else inside them: another pair around it would be
    /// redundant.
    grouped: bool,
}

impl Parsed {
    fn cond(c: RawCond) -> Parsed {
        Parsed {
            node: Node::Cond(c),
            grouped: false,
        }
    }
}

struct Parser<'s> {
    cur: Cursor<'s>,
    redundant_parens: bool,
    depth: usize,
}

/// Builds `a OP (b OP (c …))`: the shape AWS's grammar gives a chain, which fixes the order its
/// checks visit the operands in.
fn fold_right(mut items: Vec<RawCond>, make: fn(Box<RawCond>, Box<RawCond>) -> RawCond) -> Option<RawCond> {
    let mut acc = items.pop()?;
    while let Some(prev) = items.pop() {
        acc = make(Box::new(prev), Box::new(acc));
    }
    Some(acc)
}

impl<'s> Parser<'s> {
    fn top(&mut self) -> PResult<RawCond> {
        let p = self.or()?;
        let c = self.require_cond(p)?;
        if !self.cur.at_eof() {
            return self.cur.fail();
        }
        Ok(c)
    }

    fn require_cond(&mut self, p: Parsed) -> PResult<RawCond> {
        match p.node {
            Node::Cond(c) => Ok(c),
            Node::Bare(_) => self.cur.fail(),
        }
    }

    fn chain(
        &mut self,
        keyword: &str,
        sub: fn(&mut Self) -> PResult<Parsed>,
        make: fn(Box<RawCond>, Box<RawCond>) -> RawCond,
    ) -> PResult<Parsed> {
        let first = sub(self)?;
        if !self.cur.is_keyword(keyword) {
            self.cur.miss();
            return Ok(first);
        }
        let mut items = vec![self.require_cond(first)?];
        while self.cur.eat_keyword(keyword) {
            let next = sub(self)?;
            items.push(self.require_cond(next)?);
        }
        match fold_right(items, make) {
            Some(c) => Ok(Parsed::cond(c)),
            None => Err(Fail),
        }
    }

    fn or(&mut self) -> PResult<Parsed> {
        self.chain("OR", Self::and, RawCond::Or)
    }

    fn and(&mut self) -> PResult<Parsed> {
        self.chain("AND", Self::not, RawCond::And)
    }

    fn not(&mut self) -> PResult<Parsed> {
        if self.cur.eat_keyword("NOT") {
            let inner = self.primary()?;
            let c = self.require_cond(inner)?;
            return Ok(Parsed::cond(RawCond::Not(Box::new(c))));
        }
        self.primary()
    }

    fn open(&mut self) -> PResult<()> {
        if self.depth >= MAX_NESTING {
            return self.cur.fail();
        }
        self.depth += 1;
        self.cur.bump();
        Ok(())
    }

    fn close(&mut self) -> PResult<()> {
        self.cur.expect_punct(")")?;
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }

    fn primary(&mut self) -> PResult<Parsed> {
        if !self.cur.is_punct("(") {
            let (op, _) = self.operand()?;
            return self.finish_leaf(op, false);
        }
        self.open()?;
        let inner = self.or()?;
        self.close()?;
        if inner.grouped {
            self.redundant_parens = true;
        }
        match inner.node {
            Node::Bare(op) => {
                let (op, continued) = self.continue_path(op)?;
                self.finish_leaf(op, !continued)
            }
            Node::Cond(RawCond::Func(f)) if self.at_leaf_operator() => {
                self.finish_leaf(RawOperand::Func(f), true)
            }
            Node::Cond(c) => Ok(Parsed {
                node: Node::Cond(c),
                grouped: true,
            }),
        }
    }

    fn at_leaf_operator(&self) -> bool {
        let t = self.cur.peek();
        (t.kind == TokKind::Punct && CompareOp::from_symbol(self.cur.text_of(t)).is_some())
            || self.cur.is_keyword("BETWEEN")
            || self.cur.is_keyword("IN")
    }

    /// What follows an operand at the start of a condition.
    fn finish_leaf(&mut self, op: RawOperand, grouped: bool) -> PResult<Parsed> {
        let t = self.cur.peek();
        if t.kind == TokKind::Punct {
            if let Some(cmp) = CompareOp::from_symbol(self.cur.text_of(t)) {
                self.cur.bump();
                let (rhs, _) = self.operand()?;
                return Ok(Parsed::cond(RawCond::Compare(cmp, op, rhs)));
            }
        }
        self.cur.miss();
        if self.cur.eat_keyword("BETWEEN") {
            let (low, _) = self.operand()?;
            if !self.cur.eat_keyword("AND") {
                return Err(Fail);
            }
            let (high, _) = self.operand()?;
            return Ok(Parsed::cond(RawCond::Between(op, low, high)));
        }
        if self.cur.eat_keyword("IN") {
            self.cur.expect_punct("(")?;
            let list = self.operand_list()?;
            self.cur.expect_punct(")")?;
            return Ok(Parsed::cond(RawCond::In(op, list)));
        }
        match op {
            RawOperand::Func(f) => Ok(Parsed {
                node: Node::Cond(RawCond::Func(f)),
                grouped,
            }),
            other if self.cur.is_punct(")") => Ok(Parsed {
                node: Node::Bare(other),
                grouped,
            }),
            _ => self.cur.fail(),
        }
    }

    fn continue_path(&mut self, op: RawOperand) -> PResult<(RawOperand, bool)> {
        match op {
            RawOperand::Path(mut p) => {
                let any =
                    parse_path_tail(&mut self.cur, &mut p, IdentRule::LetterFirst, KEYWORDS)?;
                Ok((RawOperand::Path(p), any))
            }
            other => Ok((other, false)),
        }
    }

    /// An operand where no condition may appear; the flag says it was parenthesised whole.
    fn operand(&mut self) -> PResult<(RawOperand, bool)> {
        let t = self.cur.peek();
        match t.kind {
            TokKind::Punct if self.cur.text_of(t) == "(" => {
                self.open()?;
                let (inner, inner_grouped) = self.operand()?;
                self.close()?;
                if inner_grouped {
                    self.redundant_parens = true;
                }
                let (op, continued) = self.continue_path(inner)?;
                Ok((op, !continued))
            }
            TokKind::Ident if self.cur.next_is_call() => {
                let name = self.cur.text_of(t);
                if KEYWORDS.iter().any(|k| name.eq_ignore_ascii_case(k)) {
                    return self.cur.fail();
                }
                self.cur.bump();
                self.open()?;
                let args = self.operand_list()?;
                self.close()?;
                Ok((
                    RawOperand::Func(RawFunc {
                        name: name.to_string(),
                        args,
                    }),
                    false,
                ))
            }
            TokKind::Value => {
                self.cur.bump();
                Ok((RawOperand::Value(self.cur.text_of(t).to_string()), false))
            }
            TokKind::Ident | TokKind::Name => {
                let head = parse_path_name(&mut self.cur, IdentRule::LetterFirst, KEYWORDS)?;
                let mut path = RawPath(vec![head]);
                parse_path_tail(&mut self.cur, &mut path, IdentRule::LetterFirst, KEYWORDS)?;
                Ok((RawOperand::Path(path), false))
            }
            _ => self.cur.fail(),
        }
    }

    fn operand_list(&mut self) -> PResult<Vec<RawOperand>> {
        let mut list = vec![self.operand()?.0];
        while self.cur.eat_punct(",") {
            list.push(self.operand()?.0);
        }
        Ok(list)
    }
}

/// Operators and functions in the tree, for AWS's limit; and the longest IN list.
fn count_operators(c: &RawCond, longest_in: &mut usize) -> usize {
    fn in_operand(o: &RawOperand) -> usize {
        match o {
            RawOperand::Func(f) => 1 + f.args.iter().map(in_operand).sum::<usize>(),
            _ => 0,
        }
    }
    match c {
        RawCond::Or(a, b) | RawCond::And(a, b) => {
            1 + count_operators(a, longest_in) + count_operators(b, longest_in)
        }
        RawCond::Not(a) => 1 + count_operators(a, longest_in),
        RawCond::Compare(_, x, y) => 1 + in_operand(x) + in_operand(y),
        RawCond::Between(x, y, z) => 1 + in_operand(x) + in_operand(y) + in_operand(z),
        RawCond::In(x, list) => {
            *longest_in = (*longest_in).max(list.len());
            1 + in_operand(x) + list.iter().map(in_operand).sum::<usize>()
        }
        RawCond::Func(f) => 1 + f.args.iter().map(in_operand).sum::<usize>(),
    }
}

pub(crate) fn parse(text: &str, ctx: &mut Context, kind: ExprKind) -> Result<Condition, ExprError> {
    let mut p = Parser {
        cur: Cursor::new(text),
        redundant_parens: false,
        depth: 0,
    };
    let raw = match p.top() {
        Ok(raw) => raw,
        Err(Fail) => return Err(p.cur.syntax_error(kind)),
    };
    let mut longest_in = 0;
    let operators = count_operators(&raw, &mut longest_in);
    if longest_in > MAX_IN_OPERANDS {
        return Err(ExprError::invalid(
            kind,
            format!("The IN operator is provided with too many operands; number of operands: {longest_in}"),
        ));
    }
    if operators > MAX_OPERATORS {
        return Err(ExprError::invalid(
            kind,
            format!("The expression contains too many operators; operator count: {operators}"),
        ));
    }
    let mut checker = Checker {
        ctx,
        unknown_function: None,
        misused: None,
        reserved: None,
        condition: None,
    };
    let (cond, is_size) = checker.cond(raw);
    checker.misused_size(is_size);
    let first = if p.redundant_parens {
        Some("The expression has redundant parentheses;".to_string())
    } else {
        checker
            .unknown_function
            .or(checker.misused)
            .or(checker.reserved)
            .or(checker.condition)
    };
    match first {
        Some(msg) => Err(ExprError::invalid(kind, msg)),
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
            leaf => {
                let mut problems = Leaf::default();
                let built = self.leaf(&mut problems, leaf);
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

    fn leaf(&mut self, lf: &mut Leaf, c: RawCond) -> (Condition, bool) {
        match c {
            RawCond::Compare(op, x, y) => {
                let x = self.operand(lf, x);
                let y = self.operand(lf, y);
                self.misused_functions(&[&x, &y]);
                self.distinct(lf, op.symbol(), &x, &y);
                (
                    Condition::Compare {
                        op,
                        left: x.into_operand(),
                        right: y.into_operand(),
                    },
                    false,
                )
            }
            RawCond::Between(x, y, z) => {
                let x = self.operand(lf, x);
                let y = self.operand(lf, y);
                let z = self.operand(lf, z);
                self.misused_functions(&[&x, &y, &z]);
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
            RawCond::In(x, list) => {
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
            RawCond::Func(f) => match self.function(lf, f) {
                Chk::Func { name, args, .. } => function_condition(name, args),
                _ => (Condition::True, false),
            },
            // Composite conditions are handled by `cond`.
            other => self.cond(other),
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
            RawOperand::Func(f) => self.function(lf, f),
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
        ("begins_with", Some(x), Some(y)) => Condition::BeginsWith(x.into_operand(), y.into_operand()),
        ("contains", Some(x), Some(y)) => Condition::Contains(x.into_operand(), y.into_operand()),
        ("size", _, _) => return (Condition::True, true),
        // Refused by the checks.
        _ => Condition::True,
    };
    (cond, false)
}
