//! `suite`: the ceiling and a dynostack server started here, every workload measured against
//! the server, every figure also given as a ratio to the ceiling measured in the same run.

use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;

use crate::client::Target;
use crate::engine::{self, RunResult, Stop};
use crate::report::{self, ms};
use crate::server::{self, ServerProcess};
use crate::workload::{self, Workload};
use crate::{secs, SuiteArgs};

struct Measured {
    name: &'static str,
    result: RunResult,
    /// The ceiling, measured in slices alternating with the workload's.
    ceiling: RunResult,
    /// Server CPU seconds spent during the run.
    cpu_s: f64,
    setup_s: f64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

/// A workload's figures divided by those of its own ceiling slices.
struct Ratios {
    ops: f64,
    p50: f64,
    p99: f64,
}

impl Measured {
    fn ratios(&self) -> Ratios {
        let (r, c) = (&self.result, &self.ceiling);
        let q = |x: &RunResult, p| ms(x.hist.quantile(p));
        Ratios {
            ops: ratio(r.ops_per_sec(), c.ops_per_sec()),
            p50: ratio(q(r, 0.5), q(c, 0.5)),
            p99: ratio(q(r, 0.99), q(c, 0.99)),
        }
    }
}

pub async fn suite(args: SuiteArgs) -> Result<ExitCode, String> {
    let signer = args.creds.signer();
    let opts = args.data.opts();
    let rounds = args.rounds.max(1);
    let slice = secs(args.duration / rounds as f64)?;
    let workloads: Vec<Workload> = if args.workloads.is_empty() {
        workload::ALL.to_vec()
    } else {
        args.workloads.clone()
    };

    // 1. The ceiling, in this process, on an ephemeral loopback port, up for the whole run.
    let (listener, ceiling_addr) = crate::ceiling::bind(([127, 0, 0, 1], 0).into()).await?;
    let (stop_ceiling, stopped) = tokio::sync::oneshot::channel::<()>();
    let ceiling_task = tokio::spawn(crate::ceiling::serve(listener, async move {
        let _ = stopped.await;
    }));
    let ceiling_target = Target::from_addr(ceiling_addr);
    eprintln!(
        "ceiling on {ceiling_addr}; each workload: {rounds} rounds of {:.1} s on the ceiling, then {:.1} s on the server, {} connections",
        slice.as_secs_f64(),
        slice.as_secs_f64(),
        args.connections
    );

    // 2. The server, as a child process with a fresh data directory (durable mode).
    let binary = args
        .server_bin
        .clone()
        .unwrap_or_else(server::default_binary);
    let mut srv = ServerProcess::start(&binary, None, args.keep_data)?;
    let target = Target::from_addr(srv.addr);
    let mut measured = Vec::new();
    let mut ceiling = RunResult::empty();
    let mut failure = None;
    for w in workloads {
        let setup_started = Instant::now();
        if let Err(e) = w.setup(&target, &signer, &opts).await {
            eprintln!("{}: setup failed: {e}", w.name());
            failure = Some(format!("{}: setup failed: {e}", w.name()));
            continue;
        }
        let setup_s = setup_started.elapsed().as_secs_f64();
        eprintln!("{}: {rounds} rounds", w.name());
        // The machine's speed drifts within seconds (it is shared): the ceiling is measured in
        // slices alternating with the workload's, so both see the same conditions.
        let mut own_ceiling = RunResult::empty();
        let mut result = RunResult::empty();
        let mut cpu_s = 0.0;
        for round in 0..rounds {
            // Fresh keys stay fresh across rounds.
            let mut round_opts = opts.clone();
            round_opts.nonce = format!("{}r{round}", opts.nonce);
            // The ceiling gets the workload's own requests: the client's cost of building,
            // signing and sending them is in both figures, and the ratio is the server's.
            let slice_on = |t| {
                engine::run(
                    t,
                    &signer,
                    args.connections,
                    Stop::After(slice),
                    w.generator(&round_opts),
                )
            };
            own_ceiling.merge(&slice_on(&ceiling_target).await);
            let before = srv.stats();
            result.merge(&slice_on(&target).await);
            cpu_s += srv.stats().cpu_s - before.cpu_s;
        }
        ceiling.merge(&own_ceiling);
        measured.push(Measured {
            name: w.name(),
            result,
            ceiling: own_ceiling,
            cpu_s,
            setup_s,
        });
    }
    let end = srv.stats();
    srv.stop();
    let _ = stop_ceiling.send(());
    let _ = ceiling_task.await;

    // 3. The report.
    println!();
    println!(
        "ceiling ({} connections, every slice): {:.0} ops/s, p50 {:.3} ms, p99 {:.3} ms, {} errors",
        args.connections,
        ceiling.ops_per_sec(),
        ms(ceiling.hist.quantile(0.5)),
        ms(ceiling.hist.quantile(0.99)),
        ceiling.error_count()
    );
    println!();
    let mut rows = vec![("ceiling".to_string(), &ceiling)];
    rows.extend(measured.iter().map(|m| (m.name.to_string(), &m.result)));
    report::print_table(&rows);
    println!();
    println!("ratios to the ceiling slices interleaved with each workload's, and server CPU:");
    println!(
        "workload        ceiling ops/s   ops/s ×ceil   p50 ×ceil   p99 ×ceil   server CPU cores   CPU µs/op"
    );
    for m in &measured {
        let r = &m.result;
        let secs = r.elapsed.as_secs_f64();
        let x = m.ratios();
        println!(
            "{:<16} {:>13.0} {:>13.3} {:>11.2} {:>11.2} {:>18.2} {:>11.1}",
            m.name,
            m.ceiling.ops_per_sec(),
            x.ops,
            x.p50,
            x.p99,
            ratio(m.cpu_s, secs),
            ratio(m.cpu_s * 1e6, r.ok as f64),
        );
    }
    println!();
    println!(
        "server: {:.1} CPU s in total, peak RSS (VmHWM) {:.1} MiB",
        end.cpu_s,
        end.peak_rss_kib as f64 / 1024.0
    );

    let json = json!({
        "duration_s": args.duration,
        "connections": args.connections,
        "rounds": rounds,
        "ceiling": report::result_json("ceiling", &ceiling),
        "server": {
            "cpu_s_total": end.cpu_s,
            "peak_rss_kib": end.peak_rss_kib,
        },
        "workloads": measured.iter().map(|m| {
            let x = m.ratios();
            let mut j = report::result_json(m.name, &m.result);
            if let Some(obj) = j.as_object_mut() {
                obj.insert("ceiling".into(), report::result_json("ceiling", &m.ceiling));
                obj.insert("setup_s".into(), m.setup_s.into());
                obj.insert("server_cpu_s".into(), m.cpu_s.into());
                obj.insert("ratio_to_ceiling".into(), json!({
                    "ops_per_s": x.ops,
                    "p50": x.p50,
                    "p99": x.p99,
                }));
            }
            j
        }).collect::<Vec<_>>(),
    });
    report::write_json(args.json.as_deref(), &json)?;
    match failure {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}
