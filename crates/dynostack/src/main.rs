//! `dynostack`: the binary. Reads the configuration, opens the store, starts the services and
//! the HTTP front, and shuts down cleanly on SIGINT/SIGTERM.

use std::process::ExitCode;

use clap::Parser;

use dynostack::config::{Cli, Command, ServeArgs};

/// glibc's malloc serialises threads on its arena locks and frees slowly across threads (the
/// writer thread frees what request threads allocated); mimalloc took a fifth off the server's
/// CPU per PutItem in the benchmark (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Warnings, and what backups, restores and AWS Backup's jobs did: an operator wants to see
/// those without asking.
const DEFAULT_LOG: &str =
    "warn,backup=info,dynamodb::backups=info,dynamodb::restore=info,dynamodb::pitr=info,dynamodb::resealing=info";

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DYNOSTACK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(*args),
        Command::RotateMasterKey(args) => dynostack::rotate_master_key(&args),
        Command::Export(args) => dynostack::export_command(&args),
        Command::Import(args) => dynostack::import_command(&args),
        Command::Doctor(args) => dynostack::doctor::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dynostack: {e}");
            ExitCode::FAILURE
        }
    }
}

/// mimalloc asks for transparent huge pages on its arenas, so each first touch made 2 MiB
/// resident: an idle server held 8 MiB it never used. Pages stay 4 KiB for this process.
fn no_transparent_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments only and changes nothing but
    // this process's huge-page policy; failure (an old kernel) only leaves the default.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// `dynostack serve`: the server on a runtime of its own, until SIGINT or SIGTERM.
fn serve(args: ServeArgs) -> Result<(), String> {
    dynostack::check_open_mode(&args)?;
    // Request handlers recurse as deep as the parsers allow (PartiQL: 200 nested levels); 8 MiB
    // stacks leave a debug build room for that too. Untouched stack pages cost no memory.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let shutdown = shutdown_signal()?;
        let print = |listening: dynostack::Listening| {
            for line in listening.lines {
                println!("{line}");
            }
        };
        dynostack::run(args, print, shutdown).await
    })
}

/// Resolves at SIGTERM or SIGINT. The handlers are installed here, before the server says it
/// is listening: a signal from then on ends it cleanly, never by the default action.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let installed = |kind| signal(kind).map_err(|e| format!("cannot handle signals: {e}"));
    let (mut term, mut int) = (
        installed(SignalKind::terminate())?,
        installed(SignalKind::interrupt())?,
    );
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}
