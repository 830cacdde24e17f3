//! PartiQL planning: a parsed statement (`item::partiql`) resolved against the catalog into what
//! the operations run (`ops::execute_statement`, `batch_execute_statement`,
//! `execute_transaction`), in AWS's order of checks.
//!
//! A SELECT is a key lookup/Query when its WHERE fixes the partition key — `pk = v`, `pk IN [..]`
//! or an OR of such equalities, ANDed with at most one sort-key condition and any filter — and a
//! Scan otherwise, as on AWS (DynamoDB's translator tries to extract key conditions and falls back
//! to a scan when it cannot). INSERT, UPDATE and DELETE address one item: UPDATE and DELETE must
//! fix every key attribute with `=` in their WHERE, and what else the WHERE says is the write's
//! condition. INSERT never overwrites (DuplicateItemException), UPDATE never creates (its
//! condition includes `attribute_exists` of the partition key), DELETE of a missing item succeeds
//! unless a further condition fails.

use std::sync::Arc;

use item::expr::{CompareOp, Condition, KeyCondition, KeyOperator, Operand, Path, Update};
use item::partiql::{self, lower, Expr, OrderBy, PartiqlError, Returning, Select, Statement};
use item::{Item, Value};

use crate::catalog::Namespace;
use crate::error::{DynamoError, ErrorCode};
use crate::items::{self, KeySource};
use crate::schema::{KeyShape, TableMeta};

const MANDATORY_KEY: &str =
    "Where clause does not contain a mandatory equality on all key attributes";

impl From<PartiqlError> for DynamoError {
    fn from(e: PartiqlError) -> DynamoError {
        DynamoError::validation(e.message)
    }
}

/// Where a SELECT reads.
#[derive(Debug)]
pub(crate) enum Access {
    /// A Query of each partition in turn (one for `=`, several for IN/OR), optionally narrowed
    /// by a sort-key condition.
    Query {
        partitions: Vec<Value>,
        range: Option<KeyCondition>,
    },
    Scan,
}

/// A SELECT, planned.
#[derive(Debug)]
pub(crate) struct ReadPlan {
    pub meta: Arc<TableMeta>,
    pub index: Option<String>,
    pub access: Access,
    /// What the WHERE says beyond the key conditions.
    pub filter: Option<Condition>,
    /// None for `*`.
    pub projection: Option<Vec<Path>>,
    /// Read the sort key descending.
    pub reverse: bool,
    /// A scan that must be sorted by these keys (ORDER BY without a Query).
    pub sort: Vec<OrderBy>,
}

/// A SELECT of one item by its whole key (batches and transactions).
#[derive(Debug)]
pub(crate) struct GetPlan {
    pub meta: Arc<TableMeta>,
    pub key: Vec<u8>,
    pub projection: Option<Vec<Path>>,
}

#[derive(Debug)]
pub(crate) enum WriteKind {
    Insert(Item),
    /// The update and the WHERE's further conditions (the item must also exist).
    Update(Update, Option<Condition>),
    /// The WHERE's further conditions.
    Delete(Option<Condition>),
    /// EXISTS: the item must exist and meet the condition.
    Check(Condition),
}

/// An INSERT, UPDATE, DELETE or EXISTS, planned: one item of one table.
#[derive(Debug)]
pub(crate) struct WritePlan {
    pub meta: Arc<TableMeta>,
    pub key: Vec<u8>,
    /// The key attributes, as an item (the base an UPDATE starts from).
    pub key_item: Item,
    pub kind: WriteKind,
    pub returning: Option<Returning>,
}

impl WritePlan {
    /// The condition the write runs under, existence of the item included.
    pub fn condition(&self) -> Option<Condition> {
        let exists =
            || Condition::AttributeExists(Path::attribute(self.meta.key_shape().hash.name));
        match &self.kind {
            WriteKind::Insert(_) => Some(Condition::AttributeNotExists(Path::attribute(
                self.meta.key_shape().hash.name,
            ))),
            WriteKind::Update(_, extra) => Some(match extra {
                Some(c) => exists().and(c.clone()),
                None => exists(),
            }),
            WriteKind::Delete(extra) => extra.clone(),
            WriteKind::Check(c) => Some(exists().and(c.clone())),
        }
    }
}

/// How a SELECT of one item is being used: the wording of AWS's refusal differs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum GetUse {
    Batch,
    Transaction,
}

/// Parses a statement, mapping the request's parameters in.
pub(crate) fn parse(text: &str) -> Result<Statement, DynamoError> {
    Ok(partiql::parse(text)?)
}

fn table(catalog: Namespace<'_>, name: &str) -> Result<Arc<TableMeta>, DynamoError> {
    // message unverified: AWS's data-plane wording for a missing table.
    catalog.require(name)
}

fn where_condition(w: Option<&Expr>, params: &[Value]) -> Result<Option<Condition>, DynamoError> {
    Ok(w.map(|e| lower::condition(e, params)).transpose()?)
}

/// The top-level conjuncts of a condition.
fn conjuncts(c: Condition, out: &mut Vec<Condition>) {
    match c {
        Condition::And(a, b) => {
            conjuncts(*a, out);
            conjuncts(*b, out);
        }
        other => out.push(other),
    }
}

fn and_all(parts: Vec<Condition>) -> Option<Condition> {
    parts.into_iter().reduce(Condition::and)
}

/// `name op value` (either way round; the operator is turned when the value comes first).
fn key_comparison<'c>(c: &'c Condition, name: &str) -> Option<(CompareOp, &'c Value)> {
    let Condition::Compare { op, left, right } = c else {
        return None;
    };
    let is_key = |p: &Path| p.is_top_level() && p.attribute_name() == name;
    match (left, right) {
        (Operand::Path(p), Operand::Value(v)) if is_key(p) => Some((*op, v)),
        (Operand::Value(v), Operand::Path(p)) if is_key(p) => Some((
            match op {
                CompareOp::Lt => CompareOp::Gt,
                CompareOp::Le => CompareOp::Ge,
                CompareOp::Gt => CompareOp::Lt,
                CompareOp::Ge => CompareOp::Le,
                other => *other,
            },
            v,
        )),
        _ => None,
    }
}

fn schema_mismatch(name: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Key attribute's data type should match its data type in table's schema: Key {name}"
    ))
}

/// The key a DML statement's WHERE fixes, and what is left of the WHERE.
fn dml_key(
    shape: &KeyShape,
    cond: Option<Condition>,
    missing: &str,
    check: bool,
) -> Result<(Item, Option<Condition>), DynamoError> {
    let Some(cond) = cond else {
        return Err(DynamoError::validation(missing));
    };
    let mut parts = Vec::new();
    conjuncts(cond, &mut parts);
    let mut key = Item::new();
    let mut rest = Vec::new();
    for c in parts {
        let found = shape.names().find_map(|n| {
            key_comparison(&c, n)
                .filter(|(op, _)| *op == CompareOp::Eq)
                .map(|(_, v)| (n, v))
        });
        match found {
            Some((name, v)) => match key.get(name) {
                None => {
                    key.insert(name.to_string(), v.clone());
                }
                Some(existing) if existing == v => {}
                // EXISTS keeps a second condition on a key as a condition.
                Some(_) if check => rest.push(c),
                Some(_) => {
                    return Err(DynamoError::validation(format!(
                        "Multiple conditions on same key {name}. Only single item Update/Insert/Delete are supported"
                    )))
                }
            },
            None => rest.push(c),
        }
    }
    if shape.names().any(|n| !key.contains_key(n)) {
        return Err(DynamoError::validation(missing));
    }
    for attr in std::iter::once(&shape.hash).chain(shape.range.as_ref()) {
        if let Some(v) = key.get(&attr.name) {
            if !matches!(v, Value::S(_) | Value::N(_) | Value::B(_)) {
                return Err(DynamoError::validation(format!(
                    "Key value must be of type S, N, or B. Key name: {}, Key type: {}",
                    attr.name,
                    v.type_name()
                )));
            }
            if v.type_name() != attr.ty {
                return Err(schema_mismatch(&attr.name));
            }
        }
    }
    Ok((key, and_all(rest)))
}

/// AWS refuses document paths into key attributes anywhere in a statement.
fn check_key_paths<'p>(
    meta: &TableMeta,
    paths: impl IntoIterator<Item = &'p Path>,
) -> Result<(), DynamoError> {
    let shape = meta.key_shape();
    for p in paths {
        if !p.is_top_level() && shape.names().any(|k| k == p.attribute_name()) {
            return Err(DynamoError::validation(format!(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {}",
                p.attribute_name()
            )));
        }
    }
    Ok(())
}

/// Plans a SELECT.
pub(crate) fn plan_select(
    catalog: Namespace<'_>,
    s: &Select,
    params: &[Value],
    consistent: bool,
) -> Result<ReadPlan, DynamoError> {
    let meta = table(catalog, &s.table)?;
    let projection = s.projection.as_deref().map(lower::projection).transpose()?;
    let filter = where_condition(s.where_clause.as_ref(), params)?;
    if let Some(index) = &s.index {
        match meta.index(index) {
            None => {
                return Err(DynamoError::validation(format!(
                    "The table does not have the specified index: {index}"
                )))
            }
            Some(i) if i.global && consistent => {
                return Err(DynamoError::validation(
                    "Strongly consistent read is not supported on Global Secondary Indexes",
                ))
            }
            Some(_) => {}
        }
    }
    let shape = match &s.index {
        Some(i) => meta
            .index(i)
            .map(|v| v.shape)
            .unwrap_or_else(|| meta.key_shape()),
        None => meta.key_shape(),
    };
    if !s.order_by.is_empty() {
        let Some(f) = &filter else {
            return Err(DynamoError::validation(
                "Must have WHERE clause in the statement when using ORDER BY clause.",
            ));
        };
        if !hash_fixed(f, &shape.hash.name) {
            return Err(DynamoError::validation(
                "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
            ));
        }
        for o in &s.order_by {
            if !shape.names().any(|n| n == o.attribute) {
                return Err(DynamoError::validation(format!(
                    "Variable reference {} in ORDER BY clause must be part of the primary key",
                    o.attribute
                )));
            }
        }
    }
    check_key_paths(
        &meta,
        filter
            .iter()
            .flat_map(|f| f.paths())
            .chain(projection.iter().flatten()),
    )?;
    let (access, filter) = match filter {
        Some(f) => match query_access(&shape, &f)? {
            Some((access, rest)) => (access, rest),
            None => (Access::Scan, Some(f)),
        },
        None => (Access::Scan, None),
    };
    let mut reverse = false;
    let mut sort = Vec::new();
    let mut access = access;
    match &mut access {
        Access::Query { partitions, .. } => {
            for o in &s.order_by {
                if Some(o.attribute.as_str()) == shape.range.as_ref().map(|r| r.name.as_str()) {
                    reverse = o.descending;
                } else {
                    partitions.sort_by(|a, b| {
                        let ord = item::value::compare(a, b).unwrap_or(std::cmp::Ordering::Equal);
                        if o.descending {
                            ord.reverse()
                        } else {
                            ord
                        }
                    });
                }
            }
        }
        Access::Scan => sort.clone_from(&s.order_by),
    }
    Ok(ReadPlan {
        meta,
        index: s.index.clone(),
        access,
        filter,
        projection,
        reverse,
        sort,
    })
}

/// DynamoDB's test for ORDER BY: a condition on the hash key that every branch of an OR has.
fn hash_fixed(c: &Condition, hash: &str) -> bool {
    match c {
        Condition::And(a, b) => hash_fixed(a, hash) || hash_fixed(b, hash),
        Condition::Or(a, b) => hash_fixed(a, hash) && hash_fixed(b, hash),
        Condition::Compare { .. } => key_comparison(c, hash).is_some(),
        Condition::Between {
            operand: Operand::Path(p),
            ..
        }
        | Condition::In {
            operand: Operand::Path(p),
            ..
        }
        | Condition::BeginsWith(Operand::Path(p), _) => {
            p.is_top_level() && p.attribute_name() == hash
        }
        _ => false,
    }
}

/// The partition values of a condition that fixes the hash key: `h = v`, `h IN [..]`, or an OR
/// of those.
fn partitions_of(c: &Condition, hash: &str) -> Option<Vec<Value>> {
    match c {
        Condition::Compare { .. } => match key_comparison(c, hash) {
            Some((CompareOp::Eq, v)) => Some(vec![v.clone()]),
            _ => None,
        },
        Condition::In {
            operand: Operand::Path(p),
            list,
        } if p.is_top_level() && p.attribute_name() == hash => list
            .iter()
            .map(|o| match o {
                Operand::Value(v) => Some(v.clone()),
                _ => None,
            })
            .collect(),
        Condition::Or(a, b) => {
            let mut v = partitions_of(a, hash)?;
            v.extend(partitions_of(b, hash)?);
            Some(v)
        }
        _ => None,
    }
}

/// A sort-key condition a Query can use.
fn range_condition(c: &Condition, range: &str, ty: &str) -> Option<KeyCondition> {
    let (operator, values) = match c {
        Condition::Compare { .. } => {
            let (op, v) = key_comparison(c, range)?;
            let operator = match op {
                CompareOp::Eq => KeyOperator::Eq,
                CompareOp::Lt => KeyOperator::Lt,
                CompareOp::Le => KeyOperator::Le,
                CompareOp::Gt => KeyOperator::Gt,
                CompareOp::Ge => KeyOperator::Ge,
                CompareOp::Ne => return None,
            };
            (operator, vec![v.clone()])
        }
        Condition::Between {
            operand: Operand::Path(p),
            low: Operand::Value(lo),
            high: Operand::Value(hi),
        } if p.is_top_level() && p.attribute_name() == range => {
            // Bounds the wrong way round select nothing; a filter says so without an error.
            if item::value::compare(lo, hi) == Some(std::cmp::Ordering::Greater) {
                return None;
            }
            (KeyOperator::Between, vec![lo.clone(), hi.clone()])
        }
        Condition::BeginsWith(Operand::Path(p), Operand::Value(v))
            if p.is_top_level() && p.attribute_name() == range && ty != "N" =>
        {
            (KeyOperator::BeginsWith, vec![v.clone()])
        }
        _ => return None,
    };
    Some(KeyCondition {
        attribute: range.to_string(),
        operator,
        values,
    })
}

/// Splits a WHERE into a Query's key conditions and a filter, if it fixes the partition key;
/// None means a scan. Key values of the wrong type are refused, as AWS does once it has found
/// its key conditions.
fn query_access(
    shape: &KeyShape,
    filter: &Condition,
) -> Result<Option<(Access, Option<Condition>)>, DynamoError> {
    let mut parts = Vec::new();
    conjuncts(filter.clone(), &mut parts);
    let mut partitions: Option<Vec<Value>> = None;
    let mut range: Option<KeyCondition> = None;
    let mut rest = Vec::new();
    for c in parts {
        if let Some(p) = partitions_of(&c, &shape.hash.name) {
            match &partitions {
                // The same condition twice is one condition.
                Some(q) if *q == p => {}
                // Two different conditions on the partition key: AWS scans.
                Some(_) => return Ok(None),
                None => partitions = Some(p),
            }
            continue;
        }
        if let Some(r) = &shape.range {
            if let Some(k) = range_condition(&c, &r.name, &r.ty) {
                match &range {
                    Some(q) if *q == k => {}
                    Some(_) => return Ok(None),
                    None => range = Some(k),
                }
                continue;
            }
        }
        rest.push(c);
    }
    let Some(mut partitions) = partitions else {
        return Ok(None);
    };
    for v in &partitions {
        if v.type_name() != shape.hash.ty {
            return Err(schema_mismatch(&shape.hash.name));
        }
    }
    if let (Some(k), Some(r)) = (&range, &shape.range) {
        if k.values.iter().any(|v| v.type_name() != r.ty) {
            return Err(schema_mismatch(&r.name));
        }
    }
    // `pk IN ['a', 'a']` reads the partition once.
    let mut seen: Vec<Value> = Vec::with_capacity(partitions.len());
    partitions.retain(|v| {
        if seen.contains(v) {
            false
        } else {
            seen.push(v.clone());
            true
        }
    });
    Ok(Some((Access::Query { partitions, range }, and_all(rest))))
}

/// Plans a SELECT that must read exactly one item by its whole key.
pub(crate) fn plan_get(
    catalog: Namespace<'_>,
    s: &Select,
    params: &[Value],
    usage: GetUse,
) -> Result<GetPlan, DynamoError> {
    let not_single = || {
        match usage {
        GetUse::Batch => DynamoError::validation("Only single item select is supported"), // message unverified
        GetUse::Transaction => DynamoError::validation(
            "Select statements within ExecuteTransaction must specify the primary key in the where clause.",
        ),
    }
    };
    if !s.order_by.is_empty() {
        return Err(not_single());
    }
    let projection = s.projection.as_deref().map(lower::projection).transpose()?;
    let filter = where_condition(s.where_clause.as_ref(), params)?;
    if s.index.is_some() && usage == GetUse::Transaction {
        return Err(DynamoError::validation(
            "Reads on indices are not supported within transactions.",
        ));
    }
    let meta = table(catalog, &s.table)?;
    if s.index.is_some() {
        return Err(not_single());
    }
    let shape = meta.key_shape();
    let (key_item, rest) = match dml_key(&shape, filter, MANDATORY_KEY, false) {
        Ok(k) => k,
        Err(e) if e.message.starts_with("Key attribute's data type") => return Err(e),
        Err(_) => return Err(not_single()),
    };
    if rest.is_some() {
        return Err(not_single());
    }
    check_key_paths(&meta, projection.iter().flatten())?;
    let key = items::key_bytes(&shape, &key_item, KeySource::Key)?;
    Ok(GetPlan {
        meta,
        key,
        projection,
    })
}

/// Plans an INSERT, UPDATE, DELETE or EXISTS.
pub(crate) fn plan_write(
    catalog: Namespace<'_>,
    stmt: &Statement,
    params: &[Value],
) -> Result<WritePlan, DynamoError> {
    match stmt {
        Statement::Insert(i) => {
            let item = match lower::value(&i.item, params)? {
                Value::M(m) => m,
                _ => return Err(DynamoError::validation(
                    "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.",
                )),
            };
            let meta = table(catalog, &i.table)?;
            let shape = meta.key_shape();
            for attr in std::iter::once(&shape.hash).chain(shape.range.as_ref()) {
                match item.get(&attr.name) {
                    None => {
                        return Err(DynamoError::validation(format!(
                            "Key attribute should be present in the item: Key {}",
                            attr.name
                        )))
                    }
                    Some(v) if v.type_name() != attr.ty => return Err(schema_mismatch(&attr.name)),
                    Some(_) => {}
                }
            }
            if i.returning.is_some() {
                return Err(DynamoError::validation(
                    "RETURNING is not supported in INSERT",
                ));
            }
            let key = items::key_bytes(&shape, &item, KeySource::Item)?;
            items::check_item_size(&item)?;
            items::check_index_keys(&meta, &item)?;
            let key_item = items::key_of(&shape, &item);
            Ok(WritePlan {
                meta,
                key,
                key_item,
                kind: WriteKind::Insert(item),
                returning: None,
            })
        }
        Statement::Update(u) => {
            let filter = where_condition(u.where_clause.as_ref(), params)?;
            let update = lower::update(&u.ops, params)?;
            let meta = table(catalog, &u.table)?;
            let shape = meta.key_shape();
            let (key_item, rest) = dml_key(&shape, filter, MANDATORY_KEY, false)?;
            let key = items::key_bytes(&shape, &key_item, KeySource::Key)?;
            check_key_paths(
                &meta,
                rest.iter().flat_map(|c| c.paths()).chain(update.paths()),
            )?;
            for attr in update.touched_attributes() {
                if shape.names().any(|k| k == attr) {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Cannot update attribute {attr}. This attribute is part of the key"
                    )));
                }
            }
            Ok(WritePlan {
                meta,
                key,
                key_item,
                kind: WriteKind::Update(update, rest),
                returning: u.returning,
            })
        }
        Statement::Delete(d) => {
            let filter = where_condition(d.where_clause.as_ref(), params)?;
            if filter.is_none() {
                return Err(DynamoError::validation(MANDATORY_KEY));
            }
            let meta = table(catalog, &d.table)?;
            let shape = meta.key_shape();
            let (key_item, rest) = dml_key(&shape, filter, MANDATORY_KEY, false)?;
            if let Some(r) = d.returning.filter(|r| *r != Returning::AllOld) {
                return Err(DynamoError::validation(format!(
                    "Invalid returning clause: RETURNING {}. Only RETURNING ALL OLD * is allowed in DELETE statements.",
                    r.text()
                )));
            }
            let key = items::key_bytes(&shape, &key_item, KeySource::Key)?;
            check_key_paths(&meta, rest.iter().flat_map(|c| c.paths()))?;
            Ok(WritePlan {
                meta,
                key,
                key_item,
                kind: WriteKind::Delete(rest),
                returning: d.returning,
            })
        }
        Statement::Exists(s) => {
            const SINGLE: &str =
                "EXISTS() must contain a single item read with additional condition";
            if s.index.is_some() {
                return Err(DynamoError::validation(
                    "Operations on indices are not supported in transactions",
                ));
            }
            let filter = where_condition(s.where_clause.as_ref(), params)?;
            if filter.is_none() {
                return Err(DynamoError::validation(SINGLE));
            }
            let meta = table(catalog, &s.table)?;
            let shape = meta.key_shape();
            let (key_item, rest) = dml_key(&shape, filter, SINGLE, true)?;
            let Some(cond) = rest else {
                return Err(DynamoError::validation(SINGLE));
            };
            let key = items::key_bytes(&shape, &key_item, KeySource::Key)?;
            check_key_paths(&meta, cond.paths())?;
            Ok(WritePlan {
                meta,
                key,
                key_item,
                kind: WriteKind::Check(cond),
                returning: None,
            })
        }
        Statement::Select(_) => Err(DynamoError::new(
            ErrorCode::InternalServerError,
            "Internal server error",
        )),
    }
}
