//! The transaction core shared by TransactWriteItems and PartiQL's ExecuteTransaction: a list
//! of prepared actions run all-or-nothing in one store write job.
//!
//! One job on the single writer thread is serializable against every other write by
//! construction (see the store's invariants): conditions are checked against the state left by
//! everything committed before, and nothing can interleave. So TransactionConflict never
//! arises here; AWS raises it when concurrent requests race for an item, which cannot happen.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use item::expr::{Condition, Update};
use item::Item;
use serde_json::{json, Map, Value as Json};
use store::{StoreError, WriteCtx};

use super::write_common as common;
use crate::capacity::Consumed;
use crate::catalog::Catalog;
use crate::error::{DynamoError, ErrorCode};
use crate::items::{self, Origin};
use crate::schema::TableMeta;

/// AWS keeps a ClientRequestToken for ten minutes.
const TOKEN_LIFETIME_MS: u64 = 10 * 60 * 1000;
const TOKENS: &str = "ddb.transaction_tokens";

/// What an action does to its item.
pub(super) enum Effect {
    Check,
    Put(Item),
    Delete,
    /// The key as an item (the base of a new item) and the update, if any.
    Update(Item, Option<Update>),
}

/// One validated action.
pub(super) struct Action {
    pub meta: Arc<TableMeta>,
    pub key: Vec<u8>,
    pub cond: Option<Condition>,
    pub return_old_on_failure: bool,
    pub effect: Effect,
}

/// A transaction's result: units per table (doubled, as AWS charges transactions) and item
/// collection metrics per table.
pub(super) struct Outcome {
    pub consumed: BTreeMap<String, Consumed>,
    pub collections: BTreeMap<String, Vec<Json>>,
}

/// The idempotency of a request: its token and a digest of everything else it asked.
pub(super) struct Token {
    pub token: String,
    pub digest: u64,
}

impl Token {
    pub fn new(token: String, request: &Json) -> Token {
        // Fixed keys: the digest is stored and compared across restarts.
        #[allow(deprecated)]
        let mut h = std::hash::SipHasher::new_with_keys(0x7472_616e, 0x7361_6374);
        request.to_string().hash(&mut h);
        Token {
            token,
            digest: h.finish(),
        }
    }
}

/// Rejects a request that names one item twice.
pub(super) fn check_distinct(actions: &[Action]) -> Result<(), DynamoError> {
    let mut seen = std::collections::HashSet::new();
    for a in actions {
        if !seen.insert((a.meta.table_id.as_str(), a.key.as_slice())) {
            return Err(DynamoError::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
    }
    Ok(())
}

/// Runs `actions` all-or-nothing. A refused action cancels the whole transaction with one
/// reason per action, in order.
/// Transactions are not offered on the members of a strongly consistent global table (AWS's
/// MRSC documents that they return an error).
pub(super) fn transactable(meta: &TableMeta) -> Result<(), DynamoError> {
    if meta.strongly_consistent {
        return Err(DynamoError::validation(format!(
            "Transactions are not supported for global tables with MultiRegionConsistency set to STRONG: {}", // message unverified
            meta.table_name
        )));
    }
    Ok(())
}

pub(super) async fn run(
    store: &store::Store,
    catalog: &Arc<Catalog>,
    actions: Vec<Action>,
    token: Option<Token>,
) -> Result<Outcome, DynamoError> {
    let catalog = catalog.clone();
    store
        .write(move |tx| run_in(tx, &catalog, actions, token))
        .await?
}

fn run_in(
    tx: &mut WriteCtx<'_>,
    catalog: &Catalog,
    actions: Vec<Action>,
    token: Option<Token>,
) -> Result<Result<Outcome, DynamoError>, StoreError> {
    let now = tx.now_ms();
    if let Some(t) = &token {
        if let Some((digest, at)) = read_token(tx, &t.token)? {
            if now.saturating_sub(at) < TOKEN_LIFETIME_MS {
                if digest != t.digest {
                    return Ok(Err(DynamoError::new(
                        ErrorCode::IdempotentParameterMismatch,
                        "Specified idempotent token was used with different request parameters within the 10 minutes window",
                    )));
                }
                // Already done: succeed again without doing it twice.
                return Ok(Ok(Outcome {
                    consumed: BTreeMap::new(),
                    collections: BTreeMap::new(),
                }));
            }
        }
    }
    for a in &actions {
        let current = catalog
            .get(a.meta.region(), &a.meta.table_name)
            .filter(|m| m.table_id == a.meta.table_id);
        if current.is_none() {
            return Ok(Err(DynamoError::not_found()));
        }
    }
    // Check everything before writing anything: a cancelled transaction leaves no trace.
    let mut reasons: Vec<Json> = Vec::with_capacity(actions.len());
    let mut planned = Vec::with_capacity(actions.len());
    let mut cancelled = false;
    for a in &actions {
        let old = items::read_item(tx, &a.meta, &a.key)?;
        let reason = match common::check(a.cond.as_ref(), old.as_ref(), a.return_old_on_failure) {
            Err(e) => Err(reason_of(&e, "ConditionalCheckFailed")),
            Ok(()) => match &a.effect {
                Effect::Check => Ok(None),
                Effect::Put(item) => Ok(Some(Some(item.clone()))),
                Effect::Delete => Ok(Some(None)),
                Effect::Update(key_item, update) => {
                    match common::updated_item(&a.meta, old.as_ref(), key_item, update.as_ref()) {
                        Ok(new) => Ok(Some(new)),
                        Err(e) => Err(reason_of(&e, "ValidationError")),
                    }
                }
            },
        };
        let reason = match reason {
            Ok(new) => match new
                .as_ref()
                .map(|n| common::plan_collection(tx, &a.meta, old.as_ref(), n.as_ref()))
            {
                Some(r) => match r? {
                    Ok(metrics) => Ok((new, metrics)),
                    Err(e) => Err(reason_of(&e, "ItemCollectionSizeLimitExceeded")),
                },
                None => Ok((new, None)),
            },
            Err(r) => Err(r),
        };
        match reason {
            Ok(plan) => {
                reasons.push(json!({ "Code": "None" }));
                planned.push((old, plan));
            }
            Err(r) => {
                cancelled = true;
                reasons.push(r);
                planned.push((old, (None, None)));
            }
        }
    }
    if cancelled {
        return Ok(Err(cancellation(reasons)));
    }
    let mut outcome = Outcome {
        consumed: BTreeMap::new(),
        collections: BTreeMap::new(),
    };
    for (a, (old, (new, metrics))) in actions.iter().zip(planned) {
        let consumed = match new {
            Some(new) => {
                let writes = items::apply_write(
                    tx,
                    &a.meta,
                    &a.key,
                    old.as_ref(),
                    new.as_ref(),
                    Origin::User,
                )?;
                common::write_consumed(old.as_ref(), new.as_ref(), &writes)
            }
            None => {
                let size = old.as_ref().map_or(0, item::size::item_size);
                Consumed::table(crate::capacity::write_units(size, 0))
            }
        };
        let doubled = Consumed {
            table: consumed.table * 2.0,
            global: consumed
                .global
                .iter()
                .map(|(k, v)| (k.clone(), v * 2.0))
                .collect(),
            local: consumed
                .local
                .iter()
                .map(|(k, v)| (k.clone(), v * 2.0))
                .collect(),
        };
        outcome
            .consumed
            .entry(a.meta.table_name.clone())
            .or_default()
            .merge(&doubled);
        if let Some(m) = metrics {
            outcome
                .collections
                .entry(a.meta.table_name.clone())
                .or_default()
                .push(m);
        }
    }
    if let Some(t) = &token {
        let mut value = t.digest.to_be_bytes().to_vec();
        value.extend_from_slice(&now.to_be_bytes());
        tx.insert(TOKENS, t.token.as_bytes(), &value)?;
    }
    Ok(Ok(outcome))
}

fn read_token(tx: &WriteCtx<'_>, token: &str) -> Result<Option<(u64, u64)>, StoreError> {
    let Some(v) = tx.get(TOKENS, token.as_bytes())? else {
        return Ok(None);
    };
    let word = |r: std::ops::Range<usize>| {
        v.get(r)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    };
    Ok(word(0..8).zip(word(8..16)))
}

/// A cancellation reason from the error an action met.
fn reason_of(e: &DynamoError, code: &str) -> Json {
    let mut r = Map::new();
    r.insert("Code".into(), code.into());
    r.insert("Message".into(), e.message.clone().into());
    if let Some(item) = e.extra.as_ref().and_then(|x| x.get("Item")) {
        r.insert("Item".into(), item.clone());
    }
    Json::Object(r)
}

/// Admits a transaction's writes against their tables' capacity. A throttled one cancels the
/// transaction as AWS does: a ProvisionedThroughputExceeded (provisioned tables) or
/// ThrottlingError (on-demand) reason for it, None for the others.
pub(super) fn admit_writes(
    svc: &crate::Dynamo,
    actions: &[Action],
    operation: &'static str,
) -> Result<(), DynamoError> {
    for a in actions {
        svc.check_table_key(&a.meta)?;
    }
    let mut refused = false;
    let reasons: Vec<Json> = actions
        .iter()
        .map(|a| {
            if matches!(a.effect, Effect::Check) {
                return json!({ "Code": "None" });
            }
            match svc
                .throttle
                .admit(&a.meta, None, crate::metrics::Kind::Write)
            {
                Ok(()) => json!({ "Code": "None" }),
                Err(t) => {
                    refused = true;
                    svc.metrics.throttled(&t, operation);
                    let (code, message) = match (t.cause, &t.index) {
                        (crate::throttle::Cause::Provisioned, _) => (
                            "ProvisionedThroughputExceeded",
                            t.to_error().message,
                        ),
                        (_, None) => ("ThrottlingError", "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html.".to_string()),
                        (_, Some(_)) => ("ThrottlingError", "Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly.".to_string()),
                    };
                    json!({ "Code": code, "Message": message })
                }
            }
        })
        .collect();
    if refused {
        return Err(cancellation(reasons));
    }
    Ok(())
}

/// TransactionCanceledException, with AWS's message listing the reasons' codes in order.
fn cancellation(reasons: Vec<Json>) -> DynamoError {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or("None"))
        .collect();
    let mut e = DynamoError::new(
        ErrorCode::TransactionCanceled,
        format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
    );
    let mut extra = Map::new();
    extra.insert("CancellationReasons".into(), Json::Array(reasons));
    e.extra = Some(extra);
    e
}

/// ConsumedCapacity as a list (one entry per table), when asked for.
pub(super) fn render_consumed(
    out: &mut Map<String, Json>,
    detail: crate::capacity::Detail,
    consumed: &BTreeMap<String, Consumed>,
) {
    let list: Vec<Json> = consumed
        .iter()
        .filter_map(|(t, c)| c.render(detail, t))
        .collect();
    if !list.is_empty() {
        out.insert("ConsumedCapacity".into(), Json::Array(list));
    }
}
