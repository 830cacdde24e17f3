"""Triggers (`dynostack serve --trigger TABLE=COMMAND`): a consumer attached to the seed's users
table receives every change in order per item, a failing batch is retried, a batch in flight
when the server stops is delivered after the restart, and none is lost.

The consumer below is a small script run by the server for each batch, with the batch
(Lambda's event shape, ``{"Records": [...]}``) on its standard input. It appends the batch to
``batches.jsonl`` only after its "work" is done, so a run that is killed leaves no trace; it
fails once when ``fail-once`` exists and works slowly while ``slow`` exists.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dynohelpers import wait_for

from conftest import create_table

CONSUMER = r'''
import json, os, sys, time
out = sys.argv[1]
batch = json.load(sys.stdin)
with open(os.path.join(out, "attempts.log"), "a") as f:
    f.write(json.dumps({"attempt": os.environ["DYNOSTACK_TRIGGER_ATTEMPT"],
                        "table": os.environ["DYNOSTACK_TRIGGER_TABLE"],
                        "n": len(batch["Records"])}) + "\n")
fail = os.path.join(out, "fail-once")
if os.path.exists(fail):
    os.remove(fail)
    sys.exit(3)
if os.path.exists(os.path.join(out, "slow")):
    time.sleep(5)
with open(os.path.join(out, "batches.jsonl"), "a") as f:
    f.write(json.dumps(batch) + "\n")
'''

USERS = "myapp-prod-users"


def create_users(client):
    create_table(
        client, USERS, hash_key=("user_id", "S"), range_key=("created_at", "S"),
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("user_id", "created_at", "email", "status")],
        GlobalSecondaryIndexes=[
            {"IndexName": "email-index", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "status-index",
             "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                           {"AttributeName": "created_at", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["user_id", "email"]}},
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def user_key(uid):
    return {"user_id": {"S": uid}, "created_at": {"S": "2024-01-01T00:00:00Z"}}


def batches(out: Path):
    path = out / "batches.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def delivered(out: Path):
    return [r for b in batches(out) for r in b["Records"]]


def start(new_server, tmp_path, batch_size=3):
    out = tmp_path / "consumer"
    out.mkdir()
    script = tmp_path / "consumer.py"
    script.write_text(CONSUMER)
    srv = new_server(args=["--trigger", f"{USERS}={sys.executable} {script} {out}",
                           "--trigger-batch-size", str(batch_size),
                           "--trigger-max-backoff-seconds", "1"])
    return srv, out


def apply_changes(client, uid, n):
    """n changes to one user: insert, n-2 status updates, delete."""
    client.put_item(TableName=USERS, Item={**user_key(uid), "email": {"S": f"{uid}@example.com"},
                                           "status": {"S": "s0"}})
    for i in range(1, n - 1):
        client.update_item(TableName=USERS, Key=user_key(uid), UpdateExpression="SET #s = :s",
                           ExpressionAttributeNames={"#s": "status"},
                           ExpressionAttributeValues={":s": {"S": f"s{i}"}})
    client.delete_item(TableName=USERS, Key=user_key(uid))


def check_order(records, uid, n):
    mine = [r for r in records if r["dynamodb"]["Keys"]["user_id"]["S"] == uid]
    assert [r["eventName"] for r in mine] == ["INSERT"] + ["MODIFY"] * (n - 2) + ["REMOVE"]
    statuses = [r["dynamodb"].get("NewImage", {}).get("status", {}).get("S") for r in mine]
    assert statuses == [f"s{i}" for i in range(n - 1)] + [None]
    olds = [r["dynamodb"].get("OldImage", {}).get("status", {}).get("S") for r in mine]
    assert olds == [None] + [f"s{i}" for i in range(n - 1)]


def test_trigger_receives_every_change_in_order_and_retries_a_failing_batch(new_server, tmp_path):
    srv, out = start(new_server, tmp_path)
    client = srv.client()
    create_users(client)
    arn = client.describe_table(TableName=USERS)["Table"]["LatestStreamArn"]
    apply_changes(client, "u1", 5)
    wait_for(lambda: len(delivered(out)) == 5, timeout=20, what="the first 5 records")

    (out / "fail-once").touch()
    apply_changes(client, "u2", 4)
    apply_changes(client, "u3", 4)
    wait_for(lambda: len(delivered(out)) == 13, timeout=30, what="all 13 records")
    time.sleep(0.5)
    records = delivered(out)
    assert len(records) == 13, "each record delivered once"
    for uid, n in (("u1", 5), ("u2", 4), ("u3", 4)):
        check_order(records, uid, n)
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == 13
    assert all(len(b["Records"]) <= 3 for b in batches(out))
    for r in records:
        assert r["eventSourceARN"] == arn
        assert r["eventSource"] == "aws:dynamodb"
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    attempts = [json.loads(line) for line in (out / "attempts.log").read_text().splitlines()]
    assert any(a["attempt"] == "2" for a in attempts), "the failed batch was retried"
    assert all(a["table"] == USERS for a in attempts)
    assert not (out / "fail-once").exists()


def test_trigger_survives_a_restart_without_losing_a_batch(new_server, tmp_path):
    srv, out = start(new_server, tmp_path, batch_size=2)
    client = srv.client()
    create_users(client)
    apply_changes(client, "a", 4)
    wait_for(lambda: len(delivered(out)) == 4, timeout=20, what="the first records")

    # A batch in flight when the server stops is killed unacknowledged ...
    (out / "slow").touch()
    apply_changes(client, "b", 3)
    wait_for(lambda: (out / "attempts.log").read_text().count("\n") > 2, timeout=20,
             what="a slow batch started")
    srv.stop()
    (out / "slow").unlink()
    assert len(delivered(out)) == 4

    # ... and delivered after the restart, with what was written meanwhile.
    srv.start()
    client = srv.client()
    apply_changes(client, "c", 3)
    wait_for(lambda: len(delivered(out)) >= 10, timeout=30, what="every record after the restart")
    time.sleep(0.5)
    records = delivered(out)
    assert len(records) == 10, "no batch lost, none delivered twice"
    for uid, n in (("a", 4), ("b", 3), ("c", 3)):
        check_order(records, uid, n)
