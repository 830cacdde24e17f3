//! `dynostack doctor`: what a data directory holds and how `serve` would run on it, for a user
//! who wonders where their data is, how big it is, who can read it and which mode they are in.
//! Read-only: it opens the database only to count tables and read the clock, which needs the
//! server stopped (the database is locked while one runs), and says so instead of failing.

use std::path::Path;

use crate::config::{self, DoctorArgs};

pub fn run(args: &DoctorArgs) -> Result<(), String> {
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(config::default_data_dir);
    println!("data directory: {}", dir.display());
    match std::fs::metadata(&dir) {
        Err(_) => println!("  not created yet: `dynostack serve` makes it on first start"),
        Ok(meta) => {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            let private = if mode & 0o077 == 0 {
                "private to its owner"
            } else {
                "readable by others: chmod 700 it"
            };
            println!("  permissions: {mode:04o} ({private})");
            sizes(&dir);
        }
    }
    println!("{}", custody(&dir, args.master_key_file.as_deref()));
    match &args.credentials {
        Some(file) => println!(
            "mode: enforced — signatures verified against the keys of {} (and IAM users', STS sessions')",
            file.display()
        ),
        None => println!(
            "mode: open — any access key is accepted, from loopback hosts only \
             (--credentials FILE enforces signatures and IAM policies)"
        ),
    }
    if !store::custody::is_encrypted(&dir) {
        return Ok(());
    }
    match contents(&dir, args.master_key_file.as_deref()) {
        Ok(lines) => lines.iter().for_each(|l| println!("{l}")),
        Err(e) => println!(
            "database: not opened ({e}); a running server keeps it locked: stop it to see \
             the tables and the clock"
        ),
    }
    Ok(())
}

/// The directory's size, and its parts.
fn sizes(dir: &Path) {
    let file = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len());
    let wal: u64 = store::WAL_FILES.iter().map(|f| file(f)).sum();
    let parts = [
        ("database", file(store::DB_FILE)),
        ("write-ahead log", wal),
        ("disk-full reserve", file(store::RESERVE_FILE)),
        ("backups", tree_size(&dir.join("backups"))),
        ("exports (s3/)", tree_size(&dir.join("s3"))),
    ];
    let listed: Vec<String> = parts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{what} {}", human(*n)))
        .collect();
    println!("  size: {} ({})", human(tree_size(dir)), listed.join(", "));
}

/// Bytes of the files under `dir`, symbolic links not followed.
fn tree_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(entry.path()),
                Ok(m) if m.is_file() => total += m.len(),
                _ => {}
            }
        }
    }
    total
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

/// Where the master key that unlocks the directory is.
fn custody(dir: &Path, file: Option<&Path>) -> String {
    if let Some(f) = file {
        return format!("master key: {} (outside the data directory)", f.display());
    }
    if std::env::var_os("DYNOSTACK_MASTER_KEY").is_some() {
        return "master key: DYNOSTACK_MASTER_KEY (outside the data directory)".into();
    }
    if dir.join(store::custody::MASTER_FILE).exists() {
        return format!(
            "master key: kept in the data directory ({}): the directory alone decrypts its data; \
             --master-key-file keeps it elsewhere",
            store::custody::MASTER_FILE
        );
    }
    "master key: none yet (made on first start)".into()
}

/// What opening the database tells: its format, account, tables and clock.
fn contents(dir: &Path, master_key_file: Option<&Path>) -> Result<Vec<String>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let store = crate::open_offline(dir, master_key_file)?;
        let account_id = crate::installation::account_id(&store)
            .await
            .map_err(|e| format!("cannot read the installation: {e}"))?;
        let offset_s = store.clock().offset_ms() as f64 / 1000.0;
        let dynamodb =
            dynamodb::Dynamo::open(store.clone(), dynamodb::Env { account_id: account_id.clone() })
                .map_err(|e| format!("cannot load the catalog: {e}"))?;
        let tables = dynamodb.catalog().all().len();
        drop(dynamodb);
        store.shutdown();
        let clock = if offset_s > 0.0 {
            format!("clock: {offset_s:.0} s ahead of the system clock (moved with --test-clock; never moves back)")
        } else {
            "clock: the system clock".to_string()
        };
        Ok(vec![
            format!("database: format {} (the one this build reads)", store::FORMAT_VERSION),
            format!("account: {account_id}"),
            format!("DynamoDB tables: {tables}"),
            clock,
        ])
    })
}
