//! One keep-alive HTTP/1.1 connection sending SigV4-signed DynamoDB requests.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value as Json;
use tokio::net::TcpStream;

/// Where requests go: the socket address and the `host` header value that is signed.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
}

impl Target {
    /// Parses `http://host:port[/]` (only plain HTTP; the server has no TLS).
    pub async fn parse(url: &str) -> Result<Target, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("target {url:?}: only http:// URLs are supported"))?;
        let host = rest.trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            return Err(format!("target {url:?}: expected http://HOST:PORT"));
        }
        let with_port = if host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            host.to_string()
        } else {
            format!("{host}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|e| format!("target {url:?}: {e}"))?
            .next()
            .ok_or_else(|| format!("target {url:?}: no address"))?;
        Ok(Target {
            addr,
            host: host.to_string(),
        })
    }

    pub fn from_addr(addr: SocketAddr) -> Target {
        Target {
            addr,
            host: addr.to_string(),
        }
    }
}

/// The credentials requests are signed with (any key works against an open-mode server).
#[derive(Clone, Debug)]
pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

/// What a request came back with.
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

impl Reply {
    /// `Some("400 ValidationException")` for an error answer, `None` for 200.
    pub fn error_key(&self) -> Option<String> {
        if self.status == 200 {
            return None;
        }
        let code = serde_json::from_slice::<Json>(&self.body)
            .ok()
            .and_then(|j| j.get("__type").and_then(Json::as_str).map(str::to_string))
            .map(|t| t.rsplit('#').next().unwrap_or_default().to_string())
            .unwrap_or_else(|| "(no __type)".to_string());
        Some(format!("{} {code}", self.status))
    }

    pub fn json(&self) -> Result<Json, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("response is not JSON: {e}"))
    }
}

pub struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Conn {
    pub async fn connect(target: &Target) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(target.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the peer closes.
            let _ = conn.await;
        });
        Ok(Conn { sender })
    }

    /// Sends one signed `DynamoDB_20120810.<op>` request and reads the whole answer.
    pub async fn call(
        &mut self,
        target: &Target,
        signer: &Signer,
        op: &str,
        body: Bytes,
    ) -> Result<Reply, String> {
        let now = auth::time::unix_seconds(SystemTime::now());
        let date = auth::time::format_amz_date(now);
        let amz_target = format!("DynamoDB_20120810.{op}");
        let headers = [
            ("host", target.host.as_str()),
            ("x-amz-date", date.as_str()),
            ("x-amz-target", amz_target.as_str()),
            ("content-type", "application/x-amz-json-1.0"),
        ];
        let authorization = auth::sign(
            &auth::Request {
                method: "POST",
                path: "/",
                query: "",
                headers: &headers,
                body: &body,
            },
            &signer.access_key,
            &signer.secret_key,
            &signer.region,
            "dynamodb",
        )
        .map_err(|e| format!("signing: {e:?}"))?;
        let mut builder = hyper::Request::builder().method("POST").uri("/");
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .header("authorization", authorization)
            .body(Full::new(body))
            .map_err(|e| format!("request: {e}"))?;
        self.sender
            .ready()
            .await
            .map_err(|e| format!("transport: {}", short(&e)))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("transport: {}", short(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("transport: {}", short(&e)))?
            .to_bytes();
        Ok(Reply { status, body })
    }

    /// A setup call: the JSON answer of a 200, or the error (code and message) otherwise.
    pub async fn call_json(
        &mut self,
        target: &Target,
        signer: &Signer,
        op: &str,
        body: &Json,
    ) -> Result<Json, String> {
        let reply = tokio::time::timeout(
            Duration::from_secs(60),
            self.call(target, signer, op, Bytes::from(body.to_string())),
        )
        .await
        .map_err(|_| format!("{op}: no answer in 60 s"))??;
        if let Some(key) = reply.error_key() {
            let message = reply
                .json()
                .ok()
                .and_then(|j| {
                    j.get("message")
                        .or_else(|| j.get("Message"))
                        .and_then(Json::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_default();
            return Err(format!("{op}: {key}: {message}"));
        }
        reply.json()
    }
}

/// A stable, short name for a hyper error, so errors group well in the report.
fn short(e: &hyper::Error) -> &'static str {
    if e.is_closed() {
        "connection closed"
    } else if e.is_incomplete_message() {
        "incomplete message"
    } else if e.is_canceled() {
        "canceled"
    } else if e.is_parse() {
        "parse error"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_body_write_aborted() {
        "body write aborted"
    } else {
        "other"
    }
}
