//! A table's KMS key, as DynamoDB uses it: before a request reads or writes a table encrypted
//! with a KMS key (its customer managed key, or the AWS managed key), the key must be usable.
//! A disabled key or one pending deletion fails the request with the error AWS wraps around
//! KMS's, a missing one with AccessDeniedException. The AWS managed key, which no one can
//! disable, is always usable.
//!
//! The `table-keys` worker checks the keys of every such table every five minutes: a table
//! whose key has been unusable for ten minutes becomes INACCESSIBLE_ENCRYPTION_CREDENTIALS,
//! with `SSEDescription.InaccessibleEncryptionDateTime` the time it was detected (AWS's checks
//! took 13 to 75 minutes to flip a table; docs/research), and ACTIVE again at the first check
//! that finds the key usable.
//!
//! As on AWS, a table's key found usable answers its requests for five minutes before KMS is
//! asked again: requests keep working that long after the key is disabled. A refusal is
//! remembered for a second, so a key enabled again serves at once. The table's data key is
//! unwrapped through KMS (`data_keys`) when a request first needs it.
//!
//! Differences from AWS: archival after seven days inaccessible is not done.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kms::KeyUse;
use store::{Store, StoreError};
use worker::{Next, StepFuture, Worker};

use crate::catalog::Catalog;
use crate::error::{DynamoError, ErrorCode};
use crate::schema::TableMeta;

/// How long a key found usable answers requests without asking KMS (installation clock, ms).
const USABLE_FOR_MS: u64 = 5 * 60_000;
/// How long a key found unusable is refused without asking KMS again.
const REFUSED_FOR_MS: u64 = 1_000;
/// How often the worker checks every table's key.
const CHECK_EVERY_MS: u64 = 5 * 60_000;
/// How long a key must stay unusable before its tables become inaccessible.
const GRACE_MS: u64 = 10 * 60_000;

/// Key states recently read, by key ARN, with when they were read.
#[derive(Default)]
pub struct KeyCache(Mutex<HashMap<String, (KeyUse, u64)>>);

impl KeyCache {
    fn get(&self, store: &Store, arn: &str) -> Result<KeyUse, StoreError> {
        let now = store.clock().now_ms();
        if let Ok(cache) = self.0.lock() {
            if let Some((state, at)) = cache.get(arn) {
                let lasts = match state {
                    KeyUse::Usable => USABLE_FOR_MS,
                    _ => REFUSED_FOR_MS,
                };
                if now.saturating_sub(*at) < lasts && *at <= now {
                    return Ok(*state);
                }
            }
        }
        // The AWS managed key, which no one can disable, is not looked up.
        let state = if is_managed(arn) {
            KeyUse::Usable
        } else {
            kms::key_use(&store.read()?, arn, now)?
        };
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(arn.to_string(), (state, now));
        }
        Ok(state)
    }
}

/// Whether `arn` is the AWS managed key of DynamoDB in its region and account.
pub(crate) fn is_managed(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        [_, _, "kms", region, account, resource] => {
            *resource == format!("key/{}", kms::managed_key_id(region, account))
                || *resource == "alias/aws/dynamodb"
        }
        _ => false,
    }
}

/// The error CreateTable, UpdateTable or a restore gets when the key it was given cannot be
/// used.
pub(crate) fn kms_refusal(problem: &kms::KeyProblem) -> DynamoError {
    let request = uuid::Uuid::new_v4();
    match problem {
        kms::KeyProblem::NotFound(message) => DynamoError::validation(format!(
            "KMS validation error: com.amazonaws.services.kms.model.NotFoundException: {message} \
             (Service: AWSKMS; Status Code: 400; Error Code: NotFoundException; Request ID: \
             {request}; Proxy: null)"
        )),
        kms::KeyProblem::Disabled(arn) => {
            refusal(KeyUse::Disabled, arn).unwrap_or_else(DynamoError::internal)
        }
        kms::KeyProblem::PendingDeletion(arn) => {
            refusal(KeyUse::PendingDeletion, arn).unwrap_or_else(DynamoError::internal)
        }
    }
}

/// The error a request on a table gets when its key is `state`, or `None` if usable.
pub(crate) fn refusal(state: KeyUse, arn: &str) -> Option<DynamoError> {
    if state == KeyUse::Usable {
        return None;
    }
    let request = uuid::Uuid::new_v4();
    match state {
        KeyUse::Usable => None,
        KeyUse::Disabled => Some(DynamoError::validation(format!(
            "KMS key disabled error: com.amazonaws.services.kms.model.DisabledException: {arn} \
             is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException; \
             Request ID: {request}; Proxy: null)"
        ))),
        KeyUse::PendingDeletion => Some(DynamoError::validation(format!(
            "KMS validation error: com.amazonaws.services.kms.model.KMSInvalidStateException: \
             {arn} is pending deletion. (Service: AWSKMS; Status Code: 400; Error Code: \
             KMSInvalidStateException; Request ID: {request}; Proxy: null)"
        ))),
        KeyUse::Missing => Some(DynamoError::new(
            ErrorCode::AccessDenied,
            format!(
                "KMS key access denied error: com.amazonaws.services.kms.model.AWSKMSException: \
                 The ciphertext refers to a customer master key that does not exist, does not \
                 exist in this region, or you are not allowed to access. (Service: AWSKMS; \
                 Status Code: 400; Error Code: AccessDeniedException; Request ID: {request}; \
                 Proxy: null)"
            ),
        )),
    }
}

impl crate::Dynamo {
    /// Refuses a request on `meta` whose KMS key cannot be used now.
    pub(crate) fn check_table_key(&self, meta: &TableMeta) -> Result<(), DynamoError> {
        if let Some(sse) = &meta.sse {
            let arn = &sse.kms_master_key_arn;
            let state = self.table_keys.get(&self.store, arn).map_err(|e| {
                tracing::error!(table = %meta.table_name, "reading its KMS key: {e}");
                DynamoError::internal()
            })?;
            if let Some(refused) = refusal(state, arn) {
                return Err(refused);
            }
        }
        self.keys.unlock_table(meta)
    }
}

/// The `table-keys` worker: marks tables whose key stayed unusable inaccessible, and clears
/// the mark once the key is usable again; forgets the data keys of tables deleted more than a
/// day ago.
pub struct Watcher {
    store: Store,
    catalog: Arc<Catalog>,
    keys: Arc<crate::data_keys::Keys>,
}

impl Watcher {
    pub fn new(store: Store, catalog: Arc<Catalog>, keys: Arc<crate::data_keys::Keys>) -> Watcher {
        Watcher {
            store,
            catalog,
            keys,
        }
    }

    async fn check(&self, now: u64) -> Result<Next, StoreError> {
        self.keys.expire_retired(now).await?;
        for meta in self.catalog.all() {
            let Some(sse) = &meta.sse else { continue };
            if is_managed(&sse.kms_master_key_arn) {
                continue;
            }
            let usable =
                kms::key_use(&self.store.read()?, &sse.kms_master_key_arn, now)? == KeyUse::Usable;
            let (seen, inaccessible) = (sse.unusable_since_ms, sse.inaccessible_ms);
            let next = match (usable, seen) {
                (true, _) => (None, None),
                (false, None) => (Some(now), None),
                (false, Some(since)) if now >= since + GRACE_MS => {
                    (Some(since), inaccessible.or(Some(now)))
                }
                (false, Some(since)) => (Some(since), None),
            };
            if next == (seen, inaccessible) {
                continue;
            }
            let (catalog, region, name) = (
                self.catalog.clone(),
                meta.region().to_string(),
                meta.table_name.clone(),
            );
            self.store
                .write(move |ctx| {
                    // The table as it is now: a request may have changed it since.
                    let Some(current) = catalog.get(&region, &name) else {
                        return Ok(());
                    };
                    let mut updated = (*current).clone();
                    if let Some(sse) = &mut updated.sse {
                        (sse.unusable_since_ms, sse.inaccessible_ms) = next;
                    }
                    catalog.put(ctx, updated)?;
                    Ok(())
                })
                .await?;
            if next.1.is_some() && inaccessible.is_none() {
                tracing::warn!(table = %meta.table_name, key = %sse.kms_master_key_arn,
                    "the table's KMS key has been unusable for 10 minutes: INACCESSIBLE_ENCRYPTION_CREDENTIALS");
            }
        }
        // With no table on a customer key the check is a walk of the catalog in memory: cheap
        // enough not to need waking by the tables created meanwhile.
        Ok(Next::At(now + CHECK_EVERY_MS))
    }
}

impl Worker for Watcher {
    fn name(&self) -> String {
        "table-keys".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.check(now).await.map_err(|e| e.to_string()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aws_managed_key_is_always_usable_and_others_are_checked() {
        let managed = format!(
            "arn:aws:kms:us-east-1:000000000000:key/{}",
            kms::managed_key_id("us-east-1", "000000000000")
        );
        assert!(is_managed(&managed));
        assert!(is_managed(
            "arn:aws:kms:us-east-1:000000000000:alias/aws/dynamodb"
        ));
        assert!(!is_managed(
            "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        let arn = "arn:aws:kms:us-east-1:000000000000:key/k";
        assert!(refusal(KeyUse::Usable, arn).is_none());
        let disabled = refusal(KeyUse::Disabled, arn)
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(disabled.starts_with(&format!(
            "KMS key disabled error: com.amazonaws.services.kms.model.DisabledException: {arn} is disabled."
        )));
    }
}
