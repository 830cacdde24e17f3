//! The one error type of the expression language: a message that the caller turns into a
//! `ValidationException` verbatim, so every message here is AWS's own wording.

use std::fmt;

/// Which request parameter an expression came from. AWS names it in every message about the
/// expression ("Invalid FilterExpression: …"), so the parser needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    ConditionExpression,
    FilterExpression,
    KeyConditionExpression,
    UpdateExpression,
    ProjectionExpression,
}

impl ExprKind {
    /// The parameter's name as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExprKind::ConditionExpression => "ConditionExpression",
            ExprKind::FilterExpression => "FilterExpression",
            ExprKind::KeyConditionExpression => "KeyConditionExpression",
            ExprKind::UpdateExpression => "UpdateExpression",
            ExprKind::ProjectionExpression => "ProjectionExpression",
        }
    }
}

impl fmt::Display for ExprKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused expression, request or update; `message` is exactly what AWS answers in its
/// `ValidationException`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub message: String,
}

impl ExprError {
    pub fn new(message: impl Into<String>) -> ExprError {
        ExprError {
            message: message.into(),
        }
    }

    /// A problem with one expression: AWS prefixes the parameter's name.
    pub(crate) fn invalid(kind: ExprKind, detail: impl fmt::Display) -> ExprError {
        ExprError::new(format!("Invalid {kind}: {detail}"))
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}
