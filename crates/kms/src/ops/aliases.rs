//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. Names start with `alias/`;
//! `alias/aws/` is AWS's. Aliases are per region and point at a key id; a key's deletion takes
//! its aliases with it.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::error::{Constraints, ErrorCode, KmsError};
use crate::keys::{self, Ident, Scope};
use crate::model::{alias_key, AliasRecord, KeyManager, ALIASES, DYNAMODB_ALIAS};
use crate::Operation;

use super::{check_access, page, paged, paging_constraints, require_not_pending, Call};

fn alias_pattern_ok(name: &str) -> bool {
    name.chars()
        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, ':' | '/' | '_' | '-'))
}

fn name_constraints(cons: &mut Constraints, name: Option<&str>) {
    cons.string(name, "aliasName", 1, 256);
    if let Some(n) = name {
        if !n.is_empty() && !alias_pattern_ok(n) {
            cons.push(
                n,
                "aliasName",
                "satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            );
        }
    }
}

/// What KMS checks of an alias name beyond its pattern.
fn check_name(name: &str) -> Result<(), KmsError> {
    if !name.starts_with("alias/") {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see \
             https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(KmsError::new(ErrorCode::NotAuthorized, ""));
    }
    if name["alias/".len()..].contains(':') {
        return Err(KmsError::validation(format!(
            "{name} contains invalid characters for an alias"
        )));
    }
    Ok(())
}

/// The key an alias may point at: a key id or key ARN (not another alias), of a customer
/// managed key not pending deletion.
fn target_ident(scope: &Scope, raw: &str) -> Result<Ident, KmsError> {
    if raw.starts_with("alias/") || (raw.starts_with("arn:") && raw.contains(":alias/")) {
        return Err(KmsError::validation(
            "Aliases must refer to keys. Not aliases",
        ));
    }
    keys::parse_ident(scope, raw, false)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AliasRequest {
    alias_name: Option<String>,
    target_key_id: Option<String>,
}

pub(crate) async fn create(c: &Call<'_>, req: AliasRequest) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    name_constraints(&mut cons, req.alias_name.as_deref());
    cons.string(req.target_key_id.as_deref(), "targetKeyId", 1, 2048);
    cons.into_result()?;
    let name = req.alias_name.unwrap_or_default();
    check_name(&name)?;
    let target = target_ident(&c.scope, req.target_key_id.as_deref().unwrap_or_default())?;
    let before = keys::resolve(&c.svc.store.read()?, &c.scope, &target)?;
    check_access(c, &before, Operation::CreateAlias)?;
    let scope = c.scope.clone();
    c.svc
        .write(move |ctx| {
            match keys::live_alias(ctx, &scope, &name) {
                Ok(Some(_)) => {
                    return Ok(Err(KmsError::new(
                        ErrorCode::AlreadyExists,
                        format!(
                            "An alias with the name {} already exists",
                            scope.alias_arn(&name)
                        ),
                    )))
                }
                Ok(None) => {}
                Err(e) => return Ok(Err(e)),
            }
            let key = match keys::resolve(ctx, &scope, &target).and_then(|k| {
                require_not_pending(&k)?;
                Ok(k)
            }) {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            };
            let alias = AliasRecord::new(
                &name,
                &scope.region,
                &scope.account,
                &key.key_id,
                scope.now_ms,
            );
            let bytes = match alias.encode() {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            ctx.insert(ALIASES, &alias_key(&scope.region, &name), &bytes)?;
            Ok(Ok(json!({})))
        })
        .await
}

pub(crate) async fn update(c: &Call<'_>, req: AliasRequest) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    name_constraints(&mut cons, req.alias_name.as_deref());
    cons.string(req.target_key_id.as_deref(), "targetKeyId", 1, 2048);
    cons.into_result()?;
    let name = req.alias_name.unwrap_or_default();
    check_name(&name)?;
    let target = target_ident(&c.scope, req.target_key_id.as_deref().unwrap_or_default())?;
    let scope = c.scope.clone();
    {
        let snap = c.svc.store.read()?;
        if keys::live_alias(&snap, &scope, &name)?.is_none() {
            return Err(keys::alias_not_found(&scope, &name));
        }
        let key = keys::resolve(&snap, &scope, &target)?;
        check_access(c, &key, Operation::UpdateAlias)?;
    }
    c.svc
        .write(move |ctx| {
            let mut alias = match keys::live_alias(ctx, &scope, &name) {
                Ok(Some((a, _))) => a,
                Ok(None) => return Ok(Err(keys::alias_not_found(&scope, &name))),
                Err(e) => return Ok(Err(e)),
            };
            let key = match keys::resolve(ctx, &scope, &target).and_then(|k| {
                require_not_pending(&k)?;
                Ok(k)
            }) {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            };
            alias.target = key.key_id;
            alias.updated_ms = scope.now_ms;
            let bytes = match alias.encode() {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            ctx.insert(ALIASES, &alias_key(&scope.region, &name), &bytes)?;
            Ok(Ok(json!({})))
        })
        .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteAlias {
    alias_name: Option<String>,
}

pub(crate) async fn delete(c: &Call<'_>, req: DeleteAlias) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    name_constraints(&mut cons, req.alias_name.as_deref());
    cons.into_result()?;
    let name = req.alias_name.unwrap_or_default();
    check_name(&name)?;
    let scope = c.scope.clone();
    c.svc
        .write(move |ctx| {
            match keys::live_alias(ctx, &scope, &name) {
                Ok(Some((_, key))) if key.manager == KeyManager::Aws => {
                    return Ok(Err(KmsError::new(ErrorCode::NotAuthorized, "")))
                }
                Ok(Some(_)) => {}
                Ok(None) => return Ok(Err(keys::alias_not_found(&scope, &name))),
                Err(e) => return Ok(Err(e)),
            }
            ctx.remove(ALIASES, &alias_key(&scope.region, &name))?;
            Ok(Ok(json!({})))
        })
        .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAliases {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) fn list(c: &Call<'_>, req: ListAliases) -> Result<Json, KmsError> {
    let mut cons = Constraints::default();
    if let Some(k) = &req.key_id {
        cons.length(k, "keyId", 1, 2048);
    }
    paging_constraints(&mut cons, req.limit, req.marker.as_deref());
    cons.into_result()?;
    let snap = c.svc.store.read()?;
    let filter = match &req.key_id {
        Some(raw) => {
            let ident = keys::parse_ident(&c.scope, raw, false)?;
            let key = keys::resolve(&snap, &c.scope, &ident)?;
            check_access(c, &key, Operation::ListAliases)?;
            Some(key.key_id)
        }
        None => None,
    };
    let mut entries: Vec<(String, Json)> = Vec::new();
    let mut dynamodb_listed = false;
    for alias in keys::aliases_in_region(&snap, &c.scope)? {
        if keys::live_key(&snap, &c.scope, &alias.target)?.is_none() {
            continue;
        }
        if filter.as_ref().is_some_and(|f| *f != alias.target) {
            continue;
        }
        dynamodb_listed |= alias.name == DYNAMODB_ALIAS;
        entries.push((alias.name.clone(), alias.entry()));
    }
    // AWS lists the aliases it predefines for its services even before their keys exist,
    // without a TargetKeyId.
    if filter.is_none() && !dynamodb_listed {
        entries.push((
            DYNAMODB_ALIAS.to_string(),
            json!({
                "AliasName": DYNAMODB_ALIAS,
                "AliasArn": c.scope.alias_arn(DYNAMODB_ALIAS),
            }),
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // ListAliases returns at most 100 per page, 50 unless asked.
    let limit = req.limit.map_or(50, |l| l.min(100) as usize);
    let (items, next) = page(entries, |e| e.0.clone(), req.marker.as_deref(), limit);
    Ok(paged(
        "Aliases",
        items.into_iter().map(|e| e.1).collect(),
        next,
    ))
}
