//! AWS Backup's errors. restJson1: the status from the model (every modelled client error of
//! AWS Backup is a 400; ServiceUnavailableException is a 500), the code in the
//! `x-amzn-ErrorType` header and the body `{"Message": ..., "Code": ...}`. Storage failures are
//! logged and shown only as ServiceUnavailableException.

use std::fmt;

use store::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    AlreadyExists,
    ResourceNotFound,
    InvalidParameterValue,
    InvalidRequest,
    MissingParameterValue,
    LimitExceeded,
    Serialization,
    UnknownOperation,
    ServiceUnavailable,
}

impl ErrorCode {
    pub fn aws_code(self) -> &'static str {
        match self {
            ErrorCode::AlreadyExists => "AlreadyExistsException",
            ErrorCode::ResourceNotFound => "ResourceNotFoundException",
            ErrorCode::InvalidParameterValue => "InvalidParameterValueException",
            ErrorCode::InvalidRequest => "InvalidRequestException",
            ErrorCode::MissingParameterValue => "MissingParameterValueException",
            ErrorCode::LimitExceeded => "LimitExceededException",
            ErrorCode::Serialization => "SerializationException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::ServiceUnavailable => "ServiceUnavailableException",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::UnknownOperation => 404,
            ErrorCode::ServiceUnavailable => 500,
            _ => 400,
        }
    }
}

/// An error as the client will see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupError {
    pub code: ErrorCode,
    pub message: String,
}

impl BackupError {
    /// restJson1's error body: AWS Backup names both members in capitals.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "Message": self.message, "Code": self.code.aws_code() })
    }

    pub fn new(code: ErrorCode, message: impl Into<String>) -> BackupError {
        BackupError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> BackupError {
        BackupError::new(ErrorCode::InvalidParameterValue, message)
    }

    pub fn missing(member: &str) -> BackupError {
        BackupError::new(
            ErrorCode::MissingParameterValue,
            format!("Missing required parameter: {member}"),
        )
    }

    pub fn not_found(message: impl Into<String>) -> BackupError {
        BackupError::new(ErrorCode::ResourceNotFound, message)
    }

    /// A storage failure: logged here, shown to the client without detail.
    pub fn internal(e: &StoreError) -> BackupError {
        if e.is_disk_full() {
            return BackupError::new(ErrorCode::ServiceUnavailable, store::DISK_FULL_MESSAGE);
        }
        tracing::error!(error = %e, "backup: storage failure");
        BackupError::new(ErrorCode::ServiceUnavailable, "Internal failure")
    }
}

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.aws_code(), self.message)
    }
}

protocol::aws_error!(BackupError);
