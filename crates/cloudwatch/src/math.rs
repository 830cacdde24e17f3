//! Metric math: the expressions of GetMetricData queries and metric-math alarms, over the time
//! series the MetricStat queries of the same request return.
//!
//! Supported: numbers, query ids, `+ - * / ^`, comparisons (`< <= > >= == !=`, 1 or 0), `AND`,
//! `OR`, `NOT`, parentheses, and the functions dashboards use: `SUM`, `AVG`, `MAX`, `MIN` (of a
//! series: one number; of `METRICS()` or `[a, b]`: a series), `METRICS([filter])`,
//! `PERIOD(s)`, `FILL(s, value | REPEAT | LINEAR)`, `IF(cond, a[, b])`, `ABS`, `CEIL`, `FLOOR`,
//! `DIFF`, `RATE`. Series combine point by point on the timestamps they share; a number
//! combines with every point. Anything else is an error naming the expression, as CloudWatch
//! answers with a failed result.

use std::collections::BTreeMap;

/// A time series: timestamp (epoch seconds) -> value.
pub type Points = BTreeMap<i64, f64>;

/// A query's result, as an expression sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub id: String,
    pub label: String,
    pub period: i64,
    pub points: Points,
}

/// What an expression evaluates to.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Series(Series),
    Array(Vec<Series>),
}

/// The grid FILL fills: timestamps from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub start: i64,
    pub end: i64,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Num(f64),
    Ident(String),
    Str(String),
    Op(&'static str),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '[' => {
                out.push(Token::OpenBracket);
                i += 1;
            }
            ']' => {
                out.push(Token::CloseBracket);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '"' | '\'' => {
                let end = chars
                    .iter()
                    .skip(i + 1)
                    .position(|x| *x == c)
                    .ok_or("unterminated string")?;
                out.push(Token::Str(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            _ if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|x| x.is_ascii_digit() || *x == '.' || *x == 'e' || *x == 'E')
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Token::Num(
                    text.parse().map_err(|_| format!("bad number {text}"))?,
                ));
            }
            _ if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|x| x.is_alphanumeric() || *x == '_')
                {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            _ => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = ["<=", ">=", "==", "!="]
                    .into_iter()
                    .find(|o| *o == two)
                    .or_else(|| {
                        ["+", "-", "*", "/", "^", "<", ">"]
                            .into_iter()
                            .find(|o| o.starts_with(c))
                    })
                    .ok_or_else(|| format!("unexpected character {c}"))?;
                i += op.len();
                out.push(Token::Op(op));
            }
        }
    }
    Ok(out)
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Num(f64),
    Ref(String),
    Str(String),
    List(Vec<Expr>),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

/// Most nested levels an expression may have.
const MAX_DEPTH: usize = 32;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expect(&mut self, t: Token) -> Result<(), String> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(format!("expected {t:?}, found {other:?}")),
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("the expression is nested too deeply".into());
        }
        let e = self.or();
        self.depth -= 1;
        e
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            self.at += 1;
            left = Expr::Binary("OR", Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        while self.keyword("AND") {
            self.at += 1;
            left = Expr::Binary("AND", Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.keyword("NOT") {
            self.at += 1;
            return Ok(Expr::Unary("NOT", Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let left = self.sum()?;
        if let Some(Token::Op(op)) = self.peek() {
            let op = *op;
            if ["<", "<=", ">", ">=", "==", "!="].contains(&op) {
                self.at += 1;
                return Ok(Expr::Binary(op, Box::new(left), Box::new(self.sum()?)));
            }
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        while let Some(Token::Op(op @ ("+" | "-"))) = self.peek() {
            let op = *op;
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.power()?;
        while let Some(Token::Op(op @ ("*" | "/"))) = self.peek() {
            let op = *op;
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.power()?));
        }
        Ok(left)
    }

    fn power(&mut self) -> Result<Expr, String> {
        let base = self.unary()?;
        if let Some(Token::Op("^")) = self.peek() {
            self.at += 1;
            return Ok(Expr::Binary("^", Box::new(base), Box::new(self.power()?)));
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if let Some(Token::Op("-")) = self.peek() {
            self.at += 1;
            return Ok(Expr::Unary("-", Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Token::Num(n)) => Ok(Expr::Num(n)),
            Some(Token::Str(s)) => Ok(Expr::Str(s)),
            Some(Token::Open) => {
                let e = self.expr()?;
                self.expect(Token::Close)?;
                Ok(e)
            }
            Some(Token::OpenBracket) => {
                let items = self.arguments(Token::CloseBracket)?;
                Ok(Expr::List(items))
            }
            Some(Token::Ident(name)) => {
                if self.peek() == Some(&Token::Open) {
                    self.at += 1;
                    let args = self.arguments(Token::Close)?;
                    Ok(Expr::Call(name.to_ascii_uppercase(), args))
                } else {
                    Ok(Expr::Ref(name))
                }
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }

    fn arguments(&mut self, close: Token) -> Result<Vec<Expr>, String> {
        let mut args = Vec::new();
        if self.peek() == Some(&close) {
            self.at += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            match self.next() {
                Some(Token::Comma) => continue,
                Some(t) if t == close => return Ok(args),
                other => return Err(format!("expected , or {close:?}, found {other:?}")),
            }
        }
    }
}

fn parse(text: &str) -> Result<Expr, String> {
    if text.len() > 1024 {
        return Err("the expression is longer than 1024 characters".into());
    }
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if p.at < p.tokens.len() {
        return Err(format!("unexpected {:?}", p.tokens.get(p.at)));
    }
    Ok(e)
}

/// The query ids an expression refers to (so queries can be evaluated in order).
pub fn references(text: &str) -> Result<Vec<String>, String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Ref(r) => out.push(r.clone()),
            Expr::List(items) | Expr::Call(_, items) => items.iter().for_each(|x| walk(x, out)),
            Expr::Unary(_, x) => walk(x, out),
            Expr::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::Num(_) | Expr::Str(_) => {}
        }
    }
    let mut out = Vec::new();
    walk(&parse(text)?, &mut out);
    Ok(out)
}

/// Evaluates `text` over the series known so far (`known`: every query evaluated before it;
/// `metrics`: the MetricStat queries, which METRICS() returns).
pub fn evaluate(
    text: &str,
    known: &[Series],
    metrics: &[Series],
    range: Range,
) -> Result<Value, String> {
    let e = parse(text)?;
    Eval {
        known,
        metrics,
        range,
    }
    .eval(&e)
}

struct Eval<'a> {
    known: &'a [Series],
    metrics: &'a [Series],
    range: Range,
}

fn apply(op: &str, a: f64, b: f64) -> f64 {
    let bool_of = |x: bool| if x { 1.0 } else { 0.0 };
    match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "^" => a.powf(b),
        "<" => bool_of(a < b),
        "<=" => bool_of(a <= b),
        ">" => bool_of(a > b),
        ">=" => bool_of(a >= b),
        "==" => bool_of(a == b),
        "!=" => bool_of(a != b),
        "AND" => bool_of(a != 0.0 && b != 0.0),
        "OR" => bool_of(a != 0.0 || b != 0.0),
        _ => f64::NAN,
    }
}

fn map_series(s: &Series, f: impl Fn(f64) -> f64) -> Series {
    Series {
        points: s
            .points
            .iter()
            .map(|(t, v)| (*t, f(*v)))
            .filter(|(_, v)| v.is_finite())
            .collect(),
        ..s.clone()
    }
}

impl Eval<'_> {
    fn eval(&self, e: &Expr) -> Result<Value, String> {
        Ok(match e {
            Expr::Num(n) => Value::Number(*n),
            Expr::Str(s) => return Err(format!("unexpected string \"{s}\"")),
            Expr::Ref(id) => Value::Series(
                self.known
                    .iter()
                    .find(|s| s.id == *id)
                    .cloned()
                    .ok_or_else(|| format!("Unrecognized identifier {id}"))?,
            ),
            Expr::List(items) => {
                let mut out = Vec::new();
                for i in items {
                    match self.eval(i)? {
                        Value::Series(s) => out.push(s),
                        Value::Array(a) => out.extend(a),
                        Value::Number(_) => return Err("an array holds time series only".into()),
                    }
                }
                Value::Array(out)
            }
            Expr::Unary("-", x) => self.unary(self.eval(x)?, |v| -v),
            Expr::Unary(_, x) => self.unary(self.eval(x)?, |v| if v == 0.0 { 1.0 } else { 0.0 }),
            Expr::Binary(op, a, b) => self.binary(op, self.eval(a)?, self.eval(b)?)?,
            Expr::Call(name, args) => self.call(name, args)?,
        })
    }

    fn unary(&self, v: Value, f: impl Fn(f64) -> f64 + Copy) -> Value {
        match v {
            Value::Number(n) => Value::Number(f(n)),
            Value::Series(s) => Value::Series(map_series(&s, f)),
            Value::Array(a) => Value::Array(a.iter().map(|s| map_series(s, f)).collect()),
        }
    }

    fn binary(&self, op: &str, a: Value, b: Value) -> Result<Value, String> {
        Ok(match (a, b) {
            (Value::Number(x), Value::Number(y)) => Value::Number(apply(op, x, y)),
            (Value::Series(s), Value::Number(y)) => {
                Value::Series(map_series(&s, |v| apply(op, v, y)))
            }
            (Value::Number(x), Value::Series(s)) => {
                Value::Series(map_series(&s, |v| apply(op, x, v)))
            }
            (Value::Series(s), Value::Series(t)) => {
                let points = s
                    .points
                    .iter()
                    .filter_map(|(ts, v)| t.points.get(ts).map(|w| (*ts, apply(op, *v, *w))))
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                Value::Series(Series { points, ..s })
            }
            // An array combines member by member, on whichever side it is.
            (Value::Array(a), other) => Self::each(a, |s| self.binary(op, s, other.clone()))?,
            (other, Value::Array(b)) => Self::each(b, |s| self.binary(op, other.clone(), s))?,
        })
    }

    /// Applies `f` to each series of an array; each must give a series back.
    fn each(
        array: Vec<Series>,
        f: impl Fn(Value) -> Result<Value, String>,
    ) -> Result<Value, String> {
        let out = array
            .into_iter()
            .map(|s| match f(Value::Series(s))? {
                Value::Series(x) => Ok(x),
                _ => Err("arrays combine with numbers or series".to_string()),
            })
            .collect::<Result<_, _>>()?;
        Ok(Value::Array(out))
    }

    fn series_arg(&self, args: &[Expr], i: usize, name: &str) -> Result<Series, String> {
        match args.get(i).map(|a| self.eval(a)).transpose()? {
            Some(Value::Series(s)) => Ok(s),
            _ => Err(format!(
                "{name} expects a time series as argument {}",
                i + 1
            )),
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> Result<Value, String> {
        match name {
            "METRICS" => {
                let filter = match args.first() {
                    Some(Expr::Str(s)) => Some(s.clone()),
                    None => None,
                    _ => return Err("METRICS takes an optional string".into()),
                };
                Ok(Value::Array(
                    self.metrics
                        .iter()
                        .filter(|s| {
                            filter.as_ref().is_none_or(|f| {
                                s.id.contains(f.as_str()) || s.label.contains(f.as_str())
                            })
                        })
                        .cloned()
                        .collect(),
                ))
            }
            "SUM" | "AVG" | "MAX" | "MIN" => {
                let [arg] = args else {
                    return Err(format!("{name} takes one argument"));
                };
                let reduce = |values: &[f64]| -> f64 {
                    match name {
                        "SUM" => values.iter().sum(),
                        "AVG" => values.iter().sum::<f64>() / values.len() as f64,
                        "MAX" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        _ => values.iter().copied().fold(f64::INFINITY, f64::min),
                    }
                };
                match self.eval(arg)? {
                    Value::Number(n) => Ok(Value::Number(n)),
                    Value::Series(s) => {
                        let values: Vec<f64> = s.points.values().copied().collect();
                        if values.is_empty() {
                            return Err(format!("{name} of an empty time series"));
                        }
                        Ok(Value::Number(reduce(&values)))
                    }
                    Value::Array(a) => {
                        let mut by_time: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
                        for s in &a {
                            for (t, v) in &s.points {
                                by_time.entry(*t).or_default().push(*v);
                            }
                        }
                        let period = a.first().map_or(60, |s| s.period);
                        Ok(Value::Series(Series {
                            id: String::new(),
                            label: String::new(),
                            period,
                            points: by_time.iter().map(|(t, v)| (*t, reduce(v))).collect(),
                        }))
                    }
                }
            }
            "PERIOD" => Ok(Value::Number(self.series_arg(args, 0, name)?.period as f64)),
            "ABS" | "CEIL" | "FLOOR" => {
                let [arg] = args else {
                    return Err(format!("{name} takes one argument"));
                };
                let f = match name {
                    "ABS" => f64::abs,
                    "CEIL" => f64::ceil,
                    _ => f64::floor,
                };
                Ok(self.unary(self.eval(arg)?, f))
            }
            "DIFF" | "RATE" => {
                let s = self.series_arg(args, 0, name)?;
                let mut points = Points::new();
                let mut prev: Option<(i64, f64)> = None;
                for (t, v) in &s.points {
                    if let Some((pt, pv)) = prev {
                        let d = v - pv;
                        points.insert(
                            *t,
                            if name == "RATE" {
                                d / (t - pt) as f64
                            } else {
                                d
                            },
                        );
                    }
                    prev = Some((*t, *v));
                }
                Ok(Value::Series(Series { points, ..s }))
            }
            "FILL" => {
                let s = self.series_arg(args, 0, name)?;
                let how = args.get(1).ok_or("FILL takes two arguments")?;
                let period = s.period.max(1);
                let first = self.range.start.div_euclid(period) * period;
                let grid: Vec<i64> = (0..)
                    .map(|i| first + i * period)
                    .take_while(|t| *t < self.range.end)
                    .filter(|t| *t >= self.range.start - period)
                    .take(100_800)
                    .collect();
                let mut points = s.points.clone();
                match how {
                    Expr::Ref(word) if word.eq_ignore_ascii_case("REPEAT") => {
                        let mut last = None;
                        for t in &grid {
                            match s.points.get(t) {
                                Some(v) => last = Some(*v),
                                None => {
                                    if let Some(v) = last {
                                        points.insert(*t, v);
                                    }
                                }
                            }
                        }
                    }
                    Expr::Ref(word) if word.eq_ignore_ascii_case("LINEAR") => {
                        for t in &grid {
                            if s.points.contains_key(t) {
                                continue;
                            }
                            let before = s.points.range(..*t).next_back();
                            let after = s.points.range(*t..).next();
                            if let (Some((t0, v0)), Some((t1, v1))) = (before, after) {
                                let f = (t - t0) as f64 / (t1 - t0) as f64;
                                points.insert(*t, v0 + (v1 - v0) * f);
                            }
                        }
                    }
                    other => {
                        let Value::Number(v) = self.eval(other)? else {
                            return Err("FILL's value must be a number, REPEAT or LINEAR".into());
                        };
                        for t in &grid {
                            points.entry(*t).or_insert(v);
                        }
                    }
                }
                Ok(Value::Series(Series { points, ..s }))
            }
            "IF" => {
                if !(2..=3).contains(&args.len()) {
                    return Err("IF takes two or three arguments".into());
                }
                let cond = self.eval(&args[0])?;
                let yes = self.eval(&args[1])?;
                let no = args.get(2).map(|a| self.eval(a)).transpose()?;
                let Value::Series(c) = cond else {
                    return match cond {
                        Value::Number(n) if n != 0.0 => Ok(yes),
                        Value::Number(_) => no.ok_or_else(|| "IF without a false branch".into()),
                        _ => Err("IF's condition must be a time series or a number".into()),
                    };
                };
                let pick = |v: &Option<Value>, t: i64| -> Option<f64> {
                    match v {
                        Some(Value::Number(n)) => Some(*n),
                        Some(Value::Series(s)) => s.points.get(&t).copied(),
                        _ => None,
                    }
                };
                let yes = Some(yes);
                let points = c
                    .points
                    .iter()
                    .filter_map(|(t, v)| {
                        if *v != 0.0 {
                            pick(&yes, *t)
                        } else {
                            pick(&no, *t)
                        }
                        .map(|x| (*t, x))
                    })
                    .collect();
                Ok(Value::Series(Series { points, ..c }))
            }
            other => Err(format!("Unknown function {other}")),
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn series(id: &str, points: &[(i64, f64)]) -> Series {
        Series {
            id: id.into(),
            label: id.into(),
            period: 60,
            points: points.iter().copied().collect(),
        }
    }

    #[test]
    fn evaluates_what_dashboards_use() {
        let m1 = series("m1", &[(0, 1.0), (60, 2.0), (180, 4.0)]);
        let m2 = series("m2", &[(0, 10.0), (60, 20.0)]);
        let known = vec![m1.clone(), m2.clone()];
        let range = Range { start: 0, end: 240 };
        let run = |e: &str| evaluate(e, &known, &known, range);
        let Ok(Value::Series(s)) = run("m1 + m2 * 2") else {
            panic!("{:?}", run("m1 + m2 * 2"));
        };
        assert_eq!(s.points, BTreeMap::from([(0, 21.0), (60, 42.0)]));
        let Ok(Value::Series(s)) = run("SUM(METRICS())") else {
            panic!();
        };
        assert_eq!(
            s.points,
            BTreeMap::from([(0, 11.0), (60, 22.0), (180, 4.0)])
        );
        assert_eq!(run("SUM(m1)"), Ok(Value::Number(7.0)));
        assert_eq!(
            run("MAX([m1, m2]) / PERIOD(m1)").map(|v| matches!(v, Value::Series(_))),
            Ok(true)
        );
        let Ok(Value::Series(s)) = run("FILL(m1, 0)") else {
            panic!();
        };
        assert_eq!(s.points.get(&120), Some(&0.0));
        let Ok(Value::Series(s)) = run("IF(m1 > 1, m1, 0)") else {
            panic!();
        };
        assert_eq!(s.points, BTreeMap::from([(0, 0.0), (60, 2.0), (180, 4.0)]));
        let Ok(Value::Series(s)) = run("FILL(m1, LINEAR)") else {
            panic!();
        };
        assert_eq!(s.points.get(&120), Some(&3.0));
        assert!(run("NOPE(m1)").is_err());
        assert!(run("m9").is_err());
        assert_eq!(
            references("m1 / PERIOD(m2)"),
            Ok(vec!["m1".into(), "m2".into()])
        );
        assert!(parse(&"(".repeat(100)).is_err());
    }
}
