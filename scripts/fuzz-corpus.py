"""Writes the property tests' seed corpus (issue 19): what real clients and this project's own
tests send, for the property tests to replay and to mutate (`crates/item/tests/corpus`,
`crates/protocol/tests/corpus`). Request bodies are serialized by botocore itself, as boto3
sends them; expressions and PartiQL statements are the ones the boto3 suite uses.

    .venv/bin/python scripts/fuzz-corpus.py
"""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import botocore.session
from botocore.serialize import create_serializer

ROOT = Path(__file__).resolve().parent.parent
ITEM = ROOT / "crates/item/tests/corpus"
PROTOCOL = ROOT / "crates/protocol/tests/corpus"
TESTS = ROOT / "tests/python"

ALL_TYPES = {
    "pk": {"S": "a"}, "n": {"N": "-1.50e3"}, "b": {"B": b"\x00\x01\xff"}, "t": {"BOOL": True},
    "z": {"NULL": True}, "m": {"M": {"x": {"L": [{"S": "é€"}, {"N": "0"}, {"M": {}}]}}},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"x", b"y"]},
}

DYNAMODB = [
    ("PutItem", {"TableName": "tbl", "Item": ALL_TYPES, "ConditionExpression": "attribute_not_exists(pk)",
                 "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "INDEXES"}),
    ("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "a"}}, "ProjectionExpression": "#a.b[1], c",
                 "ExpressionAttributeNames": {"#a": "a"}, "ConsistentRead": True}),
    ("UpdateItem", {"TableName": "tbl", "Key": {"pk": {"S": "a"}},
                    "UpdateExpression": "SET a = if_not_exists(a, :z) + :one, l = list_append(l, :l) "
                                        "REMOVE r[2] ADD s :s DELETE d :d",
                    "ConditionExpression": "size(l) < :ten AND begins_with(#n, :p)",
                    "ExpressionAttributeNames": {"#n": "name"},
                    "ExpressionAttributeValues": {":z": {"N": "0"}, ":one": {"N": "1"}, ":ten": {"N": "10"},
                                                  ":l": {"L": [{"S": "x"}]}, ":s": {"SS": ["q"]},
                                                  ":d": {"NS": ["1"]}, ":p": {"S": "ab"}},
                    "ReturnValues": "UPDATED_NEW"}),
    ("DeleteItem", {"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                    "Expected": {"v": {"ComparisonOperator": "BETWEEN",
                                       "AttributeValueList": [{"N": "1"}, {"N": "9"}]}}}),
    ("Query", {"TableName": "tbl", "IndexName": "g", "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
               "FilterExpression": "contains(tags, :t) OR NOT attribute_exists(x)",
               "ExpressionAttributeValues": {":p": {"S": "a"}, ":a": {"N": "1"}, ":b": {"N": "2"}, ":t": {"S": "x"}},
               "ScanIndexForward": False, "Limit": 10,
               "ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
    ("Scan", {"TableName": "tbl", "Segment": 1, "TotalSegments": 4, "Select": "COUNT",
              "ScanFilter": {"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "x"}, {"S": "y"}]}}}),
    ("BatchWriteItem", {"RequestItems": {"tbl": [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(3)]
                                         + [{"DeleteRequest": {"Key": {"pk": {"S": "z"}}}}]}}),
    ("BatchGetItem", {"RequestItems": {"tbl": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}],
                                             "ProjectionExpression": "pk, v"}}}),
    ("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "a"}}}},
        {"Update": {"TableName": "tbl", "Key": {"pk": {"S": "b"}}, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "tbl", "Key": {"pk": {"S": "c"}}, "ConditionExpression": "v > :z",
                            "ExpressionAttributeValues": {":z": {"N": "0"}}}},
        {"Delete": {"TableName": "tbl", "Key": {"pk": {"S": "d"}}}}], "ClientRequestToken": "tok"}),
    ("CreateTable", {"TableName": "tbl", "BillingMode": "PROVISIONED",
                     "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                     "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "N"},
                                              {"AttributeName": "g", "AttributeType": "B"}],
                     "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                     "GlobalSecondaryIndexes": [{"IndexName": "gi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]},
                                                 "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}],
                     "LocalSecondaryIndexes": [{"IndexName": "li", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                                 {"AttributeName": "g", "KeyType": "RANGE"}],
                                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                     "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
                     "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/k"},
                     "Tags": [{"Key": "env", "Value": "dev"}]}),
    ("ExecuteStatement", {"Statement": "SELECT * FROM \"tbl\" WHERE pk = ? AND sk > 1",
                          "Parameters": [{"S": "a"}], "Limit": 5}),
]

CLOUDWATCH = [
    ("PutMetricData", {"Namespace": "App", "MetricData": [
        {"MetricName": "Latency", "Dimensions": [{"Name": "Op", "Value": "Get"}], "Value": 1.5, "Unit": "Milliseconds",
         "StorageResolution": 60},
        {"MetricName": "Sizes", "Values": [1.0, 2.0, 3.0], "Counts": [1.0, 1.0, 2.0],
         "StatisticValues": None} ]}),
    ("PutMetricAlarm", {"AlarmName": "a", "MetricName": "ConsumedReadCapacityUnits", "Namespace": "AWS/DynamoDB",
                        "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
                        "Threshold": 80.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                        "TreatMissingData": "breaching", "Dimensions": [{"Name": "TableName", "Value": "tbl"}],
                        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:x"], "Tags": [{"Key": "k", "Value": "v"}]}),
    ("GetMetricData", {"MetricDataQueries": [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/DynamoDB", "MetricName": "ThrottledRequests",
                                               "Dimensions": [{"Name": "TableName", "Value": "tbl"}]},
                                    "Period": 60, "Stat": "p99"}, "ReturnData": False},
        {"Id": "e1", "Expression": "IF(m1 > 10, m1, 0) / PERIOD(m1)"}],
        "StartTime": "2026-01-01T00:00:00Z", "EndTime": "2026-01-01T01:00:00Z", "MaxDatapoints": 100}),
    ("DescribeAlarms", {"AlarmNamePrefix": "a", "StateValue": "ALARM", "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
                        "MaxRecords": 10, "NextToken": "abc"}),
]

IAM = [
    ("CreateRole", {"RoleName": "r", "Path": "/svc/", "AssumeRolePolicyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}), "Tags": [{"Key": "a", "Value": "b"}]}),
    ("PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem"],
                                                 "Resource": "arn:aws:dynamodb:*:*:table/tbl",
                                                 "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"]}}}]})}),
    ("AttachRolePolicy", {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"}),
]


def serialize(service: str, protocol: str, operation: str, params: dict) -> bytes:
    model = botocore.session.get_session().get_service_model(service)
    op = model.operation_model(operation)
    # The models' own parameter checks are the client's business; this wants the bytes.
    params = {k: v for k, v in params.items() if v is not None}
    for data in params.get("MetricData", []):
        for k in [k for k, v in data.items() if v is None]:
            del data[k]
    body = create_serializer(protocol, include_validation=False).serialize_to_request(params, op)["body"]
    if isinstance(body, dict):  # awsQuery: the form botocore's HTTP layer encodes
        return urllib.parse.urlencode(body).encode()
    return body if isinstance(body, bytes) else body.encode()


def write(directory: Path, name: str, data: bytes):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def main():
    for op, params in DYNAMODB:
        write(PROTOCOL / "json", f"dynamodb-{op}.json", serialize("dynamodb", "json", op, params))
    for op, params in CLOUDWATCH:
        write(PROTOCOL / "cbor", f"cloudwatch-{op}.cbor", serialize("cloudwatch", "smithy-rpc-v2-cbor", op, params))
        write(PROTOCOL / "query", f"cloudwatch-{op}.txt", serialize("cloudwatch", "query", op, params))
    for op, params in IAM:
        write(PROTOCOL / "query", f"iam-{op}.txt", serialize("iam", "query", op, params))
    write(PROTOCOL / "query", "sts-GetCallerIdentity.txt", b"Action=GetCallerIdentity&Version=2011-06-15")

    # Items in their wire form, one per line, for the item codecs.
    deep = {"S": "bottom"}
    for n in range(31):
        deep = {"M": {"a": deep}} if n % 2 else {"L": [deep]}
    items = [ALL_TYPES, {"pk": {"S": ""}, "deep": deep},
             {"pk": {"N": "9.9999999999999999999999999999999999999E+125"}, "n": {"N": "-1E-130"},
              "e": {"S": "\u0000\ud7ff\ue000 \"quoted\" \\"}},
             {"pk": {"B": b""}, "l": {"L": []}, "m": {"M": {}}, "x": {"BOOL": False}}]
    wire = [json.dumps(json.loads(serialize("dynamodb", "json", "PutItem", {"TableName": "tbl", "Item": i}))["Item"])
            for i in items]
    write(ITEM, "items.jsonl", ("\n".join(wire) + "\n").encode())

    sources = "\n".join(p.read_text() for p in sorted(TESTS.glob("test_*.py")))
    expressions = sorted(set(re.findall(
        r'(?:Condition|Update|Projection|Filter|KeyCondition)Expression="([^"\n]{3,300})"', sources)))
    expressions += [e for _, p in DYNAMODB for k, e in p.items() if k.endswith("Expression")]
    write(ITEM, "expressions.txt", ("\n".join(sorted(set(expressions))) + "\n").encode())
    statements = set()
    for raw in re.findall(r'f?"((?:SELECT|INSERT INTO|UPDATE|DELETE FROM|EXISTS)(?:[^"\\\n]|\\.)*)"', sources):
        s = raw.replace('\\"', '"').replace("{{", "{").replace("}}", "}")
        s = re.sub(r"\{(hash_t|range_t|table|t|name|hash_table|range_table)\}", "tbl", s)
        if "{" in s and re.search(r"\{[a-z_]+\}", s):
            continue
        statements.add(s)
    write(ITEM, "statements.txt", ("\n".join(sorted(statements)) + "\n").encode())


if __name__ == "__main__":
    main()
