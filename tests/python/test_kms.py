"""KMS over awsJson 1.1 with boto3: keys, aliases, real encryption, deletion."""

import base64

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def kms(endpoint):
    return boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")


def test_encrypt_decrypt_round_trip_with_context(kms):
    key = kms.create_key(Description="test key")["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["KeySpec"] == "SYMMETRIC_DEFAULT"
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret data", EncryptionContext={"table": "users"})
    assert ct["KeyId"] == key["Arn"]
    assert b"secret data" not in ct["CiphertextBlob"]
    pt = kms.decrypt(CiphertextBlob=ct["CiphertextBlob"], EncryptionContext={"table": "users"})
    assert pt["Plaintext"] == b"secret data" and pt["KeyId"] == key["Arn"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=ct["CiphertextBlob"], EncryptionContext={"table": "other"})
    assert e.value.response["Error"]["Code"] == "InvalidCiphertextException"
    tampered = bytearray(ct["CiphertextBlob"])
    tampered[-1] ^= 1
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext={"table": "users"})
    assert e.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_alias_and_data_keys(kms):
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/test-data-keys", TargetKeyId=key["KeyId"])
    assert kms.describe_key(KeyId="alias/test-data-keys")["KeyMetadata"]["KeyId"] == key["KeyId"]
    dk = kms.generate_data_key(KeyId="alias/test-data-keys", KeySpec="AES_256")
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert "alias/test-data-keys" in aliases


def test_key_scheduled_for_deletion_refuses_crypto(kms):
    key = kms.create_key()["KeyMetadata"]
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    sched = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert sched["KeyState"] == "PendingDeletion"
    for call in (lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
                 lambda: kms.decrypt(CiphertextBlob=ct)):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"x"


def test_unknown_key(kms):
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="11111111-2222-3333-4444-555555555555")
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_table_sse_default_key_is_kms_aws_managed_key(kms, ddb, make_table):
    name = make_table(SSESpecification={"Enabled": True})
    arn = ddb.describe_table(TableName=name)["Table"]["SSEDescription"]["KMSMasterKeyArn"]
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and meta["Arn"] == arn
    alias = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/dynamodb"]
    assert alias and alias[0]["TargetKeyId"] == meta["KeyId"]


@pytest.mark.parametrize("in_memory", [True, False])
def test_a_table_on_the_aws_managed_key_makes_it_exist(new_server, in_memory):
    """AWS creates alias/aws/dynamodb's key when a table first uses it: before, the alias has no
    target; after, ListKeys lists the key, whether or not the store seals anything."""
    srv = new_server(in_memory=in_memory)
    kms = boto3.client("kms", endpoint_url=srv.endpoint, region_name="us-east-1",
                       aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
    ddb = srv.client()

    def managed_alias():
        return [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/dynamodb"]

    assert all("TargetKeyId" not in a for a in managed_alias())
    assert kms.list_keys()["Keys"] == []
    ddb.create_table(TableName="sealed", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     SSESpecification={"Enabled": True})
    arn = ddb.describe_table(TableName="sealed")["Table"]["SSEDescription"]["KMSMasterKeyArn"]
    keys = kms.list_keys()["Keys"]
    assert [k["KeyArn"] for k in keys] == [arn]
    assert managed_alias()[0]["TargetKeyId"] == arn.rsplit("/", 1)[1]
