//! What access control needs of KMS: the key a request is about, with its key policy.

use base64::Engine;
use serde_json::Value as Json;

use crate::keys;
use crate::{crypto, Kms, KmsError};

/// A key and its policy, as access control evaluates them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPolicy {
    pub arn: String,
    /// The key policy document, as stored.
    pub policy: String,
    /// The key's grants, which allow beside the policy.
    pub grants: Vec<crate::Grant>,
    /// The key's tags (`aws:ResourceTag/…`).
    pub tags: Vec<(String, String)>,
}

impl Kms {
    /// The key a KMS request body is about: `KeyId` (or `TargetKeyId`, or the key a
    /// `CiphertextBlob` names), with its policy. `None` when the request names no key or one
    /// that does not exist: the operation itself then answers as KMS does.
    pub fn key_of_request(&self, body: &[u8], region: &str) -> Result<Option<KeyPolicy>, KmsError> {
        let Ok(Json::Object(fields)) = serde_json::from_slice::<Json>(body) else {
            return Ok(None);
        };
        let named = ["KeyId", "TargetKeyId", "SourceKeyId"]
            .iter()
            .find_map(|f| fields.get(*f).and_then(Json::as_str).map(str::to_string));
        let raw = match named {
            Some(id) => id,
            None => {
                let Some(blob) = fields.get("CiphertextBlob").and_then(Json::as_str) else {
                    return Ok(None);
                };
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(blob) else {
                    return Ok(None);
                };
                match crypto::parse_blob(&bytes) {
                    Some(b) => b.key_id,
                    None => return Ok(None),
                }
            }
        };
        self.key_policy(&raw, region)
    }

    /// The key `raw` names (key id, key ARN, alias name or alias ARN) in `region`, with its
    /// policy; `None` when there is none.
    pub fn key_policy(&self, raw: &str, region: &str) -> Result<Option<KeyPolicy>, KmsError> {
        let scope = self.scope(region);
        let Ok(ident) = keys::parse_ident(&scope, raw, true) else {
            return Ok(None);
        };
        match keys::resolve(&self.store.read()?, &scope, &ident) {
            Ok(key) => Ok(Some(KeyPolicy {
                arn: key.arn(),
                policy: key.policy,
                grants: key.grants,
                tags: key.tags.into_iter().collect(),
            })),
            Err(e) if e.code() == crate::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
