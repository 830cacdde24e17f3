//! A recursive-descent parser for DynamoDB's PartiQL statements.
//!
//! Errors come in AWS's order: the grammar first (the whole statement must parse, or it is
//! `Statement wasn't well formed, can't be processed: …`), then the constructs DynamoDB parses
//! but refuses (unsupported clauses first, then the first other problem met in the text).
//! Operator precedence is partiql-lang-kotlin's: OR < AND < NOT < `=`/`<>`/IS/IN <
//! `<`/`<=`/`>`/`>=`/BETWEEN/LIKE < `+`/`-`/`||` < `*`/`/`/`%` < unary minus.

use super::lexer::{is_function_keyword, is_keyword, lex, Tok, Token};
use super::{
    BinOp, Delete, Expr, Insert, Literal, OrderBy, PartiqlError, PathExpr, Returning, Select,
    Statement, Step, UpdateOp, UpdateStmt,
};

/// A grammar failure: the detail after "can't be processed: ".
struct Syntax(String);

type PResult<T> = Result<T, Syntax>;

/// Deepest nesting of parentheses, lists and maps accepted; keeps recursion bounded.
const MAX_DEPTH: usize = 200;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    params: usize,
    depth: usize,
    /// The first unsupported clause (reported before any other refusal).
    clause: Option<PartiqlError>,
    /// The first other construct DynamoDB refuses.
    invalid: Option<PartiqlError>,
}

/// Parses one statement.
pub fn parse(text: &str) -> Result<Statement, PartiqlError> {
    let mut p = Parser {
        toks: lex(text),
        pos: 0,
        params: 0,
        depth: 0,
        clause: None,
        invalid: None,
    };
    let stmt = p.statement().map_err(|Syntax(d)| PartiqlError::syntax(d))?;
    if let Some(e) = p.clause.take().or(p.invalid.take()) {
        return Err(e);
    }
    Ok(stmt)
}

fn unexpected(t: &Tok) -> Syntax {
    // message unverified: partiql-lang-kotlin's wording of an unexpected token.
    Syntax(match t {
        Tok::Eof => "Unexpected end of input".into(),
        Tok::Ident(w) if is_keyword(w) => format!("Unexpected keyword: {}", w.to_ascii_lowercase()),
        Tok::Bad(c) => format!("Invalid character: {c}"),
        _ => "Unexpected token".into(),
    })
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.toks
            .get(self.pos + ahead)
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
    }

    fn is_kw_at(&self, ahead: usize, kw: &str) -> bool {
        matches!(self.peek_at(ahead), Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            return Ok(());
        }
        Err(Syntax(format!("Expected {}", kw.to_ascii_uppercase()))) // message unverified
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_punct(&mut self, p: &str) -> PResult<()> {
        if self.eat_punct(p) {
            return Ok(());
        }
        Err(unexpected(self.peek()))
    }

    fn refuse(&mut self, message: impl Into<String>) {
        if self.invalid.is_none() {
            self.invalid = Some(PartiqlError::new(message));
        }
    }

    fn refuse_clause(&mut self, clause: &str) {
        if self.clause.is_none() {
            self.clause = Some(PartiqlError::new(format!("Unsupported clause: {clause}")));
        }
    }

    fn statement(&mut self) -> PResult<Statement> {
        let stmt = if self.eat_kw("SELECT") {
            Statement::Select(self.select()?)
        } else if self.is_kw("INSERT") {
            self.pos += 1;
            Statement::Insert(self.insert()?)
        } else if self.eat_kw("UPDATE") {
            Statement::Update(self.update()?)
        } else if self.eat_kw("DELETE") {
            Statement::Delete(self.delete()?)
        } else if self.is_kw("EXISTS") && matches!(self.peek_at(1), Tok::Punct("(")) {
            self.pos += 2;
            self.expect_kw("SELECT")?;
            let s = self.select()?;
            self.expect_punct(")")?;
            Statement::Exists(s)
        } else if matches!(self.peek(), Tok::Eof) {
            return Err(Syntax("Unexpected end of input".into())); // message unverified
        } else {
            // message unverified: partiql-lang-kotlin's wording (quoted by others as AWS's).
            return Err(Syntax("Expected data manipulation".into()));
        };
        self.eat_punct(";");
        if !matches!(self.peek(), Tok::Eof) {
            // message unverified: partiql-lang-kotlin's wording (quoted by others as AWS's).
            return Err(Syntax("Unexpected token after expression".into()));
        }
        Ok(stmt)
    }

    // ---- SELECT ---------------------------------------------------------------------------

    fn select(&mut self) -> PResult<Select> {
        if self.eat_kw("DISTINCT") {
            self.refuse_clause_like("Unsupported token in expression: DISTINCT");
        } else {
            self.eat_kw("ALL");
        }
        let projection = if self.eat_kw("VALUE") || self.is_kw("PIVOT") {
            if self.eat_kw("PIVOT") {
                self.expr()?;
                self.expect_kw("AT")?;
            }
            self.expr()?;
            self.refuse("Select projection doesn't support value or pivot keywords");
            None
        } else {
            self.projection()?
        };
        self.expect_kw("FROM")?;
        let (table, index) = self.source()?;
        let where_clause = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        if self.is_kw("GROUP") && self.is_kw_at(1, "BY") {
            self.pos += 2;
            self.expr_list()?;
            self.refuse_clause("GROUP BY");
        }
        if self.eat_kw("HAVING") {
            self.expr()?;
            self.refuse_clause("HAVING");
        }
        let mut order_by = Vec::new();
        if self.is_kw("ORDER") && self.is_kw_at(1, "BY") {
            self.pos += 2;
            loop {
                let key = self.expr()?;
                let descending = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                match key {
                    Expr::Path(p) if p.steps.is_empty() => order_by.push(OrderBy {
                        attribute: p.root,
                        descending,
                    }),
                    other => self.refuse(format!(
                        "Argument to ORDER BY must be of type VariableReference. Type: {}",
                        node_type(&other)
                    )),
                }
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        if self.eat_kw("LIMIT") {
            self.expr()?;
            self.refuse_clause("LIMIT");
        }
        if self.eat_kw("OFFSET") {
            self.expr()?;
            self.refuse_clause("OFFSET"); // message unverified
        }
        Ok(Select {
            projection,
            table,
            index,
            where_clause,
            order_by,
        })
    }

    /// DISTINCT is reported with the unsupported clauses, in its own words.
    fn refuse_clause_like(&mut self, message: &str) {
        if self.clause.is_none() {
            self.clause = Some(PartiqlError::new(message));
        }
    }

    /// `*` or a list of paths; None for `*`.
    fn projection(&mut self) -> PResult<Option<Vec<PathExpr>>> {
        let mut star = false;
        let mut paths = Vec::new();
        let mut other = false;
        loop {
            if self.eat_punct("*") {
                star = true;
            } else {
                let e = self.expr()?;
                if self.eat_punct(".") {
                    // `a.*`
                    self.expect_punct("*")?;
                    self.refuse("Changing item's hierarchy while reading isn't supported");
                }
                if self.eat_kw("AS")
                    || matches!(self.peek(), Tok::Ident(w) if !is_keyword(w))
                    || matches!(self.peek(), Tok::Quoted(_))
                {
                    self.name()?;
                    self.refuse("Aliasing is not supported");
                }
                match e {
                    Expr::Path(p) => paths.push(p),
                    _ => self.refuse("Unexpected path component"),
                }
                other = true;
            }
            if !self.eat_punct(",") {
                break;
            }
        }
        if star && other {
            self.refuse(
                "Other attributes should not be present in the projection when '*' is used.",
            );
        }
        Ok(if star { None } else { Some(paths) })
    }

    /// `table`, `"table"`, `"table"."index"`: at most two components, no alias, no join.
    fn source(&mut self) -> PResult<(String, Option<String>)> {
        let mut parts = vec![self.name()?];
        while self.eat_punct(".") {
            parts.push(self.name()?);
        }
        if self.eat_kw("AS") || matches!(self.peek(), Tok::Ident(w) if !is_keyword(w)) {
            self.name()?;
            self.refuse("Aliasing is not supported");
        }
        if self.eat_kw("AT") || self.eat_kw("BY") {
            self.name()?;
            self.refuse("Aliasing is not supported");
        }
        let join = ["JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS"];
        if self.is_punct(",") || join.iter().any(|k| self.is_kw(k)) {
            while self.eat_punct(",") || join.iter().any(|k| self.eat_kw(k)) {}
            self.source()?;
            if self.eat_kw("ON") {
                self.expr()?;
            }
            self.refuse("Only select from a single table or index is supported.");
        }
        if parts.len() > 2 {
            self.refuse("A path may contain at most 2 components in the FROM clause");
        }
        for p in &parts {
            check_table_name(self, p);
        }
        let mut parts = parts.into_iter();
        let table = parts.next().unwrap_or_default();
        Ok((table, parts.next()))
    }

    /// A bare (non-reserved) or double-quoted identifier.
    fn name(&mut self) -> PResult<String> {
        match self.peek().clone() {
            Tok::Ident(w) if !is_keyword(&w) => {
                self.pos += 1;
                Ok(w)
            }
            Tok::Quoted(q) => {
                self.pos += 1;
                Ok(q)
            }
            other => Err(unexpected(&other)),
        }
    }

    // ---- INSERT / UPDATE / DELETE -----------------------------------------------------------

    fn insert(&mut self) -> PResult<Insert> {
        self.expect_kw("INTO")?;
        let table = self.name()?;
        check_table_name(self, &table);
        if self.eat_kw("AS") || matches!(self.peek(), Tok::Ident(w) if !is_keyword(w)) {
            self.name()?;
            self.refuse("Aliasing is not supported"); // message unverified
        }
        let item = if self.eat_kw("VALUE") {
            let item = self.expr()?;
            if self.eat_kw("AT") {
                self.expr()?;
                self.refuse("AT is not supported in insert statements.");
            }
            if !matches!(item, Expr::Tuple(_)) {
                self.refuse("Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.");
            }
            item
        } else {
            // `VALUES (…)`, `<<…>>`, `SELECT …`: several items at once.
            self.eat_kw("VALUES");
            let e = if self.eat_kw("SELECT") {
                self.select()?;
                Expr::Lit(Literal::Null)
            } else {
                self.expr_list()?;
                Expr::Lit(Literal::Null)
            };
            self.refuse("Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead");
            e
        };
        if self.is_kw("ON") && self.is_kw_at(1, "CONFLICT") {
            self.pos += 2;
            if self.eat_kw("WHERE") {
                self.expr()?;
            }
            self.expect_kw("DO")?;
            self.expect_kw("NOTHING")?;
            self.refuse_clause("ON CONFLICT");
        }
        let returning = self.returning()?;
        Ok(Insert {
            table,
            item,
            returning,
        })
    }

    fn update(&mut self) -> PResult<UpdateStmt> {
        let table = self.name()?;
        check_table_name(self, &table);
        let mut ops = Vec::new();
        loop {
            if self.eat_kw("SET") {
                loop {
                    let target = self.target()?;
                    self.expect_punct("=")?;
                    let value = self.expr()?;
                    if let Some(t) = target {
                        ops.push(UpdateOp::Set(t, value));
                    }
                    if !self.eat_punct(",") {
                        break;
                    }
                }
            } else if self.eat_kw("REMOVE") {
                if let Some(t) = self.target()? {
                    ops.push(UpdateOp::Remove(t));
                }
            } else if self.is_kw("INSERT") && self.is_kw_at(1, "INTO") {
                self.pos += 2;
                self.expr()?;
                if self.eat_kw("VALUE") {
                    self.expr()?;
                }
                self.refuse("Only SET and REMOVE are supported in update expressions at this time");
            } else {
                break;
            }
        }
        if ops.is_empty() && self.invalid.is_none() {
            return Err(Syntax("Expected data manipulation".into()));
        }
        let where_clause = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        let returning = self.returning()?;
        Ok(UpdateStmt {
            table,
            ops,
            where_clause,
            returning,
        })
    }

    /// The path an update assigns or removes; None (with the refusal noted) for anything else.
    fn target(&mut self) -> PResult<Option<PathExpr>> {
        match self.primary()? {
            Expr::Path(p) => Ok(Some(p)),
            other => {
                self.refuse(format!(
                    "Unrecognized assignment target: {}",
                    node_type(&other)
                ));
                Ok(None)
            }
        }
    }

    fn delete(&mut self) -> PResult<Delete> {
        self.expect_kw("FROM")?;
        let table = self.name()?;
        check_table_name(self, &table);
        let where_clause = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        let returning = self.returning()?;
        Ok(Delete {
            table,
            where_clause,
            returning,
        })
    }

    fn returning(&mut self) -> PResult<Option<Returning>> {
        if !self.eat_kw("RETURNING") {
            return Ok(None);
        }
        let mut first = None;
        loop {
            let all = if self.eat_kw("ALL") {
                true
            } else if self.eat_kw("MODIFIED") {
                false
            } else {
                return Err(unexpected(self.peek()));
            };
            let new = if self.eat_kw("NEW") {
                true
            } else if self.eat_kw("OLD") {
                false
            } else {
                return Err(unexpected(self.peek()));
            };
            if !self.eat_punct("*") {
                self.expr()?;
                self.refuse(
                    "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
                );
            }
            let r = match (all, new) {
                (true, false) => Returning::AllOld,
                (true, true) => Returning::AllNew,
                (false, false) => Returning::ModifiedOld,
                (false, true) => Returning::ModifiedNew,
            };
            if first.is_none() {
                first = Some(r);
            } else {
                self.refuse("Invalid syntax with multiple returning elements in RETURNING clause");
            }
            if !self.eat_punct(",") {
                break;
            }
        }
        Ok(first)
    }

    // ---- expressions -------------------------------------------------------------------------

    fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        let mut out = vec![self.expr()?];
        while self.eat_punct(",") {
            out.push(self.expr()?);
        }
        Ok(out)
    }

    fn expr(&mut self) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Syntax("Expression nesting too deep".into())); // message unverified
        }
        let e = self.or();
        self.depth -= 1;
        e
    }

    fn or(&mut self) -> PResult<Expr> {
        let mut left = self.and()?;
        while self.eat_kw("OR") {
            let right = self.and()?;
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> PResult<Expr> {
        let mut left = self.not()?;
        while self.eat_kw("AND") {
            let right = self.not()?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> PResult<Expr> {
        if self.eat_kw("NOT") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(Syntax("Expression nesting too deep".into())); // message unverified
            }
            let inner = self.not();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner?)));
        }
        self.equality()
    }

    fn equality(&mut self) -> PResult<Expr> {
        let mut left = self.comparison()?;
        loop {
            let op = if self.eat_punct("=") {
                BinOp::Eq
            } else if self.eat_punct("<>") || self.eat_punct("!=") {
                BinOp::Ne
            } else if self.eat_kw("IS") {
                let negated = self.eat_kw("NOT");
                let type_name = self.type_name()?;
                left = Expr::Is {
                    operand: Box::new(left),
                    type_name,
                    negated,
                };
                continue;
            } else if self.is_kw("IN") || (self.is_kw("NOT") && self.is_kw_at(1, "IN")) {
                let negated = self.eat_kw("NOT");
                self.pos += 1;
                let list = self.comparison()?;
                let e = Expr::In(Box::new(left), Box::new(list));
                left = if negated { Expr::Not(Box::new(e)) } else { e };
                continue;
            } else {
                return Ok(left);
            };
            let right = self.comparison()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn type_name(&mut self) -> PResult<String> {
        match self.bump() {
            Tok::Ident(w) => {
                let mut name = w.to_ascii_lowercase();
                // `DOUBLE PRECISION`, `CHARACTER VARYING`
                if (name == "double" && self.eat_kw("PRECISION"))
                    || (name == "character" && self.eat_kw("VARYING"))
                {
                    name.push_str("_x");
                }
                if self.eat_punct("(") {
                    while !self.eat_punct(")") {
                        if matches!(self.bump(), Tok::Eof) {
                            return Err(unexpected(&Tok::Eof));
                        }
                    }
                }
                Ok(name)
            }
            other => Err(unexpected(&other)),
        }
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let mut left = self.additive()?;
        loop {
            let op = if self.eat_punct("<") {
                BinOp::Lt
            } else if self.eat_punct("<=") {
                BinOp::Le
            } else if self.eat_punct(">") {
                BinOp::Gt
            } else if self.eat_punct(">=") {
                BinOp::Ge
            } else if self.is_kw("BETWEEN") || (self.is_kw("NOT") && self.is_kw_at(1, "BETWEEN")) {
                let negated = self.eat_kw("NOT");
                self.pos += 1;
                let low = self.additive()?;
                self.expect_kw("AND")?;
                let high = self.additive()?;
                let e = Expr::Between {
                    operand: Box::new(left),
                    low: Box::new(low),
                    high: Box::new(high),
                };
                left = if negated { Expr::Not(Box::new(e)) } else { e };
                continue;
            } else if self.is_kw("LIKE") || (self.is_kw("NOT") && self.is_kw_at(1, "LIKE")) {
                let negated = self.eat_kw("NOT");
                self.pos += 1;
                let pattern = self.additive()?;
                if self.eat_kw("ESCAPE") {
                    self.additive()?;
                }
                let e = Expr::Binary(BinOp::Like, Box::new(left), Box::new(pattern));
                left = if negated { Expr::Not(Box::new(e)) } else { e };
                continue;
            } else {
                return Ok(left);
            };
            let right = self.additive()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = if self.eat_punct("+") {
                BinOp::Add
            } else if self.eat_punct("-") {
                BinOp::Sub
            } else if self.eat_punct("||") {
                BinOp::Concat
            } else {
                return Ok(left);
            };
            let right = self.multiplicative()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_punct("*") {
                BinOp::Mul
            } else if self.eat_punct("/") {
                BinOp::Div
            } else if self.eat_punct("%") {
                BinOp::Mod
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        if self.eat_punct("-") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(Syntax("Expression nesting too deep".into())); // message unverified
            }
            let inner = self.unary();
            self.depth -= 1;
            return Ok(match inner? {
                Expr::Lit(Literal::Num(n)) => Expr::Lit(Literal::Num(match n.strip_prefix('-') {
                    Some(rest) => rest.to_string(),
                    None => format!("-{n}"),
                })),
                other => Expr::Neg(Box::new(other)),
            });
        }
        if self.eat_punct("+") {
            return self.unary();
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<Expr> {
        let base = match self.bump() {
            Tok::Str(s) => Expr::Lit(Literal::Str(s)),
            Tok::Num(n) => Expr::Lit(Literal::Num(n)),
            Tok::Param => {
                self.params += 1;
                Expr::Param(self.params - 1)
            }
            Tok::Punct("(") => {
                let first = self.expr()?;
                if self.eat_punct(",") {
                    let mut items = vec![first];
                    items.extend(self.expr_list()?);
                    self.expect_punct(")")?;
                    Expr::List(items)
                } else {
                    self.expect_punct(")")?;
                    first
                }
            }
            Tok::Punct("[") => Expr::List(self.sequence("]")?),
            Tok::Punct("<<") => Expr::Bag(self.sequence(">>")?),
            Tok::Punct("{") => {
                let mut fields = Vec::new();
                if !self.eat_punct("}") {
                    loop {
                        let k = self.expr()?;
                        self.expect_punct(":")?;
                        let v = self.expr()?;
                        fields.push((k, v));
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                    self.expect_punct("}")?;
                }
                Expr::Tuple(fields)
            }
            Tok::Quoted(q) => Expr::Path(PathExpr::attribute(q)),
            Tok::Ident(w) => {
                if self.is_punct("(") && (!is_keyword(&w) || is_function_keyword(&w)) {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if !self.eat_punct(")") {
                        loop {
                            if self.eat_punct("*") {
                                // `count(*)`
                                args.push(Expr::Lit(Literal::Null));
                            } else {
                                args.push(self.expr()?);
                            }
                            if !self.eat_punct(",") {
                                break;
                            }
                        }
                        self.expect_punct(")")?;
                    }
                    Expr::Call(w.to_ascii_lowercase(), args)
                } else {
                    match w.to_ascii_lowercase().as_str() {
                        "true" => Expr::Lit(Literal::Bool(true)),
                        "false" => Expr::Lit(Literal::Bool(false)),
                        "null" => Expr::Lit(Literal::Null),
                        "missing" => Expr::Missing,
                        _ if is_keyword(&w) => {
                            self.pos -= 1;
                            return Err(unexpected(&Tok::Ident(w)));
                        }
                        _ => Expr::Path(PathExpr::attribute(w)),
                    }
                }
            }
            other => {
                self.pos = self.pos.saturating_sub(1);
                return Err(unexpected(&other));
            }
        };
        self.steps(base)
    }

    fn sequence(&mut self, close: &str) -> PResult<Vec<Expr>> {
        if self.eat_punct(close) {
            return Ok(Vec::new());
        }
        let items = self.expr_list()?;
        self.expect_punct(close)?;
        Ok(items)
    }

    /// `.name` and `[…]` steps after a primary expression.
    fn steps(&mut self, base: Expr) -> PResult<Expr> {
        let mut steps: Vec<Step> = Vec::new();
        let mut any = false;
        let mut refused = false;
        loop {
            if self.is_punct(".") && !matches!(self.peek_at(1), Tok::Punct("*")) {
                self.pos += 1;
                match self.bump() {
                    Tok::Ident(w) if !is_keyword(&w) => steps.push(Step::Field(w)),
                    Tok::Quoted(q) => steps.push(Step::Field(q)),
                    other => return Err(unexpected(&other)),
                }
            } else if self.eat_punct("[") {
                if self.eat_punct("*") {
                    self.expect_punct("]")?;
                    self.refuse("Wildcard path component like a[*].b are not supported");
                    refused = true;
                } else {
                    let e = self.expr()?;
                    self.expect_punct("]")?;
                    match e {
                        Expr::Lit(Literal::Str(s)) => steps.push(Step::Field(s)),
                        Expr::Lit(Literal::Num(n)) => match n.parse::<i32>() {
                            Ok(i) if i >= 0 => steps.push(Step::Index(i as usize)),
                            _ if n.chars().all(|c| c.is_ascii_digit() || c == '-') => {
                                self.refuse(format!(
                                    "List index is not within the allowable range; index: [{n}]"
                                ));
                                refused = true;
                            }
                            _ => {
                                self.refuse("Unexpected path component");
                                refused = true;
                            }
                        },
                        _ => {
                            self.refuse("Unexpected path component");
                            refused = true;
                        }
                    }
                }
            } else {
                break;
            }
            any = true;
        }
        if !any {
            return Ok(base);
        }
        match base {
            Expr::Path(mut p) => {
                p.steps.extend(steps);
                Ok(Expr::Path(p))
            }
            Expr::List(_) => {
                self.refuse("A path cannot start with a list index");
                Ok(Expr::Lit(Literal::Null))
            }
            _ => {
                if !refused {
                    self.refuse("Unexpected path component");
                }
                Ok(Expr::Lit(Literal::Null))
            }
        }
    }
}

/// AWS's rule for table and index names in statements.
fn check_table_name(p: &mut Parser, name: &str) {
    let ok = (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        p.refuse("Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'.");
    }
}

/// How AWS names an expression's kind in messages (its AST class).
fn node_type(e: &Expr) -> &'static str {
    match e {
        Expr::Lit(_) | Expr::Missing => "Literal",
        Expr::Param(_) => "Parameter",
        Expr::Path(p) if p.steps.is_empty() => "VariableReference",
        Expr::Path(_) => "Path",
        Expr::List(_) | Expr::Bag(_) => "Seq",
        Expr::Tuple(_) => "Struct",
        Expr::Is { .. } => "Typed",
        _ => "NAry",
    }
}
