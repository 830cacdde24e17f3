"""STS over awsQuery, as boto3 (and Terraform's aws_caller_identity) call it."""

import re

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def sts(endpoint):
    return boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")


def test_get_caller_identity_is_the_account_root(sts, ddb):
    ident = sts.get_caller_identity()
    assert re.fullmatch(r"\d{12}", ident["Account"])
    assert ident["Arn"] == f"arn:aws:iam::{ident['Account']}:root"
    assert ident["UserId"] == ident["Account"]
    # The same account every ARN of the installation carries.
    assert ident["ResponseMetadata"]["RequestId"]
    tables = ddb.list_tables()["TableNames"]
    assert isinstance(tables, list)


def test_account_is_stable_across_calls(sts):
    assert sts.get_caller_identity()["Account"] == sts.get_caller_identity()["Account"]


def test_unknown_action_is_an_xml_error(sts):
    with pytest.raises(ClientError) as e:
        sts._make_api_call("GetFederationToken", {"Name": "fed"})
    assert e.value.response["Error"]["Code"] == "InvalidAction"
