//! DescribeKey (key id, key ARN, alias name or alias ARN; any key state) and ListKeys.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::error::{Constraints, KmsError};
use crate::keys;
use crate::Operation;

use super::{check_access, find_key, page, paged, paging_constraints, Call};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeKey {
    key_id: Option<String>,
    #[allow(dead_code)]
    grant_tokens: Option<Vec<String>>,
}

pub(crate) async fn describe_key(c: &Call<'_>, req: DescribeKey) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    cons.into_result()?;
    let key = find_key(c, req.key_id.as_deref().unwrap_or_default(), true).await?;
    check_access(c, &key, Operation::DescribeKey)?;
    Ok(json!({ "KeyMetadata": key.metadata() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeys {
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) fn list_keys(c: &Call<'_>, req: ListKeys) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    paging_constraints(&mut cons, req.limit, req.marker.as_deref());
    cons.into_result()?;
    let all = keys::keys_in_region(&c.svc.store.read()?, &c.scope)?;
    let limit = req.limit.map_or(100, |l| l as usize);
    let (items, next) = page(all, |k| k.key_id.clone(), req.marker.as_deref(), limit);
    let items = items
        .iter()
        .map(|k| json!({ "KeyId": k.key_id, "KeyArn": k.arn() }))
        .collect();
    Ok(paged("Keys", items, next))
}
