"""Secondary indexes (GSI and LSI): AWS DynamoDB's behaviour, driven through boto3.

Projections (ALL / KEYS_ONLY / INCLUDE return exactly the projected
attributes), sparse indexes, non-unique index keys, Query and Scan on an
index, index maintenance on every kind of write, ConsistentRead on a GSI,
IndexSizeBytes/ItemCount in DescribeTable, a GSI added by UpdateTable to a
table that already holds data, and ReturnConsumedCapacity with indexes
(index writes counted, index reads sized by the index entries).

Reference behaviour and messages: architect/dynalite (formerly mhart/dynalite)
test/query.js, test/scan.js, test/updateItem.js, test/batchWriteItem.js
(recorded against real DynamoDB); users' reports of real AWS errors; AWS
Developer Guide ("Using Global Secondary Indexes", "Local Secondary Indexes",
"Read/write capacity unit consumption"). Messages that could not be confirmed
are asserted by code only and marked ``# message unverified``.

Writes use PutItem/UpdateItem/DeleteItem only (no BatchWriteItem).
"""

from __future__ import annotations

import re
import uuid

import pytest

from conftest import create_table, drop_table
from dynohelpers import UNVERIFIED, expect_error, unique_name, wait_for, wait_table_active


def body(resp: dict) -> dict:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def put_all(ddb, table, items):
    for item in items:
        ddb.put_item(TableName=table, Item=item)


def canon(item: dict) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in item.items()))


def same_items(got, expected) -> bool:
    return sorted(map(canon, got)) == sorted(map(canon, expected))


def project(item: dict, names) -> dict:
    return {k: v for k, v in item.items() if k in names}


def paged(call, **params):
    items, pages = [], []
    while True:
        resp = body(call(**params))
        pages.append(resp)
        items += resp.get("Items", [])
        if "LastEvaluatedKey" not in resp:
            return items, pages
        params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        assert len(pages) < 1000


def gsi(name, hash_key, range_key=None, projection="ALL", non_key=None):
    ks = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        ks.append({"AttributeName": range_key, "KeyType": "RANGE"})
    proj = {"ProjectionType": projection}
    if non_key:
        proj["NonKeyAttributes"] = non_key
    return {"IndexName": name, "KeySchema": ks, "Projection": proj}


def lsi(name, table_hash, range_key, projection="ALL", non_key=None):
    return gsi(name, table_hash, range_key, projection, non_key)


def defs(**types):
    return [{"AttributeName": k, "AttributeType": v} for k, v in types.items()]


TABLE_KEYS = ("pk", "sk")


# ---------------------------------------------------------------------------
# The shared indexed table
# ---------------------------------------------------------------------------
#
#   table     HASH pk (S), RANGE sk (S)
#   g_all     GSI  HASH g (S),  RANGE gr (N)   ALL
#   g_keys    GSI  HASH g (S)                  KEYS_ONLY
#   g_inc     GSI  HASH g (S),  RANGE sk (S)   INCLUDE [x, y]
#   g_num     GSI  HASH gn (N)                 ALL
#   l_all     LSI  HASH pk,     RANGE lr (S)   ALL
#   l_inc     LSI  HASH pk,     RANGE lr2 (N)  INCLUDE [x]
#
# Each test uses its own g / gn / pk values, so tests do not see each other.


@pytest.fixture(scope="module")
def itable(ddb):
    name = unique_name("idx")
    create_table(
        ddb,
        name,
        ("pk", "S"),
        ("sk", "S"),
        AttributeDefinitions=defs(pk="S", sk="S", g="S", gr="N", gn="N", lr="S", lr2="N"),
        GlobalSecondaryIndexes=[
            gsi("g_all", "g", "gr"),
            gsi("g_keys", "g", projection="KEYS_ONLY"),
            gsi("g_inc", "g", "sk", "INCLUDE", ["x", "y"]),
            gsi("g_num", "gn"),
        ],
        LocalSecondaryIndexes=[
            lsi("l_all", "pk", "lr"),
            lsi("l_inc", "pk", "lr2", "INCLUDE", ["x"]),
        ],
    )
    yield name
    drop_table(ddb, name)


def q(ddb, table, index, cond, values, **extra):
    return ddb.query(TableName=table, IndexName=index, KeyConditionExpression=cond,
                     ExpressionAttributeValues=values, **extra)


def gsi_items(g):
    """Five items under GSI hash value g (one without gr) and one under another value."""
    return [
        {"pk": S(uid("p")), "sk": S("a"), "g": S(g), "gr": N(3), "x": S("x1"), "z": S("z1")},
        {"pk": S(uid("p")), "sk": S("b"), "g": S(g), "gr": N(1), "y": S("y2")},
        {"pk": S(uid("p")), "sk": S("c"), "g": S(g), "gr": N(2)},
        {"pk": S(uid("p")), "sk": S("d"), "g": S(g), "x": S("x4"), "y": S("y4")},
        {"pk": S(uid("p")), "sk": S("e"), "g": S(g + "-other"), "gr": N(1)},
    ]


# ---------------------------------------------------------------------------
# GSI queries and projections
# ---------------------------------------------------------------------------


class TestGsiQuery:
    def test_all_projection_returns_whole_items_in_index_order(self, ddb, itable):
        g = uid("g")
        items = gsi_items(g)
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "g_all", "g = :g", {":g": S(g)})
        # The item without gr is not in g_all (sparse); order is by gr.
        assert body(resp) == {"Count": 3, "ScannedCount": 3, "Items": [items[1], items[2], items[0]]}

        resp = q(ddb, itable, "g_all", "g = :g", {":g": S(g)}, ScanIndexForward=False)
        assert resp["Items"] == [items[0], items[2], items[1]]

        resp = q(ddb, itable, "g_all", "g = :g AND gr > :one", {":g": S(g), ":one": N(1)})
        assert resp["Items"] == [items[2], items[0]]

        resp = q(ddb, itable, "g_all", "g = :g AND gr BETWEEN :lo AND :hi", {":g": S(g), ":lo": N(1), ":hi": N(2)})
        assert resp["Items"] == [items[1], items[2]]

    def test_select_all_attributes_on_all_projection(self, ddb, itable):
        g = uid("g")
        items = gsi_items(g)
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "g_all", "g = :g", {":g": S(g)}, Select="ALL_ATTRIBUTES")
        assert resp["Items"] == [items[1], items[2], items[0]]
        resp = q(ddb, itable, "g_all", "g = :g", {":g": S(g)}, Select="ALL_PROJECTED_ATTRIBUTES")
        assert resp["Items"] == [items[1], items[2], items[0]]

    def test_keys_only_projection(self, ddb, itable):
        g = uid("g")
        items = gsi_items(g)
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "g_keys", "g = :g", {":g": S(g)})
        assert resp["Count"] == resp["ScannedCount"] == 4
        # Exactly the table key and the index key; order among equal index keys is not specified.
        assert same_items(resp["Items"], [project(i, ("pk", "sk", "g")) for i in items[:4]])

    def test_include_projection(self, ddb, itable):
        g = uid("g")
        items = gsi_items(g)
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "g_inc", "g = :g", {":g": S(g)})
        # Table key + index key (g, sk) + x and y where present; never z or gr.
        assert resp["Items"] == [project(i, ("pk", "sk", "g", "x", "y")) for i in items[:4]]
        assert resp["Items"][0] == {"pk": items[0]["pk"], "sk": S("a"), "g": S(g), "x": S("x1")}

        resp = q(ddb, itable, "g_inc", "g = :g AND sk >= :s", {":g": S(g), ":s": S("c")})
        assert [i["sk"]["S"] for i in resp["Items"]] == ["c", "d"]

    def test_projection_expression_within_the_projection(self, ddb, itable):
        g = uid("g")
        items = gsi_items(g)
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "g_inc", "g = :g", {":g": S(g)}, ProjectionExpression="y, sk")
        assert resp["Items"] == [{"sk": S("a")}, {"sk": S("b"), "y": S("y2")}, {"sk": S("c")},
                                 {"sk": S("d"), "y": S("y4")}]

    def test_projection_expression_outside_a_gsi_projection(self, ddb, itable):
        # AWS docs (Query, Select): "If you query or scan a global secondary
        # index, you can only request attributes that are projected into the
        # index. Global secondary index queries cannot fetch attributes from
        # the parent table." Alternator test_gsi.py (run against AWS):
        # SPECIFIC_ATTRIBUTES "is allowed for the projected attributes, but
        # not for unprojected attributes".
        expect_error(ddb.query, "ValidationException",
                     UNVERIFIED,  # message unverified
                     TableName=itable, IndexName="g_keys", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": S("nothing")}, ProjectionExpression="z")

    def test_select_all_attributes_on_partial_projection_refused(self, ddb, itable):
        for index in ("g_keys", "g_inc"):
            # dynalite "should return ValidationException for specifying ALL_ATTRIBUTES when global index does
            # not have ALL".
            expect_error(
                ddb.query, "ValidationException",
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global "
                f"secondary index {index} because its projection type is not ALL",
                TableName=itable, IndexName=index, KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": S("x")}, Select="ALL_ATTRIBUTES",
            )

    def test_select_count(self, ddb, itable):
        g = uid("g")
        put_all(ddb, itable, gsi_items(g))
        resp = q(ddb, itable, "g_keys", "g = :g", {":g": S(g)}, Select="COUNT")
        assert body(resp) == {"Count": 4, "ScannedCount": 4}

    def test_filter_on_non_key_attribute(self, ddb, itable):
        g = uid("g")
        items = gsi_items(g)
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "g_all", "g = :g", {":g": S(g), ":z": S("z1")}, FilterExpression="z = :z")
        assert body(resp) == {"Count": 1, "ScannedCount": 3, "Items": [items[0]]}

    def test_consistent_read_refused(self, ddb, itable):
        # dynalite "should return ValidationException for querying global index with ConsistentRead".
        expect_error(ddb.query, "ValidationException", "Consistent reads are not supported on global secondary indexes",
                     TableName=itable, IndexName="g_all", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": S("x")}, ConsistentRead=True)

    def test_consistent_read_false_allowed(self, ddb, itable):
        resp = q(ddb, itable, "g_all", "g = :g", {":g": S(uid("g"))}, ConsistentRead=False)
        assert body(resp) == {"Count": 0, "ScannedCount": 0, "Items": []}

    def test_missing_index_hash_condition(self, ddb, itable):
        # dynalite "...global hash in ExclusiveStartKey but not in query": 'Query condition missed key schema element: c'.
        expect_error(ddb.query, "ValidationException", "Query condition missed key schema element: g",
                     TableName=itable, IndexName="g_all", KeyConditionExpression="gr between :a and :b",
                     ExpressionAttributeValues={":a": N(1), ":b": N(2)})
        expect_error(ddb.query, "ValidationException", "Query condition missed key schema element: g",
                     TableName=itable, IndexName="g_all", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("p")})

    def test_table_range_key_is_not_the_gsi_range_key(self, ddb, itable):
        # dynalite "...ExclusiveStartKey with global index and missing part": 'c = :a and b = :b' on index4
        # (hash c, range d) -> 'Query condition missed key schema element: d'.
        expect_error(ddb.query, "ValidationException", "Query condition missed key schema element: gr",
                     TableName=itable, IndexName="g_all", KeyConditionExpression="g = :g AND sk = :s",
                     ExpressionAttributeValues={":g": S("g"), ":s": S("s")})

    def test_range_operator_on_index_hash(self, ddb, itable):
        # dynalite "should return ValidationException if querying global with unsupported conditions".
        expect_error(ddb.query, "ValidationException", "Query key condition not supported",
                     TableName=itable, IndexName="g_keys", KeyConditionExpression="g > :a",
                     ExpressionAttributeValues={":a": S("1")})

    def test_numeric_index_hash(self, ddb, itable):
        n = uuid.uuid4().int % 10**12
        items = [{"pk": S(uid("p")), "sk": S(str(i)), "gn": N(n), "v": N(i)} for i in range(3)]
        put_all(ddb, itable, items + [{"pk": S(uid("p")), "sk": S("0"), "gn": N(n + 1)}])
        resp = q(ddb, itable, "g_num", "gn = :n", {":n": N(n)})
        assert same_items(resp["Items"], items)
        # Numbers are matched by value, not by text.
        resp = q(ddb, itable, "g_num", "gn = :n", {":n": {"N": f"{n}.000"}})
        assert resp["Count"] == 3

    def test_unique_index_values_in_many_partitions(self, ddb, itable):
        g = uid("g")
        items = [{"pk": S(uid("p")), "sk": S("s"), "g": S(g), "gr": N(i)} for i in range(12)]
        put_all(ddb, itable, list(reversed(items)))
        got, pages = paged(ddb.query, TableName=itable, IndexName="g_all", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": S(g)}, Limit=5)
        assert got == items
        assert [p["Count"] for p in pages] == [5, 5, 2]
        for page in pages[:-1]:
            last = page["Items"][-1]
            # Table key plus index key (dynalite: {a, b, c, d} for index4).
            assert page["LastEvaluatedKey"] == project(last, ("pk", "sk", "g", "gr"))


class TestNonUniqueIndexKeys:
    def test_gsi_duplicates_are_all_returned_and_paged_once(self, ddb, itable):
        g = uid("g")
        items = [{"pk": S(uid("p")), "sk": S(s), "g": S(g), "gr": N(7), "i": N(i)} for i, s in enumerate("abcdef")]
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "g_all", "g = :g AND gr = :seven", {":g": S(g), ":seven": N(7)})
        assert resp["Count"] == 6
        assert same_items(resp["Items"], items)
        for limit in (1, 2, 4):
            got, pages = paged(ddb.query, TableName=itable, IndexName="g_all", KeyConditionExpression="g = :g",
                               ExpressionAttributeValues={":g": S(g)}, Limit=limit)
            assert len(got) == 6 and same_items(got, items)
            for page in pages:
                if "LastEvaluatedKey" in page:
                    assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "g", "gr"}
        # Backwards as well.
        got, _ = paged(ddb.query, TableName=itable, IndexName="g_all", KeyConditionExpression="g = :g",
                       ExpressionAttributeValues={":g": S(g)}, Limit=2, ScanIndexForward=False)
        assert len(got) == 6 and same_items(got, items)

    def test_same_item_key_under_several_index_values(self, ddb, itable):
        # Items in one table partition spread over two index partitions.
        p, g1, g2 = uid("p"), uid("g"), uid("g")
        items = [{"pk": S(p), "sk": S(str(i)), "g": S(g1 if i % 2 else g2), "gr": N(i)} for i in range(6)]
        put_all(ddb, itable, items)
        assert q(ddb, itable, "g_all", "g = :g", {":g": S(g1)})["Items"] == [items[1], items[3], items[5]]
        assert q(ddb, itable, "g_all", "g = :g", {":g": S(g2)})["Items"] == [items[0], items[2], items[4]]

    def test_lsi_duplicates(self, ddb, itable):
        p = uid("p")
        items = [{"pk": S(p), "sk": S(s), "lr": S("same")} for s in "abcde"]
        put_all(ddb, itable, items)
        got, pages = paged(ddb.query, TableName=itable, IndexName="l_all", KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": S(p)}, Limit=2)
        assert len(got) == 5 and same_items(got, items)
        for page in pages:
            if "LastEvaluatedKey" in page:
                assert page["LastEvaluatedKey"] == project(page["Items"][-1], ("pk", "sk", "lr"))


# ---------------------------------------------------------------------------
# LSI queries
# ---------------------------------------------------------------------------


def lsi_items(p):
    return [
        {"pk": S(p), "sk": S("a"), "lr": S("m"), "lr2": N(30), "x": S("xa"), "w": S("wa")},
        {"pk": S(p), "sk": S("b"), "lr": S("c"), "lr2": N(10), "w": S("wb")},
        {"pk": S(p), "sk": S("c"), "x": S("xc")},
        {"pk": S(p), "sk": S("d"), "lr": S("x"), "lr2": N(20), "x": S("xd")},
    ]


class TestLsiQuery:
    def test_all_projection_in_index_order(self, ddb, itable):
        p = uid("p")
        items = lsi_items(p)
        put_all(ddb, itable, items + [{"pk": S(uid("p")), "sk": S("a"), "lr": S("a")}])
        resp = q(ddb, itable, "l_all", "pk = :p", {":p": S(p)})
        # Sparse: "c" has no lr. Order is by lr.
        assert body(resp) == {"Count": 3, "ScannedCount": 3, "Items": [items[1], items[0], items[3]]}
        resp = q(ddb, itable, "l_all", "pk = :p AND lr < :v", {":p": S(p), ":v": S("n")})
        assert resp["Items"] == [items[1], items[0]]
        resp = q(ddb, itable, "l_all", "pk = :p AND begins_with(lr, :v)", {":p": S(p), ":v": S("x")})
        assert resp["Items"] == [items[3]]
        resp = q(ddb, itable, "l_all", "pk = :p", {":p": S(p)}, ScanIndexForward=False, Limit=2)
        assert resp["Items"] == [items[3], items[0]]
        assert resp["LastEvaluatedKey"] == {"pk": S(p), "sk": S("a"), "lr": S("m")}

    def test_consistent_read_allowed(self, ddb, itable):
        p = uid("p")
        items = lsi_items(p)
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "l_all", "pk = :p", {":p": S(p)}, ConsistentRead=True)
        assert resp["Count"] == 3

    def test_include_projection_by_default(self, ddb, itable):
        p = uid("p")
        items = lsi_items(p)
        put_all(ddb, itable, items)
        resp = q(ddb, itable, "l_inc", "pk = :p", {":p": S(p)})
        # Ordered by lr2; only pk, sk, lr2 and x.
        expected = [project(i, ("pk", "sk", "lr2", "x")) for i in (items[1], items[3], items[0])]
        assert body(resp) == {"Count": 3, "ScannedCount": 3, "Items": expected}
        resp = q(ddb, itable, "l_inc", "pk = :p", {":p": S(p)}, Select="ALL_PROJECTED_ATTRIBUTES")
        assert resp["Items"] == expected

    def test_lsi_fetches_unprojected_attributes_from_the_table(self, ddb, itable):
        p = uid("p")
        items = lsi_items(p)
        put_all(ddb, itable, items)
        # AWS docs (Select): an LSI query for attributes it does not project
        # fetches them from the table.
        resp = q(ddb, itable, "l_inc", "pk = :p", {":p": S(p)}, Select="ALL_ATTRIBUTES")
        assert resp["Items"] == [items[1], items[3], items[0]]
        resp = q(ddb, itable, "l_inc", "pk = :p AND lr2 >= :v", {":p": S(p), ":v": N(20)}, ProjectionExpression="w, lr2")
        assert resp["Items"] == [{"lr2": N(20)}, {"lr2": N(30), "w": S("wa")}]

    def test_missing_table_hash_condition(self, ddb, itable):
        expect_error(ddb.query, "ValidationException", "Query condition missed key schema element: pk",
                     TableName=itable, IndexName="l_all", KeyConditionExpression="lr between :a and :b",
                     ExpressionAttributeValues={":a": S("a"), ":b": S("b")})

    def test_table_range_key_is_not_the_lsi_range_key(self, ddb, itable):
        # On l_all the range key is lr; a condition on sk is not a key condition there.
        # dynalite "should return ValidationException for ExclusiveStartKey with local index and missing part":
        # 'a = :a and b = :b' on index1 (range c) -> 'Query condition missed key schema element: c'.
        expect_error(ddb.query, "ValidationException", "Query condition missed key schema element: lr",
                     TableName=itable, IndexName="l_all", KeyConditionExpression="pk = :p AND sk = :s",
                     ExpressionAttributeValues={":p": S("p"), ":s": S("s")})

    def test_exclusive_start_key_outside_lsi_partition(self, ddb, itable):
        # dynalite "...ExclusiveStartKey with local index and out-of-bounds hash key".
        expect_error(ddb.query, "ValidationException",
                     "The provided starting key is outside query boundaries based on provided conditions",
                     TableName=itable, IndexName="l_all", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("b")},
                     ExclusiveStartKey={"pk": S("a"), "sk": S("a"), "lr": S("a")})

    def test_exclusive_start_key_missing_index_key(self, ddb, itable):
        # dynalite "should return ValidationException if ExclusiveStartKey is invalid for local index".
        expect_error(ddb.query, "ValidationException", "The provided starting key is invalid",
                     TableName=itable, IndexName="l_all", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("b")}, ExclusiveStartKey={"pk": S("b"), "sk": S("a")})


# ---------------------------------------------------------------------------
# Index maintenance on writes
# ---------------------------------------------------------------------------


class TestIndexMaintenance:
    def in_index(self, ddb, table, g):
        return q(ddb, table, "g_keys", "g = :g", {":g": S(g)})["Items"]

    def test_put_update_delete_move_entries(self, ddb, itable):
        p, g1, g2 = uid("p"), uid("g"), uid("g")
        key = {"pk": S(p), "sk": S("s")}
        ddb.put_item(TableName=itable, Item={**key, "g": S(g1)})
        assert self.in_index(ddb, itable, g1) == [{**key, "g": S(g1)}]

        # Changing the index key moves the entry.
        ddb.update_item(TableName=itable, Key=key, UpdateExpression="SET g = :g", ExpressionAttributeValues={":g": S(g2)})
        assert self.in_index(ddb, itable, g1) == []
        assert self.in_index(ddb, itable, g2) == [{**key, "g": S(g2)}]

        # Removing it takes the item out of the index; setting it again puts it back.
        ddb.update_item(TableName=itable, Key=key, UpdateExpression="REMOVE g")
        assert self.in_index(ddb, itable, g2) == []
        ddb.update_item(TableName=itable, Key=key, UpdateExpression="SET g = :g", ExpressionAttributeValues={":g": S(g2)})
        assert self.in_index(ddb, itable, g2) == [{**key, "g": S(g2)}]

        # A put that replaces the item without g removes the entry.
        ddb.put_item(TableName=itable, Item={**key, "other": S("v")})
        assert self.in_index(ddb, itable, g2) == []

        ddb.put_item(TableName=itable, Item={**key, "g": S(g1)})
        ddb.delete_item(TableName=itable, Key=key)
        assert self.in_index(ddb, itable, g1) == []

    def test_updating_projected_attributes(self, ddb, itable):
        p, g = uid("p"), uid("g")
        key = {"pk": S(p), "sk": S("s")}
        ddb.put_item(TableName=itable, Item={**key, "g": S(g), "gr": N(1), "x": S("old"), "z": S("old")})
        ddb.update_item(TableName=itable, Key=key, UpdateExpression="SET x = :n, z = :n, gr = :two",
                        ExpressionAttributeValues={":n": S("new"), ":two": N(2)})
        assert q(ddb, itable, "g_inc", "g = :g", {":g": S(g)})["Items"] == [{**key, "g": S(g), "x": S("new")}]
        assert q(ddb, itable, "g_all", "g = :g", {":g": S(g)})["Items"] == [
            {**key, "g": S(g), "gr": N(2), "x": S("new"), "z": S("new")}
        ]
        # Removing an INCLUDEd attribute removes it from the entry, not the entry.
        ddb.update_item(TableName=itable, Key=key, UpdateExpression="REMOVE x")
        assert q(ddb, itable, "g_inc", "g = :g", {":g": S(g)})["Items"] == [{**key, "g": S(g)}]

    def test_index_range_change_reorders(self, ddb, itable):
        g = uid("g")
        items = [{"pk": S(uid("p")), "sk": S("s"), "g": S(g), "gr": N(i)} for i in range(3)]
        put_all(ddb, itable, items)
        ddb.update_item(TableName=itable, Key=project(items[0], TABLE_KEYS), UpdateExpression="SET gr = :v",
                        ExpressionAttributeValues={":v": N(10)})
        got = q(ddb, itable, "g_all", "g = :g", {":g": S(g)})["Items"]
        assert [i["gr"]["N"] for i in got] == ["1", "2", "10"]
        assert got[-1]["pk"] == items[0]["pk"]

    def test_lsi_entries_follow_writes(self, ddb, itable):
        p = uid("p")
        key = {"pk": S(p), "sk": S("s")}
        ddb.put_item(TableName=itable, Item={**key, "lr": S("b")})
        ddb.update_item(TableName=itable, Key=key, UpdateExpression="SET lr = :v", ExpressionAttributeValues={":v": S("a")})
        assert q(ddb, itable, "l_all", "pk = :p", {":p": S(p)})["Items"] == [{**key, "lr": S("a")}]
        ddb.update_item(TableName=itable, Key=key, UpdateExpression="REMOVE lr")
        assert q(ddb, itable, "l_all", "pk = :p", {":p": S(p)})["Items"] == []

    def test_condition_failure_leaves_indexes_alone(self, ddb, itable):
        p, g, g2 = uid("p"), uid("g"), uid("g")
        key = {"pk": S(p), "sk": S("s")}
        ddb.put_item(TableName=itable, Item={**key, "g": S(g)})
        expect_error(ddb.update_item, "ConditionalCheckFailedException", "The conditional request failed",
                     TableName=itable, Key=key, UpdateExpression="SET g = :g",
                     ConditionExpression="attribute_not_exists(pk)", ExpressionAttributeValues={":g": S(g2)})
        assert self.in_index(ddb, itable, g) == [{**key, "g": S(g)}]
        assert self.in_index(ddb, itable, g2) == []

    def test_index_key_of_the_wrong_type_is_refused(self, ddb, itable):
        # dynalite updateItem.js / batchWriteItem.js: 'One or more parameter values were invalid: Type mismatch for
        # Index Key c Expected: S Actual: N IndexName: index\d' (which index is named when several share the
        # attribute is not fixed).
        msg = re.compile(r"One or more parameter values were invalid: Type mismatch for Index Key g Expected: S "
                         r"Actual: N IndexName: g_(all|keys|inc)")
        key = {"pk": S(uid("p")), "sk": S("s")}
        expect_error(ddb.put_item, "ValidationException", msg, TableName=itable, Item={**key, "g": N(1)})
        expect_error(ddb.update_item, "ValidationException", msg, TableName=itable, Key=key,
                     UpdateExpression="SET g = :v", ExpressionAttributeValues={":v": N(1)})
        msg = re.compile(r"One or more parameter values were invalid: Type mismatch for Index Key lr Expected: S "
                         r"Actual: BOOL IndexName: l_all")
        expect_error(ddb.put_item, "ValidationException", msg, TableName=itable, Item={**key, "lr": {"BOOL": True}})
        assert "Item" not in ddb.get_item(TableName=itable, Key=key)

    def test_empty_string_index_key_is_refused(self, ddb, itable):
        # Users' reports of the real error, e.g. "One or more parameter values are not valid. A value specified for
        # a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty
        # string value. IndexName: MeetingIndex, IndexKey: meeting_id".
        msg = re.compile(r"One or more parameter values are not valid\. A value specified for a secondary index key "
                         r"is not supported\. The AttributeValue for a key attribute cannot contain an empty string "
                         r"value\. IndexName: g_(all|keys|inc), IndexKey: g")
        key = {"pk": S(uid("p")), "sk": S("s")}
        expect_error(ddb.put_item, "ValidationException", msg, TableName=itable, Item={**key, "g": S("")})


# ---------------------------------------------------------------------------
# Scan on an index
# ---------------------------------------------------------------------------


@pytest.fixture
def scan_itable(ddb, make_table):
    """HASH pk (S) + RANGE sk (N); gsi_keys KEYS_ONLY on g; gsi_all ALL on g/n; lsi_all LSI ALL on lr.

    30 items; g on the even ones (15), lr on those with i % 5 != 0 (24).
    """
    name = make_table(
        hash_key=("pk", "S"),
        range_key=("sk", "N"),
        AttributeDefinitions=defs(pk="S", sk="N", g="S", n="N", lr="S"),
        GlobalSecondaryIndexes=[gsi("gsi_keys", "g", projection="KEYS_ONLY"), gsi("gsi_all", "g", "n")],
        LocalSecondaryIndexes=[lsi("lsi_all", "pk", "lr")],
    )
    items = []
    for i in range(30):
        item = {"pk": S(f"p{i // 3}"), "sk": N(i % 3), "n": N(i), "v": S("v" * 10)}
        if i % 2 == 0:
            item["g"] = S(f"G{i % 3}")
        if i % 5:
            item["lr"] = S(f"l{i:02d}")
        items.append(item)
    put_all(ddb, name, items)
    return name, items


class TestIndexScan:
    def test_scan_keys_only_gsi(self, ddb, scan_itable):
        name, items = scan_itable
        resp = body(ddb.scan(TableName=name, IndexName="gsi_keys"))
        assert resp["Count"] == resp["ScannedCount"] == 15
        assert same_items(resp["Items"], [project(i, ("pk", "sk", "g")) for i in items if "g" in i])

    def test_scan_all_gsi(self, ddb, scan_itable):
        name, items = scan_itable
        got, pages = paged(ddb.scan, TableName=name, IndexName="gsi_all", Limit=4)
        assert len(got) == 15 and same_items(got, [i for i in items if "g" in i])
        for page in pages:
            if "LastEvaluatedKey" in page:
                assert page["LastEvaluatedKey"] == project(page["Items"][-1], ("pk", "sk", "g", "n"))

    def test_scan_lsi(self, ddb, scan_itable):
        name, items = scan_itable
        got, pages = paged(ddb.scan, TableName=name, IndexName="lsi_all", Limit=7, ConsistentRead=True)
        assert len(got) == 24 and same_items(got, [i for i in items if "lr" in i])
        for page in pages:
            if "LastEvaluatedKey" in page:
                assert page["LastEvaluatedKey"] == project(page["Items"][-1], ("pk", "sk", "lr"))

    def test_scan_gsi_with_filter_and_count(self, ddb, scan_itable):
        name, _ = scan_itable
        resp = body(ddb.scan(TableName=name, IndexName="gsi_all", Select="COUNT", FilterExpression="g = :g",
                             ExpressionAttributeValues={":g": S("G0")}))
        assert resp == {"Count": 5, "ScannedCount": 15}

    @pytest.mark.parametrize("total", [1, 3, 8])
    def test_parallel_scan_of_gsi(self, ddb, scan_itable, total):
        name, items = scan_itable
        seen = []
        for segment in range(total):
            got, _ = paged(ddb.scan, TableName=name, IndexName="gsi_all", Segment=segment, TotalSegments=total, Limit=3)
            seen += got
        assert len(seen) == 15 and same_items(seen, [i for i in items if "g" in i])

    def test_select_all_attributes_on_keys_only_gsi(self, ddb, scan_itable):
        name, _ = scan_itable
        # dynalite scan.js "...ALL_ATTRIBUTES when global index does not have ALL".
        expect_error(ddb.scan, "ValidationException",
                     "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for "
                     "global secondary index gsi_keys because its projection type is not ALL",
                     TableName=name, IndexName="gsi_keys", Select="ALL_ATTRIBUTES")

    def test_consistent_scan_of_gsi_refused(self, ddb, scan_itable):
        name, _ = scan_itable
        expect_error(ddb.scan, "ValidationException",
                     # message unverified for Scan (Query's is "Consistent reads are
                     # not supported on global secondary indexes")
                     UNVERIFIED,
                     TableName=name, IndexName="gsi_all", ConsistentRead=True)

    def test_bad_exclusive_start_key_for_gsi(self, ddb, scan_itable):
        name, _ = scan_itable
        # dynalite "should return ValidationException if ExclusiveStartKey is invalid for global index".
        expect_error(ddb.scan, "ValidationException", "The provided starting key is invalid",
                     TableName=name, IndexName="gsi_all", ExclusiveStartKey={"pk": S("p1"), "sk": N(1)})


# ---------------------------------------------------------------------------
# DescribeTable: ItemCount and IndexSizeBytes
# ---------------------------------------------------------------------------
#
# AWS refreshes these about every six hours; dynostack keeps them current (as
# it does the table's ItemCount/TableSizeBytes), so they are exact here.


class TestIndexStatistics:
    def stats(self, ddb, name):
        t = ddb.describe_table(TableName=name)["Table"]
        out = {"table": (t["ItemCount"], t["TableSizeBytes"])}
        for idx in t.get("GlobalSecondaryIndexes", []) + t.get("LocalSecondaryIndexes", []):
            out[idx["IndexName"]] = (idx["ItemCount"], idx["IndexSizeBytes"])
        return out

    def test_counts_and_sizes_follow_writes(self, ddb, scan_itable):
        name, items = scan_itable
        st = self.stats(ddb, name)
        assert st["table"][0] == 30
        assert st["gsi_keys"][0] == 15
        assert st["gsi_all"][0] == 15
        assert st["lsi_all"][0] == 24
        for index in ("gsi_keys", "gsi_all", "lsi_all"):
            assert st[index][1] > 0
        # Same 15 items: a KEYS_ONLY entry is smaller than the whole item an ALL entry holds.
        assert st["gsi_keys"][1] < st["gsi_all"][1]

        # Growing an attribute only ALL indexes project grows gsi_all but not gsi_keys.
        even = next(i for i in items if "g" in i)
        ddb.update_item(TableName=name, Key=project(even, ("pk", "sk")), UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": S("v" * 1000)})
        st2 = self.stats(ddb, name)
        assert st2["gsi_keys"] == st["gsi_keys"]
        assert st2["gsi_all"][0] == 15 and st2["gsi_all"][1] == st["gsi_all"][1] + 990
        assert st2["table"][1] == st["table"][1] + 990

        # Dropping the index key takes the item out of that index's count.
        ddb.update_item(TableName=name, Key=project(even, ("pk", "sk")), UpdateExpression="REMOVE g")
        st3 = self.stats(ddb, name)
        assert st3["gsi_keys"][0] == 14 and st3["gsi_all"][0] == 14
        assert st3["gsi_keys"][1] < st2["gsi_keys"][1] and st3["gsi_all"][1] < st2["gsi_all"][1]

        for item in items:
            ddb.delete_item(TableName=name, Key=project(item, ("pk", "sk")))
        st4 = self.stats(ddb, name)
        assert all(v == (0, 0) for v in st4.values()), st4


# ---------------------------------------------------------------------------
# GSI added to a table that holds data
# ---------------------------------------------------------------------------


class TestGsiCreatedLater:
    def test_backfill(self, ddb, make_table):
        name = make_table(hash_key=("pk", "S"))
        items = [{"pk": S(f"p{i}"), "c": S(f"C{i % 3}"), "n": N(i)} for i in range(20)]
        items.append({"pk": S("no-c"), "n": N(99)})
        put_all(ddb, name, items)
        # Items whose would-be key has the wrong type or is an empty string are
        # simply not indexed (AWS docs, "index key violations"; alternator
        # test_gsi_backfill and test_gsi_backfill_empty_string, run against AWS).
        put_all(ddb, name, [{"pk": S("bad-type"), "c": N(1)}, {"pk": S("empty"), "c": S(""), "n": N(5)}])

        ddb.update_table(
            TableName=name,
            AttributeDefinitions=defs(pk="S", c="S", n="N"),
            GlobalSecondaryIndexUpdates=[{"Create": gsi("by_c", "c", "n")}],
        )
        t = ddb.describe_table(TableName=name)["Table"]
        (g,) = t["GlobalSecondaryIndexes"]
        assert g["IndexName"] == "by_c"
        assert g["IndexStatus"] in ("CREATING", "ACTIVE")

        t = wait_table_active(ddb, name)
        (g,) = t["GlobalSecondaryIndexes"]
        assert g["IndexStatus"] == "ACTIVE"
        assert g["ItemCount"] == 20
        assert g["IndexSizeBytes"] > 0

        resp = q(ddb, name, "by_c", "c = :c", {":c": S("C1")})
        assert resp["Items"] == [i for i in items if i.get("c") == S("C1")]  # ordered by n
        assert [i["n"]["N"] for i in resp["Items"]] == [str(n) for n in range(1, 20, 3)]

        # Writes after the index exists are maintained too.
        ddb.put_item(TableName=name, Item={"pk": S("late"), "c": S("C1"), "n": N(100)})
        resp = q(ddb, name, "by_c", "c = :c AND n >= :n", {":c": S("C1"), ":n": N(100)})
        assert resp["Items"] == [{"pk": S("late"), "c": S("C1"), "n": N(100)}]
        resp = ddb.scan(TableName=name, IndexName="by_c", Select="COUNT")
        assert resp["Count"] == 21

    def test_deleted_gsi_is_gone(self, ddb, make_table):
        name = make_table(
            hash_key=("pk", "S"),
            AttributeDefinitions=defs(pk="S", c="S"),
            GlobalSecondaryIndexes=[gsi("by_c", "c")],
        )
        put_all(ddb, name, [{"pk": S("a"), "c": S("x")}])
        assert q(ddb, name, "by_c", "c = :c", {":c": S("x")})["Count"] == 1
        ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_c"}}])
        wait_for(lambda: "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"],
                 timeout=60, what="GSI removal")
        expect_error(ddb.query, "ValidationException", "The table does not have the specified index: by_c",
                     TableName=name, IndexName="by_c", KeyConditionExpression="c = :c",
                     ExpressionAttributeValues={":c": S("x")})
        # The table itself is untouched.
        assert ddb.get_item(TableName=name, Key={"pk": S("a")})["Item"] == {"pk": S("a"), "c": S("x")}


# ---------------------------------------------------------------------------
# ReturnConsumedCapacity with indexes
# ---------------------------------------------------------------------------
#
# AWS Developer Guide, "Global secondary indexes: write activity": a table
# write costs its own units plus, for each index, one write of the index entry
# (1 KB units) when the item enters or leaves the index or its projected
# attributes change, and two (delete + put) when the index key changes; none
# when the item is in the index neither before nor after. Index reads are
# sized by the index entries read, in 4 KB units (halved: GSIs are always
# eventually consistent).


@pytest.fixture
def cap_table(ddb, make_table):
    """HASH pk (S); GSI gsi_all (HASH g, ALL) and gsi_keys (HASH h, KEYS_ONLY)."""
    return make_table(
        hash_key=("pk", "S"),
        AttributeDefinitions=defs(pk="S", g="S", h="S"),
        GlobalSecondaryIndexes=[gsi("gsi_all", "g"), gsi("gsi_keys", "h", projection="KEYS_ONLY")],
    )


def consumed(resp):
    return resp["ConsumedCapacity"]


def breakdown(table, table_units, **gsis):
    out = {"TableName": table, "CapacityUnits": float(table_units + sum(gsis.values())),
           "Table": {"CapacityUnits": float(table_units)}}
    if gsis:
        out["GlobalSecondaryIndexes"] = {k: {"CapacityUnits": float(v)} for k, v in gsis.items()}
    return out


class TestIndexWriteCapacity:
    def test_put_new_item_into_an_index(self, ddb, cap_table):
        resp = ddb.put_item(TableName=cap_table, Item={"pk": S("a"), "g": S("x")}, ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == breakdown(cap_table, 1, gsi_all=1)
        resp = ddb.put_item(TableName=cap_table, Item={"pk": S("b"), "g": S("x")}, ReturnConsumedCapacity="TOTAL")
        assert consumed(resp) == {"TableName": cap_table, "CapacityUnits": 2.0}

    def test_put_into_two_indexes(self, ddb, cap_table):
        resp = ddb.put_item(TableName=cap_table, Item={"pk": S("a"), "g": S("x"), "h": S("y")},
                            ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == breakdown(cap_table, 1, gsi_all=1, gsi_keys=1)

    def test_item_in_no_index_costs_nothing_extra(self, ddb, cap_table):
        resp = ddb.put_item(TableName=cap_table, Item={"pk": S("a"), "w": S("v")}, ReturnConsumedCapacity="TOTAL")
        assert consumed(resp) == {"TableName": cap_table, "CapacityUnits": 1.0}
        resp = ddb.update_item(TableName=cap_table, Key={"pk": S("a")}, UpdateExpression="SET w = :v",
                               ExpressionAttributeValues={":v": S("w")}, ReturnConsumedCapacity="TOTAL")
        assert consumed(resp) == {"TableName": cap_table, "CapacityUnits": 1.0}

    def test_index_key_change_costs_two_index_writes(self, ddb, cap_table):
        ddb.put_item(TableName=cap_table, Item={"pk": S("a"), "g": S("x")})
        resp = ddb.update_item(TableName=cap_table, Key={"pk": S("a")}, UpdateExpression="SET g = :v",
                               ExpressionAttributeValues={":v": S("y")}, ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == breakdown(cap_table, 1, gsi_all=2)

    def test_projected_attribute_change_costs_one_index_write(self, ddb, cap_table):
        ddb.put_item(TableName=cap_table, Item={"pk": S("a"), "g": S("x")})
        resp = ddb.update_item(TableName=cap_table, Key={"pk": S("a")}, UpdateExpression="SET w = :v",
                               ExpressionAttributeValues={":v": S("w")}, ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == breakdown(cap_table, 1, gsi_all=1)

    def test_leaving_and_entering_the_index(self, ddb, cap_table):
        ddb.put_item(TableName=cap_table, Item={"pk": S("a"), "g": S("x")})
        resp = ddb.update_item(TableName=cap_table, Key={"pk": S("a")}, UpdateExpression="REMOVE g",
                               ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == breakdown(cap_table, 1, gsi_all=1)
        resp = ddb.update_item(TableName=cap_table, Key={"pk": S("a")}, UpdateExpression="SET h = :v",
                               ExpressionAttributeValues={":v": S("y")}, ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == breakdown(cap_table, 1, gsi_keys=1)

    def test_delete_removes_index_entries(self, ddb, cap_table):
        ddb.put_item(TableName=cap_table, Item={"pk": S("a"), "g": S("x"), "h": S("y")})
        resp = ddb.delete_item(TableName=cap_table, Key={"pk": S("a")}, ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == breakdown(cap_table, 1, gsi_all=1, gsi_keys=1)

    def test_index_writes_are_sized_by_the_entry(self, ddb, cap_table):
        # Item: "pk"(2) + 1 + "g"(1) + 1 + "h"(1) + 1 + "big"(3) + 1500 = 1510 bytes -> 2 write units.
        # The ALL entry is the whole item (2 units); the KEYS_ONLY entry is pk + h (1 unit).
        item = {"pk": S("a"), "g": S("x"), "h": S("y"), "big": S("b" * 1500)}
        resp = ddb.put_item(TableName=cap_table, Item=item, ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == breakdown(cap_table, 2, gsi_all=2, gsi_keys=1)

    def test_lsi_writes(self, ddb, make_table):
        name = make_table(
            hash_key=("pk", "S"),
            range_key=("sk", "S"),
            AttributeDefinitions=defs(pk="S", sk="S", lr="S"),
            LocalSecondaryIndexes=[lsi("lsi_all", "pk", "lr", "KEYS_ONLY")],
        )
        resp = ddb.put_item(TableName=name, Item={"pk": S("a"), "sk": S("b"), "lr": S("c")},
                            ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == {"TableName": name, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 1.0},
                                  "LocalSecondaryIndexes": {"lsi_all": {"CapacityUnits": 1.0}}}


class TestIndexReadCapacity:
    @pytest.fixture
    def loaded(self, ddb, cap_table):
        # Three 2001-byte items ("pk"(2) + 1 + "g"(1) + 1 + "h"(1) + 1 + "p"(1) + 1993), all under g = x and
        # h = y: about 6000 bytes through gsi_all (2 blocks of 4 KB), a few dozen bytes through gsi_keys (1 block).
        items = [{"pk": S(c), "g": S("x"), "h": S("y"), "p": S("p" * 1993)} for c in "abc"]
        put_all(ddb, cap_table, items)
        return cap_table

    def test_query_all_gsi(self, ddb, loaded):
        resp = q(ddb, loaded, "gsi_all", "g = :g", {":g": S("x")}, ReturnConsumedCapacity="INDEXES")
        assert resp["Count"] == 3
        # dynalite: index queries report Table 0 and the index's own units.
        assert consumed(resp) == {"TableName": loaded, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 0.0},
                                  "GlobalSecondaryIndexes": {"gsi_all": {"CapacityUnits": 1.0}}}
        resp = q(ddb, loaded, "gsi_all", "g = :g", {":g": S("x")}, ReturnConsumedCapacity="TOTAL")
        assert consumed(resp) == {"TableName": loaded, "CapacityUnits": 1.0}

    def test_query_keys_only_gsi_reads_small_entries(self, ddb, loaded):
        resp = q(ddb, loaded, "gsi_keys", "h = :h", {":h": S("y")}, ReturnConsumedCapacity="INDEXES")
        assert resp["Count"] == 3
        assert consumed(resp) == {"TableName": loaded, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
                                  "GlobalSecondaryIndexes": {"gsi_keys": {"CapacityUnits": 0.5}}}

    def test_filter_does_not_reduce_index_read(self, ddb, loaded):
        resp = q(ddb, loaded, "gsi_all", "g = :g", {":g": S("x"), ":no": S("no")}, FilterExpression="p = :no",
                 ReturnConsumedCapacity="TOTAL")
        assert resp["Count"] == 0 and resp["ScannedCount"] == 3
        assert consumed(resp)["CapacityUnits"] == 1.0

    def test_scan_of_gsi(self, ddb, loaded):
        resp = ddb.scan(TableName=loaded, IndexName="gsi_keys", ReturnConsumedCapacity="INDEXES")
        assert consumed(resp) == {"TableName": loaded, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
                                  "GlobalSecondaryIndexes": {"gsi_keys": {"CapacityUnits": 0.5}}}

    def test_lsi_query(self, ddb, make_table):
        name = make_table(
            hash_key=("pk", "S"),
            range_key=("sk", "S"),
            AttributeDefinitions=defs(pk="S", sk="S", lr="S"),
            LocalSecondaryIndexes=[lsi("lsi_all", "pk", "lr")],
        )
        put_all(ddb, name, [{"pk": S("a"), "sk": S(str(i)), "lr": S(str(9 - i))} for i in range(9)])
        resp = q(ddb, name, "lsi_all", "pk = :p", {":p": S("a")}, ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
        # dynalite "should only return projected attributes by default for secondary indexes".
        assert consumed(resp) == {"TableName": name, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 0.0},
                                  "LocalSecondaryIndexes": {"lsi_all": {"CapacityUnits": 1.0}}}
        resp = q(ddb, name, "lsi_all", "pk = :p", {":p": S("a")}, ReturnConsumedCapacity="INDEXES")
        assert consumed(resp)["CapacityUnits"] == 0.5
