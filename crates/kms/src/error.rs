//! KMS's errors: one enum of AWS error codes, each with its HTTP status. KMS sends the bare code
//! as `__type` (no namespace) and a `message` member, which it leaves out when the message is
//! empty (InvalidCiphertextException has none). Internal failures are logged and shown to
//! clients only as KMSInternalException.

use std::fmt;

use store::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    NotFound,
    AlreadyExists,
    Validation,
    InvalidCiphertext,
    IncorrectKey,
    Disabled,
    InvalidState,
    InvalidKeyUsage,
    UnsupportedOperation,
    NotAuthorized,
    AccessDenied,
    Tag,
    InvalidGrantToken,
    MalformedPolicyDocument,
    LimitExceeded,
    DryRunOperation,
    UnknownOperation,
    Serialization,
    Internal,
}

impl ErrorCode {
    /// The code SDKs match on, as KMS spells it.
    pub fn aws_code(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "NotFoundException",
            ErrorCode::AlreadyExists => "AlreadyExistsException",
            ErrorCode::Validation => "ValidationException",
            ErrorCode::InvalidCiphertext => "InvalidCiphertextException",
            ErrorCode::IncorrectKey => "IncorrectKeyException",
            ErrorCode::Disabled => "DisabledException",
            ErrorCode::InvalidState => "KMSInvalidStateException",
            ErrorCode::InvalidKeyUsage => "InvalidKeyUsageException",
            ErrorCode::UnsupportedOperation => "UnsupportedOperationException",
            ErrorCode::NotAuthorized => "NotAuthorizedException",
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::Tag => "TagException",
            ErrorCode::InvalidGrantToken => "InvalidGrantTokenException",
            ErrorCode::MalformedPolicyDocument => "MalformedPolicyDocumentException",
            ErrorCode::LimitExceeded => "LimitExceededException",
            ErrorCode::DryRunOperation => "DryRunOperationException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::Serialization => "SerializationException",
            ErrorCode::Internal => "KMSInternalException",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Internal => 500,
            ErrorCode::DryRunOperation => 412,
            _ => 400,
        }
    }
}

/// An error as the client will see it.
#[derive(Clone, Debug)]
pub struct KmsError {
    code: ErrorCode,
    message: String,
}

impl KmsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> KmsError {
        KmsError {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn aws_code(&self) -> &str {
        self.code.aws_code()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The awsJson 1.1 error body: `{"__type": "<Code>", "message": "..."}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.aws_code().into());
        if !self.message.is_empty() {
            body.insert("message".into(), self.message.clone().into());
        }
        serde_json::Value::Object(body)
    }

    pub(crate) fn validation(message: impl Into<String>) -> KmsError {
        KmsError::new(ErrorCode::Validation, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> KmsError {
        KmsError::new(ErrorCode::NotFound, message)
    }

    /// Any ciphertext that is not ours, was altered, or is presented with the wrong encryption
    /// context: AWS says nothing more.
    pub(crate) fn invalid_ciphertext() -> KmsError {
        KmsError::new(ErrorCode::InvalidCiphertext, "")
    }

    pub(crate) fn internal() -> KmsError {
        KmsError::new(ErrorCode::Internal, "")
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.aws_code(), self.message)
    }
}

impl std::error::Error for KmsError {}

impl From<StoreError> for KmsError {
    fn from(e: StoreError) -> KmsError {
        if e.is_disk_full() {
            return KmsError::new(ErrorCode::Internal, store::DISK_FULL_MESSAGE);
        }
        tracing::error!(error = %e, "storage failure");
        KmsError::internal()
    }
}

/// Coral's constraint messages: "1 validation error detected: Value 'x' at 'keyId' failed to
/// satisfy constraint: Member must …", several joined with "; ".
#[derive(Default)]
pub(crate) struct Constraints(Vec<String>);

impl Constraints {
    pub(crate) fn push(&mut self, value: impl fmt::Display, member: &str, constraint: &str) {
        self.0.push(format!(
            "Value '{value}' at '{member}' failed to satisfy constraint: Member must {constraint}"
        ));
    }

    /// Blob members are not echoed: "Value at 'plaintext' failed to satisfy constraint: …".
    pub(crate) fn push_blob(&mut self, member: &str, constraint: &str) {
        self.0.push(format!(
            "Value at '{member}' failed to satisfy constraint: Member must {constraint}"
        ));
    }

    pub(crate) fn push_null(&mut self, member: &str) {
        self.0.push(format!(
            "Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// A required string member: null, or shorter/longer than the model allows.
    pub(crate) fn string(&mut self, value: Option<&str>, member: &str, min: usize, max: usize) {
        match value {
            None => self.push_null(member),
            Some(v) => self.length(v, member, min, max),
        }
    }

    pub(crate) fn length(&mut self, value: &str, member: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.push(
                value,
                member,
                &format!("have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.push(
                value,
                member,
                &format!("have length less than or equal to {max}"),
            );
        }
    }

    pub(crate) fn range(&mut self, value: Option<i64>, member: &str, min: i64, max: i64) {
        let Some(v) = value else { return };
        if v < min {
            self.push(
                v,
                member,
                &format!("have value greater than or equal to {min}"),
            );
        } else if v > max {
            self.push(
                v,
                member,
                &format!("have value less than or equal to {max}"),
            );
        }
    }

    pub(crate) fn one_of(&mut self, value: Option<&str>, member: &str, allowed: &[&str]) {
        let Some(v) = value else { return };
        if !allowed.contains(&v) {
            self.push(
                v,
                member,
                &format!("satisfy enum value set: [{}]", allowed.join(", ")),
            );
        }
    }

    pub(crate) fn into_result(self) -> Result<(), KmsError> {
        match self.0.len() {
            0 => Ok(()),
            n => Err(KmsError::validation(format!(
                "{n} validation error{} detected: {}",
                if n == 1 { "" } else { "s" },
                self.0.join("; ")
            ))),
        }
    }
}

protocol::json_error!(KmsError, ErrorCode);
