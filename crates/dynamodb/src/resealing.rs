//! Resealing: moving a table's values to its data key, in the background, the table ACTIVE
//! and readable throughout (the earlier keys still open what is not moved yet). A table is
//! resealed when:
//! - its SSE setting changed (UpdateTable): it has a new data key, the old ones are kept in
//!   `old_data_keys` until done, and SSEDescription says UPDATING meanwhile;
//! - the store wrote some of its values unsealed (the log's replay at start-up, before the
//!   keys were unwrapped: `Store::unsealed_tables`);
//! - it was made by a build without data keys: it first gets one.
//!
//! Each step is one write job over a chunk of one of the table's store tables
//! (`WriteCtx::reseal`), so no job holds the writer long; the walk starts over after a
//! restart, skipping what is sealed already.

use std::sync::Arc;

use store::{Store, StoreError};
use worker::{Next, StepFuture, Worker};

use crate::catalog::Catalog;
use crate::data_keys::{self, Keys};
use crate::schema::TableMeta;

/// How long a table whose key KMS refuses waits before it is tried again.
const RETRY_MS: u64 = 5 * 60_000;

pub struct Resealer {
    store: Store,
    catalog: Arc<Catalog>,
    keys: Arc<Keys>,
    /// Keys looked at per write job.
    chunk: usize,
    /// The walk under way: the table (its id and data key), which of its store tables (the
    /// change log after them), and the last key resealed there.
    at: Option<(String, u64, usize, Option<Vec<u8>>)>,
}

impl Resealer {
    pub fn new(store: Store, catalog: Arc<Catalog>, keys: Arc<Keys>, chunk: usize) -> Resealer {
        Resealer {
            store,
            catalog,
            keys,
            chunk: chunk.max(16),
            at: None,
        }
    }

    async fn step_once(&mut self, now: u64) -> Result<Next, StoreError> {
        if self.store.key().is_none() {
            return Ok(Next::Idle);
        }
        if let Some(next) = self.give_keys().await? {
            return Ok(next);
        }
        self.mark_unsealed().await?;
        let Some(meta) = self
            .catalog
            .all()
            .into_iter()
            .find(|m| m.resealing && !m.restoring())
        else {
            self.at = None;
            return Ok(Next::Idle);
        };
        let Some(number) = meta.data_key.as_ref().map(|k| k.number) else {
            return Ok(Next::Idle);
        };
        if let Err(e) = self.keys.unlock_table(&meta) {
            tracing::warn!(table = %meta.table_name, "resealing waits for the table's keys: {}", e.message);
            return Ok(Next::At(now + RETRY_MS));
        }
        let tables = data_keys::store_tables(&meta);
        let (mut index, after) = match self.at.take() {
            Some((id, n, i, after)) if id == meta.table_id && n == number => (i, after),
            _ => (0, None),
        };
        let chunk = self.chunk;
        let last = match tables.get(index).cloned() {
            Some(name) => {
                self.store
                    .write(move |ctx| ctx.reseal(&name, after.as_deref(), chunk))
                    .await?
            }
            // The change log, by sequence number: its records of the table.
            None if index == tables.len() => {
                let items = meta.items_table();
                let from = after
                    .and_then(|a| a.try_into().ok())
                    .map_or(0, u64::from_be_bytes);
                self.store
                    .write(move |ctx| ctx.reseal_changes(&items, from, chunk * 16))
                    .await?
                    .map(|n| n.to_be_bytes().to_vec())
            }
            None => {
                self.finish(&meta, tables).await?;
                return Ok(Next::Now);
            }
        };
        if last.is_none() {
            index += 1;
        }
        self.at = Some((meta.table_id.clone(), number, index, last));
        Ok(Next::Now)
    }

    /// Gives a data key to a table made by a build without them; `Some` when KMS refused.
    async fn give_keys(&self) -> Result<Option<Next>, StoreError> {
        let now = self.store.clock().now_ms();
        let Some(meta) = self
            .catalog
            .all()
            .into_iter()
            .find(|m| m.data_key.is_none() && !m.restoring())
        else {
            return Ok(None);
        };
        let arn = meta.sse.as_ref().map(|s| s.kms_master_key_arn.clone());
        let key = match self
            .keys
            .new_data_key(&meta.table_name, arn.as_deref())
            .await
        {
            Ok(Some(key)) => key,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::warn!(table = %meta.table_name, "no data key for the table yet: {}", e.message);
                return Ok(Some(Next::At(now + RETRY_MS)));
            }
        };
        let catalog = self.catalog.clone();
        self.store
            .write(move |ctx| {
                let Some(current) = catalog.get(meta.region(), &meta.table_name) else {
                    return Ok(());
                };
                if current.table_id != meta.table_id || current.data_key.is_some() {
                    return Ok(());
                }
                let mut next = (*current).clone();
                next.data_key = Some(key);
                next.resealing = true;
                catalog.put(ctx, next)?;
                Ok(())
            })
            .await?;
        Ok(Some(Next::Now))
    }

    /// Marks the tables the store lists as written unsealed for resealing, and drops from the
    /// list the store tables of tables that are gone.
    async fn mark_unsealed(&self) -> Result<(), StoreError> {
        let listed = self.store.unsealed_tables()?;
        if listed.is_empty() {
            return Ok(());
        }
        let catalog = self.catalog.clone();
        self.store
            .write(move |ctx| {
                for name in listed {
                    let owner = catalog
                        .all()
                        .into_iter()
                        .find(|m| data_keys::store_tables(m).contains(&name));
                    match owner {
                        Some(m) if !m.resealing => {
                            let mut next = (*m).clone();
                            next.resealing = true;
                            catalog.put(ctx, next)?;
                        }
                        Some(_) => {}
                        None => ctx.resealed(&name)?,
                    }
                }
                Ok(())
            })
            .await
    }

    /// Every store table of `meta` was walked: the table's earlier keys are no longer needed.
    async fn finish(&mut self, meta: &TableMeta, tables: Vec<String>) -> Result<(), StoreError> {
        self.at = None;
        let catalog = self.catalog.clone();
        let (region, name, id, key) = (
            meta.region().to_string(),
            meta.table_name.clone(),
            meta.table_id.clone(),
            meta.data_key.clone(),
        );
        self.store
            .write(move |ctx| {
                for t in &tables {
                    ctx.resealed(t)?;
                }
                let Some(current) = catalog.get(&region, &name) else {
                    return Ok(());
                };
                // A change since the walk began (another key) walks again.
                if current.table_id != id || current.data_key != key {
                    return Ok(());
                }
                let mut next = (*current).clone();
                next.resealing = false;
                next.old_data_keys.clear();
                catalog.put(ctx, next)?;
                Ok(())
            })
            .await?;
        tracing::info!(table = %meta.table_name, "the table's values are sealed under its data key");
        Ok(())
    }
}

impl Worker for Resealer {
    fn name(&self) -> String {
        "resealing".into()
    }

    fn step(&mut self, now: u64) -> StepFuture<'_> {
        Box::pin(async move { self.step_once(now).await.map_err(|e| e.to_string()) })
    }
}
