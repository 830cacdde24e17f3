//! The embedded server: a Dynostack inside a Rust program or test, on a runtime and threads of
//! its own, so it serves whatever runtime (or none) the caller has. It stops when dropped.
//!
//! ```no_run
//! # async fn example() -> Result<(), String> {
//! let server = dynostack::Server::builder().in_memory().start().await?;
//! let endpoint = server.endpoint(); // http://127.0.0.1:PORT: give it to any AWS SDK
//! # Ok(()) }
//! ```

use std::path::Path;
use std::thread::JoinHandle;

use clap::Parser;
use tokio::sync::oneshot;

use crate::config::{Cli, Command};

/// How an embedded server is to run: the command line `dynostack serve` takes, built up.
#[derive(Clone, Debug)]
pub struct Builder {
    args: Vec<String>,
}

impl Builder {
    /// Keep everything in memory (nothing on disk): starts in milliseconds.
    pub fn in_memory(self) -> Builder {
        self.arg("--in-memory")
    }

    /// Keep the data in `dir`.
    pub fn data_dir(self, dir: impl AsRef<Path>) -> Builder {
        self.arg("--data-dir")
            .arg(&dir.as_ref().display().to_string())
    }

    /// Enforce SigV4 against the keys of this credentials file (the account's root).
    pub fn credentials(self, file: impl AsRef<Path>) -> Builder {
        self.arg("--credentials")
            .arg(&file.as_ref().display().to_string())
    }

    /// Serve the test clock's endpoints (`/_dynostack/clock`).
    pub fn test_clock(self) -> Builder {
        self.arg("--test-clock")
    }

    /// Any other option of `dynostack serve` (`--ttl-sweep-seconds`, `--trigger`, …).
    pub fn arg(mut self, arg: &str) -> Builder {
        self.args.push(arg.to_string());
        self
    }

    /// Starts the server on a free loopback port and returns once it listens.
    pub async fn start(self) -> Result<Server, String> {
        let mut argv = vec!["dynostack", "serve", "--listen", "127.0.0.1:0"];
        argv.extend(self.args.iter().map(String::as_str));
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        let Command::Serve(args) = cli.command else {
            return Err("not a serve command".into());
        };
        crate::check_open_mode(&args)?;
        let (listening_tx, listening_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("dynostack-embedded".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_stack_size(8 * 1024 * 1024)
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the runtime: {e}"))?;
                let stop = async {
                    let _ = stop_rx.await;
                };
                let said = move |l: crate::Listening| {
                    let _ = listening_tx.send(l.endpoint);
                };
                runtime.block_on(crate::run(*args, said, stop))
            })
            .map_err(|e| format!("cannot start the server's thread: {e}"))?;
        match listening_rx.await {
            Ok(endpoint) => Ok(Server {
                endpoint,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            // It ended before listening: its error says why.
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                Ok(Ok(())) => "the server stopped before listening".into(),
                Err(_) => "the server's thread panicked".into(),
            }),
        }
    }
}

/// A running embedded server; dropping it stops it (and waits for it to finish).
pub struct Server {
    endpoint: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl Server {
    pub fn builder() -> Builder {
        Builder { args: Vec::new() }
    }

    /// `http://127.0.0.1:PORT`: the endpoint URL for an SDK (`AWS_ENDPOINT_URL`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Stops the server and waits until its data is closed.
    pub fn stop(mut self) -> Result<(), String> {
        self.shut()
    }

    fn shut(&mut self) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err("the server's thread panicked".into()),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(e) = self.shut() {
            tracing::warn!(error = %e, "the embedded server stopped with an error");
        }
    }
}
