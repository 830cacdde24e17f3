"""Issue 26's fidelity points, each as AWS behaves today (evidence: the issue's independent
suites, validated against AWS; AWS's documentation where it says so)."""

from __future__ import annotations

from dynohelpers import stream_records


def test_an_update_that_only_removes_creates_no_item(ddb, streams, make_table):
    """UpdateItem of a missing item whose actions only REMOVE or DELETE writes nothing: no item,
    no stream record, no Attributes for ALL_NEW, yet it is charged as a write."""
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    out = ddb.update_item(TableName=name, Key={"k": {"S": "gone"}}, UpdateExpression="REMOVE a, b.c",
                          ReturnValues="ALL_NEW", ReturnConsumedCapacity="TOTAL")
    assert "Attributes" not in out
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0
    ddb.update_item(TableName=name, Key={"k": {"S": "gone"}}, UpdateExpression="DELETE s :m",
                    ExpressionAttributeValues={":m": {"SS": ["x"]}})
    # The legacy API: only DELETE actions.
    ddb.update_item(TableName=name, Key={"k": {"S": "gone"}},
                    AttributeUpdates={"a": {"Action": "DELETE"}, "s": {"Action": "DELETE", "Value": {"SS": ["x"]}}})
    ddb.transact_write_items(TransactItems=[{"Update": {"TableName": name, "Key": {"k": {"S": "gone"}},
                                                        "UpdateExpression": "REMOVE a"}}])
    assert "Item" not in ddb.get_item(TableName=name, Key={"k": {"S": "gone"}}, ConsistentRead=True)
    # What does create an item: any SET or ADD, and an update with no actions (the key alone).
    ddb.update_item(TableName=name, Key={"k": {"S": "set"}}, UpdateExpression="SET a = :one REMOVE b",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    ddb.update_item(TableName=name, Key={"k": {"S": "bare"}})
    assert ddb.get_item(TableName=name, Key={"k": {"S": "bare"}}, ConsistentRead=True)["Item"] == {"k": {"S": "bare"}}
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    keys = [(r["eventName"], r["dynamodb"]["Keys"]["k"]["S"]) for r in stream_records(streams, arn)]
    assert keys == [("INSERT", "set"), ("INSERT", "bare")]
    # On an item that exists, REMOVE changes it as before.
    out = ddb.update_item(TableName=name, Key={"k": {"S": "set"}}, UpdateExpression="REMOVE a", ReturnValues="ALL_NEW")
    assert out["Attributes"] == {"k": {"S": "set"}}


def test_not_may_repeat(ddb, make_table):
    name = make_table()
    ddb.put_item(TableName=name, Item={"k": {"S": "x"}, "a": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"k": {"S": "y"}, "a": {"N": "2"}})
    got = ddb.scan(TableName=name, FilterExpression="NOT NOT NOT a = :one",
                   ExpressionAttributeValues={":one": {"N": "1"}})["Items"]
    assert [i["k"]["S"] for i in got] == ["y"]
