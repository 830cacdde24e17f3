//! The connection loop and the per-request pipeline:
//! body (bounded) → route → SigV4 → service → protocol rendering.

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use protocol::json::{self, CORAL};
use protocol::{query, Reply, Service, Wire};

use crate::authorize;
use crate::budget::{self, Refused};
use crate::header_wait::Waiting;
use crate::open_mode;
use crate::request_id::new_request_id;
use crate::route::{route, Endpoint, ServiceId};
use crate::test_clock;
use crate::web_console;
use crate::{SharedState, MAX_BODY_BYTES};

/// Serves until `shutdown` resolves, then stops accepting and waits (bounded) for the requests
/// in flight to finish. At most `limits.max_connections` connections are served at once (the
/// rest wait in the listen backlog); a failing accept (no file descriptors left) backs off
/// instead of spinning, and is logged once per burst.
pub async fn serve(listener: TcpListener, state: SharedState, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(state.limits.max_connections.max(1)));
    let mut errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok((stream, peer)) => {
                        errors.recovered();
                        (stream, peer)
                    }
                    Err(e) => {
                        tokio::time::sleep(errors.failed(&e)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let watcher = graceful.watcher();
                let state = state.clone();
                tokio::spawn(async move {
                    match state.tls.clone() {
                        None => connection(state, TokioIo::new(stream), peer.ip(), false, watcher).await,
                        Some(tls) => {
                            // The handshake gets the time a request's headers get.
                            let handshake = tokio::time::timeout(
                                state.limits.header_timeout,
                                tls.accept(stream),
                            );
                            match handshake.await {
                                Ok(Ok(stream)) => {
                                    connection(state, TokioIo::new(stream), peer.ip(), true, watcher)
                                        .await
                                }
                                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                                Err(_) => tracing::debug!("TLS handshake timed out"),
                            }
                        }
                    }
                    drop(permit);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 10 s; closing them");
    }
}

/// Serves one connection's requests (HTTP/1.1 with keep-alive) until it closes, or until it
/// has waited `header_timeout` for a request's headers (an idle keep-alive connection too).
async fn connection<IO>(
    state: SharedState,
    io: TokioIo<IO>,
    peer: IpAddr,
    secure: bool,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = state.limits.header_timeout;
    let waiting = Arc::new(Waiting::new());
    let waits = waiting.clone();
    let service = service_fn(move |req| {
        let state = state.clone();
        let waiting = waits.clone();
        waiting.served();
        async move {
            let response = handle(state, req, peer, secure).await;
            waiting.started();
            Ok::<_, Infallible>(response)
        }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::select! {
        ended = watcher.watch(conn) => {
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        () = waiting.expired(header_timeout) => {
            tracing::debug!("no request headers within the header timeout; connection closed");
        }
    }
}

/// One request: route → read the body → verify the signature → resolve the operation → serve
/// it → send the reply the protocol layer framed.
async fn handle(
    state: SharedState,
    req: Request<Incoming>,
    peer: IpAddr,
    secure: bool,
) -> Response<Full<Bytes>> {
    let request_id = new_request_id();
    let (parts, body) = req.into_parts();
    if parts.method == Method::GET && parts.uri.path() == "/" {
        if let Some(page) = web_console::front_page(&parts) {
            return page;
        }
        // DynamoDB answers a plain GET on its endpoint with a health line; load balancers use it.
        return Response::new(Full::new(Bytes::from_static(b"healthy: dynostack")));
    }
    if parts.method == Method::GET && web_console::is_own_path(parts.uri.path()) {
        return web_console::handle(&state, &parts);
    }
    if test_clock::is_own_path(parts.uri.path()) {
        return test_clock::handle(&state, &parts, body, &request_id).await;
    }
    let reply = answer(&state, &parts, body, &request_id, (peer, secure)).await;
    send(reply, &request_id)
}

async fn answer(
    state: &SharedState,
    parts: &hyper::http::request::Parts,
    body: Incoming,
    request_id: &str,
    (peer, secure): (IpAddr, bool),
) -> Reply {
    let content_type = header(&parts.headers, hyper::header::CONTENT_TYPE);
    let target = header(&parts.headers, "x-amz-target");
    // The front end answers in this order, before looking at credentials: unknown operation,
    // then a body that is not JSON (dynalite recorded this order from DynamoDB). Only a
    // request without a target is routed by its credential scope, so only those pay for
    // reading it before `auth::verify` does.
    let scope_service = match target {
        Some(_) => None,
        None => auth_scope_service(&parts.headers),
    };
    let routed = route(target, scope_service.as_deref(), parts.uri.path());
    let rest = matches!(&routed, Ok(r) if r.wire == Wire::RestJson1);
    if parts.method != Method::POST && !rest {
        // Only the REST services take other methods; AWS answers them 404.
        return json::respond(404, &serde_json::json!({}), None);
    }
    let route = match routed {
        Ok(r) => r,
        Err(name) => {
            tracing::debug!(target = %name, "unknown operation");
            return unknown_operation(content_type);
        }
    };
    if matches!(state.auth, auth::Mode::Open) {
        if let Some(why) = open_mode::refusal(&state.allowed, &parts.headers) {
            tracing::debug!(%why, "refused in open mode");
            return match route.wire {
                Wire::AwsQuery => {
                    query::error(403, None, "Sender", "AccessDenied", &why, request_id)
                }
                _ => json::error(403, CORAL, "AccessDeniedException", &why, content_type),
            };
        }
    }
    let json_wire = matches!(route.wire, Wire::AwsJson10 | Wire::AwsJson11);
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let host = header(&parts.headers, hyper::header::HOST).unwrap_or("localhost");
    let mut req = protocol::Request {
        wire: route.wire,
        name: route.name.as_deref(),
        body: &[],
        method: parts.method.as_str(),
        path,
        query,
        region: "",
        host,
        content_type,
        request_id,
        caller: None,
    };
    // awsJson names the operation in a header: it is resolved once, before the body is read.
    let named = match json_wire.then(|| resolve(state, route.service, &req)) {
        Some(Ok(endpoint)) => Some(endpoint),
        Some(Err(_)) => return unknown_operation(content_type),
        None => None,
    };
    let read = tokio::time::timeout(
        state.limits.body_timeout,
        Limited::new(body, MAX_BODY_BYTES).collect(),
    );
    let body = match read.await {
        Ok(Ok(b)) => b.to_bytes(),
        Err(_) => {
            // What arrived so far is dropped with the read; the connection closes after this.
            return json::error(
                408,
                CORAL,
                "RequestTimeoutException",
                "The request body did not arrive in time",
                content_type,
            );
        }
        Ok(Err(_)) => {
            return json::error(
                413,
                CORAL,
                "RequestEntityTooLarge",
                "Request entity too large",
                content_type,
            );
        }
    };
    let cost = match json_wire && !body.is_empty() {
        true => match budget::json_cost(&body) {
            Some(cost) => cost,
            None => return json::error(400, CORAL, "SerializationException", "", content_type),
        },
        false => budget::other_cost(&body),
    };
    // Bodies being read are bounded by the connection cap, the body size and the body
    // timeout; what decoding one takes is reserved here, in one piece (a request never waits
    // holding part of the budget), before it is decoded.
    let _held = match state.budget.reserve(cost, state.limits.body_timeout).await {
        Ok(permit) => permit,
        Err(refused) => {
            // AWS's own limits are named first: a transaction of too many actions is told so.
            if let (Refused::TooLarge(..), Some(Endpoint::DynamoDb(op))) = (&refused, &named) {
                if let Err(e) = dynamodb::preflight(*op, &body) {
                    return protocol::render_error(&e, &req, "");
                }
            }
            return over_budget(&refused, route.wire, content_type, request_id);
        }
    };
    let (verified, identity) = match verify(state, parts, &body) {
        Ok(v) => v,
        Err(e) if route.wire == Wire::AwsQuery => {
            return query::error(
                e.query_http_status(),
                None,
                "Sender",
                e.query_code(),
                &e.message(),
                request_id,
            );
        }
        Err(e) => {
            return json::error(
                e.http_status(),
                CORAL,
                e.aws_code(),
                &e.message(),
                content_type,
            )
        }
    };
    let form;
    if route.wire == Wire::AwsQuery {
        form = query::parse_form(&body);
        req.name = query::param(&form, "Action");
        if req.name.is_none() && route.service != ServiceId::CloudWatch {
            // message unverified
            return query::error(
                400,
                None,
                "Sender",
                "MissingAction",
                "Missing Action",
                request_id,
            );
        }
    }
    req.body = &body;
    req.region = &verified.region;
    let endpoint = match named {
        Some(endpoint) => endpoint,
        None => match resolve(state, route.service, &req) {
            Ok(endpoint) => endpoint,
            Err(reply) => return reply,
        },
    };
    if let Some(identity) = &identity {
        let transport = authorize::Transport {
            source: peer,
            secure,
        };
        if let Err(refusal) = authorize::authorize(state, &endpoint, &req, identity, transport) {
            return refusal;
        }
        req.caller = Some(&identity.caller);
    }
    dispatch(state, endpoint, &req).await
}

/// A request whose memory does not fit: 413 if it never could, 503 if others hold it too long.
fn over_budget(
    refused: &Refused,
    wire: Wire,
    content_type: Option<&str>,
    request_id: &str,
) -> Reply {
    let mib = |b: u64| b.div_ceil(1024 * 1024);
    let (status, code, message) = match refused {
        Refused::TooLarge(needed, budget) => (
            413,
            "RequestEntityTooLarge",
            format!(
                "Request entity too large: decoding it would take about {} MiB, more than the \
                 server's memory budget for requests of {} MiB (--request-memory-mb)",
                mib(*needed),
                mib(*budget)
            ),
        ),
        Refused::Busy => (
            503,
            "ServiceUnavailable",
            "The server is busy decoding other requests; retry later".to_string(),
        ),
    };
    match wire {
        Wire::AwsQuery => {
            let fault = if status >= 500 { "Receiver" } else { "Sender" };
            query::error(status, None, fault, code, &message, request_id)
        }
        _ => json::error(status, CORAL, code, &message, content_type),
    }
}

/// The operation `req` asks of `service`, typed; or that service's error for an unknown one.
fn resolve(
    state: &SharedState,
    service: ServiceId,
    req: &protocol::Request<'_>,
) -> Result<Endpoint, Reply> {
    fn op<S: Service>(
        svc: &S,
        req: &protocol::Request<'_>,
        endpoint: impl FnOnce(S::Operation) -> Endpoint,
    ) -> Result<Endpoint, Reply> {
        svc.operation(req)
            .map(endpoint)
            .map_err(|e| protocol::render_error(&e, req, S::XMLNS))
    }
    match service {
        ServiceId::DynamoDb => op(&state.dynamodb, req, Endpoint::DynamoDb),
        ServiceId::Streams => op(&state.streams, req, Endpoint::Streams),
        ServiceId::Kms => op(&state.kms, req, Endpoint::Kms),
        ServiceId::AutoScaling => op(&state.autoscaling, req, Endpoint::AutoScaling),
        ServiceId::CloudWatch => op(&state.cloudwatch, req, Endpoint::CloudWatch),
        ServiceId::Iam => op(&state.iam, req, Endpoint::Iam),
        ServiceId::Sts => op(&state.sts, req, Endpoint::Sts),
        ServiceId::Backup => op(&state.backup, req, Endpoint::Backup),
    }
}

/// Runs the operation on its service; the protocol layer frames the answer. Each service's
/// future is boxed so that the request's future, which hyper moves, stays small.
async fn dispatch(state: &SharedState, endpoint: Endpoint, req: &protocol::Request<'_>) -> Reply {
    match endpoint {
        Endpoint::DynamoDb(op) => Box::pin(protocol::serve(&state.dynamodb, op, req)).await,
        Endpoint::Streams(op) => Box::pin(protocol::serve(&state.streams, op, req)).await,
        Endpoint::Kms(op) => Box::pin(protocol::serve(&state.kms, op, req)).await,
        Endpoint::AutoScaling(op) => Box::pin(protocol::serve(&state.autoscaling, op, req)).await,
        Endpoint::CloudWatch(op) => Box::pin(protocol::serve(&state.cloudwatch, op, req)).await,
        Endpoint::Iam(op) => Box::pin(protocol::serve(&state.iam, op, req)).await,
        Endpoint::Sts(op) => Box::pin(protocol::serve(&state.sts, op, req)).await,
        Endpoint::Backup(op) => Box::pin(protocol::serve(&state.backup, op, req)).await,
    }
}

/// Accept failures in a row: how long to back off, and when to say so.
#[derive(Default)]
struct AcceptErrors {
    streak: u32,
    unreported: u64,
    reported_at: Option<std::time::Instant>,
}

impl AcceptErrors {
    /// Notes a failure; returns how long to wait before accepting again (10 ms, doubling to
    /// 1 s). Logs at most once every 10 s, with the number of failures since.
    fn failed(&mut self, e: &std::io::Error) -> Duration {
        self.streak = self.streak.saturating_add(1);
        self.unreported += 1;
        if self
            .reported_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(10))
        {
            tracing::warn!(error = %e, failures = self.unreported, "accept failed; backing off");
            self.unreported = 0;
            self.reported_at = Some(std::time::Instant::now());
        }
        Duration::from_millis(10u64 << self.streak.min(7)).min(Duration::from_secs(1))
    }

    fn recovered(&mut self) {
        self.streak = 0;
    }
}

/// SigV4, against the real wall clock: clients sign with real time, whatever the test clock
/// says. In enforced mode, also who signed (the credentials file's root, an IAM user, a
/// session).
fn verify(
    state: &SharedState,
    parts: &hyper::http::request::Parts,
    body: &[u8],
) -> Result<(auth::Verified, Option<iam::Identity>), auth::AuthError> {
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)))
        .collect();
    let auth_req = auth::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body,
    };
    match &state.auth {
        auth::Mode::Open => {
            auth::verify(&auth_req, &state.auth, SystemTime::now()).map(|v| (v, None))
        }
        auth::Mode::Enforced(credentials) => {
            let lookup = authorize::Lookup {
                credentials,
                iam: &state.iam,
                found: std::cell::RefCell::new(None),
            };
            let verified = auth::verify_keys(&auth_req, &lookup, SystemTime::now())?;
            Ok((verified, lookup.found.into_inner()))
        }
    }
}

fn unknown_operation(content_type: Option<&str>) -> Reply {
    json::error(400, CORAL, "UnknownOperationException", "", content_type)
}

fn header(headers: &hyper::HeaderMap, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The framed reply as an HTTP response, with its length and the request id.
pub(crate) fn send(reply: Reply, request_id: &str) -> Response<Full<Bytes>> {
    use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
    let len = reply.body.len();
    let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    for (name, value) in reply.headers {
        // The one header every JSON answer has is named without parsing its name.
        let name = match name {
            "x-amz-crc32" => Ok(HeaderName::from_static("x-amz-crc32")),
            other => HeaderName::from_bytes(other.as_bytes()),
        };
        if let (Ok(n), Ok(v)) = (name, HeaderValue::from_str(&value)) {
            h.insert(n, v);
        }
    }
    resp
}

/// The service named by the SigV4 credential scope, read without verifying anything; routing
/// needs it before the signature is checked.
fn auth_scope_service(headers: &hyper::HeaderMap) -> Option<String> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    auth::parse_authorization(value).ok().map(|h| h.service)
}

/// Keeps `Arc` in the signature of callers that build state once.
pub fn shared(state: crate::State) -> SharedState {
    Arc::new(state)
}
