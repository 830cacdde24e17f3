//! The installation's clock. Every "now" of the product — item and stream timestamps, TTL,
//! retention, CloudWatch datapoints, KMS deletion windows, creation times — comes from one
//! `Clock`, owned by the installation's store, so that tests can move it forward
//! (`dynostack serve --test-clock`) and see what happens a day or a month later.
//!
//! The clock is the system's wall clock plus an offset. The offset only grows (time never runs
//! backwards because of it) and is kept in the store, so a restart resumes where time was.
//! Dates are formatted and parsed with the `time` crate. SigV4's 15-minute check is the one place that reads the real wall clock
//! ([`system_now_ms`]): clients sign with real time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

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

    /// The offset that makes now `at`, as of this instant.
    pub fn offset_for(at: Millis) -> i64 {
        (at as i64).saturating_sub(system_now_ms() as i64)
    }

    /// Moves the clock forward so that now is at least `at`; never moves it back. Returns the
    /// new offset.
    pub fn advance_to(&self, at: Millis) -> i64 {
        let wanted = Clock::offset_for(at);
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

/// RFC 3339 in UTC with milliseconds ("2024-01-01T00:00:00.000Z"), as CloudWatch's XML and
/// the test clock write times.
pub fn rfc3339_millis(ms: i64) -> String {
    format(
        ms,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"),
    )
}

/// ISO 8601 with milliseconds and no zone ("2024-01-01T00:00:00.000"), the form of DynamoDB
/// stream labels.
pub fn iso8601_millis(ms: i64) -> String {
    format(
        ms,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]"),
    )
}

/// ISO 8601 to the second in UTC ("2024-01-01T00:00:00Z"), as IAM writes dates.
pub fn iso8601_seconds(ms: i64) -> String {
    format(
        ms,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
    )
}

/// With milliseconds and a numeric zone ("2024-02-16T10:08:02.127+0000"), as CloudWatch writes
/// times inside alarm history and reason data.
pub fn iso8601_millis_zone(ms: i64) -> String {
    format(
        ms,
        format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
        ),
    )
}

/// Day first, two-digit year ("25/09/22 18:49:00"), as CloudWatch dates datapoints in an
/// alarm's StateReason.
pub fn day_first_seconds(ms: i64) -> String {
    format(
        ms,
        format_description!("[day]/[month]/[year repr:last_two] [hour]:[minute]:[second]"),
    )
}

/// A long English UTC date-time ("Sunday, March 24, 2019 9:07:28 AM UTC"), as DynamoDB words
/// the times in its limit messages.
pub fn long_utc(ms: i64) -> String {
    format(
        ms,
        format_description!(
            "[weekday], [month repr:long] [day padding:none], [year] [hour repr:12 padding:none]:[minute]:[second] [period] UTC"
        ),
    )
}

fn format(ms: i64, description: &[BorrowedFormatItem<'_>]) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(description).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod long_tests {
    #[test]
    fn long_utc_reads_like_dynamodb() {
        // 2019-03-24T09:07:28Z
        assert_eq!(
            super::long_utc(1_553_418_448_000),
            "Sunday, March 24, 2019 9:07:28 AM UTC"
        );
    }
}

/// A date-time as clients send them in awsQuery forms — RFC 3339 or ISO 8601
/// (`2026-11-25T12:00:00Z`, fractions, `+hh:mm` offsets), a bare date, or epoch seconds — in
/// seconds since the epoch.
pub fn parse_date_time(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    let at = OffsetDateTime::parse(t, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(t, &Iso8601::DEFAULT))
        .ok()
        .or_else(|| {
            Date::parse(t, format_description!("[year]-[month]-[day]"))
                .ok()
                .map(|d| d.midnight().assume_utc())
        })?;
    Some(at.unix_timestamp_nanos() as f64 / 1e9)
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
        assert_eq!(
            rfc3339_millis(1_764_072_000_500),
            "2025-11-25T12:00:00.500Z"
        );
        assert_eq!(iso8601_seconds(1_704_067_200_999), "2024-01-01T00:00:00Z");
    }

    #[test]
    fn parses_the_date_times_clients_send() {
        assert_eq!(
            parse_date_time("2025-11-25T12:00:00.500Z"),
            Some(1764072000.5)
        );
        assert_eq!(parse_date_time("2025-11-25T12:00:00Z"), Some(1764072000.0));
        assert_eq!(
            parse_date_time("2025-11-25T13:00:00+01:00"),
            Some(1764072000.0)
        );
        assert_eq!(parse_date_time("2024-02-29"), Some(1709164800.0));
        assert_eq!(parse_date_time("1764072000"), Some(1764072000.0));
        assert_eq!(parse_date_time("yesterday"), None);
        assert_eq!(parse_date_time("NaN"), None);
    }
}
