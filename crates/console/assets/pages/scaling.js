// Auto scaling: Application Auto Scaling for DynamoDB (ServiceNamespace dynamodb), read-only:
// the scalable targets, the scaling policies with the CloudWatch alarms they own, the
// scheduled actions and the activity log.
import { autoscaling, all } from "../aws.js";
import { h, fill, table, page, section, load, link, when, gap } from "../ui.js";

const enc = encodeURIComponent;
const NS = { ServiceNamespace: "dynamodb" };

/// `table/NAME` or `table/NAME/index/INDEX`, linked to the table.
function resource(id) {
  const m = /^table\/([^/]+)(?:\/index\/(.+))?$/.exec(id || "");
  if (!m) return id || "—";
  return h("span", {}, link(`#/table/${enc(m[1])}`, m[1]), m[2] ? ` · index ${m[2]}` : "");
}

const DIMENSIONS = {
  "dynamodb:table:ReadCapacityUnits": "Table reads",
  "dynamodb:table:WriteCapacityUnits": "Table writes",
  "dynamodb:index:ReadCapacityUnits": "Index reads",
  "dynamodb:index:WriteCapacityUnits": "Index writes",
};

function dimension(d) {
  return h("span", { title: d }, DIMENSIONS[d] || d);
}

function suspended(s = {}) {
  const parts = [];
  if (s.DynamicScalingInSuspended) parts.push("scale-in");
  if (s.DynamicScalingOutSuspended) parts.push("scale-out");
  if (s.ScheduledScalingSuspended) parts.push("scheduled");
  return parts.length ? h("span", { class: "status status-SUSPENDED" }, parts.join(", ")) : "No";
}

function metric(c = {}) {
  if (c.PredefinedMetricSpecification) return c.PredefinedMetricSpecification.PredefinedMetricType;
  const m = c.CustomizedMetricSpecification;
  if (m) return `${m.Namespace || ""} ${m.MetricName || "(metric math)"} (${m.Statistic || ""})`.trim();
  return "—";
}

const seconds = (s) => (s === undefined || s === null ? "—" : `${s} s`);

/// A target tracking policy's alarms are `TargetTracking-RESOURCE-KIND-UUID`: shown by their
/// kind (AlarmHigh, AlarmLow, ProvisionedCapacityHigh, ...), the whole name in the tooltip.
function alarms(list = []) {
  if (!list.length) return "—";
  const kind = (name) => /^TargetTracking-.*-([A-Za-z]+)-[0-9a-f]{8}-[0-9a-f-]{27}$/.exec(name)?.[1] || name;
  return h(
    "ul",
    { class: "plain small" },
    list.map((a) => {
      const short = kind(a.AlarmName);
      return h("li", {}, h("a", { href: `#/alarms/${enc(a.AlarmName)}`, title: a.AlarmName }, short, short !== a.AlarmName && h("span", { class: "visually-hidden" }, ` (${a.AlarmName})`)));
    }),
  );
}

function policyConfig(p) {
  if (p.PolicyType === "TargetTrackingScaling") return p.TargetTrackingScalingPolicyConfiguration || {};
  return {};
}

/// `#/scaling`: everything Application Auto Scaling knows of DynamoDB, with a refresh.
export async function render(el) {
  const body = h("div");
  const refresh = () =>
    load(body, async () => {
      const [targets, policies, activities, scheduled] = await Promise.all([
        all(autoscaling, "DescribeScalableTargets", NS, "ScalableTargets"),
        all(autoscaling, "DescribeScalingPolicies", NS, "ScalingPolicies"),
        all(autoscaling, "DescribeScalingActivities", NS, "ScalingActivities", "NextToken", "NextToken", 200),
        all(autoscaling, "DescribeScheduledActions", NS, "ScheduledActions"),
      ]);
      activities.sort((a, b) => (b.StartTime || 0) - (a.StartTime || 0));
      return [
        section(
          "Scalable targets",
          table(
            [
              ["Resource", (t) => resource(t.ResourceId)],
              ["Dimension", (t) => dimension(t.ScalableDimension)],
              ["Min", (t) => t.MinCapacity],
              ["Max", (t) => t.MaxCapacity],
              ["Suspended", (t) => suspended(t.SuspendedState)],
              ["Registered", (t) => when(t.CreationTime)],
            ],
            targets,
            { empty: "No scalable targets: no table's capacity is managed by auto scaling." },
          ),
        ),
        section(
          "Scaling policies",
          table(
            [
              ["Policy", (p) => p.PolicyName],
              ["Resource", (p) => resource(p.ResourceId)],
              ["Dimension", (p) => dimension(p.ScalableDimension)],
              ["Type", (p) => p.PolicyType],
              ["Target value", (p) => policyConfig(p).TargetValue ?? "—"],
              ["Metric", (p) => metric(policyConfig(p))],
              ["Scale-out cooldown", (p) => seconds(policyConfig(p).ScaleOutCooldown)],
              ["Scale-in cooldown", (p) => seconds(policyConfig(p).ScaleInCooldown)],
              ["Scale-in", (p) => (policyConfig(p).DisableScaleIn ? "Disabled" : "Enabled")],
              ["Alarms", (p) => alarms(p.Alarms)],
              ["", notRun],
            ],
            policies,
            { empty: "No scaling policies." },
          ),
        ),
        section(
          "Scheduled actions",
          table(
            [
              ["Action", (a) => a.ScheduledActionName],
              ["Resource", (a) => resource(a.ResourceId)],
              ["Dimension", (a) => dimension(a.ScalableDimension)],
              ["Schedule", (a) => `${a.Schedule}${a.Timezone ? ` (${a.Timezone})` : ""}`],
              ["Min", (a) => a.ScalableTargetAction?.MinCapacity ?? "—"],
              ["Max", (a) => a.ScalableTargetAction?.MaxCapacity ?? "—"],
              ["From", (a) => when(a.StartTime)],
              ["Until", (a) => when(a.EndTime)],
              ["Created", (a) => when(a.CreationTime)],
            ],
            scheduled,
            { empty: "No scheduled actions." },
          ),
        ),
        section(
          "Activity",
          table(
            [
              ["Started", (a) => when(a.StartTime)],
              ["Ended", (a) => when(a.EndTime)],
              ["Status", (a) => h("span", { class: `status status-${a.StatusCode}` }, a.StatusCode)],
              ["Resource", (a) => resource(a.ResourceId)],
              ["Description", (a) => a.Description],
              ["Cause", (a) => a.Cause],
              ["Message", (a) => a.StatusMessage || ""],
            ],
            activities,
            { caption: activities.length >= 200 ? "The latest 200 activities" : null, empty: "No scaling activity yet." },
          ),
        ),
      ];
    });
  fill(
    el,
    page(
      "Auto scaling",
      h("p", {}, "Application Auto Scaling adjusts provisioned tables' and indexes' capacity: target tracking policies follow CloudWatch alarms they own; scheduled actions change the bounds at set times."),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: refresh }, "Refresh")),
      body,
    ),
  );
  await refresh();
}

/// What README's compatibility table lists as stored but not run yet, said where it shows.
function notRun(p) {
  if (policyConfig(p).CustomizedMetricSpecification) return gap("customized metric specifications are stored, not run.");
  return null;
}
