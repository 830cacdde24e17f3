//! Data keys: the keys a service gives the store to seal one of its tables' values under, on
//! top of the store key every file is encrypted with (`at_rest`). DynamoDB gives each table
//! one, from KMS under the table's KMS key, so that a table's data opens only while KMS hands
//! its key out.
//!
//! - A service *assigns* a data key to a prefix of store table names
//!   ([`crate::WriteCtx::assign_data_key`]): the assignment is an entry of the store table
//!   [`ASSIGNMENTS`], written in a batch like any other, so it is in the log before the data it
//!   governs, and recovery sees it. Prefixes must not nest.
//! - The key itself is only in memory ([`crate::Store::add_data_key`]): the service unwraps it
//!   (through KMS) after the store opens. The store never holds it in a file.
//! - Values are sealed where they leave memory for the database file: in the fold, and in the
//!   log's replay at open (`values::TableWriter`), with AES-256-GCM under the key, the key's
//!   number in a header (the associated data), so that values sealed under an earlier key stay
//!   readable while a service re-seals them ([`crate::WriteCtx::reseal`]). The memtable keeps
//!   plaintext; the log is sealed under the store key.
//! - A value the fold must write while its table's key is not in memory (the log's replay at
//!   open, before any service has given keys) is written unsealed, and its table is listed in
//!   [`UNSEALED`] until a service re-seals it ([`crate::Store::unsealed_tables`]).
//! - Change-log records name the table they belong to ([`crate::WriteCtx::append_change_of`])
//!   and are sealed under its key in the same way.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::at_rest::{Sealer, Secret};
use crate::StoreError;

/// Prefix of store table names → the number of the data key their values are sealed under
/// (8 bytes, little-endian).
pub(crate) const ASSIGNMENTS: &str = "store.data_keys";

/// Tables holding values written unsealed although a key was assigned (key: the table name).
pub(crate) const UNSEALED: &str = "store.unsealed";

/// A sealed value: the key's number (8 bytes), the nonce (12), then the ciphertext and tag.
const HEADER: usize = 8 + 12;

/// The data keys the store was given, by number.
#[derive(Default)]
pub(crate) struct Keyring {
    keys: RwLock<HashMap<u64, Arc<DataKey>>>,
}

pub(crate) struct DataKey {
    secret: Secret,
    sealer: Sealer,
}

impl DataKey {
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }
}

impl Keyring {
    pub(crate) fn add(&self, number: u64, secret: Secret) -> Result<(), StoreError> {
        let sealer = Sealer::new(*secret.as_bytes());
        let mut keys = self
            .keys
            .write()
            .map_err(|_| StoreError::io("the keyring's lock is poisoned"))?;
        keys.insert(number, Arc::new(DataKey { secret, sealer }));
        Ok(())
    }

    pub(crate) fn remove(&self, number: u64) {
        if let Ok(mut keys) = self.keys.write() {
            keys.remove(&number);
        }
    }

    pub(crate) fn get(&self, number: u64) -> Option<Arc<DataKey>> {
        self.keys.read().ok()?.get(&number).cloned()
    }

    /// The plaintext of a sealed value.
    pub(crate) fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let number = key_of(sealed)?;
        let key = self.get(number).ok_or(StoreError::KeyUnavailable(number))?;
        let (header, body) = sealed.split_at(HEADER);
        let nonce: &[u8; 12] = header[8..].try_into().map_err(|_| cut_short())?;
        key.sealer.open(nonce, &header[..8], body).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "a value sealed under data key {number} does not open"
            ))
        })
    }
}

fn cut_short() -> StoreError {
    StoreError::Corrupt("a sealed value is cut short".into())
}

/// The number of the key a sealed value names.
pub(crate) fn key_of(sealed: &[u8]) -> Result<u64, StoreError> {
    sealed
        .get(..8)
        .and_then(|n| n.try_into().ok())
        .map(u64::from_le_bytes)
        .filter(|_| sealed.len() >= HEADER + crate::at_rest::TAG_BYTES)
        .ok_or_else(cut_short)
}

/// Seals values under one key. Nonces are a random base plus a counter: unique under the key
/// whatever number of sealers ran before (96 random bits each).
pub(crate) struct ValueSealer {
    number: u64,
    key: Arc<DataKey>,
    base: [u8; 12],
    count: u64,
}

impl ValueSealer {
    pub(crate) fn new(number: u64, key: Arc<DataKey>) -> Result<ValueSealer, StoreError> {
        let mut base = [0u8; 12];
        getrandom::getrandom(&mut base)
            .map_err(|e| StoreError::io(format!("no randomness for a nonce: {e}")))?;
        Ok(ValueSealer {
            number,
            key,
            base,
            count: 0,
        })
    }

    pub(crate) fn seal(&mut self, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = self.base;
        let low = u64::from_le_bytes(nonce[4..].try_into().unwrap_or([0; 8]));
        nonce[4..].copy_from_slice(&low.wrapping_add(self.count).to_le_bytes());
        self.count += 1;
        let id = self.number.to_le_bytes();
        let sealed = self.key.sealer.seal(&nonce, &id, plain)?;
        let mut out = Vec::with_capacity(HEADER + sealed.len());
        out.extend_from_slice(&id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }
}

/// The data key assigned to table `name`, given the assignment that sorts last at or before
/// it (prefixes do not nest, so only that one can be a prefix of `name`).
pub(crate) fn assigned(last_at_or_before: Option<(&[u8], &[u8])>, name: &str) -> Option<u64> {
    let (prefix, number) = last_at_or_before?;
    if !name.as_bytes().starts_with(prefix) {
        return None;
    }
    number.try_into().ok().map(u64::from_le_bytes)
}

/// A change-log record as the memtable and the log hold it when it names its table:
/// [`NAMED`], the table name's length (2 bytes), the name, the record. In the database such a
/// record is the same with [`SEALED_CHANGE`] first and the record sealed, or stays named when
/// its key is missing. Records of earlier builds are JSON, which never starts with either byte.
pub(crate) const NAMED: u8 = 0xFE;
pub(crate) const SEALED_CHANGE: u8 = 0xFD;

pub(crate) fn named_change(table: &str, record: &[u8]) -> Vec<u8> {
    let mut out = name_header(NAMED, table);
    out.extend_from_slice(record);
    out
}

fn name_header(form: u8, table: &str) -> Vec<u8> {
    let name = table.as_bytes();
    let len = name.len().min(u16::MAX as usize);
    let mut out = Vec::with_capacity(3 + len);
    out.push(form);
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&name[..len]);
    out
}

/// A record's form, the table it names, and the rest (the record, or its sealed bytes).
pub(crate) fn split(bytes: &[u8]) -> Option<(u8, &str, &[u8])> {
    let (&form, rest) = bytes.split_first()?;
    if form != NAMED && form != SEALED_CHANGE {
        return None;
    }
    let len = usize::from(u16::from_le_bytes(rest.get(..2)?.try_into().ok()?));
    let name = std::str::from_utf8(rest.get(2..2 + len)?).ok()?;
    Some((form, name, rest.get(2 + len..)?))
}

/// The table a named change names, and its record.
pub(crate) fn split_named(bytes: &[u8]) -> Option<(&str, &[u8])> {
    match split(bytes)? {
        (NAMED, name, record) => Some((name, record)),
        _ => None,
    }
}

/// A named change as the database keeps it under `sealer`'s key.
pub(crate) fn sealed_change(
    table: &str,
    record: &[u8],
    sealer: &mut ValueSealer,
) -> Result<Vec<u8>, StoreError> {
    let mut out = name_header(SEALED_CHANGE, table);
    out.extend_from_slice(&sealer.seal(record)?);
    Ok(out)
}

/// The record of a change of `table` stored as `bytes` that is not sealed under data key
/// `wanted`, opened; `None` for another table's record or one sealed as wanted.
pub(crate) fn to_reseal(
    bytes: &[u8],
    table: &str,
    wanted: Option<u64>,
    keys: &Keyring,
) -> Result<Option<Vec<u8>>, StoreError> {
    match split(bytes) {
        Some((NAMED, name, record)) if name == table && wanted.is_some() => {
            Ok(Some(record.to_vec()))
        }
        Some((SEALED_CHANGE, name, sealed)) if name == table && Some(key_of(sealed)?) != wanted => {
            keys.open(sealed).map(Some)
        }
        _ => Ok(None),
    }
}

/// A change-log record as readers see it, from any of its stored forms. A record sealed under
/// a key the store does not hold reads as its header alone (the form byte and the table's
/// name): no reader can decode it, and a reader looking for another table's records passes
/// it by.
pub(crate) fn change_record<'a>(
    bytes: &'a [u8],
    keys: &Keyring,
) -> Result<std::borrow::Cow<'a, [u8]>, StoreError> {
    use std::borrow::Cow;
    let Some((form, _, rest)) = split(bytes) else {
        return match bytes.first() {
            Some(&(NAMED | SEALED_CHANGE)) => Err(StoreError::Corrupt(
                "a change-log record is cut short".into(),
            )),
            _ => Ok(Cow::Borrowed(bytes)),
        };
    };
    if form == NAMED {
        return Ok(Cow::Borrowed(rest));
    }
    match keys.open(rest) {
        Ok(plain) => Ok(Cow::Owned(plain)),
        Err(StoreError::KeyUnavailable(_)) => Ok(Cow::Borrowed(&bytes[..bytes.len() - rest.len()])),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn values_open_only_while_their_key_is_in_the_keyring() {
        let ring = Keyring::default();
        ring.add(7, Secret::random().unwrap()).unwrap();
        let mut sealer = ValueSealer::new(7, ring.get(7).unwrap()).unwrap();
        let a = sealer.seal(b"a distinctive value").unwrap();
        let b = sealer.seal(b"a distinctive value").unwrap();
        assert_ne!(a, b, "every value has its own nonce");
        assert_eq!(key_of(&a).unwrap(), 7);
        assert_eq!(ring.open(&a).unwrap(), b"a distinctive value");
        let mut tampered = a.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(matches!(ring.open(&tampered), Err(StoreError::Corrupt(_))));
        ring.remove(7);
        assert!(matches!(ring.open(&a), Err(StoreError::KeyUnavailable(7))));
        ring.add(7, Secret::random().unwrap()).unwrap();
        assert!(ring.open(&a).is_err(), "another key under the same number");
    }

    #[test]
    fn assignments_match_by_prefix_and_changes_keep_their_table() {
        let n = 5u64.to_le_bytes();
        assert_eq!(
            assigned(Some((b"ddb.items.t1", &n)), "ddb.items.t1"),
            Some(5)
        );
        assert_eq!(
            assigned(Some((b"ddb.index.t1.", &n)), "ddb.index.t1.g"),
            Some(5)
        );
        assert_eq!(
            assigned(Some((b"ddb.index.t0.", &n)), "ddb.index.t1.g"),
            None
        );
        assert_eq!(assigned(None, "x"), None);
        let named = named_change("ddb.items.t1", b"{\"a\":1}");
        assert_eq!(
            split_named(&named),
            Some(("ddb.items.t1", &b"{\"a\":1}"[..]))
        );
        let ring = Keyring::default();
        assert_eq!(&*change_record(&named, &ring).unwrap(), b"{\"a\":1}");
        assert_eq!(&*change_record(b"{}", &ring).unwrap(), b"{}");
        ring.add(3, Secret::random().unwrap()).unwrap();
        let mut sealer = ValueSealer::new(3, ring.get(3).unwrap()).unwrap();
        let sealed = sealed_change("ddb.items.t1", b"{\"a\":1}", &mut sealer).unwrap();
        assert_eq!(&*change_record(&sealed, &ring).unwrap(), b"{\"a\":1}");
        ring.remove(3);
        let locked = change_record(&sealed, &ring).unwrap();
        assert_eq!(
            &locked[1..],
            &named_change("ddb.items.t1", b"")[1..],
            "its header alone"
        );
    }
}
