//! `dynostack-bench`: load generator and measurements for dynostack.
//!
//! Every request is a real DynamoDB request (awsJson 1.0, SigV4-signed) over keep-alive
//! HTTP/1.1 connections. Servers it starts bind 127.0.0.1 on ephemeral ports and are stopped
//! at the end; every loop is bounded by a duration or a request count.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod backup;
mod ceiling;
mod client;
mod encryption;
mod engine;
mod footprint;
mod hist;
mod query_scaling;
mod report;
mod server;
mod suite;
mod workload;
mod wrk;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};

use crate::client::{Signer, Target};
use crate::engine::Stop;
use crate::workload::Workload;

#[derive(Parser)]
#[command(
    name = "dynostack-bench",
    about = "Load generator and measurements for dynostack"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Set up one workload's table and data, then run it against a server.
    Run(RunArgs),
    /// Only create the workload's table and load its data.
    Setup(SetupArgs),
    /// Serve `{}` to every POST: the baseline the other figures are compared with.
    Ceiling(CeilingArgs),
    /// Start the ceiling and a dynostack server, run every workload, print ratios.
    Suite(SuiteArgs),
    /// Query latency of a 10-item partition in a 10-item table vs a 1,000,000-item table.
    QueryScaling(query_scaling::Args),
    /// Start-up time, idle RSS, RSS and disk bytes per item with 100k and 1M items loaded.
    Footprint(footprint::Args),
    /// CreateBackup's answer time, its copy's cost on PutItem throughput, and a restore's time.
    Backup(backup::Args),
    /// GetItem and PutItem throughput with encryption at rest against the same build without.
    Encryption(encryption::Args),
    /// PutItem and GetItem driven by wrk (pre-built requests, a light C client) against the
    /// ceiling and a dynostack server, in alternating slices: the outside benchmark's figures.
    Wrk(wrk::Args),
}

#[derive(Args, Clone)]
pub struct Creds {
    /// Access key to sign with (any key works against an open-mode server).
    #[arg(long, default_value = "bench", env = "AWS_ACCESS_KEY_ID")]
    access_key: String,
    #[arg(long, default_value = "bench", env = "AWS_SECRET_ACCESS_KEY")]
    secret_key: String,
    #[arg(long, default_value = "us-east-1")]
    region: String,
}

impl Creds {
    fn signer(&self) -> Signer {
        Signer {
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            region: self.region.clone(),
        }
    }
}

#[derive(Args, Clone)]
pub struct DataArgs {
    /// Items preloaded for get, update-cond and mixed.
    #[arg(long, default_value_t = 10_000)]
    keys: u64,
    /// Partitions preloaded for query10 and query100.
    #[arg(long, default_value_t = 100)]
    partitions: u64,
    /// Strongly consistent reads (GetItem, Query).
    #[arg(long)]
    consistent: bool,
    /// Concurrent connections used to load data.
    #[arg(long, default_value_t = 32)]
    load_connections: usize,
}

impl DataArgs {
    fn opts(&self) -> workload::Opts {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        workload::Opts {
            keys: self.keys,
            partitions: self.partitions,
            consistent: self.consistent,
            load_connections: self.load_connections,
            nonce: format!("{nanos:x}"),
        }
    }
}

#[derive(Args)]
struct RunArgs {
    /// The server, e.g. http://127.0.0.1:8000
    #[arg(long)]
    target: String,
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Run for this many seconds (default 10 unless --requests is given).
    #[arg(long, conflicts_with = "requests")]
    duration: Option<f64>,
    /// Send this many requests in total instead.
    #[arg(long)]
    requests: Option<u64>,
    #[arg(long, value_enum)]
    workload: Workload,
    /// Skip the setup step (the table and data are already there).
    #[arg(long)]
    no_setup: bool,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    creds: Creds,
}

#[derive(Args)]
struct SetupArgs {
    #[arg(long)]
    target: String,
    #[arg(long, value_enum)]
    workload: Workload,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    creds: Creds,
}

#[derive(Args)]
struct CeilingArgs {
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Stop after this many seconds (default: until SIGINT/SIGTERM).
    #[arg(long)]
    duration: Option<f64>,
}

#[derive(Args)]
pub struct SuiteArgs {
    /// Seconds per workload (and as much again for its ceiling slices).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Slices each workload's time is cut into, alternating with as many of the ceiling.
    #[arg(long, default_value_t = 4)]
    rounds: usize,
    /// Workloads to run, comma-separated (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    workloads: Vec<Workload>,
    /// The dynostack binary (default: next to this one, else target/release/dynostack).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Keep the server's temporary data directory.
    #[arg(long)]
    keep_data: bool,
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    creds: Creds,
}

pub fn secs(s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|e| format!("bad duration {s}: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Run(args) => run(args).await,
        Cmd::Setup(args) => setup(args).await,
        Cmd::Ceiling(args) => ceiling_cmd(args).await,
        Cmd::Suite(args) => suite::suite(args).await,
        Cmd::QueryScaling(args) => query_scaling::query_scaling(args).await,
        Cmd::Footprint(args) => footprint::footprint(args).await,
        Cmd::Backup(args) => backup::backup(args).await,
        Cmd::Encryption(args) => encryption::encryption(args).await,
        Cmd::Wrk(args) => wrk::wrk(args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dynostack-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: RunArgs) -> Result<ExitCode, String> {
    let target = Target::parse(&args.target).await?;
    let signer = args.creds.signer();
    let opts = args.data.opts();
    if !args.no_setup {
        args.workload.setup(&target, &signer, &opts).await?;
    }
    let stop = match (args.requests, args.duration) {
        (Some(n), _) => Stop::Requests(n),
        (None, d) => Stop::After(secs(d.unwrap_or(10.0))?),
    };
    let name = args.workload.name();
    eprintln!(
        "running {name} against {} with {} connections ({stop:?})",
        target.addr, args.connections
    );
    let result = engine::run(
        &target,
        &signer,
        args.connections,
        stop,
        args.workload.generator(&opts),
    )
    .await;
    report::print_table(&[(name.to_string(), &result)]);
    let mut json = report::result_json(name, &result);
    if let Some(obj) = json.as_object_mut() {
        obj.insert("target".into(), args.target.clone().into());
        obj.insert("consistent".into(), args.data.consistent.into());
    }
    report::write_json(args.json.as_deref(), &json)?;
    Ok(ExitCode::SUCCESS)
}

async fn setup(args: SetupArgs) -> Result<ExitCode, String> {
    let target = Target::parse(&args.target).await?;
    args.workload
        .setup(&target, &args.creds.signer(), &args.data.opts())
        .await?;
    Ok(ExitCode::SUCCESS)
}

async fn ceiling_cmd(args: CeilingArgs) -> Result<ExitCode, String> {
    let (listener, addr) = ceiling::bind(args.listen).await?;
    println!("listening on http://{addr}");
    let limit = match args.duration {
        Some(d) => Some(secs(d)?),
        None => None,
    };
    ceiling::serve(listener, async move {
        let signal = async {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        match limit {
            Some(d) => {
                tokio::select! {
                    () = signal => {}
                    () = tokio::time::sleep(d) => {}
                }
            }
            None => signal.await,
        }
    })
    .await;
    Ok(ExitCode::SUCCESS)
}
