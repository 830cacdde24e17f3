//! The HTTP front: one port for every AWS service of the stack. It reads the request, finds
//! the service and operation (X-Amz-Target, the SigV4 credential scope), checks the signature,
//! hands the body to the service and renders the answer in that service's protocol.
//!
//! Architecture invariants:
//! - Only the `protocol` crate knows wire framing (envelopes, checksums, error bodies);
//!   services return their typed outputs or errors, and this crate adds only the length and
//!   the request id.
//! - No request path unwraps or panics: every failure becomes an AWS error response, and an
//!   internal failure is shown only as InternalServerError.

mod authorize;
pub mod budget;
mod header_wait;
mod http;
pub mod open_mode;
mod request_id;
mod route;
mod test_clock;
pub mod tls;
mod web_console;

use std::net::SocketAddr;
use std::sync::Arc;

use auth::Mode;
use dynamodb::Dynamo;
use tokio::net::TcpListener;

pub use http::{serve, shared};

/// Everything a request may need, shared by all connections.
pub struct State {
    pub dynamodb: Dynamo,
    pub streams: streams::Streams,
    pub auth: Mode,
    pub kms: kms::Kms,
    pub cloudwatch: cloudwatch::CloudWatch,
    pub backup: backup::Backup,
    pub iam: iam::Iam,
    pub sts: sts::Sts,
    pub autoscaling: autoscaling::AutoScaling,

    /// The background workers, and the clock they run on.
    pub workers: worker::Workers,
    /// Open mode's allowed hosts (ignored in enforced mode).
    pub allowed: open_mode::Allowed,
    /// Timeouts and the connection cap.
    pub limits: Limits,
    /// The memory requests may take while read and decoded (`--request-memory-mb`).
    pub budget: budget::MemoryBudget,
    /// Whether `/_dynostack/clock` serves (`--test-clock`).
    pub test_clock: bool,
    /// HTTPS instead of HTTP (`--tls-cert`/`--tls-key`, `--tls-self-signed`).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Binds `addr` (port 0 picks a free one) and returns the listener with its real address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

pub type SharedState = Arc<State>;

/// How long a client may take, and how many may be connected at once.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A request's headers must arrive within this; an idle keep-alive connection is closed
    /// after it too.
    pub header_timeout: std::time::Duration,
    /// A request's body must arrive within this (408 RequestTimeoutException after).
    pub body_timeout: std::time::Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: std::time::Duration::from_secs(60),
            body_timeout: std::time::Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// Largest request body accepted: DynamoDB's 16 MB batch limit plus room for the envelope.
pub const MAX_BODY_BYTES: usize = 17 * 1024 * 1024;
