//! Composite alarms: PutCompositeAlarm and the rule language their state follows —
//! `ALARM(name)`, `OK(name)`, `INSUFFICIENT_DATA(name)` (a name or ARN, quoted or not), `TRUE`,
//! `FALSE`, `AND`, `OR`, `NOT` and parentheses. The evaluator (`evaluation`) sets a composite
//! alarm to ALARM while its rule holds and OK otherwise, after the metric alarms of the minute.

use protocol::tree::V;

use crate::alarms::{check_len, tags};
use crate::error::{CwError, ErrorCode};
use crate::history::{self, HistoryItem};
use crate::model::{self, Alarm, ALARMS};
use crate::CloudWatch;

/// Most nested levels a rule may have.
const MAX_DEPTH: usize = 32;

#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    Const(bool),
    /// (state, alarm name or ARN)
    State(String, String),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Quoted(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '"' | '\'' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some(x) if x == c => break,
                        Some(x) => s.push(x),
                        None => return Err("an unterminated quoted name".into()),
                    }
                }
                out.push(Token::Quoted(s));
            }
            c => {
                let mut s = c.to_string();
                while let Some(&x) = chars.peek() {
                    if x.is_whitespace() || x == '(' || x == ')' {
                        break;
                    }
                    s.push(x);
                    chars.next();
                }
                out.push(Token::Word(s));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn word(&self, w: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn or(&mut self) -> Result<Rule, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("the rule is nested too deeply".into());
        }
        let mut left = self.and()?;
        while self.word("OR") {
            self.at += 1;
            left = Rule::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Rule, String> {
        let mut left = self.not()?;
        while self.word("AND") {
            self.at += 1;
            left = Rule::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Rule, String> {
        if self.word("NOT") {
            self.at += 1;
            return Ok(Rule::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Rule, String> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        match t {
            Some(Token::Open) => {
                let r = self.or()?;
                match self.tokens.get(self.at) {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(r)
                    }
                    _ => Err("a missing )".into()),
                }
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("TRUE") => Ok(Rule::Const(true)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("FALSE") => Ok(Rule::Const(false)),
            Some(Token::Word(w))
                if ["ALARM", "OK", "INSUFFICIENT_DATA"]
                    .iter()
                    .any(|s| w.eq_ignore_ascii_case(s)) =>
            {
                let name = match (
                    self.tokens.get(self.at),
                    self.tokens.get(self.at + 1),
                    self.tokens.get(self.at + 2),
                ) {
                    (
                        Some(Token::Open),
                        Some(Token::Quoted(n) | Token::Word(n)),
                        Some(Token::Close),
                    ) => n.clone(),
                    _ => return Err(format!("{w} must be followed by (alarm name)")),
                };
                self.at += 3;
                Ok(Rule::State(w.to_ascii_uppercase(), name))
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

pub fn parse(text: &str) -> Result<Rule, String> {
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
        depth: 0,
    };
    let r = p.or()?;
    if p.at < p.tokens.len() {
        return Err(format!("unexpected {:?}", p.tokens.get(p.at)));
    }
    Ok(r)
}

impl Rule {
    /// Whether the rule holds, given each alarm's state (by name or ARN).
    pub fn holds(&self, state_of: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            Rule::Const(b) => *b,
            Rule::State(s, name) => state_of(name).is_some_and(|x| x == *s),
            Rule::Not(r) => !r.holds(state_of),
            Rule::And(a, b) => a.holds(state_of) && b.holds(state_of),
            Rule::Or(a, b) => a.holds(state_of) || b.holds(state_of),
        }
    }

    /// The alarms the rule names.
    pub fn alarms(&self) -> Vec<&str> {
        match self {
            Rule::Const(_) => Vec::new(),
            Rule::State(_, n) => vec![n.as_str()],
            Rule::Not(r) => r.alarms(),
            Rule::And(a, b) | Rule::Or(a, b) => {
                let mut v = a.alarms();
                v.extend(b.alarms());
                v
            }
        }
    }
}

impl Alarm {
    /// The alarms (names or ARNs) a composite alarm's rule names; none for a metric alarm.
    pub fn rule_alarms(&self) -> Vec<String> {
        self.alarm_rule
            .as_deref()
            .and_then(|r| parse(r).ok())
            .map(|r| r.alarms().into_iter().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

impl CloudWatch {
    pub(crate) async fn put_composite_alarm(&self, req: &V, region: &str) -> Result<(), CwError> {
        let name = req.req_str("AlarmName")?;
        check_len("AlarmName", Some(&name), 1, 255)?;
        let rule = req.req_str("AlarmRule")?;
        check_len("AlarmRule", Some(&rule), 1, 10240)?;
        let description = req.str("AlarmDescription");
        check_len("AlarmDescription", description.as_deref(), 0, 1024)?;
        parse(&rule).map_err(|e| {
            CwError::new(ErrorCode::Validation, format!("Error in alarm rule: {e}"))
        })?;
        let now = self.now_millis();
        let mut alarm = Alarm {
            name: name.clone(),
            arn: format!(
                "arn:aws:cloudwatch:{region}:{}:alarm:{name}",
                self.account_id
            ),
            description,
            actions_enabled: req.bool("ActionsEnabled")?.unwrap_or(true),
            ok_actions: req.str_list("OKActions"),
            alarm_actions: req.str_list("AlarmActions"),
            insufficient_data_actions: req.str_list("InsufficientDataActions"),
            metric_name: None,
            namespace: None,
            statistic: None,
            extended_statistic: None,
            dimensions: Vec::new(),
            period: None,
            unit: None,
            evaluation_periods: None,
            datapoints_to_alarm: None,
            threshold: None,
            comparison_operator: None,
            treat_missing_data: None,
            evaluate_low_sample_count_percentile: None,
            metrics: None,
            threshold_metric_id: None,
            alarm_rule: Some(rule),
            state_value: "INSUFFICIENT_DATA".into(),
            state_reason: crate::alarms::INITIAL_REASON.into(),
            state_reason_data: None,
            state_updated_ms: now,
            state_transitioned_ms: now,
            configuration_updated_ms: now,
            tags: tags(req.list("Tags"))?,
            external: false,
        };
        let key = model::alarm_key(region, &name);
        let region = region.to_string();
        self.store
            .write(move |w| {
                let existed = w.get(ALARMS, &key)?;
                if let Some(old) = &existed {
                    let old: Alarm = model::decode(old)?;
                    if old.alarm_rule.is_none() {
                        return Ok(Err(CwError::new(
                            ErrorCode::InvalidParameterCombination,
                            format!("The alarm {} is a metric alarm: a composite alarm cannot replace it.", old.name),
                        )));
                    }
                    alarm.keep_state_of(old);
                }
                w.insert(ALARMS, &key, &model::encode(&alarm)?)?;
                let verb = if existed.is_some() { "updated" } else { "created" };
                history::record(
                    w,
                    &HistoryItem::of(
                        &region,
                        &alarm,
                        now,
                        "ConfigurationUpdate",
                        format!("Alarm \"{}\" {verb}", alarm.name),
                        serde_json::json!({
                            "version": "1.0",
                            "type": if existed.is_some() { "Update" } else { "Create" },
                            "alarmRule": alarm.alarm_rule,
                        }),
                    ),
                )?;
                Ok(Ok(()))
            })
            .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_hold() {
        let rule = parse(r#"ALARM("a-b") AND (OK(c) OR NOT INSUFFICIENT_DATA('d x'))"#);
        let Ok(rule) = rule else {
            unreachable!("{rule:?}");
        };
        assert_eq!(rule.alarms(), vec!["a-b", "c", "d x"]);
        let states = |n: &str| match n {
            "a-b" => Some("ALARM".to_string()),
            "c" => Some("ALARM".to_string()),
            _ => Some("INSUFFICIENT_DATA".to_string()),
        };
        assert!(!rule.holds(&states));
        assert!(parse("TRUE OR FALSE").is_ok_and(|r| r.holds(&|_| None)));
        assert!(parse("ALARM(").is_err());
        assert!(parse(&"(".repeat(64)).is_err());
    }
}
