//! One module per operation family, and what they share: request decoding, key lookup with the
//! state and ownership checks AWS applies, paging, backing keys.

mod aliases;
mod create_key;
mod crypt;
mod data_key;
mod deletion;
mod describe;
pub mod grants;
mod key_state;
pub(crate) mod managed;
mod policy;
mod random;
mod rotation;
mod tags;

use std::collections::BTreeMap;

use base64::Engine;
use protocol::json::parse;
use serde::Deserialize;
use serde_json::Value as Json;

use crate::clock;
use crate::crypto::{self, SecretKey};
use crate::error::{ErrorCode, KmsError};
use crate::keys::{self, Ident, Scope};
use crate::model::{Backing, KeyManager, KeyRecord, KeyState, DYNAMODB_ALIAS, KEYS};
use crate::{Kms, Operation};

pub(crate) use crypt::open_blob;

pub(crate) async fn dispatch(
    svc: &Kms,
    op: Operation,
    body: &[u8],
    scope: Scope,
    via: Option<&str>,
) -> Result<Json, KmsError> {
    let c = Call { svc, scope, via };
    match op {
        Operation::CreateKey => create_key::handle(&c, parse(body)?).await,
        Operation::DescribeKey => describe::describe_key(&c, parse(body)?).await,
        Operation::ListKeys => describe::list_keys(&c, parse(body)?),
        Operation::GetKeyPolicy => policy::get(&c, parse(body)?),
        Operation::PutKeyPolicy => policy::put(&c, parse(body)?).await,
        Operation::ListKeyPolicies => policy::list(&c, parse(body)?),
        Operation::EnableKeyRotation => rotation::enable(&c, parse(body)?).await,
        Operation::DisableKeyRotation => rotation::disable(&c, parse(body)?).await,
        Operation::GetKeyRotationStatus => rotation::status(&c, parse(body)?).await,
        Operation::RotateKeyOnDemand => rotation::on_demand(&c, parse(body)?).await,
        Operation::ListKeyRotations => rotation::list(&c, parse(body)?),
        Operation::EnableKey => key_state::enable(&c, parse(body)?).await,
        Operation::DisableKey => key_state::disable(&c, parse(body)?).await,
        Operation::UpdateKeyDescription => key_state::describe(&c, parse(body)?).await,
        Operation::CreateAlias => aliases::create(&c, parse(body)?).await,
        Operation::DeleteAlias => aliases::delete(&c, parse(body)?).await,
        Operation::UpdateAlias => aliases::update(&c, parse(body)?).await,
        Operation::ListAliases => aliases::list(&c, parse(body)?),
        Operation::TagResource => tags::tag(&c, parse(body)?).await,
        Operation::UntagResource => tags::untag(&c, parse(body)?).await,
        Operation::ListResourceTags => tags::list(&c, parse(body)?),
        Operation::ScheduleKeyDeletion => deletion::schedule(&c, parse(body)?).await,
        Operation::CancelKeyDeletion => deletion::cancel(&c, parse(body)?).await,
        Operation::Encrypt => crypt::encrypt(&c, parse(body)?).await,
        Operation::Decrypt => crypt::decrypt(&c, parse(body)?).await,
        Operation::ReEncrypt => crypt::re_encrypt(&c, parse(body)?).await,
        Operation::GenerateDataKey => data_key::handle(&c, parse(body)?, true).await,
        Operation::GenerateDataKeyWithoutPlaintext => {
            data_key::handle(&c, parse(body)?, false).await
        }
        Operation::GenerateRandom => random::handle(parse(body)?),
        Operation::CreateGrant => grants::create(&c, parse(body)?).await,
        Operation::ListGrants => grants::list(&c, parse(body)?),
        Operation::RevokeGrant => grants::revoke(&c, parse(body)?).await,
        Operation::RetireGrant => grants::retire(&c, parse(body)?).await,
    }
}

/// The ARN of the key holding the grant `token`, if any (RetireGrant by token alone).
pub(crate) fn key_of_grant_token(c: &Call<'_>, token: &str) -> Result<Option<String>, KmsError> {
    let keys = keys::keys_in_region(&c.svc.store.read()?, &c.scope)?;
    Ok(keys
        .into_iter()
        .find(|k| k.grants.iter().any(|g| g.token == token))
        .map(|k| k.arn()))
}

/// One request: the service, who asks, and through which AWS service (if any).
pub(crate) struct Call<'a> {
    pub(crate) svc: &'a Kms,
    pub(crate) scope: Scope,
    pub(crate) via: Option<&'a str>,
}

/// A blob member (base64 on the wire).
fn blob(value: Option<&str>) -> Result<Option<Vec<u8>>, KmsError> {
    value
        .map(|v| {
            base64::engine::general_purpose::STANDARD
                .decode(v)
                .map_err(|_| {
                    KmsError::new(
                        ErrorCode::Serialization,
                        "Base64 encoded value is not valid",
                    )
                })
        })
        .transpose()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A `Tag` of the wire.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Tag {
    pub(crate) tag_key: Option<String>,
    pub(crate) tag_value: Option<String>,
}

pub(crate) type Context = BTreeMap<String, String>;

/// Error for a key that is not Enabled when the operation needs it to be.
pub(crate) fn require_enabled(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::new(
            ErrorCode::Disabled,
            format!("{} is disabled.", key.arn()),
        )),
        KeyState::PendingDeletion => Err(pending_deletion(key)),
    }
}

pub(crate) fn require_not_pending(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::PendingDeletion => Err(pending_deletion(key)),
        _ => Ok(()),
    }
}

fn pending_deletion(key: &KeyRecord) -> KmsError {
    KmsError::new(
        ErrorCode::InvalidState,
        format!("{} is pending deletion.", key.arn()),
    )
}

/// AWS managed keys are AWS's: their policy lets the account read them and lets the owning
/// service use them, nothing else. What the policy does not allow is AccessDenied.
pub(crate) fn check_access(c: &Call<'_>, key: &KeyRecord, op: Operation) -> Result<(), KmsError> {
    if key.manager == KeyManager::Customer {
        return Ok(());
    }
    let read_only = matches!(
        op,
        Operation::DescribeKey
            | Operation::GetKeyPolicy
            | Operation::ListKeyPolicies
            | Operation::GetKeyRotationStatus
            | Operation::ListKeyRotations
            | Operation::ListResourceTags
            | Operation::ListAliases
    );
    let crypto = matches!(
        op,
        Operation::Encrypt
            | Operation::Decrypt
            | Operation::ReEncrypt
            | Operation::GenerateDataKey
            | Operation::GenerateDataKeyWithoutPlaintext
    );
    if read_only || (crypto && c.via.is_some() && c.via == key.service.as_deref()) {
        return Ok(());
    }
    let action = op.iam_action();
    Err(KmsError::new(
        ErrorCode::AccessDenied,
        format!(
            "User: arn:{}:iam::{}:root is not authorized to perform: {action} on resource: {} \
             because no resource-based policy allows the {action} action",
            crate::model::partition(&c.scope.region),
            c.scope.account,
            key.arn()
        ),
    ))
}

/// The key a KeyId parameter names, from a snapshot. Naming `alias/aws/dynamodb` creates that
/// AWS managed key on first use, as AWS does.
pub(crate) async fn find_key(
    c: &Call<'_>,
    raw: &str,
    allow_alias: bool,
) -> Result<KeyRecord, KmsError> {
    let ident = keys::parse_ident(&c.scope, raw, allow_alias)?;
    let managed_id = crate::managed_key_id(&c.scope.region, &c.scope.account);
    let names_managed = match &ident {
        Ident::Alias { name } => name == DYNAMODB_ALIAS,
        Ident::Key { id, .. } => *id == managed_id,
    };
    if names_managed {
        return managed::ensure_dynamodb_key(c.svc, &c.scope).await;
    }
    keys::resolve(&c.svc.store.read()?, &c.scope, &ident)
}

/// Changes one key (named by key id or key ARN) in one write job: `change` checks (and may
/// refuse) before anything is written, then the record is stored.
pub(crate) async fn update_key<F>(
    c: &Call<'_>,
    raw: &str,
    op: Operation,
    change: F,
) -> Result<Json, KmsError>
where
    F: FnOnce(&mut KeyRecord, &Scope) -> Result<Json, KmsError> + Send + 'static,
{
    let ident = keys::parse_ident(&c.scope, raw, false)?;
    // The access check needs the request's view (which service it comes through); the key's
    // manager never changes, so checking it on a snapshot first is sound.
    let before = keys::resolve(&c.svc.store.read()?, &c.scope, &ident)?;
    check_access(c, &before, op)?;
    let scope = c.scope.clone();
    c.svc
        .write(move |ctx| {
            let mut key = match keys::resolve(ctx, &scope, &ident) {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            };
            let out = match change(&mut key, &scope) {
                Ok(out) => out,
                Err(e) => return Ok(Err(e)),
            };
            let bytes = match key.encode() {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            ctx.insert(KEYS, key.key_id.as_bytes(), &bytes)?;
            Ok(Ok(out))
        })
        .await
}

/// A new backing key for `key_id`: random material, stored only wrapped.
pub(crate) fn new_backing(
    master: &SecretKey,
    key_id: &str,
    version: u32,
    material: &SecretKey,
    now_ms: u64,
    rotation_type: Option<&str>,
) -> Result<Backing, KmsError> {
    let wrapped = crypto::wrap(master, key_id, version, material)?;
    Ok(Backing {
        version,
        material_id: clock::hex(&clock::random_bytes(32)?),
        wrapped: b64(&wrapped),
        created_ms: now_ms,
        rotation_type: rotation_type.map(str::to_string),
    })
}

/// The plain backing key of one version, unwrapped in memory for one operation.
pub(crate) fn material(svc: &Kms, key: &KeyRecord, version: u32) -> Result<SecretKey, KmsError> {
    let backing = key
        .backing(version)
        .ok_or_else(KmsError::invalid_ciphertext)?;
    let master = svc.master()?;
    crypto::unwrap(&master, &key.key_id, version, &backing.wrapped_bytes()?).ok_or_else(|| {
        tracing::error!(
            key_id = key.key_id,
            version,
            "a backing key does not unwrap"
        );
        KmsError::internal()
    })
}

/// Performs the automatic rotation of a key whose rotation date has passed (one write job),
/// and returns the key as it now is.
pub(crate) async fn rotate_if_due(c: &Call<'_>, key: KeyRecord) -> Result<KeyRecord, KmsError> {
    if !key.rotation_due(c.scope.now_ms) {
        return Ok(key);
    }
    let master = c.svc.master()?;
    let material = SecretKey::random()?;
    let scope = c.scope.clone();
    let key_id = key.key_id.clone();
    c.svc
        .write(move |ctx| {
            let mut key = match keys::live_key(ctx, &scope, &key_id) {
                Ok(Some(k)) => k,
                Ok(None) => {
                    return Ok(Err(KmsError::not_found(format!(
                        "Key '{}' does not exist",
                        scope.key_arn(&key_id)
                    ))))
                }
                Err(e) => return Ok(Err(e)),
            };
            if !key.rotation_due(scope.now_ms) {
                return Ok(Ok(key));
            }
            let version = key.next_version();
            let backing = match new_backing(
                &master,
                &key.key_id,
                version,
                &material,
                scope.now_ms,
                Some("AUTOMATIC"),
            ) {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            key.push_backing(backing);
            let period = key.period_ms().max(1);
            let mut next = key.next_rotation_ms.unwrap_or(scope.now_ms);
            while next <= scope.now_ms {
                next += period;
            }
            key.next_rotation_ms = Some(next);
            let bytes = match key.encode() {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            ctx.insert(KEYS, key.key_id.as_bytes(), &bytes)?;
            tracing::info!(
                key_id = key.key_id,
                version,
                "rotated a KMS key (automatic)"
            );
            Ok(Ok(key))
        })
        .await
}

/// One page of a sorted list. The marker is the sort key of the first item of the next page.
pub(crate) fn page<T>(
    items: Vec<T>,
    sort_key: impl Fn(&T) -> String,
    marker: Option<&str>,
    limit: usize,
) -> (Vec<T>, Option<String>) {
    let mut rest: Vec<T> = match marker {
        Some(m) => items
            .into_iter()
            .filter(|i| sort_key(i).as_str() >= m)
            .collect(),
        None => items,
    };
    if rest.len() > limit {
        let tail = rest.split_off(limit);
        let next = tail.first().map(&sort_key);
        (rest, next)
    } else {
        (rest, None)
    }
}

/// `{"<member>": [...], "Truncated": bool, "NextMarker": ...}`.
pub(crate) fn paged(member: &str, items: Vec<Json>, next: Option<String>) -> Json {
    let mut m = serde_json::Map::new();
    m.insert(member.into(), Json::Array(items));
    if let Some(n) = next {
        m.insert("NextMarker".into(), n.into());
        m.insert("Truncated".into(), true.into());
    } else {
        m.insert("Truncated".into(), false.into());
    }
    Json::Object(m)
}

/// The key a List operation on one key (`KeyId`, `Limit`, `Marker`) reads, validated and
/// access-checked.
pub(crate) fn listed_key(
    c: &Call<'_>,
    key_id: Option<&str>,
    limit: Option<i64>,
    marker: Option<&str>,
    op: Operation,
) -> Result<KeyRecord, KmsError> {
    let mut cons = crate::error::Constraints::default();
    cons.string(key_id, "keyId", 1, 2048);
    paging_constraints(&mut cons, limit, marker);
    cons.into_result()?;
    let ident = keys::parse_ident(&c.scope, key_id.unwrap_or_default(), false)?;
    let key = keys::resolve(&c.svc.store.read()?, &c.scope, &ident)?;
    check_access(c, &key, op)?;
    Ok(key)
}

/// Limit and Marker as every List operation validates them.
pub(crate) fn paging_constraints(
    cons: &mut crate::error::Constraints,
    limit: Option<i64>,
    marker: Option<&str>,
) {
    cons.range(limit, "limit", 1, 1000);
    if let Some(m) = marker {
        cons.length(m, "marker", 1, 1024);
    }
}
