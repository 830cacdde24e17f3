//! Update expressions: syntax, AWS's validation messages, and applying them to items.

use serde_json::json;

use super::*;
use crate::expr::{Path, SetValue, UpdateAction, UpdateOperand};

const PREFIX: &str = "Invalid UpdateExpression: ";

fn parse_ok(text: &str, n: &[(&str, &str)], vals: Json) -> Update {
    let n = names(n);
    let vals = values(vals);
    match update(text, Some(&n), Some(&vals)) {
        Ok(u) => u,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

fn err_with(text: &str, n: &[(&str, &str)], vals: Json) -> String {
    let n = names(n);
    let vals = values(vals);
    update_err(text, Some(&n), Some(&vals))
}

/// Applies `text` to `start`, returning the new item or AWS's message.
fn apply(text: &str, n: &[(&str, &str)], vals: Json, start: Json) -> Result<Item, String> {
    let u = parse_ok(text, n, vals);
    let mut it = item(start);
    let before = it.clone();
    match u.apply(&mut it) {
        Ok(()) => Ok(it),
        Err(e) => {
            assert_eq!(it, before, "a failed update leaves the item alone");
            Err(e.message)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax

#[test]
fn empty_expression() {
    assert_eq!(
        update_err("", None, None),
        "Invalid UpdateExpression: The expression can not be empty;"
    );
}

#[test]
fn syntax_errors_from_dynalite() {
    for text in [
        "whatever",
        "set a",
        "add a",
        "delete a",
        "set a=set",
        "remove a = b",
        "add a = b",
        "delete a = b",
        "delete a b",
        "delete a if_not_exist(b)",
        "add abort b",
        "add a if_not_exist(b)",
        "remove a b",
        "set a b",
        "set :a = b",
        "add :a b",
        "delete :a b",
        "remove :a",
        "set a = b / c",
        "set a = b * c",
        "set a[1] = \"eight\"",
        "set a[1] = 1",
        "SET a = if_not_exist(a, 100)",
        "SET if_not_exist(a, b) = a",
        "set (a = (b + c))",
        "set a = (b.c).d + e",
        "set a = (b.c)[0] + e",
        "set a = b + c + d",
        // More edges.
        "SET",
        "SET a = :v,",
        "SET a = :v REMOVE",
        "SET a = (((b)))",
        "SET a = list_append()",
        "SET a.b. = :v",
        "SET a[] = :v",
        "SET a[x] = :v",
        "REMOVE a,",
        "set a = #",
        "SET a[:xyz] = :v",
        "SET a[#xyz] = :v",
        "HELLO b = :val1",
        "SET a = :a REMOVE a SET b = :b",
    ] {
        let e = update_err(text, None, None);
        assert!(
            e.starts_with("Invalid UpdateExpression: Syntax error; token: ")
                || (text == "SET a = :a REMOVE a SET b = :b" && e.contains("\"SET\" section")),
            "{text:?}: {e}"
        );
    }
}

#[test]
fn syntax_error_token_and_near_text() {
    for (text, token, near) in [
        ("SET", "<EOF>", "SET"),
        ("SET a", "<EOF>", "a"),
        ("SET a = :v,", "<EOF>", ","),
        ("SET a = :a +", "<EOF>", "+"),
        ("SET path = VALUE 1", "1", "VALUE 1"),
        ("ADD numx 1", "1", "numx 1"),
        ("DELETE setx", "<EOF>", "setx"),
        ("SET a = list_append(a, 0)", "0", ", 0)"),
        ("SET a = b * c", "*", "b * c"),
        ("whatever", "whatever", "whatever"),
        ("SET _123 = :val1", "_", "SET _123"),
        ("SET a = _f(b,c,d)", "_", "= _f"),
        ("SET a = :", ":", "= :"),
        ("SET # = :v", "#", "SET # ="),
        ("SET c = if_not_exists(c, :val1+:val2)", "+", ":val1+:val2"),
    ] {
        assert_eq!(
            update_err(text, None, None),
            format!("{PREFIX}Syntax error; token: \"{token}\", near: \"{near}\""),
            "{text:?}"
        );
    }
}

#[test]
fn parenthesised_values() {
    let vals = json!({":a": {"N": "1"}});
    for text in [
        "SET x = (:a)",
        "SET x = (:a + :a)",
        "SET x = (:a) + (:a)",
        "SET x = ((:a) + (y))",
        "set b.c=((c[1])+(b.a))",
        "SET x = if_not_exists(x, :a) + :a",
        "SET x = (if_not_exists(x, :a)) - :a",
        "SET x = list_append((y), (z))",
        "SET x=:a,y=:a REMOVE z ADD w :a",
        "set x = :a remove y",
    ] {
        parse_ok(text, &[], vals.clone());
    }
}

#[test]
fn parsed_tree() {
    let u = parse_ok(
        "SET a.b[1] = if_not_exists(#c, :v) + :n REMOVE d[0] ADD e :n DELETE f :s",
        &[("#c", "c")],
        json!({":v": {"N": "0"}, ":n": {"N": "1"}, ":s": {"SS": ["x"]}}),
    );
    let path = |text: &str| {
        let mut ctx = crate::expr::Context::empty();
        crate::expr::parse_projection(text, &mut ctx)
            .unwrap()
            .paths()[0]
            .clone()
    };
    assert_eq!(
        u.actions(),
        &[
            UpdateAction::Set(
                path("a.b[1]"),
                SetValue::Plus(
                    UpdateOperand::IfNotExists(
                        Path::attribute("c"),
                        Box::new(UpdateOperand::Value(v(json!({"N": "0"}))))
                    ),
                    UpdateOperand::Value(v(json!({"N": "1"})))
                )
            ),
            UpdateAction::Remove(path("d[0]")),
            UpdateAction::Add(Path::attribute("e"), v(json!({"N": "1"}))),
            UpdateAction::Delete(Path::attribute("f"), v(json!({"SS": ["x"]}))),
        ]
    );
    assert_eq!(u.touched_attributes(), vec!["a", "d", "e", "f"]);
    assert_eq!(u.paths().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// Checks, in AWS's order of precedence

#[test]
fn reserved_words() {
    for (text, w) in [
        (" set #c = :c set abOrt = true ", "abOrt"),
        (" remove Absolute ", "Absolute"),
        ("SET a = :a, b = status", "status"),
    ] {
        assert_eq!(
            err_with(
                text,
                &[("#a", "a"), ("#b", "b")],
                json!({":a": {"S": "a"}, ":b": {"S": "a"}})
            ),
            format!("{PREFIX}Attribute name is a reserved keyword; reserved keyword: {w}")
        );
    }
}

#[test]
fn invalid_function_names() {
    assert_eq!(
        err_with(
            "set #c = if_not_exist(:c) set c = d",
            &[("#a", "a"), ("#b", "b")],
            json!({":a": {"S": "a"}})
        ),
        format!("{PREFIX}Invalid function name; function: if_not_exist")
    );
    assert_eq!(
        err_with("SET a = size(b)", &[], json!({})),
        format!("{PREFIX}Invalid function name; function: size")
    );
}

#[test]
fn each_clause_once() {
    for (text, clause) in [
        ("set a = #c set c = :d", "SET"),
        ("remove #d set a = b remove e", "REMOVE"),
        ("add #d :e set a = b add e :f", "ADD"),
        ("delete #d :e set a = b delete #e :f", "DELETE"),
    ] {
        assert_eq!(
            err_with(text, &[("#a", "a"), ("#b", "b")], json!({":a": {"S": "a"}})),
            format!(
                "{PREFIX}The \"{clause}\" section can only be used once in an update expression;"
            )
        );
    }
}

#[test]
fn undefined_placeholders() {
    let n = [("#a", "a"), ("#b", "b")];
    let vals = json!({":a": {"S": "a"}, ":b": {"S": "a"}});
    assert_eq!(
        err_with("SET #c = if_not_exists(:c)", &n, vals.clone()),
        format!("{PREFIX}An expression attribute name used in the document path is not defined; attribute name: #c")
    );
    assert_eq!(
        err_with("SET #a = if_not_exists(:c)", &n, vals.clone()),
        format!("{PREFIX}An expression attribute value used in expression is not defined; attribute value: :c")
    );
    // Names are reported before values, wherever they appear.
    assert_eq!(
        err_with("SET a = :zz, #zz = b", &n, vals),
        format!("{PREFIX}An expression attribute name used in the document path is not defined; attribute name: #zz")
    );
}

#[test]
fn overlapping_paths() {
    let n = [("#c", "c"), ("#d", "[3]")];
    for (text, one, two) in [
        (
            "set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)",
            "[c, [1], a]",
            "[c]",
        ),
        ("set c.b.#c = a, c = a, #d = a", "[c, b, c]", "[c]"),
        ("set a = b remove a, #c, #d", "[a]", "[a]"),
        ("set #c[3].#d = a, #c[3] = a", "[c, [3], [3]]", "[c, [3]]"),
        ("remove c, #c.a, #d", "[c]", "[c, a]"),
        ("remove a, #c, a, #d", "[a]", "[a]"),
    ] {
        assert_eq!(
            err_with(text, &n, json!({})),
            format!("{PREFIX}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"),
            "{text:?}"
        );
    }
}

#[test]
fn conflicting_paths() {
    let n = [("#b", "b"), ("#c", "c"), ("#d", "[3]")];
    for (text, one, two) in [
        (
            "set #c[3].#d = a, #c.#d[3] = if_not_exists(a)",
            "[c, [3], [3]]",
            "[c, [3], [3]]",
        ),
        ("remove a.#c set a[1] = #d", "[a, c]", "[a, [1]]"),
    ] {
        assert_eq!(
            err_with(text, &n, json!({})),
            format!("{PREFIX}Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}")
        );
    }
}

#[test]
fn add_and_delete_operand_types() {
    for (text, val, op, ty) in [
        (
            "set b = list_append(:a, a), c = if_not_exists(a) add a.b :a",
            json!({"S": "a"}),
            "ADD",
            "STRING",
        ),
        ("delete a.b :a", json!({"S": "a"}), "DELETE", "STRING"),
        ("add a.b :a", json!({"NULL": true}), "ADD", "NULL"),
        ("delete a.b :a", json!({"NULL": true}), "DELETE", "NULL"),
        ("add a.b :a", json!({"BOOL": false}), "ADD", "BOOLEAN"),
        ("delete a.b :a", json!({"BOOL": false}), "DELETE", "BOOLEAN"),
        ("add a.b :a", json!({"B": "YQ=="}), "ADD", "BINARY"),
        ("delete a.b :a", json!({"B": "YQ=="}), "DELETE", "BINARY"),
        (
            "add a.b :a",
            json!({"M": {"a": {"L": [{"N": "1"}]}}}),
            "ADD",
            "MAP",
        ),
        (
            "delete a.b :a",
            json!({"M": {"a": {"L": [{"N": "1"}]}}}),
            "DELETE",
            "MAP",
        ),
        ("add a.b :a", json!({"L": [{"N": "1"}]}), "ADD", "LIST"),
        (
            "delete a.b :a",
            json!({"L": [{"N": "1"}]}),
            "DELETE",
            "LIST",
        ),
        ("delete a.b :a", json!({"N": "1"}), "DELETE", "NUMBER"),
    ] {
        assert_eq!(
            err_with(text, &[], json!({":a": val, ":b": {"S": "a"}})),
            format!("{PREFIX}Incorrect operand type for operator or function; operator: {op}, operand type: {ty}"),
            "{text:?}"
        );
    }
}

#[test]
fn function_operand_counts_and_paths() {
    let vals = json!({":a": {"S": "a"}, ":b": {"S": "a"}});
    assert_eq!(
        err_with("set a = if_not_exists(c)", &[], vals.clone()),
        format!("{PREFIX}Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1")
    );
    assert_eq!(
        err_with("set a = list_append(c)", &[], vals.clone()),
        format!("{PREFIX}Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1")
    );
    for text in [
        "set a = if_not_exists(:a, c)",
        "set a = if_not_exists(if_not_exists(a, b), c)",
    ] {
        assert_eq!(
            err_with(text, &[], vals.clone()),
            format!("{PREFIX}Operator or function requires a document path; operator or function: if_not_exists")
        );
    }
}

#[test]
fn function_operand_types() {
    let vals = json!({
        ":a": {"S": "a"}, ":b": {"N": "1"}, ":c": {"B": "YQ=="}, ":d": {"BOOL": false},
        ":e": {"NULL": true}, ":f": {"SS": ["a"]}, ":g": {"NS": ["1"]}, ":h": {"BS": ["YQ=="]},
        ":i": {"M": {}}, ":j": {"L": []}
    });
    for (text, f, ty) in [
        ("set a = list_append(:a, a)", "list_append", "S"),
        ("set a = list_append(a, :b)", "list_append", "N"),
        ("set a = list_append(:c, a)", "list_append", "B"),
        ("set a = list_append(:d, a)", "list_append", "BOOL"),
        ("set a = list_append(:e, a)", "list_append", "NULL"),
        ("set a = list_append(:f, a)", "list_append", "SS"),
        ("set a = list_append(:g, a)", "list_append", "NS"),
        ("set a = list_append(:h, a)", "list_append", "BS"),
        ("set a = list_append(:i, a)", "list_append", "M"),
        ("set a = a + :a", "+", "S"),
        ("set a = :a + :c", "+", "S"),
        ("set a = :c + a", "+", "B"),
        ("set a = a + :d", "+", "BOOL"),
        ("set a = a + :e", "+", "NULL"),
        ("set a = a + :f", "+", "SS"),
        ("set a = a + :g", "+", "NS"),
        ("set a = a + :h", "+", "BS"),
        ("set a = a + :i", "+", "M"),
        ("set a = a + :j", "+", "L"),
        ("set a = a - :a", "-", "S"),
        ("set a = :c - a", "-", "B"),
        ("set a = a - :j", "-", "L"),
    ] {
        let n = names(&[]);
        let vals = values(vals.clone());
        assert_eq!(
            update_err(text, Some(&n), Some(&vals)),
            format!("{PREFIX}Incorrect operand type for operator or function; operator or function: {f}, operand type: {ty}"),
            "{text:?}"
        );
    }
}

#[test]
fn precedence_of_problems() {
    // Reserved words first, then unknown functions, repeated clauses, names, values, overlaps,
    // conflicts, ADD/DELETE types, function problems.
    let vals = json!({":s": {"S": "x"}});
    assert_eq!(
        err_with("SET a = foo(b) SET status = :s", &[], vals.clone()),
        format!("{PREFIX}Attribute name is a reserved keyword; reserved keyword: status")
    );
    assert_eq!(
        err_with("SET a = foo(#x) SET b = :s", &[], vals.clone()),
        format!("{PREFIX}Invalid function name; function: foo")
    );
    assert_eq!(
        err_with("SET a = #x SET b = :s", &[], vals.clone()),
        format!("{PREFIX}The \"SET\" section can only be used once in an update expression;")
    );
    assert_eq!(
        err_with("SET a = :nope, a = #x", &[], vals.clone()),
        format!("{PREFIX}An expression attribute name used in the document path is not defined; attribute name: #x")
    );
    assert_eq!(
        err_with("SET a = :nope, a = b", &[], vals.clone()),
        format!("{PREFIX}An expression attribute value used in expression is not defined; attribute value: :nope")
    );
    assert_eq!(
        err_with("SET a = list_append(:s, b), a.b = c, x[1] = :s, x.y = :s ADD q :s", &[], vals),
        format!("{PREFIX}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]")
    );
}

#[test]
fn unused_placeholders_across_expressions() {
    let n = names(&[("#a", "a"), ("#b", "b")]);
    let vals = values(json!({":a": {"S": "a"}, ":b": {"S": "a"}, ":c": {"S": "a"}}));
    let mut ctx = crate::expr::Context::new(Some(&n), Some(&vals));
    crate::expr::parse_update(
        "remove a set b = list_append(b, if_not_exists(a, :a))",
        &mut ctx,
    )
    .unwrap();
    crate::expr::parse_condition("a = :b", &mut ctx, ExprKind::ConditionExpression).unwrap();
    assert_eq!(
        ctx.check_all_used().unwrap_err().message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
    );

    let mut ctx = crate::expr::Context::new(None, Some(&vals));
    crate::expr::parse_update("remove a", &mut ctx).unwrap();
    crate::expr::parse_condition("a = :b", &mut ctx, ExprKind::ConditionExpression).unwrap();
    assert_eq!(
        ctx.check_all_used().unwrap_err().message,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}"
    );

    let mut ctx = crate::expr::Context::new(Some(&n), Some(&vals));
    crate::expr::parse_update("SET #a = :a, #b = :b", &mut ctx).unwrap();
    crate::expr::parse_condition(
        "attribute_exists(x) OR x = :c",
        &mut ctx,
        ExprKind::ConditionExpression,
    )
    .unwrap();
    assert!(ctx.check_all_used().is_ok());
}

// ---------------------------------------------------------------------------------------------
// Applying

#[test]
fn set_remove_add_delete_on_empty_item() {
    let vals = json!({":c": {"SS": ["a", "b"]}, ":d": {"N": "5"}, ":e": {"SS": ["a", "b"]}, ":f": {"L": [{"S": "a"}, {"N": "1"}]}});
    let want = item(
        json!({"a": {"S": "k"}, "d": {"N": "5"}, "e": {"SS": ["a", "b"]}, "f": {"L": [{"S": "a"}, {"N": "1"}]}}),
    );
    assert_eq!(
        apply(
            "REMOVE b DELETE c :c ADD d :d, e :e SET f = :f",
            &[],
            vals.clone(),
            json!({"a": {"S": "k"}})
        )
        .unwrap(),
        want
    );
    assert_eq!(
        apply(
            "ADD #e :e,#d :d DELETE #c :c REMOVE #b SET #f = :f",
            &[
                ("#b", "b"),
                ("#c", "c"),
                ("#d", "d"),
                ("#e", "e"),
                ("#f", "f")
            ],
            vals,
            json!({"a": {"S": "k"}})
        )
        .unwrap(),
        want
    );
}

#[test]
fn nested_update_uses_old_values_and_list_order() {
    // dynalite's "should update nested attributes", recorded against AWS.
    let start = json!({
        "a": {"S": "k"},
        "b": {"M": {"a": {"N": "1"}, "b": {"N": "2"}, "c": {"N": "3"}}},
        "c": {"L": [{"N": "1"}, {"N": "3"}]}
    });
    let text = "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a";
    let vals = json!({":a": {"N": "2"}, ":b": {"SS": ["a"]}});
    let u = parse_ok(text, &[], vals);
    let mut it = item(start);
    u.apply(&mut it).unwrap();
    assert_eq!(
        it,
        item(json!({
            "a": {"S": "k"},
            "b": {"M": {"a": {"S": "k"}, "b": {"N": "2"}, "c": {"N": "4"}}},
            "c": {"L": [{"N": "1"}, {"S": "k"}, {"N": "3"}, {"N": "-1"}, {"N": "2"}, {"SS": ["a"]}]}
        }))
    );
    // ReturnValues UPDATED_NEW is the projection of the updated paths.
    assert_eq!(
        u.updated_projection().apply(&it),
        item(json!({
            "b": {"M": {"a": {"S": "k"}, "c": {"N": "4"}}},
            "c": {"L": [{"S": "k"}, {"N": "3"}, {"N": "2"}]}
        }))
    );
    assert_eq!(u.touched_attributes(), vec!["b", "c"]);
}

#[test]
fn set_values() {
    let start =
        json!({"k": {"S": "x"}, "n": {"N": "1.5"}, "l": {"L": [{"N": "1"}]}, "m": {"M": {}}});
    let vals = json!({":one": {"N": "1"}, ":l": {"L": [{"S": "z"}]}, ":s": {"S": "v"}});
    let got = apply(
        "SET n = n + :one, o = if_not_exists(o, :one) - :one, l = list_append(:l, l), m.x = :s, k2 = k, p = if_not_exists(k, :s)",
        &[],
        vals,
        start,
    )
    .unwrap();
    assert_eq!(
        got,
        item(json!({
            "k": {"S": "x"}, "n": {"N": "2.5"}, "o": {"N": "0"},
            "l": {"L": [{"S": "z"}, {"N": "1"}]}, "m": {"M": {"x": {"S": "v"}}},
            "k2": {"S": "x"}, "p": {"S": "x"}
        }))
    );
}

#[test]
fn set_errors() {
    let start = || json!({"k": {"S": "x"}, "b": {"M": {"a": {"SS": ["1"]}}}, "c": {"N": "1"}, "d": {"NS": ["1"]}});
    let missing = "The provided expression refers to an attribute that does not exist in the item";
    assert_eq!(
        apply("set c = nope", &[], json!({}), start()).unwrap_err(),
        missing
    );
    assert_eq!(
        apply("set e = list_append(nope, c)", &[], json!({}), start()).unwrap_err(),
        missing
    );
    assert_eq!(
        apply("set e = nope + :a", &[], json!({":a": {"N": "1"}}), start()).unwrap_err(),
        missing
    );
    let wrong = "An operand in the update expression has an incorrect data type";
    for (text, vals) in [
        ("delete d :a", json!({":a": {"SS": ["1"]}})),
        ("delete b :a", json!({":a": {"NS": ["1"]}})),
        ("delete b.a :a", json!({":a": {"NS": ["1"]}})),
        ("delete b.a :a", json!({":a": {"BS": ["YQ=="]}})),
        ("delete c :a", json!({":a": {"NS": ["1"]}})),
        ("add b :a", json!({":a": {"NS": ["1"]}})),
        ("add d :a", json!({":a": {"N": "1"}})),
        ("add k :a", json!({":a": {"N": "1"}})),
        ("set e = k + :a", json!({":a": {"N": "1"}})),
        ("set e = b - :a", json!({":a": {"N": "1"}})),
        (
            "set e = list_append(d, if_not_exists(f, :a))",
            json!({":a": {"L": []}}),
        ),
    ] {
        assert_eq!(
            apply(text, &[], vals, start()).unwrap_err(),
            wrong,
            "{text:?}"
        );
    }
    assert_eq!(
        apply(
            "set e = :a + :a",
            &[],
            json!({":a": {"N": "9E125"}}),
            start()
        )
        .unwrap_err(),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
}

#[test]
fn invalid_document_paths() {
    let invalid = "The document path provided in the update expression is invalid for update";
    // No such item: only the key exists.
    for text in ["set b.a = a", "set b[1] = a"] {
        assert_eq!(
            apply(text, &[], json!({}), json!({"a": {"S": "k"}})).unwrap_err(),
            invalid
        );
    }
    let start = || {
        json!({
            "a": {"S": "k"}, "b": {"S": "k"}, "c": {"M": {"1": {"S": "a"}}},
            "d": {"L": [{"S": "a"}, {"S": "b"}]}
        })
    };
    for text in [
        "set b.a = :a, #1 = :a",
        "set b[1] = :a, #1 = :a",
        "set y.a = :a, #1 = :a",
        "set y[1] = :a, #1 = :a",
        "set c[1] = :a, #1 = :a",
        "set d.#1 = :a",
        "remove b.a set #1 = :a",
        "remove b[1] set #1 = :a",
        "remove y.a set #1 = :a",
        "remove y[1] set #1 = :a",
        "remove c[1] set #1 = :a",
        "remove d.#1 set #1 = :a",
        "delete b.a :a set #1 = :a",
        "delete b[1] :a set #1 = :a",
        "delete y.a :a set #1 = :a",
        "delete y[1] :a set #1 = :a",
        "delete c[1] :a set #1 = :a",
        "delete d.#1 :a",
        "add b.a :a set #1 = :a",
        "add b[1] :a set #1 = :a",
        "add y.a :a set #1 = :a",
        "add y[1] :a set #1 = :a",
        "add c[1] :a set #1 = :a",
        "add d.#1 :a",
        "set c.x.y = :a, #1 = :a",
        "set d[5].x = :a, #1 = :a",
    ] {
        assert_eq!(
            apply(text, &[("#1", "1")], json!({":a": {"SS": ["a"]}}), start()).unwrap_err(),
            invalid,
            "{text:?}"
        );
    }
}

#[test]
fn list_indexes() {
    let start = || json!({"id": {"S": "foo"}, "l": {"L": [{"S": "b1"}, {"S": "b2"}, {"S": "b3"}]}, "m": {"M": {"l": {"L": [{"S": "x"}]}}}});
    let vals = json!({":i": {"S": "new"}});
    let list =
        |items: &[&str]| Value::L(items.iter().map(|s| Value::S((*s).to_string())).collect());
    let got = apply("set l[1] = :i", &[], vals.clone(), start()).unwrap();
    assert_eq!(got["l"], list(&["b1", "new", "b3"]));
    let got = apply("set l[10] = :i", &[], vals.clone(), start()).unwrap();
    assert_eq!(got["l"], list(&["b1", "b2", "b3", "new"]));
    let got = apply("set m.l[7] = :i", &[], vals.clone(), start()).unwrap();
    assert_eq!(
        got["m"],
        v(json!({"M": {"l": {"L": [{"S": "x"}, {"S": "new"}]}}}))
    );
    let got = apply("remove l[1]", &[], json!({}), start()).unwrap();
    assert_eq!(got["l"], list(&["b1", "b3"]));
    let got = apply("remove l[10]", &[], json!({}), start()).unwrap();
    assert_eq!(got["l"], list(&["b1", "b2", "b3"]));
    // Indexes refer to the list before the update.
    let got = apply("remove l[0], l[2]", &[], json!({}), start()).unwrap();
    assert_eq!(got["l"], list(&["b2"]));
    let got = apply("set l[1] = :i remove l[0]", &[], vals.clone(), start()).unwrap();
    assert_eq!(got["l"], list(&["new", "b3"]));
    let got = apply("remove l[0] set l[2] = :i", &[], vals.clone(), start()).unwrap();
    assert_eq!(got["l"], list(&["b2", "new"]));
    let got = apply("remove l[0] set l[5] = :i", &[], vals, start()).unwrap();
    assert_eq!(got["l"], list(&["b2", "b3", "new"]));
    // A string is not a list.
    assert_eq!(
        apply("set id[1] = :i", &[], json!({":i": {"S": "x"}}), start()).unwrap_err(),
        "The document path provided in the update expression is invalid for update"
    );
}

#[test]
fn remove_is_silent_for_missing_attributes() {
    let start = json!({"id": {"S": "foo"}, "m": {"M": {"a": {"S": "x"}}}});
    assert_eq!(
        apply("REMOVE nope, m.zz", &[], json!({}), start.clone()).unwrap(),
        item(start.clone())
    );
    assert_eq!(
        apply("REMOVE m.a", &[], json!({}), start).unwrap(),
        item(json!({"id": {"S": "foo"}, "m": {"M": {}}}))
    );
}

#[test]
fn add_and_delete() {
    let start = || {
        json!({
            "n": {"N": "1"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
            "bs": {"BS": ["AQI=", "Ag=="]}, "m": {"M": {"c": {"N": "10"}}}
        })
    };
    let got = apply(
        "ADD n :three, ss :ss, ns :ns, bs :bs, m.c :three, m.d :three, fresh :ss",
        &[],
        json!({":three": {"N": "3"}, ":ss": {"SS": ["b", "c", "d"]}, ":ns": {"NS": ["2.0", "3"]}, ":bs": {"BS": ["Ag==", "AQ=="]}}),
        start(),
    )
    .unwrap();
    assert_eq!(
        got,
        item(json!({
            "n": {"N": "4"}, "ss": {"SS": ["a", "b", "c", "d"]}, "ns": {"NS": ["1", "2", "3"]},
            "bs": {"BS": ["AQI=", "Ag==", "AQ=="]}, "m": {"M": {"c": {"N": "13"}, "d": {"N": "3"}}},
            "fresh": {"SS": ["b", "c", "d"]}
        }))
    );
    let got = apply(
        "DELETE ss :one, ns :all, nope :one",
        &[],
        json!({":one": {"SS": ["a", "zz"]}, ":all": {"NS": ["1", "2.00", "9"]}}),
        start(),
    )
    .unwrap();
    assert_eq!(got["ss"], v(json!({"SS": ["b"]})));
    assert!(
        !got.contains_key("ns"),
        "deleting every member removes the attribute"
    );
    assert!(!got.contains_key("nope"));
}

#[test]
fn adding_to_a_number_overflowing() {
    assert_eq!(
        apply(
            "ADD n :big",
            &[],
            json!({":big": {"N": "9.9999999999999999999999999999999999999E+125"}}),
            json!({"n": {"N": "9E125"}})
        )
        .unwrap_err(),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
}

#[test]
fn deep_function_nesting_is_bounded() {
    let deep = format!(
        "SET a = {}:v{}",
        "if_not_exists(a,".repeat(200),
        ")".repeat(200)
    );
    let u = parse_ok(&deep, &[], json!({":v": {"N": "1"}}));
    let mut it = item(json!({}));
    u.apply(&mut it).unwrap();
    assert_eq!(it["a"], v(json!({"N": "1"})));
    let deeper = format!("SET a = {}:v{}", "f(".repeat(1300), ")".repeat(1300));
    assert!(update_err(&deeper, None, None).contains("Syntax error"));
}

#[test]
fn only_if_not_exists_nests() {
    let vals = json!({":a": {"L": [{"S": "a"}]}, ":b": {"L": []}, ":n": {"N": "1"}});
    for text in [
        "SET a = list_append(list_append(:a, :b), :a)",
        "SET a = if_not_exists(a, list_append(:a, :b))",
    ] {
        assert_eq!(
            err_with(text, &[], vals.clone()),
            format!("{PREFIX}The function is not allowed to be used this way in an expression; function: list_append"),
            "{text:?}"
        );
    }
    let got = apply(
        "SET a = list_append(if_not_exists(a, :b), :a), n = if_not_exists(x, if_not_exists(y, :n))",
        &[],
        vals.clone(),
        json!({}),
    )
    .unwrap();
    assert_eq!(
        got,
        item(json!({"a": {"L": [{"S": "a"}]}, "n": {"N": "1"}}))
    );
    // Function names are case-sensitive.
    assert_eq!(
        err_with("SET a = LIST_APPEND(:a, :b)", &[], vals),
        format!("{PREFIX}Invalid function name; function: LIST_APPEND")
    );
}

#[test]
fn list_index_order_as_documented() {
    // "If you add multiple elements in a single SET operation, the elements are sorted in
    // order by element number."
    let got = apply(
        "SET a[84] = :v1, a[37] = :v2, a[17] = :v3, a[50] = :v4",
        &[],
        json!({":v1": {"S": "a1"}, ":v2": {"S": "a2"}, ":v3": {"S": "a3"}, ":v4": {"S": "a4"}}),
        json!({"a": {"L": [{"S": "one"}]}}),
    )
    .unwrap();
    assert_eq!(
        got["a"],
        v(json!({"L": [{"S": "one"}, {"S": "a3"}, {"S": "a2"}, {"S": "a4"}, {"S": "a1"}]}))
    );
    // Indexes refer to the list before the update, whatever the order of the clauses.
    for text in ["REMOVE a[1] SET a[3] = :val", "SET a[3] = :val REMOVE a[1]"] {
        let got = apply(
            text,
            &[],
            json!({":val": {"N": "17"}}),
            json!({"a": {"L": [{"N": "2"}, {"N": "3"}, {"N": "4"}, {"N": "5"}, {"N": "6"}, {"N": "7"}]}}),
        )
        .unwrap();
        assert_eq!(
            got["a"],
            v(json!({"L": [{"N": "2"}, {"N": "4"}, {"N": "17"}, {"N": "6"}, {"N": "7"}]}))
        );
    }
    // Removing the only element leaves an empty list; the only key, an empty map.
    let got = apply(
        "REMOVE a[0], m.k",
        &[],
        json!({}),
        json!({"a": {"L": [{"N": "1"}]}, "m": {"M": {"k": {"N": "1"}}}}),
    )
    .unwrap();
    assert_eq!(got, item(json!({"a": {"L": []}, "m": {"M": {}}})));
}

#[test]
fn values_are_read_before_writing() {
    let missing = "The provided expression refers to an attribute that does not exist in the item";
    assert_eq!(
        apply(
            "SET x = :v, y = x",
            &[],
            json!({":v": {"N": "4"}}),
            json!({"p": {"S": "k"}})
        )
        .unwrap_err(),
        missing
    );
    let got = apply(
        "REMOVE a SET b = a",
        &[],
        json!({}),
        json!({"a": {"S": "hello"}}),
    )
    .unwrap();
    assert_eq!(got, item(json!({"b": {"S": "hello"}})));
    let got = apply(
        "SET a = b + a",
        &[],
        json!({}),
        json!({"a": {"N": "9"}, "b": {"N": "10"}}),
    )
    .unwrap();
    assert_eq!(got["a"], v(json!({"N": "19"})));
}

#[test]
fn removing_nested_paths_of_a_missing_item_is_ignored() {
    let invalid = "The document path provided in the update expression is invalid for update";
    for text in ["REMOVE x.y", "REMOVE x[0]"] {
        let u = parse_ok(text, &[], json!({}));
        let mut key = item(json!({"p": {"S": "k"}}));
        u.apply_to_new_item(&mut key).unwrap();
        assert_eq!(key, item(json!({"p": {"S": "k"}})));
        // On an existing item without x it is an invalid path.
        assert_eq!(u.apply(&mut key).unwrap_err().message, invalid);
    }
    // Other actions on a missing item behave as usual.
    let u = parse_ok("SET c.c = :v", &[], json!({":v": {"N": "7"}}));
    let mut key = item(json!({"p": {"S": "k"}}));
    assert_eq!(u.apply_to_new_item(&mut key).unwrap_err().message, invalid);
}
