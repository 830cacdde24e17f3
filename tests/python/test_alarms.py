"""Alarms evaluate: the seed's module applied for prod, its analytics table throttled through
two 300-second periods on the test clock, and its CloudWatch alarms move to ALARM and back to
OK with AWS's StateReason, history and the --alarm-command notification."""

from __future__ import annotations

import json
import os
import shutil
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY, unique_name
from test_clock import advance, to_hour
from test_terraform import BACKEND_OVERRIDE, NO_TERRAFORM, SKIP_REASON, init, REPO, run

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(server, service):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=NO_RETRIES)


@pytest.fixture
def notified(tmp_path):
    return tmp_path / "notifications.jsonl"


@pytest.fixture
def travel(new_server, notified):
    return new_server(args=["--test-clock", "--alarm-command", f"cat >> {notified}; echo >> {notified}"])


def states(cw, names):
    alarms = cw.describe_alarms(AlarmNames=names)["MetricAlarms"]
    return {a["AlarmName"]: a for a in alarms}


def test_a_custom_metric_alarm_goes_through_its_states(travel, notified):
    """M of N, TreatMissingData, every comparison, on a custom metric."""
    cw = client(travel, "cloudwatch")
    name = unique_name("cpu")
    cw.put_metric_alarm(AlarmName=name, Namespace="App", MetricName="Load", Statistic="Maximum",
                        Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=10,
                        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
                        AlarmActions=["arn:aws:sns:us-east-1:123456789012:ops"])
    # No data at all, missing treated as not breaching: OK.
    advance(travel, 120)
    a = states(cw, [name])[name]
    assert a["StateValue"] == "OK"
    assert a["StateReason"] == ("Threshold Crossed: no datapoints were received for 3 periods and "
                                "3 missing datapoints were treated as [NonBreaching] "
                                "(minimum 2 datapoints for ALARM -> OK transition).")
    # Two breaching minutes of three: ALARM.
    for value in (12, 15):
        cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "Load", "Value": value}])
        advance(travel, 60)
    advance(travel, 60)
    a = states(cw, [name])[name]
    assert a["StateValue"] == "ALARM", a["StateReason"]
    assert a["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints [15.0 (")
    assert a["StateReason"].endswith(
        "were greater than or equal to the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition).")
    data = json.loads(a["StateReasonData"])
    assert data["version"] == "1.0" and data["statistic"] == "Maximum" and data["period"] == 60
    assert sorted(data["recentDatapoints"]) == [12.0, 15.0]
    # The SNS action is recorded as failed (not served here); the command got the notification.
    actions = cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")["AlarmHistoryItems"]
    assert actions and actions[0]["HistorySummary"].startswith(
        "Failed to execute action arn:aws:sns:us-east-1:123456789012:ops")
    sent = [json.loads(line) for line in notified.read_text().splitlines() if line.strip()]
    mine = [n for n in sent if n["AlarmName"] == name]
    assert [n["NewStateValue"] for n in mine] == ["OK", "ALARM"]
    assert mine[-1]["OldStateValue"] == "OK" and mine[-1]["Trigger"]["Statistic"] == "MAXIMUM"
    assert mine[-1]["NewStateReason"] == a["StateReason"]


def throttle_reads(ddb, table):
    """Strongly consistent ~1 MB scans until the table refuses one (a throttle event), then
    three more reads (refused unless real time has repaid the debt meanwhile)."""
    consumed = 0.0
    while True:
        try:
            r = ddb.scan(TableName=table, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            break
        consumed += r["ConsumedCapacity"]["CapacityUnits"]
    for _ in range(3):
        try:
            ddb.get_item(TableName=table, Key={"event_date": {"S": "d"}, "event_timestamp": {"S": "0"}},
                         ConsistentRead=True)
        except ClientError:
            pass
    return consumed


@pytest.mark.skipif(NO_TERRAFORM, reason=SKIP_REASON)
def test_the_seed_prod_alarms_fire_and_recover(travel, notified, tmp_path):
    to_hour(travel, 12)
    work = tmp_path / "tf"
    shutil.copytree(REPO / "terraform", work)
    (work / "backend_override.tf").write_text(BACKEND_OVERRIDE)
    (work / ".terraformrc").write_text("")
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(work / ".terraformrc"), TF_IN_AUTOMATION="1",
               AWS_ENDPOINT_URL=travel.endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_REGION="us-east-1")
    init(work, env)
    run(work, env, "apply", "-auto-approve", "-input=false", "-var-file=environments/prod.tfvars")

    ddb, cw = client(travel, "dynamodb"), client(travel, "cloudwatch")
    table = "myapp-prod-analytics"
    throttle_alarm = f"{table}-read-throttled-requests"
    capacity_alarm = f"{table}-high-read-capacity"
    assert states(cw, [throttle_alarm])[throttle_alarm]["MetricName"] == "ReadThrottleEvents"
    for i in range(3):
        ddb.put_item(TableName=table, Item={"event_date": {"S": "d"}, "event_timestamp": {"S": f"{i + 1}"},
                                            "user_id": {"S": "u"}, "blob": {"S": "x" * 350_000}})
    # Sustained load through two 300-second periods: throttled reads and consumption far above
    # 80 % of the provisioned 5 units a second in each.
    began = time.monotonic()
    assert throttle_reads(ddb, table) > 1200
    advance(travel, 300)
    assert throttle_reads(ddb, table) > 1200
    advance(travel, 360)
    alarms = states(cw, [throttle_alarm, capacity_alarm])
    a = alarms[throttle_alarm]
    assert a["StateValue"] == "ALARM", (a["StateReason"], time.monotonic() - began)
    assert a["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints [")
    assert a["StateReason"].endswith(
        "were greater than the threshold (0.0) (minimum 2 datapoints for OK -> ALARM transition).")
    assert alarms[capacity_alarm]["StateValue"] == "ALARM", alarms[capacity_alarm]["StateReason"]
    # The load stops: ten quiet minutes later both are OK again.
    advance(travel, 600)
    alarms = states(cw, [throttle_alarm, capacity_alarm])
    for name in (throttle_alarm, capacity_alarm):
        assert alarms[name]["StateValue"] == "OK", alarms[name]["StateReason"]
    assert "not greater than the threshold (0.0)" in alarms[throttle_alarm]["StateReason"]
    history = cw.describe_alarm_history(AlarmName=throttle_alarm, HistoryItemType="StateUpdate",
                                        ScanBy="TimestampAscending")["AlarmHistoryItems"]
    summaries = [h["HistorySummary"] for h in history]
    assert summaries[-2:] == ["Alarm updated from OK to ALARM", "Alarm updated from ALARM to OK"], summaries
    data = json.loads(history[-1]["HistoryData"])
    assert data["oldState"]["stateValue"] == "ALARM" and data["newState"]["stateValue"] == "OK"
    created = cw.describe_alarm_history(AlarmName=throttle_alarm, HistoryItemType="ConfigurationUpdate")
    assert created["AlarmHistoryItems"][0]["HistorySummary"] == f'Alarm "{throttle_alarm}" created'
    sent = [json.loads(line) for line in notified.read_text().splitlines() if line.strip()]
    fired = [n for n in sent if n["AlarmName"] == throttle_alarm and n["NewStateValue"] == "ALARM"]
    assert fired and fired[0]["Trigger"]["MetricName"] == "ReadThrottleEvents"
    assert fired[0]["Trigger"]["Dimensions"] == [{"value": table, "name": "TableName"}]
    run(work, env, "destroy", "-auto-approve", "-input=false", "-var-file=environments/prod.tfvars")


def test_a_metric_math_alarm_evaluates_its_expression(travel):
    cw = client(travel, "cloudwatch")
    ns, name = unique_name("Shop"), unique_name("error-rate")
    cw.put_metric_alarm(
        AlarmName=name, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {"Id": "e", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": ns, "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"}},
            {"Id": "r", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": ns, "MetricName": "Requests"}, "Period": 60, "Stat": "Sum"}},
            {"Id": "rate", "Expression": "100 * e / r", "Label": "Error rate", "ReturnData": True},
        ])
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": 3},
                                                {"MetricName": "Requests", "Value": 20}])
    advance(travel, 120)
    a = states(cw, [name])[name]
    assert a["StateValue"] == "ALARM", a["StateReason"]
    assert "[15.0 (" in a["StateReason"] and "greater than the threshold (10.0)" in a["StateReason"]
    assert "statistic" not in json.loads(a["StateReasonData"])
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": 1},
                                                {"MetricName": "Requests", "Value": 50}])
    advance(travel, 120)
    assert states(cw, [name])[name]["StateValue"] == "OK"


def test_a_composite_alarm_follows_its_rule(travel, notified):
    cw = client(travel, "cloudwatch")
    ns = unique_name("Svc")
    cpu, errors, both = unique_name("cpu"), unique_name("errors"), unique_name("both")
    for name, metric in ((cpu, "Cpu"), (errors, "Errors")):
        cw.put_metric_alarm(AlarmName=name, Namespace=ns, MetricName=metric, Statistic="Maximum", Period=60,
                            EvaluationPeriods=1, Threshold=50, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="notBreaching")
    cw.put_composite_alarm(AlarmName=both, AlarmRule=f'ALARM("{cpu}") AND ALARM({errors})',
                           AlarmActions=["arn:aws:sns:us-east-1:123456789012:pager"])
    got = cw.describe_alarms(AlarmNames=[both], AlarmTypes=["CompositeAlarm"])
    assert got["CompositeAlarms"][0]["AlarmRule"] == f'ALARM("{cpu}") AND ALARM({errors})'
    assert cw.describe_alarms(AlarmNames=[both])["MetricAlarms"] == []
    # One child in ALARM: the rule does not hold.
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Cpu", "Value": 90}])
    advance(travel, 120)
    assert states(cw, [cpu])[cpu]["StateValue"] == "ALARM"
    composite = cw.describe_alarms(AlarmNames=[both], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert composite["StateValue"] == "OK"
    # Both: ALARM, naming the child that changed last.
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Cpu", "Value": 90},
                                                {"MetricName": "Errors", "Value": 70}])
    advance(travel, 120)
    composite = cw.describe_alarms(AlarmNames=[both], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert composite["StateValue"] == "ALARM", composite["StateReason"]
    assert composite["StateReason"].startswith(f"arn:aws:cloudwatch:{REGION}:")
    assert f":alarm:{errors} transitioned to ALARM at " in composite["StateReason"]
    history = cw.describe_alarm_history(AlarmName=both, HistoryItemType="StateUpdate",
                                        ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history][-1] == "Alarm updated from OK to ALARM"
    assert history[-1]["AlarmType"] == "CompositeAlarm"
    sent = [json.loads(line) for line in notified.read_text().splitlines() if line.strip()]
    assert any(n["AlarmName"] == both and n["NewStateValue"] == "ALARM" for n in sent)
    children = cw.describe_alarms(ChildrenOfAlarmName=both)
    assert sorted(a["AlarmName"] for a in children["MetricAlarms"]) == sorted([cpu, errors])
    parents = cw.describe_alarms(ParentsOfAlarmName=cpu)
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == [both]
    with pytest.raises(ClientError) as err:
        cw.put_composite_alarm(AlarmName=unique_name("bad"), AlarmRule="ALARM(")
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_bad_numbers_are_refused_before_they_reach_the_evaluator(travel):
    cw = client(travel, "cloudwatch")
    with pytest.raises(ClientError) as err:
        cw.put_metric_alarm(AlarmName=unique_name("huge"), Namespace="App", MetricName="M", Statistic="Sum",
                            Period=9223372036854775800 // 60 * 60, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "EvaluationPeriods * Period must be <= 604800" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        cw.put_metric_alarm(AlarmName=unique_name("long"), Namespace="App", MetricName="M", Statistic="Sum",
                            Period=60, EvaluationPeriods=1441, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold")
    assert "EvaluationPeriods * Period must be <= 86400" in err.value.response["Error"]["Message"]
    # A good alarm still evaluates.
    name = unique_name("ok")
    cw.put_metric_alarm(AlarmName=name, Namespace="App", MetricName="M", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                        TreatMissingData="notBreaching")
    advance(travel, 120)
    assert states(cw, [name])[name]["StateValue"] == "OK"
    # Constant expressions that are not numbers answer no points.
    import datetime as dt
    now = dt.datetime.now(dt.timezone.utc)
    r = cw.get_metric_data(MetricDataQueries=[{"Id": "inf", "Expression": "1/0"}],
                           StartTime=now - dt.timedelta(minutes=5), EndTime=now)
    assert r["MetricDataResults"][0]["Values"] == []


def test_composite_alarms_in_a_cycle_are_not_evaluated(travel):
    cw = client(travel, "cloudwatch")
    a, b = unique_name("loop-a"), unique_name("loop-b")
    cw.put_composite_alarm(AlarmName=a, AlarmRule=f'NOT ALARM("{b}")')
    cw.put_composite_alarm(AlarmName=b, AlarmRule=f'NOT ALARM("{a}")')
    single = unique_name("single")
    cw.put_composite_alarm(AlarmName=single, AlarmRule="TRUE")
    advance(travel, 180)
    got = {x["AlarmName"]: x["StateValue"]
           for x in cw.describe_alarms(AlarmNames=[a, b, single], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]}
    assert got == {a: "INSUFFICIENT_DATA", b: "INSUFFICIENT_DATA", single: "ALARM"}
