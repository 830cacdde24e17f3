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

pub async fn suite(args: SuiteArgs) -> Result<ExitCode, String> {
    let signer = args.creds.signer();
    let opts = args.data.opts();
    let duration = secs(args.duration)?;
    let workloads: Vec<Workload> = if args.workloads.is_empty() {
        workload::ALL.to_vec()
    } else {
        args.workloads.clone()
    };

    // 1. The ceiling, in this process, on an ephemeral loopback port.
    let (listener, ceiling_addr) = crate::ceiling::bind(([127, 0, 0, 1], 0).into()).await?;
    let (stop_ceiling, stopped) = tokio::sync::oneshot::channel::<()>();
    let ceiling_task = tokio::spawn(crate::ceiling::serve(listener, async move {
        let _ = stopped.await;
    }));
    eprintln!(
        "ceiling on {ceiling_addr}: {} s, {} connections",
        args.duration, args.connections
    );
    let ceiling = engine::run(
        &Target::from_addr(ceiling_addr),
        &signer,
        args.connections,
        Stop::After(duration),
        Workload::Get.generator(&opts),
    )
    .await;
    let _ = stop_ceiling.send(());
    let _ = ceiling_task.await;

    // 2. The server, as a child process with a fresh data directory (durable mode).
    let binary = args
        .server_bin
        .clone()
        .unwrap_or_else(server::default_binary);
    let mut srv = ServerProcess::start(&binary, None, args.keep_data)?;
    let target = Target::from_addr(srv.addr);
    let mut measured = Vec::new();
    let mut failure = None;
    for w in workloads {
        let setup_started = Instant::now();
        if let Err(e) = w.setup(&target, &signer, &opts).await {
            eprintln!("{}: setup failed: {e}", w.name());
            failure = Some(format!("{}: setup failed: {e}", w.name()));
            continue;
        }
        let setup_s = setup_started.elapsed().as_secs_f64();
        eprintln!(
            "{}: {} s, {} connections",
            w.name(),
            args.duration,
            args.connections
        );
        let before = srv.stats();
        let result = engine::run(
            &target,
            &signer,
            args.connections,
            Stop::After(duration),
            w.generator(&opts),
        )
        .await;
        let after = srv.stats();
        measured.push(Measured {
            name: w.name(),
            result,
            cpu_s: after.cpu_s - before.cpu_s,
            setup_s,
        });
    }
    let end = srv.stats();
    srv.stop();

    // 3. The report.
    let c_ops = ceiling.ops_per_sec();
    let c_p50 = ms(ceiling.hist.quantile(0.5));
    let c_p99 = ms(ceiling.hist.quantile(0.99));
    println!();
    println!("ceiling ({} connections): {c_ops:.0} ops/s, p50 {c_p50:.3} ms, p99 {c_p99:.3} ms, {} errors", ceiling.connections, ceiling.error_count());
    println!();
    let mut rows = vec![("ceiling".to_string(), &ceiling)];
    rows.extend(measured.iter().map(|m| (m.name.to_string(), &m.result)));
    report::print_table(&rows);
    println!();
    println!("ratios to the ceiling (same run) and server CPU:");
    println!(
        "workload          ops/s ×ceil   p50 ×ceil   p99 ×ceil   server CPU cores   CPU µs/op"
    );
    for m in &measured {
        let r = &m.result;
        let secs = r.elapsed.as_secs_f64();
        println!(
            "{:<16} {:>12.3} {:>11.2} {:>11.2} {:>18.2} {:>11.1}",
            m.name,
            ratio(r.ops_per_sec(), c_ops),
            ratio(ms(r.hist.quantile(0.5)), c_p50),
            ratio(ms(r.hist.quantile(0.99)), c_p99),
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
        "ceiling": report::result_json("ceiling", &ceiling),
        "server": {
            "cpu_s_total": end.cpu_s,
            "peak_rss_kib": end.peak_rss_kib,
        },
        "workloads": measured.iter().map(|m| {
            let r = &m.result;
            let mut j = report::result_json(m.name, r);
            if let Some(obj) = j.as_object_mut() {
                obj.insert("setup_s".into(), m.setup_s.into());
                obj.insert("server_cpu_s".into(), m.cpu_s.into());
                obj.insert("ratio_to_ceiling".into(), json!({
                    "ops_per_s": ratio(r.ops_per_sec(), c_ops),
                    "p50": ratio(ms(r.hist.quantile(0.5)), c_p50),
                    "p99": ratio(ms(r.hist.quantile(0.99)), c_p99),
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
