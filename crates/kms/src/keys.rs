//! Finding keys and aliases in the store, from a read snapshot or inside a write job (the same
//! code serves both through [`Reader`]), and the key identifiers KMS accepts: key id, key ARN,
//! alias name, alias ARN.

use std::ops::Bound;

use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

use crate::crypto::SecretKey;
use crate::error::KmsError;
use crate::model::{
    alias_arn, alias_key, key_arn, AliasRecord, KeyRecord, ALIASES, KEYS, MASTER_KEY, META,
};

/// Who is asking: the installation's account, the request's region, and one clock reading
/// for the whole operation.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) now_ms: u64,
}

impl Scope {
    pub(crate) fn key_arn(&self, key_id: &str) -> String {
        key_arn(&self.region, &self.account, key_id)
    }

    pub(crate) fn alias_arn(&self, name: &str) -> String {
        alias_arn(&self.region, &self.account, name)
    }
}

/// Reads that work the same on a snapshot and inside a write job.
pub(crate) trait Reader {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    fn scan_from(
        &self,
        table: &str,
        from: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError>;
}

impl Reader for ReadCtx {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        ReadCtx::get(self, table, key)
    }

    fn scan_from(
        &self,
        table: &str,
        from: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        ReadCtx::scan(
            self,
            table,
            (Bound::Included(from), Bound::Unbounded),
            false,
            visit,
        )
    }
}

impl Reader for WriteCtx<'_> {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        WriteCtx::get(self, table, key)
    }

    fn scan_from(
        &self,
        table: &str,
        from: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        WriteCtx::scan(
            self,
            table,
            (Bound::Included(from), Bound::Unbounded),
            false,
            visit,
        )
    }
}

/// A key identifier as the request gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ident {
    /// A key id, and the ARN it came in when it came in one.
    Key { id: String, arn: Option<String> },
    /// An alias name (`alias/...`), from a name or an alias ARN.
    Alias { name: String },
}

pub(crate) fn is_key_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn invalid_key_id(raw: &str) -> KmsError {
    KmsError::not_found(format!("Invalid keyId '{raw}'"))
}

/// Parses a KeyId parameter. Operations that manage a key take only a key id or key ARN
/// (`allow_alias` false); the cryptographic operations and DescribeKey also take aliases.
pub(crate) fn parse_ident(scope: &Scope, raw: &str, allow_alias: bool) -> Result<Ident, KmsError> {
    if raw.starts_with("arn:") {
        let parts: Vec<&str> = raw.splitn(6, ':').collect();
        let (service, region, account, resource) = match parts.as_slice() {
            [_, _, service, region, account, resource] => (*service, *region, *account, *resource),
            _ => return Err(invalid_key_id(raw)),
        };
        if service != "kms" {
            return Err(invalid_key_id(raw));
        }
        if let Some(id) = resource.strip_prefix("key/") {
            if region != scope.region {
                return Err(KmsError::not_found(format!("Invalid arn {region}")));
            }
            if account != scope.account || !is_key_id(id) {
                return Err(KmsError::not_found(format!("Key '{raw}' does not exist")));
            }
            return Ok(Ident::Key {
                id: id.to_string(),
                arn: Some(raw.to_string()),
            });
        }
        if resource.starts_with("alias/") && allow_alias {
            if region != scope.region {
                return Err(KmsError::not_found(format!("Invalid arn {region}")));
            }
            if account != scope.account {
                return Err(KmsError::not_found(format!("Alias {raw} is not found.")));
            }
            return Ok(Ident::Alias {
                name: resource.to_string(),
            });
        }
        return Err(invalid_key_id(raw));
    }
    if raw.starts_with("alias/") && allow_alias {
        return Ok(Ident::Alias {
            name: raw.to_string(),
        });
    }
    if !is_key_id(raw) {
        return Err(invalid_key_id(raw));
    }
    Ok(Ident::Key {
        id: raw.to_string(),
        arn: None,
    })
}

pub(crate) fn load_key(r: &impl Reader, key_id: &str) -> Result<Option<KeyRecord>, KmsError> {
    match r.get(KEYS, key_id.as_bytes())? {
        Some(bytes) => Ok(Some(KeyRecord::decode(&bytes)?)),
        None => Ok(None),
    }
}

/// A key that exists in this region and is not past its deletion date.
pub(crate) fn live_key(
    r: &impl Reader,
    scope: &Scope,
    key_id: &str,
) -> Result<Option<KeyRecord>, KmsError> {
    Ok(load_key(r, key_id)?.filter(|k| {
        k.region == scope.region && k.account == scope.account && !k.deleted(scope.now_ms)
    }))
}

pub(crate) fn load_alias(
    r: &impl Reader,
    scope: &Scope,
    name: &str,
) -> Result<Option<AliasRecord>, KmsError> {
    match r.get(ALIASES, &alias_key(&scope.region, name))? {
        Some(bytes) => Ok(Some(AliasRecord::decode(&bytes)?)),
        None => Ok(None),
    }
}

/// An alias whose key still exists (a key's deletion deletes its aliases).
pub(crate) fn live_alias(
    r: &impl Reader,
    scope: &Scope,
    name: &str,
) -> Result<Option<(AliasRecord, KeyRecord)>, KmsError> {
    let Some(alias) = load_alias(r, scope, name)? else {
        return Ok(None);
    };
    Ok(live_key(r, scope, &alias.target)?.map(|k| (alias, k)))
}

pub(crate) fn alias_not_found(scope: &Scope, name: &str) -> KmsError {
    KmsError::not_found(format!("Alias {} is not found.", scope.alias_arn(name)))
}

/// The key an identifier names, or AWS's NotFoundException.
pub(crate) fn resolve(
    r: &impl Reader,
    scope: &Scope,
    ident: &Ident,
) -> Result<KeyRecord, KmsError> {
    match ident {
        Ident::Key { id, arn } => live_key(r, scope, id)?.ok_or_else(|| {
            let arn = arn.clone().unwrap_or_else(|| scope.key_arn(id));
            KmsError::not_found(format!("Key '{arn}' does not exist"))
        }),
        Ident::Alias { name } => live_alias(r, scope, name)?
            .map(|(_, k)| k)
            .ok_or_else(|| alias_not_found(scope, name)),
    }
}

/// Every live key of the region, in key id order.
pub(crate) fn keys_in_region(r: &impl Reader, scope: &Scope) -> Result<Vec<KeyRecord>, KmsError> {
    let mut out = Vec::new();
    let mut failed = None;
    r.scan_from(KEYS, b"", &mut |_, v| match KeyRecord::decode(v) {
        Ok(k) => {
            if k.region == scope.region && k.account == scope.account && !k.deleted(scope.now_ms) {
                out.push(k);
            }
            ScanControl::Continue
        }
        Err(e) => {
            failed = Some(e);
            ScanControl::Stop
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Every alias of the region, in name order, live or not.
pub(crate) fn aliases_in_region(
    r: &impl Reader,
    scope: &Scope,
) -> Result<Vec<AliasRecord>, KmsError> {
    let prefix = alias_key(&scope.region, "");
    let mut out = Vec::new();
    let mut failed = None;
    r.scan_from(ALIASES, &prefix, &mut |k, v| {
        if !k.starts_with(&prefix) {
            return ScanControl::Stop;
        }
        match AliasRecord::decode(v) {
            Ok(a) => {
                out.push(a);
                ScanControl::Continue
            }
            Err(e) => {
                failed = Some(e);
                ScanControl::Stop
            }
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Every key past its deletion date, with the aliases that point to it: what a write job
/// removes (AWS deletes a key's aliases with it).
pub(crate) fn purge_deleted(ctx: &mut WriteCtx<'_>, now_ms: u64) -> Result<(), KmsError> {
    let mut gone: Vec<(String, String)> = Vec::new();
    ctx.scan_from(KEYS, b"", &mut |_, v| {
        if let Ok(k) = KeyRecord::decode(v) {
            if k.deleted(now_ms) {
                gone.push((k.key_id, k.region));
            }
        }
        ScanControl::Continue
    })?;
    for (key_id, region) in gone {
        let scope = Scope {
            account: String::new(),
            region: region.clone(),
            now_ms,
        };
        for alias in aliases_in_region(ctx, &scope)? {
            if alias.target == key_id {
                ctx.remove(ALIASES, &alias_key(&region, &alias.name))?;
            }
        }
        ctx.remove(KEYS, key_id.as_bytes())?;
        tracing::info!(key_id, "deleted a KMS key past its deletion date");
    }
    Ok(())
}

pub(crate) fn stored_master(r: &impl Reader) -> Result<Option<SecretKey>, StoreError> {
    match r.get(META, MASTER_KEY)? {
        None => Ok(None),
        Some(bytes) => SecretKey::from_slice(&bytes)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt("the KMS master key has the wrong length".into())),
    }
}

/// The master key inside a write job: the stored one, or `candidate`, stored now in the same
/// transaction as the first key it wraps.
pub(crate) fn ensure_master(
    ctx: &mut WriteCtx<'_>,
    candidate: &SecretKey,
) -> Result<SecretKey, StoreError> {
    if let Some(m) = stored_master(ctx)? {
        return Ok(m);
    }
    ctx.insert(META, MASTER_KEY, &candidate.0)?;
    tracing::info!("generated the KMS master key (local root of trust)");
    Ok(candidate.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            now_ms: 0,
        }
    }

    #[test]
    fn identifiers_parse_as_aws_reads_them() {
        let s = scope();
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(
            parse_ident(&s, id, false).unwrap(),
            Ident::Key {
                id: id.into(),
                arn: None
            }
        );
        let arn = format!("arn:aws:kms:us-east-1:123456789012:key/{id}");
        assert!(matches!(
            parse_ident(&s, &arn, false).unwrap(),
            Ident::Key { .. }
        ));
        assert_eq!(
            parse_ident(&s, "alias/x", true).unwrap(),
            Ident::Alias {
                name: "alias/x".into()
            }
        );
        assert_eq!(
            parse_ident(&s, "arn:aws:kms:us-east-1:123456789012:alias/x", true).unwrap(),
            Ident::Alias {
                name: "alias/x".into()
            }
        );
        let e = parse_ident(&s, "fake-key-id", true).unwrap_err();
        assert_eq!(e.message(), "Invalid keyId 'fake-key-id'");
        let e = parse_ident(&s, "alias/x", false).unwrap_err();
        assert_eq!(e.message(), "Invalid keyId 'alias/x'");
        let other = format!("arn:aws:kms:ap-southeast-1:123456789012:key/{id}");
        assert_eq!(
            parse_ident(&s, &other, true).unwrap_err().message(),
            "Invalid arn ap-southeast-1"
        );
    }
}
