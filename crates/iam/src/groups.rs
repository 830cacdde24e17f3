//! Groups: CreateGroup, GetGroup (with its users), ListGroups, DeleteGroup, AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser. Their policies are the operations roles and users
//! have too (`entity.rs`); a user holds the policies of its groups.

use crate::entity::{self, Entity};
use crate::error::{Fail, IamError};
use crate::ids::unique_id;
use crate::model::{self, Group, User, View};
use crate::paging::{page, xml_page};
use crate::params::{check_path, Checks, Params};
use crate::roles::paging_params;
use crate::xml::Xml;
use crate::Iam;

fn group_xml(x: &mut Xml, g: &Group) {
    x.text("Path", &g.path)
        .text("GroupName", &g.name)
        .text("GroupId", &g.id)
        .text("Arn", &g.arn)
        .text("CreateDate", &g.create_date);
}

pub async fn create_group(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity::entity_name::<Group>(&mut c, p).to_string();
    c.done()?;
    let path = p.get("Path").unwrap_or("/").to_string();
    check_path(&path)?;
    let account = iam.account_id().to_string();
    let group = iam
        .write(move |ctx| {
            if ctx
                .get_raw(model::GROUPS, &model::group_key(&name))?
                .is_some()
            {
                return Err(IamError::entity_exists(format!(
                    "Group with name {name} already exists."
                ))
                .into());
            }
            let group = Group {
                arn: format!("arn:aws:iam::{account}:group{path}{name}"),
                name,
                path,
                id: unique_id("AGPA"),
                create_date: clock::iso8601_seconds(ctx.now_ms() as i64),
                inline: Vec::new(),
                attached: Vec::new(),
                users: Vec::new(),
                permissions_boundary: None,
                tags: Vec::new(),
            };
            entity::put(ctx, &group)?;
            Ok(group)
        })
        .await?;
    let mut x = Xml::new();
    x.open("Group");
    group_xml(&mut x, &group);
    x.close("Group");
    Ok(x.finish())
}

pub fn get_group(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity::entity_name::<Group>(&mut c, p);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let snap = iam.snapshot()?;
    let group: Group = entity::require(&snap, name)?;
    let mut users = Vec::new();
    for (i, member) in group.users.iter().enumerate() {
        if let Some(u) = snap.user(member)? {
            users.push((format!("{i:06}").into_bytes(), u));
        }
    }
    let pg = page(users, marker, max)?;
    let mut x = Xml::new();
    x.open("Group");
    group_xml(&mut x, &group);
    x.close("Group").open("Users");
    for u in &pg.items {
        x.open("member")
            .text("Path", &u.path)
            .text("UserName", &u.name)
            .text("UserId", &u.id)
            .text("Arn", &u.arn)
            .text("CreateDate", &u.create_date)
            .close("member");
    }
    x.close("Users").paging(pg.marker.as_deref());
    Ok(x.finish())
}

pub fn list_groups(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let prefix = p.get("PathPrefix").unwrap_or("/");
    c.path_prefix("pathPrefix", prefix);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let groups = iam
        .snapshot()?
        .all_groups()?
        .into_iter()
        .filter(|g| g.path.starts_with(prefix))
        .map(|g| (model::group_key(&g.name), g))
        .collect();
    Ok(xml_page(groups, marker, max, "Groups", |x, g| {
        x.open("member");
        group_xml(x, g);
        x.close("member");
    })?)
}

pub async fn delete_group(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity::entity_name::<Group>(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let mut group: Group = entity::require(ctx, &name)?;
        let conflict = if !group.users.is_empty() {
            Some("Cannot delete entity, must remove users from group first.")
        } else if !group.attached().is_empty() {
            Some("Cannot delete entity, must detach all policies first.")
        } else if !group.inline().is_empty() {
            Some("Cannot delete entity, must delete policies first.")
        } else {
            None
        };
        if let Some(why) = conflict {
            return Err(IamError::delete_conflict(why).into());
        }
        ctx.remove(model::GROUPS, &model::group_key(&group.name))?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

/// Adds (`true`) or removes a user of a group: one write job.
async fn membership(iam: &Iam, p: Params<'_>, add: bool) -> Result<String, Fail> {
    let mut c = Checks::new();
    let group = entity::entity_name::<Group>(&mut c, p).to_string();
    let user = entity::entity_name::<User>(&mut c, p).to_string();
    c.done()?;
    iam.write(move |ctx| {
        let mut g: Group = entity::require(ctx, &group)?;
        let u: User = entity::require(ctx, &user)?;
        let at = g.users.iter().position(|m| m.eq_ignore_ascii_case(&u.name));
        match (add, at) {
            (true, None) => g.users.push(u.name),
            (true, Some(_)) => return Ok(()),
            (false, Some(i)) => {
                g.users.remove(i);
            }
            (false, None) => {
                return Err(IamError::no_such_entity(format!(
                    "The user with name {} cannot be found.",
                    u.name
                ))
                .into()); // message unverified
            }
        }
        entity::put(ctx, &g)?;
        Ok(())
    })
    .await?;
    Ok(String::new())
}

pub async fn add_user_to_group(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    membership(iam, p, true).await
}

pub async fn remove_user_from_group(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    membership(iam, p, false).await
}

/// The groups `user` belongs to.
pub(crate) fn groups_of(view: &impl View, user: &str) -> Result<Vec<Group>, Fail> {
    Ok(view
        .all_groups()?
        .into_iter()
        .filter(|g| g.users.iter().any(|m| m.eq_ignore_ascii_case(user)))
        .collect())
}

pub fn list_groups_for_user(iam: &Iam, p: Params<'_>) -> Result<String, Fail> {
    let mut c = Checks::new();
    let name = entity::entity_name::<User>(&mut c, p);
    let (marker, max) = paging_params(&mut c, p);
    c.done()?;
    let snap = iam.snapshot()?;
    let user: User = entity::require(&snap, name)?;
    let groups = groups_of(&snap, &user.name)?
        .into_iter()
        .map(|g| (model::group_key(&g.name), g))
        .collect();
    Ok(xml_page(groups, marker, max, "Groups", |x, g| {
        x.open("member");
        group_xml(x, g);
        x.close("member");
    })?)
}
