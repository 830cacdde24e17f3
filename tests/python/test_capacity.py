"""Capacity is real: provisioned tables throttle (with burst capacity, GSI back-pressure and
AWS's ThrottlingReasons), batches answer throttled writes as UnprocessedItems, and DynamoDB
publishes its metrics into CloudWatch's AWS/DynamoDB namespace. Time moves with the test clock."""

from __future__ import annotations

import datetime as dt
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY, unique_name, wait_table_active
from test_clock import advance, clock

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def travel(new_server):
    return new_server(args=["--test-clock"])


def client(server, service, config=NO_RETRIES):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=config)


def provisioned_table(ddb, rcu=5, wcu=5, gsi_wcu=None):
    name = unique_name("cap")
    kwargs = {}
    attrs = [{"AttributeName": "k", "AttributeType": "S"}]
    if gsi_wcu is not None:
        attrs.append({"AttributeName": "g", "AttributeType": "S"})
        kwargs["GlobalSecondaryIndexes"] = [{
            "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": gsi_wcu},
        }]
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=attrs, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}, **kwargs)
    wait_table_active(ddb, name)
    return name


def read_until_throttled(ddb, name, limit):
    """Strongly consistent reads of a missing item (1 RCU each) until one is refused."""
    consumed = 0.0
    for n in range(limit):
        try:
            r = ddb.get_item(TableName=name, Key={"k": {"S": "x"}}, ConsistentRead=True,
                             ReturnConsumedCapacity="TOTAL")
        except ClientError as e:
            return n, consumed, e
        consumed += r["ConsumedCapacity"]["CapacityUnits"]
    raise AssertionError(f"{limit} reads were never throttled")


def test_provisioned_reads_burst_throttle_and_recover(travel):
    ddb = client(travel, "dynamodb")
    name = provisioned_table(ddb, rcu=5)
    # 300 s of unused capacity (1,500 units) is the burst allowance; then the table throttles.
    # (The clock also runs in real time meanwhile: 5 units per second more.)
    began = time.monotonic()
    n, consumed, err = read_until_throttled(ddb, name, 4000)
    assert 1500 <= n <= 1501 + 5 * (time.monotonic() - began), n
    assert consumed == n
    e = err.response["Error"]
    assert e["Code"] == "ProvisionedThroughputExceededException"
    assert "The level of configured provisioned throughput for the table was exceeded" in e["Message"]
    reasons = err.response["ThrottlingReasons"]
    assert reasons == [{"reason": "TableReadProvisionedThroughputExceeded",
                        "resource": ddb.describe_table(TableName=name)["Table"]["TableArn"]}]
    # Writes have their own capacity.
    ddb.put_item(TableName=name, Item={"k": {"S": "w"}})
    # Two seconds on the clock refill ten units.
    began = time.monotonic()
    advance(travel, 2)
    n, _, _ = read_until_throttled(ddb, name, 1000)
    assert 10 <= n <= 11 + 5 * (time.monotonic() - began), n


def test_boto3_retries_a_throttle_then_surfaces_it(travel):
    ddb = client(travel, "dynamodb", Config(retries={"max_attempts": 3, "mode": "standard"}))
    name = provisioned_table(ddb, rcu=1, wcu=2000)
    for i in range(3):
        ddb.put_item(TableName=name, Item={"k": {"S": f"big{i}"}, "v": {"S": "x" * 350_000}})
    # Two strongly consistent scans of ~1 MB: 300 units of burst, then ~200 units of debt,
    # which real time repays at one unit per second: long after boto3's retries.
    for _ in range(2):
        ddb.scan(TableName=name, ConsistentRead=True)
    with pytest.raises(ClientError) as err:
        ddb.get_item(TableName=name, Key={"k": {"S": "x"}}, ConsistentRead=True)
    assert err.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    # botocore reads max_attempts as retries after the first attempt.
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 3


def test_a_gsi_without_capacity_throttles_table_writes(travel):
    ddb = client(travel, "dynamodb")
    name = provisioned_table(ddb, rcu=5, wcu=1000, gsi_wcu=1)
    # The index holds 300 s of 1 WCU. A 290 KB item costs it 290 units, a 100 KB one takes it
    # 90 units into debt, which real time repays at one unit per second.
    for i, size in enumerate([290_000, 100_000]):
        ddb.put_item(TableName=name, Item={"k": {"S": f"big{i}"}, "g": {"S": "x"}, "v": {"S": "x" * size}})
    with pytest.raises(ClientError) as refused:
        ddb.put_item(TableName=name, Item={"k": {"S": "small"}, "g": {"S": "x"}})
    e = refused.value
    reason = e.response["ThrottlingReasons"][0]
    assert reason["reason"] == "IndexWriteProvisionedThroughputExceeded"
    assert reason["resource"].endswith(f"table/{name}/index/by-g")
    assert "global secondary indexes" in e.response["Error"]["Message"]
    # A batch to the table: every write is refused, so the batch fails...
    batch = [{"PutRequest": {"Item": {"k": {"S": f"b{j}"}, "g": {"S": "x"}}}} for j in range(5)]
    with pytest.raises(ClientError) as err:
        ddb.batch_write_item(RequestItems={name: batch})
    assert err.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    # ... until the index has capacity again.
    advance(travel, 100)
    ddb.put_item(TableName=name, Item={"k": {"S": "again"}, "g": {"S": "x"}})


def test_batch_write_returns_unprocessed_items_under_throttling(travel):
    ddb = client(travel, "dynamodb")
    name = provisioned_table(ddb, wcu=1)
    # Use the burst up but leave 3 units (plus what real time adds, one per second).
    began = time.monotonic()
    for i in range(297):
        ddb.put_item(TableName=name, Item={"k": {"S": f"k{i}"}})
    batch = [{"PutRequest": {"Item": {"k": {"S": f"b{j}"}}}} for j in range(25)]
    r = ddb.batch_write_item(RequestItems={name: batch})
    left = r["UnprocessedItems"].get(name, [])
    assert 25 - 4 - (time.monotonic() - began) <= len(left) <= 22, len(left)
    assert left == batch[len(batch) - len(left):]
    written = ddb.scan(TableName=name, Select="COUNT", ConsistentRead=True)["Count"]
    assert written == 297 + len(batch) - len(left)


def test_on_demand_maximum_throttles_with_throttling_exception(travel):
    ddb = client(travel, "dynamodb")
    name = unique_name("od")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST",
                     OnDemandThroughput={"MaxReadRequestUnits": 2, "MaxWriteRequestUnits": 5})
    wait_table_active(ddb, name)
    assert ddb.describe_table(TableName=name)["Table"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 2, "MaxWriteRequestUnits": 5}
    began = time.monotonic()
    n, _, err = read_until_throttled(ddb, name, 500)
    assert 2 <= n <= 3 + 2 * (time.monotonic() - began), n
    assert err.response["Error"]["Code"] == "ThrottlingException"
    assert err.response["Error"]["Message"] == \
        "Throughput exceeds the maximum OnDemandThroughput configured on table or index"
    # Removing the maximum lifts it (the account's per-table quota remains).
    ddb.update_table(TableName=name, OnDemandThroughput={"MaxReadRequestUnits": -1})
    assert ddb.describe_table(TableName=name)["Table"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 5}
    for _ in range(20):
        ddb.get_item(TableName=name, Key={"k": {"S": "x"}}, ConsistentRead=True)


def minute_stats(cw, metric, dims, start, end, stat="Sum"):
    r = cw.get_metric_statistics(Namespace="AWS/DynamoDB", MetricName=metric, Dimensions=dims,
                                 StartTime=start, EndTime=end, Period=60, Statistics=[stat])
    return sorted(r["Datapoints"], key=lambda p: p["Timestamp"])


def test_dynamodb_publishes_its_metrics(travel):
    ddb = client(travel, "dynamodb")
    cw = client(travel, "cloudwatch")
    name = provisioned_table(ddb, rcu=1, wcu=2000)
    table = [{"Name": "TableName", "Value": name}]
    start = dt.datetime.fromtimestamp(clock(travel)["epoch_seconds"] - 120, dt.timezone.utc)
    ddb.put_item(TableName=name, Item={"k": {"S": "a"}, "v": {"S": "x" * 5000}})
    for i in range(3):
        ddb.put_item(TableName=name, Item={"k": {"S": f"big{i}"}, "v": {"S": "x" * 350_000}})
    r = ddb.query(TableName=name, KeyConditionExpression="k = :k",
                  ExpressionAttributeValues={":k": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    query_units = r["ConsumedCapacity"]["CapacityUnits"]
    # Strongly consistent ~1 MB scans (256 units) until the table refuses one: the burst of
    # 300 units pays one, the second goes ~200 units into debt, which real time repays at one
    # unit a second: the reads after it are refused however slow the machine.
    n, consumed = 0, 0.0
    while True:
        try:
            r = ddb.scan(TableName=name, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
        except ClientError:
            break
        n += 1
        consumed += r["ConsumedCapacity"]["CapacityUnits"]
    assert n == 2, n
    for _ in range(3):  # three more refused reads
        with pytest.raises(ClientError):
            ddb.get_item(TableName=name, Key={"k": {"S": "x"}}, ConsistentRead=True)
    with pytest.raises(ClientError):
        ddb.get_item(TableName="no-such-table", Key={"k": {"S": "x"}})
    advance(travel, 120)
    end = dt.datetime.fromtimestamp(clock(travel)["epoch_seconds"], dt.timezone.utc)

    reads = minute_stats(cw, "ConsumedReadCapacityUnits", table, start, end)
    assert sum(p["Sum"] for p in reads) == consumed + query_units, reads
    assert all(p["Unit"] == "Count" for p in reads)
    writes = minute_stats(cw, "ConsumedWriteCapacityUnits", table, start, end)
    assert sum(p["Sum"] for p in writes) == 5 + 3 * 342  # a 5,000-byte item, three 350 KB ones
    throttles = minute_stats(cw, "ReadThrottleEvents", table, start, end)
    assert sum(p["Sum"] for p in throttles) == 4
    by_cause = minute_stats(cw, "ReadProvisionedThroughputThrottleEvents", table, start, end)
    assert sum(p["Sum"] for p in by_cause) == 4
    throttled = minute_stats(cw, "ThrottledRequests", table + [{"Name": "Operation", "Value": "GetItem"}],
                             start, end)
    assert sum(p["Sum"] for p in throttled) == 3
    throttled = minute_stats(cw, "ThrottledRequests", table + [{"Name": "Operation", "Value": "Scan"}],
                             start, end)
    assert sum(p["Sum"] for p in throttled) == 1
    latency = minute_stats(cw, "SuccessfulRequestLatency",
                           table + [{"Name": "Operation", "Value": "Scan"}], start, end, "SampleCount")
    assert sum(p["SampleCount"] for p in latency) == n
    assert all(p["Unit"] == "Milliseconds" for p in latency)
    p99 = cw.get_metric_statistics(Namespace="AWS/DynamoDB", MetricName="SuccessfulRequestLatency",
                                   Dimensions=table + [{"Name": "Operation", "Value": "Scan"}],
                                   StartTime=start, EndTime=end, Period=600, ExtendedStatistics=["p99"])
    [point] = p99["Datapoints"]
    assert 0 < point["ExtendedStatistics"]["p99"] <= max(p["Maximum"] for p in minute_stats(
        cw, "SuccessfulRequestLatency", table + [{"Name": "Operation", "Value": "Scan"}], start, end, "Maximum"))
    returned = minute_stats(cw, "ReturnedItemCount", table + [{"Name": "Operation", "Value": "Query"}],
                            start, end)
    assert sum(p["Sum"] for p in returned) == 1
    user_errors = minute_stats(cw, "UserErrors", [], start, end)
    assert sum(p["Sum"] for p in user_errors) >= 1
    names = {(m["MetricName"], tuple(sorted(d["Name"] for d in m["Dimensions"])))
             for m in cw.list_metrics(Namespace="AWS/DynamoDB", Dimensions=[{"Name": "TableName", "Value": name}])["Metrics"]}
    assert ("SuccessfulRequestLatency", ("Operation", "TableName")) in names
    assert ("ConsumedReadCapacityUnits", ("TableName",)) in names
    # Idle minutes are published as zeros, as DynamoDB does.
    advance(travel, 180)
    later = dt.datetime.fromtimestamp(clock(travel)["epoch_seconds"], dt.timezone.utc)
    idle = minute_stats(cw, "ConsumedReadCapacityUnits", table, end, later)
    assert len(idle) >= 2 and all(p["Sum"] == 0 for p in idle), idle
    # Provisioned capacity is published every five minutes (seven have passed).
    provisioned = minute_stats(cw, "ProvisionedReadCapacityUnits", table, start, later, "Maximum")
    assert provisioned and all(p["Maximum"] == 1 for p in provisioned), provisioned


def test_decreases_are_limited_per_utc_day(travel):
    ddb = client(travel, "dynamodb")
    name = provisioned_table(ddb, rcu=100, wcu=100)
    # Start at the beginning of a UTC day, so the day does not end during the test.
    now = clock(travel)["epoch_seconds"]
    advance(travel, 86400 - now % 86400 + 60)
    for units in (90, 80, 70, 60):
        ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": units, "WriteCapacityUnits": 100})
    pt = ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert pt["NumberOfDecreasesToday"] == 4 and pt["ReadCapacityUnits"] == 60
    with pytest.raises(ClientError) as err:
        ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": 100})
    e = err.value.response["Error"]
    assert e["Code"] == "LimitExceededException"
    assert e["Message"].startswith(
        "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. "
        "After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most "
        "once every 3600 seconds. Number of decreases today: 4. Last decrease at ")
    assert e["Message"].endswith(" UTC")
    # Increases are not limited; an hour later one more decrease is allowed.
    ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 200, "WriteCapacityUnits": 100})
    advance(travel, 3600)
    ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": 100})
    assert ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 5
    # A new UTC day starts the count again.
    advance(travel, 86400)
    assert ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0


def test_ttl_streams_backfill_and_account_metrics(travel):
    ddb = client(travel, "dynamodb")
    cw = client(travel, "cloudwatch")
    streams = client(travel, "dynamodbstreams")
    name = unique_name("more")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    wait_table_active(ddb, name)
    provisioned = provisioned_table(ddb, rcu=100, wcu=50)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    start = dt.datetime.fromtimestamp(clock(travel)["epoch_seconds"] - 60, dt.timezone.utc)
    expiry = int(clock(travel)["epoch_seconds"]) + 30
    for i in range(5):
        ddb.put_item(TableName=name, Item={"k": {"S": f"k{i}"}, "g": {"S": "x"}, "exp": {"N": str(expiry)}})
    # A GSI added to a table with items is backfilled.
    ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "ALL"}}}])
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = streams.get_records(ShardIterator=it)["Records"]
    assert len(got) == 5
    advance(travel, 600)
    end = dt.datetime.fromtimestamp(clock(travel)["epoch_seconds"], dt.timezone.utc)
    table = [{"Name": "TableName", "Value": name}]
    ttl = minute_stats(cw, "TimeToLiveDeletedItemCount", table, start, end)
    assert sum(p["Sum"] for p in ttl) == 5
    label = arn.rsplit("/", 1)[1]
    stream_dims = table + [{"Name": "StreamLabel", "Value": label}, {"Name": "Operation", "Value": "GetRecords"}]
    assert sum(p["Sum"] for p in minute_stats(cw, "ReturnedRecordsCount", stream_dims, start, end)) == 5
    assert sum(p["Sum"] for p in minute_stats(cw, "ReturnedBytes", stream_dims, start, end)) > 100
    index = table + [{"Name": "GlobalSecondaryIndexName", "Value": "by-g"}]
    progress = minute_stats(cw, "OnlineIndexPercentageProgress", index, start, end, "Maximum")
    assert progress and max(p["Maximum"] for p in progress) == 100.0
    consumed = minute_stats(cw, "OnlineIndexConsumedWriteCapacity", index, start, end)
    assert sum(p["Sum"] for p in consumed) == 5
    account = minute_stats(cw, "AccountProvisionedReadCapacityUtilization", [], start, end, "Maximum")
    assert account and account[-1]["Maximum"] >= 100 * 100 / 80000 and account[-1]["Unit"] == "Percent"
    assert minute_stats(cw, "AccountMaxTableLevelReads", [], start, end, "Maximum")[-1]["Maximum"] == 40000
    assert provisioned


def test_transactions_and_partiql_batches_are_throttled_as_aws_does(travel):
    ddb = client(travel, "dynamodb")
    name = provisioned_table(ddb, rcu=1, wcu=1)
    other = provisioned_table(ddb, rcu=100, wcu=100)
    # 300 units of burst, then a 350 KB item takes the write bucket deep into debt.
    ddb.put_item(TableName=name, Item={"k": {"S": "big"}, "v": {"S": "x" * 350_000}})
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": other, "Item": {"k": {"S": "a"}}}},
            {"Put": {"TableName": name, "Item": {"k": {"S": "b"}}}},
        ])
    e = err.value.response
    assert e["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in e["CancellationReasons"]] == ["None", "ProvisionedThroughputExceeded"]
    assert e["CancellationReasons"][1]["Message"].startswith(
        "The level of configured provisioned throughput for the table was exceeded")
    # Nothing of the cancelled transaction was written.
    assert "Item" not in ddb.get_item(TableName=other, Key={"k": {"S": "a"}}, ConsistentRead=True)
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f'INSERT INTO "{other}" VALUE {{\'k\': \'p1\'}}'},
        {"Statement": f'INSERT INTO "{name}" VALUE {{\'k\': \'p2\'}}'},
    ])["Responses"]
    assert "Error" not in r[0]
    assert r[1]["Error"]["Code"] == "ProvisionedThroughputExceeded"
    with pytest.raises(ClientError) as err:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f'INSERT INTO "{name}" VALUE {{\'k\': \'t1\'}}'}])
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
