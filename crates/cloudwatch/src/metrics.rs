//! Metric data: PutMetricData (aggregated per series, unit and minute in the store),
//! GetMetricStatistics, GetMetricData (MetricStat queries), ListMetrics.
//! Resolution is one minute: periods must be multiples of 60 and percentiles are not kept.

use std::collections::BTreeMap;
use std::ops::Bound;

use store::ScanControl;

use crate::alarms::{self, STATISTICS, UNITS};
use crate::distribution::{percentile_of, Distribution};
use crate::error::{CwError, ErrorCode};
use crate::math;
use crate::model::{self, Aggregate, Dimension, MetricRecord, DATAPOINTS, METRICS};
use crate::CloudWatch;
use protocol::tree::V;

/// Most datapoints GetMetricStatistics answers.
const MAX_DATAPOINTS: i64 = 1440;
const LIST_METRICS_PAGE: usize = 500;

struct Datum {
    series: Vec<u8>,
    record: MetricRecord,
    minute: u64,
    agg: Aggregate,
}

/// One minute of one series another service publishes (DynamoDB into `AWS/DynamoDB`).
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    pub namespace: String,
    pub metric_name: String,
    /// (name, value)
    pub dimensions: Vec<(String, String)>,
    /// Epoch seconds / 60.
    pub minute: u64,
    pub unit: String,
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// The values as (value, count), for percentiles; empty: none kept.
    pub values: Vec<(f64, f64)>,
}

/// Stores datapoints a service publishes, as PutMetricData would (which refuses the `AWS/`
/// namespaces to clients), in one write job.
pub async fn publish(
    store: &store::Store,
    region: &str,
    points: Vec<Published>,
) -> Result<(), store::StoreError> {
    let datums = points
        .into_iter()
        .map(|p| {
            let dims: Vec<Dimension> = p
                .dimensions
                .into_iter()
                .map(|(name, value)| Dimension { name, value })
                .collect();
            Datum {
                series: model::series_key(region, &p.namespace, &p.metric_name, &dims),
                record: MetricRecord {
                    namespace: p.namespace,
                    metric_name: p.metric_name,
                    dimensions: model::sorted_dims(&dims),
                    last_ms: (p.minute * 60_000) as i64,
                    rolled_5m: 0,
                    rolled_1h: 0,
                },
                minute: p.minute,
                agg: Aggregate {
                    unit: p.unit,
                    count: p.count,
                    sum: p.sum,
                    min: p.min,
                    max: p.max,
                    dist: distribution(&p.values),
                },
            }
        })
        .collect();
    save(store, datums).await
}

/// The distribution of (value, count) pairs; None when there are none or one is negative.
fn distribution(values: &[(f64, f64)]) -> Option<Distribution> {
    let mut d = Distribution::default();
    for (v, c) in values {
        if !d.add(*v, *c) {
            return None;
        }
    }
    (!values.is_empty()).then_some(d)
}

/// Merges datapoints into their minutes and records their series, in one write job.
async fn save(store: &store::Store, datums: Vec<Datum>) -> Result<(), store::StoreError> {
    store
        .write(move |w| {
            for d in datums {
                let key = model::point_key(&d.series, d.minute);
                let mut aggs: Vec<Aggregate> = match w.get(DATAPOINTS, &key)? {
                    Some(b) => model::decode(&b)?,
                    None => Vec::new(),
                };
                match aggs.iter_mut().find(|a| a.unit == d.agg.unit) {
                    Some(a) => a.merge(&d.agg),
                    None => aggs.push(d.agg),
                }
                w.insert(DATAPOINTS, &key, &model::encode(&aggs)?)?;
                let mut record = d.record;
                if let Some(old) = w.get(METRICS, &d.series)? {
                    let old: MetricRecord = model::decode(&old)?;
                    record.last_ms = record.last_ms.max(old.last_ms);
                    record.rolled_5m = old.rolled_5m;
                    record.rolled_1h = old.rolled_1h;
                }
                w.insert(METRICS, &d.series, &model::encode(&record)?)?;
            }
            Ok(())
        })
        .await
}

impl CloudWatch {
    pub(crate) async fn put_metric_data(&self, req: &V, region: &str) -> Result<(), CwError> {
        let namespace = req.req_str("Namespace")?;
        if namespace.starts_with("AWS/") {
            return Err(CwError::new(
                ErrorCode::InvalidParameterValue,
                "The value AWS/ for parameter Namespace is invalid.",
            ));
        }
        let data = req.list("MetricData");
        if data.len() > 1000 {
            return Err(CwError::new(
                ErrorCode::Validation,
                "1 validation error detected: Value at 'metricData' failed to satisfy constraint: Member must have length less than or equal to 1000",
            ));
        }
        let now = self.now_millis();
        let mut datums = Vec::new();
        for (i, d) in data.into_iter().enumerate() {
            let n = i + 1;
            let name = d.str("MetricName").ok_or_else(|| {
                CwError::new(
                    ErrorCode::MissingParameter,
                    format!("The parameter MetricData.member.{n}.MetricName is required."),
                )
            })?;
            let dims = alarms::dimensions(
                d.list("Dimensions"),
                &format!("MetricData.member.{n}.Dimensions"),
            )?;
            let unit = d.str("Unit").unwrap_or_else(|| "None".into());
            alarms::check_enum("Unit", Some(&unit), &UNITS)?;
            let ts = d.ts("Timestamp")?.map_or(now, |t| (t * 1000.0) as i64);
            let value = d.float("Value")?;
            let values = d.list("Values");
            let stats = d.get("StatisticValues");
            let both = |other: &str| {
                CwError::new(
                    ErrorCode::InvalidParameterCombination,
                    format!("The parameters MetricData.member.{n}.Value and MetricData.member.{n}.{other} are mutually exclusive and you have specified both."),
                )
            };
            if value.is_some() && !values.is_empty() {
                return Err(both("Values"));
            }
            if value.is_some() && stats.is_some() {
                return Err(both("StatisticValues"));
            }
            let agg = if let Some(v) = value {
                Aggregate {
                    unit: unit.clone(),
                    count: 1.0,
                    sum: v,
                    min: v,
                    max: v,
                    dist: distribution(&[(v, 1.0)]),
                }
            } else if let Some(s) = stats {
                let f = |m: &str| -> Result<f64, CwError> {
                    s.float(m)?.ok_or_else(|| {
                        CwError::new(ErrorCode::MissingParameter, format!("The parameter MetricData.member.{n}.StatisticValues.{m} is required."))
                    })
                };
                Aggregate {
                    unit: unit.clone(),
                    count: f("SampleCount")?,
                    sum: f("Sum")?,
                    min: f("Minimum")?,
                    max: f("Maximum")?,
                    // AWS: no percentiles from statistic sets.
                    dist: None,
                }
            } else if !values.is_empty() {
                let counts = d.list("Counts");
                if !counts.is_empty() && counts.len() != values.len() {
                    return Err(CwError::new(
                        ErrorCode::InvalidParameterValue,
                        format!("The parameters MetricData.member.{n}.Values and MetricData.member.{n}.Counts must be of the same size."),
                    ));
                }
                let mut agg = Aggregate {
                    unit: unit.clone(),
                    count: 0.0,
                    sum: 0.0,
                    min: f64::INFINITY,
                    max: f64::NEG_INFINITY,
                    dist: None,
                };
                let mut pairs = Vec::with_capacity(values.len());
                for (j, v) in values.iter().enumerate() {
                    let v = v.to_f64().ok_or_else(|| CwError::malformed("Values", ""))?;
                    let c = counts.get(j).and_then(|c| c.to_f64()).unwrap_or(1.0);
                    agg.count += c;
                    agg.sum += v * c;
                    agg.min = agg.min.min(v);
                    agg.max = agg.max.max(v);
                    pairs.push((v, c));
                }
                agg.dist = distribution(&pairs);
                agg
            } else {
                return Err(CwError::new(
                    ErrorCode::InvalidParameterCombination,
                    format!("At least one of the parameters MetricData.member.{n}.Value, MetricData.member.{n}.StatisticValues or MetricData.member.{n}.Values must be specified."),
                ));
            };
            if !agg.sum.is_finite() || !agg.min.is_finite() || !agg.max.is_finite() {
                return Err(CwError::new(
                    ErrorCode::InvalidParameterValue,
                    format!("The value for parameter MetricData.member.{n}.Value is not a valid number."),
                ));
            }
            let series = model::series_key(region, &namespace, &name, &dims);
            datums.push(Datum {
                series,
                record: MetricRecord {
                    namespace: namespace.clone(),
                    metric_name: name,
                    dimensions: model::sorted_dims(&dims),
                    last_ms: ts,
                    rolled_5m: 0,
                    rolled_1h: 0,
                },
                minute: (ts.max(0) / 60_000) as u64,
                agg,
            });
        }
        save(&self.store, datums).await?;
        Ok(())
    }

    pub(crate) async fn get_metric_statistics(&self, req: &V, region: &str) -> Result<V, CwError> {
        let namespace = req.req_str("Namespace")?;
        let name = req.req_str("MetricName")?;
        let start = req
            .ts("StartTime")?
            .ok_or_else(|| CwError::null_member("StartTime"))?;
        let end = req
            .ts("EndTime")?
            .ok_or_else(|| CwError::null_member("EndTime"))?;
        let period = req
            .int("Period")?
            .ok_or_else(|| CwError::null_member("Period"))?;
        let dims = alarms::dimensions(req.list("Dimensions"), "Dimensions")?;
        let stats = req.str_list("Statistics");
        let extended = req.str_list("ExtendedStatistics");
        for s in &stats {
            alarms::check_enum("Statistics", Some(s), &STATISTICS)?;
        }
        let unit = req.str("Unit");
        alarms::check_enum("Unit", unit.as_deref(), &UNITS)?;
        if stats.is_empty() && extended.is_empty() {
            return Err(CwError::new(
                ErrorCode::MissingParameter,
                "Must specify either Statistics or ExtendedStatistics",
            ));
        }
        if let Some(bad) = extended.iter().find(|s| percentile_of(s).is_none()) {
            return Err(CwError::new(
                ErrorCode::InvalidParameterValue,
                format!("The value {bad} for parameter ExtendedStatistics is not supported."),
            ));
        }
        if !stats.is_empty() && !extended.is_empty() {
            return Err(CwError::new(
                ErrorCode::InvalidParameterCombination,
                "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.",
            ));
        }
        if period < 60 || period % 60 != 0 {
            return Err(CwError::new(
                ErrorCode::InvalidParameterValue,
                "The parameter Period must be a multiple of 60.",
            ));
        }
        if start >= end {
            return Err(CwError::new(
                ErrorCode::InvalidParameterValue,
                "The parameter StartTime must be less than the parameter EndTime.",
            ));
        }
        let expected = ((end - start) / period as f64) as i64;
        if expected > MAX_DATAPOINTS {
            return Err(CwError::new(
                ErrorCode::InvalidParameterCombination,
                format!("You have requested up to {expected} datapoints, which exceeds the limit of {MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range."),
            ));
        }
        let buckets = buckets(
            &self.store,
            region,
            &namespace,
            &name,
            &dims,
            start,
            end,
            period,
            unit.as_deref(),
        )?;
        let points = buckets
            .into_iter()
            .map(|((t, u), a)| {
                let mut p = V::map().with("Timestamp", V::Ts(t as f64));
                for s in STATISTICS {
                    if stats.iter().any(|x| x == s) {
                        p = p.with(s, a.stat(s).map_or(V::Null, V::Float));
                    }
                }
                p = p.with("Unit", V::Str(u));
                if !extended.is_empty() {
                    let values = extended
                        .iter()
                        .filter_map(|e| a.stat(e).map(|v| (e.clone(), V::Float(v))))
                        .collect();
                    p = p.with("ExtendedStatistics", V::Map(values));
                }
                p
            })
            .collect();
        Ok(V::map()
            .with("Label", V::Str(name))
            .with("Datapoints", V::List(points)))
    }

    pub(crate) async fn get_metric_data(&self, req: &V, region: &str) -> Result<V, CwError> {
        let start = req
            .ts("StartTime")?
            .ok_or_else(|| CwError::null_member("StartTime"))?;
        let end = req
            .ts("EndTime")?
            .ok_or_else(|| CwError::null_member("EndTime"))?;
        if req.get("MetricDataQueries").is_none() {
            return Err(CwError::null_member("MetricDataQueries"));
        }
        if start >= end {
            return Err(CwError::new(
                ErrorCode::Validation,
                "The parameter StartTime must be less than the parameter EndTime.",
            ));
        }
        let ascending = alarms::scan_ascending(req)?;
        let queries = alarms::normalize_queries(req.list("MetricDataQueries"))?;
        let mut results = Vec::new();
        for r in run_queries(&self.store, region, &queries, start, end)? {
            if !r.return_data {
                continue;
            }
            let mut points: Vec<(i64, f64)> = r.series.points.into_iter().collect();
            if !ascending {
                points.reverse();
            }
            results.push(
                V::map()
                    .with("Id", V::Str(r.series.id))
                    .with("Label", V::Str(r.series.label))
                    .with(
                        "Timestamps",
                        V::List(points.iter().map(|(t, _)| V::Ts(*t as f64)).collect()),
                    )
                    .with(
                        "Values",
                        V::List(points.iter().map(|(_, v)| V::Float(*v)).collect()),
                    )
                    .with("StatusCode", V::Str("Complete".into())),
            );
        }
        Ok(V::map()
            .with("MetricDataResults", V::List(results))
            .with("Messages", V::List(vec![])))
    }

    pub(crate) async fn list_metrics(&self, req: &V, region: &str) -> Result<V, CwError> {
        let namespace = req.str("Namespace");
        let name = req.str("MetricName");
        let filters: Vec<(String, Option<String>)> = req
            .list("Dimensions")
            .into_iter()
            .map(|f| {
                Ok((
                    f.str("Name")
                        .ok_or_else(|| CwError::null_member("Dimensions.member.name"))?,
                    f.str("Value"),
                ))
            })
            .collect::<Result<_, CwError>>()?;
        let recent = match req.str("RecentlyActive").as_deref() {
            None => None,
            Some("PT3H") => Some(self.now_millis() - 3 * 3600 * 1000),
            Some(other) => return Err(CwError::not_in_enum("RecentlyActive", other, &["PT3H"])),
        };
        let after = req.str("NextToken");
        let mut prefix = region.as_bytes().to_vec();
        prefix.push(0);
        if let Some(ns) = &namespace {
            prefix.extend_from_slice(ns.as_bytes());
            prefix.push(0);
        }
        let read = self.store.read()?;
        let mut out = Vec::new();
        let mut next = None;
        let mut failure = None;
        let retention = self.now_millis() - 14 * 24 * 3600 * 1000;
        read.scan(
            METRICS,
            (Bound::Included(prefix.as_slice()), Bound::Unbounded),
            false,
            |k, v| {
                if !k.starts_with(&prefix) {
                    return ScanControl::Stop;
                }
                let token = hex(k);
                if after.as_ref().is_some_and(|a| token.as_str() <= a.as_str()) {
                    return ScanControl::Continue;
                }
                let m: MetricRecord = match model::decode(v) {
                    Ok(m) => m,
                    Err(e) => {
                        failure = Some(e);
                        return ScanControl::Stop;
                    }
                };
                if name.as_ref().is_some_and(|n| *n != m.metric_name)
                    || m.last_ms < recent.unwrap_or(retention)
                {
                    return ScanControl::Continue;
                }
                let matches = filters.iter().all(|(fname, fvalue)| {
                    m.dimensions
                        .iter()
                        .any(|d| d.name == *fname && fvalue.as_ref().is_none_or(|v| *v == d.value))
                });
                if !matches {
                    return ScanControl::Continue;
                }
                if out.len() == LIST_METRICS_PAGE {
                    next = Some(true);
                    return ScanControl::Stop;
                }
                out.push((token, m));
                ScanControl::Continue
            },
        )?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        let next = next.and_then(|_| out.last().map(|(t, _)| t.clone()));
        let metrics = out
            .into_iter()
            .map(|(_, m)| {
                V::map()
                    .with("Namespace", V::Str(m.namespace))
                    .with("MetricName", V::Str(m.metric_name))
                    .with("Dimensions", model::dims_v(&m.dimensions))
            })
            .collect();
        Ok(V::map()
            .with("Metrics", V::List(metrics))
            .with("NextToken", V::opt_str(next.as_deref())))
    }
}

/// Rewrites the maps of GetMetricStatistics' answer (a datapoint's ExtendedStatistics) into
/// awsQuery's entry form.
pub(crate) fn query_maps(v: &mut V) {
    let V::Map(members) = v else { return };
    for (name, member) in members.iter_mut() {
        if name != "Datapoints" {
            continue;
        }
        let V::List(points) = member else { continue };
        for p in points {
            let V::Map(fields) = p else { continue };
            for (field, value) in fields.iter_mut() {
                if field != "ExtendedStatistics" {
                    continue;
                }
                if let V::Map(entries) = value {
                    let as_entries = entries
                        .drain(..)
                        .map(|(k, x)| {
                            (
                                "entry".to_string(),
                                V::map().with("key", V::Str(k)).with("value", x),
                            )
                        })
                        .collect();
                    *entries = as_entries;
                }
            }
        }
    }
}

/// One query's answer: its series (id, label, period, points) and whether it is returned.
pub(crate) struct QueryResult {
    pub series: math::Series,
    pub return_data: bool,
}

/// Runs MetricDataQueries (normalised, `alarms::normalize_queries`) over [start, end): each
/// MetricStat's buckets, then each expression once the queries it names are known. Results
/// come in the queries' order.
pub(crate) fn run_queries(
    store: &store::Store,
    region: &str,
    queries: &V,
    start: f64,
    end: f64,
) -> Result<Vec<QueryResult>, CwError> {
    let list = queries_of(queries);
    let mut done: Vec<Option<QueryResult>> = list.iter().map(|_| None).collect();
    let mut metrics = Vec::new();
    for (slot, q) in done.iter_mut().zip(&list) {
        let id = q.str("Id").unwrap_or_default();
        let return_data = q.bool("ReturnData")? != Some(false);
        if q.get("Expression").is_some_and(|e| *e != V::Null) {
            continue;
        }
        let Some(ms) = q.get("MetricStat") else {
            return Err(CwError::new(
                ErrorCode::Validation,
                format!("The query {id} must specify either MetricStat or Expression."),
            ));
        };
        let metric = ms.get("Metric").cloned().unwrap_or_else(V::map);
        let namespace = metric.str("Namespace").unwrap_or_default();
        let name = metric.str("MetricName").unwrap_or_default();
        let dims = alarms::dimensions(metric.list("Dimensions"), "Dimensions")?;
        let period = ms.int("Period")?.unwrap_or(60);
        if period < 60 || period % 60 != 0 || period > 86_400 * 455 {
            return Err(CwError::new(
                ErrorCode::InvalidParameterValue,
                "The parameter MetricStat.Period must be a multiple of 60.",
            ));
        }
        let stat = ms.str("Stat").unwrap_or_default();
        if !STATISTICS.contains(&stat.as_str()) && percentile_of(&stat).is_none() {
            return Err(CwError::new(
                ErrorCode::InvalidParameterValue,
                format!("The statistic {stat} is not supported by Dynostack yet."),
            ));
        }
        let unit = ms.str("Unit");
        let buckets = buckets(
            store,
            region,
            &namespace,
            &name,
            &dims,
            start,
            end,
            period,
            unit.as_deref(),
        )?;
        let mut merged: BTreeMap<i64, Aggregate> = BTreeMap::new();
        for ((t, _), a) in buckets {
            match merged.get_mut(&t) {
                Some(x) => x.merge(&a),
                None => {
                    merged.insert(t, a);
                }
            }
        }
        let series = math::Series {
            id,
            label: q.str("Label").unwrap_or(name),
            period,
            points: merged
                .into_iter()
                .filter_map(|(t, a)| a.stat(&stat).map(|v| (t, v)))
                .collect(),
        };
        metrics.push(series.clone());
        *slot = Some(QueryResult {
            series,
            return_data,
        });
    }
    // Expressions, in as many passes as their references need.
    let range = math::Range {
        start: start as i64,
        end: end as i64,
    };
    // Every series evaluated so far, which expressions may name.
    let mut known = metrics.clone();
    loop {
        let mut progress = false;
        for i in 0..list.len() {
            if done.get(i).is_some_and(Option::is_some) {
                continue;
            }
            let Some(q) = list.get(i) else { continue };
            let id = q.str("Id").unwrap_or_default();
            let text = q.str("Expression").unwrap_or_default();
            let bad = |e: String| {
                CwError::new(
                    ErrorCode::Validation,
                    format!("Error in expression {id}: {e}"),
                )
            };
            let refs = math::references(&text).map_err(bad)?;
            let pending = refs.iter().any(|r| {
                !known.iter().any(|k| k.id == *r)
                    && list
                        .iter()
                        .any(|x| x.str("Id").as_deref() == Some(r.as_str()))
            });
            if pending {
                continue;
            }
            let value = math::evaluate(&text, &known, &metrics, range).map_err(bad)?;
            let series = match value {
                math::Value::Series(s) => s,
                math::Value::Number(n) => {
                    // A number answers at every period of the range (none if it is not a
                    // finite number, as CloudWatch drops such points).
                    let period = metrics.first().map_or(60, |m| m.period).clamp(60, i64::MAX / 4);
                    let first = range.start.saturating_add(period - 1).div_euclid(period) * period;
                    math::Series {
                        id: String::new(),
                        label: String::new(),
                        period,
                        points: (0..100_800i64)
                            .map_while(|k| first.checked_add(k.checked_mul(period)?))
                            .take_while(|t| *t < range.end)
                            .filter(|_| n.is_finite())
                            .map(|t| (t, n))
                            .collect(),
                    }
                }
                math::Value::Array(_) => {
                    return Err(bad(
                        "the expression returns an array of time series; reduce it (SUM, AVG, MAX, MIN)"
                            .into(),
                    ))
                }
            };
            let series = math::Series {
                label: q.str("Label").unwrap_or_else(|| id.clone()),
                id,
                ..series
            };
            known.push(series.clone());
            if let Some(slot) = done.get_mut(i) {
                *slot = Some(QueryResult {
                    series,
                    return_data: q.bool("ReturnData")? != Some(false),
                });
            }
            progress = true;
        }
        if !progress {
            break;
        }
    }
    if let Some(i) = done.iter().position(Option::is_none) {
        let id = list.get(i).and_then(|q| q.str("Id")).unwrap_or_default();
        return Err(CwError::new(
            ErrorCode::Validation,
            format!(
                "Error in expression {id}: it refers to a query that does not exist or to itself"
            ),
        ));
    }
    Ok(done.into_iter().flatten().collect())
}

/// Per-minute aggregates of one series in [start, end) (seconds), merged into buckets of
/// `period` seconds aligned to the epoch, per unit.
#[allow(clippy::too_many_arguments)]
pub(crate) fn buckets(
    store: &store::Store,
    region: &str,
    namespace: &str,
    name: &str,
    dims: &[Dimension],
    start: f64,
    end: f64,
    period: i64,
    unit: Option<&str>,
) -> Result<BTreeMap<(i64, String), Aggregate>, CwError> {
    let series = model::series_key(region, namespace, name, dims);
    let from = model::point_key(&series, (start.max(0.0) / 60.0).ceil() as u64);
    let to = model::point_key(&series, (end.max(0.0) / 60.0).ceil() as u64);
    let read = store.read()?;
    let mut out: BTreeMap<(i64, String), Aggregate> = BTreeMap::new();
    let mut failure = None;
    read.scan(
        DATAPOINTS,
        (
            Bound::Included(from.as_slice()),
            Bound::Excluded(to.as_slice()),
        ),
        false,
        |k, v| {
            let minute = model::point_minute(k) as i64;
            let bucket = (minute * 60).div_euclid(period) * period;
            match model::decode::<Vec<Aggregate>>(v) {
                Ok(aggs) => {
                    for a in aggs {
                        if unit.is_some_and(|u| u != a.unit) {
                            continue;
                        }
                        match out.get_mut(&(bucket, a.unit.clone())) {
                            Some(x) => x.merge(&a),
                            None => {
                                out.insert((bucket, a.unit.clone()), a);
                            }
                        }
                    }
                }
                Err(e) => failure = Some(e),
            }
            ScanControl::Continue
        },
    )?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(out)
}

fn queries_of(v: &V) -> Vec<&V> {
    match v {
        V::List(l) => l.iter().collect(),
        _ => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// CloudWatch's retention: one-minute datapoints for 15 days, then rolled up into five-minute
/// ones kept 63 days, then into one-hour ones kept 455 days.
const MINUTE_DAYS: u64 = 15;
const FIVE_MINUTE_DAYS: u64 = 63;
const HOUR_DAYS: u64 = 455;

/// Rolls datapoints up and removes them as they age (see the constants above), and forgets
/// series with nothing left. Each series records how far it is rolled up, so a call only
/// handles what aged since the last one; at most `limit` datapoints are removed per call.
pub(crate) fn trim(
    w: &mut store::WriteCtx<'_>,
    now_ms: i64,
    limit: usize,
) -> Result<usize, store::StoreError> {
    let now_minute = (now_ms.max(0) / 60_000) as u64;
    let days = |d: u64| now_minute.saturating_sub(d * 1440);
    let (keep_minutes, keep_five, keep_hours) =
        (days(MINUTE_DAYS), days(FIVE_MINUTE_DAYS), days(HOUR_DAYS));
    let mut series = Vec::new();
    let mut failure = None;
    w.scan(
        METRICS,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        |k, v| {
            match model::decode::<MetricRecord>(v) {
                Ok(m) => series.push((k.to_vec(), m)),
                Err(e) => failure = Some(e),
            }
            ScanControl::Continue
        },
    )?;
    if let Some(e) = failure {
        return Err(e);
    }
    let mut removed = 0;
    for (key, mut record) in series {
        if removed >= limit {
            break;
        }
        let (lo, hi) = (
            model::point_key(&key, 0),
            model::point_key(&key, keep_hours),
        );
        removed += model::remove_keys(
            w,
            DATAPOINTS,
            (
                Bound::Included(lo.as_slice()),
                Bound::Excluded(hi.as_slice()),
            ),
            limit - removed,
        )?;
        let hour_to = keep_five - keep_five % 60;
        if record.rolled_1h < hour_to {
            removed += roll_up(w, &key, record.rolled_1h.max(keep_hours), hour_to, 60)?;
            record.rolled_1h = hour_to;
        }
        let five_to = keep_minutes - keep_minutes % 5;
        if record.rolled_5m < five_to {
            removed += roll_up(w, &key, record.rolled_5m.max(hour_to), five_to, 5)?;
            record.rolled_5m = five_to;
        }
        if record.last_ms < (keep_hours * 60_000) as i64 {
            w.remove(METRICS, &key)?;
        } else {
            w.insert(METRICS, &key, &model::encode(&record)?)?;
        }
    }
    Ok(removed)
}

/// Merges a series' datapoints in minutes [from, to) into one per `group` minutes (at the
/// group's first minute); returns how many were removed.
fn roll_up(
    w: &mut store::WriteCtx<'_>,
    series: &[u8],
    from: u64,
    to: u64,
    group: u64,
) -> Result<usize, store::StoreError> {
    let (lo, hi) = (model::point_key(series, from), model::point_key(series, to));
    let mut points: Vec<(u64, Vec<u8>)> = Vec::new();
    w.scan(
        DATAPOINTS,
        (
            Bound::Included(lo.as_slice()),
            Bound::Excluded(hi.as_slice()),
        ),
        false,
        |k, v| {
            points.push((model::point_minute(k), v.to_vec()));
            ScanControl::Continue
        },
    )?;
    let mut groups: BTreeMap<u64, Vec<(u64, Vec<u8>)>> = BTreeMap::new();
    for (minute, value) in points {
        groups
            .entry(minute - minute % group)
            .or_default()
            .push((minute, value));
    }
    let mut removed = 0;
    for (start, members) in groups {
        if members.len() == 1 && members.first().is_some_and(|(m, _)| *m == start) {
            continue;
        }
        let mut merged: Vec<Aggregate> = Vec::new();
        for (minute, value) in &members {
            for a in model::decode::<Vec<Aggregate>>(value)? {
                match merged.iter_mut().find(|x| x.unit == a.unit) {
                    Some(x) => x.merge(&a),
                    None => merged.push(a),
                }
            }
            if *minute != start {
                w.remove(DATAPOINTS, &model::point_key(series, *minute))?;
                removed += 1;
            }
        }
        w.insert(
            DATAPOINTS,
            &model::point_key(series, start),
            &model::encode(&merged)?,
        )?;
    }
    Ok(removed)
}
