//! `encryption`: what encryption at rest costs. Servers of the same build, with encryption
//! (the default) and with `--unencrypted-at-rest`, take turns (the order alternates by round,
//! so that drift on a shared machine falls on both): each loads N 1 KB items, then serves
//! GetItem of random loaded keys and PutItem of new keys for a few seconds each. The table is
//! larger than redb's page cache, so reads decrypt pages from the file and the fold encrypts
//! what it writes. The table is an SSE table (the AWS managed key) on both: encrypted, its
//! values are sealed under its own data key too. The figure is encrypted ÷ unencrypted
//! throughput, per operation.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::client::Target;
use crate::engine::{self, Generator, Stop};
use crate::server::{self, ServerProcess};
use crate::workload::{self, PAYLOAD_1K};

#[derive(clap::Args)]
pub struct Args {
    /// 1 KB items loaded before measuring (300k: ~330 MB, five times redb's page cache).
    #[arg(long, default_value_t = 300_000)]
    items: u64,
    /// Seconds of each measured operation per server.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Pairs of servers (one encrypted, one not).
    #[arg(long, default_value_t = 2)]
    rounds: u32,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// The dynostack binary (default: next to this one, else target/release/dynostack).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    creds: crate::Creds,
}

const TABLE: &str = "bench_sse";

/// Operations done and the time they took, per operation.
#[derive(Default, Clone, Copy)]
struct Tally {
    gets: (u64, f64),
    puts: (u64, f64),
}

impl Tally {
    fn rate(x: (u64, f64)) -> f64 {
        if x.1 > 0.0 {
            x.0 as f64 / x.1
        } else {
            0.0
        }
    }
}

async fn one_server(args: &Args, encrypted: bool) -> Result<Tally, String> {
    let binary = args
        .server_bin
        .clone()
        .unwrap_or_else(server::default_binary);
    let extra: &[&str] = if encrypted {
        &[]
    } else {
        &["--unencrypted-at-rest"]
    };
    let mut srv = ServerProcess::start_with(&binary, None, false, extra)?;
    let target = Target::from_addr(srv.addr);
    let signer = args.creds.signer();
    workload::create_sse_table(&target, &signer, TABLE).await?;
    let gen: Generator =
        Arc::new(move |ctx| workload::put_body(TABLE, &format!("k{}", ctx.seq), None, PAYLOAD_1K));
    workload::load(&target, &signer, args.connections, args.items, gen, TABLE).await?;
    let keys = args.items;
    let get: Generator = Arc::new(move |ctx| workload::get_body(TABLE, ctx.rng.below(keys), false));
    let seconds = Duration::from_secs(args.seconds);
    let g = engine::run(
        &target,
        &signer,
        args.connections,
        Stop::After(seconds),
        get,
    )
    .await;
    let put: Generator =
        Arc::new(move |ctx| workload::put_body(TABLE, &format!("n{}", ctx.seq), None, PAYLOAD_1K));
    let p = engine::run(
        &target,
        &signer,
        args.connections,
        Stop::After(seconds),
        put,
    )
    .await;
    srv.stop();
    if g.error_count() + p.error_count() > 0 {
        return Err(format!(
            "errors: GetItem {:?}, PutItem {:?}",
            g.errors, p.errors
        ));
    }
    let tally = Tally {
        gets: (g.ok, g.elapsed.as_secs_f64()),
        puts: (p.ok, p.elapsed.as_secs_f64()),
    };
    println!(
        "{}: GetItem {:.0}/s, PutItem {:.0}/s",
        if encrypted {
            "encrypted  "
        } else {
            "unencrypted"
        },
        Tally::rate(tally.gets),
        Tally::rate(tally.puts)
    );
    Ok(tally)
}

fn add(a: &mut Tally, b: Tally) {
    a.gets = (a.gets.0 + b.gets.0, a.gets.1 + b.gets.1);
    a.puts = (a.puts.0 + b.puts.0, a.puts.1 + b.puts.1);
}

pub async fn encryption(args: Args) -> Result<ExitCode, String> {
    let mut on = Tally::default();
    let mut off = Tally::default();
    for round in 0..args.rounds {
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for encrypted in order {
            let t = one_server(&args, encrypted).await?;
            add(if encrypted { &mut on } else { &mut off }, t);
        }
    }
    let get_ratio = Tally::rate(on.gets) / Tally::rate(off.gets);
    let put_ratio = Tally::rate(on.puts) / Tally::rate(off.puts);
    println!(
        "GetItem: encrypted {:.0}/s, unencrypted {:.0}/s: {get_ratio:.3}",
        Tally::rate(on.gets),
        Tally::rate(off.gets)
    );
    println!(
        "PutItem: encrypted {:.0}/s, unencrypted {:.0}/s: {put_ratio:.3}",
        Tally::rate(on.puts),
        Tally::rate(off.puts)
    );
    let report = json!({
        "items": args.items,
        "rounds": args.rounds,
        "get": {"encrypted": Tally::rate(on.gets), "unencrypted": Tally::rate(off.gets), "ratio": get_ratio},
        "put": {"encrypted": Tally::rate(on.puts), "unencrypted": Tally::rate(off.puts), "ratio": put_ratio},
    });
    crate::report::write_json(args.json.as_deref(), &report)?;
    Ok(ExitCode::SUCCESS)
}
