//! CreateKey: symmetric encryption keys (SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT, origin AWS_KMS,
//! single-Region). Other key specs, origins and multi-Region keys are refused as unsupported.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::clock;
use crate::crypto::SecretKey;
use crate::error::{Constraints, ErrorCode, KmsError};
use crate::keys;
use crate::model::{default_policy, KeyRecord, KEYS};

use super::tags::validate_tags;
use super::{new_backing, Call, Tag};

/// The enum sets as KMS's validation lists them (order as AWS prints them).
const KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "ECC_NIST_P384",
    "ECC_NIST_P256",
    "ECC_NIST_P521",
    "HMAC_384",
    "RSA_3072",
    "ECC_SECG_P256K1",
    "RSA_4096",
    "SYMMETRIC_DEFAULT",
    "HMAC_256",
    "HMAC_224",
    "HMAC_512",
];
const KEY_USAGES: &[&str] = &["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"];
const ORIGINS: &[&str] = &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Request {
    policy: Option<String>,
    description: Option<String>,
    key_usage: Option<String>,
    customer_master_key_spec: Option<String>,
    key_spec: Option<String>,
    origin: Option<String>,
    custom_key_store_id: Option<String>,
    #[allow(dead_code)]
    bypass_policy_lockout_safety_check: Option<bool>,
    tags: Option<Vec<Tag>>,
    multi_region: Option<bool>,
    xks_key_id: Option<String>,
}

pub(crate) async fn handle(c: &Call<'_>, req: Request) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    if let Some(p) = &req.policy {
        cons.length(p, "policy", 1, 131_072);
    }
    if let Some(d) = &req.description {
        cons.length(d, "description", 0, 8192);
    }
    cons.one_of(req.key_usage.as_deref(), "keyUsage", KEY_USAGES);
    cons.one_of(req.key_spec.as_deref(), "keySpec", KEY_SPECS);
    cons.one_of(
        req.customer_master_key_spec.as_deref(),
        "customerMasterKeySpec",
        KEY_SPECS,
    );
    cons.one_of(req.origin.as_deref(), "origin", ORIGINS);
    cons.into_result()?;

    if req.key_spec.is_some() && req.customer_master_key_spec.is_some() {
        return Err(KmsError::validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. \
             CustomerMasterKeySpec is deprecated.",
        ));
    }
    let spec = req
        .key_spec
        .as_deref()
        .or(req.customer_master_key_spec.as_deref())
        .unwrap_or("SYMMETRIC_DEFAULT");
    if spec != "SYMMETRIC_DEFAULT" {
        return Err(KmsError::new(
            ErrorCode::UnsupportedOperation,
            format!("KeySpec {spec} is not supported by Dynostack: only SYMMETRIC_DEFAULT keys"),
        ));
    }
    if let Some(usage) = req.key_usage.as_deref().filter(|u| *u != "ENCRYPT_DECRYPT") {
        return Err(KmsError::validation(format!(
            "KeyUsage {usage} is not compatible with KeySpec {spec}"
        )));
    }
    if let Some(origin) = req.origin.as_deref().filter(|o| *o != "AWS_KMS") {
        return Err(KmsError::new(
            ErrorCode::UnsupportedOperation,
            format!("Origin {origin} is not supported by Dynostack: only AWS_KMS"),
        ));
    }
    if req.custom_key_store_id.is_some() || req.xks_key_id.is_some() {
        return Err(KmsError::new(
            ErrorCode::UnsupportedOperation,
            "Custom key stores are not supported by Dynostack",
        ));
    }
    if req.multi_region == Some(true) {
        return Err(KmsError::new(
            ErrorCode::UnsupportedOperation,
            "Multi-Region keys are not supported by Dynostack",
        ));
    }
    if let Some(p) = &req.policy {
        super::policy::check_document(p)?;
    }
    let tags = validate_tags(req.tags.as_deref().unwrap_or_default(), "tags")?;

    let scope = c.scope.clone();
    let policy = req
        .policy
        .unwrap_or_else(|| default_policy(&scope.region, &scope.account));
    let key_id = clock::uuid_v4()?;
    let mut key = KeyRecord::new(
        key_id,
        &scope.account,
        &scope.region,
        scope.now_ms,
        req.description.unwrap_or_default(),
        policy,
    );
    key.tags = tags.into_iter().collect();
    let candidate = c.svc.master_candidate()?;
    let material = SecretKey::random()?;
    let (key, master) = c
        .svc
        .write(move |ctx| {
            if let Err(e) = keys::purge_deleted(ctx, scope.now_ms) {
                return Ok(Err(e));
            }
            let master = keys::ensure_master(ctx, &candidate)?;
            let backing = match new_backing(&master, &key.key_id, 1, &material, scope.now_ms, None)
            {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            key.push_backing(backing);
            let bytes = match key.encode() {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            ctx.insert(KEYS, key.key_id.as_bytes(), &bytes)?;
            Ok(Ok((key, master)))
        })
        .await?;
    c.svc.remember_master(&master);
    Ok(json!({ "KeyMetadata": key.metadata() }))
}
