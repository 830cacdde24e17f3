//! ListTables: names in order, paged by ExclusiveStartTableName.

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::error::{Constraints, DynamoError};
use crate::InRegion;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Request {
    exclusive_start_table_name: Option<String>,
    limit: Option<i64>,
}

pub(super) fn handle(svc: &InRegion<'_>, req: Request) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    if let Some(l) = req.limit {
        if l < 1 {
            c.push(l, "limit", "have value greater than or equal to 1");
        } else if l > 100 {
            c.push(l, "limit", "have value less than or equal to 100");
        }
    }
    if let Some(s) = &req.exclusive_start_table_name {
        super::validate::name_constraints(&mut c, s, "exclusiveStartTableName");
    }
    c.into_result()?;
    let limit = req.limit.map_or(100, |l| l as usize);
    let names = svc.catalog.names(svc.region());
    let start = req.exclusive_start_table_name.unwrap_or_default();
    let page: Vec<String> = names
        .into_iter()
        .filter(|n| *n > start)
        .take(limit + 1)
        .collect();
    let mut out = Map::new();
    let more = page.len() > limit;
    let page: Vec<String> = page.into_iter().take(limit).collect();
    if more {
        if let Some(last) = page.last() {
            out.insert("LastEvaluatedTableName".into(), last.clone().into());
        }
    }
    out.insert("TableNames".into(), page.into());
    Ok(Json::Object(out))
}
