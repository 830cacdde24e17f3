"""Global tables (version 2019.11.21) on one server, with boto3: UpdateTable ReplicaUpdates
makes a replica in another region, filled from the table's items and kept in step both ways,
asynchronously, last writer wins; conflicting writes converge; a SIGKILL loses no
acknowledged write; deleting a replica leaves the others."""
from __future__ import annotations

import random
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dynohelpers import ACCESS_KEY, SECRET_KEY
from test_clock import advance
from test_terraform import NO_TERRAFORM, SKIP_REASON, module_copy, run

US, EU, AP = "us-east-1", "eu-west-1", "ap-southeast-2"
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
# What AWS answers in every replica entry of a current-version global table (recorded 2026-10-09).
MODE = {"GlobalTableSettingsReplicationMode": "ENABLED_WITH_OVERRIDES"}


def client(server, region, service="dynamodb"):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def create(ddb, name, stream=STREAM, gsi=False, provisioned=False):
    args = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    if provisioned:
        args.update(BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    if gsi:
        args["AttributeDefinitions"].append({"AttributeName": "g", "AttributeType": "S"})
        args["GlobalSecondaryIndexes"] = [{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
                                           "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]
    if stream:
        args["StreamSpecification"] = stream
    return ddb.create_table(**args)["TableDescription"]


def wait_until(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def add_replica(ddb, name, region):
    return ddb.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])


def active(server, name, region):
    ddb = client(server, region)

    def check():
        try:
            return ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
        except ClientError:
            return False
    return wait_until(check)


def scan_all(ddb, name):
    items, kwargs = [], {"TableName": name, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: i["k"]["S"])
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture
def server(new_server):
    return new_server()


def test_a_replica_gets_the_items_and_writes_flow_both_ways(server):
    us, eu = client(server, US), client(server, EU)
    create(us, "orders", gsi=True)
    for i in range(1200):
        us.put_item(TableName="orders", Item={"k": {"S": f"k{i:04}"}, "g": {"S": f"g{i % 7}"}, "n": {"N": str(i)}})
    out = add_replica(us, "orders", EU)["TableDescription"]
    assert out["Replicas"] == [{**MODE, "RegionName": EU, "ReplicaStatus": "CREATING",
                                "ReplicaStatusPercentProgress": "0"}]
    assert out["GlobalTableVersion"] == "2019.11.21"
    assert active(server, "orders", EU)
    replica = eu.describe_table(TableName="orders")["Table"]
    assert replica["TableArn"].startswith("arn:aws:dynamodb:eu-west-1:")
    assert replica["Replicas"] == [{**MODE, "RegionName": US, "ReplicaStatus": "ACTIVE"}]
    assert replica["StreamSpecification"] == STREAM
    assert [g["IndexName"] for g in replica["GlobalSecondaryIndexes"]] == ["by-g"]
    assert wait_until(lambda: us.describe_table(TableName="orders")["Table"]["Replicas"]
                      == [{**MODE, "RegionName": EU, "ReplicaStatus": "ACTIVE"}])
    assert scan_all(eu, "orders") == scan_all(us, "orders")
    # The replica's index was filled too.
    by_g = dict(TableName="orders", IndexName="by-g", KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "g3"}}, Select="COUNT")
    assert eu.query(**by_g)["Count"] == us.query(**by_g)["Count"] == 171

    # Writes in either region appear in the other: puts, updates, deletes.
    eu.put_item(TableName="orders", Item={"k": {"S": "from-eu"}, "g": {"S": "x"}})
    us.update_item(TableName="orders", Key={"k": {"S": "k0001"}}, UpdateExpression="SET n = :n",
                   ExpressionAttributeValues={":n": {"N": "-1"}})
    us.delete_item(TableName="orders", Key={"k": {"S": "k0002"}})
    assert wait_until(lambda: "Item" in us.get_item(TableName="orders", Key={"k": {"S": "from-eu"}}))
    assert wait_until(lambda: eu.get_item(TableName="orders", Key={"k": {"S": "k0001"}})["Item"]["n"] == {"N": "-1"})
    assert wait_until(lambda: "Item" not in eu.get_item(TableName="orders", Key={"k": {"S": "k0002"}}))
    assert scan_all(eu, "orders") == scan_all(us, "orders")

    # The replica's stream shows the replicated writes (and its own).
    streams = client(server, EU, "dynamodbstreams")
    arn = replica["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    events = [(r["eventName"], r["dynamodb"]["Keys"]["k"]["S"]) for r in streams.get_records(ShardIterator=it)["Records"]]
    assert events == [("INSERT", "from-eu"), ("MODIFY", "k0001"), ("REMOVE", "k0002")]


def test_conflicting_writes_converge_last_writer_wins(server):
    us, eu = client(server, US), client(server, EU)
    create(us, "conflicts")
    add_replica(us, "conflicts", EU)
    assert active(server, "conflicts", EU)
    rng = random.Random(7)
    keys = [f"k{i}" for i in range(20)]
    for i in range(1000):
        ddb, region = rng.choice(((us, US), (eu, EU)))
        key = rng.choice(keys)
        if rng.random() < 0.1:
            ddb.delete_item(TableName="conflicts", Key={"k": {"S": key}})
        else:
            ddb.put_item(TableName="conflicts", Item={"k": {"S": key}, "w": {"S": f"{region}-{i}"}})
    assert wait_until(lambda: scan_all(us, "conflicts") == scan_all(eu, "conflicts"))
    final = scan_all(us, "conflicts")
    assert final == scan_all(eu, "conflicts")
    assert final, "some items survive the deletes"


def test_replica_validation_and_deletion(server):
    us, eu = client(server, US), client(server, EU)
    create(us, "plain", stream=None)
    with pytest.raises(ClientError) as e:
        add_replica(us, "plain", EU)
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        add_replica(us, "missing", EU)
    assert code(e) == "ResourceNotFoundException"
    create(us, "grouped")
    with pytest.raises(ClientError) as e:
        add_replica(us, "grouped", US)
    assert code(e) == "ValidationException"
    us.put_item(TableName="grouped", Item={"k": {"S": "a"}})
    add_replica(us, "grouped", EU)
    add_replica(us, "grouped", AP)
    assert active(server, "grouped", EU) and active(server, "grouped", AP)
    with pytest.raises(ClientError) as e:
        add_replica(us, "grouped", EU)
    assert code(e) == "ValidationException"
    ap = client(server, AP)
    # Three regions: a write in one reaches both others.
    ap.put_item(TableName="grouped", Item={"k": {"S": "from-ap"}})
    assert wait_until(lambda: "Item" in us.get_item(TableName="grouped", Key={"k": {"S": "from-ap"}})
                      and "Item" in eu.get_item(TableName="grouped", Key={"k": {"S": "from-ap"}}))
    with pytest.raises(ClientError) as e:  # replication needs the stream
        us.update_table(TableName="grouped", StreamSpecification={"StreamEnabled": False})
    assert code(e) == "ValidationException"

    # Deleting the eu-west-1 replica removes only that region's copy.
    us.update_table(TableName="grouped", ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    with pytest.raises(ClientError) as e:
        eu.describe_table(TableName="grouped")
    assert code(e) == "ResourceNotFoundException"
    assert [r["RegionName"] for r in us.describe_table(TableName="grouped")["Table"]["Replicas"]] == [AP]
    assert [r["RegionName"] for r in ap.describe_table(TableName="grouped")["Table"]["Replicas"]] == [US]
    assert sorted(i["k"]["S"] for i in scan_all(us, "grouped")) == ["a", "from-ap"]
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="grouped", ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    assert code(e) == "ValidationException"


def test_a_sigkill_during_replication_loses_no_acknowledged_write(server):
    us, eu = client(server, US), client(server, EU)
    create(us, "durable")
    add_replica(us, "durable", EU)
    assert active(server, "durable", EU)
    acknowledged = {}
    for i in range(400):
        ddb, region = (us, US) if i % 2 else (eu, EU)
        ddb.put_item(TableName="durable", Item={"k": {"S": f"k{i}"}, "r": {"S": region}})
        acknowledged[f"k{i}"] = region
    server._kill()
    server.start()
    us, eu = client(server, US), client(server, EU)
    for ddb in (us, eu):
        assert wait_until(lambda: len(scan_all(ddb, "durable")) == len(acknowledged))
    assert {i["k"]["S"]: i["r"]["S"] for i in scan_all(us, "durable")} == acknowledged
    assert scan_all(eu, "durable") == scan_all(us, "durable")


@pytest.mark.skipif(NO_TERRAFORM, reason=SKIP_REASON)
def test_the_modules_replica_regions_apply_plan_clean_and_destroy(server, tmp_path):
    """prod's stack with replica_regions = ["eu-west-1"]: the users table (the one whose stream
    has both images) gets a replica block; it applies, replicates, plans clean and destroys."""
    work, env = module_copy(tmp_path / "tf", server.endpoint)
    args = ["-input=false", "-var-file=environments/prod.tfvars", '-var=replica_regions=["eu-west-1"]']
    run(work, env, "apply", "-auto-approve", *args)
    us, eu = client(server, US), client(server, EU)
    assert eu.list_tables()["TableNames"] == ["myapp-prod-users"]
    replica = eu.describe_table(TableName="myapp-prod-users")["Table"]
    assert replica["TableStatus"] == "ACTIVE"
    # us-east-1's table is under the module's customer managed key, which the replica names;
    # the replica has its region's AWS managed key (the module gives none), which is not named.
    cmk = us.describe_table(TableName="myapp-prod-users")["Table"]["SSEDescription"]["KMSMasterKeyArn"]
    assert replica["Replicas"] == [{**MODE, "RegionName": US, "ReplicaStatus": "ACTIVE", "KMSMasterKeyId": cmk}]
    assert us.describe_table(TableName="myapp-prod-users")["Table"]["Replicas"] == [
        {**MODE, "RegionName": EU, "ReplicaStatus": "ACTIVE"}]
    assert replica["SSEDescription"]["KMSMasterKeyArn"].startswith("arn:aws:kms:eu-west-1:")
    # propagate_tags and the replica's point-in-time recovery reached eu-west-1.
    tags = {t["Key"]: t["Value"] for t in eu.list_tags_of_resource(ResourceArn=replica["TableArn"])["Tags"]}
    assert tags["Environment"] == "prod"
    pitr = eu.describe_continuous_backups(TableName="myapp-prod-users")["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    key = {"user_id": {"S": "u1"}, "created_at": {"S": "2026-12-07"}}
    us.put_item(TableName="myapp-prod-users", Item={**key, "email": {"S": "a@b"}})
    assert wait_until(lambda: "Item" in eu.get_item(TableName="myapp-prod-users", Key=key))
    plan = run(work, env, "plan", "-detailed-exitcode", *args, check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    run(work, env, "destroy", "-auto-approve", *args)
    assert us.list_tables()["TableNames"] == [] and eu.list_tables()["TableNames"] == []


def test_replication_latency_is_published_per_receiving_region(new_server):
    server = new_server(args=["--test-clock"])
    us, eu = client(server, US), client(server, EU)
    create(us, "timed")
    add_replica(us, "timed", EU)
    assert active(server, "timed", EU)
    for i in range(20):
        us.put_item(TableName="timed", Item={"k": {"S": f"k{i}"}})
    assert wait_until(lambda: eu.scan(TableName="timed", Select="COUNT")["Count"] == 20)
    now = advance(server, 120)["epoch_seconds"]
    cw = client(server, US, "cloudwatch")
    stats = cw.get_metric_statistics(
        Namespace="AWS/DynamoDB", MetricName="ReplicationLatency", StartTime=now - 600, EndTime=now,
        Dimensions=[{"Name": "TableName", "Value": "timed"}, {"Name": "ReceivingRegion", "Value": EU}],
        Period=600, Statistics=["SampleCount", "Maximum"])["Datapoints"]
    assert sum(p["SampleCount"] for p in stats) == 20
    assert all(p["Unit"] == "Milliseconds" and p["Maximum"] >= 0 for p in stats)
    # Nothing was written in eu-west-1, so it has no latency to report towards us-east-1.
    assert client(server, EU, "cloudwatch").list_metrics(
        Namespace="AWS/DynamoDB", MetricName="ReplicationLatency")["Metrics"] == []


def test_the_2017_11_29_api_joins_empty_tables_and_replicates(server):
    us, eu = client(server, US), client(server, EU)
    for ddb in (us, eu):
        create(ddb, "legacy")
    created = us.create_global_table(GlobalTableName="legacy",
                                     ReplicationGroup=[{"RegionName": US}, {"RegionName": EU}])["GlobalTableDescription"]
    assert created["GlobalTableName"] == "legacy"
    assert created["GlobalTableArn"].endswith(":global-table/legacy")
    assert sorted(r["RegionName"] for r in created["ReplicationGroup"]) == [EU, US]
    described = eu.describe_global_table(GlobalTableName="legacy")["GlobalTableDescription"]
    assert described["GlobalTableStatus"] == "ACTIVE"
    assert us.describe_table(TableName="legacy")["Table"]["GlobalTableVersion"] == "2017.11.29"
    assert us.list_global_tables()["GlobalTables"] == [
        {"GlobalTableName": "legacy", "ReplicationGroup": [{"RegionName": EU}, {"RegionName": US}]}]
    assert us.list_global_tables(RegionName=AP)["GlobalTables"] == []
    with pytest.raises(ClientError) as e:
        us.create_global_table(GlobalTableName="legacy", ReplicationGroup=[{"RegionName": US}])
    assert code(e) == "GlobalTableAlreadyExistsException"
    with pytest.raises(ClientError) as e:
        us.describe_global_table(GlobalTableName="nothing")
    assert code(e) == "GlobalTableNotFoundException"

    us.put_item(TableName="legacy", Item={"k": {"S": "a"}})
    assert wait_until(lambda: "Item" in eu.get_item(TableName="legacy", Key={"k": {"S": "a"}}))

    # A third region joins only with an empty table of the same name.
    ap = client(server, AP)
    with pytest.raises(ClientError) as e:
        us.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Create": {"RegionName": AP}}])
    assert code(e) == "TableNotFoundException"
    create(ap, "legacy")
    us.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Create": {"RegionName": AP}}])
    ap.put_item(TableName="legacy", Item={"k": {"S": "b"}})
    assert wait_until(lambda: "Item" in us.get_item(TableName="legacy", Key={"k": {"S": "b"}}))

    settings = us.describe_global_table_settings(GlobalTableName="legacy")
    assert sorted(r["RegionName"] for r in settings["ReplicaSettings"]) == [AP, EU, US]
    assert {r["ReplicaBillingModeSummary"]["BillingMode"] for r in settings["ReplicaSettings"]} == {"PAY_PER_REQUEST"}
    updated = us.update_global_table_settings(
        GlobalTableName="legacy", GlobalTableBillingMode="PROVISIONED",
        GlobalTableProvisionedWriteCapacityUnits=7,
        ReplicaSettingsUpdate=[{"RegionName": EU, "ReplicaProvisionedReadCapacityUnits": 9}])
    by_region = {r["RegionName"]: r for r in updated["ReplicaSettings"]}
    assert by_region[EU]["ReplicaProvisionedReadCapacityUnits"] == 9
    assert {r["ReplicaProvisionedWriteCapacityUnits"] for r in by_region.values()} == {7}
    assert eu.describe_table(TableName="legacy")["Table"]["BillingModeSummary"]["BillingMode"] == "PROVISIONED"

    # Leaving keeps the table, and replication to it stops.
    us.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Delete": {"RegionName": AP}}])
    assert "Replicas" not in ap.describe_table(TableName="legacy")["Table"]
    us.put_item(TableName="legacy", Item={"k": {"S": "c"}})
    assert wait_until(lambda: "Item" in eu.get_item(TableName="legacy", Key={"k": {"S": "c"}}))
    assert "Item" not in ap.get_item(TableName="legacy", Key={"k": {"S": "c"}})
    with pytest.raises(ClientError) as e:
        us.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Delete": {"RegionName": AP}}])
    assert code(e) == "ReplicaNotFoundException"


def test_ttl_deletions_replicate(new_server):
    server = new_server(args=["--ttl-sweep-seconds", "0.3", "--ttl-allow-quick-changes"])
    us, eu = client(server, US), client(server, EU)
    create(us, "sessions")
    us.update_time_to_live(TableName="sessions",
                           TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    assert wait_until(lambda: us.describe_time_to_live(TableName="sessions")
                      ["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED")
    add_replica(us, "sessions", EU)
    assert active(server, "sessions", EU)
    now = int(time.time())
    us.put_item(TableName="sessions", Item={"k": {"S": "stays"}, "expires_at": {"N": str(now + 3600)}})
    us.put_item(TableName="sessions", Item={"k": {"S": "expires"}, "expires_at": {"N": str(now + 1)}})
    assert wait_until(lambda: eu.scan(TableName="sessions", Select="COUNT")["Count"] == 2)
    # The sweeper deletes it in us-east-1; the deletion reaches eu-west-1.
    assert wait_until(lambda: "Item" not in us.get_item(TableName="sessions", Key={"k": {"S": "expires"}}))
    assert wait_until(lambda: "Item" not in eu.get_item(TableName="sessions", Key={"k": {"S": "expires"}}))
    assert [i["k"]["S"] for i in scan_all(eu, "sessions")] == ["stays"]


def test_replica_auto_scaling_is_application_auto_scaling_in_each_region(server):
    us, eu = client(server, US), client(server, EU)
    create(us, "scaled", provisioned=True)
    add_replica(us, "scaled", EU)
    assert active(server, "scaled", EU)
    policy = {"PolicyName": "writes", "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70.0}}
    out = us.update_table_replica_auto_scaling(
        TableName="scaled",
        ProvisionedWriteCapacityAutoScalingUpdate={"MinimumUnits": 6, "MaximumUnits": 50,
                                                   "ScalingPolicyUpdate": policy},
        ReplicaUpdates=[{"RegionName": EU, "ReplicaProvisionedReadCapacityAutoScalingUpdate": {
            "MinimumUnits": 8, "MaximumUnits": 20,
            "ScalingPolicyUpdate": {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 60.0}}}}],
    )["TableAutoScalingDescription"]
    assert out["TableName"] == "scaled"
    replicas = {r["RegionName"]: r for r in out["Replicas"]}
    assert sorted(replicas) == [EU, US]
    for r in replicas.values():
        w = r["ReplicaProvisionedWriteCapacityAutoScalingSettings"]
        assert (w["MinimumUnits"], w["MaximumUnits"]) == (6, 50)
        assert w["ScalingPolicies"] == [{"PolicyName": "writes",
                                         "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70.0}}]
    assert "ReplicaProvisionedReadCapacityAutoScalingSettings" not in replicas[US]
    read = replicas[EU]["ReplicaProvisionedReadCapacityAutoScalingSettings"]
    assert (read["MinimumUnits"], read["MaximumUnits"]) == (8, 20)
    assert read["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 60.0
    # They are Application Auto Scaling's targets in each region, which set the capacity there.
    aas = client(server, EU, "application-autoscaling")
    dims = sorted(t["ScalableDimension"] for t in aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"])
    assert dims == ["dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits"]
    assert eu.describe_table(TableName="scaled")["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 8
    assert us.describe_table(TableName="scaled")["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert us.describe_table_replica_auto_scaling(TableName="scaled")["TableAutoScalingDescription"] == out


def test_a_replicas_own_settings_change_with_replica_updates_update(server):
    us, eu = client(server, US), client(server, EU)
    create(us, "tuned", provisioned=True)
    add_replica(us, "tuned", EU)
    assert active(server, "tuned", EU)
    key = client(server, EU, "kms").create_key()["KeyMetadata"]["Arn"]
    us.update_table(TableName="tuned", ReplicaUpdates=[{"Update": {
        "RegionName": EU, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 12},
        "KMSMasterKeyId": key, "TableClassOverride": "STANDARD_INFREQUENT_ACCESS"}}])
    (replica,) = us.describe_table(TableName="tuned")["Table"]["Replicas"]
    assert replica == {**MODE, "RegionName": EU, "ReplicaStatus": "ACTIVE", "KMSMasterKeyId": key,
                       "ProvisionedThroughputOverride": {"ReadCapacityUnits": 12},
                       "ReplicaTableClassSummary": {"TableClass": "STANDARD_INFREQUENT_ACCESS"}}
    there = eu.describe_table(TableName="tuned")["Table"]
    assert there["ProvisionedThroughput"]["ReadCapacityUnits"] == 12
    assert there["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    assert there["SSEDescription"]["KMSMasterKeyArn"] == key
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="tuned", ReplicaUpdates=[{"Update": {"RegionName": AP}}])
    assert code(e) == "ValidationException"


def test_writes_during_the_fill_reach_the_new_replica(server):
    us, eu = client(server, US), client(server, EU)
    create(us, "busy")
    for i in range(3000):
        us.put_item(TableName="busy", Item={"k": {"S": f"k{i:04}"}, "n": {"N": "0"}})
    add_replica(us, "busy", EU)
    # Rewritten, deleted and new items while the replica is being filled (256 items a step).
    for round_ in range(1, 4):
        for i in range(0, 3000, 7):
            us.put_item(TableName="busy", Item={"k": {"S": f"k{i:04}"}, "n": {"N": str(round_)}})
        us.delete_item(TableName="busy", Key={"k": {"S": f"k{round_:04}"}})
        us.put_item(TableName="busy", Item={"k": {"S": f"new{round_}"}, "n": {"N": "9"}})
    assert active(server, "busy", EU)
    assert wait_until(lambda: scan_all(eu, "busy") == scan_all(us, "busy"))


def test_pending_replication_count_is_the_2017_11_29_versions_and_a_day_later_all_still_converges(new_server):
    server = new_server(args=["--test-clock"])
    us, eu = client(server, US), client(server, EU)
    for ddb in (us, eu):
        create(ddb, "legacy")
    us.create_global_table(GlobalTableName="legacy", ReplicationGroup=[{"RegionName": US}, {"RegionName": EU}])
    create(us, "current")
    add_replica(us, "current", EU)
    assert active(server, "current", EU)
    for i in range(5):
        us.put_item(TableName="legacy", Item={"k": {"S": f"k{i}"}})
        us.put_item(TableName="current", Item={"k": {"S": f"k{i}"}})
    assert wait_until(lambda: eu.scan(TableName="legacy", Select="COUNT")["Count"] == 5
                      and eu.scan(TableName="current", Select="COUNT")["Count"] == 5)
    now = advance(server, 120)["epoch_seconds"]
    cw = client(server, US, "cloudwatch")

    def pending(table):
        return cw.get_metric_statistics(
            Namespace="AWS/DynamoDB", MetricName="PendingReplicationCount", StartTime=now - 600, EndTime=now,
            Dimensions=[{"Name": "TableName", "Value": table}, {"Name": "ReceivingRegion", "Value": EU}],
            Period=600, Statistics=["Sum"])["Datapoints"]

    assert sum(p["Sum"] for p in pending("legacy")) == 5
    assert pending("current") == []
    # A day later the versions of those writes are forgotten; writes from both sides converge.
    advance(server, 25 * 3600)
    for i in range(5):
        (us if i % 2 else eu).put_item(TableName="current", Item={"k": {"S": f"k{i}"}, "day": {"N": "2"}})
        eu.delete_item(TableName="current", Key={"k": {"S": "k4"}})
    assert wait_until(lambda: scan_all(us, "current") == scan_all(eu, "current"))
    assert len(scan_all(us, "current")) == 4


def test_synchronized_settings_reach_every_replica_and_deletion_protection_does_not(server):
    # AWS's list: capacity mode, write (and, overriding, read) capacity, index definitions and
    # their capacity, TTL are synchronized; deletion protection is not.
    us, eu = client(server, US), client(server, EU)
    create(us, "synced", provisioned=True)
    for i in range(50):
        us.put_item(TableName="synced", Item={"k": {"S": f"k{i}"}, "g": {"S": f"g{i % 3}"}})
    add_replica(us, "synced", EU)
    assert active(server, "synced", EU)
    us.update_table(TableName="synced", ReplicaUpdates=[{"Update": {
        "RegionName": EU, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 3}}}])

    # An index made in eu-west-1 appears in both regions and is filled from each one's items.
    eu.update_table(TableName="synced", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                    GlobalSecondaryIndexUpdates=[{"Create": {
                        "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                        "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 4}}}])

    def index_active(ddb):
        return lambda: [g["IndexStatus"] for g in ddb.describe_table(TableName="synced")["Table"]
                        .get("GlobalSecondaryIndexes", [])] == ["ACTIVE"]
    assert wait_until(index_active(us)) and wait_until(index_active(eu))
    for ddb in (us, eu):
        got = ddb.query(TableName="synced", IndexName="by-g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "g0"}})
        assert got["Count"] == 17

    # Write capacity in us-east-1 changes both; so does read capacity, replacing the override.
    us.update_table(TableName="synced", ProvisionedThroughput={"ReadCapacityUnits": 8, "WriteCapacityUnits": 9})
    for ddb in (us, eu):
        t = ddb.describe_table(TableName="synced")["Table"]["ProvisionedThroughput"]
        assert (t["ReadCapacityUnits"], t["WriteCapacityUnits"]) == (8, 9)
    assert "ProvisionedThroughputOverride" not in us.describe_table(TableName="synced")["Table"]["Replicas"][0]

    # TTL set in one region holds in both.
    us.update_time_to_live(TableName="synced", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert eu.describe_time_to_live(TableName="synced")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"} or \
        eu.describe_time_to_live(TableName="synced")["TimeToLiveDescription"]["AttributeName"] == "exp"
    assert eu.describe_time_to_live(TableName="synced")["TimeToLiveDescription"]["TimeToLiveStatus"] in (
        "ENABLING", "ENABLED")

    # Deletion protection stays per region.
    us.update_table(TableName="synced", DeletionProtectionEnabled=True)
    assert us.describe_table(TableName="synced")["Table"]["DeletionProtectionEnabled"] is True
    assert eu.describe_table(TableName="synced")["Table"]["DeletionProtectionEnabled"] is False

    # Switching to on demand switches every member.
    eu.update_table(TableName="synced", BillingMode="PAY_PER_REQUEST")
    for ddb in (us, eu):
        assert ddb.describe_table(TableName="synced")["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_a_replica_overrides_its_index_read_capacity_and_on_demand_read_maximum(server):
    us, eu, ap = client(server, US), client(server, EU), client(server, AP)
    us.create_table(TableName="idx", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"},
                                          {"AttributeName": "g", "AttributeType": "S"}],
                    ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                    GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
                                             "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                             "ProvisionedThroughput": {"ReadCapacityUnits": 5,
                                                                       "WriteCapacityUnits": 5}}],
                    StreamSpecification=STREAM)
    us.update_table(TableName="idx", ReplicaUpdates=[{"Create": {
        "RegionName": EU, "GlobalSecondaryIndexes": [
            {"IndexName": "by-g", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 11}}]}}])
    assert active(server, "idx", EU)
    (entry,) = us.describe_table(TableName="idx")["Table"]["Replicas"]
    assert entry["GlobalSecondaryIndexes"] == [
        {"IndexName": "by-g", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 11}}]
    (there,) = eu.describe_table(TableName="idx")["Table"]["GlobalSecondaryIndexes"]
    assert (there["ProvisionedThroughput"]["ReadCapacityUnits"],
            there["ProvisionedThroughput"]["WriteCapacityUnits"]) == (11, 5)
    us.update_table(TableName="idx", ReplicaUpdates=[{"Update": {
        "RegionName": EU, "GlobalSecondaryIndexes": [
            {"IndexName": "by-g", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 7}}]}}])
    (there,) = eu.describe_table(TableName="idx")["Table"]["GlobalSecondaryIndexes"]
    assert there["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="idx", ReplicaUpdates=[{"Update": {
            "RegionName": EU, "GlobalSecondaryIndexes": [
                {"IndexName": "nope", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 7}}]}}])
    assert code(e) == "ValidationException"

    # On demand: the replica's own maximum of read request units, enforced there.
    us.create_table(TableName="ondemand", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST", StreamSpecification=STREAM,
                    OnDemandThroughput={"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 100})
    us.update_table(TableName="ondemand", ReplicaUpdates=[{"Create": {
        "RegionName": AP, "OnDemandThroughputOverride": {"MaxReadRequestUnits": 1}}}])
    assert active(server, "ondemand", AP)
    (entry,) = us.describe_table(TableName="ondemand")["Table"]["Replicas"]
    assert entry["OnDemandThroughputOverride"] == {"MaxReadRequestUnits": 1}
    assert ap.describe_table(TableName="ondemand")["Table"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 1, "MaxWriteRequestUnits": 100}
    us.put_item(TableName="ondemand", Item={"k": {"S": "a"}, "pad": {"S": "x" * 3000}})
    assert wait_until(lambda: "Item" in ap.get_item(TableName="ondemand", Key={"k": {"S": "a"}}))
    ap = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=AP,
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                      config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    throttled = 0
    for _ in range(30):
        try:
            ap.get_item(TableName="ondemand", Key={"k": {"S": "a"}}, ConsistentRead=True)
            us.get_item(TableName="ondemand", Key={"k": {"S": "a"}}, ConsistentRead=True)
        except ClientError as err:
            assert code_of(err) == "ThrottlingException"
            throttled += 1
    assert throttled > 0
    for _ in range(20):  # us-east-1's maximum is its own: 100 units
        us.get_item(TableName="ondemand", Key={"k": {"S": "a"}}, ConsistentRead=True)


def code_of(err: ClientError) -> str:
    return err.response["Error"]["Code"]


def test_eventually_consistent_groups_take_one_replica_action_a_call(server):
    us = client(server, US)
    create(us, "one-at-a-time")
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="one-at-a-time", ReplicaUpdates=[
            {"Create": {"RegionName": EU}}, {"Create": {"RegionName": AP}}])
    assert e.value.response["Error"]["Message"] == \
        "Update table operation with more than one create or delete replica actions not allowed"
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="one-at-a-time", DeletionProtectionEnabled=True,
                        ReplicaUpdates=[{"Create": {"RegionName": EU}}])
    assert e.value.response["Error"]["Message"] == \
        "Requests that modify replicas or witnesses must not also modify other fields"
    with pytest.raises(ClientError) as e:
        add_replica(us, "one-at-a-time", US)
    assert e.value.response["Error"]["Message"] == \
        "Cannot add, delete, or update the local region through ReplicaUpdates"


OHIO, OREGON = "us-east-2", "us-west-2"


def strong_table(ddb, name, **extra):
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], **extra)


def message(excinfo) -> str:
    return excinfo.value.response["Error"]["Message"]


def test_strong_consistency_validation_as_aws_answers(server):
    us = client(server, US)
    strong_table(us, "mrsc")

    def refused(**kwargs):
        with pytest.raises(ClientError) as e:
            us.update_table(TableName="mrsc", **kwargs)
        assert code(e) == "ValidationException"
        return message(e)
    assert refused(MultiRegionConsistency="STRONG", ReplicaUpdates=[{"Create": {"RegionName": OHIO}}]) == \
        "Unsupported replica count for global tables with MultiRegionConsistency set to STRONG."
    assert refused(ReplicaUpdates=[{"Create": {"RegionName": OHIO}}],
                   GlobalTableWitnessUpdates=[{"Create": {"RegionName": OREGON}}]) == \
        "MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates parameter is present."
    assert refused(MultiRegionConsistency="STRONG", ReplicaUpdates=[{"Create": {"RegionName": OHIO}}],
                   GlobalTableWitnessUpdates=[{"Create": {"RegionName": OHIO}}]) == \
        "Cannot target multiple regions with the same action"
    assert refused(MultiRegionConsistency="STRONG", ReplicaUpdates=[{"Create": {"RegionName": OHIO}}],
                   GlobalTableWitnessUpdates=[{"Create": {"RegionName": US}}]) == \
        "Cannot add a witness in the same region as an existing replica when creating a global table " \
        "with MultiRegionConsistency set to STRONG."
    assert refused(MultiRegionConsistency="STRONG", ReplicaUpdates=[{"Create": {"RegionName": "us-west-1"}}],
                   GlobalTableWitnessUpdates=[{"Create": {"RegionName": OREGON}}]) == \
        "Unsupported Region(s) specified for global tables with MultiRegionConsistency set to STRONG: [us-west-1]."
    assert refused(MultiRegionConsistency="STRONG", GlobalTableWitnessUpdates=[
        {"Create": {"RegionName": OREGON}}]).startswith("At least one of ProvisionedThroughput")
    # A table with items cannot become one.
    us.put_item(TableName="mrsc", Item={"k": {"S": "x"}})
    refused(MultiRegionConsistency="STRONG", ReplicaUpdates=[{"Create": {"RegionName": OHIO}}],
            GlobalTableWitnessUpdates=[{"Create": {"RegionName": OREGON}}])
    assert "Replicas" not in us.describe_table(TableName="mrsc")["Table"]
    with pytest.raises(ClientError):
        client(server, OHIO).describe_table(TableName="mrsc")


def test_strong_consistency_writes_are_read_at_once_in_every_region_and_the_group_is_frozen(server):
    us, ohio, oregon = client(server, US), client(server, OHIO), client(server, OREGON)
    strong_table(us, "ledger")
    out = us.update_table(TableName="ledger", MultiRegionConsistency="STRONG",
                          ReplicaUpdates=[{"Create": {"RegionName": OHIO}}],
                          GlobalTableWitnessUpdates=[{"Create": {"RegionName": OREGON}}])["TableDescription"]
    assert out["MultiRegionConsistency"] == "STRONG"
    assert out["GlobalTableWitnesses"] == [{"RegionName": OREGON, "WitnessStatus": "ACTIVE"}]
    assert active(server, "ledger", OHIO)
    there = ohio.describe_table(TableName="ledger")["Table"]
    assert there["MultiRegionConsistency"] == "STRONG" and there["GlobalTableVersion"] == "2019.11.21"
    assert [r["RegionName"] for r in there["Replicas"]] == [US]
    assert "StreamSpecification" not in there  # MRSC does not replicate through streams
    with pytest.raises(ClientError) as e:  # the witness holds no table of the account
        oregon.describe_table(TableName="ledger")
    assert code(e) == "ResourceNotFoundException"

    # Every acknowledged write is read at once, strongly consistent, in the other region: no
    # waiting, 300 times, alternating the writing region.
    rng = random.Random(7)
    for i in range(300):
        writer, reader = (us, ohio) if i % 2 == 0 else (ohio, us)
        value = str(rng.randrange(10**9))
        writer.put_item(TableName="ledger", Item={"k": {"S": f"k{i % 10}"}, "v": {"N": value}})
        got = reader.get_item(TableName="ledger", Key={"k": {"S": f"k{i % 10}"}}, ConsistentRead=True)
        assert got["Item"]["v"]["N"] == value
    # Conditions are evaluated against the latest item, whichever region wrote it.
    us.put_item(TableName="ledger", Item={"k": {"S": "seat"}, "owner": {"S": "ann"}})
    with pytest.raises(ClientError) as e:
        ohio.put_item(TableName="ledger", Item={"k": {"S": "seat"}, "owner": {"S": "bob"}},
                      ConditionExpression="attribute_not_exists(k)")
    assert code(e) == "ConditionalCheckFailedException"
    ohio.update_item(TableName="ledger", Key={"k": {"S": "seat"}}, UpdateExpression="SET n = :one",
                     ExpressionAttributeValues={":one": {"N": "1"}})
    ohio.delete_item(TableName="ledger", Key={"k": {"S": "k0"}})
    us.batch_write_item(RequestItems={"ledger": [{"PutRequest": {"Item": {"k": {"S": "batch"}}}}]})
    ohio.execute_statement(Statement="INSERT INTO ledger VALUE {'k': 'partiql'}")
    assert scan_all(us, "ledger") == scan_all(ohio, "ledger")
    assert us.get_item(TableName="ledger", Key={"k": {"S": "seat"}})["Item"]["n"] == {"N": "1"}

    # Not offered on MRSC tables: transactions, TTL; the membership and the mode are frozen.
    with pytest.raises(ClientError) as e:
        us.transact_write_items(TransactItems=[{"Put": {"TableName": "ledger", "Item": {"k": {"S": "t"}}}}])
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        us.transact_get_items(TransactItems=[{"Get": {"TableName": "ledger", "Key": {"k": {"S": "t"}}}}])
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        us.update_time_to_live(TableName="ledger", TimeToLiveSpecification={"Enabled": True, "AttributeName": "x"})
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        add_replica(us, "ledger", "eu-west-1")
    assert message(e) == "Cannot add replicas to a global table with strong MultiRegionConsistency"
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="ledger", ReplicaUpdates=[{"Delete": {"RegionName": OHIO}}])
    assert message(e) == "Update table delete operation does not include all witnesses."
    for ddb in (us, ohio):
        with pytest.raises(ClientError) as e:
            ddb.delete_table(TableName="ledger")
        assert message(e) == ("Deletion of only one table replica is not supported for global tables "
                              "with MultiRegionConsistency set to STRONG.")
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="ledger", MultiRegionConsistency="EVENTUAL",
                        ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    assert message(e) == "MultiRegionConsistency parameter is unsupported on existing global table"
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="ledger", ReplicaUpdates=[{"Delete": {"RegionName": OHIO}}],
                        GlobalTableWitnessUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert message(e).endswith("Please retry the request without these witnesses: [eu-west-1].")

    # Dissolved in one request: the replica and the witness; us-east-1 is a regional table again.
    kept = scan_all(us, "ledger")
    out = us.update_table(TableName="ledger", ReplicaUpdates=[{"Delete": {"RegionName": OHIO}}],
                          GlobalTableWitnessUpdates=[{"Delete": {"RegionName": OREGON}}])["TableDescription"]
    for key in ("Replicas", "GlobalTableWitnesses", "MultiRegionConsistency", "GlobalTableVersion"):
        assert key not in out
    with pytest.raises(ClientError) as e:
        ohio.describe_table(TableName="ledger")
    assert code(e) == "ResourceNotFoundException"
    us.transact_write_items(TransactItems=[{"Put": {"TableName": "ledger", "Item": {"k": {"S": "t"}}}}])
    assert len(scan_all(us, "ledger")) == len(kept) + 1


def test_three_strongly_consistent_replicas_and_their_dissolution(server):
    us, ohio, oregon = client(server, US), client(server, OHIO), client(server, OREGON)
    strong_table(us, "trio")
    us.update_table(TableName="trio", MultiRegionConsistency="STRONG",
                    ReplicaUpdates=[{"Create": {"RegionName": OHIO}}, {"Create": {"RegionName": OREGON}}])
    assert active(server, "trio", OHIO) and active(server, "trio", OREGON)
    assert sorted(r["RegionName"] for r in oregon.describe_table(TableName="trio")["Table"]["Replicas"]) == [US, OHIO]
    for i, writer in enumerate((us, ohio, oregon)):
        writer.put_item(TableName="trio", Item={"k": {"S": f"from-{i}"}})
        for reader in (us, ohio, oregon):
            assert "Item" in reader.get_item(TableName="trio", Key={"k": {"S": f"from-{i}"}}, ConsistentRead=True)
    with pytest.raises(ClientError) as e:
        us.update_table(TableName="trio", ReplicaUpdates=[{"Delete": {"RegionName": OHIO}}])
    assert message(e) == ("Deletion of only one table replica is not supported for global tables "
                          "with MultiRegionConsistency set to STRONG.")
    oregon.update_table(TableName="trio", ReplicaUpdates=[{"Delete": {"RegionName": US}},
                                                         {"Delete": {"RegionName": OHIO}}])
    assert "MultiRegionConsistency" not in oregon.describe_table(TableName="trio")["Table"]
    assert [i["k"]["S"] for i in scan_all(oregon, "trio")] == ["from-0", "from-1", "from-2"]
    oregon.delete_table(TableName="trio")
