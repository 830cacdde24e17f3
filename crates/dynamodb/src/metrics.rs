//! Consumed capacity per table and index, per second: what CloudWatch's
//! Consumed{Read,Write}CapacityUnits metrics and provisioned-capacity throttling will read.
//! Kept in memory for an hour; metrics are not durable data.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use clock::Clock;

use crate::capacity::Consumed;

/// How long per-second figures are kept.
const RETENTION_SECONDS: u64 = 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// Units consumed in one second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Second {
    pub read: f64,
    pub write: f64,
}

/// (table, index or "" for the table itself) -> second -> units.
pub struct Recorder {
    clock: Clock,
    series: Mutex<HashMap<(String, String), BTreeMap<u64, Second>>>,
}

impl Recorder {
    /// A recorder that stamps units with `clock`'s seconds.
    pub fn new(clock: Clock) -> Recorder {
        Recorder {
            clock,
            series: Mutex::default(),
        }
    }

    pub fn record(&self, table: &str, consumed: &Consumed, kind: Kind) {
        self.record_at(self.clock.now_secs(), table, consumed, kind);
    }

    pub fn record_at(&self, second: u64, table: &str, consumed: &Consumed, kind: Kind) {
        let Ok(mut series) = self.series.lock() else {
            return;
        };
        let mut add = |index: &str, units: f64| {
            let s = series
                .entry((table.to_string(), index.to_string()))
                .or_default();
            let slot = s.entry(second).or_default();
            match kind {
                Kind::Read => slot.read += units,
                Kind::Write => slot.write += units,
            }
            // Trim from the front; seconds arrive roughly in order.
            while s
                .first_key_value()
                .is_some_and(|(t, _)| *t + RETENTION_SECONDS < second)
            {
                s.pop_first();
            }
        };
        add("", consumed.table);
        for (name, units) in consumed.global.iter().chain(consumed.local.iter()) {
            add(name, *units);
        }
    }

    /// Per-second figures of a table (`index` None) or one of its indexes, from `since` on.
    pub fn seconds(&self, table: &str, index: Option<&str>, since: u64) -> Vec<(u64, Second)> {
        let Ok(series) = self.series.lock() else {
            return Vec::new();
        };
        series
            .get(&(table.to_string(), index.unwrap_or("").to_string()))
            .map(|s| s.range(since..).map(|(t, v)| (*t, *v)).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_second_and_per_index() {
        let r = Recorder::new(Clock::system());
        let mut c = Consumed::table(1.0);
        c.add_index("g", true, 2.0);
        r.record_at(100, "t", &c, Kind::Write);
        r.record_at(100, "t", &Consumed::table(0.5), Kind::Read);
        r.record_at(101, "t", &c, Kind::Write);
        assert_eq!(
            r.seconds("t", None, 0),
            vec![
                (
                    100,
                    Second {
                        read: 0.5,
                        write: 1.0
                    }
                ),
                (
                    101,
                    Second {
                        read: 0.0,
                        write: 1.0
                    }
                )
            ]
        );
        assert_eq!(
            r.seconds("t", Some("g"), 101),
            vec![(
                101,
                Second {
                    read: 0.0,
                    write: 2.0
                }
            )]
        );
        r.record_at(100 + RETENTION_SECONDS + 5, "t", &c, Kind::Write);
        assert_eq!(r.seconds("t", None, 0).len(), 1);
    }
}
