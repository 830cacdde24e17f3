//! Moving the records of builds that had one namespace for every region into their region.
//!
//! Those builds keyed targets `namespace \0 resource id \0 dimension` (and policies, scheduled
//! actions and activities under their target's key). Each record now lives under its region
//! first; its region is the one its ARN names (a scalable target's, a policy's, a scheduled
//! action's), or, for an activity, its target's. A key of the old form is told apart by its
//! first part: a service namespace has no digit, a region always has one.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde_json::Value as Json;
use store::{ScanControl, Store, StoreError, WriteCtx};

use crate::records::{self, Reader, POLICIES, TARGETS, TARGET_ARNS};

/// The stored tables whose keys start with a target's key.
const KEYED_BY_TARGET: [&str; 4] = [
    TARGETS,
    POLICIES,
    crate::scheduled::SCHEDULED,
    crate::scaling::ACTIVITIES,
];

/// The region of records that name none and whose target is gone.
const FALLBACK_REGION: &str = "us-east-1";

/// Moves every record stored under a key of the old form to its regional key, in one write
/// job; returns how many moved (none on every start after the first).
pub async fn migrate(store: &Store) -> Result<usize, StoreError> {
    let read = store.read()?;
    if KEYED_BY_TARGET
        .iter()
        .map(|t| old_records(&read, t))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .all(Vec::is_empty)
    {
        return Ok(0);
    }
    let moved = store.write(move_all).await?;
    tracing::info!(
        moved,
        "Application Auto Scaling: records moved into their regions"
    );
    Ok(moved)
}

fn move_all(ctx: &mut WriteCtx<'_>) -> Result<usize, StoreError> {
    // Each old target key's region, from the target's ARN.
    let mut regions: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    for (key, value) in old_records(ctx, TARGETS)? {
        if let Some(region) = arn_region(&value) {
            regions.insert(key, region);
        }
    }
    let mut moved = 0;
    for table in KEYED_BY_TARGET {
        for (key, value) in old_records(ctx, table)? {
            let region = arn_region(&value)
                .or_else(|| target_region(&regions, &key))
                .unwrap_or_else(|| FALLBACK_REGION.to_string());
            let mut new_key = region.into_bytes();
            new_key.push(0);
            new_key.extend_from_slice(&key);
            let Some(bytes) = ctx.remove(table, &key)? else {
                continue;
            };
            ctx.insert(table, &new_key, &bytes)?;
            if table == TARGETS {
                if let Some(arn) = value.get("ScalableTargetARN").and_then(Json::as_str) {
                    ctx.insert(TARGET_ARNS, arn.as_bytes(), &new_key)?;
                }
            }
            moved += 1;
        }
    }
    Ok(moved)
}

/// The records of `table` under keys of the old form, decoded as JSON.
fn old_records(r: &dyn Reader, table: &str) -> Result<Vec<(Vec<u8>, Json)>, StoreError> {
    let mut out = Vec::new();
    let mut bad = None;
    r.scan_bytes(table, (Bound::Unbounded, Bound::Unbounded), &mut |k, v| {
        if is_old_key(k) {
            match records::decode::<Json>(v) {
                Ok(json) => out.push((k.to_vec(), json)),
                Err(e) => {
                    bad = Some(e);
                    return ScanControl::Stop;
                }
            }
        }
        ScanControl::Continue
    })?;
    match bad {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn is_old_key(key: &[u8]) -> bool {
    let first = key.split(|b| *b == 0).next().unwrap_or_default();
    !first.iter().any(u8::is_ascii_digit)
}

/// The region of the first ARN the record carries.
fn arn_region(record: &Json) -> Option<String> {
    ["ScalableTargetARN", "PolicyARN", "ScheduledActionARN"]
        .iter()
        .find_map(|f| record.get(*f).and_then(Json::as_str))
        .map(|arn| records::region_of(arn).to_string())
        .filter(|r| !r.is_empty())
}

/// The region of the target whose old key starts `key` (with its separator).
fn target_region(regions: &BTreeMap<Vec<u8>, String>, key: &[u8]) -> Option<String> {
    regions.iter().find_map(|(target, region)| {
        (key.len() > target.len() && key.starts_with(target) && key[target.len()] == 0)
            .then(|| region.clone())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn old_keys_start_with_a_namespace() {
        assert!(is_old_key(
            b"dynamodb\0table/t\0dynamodb:table:ReadCapacityUnits"
        ));
        assert!(!is_old_key(b"eu-west-1\0dynamodb\0table/t\0dim"));
        assert!(!is_old_key(b"us-gov-west-1\0dynamodb\0x"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn records_move_to_the_region_of_their_arn() {
        let store = Store::in_memory().unwrap();
        let old_target = b"dynamodb\0table/t\0dynamodb:table:ReadCapacityUnits".to_vec();
        let target = serde_json::json!({
            "ScalableTargetARN": "arn:aws:application-autoscaling:eu-west-1:1:scalable-target/x"
        });
        let mut activity_key = old_target.clone();
        activity_key.extend_from_slice(b"\x00000001");
        let (t, a) = (old_target.clone(), activity_key.clone());
        store
            .write(move |ctx| {
                ctx.insert(TARGETS, &t, &records::encode(&target)?)?;
                ctx.insert(
                    crate::scaling::ACTIVITIES,
                    &a,
                    &records::encode(&serde_json::json!({ "ActivityId": "1" }))?,
                )
            })
            .await
            .unwrap();
        assert_eq!(migrate(&store).await.unwrap(), 2);
        assert_eq!(migrate(&store).await.unwrap(), 0);
        let read = store.read().unwrap();
        let mut new_target = b"eu-west-1\0".to_vec();
        new_target.extend_from_slice(&old_target);
        assert!(read.get(TARGETS, &new_target).unwrap().is_some());
        assert!(read.get(TARGETS, &old_target).unwrap().is_none());
        assert_eq!(
            read.get(
                TARGET_ARNS,
                b"arn:aws:application-autoscaling:eu-west-1:1:scalable-target/x"
            )
            .unwrap(),
            Some(new_target)
        );
        let mut new_activity = b"eu-west-1\0".to_vec();
        new_activity.extend_from_slice(&activity_key);
        assert!(read
            .get(crate::scaling::ACTIVITIES, &new_activity)
            .unwrap()
            .is_some());
        store.shutdown();
    }
}
