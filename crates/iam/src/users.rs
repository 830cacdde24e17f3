//! Users and their access keys: CreateUser, GetUser, ListUsers, DeleteUser, and
//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey. Their policies, boundary
//! and tags are the operations roles have too (`entity.rs`).

use std::ops::Bound;

use policy::{Caller, Kind};
use store::ScanControl;

use crate::entity::{self, scope_missing, Entity};
use crate::error::{Fail, IamError};
use crate::ids::{secret_access_key, unique_id};
use crate::model::{self, AccessKey, Tag, User, View, ACCESS_KEYS};
use crate::paging::xml_page;
use crate::params::{check_path, Checks, Params};
use crate::render;
use crate::roles::{check_distinct_keys, paging_params, policy_exists};
use crate::xml::Xml;
use crate::Iam;

/// IAM's quota of access keys per user.
const ACCESS_KEYS_QUOTA: usize = 2;

fn user_xml(x: &mut Xml, u: &User, full: bool) {
    x.text("Path", &u.path)
        .text("UserName", &u.name)
        .text("UserId", &u.id)
        .text("Arn", &u.arn)
        .text("CreateDate", &u.create_date);
    if full {
        if let Some(b) = &u.permissions_boundary {
            x.open("PermissionsBoundary")
                .text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .text("PermissionsBoundaryArn", b)
                .close("PermissionsBoundary");
        }
        if !u.tags.is_empty() {
            render::tags(x, &u.tags);
        }
    }
}

pub async fn create_user(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity::entity_name::<User>(&mut c, p).to_string();
    let boundary = p.get("PermissionsBoundary").map(str::to_string);
    if let Some(b) = &boundary {
        c.arn("permissionsBoundary", b);
    }
    let tags = c.tags(&p.tags("Tags"));
    c.done()?;
    let path = p.get("Path").unwrap_or("/").to_string();
    check_path(&path)?;
    check_distinct_keys(&tags)?;
    let account = iam.account_id().to_string();
    let user = iam
        .write(move |ctx| {
            if ctx
                .get_raw(model::USERS, &model::user_key(&name))?
                .is_some()
            {
                return Err(IamError::entity_exists(format!(
                    "User with name {name} already exists."
                ))
                .into());
            }
            if let Some(b) = &boundary {
                if !policy_exists(ctx, b)? {
                    return Err(scope_missing(b).into());
                }
            }
            let user = User {
                arn: format!("arn:aws:iam::{account}:user{path}{name}"),
                name,
                path,
                id: unique_id("AIDA"),
                create_date: clock::iso8601_seconds(ctx.now_ms() as i64),
                permissions_boundary: boundary,
                tags: tags
                    .into_iter()
                    .map(|(key, value)| Tag { key, value })
                    .collect(),
                inline: Vec::new(),
                attached: Vec::new(),
            };
            entity::put(ctx, &user)?;
            entity::relink_boundary::<User>(
                ctx,
                &user.name,
                None,
                user.permissions_boundary.as_deref(),
            )?;
            Ok(user)
        })
        .await?;
    let mut x = Xml::new();
    x.open("User");
    user_xml(&mut x, &user, true);
    x.close("User");
    Ok(x.finish())
}

/// The user a request without `UserName` is about: the caller, when it is an IAM user.
fn own_name(caller: Option<&Caller>) -> Option<String> {
    let caller = caller?;
    if caller.kind != Kind::User {
        return None;
    }
    caller.arn.rsplit('/').next().map(str::to_string)
}

/// `UserName`, or the calling user's name when it is absent.
fn user_or_caller(c: &mut Checks, p: Params<'_>, caller: Option<&Caller>) -> Option<String> {
    match p.get("UserName") {
        Some(_) => Some(entity::entity_name::<User>(c, p).to_string()),
        None => own_name(caller),
    }
}

pub fn get_user(iam: &Iam, p: Params<'_>, caller: Option<&Caller>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = user_or_caller(&mut c, p, caller);
    c.done()?;
    let mut x = Xml::new();
    x.open("User");
    match name {
        Some(name) => {
            let user: User = entity::require(&iam.snapshot()?, &name)?;
            user_xml(&mut x, &user, true);
        }
        // The root user (or open mode's caller) describes the account.
        None => {
            let account = iam.account_id();
            x.text("UserId", account)
                .text("Arn", &format!("arn:aws:iam::{account}:root"))
                .text("CreateDate", &clock::iso8601_seconds(0));
        }
    }
    x.close("User");
    Ok(x.finish())
}

pub fn list_users(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let prefix = p.get("PathPrefix").unwrap_or("/");
    c.path_prefix("pathPrefix", prefix);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let users = iam
        .snapshot()?
        .all_users()?
        .into_iter()
        .filter(|u| u.path.starts_with(prefix))
        .map(|u| (model::user_key(&u.name), u))
        .collect();
    Ok(xml_page(users, marker, max, "Users", |x, u| {
        x.open("member");
        user_xml(x, u, false);
        x.close("member");
    })?)
}

/// The access keys of `user_name`.
pub(crate) fn keys_of(view: &impl View, user_name: &str) -> Result<Vec<AccessKey>, Fail> {
    let mut out = Vec::new();
    let mut bad = None;
    view.scan_raw(ACCESS_KEYS, Bound::Unbounded, &mut |_, v| {
        match model::decode::<AccessKey>(v) {
            Ok(k) if k.user_name.eq_ignore_ascii_case(user_name) => out.push(k),
            Ok(_) => {}
            Err(e) => {
                bad = Some(e);
                return ScanControl::Stop;
            }
        }
        ScanControl::Continue
    })?;
    match bad {
        Some(e) => Err(e.into()),
        None => Ok(out),
    }
}

pub async fn delete_user(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity::entity_name::<User>(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let mut user: User = entity::require(ctx, &name)?;
        if !keys_of(ctx, &user.name)?.is_empty() {
            return Err(IamError::delete_conflict(
                "Cannot delete entity, must delete access keys first.",
            )
            .into());
        }
        if !crate::groups::groups_of(ctx, &user.name)?.is_empty() {
            return Err(IamError::delete_conflict(
                "Cannot delete entity, must remove user from all groups first.",
            )
            .into());
        }
        if !user.attached().is_empty() {
            return Err(IamError::delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            )
            .into());
        }
        if !user.inline().is_empty() {
            return Err(IamError::delete_conflict(
                "Cannot delete entity, must delete policies first.",
            )
            .into());
        }
        ctx.remove(model::USERS, &model::user_key(&user.name))?;
        entity::relink_boundary::<User>(
            ctx,
            &user.name,
            user.permissions_boundary.as_deref(),
            None,
        )?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

/// The user named, or the caller's own; IAM's error when neither is there.
fn key_owner(c: &mut Checks, p: Params<'_>, caller: Option<&Caller>) -> Result<String, Fail> {
    match user_or_caller(c, p, caller) {
        Some(n) => Ok(n),
        None if caller.is_some_and(|c| c.kind == Kind::Root) || caller.is_none() => {
            Err(IamError::validation(
                "Dynostack keeps the root user's access keys in its credentials file: name a UserName",
            )
            .into())
        }
        None => Err(IamError::validation(
            "Must specify userName when calling with non-User credentials",
        )
        .into()),
    }
}

pub async fn create_access_key(
    iam: &Iam,
    p: Params<'_>,
    caller: Option<&Caller>,
) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = key_owner(&mut c, p, caller)?;
    c.done()?;
    let secret = secret_access_key()?;
    let key = iam
        .write(move |ctx| {
            let user: User = entity::require(ctx, &name)?;
            if keys_of(ctx, &user.name)?.len() >= ACCESS_KEYS_QUOTA {
                return Err(IamError::limit_exceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_QUOTA}"
                ))
                .into());
            }
            let key = AccessKey {
                id: unique_id_of_len("AKIA", 20),
                user_name: user.name,
                secret,
                status: "Active".to_string(),
                create_date: clock::iso8601_seconds(ctx.now_ms() as i64),
            };
            ctx.insert(ACCESS_KEYS, key.id.as_bytes(), &model::encode(&key)?)?;
            Ok(key)
        })
        .await?;
    let mut x = Xml::new();
    x.open("AccessKey")
        .text("UserName", &key.user_name)
        .text("AccessKeyId", &key.id)
        .text("Status", &key.status)
        .text("SecretAccessKey", &key.secret)
        .text("CreateDate", &key.create_date)
        .close("AccessKey");
    Ok(x.finish())
}

fn unique_id_of_len(prefix: &str, len: usize) -> String {
    let mut id = unique_id(prefix);
    id.truncate(len);
    id
}

pub fn list_access_keys(iam: &Iam, p: Params<'_>, caller: Option<&Caller>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = key_owner(&mut c, p, caller)?;
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let snap = iam.snapshot()?;
    let user: User = entity::require(&snap, &name)?;
    let keys = keys_of(&snap, &user.name)?
        .into_iter()
        .map(|k| (k.id.clone().into_bytes(), k))
        .collect();
    let mut page = xml_page(keys, marker, max, "AccessKeyMetadata", |x, k| {
        x.open("member")
            .text("UserName", &k.user_name)
            .text("AccessKeyId", &k.id)
            .text("Status", &k.status)
            .text("CreateDate", &k.create_date)
            .close("member");
    })?;
    let mut x = Xml::new();
    x.text("UserName", &user.name);
    page.push_str(&x.finish());
    Ok(page)
}

fn key_id<'a>(c: &mut Checks, p: Params<'a>) -> &'a str {
    let id = c.required("accessKeyId", p.get("AccessKeyId"));
    if p.get("AccessKeyId").is_some() {
        c.length("accessKeyId", id, 16, 128);
    }
    id
}

fn key_missing(id: &str) -> IamError {
    IamError::no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

/// The key `id` of user `name`, in a write job.
fn owned_key(view: &impl View, name: &str, id: &str) -> Result<AccessKey, Fail> {
    let user: User = entity::require(view, name)?;
    match view.get_raw(ACCESS_KEYS, id.as_bytes())? {
        Some(b) => {
            let key: AccessKey = model::decode(&b)?;
            if key.user_name.eq_ignore_ascii_case(&user.name) {
                Ok(key)
            } else {
                Err(key_missing(id).into())
            }
        }
        None => Err(key_missing(id).into()),
    }
}

pub async fn update_access_key(
    iam: &Iam,
    p: Params<'_>,
    caller: Option<&Caller>,
) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = key_owner(&mut c, p, caller)?;
    let id = key_id(&mut c, p).to_string();
    let status = c.required("status", p.get("Status")).to_string();
    if p.get("Status").is_some() {
        c.one_of("status", &status, &["Active", "Inactive"]);
    }
    c.done()?;
    iam.write(move |ctx| {
        let mut key = owned_key(ctx, &name, &id)?;
        key.status = status;
        ctx.insert(ACCESS_KEYS, key.id.as_bytes(), &model::encode(&key)?)?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn delete_access_key(
    iam: &Iam,
    p: Params<'_>,
    caller: Option<&Caller>,
) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = key_owner(&mut c, p, caller)?;
    let id = key_id(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let key = owned_key(ctx, &name, &id)?;
        ctx.remove(ACCESS_KEYS, key.id.as_bytes())?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}
