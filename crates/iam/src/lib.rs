//! AWS Identity and Access Management, the part the stack's Terraform and SDK users need: roles
//! (trust policies, tags, permissions boundaries), inline role policies, customer managed
//! policies with versions, attachments, and the AWS managed policies the stack references.
//!
//! Requests arrive in the awsQuery protocol; [`Iam::call`] sees the action and its decoded form
//! parameters and answers the XML inside `<{Action}Result>`, leaving the envelope to the server.
//! Policy documents are kept as the client sent them and returned URL-encoded, as IAM does.
//!
//! Everything persists through the store (tables `iam.*`, see `model.rs`): each mutation is one
//! write job that checks first and writes last, so concurrent calls serialize on the store's
//! writer and a refused request leaves nothing behind. Reads use snapshots.
//!
//! IAM is global: one namespace per installation, whatever region the request names.

mod doc;
mod entity;
mod error;
mod groups;
mod identity;
mod ids;
mod managed;
mod model;
mod paging;
mod params;
mod policies;
mod render;
mod roles;
mod sessions;
mod simulator;
mod users;
mod xml;

pub use error::IamError;
pub use identity::{Held, Holder, Identity, KeyRecord};
pub use model::{Role, Tag};
pub use sessions::{Acting, NewSession, Session};

use store::{ReadCtx, Store, StoreError, WriteCtx};

use crate::error::Fail;
use crate::model::View;
use crate::params::Params;

/// The namespace IAM's XML responses carry.
pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The IAM service of one installation.
#[derive(Clone)]
pub struct Iam {
    store: Store,
    account_id: String,
}

impl Iam {
    /// IAM over `store`, for the account `account_id`. Checks that what is stored can be read.
    pub fn open(store: Store, account_id: String) -> Result<Iam, StoreError> {
        let read = store.read()?;
        read.all_roles()?;
        read.all_users()?;
        read.all_groups()?;
        read.all_policies()?;
        Ok(Iam { store, account_id })
    }

    /// Runs an awsQuery `action` with its decoded form parameters; `Ok` is the XML inside
    /// `<{action}Result>` (empty for actions that return nothing).
    /// Runs `action` (an awsQuery `Action`) with its form parameters; answers the XML inside
    /// `<{Action}Result>`.
    pub async fn call(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<String, IamError> {
        match Operation::from_name(action) {
            Some(op) => self.run(op, params, None).await,
            None => Err(unknown_action(action)),
        }
    }

    async fn run(
        &self,
        op: Operation,
        params: &[(String, String)],
        caller: Option<&policy::Caller>,
    ) -> Result<String, IamError> {
        use model::{Group, Role, User};
        let p = Params(params);
        let result = match op {
            Operation::CreateRole => roles::create_role(self, p).await,
            Operation::GetRole => roles::get_role(self, p),
            Operation::DeleteRole => roles::delete_role(self, p).await,
            Operation::UpdateRole => roles::update_role(self, p).await,
            Operation::UpdateRoleDescription => roles::update_role_description(self, p).await,
            Operation::UpdateAssumeRolePolicy => roles::update_assume_role_policy(self, p).await,
            Operation::ListRoles => roles::list_roles(self, p),
            Operation::TagRole => entity::tag::<Role>(self, p).await,
            Operation::UntagRole => entity::untag::<Role>(self, p).await,
            Operation::ListRoleTags => entity::list_tags::<Role>(self, p),
            Operation::PutRolePermissionsBoundary => entity::put_boundary::<Role>(self, p).await,
            Operation::DeleteRolePermissionsBoundary => {
                entity::delete_boundary::<Role>(self, p).await
            }
            Operation::ListInstanceProfilesForRole => {
                roles::list_instance_profiles_for_role(self, p)
            }
            Operation::PutRolePolicy => entity::put_policy::<Role>(self, p).await,
            Operation::GetRolePolicy => entity::get_policy::<Role>(self, p),
            Operation::DeleteRolePolicy => entity::delete_policy::<Role>(self, p).await,
            Operation::ListRolePolicies => entity::list_policies::<Role>(self, p),
            Operation::AttachRolePolicy => entity::attach_policy::<Role>(self, p).await,
            Operation::DetachRolePolicy => entity::detach_policy::<Role>(self, p).await,
            Operation::ListAttachedRolePolicies => entity::list_attached_policies::<Role>(self, p),
            Operation::CreateUser => users::create_user(self, p).await,
            Operation::GetUser => users::get_user(self, p, caller),
            Operation::ListUsers => users::list_users(self, p),
            Operation::DeleteUser => users::delete_user(self, p).await,
            Operation::TagUser => entity::tag::<User>(self, p).await,
            Operation::UntagUser => entity::untag::<User>(self, p).await,
            Operation::ListUserTags => entity::list_tags::<User>(self, p),
            Operation::PutUserPermissionsBoundary => entity::put_boundary::<User>(self, p).await,
            Operation::DeleteUserPermissionsBoundary => {
                entity::delete_boundary::<User>(self, p).await
            }
            Operation::PutUserPolicy => entity::put_policy::<User>(self, p).await,
            Operation::GetUserPolicy => entity::get_policy::<User>(self, p),
            Operation::DeleteUserPolicy => entity::delete_policy::<User>(self, p).await,
            Operation::ListUserPolicies => entity::list_policies::<User>(self, p),
            Operation::AttachUserPolicy => entity::attach_policy::<User>(self, p).await,
            Operation::DetachUserPolicy => entity::detach_policy::<User>(self, p).await,
            Operation::ListAttachedUserPolicies => entity::list_attached_policies::<User>(self, p),
            Operation::CreateAccessKey => users::create_access_key(self, p, caller).await,
            Operation::ListAccessKeys => users::list_access_keys(self, p, caller),
            Operation::UpdateAccessKey => users::update_access_key(self, p, caller).await,
            Operation::DeleteAccessKey => users::delete_access_key(self, p, caller).await,
            Operation::CreateGroup => groups::create_group(self, p).await,
            Operation::GetGroup => groups::get_group(self, p),
            Operation::ListGroups => groups::list_groups(self, p),
            Operation::DeleteGroup => groups::delete_group(self, p).await,
            Operation::AddUserToGroup => groups::add_user_to_group(self, p).await,
            Operation::RemoveUserFromGroup => groups::remove_user_from_group(self, p).await,
            Operation::ListGroupsForUser => groups::list_groups_for_user(self, p),
            Operation::PutGroupPolicy => entity::put_policy::<Group>(self, p).await,
            Operation::GetGroupPolicy => entity::get_policy::<Group>(self, p),
            Operation::DeleteGroupPolicy => entity::delete_policy::<Group>(self, p).await,
            Operation::ListGroupPolicies => entity::list_policies::<Group>(self, p),
            Operation::AttachGroupPolicy => entity::attach_policy::<Group>(self, p).await,
            Operation::DetachGroupPolicy => entity::detach_policy::<Group>(self, p).await,
            Operation::ListAttachedGroupPolicies => {
                entity::list_attached_policies::<Group>(self, p)
            }
            Operation::SimulatePrincipalPolicy => simulator::simulate_principal(self, p),
            Operation::SimulateCustomPolicy => simulator::simulate_custom(p, &self.account_id),
            Operation::CreatePolicy => policies::create_policy(self, p).await,
            Operation::GetPolicy => policies::get_policy(self, p),
            Operation::DeletePolicy => policies::delete_policy(self, p).await,
            Operation::ListPolicies => policies::list_policies(self, p),
            Operation::CreatePolicyVersion => policies::create_policy_version(self, p).await,
            Operation::GetPolicyVersion => policies::get_policy_version(self, p),
            Operation::ListPolicyVersions => policies::list_policy_versions(self, p),
            Operation::DeletePolicyVersion => policies::delete_policy_version(self, p).await,
            Operation::SetDefaultPolicyVersion => {
                policies::set_default_policy_version(self, p).await
            }
            Operation::TagPolicy => policies::tag_policy(self, p).await,
            Operation::UntagPolicy => policies::untag_policy(self, p).await,
            Operation::ListPolicyTags => policies::list_policy_tags(self, p),
            Operation::ListEntitiesForPolicy => policies::list_entities_for_policy(self, p),
        };
        result.map_err(IamError::from)
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The installation's clock, in Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.store.clock().now_ms()
    }

    pub(crate) fn snapshot(&self) -> Result<ReadCtx, Fail> {
        Ok(self.store.read()?)
    }

    /// Runs `job` as one store write job; an `IamError` from it is an answer, not a failure.
    pub(crate) async fn write<T, F>(&self, job: F) -> Result<T, Fail>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T, Fail> + Send + 'static,
    {
        let answer = self
            .store
            .write(move |ctx| match job(ctx) {
                Ok(v) => Ok(Ok(v)),
                Err(Fail::Iam(e)) => Ok(Err(e)),
                Err(Fail::Store(e)) => Err(e),
            })
            .await?;
        Ok(answer?)
    }
}

/// InvalidAction: an action IAM does not have.
fn unknown_action(action: &str) -> IamError {
    IamError::new(
        400,
        "InvalidAction",
        format!("Could not find operation {action} for version 2010-05-08"),
    )
}

protocol::operations!(
    "iam";
    CreateRole,
    GetRole,
    DeleteRole,
    UpdateRole,
    UpdateRoleDescription,
    UpdateAssumeRolePolicy,
    ListRoles,
    TagRole,
    UntagRole,
    ListRoleTags,
    PutRolePermissionsBoundary,
    DeleteRolePermissionsBoundary,
    ListInstanceProfilesForRole,
    PutRolePolicy,
    GetRolePolicy,
    DeleteRolePolicy,
    ListRolePolicies,
    AttachRolePolicy,
    DetachRolePolicy,
    ListAttachedRolePolicies,
    CreateUser,
    GetUser,
    ListUsers,
    DeleteUser,
    TagUser,
    UntagUser,
    ListUserTags,
    PutUserPermissionsBoundary,
    DeleteUserPermissionsBoundary,
    PutUserPolicy,
    GetUserPolicy,
    DeleteUserPolicy,
    ListUserPolicies,
    AttachUserPolicy,
    DetachUserPolicy,
    ListAttachedUserPolicies,
    CreateAccessKey,
    ListAccessKeys,
    UpdateAccessKey,
    DeleteAccessKey,
    CreateGroup,
    GetGroup,
    ListGroups,
    DeleteGroup,
    AddUserToGroup,
    RemoveUserFromGroup,
    ListGroupsForUser,
    PutGroupPolicy,
    GetGroupPolicy,
    DeleteGroupPolicy,
    ListGroupPolicies,
    AttachGroupPolicy,
    DetachGroupPolicy,
    ListAttachedGroupPolicies,
    SimulatePrincipalPolicy,
    SimulateCustomPolicy,
    CreatePolicy,
    GetPolicy,
    DeletePolicy,
    ListPolicies,
    CreatePolicyVersion,
    GetPolicyVersion,
    ListPolicyVersions,
    DeletePolicyVersion,
    SetDefaultPolicyVersion,
    TagPolicy,
    UntagPolicy,
    ListPolicyTags,
    ListEntitiesForPolicy,
);

impl protocol::Service for Iam {
    type Operation = Operation;
    type Output = protocol::QueryResult;
    type Error = IamError;
    const XMLNS: &'static str = XMLNS;

    fn operation(&self, req: &protocol::Request<'_>) -> Result<Operation, IamError> {
        let name = req.name.unwrap_or_default();
        Operation::from_name(name).ok_or_else(|| unknown_action(name))
    }

    async fn call<'a>(
        &'a self,
        op: Operation,
        req: &'a protocol::Request<'a>,
    ) -> Result<protocol::QueryResult, IamError> {
        let params = protocol::query::parse_form(req.body);
        self.run(op, &params, req.caller)
            .await
            .map(protocol::QueryResult)
    }
}
