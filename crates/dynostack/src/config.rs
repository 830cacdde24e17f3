//! Command line and environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Serve(Box<ServeArgs>),
    /// Rewrap a data directory's store key under a new master key (the server must be
    /// stopped). The data itself is not rewritten.
    RotateMasterKey(RotateArgs),
    /// Export a table of a stopped server's data directory in DynamoDB's S3 export layout
    /// (OUT/AWSDynamoDB/ID/: manifests and gzip'd DynamoDB JSON or Amazon Ion), as
    /// ExportTableToPointInTime writes it.
    Export(ExportArgs),
    /// Import the DynamoDB JSON or Amazon Ion data files of a directory (an export's data/,
    /// from AWS or from `dynostack export`) into a new table of a stopped server's data
    /// directory.
    Import(ImportArgs),
    /// Say what a data directory holds and how `serve` would run on it: its format, sizes,
    /// key custody, tables, clock, and open or enforced mode (read-only; the server must be
    /// stopped for the parts that open the database).
    Doctor(DoctorArgs),
}

#[derive(Args)]
pub struct DoctorArgs {
    /// The data directory [default: serve's, $XDG_DATA_HOME/dynostack or
    /// ~/.local/share/dynostack].
    #[arg(long, env = "DYNOSTACK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The master key's file [default: the key kept in the data directory, or
    /// DYNOSTACK_MASTER_KEY].
    #[arg(long, env = "DYNOSTACK_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// The credentials file serve would verify signatures with (enforced mode).
    #[arg(long, env = "DYNOSTACK_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
}

/// The data files' format: ExportFormat / InputFormat.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DataFormat {
    /// DYNAMODB_JSON: one {"Item": …} a line.
    DynamodbJson,
    /// ION: one `$ion_1_0 {Item: …}` a line (Amazon Ion text).
    Ion,
}

impl DataFormat {
    /// AWS's name of the format.
    pub fn aws_name(self) -> &'static str {
        match self {
            DataFormat::DynamodbJson => "DYNAMODB_JSON",
            DataFormat::Ion => "ION",
        }
    }
}

#[derive(Args)]
pub struct ExportArgs {
    /// The data directory (its server stopped).
    #[arg(long, env = "DYNOSTACK_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The master key's file [default: the key kept in the data directory, or
    /// DYNOSTACK_MASTER_KEY].
    #[arg(long, env = "DYNOSTACK_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// The table to export.
    pub table: String,
    /// Where the export goes (as if it were the S3 bucket).
    pub out: PathBuf,
    /// The data files' format.
    #[arg(long, value_enum, default_value = "dynamodb-json")]
    pub format: DataFormat,
    /// The table's region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The data directory (its server stopped).
    #[arg(long, env = "DYNOSTACK_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The master key's file [default: the key kept in the data directory, or
    /// DYNOSTACK_MASTER_KEY].
    #[arg(long, env = "DYNOSTACK_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// The directory of data files (gzip'd when named `*.gz`, else plain).
    pub source: PathBuf,
    /// The data files' format [default: ion when every file is named `*.ion` or `*.ion.gz`,
    /// else dynamodb-json].
    #[arg(long, value_enum)]
    pub format: Option<DataFormat>,
    /// The new table.
    pub table: String,
    /// The partition key, NAME:TYPE (S, N or B).
    #[arg(long)]
    pub key: String,
    /// The sort key, NAME:TYPE.
    #[arg(long)]
    pub sort: Option<String>,
    /// The table's region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
}

#[derive(Args)]
pub struct RotateArgs {
    /// The data directory (its server stopped).
    #[arg(long, env = "DYNOSTACK_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The current master key's file [default: the key kept in the data directory, or
    /// DYNOSTACK_MASTER_KEY].
    #[arg(long, env = "DYNOSTACK_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// The new master key's file (made if missing).
    #[arg(long, required_unless_present = "into_data_dir")]
    pub new_master_key_file: Option<PathBuf>,
    /// Keep the new master key in the data directory instead (the directory alone then
    /// decrypts its data again).
    #[arg(long, conflicts_with = "new_master_key_file")]
    pub into_data_dir: bool,
}

/// The master key: `--master-key-file`, else the secret in `DYNOSTACK_MASTER_KEY` (read from
/// the environment only, never a flag: a flag shows in `ps`), else the data directory's own.
/// A missing key file is made only when `create` (a data directory not yet encrypted): for
/// an existing one, a mistyped path must not become a new key.
pub fn master_key(
    file: Option<&std::path::Path>,
    create: bool,
) -> Result<store::MasterKey, String> {
    if let Some(path) = file {
        return store::MasterKey::from_file(path, create).map_err(|e| e.to_string());
    }
    match std::env::var("DYNOSTACK_MASTER_KEY") {
        Ok(secret) if secret.trim().len() >= 16 => Ok(store::MasterKey::from_secret(
            secret.trim(),
            "DYNOSTACK_MASTER_KEY",
        )),
        Ok(_) => Err(
            "DYNOSTACK_MASTER_KEY is shorter than 16 characters: give a random \
                      secret (`openssl rand -base64 32`)"
                .into(),
        ),
        Err(_) => Ok(store::MasterKey::InDataDir),
    }
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(
        help_heading = "Network",
        long,
        env = "DYNOSTACK_LISTEN",
        default_value = "127.0.0.1:8000"
    )]
    pub listen: SocketAddr,
    /// Where the data lives [default: $XDG_DATA_HOME/dynostack or ~/.local/share/dynostack].
    #[arg(
        help_heading = "Data",
        long,
        env = "DYNOSTACK_DATA_DIR",
        conflicts_with = "in_memory"
    )]
    pub data_dir: Option<PathBuf>,
    /// Keep everything in memory; nothing is written to disk.
    #[arg(help_heading = "Data", long)]
    pub in_memory: bool,
    /// File holding the master key that wraps this data directory's store key (32 bytes in
    /// base64; made if missing when the data directory is new). Keep it off the data
    /// directory's disk: without it, a copy of the data directory cannot be read.
    /// DYNOSTACK_MASTER_KEY (a random secret, from the environment) is the other way.
    /// [default: a key kept in the data directory]
    #[arg(
        help_heading = "Data",
        long,
        env = "DYNOSTACK_MASTER_KEY_FILE",
        conflicts_with = "in_memory"
    )]
    pub master_key_file: Option<PathBuf>,
    /// Encrypt nothing at rest. Only to measure what encryption costs: a data directory
    /// encrypted once refuses to open this way.
    #[arg(help_heading = "Data", long, hide = true, conflicts_with_all = ["master_key_file", "in_memory"])]
    pub unencrypted_at_rest: bool,
    /// Where backups and point-in-time-recovery snapshots are kept [default: DATA_DIR/backups].
    /// Another disk keeps their copies off the disk the writes go to, as AWS keeps backups
    /// apart from tables.
    #[arg(
        help_heading = "Data",
        long,
        env = "DYNOSTACK_BACKUP_DIR",
        conflicts_with = "in_memory"
    )]
    pub backup_dir: Option<PathBuf>,
    /// The directory exports write to and imports read from, in place of S3:
    /// s3://BUCKET/KEY is DIR/BUCKET/KEY (a bucket is a subdirectory, made beforehand)
    /// [default: DATA_DIR/s3; none in memory].
    #[arg(long, env = "DYNOSTACK_S3_DIR", help_heading = "Data")]
    pub s3_dir: Option<PathBuf>,
    /// AWS CLI-style credentials file; with it, signatures are verified against these keys.
    #[arg(help_heading = "Access", long, env = "DYNOSTACK_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (and --tls-key).
    #[arg(
        help_heading = "Network",
        long,
        env = "DYNOSTACK_TLS_CERT",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(
        help_heading = "Network",
        long,
        env = "DYNOSTACK_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate for localhost, made once and kept in DATA_DIR/tls
    /// (cert.pem: point AWS_CA_BUNDLE at it).
    #[arg(help_heading = "Network", long)]
    pub tls_self_signed: bool,
    /// Allow open mode (any access key) on a non-loopback address.
    #[arg(help_heading = "Network", long)]
    pub allow_open_remote: bool,
    /// A host name (the Host header, without port) open mode answers besides loopback ones.
    /// Repeatable. Open mode refuses other hosts: a web page could reach it by DNS rebinding.
    #[arg(
        help_heading = "Network",
        long = "allow-host",
        value_name = "NAME",
        env = "DYNOSTACK_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    pub allow_hosts: Vec<String>,
    /// Seconds between two TTL sweeps (each deletes every item expired by then).
    #[arg(help_heading = "Background work", long, env = "DYNOSTACK_TTL_SWEEP_SECONDS", default_value_t = 5.0, value_parser = positive_seconds)]
    pub ttl_sweep_seconds: f64,
    /// Seconds a request's headers may take to arrive; an idle keep-alive connection is closed
    /// after as long.
    #[arg(help_heading = "Limits", long, env = "DYNOSTACK_HEADER_TIMEOUT_SECONDS", default_value_t = 60.0, value_parser = positive_seconds)]
    pub header_timeout_seconds: f64,
    /// Seconds a request's body may take to arrive (then 408 RequestTimeoutException).
    #[arg(help_heading = "Limits", long, env = "DYNOSTACK_BODY_TIMEOUT_SECONDS", default_value_t = 60.0, value_parser = positive_seconds)]
    pub body_timeout_seconds: f64,
    /// Connections served at once; more wait in the listen backlog.
    #[arg(help_heading = "Limits", long, env = "DYNOSTACK_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Memory requests may take at once while read and decoded, in MiB: a request waits for
    /// others to give theirs back, and one that would take more than all of it is refused (413)
    /// before it is decoded.
    #[arg(help_heading = "Limits", long, env = "DYNOSTACK_REQUEST_MEMORY_MB", default_value_t = 512, value_parser = clap::value_parser!(u32).range(32..=1_048_576))]
    pub request_memory_mb: u32,
    /// Disk space kept allocated in the data directory (`dynostack.reserve`) for when the disk
    /// fills up: released then, so that work under way and a restart can finish; writes resume
    /// once the disk has room for it again. 0 keeps none.
    #[arg(help_heading = "Data", long, env = "DYNOSTACK_DISK_RESERVE_MB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=1_048_576))]
    pub disk_reserve_mb: u32,
    /// Serve the test clock on the same port: `GET /_dynostack/clock` reads it, `POST
    /// /_dynostack/clock/advance` with `{"seconds": N}` moves it forward and runs the background
    /// work due meanwhile (TTL, stream retention, KMS key deletion, ...). For tests only.
    #[arg(help_heading = "Testing", long, env = "DYNOSTACK_TEST_CLOCK")]
    pub test_clock: bool,
    /// Items per write job of the GSI backfill, the TTL index build and resealing.
    #[arg(help_heading = "Background work", long, env = "DYNOSTACK_BACKGROUND_CHUNK_ITEMS", default_value_t = 256, hide = true, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub background_chunk_items: u32,
    /// Per-table throughput quota of on-demand tables, in read (and write) request units per
    /// second, above which requests are throttled (AWS's default quota: 40,000).
    #[arg(help_heading = "Limits", long, env = "DYNOSTACK_TABLE_QUOTA_UNITS", default_value_t = 40_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub table_quota_units: u64,
    /// Allow more than one UpdateTimeToLive per table per hour (AWS refuses the second).
    #[arg(
        help_heading = "Testing",
        long,
        env = "DYNOSTACK_TTL_ALLOW_QUICK_CHANGES"
    )]
    pub ttl_allow_quick_changes: bool,
    /// Seconds a stream shard stays open before a new one (its child) takes over.
    #[arg(help_heading = "Background work", long, env = "DYNOSTACK_STREAM_SHARD_SECONDS", default_value_t = 4.0 * 3600.0, value_parser = positive_seconds)]
    pub stream_shard_seconds: f64,
    /// Seconds stream records stay readable.
    #[arg(help_heading = "Background work", long, env = "DYNOSTACK_STREAM_RETENTION_SECONDS", default_value_t = 24.0 * 3600.0, value_parser = positive_seconds)]
    pub stream_retention_seconds: f64,
    /// Seconds a shard iterator stays valid.
    #[arg(help_heading = "Background work", long, env = "DYNOSTACK_STREAM_ITERATOR_SECONDS", default_value_t = 15.0 * 60.0, value_parser = positive_seconds)]
    pub stream_iterator_seconds: f64,
    /// Run COMMAND (with `sh -c`) for every batch of TABLE's stream records, the batch as
    /// JSON on its standard input (`{"Records": [...]}`, Lambda's event). Repeatable.
    #[arg(help_heading = "Triggers and alarms", long = "trigger", value_name = "TABLE=COMMAND", value_parser = streams::triggers::TriggerSpec::parse)]
    pub triggers: Vec<streams::triggers::TriggerSpec>,
    /// Run COMMAND (with `sh -c`) on every CloudWatch alarm state change, the SNS-style
    /// notification JSON on its standard input (this server does not serve SNS).
    #[arg(
        help_heading = "Triggers and alarms",
        long,
        value_name = "COMMAND",
        env = "DYNOSTACK_ALARM_COMMAND"
    )]
    pub alarm_command: Option<String>,
    /// Most records in one trigger batch.
    #[arg(help_heading = "Triggers and alarms", long, env = "DYNOSTACK_TRIGGER_BATCH_SIZE", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub trigger_batch_size: u32,
    /// Seconds a trigger command may run before it is killed (and the batch retried).
    #[arg(help_heading = "Triggers and alarms", long, env = "DYNOSTACK_TRIGGER_TIMEOUT_SECONDS", default_value_t = 60.0, value_parser = positive_seconds)]
    pub trigger_timeout_seconds: f64,
    /// Longest wait between two attempts of a failing batch (the first waits 0.5 s, then doubles).
    #[arg(help_heading = "Triggers and alarms", long, env = "DYNOSTACK_TRIGGER_MAX_BACKOFF_SECONDS", default_value_t = 30.0, value_parser = positive_seconds)]
    pub trigger_max_backoff_seconds: f64,
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!("expected a positive number of seconds, got {s:?}")),
    }
}

/// Seconds as a Duration (validated positive and finite by `positive_seconds`).
pub fn seconds(v: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(v)
}

impl ServeArgs {
    /// Where exports and imports find S3's buckets; none for an in-memory server not given one.
    pub fn s3_dir(&self) -> Option<PathBuf> {
        match (&self.s3_dir, self.in_memory) {
            (Some(dir), _) => Some(dir.clone()),
            (None, true) => None,
            (None, false) => Some(self.data_dir().join("s3")),
        }
    }

    pub fn backup_dir(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir().join("backups"))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(default_data_dir)
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

/// `$XDG_DATA_HOME/dynostack`, else `~/.local/share/dynostack`.
pub fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("dynostack")
}
