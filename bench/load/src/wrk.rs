//! `wrk`: the outside benchmark's client. wrk (C, LuaJIT scripts in bench/wrk/) sends PutItem
//! and GetItem of small items (~60 bytes) with one well-formed SigV4 header for every request —
//! an open-mode server checks a signature's form, not its value — so it costs the machine far
//! less per request than this crate's client, which signs every request: the server's own cost
//! decides the ratio. As in `suite`, each workload alternates slices on the ceiling (in this
//! process) and on a durable dynostack server started here, with the same scripts.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Args as ClapArgs;
use serde_json::json;

use crate::client::Target;
use crate::engine::{Generator, RunResult};
use crate::report::{self, ms};
use crate::server::{self, ServerProcess};
use crate::workload;
use crate::Creds;

#[derive(ClapArgs)]
pub struct Args {
    /// Seconds per workload on the server (and as much again on the ceiling).
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// wrk's threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Slices each workload's time is cut into, alternating with as many of the ceiling.
    #[arg(long, default_value_t = 4)]
    rounds: usize,
    /// Items preloaded for GetItem (k0 … kN-1).
    #[arg(long, default_value_t = 100_000)]
    items: u64,
    /// The dynostack binary (default: next to this one, else target/release/dynostack).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    creds: Creds,
}

const SCRIPTS: [(&str, &str); 3] = [
    ("common.lua", include_str!("../../wrk/common.lua")),
    ("put.lua", include_str!("../../wrk/put.lua")),
    ("get.lua", include_str!("../../wrk/get.lua")),
];

const TABLE: &str = "bench";

pub async fn wrk(args: Args) -> Result<ExitCode, String> {
    // Spawning it is the check (`wrk --version` exits 1 after printing its version).
    if Command::new("wrk").arg("--version").output().is_err() {
        return Err("wrk is not installed (apt-get install wrk)".to_string());
    }
    let rounds = args.rounds.max(1);
    let slice = args.duration / rounds as f64;
    let slice_s = (slice.round() as u64).max(1);
    let scripts = server::temp_data_dir()?;
    for (name, text) in SCRIPTS {
        std::fs::write(scripts.join(name), text).map_err(|e| format!("writing {name}: {e}"))?;
    }

    let (listener, ceiling_addr) = crate::ceiling::bind(([127, 0, 0, 1], 0).into()).await?;
    let (stop_ceiling, stopped) = tokio::sync::oneshot::channel::<()>();
    let ceiling_task = tokio::spawn(crate::ceiling::serve(listener, async move {
        let _ = stopped.await;
    }));
    let binary = args
        .server_bin
        .clone()
        .unwrap_or_else(server::default_binary);
    let mut srv = ServerProcess::start(&binary, None, false)?;
    let target = Target::from_addr(srv.addr);
    let signer = args.creds.signer();
    workload::create_table(&target, &signer, TABLE, false).await?;
    let gen: Generator = Arc::new(|ctx| {
        let body = format!(
            r#"{{"TableName":"{TABLE}","Item":{{"pk":{{"S":"k{0}"}},"v":{{"S":"bench-value-0123456789abcdef"}},"n":{{"N":"{0}"}}}}}}"#,
            ctx.seq
        );
        ("PutItem", Bytes::from(body))
    });
    workload::load(&target, &signer, 32, args.items, gen, TABLE).await?;
    eprintln!(
        "ceiling on {ceiling_addr}, server on {}; each workload: {rounds} rounds of {slice_s} s on the ceiling, then on the server; wrk -t{} -c{}",
        srv.addr, args.threads, args.connections
    );

    let run = |addr: std::net::SocketAddr, script: &str, round: usize| WrkRun {
        url: format!("http://{addr}/"),
        dir: scripts.clone(),
        script: script.to_string(),
        seconds: slice_s,
        connections: args.connections,
        threads: args.threads,
        items: args.items,
        nonce: format!("r{round}-"),
    };
    let mut measured = Vec::new();
    for name in ["put", "get"] {
        let script = format!("{name}.lua");
        let (mut ceiling, mut result) = (RunResult::empty(), RunResult::empty());
        let mut cpu_s = 0.0;
        for round in 0..rounds {
            ceiling.merge(&run(ceiling_addr, &script, round).go().await?);
            let before = srv.stats();
            result.merge(&run(srv.addr, &script, round).go().await?);
            cpu_s += srv.stats().cpu_s - before.cpu_s;
        }
        eprintln!(
            "{name}: {:.0} ops/s = {:.3} × ceiling ({:.0})",
            result.ops_per_sec(),
            result.ops_per_sec() / ceiling.ops_per_sec(),
            ceiling.ops_per_sec()
        );
        measured.push((name, result, ceiling, cpu_s));
    }
    let end = srv.stats();
    srv.stop();
    let _ = stop_ceiling.send(());
    let _ = ceiling_task.await;
    let _ = std::fs::remove_dir_all(&scripts);

    println!();
    let mut rows = Vec::new();
    for (name, result, ceiling, _) in &measured {
        rows.push((format!("{name} ceiling"), ceiling));
        rows.push((name.to_string(), result));
    }
    report::print_table(&rows);
    println!();
    println!("workload   ceiling ops/s   ops/s ×ceil   p50 ms   p99 ms   server CPU µs/op");
    for (name, result, ceiling, cpu_s) in &measured {
        println!(
            "{:<10} {:>13.0} {:>13.3} {:>8.3} {:>8.3} {:>18.1}",
            name,
            ceiling.ops_per_sec(),
            result.ops_per_sec() / ceiling.ops_per_sec(),
            ms(result.hist.quantile(0.5)),
            ms(result.hist.quantile(0.99)),
            cpu_s * 1e6 / result.ok.max(1) as f64,
        );
    }
    println!(
        "server peak RSS (VmHWM) {:.1} MiB",
        end.peak_rss_kib as f64 / 1024.0
    );
    let json = json!({
        "client": "wrk",
        "duration_s": args.duration,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "rounds": rounds,
        "items": args.items,
        "server": { "peak_rss_kib": end.peak_rss_kib },
        "workloads": measured.iter().map(|(name, result, ceiling, cpu_s)| {
            let mut j = report::result_json(name, result);
            if let Some(obj) = j.as_object_mut() {
                obj.insert("ceiling".into(), report::result_json("ceiling", ceiling));
                obj.insert("server_cpu_s".into(), (*cpu_s).into());
                obj.insert("ratio_to_ceiling".into(),
                    (result.ops_per_sec() / ceiling.ops_per_sec()).into());
            }
            j
        }).collect::<Vec<_>>(),
    });
    report::write_json(args.json.as_deref(), &json)?;
    Ok(ExitCode::SUCCESS)
}

/// One wrk slice.
struct WrkRun {
    url: String,
    dir: PathBuf,
    script: String,
    seconds: u64,
    connections: usize,
    threads: usize,
    items: u64,
    nonce: String,
}

impl WrkRun {
    async fn go(self) -> Result<RunResult, String> {
        tokio::task::spawn_blocking(move || self.blocking())
            .await
            .map_err(|e| format!("wrk: {e}"))?
    }

    fn blocking(&self) -> Result<RunResult, String> {
        let report = self.dir.join(format!("report-{}", std::process::id()));
        let _ = std::fs::remove_file(&report);
        let out = Command::new("wrk")
            .arg(format!("-t{}", self.threads))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", self.seconds))
            .arg("--timeout")
            .arg("10s")
            .arg("-s")
            .arg(self.dir.join(&self.script))
            .arg(&self.url)
            .env("BENCH_DIR", &self.dir)
            .env("BENCH_TABLE", TABLE)
            .env("BENCH_NKEYS", self.items.max(1).to_string())
            .env("BENCH_NONCE", &self.nonce)
            .env("BENCH_REPORT", &report)
            .output()
            .map_err(|e| format!("running wrk: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "wrk failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let text = std::fs::read_to_string(&report)
            .map_err(|e| format!("reading wrk's report {}: {e}", report.display()))?;
        parse_report(&text, self.connections)
    }
}

/// Reads what common.lua's `done` wrote: counts, then `latency µs count` lines.
fn parse_report(text: &str, connections: usize) -> Result<RunResult, String> {
    let mut result = RunResult::empty();
    let mut requests = 0u64;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(key), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        let value: u64 = value
            .parse()
            .map_err(|_| format!("bad wrk report line {line:?}"))?;
        match key {
            "requests" => requests = value,
            "duration_us" => result.elapsed = Duration::from_micros(value),
            "latency" => {
                let count = words
                    .next()
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| format!("bad wrk report line {line:?}"))?;
                result.hist.record_n(value * 1000, count);
            }
            error if value > 0 => {
                let label = match error {
                    "status" => "non-2xx".to_string(),
                    other => format!("socket {other}"),
                };
                *result.errors.entry(label).or_default() += value;
            }
            _ => {}
        }
    }
    let failed = result.errors.get("non-2xx").copied().unwrap_or(0);
    result.ok = requests.saturating_sub(failed);
    result.connections = connections;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_counts_and_latencies() {
        let r = parse_report(
            "requests 10\nduration_us 2000000\nstatus 2\nconnect 0\nread 1\nwrite 0\ntimeout 0\nlatency 100 6\nlatency 900 4\n",
            32,
        )
        .unwrap();
        assert_eq!(r.ok, 8);
        assert_eq!(r.hist.count(), 10);
        assert_eq!(r.errors.get("non-2xx"), Some(&2));
        assert_eq!(r.errors.get("socket read"), Some(&1));
        assert!((r.ops_per_sec() - 4.0).abs() < 1e-9);
        assert!(r.hist.quantile(0.5) <= 101_000);
    }
}
