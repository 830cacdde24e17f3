//! The four operations.

use dynamodb::error::Constraints;
use dynamodb::stream_registry::{self, ShardEntry, StreamEntry};
use protocol::json::parse;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use crate::error::{ErrorCode, StreamsError};
use crate::iterator::ShardIterator;
use crate::records::{self, parse_sequence_number, sequence_number};
use crate::{Operation, Streams};

pub(crate) async fn dispatch(
    svc: &Streams,
    op: Operation,
    body: &[u8],
    region: &str,
) -> Result<Json, StreamsError> {
    match op {
        Operation::ListStreams => list_streams(svc, parse(body)?, region),
        Operation::DescribeStream => describe_stream(svc, parse(body)?, region),
        Operation::GetShardIterator => get_shard_iterator(svc, parse(body)?, region),
        Operation::GetRecords => get_records(svc, parse(body)?),
    }
}

fn length(c: &mut Constraints, value: Option<&str>, member: &str, min: usize, max: usize) {
    let Some(v) = value else { return };
    let n = v.chars().count();
    if n < min {
        c.push(
            v,
            member,
            &format!("have length greater than or equal to {min}"),
        );
    }
    if n > max {
        c.push(
            v,
            member,
            &format!("have length less than or equal to {max}"),
        );
    }
}

fn range(c: &mut Constraints, value: Option<i64>, member: &str, min: i64, max: i64) {
    let Some(v) = value else { return };
    if v < min {
        c.push(
            v,
            member,
            &format!("have value greater than or equal to {min}"),
        );
    }
    if v > max {
        c.push(
            v,
            member,
            &format!("have value less than or equal to {max}"),
        );
    }
}

fn required(c: &mut Constraints, value: Option<&str>, member: &str) {
    if value.is_none() {
        c.push_null(member);
    }
}

fn now_ms(svc: &Streams) -> u64 {
    svc.store.clock().now_ms()
}

fn retention_ms(svc: &Streams) -> u64 {
    svc.config.retention.as_millis() as u64
}

/// Streams still kept: enabled, or disabled less than the retention period ago.
fn visible(entry: &StreamEntry, now: u64, retention: u64) -> bool {
    entry
        .disabled_ms
        .is_none_or(|d| now.saturating_sub(d) <= retention)
}

/// Shards whose records are not all past the retention period.
fn live_shards(entry: &StreamEntry, now: u64, retention: u64) -> Vec<&ShardEntry> {
    entry
        .shards
        .iter()
        .filter(|s| {
            s.closed_ms
                .is_none_or(|c| now.saturating_sub(c) <= retention)
        })
        .collect()
}

/// A stream ARN that is not one (`arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`)
/// is a ValidationException; a well-formed one naming no stream is ResourceNotFoundException.
/// AWS's text contains "Invalid StreamArn" (the AWS SDK for JavaScript's integration test
/// against DynamoDB Streams matches it); the rest of its wording is unverified.
fn check_arn(arn: &str) -> Result<(), StreamsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let resource: Vec<&str> = parts.get(5).map_or(Vec::new(), |r| r.split('/').collect());
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "dynamodb"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && resource.len() == 4
        && resource[0] == "table"
        && !resource[1].is_empty()
        && resource[2] == "stream"
        && !resource[3].is_empty();
    match well_formed {
        true => Ok(()),
        false => Err(StreamsError::validation("Invalid StreamArn")), // message unverified beyond these words
    }
}

/// The stream `arn` names, if it is one of the request's region (each region has its own).
fn find_stream(svc: &Streams, arn: &str, region: &str) -> Result<StreamEntry, StreamsError> {
    check_arn(arn)?;
    let now = now_ms(svc);
    stream_registry::get(&svc.store.read()?, arn)?
        .filter(|e| visible(e, now, retention_ms(svc)) && in_region(e, region))
        .ok_or_else(|| StreamsError::stream_not_found(arn))
}

// ---------------------------------------------------------------------------------------------
// ListStreams

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListStreamsRequest {
    table_name: Option<String>,
    limit: Option<i64>,
    exclusive_start_stream_arn: Option<String>,
}

fn in_region(entry: &StreamEntry, region: &str) -> bool {
    entry.stream_arn.split(':').nth(3) == Some(region)
}

fn list_streams(
    svc: &Streams,
    req: ListStreamsRequest,
    region: &str,
) -> Result<Json, StreamsError> {
    let mut c = Constraints::default();
    if let Some(name) = req.table_name.as_deref() {
        dynamodb_name_constraints(&mut c, name, "tableName");
    }
    range(&mut c, req.limit, "limit", 1, 100);
    length(
        &mut c,
        req.exclusive_start_stream_arn.as_deref(),
        "exclusiveStartStreamArn",
        37,
        1024,
    );
    c.into_result()?;
    let limit = req.limit.unwrap_or(100) as usize;
    let now = now_ms(svc);
    let retention = retention_ms(svc);
    let mut streams: Vec<StreamEntry> = stream_registry::list(&svc.store.read()?)?
        .into_iter()
        .filter(|e| visible(e, now, retention) && in_region(e, region))
        .filter(|e| req.table_name.as_ref().is_none_or(|t| &e.table_name == t))
        .collect();
    // Oldest first, by table: the order stays put as streams come and go.
    streams.sort_by(|a, b| {
        (&a.table_name, a.created_ms, &a.stream_arn).cmp(&(
            &b.table_name,
            b.created_ms,
            &b.stream_arn,
        ))
    });
    let start = match req.exclusive_start_stream_arn.as_deref() {
        Some(arn) => streams
            .iter()
            .position(|e| e.stream_arn == arn)
            .map_or(0, |i| i + 1),
        None => 0,
    };
    let page: Vec<&StreamEntry> = streams.iter().skip(start).take(limit).collect();
    let mut out = Map::new();
    out.insert(
        "Streams".into(),
        page.iter()
            .map(|e| {
                json!({"StreamArn": e.stream_arn, "TableName": e.table_name, "StreamLabel": e.label})
            })
            .collect::<Vec<_>>()
            .into(),
    );
    if start + page.len() < streams.len() {
        if let Some(last) = page.last() {
            out.insert(
                "LastEvaluatedStreamArn".into(),
                last.stream_arn.clone().into(),
            );
        }
    }
    Ok(Json::Object(out))
}

/// Table names: 3..255 of `[a-zA-Z0-9_.-]`, with Coral's messages.
fn dynamodb_name_constraints(c: &mut Constraints, name: &str, member: &str) {
    if name.is_empty()
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-'))
    {
        c.push(
            name,
            member,
            "satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        );
    }
    length(c, Some(name), member, 3, 255);
}

// ---------------------------------------------------------------------------------------------
// DescribeStream

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeStreamRequest {
    stream_arn: Option<String>,
    limit: Option<i64>,
    exclusive_start_shard_id: Option<String>,
    shard_filter: Option<ShardFilter>,
}

/// `{"Type": "CHILD_SHARDS", "ShardId": X}`: only the shards whose parent is X.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShardFilter {
    r#type: Option<String>,
    shard_id: Option<String>,
}

fn shard_json(s: &ShardEntry) -> Json {
    let mut range = Map::new();
    range.insert(
        "StartingSequenceNumber".into(),
        sequence_number(s.start_seq).into(),
    );
    if let Some(end) = s.end_seq {
        // A shard closed before any record reached the log ends where it starts.
        range.insert(
            "EndingSequenceNumber".into(),
            sequence_number(end.max(s.start_seq)).into(),
        );
    }
    let mut out = Map::new();
    out.insert("ShardId".into(), s.shard_id.clone().into());
    out.insert("SequenceNumberRange".into(), Json::Object(range));
    if let Some(p) = &s.parent_shard_id {
        out.insert("ParentShardId".into(), p.clone().into());
    }
    Json::Object(out)
}

fn describe_stream(
    svc: &Streams,
    req: DescribeStreamRequest,
    region: &str,
) -> Result<Json, StreamsError> {
    let mut c = Constraints::default();
    required(&mut c, req.stream_arn.as_deref(), "streamArn");
    length(&mut c, req.stream_arn.as_deref(), "streamArn", 37, 1024);
    range(&mut c, req.limit, "limit", 1, 100);
    length(
        &mut c,
        req.exclusive_start_shard_id.as_deref(),
        "exclusiveStartShardId",
        28,
        65,
    );
    if let Some(f) = &req.shard_filter {
        match f.r#type.as_deref() {
            None => c.push_null("shardFilter.type"),
            Some(t) if t != "CHILD_SHARDS" => c.push(
                t,
                "shardFilter.type",
                "satisfy enum value set: [CHILD_SHARDS]",
            ),
            Some(_) => {}
        }
        length(&mut c, f.shard_id.as_deref(), "shardFilter.shardId", 28, 65);
    }
    c.into_result()?;
    let arn = req.stream_arn.unwrap_or_default();
    let entry = find_stream(svc, &arn, region)?;
    let now = now_ms(svc);
    let mut shards = live_shards(&entry, now, retention_ms(svc));
    if let Some(parent) = req
        .shard_filter
        .as_ref()
        .and_then(|f| f.shard_id.as_deref())
    {
        shards.retain(|s| s.parent_shard_id.as_deref() == Some(parent));
    }
    let start = match req.exclusive_start_shard_id.as_deref() {
        Some(id) => shards
            .iter()
            .position(|s| s.shard_id == id)
            .map_or(0, |i| i + 1),
        None => 0,
    };
    let limit = req.limit.unwrap_or(100) as usize;
    let page: Vec<&&ShardEntry> = shards.iter().skip(start).take(limit).collect();
    let mut d = Map::new();
    d.insert("StreamArn".into(), entry.stream_arn.clone().into());
    d.insert("StreamLabel".into(), entry.label.clone().into());
    d.insert(
        "StreamStatus".into(),
        if entry.enabled() {
            "ENABLED"
        } else {
            "DISABLED"
        }
        .into(),
    );
    d.insert("StreamViewType".into(), entry.view_type.clone().into());
    d.insert(
        "CreationRequestDateTime".into(),
        ((entry.created_ms as f64) / 1000.0).into(),
    );
    d.insert("TableName".into(), entry.table_name.clone().into());
    d.insert("KeySchema".into(), json!(entry.key_schema));
    d.insert(
        "Shards".into(),
        page.iter()
            .map(|s| shard_json(s))
            .collect::<Vec<_>>()
            .into(),
    );
    if start + page.len() < shards.len() {
        if let Some(last) = page.last() {
            d.insert("LastEvaluatedShardId".into(), last.shard_id.clone().into());
        }
    }
    Ok(json!({ "StreamDescription": d }))
}

// ---------------------------------------------------------------------------------------------
// GetShardIterator

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetShardIteratorRequest {
    stream_arn: Option<String>,
    shard_id: Option<String>,
    shard_iterator_type: Option<String>,
    sequence_number: Option<String>,
}

const ITERATOR_TYPES: [&str; 4] = [
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
];

fn trimmed() -> StreamsError {
    StreamsError::new(
        ErrorCode::TrimmedDataAccess,
        "The operation attempted to read past the oldest stream record in a shard.", // message unverified
    )
}

fn get_shard_iterator(
    svc: &Streams,
    req: GetShardIteratorRequest,
    region: &str,
) -> Result<Json, StreamsError> {
    let mut c = Constraints::default();
    required(&mut c, req.stream_arn.as_deref(), "streamArn");
    length(&mut c, req.stream_arn.as_deref(), "streamArn", 37, 1024);
    required(&mut c, req.shard_id.as_deref(), "shardId");
    length(&mut c, req.shard_id.as_deref(), "shardId", 28, 65);
    match req.shard_iterator_type.as_deref() {
        None => c.push_null("shardIteratorType"),
        Some(t) if !ITERATOR_TYPES.contains(&t) => c.push(
            t,
            "shardIteratorType",
            &format!("satisfy enum value set: [{}]", ITERATOR_TYPES.join(", ")),
        ),
        Some(_) => {}
    }
    length(
        &mut c,
        req.sequence_number.as_deref(),
        "sequenceNumber",
        21,
        40,
    );
    c.into_result()?;
    let arn = req.stream_arn.unwrap_or_default();
    let shard_id = req.shard_id.unwrap_or_default();
    let kind = req.shard_iterator_type.unwrap_or_default();
    check_arn(&arn)?;
    let read = svc.store.read()?;
    let now = now_ms(svc);
    let retention = retention_ms(svc);
    let entry = stream_registry::get(&read, &arn)?
        .filter(|e| visible(e, now, retention) && in_region(e, region))
        .ok_or_else(|| StreamsError::stream_not_found(&arn))?;
    let Some(shard) = entry.shard(&shard_id).cloned() else {
        return Err(StreamsError::new(
            ErrorCode::ResourceNotFound,
            format!("Requested resource not found: Shard: {shard_id} in Stream: {arn} not found"), // message unverified
        ));
    };
    let at = |seq_text: Option<&str>| -> Result<u64, StreamsError> {
        let Some(text) = seq_text else {
            return Err(StreamsError::validation(format!(
                "SequenceNumber is required for ShardIteratorType {kind}" // message unverified
            )));
        };
        let seq = parse_sequence_number(text)
            .filter(|s| shard.contains(*s))
            .ok_or_else(|| {
                StreamsError::validation(format!(
                    "Invalid SequenceNumber {text} for shard {shard_id}" // message unverified
                ))
            })?;
        Ok(seq)
    };
    let (position, trim_horizon) = match kind.as_str() {
        "TRIM_HORIZON" => (shard.start_seq, true),
        "LATEST" => {
            let next = read.last_change()?.map_or(1, |s| s + 1);
            let pos = match shard.end_seq {
                Some(end) => end.saturating_add(1),
                None => next.max(shard.start_seq),
            };
            (pos, false)
        }
        "AT_SEQUENCE_NUMBER" => (at(req.sequence_number.as_deref())?, false),
        _ => (at(req.sequence_number.as_deref())?.saturating_add(1), false),
    };
    // A sequence number the caller names whose record was removed from the log. LATEST, and a
    // position past a closed shard's end, point at nothing that could have been trimmed.
    let named = matches!(
        kind.as_str(),
        "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER"
    );
    let unread = shard.end_seq.is_none_or(|end| position <= end);
    if named && unread && trimmed_away(&read, position)? {
        return Err(trimmed());
    }
    if !trim_horizon {
        // A position whose record is past the retention period cannot be read.
        let first = records::scan(&read, position, shard.end_seq, 1, &entry.table_id, |r| {
            belongs(r, &entry)
        })?;
        if first
            .found
            .first()
            .is_some_and(|f| now.saturating_sub(f.record.at_ms) > retention)
        {
            return Err(trimmed());
        }
    }
    let it = ShardIterator {
        stream_arn: arn,
        shard_id,
        position,
        issued_ms: now,
        trim_horizon,
    };
    Ok(json!({ "ShardIterator": it.encode() }))
}

/// Whether the records at `position` were removed from the log (past the retention period):
/// the log now starts after it.
fn trimmed_away(read: &store::ReadCtx, position: u64) -> Result<bool, StreamsError> {
    Ok(read.first_change()?.is_some_and(|first| position < first))
}

fn belongs(r: &dynamodb::changelog::ChangeRecord, entry: &StreamEntry) -> bool {
    r.table_id == entry.table_id && r.stream.as_ref().is_some_and(|s| s.label == entry.label)
}

// ---------------------------------------------------------------------------------------------
// GetRecords

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRecordsRequest {
    shard_iterator: Option<String>,
    limit: Option<i64>,
}

fn amz_date(ms: u64) -> String {
    format!("{} UTC", clock::iso8601_millis(ms as i64).replace('T', " "))
}

fn get_records(svc: &Streams, req: GetRecordsRequest) -> Result<Json, StreamsError> {
    let mut c = Constraints::default();
    required(&mut c, req.shard_iterator.as_deref(), "shardIterator");
    length(
        &mut c,
        req.shard_iterator.as_deref(),
        "shardIterator",
        1,
        2048,
    );
    range(&mut c, req.limit, "limit", 1, 1000);
    c.into_result()?;
    let text = req.shard_iterator.unwrap_or_default();
    let Some(it) = ShardIterator::decode(&text) else {
        return Err(StreamsError::validation("Invalid ShardIterator")); // message unverified
    };
    let now = now_ms(svc);
    let lifetime = svc.config.iterator_lifetime.as_millis() as u64;
    if now.saturating_sub(it.issued_ms) > lifetime {
        return Err(StreamsError::new(
            ErrorCode::ExpiredIterator,
            format!(
                "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {lifetime} milliseconds.", // message unverified (Kinesis's wording)
                amz_date(it.issued_ms),
                amz_date(now)
            ),
        ));
    }
    let retention = retention_ms(svc);
    let read = svc.store.read()?;
    let entry = stream_registry::get(&read, &it.stream_arn)?
        .filter(|e| visible(e, now, retention))
        .ok_or_else(|| StreamsError::stream_not_found(&it.stream_arn))?;
    // A shard forgotten after the retention period has nothing left to read.
    let Some(shard) = entry.shard(&it.shard_id).cloned() else {
        return Err(trimmed());
    };
    // An iterator into records since removed from the log, unless it reads from the trim
    // horizon (which skips what expired); a closed shard read to its end has nothing to miss.
    let unread = shard.end_seq.is_none_or(|end| it.position <= end);
    if !it.trim_horizon && unread && trimmed_away(&read, it.position)? {
        return Err(trimmed());
    }
    let limit = req.limit.unwrap_or(1000) as usize;
    let mut skip_trimmed = it.trim_horizon;
    let mut trimmed_hit = false;
    let scan = records::scan(
        &read,
        it.position,
        shard.end_seq,
        limit,
        &entry.table_id,
        |r| {
            if !belongs(r, &entry) {
                return false;
            }
            if now.saturating_sub(r.at_ms) > retention {
                if !skip_trimmed {
                    trimmed_hit = true;
                }
                return false;
            }
            skip_trimmed = false;
            true
        },
    )?;
    if trimmed_hit {
        return Err(trimmed());
    }
    let view_type = entry.view_type.as_str();
    let records: Vec<Json> = scan
        .found
        .iter()
        .map(|f| {
            records::render(
                &f.record,
                f.seq,
                &entry.stream_arn,
                view_type,
                records::Shape::Api,
            )
        })
        .collect();
    let mut out = Map::new();
    out.insert("Records".into(), records.into());
    let exhausted = shard.end_seq.is_some_and(|end| scan.next > end);
    if !exhausted {
        let next = ShardIterator {
            stream_arn: it.stream_arn,
            shard_id: it.shard_id,
            position: scan.next,
            issued_ms: now,
            trim_horizon: it.trim_horizon && scan.found.is_empty(),
        };
        out.insert("NextShardIterator".into(), next.encode().into());
    }
    if let Some(metrics) = &svc.metrics {
        // arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL
        let mut parts = entry.stream_arn.rsplit('/');
        let label = parts.next().unwrap_or_default().to_string();
        let table = parts.nth(1).unwrap_or_default();
        let at = (
            entry.stream_arn.split(':').nth(3).unwrap_or_default(),
            table,
        );
        let bytes: usize = out.get("Records").map_or(0, |r| r.to_string().len());
        let dim = dynamodb::metrics::Dim::Stream(label);
        metrics.add(
            at,
            "ReturnedRecordsCount",
            dim.clone(),
            scan.found.len() as f64,
        );
        metrics.add(at, "ReturnedBytes", dim, bytes as f64);
    }
    Ok(Json::Object(out))
}
