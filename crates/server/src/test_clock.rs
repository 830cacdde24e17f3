//! `--test-clock`: the installation's clock, read and moved over HTTP on the service port.
//!
//! - `GET /_dynostack/clock` → `{"now": RFC 3339, "epoch_seconds": f64, "offset_seconds": f64}`
//! - `POST /_dynostack/clock/advance` with `{"seconds": N}` (0 < N ≤ 400 days) moves the clock
//!   forward, runs every background step due inside the span at its due time
//!   ([`worker::Workers::advance`]) and answers like GET once they have all finished and the new
//!   offset is durable.
//!
//! - `GET /_dynostack/workers` → every background worker's status (next due time, steps, last
//!   error).
//! - `GET /_dynostack/triggers` → every trigger's checkpoint (the next stream sequence number it
//!   delivers) and its worker's status; served in open mode too, as triggers have no AWS API here.
//!
//! Without the flag these paths are unknown, as on AWS (the triggers path excepted in open mode).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Response};
use serde_json::{json, Value};

use crate::http::send;
use crate::SharedState;
use protocol::{json, Reply};

pub const CLOCK_PATH: &str = "/_dynostack/clock";
pub const ADVANCE_PATH: &str = "/_dynostack/clock/advance";
pub const WORKERS_PATH: &str = "/_dynostack/workers";
pub const TRIGGERS_PATH: &str = "/_dynostack/triggers";

/// A move's body is a few bytes; anything longer is refused unread.
const MAX_BODY: usize = 4096;

/// Whether the path is under Dynostack's own prefix (no AWS API uses it).
pub fn is_own_path(path: &str) -> bool {
    path.starts_with("/_dynostack/")
}

/// Answers a request under `/_dynostack/`: the clock with `--test-clock`, else 404.
pub async fn handle(
    state: &SharedState,
    parts: &hyper::http::request::Parts,
    body: Incoming,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let path = parts.uri.path();
    // Triggers have no AWS API here (Lambda's event source mappings are not served); their
    // checkpoints are shown where a developer works: open mode, or with the test clock.
    let served = match path {
        TRIGGERS_PATH => state.test_clock || matches!(state.auth, auth::Mode::Open),
        _ => state.test_clock && [CLOCK_PATH, ADVANCE_PATH, WORKERS_PATH].contains(&path),
    };
    if !served {
        return send(json::respond(404, &json!({}), None), request_id);
    }
    // Only a loopback host (or one given with --allow-host), in every mode: a web page that
    // rebinds its name to this server must not move the clock.
    if let Some(why) = crate::open_mode::foreign_host(&state.allowed, &parts.headers) {
        return error(403, "AccessDeniedException", &why, request_id);
    }
    match (&parts.method, path) {
        (&Method::GET, CLOCK_PATH) => reply(state, request_id),
        (&Method::GET, WORKERS_PATH) => workers(state, request_id),
        (&Method::GET, TRIGGERS_PATH) => triggers(state, request_id),
        (&Method::POST, ADVANCE_PATH) => {
            // A JSON content type cannot be sent cross-site without a CORS preflight, which is
            // never answered: a web page the user visits cannot move the clock.
            let json_body = parts
                .headers
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("application/json"));
            if !json_body {
                return error(
                    415,
                    "UnsupportedMediaType",
                    "send the body as application/json",
                    request_id,
                );
            }
            let read = Limited::new(body, MAX_BODY).collect();
            let seconds = match tokio::time::timeout(state.limits.body_timeout, read).await {
                Ok(Ok(b)) => parse_seconds(&b.to_bytes()),
                Ok(Err(_)) => Err("the body is too large".to_string()),
                Err(_) => Err("the body did not arrive in time".to_string()),
            };
            let seconds = match seconds {
                Ok(s) => s,
                Err(message) => return error(400, "ValidationException", &message, request_id),
            };
            let by_ms = (seconds * 1000.0).round() as u64;
            if let Err(e) = state.workers.advance(by_ms).await {
                tracing::error!(error = %e, "moving the clock failed");
                return error(500, "InternalServerError", &e.to_string(), request_id);
            }
            reply(state, request_id)
        }
        _ => error(
            405,
            "MethodNotAllowed",
            "use GET on the clock, POST on advance",
            request_id,
        ),
    }
}

/// `{"seconds": N}` with 0 < N ≤ 400 days.
fn parse_seconds(body: &[u8]) -> Result<f64, String> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "the body is not JSON".to_string())?;
    let max = (worker::MAX_ADVANCE_MS / 1000) as f64;
    match v.get("seconds").and_then(Value::as_f64) {
        Some(s) if s > 0.0 && s <= max => Ok(s),
        Some(_) => Err(format!("seconds must be greater than 0 and at most {max}")),
        None => Err("the body must be {\"seconds\": N}".to_string()),
    }
}

fn reply(state: &SharedState, request_id: &str) -> Response<Full<Bytes>> {
    let clock = state.workers.clock();
    let now = clock.now_ms();
    let body = json!({
        "now": clock::rfc3339_millis(now as i64),
        "epoch_seconds": now as f64 / 1000.0,
        "offset_seconds": clock.offset_ms() as f64 / 1000.0,
    });
    send(
        json::respond(200, &body, Some("application/json")),
        request_id,
    )
}

/// Every background worker: when it is next due, how many steps it took, its last error.
fn workers(state: &SharedState, request_id: &str) -> Response<Full<Bytes>> {
    let list: Vec<Value> = state
        .workers
        .statuses()
        .into_iter()
        .map(|s| {
            let at = |ms: u64| clock::rfc3339_millis(ms as i64);
            let next = match s.next {
                worker::Next::Now => json!({ "now": true }),
                worker::Next::At(ms) => json!({ "at": at(ms) }),
                worker::Next::Retry(ms) => json!({ "retry": at(ms) }),
                worker::Next::Idle => json!({ "idle": true }),
            };
            json!({
                "name": s.name,
                "next": next,
                "steps": s.steps,
                "failures": s.failures,
                "last_error": s.last_error,
            })
        })
        .collect();
    send(
        json::respond(200, &json!({ "workers": list }), Some("application/json")),
        request_id,
    )
}

/// Every trigger's checkpoint, with its worker's status while it runs (`trigger:TABLE`).
fn triggers(state: &SharedState, request_id: &str) -> Response<Full<Bytes>> {
    let checkpoints = match streams::triggers::checkpoints(state.dynamodb.store()) {
        Ok(c) => c,
        Err(_) => {
            return error(
                500,
                "InternalServerError",
                "cannot read the checkpoints",
                request_id,
            )
        }
    };
    let statuses = state.workers.statuses();
    let list: Vec<Value> = checkpoints
        .into_iter()
        .map(|c| {
            let worker = statuses
                .iter()
                .find(|s| s.name == format!("trigger:{}", c.table))
                .map(|s| json!({ "steps": s.steps, "failures": s.failures, "last_error": s.last_error }));
            json!({
                "table": c.table,
                "command": c.command,
                "next_sequence_number": c.next_sequence_number,
                "worker": worker,
            })
        })
        .collect();
    send(
        json::respond(200, &json!({ "triggers": list }), Some("application/json")),
        request_id,
    )
}

fn error(status: u16, code: &str, message: &str, request_id: &str) -> Response<Full<Bytes>> {
    let reply: Reply = json::respond(
        status,
        &json!({ "__type": code, "message": message }),
        Some("application/json"),
    );
    send(reply, request_id)
}
