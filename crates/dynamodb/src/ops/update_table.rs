//! UpdateTable: billing mode, throughput, GSI create/update/delete, streams, SSE, deletion
//! protection. Applied in one write job against the catalog's current definition.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::create_table::{global_index, sse_state, stream_state, GsiIn, SseSpecIn, StreamSpecIn};
use super::describe_table::{describe, Stats};
use super::validate::{self, invalid_parameter as invalid, ThroughputIn};
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::schema::{AttributeDefinition, GlobalIndex, TableMeta, Throughput};
use crate::InRegion;

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
    attribute_definitions: Option<Vec<AttributeDefinition>>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ThroughputIn>,
    global_secondary_index_updates: Option<Vec<GsiUpdate>>,
    stream_specification: Option<StreamSpecIn>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<SseSpecIn>,
    deletion_protection_enabled: Option<bool>,
    table_class: Option<String>,
    on_demand_throughput: Option<validate::OnDemandIn>,
    replica_updates: Option<Vec<super::replicas::ReplicaUpdate>>,
    multi_region_consistency: Option<String>,
    global_table_witness_updates: Option<Vec<super::replicas::WitnessUpdate>>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GsiUpdate {
    create: Option<GsiIn>,
    update: Option<GsiThroughputUpdate>,
    delete: Option<IndexRef>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GsiThroughputUpdate {
    index_name: String,
    provisioned_throughput: Option<ThroughputIn>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexRef {
    index_name: String,
}

/// An UpdateTable of the same-named table in another `region` (a global table's member), with
/// UpdateTable's checks and limits; `body` is its JSON request.
pub(super) async fn in_region(
    svc: &InRegion<'_>,
    region: &str,
    body: serde_json::Map<String, Json>,
) -> Result<Json, DynamoError> {
    let call = crate::CallCtx {
        region: region.to_string(),
        host: svc.call.host.clone(),
    };
    let there = InRegion {
        dynamo: svc.dynamo,
        call: &call,
    };
    let req = serde_json::from_value(Json::Object(body))
        .map_err(|e| DynamoError::validation(e.to_string()))?;
    // Boxed: UpdateTable (ReplicaUpdates) may be what called this.
    Box::pin(update(&there, req, Members::ThisOnly)).await
}

/// Whether an UpdateTable of a global table's member also changes the group's other members.
#[derive(Clone, Copy, PartialEq)]
enum Members {
    /// The settings AWS synchronizes (version 2019.11.21) change on every member.
    Synchronized,
    /// A replica's own settings (its overrides), a legacy member's (UpdateGlobalTableSettings),
    /// or a capacity Application Auto Scaling sets in one region.
    ThisOnly,
}

pub(super) async fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    update(svc, req, Members::Synchronized).await
}

/// UpdateTable of this member of a global table alone (Application Auto Scaling's changes).
pub(super) async fn this_member(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    update(svc, req, Members::ThisOnly).await
}

async fn update(svc: &InRegion<'_>, req: Request, members: Members) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    validate::table_name(&mut c, req.table_name.as_deref(), "tableName");
    validate::billing_mode(&mut c, req.billing_mode.as_deref());
    if let Some(t) = &req.provisioned_throughput {
        validate::throughput_constraints(&mut c, t, "provisionedThroughput");
    }
    if let Some(defs) = &req.attribute_definitions {
        validate::attribute_constraints(&mut c, defs);
    }
    if let Some(s) = &req.stream_specification {
        validate::stream_view_type(&mut c, s.stream_view_type.as_deref());
    }
    for (i, u) in req
        .global_secondary_index_updates
        .iter()
        .flatten()
        .enumerate()
    {
        if let Some(t) = u
            .update
            .as_ref()
            .and_then(|u| u.provisioned_throughput.as_ref())
        {
            let member = format!(
                "globalSecondaryIndexUpdates.{}.member.update.provisionedThroughput",
                i + 1
            );
            validate::throughput_constraints(&mut c, t, &member);
        }
    }
    c.into_result()?;
    if let Some(updates) = req.replica_updates {
        let others = req.billing_mode.is_some()
            || req.provisioned_throughput.is_some()
            || req.global_secondary_index_updates.is_some()
            || req.stream_specification.is_some()
            || req.sse_specification.is_some()
            || req.table_class.is_some()
            || req.on_demand_throughput.is_some()
            || req.deletion_protection_enabled.is_some();
        if others {
            // Recorded 2026-10-09 (ack-api-quirks DDB-TABLE-257).
            return Err(DynamoError::validation(
                "Requests that modify replicas or witnesses must not also modify other fields",
            ));
        }
        let name = req.table_name.unwrap_or_default();
        let change = super::replicas::GroupChange {
            replicas: updates,
            consistency: req.multi_region_consistency,
            witnesses: req.global_table_witness_updates,
        };
        return super::replicas::update(svc, &name, change).await;
    }
    if req.billing_mode.is_none()
        && req.provisioned_throughput.is_none()
        && req.global_secondary_index_updates.is_none()
        && req.stream_specification.is_none()
        && req.sse_specification.is_none()
        && req.deletion_protection_enabled.is_none()
        && req.table_class.is_none()
        && req.on_demand_throughput.is_none()
    {
        return Err(DynamoError::validation(
            // Today's list (recorded 2026-10-09, ack-api-quirks DDB-TABLE-442), members this
            // server does not take included: AWS names them all.
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required",
        ));
    }
    let name = req.table_name.clone().unwrap_or_default();
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    let account = svc.env.account_id.clone();
    // The key is resolved (and its state checked) through KMS before the job, as AWS does
    // when it is given; a table that does not exist is the job's to report.
    let sse = match (&req.sse_specification, catalog.get(&region, &name)) {
        (Some(spec), Some(current)) => {
            let given = spec.kms_master_key_id.as_deref();
            let current_key = current.sse.as_ref().map(|s| s.kms_master_key_arn.as_str());
            if current.resealing && !current.old_data_keys.is_empty() {
                return Err(DynamoError::new(
                    ErrorCode::ResourceInUse,
                    "Attempt to change a resource which is still in use: Server-Side Encryption is still being updated",
                ));
            }
            if current.sse.is_none() && spec.enabled == Some(false) {
                return Err(invalid("Table is already encrypted by default"));
            }
            // The same key given as its ARN is refused; as an alias or id, it re-encrypts.
            if given.is_some() && given == current_key {
                return Err(invalid(
                    "Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key",
                ));
            }
            Some(sse_state(
                Some(spec),
                crate::ids::region_of(&current.table_arn),
                &account,
                svc,
            )?)
        }
        _ => None,
    };
    // A new SSE setting, a new data key under it; the table's values move to it in the
    // background (`resealing`).
    let data_key = match &sse {
        Some(setting) => {
            let arn = setting.as_ref().map(|s| s.kms_master_key_arn.as_str());
            svc.keys.new_data_key(&name, arn).await?
        }
        None => None,
    };
    let (meta, created) = svc
        .store
        .write(move |ctx| {
            let Some(current) = catalog.get(&region, &name).filter(|m| !m.restoring()) else {
                return Ok(Err(DynamoError::table_not_found(&name)));
            };
            // The group's other members take the synchronized settings in the same job: all
            // change or none does.
            let others = match members {
                Members::Synchronized if current.legacy_global_since.is_none() => {
                    crate::replication::group(&catalog, &current)
                        .into_iter()
                        .filter(|m| m.region() != current.region())
                        .collect()
                }
                _ => Vec::new(),
            };
            let synchronized = (!others.is_empty()).then(|| synchronized(&req));
            let mut next = match apply(&current, req, sse, ctx.now_ms()) {
                Ok(next) => next,
                Err(e) => return Ok(Err(e)),
            };
            if let Some(key) = data_key {
                next.old_data_keys.extend(current.data_key.clone());
                next.data_key = Some(key);
                next.resealing = true;
            }
            let mut created = change_indexes(ctx, &current, &next)?;
            let meta = catalog.put(ctx, next)?;
            for member in others {
                let Some(req) = synchronized.as_ref().and_then(|s| for_member(s, &member)) else {
                    continue;
                };
                let next = match apply(&member, req, None, ctx.now_ms()) {
                    Ok(next) => next,
                    Err(e) => return Ok(Err(e)),
                };
                created |= change_indexes(ctx, &member, &next)?;
                catalog.put(ctx, next)?;
            }
            Ok(Ok((meta, created)))
        })
        .await??;
    if created {
        svc.backfill.wake();
    }
    if meta.resealing {
        svc.resealer.wake();
    }
    Ok(
        json!({ "TableDescription": describe(&meta, &Stats::read(&svc.store.read()?, &meta)?, Some("UPDATING"), svc.clock().now_epoch_seconds()) }),
    )
}

/// Drops the indexes `next` no longer has; true if it creates one (to be backfilled).
fn change_indexes(
    ctx: &mut store::WriteCtx<'_>,
    current: &TableMeta,
    next: &TableMeta,
) -> Result<bool, store::StoreError> {
    for gone in current
        .indexes()
        .iter()
        .filter(|i| next.index(&i.name).is_none())
    {
        crate::indexes::drop_index(ctx, current, &gone.name)?;
    }
    Ok(next
        .global_indexes
        .iter()
        .any(|g| g.index_status == "CREATING" && current.index(&g.index_name).is_none()))
}

/// The part of an UpdateTable that AWS applies to every member of a global table (version
/// 2019.11.21): capacity mode, provisioned capacity (a replica's read override is replaced, as
/// AWS documents), index definitions and their capacity, on-demand maxima, table class. Not
/// deletion protection (never synchronized), nor the stream (a global table's stays as it is)
/// nor encryption (each region's key is its own).
fn synchronized(req: &Request) -> Request {
    Request {
        table_name: req.table_name.clone(),
        attribute_definitions: req.attribute_definitions.clone(),
        billing_mode: req.billing_mode.clone(),
        provisioned_throughput: req.provisioned_throughput,
        global_secondary_index_updates: req.global_secondary_index_updates.clone(),
        stream_specification: None,
        sse_specification: None,
        deletion_protection_enabled: None,
        table_class: req.table_class.clone(),
        on_demand_throughput: req.on_demand_throughput,
        replica_updates: None,
        multi_region_consistency: None,
        global_table_witness_updates: None,
    }
}

/// `req` for one member: without the capacities it already has (which would be refused as no
/// change); None if nothing is left to change there.
fn for_member(req: &Request, member: &TableMeta) -> Option<Request> {
    let mut req = req.clone();
    let same = |t: &ThroughputIn, cur: &Throughput| {
        t.read_capacity_units.unwrap_or(cur.read_capacity_units) == cur.read_capacity_units
            && t.write_capacity_units.unwrap_or(cur.write_capacity_units)
                == cur.write_capacity_units
    };
    if req.billing_mode.is_none()
        && !member.pay_per_request()
        && req
            .provisioned_throughput
            .is_some_and(|t| same(&t, &member.throughput))
    {
        req.provisioned_throughput = None;
    }
    if let Some(updates) = req.global_secondary_index_updates.as_mut() {
        for u in updates.iter_mut() {
            let Some(update) = u.update.as_mut() else {
                continue;
            };
            let current = member
                .global_indexes
                .iter()
                .find(|g| g.index_name == update.index_name)
                .and_then(|g| g.provisioned_throughput.clone());
            if let (Some(t), Some(cur)) = (&update.provisioned_throughput, current) {
                if same(t, &cur) {
                    update.provisioned_throughput = None;
                }
            }
        }
    }
    if req.table_class.as_deref() == Some(member.table_class.as_str()) {
        req.table_class = None;
    }
    let changes = req.billing_mode.is_some()
        || req.provisioned_throughput.is_some()
        || req.global_secondary_index_updates.is_some()
        || req.table_class.is_some()
        || req.on_demand_throughput.is_some();
    changes.then_some(req)
}

fn apply(
    current: &TableMeta,
    req: Request,
    sse: Option<Option<crate::schema::Sse>>,
    now_ms: u64,
) -> Result<TableMeta, DynamoError> {
    let mut next = current.clone();
    let now = now_ms as f64 / 1000.0;

    if let Some(mode) = req.billing_mode.as_deref() {
        match mode {
            "PAY_PER_REQUEST" => {
                if req.provisioned_throughput.is_some() {
                    return Err(invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
                }
                if !current.pay_per_request() {
                    next.billing_mode_updated = Some(now);
                }
                next.billing_mode = mode.into();
                next.throughput = Throughput::default();
                for g in &mut next.global_indexes {
                    g.provisioned_throughput = Some(Throughput::default());
                }
            }
            _ => {
                if current.pay_per_request() && req.provisioned_throughput.is_none() {
                    return Err(invalid(
                        "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
                    ));
                }
                next.billing_mode = mode.into();
            }
        }
    }
    if let Some(t) = req.provisioned_throughput {
        if next.pay_per_request() {
            return Err(invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
        }
        let was_provisioned = !current.pay_per_request();
        next.throughput = change_throughput(&current.throughput, t, now, was_provisioned)?;
    }

    if let Some(updates) = req.global_secondary_index_updates {
        let mut defs = next.attribute_definitions.clone();
        for d in req.attribute_definitions.unwrap_or_default() {
            match defs
                .iter_mut()
                .find(|x| x.attribute_name == d.attribute_name)
            {
                // A key attribute keeps its type: the items and indexes are stored by it.
                Some(existing) if existing.attribute_type != d.attribute_type => {
                    return Err(invalid(format!(
                        "Cannot change the type of attribute {} from {} to {}: it is a key attribute of the table or an index", // message unverified
                        d.attribute_name, existing.attribute_type, d.attribute_type
                    )));
                }
                Some(_) => {}
                None => defs.push(d),
            }
        }
        for u in updates {
            if let Some(create) = u.create {
                let mut projected = 0;
                let g = global_index(create, next.pay_per_request(), &mut projected)?;
                if next
                    .global_indexes
                    .iter()
                    .any(|x| x.index_name == g.index_name)
                    || next
                        .local_indexes
                        .iter()
                        .any(|x| x.index_name == g.index_name)
                {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Index {} already exists", // message unverified
                        g.index_name
                    )));
                }
                if next.global_indexes.len() >= validate::MAX_GSIS {
                    return Err(DynamoError::new(
                        ErrorCode::LimitExceeded,
                        "Subscriber limit exceeded: The number of global secondary indexes exceeds the per-table limit of 20",
                    ));
                }
                // Filled by a background backfill; queryable once ACTIVE.
                next.global_indexes.push(GlobalIndex {
                    index_status: "CREATING".into(),
                    backfilling: true,
                    ..g
                });
            }
            if let Some(update) = u.update {
                let pay = next.pay_per_request();
                let Some(g) = next
                    .global_indexes
                    .iter_mut()
                    .find(|x| x.index_name == update.index_name)
                else {
                    return Err(DynamoError::new(
                        ErrorCode::ResourceNotFound,
                        format!(
                            "Index {} for table {} does not exist",
                            update.index_name, current.table_name
                        ), // message unverified past "Index x for table"
                    ));
                };
                if let Some(t) = update.provisioned_throughput {
                    if pay {
                        return Err(invalid(format!(
                            "ProvisionedThroughput should not be specified for index: {} when BillingMode is PAY_PER_REQUEST",
                            g.index_name
                        )));
                    }
                    let cur = g.provisioned_throughput.clone().unwrap_or_default();
                    g.provisioned_throughput = Some(change_throughput(&cur, t, now, true)?);
                }
            }
            if let Some(delete) = u.delete {
                let before = next.global_indexes.len();
                next.global_indexes
                    .retain(|x| x.index_name != delete.index_name);
                if next.global_indexes.len() == before {
                    return Err(DynamoError::new(
                        ErrorCode::ResourceNotFound,
                        format!(
                            "Index {} for table {} does not exist",
                            delete.index_name, current.table_name
                        ), // message unverified past "Index x for table"
                    ));
                }
            }
        }
        // Keep exactly the definitions some key still uses, as AWS does after index changes.
        let mut used: BTreeSet<String> = next
            .key_schema
            .iter()
            .map(|k| k.attribute_name.clone())
            .collect();
        for g in &next.global_indexes {
            used.extend(g.key_schema.iter().map(|k| k.attribute_name.clone()));
        }
        for l in &next.local_indexes {
            used.extend(l.key_schema.iter().map(|k| k.attribute_name.clone()));
        }
        let undefined: Vec<String> = used
            .iter()
            .filter(|u| !defs.iter().any(|d| &d.attribute_name == *u))
            .cloned()
            .collect();
        if !undefined.is_empty() {
            return Err(invalid(format!(
                "Global Secondary Index hash key not specified in Attribute Definitions.Type unknown. {} not present in AttributeDefinitions", // message unverified
                undefined.join(", ")
            )));
        }
        defs.retain(|d| used.contains(&d.attribute_name));
        next.attribute_definitions = defs;
    }

    if let Some(spec) = req.stream_specification {
        let enable = spec.stream_enabled.unwrap_or(false);
        let currently = current.stream.as_ref().is_some_and(|s| s.enabled);
        // Replication reads the stream's records: a global table keeps it (a strongly
        // consistent one replicates without it).
        if !enable && !current.replicas.is_empty() && !current.strongly_consistent {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: Cannot disable the stream of a table with replicas", // message unverified
            ));
        }
        if enable && currently {
            return Err(DynamoError::validation(format!(
                "Table already has an enabled stream: TableName: {}",
                current.table_name
            )));
        }
        // UpdateTable's own words for these, as AWS answered on 2026-10-09 (ack-api-quirks
        // DDB-TABLE-050); CreateTable's differ.
        if !enable && !currently {
            return Err(DynamoError::validation(format!(
                "Table has no stream to disable: TableName: {}",
                current.table_name
            )));
        }
        match (enable, spec.stream_view_type.is_some()) {
            (true, false) => {
                return Err(invalid(
                    "If stream is being enabled then UpdateViewType is required",
                ))
            }
            (false, true) => {
                return Err(invalid(
                    "If stream is being disabled, then UpdateViewType must not be specified",
                ))
            }
            _ => {}
        }
        if enable {
            next.stream = stream_state(Some(&spec), now_ms)?;
        } else if let Some(s) = &mut next.stream {
            s.enabled = false;
        }
    }
    if let Some(sse) = sse {
        next.sse = sse;
    }
    if let Some(p) = req.deletion_protection_enabled {
        next.deletion_protection = p;
    }
    next.on_demand_throughput =
        validate::on_demand(req.on_demand_throughput, next.on_demand_throughput)?;
    if let Some(class) = req.table_class {
        if !matches!(class.as_str(), "STANDARD" | "STANDARD_INFREQUENT_ACCESS") {
            return Err(DynamoError::bad_enum(&class, "tableClass"));
        }
        next.table_class = class;
    }
    Ok(next)
}

fn change_throughput(
    cur: &Throughput,
    t: ThroughputIn,
    now: f64,
    was_provisioned: bool,
) -> Result<Throughput, DynamoError> {
    let read = t.read_capacity_units.unwrap_or(cur.read_capacity_units);
    let write = t.write_capacity_units.unwrap_or(cur.write_capacity_units);
    if was_provisioned && read == cur.read_capacity_units && write == cur.write_capacity_units {
        return Err(DynamoError::validation(format!(
            "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
            cur.read_capacity_units, cur.write_capacity_units
        )));
    }
    let mut next = cur.clone();
    next.read_capacity_units = read;
    next.write_capacity_units = write;
    if read > cur.read_capacity_units || write > cur.write_capacity_units {
        next.last_increase_date_time = Some(now);
    }
    if read < cur.read_capacity_units || write < cur.write_capacity_units {
        let today = decreases_today(cur, now);
        let last = cur.last_decrease_date_time.unwrap_or(0.0);
        // AWS: 4 decreases at any time of a UTC day, then one an hour.
        if today >= 4 && now - last < 3600.0 {
            let ms = |t: f64| (t * 1000.0) as i64;
            return Err(DynamoError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most once every 3600 seconds. Number of decreases today: {today}. Last decrease at {}. Next decrease can be made at {}",
                    clock::long_utc(ms(last)),
                    clock::long_utc(ms(last + 3600.0)),
                ),
            ));
        }
        next.last_decrease_date_time = Some(now);
        next.number_of_decreases_today = today + 1;
    }
    Ok(next)
}

/// Decreases made in `now`'s UTC day (the count stored is of the day of the last decrease).
pub(super) fn decreases_today(t: &Throughput, now: f64) -> i64 {
    let day = |s: f64| (s / 86_400.0).floor() as i64;
    match t.last_decrease_date_time {
        Some(last) if day(last) == day(now) => t.number_of_decreases_today,
        _ => 0,
    }
}
