"""AWS Backup plans that run: the seed's Terraform module applied against a server with the test
clock; moving the clock across the plan's schedule runs its backup jobs into the vault, a recovery
point restores into a new table, and the lifecycle deletes recovery points after the
environment's retention. Also StartBackupJob on demand and the job and recovery-point APIs."""

from __future__ import annotations

import boto3
import pytest

from dynohelpers import expect_error, unique_name, wait_for, wait_table_active
from test_clock import advance, clock
from test_terraform import NO_TERRAFORM, SKIP_REASON, run, shutil, workdir  # noqa: F401  (the workdir fixture)

DAY = 24 * 3600
RETENTION = {"dev": 3, "staging": 7, "prod": 30}


@pytest.fixture
def fresh(new_server):
    return new_server(args=["--test-clock"])


@pytest.fixture
def endpoint(fresh):
    return fresh.endpoint


def client(endpoint, service):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def until_next(hour_utc: int, now: float) -> float:
    """Seconds from `now` to the next hour_utc:00:00 UTC, plus a minute."""
    day_start = now - now % DAY
    at = day_start + hour_utc * 3600
    if at <= now:
        at += DAY
    return at - now + 60


@pytest.mark.skipif(NO_TERRAFORM, reason=SKIP_REASON)
@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_the_seed_plan_backs_up_restores_and_expires(workdir, fresh, endpoint, env_name):  # noqa: F811
    work, env = workdir
    run(work, env, "apply", "-auto-approve", "-input=false", f"-var-file=environments/{env_name}.tfvars")
    ddb, backup = fresh.client(), client(endpoint, "backup")
    users = f"myapp-{env_name}-users"
    table = ddb.describe_table(TableName=users)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    key = {k["AttributeName"]: {types[k["AttributeName"]]: "1"} for k in table["KeySchema"]}
    ddb.put_item(TableName=users, Item={**key, "email": {"S": "a@example.com"}})
    vault = f"myapp-{env_name}-dynamodb-backups"
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"] == []

    # The plan's rule is cron(0 3 * * ? *): cross the next 03:00 UTC.
    advance(fresh, until_next(3, clock(fresh)["epoch_seconds"]))
    jobs = backup.list_backup_jobs(ByBackupVaultName=vault)["BackupJobs"]
    tables = sorted(t for t in ddb.list_tables()["TableNames"] if t.startswith(f"myapp-{env_name}-"))
    assert sorted(j["ResourceName"] for j in jobs) == tables
    assert {j["State"] for j in jobs} == {"COMPLETED"}
    job = backup.describe_backup_job(BackupJobId=jobs[0]["BackupJobId"])
    assert job["PercentDone"] == "100.0" and job["ResourceType"] == "DynamoDB"
    assert job["CreatedBy"]["BackupRuleName"] == "daily"
    points = backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]
    assert len(points) == len(tables)
    (point,) = [p for p in points if p["ResourceArn"].endswith(f":table/{users}")]
    assert point["Status"] == "COMPLETED"
    assert point["Lifecycle"]["DeleteAfterDays"] == RETENTION[env_name]
    described = backup.describe_recovery_point(BackupVaultName=vault, RecoveryPointArn=point["RecoveryPointArn"])
    delete_at = described["CalculatedLifecycle"]["DeleteAt"].timestamp()
    assert abs(delete_at - described["CreationDate"].timestamp() - RETENTION[env_name] * DAY) < 1
    assert backup.describe_backup_vault(BackupVaultName=vault)["NumberOfRecoveryPoints"] == len(tables)
    by_resource = backup.list_recovery_points_by_resource(ResourceArn=point["ResourceArn"])["RecoveryPoints"]
    assert [p["RecoveryPointArn"] for p in by_resource] == [point["RecoveryPointArn"]]

    # The recovery point restores into a new table with the item backed up.
    target = unique_name("restored")
    restore_id = backup.start_restore_job(RecoveryPointArn=point["RecoveryPointArn"],
                                          Metadata={"targetTableName": target},
                                          IamRoleArn=job["IamRoleArn"], ResourceType="DynamoDB")["RestoreJobId"]
    done = wait_for(lambda: (r := backup.describe_restore_job(RestoreJobId=restore_id))["Status"] == "COMPLETED" and r,
                    what="restore job COMPLETED")
    assert done["CreatedResourceArn"].endswith(f":table/{target}")
    assert ddb.get_item(TableName=target, Key=key)["Item"]["email"] == {"S": "a@example.com"}
    assert [j["RestoreJobId"] for j in backup.list_restore_jobs()["RestoreJobs"]] == [restore_id]

    # The lifecycle deletes the point once its retention has passed (the next days' backups go on).
    for _ in range(RETENTION[env_name] - 1):
        advance(fresh, DAY)
    arns = {p["RecoveryPointArn"] for p in backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]}
    assert point["RecoveryPointArn"] in arns
    advance(fresh, DAY)
    arns = {p["RecoveryPointArn"] for p in backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]}
    assert point["RecoveryPointArn"] not in arns
    assert len(arns) == RETENTION[env_name] * len(tables)
    expect_error(lambda: backup.describe_recovery_point(BackupVaultName=vault, RecoveryPointArn=point["RecoveryPointArn"]),
                 "ResourceNotFoundException")


def test_on_demand_backup_job_and_recovery_point_deletion(fresh, endpoint):
    ddb, backup = fresh.client(), client(endpoint, "backup")
    name = unique_name("od")
    arn = ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    wait_table_active(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    backup.create_backup_vault(BackupVaultName="od-vault")
    role = "arn:aws:iam::000000000000:role/backup"
    job_id = backup.start_backup_job(BackupVaultName="od-vault", ResourceArn=arn, IamRoleArn=role,
                                     IdempotencyToken="tok-1")["BackupJobId"]
    assert backup.start_backup_job(BackupVaultName="od-vault", ResourceArn=arn, IamRoleArn=role,
                                   IdempotencyToken="tok-1")["BackupJobId"] == job_id
    job = wait_for(lambda: (j := backup.describe_backup_job(BackupJobId=job_id))["State"] == "COMPLETED" and j,
                   what="backup job COMPLETED")
    rp = job["RecoveryPointArn"]
    assert rp.startswith("arn:aws:backup:us-east-1:") and ":recovery-point:" in rp
    assert [j["BackupJobId"] for j in backup.list_backup_jobs(ByResourceArn=arn)["BackupJobs"]] == [job_id]
    assert backup.list_backup_jobs(ByState="FAILED")["BackupJobs"] == []
    expect_error(lambda: backup.delete_backup_vault(BackupVaultName="od-vault"), "InvalidRequestException",
                 "Backup vault cannot be deleted because it contains recovery points.")
    expect_error(lambda: backup.start_backup_job(BackupVaultName="od-vault", ResourceArn=arn + "-missing",
                                                 IamRoleArn=role), "ResourceNotFoundException")
    # Lifecycles out of AWS's range would delete the point at once or never render.
    for days in (0, -3, 10**15):
        expect_error(lambda: backup.start_backup_job(BackupVaultName="od-vault", ResourceArn=arn, IamRoleArn=role,
                                                     Lifecycle={"DeleteAfterDays": days}),
                     "InvalidParameterValueException",
                     "Invalid lifecycle. DeleteAfterDays cannot be less than 1 or more than 36500 days")
    # A schedule the runner could never fire is refused when the plan is made.
    expect_error(lambda: backup.create_backup_plan(BackupPlan={"BackupPlanName": "bad-cron", "Rules": [
        {"RuleName": "r", "TargetBackupVaultName": "od-vault", "ScheduleExpression": "cron(bogus)"}]}),
        "InvalidParameterValueException", "Invalid schedule expression: cron(bogus)")
    # The point's backup belongs to AWS Backup: DynamoDB neither lists nor deletes it.
    assert ddb.list_backups(BackupType="ALL")["BackupSummaries"] == []
    assert ddb.list_backups(BackupType="AWS_BACKUP")["BackupSummaries"] == []
    backup.delete_recovery_point(BackupVaultName="od-vault", RecoveryPointArn=rp)
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="od-vault")["RecoveryPoints"] == []
    backup.delete_backup_vault(BackupVaultName="od-vault")
