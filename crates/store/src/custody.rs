//! Who holds the keys: the store key, wrapped under the master key in `dynostack.keys`, and
//! the master key — in the data directory (`master.key`, zero configuration: the directory
//! alone decrypts its data) or outside it (a key file, or a secret in the environment).
//!
//! `dynostack.keys` records which: a data directory whose master key was kept outside it
//! refuses to open without it, before anything is written. The store key never changes (that
//! would mean rewriting the data); rotating the master key rewraps it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::at_rest::{Secret, StoreKey};
use crate::StoreError;

/// The wrapped store key's file inside the data directory.
pub const KEYS_FILE: &str = "dynostack.keys";
/// The master key's file inside the data directory, when it is kept there.
pub const MASTER_FILE: &str = "master.key";

const WRAP_AAD: &[u8] = b"dynostack.keys v1";

/// Where the master key comes from.
#[derive(Clone, Debug)]
pub enum MasterKey {
    /// Kept in the data directory, made on first use.
    InDataDir,
    /// Given from outside; `source` names it in messages ("--master-key-file /path").
    External { key: Secret, source: String },
}

impl MasterKey {
    /// The key of a master key file: 32 bytes in base64 on one line. With `create`, a file
    /// that does not exist is made with a new key (mode 0600).
    pub fn from_file(path: &Path, create: bool) -> Result<MasterKey, StoreError> {
        let source = format!("--master-key-file {}", path.display());
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key = Secret::random()?;
                write_new(path, format!("{}\n", B64.encode(key.as_bytes())).as_bytes())?;
                tracing::info!(file = %path.display(), "created a new master key file");
                return Ok(MasterKey::External { key, source });
            }
            Err(e) => {
                return Err(StoreError::io(format!(
                    "cannot read the master key file {}: {e}",
                    path.display()
                )))
            }
        };
        let key = B64
            .decode(text.trim())
            .ok()
            .and_then(|b| Secret::from_bytes(&b))
            .ok_or_else(|| {
                StoreError::io(format!(
                    "{} is not a master key file (32 bytes in base64 on one line)",
                    path.display()
                ))
            })?;
        Ok(MasterKey::External { key, source })
    }

    /// A master key derived from a secret (HKDF-SHA256): the secret must be a key's worth of
    /// randomness (`openssl rand -base64 32`), not a memorable password.
    pub fn from_secret(secret: &str, source: &str) -> MasterKey {
        let mut k = [0u8; 32];
        if Hkdf::<Sha256>::new(Some(b"dynostack master key v1"), secret.as_bytes())
            .expand(b"master", &mut k)
            .is_err()
        {
            k = [0u8; 32];
        }
        MasterKey::External {
            key: Secret(k),
            source: source.to_string(),
        }
    }

    fn custody(&self) -> Custody {
        match self {
            MasterKey::InDataDir => Custody::DataDir,
            MasterKey::External { .. } => Custody::External,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Custody {
    DataDir,
    External,
}

#[derive(Serialize, Deserialize)]
struct KeysFile {
    format: u32,
    custody: Custody,
    /// `nonce | AES-256-GCM(master key, store key)`, in base64.
    store_key: String,
}

/// Whether `dir` holds an encrypted store (its keys file).
pub fn is_encrypted(dir: &Path) -> bool {
    dir.join(KEYS_FILE).exists()
}

/// The store key of `dir`, under `master`. A directory with no keys file gets a new store key
/// (and, for [`MasterKey::InDataDir`], a new master key beside it). A directory kept under an
/// outside master key refuses any other, and refuses to open without it, before anything in
/// it is written. Custody never changes here: `rotate` moves a directory between keys.
pub fn unlock(dir: &Path, master: &MasterKey) -> Result<StoreKey, StoreError> {
    let keys_path = dir.join(KEYS_FILE);
    let Some(file) = read_keys(&keys_path)? else {
        let store_key = StoreKey(Secret::random()?);
        let wrapping = match master {
            MasterKey::InDataDir => {
                // A master.key without a keys file wraps nothing (a first start stopped
                // between the two): replaced.
                let key = Secret::random()?;
                let tmp = dir.join(format!("{MASTER_FILE}.new"));
                let _ = std::fs::remove_file(&tmp);
                write_new(&tmp, format!("{}\n", B64.encode(key.as_bytes())).as_bytes())?;
                std::fs::rename(&tmp, dir.join(MASTER_FILE))
                    .map_err(|e| StoreError::io(format!("installing the master key: {e}")))?;
                sync_dir(dir)?;
                key
            }
            MasterKey::External { key, .. } => key.clone(),
        };
        write_keys(dir, master.custody(), &wrapping, &store_key)?;
        return Ok(store_key);
    };
    let store_key = match (file.custody, master) {
        (Custody::External, MasterKey::InDataDir) => {
            return Err(StoreError::io(format!(
                "{} is encrypted under a master key kept outside it: start with \
                 --master-key-file PATH (or DYNOSTACK_MASTER_KEY) as when it was created",
                dir.display()
            )))
        }
        (Custody::External, MasterKey::External { key, source }) => {
            unwrap(&file, key).ok_or_else(|| {
                StoreError::io(format!(
                    "the master key of {source} does not open {}: it is not the key this \
                     data directory was encrypted under",
                    keys_path.display()
                ))
            })?
        }
        (Custody::DataDir, MasterKey::External { source, .. }) => {
            // Never moved silently: a key given by mistake (a path not kept, a one-off
            // secret) would leave the data unreadable at the next start.
            return Err(StoreError::io(format!(
                "{} keeps its master key in it ({MASTER_FILE}), not {source}: to move the key \
                 out, stop the server and run `dynostack rotate-master-key --data-dir {} \
                 --new-master-key-file PATH`",
                dir.display(),
                dir.display()
            )));
        }
        (Custody::DataDir, MasterKey::InDataDir) => match finish_rotation(dir, &file)? {
            Some(k) => k,
            None => {
                let own = read_master_file(&dir.join(MASTER_FILE))?;
                unwrap(&file, &own).ok_or_else(|| {
                    StoreError::io(format!(
                        "{} does not open {}: the two files are not from the same data \
                             directory",
                        dir.join(MASTER_FILE).display(),
                        keys_path.display()
                    ))
                })?
            }
        },
    };
    Ok(store_key)
}

/// Rewraps `dir`'s store key from master key `old` to `new` (offline: no server may have the
/// directory open). Moving to [`MasterKey::InDataDir`] writes a new `master.key`; moving
/// away from it removes the old one.
pub fn rotate(dir: &Path, old: &MasterKey, new: &MasterKey) -> Result<(), StoreError> {
    if read_keys(&dir.join(KEYS_FILE))?.is_none() {
        return Err(StoreError::io(format!(
            "{} holds no encrypted store ({KEYS_FILE} is missing)",
            dir.display()
        )));
    }
    let store_key = unlock(dir, old)?;
    match new {
        MasterKey::InDataDir => {
            let key = Secret::random()?;
            let tmp = dir.join(format!("{MASTER_FILE}.new"));
            let _ = std::fs::remove_file(&tmp);
            write_new(&tmp, format!("{}\n", B64.encode(key.as_bytes())).as_bytes())?;
            // The keys file names the custody: write the master first, under a name that
            // becomes its own only once the keys file is rewrapped.
            write_keys(dir, Custody::DataDir, &key, &store_key)?;
            std::fs::rename(&tmp, dir.join(MASTER_FILE))
                .map_err(|e| StoreError::io(format!("installing the new master key: {e}")))?;
            sync_dir(dir)?;
        }
        MasterKey::External { key, .. } => {
            write_keys(dir, Custody::External, key, &store_key)?;
            remove_master_file(dir)?;
        }
    }
    Ok(())
}

/// A rotation to a new `master.key` stopped between rewrapping the keys file and renaming
/// the new master key into place: if `master.key.new` opens the keys file, it becomes
/// `master.key` now.
fn finish_rotation(dir: &Path, file: &KeysFile) -> Result<Option<StoreKey>, StoreError> {
    let pending = dir.join(format!("{MASTER_FILE}.new"));
    if !pending.exists() {
        return Ok(None);
    }
    // A file a crash cut short is not the key either.
    let opened = read_master_file(&pending)
        .ok()
        .and_then(|key| unwrap(file, &key));
    let Some(store_key) = opened else {
        // Left by a rotation that stopped before the keys file changed: not the key.
        std::fs::remove_file(&pending)
            .map_err(|e| StoreError::io(format!("removing {}: {e}", pending.display())))?;
        return Ok(None);
    };
    std::fs::rename(&pending, dir.join(MASTER_FILE))
        .map_err(|e| StoreError::io(format!("installing the new master key: {e}")))?;
    sync_dir(dir)?;
    Ok(Some(store_key))
}

fn read_keys(path: &Path) -> Result<Option<KeysFile>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(format!("{}: {e}", path.display()))),
    };
    let file: KeysFile = serde_json::from_slice(&bytes)
        .map_err(|e| StoreError::Corrupt(format!("{}: {e}", path.display())))?;
    if file.format != 1 {
        return Err(StoreError::Corrupt(format!(
            "{} has format {}, not 1, the one this build reads",
            path.display(),
            file.format
        )));
    }
    Ok(Some(file))
}

fn read_master_file(path: &Path) -> Result<Secret, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        StoreError::io(format!(
            "{}: {e} (the data directory's master key; without it the data cannot be read)",
            path.display()
        ))
    })?;
    B64.decode(text.trim())
        .ok()
        .and_then(|b| Secret::from_bytes(&b))
        .ok_or_else(|| StoreError::Corrupt(format!("{} is not a master key", path.display())))
}

fn unwrap(file: &KeysFile, master: &Secret) -> Option<StoreKey> {
    let wrapped = B64.decode(&file.store_key).ok()?;
    let (nonce, sealed) = wrapped.split_at_checked(12)?;
    let nonce: &[u8; 12] = nonce.try_into().ok()?;
    // Keys files of the first builds with encryption (2026-12-07) wrapped under a key derived
    // as a backup file's is.
    let plain = master_sealer(master)
        .open(nonce, WRAP_AAD, sealed)
        .or_else(|| {
            StoreKey(master.clone())
                .archive(b"master wrap")
                .open(nonce, WRAP_AAD, sealed)
        })?;
    Secret::from_bytes(&plain).map(StoreKey)
}

fn master_sealer(master: &Secret) -> crate::at_rest::Sealer {
    // The master key wraps only store keys, each under a random nonce.
    StoreKey(master.clone()).wrapping()
}

/// Writes the keys file atomically: a new file, made durable, renamed over the old one.
fn write_keys(
    dir: &Path,
    custody: Custody,
    master: &Secret,
    store_key: &StoreKey,
) -> Result<(), StoreError> {
    let mut nonce = [0u8; 12];
    getrandom::getrandom(&mut nonce)
        .map_err(|e| StoreError::io(format!("no randomness for a nonce: {e}")))?;
    let sealed = master_sealer(master).seal(&nonce, WRAP_AAD, store_key.0.as_bytes())?;
    let mut wrapped = nonce.to_vec();
    wrapped.extend_from_slice(&sealed);
    let file = KeysFile {
        format: 1,
        custody,
        store_key: B64.encode(wrapped),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| StoreError::io(e.to_string()))?;
    let tmp = dir.join(format!("{KEYS_FILE}.new"));
    let _ = std::fs::remove_file(&tmp);
    write_new(&tmp, &json)?;
    std::fs::rename(&tmp, dir.join(KEYS_FILE))
        .map_err(|e| StoreError::io(format!("writing {KEYS_FILE}: {e}")))?;
    sync_dir(dir)
}

fn remove_master_file(dir: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(dir.join(MASTER_FILE)) {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io(format!("removing {MASTER_FILE}: {e}"))),
    }
}

/// Creates `path` (it must not exist) with `bytes`, mode 0600, durably.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::io(format!("{}: {e}", path.display()));
    let mut f: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    if let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let d: PathBuf = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    };
    File::open(&d)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(format!("syncing {}: {e}", d.display())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn bytes(k: &StoreKey) -> [u8; 32] {
        *k.0.as_bytes()
    }

    #[test]
    fn a_data_directory_keeps_its_store_key_across_custodies() {
        let dir = tempfile::tempdir().unwrap();
        let first = unlock(dir.path(), &MasterKey::InDataDir).unwrap();
        assert!(dir.path().join(MASTER_FILE).exists());
        assert_eq!(
            bytes(&unlock(dir.path(), &MasterKey::InDataDir).unwrap()),
            bytes(&first)
        );
        // A key from outside does not move it silently; rotation does.
        let outside = MasterKey::from_secret("s3cret-but-random", "DYNOSTACK_MASTER_KEY");
        let refused = unlock(dir.path(), &outside).unwrap_err();
        assert!(
            refused.to_string().contains("rotate-master-key"),
            "{refused}"
        );
        rotate(dir.path(), &MasterKey::InDataDir, &outside).unwrap();
        assert_eq!(bytes(&unlock(dir.path(), &outside).unwrap()), bytes(&first));
        assert!(!dir.path().join(MASTER_FILE).exists());
        // Now it refuses to open without it, or with another.
        let without = unlock(dir.path(), &MasterKey::InDataDir).unwrap_err();
        assert!(
            without.to_string().contains("--master-key-file"),
            "{without}"
        );
        let other = MasterKey::from_secret("another", "DYNOSTACK_MASTER_KEY");
        let wrong = unlock(dir.path(), &other).unwrap_err();
        assert!(wrong.to_string().contains("does not open"), "{wrong}");
        // Rotation rewraps the same store key.
        rotate(dir.path(), &outside, &other).unwrap();
        assert_eq!(bytes(&unlock(dir.path(), &other).unwrap()), bytes(&first));
        assert!(unlock(dir.path(), &outside).is_err());
        rotate(dir.path(), &other, &MasterKey::InDataDir).unwrap();
        assert_eq!(
            bytes(&unlock(dir.path(), &MasterKey::InDataDir).unwrap()),
            bytes(&first)
        );
    }

    #[test]
    fn a_master_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        assert!(MasterKey::from_file(&path, false).is_err());
        let MasterKey::External { key: made, .. } = MasterKey::from_file(&path, true).unwrap()
        else {
            panic!("a file key is external")
        };
        let MasterKey::External { key: read, .. } = MasterKey::from_file(&path, true).unwrap()
        else {
            panic!("a file key is external")
        };
        assert_eq!(made.as_bytes(), read.as_bytes());
        std::fs::write(dir.path().join("bad"), "not a key").unwrap();
        assert!(MasterKey::from_file(&dir.path().join("bad"), false).is_err());
    }

    #[test]
    fn what_a_crash_leaves_between_the_key_files_does_not_block_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        // A first start stopped after master.key, before dynostack.keys.
        std::fs::write(dir.path().join(MASTER_FILE), "stale\n").unwrap();
        let key = unlock(dir.path(), &MasterKey::InDataDir).unwrap();
        // A rotation stopped with its new master key cut short.
        std::fs::write(dir.path().join(format!("{MASTER_FILE}.new")), "").unwrap();
        assert_eq!(
            bytes(&unlock(dir.path(), &MasterKey::InDataDir).unwrap()),
            bytes(&key)
        );
        assert!(!dir.path().join(format!("{MASTER_FILE}.new")).exists());
    }
}
