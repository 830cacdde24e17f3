//! BatchExecuteStatement: up to 25 statements, all reads (each a SELECT of one item by its whole
//! key) or all writes (INSERT, UPDATE, DELETE). Not a transaction: each statement succeeds or
//! fails on its own, and a failure is that statement's `Error` (`Code`, `Message`) in the
//! response, in request order. The reads come from one snapshot; the writes run in one store
//! write job, one after another.

use std::collections::{BTreeMap, HashSet};

use item::partiql::Statement;
use item::Value;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::batch_get_item::{capacity_enum, capacity_list, java_list, java_object};
use super::execute_statement::{
    self as exec, parameters, parameters_constraint, return_values_enum, shapes,
    statement_constraints, statement_error_code,
};
use super::write_common as common;
use crate::capacity::{read_units, Consumed, Detail};
use crate::error::{Constraints, DynamoError};
use crate::items;
use crate::metrics::Kind;
use crate::partiql::{self, GetPlan, GetUse, WritePlan};
use crate::InRegion;

/// Most statements one request may hold.
const MAX_STATEMENTS: usize = 25;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    statements: Option<Vec<Json>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchStatement {
    statement: Option<String>,
    parameters: Option<Vec<Json>>,
    consistent_read: Option<bool>,
    return_values_on_condition_check_failure: Option<String>,
}

/// One statement once parsed, or the error it met (reported in its place).
enum Parsed {
    Read(Statement, Vec<Value>, bool),
    Write(Statement, Vec<Value>, bool),
    Failed(DynamoError),
}

pub(super) async fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let present = req.statements.is_some();
    let raw = req.statements.unwrap_or_default();
    let mut statements = Vec::with_capacity(raw.len());
    for r in &raw {
        let s: BatchStatement = serde_json::from_value(r.clone())
            .map_err(|e| DynamoError::new(crate::error::ErrorCode::Serialization, e.to_string()))?;
        shapes(s.parameters.as_deref())?;
        statements.push(s);
    }
    let mut v = Constraints::default();
    match raw.len() {
        0 if !present => v.push_null("statements"),
        0 => v.push("[]", "statements", "have length greater than or equal to 1"),
        n if n > MAX_STATEMENTS => v.push(
            java_list(raw.iter().map(|r| java_object("BatchStatementRequest", r))),
            "statements",
            &format!("have length less than or equal to {MAX_STATEMENTS}"),
        ),
        _ => {}
    }
    for (i, s) in statements.iter().enumerate() {
        let m = format!("statements.{}.member", i + 1);
        statement_constraints(&mut v, s.statement.as_deref(), &format!("{m}.statement"));
        parameters_constraint(&mut v, s.parameters.as_deref(), &format!("{m}.parameters"));
        return_values_enum(
            &mut v,
            s.return_values_on_condition_check_failure.as_deref(),
            &format!("{m}.returnValuesOnConditionCheckFailure"),
        );
    }
    capacity_enum(&mut v, req.return_consumed_capacity.as_deref());
    v.into_result()?;
    let detail = Detail::parse(req.return_consumed_capacity.as_deref())?;

    // Each statement is parsed on its own: a malformed one is its own error. The first statement
    // that parses decides whether the batch reads or writes.
    let mut parsed = Vec::with_capacity(statements.len());
    let mut reads: Option<bool> = None;
    for s in statements {
        let return_old =
            common::return_old_on_failure(s.return_values_on_condition_check_failure.as_deref())?;
        let params = parameters(s.parameters.as_deref())?;
        let p = match partiql::parse(s.statement.as_deref().unwrap_or_default()) {
            Err(e) => Parsed::Failed(e),
            Ok(Statement::Exists(_)) => Parsed::Failed(DynamoError::validation(
                "EXISTS can only be used in ExecuteTransaction write requests.",
            )),
            Ok(stmt) => {
                let is_read = stmt.is_read();
                match reads {
                    None => reads = Some(is_read),
                    Some(r) if r != is_read => {
                        return Err(DynamoError::validation(
                            "Read and write requests together in the same batch is not supported.", // message unverified
                        ));
                    }
                    Some(_) => {}
                }
                if is_read {
                    Parsed::Read(stmt, params, s.consistent_read.unwrap_or(false))
                } else {
                    Parsed::Write(stmt, params, return_old)
                }
            }
        };
        parsed.push(p);
    }
    let (responses, consumed) = if reads == Some(true) {
        batch_read(svc, parsed)?
    } else {
        batch_write(svc, parsed).await?
    };
    let mut out = Map::new();
    out.insert("Responses".into(), Json::Array(responses));
    let per_table: Vec<(String, Consumed)> = consumed.into_iter().collect();
    if let Some(list) = capacity_list(detail, &per_table) {
        out.insert("ConsumedCapacity".into(), list);
    }
    Ok(Json::Object(out))
}

fn error_response(e: &DynamoError, table: Option<&str>) -> Json {
    let mut err = Map::new();
    err.insert("Code".into(), statement_error_code(e).into());
    err.insert("Message".into(), e.message.clone().into());
    if let Some(item) = e.extra.as_ref().and_then(|x| x.get("Item")) {
        err.insert("Item".into(), item.clone());
    }
    let mut r = Map::new();
    r.insert("Error".into(), Json::Object(err));
    if let Some(t) = table {
        r.insert("TableName".into(), t.into());
    }
    Json::Object(r)
}

fn duplicates() -> DynamoError {
    DynamoError::validation("Provided list of item keys contains duplicates")
}

type Answer = (Vec<Json>, BTreeMap<String, Consumed>);

fn batch_read(svc: &InRegion<'_>, parsed: Vec<Parsed>) -> Result<Answer, DynamoError> {
    let mut plans: Vec<Result<(GetPlan, bool), DynamoError>> = Vec::with_capacity(parsed.len());
    let mut seen = HashSet::new();
    for p in parsed {
        plans.push(match p {
            Parsed::Read(Statement::Select(s), params, consistent) => {
                match partiql::plan_get(svc.tables(), &s, &params, GetUse::Batch) {
                    Ok(plan) => {
                        if !seen.insert((plan.meta.table_id.clone(), plan.key.clone())) {
                            return Err(duplicates());
                        }
                        svc.check_table_key(&plan.meta)?;
                        Ok((plan, consistent))
                    }
                    Err(e) => Err(e),
                }
            }
            Parsed::Failed(e) => Err(e),
            _ => Err(DynamoError::internal()),
        });
    }
    let snapshot = svc.store.read()?;
    let mut responses = Vec::with_capacity(plans.len());
    let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
    for p in plans {
        let (plan, consistent) = match p {
            Ok(p) => p,
            Err(e) => {
                responses.push(error_response(&e, None));
                continue;
            }
        };
        // A statement is refused once its table's capacity is used up (by earlier ones too).
        let used = consumed.get(&plan.meta.table_name).map_or(0.0, |c| c.table);
        if used >= svc.throttle.available(&plan.meta, None, Kind::Read) {
            let t = svc.throttle.refusal(&plan.meta, None, Kind::Read);
            svc.metrics.throttled(&t, "BatchExecuteStatement");
            responses.push(error_response(&t.to_error(), Some(&plan.meta.table_name)));
            continue;
        }
        let found = snapshot
            .get(&plan.meta.items_table(), &plan.key)?
            .map(|b| items::decode_item(&b))
            .transpose()?;
        let size = found.as_ref().map_or(0, item::size::item_size);
        consumed
            .entry(plan.meta.table_name.clone())
            .or_default()
            .merge(&Consumed::table(read_units(size, consistent)));
        let mut r = Map::new();
        r.insert("TableName".into(), plan.meta.table_name.clone().into());
        if let Some(item) = found {
            let shown = match &plan.projection {
                Some(paths) => item::partiql::unnest(&item, paths),
                None => item,
            };
            r.insert("Item".into(), item::json::item_to_json(&shown));
        }
        responses.push(Json::Object(r));
    }
    for (t, c) in &consumed {
        svc.consume(t, c, Kind::Read);
    }
    Ok((responses, consumed))
}

async fn batch_write(svc: &InRegion<'_>, parsed: Vec<Parsed>) -> Result<Answer, DynamoError> {
    let mut plans: Vec<Result<(WritePlan, bool), DynamoError>> = Vec::with_capacity(parsed.len());
    let mut seen = HashSet::new();
    let mut admitted: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
    for p in parsed {
        plans.push(match p {
            Parsed::Write(stmt, params, return_old) => {
                match partiql::plan_write(svc.tables(), &stmt, &params) {
                    Ok(plan) => {
                        if !seen.insert((plan.meta.table_id.clone(), plan.key.clone())) {
                            return Err(duplicates());
                        }
                        // Each write costs at least a unit: refused once the table (or a GSI)
                        // has none left for it.
                        let used = admitted.entry(plan.meta.table_id.clone()).or_insert(0.0);
                        let refused = svc
                            .throttle
                            .admit(&plan.meta, None, Kind::Write)
                            .err()
                            .or_else(|| {
                                (*used >= svc.throttle.available(&plan.meta, None, Kind::Write))
                                    .then(|| svc.throttle.refusal(&plan.meta, None, Kind::Write))
                            });
                        match refused {
                            Some(t) => {
                                svc.metrics.throttled(&t, "BatchExecuteStatement");
                                Err(t.to_error())
                            }
                            None => {
                                *used += 1.0;
                                Ok((plan, return_old))
                            }
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            Parsed::Failed(e) => Err(e),
            _ => Err(DynamoError::internal()),
        });
    }
    let catalog = svc.catalog.clone();
    let results = svc
        .store
        .write(move |tx| {
            let mut out = Vec::with_capacity(plans.len());
            for p in &plans {
                out.push(match p {
                    Ok((plan, return_old)) => {
                        let table = plan.meta.table_name.clone();
                        Ok((table, exec::write_in(tx, &catalog, plan, *return_old)?))
                    }
                    Err(e) => Err(e.clone()),
                });
            }
            Ok(out)
        })
        .await?;
    let mut responses = Vec::with_capacity(results.len());
    let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
    for r in results {
        match r {
            Err(e) => responses.push(error_response(&e, None)),
            Ok((table, Err(e))) => responses.push(error_response(&e, Some(&table))),
            Ok((table, Ok(done))) => {
                consumed
                    .entry(table.clone())
                    .or_default()
                    .merge(&done.consumed);
                let mut m = Map::new();
                m.insert("TableName".into(), table.into());
                if let Some(item) = &done.returned {
                    m.insert("Item".into(), item::json::item_to_json(item));
                }
                responses.push(Json::Object(m));
            }
        }
    }
    for (t, c) in &consumed {
        svc.consume(t, c, Kind::Write);
    }
    Ok((responses, consumed))
}
