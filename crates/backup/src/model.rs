//! The durable records: vaults, plans (with every version) and selections, as versioned JSON in
//! tables `backup.vaults`, `backup.plans` and `backup.selections`. Vaults and plans are
//! regional, as on AWS: keys start with the region, so the same vault name can exist in two
//! regions and a plan is found only from its own region.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;
use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

pub const VAULTS: &str = "backup.vaults";
pub const PLANS: &str = "backup.plans";
pub const SELECTIONS: &str = "backup.selections";

/// The record format; a record of another version is refused as corrupt.
const FORMAT: u32 = 1;

pub(crate) fn format_v() -> u32 {
    FORMAT
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VaultRecord {
    #[serde(default = "format_v")]
    pub v: u32,
    pub name: String,
    pub arn: String,
    pub region: String,
    pub creation_date: f64,
    pub encryption_key_arn: Option<String>,
    pub creator_request_id: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub recovery_points: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanVersion {
    pub version_id: String,
    /// When this version was made (the plan's creation, or the update).
    pub date: f64,
    /// `BackupPlan` as GetBackupPlan returns it: name, rules with ids and defaults.
    pub document: Value,
    /// `AdvancedBackupSettings`, returned beside the plan, not inside it.
    pub advanced: Option<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanRecord {
    #[serde(default = "format_v")]
    pub v: u32,
    pub id: String,
    pub arn: String,
    pub region: String,
    pub creation_date: f64,
    pub deletion_date: Option<f64>,
    pub creator_request_id: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Oldest first; the last one is current.
    pub versions: Vec<PlanVersion>,
}

impl PlanRecord {
    pub fn current(&self) -> Option<&PlanVersion> {
        self.versions.last()
    }

    pub fn name(&self) -> String {
        self.current()
            .and_then(|v| v.document.get("BackupPlanName"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SelectionRecord {
    #[serde(default = "format_v")]
    pub v: u32,
    pub id: String,
    pub plan_id: String,
    pub region: String,
    pub creation_date: f64,
    pub creator_request_id: Option<String>,
    /// `BackupSelection` as GetBackupSelection returns it.
    pub selection: Value,
}

pub fn vault_key(region: &str, name: &str) -> String {
    format!("{region}/{name}")
}

pub fn plan_key(region: &str, id: &str) -> String {
    format!("{region}/{id}")
}

pub fn selection_prefix(region: &str, plan_id: &str) -> String {
    format!("{region}/{plan_id}/")
}

pub fn selection_key(region: &str, plan_id: &str, id: &str) -> String {
    format!("{region}/{plan_id}/{id}")
}

fn decode<T: DeserializeOwned>(table: &str, bytes: &[u8]) -> Result<T, StoreError> {
    #[derive(Deserialize)]
    struct Version {
        #[serde(default = "format_v")]
        v: u32,
    }
    let version: Version = serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Corrupt(format!("{table} record: {e}")))?;
    if version.v != FORMAT {
        return Err(StoreError::Corrupt(format!(
            "{table} record of format {} (expected {FORMAT})",
            version.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{table} record: {e}")))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Either side of a transaction, for lookups shared by reads and write jobs.
pub trait Tables {
    fn get_bytes(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    fn scan_prefix(
        &self,
        table: &str,
        prefix: &str,
        visit: &mut dyn FnMut(&[u8]) -> ScanControl,
    ) -> Result<(), StoreError>;
}

fn prefix_range(prefix: &str) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let start = prefix.as_bytes().to_vec();
    // Every key starting with `prefix` sorts below `prefix` followed by 0xff bytes; keys are
    // UTF-8, which never contains 0xff.
    let mut end = start.clone();
    end.push(0xff);
    (Bound::Included(start), Bound::Excluded(end))
}

impl Tables for ReadCtx {
    fn get_bytes(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(table, key)
    }
    fn scan_prefix(
        &self,
        table: &str,
        prefix: &str,
        visit: &mut dyn FnMut(&[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        let (s, e) = prefix_range(prefix);
        self.scan(table, (as_ref(&s), as_ref(&e)), false, |_, v| visit(v))
    }
}

impl Tables for WriteCtx<'_> {
    fn get_bytes(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(table, key)
    }
    fn scan_prefix(
        &self,
        table: &str,
        prefix: &str,
        visit: &mut dyn FnMut(&[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        let (s, e) = prefix_range(prefix);
        self.scan(table, (as_ref(&s), as_ref(&e)), false, |_, v| visit(v))
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

pub fn get<T: DeserializeOwned>(
    t: &impl Tables,
    table: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match t.get_bytes(table, key.as_bytes())? {
        Some(b) => Ok(Some(decode(table, &b)?)),
        None => Ok(None),
    }
}

/// Every record whose key starts with `prefix`, in key order.
pub fn list<T: DeserializeOwned>(
    t: &impl Tables,
    table: &str,
    prefix: &str,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    let mut bad = None;
    t.scan_prefix(table, prefix, &mut |v| match decode(table, v) {
        Ok(r) => {
            out.push(r);
            ScanControl::Continue
        }
        Err(e) => {
            bad = Some(e);
            ScanControl::Stop
        }
    })?;
    match bad {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

pub fn put<T: Serialize>(
    ctx: &mut WriteCtx<'_>,
    table: &str,
    key: &str,
    value: &T,
) -> Result<(), StoreError> {
    ctx.insert(table, key.as_bytes(), &encode(value)?)?;
    Ok(())
}

pub fn remove(ctx: &mut WriteCtx<'_>, table: &str, key: &str) -> Result<(), StoreError> {
    ctx.remove(table, key.as_bytes())?;
    Ok(())
}
