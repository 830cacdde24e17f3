"""Expressions: ConditionExpression, ProjectionExpression, UpdateExpression,
ExpressionAttributeNames/Values, their errors, and the legacy parameters
(Expected, AttributeUpdates, AttributesToGet).

Reference messages: architect/dynalite test/updateItem.js, putItem.js,
getItem.js; moto test_dynamodb_exceptions.py (tests marked aws_verified);
LowVoltage's tests that record the real-DynamoDB body; real-AWS error
reports quoted in issues/blogs (noted inline).
"""

from __future__ import annotations

import re

import pytest

from dynohelpers import UNVERIFIED, expect_error, normalize_item, unique_key

INVALID = "One or more parameter values were invalid: "
CCF = "The conditional request failed"


def key():
    return {"k": {"S": unique_key()}}


BASE_ITEM = {
    "n": {"N": "5"},
    "s": {"S": "hello"},
    "l": {"L": [{"N": "1"}, {"S": "two"}, {"M": {"x": {"N": "3"}}}]},
    "m": {"M": {"a": {"M": {"b": {"S": "c"}}}, "z": {"N": "0"}}},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2", "3"]},
    "bs": {"BS": [b"\x01"]},
    "t": {"BOOL": True},
    "nul": {"NULL": True},
    "bin": {"B": b"\x01\x02"},
}


@pytest.fixture
def item(ddb, hash_table):
    """A fresh item with every type; returns its key."""
    k = key()
    ddb.put_item(TableName=hash_table, Item={**k, **BASE_ITEM})
    return k


def get(ddb, table, k):
    return ddb.get_item(TableName=table, Key=k, ConsistentRead=True).get("Item")


def N(x):
    return {"N": str(x)}


def S(x):
    return {"S": x}


# ---------------------------------------------------------------------------
# ConditionExpression semantics
# ---------------------------------------------------------------------------

# (expression, ExpressionAttributeValues, ExpressionAttributeNames, passes)
CONDITIONS = [
    ("n = :v", {":v": N(5)}, None, True),
    ("n = :v", {":v": N(6)}, None, False),
    ("n = :v", {":v": N("5.000")}, None, True),
    ("n <> :v", {":v": N(6)}, None, True),
    ("n <> :v", {":v": N(5)}, None, False),
    ("n < :v", {":v": N(6)}, None, True),
    ("n < :v", {":v": N(5)}, None, False),
    ("n <= :v", {":v": N(5)}, None, True),
    ("n > :v", {":v": N(4)}, None, True),
    ("n > :v", {":v": N(5)}, None, False),
    ("n >= :v", {":v": N(6)}, None, False),
    ("n >= :v", {":v": N(-100)}, None, True),
    ("s < :v", {":v": S("hellp")}, None, True),
    ("s > :v", {":v": S("Hello")}, None, True),  # byte order: 'h' > 'H'
    ("bin < :v", {":v": {"B": b"\x01\x03"}}, None, True),
    ("n < :v", {":v": S("6")}, None, False),  # different types never compare true
    ("n <> :v", {":v": S("5")}, None, True),
    ("n BETWEEN :lo AND :hi", {":lo": N(4), ":hi": N(6)}, None, True),
    ("n BETWEEN :lo AND :hi", {":lo": N(5), ":hi": N(5)}, None, True),
    ("n BETWEEN :lo AND :hi", {":lo": N(6), ":hi": N(10)}, None, False),
    ("n IN (:a, :b)", {":a": N(1), ":b": N(5)}, None, True),
    ("n IN (:a, :b)", {":a": N(1), ":b": N(2)}, None, False),
    ("s IN (:a)", {":a": S("hello")}, None, True),
    ("attribute_exists(m.a.b)", None, None, True),
    ("attribute_exists(m.a.zz)", None, None, False),
    ("attribute_exists(l[2].x)", None, None, True),
    ("attribute_exists(l[7])", None, None, False),
    ("attribute_not_exists(nope)", None, None, True),
    ("attribute_not_exists(s)", None, None, False),
    ("attribute_type(n, :t)", {":t": S("N")}, None, True),
    ("attribute_type(ss, :t)", {":t": S("SS")}, None, True),
    ("attribute_type(nul, :t)", {":t": S("NULL")}, None, True),
    ("attribute_type(m, :t)", {":t": S("M")}, None, True),
    ("attribute_type(l, :t)", {":t": S("L")}, None, True),
    ("attribute_type(t, :t)", {":t": S("BOOL")}, None, True),
    ("attribute_type(n, :t)", {":t": S("S")}, None, False),
    ("attribute_type(nope, :t)", {":t": S("S")}, None, False),
    ("begins_with(s, :p)", {":p": S("he")}, None, True),
    ("begins_with(s, :p)", {":p": S("lo")}, None, False),
    ("begins_with(bin, :p)", {":p": {"B": b"\x01"}}, None, True),
    ("contains(s, :p)", {":p": S("ell")}, None, True),
    ("contains(s, :p)", {":p": S("bye")}, None, False),
    ("contains(ss, :p)", {":p": S("a")}, None, True),
    ("contains(ns, :p)", {":p": N(9)}, None, False),
    ("contains(l, :p)", {":p": S("two")}, None, True),
    ("size(s) = :v", {":v": N(5)}, None, True),
    ("size(l) = :v", {":v": N(3)}, None, True),
    ("size(ss) = :v", {":v": N(2)}, None, True),
    ("size(m) = :v", {":v": N(2)}, None, True),
    ("size(bin) = :v", {":v": N(2)}, None, True),
    ("size(s) > :v", {":v": N(5)}, None, False),
    ("NOT n = :v", {":v": N(6)}, None, True),
    ("NOT attribute_exists(s)", None, None, False),
    ("n = :v AND s = :w", {":v": N(5), ":w": S("hello")}, None, True),
    ("n = :v AND s = :w", {":v": N(5), ":w": S("nope")}, None, False),
    ("n = :v OR s = :w", {":v": N(6), ":w": S("hello")}, None, True),
    ("(n = :v OR s = :w) AND t = :t", {":v": N(6), ":w": S("hello"), ":t": {"BOOL": True}}, None, True),
    # AND binds tighter than OR: true OR (false AND false) is true.
    ("n = :v OR s = :w AND t = :f", {":v": N(5), ":w": S("x"), ":f": {"BOOL": False}}, None, True),
    ("l[1] = :v", {":v": S("two")}, None, True),
    ("l[2].x = :v", {":v": N(3)}, None, True),
    ("m.a.b = :v", {":v": S("c")}, None, True),
    ("#m.#a.#b = :v", {":v": S("c")}, {"#m": "m", "#a": "a", "#b": "b"}, True),
    ("#dotted = :v", {":v": S("c")}, {"#dotted": "m.a.b"}, False),  # a name is one attribute, not a path
    ("t = :v", {":v": {"BOOL": True}}, None, True),
    ("nul = :v", {":v": {"NULL": True}}, None, True),
    ("ss = :v", {":v": {"SS": ["b", "a"]}}, None, True),  # set equality ignores order
    ("m = :v", {":v": {"M": {"z": N(0), "a": {"M": {"b": S("c")}}}}}, None, True),
    ("n < size(s)", None, None, False),  # 5 < 5
]


@pytest.mark.parametrize("expr,values,names,passes", CONDITIONS, ids=[c[0] + (" -> pass" if c[3] else " -> fail") for c in CONDITIONS])
def test_condition_expression(ddb, hash_table, item, expr, values, names, passes):
    params = dict(TableName=hash_table, Key=item, ConditionExpression=expr,
                  UpdateExpression="SET touched = :touched")
    params["ExpressionAttributeValues"] = {":touched": {"BOOL": True}, **(values or {})}
    if names:
        params["ExpressionAttributeNames"] = names
    if passes:
        ddb.update_item(**params)
        assert get(ddb, hash_table, item)["touched"] == {"BOOL": True}
    else:
        expect_error(ddb.update_item, "ConditionalCheckFailedException", CCF, **params)
        assert "touched" not in get(ddb, hash_table, item)


class TestConditionalWrites:
    def test_put_if_not_exists(self, ddb, hash_table):
        k = key()
        ddb.put_item(TableName=hash_table, Item={**k, "v": N(1)}, ConditionExpression="attribute_not_exists(k)")
        expect_error(
            ddb.put_item,
            "ConditionalCheckFailedException",
            CCF,
            TableName=hash_table,
            Item={**k, "v": N(2)},
            ConditionExpression="attribute_not_exists(k)",
        )
        assert get(ddb, hash_table, k)["v"] == N(1)

    def test_condition_on_missing_item(self, ddb, hash_table):
        k = key()
        expect_error(
            ddb.delete_item, "ConditionalCheckFailedException", CCF,
            TableName=hash_table, Key=k, ConditionExpression="attribute_exists(k)",
        )
        expect_error(
            ddb.update_item, "ConditionalCheckFailedException", CCF,
            TableName=hash_table, Key=k, ConditionExpression="a = :a", ExpressionAttributeValues={":a": S("x")},
        )
        # A failed conditional update must not create the item.
        assert get(ddb, hash_table, k) is None

    def test_conditional_delete(self, ddb, hash_table, item):
        expect_error(
            ddb.delete_item, "ConditionalCheckFailedException", CCF,
            TableName=hash_table, Key=item, ConditionExpression="n > :v", ExpressionAttributeValues={":v": N(10)},
        )
        ddb.delete_item(TableName=hash_table, Key=item, ConditionExpression="n < :v", ExpressionAttributeValues={":v": N(10)})
        assert get(ddb, hash_table, item) is None

    @pytest.mark.parametrize("op", ["put_item", "update_item", "delete_item"])
    def test_return_values_on_condition_check_failure(self, ddb, hash_table, item, op):
        params = dict(TableName=hash_table, ConditionExpression="attribute_not_exists(s)",
                      ReturnValuesOnConditionCheckFailure="ALL_OLD")
        if op == "put_item":
            params["Item"] = {**item, "other": S("x")}
        else:
            params["Key"] = item
        resp = expect_error(getattr(ddb, op), "ConditionalCheckFailedException", CCF, **params)
        assert normalize_item(resp["Item"]) == normalize_item({**item, **BASE_ITEM})

    @pytest.mark.parametrize("op", ["put_item", "update_item", "delete_item"])
    def test_no_item_without_return_values_on_failure(self, ddb, hash_table, item, op):
        params = dict(TableName=hash_table, ConditionExpression="attribute_not_exists(s)")
        if op == "put_item":
            params["Item"] = {**item, "other": S("x")}
        else:
            params["Key"] = item
        resp = expect_error(getattr(ddb, op), "ConditionalCheckFailedException", CCF, **params)
        assert "Item" not in resp

    def test_condition_failure_body_shape(self, ddb, hash_table, item):
        # moto TestReturnValuesOnConditionCheckFailure (aws_verified): without
        # ALL_OLD the body carries lowercase "message"; with ALL_OLD it does
        # not (AWS uses "Message" there).
        resp = expect_error(
            ddb.put_item, "ConditionalCheckFailedException", CCF,
            TableName=hash_table, Item=item, ConditionExpression="attribute_not_exists(s)",
        )
        assert resp.get("message") == CCF
        resp = expect_error(
            ddb.put_item, "ConditionalCheckFailedException", CCF,
            TableName=hash_table, Item=item, ConditionExpression="attribute_not_exists(s)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        assert "message" not in resp

    def test_resource_condition_builder(self, dynamodb, hash_table):
        from boto3.dynamodb.conditions import Attr

        table = dynamodb.Table(hash_table)
        k = unique_key()
        table.put_item(Item={"k": k, "n": 1, "tags": {"a", "b"}})
        table.put_item(
            Item={"k": k, "n": 2},
            ConditionExpression=Attr("n").eq(1) & Attr("tags").contains("a") & Attr("missing").not_exists(),
        )
        assert table.get_item(Key={"k": k}, ConsistentRead=True)["Item"] == {"k": k, "n": 2}


# ---------------------------------------------------------------------------
# ConditionExpression errors
# ---------------------------------------------------------------------------


class TestConditionErrors:
    def put(self, ddb, table, **params):
        return ddb.put_item(TableName=table, Item=key(), **params)

    def test_syntax_error(self, ddb, hash_table):
        # LowVoltage test records the real-DynamoDB body for "foo".
        expect_error(
            self.put, "ValidationException",
            'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "foo"',
            ddb=ddb, table=hash_table, ConditionExpression="foo",
        )

    @pytest.mark.parametrize("expr", ["a = = :v", "a =", "(a = :v", "a = :v)", "a BETWEEN :v", "a IN ()"])
    def test_other_syntax_errors(self, ddb, hash_table, expr):
        params = dict(ConditionExpression=expr)
        if ":v" in expr:
            params["ExpressionAttributeValues"] = {":v": S("x")}
        resp = expect_error(
            self.put, "ValidationException", UNVERIFIED,  # message unverified: exact token/near text
            ddb=ddb, table=hash_table, **params,
        )
        assert resp["Error"]["Message"].startswith("Invalid ConditionExpression: Syntax error; token: ")

    def test_empty_expression(self, ddb, hash_table):
        expect_error(
            self.put, "ValidationException", "Invalid ConditionExpression: The expression can not be empty;",
            ddb=ddb, table=hash_table, ConditionExpression="",
        )

    def test_reserved_word(self, ddb, hash_table):
        # Real AWS report: "Invalid ConditionExpression: Attribute name is a
        # reserved keyword; reserved keyword: token" for "token = :token".
        expect_error(
            self.put, "ValidationException",
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: token",
            ddb=ddb, table=hash_table, ConditionExpression="token = :token",
            ExpressionAttributeValues={":token": S("x")},
        )

    def test_reserved_word_keeps_case(self, ddb, hash_table):
        # Real AWS report: "... reserved keyword: Value".
        expect_error(
            self.put, "ValidationException",
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Value",
            ddb=ddb, table=hash_table, ConditionExpression="Value = :v",
            ExpressionAttributeValues={":v": S("x")},
        )

    def test_reserved_word_via_name_is_fine(self, ddb, hash_table):
        ddb.put_item(
            TableName=hash_table, Item=key(), ConditionExpression="attribute_not_exists(#t)",
            ExpressionAttributeNames={"#t": "token"},
        )

    def test_undefined_name(self, ddb, hash_table):
        expect_error(
            self.put, "ValidationException",
            "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; "
            "attribute name: #x",
            ddb=ddb, table=hash_table, ConditionExpression="attribute_exists(#x)",
        )

    def test_undefined_value(self, ddb, hash_table):
        expect_error(
            self.put, "ValidationException",
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
            "attribute value: :v",
            ddb=ddb, table=hash_table, ConditionExpression="a = :v",
        )

    def test_unused_name(self, ddb, hash_table):
        # moto test_put_item_unused_attribute_name (aws_verified).
        expect_error(
            self.put, "ValidationException",
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}",
            ddb=ddb, table=hash_table, ConditionExpression="attribute_not_exists(body)",
            ExpressionAttributeNames={"#count": "count"},
        )

    def test_unused_value(self, ddb, hash_table):
        expect_error(
            self.put, "ValidationException",
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:c}",
            ddb=ddb, table=hash_table, ConditionExpression="a = :b",
            ExpressionAttributeValues={":b": S("x"), ":c": S("y")},
        )

    def test_empty_names_map(self, ddb, hash_table):
        expect_error(
            self.put, "ValidationException", "ExpressionAttributeNames must not be empty",
            ddb=ddb, table=hash_table, ConditionExpression="attribute_exists(a)", ExpressionAttributeNames={},
        )

    def test_empty_values_map(self, ddb, hash_table):
        expect_error(
            self.put, "ValidationException", "ExpressionAttributeValues must not be empty",
            ddb=ddb, table=hash_table, ConditionExpression="attribute_exists(a)", ExpressionAttributeValues={},
        )

    def test_invalid_value_key(self, ddb, hash_table):
        # moto test_scan_with_missing_value (aws_verified).
        expect_error(
            self.put, "ValidationException", 'ExpressionAttributeValues contains invalid key: Syntax error; key: "loc"',
            ddb=ddb, table=hash_table, ConditionExpression="a = :loc", ExpressionAttributeValues={"loc": S("x")},
        )

    def test_invalid_name_key(self, ddb, hash_table):
        expect_error(
            self.put, "ValidationException", 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"',
            ddb=ddb, table=hash_table, ConditionExpression="attribute_exists(a)", ExpressionAttributeNames={"a": "a"},
        )

    def test_invalid_value_in_values(self, ddb_raw, hash_table):
        expect_error(
            self.put, "ValidationException",
            "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
            "An string set  may not be empty for key :v",
            ddb=ddb_raw, table=hash_table, ConditionExpression="a = :v", ExpressionAttributeValues={":v": {"SS": []}},
        )

    def test_invalid_function(self, ddb, hash_table):
        expect_error(
            self.put, "ValidationException", "Invalid ConditionExpression: Invalid function name; function: foo",
            ddb=ddb, table=hash_table, ConditionExpression="foo(a)",
        )

    def test_invalid_attribute_type_name(self, ddb, hash_table):
        resp = expect_error(
            self.put, "ValidationException",
            UNVERIFIED,  # message unverified: order of the "valid types" list differs between sources
            ddb=ddb, table=hash_table, ConditionExpression="attribute_type(a, :t)", ExpressionAttributeValues={":t": S("XX")},
        )
        assert resp["Error"]["Message"].startswith(
            "Invalid ConditionExpression: Invalid attribute type name found; type: XX, valid types: {"
        )

    def test_size_of_value_operand(self, ddb, hash_table):
        # Sources disagree: dynalite reports the operand type (N), other
        # emulators "requires a document path".  # message unverified
        expect_error(
            self.put, "ValidationException", UNVERIFIED,
            ddb=ddb, table=hash_table, ConditionExpression="size(:v) > :w",
            ExpressionAttributeValues={":v": N(1), ":w": N(0)},
        )

    def test_wrong_number_of_operands(self, ddb, hash_table):
        resp = expect_error(
            self.put, "ValidationException", UNVERIFIED,  # message unverified (dynalite regex only)
            ddb=ddb, table=hash_table, ConditionExpression="begins_with(a)",
        )
        assert re.fullmatch(
            r"Invalid ConditionExpression: Incorrect number of operands for operator or function; "
            r"operator or function: begins_with, number of operands: 1",
            resp["Error"]["Message"],
        )

    def test_function_requires_path(self, ddb, hash_table):
        resp = expect_error(
            self.put, "ValidationException", UNVERIFIED,  # wording from dynalite's UpdateExpression regex
            ddb=ddb, table=hash_table, ConditionExpression="attribute_exists(:v)", ExpressionAttributeValues={":v": S("x")},
        )
        assert resp["Error"]["Message"] == (
            "Invalid ConditionExpression: Operator or function requires a document path; "
            "operator or function: attribute_exists"
        )

    def test_leading_underscore_is_syntax_error(self, ddb, hash_table):
        # dynalite putItem.js: attribute_not_exists(_c) -> Syntax error.
        resp = expect_error(
            self.put, "ValidationException", UNVERIFIED,  # message unverified beyond the prefix
            ddb=ddb, table=hash_table, ConditionExpression="attribute_not_exists(_c)",
        )
        assert resp["Error"]["Message"].startswith("Invalid ConditionExpression: Syntax error;")


# ---------------------------------------------------------------------------
# ProjectionExpression
# ---------------------------------------------------------------------------


class TestProjection:
    def test_top_level_attributes(self, ddb, hash_table, item):
        got = ddb.get_item(TableName=hash_table, Key=item, ProjectionExpression="n, s", ConsistentRead=True)["Item"]
        assert got == {"n": N(5), "s": S("hello")}

    def test_key_not_included_unless_asked(self, ddb, hash_table, item):
        got = ddb.get_item(TableName=hash_table, Key=item, ProjectionExpression="t", ConsistentRead=True)["Item"]
        assert got == {"t": {"BOOL": True}}

    def test_nested_paths_and_list_indexes(self, ddb, hash_table, item):
        got = ddb.get_item(
            TableName=hash_table, Key=item, ProjectionExpression="m.a.b, l[1], l[2].x", ConsistentRead=True
        )["Item"]
        # Selected list elements come back compacted, in index order.
        assert got == {
            "m": {"M": {"a": {"M": {"b": S("c")}}}},
            "l": {"L": [S("two"), {"M": {"x": N(3)}}]},
        }

    def test_missing_paths_are_ignored(self, ddb, hash_table, item):
        got = ddb.get_item(
            TableName=hash_table, Key=item, ProjectionExpression="nope, m.nope, l[9], s", ConsistentRead=True
        )["Item"]
        assert got == {"s": S("hello")}

    def test_nothing_matches_returns_empty_item(self, ddb, hash_table, item):
        got = ddb.get_item(TableName=hash_table, Key=item, ProjectionExpression="nope", ConsistentRead=True)
        assert got["Item"] == {}

    def test_names_in_projection(self, ddb, hash_table, item):
        got = ddb.get_item(
            TableName=hash_table, Key=item, ProjectionExpression="#m.#a", ConsistentRead=True,
            ExpressionAttributeNames={"#m": "m", "#a": "a"},
        )["Item"]
        assert got == {"m": {"M": {"a": {"M": {"b": S("c")}}}}}

    def test_empty_projection(self, ddb, hash_table, item):
        expect_error(
            ddb.get_item, "ValidationException", "Invalid ProjectionExpression: The expression can not be empty;",
            TableName=hash_table, Key=item, ProjectionExpression="",
        )

    def test_reserved_word_in_projection(self, ddb, hash_table, item):
        # Real AWS report (aws cli get-item --projection-expression "parameters.triggered_by").
        expect_error(
            ddb.get_item, "ValidationException",
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: parameters",
            TableName=hash_table, Key=item, ProjectionExpression="parameters.triggered_by",
        )

    def test_overlapping_projection_paths(self, ddb, hash_table, item):
        # Wording quoted from DynamoDB in alternator test_projection_expression.py.
        expect_error(
            ddb.get_item, "ValidationException",
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite "
            "one of these paths; path one: [s], path two: [s]",
            TableName=hash_table, Key=item, ProjectionExpression="s, n, s",
        )

    @pytest.mark.parametrize("expr", ["a, a.b", "a.b, a", "a.b, a.b[2]", "a, a.b[2].c", "a[1], a[1]"])
    def test_overlap_is_symbolic(self, ddb, hash_table, expr):
        # Overlap is checked on the paths alone, even for a missing item.
        resp = expect_error(
            ddb.get_item, "ValidationException", UNVERIFIED,  # message unverified beyond the prefix
            TableName=hash_table, Key=key(), ProjectionExpression=expr,
        )
        assert resp["Error"]["Message"].startswith(
            "Invalid ProjectionExpression: Two document paths overlap with each other;"
        )

    def test_conflicting_projection_paths(self, ddb, hash_table):
        expect_error(
            ddb.get_item, "ValidationException",
            "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite "
            "one of these paths; path one: [a, b], path two: [a, [1]]",
            TableName=hash_table, Key=key(), ProjectionExpression="a.b, a[1]",
        )

    @pytest.mark.parametrize("expr", ["a, b", "a.b, a.c", "a[1], a[2]", "a.b, a.c[2]", "a.b.d, a.b.e"])
    def test_non_overlapping_paths_are_fine(self, ddb, hash_table, expr):
        assert "Item" not in ddb.get_item(TableName=hash_table, Key=key(), ProjectionExpression=expr)

    @pytest.mark.parametrize(
        "expr", ["m.b", "m.a.b.c", "m[0]", "l.x", "l[1].x", "l[0][0]", "s.x", "s[0]"],
    )
    def test_type_mismatched_paths_project_nothing(self, ddb, hash_table, item, expr):
        # alternator: indexing a map as a list, a list as a map, or a scalar
        # as either yields an empty item.
        got = ddb.get_item(TableName=hash_table, Key=item, ProjectionExpression=expr, ConsistentRead=True)
        assert got["Item"] == {}

    def test_missing_item_with_projection_has_no_item(self, ddb, hash_table):
        assert "Item" not in ddb.get_item(TableName=hash_table, Key=key(), ProjectionExpression="x", ConsistentRead=True)

    def test_unused_name_in_get(self, ddb, hash_table, item):
        # moto test_get_item_unused_attribute_name (aws_verified).
        expect_error(
            ddb.get_item, "ValidationException",
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}",
            TableName=hash_table, Key=item, ProjectionExpression="s", ExpressionAttributeNames={"#count": "count"},
        )

    def test_names_without_projection(self, ddb, hash_table, item):
        # moto test_empty_expressionattributenames (aws_verified).
        expect_error(
            ddb.get_item, "ValidationException",
            "ExpressionAttributeNames can only be specified when using expressions",
            TableName=hash_table, Key=item, ExpressionAttributeNames={"#a": "a"},
        )

    def test_resource_projection(self, dynamodb, hash_table):
        table = dynamodb.Table(hash_table)
        k = unique_key()
        table.put_item(Item={"k": k, "a": {"b": [10, 20, 30]}, "c": "x"})
        got = table.get_item(Key={"k": k}, ProjectionExpression="a.b[2], c", ConsistentRead=True)["Item"]
        assert got == {"a": {"b": [30]}, "c": "x"}


# ---------------------------------------------------------------------------
# UpdateExpression semantics
# ---------------------------------------------------------------------------


class TestUpdateExpression:
    def update(self, ddb, table, k, expr, values=None, names=None, **extra):
        params = dict(TableName=table, Key=k, UpdateExpression=expr, ReturnValues="ALL_NEW", **extra)
        if values:
            params["ExpressionAttributeValues"] = values
        if names:
            params["ExpressionAttributeNames"] = names
        return ddb.update_item(**params).get("Attributes")

    def test_set_creates_item(self, ddb, hash_table):
        k = key()
        new = self.update(ddb, hash_table, k, "SET a = :a, b = :b", {":a": S("x"), ":b": N(2)})
        assert new == {**k, "a": S("x"), "b": N(2)}
        assert get(ddb, hash_table, k) == new

    def test_set_arithmetic(self, ddb, hash_table, item):
        new = self.update(
            ddb, hash_table, item, "SET n = n + :one, diff = n - :ten, added = :a + :b",
            {":one": N(1), ":ten": N(10), ":a": N("1.5"), ":b": N("2.25")},
        )
        # All right-hand sides read the *old* item.
        assert new["n"] == N(6)
        assert new["diff"] == N(-5)
        assert new["added"] == N("3.75")

    def test_arithmetic_keeps_38_digits(self, ddb, hash_table):
        k = key()
        self.update(ddb, hash_table, k, "SET n = :v", {":v": N("9" * 37)})
        new = self.update(ddb, hash_table, k, "SET n = n + :one", {":one": N(1)})
        assert new["n"] == N("1" + "0" * 37)

    def test_if_not_exists(self, ddb, hash_table, item):
        new = self.update(
            ddb, hash_table, item, "SET n = if_not_exists(n, :d), fresh = if_not_exists(fresh, :d)", {":d": N(100)}
        )
        assert new["n"] == N(5)
        assert new["fresh"] == N(100)

    def test_counter_with_if_not_exists(self, ddb, hash_table):
        k = key()
        for expected in (1, 2, 3):
            new = self.update(ddb, hash_table, k, "SET c = if_not_exists(c, :zero) + :one", {":zero": N(0), ":one": N(1)})
            assert new["c"] == N(expected)

    def test_list_append(self, ddb, hash_table, item):
        new = self.update(
            ddb, hash_table, item, "SET l = list_append(l, :tail), p = list_append(:head, l)",
            {":tail": {"L": [N(4)]}, ":head": {"L": [N(0)]}},
        )
        old = BASE_ITEM["l"]["L"]
        assert new["l"] == {"L": old + [N(4)]}
        assert new["p"] == {"L": [N(0)] + old}

    def test_nested_set(self, ddb, hash_table, item):
        new = self.update(ddb, hash_table, item, "SET m.a.b = :v, m.a.extra = :w, m.z = m.z + :one",
                          {":v": S("C"), ":w": N(1), ":one": N(1)})
        assert new["m"] == {"M": {"a": {"M": {"b": S("C"), "extra": N(1)}}, "z": N(1)}}

    def test_list_index_set(self, ddb, hash_table, item):
        new = self.update(ddb, hash_table, item, "SET l[0] = :v, l[2].x = :w", {":v": S("zero"), ":w": N(33)})
        assert new["l"] == {"L": [S("zero"), S("two"), {"M": {"x": N(33)}}]}

    def test_list_index_past_end_appends(self, ddb, hash_table):
        # dynalite updateItem.js "should update nested attributes": indexes
        # past the end append in index order.
        k = key()
        self.update(ddb, hash_table, k, "SET l = :l", {":l": {"L": [N(1), N(2)]}})
        new = self.update(ddb, hash_table, k, "SET l[10] = :a, l[5] = :b", {":a": S("a"), ":b": S("b")})
        assert new["l"] == {"L": [N(1), N(2), S("b"), S("a")]}

    def test_remove(self, ddb, hash_table, item):
        new = self.update(ddb, hash_table, item, "REMOVE s, m.a.b, l[0], nope")
        assert "s" not in new
        assert new["m"] == {"M": {"a": {"M": {}}, "z": N(0)}}
        assert new["l"] == {"L": [S("two"), {"M": {"x": N(3)}}]}

    def test_remove_several_list_indexes_uses_original_positions(self, ddb, hash_table):
        # Every path in an update expression resolves against the item as it
        # was before the update, so l[1] and l[2] are the original elements.
        k = key()
        self.update(ddb, hash_table, k, "SET l = :l", {":l": {"L": [N(0), N(1), N(2), N(3)]}})
        new = self.update(ddb, hash_table, k, "REMOVE l[1], l[2]")
        assert new["l"] == {"L": [N(0), N(3)]}

    def test_add_number(self, ddb, hash_table, item):
        new = self.update(ddb, hash_table, item, "ADD n :d, fresh :d", {":d": N(-2)})
        assert new["n"] == N(3)
        assert new["fresh"] == N(-2)

    def test_add_to_sets(self, ddb, hash_table, item):
        new = self.update(
            ddb, hash_table, item, "ADD ss :s, ns :n, bs :b, newset :s",
            {":s": {"SS": ["b", "c"]}, ":n": {"NS": ["3", "4"]}, ":b": {"BS": [b"\x02"]}},
        )
        assert sorted(new["ss"]["SS"]) == ["a", "b", "c"]
        assert sorted(new["ns"]["NS"]) == ["1", "2", "3", "4"]
        assert sorted(new["bs"]["BS"]) == [b"\x01", b"\x02"]
        assert sorted(new["newset"]["SS"]) == ["b", "c"]

    def test_delete_from_set(self, ddb, hash_table, item):
        new = self.update(ddb, hash_table, item, "DELETE ns :n, ss :s, absent :s",
                          {":n": {"NS": ["1", "9"]}, ":s": {"SS": ["a", "b"]}})
        assert sorted(new["ns"]["NS"]) == ["2", "3"]
        # Removing every element removes the attribute.
        assert "ss" not in new
        assert "absent" not in new

    def test_all_four_clauses(self, ddb, hash_table, item):
        new = self.update(
            ddb, hash_table, item, "SET a = :a REMOVE s ADD n :one DELETE ss :x",
            {":a": S("A"), ":one": N(1), ":x": {"SS": ["a"]}},
        )
        assert new["a"] == S("A")
        assert "s" not in new
        assert new["n"] == N(6)
        assert new["ss"] == {"SS": ["b"]}

    def test_clauses_are_case_insensitive(self, ddb, hash_table, item):
        new = self.update(ddb, hash_table, item, "set a = :a remove s add n :one", {":a": S("A"), ":one": N(1)})
        assert new["a"] == S("A") and "s" not in new and new["n"] == N(6)

    def test_names_and_values(self, ddb, hash_table, item):
        new = self.update(
            ddb, hash_table, item, "SET #name = :v, #m.#a.#b = :v",
            {":v": S("x")}, {"#name": "name", "#m": "m", "#a": "a", "#b": "b"},
        )
        assert new["name"] == S("x")
        assert new["m"]["M"]["a"] == {"M": {"b": S("x")}}

    def test_set_from_other_attribute(self, ddb, hash_table, item):
        new = self.update(ddb, hash_table, item, "SET cp = m.a, head0 = l[0]")
        assert new["cp"] == BASE_ITEM["m"]["M"]["a"]
        assert new["head0"] == N(1)

    def test_resource_update(self, dynamodb, hash_table):
        table = dynamodb.Table(hash_table)
        k = unique_key()
        table.put_item(Item={"k": k, "count": 1, "tags": {"a"}})
        resp = table.update_item(
            Key={"k": k},
            UpdateExpression="SET #c = #c + :inc ADD tags :t",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={":inc": 2, ":t": {"b"}},
            ReturnValues="UPDATED_NEW",
        )
        assert resp["Attributes"] == {"count": 3, "tags": {"a", "b"}}


# ---------------------------------------------------------------------------
# UpdateExpression errors
# ---------------------------------------------------------------------------


class TestUpdateErrors:
    def upd(self, ddb, table, k=None, **params):
        return ddb.update_item(TableName=table, Key=k or key(), **params)

    @pytest.mark.parametrize("expr", ["SET k = :v", "SET #k = :v", "REMOVE k", "ADD k :n", "SET a = :v, k = :v"])
    def test_cannot_update_hash_key(self, ddb, hash_table, expr):
        values = {}
        if ":v" in expr:
            values[":v"] = S("x")
        if ":n" in expr:
            values[":n"] = N(1)
        params = dict(UpdateExpression=expr)
        if values:
            params["ExpressionAttributeValues"] = values
        if "#k" in expr:
            params["ExpressionAttributeNames"] = {"#k": "k"}
        expect_error(
            self.upd, "ValidationException", INVALID + "Cannot update attribute k. This attribute is part of the key",
            ddb=ddb, table=hash_table, **params,
        )

    def test_cannot_update_range_key(self, ddb, range_table):
        expect_error(
            self.upd, "ValidationException", INVALID + "Cannot update attribute r. This attribute is part of the key",
            ddb=ddb, table=range_table, k={"k": S(unique_key()), "r": N(1)},
            UpdateExpression="SET r = :v", ExpressionAttributeValues={":v": N(2)},
        )

    def test_cannot_update_key_legacy(self, ddb, hash_table):
        expect_error(
            self.upd, "ValidationException", INVALID + "Cannot update attribute k. This attribute is part of the key",
            ddb=ddb, table=hash_table, AttributeUpdates={"k": {"Action": "PUT", "Value": S("y")}},
        )

    @pytest.mark.parametrize("section", ["SET", "REMOVE", "ADD", "DELETE"])
    def test_section_used_twice(self, ddb, hash_table, section):
        exprs = {
            "SET": ("SET a = :v SET b = :v", {":v": S("x")}),
            "REMOVE": ("REMOVE a SET b = :v REMOVE c", {":v": S("x")}),
            "ADD": ("ADD x :one SET a = :v ADD y :one", {":v": S("x"), ":one": N(1)}),
            "DELETE": ("DELETE s :ss SET a = :v DELETE t :ss", {":v": S("x"), ":ss": {"SS": ["a"]}}),
        }
        expr, values = exprs[section]
        # moto TestUpdateExpressionClausesWithClashingExpressions (aws_verified).
        expect_error(
            self.upd, "ValidationException",
            f'Invalid UpdateExpression: The "{section}" section can only be used once in an update expression;',
            ddb=ddb, table=hash_table, UpdateExpression=expr, ExpressionAttributeValues=values,
        )

    def test_overlapping_paths_exact(self, ddb, hash_table):
        expect_error(
            self.upd, "ValidationException",
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of "
            "these paths; path one: [a, b], path two: [a, b]",
            ddb=ddb, table=hash_table, UpdateExpression="SET a.b = :h, a.b = :h", ExpressionAttributeValues={":h": S("H")},
        )

    def test_overlapping_paths_uses_resolved_names(self, ddb, hash_table):
        expect_error(
            self.upd, "ValidationException",
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of "
            "these paths; path one: [string_set], path two: [string_set]",
            ddb=ddb, table=hash_table, UpdateExpression="SET #s = :h, #s = :h",
            ExpressionAttributeNames={"#s": "string_set"}, ExpressionAttributeValues={":h": S("H")},
        )

    @pytest.mark.parametrize(
        "expr,values",
        [
            ("SET a = :h, a.nested = :h", {":h": S("H")}),
            ("REMOVE a SET a.nested = :h", {":h": S("H")}),
            ("ADD s :ss DELETE s :ss", {":ss": {"SS": ["c"]}}),
        ],
    )
    def test_overlapping_paths_prefix(self, ddb, hash_table, expr, values):
        resp = expect_error(
            self.upd, "ValidationException", UNVERIFIED,  # message unverified beyond the prefix
            ddb=ddb, table=hash_table, UpdateExpression=expr, ExpressionAttributeValues=values,
        )
        assert resp["Error"]["Message"].startswith("Invalid UpdateExpression: Two document paths overlap with each other;")

    def test_conflicting_paths(self, ddb, hash_table):
        # dynalite updateItem.js: map lookup vs list index on the same parent.
        expect_error(
            self.upd, "ValidationException",
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of "
            "these paths; path one: [a, c], path two: [a, [1]]",
            ddb=ddb, table=hash_table, UpdateExpression="REMOVE a.c SET a[1] = :v", ExpressionAttributeValues={":v": S("x")},
        )

    @pytest.mark.parametrize("expr", ["whatever", "SET a", "SET a = ", "REMOVE a = b", "SET a = :v,", "ADD a"])
    def test_syntax_errors(self, ddb, hash_table, expr):
        params = dict(UpdateExpression=expr)
        if ":v" in expr:
            params["ExpressionAttributeValues"] = {":v": S("x")}
        resp = expect_error(
            self.upd, "ValidationException", UNVERIFIED,  # message unverified: exact token/near text
            ddb=ddb, table=hash_table, **params,
        )
        assert resp["Error"]["Message"].startswith("Invalid UpdateExpression: Syntax error; ")

    def test_empty_update_expression(self, ddb, hash_table):
        expect_error(
            self.upd, "ValidationException", "Invalid UpdateExpression: The expression can not be empty;",
            ddb=ddb, table=hash_table, UpdateExpression="",
        )

    def test_reserved_word(self, ddb, hash_table):
        expect_error(
            self.upd, "ValidationException",
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Absolute",
            ddb=ddb, table=hash_table, UpdateExpression="REMOVE Absolute",
        )

    def test_undefined_name(self, ddb, hash_table):
        expect_error(
            self.upd, "ValidationException",
            "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
            "attribute name: #c",
            ddb=ddb, table=hash_table, UpdateExpression="SET #c = :v",
            ExpressionAttributeValues={":v": S("x")},
        )

    def test_undefined_value(self, ddb, hash_table):
        expect_error(
            self.upd, "ValidationException",
            "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
            "attribute value: :c",
            ddb=ddb, table=hash_table, UpdateExpression="SET a = :c",
        )

    def test_unused_name(self, ddb, hash_table):
        # moto test_update_item_unused_attribute_name (aws_verified).
        expect_error(
            self.upd, "ValidationException",
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}",
            ddb=ddb, table=hash_table, UpdateExpression="ADD am :limit",
            ExpressionAttributeNames={"#count": "count"}, ExpressionAttributeValues={":limit": N(2)},
        )

    def test_unused_values(self, ddb, hash_table):
        resp = expect_error(
            self.upd, "ValidationException", UNVERIFIED,  # checked by regex below (set order varies)
            ddb=ddb, table=hash_table, UpdateExpression="REMOVE a", ConditionExpression="a = :b",
            ExpressionAttributeValues={":a": S("a"), ":b": S("a"), ":c": S("a")},
        )
        assert re.fullmatch(
            r"Value provided in ExpressionAttributeValues unused in expressions: keys: \{(:c, :a|:a, :c)\}",
            resp["Error"]["Message"],
        )

    def test_unused_names_across_update_and_condition(self, ddb, hash_table):
        # Names used only in the ConditionExpression count as used.
        ddb.update_item(
            TableName=hash_table, Key=key(), UpdateExpression="SET #a = :v", ConditionExpression="attribute_not_exists(#b)",
            ExpressionAttributeNames={"#a": "a", "#b": "b"}, ExpressionAttributeValues={":v": S("x")},
        )

    def test_invalid_function(self, ddb, hash_table):
        resp = expect_error(
            self.upd, "ValidationException", UNVERIFIED,  # message unverified beyond the prefix (dynalite)
            ddb=ddb, table=hash_table, UpdateExpression="SET a = if_not_exist(a, :v)", ExpressionAttributeValues={":v": S("x")},
        )
        assert resp["Error"]["Message"].startswith("Invalid UpdateExpression: Invalid function name; function: ")

    @pytest.mark.parametrize(
        "expr,values,operator,operand",
        [
            ("SET a = a + :v", {":v": S("a")}, "+", "S"),
            ("SET a = :v - a", {":v": {"B": b"a"}}, "-", "B"),
            ("SET a = a + :v", {":v": {"BOOL": True}}, "+", "BOOL"),
            ("SET a = a + :v", {":v": {"SS": ["a"]}}, "+", "SS"),
            ("SET a = list_append(:v, a)", {":v": S("a")}, "list_append", "S"),
            ("SET a = list_append(a, :v)", {":v": N(1)}, "list_append", "N"),
            ("SET a = list_append(:v, a)", {":v": {"M": {}}}, "list_append", "M"),
        ],
    )
    def test_static_operand_type_errors_set(self, ddb, hash_table, expr, values, operator, operand):
        expect_error(
            self.upd, "ValidationException",
            f"Invalid UpdateExpression: Incorrect operand type for operator or function; "
            f"operator or function: {operator}, operand type: {operand}",
            ddb=ddb, table=hash_table, UpdateExpression=expr, ExpressionAttributeValues=values,
        )

    @pytest.mark.parametrize(
        "expr,value,operator,operand",
        [
            ("ADD a :v", S("1"), "ADD", "STRING"),
            ("ADD a :v", {"B": b"a"}, "ADD", "BINARY"),
            ("ADD a :v", {"BOOL": True}, "ADD", "BOOLEAN"),
            ("ADD a :v", {"L": [N(1)]}, "ADD", "LIST"),
            ("ADD a :v", {"M": {}}, "ADD", "MAP"),
            ("DELETE a :v", N(1), "DELETE", "NUMBER"),
            ("DELETE a :v", S("1"), "DELETE", "STRING"),
            ("DELETE a :v", {"L": [N(1)]}, "DELETE", "LIST"),
        ],
    )
    def test_static_operand_type_errors_add_delete(self, ddb, hash_table, expr, value, operator, operand):
        expect_error(
            self.upd, "ValidationException",
            f"Invalid UpdateExpression: Incorrect operand type for operator or function; "
            f"operator: {operator}, operand type: {operand}",
            ddb=ddb, table=hash_table, UpdateExpression=expr, ExpressionAttributeValues={":v": value},
        )

    @pytest.mark.parametrize(
        "expr,values",
        [
            ("ADD s :n", {":n": N(1)}),  # s is a string
            ("ADD n :ss", {":ss": {"SS": ["a"]}}),  # n is a number
            ("DELETE ns :ss", {":ss": {"SS": ["1"]}}),  # NS minus SS
            ("SET x = s + :n", {":n": N(1)}),
            ("SET x = list_append(m, :l)", {":l": {"L": []}}),
        ],
    )
    def test_runtime_operand_type_errors(self, ddb, hash_table, item, expr, values):
        expect_error(
            self.upd, "ValidationException", "An operand in the update expression has an incorrect data type",
            ddb=ddb, table=hash_table, k=item, UpdateExpression=expr, ExpressionAttributeValues=values,
        )

    @pytest.mark.parametrize("expr", ["SET c = b", "SET e = list_append(b, c)", "SET n2 = nope + :one"])
    def test_reference_to_missing_attribute(self, ddb, hash_table, expr):
        params = dict(UpdateExpression=expr)
        if ":one" in expr:
            params["ExpressionAttributeValues"] = {":one": N(1)}
        expect_error(
            self.upd, "ValidationException", "The provided expression refers to an attribute that does not exist in the item",
            ddb=ddb, table=hash_table, **params,
        )

    @pytest.mark.parametrize("expr", ["SET nope.a = :v", "SET nope[1] = :v", "SET s.a = :v", "SET m[0] = :v"])
    def test_invalid_document_path(self, ddb, hash_table, item, expr):
        expect_error(
            self.upd, "ValidationException", "The document path provided in the update expression is invalid for update",
            ddb=ddb, table=hash_table, k=item, UpdateExpression=expr, ExpressionAttributeValues={":v": S("x")},
        )

    def test_failed_update_changes_nothing(self, ddb, hash_table, item):
        expect_error(
            self.upd, "ValidationException", "The provided expression refers to an attribute that does not exist in the item",
            ddb=ddb, table=hash_table, k=item, UpdateExpression="SET a = :v, b = nope",
            ExpressionAttributeValues={":v": S("x")},
        )
        assert normalize_item(get(ddb, hash_table, item)) == normalize_item({**item, **BASE_ITEM})


# ---------------------------------------------------------------------------
# Legacy parameters
# ---------------------------------------------------------------------------


class TestLegacyParameters:
    def test_attribute_updates_put_add_delete(self, ddb, hash_table, item):
        resp = ddb.update_item(
            TableName=hash_table, Key=item, ReturnValues="UPDATED_NEW",
            AttributeUpdates={
                "s": {"Action": "PUT", "Value": S("bye")},
                "n": {"Action": "ADD", "Value": N(10)},
                "ss": {"Action": "ADD", "Value": {"SS": ["z"]}},
                "ns": {"Action": "DELETE", "Value": {"NS": ["1"]}},
                "t": {"Action": "DELETE"},
                "newnum": {"Action": "ADD", "Value": N(3)},
            },
        )
        attrs = resp["Attributes"]
        assert attrs["s"] == S("bye")
        assert attrs["n"] == N(15)
        assert sorted(attrs["ss"]["SS"]) == ["a", "b", "z"]
        assert sorted(attrs["ns"]["NS"]) == ["2", "3"]
        assert attrs["newnum"] == N(3)
        assert "t" not in get(ddb, hash_table, item)

    def test_attribute_updates_default_action_is_put(self, ddb, hash_table):
        k = key()
        ddb.update_item(TableName=hash_table, Key=k, AttributeUpdates={"a": {"Value": S("x")}})
        assert get(ddb, hash_table, k) == {**k, "a": S("x")}

    def test_attribute_updates_add_list_appends(self, ddb, hash_table, item):
        resp = ddb.update_item(
            TableName=hash_table, Key=item, ReturnValues="UPDATED_NEW",
            AttributeUpdates={"l": {"Action": "ADD", "Value": {"L": [S("x")]}}},
        )
        assert resp["Attributes"]["l"] == {"L": BASE_ITEM["l"]["L"] + [S("x")]}

    def test_attribute_updates_value_required_for_put(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.update_item, "ValidationException",
            INVALID + "Only DELETE action is allowed when no attribute value is specified",
            TableName=hash_table, Key=key(), AttributeUpdates={"a": {"Action": "PUT"}},
        )

    def test_attribute_updates_add_wrong_type(self, ddb, hash_table):
        expect_error(
            ddb.update_item, "ValidationException", INVALID + "ADD action is not supported for the type S",
            TableName=hash_table, Key=key(), AttributeUpdates={"a": {"Action": "ADD", "Value": S("x")}},
        )

    def test_expected_semantics(self, ddb, hash_table, item):
        ddb.put_item(TableName=hash_table, Item={**item, **BASE_ITEM, "v": N(1)},
                     Expected={"s": {"Value": S("hello")}, "nope": {"Exists": False}})
        ddb.put_item(TableName=hash_table, Item={**item, **BASE_ITEM, "v": N(2)},
                     Expected={"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1), N(9)]},
                               "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("he")]}})
        expect_error(
            ddb.put_item, "ConditionalCheckFailedException", CCF,
            TableName=hash_table, Item={**item, "v": N(3)}, Expected={"s": {"Exists": False}},
        )
        # ConditionalOperator OR: one true member is enough.
        ddb.put_item(
            TableName=hash_table, Item={**item, **BASE_ITEM, "v": N(4)},
            Expected={
                "s": {"ComparisonOperator": "NULL"},
                "n": {"ComparisonOperator": "EQ", "AttributeValueList": [N(5)]},
            },
            ConditionalOperator="OR",
        )
        assert get(ddb, hash_table, item)["v"] == N(4)

    def test_expected_validation(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.put_item, "ValidationException",
            INVALID + "Value must be provided when Exists is true for Attribute: a",
            TableName=hash_table, Item=key(), Expected={"a": {"Exists": True}},
        )
        expect_error(
            ddb_raw.put_item, "ValidationException",
            INVALID + "Value cannot be used when Exists is false for Attribute: a",
            TableName=hash_table, Item=key(), Expected={"a": {"Exists": False, "Value": S("a")}},
        )
        expect_error(
            ddb_raw.put_item, "ValidationException",
            INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
            TableName=hash_table, Item=key(),
            Expected={"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1)]}},
        )

    def test_attributes_to_get(self, ddb, hash_table, item):
        got = ddb.get_item(TableName=hash_table, Key=item, AttributesToGet=["s", "n", "nope"], ConsistentRead=True)
        assert got["Item"] == {"s": S("hello"), "n": N(5)}

    def test_mixing_expected_and_condition_expression(self, ddb, hash_table):
        expect_error(
            ddb.put_item, "ValidationException",
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
            TableName=hash_table, Item=key(), Expected={"a": {"Exists": False}}, ConditionExpression="attribute_not_exists(a)",
        )

    def test_mixing_attribute_updates_and_update_expression(self, ddb, hash_table):
        expect_error(
            ddb.update_item, "ValidationException",
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
            TableName=hash_table, Key=key(), AttributeUpdates={"a": {"Action": "PUT", "Value": S("x")}},
            UpdateExpression="SET b = :b", ExpressionAttributeValues={":b": S("y")},
        )

    def test_mixing_attributes_to_get_and_projection(self, ddb, hash_table):
        expect_error(
            ddb.get_item, "ValidationException",
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            TableName=hash_table, Key=key(), AttributesToGet=["a"], ProjectionExpression="a",
        )

    def test_values_without_expression(self, ddb, hash_table):
        expect_error(
            ddb.put_item, "ValidationException",
            "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null",
            TableName=hash_table, Item=key(), ExpressionAttributeValues={":a": S("x")},
        )

    def test_values_without_expression_update(self, ddb, hash_table):
        expect_error(
            ddb.update_item, "ValidationException",
            "ExpressionAttributeValues can only be specified when using expressions: "
            "UpdateExpression and ConditionExpression are null",
            TableName=hash_table, Key=key(), ExpressionAttributeValues={":a": S("x")},
        )
