//! The embedded engine adapter: one redb database with a memtable in front of it, a single
//! writer thread that takes concurrent writes together (group commit), snapshots for readers,
//! and the ordered change log every committed write appends to.
//!
//! Architecture invariants:
//! - Every write runs as a [`WriteJob`] on the writer thread, one after another, in the batch
//!   the thread runs into the memtable. A job therefore sees the effect of every job before it
//!   and nothing can interleave with its read-check-write: conditional writes are atomic by
//!   construction, no lock needed.
//! - A job that fails (a refused condition, a validation error) must not have written anything:
//!   jobs check first and write last. The store cannot roll back one job of a batch.
//! - A job's reply is released only after its batch is durable: its mutations appended to the
//!   write-ahead log and fdatasync'd by the sync thread. Readers see a batch only once it is
//!   durable (the view the sync thread publishes). A failure fails every job of the batch and
//!   poisons the store: no further write is taken, since what is on disk is then unknown (the
//!   approach redb and fjall take). See `wal` for recovery. A full disk is not such a failure:
//!   writes are refused until space is freed, and nothing is poisoned (`space`).
//! - The fold thread alone writes redb: a frozen memtable generation in one durable commit,
//!   recording the last log frame it covers. Views see the frozen generation until then, so
//!   no read ever falls between the memtable and the file (`memtable`, `fold`).
//! - Memory a service keeps beside the database (a mirror of some table) follows the same rule:
//!   a job changes the writer's copy and registers the change for readers' copy with
//!   [`WriteCtx::after_durable`], which the sync thread runs once the batch is durable, before
//!   its replies. [`on_writer_thread`] tells which copy a caller should look at.
//! - Every mutation goes through `WriteCtx`, which records it for the log and the memtable.
//! - Change-log records are written by jobs in the same batch as the data they describe.
//! - In redb every table but the change log holds tagged values, long ones apart in one table
//!   of values (`values`); the fold and recovery write them only through `values`, which frees a
//!   value apart in the transaction that overwrites, removes or drops its key.
//! - Values of a table with a data key assigned, and change records that name such a table,
//!   are sealed under that key where they leave memory for the file — the fold and the log's
//!   replay, both through `values` — never in the memtable or the log (`data_keys`).
//! - Only this crate names redb; the services see tables of bytes.

pub mod at_rest;
pub mod custody;
mod data_keys;
mod error;
mod fold;
mod format;
mod memtable;
mod paced;
mod pacing;
mod sealing;
mod space;
mod syncer;
mod tables;
mod txn;
mod values;
mod wal;
mod writer;

pub use at_rest::StoreKey;
pub use custody::MasterKey;
pub use error::StoreError;
pub use format::FORMAT_VERSION;
pub use space::{DISK_FULL_MESSAGE, LOW_WATER, RESERVE_FILE};
pub use txn::{ReadCtx, ScanControl, WriteCtx};
pub use wal::WAL_FILES;
pub use writer::on_writer_thread;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clock::Clock;
use redb::{backends::InMemoryBackend, Database, ReadableDatabase};

use crate::memtable::{Base, View};
use crate::syncer::Published;
use crate::wal::{LogFile, LogPosition};
use crate::writer::Writer;

/// A handle to the database; cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    published: Published,
    writer: Writer,
    clock: Clock,
    key: Option<StoreKey>,
    data_keys: Arc<data_keys::Keyring>,
}

/// How the store runs; `Default` is what the server uses.
#[derive(Clone, Debug)]
pub struct Options {
    /// Checkpoint once writes have paused this long, so that an idle server keeps no
    /// un-checkpointed pages in memory and restarts without replaying the log.
    pub idle_checkpoint: Duration,
    /// Held by the sync thread while it makes batches durable and publishes them: a test that
    /// holds it sees the state between a batch's commit and its durability.
    #[doc(hidden)]
    pub sync_gate: Option<Arc<Mutex<()>>>,
    /// Whether the files are encrypted, and under which master key (see `at_rest`).
    pub at_rest: AtRest,
    /// Bytes of disk kept allocated in the data directory for when the disk fills up
    /// (`space`); 0 keeps none.
    pub disk_reserve: u64,
    /// How long the writer trusts a look at the free space ([`space::LOOK_EVERY`]); a test
    /// lengthens it to make the log meet a full disk.
    #[doc(hidden)]
    pub disk_look_every: Duration,
}

/// Encryption at rest of a data directory.
#[derive(Clone, Debug)]
pub enum AtRest {
    /// Every file encrypted under the store key, wrapped under this master key.
    Encrypted(MasterKey),
    /// Nothing encrypted: only to measure what encryption costs. A directory encrypted once
    /// refuses to open this way.
    Plaintext,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            idle_checkpoint: Duration::from_secs(1),
            sync_gate: None,
            at_rest: AtRest::Encrypted(MasterKey::InDataDir),
            disk_reserve: DISK_RESERVE,
            disk_look_every: space::LOOK_EVERY,
        }
    }
}

/// The disk kept in reserve by default: room for the largest fold (a generation stays within
/// the writer's 32 MiB memtable budget) and a restart's replay of the log.
pub const DISK_RESERVE: u64 = 64 * 1024 * 1024;

/// redb's page cache. Its default (1 GiB) would make the server's memory grow with the data;
/// the data lives on disk and the OS page cache already keeps hot pages close. With the
/// memtable's budget (`writer`) it is most of the server's memory under writes: 32 MiB keeps
/// the whole under 150 MB (docs/performance.md). Values apart keep the key trees, which every
/// lookup descends, small: their branch pages stay in it.
pub const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// The clock's offset's key in [`tables::CLOCK`] (see [`Store::save_clock`]).
const CLOCK_OFFSET: &[u8] = b"offset_ms";

/// Restricts `path` to its owner: the data holds every table and the KMS master key.
fn private(path: &Path, mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| StoreError::io(format!("cannot restrict {}: {e}", path.display())))
}

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "dynostack.redb";

/// Opens the database file of `dir` (encrypted under `key`, if given), checks its format and
/// replays its log.
fn open_files(
    dir: &Path,
    key: Option<&StoreKey>,
) -> Result<(Arc<Database>, (LogPosition, LogFile)), StoreError> {
    let db = Database::builder()
        .set_cache_size(CACHE_BYTES)
        .create_with_backend(paced::PacedFile::open(&dir.join(DB_FILE), key)?)?;
    let db = Arc::new(db);
    format::check_or_initialise(&db)?;
    let wal = wal::open_and_recover(&db, dir, key)?;
    Ok((db, wal))
}

impl Store {
    /// Opens (or creates) the database in `dir`, checking its format version.
    pub fn open_dir(dir: &Path) -> Result<Store, StoreError> {
        Store::open_dir_with(dir, Options::default())
    }

    /// [`Store::open_dir`] with tuning (tests use it to hold the log back).
    pub fn open_dir_with(dir: &Path, options: Options) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::io(format!("cannot create {}: {e}", dir.display())))?;
        let key = match &options.at_rest {
            AtRest::Encrypted(master) => {
                let db_file = dir.join(DB_FILE);
                let written = std::fs::metadata(&db_file).is_ok_and(|m| m.len() > 0);
                if written && !custody::is_encrypted(dir) && !sealing::is_plaintext(&db_file)? {
                    return Err(StoreError::io(format!(
                        "{} is encrypted but {} is missing: the data cannot be read without it",
                        db_file.display(),
                        dir.join(custody::KEYS_FILE).display()
                    )));
                }
                let key = custody::unlock(dir, master)?;
                sealing::encrypt_if_plaintext(dir, &key)?;
                Some(key)
            }
            AtRest::Plaintext if custody::is_encrypted(dir) => {
                return Err(StoreError::io(format!(
                    "{} is encrypted: it cannot be opened without encryption at rest",
                    dir.display()
                )))
            }
            AtRest::Plaintext => None,
        };
        private(dir, 0o700)?;
        // Before the log's replay: on a full disk it releases the ballast the replay needs.
        let log_bytes = WAL_FILES
            .iter()
            .filter_map(|name| std::fs::metadata(dir.join(name)).ok())
            .map(|m| m.len())
            .sum();
        let space = Arc::new(space::Space::open(
            dir,
            options.disk_reserve,
            options.disk_look_every,
            log_bytes,
        ));
        let (db, wal) = open_files(dir, key.as_ref())?;
        space.after_recovery();
        for name in [DB_FILE, RESERVE_FILE]
            .into_iter()
            .chain(WAL_FILES.iter().copied())
        {
            let path = dir.join(name);
            if path.exists() {
                private(&path, 0o600)?;
            }
        }
        Store::start(db, Some(wal), options, key, Some(space))
    }

    /// A database that lives in memory only and is gone when the process ends.
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::in_memory_with(Options::default())
    }

    /// [`Store::in_memory`] with tuning.
    pub fn in_memory_with(options: Options) -> Result<Store, StoreError> {
        let db = Database::builder().create_with_backend(InMemoryBackend::new())?;
        let db = Arc::new(db);
        format::check_or_initialise(&db)?;
        Store::start(db, None, options, None, None)
    }

    fn start(
        db: Arc<Database>,
        wal: Option<(LogPosition, LogFile)>,
        options: Options,
        key: Option<StoreKey>,
        space: Option<Arc<space::Space>>,
    ) -> Result<Store, StoreError> {
        let data_keys = Arc::new(data_keys::Keyring::default());
        let view = View::new(Base::new(db.begin_read()?, data_keys.clone())?);
        let offset = ReadCtx::new(Arc::new(view.clone()))
            .get(tables::CLOCK, CLOCK_OFFSET)?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map_or(0, i64::from_be_bytes);
        let clock = Clock::with_offset_ms(offset);
        let published = Published::new(view.clone());
        let writer = Writer::spawn(
            db,
            view,
            wal,
            &options,
            published.clone(),
            clock.clone(),
            space,
        )?;
        Ok(Store {
            published,
            writer,
            clock,
            key,
            data_keys,
        })
    }

    /// The key this store's files are encrypted under (`None`: in memory, or plaintext), for
    /// the files a service keeps beside the database (backups).
    pub fn key(&self) -> Option<&StoreKey> {
        self.key.as_ref()
    }

    /// Gives the store data key `number` (`data_keys`): values sealed under it open from now
    /// on, and tables it is assigned to are sealed under it at their next fold.
    pub fn add_data_key(&self, number: u64, secret: &[u8; 32]) -> Result<(), StoreError> {
        self.data_keys.add(number, at_rest::Secret(*secret))
    }

    /// Takes data key `number` back: values sealed under it no longer open.
    pub fn forget_data_key(&self, number: u64) {
        self.data_keys.remove(number)
    }

    /// Whether the store holds data key `number`.
    pub fn has_data_key(&self, number: u64) -> bool {
        self.data_keys.get(number).is_some()
    }

    /// The data key of a table encrypted by the installation itself (AWS's owned key), by its
    /// number: derived from the store key, so it needs no custody of its own. `None` for a
    /// store that encrypts nothing.
    pub fn installation_data_key(&self, number: u64) -> Option<[u8; 32]> {
        self.key.as_ref().map(|k| k.installation_data_key(number))
    }

    /// The key a backup file of a table sealed under data key `number` is encrypted with, told
    /// apart by the file's random `salt`. `None` while the key is not in memory.
    pub fn data_key_archive(&self, number: u64, salt: &[u8]) -> Option<at_rest::Sealer> {
        let key = self.data_keys.get(number)?;
        Some(at_rest::StoreKey(key.secret().clone()).archive(salt))
    }

    /// Store tables whose values were written unsealed although a data key is assigned to
    /// them (see `data_keys`): a service re-seals them ([`WriteCtx::reseal`]), then calls
    /// [`WriteCtx::resealed`].
    pub fn unsealed_tables(&self) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        self.read()?.scan(
            data_keys::UNSEALED,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            false,
            |k, _| {
                names.push(String::from_utf8_lossy(k).into_owned());
                ScanControl::Continue
            },
        )?;
        Ok(names)
    }

    /// The installation's clock; its offset was read from the database at open.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Makes the clock's current offset durable, so that a restart never moves time back.
    pub async fn save_clock(&self) -> Result<(), StoreError> {
        self.save_clock_at_least(i64::MIN).await
    }

    /// Saves an offset of at least `offset` (the clock's, if larger): a move's end, made durable
    /// before the move steps anything at a later time.
    pub async fn save_clock_at_least(&self, offset: i64) -> Result<(), StoreError> {
        let clock = self.clock.clone();
        self.write(move |ctx| {
            // Read inside the job: a later save's offset is never overwritten by an older one.
            let stored = ctx
                .get(tables::CLOCK, CLOCK_OFFSET)?
                .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                .map_or(0, i64::from_be_bytes);
            let offset = clock.offset_ms().max(offset).max(stored);
            ctx.insert(tables::CLOCK, CLOCK_OFFSET, &offset.to_be_bytes())?;
            Ok(())
        })
        .await
    }

    /// Runs `job` on the writer thread inside the current batch's transaction and returns its
    /// result once that transaction is durable. See the crate invariants for what a job may do.
    pub async fn write<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        self.writer.submit(job).await
    }

    /// A consistent snapshot for reading: the newest durable state (every acknowledged write,
    /// nothing a crash could take back). Never blocks writers.
    pub fn read(&self) -> Result<ReadCtx, StoreError> {
        Ok(ReadCtx::new(self.published.current()?))
    }

    /// The newest batch readers see: it moves whenever a batch of writes becomes visible, so
    /// an unchanged number means nothing was written meanwhile.
    pub fn version(&self) -> u64 {
        self.published.current().map_or(0, |v| v.version)
    }

    /// Waits for the writer thread to finish what was submitted and stop.
    pub fn shutdown(&self) {
        self.writer.shutdown();
    }
}
