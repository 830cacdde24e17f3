//! Encrypt, Decrypt and ReEncrypt, and the two halves they share: sealing under a key's current
//! backing key, and opening a ciphertext blob (which names its key and backing version, so
//! Decrypt needs no KeyId). The encryption context is bound as associated data.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::crypto;
use crate::error::{Constraints, ErrorCode, KmsError};
use crate::keys;
use crate::model::KeyRecord;
use crate::Operation;

use super::{
    b64, blob, check_access, find_key, material, require_enabled, rotate_if_due, Call, Context,
};

pub(crate) const ALGORITHMS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "SM2PKE",
];

/// Symmetric keys take only SYMMETRIC_DEFAULT.
pub(crate) fn check_algorithm(key: &KeyRecord, algorithm: Option<&str>) -> Result<(), KmsError> {
    match algorithm {
        None | Some("SYMMETRIC_DEFAULT") => Ok(()),
        Some(other) => Err(KmsError::new(
            ErrorCode::InvalidKeyUsage,
            format!(
                "Algorithm {other} is incompatible with key spec SYMMETRIC_DEFAULT of {}.",
                key.arn()
            ),
        )),
    }
}

/// Encrypts `plaintext` under the current backing key of `key` (rotating first if an
/// automatic rotation is due). Returns the key as used, the blob and the KeyMaterialId.
pub(crate) async fn seal(
    c: &Call<'_>,
    key: KeyRecord,
    op: Operation,
    plaintext: &[u8],
    context: &Context,
) -> Result<(KeyRecord, Vec<u8>, String), KmsError> {
    check_access(c, &key, op)?;
    require_enabled(&key)?;
    let key = rotate_if_due(c, key).await?;
    let current = key.current().ok_or_else(|| {
        tracing::error!(key_id = key.key_id, "a KMS key has no backing key");
        KmsError::internal()
    })?;
    let (version, material_id) = (current.version, current.material_id.clone());
    let secret = material(c.svc, &key, version)?;
    let blob = crypto::encrypt(&secret, &key.key_id, version, plaintext, context)?;
    Ok((key, blob, material_id))
}

/// Decrypts a blob. `expected` is the KeyId parameter, when given: it must name the key that
/// made the blob.
pub(crate) async fn open(
    c: &Call<'_>,
    blob_bytes: &[u8],
    expected: Option<&str>,
    op: Operation,
    context: &Context,
) -> Result<(KeyRecord, Vec<u8>, String), KmsError> {
    let parsed = crypto::parse_blob(blob_bytes).ok_or_else(KmsError::invalid_ciphertext)?;
    if let Some(raw) = expected {
        let named = find_key(c, raw, true).await?;
        if named.key_id != parsed.key_id {
            return Err(KmsError::new(
                ErrorCode::IncorrectKey,
                "The key ID in the request does not identify a CMK that can perform this operation.",
            ));
        }
    }
    open_parsed(c, &parsed, op, context)
}

/// Decrypts a blob a service holds, with no KeyId to check it against: what [`open`] does
/// once the blob is parsed, without waiting for anything.
pub(crate) fn open_blob(
    c: &Call<'_>,
    blob_bytes: &[u8],
    op: Operation,
    context: &Context,
) -> Result<(KeyRecord, Vec<u8>, String), KmsError> {
    let parsed = crypto::parse_blob(blob_bytes).ok_or_else(KmsError::invalid_ciphertext)?;
    open_parsed(c, &parsed, op, context)
}

fn open_parsed(
    c: &Call<'_>,
    parsed: &crypto::Blob<'_>,
    op: Operation,
    context: &Context,
) -> Result<(KeyRecord, Vec<u8>, String), KmsError> {
    let key = keys::live_key(&c.svc.store.read()?, &c.scope, &parsed.key_id)?.ok_or_else(|| {
        KmsError::not_found(format!(
            "Key '{}' does not exist",
            c.scope.key_arn(&parsed.key_id)
        ))
    })?;
    check_access(c, &key, op)?;
    require_enabled(&key)?;
    let backing = key
        .backing(parsed.version)
        .ok_or_else(KmsError::invalid_ciphertext)?;
    let material_id = backing.material_id.clone();
    let secret = material(c.svc, &key, parsed.version)?;
    let plaintext =
        crypto::decrypt(&secret, parsed, context).ok_or_else(KmsError::invalid_ciphertext)?;
    Ok((key, plaintext, material_id))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Encrypt {
    key_id: Option<String>,
    plaintext: Option<String>,
    encryption_context: Option<Context>,
    #[allow(dead_code)]
    grant_tokens: Option<Vec<String>>,
    encryption_algorithm: Option<String>,
    dry_run: Option<bool>,
}

pub(crate) async fn encrypt(c: &Call<'_>, req: Encrypt) -> Result<Json, KmsError> {
    let plaintext = blob(req.plaintext.as_deref())?;
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    blob_constraints(&mut cons, plaintext.as_deref(), "plaintext", 4096);
    cons.one_of(
        req.encryption_algorithm.as_deref(),
        "encryptionAlgorithm",
        ALGORITHMS,
    );
    cons.into_result()?;
    let key = find_key(c, req.key_id.as_deref().unwrap_or_default(), true).await?;
    check_algorithm(&key, req.encryption_algorithm.as_deref())?;
    let context = req.encryption_context.unwrap_or_default();
    let (key, blob, _) = seal(
        c,
        key,
        Operation::Encrypt,
        &plaintext.unwrap_or_default(),
        &context,
    )
    .await?;
    dry_run(req.dry_run)?;
    Ok(json!({
        "CiphertextBlob": b64(&blob),
        "KeyId": key.arn(),
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Decrypt {
    ciphertext_blob: Option<String>,
    encryption_context: Option<Context>,
    #[allow(dead_code)]
    grant_tokens: Option<Vec<String>>,
    key_id: Option<String>,
    encryption_algorithm: Option<String>,
    dry_run: Option<bool>,
}

pub(crate) async fn decrypt(c: &Call<'_>, req: Decrypt) -> Result<Json, KmsError> {
    let ciphertext = blob(req.ciphertext_blob.as_deref())?;
    let mut cons = Constraints::default();
    blob_constraints(&mut cons, ciphertext.as_deref(), "ciphertextBlob", 6144);
    if let Some(k) = &req.key_id {
        cons.length(k, "keyId", 1, 2048);
    }
    cons.one_of(
        req.encryption_algorithm.as_deref(),
        "encryptionAlgorithm",
        ALGORITHMS,
    );
    cons.into_result()?;
    let context = req.encryption_context.unwrap_or_default();
    let (key, plaintext, material_id) = open(
        c,
        &ciphertext.unwrap_or_default(),
        req.key_id.as_deref(),
        Operation::Decrypt,
        &context,
    )
    .await?;
    check_algorithm(&key, req.encryption_algorithm.as_deref())?;
    dry_run(req.dry_run)?;
    Ok(json!({
        "KeyId": key.arn(),
        "Plaintext": b64(&plaintext),
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "KeyMaterialId": material_id,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReEncrypt {
    ciphertext_blob: Option<String>,
    source_encryption_context: Option<Context>,
    source_key_id: Option<String>,
    destination_key_id: Option<String>,
    destination_encryption_context: Option<Context>,
    source_encryption_algorithm: Option<String>,
    destination_encryption_algorithm: Option<String>,
    #[allow(dead_code)]
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

pub(crate) async fn re_encrypt(c: &Call<'_>, req: ReEncrypt) -> Result<Json, KmsError> {
    let ciphertext = blob(req.ciphertext_blob.as_deref())?;
    let mut cons = Constraints::default();
    blob_constraints(&mut cons, ciphertext.as_deref(), "ciphertextBlob", 6144);
    if let Some(k) = &req.source_key_id {
        cons.length(k, "sourceKeyId", 1, 2048);
    }
    cons.string(
        req.destination_key_id.as_deref(),
        "destinationKeyId",
        1,
        2048,
    );
    cons.one_of(
        req.source_encryption_algorithm.as_deref(),
        "sourceEncryptionAlgorithm",
        ALGORITHMS,
    );
    cons.one_of(
        req.destination_encryption_algorithm.as_deref(),
        "destinationEncryptionAlgorithm",
        ALGORITHMS,
    );
    cons.into_result()?;
    let source_context = req.source_encryption_context.unwrap_or_default();
    let (source, plaintext, source_material) = open(
        c,
        &ciphertext.unwrap_or_default(),
        req.source_key_id.as_deref(),
        Operation::ReEncrypt,
        &source_context,
    )
    .await?;
    check_algorithm(&source, req.source_encryption_algorithm.as_deref())?;
    let destination = find_key(
        c,
        req.destination_key_id.as_deref().unwrap_or_default(),
        true,
    )
    .await?;
    check_algorithm(
        &destination,
        req.destination_encryption_algorithm.as_deref(),
    )?;
    let destination_context = req.destination_encryption_context.unwrap_or_default();
    let (destination, blob, destination_material) = seal(
        c,
        destination,
        Operation::ReEncrypt,
        &plaintext,
        &destination_context,
    )
    .await?;
    dry_run(req.dry_run)?;
    Ok(json!({
        "CiphertextBlob": b64(&blob),
        "SourceKeyId": source.arn(),
        "KeyId": destination.arn(),
        "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "SourceKeyMaterialId": source_material,
        "DestinationKeyMaterialId": destination_material,
    }))
}

/// A blob member: required, at least one byte, at most `max`.
pub(crate) fn blob_constraints(
    cons: &mut Constraints,
    value: Option<&[u8]>,
    member: &str,
    max: usize,
) {
    match value {
        None => cons.push_null(member),
        Some([]) => cons.push_blob(member, "have length greater than or equal to 1"),
        Some(v) if v.len() > max => {
            cons.push_blob(member, &format!("have length less than or equal to {max}"))
        }
        Some(_) => {}
    }
}

/// DryRun: every check passed, so the request would have succeeded.
pub(crate) fn dry_run(flag: Option<bool>) -> Result<(), KmsError> {
    if flag == Some(true) {
        return Err(KmsError::new(
            ErrorCode::DryRunOperation,
            "The request would have succeeded, but the DryRun option is set.",
        ));
    }
    Ok(())
}
