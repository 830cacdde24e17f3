//! Timestamps as SigV4 writes them, converted to and from Unix seconds.
//!
//! SigV4 needs only three things from a calendar: read `20150830T123600Z`, read the
//! RFC 1123 `Date` header some clients send instead, and write both the long form and
//! the `yyyymmdd` scope date back. That is a few lines of civil-date arithmetic, so the
//! crate does it here rather than pulling in a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, negative before it. Sub-second parts are dropped
/// because AWS compares and prints timestamps at one-second resolution.
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let secs = before.duration().as_secs();
            // Round towards the past so that 0.5 s before the epoch is -1, like a floor.
            let whole = i64::try_from(secs).unwrap_or(i64::MAX);
            if before.duration().subsec_nanos() > 0 {
                -whole - 1
            } else {
                -whole
            }
        }
    }
}

/// Parses the ISO 8601 basic format SigV4 uses: `yyyymmddThhmmssZ`, UTC only.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let year = digits(b.get(0..4)?)?;
    let month = digits(b.get(4..6)?)?;
    let day = digits(b.get(6..8)?)?;
    let hour = digits(b.get(9..11)?)?;
    let minute = digits(b.get(11..13)?)?;
    let second = digits(b.get(13..15)?)?;
    to_unix(year, month, day, hour, minute, second)
}

/// Parses an HTTP `Date` header in the RFC 1123 form, e.g. `Mon, 09 Sep 2011 23:36:00 GMT`.
/// The weekday is not checked (clients compute it, servers ignore it), and the zone may be
/// spelled `GMT`, `UTC`, `Z`, `+0000` or `-0000` because Python's `formatdate` writes the
/// last one; any other offset is refused rather than silently applied.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace();
    let first = parts.next()?;
    // The weekday is optional in RFC 5322; when present it ends with a comma.
    let day_text = if first.ends_with(',') {
        parts.next()?
    } else {
        first
    };
    let month_text = parts.next()?;
    let year_text = parts.next()?;
    let time_text = parts.next()?;
    let zone = parts.next()?;
    if parts.next().is_some() || !matches!(zone, "GMT" | "UTC" | "Z" | "+0000" | "-0000") {
        return None;
    }
    let day = digits(day_text.as_bytes())?;
    let month = month_number(month_text)?;
    let year = digits(year_text.as_bytes())?;
    let mut hms = time_text.split(':');
    let hour = digits(hms.next()?.as_bytes())?;
    let minute = digits(hms.next()?.as_bytes())?;
    let second = digits(hms.next()?.as_bytes())?;
    if hms.next().is_some() {
        return None;
    }
    to_unix(year, month, day, hour, minute, second)
}

/// Formats Unix seconds as `yyyymmddThhmmssZ`.
pub fn format_amz_date(secs: i64) -> String {
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let of_day = secs.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Formats Unix seconds as the `yyyymmdd` date of a credential scope.
pub fn format_date_stamp(secs: i64) -> String {
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    format!("{year:04}{month:02}{day:02}")
}

fn to_unix(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..60).contains(&second);
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Reads a run of ASCII digits; anything else (signs, spaces, empty) is not a number here.
fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    b.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn month_number(name: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .and_then(|i| i64::try_from(i + 1).ok())
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`):
/// shifting the year to start in March puts the leap day last, so every month length
/// except February's follows one formula.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parses_the_suite_timestamp() {
        // 2015-08-30T12:36:00Z, checked against `date -u -d @1440938160`.
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(format_amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(format_date_stamp(1_440_938_160), "20150830");
    }

    #[test]
    fn epoch_and_leap_days_round_trip() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20000229T235959Z"), Some(951_868_799));
        assert_eq!(parse_amz_date("19000229T000000Z"), None);
        assert_eq!(parse_amz_date("20240229T000000Z"), Some(1_709_164_800));
        // Every day over four centuries, either side of the epoch, survives a round trip.
        for day in -146_097..146_097_i64 {
            let secs = day * 86_400 + 45_296;
            let text = format_amz_date(secs);
            assert_eq!(parse_amz_date(&text), Some(secs), "{text}");
        }
    }

    #[test]
    fn refuses_malformed_amz_dates() {
        for bad in [
            "",
            "201",
            "20150830T123600",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150832T123600Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_http_dates() {
        assert_eq!(
            parse_http_date("Mon, 09 Sep 2011 23:36:00 GMT"),
            parse_amz_date("20110909T233600Z")
        );
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 -0000"),
            Some(1_440_938_160)
        );
        assert_eq!(
            parse_http_date("30 Aug 2015 12:36:00 GMT"),
            Some(1_440_938_160)
        );
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 +0200"), None);
        assert_eq!(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 31 Sep 2015 12:36:00 GMT"), None);
        assert_eq!(parse_http_date("20150830T123600Z"), None);
    }

    #[test]
    fn system_time_to_seconds() {
        assert_eq!(
            unix_seconds(UNIX_EPOCH + Duration::from_millis(1_440_938_160_999)),
            1_440_938_160
        );
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_millis(500)), -1);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(2)), -2);
    }
}
