//! Key tags: TagResource, UntagResource, ListResourceTags (and CreateKey's Tags).

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::error::{Constraints, ErrorCode, KmsError};
use crate::Operation;

use super::{listed_key, page, paged, require_not_pending, update_key, Call, Tag};

/// Checks a Tags list and returns its pairs. `member` is the request member ("tags").
pub(crate) fn validate_tags(tags: &[Tag], member: &str) -> Result<Vec<(String, String)>, KmsError> {
    let mut cons = Constraints::default();
    for (i, t) in tags.iter().enumerate() {
        let at = format!("{member}.{}.member", i + 1);
        cons.string(t.tag_key.as_deref(), &format!("{at}.tagKey"), 1, 128);
        cons.string(t.tag_value.as_deref(), &format!("{at}.tagValue"), 0, 256);
    }
    cons.into_result()?;
    let mut out: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for t in tags {
        let key = t.tag_key.clone().unwrap_or_default();
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(KmsError::new(
                ErrorCode::Tag,
                "Tags beginning with aws: are reserved",
            ));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(KmsError::new(ErrorCode::Tag, "Duplicate tag keys"));
        }
        out.push((key, t.tag_value.clone().unwrap_or_default()));
    }
    if out.len() > 50 {
        return Err(KmsError::new(ErrorCode::Tag, "Too many tags"));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagResource {
    key_id: Option<String>,
    tags: Option<Vec<Tag>>,
}

pub(crate) async fn tag(c: &Call<'_>, req: TagResource) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    if req.tags.is_none() {
        cons.push_null("tags");
    }
    cons.into_result()?;
    let tags = validate_tags(req.tags.as_deref().unwrap_or_default(), "tags")?;
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, Operation::TagResource, move |key, _| {
        require_not_pending(key)?;
        for (k, v) in tags {
            key.tags.insert(k, v);
        }
        if key.tags.len() > 50 {
            return Err(KmsError::new(
                ErrorCode::LimitExceeded,
                "The request was rejected because the key would have more than 50 tags.",
            ));
        }
        Ok(json!({}))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UntagResource {
    key_id: Option<String>,
    tag_keys: Option<Vec<String>>,
}

pub(crate) async fn untag(c: &Call<'_>, req: UntagResource) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    cons.string(req.key_id.as_deref(), "keyId", 1, 2048);
    match &req.tag_keys {
        None => cons.push_null("tagKeys"),
        Some(keys) => {
            for (i, k) in keys.iter().enumerate() {
                cons.length(k, &format!("tagKeys.{}.member", i + 1), 1, 128);
            }
        }
    }
    cons.into_result()?;
    let names = req.tag_keys.unwrap_or_default();
    let raw = req.key_id.unwrap_or_default();
    update_key(c, &raw, Operation::UntagResource, move |key, _| {
        require_not_pending(key)?;
        for n in &names {
            key.tags.remove(n);
        }
        Ok(json!({}))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListResourceTags {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) fn list(c: &Call<'_>, req: ListResourceTags) -> Result<Json, KmsError> {
    let key = listed_key(
        c,
        req.key_id.as_deref(),
        req.limit,
        req.marker.as_deref(),
        Operation::ListResourceTags,
    )?;
    let all: Vec<(String, String)> = key.tags.into_iter().collect();
    // At most 50 per page, 50 unless asked.
    let limit = req.limit.map_or(50, |l| l.min(50) as usize);
    let (items, next) = page(all, |t| t.0.clone(), req.marker.as_deref(), limit);
    let items = items
        .into_iter()
        .map(|(k, v)| json!({ "TagKey": k, "TagValue": v }))
        .collect();
    Ok(paged("Tags", items, next))
}
