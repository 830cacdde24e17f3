//! Unique ids (`AROA…`, `ANPA…`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `prefix` followed by 17 upper-case letters and digits, as IAM's unique ids are
/// (`AROA` roles, `ANPA` managed policies).
pub fn unique_id(prefix: &str) -> String {
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let state = RandomState::new();
    let mut out = String::with_capacity(prefix.len() + 17);
    out.push_str(prefix);
    let mut round = 0u64;
    while out.len() < prefix.len() + 17 {
        let mut h = state.build_hasher();
        h.write_u128(nanos);
        h.write_u64(count);
        h.write_u64(round);
        let mut x = h.finish();
        for _ in 0..12 {
            if out.len() == prefix.len() + 17 {
                break;
            }
            out.push(char::from(ALPHABET[usize::try_from(x % 36).unwrap_or(0)]));
            x /= 36;
        }
        round += 1;
    }
    out
}

/// `len` characters drawn from the operating system's random source, from `alphabet`.
pub fn random_text(len: usize, alphabet: &[u8]) -> Result<String, crate::IamError> {
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "iam: no random bytes");
        crate::IamError::new(
            500,
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    })?;
    let n = alphabet.len().max(1);
    Ok(bytes
        .iter()
        .map(|b| char::from(alphabet.get(usize::from(*b) % n).copied().unwrap_or(b'A')))
        .collect())
}

/// A secret access key: 40 characters of base64's alphabet, as AWS's are.
pub fn secret_access_key() -> Result<String, crate::IamError> {
    random_text(
        40,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    )
}
