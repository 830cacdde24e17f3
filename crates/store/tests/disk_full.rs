//! A write-ahead log write that meets a full disk (issue 19): the batch is held, its writer told
//! the disk is full, and it is written once space is freed; the store is never poisoned. Runs on
//! a small tmpfs, mounted for the test (skipped, saying so, where mounting is not allowed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use store::{Options, Store, StoreError};

struct SmallDisk {
    dir: PathBuf,
    _root: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mib: u32) -> Option<SmallDisk> {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&dir)
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(SmallDisk { dir, _root: root }),
            Ok(out) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs here: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).output();
    }
}

/// Fills the disk holding `dir` to its last block.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let mut size = 1 << 20;
    while size >= 4096 {
        if f.write_all(&vec![0u8; size]).is_err() {
            size /= 2;
        }
    }
    path
}

async fn put(s: &Store, key: &str) -> Result<(), StoreError> {
    let key = key.as_bytes().to_vec();
    s.write(move |ctx| ctx.insert("t", &key, &[7u8; 2000]).map(drop))
        .await
}

fn has(s: &Store, key: &str) -> bool {
    s.read()
        .unwrap()
        .get("t", key.as_bytes())
        .unwrap()
        .is_some()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_write_on_a_full_disk_is_held_then_written_once_space_is_freed() {
    let Some(disk) = SmallDisk::mount(48) else {
        return;
    };
    let options = Options {
        // No ballast, and no look at the free space after the open: the next write after the
        // disk fills goes to the log and meets the full disk there.
        disk_reserve: 0,
        disk_look_every: Duration::from_secs(3600),
        idle_checkpoint: Duration::from_secs(3600),
        ..Options::default()
    };
    let s = Store::open_dir_with(&disk.dir, options.clone()).unwrap();
    put(&s, "before").await.unwrap();
    let filler = fill(&disk.dir);

    assert!(matches!(put(&s, "held").await, Err(StoreError::DiskFull)));
    // Told the disk is full, not published: readers see only durable state.
    assert!(!has(&s, "held"));
    // Further writes are refused before they run, without waiting for a look at the disk.
    assert!(matches!(
        put(&s, "refused").await,
        Err(StoreError::DiskFull)
    ));
    assert!(has(&s, "before"));

    std::fs::remove_file(filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !has(&s, "held") {
        assert!(
            Instant::now() < deadline,
            "the held batch was never written"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Not poisoned: writes go on at once.
    put(&s, "after").await.unwrap();
    assert!(!has(&s, "refused"));
    s.shutdown();
    drop(s);

    let s = Store::open_dir_with(&disk.dir, options).unwrap();
    for key in ["before", "held", "after"] {
        assert!(has(&s, key), "{key} is lost");
    }
    assert!(!has(&s, "refused"));
    s.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ballast_lets_the_writes_under_way_finish() {
    let Some(disk) = SmallDisk::mount(48) else {
        return;
    };
    let options = Options {
        disk_reserve: 8 << 20,
        disk_look_every: Duration::from_secs(3600),
        idle_checkpoint: Duration::from_secs(3600),
        ..Options::default()
    };
    let s = Store::open_dir_with(&disk.dir, options).unwrap();
    assert_eq!(
        std::fs::metadata(disk.dir.join(store::RESERVE_FILE))
            .unwrap()
            .len(),
        8 << 20
    );
    put(&s, "before").await.unwrap();
    let filler = fill(&disk.dir);
    // The log meets the full disk; the released ballast gives it room, and the write is durable.
    put(&s, "through").await.unwrap();
    assert!(has(&s, "through"));
    assert!(matches!(
        put(&s, "refused").await,
        Err(StoreError::DiskFull)
    ));
    std::fs::remove_file(filler).unwrap();
    s.shutdown();
}
