//! Request ids in AWS's shape: 52 upper-case letters and digits.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A fresh id: a counter and a key drawn once per process, spread by splitmix64 into 12
/// letters a word — unpredictable across processes, and cheaper than hashing with a fresh
/// `RandomState` per id.
pub fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEY: OnceLock<u64> = OnceLock::new();
    let key = *KEY.get_or_init(|| RandomState::new().hash_one(std::process::id()));
    let seed = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut out = String::with_capacity(52);
    let mut word = 0u64;
    for i in 0..52u64 {
        if i % 12 == 0 {
            word = splitmix64(seed.wrapping_mul(5).wrapping_add(i / 12) ^ key);
        }
        let idx = (word % 36) as usize;
        word /= 36;
        out.push(char::from(*ALPHABET.get(idx).unwrap_or(&b'A')));
    }
    out
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
