//! Tables' data keys: envelope encryption of everything a table stores, as AWS does it.
//!
//! Each table has a data key (AES-256) that the store seals its items, index entries, PITR
//! history and change-log records under as they reach the database file (`store::data_keys`),
//! and its backups under (`archive`). Where the key comes from follows the table's SSE
//! setting:
//! - a KMS key (the AWS managed key `alias/aws/dynamodb`, or a customer managed key): KMS's
//!   GenerateDataKey, called through the KMS service on DynamoDB's behalf, with AWS's
//!   encryption context (`aws:dynamodb:tableName`, `aws:dynamodb:subscriberId`). Only the
//!   ciphertext blob is kept, in the catalog; the plaintext is in memory only, unwrapped by
//!   KMS's Decrypt when the server starts or a request first needs it. A key KMS will not
//!   decrypt (disabled, pending deletion, deleted) leaves the table's data sealed;
//! - the AWS owned key (the default): a key derived from the installation's store key, which
//!   needs no custody of its own.
//!
//! Changing the SSE setting gives the table a new data key; the values already written are
//! resealed in the background (`resealing`) while the old key still opens them. A deleted
//! table's key is kept 25 hours, for its stream records. A store that encrypts nothing
//! (`--unencrypted-at-rest`, in memory) has no data keys.

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};
use store::{Store, StoreError, WriteCtx};

use crate::catalog::Catalog;
use crate::error::DynamoError;
use crate::schema::TableMeta;

/// A table's data key as the catalog keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct DataKey {
    /// The key's number in the store: the header of every value sealed under it.
    pub number: u64,
    /// The KMS key it was generated under; none for the installation's own key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    /// KMS's ciphertext blob of the key (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped: Option<String>,
    /// The table name of its encryption context: the table's name when it was generated.
    pub context_table: String,
}

/// Keys of deleted tables, kept a while (key: the number, big-endian): their stream records
/// stay readable for the streams' retention after the table is gone.
const RETIRED: &str = "ddb.retired_keys";

/// How long the key of a deleted table is kept: past the 24 hours its stream is readable.
const RETIRED_FOR_MS: u64 = 25 * 3_600_000;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Retired {
    key: DataKey,
    since_ms: u64,
}

/// The prefixes of the store tables a table's data key seals (items, indexes, PITR log).
fn prefixes(table_id: &str) -> [String; 3] {
    [
        crate::schema::items_table(table_id),
        crate::indexes::index_table(table_id, ""),
        crate::pitr::log_table(table_id),
    ]
}

/// Every store table of `meta` that holds its values.
pub(crate) fn store_tables(meta: &TableMeta) -> Vec<String> {
    let mut out = vec![meta.items_table()];
    out.extend(meta.indexes().iter().map(|i| i.store_table.clone()));
    out.push(crate::pitr::log_table(&meta.table_id));
    out
}

/// Keeps the store's assignments in step with the catalog: called with a table's definition
/// before and after a change (`None`: no table).
pub(crate) fn sync(
    ctx: &mut WriteCtx<'_>,
    before: Option<&TableMeta>,
    after: Option<&TableMeta>,
) -> Result<(), StoreError> {
    let number = |m: Option<&TableMeta>| m.and_then(|m| m.data_key.as_ref()).map(|k| k.number);
    let same_table = before.map(|m| &m.table_id) == after.map(|m| &m.table_id);
    if same_table && number(before) == number(after) {
        return Ok(());
    }
    if let Some(b) = before.filter(|_| !same_table) {
        for p in prefixes(&b.table_id) {
            ctx.assign_data_key(&p, None)?;
        }
        if let Some(key) = &b.data_key {
            let retired = Retired {
                key: key.clone(),
                since_ms: ctx.now_ms(),
            };
            let bytes =
                serde_json::to_vec(&retired).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            ctx.insert(RETIRED, &key.number.to_be_bytes(), &bytes)?;
        }
    }
    if let Some(a) = after {
        for p in prefixes(&a.table_id) {
            ctx.assign_data_key(&p, number(after))?;
        }
    }
    Ok(())
}

/// The encryption context DynamoDB gives KMS for a table's key.
fn context(table: &str, account: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("aws:dynamodb:tableName".to_string(), table.to_string()),
        ("aws:dynamodb:subscriberId".to_string(), account.to_string()),
    ])
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// A number for a new key: random (64 bits: no two keys of an installation meet), never 0.
fn new_number() -> u64 {
    crate::ids::random_u64().max(1)
}

/// Where tables' data keys come from: KMS on DynamoDB's behalf, or the store key.
pub struct Keys {
    store: Store,
    kms: kms::Kms,
    account: String,
}

impl Keys {
    pub fn new(store: Store, account: String) -> Result<Keys, StoreError> {
        Ok(Keys {
            kms: kms::Kms::open(store.clone(), account.clone())?,
            store,
            account,
        })
    }

    /// A new data key for table `table` under `kms_key_arn` (`None`: the AWS owned key),
    /// already given to the store. `None` when the store encrypts nothing.
    pub(crate) async fn new_data_key(
        &self,
        table: &str,
        kms_key_arn: Option<&str>,
    ) -> Result<Option<DataKey>, DynamoError> {
        if let Some(arn) = kms_key_arn {
            // AWS creates its managed key when a table first uses it; it then shows in ListKeys
            // and its alias has a target, even where this store seals nothing (--in-memory).
            let region = crate::ids::region_of(arn);
            if arn.ends_with(&format!(
                ":key/{}",
                kms::managed_key_id(region, &self.account)
            )) {
                self.kms
                    .managed_key_arn(region)
                    .await
                    .map_err(|e| kms_failure(&e, arn))?;
            }
        }
        if self.store.key().is_none() {
            return Ok(None);
        }
        let number = new_number();
        let Some(arn) = kms_key_arn else {
            let key = DataKey {
                number,
                kms_key_arn: None,
                wrapped: None,
                context_table: table.to_string(),
            };
            self.unlock(&key)?;
            return Ok(Some(key));
        };
        let body = serde_json::json!({
            "KeyId": arn,
            "KeySpec": "AES_256",
            "EncryptionContext": context(table, &self.account),
        });
        let out = self
            .kms
            .call_via_service(
                "GenerateDataKey",
                body.to_string().as_bytes(),
                crate::ids::region_of(arn),
                "dynamodb",
            )
            .await
            .map_err(|e| kms_failure(&e, arn))?;
        let field = |name: &str| {
            out.get(name)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(DynamoError::internal)
        };
        let (plain, wrapped) = (field("Plaintext")?, field("CiphertextBlob")?);
        let secret: [u8; 32] = b64()
            .decode(plain)
            .ok()
            .and_then(|p| p.try_into().ok())
            .ok_or_else(DynamoError::internal)?;
        self.store
            .add_data_key(number, &secret)
            .map_err(|_| DynamoError::internal())?;
        Ok(Some(DataKey {
            number,
            kms_key_arn: Some(arn.to_string()),
            wrapped: Some(wrapped),
            context_table: table.to_string(),
        }))
    }

    /// Gives the store `key` if it does not hold it yet: unwrapped by KMS (Decrypt on
    /// DynamoDB's behalf), or derived for the AWS owned key. KMS's refusal is the request's.
    pub(crate) fn unlock(&self, key: &DataKey) -> Result<(), DynamoError> {
        if self.store.has_data_key(key.number) {
            return Ok(());
        }
        let secret = match (&key.kms_key_arn, &key.wrapped) {
            (Some(arn), Some(wrapped)) => {
                let blob = b64().decode(wrapped).map_err(|_| DynamoError::internal())?;
                let plain = self
                    .kms
                    .decrypt_via_service(
                        &blob,
                        &context(&key.context_table, &self.account),
                        crate::ids::region_of(arn),
                        "dynamodb",
                    )
                    .map_err(|e| kms_failure(&e, arn))?;
                plain.try_into().map_err(|_| DynamoError::internal())?
            }
            _ => self
                .store
                .installation_data_key(key.number)
                .ok_or_else(DynamoError::internal)?,
        };
        self.store
            .add_data_key(key.number, &secret)
            .map_err(|_| DynamoError::internal())
    }

    /// Gives the store every key `meta`'s values may be sealed under.
    pub(crate) fn unlock_table(&self, meta: &TableMeta) -> Result<(), DynamoError> {
        for key in meta.data_key.iter().chain(&meta.old_data_keys) {
            self.unlock(key)?;
        }
        Ok(())
    }

    /// Unwraps the data keys of every table at start-up; a table whose key KMS refuses stays
    /// sealed (its requests get KMS's refusal) until the key is usable again.
    pub fn unlock_tables(&self, catalog: &Catalog) {
        for meta in catalog.all() {
            if let Err(e) = self.unlock_table(&meta) {
                tracing::warn!(table = %meta.table_name, "the table's data key stays sealed: {}", e.message);
            }
        }
        for retired in self.retired().unwrap_or_default() {
            if let Err(e) = self.unlock(&retired.key) {
                tracing::warn!(table = %retired.key.context_table,
                    "the deleted table's data key stays sealed (its stream records with it): {}", e.message);
            }
        }
    }

    fn retired(&self) -> Result<Vec<Retired>, StoreError> {
        let mut out = Vec::new();
        self.store.read()?.scan(
            RETIRED,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            false,
            |_, v| {
                if let Ok(r) = serde_json::from_slice::<Retired>(v) {
                    out.push(r);
                }
                store::ScanControl::Continue
            },
        )?;
        Ok(out)
    }

    /// Forgets the keys of tables deleted longer ago than their streams are readable.
    pub(crate) async fn expire_retired(&self, now_ms: u64) -> Result<(), StoreError> {
        let expired: Vec<u64> = self
            .retired()?
            .into_iter()
            .filter(|r| now_ms.saturating_sub(r.since_ms) > RETIRED_FOR_MS)
            .map(|r| r.key.number)
            .collect();
        if expired.is_empty() {
            return Ok(());
        }
        let numbers = expired.clone();
        self.store
            .write(move |ctx| {
                for n in numbers {
                    ctx.remove(RETIRED, &n.to_be_bytes())?;
                }
                Ok(())
            })
            .await?;
        for n in expired {
            self.store.forget_data_key(n);
        }
        Ok(())
    }
}

/// What a request on a table gets when KMS refuses its key.
fn kms_failure(e: &kms::KmsError, arn: &str) -> DynamoError {
    use kms::KeyUse;
    let state = match e.code() {
        kms::ErrorCode::Disabled => KeyUse::Disabled,
        kms::ErrorCode::InvalidState => KeyUse::PendingDeletion,
        kms::ErrorCode::NotFound | kms::ErrorCode::AccessDenied => KeyUse::Missing,
        _ => {
            tracing::error!(
                key = arn,
                "KMS failed on a table's data key: {}",
                e.message()
            );
            return DynamoError::internal();
        }
    };
    crate::table_keys::refusal(state, arn).unwrap_or_else(DynamoError::internal)
}
