//! The worker that makes AWS Backup happen: each plan rule fires on its ScheduleExpression (in
//! its ScheduleExpressionTimezone) and creates a backup job for every resource its plan's
//! selections choose; jobs run (a DynamoDB backup) within their start window and leave a
//! recovery point in the rule's vault; points are deleted when their lifecycle says and marked
//! COLD when it moves them; restore jobs start and are followed to the end. Finished jobs are
//! forgotten after 30 days, as AWS lists them no longer.
//!
//! A rule's last firing is kept in `backup.rule_runs`, so a restart (or a clock move) neither
//! repeats nor skips one: every firing due meanwhile runs, in order.

use std::collections::BTreeSet;

use serde_json::Value;
use store::{Store, StoreError, WriteCtx};
use worker::{Next, StepFuture, Worker};

use crate::jobs::{self, CreatedBy, JobRecord, JOBS};
use crate::model::{self, PlanRecord, SelectionRecord, VaultRecord, PLANS, SELECTIONS, VAULTS};
use crate::protected::{ProtectedRef, Restoring};
use crate::recovery_points::{self, PointRecord, POINTS};
use crate::restores::{RestoreJobRecord, RESTORE_JOBS};

const RULE_RUNS: &str = "backup.rule_runs";

/// How long finished jobs stay listed.
const KEEP_JOBS_MS: u64 = 30 * 86_400_000;

pub struct Runner {
    store: Store,
    account: String,
    protected: ProtectedRef,
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn str_of<'a>(v: &'a Value, name: &str) -> &'a str {
    v.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// One rule of a plan's current version, and when it fires next.
struct Due {
    plan: PlanRecord,
    rule: Value,
    at_ms: u64,
}

impl Runner {
    pub fn new(store: Store, account: String, protected: ProtectedRef) -> Runner {
        Runner {
            store,
            account,
            protected,
        }
    }

    fn last_run(&self, key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .store
            .read()?
            .get(RULE_RUNS, key.as_bytes())?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_be_bytes))
    }

    /// Every rule's next firing after its last one (or after the plan version's date).
    fn rules(&self) -> Result<Vec<Due>, StoreError> {
        let plans: Vec<PlanRecord> = model::list(&self.store.read()?, PLANS, "")?;
        let mut out = Vec::new();
        for plan in plans.into_iter().filter(|p| p.deletion_date.is_none()) {
            let Some(version) = plan.current().cloned() else {
                continue;
            };
            let rules = version
                .document
                .get("Rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for rule in rules {
                let key = format!("{}/{}", plan.id, str_of(&rule, "RuleId"));
                let since = (version.date * 1000.0) as u64;
                let last = self.last_run(&key)?.unwrap_or(since).max(since);
                let Ok(schedule) = schedule::Schedule::parse(str_of(&rule, "ScheduleExpression"))
                else {
                    continue;
                };
                let tz = rule
                    .get("ScheduleExpressionTimezone")
                    .and_then(Value::as_str);
                let Ok(zone) = schedule::zone(tz) else {
                    continue;
                };
                let Some(next) = schedule.next(&zone, last as i64, since as i64) else {
                    continue;
                };
                out.push(Due {
                    plan: plan.clone(),
                    rule,
                    at_ms: next.max(0) as u64,
                });
            }
        }
        Ok(out)
    }

    /// A rule fires: a job per chosen resource, and the firing recorded, in one write job.
    async fn fire(&self, due: Due) -> Result<(), StoreError> {
        let region = due.plan.region.clone();
        let selections: Vec<SelectionRecord> = model::list(
            &self.store.read()?,
            SELECTIONS,
            &model::selection_prefix(&region, &due.plan.id),
        )?;
        let resources = self.protected.resources(&region);
        let mut chosen = Vec::new();
        let mut seen = BTreeSet::new();
        for s in &selections {
            let role = str_of(&s.selection, "IamRoleArn").to_string();
            for r in resources
                .iter()
                .filter(|r| crate::selecting::chooses(&s.selection, r))
            {
                if seen.insert(r.arn.clone()) {
                    chosen.push((r.clone(), role.clone()));
                }
            }
        }
        let rule = due.rule;
        let version = due
            .plan
            .current()
            .map(|v| v.version_id.clone())
            .unwrap_or_default();
        let created_by = CreatedBy {
            backup_plan_id: due.plan.id.clone(),
            backup_plan_arn: due.plan.arn.clone(),
            backup_plan_name: due.plan.name(),
            backup_plan_version: version,
            backup_rule_id: str_of(&rule, "RuleId").to_string(),
            backup_rule_name: str_of(&rule, "RuleName").to_string(),
            backup_rule_cron: str_of(&rule, "ScheduleExpression").to_string(),
            backup_rule_timezone: str_of(&rule, "ScheduleExpressionTimezone").to_string(),
        };
        let vault_name = str_of(&rule, "TargetBackupVaultName").to_string();
        let start_window = rule
            .get("StartWindowMinutes")
            .and_then(Value::as_i64)
            .unwrap_or(480);
        let complete_window = rule
            .get("CompletionWindowMinutes")
            .and_then(Value::as_i64)
            .unwrap_or(10080);
        let lifecycle = rule.get("Lifecycle").cloned();
        let key = format!("{}/{}", due.plan.id, created_by.backup_rule_id);
        let at = due.at_ms;
        let count = chosen.len();
        self.store
            .write(move |ctx| {
                let vault =
                    model::get::<VaultRecord>(ctx, VAULTS, &model::vault_key(&region, &vault_name))?;
                for (resource, role) in &chosen {
                    let Some(vault) = &vault else {
                        tracing::warn!(vault = %vault_name, "backup rule names a vault that does not exist");
                        break;
                    };
                    let job = jobs::new_job(
                        vault,
                        &resource.arn,
                        &resource.name,
                        role,
                        secs(at),
                        start_window,
                        complete_window,
                        lifecycle.clone(),
                        Some(created_by.clone()),
                    );
                    model::put(ctx, JOBS, &job.id, &job)?;
                }
                ctx.insert(RULE_RUNS, key.as_bytes(), &at.to_be_bytes())?;
                Ok(())
            })
            .await?;
        tracing::info!(plan = %due.plan.name(), jobs = count, "backup rule fired");
        Ok(())
    }

    /// Changes a job record inside a write job, unless it finished meanwhile (stopped).
    async fn update_job(
        &self,
        id: &str,
        change: impl FnOnce(&mut JobRecord, &mut WriteCtx<'_>) -> Result<(), StoreError>
            + Send
            + 'static,
    ) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.store
            .write(move |ctx| {
                let Some(mut job) = model::get::<JobRecord>(ctx, JOBS, &id)? else {
                    return Ok(false);
                };
                if job.finished() {
                    return Ok(false);
                }
                change(&mut job, ctx)?;
                model::put(ctx, JOBS, &id, &job)?;
                Ok(true)
            })
            .await
    }

    /// Runs one backup job to its end.
    async fn run_job(&self, job: JobRecord, now: u64) -> Result<(), StoreError> {
        if secs(now) > job.start_by {
            tracing::warn!(job = %job.id, resource = %job.resource_arn, "backup job expired before it could start");
            self.update_job(&job.id, |j, _| {
                j.state = "EXPIRED".into();
                j.status_message =
                    Some("Backup job failed to start before the start window closed.".into()); // message unverified
                Ok(())
            })
            .await?;
            return Ok(());
        }
        self.update_job(&job.id, |j, _| {
            j.state = "RUNNING".into();
            Ok(())
        })
        .await?;
        let made = self.protected.back_up(job.resource_arn.clone()).await;
        let done = self.store.clock().now_epoch_seconds();
        let region = job.region.clone();
        let account = self.account.clone();
        match made {
            Ok(made) => {
                let point_id = crate::util::uuid4();
                let arn = format!("arn:aws:backup:{region}:{account}:recovery-point:{point_id}");
                let point_arn = arn.clone();
                let size = made.size_bytes;
                let made_id = made.id.clone();
                let recorded = self
                    .update_job(&job.id, move |j, ctx| {
                        let vault = model::get::<VaultRecord>(
                            ctx,
                            VAULTS,
                            &model::vault_key(&j.region, &j.vault_name),
                        )?;
                        let point = PointRecord {
                            v: 1,
                            id: point_id,
                            arn: point_arn.clone(),
                            region: j.region.clone(),
                            vault_name: j.vault_name.clone(),
                            vault_arn: j.vault_arn.clone(),
                            resource_arn: j.resource_arn.clone(),
                            resource_name: j.resource_name.clone(),
                            iam_role_arn: j.iam_role_arn.clone(),
                            creation_date: j.creation_date,
                            completion_date: done,
                            backup_size: size,
                            lifecycle: j.lifecycle.clone(),
                            created_by: j.created_by.clone(),
                            storage_class: "WARM".into(),
                            backup_id: made.id,
                            encryption_key_arn: vault.and_then(|v| v.encryption_key_arn),
                            last_restore_time: None,
                        };
                        recovery_points::add(ctx, &point)?;
                        j.state = "COMPLETED".into();
                        j.completion_date = Some(done);
                        j.backup_size = size;
                        j.recovery_point_arn = Some(point_arn);
                        Ok(())
                    })
                    .await?;
                if !recorded {
                    // Stopped while it ran: an aborted job leaves no backup behind.
                    if let Err(e) = self.protected.delete(made_id).await {
                        tracing::warn!(job = %job.id, "cannot delete a stopped job's backup: {e}");
                    }
                    return Ok(());
                }
                tracing::info!(job = %job.id, resource = %job.resource_arn, recovery_point = %arn, bytes = size, "backup job completed");
            }
            Err(e) => {
                tracing::warn!(job = %job.id, resource = %job.resource_arn, "backup job failed: {e}");
                self.update_job(&job.id, move |j, _| {
                    j.state = "FAILED".into();
                    j.status_message = Some(e);
                    j.completion_date = Some(done);
                    Ok(())
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Deletes expired points, moves points to cold storage; returns the next such time.
    async fn lifecycle(&self, now: u64) -> Result<Option<u64>, StoreError> {
        let points: Vec<PointRecord> = model::list(&self.store.read()?, POINTS, "")?;
        let mut next: Option<u64> = None;
        let mut soonest = |t: f64| {
            let t = (t * 1000.0) as u64;
            next = Some(next.map_or(t, |n| n.min(t)));
        };
        for p in points {
            if p.delete_at().is_some_and(|t| t <= secs(now)) {
                let gone = p.clone();
                let forgotten = self
                    .store
                    .write(move |ctx| recovery_points::forget(ctx, &gone))
                    .await?;
                if forgotten {
                    if let Err(e) = self.protected.delete(p.backup_id.clone()).await {
                        tracing::warn!(recovery_point = %p.arn, "cannot delete its backup: {e}");
                    }
                    tracing::info!(recovery_point = %p.arn, resource = %p.resource_arn, "recovery point expired and was deleted");
                }
                continue;
            }
            if let Some(t) = p.delete_at() {
                soonest(t);
            }
            match p.cold_at() {
                Some(t) if t <= secs(now) && p.storage_class == "WARM" => {
                    let mut cold = p.clone();
                    cold.storage_class = "COLD".into();
                    self.store
                        .write(move |ctx| {
                            if ctx.get(POINTS, cold.key().as_bytes())?.is_some() {
                                model::put(ctx, POINTS, &cold.key(), &cold)?;
                            }
                            Ok(())
                        })
                        .await?;
                }
                Some(t) if p.storage_class == "WARM" => soonest(t),
                _ => {}
            }
        }
        Ok(next)
    }

    /// Starts pending restores and follows running ones; true while any is running.
    async fn restores(&self) -> Result<bool, StoreError> {
        let jobs: Vec<RestoreJobRecord> = model::list(&self.store.read()?, RESTORE_JOBS, "")?;
        let mut running = false;
        for job in jobs.into_iter().filter(|j| !j.finished()) {
            let now = self.store.clock().now_epoch_seconds();
            let outcome = match (&job.status[..], &job.created_resource_arn) {
                ("PENDING", _) => match self
                    .protected
                    .restore(
                        job.backup_id.clone(),
                        job.metadata.clone(),
                        job.region.clone(),
                    )
                    .await
                {
                    Ok(arn) => {
                        tracing::info!(job = %job.id, table = %arn, "restore job started");
                        running = true;
                        ("RUNNING", None, Some(arn))
                    }
                    Err(e) => ("FAILED", Some(e), None),
                },
                ("RUNNING", Some(arn)) => match self.protected.restoring(arn) {
                    Restoring::Running => {
                        running = true;
                        continue;
                    }
                    Restoring::Done => ("COMPLETED", None, None),
                    Restoring::Failed(e) => ("FAILED", Some(e), None),
                },
                _ => (
                    "FAILED",
                    Some("the restore was interrupted".to_string()),
                    None,
                ),
            };
            let (status, message, created) = outcome;
            if status != "RUNNING" {
                tracing::info!(job = %job.id, status, "restore job finished");
            }
            let id = job.id.clone();
            let point = job.recovery_point_arn.clone();
            self.store
                .write(move |ctx| {
                    let Some(mut j) = model::get::<RestoreJobRecord>(ctx, RESTORE_JOBS, &id)?
                    else {
                        return Ok(());
                    };
                    j.status = status.to_string();
                    j.status_message = message;
                    if created.is_some() {
                        j.created_resource_arn = created;
                    }
                    if status == "COMPLETED" || status == "FAILED" {
                        j.completion_date = Some(now);
                    }
                    if status == "COMPLETED" {
                        let prefix = format!("{}/", j.region);
                        let points: Vec<PointRecord> = model::list(ctx, POINTS, &prefix)?;
                        if let Some(mut p) = points.into_iter().find(|p| p.arn == point) {
                            p.last_restore_time = Some(now);
                            model::put(ctx, POINTS, &p.key(), &p)?;
                        }
                    }
                    model::put(ctx, RESTORE_JOBS, &id, &j)
                })
                .await?;
        }
        Ok(running)
    }

    /// Forgets finished jobs older than AWS lists them.
    async fn purge(&self, now: u64) -> Result<(), StoreError> {
        let cutoff = secs(now.saturating_sub(KEEP_JOBS_MS));
        let read = self.store.read()?;
        let old_jobs: Vec<String> = model::list::<JobRecord>(&read, JOBS, "")?
            .into_iter()
            .filter(|j| j.finished() && j.completion_date.unwrap_or(j.creation_date) < cutoff)
            .map(|j| j.id)
            .collect();
        let old_restores: Vec<String> = model::list::<RestoreJobRecord>(&read, RESTORE_JOBS, "")?
            .into_iter()
            .filter(|j| j.finished() && j.completion_date.unwrap_or(j.creation_date) < cutoff)
            .map(|j| j.id)
            .collect();
        if old_jobs.is_empty() && old_restores.is_empty() {
            return Ok(());
        }
        self.store
            .write(move |ctx| {
                for id in old_jobs {
                    model::remove(ctx, JOBS, &id)?;
                }
                for id in old_restores {
                    model::remove(ctx, RESTORE_JOBS, &id)?;
                }
                Ok(())
            })
            .await
    }

    async fn step_once(&mut self, now: u64) -> Result<Next, StoreError> {
        let mut next: Option<u64> = None;
        let mut soonest = |t: u64| next = Some(next.map_or(t, |n| n.min(t)));
        // Rules due by now fire, oldest first; one firing per step keeps steps short and
        // lets a clock move run each at its own time.
        let mut rules = self.rules()?;
        rules.sort_by_key(|d| d.at_ms);
        let mut fired = false;
        for due in rules {
            if due.at_ms <= now && !fired {
                self.fire(due).await?;
                fired = true;
            } else {
                soonest(due.at_ms);
            }
        }
        let pending: Vec<JobRecord> = model::list::<JobRecord>(&self.store.read()?, JOBS, "")?
            .into_iter()
            .filter(|j| !j.finished())
            .collect();
        for job in pending {
            self.run_job(job, now).await?;
        }
        if let Some(t) = self.lifecycle(now).await? {
            soonest(t);
        }
        let restoring = self.restores().await?;
        self.purge(now).await?;
        if fired {
            return Ok(Next::Now);
        }
        if restoring {
            // Restores progress in real time: look again in a second.
            soonest(now + 1000);
        }
        Ok(next.map_or(Next::Idle, Next::At))
    }
}

impl Worker for Runner {
    fn name(&self) -> String {
        "backup-plans".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once(now).await.map_err(|e| e.to_string()) })
    }
}
