//! AWS Backup (restJson1, `backup` in the SigV4 scope): backup vaults, backup plans with their
//! versions, backup selections, tags, and the recovery-point listings, persisted in the store.
//!
//! Architecture invariants:
//! - Every change is one store write job that looks its records up inside the job, checks,
//!   then writes (check first, write last): concurrent requests cannot interleave between a
//!   check and its write (a selection cannot be added to a plan being deleted).
//! - Reads use a snapshot. Vaults and plans are regional, as on AWS (`model`).
//! - The `runner` worker runs the plans: rules fire on their schedules, jobs back resources up
//!   through the binary's `Protected` (DynamoDB backups), recovery points follow their
//!   lifecycle, restore jobs make tables. Every state change is a write job that re-reads
//!   the record, so a request (StopBackupJob) and the runner never overwrite each other.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod error;
mod jobs;
mod model;
mod plans;
pub mod protected;
mod recovery_points;
mod restores;
pub mod runner;
mod selecting;
mod selections;
mod tags;
mod util;
mod vaults;

#[cfg(test)]
mod tests;

pub use error::{BackupError, ErrorCode};
use serde_json::{Map, Value};
use store::{Store, StoreError, WriteCtx};
use worker::Wake;

pub use protected::{Made, Protected, ProtectedRef, Resource, Restoring};
pub use runner::Runner;

/// An answer: the HTTP status, the JSON body and, for errors, the `x-amzn-ErrorType` header.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub error_type: Option<String>,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            error_type: None,
        }
    }

    fn error(e: &BackupError) -> Reply {
        Reply {
            status: e.code.http_status(),
            body: e.to_json(),
            error_type: Some(e.code.aws_code().to_string()),
        }
    }
}

/// The AWS Backup service over one store.
pub struct Backup {
    pub(crate) store: Store,
    pub(crate) account: String,
    /// Wakes the runner (a job was started, a plan changed).
    pub(crate) runner: Wake,
    /// The services whose resources are backed up, supplied once the server's state exists.
    protected: std::sync::OnceLock<ProtectedRef>,
}

/// One request, decoded.
pub(crate) struct Req {
    pub region: String,
    pub account: String,
    pub query: Vec<(String, String)>,
    pub body: Map<String, Value>,
}

impl Req {
    pub fn vault_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:backup:{}:{}:backup-vault:{name}",
            self.region, self.account
        )
    }

    pub fn plan_arn(&self, id: &str) -> String {
        format!(
            "arn:aws:backup:{}:{}:backup-plan:{id}",
            self.region, self.account
        )
    }
}

/// The operations, as the service model's HTTP bindings route them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    CreateBackupVault(String),
    DescribeBackupVault(String),
    DeleteBackupVault(String),
    ListBackupVaults,
    ListRecoveryPointsByBackupVault(String),
    CreateBackupPlan,
    ListBackupPlans,
    GetBackupPlan(String),
    UpdateBackupPlan(String),
    DeleteBackupPlan(String),
    CreateBackupSelection(String),
    ListBackupSelections(String),
    GetBackupSelection(String, String),
    DeleteBackupSelection(String, String),
    TagResource(String),
    UntagResource(String),
    ListTags(String),
    ListRecoveryPointsByResource(String),
    StartBackupJob,
    DescribeBackupJob(String),
    StopBackupJob(String),
    ListBackupJobs,
    StartRestoreJob,
    DescribeRestoreJob(String),
    ListRestoreJobs,
    DescribeRecoveryPoint(String, String),
    DeleteRecoveryPoint(String, String),
    GetRecoveryPointRestoreMetadata(String, String),
}

/// Maps method and (still percent-encoded) path to an operation. ARN labels are decoded whole,
/// so an ARN whose `/` a client left unencoded still arrives intact.
pub fn route(method: &str, path: &str) -> Result<Op, BackupError> {
    let unknown = || {
        BackupError::new(
            ErrorCode::UnknownOperation,
            format!("No operation matches {method} {path}"),
        )
    };
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    // Resource ARNs: everything between the fixed parts.
    if let Some(rest) = trimmed.strip_prefix("tags/") {
        let arn = util::decode(rest)?;
        return match method {
            "POST" => Ok(Op::TagResource(arn)),
            "GET" => Ok(Op::ListTags(arn)),
            _ => Err(unknown()),
        };
    }
    if let Some(rest) = trimmed.strip_prefix("untag/") {
        return match method {
            "POST" => Ok(Op::UntagResource(util::decode(rest)?)),
            _ => Err(unknown()),
        };
    }
    if let Some(rest) = trimmed.strip_prefix("resources/") {
        if let Some(arn) = rest.strip_suffix("/recovery-points") {
            if method == "GET" {
                return Ok(Op::ListRecoveryPointsByResource(util::decode(arn)?));
            }
        }
        return Err(unknown());
    }
    let segs = trimmed
        .split('/')
        .map(util::decode)
        .collect::<Result<Vec<_>, _>>()?;
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let name = |i: usize| segs[i].clone();
    let op = match (method, s.as_slice()) {
        ("GET", ["backup-vaults"]) => Op::ListBackupVaults,
        ("PUT", ["backup-vaults", _]) => Op::CreateBackupVault(name(1)),
        ("GET", ["backup-vaults", _]) => Op::DescribeBackupVault(name(1)),
        ("DELETE", ["backup-vaults", _]) => Op::DeleteBackupVault(name(1)),
        ("GET", ["backup-vaults", _, "recovery-points"]) => {
            Op::ListRecoveryPointsByBackupVault(name(1))
        }
        ("GET", ["backup-vaults", _, "recovery-points", _]) => {
            Op::DescribeRecoveryPoint(name(1), name(3))
        }
        ("DELETE", ["backup-vaults", _, "recovery-points", _]) => {
            Op::DeleteRecoveryPoint(name(1), name(3))
        }
        ("GET", ["backup-vaults", _, "recovery-points", _, "restore-metadata"]) => {
            Op::GetRecoveryPointRestoreMetadata(name(1), name(3))
        }
        ("PUT", ["backup-jobs"]) => Op::StartBackupJob,
        ("GET", ["backup-jobs"]) => Op::ListBackupJobs,
        ("GET", ["backup-jobs", _]) => Op::DescribeBackupJob(name(1)),
        ("POST", ["backup-jobs", _]) => Op::StopBackupJob(name(1)),
        ("PUT", ["restore-jobs"]) => Op::StartRestoreJob,
        ("GET", ["restore-jobs"]) => Op::ListRestoreJobs,
        ("GET", ["restore-jobs", _]) => Op::DescribeRestoreJob(name(1)),
        ("PUT", ["backup", "plans"]) => Op::CreateBackupPlan,
        ("GET", ["backup", "plans"]) => Op::ListBackupPlans,
        ("GET", ["backup", "plans", _]) => Op::GetBackupPlan(name(2)),
        ("POST", ["backup", "plans", _]) => Op::UpdateBackupPlan(name(2)),
        ("DELETE", ["backup", "plans", _]) => Op::DeleteBackupPlan(name(2)),
        ("PUT", ["backup", "plans", _, "selections"]) => Op::CreateBackupSelection(name(2)),
        ("GET", ["backup", "plans", _, "selections"]) => Op::ListBackupSelections(name(2)),
        ("GET", ["backup", "plans", _, "selections", _]) => {
            Op::GetBackupSelection(name(2), name(4))
        }
        ("DELETE", ["backup", "plans", _, "selections", _]) => {
            Op::DeleteBackupSelection(name(2), name(4))
        }
        _ => return Err(unknown()),
    };
    Ok(op)
}

impl Backup {
    /// Now on the installation's clock, in epoch seconds with millisecond precision, as AWS
    /// Backup reports timestamps.
    pub(crate) fn now_seconds(&self) -> f64 {
        self.store.clock().now_epoch_seconds()
    }

    /// `account_id` is the installation's account; records live in the store (`backup.*`).
    pub fn open(store: Store, account_id: String) -> Result<Backup, StoreError> {
        // Nothing is cached in memory: every request reads a snapshot. Opening checks that the
        // store is readable.
        store.read()?;
        Ok(Backup {
            store,
            account: account_id,
            runner: Wake::default(),
            protected: std::sync::OnceLock::new(),
        })
    }

    /// Supplies the services whose resources are backed up (once; later calls are ignored).
    pub fn set_protected(&self, protected: ProtectedRef) {
        let _ = self.protected.set(protected);
    }

    pub(crate) fn protected(&self) -> Option<&ProtectedRef> {
        self.protected.get()
    }

    /// The wake of the runner worker, for the binary to spawn it with.
    pub fn runner_wake(&self) -> Wake {
        self.runner.clone()
    }

    /// restJson1: the raw method, path (still percent-encoded), query string and body; returns
    /// the HTTP status and JSON body (errors: `{"Message", "Code"}` and the
    /// `x-amzn-ErrorType` value in `error_type`).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        region: &str,
    ) -> Reply {
        match self.dispatch(method, path, query, body, region).await {
            Ok(v) => Reply::ok(v),
            Err(e) => Reply::error(&e),
        }
    }

    async fn dispatch(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        region: &str,
    ) -> Result<Value, BackupError> {
        let op = route(method, path)?;
        self.run(op, query, body, region).await
    }

    async fn run(
        &self,
        op: Op,
        query: &str,
        body: &[u8],
        region: &str,
    ) -> Result<Value, BackupError> {
        let req = Req {
            region: region.to_string(),
            account: self.account.clone(),
            query: util::parse_query(query)?,
            body: util::body_object(body)?,
        };
        tracing::debug!(?op, "backup call");
        match op {
            Op::CreateBackupVault(n) => vaults::create(self, req, n).await,
            Op::DescribeBackupVault(n) => vaults::describe(self, &req, &n),
            Op::DeleteBackupVault(n) => vaults::delete(self, req, n).await,
            Op::ListBackupVaults => vaults::list(self, &req),
            Op::ListRecoveryPointsByBackupVault(n) => {
                recovery_points::list_by_vault(self, &req, &n)
            }
            Op::CreateBackupPlan => plans::create(self, req).await,
            Op::ListBackupPlans => plans::list(self, &req),
            Op::GetBackupPlan(id) => plans::get(self, &req, &id),
            Op::UpdateBackupPlan(id) => plans::update(self, req, id).await,
            Op::DeleteBackupPlan(id) => plans::delete(self, req, id).await,
            Op::CreateBackupSelection(p) => selections::create(self, req, p).await,
            Op::ListBackupSelections(p) => selections::list(self, &req, &p),
            Op::GetBackupSelection(p, s) => selections::get(self, &req, &p, &s),
            Op::DeleteBackupSelection(p, s) => selections::delete(self, req, p, s).await,
            Op::TagResource(arn) => tags::tag(self, req, arn).await,
            Op::UntagResource(arn) => tags::untag(self, req, arn).await,
            Op::ListTags(arn) => tags::list(self, &req, &arn),
            Op::ListRecoveryPointsByResource(arn) => {
                recovery_points::list_by_resource(self, &req, &arn)
            }
            Op::StartBackupJob => jobs::start(self, req).await,
            Op::DescribeBackupJob(id) => jobs::describe(self, &req, &id),
            Op::StopBackupJob(id) => jobs::stop(self, id).await,
            Op::ListBackupJobs => jobs::list(self, &req),
            Op::StartRestoreJob => restores::start(self, req).await,
            Op::DescribeRestoreJob(id) => restores::describe(self, &id),
            Op::ListRestoreJobs => restores::list(self, &req),
            Op::DescribeRecoveryPoint(v, arn) => recovery_points::describe(self, &req, &v, &arn),
            Op::DeleteRecoveryPoint(v, arn) => recovery_points::delete(self, req, v, arn).await,
            Op::GetRecoveryPointRestoreMetadata(v, arn) => {
                recovery_points::restore_metadata(self, &req, &v, &arn)
            }
        }
    }

    pub(crate) fn read(&self) -> Result<store::ReadCtx, BackupError> {
        self.store.read().map_err(|e| BackupError::internal(&e))
    }

    /// Runs `job` as one store write job; its own error is the client's answer.
    pub(crate) async fn write<T, F>(&self, job: F) -> Result<T, BackupError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<Result<T, BackupError>, StoreError> + Send + 'static,
    {
        match self.store.write(job).await {
            Ok(r) => r,
            Err(e) => Err(BackupError::internal(&e)),
        }
    }
}

/// Storage errors inside a job body: `?` on them, then wrap the client-facing result.
pub(crate) type JobResult<T> = Result<Result<T, BackupError>, StoreError>;

impl protocol::Service for Backup {
    type Operation = Op;
    type Output = Value;
    type Error = BackupError;

    fn operation(&self, req: &protocol::Request<'_>) -> Result<Op, BackupError> {
        route(req.method, req.path)
    }

    async fn call<'a>(
        &'a self,
        op: Op,
        req: &'a protocol::Request<'a>,
    ) -> Result<Value, BackupError> {
        self.run(op, req.query, req.body, req.region).await
    }
}
