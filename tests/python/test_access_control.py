"""Access control in enforced mode (``serve --credentials FILE``): the credentials file's keys
are the account's root; IAM users sign with their access keys, roles are assumed through STS,
and every request is evaluated against the policies that bear on it, with AWS's logic and
AWS's words for a refusal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import client_config
from dynohelpers import REGION, unique_name, wait_table_active
from test_clock import advance
from test_terraform import BACKEND_OVERRIDE, NO_TERRAFORM, SKIP_REASON, init, REPO, run

ROOT_KEY = "AKIAROOTEXAMPLE00001"
ROOT_SECRET = "root/secret/for/tests/only/0000000000000"


def root_credentials(tmp_path) -> Path:
    creds = tmp_path / "credentials"
    creds.write_text(textwrap.dedent(f"""\
        [default]
        aws_access_key_id = {ROOT_KEY}
        aws_secret_access_key = {ROOT_SECRET}
        """))
    return creds


@pytest.fixture
def enforced(new_server, tmp_path):
    return new_server(args=["--credentials", str(root_credentials(tmp_path)), "--test-clock"])


def certificate(server) -> str | bool:
    """The CA bundle a client of `server` needs: its self-signed certificate over https."""
    cert = server.data_dir / "tls" / "cert.pem"
    return str(cert) if server.endpoint.startswith("https://") else True


def client(server, service, key=ROOT_KEY, secret=ROOT_SECRET, token=None):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        verify=certificate(server),
        config=client_config(),
    )


def as_keys(server, service, keys):
    return client(server, service, keys["AccessKeyId"], keys["SecretAccessKey"], keys.get("SessionToken"))


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources="*", **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def deny(actions, resources="*", **extra):
    return {"Effect": "Deny", "Action": actions, "Resource": resources, **extra}


def make_user(server, name, *inline):
    iam = client(server, "iam")
    iam.create_user(UserName=name)
    for i, doc in enumerate(inline):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=doc)
    return iam.create_access_key(UserName=name)["AccessKey"]


def make_table(server, name, **extra):
    ddb = client(server, "dynamodb")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    wait_table_active(ddb, name)
    return ddb


def denied(excinfo) -> str:
    err = excinfo.value.response["Error"]
    assert err["Code"] in ("AccessDeniedException", "AccessDenied"), err
    return err["Message"]


def account(server) -> str:
    return client(server, "sts").get_caller_identity()["Account"]


def test_root_is_all_powerful_and_says_so(enforced):
    ident = client(enforced, "sts").get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ident['Account']}:root"
    make_table(enforced, "root-table")


def test_a_user_without_policies_is_refused_in_aws_words(enforced):
    keys = make_user(enforced, "nobody")
    acct = account(enforced)
    ident = as_keys(enforced, "sts", keys).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{acct}:user/nobody"
    assert ident["UserId"].startswith("AIDA")
    make_table(enforced, "tab1")
    ddb = as_keys(enforced, "dynamodb", keys)
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="tab1", Key={"pk": {"S": "a"}})
    assert denied(e) == (
        f"User: arn:aws:iam::{acct}:user/nobody is not authorized to perform: dynamodb:GetItem "
        f"on resource: arn:aws:dynamodb:{REGION}:{acct}:table/tab1 because no identity-based "
        "policy allows the dynamodb:GetItem action"
    )
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_seeds_policy_allows_items_and_nothing_else(enforced):
    seed = policy(allow(
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan",
         "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        ["arn:aws:dynamodb:*:*:table/myapp-*", "arn:aws:dynamodb:*:*:table/myapp-*/index/*"],
    ))
    keys = make_user(enforced, "app", seed)
    make_table(enforced, "myapp-users")
    make_table(enforced, "other")
    ddb = as_keys(enforced, "dynamodb", keys)
    ddb.put_item(TableName="myapp-users", Item={"pk": {"S": "u1"}, "n": {"N": "1"}})
    assert ddb.get_item(TableName="myapp-users", Key={"pk": {"S": "u1"}})["Item"]["n"] == {"N": "1"}
    ddb.update_item(TableName="myapp-users", Key={"pk": {"S": "u1"}}, UpdateExpression="SET n = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    assert ddb.query(TableName="myapp-users", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "u1"}})["Count"] == 1
    assert ddb.scan(TableName="myapp-users")["Count"] == 1
    ddb.delete_item(TableName="myapp-users", Key={"pk": {"S": "u1"}})
    for call in (lambda: ddb.delete_table(TableName="myapp-users"),
                 lambda: ddb.get_item(TableName="other", Key={"pk": {"S": "x"}}),
                 lambda: ddb.describe_table(TableName="myapp-users")):
        with pytest.raises(ClientError) as e:
            call()
        assert "because no identity-based policy allows" in denied(e)
    # Nothing was deleted by the refused call.
    client(enforced, "dynamodb").describe_table(TableName="myapp-users")


def test_an_explicit_deny_wins(enforced):
    keys = make_user(enforced, "denied", policy(
        allow("dynamodb:*"),
        deny("dynamodb:DeleteItem", "arn:aws:dynamodb:*:*:table/guarded"),
    ))
    make_table(enforced, "guarded")
    ddb = as_keys(enforced, "dynamodb", keys)
    ddb.put_item(TableName="guarded", Item={"pk": {"S": "a"}})
    with pytest.raises(ClientError) as e:
        ddb.delete_item(TableName="guarded", Key={"pk": {"S": "a"}})
    assert denied(e).endswith("with an explicit deny in an identity-based policy")
    assert client(enforced, "dynamodb").get_item(TableName="guarded", Key={"pk": {"S": "a"}})["Item"]


def test_leading_keys_keep_a_user_in_their_partition(enforced):
    own = policy(allow(
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        "arn:aws:dynamodb:*:*:table/scores",
        Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}},
    ))
    keys = make_user(enforced, "carol", own)
    make_table(enforced, "scores")
    ddb = as_keys(enforced, "dynamodb", keys)
    ddb.put_item(TableName="scores", Item={"pk": {"S": "carol"}, "s": {"N": "10"}})
    assert ddb.get_item(TableName="scores", Key={"pk": {"S": "carol"}})["Item"]
    assert ddb.query(TableName="scores", KeyConditionExpression="#p = :p",
                     ExpressionAttributeNames={"#p": "pk"},
                     ExpressionAttributeValues={":p": {"S": "carol"}})["Count"] == 1
    for call in (lambda: ddb.put_item(TableName="scores", Item={"pk": {"S": "dave"}}),
                 lambda: ddb.get_item(TableName="scores", Key={"pk": {"S": "dave"}}),
                 lambda: ddb.query(TableName="scores", KeyConditionExpression="pk = :p",
                                   ExpressionAttributeValues={":p": {"S": "dave"}})):
        with pytest.raises(ClientError) as e:
            call()
        denied(e)


def test_assumed_role_sessions_expire_on_the_clock(enforced):
    acct = account(enforced)
    iam = client(enforced, "iam")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="app-role", PolicyName="items",
                        PolicyDocument=policy(allow("dynamodb:GetItem")))
    keys = make_user(enforced, "assumer", policy(allow("sts:AssumeRole", role["Arn"])))
    nope = make_user(enforced, "cannot-assume")
    sts = as_keys(enforced, "sts", keys)
    with pytest.raises(ClientError) as e:
        as_keys(enforced, "sts", nope).assume_role(RoleArn=role["Arn"], RoleSessionName="sess-0")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    got = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="sess-1", DurationSeconds=900)
    creds = got["Credentials"]
    assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct}:assumed-role/app-role/sess-1"
    assert creds["AccessKeyId"].startswith("ASIA")
    ident = as_keys(enforced, "sts", creds).get_caller_identity()
    assert ident["Arn"] == got["AssumedRoleUser"]["Arn"]
    assert ident["UserId"] == f"{role['RoleId']}:sess-1"
    make_table(enforced, "rtab")
    ddb = as_keys(enforced, "dynamodb", creds)
    assert "Item" not in ddb.get_item(TableName="rtab", Key={"pk": {"S": "a"}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="rtab", Item={"pk": {"S": "a"}})
    assert denied(e).startswith(f"User: arn:aws:sts::{acct}:assumed-role/app-role/sess-1 is not")
    # The wrong token, or none, is not the session.
    with pytest.raises(ClientError) as e:
        client(enforced, "dynamodb", creds["AccessKeyId"], creds["SecretAccessKey"]).get_item(
            TableName="rtab", Key={"pk": {"S": "a"}})
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    advance(enforced, 901)
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="rtab", Key={"pk": {"S": "a"}})
    assert e.value.response["Error"]["Code"] == "ExpiredTokenException"
    assert e.value.response["Error"]["Message"] == "The security token included in the request is expired"


def test_access_keys_lifecycle(enforced):
    iam = client(enforced, "iam")
    keys = make_user(enforced, "keyed", policy(allow("dynamodb:ListTables")))
    ddb = as_keys(enforced, "dynamodb", keys)
    ddb.list_tables()
    listed = iam.list_access_keys(UserName="keyed")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [keys["AccessKeyId"]]
    assert listed[0]["Status"] == "Active"
    iam.create_access_key(UserName="keyed")
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="keyed")
    assert e.value.response["Error"]["Code"] == "LimitExceeded"
    iam.update_access_key(UserName="keyed", AccessKeyId=keys["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        ddb.list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="keyed")
    assert e.value.response["Error"]["Code"] == "DeleteConflict"
    for k in iam.list_access_keys(UserName="keyed")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="keyed", AccessKeyId=k["AccessKeyId"])
    iam.delete_user_policy(UserName="keyed", PolicyName="p0")
    iam.delete_user(UserName="keyed")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="keyed")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"


def test_a_table_policy_grants_another_principal(enforced):
    acct = account(enforced)
    bob = make_user(enforced, "bob")
    ddb = make_table(enforced, "shared")
    arn = ddb.describe_table(TableName="shared")["Table"]["TableArn"]
    with pytest.raises(ClientError) as e:
        ddb.get_resource_policy(ResourceArn=arn)
    assert e.value.response["Error"]["Code"] == "PolicyNotFoundException"
    bobs = as_keys(enforced, "dynamodb", bob)
    with pytest.raises(ClientError) as e:
        bobs.get_item(TableName="shared", Key={"pk": {"S": "a"}})
    denied(e)
    doc = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:user/bob"},
                  "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": arn})
    rev = ddb.put_resource_policy(ResourceArn=arn, Policy=doc)["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=arn)
    assert (json.loads(got["Policy"]), got["RevisionId"]) == (json.loads(doc), rev)
    bobs.put_item(TableName="shared", Item={"pk": {"S": "a"}})
    assert bobs.get_item(TableName="shared", Key={"pk": {"S": "a"}})["Item"]
    with pytest.raises(ClientError) as e:
        bobs.delete_item(TableName="shared", Key={"pk": {"S": "a"}})
    assert "because no identity-based policy allows the dynamodb:DeleteItem action" in denied(e)
    # A deny in the table's policy binds even the root user.
    ddb.put_resource_policy(ResourceArn=arn, ExpectedRevisionId=rev, Policy=policy(
        {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:DeleteTable", "Resource": arn}))
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName="shared")
    assert denied(e).endswith("with an explicit deny in a resource-based policy")
    ddb.delete_resource_policy(ResourceArn=arn)
    ddb.delete_table(TableName="shared")


def kms_table(enforced, key_policy):
    acct = account(enforced)
    kms = client(enforced, "kms")
    key = kms.create_key(Policy=key_policy)["KeyMetadata"]
    make_table(enforced, "sealed", SSESpecification={
        "Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    return acct, key


def test_a_key_policy_denying_a_role_locks_it_out_of_the_table_only(enforced):
    acct = account(enforced)
    iam = client(enforced, "iam")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "sts:AssumeRole"})
    for name in ("reader", "blocked"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        iam.put_role_policy(RoleName=name, PolicyName="items", PolicyDocument=policy(
            allow(["dynamodb:GetItem", "dynamodb:PutItem"]),
            # DynamoDB uses the table's key with the caller's permissions.
            allow("kms:Decrypt", Condition={"StringEquals": {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}}),
        ))
    key_policy = policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{acct}:role/blocked"},
         "Action": "kms:Decrypt", "Resource": "*"},
    )
    _, key = kms_table(enforced, key_policy)
    sts = client(enforced, "sts")
    sessions = {name: sts.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/{name}",
                                      RoleSessionName="s-" + name)["Credentials"]
                for name in ("reader", "blocked")}
    reader = as_keys(enforced, "dynamodb", sessions["reader"])
    reader.put_item(TableName="sealed", Item={"pk": {"S": "a"}})
    assert reader.get_item(TableName="sealed", Key={"pk": {"S": "a"}})["Item"]
    blocked = as_keys(enforced, "dynamodb", sessions["blocked"])
    with pytest.raises(ClientError) as e:
        blocked.get_item(TableName="sealed", Key={"pk": {"S": "a"}})
    assert denied(e) == (
        f"User: arn:aws:sts::{acct}:assumed-role/blocked/s-blocked is not authorized to perform: "
        f"kms:Decrypt on resource: {key['Arn']} with an explicit deny in a resource-based policy"
    )
    # The role's own policy grants nothing of KMS: the key's administration is refused.
    kms = as_keys(enforced, "kms", sessions["reader"])
    for call in (lambda: kms.describe_key(KeyId=key["Arn"]),
                 lambda: kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7),
                 lambda: kms.put_key_policy(KeyId=key["Arn"], PolicyName="default", Policy=key_policy)):
        with pytest.raises(ClientError) as e:
            call()
        assert "because no identity-based policy allows the kms:" in denied(e)
    assert client(enforced, "kms").describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_key_policy_that_does_not_name_the_account_binds_the_root(enforced):
    acct = account(enforced)
    kms = client(enforced, "kms")
    key = kms.create_key(Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
         "Action": ["kms:DescribeKey", "kms:PutKeyPolicy"], "Resource": "*"}))["KeyMetadata"]
    kms.describe_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert denied(e) == (
        f"User: arn:aws:iam::{acct}:root is not authorized to perform: kms:Encrypt on resource: "
        f"{key['Arn']} because no resource-based policy allows the kms:Encrypt action"
    )


@pytest.mark.skipif(NO_TERRAFORM, reason=SKIP_REASON)
def test_the_seeds_module_for_prod_under_its_application_role(enforced, tmp_path):
    """The module applied for prod by the root in enforced mode; a user assumes the application
    role it creates, and boto3 under that role can use the tables and nothing else."""
    work = tmp_path / "tf"
    shutil.copytree(REPO / "terraform", work)
    (work / "backend_override.tf").write_text(BACKEND_OVERRIDE)
    (work / ".terraformrc").write_text("")
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(work / ".terraformrc"), TF_IN_AUTOMATION="1",
               AWS_ENDPOINT_URL=enforced.endpoint, AWS_ACCESS_KEY_ID=ROOT_KEY,
               AWS_SECRET_ACCESS_KEY=ROOT_SECRET, AWS_REGION=REGION)
    init(work, env)
    run(work, env, "apply", "-auto-approve", "-input=false", "-var-file=environments/prod.tfvars")
    outputs = {k: v["value"] for k, v in json.loads(run(work, env, "output", "-json").stdout).items()}
    role_arn = outputs["application_role_arn"]
    key_id = outputs["kms_key_id"]
    acct = account(enforced)

    keys = make_user(enforced, "deployer", policy(allow("sts:AssumeRole", role_arn)))
    session = as_keys(enforced, "sts", keys).assume_role(
        RoleArn=role_arn, RoleSessionName="app", DurationSeconds=900)
    creds = session["Credentials"]
    me = f"arn:aws:sts::{acct}:assumed-role/myapp-prod-application/app"
    assert as_keys(enforced, "sts", creds).get_caller_identity()["Arn"] == me
    ddb = as_keys(enforced, "dynamodb", creds)

    users = "myapp-prod-users"
    key = {"user_id": {"S": "u1"}, "created_at": {"S": "2026-12-07"}}
    ddb.put_item(TableName=users, Item={**key, "email": {"S": "a@example.com"}})
    assert ddb.get_item(TableName=users, Key=key)["Item"]["email"]["S"] == "a@example.com"
    ddb.update_item(TableName=users, Key=key, UpdateExpression="SET age = :a",
                    ExpressionAttributeValues={":a": {"N": "30"}})
    assert ddb.query(TableName=users, KeyConditionExpression="user_id = :u",
                     ExpressionAttributeValues={":u": {"S": "u1"}})["Count"] == 1
    assert ddb.query(TableName=users, IndexName="email-index", KeyConditionExpression="email = :e",
                     ExpressionAttributeValues={":e": {"S": "a@example.com"}})["Count"] == 1
    assert ddb.scan(TableName=users)["Count"] == 1
    ddb.delete_item(TableName=users, Key=key)

    refusals = {
        "dynamodb:DeleteTable": lambda: ddb.delete_table(TableName=users),
        "dynamodb:CreateTable": lambda: ddb.create_table(
            TableName="myapp-prod-extra", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST"),
        "dynamodb:GetItem": lambda: ddb.get_item(TableName="other-table", Key={"k": {"S": "x"}}),
        "kms:ScheduleKeyDeletion": lambda: as_keys(enforced, "kms", creds).schedule_key_deletion(
            KeyId=key_id, PendingWindowInDays=7),
        "kms:DisableKey": lambda: as_keys(enforced, "kms", creds).disable_key(KeyId=key_id),
    }
    make_table(enforced, "other-table")
    for action, call in refusals.items():
        with pytest.raises(ClientError) as e:
            call()
        message = denied(e)
        assert message.startswith(f"User: {me} is not authorized to perform: {action} on resource: arn:aws:")
        assert message.endswith(f"because no identity-based policy allows the {action} action")
    assert "myapp-prod-extra" not in client(enforced, "dynamodb").list_tables()["TableNames"]

    advance(enforced, 901)
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=users, Key=key)
    assert e.value.response["Error"]["Code"] == "ExpiredTokenException"

    client(enforced, "iam").delete_access_key(UserName="deployer", AccessKeyId=keys["AccessKeyId"])
    run(work, env, "destroy", "-auto-approve", "-input=false", "-var-file=environments/prod.tfvars")


def test_https_with_a_self_signed_certificate_and_secure_transport(new_server, tmp_path):
    """`--tls-self-signed`: boto3 and the AWS CLI over https, trusting the certificate through
    AWS_CA_BUNDLE; aws:SecureTransport is true there and false over http."""
    creds = root_credentials(tmp_path)
    secure = new_server(args=["--credentials", str(creds), "--tls-self-signed"])
    plain = new_server(args=["--credentials", str(creds)])
    assert secure.endpoint.startswith("https://") and plain.endpoint.startswith("http://")
    tls_only = policy(allow("dynamodb:ListTables",
                            Condition={"Bool": {"aws:SecureTransport": "true"}}))
    for srv in (secure, plain):
        keys = make_user(srv, "tls-user", tls_only)
        ddb = as_keys(srv, "dynamodb", keys)
        if srv is secure:
            assert ddb.list_tables()["TableNames"] == []
        else:
            with pytest.raises(ClientError) as e:
                ddb.list_tables()
            denied(e)
    bundle = certificate(secure)
    cli = Path(sys.executable).with_name("aws")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_KEY, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_CA_BUNDLE=bundle)
    args = [str(cli), "sts", "get-caller-identity", "--endpoint-url", secure.endpoint, "--output", "json"]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["Arn"].endswith(":root")
    # Without the bundle the certificate is not trusted.
    env.pop("AWS_CA_BUNDLE")
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in proc.stderr


def test_the_policy_simulator_answers_as_enforcement_does(enforced):
    acct = account(enforced)
    iam = client(enforced, "iam")
    doc = policy(
        allow(["dynamodb:GetItem", "dynamodb:Query"], "arn:aws:dynamodb:*:*:table/myapp-*"),
        deny("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/myapp-secrets"),
    )
    keys = make_user(enforced, "simulated", doc)
    table = f"arn:aws:dynamodb:{REGION}:{acct}:table"
    got = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{acct}:user/simulated",
        ActionNames=["dynamodb:GetItem", "dynamodb:DeleteTable"],
        ResourceArns=[f"{table}/myapp-users", f"{table}/myapp-secrets"],
    )["EvaluationResults"]
    decisions = {(r["EvalActionName"], r["EvalResourceName"].rsplit("/", 1)[1]): r["EvalDecision"] for r in got}
    assert decisions == {
        ("dynamodb:GetItem", "myapp-users"): "allowed",
        ("dynamodb:GetItem", "myapp-secrets"): "explicitDeny",
        ("dynamodb:DeleteTable", "myapp-users"): "implicitDeny",
        ("dynamodb:DeleteTable", "myapp-secrets"): "implicitDeny",
    }
    allowed = [r for r in got if r["EvalDecision"] == "allowed"][0]
    assert [m["SourcePolicyType"] for m in allowed["MatchedStatements"]] == ["user"]
    # What the simulator says is what the server does.
    for name in ("myapp-users", "myapp-secrets"):
        make_table(enforced, name)
    ddb = as_keys(enforced, "dynamodb", keys)
    ddb.get_item(TableName="myapp-users", Key={"pk": {"S": "a"}})
    with pytest.raises(ClientError):
        ddb.get_item(TableName="myapp-secrets", Key={"pk": {"S": "a"}})

    custom = iam.simulate_custom_policy(
        PolicyInputList=[policy(allow("dynamodb:PutItem", Condition={
            "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
        ActionNames=["dynamodb:PutItem"],
        ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"],
                         "ContextKeyType": "ip"}],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in custom] == ["allowed"]
    missing = iam.simulate_custom_policy(
        PolicyInputList=[policy(allow("dynamodb:PutItem", Condition={
            "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
        ActionNames=["dynamodb:PutItem"],
    )["EvaluationResults"][0]
    assert (missing["EvalDecision"], missing["MissingContextValues"]) == ("implicitDeny", ["aws:SourceIp"])


def test_a_grant_lets_its_grantee_use_the_key(enforced):
    acct = account(enforced)
    iam = client(enforced, "iam")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="grantee", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="grantee", PolicyName="items",
                        PolicyDocument=policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"])))
    _, key = kms_table(enforced, policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*",
         "Resource": "*"}))
    creds = client(enforced, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="grantee-session")["Credentials"]
    ddb, kms = as_keys(enforced, "dynamodb", creds), as_keys(enforced, "kms", creds)
    for call in (lambda: ddb.put_item(TableName="sealed", Item={"pk": {"S": "a"}}),
                 lambda: kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")):
        with pytest.raises(ClientError) as e:
            call()
        denied(e)
    root_kms = client(enforced, "kms")
    grant = root_kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=role["Arn"],
                                  Operations=["Decrypt", "Encrypt"], Name="app")
    (listed,) = root_kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert (listed["GrantId"], listed["GranteePrincipal"], listed["Operations"]) == (
        grant["GrantId"], role["Arn"], ["Decrypt", "Encrypt"])
    ddb.put_item(TableName="sealed", Item={"pk": {"S": "a"}})
    assert ddb.get_item(TableName="sealed", Key={"pk": {"S": "a"}})["Item"]
    blob = kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    denied(e)
    root_kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant["GrantId"])
    assert root_kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    denied(e)


def test_a_user_holds_the_policies_of_its_groups(enforced):
    iam = client(enforced, "iam")
    keys = make_user(enforced, "member")
    make_table(enforced, "grouped")
    ddb = as_keys(enforced, "dynamodb", keys)
    iam.create_group(GroupName="readers")
    managed = iam.create_policy(PolicyName="read-items",
                                PolicyDocument=policy(allow("dynamodb:GetItem")))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=managed)
    iam.put_group_policy(GroupName="readers", PolicyName="no-deletes",
                         PolicyDocument=policy(deny("dynamodb:DeleteItem")))
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="grouped", Key={"pk": {"S": "a"}})
    denied(e)
    iam.add_user_to_group(GroupName="readers", UserName="member")
    ddb.get_item(TableName="grouped", Key={"pk": {"S": "a"}})
    got = iam.get_group(GroupName="readers")
    assert [u["UserName"] for u in got["Users"]] == ["member"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="member")["Groups"]] == ["readers"]
    entities = iam.list_entities_for_policy(PolicyArn=managed)
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["readers"]
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="readers")
    assert e.value.response["Error"]["Code"] == "DeleteConflict"
    iam.remove_user_from_group(GroupName="readers", UserName="member")
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="grouped", Key={"pk": {"S": "a"}})
    denied(e)
    iam.detach_group_policy(GroupName="readers", PolicyArn=managed)
    iam.delete_group_policy(GroupName="readers", PolicyName="no-deletes")
    iam.delete_group(GroupName="readers")
    assert iam.list_groups()["Groups"] == []


def test_tags_decide_access(enforced):
    """Attribute-based access: a table's tags against the caller's (aws:ResourceTag,
    aws:PrincipalTag), and the tags a request sets (aws:RequestTag, aws:TagKeys)."""
    iam = client(enforced, "iam")
    iam.create_user(UserName="blue-dev", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName="blue-dev", PolicyName="abac", PolicyDocument=policy(
        allow("dynamodb:GetItem", Condition={
            "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
        allow("dynamodb:CreateTable", Condition={
            "StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
    ))
    keys = client(enforced, "iam").create_access_key(UserName="blue-dev")["AccessKey"]
    for team in ("blue", "red"):
        make_table(enforced, f"{team}-table", Tags=[{"Key": "team", "Value": team}])
    ddb = as_keys(enforced, "dynamodb", keys)
    ddb.get_item(TableName="blue-table", Key={"pk": {"S": "a"}})
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="red-table", Key={"pk": {"S": "a"}})
    denied(e)
    spec = dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST")
    for tags in ([{"Key": "team", "Value": "red"}], [],
                 [{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "x"}]):
        with pytest.raises(ClientError) as e:
            ddb.create_table(TableName="new-table", Tags=tags, **spec) if tags else ddb.create_table(
                TableName="new-table", **spec)
        denied(e)
    ddb.create_table(TableName="new-table", Tags=[{"Key": "team", "Value": "blue"}], **spec)
