//! Dynostack as a library: the server the binary runs ([`run`]), and an embedded server for
//! Rust programs and tests ([`Server`]) that needs no child process.

pub mod config;
pub mod doctor;
mod dynamodb_metrics;
mod embedded;
mod installation;
mod protection;
mod scaling;

use std::sync::Arc;

use crate::config::{ExportArgs, ImportArgs, RotateArgs, ServeArgs};

pub use embedded::{Builder, Server};

/// What a server says once it listens.
#[derive(Clone, Debug)]
pub struct Listening {
    /// `http://127.0.0.1:PORT` (or `https://…`).
    pub endpoint: String,
    /// What the binary prints: the data directory, the account, the clock, the endpoint.
    pub lines: Vec<String>,
}

/// Refuses open mode on a non-loopback address unless asked for.
pub fn check_open_mode(args: &ServeArgs) -> Result<(), String> {
    let auth = args.auth_mode()?;
    if matches!(auth, auth::Mode::Open)
        && !args.listen.ip().is_loopback()
        && !args.allow_open_remote
    {
        return Err(format!(
            "refusing to listen on {} without credentials: open mode accepts any access key. \
             Give --credentials FILE, or --allow-open-remote if you mean it",
            args.listen
        ));
    }
    Ok(())
}

/// Serves `args` until `shutdown` resolves: opens the store, starts every service and worker,
/// binds the listener and calls `listening` with the endpoint (and the lines the binary prints),
/// then shuts down cleanly.
pub async fn run(
    args: ServeArgs,
    listening: impl FnOnce(Listening),
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let auth = args.auth_mode()?;
    let archive_dir = (!args.in_memory).then(|| args.backup_dir());
    let (store, where_) = if args.in_memory {
        (
            store::Store::in_memory(),
            "in memory (nothing is written to disk)".to_string(),
        )
    } else {
        let dir = args.data_dir();
        (
            store::Store::open_dir_with(&dir, store_options(&args)?),
            dir.display().to_string(),
        )
    };
    let store = store.map_err(|e| format!("cannot open the store: {e}"))?;
    let tls = tls_acceptor(&args)?;
    let account_id = installation::account_id(&store)
        .await
        .map_err(|e| format!("cannot read the installation: {e}"))?;
    let mut dynamodb = dynamodb::Dynamo::open(
        store.clone(),
        dynamodb::Env {
            account_id: account_id.clone(),
        },
    )
    .map_err(|e| format!("cannot load the catalog: {e}"))?;
    if let Some(dir) = archive_dir {
        dynamodb = dynamodb.with_archive_dir(dir);
    }
    if let Some(dir) = args.s3_dir() {
        dynamodb = dynamodb.with_s3_dir(dir);
    }
    dynamodb.options.ttl_allow_quick_changes = args.ttl_allow_quick_changes;
    dynamodb.options.ttl_sweep_poll = config::seconds(args.ttl_sweep_seconds);
    dynamodb.options.background_chunk_items = args.background_chunk_items as usize;
    dynamodb.set_table_quota(args.table_quota_units as f64);
    let stream_config = streams::Config {
        retention: config::seconds(args.stream_retention_seconds),
        shard_rollover: config::seconds(args.stream_shard_seconds),
        iterator_lifetime: config::seconds(args.stream_iterator_seconds),
    };
    let streams = streams::Streams::new(store.clone(), stream_config.clone())
        .with_metrics(dynamodb.metrics.clone());
    // Background work runs on the installation's clock and stops before the store closes.
    let workers = worker::Workers::new(store.clone());
    dynamodb.start_workers(&workers);
    workers.spawn(
        dynamodb_metrics::Publisher::new(
            store.clone(),
            dynamodb.metrics.clone(),
            dynamodb.catalog().clone(),
            args.table_quota_units as f64,
        ),
        worker::Wake::default(),
    );
    streams.start_workers(&workers);
    for spec in &args.triggers {
        let trigger_config = streams::triggers::TriggerConfig {
            batch_size: args.trigger_batch_size as usize,
            timeout: config::seconds(args.trigger_timeout_seconds),
            max_backoff: config::seconds(args.trigger_max_backoff_seconds),
            retention: stream_config.retention,
            ..Default::default()
        };
        let trigger = streams::triggers::Trigger::new(store.clone(), spec.clone(), trigger_config)
            .map_err(|e| format!("cannot start the trigger on {}: {e}", spec.table))?;
        workers.spawn(trigger, worker::Wake::default());
    }
    let kms = kms::Kms::open(store.clone(), account_id.clone())
        .map_err(|e| format!("cannot open KMS: {e}"))?;
    autoscaling::regions::migrate(&store)
        .await
        .map_err(|e| format!("cannot move Application Auto Scaling's records into regions: {e}"))?;
    let autoscaling = autoscaling::AutoScaling::open(store.clone(), account_id.clone())
        .map_err(|e| format!("cannot open Application Auto Scaling: {e}"))?
        .with_catalog(dynamodb.catalog().clone());
    let iam = iam::Iam::open(store.clone(), account_id.clone())
        .map_err(|e| format!("cannot open IAM: {e}"))?;
    let backup = backup::Backup::open(store.clone(), account_id.clone())
        .map_err(|e| format!("cannot open AWS Backup: {e}"))?;
    // DescribeAlarms shows the alarms AWS creates for target-tracking policies.
    let policies = autoscaling::AutoScaling::open(store.clone(), account_id.clone())
        .map_err(|e| format!("cannot open Application Auto Scaling: {e}"))?;
    let cloudwatch = cloudwatch::CloudWatch::open(store.clone(), account_id.clone())
        .map_err(|e| format!("cannot open CloudWatch: {e}"))?
        .with_external_alarms(move || autoscaling_alarms(&policies));
    let state = server::shared(server::State {
        dynamodb,
        streams,
        kms,
        cloudwatch,
        backup,
        sts: sts::Sts::new(account_id.clone(), iam.clone()),
        iam,
        autoscaling,
        auth,
        workers: workers.clone(),
        limits: server::Limits {
            header_timeout: config::seconds(args.header_timeout_seconds),
            body_timeout: config::seconds(args.body_timeout_seconds),
            max_connections: args.max_connections as usize,
        },
        budget: server::budget::MemoryBudget::new(u64::from(args.request_memory_mb) * 1024 * 1024),
        allowed: server::open_mode::Allowed {
            hosts: allowed_hosts(&args),
        },
        test_clock: args.test_clock,
        tls: tls.as_ref().map(|(acceptor, _)| acceptor.clone()),
    });
    // Auto scaling changes capacity through DynamoDB's UpdateTable, and CloudWatch's
    // evaluator runs the policies' alarms and invokes them (weak references: the state
    // owns both ends).
    let weak = Arc::downgrade(&state);
    let setter: autoscaling::CapacitySetter = Arc::new(move |change| {
        let weak = weak.clone();
        Box::pin(async move {
            let state = weak.upgrade().ok_or("the server is stopping")?;
            scaling::set_capacity(&state.dynamodb, change).await
        })
    });
    state.autoscaling.set_capacity_setter(setter.clone());
    // The replica auto scaling operations are made of Application Auto Scaling's own calls.
    let weak = Arc::downgrade(&state);
    state
        .dynamodb
        .set_scaling_call(Arc::new(move |region, op, body| {
            let weak = weak.clone();
            Box::pin(async move {
                let state = weak
                    .upgrade()
                    .ok_or_else(|| ("InternalServerError".to_string(), "stopping".to_string()))?;
                let bytes = serde_json::to_vec(&body)
                    .map_err(|e| ("SerializationException".to_string(), e.to_string()))?;
                state
                    .autoscaling
                    .call(op, &bytes, &region)
                    .await
                    .map_err(|e| (e.aws_code().to_string(), e.message))
            })
        }));
    // Scheduled actions run on their own instance of the service (same store).
    let scheduled = autoscaling::AutoScaling::open(store.clone(), account_id.clone())
        .map_err(|e| format!("cannot open Application Auto Scaling: {e}"))?
        .with_catalog(state.dynamodb.catalog().clone());
    scheduled.set_capacity_setter(setter);
    workers.spawn(
        autoscaling::Scheduler::new(scheduled),
        worker::Wake::default(),
    );
    let weak = Arc::downgrade(&state);
    let policies = autoscaling::AutoScaling::open(store.clone(), account_id.clone())
        .map_err(|e| format!("cannot open Application Auto Scaling: {e}"))?;
    workers.spawn(
        cloudwatch::Evaluator::new(store.clone(), account_id.clone())
            .with_alarm_command(args.alarm_command.clone())
            .with_external_alarms(move || autoscaling_alarms(&policies))
            .with_policy_hook(Arc::new(move |call| {
                let weak = weak.clone();
                Box::pin(async move {
                    let state = weak.upgrade().ok_or("the server is stopping")?;
                    let now = state.dynamodb.clock().now_ms();
                    state
                        .autoscaling
                        .run_policy(&call.action, &call.alarm_name, call.value, now)
                        .await
                })
            })),
        worker::Wake::default(),
    );
    // AWS Backup backs up and restores DynamoDB's tables; its runner fires the plans.
    let tables: backup::ProtectedRef = Arc::new(protection::Tables(Arc::downgrade(&state)));
    state.backup.set_protected(tables.clone());
    workers.spawn(
        backup::Runner::new(store.clone(), account_id.clone(), tables),
        state.backup.runner_wake(),
    );
    let (listener, addr) = server::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let mut lines = vec![format!("data: {where_}"), format!("account: {account_id}")];
    let offset = store.clock().offset_ms();
    if offset != 0 {
        lines.push(format!(
            "clock: {:.3} s ahead of the system clock (moved with --test-clock)",
            offset as f64 / 1000.0
        ));
    }
    let scheme = match &tls {
        Some((_, cert)) => {
            lines.push(format!(
                "tls: certificate {} (AWS_CA_BUNDLE for a self-signed one)",
                cert.display()
            ));
            "https"
        }
        None => "http",
    };
    let endpoint = format!("{scheme}://{addr}");
    lines.push(format!("listening on {endpoint}"));
    listening(Listening { endpoint, lines });
    server::serve(listener, Arc::clone(&state), shutdown).await;
    workers.shutdown().await;
    store.shutdown();
    Ok(())
}

/// How the data directory is encrypted, said once in the log when it is not under a key
/// kept elsewhere.
fn store_options(args: &ServeArgs) -> Result<store::Options, String> {
    let at_rest = if args.unencrypted_at_rest {
        tracing::warn!(
            "encryption at rest is off (--unencrypted-at-rest): data is written in plaintext"
        );
        store::AtRest::Plaintext
    } else {
        let new_directory = !store::custody::is_encrypted(&args.data_dir());
        let master = config::master_key(args.master_key_file.as_deref(), new_directory)?;
        if let store::MasterKey::InDataDir = master {
            tracing::warn!(
                "the master key is kept in the data directory: a copy of the directory alone \
                 decrypts its data (--master-key-file or DYNOSTACK_MASTER_KEY keep it elsewhere)"
            );
        }
        store::AtRest::Encrypted(master)
    };
    Ok(store::Options {
        at_rest,
        disk_reserve: u64::from(args.disk_reserve_mb) * 1024 * 1024,
        ..store::Options::default()
    })
}

/// A stopped server's data directory, opened for a one-off command (a running server holds
/// its lock: the open fails then).
pub(crate) fn open_offline(
    data_dir: &std::path::Path,
    master_key_file: Option<&std::path::Path>,
) -> Result<store::Store, String> {
    if !store::custody::is_encrypted(data_dir) {
        return Err(format!(
            "{} holds no data directory ({} is missing)",
            data_dir.display(),
            store::custody::KEYS_FILE
        ));
    }
    let options = store::Options {
        at_rest: store::AtRest::Encrypted(config::master_key(master_key_file, false)?),
        ..store::Options::default()
    };
    store::Store::open_dir_with(data_dir, options)
        .map_err(|e| format!("cannot open {}: {e}", data_dir.display()))
}

/// DynamoDB over a stopped server's data directory, for `f`, on a runtime of its own.
fn with_dynamodb<T>(
    data_dir: &std::path::Path,
    master_key_file: Option<&std::path::Path>,
    f: impl AsyncFnOnce(&dynamodb::Dynamo) -> Result<T, String>,
) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let store = open_offline(data_dir, master_key_file)?;
        let account_id = installation::account_id(&store)
            .await
            .map_err(|e| format!("cannot read the installation: {e}"))?;
        let dynamodb = dynamodb::Dynamo::open(store.clone(), dynamodb::Env { account_id })
            .map_err(|e| format!("cannot load the catalog: {e}"))?;
        let out = f(&dynamodb).await;
        drop(dynamodb);
        store.shutdown();
        out
    })
}

/// `dynostack export`: prints where the export went and how many items it holds.
pub fn export_command(args: &ExportArgs) -> Result<(), String> {
    let (id, written) =
        with_dynamodb(&args.data_dir, args.master_key_file.as_deref(), async |d| {
            d.export_to_dir(
                (&args.region, &args.table),
                &args.out,
                args.format.aws_name(),
            )
            .await
        })?;
    println!(
        "exported {} items of {} to {}",
        written.items,
        args.table,
        args.out.join("AWSDynamoDB").join(id).display()
    );
    Ok(())
}

/// `NAME:TYPE` as a key attribute.
fn key_attribute(spec: &str) -> Result<(String, String), String> {
    match spec.rsplit_once(':') {
        Some((name, ty)) if !name.is_empty() && matches!(ty, "S" | "N" | "B") => {
            Ok((name.to_string(), ty.to_string()))
        }
        _ => Err(format!("{spec}: a key is NAME:TYPE, TYPE one of S, N, B")),
    }
}

/// `dynostack import`: a new on-demand table with the given keys, filled from the files.
pub fn import_command(args: &ImportArgs) -> Result<(), String> {
    let mut keys = vec![(key_attribute(&args.key)?, "HASH")];
    if let Some(sort) = &args.sort {
        keys.push((key_attribute(sort)?, "RANGE"));
    }
    let create = serde_json::json!({
        "TableName": args.table,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": keys.iter().map(|((n, _), kind)| serde_json::json!({"AttributeName": n, "KeyType": kind})).collect::<Vec<_>>(),
        "AttributeDefinitions": keys.iter().map(|((n, t), _)| serde_json::json!({"AttributeName": n, "AttributeType": t})).collect::<Vec<_>>(),
    });
    let call = dynamodb::CallCtx {
        region: args.region.clone(),
        host: "localhost".into(),
    };
    let counts = with_dynamodb(&args.data_dir, args.master_key_file.as_deref(), async |d| {
        let format = args.format.map(|f| f.aws_name());
        d.import_from_dir(create.to_string().as_bytes(), &args.source, format, &call)
            .await
    })?;
    println!(
        "imported {} items into {} ({} lines were not items of the table)",
        counts.imported, args.table, counts.errors
    );
    if counts.errors > 0 {
        return Err(format!(
            "{} lines were not items of the table",
            counts.errors
        ));
    }
    Ok(())
}

/// `dynostack rotate-master-key`: rewraps the store key; the data is not rewritten.
pub fn rotate_master_key(args: &RotateArgs) -> Result<(), String> {
    // A mistyped path must not become a new, empty store that "rotates" successfully.
    if !store::custody::is_encrypted(&args.data_dir) {
        return Err(format!(
            "{} holds no encrypted data directory ({} is missing)",
            args.data_dir.display(),
            store::custody::KEYS_FILE
        ));
    }
    let old = config::master_key(args.master_key_file.as_deref(), false)?;
    let new = match &args.new_master_key_file {
        Some(path) => store::MasterKey::from_file(path, true).map_err(|e| e.to_string())?,
        None => store::MasterKey::InDataDir,
    };
    // Opening the store proves the old key and refuses a directory a server has open.
    let options = store::Options {
        at_rest: store::AtRest::Encrypted(old.clone()),
        ..store::Options::default()
    };
    let opened = store::Store::open_dir_with(&args.data_dir, options)
        .map_err(|e| format!("cannot open {}: {e}", args.data_dir.display()))?;
    opened.shutdown();
    drop(opened);
    store::custody::rotate(&args.data_dir, &old, &new).map_err(|e| e.to_string())?;
    eprintln!(
        "dynostack: {} now opens with {}",
        args.data_dir.display(),
        match &args.new_master_key_file {
            Some(p) => format!("--master-key-file {}", p.display()),
            None => "the master key kept in it".to_string(),
        }
    );
    Ok(())
}

/// The TLS acceptor `--tls-cert`/`--tls-key` or `--tls-self-signed` asks for, with the
/// certificate's path; `None` for plain HTTP.
fn tls_acceptor(
    args: &ServeArgs,
) -> Result<Option<(server::tls::TlsAcceptor, std::path::PathBuf)>, String> {
    let (cert, key) = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => (cert.clone(), key.clone()),
        _ if args.tls_self_signed => {
            let dir = if args.in_memory {
                std::env::temp_dir().join(format!("dynostack-tls-{}", std::process::id()))
            } else {
                args.data_dir().join("tls")
            };
            server::tls::self_signed(&dir)?
        }
        _ => return Ok(None),
    };
    Ok(Some((server::tls::acceptor(&cert, &key)?, cert)))
}

/// The hosts open mode answers besides loopback: those given, and the address it listens on.
fn allowed_hosts(args: &ServeArgs) -> Vec<String> {
    let mut hosts = args.allow_hosts.clone();
    if !args.listen.ip().is_unspecified() {
        hosts.push(args.listen.ip().to_string());
    }
    hosts
}

/// The target-tracking alarms of every Auto Scaling policy, as CloudWatch lists them.
fn autoscaling_alarms(aas: &autoscaling::AutoScaling) -> Vec<cloudwatch::ExternalAlarm> {
    let policies = aas.scaling_policies().unwrap_or_default();
    policies
        .into_iter()
        .flat_map(|p| {
            let updated_ms = (p.creation_time * 1000.0) as i64;
            p.alarms
                .into_iter()
                .map(move |a| cloudwatch::ExternalAlarm {
                    alarm_name: a.alarm_name,
                    alarm_arn: a.alarm_arn,
                    alarm_description: a.alarm_description,
                    alarm_actions: a.alarm_actions,
                    namespace: a.namespace,
                    metric_name: a.metric_name,
                    dimensions: a
                        .dimensions
                        .into_iter()
                        .map(|d| (d.name, d.value))
                        .collect(),
                    statistic: a.statistic,
                    period: a.period,
                    evaluation_periods: a.evaluation_periods,
                    threshold: a.threshold,
                    comparison_operator: a.comparison_operator,
                    treat_missing_data: a.treat_missing_data,
                    updated_ms,
                })
        })
        .collect()
}
