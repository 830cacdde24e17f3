//! AWS's access policy language, without I/O: documents parsed ([`Policy`]), requests
//! evaluated against the policies that bear on them ([`evaluate`]) with AWS's evaluation logic,
//! condition operators and policy variables, and AWS's words for a refusal ([`message`]).
//!
//! Every served service authorizes through this one evaluator, and so does IAM's policy
//! simulator: the same code answers "may I" and "what if".

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod caller;
pub mod condition;
pub mod context;
pub mod document;
pub mod evaluate;
pub mod wildcard;

pub use caller::{Caller, Kind};
pub use context::Context;
pub use document::{Effect, ParseError, Policy};
pub use evaluate::{evaluate, message, Decision, Denial, Policies, PolicyKind, Request};
