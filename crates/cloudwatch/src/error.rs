//! CloudWatch's errors: the model's error shapes, their awsQuery codes and HTTP statuses.
//! awsJson/rpcv2Cbor bodies name the shape in `__type`; the service is `awsQueryCompatible`, so
//! those responses also carry `x-amzn-query-error: <query code>;<Sender|Receiver>`, from which
//! botocore (and the other SDKs) take the code the query protocol would have shown.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Alarms (DescribeAlarmHistory, SetAlarmState, …).
    ResourceNotFound,
    /// Tags: an ARN naming no resource.
    ResourceNotFoundException,
    /// Dashboards (`DashboardNotFoundError`, code ResourceNotFound).
    DashboardNotFound,
    /// `DashboardInvalidInputError`, code InvalidParameterInput.
    DashboardInvalidInput,
    InvalidParameterValue,
    InvalidParameterCombination,
    MissingParameter,
    InvalidNextToken,
    LimitExceeded,
    /// `ValidationException`, code ValidationError: the framework's constraint checks.
    Validation,
    InvalidFormat,
    InternalServiceError,
    /// An operation this service does not know (not a model shape).
    UnknownOperation,
}

impl ErrorCode {
    /// (shape name, awsQuery code, HTTP status, `x-amzn-query-error` header value).
    fn facts(self) -> (&'static str, &'static str, u16, &'static str) {
        use ErrorCode::*;
        match self {
            ResourceNotFound => (
                "ResourceNotFound",
                "ResourceNotFound",
                404,
                "ResourceNotFound;Sender",
            ),
            ResourceNotFoundException => (
                "ResourceNotFoundException",
                "ResourceNotFoundException",
                404,
                "ResourceNotFoundException;Sender",
            ),
            DashboardNotFound => (
                "DashboardNotFoundError",
                "ResourceNotFound",
                404,
                "ResourceNotFound;Sender",
            ),
            DashboardInvalidInput => (
                "DashboardInvalidInputError",
                "InvalidParameterInput",
                400,
                "InvalidParameterInput;Sender",
            ),
            InvalidParameterValue => (
                "InvalidParameterValueException",
                "InvalidParameterValue",
                400,
                "InvalidParameterValue;Sender",
            ),
            InvalidParameterCombination => (
                "InvalidParameterCombinationException",
                "InvalidParameterCombination",
                400,
                "InvalidParameterCombination;Sender",
            ),
            MissingParameter => (
                "MissingRequiredParameterException",
                "MissingParameter",
                400,
                "MissingParameter;Sender",
            ),
            InvalidNextToken => (
                "InvalidNextToken",
                "InvalidNextToken",
                400,
                "InvalidNextToken;Sender",
            ),
            LimitExceeded => (
                "LimitExceededFault",
                "LimitExceeded",
                400,
                "LimitExceeded;Sender",
            ),
            Validation => (
                "ValidationException",
                "ValidationError",
                400,
                "ValidationError;Sender",
            ),
            InvalidFormat => (
                "InvalidFormatFault",
                "InvalidFormat",
                400,
                "InvalidFormat;Sender",
            ),
            InternalServiceError => (
                "InternalServiceFault",
                "InternalServiceError",
                500,
                "InternalServiceError;Receiver",
            ),
            UnknownOperation => ("UnknownOperationException", "InvalidAction", 400, ""),
        }
    }

    pub fn shape(self) -> &'static str {
        self.facts().0
    }

    pub fn query_code(self) -> &'static str {
        self.facts().1
    }

    pub fn status(self) -> u16 {
        self.facts().2
    }

    /// The `x-amzn-query-error` header for awsJson/rpcv2Cbor responses, if any.
    pub fn query_error_header(self) -> Option<&'static str> {
        Some(self.facts().3).filter(|h| !h.is_empty())
    }

    pub fn is_sender(self) -> bool {
        self != ErrorCode::InternalServiceError
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CwError {
    pub code: ErrorCode,
    pub message: String,
    /// DashboardInvalidInputError's `dashboardValidationMessages` (DataPath, Message).
    pub dashboard_messages: Vec<(String, String)>,
}

impl CwError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> CwError {
        CwError {
            code,
            message: message.into(),
            dashboard_messages: Vec::new(),
        }
    }

    /// A required member missing: the framework's validation message
    /// (`Value null at 'alarmName' failed to satisfy constraint: Member must not be null`).
    pub fn null_member(name: &str) -> CwError {
        CwError::new(
            ErrorCode::Validation,
            format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(name)
            ),
        )
    }

    /// A scalar that does not parse as its type.
    pub fn malformed(name: &str, text: &str) -> CwError {
        CwError::new(
            ErrorCode::InvalidParameterValue,
            format!("Invalid value '{text}' for parameter {name}."),
        )
    }

    /// An enum member outside its set.
    pub fn not_in_enum(name: &str, value: &str, set: &[&str]) -> CwError {
        CwError::new(
            ErrorCode::Validation,
            format!(
                "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                lower_first(name),
                set.join(", ")
            ),
        )
    }

    pub fn internal() -> CwError {
        CwError::new(ErrorCode::InternalServiceError, "Internal service error")
    }
}

impl From<store::StoreError> for CwError {
    fn from(e: store::StoreError) -> CwError {
        if e.is_disk_full() {
            return CwError::new(ErrorCode::InternalServiceError, store::DISK_FULL_MESSAGE);
        }
        tracing::error!("cloudwatch storage failure: {e}");
        CwError::internal()
    }
}

pub fn lower_first(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

impl From<protocol::tree::MemberError> for CwError {
    fn from(e: protocol::tree::MemberError) -> CwError {
        match e {
            protocol::tree::MemberError::Null(member) => CwError::null_member(&member),
            protocol::tree::MemberError::Malformed { member, text } => {
                CwError::malformed(&member, &text)
            }
        }
    }
}

impl protocol::AwsError for CwError {
    fn aws_code(&self) -> &str {
        self.code.shape()
    }

    fn http_status(&self) -> u16 {
        self.code.status()
    }

    fn message(&self) -> &str {
        &self.message
    }

    fn is_sender_fault(&self) -> bool {
        self.code.is_sender()
    }

    fn query_code(&self) -> &str {
        self.code.query_code()
    }

    fn json_body(&self) -> serde_json::Value {
        let namespace = if self.code == ErrorCode::UnknownOperation {
            protocol::json::CORAL
        } else {
            "com.amazonaws.cloudwatch"
        };
        let mut body = serde_json::json!({
            "__type": format!("{namespace}#{}", self.code.shape()),
            "message": self.message,
        });
        if self.code == ErrorCode::DashboardInvalidInput {
            body["dashboardValidationMessages"] = self
                .dashboard_messages
                .iter()
                .map(|(p, m)| serde_json::json!({"DataPath": p, "Message": m}))
                .collect();
        }
        body
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        self.code
            .query_error_header()
            .map(|h| vec![("x-amzn-query-error", h.to_string())])
            .unwrap_or_default()
    }
}
