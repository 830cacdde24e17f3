//! PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy: a table's or its stream's
//! resource-based policy, which access control evaluates beside the caller's own policies.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::error::{Constraints, DynamoError, ErrorCode};
use crate::ops::tags::arn_constraints;
use crate::schema::{ResourcePolicy, TableMeta};
use crate::{Dynamo, InRegion};

/// DynamoDB's limit on a resource-based policy (20 KB).
const MAX_POLICY_BYTES: usize = 20 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutRequest {
    resource_arn: Option<String>,
    policy: Option<String>,
    expected_revision_id: Option<String>,
    #[allow(dead_code)]
    confirm_remove_self_resource_access: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArnRequest {
    resource_arn: Option<String>,
    expected_revision_id: Option<String>,
}

/// Which policy of a table an ARN names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Table,
    Stream,
}

/// The table (and which of its policies) `arn` names: the table's ARN or its current stream's.
fn target(tables: Vec<Arc<TableMeta>>, arn: &str) -> Result<(Arc<TableMeta>, Target), DynamoError> {
    for t in tables {
        if t.restoring() {
            continue;
        }
        if t.table_arn == arn {
            return Ok((t, Target::Table));
        }
        let stream = t
            .stream
            .as_ref()
            .map(|s| format!("{}/stream/{}", t.table_arn, s.label));
        if stream.as_deref() == Some(arn) {
            return Ok((t, Target::Stream));
        }
    }
    Err(DynamoError::new(
        ErrorCode::ResourceNotFound,
        format!("Requested resource not found: ResourcArn: {arn} not found"),
    ))
}

fn policy_of(meta: &TableMeta, target: Target) -> Option<&ResourcePolicy> {
    match target {
        Target::Table => meta.resource_policy.as_ref(),
        Target::Stream => meta.stream_policy.as_ref(),
    }
}

fn not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorCode::PolicyNotFound,
        format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    )
}

fn revision_mismatch(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorCode::PolicyNotFound,
        format!(
            "A policy with the given revision ID was not found for the provided ResourceArn: {arn}"
        ),
    ) // message unverified
}

/// A policy document DynamoDB accepts: one the evaluator reads, every statement naming a
/// principal (a resource-based policy without one grants nobody).
fn check_document(text: &str) -> Result<(), DynamoError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(DynamoError::new(
            ErrorCode::LimitExceeded,
            format!("Policy size exceeds the maximum allowed size of {MAX_POLICY_BYTES} bytes"),
        )); // message unverified
    }
    let parsed = policy::Policy::parse(text)
        .map_err(|e| DynamoError::validation(format!("Invalid policy document: {e}")))?; // message unverified
    if parsed.statements.iter().any(|s| s.principal.is_none()) {
        return Err(DynamoError::validation(
            "Invalid policy document: every statement of a resource-based policy names a Principal",
        )); // message unverified
    }
    Ok(())
}

pub(super) async fn put(svc: &InRegion<'_>, req: PutRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    if req.policy.is_none() {
        c.push_null("policy");
    }
    c.into_result()?;
    let arn = req.resource_arn.unwrap_or_default();
    let text = req.policy.unwrap_or_default();
    check_document(&text)?;
    target(svc.catalog.all_in(svc.region()), &arn)?;
    let expected = req.expected_revision_id;
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    let revision = svc
        .store
        .write(move |ctx| {
            let (meta, which) = match target(catalog.all_in(&region), &arn) {
                Ok(found) => found,
                Err(e) => return Ok(Err(e)),
            };
            let current = policy_of(&meta, which);
            if let Some(expected) = &expected {
                if current.map(|p| &p.revision_id) != Some(expected) {
                    return Ok(Err(revision_mismatch(&arn)));
                }
            }
            // Revision ids are the time of the change, made to grow when two fall in one ms.
            let previous: u64 = current
                .and_then(|p| p.revision_id.parse().ok())
                .unwrap_or(0);
            let revision = ctx.now_ms().max(previous + 1).to_string();
            let stored = Some(ResourcePolicy {
                policy: text,
                revision_id: revision.clone(),
            });
            let mut next = (*meta).clone();
            match which {
                Target::Table => next.resource_policy = stored,
                Target::Stream => next.stream_policy = stored,
            }
            catalog.put(ctx, next)?;
            Ok(Ok(revision))
        })
        .await??;
    Ok(json!({ "RevisionId": revision }))
}

pub(super) fn get(svc: &InRegion<'_>, req: ArnRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    c.into_result()?;
    let arn = req.resource_arn.unwrap_or_default();
    let (meta, which) = target(svc.catalog.all_in(svc.region()), &arn)?;
    let policy = policy_of(&meta, which).ok_or_else(|| not_found(&arn))?;
    Ok(json!({ "Policy": policy.policy, "RevisionId": policy.revision_id }))
}

pub(super) async fn delete(svc: &InRegion<'_>, req: ArnRequest) -> Result<Json, DynamoError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    c.into_result()?;
    let arn = req.resource_arn.unwrap_or_default();
    target(svc.catalog.all_in(svc.region()), &arn)?;
    let expected = req.expected_revision_id;
    let catalog = svc.catalog.clone();
    let region = svc.region().to_string();
    let revision = svc
        .store
        .write(move |ctx| {
            let (meta, which) = match target(catalog.all_in(&region), &arn) {
                Ok(found) => found,
                Err(e) => return Ok(Err(e)),
            };
            let Some(current) = policy_of(&meta, which) else {
                return Ok(Err(not_found(&arn)));
            };
            if expected.as_ref().is_some_and(|e| *e != current.revision_id) {
                return Ok(Err(revision_mismatch(&arn)));
            }
            let revision = current.revision_id.clone();
            let mut next = (*meta).clone();
            match which {
                Target::Table => next.resource_policy = None,
                Target::Stream => next.stream_policy = None,
            }
            catalog.put(ctx, next)?;
            Ok(Ok(revision))
        })
        .await??;
    Ok(json!({ "RevisionId": revision }))
}

impl Dynamo {
    /// The resource-based policy that bears on `resource` (a table, one of its indexes, or its
    /// stream), as stored.
    pub fn resource_policy_of(&self, resource: &str) -> Option<String> {
        let (_, path) = resource.split_once(":table/")?;
        let name = path.split('/').next()?;
        let meta = self.catalog.get(crate::ids::region_of(resource), name)?;
        let table_arn = resource.split("/index/").next().unwrap_or(resource);
        let (meta, which) = target(vec![meta], table_arn).ok()?;
        policy_of(&meta, which).map(|p| p.policy.clone())
    }
}
