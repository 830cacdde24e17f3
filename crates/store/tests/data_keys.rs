//! Data keys: values of a table with a key assigned open only while the store holds the key,
//! whatever path took them to the database (a fold, the log's replay), and re-sealing moves
//! them to another key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

use store::{Options, ScanControl, Store, StoreError};

const KEY_A: [u8; 32] = [1; 32];
const KEY_B: [u8; 32] = [2; 32];

fn held_log() -> Options {
    Options {
        idle_checkpoint: Duration::from_secs(3600),
        ..Options::default()
    }
}

/// Writes 40 values into `ddb.items.t` (short and long ones) with a change record of that
/// table each, and one value into `other`, which has no key.
async fn write_values(s: &Store) {
    for i in 0u32..40 {
        s.write(move |ctx| {
            let v = vec![b'v'; 10 + (i as usize) * 20];
            ctx.insert("ddb.items.t", &i.to_be_bytes(), &v)?;
            ctx.append_change_of("ddb.items.t", format!("{{\"n\":{i}}}").as_bytes())?;
            Ok(())
        })
        .await
        .unwrap();
    }
    s.write(|ctx| {
        ctx.insert("other", b"k", b"plain")?;
        Ok(())
    })
    .await
    .unwrap();
}

fn scan_all(s: &Store, name: &str) -> Result<usize, StoreError> {
    let mut n = 0;
    s.read()?
        .scan(name, (Bound::Unbounded, Bound::Unbounded), false, |_, _| {
            n += 1;
            ScanControl::Continue
        })?;
    Ok(n)
}

fn changes(s: &Store) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    s.read()?.changes(0, |_, r| {
        out.push(String::from_utf8_lossy(r).into_owned());
        ScanControl::Continue
    })?;
    Ok(out)
}

async fn assign(s: &Store, number: u64) {
    s.write(move |ctx| ctx.assign_data_key("ddb.items.t", Some(number)))
        .await
        .unwrap();
}

/// Reseals the whole table, a few keys per job.
async fn reseal(s: &Store) {
    let mut after: Option<Vec<u8>> = None;
    loop {
        let from = after.clone();
        let last = s
            .write(move |ctx| ctx.reseal("ddb.items.t", from.as_deref(), 7))
            .await
            .unwrap();
        match last {
            Some(k) => after = Some(k),
            None => break,
        }
    }
    let mut from = Some(0);
    while let Some(seq) = from {
        from = s
            .write(move |ctx| ctx.reseal_changes("ddb.items.t", seq, 7))
            .await
            .unwrap();
    }
    s.write(|ctx| ctx.resealed("ddb.items.t")).await.unwrap();
}

fn reopen(dir: &Path, keys: &[(u64, [u8; 32])]) -> Store {
    let s = Store::open_dir(dir).unwrap();
    for (n, k) in keys {
        s.add_data_key(*n, k).unwrap();
    }
    s
}

/// A data directory whose `ddb.items.t` values and change records are folded under key 1.
async fn folded_under_key_a() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_dir(dir.path()).unwrap();
    s.add_data_key(1, &KEY_A).unwrap();
    assign(&s, 1).await;
    write_values(&s).await;
    s.shutdown();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn folded_values_and_changes_open_only_with_their_key() {
    let dir = folded_under_key_a().await;

    let s = reopen(dir.path(), &[]);
    let refused = scan_all(&s, "ddb.items.t");
    assert!(
        matches!(refused, Err(StoreError::KeyUnavailable(1))),
        "{refused:?}"
    );
    // Change records read as their header: the table they belong to, nothing of the change.
    let locked = changes(&s).unwrap();
    assert_eq!(locked.len(), 40);
    assert!(locked
        .iter()
        .all(|r| r.ends_with("ddb.items.t") && !r.contains("\"n\"")));
    assert!(s
        .read()
        .unwrap()
        .get("ddb.items.t", &3u32.to_be_bytes())
        .is_err());
    assert_eq!(
        scan_all(&s, "other").unwrap(),
        1,
        "a table with no key is not sealed"
    );
    assert_eq!(s.unsealed_tables().unwrap(), Vec::<String>::new());
    s.shutdown();
    drop(s);

    // Another key under the same number does not open them either.
    let s = reopen(dir.path(), &[(1, KEY_B)]);
    assert!(matches!(
        scan_all(&s, "ddb.items.t"),
        Err(StoreError::Corrupt(_))
    ));
    s.shutdown();
    drop(s);

    let s = reopen(dir.path(), &[(1, KEY_A)]);
    assert_eq!(scan_all(&s, "ddb.items.t").unwrap(), 40);
    let c = changes(&s).unwrap();
    assert_eq!(c.len(), 40);
    assert_eq!(c[3], "{\"n\":3}");
    s.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn values_replayed_from_the_log_are_listed_and_resealed() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_dir_with(dir.path(), held_log()).unwrap();
    s.add_data_key(1, &KEY_A).unwrap();
    assign(&s, 1).await;
    write_values(&s).await;
    // A crash: the values are in the log only; the replay has no key to seal them with.
    let image = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, image.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    s.shutdown();

    let r = reopen(image.path(), &[]);
    assert_eq!(
        r.unsealed_tables().unwrap(),
        vec!["ddb.items.t".to_string()]
    );
    assert_eq!(scan_all(&r, "ddb.items.t").unwrap(), 40, "written unsealed");
    r.add_data_key(1, &KEY_A).unwrap();
    reseal(&r).await;
    assert_eq!(r.unsealed_tables().unwrap(), Vec::<String>::new());
    r.shutdown();
    drop(r);

    let r = reopen(image.path(), &[]);
    assert!(matches!(
        scan_all(&r, "ddb.items.t"),
        Err(StoreError::KeyUnavailable(1))
    ));
    r.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn resealing_moves_every_value_to_the_new_key() {
    let dir = folded_under_key_a().await;

    let s = reopen(dir.path(), &[(1, KEY_A), (2, KEY_B)]);
    assign(&s, 2).await;
    // Until resealed, both keys' values are there: every value opens.
    s.write(|ctx| {
        ctx.insert("ddb.items.t", b"new", b"under key 2")?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(scan_all(&s, "ddb.items.t").unwrap(), 41);
    reseal(&s).await;
    s.shutdown();
    drop(s);

    let s = reopen(dir.path(), &[(2, KEY_B)]);
    assert_eq!(
        scan_all(&s, "ddb.items.t").unwrap(),
        41,
        "nothing left under key 1"
    );
    let c = changes(&s).unwrap();
    assert_eq!(
        (c.len(), c[5].as_str()),
        (40, "{\"n\":5}"),
        "change records too"
    );
    s.shutdown();
}
