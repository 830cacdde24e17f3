//! ProjectionExpression (and `AttributesToGet`): which parts of an item to return.
//!
//! Grammar: `path (',' path)*`. Problems are reported in AWS's order: reserved word, undefined
//! name, overlapping paths, conflicting paths.
//!
//! Projecting keeps the item's nesting: `a.b, a.c` gives `a` as a map of just `b` and `c`, and
//! list indexes keep the selected elements in index order, closing the gaps (`l[3], l[1]` gives
//! `[l[1], l[3]]`).

use std::collections::BTreeMap;

use super::error::{ExprError, ExprKind};
use super::lexer::{Cursor, Fail};
use super::path::{parse_path, Path, PathElement, PathSet, RawElem};
use super::reserved::is_reserved;
use super::Context;
use crate::value::{Item, Value};

const KIND: ExprKind = ExprKind::ProjectionExpression;

#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    paths: Vec<Path>,
}

pub(crate) fn parse(text: &str, ctx: &mut Context) -> Result<Projection, ExprError> {
    let mut cur = Cursor::new(text);
    let mut raw = Vec::new();
    let parsed = (|| {
        raw.push(parse_path(&mut cur, &[])?);
        while cur.eat_punct(",") {
            raw.push(parse_path(&mut cur, &[])?);
        }
        if !cur.at_eof() {
            return cur.fail();
        }
        Ok(())
    })();
    if let Err(Fail) = parsed {
        return Err(cur.syntax_error(KIND));
    }
    let mut reserved: Option<String> = None;
    let mut undefined: Option<String> = None;
    let mut paths = Vec::with_capacity(raw.len());
    for rp in raw {
        let mut elements = Vec::with_capacity(rp.0.len());
        for e in rp.0 {
            match e {
                RawElem::Ident(s) => {
                    if reserved.is_none() && is_reserved(&s) {
                        reserved = Some(format!(
                            "Attribute name is a reserved keyword; reserved keyword: {s}"
                        ));
                    }
                    elements.push(PathElement::Name(s));
                }
                RawElem::Name(n) => match ctx.name(&n) {
                    Some(real) => elements.push(PathElement::Name(real)),
                    None => {
                        if undefined.is_none() {
                            undefined = Some(format!("An expression attribute name used in the document path is not defined; attribute name: {n}"));
                        }
                        elements.push(PathElement::Name(String::new()));
                    }
                },
                RawElem::Index(i) => elements.push(PathElement::Index(i)),
            }
        }
        paths.push(Path::from_resolved(elements));
    }
    let mut set = PathSet::default();
    for p in &paths {
        set.add(p);
    }
    match reserved.or(undefined).or(set.overlap).or(set.conflict) {
        Some(msg) => Err(ExprError::invalid(KIND, msg)),
        None => Ok(Projection { paths }),
    }
}

/// The projected item being built: leaves are copied values; lists are sparse until the end.
enum Node {
    Leaf(Value),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Leaf(v) => v,
            Node::Map(m) => Value::M(m.into_iter().map(|(k, n)| (k, n.into_value())).collect()),
            Node::List(l) => Value::L(l.into_values().map(Node::into_value).collect()),
        }
    }
}

impl Projection {
    /// A projection of already-resolved paths (e.g. an update's paths, for UPDATED_* return
    /// values). Paths are expected not to overlap.
    pub fn from_paths(paths: Vec<Path>) -> Projection {
        Projection { paths }
    }

    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// The distinct top-level attributes the projection reads, in order of first mention.
    pub fn top_level_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.paths {
            let n = p.attribute_name();
            if !out.iter().any(|x| x == n) {
                out.push(n.to_string());
            }
        }
        out
    }

    /// The parts of `item` the projection selects; paths that find nothing are left out.
    pub fn apply(&self, item: &Item) -> Item {
        let mut root: BTreeMap<String, Node> = BTreeMap::new();
        for path in &self.paths {
            let Some(value) = path.resolve(item) else {
                continue;
            };
            let mut elems = path.elements().iter();
            let Some(PathElement::Name(first)) = elems.next() else {
                continue;
            };
            let rest: Vec<&PathElement> = elems.collect();
            if rest.is_empty() {
                root.insert(first.clone(), Node::Leaf(value.clone()));
                continue;
            }
            let container = match rest.first() {
                Some(PathElement::Index(_)) => Node::List(BTreeMap::new()),
                _ => Node::Map(BTreeMap::new()),
            };
            let node = root.entry(first.clone()).or_insert(container);
            insert(node, &rest, value);
        }
        root.into_iter().map(|(k, n)| (k, n.into_value())).collect()
    }
}

/// Places `value` at `rest` below `node`, creating containers on the way. A step that does not
/// fit the container already there (only possible for paths AWS would call conflicting) is
/// ignored.
fn insert(node: &mut Node, rest: &[&PathElement], value: &Value) {
    let Some((step, deeper)) = rest.split_first() else {
        return;
    };
    let fresh = |deeper: &[&PathElement]| match deeper.first() {
        None => Node::Leaf(value.clone()),
        Some(PathElement::Index(_)) => Node::List(BTreeMap::new()),
        Some(PathElement::Name(_)) => Node::Map(BTreeMap::new()),
    };
    let child = match (node, step) {
        (Node::Map(m), PathElement::Name(n)) => m.entry(n.clone()).or_insert_with(|| fresh(deeper)),
        (Node::List(l), PathElement::Index(i)) => l.entry(*i).or_insert_with(|| fresh(deeper)),
        _ => return,
    };
    insert(child, deeper, value);
}
