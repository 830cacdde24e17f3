"""Shared helpers for the dynostack boto3 conformance suite.

Everything here is plain Python (no fixtures) so test modules can import it
directly: pytest puts this directory on sys.path (rootdir-relative "prepend"
import mode, and tests/python has no __init__.py).

Conventions used across the suite
---------------------------------
* Error assertions go through :func:`expect_error`, which always checks the
  error code and, when a message is given, the exact message AWS returns.
* ``message=UNVERIFIED`` means we could not confirm AWS's wording from a real
  source; only the code is asserted. Every such call site also carries a
  ``# message unverified`` comment so the list is greppable.
* AWS reference messages come from sources that were captured against real
  DynamoDB: mhart/dynalite (architect/dynalite) tests, moto tests marked
  ``aws_verified``, ScyllaDB alternator tests, and user reports of real error
  responses. The source is noted next to each non-obvious message.
"""

from __future__ import annotations

import json
import re
import time
import uuid
import zlib
from typing import Any, Callable, Iterable

import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCESS_KEY = "AKIDDYNOSTACKTEST"
SECRET_KEY = "dynostack-test-secret"

# Sentinel: assert the error code only (message could not be verified).
UNVERIFIED = object()

TABLE_ARN_RE = r"arn:aws:dynamodb:us-east-1:\d{12}:table/{name}"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
REQUEST_ID_RE = re.compile(r"[0-9A-Z]{52}")

MAX_ITEM_SIZE = 400 * 1024


def unique_name(prefix: str = "t") -> str:
    """A table name that no other test (or earlier run) will use."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_key() -> str:
    return "key-" + uuid.uuid4().hex


def expect_error(fn: Callable[..., Any], code: str, message: Any = UNVERIFIED, **kwargs) -> dict:
    """Call ``fn(**kwargs)``; it must raise ClientError with ``code``.

    ``message`` may be an exact string, a compiled regex (must fullmatch),
    or UNVERIFIED (code only). Returns the full botocore response dict so
    callers can inspect extra members (e.g. ``Item`` on
    ConditionalCheckFailedException).
    """
    with pytest.raises(ClientError) as excinfo:
        fn(**kwargs)
    response = excinfo.value.response
    err = response["Error"]
    assert err.get("Code") == code, f"expected {code}, got {err!r}"
    if message is UNVERIFIED:
        pass
    elif isinstance(message, re.Pattern):
        assert message.fullmatch(err.get("Message", "")), (
            f"message {err.get('Message')!r} does not match {message.pattern!r}"
        )
    else:
        assert err.get("Message") == message, (
            f"\nexpected message: {message!r}\n     got message: {err.get('Message')!r}"
        )
    return response


def assert_validation_errors(message: str, expected_parts: Iterable[str]) -> None:
    """AWS's multi-constraint messages: 'N validation error(s) detected: a; b'.

    The order of the parts is not stable across AWS versions, so compare as a
    set (dynalite does the same).
    """
    parts = list(expected_parts)
    noun = "error" if len(parts) == 1 else "errors"
    prefix = f"{len(parts)} validation {noun} detected: "
    assert message.startswith(prefix), f"{message!r} does not start with {prefix!r}"
    got = message[len(prefix):].split("; ")
    assert sorted(got) == sorted(parts), f"{got!r} != {parts!r}"


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except ClientError as exc:  # transient states while a table settles
            last_exc = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc!r})")
        time.sleep(interval)


def wait_table_active(client, name: str, timeout: float = 60.0) -> dict:
    """Wait until the table and all its GSIs are ACTIVE; return the description.

    AWS reports CREATING/UPDATING for a while; a local server may be ACTIVE at
    once. We poll quickly instead of using boto3's waiter (20 s delay).
    """

    def check():
        table = client.describe_table(TableName=name)["Table"]
        if table["TableStatus"] != "ACTIVE":
            return None
        for gsi in table.get("GlobalSecondaryIndexes", []):
            if gsi.get("IndexStatus") != "ACTIVE":
                return None
        return table

    return wait_for(check, timeout=timeout, what=f"table {name} ACTIVE")


def wait_table_gone(client, name: str, timeout: float = 60.0) -> None:
    def check():
        try:
            client.describe_table(TableName=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return True
            raise
        return False

    wait_for(check, timeout=timeout, what=f"table {name} deleted")


def key_schema(hash_key=("k", "S"), range_key=None):
    ks = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    ad = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    if range_key:
        ks.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        ad.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
    return ks, ad


def crc32_of(body: bytes) -> str:
    return str(zlib.crc32(body) & 0xFFFFFFFF)


def normalize_item(item: dict) -> dict:
    """Low-level item with set members sorted, for order-insensitive compare."""
    return {k: normalize_value(v) for k, v in item.items()}


def normalize_value(value: dict) -> dict:
    (t, v), = value.items()
    if t in ("SS", "NS", "BS"):
        return {t: sorted(v)}
    if t == "M":
        return {"M": normalize_item(v)}
    if t == "L":
        return {"L": [normalize_value(x) for x in v]}
    return {t: v}


def dumps(obj) -> bytes:
    return json.dumps(obj).encode()


def stream_records(streams, arn: str) -> list[dict]:
    """Every record of the stream `arn`, shard by shard, from each shard's start (TRIM_HORIZON)
    to the first empty page."""
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = streams.get_records(ShardIterator=it)
            if not page["Records"]:
                break
            records += page["Records"]
            it = page.get("NextShardIterator")
    return records
