//! Alarm history: what DescribeAlarmHistory answers. Items are written in the same write job as
//! the change they record (state updates by the evaluator and SetAlarmState, configuration
//! updates by PutMetricAlarm and DeleteAlarms, actions by the evaluator) and kept 30 days, as
//! AWS keeps them; the evaluator trims older ones.
//!
//! Store table `cloudwatch.history`: key = timestamp (ms, big-endian) + a sequence number, so
//! a scan in key order is time order; the value names the region and the alarm.

use std::ops::Bound;
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};
use store::{ScanControl, StoreError, WriteCtx};

use crate::error::{CwError, ErrorCode};
use crate::model::{self, Alarm};
use crate::CloudWatch;
use protocol::tree::V;

pub const HISTORY: &str = "cloudwatch.history";
/// How long AWS keeps alarm history.
pub const RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;
const ITEM_TYPES: [&str; 5] = [
    "ConfigurationUpdate",
    "StateUpdate",
    "Action",
    "AlarmContributorStateUpdate",
    "AlarmContributorAction",
];

/// Sequence within a millisecond, so two items of one job keep their order.
static SEQUENCE: AtomicU32 = AtomicU32::new(0);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub region: String,
    pub alarm_name: String,
    pub alarm_type: String,
    pub timestamp_ms: i64,
    pub item_type: String,
    pub summary: String,
    /// The HistoryData JSON text.
    pub data: String,
}

impl HistoryItem {
    /// An item about `alarm`, with its HistoryData.
    pub fn of(
        region: &str,
        alarm: &Alarm,
        timestamp_ms: i64,
        item_type: &str,
        summary: String,
        data: serde_json::Value,
    ) -> HistoryItem {
        HistoryItem {
            region: region.to_string(),
            alarm_name: alarm.name.clone(),
            alarm_type: alarm.type_name().into(),
            timestamp_ms,
            item_type: item_type.into(),
            summary,
            data: data.to_string(),
        }
    }
}

/// Records one item inside a write job.
pub fn record(w: &mut WriteCtx<'_>, item: &HistoryItem) -> Result<(), StoreError> {
    let mut key = (item.timestamp_ms.max(0) as u64).to_be_bytes().to_vec();
    key.extend_from_slice(&SEQUENCE.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    w.insert(HISTORY, &key, &model::encode(item)?)?;
    Ok(())
}

/// Removes items older than the retention, at most `limit` per call; returns how many.
pub fn trim(w: &mut WriteCtx<'_>, now_ms: i64, limit: usize) -> Result<usize, StoreError> {
    let cutoff = ((now_ms - RETENTION_MS).max(0) as u64).to_be_bytes();
    model::remove_keys(
        w,
        HISTORY,
        (Bound::Unbounded, Bound::Excluded(cutoff.as_slice())),
        limit,
    )
}

/// A timestamp as CloudWatch writes it inside history and reason data: `2024-02-16T10:08:02.127+0000`.
pub fn data_time(ms: i64) -> String {
    clock::iso8601_millis_zone(ms)
}

impl CloudWatch {
    pub(crate) async fn describe_alarm_history(&self, req: &V, region: &str) -> Result<V, CwError> {
        let name = req.str("AlarmName");
        let item_type = req.str("HistoryItemType");
        crate::alarms::check_enum("HistoryItemType", item_type.as_deref(), &ITEM_TYPES)?;
        let types = req.str_list("AlarmTypes");
        let start = req.ts("StartDate")?.map(|t| (t * 1000.0) as i64);
        let end = req.ts("EndDate")?.map(|t| (t * 1000.0) as i64);
        let max = req.int("MaxRecords")?.unwrap_or(100);
        if !(1..=100).contains(&max) {
            return Err(CwError::new(
                ErrorCode::Validation,
                format!("1 validation error detected: Value '{max}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100"),
            ));
        }
        let ascending = crate::alarms::scan_ascending(req)?;
        // NextToken: the hex key of the last item of the previous page.
        let after = req
            .str("NextToken")
            .map(|t| {
                unhex(&t).ok_or_else(|| CwError::new(ErrorCode::InvalidNextToken, "Invalid token"))
            })
            .transpose()?;
        let range = match (&after, ascending) {
            (Some(k), true) => (Bound::Excluded(k.as_slice()), Bound::Unbounded),
            (Some(k), false) => (Bound::Unbounded, Bound::Excluded(k.as_slice())),
            (None, _) => (Bound::Unbounded, Bound::Unbounded),
        };
        let read = self.store.read()?;
        let mut items = Vec::new();
        let mut next = None;
        let mut failure = None;
        read.scan(HISTORY, range, !ascending, |k, v| {
            let item: HistoryItem = match model::decode(v) {
                Ok(i) => i,
                Err(e) => {
                    failure = Some(e);
                    return ScanControl::Stop;
                }
            };
            let wanted = item.region == region
                && name.as_ref().is_none_or(|n| *n == item.alarm_name)
                && item_type.as_ref().is_none_or(|t| *t == item.item_type)
                && (types.is_empty() || types.contains(&item.alarm_type))
                && start.is_none_or(|s| item.timestamp_ms >= s)
                && end.is_none_or(|e| item.timestamp_ms <= e);
            if !wanted {
                return ScanControl::Continue;
            }
            if items.len() as i64 == max {
                next = Some(());
                return ScanControl::Stop;
            }
            items.push((k.to_vec(), item));
            ScanControl::Continue
        })?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        let token = next.and_then(|_| items.last().map(|(k, _)| hex(k)));
        let list = items
            .into_iter()
            .map(|(_, i)| {
                V::map()
                    .with("AlarmName", V::Str(i.alarm_name))
                    .with("AlarmType", V::Str(i.alarm_type))
                    .with("Timestamp", V::Ts(i.timestamp_ms as f64 / 1000.0))
                    .with("HistoryItemType", V::Str(i.item_type))
                    .with("HistorySummary", V::Str(i.summary))
                    .with("HistoryData", V::Str(i.data))
            })
            .collect();
        Ok(V::map()
            .with("AlarmHistoryItems", V::List(list))
            .with("NextToken", V::opt_str(token.as_deref())))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
