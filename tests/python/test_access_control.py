"""Access control in enforced mode (``serve --credentials FILE``): the credentials file's keys
are the account's root; IAM users sign with their access keys, roles are assumed through STS,
and every request is evaluated against the policies that bear on it, with AWS's logic and
AWS's words for a refusal."""

from __future__ import annotations

import json
import textwrap

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import client_config
from dynohelpers import REGION, unique_name, wait_table_active
from test_clock import advance

ROOT_KEY = "AKIAROOTEXAMPLE00001"
ROOT_SECRET = "root/secret/for/tests/only/0000000000000"


@pytest.fixture
def enforced(new_server, tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text(textwrap.dedent(f"""\
        [default]
        aws_access_key_id = {ROOT_KEY}
        aws_secret_access_key = {ROOT_SECRET}
        """))
    return new_server(args=["--credentials", str(creds), "--test-clock"])


def client(server, service, key=ROOT_KEY, secret=ROOT_SECRET, token=None):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
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
