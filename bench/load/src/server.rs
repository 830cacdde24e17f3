//! Starting `dynostack serve` as a child process, reading its CPU time and memory from /proc,
//! and stopping it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A running `dynostack serve` on an ephemeral loopback port, with its own data directory.
/// Dropping it stops the process (SIGTERM, then SIGKILL) and removes the directory.
pub struct ServerProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub pid: u32,
    data_dir: PathBuf,
    remove_data_dir: bool,
}

/// The server binary: `--server-bin` if given, else `dynostack` next to this executable
/// (both live in target/release), else `target/release/dynostack`.
pub fn default_binary() -> PathBuf {
    if let Ok(me) = std::env::current_exe() {
        if let Some(dir) = me.parent() {
            let sibling = dir.join("dynostack");
            if sibling.is_file() {
                return sibling;
            }
        }
    }
    PathBuf::from("target/release/dynostack")
}

/// A fresh directory under the system temp dir.
pub fn temp_data_dir() -> Result<PathBuf, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("dynostack-bench-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

impl ServerProcess {
    /// Starts `BIN serve --listen 127.0.0.1:0 --data-dir DIR` and waits (at most 30 s) for its
    /// `listening on http://ADDR` line.
    pub fn start(
        binary: &Path,
        data_dir: Option<PathBuf>,
        keep_data: bool,
    ) -> Result<ServerProcess, String> {
        ServerProcess::start_with(binary, data_dir, keep_data, &[])
    }

    /// [`ServerProcess::start`] with more `serve` flags.
    pub fn start_with(
        binary: &Path,
        data_dir: Option<PathBuf>,
        keep_data: bool,
        extra: &[&str],
    ) -> Result<ServerProcess, String> {
        let (mut server, rx) = ServerProcess::spawn(
            binary,
            data_dir,
            keep_data,
            SocketAddr::from(([127, 0, 0, 1], 0)),
            extra,
        )?;
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| "the server printed no `listening on` line within 30 s".to_string())?;
        server.addr = addr
            .parse()
            .map_err(|e| format!("bad server address {addr:?}: {e}"))?;
        eprintln!(
            "started {} (pid {}) on {} with data in {}",
            binary.display(),
            server.pid,
            server.addr,
            server.data_dir.display()
        );
        Ok(server)
    }

    /// Starts `BIN serve --listen LISTEN --data-dir DIR` without waiting for it; the receiver
    /// gets the address from its `listening on` line.
    pub fn spawn(
        binary: &Path,
        data_dir: Option<PathBuf>,
        keep_data: bool,
        listen: SocketAddr,
        extra: &[&str],
    ) -> Result<(ServerProcess, mpsc::Receiver<String>), String> {
        let (data_dir, remove_data_dir) = match data_dir {
            Some(dir) => (dir, false),
            None => (temp_data_dir()?, !keep_data),
        };
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--listen")
            .arg(listen.to_string())
            .arg("--data-dir")
            .arg(&data_dir)
            // The benchmark measures the server, not AWS's per-table quota on on-demand tables
            // (40,000 units/s: 20,000 PutItem/s of 1 KB items).
            .arg("--table-quota-units")
            .arg("1000000000")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let pid = child.id();
        let stdout = child.stdout.take();
        let server = ServerProcess {
            child: Some(child),
            addr: listen,
            pid,
            data_dir,
            remove_data_dir,
        };
        let Some(stdout) = stdout else {
            return Err("no stdout from the server".to_string());
        };
        let (tx, rx) = mpsc::channel();
        // Reads the address, then keeps draining stdout until the process closes it.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.trim().strip_prefix("listening on http://") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(rest.to_string());
                    }
                }
            }
        });
        Ok((server, rx))
    }

    pub fn stats(&self) -> ProcStats {
        ProcStats::read(self.pid)
    }

    /// SIGTERM, wait up to 20 s for a graceful exit, then SIGKILL.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: plain kill(2) on the pid of a child this process spawned and has not
            // yet reaped, so the pid cannot have been reused.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    eprintln!("server (pid {}) exited: {status}", self.pid);
                    break;
                }
                Ok(None) if started.elapsed() < Duration::from_secs(20) => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => {
                    eprintln!(
                        "server (pid {}) did not stop within 20 s; killing it",
                        self.pid
                    );
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        if self.remove_data_dir {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// CPU time and memory of a process, from /proc.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcStats {
    /// User + system CPU seconds so far.
    pub cpu_s: f64,
    /// Peak resident set size (VmHWM), KiB.
    pub peak_rss_kib: u64,
    /// Current resident set size (VmRSS), KiB.
    pub rss_kib: u64,
}

impl ProcStats {
    pub fn read(pid: u32) -> ProcStats {
        let mut stats = ProcStats::default();
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // Fields after the command name (which may hold spaces), from field 3 (state):
            // utime is field 14, stime field 15.
            if let Some((_, rest)) = stat.rsplit_once(')') {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
                if let (Some(u), Some(s)) = (ticks(11), ticks(12)) {
                    // SAFETY: sysconf has no preconditions.
                    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
                    let hz = if hz > 0 { hz as f64 } else { 100.0 };
                    stats.cpu_s = (u + s) as f64 / hz;
                }
            }
        }
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            for line in status.lines() {
                let kib = || {
                    line.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                if line.starts_with("VmHWM:") {
                    stats.peak_rss_kib = kib();
                } else if line.starts_with("VmRSS:") {
                    stats.rss_kib = kib();
                }
            }
        }
        stats
    }
}
