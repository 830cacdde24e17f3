//! The update tree (UpdateExpression, and legacy `AttributeUpdates` converted to it) and how it
//! changes an item.
//!
//! AWS evaluates every right-hand side against the item as it was before the update, and list
//! indexes in the actions refer to the list as it was: so this applies in three phases —
//! in-place changes first, then appends past a list's end (in index order), then removals of
//! list elements (highest index first), which is what makes `SET l[1] = :a REMOVE l[0]`
//! change the element that was at 1 and `SET l[8] = :x, l[6] = :y` append `y` before `x`.

use std::collections::BTreeMap;

use super::error::ExprError;
use std::collections::HashSet;
use std::hash::Hash;

use super::path::{Path, PathElement};
use super::projection::Projection;
use crate::value::{Item, Value};

const INVALID_PATH: &str =
    "The document path provided in the update expression is invalid for update";
const MISSING_OPERAND: &str =
    "The provided expression refers to an attribute that does not exist in the item";
const WRONG_OPERAND_TYPE: &str = "An operand in the update expression has an incorrect data type";
/// The legacy API's wording for the same problems.
const LEGACY_TYPE_MISMATCH: &str = "Type mismatch for attribute to update";

/// A value in a SET action.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateOperand {
    Path(Path),
    Value(Value),
    /// `if_not_exists(path, operand)`.
    IfNotExists(Path, Box<UpdateOperand>),
    /// `list_append(a, b)`.
    ListAppend(Box<UpdateOperand>, Box<UpdateOperand>),
}

/// The right-hand side of a SET action.
#[derive(Clone, Debug, PartialEq)]
pub enum SetValue {
    Operand(UpdateOperand),
    Plus(UpdateOperand, UpdateOperand),
    Minus(UpdateOperand, UpdateOperand),
}

#[derive(Clone, Debug, PartialEq)]
pub enum UpdateAction {
    Set(Path, SetValue),
    Remove(Path),
    /// ADD a number to a number, or members to a set; creates the attribute if missing.
    Add(Path, Value),
    /// DELETE members from a set; the attribute disappears when no member is left.
    Delete(Path, Value),
}

impl UpdateAction {
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    actions: Vec<UpdateAction>,
    /// Converted from `AttributeUpdates`: ADD also appends lists, and type errors use the legacy
    /// wording.
    legacy: bool,
}

impl Update {
    pub(crate) fn new(actions: Vec<UpdateAction>, legacy: bool) -> Update {
        Update { actions, legacy }
    }

    /// The actions in the order they were written.
    pub fn actions(&self) -> &[UpdateAction] {
        &self.actions
    }

    /// Whether every action takes something away (REMOVE, DELETE): such an update of an item
    /// that does not exist creates nothing, as AWS does.
    pub fn only_removes(&self) -> bool {
        !self.actions.is_empty()
            && self
                .actions
                .iter()
                .all(|a| matches!(a, UpdateAction::Remove(_) | UpdateAction::Delete(..)))
    }

    /// The distinct top-level attributes the update touches, in order of first mention: what
    /// ReturnValues UPDATED_* reports on, and what the caller checks against key attributes.
    pub fn touched_attributes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in &self.actions {
            let name = a.path().attribute_name();
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        }
        out
    }

    /// Every action's target path.
    pub fn paths(&self) -> Vec<&Path> {
        self.actions.iter().map(UpdateAction::path).collect()
    }

    /// The projection of the updated paths: applied to the item before or after the update it
    /// gives ReturnValues UPDATED_OLD / UPDATED_NEW.
    pub fn updated_projection(&self) -> Projection {
        Projection::from_paths(self.actions.iter().map(|a| a.path().clone()).collect())
    }

    /// Applies the update to an existing item. On error `item` is left unchanged.
    pub fn apply(&self, item: &mut Item) -> Result<(), ExprError> {
        self.apply_inner(item, true)
    }

    /// Applies the update when there is no item yet: `item` holds just the key. Differs from
    /// [`Update::apply`] in one AWS quirk: removing a nested path (`REMOVE a.b`, `REMOVE a[0]`)
    /// from a missing item is silently ignored, where on an existing item without `a` it is an
    /// invalid document path.
    pub fn apply_to_new_item(&self, item: &mut Item) -> Result<(), ExprError> {
        self.apply_inner(item, false)
    }

    fn apply_inner(&self, item: &mut Item, existed: bool) -> Result<(), ExprError> {
        // Every SET value comes from the item as it was.
        let mut values = Vec::with_capacity(self.actions.len());
        for a in &self.actions {
            values.push(match a {
                UpdateAction::Set(_, v) => Some(self.eval_set(v, item)?),
                _ => None,
            });
        }
        let mut work = item.clone();
        let mut appends: Vec<(Path, Value)> = Vec::new();
        let mut removals: Vec<Path> = Vec::new();
        for (a, v) in self.actions.iter().zip(values) {
            match self.apply_one(&mut work, a, v, &mut appends, &mut removals) {
                Err(e)
                    if !existed
                        && matches!(a, UpdateAction::Remove(_))
                        && e.message == INVALID_PATH => {}
                other => other?,
            }
        }
        appends.sort_by(|(a, _), (b, _)| a.cmp_elements(b));
        for (path, v) in appends {
            if let Some(Value::L(list)) = parent_mut(&mut work, &path)? {
                list.push(v);
            }
        }
        removals.sort_by(|a, b| b.cmp_elements(a));
        for path in removals {
            if let (Some(Value::L(list)), Some(PathElement::Index(i))) =
                (parent_mut(&mut work, &path)?, path.elements().last())
            {
                if *i < list.len() {
                    list.remove(*i);
                }
            }
        }
        *item = work;
        Ok(())
    }

    fn type_error(&self) -> ExprError {
        ExprError::new(if self.legacy {
            LEGACY_TYPE_MISMATCH
        } else {
            WRONG_OPERAND_TYPE
        })
    }

    fn eval_set(&self, v: &SetValue, item: &Item) -> Result<Value, ExprError> {
        match v {
            SetValue::Operand(o) => eval_operand(o, item),
            SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                let (x, y) = (eval_operand(a, item)?, eval_operand(b, item)?);
                let (Value::N(x), Value::N(y)) = (&x, &y) else {
                    return Err(ExprError::new(WRONG_OPERAND_TYPE));
                };
                let r = if matches!(v, SetValue::Plus(..)) {
                    x.checked_add(y)
                } else {
                    x.checked_sub(y)
                };
                r.map(Value::N).map_err(|e| ExprError::new(e.to_string()))
            }
        }
    }

    /// Phase one for one action; list appends and list-element removals are deferred.
    fn apply_one(
        &self,
        work: &mut Item,
        action: &UpdateAction,
        set_value: Option<Value>,
        appends: &mut Vec<(Path, Value)>,
        removals: &mut Vec<Path>,
    ) -> Result<(), ExprError> {
        let path = action.path();
        let last = path.elements().last();
        let slot = if path.is_top_level() {
            match last {
                Some(PathElement::Name(n)) => Slot::Map(work, n),
                _ => return Err(ExprError::new(INVALID_PATH)),
            }
        } else {
            match (parent_mut(work, path)?, last) {
                (Some(Value::M(m)), Some(PathElement::Name(n))) => Slot::Map(m, n),
                (Some(Value::L(l)), Some(PathElement::Index(i))) => Slot::List(l, *i),
                _ => return Err(ExprError::new(INVALID_PATH)),
            }
        };
        match action {
            UpdateAction::Set(..) => {
                let v = set_value.unwrap_or(Value::Null);
                match slot {
                    Slot::Map(m, n) => {
                        m.insert(n.clone(), v);
                    }
                    Slot::List(l, i) => match l.get_mut(i) {
                        Some(e) => *e = v,
                        None => appends.push((path.clone(), v)),
                    },
                }
            }
            UpdateAction::Remove(_) => match slot {
                Slot::Map(m, n) => {
                    m.remove(n);
                }
                Slot::List(l, i) => {
                    if i < l.len() {
                        removals.push(path.clone());
                    }
                }
            },
            UpdateAction::Add(_, v) => {
                let current = match &slot {
                    Slot::Map(m, n) => m.get(*n),
                    Slot::List(l, i) => l.get(*i),
                };
                match current {
                    None => match slot {
                        Slot::Map(m, n) => {
                            m.insert(n.clone(), v.clone());
                        }
                        Slot::List(..) => appends.push((path.clone(), v.clone())),
                    },
                    Some(cur) => {
                        let sum = self.add(cur, v)?;
                        slot.put(sum);
                    }
                }
            }
            UpdateAction::Delete(_, v) => {
                let current = match &slot {
                    Slot::Map(m, n) => m.get(*n),
                    Slot::List(l, i) => l.get(*i),
                };
                if let Some(cur) = current {
                    match self.delete(cur, v)? {
                        Some(rest) => slot.put(rest),
                        None => match slot {
                            Slot::Map(m, n) => {
                                m.remove(n);
                            }
                            Slot::List(..) => removals.push(path.clone()),
                        },
                    }
                }
            }
        }
        Ok(())
    }

    fn add(&self, cur: &Value, v: &Value) -> Result<Value, ExprError> {
        Ok(match (cur, v) {
            (Value::N(a), Value::N(b)) => Value::N(
                a.checked_add(b)
                    .map_err(|e| ExprError::new(e.to_string()))?,
            ),
            (Value::Ss(a), Value::Ss(b)) => Value::Ss(union(a, b)),
            (Value::Ns(a), Value::Ns(b)) => Value::Ns(union(a, b)),
            (Value::Bs(a), Value::Bs(b)) => Value::Bs(union(a, b)),
            (Value::L(a), Value::L(b)) if self.legacy => {
                Value::L(a.iter().chain(b).cloned().collect())
            }
            _ => return Err(self.type_error()),
        })
    }

    /// The set left after removing `v`'s members, or `None` when nothing is left.
    fn delete(&self, cur: &Value, v: &Value) -> Result<Option<Value>, ExprError> {
        fn rest<T: Eq + Hash + Clone>(a: &[T], b: &[T]) -> Option<Vec<T>> {
            let gone: HashSet<&T> = b.iter().collect();
            let left: Vec<T> = a.iter().filter(|x| !gone.contains(x)).cloned().collect();
            (!left.is_empty()).then_some(left)
        }
        Ok(match (cur, v) {
            (Value::Ss(a), Value::Ss(b)) => rest(a, b).map(Value::Ss),
            (Value::Ns(a), Value::Ns(b)) => rest(a, b).map(Value::Ns),
            (Value::Bs(a), Value::Bs(b)) => rest(a, b).map(Value::Bs),
            _ => return Err(self.type_error()),
        })
    }
}

/// Where an action writes: a key of a map (or of the item) or a position in a list.
enum Slot<'w> {
    Map(&'w mut BTreeMap<String, Value>, &'w String),
    List(&'w mut Vec<Value>, usize),
}

impl Slot<'_> {
    fn put(self, v: Value) {
        match self {
            Slot::Map(m, n) => {
                m.insert(n.clone(), v);
            }
            Slot::List(l, i) => {
                if let Some(e) = l.get_mut(i) {
                    *e = v;
                }
            }
        }
    }
}

/// The value holding the path's last step (`None` for a top-level attribute, whose parent is
/// the item). A missing parent, or one of the wrong type, makes the path invalid for update.
fn parent_mut<'w>(work: &'w mut Item, path: &Path) -> Result<Option<&'w mut Value>, ExprError> {
    let elems = path.elements();
    let Some((_, parents)) = elems.split_last() else {
        return Err(ExprError::new(INVALID_PATH));
    };
    let mut steps = parents.iter();
    let mut cur = match steps.next() {
        None => return Ok(None),
        Some(PathElement::Name(n)) => work.get_mut(n),
        Some(PathElement::Index(_)) => None,
    }
    .ok_or_else(|| ExprError::new(INVALID_PATH))?;
    for step in steps {
        cur = match (cur, step) {
            (Value::M(m), PathElement::Name(n)) => m.get_mut(n),
            (Value::L(l), PathElement::Index(i)) => l.get_mut(*i),
            _ => None,
        }
        .ok_or_else(|| ExprError::new(INVALID_PATH))?;
    }
    Ok(Some(cur))
}

fn eval_operand(o: &UpdateOperand, item: &Item) -> Result<Value, ExprError> {
    match o {
        UpdateOperand::Path(p) => p
            .resolve(item)
            .cloned()
            .ok_or_else(|| ExprError::new(MISSING_OPERAND)),
        UpdateOperand::Value(v) => Ok(v.clone()),
        UpdateOperand::IfNotExists(p, fallback) => match p.resolve(item) {
            Some(v) => Ok(v.clone()),
            None => eval_operand(fallback, item),
        },
        UpdateOperand::ListAppend(a, b) => {
            let (x, y) = (eval_operand(a, item)?, eval_operand(b, item)?);
            match (x, y) {
                (Value::L(mut x), Value::L(y)) => {
                    x.extend(y);
                    Ok(Value::L(x))
                }
                _ => Err(ExprError::new(WRONG_OPERAND_TYPE)),
            }
        }
    }
}

/// `a` followed by the members of `b` it lacks.
fn union<T: Eq + Hash + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let seen: HashSet<&T> = a.iter().collect();
    let mut out = a.to_vec();
    out.extend(b.iter().filter(|x| !seen.contains(x)).cloned());
    out
}
