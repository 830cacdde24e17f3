//! Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations. A rotation adds a backing key version; new ciphertexts
//! use the newest, old ones name their version and still decrypt.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::clock::{epoch_seconds, DAY_MILLIS};
use crate::crypto::SecretKey;
use crate::error::{Constraints, ErrorCode, KmsError};
use crate::keys;
use crate::model::{KeyManager, KeyState, DEFAULT_ROTATION_DAYS, ON_DEMAND_ROTATION_LIMIT};
use crate::Operation;

use super::{
    check_access, new_backing, page, paged, paging_constraints, require_enabled, rotate_if_due,
    update_key, Call,
};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EnableKeyRotation {
    key_id: Option<String>,
    rotation_period_in_days: Option<i64>,
}

pub(crate) async fn enable(c: &Call<'_>, req: EnableKeyRotation) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.range(
        req.rotation_period_in_days,
        "rotationPeriodInDays",
        90,
        2560,
    );
    cons.into_result()?;
    let period = req.rotation_period_in_days.map(|d| d as u32);
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, Operation::EnableKeyRotation, move |key, scope| {
        require_enabled(key)?;
        let days = period
            .or(key.rotation_period_days)
            .unwrap_or(DEFAULT_ROTATION_DAYS);
        let next = match (key.rotation_enabled, key.next_rotation_ms) {
            // Already on: a new period counts from the start of the current one.
            (true, Some(next)) => {
                let started = next.saturating_sub(key.period_ms());
                started + u64::from(days) * DAY_MILLIS
            }
            _ => scope.now_ms + u64::from(days) * DAY_MILLIS,
        };
        key.rotation_enabled = true;
        key.rotation_period_days = Some(days);
        key.next_rotation_ms = Some(next);
        Ok(json!({}))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyOnly {
    key_id: Option<String>,
}

pub(crate) async fn disable(c: &Call<'_>, req: KeyOnly) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.into_result()?;
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, Operation::DisableKeyRotation, move |key, _| {
        require_enabled(key)?;
        key.rotation_enabled = false;
        key.next_rotation_ms = None;
        Ok(json!({}))
    })
    .await
}

pub(crate) async fn status(c: &Call<'_>, req: KeyOnly) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.into_result()?;
    let ident = keys::parse_ident(&c.scope, req.key_id.as_deref().unwrap_or_default(), false)?;
    let key = keys::resolve(&c.svc.store.read()?, &c.scope, &ident)?;
    check_access(c, &key, Operation::GetKeyRotationStatus)?;
    let key = rotate_if_due(c, key).await?;
    // While a key is pending deletion its rotation status reads false; cancelling the
    // deletion brings the stored status back.
    let enabled = key.rotation_enabled && key.state != KeyState::PendingDeletion;
    let mut out = serde_json::Map::new();
    out.insert("KeyRotationEnabled".into(), enabled.into());
    out.insert("KeyId".into(), key.arn().into());
    if enabled {
        out.insert(
            "RotationPeriodInDays".into(),
            key.rotation_period_days
                .unwrap_or(DEFAULT_ROTATION_DAYS)
                .into(),
        );
        if let Some(next) = key.next_rotation_ms {
            out.insert("NextRotationDate".into(), json!(epoch_seconds(next)));
        }
    }
    Ok(Json::Object(out))
}

pub(crate) async fn on_demand(c: &Call<'_>, req: KeyOnly) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.into_result()?;
    let raw = req.key_id.unwrap_or_default();
    // A key exists, so the master key does: needed to wrap the new backing key.
    let ident = keys::parse_ident(&c.scope, &raw, false)?;
    keys::resolve(&c.svc.store.read()?, &c.scope, &ident)?;
    let master = c.svc.master()?;
    let material = SecretKey::random()?;
    update_key(c, &raw, Operation::RotateKeyOnDemand, move |key, scope| {
        require_enabled(key)?;
        if key.manager == KeyManager::Aws {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperation,
                format!("{} is an AWS managed key", key.arn()),
            ));
        }
        if key.on_demand_rotations >= ON_DEMAND_ROTATION_LIMIT {
            return Err(KmsError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "The on-demand rotations limit has been reached for the given keyId. \
                     No more on-demand rotations can be performed for this key: {}",
                    key.arn()
                ),
            ));
        }
        let version = key.next_version();
        let backing = new_backing(
            &master,
            &key.key_id,
            version,
            &material,
            scope.now_ms,
            Some("ON_DEMAND"),
        )?;
        key.push_backing(backing);
        key.on_demand_rotations += 1;
        tracing::info!(
            key_id = key.key_id,
            version,
            "rotated a KMS key (on demand)"
        );
        Ok(json!({ "KeyId": key.arn() }))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyRotations {
    key_id: Option<String>,
    include_key_material: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) fn list(c: &Call<'_>, req: ListKeyRotations) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.one_of(
        req.include_key_material.as_deref(),
        "includeKeyMaterial",
        &["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"],
    );
    paging_constraints(&mut cons, req.limit, req.marker.as_deref());
    cons.into_result()?;
    let ident = keys::parse_ident(&c.scope, req.key_id.as_deref().unwrap_or_default(), false)?;
    let key = keys::resolve(&c.svc.store.read()?, &c.scope, &ident)?;
    check_access(c, &key, Operation::ListKeyRotations)?;
    let all = req.include_key_material.as_deref() == Some("ALL_KEY_MATERIAL");
    let current = key.current().map(|b| b.version);
    let mut backing: Vec<_> = key
        .backing
        .iter()
        .filter(|b| all || b.rotation_type.is_some())
        .collect();
    backing.sort_by_key(|b| b.version);
    let (items, next) = page(
        backing,
        |b| format!("{:010}", b.version),
        req.marker.as_deref(),
        req.limit.map_or(100, |l| l as usize),
    );
    let items = items
        .into_iter()
        .map(|b| {
            let mut e = serde_json::Map::new();
            e.insert("KeyId".into(), key.key_id.clone().into());
            e.insert("KeyMaterialId".into(), b.material_id.clone().into());
            let state = if Some(b.version) == current {
                "CURRENT"
            } else {
                "NON_CURRENT"
            };
            e.insert("KeyMaterialState".into(), state.into());
            if let Some(t) = &b.rotation_type {
                e.insert("RotationDate".into(), json!(epoch_seconds(b.created_ms)));
                e.insert("RotationType".into(), t.clone().into());
            }
            Json::Object(e)
        })
        .collect();
    Ok(paged("Rotations", items, next))
}
