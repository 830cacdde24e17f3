// Alarms: DescribeAlarms (metric and composite, every page), and one alarm's details, its metric
// over the periods it evaluates with the threshold drawn, and its history (DescribeAlarmHistory).
import { cloudwatch } from "../aws.js";
import { h, fill, table, facts, field, page, section, errorBox, when, code, gap } from "../ui.js";
import { plot } from "../plot.js";
import { serverNow, statistic } from "./metrics.js";

const enc = encodeURIComponent;
const STATES = ["ALARM", "INSUFFICIENT_DATA", "OK"];
const SIMPLE = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const OPERATORS = {
  GreaterThanOrEqualToThreshold: "≥",
  GreaterThanThreshold: ">",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "≤",
  LessThanLowerOrGreaterThanUpperThreshold: "outside the band",
  LessThanLowerThreshold: "below the band",
  GreaterThanUpperThreshold: "above the band",
};

/// Every alarm in the region, metric and composite, following NextToken.
async function allAlarms() {
  const metric = [];
  const composite = [];
  let token;
  do {
    const input = { AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: 100 };
    if (token) input.NextToken = token;
    const page = await cloudwatch("DescribeAlarms", input);
    metric.push(...(page.MetricAlarms || []));
    composite.push(...(page.CompositeAlarms || []));
    token = page.NextToken;
  } while (token);
  return [...metric, ...composite.map((a) => ({ ...a, composite: true }))].sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : 1));
}

export function stateBadge(state) {
  return h("span", { class: `state state-${state}` }, state);
}

function dims(list) {
  return (list || []).map((d) => `${d.Name}=${d.Value}`).join(", ");
}

function metricText(a) {
  if (a.composite) return `Rule: ${a.AlarmRule}`;
  if (a.Metrics?.length) {
    const returned = a.Metrics.find((m) => m.ReturnData) || a.Metrics[0];
    return `Metric math: ${returned.Expression || returned.MetricStat?.Metric?.MetricName || returned.Id}`;
  }
  const d = dims(a.Dimensions);
  return `${a.Namespace} ${a.MetricName}${d ? ` (${d})` : ""}`;
}

function statText(a) {
  return a.Statistic || a.ExtendedStatistic || (a.Metrics?.length ? "metric math" : "—");
}

function comparison(a) {
  if (!a.ComparisonOperator) return "—";
  return `${statText(a)} ${OPERATORS[a.ComparisonOperator] || ""} (${a.ComparisonOperator})`;
}

function actions(a) {
  const groups = [["ALARM", a.AlarmActions], ["OK", a.OKActions], ["INSUFFICIENT_DATA", a.InsufficientDataActions]].filter(([, l]) => l?.length);
  if (!groups.length) return "—";
  return h(
    "ul",
    { class: "plain" },
    groups.map(([state, list]) => list.map((arn) => h("li", {}, h("small", {}, `${state} → `), arn))),
    !a.ActionsEnabled && h("li", {}, h("em", {}, "Actions disabled")),
  );
}

function evaluation(a) {
  if (a.composite) return "When the rule holds";
  const n = a.EvaluationPeriods ?? 1;
  const m = a.DatapointsToAlarm ?? n;
  return `${m} of ${n} × ${a.Period ?? a.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Period ?? "—"} s`;
}

/// `#/alarms` or `#/alarms/NAME`.
export async function render(el, alarmName) {
  if (alarmName) return detail(el, alarmName);
  const out = h("div", { "aria-live": "polite" });
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => render(el) }, "Refresh");
  fill(el, page("Alarms", h("p", {}, "CloudWatch evaluates every metric alarm at each minute of the installation clock; move the test clock on the ", h("a", { href: "#/clock" }, "Clock"), " page to see them change."), h("div", { class: "actions" }, refresh), out));
  fill(out, h("p", { class: "loading" }, "Loading alarms…"));
  try {
    const alarms = await allAlarms();
    const counts = STATES.map((s) => [s, alarms.filter((a) => a.StateValue === s).length]);
    fill(
      out,
      alarms.length ? h("p", { class: "summary" }, counts.map(([s, n], i) => [i ? " · " : "", stateBadge(s), ` ${n}`])) : null,
      table(
        [
          ["Name", (a) => h("a", { href: `#/alarms/${enc(a.AlarmName)}` }, a.AlarmName)],
          ["State", (a) => stateBadge(a.StateValue)],
          ["Metric", metricText],
          ["Comparison", comparison],
          ["Threshold", (a) => (a.composite ? "—" : a.Threshold ?? a.ThresholdMetricId ?? "—")],
          ["Evaluation", evaluation],
          ["Actions", actions],
          ["State since", (a) => when(a.StateTransitionedTimestamp ?? a.StateUpdatedTimestamp)],
        ],
        alarms,
        { caption: `Alarms (${alarms.length})`, empty: "No alarms in this region: PutMetricAlarm makes one." },
      ),
    );
  } catch (e) {
    fill(out, errorBox(e));
  }
}

async function detail(el, name) {
  const body = h("div", { "aria-live": "polite" });
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => detail(el, name) }, "Refresh");
  fill(el, page(`Alarm ${name}`, h("p", {}, h("a", { href: "#/alarms" }, "All alarms")), h("div", { class: "actions" }, refresh), body));
  fill(body, h("p", { class: "loading" }, "Loading…"));
  try {
    const res = await cloudwatch("DescribeAlarms", { AlarmNames: [name], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] });
    const a = res.MetricAlarms?.[0] || (res.CompositeAlarms?.[0] && { ...res.CompositeAlarms[0], composite: true });
    if (!a) {
      fill(body, errorBox({ code: "ResourceNotFound", message: `DescribeAlarms has no alarm named ${name} in this region.` }));
      return;
    }
    const now = await serverNow();
    const graph = h("div");
    const history = h("div");
    fill(
      body,
      section("State", h("p", { class: "state-line" }, stateBadge(a.StateValue), " since ", when(a.StateTransitionedTimestamp ?? a.StateUpdatedTimestamp)), facts([["Reason", a.StateReason], ["Reason data", a.StateReasonData ? code(pretty(a.StateReasonData)) : "—"], ["Updated", when(a.StateUpdatedTimestamp)]])),
      section("Definition", facts(definition(a))),
      a.composite ? section("Alarms in its rule", children(name)) : section("Metric", graph),
      section("History", history),
    );
    await Promise.all([a.composite ? null : metricGraph(graph, a, now), showHistory(history, name)]);
  } catch (e) {
    fill(body, errorBox(e));
  }
}

function pretty(json) {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

function definition(a) {
  return [
    ["ARN", a.AlarmArn],
    ["Description", a.AlarmDescription],
    a.composite ? ["Rule", code(a.AlarmRule)] : ["Metric", metricText(a)],
    !a.composite && ["Statistic", statText(a)],
    !a.composite && a.Unit && ["Unit", a.Unit],
    !a.composite && ["Comparison", comparison(a)],
    !a.composite && ["Threshold", a.ThresholdMetricId ? gap(`anomaly-detection bands (${a.ThresholdMetricId}) are stored, not evaluated.`) : String(a.Threshold ?? "—")],
    ["Evaluation", evaluation(a)],
    !a.composite && ["Missing data", a.TreatMissingData || "missing (the default)"],
    ["Actions", actions(a)],
    ["Actions enabled", a.ActionsEnabled ? "Yes" : "No"],
    ["Configuration updated", when(a.AlarmConfigurationUpdatedTimestamp)],
  ];
}

function children(name) {
  const box = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  cloudwatch("DescribeAlarms", { ChildrenOfAlarmName: name }).then(
    (r) => {
      const list = [...(r.MetricAlarms || []), ...(r.CompositeAlarms || [])];
      fill(box, table([["Name", (c) => h("a", { href: `#/alarms/${enc(c.AlarmName)}` }, c.AlarmName)], ["State", (c) => stateBadge(c.StateValue)]], list, { empty: "The rule names no alarm that exists." }));
    },
    (e) => fill(box, errorBox(e)),
  );
  return box;
}

/// The last `count` periods the evaluator looks at: `Period` seconds each, ending a minute before
/// the last whole minute (the minute DynamoDB's metrics for it have just been published).
function evaluationWindows(a, now, count) {
  const end = (Math.floor(now / 60) - 1) * 60;
  return { start: end - count * a.Period, end, period: a.Period };
}

/// The alarm's metric over its evaluation range (or more periods), threshold drawn.
async function metricGraph(el, a, now, count = a.EvaluationPeriods || 1) {
  const math = !!a.Metrics?.length;
  const period = math ? a.Metrics.find((q) => q.MetricStat)?.MetricStat?.Period || a.Metrics.find((q) => q.Period)?.Period || 60 : a.Period || 60;
  const n = a.EvaluationPeriods || 1;
  const choices = [...new Set([n, Math.max(n, 10), Math.max(n, 30), Math.max(n, 60)])].filter((k) => (k * period) / 60 <= 1440);
  const select = field("Periods shown", "periods", { options: choices.map((k) => [String(k), k === n ? `${k}: the evaluation range` : `${k} (the last ${k} periods)`]), value: String(count) });
  select.querySelector("select").addEventListener("change", (ev) => metricGraph(el, a, now, Number(ev.target.value)));
  const controls = h("form", { class: "row", "aria-label": "Periods shown", onsubmit: (ev) => ev.preventDefault() }, select);
  fill(el, controls, h("p", { class: "loading" }, "Loading the metric…"));
  try {
    const { r, series, note } = math ? await mathSeries(a, now.seconds, period, count) : await metricSeries(a, now.seconds, count);
    const lines = typeof a.Threshold === "number" ? [{ name: "Threshold", value: a.Threshold }] : [];
    fill(
      el,
      controls,
      h("div", { class: "range", dataset: { start: String(r.start), end: String(r.end), period: String(period) } }, h("p", {}, `From ${when(r.start)} to ${when(r.end)}: ${count} period(s) of ${period} s. The alarm evaluates the last ${n}, ending a minute before the last whole minute.`)),
      plot({ title: math ? `Metric math · ${metricText(a).replace(/^Metric math: /, "")}` : `${a.MetricName} · ${statText(a)}`, series, lines, from: r.start * 1000, to: r.end * 1000 }),
      !series.some((s) => s.points.length) && h("p", { class: "empty" }, "No datapoints in this range."),
      note && h("p", { class: "note" }, note),
    );
  } catch (e) {
    fill(el, controls, errorBox(e));
  }
}

/// A metric alarm's periods as the evaluator forms them (aligned to its evaluation's end, not to
/// the epoch): one-minute datapoints merged per period. Percentiles cannot be merged, so for them
/// GetMetricStatistics' own periods (aligned to the epoch) are shown.
async function metricSeries(a, now, count) {
  const r = evaluationWindows(a, now, count);
  const base = { namespace: a.Namespace, metric: a.MetricName, dims: a.Dimensions || [], unit: a.Unit };
  const stat = a.Statistic || a.ExtendedStatistic;
  if (!SIMPLE.includes(stat)) {
    const points = await statistic({ ...base, stat, start: r.start, end: r.end, period: a.Period });
    return { r, series: [{ name: `${a.MetricName} (${stat})`, points }], note: "Percentile periods are GetMetricStatistics' (aligned to the epoch), which may differ from the alarm's." };
  }
  const minute = { ...base, start: r.start, end: r.end, period: 60 };
  const [count1, sum, min, max] = await Promise.all(["SampleCount", "Sum", "Minimum", "Maximum"].map((s) => statistic({ ...minute, stat: s })));
  const windows = new Map();
  const into = (points, key, merge) => {
    for (const [t, v] of points) {
      const start = r.end * 1000 - Math.ceil((r.end * 1000 - t) / (a.Period * 1000)) * a.Period * 1000;
      const w = windows.get(start) || { n: 0, sum: 0, min: Infinity, max: -Infinity };
      w[key] = merge(w[key], v);
      windows.set(start, w);
    }
  };
  into(count1, "n", (x, v) => x + v);
  into(sum, "sum", (x, v) => x + v);
  into(min, "min", Math.min);
  into(max, "max", Math.max);
  const value = (w) => ({ SampleCount: w.n, Sum: w.sum, Minimum: w.min, Maximum: w.max, Average: w.n ? w.sum / w.n : undefined })[stat];
  const points = [...windows].map(([t, w]) => [t, value(w)]).filter(([, v]) => Number.isFinite(v)).sort((x, y) => x[0] - y[0]);
  return { r, series: [{ name: `${a.MetricName} (${stat} per ${a.Period} s)`, points }] };
}

/// A metric-math alarm: GetMetricData of its queries; the returned one is what it evaluates.
async function mathSeries(a, now, period, count) {
  const end = Math.floor(((Math.floor(now / 60) - 1) * 60) / period) * period;
  const r = { start: end - count * period, end, period };
  const { MetricDataResults = [] } = await cloudwatch("GetMetricData", { MetricDataQueries: a.Metrics, StartTime: r.start, EndTime: r.end });
  const series = MetricDataResults.map((m) => ({ name: m.Label || m.Id, points: (m.Timestamps || []).map((t, i) => [t * 1000, m.Values[i]]) }));
  return { r, series };
}

/// DescribeAlarmHistory, newest first, a page of 50 at a time.
async function showHistory(el, name) {
  const list = h("ol", { class: "timeline" });
  const more = h("div", { class: "actions" });
  fill(el, list, more);
  const next = async (token) => {
    fill(more, h("p", { class: "loading" }, "Loading history…"));
    try {
      const input = { AlarmName: name, ScanBy: "TimestampDescending", MaxRecords: 50 };
      if (token) input.NextToken = token;
      const r = await cloudwatch("DescribeAlarmHistory", input);
      const items = r.AlarmHistoryItems || [];
      list.append(...items.map(historyItem));
      fill(more, r.NextToken ? h("button", { type: "button", class: "secondary", onclick: () => next(r.NextToken) }, "Older entries") : null);
      if (!list.children.length) fill(more, h("p", { class: "empty" }, "No history yet."));
    } catch (e) {
      fill(more, errorBox(e));
    }
  };
  await next();
}

function historyItem(item) {
  let state = null;
  try {
    state = JSON.parse(item.HistoryData || "{}").newState?.stateValue || null;
  } catch {}
  return h(
    "li",
    { dataset: { type: item.HistoryItemType } },
    h("time", { datetime: new Date(item.Timestamp * 1000).toISOString() }, when(item.Timestamp)),
    " ",
    h("span", { class: "badge" }, item.HistoryItemType),
    state && [" ", stateBadge(state)],
    " ",
    h("span", { class: "summary-text" }, item.HistorySummary),
    item.HistoryData && h("details", {}, h("summary", {}, "Data"), code(pretty(item.HistoryData))),
  );
}
