//! Whether a key can be used right now, as a service that encrypts with it on a caller's
//! behalf (DynamoDB with a table's key) finds out before each use.

use store::{ReadCtx, StoreError};

use crate::keys::Scope;
use crate::model::KeyState;

/// What a service meets when it goes to use a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUse {
    Usable,
    Disabled,
    PendingDeletion,
    /// No such key (never made, or deleted), or an alias that names none.
    Missing,
}

/// The state now (`now_ms`) of the key `arn` names: a key ARN, or an alias ARN (resolved at
/// each call, as a grant on an alias would be).
pub fn key_use(read: &ReadCtx, arn: &str, now_ms: u64) -> Result<KeyUse, StoreError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, "kms", region, account, _] = parts.as_slice() else {
        return Ok(KeyUse::Missing);
    };
    Ok(match resolve_key(read, region, account, arn, now_ms)? {
        Ok(_) => KeyUse::Usable,
        Err(KeyProblem::Disabled(_)) => KeyUse::Disabled,
        Err(KeyProblem::PendingDeletion(_)) => KeyUse::PendingDeletion,
        Err(KeyProblem::NotFound(_)) => KeyUse::Missing,
    })
}

/// Why a key a service was given cannot be used, with what KMS would say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// KMS's NotFoundException message: no such key, alias, or a malformed identifier.
    NotFound(String),
    /// The key (its ARN) is disabled.
    Disabled(String),
    /// The key (its ARN) is pending deletion.
    PendingDeletion(String),
}

/// The key ARN a key identifier (key id, key ARN, alias name or alias ARN) names in `region`
/// of `account` now, as a service resolves the key it is given once, at the time it is given.
pub fn resolve_key(
    read: &ReadCtx,
    region: &str,
    account: &str,
    ident: &str,
    now_ms: u64,
) -> Result<Result<String, KeyProblem>, StoreError> {
    let scope = Scope {
        account: account.to_string(),
        region: region.to_string(),
        now_ms,
    };
    let parsed = match crate::keys::parse_ident(&scope, ident, true) {
        Ok(p) => p,
        Err(e) => return Ok(Err(KeyProblem::NotFound(e.message().to_string()))),
    };
    let key = match crate::keys::resolve(read, &scope, &parsed) {
        Ok(k) => k,
        Err(e) if e.code() == crate::ErrorCode::NotFound => {
            return Ok(Err(KeyProblem::NotFound(e.message().to_string())))
        }
        Err(e) => return Err(StoreError::Corrupt(e.to_string())),
    };
    let arn = key.arn();
    Ok(match key.state {
        KeyState::Enabled => Ok(arn),
        KeyState::Disabled => Err(KeyProblem::Disabled(arn)),
        KeyState::PendingDeletion => Err(KeyProblem::PendingDeletion(arn)),
    })
}
