"""BatchWriteItem and BatchGetItem.

Functionality across tables (low-level client and the resource's batch_writer),
atomicity of a refused batch, durability, Coral's constraint messages, the
service's own checks and their order (before or after the table lookup),
ConsumedCapacity per table, and UnprocessedKeys past the 16 MB response limit.

Reference messages: architect/dynalite test/batchWriteItem.js and
test/batchGetItem.js and validations/batchWriteItem.js, batchGetItem.js
(captured against real DynamoDB); the echo of a collection in Coral messages
(`{table=[com.amazonaws.dynamodb.v20120810.WriteRequest@caad9cb8, ...]}`,
`{test-table=[]}`) from real AWS answers quoted in boto/boto3#483 and
elegantdevelopment/aws-cdk-dynamodb-seeder#3. The hash after `@` is Java's
hashCode of AWS's model object and cannot be reproduced, so echoes holding
objects are matched by pattern.
"""

from __future__ import annotations

import json
import re

import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import create_table
from dynohelpers import (
    ACCESS_KEY,
    MAX_ITEM_SIZE,
    REGION,
    SECRET_KEY,
    UNVERIFIED,
    assert_validation_errors,
    expect_error,
    normalize_item,
    unique_key,
    unique_name,
)

INVALID = "One or more parameter values were invalid: "
SCHEMA = "The provided key element does not match the schema"
DUPLICATES = "Provided list of item keys contains duplicates"
NOT_FOUND = "Requested resource not found"
MAP_KEYS = (
    "Map keys must satisfy constraint: [Member must have length less than or equal to 255, "
    "Member must have length greater than or equal to 3, "
    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"
)
MAP_VALUES_25 = (
    "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
    "Member must have length greater than or equal to 1]"
)
WRITE_REQUEST = r"com\.amazonaws\.dynamodb\.v20120810\.WriteRequest@[0-9a-f]+"
KEYS_AND_ATTRIBUTES = r"com\.amazonaws\.dynamodb\.v20120810\.KeysAndAttributes@[0-9a-f]+"
ATTRIBUTE_VALUE = r"com\.amazonaws\.dynamodb\.v20120810\.AttributeValue@[0-9a-f]+"
MORE_THAN_ONE_TYPE = (
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
)


def k(value=None):
    return {"k": {"S": value or unique_key()}}


def put(item):
    return {"PutRequest": {"Item": item}}


def delete(key):
    return {"DeleteRequest": {"Key": key}}


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def assert_parts(message: str, patterns: list) -> None:
    """A multi-constraint message whose parts match ``patterns`` (strings exact,
    compiled regexes fullmatch), in any order."""
    noun = "error" if len(patterns) == 1 else "errors"
    prefix = f"{len(patterns)} validation {noun} detected: "
    assert message.startswith(prefix), f"{message!r} does not start with {prefix!r}"
    parts = message[len(prefix):].split("; ")
    assert len(parts) == len(patterns), parts
    left = list(parts)
    for p in patterns:
        match = next(
            (x for x in left if (p.fullmatch(x) if isinstance(p, re.Pattern) else x == p)),
            None,
        )
        assert match is not None, f"no part matches {p!r} in {parts!r}"
        left.remove(match)


_http = urllib3.PoolManager()


def send_raw(endpoint: str, operation: str, body: dict) -> tuple[str, str]:
    """A signed request sent without botocore's client, whose endpoint resolution needs
    RequestItems to exist; returns the error's code and message."""
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{operation}"},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", REGION).add_auth(request)
    prepared = request.prepare()
    r = _http.request("POST", prepared.url, body=prepared.body, headers=dict(prepared.headers))
    assert r.status == 400, r.data
    error = json.loads(r.data)
    return error["__type"].split("#")[-1], error.get("message", "")


def validation_message(fn, **params) -> str:
    return expect_error(fn, "ValidationException", UNVERIFIED, **params)["Error"]["Message"]


# ---------------------------------------------------------------------------
# BatchWriteItem: functionality
# ---------------------------------------------------------------------------


class TestBatchWrite:
    def test_put_one_item_in_each_table(self, ddb, hash_table, range_table):
        item = {**k(), "c": {"S": "c"}}
        item2 = {**k(), "r": {"N": "7"}, "c": {"S": "c"}}
        resp = ddb.batch_write_item(RequestItems={hash_table: [put(item)], range_table: [put(item2)]})
        resp.pop("ResponseMetadata")
        assert resp == {"UnprocessedItems": {}}
        assert get(ddb, hash_table, {"k": item["k"]}) == item
        assert get(ddb, range_table, {"k": item2["k"], "r": item2["r"]}) == item2

    def test_delete_one_item_in_each_table(self, ddb, hash_table, range_table):
        item = {**k(), "c": {"S": "c"}}
        item2 = {**k(), "r": {"N": "7"}}
        ddb.put_item(TableName=hash_table, Item=item)
        ddb.put_item(TableName=range_table, Item=item2)
        resp = ddb.batch_write_item(
            RequestItems={hash_table: [delete({"k": item["k"]})], range_table: [delete(item2)]}
        )
        assert resp["UnprocessedItems"] == {}
        assert get(ddb, hash_table, {"k": item["k"]}) is None
        assert get(ddb, range_table, item2) is None

    def test_puts_and_deletes_together(self, ddb, hash_table):
        item, item2 = {**k(), "c": {"S": "c"}}, {**k(), "c": {"S": "c"}}
        ddb.put_item(TableName=hash_table, Item=item)
        ddb.batch_write_item(RequestItems={hash_table: [delete({"k": item["k"]}), put(item2)]})
        assert get(ddb, hash_table, {"k": item["k"]}) is None
        assert get(ddb, hash_table, {"k": item2["k"]}) == item2

    def test_put_replaces_whole_item(self, ddb, hash_table):
        key = k()
        ddb.put_item(TableName=hash_table, Item={**key, "a": {"S": "old"}})
        ddb.batch_write_item(RequestItems={hash_table: [put({**key, "b": {"S": "new"}})]})
        assert get(ddb, hash_table, key) == {**key, "b": {"S": "new"}}

    def test_same_key_in_two_tables_is_not_a_duplicate(self, ddb, hash_table, make_table):
        other = make_table()
        key = k()
        ddb.batch_write_item(RequestItems={hash_table: [put({**key, "a": {"S": "1"}})], other: [put(key)]})
        assert get(ddb, hash_table, key) == {**key, "a": {"S": "1"}}
        assert get(ddb, other, key) == key

    def test_same_hash_key_with_other_range_keys(self, ddb, range_table):
        key = unique_key()
        items = [{"k": {"S": key}, "r": {"N": str(i)}} for i in range(5)]
        ddb.batch_write_item(RequestItems={range_table: [put(i) for i in items]})
        for i in items:
            assert get(ddb, range_table, i) == i

    def test_twenty_five_requests(self, ddb, hash_table):
        items = [{**k(), "n": {"N": str(i)}} for i in range(25)]
        ddb.batch_write_item(RequestItems={hash_table: [put(i) for i in items]})
        for i in items:
            assert get(ddb, hash_table, {"k": i["k"]}) == i

    def test_every_type_round_trips(self, ddb, hash_table):
        item = {
            **k(),
            "s": {"S": "x"},
            "n": {"N": "-1.50"},
            "b": {"B": b"\x00\xff"},
            "t": {"BOOL": True},
            "nul": {"NULL": True},
            "ss": {"SS": ["a", "b"]},
            "ns": {"NS": ["1", "2"]},
            "bs": {"BS": [b"1"]},
            "l": {"L": [{"S": "a"}, {"M": {}}]},
            "m": {"M": {"x": {"N": "1"}}},
        }
        ddb.batch_write_item(RequestItems={hash_table: [put(item)]})
        got = get(ddb, hash_table, {"k": item["k"]})
        assert normalize_item(got) == normalize_item({**item, "n": {"N": "-1.5"}})

    def test_batch_writer_puts_and_deletes(self, dynamodb, ddb, hash_table):
        table = dynamodb.Table(hash_table)
        keys = [unique_key() for _ in range(60)]
        # 60 puts: the writer flushes in several BatchWriteItem calls of at most 25.
        with table.batch_writer() as batch:
            for i, key in enumerate(keys):
                batch.put_item(Item={"k": key, "n": i, "s": {"a", "b"}})
        for i, key in enumerate(keys):
            assert table.get_item(Key={"k": key}, ConsistentRead=True)["Item"] == {"k": key, "n": i, "s": {"a", "b"}}
        with table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key={"k": key})
        for key in keys:
            assert "Item" not in table.get_item(Key={"k": key}, ConsistentRead=True)

    def test_batch_writer_overwrite_by_pkeys(self, dynamodb, hash_table):
        table = dynamodb.Table(hash_table)
        key = unique_key()
        # Without overwrite_by_pkeys the writer would send both puts and AWS refuses duplicates.
        with table.batch_writer(overwrite_by_pkeys=["k"]) as batch:
            batch.put_item(Item={"k": key, "v": 1})
            batch.put_item(Item={"k": key, "v": 2})
        assert table.get_item(Key={"k": key}, ConsistentRead=True)["Item"] == {"k": key, "v": 2}

    def test_batch_writer_duplicate_is_refused(self, dynamodb, hash_table):
        table = dynamodb.Table(hash_table)
        key = unique_key()
        with pytest.raises(Exception) as excinfo:
            with table.batch_writer() as batch:
                batch.put_item(Item={"k": key})
                batch.put_item(Item={"k": key})
        err = excinfo.value.response["Error"]
        assert (err["Code"], err["Message"]) == ("ValidationException", DUPLICATES)

    def test_item_count_follows_batch_writes(self, ddb, make_table):
        name = make_table()
        keys = [k() for _ in range(10)]
        ddb.batch_write_item(RequestItems={name: [put(key) for key in keys]})
        ddb.batch_write_item(RequestItems={name: [delete(key) for key in keys[:4]]})
        assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 6


class TestBatchWriteAtomicity:
    """A refused batch writes nothing, whichever request is at fault."""

    def test_bad_key_in_last_request(self, ddb, hash_table):
        keys = [k(), k()]
        expect_error(
            ddb.batch_write_item,
            "ValidationException",
            SCHEMA,
            RequestItems={hash_table: [put(keys[0]), put(keys[1]), put({"other": {"S": "x"}})]},
        )
        for key in keys:
            assert get(ddb, hash_table, key) is None

    def test_missing_second_table(self, ddb, hash_table):
        key = k()
        expect_error(
            ddb.batch_write_item,
            "ResourceNotFoundException",
            NOT_FOUND,
            RequestItems={hash_table: [put(key)], "zzz-" + unique_name("missing"): [put(k())]},
        )
        assert get(ddb, hash_table, key) is None

    def test_duplicate_in_second_table(self, ddb, hash_table, make_table):
        other = make_table()
        key, dup = k(), k()
        expect_error(
            ddb.batch_write_item,
            "ValidationException",
            DUPLICATES,
            RequestItems={hash_table: [put(key)], other: [put(dup), delete(dup)]},
        )
        assert get(ddb, hash_table, key) is None
        assert get(ddb, other, dup) is None


class TestBatchWriteDurability:
    def test_batch_survives_restart(self, new_server):
        srv = new_server()
        client = srv.client()
        create_table(client, "durable-a")
        create_table(client, "durable-b", range_key=("r", "N"))
        a = [{**k(), "v": {"N": str(i)}} for i in range(10)]
        b = [{**k(), "r": {"N": str(i)}} for i in range(10)]
        client.batch_write_item(RequestItems={"durable-a": [put(i) for i in a], "durable-b": [put(i) for i in b]})
        client.batch_write_item(RequestItems={"durable-a": [delete({"k": a[0]["k"]})]})
        srv.restart()
        client = srv.client()
        resp = client.batch_get_item(
            RequestItems={
                "durable-a": {"Keys": [{"k": i["k"]} for i in a], "ConsistentRead": True},
                "durable-b": {"Keys": [{"k": i["k"], "r": i["r"]} for i in b]},
            }
        )
        key_of = lambda i: i["k"]["S"]  # noqa: E731
        assert sorted(resp["Responses"]["durable-a"], key=key_of) == sorted(a[1:], key=key_of)
        assert sorted(resp["Responses"]["durable-b"], key=key_of) == sorted(b, key=key_of)
        assert client.describe_table(TableName="durable-a")["Table"]["ItemCount"] == 9


class TestBatchWriteCapacity:
    # write units: 1 per KB of the larger of the item before and after, at least 1; a delete of
    # a missing item costs 1 (dynalite "putting and deleting small/larger item").

    def test_total_and_indexes_per_table(self, ddb, hash_table, num_table):
        key = unique_key()
        big = {"k": {"S": key}, "b": {"S": "x" * (1025 - 1 - len(key) - 1)}}  # 1025 bytes: 2 units
        small = k()
        num_key = {"k": {"N": "987654321.5"}}
        items = {hash_table: [put(big), put(small)], num_table: [put(num_key)]}
        resp = ddb.batch_write_item(RequestItems=items, ReturnConsumedCapacity="TOTAL")
        assert sorted(resp["ConsumedCapacity"], key=lambda c: c["TableName"]) == sorted(
            [
                {"TableName": hash_table, "CapacityUnits": 3.0},
                {"TableName": num_table, "CapacityUnits": 1.0},
            ],
            key=lambda c: c["TableName"],
        )
        resp = ddb.batch_write_item(RequestItems=items, ReturnConsumedCapacity="INDEXES")
        assert {c["TableName"]: c for c in resp["ConsumedCapacity"]} == {
            hash_table: {"TableName": hash_table, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 3.0}},
            num_table: {"TableName": num_table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}},
        }
        deletes = {hash_table: [delete({"k": big["k"]}), delete(k())], num_table: [delete(num_key)]}
        resp = ddb.batch_write_item(RequestItems=deletes, ReturnConsumedCapacity="TOTAL")
        assert {c["TableName"]: c["CapacityUnits"] for c in resp["ConsumedCapacity"]} == {
            hash_table: 3.0,
            num_table: 1.0,
        }

    @pytest.mark.parametrize("rcc", [None, "NONE"])
    def test_none_omits_capacity(self, ddb, hash_table, rcc):
        params = {"ReturnConsumedCapacity": rcc} if rcc else {}
        resp = ddb.batch_write_item(RequestItems={hash_table: [put(k())]}, **params)
        assert "ConsumedCapacity" not in resp
        assert "ItemCollectionMetrics" not in resp

    def test_item_collection_metrics_only_for_tables_with_lsis(self, ddb, hash_table):
        resp = ddb.batch_write_item(RequestItems={hash_table: [put(k())]}, ReturnItemCollectionMetrics="SIZE")
        assert resp["UnprocessedItems"] == {}
        assert "ItemCollectionMetrics" not in resp

    def test_item_collection_metrics(self, ddb, hash_table, make_table):
        name = make_table(
            range_key=("r", "N"),
            AttributeDefinitions=[
                {"AttributeName": "k", "AttributeType": "S"},
                {"AttributeName": "r", "AttributeType": "N"},
                {"AttributeName": "l", "AttributeType": "S"},
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "by-l",
                    "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        a, b = unique_key(), unique_key()
        ddb.put_item(TableName=name, Item={"k": {"S": b}, "r": {"N": "1"}})
        requests = [
            put({"k": {"S": a}, "r": {"N": "1"}, "l": {"S": "x"}}),
            put({"k": {"S": a}, "r": {"N": "2"}}),
            delete({"k": {"S": b}, "r": {"N": "1"}}),
        ]
        resp = ddb.batch_write_item(
            RequestItems={name: requests, hash_table: [put(k())]}, ReturnItemCollectionMetrics="SIZE"
        )
        metrics = resp["ItemCollectionMetrics"]
        # Only the table with an LSI has item collections.
        assert list(metrics) == [name]
        # One entry per write (the count is our reading of AWS's documentation, unverified).
        assert [m["ItemCollectionKey"] for m in metrics[name]] == [{"k": {"S": a}}, {"k": {"S": a}}, {"k": {"S": b}}]
        assert all(m["SizeEstimateRangeGB"] == [0.0, 1.0] for m in metrics[name])
        assert "ItemCollectionMetrics" not in ddb.batch_write_item(RequestItems={name: [put({"k": {"S": a}, "r": {"N": "3"}})]})


# ---------------------------------------------------------------------------
# BatchWriteItem: validation
# ---------------------------------------------------------------------------


class TestBatchWriteValidation:
    def test_missing_request_items(self, endpoint):
        assert send_raw(endpoint, "BatchWriteItem", {}) == (
            "ValidationException",
            "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: "
            "Member must not be null",
        )

    def test_bad_enums_and_missing_request_items(self, endpoint):
        code, msg = send_raw(
            endpoint, "BatchWriteItem", {"ReturnConsumedCapacity": "hi", "ReturnItemCollectionMetrics": "hi"}
        )
        assert code == "ValidationException"
        assert_validation_errors(
            msg,
            [
                "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
                "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: "
                "Member must satisfy enum value set: [SIZE, NONE]",
                "Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
            ],
        )

    def test_empty_request_items(self, ddb_raw):
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
            RequestItems={},
        )

    def test_short_table_name_and_empty_list(self, ddb_raw):
        # An empty list echoes as `[]`, as AWS's own answer `{test-table=[]}` shows.
        msg = validation_message(
            ddb_raw.batch_write_item, RequestItems={"a": []}, ReturnConsumedCapacity="hi", ReturnItemCollectionMetrics="hi"
        )
        assert_validation_errors(
            msg,
            [
                "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
                "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: "
                "Member must satisfy enum value set: [SIZE, NONE]",
                f"Value '{{a=[]}}' at 'requestItems' failed to satisfy constraint: {MAP_KEYS}",
                f"Value '{{a=[]}}' at 'requestItems' failed to satisfy constraint: {MAP_VALUES_25}",
            ],
        )

    def test_empty_list(self, ddb_raw):
        name = unique_name("missing")
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            f"1 validation error detected: Value '{{{name}=[]}}' at 'requestItems' failed to satisfy constraint: "
            f"{MAP_VALUES_25}",
            RequestItems={name: []},
        )

    def test_short_table_name_with_request(self, ddb_raw):
        msg = validation_message(ddb_raw.batch_write_item, RequestItems={"a": [put({"a": {"S": "a"}})]})
        assert re.fullmatch(
            rf"1 validation error detected: Value '\{{a=\[{WRITE_REQUEST}\]\}}' at 'requestItems' "
            rf"failed to satisfy constraint: {re.escape(MAP_KEYS)}",
            msg,
        ), msg

    def test_null_item_and_key(self, ddb_raw):
        msg = validation_message(
            ddb_raw.batch_write_item,
            RequestItems={"aa;": [{"PutRequest": {}, "DeleteRequest": {}}]},
            ReturnConsumedCapacity="hi",
            ReturnItemCollectionMetrics="hi",
        )
        assert_parts(
            msg,
            [
                "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
                "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: "
                "Member must satisfy enum value set: [SIZE, NONE]",
                re.compile(
                    rf"Value '\{{aa;=\[{WRITE_REQUEST}\]\}}' at 'requestItems' failed to satisfy constraint: "
                    + re.escape(MAP_KEYS)
                ),
                "Value null at 'requestItems.aa;.member.1.member.deleteRequest.key' failed to satisfy constraint: "
                "Member must not be null",
                "Value null at 'requestItems.aa;.member.1.member.putRequest.item' failed to satisfy constraint: "
                "Member must not be null",
            ],
        )

    def test_more_than_25_requests(self, ddb_raw, hash_table):
        requests = [delete(k()) if i % 2 else put(k()) for i in range(26)]
        msg = validation_message(ddb_raw.batch_write_item, RequestItems={hash_table: requests})
        assert re.fullmatch(
            rf"1 validation error detected: Value '\{{{re.escape(hash_table)}=\[{WRITE_REQUEST}(, {WRITE_REQUEST}){{25}}\]\}}' "
            rf"at 'requestItems' failed to satisfy constraint: {re.escape(MAP_VALUES_25)}",
            msg,
        ), msg

    def test_25_requests_on_missing_table(self, ddb_raw):
        requests = [delete(k()) if i % 2 else put(k()) for i in range(25)]
        expect_error(ddb_raw.batch_write_item, "ResourceNotFoundException", NOT_FOUND, RequestItems={unique_name("missing"): requests})

    def test_more_than_25_requests_over_two_tables(self, ddb_raw, hash_table, num_table):
        # Each list is within Coral's bound; the total is not.
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            UNVERIFIED,  # message unverified ("Too many items requested for the BatchWriteItem call")
            RequestItems={
                hash_table: [put(k()) for _ in range(13)],
                num_table: [put({"k": {"N": str(i)}}) for i in range(13)],
            },
        )

    def test_request_without_put_or_delete(self, ddb_raw):
        # AWS's wording for a WriteRequest naming no write; checked before the table.
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            MORE_THAN_ONE_TYPE,
            RequestItems={unique_name("missing"): [{}]},
        )

    def test_request_with_put_and_delete(self, ddb_raw, hash_table):
        key = k()
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            UNVERIFIED,  # message unverified (the "neither" wording is used)
            RequestItems={hash_table: [{**put(key), **delete(key)}]},
        )
        assert get(ddb_raw, hash_table, key) is None

    def test_missing_table_before_duplicates(self, ddb_raw):
        item = {**k(), "c": {"S": "c"}}
        expect_error(
            ddb_raw.batch_write_item,
            "ResourceNotFoundException",
            NOT_FOUND,
            RequestItems={unique_name("missing"): [put(item), delete({"k": item["k"]})]},
        )

    def test_missing_table_with_empty_item(self, ddb_raw):
        expect_error(ddb_raw.batch_write_item, "ResourceNotFoundException", NOT_FOUND, RequestItems={unique_name("missing"): [put({})]})

    @pytest.mark.parametrize("put_first", [True, False], ids=["put-first", "delete-first"])
    def test_put_and_delete_of_one_item(self, ddb_raw, hash_table, put_first):
        item = {**k(), "c": {"S": "c"}}
        requests = [put(item), delete({"k": item["k"]})]
        if not put_first:
            requests.reverse()
        expect_error(ddb_raw.batch_write_item, "ValidationException", DUPLICATES, RequestItems={hash_table: requests})

    def test_two_puts_of_one_item(self, ddb_raw, range_table):
        key = {**k(), "r": {"N": "1"}}
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            DUPLICATES,
            RequestItems={range_table: [put({**key, "a": {"S": "1"}}), put({**key, "r": {"N": "1.0"}})]},
        )

    def test_two_deletes_of_one_item(self, ddb_raw, hash_table):
        key = k()
        expect_error(ddb_raw.batch_write_item, "ValidationException", DUPLICATES, RequestItems={hash_table: [delete(key), delete(key)]})

    @pytest.mark.parametrize(
        "value",
        [{}, {"a": ""}, {"M": {"a": {}}}, {"L": [{}]}, {"L": [{"a": {}}]}],
        ids=["empty", "unknown-type", "empty-in-map", "empty-in-list", "unknown-in-list"],
    )
    def test_empty_attribute_value_in_item(self, endpoint, value):
        # Sent raw: botocore cannot serialise unknown AttributeValue members.
        assert send_raw(endpoint, "BatchWriteItem", {"RequestItems": {unique_name("missing"): [put({"a": value})]}}) == (
            "ValidationException",
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        )

    @pytest.mark.parametrize(
        "value,message",
        [
            ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
            ({"SS": []}, INVALID + "An string set  may not be empty"),
            ({"NS": []}, INVALID + "An number set  may not be empty"),
            ({"BS": []}, INVALID + "Binary sets should not be empty"),
            ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
            ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
            ({"N": "b"}, "The parameter cannot be converted to a numeric value: b"),
            ({"N": "1e126"}, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
            ({"S": "a", "N": "1"}, MORE_THAN_ONE_TYPE),
        ],
        ids=["null-false", "empty-ss", "empty-ns", "empty-bs", "dup-ss", "dup-ns", "nan", "overflow", "two-types"],
    )
    @pytest.mark.parametrize("where", ["put", "delete"])
    def test_invalid_values(self, ddb_raw, value, message, where):
        request = put({"a": value}) if where == "put" else delete({"a": value})
        expect_error(ddb_raw.batch_write_item, "ValidationException", message, RequestItems={unique_name("missing"): [request]})

    def test_attribute_value_of_wrong_json_type(self, endpoint, hash_table):
        # Deserialisation comes before every validation, even of an earlier table.
        body = {"RequestItems": {"a": [], hash_table: [put({"k": "plain string"})]}}
        assert send_raw(endpoint, "BatchWriteItem", body) == (
            "SerializationException",
            "Unexpected value type in payload",
        )

    def test_item_too_big(self, ddb_raw):
        key = unique_key()
        filler = MAX_ITEM_SIZE + 1 - len("a") - len(key) - len("b")
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            "Item size has exceeded the maximum allowed size",
            RequestItems={unique_name("missing"): [put({"a": {"S": key}, "b": {"S": "x" * filler}})]},
        )

    def test_item_just_small_enough(self, ddb_raw):
        key = unique_key()
        filler = MAX_ITEM_SIZE - len("a") - len(key) - len("b")
        expect_error(
            ddb_raw.batch_write_item,
            "ResourceNotFoundException",
            NOT_FOUND,
            RequestItems={unique_name("missing"): [put({"a": {"S": key}, "b": {"S": "x" * filler}})]},
        )

    @pytest.mark.parametrize(
        "item",
        [
            {},
            {"b": {"S": "a"}},
            {"k": {"B": b"abcd"}},
            {"k": {"N": "1"}},
            {"k": {"BOOL": True}},
            {"k": {"NULL": True}},
            {"k": {"SS": ["a"]}},
            {"k": {"NS": ["1"]}},
            {"k": {"BS": [b"a"]}},
            {"k": {"M": {}}},
            {"k": {"L": []}},
        ],
        ids=["empty", "other", "B", "N", "BOOL", "NULL", "SS", "NS", "BS", "M", "L"],
    )
    def test_put_key_does_not_match_schema(self, ddb_raw, hash_table, item):
        # Unlike PutItem's "Missing the key"/"Type mismatch" wording (dynalite rewrites them too).
        expect_error(ddb_raw.batch_write_item, "ValidationException", SCHEMA, RequestItems={hash_table: [put(item)]})

    def test_put_missing_range_key(self, ddb_raw, range_table):
        expect_error(ddb_raw.batch_write_item, "ValidationException", SCHEMA, RequestItems={range_table: [put(k())]})

    @pytest.mark.parametrize(
        "key",
        [{}, {"b": {"S": "a"}}, {"k": {"S": "a"}, "b": {"S": "a"}}, {"k": {"N": "1"}}],
        ids=["empty", "wrong-name", "extra-attr", "wrong-type"],
    )
    def test_delete_key_does_not_match_schema(self, ddb_raw, hash_table, key):
        expect_error(ddb_raw.batch_write_item, "ValidationException", SCHEMA, RequestItems={hash_table: [delete(key)]})

    def test_hash_key_too_big(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes",  # sic
            RequestItems={hash_table: [put({"k": {"S": "a" * 2049}})]},
        )

    def test_range_key_too_big(self, ddb_raw, make_table):
        name = make_table(range_key=("r", "S"))
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
            RequestItems={name: [put({"k": {"S": "a"}, "r": {"S": "r" * 1025}})]},
        )

    def test_empty_string_key(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            UNVERIFIED,  # message unverified (PutItem's wording for an empty key value is used)
            RequestItems={hash_table: [put({"k": {"S": ""}})]},
        )

    def test_request_over_16_mb(self, ddb_raw, hash_table):
        # 25 items of 113,000 control characters: each ~113 KB stored (under 400 KB) but ~680 KB
        # as JSON (\u0001 escapes), ~16.2 MiB in all: over AWS's 16 MB, under our 17 MiB body limit.
        filler = "\x01" * 113_000
        requests = [put({**k(), "b": {"S": filler}}) for _ in range(25)]
        expect_error(
            ddb_raw.batch_write_item,
            "ValidationException",
            UNVERIFIED,  # message unverified
            RequestItems={hash_table: requests},
        )
        assert get(ddb_raw, hash_table, {"k": requests[0]["PutRequest"]["Item"]["k"]}) is None
        # 23 of them (~15.6 MB) are within the limit.
        ddb_raw.batch_write_item(RequestItems={hash_table: requests[:23]})


# ---------------------------------------------------------------------------
# BatchGetItem: functionality
# ---------------------------------------------------------------------------


class TestBatchGet:
    def test_missing_keys_give_empty_lists(self, ddb, hash_table, range_table):
        resp = ddb.batch_get_item(
            RequestItems={
                hash_table: {"Keys": [k()]},
                range_table: {"Keys": [{**k(), "r": {"N": "1"}}]},
            }
        )
        assert resp["Responses"] == {hash_table: [], range_table: []}
        assert resp["UnprocessedKeys"] == {}
        assert "ConsumedCapacity" not in resp

    def test_only_existing_items(self, ddb, hash_table):
        items = [{**k(), "b": {"N": str(i)}} for i in range(3)]
        ddb.batch_write_item(RequestItems={hash_table: [put(i) for i in items]})
        keys = [{"k": items[0]["k"]}, k(), {"k": items[2]["k"]}, k()]
        resp = ddb.batch_get_item(RequestItems={hash_table: {"Keys": keys, "ConsistentRead": True}})
        got = resp["Responses"][hash_table]
        assert len(got) == 2 and items[0] in got and items[2] in got
        assert resp["UnprocessedKeys"] == {}

    @pytest.mark.parametrize(
        "params",
        [
            {"AttributesToGet": ["b", "c"]},
            {"ProjectionExpression": "b, c"},
            {"ProjectionExpression": "#b, #c", "ExpressionAttributeNames": {"#b": "b", "#c": "c"}},
        ],
        ids=["attributes-to-get", "projection", "projection-names"],
    )
    def test_projection(self, ddb, hash_table, params):
        item = {**k(), "b": {"N": "1"}, "c": {"S": "c"}, "d": {"S": "d"}}
        item3 = {**k(), "b": {"N": "3"}}
        item4 = k()
        ddb.batch_write_item(RequestItems={hash_table: [put(item), put(item3), put(item4)]})
        keys = [{"k": item["k"]}, k(), {"k": item3["k"]}, {"k": item4["k"]}]
        resp = ddb.batch_get_item(RequestItems={hash_table: {"Keys": keys, "ConsistentRead": True, **params}})
        got = resp["Responses"][hash_table]
        # An item with none of the attributes still answers, as an empty map.
        assert sorted(got, key=len) == [{}, {"b": {"N": "3"}}, {"b": {"N": "1"}, "c": {"S": "c"}}]

    def test_nested_projection(self, ddb, hash_table):
        item = {**k(), "m": {"M": {"x": {"N": "1"}, "y": {"L": [{"S": "a"}, {"S": "b"}]}}}}
        ddb.put_item(TableName=hash_table, Item=item)
        resp = ddb.batch_get_item(
            RequestItems={hash_table: {"Keys": [{"k": item["k"]}], "ProjectionExpression": "m.y[1], k"}}
        )
        assert resp["Responses"][hash_table] == [{"k": item["k"], "m": {"M": {"y": {"L": [{"S": "b"}]}}}}]

    def test_two_tables_with_same_key(self, ddb, hash_table, make_table):
        other = make_table()
        key = k()
        ddb.put_item(TableName=hash_table, Item={**key, "t": {"S": "1"}})
        ddb.put_item(TableName=other, Item={**key, "t": {"S": "2"}})
        resp = ddb.batch_get_item(RequestItems={hash_table: {"Keys": [key]}, other: {"Keys": [key]}})
        assert resp["Responses"] == {hash_table: [{**key, "t": {"S": "1"}}], other: [{**key, "t": {"S": "2"}}]}

    def test_number_and_binary_keys(self, ddb, num_table, bin_table):
        ddb.put_item(TableName=num_table, Item={"k": {"N": "12.50"}, "v": {"S": "n"}})
        ddb.put_item(TableName=bin_table, Item={"k": {"B": b"\x00\x01"}, "v": {"S": "b"}})
        resp = ddb.batch_get_item(
            RequestItems={num_table: {"Keys": [{"k": {"N": "12.5"}}]}, bin_table: {"Keys": [{"k": {"B": b"\x00\x01"}}]}}
        )
        assert resp["Responses"][num_table] == [{"k": {"N": "12.5"}, "v": {"S": "n"}}]
        assert resp["Responses"][bin_table] == [{"k": {"B": b"\x00\x01"}, "v": {"S": "b"}}]

    def test_resource_batch_get(self, dynamodb, hash_table):
        table = dynamodb.Table(hash_table)
        keys = [unique_key() for _ in range(3)]
        with table.batch_writer() as batch:
            for i, key in enumerate(keys):
                batch.put_item(Item={"k": key, "n": i})
        resp = dynamodb.batch_get_item(RequestItems={hash_table: {"Keys": [{"k": x} for x in keys], "ConsistentRead": True}})
        assert sorted(resp["Responses"][hash_table], key=lambda i: i["n"]) == [
            {"k": key, "n": i} for i, key in enumerate(keys)
        ]

    def test_hundred_keys(self, ddb, hash_table):
        keys = [k() for _ in range(100)]
        for i in range(0, 100, 25):
            ddb.batch_write_item(RequestItems={hash_table: [put(key) for key in keys[i:i + 25]]})
        resp = ddb.batch_get_item(RequestItems={hash_table: {"Keys": keys}})
        assert len(resp["Responses"][hash_table]) == 100


class TestBatchGetCapacity:
    # read units per key: 1 per 4 KB (at least 1; a missing item counts as 1), half for
    # eventually consistent reads, summed per table (dynalite batchGetItem.js).

    def _setup(self, ddb, hash_table):
        key = unique_key()
        big = {"k": {"S": key}, "b": {"S": "x" * (4097 - 1 - len(key) - 1)}}  # 4097 bytes: 2 units
        small = k()
        ddb.batch_write_item(RequestItems={hash_table: [put(big), put(small)]})
        return [{"k": big["k"]}, small, k()]

    @pytest.mark.parametrize("consistent,units,num_units", [(False, 2.0, 0.5), (True, 4.0, 1.0)])
    def test_per_table(self, ddb, hash_table, num_table, consistent, units, num_units):
        keys = self._setup(ddb, hash_table)
        items = {
            hash_table: {"Keys": keys, "ConsistentRead": consistent},
            num_table: {"Keys": [{"k": {"N": "-4242.5"}}], "ConsistentRead": consistent},
        }
        resp = ddb.batch_get_item(RequestItems=items, ReturnConsumedCapacity="TOTAL")
        assert {c["TableName"]: c for c in resp["ConsumedCapacity"]} == {
            hash_table: {"TableName": hash_table, "CapacityUnits": units},
            num_table: {"TableName": num_table, "CapacityUnits": num_units},
        }
        assert len(resp["Responses"][hash_table]) == 2
        assert resp["Responses"][num_table] == []
        resp = ddb.batch_get_item(RequestItems=items, ReturnConsumedCapacity="INDEXES")
        assert {c["TableName"]: c for c in resp["ConsumedCapacity"]} == {
            hash_table: {"TableName": hash_table, "CapacityUnits": units, "Table": {"CapacityUnits": units}},
            num_table: {"TableName": num_table, "CapacityUnits": num_units, "Table": {"CapacityUnits": num_units}},
        }

    def test_projection_does_not_lower_the_cost(self, ddb, hash_table):
        keys = self._setup(ddb, hash_table)
        resp = ddb.batch_get_item(
            RequestItems={hash_table: {"Keys": keys[:1], "ProjectionExpression": "k", "ConsistentRead": True}},
            ReturnConsumedCapacity="TOTAL",
        )
        assert resp["ConsumedCapacity"] == [{"TableName": hash_table, "CapacityUnits": 2.0}]


class TestBatchGetUnprocessedKeys:
    def test_keys_past_16_mb_come_back_unprocessed(self, ddb, make_table):
        name = make_table()
        # 42 items of exactly 400 KB: 40 fill 16,384,000 bytes; the 41st would pass 16 MiB.
        items = []
        for i in range(42):
            key = f"big-{i:02d}"
            items.append({"k": {"S": key}, "b": {"S": "x" * (MAX_ITEM_SIZE - 1 - len(key) - 1)}})
        for i in range(0, 42, 14):
            ddb.batch_write_item(RequestItems={name: [put(x) for x in items[i:i + 14]]})
        keys = [{"k": x["k"]} for x in items]
        resp = ddb.batch_get_item(
            RequestItems={name: {"Keys": keys, "ConsistentRead": True, "AttributesToGet": ["k", "b"]}},
            ReturnConsumedCapacity="TOTAL",
        )
        got = resp["Responses"][name]
        unprocessed = resp["UnprocessedKeys"][name]
        assert len(got) == 40
        # The remainder carries the table's other parameters, so it can be sent back as is.
        assert unprocessed["ConsistentRead"] is True
        assert unprocessed["AttributesToGet"] == ["k", "b"]
        assert len(unprocessed["Keys"]) == 2
        returned = {x["k"]["S"] for x in got} | {x["k"]["S"] for x in unprocessed["Keys"]}
        assert returned == {x["k"]["S"] for x in items}
        # 100 units per 400 KB consistent read, and one per key sent back (dynalite's recording).
        assert resp["ConsumedCapacity"] == [{"TableName": name, "CapacityUnits": 4002.0}]
        again = ddb.batch_get_item(RequestItems=resp["UnprocessedKeys"])
        assert len(again["Responses"][name]) == 2
        assert again["UnprocessedKeys"] == {}


# ---------------------------------------------------------------------------
# BatchGetItem: validation
# ---------------------------------------------------------------------------


class TestBatchGetValidation:
    def test_missing_request_items(self, endpoint):
        assert send_raw(endpoint, "BatchGetItem", {}) == (
            "ValidationException",
            "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: "
            "Member must not be null",
        )

    def test_bad_enum_and_missing_request_items(self, endpoint):
        code, msg = send_raw(endpoint, "BatchGetItem", {"ReturnConsumedCapacity": "hi"})
        assert code == "ValidationException"
        assert_validation_errors(
            msg,
            [
                "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
                "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                "Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
            ],
        )

    def test_empty_request_items(self, ddb_raw):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
            RequestItems={},
        )

    @pytest.mark.parametrize("name", ["a", "aa;"])
    def test_bad_table_name_without_keys(self, ddb_raw, name):
        msg = validation_message(ddb_raw.batch_get_item, RequestItems={name: {}}, ReturnConsumedCapacity="hi")
        assert_parts(
            msg,
            [
                "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
                "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                re.compile(
                    rf"Value '\{{{re.escape(name)}={KEYS_AND_ATTRIBUTES}\}}' at 'requestItems' failed to satisfy "
                    rf"constraint: {re.escape(MAP_KEYS)}"
                ),
                f"Value null at 'requestItems.{name}.member.keys' failed to satisfy constraint: Member must not be null",
            ],
        )

    def test_empty_keys(self, ddb_raw):
        msg = validation_message(ddb_raw.batch_get_item, RequestItems={"a": {"Keys": []}})
        assert_parts(
            msg,
            [
                re.compile(rf"Value '\{{a={KEYS_AND_ATTRIBUTES}\}}' at 'requestItems' failed to satisfy constraint: {re.escape(MAP_KEYS)}"),
                "Value '[]' at 'requestItems.a.member.keys' failed to satisfy constraint: "
                "Member must have length greater than or equal to 1",
            ],
        )

    def test_empty_attributes_to_get(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            f"1 validation error detected: Value '[]' at 'requestItems.{hash_table}.member.attributesToGet' "
            "failed to satisfy constraint: Member must have length greater than or equal to 1",
            RequestItems={hash_table: {"Keys": [k()], "AttributesToGet": []}},
        )

    def test_more_than_100_keys_in_one_table(self, ddb_raw):
        keys = [{"a": {"S": str(i)}} for i in range(101)]
        msg = validation_message(ddb_raw.batch_get_item, RequestItems={"abc": {"Keys": keys}})
        key = rf"\{{a={ATTRIBUTE_VALUE}\}}"
        assert re.fullmatch(
            rf"1 validation error detected: Value '\[{key}(, {key}){{100}}\]' at 'requestItems\.abc\.member\.keys' "
            r"failed to satisfy constraint: Member must have length less than or equal to 100",
            msg,
        ), msg

    def test_more_than_100_keys_over_two_tables(self, ddb_raw):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            "Too many items requested for the BatchGetItem call",
            RequestItems={
                "abc": {"Keys": [{"a": {"S": str(i)}} for i in range(100)]},
                "abd": {"Keys": [{"a": {"S": "100"}}]},
            },
        )

    def test_100_keys_on_missing_table(self, ddb_raw):
        keys = [{"a": {"S": str(i)}} for i in range(100)]
        expect_error(ddb_raw.batch_get_item, "ResourceNotFoundException", NOT_FOUND, RequestItems={unique_name("missing"): {"Keys": keys}})

    def test_expression_and_non_expression(self, ddb_raw):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            RequestItems={
                "abc": {"Keys": [{}], "AttributesToGet": ["a"], "ExpressionAttributeNames": {}, "ProjectionExpression": ""}
            },
        )

    def test_names_without_projection(self, ddb_raw):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            "ExpressionAttributeNames can only be specified when using expressions",
            RequestItems={"abc": {"Keys": [{}], "AttributesToGet": ["a"], "ExpressionAttributeNames": {}}},
        )

    def test_empty_names(self, ddb_raw):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            "ExpressionAttributeNames must not be empty",
            RequestItems={"abc": {"Keys": [{}], "ExpressionAttributeNames": {}, "ProjectionExpression": ""}},
        )

    def test_invalid_name_key(self, ddb_raw):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"',
            RequestItems={"abc": {"Keys": [{}], "ExpressionAttributeNames": {"a": "a"}, "ProjectionExpression": ""}},
        )

    def test_empty_projection(self, ddb_raw):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            "Invalid ProjectionExpression: The expression can not be empty;",
            RequestItems={"abc": {"Keys": [{}], "ProjectionExpression": ""}},
        )

    def test_unused_name(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
            RequestItems={
                hash_table: {"Keys": [k()], "ProjectionExpression": "#p", "ExpressionAttributeNames": {"#p": "k", "#unused": "x"}}
            },
        )

    def test_duplicate_attributes_to_get(self, ddb_raw):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            INVALID + "Duplicate value in attribute name: a",
            RequestItems={"abc": {"Keys": [{}], "AttributesToGet": ["a", "a"]}},
        )

    def test_duplicate_keys_before_table_lookup(self, ddb_raw):
        key = {"a": {"S": unique_key()}, "b": {"N": "12"}}
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            DUPLICATES,
            RequestItems={unique_name("missing"): {"Keys": [key, {"b": {"N": "12.0"}, "a": key["a"]}, key]}},
        )

    def test_duplicate_keys_in_existing_table(self, ddb_raw, hash_table):
        key = k()
        expect_error(ddb_raw.batch_get_item, "ValidationException", DUPLICATES, RequestItems={hash_table: {"Keys": [key, key]}})

    def test_empty_key_on_missing_table(self, ddb_raw):
        expect_error(ddb_raw.batch_get_item, "ResourceNotFoundException", NOT_FOUND, RequestItems={unique_name("missing"): {"Keys": [{}]}})

    @pytest.mark.parametrize(
        "value",
        [{}, {"a": ""}, {"M": {"a": {}}}, {"L": [{}]}],
        ids=["empty", "unknown-type", "empty-in-map", "empty-in-list"],
    )
    def test_empty_attribute_value_in_key(self, endpoint, value):
        body = {"RequestItems": {unique_name("missing"): {"Keys": [{"a": value}]}}}
        assert send_raw(endpoint, "BatchGetItem", body) == (
            "ValidationException",
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        )

    @pytest.mark.parametrize(
        "value,message",
        [
            ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
            ({"SS": []}, INVALID + "An string set  may not be empty"),
            ({"BS": [b"b", b"b"]}, INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
            ({"N": "123456789012345678901234567890123456789"}, "Attempting to store more than 38 significant digits in a Number"),
            ({"N": "1e-131"}, "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
            ({"S": "a", "N": "1"}, MORE_THAN_ONE_TYPE),
        ],
        ids=["null-false", "empty-ss", "dup-bs", "digits", "underflow", "two-types"],
    )
    def test_invalid_values_in_key(self, ddb_raw, value, message):
        expect_error(
            ddb_raw.batch_get_item, "ValidationException", message, RequestItems={unique_name("missing"): {"Keys": [{"a": value}]}}
        )

    @pytest.mark.parametrize(
        "key",
        [
            {},
            {"b": {"S": "a"}},
            {"k": {"S": "a"}, "b": {"S": "a"}},
            {"k": {"B": b"abcd"}},
            {"k": {"N": "1"}},
            {"k": {"BOOL": True}},
            {"k": {"NULL": True}},
            {"k": {"SS": ["a"]}},
            {"k": {"M": {}}},
            {"k": {"L": []}},
        ],
        ids=["empty", "other", "extra", "B", "N", "BOOL", "NULL", "SS", "M", "L"],
    )
    def test_key_does_not_match_schema(self, ddb_raw, hash_table, key):
        expect_error(ddb_raw.batch_get_item, "ValidationException", SCHEMA, RequestItems={hash_table: {"Keys": [key]}})

    def test_missing_range_key(self, ddb_raw, range_table):
        expect_error(ddb_raw.batch_get_item, "ValidationException", SCHEMA, RequestItems={range_table: {"Keys": [k()]}})

    def test_hash_key_too_big(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes",  # sic
            RequestItems={hash_table: {"Keys": [{"k": {"S": "a" * 2049}}]}},
        )

    def test_range_key_too_big(self, ddb_raw, make_table):
        name = make_table(range_key=("r", "S"))
        expect_error(
            ddb_raw.batch_get_item,
            "ValidationException",
            INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
            RequestItems={name: {"Keys": [{"k": {"S": "a"}, "r": {"S": "r" * 1025}}]}},
        )

    def test_attribute_value_of_wrong_json_type(self, endpoint):
        assert send_raw(endpoint, "BatchGetItem", {"RequestItems": {"a": {"Keys": [{"k": 5}]}}}) == (
            "SerializationException",
            "Unexpected value type in payload",
        )
