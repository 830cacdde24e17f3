//! Validation shared by the table operations, with AWS's messages.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::error::{Constraints, DynamoError};
use crate::schema::{AttributeDefinition, KeySchemaElement, OnDemandThroughput, Projection};

pub const MAX_GSIS: usize = 20;
pub const MAX_LSIS: usize = 5;
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;

/// "One or more parameter values were invalid: …", AWS's prefix for semantic validation errors.
pub fn invalid_parameter(msg: impl AsRef<str>) -> DynamoError {
    DynamoError::validation(format!(
        "One or more parameter values were invalid: {}",
        msg.as_ref()
    ))
}

/// Coral's constraints on a table name (also index names: 3..255, same pattern).
pub fn table_name(c: &mut Constraints, name: Option<&str>, member: &str) {
    let Some(name) = name else {
        match member {
            "tableName" => c.push_missing("TableName"),
            _ => c.push_null(member),
        }
        return;
    };
    table_or_index_name_constraints(c, name, member);
}

/// CreateTable's name: Coral checks the pattern; the length has its own message since AWS
/// widened the member's constraint (for ARNs) and checks 3..255 in the service.
pub fn create_table_name_constraints(c: &mut Constraints, name: Option<&str>) {
    match name {
        None => c.push_missing("TableName"),
        Some(n)
            if !n.is_empty()
                && !n
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-')) =>
        {
            c.push(
                n,
                "tableName",
                "satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            )
        }
        Some(_) => {}
    }
}

pub fn create_table_name_length(name: Option<&str>) -> Result<(), DynamoError> {
    let len = name.map_or(0, str::len);
    if !(3..=255).contains(&len) {
        return Err(DynamoError::validation(
            "TableName must be at least 3 characters long and at most 255 characters long",
        ));
    }
    Ok(())
}

/// A name's pattern and length constraints, in the order AWS reports them for `backupName` and
/// `exclusiveStartTableName`: the pattern first (recorded 2026-10-09).
pub fn name_constraints(c: &mut Constraints, name: &str, member: &str) {
    name_pattern(c, name, member);
    name_length(c, name, member);
}

/// The same for `tableName` and `indexName`, which AWS reports length first (recorded
/// 2026-10-09 for DescribeTable's and a GSI's empty name).
pub fn table_or_index_name_constraints(c: &mut Constraints, name: &str, member: &str) {
    name_length(c, name, member);
    name_pattern(c, name, member);
}

fn name_pattern(c: &mut Constraints, name: &str, member: &str) {
    if name.is_empty()
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-'))
    {
        c.push(
            name,
            member,
            "satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        );
    }
}

fn name_length(c: &mut Constraints, name: &str, member: &str) {
    if name.len() < 3 {
        c.push(name, member, "have length greater than or equal to 3");
    }
    if name.len() > 255 {
        c.push(name, member, "have length less than or equal to 255");
    }
}

/// The table name of an item operation, which may also be the table's ARN: an empty one breaks
/// only the ARN's minimum length (recorded 2026-10-09 for UpdateItem), others the name's rules.
pub fn item_table_name(c: &mut Constraints, name: Option<&str>) {
    match name {
        Some("") => c.push("", "tableName", "have length greater than or equal to 1"),
        _ => table_name(c, name, "tableName"),
    }
}

/// The enum members of an item write's request (PutItem, UpdateItem, DeleteItem: their requests
/// share these members' names, not a type), among the request's other violations.
macro_rules! write_enums {
    ($c:expr, $req:expr) => {{
        let c: &mut $crate::error::Constraints = $c;
        c.push_enum($req.return_values.as_deref(), "returnValues");
        c.push_enum(
            $req.return_consumed_capacity.as_deref(),
            "returnConsumedCapacity",
        );
        c.push_enum(
            $req.return_item_collection_metrics.as_deref(),
            "returnItemCollectionMetrics",
        );
        c.push_enum(
            $req.return_values_on_condition_check_failure.as_deref(),
            "returnValuesOnConditionCheckFailure",
        );
        c.push_enum($req.conditional_operator.as_deref(), "conditionalOperator");
    }};
}
pub(crate) use write_enums;

/// The enum members of a read's request (Query, Scan), among the request's other violations.
macro_rules! read_enums {
    ($c:expr, $req:expr) => {{
        let c: &mut $crate::error::Constraints = $c;
        c.push_enum($req.select.as_deref(), "select");
        c.push_enum($req.conditional_operator.as_deref(), "conditionalOperator");
        c.push_enum(
            $req.return_consumed_capacity.as_deref(),
            "returnConsumedCapacity",
        );
    }};
}
pub(crate) use read_enums;

/// A data-plane table name: the same constraints, checked alone.
pub fn require_table_name(name: Option<&str>) -> Result<&str, DynamoError> {
    let mut c = Constraints::default();
    table_name(&mut c, name, "tableName");
    c.into_result()?;
    Ok(name.unwrap_or_default())
}

/// Coral's enum and length constraints on a key schema.
pub fn key_schema_constraints(c: &mut Constraints, schema: &[KeySchemaElement], member: &str) {
    for (i, k) in schema.iter().enumerate() {
        c.push_enum(
            Some(&k.key_type),
            &format!("{member}.{}.member.keyType", i + 1),
        );
        key_attribute_name(c, &k.attribute_name, &format!("{member}.{}.member", i + 1));
    }
    if schema.is_empty() {
        c.push("[]", member, "have length greater than or equal to 1");
    }
    if schema.len() > 2 {
        c.push(
            format_list(schema.iter().map(|k| k.attribute_name.as_str())),
            member,
            "have length less than or equal to 2",
        );
    }
}

pub fn attribute_constraints(c: &mut Constraints, defs: &[AttributeDefinition]) {
    for (i, d) in defs.iter().enumerate() {
        c.push_enum(
            Some(&d.attribute_type),
            &format!("attributeDefinitions.{}.member.attributeType", i + 1),
        );
        key_attribute_name(
            c,
            &d.attribute_name,
            &format!("attributeDefinitions.{}.member", i + 1),
        );
    }
}

/// A key attribute's name: 1 to 255 bytes (the model's KeySchemaAttributeName), in key schemas
/// and attribute definitions alike. Non-key attribute names may be longer.
fn key_attribute_name(c: &mut Constraints, name: &str, entry: &str) {
    let member = format!("{entry}.attributeName");
    if name.is_empty() {
        c.push("", &member, "have length greater than or equal to 1");
    } else if name.len() > 255 {
        c.push(name, &member, "have length less than or equal to 255");
    }
}

fn format_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    format!("[{}]", items.collect::<Vec<_>>().join(", "))
}

/// The shape rules of one key schema (table or index) once Coral's constraints passed.
pub fn key_schema_shape(
    schema: &[KeySchemaElement],
    what: KeySchemaOf<'_>,
) -> Result<(), DynamoError> {
    let Some(first) = schema.first() else {
        return Ok(());
    };
    if schema
        .get(1)
        .is_some_and(|second| second.attribute_name == first.attribute_name)
    {
        // (Checked first: AWS reports it before the key types.)
        return Err(DynamoError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if first.key_type != "HASH" {
        return Err(match what {
            KeySchemaOf::Table => DynamoError::validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ),
            KeySchemaOf::Index(name) => invalid(format!(
                "Index KeySchema does not have a hash key for index: {name}"
            )),
        });
    }
    if let Some(second) = schema.get(1) {
        if second.key_type != "RANGE" {
            return Err(DynamoError::validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
pub enum KeySchemaOf<'a> {
    Table,
    Index(&'a str),
}

/// Every key attribute (table and indexes) must be defined, and every definition used.
pub fn definitions_match(
    defs: &[AttributeDefinition],
    key_names: &BTreeSet<String>,
    has_indexes: bool,
) -> Result<(), DynamoError> {
    let mut seen = BTreeSet::new();
    for d in defs {
        if !seen.insert(d.attribute_name.as_str()) {
            return Err(invalid("Cannot have two attributes with the same name"));
        }
    }
    let defined: BTreeSet<String> = defs.iter().map(|d| d.attribute_name.clone()).collect();
    let undefined: Vec<&str> = key_names
        .iter()
        .filter(|k| !defined.contains(*k))
        .map(String::as_str)
        .collect();
    if !undefined.is_empty() {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: {}, AttributeDefinitions: {}",
            format_list(undefined.into_iter()),
            format_list(defs.iter().map(|d| d.attribute_name.as_str()))
        )));
    }
    if defined.len() != key_names.len() {
        return Err(if has_indexes {
            invalid(format!(
                "Some AttributeDefinitions are not used. AttributeDefinitions: {}, keys used: {}",
                format_list(defs.iter().map(|d| d.attribute_name.as_str())),
                format_list(key_names.iter().map(String::as_str))
            ))
        } else {
            invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
        });
    }
    Ok(())
}

/// Throughput as requests carry it: either unit may be missing.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ThroughputIn {
    pub read_capacity_units: Option<i64>,
    pub write_capacity_units: Option<i64>,
}

/// The largest capacity AWS accepts in a request before its account limits apply.
pub const MAX_CAPACITY_UNITS: i64 = 1_000_000_000_000;

/// AWS's bound on capacity values, checked after Coral's constraints.
pub fn throughput_bounds(t: &ThroughputIn) -> Result<(), DynamoError> {
    for (v, name) in [
        (t.read_capacity_units, "ReadCapacityUnits"),
        (t.write_capacity_units, "WriteCapacityUnits"),
    ] {
        if let Some(v) = v.filter(|v| *v > MAX_CAPACITY_UNITS) {
            return Err(DynamoError::validation(format!(
                "Given value {v} for {name} is out of bounds"
            )));
        }
    }
    Ok(())
}

pub fn throughput_constraints(c: &mut Constraints, t: &ThroughputIn, member: &str) {
    for (v, name) in [
        (t.read_capacity_units, "readCapacityUnits"),
        (t.write_capacity_units, "writeCapacityUnits"),
    ] {
        match v {
            None => c.push_null(&format!("{member}.{name}")),
            Some(v) if v < 1 => c.push(
                v,
                &format!("{member}.{name}"),
                "have value greater than or equal to 1",
            ),
            Some(_) => {}
        }
    }
}

pub fn projection(
    p: &Projection,
    index: &str,
    projected_total: &mut usize,
) -> Result<(), DynamoError> {
    let non_key = p.non_key_attributes.as_ref();
    match p.projection_type.as_deref() {
        Some("ALL") | Some("KEYS_ONLY") if non_key.is_some() => Err(invalid(format!(
            "ProjectionType is {}, but NonKeyAttributes is specified",
            p.projection_type.as_deref().unwrap_or_default()
        ))),
        Some("ALL") | Some("KEYS_ONLY") => Ok(()),
        Some("INCLUDE") => match non_key {
            None => Err(invalid(
                "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
            )),
            Some(attrs) => {
                *projected_total += attrs.len();
                if *projected_total > MAX_PROJECTED_ATTRIBUTES {
                    return Err(invalid(
                        "Number of projected attributes in all indexes exceeds limit of 100",
                    ));
                }
                let _ = index;
                Ok(())
            }
        },
        Some(other) => Err(DynamoError::bad_enum(other, "projection.projectionType")),
        None => Err(invalid("Unknown ProjectionType: null")),
    }
}

pub fn billing_mode(c: &mut Constraints, mode: Option<&str>) {
    c.push_enum(mode, "billingMode");
}

pub fn stream_view_type(c: &mut Constraints, v: Option<&str>) {
    c.push_enum(v, "streamSpecification.streamViewType");
}

use invalid_parameter as invalid;

/// OnDemandThroughput as requests carry it: either maximum may be missing; -1 removes one.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnDemandIn {
    pub max_read_request_units: Option<i64>,
    pub max_write_request_units: Option<i64>,
}

/// The maximum a table will have after a request that carries `input`: a missing member keeps
/// `current`'s value, -1 removes it; None when neither maximum is set.
pub fn on_demand(
    input: Option<OnDemandIn>,
    current: Option<OnDemandThroughput>,
) -> Result<Option<OnDemandThroughput>, DynamoError> {
    let Some(input) = input else {
        return Ok(current);
    };
    let cur = current.unwrap_or(OnDemandThroughput {
        max_read_request_units: -1,
        max_write_request_units: -1,
    });
    let pick = |v: Option<i64>, old: i64, name: &str| -> Result<i64, DynamoError> {
        match v {
            None => Ok(old),
            Some(v) if v == -1 || v >= 1 => Ok(v),
            Some(v) => Err(invalid_parameter(format!(
                "{name} must be greater than or equal to 1 or -1 to remove the limit. Given: {v}"
            ))),
        }
    };
    let next = OnDemandThroughput {
        max_read_request_units: pick(
            input.max_read_request_units,
            cur.max_read_request_units,
            "MaxReadRequestUnits",
        )?,
        max_write_request_units: pick(
            input.max_write_request_units,
            cur.max_write_request_units,
            "MaxWriteRequestUnits",
        )?,
    };
    Ok((next.max_read_request_units > 0 || next.max_write_request_units > 0).then_some(next))
}
