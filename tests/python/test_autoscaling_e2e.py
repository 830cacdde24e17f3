"""Auto scaling scales: the seed's module applied for prod on the test clock. Registration raises
the analytics table to MinCapacity; reads at about twice the target utilization make the
policy's AlarmHigh fire and the policy raise capacity to consumed / 0.7; quiet minutes make
AlarmLow fire and capacity come back to the minimum; `terraform plan` stays clean with the
module's lifecycle fix and is not without it; the throttle alarm goes ALARM under a burst and
back to OK once capacity was raised."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY
from test_clock import advance, to_hour
from test_terraform import BACKEND_OVERRIDE, NO_TERRAFORM, SKIP_REASON, init, REPO, run

pytestmark = pytest.mark.skipif(NO_TERRAFORM, reason=SKIP_REASON)

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
TABLE = "myapp-prod-analytics"
RESOURCE = f"table/{TABLE}"


def client(server, service):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=NO_RETRIES)


def apply_prod(server, tmp_path, lifecycle_fix=True):
    work = tmp_path / "tf"
    shutil.copytree(REPO / "terraform", work)
    if not lifecycle_fix:
        main = work / "main.tf"
        text = main.read_text()
        text, n = re.subn(r"\n  lifecycle \{\n    ignore_changes = \[read_capacity, write_capacity\]\n  \}\n", "\n", text)
        assert n == 1
        main.write_text(text)
    (work / "backend_override.tf").write_text(BACKEND_OVERRIDE)
    (work / ".terraformrc").write_text("")
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(work / ".terraformrc"), TF_IN_AUTOMATION="1",
               AWS_ENDPOINT_URL=server.endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_REGION="us-east-1")
    init(work, env)
    run(work, env, "apply", "-auto-approve", "-input=false", "-var-file=environments/prod.tfvars")
    return work, env


def plan_exit_code(work, env):
    proc = subprocess.run(["terraform", f"-chdir={work}", "plan", "-detailed-exitcode", "-input=false",
                           "-no-color", "-var-file=environments/prod.tfvars"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode


def read_capacity(ddb):
    return ddb.describe_table(TableName=TABLE)["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"]


def activities(aas):
    return aas.describe_scaling_activities(ServiceNamespace="dynamodb", ResourceId=RESOURCE,
                                           ScalableDimension="dynamodb:table:ReadCapacityUnits")["ScalingActivities"]


def consume(ddb, units):
    """Strongly consistent scans (~256 units each) until about `units` are consumed; returns
    the units consumed and how many scans were throttled."""
    done, throttled = 0.0, 0
    while done < units:
        try:
            r = ddb.scan(TableName=TABLE, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            throttled += 1
            break
        done += r["ConsumedCapacity"]["CapacityUnits"]
    return done, throttled


@pytest.fixture
def travel(new_server):
    return new_server(args=["--test-clock"])


def test_target_tracking_scales_the_seed_prod_table(travel, tmp_path):
    to_hour(travel, 12)
    work, env = apply_prod(travel, tmp_path)
    ddb, aas, cw = client(travel, "dynamodb"), client(travel, "application-autoscaling"), client(travel, "cloudwatch")

    # Registration brought the 5 units the module set up to MinCapacity 10.
    assert read_capacity(ddb) == 10, activities(aas)
    first = activities(aas)[-1]
    assert first["Description"] == "Setting read capacity units to 10."
    assert first["Cause"] == "minimum capacity was set to 10"
    assert first["StatusCode"] == "Successful"
    assert plan_exit_code(work, env) == 0

    for i in range(4):
        ddb.put_item(TableName=TABLE, Item={"event_date": {"S": "d"}, "event_timestamp": {"S": f"{i}"},
                                            "blob": {"S": "x" * 350_000}})
    # ~14 units a second (twice the 70 % target of 10) for a few simulated minutes.
    for _ in range(4):
        consume(ddb, 14 * 60)
        advance(travel, 60)
    advance(travel, 60)
    raised = read_capacity(ddb)
    assert 18 <= raised <= 30, raised
    out = activities(aas)[0]
    assert out["Description"] == f"Setting read capacity units to {raised}."
    assert re.fullmatch(rf"monitor alarm TargetTracking-{RESOURCE}-AlarmHigh-[0-9a-f-]+ in state ALARM "
                        r"triggered policy myapp-prod-analytics-read-scaling-policy", out["Cause"]), out["Cause"]
    assert out["StatusMessage"] == f"Successfully set read capacity units to {raised}. Change successfully fulfilled by dynamodb."
    # The policy's alarms follow the new capacity (AlarmHigh: 70 % of it, per minute).
    high = [a for a in cw.describe_alarms(AlarmNamePrefix=f"TargetTracking-{RESOURCE}-AlarmHigh")["MetricAlarms"]
            if a["MetricName"] == "ConsumedReadCapacityUnits"]
    assert high and high[0]["Threshold"] == pytest.approx(0.7 * raised * 60)
    # The corrected module plans clean after scaling.
    assert plan_exit_code(work, env) == 0

    # Quiet: after 15+ minutes below the scale-in threshold, capacity returns to the minimum.
    advance(travel, 20 * 60)
    assert read_capacity(ddb) == 10
    scale_in = activities(aas)[0]
    assert scale_in["Description"] == "Setting read capacity units to 10."
    assert "-AlarmLow-" in scale_in["Cause"]
    ins = [a for a in activities(aas) if "-AlarmLow-" in a["Cause"]]
    assert len(ins) == 1

    run(work, env, "destroy", "-auto-approve", "-input=false", "-var-file=environments/prod.tfvars")


def test_without_the_lifecycle_fix_the_plan_fights_auto_scaling(travel, tmp_path):
    work, env = apply_prod(travel, tmp_path, lifecycle_fix=False)
    # Registration raised the capacity: the seed's module wants its 5 units back.
    assert read_capacity(client(travel, "dynamodb")) == 10
    assert plan_exit_code(work, env) == 2


def test_throttle_alarm_recovers_once_capacity_was_raised(travel, tmp_path):
    work, env = apply_prod(travel, tmp_path)
    ddb, cw = client(travel, "dynamodb"), client(travel, "cloudwatch")
    alarm = f"{TABLE}-read-throttled-requests"
    for i in range(4):
        ddb.put_item(TableName=TABLE, Item={"event_date": {"S": "d"}, "event_timestamp": {"S": f"{i}"},
                                            "blob": {"S": "x" * 350_000}})
    # A burst far above capacity: the burst allowance goes, reads throttle, for 10 minutes.
    throttled = 0
    for _ in range(10):
        throttled += consume(ddb, 10_000)[1]
        advance(travel, 60)
    assert throttled >= 5
    state = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    assert state["StateValue"] == "ALARM", state["StateReason"]
    assert read_capacity(ddb) > 10
    # The same load now fits the raised capacity: no more throttles, the alarm returns to OK.
    raised = read_capacity(ddb)
    for _ in range(12):
        done, t = consume(ddb, raised * 60 * 0.5)
        assert t == 0
        advance(travel, 60)
    state = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    assert state["StateValue"] == "OK", state["StateReason"]


def test_a_scheduled_action_raises_min_capacity_at_its_cron_time(travel, tmp_path):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from test_clock import clock

    apply_prod(travel, tmp_path)
    ddb, aas = client(travel, "dynamodb"), client(travel, "application-autoscaling")
    dim = "dynamodb:table:ReadCapacityUnits"
    aas.put_scheduled_action(ServiceNamespace="dynamodb", ScheduledActionName="evening-peak",
                             ResourceId=RESOURCE, ScalableDimension=dim, Schedule="cron(0 18 * * ? *)",
                             Timezone="Europe/Paris", ScalableTargetAction={"MinCapacity": 15, "MaxCapacity": 200})
    [action] = aas.describe_scheduled_actions(ServiceNamespace="dynamodb")["ScheduledActions"]
    assert action["Schedule"] == "cron(0 18 * * ? *)" and action["Timezone"] == "Europe/Paris"
    assert action["ScalableTargetAction"] == {"MinCapacity": 15, "MaxCapacity": 200}
    # The next 18:00 in Paris, on the server's clock.
    now = dt.datetime.fromtimestamp(clock(travel)["epoch_seconds"], ZoneInfo("Europe/Paris"))
    fire = now.replace(hour=18, minute=0, second=0, microsecond=0)
    if fire <= now + dt.timedelta(minutes=2):
        fire += dt.timedelta(days=1)
    advance(travel, (fire - now).total_seconds() - 60)
    assert read_capacity(ddb) == 10
    advance(travel, 120)
    assert read_capacity(ddb) == 15
    [target] = aas.describe_scalable_targets(ServiceNamespace="dynamodb", ResourceIds=[RESOURCE],
                                             ScalableDimension=dim)["ScalableTargets"]
    assert target["MinCapacity"] == 15
    recent = activities(aas)[:2]
    assert recent[1]["Description"] == "Setting min capacity to 15 and max capacity to 200"
    assert recent[1]["Cause"] == "scheduled action name evening-peak was triggered"
    assert recent[0]["Description"] == "Setting read capacity units to 15."
    aas.delete_scheduled_action(ServiceNamespace="dynamodb", ScheduledActionName="evening-peak",
                                ResourceId=RESOURCE, ScalableDimension=dim)
    with pytest.raises(ClientError) as err:
        aas.delete_scheduled_action(ServiceNamespace="dynamodb", ScheduledActionName="evening-peak",
                                    ResourceId=RESOURCE, ScalableDimension=dim)
    assert err.value.response["Error"]["Code"] == "ObjectNotFoundException"


def test_bad_schedules_are_refused(travel, tmp_path):
    apply_prod(travel, tmp_path)
    aas = client(travel, "application-autoscaling")
    for schedule in ("rate(200000000000 days)", "rate(9223372036854775807 days)", "cron(0 10 * * * *)",
                     "at(2027-01-01)", "rate(0 minutes)"):
        with pytest.raises(ClientError) as err:
            aas.put_scheduled_action(ServiceNamespace="dynamodb", ScheduledActionName="bad", ResourceId=RESOURCE,
                                     ScalableDimension="dynamodb:table:ReadCapacityUnits", Schedule=schedule,
                                     ScalableTargetAction={"MinCapacity": 15})
        assert err.value.response["Error"]["Code"] == "ValidationException", schedule
    with pytest.raises(ClientError) as err:
        aas.put_scheduled_action(ServiceNamespace="dynamodb", ScheduledActionName="tz", ResourceId=RESOURCE,
                                 ScalableDimension="dynamodb:table:ReadCapacityUnits", Schedule="rate(1 day)",
                                 Timezone="Mars/Olympus_Mons", ScalableTargetAction={"MinCapacity": 15})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    advance(travel, 600)
