//! Where backups keep their items: one file per backup in the data directory's `backups/` (in
//! memory for an in-memory store). A backup is written once, from a store snapshot, by a thread
//! of its own — never through the write-ahead log, so taking one costs the writers nothing but
//! the disk bandwidth it shares — and read by restores, from any frame on, so that a restore
//! stopped by a crash resumes where its last chunk ended.
//!
//! The file is a sequence of frames: `u32` length, `u32` CRC-32 of the payload, the payload.
//! The first payload is the table's definition, then one per item (its key and its stored
//! bytes), then an end frame with the item count. A file is complete only with its end frame,
//! and it is written under a temporary name, made durable, then renamed: a file present under
//! its own name is whole. A hand-written format: the frames are a few lines, and a general
//! serialization crate would add a dependency for what `crc32fast` and a length prefix do.
//!
//! On disk, under the store's key (encryption at rest), the file starts with `DSB\x02` and a
//! random 16-byte salt that picks the file's own key (`StoreKey::archive`), and each payload is
//! sealed with AES-256-GCM, its nonce the frame's offset in the file: unique within the file,
//! and known to a restore that resumes at an offset. A backup of a table with a data key
//! (`data_keys`) starts with `DSB\x03`, the salt and the key's number, and its file key is
//! derived from the table's data key instead: it opens only while KMS unwraps that key. Files
//! written before encryption (no header) are still read.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use store::at_rest::{Sealer, Secret};
use store::{Store, StoreKey};

/// A payload's kind, its first byte.
const TABLE: u8 = b'T';
const ITEM: u8 = b'I';
const END: u8 = b'E';

/// The largest frame a reader accepts: an item (400 KB) and its key with room to spare, or a
/// table definition. Anything larger is a damaged length.
const MAX_FRAME: u32 = 4 * 1024 * 1024;

/// The start of a sealed file, then its salt. A plaintext file starts with its first frame's
/// length, which is never this (it would exceed [`MAX_FRAME`]).
const SEALED_MAGIC: [u8; 4] = *b"DSB\x02";
const SALT_BYTES: usize = 16;
const SEALED_HEADER: u64 = (SEALED_MAGIC.len() + SALT_BYTES) as u64;
/// The start of a file sealed under a table's data key: then the salt and the key's number.
const DATA_KEY_MAGIC: [u8; 4] = *b"DSB\x03";
const DATA_KEY_HEADER: u64 = SEALED_HEADER + 8;

const SUFFIX: &str = ".dsb";
const PARTIAL: &str = ".partial";

/// One frame of a backup file.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// The table's definition as stored in the catalog (JSON).
    Table(Vec<u8>),
    /// An item: its key and its stored form.
    Item { key: Vec<u8>, value: Vec<u8> },
    /// The end: how many items the file holds.
    End { items: u64 },
}

/// Where backup files live: a directory (their payloads sealed under the store's key, when
/// it has one, or under a table's data key the store holds), or memory.
pub enum Archive {
    Dir(PathBuf, Option<StoreKey>, Option<Store>),
    Memory(Mutex<HashMap<String, Arc<Vec<u8>>>>),
}

fn nonce(offset: u64) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(&offset.to_le_bytes());
    n
}

impl Archive {
    pub fn in_memory() -> Archive {
        Archive::Memory(Mutex::new(HashMap::new()))
    }

    fn path(dir: &std::path::Path, id: &str, suffix: &str) -> PathBuf {
        dir.join(format!("{id}{suffix}"))
    }

    /// Starts writing the file of backup `id`, sealed under data key `data_key` if the store
    /// holds it.
    pub fn create(&self, id: &str, data_key: Option<u64>) -> io::Result<ArchiveWriter<'_>> {
        let mut seal = None;
        let mut header = 0;
        let sink = match self {
            Archive::Dir(dir, key, store) => {
                // Backups hold table data: only the owner reads them, as the data directory.
                use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)?;
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(Archive::path(dir, id, PARTIAL))?;
                let mut w = BufWriter::with_capacity(1 << 20, f);
                if let Some(key) = key {
                    let random = Secret::random().map_err(io::Error::other)?;
                    let salt = &random.as_bytes()[..SALT_BYTES];
                    let table_key = data_key
                        .zip(store.as_ref())
                        .and_then(|(n, s)| s.data_key_archive(n, salt).map(|sealer| (n, sealer)));
                    if let Some((n, sealer)) = table_key {
                        w.write_all(&DATA_KEY_MAGIC)?;
                        w.write_all(salt)?;
                        w.write_all(&n.to_le_bytes())?;
                        (seal, header) = (Some(sealer), DATA_KEY_HEADER);
                    } else {
                        w.write_all(&SEALED_MAGIC)?;
                        w.write_all(salt)?;
                        (seal, header) = (Some(key.archive(salt)), SEALED_HEADER);
                    }
                }
                Sink::File(w)
            }
            Archive::Memory(_) => Sink::Memory(Vec::new()),
        };
        Ok(ArchiveWriter {
            archive: self,
            id: id.to_string(),
            sink,
            written: header,
            seal,
        })
    }

    /// Opens the file of backup `id` at byte `offset` (a frame boundary a reader reported).
    pub fn open(&self, id: &str, offset: u64) -> io::Result<ArchiveReader> {
        let (mut key, mut store) = (None, None);
        let mut source: Box<dyn ReadSeek> = match self {
            Archive::Dir(dir, k, s) => {
                (key, store) = (k.as_ref(), s.as_ref());
                Box::new(File::open(Archive::path(dir, id, SUFFIX))?)
            }
            Archive::Memory(files) => {
                let bytes = files
                    .lock()
                    .map_err(|_| io::Error::other("archive lock poisoned"))?
                    .get(id)
                    .cloned()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such backup"))?;
                Box::new(io::Cursor::new(Shared(bytes)))
            }
        };
        let mut got = Vec::with_capacity(DATA_KEY_HEADER as usize);
        source
            .by_ref()
            .take(DATA_KEY_HEADER)
            .read_to_end(&mut got)?;
        let read = got.len();
        let mut head = [0u8; DATA_KEY_HEADER as usize];
        head[..read].copy_from_slice(&got);
        let salt = &head[4..SEALED_HEADER as usize];
        let (seal, offset) = if read >= SEALED_HEADER as usize && head[..4] == SEALED_MAGIC {
            let key = key.ok_or_else(|| corrupt("sealed, and this store has no key"))?;
            (Some(key.archive(salt)), offset.max(SEALED_HEADER))
        } else if read == DATA_KEY_HEADER as usize && head[..4] == DATA_KEY_MAGIC {
            let number = u64::from_le_bytes(
                head[SEALED_HEADER as usize..]
                    .try_into()
                    .unwrap_or_default(),
            );
            let sealer = store
                .and_then(|s| s.data_key_archive(number, salt))
                .ok_or_else(|| corrupt("sealed under a table's data key that is not available"))?;
            (Some(sealer), offset.max(DATA_KEY_HEADER))
        } else {
            (None, offset)
        };
        source.seek(SeekFrom::Start(offset))?;
        Ok(ArchiveReader {
            source: BufReader::with_capacity(1 << 20, source),
            offset,
            seal,
        })
    }

    /// Removes the file of backup `id` (complete or partial); a missing one is fine.
    pub fn remove(&self, id: &str) -> io::Result<()> {
        match self {
            Archive::Dir(dir, _, _) => {
                for suffix in [SUFFIX, PARTIAL] {
                    match std::fs::remove_file(Archive::path(dir, id, suffix)) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    }
                }
                Ok(())
            }
            Archive::Memory(files) => {
                if let Ok(mut f) = files.lock() {
                    f.remove(id);
                }
                Ok(())
            }
        }
    }

    /// The ids of every file present, complete or not (to clean up what a crash left).
    pub fn ids(&self) -> Vec<String> {
        match self {
            Archive::Dir(dir, _, _) => std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .filter_map(|e| {
                            let name = e.file_name().to_string_lossy().to_string();
                            name.strip_suffix(SUFFIX)
                                .or_else(|| name.strip_suffix(PARTIAL))
                                .map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Archive::Memory(files) => files
                .lock()
                .map(|f| f.keys().cloned().collect())
                .unwrap_or_default(),
        }
    }
}

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// An in-memory file shared between its readers.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

enum Sink {
    File(BufWriter<File>),
    Memory(Vec<u8>),
}

/// Writes one backup file; nothing is visible under the backup's id until [`finish`].
///
/// [`finish`]: ArchiveWriter::finish
pub struct ArchiveWriter<'a> {
    archive: &'a Archive,
    id: String,
    sink: Sink,
    written: u64,
    seal: Option<Sealer>,
}

impl ArchiveWriter<'_> {
    /// Writes the frame of payload `kind` + `parts`: sealed as one, or as they are.
    fn frame(&mut self, kind: u8, parts: &[&[u8]]) -> io::Result<()> {
        if let Some(sealer) = &self.seal {
            let mut plain = vec![kind];
            for p in parts {
                plain.extend_from_slice(p);
            }
            let sealed = sealer
                .seal(&nonce(self.written), b"", &plain)
                .map_err(io::Error::other)?;
            return self.frame_bytes(&[&sealed]);
        }
        let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        all.push(std::slice::from_ref(&kind));
        all.extend_from_slice(parts);
        self.frame_bytes(&all)
    }

    /// A frame: its length and CRC-32, then the payload `parts` make.
    fn frame_bytes(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let len = u32::try_from(len)
            .ok()
            .filter(|l| *l <= MAX_FRAME)
            .ok_or_else(|| io::Error::other("backup frame too large"))?;
        let mut crc = crc32fast::Hasher::new();
        for p in parts {
            crc.update(p);
        }
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&len.to_le_bytes());
        head[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
        let w: &mut dyn Write = match &mut self.sink {
            Sink::File(f) => f,
            Sink::Memory(v) => v,
        };
        w.write_all(&head)?;
        for p in parts {
            w.write_all(p)?;
        }
        self.written += 8 + u64::from(len);
        Ok(())
    }

    pub fn table(&mut self, definition: &[u8]) -> io::Result<()> {
        self.frame(TABLE, &[definition])
    }

    pub fn item(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        let key_len = u32::try_from(key.len()).map_err(io::Error::other)?;
        self.frame(ITEM, &[&key_len.to_le_bytes(), key, value])
    }

    /// Writes what is buffered and makes the file's pages so far durable (no-op in memory).
    pub fn write_back(&mut self) -> io::Result<()> {
        if let Sink::File(w) = &mut self.sink {
            w.flush()?;
            w.get_ref().sync_data()?;
        }
        Ok(())
    }

    /// Ends the file with its item count and makes it durable under its own name; returns its
    /// size in bytes.
    pub fn finish(mut self, items: u64) -> io::Result<u64> {
        self.frame(END, &[&items.to_le_bytes()])?;
        match (self.sink, self.archive) {
            (Sink::File(w), Archive::Dir(dir, _, _)) => {
                let f = w.into_inner().map_err(|e| e.into_error())?;
                f.sync_all()?;
                std::fs::rename(
                    Archive::path(dir, &self.id, PARTIAL),
                    Archive::path(dir, &self.id, SUFFIX),
                )?;
                File::open(dir)?.sync_all()?;
            }
            (Sink::Memory(v), Archive::Memory(files)) => {
                files
                    .lock()
                    .map_err(|_| io::Error::other("archive lock poisoned"))?
                    .insert(self.id.clone(), Arc::new(v));
            }
            _ => return Err(io::Error::other("backup sink does not match its archive")),
        }
        Ok(self.written)
    }
}

/// Reads a backup file frame by frame.
pub struct ArchiveReader {
    source: BufReader<Box<dyn ReadSeek>>,
    offset: u64,
    seal: Option<Sealer>,
}

impl ArchiveReader {
    /// The byte offset of the next frame: where a resumed restore opens the file again.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next item (key, stored form), past the table's definition; None after the end
    /// frame. A file that stops before its end frame is an error: it is incomplete.
    pub fn next_item(&mut self) -> io::Result<Option<(Vec<u8>, Vec<u8>)>> {
        loop {
            match self.next_frame()? {
                Some(Frame::Table(_)) => {}
                Some(Frame::Item { key, value }) => return Ok(Some((key, value))),
                Some(Frame::End { .. }) => return Ok(None),
                None => return Err(io::Error::other("the backup file is incomplete")),
            }
        }
    }

    /// The next frame; None at the end of the file (a complete file ends with [`Frame::End`]).
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        let mut head = [0u8; 8];
        match self.source.read_exact(&mut head) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            other => other?,
        }
        let [l0, l1, l2, l3, c0, c1, c2, c3] = head;
        let len = u32::from_le_bytes([l0, l1, l2, l3]);
        let crc = u32::from_le_bytes([c0, c1, c2, c3]);
        if len == 0 || len > MAX_FRAME {
            return Err(corrupt("bad frame length"));
        }
        let mut payload = vec![0u8; len as usize];
        self.source.read_exact(&mut payload)?;
        if crc32fast::hash(&payload) != crc {
            return Err(corrupt("checksum mismatch"));
        }
        if let Some(sealer) = &self.seal {
            payload = sealer
                .open(&nonce(self.offset), b"", &payload)
                .ok_or_else(|| corrupt("a frame does not decrypt under this store's key"))?;
            if payload.is_empty() {
                return Err(corrupt("empty frame"));
            }
        }
        self.offset += 8 + u64::from(len);
        let body = &payload[1..];
        match payload[0] {
            TABLE => Ok(Some(Frame::Table(body.to_vec()))),
            ITEM => {
                let (len, rest) = body
                    .split_at_checked(4)
                    .ok_or_else(|| corrupt("short item"))?;
                let key_len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                let (key, value) = rest
                    .split_at_checked(key_len)
                    .ok_or_else(|| corrupt("short item key"))?;
                Ok(Some(Frame::Item {
                    key: key.to_vec(),
                    value: value.to_vec(),
                }))
            }
            END => {
                let count: [u8; 8] = body.try_into().map_err(|_| corrupt("bad end frame"))?;
                Ok(Some(Frame::End {
                    items: u64::from_le_bytes(count),
                }))
            }
            _ => Err(corrupt("unknown frame")),
        }
    }
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("backup file: {what}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn round_trip(archive: &Archive) {
        let mut w = archive.create("b1", None).unwrap();
        w.table(b"{\"TableName\":\"t\"}").unwrap();
        w.item(b"k1", b"v1").unwrap();
        w.item(b"k2", b"").unwrap();
        let size = w.finish(2).unwrap();
        let mut r = archive.open("b1", 0).unwrap();
        assert_eq!(
            r.next_frame().unwrap(),
            Some(Frame::Table(b"{\"TableName\":\"t\"}".to_vec()))
        );
        let after_table = r.offset();
        assert!(matches!(r.next_frame().unwrap(), Some(Frame::Item { key, .. }) if key == b"k1"));
        let mut resumed = archive.open("b1", after_table).unwrap();
        assert!(
            matches!(resumed.next_frame().unwrap(), Some(Frame::Item { key, .. }) if key == b"k1")
        );
        assert!(
            matches!(r.next_frame().unwrap(), Some(Frame::Item { key, value }) if key == b"k2" && value.is_empty())
        );
        assert_eq!(r.next_frame().unwrap(), Some(Frame::End { items: 2 }));
        assert_eq!(r.next_frame().unwrap(), None);
        assert_eq!(r.offset(), size);
        assert_eq!(archive.ids(), vec!["b1".to_string()]);
        archive.remove("b1").unwrap();
        assert!(archive.open("b1", 0).is_err());
    }

    #[test]
    fn frames_round_trip_in_memory_and_on_disk() {
        round_trip(&Archive::in_memory());
        let dir = std::env::temp_dir().join(format!("dynostack-archive-{}", std::process::id()));
        round_trip(&Archive::Dir(dir.clone(), None, None));
        std::fs::remove_dir_all(&dir).ok();
        let key = store::Store::in_memory().unwrap().key().cloned();
        assert!(key.is_none());
    }

    #[test]
    fn sealed_files_hold_no_plaintext_and_resume_at_any_frame() {
        let dir = std::env::temp_dir().join(format!("dynostack-sealed-{}", std::process::id()));
        let key = sealed_key();
        let archive = Archive::Dir(dir.clone(), Some(key), None);
        round_trip(&archive);
        let mut w = archive.create("b9", None).unwrap();
        w.item(b"distinctive-key", b"distinctive-value").unwrap();
        w.finish(1).unwrap();
        let bytes = std::fs::read(dir.join("b9.dsb")).unwrap();
        assert!(!bytes.windows(11).any(|w| w == b"distinctive"));
        let other = Archive::Dir(dir.clone(), Some(sealed_key()), None);
        assert!(other.open("b9", 0).unwrap().next_frame().is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_damaged_frame_is_refused_and_an_unfinished_file_is_not_there() {
        let archive = Archive::in_memory();
        let w = archive.create("b2", None).unwrap();
        drop(w);
        assert!(archive.open("b2", 0).is_err());
        let mut w = archive.create("b3", None).unwrap();
        w.item(b"k", b"v").unwrap();
        w.finish(1).unwrap();
        if let Archive::Memory(files) = &archive {
            let mut f = files.lock().unwrap();
            let bytes = Arc::make_mut(f.get_mut("b3").unwrap());
            bytes[12] ^= 0xff;
        }
        assert!(archive.open("b3", 0).unwrap().next_frame().is_err());
    }

    fn sealed_key() -> StoreKey {
        let dir = tempfile::tempdir().unwrap();
        store::custody::unlock(dir.path(), &store::MasterKey::InDataDir).unwrap()
    }
}
