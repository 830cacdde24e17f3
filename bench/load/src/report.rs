//! Turning run results into a table and JSON.

use serde_json::{json, Value as Json};

use crate::engine::RunResult;

pub fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

/// The JSON form of one run (latencies in milliseconds).
pub fn result_json(name: &str, r: &RunResult) -> Json {
    json!({
        "name": name,
        "connections": r.connections,
        "elapsed_s": r.elapsed.as_secs_f64(),
        "ok": r.ok,
        "ops_per_s": r.ops_per_sec(),
        "errors": r.error_count(),
        "errors_by_code": r.errors,
        "latency_ms": {
            "mean": r.hist.mean() / 1e6,
            "p50": ms(r.hist.quantile(0.50)),
            "p90": ms(r.hist.quantile(0.90)),
            "p99": ms(r.hist.quantile(0.99)),
            "p99.9": ms(r.hist.quantile(0.999)),
            "max": ms(r.hist.max()),
        },
    })
}

pub const HEADER: &str =
    "workload          conns      ops/s     p50 ms     p90 ms     p99 ms   p99.9 ms     errors";

pub fn row(name: &str, r: &RunResult) -> String {
    format!(
        "{name:<16} {:>6} {:>10.0} {:>10.3} {:>10.3} {:>10.3} {:>10.3} {:>10}",
        r.connections,
        r.ops_per_sec(),
        ms(r.hist.quantile(0.50)),
        ms(r.hist.quantile(0.90)),
        ms(r.hist.quantile(0.99)),
        ms(r.hist.quantile(0.999)),
        r.error_count(),
    )
}

/// The error breakdown lines of a run, indented, or nothing when there were none.
pub fn error_lines(name: &str, r: &RunResult) -> Vec<String> {
    r.errors
        .iter()
        .map(|(k, v)| format!("  {name}: {v} × {k}"))
        .collect()
}

pub fn print_table(rows: &[(String, &RunResult)]) {
    println!("{HEADER}");
    for (name, r) in rows {
        println!("{}", row(name, r));
    }
    for (name, r) in rows {
        for line in error_lines(name, r) {
            println!("{line}");
        }
    }
}

pub fn write_json(path: Option<&std::path::Path>, value: &Json) -> Result<(), String> {
    let Some(path) = path else {
        return Ok(());
    };
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))
}
