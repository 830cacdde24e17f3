//! `query-scaling`: does Query's cost depend on the table's size, or only on the partition's?
//!
//! One server (durable mode), two tables with the same 10-item partition `hot`: `small` holds
//! only that partition, `big` holds it plus 999,990 other items (1,000 per partition). The
//! partition is queried on each table for the same total time, alternating tables over
//! several rounds so that noise on this shared machine spreads over both; the ratio of the
//! p50s big/small should stay below 2.

use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{json, Value as Json};

use crate::client::{Conn, Signer, Target};
use crate::engine::{self, Generator, RunResult, Stop};
use crate::report::{self, ms};
use crate::server::{self, ProcStats, ServerProcess};
use crate::workload::{self, create_table, put_body, query_body, PAYLOAD_100};
use crate::{secs, Creds};

const HOT: &str = "hot";
const HOT_ITEMS: u64 = 10;

#[derive(clap::Args)]
pub struct Args {
    /// Use this server instead of starting one (no CPU/RSS figures then).
    #[arg(long)]
    target: Option<String>,
    /// Items in `big`, the hot partition's 10 included.
    #[arg(long, default_value_t = 1_000_000)]
    big_items: u64,
    /// Items per partition in `big`'s other partitions.
    #[arg(long, default_value_t = 1_000)]
    per_partition: u64,
    /// Connections used to load `big` (concurrent PutItem).
    #[arg(long, default_value_t = 32)]
    load_connections: usize,
    /// Query seconds per table, split over the rounds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    #[arg(long, default_value_t = 4)]
    rounds: u32,
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Unrecorded warm-up seconds per table before the rounds.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Strongly consistent queries.
    #[arg(long)]
    consistent: bool,
    /// Largest acceptable p50 ratio big/small; above it the exit status is 3.
    #[arg(long, default_value_t = 2.0)]
    max_ratio: f64,
    #[arg(long)]
    server_bin: Option<std::path::PathBuf>,
    #[arg(long)]
    keep_data: bool,
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    #[command(flatten)]
    creds: Creds,
}

fn hot_partition(table: &'static str) -> Generator {
    Arc::new(move |ctx| put_body(table, HOT, Some(ctx.seq), PAYLOAD_100))
}

async fn check_hot(target: &Target, signer: &Signer, table: &str) -> Result<(), String> {
    let mut conn = Conn::connect(target).await.map_err(|e| e.to_string())?;
    let (_, body) = query_body(table, HOT, true);
    let body: Json = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let answer = conn.call_json(target, signer, "Query", &body).await?;
    let count = answer.get("Count").and_then(Json::as_u64);
    if count != Some(HOT_ITEMS) {
        return Err(format!(
            "Query {table}/{HOT}: Count {count:?}, expected {HOT_ITEMS}"
        ));
    }
    Ok(())
}

async fn item_count(target: &Target, signer: &Signer, table: &str) -> Result<Option<u64>, String> {
    let mut conn = Conn::connect(target).await.map_err(|e| e.to_string())?;
    let d = workload::describe_table(&mut conn, target, signer, table).await?;
    Ok(d.pointer("/Table/ItemCount").and_then(Json::as_u64))
}

pub async fn query_scaling(args: Args) -> Result<ExitCode, String> {
    let signer = args.creds.signer();
    let mut srv = match &args.target {
        Some(_) => None,
        None => {
            let binary = args
                .server_bin
                .clone()
                .unwrap_or_else(server::default_binary);
            Some(ServerProcess::start(&binary, None, args.keep_data)?)
        }
    };
    let target = match (&args.target, &srv) {
        (Some(url), _) => Target::parse(url).await?,
        (None, Some(s)) => Target::from_addr(s.addr),
        (None, None) => return Err("no server".to_string()),
    };
    let stats = |srv: &Option<ServerProcess>| srv.as_ref().map(ServerProcess::stats);

    // Setup: both tables, the same hot partition in each, the bulk in `big`.
    create_table(&target, &signer, "small", true).await?;
    create_table(&target, &signer, "big", true).await?;
    workload::load(
        &target,
        &signer,
        1,
        HOT_ITEMS,
        hot_partition("small"),
        "small",
    )
    .await?;
    workload::load(
        &target,
        &signer,
        1,
        HOT_ITEMS,
        hot_partition("big"),
        "big/hot",
    )
    .await?;
    let bulk = args.big_items.saturating_sub(HOT_ITEMS);
    let per = args.per_partition.max(1);
    let before_load = stats(&srv);
    let bulk_gen: Generator = Arc::new(move |ctx| {
        put_body(
            "big",
            &format!("p{:06}", ctx.seq / per),
            Some(ctx.seq % per),
            PAYLOAD_100,
        )
    });
    let loaded = workload::load(
        &target,
        &signer,
        args.load_connections,
        bulk,
        bulk_gen,
        "big",
    )
    .await?;
    let after_load = stats(&srv);
    let load_cpu_s = match (before_load, after_load) {
        (Some(a), Some(b)) => Some(b.cpu_s - a.cpu_s),
        _ => None,
    };
    let small_count = item_count(&target, &signer, "small").await?;
    let big_count = item_count(&target, &signer, "big").await?;
    eprintln!("ItemCount: small {small_count:?}, big {big_count:?}");
    check_hot(&target, &signer, "small").await?;
    check_hot(&target, &signer, "big").await?;

    // Measurement: warm up, then alternate the tables over the rounds.
    let rounds = args.rounds.max(1);
    let slice = secs(args.duration / f64::from(rounds))?;
    let consistent = args.consistent;
    let gen = |table: &'static str| -> Generator {
        Arc::new(move |_ctx| query_body(table, HOT, consistent))
    };
    for table in ["small", "big"] {
        let warm = engine::run(
            &target,
            &signer,
            args.connections,
            Stop::After(secs(args.warmup)?),
            gen(table),
        )
        .await;
        if warm.error_count() > 0 {
            return Err(format!("warm-up on {table}: errors {:?}", warm.errors));
        }
    }
    let mut small = RunResult::empty();
    let mut big = RunResult::empty();
    let cpu_before = stats(&srv);
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            ["small", "big"]
        } else {
            ["big", "small"]
        };
        for table in order {
            let r = engine::run(
                &target,
                &signer,
                args.connections,
                Stop::After(slice),
                gen(table),
            )
            .await;
            eprintln!(
                "round {} {table:<5}: {:>8.0} ops/s p50 {:.3} ms p99 {:.3} ms errors {}",
                round + 1,
                r.ops_per_sec(),
                ms(r.hist.quantile(0.5)),
                ms(r.hist.quantile(0.99)),
                r.error_count()
            );
            if table == "small" {
                small.merge(&r);
            } else {
                big.merge(&r);
            }
        }
    }
    let cpu_after = stats(&srv);
    if let Some(s) = srv.as_mut() {
        s.stop();
    }

    // Report.
    let p = |r: &RunResult, q: f64| ms(r.hist.quantile(q));
    let ratio_p50 = p(&big, 0.5) / p(&small, 0.5);
    let ratio_p99 = p(&big, 0.99) / p(&small, 0.99);
    let ratio_ops = big.ops_per_sec() / small.ops_per_sec();
    let pass = ratio_p50 < args.max_ratio && small.error_count() == 0 && big.error_count() == 0;
    println!();
    println!(
        "load: {} items into big in {:.1} s = {:.0} items/s ({} connections, PutItem, ~100-byte items){}",
        loaded.items,
        loaded.elapsed.as_secs_f64(),
        loaded.rate(),
        args.load_connections,
        load_cpu_s
            .map(|c| format!(", server CPU {c:.1} s"))
            .unwrap_or_default()
    );
    println!(
        "ItemCount: small {}, big {}",
        small_count.map_or("?".into(), |c| c.to_string()),
        big_count.map_or("?".into(), |c| c.to_string())
    );
    println!(
        "query: partition `{HOT}` ({HOT_ITEMS} items), {} connections, {} s per table in {rounds} alternating rounds, {} reads",
        args.connections,
        args.duration,
        if consistent { "strongly consistent" } else { "eventually consistent" }
    );
    println!();
    report::print_table(&[
        ("small (10 items)".to_string(), &small),
        (format!("big ({} items)", args.big_items), &big),
    ]);
    println!();
    println!(
        "big/small: p50 {ratio_p50:.2}x, p99 {ratio_p99:.2}x, ops/s {ratio_ops:.2}x  → {} (p50 ratio must be < {}x)",
        if pass { "PASS" } else { "FAIL" },
        args.max_ratio
    );
    let proc_json =
        |s: Option<ProcStats>| s.map(|s| json!({"cpu_s": s.cpu_s, "peak_rss_kib": s.peak_rss_kib}));
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        println!(
            "server: {:.1} CPU s during the queries ({:.2} cores), peak RSS (VmHWM) {:.1} MiB",
            b.cpu_s - a.cpu_s,
            (b.cpu_s - a.cpu_s) / (small.elapsed + big.elapsed).as_secs_f64(),
            b.peak_rss_kib as f64 / 1024.0
        );
    }
    let out = json!({
        "load": {
            "items": loaded.items,
            "elapsed_s": loaded.elapsed.as_secs_f64(),
            "items_per_s": loaded.rate(),
            "connections": args.load_connections,
            "server_cpu_s": load_cpu_s,
        },
        "item_count": {"small": small_count, "big": big_count},
        "small": report::result_json("small", &small),
        "big": report::result_json("big", &big),
        "ratio_big_small": {"p50": ratio_p50, "p99": ratio_p99, "ops_per_s": ratio_ops},
        "max_ratio": args.max_ratio,
        "pass": pass,
        "server_after": proc_json(cpu_after),
    });
    report::write_json(args.json.as_deref(), &out)?;
    Ok(if pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
