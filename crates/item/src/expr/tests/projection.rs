//! Projection expressions and AttributesToGet.

use serde_json::json;

use super::*;
use crate::expr::projection_from_attributes_to_get;

const PREFIX: &str = "Invalid ProjectionExpression: ";

fn err(text: &str, n: &[(&str, &str)]) -> String {
    let n = names(n);
    match projection(text, Some(&n)) {
        Ok(p) => panic!("{text:?} parsed: {p:?}"),
        Err(e) => e,
    }
}

fn ok(text: &str, n: &[(&str, &str)]) -> Projection {
    let n = names(n);
    match projection(text, Some(&n)) {
        Ok(p) => p,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

#[test]
fn syntax() {
    assert_eq!(
        err("", &[]),
        "Invalid ProjectionExpression: The expression can not be empty;"
    );
    for (text, token, near) in [
        ("a,", "<EOF>", ","),
        ("a b", "b", "a b"),
        ("l[a]", "a", "[a]"),
        ("a.", "<EOF>", "."),
        ("(a)", "(", "(a"),
        ("a[]", "]", "[]"),
        (":a", ":a", ":a"),
        ("a = b", "=", "a = b"),
        ("a, _x", "_", ", _x"),
        ("1a", "1", "1a"),
    ] {
        assert_eq!(
            err(text, &[]),
            format!("{PREFIX}Syntax error; token: \"{token}\", near: \"{near}\""),
            "{text:?}"
        );
    }
    ok(
        "a, b.c, d[1][2].e, x_1, #n, #_",
        &[("#n", "n"), ("#_", "u")],
    );
    ok(" a ,b ", &[]);
}

#[test]
fn checks_in_order() {
    assert_eq!(
        err("a, Size", &[]),
        format!("{PREFIX}Attribute name is a reserved keyword; reserved keyword: Size")
    );
    assert_eq!(
        err("#x, a, a", &[]),
        format!("{PREFIX}An expression attribute name used in the document path is not defined; attribute name: #x")
    );
    assert_eq!(
        err("a, b, a.c, b[1], b.d", &[]),
        format!("{PREFIX}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, c]")
    );
    assert_eq!(
        err("b[1], b.d", &[]),
        format!("{PREFIX}Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [b, [1]], path two: [b, d]")
    );
    // Reserved words beat undefined names, which beat overlaps.
    assert_eq!(
        err("a, a, #x, name", &[]),
        format!("{PREFIX}Attribute name is a reserved keyword; reserved keyword: name")
    );
}

#[test]
fn apply_keeps_nesting_and_compacts_lists() {
    let it = item(json!({
        "a": {"S": "x"},
        "b": {"M": {"c": {"N": "1"}, "d": {"N": "2"}, "e": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]}}},
        "l": {"L": [{"M": {"x": {"S": "0"}, "y": {"S": "0y"}}}, {"S": "one"}, {"M": {"x": {"S": "2"}}}]},
        "status": {"S": "s"}
    }));
    let p = ok(
        "b.e[3], a, b.c, l[2].x, l[0].y, b.e[1], nope, b.zz, l[9], #s",
        &[("#s", "status")],
    );
    assert_eq!(
        p.apply(&it),
        item(json!({
            "a": {"S": "x"},
            "b": {"M": {"c": {"N": "1"}, "e": {"L": [{"N": "1"}, {"N": "3"}]}}},
            "l": {"L": [{"M": {"y": {"S": "0y"}}}, {"M": {"x": {"S": "2"}}}]},
            "status": {"S": "s"}
        }))
    );
    assert_eq!(p.top_level_names(), vec!["b", "a", "l", "nope", "status"]);
    // Nothing selected: an empty item.
    assert_eq!(ok("zz.y", &[]).apply(&it), Item::new());
    // A path through the wrong type selects nothing.
    assert_eq!(ok("a.b", &[]).apply(&it), Item::new());
    assert_eq!(ok("a[0]", &[]).apply(&it), Item::new());
}

#[test]
fn attributes_to_get() {
    let p = projection_from_attributes_to_get(&["status".to_string(), "a.b".to_string()]).unwrap();
    let it = item(json!({"status": {"S": "x"}, "a.b": {"N": "1"}, "a": {"M": {"b": {"N": "2"}}}}));
    assert_eq!(
        p.apply(&it),
        item(json!({"status": {"S": "x"}, "a.b": {"N": "1"}}))
    );
    assert_eq!(
        projection_from_attributes_to_get(&["a".to_string(), "b".to_string(), "a".to_string()])
            .unwrap_err()
            .message,
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );
}
