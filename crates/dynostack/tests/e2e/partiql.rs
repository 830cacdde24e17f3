//! PartiQL through aws-sdk-rust: ExecuteStatement (each statement kind on a hash-only and a
//! hash+range table, key lookups and scans, NextToken pagination, parameters), the per-statement
//! errors of BatchExecuteStatement, and all-or-nothing ExecuteTransaction.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue as AV, BatchStatementErrorCodeEnum, BatchStatementRequest,
    ParameterizedStatement, ReturnConsumedCapacity, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;

use crate::harness::{create_table, error_of, n, s, Server};

async fn exec(c: &Client, statement: &str, params: &[AV]) -> Vec<HashMap<String, AV>> {
    c.execute_statement()
        .statement(statement)
        .set_parameters((!params.is_empty()).then(|| params.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e:?}"))
        .items
        .unwrap_or_default()
}

async fn get(c: &Client, table: &str, key: &[(&str, AV)]) -> Option<HashMap<String, AV>> {
    let mut req = c.get_item().table_name(table).consistent_read(true);
    for (k, v) in key {
        req = req.key(*k, v.clone());
    }
    req.send().await.unwrap().item
}

async fn tables(server: &Server) -> Client {
    let c = server.client();
    create_table(&c, "hash_t", None).await;
    create_table(&c, "range_t", Some(("sk", ScalarAttributeType::N))).await;
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn every_statement_kind_on_both_table_shapes() {
    let server = Server::start();
    let c = tables(&server).await;

    // INSERT
    exec(
        &c,
        "INSERT INTO hash_t VALUE {'pk': 'a', 'n': 1, 'm': {'l': [1, 'x']}, 's': <<'p', 'q'>>}",
        &[],
    )
    .await;
    exec(
        &c,
        "INSERT INTO range_t VALUE {'pk': ?, 'sk': ?, 'v': ?}",
        &[s("a"), n(1), s("one")],
    )
    .await;
    exec(
        &c,
        "INSERT INTO range_t VALUE {'pk': 'a', 'sk': 2, 'v': 'two'}",
        &[],
    )
    .await;
    let item = get(&c, "hash_t", &[("pk", s("a"))]).await.unwrap();
    assert_eq!(
        item["m"],
        AV::M([("l".to_string(), AV::L(vec![n(1), s("x")]))].into())
    );
    let (code, message) = error_of(
        c.execute_statement()
            .statement("INSERT INTO hash_t VALUE {'pk': 'a'}")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "DuplicateItemException",
            "Duplicate primary key exists in table"
        )
    );

    // SELECT: key lookups, nested paths, sort-key ranges
    let items = exec(&c, "SELECT m.l[1], n FROM hash_t WHERE pk = 'a'", &[]).await;
    assert_eq!(
        items,
        vec![HashMap::from([
            ("l[1]".to_string(), s("x")),
            ("n".to_string(), n(1))
        ])]
    );
    let items = exec(
        &c,
        "SELECT v FROM range_t WHERE pk = 'a' AND sk >= ? ORDER BY sk DESC",
        &[n(1)],
    )
    .await;
    assert_eq!(
        items,
        vec![
            HashMap::from([("v".to_string(), s("two"))]),
            HashMap::from([("v".to_string(), s("one"))])
        ]
    );

    // UPDATE
    exec(&c, "UPDATE hash_t SET n = n + 1, m.k = 'new' SET s = set_add(s, <<'r'>>) REMOVE m.l WHERE pk = 'a'", &[]).await;
    let item = get(&c, "hash_t", &[("pk", s("a"))]).await.unwrap();
    assert_eq!(item["n"], n(2));
    assert_eq!(item["m"], AV::M([("k".to_string(), s("new"))].into()));
    let returned = exec(
        &c,
        "UPDATE range_t SET v = 'uno' WHERE pk = 'a' AND sk = 1 RETURNING ALL OLD *",
        &[],
    )
    .await;
    assert_eq!(returned[0]["v"], s("one"));
    let (code, message) = error_of(
        c.execute_statement()
            .statement("UPDATE range_t SET v = 1 WHERE pk = 'a'")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ValidationException",
            "Where clause does not contain a mandatory equality on all key attributes"
        )
    );
    let (code, message) = error_of(
        c.execute_statement()
            .statement("UPDATE range_t SET v = 1 WHERE pk = 'zz' AND sk = 1")
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

    // DELETE
    exec(&c, "DELETE FROM range_t WHERE pk = 'a' AND sk = 2", &[]).await;
    assert!(get(&c, "range_t", &[("pk", s("a")), ("sk", n(2))])
        .await
        .is_none());
    let (code, _) = error_of(
        c.execute_statement()
            .statement("DELETE FROM hash_t WHERE pk = 'a' AND n = 99")
            .send()
            .await,
    );
    assert_eq!(code, "ConditionalCheckFailedException");
    exec(&c, "DELETE FROM hash_t WHERE pk = 'a' AND n = 2", &[]).await;
    assert!(get(&c, "hash_t", &[("pk", s("a"))]).await.is_none());
    // Deleting what is not there succeeds.
    exec(&c, "DELETE FROM hash_t WHERE pk = 'a'", &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn key_lookup_and_scan_and_pagination() {
    let server = Server::start();
    let c = tables(&server).await;
    for p in 0..5 {
        for k in 0..4 {
            exec(
                &c,
                "INSERT INTO range_t VALUE {'pk': ?, 'sk': ?, 'pad': ?}",
                &[s(&format!("p{p}")), n(k), s(&"x".repeat(2000))],
            )
            .await;
        }
    }
    // One partition: a Query reads only its 4 items (8 KB: 1 unit eventually consistent).
    let q = c
        .execute_statement()
        .statement("SELECT sk FROM range_t WHERE pk = 'p3'")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(q.items().len(), 4);
    assert_eq!(
        q.consumed_capacity().and_then(|cc| cc.capacity_units()),
        Some(1.0)
    );
    // No partition key: a Scan reads all 20 (40 KB: 5 units).
    let scan = c
        .execute_statement()
        .statement("SELECT sk FROM range_t WHERE sk = 3")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(scan.items().len(), 5);
    assert_eq!(
        scan.consumed_capacity().and_then(|cc| cc.capacity_units()),
        Some(5.0)
    );

    // Pages of 3 through a scan, then through the partitions of an IN.
    for statement in [
        "SELECT pk, sk FROM range_t",
        "SELECT pk, sk FROM range_t WHERE pk IN ['p4', 'p0', 'p2']",
    ] {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = c
                .execute_statement()
                .statement(statement)
                .limit(3)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap();
            assert!(resp.items().len() <= 3);
            all.extend(resp.items().iter().cloned());
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let expected = if statement.contains("IN") { 12 } else { 20 };
        assert_eq!(all.len(), expected, "{statement}");
        let mut keys: Vec<(String, String)> = all
            .iter()
            .map(|i| {
                (
                    i["pk"].as_s().unwrap().clone(),
                    i["sk"].as_n().unwrap().clone(),
                )
            })
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), expected, "no item twice");
    }
    let (code, message) = error_of(
        c.execute_statement()
            .statement("SELECT * FROM range_t")
            .next_token("not a token")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ValidationException", "Invalid NextToken")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_statements_fail_one_by_one() {
    let server = Server::start();
    let c = tables(&server).await;
    exec(&c, "INSERT INTO hash_t VALUE {'pk': 'exists'}", &[]).await;
    let stmt = |t: &str| {
        BatchStatementRequest::builder()
            .statement(t)
            .build()
            .unwrap()
    };
    let resp = c
        .batch_execute_statement()
        .statements(stmt("INSERT INTO hash_t VALUE {'pk': 'new'}"))
        .statements(stmt("INSERT INTO hash_t VALUE {'pk': 'exists'}"))
        .statements(stmt("UPDATE hash_t SET a = 1 WHERE pk = 'ghost'"))
        .statements(stmt("DELETE FROM range_t WHERE pk = 'x'"))
        .statements(stmt("INSERT INTO nowhere VALUE {'pk': 'x'}"))
        .send()
        .await
        .unwrap();
    let r = resp.responses();
    assert_eq!(r.len(), 5);
    assert!(r[0].error().is_none());
    assert_eq!(r[0].table_name(), Some("hash_t"));
    let code = |i: usize| r[i].error().and_then(|e| e.code()).cloned();
    assert_eq!(code(1), Some(BatchStatementErrorCodeEnum::DuplicateItem));
    assert_eq!(
        code(2),
        Some(BatchStatementErrorCodeEnum::ConditionalCheckFailed)
    );
    assert_eq!(code(3), Some(BatchStatementErrorCodeEnum::ValidationError));
    assert_eq!(code(4), Some(BatchStatementErrorCodeEnum::ResourceNotFound));
    assert!(get(&c, "hash_t", &[("pk", s("new"))]).await.is_some());

    let resp = c
        .batch_execute_statement()
        .statements(stmt("SELECT * FROM hash_t WHERE pk = 'new'"))
        .statements(stmt("SELECT * FROM hash_t WHERE pk = 'none'"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.responses()[0].item().map(|i| i["pk"].clone()),
        Some(s("new"))
    );
    assert!(resp.responses()[1].item().is_none() && resp.responses()[1].error().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn transactions_are_all_or_nothing() {
    let server = Server::start();
    let c = tables(&server).await;
    exec(
        &c,
        "INSERT INTO hash_t VALUE {'pk': 'from', 'bal': 10}",
        &[],
    )
    .await;
    exec(&c, "INSERT INTO hash_t VALUE {'pk': 'to', 'bal': 0}", &[]).await;
    let st = |t: &str, p: &[AV]| {
        ParameterizedStatement::builder()
            .statement(t)
            .set_parameters((!p.is_empty()).then(|| p.to_vec()))
            .build()
            .unwrap()
    };
    let transfer = |amount: i64| {
        c.execute_transaction()
            .transact_statements(st(
                "UPDATE hash_t SET bal = bal - ? WHERE pk = 'from' AND bal >= ?",
                &[n(amount), n(amount)],
            ))
            .transact_statements(st(
                "UPDATE hash_t SET bal = bal + ? WHERE pk = 'to'",
                &[n(amount)],
            ))
            .transact_statements(st(
                "INSERT INTO range_t VALUE {'pk': 'log', 'sk': ?}",
                &[n(amount)],
            ))
            .send()
    };
    transfer(7).await.unwrap();
    let (code, _) = error_of(transfer(5).await);
    assert_eq!(code, "TransactionCanceledException");
    assert_eq!(
        get(&c, "hash_t", &[("pk", s("from"))]).await.unwrap()["bal"],
        n(3)
    );
    assert_eq!(
        get(&c, "hash_t", &[("pk", s("to"))]).await.unwrap()["bal"],
        n(7)
    );
    assert!(get(&c, "range_t", &[("pk", s("log")), ("sk", n(5))])
        .await
        .is_none());

    let read = c
        .execute_transaction()
        .transact_statements(st("SELECT bal FROM hash_t WHERE pk = 'from'", &[]))
        .transact_statements(st("SELECT * FROM hash_t WHERE pk = 'nobody'", &[]))
        .send()
        .await
        .unwrap();
    let responses = read.responses();
    assert_eq!(responses[0].item().map(|i| i["bal"].clone()), Some(n(3)));
    assert!(responses[1].item().is_none());
}
