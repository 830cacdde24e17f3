//! The connection loop and the per-request pipeline:
//! body (bounded) → route → SigV4 → service → protocol rendering.

use std::convert::Infallible;
use std::future::Future;
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

use crate::protocol::{aws_json, aws_query};
use crate::request_id::new_request_id;
use crate::route::{route, Endpoint, QueryService};
use crate::test_clock;
use crate::{SharedState, MAX_BODY_BYTES};

const CORAL: &str = "com.amazon.coral.service";

/// Serves until `shutdown` resolves, then stops accepting and waits (bounded) for the requests
/// in flight to finish.
pub async fn serve(listener: TcpListener, state: SharedState, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let service = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(state, req).await) }
                });
                let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
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

async fn handle(state: SharedState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let request_id = new_request_id();
    let (parts, body) = req.into_parts();
    if parts.method == Method::GET && parts.uri.path() == "/" {
        // DynamoDB answers a plain GET on its endpoint with a health line; load balancers use it.
        return Response::new(Full::new(Bytes::from_static(b"healthy: dynostack")));
    }
    if test_clock::is_own_path(parts.uri.path()) {
        return test_clock::handle(&state, &parts, body, &request_id).await;
    }
    let content_type = parts
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    // The front end answers in this order, before looking at credentials: unknown operation,
    // then a body that is not JSON (dynalite recorded this order from DynamoDB). Only a
    // request without a target is routed by its credential scope, so only those pay for
    // reading it before `auth::verify` does.
    let scope_service = match target {
        Some(_) => None,
        None => auth_scope_service(&parts.headers),
    };
    let endpoint = route(target, scope_service.as_deref(), parts.uri.path());
    if parts.method != Method::POST && endpoint != Endpoint::Backup {
        // Only the REST services take other methods; AWS answers them 404.
        return aws_json::respond(404, &serde_json::json!({}), &request_id, None);
    }
    if let Endpoint::Unknown(name) = &endpoint {
        tracing::debug!(target = %name, "unknown operation");
        return aws_json::error(
            400,
            CORAL,
            "UnknownOperationException",
            "",
            &request_id,
            content_type,
        );
    }
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return aws_json::error(
                413,
                CORAL,
                "RequestEntityTooLarge",
                "Request entity too large",
                &request_id,
                content_type,
            );
        }
    };
    let json_protocol = endpoint.is_aws_json();
    if json_protocol
        && !body.is_empty()
        && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err()
    {
        return aws_json::error(
            400,
            CORAL,
            "SerializationException",
            "",
            &request_id,
            content_type,
        );
    }

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
        body: &body,
    };
    let verified = match auth::verify(&auth_req, &state.auth, SystemTime::now()) {
        Ok(v) => v,
        Err(e)
            if matches!(
                endpoint,
                Endpoint::Query(_) | Endpoint::CloudWatch(cloudwatch::Protocol::Query, _)
            ) =>
        {
            return aws_query::error(
                e.query_http_status(),
                "Sender",
                e.query_code(),
                &e.message(),
                &request_id,
            )
        }
        Err(e) => {
            return aws_json::error(
                e.http_status(),
                CORAL,
                e.aws_code(),
                &e.message(),
                &request_id,
                content_type,
            )
        }
    };
    let host = parts
        .headers
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");

    match endpoint {
        Endpoint::DynamoDb(op) => {
            let call = dynamodb::CallCtx {
                region: verified.region.clone(),
                host: host.to_string(),
            };
            match state.dynamodb.call(op, &body, &call).await {
                Ok(out) => aws_json::respond(200, &out, &request_id, content_type),
                Err(e) => aws_json::respond(
                    e.code.http_status(),
                    &e.to_json(),
                    &request_id,
                    content_type,
                ),
            }
        }
        Endpoint::Streams(op) => match state.streams.call(op, &body).await {
            Ok(out) => aws_json::respond(200, &out, &request_id, content_type),
            Err(e) => aws_json::respond(
                e.code.http_status(),
                &e.to_json(),
                &request_id,
                content_type,
            ),
        },
        Endpoint::Kms(op) => match state.kms.call(&op, &body, &verified.region).await {
            Ok(out) => aws_json::respond(200, &out, &request_id, content_type),
            Err(e) => aws_json::respond(e.http_status(), &e.to_json(), &request_id, content_type),
        },
        Endpoint::AutoScaling(op) => {
            match state.autoscaling.call(&op, &body, &verified.region).await {
                Ok(out) => aws_json::respond(200, &out, &request_id, content_type),
                Err(e) => {
                    aws_json::respond(e.http_status(), &e.to_json(), &request_id, content_type)
                }
            }
        }
        Endpoint::Backup => {
            let path = parts.uri.path();
            let query = parts.uri.query().unwrap_or("");
            let reply = state
                .backup
                .call(parts.method.as_str(), path, query, &body, &verified.region)
                .await;
            let mut resp = aws_json::respond(
                reply.status,
                &reply.body,
                &request_id,
                Some("application/json"),
            );
            if let Some(t) = reply
                .error_type
                .and_then(|t| hyper::header::HeaderValue::from_str(&t).ok())
            {
                resp.headers_mut().insert("x-amzn-errortype", t);
            }
            resp
        }
        Endpoint::CloudWatch(protocol, op) => {
            let raw = state
                .cloudwatch
                .call(
                    protocol,
                    op.as_deref(),
                    &body,
                    &verified.region,
                    &request_id,
                )
                .await;
            raw_response(raw, &request_id)
        }
        Endpoint::Query(service) => query(&state, service, &body, &request_id).await,
        Endpoint::Unknown(_) => aws_json::error(
            400,
            CORAL,
            "UnknownOperationException",
            "",
            &request_id,
            content_type,
        ),
    }
}

/// A response a service framed itself (CloudWatch owns its three protocols).
fn raw_response(raw: cloudwatch::Raw, request_id: &str) -> Response<Full<Bytes>> {
    use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
    let len = raw.body.len();
    let mut resp = Response::new(Full::new(Bytes::from(raw.body)));
    *resp.status_mut() =
        hyper::StatusCode::from_u16(raw.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(raw.content_type));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    for (name, value) in raw.extra_headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            h.insert(n, v);
        }
    }
    resp
}

/// An awsQuery request: the form body names the action and its parameters.
async fn query(
    state: &SharedState,
    service: QueryService,
    body: &[u8],
    request_id: &str,
) -> Response<Full<Bytes>> {
    let params = aws_query::parse_form(body);
    let Some(action) = aws_query::param(&params, "Action").map(str::to_string) else {
        return aws_query::error(400, "Sender", "MissingAction", "Missing Action", request_id);
        // message unverified
    };
    match service {
        QueryService::Sts => match sts::call(&action, &params, &state.account_id) {
            Ok(result) => aws_query::respond(&action, sts::XMLNS, &result, request_id),
            Err(e) => aws_query::error(e.status, "Sender", e.code, &e.message, request_id),
        },
        QueryService::Iam => match state.iam.call(&action, &params).await {
            Ok(result) => aws_query::respond(&action, iam::XMLNS, &result, request_id),
            Err(e) => aws_query::error(e.status, e.kind(), &e.code, &e.message, request_id),
        },
    }
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
