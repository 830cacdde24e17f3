//! Roles: create, read, update, delete, tags, permissions boundaries, inline policies and
//! managed policy attachments.

use crate::doc::{counted_size, validate_trust};
use crate::entity::{self, scope_missing};
use crate::error::{Fail, IamError};
use crate::ids::unique_id;
use crate::managed;
use crate::model::{self, Role, Tag, View};
use crate::paging::{page, xml_page, DEFAULT_MAX_ITEMS};
use crate::params::{check_path, Checks, Params};
use crate::render::{self, RoleShape};
use crate::xml::Xml;
use crate::Iam;

/// IAM's quotas that apply to roles.
const TRUST_POLICY_QUOTA: usize = 2048;
pub(crate) const TAGS_QUOTA: usize = 50;

/// The role, or IAM's `NoSuchEntity` for it.
pub(crate) fn require_role(view: &impl View, name: &str) -> Result<Role, Fail> {
    entity::require(view, name)
}

fn role_name<'a>(c: &mut Checks, p: Params<'a>) -> &'a str {
    entity::entity_name::<Role>(c, p)
}

/// Whether `arn` names a policy that exists (customer managed or a known AWS managed one).
pub(crate) fn policy_exists(view: &impl View, arn: &str) -> Result<bool, Fail> {
    Ok(managed::find(arn).is_some() || view.policy(arn)?.is_some())
}

/// `MaxItems` (1–1000, default 100) and `Marker`, validated into `c`.
pub(crate) fn paging_params<'a>(c: &mut Checks, p: Params<'a>) -> (Option<&'a str>, usize) {
    let marker = p.get("Marker");
    if let Some(m) = marker {
        c.marker("marker", m);
    }
    let max = c
        .integer("maxItems", p.get("MaxItems"), 1, 1000)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(DEFAULT_MAX_ITEMS);
    (marker, max)
}

/// Refuses a request whose tags repeat a key (IAM compares keys without case).
pub(crate) fn check_distinct_keys(tags: &[(String, String)]) -> Result<(), IamError> {
    for (i, (k, _)) in tags.iter().enumerate() {
        if tags[..i].iter().any(|(o, _)| o.eq_ignore_ascii_case(k)) {
            return Err(IamError::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(())
}

/// Adds or replaces `new` tags in `tags` (keys compared without case), within `quota`.
pub(crate) fn merge_tags(
    tags: &mut Vec<Tag>,
    new: Vec<(String, String)>,
    quota_name: &str,
) -> Result<(), IamError> {
    let mut merged = tags.clone();
    for (key, value) in new {
        match merged.iter_mut().find(|t| t.key.eq_ignore_ascii_case(&key)) {
            Some(t) => {
                t.key = key;
                t.value = value;
            }
            None => merged.push(Tag { key, value }),
        }
    }
    if merged.len() > TAGS_QUOTA {
        return Err(IamError::limit_exceeded(format!(
            "Cannot exceed quota for {quota_name}: {TAGS_QUOTA}"
        )));
    }
    *tags = merged;
    Ok(())
}

/// Removes the tags with these keys (compared without case); absent keys are fine.
pub(crate) fn remove_tags(tags: &mut Vec<Tag>, keys: &[&str]) {
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

/// The tag list of a `List*Tags` call, paged.
pub(crate) fn tags_page(tags: &[Tag], marker: Option<&str>, max: usize) -> Result<String, Fail> {
    let items = tags
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("{i:05}").into_bytes(), t.clone()))
        .collect();
    let pg = page(items, marker, max)?;
    let mut x = Xml::new();
    render::tags(&mut x, &pg.items);
    x.paging(pg.marker.as_deref());
    Ok(x.finish())
}

fn check_trust_size(document: &str) -> Result<(), IamError> {
    if counted_size(document) > TRUST_POLICY_QUOTA {
        return Err(IamError::limit_exceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_QUOTA}"
        )));
    }
    Ok(())
}

fn role_result(role: &Role, shape: RoleShape) -> String {
    let mut x = Xml::new();
    x.open("Role");
    render::role(&mut x, role, shape);
    x.close("Role");
    x.finish()
}

fn description(c: &mut Checks, p: Params<'_>) -> Option<String> {
    let d = p.get("Description")?;
    c.description("description", d);
    Some(d.to_string())
}

pub async fn create_role(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let document = c
        .required(
            "assumeRolePolicyDocument",
            p.get("AssumeRolePolicyDocument"),
        )
        .to_string();
    if p.get("AssumeRolePolicyDocument").is_some() {
        c.document("assumeRolePolicyDocument", &document);
    }
    let description = description(&mut c, p).filter(|d| !d.is_empty());
    let max_session = c
        .integer(
            "maxSessionDuration",
            p.get("MaxSessionDuration"),
            3600,
            43_200,
        )
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(3600);
    let boundary = p.get("PermissionsBoundary").map(str::to_string);
    if let Some(b) = &boundary {
        c.arn("permissionsBoundary", b);
    }
    let tags = c.tags(&p.tags("Tags"));
    c.done()?;
    let path = p.get("Path").unwrap_or("/").to_string();
    check_path(&path)?;
    check_distinct_keys(&tags)?;
    validate_trust(&document)?;
    check_trust_size(&document)?;

    let account = iam.account_id().to_string();
    let role = iam
        .write(move |ctx| {
            if ctx.role(&name)?.is_some() {
                return Err(IamError::entity_exists(format!(
                    "Role with name {name} already exists."
                ))
                .into());
            }
            if let Some(b) = &boundary {
                if !policy_exists(ctx, b)? {
                    return Err(scope_missing(b).into());
                }
            }
            let role = Role {
                arn: format!("arn:aws:iam::{account}:role{path}{name}"),
                name,
                path,
                id: unique_id("AROA"),
                create_date: clock::iso8601_seconds(ctx.now_ms() as i64),
                assume_role_policy: document,
                description,
                max_session_duration: max_session,
                permissions_boundary: boundary,
                tags: tags
                    .into_iter()
                    .map(|(key, value)| Tag { key, value })
                    .collect(),
                inline: Vec::new(),
                attached: Vec::new(),
            };
            model::put_role(ctx, &role)?;
            entity::relink_boundary::<Role>(
                ctx,
                &role.name,
                None,
                role.permissions_boundary.as_deref(),
            )?;
            Ok(role)
        })
        .await?;
    Ok(role_result(&role, RoleShape::Created))
}

pub fn get_role(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p);
    c.done()?;
    let role = require_role(&iam.snapshot()?, name)?;
    Ok(role_result(&role, RoleShape::Full))
}

pub async fn delete_role(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let role = require_role(ctx, &name)?;
        if !role.attached.is_empty() {
            return Err(IamError::delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            )
            .into());
        }
        if !role.inline.is_empty() {
            return Err(IamError::delete_conflict(
                "Cannot delete entity, must delete policies first.",
            )
            .into());
        }
        ctx.remove(model::ROLES, &model::role_key(&role.name))?;
        entity::relink_boundary::<Role>(
            ctx,
            &role.name,
            role.permissions_boundary.as_deref(),
            None,
        )?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn update_role(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let description = description(&mut c, p);
    let max_session = c
        .integer(
            "maxSessionDuration",
            p.get("MaxSessionDuration"),
            3600,
            43_200,
        )
        .and_then(|n| u32::try_from(n).ok());
    c.done()?;
    entity::update(iam, &name, move |_, role: &mut Role| {
        if let Some(d) = description {
            role.description = Some(d).filter(|d| !d.is_empty());
        }
        if let Some(m) = max_session {
            role.max_session_duration = m;
        }
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn update_role_description(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let d = c.required("description", p.get("Description")).to_string();
    if p.get("Description").is_some() {
        c.description("description", &d);
    }
    c.done()?;
    let role = entity::update(iam, &name, move |_, role: &mut Role| {
        role.description = Some(d).filter(|d| !d.is_empty());
        Ok(role.clone())
    })
    .await?;
    Ok(role_result(&role, RoleShape::Full))
}

pub async fn update_assume_role_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let document = c
        .required("policyDocument", p.get("PolicyDocument"))
        .to_string();
    if p.get("PolicyDocument").is_some() {
        c.document("policyDocument", &document);
    }
    c.done()?;
    validate_trust(&document)?;
    check_trust_size(&document)?;
    entity::update(iam, &name, move |_, role: &mut Role| {
        role.assume_role_policy = document;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub fn list_roles(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let prefix = p.get("PathPrefix").unwrap_or("/");
    c.path_prefix("pathPrefix", prefix);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let roles = iam
        .snapshot()?
        .all_roles()?
        .into_iter()
        .filter(|r| r.path.starts_with(prefix))
        .map(|r| (model::role_key(&r.name), r))
        .collect();
    Ok(xml_page(roles, marker, max, "Roles", |x, r| {
        x.open("member");
        render::role(x, r, RoleShape::Listed);
        x.close("member");
    })?)
}

/// Dynostack has no instance profiles: every existing role is in none.
pub fn list_instance_profiles_for_role(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p);
    paging_params(&mut c, p);
    c.done()?;
    require_role(&iam.snapshot()?, name)?;
    let mut x = Xml::new();
    x.empty("InstanceProfiles").paging(None);
    Ok(x.finish())
}

/// How policies sort in lists: by name without case, AWS managed before customer managed
/// ones of the same name (names are unique within each). Short enough that a marker made of it
/// stays within IAM's 320 characters.
pub(crate) fn policy_sort_key(name: &str, arn: &str) -> Vec<u8> {
    let owner = if arn.starts_with("arn:aws:iam::aws:") {
        "0"
    } else {
        "1"
    };
    format!("{}\n{owner}", name.to_ascii_lowercase()).into_bytes()
}

/// The path and name of a policy ARN (`arn:aws:iam::…:policy/path/name`).
pub(crate) fn split_policy_arn(arn: &str) -> (&str, &str) {
    let rest = arn.split_once(":policy").map_or(arn, |(_, r)| r);
    match rest.rfind('/') {
        Some(i) => (&rest[..=i], &rest[i + 1..]),
        None => ("/", rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_policy_arns() {
        assert_eq!(
            split_policy_arn(
                "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
            ),
            ("/service-role/", "AWSBackupServiceRolePolicyForBackup")
        );
        assert_eq!(
            split_policy_arn("arn:aws:iam::123456789012:policy/p"),
            ("/", "p")
        );
    }
}
