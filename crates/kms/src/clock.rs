//! Time units and randomness. Now comes from the installation's clock (`Scope::now_ms`). Randomness comes from the operating system (getrandom): it makes key
//! material, nonces and data keys, so nothing weaker is used anywhere in this crate.

use crate::error::KmsError;

pub(crate) const DAY_MILLIS: u64 = 86_400_000;

/// The wall clock, for tests that compare with what the service stamped (the store's clock
/// runs without an offset there).
#[cfg(test)]
pub(crate) fn now_millis() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Epoch seconds with millisecond precision, as KMS renders dates in awsJson.
pub(crate) fn epoch_seconds(ms: u64) -> f64 {
    (ms as f64) / 1000.0
}

/// `n` bytes from the operating system's generator.
pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>, KmsError> {
    let mut buf = vec![0u8; n];
    fill(&mut buf)?;
    Ok(buf)
}

pub(crate) fn fill(buf: &mut [u8]) -> Result<(), KmsError> {
    getrandom::getrandom(buf).map_err(|e| {
        tracing::error!(error = %e, "the operating system's random generator failed");
        KmsError::internal()
    })
}

/// A random version-4 UUID, the form of KMS key ids.
pub(crate) fn uuid_v4() -> Result<String, KmsError> {
    Ok(uuid::Uuid::new_v4().to_string())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4() {
        let u = uuid_v4().unwrap_or_default();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert!(matches!(u.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(uuid_v4().unwrap_or_default(), u);
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
