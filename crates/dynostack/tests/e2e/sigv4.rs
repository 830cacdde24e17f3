//! SigV4 in enforced mode, with the SDK's real signer: good keys pass; unknown keys, wrong
//! secrets, tampered requests and stale clocks get AWS's errors.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::Client;

use crate::harness::{client_for, config_for, error_of, Server};

const KEY: &str = "AKIDDYNOSTACKTEST";
const SECRET: &str = "c2VjcmV0LXRoYXQtb25seS10aGUtdGVzdC1rbm93cw";

fn enforced_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(
        &path,
        format!("[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    // The file is read at start-up; the directory can go afterwards.
    let server = Server::start_with(&["--credentials", path.to_str().unwrap()]);
    drop(dir);
    server
}

/// Changes a signed header after signing, as a man in the middle would.
#[derive(Debug)]
struct Tamper;

impl Intercept for Tamper {
    fn name(&self) -> &'static str {
        "Tamper"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        ctx.request_mut()
            .headers_mut()
            .insert("x-amz-target", "DynamoDB_20120810.DescribeLimits");
        Ok(())
    }
}

#[derive(Debug)]
struct Late(Duration);

impl aws_smithy_async::time::TimeSource for Late {
    fn now(&self) -> SystemTime {
        SystemTime::now() - self.0
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn enforced_mode_checks_every_signature() {
    let server = enforced_server();
    let good = client_for(&server.endpoint, KEY, SECRET);
    good.list_tables().send().await.unwrap();

    let (code, message) = error_of(
        client_for(&server.endpoint, "AKIDUNKNOWN", SECRET)
            .list_tables()
            .send()
            .await,
    );
    assert_eq!(code, "UnrecognizedClientException");
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );

    let no_retry = |b: aws_sdk_dynamodb::config::Builder| {
        Client::from_conf(b.retry_config(RetryConfig::disabled()).build())
    };
    let (code, message) = error_of(
        no_retry(config_for(&server.endpoint, KEY, "wrong-secret"))
            .list_tables()
            .send()
            .await,
    );
    assert_eq!(code, "InvalidSignatureException");
    assert_eq!(
        message,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    );

    let tampered = no_retry(config_for(&server.endpoint, KEY, SECRET).interceptor(Tamper));
    let (code, _) = error_of(tampered.list_tables().send().await);
    assert_eq!(code, "InvalidSignatureException");

    let stale = no_retry(
        config_for(&server.endpoint, KEY, SECRET).time_source(Late(Duration::from_secs(20 * 60))),
    );
    let (code, message) = error_of(stale.list_tables().send().await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(message.starts_with("Signature expired: "), "{message}");
    assert!(message.ends_with(" - 15 min.)"), "{message}");

    // Within the 15-minute window a slow clock is fine.
    let slow = no_retry(
        config_for(&server.endpoint, KEY, SECRET).time_source(Late(Duration::from_secs(5 * 60))),
    );
    slow.list_tables().send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn open_mode_takes_any_key_but_requires_a_signature() {
    let server = Server::start();
    client_for(&server.endpoint, "anything", "at-all")
        .list_tables()
        .send()
        .await
        .unwrap();
    // An unsigned request: a raw POST without Authorization.
    let addr = server.endpoint.trim_start_matches("http://").to_string();
    let body = "{}";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = raw_http(&addr, &request);
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(
        response.contains("MissingAuthenticationTokenException"),
        "{response}"
    );
}

fn raw_http(addr: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}
