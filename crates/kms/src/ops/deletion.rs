//! ScheduleKeyDeletion and CancelKeyDeletion. A scheduled key is PendingDeletion (not Enabled,
//! refused by every cryptographic operation) until its DeletionDate; past it, the key and its
//! aliases are gone. Cancelling leaves the key Disabled, as on AWS.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::clock::{epoch_seconds, DAY_MILLIS};
use crate::error::{Constraints, ErrorCode, KmsError};
use crate::model::KeyState;
use crate::Operation;

use super::{require_not_pending, update_key, Call};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScheduleKeyDeletion {
    key_id: Option<String>,
    pending_window_in_days: Option<i64>,
}

pub(crate) async fn schedule(c: &Call<'_>, req: ScheduleKeyDeletion) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.range(req.pending_window_in_days, "pendingWindowInDays", 1, 365);
    cons.into_result()?;
    let days = req.pending_window_in_days.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(KmsError::validation(format!(
            "PendingWindowInDays should be between 7 and 30, but it is {days}"
        )));
    }
    let raw = req.key_id.unwrap_or_default();
    update_key(
        c,
        &raw,
        Operation::ScheduleKeyDeletion,
        move |key, scope| {
            require_not_pending(key)?;
            let date = scope.now_ms + (days as u64) * DAY_MILLIS;
            key.state = KeyState::PendingDeletion;
            key.deletion_ms = Some(date);
            Ok(json!({
                "KeyId": key.arn(),
                "DeletionDate": epoch_seconds(date),
                "KeyState": "PendingDeletion",
                "PendingWindowInDays": days,
            }))
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CancelKeyDeletion {
    key_id: Option<String>,
}

pub(crate) async fn cancel(c: &Call<'_>, req: CancelKeyDeletion) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.into_result()?;
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, Operation::CancelKeyDeletion, move |key, _| {
        if key.state != KeyState::PendingDeletion {
            return Err(KmsError::new(
                ErrorCode::InvalidState,
                format!("{} is not pending deletion.", key.arn()),
            ));
        }
        key.state = KeyState::Disabled;
        key.deletion_ms = None;
        Ok(json!({ "KeyId": key.arn() }))
    })
    .await
}
