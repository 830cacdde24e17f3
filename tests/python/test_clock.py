"""The test clock (``serve --test-clock``): moving time forward runs the background work that
falls due meanwhile (TTL deletions, stream retention and shard rollover, KMS key deletion),
before the move is answered, and the clock never goes back across a restart."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import client_config
from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY, unique_name, wait_table_active

DAY = 24 * 3600


def _request(endpoint: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(endpoint + path, data=data, method="GET" if body is None else "POST",
                                 headers={} if body is None else {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw or b"{}")
        except ValueError:
            return e.code, {"raw": raw.decode(errors="replace")}


def clock(server) -> dict:
    status, body = _request(server.endpoint, "/_dynostack/clock")
    assert status == 200, body
    return body


def advance(server, seconds: float) -> dict:
    status, body = _request(server.endpoint, "/_dynostack/clock/advance", {"seconds": seconds})
    assert status == 200, body
    return body


def to_hour(server, hour_utc: int) -> dict:
    """Moves the clock forward to the next hour_utc:00:00 UTC: a test that applies the seed's
    module and must not cross its daily schedules (the backup plan runs at 03:00 UTC, and its
    recovery points keep the vault from being destroyed) starts where the time of day is known."""
    now = clock(server)["epoch_seconds"]
    day = 24 * 3600
    at = now - now % day + hour_utc * 3600
    if at <= now:
        at += day
    return advance(server, at - now)


@pytest.fixture
def travel(new_server):
    """A private server with the test clock."""
    return new_server(args=["--test-clock"])


def test_clock_reads_and_moves_forward(travel):
    before = clock(travel)
    assert before["offset_seconds"] == 0
    assert before["now"].endswith("Z") and "T" in before["now"]
    after = advance(travel, 3600)
    assert after["epoch_seconds"] >= before["epoch_seconds"] + 3600
    assert 3599 <= after["offset_seconds"] <= 3601
    # Bad moves are refused and move nothing.
    for bad in ({"seconds": 0}, {"seconds": -5}, {"seconds": 401 * DAY}, {"seconds": "x"}, {}):
        status, body = _request(travel.endpoint, "/_dynostack/clock/advance", bad)
        assert status == 400 and body["__type"] == "ValidationException", (bad, status, body)
    # Only a JSON body moves it: a web page cannot post one without a CORS preflight.
    req = urllib.request.Request(travel.endpoint + "/_dynostack/clock/advance", method="POST",
                                 data=b'{"seconds": 60}', headers={"Content-Type": "text/plain"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 415
    assert clock(travel)["offset_seconds"] < 3602


def test_ttl_deletes_an_item_when_its_expiry_passes(travel):
    ddb = travel.client()
    name = unique_name("clockttl")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
    wait_table_active(ddb, name)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(clock(travel)["epoch_seconds"])
    ddb.put_item(TableName=name, Item={"k": {"S": "soon"}, "exp": {"N": str(now + 2 * DAY - 5)}})
    ddb.put_item(TableName=name, Item={"k": {"S": "later"}, "exp": {"N": str(now + 3 * DAY)}})

    def present(key):
        return "Item" in ddb.get_item(TableName=name, Key={"k": {"S": key}}, ConsistentRead=True)

    advance(travel, DAY)
    assert present("soon") and present("later")
    advance(travel, DAY)
    # Gone as soon as the move is answered: the sweeper ran at the item's expiry.
    assert not present("soon")
    assert present("later")


def test_stream_records_are_trimmed_after_the_retention_period(travel):
    ddb = travel.client()
    streams = travel.streams_client()
    name = unique_name("clockstream")
    table = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    arn = table["TableDescription"]["LatestStreamArn"]
    wait_table_active(ddb, name)
    ddb.put_item(TableName=name, Item={"k": {"S": "a"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    assert len(records) == 1
    seq = records[0]["dynamodb"]["SequenceNumber"]

    advance(travel, 23 * 3600)
    # Still readable a little before 24 hours, from a fresh iterator.
    streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                               SequenceNumber=seq)
    advance(travel, 3600 + 60)
    with pytest.raises(ClientError) as e:
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                   SequenceNumber=seq)
    assert e.value.response["Error"]["Code"] == "TrimmedDataAccessException"
    # Meanwhile the shard rolled over every 4 hours, each child naming its parent.
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) >= 6, shards
    for parent, child in zip(shards, shards[1:]):
        assert child["ParentShardId"] == parent["ShardId"]
        assert "EndingSequenceNumber" in parent["SequenceNumberRange"]


def test_a_kms_key_scheduled_for_deletion_is_gone_after_the_window(travel):
    kms = boto3.client("kms", endpoint_url=travel.endpoint, region_name=REGION,
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                       config=client_config())
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    advance(travel, 7 * DAY - 3600)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    advance(travel, 2 * 3600)
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=key)
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_workers_report_their_state(travel):
    advance(travel, 3600)
    status, body = _request(travel.endpoint, "/_dynostack/workers")
    assert status == 200, body
    by_name = {w["name"]: w for w in body["workers"]}
    for name in ("ttl-sweeper", "gsi-backfill", "ttl-index-build", "stream-housekeeping",
                 "change-log-retention"):
        assert by_name[name]["steps"] >= 1, by_name
        assert by_name[name]["failures"] == 0 and by_name[name]["last_error"] is None
    # Nothing to backfill: the backfill waits to be woken.
    assert by_name["gsi-backfill"]["next"] == {"idle": True}


def test_without_the_flag_the_clock_paths_are_unknown(new_server):
    plain = new_server()
    for path, body in (("/_dynostack/clock", None), ("/_dynostack/clock/advance", {"seconds": 60}),
                       ("/_dynostack/workers", None)):
        status, _ = _request(plain.endpoint, path, body)
        assert status == 404, (path, status)


def test_a_restart_never_moves_the_clock_back(travel):
    advance(travel, 5 * DAY)
    before = clock(travel)
    travel.restart()
    after = clock(travel)
    assert after["epoch_seconds"] >= before["epoch_seconds"]
    assert after["offset_seconds"] >= before["offset_seconds"] - 0.001
    assert any("ahead of the system clock" in line for line in travel._stdout_lines)
