//! Running out of disk space: writes stop with a clear error, reads go on, and writes resume by
//! themselves once space is freed; nothing acknowledged is lost, and no restart is needed.
//!
//! redb latches any failed file operation: after one, every access of the database fails until
//! it is reopened. So the database file must never meet a full disk, and it cannot be shielded
//! by preallocating its growth (redb doubles the file's length, sparsely, and writes pages
//! anywhere in it). Instead the store keeps a ballast: a file of allocated space in the data
//! directory (`dynostack.reserve`, [`Options::disk_reserve`](crate::Options)), the approach of
//! CockroachDB's emergency ballast. When free space falls below [`LOW_WATER`], or a log write
//! meets a full disk, writes are refused at the writer thread before they run and the ballast
//! is released: the fold already under way, the batches already taken and a restart's replay of
//! the log then have its space to finish in. Writes resume once the disk has room for the
//! ballast again above the low-water mark and the ballast is made again.
//!
//! The write-ahead log does not latch: a log write that meets a full disk is retried (`syncer`).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The ballast's file name inside the data directory.
pub const RESERVE_FILE: &str = "dynostack.reserve";

/// Free space below which writes are refused: room for the batches already taken and the
/// log's growth while the gate closes.
pub const LOW_WATER: u64 = 16 * 1024 * 1024;

/// How many times a generation's bytes its fold may add to the database file, at most: a
/// 16 MiB generation of random 1 KB items dirties about 60 MiB of pages (`fold`).
const FOLD_GROWTH: u64 = 4;

/// How long the writer trusts its last look at the free space, by default.
pub const LOOK_EVERY: Duration = Duration::from_millis(50);

/// The message every service gives a client whose write met a full disk.
pub const DISK_FULL_MESSAGE: &str = "The disk holding Dynostack's data directory is full: \
     writes are refused until space is freed (reads go on; writes resume by themselves)";

/// Whether an I/O error means the disk (or the user's quota) is full.
pub(crate) fn is_full(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
}

/// The data directory's free space and its ballast, shared by the writer, sync and fold threads.
pub(crate) struct Space {
    dir: PathBuf,
    /// The ballast's size (0: none is kept, and writes stop only at the low-water mark).
    reserve: u64,
    /// Writes are refused: the disk was found full, or below the low-water mark.
    full: AtomicBool,
    /// The sync thread holds batches it could not write to the log (see `syncer`).
    log_stalled: AtomicBool,
    /// When the writer last looked at the free space, and how long it trusts a look.
    looked: Mutex<Instant>,
    look_every: Duration,
    /// Room a postponed fold needs (0: none is waiting): writes resume only once it is there.
    fold_need: AtomicU64,
}

impl Space {
    /// Looks at `dir`'s free space before the log's replay: when the disk lacks room for
    /// folding `log_bytes` of log (see [`Space::room_for_fold`]), the ballast is released
    /// first. The ballast is made only after the replay ([`Space::after_recovery`]).
    pub(crate) fn open(dir: &Path, reserve: u64, look_every: Duration, log_bytes: u64) -> Space {
        let space = Space {
            dir: dir.to_path_buf(),
            reserve,
            full: AtomicBool::new(false),
            log_stalled: AtomicBool::new(false),
            looked: Mutex::new(Instant::now()),
            look_every,
            fold_need: AtomicU64::new(0),
        };
        if space
            .available()
            .is_some_and(|a| a < LOW_WATER + log_bytes.saturating_mul(FOLD_GROWTH))
        {
            space.mark_full("at open, before replaying the log");
        }
        space
    }

    /// After the log's replay: makes the ballast, or refuses writes until it fits.
    pub(crate) fn after_recovery(&self) {
        if !self.has_room() {
            self.mark_full("at open");
        }
    }

    /// Whether a fold of a generation of `bytes` has room on the disk: its commit dirties up to
    /// [`FOLD_GROWTH`] times the generation's bytes (`fold`), and redb fails for good on a
    /// write the disk refuses. When only the ballast's room makes the difference it is
    /// released (writes stop); when not even that does, the fold waits, and so do writes,
    /// until the disk has room for both.
    pub(crate) fn room_for_fold(&self, bytes: u64) -> bool {
        let need = bytes.saturating_mul(FOLD_GROWTH);
        let Some(free) = self.available() else {
            return true;
        };
        if free >= need + LOW_WATER {
            self.fold_need.store(0, Ordering::Release);
            return true;
        }
        self.fold_need.store(need, Ordering::Release);
        self.mark_full("a fold needs more room than the disk has above the low-water mark");
        let room = self.available().is_some_and(|free| free >= need);
        if room {
            self.fold_need.store(0, Ordering::Release);
        }
        room
    }

    /// Whether writes must be refused now. Cheap: it looks at the disk at most every
    /// [`LOOK_EVERY`] (the look interval).
    pub(crate) fn refuses_writes(&self) -> bool {
        if self.log_stalled.load(Ordering::Acquire) {
            return true;
        }
        let due = match self.looked.try_lock() {
            Ok(mut looked) if looked.elapsed() >= self.look_every => {
                *looked = Instant::now();
                true
            }
            _ => false,
        };
        if due {
            if self.full.load(Ordering::Acquire) {
                self.resume_if_room();
            } else if self.available().is_some_and(|a| a < LOW_WATER) {
                self.mark_full("below the low-water mark");
            }
        }
        self.full.load(Ordering::Acquire)
    }

    /// Takes writes again if the disk has room (the ballast made again).
    fn resume_if_room(&self) {
        if self.has_room() && self.full.swap(false, Ordering::AcqRel) {
            tracing::warn!(dir = %self.dir.display(), "disk space is back: writes resume");
        }
    }

    /// The disk is full: writes stop and the ballast is released, for what is under way.
    pub(crate) fn mark_full(&self, why: &str) {
        let released = self.release_ballast();
        if !self.full.swap(true, Ordering::AcqRel) {
            tracing::error!(
                dir = %self.dir.display(),
                free_bytes = self.available().unwrap_or(0),
                released_bytes = released,
                why,
                "the disk is full: writes are refused until space is freed; reads go on"
            );
        }
    }

    /// The sync thread holds batches the log could not take (`stalled`), or no longer does:
    /// then the disk has room again, and writes may resume at once.
    pub(crate) fn set_log_stalled(&self, stalled: bool) {
        if self.log_stalled.swap(stalled, Ordering::AcqRel) && !stalled {
            self.resume_if_room();
        }
    }

    /// Whether the disk has room above the low-water mark (and for a postponed fold) with
    /// the ballast in place, making it if it is missing. A file system that cannot hold a
    /// ballast for another reason than space goes without one.
    fn has_room(&self) -> bool {
        match self.make_ballast() {
            Ok(()) => {}
            Err(e) if is_full(&e) => return false,
            Err(e) => {
                tracing::warn!(error = %e, "cannot keep the disk-space ballast; going without")
            }
        }
        let need = LOW_WATER + self.fold_need.load(Ordering::Acquire);
        self.available().is_none_or(|a| a >= need)
    }

    fn ballast_path(&self) -> PathBuf {
        self.dir.join(RESERVE_FILE)
    }

    fn make_ballast(&self) -> io::Result<()> {
        if self.reserve == 0 {
            return Ok(());
        }
        let path = self.ballast_path();
        if std::fs::metadata(&path).is_ok_and(|m| m.len() >= self.reserve) {
            return Ok(());
        }
        // Only with the low-water mark free beside it: a ballast made into the last bytes of
        // the disk would leave the log nowhere to go.
        if self
            .available()
            .is_some_and(|a| a < self.reserve + LOW_WATER)
        {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        allocate(&file, self.reserve)?;
        file.sync_all()
    }

    /// Gives the ballast's space back to the file system; how many bytes that was.
    fn release_ballast(&self) -> u64 {
        let path = self.ballast_path();
        let Ok(file) = OpenOptions::new().write(true).open(&path) else {
            return 0;
        };
        let had = file.metadata().map_or(0, |m| m.len());
        match file.set_len(0) {
            Ok(()) => had,
            Err(e) => {
                tracing::warn!(error = %e, "cannot release the disk-space ballast");
                0
            }
        }
    }

    /// Bytes free to an unprivileged user on the data directory's file system.
    fn available(&self) -> Option<u64> {
        available(&self.dir)
    }
}

/// Allocates `len` bytes to `file` (a file system that cannot allocate without writing gets
/// zeros written by the C library).
fn allocate(file: &File, len: u64) -> io::Result<()> {
    let len = i64::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
    // SAFETY: a system call on a descriptor `file` owns; no memory is shared.
    match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
        0 => Ok(()),
        errno => Err(io::Error::from_raw_os_error(errno)),
    }
}

fn available(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes only into the struct given; the path is a valid C string.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}
