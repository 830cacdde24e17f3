"""Items an earlier build let UpdateItem nest past DynamoDB's 32 levels (issue 19) stay usable:
read, queried, deleted and overwritten, their stream records read, never a 500. The fixture is
a data directory written by such a build (`fixtures/make_deep_items.py` says how): a plaintext
directory, so opening it also encrypts it."""

from __future__ import annotations

import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from conftest import Server
from dynohelpers import UNVERIFIED, expect_error, stream_records

FIXTURE = Path(__file__).parent / "fixtures" / "deep-items.tar.gz"


def depth(value: dict) -> int:
    """How many maps and lists nest in an attribute value, at most (iterative)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, level = todo.pop()
        deepest = max(deepest, level)
        if "M" in v:
            todo += [(c, level + 1) for c in v["M"].values()]
        elif "L" in v:
            todo += [(c, level + 1) for c in v["L"]]
    return deepest


@pytest.fixture
def earlier_build():
    workdir = Path(tempfile.mkdtemp(prefix="dynostack-deep-"))
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(workdir / "data", filter="data")
    srv = Server(workdir, name="deep-items")
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def get(ddb, key):
    return ddb.get_item(TableName="deep", Key={"k": {"S": key}}, ConsistentRead=True).get("Item")


def test_items_nested_past_the_limit_are_read_deleted_and_overwritten(earlier_build):
    # botocore parses a response recursively, several Python frames a level: the 241-level
    # item needs more than Python's default limit.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))
    ddb = earlier_build.client()
    maps, lists = get(ddb, "maps91"), get(ddb, "lists91")
    assert depth(maps["v"]) == 91 and depth(lists["l"]) == 91
    assert {i["k"]["S"] for i in ddb.scan(TableName="deep")["Items"]} == {
        "maps91", "lists91", "maps241", "plain"}
    indexed = ddb.query(TableName="deep", IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "x"}})["Items"]
    assert sorted(depth(i.get("v", i.get("l", {"S": ""}))) for i in indexed) == [0, 91, 91]
    # A projection and a filter reach into them.
    got = ddb.get_item(TableName="deep", Key={"k": {"S": "maps91"}},
                       ProjectionExpression="v" + ".a" * 89)["Item"]
    assert depth(got["v"]) == 91

    # An update would keep the item past the limit: refused as AWS refuses such an item, and
    # the item is untouched.
    expect_error(ddb.update_item, "ValidationException", UNVERIFIED,
                 TableName="deep", Key={"k": {"S": "maps91"}},
                 UpdateExpression="SET w = :w", ExpressionAttributeValues={":w": {"S": "x"}})
    assert get(ddb, "maps91") == maps

    old = ddb.delete_item(TableName="deep", Key={"k": {"S": "maps91"}},
                          ReturnValues="ALL_OLD")["Attributes"]
    assert old == maps and get(ddb, "maps91") is None
    old = ddb.put_item(TableName="deep", Item={"k": {"S": "lists91"}, "g": {"S": "y"}, "l": {"L": []}},
                       ReturnValues="ALL_OLD")["Attributes"]
    assert old == lists
    assert get(ddb, "lists91")["l"] == {"L": []}
    indexed = ddb.query(TableName="deep", IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "x"}})["Items"]
    assert [i["k"]["S"] for i in indexed] == ["plain"]

    # Their stream records, with 91-level images, are read.
    streams = earlier_build.streams_client()
    arn = ddb.describe_table(TableName="deep")["Table"]["LatestStreamArn"]
    records = stream_records(streams, arn)
    removed = [r for r in records if r["eventName"] == "REMOVE"]
    assert len(removed) == 1 and depth(removed[0]["dynamodb"]["OldImage"]["v"]) == 91
    modified = [r for r in records if r["dynamodb"]["Keys"]["k"]["S"] == "lists91"
                and r["eventName"] == "MODIFY"]
    assert depth(modified[-1]["dynamodb"]["OldImage"]["l"]) == 91

    # Near the 256 levels a stored item is read to: read, then deleted.
    deepest = get(ddb, "maps241")
    assert depth(deepest["v"]) == 241
    old = ddb.delete_item(TableName="deep", Key={"k": {"S": "maps241"}},
                          ReturnValues="ALL_OLD")["Attributes"]
    assert old == deepest and get(ddb, "maps241") is None

    earlier_build.restart()
    ddb = earlier_build.client()
    assert get(ddb, "maps91") is None and get(ddb, "lists91")["l"] == {"L": []}
