"""CloudWatch with boto3 in each protocol the model lists: rpcv2Cbor (what current botocore
picks), awsJson 1.0 and awsQuery (what Terraform's AWS provider speaks), the latter two by
loading botocore's own model with only that protocol left in ``metadata.protocols``.

Alarms, tags, dashboards and metric data; alarms are stored and described but not evaluated
yet (they stay INSUFFICIENT_DATA unless SetAlarmState moves them)."""

from __future__ import annotations

import copy
import datetime
import gzip
import json
import tempfile
import time
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY, unique_name

PROTOCOLS = {"cbor": "smithy-rpc-v2-cbor", "json": "json", "query": "query"}
ACCOUNT_RE = r"\d{12}"

SEED_DASHBOARD = {
    "widgets": [
        {
            "type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
            "properties": {
                "metrics": [
                    ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", "myapp-dev-users"],
                    [".", "ConsumedWriteCapacityUnits", ".", "."],
                ],
                "period": 300, "stat": "Sum", "region": "us-east-1", "title": "Capacity",
            },
        }
    ]
}

_MODEL_DIRS: dict[str, str] = {}


def _model_dir(protocol: str) -> str:
    """A botocore data directory holding CloudWatch's model restricted to one protocol."""
    if protocol not in _MODEL_DIRS:
        loader = botocore.session.get_session().get_component("data_loader")
        model = copy.deepcopy(loader.load_service_model("cloudwatch", "service-2"))
        model["metadata"]["protocol"] = protocol
        model["metadata"]["protocols"] = [protocol]
        version = model["metadata"]["apiVersion"]
        root = Path(tempfile.mkdtemp(prefix=f"cw-{protocol}-"))
        target = root / "cloudwatch" / version
        target.mkdir(parents=True)
        (target / "service-2.json").write_text(json.dumps(model))
        _MODEL_DIRS[protocol] = str(root)
    return _MODEL_DIRS[protocol]


def cloudwatch_client(endpoint: str, protocol: str):
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, _model_dir(protocol))
    client = boto3.Session(botocore_session=session).client(
        "cloudwatch", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    assert client.meta.service_model.protocol == protocol
    return client


@pytest.fixture(scope="module", params=sorted(PROTOCOLS))
def cw(request, endpoint):
    return cloudwatch_client(endpoint, PROTOCOLS[request.param])


@pytest.fixture(scope="module")
def cw_default(endpoint):
    client = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    assert client.meta.service_model.protocol == "smithy-rpc-v2-cbor"
    return client


def put_seed_alarm(cw, name, **extra):
    params = dict(
        AlarmName=name, ComparisonOperator="GreaterThanThreshold", EvaluationPeriods=2,
        MetricName="ReadThrottleEvents", Namespace="AWS/DynamoDB", Period=300, Statistic="Sum",
        Threshold=80.0, AlarmDescription="Read throttle events on users",
        Dimensions=[{"Name": "TableName", "Value": "myapp-dev-users"}],
        Tags=[{"Key": "Environment", "Value": "dev"}], ActionsEnabled=True,
        AlarmActions=["arn:aws:sns:us-east-1:123456789012:alerts"], TreatMissingData="notBreaching",
        DatapointsToAlarm=2, Unit="Count",
    )
    params.update(extra)
    cw.put_metric_alarm(**params)


def test_default_client_speaks_cbor(cw_default):
    name = unique_name("cw-default")
    put_seed_alarm(cw_default, name)
    alarms = cw_default.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == [name]
    cw_default.delete_alarms(AlarmNames=[name])


def test_alarm_create_read_update_delete(cw):
    name = unique_name("cw-alarm")
    # Terraform's existence check before creating.
    assert cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])["MetricAlarms"] == []
    put_seed_alarm(cw, name)
    alarms = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    assert len(alarms) == 1
    a = alarms[0]
    assert a["AlarmArn"].startswith(f"arn:aws:cloudwatch:{REGION}:") and a["AlarmArn"].endswith(f":alarm:{name}")
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert a["StateReason"] == "Unchecked: Initial alarm creation"
    assert isinstance(a["StateUpdatedTimestamp"], datetime.datetime)
    assert isinstance(a["AlarmConfigurationUpdatedTimestamp"], datetime.datetime)
    assert a["Threshold"] == 80.0 and a["Period"] == 300 and a["EvaluationPeriods"] == 2
    assert a["Dimensions"] == [{"Name": "TableName", "Value": "myapp-dev-users"}]
    assert a["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alerts"]
    assert a["OKActions"] == [] and a["InsufficientDataActions"] == []
    assert a["TreatMissingData"] == "notBreaching" and a["DatapointsToAlarm"] == 2 and a["Unit"] == "Count"
    assert a["ActionsEnabled"] is True
    tags = cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]
    assert tags == [{"Key": "Environment", "Value": "dev"}]

    put_seed_alarm(cw, name, Threshold=95.5)
    updated = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert updated["Threshold"] == 95.5 and updated["StateValue"] == "INSUFFICIENT_DATA"

    cw.delete_alarms(AlarmNames=[name])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    cw.delete_alarms(AlarmNames=[name])  # a missing alarm is not an error


def test_filters_pages_state_and_actions(cw):
    prefix = unique_name("cw-page")
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        put_seed_alarm(cw, n)
    seen, token = [], None
    while True:
        kwargs = {"AlarmNamePrefix": prefix, "MaxRecords": 2}
        if token:
            kwargs["NextToken"] = token
        page = cw.describe_alarms(**kwargs)
        seen += [a["AlarmName"] for a in page["MetricAlarms"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    cw.set_alarm_state(AlarmName=names[0], StateValue="ALARM", StateReason="testing")
    in_alarm = cw.describe_alarms(AlarmNamePrefix=prefix, StateValue="ALARM")["MetricAlarms"]
    assert [a["AlarmName"] for a in in_alarm] == [names[0]]
    assert in_alarm[0]["StateReason"] == "testing"
    cw.disable_alarm_actions(AlarmNames=[names[1]])
    assert cw.describe_alarms(AlarmNames=[names[1]])["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.enable_alarm_actions(AlarmNames=[names[1]])
    assert cw.describe_alarms(AlarmNames=[names[1]])["MetricAlarms"][0]["ActionsEnabled"] is True
    found = cw.describe_alarms_for_metric(
        MetricName="ReadThrottleEvents", Namespace="AWS/DynamoDB",
        Dimensions=[{"Name": "TableName", "Value": "myapp-dev-users"}])["MetricAlarms"]
    assert set(names) <= {a["AlarmName"] for a in found}
    cw.delete_alarms(AlarmNames=names)


def test_errors(cw):
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName=unique_name("missing"), StateValue="OK", StateReason="x")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(cw.exceptions.ResourceNotFound):
        cw.set_alarm_state(AlarmName=unique_name("missing"), StateValue="OK", StateReason="x")
    with pytest.raises(ClientError) as e:
        cw.get_dashboard(DashboardName=unique_name("missing"))
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "X", "Value": 1, "Values": [1.0]}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        cw.list_tags_for_resource(ResourceARN=f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{unique_name('nope')}")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_tags(cw):
    name = unique_name("cw-tags")
    put_seed_alarm(cw, name, Tags=[])
    arn = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "3"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["b"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "a", "Value": "3"}]
    cw.delete_alarms(AlarmNames=[name])


def test_dashboards(cw):
    name = unique_name("cw-dash")
    body = json.dumps(SEED_DASHBOARD)
    out = cw.put_dashboard(DashboardName=name, DashboardBody=body)
    assert out.get("DashboardValidationMessages", []) == []
    got = cw.get_dashboard(DashboardName=name)
    assert got["DashboardBody"] == body and got["DashboardName"] == name
    assert got["DashboardArn"].startswith("arn:aws:cloudwatch::") and got["DashboardArn"].endswith(f":dashboard/{name}")
    entries = cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    assert [e["DashboardName"] for e in entries] == [name]
    assert entries[0]["Size"] == len(body) and isinstance(entries[0]["LastModified"], datetime.datetime)
    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName=name, DashboardBody='{"widgets": [{}]}')
    assert e.value.response["Error"]["Code"] == "InvalidParameterInput"
    cw.delete_dashboards(DashboardNames=[name])
    assert cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"] == []


def test_metric_data_and_statistics(cw):
    ns = unique_name("App")
    # On a 5-minute boundary, so that GetMetricData's 300 s period puts every point in one bucket
    # whatever minute the test runs in.
    wall = datetime.datetime.now(datetime.timezone.utc)
    now = wall.replace(minute=wall.minute - wall.minute % 5, second=0, microsecond=0) - datetime.timedelta(minutes=5)
    dims = [{"Name": "Op", "Value": "Get"}]
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now + datetime.timedelta(seconds=10), "Value": 10.0, "Unit": "Milliseconds"},
        {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now + datetime.timedelta(seconds=20), "Value": 30.0, "Unit": "Milliseconds"},
        {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now + datetime.timedelta(seconds=70),
         "StatisticValues": {"SampleCount": 2, "Sum": 8, "Minimum": 3, "Maximum": 5}, "Unit": "Milliseconds"},
    ])
    stats = cw.get_metric_statistics(Namespace=ns, MetricName="Latency", Dimensions=dims,
                                     StartTime=now, EndTime=now + datetime.timedelta(minutes=5), Period=60,
                                     Statistics=["Sum", "Average", "SampleCount", "Minimum", "Maximum"])
    points = sorted(stats["Datapoints"], key=lambda p: p["Timestamp"])
    assert stats["Label"] == "Latency"
    assert [(p["Sum"], p["Average"], p["SampleCount"], p["Minimum"], p["Maximum"]) for p in points] == [
        (40.0, 20.0, 2.0, 10.0, 30.0), (8.0, 4.0, 2.0, 3.0, 5.0)]
    assert points[0]["Timestamp"] == now and points[0]["Unit"] == "Milliseconds"
    data = cw.get_metric_data(
        MetricDataQueries=[{"Id": "m1", "MetricStat": {
            "Metric": {"Namespace": ns, "MetricName": "Latency", "Dimensions": dims}, "Period": 300, "Stat": "Maximum"}}],
        StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=5))
    result = data["MetricDataResults"][0]
    assert result["Id"] == "m1" and result["StatusCode"] == "Complete" and result["Values"] == [30.0]
    metrics = cw.list_metrics(Namespace=ns)["Metrics"]
    assert metrics == [{"Namespace": ns, "MetricName": "Latency", "Dimensions": dims}]


def test_percentiles(cw):
    """ExtendedStatistics (p50, p99) from raw values, within CloudWatch's approximation; none
    from statistic sets."""
    ns = unique_name("App")
    wall = datetime.datetime.now(datetime.timezone.utc)
    now = wall.replace(second=0, microsecond=0) - datetime.timedelta(minutes=3)
    values = [float(v) for v in range(1, 101)]
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Latency", "Timestamp": now + datetime.timedelta(seconds=5), "Values": values,
         "Counts": [1.0] * len(values), "Unit": "Milliseconds"},
        {"MetricName": "Latency", "Timestamp": now + datetime.timedelta(seconds=65),
         "StatisticValues": {"SampleCount": 2, "Sum": 8, "Minimum": 3, "Maximum": 5}, "Unit": "Milliseconds"},
    ])
    stats = cw.get_metric_statistics(Namespace=ns, MetricName="Latency", StartTime=now,
                                     EndTime=now + datetime.timedelta(minutes=2), Period=60,
                                     ExtendedStatistics=["p50", "p99"])
    points = sorted(stats["Datapoints"], key=lambda p: p["Timestamp"])
    first = points[0]["ExtendedStatistics"]
    assert abs(first["p50"] - 50) <= 1 and abs(first["p99"] - 99) <= 1.5, first
    assert points[1].get("ExtendedStatistics", {}) == {}
    data = cw.get_metric_data(
        MetricDataQueries=[{"Id": "p", "MetricStat": {
            "Metric": {"Namespace": ns, "MetricName": "Latency"}, "Period": 60, "Stat": "p90"}}],
        StartTime=now, EndTime=now + datetime.timedelta(minutes=1))
    assert abs(data["MetricDataResults"][0]["Values"][0] - 90) <= 1.5
    with pytest.raises(ClientError) as err:
        cw.get_metric_statistics(Namespace=ns, MetricName="Latency", StartTime=now,
                                 EndTime=now + datetime.timedelta(minutes=2), Period=60,
                                 Statistics=["Sum"], ExtendedStatistics=["p99"])
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"


def test_metric_math(cw):
    """GetMetricData expressions: arithmetic, SUM(METRICS()), PERIOD, FILL, IF."""
    ns = unique_name("App")
    wall = datetime.datetime.now(datetime.timezone.utc)
    now = wall.replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    data = []
    for minute, (hits, misses) in enumerate([(10, 0), (20, 5), (None, 10)]):
        at = now + datetime.timedelta(minutes=minute, seconds=5)
        if hits is not None:
            data.append({"MetricName": "Hits", "Timestamp": at, "Value": hits})
        data.append({"MetricName": "Misses", "Timestamp": at, "Value": misses})
    cw.put_metric_data(Namespace=ns, MetricData=data)

    def stat(id_, name):
        return {"Id": id_, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": "Sum"}}

    r = cw.get_metric_data(
        MetricDataQueries=[
            stat("h", "Hits"), stat("m", "Misses"),
            {"Id": "total", "Expression": "SUM(METRICS())", "Label": "Total"},
            {"Id": "ratio", "Expression": "h / (h + m) * 100"},
            {"Id": "filled", "Expression": "FILL(h, 0)"},
            {"Id": "per_second", "Expression": "m / PERIOD(m)"},
            {"Id": "busy", "Expression": "IF(total > 15, 1, 0)"},
        ],
        StartTime=now, EndTime=now + datetime.timedelta(minutes=3), ScanBy="TimestampAscending")
    got = {x["Id"]: x for x in r["MetricDataResults"]}
    assert set(got) == {"total", "ratio", "filled", "per_second", "busy"}
    assert got["total"]["Label"] == "Total" and got["total"]["Values"] == [10.0, 25.0, 10.0]
    assert got["ratio"]["Values"] == [100.0, 80.0]
    assert got["filled"]["Values"] == [10.0, 20.0, 0.0]
    assert [round(v, 4) for v in got["per_second"]["Values"]] == [0.0, 0.0833, 0.1667]
    assert got["busy"]["Values"] == [0.0, 1.0, 0.0]
    with pytest.raises(ClientError) as err:
        cw.get_metric_data(MetricDataQueries=[stat("h", "Hits"), {"Id": "bad", "Expression": "h + nope"}],
                           StartTime=now, EndTime=now + datetime.timedelta(minutes=3))
    assert "nope" in err.value.response["Error"]["Message"]


def test_datapoints_roll_up_as_they_age(new_server):
    """One-minute data for 15 days, then 5-minute datapoints (63 days), then hourly ones
    (455 days): sums stay, resolution drops (test clock)."""
    from test_clock import advance, clock

    srv = new_server(args=["--test-clock"])
    cw = boto3.client("cloudwatch", endpoint_url=srv.endpoint, region_name=REGION,
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    ns = unique_name("Aging")
    now = clock(srv)["epoch_seconds"]
    start = datetime.datetime.fromtimestamp(now - now % 3600 - 3600, datetime.timezone.utc)
    data = [{"MetricName": "Hits", "Timestamp": start + datetime.timedelta(minutes=m), "Value": 1.0}
            for m in range(60)]
    cw.put_metric_data(Namespace=ns, MetricData=data)
    end = start + datetime.timedelta(hours=1)

    def points(period):
        r = cw.get_metric_statistics(Namespace=ns, MetricName="Hits", StartTime=start, EndTime=end,
                                     Period=period, Statistics=["Sum", "SampleCount"])
        return sorted(r["Datapoints"], key=lambda p: p["Timestamp"])

    assert len(points(60)) == 60
    advance(srv, 16 * 86400)
    five = points(60)
    assert len(five) == 12 and all(p["Sum"] == 5 for p in five), five
    assert sum(p["Sum"] for p in points(3600)) == 60
    advance(srv, 50 * 86400)
    hourly = points(60)
    assert len(hourly) == 1 and hourly[0]["Sum"] == 60 and hourly[0]["SampleCount"] == 60
    advance(srv, 400 * 86400)
    assert points(3600) == []
