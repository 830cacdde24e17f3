//! The XML shapes of IAM's objects, element names as AWS writes them.

use crate::managed::AwsPolicy;
use crate::model::{Policy, Role, Tag};
use crate::xml::Xml;

/// Which operation a role is rendered for; IAM returns different subsets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RoleShape {
    /// CreateRole: no MaxSessionDuration, no RoleLastUsed.
    Created,
    /// GetRole, UpdateRoleDescription: everything.
    Full,
    /// ListRoles: no PermissionsBoundary, Tags or RoleLastUsed.
    Listed,
}

pub fn tags(x: &mut Xml, tags: &[Tag]) {
    x.open("Tags");
    for t in tags {
        x.open("member")
            .text("Key", &t.key)
            .text("Value", &t.value)
            .close("member");
    }
    x.close("Tags");
}

/// The elements of a `Role` (the caller writes `<Role>` or `<member>` around them).
pub fn role(x: &mut Xml, r: &Role, shape: RoleShape) {
    x.text("Path", &r.path)
        .text("Arn", &r.arn)
        .text("RoleName", &r.name)
        .document("AssumeRolePolicyDocument", &r.assume_role_policy)
        .opt("Description", r.description.as_deref());
    if shape != RoleShape::Created {
        x.num("MaxSessionDuration", u64::from(r.max_session_duration));
    }
    x.text("CreateDate", &r.create_date).text("RoleId", &r.id);
    if shape == RoleShape::Listed {
        return;
    }
    if let Some(b) = &r.permissions_boundary {
        x.open("PermissionsBoundary")
            .text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
            .text("PermissionsBoundaryArn", b)
            .close("PermissionsBoundary");
    }
    if !r.tags.is_empty() {
        tags(x, &r.tags);
    }
    if shape == RoleShape::Full {
        x.empty("RoleLastUsed");
    }
}

/// A managed policy as every operation sees it, customer or AWS.
pub struct PolicyInfo {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub description: Option<String>,
    pub create_date: String,
    pub update_date: String,
    pub default_version: String,
    pub tags: Vec<Tag>,
}

impl PolicyInfo {
    pub fn customer(p: &Policy) -> PolicyInfo {
        PolicyInfo {
            name: p.name.clone(),
            path: p.path.clone(),
            id: p.id.clone(),
            arn: p.arn.clone(),
            description: p.description.clone(),
            create_date: p.create_date.clone(),
            update_date: p.update_date.clone(),
            default_version: p.default_version.clone(),
            tags: p.tags.clone(),
        }
    }

    pub fn aws(p: &AwsPolicy) -> PolicyInfo {
        PolicyInfo {
            name: p.name.to_string(),
            path: p.path.to_string(),
            id: p.id.to_string(),
            arn: p.arn(),
            description: Some(p.description.to_string()),
            create_date: p.create_date.to_string(),
            update_date: p.update_date.to_string(),
            default_version: p.version.to_string(),
            tags: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PolicyShape {
    /// GetPolicy, CreatePolicy: with Description and Tags.
    Full,
    /// ListPolicies: without them.
    Listed,
}

/// The elements of a `Policy`.
pub fn policy(x: &mut Xml, p: &PolicyInfo, attachments: u64, boundaries: u64, shape: PolicyShape) {
    x.text("PolicyName", &p.name)
        .text("DefaultVersionId", &p.default_version)
        .text("PolicyId", &p.id)
        .text("Path", &p.path)
        .text("Arn", &p.arn)
        .num("AttachmentCount", attachments)
        .num("PermissionsBoundaryUsageCount", boundaries)
        .bool("IsAttachable", true);
    if shape == PolicyShape::Full {
        x.opt("Description", p.description.as_deref());
    }
    x.text("CreateDate", &p.create_date)
        .text("UpdateDate", &p.update_date);
    if shape == PolicyShape::Full && !p.tags.is_empty() {
        tags(x, &p.tags);
    }
}
