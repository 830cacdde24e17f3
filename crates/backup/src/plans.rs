//! CreateBackupPlan, GetBackupPlan, UpdateBackupPlan, DeleteBackupPlan and ListBackupPlans.
//! A plan keeps every version (GetBackupPlan with `versionId`); a deleted plan stays listed with
//! `includeDeleted=true` and its DeletionDate, and is otherwise gone.

use serde_json::{json, Map, Value};

use crate::error::{BackupError, ErrorCode};
use crate::model::{self, PlanRecord, PlanVersion, SelectionRecord, PLANS, SELECTIONS};
use crate::util;
use crate::{Backup, JobResult, Req};

/// AWS's defaults for a rule's members a request leaves out.
const DEFAULT_SCHEDULE: &str = "cron(0 5 ? * * *)";
const DEFAULT_TIMEZONE: &str = "Etc/UTC";
const DEFAULT_START_WINDOW: i64 = 480;
const DEFAULT_COMPLETION_WINDOW: i64 = 10080;

pub fn not_found() -> BackupError {
    BackupError::not_found("Failed reading Backup plan with provided version")
}

pub(crate) fn check_lifecycle(l: &Map<String, Value>) -> Result<(), BackupError> {
    let delete = util::opt_i64(l, "DeleteAfterDays")?;
    let cold = util::opt_i64(l, "MoveToColdStorageAfterDays")?;
    if let Some(d) = delete {
        if !(1..=36500).contains(&d) {
            return Err(BackupError::invalid(
                "Invalid lifecycle. DeleteAfterDays cannot be less than 1 or more than 36500 days",
            ));
        }
    }
    if let (Some(d), Some(c)) = (delete, cold) {
        if d < c + 90 {
            return Err(BackupError::invalid(
                "Invalid lifecycle. DeleteAfterDays must be at least 90 days greater than \
                 MoveToColdStorageAfterDays",
            ));
        }
    }
    Ok(())
}

/// Validates `BackupPlan` (BackupPlanInput) and renders it as GetBackupPlan returns it: the
/// rules with their ids (kept, by rule name, from `previous`) and AWS's defaults filled in.
/// AdvancedBackupSettings is returned apart.
fn normalize(
    input: &Map<String, Value>,
    previous: Option<&Value>,
) -> Result<(Value, Option<Value>), BackupError> {
    let name = util::req_str(input, "BackupPlanName")?;
    if !util::valid_name(name, 1, 50, &['.']) {
        return Err(BackupError::invalid(format!(
            "Invalid backup plan name: {name}. Backup plan names must be 1 to 50 characters \
             long and contain only alphanumeric characters, hyphens, underscores and periods."
        )));
    }
    let rules = match input.get("Rules") {
        None | Some(Value::Null) => return Err(BackupError::missing("Rules")),
        Some(Value::Array(r)) => r,
        Some(_) => return Err(BackupError::invalid("Rules must be a list")),
    };
    if rules.is_empty() {
        return Err(BackupError::invalid(
            "Backup plan must contain at least one rule",
        ));
    }
    let old_ids: Vec<(String, String)> = previous
        .and_then(|p| p.get("Rules"))
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    Some((
                        r.get("RuleName")?.as_str()?.to_string(),
                        r.get("RuleId")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut seen = Vec::new();
    let mut out_rules = Vec::new();
    for rule in rules {
        let Value::Object(rule) = rule else {
            return Err(BackupError::invalid("Each rule must be an object"));
        };
        let rule_name = util::req_str(rule, "RuleName")?;
        if !util::valid_name(rule_name, 1, 50, &['.']) {
            return Err(BackupError::invalid(format!(
                "Invalid rule name: {rule_name}"
            )));
        }
        if seen.contains(&rule_name) {
            return Err(BackupError::invalid(format!(
                "Duplicate rule name: {rule_name}. Rule names must be unique within a backup plan"
            )));
        }
        seen.push(rule_name);
        let vault = util::req_str(rule, "TargetBackupVaultName")?;
        if !util::valid_name(vault, 2, 50, &[]) {
            return Err(BackupError::invalid(format!(
                "Invalid backup vault name: {vault}"
            )));
        }
        if let Some(s) = util::opt_str(rule, "ScheduleExpression")? {
            // The runner fires what parses: a rule it could never fire is refused now.
            if schedule::Schedule::parse(s).is_err() {
                return Err(BackupError::invalid(format!(
                    "Invalid schedule expression: {s}"
                )));
            }
        }
        if let Some(z) = util::opt_str(rule, "ScheduleExpressionTimezone")? {
            if schedule::zone(Some(z)).is_err() {
                return Err(BackupError::invalid(format!("Invalid timezone: {z}")));
                // message unverified
            }
        }
        let start = util::opt_i64(rule, "StartWindowMinutes")?;
        let completion = util::opt_i64(rule, "CompletionWindowMinutes")?;
        if let Some(s) = start {
            if s < 60 {
                return Err(BackupError::invalid(
                    "StartWindowMinutes must be at least 60 minutes",
                ));
            }
        }
        if let Some(c) = completion {
            if c < start.map_or(60, |s| s + 60) {
                return Err(BackupError::invalid(
                    "CompletionWindowMinutes must be at least 60 minutes greater than \
                     StartWindowMinutes",
                ));
            }
        }
        if let Some(l) = util::opt_object(rule, "Lifecycle")? {
            check_lifecycle(l)?;
        }
        if let Some(Value::Array(copies)) = rule.get("CopyActions") {
            for c in copies {
                let Value::Object(c) = c else {
                    return Err(BackupError::invalid("Each copy action must be an object"));
                };
                util::req_str(c, "DestinationBackupVaultArn")?;
                if let Some(l) = util::opt_object(c, "Lifecycle")? {
                    check_lifecycle(l)?;
                }
            }
        }
        util::tags(rule, "RecoveryPointTags")?;
        let mut out = rule.clone();
        out.retain(|_, v| !v.is_null());
        out.entry("ScheduleExpression")
            .or_insert_with(|| json!(DEFAULT_SCHEDULE));
        out.entry("ScheduleExpressionTimezone")
            .or_insert_with(|| json!(DEFAULT_TIMEZONE));
        out.entry("StartWindowMinutes")
            .or_insert_with(|| json!(DEFAULT_START_WINDOW));
        out.entry("CompletionWindowMinutes")
            .or_insert_with(|| json!(DEFAULT_COMPLETION_WINDOW));
        let id = old_ids
            .iter()
            .find(|(n, _)| n == rule_name)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(util::uuid4);
        out.insert("RuleId".into(), json!(id));
        out_rules.push(Value::Object(out));
    }
    let advanced = match input.get("AdvancedBackupSettings") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.is_empty() => None,
        Some(v @ Value::Array(_)) => Some(v.clone()),
        Some(_) => {
            return Err(BackupError::invalid(
                "AdvancedBackupSettings must be a list",
            ))
        }
    };
    let mut doc = Map::new();
    doc.insert("BackupPlanName".into(), json!(name));
    doc.insert("Rules".into(), Value::Array(out_rules));
    if let Some(s) = input.get("ScanSettings").filter(|v| !v.is_null()) {
        doc.insert("ScanSettings".into(), s.clone());
    }
    Ok((Value::Object(doc), advanced))
}

/// The plan document with rule ids removed, to compare documents.
fn without_ids(doc: &Value) -> Value {
    let mut d = doc.clone();
    if let Some(Value::Array(rules)) = d.get_mut("Rules") {
        for r in rules {
            if let Value::Object(r) = r {
                r.remove("RuleId");
            }
        }
    }
    d
}

fn plan_input(req: &Req) -> Result<&Map<String, Value>, BackupError> {
    util::opt_object(&req.body, "BackupPlan")?.ok_or_else(|| BackupError::missing("BackupPlan"))
}

pub async fn create(b: &Backup, req: Req) -> Result<Value, BackupError> {
    let (document, advanced) = normalize(plan_input(&req)?, None)?;
    let tags = util::tags(&req.body, "BackupPlanTags")?;
    let creator = util::opt_str(&req.body, "CreatorRequestId")?.map(str::to_string);
    let id = util::uuid4();
    let now = b.now_seconds();
    let record = PlanRecord {
        v: 1,
        arn: req.plan_arn(&id),
        id,
        region: req.region.clone(),
        creation_date: now,
        deletion_date: None,
        creator_request_id: creator,
        tags,
        versions: vec![PlanVersion {
            version_id: util::version_id(),
            date: now,
            document,
            advanced,
        }],
    };
    b.write(move |ctx| -> JobResult<Value> {
        let existing: Vec<PlanRecord> = model::list(ctx, PLANS, &format!("{}/", record.region))?;
        let Some(new) = record.current() else {
            return Ok(Err(not_found()));
        };
        let same = without_ids(&new.document);
        if existing.iter().any(|p| {
            p.deletion_date.is_none()
                && p.current()
                    .is_some_and(|c| without_ids(&c.document) == same && c.advanced == new.advanced)
        }) {
            return Ok(Err(BackupError::new(
                ErrorCode::AlreadyExists,
                "Backup plan with the same plan document already exists",
            )));
        }
        model::put(
            ctx,
            PLANS,
            &model::plan_key(&record.region, &record.id),
            &record,
        )?;
        let mut out = Map::new();
        out.insert("BackupPlanId".into(), json!(record.id));
        out.insert("BackupPlanArn".into(), json!(record.arn));
        out.insert("CreationDate".into(), util::ts(record.creation_date));
        out.insert("VersionId".into(), json!(new.version_id));
        if let Some(a) = &new.advanced {
            out.insert("AdvancedBackupSettings".into(), a.clone());
        }
        Ok(Ok(Value::Object(out)))
    })
    .await
    .inspect(|_| b.runner.wake())
}

/// The live (not deleted) plan `id` of the request's region.
pub fn find_live(
    t: &impl model::Tables,
    region: &str,
    id: &str,
) -> Result<Option<PlanRecord>, store::StoreError> {
    Ok(
        model::get::<PlanRecord>(t, PLANS, &model::plan_key(region, id))?
            .filter(|p| p.deletion_date.is_none()),
    )
}

pub fn get(b: &Backup, req: &Req, id: &str) -> Result<Value, BackupError> {
    let read = b.read()?;
    let plan = find_live(&read, &req.region, id)
        .map_err(|e| BackupError::internal(&e))?
        .ok_or_else(not_found)?;
    let version = match util::query_get(&req.query, "versionId") {
        None | Some("") => plan.current(),
        Some(v) => plan.versions.iter().find(|x| x.version_id == v),
    }
    .ok_or_else(not_found)?;
    let mut out = Map::new();
    out.insert("BackupPlan".into(), version.document.clone());
    out.insert("BackupPlanId".into(), json!(plan.id));
    out.insert("BackupPlanArn".into(), json!(plan.arn));
    out.insert("VersionId".into(), json!(version.version_id));
    if let Some(c) = &plan.creator_request_id {
        out.insert("CreatorRequestId".into(), json!(c));
    }
    out.insert("CreationDate".into(), util::ts(version.date));
    if let Some(a) = &version.advanced {
        out.insert("AdvancedBackupSettings".into(), a.clone());
    }
    Ok(Value::Object(out))
}

pub async fn update(b: &Backup, req: Req, id: String) -> Result<Value, BackupError> {
    let input = plan_input(&req)?.clone();
    // Validate before the job so a bad document fails even for an unknown plan id.
    normalize(&input, None)?;
    b.write(move |ctx| -> JobResult<Value> {
        let Some(mut plan) = find_live(ctx, &req.region, &id)? else {
            return Ok(Err(not_found()));
        };
        let previous = plan.current().map(|v| v.document.clone());
        let (document, advanced) = match normalize(&input, previous.as_ref()) {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let version = PlanVersion {
            version_id: util::version_id(),
            date: ctx.now_ms() as f64 / 1000.0,
            document,
            advanced,
        };
        let mut out = Map::new();
        out.insert("BackupPlanId".into(), json!(plan.id));
        out.insert("BackupPlanArn".into(), json!(plan.arn));
        out.insert("CreationDate".into(), util::ts(version.date));
        out.insert("VersionId".into(), json!(version.version_id));
        if let Some(a) = &version.advanced {
            out.insert("AdvancedBackupSettings".into(), a.clone());
        }
        plan.versions.push(version);
        model::put(ctx, PLANS, &model::plan_key(&plan.region, &plan.id), &plan)?;
        Ok(Ok(Value::Object(out)))
    })
    .await
    .inspect(|_| b.runner.wake())
}

pub async fn delete(b: &Backup, req: Req, id: String) -> Result<Value, BackupError> {
    b.write(move |ctx| -> JobResult<Value> {
        let Some(mut plan) = find_live(ctx, &req.region, &id)? else {
            return Ok(Err(not_found()));
        };
        let selections: Vec<SelectionRecord> =
            model::list(ctx, SELECTIONS, &model::selection_prefix(&req.region, &id))?;
        if !selections.is_empty() {
            return Ok(Err(BackupError::new(
                ErrorCode::InvalidRequest,
                "Related backup plan selections must be deleted prior to backup plan deletion",
            )));
        }
        let now = ctx.now_ms() as f64 / 1000.0;
        plan.deletion_date = Some(now);
        model::put(ctx, PLANS, &model::plan_key(&plan.region, &plan.id), &plan)?;
        Ok(Ok(json!({
            "BackupPlanId": plan.id,
            "BackupPlanArn": plan.arn,
            "DeletionDate": util::ts(now),
            "VersionId": plan.current().map(|v| v.version_id.clone()).unwrap_or_default(),
        })))
    })
    .await
}

pub fn list(b: &Backup, req: &Req) -> Result<Value, BackupError> {
    let page = util::page(&req.query)?;
    let include_deleted = util::query_get(&req.query, "includeDeleted") == Some("true");
    let read = b.read()?;
    let all: Vec<PlanRecord> = model::list(&read, PLANS, &format!("{}/", req.region))
        .map_err(|e| BackupError::internal(&e))?;
    let all: Vec<PlanRecord> = all
        .into_iter()
        .filter(|p| include_deleted || p.deletion_date.is_none())
        .collect();
    let (items, next) = util::take_page(all, |p| p.id.clone(), &page);
    let list = items
        .iter()
        .map(|p| {
            let mut m = Map::new();
            m.insert("BackupPlanArn".into(), json!(p.arn));
            m.insert("BackupPlanId".into(), json!(p.id));
            m.insert("CreationDate".into(), util::ts(p.creation_date));
            if let Some(d) = p.deletion_date {
                m.insert("DeletionDate".into(), util::ts(d));
            }
            if let Some(v) = p.current() {
                m.insert("VersionId".into(), json!(v.version_id));
                if let Some(a) = &v.advanced {
                    m.insert("AdvancedBackupSettings".into(), a.clone());
                }
            }
            m.insert("BackupPlanName".into(), json!(p.name()));
            if let Some(c) = &p.creator_request_id {
                m.insert("CreatorRequestId".into(), json!(c));
            }
            Value::Object(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("BackupPlansList".into(), Value::Array(list));
    if let Some(n) = next {
        out.insert("NextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}
