//! Command line and environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "dynostack",
    version,
    about = "A local, durable DynamoDB and the AWS services around it"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start the server.
    Serve(ServeArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(long, env = "DYNOSTACK_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Where the data lives [default: $XDG_DATA_HOME/dynostack or ~/.local/share/dynostack].
    #[arg(long, env = "DYNOSTACK_DATA_DIR", conflicts_with = "in_memory")]
    pub data_dir: Option<PathBuf>,
    /// Keep everything in memory; nothing is written to disk.
    #[arg(long)]
    pub in_memory: bool,
    /// AWS CLI-style credentials file; with it, signatures are verified against these keys.
    #[arg(long, env = "DYNOSTACK_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// Allow open mode (any access key) on a non-loopback address.
    #[arg(long)]
    pub allow_open_remote: bool,
}

impl ServeArgs {
    pub fn data_dir(&self) -> PathBuf {
        if let Some(d) = &self.data_dir {
            return d.clone();
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("dynostack")
    }

    pub fn auth_mode(&self) -> Result<auth::Mode, String> {
        let Some(path) = &self.credentials else {
            return Ok(auth::Mode::Open);
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let creds =
            auth::Credentials::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if creds.is_empty() {
            return Err(format!("{} holds no access keys", path.display()));
        }
        Ok(auth::Mode::Enforced(creds))
    }
}
