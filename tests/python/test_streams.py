"""DynamoDB Streams with boto3's ``dynamodbstreams`` client: every view type read end to end
through a shard iterator chain, a reader resuming across a restart with no gap or duplicate,
the seed's users table (NEW_AND_OLD_IMAGES), and AWS's errors.

Messages marked ``# message unverified`` could not be confirmed against AWS; only the code is
asserted for them.
"""

from __future__ import annotations

import time

import boto3
import pytest

from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY, UNVERIFIED, expect_error, unique_name

from conftest import client_config, create_table

VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


def stream_arn(client, table):
    return client.describe_table(TableName=table)["Table"]["LatestStreamArn"]


def drain(streams, iterator, limit=1000):
    """Every record from ``iterator`` on, following NextShardIterator until a call returns
    nothing; returns (records, next iterator or None)."""
    records = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=limit)
        records += page["Records"]
        iterator = page.get("NextShardIterator")
        if not page["Records"]:
            break
    return records, iterator


def read_stream(streams, arn):
    """Every record of every shard, shards in parent order, each from TRIM_HORIZON."""
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    out = []
    parent = None
    for shard in description["Shards"]:
        assert shard.get("ParentShardId") == parent
        parent = shard["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records, _ = drain(streams, it)
        out += records
    return out


@pytest.mark.parametrize("view", VIEW_TYPES)
def test_every_view_type_through_an_iterator_chain(ddb, streams, make_table, view):
    table = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    key = {"k": {"S": "a"}}
    ddb.put_item(TableName=table, Item={**key, "v": {"S": "1"}})
    ddb.put_item(TableName=table, Item={**key, "v": {"S": "2"}})
    ddb.put_item(TableName=table, Item={**key, "v": {"S": "2"}})  # no change: no record
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"S": "2"}})  # no change: no record
    ddb.delete_item(TableName=table, Key=key)
    ddb.delete_item(TableName=table, Key=key)  # nothing there: no record

    arn = stream_arn(ddb, table)
    listed = streams.list_streams(TableName=table)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": table, "StreamLabel": arn.split("/stream/")[1]}]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "ENABLED"
    assert description["StreamViewType"] == view
    assert description["TableName"] == table
    assert description["KeySchema"] == [{"AttributeName": "k", "KeyType": "HASH"}]
    assert description["StreamLabel"] == arn.split("/stream/")[1]
    assert "CreationRequestDateTime" in description
    (shard,) = description["Shards"]
    assert "ParentShardId" not in shard
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]

    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records, next_it = drain(streams, it, limit=1)
    assert next_it, "an open shard always gives a next iterator"
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    for r in records:
        assert r["eventVersion"] == "1.1"
        assert r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"] == "us-east-1"
        assert len(r["eventID"]) == 32
        assert "userIdentity" not in r
        d = r["dynamodb"]
        assert d["Keys"] == key
        assert d["StreamViewType"] == view
        assert len(d["SequenceNumber"]) >= 21
        assert abs(d["ApproximateCreationDateTime"].timestamp() - time.time()) < 120
    new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    images = [(r["dynamodb"].get("NewImage"), r["dynamodb"].get("OldImage")) for r in records]
    v = lambda s: {**key, "v": {"S": s}}  # noqa: E731
    assert images == [
        (v("1") if new else None, None),
        (v("2") if new else None, v("1") if old else None),
        (None, v("2") if old else None),
    ]
    # SizeBytes: the keys (k=a: 2 bytes) and the images carried (k=a, v=1: 4 bytes each).
    sizes = [r["dynamodb"]["SizeBytes"] for r in records]
    assert sizes == [2 + 4 * new, 2 + 4 * new + 4 * old, 2 + 4 * old]


def test_sequence_number_iterators_and_latest(ddb, streams, make_table):
    table = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    for i in range(5):
        ddb.put_item(TableName=table, Item={"k": {"S": f"k{i}"}})
    arn = stream_arn(ddb, table)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    records = read_stream(streams, arn)
    third = records[2]["dynamodb"]["SequenceNumber"]

    def iterator(kind, **extra):
        return streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind,
                                          **extra)["ShardIterator"]

    at, _ = drain(streams, iterator("AT_SEQUENCE_NUMBER", SequenceNumber=third))
    assert [r["dynamodb"]["Keys"]["k"]["S"] for r in at] == ["k2", "k3", "k4"]
    after, _ = drain(streams, iterator("AFTER_SEQUENCE_NUMBER", SequenceNumber=third))
    assert [r["dynamodb"]["Keys"]["k"]["S"] for r in after] == ["k3", "k4"]
    latest = iterator("LATEST")
    empty, latest = drain(streams, latest)
    assert empty == []
    ddb.put_item(TableName=table, Item={"k": {"S": "k5"}})
    fresh, _ = drain(streams, latest)
    assert [r["dynamodb"]["Keys"]["k"]["S"] for r in fresh] == ["k5"]
    # The same record read twice has the same identity.
    again = read_stream(streams, arn)
    assert [r["eventID"] for r in again[:5]] == [r["eventID"] for r in records]


def test_reader_resumes_across_a_restart_without_gaps_or_duplicates(new_server):
    srv = new_server()
    client = srv.client()
    create_table(client, "restart", StreamSpecification={"StreamEnabled": True,
                                                         "StreamViewType": "NEW_AND_OLD_IMAGES"})
    for i in range(25):
        client.put_item(TableName="restart", Item={"k": {"S": f"k{i:03}"}, "n": {"N": str(i)}})
    arn = stream_arn(client, "restart")
    streams = srv.streams_client()
    before = read_stream(streams, arn)
    assert len(before) == 25
    last = before[-1]["dynamodb"]["SequenceNumber"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    srv.restart()
    client = srv.client()
    streams = srv.streams_client()
    for i in range(25, 50):
        client.update_item(TableName="restart", Key={"k": {"S": f"k{i - 25:03}"}},
                           UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": {"N": str(i)}})
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                    SequenceNumber=last)["ShardIterator"]
    rest, _ = drain(streams, it, limit=6)
    assert [r["eventName"] for r in rest] == ["MODIFY"] * 25
    assert [r["dynamodb"]["NewImage"]["n"]["N"] for r in rest] == [str(i) for i in range(25, 50)]
    assert [r["dynamodb"]["OldImage"]["n"]["N"] for r in rest] == [str(i) for i in range(25)]

    everything = read_stream(streams, arn)
    assert [r["dynamodb"]["SequenceNumber"] for r in everything[:25]] == [
        r["dynamodb"]["SequenceNumber"] for r in before]
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in everything]
    assert len(seqs) == 50 and len(set(seqs)) == 50 and seqs == sorted(seqs)


def test_seed_users_table_streams_new_and_old_images(ddb, streams, make_table):
    name = make_table(
        hash_key=("user_id", "S"), range_key=("created_at", "S"),
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("user_id", "created_at", "email", "status")],
        GlobalSecondaryIndexes=[
            {"IndexName": "email-index", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "status-index",
             "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                           {"AttributeName": "created_at", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["user_id", "email"]}},
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    key = {"user_id": {"S": "123"}, "created_at": {"S": "2024-01-01T00:00:00Z"}}
    ddb.put_item(TableName=name, Item={**key, "email": {"S": "john@example.com"}, "status": {"S": "active"},
                                       "name": {"S": "John Doe"}})
    ddb.update_item(TableName=name, Key=key, UpdateExpression="SET #s = :s",
                    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "inactive"}})
    records = read_stream(streams, stream_arn(ddb, name))
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    modify = records[1]["dynamodb"]
    assert modify["Keys"] == key
    assert modify["OldImage"]["status"] == {"S": "active"}
    assert modify["NewImage"]["status"] == {"S": "inactive"}
    assert modify["NewImage"]["name"] == {"S": "John Doe"}


def test_disabled_stream_stays_readable_and_a_new_one_gets_a_new_arn(ddb, streams, make_table):
    table = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    first = stream_arn(ddb, table)
    ddb.put_item(TableName=table, Item={"k": {"S": "one"}})
    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    ddb.put_item(TableName=table, Item={"k": {"S": "not streamed"}})
    time.sleep(0.01)
    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    second = stream_arn(ddb, table)
    assert second != first
    ddb.put_item(TableName=table, Item={"k": {"S": "two"}})

    old = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert old["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in old["Shards"][-1]["SequenceNumberRange"]
    assert [r["dynamodb"]["Keys"]["k"]["S"] for r in read_stream(streams, first)] == ["one"]
    new = read_stream(streams, second)
    assert [r["dynamodb"]["Keys"]["k"]["S"] for r in new] == ["two"]
    assert "NewImage" not in new[0]["dynamodb"]
    assert [s["StreamArn"] for s in streams.list_streams(TableName=table)["Streams"]] == [first, second]

    # A closed shard's chain ends: no NextShardIterator once it is read.
    shard = old["Shards"][-1]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=first, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    page = streams.get_records(ShardIterator=it["ShardIterator"])
    assert len(page["Records"]) == 1
    assert "NextShardIterator" not in page


def test_shards_roll_over(new_server):
    srv = new_server(args=["--stream-shard-seconds", "0.3"])
    client = srv.client()
    create_table(client, "rolling", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    for i in range(10):
        client.put_item(TableName="rolling", Item={"k": {"S": f"k{i}"}})
        time.sleep(0.12)
    streams = srv.streams_client()
    arn = stream_arn(client, "rolling")
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) >= 3
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in shards[:-1])
    assert [r["dynamodb"]["Keys"]["k"]["S"] for r in read_stream(streams, arn)] == [f"k{i}" for i in range(10)]


def test_streams_errors(ddb, streams, make_table):
    missing = "arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2024-01-01T00:00:00.000"
    expect_error(streams.describe_stream, "ResourceNotFoundException",
                 f"Requested resource not found: Stream: {missing} not found", StreamArn=missing)
    expect_error(streams.get_shard_iterator, "ResourceNotFoundException",
                 f"Requested resource not found: Stream: {missing} not found", StreamArn=missing,
                 ShardId="shardId-00000000000000000000-00000000", ShardIteratorType="LATEST")
    table = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = stream_arn(ddb, table)
    expect_error(streams.get_shard_iterator, "ResourceNotFoundException", UNVERIFIED,  # message unverified
                 StreamArn=arn, ShardId="shardId-00000000000000000000-00000000", ShardIteratorType="LATEST")
    expect_error(streams.get_records, "ValidationException", UNVERIFIED,  # message unverified
                 ShardIterator="not an iterator")


def test_streams_validation_messages(server):
    unchecked = boto3.client("dynamodbstreams", endpoint_url=server.endpoint, region_name=REGION,
                             aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                             config=client_config(parameter_validation=False))
    expect_error(unchecked.get_records, "ValidationException",
                 "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                 "Member must have value greater than or equal to 1",
                 ShardIterator="x", Limit=0)
    expect_error(unchecked.describe_stream, "ValidationException",
                 "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
                 "Member must have value less than or equal to 100",
                 StreamArn="arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/x", Limit=101)
    expect_error(unchecked.get_shard_iterator, "ValidationException",
                 "1 validation error detected: Value 'SOMETIMES' at 'shardIteratorType' failed to satisfy "
                 "constraint: Member must satisfy enum value set: "
                 "[TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]",
                 StreamArn="arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/x",
                 ShardId="shardId-00000000000000000000-00000000", ShardIteratorType="SOMETIMES")


def test_list_streams_pages(ddb, streams, make_table):
    names = sorted(make_table(name=unique_name("zz-page"),
                              StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
                   for _ in range(3))
    seen = []
    kwargs = {}
    while True:
        page = streams.list_streams(Limit=2, **kwargs)
        seen += [s["TableName"] for s in page["Streams"]]
        if "LastEvaluatedStreamArn" not in page:
            break
        kwargs = {"ExclusiveStartStreamArn": page["LastEvaluatedStreamArn"]}
    assert [n for n in seen if n in names] == names
