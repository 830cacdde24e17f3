//! Managed policies: customer managed policies with their versions and tags, the AWS managed
//! policies (read-only), and who uses them.

use crate::doc::{counted_size, validate_identity};
use crate::error::{Fail, IamError};
use crate::ids::unique_id;
use crate::managed::{self, AwsPolicy};
use crate::model::{self, Policy, PolicyVersion, Tag, View, ATTACHMENTS, BOUNDARIES};
use crate::paging::{page, xml_page};
use crate::params::{check_path, Checks, Params};
use crate::render::{self, PolicyInfo, PolicyShape};
use crate::roles::{
    check_distinct_keys, merge_tags, paging_params, policy_sort_key, remove_tags, tags_page,
};
use crate::xml::Xml;
use crate::Iam;

const POLICY_SIZE_QUOTA: usize = 6144;
const VERSIONS_QUOTA: usize = 5;

fn policy_arn<'a>(c: &mut Checks, p: Params<'a>) -> &'a str {
    let arn = c.required("policyArn", p.get("PolicyArn"));
    if p.get("PolicyArn").is_some() {
        c.arn("policyArn", arn);
    }
    arn
}

fn version_id<'a>(c: &mut Checks, p: Params<'a>) -> &'a str {
    let v = c.required("versionId", p.get("VersionId"));
    if p.get("VersionId").is_some() {
        c.version_id("versionId", v);
    }
    v
}

fn document(c: &mut Checks, p: Params<'_>) -> String {
    let d = c.required("policyDocument", p.get("PolicyDocument"));
    if p.get("PolicyDocument").is_some() {
        c.document("policyDocument", d);
    }
    d.to_string()
}

/// `PolicyUsageFilter`, checked against its enum.
fn usage_filter<'a>(c: &mut Checks, p: Params<'a>) -> Option<&'a str> {
    let usage = p.get("PolicyUsageFilter");
    if let Some(u) = usage {
        c.one_of(
            "policyUsageFilter",
            u,
            &["PermissionsPolicy", "PermissionsBoundary"],
        );
    }
    usage
}

fn check_document(document: &str) -> Result<(), IamError> {
    validate_identity(document)?;
    if counted_size(document) > POLICY_SIZE_QUOTA {
        return Err(IamError::limit_exceeded(format!(
            "Cannot exceed quota for PolicySize: {POLICY_SIZE_QUOTA}"
        )));
    }
    Ok(())
}

/// What a change to an AWS managed policy gets: it belongs to AWS, not to this account.
fn aws_owned(action: &str, account: &str, arn: &str) -> IamError {
    IamError::new(
        403,
        "AccessDenied",
        format!(
            "User: arn:aws:iam::{account}:root is not authorized to perform: iam:{action} on resource: policy {arn}"
        ),
    )
}

/// The customer managed policy, or `Policy … was not found.`
fn require_policy(view: &impl View, arn: &str) -> Result<Policy, Fail> {
    view.policy(arn)?
        .ok_or_else(|| Fail::Iam(IamError::policy_not_found(arn)))
}

/// Either kind of managed policy.
enum Found {
    Customer(Box<Policy>),
    Aws(&'static AwsPolicy),
}

fn find(view: &impl View, arn: &str) -> Result<Found, Fail> {
    if let Some(a) = managed::find(arn) {
        return Ok(Found::Aws(a));
    }
    Ok(Found::Customer(Box::new(require_policy(view, arn)?)))
}

fn counts(view: &impl View, arn: &str) -> Result<(u64, u64), Fail> {
    let n = |table| -> Result<u64, Fail> {
        Ok(u64::try_from(view.linked(table, arn)?.len()).unwrap_or(u64::MAX))
    };
    Ok((n(ATTACHMENTS)?, n(BOUNDARIES)?))
}

fn policy_result(view: &impl View, info: &PolicyInfo) -> Result<String, Fail> {
    let (attachments, boundaries) = counts(view, &info.arn)?;
    let mut x = Xml::new();
    x.open("Policy");
    render::policy(&mut x, info, attachments, boundaries, PolicyShape::Full);
    x.close("Policy");
    Ok(x.finish())
}

/// `UpdateDate`: when the newest version was created.
fn newest_version_date(policy: &Policy) -> String {
    policy
        .versions
        .iter()
        .map(|v| v.create_date.as_str())
        .max()
        .unwrap_or(policy.create_date.as_str())
        .to_string()
}

pub async fn create_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = c.required("policyName", p.get("PolicyName")).to_string();
    if p.get("PolicyName").is_some() {
        c.name("policyName", &name, 128);
    }
    let document = document(&mut c, p);
    let description = p.get("Description").map(str::to_string);
    if let Some(d) = &description {
        c.description("description", d);
    }
    let tags = c.tags(&p.tags("Tags"));
    c.done()?;
    let path = p.get("Path").unwrap_or("/").to_string();
    check_path(&path)?;
    check_distinct_keys(&tags)?;
    check_document(&document)?;

    let account = iam.account_id().to_string();
    let policy = iam
        .write(move |ctx| {
            let taken = ctx
                .all_policies()?
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(&name));
            if taken {
                return Err(IamError::entity_exists(format!(
                    "A policy called {name} already exists. Duplicate names are not allowed."
                ))
                .into());
            }
            let now = clock::iso8601_seconds(ctx.now_ms() as i64);
            let policy = Policy {
                arn: format!("arn:aws:iam::{account}:policy{path}{name}"),
                name,
                path,
                id: unique_id("ANPA"),
                description: description.filter(|d| !d.is_empty()),
                create_date: now.clone(),
                update_date: now.clone(),
                default_version: "v1".to_string(),
                next_version: 2,
                versions: vec![PolicyVersion {
                    id: "v1".to_string(),
                    document,
                    create_date: now,
                }],
                tags: tags
                    .into_iter()
                    .map(|(key, value)| Tag { key, value })
                    .collect(),
            };
            model::put_policy(ctx, &policy)?;
            Ok(policy)
        })
        .await?;
    let mut x = Xml::new();
    x.open("Policy");
    render::policy(
        &mut x,
        &PolicyInfo::customer(&policy),
        0,
        0,
        PolicyShape::Full,
    );
    x.close("Policy");
    Ok(x.finish())
}

pub fn get_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p);
    c.done()?;
    let snap = iam.snapshot()?;
    let info = match find(&snap, arn)? {
        Found::Aws(a) => PolicyInfo::aws(a),
        Found::Customer(p) => PolicyInfo::customer(&p),
    };
    policy_result(&snap, &info)
}

pub async fn delete_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p).to_string();
    c.done()?;
    if managed::find(&arn).is_some() {
        return Err(aws_owned("DeletePolicy", iam.account_id(), &arn).into());
    }
    iam.write(move |ctx| {
        let policy = require_policy(ctx, &arn)?;
        let (attachments, boundaries) = counts(ctx, &arn)?;
        if attachments > 0 || boundaries > 0 {
            return Err(
                IamError::delete_conflict("Cannot delete a policy attached to entities.").into(),
            );
        }
        if policy.versions.len() > 1 {
            return Err(IamError::delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            )
            .into());
        }
        ctx.remove(model::POLICIES, arn.as_bytes())?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub fn list_policies(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let scope = p.get("Scope").unwrap_or("All");
    c.one_of("scope", scope, &["All", "AWS", "Local"]);
    let only_attached = c
        .boolean("onlyAttached", p.get("OnlyAttached"))
        .unwrap_or(false);
    let prefix = p.get("PathPrefix").unwrap_or("/");
    c.path_prefix("pathPrefix", prefix);
    let usage = usage_filter(&mut c, p);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let snap = iam.snapshot()?;
    let mut infos = Vec::new();
    if scope != "Local" {
        infos.extend(managed::AWS_POLICIES.iter().map(PolicyInfo::aws));
    }
    if scope != "AWS" {
        infos.extend(snap.all_policies()?.iter().map(PolicyInfo::customer));
    }
    let mut items = Vec::new();
    for info in infos {
        if !info.path.starts_with(prefix) {
            continue;
        }
        let (attachments, boundaries) = counts(&snap, &info.arn)?;
        let used = match usage {
            Some("PermissionsPolicy") => attachments > 0,
            Some("PermissionsBoundary") => boundaries > 0,
            _ => attachments > 0 || boundaries > 0,
        };
        if (only_attached || usage.is_some()) && !used {
            continue;
        }
        let key = policy_sort_key(&info.name, &info.arn);
        items.push((key, (info, attachments, boundaries)));
    }
    Ok(xml_page(
        items,
        marker,
        max,
        "Policies",
        |x, (info, attachments, boundaries)| {
            x.open("member");
            render::policy(x, info, *attachments, *boundaries, PolicyShape::Listed);
            x.close("member");
        },
    )?)
}

fn version_xml(x: &mut Xml, v: &PolicyVersion, default: bool, with_document: bool) {
    if with_document {
        x.document("Document", &v.document);
    }
    x.text("VersionId", &v.id)
        .bool("IsDefaultVersion", default)
        .text("CreateDate", &v.create_date);
}

pub async fn create_policy_version(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p).to_string();
    let document = document(&mut c, p);
    let set_default = c
        .boolean("setAsDefault", p.get("SetAsDefault"))
        .unwrap_or(false);
    c.done()?;
    if managed::find(&arn).is_some() {
        return Err(aws_owned("CreatePolicyVersion", iam.account_id(), &arn).into());
    }
    check_document(&document)?;
    let version = iam
        .write(move |ctx| {
            let mut policy = require_policy(ctx, &arn)?;
            if policy.versions.len() >= VERSIONS_QUOTA {
                return Err(IamError::limit_exceeded(
                    "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
                )
                .into());
            }
            let version = PolicyVersion {
                id: format!("v{}", policy.next_version),
                document,
                create_date: clock::iso8601_seconds(ctx.now_ms() as i64),
            };
            policy.next_version += 1;
            policy.versions.push(version.clone());
            if set_default {
                policy.default_version = version.id.clone();
            }
            policy.update_date = newest_version_date(&policy);
            model::put_policy(ctx, &policy)?;
            Ok(version)
        })
        .await?;
    let mut x = Xml::new();
    x.open("PolicyVersion");
    version_xml(&mut x, &version, set_default, false);
    x.close("PolicyVersion");
    Ok(x.finish())
}

pub fn get_policy_version(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p);
    let version = version_id(&mut c, p);
    c.done()?;
    let (v, default) = match find(&iam.snapshot()?, arn)? {
        Found::Aws(a) if a.version == version => (
            PolicyVersion {
                id: a.version.to_string(),
                document: a.document.to_string(),
                create_date: a.update_date.to_string(),
            },
            true,
        ),
        Found::Aws(_) => return Err(IamError::version_not_found(arn, version).into()),
        Found::Customer(policy) => {
            let v = policy
                .version(version)
                .cloned()
                .ok_or_else(|| IamError::version_not_found(arn, version))?;
            let default = policy.default_version == v.id;
            (v, default)
        }
    };
    let mut x = Xml::new();
    x.open("PolicyVersion");
    version_xml(&mut x, &v, default, true);
    x.close("PolicyVersion");
    Ok(x.finish())
}

pub fn list_policy_versions(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let (versions, default) = match find(&iam.snapshot()?, arn)? {
        Found::Aws(a) => (
            vec![PolicyVersion {
                id: a.version.to_string(),
                document: String::new(),
                create_date: a.update_date.to_string(),
            }],
            a.version.to_string(),
        ),
        Found::Customer(policy) => (policy.versions.clone(), policy.default_version.clone()),
    };
    // Newest first, as IAM lists them.
    let items = versions
        .into_iter()
        .map(|v| {
            let n: u32 = v.id.trim_start_matches('v').parse().unwrap_or(0);
            ((u32::MAX - n).to_be_bytes().to_vec(), v)
        })
        .collect();
    Ok(xml_page(items, marker, max, "Versions", |x, v| {
        x.open("member");
        version_xml(x, v, v.id == default, false);
        x.close("member");
    })?)
}

pub async fn delete_policy_version(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p).to_string();
    let version = version_id(&mut c, p).to_string();
    c.done()?;
    if managed::find(&arn).is_some() {
        return Err(aws_owned("DeletePolicyVersion", iam.account_id(), &arn).into());
    }
    iam.write(move |ctx| {
        let mut policy = require_policy(ctx, &arn)?;
        if policy.version(&version).is_none() {
            return Err(IamError::version_not_found(&arn, &version).into());
        }
        if policy.default_version == version {
            return Err(IamError::delete_conflict(
                "Cannot delete the default version of a policy.",
            )
            .into());
        }
        policy.versions.retain(|v| v.id != version);
        policy.update_date = newest_version_date(&policy);
        model::put_policy(ctx, &policy)?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn set_default_policy_version(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p).to_string();
    let version = version_id(&mut c, p).to_string();
    c.done()?;
    if managed::find(&arn).is_some() {
        return Err(aws_owned("SetDefaultPolicyVersion", iam.account_id(), &arn).into());
    }
    iam.write(move |ctx| {
        let mut policy = require_policy(ctx, &arn)?;
        if policy.version(&version).is_none() {
            return Err(IamError::version_not_found(&arn, &version).into());
        }
        policy.default_version = version;
        model::put_policy(ctx, &policy)?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn tag_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p).to_string();
    let raw = p.tags("Tags");
    if raw.is_empty() {
        c.fail(None, "tags", "Member must not be null");
    }
    let tags = c.tags(&raw);
    c.done()?;
    check_distinct_keys(&tags)?;
    if managed::find(&arn).is_some() {
        return Err(aws_owned("TagPolicy", iam.account_id(), &arn).into());
    }
    iam.write(move |ctx| {
        let mut policy = require_policy(ctx, &arn)?;
        merge_tags(&mut policy.tags, tags, "TagsPerPolicy")?;
        model::put_policy(ctx, &policy)?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn untag_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p).to_string();
    let keys = c.tag_keys(p);
    c.done()?;
    if managed::find(&arn).is_some() {
        return Err(aws_owned("UntagPolicy", iam.account_id(), &arn).into());
    }
    iam.write(move |ctx| {
        let mut policy = require_policy(ctx, &arn)?;
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        remove_tags(&mut policy.tags, &keys);
        model::put_policy(ctx, &policy)?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub fn list_policy_tags(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let tags = match find(&iam.snapshot()?, arn)? {
        Found::Aws(_) => Vec::new(),
        Found::Customer(policy) => policy.tags.clone(),
    };
    tags_page(&tags, marker, max)
}

pub fn list_entities_for_policy(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let arn = policy_arn(&mut c, p);
    let filter = p.get("EntityFilter");
    if let Some(f) = filter {
        c.one_of(
            "entityFilter",
            f,
            &[
                "User",
                "Role",
                "Group",
                "LocalManagedPolicy",
                "AWSManagedPolicy",
            ],
        );
    }
    let prefix = p.get("PathPrefix").unwrap_or("/");
    c.path_prefix("pathPrefix", prefix);
    let usage = usage_filter(&mut c, p);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let snap = iam.snapshot()?;
    find(&snap, arn)?;
    let mut keys = Vec::new();
    if matches!(filter, None | Some("Role") | Some("User") | Some("Group")) {
        if usage != Some("PermissionsBoundary") {
            keys.extend(snap.linked(ATTACHMENTS, arn)?);
        }
        if usage != Some("PermissionsPolicy") {
            keys.extend(snap.linked(BOUNDARIES, arn)?);
        }
    }
    keys.sort();
    keys.dedup();
    // (kind, name, id) of each entity, users and roles in one paged list.
    let mut entities = Vec::new();
    for key in keys {
        let found = if key.starts_with(b"user:") {
            snap.user_by_key(&key)?
                .map(|u| ("User", u.path, u.name, u.id))
        } else if key.starts_with(b"group:") {
            snap.group_by_key(&key)?
                .map(|g| ("Group", g.path, g.name, g.id))
        } else {
            snap.role_by_key(&key)?
                .map(|r| ("Role", r.path, r.name, r.id))
        };
        let found = found.filter(|(kind, ..)| filter.is_none_or(|f| f == *kind));
        if let Some((kind, path, name, id)) = found {
            if path.starts_with(prefix) {
                entities.push((key, (kind, name, id)));
            }
        }
    }
    let pg = page(entities, marker, max)?;
    let mut x = Xml::new();
    for (list, kind) in [
        ("PolicyGroups", "Group"),
        ("PolicyUsers", "User"),
        ("PolicyRoles", "Role"),
    ] {
        if !pg.items.iter().any(|(k, ..)| *k == kind) {
            x.empty(list);
            continue;
        }
        x.open(list);
        for (k, name, id) in pg.items.iter().filter(|(k, ..)| *k == kind) {
            x.open("member")
                .text(&format!("{k}Name"), name)
                .text(&format!("{k}Id"), id)
                .close("member");
        }
        x.close(list);
    }
    x.paging(pg.marker.as_deref());
    Ok(x.finish())
}
