//! CreateTable.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::describe_table::{describe, Stats};
use super::validate::OnDemandIn;
use super::validate::{self, invalid_parameter as invalid, KeySchemaOf, ThroughputIn};
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::ids;
use crate::schema::{
    AttributeDefinition, GlobalIndex, KeySchemaElement, LocalIndex, Projection, Sse, StreamState,
    TableMeta, Tag, Throughput,
};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
    key_schema: Option<Vec<KeySchemaElement>>,
    attribute_definitions: Option<Vec<AttributeDefinition>>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ThroughputIn>,
    global_secondary_indexes: Option<Vec<GsiIn>>,
    local_secondary_indexes: Option<Vec<LsiIn>>,
    stream_specification: Option<StreamSpecIn>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<SseSpecIn>,
    tags: Option<Vec<Tag>>,
    deletion_protection_enabled: Option<bool>,
    table_class: Option<String>,
    on_demand_throughput: Option<OnDemandIn>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GsiIn {
    pub index_name: Option<String>,
    pub key_schema: Option<Vec<KeySchemaElement>>,
    pub projection: Option<Projection>,
    pub provisioned_throughput: Option<ThroughputIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LsiIn {
    index_name: Option<String>,
    key_schema: Option<Vec<KeySchemaElement>>,
    projection: Option<Projection>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StreamSpecIn {
    pub stream_enabled: Option<bool>,
    pub stream_view_type: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SseSpecIn {
    pub enabled: Option<bool>,
    #[serde(rename = "SSEType")]
    pub sse_type: Option<String>,
    #[serde(rename = "KMSMasterKeyId")]
    pub kms_master_key_id: Option<String>,
}

/// A new table's definition from a CreateTable request (or an ImportTable's
/// TableCreationParameters, which share its members), validated, with its data key.
pub(super) async fn new_table(svc: &InRegion<'_>, req: Request) -> Result<TableMeta, DynamoError> {
    let mut meta = validate_request(svc, req)?;
    let arn = meta.sse.as_ref().map(|s| s.kms_master_key_arn.clone());
    meta.data_key = svc
        .keys
        .new_data_key(&meta.table_name, arn.as_deref())
        .await?;
    Ok(meta)
}

pub(super) async fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let meta = new_table(svc, req).await?;
    let catalog = svc.catalog.clone();
    let meta = svc
        .store
        .write(move |ctx| {
            if catalog
                .get(meta.region(), &meta.table_name)
                .is_some_and(|m| m.restoring())
            {
                return Ok(Err(DynamoError::new(
                    ErrorCode::ResourceInUse,
                    format!("Table is being used: {}", meta.table_name),
                )));
            }
            if catalog.get(meta.region(), &meta.table_name).is_some() {
                return Ok(Err(DynamoError::new(
                    ErrorCode::ResourceInUse,
                    format!("Table already exists: {}", meta.table_name),
                )));
            }
            Ok(Ok(catalog.put(ctx, meta)?))
        })
        .await??;
    Ok(
        json!({ "TableDescription": describe(&meta, &Stats::default(), Some("CREATING"), svc.clock().now_epoch_seconds()) }),
    )
}

fn validate_request(svc: &InRegion<'_>, req: Request) -> Result<TableMeta, DynamoError> {
    let mut c = Constraints::default();
    validate::create_table_name_constraints(&mut c, req.table_name.as_deref());
    match &req.attribute_definitions {
        None => c.push_null("attributeDefinitions"),
        Some(defs) => validate::attribute_constraints(&mut c, defs),
    }
    match &req.key_schema {
        None => c.push_null("keySchema"),
        Some(ks) => validate::key_schema_constraints(&mut c, ks, "keySchema"),
    }
    validate::billing_mode(&mut c, req.billing_mode.as_deref());
    if let Some(t) = &req.provisioned_throughput {
        validate::throughput_constraints(&mut c, t, "provisionedThroughput");
    }
    if let Some(s) = &req.stream_specification {
        if s.stream_enabled.is_none() {
            c.push_null("streamSpecification.streamEnabled");
        }
        validate::stream_view_type(&mut c, s.stream_view_type.as_deref());
    }
    c.into_result()?;
    if let Some(tags) = &req.tags {
        super::tags::check_tags(tags)?;
    }
    validate::create_table_name_length(req.table_name.as_deref())?;

    let name = req.table_name.unwrap_or_default();
    let key_schema = req.key_schema.unwrap_or_default();
    let defs = req.attribute_definitions.unwrap_or_default();

    let pay_per_request = req.billing_mode.as_deref() == Some("PAY_PER_REQUEST");
    let throughput = match (pay_per_request, req.provisioned_throughput) {
        (true, Some(_)) => {
            return Err(invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"))
        }
        (true, None) => Throughput::default(),
        (false, None) => {
            return Err(invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"))
        }
        (false, Some(t)) => Throughput {
            read_capacity_units: t.read_capacity_units.unwrap_or_default(),
            write_capacity_units: t.write_capacity_units.unwrap_or_default(),
            ..Throughput::default()
        },
    };

    if let Some(t) = &req.provisioned_throughput {
        validate::throughput_bounds(t)?;
    }
    // AWS's order and wording (as dynalite recorded them): undefined key attributes first,
    // worded differently for one and two keys, then the key types.
    let undefined = key_schema
        .iter()
        .any(|k| !defs.iter().any(|d| d.attribute_name == k.attribute_name));
    let same_name_one_def = key_schema.len() == 2
        && key_schema.first().map(|k| &k.attribute_name)
            == key_schema.get(1).map(|k| &k.attribute_name)
        && defs.len() == 1;
    if key_schema.len() == 2 && (undefined || same_name_one_def) {
        return Err(DynamoError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    if undefined {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            key_schema.iter().map(|k| k.attribute_name.as_str()).collect::<Vec<_>>().join(", "),
            defs.iter().map(|d| d.attribute_name.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    validate::key_schema_shape(&key_schema, KeySchemaOf::Table)?;

    let mut key_names: BTreeSet<String> = key_schema
        .iter()
        .map(|k| k.attribute_name.clone())
        .collect();
    let table_hash = key_schema
        .first()
        .map(|k| k.attribute_name.clone())
        .unwrap_or_default();
    let has_range = key_schema.len() > 1;
    let mut index_names = BTreeSet::new();
    let mut projected = 0usize;

    let mut local_indexes = Vec::new();
    if let Some(lsis) = req.local_secondary_indexes {
        if lsis.is_empty() {
            return Err(invalid("List of LocalSecondaryIndexes is empty"));
        }
        if !has_range {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        if lsis.len() > validate::MAX_LSIS {
            return Err(invalid(
                "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
            ));
        }
        for lsi in lsis {
            let (index_name, ks, projection) =
                index_common(lsi.index_name, lsi.key_schema, lsi.projection)?;
            let index_hash = ks
                .first()
                .map(|k| k.attribute_name.clone())
                .unwrap_or_default();
            if index_hash != table_hash {
                return Err(invalid(format!(
                    "Index KeySchema does not have the same leading hash key as table KeySchema for index: {index_name}. index hash key: {index_hash}, table hash key: {table_hash}"
                )));
            }
            if ks.len() < 2 {
                return Err(invalid(format!(
                    "Index KeySchema does not have a range key for index: {index_name}"
                )));
            }
            validate::projection(&projection, &index_name, &mut projected)?;
            if !index_names.insert(index_name.clone()) {
                return Err(invalid(format!("Duplicate index name: {index_name}")));
            }
            key_names.extend(ks.iter().map(|k| k.attribute_name.clone()));
            local_indexes.push(LocalIndex {
                index_name,
                key_schema: ks,
                projection,
            });
        }
    }

    let mut global_indexes = Vec::new();
    if let Some(gsis) = req.global_secondary_indexes {
        if gsis.is_empty() {
            return Err(invalid("List of GlobalSecondaryIndexes is empty"));
        }
        if gsis.len() > validate::MAX_GSIS {
            return Err(invalid(
                "GlobalSecondaryIndex count exceeds the per-table limit of 20",
            ));
        }
        for gsi in gsis {
            let g = global_index(gsi, pay_per_request, &mut projected)?;
            if !index_names.insert(g.index_name.clone()) {
                return Err(invalid(format!("Duplicate index name: {}", g.index_name)));
            }
            key_names.extend(g.key_schema.iter().map(|k| k.attribute_name.clone()));
            global_indexes.push(g);
        }
    }
    validate::definitions_match(&defs, &key_names, !index_names.is_empty())?;

    let region = svc.region().to_string();
    let arn = format!(
        "arn:aws:dynamodb:{region}:{}:table/{name}",
        svc.env.account_id
    );
    let now_ms = svc.clock().now_ms();
    let now = now_ms as f64 / 1000.0;
    let stream = stream_state(req.stream_specification.as_ref(), now_ms)?;
    let sse = sse_state(
        req.sse_specification.as_ref(),
        &region,
        &svc.env.account_id,
        svc,
    )?;
    Ok(TableMeta {
        table_name: name,
        table_id: ids::uuid(),
        table_arn: arn,
        creation_date_time: now,
        key_schema,
        attribute_definitions: defs,
        billing_mode: if pay_per_request {
            "PAY_PER_REQUEST"
        } else {
            "PROVISIONED"
        }
        .into(),
        billing_mode_updated: pay_per_request.then_some(now),
        throughput,
        on_demand_throughput: validate::on_demand(req.on_demand_throughput, None)?,
        global_indexes,
        local_indexes,
        stream,
        sse,
        tags: req.tags.unwrap_or_default(),
        deletion_protection: req.deletion_protection_enabled.unwrap_or(false),
        table_class: req.table_class.unwrap_or_else(|| "STANDARD".into()),
        ttl: None,
        pitr: None,
        restore_summary: None,
        data_key: None,
        old_data_keys: Vec::new(),
        resealing: false,
        resource_policy: None,
        stream_policy: None,
        importing: false,
        replicas: Vec::new(),
        replica_fill: None,
        legacy_global_since: None,
        strongly_consistent: false,
        witness_region: None,
    })
}

fn index_common(
    name: Option<String>,
    key_schema: Option<Vec<KeySchemaElement>>,
    projection: Option<Projection>,
) -> Result<(String, Vec<KeySchemaElement>, Projection), DynamoError> {
    let mut c = Constraints::default();
    match &name {
        None => c.push_null("indexName"),
        Some(n) => validate::table_or_index_name_constraints(&mut c, n, "indexName"),
    }
    match &key_schema {
        None => c.push_null("keySchema"),
        Some(ks) => validate::key_schema_constraints(&mut c, ks, "keySchema"),
    }
    if projection.is_none() {
        c.push_null("projection");
    }
    c.into_result()?;
    let name = name.unwrap_or_default();
    let ks = key_schema.unwrap_or_default();
    validate::key_schema_shape(&ks, KeySchemaOf::Index(&name))?;
    Ok((name, ks, projection.unwrap_or_default()))
}

/// Validates one GSI definition (CreateTable, or UpdateTable's Create action).
pub(super) fn global_index(
    gsi: GsiIn,
    pay_per_request: bool,
    projected: &mut usize,
) -> Result<GlobalIndex, DynamoError> {
    let (index_name, key_schema, projection) =
        index_common(gsi.index_name, gsi.key_schema, gsi.projection)?;
    validate::projection(&projection, &index_name, projected)?;
    let throughput = match (pay_per_request, gsi.provisioned_throughput) {
        (true, Some(_)) => {
            return Err(invalid(format!(
                "ProvisionedThroughput should not be specified for index: {index_name} when BillingMode is PAY_PER_REQUEST"
            )))
        }
        (true, None) => Throughput::default(),
        (false, None) => {
            return Err(invalid(format!("ProvisionedThroughput must be specified for index: {index_name}")))
        }
        (false, Some(t)) => {
            let mut c = Constraints::default();
            validate::throughput_constraints(&mut c, &t, "provisionedThroughput");
            c.into_result()?;
            Throughput {
                read_capacity_units: t.read_capacity_units.unwrap_or_default(),
                write_capacity_units: t.write_capacity_units.unwrap_or_default(),
                ..Throughput::default()
            }
        }
    };
    Ok(GlobalIndex {
        index_name,
        key_schema,
        projection,
        provisioned_throughput: Some(throughput),
        index_status: "ACTIVE".into(),
        backfilling: false,
    })
}

pub(super) fn stream_state(
    spec: Option<&StreamSpecIn>,
    now_ms: u64,
) -> Result<Option<StreamState>, DynamoError> {
    let Some(spec) = spec else { return Ok(None) };
    match (
        spec.stream_enabled.unwrap_or(false),
        spec.stream_view_type.as_deref(),
    ) {
        (true, Some(view)) => Ok(Some(StreamState {
            enabled: true,
            view_type: view.to_string(),
            label: clock::iso8601_millis(now_ms as i64),
        })),
        // CreateTable's words (recorded 2026-10-09, ack-api-quirks DDB-TABLE-442); UpdateTable
        // has its own and checks them itself.
        (true, None) => Err(invalid(
            "Table is being created with a stream enabled, UpdateViewType is required",
        )),
        (false, Some(_)) => Err(invalid(
            "Table is being created with a stream disabled, UpdateViewType should not be specified",
        )),
        (false, None) => Ok(None),
    }
}

/// SSE with a KMS key, checked as AWS checks it. A key given as key id, alias name or alias
/// ARN is resolved to its key ARN once, now, as AWS does (repointing the alias later does not
/// move the table); a key that does not exist, is disabled or is pending deletion is refused
/// with the error AWS wraps around KMS's. `None`: the AWS owned key.
pub(super) fn sse_state(
    spec: Option<&SseSpecIn>,
    region: &str,
    account: &str,
    svc: &InRegion<'_>,
) -> Result<Option<Sse>, DynamoError> {
    let Some(spec) = spec else { return Ok(None) };
    if let Some(t) = spec.sse_type.as_deref() {
        if t != "KMS" && t != "AES256" {
            return Err(DynamoError::bad_enum(t, "sSESpecification.sSEType"));
        }
    }
    // An SSEType alone asks for KMS encryption; Enabled false, for the AWS owned key.
    let enabled = spec.enabled.unwrap_or(spec.sse_type.is_some());
    if !enabled {
        if spec.sse_type.is_some() {
            return Err(invalid("SSEType can not be specified if Enabled is false"));
        }
        if spec.kms_master_key_id.is_some() {
            return Err(invalid(
                "KMSMasterKeyId can not be specified if Enabled is false",
            ));
        }
        return Ok(None);
    }
    if spec.sse_type.as_deref() == Some("AES256") {
        return Err(invalid("SSEType AES256 is not supported"));
    }
    let managed = format!(
        "arn:aws:kms:{region}:{account}:key/{}",
        kms::managed_key_id(region, account)
    );
    let key = match spec.kms_master_key_id.as_deref() {
        Some(_) if spec.sse_type.is_none() => {
            return Err(invalid(
                "SSEType KMS is required if KMSMasterKeyId is specified",
            ))
        }
        None => managed,
        Some(k) if k == "alias/aws/dynamodb" || k.ends_with(":alias/aws/dynamodb") => managed,
        Some(k) if k == managed || k == kms::managed_key_id(region, account) => managed,
        Some(k) => {
            let now = svc.clock().now_ms();
            kms::resolve_key(&svc.store.read()?, region, account, k, now)?
                .map_err(|p| crate::table_keys::kms_refusal(&p))?
        }
    };
    Ok(Some(Sse {
        sse_type: "KMS".into(),
        kms_master_key_arn: key,
        unusable_since_ms: None,
        inaccessible_ms: None,
    }))
}
