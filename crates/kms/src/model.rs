//! What is stored: key and alias records (JSON inside the store's byte tables), ARNs, the
//! KeyMetadata shape AWS returns, and the key policies AWS writes.
//!
//! Tables:
//! - `kms.keys`: key id → [`KeyRecord`] (backing keys only wrapped).
//! - `kms.aliases`: `region \0 alias name` → [`AliasRecord`] (aliases are per region).
//! - `kms.meta`: `master_key` → the installation master key (32 bytes).

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use crate::clock::{epoch_seconds, DAY_MILLIS};
use crate::error::KmsError;

pub(crate) const KEYS: &str = "kms.keys";
pub(crate) const ALIASES: &str = "kms.aliases";
pub(crate) const META: &str = "kms.meta";
pub(crate) const MASTER_KEY: &[u8] = b"master_key";

/// The version of [`KeyRecord`]/[`AliasRecord`] this build writes and reads.
const RECORD_FORMAT: u32 = 1;

/// The AWS managed key this stack has, and the alias AWS gives it.
pub(crate) const DYNAMODB_ALIAS: &str = "alias/aws/dynamodb";
pub(crate) const DYNAMODB_DESCRIPTION: &str =
    "Default key that protects my DynamoDB data when no other key is defined";

pub(crate) const DEFAULT_ROTATION_DAYS: u32 = 365;
pub(crate) const ON_DEMAND_ROTATION_LIMIT: u32 = 25;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
}

impl KeyState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyManager {
    #[serde(rename = "CUSTOMER")]
    Customer,
    #[serde(rename = "AWS")]
    Aws,
}

/// One backing key (one per rotation). `wrapped` is base64 of the master-key-wrapped bytes.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct Backing {
    pub(crate) version: u32,
    /// 64 lowercase hex digits, as AWS's KeyMaterialId; random, says nothing about the key.
    pub(crate) material_id: String,
    pub(crate) wrapped: String,
    pub(crate) created_ms: u64,
    /// AUTOMATIC or ON_DEMAND; none for the first backing key.
    pub(crate) rotation_type: Option<String>,
}

impl Backing {
    pub(crate) fn wrapped_bytes(&self) -> Result<Vec<u8>, KmsError> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.wrapped)
            .map_err(|_| corrupt("wrapped backing key is not base64"))
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct KeyRecord {
    pub(crate) format: u32,
    pub(crate) key_id: String,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) created_ms: u64,
    pub(crate) description: String,
    pub(crate) state: KeyState,
    pub(crate) manager: KeyManager,
    /// For an AWS managed key, the service it belongs to ("dynamodb").
    pub(crate) service: Option<String>,
    pub(crate) policy: String,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) rotation_enabled: bool,
    pub(crate) rotation_period_days: Option<u32>,
    pub(crate) next_rotation_ms: Option<u64>,
    pub(crate) deletion_ms: Option<u64>,
    pub(crate) backing: Vec<Backing>,
    pub(crate) on_demand_rotations: u32,
    /// The key's grants (`ops::grants`).
    #[serde(default)]
    pub(crate) grants: Vec<crate::ops::grants::Grant>,
}

impl KeyRecord {
    pub(crate) fn arn(&self) -> String {
        key_arn(&self.region, &self.account, &self.key_id)
    }

    pub(crate) fn current(&self) -> Option<&Backing> {
        self.backing.iter().max_by_key(|b| b.version)
    }

    pub(crate) fn backing(&self, version: u32) -> Option<&Backing> {
        self.backing.iter().find(|b| b.version == version)
    }

    /// Past its deletion date: gone, as far as every operation is concerned.
    pub(crate) fn deleted(&self, now_ms: u64) -> bool {
        self.state == KeyState::PendingDeletion && self.deletion_ms.is_some_and(|d| d <= now_ms)
    }

    pub(crate) fn rotation_due(&self, now_ms: u64) -> bool {
        self.rotation_enabled
            && self.state == KeyState::Enabled
            && self.next_rotation_ms.is_some_and(|t| t <= now_ms)
    }

    /// KeyMetadata as DescribeKey, CreateKey and the rest return it.
    pub(crate) fn metadata(&self) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("AWSAccountId".into(), self.account.clone().into());
        m.insert("KeyId".into(), self.key_id.clone().into());
        m.insert("Arn".into(), self.arn().into());
        m.insert("CreationDate".into(), json!(epoch_seconds(self.created_ms)));
        m.insert("Enabled".into(), (self.state == KeyState::Enabled).into());
        m.insert("Description".into(), self.description.clone().into());
        m.insert("KeyUsage".into(), "ENCRYPT_DECRYPT".into());
        m.insert("KeyState".into(), self.state.name().into());
        if let (KeyState::PendingDeletion, Some(d)) = (self.state, self.deletion_ms) {
            m.insert("DeletionDate".into(), json!(epoch_seconds(d)));
        }
        m.insert("Origin".into(), "AWS_KMS".into());
        m.insert(
            "KeyManager".into(),
            match self.manager {
                KeyManager::Customer => "CUSTOMER",
                KeyManager::Aws => "AWS",
            }
            .into(),
        );
        m.insert("CustomerMasterKeySpec".into(), "SYMMETRIC_DEFAULT".into());
        m.insert("KeySpec".into(), "SYMMETRIC_DEFAULT".into());
        m.insert("EncryptionAlgorithms".into(), json!(["SYMMETRIC_DEFAULT"]));
        m.insert("MultiRegion".into(), false.into());
        if let Some(b) = self.current() {
            m.insert("CurrentKeyMaterialId".into(), b.material_id.clone().into());
        }
        Json::Object(m)
    }

    /// Adds a backing key and moves the automatic schedule on when it was automatic.
    pub(crate) fn push_backing(&mut self, backing: Backing) {
        self.backing.push(backing);
    }

    pub(crate) fn next_version(&self) -> u32 {
        self.backing.iter().map(|b| b.version).max().unwrap_or(0) + 1
    }

    pub(crate) fn period_ms(&self) -> u64 {
        u64::from(self.rotation_period_days.unwrap_or(DEFAULT_ROTATION_DAYS)) * DAY_MILLIS
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, KmsError> {
        serde_json::to_vec(self).map_err(|e| {
            tracing::error!(error = %e, "cannot encode a key record");
            KmsError::internal()
        })
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<KeyRecord, KmsError> {
        let r: KeyRecord =
            serde_json::from_slice(bytes).map_err(|e| corrupt(&format!("key record: {e}")))?;
        if r.format != RECORD_FORMAT {
            return Err(corrupt(&format!("key record format {}", r.format)));
        }
        Ok(r)
    }

    pub(crate) fn new(
        key_id: String,
        account: &str,
        region: &str,
        now_ms: u64,
        description: String,
        policy: String,
    ) -> KeyRecord {
        KeyRecord {
            format: RECORD_FORMAT,
            key_id,
            account: account.to_string(),
            region: region.to_string(),
            created_ms: now_ms,
            description,
            state: KeyState::Enabled,
            manager: KeyManager::Customer,
            service: None,
            policy,
            tags: BTreeMap::new(),
            rotation_enabled: false,
            rotation_period_days: None,
            next_rotation_ms: None,
            deletion_ms: None,
            backing: Vec::new(),
            on_demand_rotations: 0,
            grants: Vec::new(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct AliasRecord {
    pub(crate) format: u32,
    pub(crate) name: String,
    pub(crate) region: String,
    pub(crate) account: String,
    pub(crate) target: String,
    pub(crate) created_ms: u64,
    pub(crate) updated_ms: u64,
}

impl AliasRecord {
    pub(crate) fn new(name: &str, region: &str, account: &str, target: &str, now_ms: u64) -> Self {
        AliasRecord {
            format: RECORD_FORMAT,
            name: name.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            target: target.to_string(),
            created_ms: now_ms,
            updated_ms: now_ms,
        }
    }

    pub(crate) fn arn(&self) -> String {
        alias_arn(&self.region, &self.account, &self.name)
    }

    /// An AliasListEntry.
    pub(crate) fn entry(&self) -> Json {
        json!({
            "AliasName": self.name,
            "AliasArn": self.arn(),
            "TargetKeyId": self.target,
            "CreationDate": epoch_seconds(self.created_ms),
            "LastUpdatedDate": epoch_seconds(self.updated_ms),
        })
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, KmsError> {
        serde_json::to_vec(self).map_err(|e| {
            tracing::error!(error = %e, "cannot encode an alias record");
            KmsError::internal()
        })
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<AliasRecord, KmsError> {
        let r: AliasRecord =
            serde_json::from_slice(bytes).map_err(|e| corrupt(&format!("alias record: {e}")))?;
        if r.format != RECORD_FORMAT {
            return Err(corrupt(&format!("alias record format {}", r.format)));
        }
        Ok(r)
    }
}

/// The store key of an alias: aliases are unique per account and region.
pub(crate) fn alias_key(region: &str, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(region.len() + 1 + name.len());
    k.extend_from_slice(region.as_bytes());
    k.push(0);
    k.extend_from_slice(name.as_bytes());
    k
}

pub(crate) fn corrupt(what: &str) -> KmsError {
    tracing::error!(what, "stored KMS data does not decode");
    KmsError::internal()
}

pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

pub(crate) fn key_arn(region: &str, account: &str, key_id: &str) -> String {
    format!(
        "arn:{}:kms:{region}:{account}:key/{key_id}",
        partition(region)
    )
}

/// `name` includes the `alias/` prefix, as ARNs do.
pub(crate) fn alias_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:{}:kms:{region}:{account}:{name}", partition(region))
}

/// The policy CreateKey attaches when the request has none, formatted as KMS returns it.
pub(crate) fn default_policy(region: &str, account: &str) -> String {
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {{
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:{p}:iam::{account}:root"
    }},
    "Action" : "kms:*",
    "Resource" : "*"
  }} ]
}}"#,
        p = partition(region)
    )
}

/// The key policy of the AWS managed key for DynamoDB (as AWS currently writes it, Id
/// `auto-dynamodb-3`).
pub(crate) fn dynamodb_policy(region: &str, account: &str) -> String {
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "auto-dynamodb-3",
  "Statement" : [ {{
    "Sid" : "Allow access through Amazon DynamoDB for all principals in the account that are authorized to use Amazon DynamoDB",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "*"
    }},
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {{
      "StringEquals" : {{
        "kms:CallerAccount" : "{account}"
      }},
      "StringLike" : {{
        "kms:ViaService" : "dynamodb.*.amazonaws.com"
      }}
    }}
  }}, {{
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:{p}:iam::{account}:root"
    }},
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
    "Resource" : "*"
  }}, {{
    "Sid" : "Allow DynamoDB to directly describe the key",
    "Effect" : "Allow",
    "Principal" : {{
      "Service" : "dynamodb.amazonaws.com"
    }},
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
    "Resource" : "*"
  }} ]
}}"#,
        p = partition(region)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_json() {
        let p: Json = serde_json::from_str(&default_policy("us-east-1", "123456789012")).unwrap();
        assert_eq!(
            p["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::123456789012:root"
        );
        let d: Json = serde_json::from_str(&dynamodb_policy("cn-north-1", "1")).unwrap();
        assert_eq!(
            d["Statement"][1]["Principal"]["AWS"],
            "arn:aws-cn:iam::1:root"
        );
    }

    #[test]
    fn arns_carry_the_partition() {
        assert_eq!(
            key_arn("us-east-1", "1", "k"),
            "arn:aws:kms:us-east-1:1:key/k"
        );
        assert_eq!(
            alias_arn("us-gov-west-1", "1", "alias/x"),
            "arn:aws-us-gov:kms:us-gov-west-1:1:alias/x"
        );
    }
}
