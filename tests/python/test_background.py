"""Background work stops with the server and resumes after a restart: a GSI backfill and a TTL
index build in progress at SIGTERM end cleanly (no step runs on a closed store) and finish
after the restart, with every item indexed."""

from __future__ import annotations

import time

from dynohelpers import unique_name, wait_for, wait_table_active

ITEMS = 2000


def _load(ddb, name, now):
    for start in range(0, ITEMS, 25):
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {
                "k": {"S": f"item-{i:05}"},
                "g": {"S": f"group-{i % 7}"},
                # Far in the future: the build indexes it, the sweeper leaves it.
                "exp": {"N": str(now + 365 * 86400 + i)},
            }}}
            for i in range(start, min(start + 25, ITEMS))
        ]})


def _states(ddb, name):
    table = ddb.describe_table(TableName=name)["Table"]
    gsi = table.get("GlobalSecondaryIndexes", [{}])[0].get("IndexStatus")
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"]
    return gsi, ttl


def test_shutdown_stops_backfill_and_ttl_build_and_both_resume(new_server):
    # One item per write job: the work takes long enough to be caught in progress.
    srv = new_server(args=["--background-chunk-items", "1"])
    ddb = srv.client()
    name = unique_name("bg")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
    wait_table_active(ddb, name)
    _load(ddb, name, int(time.time()))

    ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "by_g",
                         "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert _states(ddb, name) == ("CREATING", "ENABLING")

    started = time.monotonic()
    code = srv.stop()
    stopped_in = time.monotonic() - started
    assert code == 0, srv.diagnostics()
    assert stopped_in < 8, f"stop took {stopped_in:.1f} s"
    log = srv.stderr_path.read_text(errors="replace")
    assert "failed" not in log, log[-2000:]

    srv.start()
    ddb = srv.client()
    wait_for(lambda: _states(ddb, name) == ("ACTIVE", "ENABLED"), timeout=120, interval=0.2,
             what="backfill and TTL build to finish after the restart")
    counted = ddb.scan(TableName=name, IndexName="by_g", Select="COUNT")
    total = counted["Count"]
    while "LastEvaluatedKey" in counted:
        counted = ddb.scan(TableName=name, IndexName="by_g", Select="COUNT",
                           ExclusiveStartKey=counted["LastEvaluatedKey"])
        total += counted["Count"]
    assert total == ITEMS
    log = srv.stderr_path.read_text(errors="replace")
    assert "failed" not in log, log[-2000:]
