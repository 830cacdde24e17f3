//! What IAM persists, and where.
//!
//! Tables (byte keys, values = format byte `1` followed by JSON):
//! - `iam.roles`: lower-cased role name → [`Role`] (IAM names are unique regardless of case),
//!   with its inline policies, attached policy ARNs and tags.
//! - `iam.policies`: ARN → [`Policy`], customer managed policies and all their versions.
//! - `iam.attachments`: `{policy ARN}\n{role key}` → empty; one entry per attached policy, so a
//!   policy's attachments are one range (AttachmentCount, ListEntitiesForPolicy).
//! - `iam.boundaries`: `{policy ARN}\n{role key}` → empty; roles using a policy as their
//!   permissions boundary (PermissionsBoundaryUsageCount).
//! - `iam.users`: [`user_key`] → [`User`]; users link into `iam.attachments` and
//!   `iam.boundaries` under the same key.
//! - `iam.access_keys`: access key id → [`AccessKey`].
//! - `iam.groups`: [`group_key`] → [`Group`], with its member users' names; groups link into
//!   `iam.attachments` under the same key.
//!
//! AWS managed policies are not stored: they are compiled in (`managed.rs`).

use std::ops::Bound;

use serde::{Deserialize, Serialize};
use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

pub const ROLES: &str = "iam.roles";
pub const POLICIES: &str = "iam.policies";
pub const ATTACHMENTS: &str = "iam.attachments";
pub const BOUNDARIES: &str = "iam.boundaries";
pub const USERS: &str = "iam.users";
pub const ACCESS_KEYS: &str = "iam.access_keys";
pub const GROUPS: &str = "iam.groups";

const FORMAT: u8 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    /// The document as the client sent it (decoded from the form).
    pub document: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub create_date: String,
    /// The trust policy as the client sent it.
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: u32,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
    /// Sorted by name.
    pub inline: Vec<InlinePolicy>,
    /// Attached managed policy ARNs, in attachment order.
    pub attached: Vec<String>,
}

/// An IAM user: like a role, it holds policies; it signs with access keys instead of being
/// assumed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub create_date: String,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
    /// Sorted by name.
    pub inline: Vec<InlinePolicy>,
    /// Attached managed policy ARNs, in attachment order.
    pub attached: Vec<String>,
}

/// An IAM group: policies its member users hold too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub create_date: String,
    /// Sorted by name.
    pub inline: Vec<InlinePolicy>,
    /// Attached managed policy ARNs, in attachment order.
    pub attached: Vec<String>,
    /// Member user names, in the order they were added.
    pub users: Vec<String>,
    /// Groups have no permissions boundary or tags; kept empty for the shared operations.
    #[serde(default, skip_serializing)]
    pub permissions_boundary: Option<String>,
    #[serde(default, skip_serializing)]
    pub tags: Vec<Tag>,
}

/// A user's access key. The secret is kept to verify signatures (the store is encrypted at
/// rest); IAM shows it once, in CreateAccessKey's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub user_name: String,
    pub secret: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub create_date: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub create_date: String,
}

/// A customer managed policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub description: Option<String>,
    pub create_date: String,
    pub update_date: String,
    pub default_version: String,
    /// The number the next version gets (`v{n}`); never reused.
    pub next_version: u32,
    pub versions: Vec<PolicyVersion>,
    pub tags: Vec<Tag>,
}

impl Policy {
    pub fn version(&self, id: &str) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.id == id)
    }
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![FORMAT];
    serde_json::to_writer(&mut out, value)
        .map_err(|e| StoreError::Corrupt(format!("iam record: {e}")))?;
    Ok(out)
}

pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&FORMAT, json)) => serde_json::from_slice(json)
            .map_err(|e| StoreError::Corrupt(format!("iam record: {e}"))),
        Some((v, _)) => Err(StoreError::Corrupt(format!(
            "iam record format {v} is unknown"
        ))),
        None => Err(StoreError::Corrupt("empty iam record".to_string())),
    }
}

/// The key of a role: its name in lower case.
pub fn role_key(name: &str) -> Vec<u8> {
    name.to_ascii_lowercase().into_bytes()
}

/// The key of a group: `group:` and its name in lower case.
pub fn group_key(name: &str) -> Vec<u8> {
    format!("group:{}", name.to_ascii_lowercase()).into_bytes()
}

/// The key of a user: `user:` and its name in lower case. Role names cannot hold a colon, so
/// users' links share the link tables with roles' without ambiguity.
pub fn user_key(name: &str) -> Vec<u8> {
    format!("user:{}", name.to_ascii_lowercase()).into_bytes()
}

/// What both a snapshot and a write job can read.
pub trait View {
    fn get_raw(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    fn scan_raw(
        &self,
        table: &str,
        from: Bound<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError>;

    fn role(&self, name: &str) -> Result<Option<Role>, StoreError> {
        self.get_raw(ROLES, &role_key(name))?
            .map(|b| decode(&b))
            .transpose()
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.get_raw(USERS, &user_key(name))?
            .map(|b| decode(&b))
            .transpose()
    }

    fn policy(&self, arn: &str) -> Result<Option<Policy>, StoreError> {
        self.get_raw(POLICIES, arn.as_bytes())?
            .map(|b| decode(&b))
            .transpose()
    }

    fn all_roles(&self) -> Result<Vec<Role>, StoreError> {
        self.all(ROLES)
    }

    fn all_users(&self) -> Result<Vec<User>, StoreError> {
        self.all(USERS)
    }

    fn all_groups(&self) -> Result<Vec<Group>, StoreError> {
        self.all(GROUPS)
    }

    fn all_policies(&self) -> Result<Vec<Policy>, StoreError> {
        self.all(POLICIES)
    }

    /// Every record of `table`, decoded.
    fn all<T: for<'de> Deserialize<'de>>(&self, table: &str) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut bad = None;
        self.scan_raw(table, Bound::Unbounded, &mut |_, v| match decode(v) {
            Ok(r) => {
                out.push(r);
                ScanControl::Continue
            }
            Err(e) => {
                bad = Some(e);
                ScanControl::Stop
            }
        })?;
        match bad {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// The keys of the roles and users linked to `policy_arn` in `table` (attachments or
    /// boundaries).
    fn linked(&self, table: &str, policy_arn: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut prefix = policy_arn.as_bytes().to_vec();
        prefix.push(b'\n');
        let mut out = Vec::new();
        self.scan_raw(table, Bound::Included(&prefix), &mut |k, _| match k
            .strip_prefix(prefix.as_slice())
        {
            Some(role) => {
                out.push(role.to_vec());
                ScanControl::Continue
            }
            None => ScanControl::Stop,
        })?;
        Ok(out)
    }

    fn role_by_key(&self, key: &[u8]) -> Result<Option<Role>, StoreError> {
        self.get_raw(ROLES, key)?.map(|b| decode(&b)).transpose()
    }

    fn group_by_key(&self, key: &[u8]) -> Result<Option<Group>, StoreError> {
        self.get_raw(GROUPS, key)?.map(|b| decode(&b)).transpose()
    }

    fn user_by_key(&self, key: &[u8]) -> Result<Option<User>, StoreError> {
        self.get_raw(USERS, key)?.map(|b| decode(&b)).transpose()
    }
}

impl View for ReadCtx {
    fn get_raw(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(table, key)
    }

    fn scan_raw(
        &self,
        table: &str,
        from: Bound<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        self.scan(table, (from, Bound::Unbounded), false, visit)
    }
}

impl View for WriteCtx<'_> {
    fn get_raw(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(table, key)
    }

    fn scan_raw(
        &self,
        table: &str,
        from: Bound<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        self.scan(table, (from, Bound::Unbounded), false, visit)
    }
}

pub fn put_role(ctx: &mut WriteCtx<'_>, role: &Role) -> Result<(), StoreError> {
    ctx.insert(ROLES, &role_key(&role.name), &encode(role)?)?;
    Ok(())
}

pub fn put_policy(ctx: &mut WriteCtx<'_>, policy: &Policy) -> Result<(), StoreError> {
    ctx.insert(POLICIES, policy.arn.as_bytes(), &encode(policy)?)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_their_format() {
        let t = Tag {
            key: "k".into(),
            value: "v".into(),
        };
        let bytes = encode(&t).unwrap();
        assert_eq!(bytes[0], 1);
        assert_eq!(decode::<Tag>(&bytes).unwrap(), t);
        assert!(decode::<Tag>(&[9, b'{', b'}']).is_err());
        assert!(decode::<Tag>(&[]).is_err());
    }
}
