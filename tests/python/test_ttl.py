"""Time to Live with boto3: UpdateTimeToLive/DescribeTimeToLive with AWS's rules and messages,
and the sweeper on the seed's ``sessions`` table (``expires_at``): expired items vanish within
the configured period, live ones stay, indexes and statistics follow, and the stream shows the
deletions as the service's.

Message sources: "TimeToLive is already enabled" / "already disabled", "TimeToLive is active
on a different AttributeName: current AttributeName is X" and "Time to live has been modified
multiple times within a fixed interval" are AWS's responses as client code and recorded AWS
sessions match on them; the order (content errors before the one-change-per-hour rule) was
recorded against AWS as well.
"""

from __future__ import annotations

import time

from dynohelpers import assert_validation_errors, expect_error, wait_for

from conftest import create_table

FAST = ["--ttl-sweep-seconds", "0.3", "--ttl-allow-quick-changes"]


def ttl_status(client, table):
    return client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]


def enable_ttl(client, table, attribute="expires_at"):
    out = client.update_time_to_live(TableName=table, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": attribute})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": attribute}
    return wait_for(lambda: ttl_status(client, table)["TimeToLiveStatus"] == "ENABLED", timeout=30,
                    what="TTL ENABLED")


def create_sessions(client, name="sessions", stream=True):
    """The seed's sessions table: session_id, GSI user-sessions-index on user_id."""
    extra = {}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    create_table(
        client, name, hash_key=("session_id", "S"),
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"},
                              {"AttributeName": "user_id", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "user-sessions-index",
                                 "KeySchema": [{"AttributeName": "user_id", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        **extra,
    )
    return name


def session(sid, user, expires_at=None, **extra):
    item = {"session_id": {"S": sid}, "user_id": {"S": user}, **extra}
    if expires_at is not None:
        item["expires_at"] = {"N": str(expires_at)}
    return item


def user_sessions(client, table, user):
    out = client.query(TableName=table, IndexName="user-sessions-index",
                       KeyConditionExpression="user_id = :u", ExpressionAttributeValues={":u": {"S": user}})
    return sorted(i["session_id"]["S"] for i in out["Items"])


# ---------------------------------------------------------------------------------------------
# the API's rules, on the shared server (AWS's one-change-per-hour rule in force)


def test_describe_time_to_live_of_a_new_table(ddb, make_table):
    table = make_table()
    assert ttl_status(ddb, table) == {"TimeToLiveStatus": "DISABLED"}


def test_update_time_to_live_rules(ddb, make_table):
    table = make_table()
    expect_error(ddb.update_time_to_live, "ValidationException", "TimeToLive is already disabled",
                 TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"})
    enable_ttl(ddb, table)
    assert ttl_status(ddb, table) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    expect_error(ddb.update_time_to_live, "ValidationException", "TimeToLive is already enabled",
                 TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    expect_error(ddb.update_time_to_live, "ValidationException",
                 "TimeToLive is active on a different AttributeName: current AttributeName is expires_at",
                 TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "other"})
    expect_error(ddb.update_time_to_live, "ValidationException",
                 "TimeToLive is active on a different AttributeName: current AttributeName is expires_at",
                 TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "other"})
    # A second change within the hour.
    expect_error(ddb.update_time_to_live, "ValidationException",
                 "Time to live has been modified multiple times within a fixed interval",
                 TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"})
    assert ttl_status(ddb, table) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_time_to_live_missing_table_and_validation(ddb_raw):
    expect_error(ddb_raw.describe_time_to_live, "ResourceNotFoundException",
                 "Requested resource not found: Table: no-such-table not found", TableName="no-such-table")
    expect_error(ddb_raw.update_time_to_live, "ResourceNotFoundException",
                 "Requested resource not found: Table: no-such-table not found", TableName="no-such-table",
                 TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    err = expect_error(ddb_raw.update_time_to_live, "ValidationException", TableName="no-such-table",
                       TimeToLiveSpecification={"Enabled": True})
    assert_validation_errors(err["Error"]["Message"], [
        "Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null",
    ])
    err = expect_error(ddb_raw.update_time_to_live, "ValidationException", TableName="no-such-table")
    assert_validation_errors(err["Error"]["Message"], [
        "Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null",
    ])
    err = expect_error(ddb_raw.update_time_to_live, "ValidationException", TableName="no-such-table",
                       TimeToLiveSpecification={"Enabled": True, "AttributeName": "a" * 256})
    assert_validation_errors(err["Error"]["Message"], [
        f"Value '{'a' * 256}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: "
        "Member must have length less than or equal to 255",
    ])


# ---------------------------------------------------------------------------------------------
# the sweeper, on private servers with a short period


def test_expired_sessions_vanish_and_live_ones_stay(new_server):
    srv = new_server(args=FAST)
    client = srv.client()
    table = create_sessions(client)
    now = int(time.time())
    items = [
        session("existing-expired", "u1", now - 60),  # written before TTL was enabled
        session("live", "u1", now + 3600),
        session("no-ttl", "u1"),
        {**session("string-ttl", "u1"), "expires_at": {"S": str(now - 60)}},
        session("far-past", "u1", now - 6 * 365 * 24 * 3600),
    ]
    for item in items:
        client.put_item(TableName=table, Item=item)
    enable_ttl(client, table)
    client.put_item(TableName=table, Item=session("new-expired", "u1", now - 1))
    client.put_item(TableName=table, Item=session("soon", "u1", now + 2, note={"S": "expires shortly"}))

    def gone(sid):
        return "Item" not in client.get_item(TableName=table, Key={"session_id": {"S": sid}}, ConsistentRead=True)

    wait_for(lambda: gone("existing-expired") and gone("new-expired"), timeout=10, what="expired sessions deleted")
    wait_for(lambda: gone("soon"), timeout=10, what="the session expiring shortly deleted")
    for sid in ("live", "no-ttl", "string-ttl", "far-past"):
        assert not gone(sid), sid
    # The GSI no longer returns them; statistics follow.
    assert user_sessions(client, table, "u1") == ["far-past", "live", "no-ttl", "string-ttl"]
    scan = client.scan(TableName=table)
    assert scan["Count"] == 4
    assert client.describe_table(TableName=table)["Table"]["ItemCount"] == 4
    gsi = client.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["ItemCount"] == 4

    # Stream records of the deletions carry the service's identity.
    streams = srv.streams_client()
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    removals = [r for r in records if r["eventName"] == "REMOVE"]
    assert sorted(r["dynamodb"]["Keys"]["session_id"]["S"] for r in removals) == [
        "existing-expired", "new-expired", "soon"]
    for r in removals:
        assert r["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
        assert r["dynamodb"]["OldImage"]["user_id"] == {"S": "u1"}
    assert all("userIdentity" not in r for r in records if r["eventName"] != "REMOVE")


def test_expired_items_stay_readable_until_the_sweep(new_server):
    srv = new_server(args=["--ttl-sweep-seconds", "3600"])
    client = srv.client()
    table = create_sessions(client, stream=False)
    enable_ttl(client, table)
    client.put_item(TableName=table, Item=session("expired", "u1", int(time.time()) - 60))
    time.sleep(0.5)
    assert "Item" in client.get_item(TableName=table, Key={"session_id": {"S": "expired"}})
    assert user_sessions(client, table, "u1") == ["expired"]


def test_updating_an_expired_item_keeps_it(new_server):
    srv = new_server(args=["--ttl-sweep-seconds", "1"])
    client = srv.client()
    table = create_sessions(client, stream=False)
    enable_ttl(client, table)
    now = int(time.time())
    client.put_item(TableName=table, Item=session("renewed", "u1", now + 1))
    client.put_item(TableName=table, Item=session("dropped", "u1", now + 1))
    client.update_item(TableName=table, Key={"session_id": {"S": "renewed"}},
                       UpdateExpression="SET expires_at = :e", ExpressionAttributeValues={":e": {"N": str(now + 3600)}})
    wait_for(lambda: "Item" not in client.get_item(TableName=table, Key={"session_id": {"S": "dropped"}}),
             timeout=10, what="dropped deleted")
    assert "Item" in client.get_item(TableName=table, Key={"session_id": {"S": "renewed"}})


def test_disabling_ttl_stops_deletions_and_ttl_survives_a_restart(new_server):
    srv = new_server(args=FAST)
    client = srv.client()
    table = create_sessions(client, stream=False)
    enable_ttl(client, table)
    srv.restart()
    client = srv.client()
    assert ttl_status(client, table) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    client.put_item(TableName=table, Item=session("after-restart", "u1", int(time.time()) - 5))
    wait_for(lambda: "Item" not in client.get_item(TableName=table, Key={"session_id": {"S": "after-restart"}}),
             timeout=10, what="deleted after a restart")

    client.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"})
    assert ttl_status(client, table) == {"TimeToLiveStatus": "DISABLED"}
    client.put_item(TableName=table, Item=session("kept", "u1", int(time.time()) - 5))
    time.sleep(1.2)
    assert "Item" in client.get_item(TableName=table, Key={"session_id": {"S": "kept"}})
    # Enabled again (on another attribute): items expired by that attribute go.
    enable_ttl(client, table, attribute="valid_until")
    client.put_item(TableName=table, Item=session("other-attr", "u1", None,
                                                  valid_until={"N": str(int(time.time()) - 5)}))
    wait_for(lambda: "Item" not in client.get_item(TableName=table, Key={"session_id": {"S": "other-attr"}}),
             timeout=10, what="deleted by the new attribute")
    assert "Item" in client.get_item(TableName=table, Key={"session_id": {"S": "kept"}})
