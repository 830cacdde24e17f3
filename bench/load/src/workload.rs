//! The workloads: what each request looks like, and the setup (table and data) it needs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value as Json};

use crate::client::{Conn, Signer, Target};
use crate::engine::{self, Generator, Stop};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// PutItem of 1 KB items under fresh keys.
    Put,
    /// GetItem of existing 1 KB items, uniformly chosen (`--consistent` for strong reads).
    Get,
    /// UpdateItem `SET n = n + 1` with a condition on existing ~100-byte items.
    UpdateCond,
    /// Query one partition of 10 items (~100 bytes each).
    Query10,
    /// Query one partition of 100 items (~100 bytes each).
    Query100,
    /// BatchWriteItem of 25 fresh 1 KB items.
    BatchWrite,
    /// TransactWriteItems of two conditional updates (`SET n = n + 1` if the item exists) on
    /// two distinct existing items.
    Transact,
    /// 80 % GetItem / 20 % PutItem (overwrites) on a copy of the seed's `users` table: hash
    /// and range key, `email-index` (ALL) and `status-index` (INCLUDE), a NEW_AND_OLD_IMAGES
    /// stream; ~1 KB items.
    Mixed,
}

pub const ALL: [Workload; 8] = [
    Workload::Put,
    Workload::Get,
    Workload::UpdateCond,
    Workload::Query10,
    Workload::Query100,
    Workload::BatchWrite,
    Workload::Transact,
    Workload::Mixed,
];

/// Knobs shared by the workloads.
#[derive(Clone, Debug)]
pub struct Opts {
    /// Items preloaded for get / update-cond / mixed.
    pub keys: u64,
    /// Partitions preloaded for query10 / query100.
    pub partitions: u64,
    pub consistent: bool,
    /// Connections used to load data.
    pub load_connections: usize,
    /// Makes fresh keys unique across runs against the same server.
    pub nonce: String,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Put => "put",
            Workload::Get => "get",
            Workload::UpdateCond => "update-cond",
            Workload::Query10 => "query10",
            Workload::Query100 => "query100",
            Workload::BatchWrite => "batch-write",
            Workload::Transact => "transact",
            Workload::Mixed => "mixed",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Workload::Put => "bench_put",
            Workload::Get => "bench_get",
            Workload::Mixed => "bench_users",
            Workload::UpdateCond | Workload::Transact => "bench_update",
            Workload::Query10 => "bench_query10",
            Workload::Query100 => "bench_query100",
            Workload::BatchWrite => "bench_batch",
        }
    }

    fn query_size(self) -> u64 {
        match self {
            Workload::Query100 => 100,
            _ => 10,
        }
    }

    /// Creates the table and loads what the workload reads. Loading is idempotent (the
    /// same keys are written again), so it is safe against a server that already has them.
    pub async fn setup(self, target: &Target, signer: &Signer, opts: &Opts) -> Result<(), String> {
        let table = self.table();
        match self {
            Workload::Put => create_table(target, signer, table, false).await,
            Workload::BatchWrite => {
                // BatchWriteItem may not exist in the server yet; the run reports its errors.
                create_table(target, signer, table, false).await
            }
            Workload::Mixed => {
                create_users_table(target, signer, table).await?;
                let gen: Generator = Arc::new(move |ctx| user_put_body(table, ctx.seq));
                load(target, signer, opts.load_connections, opts.keys, gen, table).await?;
                Ok(())
            }
            Workload::Get => {
                create_table(target, signer, table, false).await?;
                let gen: Generator = Arc::new(move |ctx| {
                    put_body(table, &format!("k{}", ctx.seq), None, PAYLOAD_1K)
                });
                load(target, signer, opts.load_connections, opts.keys, gen, table).await?;
                Ok(())
            }
            Workload::UpdateCond | Workload::Transact => {
                create_table(target, signer, table, false).await?;
                let gen: Generator = Arc::new(move |ctx| {
                    let body = format!(
                        r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"k{}"}},"n":{{"N":"0"}},"data":{{"S":"{PAYLOAD_100}"}}}}}}"#,
                        ctx.seq
                    );
                    ("PutItem", Bytes::from(body))
                });
                load(target, signer, opts.load_connections, opts.keys, gen, table).await?;
                Ok(())
            }
            Workload::Query10 | Workload::Query100 => {
                create_table(target, signer, table, true).await?;
                let per = self.query_size();
                let gen: Generator = Arc::new(move |ctx| {
                    let (p, s) = (ctx.seq / per, ctx.seq % per);
                    put_body(table, &format!("p{p}"), Some(s), PAYLOAD_100)
                });
                load(
                    target,
                    signer,
                    opts.load_connections,
                    opts.partitions * per,
                    gen,
                    table,
                )
                .await?;
                Ok(())
            }
        }
    }

    pub fn generator(self, opts: &Opts) -> Generator {
        let table = self.table();
        let keys = opts.keys.max(1);
        let consistent = opts.consistent;
        let nonce = opts.nonce.clone();
        match self {
            Workload::Put => Arc::new(move |ctx| {
                put_body(table, &format!("{nonce}-{}", ctx.seq), None, PAYLOAD_1K)
            }),
            Workload::Get => Arc::new(move |ctx| get_body(table, ctx.rng.below(keys), consistent)),
            Workload::UpdateCond => Arc::new(move |ctx| {
                let body = format!(
                    r##"{{"TableName":"{table}","Key":{{"pk":{{"S":"k{}"}}}},"UpdateExpression":"SET #n = #n + :one","ConditionExpression":"attribute_exists(pk) AND #n >= :zero","ExpressionAttributeNames":{{"#n":"n"}},"ExpressionAttributeValues":{{":one":{{"N":"1"}},":zero":{{"N":"0"}}}}}}"##,
                    ctx.rng.below(keys)
                );
                ("UpdateItem", Bytes::from(body))
            }),
            Workload::Query10 | Workload::Query100 => {
                let partitions = opts.partitions.max(1);
                Arc::new(move |ctx| {
                    query_body(
                        table,
                        &format!("p{}", ctx.rng.below(partitions)),
                        consistent,
                    )
                })
            }
            Workload::BatchWrite => Arc::new(move |ctx| {
                let mut body = format!(r#"{{"RequestItems":{{"{table}":["#);
                for i in 0..25 {
                    if i > 0 {
                        body.push(',');
                    }
                    body.push_str(&format!(
                        r#"{{"PutRequest":{{"Item":{{"pk":{{"S":"{nonce}-{}-{i}"}},"data":{{"S":"{PAYLOAD_1K}"}}}}}}}}"#,
                        ctx.seq
                    ));
                }
                body.push_str("]}}");
                ("BatchWriteItem", Bytes::from(body))
            }),
            Workload::Transact => Arc::new(move |ctx| {
                let a = ctx.rng.below(keys);
                // A second key distinct from the first (a transaction may not name one twice).
                let b = (a + 1 + ctx.rng.below(keys.max(2) - 1)) % keys.max(2);
                let update = |k: u64| {
                    format!(
                        r##"{{"Update":{{"TableName":"{table}","Key":{{"pk":{{"S":"k{k}"}}}},"UpdateExpression":"SET #n = #n + :one","ConditionExpression":"attribute_exists(pk)","ExpressionAttributeNames":{{"#n":"n"}},"ExpressionAttributeValues":{{":one":{{"N":"1"}}}}}}}}"##
                    )
                };
                let body = format!(r#"{{"TransactItems":[{},{}]}}"#, update(a), update(b));
                ("TransactWriteItems", Bytes::from(body))
            }),
            Workload::Mixed => Arc::new(move |ctx| {
                let key = ctx.rng.below(keys);
                if ctx.rng.below(100) < 80 {
                    let body = format!(
                        r#"{{"TableName":"{table}","Key":{{"user_id":{{"S":"u{key}"}},"created_at":{{"S":"{}"}}}},"ConsistentRead":{consistent}}}"#,
                        user_created_at(key)
                    );
                    ("GetItem", Bytes::from(body))
                } else {
                    user_put_body(table, key)
                }
            }),
        }
    }
}

/// 1,000 bytes of text: with its key, a ~1 KB item.
pub const PAYLOAD_1K: &str = concat!(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", // 100
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
);

/// 80 bytes of text: with its keys, a ~100-byte item.
pub const PAYLOAD_100: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqr";

/// PutItem of `{pk: S, [sk: N], data: S}`.
pub fn put_body(table: &str, pk: &str, sk: Option<u64>, data: &str) -> (&'static str, Bytes) {
    let sk = sk
        .map(|s| format!(r#","sk":{{"N":"{s}"}}"#))
        .unwrap_or_default();
    let body = format!(
        r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"{pk}"}}{sk},"data":{{"S":"{data}"}}}}}}"#
    );
    ("PutItem", Bytes::from(body))
}

pub fn get_body(table: &str, key: u64, consistent: bool) -> (&'static str, Bytes) {
    let body = format!(
        r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"k{key}"}}}},"ConsistentRead":{consistent}}}"#
    );
    ("GetItem", Bytes::from(body))
}

/// Query every item of partition `pk`.
pub fn query_body(table: &str, pk: &str, consistent: bool) -> (&'static str, Bytes) {
    let body = format!(
        r#"{{"TableName":"{table}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"{pk}"}}}},"ConsistentRead":{consistent}}}"#
    );
    ("Query", Bytes::from(body))
}

fn user_created_at(n: u64) -> String {
    format!("2026-01-01T00:00:{:02}.{:06}Z", n % 60, n % 1_000_000)
}

/// A user of the seed's `users` table: ~1 KB with its profile text.
fn user_put_body(table: &str, n: u64) -> (&'static str, Bytes) {
    const STATUS: [&str; 4] = ["active", "pending", "suspended", "closed"];
    let status = STATUS[(n % 4) as usize];
    let body = format!(
        r#"{{"TableName":"{table}","Item":{{"user_id":{{"S":"u{n}"}},"created_at":{{"S":"{}"}},"email":{{"S":"user{n}@example.com"}},"status":{{"S":"{status}"}},"profile":{{"S":"{}"}}}}}}"#,
        user_created_at(n),
        &PAYLOAD_1K[..900]
    );
    ("PutItem", Bytes::from(body))
}

/// The seed's `users` table (terraform/variables.tf), then waits until ACTIVE.
async fn create_users_table(target: &Target, signer: &Signer, name: &str) -> Result<(), String> {
    let s = |n: &str| json!({"AttributeName": n, "AttributeType": "S"});
    let key = |n: &str, t: &str| json!({"AttributeName": n, "KeyType": t});
    let request = json!({
        "TableName": name,
        "AttributeDefinitions": [s("user_id"), s("created_at"), s("email"), s("status")],
        "KeySchema": [key("user_id", "HASH"), key("created_at", "RANGE")],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {"IndexName": "email-index", "KeySchema": [key("email", "HASH")],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "status-index",
             "KeySchema": [key("status", "HASH"), key("created_at", "RANGE")],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["user_id", "email"]}},
        ],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    });
    create_and_wait(target, signer, name, &request).await
}

/// CreateTable (PAY_PER_REQUEST; `pk` S, and `sk` N when `range`), then waits until ACTIVE.
/// A table that already exists is taken as is.
pub async fn create_table(
    target: &Target,
    signer: &Signer,
    name: &str,
    range: bool,
) -> Result<(), String> {
    create_and_wait(target, signer, name, &table_request(name, range)).await
}

/// [`create_table`] with server-side encryption under the AWS managed key
/// (`alias/aws/dynamodb`): a table with a KMS key of its own.
pub async fn create_sse_table(target: &Target, signer: &Signer, name: &str) -> Result<(), String> {
    let mut request = table_request(name, false);
    request["SSESpecification"] = json!({"Enabled": true, "SSEType": "KMS"});
    create_and_wait(target, signer, name, &request).await
}

/// The CreateTable request of [`create_table`].
fn table_request(name: &str, range: bool) -> Json {
    let mut attrs = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
    let mut schema = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
    if range {
        attrs.push(json!({"AttributeName": "sk", "AttributeType": "N"}));
        schema.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
    }
    json!({
        "TableName": name,
        "AttributeDefinitions": attrs,
        "KeySchema": schema,
        "BillingMode": "PAY_PER_REQUEST",
    })
}

/// CreateTable with `request`, then waits until the table and its indexes are ACTIVE. A table
/// that already exists is taken as is.
async fn create_and_wait(
    target: &Target,
    signer: &Signer,
    name: &str,
    request: &Json,
) -> Result<(), String> {
    let mut conn = Conn::connect(target)
        .await
        .map_err(|e| format!("connect {}: {e}", target.addr))?;
    match conn.call_json(target, signer, "CreateTable", request).await {
        Ok(_) => {}
        Err(e) if e.contains("ResourceInUseException") => {}
        Err(e) => return Err(e),
    }
    let started = Instant::now();
    loop {
        let described = describe_table(&mut conn, target, signer, name).await?;
        if described
            .pointer("/Table/TableStatus")
            .and_then(Json::as_str)
            == Some("ACTIVE")
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("table {name} not ACTIVE after 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn describe_table(
    conn: &mut Conn,
    target: &Target,
    signer: &Signer,
    name: &str,
) -> Result<Json, String> {
    conn.call_json(target, signer, "DescribeTable", &json!({"TableName": name}))
        .await
}

/// What loading took.
#[derive(Clone, Copy, Debug)]
pub struct Loaded {
    pub items: u64,
    pub elapsed: Duration,
}

impl Loaded {
    pub fn rate(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Writes items 0..n (the generator maps `seq` to the item) over `connections` concurrent
/// keep-alive connections. Any failed write fails the load.
pub async fn load(
    target: &Target,
    signer: &Signer,
    connections: usize,
    n: u64,
    gen: Generator,
    what: &str,
) -> Result<Loaded, String> {
    let result = engine::run(target, signer, connections, Stop::Requests(n), gen).await;
    if result.error_count() > 0 {
        return Err(format!(
            "loading {what}: {} of {n} writes failed: {:?}",
            result.error_count(),
            result.errors
        ));
    }
    let loaded = Loaded {
        items: result.ok,
        elapsed: result.elapsed,
    };
    eprintln!(
        "loaded {what}: {} items in {:.1} s ({:.0} items/s, {} connections)",
        loaded.items,
        loaded.elapsed.as_secs_f64(),
        loaded.rate(),
        connections
    );
    Ok(loaded)
}
