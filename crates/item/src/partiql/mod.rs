//! PartiQL for DynamoDB: the statements ExecuteStatement, BatchExecuteStatement and
//! ExecuteTransaction take, parsed into a small AST ([`parse`]) and lowered onto the expression
//! language's trees ([`lower`]): a WHERE clause becomes a [`crate::expr::Condition`], SET/REMOVE a
//! [`crate::expr::Update`], a projection list a list of [`crate::expr::Path`]s. Evaluation is
//! then the expression language's, as on AWS, where PartiQL is a front end that translates
//! statements into the item operations.
//!
//! The dialect is DynamoDB's subset of PartiQL: `SELECT … FROM table[."index"] [WHERE …]
//! [ORDER BY …]`, `INSERT INTO table VALUE {…}`, `UPDATE table SET …/REMOVE … WHERE …
//! [RETURNING …]`, `DELETE FROM table WHERE … [RETURNING ALL OLD *]` and, inside transactions,
//! `EXISTS(SELECT …)`. Literals: `'string'`, numbers, `true`/`false`, `null`, `missing`,
//! lists `[…]`, maps `{'k': v}`, sets `<<…>>`; `?` takes the next request parameter.
//!
//! Messages are AWS's, as DynamoDB's shared PartiQL front end words them (its translator ships
//! in DynamoDB Local); syntax errors are `Statement wasn't well formed, can't be processed: …`.

mod lexer;
pub mod lower;
mod parser;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

use std::fmt;

pub use lower::{collapsed_name, unnest};
pub use parser::parse;

/// A refused statement: `message` is the whole ValidationException message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartiqlError {
    pub message: String,
}

impl PartiqlError {
    pub fn new(message: impl Into<String>) -> PartiqlError {
        PartiqlError {
            message: message.into(),
        }
    }

    /// A statement the grammar does not accept.
    pub fn syntax(detail: impl fmt::Display) -> PartiqlError {
        PartiqlError::new(format!(
            "Statement wasn't well formed, can't be processed: {detail}"
        ))
    }
}

impl fmt::Display for PartiqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PartiqlError {}

impl From<crate::expr::ExprError> for PartiqlError {
    fn from(e: crate::expr::ExprError) -> PartiqlError {
        PartiqlError::new(e.message)
    }
}

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Select(Select),
    Insert(Insert),
    Update(UpdateStmt),
    Delete(Delete),
    /// `EXISTS(SELECT …)`: a condition check, only inside ExecuteTransaction.
    Exists(Select),
}

impl Statement {
    /// True for SELECT (EXISTS counts as a write: it belongs to write transactions).
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select(_))
    }

    pub fn table(&self) -> &str {
        match self {
            Statement::Select(s) | Statement::Exists(s) => &s.table,
            Statement::Insert(i) => &i.table,
            Statement::Update(u) => &u.table,
            Statement::Delete(d) => &d.table,
        }
    }

    /// The RETURNING clause, if any.
    pub fn returning(&self) -> Option<Returning> {
        match self {
            Statement::Insert(i) => i.returning,
            Statement::Update(u) => u.returning,
            Statement::Delete(d) => d.returning,
            _ => None,
        }
    }
}

/// `SELECT projection FROM table[.index] [WHERE …] [ORDER BY …]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    /// None for `*`.
    pub projection: Option<Vec<PathExpr>>,
    pub table: String,
    pub index: Option<String>,
    pub where_clause: Option<Expr>,
    pub order_by: Vec<OrderBy>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderBy {
    pub attribute: String,
    pub descending: bool,
}

/// `INSERT INTO table VALUE {…}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    pub table: String,
    pub item: Expr,
    /// Parsed so that AWS's refusal can come in its order (after the item's checks).
    pub returning: Option<Returning>,
}

/// `UPDATE table SET …/REMOVE … WHERE … [RETURNING …]`.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateStmt {
    pub table: String,
    pub ops: Vec<UpdateOp>,
    pub where_clause: Option<Expr>,
    pub returning: Option<Returning>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum UpdateOp {
    Set(PathExpr, Expr),
    Remove(PathExpr),
}

/// `DELETE FROM table WHERE … [RETURNING ALL OLD *]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delete {
    pub table: String,
    pub where_clause: Option<Expr>,
    pub returning: Option<Returning>,
}

/// `RETURNING (ALL | MODIFIED) (OLD | NEW) *`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returning {
    AllOld,
    AllNew,
    ModifiedOld,
    ModifiedNew,
}

impl Returning {
    /// As written in statements and in AWS's messages.
    pub fn text(self) -> &'static str {
        match self {
            Returning::AllOld => "ALL OLD *",
            Returning::AllNew => "ALL NEW *",
            Returning::ModifiedOld => "MODIFIED OLD *",
            Returning::ModifiedNew => "MODIFIED NEW *",
        }
    }
}

/// A document path: an attribute and the steps into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathExpr {
    pub root: String,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Field(String),
    Index(usize),
}

impl PathExpr {
    pub fn attribute(name: impl Into<String>) -> PathExpr {
        PathExpr {
            root: name.into(),
            steps: Vec::new(),
        }
    }

    pub fn to_path(&self) -> crate::expr::Path {
        let mut elements = vec![crate::expr::PathElement::Name(self.root.clone())];
        elements.extend(self.steps.iter().map(|s| match s {
            Step::Field(f) => crate::expr::PathElement::Name(f.clone()),
            Step::Index(i) => crate::expr::PathElement::Index(*i),
        }));
        crate::expr::Path::from_elements(elements)
            .unwrap_or_else(|| crate::expr::Path::attribute(""))
    }
}

/// A literal as written; converted to a value when the statement is lowered.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    /// The number's text, sign included.
    Num(String),
    Bool(bool),
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
    Like,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Eq => "=",
            BinOp::Ne => "<>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Concat => "||",
            BinOp::Like => "like",
        }
    }
}

/// An expression of a WHERE clause, a SET value or an inserted item.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Lit(Literal),
    Missing,
    /// A `?`: its 0-based position among the statement's parameters.
    Param(usize),
    Path(PathExpr),
    List(Vec<Expr>),
    Bag(Vec<Expr>),
    Tuple(Vec<(Expr, Expr)>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Between {
        operand: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    In(Box<Expr>, Box<Expr>),
    /// `x IS [NOT] type`; the type name lower-cased.
    Is {
        operand: Box<Expr>,
        type_name: String,
        negated: bool,
    },
    /// A function call; the name lower-cased, as PartiQL resolves function names.
    Call(String, Vec<Expr>),
    /// `-x` of something other than a number literal.
    Neg(Box<Expr>),
}
