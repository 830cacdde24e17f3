//! Triggers: the local counterpart of a Lambda function on a table's stream. A trigger follows
//! the stream records of one table (every stream the table has had, in change-log order) and
//! runs a command for each batch, with the batch on standard input in Lambda's event shape
//! (`{"Records": [...]}`, each record as GetRecords returns it plus `eventSourceARN`).
//!
//! Delivery is at least once: the trigger's checkpoint (the next change-log sequence number to
//! deliver, in the store table `streams.triggers`) advances only after the command exited 0, in
//! a durable write. A failing batch (non-zero exit, a crash, a timeout) is retried, with
//! exponential backoff, until it succeeds or the trigger stops; nothing after it is delivered
//! meanwhile, so records of an item always arrive in order. A record older than the retention
//! period when the trigger reaches it is skipped, as Lambda loses records a stream has trimmed.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use dynamodb::changelog::ChangeRecord;
use dynamodb::clock;
use dynamodb::stream_registry;
use serde_json::json;
use store::{Store, StoreError};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use crate::records;

const CHECKPOINTS: &str = "streams.triggers";

/// How far a trigger may scan without delivering before its position is saved anyway.
const SAVE_EVERY: u64 = 10_000;

/// `TABLE=COMMAND`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriggerSpec {
    pub table: String,
    pub command: String,
}

impl TriggerSpec {
    pub fn parse(s: &str) -> Result<TriggerSpec, String> {
        match s.split_once('=') {
            Some((table, command)) if !table.trim().is_empty() && !command.trim().is_empty() => {
                Ok(TriggerSpec {
                    table: table.trim().to_string(),
                    command: command.to_string(),
                })
            }
            _ => Err(format!("a trigger is TABLE=COMMAND, got {s:?}")),
        }
    }

    /// The checkpoint's key: the same trigger given again after a restart resumes.
    fn key(&self) -> String {
        format!("{}={}", self.table, self.command)
    }
}

#[derive(Clone, Debug)]
pub struct TriggerConfig {
    /// Records per batch (Lambda's BatchSize; its default for streams is 100).
    pub batch_size: usize,
    /// A run longer than this is killed and counts as a failure.
    pub timeout: Duration,
    /// How often an idle trigger looks for new records.
    pub poll: Duration,
    /// The first retry waits this long, each next one twice as long, up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Records older than this are skipped (the streams' retention).
    pub retention: Duration,
}

impl Default for TriggerConfig {
    fn default() -> TriggerConfig {
        TriggerConfig {
            batch_size: 100,
            timeout: Duration::from_secs(60),
            poll: Duration::from_millis(200),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            retention: Duration::from_secs(24 * 3600),
        }
    }
}

/// Starts a trigger; it stops (without checkpointing a batch in flight) when `stop` turns true.
pub fn spawn(
    store: Store,
    spec: TriggerSpec,
    config: TriggerConfig,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let table = spec.table.clone();
        if let Err(e) = run(store, spec, config, stop).await {
            tracing::error!(%table, error = %e, "trigger stopped");
        }
    })
}

fn load_checkpoint(store: &Store, key: &str) -> Result<u64, StoreError> {
    let raw = store.read()?.get(CHECKPOINTS, key.as_bytes())?;
    Ok(raw
        .and_then(|b| b.as_slice().try_into().ok())
        .map_or(1, u64::from_be_bytes))
}

async fn save_checkpoint(store: &Store, key: &str, next: u64) -> Result<(), StoreError> {
    let key = key.to_string();
    store
        .write(move |ctx| {
            ctx.insert(CHECKPOINTS, key.as_bytes(), &next.to_be_bytes())?;
            Ok(())
        })
        .await
}

/// Sleeps `d` unless told to stop first; returns whether to stop.
async fn pause(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

async fn run(
    store: Store,
    spec: TriggerSpec,
    config: TriggerConfig,
    mut stop: watch::Receiver<bool>,
) -> Result<(), StoreError> {
    let key = spec.key();
    let mut position = load_checkpoint(&store, &key)?;
    let mut saved = position;
    let needle = format!(
        "\"table\":{}",
        serde_json::to_string(&spec.table).unwrap_or_default()
    );
    let retention = config.retention.as_millis() as u64;
    let mut arns: HashMap<(String, String), String> = HashMap::new();
    tracing::info!(table = %spec.table, from = position, "trigger started");
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let now = clock::now_millis();
        let scan = records::scan(
            &store.read()?,
            position,
            None,
            config.batch_size.max(1),
            &needle,
            |r: &ChangeRecord| {
                r.table == spec.table
                    && r.stream.is_some()
                    && now.saturating_sub(r.at_ms) <= retention
            },
        )?;
        if scan.found.is_empty() {
            let caught_up = scan.next.saturating_sub(position) < records::MAX_VISIT as u64;
            position = scan.next;
            if position >= saved + SAVE_EVERY {
                save_checkpoint(&store, &key, position).await?;
                saved = position;
            }
            if caught_up && pause(config.poll, &mut stop).await {
                return Ok(());
            }
            continue;
        }
        let mut batch = Vec::with_capacity(scan.found.len());
        for f in &scan.found {
            let Some(tag) = &f.record.stream else {
                continue;
            };
            let id = (f.record.table_id.clone(), tag.label.clone());
            if !arns.contains_key(&id) {
                let arn = stream_registry::list(&store.read()?)?
                    .into_iter()
                    .find(|e| e.table_id == id.0 && e.label == id.1)
                    .map(|e| e.stream_arn)
                    .unwrap_or_default();
                arns.insert(id.clone(), arn);
            }
            let arn = arns.get(&id).cloned().unwrap_or_default();
            let mut rec = records::render(
                &f.record,
                f.seq,
                &arn,
                &tag.view_type,
                records::Shape::LambdaEvent,
            );
            if let Some(o) = rec.as_object_mut() {
                o.insert("eventSourceARN".into(), arn.into());
            }
            batch.push(rec);
        }
        let body = json!({ "Records": batch }).to_string();
        let mut backoff = config.initial_backoff;
        let mut attempt = 1u32;
        loop {
            match deliver(&spec, &config, &body, attempt, &mut stop).await {
                Delivery::Done => break,
                Delivery::Stopped => return Ok(()),
                Delivery::Failed(why) => {
                    tracing::warn!(table = %spec.table, attempt, %why, retry_in = ?backoff, "trigger batch failed");
                    if pause(backoff, &mut stop).await {
                        return Ok(());
                    }
                    backoff = (backoff * 2).min(config.max_backoff);
                    attempt += 1;
                }
            }
        }
        position = scan.next;
        save_checkpoint(&store, &key, position).await?;
        saved = position;
    }
}

enum Delivery {
    Done,
    Failed(String),
    Stopped,
}

fn command_stdout() -> Stdio {
    // The command's output goes to our stderr (with the logs); our stdout is for the
    // start-up lines that scripts read.
    use std::os::fd::AsFd;
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

async fn deliver(
    spec: &TriggerSpec,
    config: &TriggerConfig,
    body: &str,
    attempt: u32,
    stop: &mut watch::Receiver<bool>,
) -> Delivery {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&spec.command)
        .env("DYNOSTACK_TRIGGER_TABLE", &spec.table)
        .env("DYNOSTACK_TRIGGER_ATTEMPT", attempt.to_string())
        .stdin(Stdio::piped())
        .stdout(command_stdout())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Delivery::Failed(format!("cannot start the command: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is not an error by itself.
        let _ = stdin.write_all(body.as_bytes()).await;
        drop(stdin);
    }
    tokio::select! {
        status = tokio::time::timeout(config.timeout, child.wait()) => match status {
            Ok(Ok(s)) if s.success() => Delivery::Done,
            Ok(Ok(s)) => Delivery::Failed(format!("exited with {s}")),
            Ok(Err(e)) => Delivery::Failed(format!("cannot wait for the command: {e}")),
            Err(_) => {
                let _ = child.kill().await;
                Delivery::Failed(format!("timed out after {:?}", config.timeout))
            }
        },
        _ = stop.changed() => {
            let _ = child.kill().await;
            Delivery::Stopped
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_specs() {
        let s = TriggerSpec::parse("users=python3 consume.py --x=1").unwrap();
        assert_eq!(s.table, "users");
        assert_eq!(s.command, "python3 consume.py --x=1");
        assert!(TriggerSpec::parse("users").is_err());
        assert!(TriggerSpec::parse("=cmd").is_err());
    }
}
