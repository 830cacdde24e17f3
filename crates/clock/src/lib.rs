//! The installation's clock. Every "now" of the product — item and stream timestamps, TTL,
//! retention, CloudWatch datapoints, KMS deletion windows, creation times — comes from one
//! `Clock`, owned by the installation's store, so that tests can move it forward
//! (`dynostack serve --test-clock`) and see what happens a day or a month later.
//!
//! The clock is the system's wall clock plus an offset. The offset only grows (time never runs
//! backwards because of it) and is kept in the store, so a restart resumes where time was.
//! SigV4's 15-minute check is the one place that reads the real wall clock
//! ([`system_now_ms`]): clients sign with real time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub type Millis = u64;

pub const SECOND: Millis = 1000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// A cheap handle on the installation's clock; clones share the offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The wall clock, not moved.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The wall clock moved forward by `offset_ms` (a stored offset, at start-up).
    pub fn with_offset_ms(offset_ms: i64) -> Clock {
        Clock {
            offset_ms: Arc::new(AtomicI64::new(offset_ms.max(0))),
        }
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> Millis {
        let offset = self.offset_ms.load(Ordering::Acquire);
        (system_now_ms() as i64).saturating_add(offset).max(0) as Millis
    }

    /// Now, in whole seconds since the epoch.
    pub fn now_secs(&self) -> u64 {
        self.now_ms() / SECOND
    }

    /// Now, in seconds with millisecond precision, as AWS reports creation times.
    pub fn now_epoch_seconds(&self) -> f64 {
        self.now_ms() as f64 / 1000.0
    }

    /// How far ahead of the wall clock this clock runs.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Acquire)
    }

    /// Moves the clock forward so that now is at least `at`; never moves it back. Returns the
    /// new offset.
    pub fn advance_to(&self, at: Millis) -> i64 {
        let wanted = (at as i64).saturating_sub(system_now_ms() as i64);
        let before = self.offset_ms.fetch_max(wanted, Ordering::AcqRel);
        before.max(wanted)
    }
}

/// The real wall clock, for what must not travel (SigV4's skew check) and for [`Clock`] itself.
pub fn system_now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// RFC 3339 in UTC with milliseconds ("2024-01-01T00:00:00.000Z").
pub fn rfc3339_millis(ms: Millis) -> String {
    format!("{}Z", iso8601_millis(ms))
}

/// ISO 8601 with milliseconds and no zone ("2024-01-01T00:00:00.000"), the form of DynamoDB
/// stream labels.
pub fn iso8601_millis(ms: Millis) -> String {
    let secs = ms / 1000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_and_never_back() {
        let clock = Clock::system();
        let shared = clock.clone();
        let before = clock.now_ms();
        clock.advance_to(before + DAY);
        assert!(shared.now_ms() >= before + DAY);
        assert!(shared.offset_ms() >= (DAY - MINUTE) as i64);
        let offset = clock.offset_ms();
        clock.advance_to(before);
        assert_eq!(
            clock.offset_ms(),
            offset,
            "asking for an earlier time changes nothing"
        );
    }

    #[test]
    fn a_stored_offset_is_never_negative() {
        assert_eq!(Clock::with_offset_ms(-5).offset_ms(), 0);
    }

    #[test]
    fn formats_iso_dates() {
        assert_eq!(iso8601_millis(0), "1970-01-01T00:00:00.000");
        assert_eq!(iso8601_millis(1_704_067_200_123), "2024-01-01T00:00:00.123");
        assert_eq!(iso8601_millis(951_782_400_000), "2000-02-29T00:00:00.000");
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
    }
}
