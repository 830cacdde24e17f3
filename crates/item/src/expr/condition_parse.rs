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
//! Redundant parentheses are noted while parsing (AWS reports them before any other problem but
//! a syntax error); [`condition_check`](super::condition_check) then checks the tree.

use super::condition::{CompareOp, Condition};
use super::condition_check;
use super::error::{ExprError, ExprKind};
use super::lexer::{Cursor, Fail, PResult, TokKind};
use super::path::{parse_path_name, parse_path_tail, RawPath};
use super::{Context, MAX_IN_OPERANDS, MAX_OPERATORS};

/// Words that are operators in this grammar and so can be neither attribute nor function names.
const KEYWORDS: &[&str] = &["AND", "OR", "NOT", "BETWEEN", "IN"];

/// Deepest parenthesis nesting accepted, reported as a syntax error at the `(` that goes too
/// deep. It bounds the parser's recursion: 256 levels fit a 2 MiB thread stack even in a debug
/// build (about 500 would not), and no real expression nests anywhere near that.
const MAX_NESTING: usize = 256;

// Payloads are boxed so that the values the recursive parser passes around stay small: deep
// nesting then costs little stack per level.
#[derive(Debug)]
pub(crate) enum RawCond {
    Or(Box<RawCond>, Box<RawCond>),
    And(Box<RawCond>, Box<RawCond>),
    Not(Box<RawCond>),
    Leaf(Box<RawLeaf>),
}

#[derive(Debug)]
pub(crate) enum RawLeaf {
    Compare(CompareOp, RawOperand, RawOperand),
    Between(RawOperand, RawOperand, RawOperand),
    In(RawOperand, Vec<RawOperand>),
    Func(RawFunc),
}

#[derive(Debug)]
pub(crate) struct RawFunc {
    pub name: String,
    pub args: Vec<RawOperand>,
}

#[derive(Debug)]
pub(crate) enum RawOperand {
    Path(RawPath),
    Value(String),
    Func(Box<RawFunc>),
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
fn leaf(l: RawLeaf) -> RawCond {
    RawCond::Leaf(Box::new(l))
}

fn fold_right(
    mut items: Vec<RawCond>,
    make: fn(Box<RawCond>, Box<RawCond>) -> RawCond,
) -> Option<RawCond> {
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

    /// `NOT` any number of times (`NOT NOT NOT a = b` is valid on AWS), counted rather than
    /// recursed into so that a long run of them costs no stack.
    fn not(&mut self) -> PResult<Parsed> {
        let mut nots = 0usize;
        while self.cur.eat_keyword("NOT") {
            nots += 1;
        }
        let inner = self.primary()?;
        if nots == 0 {
            return Ok(inner);
        }
        let mut c = self.require_cond(inner)?;
        for _ in 0..nots {
            c = RawCond::Not(Box::new(c));
        }
        Ok(Parsed::cond(c))
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
            Node::Cond(RawCond::Leaf(leaf))
                if matches!(*leaf, RawLeaf::Func(_)) && self.at_leaf_operator() =>
            {
                match *leaf {
                    RawLeaf::Func(f) => self.finish_leaf(RawOperand::Func(Box::new(f)), true),
                    other => Ok(Parsed {
                        node: Node::Cond(RawCond::Leaf(Box::new(other))),
                        grouped: true,
                    }),
                }
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
                return Ok(Parsed::cond(leaf(RawLeaf::Compare(cmp, op, rhs))));
            }
        }
        self.cur.miss();
        if self.cur.eat_keyword("BETWEEN") {
            let (low, _) = self.operand()?;
            if !self.cur.eat_keyword("AND") {
                return Err(Fail);
            }
            let (high, _) = self.operand()?;
            return Ok(Parsed::cond(leaf(RawLeaf::Between(op, low, high))));
        }
        if self.cur.eat_keyword("IN") {
            self.cur.expect_punct("(")?;
            let list = self.operand_list()?;
            self.cur.expect_punct(")")?;
            return Ok(Parsed::cond(leaf(RawLeaf::In(op, list))));
        }
        match op {
            RawOperand::Func(f) => Ok(Parsed {
                node: Node::Cond(leaf(RawLeaf::Func(*f))),
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
                let any = parse_path_tail(&mut self.cur, &mut p, KEYWORDS)?;
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
                    RawOperand::Func(Box::new(RawFunc {
                        name: name.to_string(),
                        args,
                    })),
                    false,
                ))
            }
            TokKind::Value => {
                self.cur.bump();
                Ok((RawOperand::Value(self.cur.text_of(t).to_string()), false))
            }
            TokKind::Ident | TokKind::Name => {
                let head = parse_path_name(&mut self.cur, KEYWORDS)?;
                let mut path = RawPath(vec![head]);
                parse_path_tail(&mut self.cur, &mut path, KEYWORDS)?;
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
        RawCond::Leaf(l) => match &**l {
            RawLeaf::Compare(_, x, y) => 1 + in_operand(x) + in_operand(y),
            RawLeaf::Between(x, y, z) => 1 + in_operand(x) + in_operand(y) + in_operand(z),
            RawLeaf::In(x, list) => {
                *longest_in = (*longest_in).max(list.len());
                1 + in_operand(x) + list.iter().map(in_operand).sum::<usize>()
            }
            RawLeaf::Func(f) => 1 + f.args.iter().map(in_operand).sum::<usize>(),
        },
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
    let first = if p.redundant_parens {
        Err("The expression has redundant parentheses;".to_string())
    } else {
        condition_check::check(raw, ctx)
    };
    first.map_err(|msg| ExprError::invalid(kind, msg))
}
