//! One module per group of operations; request bodies are decoded here, validated the way
//! AWS's front end does (Coral constraint messages), then checked against stored state inside
//! one write job per change.

mod activities;
mod policies;
mod tags;
mod targets;

use protocol::json::parse;
use serde_json::Value as Json;

use dynamodb::catalog::Catalog;

use crate::error::{AutoScalingError, ErrorCode};
use crate::resource::{Capacity, DynamoResource};
use crate::{AutoScaling, Operation};

pub(crate) async fn dispatch(
    svc: &AutoScaling,
    op: Operation,
    body: &[u8],
    region: &str,
) -> Result<Json, AutoScalingError> {
    match op {
        Operation::RegisterScalableTarget => targets::register(svc, parse(body)?, region).await,
        Operation::DescribeScalableTargets => targets::describe(svc, parse(body)?, region),
        Operation::DeregisterScalableTarget => targets::deregister(svc, parse(body)?, region).await,
        Operation::PutScalingPolicy => policies::put(svc, parse(body)?, region).await,
        Operation::DescribeScalingPolicies => policies::describe(svc, parse(body)?, region),
        Operation::DeleteScalingPolicy => policies::delete(svc, parse(body)?, region).await,
        Operation::DescribeScalingActivities => activities::describe(svc, parse(body)?, region),
        Operation::PutScheduledAction => crate::scheduled::put(svc, parse(body)?, region).await,
        Operation::DescribeScheduledActions => {
            crate::scheduled::describe(svc, parse(body)?, region)
        }
        Operation::DeleteScheduledAction => {
            crate::scheduled::delete(svc, parse(body)?, region).await
        }
        Operation::TagResource => tags::tag(svc, parse(body)?, region).await,
        Operation::UntagResource => tags::untag(svc, parse(body)?, region).await,
        Operation::ListTagsForResource => tags::list(svc, parse(body)?, region),
    }
}

/// The provisioned capacity (units per second) of the table or index a resource names, or
/// AWS's refusal of a resource that does not exist.
pub(crate) fn provisioned_capacity(
    svc: &AutoScaling,
    (region, resource): (&str, &DynamoResource),
    resource_id: &str,
) -> Result<i64, AutoScalingError> {
    let meta = match &svc.catalog {
        Some(catalog) => catalog.get(region, &resource.table),
        None => Catalog::load(&svc.store.read()?)?.get(region, &resource.table),
    };
    let Some(meta) = meta else {
        return Err(AutoScalingError::validation(format!(
            "DynamoDB table does not exist: {resource_id}"
        )));
    };
    let throughput = match &resource.index {
        None => Some(&meta.throughput),
        Some(index) => {
            let Some(gsi) = meta.global_indexes.iter().find(|g| &g.index_name == index) else {
                return Err(AutoScalingError::validation(format!(
                    "DynamoDB global secondary index does not exist: {resource_id}"
                )));
            };
            gsi.provisioned_throughput.as_ref()
        }
    };
    Ok(throughput.map_or(0, |t| match resource.capacity {
        Capacity::Read => t.read_capacity_units,
        Capacity::Write => t.write_capacity_units,
    }))
}

/// A page of `items` for a NextToken that counts the items already returned.
pub(crate) fn offset_page(
    member: &str,
    items: Vec<Json>,
    token: Option<&str>,
    max: usize,
) -> Result<Json, AutoScalingError> {
    let skip = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                AutoScalingError::new(ErrorCode::InvalidNextToken, "Invalid NextToken")
            })?,
    };
    let total = items.len();
    let page: Vec<Json> = items.into_iter().skip(skip).take(max).collect();
    let mut out = serde_json::json!({ member: page });
    if skip + max < total {
        out["NextToken"] = (skip + max).to_string().into();
    }
    Ok(out)
}

/// The result of a check made inside a write job: the job succeeds (nothing written) and the
/// client gets the error.
type Checked<T> = Result<T, AutoScalingError>;

/// Checks MaxResults against the operation's range (AWS documents 1..=`max`).
pub(crate) fn max_results(value: Option<i32>, max: usize) -> Result<usize, AutoScalingError> {
    match value {
        None => Ok(max),
        Some(n) if n >= 1 && (n as usize) <= max => Ok(n as usize),
        Some(n) => Err(AutoScalingError::validation(format!(
            "MaxResults must be between 1 and {max}, but was {n}"
        ))),
    }
}

/// One page of `items` (in key order): from the key `token` names on, at most `max`, and the
/// token of the next page. A token is the hex of the next item's store key.
fn page<T>(
    items: Vec<(Vec<u8>, T)>,
    token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), AutoScalingError> {
    let start = match token.filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(decode_token(t).ok_or_else(|| {
            AutoScalingError::new(ErrorCode::InvalidNextToken, "Invalid NextToken")
        })?),
    };
    let mut out = Vec::new();
    let mut next = None;
    for (key, item) in items {
        if start.as_ref().is_some_and(|s| key < *s) {
            continue;
        }
        if out.len() == max {
            next = Some(encode_token(&key));
            break;
        }
        out.push(item);
    }
    Ok((out, next))
}

fn encode_token(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<Vec<u8>> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let key = b"dynamodb\0table/a\0x".to_vec();
        assert_eq!(decode_token(&encode_token(&key)), Some(key));
        assert_eq!(decode_token("abc"), None);
        assert_eq!(decode_token("zz"), None);
    }

    #[test]
    fn pages_resume_at_the_token() -> Result<(), AutoScalingError> {
        let items: Vec<(Vec<u8>, u8)> = (0..5u8).map(|i| (vec![i], i)).collect();
        let (first, next) = page(items.clone(), None, 2)?;
        assert_eq!(first, vec![0, 1]);
        let (second, next) = page(items.clone(), next.as_deref(), 2)?;
        assert_eq!(second, vec![2, 3]);
        let (third, next) = page(items.clone(), next.as_deref(), 2)?;
        assert_eq!((third, next), (vec![4], None));
        let err = page(items, Some("nothex"), 2).err().map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::InvalidNextToken));
        Ok(())
    }
}
