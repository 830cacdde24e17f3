//! The cryptography: AES-256-GCM everywhere (RustCrypto `aes-gcm`).
//!
//! Two layers:
//! - **Wrapping.** Each KMS key has one or more backing keys (one per rotation), 256 random bits
//!   each. They are stored only wrapped: AES-256-GCM under the installation master key, with the
//!   key id and backing version as associated data, so a wrapped backing key cannot be moved to
//!   another key or version. The master key is generated on first use and kept in the store
//!   (`kms.meta`): it is a local root of trust, not an HSM; whoever can read the database file
//!   can unwrap every key.
//! - **Ciphertext blobs** (what Encrypt/GenerateDataKey return):
//!   `0x01 | key uuid (16) | backing version (u32 BE) | nonce (12) | AES-GCM ciphertext + tag`.
//!   The associated data is the 33-byte header followed by the canonical encryption context, so
//!   a changed header, ciphertext, tag or context fails authentication (InvalidCiphertext).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use std::collections::BTreeMap;

use crate::clock;
use crate::error::KmsError;

pub(crate) const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const BLOB_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 16 + 4 + NONCE_LEN;
const WRAP_AAD: &[u8] = b"dynostack kms backing key v1";

/// 256 secret bits. Debug never shows them.
#[derive(Clone)]
pub(crate) struct SecretKey(pub(crate) [u8; KEY_LEN]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes before the memory is released.
        // `black_box` keeps the compiler from dropping the writes as dead stores.
        self.0 = [0u8; KEY_LEN];
        std::hint::black_box(&self.0);
    }
}

impl SecretKey {
    pub(crate) fn random() -> Result<SecretKey, KmsError> {
        let mut k = [0u8; KEY_LEN];
        clock::fill(&mut k)?;
        Ok(SecretKey(k))
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Option<SecretKey> {
        let k: [u8; KEY_LEN] = bytes.try_into().ok()?;
        Some(SecretKey(k))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0))
    }
}

fn seal(
    key: &SecretKey,
    nonce: &[u8; NONCE_LEN],
    msg: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, KmsError> {
    key.cipher()
        .encrypt(Nonce::from_slice(nonce), Payload { msg, aad })
        .map_err(|_| {
            tracing::error!("AES-GCM encryption failed");
            KmsError::internal()
        })
}

fn open(key: &SecretKey, nonce: &[u8], ct: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if nonce.len() != NONCE_LEN || ct.len() < TAG_LEN {
        return None;
    }
    key.cipher()
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .ok()
}

fn wrap_aad(key_id: &str, version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(WRAP_AAD.len() + key_id.len() + 5);
    aad.extend_from_slice(WRAP_AAD);
    aad.push(0);
    aad.extend_from_slice(key_id.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// Wraps a backing key under the master key: `nonce | ciphertext + tag`.
pub(crate) fn wrap(
    master: &SecretKey,
    key_id: &str,
    version: u32,
    material: &SecretKey,
) -> Result<Vec<u8>, KmsError> {
    let mut nonce = [0u8; NONCE_LEN];
    clock::fill(&mut nonce)?;
    let ct = seal(master, &nonce, &material.0, &wrap_aad(key_id, version))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Unwraps a backing key; `None` when the bytes were not wrapped by this master key for this
/// key id and version.
pub(crate) fn unwrap(
    master: &SecretKey,
    key_id: &str,
    version: u32,
    wrapped: &[u8],
) -> Option<SecretKey> {
    if wrapped.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ct) = wrapped.split_at(NONCE_LEN);
    let plain = open(master, nonce, ct, &wrap_aad(key_id, version))?;
    SecretKey::from_slice(&plain)
}

/// The encryption context as associated data: pairs sorted by key, each string length-prefixed,
/// so that the same map always gives the same bytes and no two maps give the same bytes.
pub(crate) fn context_aad(context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in context {
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out
}

/// The 16 bytes of a UUID written in its canonical text form.
pub(crate) fn uuid_bytes(key_id: &str) -> Option<[u8; 16]> {
    let hex: String = key_id.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || key_id.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

pub(crate) fn uuid_text(b: &[u8; 16]) -> String {
    let h = clock::hex(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A parsed ciphertext blob: which key and backing version made it.
pub(crate) struct Blob<'a> {
    pub(crate) key_id: String,
    pub(crate) version: u32,
    header: &'a [u8],
    nonce: &'a [u8],
    body: &'a [u8],
}

pub(crate) fn parse_blob(blob: &[u8]) -> Option<Blob<'_>> {
    if blob.len() < HEADER_LEN + TAG_LEN || blob.first() != Some(&BLOB_VERSION) {
        return None;
    }
    let uuid: [u8; 16] = blob.get(1..17)?.try_into().ok()?;
    let version = u32::from_be_bytes(blob.get(17..21)?.try_into().ok()?);
    Some(Blob {
        key_id: uuid_text(&uuid),
        version,
        header: blob.get(..HEADER_LEN)?,
        nonce: blob.get(21..HEADER_LEN)?,
        body: blob.get(HEADER_LEN..)?,
    })
}

/// Encrypts `plaintext` under one backing key of `key_id`.
pub(crate) fn encrypt(
    material: &SecretKey,
    key_id: &str,
    version: u32,
    plaintext: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<Vec<u8>, KmsError> {
    let uuid = uuid_bytes(key_id).ok_or_else(|| {
        tracing::error!(key_id, "key id is not a UUID");
        KmsError::internal()
    })?;
    let mut nonce = [0u8; NONCE_LEN];
    clock::fill(&mut nonce)?;
    let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
    out.push(BLOB_VERSION);
    out.extend_from_slice(&uuid);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&nonce);
    let mut aad = out.clone();
    aad.extend_from_slice(&context_aad(context));
    let ct = seal(material, &nonce, plaintext, &aad)?;
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts a parsed blob with the backing key it names; `None` on any authentication failure.
pub(crate) fn decrypt(
    material: &SecretKey,
    blob: &Blob<'_>,
    context: &BTreeMap<String, String>,
) -> Option<Vec<u8>> {
    let mut aad = blob.header.to_vec();
    aad.extend_from_slice(&context_aad(context));
    open(material, blob.nonce, blob.body, &aad)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn uuid_round_trips() {
        let b = uuid_bytes(ID).unwrap();
        assert_eq!(uuid_text(&b), ID);
        assert!(uuid_bytes("not-a-uuid").is_none());
    }

    #[test]
    fn blob_round_trip_and_context_binding() {
        let k = SecretKey::random().unwrap();
        let c = ctx(&[("a", "1"), ("b", "2")]);
        let blob = encrypt(&k, ID, 3, b"secret", &c).unwrap();
        let parsed = parse_blob(&blob).unwrap();
        assert_eq!(parsed.key_id, ID);
        assert_eq!(parsed.version, 3);
        assert_eq!(decrypt(&k, &parsed, &c).unwrap(), b"secret");
        assert!(decrypt(&k, &parsed, &ctx(&[("a", "1")])).is_none());
        assert!(decrypt(&k, &parsed, &ctx(&[("a", "1"), ("b", "3")])).is_none());
        // "ab"+"c" must not equal "a"+"bc".
        assert_ne!(
            context_aad(&ctx(&[("ab", "c")])),
            context_aad(&ctx(&[("a", "bc")]))
        );
    }

    #[test]
    fn wrapping_is_bound_to_key_and_version() {
        let master = SecretKey::random().unwrap();
        let material = SecretKey::random().unwrap();
        let w = wrap(&master, ID, 1, &material).unwrap();
        assert_eq!(unwrap(&master, ID, 1, &w).unwrap().0, material.0);
        assert!(unwrap(&master, ID, 2, &w).is_none());
        assert!(unwrap(&master, "other", 1, &w).is_none());
        assert!(unwrap(&SecretKey::random().unwrap(), ID, 1, &w).is_none());
        assert!(!w.windows(KEY_LEN).any(|win| win == material.0));
    }
}
