//! Consumed capacity: AWS's arithmetic, its rendering in responses, and the per-second record
//! that CloudWatch metrics and throttling will read.
//!
//! Reads cost one unit per 4 KB read (rounded up, at least one), half for eventually consistent
//! reads; writes one unit per 1 KB of the larger of the item before and after (at least one);
//! every index an item write touches costs its own write units; transactions double (later).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use crate::error::DynamoError;

/// The ReturnConsumedCapacity parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    None,
    Total,
    Indexes,
}

impl Detail {
    pub fn parse(raw: Option<&str>) -> Result<Detail, DynamoError> {
        match raw {
            None | Some("NONE") => Ok(Detail::None),
            Some("TOTAL") => Ok(Detail::Total),
            Some("INDEXES") => Ok(Detail::Indexes),
            Some(other) => Err(DynamoError::bad_enum(other, "returnConsumedCapacity")),
        }
    }
}

/// Units one request consumed on a table and its indexes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Consumed {
    pub table: f64,
    pub global: BTreeMap<String, f64>,
    pub local: BTreeMap<String, f64>,
}

impl Consumed {
    pub fn table(units: f64) -> Consumed {
        Consumed {
            table: units,
            ..Consumed::default()
        }
    }

    pub fn add_index(&mut self, name: &str, global: bool, units: f64) {
        let map = if global {
            &mut self.global
        } else {
            &mut self.local
        };
        *map.entry(name.to_string()).or_default() += units;
    }

    pub fn total(&self) -> f64 {
        self.table + self.global.values().sum::<f64>() + self.local.values().sum::<f64>()
    }

    pub fn merge(&mut self, other: &Consumed) {
        self.table += other.table;
        for (k, v) in &other.global {
            *self.global.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.local {
            *self.local.entry(k.clone()).or_default() += v;
        }
    }

    /// The `ConsumedCapacity` object for `table`, or None when not asked for.
    pub fn render(&self, detail: Detail, table: &str) -> Option<Json> {
        let units = |m: &BTreeMap<String, f64>| -> Json {
            Json::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), json!({ "CapacityUnits": v })))
                    .collect(),
            )
        };
        match detail {
            Detail::None => None,
            Detail::Total => Some(json!({ "TableName": table, "CapacityUnits": self.total() })),
            Detail::Indexes => {
                let mut o = Map::new();
                o.insert("TableName".into(), table.into());
                o.insert("CapacityUnits".into(), self.total().into());
                o.insert("Table".into(), json!({ "CapacityUnits": self.table }));
                if !self.global.is_empty() {
                    o.insert("GlobalSecondaryIndexes".into(), units(&self.global));
                }
                if !self.local.is_empty() {
                    o.insert("LocalSecondaryIndexes".into(), units(&self.local));
                }
                Some(Json::Object(o))
            }
        }
    }

    /// Adds `ConsumedCapacity` to a single-table response when asked for.
    pub fn add_to(&self, out: &mut Map<String, Json>, detail: Detail, table: &str) {
        if let Some(cc) = self.render(detail, table) {
            out.insert("ConsumedCapacity".into(), cc);
        }
    }
}

/// Write units: 1 per KB (rounded up) of the larger of the item before and after, at least 1.
pub fn write_units(old_size: usize, new_size: usize) -> f64 {
    old_size.max(new_size).div_ceil(1024).max(1) as f64
}

/// Read units: 1 per 4 KB (rounded up), at least 1; half for eventually consistent reads.
pub fn read_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_aws_worked_examples() {
        // AWS: a 3.5 KB item read strongly consistent is 1 RCU; eventually consistent 0.5.
        assert_eq!(read_units(3584, true), 1.0);
        assert_eq!(read_units(3584, false), 0.5);
        // An 8 KB+1 read is 3 RCU.
        assert_eq!(read_units(8193, true), 3.0);
        // A 500-byte write is 1 WCU; a 3.5 KB one 4 WCU; the larger of before/after counts.
        assert_eq!(write_units(0, 500), 1.0);
        assert_eq!(write_units(0, 3584), 4.0);
        assert_eq!(write_units(5000, 100), 5.0);
    }

    #[test]
    fn renders_index_detail() {
        let mut c = Consumed::table(1.0);
        c.add_index("g", true, 2.0);
        let j = c.render(Detail::Indexes, "t").unwrap_or_default();
        assert_eq!(j["CapacityUnits"], 3.0);
        assert_eq!(j["GlobalSecondaryIndexes"]["g"]["CapacityUnits"], 2.0);
        assert_eq!(
            c.render(Detail::Total, "t").unwrap_or_default()["CapacityUnits"],
            3.0
        );
    }
}
