//! Property test over DynamoDB's whole request path (issue 19): the requests boto3 sends
//! (`crates/protocol/tests/corpus/json`), edited at random, go through `Dynamo::call` on an
//! in-memory store — decoding, validation, expressions, the write path — and each gets an
//! answer or an AWS error: no panic, no stack overflow. See `crates/item/tests/properties.rs`
//! for why proptest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../item/tests/common/corpus.rs"]
mod corpus;

use std::sync::OnceLock;

use dynamodb::{CallCtx, Dynamo, Env, Operation};
use proptest::prelude::*;

const PROTOCOL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol");

/// The requests of the corpus, by operation.
fn requests() -> Vec<(Operation, Vec<u8>)> {
    corpus::named_files(PROTOCOL, "json")
        .into_iter()
        .filter_map(|(name, body)| {
            let op = name.strip_prefix("dynamodb-")?.strip_suffix(".json")?;
            Some((Operation::from_name(op)?, body))
        })
        .collect()
}

/// One service for every case, with the table the corpus names ("tbl", key "pk").
/// The service of one test (`slot`): the edited requests may delete the table the replayed
/// corpus needs, so the two tests, which run at once, do not share one.
fn service(slot: usize) -> &'static (tokio::runtime::Runtime, Dynamo) {
    static SERVICES: [OnceLock<(tokio::runtime::Runtime, Dynamo)>; 2] =
        [OnceLock::new(), OnceLock::new()];
    SERVICES[slot].get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_stack_size(8 * 1024 * 1024)
            .enable_all()
            .build()
            .unwrap();
        let store = store::Store::in_memory().unwrap();
        let svc = Dynamo::open(
            store,
            Env {
                account_id: "123456789012".into(),
            },
        )
        .unwrap();
        let table = br#"{"TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}"#;
        rt.block_on(svc.call(Operation::CreateTable, table, &ctx()))
            .unwrap();
        (rt, svc)
    })
}

fn ctx() -> CallCtx {
    CallCtx {
        region: "us-east-1".into(),
        host: "localhost".into(),
    }
}

/// Runs `body` as `op` on a runtime thread, as requests run (a deep recursion would overflow
/// its stack); whether it succeeded.
fn call(slot: usize, op: Operation, body: Vec<u8>) -> bool {
    let (rt, svc) = service(slot);
    rt.block_on(async move {
        tokio::spawn(async move { svc.call(op, &body, &ctx()).await.is_ok() })
            .await
            .expect("the request panicked")
    })
}

#[test]
fn the_corpus_replays() {
    let answered: Vec<bool> = requests()
        .into_iter()
        .map(|(op, body)| call(0, op, body))
        .collect();
    assert!(answered.len() >= 10);
    // Most are valid against table "tbl": a service that refused them all broke.
    assert!(answered.iter().filter(|ok| **ok).count() * 2 > answered.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn edited_requests_are_answered(
        (op, seed) in prop::sample::select(requests()),
        edits in corpus::edits(),
    ) {
        call(1, op, corpus::apply(&seed, &edits));
    }
}
