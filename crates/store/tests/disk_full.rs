//! A write-ahead log write that meets a full disk (issue 19): the batch is held, its writer
//! waiting, and it is written once space is freed; the store is never poisoned. Runs on
//! a small tmpfs, mounted for the test (skipped, saying so, where mounting is not allowed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

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

    let writer = s.clone();
    let held = tokio::spawn(async move { put(&writer, "held").await });
    // The log met the full disk: the batch waits, unpublished (readers see only durable
    // state), and its writer unanswered.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!held.is_finished());
    assert!(!has(&s, "held"));
    // Further writes are refused before they run, without waiting for a look at the disk.
    assert!(matches!(
        put(&s, "refused").await,
        Err(StoreError::DiskFull)
    ));
    assert!(has(&s, "before"));

    std::fs::remove_file(filler).unwrap();
    tokio::time::timeout(Duration::from_secs(10), held)
        .await
        .expect("the held batch was never written")
        .unwrap()
        .unwrap();
    assert!(has(&s, "held"));
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

#[tokio::test(flavor = "multi_thread")]
async fn a_fold_waits_for_room_instead_of_failing_redb() {
    let Some(disk) = SmallDisk::mount(48) else {
        return;
    };
    let options = Options {
        disk_reserve: 0,
        idle_checkpoint: Duration::from_millis(300),
        ..Options::default()
    };
    let s = Store::open_dir_with(&disk.dir, options.clone()).unwrap();
    let keys: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
    for key in &keys {
        put(&s, key).await.unwrap();
    }
    // The disk fills while the generation is still in memory; the pause that follows would
    // fold it into redb, which fails for good on a full disk.
    let filler = fill(&disk.dir);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(matches!(
        put(&s, "refused").await,
        Err(StoreError::DiskFull)
    ));
    assert!(keys.iter().all(|k| has(&s, k)), "reads go on");

    std::fs::remove_file(filler).unwrap();
    let mut resumed = false;
    for _ in 0..100 {
        if put(&s, "after").await.is_ok() {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(resumed, "writes never resumed");
    // The fold happens once there is room, and nothing was lost.
    tokio::time::sleep(Duration::from_secs(1)).await;
    s.shutdown();
    drop(s);
    let s = Store::open_dir_with(&disk.dir, options).unwrap();
    assert!(keys.iter().all(|k| has(&s, k)));
    assert!(has(&s, "after") && !has(&s, "refused"));
    s.shutdown();
}
