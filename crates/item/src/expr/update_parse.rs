//! Parsing UpdateExpressions into [`Update`]s.
//!
//! Grammar (clause keywords case-insensitive; each clause at most once, in any order):
//! ```text
//! update  := clause+
//! clause  := SET set (',' set)* | REMOVE path (',' path)*
//!          | ADD path :value (',' path :value)* | DELETE path :value (',' path :value)*
//! set     := path '=' value
//! value   := '(' sum ')' | sum
//! sum     := operand [('+' | '-') operand]
//! operand := '(' term ')' | term
//! term    := name '(' operand (',' operand)* ')' | :value | path
//! ```
//! After the syntax, problems are reported in AWS's order: reserved word, unknown function,
//! function used as an argument where not allowed, repeated clause, undefined name, undefined value, overlapping paths, conflicting paths,
//! ADD/DELETE operand type, function arity and operand types.

use super::error::{ExprError, ExprKind};
use super::lexer::{Cursor, Fail, PResult, TokKind};
use super::path::{parse_path, Path, PathElement, PathSet, RawElem, RawPath};
use super::reserved::is_reserved;
use super::update::{SetValue, Update, UpdateAction, UpdateOperand};
use super::{Context, MAX_OPERATORS};
use crate::value::Value;

/// Clause keywords, which can be neither attribute nor function names.
const KEYWORDS: &[&str] = &["SET", "REMOVE", "ADD", "DELETE"];

const KIND: ExprKind = ExprKind::UpdateExpression;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clause {
    Set,
    Remove,
    Add,
    Delete,
}

impl Clause {
    fn name(self) -> &'static str {
        match self {
            Clause::Set => "SET",
            Clause::Remove => "REMOVE",
            Clause::Add => "ADD",
            Clause::Delete => "DELETE",
        }
    }
}

enum RawOperand {
    Path(RawPath),
    Value(String),
    Func(String, Vec<RawOperand>),
}

enum RawSetValue {
    Single(RawOperand),
    /// `+` or `-` with its operands.
    Arith(&'static str, RawOperand, RawOperand),
}

enum RawAction {
    Set(RawPath, RawSetValue),
    Remove(RawPath),
    /// ADD or DELETE with its `:value`.
    AddDelete(RawPath, String),
}

/// Deepest function nesting accepted; keeps recursion (and the stack) bounded.
const MAX_NESTING: usize = 256;

struct Parser<'s> {
    cur: Cursor<'s>,
    depth: usize,
}

impl Parser<'_> {
    fn clause_keyword(&self) -> Option<Clause> {
        [Clause::Set, Clause::Remove, Clause::Add, Clause::Delete]
            .into_iter()
            .find(|c| self.cur.is_keyword(c.name()))
    }

    fn top(&mut self) -> PResult<Vec<(Clause, Vec<RawAction>)>> {
        let mut clauses = Vec::new();
        loop {
            let Some(clause) = self.clause_keyword() else {
                if !clauses.is_empty() && self.cur.at_eof() {
                    return Ok(clauses);
                }
                return self.cur.fail();
            };
            self.cur.bump();
            let mut actions = vec![self.action(clause)?];
            while self.cur.eat_punct(",") {
                actions.push(self.action(clause)?);
            }
            clauses.push((clause, actions));
        }
    }

    fn path(&mut self) -> PResult<RawPath> {
        parse_path(&mut self.cur, KEYWORDS)
    }

    fn action(&mut self, clause: Clause) -> PResult<RawAction> {
        let path = self.path()?;
        match clause {
            Clause::Set => {
                self.cur.expect_punct("=")?;
                Ok(RawAction::Set(path, self.set_value()?))
            }
            Clause::Remove => Ok(RawAction::Remove(path)),
            Clause::Add | Clause::Delete => {
                let t = self.cur.peek();
                if t.kind != TokKind::Value {
                    return self.cur.fail();
                }
                self.cur.bump();
                Ok(RawAction::AddDelete(path, self.cur.text_of(t).to_string()))
            }
        }
    }

    /// True where a SET value may end: before `,`, another clause, or the end.
    fn at_value_end(&mut self) -> bool {
        let end = self.cur.is_punct(",") || self.cur.at_eof() || self.clause_keyword().is_some();
        if !end {
            self.cur.miss();
        }
        end
    }

    fn set_value(&mut self) -> PResult<RawSetValue> {
        // `(` may open the whole value or just its first operand: try the whole value first.
        if self.cur.is_punct("(") {
            let save = self.cur.pos;
            self.cur.bump();
            if let Ok(v) = self.sum() {
                if self.cur.eat_punct(")") && self.at_value_end() {
                    return Ok(v);
                }
            }
            self.cur.pos = save;
        }
        self.sum()
    }

    fn sum(&mut self) -> PResult<RawSetValue> {
        let a = self.operand_parens()?;
        for op in ["+", "-"] {
            if self.cur.is_punct(op) {
                self.cur.bump();
                let b = self.operand_parens()?;
                return Ok(RawSetValue::Arith(op, a, b));
            }
        }
        self.cur.miss();
        Ok(RawSetValue::Single(a))
    }

    fn operand_parens(&mut self) -> PResult<RawOperand> {
        if self.cur.eat_punct("(") {
            let o = self.operand()?;
            self.cur.expect_punct(")")?;
            return Ok(o);
        }
        self.operand()
    }

    fn operand(&mut self) -> PResult<RawOperand> {
        let t = self.cur.peek();
        match t.kind {
            TokKind::Ident if self.cur.next_is_call() => {
                let name = self.cur.text_of(t);
                if KEYWORDS.iter().any(|k| name.eq_ignore_ascii_case(k)) {
                    return self.cur.fail();
                }
                self.cur.bump();
                if self.depth >= MAX_NESTING {
                    return self.cur.fail();
                }
                self.depth += 1;
                self.cur.bump();
                let mut args = vec![self.operand_parens()?];
                while self.cur.eat_punct(",") {
                    args.push(self.operand_parens()?);
                }
                self.cur.expect_punct(")")?;
                self.depth -= 1;
                Ok(RawOperand::Func(name.to_string(), args))
            }
            TokKind::Value => {
                self.cur.bump();
                Ok(RawOperand::Value(self.cur.text_of(t).to_string()))
            }
            _ => Ok(RawOperand::Path(self.path()?)),
        }
    }
}

fn count_operators(clauses: &[(Clause, Vec<RawAction>)]) -> usize {
    fn operand(o: &RawOperand) -> usize {
        match o {
            RawOperand::Func(_, args) => 1 + args.iter().map(operand).sum::<usize>(),
            _ => 0,
        }
    }
    clauses
        .iter()
        .flat_map(|(_, actions)| actions)
        .map(|a| match a {
            RawAction::Set(_, RawSetValue::Single(o)) => operand(o),
            RawAction::Set(_, RawSetValue::Arith(_, x, y)) => 1 + operand(x) + operand(y),
            _ => 0,
        })
        .sum()
}

pub(crate) fn parse(text: &str, ctx: &mut Context) -> Result<Update, ExprError> {
    let mut p = Parser {
        cur: Cursor::new(text),
        depth: 0,
    };
    let clauses = match p.top() {
        Ok(c) => c,
        Err(Fail) => return Err(p.cur.syntax_error(KIND)),
    };
    let operators = count_operators(&clauses);
    if operators > MAX_OPERATORS {
        return Err(ExprError::invalid(
            KIND,
            format!("The expression contains too many operators; operator count: {operators}"),
        ));
    }
    let mut c = Checker {
        ctx,
        problems: Problems::default(),
        paths: PathSet::default(),
        seen: Vec::new(),
    };
    let mut actions = Vec::new();
    for (clause, raw_actions) in clauses {
        for a in raw_actions {
            actions.push(c.action(clause, a));
        }
        if c.seen.contains(&clause) {
            first(&mut c.problems.clause, || {
                format!(
                    "The \"{}\" section can only be used once in an update expression;",
                    clause.name()
                )
            });
        }
        c.seen.push(clause);
    }
    let pr = c.problems;
    let found = pr
        .reserved
        .or(pr.unknown_function)
        .or(pr.misused)
        .or(pr.clause)
        .or(pr.undefined_name)
        .or(pr.undefined_value)
        .or(c.paths.overlap)
        .or(c.paths.conflict)
        .or(pr.operand)
        .or(pr.function);
    match found {
        Some(msg) => Err(ExprError::invalid(KIND, msg)),
        None => Ok(Update::new(actions, false)),
    }
}

#[derive(Default)]
struct Problems {
    reserved: Option<String>,
    unknown_function: Option<String>,
    misused: Option<String>,
    clause: Option<String>,
    undefined_name: Option<String>,
    undefined_value: Option<String>,
    operand: Option<String>,
    function: Option<String>,
}

fn first(slot: &mut Option<String>, msg: impl FnOnce() -> String) {
    if slot.is_none() {
        *slot = Some(msg());
    }
}

/// An operand after lookup, with what the checks need to know.
enum Chk {
    Path(Path),
    Value(Option<Value>),
    Func {
        name: String,
        args: Vec<Chk>,
        yields: Option<&'static str>,
    },
}

impl Chk {
    fn literal_type(&self) -> Option<&'static str> {
        match self {
            Chk::Value(Some(v)) => Some(v.type_name()),
            _ => None,
        }
    }

    fn known_type(&self) -> Option<&'static str> {
        match self {
            Chk::Func { yields, .. } => *yields,
            other => other.literal_type(),
        }
    }

    fn into_operand(self) -> UpdateOperand {
        match self {
            Chk::Path(p) => UpdateOperand::Path(p),
            Chk::Value(v) => UpdateOperand::Value(v.unwrap_or(Value::Null)),
            Chk::Func { name, args, .. } => {
                let mut args = args.into_iter();
                match (name.as_str(), args.next(), args.next()) {
                    ("if_not_exists", Some(Chk::Path(p)), Some(b)) => {
                        UpdateOperand::IfNotExists(p, Box::new(b.into_operand()))
                    }
                    ("list_append", Some(a), Some(b)) => UpdateOperand::ListAppend(
                        Box::new(a.into_operand()),
                        Box::new(b.into_operand()),
                    ),
                    // Refused by the checks.
                    _ => UpdateOperand::Value(Value::Null),
                }
            }
        }
    }
}

struct Checker<'c, 'a> {
    ctx: &'c mut Context<'a>,
    problems: Problems,
    paths: PathSet,
    seen: Vec<Clause>,
}

impl Checker<'_, '_> {
    fn action(&mut self, clause: Clause, a: RawAction) -> UpdateAction {
        match a {
            RawAction::Set(p, v) => {
                let path = self.path(p);
                let value = match v {
                    RawSetValue::Single(o) => SetValue::Operand(self.operand(o).into_operand()),
                    RawSetValue::Arith(op, x, y) => {
                        let (x, y) = (self.operand(x), self.operand(y));
                        self.check_function(op, &[&x, &y]);
                        let (x, y) = (x.into_operand(), y.into_operand());
                        if op == "+" {
                            SetValue::Plus(x, y)
                        } else {
                            SetValue::Minus(x, y)
                        }
                    }
                };
                self.paths.add(&path);
                UpdateAction::Set(path, value)
            }
            RawAction::Remove(p) => {
                let path = self.path(p);
                self.paths.add(&path);
                UpdateAction::Remove(path)
            }
            RawAction::AddDelete(p, placeholder) => {
                let path = self.path(p);
                let value = self.value(&placeholder);
                self.paths.add(&path);
                if let Some(v) = &value {
                    self.check_operator(clause, v);
                }
                let v = value.unwrap_or(Value::Null);
                if clause == Clause::Add {
                    UpdateAction::Add(path, v)
                } else {
                    UpdateAction::Delete(path, v)
                }
            }
        }
    }

    fn path(&mut self, raw: RawPath) -> Path {
        let mut elements = Vec::with_capacity(raw.0.len());
        for e in raw.0 {
            match e {
                RawElem::Ident(s) => {
                    if is_reserved(&s) {
                        first(&mut self.problems.reserved, || {
                            format!("Attribute name is a reserved keyword; reserved keyword: {s}")
                        });
                    }
                    elements.push(PathElement::Name(s));
                }
                RawElem::Name(n) => match self.ctx.name(&n) {
                    Some(real) => elements.push(PathElement::Name(real)),
                    None => {
                        first(&mut self.problems.undefined_name, || {
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

    fn value(&mut self, placeholder: &str) -> Option<Value> {
        let v = self.ctx.value(placeholder);
        if v.is_none() {
            first(&mut self.problems.undefined_value, || {
                format!("An expression attribute value used in expression is not defined; attribute value: {placeholder}")
            });
        }
        v
    }

    fn operand(&mut self, o: RawOperand) -> Chk {
        match o {
            RawOperand::Path(p) => Chk::Path(self.path(p)),
            RawOperand::Value(name) => Chk::Value(self.value(&name)),
            RawOperand::Func(name, args) => {
                let args: Vec<Chk> = args.into_iter().map(|a| self.operand(a)).collect();
                // Only if_not_exists may be another function's argument (AWS refuses
                // list_append(list_append(…), …)).
                if let Some(Chk::Func { name: inner, .. }) = args
                    .iter()
                    .find(|a| matches!(a, Chk::Func { name, .. } if name != "if_not_exists"))
                {
                    first(&mut self.problems.misused, || {
                        format!("The function is not allowed to be used this way in an expression; function: {inner}")
                    });
                }
                let refs: Vec<&Chk> = args.iter().collect();
                let yields = self.check_function(&name, &refs);
                Chk::Func { name, args, yields }
            }
        }
    }

    /// ADD takes a number or a set, DELETE a set.
    fn check_operator(&mut self, clause: Clause, v: &Value) {
        if self.problems.operand.is_some() {
            return;
        }
        let shown = match v {
            Value::S(_) => "STRING",
            Value::N(_) if clause == Clause::Add => return,
            Value::N(_) => "NUMBER",
            Value::B(_) => "BINARY",
            Value::Null => "NULL",
            Value::Bool(_) => "BOOLEAN",
            Value::L(_) => "LIST",
            Value::M(_) => "MAP",
            Value::Ss(_) | Value::Ns(_) | Value::Bs(_) => return,
        };
        self.problems.operand = Some(format!(
            "Incorrect operand type for operator or function; operator: {}, operand type: {shown}",
            clause.name()
        ));
    }

    /// Arity and operand checks of a function or of `+`/`-`; returns the type it yields.
    fn check_function(&mut self, name: &str, args: &[&Chk]) -> Option<&'static str> {
        if self.problems.unknown_function.is_some() {
            return None;
        }
        if !matches!(name, "if_not_exists" | "list_append" | "+" | "-") {
            self.problems.unknown_function =
                Some(format!("Invalid function name; function: {name}"));
            return None;
        }
        if self.problems.function.is_some() {
            return None;
        }
        if args.len() != 2 {
            self.problems.function = Some(format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                args.len()
            ));
            return None;
        }
        let wrong_type = |t: &str| {
            format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {t}")
        };
        match (name, args) {
            ("if_not_exists", [target, fallback]) => {
                if !matches!(target, Chk::Path(_)) {
                    self.problems.function = Some(format!(
                        "Operator or function requires a document path; operator or function: {name}"
                    ));
                    return None;
                }
                fallback.known_type()
            }
            ("list_append", _) => {
                for a in args {
                    if let Some(t) = a.literal_type() {
                        if t != "L" {
                            self.problems.function = Some(wrong_type(t));
                            return None;
                        }
                    }
                }
                Some("L")
            }
            _ => {
                for a in args {
                    if let Some(t) = a.literal_type() {
                        if t != "N" {
                            self.problems.function = Some(wrong_type(t));
                            return None;
                        }
                    }
                }
                Some("N")
            }
        }
    }
}
