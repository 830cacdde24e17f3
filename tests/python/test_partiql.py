"""PartiQL: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction.

Each statement kind against a hash-only and a hash+range table; a SELECT answered by a key
lookup (Query) and one that scans, told apart by the capacity they consume; NextToken/Limit
pagination; `?` parameters; per-statement errors of BatchExecuteStatement; all-or-nothing
ExecuteTransaction; AWS's error codes and messages.

Reference messages: DynamoDB's PartiQL translator as it ships in DynamoDB Local
(ddb.partiql.shared.exceptions.ValidationExceptionMessages and the statement translators), the
DynamoDB developer guide (ql-reference.*), and recordings of DynamoDB Local. Messages only that
source attests are still AWS's own code; calls marked ``# message unverified`` assert the code
only or a prefix.
"""

from __future__ import annotations

import re
import uuid

import pytest

from dynohelpers import UNVERIFIED, assert_validation_errors, expect_error, normalize_item

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "
MANDATORY_KEY = "Where clause does not contain a mandatory equality on all key attributes"
DUPLICATE = "Duplicate primary key exists in table"
CONDITION_FAILED = "The conditional request failed"
PARAM_COUNT = "Number of parameters in request and statement don't match."


def uid() -> str:
    return uuid.uuid4().hex[:10]


def run(ddb, statement, *params, **kwargs):
    if params:
        kwargs["Parameters"] = list(params)
    return ddb.execute_statement(Statement=statement, **kwargs)


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


@pytest.fixture
def hash_t(make_table):
    return make_table(hash_key=("pk", "S"))


@pytest.fixture
def range_t(make_table):
    return make_table(hash_key=("pk", "S"), range_key=("sk", "N"))


def get(ddb, table, **key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


# ---------------------------------------------------------------------------------------------
# INSERT
# ---------------------------------------------------------------------------------------------


class TestInsert:
    def test_insert_every_literal_kind(self, ddb, hash_t):
        resp = run(
            ddb,
            f"""INSERT INTO "{hash_t}" VALUE {{'pk': 'a', 'n': -1.50, 'b': true, 'z': null,
                'l': [1, 'x', [2]], 'm': {{'k': 'v', 'inner': {{'deep': 3}}}},
                'ss': <<'x', 'y'>>, 'ns': <<1, 2.5>>, 'q': 'it''s'}}""",
        )
        assert resp["Items"] == []
        item = get(ddb, hash_t, pk=S("a"))
        assert normalize_item(item) == normalize_item(
            {
                "pk": S("a"),
                "n": N("-1.5"),
                "b": {"BOOL": True},
                "z": {"NULL": True},
                "l": {"L": [N(1), S("x"), {"L": [N(2)]}]},
                "m": {"M": {"k": S("v"), "inner": {"M": {"deep": N(3)}}}},
                "ss": {"SS": ["x", "y"]},
                "ns": {"NS": ["1", "2.5"]},
                "q": S("it's"),
            }
        )

    def test_insert_range_table_with_parameters(self, ddb, range_t):
        run(ddb, f"INSERT INTO \"{range_t}\" VALUE {{'pk': ?, 'sk': ?, 'bin': ?}}", S("p"), N(7), {"B": b"\x00\x01"})
        assert get(ddb, range_t, pk=S("p"), sk=N(7)) == {"pk": S("p"), "sk": N(7), "bin": {"B": b"\x00\x01"}}

    def test_insert_existing_key_is_duplicate_item(self, ddb, hash_t, range_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'dup', 'v': 1}}")
        expect_error(run, "DuplicateItemException", DUPLICATE, ddb=ddb,
                     statement=f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'dup', 'v': 2}}")
        # The first item is untouched.
        assert get(ddb, hash_t, pk=S("dup"))["v"] == N(1)
        run(ddb, f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'dup', 'sk': 1}}")
        run(ddb, f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'dup', 'sk': 2}}")
        expect_error(run, "DuplicateItemException", DUPLICATE, ddb=ddb,
                     statement=f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'dup', 'sk': 2}}")

    def test_insert_key_checks(self, ddb, range_t):
        expect_error(run, "ValidationException", "Key attribute should be present in the item: Key sk",
                     ddb=ddb, statement=f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'a'}}")
        expect_error(run, "ValidationException",
                     "Key attribute's data type should match its data type in table's schema: Key sk",
                     ddb=ddb, statement=f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'a', 'sk': '1'}}")
        expect_error(run, "ValidationException",
                     "One or more parameter values are not valid. The AttributeValue for a key attribute "
                     "cannot contain an empty string value. Key: pk",
                     ddb=ddb, statement=f"INSERT INTO \"{range_t}\" VALUE {{'pk': '', 'sk': 1}}")

    def test_insert_refusals(self, ddb, hash_t):
        expect_error(run, "ValidationException", "RETURNING is not supported in INSERT", ddb=ddb,
                     statement=f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'r'}} RETURNING ALL OLD *")
        expect_error(
            run, "ValidationException",
            "Unsupported operation: Inserting multiple items in a single statement is not supported, "
            "use \"INSERT INTO tableName VALUE item\" instead",
            ddb=ddb, statement=f"INSERT INTO \"{hash_t}\" VALUES ('a'), ('b')",
        )
        expect_error(
            run, "ValidationException",
            "Unsupported format in item expression. Please use struct format {...} to express item values "
            "for insert statement.",
            ddb=ddb, statement=f"INSERT INTO \"{hash_t}\" VALUE 'a'",
        )
        expect_error(run, "ValidationException", "Duplicate keys in tuple. Key: pk under root", ddb=ddb,
                     statement=f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'a', 'pk': 'b'}}")
        expect_error(run, "ValidationException", "Empty bags are not supported", ddb=ddb,
                     statement=f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'a', 's': <<>>}}")
        expect_error(run, "ValidationException", "Input collection contains duplicates", ddb=ddb,
                     statement=f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'a', 's': <<1, 1>>}}")
        expect_error(
            run, "ValidationException",
            "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
            ddb=ddb, statement=f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'a', 's': <<1, 'x'>>}}",
        )


# ---------------------------------------------------------------------------------------------
# UPDATE
# ---------------------------------------------------------------------------------------------


class TestUpdate:
    def test_set_and_remove(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'u', 'n': 1, 'l': [1], 'm': {{'a': 1, 'b': 2}}, "
                 f"'ss': <<'x'>>, 'gone': 1}}")
        resp = run(
            ddb,
            f"""UPDATE "{hash_t}" SET n = n + 10, l = list_append(l, [2, 3]) SET m.c = 'new'
                SET ss = set_add(ss, <<'y'>>) SET c = if_not_exists(c, 0) REMOVE gone REMOVE m.a
                WHERE pk = 'u'""",
        )
        assert resp["Items"] == []
        item = get(ddb, hash_t, pk=S("u"))
        assert normalize_item(item) == normalize_item({
            "pk": S("u"), "n": N(11), "l": {"L": [N(1), N(2), N(3)]},
            "m": {"M": {"b": N(2), "c": S("new")}}, "ss": {"SS": ["x", "y"]}, "c": N(0),
        })
        run(ddb, f"UPDATE \"{hash_t}\" SET ss = set_delete(ss, <<'x'>>) SET n = n - 1 WHERE pk = 'u'")
        item = get(ddb, hash_t, pk=S("u"))
        assert item["ss"] == {"SS": ["y"]} and item["n"] == N(10)

    def test_update_of_missing_item_fails(self, ddb, hash_t, range_t):
        expect_error(run, "ConditionalCheckFailedException", CONDITION_FAILED, ddb=ddb,
                     statement=f"UPDATE \"{hash_t}\" SET a = 1 WHERE pk = 'nobody'")
        assert get(ddb, hash_t, pk=S("nobody")) is None
        expect_error(run, "ConditionalCheckFailedException", CONDITION_FAILED, ddb=ddb,
                     statement=f"UPDATE \"{range_t}\" SET a = 1 WHERE pk = 'nobody' AND sk = 1")

    def test_where_conditions_beyond_the_key(self, ddb, range_t):
        run(ddb, f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'c', 'sk': 1, 'v': 5, 'tag': 'x'}}")
        run(ddb, f"UPDATE \"{range_t}\" SET v = 6 WHERE pk = 'c' AND sk = 1 AND v = 5 AND begins_with(tag, 'x')")
        assert get(ddb, range_t, pk=S("c"), sk=N(1))["v"] == N(6)
        resp = expect_error(run, "ConditionalCheckFailedException", CONDITION_FAILED, ddb=ddb,
                            statement=f"UPDATE \"{range_t}\" SET v = 7 WHERE pk = 'c' AND sk = 1 AND v = 5",
                            ReturnValuesOnConditionCheckFailure="ALL_OLD")
        assert resp["Item"]["v"] == N(6)
        assert get(ddb, range_t, pk=S("c"), sk=N(1))["v"] == N(6)

    def test_full_key_required(self, ddb, range_t):
        expect_error(run, "ValidationException", MANDATORY_KEY, ddb=ddb,
                     statement=f"UPDATE \"{range_t}\" SET a = 1 WHERE pk = 'a'")
        expect_error(run, "ValidationException", MANDATORY_KEY, ddb=ddb,
                     statement=f"UPDATE \"{range_t}\" SET a = 1")
        expect_error(run, "ValidationException", MANDATORY_KEY, ddb=ddb,
                     statement=f"UPDATE \"{range_t}\" SET a = 1 WHERE pk = 'a' OR sk = 1")
        expect_error(run, "ValidationException", MANDATORY_KEY, ddb=ddb,
                     statement=f"UPDATE \"{range_t}\" SET a = 1 WHERE pk = 'a' AND sk > 1")
        expect_error(
            run, "ValidationException",
            "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported",
            ddb=ddb, statement=f"UPDATE \"{range_t}\" SET a = 1 WHERE pk = 'a' AND pk = 'b' AND sk = 1",
        )
        expect_error(
            run, "ValidationException",
            "Key attribute's data type should match its data type in table's schema: Key sk",
            ddb=ddb, statement=f"UPDATE \"{range_t}\" SET a = 1 WHERE pk = 'a' AND sk = 'x'",
        )

    def test_key_attributes_cannot_change(self, ddb, hash_t):
        expect_error(
            run, "ValidationException",
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
            ddb=ddb, statement=f"UPDATE \"{hash_t}\" SET pk = 'b' WHERE pk = 'a'",
        )

    def test_returning(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'r', 'a': 1, 'b': 2}}")
        old = run(ddb, f"UPDATE \"{hash_t}\" SET a = 10 WHERE pk = 'r' RETURNING ALL OLD *")["Items"]
        assert old == [{"pk": S("r"), "a": N(1), "b": N(2)}]
        new = run(ddb, f"UPDATE \"{hash_t}\" SET a = 11 WHERE pk = 'r' RETURNING ALL NEW *")["Items"]
        assert new == [{"pk": S("r"), "a": N(11), "b": N(2)}]
        mod = run(ddb, f"UPDATE \"{hash_t}\" SET a = 12 WHERE pk = 'r' RETURNING MODIFIED NEW *")["Items"]
        assert mod == [{"a": N(12)}]
        mod = run(ddb, f"UPDATE \"{hash_t}\" SET a = 13 WHERE pk = 'r' RETURNING MODIFIED OLD *")["Items"]
        assert mod == [{"a": N(12)}]
        expect_error(run, "ValidationException",
                     "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause", ddb=ddb,
                     statement=f"UPDATE \"{hash_t}\" SET a = 1 WHERE pk = 'r' RETURNING ALL NEW a")

    def test_set_add_argument_checks(self, ddb, hash_t):
        expect_error(run, "ValidationException", "The first argument to SET_ADD must equal the assignment value",
                     ddb=ddb, statement=f"UPDATE \"{hash_t}\" SET s = set_add(t, <<'a'>>) WHERE pk = 'a'")
        expect_error(run, "ValidationException", "The second argument to SET_ADD must be a value with type SET",
                     ddb=ddb, statement=f"UPDATE \"{hash_t}\" SET s = set_add(s, 'a') WHERE pk = 'a'")


# ---------------------------------------------------------------------------------------------
# DELETE
# ---------------------------------------------------------------------------------------------


class TestDelete:
    def test_delete_and_returning(self, ddb, hash_t, range_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'd', 'v': 1}}")
        resp = run(ddb, f"DELETE FROM \"{hash_t}\" WHERE pk = 'd' RETURNING ALL OLD *")
        assert resp["Items"] == [{"pk": S("d"), "v": N(1)}]
        assert get(ddb, hash_t, pk=S("d")) is None
        run(ddb, f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'd', 'sk': 1}}")
        assert run(ddb, f"DELETE FROM \"{range_t}\" WHERE pk = 'd' AND sk = 1")["Items"] == []
        assert get(ddb, range_t, pk=S("d"), sk=N(1)) is None

    def test_delete_of_missing_item_succeeds(self, ddb, hash_t):
        # Developer guide: "SUCCESS is returned with 0 items deleted".
        assert run(ddb, f"DELETE FROM \"{hash_t}\" WHERE pk = 'never'")["Items"] == []

    def test_delete_conditions(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'dc', 'v': 1}}")
        expect_error(run, "ConditionalCheckFailedException", CONDITION_FAILED, ddb=ddb,
                     statement=f"DELETE FROM \"{hash_t}\" WHERE pk = 'dc' AND v = 2")
        assert get(ddb, hash_t, pk=S("dc")) is not None
        # A further condition on a missing item fails too.
        expect_error(run, "ConditionalCheckFailedException", CONDITION_FAILED, ddb=ddb,
                     statement=f"DELETE FROM \"{hash_t}\" WHERE pk = 'nope' AND v = 1")
        run(ddb, f"DELETE FROM \"{hash_t}\" WHERE pk = 'dc' AND v = 1")
        assert get(ddb, hash_t, pk=S("dc")) is None

    def test_delete_refusals(self, ddb, range_t):
        expect_error(run, "ValidationException", MANDATORY_KEY, ddb=ddb,
                     statement=f"DELETE FROM \"{range_t}\" WHERE pk = 'a'")
        expect_error(run, "ValidationException", MANDATORY_KEY, ddb=ddb,
                     statement=f"DELETE FROM \"{range_t}\"")
        expect_error(
            run, "ValidationException",
            "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements.",
            ddb=ddb, statement=f"DELETE FROM \"{range_t}\" WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *",
        )


# ---------------------------------------------------------------------------------------------
# SELECT
# ---------------------------------------------------------------------------------------------


def fill(ddb, table, pks, sks=None, pad=0):
    for pk in pks:
        for sk in sks or [None]:
            item = {"pk": S(pk), "v": N(len(pk)), "filler": S("x" * pad)}
            if sk is not None:
                item["sk"] = N(sk)
            ddb.put_item(TableName=table, Item=item)


class TestSelect:
    def test_key_lookup_hash_table(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'k1', 'a': {{'b': [10, 20]}}, 'c': 'x'}}")
        assert run(ddb, f"SELECT * FROM \"{hash_t}\" WHERE pk = 'k1'")["Items"] == [
            {"pk": S("k1"), "a": {"M": {"b": {"L": [N(10), N(20)]}}}, "c": S("x")}
        ]
        assert run(ddb, f"SELECT * FROM \"{hash_t}\" WHERE pk = 'absent'")["Items"] == []
        assert run(ddb, f"SELECT * FROM \"{hash_t}\" WHERE pk = 'k1' AND c = 'y'")["Items"] == []

    def test_projection_flattens_nested_paths(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'p', 'm': {{'k': [0, 9], 'z': true}}, 'l': ['a', 'b']}}")
        items = run(ddb, f"SELECT m.k[1], l[0], m.z, \"missing\", pk FROM \"{hash_t}\" WHERE pk = 'p'")["Items"]
        assert items == [{"k[1]": N(9), "l[0]": S("a"), "z": {"BOOL": True}, "pk": S("p")}]
        items = run(ddb, f"SELECT m FROM \"{hash_t}\" WHERE pk = 'p'")["Items"]
        assert items == [{"m": {"M": {"k": {"L": [N(0), N(9)]}, "z": {"BOOL": True}}}}]
        expect_error(run, "ValidationException", "Duplicate identifiers in select clause: z", ddb=ddb,
                     statement=f"SELECT m.z, n.z FROM \"{hash_t}\"")
        expect_error(run, "ValidationException", "Aliasing is not supported", ddb=ddb,
                     statement=f"SELECT m AS x FROM \"{hash_t}\"")

    def test_range_table_sort_key_conditions(self, ddb, range_t):
        fill(ddb, range_t, ["a", "b"], sks=range(1, 7))

        def sks(where, **kw):
            items = run(ddb, f"SELECT sk FROM \"{range_t}\" WHERE {where}", **kw)["Items"]
            return [int(i["sk"]["N"]) for i in items]

        assert sks("pk = 'a'") == [1, 2, 3, 4, 5, 6]
        assert sks("pk = 'a' AND sk > 4") == [5, 6]
        assert sks("pk = 'a' AND 4 > sk") == [1, 2, 3]
        assert sks("pk = 'a' AND sk BETWEEN 2 AND 3") == [2, 3]
        assert sks("pk = 'a' AND sk >= 2 AND sk <= 3") == [2, 3]
        assert sks("pk = 'a' AND sk IN [1, 6]") == [1, 6]
        assert sks("pk = 'a' ORDER BY sk DESC") == [6, 5, 4, 3, 2, 1]
        assert sks("pk = 'a' AND sk < 3 ORDER BY sk ASC") == [1, 2]
        assert sks("pk = 'zzz'") == []

    def test_partition_key_in_and_or(self, ddb, range_t):
        fill(ddb, range_t, ["p1", "p2", "p3"], sks=[1, 2])
        items = run(ddb, f"SELECT pk, sk FROM \"{range_t}\" WHERE pk IN ['p3', 'p1']")["Items"]
        assert [(i["pk"]["S"], i["sk"]["N"]) for i in items] == [("p3", "1"), ("p3", "2"), ("p1", "1"), ("p1", "2")]
        items = run(ddb, f"SELECT pk FROM \"{range_t}\" WHERE pk = 'p2' OR pk = 'p1'")["Items"]
        assert sorted(i["pk"]["S"] for i in items) == ["p1", "p1", "p2", "p2"]
        items = run(ddb, f"SELECT pk, sk FROM \"{range_t}\" WHERE pk IN ['p1', 'p2'] ORDER BY pk DESC")["Items"]
        assert [i["pk"]["S"] for i in items] == ["p2", "p2", "p1", "p1"]

    def test_key_lookup_reads_one_partition_and_a_scan_reads_all(self, ddb, range_t):
        # 20 items of ~1 KB; the partition asked for holds one of them.
        fill(ddb, range_t, [f"part{i}" for i in range(20)], sks=[1], pad=1000)
        q = run(ddb, f"SELECT * FROM \"{range_t}\" WHERE pk = 'part7' AND sk = 1", ReturnConsumedCapacity="TOTAL")
        assert len(q["Items"]) == 1
        assert q["ConsumedCapacity"] == {"TableName": range_t, "CapacityUnits": 0.5}
        # The same item found by a condition on a non-key attribute: a scan of the whole table.
        s = run(ddb, f"SELECT * FROM \"{range_t}\" WHERE filler = ? AND v = 5 AND pk = 'part7' OR pk = 'x'",
                S("x" * 1000), ReturnConsumedCapacity="TOTAL")
        assert [i["pk"] for i in s["Items"]] == [S("part7")]
        assert s["ConsumedCapacity"]["CapacityUnits"] >= 2.5
        scan = run(ddb, f"SELECT pk FROM \"{range_t}\" WHERE v > 0", ReturnConsumedCapacity="TOTAL")
        assert len(scan["Items"]) == 20
        assert scan["ConsumedCapacity"]["CapacityUnits"] == s["ConsumedCapacity"]["CapacityUnits"]
        assert len(run(ddb, f"SELECT * FROM \"{range_t}\"")["Items"]) == 20

    def test_where_operators(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'w1', 'n': 5, 's': 'hello', 'm': {{'k': null}}, "
                 f"'l': [1, 2], 'ss': <<'a'>>}}")
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'w2', 'n': 7}}")

        def pks(where):
            return sorted(i["pk"]["S"] for i in run(ddb, f"SELECT pk FROM \"{hash_t}\" WHERE {where}")["Items"])

        assert pks("n BETWEEN 4 AND 6") == ["w1"]
        assert pks("n <> 5") == ["w2"]
        assert pks("NOT n = 5") == ["w2"]
        assert pks("s IS MISSING") == ["w2"]
        assert pks("s IS NOT MISSING") == ["w1"]
        assert pks("m.k IS NULL") == ["w1"]
        assert pks("n IS NUMERIC AND s IS STRING AND m IS STRUCT AND l IS LIST") == ["w1"]
        assert pks("begins_with(s, 'he') AND contains(s, 'll') AND contains(ss, 'a')") == ["w1"]
        assert pks("size(l) = 2 AND attribute_type(n, 'N')") == ["w1"]
        assert pks("n IN [7, 8]") == ["w2"]
        assert pks("n = 5 OR n = 7") == ["w1", "w2"]

    def test_pagination_with_limit_and_next_token(self, ddb, range_t):
        fill(ddb, range_t, ["pg"], sks=range(10))
        fill(ddb, range_t, ["other"], sks=range(3))
        seen, token, pages = [], None, 0
        while True:
            kw = {"Limit": 3}
            if token:
                kw["NextToken"] = token
            resp = run(ddb, f"SELECT sk FROM \"{range_t}\" WHERE pk = ?", S("pg"), **kw)
            pages += 1
            assert len(resp["Items"]) <= 3
            seen += [int(i["sk"]["N"]) for i in resp["Items"]]
            token = resp.get("NextToken")
            if not token:
                break
        assert seen == list(range(10)) and pages == 4
        # A scan with a filter: Limit counts items read, not items returned.
        resp = run(ddb, f"SELECT * FROM \"{range_t}\" WHERE pk = 'other' OR sk = 9", Limit=2)
        assert len(resp["Items"]) <= 2 and "NextToken" in resp
        found, token = list(resp["Items"]), resp["NextToken"]
        while token:
            resp = run(ddb, f"SELECT * FROM \"{range_t}\" WHERE pk = 'other' OR sk = 9", Limit=2, NextToken=token)
            found += resp["Items"]
            token = resp.get("NextToken")
        assert len(found) == 4
        # Across the partitions of an IN.
        all_items, token = [], None
        while True:
            kw = {"Limit": 4, **({"NextToken": token} if token else {})}
            resp = run(ddb, f"SELECT pk, sk FROM \"{range_t}\" WHERE pk IN ['other', 'pg']", **kw)
            all_items += resp["Items"]
            token = resp.get("NextToken")
            if not token:
                break
        assert len(all_items) == 13

    def test_next_token_of_another_statement(self, ddb_raw, range_t):
        fill(ddb_raw, range_t, ["nt"], sks=range(3))
        token = run(ddb_raw, f"SELECT * FROM \"{range_t}\" WHERE pk = 'nt'", Limit=1)["NextToken"]
        expect_error(run, "ValidationException", UNVERIFIED, ddb=ddb_raw,  # message unverified
                     statement=f"SELECT * FROM \"{range_t}\"", NextToken=token)
        expect_error(run, "ValidationException", "Invalid NextToken", ddb=ddb_raw,
                     statement=f"SELECT * FROM \"{range_t}\"", NextToken="garbage")

    def test_select_from_index(self, ddb, make_table):
        table = make_table(
            hash_key=("pk", "S"),
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        )
        run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'g': 'G', 'x': 1}}")
        run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'g': 'H', 'x': 2}}")
        assert run(ddb, f"SELECT * FROM \"{table}\".\"by_g\" WHERE g = 'G'")["Items"] == [{"pk": S("a"), "g": S("G")}]
        assert len(run(ddb, f"SELECT * FROM \"{table}\".\"by_g\"")["Items"]) == 2
        expect_error(run, "ValidationException", "The table does not have the specified index: nope", ddb=ddb,
                     statement=f"SELECT * FROM \"{table}\".\"nope\"")
        expect_error(run, "ValidationException",
                     "Strongly consistent read is not supported on Global Secondary Indexes", ddb=ddb,
                     statement=f"SELECT * FROM \"{table}\".\"by_g\"", ConsistentRead=True)

    def test_select_refusals(self, ddb, hash_t):
        expect_error(run, "ValidationException", "Unsupported clause: LIMIT", ddb=ddb,
                     statement=f"SELECT * FROM \"{hash_t}\" LIMIT 1")
        expect_error(run, "ValidationException", "Must have WHERE clause in the statement when using ORDER BY clause.",
                     ddb=ddb, statement=f"SELECT * FROM \"{hash_t}\" ORDER BY pk")
        expect_error(
            run, "ValidationException",
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
            ddb=ddb, statement=f"SELECT * FROM \"{hash_t}\" WHERE a = 1 ORDER BY pk",
        )
        expect_error(run, "ValidationException",
                     "Variable reference a in ORDER BY clause must be part of the primary key",
                     ddb=ddb, statement=f"SELECT * FROM \"{hash_t}\" WHERE pk = 'x' ORDER BY a")
        expect_error(run, "ValidationException",
                     "Key attribute's data type should match its data type in table's schema: Key pk",
                     ddb=ddb, statement=f"SELECT * FROM \"{hash_t}\" WHERE pk = 1")
        expect_error(run, "ValidationException", "Only select from a single table or index is supported.",
                     ddb=ddb, statement=f"SELECT * FROM \"{hash_t}\", \"{hash_t}\"")
        expect_error(run, "ValidationException", "EXISTS can only be used in ExecuteTransaction write requests.",
                     ddb=ddb, statement=f"EXISTS(SELECT * FROM \"{hash_t}\" WHERE pk = 'a' AND x = 1)")
        expect_error(run, "ValidationException", "MISSING must be compared using IS operator",
                     ddb=ddb, statement=f"SELECT * FROM \"{hash_t}\" WHERE a = MISSING")
        expect_error(run, "ValidationException", "Unrecognized function: foo",
                     ddb=ddb, statement=f"SELECT * FROM \"{hash_t}\" WHERE foo(a)")


# ---------------------------------------------------------------------------------------------
# Parameters, syntax and request validation
# ---------------------------------------------------------------------------------------------


class TestRequest:
    def test_parameters(self, ddb, range_t):
        run(ddb, f"INSERT INTO \"{range_t}\" VALUE {{'pk': ?, 'sk': ?, 'v': ?}}", S("pp"), N(1), {"L": [S("x")]})
        items = run(ddb, f"SELECT v FROM \"{range_t}\" WHERE pk = ? AND sk = ?", S("pp"), N(1))["Items"]
        assert items == [{"v": {"L": [S("x")]}}]
        # A '?' inside a string is text.
        run(ddb, f"UPDATE \"{range_t}\" SET q = '?' WHERE pk = ? AND sk = ?", S("pp"), N(1))
        assert get(ddb, range_t, pk=S("pp"), sk=N(1))["q"] == S("?")
        expect_error(run, "ValidationException", PARAM_COUNT, ddb=ddb,
                     statement=f"SELECT * FROM \"{range_t}\" WHERE pk = ? AND sk = ?", Parameters=[S("pp")])

    def test_syntax_errors(self, ddb, hash_t):
        for bad in [
            f"SLECT * FROM \"{hash_t}\"",
            f"SELECT * FROM \"{hash_t}\" WHERE",
            f"SELECT * FROM \"{hash_t}\" WHERE pad = 'reserved word'",
            f"UPDATE \"{hash_t}\" SET a = 1 WHERE pk = 'a' trailing",
            f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'a'",
        ]:
            expect_error(run, "ValidationException", re.compile(re.escape(NOT_WELL_FORMED) + ".*"), ddb=ddb,
                         statement=bad)  # message unverified (the detail after the colon)
        # Comments, lower case and a final semicolon are fine; a quoted keyword is a name.
        run(ddb, f"insert into \"{hash_t}\" value {{'pk': 'syn', 'pad': 1}} -- done")
        assert run(ddb, f"/* c */ select \"pad\" from \"{hash_t}\" where pk = 'syn';")["Items"] == [{"pad": N(1)}]

    def test_missing_table(self, ddb):
        expect_error(run, "ResourceNotFoundException", UNVERIFIED, ddb=ddb,  # message unverified
                     statement="SELECT * FROM \"no-such-table\" WHERE pk = 'a'")
        expect_error(run, "ResourceNotFoundException", UNVERIFIED, ddb=ddb,  # message unverified
                     statement="INSERT INTO \"no-such-table\" VALUE {'pk': 'a'}")

    def test_coral_constraints(self, ddb_raw, hash_t):
        resp = expect_error(run, "ValidationException", ddb=ddb_raw, statement="SELECT * FROM x", Limit=0,
                            Parameters=[])
        assert_validation_errors(resp["Error"]["Message"], [
            "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
            "Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ])
        long = f"SELECT * FROM \"{hash_t}\" WHERE pk = '{'x' * 8200}'"
        expect_error(run, "ValidationException",
                     f"1 validation error detected: Value '{long}' at 'statement' failed to satisfy constraint: "
                     "Member must have length less than or equal to 8192", ddb=ddb_raw, statement=long)
        expect_error(run, "ValidationException",
                     "1 validation error detected: Value 'SOME' at 'returnValuesOnConditionCheckFailure' failed to "
                     "satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
                     ddb=ddb_raw, statement=f"SELECT * FROM \"{hash_t}\"", ReturnValuesOnConditionCheckFailure="SOME")

    def test_consumed_capacity_of_writes(self, ddb, hash_t):
        resp = run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'cap'}}", ReturnConsumedCapacity="TOTAL")
        assert resp["ConsumedCapacity"] == {"TableName": hash_t, "CapacityUnits": 1.0}
        resp = run(ddb, f"UPDATE \"{hash_t}\" SET a = 1 WHERE pk = 'cap'", ReturnConsumedCapacity="INDEXES")
        assert resp["ConsumedCapacity"] == {"TableName": hash_t, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
        assert "ConsumedCapacity" not in run(ddb, f"DELETE FROM \"{hash_t}\" WHERE pk = 'cap'")


# ---------------------------------------------------------------------------------------------
# BatchExecuteStatement
# ---------------------------------------------------------------------------------------------


class TestBatch:
    def test_writes_with_per_statement_errors(self, ddb, range_t):
        run(ddb, f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'b', 'sk': 1, 'v': 1}}")
        run(ddb, f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'b', 'sk': 5, 'v': 5}}")
        resp = ddb.batch_execute_statement(
            Statements=[
                {"Statement": f"INSERT INTO \"{range_t}\" VALUE {{'pk': ?, 'sk': ?}}", "Parameters": [S("b"), N(2)]},
                {"Statement": f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'b', 'sk': 1}}"},
                {"Statement": f"UPDATE \"{range_t}\" SET v = 2 WHERE pk = 'b' AND sk = 5 AND v = 99",
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
                {"Statement": f"UPDATE \"{range_t}\" SET v = 3 WHERE pk = 'b' AND sk = 3"},
                {"Statement": "SLECT nonsense"},
                {"Statement": "DELETE FROM \"no-such-table\" WHERE pk = 'a' AND sk = 1"},
                {"Statement": f"DELETE FROM \"{range_t}\" WHERE pk = 'b'"},
                {"Statement": f"DELETE FROM \"{range_t}\" WHERE pk = 'b' AND sk = 7"},
            ],
            ReturnConsumedCapacity="TOTAL",
        )
        r = resp["Responses"]
        assert len(r) == 8
        assert r[0] == {"TableName": range_t}
        assert r[1]["Error"] == {"Code": "DuplicateItem", "Message": DUPLICATE}
        assert r[1]["TableName"] == range_t
        assert r[2]["Error"]["Code"] == "ConditionalCheckFailed"
        assert r[2]["Error"]["Message"] == CONDITION_FAILED
        assert r[2]["Error"]["Item"] == {"pk": S("b"), "sk": N(5), "v": N(5)}
        assert r[3]["Error"] == {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED}
        assert r[4]["Error"]["Code"] == "ValidationError"
        assert r[4]["Error"]["Message"].startswith(NOT_WELL_FORMED)
        assert r[5]["Error"]["Code"] == "ResourceNotFound"
        assert r[6]["Error"] == {"Code": "ValidationError", "Message": MANDATORY_KEY}
        assert r[7] == {"TableName": range_t}
        assert get(ddb, range_t, pk=S("b"), sk=N(2)) == {"pk": S("b"), "sk": N(2)}
        assert get(ddb, range_t, pk=S("b"), sk=N(1)) == {"pk": S("b"), "sk": N(1), "v": N(1)}
        assert get(ddb, range_t, pk=S("b"), sk=N(5))["v"] == N(5)
        assert resp["ConsumedCapacity"] == [{"TableName": range_t, "CapacityUnits": 2.0}]

    def test_reads(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'r1', 'a': {{'b': 1}}}}")
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'r2', 'x': 2}}")
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'r3', 'a': {{'b': 3}}}}")
        resp = ddb.batch_execute_statement(Statements=[
            {"Statement": f"SELECT * FROM \"{hash_t}\" WHERE pk = 'r1'"},
            {"Statement": f"SELECT a.b FROM \"{hash_t}\" WHERE pk = ?", "Parameters": [S("r3")], "ConsistentRead": True},
            {"Statement": f"SELECT * FROM \"{hash_t}\" WHERE pk = 'absent'"},
            {"Statement": f"SELECT * FROM \"{hash_t}\" WHERE x = 2"},
            {"Statement": f"SELECT * FROM \"{hash_t}\" WHERE pk = 'r2'"},
        ], ReturnConsumedCapacity="TOTAL")
        r = resp["Responses"]
        assert r[0] == {"TableName": hash_t, "Item": {"pk": S("r1"), "a": {"M": {"b": N(1)}}}}
        assert r[1] == {"TableName": hash_t, "Item": {"b": N(3)}}
        assert r[2] == {"TableName": hash_t}
        assert r[3]["Error"]["Code"] == "ValidationError"  # message unverified
        assert r[4]["Item"]["x"] == N(2)
        assert resp["ConsumedCapacity"] == [{"TableName": hash_t, "CapacityUnits": 2.5}]

    def test_whole_request_refusals(self, ddb, ddb_raw, hash_t):
        expect_error(ddb.batch_execute_statement, "ValidationException", UNVERIFIED,  # message unverified
                     Statements=[{"Statement": f"SELECT * FROM \"{hash_t}\" WHERE pk = 'a'"},
                                 {"Statement": f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'b'}}"}])
        expect_error(ddb.batch_execute_statement, "ValidationException",
                     "Provided list of item keys contains duplicates",
                     Statements=[{"Statement": f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'same'}}"},
                                 {"Statement": f"UPDATE \"{hash_t}\" SET a = 1 WHERE pk = 'same'"}])
        assert get(ddb, hash_t, pk=S("same")) is None
        resp = expect_error(ddb_raw.batch_execute_statement, "ValidationException",
                            Statements=[{"Statement": f"SELECT * FROM \"{hash_t}\" WHERE pk = '{i}'"} for i in range(26)])
        assert re.fullmatch(
            r"1 validation error detected: Value '\[.*\]' at 'statements' failed to satisfy constraint: "
            r"Member must have length less than or equal to 25", resp["Error"]["Message"])
        expect_error(ddb_raw.batch_execute_statement, "ValidationException",
                     "1 validation error detected: Value '[]' at 'statements' failed to satisfy constraint: "
                     "Member must have length greater than or equal to 1", Statements=[])


# ---------------------------------------------------------------------------------------------
# ExecuteTransaction
# ---------------------------------------------------------------------------------------------


class TestTransaction:
    def test_writes_commit_together(self, ddb, hash_t, range_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'acct', 'balance': 100}}")
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'open', 'balance': 0}}")
        resp = ddb.execute_transaction(TransactStatements=[
            {"Statement": f"UPDATE \"{hash_t}\" SET balance = balance - 30 WHERE pk = 'acct' AND balance >= 30"},
            {"Statement": f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'ledger', 'sk': 1, 'amount': 30}}"},
            {"Statement": f"EXISTS(SELECT * FROM \"{hash_t}\" WHERE pk = 'open' AND balance IS NOT MISSING)"},
        ], ReturnConsumedCapacity="TOTAL")
        assert get(ddb, hash_t, pk=S("acct"))["balance"] == N(70)
        assert get(ddb, range_t, pk=S("ledger"), sk=N(1))["amount"] == N(30)
        # Each action costs twice its write units; the condition check too.
        assert {c["TableName"]: c["CapacityUnits"] for c in resp["ConsumedCapacity"]} == {hash_t: 4.0, range_t: 2.0}

    def test_a_failed_statement_cancels_everything(self, ddb, hash_t, range_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'tx', 'n': 1}}")
        resp = expect_error(
            ddb.execute_transaction, "TransactionCanceledException",
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[None, ConditionalCheckFailed, None]",
            TransactStatements=[
                {"Statement": f"UPDATE \"{hash_t}\" SET n = 2 WHERE pk = 'tx'"},
                {"Statement": f"UPDATE \"{range_t}\" SET n = 2 WHERE pk = 'missing' AND sk = 1",
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
                {"Statement": f"INSERT INTO \"{range_t}\" VALUE {{'pk': 'new', 'sk': 1}}"},
            ],
        )
        reasons = resp["CancellationReasons"]
        assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "None"]
        assert get(ddb, hash_t, pk=S("tx"))["n"] == N(1)
        assert get(ddb, range_t, pk=S("new"), sk=N(1)) is None

    def test_duplicate_insert_and_failed_exists(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'have', 'v': 1}}")
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'have2', 'v': 1}}")
        resp = expect_error(ddb.execute_transaction, "TransactionCanceledException", UNVERIFIED,  # message unverified
                            TransactStatements=[
                                {"Statement": f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'have'}}"},
                                {"Statement": f"EXISTS(SELECT * FROM \"{hash_t}\" WHERE pk = 'have2' AND v = 2)"},
                            ])
        assert [r["Code"] for r in resp["CancellationReasons"]] == ["DuplicateItem", "ConditionalCheckFailed"]

    def test_reads(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 't1', 'v': 1}}")
        resp = ddb.execute_transaction(TransactStatements=[
            {"Statement": f"SELECT * FROM \"{hash_t}\" WHERE pk = 't1'"},
            {"Statement": f"SELECT v FROM \"{hash_t}\" WHERE pk = ?", "Parameters": [S("t2")]},
        ], ReturnConsumedCapacity="TOTAL")
        assert resp["Responses"] == [{"Item": {"pk": S("t1"), "v": N(1)}}, {}]
        assert resp["ConsumedCapacity"] == [{"TableName": hash_t, "CapacityUnits": 4.0}]
        expect_error(ddb.execute_transaction, "ValidationException", UNVERIFIED,  # message unverified
                     TransactStatements=[{"Statement": f"SELECT * FROM \"{hash_t}\" WHERE v = 1"}])

    def test_refusals(self, ddb, hash_t):
        expect_error(ddb.execute_transaction, "ValidationException", UNVERIFIED,  # message unverified
                     TransactStatements=[{"Statement": f"SELECT * FROM \"{hash_t}\" WHERE pk = 'a'"},
                                         {"Statement": f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'b'}}"}])
        expect_error(ddb.execute_transaction, "ValidationException",
                     "Transaction request cannot include multiple operations on one item",
                     TransactStatements=[{"Statement": f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'same'}}"},
                                         {"Statement": f"UPDATE \"{hash_t}\" SET a = 1 WHERE pk = 'same'"}])
        expect_error(ddb.execute_transaction, "ValidationException", UNVERIFIED,  # message unverified
                     TransactStatements=[{"Statement": f"UPDATE \"{hash_t}\" SET a = 1 WHERE pk = 'a' RETURNING ALL NEW *"}])
        expect_error(ddb.execute_transaction, "ValidationException", re.compile(re.escape(NOT_WELL_FORMED) + ".*"),
                     TransactStatements=[{"Statement": "SLECT 1"}])

    def test_client_request_token_is_idempotent(self, ddb, hash_t):
        run(ddb, f"INSERT INTO \"{hash_t}\" VALUE {{'pk': 'idem', 'n': 0}}")
        token = "tok-" + uid()
        stmts = [{"Statement": f"UPDATE \"{hash_t}\" SET n = n + 1 WHERE pk = 'idem'"}]
        ddb.execute_transaction(TransactStatements=stmts, ClientRequestToken=token)
        ddb.execute_transaction(TransactStatements=stmts, ClientRequestToken=token)
        assert get(ddb, hash_t, pk=S("idem"))["n"] == N(1)
        expect_error(ddb.execute_transaction, "IdempotentParameterMismatchException", UNVERIFIED,
                     TransactStatements=[{"Statement": f"UPDATE \"{hash_t}\" SET n = n + 2 WHERE pk = 'idem'"}],
                     ClientRequestToken=token)
