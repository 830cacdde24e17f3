//! Query, Scan and secondary indexes through aws-sdk-rust: paging, projections, backfill,
//! consumed capacity.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue as AV, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ReturnConsumedCapacity, ScalarAttributeType, Select,
};
use aws_sdk_dynamodb::Client;

use crate::harness::{attr, error_of, key, n, s, Server};

/// The seed's `users` table shape: hash user_id, range created_at, GSIs email-index (ALL) and
/// status-index (INCLUDE user_id, email), plus an LSI by score (KEYS_ONLY).
async fn users_table(client: &Client) {
    client
        .create_table()
        .table_name("users")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("user_id", ScalarAttributeType::S))
        .attribute_definitions(attr("created_at", ScalarAttributeType::S))
        .attribute_definitions(attr("email", ScalarAttributeType::S))
        .attribute_definitions(attr("status", ScalarAttributeType::S))
        .attribute_definitions(attr("score", ScalarAttributeType::N))
        .key_schema(key("user_id", KeyType::Hash))
        .key_schema(key("created_at", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("email-index")
                .key_schema(key("email", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("status-index")
                .key_schema(key("status", KeyType::Hash))
                .key_schema(key("created_at", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .non_key_attributes("user_id")
                        .non_key_attributes("email")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by-score")
                .key_schema(key("user_id", KeyType::Hash))
                .key_schema(key("score", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn put_user(client: &Client, user: &str, i: i64, status: &str, padding: usize) {
    client
        .put_item()
        .table_name("users")
        .item("user_id", s(user))
        .item("created_at", s(&format!("2024-01-01T00:00:{i:03}")))
        .item("email", s(&format!("{user}-{i}@example.com")))
        .item("status", s(status))
        .item("score", n(100 - i))
        .item("name", s(&"x".repeat(padding)))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn query_pages_through_table_and_indexes() {
    let server = Server::start();
    let client = server.client();
    users_table(&client).await;
    for i in 0..25 {
        put_user(
            &client,
            "alice",
            i,
            if i % 2 == 0 { "active" } else { "inactive" },
            10,
        )
        .await;
    }
    for i in 0..5 {
        put_user(&client, "bob", i, "active", 10).await;
    }

    // Base table, descending, 7 per page: every item exactly once, in order.
    let mut seen = Vec::new();
    let mut start: Option<HashMap<String, AV>> = None;
    let mut pages = 0;
    loop {
        let page = client
            .query()
            .table_name("users")
            .key_condition_expression("user_id = :u AND created_at >= :t")
            .expression_attribute_values(":u", s("alice"))
            .expression_attribute_values(":t", s("2024-01-01T00:00:003"))
            .scan_index_forward(false)
            .limit(7)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(
            page.items()
                .iter()
                .map(|i| i["created_at"].as_s().unwrap().clone()),
        );
        match page.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    let expected: Vec<String> = (3..25)
        .rev()
        .map(|i| format!("2024-01-01T00:00:{i:03}"))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(pages, 4);

    // GSI with INCLUDE projection: exactly the keys and the projected attributes; paging on an
    // index carries the table key and the index key.
    let mut count = 0;
    let mut start: Option<HashMap<String, AV>> = None;
    loop {
        let page = client
            .query()
            .table_name("users")
            .index_name("status-index")
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", s("active"))
            .limit(4)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in page.items() {
            let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
            names.sort();
            assert_eq!(names, ["created_at", "email", "status", "user_id"]);
        }
        count += page.count();
        match page.last_evaluated_key() {
            Some(k) => {
                assert_eq!(k.len(), 3, "{k:?}");
                start = Some(k.clone());
            }
            None => break,
        }
    }
    assert_eq!(count, 13 + 5);

    // LSI, KEYS_ONLY, ordered by score; ALL_ATTRIBUTES fetches from the table.
    let lsi = client
        .query()
        .table_name("users")
        .index_name("by-score")
        .key_condition_expression("user_id = :u AND score BETWEEN :lo AND :hi")
        .expression_attribute_values(":u", s("bob"))
        .expression_attribute_values(":lo", n(97))
        .expression_attribute_values(":hi", n(100))
        .select(Select::AllAttributes)
        .send()
        .await
        .unwrap();
    let scores: Vec<&str> = lsi
        .items()
        .iter()
        .map(|i| i["score"].as_n().unwrap().as_str())
        .collect();
    assert_eq!(scores, ["97", "98", "99", "100"]);
    assert!(lsi.items()[0].contains_key("name"));

    // A GSI does not serve strongly consistent reads.
    let (code, message) = error_of(
        client
            .query()
            .table_name("users")
            .index_name("email-index")
            .consistent_read(true)
            .key_condition_expression("email = :e")
            .expression_attribute_values(":e", s("bob-1@example.com"))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ValidationException",
            "Consistent reads are not supported on global secondary indexes"
        )
    );

    // Deleting an item takes it out of every index.
    client
        .delete_item()
        .table_name("users")
        .key("user_id", s("bob"))
        .key("created_at", s("2024-01-01T00:00:001"))
        .send()
        .await
        .unwrap();
    let gone = client
        .query()
        .table_name("users")
        .index_name("email-index")
        .key_condition_expression("email = :e")
        .expression_attribute_values(":e", s("bob-1@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.count(), 0);
    let table = client
        .describe_table()
        .table_name("users")
        .send()
        .await
        .unwrap();
    let gsis = table.table().unwrap().global_secondary_indexes();
    let email = gsis
        .iter()
        .find(|g| g.index_name() == Some("email-index"))
        .unwrap();
    assert_eq!(email.item_count(), Some(29));
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_scan_covers_every_item_once() {
    let server = Server::start();
    let client = server.client();
    crate::harness::create_table(&client, "scan", None).await;
    for i in 0..200 {
        client
            .put_item()
            .table_name("scan")
            .item("pk", s(&format!("k{i}")))
            .item("v", n(i))
            .send()
            .await
            .unwrap();
    }
    let mut all = Vec::new();
    for segment in 0..7 {
        let mut start: Option<HashMap<String, AV>> = None;
        loop {
            let page = client
                .scan()
                .table_name("scan")
                .segment(segment)
                .total_segments(7)
                .limit(11)
                .filter_expression("v >= :z")
                .expression_attribute_values(":z", n(0))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .unwrap();
            all.extend(page.items().iter().map(|i| i["pk"].as_s().unwrap().clone()));
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 200);
    let filtered = client
        .scan()
        .table_name("scan")
        .filter_expression("v < :ten")
        .expression_attribute_values(":ten", n(10))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!((filtered.count(), filtered.scanned_count()), (10, 200));
    assert!(filtered.items().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn gsi_created_on_a_table_with_data_is_backfilled() {
    let mut server = Server::start();
    let client = server.client();
    crate::harness::create_table(&client, "late", None).await;
    for i in 0..600 {
        client
            .put_item()
            .table_name("late")
            .item("pk", s(&format!("k{i}")))
            .item("colour", s(if i % 3 == 0 { "red" } else { "blue" }))
            .send()
            .await
            .unwrap();
    }
    client
        .update_table()
        .table_name("late")
        .attribute_definitions(attr("colour", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by-colour")
                        .key_schema(key("colour", KeyType::Hash))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::KeysOnly)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut active = false;
    for _ in 0..100 {
        let t = client
            .describe_table()
            .table_name("late")
            .send()
            .await
            .unwrap();
        let g = &t.table().unwrap().global_secondary_indexes()[0];
        if g.index_status() == Some(&IndexStatus::Active) {
            assert_eq!(g.item_count(), Some(600));
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(active, "the index never became ACTIVE");
    server.restart();
    let client = server.client();
    let red = client
        .query()
        .table_name("late")
        .index_name("by-colour")
        .key_condition_expression("colour = :c")
        .expression_attribute_values(":c", s("red"))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(red.count(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn consumed_capacity_follows_aws_arithmetic() {
    let server = Server::start();
    let client = server.client();
    users_table(&client).await;
    // An item of about 3.5 KB: 4 WCU on the table; its GSI entries (ALL projection: the same
    // size, 4 WCU; INCLUDE projection: small, 1 WCU) and its LSI entry (KEYS_ONLY, 1 WCU).
    let put = client
        .put_item()
        .table_name("users")
        .item("user_id", s("carol"))
        .item("created_at", s("2024"))
        .item("email", s("carol@example.com"))
        .item("status", s("active"))
        .item("score", n(1))
        .item("blob", s(&"x".repeat(3500)))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let cc = put.consumed_capacity().unwrap();
    assert_eq!(cc.table().unwrap().capacity_units(), Some(4.0));
    let gsi = cc.global_secondary_indexes().unwrap();
    assert_eq!(gsi["email-index"].capacity_units(), Some(4.0));
    assert_eq!(gsi["status-index"].capacity_units(), Some(1.0));
    assert_eq!(
        cc.local_secondary_indexes().unwrap()["by-score"].capacity_units(),
        Some(1.0)
    );
    assert_eq!(cc.capacity_units(), Some(10.0));

    // Reading it: 1 RCU strongly consistent, 0.5 eventually.
    for (consistent, units) in [(true, 1.0), (false, 0.5)] {
        let got = client
            .get_item()
            .table_name("users")
            .key("user_id", s("carol"))
            .key("created_at", s("2024"))
            .consistent_read(consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.consumed_capacity().unwrap().capacity_units(),
            Some(units)
        );
    }
    // Query is sized by what it read, not what it returned: a filter that drops everything
    // still costs the 3.5 KB read (1 RCU, 0.5 eventually consistent).
    let q = client
        .query()
        .table_name("users")
        .key_condition_expression("user_id = :u")
        .filter_expression("score > :big")
        .expression_attribute_values(":u", s("carol"))
        .expression_attribute_values(":big", n(1000))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!((q.count(), q.scanned_count()), (0, 1));
    assert_eq!(q.consumed_capacity().unwrap().capacity_units(), Some(0.5));
}
