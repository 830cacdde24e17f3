//! Legacy parameters: Expected, QueryFilter/ScanFilter, AttributeUpdates.

use serde_json::json;

use super::*;
use crate::expr::{condition_from_expected, condition_from_filter, update_from_attribute_updates};

const INVALID: &str = "One or more parameter values were invalid: ";

fn expected_err(j: Json) -> String {
    match condition_from_expected(&j, None) {
        Ok(c) => panic!("{j} accepted: {c:?}"),
        Err(e) => e.message,
    }
}

fn expected_eval(j: Json, op: Option<&str>, it: Option<&Item>) -> bool {
    condition_from_expected(&j, op)
        .unwrap()
        .evaluate(it)
        .unwrap()
}

#[test]
fn expected_validation() {
    for (j, msg) in [
        (
            json!({"a": {}}),
            "Value must be provided when Exists is null for Attribute: a",
        ),
        (
            json!({"a": {"Exists": true}}),
            "Value must be provided when Exists is true for Attribute: a",
        ),
        (
            json!({"a": {"Exists": false, "Value": {"S": "a"}}}),
            "Value cannot be used when Exists is false for Attribute: a",
        ),
        (
            json!({"a": {"Value": {"S": "a"}, "AttributeValueList": [{"S": "a"}]}}),
            "Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            json!({"a": {"ComparisonOperator": "EQ", "Exists": true, "Value": {"S": "a"}}}),
            "Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            json!({"a": {"ComparisonOperator": "EQ"}}),
            "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
        ),
        (
            json!({"a": {"AttributeValueList": [{"S": "a"}]}}),
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        (
            json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}, {"S": "b"}]}}),
            "Invalid number of argument(s) for the EQ ComparisonOperator",
        ),
        (
            json!({"a": {"ComparisonOperator": "NULL", "AttributeValueList": [{"S": "a"}]}}),
            "Invalid number of argument(s) for the NULL ComparisonOperator",
        ),
        (
            json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "a"}]}}),
            "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
        ),
        (
            json!({"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "a"}, {"N": "1"}]}}),
            "AttributeValues inside AttributeValueList must be of same type",
        ),
        (
            json!({"a": {"ComparisonOperator": "GT", "AttributeValueList": [{"SS": ["a"]}]}}),
            "ComparisonOperator GT is not valid for SS AttributeValue type",
        ),
        (
            json!({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}}),
            "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
        ),
    ] {
        assert_eq!(expected_err(j.clone()), format!("{INVALID}{msg}"), "{j}");
    }
    assert_eq!(
        expected_err(json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "5"}, {"N": "1"}]}})),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    );
    assert!(
        expected_err(json!({"a": {"ComparisonOperator": "NOPE", "Value": {"S": "a"}}}))
            .contains("Member must satisfy enum value set")
    );
    assert_eq!(
        condition_from_expected(&json!({"a": {"Value": {"S": "a"}}}), Some("XOR")).unwrap_err().message,
        "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
    );
}

#[test]
fn expected_evaluation() {
    let it = item(
        json!({"a": {"S": "x"}, "n": {"N": "5"}, "ss": {"SS": ["p", "q"]}, "active": {"BOOL": false}}),
    );
    let t = |j: Json| expected_eval(j, None, Some(&it));
    assert!(t(json!({})));
    assert!(t(json!({"a": {"Value": {"S": "x"}}})));
    assert!(t(json!({"a": {"Value": {"S": "x"}, "Exists": true}})));
    assert!(t(
        json!({"active": {"Value": {"BOOL": false}, "Exists": true}})
    ));
    assert!(!t(json!({"a": {"Value": {"S": "y"}}})));
    assert!(t(json!({"zz": {"Exists": false}})));
    assert!(!t(json!({"a": {"Exists": false}})));
    assert!(t(json!({"a": {"ComparisonOperator": "NOT_NULL"}})));
    assert!(t(json!({"zz": {"ComparisonOperator": "NULL"}})));
    assert!(t(
        json!({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "4"}]}})
    ));
    assert!(t(
        json!({"n": {"ComparisonOperator": "LE", "Value": {"N": "5"}}})
    ));
    assert!(t(
        json!({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}})
    ));
    assert!(t(
        json!({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}})
    ));
    assert!(t(
        json!({"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "q"}]}})
    ));
    assert!(t(
        json!({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}})
    ));
    assert!(t(
        json!({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "x"}]}})
    ));
    assert!(t(
        json!({"a": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "y"}]}})
    ));
    assert!(t(
        json!({"zz": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "y"}]}})
    ));
    // AND by default; OR on request.
    let both = json!({"a": {"Value": {"S": "x"}}, "n": {"Value": {"N": "6"}}});
    assert!(!t(both.clone()));
    assert!(expected_eval(both, Some("OR"), Some(&it)));
    // No item: only absence holds.
    assert!(!expected_eval(
        json!({"a": {"Value": {"S": "x"}}}),
        None,
        None
    ));
    assert!(expected_eval(json!({"a": {"Exists": false}}), None, None));
}

#[test]
fn filters() {
    let it = item(json!({"a": {"S": "x"}, "n": {"N": "5"}}));
    let f = |j: Json, op: Option<&str>| {
        condition_from_filter(&j, op).map(|c| c.evaluate(Some(&it)).unwrap())
    };
    assert!(f(
        json!({"n": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "5"}]}}),
        None
    )
    .unwrap());
    assert!(f(json!({"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "5"}]}, "a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}), Some("OR")).unwrap());
    assert!(!f(json!({"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "5"}]}, "a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}), Some("AND")).unwrap());
    assert_eq!(
        f(json!({"n": {"ComparisonOperator": "EQ"}}), None)
            .unwrap_err()
            .message,
        format!("{INVALID}Invalid number of argument(s) for the EQ ComparisonOperator")
    );
    assert_eq!(
        f(
            json!({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"M": {}}]}}),
            None
        )
        .unwrap_err()
        .message,
        format!("{INVALID}ComparisonOperator IN is not valid for M AttributeValue type")
    );
}

fn updates_err(j: Json) -> String {
    match update_from_attribute_updates(&j) {
        Ok(u) => panic!("{j} accepted: {u:?}"),
        Err(e) => e.message,
    }
}

#[test]
fn attribute_updates_validation() {
    assert_eq!(
        updates_err(json!({"a": {"Action": "PUT"}})),
        format!("{INVALID}Only DELETE action is allowed when no attribute value is specified")
    );
    assert_eq!(
        updates_err(json!({"a": {}})),
        format!("{INVALID}Only DELETE action is allowed when no attribute value is specified")
    );
    for val in [
        json!({"S": "1"}),
        json!({"N": "1"}),
        json!({"B": "Yg=="}),
        json!({"NULL": true}),
        json!({"BOOL": true}),
        json!({"M": {}}),
        json!({"L": []}),
    ] {
        let t = val.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(
            updates_err(json!({"a": {"Action": "DELETE", "Value": val}})),
            format!("{INVALID}DELETE action with value is not supported for the type {t}")
        );
    }
    for val in [
        json!({"S": "1"}),
        json!({"B": "Yg=="}),
        json!({"NULL": true}),
        json!({"BOOL": true}),
        json!({"M": {}}),
    ] {
        let t = val.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(
            updates_err(json!({"a": {"Action": "ADD", "Value": val}})),
            format!("{INVALID}ADD action is not supported for the type {t}")
        );
    }
    assert!(
        updates_err(json!({"a": {"Action": "POP", "Value": {"S": "x"}}}))
            .contains("[ADD, PUT, DELETE]")
    );
}

#[test]
fn attribute_updates_apply() {
    let u = update_from_attribute_updates(&json!({
        "b": {"Action": "DELETE"},
        "c": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}},
        "d": {"Action": "ADD", "Value": {"N": "5"}},
        "e": {"Action": "ADD", "Value": {"SS": ["a", "b"]}},
        "f": {"Action": "ADD", "Value": {"L": [{"S": "a"}, {"N": "1"}]}},
        "g": {"Value": {"S": "put"}}
    }))
    .unwrap();
    let mut it = item(json!({"k": {"S": "key"}}));
    u.apply(&mut it).unwrap();
    assert_eq!(
        it,
        item(
            json!({"k": {"S": "key"}, "d": {"N": "5"}, "e": {"SS": ["a", "b"]}, "f": {"L": [{"S": "a"}, {"N": "1"}]}, "g": {"S": "put"}})
        )
    );
    assert_eq!(u.touched_attributes(), vec!["b", "c", "d", "e", "f", "g"]);
    // Again: numbers add, sets and lists grow, DELETE removes members.
    let again = update_from_attribute_updates(&json!({
        "c": {"Action": "DELETE", "Value": {"SS": ["a"]}},
        "d": {"Action": "ADD", "Value": {"N": "-7"}},
        "e": {"Action": "ADD", "Value": {"SS": ["b", "c"]}},
        "f": {"Action": "ADD", "Value": {"L": [{"S": "b"}]}},
        "g": {"Action": "DELETE"}
    }))
    .unwrap();
    again.apply(&mut it).unwrap();
    assert_eq!(
        it,
        item(
            json!({"k": {"S": "key"}, "d": {"N": "-2"}, "e": {"SS": ["a", "b", "c"]}, "f": {"L": [{"S": "a"}, {"N": "1"}, {"S": "b"}]}})
        )
    );
    // Type mismatches use the legacy wording.
    for j in [
        json!({"e": {"Action": "DELETE", "Value": {"NS": ["1"]}}}),
        json!({"d": {"Action": "DELETE", "Value": {"NS": ["1"]}}}),
        json!({"e": {"Action": "ADD", "Value": {"NS": ["1"]}}}),
        json!({"d": {"Action": "ADD", "Value": {"L": []}}}),
        json!({"k": {"Action": "ADD", "Value": {"N": "1"}}}),
    ] {
        let u = update_from_attribute_updates(&j).unwrap();
        let mut copy = it.clone();
        assert_eq!(
            u.apply(&mut copy).unwrap_err().message,
            "Type mismatch for attribute to update",
            "{j}"
        );
    }
}
