//! Table definitions: the shapes CreateTable takes and DescribeTable returns, which are also
//! what the catalog stores (as JSON, inside the store's versioned format).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_key_attributes: Option<Vec<String>>,
}

/// Provisioned capacity and AWS's bookkeeping of its changes (times in epoch seconds).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Throughput {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_increase_date_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_decrease_date_time: Option<f64>,
    #[serde(default)]
    pub number_of_decreases_today: i64,
}

/// The most request units per second an on-demand table may use; -1 (or absent) is no
/// maximum of its own (the account's per-table quota still applies).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct OnDemandThroughput {
    pub max_read_request_units: i64,
    pub max_write_request_units: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalIndex {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<Throughput>,
    pub index_status: String,
    /// True while a GSI added to a table with items is being filled (see `backfill`).
    #[serde(default)]
    pub backfilling: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct LocalIndex {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The stream a table has now, if any, and the label of the latest one (kept after a stream is
/// disabled, as DescribeTable keeps showing LatestStreamArn).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct StreamState {
    pub enabled: bool,
    pub view_type: String,
    pub label: String,
}

/// Time to Live: the attribute, whether expired items are deleted, and when it last changed
/// (AWS allows one change per table per hour). Kept after a disable for that rule.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TtlState {
    pub attribute_name: String,
    pub enabled: bool,
    /// True while the TTL index of the items that existed before TTL was enabled is being
    /// built (DescribeTimeToLive says ENABLING); see `ttl`.
    #[serde(default)]
    pub building: bool,
    pub changed_at_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Sse {
    /// "KMS"; AWS-owned-key encryption is the absence of this record.
    pub sse_type: String,
    pub kms_master_key_arn: String,
    /// When the `table-keys` worker first found the key unusable (ms), until it is usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unusable_since_ms: Option<u64>,
    /// When the table was found inaccessible (ms): its key unusable for the grace period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inaccessible_ms: Option<u64>,
}

/// Point-in-time recovery settings (the restore itself comes with backups).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Pitr {
    pub enabled_at: f64,
    pub recovery_period_in_days: i64,
    /// Nothing before this (epoch seconds) is restorable: what a shorter period let age out.
    #[serde(default)]
    pub history_from: f64,
}

/// Where a restored table came from (DescribeTable's RestoreSummary); the table is CREATING
/// while `restore_in_progress`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_backup_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_table_arn: Option<String>,
    pub restore_date_time: f64,
    pub restore_in_progress: bool,
}

/// One table in the catalog.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TableMeta {
    pub table_name: String,
    pub table_id: String,
    pub table_arn: String,
    pub creation_date_time: f64,
    pub key_schema: Vec<KeySchemaElement>,
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub billing_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode_updated: Option<f64>,
    /// For PAY_PER_REQUEST tables AWS still reports 0/0.
    pub throughput: Throughput,
    /// The maximum of an on-demand table, when one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    #[serde(default)]
    pub global_indexes: Vec<GlobalIndex>,
    #[serde(default)]
    pub local_indexes: Vec<LocalIndex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sse: Option<Sse>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub deletion_protection: bool,
    #[serde(default = "standard_class")]
    pub table_class: String,
    /// Point-in-time recovery: when it was enabled (epoch seconds) and the recovery period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitr: Option<Pitr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<TtlState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_summary: Option<RestoreSummary>,
    /// The key the table's data is sealed under (`data_keys`); none in a store that encrypts
    /// nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_key: Option<crate::data_keys::DataKey>,
    /// Earlier keys still sealing some of the table's values, until the resealing is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub old_data_keys: Vec<crate::data_keys::DataKey>,
    /// Values of the table are being resealed under `data_key` (`resealing`); after an SSE
    /// change, SSEDescription says UPDATING meanwhile.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resealing: bool,
    /// The table's resource-based policy (PutResourcePolicy), which also covers its indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<ResourcePolicy>,
    /// The resource-based policy of the table's current stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_policy: Option<ResourcePolicy>,
    /// An import (ImportTable) is filling the table: CREATING, and no requests, until it ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub importing: bool,
    /// The table's replicas in other regions (a global table, version 2019.11.21): every
    /// member of the group lists the others (`replication`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<Replica>,
    /// This replica is being filled from its group's table in `source_region`: CREATING, and
    /// no requests, until the copy is done (`replication`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_fill: Option<ReplicaFill>,
    /// A member of a global table of version 2017.11.29 (CreateGlobalTable): when the global
    /// table was made (epoch seconds). Its group is `replicas`, as for the current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_global_since: Option<f64>,
    /// A member of a global table with multi-Region strong consistency (MultiRegionConsistency
    /// STRONG): every write reaches the other members in its own write job (`replication`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strongly_consistent: bool,
    /// The witness of a strongly consistent global table of two replicas: a region that holds
    /// no table of the account (AWS keeps its copy of the writes there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness_region: Option<String>,
}

/// A replica of a global table, as its group's other members list it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Replica {
    pub region_name: String,
    /// CREATING while it is filled, then ACTIVE.
    pub replica_status: String,
}

/// Where the copy into a new replica stands.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicaFill {
    pub source_region: String,
    /// The last item key copied (store key bytes, base64), none before the first chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_key: Option<String>,
    /// Items copied so far, and the source's count when the copy began (progress).
    pub copied: u64,
    pub total: u64,
}

/// A resource-based policy as PutResourcePolicy stored it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ResourcePolicy {
    pub policy: String,
    pub revision_id: String,
}

fn standard_class() -> String {
    "STANDARD".into()
}

/// A key attribute: its name and scalar type ("S", "N" or "B").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAttr {
    pub name: String,
    pub ty: String,
}

/// The primary key of a table or index, resolved against the attribute definitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShape {
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
}

impl KeyShape {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.hash.name.as_str()).chain(self.range.as_ref().map(|r| r.name.as_str()))
    }
}

impl TableMeta {
    /// The region the table lives in: the one its ARN names
    /// (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`).
    pub fn region(&self) -> &str {
        crate::ids::region_of(&self.table_arn)
    }

    pub fn key_shape(&self) -> KeyShape {
        shape_of(&self.key_schema, &self.attribute_definitions)
    }

    /// True while a restore or an import fills the table: it is CREATING and takes no
    /// requests.
    pub fn restoring(&self) -> bool {
        self.importing
            || self.replica_fill.is_some()
            || self
                .restore_summary
                .as_ref()
                .is_some_and(|r| r.restore_in_progress)
    }

    pub fn pay_per_request(&self) -> bool {
        self.billing_mode == "PAY_PER_REQUEST"
    }

    /// The redb table holding this table's items.
    pub fn items_table(&self) -> String {
        items_table(&self.table_id)
    }
}

/// The redb table holding the items of the table with id `table_id`. Keyed by id, not name, so
/// a table deleted and created again never sees the old one's items.
pub fn items_table(table_id: &str) -> String {
    format!("ddb.items.{table_id}")
}

/// Resolves a validated key schema. Types of undefined attributes read as "S": validation
/// refuses such schemas before they are stored, so the fallback is never used for real.
pub fn shape_of(schema: &[KeySchemaElement], defs: &[AttributeDefinition]) -> KeyShape {
    let attr = |name: &str| KeyAttr {
        name: name.to_string(),
        ty: defs
            .iter()
            .find(|d| d.attribute_name == name)
            .map_or_else(|| "S".to_string(), |d| d.attribute_type.clone()),
    };
    let hash = schema
        .iter()
        .find(|k| k.key_type == "HASH")
        .map_or_else(|| attr(""), |k| attr(&k.attribute_name));
    let range = schema
        .iter()
        .find(|k| k.key_type == "RANGE")
        .map(|k| attr(&k.attribute_name));
    KeyShape { hash, range }
}
