//! `footprint`: start-up time (process start to the first successful ListTables), idle RSS,
//! RSS and on-disk bytes per item with 100,000 and 1,000,000 1 KB items loaded, and the
//! start-up time of a server reopening the 1,000,000 items.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use crate::client::{Conn, Signer, Target};
use crate::engine::Generator;
use crate::server::{self, ServerProcess};
use crate::workload::{self, PAYLOAD_1K};

#[derive(clap::Args)]
pub struct Args {
    /// Cold starts to time (fresh data directory each).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Item counts to measure at, ascending (1 KB items, loaded with PutItem).
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    items: Vec<u64>,
    #[arg(long, default_value_t = 32)]
    load_connections: usize,
    /// The dynostack binary (default: next to this one, else target/release/dynostack).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    creds: crate::Creds,
}

/// Writes after which the server is left alone before RSS and disk are read: long enough for
/// its idle checkpoint (1 s) to empty the write-ahead log.
const SETTLE: Duration = Duration::from_secs(3);

pub async fn footprint(args: Args) -> Result<ExitCode, String> {
    let binary = args
        .server_bin
        .clone()
        .unwrap_or_else(server::default_binary);
    let signer = args.creds.signer();

    // 1. Cold starts on an empty data directory.
    let mut starts = Vec::new();
    let mut idle_rss = Vec::new();
    for _ in 0..args.runs {
        let (mut srv, took) = start_timed(&binary, None, &signer).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        idle_rss.push(srv.stats().rss_kib);
        srv.stop();
        starts.push(took);
    }
    let start_ms = ms_summary(&starts);
    let idle_kib = median(&mut idle_rss);
    println!(
        "start-up to first ListTables ({} runs, empty data directory): median {:.1} ms, min {:.1}, max {:.1}",
        args.runs, start_ms.0, start_ms.1, start_ms.2
    );
    println!("idle RSS 1 s after start: median {:.1} MiB", mib(idle_kib));

    // 2. Loaded: one server, items added up to each count.
    let dir = server::temp_data_dir()?;
    let mut srv = ServerProcess::start(&binary, Some(dir.clone()), true)?;
    let target = Target::from_addr(srv.addr);
    let table = "bench_footprint";
    workload::create_table(&target, &signer, table, false).await?;
    let mut loaded = 0u64;
    // The items' own size as DynamoDB counts it (attribute names and values).
    let mut data = 0u64;
    let mut at_counts = Vec::new();
    for &count in &args.items {
        if count <= loaded {
            continue;
        }
        let from = loaded;
        let gen: Generator = Arc::new(move |ctx| {
            workload::put_body(table, &format!("k{}", from + ctx.seq), None, PAYLOAD_1K)
        });
        let l = workload::load(
            &target,
            &signer,
            args.load_connections,
            count - from,
            gen,
            table,
        )
        .await?;
        data += item_bytes(from, count);
        loaded = count;
        tokio::time::sleep(SETTLE).await;
        let stats = srv.stats();
        let files = dir_bytes(&dir);
        let disk = files.allocated;
        let per_data_byte = disk as f64 / data as f64;
        println!(
            "{count} items: RSS {:.1} MiB (peak {:.1} MiB), on disk {:.1} MiB allocated = {:.0} bytes/item = {per_data_byte:.2} bytes per byte of item data (files' length {:.1} MiB = {:.2} per byte); loaded at {:.0} items/s",
            mib(stats.rss_kib),
            mib(stats.peak_rss_kib),
            disk as f64 / (1024.0 * 1024.0),
            disk as f64 / count as f64,
            files.length as f64 / (1024.0 * 1024.0),
            files.length as f64 / data as f64,
            l.rate()
        );
        at_counts.push(json!({
            "items": count,
            "rss_kib": stats.rss_kib,
            "peak_rss_kib": stats.peak_rss_kib,
            "disk_bytes": disk,
            "disk_bytes_per_item": disk as f64 / count as f64,
            "item_data_bytes": data,
            "files_length_bytes": files.length,
            "disk_bytes_per_item_byte": per_data_byte,
            "load_items_per_s": l.rate(),
        }));
    }
    srv.stop();

    // 3. Reopening what was loaded.
    let (mut srv, reopen) = start_timed(&binary, Some(dir.clone()), &signer).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let reopened_rss = srv.stats().rss_kib;
    srv.stop();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "start-up with {loaded} items on disk: {:.1} ms; idle RSS {:.1} MiB",
        reopen.as_secs_f64() * 1e3,
        mib(reopened_rss)
    );

    let json = json!({
        "startup_ms": {"median": start_ms.0, "min": start_ms.1, "max": start_ms.2, "runs": args.runs},
        "idle_rss_kib": idle_kib,
        "loaded": at_counts,
        "reopen": {"items": loaded, "startup_ms": reopen.as_secs_f64() * 1e3, "idle_rss_kib": reopened_rss},
    });
    crate::report::write_json(args.json.as_deref(), &json)?;
    Ok(ExitCode::SUCCESS)
}

/// Starts the server on a port chosen here and times process start to the first successful
/// ListTables, polling every 100 µs.
async fn start_timed(
    binary: &Path,
    data_dir: Option<PathBuf>,
    signer: &Signer,
) -> Result<(ServerProcess, Duration), String> {
    let addr = free_port()?;
    let target = Target::from_addr(addr);
    let started = Instant::now();
    let (srv, _lines) = ServerProcess::spawn(binary, data_dir, false, addr, &[])?;
    loop {
        if let Ok(mut conn) = Conn::connect(&target).await {
            let answer: Result<Json, String> = conn
                .call_json(&target, signer, "ListTables", &json!({}))
                .await;
            if answer.is_ok() {
                return Ok((srv, started.elapsed()));
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err("the server did not answer ListTables within 30 s".into());
        }
        tokio::time::sleep(Duration::from_micros(100)).await;
    }
}

/// The DynamoDB size of the items `k{from}` … `k{to - 1}` loaded above: each is `pk` (its key
/// string) and `data` (`PAYLOAD_1K`).
fn item_bytes(from: u64, to: u64) -> u64 {
    (from..to)
        .map(|i| ("pk".len() + format!("k{i}").len() + "data".len() + PAYLOAD_1K.len()) as u64)
        .sum()
}

/// An ephemeral loopback port, free a moment ago.
fn free_port() -> Result<SocketAddr, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map_err(|e| format!("bind: {e}"))
}

/// The server's ballast for a full disk: a fixed size set aside, not data.
const RESERVE_FILE: &str = "dynostack.reserve";

/// Bytes of every file under `dir`, backups (`backups/`) included, the ballast apart: their
/// length, and the blocks the file system allocated to them. redb grows its file a region at a
/// time and writes pages into it as they are used, so the length runs ahead of the blocks.
fn dir_bytes(dir: &Path) -> DiskUse {
    use std::os::unix::fs::MetadataExt;
    let mut total = DiskUse::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return total;
    };
    for e in entries.filter_map(Result::ok) {
        if e.file_name() == RESERVE_FILE {
            continue;
        }
        match e.metadata() {
            Ok(m) if m.is_dir() => {
                let sub = dir_bytes(&e.path());
                total.length += sub.length;
                total.allocated += sub.allocated;
            }
            Ok(m) => {
                total.length += m.len();
                total.allocated += m.blocks() * 512;
            }
            Err(_) => {}
        }
    }
    total
}

/// Files' bytes: their length, and what the file system allocated to them.
#[derive(Default, Clone, Copy)]
struct DiskUse {
    length: u64,
    allocated: u64,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// (median, min, max) in milliseconds.
fn ms_summary(d: &[Duration]) -> (f64, f64, f64) {
    let mut ms: Vec<f64> = d.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |i: usize| ms.get(i).copied().unwrap_or(f64::NAN);
    (at(ms.len() / 2), at(0), at(ms.len().saturating_sub(1)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn item_bytes_count_names_keys_and_payload() {
        let payload = super::PAYLOAD_1K.len() as u64;
        assert_eq!(super::item_bytes(0, 10), 10 * (8 + payload));
        assert_eq!(super::item_bytes(9, 11), (8 + payload) + (9 + payload));
    }
}
