//! Throughput enforcement: one token bucket per table and global secondary index, per read and
//! write, refilled on the installation's clock.
//!
//! - PROVISIONED: refilled at the provisioned units per second, holding up to 300 seconds of
//!   unused capacity (AWS's burst capacity). A new bucket starts full.
//! - PAY_PER_REQUEST: refilled at the table's `OnDemandThroughput` maximum when set, else at the
//!   per-table account quota (40,000 units per second by default), holding one second's worth.
//!
//! A request is admitted while its bucket holds capacity and is charged what it consumed once it
//! is known (`debit`), so a bucket can go into debt — as AWS charges a read of unknown size
//! after the fact. A table write is also refused while any of its provisioned global secondary
//! indexes has no write capacity left (AWS's GSI back-pressure). Buckets live in memory: a
//! restart refills them.

use std::collections::HashMap;
use std::sync::Mutex;

use clock::Clock;
use serde_json::json;

use crate::capacity::Consumed;
use crate::error::{DynamoError, ErrorCode};
use crate::metrics::Kind;
use crate::schema::TableMeta;

/// Seconds of unused provisioned capacity a bucket keeps (AWS: "up to 300 seconds").
const BURST_SECONDS: f64 = 300.0;
/// AWS's default per-table quota for on-demand tables, in request units per second.
pub const DEFAULT_TABLE_QUOTA: f64 = 40_000.0;

/// Why a request was refused: what `ThrottlingReasons` and the throttle metrics say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Provisioned capacity of the table or index is used up.
    Provisioned,
    /// The table's OnDemandThroughput maximum.
    MaxOnDemand,
    /// The per-table account quota of an on-demand table.
    AccountLimit,
}

impl Cause {
    fn limit_type(self) -> &'static str {
        match self {
            Cause::Provisioned => "ProvisionedThroughputExceeded",
            Cause::MaxOnDemand => "MaxOnDemandThroughputExceeded",
            Cause::AccountLimit => "AccountLimitExceeded",
        }
    }
}

/// A refused request: which table or index, which kind, why.
#[derive(Clone, Debug, PartialEq)]
pub struct Throttled {
    pub table: String,
    /// The global secondary index that ran out, if it was one.
    pub index: Option<String>,
    pub kind: Kind,
    pub cause: Cause,
    /// The ARN of the table or index.
    pub resource: String,
}

impl Throttled {
    fn new(meta: &TableMeta, index: Option<&str>, kind: Kind, cause: Cause) -> Throttled {
        Throttled {
            table: meta.table_name.clone(),
            index: index.map(str::to_string),
            kind,
            cause,
            resource: match index {
                Some(i) => format!("{}/index/{i}", meta.table_arn),
                None => meta.table_arn.clone(),
            },
        }
    }

    /// `ThrottlingReason.reason`: ResourceType + OperationType + LimitType.
    pub fn reason(&self) -> String {
        let resource = if self.index.is_some() {
            "Index"
        } else {
            "Table"
        };
        let op = match self.kind {
            Kind::Read => "Read",
            Kind::Write => "Write",
        };
        format!("{resource}{op}{}", self.cause.limit_type())
    }

    /// The error AWS answers with.
    pub fn to_error(&self) -> DynamoError {
        let (code, message) = match (self.cause, &self.index) {
            (Cause::MaxOnDemand, _) => (
                ErrorCode::Throttling,
                "Throughput exceeds the maximum OnDemandThroughput configured on table or index",
            ),
            (Cause::AccountLimit, _) => (
                ErrorCode::ProvisionedThroughputExceeded,
                "Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support to request a limit increase",
            ),
            (Cause::Provisioned, None) => (
                ErrorCode::ProvisionedThroughputExceeded,
                "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
            ),
            (Cause::Provisioned, Some(_)) => (
                ErrorCode::ProvisionedThroughputExceeded,
                "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API",
            ),
        };
        let mut e = DynamoError::new(code, message);
        // ProvisionedThroughputExceededException spells the member "ThrottlingReasons",
        // ThrottlingException "throttlingReasons" (botocore's model).
        let member = if code == ErrorCode::Throttling {
            "throttlingReasons"
        } else {
            "ThrottlingReasons"
        };
        let mut extra = serde_json::Map::new();
        extra.insert(
            member.into(),
            json!([{ "reason": self.reason(), "resource": self.resource }]),
        );
        e.extra = Some(extra);
        e
    }
}

/// The rate and depth of one bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Limit {
    per_second: f64,
    depth: f64,
    cause: Cause,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    level: f64,
    at_ms: u64,
}

impl Bucket {
    /// The level at `now_ms` under `limit`, refilled since the last look.
    fn refill(&mut self, now_ms: u64, limit: Limit) -> f64 {
        let elapsed = now_ms.saturating_sub(self.at_ms) as f64 / 1000.0;
        self.level = (self.level + elapsed * limit.per_second).min(limit.depth);
        self.at_ms = self.at_ms.max(now_ms);
        self.level
    }
}

/// One table's buckets: the table's and its GSIs', each for reads and writes.
#[derive(Default)]
struct TableBuckets {
    table: [Option<Bucket>; 2],
    /// A table has at most 20 GSIs: a list is quicker than a map.
    indexes: Vec<(String, [Option<Bucket>; 2])>,
}

impl TableBuckets {
    fn slot(&mut self, index: Option<&str>, kind: Kind) -> &mut Option<Bucket> {
        let pair = match index {
            None => &mut self.table,
            Some(name) => {
                let at = match self.indexes.iter().position(|(n, _)| n == name) {
                    Some(i) => i,
                    None => {
                        self.indexes.push((name.to_string(), [None, None]));
                        self.indexes.len() - 1
                    }
                };
                match self.indexes.get_mut(at) {
                    Some((_, pair)) => pair,
                    None => &mut self.table, // just pushed: not reached
                }
            }
        };
        match kind {
            Kind::Read => &mut pair[0],
            Kind::Write => &mut pair[1],
        }
    }
}

/// All buckets of the installation, by table id (a table re-created under its name starts
/// afresh). Looking one up allocates nothing once it exists.
pub struct Throttle {
    clock: Clock,
    /// The per-table quota of on-demand tables, in units per second.
    table_quota: f64,
    buckets: Mutex<HashMap<String, TableBuckets>>,
}

impl Throttle {
    pub fn new(clock: Clock, table_quota: f64) -> Throttle {
        Throttle {
            clock,
            table_quota,
            buckets: Mutex::default(),
        }
    }

    /// The limit of a table (`index` None) or one of its global secondary indexes, or None when
    /// nothing limits it (an LSI, or an index the table no longer has).
    fn limit(&self, meta: &TableMeta, index: Option<&str>, kind: Kind) -> Option<Limit> {
        let pick = |read: i64, write: i64| match kind {
            Kind::Read => read,
            Kind::Write => write,
        };
        if meta.pay_per_request() {
            let max = meta
                .on_demand_throughput
                .as_ref()
                .map(|o| pick(o.max_read_request_units, o.max_write_request_units))
                .filter(|m| *m > 0);
            let (per_second, cause) = match max {
                Some(m) if (m as f64) < self.table_quota => (m as f64, Cause::MaxOnDemand),
                _ => (self.table_quota, Cause::AccountLimit),
            };
            // Indexes of an on-demand table share the table's quota in this model.
            return index.is_none().then_some(Limit {
                per_second,
                depth: per_second,
                cause,
            });
        }
        let t = match index {
            None => &meta.throughput,
            Some(name) => meta
                .global_indexes
                .iter()
                .find(|g| g.index_name == name)?
                .provisioned_throughput
                .as_ref()?,
        };
        let per_second = pick(t.read_capacity_units, t.write_capacity_units).max(0) as f64;
        Some(Limit {
            per_second,
            depth: per_second * BURST_SECONDS,
            cause: Cause::Provisioned,
        })
    }

    /// Capacity left in one bucket now (a new bucket is full), and the bucket.
    fn level<'b>(
        &self,
        buckets: &'b mut HashMap<String, TableBuckets>,
        meta: &TableMeta,
        index: Option<&str>,
        kind: Kind,
        now_ms: u64,
    ) -> Option<(f64, Limit, &'b mut Bucket)> {
        let limit = self.limit(meta, index, kind)?;
        if !buckets.contains_key(&meta.table_id) {
            buckets.insert(meta.table_id.clone(), TableBuckets::default());
        }
        let slot = buckets.get_mut(&meta.table_id)?.slot(index, kind);
        let bucket = slot.get_or_insert(Bucket {
            level: limit.depth,
            at_ms: now_ms,
        });
        Some((bucket.refill(now_ms, limit), limit, bucket))
    }

    /// Capacity a request may still use on a table (`index` None) or GSI: the units left in
    /// its bucket, or infinity when nothing limits it. Batches admit items while their running
    /// cost stays below it.
    pub fn available(&self, meta: &TableMeta, index: Option<&str>, kind: Kind) -> f64 {
        let now = self.clock.now_ms();
        let Ok(mut buckets) = self.buckets.lock() else {
            return f64::INFINITY;
        };
        self.level(&mut buckets, meta, index, kind, now)
            .map_or(f64::INFINITY, |(level, _, _)| level)
    }

    /// The refusal of a request on a table or index whose bucket a batch has used up.
    pub fn refusal(&self, meta: &TableMeta, index: Option<&str>, kind: Kind) -> Throttled {
        let cause = self
            .limit(meta, index, kind)
            .map_or(Cause::Provisioned, |l| l.cause);
        Throttled::new(meta, index, kind, cause)
    }

    /// Admits a request on a table or one of its indexes, or says why not. A write is also
    /// refused while a provisioned GSI of the table has no write capacity left.
    pub fn admit(
        &self,
        meta: &TableMeta,
        index: Option<&str>,
        kind: Kind,
    ) -> Result<(), Throttled> {
        let now = self.clock.now_ms();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let mut check = |index: Option<&str>| -> Result<(), Throttled> {
            match self.level(&mut buckets, meta, index, kind, now) {
                Some((level, limit, _)) if level <= 0.0 => {
                    Err(Throttled::new(meta, index, kind, limit.cause))
                }
                _ => Ok(()),
            }
        };
        check(index)?;
        if kind == Kind::Write && !meta.pay_per_request() {
            for g in &meta.global_indexes {
                check(Some(&g.index_name))?;
            }
        }
        Ok(())
    }

    /// Charges what a request consumed: local secondary index units count against the table,
    /// global ones against their index.
    pub fn debit(&self, meta: &TableMeta, consumed: &Consumed, kind: Kind) {
        let now = self.clock.now_ms();
        let Ok(mut buckets) = self.buckets.lock() else {
            return;
        };
        let mut take = |index: Option<&str>, units: f64| {
            if let Some((_, _, bucket)) = self.level(&mut buckets, meta, index, kind, now) {
                bucket.level -= units;
            }
        };
        take(None, consumed.table + consumed.local.values().sum::<f64>());
        for (name, units) in &consumed.global {
            take(Some(name), *units);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::schema::{GlobalIndex, Projection, Throughput};

    fn table(read: i64, write: i64) -> TableMeta {
        let meta: Result<TableMeta, _> = serde_json::from_value(json!({
            "TableName": "t", "TableId": "id-1",
            "TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/t",
            "CreationDateTime": 0.0, "KeySchema": [], "AttributeDefinitions": [],
            "BillingMode": "PROVISIONED",
            "Throughput": { "ReadCapacityUnits": read, "WriteCapacityUnits": write },
        }));
        meta.expect("a table definition")
    }

    #[test]
    fn burst_then_throttle_then_refill() {
        let clock = Clock::system();
        let t = Throttle::new(clock.clone(), DEFAULT_TABLE_QUOTA);
        let meta = table(5, 5);
        // 300 s of 5 RCU: 1,500 one-unit reads, then refused.
        for _ in 0..1500 {
            assert!(t.admit(&meta, None, Kind::Read).is_ok());
            t.debit(&meta, &Consumed::table(1.0), Kind::Read);
        }
        // (The wall clock moved on a little meanwhile: one more unit goes into debt.)
        t.debit(&meta, &Consumed::table(1.0), Kind::Read);
        let refused = t.admit(&meta, None, Kind::Read).unwrap_err();
        assert_eq!(refused.reason(), "TableReadProvisionedThroughputExceeded");
        // Writes have their own bucket.
        assert!(t.admit(&meta, None, Kind::Write).is_ok());
        // Ten seconds later fifty more units fit (and the wall clock's own progress, a
        // fraction of a unit).
        clock.advance_to(clock.now_ms() + 10_000);
        let level = t.available(&meta, None, Kind::Read);
        assert!((49.0..50.0).contains(&level), "{level}");
    }

    #[test]
    fn an_exhausted_gsi_refuses_table_writes() {
        let clock = Clock::system();
        let t = Throttle::new(clock, DEFAULT_TABLE_QUOTA);
        let mut meta = table(5, 5);
        meta.global_indexes.push(GlobalIndex {
            index_name: "g".into(),
            key_schema: Vec::new(),
            projection: Projection::default(),
            provisioned_throughput: Some(Throughput {
                read_capacity_units: 1,
                write_capacity_units: 1,
                ..Throughput::default()
            }),
            index_status: "ACTIVE".into(),
            backfilling: false,
        });
        let mut c = Consumed::table(1.0);
        c.add_index("g", true, 300.0);
        t.debit(&meta, &c, Kind::Write);
        let refused = t.admit(&meta, None, Kind::Write).unwrap_err();
        assert_eq!(refused.reason(), "IndexWriteProvisionedThroughputExceeded");
        assert!(refused.resource.ends_with("/index/g"));
        let body = refused.to_error().to_json();
        assert_eq!(
            body["ThrottlingReasons"][0]["reason"],
            "IndexWriteProvisionedThroughputExceeded"
        );
    }
}
