//! Acknowledged writes survive SIGKILL; concurrent conditional writes lose no update.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::AttributeValue as AV;
use aws_sdk_dynamodb::Client;

use crate::harness::{config_for, create_table, Server};

const WRITERS: usize = 8;

/// What one writer knows: the writes the server acknowledged, and the one in flight when the
/// server died (which may or may not have committed).
#[derive(Default)]
struct Ledger {
    acked_keys: Vec<u64>,
    in_flight_key: Option<u64>,
    acked_version: u64,
}

fn no_retry_client(endpoint: &str) -> Client {
    Client::from_conf(
        config_for(endpoint, "AKIDEXAMPLE", "secret")
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

async fn writer(client: Client, w: usize, ledger: Arc<Mutex<Ledger>>) {
    for i in 0u64.. {
        ledger.lock().unwrap().in_flight_key = Some(i);
        let put = client
            .put_item()
            .table_name("ledger")
            .item("pk", AV::S(format!("w{w}-{i}")))
            .item("payload", AV::S("x".repeat(200)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        if put.is_err() {
            return;
        }
        {
            let mut l = ledger.lock().unwrap();
            l.acked_keys.push(i);
            l.in_flight_key = None;
        }
        let cur = ledger.lock().unwrap().acked_version;
        let bump = client
            .update_item()
            .table_name("ledger")
            .key("pk", AV::S(format!("counter-{w}")))
            .update_expression("SET v = :next")
            .condition_expression("v = :cur")
            .expression_attribute_values(":cur", AV::N(cur.to_string()))
            .expression_attribute_values(":next", AV::N((cur + 1).to_string()))
            .send()
            .await;
        if bump.is_err() {
            return;
        }
        ledger.lock().unwrap().acked_version = cur + 1;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_loses_no_acknowledged_write() {
    let mut server = Server::start();
    let client = server.client();
    create_table(&client, "ledger", None).await;
    for w in 0..WRITERS {
        client
            .put_item()
            .table_name("ledger")
            .item("pk", AV::S(format!("counter-{w}")))
            .item("v", AV::N("0".into()))
            .send()
            .await
            .unwrap();
    }
    let ledgers: Vec<Arc<Mutex<Ledger>>> = (0..WRITERS).map(|_| Arc::default()).collect();
    let tasks: Vec<_> = ledgers
        .iter()
        .enumerate()
        .map(|(w, l)| tokio::spawn(writer(no_retry_client(&server.endpoint), w, l.clone())))
        .collect();
    // Let the writers get going, then kill the server mid-stream.
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let total: usize = ledgers
            .iter()
            .map(|l| l.lock().unwrap().acked_keys.len())
            .sum();
        if total >= 200 {
            break;
        }
    }
    server.kill();
    for t in tasks {
        t.await.unwrap();
    }
    server.relaunch();
    let client = server.client();

    let mut checked = 0;
    for (w, ledger) in ledgers.iter().enumerate() {
        let (acked_keys, in_flight_key, acked_version) = {
            let l = ledger.lock().unwrap();
            (l.acked_keys.clone(), l.in_flight_key, l.acked_version)
        };
        let last_acked = acked_keys.last().copied();
        for &i in &acked_keys {
            let got = client
                .get_item()
                .table_name("ledger")
                .key("pk", AV::S(format!("w{w}-{i}")))
                .consistent_read(true)
                .send()
                .await
                .unwrap();
            assert!(got.item().is_some(), "acknowledged write w{w}-{i} was lost");
            checked += 1;
        }
        // Nothing beyond what was sent: the key after the in-flight one never existed.
        let next = in_flight_key.map_or(last_acked.map_or(0, |x| x + 1), |x| x + 1);
        let beyond = client
            .get_item()
            .table_name("ledger")
            .key("pk", AV::S(format!("w{w}-{next}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        assert!(
            beyond.item().is_none(),
            "w{w}-{next} was never written but exists"
        );
        let counter = client
            .get_item()
            .table_name("ledger")
            .key("pk", AV::S(format!("counter-{w}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let v: u64 = counter.item().unwrap()["v"]
            .as_n()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            v == acked_version || v == acked_version + 1,
            "counter-{w} is {v}, acknowledged {acked_version}"
        );
    }
    assert!(checked >= 200);
    let count = client
        .describe_table()
        .table_name("ledger")
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .item_count()
        .unwrap();
    assert!(count as usize >= checked + WRITERS);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_conditional_increments_lose_nothing() {
    const CLIENTS: usize = 16;
    const EACH: usize = 25;
    let server = Server::start();
    let client = server.client();
    create_table(&client, "counter", None).await;
    client
        .put_item()
        .table_name("counter")
        .item("pk", AV::S("c".into()))
        .item("v", AV::N("0".into()))
        .send()
        .await
        .unwrap();
    let conflicts = Arc::new(Mutex::new(0usize));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let client = server.client();
            let conflicts = conflicts.clone();
            tokio::spawn(async move {
                let mut done = 0;
                while done < EACH {
                    let cur = client
                        .get_item()
                        .table_name("counter")
                        .key("pk", AV::S("c".into()))
                        .consistent_read(true)
                        .send()
                        .await
                        .unwrap();
                    let v: u64 = cur.item().unwrap()["v"].as_n().unwrap().parse().unwrap();
                    let res = client
                        .update_item()
                        .table_name("counter")
                        .key("pk", AV::S("c".into()))
                        .update_expression("SET v = :next")
                        .condition_expression("v = :cur")
                        .expression_attribute_values(":cur", AV::N(v.to_string()))
                        .expression_attribute_values(":next", AV::N((v + 1).to_string()))
                        .send()
                        .await;
                    match res {
                        Ok(_) => done += 1,
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                        {
                            *conflicts.lock().unwrap() += 1;
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let end = client
        .get_item()
        .table_name("counter")
        .key("pk", AV::S("c".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        end.item().unwrap()["v"],
        AV::N((CLIENTS * EACH).to_string())
    );
    // The test means something only if clients really raced.
    assert!(*conflicts.lock().unwrap() > 0, "no client ever conflicted");

    // ADD is atomic on the server: no read needed.
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let client = server.client();
            tokio::spawn(async move {
                for _ in 0..EACH {
                    client
                        .update_item()
                        .table_name("counter")
                        .key("pk", AV::S("added".into()))
                        .update_expression("ADD v :one")
                        .expression_attribute_values(":one", AV::N("1".into()))
                        .send()
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let end = client
        .get_item()
        .table_name("counter")
        .key("pk", AV::S("added".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        end.item().unwrap()["v"],
        AV::N((CLIENTS * EACH).to_string())
    );
}
