//! The AWS managed key for DynamoDB (`alias/aws/dynamodb`): AWS creates it in an account and
//! region the first time it is asked for (DescribeKey of the alias, or a table that chooses it
//! for SSE). KeyManager AWS, rotated every year, its policy AWS's.

use crate::clock::DAY_MILLIS;
use crate::crypto::SecretKey;
use crate::error::KmsError;
use crate::keys::{self, Scope};
use crate::model::{
    alias_key, dynamodb_policy, AliasRecord, KeyManager, KeyRecord, ALIASES, DEFAULT_ROTATION_DAYS,
    DYNAMODB_ALIAS, DYNAMODB_DESCRIPTION, KEYS,
};
use crate::Kms;

use super::new_backing;

pub(crate) async fn ensure_dynamodb_key(svc: &Kms, scope: &Scope) -> Result<KeyRecord, KmsError> {
    if let Some((_, key)) = keys::live_alias(&svc.store.read()?, scope, DYNAMODB_ALIAS)? {
        return Ok(key);
    }
    let candidate = svc.master_candidate()?;
    let material = SecretKey::random()?;
    let key_id = crate::managed_key_id(&scope.region, &scope.account);
    let scope = scope.clone();
    let (key, master) = svc
        .write(move |ctx| {
            // Another request may have created it since the snapshot.
            match keys::live_alias(ctx, &scope, DYNAMODB_ALIAS) {
                Ok(Some((_, key))) => {
                    let master = keys::ensure_master(ctx, &candidate)?;
                    return Ok(Ok((key, master)));
                }
                Ok(None) => {}
                Err(e) => return Ok(Err(e)),
            }
            let now = scope.now_ms;
            let mut key = KeyRecord::new(
                key_id,
                &scope.account,
                &scope.region,
                now,
                DYNAMODB_DESCRIPTION.to_string(),
                dynamodb_policy(&scope.region, &scope.account),
            );
            key.manager = KeyManager::Aws;
            key.service = Some("dynamodb".into());
            key.rotation_enabled = true;
            key.rotation_period_days = Some(DEFAULT_ROTATION_DAYS);
            key.next_rotation_ms = Some(now + u64::from(DEFAULT_ROTATION_DAYS) * DAY_MILLIS);
            let master = keys::ensure_master(ctx, &candidate)?;
            let backing = match new_backing(&master, &key.key_id, 1, &material, now, None) {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            key.push_backing(backing);
            let alias = AliasRecord::new(
                DYNAMODB_ALIAS,
                &scope.region,
                &scope.account,
                &key.key_id,
                now,
            );
            let (key_bytes, alias_bytes) = match (key.encode(), alias.encode()) {
                (Ok(k), Ok(a)) => (k, a),
                (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
            };
            ctx.insert(KEYS, key.key_id.as_bytes(), &key_bytes)?;
            ctx.insert(
                ALIASES,
                &alias_key(&scope.region, DYNAMODB_ALIAS),
                &alias_bytes,
            )?;
            tracing::info!(
                key_id = key.key_id,
                region = scope.region,
                "created the AWS managed key for DynamoDB"
            );
            Ok(Ok((key, master)))
        })
        .await?;
    svc.remember_master(&master);
    Ok(key)
}
