//! ExecuteTransaction: up to 100 PartiQL statements run all-or-nothing. Writes (INSERT, UPDATE,
//! DELETE, and EXISTS condition checks) are translated into the actions of TransactWriteItems and
//! run by the same machinery (`transaction::run`: one store write job, every condition checked
//! before anything is written, one cancellation reason per statement, ClientRequestToken
//! idempotency, doubled capacity). Reads (SELECTs of one item by its whole key) are
//! TransactGetItems: one snapshot.

use std::collections::{BTreeMap, HashSet};

use item::partiql::Statement;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use super::batch_get_item::{capacity_enum, java_list, java_object};
use super::execute_statement::{
    parameters, parameters_constraint, return_values_enum, shapes, statement_constraints,
};
use super::parse;
use super::transact_write_items::MAX_ACTIONS;
use super::transaction::{self, Action, Effect, Token};
use super::write_common as common;
use crate::capacity::{read_units, Consumed, Detail};
use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::items;
use crate::partiql::{self, GetUse, WriteKind};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    transact_statements: Option<Vec<Json>>,
    client_request_token: Option<String>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ParameterizedStatement {
    statement: Option<String>,
    parameters: Option<Vec<Json>>,
    return_values_on_condition_check_failure: Option<String>,
}

pub(super) async fn handle(svc: &InRegion<'_>, body: &[u8]) -> Result<Json, DynamoError> {
    let raw: Json = parse(body)?;
    let req: Request = parse(body)?;
    let present = req.transact_statements.is_some();
    let list = req.transact_statements.unwrap_or_default();
    let mut statements = Vec::with_capacity(list.len());
    for r in &list {
        let s: ParameterizedStatement = serde_json::from_value(r.clone())
            .map_err(|e| DynamoError::new(ErrorCode::Serialization, e.to_string()))?;
        shapes(s.parameters.as_deref())?;
        statements.push(s);
    }
    let mut v = Constraints::default();
    match list.len() {
        0 if !present => v.push_null("transactStatements"),
        0 => v.push(
            "[]",
            "transactStatements",
            "have length greater than or equal to 1",
        ),
        n if n > MAX_ACTIONS => v.push(
            java_list(
                list.iter()
                    .map(|r| java_object("ParameterizedStatement", r)),
            ),
            "transactStatements",
            &format!("have length less than or equal to {MAX_ACTIONS}"),
        ),
        _ => {}
    }
    for (i, s) in statements.iter().enumerate() {
        let m = format!("transactStatements.{}.member", i + 1);
        statement_constraints(&mut v, s.statement.as_deref(), &format!("{m}.statement"));
        parameters_constraint(&mut v, s.parameters.as_deref(), &format!("{m}.parameters"));
        return_values_enum(
            &mut v,
            s.return_values_on_condition_check_failure.as_deref(),
            &format!("{m}.returnValuesOnConditionCheckFailure"),
        );
    }
    if let Some(t) = &req.client_request_token {
        if t.is_empty() {
            v.push(
                t,
                "clientRequestToken",
                "have length greater than or equal to 1",
            );
        } else if t.len() > 36 {
            v.push(
                t,
                "clientRequestToken",
                "have length less than or equal to 36",
            );
        }
    }
    capacity_enum(&mut v, req.return_consumed_capacity.as_deref());
    v.into_result()?;
    let detail = Detail::parse(req.return_consumed_capacity.as_deref())?;

    // The whole transaction parses first; reads and writes cannot mix (EXISTS is a write).
    let mut parsed = Vec::with_capacity(statements.len());
    let mut reads: Option<bool> = None;
    for s in statements {
        let stmt = partiql::parse(s.statement.as_deref().unwrap_or_default())?;
        let is_read = stmt.is_read();
        match reads {
            None => reads = Some(is_read),
            Some(r) if r != is_read => {
                return Err(DynamoError::validation(
                    "ExecuteTransaction API does not support both read and write operations in the same request.", // message unverified
                ));
            }
            Some(_) => {}
        }
        let return_old =
            common::return_old_on_failure(s.return_values_on_condition_check_failure.as_deref())?;
        parsed.push((stmt, parameters(s.parameters.as_deref())?, return_old));
    }
    if reads == Some(true) {
        return read_transaction(svc, parsed, detail);
    }

    let n = parsed.len();
    let mut actions = Vec::with_capacity(n);
    let mut inserts = HashSet::new();
    for (i, (stmt, params, return_old)) in parsed.into_iter().enumerate() {
        if stmt.returning().is_some() && !matches!(stmt, Statement::Insert(_)) {
            return Err(failed_at(
                i,
                "RETURNING clause is not supported in ExecuteTransaction.",
            ));
        }
        let plan = partiql::plan_write(svc.tables(), &stmt, &params)
            .map_err(|e| translation_error(e, i, n))?;
        super::transaction::transactable(&plan.meta)?;
        let cond = plan.condition();
        let effect = match plan.kind {
            WriteKind::Insert(item) => {
                inserts.insert(i);
                Effect::Put(item)
            }
            WriteKind::Update(update, _) => Effect::Update(plan.key_item, Some(update)),
            WriteKind::Delete(_) => Effect::Delete,
            WriteKind::Check(_) => Effect::Check,
        };
        actions.push(Action {
            meta: plan.meta,
            key: plan.key,
            cond,
            return_old_on_failure: return_old,
            effect,
        });
    }
    transaction::check_distinct(&actions)?;
    transaction::admit_writes(svc, &actions, "ExecuteTransaction")?;
    let token = req.client_request_token.map(|t| {
        let mut digest_of = raw.clone();
        if let Some(o) = digest_of.as_object_mut() {
            // Asking for capacity figures does not make it another request.
            o.remove("ReturnConsumedCapacity");
            o.remove("ClientRequestToken");
        }
        Token::new(t, &digest_of)
    });
    let outcome = transaction::run(&svc.store, &svc.catalog, actions, token)
        .await
        .map_err(|e| duplicate_reasons(e, &inserts))?;
    for (table, consumed) in &outcome.consumed {
        svc.consume(table, consumed, crate::metrics::Kind::Write);
    }
    let mut out = Map::new();
    transaction::render_consumed(&mut out, detail, &outcome.consumed);
    Ok(Json::Object(out))
}

/// DynamoDB's wrapping of a statement's translation error inside a transaction.
fn failed_at(i: usize, message: &str) -> DynamoError {
    // message unverified: DynamoDB Local's wording.
    DynamoError::validation(format!(
        "Validation failed in TransactStatements[{i}]: {message}"
    ))
}

/// A statement that cannot be translated: a missing table is the request's error; a key that
/// does not fit the table cancels the transaction with a reason at that statement; anything
/// else is a ValidationException naming the statement.
fn translation_error(e: DynamoError, i: usize, n: usize) -> DynamoError {
    if e.code != ErrorCode::Validation {
        return e;
    }
    let keyed = [
        "Key attribute should be present in the item",
        "Key attribute's data type should match its data type in table's schema",
        "Where clause does not contain a mandatory equality on all key attributes",
        "Multiple conditions on same key",
        "Cannot update attribute",
    ];
    if keyed.iter().any(|k| e.message.contains(k)) {
        let reasons = (0..n)
            .map(|j| {
                if j == i {
                    json!({ "Code": "ValidationError", "Message": e.message })
                } else {
                    json!({ "Code": "None" })
                }
            })
            .collect();
        return cancelled(reasons);
    }
    failed_at(i, &e.message)
}

fn cancelled(reasons: Vec<Json>) -> DynamoError {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or("None"))
        .collect();
    let mut e = DynamoError::new(
        ErrorCode::TransactionCanceled,
        format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
    );
    let mut extra = Map::new();
    extra.insert("CancellationReasons".into(), Json::Array(reasons));
    e.extra = Some(extra);
    e
}

/// An INSERT cancelled by its existence condition is a duplicate key, as a single INSERT says.
fn duplicate_reasons(e: DynamoError, inserts: &HashSet<usize>) -> DynamoError {
    if e.code != ErrorCode::TransactionCanceled || inserts.is_empty() {
        return e;
    }
    let Some(Json::Array(reasons)) = e.extra.as_ref().and_then(|x| x.get("CancellationReasons"))
    else {
        return e;
    };
    let reasons = reasons
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if inserts.contains(&i) && r["Code"] == "ConditionalCheckFailed" {
                // message unverified: the code and message a duplicate INSERT cancels with.
                json!({ "Code": "DuplicateItem", "Message": "Duplicate primary key exists in table" })
            } else {
                r.clone()
            }
        })
        .collect();
    cancelled(reasons)
}

fn read_transaction(
    svc: &InRegion<'_>,
    parsed: Vec<(Statement, Vec<item::Value>, bool)>,
    detail: Detail,
) -> Result<Json, DynamoError> {
    let n = parsed.len();
    let mut plans = Vec::with_capacity(n);
    let mut seen = HashSet::new();
    for (i, (stmt, params, _)) in parsed.into_iter().enumerate() {
        let Statement::Select(s) = stmt else {
            return Err(DynamoError::internal());
        };
        let plan = partiql::plan_get(svc.tables(), &s, &params, GetUse::Transaction)
            .map_err(|e| translation_error(e, i, n))?;
        super::transaction::transactable(&plan.meta)?;
        if !seen.insert((plan.meta.table_id.clone(), plan.key.clone())) {
            return Err(DynamoError::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        svc.admit(
            &plan.meta,
            None,
            crate::metrics::Kind::Read,
            "ExecuteTransaction",
        )?;
        plans.push(plan);
    }
    let snapshot = svc.store.read()?;
    let mut responses = Vec::with_capacity(plans.len());
    let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
    for plan in &plans {
        let found = snapshot
            .get(&plan.meta.items_table(), &plan.key)?
            .map(|b| items::decode_item(&b))
            .transpose()?;
        let size = found.as_ref().map_or(0, item::size::item_size);
        // Transactional reads cost twice a strongly consistent read.
        consumed
            .entry(plan.meta.table_name.clone())
            .or_default()
            .merge(&Consumed::table(2.0 * read_units(size, true)));
        let mut r = Map::new();
        if let Some(item) = found {
            let shown = match &plan.projection {
                Some(paths) => item::partiql::unnest(&item, paths),
                None => item,
            };
            r.insert("Item".into(), item::json::item_to_json(&shown));
        }
        responses.push(Json::Object(r));
    }
    for (table, c) in &consumed {
        svc.consume(table, c, crate::metrics::Kind::Read);
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Json::Array(responses));
    transaction::render_consumed(&mut out, detail, &consumed);
    Ok(Json::Object(out))
}
