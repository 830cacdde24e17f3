//! Identifiers: random numbers and UUIDs (not for cryptography).

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

/// A version-4-shaped UUID string, as AWS uses for TableId.
pub fn uuid() -> String {
    let a = random_u64();
    let b = random_u64();
    let hex = format!("{a:016x}{b:016x}");
    let s = |from: usize, to: usize| hex.get(from..to).unwrap_or("0");
    format!(
        "{}-{}-4{}-a{}-{}",
        s(0, 8),
        s(8, 12),
        s(13, 16),
        s(17, 20),
        s(20, 32)
    )
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
