//! One module per operation, and what they share: request decoding, expression parameters,
//! consumed-capacity rendering.

mod create_table;
mod delete_item;
mod delete_table;
mod describe_table;
mod get_item;
mod list_tables;
mod misc;
mod put_item;
mod tags;
mod update_item;
mod update_table;
mod validate;
mod write_common;

use std::collections::HashMap;

use item::json::DecodeError;
use item::Value;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::error::{DynamoError, ErrorCode};
use crate::{CallCtx, Dynamo, Operation};

pub(crate) async fn dispatch(
    svc: &Dynamo,
    op: Operation,
    body: &[u8],
    call: &CallCtx,
) -> Result<Json, DynamoError> {
    match op {
        Operation::CreateTable => create_table::handle(svc, parse(body)?, call).await,
        Operation::DescribeTable => describe_table::handle(svc, parse(body)?),
        Operation::ListTables => list_tables::handle(svc, parse(body)?),
        Operation::DeleteTable => delete_table::handle(svc, parse(body)?).await,
        Operation::UpdateTable => update_table::handle(svc, parse(body)?).await,
        Operation::DescribeLimits => Ok(misc::describe_limits()),
        Operation::DescribeEndpoints => Ok(misc::describe_endpoints(call)),
        Operation::TagResource => tags::tag(svc, parse(body)?).await,
        Operation::UntagResource => tags::untag(svc, parse(body)?).await,
        Operation::ListTagsOfResource => tags::list(svc, parse(body)?),
        Operation::PutItem => put_item::handle(svc, parse(body)?).await,
        Operation::GetItem => get_item::handle(svc, parse(body)?),
        Operation::UpdateItem => update_item::handle(svc, parse(body)?).await,
        Operation::DeleteItem => delete_item::handle(svc, parse(body)?).await,
    }
}

/// Decodes a request body. Malformed JSON or members of the wrong JSON type are the Coral
/// front end's SerializationException, before any validation.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, DynamoError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let message = if e.is_syntax() || e.is_eof() {
            "Start of structure or map found where not expected.".to_string()
        } else {
            e.to_string()
        };
        DynamoError::new(ErrorCode::Serialization, message)
    })
}

/// `ExpressionAttributeValues` decoded, with AWS's wording for a bad value.
fn expression_values(
    raw: Option<&HashMap<String, Json>>,
) -> Result<Option<HashMap<String, Value>>, DynamoError> {
    let Some(raw) = raw else { return Ok(None) };
    let mut out = HashMap::with_capacity(raw.len());
    for (k, v) in raw {
        let value = item::json::decode_value(v).map_err(|e| match e {
            DecodeError::Serialization(m) => DynamoError::new(ErrorCode::Serialization, m),
            DecodeError::Validation(m) => DynamoError::validation(format!(
                "ExpressionAttributeValues contains invalid value: {m} for key {k}"
            )),
        })?;
        out.insert(k.clone(), value);
    }
    Ok(Some(out))
}

/// Decodes a whole item parameter (Item, Key).
fn item_param(raw: &Json) -> Result<item::Item, DynamoError> {
    item::json::decode_item(raw).map_err(|e| match e {
        DecodeError::Serialization(m) => DynamoError::new(ErrorCode::Serialization, m),
        DecodeError::Validation(m) => DynamoError::validation(m),
    })
}

/// The ReturnConsumedCapacity parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CapacityDetail {
    None,
    Total,
    Indexes,
}

fn capacity_detail(raw: Option<&str>) -> Result<CapacityDetail, DynamoError> {
    match raw {
        None | Some("NONE") => Ok(CapacityDetail::None),
        Some("TOTAL") => Ok(CapacityDetail::Total),
        Some("INDEXES") => Ok(CapacityDetail::Indexes),
        Some(other) => Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{other}' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
        ))),
    }
}

/// Adds `ConsumedCapacity` to a response when asked for.
fn add_capacity(
    out: &mut serde_json::Map<String, Json>,
    detail: CapacityDetail,
    table: &str,
    units: f64,
) {
    let cc = match detail {
        CapacityDetail::None => return,
        CapacityDetail::Total => serde_json::json!({"TableName": table, "CapacityUnits": units}),
        CapacityDetail::Indexes => serde_json::json!({
            "TableName": table, "CapacityUnits": units, "Table": {"CapacityUnits": units}
        }),
    };
    out.insert("ConsumedCapacity".into(), cc);
}

/// Write units: 1 per KB (rounded up) of the larger of the item before and after, at least 1.
fn write_units(old_size: usize, new_size: usize) -> f64 {
    let size = old_size.max(new_size);
    (size.div_ceil(1024)).max(1) as f64
}

/// Read units: 1 per 4 KB (rounded up), at least 1; half for eventually consistent reads.
fn read_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}
