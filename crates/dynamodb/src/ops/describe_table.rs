//! DescribeTable, and the TableDescription every table operation returns.

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use super::validate;
use std::collections::BTreeMap;

use store::{ReadCtx, StoreError};

use crate::error::DynamoError;
use crate::schema::{TableMeta, Throughput};
use crate::stats::{self, TableStats};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
}

pub(super) fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let name = validate::require_table_name(req.table_name.as_deref())?;
    let meta = svc
        .table(name)
        .ok_or_else(|| DynamoError::table_not_found(name))?;
    let stats = Stats::read(&svc.store.read()?, &meta)?;
    let mut table = describe(&meta, &stats, None, svc.clock().now_epoch_seconds());
    replicas(svc, &meta, &mut table);
    Ok(json!({ "Table": table }))
}

/// A global table's Replicas with what each replica has of its own, read from its table: the
/// fill's progress, a customer managed key, a read capacity override, a table class.
pub(super) fn replicas(svc: &InRegion<'_>, meta: &TableMeta, description: &mut Json) {
    if meta.replicas.is_empty() {
        return;
    }
    let list: Vec<Json> = meta
        .replicas
        .iter()
        .map(|r| {
            let mut d = Map::new();
            d.insert("RegionName".into(), r.region_name.clone().into());
            d.insert("ReplicaStatus".into(), r.replica_status.clone().into());
            if meta.legacy_global_since.is_none() {
                d.insert(
                    "GlobalTableSettingsReplicationMode".into(),
                    SETTINGS_REPLICATION.into(),
                );
            }
            let Some(member) = svc.catalog.get(&r.region_name, &meta.table_name) else {
                return Json::Object(d);
            };
            if let Some(fill) = &member.replica_fill {
                let percent = (fill.copied * 100)
                    .checked_div(fill.total)
                    .unwrap_or(0)
                    .min(99);
                d.insert(
                    "ReplicaStatusPercentProgress".into(),
                    percent.to_string().into(),
                );
            }
            if let Some(sse) = &member.sse {
                let managed = crate::table_keys::is_managed(&sse.kms_master_key_arn);
                if !managed {
                    d.insert(
                        "KMSMasterKeyId".into(),
                        sse.kms_master_key_arn.clone().into(),
                    );
                }
            }
            let read = member.throughput.read_capacity_units;
            if !member.pay_per_request() && read != meta.throughput.read_capacity_units {
                d.insert(
                    "ProvisionedThroughputOverride".into(),
                    json!({ "ReadCapacityUnits": read }),
                );
            }
            let read_max = |m: &TableMeta| m.on_demand_throughput.map(|o| o.max_read_request_units);
            if let (true, Some(units)) = (member.pay_per_request(), read_max(&member)) {
                if read_max(meta) != Some(units) && units != -1 {
                    d.insert(
                        "OnDemandThroughputOverride".into(),
                        json!({ "MaxReadRequestUnits": units }),
                    );
                }
            }
            // Only what the replica overrides: inherited values are absent, as AWS answers.
            let indexes: Vec<Json> = member
                .global_indexes
                .iter()
                .filter(|_| !member.pay_per_request())
                .filter_map(|g| {
                    let theirs = g.provisioned_throughput.as_ref()?.read_capacity_units;
                    let mine = meta
                        .global_indexes
                        .iter()
                        .find(|x| x.index_name == g.index_name)?
                        .provisioned_throughput
                        .as_ref()?
                        .read_capacity_units;
                    (theirs != mine).then(|| {
                        json!({
                            "IndexName": g.index_name,
                            "ProvisionedThroughputOverride": { "ReadCapacityUnits": theirs },
                        })
                    })
                })
                .collect();
            if !indexes.is_empty() {
                d.insert("GlobalSecondaryIndexes".into(), indexes.into());
            }
            if member.table_class != "STANDARD" {
                d.insert(
                    "ReplicaTableClassSummary".into(),
                    json!({ "TableClass": member.table_class }),
                );
            }
            Json::Object(d)
        })
        .collect();
    if let Some(d) = description.as_object_mut() {
        d.insert("Replicas".into(), list.into());
    }
}

/// How a current-version global table replicates its settings: AWS answers this one value for
/// every member and replica (recorded 2026-10-09, ack-api-quirks DDB-TABLE-320).
const SETTINGS_REPLICATION: &str = "ENABLED_WITH_OVERRIDES";

fn throughput(t: &Throughput, now: f64) -> Json {
    let mut out = Map::new();
    out.insert(
        "NumberOfDecreasesToday".into(),
        super::update_table::decreases_today(t, now).into(),
    );
    out.insert("ReadCapacityUnits".into(), t.read_capacity_units.into());
    out.insert("WriteCapacityUnits".into(), t.write_capacity_units.into());
    if let Some(d) = t.last_increase_date_time {
        out.insert("LastIncreaseDateTime".into(), d.into());
    }
    if let Some(d) = t.last_decrease_date_time {
        out.insert("LastDecreaseDateTime".into(), d.into());
    }
    Json::Object(out)
}

/// The TableDescription of `meta`; `status` overrides ACTIVE for the responses of
/// CreateTable (CREATING) and DeleteTable (DELETING).
/// Table and index statistics as a snapshot saw them.
#[derive(Default)]
pub(super) struct Stats {
    pub table: TableStats,
    pub indexes: BTreeMap<String, TableStats>,
}

impl Stats {
    pub fn read(read: &ReadCtx, meta: &TableMeta) -> Result<Stats, StoreError> {
        let mut indexes = BTreeMap::new();
        for index in meta.indexes() {
            indexes.insert(
                index.name.clone(),
                crate::indexes::stats(read, meta, &index.name)?,
            );
        }
        Ok(Stats {
            table: stats::table(read, meta)?,
            indexes,
        })
    }

    fn index(&self, name: &str) -> TableStats {
        self.indexes.get(name).copied().unwrap_or_default()
    }
}

/// A table's description as of `now` (epoch seconds: today's decreases).
pub(super) fn describe(meta: &TableMeta, stats: &Stats, status: Option<&str>, now: f64) -> Json {
    let mut d = Map::new();
    d.insert("TableName".into(), meta.table_name.clone().into());
    d.insert("TableId".into(), meta.table_id.clone().into());
    d.insert("TableArn".into(), meta.table_arn.clone().into());
    let inaccessible = meta.sse.as_ref().and_then(|s| s.inaccessible_ms);
    let status = status.unwrap_or(if meta.restoring() {
        "CREATING"
    } else if inaccessible.is_some() {
        "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    } else {
        "ACTIVE"
    });
    d.insert("TableStatus".into(), status.into());
    if let Some(r) = &meta.restore_summary {
        d.insert("RestoreSummary".into(), json!(r));
    }
    d.insert("CreationDateTime".into(), meta.creation_date_time.into());
    d.insert("KeySchema".into(), json!(meta.key_schema));
    d.insert(
        "AttributeDefinitions".into(),
        json!(meta.attribute_definitions),
    );
    d.insert(
        "ProvisionedThroughput".into(),
        throughput(&meta.throughput, now),
    );
    d.insert("ItemCount".into(), stats.table.item_count.into());
    d.insert("TableSizeBytes".into(), stats.table.size_bytes.into());
    if meta.pay_per_request() || meta.billing_mode_updated.is_some() {
        let mut summary = Map::new();
        summary.insert("BillingMode".into(), meta.billing_mode.clone().into());
        if let Some(t) = meta.billing_mode_updated {
            summary.insert("LastUpdateToPayPerRequestDateTime".into(), t.into());
        }
        d.insert("BillingModeSummary".into(), Json::Object(summary));
    }
    if !meta.global_indexes.is_empty() {
        let gsis: Vec<Json> = meta
            .global_indexes
            .iter()
            .map(|g| {
                let mut index = json!({
                    "IndexName": g.index_name,
                    "KeySchema": g.key_schema,
                    "Projection": g.projection,
                    "IndexStatus": g.index_status,
                    "ProvisionedThroughput": throughput(&g.provisioned_throughput.clone().unwrap_or_default(), now),
                    "IndexSizeBytes": stats.index(&g.index_name).size_bytes,
                    "ItemCount": stats.index(&g.index_name).item_count,
                    "IndexArn": format!("{}/index/{}", meta.table_arn, g.index_name),
                });
                // AWS answers Backfilling only while an index is being created.
                if let (Some(i), "CREATING") = (index.as_object_mut(), g.index_status.as_str()) {
                    i.insert("Backfilling".into(), g.backfilling.into());
                }
                index
            })
            .collect();
        d.insert("GlobalSecondaryIndexes".into(), gsis.into());
    }
    if !meta.local_indexes.is_empty() {
        let lsis: Vec<Json> = meta
            .local_indexes
            .iter()
            .map(|l| {
                json!({
                    "IndexName": l.index_name,
                    "KeySchema": l.key_schema,
                    "Projection": l.projection,
                    "IndexSizeBytes": stats.index(&l.index_name).size_bytes,
                    "ItemCount": stats.index(&l.index_name).item_count,
                    "IndexArn": format!("{}/index/{}", meta.table_arn, l.index_name),
                })
            })
            .collect();
        d.insert("LocalSecondaryIndexes".into(), lsis.into());
    }
    if let Some(s) = &meta.stream {
        if s.enabled {
            d.insert(
                "StreamSpecification".into(),
                json!({"StreamEnabled": true, "StreamViewType": s.view_type}),
            );
        }
        d.insert("LatestStreamLabel".into(), s.label.clone().into());
        d.insert(
            "LatestStreamArn".into(),
            format!("{}/stream/{}", meta.table_arn, s.label).into(),
        );
    }
    // After an SSE change, UPDATING until the table's values are resealed under the new key;
    // switching to the AWS owned key shows a bare status meanwhile, as AWS does.
    let updating = meta.resealing && !meta.old_data_keys.is_empty();
    let status = if updating { "UPDATING" } else { "ENABLED" };
    if meta.sse.is_none() && updating {
        d.insert("SSEDescription".into(), json!({"Status": "UPDATING"}));
    }
    if let Some(sse) = &meta.sse {
        let mut desc = json!({"Status": status, "SSEType": sse.sse_type, "KMSMasterKeyArn": sse.kms_master_key_arn});
        if let (Some(at), Some(m)) = (sse.inaccessible_ms, desc.as_object_mut()) {
            m.insert(
                "InaccessibleEncryptionDateTime".into(),
                (at as f64 / 1000.0).into(),
            );
        }
        d.insert("SSEDescription".into(), desc);
    }
    if let Some(o) = &meta.on_demand_throughput {
        d.insert("OnDemandThroughput".into(), json!(o));
    }
    d.insert(
        "DeletionProtectionEnabled".into(),
        meta.deletion_protection.into(),
    );
    if meta.table_class != "STANDARD" {
        d.insert(
            "TableClassSummary".into(),
            json!({"TableClass": meta.table_class}),
        );
    }
    // A global table: the group's other members (AWS lists the other regions only).
    if !meta.replicas.is_empty() {
        let version = match meta.legacy_global_since {
            Some(_) => "2017.11.29",
            None => "2019.11.21",
        };
        d.insert("GlobalTableVersion".into(), version.into());
        d.insert("Replicas".into(), json!(meta.replicas));
        if meta.legacy_global_since.is_none() {
            d.insert(
                "GlobalTableSettingsReplicationMode".into(),
                SETTINGS_REPLICATION.into(),
            );
        }
        // AWS names the mode only when it is STRONG (recorded 2026-10-09, DDB-TABLE-201).
        if meta.strongly_consistent {
            d.insert("MultiRegionConsistency".into(), "STRONG".into());
        }
        if let Some(w) = &meta.witness_region {
            d.insert(
                "GlobalTableWitnesses".into(),
                json!([{ "RegionName": w, "WitnessStatus": "ACTIVE" }]),
            );
        }
    }
    Json::Object(d)
}
