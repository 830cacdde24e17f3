//! Items: every attribute type, expressions, conditions and AWS's errors, through the SDK.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue as AV, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
};

use crate::harness::{create_table, error_of, s, Server};

fn n(v: &str) -> AV {
    AV::N(v.into())
}

fn every_type() -> HashMap<String, AV> {
    HashMap::from([
        ("pk".to_string(), s("k1")),
        ("str".to_string(), s("héllo")),
        (
            "num".to_string(),
            n("12345678901234567890123456789012345678"),
        ),
        (
            "small".to_string(),
            n("-0.000000000000000000000000000000000000000001"),
        ),
        ("bin".to_string(), AV::B(Blob::new(vec![0u8, 1, 2, 255]))),
        ("yes".to_string(), AV::Bool(true)),
        ("nothing".to_string(), AV::Null(true)),
        (
            "map".to_string(),
            AV::M(HashMap::from([(
                "inner".to_string(),
                AV::L(vec![s("a"), n("1"), AV::Bool(false)]),
            )])),
        ),
        (
            "list".to_string(),
            AV::L(vec![AV::M(HashMap::new()), AV::L(vec![])]),
        ),
        ("ss".to_string(), AV::Ss(vec!["x".into(), "y".into()])),
        ("ns".to_string(), AV::Ns(vec!["1".into(), "2.5".into()])),
        (
            "bs".to_string(),
            AV::Bs(vec![Blob::new(vec![1u8]), Blob::new(vec![2u8])]),
        ),
        ("empty".to_string(), s("")),
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_round_trips_and_survives_restart() {
    let mut server = Server::start();
    let client = server.client();
    create_table(&client, "types", None).await;
    client
        .put_item()
        .table_name("types")
        .set_item(Some(every_type()))
        .send()
        .await
        .unwrap();
    server.restart();
    let client = server.client();
    let got = client
        .get_item()
        .table_name("types")
        .key("pk", s("k1"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap(), &every_type());
    let table = client
        .describe_table()
        .table_name("types")
        .send()
        .await
        .unwrap();
    assert_eq!(table.table().unwrap().item_count(), Some(1));
    assert!(table.table().unwrap().table_size_bytes().unwrap() > 50);
}

#[tokio::test(flavor = "multi_thread")]
async fn numbers_are_exact_and_normalised() {
    let server = Server::start();
    let client = server.client();
    create_table(&client, "nums", None).await;
    client
        .put_item()
        .table_name("nums")
        .item("pk", s("a"))
        .item("v", n("1.50"))
        .item("e", n("1E2"))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name("nums")
        .key("pk", s("a"))
        .send()
        .await
        .unwrap();
    let item = got.item().unwrap();
    assert_eq!(item["v"], n("1.5"));
    assert_eq!(item["e"], n("100"));

    let out = client
        .update_item()
        .table_name("nums")
        .key("pk", s("a"))
        .update_expression("SET v = v + :big")
        .expression_attribute_values(":big", n("9999999999999999999999999999999999998.5"))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.attributes().unwrap()["v"],
        n("10000000000000000000000000000000000000")
    );

    let (code, message) = error_of(
        client
            .put_item()
            .table_name("nums")
            .item("pk", s("b"))
            .item("v", n("1e126"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    let (code, _) = error_of(
        client
            .put_item()
            .table_name("nums")
            .item("pk", s("b"))
            .item("v", n("not-a-number"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
}

#[tokio::test(flavor = "multi_thread")]
async fn conditions_and_return_values() {
    let server = Server::start();
    let client = server.client();
    create_table(&client, "cond", Some(("sk", ScalarAttributeType::N))).await;
    let put = |v: &'static str| {
        client
            .put_item()
            .table_name("cond")
            .item("pk", s("p"))
            .item("sk", n("1"))
            .item("v", n(v))
            .item("tags", AV::Ss(vec!["a".into()]))
    };
    put("1")
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap();
    let (code, message) = error_of(
        put("2")
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ConditionalCheckFailedException",
            "The conditional request failed"
        )
    );

    // The failed item comes back when asked for.
    let failed = put("2")
        .condition_expression("v = :x")
        .expression_attribute_values(":x", n("7"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match failed {
        Err(aws_sdk_dynamodb::error::SdkError::ServiceError(e)) => match e.err() {
            aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => {
                assert_eq!(c.item().unwrap()["v"], n("1"));
            }
            other => panic!("unexpected {other:?}"),
        },
        other => panic!("unexpected {other:?}"),
    }

    let old = put("3")
        .condition_expression("v BETWEEN :lo AND :hi AND contains(tags, :t) AND size(tags) = :one AND attribute_type(v, :n)")
        .expression_attribute_values(":lo", n("0"))
        .expression_attribute_values(":hi", n("5"))
        .expression_attribute_values(":t", s("a"))
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":n", s("N"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(old.attributes().unwrap()["v"], n("1"));

    let upd = client
        .update_item()
        .table_name("cond")
        .key("pk", s("p"))
        .key("sk", n("1"))
        .update_expression("SET #m = :m, lst = list_append(if_not_exists(lst, :empty), :l) ADD v :one, tags :more REMOVE gone DELETE tags :a")
        .expression_attribute_names("#m", "map")
        .expression_attribute_values(":m", AV::M(HashMap::from([("deep".to_string(), AV::L(vec![n("0")]))])))
        .expression_attribute_values(":empty", AV::L(vec![]))
        .expression_attribute_values(":l", AV::L(vec![s("x"), s("y")]))
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":more", AV::Ss(vec!["b".into()]))
        .expression_attribute_values(":a", AV::Ss(vec!["a".into()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    // ADD and DELETE on the same attribute overlap: AWS refuses it.
    let (code, message) = error_of(upd);
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Invalid UpdateExpression: Two document paths overlap with each other"),
        "{message}"
    );

    let upd = client
        .update_item()
        .table_name("cond")
        .key("pk", s("p"))
        .key("sk", n("1"))
        .update_expression(
            "SET #m = :m, lst = list_append(if_not_exists(lst, :empty), :l) ADD v :one, tags :more",
        )
        .expression_attribute_names("#m", "map")
        .expression_attribute_values(
            ":m",
            AV::M(HashMap::from([("deep".to_string(), AV::L(vec![n("0")]))])),
        )
        .expression_attribute_values(":empty", AV::L(vec![]))
        .expression_attribute_values(":l", AV::L(vec![s("x"), s("y")]))
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":more", AV::Ss(vec!["b".into()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let item = upd.attributes().unwrap();
    assert_eq!(item["v"], n("4"));
    assert_eq!(item["lst"], AV::L(vec![s("x"), s("y")]));
    let mut tags = item["tags"].as_ss().unwrap().clone();
    tags.sort();
    assert_eq!(tags, ["a", "b"]);

    let nested = client
        .update_item()
        .table_name("cond")
        .key("pk", s("p"))
        .key("sk", n("1"))
        .update_expression("SET #m.deep[0] = :v REMOVE lst[0] DELETE tags :a")
        .expression_attribute_names("#m", "map")
        .expression_attribute_values(":v", n("42"))
        .expression_attribute_values(":a", AV::Ss(vec!["a".into()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let item = nested.attributes().unwrap();
    assert_eq!(
        item["map"],
        AV::M(HashMap::from([("deep".to_string(), AV::L(vec![n("42")]))]))
    );
    assert_eq!(item["lst"], AV::L(vec![s("y")]));
    assert_eq!(item["tags"], AV::Ss(vec!["b".into()]));

    let proj = client
        .get_item()
        .table_name("cond")
        .key("pk", s("p"))
        .key("sk", n("1"))
        .projection_expression("#m.deep[0], v")
        .expression_attribute_names("#m", "map")
        .send()
        .await
        .unwrap();
    let item = proj.item().unwrap();
    assert_eq!(item.len(), 2);
    assert_eq!(item["v"], n("4"));

    let deleted = client
        .delete_item()
        .table_name("cond")
        .key("pk", s("p"))
        .key("sk", n("1"))
        .condition_expression("v > :three")
        .expression_attribute_values(":three", n("3"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.attributes().unwrap()["v"], n("4"));
    let gone = client
        .get_item()
        .table_name("cond")
        .key("pk", s("p"))
        .key("sk", n("1"))
        .send()
        .await
        .unwrap();
    assert!(gone.item().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn item_validation_matches_aws() {
    let server = Server::start();
    let client = server.client();
    create_table(&client, "val", None).await;
    let cases: Vec<(aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder, &str)> = vec![
        (client.put_item().table_name("val").item("other", s("x")), "One or more parameter values were invalid: Missing the key pk in the item"),
        (client.put_item().table_name("val").item("pk", n("1")), "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
        (client.put_item().table_name("val").item("pk", s("")), "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
        (client.put_item().table_name("val").item("pk", s("a")).item("big", s(&"x".repeat(400 * 1024))), "Item size has exceeded the maximum allowed size"),
        (
            client.put_item().table_name("val").item("pk", s("a")).condition_expression("a = :unused2").expression_attribute_values(":unused2", s("x")).expression_attribute_values(":unused", s("x")),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
        ),
        (
            client.put_item().table_name("val").item("pk", s("a")).condition_expression("attribute_exists(#n)"),
            "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n",
        ),
        (
            client.put_item().table_name("val").item("pk", s("a")).return_values(ReturnValue::AllNew),
            "ReturnValues can only be ALL_OLD or NONE",
        ),
    ];
    for (req, expected) in cases {
        let (code, message) = error_of(req.send().await);
        assert_eq!(code, "ValidationException", "{expected}");
        assert_eq!(message, expected);
    }
    let (code, message) = error_of(
        client
            .get_item()
            .table_name("missing")
            .key("pk", s("a"))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ResourceNotFoundException", "Requested resource not found")
    );
    let (code, message) = error_of(
        client
            .get_item()
            .table_name("val")
            .key("nope", s("a"))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ValidationException",
            "The provided key element does not match the schema"
        )
    );
    let (code, message) = error_of(
        client
            .update_item()
            .table_name("val")
            .key("pk", s("a"))
            .update_expression("SET pk = :v")
            .expression_attribute_values(":v", s("b"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(message, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key");
}
