//! redb's file, with its durable commits' write-back paced.
//!
//! A fold's durable commit hands the kernel tens of MiB of dirty pages and one fsync. The
//! kernel queues them on the device all at once, and for the ~100 ms that takes every log
//! fdatasync — which a waiting write's reply hangs on — queues behind them. Here the commit's
//! pages are written back a slice at a time, each waited for (`sync_file_range`), before the
//! fdatasync that makes them durable: the device never holds more than one slice of the
//! database's writes ahead of the log's. Everything else is redb's own file backend.
//!
//! With a store key, pages are encrypted on their way to the file and decrypted on their way
//! back (`at_rest`): redb's page cache holds plaintext, the file only ciphertext. Every access
//! redb makes is whole 512-byte units but its header's (at offset 0, shorter), which is read,
//! decrypted, patched and written back as the whole unit it lies in.

use std::fs::{File, OpenOptions};
use std::ops::Bound;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Mutex;

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

use crate::at_rest::{PageCipher, StoreKey, UNIT};
use crate::StoreError;

// redb names it only inside the crate: without its experimental API it is `io::Error`.
type BackendIoError = std::io::Error;

/// Bytes written back per step: a log write queued behind one waits a fraction of a
/// millisecond. Measured against 1 MiB and against no pacing (docs/performance.md, "Pacing
/// the fold's write-back").
const SLICE: u64 = 256 * 1024;

#[derive(Debug)]
pub(crate) struct PacedFile {
    inner: FileBackend,
    /// The same open file, for `sync_file_range` (redb's backend does not lend its own).
    file: File,
    /// Byte ranges written since the last sync, as (start, end).
    dirty: Mutex<Vec<(u64, u64)>>,
    cipher: Option<PageCipher>,
    /// Held while a part-unit write reads, patches and rewrites its unit.
    patching: Mutex<()>,
}

impl PacedFile {
    /// Opens (or creates) the database file at `path`, as redb's own `Builder::create` does.
    pub(crate) fn open(path: &Path, key: Option<&StoreKey>) -> Result<PacedFile, StoreError> {
        let cannot =
            |e: std::io::Error| StoreError::io(format!("cannot open {}: {e}", path.display()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(cannot)?;
        let own = file.try_clone().map_err(cannot)?;
        Ok(PacedFile {
            inner: FileBackend::new(file)?,
            file: own,
            dirty: Mutex::new(Vec::new()),
            cipher: key.map(StoreKey::pages),
            patching: Mutex::new(()),
        })
    }

    /// The whole units around `len` bytes at `offset`, as read from the file and decrypted;
    /// bytes past the file's end read as zeros.
    fn read_units(
        &self,
        cipher: &PageCipher,
        offset: u64,
        len: usize,
    ) -> Result<(u64, Vec<u8>), BackendIoError> {
        let unit = UNIT as u64;
        let start = offset / unit * unit;
        let end = (offset + len as u64).div_ceil(unit) * unit;
        let mut buf = vec![0u8; (end - start) as usize];
        let have = self.inner.len()?.clamp(start, end);
        if have > start {
            self.inner
                .read(start, &mut buf[..(have - start) as usize])?;
        }
        cipher.decrypt(&mut buf, start)?;
        Ok((start, buf))
    }

    fn write_plain(&self, offset: u64, data: &[u8]) -> Result<(), BackendIoError> {
        self.inner.write(offset, data)?;
        if let Ok(mut d) = self.dirty.lock() {
            d.push((offset, offset + data.len() as u64));
        }
        Ok(())
    }

    /// Writes back what was written since the last sync, a span at a time, waiting for each.
    /// Its errors must reach the caller: waiting consumes the file's write-back error, so the
    /// fdatasync after it would no longer see one.
    fn write_back(&self) -> Result<(), BackendIoError> {
        let ranges = match self.dirty.lock() {
            Ok(mut d) => std::mem::take(&mut *d),
            // Nothing is lost: the fdatasync that follows writes back whatever is dirty.
            Err(_) => return Ok(()),
        };
        let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
            | libc::SYNC_FILE_RANGE_WRITE
            | libc::SYNC_FILE_RANGE_WAIT_AFTER;
        for (offset, len) in spans(ranges, SLICE) {
            let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
                continue;
            };
            // SAFETY: a system call on a file descriptor this struct owns; no memory is shared.
            let done = unsafe { libc::sync_file_range(self.file.as_raw_fd(), offset, len, flags) };
            if done != 0 {
                let error = std::io::Error::last_os_error();
                return match error.raw_os_error() {
                    // A file system that cannot do this is only not paced.
                    Some(libc::EINVAL | libc::ENOSYS | libc::ESPIPE | libc::EOPNOTSUPP) => Ok(()),
                    _ => Err(error),
                };
            }
        }
        Ok(())
    }
}

/// Cuts the written `ranges` (start, end) into spans (offset, length) that each hold about
/// `slice` written bytes. A span covers the clean gaps between the ranges in it: write-back
/// skips clean pages, and one call per scattered 4 KiB page would cost more than it paces.
fn spans(mut ranges: Vec<(u64, u64)>, slice: u64) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut out = Vec::new();
    let mut pending = 0u64;
    let mut from: Option<u64> = None;
    let mut upto = 0u64;
    for (start, end) in ranges {
        let mut at = start.max(upto);
        while at < end {
            let step = (end - at).min(slice - pending);
            let first = *from.get_or_insert(at);
            at += step;
            pending += step;
            upto = at;
            if pending >= slice {
                out.push((first, at - first));
                pending = 0;
                from = None;
            }
        }
    }
    if let Some(first) = from {
        out.push((first, upto - first));
    }
    out
}

impl StorageBackend for PacedFile {
    fn len(&self) -> Result<u64, BackendIoError> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), BackendIoError> {
        let Some(cipher) = &self.cipher else {
            return self.inner.read(offset, out);
        };
        if offset.is_multiple_of(UNIT as u64) && out.len().is_multiple_of(UNIT) {
            self.inner.read(offset, out)?;
            return cipher.decrypt(out, offset);
        }
        let (start, buf) = self.read_units(cipher, offset, out.len())?;
        let at = (offset - start) as usize;
        out.copy_from_slice(&buf[at..at + out.len()]);
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), BackendIoError> {
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> Result<(), BackendIoError> {
        self.write_back()?;
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), BackendIoError> {
        let Some(cipher) = &self.cipher else {
            return self.write_plain(offset, data);
        };
        if offset.is_multiple_of(UNIT as u64) && data.len().is_multiple_of(UNIT) {
            let mut sealed = data.to_vec();
            cipher.encrypt(&mut sealed, offset)?;
            return self.write_plain(offset, &sealed);
        }
        let _patching = self
            .patching
            .lock()
            .map_err(|_| std::io::Error::other("the page patch lock is poisoned"))?;
        let (start, mut buf) = self.read_units(cipher, offset, data.len())?;
        let at = (offset - start) as usize;
        buf[at..at + data.len()].copy_from_slice(data);
        cipher.encrypt(&mut buf, start)?;
        self.write_plain(start, &buf)
    }

    fn close(&self) -> Result<(), BackendIoError> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::spans;

    #[test]
    fn spans_hold_a_slice_of_written_bytes_each() {
        // Overlapping and out-of-order writes count once.
        assert_eq!(spans(vec![(100, 200), (0, 150)], 1000), vec![(0, 200)]);
        // A long write is cut at every slice.
        assert_eq!(
            spans(vec![(0, 2500)], 1000),
            vec![(0, 1000), (1000, 1000), (2000, 500)]
        );
        // Scattered pages share a span, gaps included, until a slice of them is written.
        assert_eq!(
            spans(vec![(0, 400), (10_000, 10_400), (20_000, 20_400)], 1000),
            vec![(0, 20_200), (20_200, 200)]
        );
        assert!(spans(Vec::new(), 1000).is_empty());
    }
}
