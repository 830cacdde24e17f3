//! What every AWS service of the stack shares, below HTTP: one [`Service`] trait, and the one
//! protocol layer that frames every service's answers and errors — awsJson 1.0/1.1 (`json`),
//! awsQuery XML (`query`, `xml`), rpcv2Cbor (`cbor`), restJson1 — so that no service crate
//! writes a header or an envelope of its own. Also the request decoding every JSON service does
//! the same way ([`json::parse`]), the value tree of a service that speaks several protocols
//! (`tree`; its timestamps are read and written by `clock`), and the [`operations!`] macro that makes a service's `Operation` enum.
//!
//! A request goes: the HTTP layer finds the service and its [`Wire`] protocol, reads the body,
//! checks the signature, resolves the [`Service::Operation`] and calls [`serve`], which runs the
//! operation and renders its [`Render`] output or its [`AwsError`] in that protocol as a
//! [`Reply`]; the HTTP layer adds the request id and sends it.

pub mod cbor;
pub mod json;
pub mod query;
pub mod tree;
pub mod xml;

use std::fmt;
use std::future::Future;

use crate::tree::V;

/// The wire protocols the stack's services speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wire {
    /// `X-Amz-Target` names the operation; JSON bodies (DynamoDB, Streams, CloudWatch's JS SDK).
    AwsJson10,
    /// The same, `application/x-amz-json-1.1` (KMS, Application Auto Scaling).
    AwsJson11,
    /// Form bodies with `Action=`, XML answers (IAM, STS, CloudWatch for Terraform).
    AwsQuery,
    /// `POST /service/<S>/operation/<Op>`, CBOR bodies (CloudWatch for boto3).
    RpcV2Cbor,
    /// Method and path name the operation; JSON bodies (AWS Backup).
    RestJson1,
}

/// One request as a service sees it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub wire: Wire,
    /// The operation name the framing gave (target suffix, CBOR path, `Action`); none for REST.
    pub name: Option<&'a str>,
    pub body: &'a [u8],
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// The region of the request's SigV4 credential scope.
    pub region: &'a str,
    /// The Host header the request was sent to.
    pub host: &'a str,
    pub content_type: Option<&'a str>,
    pub request_id: &'a str,
    /// Who signed the request, once known (in enforced mode); `None` in open mode.
    pub caller: Option<&'a policy::Caller>,
}

/// One AWS service: it resolves a request to one of its operations, runs it, and answers with
/// its typed output or its typed error; [`serve`] renders either in the request's protocol.
pub trait Service: Send + Sync {
    type Operation: Send + fmt::Debug;
    type Output: Render + Send;
    type Error: AwsError + Send;

    /// The namespace of the service's XML answers (awsQuery); empty for the others.
    const XMLNS: &'static str = "";

    /// The operation `req` asks for, or the service's error for an unknown one.
    fn operation(&self, req: &Request<'_>) -> Result<Self::Operation, Self::Error>;

    fn call<'a>(
        &'a self,
        op: Self::Operation,
        req: &'a Request<'a>,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send + 'a;
}

/// Runs `op` of `svc` and renders the answer, or the error, in the request's protocol.
pub async fn serve<S: Service>(svc: &S, op: S::Operation, req: &Request<'_>) -> Reply {
    match svc.call(op, req).await {
        Ok(out) => out.render(req, S::XMLNS),
        Err(e) => render_error(&e, req, S::XMLNS),
    }
}

/// A service's output, framed in the request's protocol.
pub trait Render {
    fn render(self, req: &Request<'_>, xmlns: &str) -> Reply;
}

/// A JSON answer: awsJson, or restJson1's body with status 200.
impl Render for serde_json::Value {
    fn render(self, req: &Request<'_>, _xmlns: &str) -> Reply {
        match req.wire {
            Wire::RestJson1 => Reply::new(
                200,
                "application/json",
                serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec()),
            ),
            _ => json::respond(200, &self, req.content_type),
        }
    }
}

/// The XML inside an awsQuery answer's `<{Action}Result>`.
pub struct QueryResult(pub String);

impl Render for QueryResult {
    fn render(self, req: &Request<'_>, xmlns: &str) -> Reply {
        query::respond(req.name.unwrap_or_default(), xmlns, &self.0, req.request_id)
    }
}

/// A tree answer, in whichever protocol the request came in; `None` is an operation without
/// an output shape.
pub struct TreeOutput(pub Option<V>);

impl Render for TreeOutput {
    fn render(self, req: &Request<'_>, xmlns: &str) -> Reply {
        match req.wire {
            Wire::AwsQuery => query::respond_tree(
                req.name.unwrap_or_default(),
                xmlns,
                self.0.as_ref(),
                req.request_id,
            ),
            Wire::RpcV2Cbor => cbor::respond(200, self.0.as_ref()),
            _ => Reply::new(
                200,
                json::JSON_1_0,
                json::tree_bytes(&self.0.unwrap_or_else(V::map)),
            ),
        }
    }
}

/// A service's error, framed in the request's protocol.
pub fn render_error(e: &dyn AwsError, req: &Request<'_>, xmlns: &str) -> Reply {
    let status = e.http_status();
    let reply = match req.wire {
        Wire::AwsQuery => {
            let kind = if e.is_sender_fault() {
                "Sender"
            } else {
                "Receiver"
            };
            let xmlns = Some(xmlns).filter(|x| !x.is_empty());
            return query::error(
                status,
                xmlns,
                kind,
                e.query_code(),
                e.message(),
                req.request_id,
            );
        }
        Wire::AwsJson10 | Wire::AwsJson11 => {
            json::respond(status, &e.json_body(), req.content_type)
        }
        Wire::RpcV2Cbor => cbor::respond(status, Some(&V::from_json(&e.json_body()))),
        Wire::RestJson1 => Reply::new(
            status,
            "application/json",
            serde_json::to_vec(&e.json_body()).unwrap_or_else(|_| b"{}".to_vec()),
        )
        .with_header("x-amzn-errortype", e.aws_code()),
    };
    e.headers()
        .into_iter()
        .fold(reply, |r, (name, value)| r.with_header(name, value))
}

/// A response, framed: status, content type, body and the protocol's extra headers.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// What the protocol layer needs of a service's error to render it.
pub trait AwsError {
    /// AWS's error code: the shape name of awsJson's `__type`, restJson1's `x-amzn-ErrorType`.
    fn aws_code(&self) -> &str;
    fn http_status(&self) -> u16;
    fn message(&self) -> &str;
    /// awsQuery's `<Type>`: Sender (the caller's fault) or Receiver.
    fn is_sender_fault(&self) -> bool {
        self.http_status() < 500
    }
    /// awsQuery's `<Code>`, where it differs from the shape name.
    fn query_code(&self) -> &str {
        self.aws_code()
    }
    /// The error body in JSON (awsJson, rpcv2Cbor as a tree, restJson1), with any members of
    /// the error's shape beside `__type` and `message`.
    fn json_body(&self) -> serde_json::Value;
    /// Headers the error adds (CloudWatch's `x-amzn-query-error`).
    fn headers(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// Makes a service's `Operation` enum: every operation it implements, the one source of truth
/// for their names (`from_name`, `name`) and the IAM actions policies name them by.
///
/// ```ignore
/// protocol::operations!("kms"; CreateKey, DescribeKey);
/// ```
#[macro_export]
macro_rules! operations {
    ($iam_prefix:literal; $($name:ident),* $(,)?) => {
        /// Every operation this service implements; the single source of truth for names.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Operation { $($name),* }

        impl Operation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [Operation] = &[$(Operation::$name),*];

            /// From the operation's wire name (the `X-Amz-Target` suffix, the `Action`).
            pub fn from_name(name: &str) -> Option<Operation> {
                match name {
                    $(stringify!($name) => Some(Operation::$name),)*
                    _ => None,
                }
            }

            pub fn name(self) -> &'static str {
                match self { $(Operation::$name => stringify!($name)),* }
            }

            /// The IAM action a policy names for this operation.
            pub fn iam_action(self) -> String {
                format!("{}:{}", $iam_prefix, self.name())
            }
        }
    };
}

/// Implements [`AwsError`] for a service's error type from what such a type has: `code` with
/// `aws_code()` and `http_status()`, `message`, and `to_json()` (its error body).
#[macro_export]
macro_rules! aws_error {
    ($error:ident) => {
        impl $crate::AwsError for $error {
            fn aws_code(&self) -> &str {
                self.code.aws_code()
            }

            fn http_status(&self) -> u16 {
                self.code.http_status()
            }

            fn message(&self) -> &str {
                &self.message
            }

            fn json_body(&self) -> serde_json::Value {
                self.to_json()
            }
        }
    };
}

/// [`aws_error!`] for an awsJson service, with the conversion from a body the front end could
/// not decode (`$code::Serialization`).
#[macro_export]
macro_rules! json_error {
    ($error:ident, $code:ident) => {
        $crate::aws_error!($error);

        impl From<$crate::json::SerializationError> for $error {
            fn from(e: $crate::json::SerializationError) -> $error {
                $error::new($code::Serialization, e.message)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    mod demo {
        crate::operations!("demo"; First, Second);
    }

    #[test]
    fn operations_know_their_names_and_actions() {
        use demo::Operation;
        assert_eq!(Operation::from_name("Second"), Some(Operation::Second));
        assert_eq!(Operation::from_name("Third"), None);
        assert_eq!(Operation::First.name(), "First");
        assert_eq!(Operation::Second.iam_action(), "demo:Second");
        assert_eq!(Operation::ALL.len(), 2);
    }
}
