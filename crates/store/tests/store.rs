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

/// Writes a database file directly with redb, stamped with format `version`, plus what `fill`
/// writes: what a build of another format left.
fn raw_database(dir: &std::path::Path, version: u64, fill: impl FnOnce(&redb::WriteTransaction)) {
    let db = redb::Database::create(dir.join(store::DB_FILE)).unwrap();
    let tx = db.begin_write().unwrap();
    {
        let mut meta = tx
            .open_table(redb::TableDefinition::<&str, &[u8]>::new("store.meta"))
            .unwrap();
        meta.insert("format_version", version.to_be_bytes().as_slice())
            .unwrap();
    }
    fill(&tx);
    tx.commit().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn refuses_an_unknown_format_version() {
    let dir = tempfile::tempdir().unwrap();
    raw_database(dir.path(), 99, |_| {});
    match Store::open_dir(dir.path()) {
        Err(StoreError::Corrupt(m)) => assert!(m.contains("99"), "{m}"),
        Err(e) => panic!("unexpected {e}"),
        Ok(_) => panic!("opened a database of an unknown format"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn migrates_a_format_1_database() {
    // Format 1 stored values untagged, in the key trees; format 2 tags them and keeps long
    // ones apart. A format-1 file, written the way that format's builds wrote it:
    let dir = tempfile::tempdir().unwrap();
    let long = vec![7u8; 1000];
    raw_database(dir.path(), 1, |tx| {
        let mut t = tx
            .open_table(redb::TableDefinition::<&[u8], &[u8]>::new("items"))
            .unwrap();
        t.insert(&b"a"[..], long.as_slice()).unwrap();
        t.insert(&b"b"[..], &b"xyz"[..]).unwrap();
        let mut log = tx
            .open_table(redb::TableDefinition::<u64, &[u8]>::new("store.changelog"))
            .unwrap();
        log.insert(1, &b"record"[..]).unwrap();
    });
    {
        let s = Store::open_dir(dir.path()).unwrap();
        let r = s.read().unwrap();
        assert_eq!(r.get("items", b"a").unwrap(), Some(long.clone()));
        assert_eq!(r.get("items", b"b").unwrap(), Some(b"xyz".to_vec()));
        assert_eq!(keys_in(&s, "items"), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(r.last_change().unwrap(), Some(1));
        s.write(|ctx| {
            ctx.insert("items", b"a", b"short")?;
            ctx.remove("items", b"b")?;
            Ok(())
        })
        .await
        .unwrap();
        s.shutdown();
    }
    let s = Store::open_dir(dir.path()).unwrap();
    let r = s.read().unwrap();
    assert_eq!(r.get("items", b"a").unwrap(), Some(b"short".to_vec()));
    assert_eq!(r.get("items", b"b").unwrap(), None);
    s.shutdown();
}

/// What a crash leaves on disk while the store is idle between checkpoints: a copy of the
/// data directory, taken while the store still runs.
fn crash_image(from: &std::path::Path) -> tempfile::TempDir {
    let image = tempfile::tempdir().unwrap();
    for name in std::iter::once(store::DB_FILE).chain(store::WAL_FILES) {
        std::fs::copy(from.join(name), image.path().join(name)).unwrap();
    }
    // The keys the files are encrypted under are part of the directory.
    for name in [store::custody::KEYS_FILE, store::custody::MASTER_FILE] {
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
    for name in store::WAL_FILES {
        assert_eq!(std::fs::metadata(image.path().join(name)).unwrap().len(), 0);
    }
    let r = Store::open_dir(image.path()).unwrap();
    assert_eq!(keys_in(&r, "t"), want);
    r.shutdown();
    drop(r);

    // A torn last frame (a batch never acknowledged) is ignored.
    let torn = crash_image(dir.path());
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(torn.path().join(store::WAL_FILES[0]))
        .unwrap();
    std::io::Write::write_all(&mut log, &[40, 0, 0, 0, 1, 2, 3, 4, 9, 9]).unwrap();
    let r = Store::open_dir(torn.path()).unwrap();
    assert_eq!(keys_in(&r, "t"), want);
    r.shutdown();
    drop(r);

    // Without the log the database alone lacks them: they were durable through the log only.
    let bare = crash_image(dir.path());
    for name in store::WAL_FILES {
        std::fs::remove_file(bare.path().join(name)).unwrap();
    }
    let r = Store::open_dir(bare.path()).unwrap();
    assert!(keys_in(&r, "t").len() < want.len());
    r.shutdown();
    drop(r);

    // A clean shutdown checkpoints: the database alone then holds everything.
    s.shutdown();
    drop(s);
    for name in store::WAL_FILES {
        std::fs::remove_file(dir.path().join(name)).unwrap();
    }
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

/// What the store must hold: each table's keys and values, and the change log.
#[derive(Default, Clone, PartialEq, Debug)]
struct Model {
    tables: std::collections::BTreeMap<String, std::collections::BTreeMap<Vec<u8>, Vec<u8>>>,
    changes: Vec<Vec<u8>>,
}

type KeyRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

fn scan_all(
    r: &store::ReadCtx,
    table: &str,
    range: KeyRange<'_>,
    reverse: bool,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    r.scan(table, range, reverse, |k, v| {
        out.push((k.to_vec(), v.to_vec()));
        ScanControl::Continue
    })
    .unwrap();
    out
}

/// Every way of reading agrees with the model: gets, scans both ways over ranges of each bound
/// kind, and the change log.
fn check(s: &Store, model: &Model, step: usize) {
    let r = s.read().unwrap();
    for table in ["a", "b"] {
        let empty = std::collections::BTreeMap::new();
        let want = model.tables.get(table).unwrap_or(&empty);
        for key in 0u8..40 {
            assert_eq!(
                r.get(table, &[key]).unwrap().as_ref(),
                want.get(&vec![key]),
                "step {step}: get {table} {key}"
            );
        }
        let (lo, hi) = ([7u8], [29u8]);
        let ranges: [KeyRange<'_>; 4] = [
            (Bound::Unbounded, Bound::Unbounded),
            (Bound::Included(&lo), Bound::Excluded(&hi)),
            (Bound::Excluded(&lo), Bound::Included(&hi)),
            (Bound::Included(&hi), Bound::Unbounded),
        ];
        for range in ranges {
            let mut expected: Vec<(Vec<u8>, Vec<u8>)> = want
                .range::<[u8], _>(range)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(
                scan_all(&r, table, range, false),
                expected,
                "step {step}: scan {table} {range:?}"
            );
            expected.reverse();
            assert_eq!(
                scan_all(&r, table, range, true),
                expected,
                "step {step}: reverse scan {table} {range:?}"
            );
        }
    }
    let mut changes = Vec::new();
    r.changes(3, |seq, rec| {
        changes.push((seq, rec.to_vec()));
        ScanControl::Continue
    })
    .unwrap();
    let want: Vec<(u64, Vec<u8>)> = (1u64..)
        .zip(model.changes.iter().cloned())
        .skip(2)
        .collect();
    assert_eq!(changes, want, "step {step}: changes");
    assert_eq!(
        r.last_change().unwrap(),
        (!model.changes.is_empty()).then_some(model.changes.len() as u64)
    );
}

/// Writes spread over several memtable generations — folded into the file while later writes
/// arrive, with removals and dropped tables in between — read back the same from every layer,
/// in the writer's jobs and in readers' snapshots, and after a crash through both log files.
#[tokio::test(flavor = "multi_thread")]
async fn reads_agree_across_the_memtable_its_folds_and_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    // Writes pausing for 2 ms freeze the generation: the pauses below fold often.
    let opts = store::Options {
        idle_checkpoint: Duration::from_millis(2),
        ..store::Options::default()
    };
    let s = Store::open_dir_with(dir.path(), opts).unwrap();
    let mut model = Model::default();
    let mut rng = 0x2545_f491_u64;
    let mut next = move |n: u64| {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (rng >> 33) % n
    };
    for step in 0..400 {
        let table = if next(3) == 0 { "b" } else { "a" };
        let key = vec![next(40) as u8];
        let roll = next(100);
        let t = table.to_owned();
        let tables = model.tables.entry(t.clone()).or_default();
        if roll < 55 {
            let value = format!("{step}").into_bytes();
            let (k, v) = (key.clone(), value.clone());
            let before = tables.insert(key, value.clone());
            let (old, seen) = s
                .write(move |ctx| {
                    let old = ctx.insert(&t, &k, &v)?;
                    Ok((old, ctx.get(&t, &k)?))
                })
                .await
                .unwrap();
            assert_eq!(old, before, "step {step}: insert returns the old value");
            assert_eq!(seen, Some(value), "step {step}: a job sees its own write");
        } else if roll < 85 {
            let before = tables.remove(&key);
            let k = key.clone();
            let old = s.write(move |ctx| ctx.remove(&t, &k)).await.unwrap();
            assert_eq!(old, before, "step {step}: remove returns the old value");
        } else if roll < 88 {
            tables.clear();
            s.write(move |ctx| ctx.drop_table(&t)).await.unwrap();
        } else {
            let record = format!("c{step}").into_bytes();
            model.changes.push(record.clone());
            let seq = s
                .write(move |ctx| ctx.append_change(&record))
                .await
                .unwrap();
            assert_eq!(seq, model.changes.len() as u64);
        }
        if next(10) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        check(&s, &model, step);
    }
    // The writer's own view agrees too: a job scans what the readers scanned.
    let want = model.tables.get("a").cloned().unwrap_or_default();
    let seen = s
        .write(|ctx| {
            let mut out = std::collections::BTreeMap::new();
            ctx.scan("a", (Bound::Unbounded, Bound::Unbounded), false, |k, v| {
                out.insert(k.to_vec(), v.to_vec());
                ScanControl::Continue
            })?;
            Ok(out)
        })
        .await
        .unwrap();
    assert_eq!(seen, want);

    // A crash now: the database lacks the last generation, which only the log holds.
    let image = crash_image(dir.path());
    let r = Store::open_dir(image.path()).unwrap();
    check(&r, &model, usize::MAX);
    r.shutdown();
    // And a clean stop leaves it all in the database.
    s.shutdown();
    drop(s);
    let r = Store::open_dir(dir.path()).unwrap();
    check(&r, &model, usize::MAX);
    r.shutdown();
}

/// A batch whose only write is an empty key with an empty value still changes the store: it is
/// logged, visible once acknowledged, and survives a crash.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_key_and_value_is_a_write_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let opts = store::Options {
        idle_checkpoint: Duration::from_secs(3600),
        ..store::Options::default()
    };
    let s = Store::open_dir_with(dir.path(), opts).unwrap();
    s.write(|ctx| ctx.insert("t", b"", b"")).await.unwrap();
    assert_eq!(s.read().unwrap().get("t", b"").unwrap(), Some(Vec::new()));
    let image = crash_image(dir.path());
    let r = Store::open_dir(image.path()).unwrap();
    assert_eq!(r.read().unwrap().get("t", b"").unwrap(), Some(Vec::new()));
    r.shutdown();
    s.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn trimmed_changes_stay_trimmed_across_a_crash_and_the_newest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let opts = store::Options {
        idle_checkpoint: Duration::from_secs(3600),
        ..store::Options::default()
    };
    let s = Store::open_dir_with(dir.path(), opts).unwrap();
    for i in 0u32..20 {
        s.write(move |ctx| ctx.append_change(&i.to_be_bytes()).map(|_| ()))
            .await
            .unwrap();
    }
    s.write(|ctx| ctx.trim_changes(0..15)).await.unwrap();
    let seqs = |s: &Store| {
        let mut seqs = Vec::new();
        s.read()
            .unwrap()
            .changes(0, |seq, _| {
                seqs.push(seq);
                ScanControl::Continue
            })
            .unwrap();
        seqs
    };
    assert_eq!(seqs(&s), (15..=20).collect::<Vec<u64>>());
    assert_eq!(s.read().unwrap().first_change().unwrap(), Some(15));
    // Asking for everything keeps the newest record: the sequence must go on after a restart.
    s.write(|ctx| ctx.trim_changes(0..u64::MAX)).await.unwrap();
    assert_eq!(seqs(&s), vec![20]);
    // Replayed from the log after a crash, the trim holds; the sequence goes on.
    let image = crash_image(dir.path());
    let r = Store::open_dir(image.path()).unwrap();
    assert_eq!(seqs(&r), vec![20]);
    assert_eq!(r.write(|ctx| ctx.append_change(b"x")).await.unwrap(), 21);
    r.shutdown();
    s.shutdown();
}
