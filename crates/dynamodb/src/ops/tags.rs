//! TagResource, UntagResource, ListTagsOfResource on table ARNs.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::schema::{TableMeta, Tag};
use crate::InRegion;

const MAX_TAGS: usize = 50;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagRequest {
    resource_arn: Option<String>,
    tags: Option<Vec<Tag>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagRequest {
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListRequest {
    resource_arn: Option<String>,
}

/// `ResourceArn` as the operations on a table's ARN validate it.
pub(super) fn arn_constraints(c: &mut Constraints, arn: Option<&str>) {
    match arn {
        None => c.push_null("resourceArn"),
        Some(a) if a.is_empty() => {
            c.push(a, "resourceArn", "have length greater than or equal to 1")
        }
        Some(a) if a.len() > 1283 => {
            c.push(a, "resourceArn", "have length less than or equal to 1283")
        }
        Some(_) => {}
    }
}

/// A request's tags as AWS checks them, in its words (recorded 2026-10-09: ack-api-quirks
/// DDB-TABLE-442). The characters allowed are DynamoDB's documented set: letters, numbers,
/// white space and `+ - = . _ : /`.
pub(super) fn check_tags(tags: &[Tag]) -> Result<(), DynamoError> {
    let allowed = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "+-=._:/@".contains(c))
    };
    let mut seen = std::collections::BTreeSet::new();
    for t in tags {
        if t.key.is_empty() || t.key.chars().count() > 128 || !allowed(&t.key) {
            return Err(DynamoError::validation(format!(
                "The Tag Key provided is invalid, Key: {}",
                t.key
            )));
        }
        if t.value.chars().count() > 256 || !allowed(&t.value) {
            return Err(DynamoError::validation(format!(
                "The Tag Value provided is invalid, Value: {}",
                t.value
            )));
        }
        if t.key
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
        {
            return Err(DynamoError::validation(format!(
                "Tag Key cannot be prefixed with aws:, Key: {}",
                t.key
            )));
        }
        if !seen.insert(t.key.as_str()) {
            return Err(DynamoError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {}",
                t.key
            )));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(())
}

/// More than 50 tags on a resource: a ValidationException, not LimitExceeded (recorded).
fn too_many_tags() -> DynamoError {
    DynamoError::validation("Number of Tags exceed the current limit for the provided ResourceArn")
}

fn table_by_arn(svc: &InRegion<'_>, arn: &str) -> Result<Arc<TableMeta>, DynamoError> {
    if !arn.starts_with("arn:") {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: ARNs must start with 'arn:': {arn}"
        )));
    }
    if arn.contains("/index/") {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Invalid resource arn provided, only table \
             or stream is accepted. Provided resource arn: {arn}"
        )));
    }
    if arn.split(':').count() < 6 {
        return Err(DynamoError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        )));
    }
    find(svc.catalog.all_in(svc.region()), arn)
}

/// The table `arn` names among `tables` (the request's region's: another region's table is
/// not found).
fn find(tables: Vec<Arc<TableMeta>>, arn: &str) -> Result<Arc<TableMeta>, DynamoError> {
    tables
        .into_iter()
        .find(|t| t.table_arn == arn && !t.restoring())
        .ok_or_else(|| {
            DynamoError::new(
                ErrorCode::ResourceNotFound,
                format!("Requested resource not found: ResourcArn: {arn} not found"),
            )
        })
}

pub(super) async fn tag(svc: &InRegion<'_>, req: TagRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    if req.tags.is_none() {
        c.push_null("tags");
    }
    c.into_result()?;
    let arn = req.resource_arn.unwrap_or_default();
    let tags = req.tags.unwrap_or_default();
    if tags.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    check_tags(&tags)?;
    table_by_arn(svc, &arn)?;
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    svc.store
        .write(move |ctx| {
            let meta = match find(catalog.all_in(&region), &arn) {
                Ok(m) => m,
                Err(e) => return Ok(Err(e)),
            };
            let mut next = (*meta).clone();
            for t in tags {
                match next.tags.iter_mut().find(|x| x.key == t.key) {
                    Some(existing) => existing.value = t.value,
                    None => next.tags.push(t),
                }
            }
            if next.tags.len() > MAX_TAGS {
                return Ok(Err(too_many_tags()));
            }
            catalog.put(ctx, next)?;
            Ok(Ok(()))
        })
        .await??;
    Ok(json!({}))
}

pub(super) async fn untag(svc: &InRegion<'_>, req: UntagRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    if req.tag_keys.is_none() {
        c.push_null("tagKeys");
    }
    c.into_result()?;
    let arn = req.resource_arn.unwrap_or_default();
    let keys = req.tag_keys.unwrap_or_default();
    table_by_arn(svc, &arn)?;
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    svc.store
        .write(move |ctx| {
            let meta = match find(catalog.all_in(&region), &arn) {
                Ok(m) => m,
                Err(e) => return Ok(Err(e)),
            };
            let mut next = (*meta).clone();
            next.tags.retain(|t| !keys.contains(&t.key));
            catalog.put(ctx, next)?;
            Ok(Ok(()))
        })
        .await??;
    Ok(json!({}))
}

pub(super) fn list(svc: &InRegion<'_>, req: ListRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    c.into_result()?;
    let arn = req.resource_arn.as_deref().unwrap_or_default();
    // Today AWS answers a well-formed ARN of no table with a refusal, not "not found" (as
    // applications and the suites meet it); TagResource and UntagResource still say
    // "not found".
    let meta = table_by_arn(svc, arn).map_err(|e| match e.code {
        ErrorCode::ResourceNotFound => DynamoError::new(
            ErrorCode::AccessDenied,
            format!(
                "User is not authorized to perform: dynamodb:ListTagsOfResource on resource: {arn}"
            ),
        ),
        _ => e,
    })?;
    Ok(json!({ "Tags": meta.tags }))
}
