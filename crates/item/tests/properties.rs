//! Property tests over the decoders and parsers a request reaches: whatever the input, they
//! answer (a value or an error) and never panic or overflow the stack; items survive their
//! stored form unchanged. proptest, because it runs on the stable toolchain this project has
//! (cargo-fuzz and bolero's fuzzing engines need nightly), shrinks a failure to a small case,
//! and keeps the cases that once failed in `proptest-regressions/`, committed, which every
//! later run replays. CI runs the default 256 cases per property (`PROPTEST_CASES` raises it),
//! and 1,000 edits of the committed seed corpus (`tests/corpus`, see `common/corpus.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common {
    pub mod corpus;
}

use std::collections::{BTreeMap, HashMap};

use common::corpus::{self, Edit};
use item::expr::{self, Context, ExprKind};
use item::{Item, Number, Value};
use proptest::prelude::*;

fn value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        "[a-zA-Z0-9 é€]{0,12}".prop_map(Value::S),
        any::<i64>().prop_map(|n| Value::N(n.to_string().parse::<Number>().unwrap())),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Value::B),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        prop::collection::btree_set("[a-z]{1,6}", 1..4)
            .prop_map(|s| Value::Ss(s.into_iter().collect())),
    ];
    leaf.prop_recursive(depth, 64, 6, |inner| {
        prop_oneof![
            prop::collection::btree_map("[a-z]{1,6}", inner.clone(), 0..5).prop_map(Value::M),
            prop::collection::vec(inner, 0..5).prop_map(Value::L),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    prop::collection::btree_map("[a-zA-Z_]{1,8}", value(6), 0..6)
}

/// Text made of the expression language's own pieces, so the parsers get past their first
/// token, with any character now and then.
fn expression_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just(","),
        Just("."),
        Just(" "),
        Just("="),
        Just("<>"),
        Just("<"),
        Just(">="),
        Just("+"),
        Just("-"),
        Just("AND"),
        Just("OR"),
        Just("NOT"),
        Just("BETWEEN"),
        Just("IN"),
        Just("SET"),
        Just("REMOVE"),
        Just("ADD"),
        Just("DELETE"),
        Just("a"),
        Just("b.c"),
        Just("#n"),
        Just(":v"),
        Just("0"),
        Just("size"),
        Just("attribute_exists"),
        Just("if_not_exists"),
        Just("list_append"),
        Just("begins_with"),
        Just("contains"),
        Just("\u{0}"),
        Just("é"),
    ];
    prop::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

fn statement_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("SELECT"),
        Just("INSERT INTO"),
        Just("UPDATE"),
        Just("DELETE FROM"),
        Just("FROM"),
        Just("WHERE"),
        Just("VALUE"),
        Just("SET"),
        Just("REMOVE"),
        Just("RETURNING"),
        Just("ALL NEW *"),
        Just("EXISTS"),
        Just("MISSING"),
        Just("IN"),
        Just("AND"),
        Just("OR"),
        Just("\"t\""),
        Just("\"t\".\"i\""),
        Just("'s'"),
        Just("1.5"),
        Just("?"),
        Just("*"),
        Just("a"),
        Just("a.b[0]"),
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just("<<"),
        Just(">>"),
        Just(":"),
        Just(","),
        Just("="),
        Just(" "),
    ];
    prop::collection::vec(token, 0..60).prop_map(|t| t.join(" "))
}

fn json(depth: u32) -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        "[A-Z]{1,4}|[a-z0-9=+/.]{0,8}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(depth, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("S|N|B|BOOL|NULL|M|L|SS|NS|BS|[a-z]{1,3}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn items_survive_their_stored_form(item in item()) {
        let mut packed = Vec::new();
        item::packed::pack_item(&item, &mut packed);
        prop_assert_eq!(item::packed::unpack_item(&packed).unwrap(), item);
    }

    #[test]
    fn stored_bytes_of_any_kind_decode_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = item::packed::unpack_item(&bytes);
    }

    #[test]
    fn wire_json_decodes_or_fails_cleanly(v in json(6)) {
        let _ = item::json::item_from_json(&v);
        let _ = item::json::value_from_json(&v);
        let _ = item::json::item_shape_error(&v);
    }

    #[test]
    fn items_survive_wire_json(item in item()) {
        let wire = item::json::item_to_json(&item);
        prop_assert_eq!(item::json::item_from_json(&wire).unwrap(), item);
    }

    #[test]
    fn expressions_parse_or_fail_cleanly(text in expression_text()) {
        let names = HashMap::from([("#n".to_string(), "n".to_string())]);
        let values = HashMap::from([(":v".to_string(), Value::N("1".parse().unwrap()))]);
        for kind in [ExprKind::ConditionExpression, ExprKind::KeyConditionExpression] {
            let _ = expr::parse_condition(&text, &mut Context::new(Some(&names), Some(&values)), kind);
        }
        let _ = expr::parse_update(&text, &mut Context::new(Some(&names), Some(&values)));
        let _ = expr::parse_projection(&text, &mut Context::new(Some(&names), Some(&values)));
    }

    #[test]
    fn any_text_parses_or_fails_cleanly(text in "\\PC{0,300}") {
        let _ = expr::parse_condition(&text, &mut Context::new(None, None), ExprKind::FilterExpression);
        let _ = expr::parse_update(&text, &mut Context::new(None, None));
        let _ = item::partiql::parse(&text);
    }

    #[test]
    fn statements_parse_or_fail_cleanly(text in statement_text()) {
        let _ = item::partiql::parse(&text);
    }
}

/// Every way a request's expression is parsed, on `text`; whether the first parse took it.
fn parse_expression(text: &str) -> bool {
    // Every placeholder the text names is given (#n, and :v as a string).
    let mut names = HashMap::from([("#n".to_string(), "n".to_string())]);
    let mut values = HashMap::from([(":v".to_string(), Value::N("1".parse().unwrap()))]);
    let mut rest = text;
    while let Some(at) = rest.find(['#', ':']) {
        let len = rest[at + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len() - at - 1);
        let token = &rest[at..at + 1 + len];
        if let Some(name) = token.strip_prefix('#') {
            names.insert(token.to_string(), name.to_string());
        } else {
            values.insert(token.to_string(), Value::S("v".into()));
        }
        rest = &rest[at + 1 + len..];
    }
    let mut any = false;
    for kind in [
        ExprKind::ConditionExpression,
        ExprKind::KeyConditionExpression,
    ] {
        let ctx = &mut Context::new(Some(&names), Some(&values));
        any |= expr::parse_condition(text, ctx, kind).is_ok();
    }
    any |= expr::parse_update(text, &mut Context::new(Some(&names), Some(&values))).is_ok();
    any |= expr::parse_projection(text, &mut Context::new(Some(&names), Some(&values))).is_ok();
    any
}

/// A wire item's line through both item codecs; whether it was an item.
fn through_codecs(line: &[u8]) -> bool {
    let Ok(wire) = serde_json::from_slice::<serde_json::Value>(line) else {
        return false;
    };
    let Ok(item) = item::json::item_from_json(&wire) else {
        return false;
    };
    let mut packed = Vec::new();
    item::packed::pack_item(&item, &mut packed);
    assert_eq!(item::packed::unpack_item(&packed).unwrap(), item);
    assert_eq!(
        item::json::item_from_json(&item::json::item_to_json(&item)).unwrap(),
        item
    );
    true
}

const HERE: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn the_corpus_replays() {
    let expressions = corpus::lines(HERE, "expressions.txt");
    let parsed = expressions.iter().filter(|e| parse_expression(e)).count();
    // The corpus is mostly what the suite sends successfully: a parser that took nothing broke.
    assert!(
        parsed * 2 > expressions.len(),
        "{parsed} of {}",
        expressions.len()
    );
    let statements = corpus::lines(HERE, "statements.txt");
    let parsed = statements
        .iter()
        .filter(|s| item::partiql::parse(s).is_ok())
        .count();
    assert!(
        parsed * 2 > statements.len(),
        "{parsed} of {}",
        statements.len()
    );
    for line in corpus::lines(HERE, "items.jsonl") {
        assert!(through_codecs(line.as_bytes()), "{line}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn edited_expressions_parse_or_fail_cleanly(
        seed in prop::sample::select(corpus::lines(HERE, "expressions.txt")),
        edits in corpus::edits(),
    ) {
        parse_expression(&String::from_utf8_lossy(&corpus::apply(seed.as_bytes(), &edits)));
    }

    #[test]
    fn edited_statements_parse_or_fail_cleanly(
        seed in prop::sample::select(corpus::lines(HERE, "statements.txt")),
        edits in corpus::edits(),
    ) {
        // On a stack the size of the server's request threads, as the deep-statement test below
        // explains: an edit that repeats an opening bracket can nest close to the 200-level
        // bound, which a debug build's parser cannot reach on the harness's 2 MiB thread.
        let text = String::from_utf8_lossy(&corpus::apply(seed.as_bytes(), &edits)).into_owned();
        std::thread::Builder::new()
            .stack_size(8 * 1024 * 1024)
            .spawn(move || {
                let _ = item::partiql::parse(&text);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn edited_items_decode_or_fail_cleanly(
        seed in prop::sample::select(corpus::lines(HERE, "items.jsonl")),
        edits in corpus::edits(),
    ) {
        through_codecs(&corpus::apply(seed.as_bytes(), &edits));
        // The stored form, edited after packing.
        let wire: serde_json::Value = serde_json::from_str(&seed).unwrap();
        let mut packed = Vec::new();
        item::packed::pack_item(&item::json::item_from_json(&wire).unwrap(), &mut packed);
        let _ = item::packed::unpack_item(&corpus::apply(&packed, &edits));
    }
}

/// Edits are exercised by the properties; this pins what each does.
#[test]
fn edits_do_what_they_say() {
    assert_eq!(corpus::apply(b"abc", &[Edit::Cut(1)]), b"a");
    assert_eq!(corpus::apply(b"abc", &[Edit::Insert(4, b'x')]), b"xabc");
    assert_eq!(corpus::apply(b"abc", &[Edit::Remove(1, 5)]), b"a");
    assert_eq!(corpus::apply(b"[1]", &[Edit::Repeat(0, 1, 3)]), b"[[[[1]");
    assert_eq!(corpus::apply(b"a", &[Edit::Flip(3, 1)]), b"`");
}

#[test]
fn deep_conditions_are_refused_not_followed() {
    let deep = "(".repeat(5000) + "a = b" + &")".repeat(5000);
    assert!(expr::parse_condition(
        &deep,
        &mut Context::new(None, None),
        ExprKind::ConditionExpression
    )
    .is_err());
}

#[test]
fn deep_statements_are_refused_not_followed() {
    // On a stack the size of the server's request threads (8 MiB): a debug build's parser
    // needs about 10 KiB per level, more than the test harness's 2 MiB thread has for 200.
    let deep_stmt = format!(
        "SELECT * FROM t WHERE {}a = 1{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let refused = std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(move || item::partiql::parse(&deep_stmt).is_err())
        .unwrap()
        .join()
        .unwrap();
    assert!(refused);
}

#[test]
fn deep_items_are_refused_not_followed() {
    let mut v = Value::Null;
    for _ in 0..1000 {
        v = Value::L(vec![v]);
    }
    let mut packed = Vec::new();
    let deep = BTreeMap::from([("a".to_string(), v)]);
    item::packed::pack_item(&deep, &mut packed);
    // Lists as well as maps: reading a stored item never follows more than 256 levels.
    assert!(item::packed::unpack_item(&packed).is_err());
    std::mem::forget(deep); // dropping 1000 levels recursively is the test's problem, not ours
}
