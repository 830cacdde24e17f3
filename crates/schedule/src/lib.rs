//! AWS's schedule expressions, as Application Auto Scaling's scheduled actions and AWS Backup's
//! plan rules read them: `at(yyyy-mm-ddThh:mm:ss)`,
//! `rate(N minute|minutes|hour|hours|day|days)` and `cron(minutes hours day-of-month month
//! day-of-week year)` (AWS's six fields: `*`, `?`, lists, ranges, steps, month and day names;
//! day-of-week 1-7 is SUN-SAT; `L` for the last day of the month or week, `nL` for the last
//! such weekday, `nW` for the weekday nearest day n, `LW`, and `d#n` for the nth weekday d),
//! in the action's time zone (IANA names, via `jiff` and the system's zoneinfo). Times are
//! epoch milliseconds.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    At(DateTime),
    Rate(u64),
    Cron(Box<Cron>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Option<Day>,
    months: Vec<bool>,
    weekdays: Option<Weekday>,
    years: Option<Vec<bool>>,
}

/// The day-of-month field.
#[derive(Clone, Debug, PartialEq)]
enum Day {
    Set(Vec<bool>),
    /// `L`
    Last,
    /// `LW`
    LastWeekday,
    /// `nW`: the weekday nearest day n, within the month.
    NearestWeekday(i8),
}

/// The day-of-week field (1 = Sunday).
#[derive(Clone, Debug, PartialEq)]
enum Weekday {
    Set(Vec<bool>),
    /// `nL`: the last weekday n of the month.
    Last(i8),
    /// `d#n`: the nth weekday d of the month.
    Nth(i8, i8),
}

/// 1 = Sunday ... 7 = Saturday.
fn weekday_of(d: jiff::civil::Date) -> i8 {
    d.weekday().to_sunday_one_offset()
}

fn is_weekday(d: jiff::civil::Date) -> bool {
    (2..=6).contains(&weekday_of(d))
}

impl Day {
    fn parse(t: &str) -> Result<Option<Day>, String> {
        Ok(Some(match t {
            "?" => return Ok(None),
            "L" => Day::Last,
            "LW" => Day::LastWeekday,
            _ if t.ends_with('W') => {
                let n: i8 = t
                    .trim_end_matches('W')
                    .parse()
                    .ok()
                    .filter(|n| (1..=31).contains(n))
                    .ok_or_else(|| format!("bad day-of-month {t}"))?;
                Day::NearestWeekday(n)
            }
            _ => Day::Set(field(t, 1, 31, &[])?),
        }))
    }

    fn matches(&self, d: jiff::civil::Date) -> bool {
        let last = d.days_in_month();
        match self {
            Day::Set(s) => s.get(d.day() as usize - 1).copied().unwrap_or(false),
            Day::Last => d.day() == last,
            Day::LastWeekday => {
                is_weekday(d)
                    && (d.day()..=last)
                        .skip(1)
                        .all(|n| !is_weekday(d.with().day(n).build().unwrap_or(d)))
            }
            Day::NearestWeekday(n) => {
                let target = (*n).min(last);
                let Ok(t) = d.with().day(target).build() else {
                    return false;
                };
                // Saturday moves to Friday (or Monday on the 1st); Sunday to Monday (or
                // Friday on the last day).
                let nearest = match weekday_of(t) {
                    7 if target == 1 => target + 2,
                    7 => target - 1,
                    1 if target == last => target - 2,
                    1 => target + 1,
                    _ => target,
                };
                d.day() == nearest
            }
        }
    }
}

impl Weekday {
    fn parse(t: &str) -> Result<Option<Weekday>, String> {
        let day = |s: &str| -> Result<i8, String> {
            let v = field(s, 1, 7, &DAYS)?;
            match v.iter().filter(|x| **x).count() {
                1 => Ok(v.iter().position(|x| *x).unwrap_or(0) as i8 + 1),
                _ => Err(format!("bad day-of-week {s}")),
            }
        };
        Ok(Some(match t {
            "?" => return Ok(None),
            "L" => Weekday::Set(field("7", 1, 7, &DAYS)?),
            _ if t.ends_with('L') => Weekday::Last(day(t.trim_end_matches('L'))?),
            _ if t.contains('#') => {
                let (d, n) = t.split_once('#').unwrap_or_default();
                let n: i8 = n
                    .parse()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(|| format!("bad day-of-week {t}"))?;
                Weekday::Nth(day(d)?, n)
            }
            _ => Weekday::Set(field(t, 1, 7, &DAYS)?),
        }))
    }

    fn matches(&self, d: jiff::civil::Date) -> bool {
        let w = weekday_of(d);
        match self {
            Weekday::Set(s) => s.get(w as usize - 1).copied().unwrap_or(false),
            Weekday::Last(x) => w == *x && d.day() + 7 > d.days_in_month(),
            Weekday::Nth(x, n) => w == *x && (d.day() - 1) / 7 + 1 == *n,
        }
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIRST_YEAR: i64 = 1970;

/// One cron field: the set of values in [lo, hi] it matches (index value - lo), or None for
/// `?` where allowed.
fn field(text: &str, lo: i64, hi: i64, names: &[&str]) -> Result<Vec<bool>, String> {
    let mut set = vec![false; (hi - lo + 1) as usize];
    let value = |s: &str| -> Result<i64, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as i64 + lo);
        }
        s.parse::<i64>()
            .ok()
            .filter(|v| (lo..=hi).contains(v))
            .ok_or_else(|| format!("{s} is not between {lo} and {hi}"))
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<i64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("bad step {s}"))?,
            ),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            (a, if part.contains('/') { hi } else { a })
        };
        if a > b {
            return Err(format!("bad range {range}"));
        }
        let mut v = a;
        while v <= b {
            if let Some(slot) = set.get_mut((v - lo) as usize) {
                *slot = true;
            }
            v += step;
        }
    }
    Ok(set)
}

impl Cron {
    fn parse(text: &str) -> Result<Cron, String> {
        let f: Vec<&str> = text.split_whitespace().collect();
        let [minutes, hours, days, months, weekdays, years] = f.as_slice() else {
            return Err("a cron expression has six fields".into());
        };
        let cron = Cron {
            minutes: field(minutes, 0, 59, &[])?,
            hours: field(hours, 0, 23, &[])?,
            days: Day::parse(days)?,
            months: field(months, 1, 12, &MONTHS)?,
            weekdays: Weekday::parse(weekdays)?,
            years: if *years == "*" {
                None
            } else {
                Some(field(years, FIRST_YEAR, 2199, &[])?)
            },
        };
        // AWS: exactly one of day-of-month and day-of-week is `?`.
        if cron.days.is_some() == cron.weekdays.is_some() {
            return Err("one of day-of-month and day-of-week must be ?".into());
        }
        Ok(cron)
    }

    /// Whether a whole day can hold a run (month, year, and the day fields).
    fn day_matches(&self, d: jiff::civil::Date) -> bool {
        let at =
            |set: &Vec<bool>, v: i64, lo: i64| set.get((v - lo) as usize).copied().unwrap_or(false);
        at(&self.months, i64::from(d.month()), 1)
            && self.days.as_ref().is_none_or(|x| x.matches(d))
            && self.weekdays.as_ref().is_none_or(|x| x.matches(d))
            && self
                .years
                .as_ref()
                .is_none_or(|y| at(y, i64::from(d.year()), FIRST_YEAR))
    }

    fn matches(&self, t: DateTime) -> bool {
        let at = |set: &Vec<bool>, v: i64| set.get(v as usize).copied().unwrap_or(false);
        at(&self.minutes, i64::from(t.minute()))
            && at(&self.hours, i64::from(t.hour()))
            && self.day_matches(t.date())
    }
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let inner = |prefix: &str| {
            text.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(')'))
                .map(str::trim)
        };
        if let Some(at) = inner("at(") {
            // yyyy-mm-ddThh:mm:ss, nothing shorter or longer.
            let shaped = at.len() == 19 && at.as_bytes().get(10) == Some(&b'T');
            return at
                .parse::<DateTime>()
                .ok()
                .filter(|_| shaped)
                .map(Schedule::At)
                .ok_or_else(|| format!("bad at() time {at}"));
        }
        if let Some(rate) = inner("rate(") {
            let (n, unit) = rate
                .split_once(' ')
                .ok_or("rate() needs a value and a unit")?;
            let n: u64 = n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or("rate()'s value must be a positive integer")?;
            let ms = match unit.trim() {
                "minute" | "minutes" => 60_000,
                "hour" | "hours" => 3_600_000,
                "day" | "days" => 86_400_000,
                other => return Err(format!("unknown rate() unit {other}")),
            };
            // At most ten years between runs: keeps every later time within range.
            return n
                .checked_mul(ms)
                .filter(|every| *every <= 10 * 366 * 86_400_000)
                .map(Schedule::Rate)
                .ok_or_else(|| "rate() is longer than ten years".into());
        }
        if let Some(cron) = inner("cron(") {
            return Cron::parse(cron).map(|c| Schedule::Cron(Box::new(c)));
        }
        Err("a schedule is at(...), rate(...) or cron(...)".into())
    }

    /// The first time after `after_ms` the schedule fires in `zone`, no earlier than
    /// `anchor_ms` (the action's start, or its creation for rate()), or None.
    pub fn next(&self, zone: &TimeZone, after_ms: i64, anchor_ms: i64) -> Option<i64> {
        match self {
            Schedule::At(t) => {
                let at = zone.to_timestamp(*t).ok()?.as_millisecond();
                (at > after_ms).then_some(at)
            }
            Schedule::Rate(every) => {
                let every = i64::try_from(*every).ok().filter(|e| *e > 0)?;
                let k = after_ms.checked_sub(anchor_ms)?.div_euclid(every) + 1;
                anchor_ms.checked_add(k.max(1).checked_mul(every)?)
            }
            Schedule::Cron(c) => {
                // Minute by minute in local time, skipping whole days and hours that cannot
                // match; a year at most.
                let start = Timestamp::from_millisecond(after_ms.max(anchor_ms - 1)).ok()?;
                let mut t = zone.to_datetime(start);
                t = t.with().second(0).subsec_nanosecond(0).build().ok()?;
                t = t.checked_add(jiff::Span::new().minutes(1)).ok()?;
                for _ in 0..600_000 {
                    if c.matches(t) {
                        let ts = zone.to_timestamp(t).ok()?.as_millisecond();
                        if ts > after_ms {
                            return Some(ts);
                        }
                    }
                    let day_ok = c.day_matches(t.date());
                    t = if !day_ok {
                        t.date()
                            .tomorrow()
                            .ok()?
                            .to_datetime(jiff::civil::Time::midnight())
                    } else if !c.hours.get(t.hour() as usize).copied().unwrap_or(false) {
                        t.with()
                            .minute(0)
                            .build()
                            .ok()?
                            .checked_add(jiff::Span::new().hours(1))
                            .ok()?
                    } else {
                        t.checked_add(jiff::Span::new().minutes(1)).ok()?
                    };
                }
                None
            }
        }
    }
}

/// The time zone a scheduled action names (UTC when none).
pub fn zone(name: Option<&str>) -> Result<TimeZone, String> {
    match name {
        None | Some("UTC") | Some("Etc/UTC") => Ok(TimeZone::UTC),
        Some(n) => TimeZone::get(n).map_err(|_| format!("Invalid timezone: {n}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(0)
    }

    #[test]
    fn schedules_fire_when_aws_says() {
        let utc = TimeZone::UTC;
        let cron = Schedule::parse("cron(30 9 ? * MON-FRI *)");
        assert!(cron.is_ok(), "{cron:?}");
        let cron = cron.unwrap_or(Schedule::Rate(1));
        // Saturday 2026-12-05 10:00 -> Monday 2026-12-07 09:30.
        assert_eq!(
            cron.next(&utc, ms("2026-12-05T10:00:00Z"), 0),
            Some(ms("2026-12-07T09:30:00Z"))
        );
        let every = Schedule::parse("rate(5 minutes)").unwrap_or(Schedule::Rate(1));
        assert_eq!(every.next(&utc, 0, 0), Some(300_000));
        assert_eq!(every.next(&utc, 300_000, 0), Some(600_000));
        let at = Schedule::parse("at(2026-12-24T18:00:00)").unwrap_or(Schedule::Rate(1));
        assert_eq!(at.next(&utc, 0, 0), Some(ms("2026-12-24T18:00:00Z")));
        assert_eq!(at.next(&utc, ms("2026-12-25T00:00:00Z"), 0), None);
        assert!(Schedule::parse("cron(0 0 * *)").is_err());
        assert!(Schedule::parse("rate(0 minutes)").is_err());
        assert!(Schedule::parse("rate(200000000000 days)").is_err());
        assert!(Schedule::parse("rate(9223372036854775807 days)").is_err());
        assert!(Schedule::parse("cron(0 10 * * * *)").is_err());
        assert!(Schedule::parse("at(2027-01-01)").is_err());
        let next = |expr: &str, after: &str| {
            Schedule::parse(expr)
                .ok()
                .and_then(|s| s.next(&utc, ms(after), 0))
        };
        // The last day of December 2026, its last weekday, the weekday nearest the 5th (a
        // Saturday: Friday the 4th), the third Friday, the last Friday.
        assert_eq!(
            next("cron(0 10 L * ? *)", "2026-12-06T00:00:00Z"),
            Some(ms("2026-12-31T10:00:00Z"))
        );
        assert_eq!(
            next("cron(0 10 LW * ? *)", "2027-01-01T00:00:00Z"),
            Some(ms("2027-01-29T10:00:00Z"))
        );
        assert_eq!(
            next("cron(0 10 5W * ? *)", "2026-12-01T00:00:00Z"),
            Some(ms("2026-12-04T10:00:00Z"))
        );
        assert_eq!(
            next("cron(0 10 ? * 6#3 *)", "2026-12-01T00:00:00Z"),
            Some(ms("2026-12-18T10:00:00Z"))
        );
        assert_eq!(
            next("cron(0 10 ? * 6L *)", "2026-12-01T00:00:00Z"),
            Some(ms("2026-12-25T10:00:00Z"))
        );
        if let Ok(ny) = zone(Some("America/New_York")) {
            let daily = Schedule::parse("cron(0 8 * * ? *)").unwrap_or(Schedule::Rate(1));
            // 08:00 in New York in December is 13:00 UTC.
            assert_eq!(
                daily.next(&ny, ms("2026-12-06T00:00:00Z"), 0),
                Some(ms("2026-12-06T13:00:00Z"))
            );
        }
    }
}
