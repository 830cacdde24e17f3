//! Identifiers: random numbers (not for cryptography), UUIDs, and the region an ARN names.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A random u64 from the standard library's per-process random keys mixed with a counter:
/// enough for identifiers (table ids, request ids, stream labels), not for cryptography.
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u64(clock::system_now_ms());
    h.finish()
}

/// The region of an ARN (`arn:aws:<service>:<region>:…`), us-east-1 for a malformed one.
pub fn region_of(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or("us-east-1")
}

/// A random (version 4) UUID, as AWS uses for TableId.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_v4_shape() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_ne!(uuid(), u);
    }
}
