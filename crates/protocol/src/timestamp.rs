//! Timestamps as the awsQuery protocol writes and reads them: ISO 8601
//! (`2026-11-25T12:00:00.000Z`), and epoch seconds.

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as CloudWatch's XML carries timestamps.
pub fn iso_millis(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as i64;
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let rem = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses ISO-8601 date-times (`2026-11-25T12:00:00Z`, fractions, `+hh:mm` offsets, a bare date)
/// and epoch seconds, as awsQuery clients send them. Returns seconds since the epoch.
pub fn parse(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<f64>() {
        return Some(n);
    }
    let b = t.as_bytes();
    let num = |s: &str| s.parse::<i64>().ok();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(&t[0..4])?, num(&t[5..7])?, num(&t[8..10])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86400;
    if b.len() == 10 {
        return Some(secs as f64);
    }
    if !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') || b.len() < 19 {
        return None;
    }
    let (h, mi, s) = (num(&t[11..13])?, num(&t[14..16])?, num(&t[17..19])?);
    if b[13] != b':' || b[16] != b':' || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    secs += h * 3600 + mi * 60 + s;
    let mut rest = &t[19..];
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        frac = format!("0.{}", &r[..digits]).parse::<f64>().ok()?;
        rest = &r[digits..];
    }
    let offset = match rest {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = rest[1..].replace(':', "");
            if r.len() != 4 {
                return None;
            }
            sign * (num(&r[0..2])? * 3600 + num(&r[2..4])? * 60)
        }
    };
    Some((secs - offset) as f64 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_iso8601() {
        assert_eq!(iso_millis(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(1764072000.5), "2025-11-25T12:00:00.500Z");
        assert_eq!(parse("2025-11-25T12:00:00.500Z"), Some(1764072000.5));
        assert_eq!(parse("2025-11-25T12:00:00Z"), Some(1764072000.0));
        assert_eq!(parse("2025-11-25T13:00:00+01:00"), Some(1764072000.0));
        assert_eq!(parse("2024-02-29"), Some(1709164800.0));
        assert_eq!(parse("1764072000"), Some(1764072000.0));
        assert_eq!(parse("yesterday"), None);
    }
}
