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

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

use crate::error::DynamoError;
use crate::schema::TableMeta;

const TABLES: &str = "ddb.tables";

type Tables = BTreeMap<String, Arc<TableMeta>>;

#[derive(Default)]
pub struct Catalog {
    /// The writer's copy: every job's change, durable or not.
    writer: RwLock<Tables>,
    /// The readers' copy: only durable changes.
    durable: Arc<RwLock<Tables>>,
}

impl Catalog {
    pub fn load(read: &ReadCtx) -> Result<Catalog, StoreError> {
        let mut tables = BTreeMap::new();
        let mut bad = None;
        read.scan(
            TABLES,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            false,
            |_, v| match serde_json::from_slice::<TableMeta>(v) {
                Ok(meta) => {
                    tables.insert(meta.table_name.clone(), Arc::new(meta));
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

    pub fn get(&self, name: &str) -> Option<Arc<TableMeta>> {
        self.tables().read().ok()?.get(name).cloned()
    }

    /// The table, or DynamoDB's data-plane "Requested resource not found" (also while a
    /// restore fills it: it is CREATING).
    pub fn require(&self, name: &str) -> Result<Arc<TableMeta>, DynamoError> {
        self.get(name)
            .filter(|m| !m.restoring())
            .ok_or_else(DynamoError::not_found)
    }

    /// Names in order, from after `start` (exclusive), at most `limit`.
    pub fn names(&self) -> Vec<String> {
        self.tables()
            .read()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn all(&self) -> Vec<Arc<TableMeta>> {
        self.tables()
            .read()
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether any table is as `pred` says, without copying the map.
    pub fn any(&self, pred: impl Fn(&TableMeta) -> bool) -> bool {
        self.tables()
            .read()
            .is_ok_and(|t| t.values().any(|m| pred(m)))
    }

    /// Persists `meta` in the job's transaction and publishes it.
    pub fn put(
        &self,
        ctx: &mut WriteCtx<'_>,
        meta: TableMeta,
    ) -> Result<Arc<TableMeta>, StoreError> {
        let bytes = serde_json::to_vec(&meta).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        ctx.insert(TABLES, meta.table_name.as_bytes(), &bytes)?;
        let previous = self.get(&meta.table_name);
        crate::stream_registry::sync(ctx, previous.as_deref(), Some(&meta))?;
        crate::data_keys::sync(ctx, previous.as_deref(), Some(&meta))?;
        let meta = Arc::new(meta);
        if let Ok(mut t) = self.writer.write() {
            t.insert(meta.table_name.clone(), meta.clone());
        }
        let (durable, published) = (self.durable.clone(), meta.clone());
        ctx.after_durable(move || {
            if let Ok(mut t) = durable.write() {
                t.insert(published.table_name.clone(), published);
            }
        });
        Ok(meta)
    }

    /// Forgets a table's definition in the job's transaction (its data goes with
    /// `removal::remove_table`, which calls this).
    pub fn forget(&self, ctx: &mut WriteCtx<'_>, meta: &TableMeta) -> Result<(), StoreError> {
        ctx.remove(TABLES, meta.table_name.as_bytes())?;
        crate::stream_registry::sync(ctx, Some(meta), None)?;
        crate::data_keys::sync(ctx, Some(meta), None)?;
        if let Ok(mut t) = self.writer.write() {
            t.remove(&meta.table_name);
        }
        let (durable, name) = (self.durable.clone(), meta.table_name.clone());
        ctx.after_durable(move || {
            if let Ok(mut t) = durable.write() {
                t.remove(&name);
            }
        });
        Ok(())
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
        serde_json::from_value(serde_json::json!({
            "TableName": name,
            "TableId": "00000000-0000-0000-0000-000000000001",
            "TableArn": format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}"),
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
                    let _ = saw.send(c.get("t").is_some());
                    Ok(())
                })
                .await
            })
        };
        let in_job = seen.recv_timeout(Duration::from_secs(10)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let outside = catalog.get("t").is_some() || !catalog.names().is_empty();
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
        assert!(catalog.get("t").is_some());
        assert_eq!(catalog.names(), vec!["t".to_string()]);

        let (in_job, outside) = while_not_durable(&store, &gate, &catalog, |c, ctx| {
            let m = c.get("t").expect("the writer's copy has the table");
            c.forget(ctx, &m)
        })
        .await;
        assert!(!in_job);
        assert!(
            outside,
            "a reader lost a table before its deletion was durable"
        );
        assert!(catalog.get("t").is_none());
        store.shutdown();
    }
}
