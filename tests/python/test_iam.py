"""IAM over awsQuery with boto3: roles, inline and managed policies, AWS managed policies."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
BACKUP_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"


@pytest.fixture(scope="module")
def iam(endpoint):
    return boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")


def test_role_lifecycle_with_policies(iam):
    role = iam.create_role(RoleName="backup-role", AssumeRolePolicyDocument=TRUST,
                           Tags=[{"Key": "Env", "Value": "dev"}])["Role"]
    assert role["Arn"].endswith(":role/backup-role") and role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName="backup-role")["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(TRUST)  # boto3 decodes the URL-encoded JSON
    iam.attach_role_policy(RoleName="backup-role", PolicyArn=BACKUP_POLICY)
    attached = iam.list_attached_role_policies(RoleName="backup-role")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [BACKUP_POLICY]
    iam.put_role_policy(RoleName="backup-role", PolicyName="inline", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}))
    assert iam.list_role_policies(RoleName="backup-role")["PolicyNames"] == ["inline"]
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="backup-role")
    assert e.value.response["Error"]["Code"] == "DeleteConflict"
    iam.detach_role_policy(RoleName="backup-role", PolicyArn=BACKUP_POLICY)
    iam.delete_role_policy(RoleName="backup-role", PolicyName="inline")
    iam.delete_role(RoleName="backup-role")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="backup-role")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert e.value.response["Error"]["Message"] == "The role with name backup-role cannot be found."


def test_aws_managed_policy_is_readable(iam):
    policy = iam.get_policy(PolicyArn=BACKUP_POLICY)["Policy"]
    assert policy["PolicyName"] == "AWSBackupServiceRolePolicyForBackup"
    version = iam.get_policy_version(PolicyArn=BACKUP_POLICY, VersionId=policy["DefaultVersionId"])
    assert version["PolicyVersion"]["Document"]["Statement"]
