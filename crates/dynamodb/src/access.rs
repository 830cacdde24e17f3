//! What access control asks of a DynamoDB request: the IAM actions it performs, on which
//! resources, with DynamoDB's condition keys (Developer Guide, "Using IAM policy conditions for
//! fine-grained access control"; Service Authorization Reference, "Actions, resources, and
//! condition keys for Amazon DynamoDB").
//!
//! Batch and transaction requests ask once per table and kind of write, as AWS authorizes
//! them: a TransactWriteItems that puts into one table and deletes from another needs
//! `dynamodb:PutItem` on the first and `dynamodb:DeleteItem` on the second.

use policy::Context;
use serde_json::{Map, Value as Json};

use crate::{Dynamo, Operation};

/// One authorization a request needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Ask {
    /// `dynamodb:GetItem`.
    pub action: String,
    /// The table, index, stream or backup ARN; `*` for account-wide actions.
    pub resource: String,
    /// DynamoDB's condition keys for this request.
    pub context: Context,
    /// The table's customer managed KMS key, whose use on the caller's behalf must be allowed
    /// too (`kms:ViaService`); `None` for tables under the AWS owned or managed key.
    pub kms_key: Option<String>,
    /// The resource-based policy of the table (or stream) the resource belongs to.
    pub resource_policy: Option<String>,
}

impl Dynamo {
    /// The authorizations `op` with this `body` needs in `region`. A body that does not parse
    /// names no table (the action is asked on `table/`): if allowed, the operation then refuses
    /// it with its own error.
    pub fn asks(&self, op: Operation, body: &[u8], region: &str) -> Vec<Ask> {
        let fields = match serde_json::from_slice::<Json>(body) {
            Ok(Json::Object(m)) => m,
            _ => Map::new(),
        };
        let mut asks = Vec::new();
        let plain = |asks: &mut Vec<Ask>, action: &str, resource: String| {
            asks.push(Ask {
                action: format!("dynamodb:{action}"),
                resource_policy: self.resource_policy_of(&resource),
                resource,
                context: Context::new(),
                kms_key: None,
            })
        };
        let str_field = |name: &str| fields.get(name).and_then(Json::as_str);
        match op {
            Operation::ListTables
            | Operation::DescribeLimits
            | Operation::DescribeEndpoints
            | Operation::ListBackups
            | Operation::ListGlobalTables => plain(&mut asks, op.name(), "*".into()),
            // Global tables of version 2017.11.29: the global table's ARN, which has no region.
            Operation::CreateGlobalTable
            | Operation::DescribeGlobalTable
            | Operation::UpdateGlobalTable
            | Operation::DescribeGlobalTableSettings
            | Operation::UpdateGlobalTableSettings => plain(
                &mut asks,
                op.name(),
                format!(
                    "arn:aws:dynamodb::{}:global-table/{}",
                    self.env().account_id,
                    str_field("GlobalTableName").unwrap_or("")
                ),
            ),
            Operation::TagResource
            | Operation::UntagResource
            | Operation::ListTagsOfResource
            | Operation::PutResourcePolicy
            | Operation::GetResourcePolicy
            | Operation::DeleteResourcePolicy => plain(
                &mut asks,
                op.name(),
                str_field("ResourceArn").unwrap_or("*").into(),
            ),
            Operation::ExportTableToPointInTime => plain(
                &mut asks,
                op.name(),
                str_field("TableArn").unwrap_or("*").into(),
            ),
            Operation::DescribeExport => plain(
                &mut asks,
                op.name(),
                str_field("ExportArn").unwrap_or("*").into(),
            ),
            Operation::DescribeImport => plain(
                &mut asks,
                op.name(),
                str_field("ImportArn").unwrap_or("*").into(),
            ),
            Operation::ListExports | Operation::ListImports => {
                plain(&mut asks, op.name(), "*".into())
            }
            Operation::ImportTable => {
                let table = fields
                    .get("TableCreationParameters")
                    .and_then(|p| p.get("TableName"))
                    .and_then(Json::as_str)
                    .unwrap_or("");
                plain(&mut asks, op.name(), self.table_arn(table, region))
            }
            Operation::DescribeBackup
            | Operation::DeleteBackup
            | Operation::RestoreTableFromBackup => plain(
                &mut asks,
                op.name(),
                str_field("BackupArn").unwrap_or("*").into(),
            ),
            Operation::RestoreTableToPointInTime => {
                let source = match (str_field("SourceTableArn"), str_field("SourceTableName")) {
                    (Some(arn), _) => arn.to_string(),
                    (None, Some(name)) => self.table_arn(name, region),
                    _ => "*".into(),
                };
                plain(&mut asks, op.name(), source)
            }
            Operation::BatchGetItem | Operation::BatchWriteItem => {
                if let Some(Json::Object(tables)) = fields.get("RequestItems") {
                    for (table, request) in tables {
                        let mut ask = self.item_ask(op.name(), table, None, region);
                        let keys = match request {
                            Json::Object(r) => r
                                .get("Keys")
                                .and_then(Json::as_array)
                                .cloned()
                                .unwrap_or_default(),
                            Json::Array(writes) => writes
                                .iter()
                                .filter_map(|w| {
                                    w.pointer("/PutRequest/Item")
                                        .or_else(|| w.pointer("/DeleteRequest/Key"))
                                        .cloned()
                                })
                                .collect(),
                            _ => Vec::new(),
                        };
                        self.leading_keys(&mut ask, (region, table), keys.iter());
                        if let Json::Object(r) = request {
                            attributes(&mut ask.context, r);
                        }
                        asks.push(ask);
                    }
                }
            }
            Operation::TransactWriteItems | Operation::TransactGetItems => {
                for entry in fields
                    .get("TransactItems")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    for (kind, action, key) in [
                        ("Put", "PutItem", "Item"),
                        ("Update", "UpdateItem", "Key"),
                        ("Delete", "DeleteItem", "Key"),
                        ("ConditionCheck", "ConditionCheckItem", "Key"),
                        ("Get", "GetItem", "Key"),
                    ] {
                        let Some(Json::Object(part)) = entry.get(kind) else {
                            continue;
                        };
                        let table = part.get("TableName").and_then(Json::as_str).unwrap_or("");
                        let mut ask = self.item_ask(action, table, None, region);
                        self.leading_keys(&mut ask, (region, table), part.get(key).into_iter());
                        attributes(&mut ask.context, part);
                        asks.push(ask);
                    }
                }
            }
            Operation::ExecuteStatement
            | Operation::BatchExecuteStatement
            | Operation::ExecuteTransaction => {
                let statements: Vec<&str> = match op {
                    Operation::ExecuteStatement => str_field("Statement").into_iter().collect(),
                    _ => fields
                        .get(if op == Operation::ExecuteTransaction {
                            "TransactStatements"
                        } else {
                            "Statements"
                        })
                        .and_then(Json::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|s| s.get("Statement").and_then(Json::as_str))
                        .collect(),
                };
                for text in statements {
                    let Ok(statement) = item::partiql::parse(text) else {
                        continue;
                    };
                    let action = match statement {
                        item::partiql::Statement::Select(_)
                        | item::partiql::Statement::Exists(_) => "PartiQLSelect",
                        item::partiql::Statement::Insert(_) => "PartiQLInsert",
                        item::partiql::Statement::Update(_) => "PartiQLUpdate",
                        item::partiql::Statement::Delete(_) => "PartiQLDelete",
                    };
                    let (table, index) = match statement.table().split_once('.') {
                        Some((t, i)) => (t.trim_matches('"'), Some(i.trim_matches('"'))),
                        None => (statement.table().trim_matches('"'), None),
                    };
                    asks.push(self.item_ask(action, table, index, region));
                }
            }
            _ => {
                let table = str_field("TableName").unwrap_or("");
                let index = match op {
                    Operation::Query | Operation::Scan => str_field("IndexName"),
                    _ => None,
                };
                let mut ask = self.item_ask(op.name(), table, index, region);
                if matches!(
                    op,
                    Operation::GetItem | Operation::UpdateItem | Operation::DeleteItem
                ) {
                    self.leading_keys(&mut ask, (region, table), fields.get("Key").into_iter());
                }
                if op == Operation::PutItem {
                    self.leading_keys(&mut ask, (region, table), fields.get("Item").into_iter());
                }
                if op == Operation::Query {
                    self.query_leading_keys(&mut ask, (region, table), &fields);
                }
                attributes(&mut ask.context, &fields);
                for (field, key) in [
                    ("Select", "dynamodb:Select"),
                    ("ReturnValues", "dynamodb:ReturnValues"),
                    ("ReturnConsumedCapacity", "dynamodb:ReturnConsumedCapacity"),
                ] {
                    if let Some(v) = str_field(field) {
                        ask.context.set(key, v);
                    }
                }
                asks.push(ask);
            }
        }
        self.tag_keys(&mut asks, &fields);
        asks
    }

    /// The tag condition keys: `aws:ResourceTag/…` of the table an ask is about, and the
    /// `aws:RequestTag/…` and `aws:TagKeys` of a request that sets or removes tags.
    fn tag_keys(&self, asks: &mut [Ask], fields: &Map<String, Json>) {
        let mut request: Vec<(String, String)> = Vec::new();
        for tag in fields
            .get("Tags")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(k), Some(v)) = (
                tag.get("Key").and_then(Json::as_str),
                tag.get("Value").and_then(Json::as_str),
            ) {
                request.push((k.to_string(), v.to_string()));
            }
        }
        let mut keys: Vec<String> = request.iter().map(|(k, _)| k.clone()).collect();
        for k in fields
            .get("TagKeys")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            keys.extend(k.as_str().map(str::to_string));
        }
        for ask in asks {
            let region = crate::ids::region_of(&ask.resource);
            let table = ask
                .resource
                .split_once(":table/")
                .and_then(|(_, rest)| rest.split('/').next())
                .and_then(|name| self.catalog().get(region, name));
            if let Some(meta) = table {
                for t in &meta.tags {
                    ask.context
                        .set(&format!("aws:ResourceTag/{}", t.key), t.value.as_str());
                }
            }
            for (k, v) in &request {
                ask.context.set(&format!("aws:RequestTag/{k}"), v.as_str());
            }
            if !keys.is_empty() {
                ask.context.set_all("aws:TagKeys", keys.clone());
            }
        }
    }

    fn table_arn(&self, table: &str, region: &str) -> String {
        match self.catalog().get(region, table) {
            Some(meta) => meta.table_arn.clone(),
            None => format!(
                "arn:aws:dynamodb:{region}:{}:table/{table}",
                self.env().account_id
            ),
        }
    }

    /// An item-level ask on `table` (or one of its indexes), with the table's CMK.
    fn item_ask(&self, action: &str, table: &str, index: Option<&str>, region: &str) -> Ask {
        let mut resource = self.table_arn(table, region);
        if let Some(i) = index {
            resource = format!("{resource}/index/{i}");
        }
        let kms_key = self.catalog().get(region, table).and_then(|meta| {
            meta.sse
                .as_ref()
                .map(|s| s.kms_master_key_arn.clone())
                .filter(|arn| !self.is_managed_key(arn))
        });
        Ask {
            action: format!("dynamodb:{action}"),
            resource_policy: self.resource_policy_of(&resource),
            resource,
            context: Context::new(),
            kms_key,
        }
    }

    /// Whether some table could refuse the account's root user: one with a resource policy,
    /// or under a customer managed key (whose policy must let the account use it). When none
    /// can, the root's requests need no asks, and their bodies are not read twice.
    pub fn guards_the_root(&self) -> bool {
        self.catalog().any(|m| {
            m.resource_policy.is_some()
                || m.stream_policy.is_some()
                || m.sse
                    .as_ref()
                    .is_some_and(|s| !self.is_managed_key(&s.kms_master_key_arn))
        })
    }

    /// Whether `arn` is the AWS managed key `alias/aws/dynamodb`, which DynamoDB may always use.
    fn is_managed_key(&self, arn: &str) -> bool {
        let region = crate::ids::region_of(arn);
        arn.ends_with(&format!(
            ":key/{}",
            kms::managed_key_id(region, &self.env().account_id)
        ))
    }

    /// `dynamodb:LeadingKeys`: the partition key values of `items` (keys or whole items).
    fn leading_keys<'a>(
        &self,
        ask: &mut Ask,
        (region, table): (&str, &str),
        items: impl Iterator<Item = &'a Json>,
    ) {
        let Some(meta) = self.catalog().get(region, table) else {
            return;
        };
        let hash = meta.key_shape().hash.name;
        for item in items {
            if let Some(v) = item.get(&hash).and_then(scalar_text) {
                ask.context.add("dynamodb:LeadingKeys", v);
            }
        }
    }

    /// A Query's partition key value: `KeyConditions` (legacy) or the `name = :value` of its
    /// `KeyConditionExpression`.
    fn query_leading_keys(
        &self,
        ask: &mut Ask,
        (region, table): (&str, &str),
        fields: &Map<String, Json>,
    ) {
        let Some(meta) = self.catalog().get(region, table) else {
            return;
        };
        let index = fields.get("IndexName").and_then(Json::as_str);
        let hash = match index {
            Some(i) => match meta.global_indexes.iter().find(|g| g.index_name == i) {
                Some(g) => g.key_schema.first().map(|k| k.attribute_name.clone()),
                None => Some(meta.key_shape().hash.name),
            },
            None => Some(meta.key_shape().hash.name),
        };
        let Some(hash) = hash else { return };
        if let Some(v) = fields
            .get("KeyConditions")
            .and_then(|k| k.get(&hash))
            .and_then(|c| c.get("AttributeValueList"))
            .and_then(|l| l.get(0))
            .and_then(scalar_text)
        {
            ask.context.add("dynamodb:LeadingKeys", v);
            return;
        }
        let Some(text) = fields.get("KeyConditionExpression").and_then(Json::as_str) else {
            return;
        };
        let names = fields.get("ExpressionAttributeNames");
        let values = fields.get("ExpressionAttributeValues");
        let resolve = |token: &str| -> String {
            match names.and_then(|n| n.get(token)).and_then(Json::as_str) {
                Some(n) if token.starts_with('#') => n.to_string(),
                _ => token.to_string(),
            }
        };
        let spaced = text.replace('=', " = ").replace(['(', ')'], " ");
        let tokens: Vec<&str> = spaced.split_whitespace().collect();
        for w in tokens.windows(3) {
            let [a, op, b] = w else { continue };
            if *op != "=" {
                continue;
            }
            let value = if resolve(a) == hash && b.starts_with(':') {
                b
            } else if resolve(b) == hash && a.starts_with(':') {
                a
            } else {
                continue;
            };
            if let Some(v) = values.and_then(|v| v.get(*value)).and_then(scalar_text) {
                ask.context.add("dynamodb:LeadingKeys", v);
            }
        }
    }
}

/// `dynamodb:Attributes`: the attribute names a request reads or writes, where it names them
/// (AttributesToGet, a ProjectionExpression's top-level names, a put item's names,
/// AttributeUpdates).
fn attributes(ctx: &mut Context, fields: &Map<String, Json>) {
    let mut names: Vec<String> = Vec::new();
    if let Some(list) = fields.get("AttributesToGet").and_then(Json::as_array) {
        names.extend(list.iter().filter_map(Json::as_str).map(str::to_string));
    }
    if let Some(p) = fields.get("ProjectionExpression").and_then(Json::as_str) {
        let aliases = fields.get("ExpressionAttributeNames");
        for part in p.split(',') {
            let top = part
                .trim()
                .split(['.', '['])
                .next()
                .unwrap_or_default()
                .trim();
            let name = match aliases.and_then(|a| a.get(top)).and_then(Json::as_str) {
                Some(n) if top.starts_with('#') => n,
                _ => top,
            };
            if !name.is_empty() {
                names.push(name.to_string());
            }
        }
    }
    for field in ["Item", "AttributeUpdates"] {
        if let Some(Json::Object(item)) = fields.get(field) {
            names.extend(item.keys().cloned());
        }
    }
    if !names.is_empty() {
        names.sort();
        names.dedup();
        ctx.set_all("dynamodb:Attributes", names);
    }
}

/// The text of a key attribute's value (`{"S": "a"}` → `a`), as policies compare it.
fn scalar_text(v: &Json) -> Option<String> {
    let m = v.as_object()?;
    let (ty, inner) = m.iter().next()?;
    match ty.as_str() {
        "S" | "N" | "B" => inner.as_str().map(str::to_string),
        _ => None,
    }
}
