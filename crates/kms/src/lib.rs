//! The KMS service (AWS Key Management Service, `TrentService`, awsJson 1.1): symmetric
//! encryption keys with real AES-256-GCM, aliases, key policies, tags, rotation and scheduled
//! deletion, persisted in the store. One module per operation family under `ops/`.
//!
//! Architecture invariants:
//! - Key material never leaves this crate in plain text and is never stored in plain text:
//!   every backing key is stored wrapped (AES-256-GCM) under the installation master key
//!   (`crypto`). The master key itself sits in the store (`kms.meta`): a local root of trust,
//!   not an HSM.
//! - Every change is one store write job that resolves the key inside the job, checks, then
//!   writes (check first, write last), so concurrent requests cannot interleave between a
//!   check and its write. Reads use a snapshot.
//! - Keys and aliases are regional, as on AWS: a key created in one region is not found from
//!   another, and its ARN names its region.
//! - Time-driven changes happen lazily and durably: a key past its deletion date is treated as
//!   gone by every read and purged (with its aliases) by the next CreateKey; a key whose
//!   automatic rotation is due rotates (one write job) before it next encrypts.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod authorization;
mod clock;
mod crypto;
pub mod error;
mod keys;
mod model;
pub(crate) mod ops;
mod usability;

use std::sync::RwLock;

pub use authorization::KeyPolicy;
pub use error::{ErrorCode, KmsError};
pub use ops::grants::Grant;
pub use usability::{key_use, resolve_key, KeyProblem, KeyUse};

/// The key id of the AWS managed key `alias/aws/dynamodb` in one account and region. It is
/// derived, not drawn, so DynamoDB can name the key in a table's SSEDescription before anyone has
/// asked KMS for it; KMS creates the key under this id on first use.
pub fn managed_key_id(region: &str, account: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut words = [0u64; 2];
    for (i, w) in words.iter_mut().enumerate() {
        // Fixed keys: the id must be the same in every run and every build.
        #[allow(deprecated)]
        let mut h = std::hash::SipHasher::new_with_keys(0x6479_6e6f, i as u64);
        (region, account, "aws/dynamodb").hash(&mut h);
        *w = h.finish();
    }
    let hex = format!("{:016x}{:016x}", words[0], words[1]);
    let s = |a: usize, b: usize| hex.get(a..b).unwrap_or("0");
    format!(
        "{}-{}-{}-{}-{}",
        s(0, 8),
        s(8, 12),
        s(12, 16),
        s(16, 20),
        s(20, 32)
    )
}
use store::{Store, StoreError, WriteCtx};

use crate::crypto::SecretKey;
use crate::keys::Scope;

/// The KMS service over one store.
pub struct Kms {
    pub(crate) store: Store,
    pub(crate) account: String,
    /// The master key once known (read at open, or stored by the first key's creation).
    master: RwLock<Option<SecretKey>>,
}

impl Kms {
    /// `account_id` is the installation's account; keys live in the store (tables `kms.*`).
    pub fn open(store: Store, account_id: String) -> Result<Kms, StoreError> {
        let master = keys::stored_master(&store.read()?)?;
        Ok(Kms {
            store,
            account: account_id,
            master: RwLock::new(master),
        })
    }

    /// Runs one operation: `op` is the part of `X-Amz-Target` after `TrentService.`, `body` the
    /// awsJson 1.1 request body, `region` the request's SigV4 region.
    pub async fn call(
        &self,
        op: &str,
        body: &[u8],
        region: &str,
    ) -> Result<serde_json::Value, KmsError> {
        let op = Operation::from_name(op)
            .ok_or_else(|| KmsError::new(ErrorCode::UnknownOperation, ""))?;
        ops::dispatch(self, op, body, self.scope(region), None).await
    }

    /// As [`Kms::call`], for a request an AWS service makes on a caller's behalf (the
    /// `kms:ViaService` of AWS's key policies): the AWS managed key of that service may then be
    /// used for cryptographic operations, which a direct call may not. `service` is e.g.
    /// `"dynamodb"`.
    pub async fn call_via_service(
        &self,
        op: &str,
        body: &[u8],
        region: &str,
        service: &str,
    ) -> Result<serde_json::Value, KmsError> {
        let op = Operation::from_name(op)
            .ok_or_else(|| KmsError::new(ErrorCode::UnknownOperation, ""))?;
        ops::dispatch(self, op, body, self.scope(region), Some(service)).await
    }

    /// Decrypt of a data key's blob, by a service on a caller's behalf (as
    /// [`Kms::call_via_service`]), without waiting: what a service does on the path of a
    /// request to unwrap the key of what the request reads. Returns the plaintext.
    pub fn decrypt_via_service(
        &self,
        blob: &[u8],
        context: &std::collections::BTreeMap<String, String>,
        region: &str,
        service: &str,
    ) -> Result<Vec<u8>, KmsError> {
        let c = ops::Call {
            svc: self,
            scope: self.scope(region),
            via: Some(service),
        };
        ops::open_blob(&c, blob, Operation::Decrypt, context).map(|(_, plain, _)| plain)
    }

    /// The ARN of the AWS managed key for DynamoDB (`alias/aws/dynamodb`) in `region`, created
    /// on first use as AWS does.
    pub async fn managed_key_arn(&self, region: &str) -> Result<String, KmsError> {
        let key = ops::managed::ensure_dynamodb_key(self, &self.scope(region)).await?;
        Ok(key.arn())
    }

    pub(crate) fn scope(&self, region: &str) -> Scope {
        Scope {
            account: self.account.clone(),
            region: region.to_string(),
            now_ms: self.store.clock().now_ms(),
        }
    }

    /// Runs a write job whose checks may refuse (inner error) and whose storage may fail
    /// (outer error). A refusing job must not have written anything.
    pub(crate) async fn write<T, F>(&self, job: F) -> Result<T, KmsError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<Result<T, KmsError>, StoreError> + Send + 'static,
    {
        self.store.write(job).await?
    }

    /// The master key, for unwrapping.
    pub(crate) fn master(&self) -> Result<SecretKey, KmsError> {
        if let Ok(guard) = self.master.read() {
            if let Some(m) = guard.as_ref() {
                return Ok(m.clone());
            }
        }
        let stored = keys::stored_master(&self.store.read()?)?;
        match stored {
            Some(m) => {
                self.remember_master(&m);
                Ok(m)
            }
            None => {
                tracing::error!("a KMS key exists but the master key does not");
                Err(KmsError::internal())
            }
        }
    }

    /// A master key to offer a write job that may need to store the first one.
    pub(crate) fn master_candidate(&self) -> Result<SecretKey, KmsError> {
        if let Ok(guard) = self.master.read() {
            if let Some(m) = guard.as_ref() {
                return Ok(m.clone());
            }
        }
        SecretKey::random()
    }

    pub(crate) fn remember_master(&self, m: &SecretKey) {
        if let Ok(mut guard) = self.master.write() {
            if guard.is_none() {
                *guard = Some(m.clone());
            }
        }
    }
}

protocol::operations!(
    "kms";
    CreateKey,
    DescribeKey,
    ListKeys,
    GetKeyPolicy,
    PutKeyPolicy,
    ListKeyPolicies,
    EnableKeyRotation,
    DisableKeyRotation,
    GetKeyRotationStatus,
    RotateKeyOnDemand,
    ListKeyRotations,
    EnableKey,
    DisableKey,
    UpdateKeyDescription,
    CreateAlias,
    DeleteAlias,
    UpdateAlias,
    ListAliases,
    TagResource,
    UntagResource,
    ListResourceTags,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    Encrypt,
    Decrypt,
    GenerateDataKey,
    GenerateDataKeyWithoutPlaintext,
    ReEncrypt,
    GenerateRandom,
    CreateGrant,
    ListGrants,
    RevokeGrant,
    RetireGrant,
);

/// The `X-Amz-Target` prefix of KMS.
pub const TARGET_PREFIX: &str = "TrentService";

#[cfg(test)]
mod tests;

impl protocol::Service for Kms {
    type Operation = Operation;
    type Output = serde_json::Value;
    type Error = KmsError;

    fn operation(&self, req: &protocol::Request<'_>) -> Result<Operation, KmsError> {
        Operation::from_name(req.name.unwrap_or_default())
            .ok_or_else(|| KmsError::new(ErrorCode::UnknownOperation, ""))
    }

    async fn call<'a>(
        &'a self,
        op: Operation,
        req: &'a protocol::Request<'a>,
    ) -> Result<serde_json::Value, KmsError> {
        ops::dispatch(self, op, req.body, self.scope(req.region), None).await
    }
}
