//! Property tests over the decoders and parsers a request reaches: whatever the input, they
//! answer (a value or an error) and never panic or overflow the stack; items survive their
//! stored form unchanged. proptest, because it runs on the stable toolchain this project has
//! (cargo-fuzz and bolero's fuzzing engines need nightly), shrinks a failure to a small case,
//! and keeps the cases that once failed in `proptest-regressions/`, committed, which every
//! later run replays. CI runs the default 256 cases per property (`PROPTEST_CASES` raises it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};

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
    // Lists as well as maps: reading a stored item never follows more than 64 levels.
    assert!(item::packed::unpack_item(&packed).is_err());
    std::mem::forget(deep); // dropping 1000 levels recursively is the test's problem, not ours
}
