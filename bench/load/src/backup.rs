//! `backup`: what backups cost. With N 1 KB items loaded: how long CreateBackup takes to answer,
//! how long the copy takes to become AVAILABLE, the PutItem throughput while it copies against
//! the throughput just before and just after (same run, same table: the ratio is the cost), and
//! how long RestoreTableFromBackup takes to make an ACTIVE table of the N items. With
//! DYNOSTACK_BACKUP_DIR set, the server keeps the backup there (another disk, or tmpfs to take
//! the backup file's writes out of the measurement).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use crate::client::{Conn, Signer, Target};
use crate::engine::{self, Generator, Stop};
use crate::server::{self, ServerProcess};
use crate::workload::{self, PAYLOAD_1K};

#[derive(clap::Args)]
pub struct Args {
    /// 1 KB items in the table backed up.
    #[arg(long, default_value_t = 1_000_000)]
    items: u64,
    #[arg(long, default_value_t = 32)]
    load_connections: usize,
    /// Connections of the PutItem load whose throughput the copy may cost.
    #[arg(long, default_value_t = 16)]
    write_connections: usize,
    /// Seconds of PutItem before and after the copy (the baselines): about as long as the
    /// copy, so that the table grows about as much in each window as during the copy.
    #[arg(long, default_value_t = 20)]
    baseline_seconds: u64,
    /// The dynostack binary (default: next to this one, else target/release/dynostack).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    creds: crate::Creds,
}

const TABLE: &str = "bench_backup";

/// PutItem of fresh keys (after the loaded ones), one second at a time until `until` is set
/// (or for `seconds` when there is none): items written and the time it took.
async fn writes(
    target: &Target,
    signer: &Signer,
    connections: usize,
    first_key: u64,
    seconds: Option<u64>,
    until: Option<Arc<AtomicBool>>,
) -> (u64, Duration) {
    let mut written = 0u64;
    let mut elapsed = Duration::ZERO;
    let mut round = 0u64;
    loop {
        let base = first_key + round * 10_000_000;
        let gen: Generator = Arc::new(move |ctx| {
            workload::put_body(TABLE, &format!("w{}", base + ctx.seq), None, PAYLOAD_1K)
        });
        let r = engine::run(
            target,
            signer,
            connections,
            Stop::After(Duration::from_secs(1)),
            gen,
        )
        .await;
        written += r.ok;
        elapsed += r.elapsed;
        round += 1;
        match (&until, seconds) {
            (Some(flag), _) if flag.load(Ordering::Acquire) => break,
            (None, Some(s)) if round >= s => break,
            _ => {}
        }
    }
    (written, elapsed)
}

async fn call(
    conn: &mut Conn,
    t: &Target,
    s: &Signer,
    op: &str,
    body: Json,
) -> Result<Json, String> {
    conn.call_json(t, s, op, &body).await
}

pub async fn backup(args: Args) -> Result<ExitCode, String> {
    let binary = args
        .server_bin
        .clone()
        .unwrap_or_else(server::default_binary);
    let signer = args.creds.signer();
    let dir = server::temp_data_dir()?;
    let mut srv = ServerProcess::start(&binary, Some(dir.clone()), false)?;
    let target = Target::from_addr(srv.addr);
    workload::create_table(&target, &signer, TABLE, false).await?;
    let gen: Generator =
        Arc::new(move |ctx| workload::put_body(TABLE, &format!("k{}", ctx.seq), None, PAYLOAD_1K));
    workload::load(
        &target,
        &signer,
        args.load_connections,
        args.items,
        gen,
        TABLE,
    )
    .await?;
    let mut conn = Conn::connect(&target)
        .await
        .map_err(|e| format!("connect: {e}"))?;

    let (before_n, before_t) = writes(
        &target,
        &signer,
        args.write_connections,
        0,
        Some(args.baseline_seconds),
        None,
    )
    .await;
    let before = before_n as f64 / before_t.as_secs_f64();

    // The copy, under the same PutItem load.
    let done = Arc::new(AtomicBool::new(false));
    let load = {
        let (target, signer, done) = (target.clone(), signer.clone(), done.clone());
        let connections = args.write_connections;
        tokio::spawn(async move {
            writes(&target, &signer, connections, 100_000_000, None, Some(done)).await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    let created = call(
        &mut conn,
        &target,
        &signer,
        "CreateBackup",
        json!({"TableName": TABLE, "BackupName": "bench"}),
    )
    .await?;
    let answered = asked.elapsed();
    let arn = created
        .pointer("/BackupDetails/BackupArn")
        .and_then(Json::as_str)
        .ok_or("CreateBackup returned no BackupArn")?
        .to_string();
    loop {
        let d = call(
            &mut conn,
            &target,
            &signer,
            "DescribeBackup",
            json!({"BackupArn": arn}),
        )
        .await?;
        if d.pointer("/BackupDescription/BackupDetails/BackupStatus")
            .and_then(Json::as_str)
            == Some("AVAILABLE")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let copied = asked.elapsed();
    done.store(true, Ordering::Release);
    let (during_n, during_t) = load.await.map_err(|e| e.to_string())?;
    let during = during_n as f64 / during_t.as_secs_f64();

    let (after_n, after_t) = writes(
        &target,
        &signer,
        args.write_connections,
        200_000_000,
        Some(args.baseline_seconds),
        None,
    )
    .await;
    let after = after_n as f64 / after_t.as_secs_f64();
    let baseline = (before + after) / 2.0;

    let restore_started = Instant::now();
    call(
        &mut conn,
        &target,
        &signer,
        "RestoreTableFromBackup",
        json!({"TargetTableName": "bench_restored", "BackupArn": arn}),
    )
    .await?;
    let restored_items;
    loop {
        let d = workload::describe_table(&mut conn, &target, &signer, "bench_restored").await?;
        if d.pointer("/Table/TableStatus").and_then(Json::as_str) == Some("ACTIVE") {
            restored_items = d
                .pointer("/Table/ItemCount")
                .and_then(Json::as_u64)
                .unwrap_or(0);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let restore = restore_started.elapsed();
    // The server inherits DYNOSTACK_BACKUP_DIR from this process, if set.
    let backups =
        std::env::var_os("DYNOSTACK_BACKUP_DIR").map_or_else(|| dir.join("backups"), PathBuf::from);
    let backup_bytes = std::fs::read_dir(&backups)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0);
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "items backed up: {} (1 KB each); backup file {:.1} MiB",
        args.items,
        backup_bytes as f64 / 1048576.0
    );
    println!(
        "CreateBackup answered in {:.1} ms; AVAILABLE after {:.2} s",
        answered.as_secs_f64() * 1e3,
        copied.as_secs_f64()
    );
    println!(
        "PutItem/s: before {before:.0}, during the copy {during:.0}, after {after:.0}: during / baseline = {:.3}",
        during / baseline
    );
    println!(
        "RestoreTableFromBackup of {restored_items} items: ACTIVE after {:.2} s ({:.0} items/s)",
        restore.as_secs_f64(),
        restored_items as f64 / restore.as_secs_f64()
    );
    let report = json!({
        "items": args.items,
        "backup_file_bytes": backup_bytes,
        "create_backup_ms": answered.as_secs_f64() * 1e3,
        "copy_s": copied.as_secs_f64(),
        "puts_per_s": {"before": before, "during": during, "after": after, "ratio": during / baseline},
        "restore_s": restore.as_secs_f64(),
        "restored_items": restored_items,
    });
    crate::report::write_json(args.json.as_deref(), &report)?;
    Ok(ExitCode::SUCCESS)
}
