//! The catalog: every table's definition, persisted in `ddb.tables` and mirrored in memory so
//! that request paths never decode it.
//!
//! Two copies of the map, because the store's readers see only durable state and its write jobs
//! see everything before them:
//! - the writer's copy, changed by write jobs (on the store's single writer thread) in the order
//!   of their transactions, right after writing the persisted record, and read by jobs;
//! - the readers' copy, changed the same way once the job's batch is durable (by the store's
//!   sync thread, `WriteCtx::after_durable`), and read by everything else. A DescribeTable never
//!   shows a definition a crash could still take back.
//!
//! A caller gets the copy for where it runs (`store::on_writer_thread`), so a job cannot read the
//! readers' copy by mistake. A failed commit poisons the store, so the writer's copy never
//! outlives a diverging disk for long.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

use crate::error::DynamoError;
use crate::schema::TableMeta;

const TABLES: &str = "ddb.tables";

/// Tables by region, then by name: each region is a namespace of its own, as on AWS.
type Tables = BTreeMap<String, BTreeMap<String, Arc<TableMeta>>>;

/// The record's key in `ddb.tables`: `region \0 name`.
fn record_key(meta: &TableMeta) -> Vec<u8> {
    let mut key = Vec::with_capacity(meta.region().len() + 1 + meta.table_name.len());
    key.extend_from_slice(meta.region().as_bytes());
    key.push(0);
    key.extend_from_slice(meta.table_name.as_bytes());
    key
}

#[derive(Default)]
pub struct Catalog {
    /// The writer's copy: every job's change, durable or not.
    writer: RwLock<Tables>,
    /// The readers' copy: only durable changes.
    durable: Arc<RwLock<Tables>>,
    /// Tables still stored under the key of the builds that had one namespace for every region
    /// (the bare name): their next put or forget moves or removes that record. Their region is
    /// the one their ARN names.
    legacy: Mutex<HashSet<Vec<u8>>>,
}

impl Catalog {
    pub fn load(read: &ReadCtx) -> Result<Catalog, StoreError> {
        let mut tables = Tables::new();
        let mut legacy = HashSet::new();
        let mut bad = None;
        read.scan(
            TABLES,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            false,
            |key, v| match serde_json::from_slice::<TableMeta>(v) {
                Ok(meta) => {
                    if !key.contains(&0) {
                        legacy.insert(record_key(&meta));
                    }
                    insert(&mut tables, Arc::new(meta));
                    ScanControl::Continue
                }
                Err(e) => {
                    bad = Some(e.to_string());
                    ScanControl::Stop
                }
            },
        )?;
        if let Some(e) = bad {
            return Err(StoreError::Corrupt(format!("catalog record: {e}")));
        }
        Ok(Catalog {
            writer: RwLock::new(tables.clone()),
            durable: Arc::new(RwLock::new(tables)),
            legacy: Mutex::new(legacy),
        })
    }

    /// The copy the caller must see: the writer's inside a write job, else the durable one.
    fn tables(&self) -> &RwLock<Tables> {
        if store::on_writer_thread() {
            &self.writer
        } else {
            &self.durable
        }
    }

    /// The table `name` of `region`.
    pub fn get(&self, region: &str, name: &str) -> Option<Arc<TableMeta>> {
        self.tables().read().ok()?.get(region)?.get(name).cloned()
    }

    /// The table, or DynamoDB's data-plane "Requested resource not found" (also while a
    /// restore fills it: it is CREATING).
    pub fn require(&self, region: &str, name: &str) -> Result<Arc<TableMeta>, DynamoError> {
        self.get(region, name)
            .filter(|m| !m.restoring())
            .ok_or_else(DynamoError::not_found)
    }

    /// The names of `region`'s tables, in order.
    pub fn names(&self, region: &str) -> Vec<String> {
        self.tables()
            .read()
            .ok()
            .and_then(|t| t.get(region).map(|r| r.keys().cloned().collect()))
            .unwrap_or_default()
    }

    /// Every table of `region`.
    pub fn all_in(&self, region: &str) -> Vec<Arc<TableMeta>> {
        self.tables()
            .read()
            .ok()
            .and_then(|t| t.get(region).map(|r| r.values().cloned().collect()))
            .unwrap_or_default()
    }

    /// Every table of every region.
    pub fn all(&self) -> Vec<Arc<TableMeta>> {
        self.tables()
            .read()
            .map(|t| t.values().flat_map(|r| r.values().cloned()).collect())
            .unwrap_or_default()
    }

    /// Whether any table is as `pred` says, without copying the map.
    pub fn any(&self, pred: impl Fn(&TableMeta) -> bool) -> bool {
        self.tables()
            .read()
            .is_ok_and(|t| t.values().flat_map(|r| r.values()).any(|m| pred(m)))
    }

    /// Persists `meta` in the job's transaction and publishes it.
    pub fn put(
        &self,
        ctx: &mut WriteCtx<'_>,
        meta: TableMeta,
    ) -> Result<Arc<TableMeta>, StoreError> {
        let bytes = serde_json::to_vec(&meta).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.leave_legacy_key(ctx, &meta)?;
        ctx.insert(TABLES, &record_key(&meta), &bytes)?;
        let previous = self.get(meta.region(), &meta.table_name);
        crate::stream_registry::sync(ctx, previous.as_deref(), Some(&meta))?;
        crate::data_keys::sync(ctx, previous.as_deref(), Some(&meta))?;
        let meta = Arc::new(meta);
        if let Ok(mut t) = self.writer.write() {
            insert(&mut t, meta.clone());
        }
        let (durable, published) = (self.durable.clone(), meta.clone());
        ctx.after_durable(move || {
            if let Ok(mut t) = durable.write() {
                insert(&mut t, published);
            }
        });
        Ok(meta)
    }

    /// Forgets a table's definition in the job's transaction (its data goes with
    /// `removal::remove_table`, which calls this).
    pub fn forget(&self, ctx: &mut WriteCtx<'_>, meta: &TableMeta) -> Result<(), StoreError> {
        self.leave_legacy_key(ctx, meta)?;
        ctx.remove(TABLES, &record_key(meta))?;
        crate::stream_registry::sync(ctx, Some(meta), None)?;
        crate::data_keys::sync(ctx, Some(meta), None)?;
        if let Ok(mut t) = self.writer.write() {
            remove(&mut t, meta.region(), &meta.table_name);
        }
        let durable = self.durable.clone();
        let (region, name) = (meta.region().to_string(), meta.table_name.clone());
        ctx.after_durable(move || {
            if let Ok(mut t) = durable.write() {
                remove(&mut t, &region, &name);
            }
        });
        Ok(())
    }

    /// Removes the record of an earlier build's key (the bare name) of this very table, if
    /// there is one: the caller writes or removes it under its regional key. (A failed commit
    /// poisons the store, so forgetting it before the commit is safe.)
    fn leave_legacy_key(&self, ctx: &mut WriteCtx<'_>, meta: &TableMeta) -> Result<(), StoreError> {
        let key = record_key(meta);
        let held = self.legacy.lock().is_ok_and(|l| l.contains(&key));
        if held {
            ctx.remove(TABLES, meta.table_name.as_bytes())?;
            if let Ok(mut l) = self.legacy.lock() {
                l.remove(&key);
            }
        }
        Ok(())
    }
}

/// One region's tables: the namespace a request sees.
#[derive(Clone, Copy)]
pub struct Namespace<'a> {
    pub catalog: &'a Catalog,
    pub region: &'a str,
}

impl Namespace<'_> {
    pub fn get(&self, name: &str) -> Option<Arc<TableMeta>> {
        self.catalog.get(self.region, name)
    }

    pub fn require(&self, name: &str) -> Result<Arc<TableMeta>, DynamoError> {
        self.catalog.require(self.region, name)
    }
}

fn insert(tables: &mut Tables, meta: Arc<TableMeta>) {
    tables
        .entry(meta.region().to_string())
        .or_default()
        .insert(meta.table_name.clone(), meta);
}

fn remove(tables: &mut Tables, region: &str, name: &str) {
    if let Some(r) = tables.get_mut(region) {
        r.remove(name);
        if r.is_empty() {
            tables.remove(region);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::{mpsc, Mutex};
    use std::time::Duration;

    use store::Store;

    use super::*;

    fn meta(name: &str) -> TableMeta {
        meta_in("us-east-1", name)
    }

    fn meta_in(region: &str, name: &str) -> TableMeta {
        serde_json::from_value(serde_json::json!({
            "TableName": name,
            "TableId": format!("{region}-{name}"),
            "TableArn": format!("arn:aws:dynamodb:{region}:000000000000:table/{name}"),
            "CreationDateTime": 0.0,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "Throughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
        }))
        .unwrap()
    }

    /// Runs `job` with the store's sync thread held, and returns what the job saw of the
    /// catalog and what a reader saw while the batch was not yet durable.
    async fn while_not_durable(
        store: &Store,
        gate: &Mutex<()>,
        catalog: &Arc<Catalog>,
        job: impl FnOnce(&Catalog, &mut WriteCtx<'_>) -> Result<(), StoreError> + Send + 'static,
    ) -> (bool, bool) {
        let (saw, seen) = mpsc::channel();
        let held = gate.lock().unwrap();
        let write = {
            let (s, c) = (store.clone(), catalog.clone());
            tokio::spawn(async move {
                s.write(move |ctx| {
                    job(&c, ctx)?;
                    let _ = saw.send(c.get("us-east-1", "t").is_some());
                    Ok(())
                })
                .await
            })
        };
        let in_job = seen.recv_timeout(Duration::from_secs(10)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let outside =
            catalog.get("us-east-1", "t").is_some() || !catalog.names("us-east-1").is_empty();
        drop(held);
        write.await.unwrap().unwrap();
        (in_job, outside)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn readers_see_a_definition_only_once_its_batch_is_durable() {
        let gate = Arc::new(Mutex::new(()));
        let store = Store::in_memory_with(store::Options {
            sync_gate: Some(gate.clone()),
            ..store::Options::default()
        })
        .unwrap();
        let catalog = Arc::new(Catalog::load(&store.read().unwrap()).unwrap());

        let (in_job, outside) = while_not_durable(&store, &gate, &catalog, |c, ctx| {
            c.put(ctx, meta("t")).map(drop)
        })
        .await;
        assert!(in_job, "a job sees the jobs before it");
        assert!(
            !outside,
            "a reader saw a table before its creation was durable"
        );
        assert!(catalog.get("us-east-1", "t").is_some());
        assert_eq!(catalog.names("us-east-1"), vec!["t".to_string()]);

        let (in_job, outside) = while_not_durable(&store, &gate, &catalog, |c, ctx| {
            let m = c
                .get("us-east-1", "t")
                .expect("the writer's copy has the table");
            c.forget(ctx, &m)
        })
        .await;
        assert!(!in_job);
        assert!(
            outside,
            "a reader lost a table before its deletion was durable"
        );
        assert!(catalog.get("us-east-1", "t").is_none());
        store.shutdown();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn each_region_has_its_own_names() {
        let store = Store::in_memory().unwrap();
        let catalog = Arc::new(Catalog::load(&store.read().unwrap()).unwrap());
        let c = catalog.clone();
        store
            .write(move |ctx| {
                c.put(ctx, meta_in("us-east-1", "t"))?;
                c.put(ctx, meta_in("eu-west-1", "t"))?;
                c.put(ctx, meta_in("eu-west-1", "u"))
            })
            .await
            .unwrap();
        assert_eq!(catalog.names("us-east-1"), vec!["t".to_string()]);
        assert_eq!(
            catalog.names("eu-west-1"),
            vec!["t".to_string(), "u".to_string()]
        );
        assert!(catalog.names("ap-south-1").is_empty());
        assert_eq!(
            catalog.get("eu-west-1", "t").unwrap().table_id,
            "eu-west-1-t"
        );
        assert_eq!(catalog.all().len(), 3);
        // Loaded again from the store: the same three, in their regions.
        let again = Catalog::load(&store.read().unwrap()).unwrap();
        assert_eq!(again.get("us-east-1", "t").unwrap().table_id, "us-east-1-t");
        assert!(again.get("us-east-1", "u").is_none());
        store.shutdown();
    }

    /// A data directory of the builds with one namespace keeps each table under its bare name:
    /// it is found in the region its ARN names, and moves to its regional key when next put.
    #[tokio::test(flavor = "multi_thread")]
    async fn tables_under_a_bare_name_live_in_their_arns_region() {
        let store = Store::in_memory().unwrap();
        let old = serde_json::to_vec(&meta_in("eu-west-1", "t")).unwrap();
        store
            .write(move |ctx| ctx.insert(TABLES, b"t", &old))
            .await
            .unwrap();
        let catalog = Arc::new(Catalog::load(&store.read().unwrap()).unwrap());
        assert!(catalog.get("us-east-1", "t").is_none());
        let found = catalog.get("eu-west-1", "t").unwrap();
        // Another region's table of the same name is a table of its own.
        let c = catalog.clone();
        store
            .write(move |ctx| c.put(ctx, meta_in("us-east-1", "t")).map(drop))
            .await
            .unwrap();
        let keys = |store: &Store| {
            let mut keys = Vec::new();
            store
                .read()
                .unwrap()
                .scan(
                    TABLES,
                    (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
                    false,
                    |k, _| {
                        keys.push(String::from_utf8_lossy(k).into_owned());
                        ScanControl::Continue
                    },
                )
                .unwrap();
            keys
        };
        assert_eq!(keys(&store), vec!["t", "us-east-1\0t"]);
        let c = catalog.clone();
        store
            .write(move |ctx| c.put(ctx, (*found).clone()).map(drop))
            .await
            .unwrap();
        assert_eq!(keys(&store), vec!["eu-west-1\0t", "us-east-1\0t"]);
        let again = Catalog::load(&store.read().unwrap()).unwrap();
        assert_eq!(again.get("eu-west-1", "t").unwrap().table_id, "eu-west-1-t");
        assert_eq!(again.get("us-east-1", "t").unwrap().table_id, "us-east-1-t");
        store.shutdown();
    }
}
