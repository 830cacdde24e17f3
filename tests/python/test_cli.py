"""The AWS CLI (v1, from PyPI, installed into .venv by scripts/setup-python.sh) against every
service Dynostack serves, in the protocols the CLI speaks."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AWS = Path(sys.executable).with_name("aws")
pytestmark = pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in the venv")


@pytest.fixture(scope="module")
def aws(endpoint):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL=endpoint, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")

    def run(*args, check=True):
        proc = subprocess.run([str(AWS), *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, proc.stderr
            return json.loads(proc.stdout) if proc.stdout.strip() else {}
        return proc
    return run


def test_sts(aws):
    assert aws("sts", "get-caller-identity")["Arn"].endswith(":root")


def test_dynamodb_item_round_trip(aws):
    aws("dynamodb", "create-table", "--table-name", "cli-users", "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=user_id,AttributeType=S",
        "--key-schema", "AttributeName=user_id,KeyType=HASH")
    aws("dynamodb", "put-item", "--table-name", "cli-users",
        "--item", json.dumps({"user_id": {"S": "123"}, "n": {"N": "1.50"}}))
    got = aws("dynamodb", "get-item", "--table-name", "cli-users", "--key", json.dumps({"user_id": {"S": "123"}}))
    assert got["Item"] == {"user_id": {"S": "123"}, "n": {"N": "1.5"}}
    failed = aws("dynamodb", "put-item", "--table-name", "cli-users", "--item", json.dumps({"user_id": {"S": "123"}}),
                 "--condition-expression", "attribute_not_exists(user_id)", check=False)
    assert failed.returncode != 0 and "ConditionalCheckFailedException" in failed.stderr
    aws("dynamodb", "delete-table", "--table-name", "cli-users")


def test_kms_encrypts(aws, tmp_path):
    # CLI v1 sends a blob argument's text as the bytes; binary goes through fileb://.
    key = aws("kms", "create-key")["KeyMetadata"]["KeyId"]
    blob = aws("kms", "encrypt", "--key-id", key, "--plaintext", "hello")["CiphertextBlob"]
    path = tmp_path / "blob"
    path.write_bytes(base64.b64decode(blob))
    plain = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{path}")["Plaintext"]
    assert base64.b64decode(plain) == b"hello"


def test_iam_role(aws):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    role = aws("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trust)["Role"]
    assert role["RoleName"] == "cli-role"
    aws("iam", "delete-role", "--role-name", "cli-role")


def test_cloudwatch_alarm(aws):
    aws("cloudwatch", "put-metric-alarm", "--alarm-name", "cli-alarm", "--metric-name", "ReadThrottledRequests",
        "--namespace", "AWS/DynamoDB", "--statistic", "Sum", "--period", "300", "--evaluation-periods", "2",
        "--threshold", "0", "--comparison-operator", "GreaterThanThreshold",
        "--dimensions", "Name=TableName,Value=t")
    alarms = aws("cloudwatch", "describe-alarms", "--alarm-names", "cli-alarm")["MetricAlarms"]
    assert alarms[0]["StateValue"] == "INSUFFICIENT_DATA"
    aws("cloudwatch", "delete-alarms", "--alarm-names", "cli-alarm")


def test_application_autoscaling_and_backup(aws):
    aws("dynamodb", "create-table", "--table-name", "cli-prov", "--billing-mode", "PROVISIONED",
        "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5",
        "--attribute-definitions", "AttributeName=k,AttributeType=S", "--key-schema", "AttributeName=k,KeyType=HASH")
    aws("application-autoscaling", "register-scalable-target", "--service-namespace", "dynamodb",
        "--resource-id", "table/cli-prov", "--scalable-dimension", "dynamodb:table:ReadCapacityUnits",
        "--min-capacity", "5", "--max-capacity", "50")
    targets = aws("application-autoscaling", "describe-scalable-targets", "--service-namespace", "dynamodb")
    assert any(t["ResourceId"] == "table/cli-prov" for t in targets["ScalableTargets"])
    vault = aws("backup", "create-backup-vault", "--backup-vault-name", "cli-vault")
    assert vault["BackupVaultName"] == "cli-vault"
    aws("backup", "delete-backup-vault", "--backup-vault-name", "cli-vault")
