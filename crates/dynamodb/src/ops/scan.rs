//! Scan: every item of a table or index, in store order (partition hash order, as on AWS),
//! optionally one segment of a parallel scan.

use std::collections::HashMap;
use std::ops::Bound;

use item::expr::{self, ExprKind};
use item::Item;
use serde::Deserialize;
use serde_json::Value as Json;

use super::page::{self, PageSpec, Source};
use super::write_common::ExprParams;
use super::{capacity_detail, validate};
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::metrics::{Dim, Kind};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    table_name: Option<String>,
    index_name: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    limit: Option<i64>,
    select: Option<String>,
    scan_filter: Option<Json>,
    conditional_operator: Option<String>,
    exclusive_start_key: Option<Json>,
    return_consumed_capacity: Option<String>,
    total_segments: Option<i64>,
    segment: Option<i64>,
    projection_expression: Option<String>,
    filter_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, Json>>,
    consistent_read: Option<bool>,
}

pub(super) fn limit_constraint(c: &mut Constraints, limit: Option<i64>) {
    if let Some(l) = limit {
        if l < 1 {
            c.push(l, "limit", "have value greater than or equal to 1");
        }
    }
}

/// Decodes ExclusiveStartKey with AWS's wording.
pub(super) fn start_key(raw: Option<&Json>) -> Result<Option<Item>, DynamoError> {
    let Some(raw) = raw else { return Ok(None) };
    item::json::decode_item(raw).map(Some).map_err(|e| match e {
        item::json::DecodeError::Serialization(m) => DynamoError::new(ErrorCode::Serialization, m),
        item::json::DecodeError::Validation(m) => {
            // AWS adds the prefix to some messages only (as dynalite recorded).
            let bare = [
                "contains duplicates",
                "number set",
                "numeric value",
                "significant digits",
                "number with magnitude",
            ];
            if bare.iter().any(|b| m.contains(b)) {
                DynamoError::validation(m)
            } else {
                DynamoError::validation(format!("The provided starting key is invalid: {m}"))
            }
        }
    })
}

pub(super) fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    validate::item_table_name(&mut c, req.table_name.as_deref());
    limit_constraint(&mut c, req.limit);
    if let Some(t) = req.total_segments {
        if t < 1 {
            c.push(t, "totalSegments", "have value greater than or equal to 1");
        } else if t > 1_000_000 {
            c.push(
                t,
                "totalSegments",
                "have value less than or equal to 1000000",
            );
        }
    }
    if let Some(s) = req.segment {
        if s < 0 {
            c.push(s, "segment", "have value greater than or equal to 0");
        } else if s > 999_999 {
            c.push(s, "segment", "have value less than or equal to 999999");
        }
    }
    validate::read_enums!(&mut c, req);
    c.into_result()?;
    let detail = capacity_detail(req.return_consumed_capacity.as_deref())?;
    expr::check_expression_params(
        &[
            ("ProjectionExpression", req.projection_expression.is_some()),
            ("FilterExpression", req.filter_expression.is_some()),
        ],
        &[
            ("AttributesToGet", req.attributes_to_get.is_some()),
            ("ScanFilter", req.scan_filter.is_some()),
            ("ConditionalOperator", req.conditional_operator.is_some()),
        ],
        req.expression_attribute_names.is_some(),
        req.expression_attribute_values.is_some(),
    )?;
    let start = start_key(req.exclusive_start_key.as_ref())?;
    let segment = match (req.segment, req.total_segments) {
        (Some(_), None) => {
            return Err(DynamoError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ))
        }
        (None, Some(_)) => {
            return Err(DynamoError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ))
        }
        (Some(s), Some(t)) if s >= t => {
            return Err(DynamoError::validation(format!(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
            )))
        }
        (Some(s), Some(t)) => Some((s as u64, t as u64)),
        (None, None) => None,
    };
    let params = ExprParams::new(
        req.expression_attribute_names,
        req.expression_attribute_values.as_ref(),
    )?;
    let mut ctx = params.context()?;
    let filter = match (&req.filter_expression, &req.scan_filter) {
        (Some(text), _) => Some(expr::parse_condition(
            text,
            &mut ctx,
            ExprKind::FilterExpression,
        )?),
        (None, Some(legacy)) => Some(expr::condition_from_filter(
            legacy,
            req.conditional_operator.as_deref(),
        )?),
        (None, None) => None,
    };
    let projection = match (&req.projection_expression, &req.attributes_to_get) {
        (Some(text), _) => Some(expr::parse_projection(text, &mut ctx)?),
        (None, Some(names)) => Some(expr::projection_from_attributes_to_get(names)?),
        (None, None) => None,
    };
    ctx.check_all_used()?;
    drop(ctx);

    let name = req.table_name.unwrap_or_default();
    let meta = svc.require(&name)?;
    let consistent = req.consistent_read.unwrap_or(false);
    let source = Source::resolve(&meta, req.index_name.as_deref(), consistent)?;
    page::check_key_paths(
        &meta,
        filter
            .iter()
            .flat_map(|f| f.paths())
            .chain(projection.iter().flat_map(|p| p.paths().iter())),
    )?;
    page::check_projected(&meta, &source, projection.as_ref())?;
    let expression = req.projection_expression.is_some();
    let output = page::output(req.select.as_deref(), projection, expression, &source)?;

    let mut bounds = match segment {
        Some((s, t)) => (
            spread_bound(s, t),
            if s + 1 == t {
                Bound::Unbounded
            } else {
                spread_bound(s + 1, t)
            },
        ),
        None => (Bound::Unbounded, Bound::Unbounded),
    };
    if let Some(start) = &start {
        let position = source.start_position(&meta, start)?;
        if let Some((s, t)) = segment {
            let inside = match (&bounds.0, &bounds.1) {
                (Bound::Included(lo), Bound::Included(hi) | Bound::Excluded(hi)) => {
                    position >= *lo && position < *hi
                }
                (Bound::Included(lo), Bound::Unbounded) => position >= *lo,
                _ => true,
            };
            if !inside {
                return Err(DynamoError::validation(format!(
                    "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {t} Segment: {s}"
                )));
            }
        }
        bounds.0 = Bound::Excluded(position);
    }
    svc.admit(&meta, source.global_index(), Kind::Read, "Scan")?;
    let read = svc.store.read()?;
    let spec = PageSpec {
        meta: &meta,
        source: &source,
        range: bounds,
        reverse: false,
        limit: req.limit.map(|l| l as usize),
        filter: filter.as_ref(),
        output: &output,
        consistent,
    };
    let page = page::read_page(&read, &spec)?;
    let consumed = page.consumed.clone();
    svc.metrics.add(
        (meta.region(), &meta.table_name),
        "ReturnedItemCount",
        Dim::Operation("Scan"),
        page.count as f64,
    );
    let mut out = page::render(page, &output);
    svc.consume_on(&meta, &consumed, Kind::Read);
    consumed.add_to(&mut out, detail, &meta.table_name);
    Ok(Json::Object(out))
}

/// The first store key of parallel-scan segment `s` of `t`: keys start with a 4-byte partition
/// spread, and segment `s` holds the spreads `p` with `p * t / 2^32 == s`.
fn spread_bound(s: u64, t: u64) -> Bound<Vec<u8>> {
    let lo = (s << 32).div_ceil(t);
    match u32::try_from(lo) {
        Ok(v) => Bound::Included(v.to_be_bytes().to_vec()),
        Err(_) => Bound::Unbounded,
    }
}
