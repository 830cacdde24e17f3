"""Encryption at rest, with boto3: no file of the data directory holds a table's data in the
clear (database, write-ahead log, backups), for each kind of SSE key; a data directory whose
master key is kept outside it (--master-key-file) cannot be opened without that key, and a
refused start changes nothing; rotate-master-key moves it to another key."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from conftest import ACCESS_KEY, REGION, SECRET_KEY, binary_path, client_config
from dynohelpers import expect_error, stream_records, unique_name, wait_for, wait_table_active
from test_backup_runs import endpoint, fresh  # noqa: F401  (a server with the test clock, for workdir)
from test_clock import advance
from test_terraform import NO_TERRAFORM, SKIP_REASON, run, workdir  # noqa: F401  (the workdir fixture)


def files_holding(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}: {n.decode()}" for n in needles if n in data]
    return found


def fingerprint(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def kms_client(srv):
    return boto3.client("kms", endpoint_url=srv.endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=client_config())


def make_table(ddb, name, sse):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"},
                              {"AttributeName": "l", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "by_l",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        BillingMode="PAY_PER_REQUEST", **sse)
    wait_table_active(ddb, name)


def secrets_of(kind):
    """Distinctive values: an attribute, the GSI key, the LSI key, and the table key itself."""
    return {"pk": f"pk-{kind}-q8z1", "sk": f"sk-{kind}-w4x7", "g": f"gsi-{kind}-k2v9",
            "l": f"lsi-{kind}-m5n3", "v": f"value-{kind}-j6t0"}


def keyed_table(srv, prefix, item):
    """A customer managed key, and a table under it holding `item` (hash key `k`)."""
    ddb, kms = srv.client(), kms_client(srv)
    cmk = kms.create_key(Description="table key")["KeyMetadata"]["Arn"]
    name = unique_name(prefix)
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST",
                     SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": cmk})
    wait_table_active(ddb, name)
    ddb.put_item(TableName=name, Item=item)
    return cmk, name


def test_no_file_holds_table_data_for_any_kind_of_key(new_server):
    srv = new_server()
    ddb = srv.client()
    cmk = kms_client(srv).create_key(Description="table key")["KeyMetadata"]["Arn"]
    kinds = {
        "owned": {},
        "managed": {"SSESpecification": {"Enabled": True, "SSEType": "KMS"}},
        "cmk": {"SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": cmk}},
    }
    tables = {}
    needles = []
    for kind, sse in kinds.items():
        name = unique_name(f"sse_{kind}")
        make_table(ddb, name, sse)
        s = secrets_of(kind)
        ddb.put_item(TableName=name, Item={k: {"S": v} for k, v in s.items()})
        # An update leaves an old and a new image in the stream.
        ddb.update_item(TableName=name, Key={"pk": {"S": s["pk"]}, "sk": {"S": s["sk"]}},
                        UpdateExpression="SET w = :w", ExpressionAttributeValues={":w": {"S": s["v"] + "-2"}})
        arn = ddb.create_backup(TableName=name, BackupName="bak")["BackupDetails"]["BackupArn"]
        wait_for(lambda arn=arn: ddb.describe_backup(BackupArn=arn)["BackupDescription"]
                 ["BackupDetails"]["BackupStatus"] == "AVAILABLE", what="backup")
        tables[kind] = name
        needles += [v.encode() for v in s.values()]
    described = {k: ddb.describe_table(TableName=t)["Table"].get("SSEDescription") for k, t in tables.items()}
    assert described["owned"] is None
    assert described["cmk"]["KMSMasterKeyArn"] == cmk

    # Killed: the latest writes are in the write-ahead log only.
    srv._kill()
    srv.proc = None
    assert files_holding(srv.data_dir, needles) == []
    srv.start()
    check_readable(srv.client(), tables)
    # Stopped cleanly: everything folded into the database file.
    assert srv.stop() == 0
    assert files_holding(srv.data_dir, needles) == []
    srv.start()
    check_readable(srv.client(), tables)


def check_readable(ddb, tables):
    for kind, name in tables.items():
        s = secrets_of(kind)
        item = ddb.get_item(TableName=name, Key={"pk": {"S": s["pk"]}, "sk": {"S": s["sk"]}})["Item"]
        assert item["v"]["S"] == s["v"] and item["w"]["S"] == s["v"] + "-2"
        by_g = ddb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": s["g"]}})["Items"]
        assert [i["l"]["S"] for i in by_g] == [s["l"]]
        by_l = ddb.query(TableName=name, IndexName="by_l", KeyConditionExpression="pk = :p AND l = :l",
                         ExpressionAttributeValues={":p": {"S": s["pk"]}, ":l": {"S": s["l"]}})["Items"]
        assert len(by_l) == 1


def start_bare(data_dir: Path, *args, env=None):
    """The binary on its own, for starts expected to fail: its exit code and stderr."""
    run = subprocess.run([str(binary_path()), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
                          *map(str, args)], capture_output=True, timeout=60, env=env,
                         stdin=subprocess.DEVNULL)
    return run.returncode, run.stderr.decode(errors="replace")


def test_a_directory_under_an_outside_master_key_needs_it(new_server, tmp_path):
    key_file = tmp_path / "keys" / "master.key"
    key_file.parent.mkdir()
    srv = new_server(args=["--master-key-file", key_file])
    ddb = srv.client()
    name = unique_name("custody")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    wait_table_active(ddb, name)
    ddb.put_item(TableName=name, Item={"k": {"S": "custody-secret-r7p2"}})
    assert srv.stop() == 0
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert not (srv.data_dir / "master.key").exists()

    copy = tmp_path / "copy"
    shutil.copytree(srv.data_dir, copy)
    before = fingerprint(copy)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNOSTACK_")}
    code, err = start_bare(copy, env=env)
    assert code != 0 and "--master-key-file" in err, err
    code, err = start_bare(copy, "--master-key-file", tmp_path / "typo.key", env=env)
    assert code != 0 and "cannot read the master key file" in err, err
    assert not (tmp_path / "typo.key").exists(), "a mistyped key path became a new key"
    other = tmp_path / "other.key"
    other.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    code, err = start_bare(copy, "--master-key-file", other, env=env)
    assert code != 0 and "does not open" in err, err
    assert fingerprint(copy) == before, "a refused start modified the data directory"

    # Rotated to a new key: the new one opens it, the old one no longer does.
    new_key = tmp_path / "keys" / "rotated.key"
    # A key from outside never moves a directory that keeps its own; rotation does.
    own = new_server()
    assert own.stop() == 0
    outside = tmp_path / "new-outside.key"
    outside.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    code, err = start_bare(own.data_dir, "--master-key-file", outside, env=env)
    assert code != 0 and "rotate-master-key" in err, err
    assert (own.data_dir / "master.key").exists()
    typo = subprocess.run([str(binary_path()), "rotate-master-key", "--data-dir", str(tmp_path / "nowhere"),
                           "--new-master-key-file", str(tmp_path / "k3")], capture_output=True, timeout=60, env=env)
    assert typo.returncode != 0 and b"holds no encrypted data directory" in typo.stderr
    assert not (tmp_path / "nowhere").exists()
    rotated = subprocess.run([str(binary_path()), "rotate-master-key", "--data-dir", str(copy),
                              "--master-key-file", str(key_file), "--new-master-key-file", str(new_key)],
                             capture_output=True, timeout=60, env=env)
    assert rotated.returncode == 0, rotated.stderr.decode()
    code, err = start_bare(copy, "--master-key-file", key_file, env=env)
    assert code != 0 and "does not open" in err, err
    srv.data_dir = copy
    srv.extra_args = ["--master-key-file", str(new_key)]
    srv.start()
    got = srv.client().get_item(TableName=name, Key={"k": {"S": "custody-secret-r7p2"}})
    assert "Item" in got


def test_the_log_says_when_the_data_directory_holds_its_own_key(new_server):
    srv = new_server()
    assert srv.stop() == 0
    log = srv.stderr_path.read_text()
    assert "the master key is kept in the data directory" in log
    assert (srv.data_dir / "master.key").exists()


def test_a_table_whose_key_is_disabled_refuses_requests_then_becomes_inaccessible(new_server):
    srv = new_server(args=["--test-clock"])
    ddb, kms = srv.client(), kms_client(srv)
    key = {"k": {"S": "a"}}
    cmk, name = keyed_table(srv, "keyed", key)

    kms.disable_key(KeyId=cmk)
    # As on AWS, the table's key found usable serves requests for five minutes more.
    advance(srv, 2)
    assert ddb.get_item(TableName=name, Key=key)["Item"] == key
    advance(srv, 5 * 60)
    disabled = re.compile(
        re.escape(f"KMS key disabled error: com.amazonaws.services.kms.model.DisabledException: {cmk} is disabled. "
                  "(Service: AWSKMS; Status Code: 400; Error Code: DisabledException; Request ID: ")
        + r"[0-9a-f-]{36}; Proxy: null\)")
    expect_error(ddb.get_item, "ValidationException", disabled, TableName=name, Key=key)
    expect_error(ddb.put_item, "ValidationException", disabled, TableName=name, Item=key)
    expect_error(ddb.batch_write_item, "ValidationException", disabled,
                 RequestItems={name: [{"PutRequest": {"Item": key}}]})
    expect_error(ddb.transact_write_items, "ValidationException", disabled,
                 TransactItems=[{"Put": {"TableName": name, "Item": key}}])
    expect_error(ddb.query, "ValidationException", disabled, TableName=name,
                 KeyConditionExpression="k = :k", ExpressionAttributeValues={":k": {"S": "a"}})
    expect_error(ddb.create_backup, "ValidationException", disabled, TableName=name, BackupName="bak")
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"

    # Seen unusable at a check, still so ten minutes later: inaccessible.
    advance(srv, 5 * 60)
    advance(srv, 5 * 60)
    advance(srv, 5 * 60)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS", table
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == cmk
    assert "InaccessibleEncryptionDateTime" in table["SSEDescription"]

    # Enabled again: requests work at once, the table is ACTIVE at the next check.
    kms.enable_key(KeyId=cmk)
    advance(srv, 2)
    assert ddb.get_item(TableName=name, Key=key)["Item"] == key
    advance(srv, 5 * 60)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert "InaccessibleEncryptionDateTime" not in table["SSEDescription"]

    # Scheduled for deletion: KMS's invalid-state error.
    kms.schedule_key_deletion(KeyId=cmk, PendingWindowInDays=7)
    advance(srv, 5 * 60 + 1)
    pending = re.compile(
        re.escape(f"KMS validation error: com.amazonaws.services.kms.model.KMSInvalidStateException: {cmk} "
                  "is pending deletion. (Service: AWSKMS; Status Code: 400; Error Code: KMSInvalidStateException; "
                  "Request ID: ") + r"[0-9a-f-]{36}; Proxy: null\)")
    expect_error(ddb.put_item, "ValidationException", pending, TableName=name, Item=key)
    # Tables on the AWS managed key are never refused.
    managed = unique_name("managed")
    ddb.create_table(TableName=managed, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", SSESpecification={"Enabled": True})
    wait_table_active(ddb, managed)
    ddb.put_item(TableName=managed, Item=key)


@pytest.mark.skipif(NO_TERRAFORM, reason=SKIP_REASON)
def test_disabling_the_seed_modules_key_makes_its_tables_inaccessible(workdir, fresh):  # noqa: F811
    srv = fresh
    work, env = workdir
    run(work, env, "apply", "-auto-approve", "-input=false", "-var-file=environments/prod.tfvars")
    ddb, kms = srv.client(), kms_client(srv)
    users = "myapp-prod-users"
    table = ddb.describe_table(TableName=users)["Table"]
    cmk = table["SSEDescription"]["KMSMasterKeyArn"]
    assert kms.describe_key(KeyId=cmk)["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    key = {k["AttributeName"]: {types[k["AttributeName"]]: "1"} for k in table["KeySchema"]}
    ddb.put_item(TableName=users, Item=key)

    kms.disable_key(KeyId=cmk)
    advance(srv, 5 * 60 + 1)  # past the five minutes a usable key is cached
    disabled = re.compile(re.escape(f"KMS key disabled error: com.amazonaws.services.kms.model.DisabledException: "
                                    f"{cmk} is disabled. (Service: AWSKMS;") + ".*")
    expect_error(ddb.get_item, "ValidationException", disabled, TableName=users, Key=key)
    expect_error(ddb.put_item, "ValidationException", disabled, TableName=users, Item=key)
    for _ in range(3):
        advance(srv, 5 * 60)
    assert ddb.describe_table(TableName=users)["Table"]["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    kms.enable_key(KeyId=cmk)
    advance(srv, 5 * 60)
    assert ddb.get_item(TableName=users, Key=key)["Item"] == key
    assert ddb.describe_table(TableName=users)["Table"]["TableStatus"] == "ACTIVE"


def test_table_keys_are_checked_and_resolved_when_given(server, ddb):

    kms = kms_client(server)
    key = kms.create_key(Description="t")["KeyMetadata"]
    alias = f"alias/{unique_name('tablekey')}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])

    def create(sse, name=None):
        name = name or unique_name("ssecheck")
        ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST", SSESpecification=sse)
        return name

    # An alias (name or ARN) and a key id are resolved to the key's ARN, once.
    account = key["Arn"].split(":")[4]
    for given in (alias, f"arn:aws:kms:us-east-1:{account}:{alias}", key["KeyId"]):
        name = create({"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": given})
        assert ddb.describe_table(TableName=name)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    # SSEType alone asks for the AWS managed key.
    name = create({"SSEType": "KMS"})
    assert ddb.describe_table(TableName=name)["Table"]["SSEDescription"]["SSEType"] == "KMS"

    invalid = "One or more parameter values were invalid: "
    bad = unique_name("ssebad")
    expect_error(create, "ValidationException", invalid + "SSEType can not be specified if Enabled is false",
                 sse={"Enabled": False, "SSEType": "KMS"}, name=bad)
    expect_error(create, "ValidationException", invalid + "KMSMasterKeyId can not be specified if Enabled is false",
                 sse={"Enabled": False, "KMSMasterKeyId": key["KeyId"]}, name=bad)
    expect_error(create, "ValidationException", invalid + "SSEType AES256 is not supported",
                 sse={"Enabled": True, "SSEType": "AES256"}, name=bad)
    expect_error(create, "ValidationException", invalid + "SSEType KMS is required if KMSMasterKeyId is specified",
                 sse={"Enabled": True, "KMSMasterKeyId": key["KeyId"]}, name=bad)
    missing = "11111111-2222-3333-4444-555555555555"
    expect_error(create, "ValidationException", re.compile(re.escape(
        "KMS validation error: com.amazonaws.services.kms.model.NotFoundException: "
        f"Key 'arn:aws:kms:us-east-1:{account}:key/{missing}' does not exist (Service: AWSKMS; Status Code: 400; "
        "Error Code: NotFoundException; Request ID: ") + r"[0-9a-f-]{36}; Proxy: null\)"),
        sse={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": missing}, name=bad)
    expect_error(create, "ValidationException", re.compile(re.escape(
        "KMS validation error: com.amazonaws.services.kms.model.NotFoundException: "
        f"Alias arn:aws:kms:us-east-1:{account}:alias/nope is not found. (Service: AWSKMS;") + ".*"),
        sse={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/nope"}, name=bad)
    kms.disable_key(KeyId=key["KeyId"])
    expect_error(create, "ValidationException", re.compile(re.escape(
        f"KMS key disabled error: com.amazonaws.services.kms.model.DisabledException: {key['Arn']} is disabled.") + ".*"),
        sse={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": alias}, name=bad)
    expect_error(ddb.describe_table, "ResourceNotFoundException", TableName=bad)
    kms.enable_key(KeyId=key["KeyId"])

    # UpdateTable: the table's own key given as its ARN, or the owned key asked for again.
    keyed = create({"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    expect_error(ddb.update_table, "ValidationException",
                 invalid + "Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter "
                 "if you want to change Master Key",
                 TableName=keyed, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    owned = create({"Enabled": False})
    assert "SSEDescription" not in ddb.describe_table(TableName=owned)["Table"]
    expect_error(ddb.update_table, "ValidationException", invalid + "Table is already encrypted by default",
                 TableName=owned, SSESpecification={"Enabled": False})
    ddb.update_table(TableName=owned, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": alias})
    assert ddb.describe_table(TableName=owned)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]


def stream_images(srv, name):
    """Every NewImage value `v` of the table's stream, from its start."""
    arn = srv.client().describe_table(TableName=name)["Table"]["LatestStreamArn"]
    return sorted(r["dynamodb"]["NewImage"]["v"]["S"] for r in stream_records(srv.streams_client(), arn))


def check_switched_table(srv, name, count):
    ddb = srv.client()
    items = ddb.scan(TableName=name, ConsistentRead=True)["Items"]
    assert len(items) == count
    for i in (0, count - 1):
        by_g = ddb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": f"g{i}"}})["Items"]
        assert [x["v"]["S"] for x in by_g] == [f"value-{i}"]
        by_l = ddb.query(TableName=name, IndexName="by_l", KeyConditionExpression="pk = :p AND l = :l",
                         ExpressionAttributeValues={":p": {"S": f"p{i}"}, ":l": {"S": f"l{i}"}})["Items"]
        assert len(by_l) == 1
    assert stream_images(srv, name) == sorted(f"value-{i}" for i in range(count))


def test_switching_a_tables_key_reseals_its_data_and_leaves_none_under_the_old_key(new_server):
    # Small chunks: the resealing takes many steps.
    srv = new_server(args=["--background-chunk-items", "16"])
    ddb, kms = srv.client(), kms_client(srv)
    first = kms.create_key(Description="first table key")["KeyMetadata"]["Arn"]
    second = kms.create_key(Description="second table key")["KeyMetadata"]["Arn"]
    name = unique_name("switch")
    make_table(ddb, name, {"SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": first}})
    ddb.update_continuous_backups(TableName=name,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    count = 150
    for i in range(count):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "g": {"S": f"g{i}"},
                                           "l": {"S": f"l{i}"}, "v": {"S": f"value-{i}"}})
    # Folded under the first key's data key.
    assert srv.stop() == 0
    srv.start()
    ddb, kms = srv.client(), kms_client(srv)

    def sse():
        return ddb.describe_table(TableName=name)["Table"].get("SSEDescription")

    out = ddb.update_table(TableName=name, SSESpecification={"Enabled": True, "SSEType": "KMS",
                                                             "KMSMasterKeyId": second})
    assert out["TableDescription"]["SSEDescription"] == {"Status": "UPDATING", "SSEType": "KMS",
                                                         "KMSMasterKeyArn": second}
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    check_switched_table(srv, name, count)  # readable while it moves
    wait_for(lambda: sse()["Status"] == "ENABLED", what="the switch to the second key")
    assert sse() == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": second}

    # Nothing is left under the first key: with it disabled and pending deletion, after a
    # restart (keys unwrapped anew), every item, index entry and stream record reads.
    kms.disable_key(KeyId=first)
    kms.schedule_key_deletion(KeyId=first, PendingWindowInDays=7)
    assert srv.stop() == 0
    srv.start()
    check_switched_table(srv, name, count)

    # Back to the AWS owned key: a bare UPDATING status, then no SSEDescription.
    ddb, kms = srv.client(), kms_client(srv)
    out = ddb.update_table(TableName=name, SSESpecification={"Enabled": False})
    assert out["TableDescription"]["SSEDescription"] == {"Status": "UPDATING"}
    wait_for(lambda: sse() is None, what="the switch to the owned key")
    kms.disable_key(KeyId=second)
    assert srv.stop() == 0
    srv.start()
    check_switched_table(srv, name, count)


def test_a_table_whose_key_was_disabled_at_start_opens_once_the_key_is_enabled(new_server):
    srv = new_server()
    cmk, name = keyed_table(srv, "sealed", {"k": {"S": "a"}, "v": {"S": "kept"}})
    kms_client(srv).disable_key(KeyId=cmk)
    assert srv.stop() == 0
    srv.start()  # KMS refuses the table's data key: its data stays sealed
    assert "the table's data key stays sealed" in srv.stderr_path.read_text()
    ddb, kms = srv.client(), kms_client(srv)
    expect_error(ddb.get_item, "ValidationException", TableName=name, Key={"k": {"S": "a"}})
    kms.enable_key(KeyId=cmk)  # a refusal is remembered for a second
    item = wait_for(lambda: ddb.get_item(TableName=name, Key={"k": {"S": "a"}}).get("Item"), timeout=5,
                    what="the table's key unwrapped")
    assert item["v"]["S"] == "kept"


def test_a_backup_restores_only_while_its_tables_key_can_be_unwrapped(new_server):

    srv = new_server()
    ddb, kms = srv.client(), kms_client(srv)
    cmk, name = keyed_table(srv, "backed", {"k": {"S": "a"}, "v": {"S": "backed up"}})
    arn = ddb.create_backup(TableName=name, BackupName="bak")["BackupDetails"]["BackupArn"]
    wait_for(lambda: ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
             == "AVAILABLE", what="backup")
    ddb.delete_table(TableName=name)
    kms.disable_key(KeyId=cmk)
    assert srv.stop() == 0
    srv.start()
    ddb, kms = srv.client(), kms_client(srv)

    # The backup is sealed under the table's data key, which KMS will not unwrap now: even a
    # restore to the AWS owned key is refused.
    restored = unique_name("restored")
    expect_error(ddb.restore_table_from_backup, "ValidationException", re.compile(re.escape(
        f"KMS key disabled error: com.amazonaws.services.kms.model.DisabledException: {cmk} is disabled.") + ".*"),
        TargetTableName=restored, BackupArn=arn, SSESpecificationOverride={"Enabled": False})
    kms.enable_key(KeyId=cmk)
    ddb.restore_table_from_backup(TargetTableName=restored, BackupArn=arn,
                                  SSESpecificationOverride={"Enabled": False})
    wait_table_active(ddb, restored)
    assert ddb.get_item(TableName=restored, Key={"k": {"S": "a"}})["Item"]["v"]["S"] == "backed up"
    assert "SSEDescription" not in ddb.describe_table(TableName=restored)["Table"]


def test_a_deleted_tables_stream_stays_readable_across_a_restart(new_server):
    srv = new_server()
    ddb = srv.client()
    name = unique_name("gone")
    make_table(ddb, name, {})
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "v": {"S": f"value-{i}"}})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ddb.delete_table(TableName=name)
    assert srv.stop() == 0
    srv.start()
    # Its records are sealed under the deleted table's data key, kept for the stream's 24 hours.
    records = stream_records(srv.streams_client(), arn)
    assert [r["dynamodb"]["NewImage"]["v"]["S"] for r in records] == [f"value-{i}" for i in range(3)]


def test_tables_of_an_unencrypted_directory_get_data_keys_when_it_is_encrypted(new_server):
    srv = new_server(args=["--unencrypted-at-rest"])
    ddb, kms = srv.client(), kms_client(srv)
    cmk = kms.create_key(Description="table key")["KeyMetadata"]["Arn"]
    name = unique_name("migrated")
    make_table(ddb, name, {"SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": cmk}})
    for i in range(40):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "g": {"S": f"g{i}"},
                                           "l": {"S": f"l{i}"}, "v": {"S": f"value-{i}"}})
    assert srv.stop() == 0

    # Encrypted from now on: the table gets a data key from KMS and its values are resealed.
    srv.extra_args = []
    srv.start()
    wait_for(lambda: "the table's values are sealed under its data key" in srv.stderr_path.read_text(),
             what="the table resealed")
    check_switched_table(srv, name, 40)
    kms = kms_client(srv)
    kms.disable_key(KeyId=cmk)
    assert srv.stop() == 0
    srv.start()
    assert "the table's data key stays sealed" in srv.stderr_path.read_text()
    kms_client(srv).enable_key(KeyId=cmk)
    ddb = srv.client()
    wait_for(lambda: ddb.get_item(TableName=name, Key={"pk": {"S": "p1"}, "sk": {"S": "s"}}).get("Item"),
             timeout=5, what="the table's key unwrapped")
    check_switched_table(srv, name, 40)
