"""Regions are separate namespaces, as on AWS: every regional service (DynamoDB and its
streams, backups, exports; KMS; CloudWatch; Application Auto Scaling; AWS Backup) keeps each
region's resources apart, chosen by the region of the request's SigV4 scope; IAM and STS are
global. The same names can exist in two regions, and nothing of one is visible in the other.

The Terraform module applied in two regions against one server is in test_terraform.py."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from dynohelpers import ACCESS_KEY, SECRET_KEY
from test_clock import advance

US, EU = "us-east-1", "eu-west-1"


def client(server, service, region):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def create(ddb, name, key="k", stream=False, billing="PAY_PER_REQUEST"):
    args = dict(TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}])
    if billing == "PROVISIONED":
        args["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    else:
        args["BillingMode"] = billing
    if stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    return ddb.create_table(**args)["TableDescription"]


@pytest.fixture
def regional(new_server):
    return new_server(args=["--test-clock"])


def test_tables_of_one_region_are_invisible_in_another(regional):
    us, eu = client(regional, "dynamodb", US), client(regional, "dynamodb", EU)
    created = create(us, "orders")
    assert created["TableArn"].startswith("arn:aws:dynamodb:us-east-1:")
    assert us.list_tables()["TableNames"] == ["orders"]
    assert eu.list_tables()["TableNames"] == []
    with pytest.raises(ClientError) as e:
        eu.describe_table(TableName="orders")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        eu.put_item(TableName="orders", Item={"k": {"S": "x"}})
    assert code(e) == "ResourceNotFoundException"
    # Another region's ARN names no table here (for a request that takes an ARN, too; for
    # ListTagsOfResource AWS refuses an ARN of no table).
    with pytest.raises(ClientError) as e:
        eu.tag_resource(ResourceArn=created["TableArn"], Tags=[{"Key": "a", "Value": "b"}])
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        eu.list_tags_of_resource(ResourceArn=created["TableArn"])
    assert code(e) == "AccessDeniedException"

    # The same name in another region is another table, with its own key schema and items.
    other = create(eu, "orders", key="id")
    assert other["TableArn"].startswith("arn:aws:dynamodb:eu-west-1:")
    assert other["TableId"] != created["TableId"]
    us.put_item(TableName="orders", Item={"k": {"S": "from-us"}})
    eu.put_item(TableName="orders", Item={"id": {"S": "from-eu"}})
    assert us.scan(TableName="orders")["Items"] == [{"k": {"S": "from-us"}}]
    assert eu.scan(TableName="orders")["Items"] == [{"id": {"S": "from-eu"}}]
    with pytest.raises(ClientError) as e:  # eu's table keys on "id"
        eu.put_item(TableName="orders", Item={"k": {"S": "x"}})
    assert code(e) == "ValidationException"

    # Both survive a restart, each in its region.
    regional.restart()
    us, eu = client(regional, "dynamodb", US), client(regional, "dynamodb", EU)
    assert us.get_item(TableName="orders", Key={"k": {"S": "from-us"}})["Item"] == {"k": {"S": "from-us"}}
    assert eu.get_item(TableName="orders", Key={"id": {"S": "from-eu"}})["Item"] == {"id": {"S": "from-eu"}}
    eu.delete_table(TableName="orders")
    assert us.describe_table(TableName="orders")["Table"]["TableStatus"] == "ACTIVE"
    assert eu.list_tables()["TableNames"] == []


def test_streams_backups_and_exports_are_regional(regional):
    us, eu = client(regional, "dynamodb", US), client(regional, "dynamodb", EU)
    us_streams, eu_streams = client(regional, "dynamodbstreams", US), client(regional, "dynamodbstreams", EU)
    table = create(us, "events", stream=True)
    create(eu, "events", stream=True)
    us.put_item(TableName="events", Item={"k": {"S": "a"}})
    (mine,) = us_streams.list_streams()["Streams"]
    assert mine["StreamArn"] == table["LatestStreamArn"]
    (theirs,) = eu_streams.list_streams()["Streams"]
    assert theirs["StreamArn"].startswith("arn:aws:dynamodb:eu-west-1:")
    with pytest.raises(ClientError) as e:
        eu_streams.describe_stream(StreamArn=table["LatestStreamArn"])
    assert code(e) == "ResourceNotFoundException"
    # eu's stream has no record of us's write.
    shard = eu_streams.describe_stream(StreamArn=theirs["StreamArn"])["StreamDescription"]["Shards"][0]
    it = eu_streams.get_shard_iterator(StreamArn=theirs["StreamArn"], ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert eu_streams.get_records(ShardIterator=it)["Records"] == []

    backup = us.create_backup(TableName="events", BackupName="nightly")["BackupDetails"]
    assert backup["BackupArn"].startswith("arn:aws:dynamodb:us-east-1:")
    assert [b["BackupArn"] for b in us.list_backups()["BackupSummaries"]] == [backup["BackupArn"]]
    assert eu.list_backups()["BackupSummaries"] == []
    with pytest.raises(ClientError) as e:
        eu.describe_backup(BackupArn=backup["BackupArn"])
    assert code(e) == "BackupNotFoundException"
    with pytest.raises(ClientError) as e:
        eu.restore_table_from_backup(TargetTableName="copy", BackupArn=backup["BackupArn"])
    assert code(e) == "BackupNotFoundException"


def test_kms_cloudwatch_backup_and_autoscaling_are_regional_iam_is_global(regional):
    # KMS: keys and aliases of the same name in both regions.
    us_kms, eu_kms = client(regional, "kms", US), client(regional, "kms", EU)
    us_key = us_kms.create_key()["KeyMetadata"]["Arn"]
    us_kms.create_alias(AliasName="alias/app", TargetKeyId=us_key)
    assert [k["KeyArn"] for k in eu_kms.list_keys()["Keys"]] == []
    with pytest.raises(ClientError) as e:
        eu_kms.describe_key(KeyId=us_key)
    assert code(e) == "NotFoundException"
    eu_key = eu_kms.create_key()["KeyMetadata"]["Arn"]
    eu_kms.create_alias(AliasName="alias/app", TargetKeyId=eu_key)
    assert eu_kms.describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"] == eu_key
    assert us_kms.describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"] == us_key

    # CloudWatch: an alarm of the same name in both regions, with its own threshold.
    us_cw, eu_cw = client(regional, "cloudwatch", US), client(regional, "cloudwatch", EU)
    for cw, threshold in ((us_cw, 1.0), (eu_cw, 2.0)):
        cw.put_metric_alarm(AlarmName="busy", Namespace="App", MetricName="Load", Statistic="Sum",
                            Period=60, EvaluationPeriods=1, Threshold=threshold,
                            ComparisonOperator="GreaterThanThreshold")
    assert [a["Threshold"] for a in us_cw.describe_alarms()["MetricAlarms"]] == [1.0]
    assert [a["Threshold"] for a in eu_cw.describe_alarms()["MetricAlarms"]] == [2.0]
    us_cw.delete_alarms(AlarmNames=["busy"])
    assert [a["AlarmName"] for a in eu_cw.describe_alarms()["MetricAlarms"]] == ["busy"]

    # AWS Backup: a plan and a vault in us-east-1 only.
    us_backup, eu_backup = client(regional, "backup", US), client(regional, "backup", EU)
    us_backup.create_backup_vault(BackupVaultName="vault")
    plan = us_backup.create_backup_plan(BackupPlan={
        "BackupPlanName": "daily", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "vault",
                                              "ScheduleExpression": "cron(0 5 * * ? *)"}]})
    assert [p["BackupPlanName"] for p in us_backup.list_backup_plans()["BackupPlansList"]] == ["daily"]
    assert eu_backup.list_backup_plans()["BackupPlansList"] == []
    assert eu_backup.list_backup_vaults()["BackupVaultList"] == []
    with pytest.raises(ClientError) as e:
        eu_backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])
    assert code(e) == "ResourceNotFoundException"

    # Application Auto Scaling: the same table name in both regions, each with its target.
    us_ddb, eu_ddb = client(regional, "dynamodb", US), client(regional, "dynamodb", EU)
    create(us_ddb, "scaled", billing="PROVISIONED")
    us_aas, eu_aas = (client(regional, "application-autoscaling", r) for r in (US, EU))
    target = dict(ServiceNamespace="dynamodb", ResourceId="table/scaled",
                  ScalableDimension="dynamodb:table:ReadCapacityUnits")
    us_aas.register_scalable_target(MinCapacity=1, MaxCapacity=10, **target)
    assert eu_aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"] == []
    with pytest.raises(ClientError) as e:  # no table "scaled" in eu-west-1 yet
        eu_aas.register_scalable_target(MinCapacity=1, MaxCapacity=10, **target)
    assert code(e) == "ValidationException"
    create(eu_ddb, "scaled", billing="PROVISIONED")
    eu_aas.register_scalable_target(MinCapacity=2, MaxCapacity=20, **target)
    (us_target,) = us_aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    (eu_target,) = eu_aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    assert (us_target["MaxCapacity"], eu_target["MaxCapacity"]) == (10, 20)
    assert ":eu-west-1:" in eu_target["ScalableTargetARN"]
    # Registration brought eu's table inside its bounds (5 units already are), not us's.
    eu_aas.deregister_scalable_target(**target)
    assert len(us_aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]) == 1

    # IAM is global: a role made through one region's endpoint is the account's.
    us_iam, eu_iam = client(regional, "iam", US), client(regional, "iam", EU)
    us_iam.create_role(RoleName="shared", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    assert eu_iam.get_role(RoleName="shared")["Role"]["Arn"].endswith(":role/shared")


def test_dynamodb_metrics_are_published_in_each_tables_region(regional):
    us, eu = client(regional, "dynamodb", US), client(regional, "dynamodb", EU)
    create(us, "metered")
    create(eu, "metered")
    for i in range(3):
        us.put_item(TableName="metered", Item={"k": {"S": f"us{i}"}})
    eu.put_item(TableName="metered", Item={"k": {"S": "eu"}})
    now = advance(regional, 120)["epoch_seconds"]

    def consumed(region):
        cw = client(regional, "cloudwatch", region)
        points = cw.get_metric_statistics(
            Namespace="AWS/DynamoDB", MetricName="ConsumedWriteCapacityUnits",
            Dimensions=[{"Name": "TableName", "Value": "metered"}],
            StartTime=now - 600, EndTime=now, Period=600, Statistics=["Sum"])["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert consumed(US) == 3.0
    assert consumed(EU) == 1.0
