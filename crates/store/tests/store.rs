//! The store's contract: durable commits, group commit, dense change log, refused formats.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Bound;

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
