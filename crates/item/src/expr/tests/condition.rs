//! Condition/filter expressions: syntax, AWS's validation messages and their precedence, and
//! evaluation.

use serde_json::json;

use super::*;
use crate::expr::{CompareOp, Operand, Path, PathElement};

const PREFIX: &str = "Invalid FilterExpression: ";

fn err(text: &str) -> String {
    filter_err(text, None, None)
}

fn err_with(text: &str, n: &[(&str, &str)], vals: Json) -> String {
    let n = names(n);
    let vals = values(vals);
    filter_err(text, Some(&n), Some(&vals))
}

fn ok_with(text: &str, n: &[(&str, &str)], vals: Json) -> Condition {
    let n = names(n);
    let vals = values(vals);
    match filter(text, Some(&n), Some(&vals)) {
        Ok(c) => c,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

/// Evaluates `text` (placeholders `#n…` and `:v…` given) against `it`.
fn eval(text: &str, n: &[(&str, &str)], vals: Json, it: Option<&Item>) -> bool {
    ok_with(text, n, vals).evaluate(it).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Syntax

#[test]
fn empty_expression() {
    assert_eq!(
        err(""),
        "Invalid FilterExpression: The expression can not be empty;"
    );
    assert_eq!(
        cond_kind(ExprKind::ConditionExpression, "", None, None).unwrap_err(),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
}

#[test]
fn oversized_expression() {
    let text = format!("a = :v{}", " ".repeat(4100));
    assert_eq!(
        err(&text),
        format!(
            "{PREFIX}Expression size has exceeded the maximum allowed size; expression size: {}",
            text.len()
        )
    );
}

#[test]
fn syntax_errors_from_dynalite() {
    for text in [
        "things are not gonna be ok",
        "a > 4",
        "attribute_exists(Pictures-RearView)",
        "attribute_exists(\"Pictures.RearView\")",
        "attribute_exists(Pictures..RearView)",
        "attribute_exists(Pi#ctures.RearView)",
        "attribute_exists(asdf[a])",
        "a.:a < b.:b",
        "a in b, c",
        "a > between",
        "a in b",
        "a in (b,c,)",
        "(a)between(b.(c.d))and(c)",
        "(a)between(b.c.d)and((c)",
        "#$.b > a",
        "a > :things.stuff",
        "b[:a] > a",
        "b[#_] > a",
        "ü > a",
        "(a)between(b.c[4.5].#d)and(:a)",
        "size(a).b > a",
        "(size(a)).b > a",
        "size(a)[0] > a",
        "(size(a))[0] > a",
        // More of the grammar's edges.
        "a",
        "(a)",
        "a = b c",
        "a = ",
        "a = b AND",
        "a BETWEEN b",
        "a IN ()",
        "attribute_type()",
        "_a = b",
        "a.between = b",
        "and = b",
        "(a = b",
        "a = b)",
        "a == b",
        "a != b",
        "a = 'x'",
    ] {
        let e = err(text);
        assert!(
            e.starts_with("Invalid FilterExpression: Syntax error; token: "),
            "{text:?}: {e}"
        );
    }
}

#[test]
fn syntax_error_token_and_near_text() {
    let cases = [
        ("foo", "<EOF>", "foo"),
        ("a = :v,", ",", ":v,"),
        ("contains (themes, :theme", "<EOF>", ":theme"),
        ("attribute_type()", ")", "()"),
        ("pk = :hashId a", "a", ":hashId a"),
        ("a > 4", "4", "> 4"),
        ("ü > a", "ü", "ü >"),
        ("a = b)", ")", "b)"),
        ("# = a", "#", "# ="),
        ("a = :", ":", "= :"),
        ("_a = :v", "_", "_a"),
        ("a == b", "=", "== b"),
        ("a = ", "<EOF>", "= "),
        ("size(a).b > a", ".", ").b"),
    ];
    for (text, token, near) in cases {
        assert_eq!(
            err(text),
            format!("{PREFIX}Syntax error; token: \"{token}\", near: \"{near}\""),
            "{text:?}"
        );
    }
    assert_eq!(
        cond_kind(ExprKind::ConditionExpression, "foo", None, None).unwrap_err(),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"foo\""
    );
}

#[test]
fn not_may_repeat() {
    // dynalite recorded `NOT NOT a = b` as a syntax error; AWS accepts it today (issue 26).
    let vals = json!({":a": {"N": "1"}});
    let it = item(json!({"x": {"N": "1"}}));
    assert!(!eval("NOT x = :a", &[], vals.clone(), Some(&it)));
    assert!(eval("NOT NOT x = :a", &[], vals.clone(), Some(&it)));
    assert!(!eval("NOT NOT NOT x = :a", &[], vals.clone(), Some(&it)));
    assert!(eval(
        "NOT NOT NOT (NOT x = :a)",
        &[],
        vals.clone(),
        Some(&it)
    ));
    assert!(eval("x = :a AND NOT NOT x = :a", &[], vals, Some(&it)));
    let e = err("NOT NOT");
    assert!(
        e.starts_with("Invalid FilterExpression: Syntax error; token: "),
        "{e}"
    );
}

#[test]
fn keywords_are_case_insensitive_and_spacing_is_free() {
    let vals = json!({":a": {"N": "1"}, ":b": {"N": "5"}});
    for text in [
        "x between :a and :b",
        "x BeTwEeN :a AnD :b",
        "(x)between(:a)and(:b)",
        "x\tBETWEEN\n:a\r\nAND :b",
        "x in (:a, :b)",
        "x IN(:a,:b)",
        "not x < :a",
        "x=:a or x=:b",
        "contains (x, :a)",
        "size ( x ) > :a",
    ] {
        ok_with(text, &[], vals.clone());
    }
}

#[test]
fn parenthesised_operands_and_grouped_paths() {
    let n = [("#d", "d")];
    let vals = json!({":a": {"N": "1"}});
    for text in [
        "(a)between(b.c[45].#d)and(:a)",
        "(a.b)[1] = :a",
        "((a).b) = :a",
        "(a) = (:a)",
        "(size(a)) > :a",
        "(a = :a) AND (NOT (b = :a))",
        "((a = :a) OR (b = :a))",
        "a = :a AND (b = :a OR c = :a)",
        "(attribute_exists(a))",
    ] {
        let n = names(&n);
        let vals = values(vals.clone());
        if let Err(e) = filter(text, Some(&n), Some(&vals)) {
            // `#d` or `:a` unused is fine here; any other problem is not.
            panic!("{text:?}: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks, in AWS's order of precedence

#[test]
fn redundant_parentheses() {
    for text in [
        "a=a and a > ((views))",
        "(a)between(((b.c)).d)and(c)",
        "a > whatever((:things), ((a)))",
        "a=a AND ((a=a AND a=a)) AND a=a",
        "a=a OR ((a=a OR a=a)) OR a=a",
        "a=a AND ((a=a AND (a=a AND a=a)))",
        "a=a OR ((a=a OR (a=a OR a=a)))",
        "((a = b))",
        "((attribute_exists(a)))",
        "((size(a))) > b",
    ] {
        assert_eq!(
            err(text),
            format!("{PREFIX}The expression has redundant parentheses;"),
            "{text:?}"
        );
    }
}

#[test]
fn invalid_function_names() {
    for (text, f) in [
        ("a=a and whatever((:things)) > a", "whatever"),
        ("attRIbute_exIsts((views), #a)", "attRIbute_exIsts"),
        ("if_not_exists(a, b)", "if_not_exists"),
    ] {
        assert_eq!(
            err(text),
            format!("{PREFIX}Invalid function name; function: {f}")
        );
    }
}

#[test]
fn functions_used_where_not_allowed() {
    for (text, f) in [
        (
            "a=a and attribute_exists((views), (#a)) > b",
            "attribute_exists",
        ),
        ("attribute_not_exists(things) > b", "attribute_not_exists"),
        ("attribute_type(things, :a) > b", "attribute_type"),
        ("begins_with(things, a) > b", "begins_with"),
        ("contains(:things, c) > b", "contains"),
        ("size(contains(a, b)) > a", "contains"),
        ("size(things)", "size"),
        (
            "a between b and attribute_exists(things)",
            "attribute_exists",
        ),
        ("a in (b, attribute_exists(things))", "attribute_exists"),
        ("NOT size(a)", "size"),
        ("a = b AND size(a)", "size"),
    ] {
        assert_eq!(
            err(text),
            format!("{PREFIX}The function is not allowed to be used this way in an expression; function: {f}"),
            "{text:?}"
        );
    }
}

#[test]
fn reserved_words() {
    for (text, w) in [
        ("attribute_exists(views, #a)", "views"),
        (":a < abOrT", "abOrT"),
        ("status = :v", "status"),
        ("a.b.Name = :v", "Name"),
    ] {
        assert_eq!(
            err(text),
            format!("{PREFIX}Attribute name is a reserved keyword; reserved keyword: {w}")
        );
    }
    // Through a placeholder a reserved word is fine.
    let c = ok_with("#s = :v", &[("#s", "status")], json!({":v": {"S": "x"}}));
    assert_eq!(
        c,
        Condition::Compare {
            op: CompareOp::Eq,
            left: Operand::Path(Path::attribute("status")),
            right: Operand::Value(v(json!({"S": "x"}))),
        }
    );
    assert_eq!(
        cond_kind(ExprKind::ConditionExpression, "status = :v", None, None).unwrap_err(),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
}

#[test]
fn undefined_names() {
    for (text, n) in [
        (
            "attribute_exists(#Pictures.RearView, :a) and a=a",
            "#Pictures",
        ),
        ("begins_with(Pictures.#RearView)", "#RearView"),
        ("(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"),
        ("#4g > a", "#4g"),
        ("#_ > a", "#_"),
        ("(a)between(b.c[45].#d)and(:a)", "#d"),
    ] {
        assert_eq!(
            err(text),
            format!("{PREFIX}An expression attribute name used in the document path is not defined; attribute name: {n}")
        );
    }
}

#[test]
fn undefined_values() {
    for (text, val) in [
        ("begins_with(:hello, #a, #b)", ":hello"),
        (":a < :b", ":a"),
        (":_ > a", ":_"),
    ] {
        assert_eq!(
            err(text),
            format!("{PREFIX}An expression attribute value used in expression is not defined; attribute value: {val}")
        );
    }
    assert_eq!(
        cond_kind(ExprKind::ConditionExpression, "a = :v", None, None).unwrap_err(),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"
    );
}

#[test]
fn wrong_operand_counts() {
    for (text, f, count) in [
        ("attribute_exists(things, a) and a=a", "attribute_exists", 2),
        ("attribute_not_exists(things, b)", "attribute_not_exists", 2),
        ("attribute_type(things)", "attribute_type", 1),
        ("begins_with(things)", "begins_with", 1),
        ("begins_with(things, size(a), b)", "begins_with", 3),
        ("contains(things)", "contains", 1),
        ("size(things, a) > b", "size", 2),
    ] {
        assert_eq!(
            err(text),
            format!("{PREFIX}Incorrect number of operands for operator or function; operator or function: {f}, number of operands: {count}")
        );
    }
}

#[test]
fn wrong_operand_types() {
    let cases: Vec<(&str, &str, Json)> = vec![
        (
            "attribute_type(a, size(a)) and a=a and a=:a",
            "attribute_type",
            json!({"N": "1"}),
        ),
        ("attribute_type(a, :a)", "attribute_type", json!({"N": "1"})),
        (
            "attribute_type(a, :a)",
            "attribute_type",
            json!({"B": "YQ=="}),
        ),
        (
            "attribute_type(a, :a)",
            "attribute_type",
            json!({"BOOL": true}),
        ),
        (
            "attribute_type(a, :a)",
            "attribute_type",
            json!({"NULL": true}),
        ),
        ("attribute_type(a, :a)", "attribute_type", json!({"L": []})),
        ("attribute_type(a, :a)", "attribute_type", json!({"M": {}})),
        (
            "attribute_type(a, :a)",
            "attribute_type",
            json!({"SS": ["1"]}),
        ),
        (
            "attribute_type(a, :a)",
            "attribute_type",
            json!({"NS": ["1"]}),
        ),
        (
            "attribute_type(a, :a)",
            "attribute_type",
            json!({"BS": ["YQ=="]}),
        ),
        (
            "begins_with(a, size(a)) and a=:a",
            "begins_with",
            json!({"N": "1"}),
        ),
        ("begins_with(a, :a)", "begins_with", json!({"N": "1"})),
        ("begins_with(a, :a)", "begins_with", json!({"BOOL": true})),
        ("begins_with(a, :a)", "begins_with", json!({"NULL": true})),
        ("begins_with(a, :a)", "begins_with", json!({"L": []})),
        ("begins_with(a, :a)", "begins_with", json!({"M": {}})),
        ("begins_with(a, :a)", "begins_with", json!({"SS": ["1"]})),
        ("begins_with(a, :a)", "begins_with", json!({"NS": ["1"]})),
        ("begins_with(a, :a)", "begins_with", json!({"BS": ["YQ=="]})),
        ("begins_with(:a, a)", "begins_with", json!({"N": "1"})),
        ("begins_with(:a, a)", "begins_with", json!({"BOOL": true})),
        ("begins_with(:a, a)", "begins_with", json!({"SS": ["1"]})),
        ("size(size(a)) > :a", "size", json!({"N": "1"})),
        ("attribute_not_exists(size(:a))", "size", json!({"N": "1"})),
        ("size(:a) > a", "size", json!({"BOOL": true})),
        ("size(:a) > a", "size", json!({"NULL": true})),
    ];
    for (text, f, val) in cases {
        let t = val.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(
            err_with(text, &[], json!({":a": val})),
            format!("{PREFIX}Incorrect operand type for operator or function; operator or function: {f}, operand type: {t}"),
            "{text:?}"
        );
    }
    assert_eq!(
        err("attribute_type(ab.bc[1].a, SS)"),
        format!("{PREFIX}Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {{NS,SS,L,BS,N,M,B,BOOL,NULL,S}}")
    );
}

#[test]
fn attribute_type_names() {
    assert_eq!(
        err_with("attribute_type(a, :a)", &[], json!({":a": {"S": "1"}})),
        format!("{PREFIX}Invalid attribute type name found; type: 1, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}")
    );
    for t in ["S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"] {
        ok_with("attribute_type(a, :a)", &[], json!({":a": {"S": t}}));
    }
}

#[test]
fn functions_needing_paths() {
    for (text, f) in [
        ("attribute_exists(:a) and a=a", "attribute_exists"),
        ("attribute_not_exists(size(:a))", "attribute_not_exists"),
    ] {
        assert_eq!(
            err_with(text, &[], json!({":a": {"S": "1"}})),
            format!(
                "{PREFIX}Operator or function requires a document path; operator or function: {f}"
            )
        );
    }
}

#[test]
fn operands_must_be_distinct() {
    for (text, op, path) in [
        ("a = a AND #a = b AND :views > a", "=", "[a]"),
        ("#a <> a", "<>", "[a]"),
        ("a > #a", ">", "[a]"),
        ("((a=a) OR (a=a))", "=", "[a]"),
        ("((a=a) AND (a=a))", "=", "[a]"),
        (
            "contains(ab.bc[1].a, ab.bc[1].#a)",
            "contains",
            "[ab, bc, [1], a]",
        ),
        (
            "attribute_type(ab.bc[1].#a, ab.bc[1].a)",
            "attribute_type",
            "[ab, bc, [1], a]",
        ),
        (
            "begins_with(ab.bc[1].a, ab.bc[1].#a)",
            "begins_with",
            "[ab, bc, [1], a]",
        ),
    ] {
        let n = names(&[("#a", "a")]);
        assert_eq!(
            filter_err(text, Some(&n), None),
            format!("{PREFIX}The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {path}"),
            "{text:?}"
        );
    }
    // Two literals may be equal.
    ok_with(":a > :a", &[], json!({":a": {"N": "1"}}));
}

#[test]
fn between_bounds() {
    assert_eq!(
        err_with("a BETWEEN :lo AND :hi", &[], json!({":lo": {"N": "1"}, ":hi": {"S": "a"}})),
        format!("{PREFIX}The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {{N:1}}, upper bound operand: AttributeValue: {{S:a}}")
    );
    assert_eq!(
        err_with("a BETWEEN :lo AND :hi", &[], json!({":lo": {"N": "5"}, ":hi": {"N": "1.50"}})),
        format!("{PREFIX}The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{N:5}}, upper bound operand: AttributeValue: {{N:1.5}}")
    );
    ok_with(
        "a BETWEEN :lo AND :hi",
        &[],
        json!({":lo": {"S": "a"}, ":hi": {"S": "a"}}),
    );
}

#[test]
fn precedence_of_problems() {
    // Redundant parentheses beat an unknown function.
    assert_eq!(
        err("whatever(((a))) > b"),
        format!("{PREFIX}The expression has redundant parentheses;")
    );
    // Unknown function beats misuse, reserved words and undefined placeholders.
    assert_eq!(
        err("contains(a, b) = c AND foo(#x) AND status = :v"),
        format!("{PREFIX}Invalid function name; function: foo")
    );
    // Misuse beats reserved words.
    assert_eq!(
        err("status = :v AND contains(a, b) = c"),
        format!("{PREFIX}The function is not allowed to be used this way in an expression; function: contains")
    );
    // Reserved words beat per-condition problems, wherever they are.
    assert_eq!(
        err("a = :v AND status = b"),
        format!("{PREFIX}Attribute name is a reserved keyword; reserved keyword: status")
    );
    // The first condition with a problem decides; within it, undefined placeholders come first.
    assert_eq!(
        err("a = a AND b = :v"),
        format!("{PREFIX}The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]")
    );
    assert_eq!(
        err("#x = #x"),
        format!("{PREFIX}An expression attribute name used in the document path is not defined; attribute name: #x")
    );
}

#[test]
fn in_limit_and_operator_limit() {
    let list: Vec<String> = (0..101).map(|i| format!(":v{i}")).collect();
    assert_eq!(
        err(&format!("a IN ({})", list.join(","))),
        format!(
            "{PREFIX}The IN operator is provided with too many operands; number of operands: 101"
        )
    );
    let mut vals = serde_json::Map::new();
    for k in list.iter().take(100) {
        vals.insert(k.clone(), json!({"N": "1"}));
    }
    ok_with(
        &format!("a IN ({})", list[..100].join(",")),
        &[],
        Json::Object(vals),
    );

    let many = vec!["a = :v"; 151].join(" OR ");
    assert_eq!(
        err(&many),
        format!("{PREFIX}The expression contains too many operators; operator count: 301")
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowing() {
    let text = format!("{}a = :v{}", "NOT (".repeat(400), ")".repeat(400));
    assert!(err(&text).contains("Syntax error"));
    let ok = format!("{}a = :v{}", "NOT (".repeat(250), ")".repeat(250));
    ok_with(&ok, &[], json!({":v": {"N": "1"}}));
}

// ---------------------------------------------------------------------------------------------
// Tree shape

#[test]
fn precedence_not_and_or() {
    let vals = json!({":x": {"N": "1"}});
    let c = ok_with("a = :x OR b = :x AND NOT c = :x", &[], vals);
    let cmp = |p: &str| Condition::Compare {
        op: CompareOp::Eq,
        left: Operand::Path(Path::attribute(p)),
        right: Operand::Value(v(json!({"N": "1"}))),
    };
    assert_eq!(
        c,
        Condition::Or(
            Box::new(cmp("a")),
            Box::new(Condition::And(
                Box::new(cmp("b")),
                Box::new(Condition::Not(Box::new(cmp("c"))))
            ))
        )
    );
}

#[test]
fn paths_resolve_names_and_indexes() {
    let c = ok_with(
        "attribute_exists(#a.b[2][10].#c)",
        &[("#a", "x.y"), ("#c", "status")],
        json!({}),
    );
    let p = Path::from_elements(vec![
        PathElement::Name("x.y".into()),
        PathElement::Name("b".into()),
        PathElement::Index(2),
        PathElement::Index(10),
        PathElement::Name("status".into()),
    ])
    .unwrap();
    assert_eq!(c, Condition::AttributeExists(p));
}

// ---------------------------------------------------------------------------------------------
// Evaluation

fn sample() -> Item {
    item(json!({
        "s": {"S": "hello"},
        "n": {"N": "10"},
        "b": {"B": "AQIDBA=="},
        "t": {"BOOL": true},
        "z": {"NULL": true},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": ["AQ==", "Ag=="]},
        "l": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"k": {"S": "deep"}}}]},
        "m": {"M": {"inr": {"M": {"v": {"N": "-3"}}}, "lst": {"L": [{"N": "7"}]}}},
        "u": {"S": "é𝄞"}
    }))
}

#[test]
fn comparisons() {
    let it = sample();
    let t = |text: &str, vals: Json| eval(text, &[], vals, Some(&it));
    assert!(t("s = :v", json!({":v": {"S": "hello"}})));
    assert!(!t("s = :v", json!({":v": {"S": "Hello"}})));
    assert!(t("n = :v", json!({":v": {"N": "1E1"}})));
    assert!(
        !t("n = :v", json!({":v": {"S": "10"}})),
        "different types are not equal"
    );
    assert!(t("n <> :v", json!({":v": {"S": "10"}})));
    assert!(t("n < :v", json!({":v": {"N": "10.5"}})));
    assert!(t("n <= :v", json!({":v": {"N": "10"}})));
    assert!(t("n > :v", json!({":v": {"N": "-11"}})));
    assert!(t("n >= :v", json!({":v": {"N": "10"}})));
    assert!(
        !t("n < :v", json!({":v": {"S": "z"}})),
        "type mismatch is false, not an error"
    );
    assert!(!t("n > :v", json!({":v": {"S": "z"}})));
    assert!(t("s < :v", json!({":v": {"S": "hellp"}})));
    assert!(
        t("s > :v", json!({":v": {"S": "Z"}})),
        "strings compare by bytes"
    );
    assert!(t("b > :v", json!({":v": {"B": "AQID"}})));
    assert!(
        t("ss = :v", json!({":v": {"SS": ["y", "x"]}})),
        "sets compare as sets"
    );
    assert!(t("ns = :v", json!({":v": {"NS": ["2.50", "1"]}})));
    assert!(!t("ss = :v", json!({":v": {"SS": ["x"]}})));
    assert!(t("t = :v", json!({":v": {"BOOL": true}})));
    assert!(t("z = :v", json!({":v": {"NULL": true}})));
    assert!(t("m.inr.v = :v", json!({":v": {"N": "-3"}})));
    assert!(t("l[2].k = :v", json!({":v": {"S": "deep"}})));
    assert!(t("m.lst[0] > l[1]", json!({})));
    assert!(!t("l[3] = :v", json!({":v": {"S": "a"}})));
    assert!(t(
        "l = :v",
        json!({":v": {"L": [{"S": "a"}, {"N": "1.0"}, {"M": {"k": {"S": "deep"}}}]}})
    ));
    // Missing attributes: comparisons are false, `<>` holds.
    assert!(!t("nope = :v", json!({":v": {"S": "x"}})));
    assert!(t("nope <> :v", json!({":v": {"S": "x"}})));
    assert!(!t("nope < :v", json!({":v": {"S": "x"}})));
    assert!(!t("nope = nothing", json!({})));
}

#[test]
fn between_and_in() {
    let it = sample();
    let t = |text: &str, vals: Json| eval(text, &[], vals, Some(&it));
    let range = json!({":lo": {"N": "5"}, ":hi": {"N": "10"}});
    assert!(t("n BETWEEN :lo AND :hi", range.clone()));
    assert!(!t("nope BETWEEN :lo AND :hi", range.clone()));
    assert!(!t("s BETWEEN :lo AND :hi", range));
    assert!(t(
        "s BETWEEN :lo AND :hi",
        json!({":lo": {"S": "h"}, ":hi": {"S": "i"}})
    ));
    assert!(t(
        "n IN (:a, :b)",
        json!({":a": {"S": "10"}, ":b": {"N": "10.0"}})
    ));
    assert!(!t(
        "n IN (:a, :b)",
        json!({":a": {"S": "10"}, ":b": {"N": "11"}})
    ));
    assert!(t("ss IN (:a)", json!({":a": {"SS": ["y", "x"]}})));
    assert!(!t("nope IN (:a)", json!({":a": {"S": "x"}})));
    assert!(t("n IN (nope, n)", json!({})));
}

#[test]
fn functions() {
    let it = sample();
    let t = |text: &str, vals: Json| eval(text, &[], vals, Some(&it));
    assert!(t("attribute_exists(m.inr.v)", json!({})));
    assert!(!t("attribute_exists(m.inr.w)", json!({})));
    assert!(t("attribute_not_exists(l[5])", json!({})));
    assert!(t("attribute_exists(z)", json!({})), "NULL values exist");
    for (path, ty) in [
        ("s", "S"),
        ("n", "N"),
        ("b", "B"),
        ("t", "BOOL"),
        ("z", "NULL"),
        ("ss", "SS"),
        ("ns", "NS"),
        ("bs", "BS"),
        ("l", "L"),
        ("m", "M"),
    ] {
        assert!(
            t(
                &format!("attribute_type({path}, :t)"),
                json!({":t": {"S": ty}})
            ),
            "{path}"
        );
        if ty != "S" {
            assert!(!t(
                &format!("attribute_type({path}, :t)"),
                json!({":t": {"S": "S"}})
            ));
        }
    }
    assert!(!t("attribute_type(nope, :t)", json!({":t": {"S": "S"}})));
    assert!(t("begins_with(s, :p)", json!({":p": {"S": "hel"}})));
    assert!(!t("begins_with(s, :p)", json!({":p": {"S": "el"}})));
    assert!(t("begins_with(b, :p)", json!({":p": {"B": "AQI="}})));
    assert!(!t("begins_with(n, :p)", json!({":p": {"S": "1"}})));
    assert!(t("contains(s, :p)", json!({":p": {"S": "ell"}})));
    assert!(t("contains(ss, :p)", json!({":p": {"S": "y"}})));
    assert!(!t("contains(ss, :p)", json!({":p": {"S": "xy"}})));
    assert!(t("contains(ns, :p)", json!({":p": {"N": "2.50"}})));
    assert!(t("contains(bs, :p)", json!({":p": {"B": "Ag=="}})));
    assert!(t("contains(b, :p)", json!({":p": {"B": "AgM="}})));
    assert!(t("contains(l, :p)", json!({":p": {"N": "1"}})));
    assert!(t(
        "contains(l, :p)",
        json!({":p": {"M": {"k": {"S": "deep"}}}})
    ));
    assert!(!t("contains(ns, :p)", json!({":p": {"S": "1"}})));
    assert!(!t("contains(nope, :p)", json!({":p": {"S": "1"}})));
}

#[test]
fn size_function() {
    let it = sample();
    let t = |text: &str, vals: Json| eval(text, &[], vals, Some(&it));
    for (path, n) in [
        ("s", 5),
        ("b", 4),
        ("ss", 2),
        ("ns", 2),
        ("bs", 2),
        ("l", 3),
        ("m", 2),
        ("u", 3),
    ] {
        assert!(
            t(
                &format!("size({path}) = :n"),
                json!({":n": {"N": n.to_string()}})
            ),
            "{path}"
        );
    }
    assert!(
        !t("size(n) = :n", json!({":n": {"N": "2"}})),
        "numbers have no size"
    );
    assert!(t("size(n) <> :n", json!({":n": {"N": "2"}})));
    assert!(!t("size(nope) >= :n", json!({":n": {"N": "0"}})));
    assert!(t("size(l) > size(ss)", json!({})));
    assert!(t(
        "size(:v) = :n",
        json!({":v": {"S": "abc"}, ":n": {"N": "3"}})
    ));
}

#[test]
fn logic() {
    let it = sample();
    let t = |text: &str| eval(text, &[], json!({":v": {"N": "10"}}), Some(&it));
    assert!(t("n = :v AND attribute_exists(s)"));
    assert!(!t("n = :v AND attribute_exists(q)"));
    assert!(t("n <> :v OR attribute_exists(s)"));
    assert!(t("NOT n < :v"));
    assert!(t("NOT (n < :v OR attribute_exists(q))"));
    assert!(t("attribute_exists(q) AND n = :v OR n = :v"));
    assert!(!t("attribute_exists(q) AND (n = :v OR n = :v)"));
}

#[test]
fn no_item() {
    let t = |text: &str| eval(text, &[], json!({":v": {"N": "10"}}), None);
    assert!(t("attribute_not_exists(a)"));
    assert!(!t("attribute_exists(a)"));
    assert!(!t("a = :v"));
    assert!(!t("a < :v"));
    assert!(t("a <> :v"));
    assert!(!eval(
        "begins_with(a, :p)",
        &[],
        json!({":p": {"S": "x"}}),
        None
    ));
    assert!(!t("size(a) > :v"));
    assert!(t("NOT a = :v"));
    assert!(t(":v = :v"));
}

#[test]
fn attribute_names_read() {
    let c = ok_with(
        "a.b = :v AND (size(c[1]) > :v OR NOT begins_with(#d, :s)) AND a = :v AND e IN (f, :v) AND attribute_exists(g.h)",
        &[("#d", "d")],
        json!({":v": {"N": "1"}, ":s": {"S": "x"}}),
    );
    assert_eq!(c.attribute_names(), vec!["a", "c", "d", "e", "f", "g"]);
}

#[test]
fn ordering_needs_orderable_literals() {
    for (text, op, val) in [
        ("a < :x", "<", json!({"L": [{"N": "1"}]})),
        (":x <= a", "<=", json!({"M": {}})),
        ("a > :x", ">", json!({"BOOL": true})),
        ("size(a) >= :x", ">=", json!({"NULL": true})),
        ("a BETWEEN :x AND :x", "BETWEEN", json!({"SS": ["a"]})),
        ("a < :x", "<", json!({"NS": ["1"]})),
    ] {
        let t = val.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(
            err_with(text, &[], json!({":x": val})),
            format!("{PREFIX}Incorrect operand type for operator or function; operator or function: {op}, operand type: {t}"),
            "{text:?}"
        );
    }
    // Equality takes any type; an item's attribute of another type is just not ordered.
    ok_with(
        "a = :x AND a <> :x AND a IN (:x)",
        &[],
        json!({":x": {"L": []}}),
    );
    let it = item(json!({"l": {"L": []}}));
    assert!(!eval("l < :x", &[], json!({":x": {"N": "1"}}), Some(&it)));
}
