//! DynamoDB Streams' errors: validation and framing errors come from the Coral front end, the
//! rest from the service model (namespace `com.amazonaws.dynamodb.v20120810`).

use std::fmt;

use store::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Validation,
    Serialization,
    UnknownOperation,
    ResourceNotFound,
    ExpiredIterator,
    TrimmedDataAccess,
    LimitExceeded,
    InternalServerError,
}

impl ErrorCode {
    pub fn aws_code(self) -> &'static str {
        match self {
            ErrorCode::Validation => "ValidationException",
            ErrorCode::Serialization => "SerializationException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::ResourceNotFound => "ResourceNotFoundException",
            ErrorCode::ExpiredIterator => "ExpiredIteratorException",
            ErrorCode::TrimmedDataAccess => "TrimmedDataAccessException",
            ErrorCode::LimitExceeded => "LimitExceededException",
            ErrorCode::InternalServerError => "InternalServerError",
        }
    }

    pub fn namespace(self) -> &'static str {
        match self {
            ErrorCode::Validation => "com.amazon.coral.validate",
            ErrorCode::Serialization | ErrorCode::UnknownOperation => "com.amazon.coral.service",
            _ => "com.amazonaws.dynamodb.v20120810",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InternalServerError => 500,
            _ => 400,
        }
    }
}

#[derive(Clone, Debug)]
pub struct StreamsError {
    pub code: ErrorCode,
    pub message: String,
}

impl StreamsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> StreamsError {
        StreamsError {
            code,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> StreamsError {
        StreamsError::new(ErrorCode::Validation, message)
    }

    pub fn stream_not_found(arn: &str) -> StreamsError {
        StreamsError::new(
            ErrorCode::ResourceNotFound,
            format!("Requested resource not found: Stream: {arn} not found"),
        )
    }

    pub fn internal() -> StreamsError {
        StreamsError::new(ErrorCode::InternalServerError, "Internal server error")
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert(
            "__type".into(),
            format!("{}#{}", self.code.namespace(), self.code.aws_code()).into(),
        );
        if !self.message.is_empty() {
            body.insert("message".into(), self.message.clone().into());
        }
        serde_json::Value::Object(body)
    }
}

impl fmt::Display for StreamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.aws_code(), self.message)
    }
}

impl From<StoreError> for StreamsError {
    fn from(e: StoreError) -> StreamsError {
        if e.is_disk_full() {
            return StreamsError::new(ErrorCode::InternalServerError, store::DISK_FULL_MESSAGE);
        }
        tracing::error!(error = %e, "storage failure");
        StreamsError::internal()
    }
}

/// Coral's constraint messages are shared with DynamoDB (`dynamodb::error::Constraints`).
impl From<dynamodb::DynamoError> for StreamsError {
    fn from(e: dynamodb::DynamoError) -> StreamsError {
        let code = match e.code {
            dynamodb::ErrorCode::Validation => ErrorCode::Validation,
            dynamodb::ErrorCode::Serialization => ErrorCode::Serialization,
            dynamodb::ErrorCode::ResourceNotFound => ErrorCode::ResourceNotFound,
            _ => ErrorCode::InternalServerError,
        };
        StreamsError::new(code, e.message)
    }
}

protocol::json_error!(StreamsError, ErrorCode);
