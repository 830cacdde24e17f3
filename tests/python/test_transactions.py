"""TransactWriteItems / TransactGetItems with boto3 (low-level client and the resource)."""

import threading

import pytest

from dynohelpers import UNVERIFIED, expect_error

S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"


@pytest.fixture
def accounts(ddb, make_table):
    name = make_table()
    for k, bal in (("a", 100), ("b", 0)):
        ddb.put_item(TableName=name, Item={"k": S(k), "bal": N(bal)})
    return name


def upd(table, k, expr, amount, cond=None):
    u = {"TableName": table, "Key": {"k": S(k)}, "UpdateExpression": expr, "ExpressionAttributeValues": {":n": N(amount)}}
    if cond:
        u["ConditionExpression"] = cond
    return {"Update": u}


def transfer(table, src, dst, amount):
    return [upd(table, src, "SET bal = bal - :n", amount, "bal >= :n"), upd(table, dst, "SET bal = bal + :n", amount)]


def bal(ddb, table, k):
    return int(ddb.get_item(TableName=table, Key={"k": S(k)}, ConsistentRead=True)["Item"]["bal"]["N"])


def test_transfer_commits_both_sides(ddb, accounts):
    resp = ddb.transact_write_items(TransactItems=transfer(accounts, "a", "b", 30), ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == [{"TableName": accounts, "CapacityUnits": 4.0}]
    assert (bal(ddb, accounts, "a"), bal(ddb, accounts, "b")) == (70, 30)


def test_failed_condition_cancels_everything(ddb, accounts):
    resp = expect_error(ddb.transact_write_items, "TransactionCanceledException",
                        CANCELLED.format("ConditionalCheckFailed, None"),
                        TransactItems=transfer(accounts, "a", "b", 1000))
    assert resp["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
        {"Code": "None"},
    ]
    assert (bal(ddb, accounts, "a"), bal(ddb, accounts, "b")) == (100, 0)


def test_condition_check_returns_the_item_when_asked(ddb, accounts):
    check = {"ConditionCheck": {"TableName": accounts, "Key": {"k": S("a")}, "ConditionExpression": "bal > :x",
                                "ExpressionAttributeValues": {":x": N(500)},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
    put = {"Put": {"TableName": accounts, "Item": {"k": S("c"), "bal": N(1)}}}
    resp = expect_error(ddb.transact_write_items, "TransactionCanceledException",
                        CANCELLED.format("None, ConditionalCheckFailed"), TransactItems=[put, check])
    assert resp["CancellationReasons"][1]["Item"] == {"k": S("a"), "bal": N(100)}
    assert "Item" not in ddb.get_item(TableName=accounts, Key={"k": S("c")})


def test_data_error_is_a_validation_error_reason(ddb, accounts):
    resp = expect_error(ddb.transact_write_items, "TransactionCanceledException",
                        CANCELLED.format("None, ValidationError"),
                        TransactItems=[upd(accounts, "a", "SET bal = bal + :n", 1),
                                       upd(accounts, "b", "SET bal = nope + :n", 1)])
    assert resp["CancellationReasons"][1]["Code"] == "ValidationError"
    assert bal(ddb, accounts, "a") == 100


def test_put_delete_and_check_together(ddb, accounts):
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": accounts, "Item": {"k": S("c"), "bal": N(7)}, "ConditionExpression": "attribute_not_exists(k)"}},
        {"Delete": {"TableName": accounts, "Key": {"k": S("b")}}},
        {"ConditionCheck": {"TableName": accounts, "Key": {"k": S("a")}, "ConditionExpression": "attribute_exists(k)"}},
    ])
    assert bal(ddb, accounts, "c") == 7
    assert "Item" not in ddb.get_item(TableName=accounts, Key={"k": S("b")})


def test_one_item_twice_is_refused(ddb, accounts):
    expect_error(ddb.transact_write_items, "ValidationException",
                 "Transaction request cannot include multiple operations on one item",
                 TransactItems=transfer(accounts, "a", "a", 1))


def test_missing_table(ddb, accounts):
    expect_error(ddb.transact_write_items, "ResourceNotFoundException", UNVERIFIED,
                 TransactItems=[upd("no-such-table", "a", "SET bal = :n", 1)])


def test_idempotent_retries(ddb, accounts):
    for _ in range(3):
        ddb.transact_write_items(TransactItems=transfer(accounts, "a", "b", 10), ClientRequestToken="tok-1")
    assert (bal(ddb, accounts, "a"), bal(ddb, accounts, "b")) == (90, 10)
    expect_error(ddb.transact_write_items, "IdempotentParameterMismatchException", UNVERIFIED,
                 TransactItems=transfer(accounts, "a", "b", 11), ClientRequestToken="tok-1")


def test_transact_get_items(ddb, accounts):
    resp = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": accounts, "Key": {"k": S("a")}, "ProjectionExpression": "bal"}},
        {"Get": {"TableName": accounts, "Key": {"k": S("zzz")}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert resp["Responses"] == [{"Item": {"bal": N(100)}}, {}]
    assert resp["ConsumedCapacity"] == [{"TableName": accounts, "CapacityUnits": 4.0}]


def test_concurrent_transfers_and_reads(ddb, accounts):
    errors = []
    stop = threading.Event()

    def writer(i):
        for t in range(20):
            src, dst = ("a", "b") if (i + t) % 2 else ("b", "a")
            try:
                ddb.transact_write_items(TransactItems=transfer(accounts, src, dst, 1 + (i * t) % 7))
            except ddb.exceptions.TransactionCanceledException:
                pass
            except Exception as e:  # noqa: BLE001
                errors.append(e)

    def reader():
        while not stop.is_set():
            items = ddb.transact_get_items(TransactItems=[
                {"Get": {"TableName": accounts, "Key": {"k": S(k)}}} for k in ("a", "b")])["Responses"]
            total = sum(int(r["Item"]["bal"]["N"]) for r in items)
            if total != 100:
                errors.append(AssertionError(f"partial transaction seen: total {total}"))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    readers = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert bal(ddb, accounts, "a") + bal(ddb, accounts, "b") == 100


def test_resource_level_client(dynamodb, accounts):
    # The resource's client takes plain Python values (boto3 serializes them).
    client = dynamodb.meta.client
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": accounts, "Key": {"k": "a"}, "UpdateExpression": "SET bal = bal - :n",
                    "ConditionExpression": "bal >= :n", "ExpressionAttributeValues": {":n": 5}}},
        {"Update": {"TableName": accounts, "Key": {"k": "b"}, "UpdateExpression": "SET bal = bal + :n",
                    "ExpressionAttributeValues": {":n": 5}}},
    ])
    table = dynamodb.Table(accounts)
    assert table.get_item(Key={"k": "b"}, ConsistentRead=True)["Item"]["bal"] == 5
