//! Timestamps (ISO 8601 to the second, as IAM writes them) and unique ids (`AROA…`, `ANPA…`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// `secs` since the Unix epoch as `YYYY-MM-DDThh:mm:ssZ` (proleptic Gregorian, UTC).
pub fn iso_from_unix(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) — H. Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_and_ids() {
        assert_eq!(iso_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_from_unix(1_704_067_200), "2024-01-01T00:00:00Z");
        assert_eq!(iso_from_unix(951_827_696), "2000-02-29T12:34:56Z");
        let a = unique_id("AROA");
        let b = unique_id("AROA");
        assert_eq!(a.len(), 21);
        assert!(a.starts_with("AROA"));
        assert!(a[4..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_ne!(a, b);
    }
}
