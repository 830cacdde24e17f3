"""DynamoDB's own backups and point-in-time recovery, with boto3: CreateBackup takes the state of
one commit while writers go on, restores reproduce it (indexes included) into a new table that is
CREATING until done, PITR restores any second of the window, and the window moves with the
(test) clock."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from dynohelpers import expect_error, unique_name, wait_for, wait_table_active
from test_clock import advance, clock

DAY = 24 * 3600


@pytest.fixture
def travel(new_server):
    return new_server(args=["--test-clock"])


def make_indexed_table(ddb, name, billing="PAY_PER_REQUEST"):
    extra = {}
    if billing == "PROVISIONED":
        extra["ProvisionedThroughput"] = {"ReadCapacityUnits": 50, "WriteCapacityUnits": 50}
    gsi = {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    if billing == "PROVISIONED":
        gsi["ProvisionedThroughput"] = {"ReadCapacityUnits": 50, "WriteCapacityUnits": 50}
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "g", "AttributeType": "S"},
                              {"AttributeName": "l", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[gsi],
        LocalSecondaryIndexes=[{"IndexName": "by_l",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        BillingMode=billing, **extra)
    wait_table_active(ddb, name)


def scan_all(ddb, name, **kw):
    items, start = [], None
    while True:
        page = ddb.scan(TableName=name, **kw, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda i: (i["pk"]["S"], int(i["sk"]["N"])))


def wait_backup_available(ddb, arn):
    return wait_for(lambda: (d := ddb.describe_backup(BackupArn=arn)["BackupDescription"])
                    ["BackupDetails"]["BackupStatus"] == "AVAILABLE" and d, what="backup AVAILABLE")


def wait_restored(ddb, name, timeout=120):
    def done():
        t = ddb.describe_table(TableName=name)["Table"]
        return t if t["TableStatus"] == "ACTIVE" else None
    return wait_for(done, timeout=timeout, what=f"restore of {name}")


def test_backup_under_a_writer_restores_exactly_its_commit(server, ddb):
    src, dst = unique_name("bsrc"), unique_name("bdst")
    make_indexed_table(ddb, src)
    for i in range(300):
        ddb.put_item(TableName=src, Item={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)},
                                          "g": {"S": f"g{i % 5}"}, "l": {"N": str(1000 - i)},
                                          "v": {"S": "before"}})
    stop = threading.Event()
    written = []

    def writer():
        n = 0
        while not stop.is_set():
            ddb.put_item(TableName=src, Item={"pk": {"S": "w"}, "sk": {"N": str(n)}, "g": {"S": "gw"},
                                              "l": {"N": str(n)}, "v": {"S": "during"}})
            written.append(n)
            n += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        wait_for(lambda: len(written) > 20, what="writer running")
        created = ddb.create_backup(TableName=src, BackupName="under-load")["BackupDetails"]
        assert created["BackupStatus"] == "CREATING"
        assert created["BackupType"] == "USER" and created["BackupName"] == "under-load"
        arn = created["BackupArn"]
        assert arn.startswith(f"arn:aws:dynamodb:us-east-1:") and f":table/{src}/backup/" in arn
        backup_id = arn.rsplit("/", 1)[1]
        assert len(backup_id) == 23 and backup_id[14] == "-"
        wait_for(lambda: len(written) > len(written) // 2 + 20, what="more writes after the backup")
    finally:
        stop.set()
        t.join()
    desc = wait_backup_available(ddb, arn)
    features = desc["SourceTableFeatureDetails"]
    assert [g["IndexName"] for g in features["GlobalSecondaryIndexes"]] == ["by_g"]
    assert [l["IndexName"] for l in features["LocalSecondaryIndexes"]] == ["by_l"]
    assert desc["SourceTableDetails"]["TableName"] == src

    restored = ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)["TableDescription"]
    assert restored["TableStatus"] == "CREATING"
    assert restored["RestoreSummary"]["SourceBackupArn"] == arn
    assert restored["RestoreSummary"]["RestoreInProgress"] is True
    table = wait_restored(ddb, dst)
    assert "RestoreSummary" not in table
    got = scan_all(ddb, dst)
    # Exactly the items of one commit: everything before, a prefix of the writer's items.
    before = [i for i in got if i["v"]["S"] == "before"]
    during = sorted(int(i["sk"]["N"]) for i in got if i["v"]["S"] == "during")
    assert len(before) == 300
    assert during == list(range(len(during)))
    assert 20 < len(during) < len(written)
    assert table["ItemCount"] == len(got) == desc["SourceTableDetails"]["ItemCount"]
    # Index queries answer from the restored indexes.
    by_g = ddb.query(TableName=dst, IndexName="by_g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "g3"}})["Items"]
    assert len(by_g) == 60
    by_l = ddb.query(TableName=dst, IndexName="by_l", KeyConditionExpression="pk = :p AND l < :l",
                     ExpressionAttributeValues={":p": {"S": "p0"}, ":l": {"N": "800"}})["Items"]
    assert sorted(int(i["l"]["N"]) for i in by_l) == sorted(1000 - i for i in range(300) if i % 7 == 0 and 1000 - i < 800)

    # The backup outlives its table.
    ddb.delete_table(TableName=src)
    assert ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    listed = ddb.list_backups(TableName=src)["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [arn]


def test_restore_overrides_and_errors(server, ddb):
    src = unique_name("osrc")
    make_indexed_table(ddb, src, billing="PROVISIONED")
    ddb.put_item(TableName=src, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}, "l": {"N": "1"}})
    arn = ddb.create_backup(TableName=src, BackupName="bak-1")["BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, arn)

    dst = unique_name("odst")
    ddb.restore_table_from_backup(
        TargetTableName=dst, BackupArn=arn, BillingModeOverride="PAY_PER_REQUEST",
        GlobalSecondaryIndexOverride=[], LocalSecondaryIndexOverride=[],
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"})
    t = wait_restored(ddb, dst)
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "GlobalSecondaryIndexes" not in t and "LocalSecondaryIndexes" not in t
    assert t["SSEDescription"]["SSEType"] == "KMS"
    assert ddb.get_item(TableName=dst, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"]["g"] == {"S": "x"}

    dst2 = unique_name("odst")
    ddb.restore_table_from_backup(TargetTableName=dst2, BackupArn=arn,
                                  ProvisionedThroughputOverride={"ReadCapacityUnits": 7, "WriteCapacityUnits": 9})
    t = wait_restored(ddb, dst2)
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 9
    assert t["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 50

    expect_error(lambda: ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn),
                 "TableAlreadyExistsException", f"Table already exists: {dst}")
    expect_error(lambda: ddb.restore_table_from_backup(
        TargetTableName=unique_name("x"), BackupArn=arn,
        GlobalSecondaryIndexOverride=[{"IndexName": "nope", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "ALL"}}]),
        "ValidationException",
        "Index nope does not match a secondary index that existed in the source table and cannot be created during the restore operation")
    expect_error(lambda: ddb.restore_table_from_backup(
        TargetTableName=unique_name("x"), BackupArn=arn, BillingModeOverride="PAY_PER_REQUEST",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
        "ValidationException", "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED")
    missing = arn[:-8] + "00000000"
    expect_error(lambda: ddb.describe_backup(BackupArn=missing), "BackupNotFoundException",
                 f"Backup not found: {missing}")
    expect_error(lambda: ddb.create_backup(TableName="nope-table", BackupName="bak"), "TableNotFoundException",
                 "Table not found: nope-table")

    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    expect_error(lambda: ddb.describe_backup(BackupArn=arn), "BackupNotFoundException", f"Backup not found: {arn}")
    expect_error(lambda: ddb.restore_table_from_backup(TargetTableName=unique_name("x"), BackupArn=arn),
                 "BackupNotFoundException", f"Backup not found: {arn}")


def test_list_backups_filters_and_pages(server, ddb):
    src = unique_name("lsrc")
    ddb.create_table(TableName=src, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    arns = [ddb.create_backup(TableName=src, BackupName=f"bak-{i}")["BackupDetails"]["BackupArn"] for i in range(5)]
    for a in arns:
        wait_backup_available(ddb, a)
    seen, start = [], None
    while True:
        page = ddb.list_backups(TableName=src, Limit=2, **({"ExclusiveStartBackupArn": start} if start else {}))
        seen += [b["BackupArn"] for b in page["BackupSummaries"]]
        start = page.get("LastEvaluatedBackupArn")
        if not start:
            break
    assert seen == arns
    assert ddb.list_backups(TableName=src, BackupType="SYSTEM")["BackupSummaries"] == []
    summary = ddb.list_backups(TableName=src, Limit=1)["BackupSummaries"][0]
    assert summary["TableName"] == src and summary["BackupStatus"] == "AVAILABLE"
    first = ddb.describe_backup(BackupArn=arns[1])["BackupDescription"]["BackupDetails"]["BackupCreationDateTime"]
    later = ddb.list_backups(TableName=src, TimeRangeLowerBound=first)["BackupSummaries"]
    assert [b["BackupArn"] for b in later] == arns[1:]
    expect_error(lambda: ddb.list_backups(TimeRangeLowerBound=first.timestamp(),
                                          TimeRangeUpperBound=first.timestamp() - 10),
                 "ValidationException", "Time range lower bound must be less than or equal to upper bound")


def put(ddb, table, pk, v, g="g"):
    ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"N": "1"}, "g": {"S": g},
                                        "l": {"N": "1"}, "v": {"S": v}})


def test_point_in_time_restore_reproduces_each_second(travel):
    ddb = travel.client()
    src = unique_name("psrc")
    make_indexed_table(ddb, src)
    put(ddb, src, "keep", "0")
    put(ddb, src, "gone", "0")
    put(ddb, src, "later", "0", g="other")
    desc = ddb.update_continuous_backups(
        TableName=src, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert desc["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    # The first snapshot is taken in the background.
    wait_for(lambda: ddb.describe_continuous_backups(TableName=src)["ContinuousBackupsDescription"]
             ["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp() > 0, what="window")
    advance(travel, 10)
    put(ddb, src, "keep", "1")
    ddb.delete_item(TableName=src, Key={"pk": {"S": "gone"}, "sk": {"N": "1"}})
    t1 = clock(travel)["epoch_seconds"]
    advance(travel, 10)
    put(ddb, src, "keep", "2")
    ddb.update_item(TableName=src, Key={"pk": {"S": "later"}, "sk": {"N": "1"}},
                    UpdateExpression="SET g = :g, v = :v", ExpressionAttributeValues={":g": {"S": "g"}, ":v": {"S": "2"}})
    put(ddb, src, "new", "2")
    t2 = clock(travel)["epoch_seconds"]
    advance(travel, 10)
    put(ddb, src, "keep", "3")
    ddb.delete_item(TableName=src, Key={"pk": {"S": "new"}, "sk": {"N": "1"}})
    t3 = clock(travel)["epoch_seconds"]
    # Not restorable until the latest restorable time (five minutes behind) passes them.
    window = ddb.describe_continuous_backups(TableName=src)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert window["LatestRestorableDateTime"].timestamp() < t2
    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=src, TargetTableName=unique_name("x"), RestoreDateTime=t2),
        "InvalidRestoreTimeException")
    advance(travel, 6 * 60)
    window = ddb.describe_continuous_backups(TableName=src)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert window["LatestRestorableDateTime"].timestamp() >= t3
    assert window["RecoveryPeriodInDays"] == 35

    def state_at(t):
        dst = unique_name("pdst")
        r = ddb.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=dst, RestoreDateTime=t)
        assert r["TableDescription"]["RestoreSummary"]["SourceTableArn"].endswith(f":table/{src}")
        wait_restored(ddb, dst)
        items = {i["pk"]["S"]: i["v"]["S"] for i in scan_all(ddb, dst)}
        by_g = sorted(i["pk"]["S"] for i in ddb.query(
            TableName=dst, IndexName="by_g", KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "g"}})["Items"])
        return items, by_g

    assert state_at(t1) == ({"keep": "1", "later": "0"}, ["keep"])
    assert state_at(t2) == ({"keep": "2", "later": "2", "new": "2"}, ["keep", "later", "new"])
    assert state_at(t3) == ({"keep": "3", "later": "2"}, ["keep", "later"])
    latest = unique_name("pdst")
    ddb.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=latest, UseLatestRestorableTime=True)
    wait_restored(ddb, latest)
    assert {i["pk"]["S"]: i["v"]["S"] for i in scan_all(ddb, latest)} == {"keep": "3", "later": "2"}

    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=src, TargetTableName=unique_name("x"), RestoreDateTime=t1 - 3600),
        "InvalidRestoreTimeException")
    plain = unique_name("nopitr")
    make_indexed_table(ddb, plain)
    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=plain, TargetTableName=unique_name("x"), UseLatestRestorableTime=True),
        "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{plain}'")

    # The window's edges move with the clock: past the recovery period the earliest moves on.
    ddb.update_continuous_backups(TableName=src, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 2})
    advance(travel, 3 * DAY)
    window = ddb.describe_continuous_backups(TableName=src)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    now = clock(travel)["epoch_seconds"]
    assert window["EarliestRestorableDateTime"].timestamp() >= now - 2 * DAY - 1
    assert window["LatestRestorableDateTime"].timestamp() <= now - 299
    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=src, TargetTableName=unique_name("x"), RestoreDateTime=t2),
        "InvalidRestoreTimeException")
    # A restore inside the moved window still gives the latest state.
    inside = unique_name("pdst")
    ddb.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=inside,
                                       RestoreDateTime=now - DAY)
    wait_restored(ddb, inside)
    assert {i["pk"]["S"]: i["v"]["S"] for i in scan_all(ddb, inside)} == {"keep": "3", "later": "2"}


def test_deleting_a_pitr_table_leaves_a_system_backup(travel):
    ddb = travel.client()
    src = unique_name("ssrc")
    make_indexed_table(ddb, src)
    ddb.update_continuous_backups(TableName=src, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    wait_for(lambda: ddb.describe_continuous_backups(TableName=src)["ContinuousBackupsDescription"]
             ["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp() > 0, what="window")
    time.sleep(0.5)
    advance(travel, 60)
    put(ddb, src, "a", "last")
    ddb.delete_table(TableName=src)
    system = ddb.list_backups(TableName=src, BackupType="SYSTEM")["BackupSummaries"]
    assert [b["BackupName"] for b in system] == [f"{src}$DeletedTableBackup"]
    arn = system[0]["BackupArn"]
    assert arn.endswith("-00000000")
    assert ddb.list_backups(TableName=src)["BackupSummaries"] == []
    expect_error(lambda: ddb.delete_backup(BackupArn=arn), "ValidationException")
    dst = unique_name("sdst")
    ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)
    wait_restored(ddb, dst)
    assert {i["pk"]["S"]: i["v"]["S"] for i in scan_all(ddb, dst)} == {"a": "last"}
    advance(travel, 36 * DAY)
    expect_error(lambda: ddb.describe_backup(BackupArn=arn), "BackupNotFoundException")


def load_items(srv, table, count, size=100):
    """`count` items of about `size` bytes, 25 per BatchWriteItem, from eight threads."""
    from concurrent.futures import ThreadPoolExecutor

    pad = "x" * size

    def batch(start):
        client = srv.client()
        items = [{"PutRequest": {"Item": {"pk": {"S": f"k{i:07d}"}, "v": {"S": pad}}}}
                 for i in range(start, min(start + 25, count))]
        pending = {table: items}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(batch, range(0, count, 25)))


def test_a_restore_killed_midway_resumes_and_never_shows_a_half_table(new_server):
    srv = new_server()
    ddb = srv.client()
    src, dst = unique_name("ksrc"), unique_name("kdst")
    ddb.create_table(TableName=src, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    total = 100_000
    load_items(srv, src, total)
    arn = ddb.create_backup(TableName=src, BackupName="before-crash")["BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, arn)
    ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)
    # While it is CREATING the table takes no requests.
    expect_error(lambda: ddb.get_item(TableName=dst, Key={"pk": {"S": "k0000000"}}),
                 "ResourceNotFoundException", "Requested resource not found")

    def midway():
        t = ddb.describe_table(TableName=dst)["Table"]
        assert t["TableStatus"] == "CREATING", "the restore finished before it could be interrupted"
        return 0 < t["ItemCount"] < total
    wait_for(midway, interval=0.01, what="a restore under way")
    srv._kill()
    srv.start()
    ddb = srv.client()
    seen_creating = False

    def whole():
        nonlocal seen_creating
        t = ddb.describe_table(TableName=dst)["Table"]
        if t["TableStatus"] == "ACTIVE":
            assert t["ItemCount"] == total, t
            return t
        seen_creating = True
        assert t["TableStatus"] == "CREATING" and t["RestoreSummary"]["RestoreInProgress"] is True
        return None
    wait_for(whole, timeout=300, what="the resumed restore")
    assert seen_creating, "after the restart the restore should still have been under way"
    count = 0
    start = None
    while True:
        page = ddb.scan(TableName=dst, Select="COUNT", **({"ExclusiveStartKey": start} if start else {}))
        count += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert count == total


def test_a_backup_interrupted_by_a_crash_is_removed(new_server):
    srv = new_server()
    ddb = srv.client()
    src = unique_name("csrc")
    ddb.create_table(TableName=src, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    load_items(srv, src, 20_000, size=1000)
    arn = ddb.create_backup(TableName=src, BackupName="interrupted")["BackupDetails"]["BackupArn"]
    srv._kill()
    srv.start()
    ddb = srv.client()

    def settled():
        try:
            return ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
        except ClientError as e:
            return e.response["Error"]["Code"] == "BackupNotFoundException"
    wait_for(settled, what="the interrupted backup removed (or finished before the kill)")
    leftovers = [p.name for p in (srv.data_dir / "backups").glob("*.partial")] if (srv.data_dir / "backups").exists() else []
    assert leftovers == []


def test_backups_can_live_on_another_disk(new_server, tmp_path):
    elsewhere = tmp_path / "backups-elsewhere"
    srv = new_server(args=["--backup-dir", str(elsewhere)])
    ddb = srv.client()
    src = unique_name("dsrc")
    ddb.create_table(TableName=src, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=src, Item={"pk": {"S": "a"}})
    arn = ddb.create_backup(TableName=src, BackupName="apart")["BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, arn)
    files = list(elsewhere.glob("*.dsb"))
    assert [f.stem for f in files] == [arn.rsplit("/", 1)[1]]
    assert files[0].stat().st_mode & 0o777 == 0o600
    assert elsewhere.stat().st_mode & 0o777 == 0o700
    assert not (srv.data_dir / "backups").exists()
    srv.restart()
    ddb = srv.client()
    dst = unique_name("ddst")
    ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)
    wait_restored(ddb, dst)
    assert ddb.get_item(TableName=dst, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def test_arns_of_another_account_are_refused_and_tables_are_named_by_arn(server, ddb):
    src = unique_name("asrc")
    arn = ddb.create_table(TableName=src, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    account = arn.split(":")[4]
    backup = ddb.create_backup(TableName=arn, BackupName="by-arn")["BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, backup)
    foreign = backup.replace(f":{account}:", ":111111111111:")
    expect_error(lambda: ddb.delete_backup(BackupArn=foreign), "AccessDeniedException", "Access is denied")
    expect_error(lambda: ddb.describe_backup(BackupArn=foreign), "AccessDeniedException", "Access is denied")
    expect_error(lambda: ddb.create_backup(TableName=arn.replace(f":{account}:", ":111111111111:"),
                                           BackupName="bak"), "AccessDeniedException", "Access is denied")
    assert ddb.describe_backup(BackupArn=backup)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    ddb.update_continuous_backups(TableName=arn, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    status = ddb.describe_continuous_backups(TableName=arn)["ContinuousBackupsDescription"]
    assert status["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_a_longer_recovery_period_does_not_bring_back_what_aged_out(travel):
    ddb = travel.client()
    src = unique_name("hsrc")
    make_indexed_table(ddb, src)
    ddb.update_continuous_backups(TableName=src, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 1})
    wait_for(lambda: ddb.describe_continuous_backups(TableName=src)["ContinuousBackupsDescription"]
             ["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp() > 0, what="window")
    advance(travel, 3 * DAY)
    window = lambda: ddb.describe_continuous_backups(TableName=src)["ContinuousBackupsDescription"][  # noqa: E731
        "PointInTimeRecoveryDescription"]
    before = window()["EarliestRestorableDateTime"].timestamp()
    ddb.update_continuous_backups(TableName=src, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 35})
    after = window()
    assert after["RecoveryPeriodInDays"] == 35
    assert after["EarliestRestorableDateTime"].timestamp() >= before
    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=src, TargetTableName=unique_name("x"), RestoreDateTime=before - 3600),
        "InvalidRestoreTimeException")
