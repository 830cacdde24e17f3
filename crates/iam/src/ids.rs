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
