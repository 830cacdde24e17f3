//! Document paths (`a.b[2].#n`): their parsed-but-unresolved form, the resolved [`Path`], how a
//! path finds its value in an item, and AWS's checks that two paths of one expression neither
//! overlap nor conflict.

use std::cmp::Ordering;
use std::fmt;

use super::lexer::{parse_index, Cursor, PResult, TokKind};
use crate::value::{Item, Value};

/// One step of a resolved path: a map key (or, first, the attribute name) or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathElement {
    Name(String),
    Index(usize),
}

/// A resolved document path: `#names` substituted, always starting with an attribute name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    elements: Vec<PathElement>,
}

impl Path {
    /// The path of a top-level attribute.
    pub fn attribute(name: impl Into<String>) -> Path {
        Path {
            elements: vec![PathElement::Name(name.into())],
        }
    }

    /// A path from already-resolved elements (the parsers guarantee a name comes first).
    pub(crate) fn from_resolved(elements: Vec<PathElement>) -> Path {
        Path { elements }
    }

    /// A path from its elements; `None` unless it starts with a name.
    pub fn from_elements(elements: Vec<PathElement>) -> Option<Path> {
        match elements.first() {
            Some(PathElement::Name(_)) => Some(Path { elements }),
            _ => None,
        }
    }

    pub fn elements(&self) -> &[PathElement] {
        &self.elements
    }

    /// The top-level attribute the path starts at.
    pub fn attribute_name(&self) -> &str {
        match self.elements.first() {
            Some(PathElement::Name(n)) => n,
            _ => "",
        }
    }

    /// True for a bare attribute name (no `.` or `[]`).
    pub fn is_top_level(&self) -> bool {
        self.elements.len() == 1
    }

    /// The value at this path, if the item has one there (a step into the wrong type finds
    /// nothing, as in AWS).
    pub fn resolve<'v>(&self, item: &'v Item) -> Option<&'v Value> {
        let mut steps = self.elements.iter();
        let mut cur = match steps.next() {
            Some(PathElement::Name(n)) => item.get(n)?,
            _ => return None,
        };
        for step in steps {
            cur = step_into(cur, step)?;
        }
        Some(cur)
    }

    /// Total order used to apply list updates deterministically: element by element, names
    /// before indexes, indexes numerically.
    pub(crate) fn cmp_elements(&self, other: &Path) -> Ordering {
        for (a, b) in self.elements.iter().zip(&other.elements) {
            let o = match (a, b) {
                (PathElement::Name(x), PathElement::Name(y)) => x.cmp(y),
                (PathElement::Index(x), PathElement::Index(y)) => x.cmp(y),
                (PathElement::Name(_), PathElement::Index(_)) => Ordering::Less,
                (PathElement::Index(_), PathElement::Name(_)) => Ordering::Greater,
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.elements.len().cmp(&other.elements.len())
    }
}

/// One step down from `v`, if `v` has that member.
pub(crate) fn step_into<'v>(v: &'v Value, step: &PathElement) -> Option<&'v Value> {
    match (v, step) {
        (Value::M(m), PathElement::Name(n)) => m.get(n),
        (Value::L(l), PathElement::Index(i)) => l.get(*i),
        _ => None,
    }
}

/// AWS prints paths in messages as `[a, b, [2]]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, e) in self.elements.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match e {
                PathElement::Name(n) => f.write_str(n)?,
                PathElement::Index(ix) => write!(f, "[{ix}]")?,
            }
        }
        f.write_str("]")
    }
}

/// A path element as written, before `#names` are looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RawElem {
    /// A bare identifier; subject to the reserved-word check.
    Ident(String),
    /// An `#name` placeholder.
    Name(String),
    Index(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawPath(pub Vec<RawElem>);

/// Parses one path element name: a bare identifier (not one of `keywords`) or an `#name`.
pub(crate) fn parse_path_name(cur: &mut Cursor<'_>, keywords: &[&str]) -> PResult<RawElem> {
    let t = cur.peek();
    match t.kind {
        TokKind::Name => {
            cur.bump();
            Ok(RawElem::Name(cur.text_of(t).to_string()))
        }
        TokKind::Ident => {
            let text = cur.text_of(t);
            if keywords.iter().any(|k| text.eq_ignore_ascii_case(k)) {
                return cur.fail();
            }
            cur.bump();
            Ok(RawElem::Ident(text.to_string()))
        }
        _ => cur.fail(),
    }
}

/// Parses the `.name` / `[n]` steps that may follow a path's head, appending them to `path`.
/// Returns whether any step was added.
pub(crate) fn parse_path_tail(
    cur: &mut Cursor<'_>,
    path: &mut RawPath,
    keywords: &[&str],
) -> PResult<bool> {
    let mut any = false;
    loop {
        if cur.is_punct(".") {
            cur.bump();
            let e = parse_path_name(cur, keywords)?;
            path.0.push(e);
        } else if cur.is_punct("[") {
            cur.bump();
            let t = cur.peek();
            if t.kind != TokKind::Number {
                return cur.fail();
            }
            cur.bump();
            path.0.push(RawElem::Index(parse_index(cur.text_of(t))));
            cur.expect_punct("]")?;
        } else {
            // Neither continues the path: note both as possible expectations here.
            cur.miss();
            return Ok(any);
        }
        any = true;
    }
}

/// Parses a whole path: a head name and its tail.
pub(crate) fn parse_path(cur: &mut Cursor<'_>, keywords: &[&str]) -> PResult<RawPath> {
    let head = parse_path_name(cur, keywords)?;
    let mut path = RawPath(vec![head]);
    parse_path_tail(cur, &mut path, keywords)?;
    Ok(path)
}

/// How two paths of one expression relate, in AWS's terms.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Clash {
    /// One is a prefix of the other (or they are equal).
    Overlap,
    /// At the first step where they part, one indexes a list and the other names a map key.
    Conflict,
}

pub(crate) fn clash(a: &Path, b: &Path) -> Option<Clash> {
    for (x, y) in a.elements.iter().zip(&b.elements) {
        match (x, y) {
            (PathElement::Name(p), PathElement::Name(q)) if p == q => {}
            (PathElement::Index(p), PathElement::Index(q)) if p == q => {}
            (PathElement::Name(_), PathElement::Name(_))
            | (PathElement::Index(_), PathElement::Index(_)) => return None,
            _ => return Some(Clash::Conflict),
        }
    }
    Some(Clash::Overlap)
}

/// The paths an update or projection expression writes or reads, checked as AWS checks them:
/// the first overlap found wins; a conflict is remembered (the latest one) but only reported if
/// no overlap is found, and once an overlap is found later paths are not checked.
#[derive(Default)]
pub(crate) struct PathSet {
    paths: Vec<Path>,
    pub overlap: Option<String>,
    pub conflict: Option<String>,
}

impl PathSet {
    pub fn add(&mut self, path: &Path) {
        if self.overlap.is_some() {
            return;
        }
        for earlier in &self.paths {
            match clash(earlier, path) {
                Some(Clash::Overlap) => {
                    self.overlap = Some(format!(
                        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {earlier}, path two: {path}"
                    ));
                    return;
                }
                Some(Clash::Conflict) => {
                    self.conflict = Some(format!(
                        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {earlier}, path two: {path}"
                    ));
                }
                None => {}
            }
        }
        self.paths.push(path.clone());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn p(elems: &[&str]) -> Path {
        let elements = elems
            .iter()
            .map(|e| match e.parse::<usize>() {
                Ok(i) => PathElement::Index(i),
                Err(_) => PathElement::Name((*e).to_string()),
            })
            .collect();
        Path { elements }
    }

    #[test]
    fn displays_like_aws() {
        assert_eq!(p(&["a", "b", "1", "c"]).to_string(), "[a, b, [1], c]");
        assert_eq!(Path::attribute("x").to_string(), "[x]");
    }

    #[test]
    fn resolves_nested_values() {
        let mut inner = BTreeMap::new();
        inner.insert("c".to_string(), Value::Bool(true));
        let mut item = Item::new();
        item.insert(
            "a".to_string(),
            Value::L(vec![Value::Null, Value::M(inner)]),
        );
        assert_eq!(p(&["a", "1", "c"]).resolve(&item), Some(&Value::Bool(true)));
        assert_eq!(p(&["a", "0"]).resolve(&item), Some(&Value::Null));
        assert_eq!(p(&["a", "2"]).resolve(&item), None);
        assert_eq!(p(&["a", "c"]).resolve(&item), None);
        assert_eq!(p(&["a", "0", "c"]).resolve(&item), None);
        assert_eq!(p(&["b"]).resolve(&item), None);
    }

    #[test]
    fn clashes() {
        assert_eq!(clash(&p(&["a"]), &p(&["a", "b"])), Some(Clash::Overlap));
        assert_eq!(clash(&p(&["a", "b"]), &p(&["a"])), Some(Clash::Overlap));
        assert_eq!(clash(&p(&["a"]), &p(&["a"])), Some(Clash::Overlap));
        assert_eq!(
            clash(&p(&["a", "1"]), &p(&["a", "b"])),
            Some(Clash::Conflict)
        );
        assert_eq!(clash(&p(&["a", "1"]), &p(&["a", "2"])), None);
        assert_eq!(clash(&p(&["a", "b"]), &p(&["c", "b"])), None);
    }

    #[test]
    fn path_set_prefers_overlap_over_conflict() {
        let mut set = PathSet::default();
        set.add(&p(&["d", "1"]));
        set.add(&p(&["d", "b"]));
        assert!(set.conflict.is_some());
        set.add(&p(&["c", "1", "a"]));
        set.add(&p(&["c"]));
        assert_eq!(
            set.overlap.as_deref(),
            Some("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]")
        );
    }

    #[test]
    fn orders_elements() {
        assert_eq!(
            p(&["a", "2"]).cmp_elements(&p(&["a", "10"])),
            Ordering::Less
        );
        assert_eq!(p(&["a", "b"]).cmp_elements(&p(&["a", "0"])), Ordering::Less);
        assert_eq!(p(&["a"]).cmp_elements(&p(&["a", "0"])), Ordering::Less);
    }
}
