"""Durability: state survives a graceful restart on the same data dir.

Each test runs its own private server (``new_server`` fixture) so restarts
never disturb the shared one.
"""

from __future__ import annotations

from dynohelpers import expect_error, normalize_item, wait_table_active, wait_table_gone

from conftest import create_table

ITEM = {
    "k": {"S": "item-1"},
    "n": {"N": "12345678901234567890123456789012345678"},
    "b": {"B": b"\x00\xff"},
    "ss": {"SS": ["x", "y"]},
    "m": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": False}]}}},
}


def test_sigterm_exits_cleanly(new_server):
    srv = new_server()
    srv.client().list_tables()
    assert srv.stop() == 0


def test_tables_and_items_survive_restart(new_server):
    srv = new_server()
    client = srv.client()
    create_table(client, "durable", hash_key=("k", "S"), range_key=None,
                 Tags=[{"Key": "t", "Value": "v"}],
                 StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    before = client.describe_table(TableName="durable")["Table"]
    client.put_item(TableName="durable", Item=ITEM)
    for i in range(50):
        client.put_item(TableName="durable", Item={"k": {"S": f"bulk-{i}"}, "i": {"N": str(i)}})

    srv.restart()
    client = srv.client()
    after = wait_table_active(client, "durable")
    for field in ("TableArn", "TableId", "CreationDateTime", "KeySchema", "AttributeDefinitions",
                  "BillingModeSummary", "StreamSpecification", "LatestStreamArn"):
        assert after.get(field) == before.get(field), field
    got = client.get_item(TableName="durable", Key={"k": ITEM["k"]}, ConsistentRead=True)["Item"]
    assert normalize_item(got) == normalize_item(ITEM)
    for i in (0, 25, 49):
        got = client.get_item(TableName="durable", Key={"k": {"S": f"bulk-{i}"}}, ConsistentRead=True)["Item"]
        assert got["i"] == {"N": str(i)}
    assert client.list_tags_of_resource(ResourceArn=after["TableArn"])["Tags"] == [{"Key": "t", "Value": "v"}]


def test_updates_and_deletes_survive_restart(new_server):
    srv = new_server()
    client = srv.client()
    create_table(client, "mutations")
    client.put_item(TableName="mutations", Item={"k": {"S": "a"}, "v": {"N": "1"}})
    client.put_item(TableName="mutations", Item={"k": {"S": "b"}, "v": {"N": "1"}})
    client.update_item(TableName="mutations", Key={"k": {"S": "a"}}, UpdateExpression="ADD v :one",
                       ExpressionAttributeValues={":one": {"N": "1"}})
    client.delete_item(TableName="mutations", Key={"k": {"S": "b"}})

    srv.restart()
    client = srv.client()
    wait_table_active(client, "mutations")
    assert client.get_item(TableName="mutations", Key={"k": {"S": "a"}}, ConsistentRead=True)["Item"]["v"] == {"N": "2"}
    assert "Item" not in client.get_item(TableName="mutations", Key={"k": {"S": "b"}}, ConsistentRead=True)


def test_deleted_table_stays_deleted(new_server):
    srv = new_server()
    client = srv.client()
    create_table(client, "doomed")
    create_table(client, "kept")
    client.delete_table(TableName="doomed")
    wait_table_gone(client, "doomed")

    srv.restart()
    client = srv.client()
    assert client.list_tables()["TableNames"] == ["kept"]
    expect_error(
        client.describe_table, "ResourceNotFoundException",
        "Requested resource not found: Table: doomed not found", TableName="doomed",
    )


def test_table_settings_survive_restart(new_server):
    srv = new_server()
    client = srv.client()
    create_table(client, "settings", billing="PROVISIONED", throughput=(5, 5))
    client.update_table(TableName="settings", ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 8})
    wait_table_active(client, "settings")

    srv.restart()
    client = srv.client()
    pt = wait_table_active(client, "settings")["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (7, 8)


def test_several_restarts(new_server):
    srv = new_server()
    client = srv.client()
    create_table(client, "counter")
    for expected in range(1, 4):
        client.update_item(TableName="counter", Key={"k": {"S": "c"}}, UpdateExpression="ADD n :one",
                           ExpressionAttributeValues={":one": {"N": "1"}})
        srv.restart()
        client = srv.client()
        wait_table_active(client, "counter")
        got = client.get_item(TableName="counter", Key={"k": {"S": "c"}}, ConsistentRead=True)["Item"]
        assert got["n"] == {"N": str(expected)}


def test_in_memory_server_serves_and_forgets(new_server):
    srv = new_server(in_memory=True)
    client = srv.client()
    create_table(client, "ephemeral")
    client.put_item(TableName="ephemeral", Item={"k": {"S": "x"}})
    assert client.get_item(TableName="ephemeral", Key={"k": {"S": "x"}})["Item"] == {"k": {"S": "x"}}
    assert srv.stop() == 0
    srv.start()
    assert srv.client().list_tables()["TableNames"] == []
