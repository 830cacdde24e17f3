//! DynamoDB's CloudWatch metrics as requests produce them: one aggregate (samples, sum, min,
//! max) per series per minute, kept in memory until the publisher (`dynostack`'s metrics
//! worker) takes the finished minutes into CloudWatch's namespace `AWS/DynamoDB`.
//!
//! A series is a metric name with AWS's dimensions: the table, the table and a global
//! secondary index, the table and an operation, or the table and a stream label. Recording is
//! one short lock and a hash lookup per metric; nothing here is durable (a crash loses at most
//! the minute not yet published, as a CloudWatch agent would).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use clock::Clock;

use crate::capacity::Consumed;

/// Minutes kept when nobody takes them (no publisher): bounds memory.
const KEPT_MINUTES: u64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Read,
    Write,
}

/// The dimensions besides TableName.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// TableName only (or nothing, for account-level metrics whose table is "").
    Table,
    /// TableName, GlobalSecondaryIndexName.
    Index(String),
    /// TableName, Operation.
    Operation(&'static str),
    /// TableName, StreamLabel, Operation=GetRecords.
    Stream(String),
    /// TableName, ReceivingRegion (global tables' replication).
    Receiving(String),
}

/// Where a sample belongs: (region, table name); the table is "" for account-level metrics.
pub type TableAt<'a> = (&'a str, &'a str);

/// One series: (region, table name, metric name, dimensions).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Series {
    /// The region the series is published in: its table's.
    pub region: String,
    pub table: String,
    pub metric: &'static str,
    pub dim: Dim,
}

impl Series {
    /// CloudWatch's dimensions of this series, as (name, value).
    pub fn dimensions(&self) -> Vec<(String, String)> {
        let mut d = Vec::new();
        if !self.table.is_empty() {
            d.push(("TableName".to_string(), self.table.clone()));
        }
        match &self.dim {
            Dim::Table => {}
            Dim::Index(i) => d.push(("GlobalSecondaryIndexName".into(), i.clone())),
            Dim::Operation(op) => d.push(("Operation".into(), op.to_string())),
            Dim::Stream(label) => {
                d.push(("StreamLabel".into(), label.clone()));
                d.push(("Operation".into(), "GetRecords".into()));
            }
            Dim::Receiving(region) => d.push(("ReceivingRegion".into(), region.clone())),
        }
        d
    }

    /// The unit AWS publishes the metric in.
    pub fn unit(&self) -> &'static str {
        unit_of(self.metric)
    }
}

/// The unit of a DynamoDB metric.
pub fn unit_of(metric: &str) -> &'static str {
    match metric {
        "SuccessfulRequestLatency" | "ReplicationLatency" => "Milliseconds",
        "ReturnedBytes" => "Bytes",
        "OnlineIndexPercentageProgress" => "Percent",
        _ => "Count",
    }
}

/// One sample of a table's series: the metric, its dimension, the value.
pub type Sample = (&'static str, Dim, f64);

/// The consumed-capacity samples of what a request consumed: one for the table (local
/// secondary index units count as the table's, as AWS reports them) and one per global
/// secondary index.
pub fn consumed_samples(consumed: &Consumed, kind: Kind) -> impl Iterator<Item = Sample> + '_ {
    let metric = match kind {
        Kind::Read => "ConsumedReadCapacityUnits",
        Kind::Write => "ConsumedWriteCapacityUnits",
    };
    let table_units = consumed.table + consumed.local.values().sum::<f64>();
    std::iter::once((metric, Dim::Table, table_units)).chain(
        consumed
            .global
            .iter()
            .map(move |(index, units)| (metric, Dim::Index(index.clone()), *units)),
    )
}

/// Metrics whose percentiles are published (their samples are kept in a histogram).
const WITH_PERCENTILES: [&str; 2] = ["SuccessfulRequestLatency", "ReplicationLatency"];
/// Histogram buckets are 1 % wide, as CloudWatch's distribution keeps them.
const GROWTH: f64 = 1.01;

/// Samples of one series in one minute.
#[derive(Clone, Debug, PartialEq)]
pub struct Stat {
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// Log bucket (1 % wide; i32::MIN for zero) -> samples, for metrics with percentiles.
    pub histogram: Option<BTreeMap<i32, f64>>,
}

impl Stat {
    pub fn one(v: f64) -> Stat {
        Stat {
            count: 1.0,
            sum: v,
            min: v,
            max: v,
            histogram: None,
        }
    }

    fn add(&mut self, v: f64) {
        self.count += 1.0;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if let Some(h) = &mut self.histogram {
            *h.entry(bucket(v)).or_default() += 1.0;
        }
    }

    /// The histogram as (value, count) pairs: each bucket's geometric middle.
    pub fn values(&self) -> Vec<(f64, f64)> {
        self.histogram
            .iter()
            .flatten()
            .map(|(b, c)| {
                let v = if *b == i32::MIN {
                    0.0
                } else {
                    GROWTH.powf(f64::from(*b) + 0.5)
                };
                (v, *c)
            })
            .collect()
    }
}

fn bucket(v: f64) -> i32 {
    if v <= 0.0 {
        i32::MIN
    } else {
        (v.ln() / GROWTH.ln()).floor() as i32
    }
}

/// Minute (epoch seconds / 60) -> region -> table -> (metric, dimension) -> samples. Levels,
/// so that recording a sample allocates nothing once its series has one in the minute.
type Minutes = BTreeMap<u64, HashMap<String, HashMap<String, Slot>>>;
type Slot = HashMap<(&'static str, Dim), Stat>;

pub struct Recorder {
    clock: Clock,
    minutes: Mutex<Minutes>,
}

impl Recorder {
    /// A recorder that stamps samples with `clock`'s minutes.
    pub fn new(clock: Clock) -> Recorder {
        Recorder {
            clock,
            minutes: Mutex::default(),
        }
    }

    /// Adds one sample to a series, in the current minute.
    pub fn add(&self, at: TableAt<'_>, metric: &'static str, dim: Dim, value: f64) {
        self.add_many(self.clock.now_secs() / 60, at, [(metric, dim, value)]);
    }

    fn add_many(
        &self,
        minute: u64,
        (region, table): TableAt<'_>,
        samples: impl IntoIterator<Item = Sample>,
    ) {
        let Ok(mut minutes) = self.minutes.lock() else {
            return;
        };
        let regions = minutes.entry(minute).or_default();
        if !regions.contains_key(region) {
            regions.insert(region.to_string(), HashMap::new());
        }
        let Some(tables) = regions.get_mut(region) else {
            return;
        };
        if !tables.contains_key(table) {
            tables.insert(table.to_string(), HashMap::new());
        }
        let Some(slot) = tables.get_mut(table) else {
            return;
        };
        for (metric, dim, v) in samples {
            let key = (metric, dim);
            match slot.get_mut(&key) {
                Some(s) => s.add(v),
                None => {
                    let mut stat = Stat::one(v);
                    if WITH_PERCENTILES.contains(&metric) {
                        stat.histogram = Some(BTreeMap::from([(bucket(v), 1.0)]));
                    }
                    slot.insert(key, stat);
                }
            }
        }
        while minutes
            .first_key_value()
            .is_some_and(|(m, _)| m + KEPT_MINUTES < minute)
        {
            minutes.pop_first();
        }
    }

    /// Capacity a request consumed: one sample per table and per global secondary index
    /// (local secondary index units count as the table's, as AWS reports them).
    pub fn record(&self, at: TableAt<'_>, consumed: &Consumed, kind: Kind) {
        self.add_samples(at, consumed_samples(consumed, kind));
    }

    /// Adds samples of one table's series at once, in the current minute (one lock).
    pub fn add_samples(&self, at: TableAt<'_>, samples: impl IntoIterator<Item = Sample>) {
        self.add_many(self.clock.now_secs() / 60, at, samples);
    }

    /// A request refused for lack of capacity: ThrottledRequests for the operation, and the
    /// throttle events of the table or index, general and by cause.
    pub fn throttled(&self, t: &crate::throttle::Throttled, operation: &'static str) {
        use crate::throttle::Cause;
        let dim = match &t.index {
            Some(i) => Dim::Index(i.clone()),
            None => Dim::Table,
        };
        let (events, cause) = match (t.kind, t.cause) {
            (Kind::Read, Cause::Provisioned) => (
                "ReadThrottleEvents",
                "ReadProvisionedThroughputThrottleEvents",
            ),
            (Kind::Write, Cause::Provisioned) => (
                "WriteThrottleEvents",
                "WriteProvisionedThroughputThrottleEvents",
            ),
            (Kind::Read, Cause::MaxOnDemand) => (
                "ReadThrottleEvents",
                "ReadMaxOnDemandThroughputThrottleEvents",
            ),
            (Kind::Write, Cause::MaxOnDemand) => (
                "WriteThrottleEvents",
                "WriteMaxOnDemandThroughputThrottleEvents",
            ),
            (Kind::Read, Cause::AccountLimit) => {
                ("ReadThrottleEvents", "ReadAccountLimitThrottleEvents")
            }
            (Kind::Write, Cause::AccountLimit) => {
                ("WriteThrottleEvents", "WriteAccountLimitThrottleEvents")
            }
        };
        self.add_many(
            self.clock.now_secs() / 60,
            (crate::ids::region_of(&t.resource), &t.table),
            [
                ("ThrottledRequests", Dim::Operation(operation), 1.0),
                (events, dim.clone(), 1.0),
                (cause, dim, 1.0),
            ],
        );
    }

    /// Whether samples wait to be taken.
    pub fn is_empty(&self) -> bool {
        self.minutes.lock().map_or(true, |m| m.is_empty())
    }

    /// Takes every minute before `minute` (the ones that are over), oldest first.
    pub fn take_before(&self, minute: u64) -> Vec<(u64, Series, Stat)> {
        let Ok(mut minutes) = self.minutes.lock() else {
            return Vec::new();
        };
        let later = minutes.split_off(&minute);
        let done = std::mem::replace(&mut *minutes, later);
        let mut out = Vec::new();
        for (m, regions) in done {
            let mut series: Vec<(Series, Stat)> = regions
                .into_iter()
                .flat_map(|(region, tables)| {
                    tables
                        .into_iter()
                        .map(move |(table, slot)| (region.clone(), table, slot))
                })
                .flat_map(|(region, table, slot)| {
                    slot.into_iter().map(move |((metric, dim), v)| {
                        (
                            Series {
                                region: region.clone(),
                                table: table.clone(),
                                metric,
                                dim,
                            },
                            v,
                        )
                    })
                })
                .collect();
            series.sort_by(|a, b| a.0.cmp(&b.0));
            out.extend(series.into_iter().map(|(s, v)| (m, s, v)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_per_minute_and_index() {
        let r = Recorder::new(Clock::system());
        let mut c = Consumed::table(1.0);
        c.add_index("g", true, 2.0);
        c.add_index("l", false, 1.0);
        let now = Clock::system().now_secs() / 60;
        r.add_many(
            now - 1,
            ("us-east-1", "t"),
            [("UserErrors", Dim::Table, 1.0)],
        );
        r.record(("us-east-1", "t"), &c, Kind::Write);
        r.record(("us-east-1", "t"), &Consumed::table(0.5), Kind::Write);
        r.record(("eu-west-1", "t"), &Consumed::table(7.0), Kind::Write);
        let taken = r.take_before(now + 2);
        assert_eq!(taken.len(), 4);
        assert_eq!(taken[0].0, now - 1);
        let table = taken
            .iter()
            .find(|(_, s, _)| {
                s.metric == "ConsumedWriteCapacityUnits"
                    && s.dim == Dim::Table
                    && s.region == "us-east-1"
            })
            .map(|(_, _, v)| v.clone());
        assert_eq!(
            table,
            Some(Stat {
                count: 2.0,
                sum: 2.5,
                min: 0.5,
                max: 2.0,
                histogram: None,
            })
        );
        assert!(r.take_before(now + 2).is_empty());
    }
}
