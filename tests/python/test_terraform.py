"""The seed's Terraform module (terraform/) against Dynostack, with the real Terraform CLI and
the mirrored AWS provider 5.x.

Until KMS, CloudWatch, Application Auto Scaling, AWS Backup and IAM are served, this applies the
module's DynamoDB tables (with `-target`, so Terraform also resolves what they depend on:
`aws_caller_identity` through STS) for the dev environment, checks that a second plan reports
no changes, and destroys them.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGINS = Path("/opt/tf-plugins")

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None or not PLUGINS.is_dir(),
                                reason="terraform or the provider mirror is not installed")

# The module stays usable against AWS unchanged: the local run only overrides the S3 backend.
BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'


@pytest.fixture
def workdir(tmp_path, endpoint):
    work = tmp_path / "tf"
    shutil.copytree(REPO / "terraform", work)
    (work / "backend_override.tf").write_text(BACKEND_OVERRIDE)
    (work / ".terraformrc").write_text("")
    env = dict(os.environ,
               TF_CLI_CONFIG_FILE=str(work / ".terraformrc"), TF_IN_AUTOMATION="1",
               AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_REGION="us-east-1")
    run(work, env, "init", "-plugin-dir", str(PLUGINS), "-input=false")
    return work, env


def run(work, env, *args, check=True):
    proc = subprocess.run(["terraform", f"-chdir={work}", *args, "-no-color"], env=env,
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_dev_tables_apply_plan_clean_and_destroy(workdir, ddb):
    work, env = workdir
    target = ["-target=aws_dynamodb_table.tables", "-var-file=environments/dev.tfvars"]
    run(work, env, "apply", "-auto-approve", "-input=false", *target)
    names = sorted(t for t in ddb.list_tables()["TableNames"] if t.startswith("myapp-dev-"))
    assert names == ["myapp-dev-sessions", "myapp-dev-users"]
    users = ddb.describe_table(TableName="myapp-dev-users")["Table"]
    assert [g["IndexName"] for g in users["GlobalSecondaryIndexes"]] == ["email-index"]
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=users["TableArn"])["Tags"]}
    assert tags["Environment"] == "dev" and tags["ManagedBy"] == "Terraform"

    plan = run(work, env, "plan", "-detailed-exitcode", "-input=false", *target, check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr

    state = json.loads(run(work, env, "show", "-json").stdout)
    arns = [r["values"]["arn"] for r in state["values"]["root_module"]["resources"]
            if r["type"] == "aws_dynamodb_table"]
    assert sorted(a.rsplit("/", 1)[1] for a in arns) == ["myapp-dev-sessions", "myapp-dev-users"]

    run(work, env, "destroy", "-auto-approve", "-input=false", *target)
    assert not [t for t in ddb.list_tables()["TableNames"] if t.startswith("myapp-dev-")]
