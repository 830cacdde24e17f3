//! Roles: create, read, update, delete, tags, permissions boundaries, inline policies and
//! managed policy attachments.

use store::WriteCtx;

use crate::doc::{counted_size, validate_identity, validate_trust};
use crate::error::{Fail, IamError};
use crate::ids::unique_id;
use crate::managed;
use crate::model::{self, InlinePolicy, Role, Tag, View, ATTACHMENTS};
use crate::paging::{page, xml_page, DEFAULT_MAX_ITEMS};
use crate::params::{check_path, Checks, Params};
use crate::render::{self, RoleShape};
use crate::xml::Xml;
use crate::Iam;

/// IAM's quotas that apply to roles.
const TRUST_POLICY_QUOTA: usize = 2048;
const INLINE_POLICIES_QUOTA: usize = 10_240;
const ATTACHED_POLICIES_QUOTA: usize = 10;
pub(crate) const TAGS_QUOTA: usize = 50;

/// The role, or IAM's `NoSuchEntity` for it.
pub(crate) fn require_role(view: &impl View, name: &str) -> Result<Role, Fail> {
    view.role(name)?
        .ok_or_else(|| Fail::Iam(IamError::role_not_found(name)))
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

fn scope_missing(arn: &str) -> IamError {
    IamError::no_such_entity(format!(
        "Scope ARN: {arn} does not exist or is not attachable."
    ))
}

fn role_result(role: &Role, shape: RoleShape) -> String {
    let mut x = Xml::new();
    x.open("Role");
    render::role(&mut x, role, shape);
    x.close("Role");
    x.finish()
}

/// Loads the role, lets `change` check and modify it, then stores it: one write job.
async fn update<T, F>(iam: &Iam, name: &str, change: F) -> Result<T, Fail>
where
    T: Send + 'static,
    F: FnOnce(&mut WriteCtx<'_>, &mut Role) -> Result<T, Fail> + Send + 'static,
{
    let name = name.to_string();
    iam.write(move |ctx| {
        let mut role = require_role(ctx, &name)?;
        let out = change(ctx, &mut role)?;
        model::put_role(ctx, &role)?;
        Ok(out)
    })
    .await
}

fn role_name<'a>(c: &mut Checks, p: Params<'a>) -> &'a str {
    let name = c.required("roleName", p.get("RoleName"));
    if p.get("RoleName").is_some() {
        c.name("roleName", name, 64);
    }
    name
}

fn policy_arn<'a>(c: &mut Checks, p: Params<'a>) -> &'a str {
    let arn = c.required("policyArn", p.get("PolicyArn"));
    if p.get("PolicyArn").is_some() {
        c.arn("policyArn", arn);
    }
    arn
}

fn inline_name<'a>(c: &mut Checks, p: Params<'a>) -> &'a str {
    let name = c.required("policyName", p.get("PolicyName"));
    if p.get("PolicyName").is_some() {
        c.name("policyName", name, 128);
    }
    name
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
            model::relink_boundary(ctx, &role.name, None, role.permissions_boundary.as_deref())?;
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
        model::relink_boundary(ctx, &role.name, role.permissions_boundary.as_deref(), None)?;
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
    update(iam, &name, move |_, role| {
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
    let role = update(iam, &name, move |_, role| {
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
    update(iam, &name, move |_, role| {
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

pub async fn tag_role(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let raw = p.tags("Tags");
    if raw.is_empty() {
        c.fail(None, "tags", "Member must not be null");
    }
    let tags = c.tags(&raw);
    c.done()?;
    check_distinct_keys(&tags)?;
    update(iam, &name, move |_, role| {
        merge_tags(&mut role.tags, tags, "TagsPerRole")?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn untag_role(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let keys = c.tag_keys(p);
    c.done()?;
    update(iam, &name, move |_, role| {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        remove_tags(&mut role.tags, &keys);
        Ok(())
    })
    .await?;
    Ok(String::new())
}

/// The role a listing of one role's things names, and the page asked for.
fn role_listing<'a>(iam: &Iam, p: Params<'a>) -> Result<(Role, Option<&'a str>, usize), Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    Ok((require_role(&iam.snapshot()?, name)?, marker, max))
}

pub fn list_role_tags(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let (role, marker, max) = role_listing(iam, p)?;
    tags_page(&role.tags, marker, max)
}

pub async fn put_role_permissions_boundary(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let boundary = c
        .required("permissionsBoundary", p.get("PermissionsBoundary"))
        .to_string();
    if p.get("PermissionsBoundary").is_some() {
        c.arn("permissionsBoundary", &boundary);
    }
    c.done()?;
    update(iam, &name, move |ctx, role| {
        if !policy_exists(ctx, &boundary)? {
            return Err(scope_missing(&boundary).into());
        }
        model::relink_boundary(
            ctx,
            &role.name,
            role.permissions_boundary.as_deref(),
            Some(&boundary),
        )?;
        role.permissions_boundary = Some(boundary);
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn delete_role_permissions_boundary(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    c.done()?;
    update(iam, &name, move |ctx, role| {
        model::relink_boundary(ctx, &role.name, role.permissions_boundary.as_deref(), None)?;
        role.permissions_boundary = None;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

/// Dynostack has no instance profiles: every existing role is in none.
pub fn list_instance_profiles_for_role(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    role_listing(iam, p)?;
    let mut x = Xml::new();
    x.empty("InstanceProfiles").paging(None);
    Ok(x.finish())
}

pub async fn put_role_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let policy_name = inline_name(&mut c, p).to_string();
    let document = c
        .required("policyDocument", p.get("PolicyDocument"))
        .to_string();
    if p.get("PolicyDocument").is_some() {
        c.document("policyDocument", &document);
    }
    c.done()?;
    validate_identity(&document)?;
    update(iam, &name, move |_, role| {
        let mut inline = role.inline.clone();
        match inline.iter_mut().find(|i| i.name == policy_name) {
            Some(i) => i.document = document,
            None => inline.push(InlinePolicy {
                name: policy_name,
                document,
            }),
        }
        let total: usize = inline.iter().map(|i| counted_size(&i.document)).sum();
        if total > INLINE_POLICIES_QUOTA {
            return Err(IamError::limit_exceeded(format!(
                "Maximum policy size of {INLINE_POLICIES_QUOTA} bytes exceeded for role {}",
                role.name
            ))
            .into());
        }
        inline.sort_by(|a, b| a.name.cmp(&b.name));
        role.inline = inline;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

fn inline_missing(name: &str) -> IamError {
    IamError::no_such_entity(format!("The role policy with name {name} cannot be found."))
}

pub fn get_role_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p);
    let policy_name = inline_name(&mut c, p);
    c.done()?;
    let role = require_role(&iam.snapshot()?, name)?;
    let policy = role
        .inline
        .iter()
        .find(|i| i.name == policy_name)
        .ok_or_else(|| inline_missing(policy_name))?;
    let mut x = Xml::new();
    x.text("RoleName", &role.name)
        .text("PolicyName", &policy.name)
        .document("PolicyDocument", &policy.document);
    Ok(x.finish())
}

pub async fn delete_role_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let policy_name = inline_name(&mut c, p).to_string();
    c.done()?;
    update(iam, &name, move |_, role| {
        let before = role.inline.len();
        role.inline.retain(|i| i.name != policy_name);
        if role.inline.len() == before {
            return Err(inline_missing(&policy_name).into());
        }
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub fn list_role_policies(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let (role, marker, max) = role_listing(iam, p)?;
    let names = role
        .inline
        .iter()
        .map(|i| (i.name.clone().into_bytes(), i.name.clone()))
        .collect();
    Ok(xml_page(names, marker, max, "PolicyNames", |x, n| {
        x.text("member", n);
    })?)
}

pub async fn attach_role_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let arn = policy_arn(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let mut role = require_role(ctx, &name)?;
        if !policy_exists(ctx, &arn)? {
            return Err(IamError::no_such_entity(format!(
                "Policy {arn} does not exist or is not attachable."
            ))
            .into());
        }
        if role.attached.contains(&arn) {
            return Ok(());
        }
        if role.attached.len() >= ATTACHED_POLICIES_QUOTA {
            return Err(IamError::limit_exceeded(format!(
                "Cannot exceed quota for PoliciesPerRole: {ATTACHED_POLICIES_QUOTA}"
            ))
            .into());
        }
        role.attached.push(arn.clone());
        model::put_role(ctx, &role)?;
        ctx.insert(ATTACHMENTS, &model::link_key(&arn, &role.name), b"")?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn detach_role_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p).to_string();
    let arn = policy_arn(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let mut role = require_role(ctx, &name)?;
        if !role.attached.contains(&arn) {
            return Err(IamError::policy_not_found(&arn).into());
        }
        role.attached.retain(|a| *a != arn);
        model::put_role(ctx, &role)?;
        ctx.remove(ATTACHMENTS, &model::link_key(&arn, &role.name))?;
        Ok(())
    })
    .await?;
    Ok(String::new())
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

pub fn list_attached_role_policies(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = role_name(&mut c, p);
    let prefix = p.get("PathPrefix").unwrap_or("/");
    c.path_prefix("pathPrefix", prefix);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let role = require_role(&iam.snapshot()?, name)?;
    let items = role
        .attached
        .iter()
        .filter(|arn| split_policy_arn(arn).0.starts_with(prefix))
        .map(|arn| (policy_sort_key(split_policy_arn(arn).1, arn), arn.clone()))
        .collect();
    Ok(xml_page(
        items,
        marker,
        max,
        "AttachedPolicies",
        |x, arn| {
            x.open("member")
                .text("PolicyName", split_policy_arn(arn).1)
                .text("PolicyArn", arn)
                .close("member");
        },
    )?)
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
