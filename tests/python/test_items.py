"""Data plane basics: PutItem / GetItem / UpdateItem / DeleteItem.

Type round-trips (low-level client and resource), number precision and
normalisation, attribute-value validation, key validation, item size,
ReturnValues and ReturnConsumedCapacity.

Reference messages: architect/dynalite test/putItem.js, getItem.js,
updateItem.js, deleteItem.js (captured against real DynamoDB); moto
test_dynamodb_exceptions.py (aws_verified where noted).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary

from dynohelpers import (
    MAX_ITEM_SIZE,
    UNVERIFIED,
    expect_error,
    normalize_item,
    unique_key,
    unique_name,
)

INVALID = "One or more parameter values were invalid: "


def k(value=None):
    return {"k": {"S": value or unique_key()}}


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------


class TestRoundTrip:
    ALL_TYPES = {
        "s": {"S": "hello \u00e9\u4e16\U0001F600"},
        "s_empty": {"S": ""},
        "n": {"N": "-56.789"},
        "n_int": {"N": "42"},
        "b": {"B": b"\x00\x01\xfe\xff"},
        "b_empty": {"B": b""},
        "t": {"BOOL": True},
        "f": {"BOOL": False},
        "nul": {"NULL": True},
        "ss": {"SS": ["a", "b", "c"]},
        "ns": {"NS": ["1", "-2.5", "300"]},
        "bs": {"BS": [b"\x01", b"\x02\x03"]},
        "l": {
            "L": [
                {"S": "a"},
                {"N": "1"},
                {"B": b"x"},
                {"BOOL": True},
                {"NULL": True},
                {"SS": ["a"]},
                {"NS": ["1"]},
                {"BS": [b"y"]},
                {"L": []},
                {"M": {}},
            ]
        },
        "m": {
            "M": {
                "nested": {"M": {"deeper": {"L": [{"M": {"x": {"N": "1"}}}]}}},
                "empty_l": {"L": []},
                "empty_m": {"M": {}},
                "s": {"S": "v"},
            }
        },
    }

    def test_every_type_low_level(self, ddb, hash_table):
        item = {**k(), **self.ALL_TYPES}
        assert ddb.put_item(TableName=hash_table, Item=item).keys() <= {"ResponseMetadata"}
        got = ddb.get_item(TableName=hash_table, Key={"k": item["k"]}, ConsistentRead=True)
        assert normalize_item(got["Item"]) == normalize_item(item)

    def test_every_type_resource(self, dynamodb, hash_table):
        table = dynamodb.Table(hash_table)
        item = {
            "k": unique_key(),
            "s": "text",
            "s_empty": "",
            "n": Decimal("3.14159"),
            "i": 7,
            "neg": Decimal("-0.5"),
            "b": Binary(b"\x00bin"),
            "t": True,
            "f": False,
            "nul": None,
            "ss": {"x", "y"},
            "ns": {Decimal("1"), Decimal("2.5")},
            "bs": {Binary(b"a"), Binary(b"b")},
            "l": ["a", Decimal("1"), None, True, {"m": "v"}, ["nested"]],
            "m": {"a": {"b": {"c": Decimal("1")}}},
        }
        table.put_item(Item=item)
        got = table.get_item(Key={"k": item["k"]}, ConsistentRead=True)["Item"]
        expected = dict(item, i=Decimal("7"))
        assert got == expected
        assert isinstance(got["n"], Decimal)
        assert isinstance(got["b"], Binary)
        assert got["bs"] == {Binary(b"a"), Binary(b"b")}

    def test_number_key_and_binary_key(self, ddb, num_table, bin_table):
        ddb.put_item(TableName=num_table, Item={"k": {"N": "12.50"}, "v": {"S": "x"}})
        # Numerically equal key spellings address the same item.
        got = ddb.get_item(TableName=num_table, Key={"k": {"N": "1.25e1"}}, ConsistentRead=True)["Item"]
        assert got == {"k": {"N": "12.5"}, "v": {"S": "x"}}

        ddb.put_item(TableName=bin_table, Item={"k": {"B": b"\x00\xff"}, "v": {"S": "y"}})
        got = ddb.get_item(TableName=bin_table, Key={"k": {"B": b"\x00\xff"}}, ConsistentRead=True)["Item"]
        assert got == {"k": {"B": b"\x00\xff"}, "v": {"S": "y"}}

    def test_range_key_items_are_distinct(self, ddb, range_table):
        h = unique_key()
        ddb.put_item(TableName=range_table, Item={"k": {"S": h}, "r": {"N": "1"}, "v": {"S": "one"}})
        ddb.put_item(TableName=range_table, Item={"k": {"S": h}, "r": {"N": "2"}, "v": {"S": "two"}})
        got = ddb.get_item(TableName=range_table, Key={"k": {"S": h}, "r": {"N": "2"}}, ConsistentRead=True)
        assert got["Item"]["v"] == {"S": "two"}

    def test_put_replaces_whole_item(self, ddb, hash_table):
        key = k()
        ddb.put_item(TableName=hash_table, Item={**key, "a": {"S": "1"}, "b": {"S": "2"}})
        ddb.put_item(TableName=hash_table, Item={**key, "c": {"S": "3"}})
        got = ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]
        assert got == {**key, "c": {"S": "3"}}

    def test_get_missing_item_has_no_item_member(self, ddb, hash_table):
        got = ddb.get_item(TableName=hash_table, Key=k())
        assert "Item" not in got

    def test_consistent_read_sees_latest_write(self, ddb, hash_table):
        key = k()
        for i in range(5):
            ddb.put_item(TableName=hash_table, Item={**key, "v": {"N": str(i)}})
            got = ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]
            assert got["v"] == {"N": str(i)}

    def test_delete_item(self, ddb, hash_table):
        key = k()
        ddb.put_item(TableName=hash_table, Item={**key, "v": {"S": "x"}})
        resp = ddb.delete_item(TableName=hash_table, Key=key)
        assert "Attributes" not in resp
        assert "Item" not in ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)
        # Deleting a missing item is not an error.
        ddb.delete_item(TableName=hash_table, Key=key)

    def test_update_item_without_actions_creates_key_only_item(self, ddb, hash_table):
        key = k()
        assert "Attributes" not in ddb.update_item(TableName=hash_table, Key=key)
        assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"] == key

    def test_attribute_names_are_case_sensitive_and_unicode(self, ddb, hash_table):
        item = {**k(), "a": {"S": "lower"}, "A": {"S": "upper"}, "\u00e9t\u00e9": {"S": "utf8"}}
        ddb.put_item(TableName=hash_table, Item=item)
        assert ddb.get_item(TableName=hash_table, Key={"k": item["k"]}, ConsistentRead=True)["Item"] == item


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------


class TestNumbers:
    @pytest.mark.parametrize(
        "sent,stored",
        [
            ("1.50", "1.5"),
            ("0001.000", "1"),
            ("-0015.789e6", "-15789000"),  # dynalite putItem.js
            ("1E+2", "100"),
            ("0.0", "0"),
            ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
            ("0000012345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
            ("-00001.23456789012345678901234567890123456780000", "-1.2345678901234567890123456789012345678"),
            ("0009.99999999999999999999999999999999999990000e125", "9" * 38 + "0" * 88),
            ("-0009.99999999999999999999999999999999999990000e125", "-" + "9" * 38 + "0" * 88),
            ("0001.000e-130", "0." + "0" * 129 + "1"),
            ("-0001.000e-130", "-0." + "0" * 129 + "1"),
        ],
    )
    def test_normalisation(self, ddb, hash_table, sent, stored):
        key = k()
        ddb.put_item(TableName=hash_table, Item={**key, "n": {"N": sent}, "ns": {"NS": [sent]}})
        got = ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]
        assert got["n"] == {"N": stored}
        assert got["ns"] == {"NS": [stored]}

    def test_38_digit_precision_resource(self, dynamodb, hash_table):
        table = dynamodb.Table(hash_table)
        key = unique_key()
        value = Decimal("1234567890.1234567890123456789012345678")
        table.put_item(Item={"k": key, "n": value})
        assert table.get_item(Key={"k": key}, ConsistentRead=True)["Item"]["n"] == value

    @pytest.mark.parametrize(
        "value,message",
        [
            ("123456789012345678901234567890123456789", "Attempting to store more than 38 significant digits in a Number"),
            ("-1.23456789012345678901234567890123456789", "Attempting to store more than 38 significant digits in a Number"),
            ("1e126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
            ("-1e126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
            ("1e-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
            ("-1e-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
            ("b", "The parameter cannot be converted to a numeric value: b"),
            ("", "The parameter cannot be converted to a numeric value"),
        ],
    )
    def test_invalid_numbers(self, ddb_raw, hash_table, value, message):
        expect_error(ddb_raw.put_item, "ValidationException", message, TableName=hash_table, Item={**k(), "n": {"N": value}})

    def test_invalid_number_in_set(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.put_item,
            "ValidationException",
            "The parameter cannot be converted to a numeric value: b",
            TableName=hash_table,
            Item={**k(), "ns": {"NS": ["1", "b", "a"]}},
        )

    def test_invalid_number_in_key(self, ddb_raw, num_table):
        expect_error(
            ddb_raw.get_item,
            "ValidationException",
            "Attempting to store more than 38 significant digits in a Number",
            TableName=num_table,
            Key={"k": {"N": "123456789012345678901234567890123456789"}},
        )


# ---------------------------------------------------------------------------
# Attribute value validation
# ---------------------------------------------------------------------------


class TestAttributeValueValidation:
    @pytest.mark.parametrize(
        "value,message",
        [
            ({"SS": []}, INVALID + "An string set  may not be empty"),  # sic: two spaces (moto aws_verified)
            ({"NS": []}, INVALID + "An number set  may not be empty"),
            ({"BS": []}, INVALID + "Binary sets should not be empty"),
            ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
            ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
            ({"BS": [b"b", b"b"]}, INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
            ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
        ],
        ids=["empty-SS", "empty-NS", "empty-BS", "dup-SS", "dup-NS", "dup-BS", "NULL-false"],
    )
    def test_invalid_values(self, ddb_raw, hash_table, value, message):
        expect_error(ddb_raw.put_item, "ValidationException", message, TableName=hash_table, Item={**k(), "a": value})

    def test_invalid_value_nested_in_map(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.put_item,
            "ValidationException",
            INVALID + "An string set  may not be empty",
            TableName=hash_table,
            Item={**k(), "m": {"M": {"inner": {"SS": []}}}},
        )

    @pytest.mark.parametrize("value", [{}, {"M": {"a": {}}}, {"L": [{}]}], ids=["empty", "in-map", "in-list"])
    def test_empty_attribute_value(self, ddb_raw, hash_table, value):
        expect_error(
            ddb_raw.put_item,
            "ValidationException",
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            TableName=hash_table,
            Item={**k(), "a": value},
        )

    def test_multiple_datatypes(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.put_item,
            "ValidationException",
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            TableName=hash_table,
            Item={**k(), "a": {"S": "a", "N": "1"}},
        )

    def test_empty_string_and_binary_allowed_outside_keys(self, ddb, hash_table):
        item = {**k(), "s": {"S": ""}, "b": {"B": b""}, "m": {"M": {"e": {"S": ""}}}, "l": {"L": [{"S": ""}]}}
        ddb.put_item(TableName=hash_table, Item=item)
        assert ddb.get_item(TableName=hash_table, Key={"k": item["k"]}, ConsistentRead=True)["Item"] == item


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------


class TestKeyValidation:
    def test_empty_string_hash_key_put(self, ddb, hash_table):
        expect_error(
            ddb.put_item,
            "ValidationException",
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
            "an empty string value. Key: k",
            TableName=hash_table,
            Item={"k": {"S": ""}},
        )

    def test_empty_string_hash_key_get(self, ddb, hash_table):
        expect_error(
            ddb.get_item,
            "ValidationException",
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
            "an empty string value. Key: k",
            TableName=hash_table,
            Key={"k": {"S": ""}},
        )

    def test_empty_binary_key(self, ddb, bin_table):
        expect_error(
            ddb.put_item,
            "ValidationException",
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
            "an empty binary value. Key: k",
            TableName=bin_table,
            Item={"k": {"B": b""}},
        )

    @pytest.mark.parametrize("item", [{}, {"other": {"S": "a"}}], ids=["empty", "other-attr"])
    def test_missing_hash_key(self, ddb, hash_table, item):
        expect_error(
            ddb.put_item, "ValidationException", INVALID + "Missing the key k in the item", TableName=hash_table, Item=item
        )

    def test_missing_range_key(self, ddb, range_table):
        expect_error(
            ddb.put_item,
            "ValidationException",
            INVALID + "Missing the key r in the item",
            TableName=range_table,
            Item={"k": {"S": "a"}},
        )

    @pytest.mark.parametrize(
        "value",
        [{"N": "1"}, {"B": b"ab"}, {"BOOL": True}, {"NULL": True}, {"SS": ["a"]}, {"NS": ["1"]}, {"BS": [b"a"]}, {"M": {}}, {"L": []}],
        ids=lambda v: next(iter(v)),
    )
    def test_put_key_type_mismatch(self, ddb, hash_table, value):
        actual = next(iter(value))
        expect_error(
            ddb.put_item,
            "ValidationException",
            INVALID + f"Type mismatch for key k expected: S actual: {actual}",
            TableName=hash_table,
            Item={"k": value},
        )

    def test_put_range_key_type_mismatch(self, ddb, range_table):
        expect_error(
            ddb.put_item,
            "ValidationException",
            INVALID + "Type mismatch for key r expected: N actual: S",
            TableName=range_table,
            Item={"k": {"S": "a"}, "r": {"S": "1"}},
        )

    @pytest.mark.parametrize(
        "key",
        [{}, {"b": {"S": "a"}}, {"k": {"S": "a"}, "b": {"S": "a"}}, {"k": {"N": "1"}}, {"k": {"SS": ["a"]}}],
        ids=["empty", "wrong-name", "extra-attr", "wrong-type", "set-type"],
    )
    @pytest.mark.parametrize("op", ["get_item", "delete_item", "update_item"])
    def test_key_does_not_match_schema(self, ddb, hash_table, key, op):
        expect_error(
            getattr(ddb, op),
            "ValidationException",
            "The provided key element does not match the schema",
            TableName=hash_table,
            Key=key,
        )

    def test_missing_range_key_in_get(self, ddb, range_table):
        expect_error(
            ddb.get_item,
            "ValidationException",
            "The provided key element does not match the schema",
            TableName=range_table,
            Key={"k": {"S": "a"}},
        )

    def test_hash_key_too_large(self, ddb, hash_table):
        expect_error(
            ddb.put_item,
            "ValidationException",
            INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes",  # sic
            TableName=hash_table,
            Item={"k": {"S": "a" * 2049}},
        )

    def test_hash_key_max_size_ok(self, ddb, hash_table):
        ddb.put_item(TableName=hash_table, Item={"k": {"S": unique_key() + "h" * (2048 - 36)}})

    def test_range_key_too_large(self, ddb, make_table):
        name = make_table(hash_key=("k", "S"), range_key=("r", "S"))
        expect_error(
            ddb.put_item,
            "ValidationException",
            INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
            TableName=name,
            Item={"k": {"S": "a"}, "r": {"S": "r" * 1025}},
        )


# ---------------------------------------------------------------------------
# Missing tables
# ---------------------------------------------------------------------------


class TestMissingTable:
    @pytest.mark.parametrize(
        "op,params",
        [
            ("get_item", {"Key": {"k": {"S": "a"}}}),
            ("put_item", {"Item": {"k": {"S": "a"}}}),
            ("delete_item", {"Key": {"k": {"S": "a"}}}),
            ("update_item", {"Key": {"k": {"S": "a"}}}),
        ],
    )
    def test_item_op_on_missing_table(self, ddb, op, params):
        expect_error(
            getattr(ddb, op),
            "ResourceNotFoundException",
            "Requested resource not found",
            TableName=unique_name("missing"),
            **params,
        )


# ---------------------------------------------------------------------------
# Item size
# ---------------------------------------------------------------------------


class TestItemSize:
    # Size = sum of UTF-8 lengths of attribute names and values; the limit is
    # 400 KB = 409600 bytes inclusive (dynalite putItem.js "just small enough").

    def test_item_at_limit_is_accepted(self, ddb, hash_table):
        key = unique_key()
        filler = MAX_ITEM_SIZE - len("k") - len(key) - len("b")
        item = {"k": {"S": key}, "b": {"S": "x" * filler}}
        ddb.put_item(TableName=hash_table, Item=item)
        got = ddb.get_item(TableName=hash_table, Key={"k": item["k"]}, ConsistentRead=True)["Item"]
        assert len(got["b"]["S"]) == filler

    def test_item_over_limit_is_rejected(self, ddb, hash_table):
        key = unique_key()
        filler = MAX_ITEM_SIZE - len("k") - len(key) - len("b") + 1
        expect_error(
            ddb.put_item,
            "ValidationException",
            "Item size has exceeded the maximum allowed size",
            TableName=hash_table,
            Item={"k": {"S": key}, "b": {"S": "x" * filler}},
        )

    def test_attribute_name_counts_towards_size(self, ddb, hash_table):
        key = unique_key()
        name = "b" * 27
        filler = MAX_ITEM_SIZE - len("k") - len(key) - len(name) + 1
        expect_error(
            ddb.put_item,
            "ValidationException",
            "Item size has exceeded the maximum allowed size",
            TableName=hash_table,
            Item={"k": {"S": key}, name: {"S": "x" * filler}},
        )

    def test_multibyte_characters_count_as_utf8_bytes(self, ddb, hash_table):
        key = unique_key()
        # Each U+00E9 is 2 bytes in UTF-8.
        chars = (MAX_ITEM_SIZE - len("k") - len(key) - len("b")) // 2 + 1
        expect_error(
            ddb.put_item,
            "ValidationException",
            "Item size has exceeded the maximum allowed size",
            TableName=hash_table,
            Item={"k": {"S": key}, "b": {"S": "\u00e9" * chars}},
        )

    def test_update_value_too_large(self, ddb, hash_table):
        # dynalite updateItem.js: the update alone pushes the item over 400 KB.
        expect_error(
            ddb.update_item,
            "ValidationException",
            "Item size to update has exceeded the maximum allowed size",
            TableName=hash_table,
            Key=k(),
            UpdateExpression="SET b = :b",
            ExpressionAttributeValues={":b": {"S": "y" * MAX_ITEM_SIZE}},
        )

    def test_update_growing_existing_item_too_large(self, ddb, hash_table):
        key = k()
        ddb.put_item(TableName=hash_table, Item={**key, "a": {"S": "x" * 300_000}})
        expect_error(
            ddb.update_item,
            "ValidationException",
            UNVERIFIED,  # message unverified (expected the same "Item size to update ..." text)
            TableName=hash_table,
            Key=key,
            UpdateExpression="SET b = :b",
            ExpressionAttributeValues={":b": {"S": "y" * 200_000}},
        )
        # The failed update left the item untouched.
        got = ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]
        assert set(got) == {"k", "a"}


# ---------------------------------------------------------------------------
# ReturnValues
# ---------------------------------------------------------------------------


class TestReturnValues:
    def test_put_all_old(self, ddb, hash_table):
        key = k()
        resp = ddb.put_item(TableName=hash_table, Item={**key, "a": {"S": "1"}}, ReturnValues="ALL_OLD")
        assert "Attributes" not in resp
        resp = ddb.put_item(TableName=hash_table, Item={**key, "b": {"S": "2"}}, ReturnValues="ALL_OLD")
        assert resp["Attributes"] == {**key, "a": {"S": "1"}}
        resp = ddb.put_item(TableName=hash_table, Item={**key, "c": {"S": "3"}}, ReturnValues="NONE")
        assert "Attributes" not in resp

    @pytest.mark.parametrize("rv", ["UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
    def test_put_rejects_other_return_values(self, ddb, hash_table, rv):
        expect_error(
            ddb.put_item,
            "ValidationException",
            "ReturnValues can only be ALL_OLD or NONE",
            TableName=hash_table,
            Item=k(),
            ReturnValues=rv,
        )

    @pytest.mark.parametrize("rv", ["UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
    def test_delete_rejects_other_return_values(self, ddb, hash_table, rv):
        expect_error(
            ddb.delete_item,
            "ValidationException",
            "ReturnValues can only be ALL_OLD or NONE",
            TableName=hash_table,
            Key=k(),
            ReturnValues=rv,
        )

    def test_invalid_return_values_enum(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.put_item,
            "ValidationException",
            "1 validation error detected: Value 'GARBAGE' at 'returnValues' failed to satisfy constraint: "
            "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
            TableName=hash_table,
            Item=k(),
            ReturnValues="GARBAGE",
        )

    def test_delete_all_old(self, ddb, hash_table):
        key = k()
        item = {**key, "a": {"NS": ["1", "2"]}}
        ddb.put_item(TableName=hash_table, Item=item)
        resp = ddb.delete_item(TableName=hash_table, Key=key, ReturnValues="ALL_OLD")
        assert normalize_item(resp["Attributes"]) == normalize_item(item)
        resp = ddb.delete_item(TableName=hash_table, Key=key, ReturnValues="ALL_OLD")
        assert "Attributes" not in resp

    @pytest.fixture
    def existing(self, ddb, hash_table):
        key = k()
        ddb.put_item(TableName=hash_table, Item={**key, "a": {"S": "old-a"}, "b": {"S": "old-b"}, "c": {"S": "keep"}})
        return key

    def update(self, ddb, table, key, rv):
        return ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET a = :a, n = :n REMOVE b",
            ExpressionAttributeValues={":a": {"S": "new-a"}, ":n": {"N": "1"}},
            ReturnValues=rv,
        )

    def test_update_none(self, ddb, hash_table, existing):
        assert "Attributes" not in self.update(ddb, hash_table, existing, "NONE")

    def test_update_all_old(self, ddb, hash_table, existing):
        resp = self.update(ddb, hash_table, existing, "ALL_OLD")
        assert resp["Attributes"] == {**existing, "a": {"S": "old-a"}, "b": {"S": "old-b"}, "c": {"S": "keep"}}

    def test_update_updated_old(self, ddb, hash_table, existing):
        # Only attributes touched by the update, as they were (n did not exist).
        resp = self.update(ddb, hash_table, existing, "UPDATED_OLD")
        assert resp["Attributes"] == {"a": {"S": "old-a"}, "b": {"S": "old-b"}}

    def test_update_all_new(self, ddb, hash_table, existing):
        resp = self.update(ddb, hash_table, existing, "ALL_NEW")
        assert resp["Attributes"] == {**existing, "a": {"S": "new-a"}, "n": {"N": "1"}, "c": {"S": "keep"}}

    def test_update_updated_new(self, ddb, hash_table, existing):
        resp = self.update(ddb, hash_table, existing, "UPDATED_NEW")
        assert resp["Attributes"] == {"a": {"S": "new-a"}, "n": {"N": "1"}}

    def test_update_all_old_on_new_item_is_empty(self, ddb, hash_table):
        resp = ddb.update_item(
            TableName=hash_table,
            Key=k(),
            UpdateExpression="SET a = :a",
            ExpressionAttributeValues={":a": {"S": "x"}},
            ReturnValues="ALL_OLD",
        )
        assert "Attributes" not in resp

    def test_updated_new_for_nested_path(self, ddb, hash_table):
        key = k()
        ddb.put_item(TableName=hash_table, Item={**key, "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}})
        resp = ddb.update_item(
            TableName=hash_table,
            Key=key,
            UpdateExpression="SET m.x = :v",
            ExpressionAttributeValues={":v": {"N": "10"}},
            ReturnValues="UPDATED_NEW",
        )
        assert resp["Attributes"] == {"m": {"M": {"x": {"N": "10"}}}}


# ---------------------------------------------------------------------------
# ReturnConsumedCapacity
# ---------------------------------------------------------------------------


class TestConsumedCapacity:
    def test_put_total(self, ddb, hash_table):
        resp = ddb.put_item(TableName=hash_table, Item={**k(), "a": {"S": "x"}}, ReturnConsumedCapacity="TOTAL")
        assert resp["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 1.0}

    def test_put_indexes(self, ddb, hash_table):
        resp = ddb.put_item(TableName=hash_table, Item=k(), ReturnConsumedCapacity="INDEXES")
        assert resp["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}

    def test_put_none_omits_capacity(self, ddb, hash_table):
        assert "ConsumedCapacity" not in ddb.put_item(TableName=hash_table, Item=k(), ReturnConsumedCapacity="NONE")
        assert "ConsumedCapacity" not in ddb.put_item(TableName=hash_table, Item=k())

    def test_put_large_item_rounds_up_per_kb(self, ddb, hash_table):
        key = unique_key()
        item = {"k": {"S": key}, "b": {"S": "x" * (1024 - len("k") - len(key) - len("b") + 1)}}  # 1025 bytes
        resp = ddb.put_item(TableName=hash_table, Item=item, ReturnConsumedCapacity="TOTAL")
        assert resp["ConsumedCapacity"]["CapacityUnits"] == 2.0

    def test_get_eventually_consistent_is_half(self, ddb, hash_table):
        resp = ddb.get_item(TableName=hash_table, Key=k(), ReturnConsumedCapacity="TOTAL")
        assert resp["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 0.5}

    def test_get_consistent_is_one(self, ddb, hash_table):
        resp = ddb.get_item(TableName=hash_table, Key=k(), ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
        assert resp["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 1.0}

    def test_get_larger_item(self, ddb, hash_table):
        # dynalite getItem.js: just over 4 KB -> 1.0 eventually consistent, 2.0 strongly.
        key = unique_key()
        item = {"k": {"S": key}, "b": {"S": "x" * (4096 - len("k") - len(key) - len("b") + 1)}}
        ddb.put_item(TableName=hash_table, Item=item)
        resp = ddb.get_item(TableName=hash_table, Key={"k": item["k"]}, ReturnConsumedCapacity="TOTAL")
        assert resp["ConsumedCapacity"]["CapacityUnits"] == 1.0
        resp = ddb.get_item(TableName=hash_table, Key={"k": item["k"]}, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
        assert resp["ConsumedCapacity"]["CapacityUnits"] == 2.0

    def test_delete_missing_item_costs_one(self, ddb, hash_table):
        resp = ddb.delete_item(TableName=hash_table, Key=k(), ReturnConsumedCapacity="TOTAL")
        assert resp["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 1.0}

    def test_update_total(self, ddb, hash_table):
        resp = ddb.update_item(
            TableName=hash_table,
            Key=k(),
            UpdateExpression="SET a = :a",
            ExpressionAttributeValues={":a": {"S": "x"}},
            ReturnConsumedCapacity="TOTAL",
        )
        assert resp["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 1.0}

    def test_invalid_enum(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.get_item,
            "ValidationException",
            "1 validation error detected: Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
            "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
            TableName=hash_table,
            Key=k(),
            ReturnConsumedCapacity="hi",
        )


# ---------------------------------------------------------------------------
# Request-level validation ordering
# ---------------------------------------------------------------------------


class TestRequestValidation:
    def test_duplicate_attributes_to_get(self, ddb_raw, hash_table):
        expect_error(
            ddb_raw.get_item,
            "ValidationException",
            INVALID + "Duplicate value in attribute name: a",
            TableName=hash_table,
            Key=k(),
            AttributesToGet=["a", "a"],
        )
