//! What roles, users and groups share: inline policies, managed policy attachments, permissions
//! boundaries and tags, each operation written once over the [`Entity`] trait.

use serde::{de::DeserializeOwned, Serialize};
use store::WriteCtx;

use crate::doc::{counted_size, validate_identity};
use crate::error::{Fail, IamError};
use crate::model::{self, Group, InlinePolicy, Role, Tag, User, View, ATTACHMENTS};
use crate::paging::xml_page;
use crate::params::{Checks, Params};
use crate::roles::{
    check_distinct_keys, merge_tags, paging_params, policy_exists, policy_sort_key, remove_tags,
    split_policy_arn, tags_page,
};
use crate::xml::Xml;
use crate::Iam;

const ATTACHED_POLICIES_QUOTA: usize = 10;

/// A role or a user: the IAM identities that hold policies.
pub(crate) trait Entity: Serialize + DeserializeOwned + Clone + Send + 'static {
    /// `role` or `user`, as IAM's messages name the kind.
    const KIND: &'static str;
    /// `Role` or `User`, as parameter and quota names spell it.
    const TITLE: &'static str;
    const TABLE: &'static str;
    /// IAM's quota on the entity's inline policies together, in counted characters.
    const INLINE_QUOTA: usize;

    fn name(&self) -> &str;
    fn inline(&mut self) -> &mut Vec<InlinePolicy>;
    fn attached(&mut self) -> &mut Vec<String>;
    fn boundary(&mut self) -> &mut Option<String>;
    fn tags(&mut self) -> &mut Vec<Tag>;
    /// The key of the entity in its table and in link tables.
    fn link_name(name: &str) -> Vec<u8>;

    fn not_found(name: &str) -> IamError {
        IamError::no_such_entity(format!(
            "The {} with name {name} cannot be found.",
            Self::KIND
        ))
    }
}

/// The trait for a record with IAM's entity fields (`name`, `inline`, `attached`,
/// `permissions_boundary`, `tags`).
macro_rules! entity {
    ($type:ty, $kind:literal, $title:literal, $table:expr, $quota:expr, $key:path) => {
        impl Entity for $type {
            const KIND: &'static str = $kind;
            const TITLE: &'static str = $title;
            const TABLE: &'static str = $table;
            const INLINE_QUOTA: usize = $quota;

            fn name(&self) -> &str {
                &self.name
            }
            fn inline(&mut self) -> &mut Vec<InlinePolicy> {
                &mut self.inline
            }
            fn attached(&mut self) -> &mut Vec<String> {
                &mut self.attached
            }
            fn boundary(&mut self) -> &mut Option<String> {
                &mut self.permissions_boundary
            }
            fn tags(&mut self) -> &mut Vec<Tag> {
                &mut self.tags
            }
            fn link_name(name: &str) -> Vec<u8> {
                $key(name)
            }
        }
    };
}

// IAM's quotas on inline policies together: 10,240 characters for a role, 2,048 for a user,
// 5,120 for a group.
entity!(Role, "role", "Role", model::ROLES, 10_240, model::role_key);
entity!(User, "user", "User", model::USERS, 2048, model::user_key);
entity!(
    Group,
    "group",
    "Group",
    model::GROUPS,
    5120,
    model::group_key
);

/// The entity, or IAM's `NoSuchEntity` for it.
pub(crate) fn require<E: Entity>(view: &impl View, name: &str) -> Result<E, Fail> {
    view.get_raw(E::TABLE, &E::link_name(name))?
        .map(|b| model::decode(&b))
        .transpose()?
        .ok_or_else(|| Fail::Iam(E::not_found(name)))
}

pub(crate) fn put<E: Entity>(ctx: &mut WriteCtx<'_>, e: &E) -> Result<(), Fail> {
    ctx.insert(E::TABLE, &E::link_name(e.name()), &model::encode(e)?)?;
    Ok(())
}

/// Loads the entity, lets `change` check and modify it, then stores it: one write job.
pub(crate) async fn update<E: Entity, T, F>(iam: &Iam, name: &str, change: F) -> Result<T, Fail>
where
    T: Send + 'static,
    F: FnOnce(&mut WriteCtx<'_>, &mut E) -> Result<T, Fail> + Send + 'static,
{
    let name = name.to_string();
    iam.write(move |ctx| {
        let mut e = require::<E>(ctx, &name)?;
        let out = change(ctx, &mut e)?;
        put(ctx, &e)?;
        Ok(out)
    })
    .await
}

/// `RoleName` / `UserName`, checked.
pub(crate) fn entity_name<'a, E: Entity>(c: &mut Checks, p: Params<'a>) -> &'a str {
    let param = format!("{}Name", E::TITLE);
    let field = format!("{}Name", E::KIND);
    let value = p.get(&param);
    let name = c.required(&field, value);
    if value.is_some() {
        c.name(&field, name, 64);
    }
    name
}

pub(crate) fn policy_arn<'a>(c: &mut Checks, p: Params<'a>) -> &'a str {
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

fn inline_missing<E: Entity>(name: &str) -> IamError {
    IamError::no_such_entity(format!(
        "The {} policy with name {name} cannot be found.",
        E::KIND
    ))
}

pub(crate) fn scope_missing(arn: &str) -> IamError {
    IamError::no_such_entity(format!(
        "Scope ARN: {arn} does not exist or is not attachable."
    ))
}

/// The entity a listing of one entity's things names, and the page asked for.
fn listing<'a, E: Entity>(iam: &Iam, p: Params<'a>) -> Result<(E, Option<&'a str>, usize), Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    Ok((require(&iam.snapshot()?, name)?, marker, max))
}

pub async fn put_policy<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p).to_string();
    let policy_name = inline_name(&mut c, p).to_string();
    let document = c
        .required("policyDocument", p.get("PolicyDocument"))
        .to_string();
    if p.get("PolicyDocument").is_some() {
        c.document("policyDocument", &document);
    }
    c.done()?;
    validate_identity(&document)?;
    update(iam, &name, move |_, e: &mut E| {
        let mut inline = e.inline().clone();
        match inline.iter_mut().find(|i| i.name == policy_name) {
            Some(i) => i.document = document,
            None => inline.push(InlinePolicy {
                name: policy_name,
                document,
            }),
        }
        let total: usize = inline.iter().map(|i| counted_size(&i.document)).sum();
        if total > E::INLINE_QUOTA {
            return Err(IamError::limit_exceeded(format!(
                "Maximum policy size of {} bytes exceeded for {} {}",
                E::INLINE_QUOTA,
                E::KIND,
                e.name()
            ))
            .into());
        }
        inline.sort_by(|a, b| a.name.cmp(&b.name));
        *e.inline() = inline;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub fn get_policy<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p);
    let policy_name = inline_name(&mut c, p);
    c.done()?;
    let mut e: E = require(&iam.snapshot()?, name)?;
    let entity_name = e.name().to_string();
    let policy = e
        .inline()
        .iter()
        .find(|i| i.name == policy_name)
        .ok_or_else(|| inline_missing::<E>(policy_name))?;
    let mut x = Xml::new();
    x.text(&format!("{}Name", E::TITLE), &entity_name)
        .text("PolicyName", &policy.name)
        .document("PolicyDocument", &policy.document);
    Ok(x.finish())
}

pub async fn delete_policy<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p).to_string();
    let policy_name = inline_name(&mut c, p).to_string();
    c.done()?;
    update(iam, &name, move |_, e: &mut E| {
        let before = e.inline().len();
        e.inline().retain(|i| i.name != policy_name);
        if e.inline().len() == before {
            return Err(inline_missing::<E>(&policy_name).into());
        }
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub fn list_policies<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let (mut e, marker, max) = listing::<E>(iam, p)?;
    let names = e
        .inline()
        .iter()
        .map(|i| (i.name.clone().into_bytes(), i.name.clone()))
        .collect();
    Ok(xml_page(names, marker, max, "PolicyNames", |x, n| {
        x.text("member", n);
    })?)
}

/// `{policy ARN}\n{entity key}`: one link of `iam.attachments` or `iam.boundaries`.
pub(crate) fn link_key<E: Entity>(policy_arn: &str, name: &str) -> Vec<u8> {
    let mut k = policy_arn.as_bytes().to_vec();
    k.push(b'\n');
    k.extend_from_slice(&E::link_name(name));
    k
}

pub async fn attach_policy<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p).to_string();
    let arn = policy_arn(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let mut e: E = require(ctx, &name)?;
        if !policy_exists(ctx, &arn)? {
            return Err(IamError::no_such_entity(format!(
                "Policy {arn} does not exist or is not attachable."
            ))
            .into());
        }
        if e.attached().contains(&arn) {
            return Ok(());
        }
        if e.attached().len() >= ATTACHED_POLICIES_QUOTA {
            return Err(IamError::limit_exceeded(format!(
                "Cannot exceed quota for PoliciesPer{}: {ATTACHED_POLICIES_QUOTA}",
                E::TITLE
            ))
            .into());
        }
        e.attached().push(arn.clone());
        put(ctx, &e)?;
        ctx.insert(ATTACHMENTS, &link_key::<E>(&arn, e.name()), b"")?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn detach_policy<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p).to_string();
    let arn = policy_arn(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let mut e: E = require(ctx, &name)?;
        if !e.attached().contains(&arn) {
            return Err(IamError::policy_not_found(&arn).into());
        }
        e.attached().retain(|a| *a != arn);
        put(ctx, &e)?;
        ctx.remove(ATTACHMENTS, &link_key::<E>(&arn, e.name()))?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub fn list_attached_policies<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p);
    let prefix = p.get("PathPrefix").unwrap_or("/");
    c.path_prefix("pathPrefix", prefix);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let mut e: E = require(&iam.snapshot()?, name)?;
    let items = e
        .attached()
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

/// Sets or clears the `iam.boundaries` link of an entity from `old` to `new`.
pub(crate) fn relink_boundary<E: Entity>(
    ctx: &mut WriteCtx<'_>,
    name: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), Fail> {
    if old == new {
        return Ok(());
    }
    if let Some(o) = old {
        ctx.remove(model::BOUNDARIES, &link_key::<E>(o, name))?;
    }
    if let Some(n) = new {
        ctx.insert(model::BOUNDARIES, &link_key::<E>(n, name), b"")?;
    }
    Ok(())
}

pub async fn put_boundary<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p).to_string();
    let boundary = c
        .required("permissionsBoundary", p.get("PermissionsBoundary"))
        .to_string();
    if p.get("PermissionsBoundary").is_some() {
        c.arn("permissionsBoundary", &boundary);
    }
    c.done()?;
    update(iam, &name, move |ctx, e: &mut E| {
        if !policy_exists(ctx, &boundary)? {
            return Err(scope_missing(&boundary).into());
        }
        let old = e.boundary().clone();
        relink_boundary::<E>(ctx, e.name(), old.as_deref(), Some(&boundary))?;
        *e.boundary() = Some(boundary);
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn delete_boundary<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p).to_string();
    c.done()?;
    update(iam, &name, move |ctx, e: &mut E| {
        let old = e.boundary().take();
        relink_boundary::<E>(ctx, e.name(), old.as_deref(), None)?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn tag<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p).to_string();
    let raw = p.tags("Tags");
    if raw.is_empty() {
        c.fail(None, "tags", "Member must not be null");
    }
    let tags = c.tags(&raw);
    c.done()?;
    check_distinct_keys(&tags)?;
    update(iam, &name, move |_, e: &mut E| {
        merge_tags(e.tags(), tags, &format!("TagsPer{}", E::TITLE))?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn untag<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity_name::<E>(&mut c, p).to_string();
    let keys = c.tag_keys(p);
    c.done()?;
    update(iam, &name, move |_, e: &mut E| {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        remove_tags(e.tags(), &keys);
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub fn list_tags<E: Entity>(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let (mut e, marker, max) = listing::<E>(iam, p)?;
    tags_page(e.tags(), marker, max)
}
