//! EnableKey, DisableKey, UpdateKeyDescription. Keys pending deletion refuse them (cancel the
//! deletion first, as on AWS).

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::error::{Constraints, KmsError};
use crate::model::KeyState;
use crate::Operation;

use super::{require_not_pending, update_key, Call};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyOnly {
    key_id: Option<String>,
}

pub(crate) async fn enable(c: &Call<'_>, req: KeyOnly) -> Result<Json, KmsError> {
    set_state(c, req, Operation::EnableKey, KeyState::Enabled).await
}

pub(crate) async fn disable(c: &Call<'_>, req: KeyOnly) -> Result<Json, KmsError> {
    set_state(c, req, Operation::DisableKey, KeyState::Disabled).await
}

async fn set_state(
    c: &Call<'_>,
    req: KeyOnly,
    op: Operation,
    state: KeyState,
) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.into_result()?;
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, op, move |key, _| {
        require_not_pending(key)?;
        key.state = state;
        Ok(json!({}))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateKeyDescription {
    key_id: Option<String>,
    description: Option<String>,
}

pub(crate) async fn describe(c: &Call<'_>, req: UpdateKeyDescription) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.string(req.description.as_deref(), "description", 0, 8192);
    cons.into_result()?;
    let raw = req.key_id.unwrap_or_default();
    let description = req.description.unwrap_or_default();
    update_key(c, &raw, Operation::UpdateKeyDescription, move |key, _| {
        require_not_pending(key)?;
        key.description = description;
        Ok(json!({}))
    })
    .await
}
