"""AWS Backup over restJson1 with boto3: vaults, plans (versions), selections, tags, and the
rules on the order of deletion. Recovery points stay empty: nothing runs the plans yet."""

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT_RE = r"\d{12}"


@pytest.fixture(scope="module")
def backup(endpoint):
    return boto3.client("backup", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code(e):
    return e.value.response["Error"]["Code"]


def plan_doc(plan_name, vault, days=7, **rule_extra):
    rule = {"RuleName": "daily", "TargetBackupVaultName": vault,
            "ScheduleExpression": "cron(0 3 * * ? *)", "Lifecycle": {"DeleteAfterDays": days}}
    rule.update(rule_extra)
    return {"BackupPlanName": plan_name, "Rules": [rule]}


def test_vault_lifecycle(backup):
    vault = name("vault")
    created = backup.create_backup_vault(BackupVaultName=vault, BackupVaultTags={"team": "data"})
    assert created["BackupVaultName"] == vault
    assert created["BackupVaultArn"].startswith("arn:aws:backup:us-east-1:")
    assert created["BackupVaultArn"].endswith(f":backup-vault:{vault}")
    d = backup.describe_backup_vault(BackupVaultName=vault)
    assert d["BackupVaultArn"] == created["BackupVaultArn"]
    assert d["NumberOfRecoveryPoints"] == 0
    assert d["CreationDate"] == created["CreationDate"]
    listed = [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]]
    assert vault in listed
    assert backup.list_tags(ResourceArn=created["BackupVaultArn"])["Tags"] == {"team": "data"}
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"] == []
    with pytest.raises(ClientError) as e:
        backup.create_backup_vault(BackupVaultName=vault)
    assert code(e) == "AlreadyExistsException"
    backup.delete_backup_vault(BackupVaultName=vault)
    with pytest.raises(ClientError) as e:
        backup.describe_backup_vault(BackupVaultName=vault)
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        backup.delete_backup_vault(BackupVaultName=vault)
    assert code(e) == "ResourceNotFoundException"


def test_plan_create_get_update_list_delete(backup):
    vault = name("vault")
    backup.create_backup_vault(BackupVaultName=vault)
    plan_name = name("plan")
    created = backup.create_backup_plan(BackupPlan=plan_doc(plan_name, vault),
                                        BackupPlanTags={"env": "test"})
    plan_id = created["BackupPlanId"]
    assert created["BackupPlanArn"].endswith(f":backup-plan:{plan_id}")
    got = backup.get_backup_plan(BackupPlanId=plan_id)
    assert got["VersionId"] == created["VersionId"]
    rule = got["BackupPlan"]["Rules"][0]
    assert rule["RuleName"] == "daily" and rule["TargetBackupVaultName"] == vault
    assert rule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert rule["Lifecycle"]["DeleteAfterDays"] == 7
    # AWS's defaults for what the request left out.
    assert rule["StartWindowMinutes"] == 480
    assert rule["CompletionWindowMinutes"] == 10080
    assert rule["ScheduleExpressionTimezone"] == "Etc/UTC"
    assert rule["RuleId"]

    updated = backup.update_backup_plan(BackupPlanId=plan_id,
                                        BackupPlan=plan_doc(plan_name, vault, days=30,
                                                            StartWindowMinutes=60,
                                                            CompletionWindowMinutes=180))
    assert updated["VersionId"] != created["VersionId"]
    got2 = backup.get_backup_plan(BackupPlanId=plan_id)
    rule2 = got2["BackupPlan"]["Rules"][0]
    assert rule2["Lifecycle"]["DeleteAfterDays"] == 30
    assert rule2["StartWindowMinutes"] == 60 and rule2["CompletionWindowMinutes"] == 180
    assert rule2["RuleId"] == rule["RuleId"]
    old = backup.get_backup_plan(BackupPlanId=plan_id, VersionId=created["VersionId"])
    assert old["BackupPlan"]["Rules"][0]["Lifecycle"]["DeleteAfterDays"] == 7

    plans = {p["BackupPlanId"]: p for p in backup.list_backup_plans()["BackupPlansList"]}
    assert plans[plan_id]["BackupPlanName"] == plan_name
    assert plans[plan_id]["VersionId"] == updated["VersionId"]
    assert backup.list_tags(ResourceArn=created["BackupPlanArn"])["Tags"] == {"env": "test"}

    with pytest.raises(ClientError) as e:
        backup.create_backup_plan(BackupPlan=plan_doc(plan_name, vault, days=30,
                                                      StartWindowMinutes=60,
                                                      CompletionWindowMinutes=180))
    assert code(e) == "AlreadyExistsException"

    deleted = backup.delete_backup_plan(BackupPlanId=plan_id)
    assert deleted["BackupPlanId"] == plan_id and "DeletionDate" in deleted
    with pytest.raises(ClientError) as e:
        backup.get_backup_plan(BackupPlanId=plan_id)
    assert code(e) == "ResourceNotFoundException"
    assert plan_id not in {p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]}
    with_deleted = backup.list_backup_plans(IncludeDeleted=True)["BackupPlansList"]
    assert any(p["BackupPlanId"] == plan_id and "DeletionDate" in p for p in with_deleted)
    backup.delete_backup_vault(BackupVaultName=vault)


def test_selection_and_delete_order(backup):
    vault = name("vault")
    backup.create_backup_vault(BackupVaultName=vault)
    plan_id = backup.create_backup_plan(BackupPlan=plan_doc(name("plan"), vault))["BackupPlanId"]
    role = "arn:aws:iam::000000000000:role/backup-role"
    table = "arn:aws:dynamodb:us-east-1:000000000000:table/myapp-dev-users"
    sel = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection={
        "SelectionName": "tables", "IamRoleArn": role, "Resources": [table]})
    sid = sel["SelectionId"]
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=sid)
    assert got["BackupSelection"]["Resources"] == [table]
    assert got["BackupSelection"]["IamRoleArn"] == role
    assert got["BackupSelection"]["SelectionName"] == "tables"
    listed = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [(s["SelectionId"], s["SelectionName"]) for s in listed] == [(sid, "tables")]

    # A plan with selections is not deleted; the selection first, as AWS requires.
    with pytest.raises(ClientError) as e:
        backup.delete_backup_plan(BackupPlanId=plan_id)
    assert code(e) == "InvalidRequestException"
    assert "Related backup plan selections must be deleted" in e.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as e:
        backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection={
            "SelectionName": "empty", "IamRoleArn": role, "Resources": []})
    assert code(e) == "InvalidParameterValueException"

    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=sid)
    with pytest.raises(ClientError) as e:
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=sid)
    assert code(e) == "ResourceNotFoundException"
    backup.delete_backup_plan(BackupPlanId=plan_id)
    with pytest.raises(ClientError) as e:
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=sid)
    assert code(e) == "InvalidParameterValueException"
    backup.delete_backup_vault(BackupVaultName=vault)


def test_tags(backup):
    vault = name("vault")
    arn = backup.create_backup_vault(BackupVaultName=vault)["BackupVaultArn"]
    backup.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
    assert backup.list_tags(ResourceArn=arn)["Tags"] == {"a": "1", "b": "2"}
    backup.untag_resource(ResourceArn=arn, TagKeyList=["a"])
    assert backup.list_tags(ResourceArn=arn)["Tags"] == {"b": "2"}
    backup.delete_backup_vault(BackupVaultName=vault)
    with pytest.raises(ClientError) as e:
        backup.list_tags(ResourceArn=arn)
    assert code(e) == "ResourceNotFoundException"


def test_validation(backup):
    with pytest.raises(ClientError) as e:
        backup.create_backup_plan(BackupPlan=plan_doc(name("plan"), "Default", days=0))
    assert code(e) == "InvalidParameterValueException"
    assert e.value.response["Error"]["Message"] == (
        "Invalid lifecycle. DeleteAfterDays cannot be less than 1 or more than 36500 days")
    with pytest.raises(ClientError) as e:
        backup.get_backup_plan(BackupPlanId="00000000-0000-4000-8000-000000000000")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        backup.list_recovery_points_by_backup_vault(BackupVaultName=name("missing"))
    assert code(e) == "ResourceNotFoundException"


def test_recovery_points_by_resource_empty(backup):
    table = "arn:aws:dynamodb:us-east-1:000000000000:table/myapp-dev-users"
    assert backup.list_recovery_points_by_resource(ResourceArn=table)["RecoveryPoints"] == []


def test_paging(backup):
    vaults = [name("page") for _ in range(3)]
    for v in vaults:
        backup.create_backup_vault(BackupVaultName=v)
    seen = []
    for page in backup.get_paginator("list_backup_vaults").paginate(PaginationConfig={"PageSize": 1}):
        seen += [v["BackupVaultName"] for v in page["BackupVaultList"]]
    assert set(vaults) <= set(seen) and len(seen) == len(set(seen))
    for v in vaults:
        backup.delete_backup_vault(BackupVaultName=v)
