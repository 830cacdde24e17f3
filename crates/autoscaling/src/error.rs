//! Application Auto Scaling's errors: one code per exception of the service model (plus the
//! front end's UnknownOperation and Serialization), each with its HTTP status. Storage failures
//! are logged and shown to clients only as `InternalServiceException`.

use std::fmt;

use store::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Validation,
    ObjectNotFound,
    ResourceNotFound,
    InvalidNextToken,
    LimitExceeded,
    ConcurrentUpdate,
    FailedResourceAccess,
    TooManyTags,
    Serialization,
    UnknownOperation,
    InternalService,
}

impl ErrorCode {
    /// The code SDKs match on (`__type`).
    pub fn aws_code(self) -> &'static str {
        match self {
            ErrorCode::Validation => "ValidationException",
            ErrorCode::ObjectNotFound => "ObjectNotFoundException",
            ErrorCode::ResourceNotFound => "ResourceNotFoundException",
            ErrorCode::InvalidNextToken => "InvalidNextTokenException",
            ErrorCode::LimitExceeded => "LimitExceededException",
            ErrorCode::ConcurrentUpdate => "ConcurrentUpdateException",
            ErrorCode::FailedResourceAccess => "FailedResourceAccessException",
            ErrorCode::TooManyTags => "TooManyTagsException",
            ErrorCode::Serialization => "SerializationException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::InternalService => "InternalServiceException",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InternalService => 500,
            _ => 400,
        }
    }
}

/// An error as the client will see it.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoScalingError {
    pub code: ErrorCode,
    pub message: String,
    /// `ResourceName` of ResourceNotFoundException and TooManyTagsException (the ARN).
    pub resource_name: Option<String>,
}

impl AutoScalingError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AutoScalingError {
        AutoScalingError {
            code,
            message: message.into(),
            resource_name: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> AutoScalingError {
        AutoScalingError::new(ErrorCode::Validation, message)
    }

    pub fn internal() -> AutoScalingError {
        AutoScalingError::new(ErrorCode::InternalService, "Internal server error")
    }

    pub fn aws_code(&self) -> &'static str {
        self.code.aws_code()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The error body in the awsJson 1.1 envelope. An empty message is left out, as the front
    /// end does for UnknownOperationException.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.code.aws_code().into());
        if !self.message.is_empty() {
            body.insert("message".into(), self.message.clone().into());
        }
        if let Some(name) = &self.resource_name {
            body.insert("ResourceName".into(), name.clone().into());
        }
        serde_json::Value::Object(body)
    }
}

impl fmt::Display for AutoScalingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.aws_code(), self.message)
    }
}

impl std::error::Error for AutoScalingError {}

impl From<StoreError> for AutoScalingError {
    fn from(e: StoreError) -> AutoScalingError {
        if e.is_disk_full() {
            return AutoScalingError::new(ErrorCode::InternalService, store::DISK_FULL_MESSAGE);
        }
        tracing::error!(error = %e, "storage failure");
        AutoScalingError::internal()
    }
}

/// Coral's constraint messages: "1 validation error detected: Value 'x' at 'resourceId' failed
/// to satisfy constraint: Member must …", several joined with "; ".
#[derive(Default)]
pub(crate) struct Constraints(Vec<String>);

impl Constraints {
    pub fn push(&mut self, value: impl fmt::Display, member: &str, constraint: &str) {
        self.0.push(format!(
            "Value '{value}' at '{member}' failed to satisfy constraint: Member must {constraint}"
        ));
    }

    pub fn push_null(&mut self, member: &str) {
        self.0.push(format!(
            "Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ));
    }

    pub fn into_result(self) -> Result<(), AutoScalingError> {
        match self.0.len() {
            0 => Ok(()),
            n => Err(AutoScalingError::validation(format!(
                "{n} validation error{} detected: {}",
                if n == 1 { "" } else { "s" },
                self.0.join("; ")
            ))),
        }
    }
}

protocol::json_error!(AutoScalingError, ErrorCode);
