//! TagResource, UntagResource, ListTagsForResource on scalable-target ARNs.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::targets::tag_constraints;
use super::Checked;
use crate::error::{AutoScalingError, Constraints, ErrorCode};
use crate::records::{self, ScalableTarget};
use crate::AutoScaling;

/// AWS's limit of tags on one scalable target.
const MAX_TAGS: usize = 50;

const ARN_PATTERN: &str =
    "^arn:.+:application-autoscaling:.+:[0-9]+:scalable-target\\/[a-zA-Z0-9-]+$";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagRequest {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagRequest {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListRequest {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
}

/// `^arn:.+:application-autoscaling:.+:[0-9]+:scalable-target\/[a-zA-Z0-9-]+$`, by hand.
fn arn_matches(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:") else {
        return false;
    };
    let Some((head, id)) = rest.rsplit_once(":scalable-target/") else {
        return false;
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return false;
    }
    // head = <partition>:application-autoscaling:<region...>:<account digits>
    let Some((before_account, account)) = head.rsplit_once(':') else {
        return false;
    };
    if account.is_empty() || !account.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    match before_account.split_once(":application-autoscaling:") {
        Some((partition, region)) => !partition.is_empty() && !region.is_empty(),
        None => false,
    }
}

fn arn_constraints(c: &mut Constraints, arn: Option<&str>) {
    match arn {
        None => c.push_null("resourceARN"),
        Some(a) if a.is_empty() => {
            c.push(a, "resourceARN", "have length greater than or equal to 1")
        }
        Some(a) if a.chars().count() > 1011 => {
            c.push(a, "resourceARN", "have length less than or equal to 1011")
        }
        Some(a) if !arn_matches(a) => c.push(
            a,
            "resourceARN",
            &format!("satisfy regular expression pattern: {ARN_PATTERN}"),
        ),
        Some(_) => {}
    }
}

fn not_found(arn: &str) -> AutoScalingError {
    let mut e = AutoScalingError::new(
        ErrorCode::ResourceNotFound,
        format!("Scalable target with ARN {arn} not found"),
    );
    e.resource_name = Some(arn.to_string());
    e
}

pub(super) async fn tag(
    svc: &AutoScaling,
    req: TagRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    match &req.tags {
        None => c.push_null("tags"),
        Some(tags) => tag_constraints(&mut c, tags),
    }
    c.into_result()?;
    let (Some(arn), Some(tags)) = (req.resource_arn, req.tags) else {
        return Err(AutoScalingError::internal());
    };
    let region = region.to_string();
    let result: Checked<()> = svc
        .store
        .write(move |ctx| {
            let found = records::target_by_arn(ctx, &arn)?;
            // Each region has its own targets: another region's ARN names none here.
            let Some(mut target) = found.filter(|t| t.region() == region) else {
                return Ok(Err(not_found(&arn)));
            };
            target.tags.extend(tags);
            if target.tags.len() > MAX_TAGS {
                let mut e = AutoScalingError::new(
                    ErrorCode::TooManyTags,
                    format!("A scalable target can have at most {MAX_TAGS} tags"),
                );
                e.resource_name = Some(arn);
                return Ok(Err(e));
            }
            records::put_target(ctx, &target)?;
            Ok(Ok(()))
        })
        .await?;
    result?;
    Ok(json!({}))
}

pub(super) async fn untag(
    svc: &AutoScaling,
    req: UntagRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    match &req.tag_keys {
        None => c.push_null("tagKeys"),
        Some(keys) if keys.len() > 200 => c.push(
            format!("[{}]", keys.join(", ")),
            "tagKeys",
            "have length less than or equal to 200",
        ),
        Some(keys) => {
            for k in keys {
                let n = k.chars().count();
                if n == 0 || n > 128 {
                    c.push(k, "tagKeys", "have length between 1 and 128");
                }
            }
        }
    }
    c.into_result()?;
    let (Some(arn), Some(keys)) = (req.resource_arn, req.tag_keys) else {
        return Err(AutoScalingError::internal());
    };
    let region = region.to_string();
    let result: Checked<()> = svc
        .store
        .write(move |ctx| {
            let found = records::target_by_arn(ctx, &arn)?;
            // Each region has its own targets: another region's ARN names none here.
            let Some(mut target) = found.filter(|t| t.region() == region) else {
                return Ok(Err(not_found(&arn)));
            };
            for k in &keys {
                target.tags.remove(k);
            }
            records::put_target(ctx, &target)?;
            Ok(Ok(()))
        })
        .await?;
    result?;
    Ok(json!({}))
}

pub(super) fn list(
    svc: &AutoScaling,
    req: ListRequest,
    region: &str,
) -> Result<Json, AutoScalingError> {
    let mut c = Constraints::default();
    arn_constraints(&mut c, req.resource_arn.as_deref());
    c.into_result()?;
    let arn = req.resource_arn.unwrap_or_default();
    let read = svc.store.read()?;
    let target: Option<ScalableTarget> =
        records::target_by_arn(&read, &arn)?.filter(|t| t.region() == region);
    match target {
        Some(t) => Ok(json!({ "Tags": t.tags })),
        None => Err(not_found(&arn)),
    }
}

#[cfg(test)]
mod tests {
    use super::arn_matches;

    #[test]
    fn matches_the_model_pattern() {
        assert!(arn_matches(
            "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/1234abcd56ab78cd901ef1234567890ab123"
        ));
        assert!(!arn_matches(
            "arn:aws:application-autoscaling:us-east-1:12a:scalable-target/x"
        ));
        assert!(!arn_matches(
            "arn:aws:dynamodb:us-east-1:1:scalable-target/x"
        ));
        assert!(!arn_matches(
            "arn:aws:application-autoscaling:us-east-1:1:scalable-target/x_y"
        ));
        assert!(!arn_matches(
            "arn:aws:application-autoscaling:us-east-1:1:scalable-target/"
        ));
        assert!(!arn_matches("table/x"));
    }
}
