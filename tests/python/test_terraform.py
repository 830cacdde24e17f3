"""The seed's Terraform module (terraform/) against Dynostack, with the real Terraform CLI and
the mirrored AWS provider 5.x.

For every environment: `terraform apply` of the whole module, the outputs it promises, a second
`plan -detailed-exitcode` that reports no changes, checks through the services' APIs, and a
`destroy` that leaves nothing behind.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
# A local mirror of the AWS provider (`terraform init -plugin-dir`), where the registry cannot
# be reached: CI sets it (.ci/run). Unset, `terraform init` downloads the provider.
PLUGIN_DIR = os.environ.get("DYNOSTACK_TF_PLUGIN_DIR") or None
NO_TERRAFORM = shutil.which("terraform") is None or (
    PLUGIN_DIR is not None and not Path(PLUGIN_DIR).is_dir())
SKIP_REASON = "terraform is not on PATH (or DYNOSTACK_TF_PLUGIN_DIR is not a directory)"

pytestmark = pytest.mark.skipif(NO_TERRAFORM, reason=SKIP_REASON)


def init(work, env):
    """`terraform init` of a working copy of the module, from the mirror when one is given."""
    mirror = ["-plugin-dir", PLUGIN_DIR] if PLUGIN_DIR else []
    run(work, env, "init", *mirror, "-input=false")

# The module stays usable against AWS unchanged: the local run only overrides the S3 backend.
BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'


@pytest.fixture
def fresh(new_server):
    """A Dynostack of its own for each environment, as CI applies each against a fresh server."""
    return new_server()


@pytest.fixture
def endpoint(fresh):
    return fresh.endpoint


@pytest.fixture
def ddb(fresh):
    return fresh.client()


def module_copy(work, endpoint):
    """A working copy of the module at `work` with local state, initialised against `endpoint`."""
    shutil.copytree(REPO / "terraform", work)
    (work / "backend_override.tf").write_text(BACKEND_OVERRIDE)
    (work / ".terraformrc").write_text("")
    env = dict(os.environ,
               TF_CLI_CONFIG_FILE=str(work / ".terraformrc"), TF_IN_AUTOMATION="1",
               AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_REGION="us-east-1")
    init(work, env)
    return work, env


@pytest.fixture
def workdir(tmp_path, endpoint):
    return module_copy(tmp_path / "tf", endpoint)


def run(work, env, *args, check=True):
    proc = subprocess.run(["terraform", f"-chdir={work}", *args, "-no-color"], env=env,
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


TABLES = {
    "dev": ["myapp-dev-sessions", "myapp-dev-users"],
    "staging": ["myapp-staging-analytics", "myapp-staging-sessions", "myapp-staging-users"],
    "prod": ["myapp-prod-analytics", "myapp-prod-sessions", "myapp-prod-users"],
}


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_tables_and_keys_apply_plan_clean_and_destroy(workdir, ddb, endpoint, env_name):
    work, env = workdir
    target = [f"-var-file=environments/{env_name}.tfvars"]
    run(work, env, "apply", "-auto-approve", "-input=false", *target)
    prefix = f"myapp-{env_name}-"
    names = sorted(t for t in ddb.list_tables()["TableNames"] if t.startswith(prefix))
    assert names == TABLES[env_name]
    users = ddb.describe_table(TableName=f"{prefix}users")["Table"]
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=users["TableArn"])["Tags"]}
    assert tags["Environment"] == env_name and tags["ManagedBy"] == "Terraform"
    sessions_ttl = ddb.describe_time_to_live(TableName=f"{prefix}sessions")["TimeToLiveDescription"]
    assert sessions_ttl["AttributeName"] == "expires_at"
    pitr = ddb.describe_continuous_backups(TableName=f"{prefix}users")["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
        "DISABLED" if env_name == "dev" else "ENABLED")
    state = json.loads(run(work, env, "show", "-json").stdout)
    resources = state["values"]["root_module"]["resources"]
    if env_name == "dev":
        assert "SSEDescription" not in users
    else:
        (key,) = [r["values"] for r in resources if r["type"] == "aws_kms_key"]
        assert users["SSEDescription"]["KMSMasterKeyArn"] == key["arn"]
        assert users["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        aas = boto3.client("application-autoscaling", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        targets = aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
        mine = sorted(t["ScalableDimension"] for t in targets if t["ResourceId"] == f"table/{prefix}analytics")
        assert mine == ["dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits"]
        policies = aas.describe_scaling_policies(ServiceNamespace="dynamodb",
                                                 ResourceId=f"table/{prefix}analytics")["ScalingPolicies"]
        assert sorted(p["PolicyName"] for p in policies) == [f"{prefix}analytics-read-scaling-policy",
                                                             f"{prefix}analytics-write-scaling-policy"]
        analytics = ddb.describe_table(TableName=f"{prefix}analytics")["Table"]
        assert [i["IndexName"] for i in analytics["LocalSecondaryIndexes"]] == ["user-events-index"]

    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    role = f"{prefix}dynamodb-backup"
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == [
        "AWSBackupServiceRolePolicyForBackup"]

    backup = boto3.client("backup", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    (plan_info,) = [p for p in backup.list_backup_plans()["BackupPlansList"]
                    if p["BackupPlanName"] == f"{prefix}dynamodb-backup-plan"]
    rule = backup.get_backup_plan(BackupPlanId=plan_info["BackupPlanId"])["BackupPlan"]["Rules"][0]
    retention = {"dev": 3, "staging": 7, "prod": 30}[env_name]
    assert rule["Lifecycle"]["DeleteAfterDays"] == retention
    (selection,) = backup.list_backup_selections(BackupPlanId=plan_info["BackupPlanId"])["BackupSelectionsList"]
    chosen = backup.get_backup_selection(BackupPlanId=plan_info["BackupPlanId"],
                                         SelectionId=selection["SelectionId"])["BackupSelection"]["Resources"]
    assert sorted(a.rsplit("/", 1)[1] for a in chosen) == TABLES[env_name]

    outputs = {k: v["value"] for k, v in json.loads(run(work, env, "output", "-json").stdout).items()}
    assert sorted(outputs["table_names"].values()) == TABLES[env_name]
    assert all(a.startswith("arn:aws:dynamodb:us-east-1:") for a in outputs["table_arns"].values())
    assert set(outputs["table_stream_arns"]) == ({"users"} if env_name != "dev" else set())
    assert (outputs.get("kms_key_id") is None) == (env_name == "dev")
    alarm_arns = outputs["cloudwatch_alarm_arns"]
    assert sorted(alarm_arns["read_throttled"]) == sorted(outputs["table_names"])
    assert all(a.startswith("arn:aws:cloudwatch:us-east-1:") for a in alarm_arns["write_throttled"].values())
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    names = {a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]}
    expected = 2 * len(TABLES[env_name]) + (0 if env_name == "dev" else 1)
    assert len(names) == expected, names
    kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    if env_name != "dev":
        assert set(outputs["auto_scaling_policies"]["read_policies"]) == {"analytics"}
        # Each target-tracking policy comes with the four CloudWatch alarms AWS creates for it.
        tracking = cw.describe_alarms(AlarmNamePrefix=f"TargetTracking-table/{prefix}analytics")["MetricAlarms"]
        assert len(tracking) == 8
        # The module's key really encrypts.
        blob = kms.encrypt(KeyId=outputs["kms_key_id"], Plaintext=b"seed")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"seed"
        assert outputs["backup_arns"]["vault"].startswith("arn:aws:backup:us-east-1:")

    plan = run(work, env, "plan", "-detailed-exitcode", "-input=false", *target, check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr

    run(work, env, "destroy", "-auto-approve", "-input=false", *target)
    assert not [t for t in ddb.list_tables()["TableNames"] if t.startswith(prefix)]
    assert not cw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"] == role]
    assert not [p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"].startswith(prefix)]
    assert not [v for v in backup.list_backup_vaults()["BackupVaultList"] if v["BackupVaultName"].startswith(prefix)]
    if env_name != "dev":
        assert kms.describe_key(KeyId=key["arn"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
        # A key scheduled for deletion refuses to decrypt.
        with pytest.raises(kms.exceptions.KMSInvalidStateException):
            kms.decrypt(CiphertextBlob=blob)
        assert not [t for t in aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
                    if t["ResourceId"].startswith(f"table/{prefix}")]


def test_the_module_applied_in_two_regions_makes_two_independent_stacks(tmp_path, endpoint):
    """prod's stack applied with aws_region us-east-1 and again with eu-west-1 against one
    server: the same table, key alias, alarm, vault and plan names in both regions (only the
    global IAM roles need the suffix the module offers), each stack planning clean, and
    destroying one leaving the other whole."""
    regions = ("us-east-1", "eu-west-1")
    stacks = {}
    for region in regions:
        work, env = module_copy(tmp_path / region, endpoint)
        args = ["-input=false", "-var-file=environments/prod.tfvars", f"-var=aws_region={region}"]
        if region != "us-east-1":
            args.append(f"-var=iam_name_suffix=-{region}")
        run(work, env, "apply", "-auto-approve", *args)
        stacks[region] = (work, env, args)

    def client(service, region):
        return boto3.client(service, endpoint_url=endpoint, region_name=region,
                            aws_access_key_id="test", aws_secret_access_key="test")

    keys, vaults = {}, {}
    for region, (work, env, args) in stacks.items():
        plan = run(work, env, "plan", "-detailed-exitcode", *args, check=False)
        assert plan.returncode == 0, plan.stdout + plan.stderr
        ddb = client("dynamodb", region)
        assert ddb.list_tables()["TableNames"] == TABLES["prod"]
        users = ddb.describe_table(TableName="myapp-prod-users")["Table"]
        assert users["TableArn"].startswith(f"arn:aws:dynamodb:{region}:")
        keys[region] = client("kms", region).describe_key(KeyId="alias/myapp-prod-dynamodb")["KeyMetadata"]["Arn"]
        assert users["SSEDescription"]["KMSMasterKeyArn"] == keys[region]
        alarms = client("cloudwatch", region).describe_alarms(AlarmNamePrefix="myapp-prod-")["MetricAlarms"]
        assert len(alarms) == 2 * len(TABLES["prod"]) + 1
        assert all(a["AlarmArn"].startswith(f"arn:aws:cloudwatch:{region}:") for a in alarms)
        (vault,) = [v for v in client("backup", region).list_backup_vaults()["BackupVaultList"]
                    if v["BackupVaultName"] == "myapp-prod-dynamodb-backups"]
        vaults[region] = vault["BackupVaultArn"]
        targets = client("application-autoscaling", region).describe_scalable_targets(
            ServiceNamespace="dynamodb")["ScalableTargets"]
        assert sorted(t["ResourceId"] for t in targets) == ["table/myapp-prod-analytics"] * 2
    assert keys["us-east-1"] != keys["eu-west-1"]
    assert vaults["us-east-1"] != vaults["eu-west-1"]
    roles = {r["RoleName"] for r in client("iam", "us-east-1").list_roles()["Roles"]}
    assert {"myapp-prod-application", "myapp-prod-application-eu-west-1"} <= roles

    # Destroying eu-west-1's stack leaves us-east-1's whole.
    us = client("dynamodb", "us-east-1")
    key = {"user_id": {"S": "u1"}, "created_at": {"S": "2026-12-07"}}
    us.put_item(TableName="myapp-prod-users", Item={**key, "email": {"S": "a@b"}})
    work, env, args = stacks["eu-west-1"]
    run(work, env, "destroy", "-auto-approve", *args)
    assert client("dynamodb", "eu-west-1").list_tables()["TableNames"] == []
    assert us.list_tables()["TableNames"] == TABLES["prod"]
    assert us.get_item(TableName="myapp-prod-users", Key=key)["Item"]["email"] == {"S": "a@b"}
    work, env, args = stacks["us-east-1"]
    plan = run(work, env, "plan", "-detailed-exitcode", *args, check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    run(work, env, "destroy", "-auto-approve", *args)
    assert us.list_tables()["TableNames"] == []
