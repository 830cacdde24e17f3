//! Encrypts a data directory written before encryption at rest, when it is first opened with
//! a store key: its log replayed into the plaintext database file (which empties the log), then
//! the file copied unit by unit under the page cipher into `dynostack.redb.sealing`, made
//! durable and renamed over the original. A crash at any point leaves either the plaintext
//! file (the copy starts again) or the encrypted one. Needs the file's size again in free
//! space while it runs.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::at_rest::StoreKey;
use crate::{open_files, StoreError, DB_FILE};

/// The first bytes of every redb file; an encrypted one starts with ciphertext instead.
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Bytes encrypted per step: whole units.
const CHUNK: usize = 1 << 20;

/// Whether the database file at `path` is a plaintext redb file.
pub(crate) fn is_plaintext(path: &Path) -> Result<bool, StoreError> {
    let mut head = [0u8; 9];
    match File::open(path) {
        Ok(mut f) => Ok(f.read_exact(&mut head).is_ok() && head == REDB_MAGIC),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io(format!("{}: {e}", path.display()))),
    }
}

pub(crate) fn encrypt_if_plaintext(dir: &Path, key: &StoreKey) -> Result<(), StoreError> {
    let path = dir.join(DB_FILE);
    let partial = dir.join(format!("{DB_FILE}.sealing"));
    match std::fs::remove_file(&partial) {
        Ok(()) => tracing::info!("removed an encryption of the database a stop interrupted"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io(format!("{}: {e}", partial.display()))),
    }
    if !is_plaintext(&path)? {
        return Ok(());
    }
    // The log's frames are plaintext too: replay them into the plaintext file first.
    drop(open_files(dir, None)?);
    let io = |e: std::io::Error| StoreError::io(format!("encrypting {}: {e}", path.display()));
    let mut from = File::open(&path).map_err(io)?;
    let total = from.metadata().map_err(io)?.len();
    tracing::info!(
        bytes = total,
        "encrypting the database file written before encryption at rest"
    );
    let mut to = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(io)?;
    let cipher = key.pages();
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    let mut reported = 0u64;
    loop {
        let n = read_full(&mut from, &mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        // redb's file is whole pages; a ragged tail is padded to a unit.
        let len = n.div_ceil(crate::at_rest::UNIT) * crate::at_rest::UNIT;
        buf[n..len].fill(0);
        cipher.encrypt(&mut buf[..len], offset).map_err(io)?;
        to.write_all(&buf[..len]).map_err(io)?;
        offset += len as u64;
        if offset - reported > total / 10 {
            reported = offset;
            tracing::info!(done = offset, of = total, "encrypting the database file");
        }
    }
    to.sync_all().map_err(io)?;
    drop(to);
    std::fs::rename(&partial, &path).map_err(io)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    tracing::info!(bytes = total, "the database file is encrypted");
    Ok(())
}

fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
