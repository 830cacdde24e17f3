use super::lower::{condition, projection, unnest, update, value};
use super::*;
use crate::expr::{CompareOp, Condition, Operand, Path, PathElement, UpdateAction};
use crate::number::Number;
use crate::value::{Item, Value};

fn n(x: i64) -> Value {
    Value::N(Number::from_i64(x))
}

fn s(x: &str) -> Value {
    Value::S(x.into())
}

fn err(text: &str) -> String {
    parse(text).expect_err(text).message
}

fn select(text: &str) -> Select {
    match parse(text).unwrap() {
        Statement::Select(s) => s,
        other => panic!("{other:?}"),
    }
}

fn where_of(text: &str, params: &[Value]) -> Result<Condition, PartiqlError> {
    condition(select(text).where_clause.as_ref().unwrap(), params)
}

#[test]
fn parses_each_statement_kind() {
    let sel = select("SELECT a, \"b\".c[2], d['e'] FROM \"Music\" WHERE pk = 'x' AND sk >= 3");
    assert_eq!(sel.table, "Music");
    assert_eq!(sel.index, None);
    assert_eq!(
        sel.projection.unwrap(),
        vec![
            PathExpr::attribute("a"),
            PathExpr {
                root: "b".into(),
                steps: vec![Step::Field("c".into()), Step::Index(2)]
            },
            PathExpr {
                root: "d".into(),
                steps: vec![Step::Field("e".into())]
            },
        ]
    );
    let sel = select("select * from \"T-1\".\"by_x\" order by sk desc");
    assert_eq!(
        (sel.table.as_str(), sel.index.as_deref()),
        ("T-1", Some("by_x"))
    );
    assert_eq!(sel.projection, None);
    assert_eq!(
        sel.order_by,
        vec![OrderBy {
            attribute: "sk".into(),
            descending: true
        }]
    );

    match parse("INSERT INTO Music VALUE {'Artist': 'A', 'n': 1, 'l': [1, 'x'], 's': <<'a','b'>>};")
        .unwrap()
    {
        Statement::Insert(i) => {
            assert_eq!(i.table, "Music");
            let item = value(&i.item, &[]).unwrap();
            let Value::M(m) = item else { panic!() };
            assert_eq!(m.get("Artist"), Some(&s("A")));
            assert_eq!(m.get("l"), Some(&Value::L(vec![n(1), s("x")])));
            assert_eq!(m.get("s"), Some(&Value::Ss(vec!["a".into(), "b".into()])));
        }
        other => panic!("{other:?}"),
    }
    match parse("UPDATE Music SET a = 1, b.c = ? SET d = d + 1 REMOVE e[0] WHERE pk = ? RETURNING ALL NEW *").unwrap() {
        Statement::Update(u) => {
            assert_eq!(u.ops.len(), 4);
            assert_eq!(u.returning, Some(Returning::AllNew));
            // Parameters are numbered in text order.
            assert!(matches!(&u.ops[1], UpdateOp::Set(_, Expr::Param(0))));
            assert!(matches!(u.where_clause, Some(Expr::Binary(BinOp::Eq, _, ref r)) if **r == Expr::Param(1)));
        }
        other => panic!("{other:?}"),
    }
    match parse("DELETE FROM Music WHERE pk = 'a' RETURNING ALL OLD *").unwrap() {
        Statement::Delete(d) => assert_eq!(d.returning, Some(Returning::AllOld)),
        other => panic!("{other:?}"),
    }
    match parse("EXISTS(SELECT * FROM Music WHERE pk = 'a' AND x IS MISSING)").unwrap() {
        Statement::Exists(s) => assert_eq!(s.table, "Music"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn comments_case_and_semicolon() {
    let s = select("-- leading\nsElEcT /* inline */ a FrOm Music wHeRe pk = 'x';");
    assert_eq!(s.table, "Music");
}

#[test]
fn syntax_errors() {
    for bad in [
        "SLECT * FROM Music",
        "",
        "   ",
        "SELECT * FROM Music WHERE",
        "SELECT * FROM Music WHERE pad = 'x'",
        "SELECT * FROM Music garbage garbage",
        "SELECT * FROM Music; SELECT * FROM Music",
        "INSERT INTO Music VALUE {'a': 'b'",
        "UPDATE Music WHERE pk = 'a'",
        "SELECT * FROM Music WHERE a = 'unterminated",
    ] {
        let m = err(bad);
        assert!(
            m.starts_with("Statement wasn't well formed, can't be processed: "),
            "{bad}: {m}"
        );
    }
    assert_eq!(
        err("SLECT * FROM Music"),
        "Statement wasn't well formed, can't be processed: Expected data manipulation"
    );
    assert_eq!(
        err("UPDATE Music SET a = 1 WHERE pk = 'a' garbage"),
        "Statement wasn't well formed, can't be processed: Unexpected token after expression"
    );
}

#[test]
fn refused_constructs() {
    assert_eq!(
        err("SELECT * FROM Music LIMIT 1"),
        "Unsupported clause: LIMIT"
    );
    assert_eq!(
        err("SELECT a FROM Music GROUP BY a"),
        "Unsupported clause: GROUP BY"
    );
    assert_eq!(
        err("SELECT DISTINCT a FROM Music"),
        "Unsupported token in expression: DISTINCT"
    );
    assert_eq!(err("SELECT a AS b FROM Music"), "Aliasing is not supported");
    assert_eq!(err("SELECT * FROM Music m"), "Aliasing is not supported");
    assert_eq!(
        err("SELECT * FROM Music, Other"),
        "Only select from a single table or index is supported."
    );
    assert_eq!(
        err("SELECT * FROM a1b.c2d.e3f"),
        "A path may contain at most 2 components in the FROM clause"
    );
    assert_eq!(
        err("SELECT VALUE a FROM Music"),
        "Select projection doesn't support value or pivot keywords"
    );
    assert_eq!(
        err("SELECT *, a FROM Music"),
        "Other attributes should not be present in the projection when '*' is used."
    );
    assert_eq!(
        err("SELECT COUNT(*) FROM Music"),
        "Unexpected path component"
    );
    assert_eq!(
        err("SELECT a.* FROM Music"),
        "Changing item's hierarchy while reading isn't supported"
    );
    assert_eq!(
        err("SELECT a[*] FROM Music"),
        "Wildcard path component like a[*].b are not supported"
    );
    assert_eq!(
        err("SELECT * FROM ab"),
        "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'."
    );
    assert_eq!(
        err("INSERT INTO Music VALUES ('a', 'b')"),
        "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"
    );
    assert_eq!(
        err("INSERT INTO Music VALUE 'a'"),
        "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."
    );
    assert_eq!(
        err("INSERT INTO Music VALUE {'a': 1} ON CONFLICT DO NOTHING"),
        "Unsupported clause: ON CONFLICT"
    );
    assert_eq!(
        err("UPDATE Music SET a = 1 WHERE pk = 'a' RETURNING ALL NEW *, ALL OLD *"),
        "Invalid syntax with multiple returning elements in RETURNING clause"
    );
    assert_eq!(
        err("SELECT a[-1] FROM Music"),
        "List index is not within the allowable range; index: [-1]"
    );
}

#[test]
fn literals_and_their_errors() {
    let v = |t: &str| {
        let Statement::Insert(i) = parse(&format!("INSERT INTO Music VALUE {{'k': {t}}}")).unwrap()
        else {
            panic!()
        };
        match value(&i.item, &[s("p")]) {
            Ok(Value::M(mut m)) => Ok(m.remove("k").unwrap()),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.message),
        }
    };
    assert_eq!(v("-1.50"), Ok(Value::N(Number::parse("-1.5").unwrap())));
    assert_eq!(v("1e3"), Ok(n(1000)));
    assert_eq!(v("true"), Ok(Value::Bool(true)));
    assert_eq!(v("null"), Ok(Value::Null));
    assert_eq!(v("?"), Ok(s("p")));
    assert_eq!(v("'it''s'"), Ok(s("it's")));
    assert_eq!(
        v("<<1, 2.5>>"),
        Ok(Value::Ns(vec![
            Number::from_i64(1),
            Number::parse("2.5").unwrap()
        ]))
    );
    assert_eq!(
        v("{'a': {'b': [<<'x'>>]}}"),
        Ok(Value::M(
            [(
                "a".to_string(),
                Value::M(
                    [("b".to_string(), Value::L(vec![Value::Ss(vec!["x".into()])]))]
                        .into_iter()
                        .collect()
                )
            )]
            .into_iter()
            .collect()
        ))
    );
    assert_eq!(v("<<>>"), Err("Empty bags are not supported".into()));
    assert_eq!(
        v("<<1, 1>>"),
        Err("Input collection contains duplicates".into())
    );
    assert_eq!(
        v("<<1, 'a'>>"),
        Err("Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags".into())
    );
    assert_eq!(
        v("<<?>>"),
        Err("Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags".into())
    );
    assert_eq!(
        v("{'a': 1, 'a': 2}"),
        Err("Duplicate keys in tuple. Key: a under root".into())
    );
    assert_eq!(
        v("[?, ?]"),
        Err("Number of parameters in request and statement don't match.".into())
    );
    assert!(v("1e200").unwrap_err().starts_with("Number overflow"));
    assert_eq!(
        v("missing"),
        Err("Unsupported data type: MISSING under key root".into())
    );
    assert_eq!(
        v("other_attr"),
        Err("Unsupported data type: other_attr under key root".into())
    );
}

#[test]
fn where_clauses_become_conditions() {
    let c = where_of(
        "SELECT * FROM Music WHERE a = 1 AND NOT b.c[0] <> 'x' OR d IN [1, 2]",
        &[],
    )
    .unwrap();
    let Condition::Or(left, right) = c else {
        panic!("{c:?}")
    };
    assert!(matches!(*left, Condition::And(..)));
    assert!(matches!(*right, Condition::In { ref list, .. } if list.len() == 2));

    let item: Item = [
        ("a".to_string(), n(1)),
        ("s".to_string(), s("hello")),
        (
            "m".to_string(),
            Value::M([("k".to_string(), Value::Null)].into_iter().collect()),
        ),
    ]
    .into_iter()
    .collect();
    let holds = |w: &str| {
        where_of(&format!("SELECT * FROM Music WHERE {w}"), &[n(1)])
            .unwrap()
            .evaluate(Some(&item))
            .unwrap()
    };
    assert!(holds("a = ?"));
    assert!(holds("a BETWEEN 0 AND 2"));
    assert!(holds("a NOT BETWEEN 2 AND 3"));
    assert!(holds("begins_with(s, 'he') AND contains(s, 'll')"));
    assert!(holds("x IS MISSING AND a IS NOT MISSING"));
    assert!(holds(
        "m.k IS NULL AND s IS STRING AND a IS NUMERIC AND m IS STRUCT"
    ));
    assert!(holds("size(s) = 5"));
    assert!(holds("attribute_exists(m.k) AND attribute_not_exists(m.z)"));
    assert!(holds("attribute_type(a, 'N')"));
    assert!(holds("a NOT IN [2, 3]"));
    assert!(!holds("a <> 1"));

    let fails = |w: &str| {
        where_of(&format!("SELECT * FROM Music WHERE {w}"), &[])
            .unwrap_err()
            .message
    };
    assert_eq!(
        fails("a"),
        "WHERE clause must contain an expression that resolves to a boolean"
    );
    assert_eq!(
        fails("a AND b = 1"),
        "The arguments to AND/OR must be Expressions"
    );
    assert_eq!(
        fails("a = MISSING"),
        "MISSING must be compared using IS operator"
    );
    assert_eq!(
        fails("a + 1 = 2"),
        "Unsupported operator in Condition Expression. Operator: +"
    );
    assert_eq!(
        fails("a LIKE 'x%'"),
        "Unsupported operator in Condition Expression. Operator: like"
    );
    assert_eq!(fails("foo(a)"), "Unrecognized function: foo");
    assert_eq!(
        fails("a IN 1"),
        "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"
    );
    assert_eq!(
        fails("a IS INTEGER"),
        "Unsupported data type for IS operator: INTEGER. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
    );
    assert_eq!(
        fails("begins_with(a)"),
        "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
    );
    assert_eq!(
        fails("a = ?"),
        "Number of parameters in request and statement don't match."
    );
    assert_eq!(
        fails("a < [1]"),
        "Incorrect operand type for operator or function; operator or function: <, operand type: L"
    );
}

#[test]
fn comparisons_keep_their_operand_order() {
    let c = where_of("SELECT * FROM Music WHERE 5 < sk", &[]).unwrap();
    assert_eq!(
        c,
        Condition::Compare {
            op: CompareOp::Lt,
            left: Operand::Value(n(5)),
            right: Operand::Path(Path::attribute("sk")),
        }
    );
}

#[test]
fn updates() {
    let Statement::Update(u) = parse(
        "UPDATE Music SET n = n + 1 SET l = list_append(l, [3]) SET c = if_not_exists(c, 0) SET s = set_add(s, <<'b'>>) SET t = set_delete(t, <<1>>) REMOVE m.k WHERE pk = 'a'",
    )
    .unwrap() else {
        panic!()
    };
    let upd = update(&u.ops, &[]).unwrap();
    assert!(matches!(upd.actions()[3], UpdateAction::Add(..)));
    assert!(matches!(upd.actions()[4], UpdateAction::Delete(..)));
    let mut item: Item = [
        ("n".to_string(), n(1)),
        ("l".to_string(), Value::L(vec![n(1)])),
        ("s".to_string(), Value::Ss(vec!["a".into()])),
        (
            "t".to_string(),
            Value::Ns(vec![Number::from_i64(1), Number::from_i64(2)]),
        ),
        (
            "m".to_string(),
            Value::M([("k".to_string(), n(1))].into_iter().collect()),
        ),
    ]
    .into_iter()
    .collect();
    upd.apply(&mut item).unwrap();
    assert_eq!(item.get("n"), Some(&n(2)));
    assert_eq!(item.get("l"), Some(&Value::L(vec![n(1), n(3)])));
    assert_eq!(item.get("c"), Some(&n(0)));
    assert_eq!(
        item.get("s"),
        Some(&Value::Ss(vec!["a".into(), "b".into()]))
    );
    assert_eq!(item.get("t"), Some(&Value::Ns(vec![Number::from_i64(2)])));
    assert_eq!(item.get("m"), Some(&Value::M(Default::default())));

    let fails = |t: &str| {
        let Statement::Update(u) = parse(t).unwrap() else {
            panic!()
        };
        update(&u.ops, &[]).unwrap_err().message
    };
    assert_eq!(
        fails("UPDATE Music SET s = set_add(x, <<'b'>>) WHERE pk = 'a'"),
        "The first argument to SET_ADD must equal the assignment value"
    );
    assert_eq!(
        fails("UPDATE Music SET s = set_add(s, 'b') WHERE pk = 'a'"),
        "The second argument to SET_ADD must be a value with type SET"
    );
    assert_eq!(
        fails("UPDATE Music SET s = a IS MISSING WHERE pk = 'a'"),
        "IS operator is not supported in update expressions"
    );
    assert_eq!(
        fails("UPDATE Music SET n = n * 2 WHERE pk = 'a'"),
        "Unsupported operator in Update Expression. Operator: *"
    );
    assert!(fails("UPDATE Music SET a = 1 SET a.b = 2 WHERE pk = 'a'")
        .contains("Two document paths overlap"));
}

#[test]
fn projections_unnest() {
    let sel = select("SELECT a, m.k[1], m.z, l[0], \"missing\" FROM Music");
    let paths = projection(&sel.projection.unwrap()).unwrap();
    let item: Item = [
        ("a".to_string(), n(1)),
        ("l".to_string(), Value::L(vec![s("x")])),
        (
            "m".to_string(),
            Value::M(
                [
                    ("k".to_string(), Value::L(vec![n(0), n(9)])),
                    ("z".to_string(), Value::Bool(true)),
                ]
                .into_iter()
                .collect(),
            ),
        ),
    ]
    .into_iter()
    .collect();
    let out = unnest(&item, &paths);
    let keys: Vec<&str> = out.keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["a", "k[1]", "l[0]", "z"]);
    assert_eq!(out.get("k[1]"), Some(&n(9)));

    let dup = select("SELECT a.z, b.z FROM Music");
    assert_eq!(
        projection(&dup.projection.unwrap()).unwrap_err().message,
        "Duplicate identifiers in select clause: z"
    );
    let p = PathExpr {
        root: "a".into(),
        steps: vec![Step::Index(2)],
    }
    .to_path();
    assert_eq!(
        p.elements(),
        &[PathElement::Name("a".into()), PathElement::Index(2)]
    );
}
