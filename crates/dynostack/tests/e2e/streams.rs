//! DynamoDB Streams end to end with aws-sdk-dynamodbstreams: every view type through a shard
//! iterator chain, across a restart, shard rollover, a stream disabled and enabled again, TTL
//! deletions as service records, and the errors.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue as AV, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodbstreams::types::{AttributeValue as SAV, Record, ShardIteratorType};
use aws_sdk_dynamodbstreams::Client as StreamsClient;

use crate::harness::{create_table, Server};

fn streams_client(endpoint: &str) -> StreamsClient {
    let conf = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .build();
    StreamsClient::from_conf(conf)
}

fn error_of<E, R>(
    result: Result<R, aws_sdk_dynamodbstreams::error::SdkError<E>>,
) -> (String, String)
where
    E: aws_sdk_dynamodbstreams::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match result {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(e) => {
            let meta = aws_sdk_dynamodbstreams::error::ProvideErrorMetadata::meta(&e).clone();
            (
                meta.code().unwrap_or("").to_string(),
                meta.message().unwrap_or("").to_string(),
            )
        }
    }
}

async fn enable_stream(ddb: &aws_sdk_dynamodb::Client, table: &str, view: StreamViewType) {
    ddb.update_table()
        .table_name(table)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn stream_arn_of(ddb: &aws_sdk_dynamodb::Client, table: &str) -> String {
    ddb.describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .latest_stream_arn
        .unwrap()
}

/// Every record of a shard from `iterator` on, following NextShardIterator until a call
/// returns nothing (or the shard is closed and exhausted), `limit` records per call.
async fn drain(
    client: &StreamsClient,
    iterator: String,
    limit: i32,
) -> (Vec<Record>, Option<String>) {
    let mut out = Vec::new();
    let mut it = Some(iterator);
    loop {
        let Some(current) = it.take() else {
            return (out, None);
        };
        let page = client
            .get_records()
            .shard_iterator(&current)
            .limit(limit)
            .send()
            .await
            .unwrap();
        let records = page.records.unwrap_or_default();
        let empty = records.is_empty();
        out.extend(records);
        it = page.next_shard_iterator;
        if empty {
            return (out, it);
        }
    }
}

/// Every record of a stream: shards in parent order, each from TRIM_HORIZON.
async fn read_stream(client: &StreamsClient, arn: &str) -> Vec<Record> {
    let d = client
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    let shards = d.shards.unwrap_or_default();
    let mut out = Vec::new();
    let mut parent: Option<String> = None;
    for s in &shards {
        assert_eq!(
            s.parent_shard_id, parent,
            "shards chain through ParentShardId"
        );
        parent = s.shard_id.clone();
        let it = client
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(s.shard_id.clone().unwrap())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator
            .unwrap();
        let (records, next) = drain(client, it, 1000).await;
        if s.sequence_number_range
            .as_ref()
            .unwrap()
            .ending_sequence_number
            .is_some()
        {
            assert!(next.is_none(), "a closed shard ends its iterator chain");
        }
        out.extend(records);
    }
    out
}

fn seq(r: &Record) -> u128 {
    r.dynamodb
        .as_ref()
        .unwrap()
        .sequence_number
        .as_ref()
        .unwrap()
        .parse()
        .unwrap()
}

fn s(v: &str) -> SAV {
    SAV::S(v.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_type_through_an_iterator_chain() {
    let server = Server::start();
    let ddb = server.client();
    let streams = streams_client(&server.endpoint);
    for view in [
        StreamViewType::KeysOnly,
        StreamViewType::NewImage,
        StreamViewType::OldImage,
        StreamViewType::NewAndOldImages,
    ] {
        let table = format!("view-{}", view.as_str().to_lowercase().replace('_', "-"));
        create_table(&ddb, &table, None).await;
        enable_stream(&ddb, &table, view.clone()).await;
        let put = |v: &str| {
            ddb.put_item()
                .table_name(&table)
                .item("pk", AV::S("a".into()))
                .item("v", AV::S(v.into()))
                .send()
        };
        put("1").await.unwrap();
        put("2").await.unwrap();
        put("2").await.unwrap(); // changes nothing: no record
        ddb.delete_item()
            .table_name(&table)
            .key("pk", AV::S("a".into()))
            .send()
            .await
            .unwrap();
        ddb.delete_item()
            .table_name(&table)
            .key("pk", AV::S("a".into()))
            .send()
            .await
            .unwrap(); // nothing to delete: no record

        let arn = stream_arn_of(&ddb, &table).await;
        let listed = streams
            .list_streams()
            .table_name(&table)
            .send()
            .await
            .unwrap();
        let listed = listed.streams.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].stream_arn.as_deref(), Some(arn.as_str()));
        assert_eq!(listed[0].table_name.as_deref(), Some(table.as_str()));

        let d = streams
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .unwrap()
            .stream_description
            .unwrap();
        assert_eq!(d.stream_status.unwrap().as_str(), "ENABLED");
        assert_eq!(d.stream_view_type.as_ref().unwrap().as_str(), view.as_str());
        assert_eq!(d.table_name.as_deref(), Some(table.as_str()));
        assert!(d.creation_request_date_time.is_some());
        assert_eq!(d.key_schema.unwrap()[0].attribute_name, "pk");
        let shards = d.shards.unwrap();
        assert_eq!(shards.len(), 1);
        let shard = shards[0].shard_id.clone().unwrap();
        assert!(shard.starts_with("shardId-") && (28..=65).contains(&shard.len()));

        // One record per call: the chain itself carries the position.
        let it = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator
            .unwrap();
        let (records, next) = drain(&streams, it, 1).await;
        assert!(next.is_some(), "an open shard always has a next iterator");
        let names: Vec<&str> = records
            .iter()
            .map(|r| r.event_name.as_ref().unwrap().as_str())
            .collect();
        assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"], "{view:?}");
        let seqs: Vec<u128> = records.iter().map(seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        for r in &records {
            assert_eq!(r.event_version.as_deref(), Some("1.1"));
            assert_eq!(r.event_source.as_deref(), Some("aws:dynamodb"));
            assert_eq!(r.aws_region.as_deref(), Some("us-east-1"));
            assert_eq!(r.event_id.as_ref().unwrap().len(), 32);
            assert!(r.user_identity.is_none());
            let sr = r.dynamodb.as_ref().unwrap();
            assert!(sr.sequence_number.as_ref().unwrap().len() >= 21);
            assert_eq!(sr.keys.as_ref().unwrap().get("pk"), Some(&s("a")));
            assert_eq!(
                sr.stream_view_type.as_ref().unwrap().as_str(),
                view.as_str()
            );
            assert!(sr.approximate_creation_date_time.is_some());
            assert!(sr.size_bytes.unwrap() > 0);
        }
        let image = |i: usize, new: bool| {
            let sr = records[i].dynamodb.as_ref().unwrap();
            let img = if new { &sr.new_image } else { &sr.old_image };
            img.as_ref().map(|m| m.get("v").cloned().unwrap())
        };
        let (with_new, with_old) = match view {
            StreamViewType::KeysOnly => (false, false),
            StreamViewType::NewImage => (true, false),
            StreamViewType::OldImage => (false, true),
            _ => (true, true),
        };
        assert_eq!(image(0, true), with_new.then(|| s("1")));
        assert_eq!(image(0, false), None);
        assert_eq!(image(1, true), with_new.then(|| s("2")));
        assert_eq!(image(1, false), with_old.then(|| s("1")));
        assert_eq!(image(2, true), None);
        assert_eq!(image(2, false), with_old.then(|| s("2")));
        // Keys (pk "a": 2 + 1 bytes) plus the images carried ({pk, v}: 3 + 2 bytes each).
        let size = |i: usize| records[i].dynamodb.as_ref().unwrap().size_bytes.unwrap();
        assert_eq!(size(0), 3 + if with_new { 5 } else { 0 });
        assert_eq!(
            size(1),
            3 + if with_new { 5 } else { 0 } + if with_old { 5 } else { 0 }
        );

        // AT / AFTER sequence number and LATEST.
        let at = |t: ShardIteratorType, n: &str| {
            streams
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(&shard)
                .shard_iterator_type(t)
                .sequence_number(n)
                .send()
        };
        let second = records[1]
            .dynamodb
            .as_ref()
            .unwrap()
            .sequence_number
            .clone()
            .unwrap();
        let it = at(ShardIteratorType::AtSequenceNumber, &second)
            .await
            .unwrap()
            .shard_iterator
            .unwrap();
        let (from_second, _) = drain(&streams, it, 1000).await;
        assert_eq!(from_second.len(), 2);
        let it = at(ShardIteratorType::AfterSequenceNumber, &second)
            .await
            .unwrap()
            .shard_iterator
            .unwrap();
        let (after_second, _) = drain(&streams, it, 1000).await;
        assert_eq!(after_second.len(), 1);
        assert_eq!(
            after_second[0].event_name.as_ref().unwrap().as_str(),
            "REMOVE"
        );
        let latest = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::Latest)
            .send()
            .await
            .unwrap()
            .shard_iterator
            .unwrap();
        put("3").await.unwrap();
        let (after_latest, _) = drain(&streams, latest, 1000).await;
        assert_eq!(after_latest.len(), 1);
        assert_eq!(
            after_latest[0].event_name.as_ref().unwrap().as_str(),
            "INSERT"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_reads_on_across_a_restart_without_gaps_or_duplicates() {
    let mut server = Server::start();
    let ddb = server.client();
    create_table(&ddb, "restart", None).await;
    enable_stream(&ddb, "restart", StreamViewType::NewAndOldImages).await;
    for i in 0..30 {
        ddb.put_item()
            .table_name("restart")
            .item("pk", AV::S(format!("k{i:03}")))
            .item("n", AV::N(i.to_string()))
            .send()
            .await
            .unwrap();
    }
    let arn = stream_arn_of(&ddb, "restart").await;
    let streams = streams_client(&server.endpoint);
    let before = read_stream(&streams, &arn).await;
    assert_eq!(before.len(), 30);
    let last = before
        .last()
        .unwrap()
        .dynamodb
        .as_ref()
        .unwrap()
        .sequence_number
        .clone()
        .unwrap();
    let shard = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap()
        .shards
        .unwrap()[0]
        .shard_id
        .clone()
        .unwrap();

    server.restart();
    let ddb = server.client();
    let streams = streams_client(&server.endpoint);
    for i in 30..60 {
        ddb.put_item()
            .table_name("restart")
            .item("pk", AV::S(format!("k{i:03}")))
            .item("n", AV::N(i.to_string()))
            .send()
            .await
            .unwrap();
    }
    // Resume where the reader stopped: exactly the later records.
    let it = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
        .sequence_number(&last)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap();
    let (rest, _) = drain(&streams, it, 7).await;
    let keys = |rs: &[Record]| -> Vec<String> {
        rs.iter()
            .map(|r| {
                match r
                    .dynamodb
                    .as_ref()
                    .unwrap()
                    .keys
                    .as_ref()
                    .unwrap()
                    .get("pk")
                {
                    Some(SAV::S(k)) => k.clone(),
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    };
    let expected: Vec<String> = (30..60).map(|i| format!("k{i:03}")).collect();
    assert_eq!(keys(&rest), expected);

    // The whole stream again: the same sequence numbers as before the restart, no gap, no
    // duplicate.
    let all = read_stream(&streams, &arn).await;
    assert_eq!(all.len(), 60);
    let first_30: Vec<u128> = all[..30].iter().map(seq).collect();
    assert_eq!(first_30, before.iter().map(seq).collect::<Vec<_>>());
    let unique: BTreeSet<u128> = all.iter().map(seq).collect();
    assert_eq!(unique.len(), 60);
    assert_eq!(
        keys(&all),
        (0..60).map(|i| format!("k{i:03}")).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shards_roll_over_and_chain_through_their_parents() {
    let server = Server::start_with(&["--stream-shard-seconds", "0.4"]);
    let ddb = server.client();
    create_table(&ddb, "rolling", None).await;
    enable_stream(&ddb, "rolling", StreamViewType::KeysOnly).await;
    let arn = stream_arn_of(&ddb, "rolling").await;
    for i in 0..12 {
        ddb.put_item()
            .table_name("rolling")
            .item("pk", AV::S(format!("k{i:02}")))
            .send()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let streams = streams_client(&server.endpoint);
    let d = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    let shards = d.shards.unwrap();
    assert!(shards.len() >= 3, "{} shards", shards.len());
    for (i, s) in shards.iter().enumerate() {
        let range = s.sequence_number_range.as_ref().unwrap();
        if i + 1 < shards.len() {
            assert!(range.ending_sequence_number.is_some(), "closed shard {i}");
        }
    }
    let all = read_stream(&streams, &arn).await;
    let keys: Vec<String> = all
        .iter()
        .map(|r| {
            match r
                .dynamodb
                .as_ref()
                .unwrap()
                .keys
                .as_ref()
                .unwrap()
                .get("pk")
            {
                Some(SAV::S(k)) => k.clone(),
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert_eq!(
        keys,
        (0..12).map(|i| format!("k{i:02}")).collect::<Vec<_>>()
    );

    // Paging through the shards.
    let first = streams
        .describe_stream()
        .stream_arn(&arn)
        .limit(1)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    assert_eq!(first.shards.as_ref().unwrap().len(), 1);
    let last_id = first.last_evaluated_shard_id.clone().unwrap();
    assert_eq!(Some(&last_id), shards[0].shard_id.as_ref());
    let second = streams
        .describe_stream()
        .stream_arn(&arn)
        .limit(1)
        .exclusive_start_shard_id(&last_id)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    assert_eq!(second.shards.unwrap()[0].shard_id, shards[1].shard_id);

    // The children of a shard (ShardFilter CHILD_SHARDS).
    let children = streams
        .describe_stream()
        .stream_arn(&arn)
        .shard_filter(
            aws_sdk_dynamodbstreams::types::ShardFilter::builder()
                .r#type(aws_sdk_dynamodbstreams::types::ShardFilterType::ChildShards)
                .shard_id(shards[0].shard_id.clone().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap()
        .shards
        .unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].shard_id, shards[1].shard_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_enabled_again_is_a_new_stream() {
    let server = Server::start();
    let ddb = server.client();
    let streams = streams_client(&server.endpoint);
    create_table(&ddb, "again", None).await;
    enable_stream(&ddb, "again", StreamViewType::NewImage).await;
    let first = stream_arn_of(&ddb, "again").await;
    let put = |k: &str| {
        ddb.put_item()
            .table_name("again")
            .item("pk", AV::S(k.into()))
            .send()
    };
    put("one").await.unwrap();
    ddb.update_table()
        .table_name("again")
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    put("unstreamed").await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    enable_stream(&ddb, "again", StreamViewType::KeysOnly).await;
    let second = stream_arn_of(&ddb, "again").await;
    assert_ne!(first, second);
    put("two").await.unwrap();

    let d = streams
        .describe_stream()
        .stream_arn(&first)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    assert_eq!(d.stream_status.unwrap().as_str(), "DISABLED");
    assert!(d.shards.unwrap()[0]
        .sequence_number_range
        .as_ref()
        .unwrap()
        .ending_sequence_number
        .is_some());
    let pk = |r: &Record| {
        r.dynamodb
            .as_ref()
            .unwrap()
            .keys
            .as_ref()
            .unwrap()
            .get("pk")
            .cloned()
    };
    let old: Vec<_> = read_stream(&streams, &first).await.iter().map(pk).collect();
    assert_eq!(old, [Some(s("one"))]);
    let new = read_stream(&streams, &second).await;
    assert_eq!(new.iter().map(pk).collect::<Vec<_>>(), [Some(s("two"))]);
    assert!(
        new[0].dynamodb.as_ref().unwrap().new_image.is_none(),
        "KEYS_ONLY now"
    );

    let listed = streams
        .list_streams()
        .table_name("again")
        .send()
        .await
        .unwrap();
    let arns: Vec<String> = listed
        .streams
        .unwrap()
        .into_iter()
        .filter_map(|s| s.stream_arn)
        .collect();
    assert_eq!(arns, [first.clone(), second.clone()]);
    let page = streams
        .list_streams()
        .table_name("again")
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.last_evaluated_stream_arn.as_deref(),
        Some(first.as_str())
    );

    // A deleted table's stream stays readable, DISABLED.
    ddb.delete_table().table_name("again").send().await.unwrap();
    let d = streams
        .describe_stream()
        .stream_arn(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.stream_description
            .unwrap()
            .stream_status
            .unwrap()
            .as_str(),
        "DISABLED"
    );
    assert_eq!(read_stream(&streams, &second).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn ttl_deletions_are_service_records() {
    let server = Server::start_with(&["--ttl-sweep-seconds", "0.2"]);
    let ddb = server.client();
    let streams = streams_client(&server.endpoint);
    create_table(&ddb, "expiring", None).await;
    enable_stream(&ddb, "expiring", StreamViewType::NewAndOldImages).await;
    ddb.update_time_to_live()
        .table_name("expiring")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (k, at) in [("past", now - 10), ("future", now + 3600)] {
        ddb.put_item()
            .table_name("expiring")
            .item("pk", AV::S(k.into()))
            .item("expires_at", AV::N(at.to_string()))
            .send()
            .await
            .unwrap();
    }
    let mut gone = false;
    for _ in 0..100 {
        let got = ddb
            .get_item()
            .table_name("expiring")
            .key("pk", AV::S("past".into()))
            .send()
            .await
            .unwrap();
        if got.item.is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the expired item was not deleted");
    let arn = stream_arn_of(&ddb, "expiring").await;
    let records = read_stream(&streams, &arn).await;
    let names: Vec<&str> = records
        .iter()
        .map(|r| r.event_name.as_ref().unwrap().as_str())
        .collect();
    assert_eq!(names, ["INSERT", "INSERT", "REMOVE"]);
    let removal = &records[2];
    let who = removal
        .user_identity
        .as_ref()
        .expect("a TTL deletion names the service");
    assert_eq!(who.r#type.as_deref(), Some("Service"));
    assert_eq!(who.principal_id.as_deref(), Some("dynamodb.amazonaws.com"));
    assert!(records[0].user_identity.is_none());
    assert!(removal.dynamodb.as_ref().unwrap().old_image.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn iterators_expire_and_old_records_are_trimmed() {
    let server = Server::start_with(&[
        "--stream-iterator-seconds",
        "1",
        "--stream-retention-seconds",
        "2",
    ]);
    let ddb = server.client();
    let streams = streams_client(&server.endpoint);
    create_table(&ddb, "short", None).await;
    enable_stream(&ddb, "short", StreamViewType::KeysOnly).await;
    let arn = stream_arn_of(&ddb, "short").await;
    ddb.put_item()
        .table_name("short")
        .item("pk", AV::S("old".into()))
        .send()
        .await
        .unwrap();
    let d = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let shard = d.stream_description.unwrap().shards.unwrap()[0]
        .shard_id
        .clone()
        .unwrap();
    let trim_horizon = || {
        streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
    };
    let it = trim_horizon().await.unwrap().shard_iterator.unwrap();
    let (records, _) = drain(&streams, it.clone(), 10).await;
    let first_seq = records[0]
        .dynamodb
        .as_ref()
        .unwrap()
        .sequence_number
        .clone()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2600)).await;

    let (code, message) = error_of(streams.get_records().shard_iterator(&it).send().await);
    assert_eq!(code, "ExpiredIteratorException");
    assert!(message.starts_with("Iterator expired."), "{message}");

    // The record is past retention now: AT it is refused, TRIM_HORIZON skips it.
    let (code, _) = error_of(
        streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
            .sequence_number(&first_seq)
            .send()
            .await,
    );
    assert_eq!(code, "TrimmedDataAccessException");
    ddb.put_item()
        .table_name("short")
        .item("pk", AV::S("new".into()))
        .send()
        .await
        .unwrap();
    let it = trim_horizon().await.unwrap().shard_iterator.unwrap();
    let (records, _) = drain(&streams, it, 10).await;
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0]
            .dynamodb
            .as_ref()
            .unwrap()
            .keys
            .as_ref()
            .unwrap()
            .get("pk"),
        Some(&s("new"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_errors_match_aws() {
    let server = Server::start();
    let streams = streams_client(&server.endpoint);
    let missing =
        "arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2024-01-01T00:00:00.000";
    let (code, message) = error_of(streams.describe_stream().stream_arn(missing).send().await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        message,
        format!("Requested resource not found: Stream: {missing} not found")
    );
    let (code, _) = error_of(
        streams
            .get_records()
            .shard_iterator("not-an-iterator")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let (code, message) = error_of(
        streams
            .get_records()
            .shard_iterator("x")
            .limit(1001)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"
    );
    let listed = streams.list_streams().send().await.unwrap();
    assert!(listed.streams.unwrap().is_empty());
}
