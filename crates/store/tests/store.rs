//! The store's contract: durable commits, group commit, dense change log, refused formats,
//! nothing seen before it is durable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Bound;
use std::sync::atomic::Ordering;
use std::time::Duration;

use store::{ScanControl, Store, StoreError};

#[tokio::test(flavor = "multi_thread")]
async fn writes_survive_reopen_and_log_in_order() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open_dir(dir.path()).unwrap();
        for i in 0u32..10 {
            s.write(move |ctx| {
                ctx.insert("t", &i.to_be_bytes(), b"v")?;
                ctx.append_change(&i.to_be_bytes())?;
                Ok(())
            })
            .await
            .unwrap();
        }
        s.shutdown();
    }
    let s = Store::open_dir(dir.path()).unwrap();
    let r = s.read().unwrap();
    let mut keys = 0;
    r.scan("t", (Bound::Unbounded, Bound::Unbounded), false, |_, _| {
        keys += 1;
        ScanControl::Continue
    })
    .unwrap();
    assert_eq!(keys, 10);
    let mut seqs = Vec::new();
    r.changes(1, |seq, rec| {
        seqs.push((seq, u32::from_be_bytes(rec.try_into().unwrap())));
        ScanControl::Continue
    })
    .unwrap();
    assert_eq!(
        seqs,
        (0..10).map(|i| (u64::from(i) + 1, i)).collect::<Vec<_>>()
    );
    // The sequence carries on after a reopen.
    let seq = s.write(|ctx| ctx.append_change(b"x")).await.unwrap();
    assert_eq!(seq, 11);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_jobs_are_serialised() {
    let s = Store::in_memory().unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.write(|ctx| {
                    let cur = ctx
                        .get("c", b"n")?
                        .map_or(0u64, |v| u64::from_be_bytes(v.try_into().unwrap_or([0; 8])));
                    ctx.insert("c", b"n", &(cur + 1).to_be_bytes())?;
                    Ok(())
                })
                .await
                .unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let v = s.read().unwrap().get("c", b"n").unwrap().unwrap();
    assert_eq!(u64::from_be_bytes(v.try_into().unwrap()), 64);
}

#[tokio::test(flavor = "multi_thread")]
async fn refuses_an_unknown_format_version() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = redb::Database::create(dir.path().join(store::DB_FILE)).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx
                .open_table(redb::TableDefinition::<&str, &[u8]>::new("store.meta"))
                .unwrap();
            t.insert("format_version", 99u64.to_be_bytes().as_slice())
                .unwrap();
        }
        tx.commit().unwrap();
    }
    match Store::open_dir(dir.path()) {
        Err(StoreError::Corrupt(m)) => assert!(m.contains("99"), "{m}"),
        Err(e) => panic!("unexpected {e}"),
        Ok(_) => panic!("opened a database of an unknown format"),
    }
}

/// What a crash leaves on disk while the store is idle between checkpoints: a copy of the
/// data directory, taken while the store still runs.
fn crash_image(from: &std::path::Path) -> tempfile::TempDir {
    let image = tempfile::tempdir().unwrap();
    for name in [store::DB_FILE, store::WAL_FILE] {
        std::fs::copy(from.join(name), image.path().join(name)).unwrap();
    }
    image
}

fn keys_in(s: &Store, table: &str) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    s.read()
        .unwrap()
        .scan(
            table,
            (Bound::Unbounded, Bound::Unbounded),
            false,
            |k, _| {
                keys.push(k.to_vec());
                ScanControl::Continue
            },
        )
        .unwrap();
    keys
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_survive_a_crash_through_the_write_ahead_log() {
    let dir = tempfile::tempdir().unwrap();
    let opts = store::Options {
        idle_checkpoint: Duration::from_secs(3600),
        ..store::Options::default()
    };
    let s = Store::open_dir_with(dir.path(), opts.clone()).unwrap();
    for i in 0u32..200 {
        s.write(move |ctx| {
            ctx.insert("t", &i.to_be_bytes(), b"v")?;
            ctx.insert("gone", &i.to_be_bytes(), b"v")?;
            ctx.append_change(&i.to_be_bytes())?;
            Ok(())
        })
        .await
        .unwrap();
    }
    s.write(|ctx| {
        ctx.remove("t", &7u32.to_be_bytes())?;
        ctx.drop_table("gone")
    })
    .await
    .unwrap();
    let want: Vec<Vec<u8>> = (0u32..200)
        .filter(|i| *i != 7)
        .map(|i| i.to_be_bytes().to_vec())
        .collect();

    // With the log: everything acknowledged, in order.
    let image = crash_image(dir.path());
    let r = Store::open_dir(image.path()).unwrap();
    assert_eq!(keys_in(&r, "t"), want);
    assert!(keys_in(&r, "gone").is_empty());
    assert_eq!(r.read().unwrap().last_change().unwrap(), Some(200));
    r.shutdown();
    drop(r);
    // Replayed once, checkpointed, the log emptied: a second open finds the same.
    assert_eq!(
        std::fs::metadata(image.path().join(store::WAL_FILE))
            .unwrap()
            .len(),
        0
    );
    let r = Store::open_dir(image.path()).unwrap();
    assert_eq!(keys_in(&r, "t"), want);
    r.shutdown();
    drop(r);

    // A torn last frame (a batch never acknowledged) is ignored.
    let torn = crash_image(dir.path());
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(torn.path().join(store::WAL_FILE))
        .unwrap();
    std::io::Write::write_all(&mut log, &[40, 0, 0, 0, 1, 2, 3, 4, 9, 9]).unwrap();
    let r = Store::open_dir(torn.path()).unwrap();
    assert_eq!(keys_in(&r, "t"), want);
    r.shutdown();
    drop(r);

    // Without the log the database alone lacks them: they were durable through the log only.
    let bare = crash_image(dir.path());
    std::fs::remove_file(bare.path().join(store::WAL_FILE)).unwrap();
    let r = Store::open_dir(bare.path()).unwrap();
    assert!(keys_in(&r, "t").len() < want.len());
    r.shutdown();
    drop(r);

    // A clean shutdown checkpoints: the database alone then holds everything.
    s.shutdown();
    drop(s);
    std::fs::remove_file(dir.path().join(store::WAL_FILE)).unwrap();
    let r = Store::open_dir_with(dir.path(), opts).unwrap();
    assert_eq!(keys_in(&r, "t"), want);
    r.shutdown();
    drop(r);
}

#[tokio::test(flavor = "multi_thread")]
async fn readers_and_after_durable_changes_wait_for_the_batch_to_be_durable() {
    let dir = tempfile::tempdir().unwrap();
    let gate = std::sync::Arc::new(std::sync::Mutex::new(()));
    let opts = store::Options {
        sync_gate: Some(gate.clone()),
        ..store::Options::default()
    };
    let s = Store::open_dir_with(dir.path(), opts).unwrap();
    let applied = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ran, job_ran) = std::sync::mpsc::channel();
    let held = gate.lock().unwrap();
    let write = {
        let (s, applied) = (s.clone(), applied.clone());
        tokio::spawn(async move {
            s.write(move |ctx| {
                ctx.insert("t", b"k", b"v")?;
                ctx.after_durable(move || applied.store(true, Ordering::SeqCst));
                let _ = ran.send(store::on_writer_thread());
                Ok(())
            })
            .await
        })
    };
    // The job ran and its batch is committed, but the sync thread is held: not durable yet.
    assert!(job_ran.recv_timeout(Duration::from_secs(10)).unwrap());
    assert!(!store::on_writer_thread());
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(s.read().unwrap().get("t", b"k").unwrap(), None);
    assert!(!applied.load(Ordering::SeqCst));
    assert!(!write.is_finished());
    drop(held);
    write.await.unwrap().unwrap();
    // Released with the reply, never after it.
    assert!(applied.load(Ordering::SeqCst));
    assert_eq!(
        s.read().unwrap().get("t", b"k").unwrap(),
        Some(b"v".to_vec())
    );
    s.shutdown();
}
