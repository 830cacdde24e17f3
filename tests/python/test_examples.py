"""The seed's code examples (examples/), run unchanged against dynostack.

Each test starts a private server, creates the seed's `users` and `sessions`
tables (PAY_PER_REQUEST, the seed's keys and GSIs) and runs an example as a
subprocess with only the standard AWS environment variables pointing it at the
server: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID/SECRET, AWS_DEFAULT_REGION (boto3)
and AWS_REGION (the JavaScript SDK v3 reads only that one).

The Node.js tests install the SDK once per session with scripts/setup-node.sh
(npm ci from examples/node/package-lock.json; a no-op when already installed)
and are skipped only when `node` itself is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY, unique_name, wait_table_active

REPO_ROOT = Path(__file__).resolve().parents[2]
PY_EXAMPLE = REPO_ROOT / "examples" / "python" / "seed_example.py"
NODE_EXAMPLE = REPO_ROOT / "examples" / "node" / "seed_example.mjs"
SETUP_NODE = REPO_ROOT / "scripts" / "setup-node.sh"

USERS = "myapp-prod-users"  # the seed's names (project myapp, environment prod)
SESSIONS = "myapp-prod-sessions"
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def S(*names):
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


def create_seed_tables(client, users=USERS, sessions=SESSIONS):
    """The seed's Terraform `users` and `sessions` tables (keys and indexes)."""
    client.create_table(
        TableName=users,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=S("user_id", "created_at", "email", "status"),
        KeySchema=[
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "email-index",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "status-index",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["user_id", "email"]},
            },
        ],
    )
    client.create_table(
        TableName=sessions,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=S("session_id", "user_id"),
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "user-sessions-index",
                "KeySchema": [{"AttributeName": "user_id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    wait_table_active(client, users)
    wait_table_active(client, sessions)


def example_env(endpoint: str, tmp_path: Path, **extra) -> dict:
    """The caller's environment minus any AWS settings, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        # Keep any real ~/.aws config (profiles, endpoints) out of the way.
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra)
    return env


def run_example(args: list[str], env: dict) -> dict:
    proc = subprocess.run(args, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"{args} printed nothing\n--- stderr\n{proc.stderr}"
    return json.loads(lines[-1])


@pytest.fixture
def seed_server(new_server):
    """A private server holding the seed's tables under the seed's names."""
    srv = new_server()
    client = srv.client()
    create_seed_tables(client)
    return srv, client


def put_user(client, user_id, created_at, email, name, status=None):
    item = {"user_id": {"S": user_id}, "created_at": {"S": created_at}, "email": {"S": email}, "name": {"S": name}}
    if status is not None:
        item["status"] = {"S": status}
    client.put_item(TableName=USERS, Item=item)


def other_users(client):
    """Users the example does not create: one active, one inactive, one without a status."""
    put_user(client, "001", "2023-06-01T00:00:00Z", "old@example.com", "Old Timer", "active")
    put_user(client, "002", "2023-07-01T00:00:00Z", "gone@example.com", "Gone", "inactive")
    put_user(client, "003", "2023-08-01T00:00:00Z", "nostatus@example.com", "No Status")


# ---------------------------------------------------------------------------
# Python (boto3)
# ---------------------------------------------------------------------------


JOHN = {
    "user_id": "123",
    "created_at": "2024-01-01T00:00:00Z",
    "email": "user@example.com",
    "name": "John Doe",
    "status": "active",
}


class TestPythonExample:
    def run(self, srv, tmp_path, *args, **env):
        return run_example([sys.executable, str(PY_EXAMPLE), *args], example_env(srv.endpoint, tmp_path, **env))

    def test_seed_usage(self, seed_server, tmp_path):
        srv, client = seed_server
        out = self.run(srv, tmp_path)
        # get_user_by_email: email-index projects ALL, so the whole item.
        assert out["users"] == [JOHN]
        # get_users_by_status: status-index projects INCLUDE [user_id, email]
        # plus its keys (status, created_at): no "name".
        assert out["active_users"] == [{k: v for k, v in JOHN.items() if k != "name"}]
        # The example wrote through to the table itself.
        item = client.get_item(TableName=USERS, Key={"user_id": {"S": "123"}, "created_at": {"S": JOHN["created_at"]}})
        assert item["Item"] == {k: {"S": v} for k, v in JOHN.items()}

    def test_indexes_select_the_right_users(self, seed_server, tmp_path):
        srv, client = seed_server
        other_users(client)
        out = self.run(srv, tmp_path)
        assert out["users"] == [JOHN]
        # Active users in created_at order (the index's range key); the
        # inactive user and the one without a status are not there.
        assert out["active_users"] == [
            {"user_id": "001", "created_at": "2023-06-01T00:00:00Z", "email": "old@example.com", "status": "active"},
            {k: v for k, v in JOHN.items() if k != "name"},
        ]

    def test_rerun_is_idempotent(self, seed_server, tmp_path):
        srv, _ = seed_server
        first = self.run(srv, tmp_path)
        second = self.run(srv, tmp_path)
        assert first == second

    def test_status_query_limit(self, seed_server, tmp_path):
        srv, client = seed_server
        for i in range(15):
            put_user(client, f"u{i:02d}", f"2022-01-{i + 1:02d}T00:00:00Z", f"u{i}@example.com", f"User {i}", "active")
        out = self.run(srv, tmp_path)
        # get_users_by_status passes Limit=10: the ten earliest active users.
        assert [u["user_id"] for u in out["active_users"]] == [f"u{i:02d}" for i in range(10)]

    def test_batch_create_sessions(self, seed_server, tmp_path):
        srv, client = seed_server
        out = self.run(srv, tmp_path, "--batch-sessions")
        assert out["sessions_written"] == 2
        resp = client.query(
            TableName=SESSIONS,
            IndexName="user-sessions-index",
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": "123"}},
        )
        assert sorted(i["session_id"]["S"] for i in resp["Items"]) == ["s-1", "s-2"]
        assert {i["device"]["S"] for i in resp["Items"]} == {"laptop", "phone"}

    def test_table_names_from_environment(self, server, ddb, tmp_path):
        users, sessions = unique_name("users"), unique_name("sessions")
        create_seed_tables(ddb, users, sessions)
        try:
            out = self.run(server, tmp_path, USERS_TABLE=users, SESSIONS_TABLE=sessions)
            assert out["users"] == [JOHN]
            assert ddb.scan(TableName=users)["Count"] == 1
        finally:
            for name in (users, sessions):
                ddb.delete_table(TableName=name)


# ---------------------------------------------------------------------------
# Node.js (AWS SDK v3, @aws-sdk/lib-dynamodb)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def node():
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed: the Node.js example needs Node.js 20+ with npm")
    proc = subprocess.run(["bash", str(SETUP_NODE)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"scripts/setup-node.sh failed:\n{proc.stdout}\n{proc.stderr}"
    return path


class TestNodeExample:
    def run(self, node, srv, tmp_path, *args, **env):
        return run_example([node, str(NODE_EXAMPLE), *args], example_env(srv.endpoint, tmp_path, **env))

    def test_seed_usage(self, node, seed_server, tmp_path):
        srv, client = seed_server
        other_users(client)
        out = self.run(node, srv, tmp_path)
        (jane,) = out["users"]
        created_at = jane.pop("created_at")
        assert ISO_UTC.fullmatch(created_at), created_at
        assert jane == {"user_id": "456", "email": "jane@example.com", "name": "Jane Doe", "status": "active"}

        # The item is in the table and in status-index too.
        resp = client.query(
            TableName=USERS,
            IndexName="status-index",
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "active"}},
        )
        assert [i["user_id"]["S"] for i in resp["Items"]] == ["001", "456"]
        assert resp["Items"][1] == {
            "user_id": {"S": "456"},
            "created_at": {"S": created_at},
            "email": {"S": "jane@example.com"},
            "status": {"S": "active"},
        }

    def test_each_run_adds_a_user_row(self, node, seed_server, tmp_path):
        # created_at is the range key and the example stamps it with the time,
        # so every run writes a new item for user 456 (as it would on AWS).
        srv, client = seed_server
        self.run(node, srv, tmp_path)
        out = self.run(node, srv, tmp_path)
        assert len(out["users"]) == 2
        assert {u["user_id"] for u in out["users"]} == {"456"}

    def test_batch_write_command(self, node, seed_server, tmp_path):
        srv, client = seed_server
        out = self.run(node, srv, tmp_path, "--batch-sessions")
        assert out["sessions_written"] == 2
        assert out["unprocessed"] == {}
        resp = client.query(
            TableName=SESSIONS,
            IndexName="user-sessions-index",
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": "456"}},
        )
        assert sorted(i["session_id"]["S"] for i in resp["Items"]) == ["s-3", "s-4"]

    def test_table_names_from_environment(self, node, server, ddb, tmp_path):
        users, sessions = unique_name("users"), unique_name("sessions")
        create_seed_tables(ddb, users, sessions)
        try:
            out = self.run(node, server, tmp_path, USERS_TABLE=users, SESSIONS_TABLE=sessions)
            assert [u["user_id"] for u in out["users"]] == ["456"]
        finally:
            for name in (users, sessions):
                ddb.delete_table(TableName=name)

    def test_sdk_version_is_the_pinned_one(self, node):
        lock = json.loads((REPO_ROOT / "examples" / "node" / "package-lock.json").read_text())
        for pkg in ("@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb"):
            installed = json.loads(
                (REPO_ROOT / "examples" / "node" / "node_modules" / pkg / "package.json").read_text()
            )["version"]
            assert installed == lock["packages"][f"node_modules/{pkg}"]["version"]


def test_js_sdk_cloudwatch_alarm(endpoint):
    """CloudWatch through the JS SDK v3 (awsJson 1.0), the third protocol a current client sends."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "setup-node.sh")], check=True, timeout=600)
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_REGION="us-east-1")
    out = subprocess.run(["node", str(REPO_ROOT / "examples" / "node" / "cloudwatch_alarm.mjs"), "js-sdk-alarm"],
                         env=env, capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["after"] == 0
    (alarm,) = result["alarms"]
    assert alarm["name"] == "js-sdk-alarm" and alarm["state"] == "INSUFFICIENT_DATA"
    assert alarm["arn"].startswith("arn:aws:cloudwatch:us-east-1:") and alarm["arn"].endswith(":alarm:js-sdk-alarm")
