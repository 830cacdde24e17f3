//! ExecuteStatement: one PartiQL statement. SELECTs read through Query/Scan's page machinery
//! (1 MB pages, Limit, filters), with NextToken to continue; INSERT, UPDATE and DELETE write one
//! item in one store write job, through `items::apply_write` like every item write.
//!
//! Also what BatchExecuteStatement and ExecuteTransaction share: request checks, parameters,
//! the write job's body, error codes for per-statement errors.

use std::ops::Bound;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use item::expr::{KeyCondition, KeyOperator, Projection};
use item::partiql::{Returning, Statement};
use item::{Item, Value};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use store::{StoreError, WriteCtx};

use super::batch_get_item::capacity_enum;
use super::page::{self, Output, PageSpec, Source};
use super::write_common as common;
use crate::capacity::{Consumed, Detail};
use crate::catalog::Catalog;
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::items::{self, Origin};
use crate::partiql::{self, Access, ReadPlan, WriteKind, WritePlan};
use crate::InRegion;

/// Longest statement AWS accepts, in bytes.
pub(super) const MAX_STATEMENT_BYTES: usize = 8192;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    statement: Option<String>,
    parameters: Option<Vec<Json>>,
    consistent_read: Option<bool>,
    next_token: Option<String>,
    return_consumed_capacity: Option<String>,
    limit: Option<i64>,
    return_values_on_condition_check_failure: Option<String>,
}

pub(super) async fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    shapes(req.parameters.as_deref())?;
    let mut v = Constraints::default();
    statement_constraints(&mut v, req.statement.as_deref(), "statement");
    parameters_constraint(&mut v, req.parameters.as_deref(), "parameters");
    if let Some(l) = req.limit.filter(|l| *l < 1) {
        v.push(l, "limit", "have value greater than or equal to 1");
    }
    if let Some(t) = &req.next_token {
        if t.is_empty() {
            v.push(t, "nextToken", "have length greater than or equal to 1");
        } else if t.len() > 32768 {
            v.push(t, "nextToken", "have length less than or equal to 32768");
        }
    }
    capacity_enum(&mut v, req.return_consumed_capacity.as_deref());
    return_values_enum(
        &mut v,
        req.return_values_on_condition_check_failure.as_deref(),
        "returnValuesOnConditionCheckFailure",
    );
    v.into_result()?;
    let detail = Detail::parse(req.return_consumed_capacity.as_deref())?;
    let return_old =
        common::return_old_on_failure(req.return_values_on_condition_check_failure.as_deref())?;
    let params = parameters(req.parameters.as_deref())?;
    let text = req.statement.unwrap_or_default();
    let stmt = partiql::parse(&text)?;
    match &stmt {
        Statement::Exists(_) => Err(DynamoError::validation(
            "EXISTS can only be used in ExecuteTransaction write requests.",
        )),
        Statement::Select(s) => {
            let consistent = req.consistent_read.unwrap_or(false);
            let plan = partiql::plan_select(svc.tables(), s, &params, consistent)?;
            let digest = request_digest(&text, req.parameters.as_deref());
            let start = req
                .next_token
                .as_deref()
                .map(|t| decode_token(t, digest))
                .transpose()?;
            let limit = req.limit.map(|l| l as usize);
            svc.admit(
                &plan.meta,
                None,
                crate::metrics::Kind::Read,
                "ExecuteStatement",
            )?;
            let page = read(svc, &plan, consistent, limit, start)?;
            let mut out = Map::new();
            out.insert(
                "Items".into(),
                Json::Array(page.items.iter().map(item::json::item_to_json).collect()),
            );
            if let Some(next) = &page.next {
                out.insert("NextToken".into(), encode_token(next, digest).into());
                // AWS's output shape has LastEvaluatedKey beside NextToken (unverified that it
                // fills both).
                if let Some(k) = &next.key {
                    out.insert("LastEvaluatedKey".into(), item::json::item_to_json(k));
                }
            }
            svc.consume(
                &plan.meta.table_name,
                &page.consumed,
                crate::metrics::Kind::Read,
            );
            page.consumed
                .add_to(&mut out, detail, &plan.meta.table_name);
            Ok(Json::Object(out))
        }
        _ => {
            let plan = partiql::plan_write(svc.tables(), &stmt, &params)?;
            svc.admit(
                &plan.meta,
                None,
                crate::metrics::Kind::Write,
                "ExecuteStatement",
            )?;
            let catalog = svc.catalog.clone();
            let done = svc
                .store
                .write(move |tx| write_in(tx, &catalog, &plan, return_old))
                .await??;
            let mut out = Map::new();
            out.insert(
                "Items".into(),
                Json::Array(done.returned.iter().map(item::json::item_to_json).collect()),
            );
            svc.consume(&done.table, &done.consumed, crate::metrics::Kind::Write);
            done.consumed.add_to(&mut out, detail, &done.table);
            Ok(Json::Object(out))
        }
    }
}

// ---- request checks shared by the three operations -------------------------------------------

/// Coral deserialises the whole request before validating it: parameters of the wrong JSON
/// shape are a SerializationException first.
pub(super) fn shapes(params: Option<&[Json]>) -> Result<(), DynamoError> {
    if let Some(m) = params
        .into_iter()
        .flatten()
        .find_map(item::json::value_shape_error)
    {
        return Err(DynamoError::new(ErrorCode::Serialization, m));
    }
    Ok(())
}

pub(super) fn statement_constraints(v: &mut Constraints, statement: Option<&str>, member: &str) {
    match statement {
        None => v.push_null(member),
        Some(s) if s.is_empty() => v.push(s, member, "have length greater than or equal to 1"),
        Some(s) if s.len() > MAX_STATEMENT_BYTES => v.push(
            s,
            member,
            &format!("have length less than or equal to {MAX_STATEMENT_BYTES}"),
        ),
        Some(_) => {}
    }
}

pub(super) fn parameters_constraint(v: &mut Constraints, params: Option<&[Json]>, member: &str) {
    if params.is_some_and(<[Json]>::is_empty) {
        v.push("[]", member, "have length greater than or equal to 1");
    }
}

pub(super) fn return_values_enum(v: &mut Constraints, raw: Option<&str>, member: &str) {
    v.push_enum(raw, member);
}

/// The request's parameters, decoded with AWS's wording for a bad value.
pub(super) fn parameters(raw: Option<&[Json]>) -> Result<Vec<Value>, DynamoError> {
    raw.into_iter()
        .flatten()
        .map(|p| {
            item::json::decode_value(p).map_err(|e| match e {
                item::json::DecodeError::Serialization(m) => {
                    DynamoError::new(ErrorCode::Serialization, m)
                }
                item::json::DecodeError::Validation(m) => DynamoError::validation(m),
            })
        })
        .collect()
}

/// The code a statement's error has in BatchExecuteStatement's per-statement errors (and in
/// cancellation reasons).
pub(super) fn statement_error_code(e: &DynamoError) -> &'static str {
    match e.code {
        ErrorCode::ConditionalCheckFailed => "ConditionalCheckFailed",
        ErrorCode::DuplicateItem => "DuplicateItem",
        ErrorCode::ResourceNotFound => "ResourceNotFound",
        ErrorCode::ItemCollectionSizeLimitExceeded => "ItemCollectionSizeLimitExceeded",
        ErrorCode::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
        ErrorCode::Throttling => "ThrottlingError",
        ErrorCode::TransactionConflict => "TransactionConflict",
        ErrorCode::AccessDenied => "AccessDenied",
        ErrorCode::InternalServerError => "InternalServerError",
        _ => "ValidationError",
    }
}

// ---- writes ---------------------------------------------------------------------------------

/// What a write did.
pub(super) struct WriteDone {
    pub table: String,
    /// The item RETURNING asked for, if any.
    pub returned: Option<Item>,
    pub consumed: Consumed,
}

pub(super) fn duplicate_item() -> DynamoError {
    DynamoError::new(
        ErrorCode::DuplicateItem,
        "Duplicate primary key exists in table",
    )
}

/// Runs one INSERT, UPDATE or DELETE inside a store write job: read, check, write. A refused
/// write has written nothing.
pub(super) fn write_in(
    tx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    plan: &WritePlan,
    return_old_on_failure: bool,
) -> Result<Result<WriteDone, DynamoError>, StoreError> {
    let Some(meta) = catalog
        .get(plan.meta.region(), &plan.meta.table_name)
        .filter(|m| m.table_id == plan.meta.table_id)
    else {
        return Ok(Err(DynamoError::not_found()));
    };
    let old = items::read_item(tx, &meta, &plan.key)?;
    let new = match &plan.kind {
        WriteKind::Insert(item) => {
            if old.is_some() {
                return Ok(Err(duplicate_item()));
            }
            Some(item.clone())
        }
        WriteKind::Update(update, _) => {
            if let Err(e) = common::check(
                plan.condition().as_ref(),
                old.as_ref(),
                return_old_on_failure,
            ) {
                return Ok(Err(e));
            }
            match common::updated_item(&meta, old.as_ref(), &plan.key_item, Some(update)) {
                Ok(n) => n,
                Err(e) => return Ok(Err(e)),
            }
        }
        WriteKind::Delete(_) => {
            if let Err(e) = common::check(
                plan.condition().as_ref(),
                old.as_ref(),
                return_old_on_failure,
            ) {
                return Ok(Err(e));
            }
            None
        }
        WriteKind::Check(_) => return Ok(Err(DynamoError::internal())),
    };
    if let Err(e) = common::plan_collection(tx, &meta, old.as_ref(), new.as_ref())? {
        return Ok(Err(e));
    }
    let writes = items::apply_write(
        tx,
        &meta,
        &plan.key,
        old.as_ref(),
        new.as_ref(),
        Origin::User,
    )?;
    crate::replication::write_through(tx, catalog, &meta, &plan.key, new.as_ref())?;
    let consumed = common::write_consumed(old.as_ref(), new.as_ref(), &writes);
    let returned = match (&plan.kind, plan.returning) {
        (_, None) => None,
        (_, Some(Returning::AllOld)) => old.clone(),
        (_, Some(Returning::AllNew)) => new.clone(),
        (WriteKind::Update(u, _), Some(Returning::ModifiedOld)) => old
            .as_ref()
            .map(|o| u.updated_projection().apply(o))
            .filter(|i| !i.is_empty()),
        (WriteKind::Update(u, _), Some(Returning::ModifiedNew)) => new
            .as_ref()
            .map(|n| u.updated_projection().apply(n))
            .filter(|i| !i.is_empty()),
        _ => None,
    };
    Ok(Ok(WriteDone {
        table: meta.table_name.clone(),
        returned,
        consumed,
    }))
}

// ---- reads ----------------------------------------------------------------------------------

/// A range of store keys.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Where a SELECT continues: the partition (for IN/OR) and the last key read there.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Cursor {
    part: usize,
    key: Option<Item>,
}

pub(super) struct ReadPage {
    pub items: Vec<Item>,
    pub next: Option<Cursor>,
    pub consumed: Consumed,
}

/// Reads one page of a SELECT: each partition of a Query in turn (or the whole table or index
/// for a scan), `limit` items evaluated at most, a page ending at 1 MB as Query and Scan do.
pub(super) fn read(
    svc: &InRegion<'_>,
    plan: &ReadPlan,
    consistent: bool,
    limit: Option<usize>,
    start: Option<Cursor>,
) -> Result<ReadPage, DynamoError> {
    let meta = &plan.meta;
    let source = Source::resolve(meta, plan.index.as_deref(), consistent)?;
    let shape = source.shape(meta);
    let projection = plan.projection.clone().map(Projection::from_paths);
    page::check_projected(meta, &source, projection.as_ref())?;
    // Projections are applied after reading (a SELECT list flattens paths); an LSI read that
    // names attributes the index does not hold still fetches them from the table.
    let output = match page::output(None, projection, true, &source)? {
        Output::FromTable(_) => Output::FromTable(None),
        _ => Output::Stored,
    };
    let ranges: Vec<KeyRange> = match &plan.access {
        Access::Scan => vec![(Bound::Unbounded, Bound::Unbounded)],
        Access::Query { partitions, range } => partitions
            .iter()
            .map(|v| {
                let hash = KeyCondition {
                    attribute: shape.hash.name.clone(),
                    operator: KeyOperator::Eq,
                    values: vec![v.clone()],
                };
                super::query::key_range(&hash, range.as_ref())
            })
            .collect::<Result<_, _>>()?,
    };
    let snapshot = svc.store.read()?;
    let start = start.unwrap_or(Cursor { part: 0, key: None });
    let mut out = ReadPage {
        items: Vec::new(),
        next: None,
        consumed: Consumed::default(),
    };
    let mut scanned = 0usize;
    for (part, mut bounds) in ranges.into_iter().enumerate().skip(start.part) {
        if limit.is_some_and(|l| scanned >= l) {
            out.next = Some(Cursor { part, key: None });
            break;
        }
        if part == start.part {
            if let Some(k) = &start.key {
                let position = source
                    .start_position(meta, k)
                    .map_err(|_| invalid_token())?;
                if plan.reverse {
                    bounds.1 = Bound::Excluded(position);
                } else {
                    bounds.0 = Bound::Excluded(position);
                }
            }
        }
        let spec = PageSpec {
            meta,
            source: &source,
            range: bounds,
            reverse: plan.reverse,
            limit: limit.map(|l| l - scanned),
            filter: plan.filter.as_ref(),
            output: &output,
            consistent,
        };
        let page = page::read_page(&snapshot, &spec)?;
        scanned += page.scanned;
        out.consumed.merge(&page.consumed);
        out.items.extend(page.items);
        if let Some(k) = page.last_key {
            out.next = Some(Cursor { part, key: Some(k) });
            break;
        }
    }
    if !plan.sort.is_empty() {
        sort_items(&mut out.items, &plan.sort);
    }
    if let Some(paths) = &plan.projection {
        for i in &mut out.items {
            *i = item::partiql::unnest(i, paths);
        }
    }
    Ok(out)
}

fn sort_items(items: &mut [Item], keys: &[item::partiql::OrderBy]) {
    items.sort_by(|a, b| {
        for k in keys {
            let ord = match (a.get(&k.attribute), b.get(&k.attribute)) {
                (Some(x), Some(y)) => {
                    item::value::compare(x, y).unwrap_or(std::cmp::Ordering::Equal)
                }
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            let ord = if k.descending { ord.reverse() } else { ord };
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
}

// ---- NextToken --------------------------------------------------------------------------------

/// A digest of what a SELECT asked (statement and parameters): a NextToken only continues the
/// statement it came from. FNV-1a, so tokens survive restarts.
fn request_digest(statement: &str, params: Option<&[Json]>) -> u64 {
    let params = params
        .map(|p| Json::Array(p.to_vec()).to_string())
        .unwrap_or_default();
    statement
        .bytes()
        .chain([0u8])
        .chain(params.bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

fn invalid_token() -> DynamoError {
    DynamoError::validation("Invalid NextToken")
}

fn encode_token(c: &Cursor, digest: u64) -> String {
    let body = json!({
        "v": 1,
        "h": format!("{digest:016x}"),
        "p": c.part,
        "k": c.key.as_ref().map(item::json::item_to_json),
    });
    BASE64.encode(body.to_string())
}

fn decode_token(token: &str, digest: u64) -> Result<Cursor, DynamoError> {
    let bytes = BASE64.decode(token).map_err(|_| invalid_token())?;
    let body: Json = serde_json::from_slice(&bytes).map_err(|_| invalid_token())?;
    if body["v"] != 1 {
        return Err(invalid_token());
    }
    if body["h"].as_str() != Some(format!("{digest:016x}").as_str()) {
        return Err(DynamoError::validation("NextToken does not match request"));
        // message unverified
    }
    let part = body["p"]
        .as_u64()
        .and_then(|p| usize::try_from(p).ok())
        .ok_or_else(invalid_token)?;
    let key = match &body["k"] {
        Json::Null => None,
        k => Some(item::json::item_from_json(k).map_err(|_| invalid_token())?),
    };
    Ok(Cursor { part, key })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bind_to_their_request() {
        let d = request_digest("SELECT * FROM t", None);
        let mut key = Item::new();
        key.insert("pk".into(), Value::S("a".into()));
        let c = Cursor {
            part: 2,
            key: Some(key),
        };
        let t = encode_token(&c, d);
        assert_eq!(decode_token(&t, d).unwrap(), c);
        let other = request_digest("SELECT * FROM u", None);
        assert_eq!(
            decode_token(&t, other).unwrap_err().message,
            "NextToken does not match request"
        );
        assert_eq!(
            decode_token("!!", d).unwrap_err().message,
            "Invalid NextToken"
        );
        assert_ne!(
            d,
            request_digest("SELECT * FROM t", Some(&[json!({"S": "x"})]))
        );
    }
}
