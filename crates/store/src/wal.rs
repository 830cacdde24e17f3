//! The write-ahead log: what makes a batch durable until the fold writes it to the database.
//!
//! Batches do not write redb: their mutations go to the memtable (see `memtable`) and — the
//! table inserts, removals, drops and change-log records its jobs made, in order — to this log
//! as one frame, fdatasync'd (one sequential write for every batch that queued up meanwhile).
//! Every [`CHECKPOINT_BYTES`] of log, [`CHECKPOINT_INTERVAL`], or after a pause in writes, the
//! writer freezes the memtable's generation and the fold thread commits it to redb durably,
//! together with the id of the last frame it covers (`wal.checkpoint` in `store.meta`).
//!
//! The log is two files, one per generation: at a freeze the sync thread goes over to the other
//! file and writes it again from offset 0, while the frozen generation's frames stay in the
//! first until its fold is durable. The writer freezes a generation only once the one before is
//! folded, so the file being overwritten holds nothing the database lacks.
//!
//! Recovery (at open): redb comes back at its last durable commit; the frames of both files
//! after the recorded checkpoint are replayed in id order in one durable commit, and the log is
//! emptied.
//!
//! Frame: `len u32 | crc32 u32 | id u64 | ops…`, integers little-endian, `len` = bytes after the
//! crc, crc over those bytes. Frame ids increase by one across both files. Reading a file stops
//! at the first frame that is short, fails its crc or does not follow its predecessor's id: a
//! torn tail (the batch was never acknowledged) or frames of an earlier generation left beyond
//! a shorter new one.
//!
//! In an encrypted store (`at_rest`) the ops are sealed: `salt [16] | AES-256-GCM(ops)`, under
//! a key derived from the log's key and the salt, with the frame id as nonce and associated
//! data. The salt is drawn at every open: ids go on from the last replayed frame, so a torn
//! frame's id is given again after a crash, and copies of a data directory start from the
//! same ids; a key of their own per open keeps any (key, nonce) pair from being used twice. A
//! frame that passes its crc but does not open is not a torn write but damage or tampering:
//! the open fails, and the log is left as it is for inspection.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

use redb::{Database, ReadableTable, WriteTransaction};

use crate::at_rest::{Sealer, StoreKey};
use crate::data_keys::Keyring;
use crate::tables::{decode_u64, CHANGELOG, META};
use crate::values::{self, TableWriter};
use crate::StoreError;

/// The log's two file names inside the data directory.
pub const WAL_FILES: [&str; 2] = ["dynostack.wal", "dynostack.wal.1"];

/// Generation size (memtable bytes: keys, values and a per-entry overhead, about the log's
/// size too) that triggers a freeze and a fold; bounds the memtable's memory and the replay
/// time after a crash.
pub(crate) const CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;

/// How much of a log file a freeze keeps, for the next frames to overwrite: an fdatasync of
/// blocks the file already has persists no size or allocation (measured here, a third of its
/// time). A clean stop keeps nothing, so the next start reads no log.
pub(crate) const KEEP_BYTES: u64 = 16 * 1024 * 1024;

/// Longest time a generation stays unfolded while writes arrive.
pub(crate) const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(30);

const CHECKPOINT_KEY: &str = "wal.checkpoint";
const HEADER: usize = 16;
/// Bytes of a sealed frame's salt.
const SALT: usize = 16;

const OP_INSERT: u8 = 1;
const OP_REMOVE: u8 = 2;
const OP_DROP: u8 = 3;
const OP_CHANGE: u8 = 4;
const OP_UNCHANGE: u8 = 5;

/// A batch's mutations, encoded as they are made.
#[derive(Default)]
pub(crate) struct OpLog {
    bytes: Vec<u8>,
}

impl OpLog {
    fn bytes_field(&mut self, b: &[u8]) {
        // Names, keys and values are far below 4 GiB (an item is at most 400 KB).
        self.bytes
            .extend_from_slice(&(b.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(b);
    }

    pub(crate) fn insert(&mut self, name: &str, key: &[u8], value: &[u8]) {
        self.bytes.push(OP_INSERT);
        self.bytes_field(name.as_bytes());
        self.bytes_field(key);
        self.bytes_field(value);
    }

    pub(crate) fn remove(&mut self, name: &str, key: &[u8]) {
        self.bytes.push(OP_REMOVE);
        self.bytes_field(name.as_bytes());
        self.bytes_field(key);
    }

    pub(crate) fn drop_table(&mut self, name: &str) {
        self.bytes.push(OP_DROP);
        self.bytes_field(name.as_bytes());
    }

    pub(crate) fn unchange(&mut self, seq: u64) {
        self.bytes.push(OP_UNCHANGE);
        self.bytes.extend_from_slice(&seq.to_le_bytes());
    }

    pub(crate) fn change(&mut self, seq: u64, record: &[u8]) {
        self.bytes.push(OP_CHANGE);
        self.bytes.extend_from_slice(&seq.to_le_bytes());
        self.bytes_field(record);
    }
}

/// Where the writer thread stands in the log: which id the next frame gets. The files
/// themselves belong to the sync thread ([`LogFile`]).
pub(crate) struct LogPosition {
    next_id: u64,
}

impl LogPosition {
    /// Takes the id of a batch's frame.
    pub(crate) fn take_frame_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The id of the last frame taken: a fold of everything written so far covers it.
    pub(crate) fn last_id(&self) -> u64 {
        self.next_id - 1
    }
}

/// The open log files, owned by the sync thread.
pub(crate) struct LogFile {
    files: [File; 2],
    /// The file frames go to.
    current: usize,
    /// Where the next frame goes.
    end: u64,
    /// The files' lengths.
    lens: [u64; 2],
    /// The frames being written, kept to reuse the allocation.
    buffer: Vec<u8>,
    /// This opening's salt and the key derived from it, in an encrypted store.
    seal: Option<(Sealer, [u8; SALT])>,
}

impl LogFile {
    /// Appends `frames` (id and ops of consecutive batches) in one write and waits for them to
    /// be on disk: one fdatasync for however many batches queued up meanwhile.
    pub(crate) fn append(&mut self, frames: &[(u64, &OpLog)]) -> Result<(), StoreError> {
        let io = |e: std::io::Error| {
            if crate::space::is_full(&e) {
                StoreError::DiskFull
            } else {
                StoreError::io(format!("write-ahead log: {e}"))
            }
        };
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        for (id, ops) in frames {
            encode_frame(&mut buffer, *id, &ops.bytes, self.seal.as_ref())?;
        }
        let file = &self.files[self.current];
        let written = file
            .write_all_at(&buffer, self.end)
            .and_then(|()| file.sync_data());
        let len = buffer.len() as u64;
        self.buffer = buffer;
        written.map_err(io)?;
        self.end += len;
        self.lens[self.current] = self.lens[self.current].max(self.end);
        Ok(())
    }

    /// Goes over to the other file at a freeze and writes it again from offset 0, keeping at
    /// most `keep` bytes of it. Its old frames carry ids the database already holds (the
    /// writer freezes only once the generation before is folded) and are never replayed.
    pub(crate) fn rotate(&mut self, keep: u64) -> Result<(), StoreError> {
        self.current = 1 - self.current;
        self.end = 0;
        if self.lens[self.current] > keep {
            self.files[self.current]
                .set_len(keep)
                .map_err(|e| StoreError::io(format!("write-ahead log: {e}")))?;
            self.lens[self.current] = keep;
        }
        Ok(())
    }

    /// Empties both files once the database holds every frame (a clean stop).
    pub(crate) fn clear(&mut self) -> Result<(), StoreError> {
        for (file, len) in self.files.iter().zip(self.lens.iter_mut()) {
            file.set_len(0)
                .map_err(|e| StoreError::io(format!("write-ahead log: {e}")))?;
            *len = 0;
        }
        self.end = 0;
        Ok(())
    }
}

/// Opens the log in `dir`, replays what the database lacks, checkpoints, and empties it.
pub(crate) fn open_and_recover(
    db: &Database,
    dir: &Path,
    key: Option<&StoreKey>,
) -> Result<(LogPosition, LogFile), StoreError> {
    let mut files = Vec::with_capacity(2);
    let mut contents = Vec::with_capacity(2);
    for name in WAL_FILES {
        let path = dir.join(name);
        let io = |e: std::io::Error| StoreError::io(format!("{}: {e}", path.display()));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        files.push(file);
        contents.push(bytes);
    }

    let tx = db.begin_write()?;
    let checkpoint = read_checkpoint(&tx)?;
    let mut by_id: std::collections::BTreeMap<u64, Cow<'_, [u8]>> = Default::default();
    for c in &contents {
        by_id.extend(frames(c, key)?);
    }
    let mut last = checkpoint;
    let mut replayed = 0usize;
    // Only the frames that follow the checkpoint in an unbroken chain count.
    for (id, ops) in by_id.range(checkpoint + 1..) {
        if *id != last + 1 {
            break;
        }
        replay(&tx, ops)?;
        last = *id;
        replayed += 1;
    }
    if let Some((after_gap, _)) = by_id.range(last + 1..).next() {
        // A frame missing from the chain (a damaged log): what follows it cannot be replayed
        // in order, and is lost.
        tracing::error!(
            replayed_through = last,
            next_found = after_gap,
            "the write-ahead log has a gap; the frames after it are not replayed"
        );
    }
    // After a clean stop there is nothing to replay: no commit, no fsync (start-up time).
    if replayed > 0 {
        write_checkpoint(&tx, last)?;
        tx.commit()?;
        tracing::info!(frames = replayed, last, "replayed the write-ahead log");
    } else {
        tx.abort()?;
    }
    for ((file, bytes), name) in files.iter().zip(&contents).zip(WAL_FILES) {
        if !bytes.is_empty() {
            let io = |e: std::io::Error| StoreError::io(format!("{name}: {e}"));
            file.set_len(0).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
    }
    let [a, b]: [File; 2] = files
        .try_into()
        .map_err(|_| StoreError::io("the write-ahead log needs two files"))?;
    let seal = match key {
        Some(key) => {
            let mut salt = [0u8; SALT];
            getrandom::getrandom(&mut salt)
                .map_err(|e| StoreError::io(format!("no randomness for the log: {e}")))?;
            Some((key.log(&salt), salt))
        }
        None => None,
    };
    let log = LogFile {
        files: [a, b],
        current: 0,
        end: 0,
        lens: [0, 0],
        buffer: Vec::new(),
        seal,
    };
    Ok((LogPosition { next_id: last + 1 }, log))
}

/// Appends the frame of batch `id` to `out`, its ops sealed when `seal` is given.
fn encode_frame(
    out: &mut Vec<u8>,
    id: u64,
    ops: &[u8],
    seal: Option<&(Sealer, [u8; SALT])>,
) -> Result<(), StoreError> {
    let at = out.len();
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&id.to_le_bytes());
    match seal {
        Some((sealer, salt)) => {
            out.extend_from_slice(salt);
            out.extend_from_slice(&sealer.seal(&nonce(id), &id.to_le_bytes(), ops)?);
        }
        None => out.extend_from_slice(ops),
    }
    let len = (out.len() - at - 8) as u32;
    let crc = crc32fast::hash(&out[at + 8..]);
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    out[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

fn nonce(id: u64) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(&id.to_le_bytes());
    n
}

/// A sealed frame's ops, or `None` if they do not open under `key` (its salt's key).
fn unseal(key: &StoreKey, id: u64, body: &[u8]) -> Option<Vec<u8>> {
    let (salt, sealed) = body.split_at_checked(SALT)?;
    key.log(salt).open(&nonce(id), &id.to_le_bytes(), sealed)
}

fn read_checkpoint(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let t = tx.open_table(META)?;
    let found = t.get(CHECKPOINT_KEY)?.and_then(|v| decode_u64(v.value()));
    Ok(found.unwrap_or(0))
}

/// Records in `tx` that the database holds every frame up to `id`.
pub(crate) fn write_checkpoint(tx: &WriteTransaction, id: u64) -> Result<(), StoreError> {
    let mut t = tx.open_table(META)?;
    t.insert(CHECKPOINT_KEY, id.to_be_bytes().as_slice())?;
    Ok(())
}

/// A frame read back: its id and its ops.
type Frame<'a> = (u64, Cow<'a, [u8]>);

/// The complete, consecutive frames at the start of `log`, as (id, ops), unsealed under `key`
/// in an encrypted store; an error for a whole frame that does not open.
fn frames<'a>(log: &'a [u8], key: Option<&StoreKey>) -> Result<Vec<Frame<'a>>, StoreError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    let mut prev: Option<u64> = None;
    while let Some(header) = log.get(at..at + HEADER) {
        let u32_at = |r: std::ops::Range<usize>| {
            header
                .get(r)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        let id = header
            .get(8..16)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes);
        let (Some(len), Some(crc), Some(id)) = (u32_at(0..4), u32_at(4..8), id) else {
            break;
        };
        let Some(body) = log.get(at + 8..at + 8 + len as usize) else {
            break;
        };
        if len < 8 || crc32fast::hash(body) != crc || prev.is_some_and(|p| id != p + 1) {
            break;
        }
        let ops = match key {
            None => Cow::Borrowed(&body[8..]),
            Some(key) => Cow::Owned(unseal(key, id, &body[8..]).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "write-ahead log frame {id} is whole but does not decrypt under this store's \
                     key: damaged or tampered with; the log is left as it is"
                ))
            })?),
        };
        out.push((id, ops));
        prev = Some(id);
        at += 8 + len as usize;
    }
    Ok(out)
}

/// Applies one frame's ops to `tx`.
fn replay(tx: &WriteTransaction, mut ops: &[u8]) -> Result<(), StoreError> {
    fn corrupt() -> StoreError {
        StoreError::Corrupt("a write-ahead log frame with a valid checksum does not decode".into())
    }
    fn take<'a>(ops: &mut &'a [u8], n: usize) -> Result<&'a [u8], StoreError> {
        let (head, rest) = ops.split_at_checked(n).ok_or_else(corrupt)?;
        *ops = rest;
        Ok(head)
    }
    fn field<'a>(ops: &mut &'a [u8]) -> Result<&'a [u8], StoreError> {
        let len = take(ops, 4)?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| corrupt())?);
        take(ops, len as usize)
    }
    fn name<'a>(ops: &mut &'a [u8]) -> Result<&'a str, StoreError> {
        std::str::from_utf8(field(ops)?).map_err(|_| corrupt())
    }
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        match op {
            OP_INSERT => {
                let (n, k, v) = (name(&mut ops)?, field(&mut ops)?, field(&mut ops)?);
                TableWriter::open(tx, n, &Keyring::default())?.insert(k, v)?;
            }
            OP_REMOVE => {
                let (n, k) = (name(&mut ops)?, field(&mut ops)?);
                TableWriter::open(tx, n, &Keyring::default())?.remove(k)?;
            }
            OP_DROP => {
                values::drop_table(tx, name(&mut ops)?)?;
            }
            OP_CHANGE => {
                let seq = take(&mut ops, 8)?;
                let seq = u64::from_le_bytes(seq.try_into().map_err(|_| corrupt())?);
                let record = field(&mut ops)?;
                tx.open_table(CHANGELOG)?.insert(seq, record)?;
            }
            OP_UNCHANGE => {
                let seq = take(&mut ops, 8)?;
                let seq = u64::from_le_bytes(seq.try_into().map_err(|_| corrupt())?);
                tx.open_table(CHANGELOG)?.remove(seq)?;
            }
            _ => return Err(corrupt()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn frame(id: u64, ops: &[u8]) -> Vec<u8> {
        let mut body = id.to_le_bytes().to_vec();
        body.extend_from_slice(ops);
        let mut f = (body.len() as u32).to_le_bytes().to_vec();
        f.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        f.extend_from_slice(&body);
        f
    }

    #[test]
    fn reading_stops_at_a_torn_or_foreign_frame() {
        let mut log = frame(7, b"a");
        log.extend(frame(8, b"bb"));
        let whole = log.len();
        log.extend(frame(3, b"stale"));
        let read: Vec<(u64, Vec<u8>)> = frames(&log, None)
            .unwrap()
            .into_iter()
            .map(|(id, ops)| (id, ops.into_owned()))
            .collect();
        assert_eq!(read, vec![(7, b"a".to_vec()), (8, b"bb".to_vec())]);

        let mut torn = log[..whole].to_vec();
        torn.extend(&frame(9, b"ccc")[..10]);
        assert_eq!(frames(&torn, None).unwrap().len(), 2);

        let mut flipped = log[..whole].to_vec();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(frames(&flipped, None).unwrap().len(), 1);
        assert!(frames(&[], None).unwrap().is_empty());
    }

    #[test]
    fn sealed_frames_hide_their_ops_and_open_only_under_their_key() {
        let key = StoreKey(crate::at_rest::Secret::random().unwrap());
        let seal = (key.log(&[9; SALT]), [9; SALT]);
        let mut log = Vec::new();
        encode_frame(&mut log, 1, b"distinctive-value", Some(&seal)).unwrap();
        encode_frame(&mut log, 2, b"another", Some(&seal)).unwrap();
        assert!(!log.windows(10).any(|w| w == b"distinctiv"));
        assert!(!log.windows(7).any(|w| w == b"another"));
        let read = frames(&log, Some(&key)).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(&*read[0].1, b"distinctive-value");
        let other = StoreKey(crate::at_rest::Secret::random().unwrap());
        assert!(frames(&log, Some(&other)).is_err());
    }
}
