//! Application Auto Scaling's capacity changes, made through DynamoDB's UpdateTable as any
//! client's would be: the same validation, the limits on decreases, the same catalog change —
//! in the target's region alone (a global table's other members have their own targets).

use autoscaling::CapacityChange;
use dynamodb::{CallCtx, Dynamo};
use serde_json::json;

/// One capacity change at a time: UpdateTable sets read and write units together, so a read
/// target's change and a write target's must not both start from the same old pair.
static CHANGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Sets a table's or GSI's read or write capacity; Err is DynamoDB's refusal, as the scaling
/// activity reports it.
pub async fn set_capacity(dynamo: &Dynamo, change: CapacityChange) -> Result<(), String> {
    let _one_at_a_time = CHANGES.lock().await;
    let parts: Vec<&str> = change.resource_id.split('/').collect();
    let (table, index) = match parts.as_slice() {
        ["table", t] => (*t, None),
        ["table", t, "index", i] => (*t, Some(*i)),
        _ => return Err(format!("not a DynamoDB resource: {}", change.resource_id)),
    };
    let meta = dynamo
        .catalog()
        .get(&change.region, table)
        .ok_or_else(|| format!("Requested resource not found: Table: {table} not found"))?;
    let current = match index {
        None => meta.throughput.clone(),
        Some(i) => meta
            .global_indexes
            .iter()
            .find(|g| g.index_name == i)
            .and_then(|g| g.provisioned_throughput.clone())
            .ok_or_else(|| format!("Requested resource not found: Index: {i} not found"))?,
    };
    let (mut read, mut write) = (current.read_capacity_units, current.write_capacity_units);
    if change.scalable_dimension.ends_with("ReadCapacityUnits") {
        read = change.capacity;
    } else {
        write = change.capacity;
    }
    if (read, write) == (current.read_capacity_units, current.write_capacity_units) {
        return Ok(());
    }
    let throughput = json!({ "ReadCapacityUnits": read, "WriteCapacityUnits": write });
    let body = match index {
        None => json!({ "TableName": table, "ProvisionedThroughput": throughput }),
        Some(i) => json!({
            "TableName": table,
            "GlobalSecondaryIndexUpdates": [{ "Update": { "IndexName": i, "ProvisionedThroughput": throughput } }],
        }),
    };
    let call = CallCtx {
        region: change.region.clone(),
        host: "localhost".into(),
    };
    dynamo
        .scale(body.to_string().as_bytes(), &call)
        .await
        .map(|_| ())
        .map_err(|e| e.message)
}
