//! CreateBackupSelection, GetBackupSelection, DeleteBackupSelection and ListBackupSelections.
//! A selection belongs to a live plan; an unknown plan is an InvalidParameterValueException
//! ("Cannot find Backup plan ..."), which the Terraform provider reads as "gone".

use serde_json::{json, Map, Value};

use crate::error::{BackupError, ErrorCode};
use crate::model::{self, SelectionRecord, SELECTIONS};
use crate::plans::find_live;
use crate::util;
use crate::{Backup, JobResult, Req};

fn plan_not_found(id: &str) -> BackupError {
    BackupError::invalid(format!("Cannot find Backup plan with ID {id}"))
}

fn selection_not_found(id: &str) -> BackupError {
    BackupError::not_found(format!("Cannot find Backup selection with ID {id}"))
}

fn string_list(m: &Map<String, Value>, name: &str) -> Result<Vec<Value>, BackupError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => {
            if a.iter().all(Value::is_string) {
                Ok(a.clone())
            } else {
                Err(BackupError::invalid(format!(
                    "{name} must be a list of strings"
                )))
            }
        }
        Some(_) => Err(BackupError::invalid(format!("{name} must be a list"))),
    }
}

/// Validates `BackupSelection` and renders it as GetBackupSelection returns it: every list
/// present (empty when not given) and Conditions with its four lists.
fn normalize(sel: &Map<String, Value>) -> Result<Value, BackupError> {
    let name = util::req_str(sel, "SelectionName")?;
    if !util::valid_name(name, 1, 50, &['.']) {
        return Err(BackupError::invalid(format!(
            "Invalid backup selection name: {name}"
        )));
    }
    let role = util::req_str(sel, "IamRoleArn")?;
    if !(role.starts_with("arn:") && role.contains(":iam::") && role.contains(":role/")) {
        return Err(BackupError::invalid(format!(
            "Invalid IAM role ARN: {role}"
        )));
    }
    let resources = string_list(sel, "Resources")?;
    let not_resources = string_list(sel, "NotResources")?;
    let mut list_of_tags = Vec::new();
    match sel.get("ListOfTags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for c in a {
                let Value::Object(c) = c else {
                    return Err(BackupError::invalid(
                        "ListOfTags must be a list of conditions",
                    ));
                };
                let t = util::req_str(c, "ConditionType")?;
                if t != "STRINGEQUALS" {
                    return Err(BackupError::invalid(format!("Invalid ConditionType: {t}")));
                }
                list_of_tags.push(json!({
                    "ConditionType": t,
                    "ConditionKey": util::req_str(c, "ConditionKey")?,
                    "ConditionValue": util::req_str(c, "ConditionValue")?,
                }));
            }
        }
        Some(_) => return Err(BackupError::invalid("ListOfTags must be a list")),
    }
    let conditions_in = util::opt_object(sel, "Conditions")?;
    let mut conditions = Map::new();
    let mut any_condition = false;
    for kind in [
        "StringEquals",
        "StringNotEquals",
        "StringLike",
        "StringNotLike",
    ] {
        let mut params = Vec::new();
        if let Some(ci) = conditions_in {
            match ci.get(kind) {
                None | Some(Value::Null) => {}
                Some(Value::Array(a)) => {
                    for p in a {
                        let Value::Object(p) = p else {
                            return Err(BackupError::invalid(format!(
                                "Conditions.{kind} must be a list of condition parameters"
                            )));
                        };
                        params.push(json!({
                            "ConditionKey": util::opt_str(p, "ConditionKey")?.unwrap_or_default(),
                            "ConditionValue": util::opt_str(p, "ConditionValue")?.unwrap_or_default(),
                        }));
                    }
                }
                Some(_) => {
                    return Err(BackupError::invalid(format!(
                        "Conditions.{kind} must be a list"
                    )))
                }
            }
        }
        any_condition |= !params.is_empty();
        conditions.insert(kind.into(), Value::Array(params));
    }
    if resources.is_empty() && list_of_tags.is_empty() && !any_condition {
        return Err(BackupError::invalid(
            "Invalid backup selection. Either 'ListOfTags' or 'Resources' section must be non-empty.",
        ));
    }
    Ok(json!({
        "SelectionName": name,
        "IamRoleArn": role,
        "Resources": resources,
        "ListOfTags": list_of_tags,
        "NotResources": not_resources,
        "Conditions": conditions,
    }))
}

pub async fn create(b: &Backup, req: Req, plan_id: String) -> Result<Value, BackupError> {
    let sel = util::opt_object(&req.body, "BackupSelection")?
        .ok_or_else(|| BackupError::missing("BackupSelection"))?;
    let selection = normalize(sel)?;
    let creator = util::opt_str(&req.body, "CreatorRequestId")?.map(str::to_string);
    let record = SelectionRecord {
        v: 1,
        id: util::uuid4(),
        plan_id,
        region: req.region.clone(),
        creation_date: b.now_seconds(),
        creator_request_id: creator,
        selection,
    };
    b.write(move |ctx| -> JobResult<Value> {
        if find_live(ctx, &record.region, &record.plan_id)?.is_none() {
            return Ok(Err(plan_not_found(&record.plan_id)));
        }
        let existing: Vec<SelectionRecord> = model::list(
            ctx,
            SELECTIONS,
            &model::selection_prefix(&record.region, &record.plan_id),
        )?;
        let name = record.selection.get("SelectionName");
        if existing
            .iter()
            .any(|s| s.selection.get("SelectionName") == name)
        {
            return Ok(Err(BackupError::new(
                ErrorCode::AlreadyExists,
                "Backup selection with the same name already exists",
            )));
        }
        model::put(
            ctx,
            SELECTIONS,
            &model::selection_key(&record.region, &record.plan_id, &record.id),
            &record,
        )?;
        Ok(Ok(json!({
            "SelectionId": record.id,
            "BackupPlanId": record.plan_id,
            "CreationDate": util::ts(record.creation_date),
        })))
    })
    .await
}

pub fn get(b: &Backup, req: &Req, plan_id: &str, id: &str) -> Result<Value, BackupError> {
    let read = b.read()?;
    let internal = |e: store::StoreError| BackupError::internal(&e);
    if find_live(&read, &req.region, plan_id)
        .map_err(internal)?
        .is_none()
    {
        return Err(plan_not_found(plan_id));
    }
    let s: SelectionRecord = model::get(
        &read,
        SELECTIONS,
        &model::selection_key(&req.region, plan_id, id),
    )
    .map_err(internal)?
    .ok_or_else(|| selection_not_found(id))?;
    let mut out = Map::new();
    out.insert("BackupSelection".into(), s.selection.clone());
    out.insert("SelectionId".into(), json!(s.id));
    out.insert("BackupPlanId".into(), json!(s.plan_id));
    out.insert("CreationDate".into(), util::ts(s.creation_date));
    if let Some(c) = &s.creator_request_id {
        out.insert("CreatorRequestId".into(), json!(c));
    }
    Ok(Value::Object(out))
}

pub async fn delete(
    b: &Backup,
    req: Req,
    plan_id: String,
    id: String,
) -> Result<Value, BackupError> {
    b.write(move |ctx| -> JobResult<Value> {
        if find_live(ctx, &req.region, &plan_id)?.is_none() {
            return Ok(Err(plan_not_found(&plan_id)));
        }
        let key = model::selection_key(&req.region, &plan_id, &id);
        if model::get::<SelectionRecord>(ctx, SELECTIONS, &key)?.is_none() {
            return Ok(Err(selection_not_found(&id)));
        }
        model::remove(ctx, SELECTIONS, &key)?;
        Ok(Ok(json!({})))
    })
    .await
}

pub fn list(b: &Backup, req: &Req, plan_id: &str) -> Result<Value, BackupError> {
    let page = util::page(&req.query)?;
    let read = b.read()?;
    let internal = |e: store::StoreError| BackupError::internal(&e);
    if find_live(&read, &req.region, plan_id)
        .map_err(internal)?
        .is_none()
    {
        return Err(plan_not_found(plan_id));
    }
    let all: Vec<SelectionRecord> = model::list(
        &read,
        SELECTIONS,
        &model::selection_prefix(&req.region, plan_id),
    )
    .map_err(internal)?;
    let (items, next) = util::take_page(all, |s| s.id.clone(), &page);
    let list = items
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("SelectionId".into(), json!(s.id));
            m.insert(
                "SelectionName".into(),
                s.selection
                    .get("SelectionName")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            m.insert("BackupPlanId".into(), json!(s.plan_id));
            m.insert("CreationDate".into(), util::ts(s.creation_date));
            if let Some(c) = &s.creator_request_id {
                m.insert("CreatorRequestId".into(), json!(c));
            }
            m.insert(
                "IamRoleArn".into(),
                s.selection
                    .get("IamRoleArn")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            Value::Object(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("BackupSelectionsList".into(), Value::Array(list));
    if let Some(n) = next {
        out.insert("NextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}
