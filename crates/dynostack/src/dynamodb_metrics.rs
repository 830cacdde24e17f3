//! DynamoDB publishes its metrics into CloudWatch: a worker that, at each minute's end on the
//! installation clock, moves the finished minutes from DynamoDB's recorder into CloudWatch's
//! namespace `AWS/DynamoDB`, in the region of each table's ARN.
//!
//! Besides what requests recorded, it publishes what AWS publishes without traffic: zero
//! consumed capacity and zero throttle events for every table and global secondary index that
//! had none in the minute (so alarms see idle minutes, not missing data), and every five
//! minutes the provisioned capacity of provisioned tables and indexes. Unlike AWS, it stops
//! doing so an hour after a table's last request, so an idle installation does not grow its
//! disk with zeros (alarms on AWS/DynamoDB ignore missing data, and an hour of zeros covers
//! the usual evaluation windows).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use cloudwatch::Published;
use dynamodb::catalog::Catalog;
use dynamodb::metrics::{Dim, Recorder, Series, Stat};
use store::Store;
use worker::{Next, StepFuture, Worker};

const NAMESPACE: &str = "AWS/DynamoDB";
/// Most past minutes filled with zeros in one step (after a long stop), and how long after a
/// table's last request its idle figures are published.
const MAX_FILL_MINUTES: u64 = 60;
/// AWS's default account quota of provisioned read (and write) units per region.
const ACCOUNT_MAX: f64 = 80_000.0;
/// Metrics published as zero for every table and GSI in a minute without any.
const ALWAYS: [&str; 4] = [
    "ConsumedReadCapacityUnits",
    "ConsumedWriteCapacityUnits",
    "ReadThrottleEvents",
    "WriteThrottleEvents",
];

pub struct Publisher {
    store: Store,
    recorder: Arc<Recorder>,
    catalog: Arc<Catalog>,
    /// The last minute published (epoch seconds / 60).
    published: Option<u64>,
    /// The last minute each table (by id) had requests, or was first seen.
    active: HashMap<String, u64>,
    /// The per-table quota (AccountMaxTableLevel*).
    table_quota: f64,
}

impl Publisher {
    pub fn new(
        store: Store,
        recorder: Arc<Recorder>,
        catalog: Arc<Catalog>,
        table_quota: f64,
    ) -> Publisher {
        Publisher {
            store,
            recorder,
            catalog,
            table_quota,
            published: None,
            active: HashMap::new(),
        }
    }

    /// The account-level figures AWS publishes every five minutes, per region with tables:
    /// the account's and a table's maximum throughput, and how much of them provisioned
    /// capacity takes.
    fn account_metrics(
        &self,
        out: &mut BTreeMap<String, Vec<Published>>,
        minute: u64,
        tables: &[Arc<dynamodb::schema::TableMeta>],
    ) {
        let mut regions: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        for t in tables.iter().filter(|t| !t.pay_per_request()) {
            let region = t.region().to_string();
            let mut read = t.throughput.read_capacity_units as f64;
            let mut write = t.throughput.write_capacity_units as f64;
            for g in t
                .global_indexes
                .iter()
                .filter_map(|g| g.provisioned_throughput.as_ref())
            {
                read += g.read_capacity_units as f64;
                write += g.write_capacity_units as f64;
            }
            let r = regions.entry(region).or_default();
            r[0] += read;
            r[1] += write;
            r[2] = r[2].max(t.throughput.read_capacity_units as f64);
            r[3] = r[3].max(t.throughput.write_capacity_units as f64);
        }
        for (region, [read, write, max_read, max_write]) in regions {
            let figures = [
                ("AccountMaxReads", ACCOUNT_MAX, "Count"),
                ("AccountMaxWrites", ACCOUNT_MAX, "Count"),
                ("AccountMaxTableLevelReads", self.table_quota, "Count"),
                ("AccountMaxTableLevelWrites", self.table_quota, "Count"),
                (
                    "AccountProvisionedReadCapacityUtilization",
                    read * 100.0 / ACCOUNT_MAX,
                    "Percent",
                ),
                (
                    "AccountProvisionedWriteCapacityUtilization",
                    write * 100.0 / ACCOUNT_MAX,
                    "Percent",
                ),
                (
                    "MaxProvisionedTableReadCapacityUtilization",
                    max_read * 100.0 / self.table_quota,
                    "Percent",
                ),
                (
                    "MaxProvisionedTableWriteCapacityUtilization",
                    max_write * 100.0 / self.table_quota,
                    "Percent",
                ),
            ];
            let points = out.entry(region).or_default();
            for (metric, v, unit) in figures {
                points.push(Published {
                    namespace: NAMESPACE.into(),
                    metric_name: metric.into(),
                    dimensions: Vec::new(),
                    minute,
                    unit: unit.into(),
                    count: 1.0,
                    sum: v,
                    min: v,
                    max: v,
                    values: Vec::new(),
                });
            }
        }
    }

    /// Everything to publish for the minutes before `minute`, per region.
    fn collect(&mut self, minute: u64) -> BTreeMap<String, Vec<Published>> {
        let first = self
            .published
            .map_or(minute.saturating_sub(1), |p| p + 1)
            .max(minute.saturating_sub(MAX_FILL_MINUTES));
        let tables = self.catalog.all();
        let mut out: BTreeMap<String, Vec<Published>> = BTreeMap::new();
        let mut seen: HashSet<(u64, Series)> = HashSet::new();
        let push = |out: &mut BTreeMap<String, Vec<Published>>, m: u64, s: &Series, v: Stat| {
            out.entry(s.region.clone()).or_default().push(Published {
                namespace: NAMESPACE.into(),
                metric_name: s.metric.into(),
                dimensions: s.dimensions(),
                minute: m,
                unit: s.unit().into(),
                count: v.count,
                sum: v.sum,
                min: v.min,
                max: v.max,
                values: v.values(),
            });
        };
        for (m, series, stat) in self.recorder.take_before(minute) {
            if let Some(t) = tables
                .iter()
                .find(|t| t.table_name == series.table && t.region() == series.region)
            {
                let last = self.active.entry(t.table_id.clone()).or_insert(m);
                *last = (*last).max(m);
            }
            push(&mut out, m, &series, stat);
            seen.insert((m, series));
        }
        self.active
            .retain(|id, _| tables.iter().any(|t| t.table_id == *id));
        let zero = Stat::one(0.0);
        for m in first..minute {
            for t in &tables {
                let last = *self.active.entry(t.table_id.clone()).or_insert(m);
                if m > last + MAX_FILL_MINUTES {
                    continue;
                }
                let dims = std::iter::once(Dim::Table).chain(
                    t.global_indexes
                        .iter()
                        .map(|g| Dim::Index(g.index_name.clone())),
                );
                for dim in dims {
                    for metric in ALWAYS {
                        let key = (
                            m,
                            Series {
                                region: t.region().to_string(),
                                table: t.table_name.clone(),
                                metric,
                                dim: dim.clone(),
                            },
                        );
                        if !seen.contains(&key) {
                            push(&mut out, m, &key.1, zero.clone());
                        }
                    }
                }
                if m % 5 == 0 && !t.pay_per_request() {
                    let mut provisioned = vec![(Dim::Table, &t.throughput)];
                    for g in &t.global_indexes {
                        if let Some(p) = &g.provisioned_throughput {
                            provisioned.push((Dim::Index(g.index_name.clone()), p));
                        }
                    }
                    for (dim, p) in provisioned {
                        for (metric, units) in [
                            ("ProvisionedReadCapacityUnits", p.read_capacity_units),
                            ("ProvisionedWriteCapacityUnits", p.write_capacity_units),
                        ] {
                            let s = Series {
                                region: t.region().to_string(),
                                table: t.table_name.clone(),
                                metric,
                                dim: dim.clone(),
                            };
                            push(&mut out, m, &s, Stat::one(units as f64));
                        }
                    }
                }
            }
            if m % 5 == 0 {
                let active: Vec<_> = tables
                    .iter()
                    .filter(|t| {
                        self.active
                            .get(&t.table_id)
                            .is_some_and(|last| m <= last + MAX_FILL_MINUTES)
                    })
                    .cloned()
                    .collect();
                self.account_metrics(&mut out, m, &active);
            }
        }
        self.published = Some(minute.saturating_sub(1).max(self.published.unwrap_or(0)));
        out
    }
}

impl Worker for Publisher {
    fn name(&self) -> String {
        "dynamodb-metrics".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move {
            let minute = now / 60_000;
            for (region, points) in self.collect(minute) {
                cloudwatch::publish(&self.store, &region, points)
                    .await
                    .map_err(|e| format!("publishing DynamoDB metrics: {e}"))?;
            }
            // Every minute while a table is active; idle otherwise, until the next poll (or
            // a clock move) finds requests recorded.
            let busy = !self.recorder.is_empty()
                || self
                    .active
                    .values()
                    .any(|last| minute <= last + MAX_FILL_MINUTES + 1);
            Ok(if busy {
                Next::At((minute + 1) * 60_000)
            } else {
                Next::Idle
            })
        })
    }

    fn poll(&self) -> Option<std::time::Duration> {
        Some(std::time::Duration::from_secs(60))
    }
}
