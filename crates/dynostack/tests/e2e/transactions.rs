//! TransactWriteItems and TransactGetItems through aws-sdk-rust: every action kind, every
//! cancellation reason that can arise, idempotent retries, rollback, and serializability under
//! concurrency.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ConditionCheck, Delete, Get, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, StreamSpecification, StreamViewType,
    TransactGetItem, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;

use crate::harness::{error_of, n, s, Server};

async fn accounts_table(client: &Client) {
    client
        .create_table()
        .table_name("accounts")
        .billing_mode(BillingMode::PayPerRequest)
        // A stream, so that writes leave change-log records the rollback checks can count.
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("holder")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-owner")
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("holder")
                        .key_type(KeyType::Hash)
                        .build()
                        .unwrap(),
                )
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

fn update(id: &str, expr: &str, cond: Option<&str>, amount: i64) -> TransactWriteItem {
    let mut u = Update::builder()
        .table_name("accounts")
        .key("id", s(id))
        .update_expression(expr)
        .expression_attribute_values(":n", n(amount));
    if let Some(c) = cond {
        u = u.condition_expression(c);
    }
    TransactWriteItem::builder()
        .update(u.build().unwrap())
        .build()
}

fn transfer(from: &str, to: &str, amount: i64) -> Vec<TransactWriteItem> {
    vec![
        update(from, "SET bal = bal - :n", Some("bal >= :n"), amount),
        update(to, "SET bal = bal + :n", None, amount),
    ]
}

fn reasons(e: SdkError<TransactWriteItemsError>) -> Vec<(String, Option<String>)> {
    match e.into_service_error() {
        TransactWriteItemsError::TransactionCanceledException(t) => t
            .cancellation_reasons()
            .iter()
            .map(|r| {
                (
                    r.code().unwrap_or("").to_string(),
                    r.item()
                        .and_then(|i| i.get("bal"))
                        .and_then(|b| b.as_n().ok())
                        .cloned(),
                )
            })
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

async fn balance(client: &Client, id: &str) -> i64 {
    let got = client
        .get_item()
        .table_name("accounts")
        .key("id", s(id))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    got.item().unwrap()["bal"].as_n().unwrap().parse().unwrap()
}

/// Change-log records in the server's store (the server must be stopped).
fn change_count(server: &Server) -> usize {
    let store = store::Store::open_dir(server.data_dir()).unwrap();
    let mut count = 0;
    store
        .read()
        .unwrap()
        .changes(0, |_, _| {
            count += 1;
            store::ScanControl::Continue
        })
        .unwrap();
    let _ = Bound::<u8>::Unbounded;
    store.shutdown();
    count
}

#[tokio::test(flavor = "multi_thread")]
async fn every_action_kind_and_cancellation_reason() {
    let mut server = Server::start();
    let client = server.client();
    accounts_table(&client).await;
    for (id, bal) in [("a", 100), ("b", 0)] {
        client
            .put_item()
            .table_name("accounts")
            .item("id", s(id))
            .item("holder", s("ann"))
            .item("bal", n(bal))
            .send()
            .await
            .unwrap();
    }
    // Put, Update, Delete and ConditionCheck in one transaction.
    let out = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("accounts")
                        .item("id", s("c"))
                        .item("holder", s("cid"))
                        .item("bal", n(5))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(update("a", "SET bal = bal - :n", Some("bal >= :n"), 40))
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name("accounts")
                        .key("id", s("b"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name("accounts")
                        .key("id", s("zz"))
                        .condition_expression("attribute_not_exists(id)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    // Transactions cost twice: Put (1 + GSI 1), Update (1 + GSI 1), Delete (1 + GSI 1), Check (1).
    assert_eq!(out.consumed_capacity()[0].capacity_units(), Some(14.0));
    assert_eq!(balance(&client, "a").await, 60);
    assert_eq!(balance(&client, "c").await, 5);

    // A failed condition cancels all: one reason per action, in order, the item when asked.
    server.stop();
    let before = change_count(&server);
    assert!(before > 0, "the writes so far left change-log records");
    server.relaunch();
    let client = server.client();
    let e = client
        .transact_write_items()
        .transact_items(update("c", "SET bal = bal + :n", None, 1))
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name("accounts")
                        .key("id", s("a"))
                        .condition_expression("bal > :big")
                        .expression_attribute_values(":big", n(1000))
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("accounts")
                        .item("id", s("new"))
                        .item("holder", s("x"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        reasons(e),
        [
            ("None".to_string(), None),
            ("ConditionalCheckFailed".to_string(), Some("60".to_string())),
            ("None".to_string(), None)
        ]
    );
    // A data error (ADD to a string) is a ValidationError reason.
    let e = client
        .transact_write_items()
        .transact_items(update("a", "ADD holder :n", None, 1))
        .transact_items(update("c", "SET bal = bal + :n", None, 1))
        .send()
        .await
        .unwrap_err();
    let r = reasons(e);
    assert_eq!(r[0].0, "ValidationError");
    assert_eq!(r[1].0, "None");
    // No trace of either: table, index and change log unchanged.
    assert_eq!(balance(&client, "c").await, 5);
    assert!(client
        .get_item()
        .table_name("accounts")
        .key("id", s("new"))
        .send()
        .await
        .unwrap()
        .item()
        .is_none());
    let by_owner = client
        .query()
        .table_name("accounts")
        .index_name("by-owner")
        .key_condition_expression("#o = :o")
        .expression_attribute_names("#o", "holder")
        .expression_attribute_values(":o", s("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_owner.count(), 0);
    server.stop();
    assert_eq!(change_count(&server), before);
    server.relaunch();
    let client = server.client();

    // Two actions on one item are refused outright.
    let (code, message) = error_of(
        client
            .transact_write_items()
            .set_transact_items(Some(transfer("a", "a", 1)))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Transaction request cannot include multiple operations on one item"
    );

    // TransactGetItems: in order, an empty response for a missing item.
    let got = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("accounts")
                        .key("id", s("a"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("accounts")
                        .key("id", s("missing"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(got.responses()[0].item().unwrap()["bal"], n(60));
    assert!(got.responses()[1].item().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn client_request_tokens_are_idempotent() {
    let server = Server::start();
    let client = server.client();
    accounts_table(&client).await;
    for (id, bal) in [("a", 100), ("b", 0)] {
        client
            .put_item()
            .table_name("accounts")
            .item("id", s(id))
            .item("holder", s("o"))
            .item("bal", n(bal))
            .send()
            .await
            .unwrap();
    }
    for _ in 0..3 {
        client
            .transact_write_items()
            .set_transact_items(Some(transfer("a", "b", 10)))
            .client_request_token("retry-1")
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        (balance(&client, "a").await, balance(&client, "b").await),
        (90, 10)
    );
    let (code, _) = error_of(
        client
            .transact_write_items()
            .set_transact_items(Some(transfer("a", "b", 11)))
            .client_request_token("retry-1")
            .send()
            .await,
    );
    assert_eq!(code, "IdempotentParameterMismatchException");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_transfers_keep_the_total_and_reads_see_no_partial_state() {
    const ACCOUNTS: usize = 6;
    const WRITERS: usize = 8;
    const TRANSFERS: usize = 40;
    let server = Server::start();
    let client = server.client();
    accounts_table(&client).await;
    for i in 0..ACCOUNTS {
        client
            .put_item()
            .table_name("accounts")
            .item("id", s(&format!("acct{i}")))
            .item("holder", s("o"))
            .item("bal", n(1000))
            .send()
            .await
            .unwrap();
    }
    let done = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let client = server.client();
            let committed = committed.clone();
            tokio::spawn(async move {
                for t in 0..TRANSFERS {
                    let from = (w + t) % ACCOUNTS;
                    let to = (w + 3 * t + 1) % ACCOUNTS;
                    if from == to {
                        continue;
                    }
                    let amount = ((w * 7 + t * 13) % 50) as i64 + 1;
                    let res = client
                        .transact_write_items()
                        .set_transact_items(Some(transfer(
                            &format!("acct{from}"),
                            &format!("acct{to}"),
                            amount,
                        )))
                        .send()
                        .await;
                    match res {
                        Ok(_) => {
                            committed.fetch_add(1, Ordering::Relaxed);
                        }
                        // Insufficient funds: a refused condition, nothing written.
                        Err(e) => {
                            assert!(reasons(e).iter().any(|r| r.0 == "ConditionalCheckFailed"))
                        }
                    }
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let client = server.client();
            let done = done.clone();
            tokio::spawn(async move {
                let mut reads = 0;
                while !done.load(Ordering::Relaxed) || reads == 0 {
                    let mut req = client.transact_get_items();
                    for i in 0..ACCOUNTS {
                        req = req.transact_items(
                            TransactGetItem::builder()
                                .get(
                                    Get::builder()
                                        .table_name("accounts")
                                        .key("id", s(&format!("acct{i}")))
                                        .build()
                                        .unwrap(),
                                )
                                .build(),
                        );
                    }
                    let got = req.send().await.unwrap();
                    let total: i64 = got
                        .responses()
                        .iter()
                        .map(|r| {
                            r.item().unwrap()["bal"]
                                .as_n()
                                .unwrap()
                                .parse::<i64>()
                                .unwrap()
                        })
                        .sum();
                    assert_eq!(
                        total,
                        1000 * ACCOUNTS as i64,
                        "a read saw a partial transaction"
                    );
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.await.unwrap() > 0);
    }
    assert!(committed.load(Ordering::Relaxed) > WRITERS * TRANSFERS / 2);
    let mut total = 0;
    for i in 0..ACCOUNTS {
        total += balance(&client, &format!("acct{i}")).await;
    }
    assert_eq!(total, 1000 * ACCOUNTS as i64);
}
