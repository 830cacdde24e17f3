//! What AWS Backup asks of the services whose resources it protects — DynamoDB here. The
//! binary supplies it (AWS Backup does not depend on DynamoDB): a backup of a table is a
//! DynamoDB backup of type AWS_BACKUP, a restore is RestoreTableFromBackup.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A resource a selection can choose.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub arn: String,
    /// The table's name (ResourceName).
    pub name: String,
    pub tags: BTreeMap<String, String>,
}

/// A finished backup of a resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Made {
    /// The protecting service's id of the backup (DynamoDB's backup id).
    pub id: String,
    pub size_bytes: u64,
}

/// Where a restore stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Restoring {
    Running,
    Done,
    Failed(String),
}

pub trait Protected: Send + Sync + 'static {
    /// Every resource of the region that a selection may choose.
    fn resources(&self, region: &str) -> Vec<Resource>;

    /// Backs `resource_arn` up; resolves once the backup is complete.
    fn back_up(&self, resource_arn: String) -> BoxFuture<'_, Result<Made, String>>;

    /// Starts restoring backup `id` as the restore `metadata` says (`targetTableName`,
    /// `encryptionType`, `kmsMasterKeyArn`); returns the ARN of the resource it creates.
    fn restore(
        &self,
        id: String,
        metadata: BTreeMap<String, String>,
        region: String,
    ) -> BoxFuture<'_, Result<String, String>>;

    /// How the restore that creates `created_arn` is doing.
    fn restoring(&self, created_arn: &str) -> Restoring;

    /// Deletes backup `id` (the recovery point expired or was deleted).
    fn delete(&self, id: String) -> BoxFuture<'_, Result<(), String>>;
}

pub type ProtectedRef = Arc<dyn Protected>;
