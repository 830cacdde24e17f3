//! Triggers: the local counterpart of a Lambda function on a table's stream. A trigger follows
//! the stream records of one table (every stream the table has had, in change-log order) and
//! runs a command for each batch, with the batch on standard input in Lambda's event shape
//! (`{"Records": [...]}`, each record as GetRecords returns it plus `eventSourceARN`).
//!
//! Delivery is at least once: the trigger's checkpoint (the next change-log sequence number to
//! deliver, in the store table `streams.triggers`) advances only after the command exited 0, in
//! a durable write. A failing batch (non-zero exit, a crash, a timeout) is retried, with
//! exponential backoff, until it succeeds or the server stops; nothing after it is delivered
//! meanwhile, so records of an item always arrive in order. A record older than the retention
//! period when the trigger reaches it is skipped, as Lambda loses records a stream has trimmed.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use dynamodb::changelog::ChangeRecord;
use dynamodb::stream_registry;
use serde_json::json;
use store::{Store, StoreError};
use tokio::io::AsyncWriteExt;
use worker::{Next, StepFuture, Worker};

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

/// A trigger's saved position, for the console: the next stream record it will deliver.
pub struct Checkpoint {
    pub table: String,
    pub command: String,
    /// The next record's sequence number, in the form stream records carry.
    pub next_sequence_number: String,
}

/// Every trigger's checkpoint in the store (those of triggers no longer configured too: the
/// same trigger given again resumes from it).
pub fn checkpoints(store: &Store) -> Result<Vec<Checkpoint>, StoreError> {
    let mut out = Vec::new();
    store.read()?.scan(
        CHECKPOINTS,
        (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
        false,
        |k, v| {
            let key = String::from_utf8_lossy(k);
            if let (Some((table, command)), Ok(next)) = (key.split_once('='), v.try_into()) {
                out.push(Checkpoint {
                    table: table.to_string(),
                    command: command.to_string(),
                    next_sequence_number: records::sequence_number(u64::from_be_bytes(next)),
                });
            }
            store::ScanControl::Continue
        },
    )?;
    Ok(out)
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

/// One trigger, as a background worker. A step either looks for the next batch or delivers
/// the batch found; a stop drops the step, which kills a command in flight (its batch is not
/// checkpointed, so it is delivered again after the restart: at least once).
pub struct Trigger {
    store: Store,
    spec: TriggerSpec,
    config: TriggerConfig,
    key: String,
    /// The next change-log sequence number to look at, and the last one saved.
    position: u64,
    saved: u64,
    /// `"table":"<name>"`, to skip other tables' records without decoding them.
    needle: String,
    /// Stream ARNs by (table id, stream label).
    arns: HashMap<(String, String), String>,
    pending: Option<Batch>,
}

/// A batch found and not yet delivered.
struct Batch {
    body: String,
    /// Where the position goes once it is delivered.
    next: u64,
    attempt: u32,
    backoff: Duration,
}

impl Trigger {
    pub fn new(
        store: Store,
        spec: TriggerSpec,
        config: TriggerConfig,
    ) -> Result<Trigger, StoreError> {
        let key = spec.key();
        let position = load_checkpoint(&store, &key)?;
        let needle = format!(
            "\"table\":{}",
            serde_json::to_string(&spec.table).unwrap_or_default()
        );
        tracing::info!(table = %spec.table, from = position, "trigger started");
        Ok(Trigger {
            store,
            spec,
            config,
            key,
            position,
            saved: position,
            needle,
            arns: HashMap::new(),
            pending: None,
        })
    }

    async fn step_once(&mut self, now: u64) -> Result<Next, StoreError> {
        if let Some(batch) = self.pending.as_mut() {
            match deliver(&self.spec, &self.config, &batch.body, batch.attempt).await {
                Delivery::Done => {
                    self.position = batch.next;
                    self.pending = None;
                    save_checkpoint(&self.store, &self.key, self.position).await?;
                    self.saved = self.position;
                    return Ok(Next::Now);
                }
                Delivery::Failed(why) => {
                    let wait = batch.backoff;
                    tracing::warn!(table = %self.spec.table, attempt = batch.attempt, %why, retry_in = ?wait, "trigger batch failed");
                    batch.backoff = (batch.backoff * 2).min(self.config.max_backoff);
                    batch.attempt += 1;
                    return Ok(Next::Retry(now.saturating_add(wait.as_millis() as u64)));
                }
            }
        }
        let retention = self.config.retention.as_millis() as u64;
        if let Some(first) = self.store.read()?.first_change()? {
            if self.position < first {
                // Failing longer than the retention: what expired is gone, as Lambda loses it.
                // (A new trigger starts at 1 and has missed nothing it was promised.)
                if self.position > 1 {
                    tracing::warn!(table = %self.spec.table, from = self.position, to = first, "trigger skipped records past the retention period");
                }
                self.position = first;
            }
        }
        let table = &self.spec.table;
        let scan = records::scan(
            &self.store.read()?,
            self.position,
            None,
            self.config.batch_size.max(1),
            &self.needle,
            |r: &ChangeRecord| {
                &r.table == table && r.stream.is_some() && now.saturating_sub(r.at_ms) <= retention
            },
        )?;
        if scan.found.is_empty() {
            let caught_up = scan.next.saturating_sub(self.position) < records::MAX_VISIT as u64;
            self.position = scan.next;
            if self.position >= self.saved + SAVE_EVERY {
                save_checkpoint(&self.store, &self.key, self.position).await?;
                self.saved = self.position;
            }
            // Caught up: new records are looked for every `poll`.
            return Ok(if caught_up { Next::Idle } else { Next::Now });
        }
        let mut batch = Vec::with_capacity(scan.found.len());
        for f in &scan.found {
            let Some(tag) = &f.record.stream else {
                continue;
            };
            let arn = self.arn_of(&f.record.table_id, &tag.label)?;
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
        self.pending = Some(Batch {
            body: json!({ "Records": batch }).to_string(),
            next: scan.next,
            attempt: 1,
            backoff: self.config.initial_backoff,
        });
        Ok(Next::Now)
    }

    /// The ARN of the stream a record was written under.
    fn arn_of(&mut self, table_id: &str, label: &str) -> Result<String, StoreError> {
        let id = (table_id.to_string(), label.to_string());
        if let Some(arn) = self.arns.get(&id) {
            return Ok(arn.clone());
        }
        let arn = stream_registry::list(&self.store.read()?)?
            .into_iter()
            .find(|e| e.table_id == id.0 && e.label == id.1)
            .map(|e| e.stream_arn)
            .unwrap_or_default();
        self.arns.insert(id, arn.clone());
        Ok(arn)
    }
}

impl Worker for Trigger {
    fn name(&self) -> String {
        format!("trigger:{}", self.spec.table)
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once(now).await.map_err(|e| e.to_string()) })
    }

    fn poll(&self) -> Option<Duration> {
        Some(self.config.poll)
    }
}

enum Delivery {
    Done,
    Failed(String),
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

async fn deliver(spec: &TriggerSpec, config: &TriggerConfig, body: &str, attempt: u32) -> Delivery {
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
    let mut stdin = child.stdin.take();
    // Writing the batch and waiting for the command share the timeout: a command that never
    // reads its input must not hold the trigger once the pipe is full.
    let run = async {
        if let Some(mut input) = stdin.take() {
            // A command that does not read its input is not an error by itself.
            let _ = input.write_all(body.as_bytes()).await;
        }
        child.wait().await
    };
    // Dropped here on shutdown, the child is killed (`kill_on_drop`).
    let outcome = tokio::time::timeout(config.timeout, run).await;
    match outcome {
        Ok(Ok(s)) if s.success() => Delivery::Done,
        Ok(Ok(s)) => Delivery::Failed(format!("exited with {s}")),
        Ok(Err(e)) => Delivery::Failed(format!("cannot wait for the command: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            Delivery::Failed(format!("timed out after {:?}", config.timeout))
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
