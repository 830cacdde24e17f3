//! Encryption at rest: what reaches the disk, and who can open it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

use store::{AtRest, MasterKey, Options, ScanControl, Store};

const SECRET: &[u8] = b"distinctive-plaintext-4711";

/// Every file under `dir` that holds `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if std::fs::read(&path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

fn values(s: &Store) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    s.read()
        .unwrap()
        .scan("t", (Bound::Unbounded, Bound::Unbounded), false, |_, v| {
            out.push(v.to_vec());
            ScanControl::Continue
        })
        .unwrap();
    out
}

fn held_log(at_rest: AtRest) -> Options {
    // No checkpoint: the values stay in the log, as after a crash.
    Options {
        idle_checkpoint: Duration::from_secs(3600),
        at_rest,
        ..Options::default()
    }
}

async fn write_secrets(s: &Store) {
    for i in 0u32..50 {
        s.write(move |ctx| {
            let mut v = SECRET.to_vec();
            v.extend(vec![b'x'; (i as usize) * 100]);
            ctx.insert("t", &[SECRET, &i.to_be_bytes()[..]].concat(), &v)?;
            ctx.append_change(SECRET)?;
            Ok(())
        })
        .await
        .unwrap();
    }
}

/// A copy of `dir` as a crash would leave it: the files as they are, nothing shut down.
fn crash_image(dir: &Path) -> tempfile::TempDir {
    let image = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, image.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    image
}

#[tokio::test(flavor = "multi_thread")]
async fn no_file_holds_plaintext_neither_the_log_nor_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_dir_with(dir.path(), held_log(Options::default().at_rest)).unwrap();
    write_secrets(&s).await;
    // In the log only (a crash image), then folded into the database (a clean stop).
    let image = crash_image(dir.path());
    assert_eq!(files_holding(image.path(), SECRET), Vec::<String>::new());
    s.shutdown();
    drop(s);
    assert_eq!(files_holding(dir.path(), SECRET), Vec::<String>::new());
    for d in [dir.path(), image.path()] {
        let r = Store::open_dir(d).unwrap();
        assert_eq!(values(&r).len(), 50);
        r.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plaintext_directory_is_encrypted_when_opened_log_included() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_dir_with(dir.path(), held_log(AtRest::Plaintext)).unwrap();
    write_secrets(&s).await;
    let image = crash_image(dir.path());
    assert!(!files_holding(image.path(), SECRET).is_empty());
    let r = Store::open_dir(image.path()).unwrap();
    assert_eq!(values(&r).len(), 50);
    r.shutdown();
    drop(r);
    assert_eq!(files_holding(image.path(), SECRET), Vec::<String>::new());
    // Encrypted once, it does not open in plaintext again.
    let refused = Store::open_dir_with(image.path(), held_log(AtRest::Plaintext)).err();
    assert!(refused.is_some());
    s.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_directory_under_an_outside_key_opens_only_with_it_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = tempfile::tempdir().unwrap();
    let master = MasterKey::from_file(&key_file.path().join("master.key"), true).unwrap();
    let s = Store::open_dir_with(dir.path(), held_log(AtRest::Encrypted(master.clone()))).unwrap();
    write_secrets(&s).await;
    s.shutdown();
    drop(s);
    assert!(!dir.path().join(store::custody::MASTER_FILE).exists());

    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    let without = Store::open_dir(dir.path()).err().unwrap().to_string();
    assert!(without.contains("--master-key-file"), "{without}");
    let other = MasterKey::from_secret("not the key", "DYNOSTACK_MASTER_KEY");
    let wrong = Store::open_dir_with(dir.path(), held_log(AtRest::Encrypted(other)))
        .err()
        .unwrap()
        .to_string();
    assert!(wrong.contains("does not open"), "{wrong}");
    let after: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    assert_eq!(before, after, "a refused open changes nothing");

    let r = Store::open_dir_with(dir.path(), held_log(AtRest::Encrypted(master))).unwrap();
    assert_eq!(values(&r).len(), 50);
    r.shutdown();
}
