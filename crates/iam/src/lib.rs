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
mod error;
mod ids;
mod managed;
mod model;
mod paging;
mod params;
mod policies;
mod render;
mod roles;
mod xml;

pub use error::IamError;

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
            Some(op) => self.run(op, params).await,
            None => Err(unknown_action(action)),
        }
    }

    async fn run(&self, op: Operation, params: &[(String, String)]) -> Result<String, IamError> {
        let p = Params(params);
        let result = match op {
            Operation::CreateRole => roles::create_role(self, p).await,
            Operation::GetRole => roles::get_role(self, p),
            Operation::DeleteRole => roles::delete_role(self, p).await,
            Operation::UpdateRole => roles::update_role(self, p).await,
            Operation::UpdateRoleDescription => roles::update_role_description(self, p).await,
            Operation::UpdateAssumeRolePolicy => roles::update_assume_role_policy(self, p).await,
            Operation::ListRoles => roles::list_roles(self, p),
            Operation::TagRole => roles::tag_role(self, p).await,
            Operation::UntagRole => roles::untag_role(self, p).await,
            Operation::ListRoleTags => roles::list_role_tags(self, p),
            Operation::PutRolePermissionsBoundary => {
                roles::put_role_permissions_boundary(self, p).await
            }
            Operation::DeleteRolePermissionsBoundary => {
                roles::delete_role_permissions_boundary(self, p).await
            }
            Operation::ListInstanceProfilesForRole => {
                roles::list_instance_profiles_for_role(self, p)
            }
            Operation::PutRolePolicy => roles::put_role_policy(self, p).await,
            Operation::GetRolePolicy => roles::get_role_policy(self, p),
            Operation::DeleteRolePolicy => roles::delete_role_policy(self, p).await,
            Operation::ListRolePolicies => roles::list_role_policies(self, p),
            Operation::AttachRolePolicy => roles::attach_role_policy(self, p).await,
            Operation::DetachRolePolicy => roles::detach_role_policy(self, p).await,
            Operation::ListAttachedRolePolicies => roles::list_attached_role_policies(self, p),
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

    pub(crate) fn account_id(&self) -> &str {
        &self.account_id
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
        self.run(op, &params).await.map(protocol::QueryResult)
    }
}
