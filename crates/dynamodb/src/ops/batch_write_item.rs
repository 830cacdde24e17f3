//! BatchWriteItem: up to 25 puts and deletes over one or more tables, committed as one store
//! write job. AWS promises only that each write is atomic; running them all in one job makes the
//! whole batch atomic and durable with a single fsync, a stronger guarantee that no client can
//! tell from AWS's. Writes to a table (or a table whose GSI) out of capacity are answered as
//! UnprocessedItems; a batch whose every write is refused fails with the throttling error.

use std::collections::{BTreeMap, HashSet};

use item::Item;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::batch_get_item::{
    capacity_enum, capacity_list, java_list, java_map, java_object, valid_table_name,
    TABLE_NAME_MAP_KEYS,
};
use super::write_common as common;
use super::{capacity_detail, item_param};
use crate::capacity::Consumed;
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::items::{self, KeySource, Origin};
use crate::metrics::Kind;
use crate::schema::KeyShape;
use crate::InRegion;

/// Most write requests one call may carry, over all its tables.
const MAX_WRITES: usize = 25;
/// Largest request AWS takes: "the total request size exceeds 16 MB" refuses the batch.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    request_items: Option<BTreeMap<String, Vec<WriteRequest>>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WriteRequest {
    put_request: Option<PutRequest>,
    delete_request: Option<DeleteRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRequest {
    item: Option<Json>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    key: Option<Json>,
}

/// One table's writes as decoded (item or key, is a put) beside the requests as sent, which
/// UnprocessedItems repeats.
type Decoded = (String, Vec<(Item, bool)>, Vec<WriteRequest>);

/// One validated write: the encoded key and the new item (None deletes).
struct Write {
    key: Vec<u8>,
    new: Option<Item>,
}

/// One table's writes, with the id its metadata had when they were validated, so that the job
/// refuses them if the table was deleted (and maybe re-created) since.
struct TableWrites {
    name: String,
    table_id: String,
    writes: Vec<Write>,
}

pub(super) async fn handle(
    svc: &InRegion<'_>,
    req: Request,
    body_len: usize,
) -> Result<Json, DynamoError> {
    if body_len > MAX_REQUEST_BYTES {
        return Err(DynamoError::validation(
            "Request size has exceeded the maximum allowed size", // message unverified
        ));
    }
    // Coral deserialises the whole request before validating any of it.
    for requests in req.request_items.iter().flat_map(BTreeMap::values) {
        for raw in requests.iter().filter_map(raw_item) {
            if let Some(m) = item::json::item_shape_error(raw) {
                return Err(DynamoError::new(ErrorCode::Serialization, m));
            }
        }
    }
    constraints(&req)?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;
    let req_metrics = req.return_item_collection_metrics.as_deref();
    let tables = req.request_items.unwrap_or_default();
    if tables.values().map(Vec::len).sum::<usize>() > MAX_WRITES {
        // Coral bounds each table's list; the total over tables is the service's own check.
        return Err(DynamoError::validation(
            "Too many items requested for the BatchWriteItem call", // DynamoDB Local's words (its error codes)
        ));
    }

    // The service's checks that need no table, per table in order (dynalite's recordings):
    // every request names exactly one write, then each write's values and item size.
    let mut decoded: Vec<Decoded> = Vec::with_capacity(tables.len());
    for (name, requests) in tables {
        if requests
            .iter()
            .any(|r| r.put_request.is_some() == r.delete_request.is_some())
        {
            // AWS's wording for a request with neither (dynalite's recordings); one with both
            // is refused the same way, as the model allows exactly one (message unverified).
            return Err(DynamoError::validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        let mut writes = Vec::with_capacity(requests.len());
        for r in &requests {
            let is_put = r.put_request.is_some();
            let item = item_param(raw_item(r).unwrap_or(&Json::Null))?;
            if is_put {
                items::check_item_size(&item)?;
            }
            writes.push((item, is_put));
        }
        decoded.push((name, writes, requests));
    }

    // Then each table, its keys and duplicates: a missing table is reported before a
    // duplicate in it.
    let mut planned = Vec::with_capacity(decoded.len());
    let mut unprocessed = Map::new();
    let (mut refused, mut admitted) = (None, 0usize);
    for (name, writes, requests) in decoded {
        let meta = svc.require(&name)?;
        svc.check_table_key(&meta)?;
        let shape = meta.key_shape();
        let mut seen = HashSet::with_capacity(writes.len());
        let mut out = Vec::with_capacity(writes.len());
        // Capacity: writes are admitted in order while their estimated cost (the new item's
        // size; one unit for a delete) fits what the table has left, and not at all while
        // a GSI of the table is out of capacity.
        let mut budget = match svc.throttle.admit(&meta, None, Kind::Write) {
            Ok(()) => svc.throttle.available(&meta, None, Kind::Write),
            Err(t) => {
                refused = Some(t);
                0.0
            }
        };
        let mut left = Vec::new();
        for ((item, is_put), raw) in writes.into_iter().zip(&requests) {
            let key = if is_put {
                items::check_index_keys(&meta, &item)?;
                put_key(&shape, &item)?
            } else {
                items::key_bytes(&shape, &item, KeySource::Key)?
            };
            if !seen.insert(key.clone()) {
                return Err(DynamoError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            if budget <= 0.0 {
                let t = refused
                    .clone()
                    .unwrap_or_else(|| svc.throttle.refusal(&meta, None, Kind::Write));
                svc.metrics.throttled(&t, "BatchWriteItem");
                refused.get_or_insert(t);
                left.push(write_request_json(raw));
                continue;
            }
            budget -= if is_put {
                crate::capacity::write_units(0, item::size::item_size(&item))
            } else {
                1.0
            };
            admitted += 1;
            out.push(Write {
                key,
                new: is_put.then_some(item),
            });
        }
        if !left.is_empty() {
            unprocessed.insert(meta.table_name.clone(), Json::Array(left));
        }
        planned.push(TableWrites {
            name,
            table_id: meta.table_id.clone(),
            writes: out,
        });
    }

    if let (Some(t), 0) = (refused, admitted) {
        return Err(t.to_error());
    }
    let want_metrics = req_metrics == Some("SIZE");
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    let (consumed, collections) = svc
        .store
        .write(move |tx| {
            let mut metas = Vec::with_capacity(planned.len());
            for t in &planned {
                let Some(meta) = catalog
                    .get(&region, &t.name)
                    .filter(|m| m.table_id == t.table_id)
                else {
                    return Ok(Err(DynamoError::not_found()));
                };
                metas.push(meta);
            }
            // Every read and check (which can fail) before the first write: a job that fails
            // must not have written. No key appears twice, so reading first sees what each
            // write replaces.
            let mut olds = Vec::with_capacity(planned.len());
            for (t, meta) in planned.iter().zip(&metas) {
                let mut table_olds = Vec::with_capacity(t.writes.len());
                for w in &t.writes {
                    let old = items::read_item(tx, meta, &w.key)?;
                    // The 10 GB item-collection limit, against the collection before the batch.
                    if let Err(e) = common::plan_collection(tx, meta, old.as_ref(), w.new.as_ref())?
                    {
                        return Ok(Err(e));
                    }
                    table_olds.push(old);
                }
                olds.push(table_olds);
            }
            let mut consumed = Vec::with_capacity(planned.len());
            for ((t, meta), table_olds) in planned.iter().zip(&metas).zip(&olds) {
                let mut table_consumed = Consumed::default();
                for (w, old) in t.writes.iter().zip(table_olds) {
                    let index_writes = items::apply_write(
                        tx,
                        meta,
                        &w.key,
                        old.as_ref(),
                        w.new.as_ref(),
                        Origin::User,
                    )?;
                    crate::replication::write_through(tx, &catalog, meta, &w.key, w.new.as_ref())?;
                    table_consumed.merge(&common::write_consumed(
                        old.as_ref(),
                        w.new.as_ref(),
                        &index_writes,
                    ));
                }
                consumed.push((meta.table_name.clone(), table_consumed));
            }
            // Collection sizes once the whole batch is in, one entry per write (tables with
            // LSIs only): an unchanged item "replacing itself" reads the current size.
            let mut collections = Map::new();
            for ((t, meta), table_olds) in planned.iter().zip(&metas).zip(&olds) {
                if !want_metrics {
                    break;
                }
                let mut list = Vec::new();
                for (w, old) in t.writes.iter().zip(table_olds) {
                    let item = w.new.as_ref().or(old.as_ref());
                    if let Ok(Some(m)) = common::plan_collection(tx, meta, item, item)? {
                        list.push(m);
                    }
                }
                if !list.is_empty() {
                    collections.insert(meta.table_name.clone(), Json::Array(list));
                }
            }
            Ok(Ok((consumed, collections)))
        })
        .await??;

    for (table, c) in &consumed {
        svc.consume(table, c, Kind::Write);
    }
    let mut out = Map::new();
    out.insert("UnprocessedItems".into(), Json::Object(unprocessed));
    if let Some(list) = capacity_list(detail, &consumed) {
        out.insert("ConsumedCapacity".into(), list);
    }
    if !collections.is_empty() {
        out.insert("ItemCollectionMetrics".into(), Json::Object(collections));
    }
    Ok(Json::Object(out))
}

/// The Item or Key a write request carries.
fn raw_item(r: &WriteRequest) -> Option<&Json> {
    match (&r.put_request, &r.delete_request) {
        (Some(p), _) => p.item.as_ref(),
        (None, Some(d)) => d.key.as_ref(),
        (None, None) => None,
    }
}

/// A put's key. Unlike PutItem, AWS words a batch put's missing or mistyped key attribute like
/// a Key parameter's (dynalite's recordings); empty and oversized keys keep PutItem's wording.
fn put_key(shape: &KeyShape, item: &Item) -> Result<Vec<u8>, DynamoError> {
    let attrs = std::iter::once(&shape.hash).chain(shape.range.as_ref());
    for attr in attrs {
        if item.get(&attr.name).map(item::Value::type_name) != Some(attr.ty.as_str()) {
            return Err(DynamoError::validation(
                "The provided key element does not match the schema",
            ));
        }
    }
    items::key_bytes(shape, item, KeySource::Item)
}

/// Coral's constraints on the request's members, all reported together.
fn constraints(req: &Request) -> Result<(), DynamoError> {
    let mut v = Constraints::default();
    capacity_enum(&mut v, req.return_consumed_capacity.as_deref());
    v.push_enum(
        req.return_item_collection_metrics.as_deref(),
        "returnItemCollectionMetrics",
    );
    let Some(tables) = &req.request_items else {
        v.push_null("requestItems");
        return v.into_result();
    };
    if tables.is_empty() {
        v.push(
            "{}",
            "requestItems",
            "have length greater than or equal to 1",
        );
        return v.into_result();
    }
    let echo = || {
        java_map(tables.iter().map(|(name, requests)| {
            let list = java_list(
                requests
                    .iter()
                    .map(|r| java_object("WriteRequest", &write_request_json(r))),
            );
            (name.as_str(), list)
        }))
    };
    if !tables.keys().all(|n| valid_table_name(n)) {
        v.map_keys(&echo(), "requestItems", TABLE_NAME_MAP_KEYS);
    }
    if tables
        .values()
        .any(|r| r.is_empty() || r.len() > MAX_WRITES)
    {
        v.map_values(
            &echo(),
            "requestItems",
            "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
        );
    }
    for (name, requests) in tables {
        for (i, r) in requests.iter().enumerate() {
            let path = format!("requestItems.{name}.member.{}.member", i + 1);
            if r.delete_request.as_ref().is_some_and(|d| d.key.is_none()) {
                v.push_null(&format!("{path}.deleteRequest.key"));
            }
            if r.put_request.as_ref().is_some_and(|p| p.item.is_none()) {
                v.push_null(&format!("{path}.putRequest.item"));
            }
        }
    }
    v.into_result()
}

/// A write request as JSON, for the digest in Coral's echo.
fn write_request_json(r: &WriteRequest) -> Json {
    let mut m = Map::new();
    if let Some(p) = &r.put_request {
        let mut inner = Map::new();
        inner.insert("Item".into(), p.item.clone().unwrap_or(Json::Null));
        m.insert("PutRequest".into(), Json::Object(inner));
    }
    if let Some(d) = &r.delete_request {
        let mut inner = Map::new();
        inner.insert("Key".into(), d.key.clone().unwrap_or(Json::Null));
        m.insert("DeleteRequest".into(), Json::Object(inner));
    }
    Json::Object(m)
}
