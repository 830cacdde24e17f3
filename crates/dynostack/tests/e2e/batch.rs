//! BatchWriteItem and BatchGetItem through the SDK: several tables in one call, projections,
//! per-table consumed capacity, all-or-nothing refusals with AWS's messages, durability.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue as AV, DeleteRequest, KeysAndAttributes, PutRequest, ReturnConsumedCapacity,
    ScalarAttributeType, WriteRequest,
};
use aws_sdk_dynamodb::Client;

use crate::harness::{create_table, error_of, s, Server};

fn item(pairs: &[(&str, AV)]) -> HashMap<String, AV> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn put(pairs: &[(&str, AV)]) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item(pairs)))
                .build()
                .unwrap(),
        )
        .build()
}

fn delete(pairs: &[(&str, AV)]) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(
            DeleteRequest::builder()
                .set_key(Some(item(pairs)))
                .build()
                .unwrap(),
        )
        .build()
}

fn keys(list: Vec<HashMap<String, AV>>) -> KeysAndAttributes {
    KeysAndAttributes::builder()
        .set_keys(Some(list))
        .build()
        .unwrap()
}

async fn get(client: &Client, table: &str, pk: &str) -> Option<HashMap<String, AV>> {
    client
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// Units per table of a response's ConsumedCapacity list.
fn units(list: Option<&[aws_sdk_dynamodb::types::ConsumedCapacity]>) -> HashMap<String, f64> {
    list.unwrap_or_default()
        .iter()
        .map(|c| {
            (
                c.table_name().unwrap_or_default().to_string(),
                c.capacity_units().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_and_reads_across_tables() {
    let server = Server::start();
    let client = server.client();
    create_table(&client, "users", None).await;
    create_table(&client, "events", Some(("at", ScalarAttributeType::N))).await;

    let big = "x".repeat(1100);
    let out = client
        .batch_write_item()
        .request_items(
            "users",
            vec![
                put(&[("pk", s("u1")), ("name", s("Ann")), ("bio", s(&big))]),
                put(&[("pk", s("u2")), ("name", s("Bob"))]),
                put(&[("pk", s("u3")), ("name", s("Cy"))]),
            ],
        )
        .request_items(
            "events",
            vec![
                put(&[("pk", s("u1")), ("at", AV::N("1".into()))]),
                put(&[("pk", s("u1")), ("at", AV::N("2".into()))]),
            ],
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().unwrap().is_empty());
    // u1 is over 1 KB: two units; every other put one.
    assert_eq!(
        units(out.consumed_capacity.as_deref()),
        HashMap::from([("users".to_string(), 4.0), ("events".to_string(), 2.0)])
    );

    let got = client
        .batch_get_item()
        .request_items(
            "users",
            KeysAndAttributes::builder()
                .set_keys(Some(vec![
                    item(&[("pk", s("u1"))]),
                    item(&[("pk", s("u2"))]),
                    item(&[("pk", s("nobody"))]),
                ]))
                .projection_expression("#n")
                .expression_attribute_names("#n", "name")
                .consistent_read(true)
                .build()
                .unwrap(),
        )
        .request_items(
            "events",
            keys(vec![
                item(&[("pk", s("u1")), ("at", AV::N("2".into()))]),
                item(&[("pk", s("u1")), ("at", AV::N("3".into()))]),
            ]),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let responses = got.responses().unwrap();
    let mut names: Vec<String> = responses["users"]
        .iter()
        .map(|i| i["name"].as_s().unwrap().clone())
        .collect();
    names.sort();
    assert_eq!(names, ["Ann", "Bob"]);
    assert!(responses["users"].iter().all(|i| i.len() == 1));
    assert_eq!(
        responses["events"],
        vec![item(&[("pk", s("u1")), ("at", AV::N("2".into()))])]
    );
    assert!(got.unprocessed_keys().unwrap().is_empty());
    // Consistent: one unit per key (found or not); eventually consistent: half.
    assert_eq!(
        units(got.consumed_capacity.as_deref()),
        HashMap::from([("users".to_string(), 3.0), ("events".to_string(), 1.0)])
    );

    // Deletes and puts together, a delete of a missing item included.
    client
        .batch_write_item()
        .request_items(
            "users",
            vec![
                delete(&[("pk", s("u1"))]),
                delete(&[("pk", s("ghost"))]),
                put(&[("pk", s("u4"))]),
            ],
        )
        .send()
        .await
        .unwrap();
    assert!(get(&client, "users", "u1").await.is_none());
    assert_eq!(
        get(&client, "users", "u4").await,
        Some(item(&[("pk", s("u4"))]))
    );
    let table = client
        .describe_table()
        .table_name("users")
        .send()
        .await
        .unwrap();
    assert_eq!(table.table().unwrap().item_count(), Some(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_batches_write_nothing() {
    let server = Server::start();
    let client = server.client();
    create_table(&client, "tab1", None).await;
    create_table(&client, "tab2", None).await;

    // The same item twice.
    let dup = client
        .batch_write_item()
        .request_items("tab1", vec![put(&[("pk", s("a"))])])
        .request_items(
            "tab2",
            vec![
                put(&[("pk", s("d")), ("v", s("1"))]),
                delete(&[("pk", s("d"))]),
            ],
        )
        .send()
        .await;
    assert_eq!(
        error_of(dup),
        (
            "ValidationException".to_string(),
            "Provided list of item keys contains duplicates".to_string()
        )
    );

    // A put whose key does not match the schema, after good ones.
    let bad_key = client
        .batch_write_item()
        .request_items(
            "tab1",
            vec![put(&[("pk", s("b"))]), put(&[("pk", AV::N("1".into()))])],
        )
        .send()
        .await;
    assert_eq!(
        error_of(bad_key),
        (
            "ValidationException".to_string(),
            "The provided key element does not match the schema".to_string()
        )
    );

    // A table that does not exist next to one that does.
    let missing = client
        .batch_write_item()
        .request_items("tab1", vec![put(&[("pk", s("c"))])])
        .request_items("tab9-missing", vec![put(&[("pk", s("c"))])])
        .send()
        .await;
    assert_eq!(
        error_of(missing),
        (
            "ResourceNotFoundException".to_string(),
            "Requested resource not found".to_string()
        )
    );

    for (table, pk) in [("tab1", "a"), ("tab1", "b"), ("tab1", "c"), ("tab2", "d")] {
        assert!(get(&client, table, pk).await.is_none(), "{table}/{pk}");
    }

    // 26 requests: Coral's constraint on each table's list, echoing the request.
    let many: Vec<WriteRequest> = (0..26)
        .map(|i| put(&[("pk", s(&format!("k{i}")))]))
        .collect();
    let (code, message) = error_of(
        client
            .batch_write_item()
            .request_items("tab1", many)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let prefix =
        "1 validation error detected: Value '{tab1=[com.amazonaws.dynamodb.v20120810.WriteRequest@";
    let suffix = "]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]";
    assert!(
        message.starts_with(prefix) && message.ends_with(suffix),
        "{message}"
    );
    assert_eq!(message.matches("WriteRequest@").count(), 26);
    assert!(get(&client, "tab1", "k0").await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_get_validation() {
    let server = Server::start();
    let client = server.client();
    create_table(&client, "tab1", None).await;

    let dup = client
        .batch_get_item()
        .request_items(
            "tab1",
            keys(vec![item(&[("pk", s("a"))]), item(&[("pk", s("a"))])]),
        )
        .send()
        .await;
    assert_eq!(
        error_of(dup),
        (
            "ValidationException".to_string(),
            "Provided list of item keys contains duplicates".to_string()
        )
    );

    let hundred: Vec<_> = (0..100)
        .map(|i| item(&[("pk", s(&i.to_string()))]))
        .collect();
    let too_many = client
        .batch_get_item()
        .request_items("tab1", keys(hundred.clone()))
        .request_items("tab2", keys(vec![item(&[("pk", s("x"))])]))
        .send()
        .await;
    assert_eq!(
        error_of(too_many),
        (
            "ValidationException".to_string(),
            "Too many items requested for the BatchGetItem call".to_string()
        )
    );

    // Exactly 100 is allowed.
    let ok = client
        .batch_get_item()
        .request_items("tab1", keys(hundred))
        .send()
        .await
        .unwrap();
    assert!(ok.responses().unwrap()["tab1"].is_empty());

    let missing = client
        .batch_get_item()
        .request_items("tab2", keys(vec![item(&[("pk", s("x"))])]))
        .send()
        .await;
    assert_eq!(
        error_of(missing),
        (
            "ResourceNotFoundException".to_string(),
            "Requested resource not found".to_string()
        )
    );

    let bad_key = client
        .batch_get_item()
        .request_items(
            "tab1",
            keys(vec![item(&[("pk", s("x")), ("extra", s("y"))])]),
        )
        .send()
        .await;
    assert_eq!(
        error_of(bad_key),
        (
            "ValidationException".to_string(),
            "The provided key element does not match the schema".to_string()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_batch_survives_sigkill() {
    let mut server = Server::start();
    let client = server.client();
    create_table(&client, "tab1", None).await;
    create_table(&client, "tab2", None).await;
    let requests: Vec<WriteRequest> = (0..25)
        .map(|i| put(&[("pk", s(&format!("k{i}"))), ("v", AV::N(i.to_string()))]))
        .collect();
    client
        .batch_write_item()
        .request_items("tab1", requests[..20].to_vec())
        .request_items("tab2", requests[20..].to_vec())
        .send()
        .await
        .unwrap();
    server.kill();
    server.relaunch();
    let client = server.client();

    let all: Vec<_> = (0..20)
        .map(|i| item(&[("pk", s(&format!("k{i}")))]))
        .collect();
    let got = client
        .batch_get_item()
        .request_items("tab1", keys(all))
        .request_items(
            "tab2",
            keys(
                (20..25)
                    .map(|i| item(&[("pk", s(&format!("k{i}")))]))
                    .collect(),
            ),
        )
        .send()
        .await
        .unwrap();
    let responses = got.responses().unwrap();
    assert_eq!(responses["tab1"].len(), 20);
    assert_eq!(responses["tab2"].len(), 5);
    for t in ["tab1", "tab2"] {
        let d = client.describe_table().table_name(t).send().await.unwrap();
        assert_eq!(
            d.table().unwrap().item_count(),
            Some(if t == "tab1" { 20 } else { 5 })
        );
    }
}
