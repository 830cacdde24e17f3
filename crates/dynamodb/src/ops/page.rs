//! What Query and Scan share: choosing the source (table or index), what each returned item
//! shows (Select, projections), reading one page of a key range with AWS's Limit and 1 MB rules,
//! and the starting key.

use std::ops::Bound;

use item::expr::{Condition, Path, Projection};
use item::Item;
use serde_json::{Map, Value as Json};
use store::{ReadCtx, ScanControl};

use crate::capacity::Consumed;
use crate::error::DynamoError;
use crate::indexes::{decode_entry, IndexView};
use crate::items::{self, decode_item, KeySource};
use crate::schema::{KeyShape, TableMeta};

/// AWS stops a page after this many bytes of items read (before any filter).
pub const PAGE_BYTES: usize = 1024 * 1024;

pub(super) enum Source {
    Table,
    Index(Box<IndexView>),
}

impl Source {
    /// The global secondary index read, whose own capacity a read uses (LSI reads use the
    /// table's).
    pub fn global_index(&self) -> Option<&str> {
        match self {
            Source::Index(v) if v.global => Some(&v.name),
            _ => None,
        }
    }

    pub fn resolve(
        meta: &TableMeta,
        index: Option<&str>,
        consistent: bool,
    ) -> Result<Source, DynamoError> {
        let Some(name) = index else {
            return Ok(Source::Table);
        };
        let Some(view) = meta.index(name) else {
            return Err(DynamoError::validation(format!(
                "The table does not have the specified index: {name}"
            )));
        };
        if view.global && consistent {
            return Err(DynamoError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        if view.global && view.status != "ACTIVE" {
            return Err(DynamoError::validation(format!(
                "Cannot read from backfilling global secondary index: {name}" // AWS's words, as applications quote them
            )));
        }
        Ok(Source::Index(Box::new(view)))
    }

    pub fn store_table(&self, meta: &TableMeta) -> String {
        match self {
            Source::Table => meta.items_table(),
            Source::Index(i) => i.store_table.clone(),
        }
    }

    /// The key shape a Query's KeyConditionExpression addresses.
    pub fn shape(&self, meta: &TableMeta) -> KeyShape {
        match self {
            Source::Table => meta.key_shape(),
            Source::Index(i) => i.shape.clone(),
        }
    }

    /// The attributes LastEvaluatedKey and ExclusiveStartKey carry: the table's key, plus the
    /// index's for an index.
    pub fn start_key_names(&self, meta: &TableMeta) -> Vec<String> {
        let mut names: Vec<String> = meta.key_shape().names().map(str::to_string).collect();
        if let Source::Index(i) = self {
            for n in i.shape.names() {
                if !names.iter().any(|x| x == n) {
                    names.push(n.to_string());
                }
            }
        }
        names
    }

    /// The store position of an ExclusiveStartKey.
    pub fn start_position(&self, meta: &TableMeta, start: &Item) -> Result<Vec<u8>, DynamoError> {
        let names = self.start_key_names(meta);
        let invalid = || DynamoError::validation("The provided starting key is invalid");
        if start.len() != names.len() || names.iter().any(|n| !start.contains_key(n)) {
            return Err(match self {
                Source::Table => DynamoError::validation(
                    "The provided starting key is invalid: The provided key element does not match the schema",
                ),
                Source::Index(_) => invalid(),
            });
        }
        let table_start = items::key_of(&meta.key_shape(), start);
        let table_key =
            items::key_bytes(&meta.key_shape(), &table_start, KeySource::Key).map_err(|e| {
                DynamoError::validation(format!(
                    "The provided starting key is invalid: {}",
                    e.message
                ))
            })?;
        match self {
            Source::Table => Ok(table_key),
            Source::Index(i) => i.entry_key(start, &table_key).ok_or_else(invalid),
        }
    }
}

/// What each returned item shows.
#[derive(Clone, Debug)]
pub(super) enum Output {
    /// Select COUNT: no items.
    Count,
    /// Everything the source holds (table: the item; index: its projection).
    Stored,
    /// A ProjectionExpression / AttributesToGet applied to the stored item.
    Projected(Projection),
    /// An LSI read that asked for attributes the index does not project: fetch from the table.
    FromTable(Option<Projection>),
}

/// Decodes Select and the projection parameters into an [`Output`], with AWS's checks;
/// `expression` tells whether the projection came from a ProjectionExpression (or else from
/// AttributesToGet).
pub(super) fn output(
    select: Option<&str>,
    projection: Option<Projection>,
    expression: bool,
    source: &Source,
) -> Result<Output, DynamoError> {
    let member = if expression {
        "ProjectionExpression"
    } else {
        "AttributesToGet"
    };
    let index = match source {
        Source::Index(i) => Some(i),
        Source::Table => None,
    };
    match select {
        None => Ok(match projection {
            Some(p) => match index {
                Some(i) if !i.global && !i.projects_all() => Output::FromTable(Some(p)),
                _ => Output::Projected(p),
            },
            None => Output::Stored,
        }),
        Some("SPECIFIC_ATTRIBUTES") => match projection {
            Some(p) => Ok(match index {
                Some(i) if !i.global && !i.projects_all() => Output::FromTable(Some(p)),
                _ => Output::Projected(p),
            }),
            None => Err(DynamoError::validation(
                "1 validation error detected: Value 'SPECIFIC_ATTRIBUTES' at 'select' failed to satisfy constraint: Member must have ProjectionExpression or AttributesToGet", // message unverified
            )),
        },
        // DynamoDB Local's words, which other suites confirm: COUNT is "only the Count".
        Some(other) if projection.is_some() => Err(DynamoError::validation(format!(
            "Cannot specify the {member} when choosing to get {}",
            if other == "COUNT" { "only the Count" } else { other }
        ))),
        Some("COUNT") => Ok(Output::Count),
        Some("ALL_ATTRIBUTES") => match index {
            Some(i) if !i.projects_all() && i.global => Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                i.name
            ))),
            Some(i) if !i.projects_all() => Ok(Output::FromTable(None)),
            _ => Ok(Output::Stored),
        },
        Some("ALL_PROJECTED_ATTRIBUTES") => match index {
            Some(_) => Ok(Output::Stored),
            None => Err(DynamoError::validation(
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
            )),
        },
        Some(other) => Err(DynamoError::bad_enum(other, "select")),
    }
}

/// AWS refuses document paths into key attributes (`k.a`, `k[0]`) in filters and projections.
pub(super) fn check_key_paths<'p>(
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

/// A global index serves only what it projects: asking for other attributes is refused.
pub(super) fn check_projected(
    meta: &TableMeta,
    source: &Source,
    projection: Option<&Projection>,
) -> Result<(), DynamoError> {
    let (Source::Index(index), Some(projection)) = (source, projection) else {
        return Ok(());
    };
    if !index.global || index.projects_all() {
        return Ok(());
    }
    let table = meta.key_shape();
    let projected = |name: &str| {
        table.names().any(|k| k == name)
            || index.shape.names().any(|k| k == name)
            || index
                .projection
                .non_key_attributes
                .iter()
                .flatten()
                .any(|a| a == name)
    };
    let missing: Vec<String> = projection
        .top_level_names()
        .into_iter()
        .filter(|n| !projected(n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(DynamoError::validation(format!(
        "One or more parameter values were invalid: Global secondary index {} does not project attributes: [{}]", // message unverified
        index.name,
        missing.join(", ")
    )))
}

/// One page's request.
pub(super) struct PageSpec<'a> {
    pub meta: &'a TableMeta,
    pub source: &'a Source,
    pub range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
    pub reverse: bool,
    pub limit: Option<usize>,
    pub filter: Option<&'a Condition>,
    pub output: &'a Output,
    pub consistent: bool,
}

pub(super) struct Page {
    pub items: Vec<Item>,
    pub count: usize,
    pub scanned: usize,
    pub last_key: Option<Item>,
    pub consumed: Consumed,
}

/// Reads one page: entries in key order from the range, each evaluated against the filter,
/// until the range ends, `limit` entries were evaluated, or 1 MB was read.
pub(super) fn read_page(read: &ReadCtx, spec: &PageSpec<'_>) -> Result<Page, DynamoError> {
    let table_name = spec.source.store_table(spec.meta);
    let items_table = spec.meta.items_table();
    let key_names = spec.source.start_key_names(spec.meta);
    let mut page = Page {
        items: Vec::new(),
        count: 0,
        scanned: 0,
        last_key: None,
        consumed: Consumed::default(),
    };
    let (mut source_bytes, mut table_bytes, mut page_bytes) = (0usize, 0usize, 0usize);
    let mut stopped_early = false;
    let mut failure: Option<DynamoError> = None;
    let range = (as_ref(&spec.range.0), as_ref(&spec.range.1));
    read.scan(&table_name, range, spec.reverse, |_, value| {
        if spec.limit.is_some_and(|l| page.scanned >= l) || page_bytes >= PAGE_BYTES {
            stopped_early = true;
            return ScanControl::Stop;
        }
        let mut step = || -> Result<(), DynamoError> {
            let (table_key, stored) = match spec.source {
                Source::Table => (None, decode_item(value)?),
                Source::Index(_) => {
                    let (k, item) = decode_entry(value)?;
                    (Some(k), item)
                }
            };
            let stored_size = item::size::item_size(&stored);
            source_bytes += stored_size;
            page_bytes += stored_size;
            page.scanned += 1;
            let full = match (spec.output, &table_key) {
                (Output::FromTable(_), Some(k)) => {
                    let item = match read.get(&items_table, k)? {
                        Some(b) => decode_item(&b)?,
                        None => stored.clone(),
                    };
                    table_bytes += item::size::item_size(&item);
                    item
                }
                _ => stored,
            };
            page.last_key = Some(
                key_names
                    .iter()
                    .filter_map(|n| full.get(n).map(|v| (n.clone(), v.clone())))
                    .collect(),
            );
            let keep = match spec.filter {
                Some(f) => f.evaluate(Some(&full))?,
                None => true,
            };
            if keep {
                page.count += 1;
                match spec.output {
                    Output::Count => {}
                    Output::Stored | Output::FromTable(None) => page.items.push(full),
                    Output::Projected(p) | Output::FromTable(Some(p)) => {
                        page.items.push(p.apply(&full))
                    }
                }
            }
            Ok(())
        };
        match step() {
            Ok(()) => ScanControl::Continue,
            Err(e) => {
                failure = Some(e);
                ScanControl::Stop
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    // The limit or the 1 MB bound may be reached on the very last entry: AWS still returns a
    // LastEvaluatedKey then (the next page is simply empty).
    if !(stopped_early || spec.limit.is_some_and(|l| page.scanned >= l) || page_bytes >= PAGE_BYTES)
    {
        page.last_key = None;
    }
    let units = |bytes: usize| {
        let u = bytes.div_ceil(4096) as f64;
        if spec.consistent {
            u
        } else {
            u / 2.0
        }
    };
    page.consumed = match spec.source {
        Source::Table => Consumed::table(units(source_bytes)),
        Source::Index(i) => {
            let mut c = Consumed::table(units(table_bytes));
            c.add_index(&i.name, i.global, units(source_bytes));
            c
        }
    };
    Ok(page)
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

pub(super) use item::keycodec::prefix_end;

/// Renders a page as the Query/Scan response.
pub(super) fn render(page: Page, output: &Output) -> Map<String, Json> {
    let mut out = Map::new();
    if !matches!(output, Output::Count) {
        out.insert(
            "Items".into(),
            Json::Array(page.items.iter().map(item::json::item_to_json).collect()),
        );
    }
    out.insert("Count".into(), page.count.into());
    out.insert("ScannedCount".into(), page.scanned.into());
    if let Some(k) = &page.last_key {
        out.insert("LastEvaluatedKey".into(), item::json::item_to_json(k));
    }
    out
}
