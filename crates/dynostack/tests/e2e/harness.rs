//! Starts the real `dynostack` binary on an ephemeral loopback port and builds SDK clients for
//! it. The process is stopped when the `Server` is dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

pub struct Server {
    child: Option<Child>,
    pub endpoint: String,
    dir: Option<tempfile::TempDir>,
    data_dir: PathBuf,
    extra: Vec<String>,
}

impl Server {
    /// A server on a fresh data directory, open mode.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let mut s = Server {
            child: None,
            endpoint: String::new(),
            dir: Some(dir),
            data_dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        s.launch();
        s
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn scratch(&self) -> PathBuf {
        self.dir.as_ref().unwrap().path().to_path_buf()
    }

    fn launch(&mut self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dynostack"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&self.data_dir)
            .args(&self.extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dynostack");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("listening on ") {
                    if !sent {
                        let _ = tx.send(rest.to_string());
                        sent = true;
                    }
                }
            }
        });
        self.endpoint = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server did not report its address");
        self.child = Some(child);
    }

    /// SIGKILL: no chance to flush anything that was not already durable.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait: the graceful path.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let _ = c.wait();
        }
    }

    /// Starts again on the same data directory (on a new port).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Starts again after `kill`.
    pub fn relaunch(&mut self) {
        self.launch();
    }

    pub fn client(&self) -> Client {
        client_for(
            &self.endpoint,
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        drop(self.dir.take());
    }
}

pub fn config_for(endpoint: &str, key: &str, secret: &str) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
}

pub fn client_for(endpoint: &str, key: &str, secret: &str) -> Client {
    Client::from_conf(config_for(endpoint, key, secret).build())
}

/// The AWS error code and message of a failed SDK call.
pub fn error_of<E, R>(result: Result<R, aws_sdk_dynamodb::error::SdkError<E>>) -> (String, String)
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match result {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(e) => {
            let meta = aws_sdk_dynamodb::error::ProvideErrorMetadata::meta(&e).clone();
            (
                meta.code().unwrap_or("").to_string(),
                meta.message().unwrap_or("").to_string(),
            )
        }
    }
}

/// Creates a PAY_PER_REQUEST table keyed by `pk` (S) and, if given, `sk` of type `sk_type`.
pub async fn create_table(
    client: &Client,
    name: &str,
    sk: Option<(&str, aws_sdk_dynamodb::types::ScalarAttributeType)>,
) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        );
    if let Some((sk, ty)) = sk {
        req = req
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(sk)
                    .attribute_type(ty)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(sk)
                    .key_type(KeyType::Range)
                    .build()
                    .unwrap(),
            );
    }
    req.send().await.unwrap();
}

/// Short forms the tests share for attribute values and key definitions.
pub fn s(v: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.into())
}

pub fn n(v: i64) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(v.to_string())
}

pub fn attr(
    name: &str,
    ty: aws_sdk_dynamodb::types::ScalarAttributeType,
) -> aws_sdk_dynamodb::types::AttributeDefinition {
    aws_sdk_dynamodb::types::AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ty)
        .build()
        .unwrap()
}

pub fn key(
    name: &str,
    ty: aws_sdk_dynamodb::types::KeyType,
) -> aws_sdk_dynamodb::types::KeySchemaElement {
    aws_sdk_dynamodb::types::KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(ty)
        .build()
        .unwrap()
}
