//! Request ids in AWS's shape: 52 upper-case letters and digits.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = COUNTER.fetch_add(1, Ordering::Relaxed);
    let state = RandomState::new();
    let mut out = String::with_capacity(52);
    let mut word = 0u64;
    for i in 0..52u64 {
        if i % 12 == 0 {
            let mut h = state.build_hasher();
            h.write_u64(seed);
            h.write_u64(i);
            word = h.finish();
        }
        let idx = (word % 36) as usize;
        word /= 36;
        out.push(char::from(*ALPHABET.get(idx).unwrap_or(&b'A')));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_look_like_aws_ones() {
        let a = super::new_request_id();
        assert_eq!(a.len(), 52);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_ne!(a, super::new_request_id());
    }
}
