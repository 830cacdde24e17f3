//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant. A grant lets
//! its grantee use the key for the operations it lists (under its encryption-context
//! constraints) beside the key policy; access control reads them (`authorization.rs`). They
//! are kept in the key's record.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use crate::error::{Constraints, ErrorCode, KmsError};
use crate::Operation;

use super::{listed_key, page, paged, require_not_pending, update_key, Call};

/// The operations a grant may list.
const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
];

/// KMS's quota of grants per key.
const GRANTS_PER_KEY: usize = 50_000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GrantConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub grant_id: String,
    pub token: String,
    pub name: Option<String>,
    pub created_ms: u64,
    pub grantee: String,
    pub retiring: Option<String>,
    pub operations: Vec<String>,
    #[serde(default)]
    pub constraints: Option<GrantConstraints>,
}

impl Grant {
    /// Whether the grant lets `principal` (the caller's ARN, or its role's) do `operation`
    /// with this encryption context.
    pub fn allows(
        &self,
        principals: &[&str],
        operation: &str,
        context: &std::collections::BTreeMap<String, String>,
    ) -> bool {
        if !principals.contains(&self.grantee.as_str())
            || !self.operations.iter().any(|o| o == operation)
        {
            return false;
        }
        match &self.constraints {
            None => true,
            Some(c) => {
                let subset = c
                    .encryption_context_subset
                    .as_ref()
                    .is_none_or(|s| s.iter().all(|(k, v)| context.get(k) == Some(v)));
                let equals = c
                    .encryption_context_equals
                    .as_ref()
                    .is_none_or(|e| e == context);
                subset && equals
            }
        }
    }

    fn to_json(&self, key_arn: &str, account: &str) -> Json {
        let mut g = json!({
            "KeyId": key_arn,
            "GrantId": self.grant_id,
            "CreationDate": self.created_ms as f64 / 1000.0,
            "GranteePrincipal": self.grantee,
            "IssuingAccount": format!("arn:aws:iam::{account}:root"),
            "Operations": self.operations,
        });
        if let Some(n) = &self.name {
            g["Name"] = n.clone().into();
        }
        if let Some(r) = &self.retiring {
            g["RetiringPrincipal"] = r.clone().into();
        }
        if let Some(c) = &self.constraints {
            g["Constraints"] = serde_json::to_value(c).unwrap_or_default();
        }
        g
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateGrant {
    key_id: Option<String>,
    grantee_principal: Option<String>,
    retiring_principal: Option<String>,
    operations: Option<Vec<String>>,
    constraints: Option<GrantConstraints>,
    name: Option<String>,
    #[allow(dead_code)]
    grant_tokens: Option<Vec<String>>,
}

fn random_hex(bytes: usize) -> Result<String, KmsError> {
    Ok(crate::clock::hex(&crate::clock::random_bytes(bytes)?))
}

pub(crate) async fn create(c: &Call<'_>, req: CreateGrant) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.string(req.grantee_principal.as_deref(), "granteePrincipal", 1, 256);
    if let Some(r) = &req.retiring_principal {
        cons.length(r, "retiringPrincipal", 1, 256);
    }
    if let Some(n) = &req.name {
        cons.length(n, "name", 1, 256);
    }
    match &req.operations {
        None => cons.push_null("operations"),
        Some(ops) => {
            for (i, o) in ops.iter().enumerate() {
                if !GRANT_OPERATIONS.contains(&o.as_str()) {
                    cons.push(
                        o,
                        &format!("operations.{}.member", i + 1),
                        &format!("satisfy enum value set: [{}]", GRANT_OPERATIONS.join(", ")),
                    );
                }
            }
        }
    }
    cons.into_result()?;
    let ops = req.operations.unwrap_or_default();
    if ops.is_empty() {
        return Err(KmsError::new(
            ErrorCode::Validation,
            "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let grant = Grant {
        grant_id: random_hex(32)?,
        token: random_hex(64)?,
        name: req.name,
        created_ms: c.scope.now_ms,
        grantee: req.grantee_principal.unwrap_or_default(),
        retiring: req.retiring_principal,
        operations: ops,
        constraints: req.constraints,
    };
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, Operation::CreateGrant, move |key, _| {
        require_not_pending(key)?;
        // A grant of the same name and parameters is the same grant (CreateGrant is idempotent
        // by name).
        if let Some(same) = key.grants.iter().find(|g| {
            g.name.is_some()
                && g.name == grant.name
                && g.grantee == grant.grantee
                && g.operations == grant.operations
                && g.constraints == grant.constraints
        }) {
            return Ok(json!({ "GrantId": same.grant_id, "GrantToken": same.token }));
        }
        if key.grants.len() >= GRANTS_PER_KEY {
            return Err(KmsError::new(
                ErrorCode::LimitExceeded,
                "The request was rejected because a quota was exceeded.",
            ));
        }
        let out = json!({ "GrantId": grant.grant_id, "GrantToken": grant.token });
        key.grants.push(grant);
        Ok(out)
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListGrants {
    key_id: Option<String>,
    grant_id: Option<String>,
    grantee_principal: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) fn list(c: &Call<'_>, req: ListGrants) -> Result<Json, KmsError> {
    let key = listed_key(
        c,
        req.key_id.as_deref(),
        req.limit,
        req.marker.as_deref(),
        Operation::ListGrants,
    )?;
    let arn = key.arn();
    let grants: Vec<Grant> = key
        .grants
        .into_iter()
        .filter(|g| req.grant_id.as_ref().is_none_or(|id| *id == g.grant_id))
        .filter(|g| {
            req.grantee_principal
                .as_ref()
                .is_none_or(|p| *p == g.grantee)
        })
        .collect();
    let limit = req.limit.map_or(50, |l| l.min(100) as usize);
    let (items, next) = page(grants, |g| g.grant_id.clone(), req.marker.as_deref(), limit);
    let items = items
        .iter()
        .map(|g| g.to_json(&arn, &c.scope.account))
        .collect();
    Ok(paged("Grants", items, next))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RevokeGrant {
    key_id: Option<String>,
    grant_id: Option<String>,
}

pub(crate) async fn revoke(c: &Call<'_>, req: RevokeGrant) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.string(req.grant_id.as_deref(), "grantId", 1, 128);
    cons.into_result()?;
    let id = req.grant_id.unwrap_or_default();
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, Operation::RevokeGrant, move |key, _| {
        remove(key, |g| g.grant_id == id)
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RetireGrant {
    key_id: Option<String>,
    grant_id: Option<String>,
    grant_token: Option<String>,
}

pub(crate) async fn retire(c: &Call<'_>, req: RetireGrant) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    if let Some(t) = &req.grant_token {
        cons.length(t, "grantToken", 1, 8192);
    }
    cons.into_result()?;
    // By token alone, the key is the one holding it; else KeyId and GrantId together.
    let raw = match (&req.key_id, &req.grant_token) {
        (Some(k), _) => k.clone(),
        (None, Some(token)) => match super::key_of_grant_token(c, token)? {
            Some(arn) => arn,
            None => {
                return Err(KmsError::new(
                    ErrorCode::InvalidGrantToken,
                    "The grant token is not valid.",
                ))
            }
        },
        (None, None) => {
            return Err(KmsError::new(
                ErrorCode::Validation,
                "Either GrantToken or both KeyId and GrantId must be specified.",
            )); // message unverified
        }
    };
    let (id, token) = (req.grant_id, req.grant_token);
    update_key(c, &raw, Operation::RetireGrant, move |key, _| {
        remove(key, |g| {
            Some(&g.grant_id) == id.as_ref() || Some(&g.token) == token.as_ref()
        })
    })
    .await
}

fn remove(
    key: &mut crate::model::KeyRecord,
    which: impl Fn(&Grant) -> bool,
) -> Result<Json, KmsError> {
    let before = key.grants.len();
    key.grants.retain(|g| !which(g));
    if key.grants.len() == before {
        return Err(KmsError::not_found("Grant ID not found")); // message unverified
    }
    Ok(json!({}))
}
