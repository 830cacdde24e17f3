// Metrics: a table's (or a global secondary index's) metrics in CloudWatch's namespace
// AWS/DynamoDB, exactly as GetMetricStatistics answers them, and the CloudWatch dashboards'
// metric widgets. DynamoDB publishes each minute once it has ended on the installation clock,
// so "now" is the test clock's when the server has one.
import { dynamodb, cloudwatch, clock, all } from "../aws.js";
import { h, fill, facts, field, page, section, table, errorBox, when, code } from "../ui.js";
import { plot } from "../plot.js";

const NS = "AWS/DynamoDB";
const enc = encodeURIComponent;
export const RANGES = [[3600, "1 hour"], [10800, "3 hours"], [43200, "12 hours"], [86400, "1 day"], [604800, "1 week"]];
const PERIODS = [[60, "1 minute"], [300, "5 minutes"], [900, "15 minutes"], [3600, "1 hour"], [21600, "6 hours"], [86400, "1 day"]];
/// GetMetricStatistics answers at most this many datapoints per call.
const MAX_POINTS = 1440;
const STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

/// The range and period chosen last (kept while the tab lives).
const view = { range: 3600, period: 60 };

function defaultPeriod(range) {
  return range <= 10800 ? 60 : range <= 86400 ? 300 : 3600;
}

/// Periods that fit a range: not longer than it, and at most MAX_POINTS of them.
function periodsFor(range) {
  return PERIODS.filter(([p]) => p <= range && range / p <= MAX_POINTS);
}

/// The server's "now" in epoch seconds: the test clock's when there is one.
export async function serverNow() {
  const c = await clock().catch(() => null);
  return c ? { seconds: c.epoch_seconds, simulated: true, offset: c.offset_seconds } : { seconds: Date.now() / 1000, simulated: false };
}

/// The range `seconds` long ending at the last whole minute before `now` (the minutes DynamoDB
/// has published), its start on a period boundary (CloudWatch's periods are aligned to the
/// epoch, so every period but the last is whole).
export function rangeEnding(now, seconds, period) {
  const end = Math.floor(now / 60) * 60;
  const start = Math.floor((end - seconds) / period) * period;
  return { start, end, period };
}

/// One statistic of one metric over a range: `[[epochMs, value]]`, oldest first. `stat` is one of
/// CloudWatch's five statistics or a percentile (`p99`).
export async function statistic({ namespace = NS, metric, dims = [], stat, start, end, period, unit }) {
  const input = { Namespace: namespace, MetricName: metric, Dimensions: dims, StartTime: start, EndTime: end, Period: period };
  if (STATISTICS.includes(stat)) input.Statistics = [stat];
  else input.ExtendedStatistics = [stat];
  if (unit) input.Unit = unit;
  const { Datapoints = [] } = await cloudwatch("GetMetricStatistics", input);
  return Datapoints.map((d) => [d.Timestamp * 1000, STATISTICS.includes(stat) ? d[stat] : d.ExtendedStatistics?.[stat]])
    .filter(([, v]) => typeof v === "number")
    .sort((a, b) => a[0] - b[0]);
}

/// A plot that draws itself once its data arrives (or shows the error under its title).
/// `work()` answers `{series, lines?, extra?}` (`extra`: something to show under the plot).
export function chart(title, r, work, note) {
  const box = h("div", { class: "chart" }, h("p", { class: "loading", "aria-live": "polite" }, `Loading ${title}…`));
  (async () => {
    try {
      const { series, lines = [], extra } = await work();
      const count = series.reduce((n, s) => n + s.points.length, 0);
      fill(
        box,
        plot({ title, series, lines, from: r.start * 1000, to: r.end * 1000 }),
        !count && !extra && h("p", { class: "empty" }, "No datapoints in this range."),
        note && h("p", { class: "note" }, note),
        extra,
      );
    } catch (e) {
      fill(box, h("figure", { class: "figure" }, h("figcaption", {}, title), errorBox(e)));
    }
  })();
  return box;
}

/// The operations a table has a metric for (its Operation dimension), from ListMetrics.
async function operations(table, metric) {
  const metrics = await all(cloudwatch, "ListMetrics", { Namespace: NS, MetricName: metric, Dimensions: [{ Name: "TableName", Value: table }] }, "Metrics");
  const ops = new Set();
  for (const m of metrics) {
    const op = (m.Dimensions || []).find((d) => d.Name === "Operation");
    if (op && !(m.Dimensions || []).some((d) => d.Name === "StreamLabel")) ops.add(op.Value);
  }
  return [...ops].sort();
}

/// `#/metrics[/TABLE[/INDEX]]`.
export async function render(el, tableName, indexName) {
  const picker = h("div", { class: "picker" }, h("p", { class: "loading" }, "Loading tables…"));
  const controls = h("div");
  const plots = h("div");
  const boards = h("div");
  fill(
    el,
    page(
      tableName ? `Metrics · ${tableName}${indexName ? ` · ${indexName}` : ""}` : "Metrics",
      h("p", {}, "DynamoDB's metrics in CloudWatch (namespace AWS/DynamoDB) as GetMetricStatistics returns them. DynamoDB publishes each minute once it has ended; with ", h("code", {}, "serve --test-clock"), " the test clock's time is \"now\"."),
      picker,
      controls,
      plots,
      section("Dashboards", boards),
    ),
  );
  const draw = async () => {
    const now = await serverNow();
    const r = rangeEnding(now.seconds, view.range, view.period);
    fill(controls, rangeControls(r, now, draw));
    if (tableName) fill(plots, tablePlots(tableName, indexName, r));
    else fill(plots, h("p", { class: "empty" }, "Choose a table to see its metrics."));
    return r;
  };
  await Promise.all([pickTable(picker, tableName, indexName), draw(), dashboards(boards)]);
}

/// The table and index selects: choosing one opens its page.
async function pickTable(el, tableName, indexName) {
  try {
    const names = await all(dynamodb, "ListTables", { Limit: 100 }, "TableNames", "ExclusiveStartTableName", "LastEvaluatedTableName", 1000);
    if (tableName && !names.includes(tableName)) names.unshift(tableName);
    const tableSelect = field("Table", "table", { options: [["", names.length ? "Choose a table…" : "No tables in this region"], ...names], value: tableName || "" });
    tableSelect.querySelector("select").addEventListener("change", (ev) => {
      location.hash = ev.target.value ? `#/metrics/${enc(ev.target.value)}` : "#/metrics";
    });
    const parts = [tableSelect];
    if (names.length >= 1000) parts.push(h("p", { class: "note" }, "The first 1000 tables are listed; for another, open #/metrics/ and its name."));
    if (tableName) {
      const indexes = await dynamodb("DescribeTable", { TableName: tableName }).then(
        (d) => (d.Table.GlobalSecondaryIndexes || []).map((g) => g.IndexName),
        () => [],
      );
      if (indexName && !indexes.includes(indexName)) indexes.push(indexName);
      if (indexes.length) {
        const indexSelect = field("Global secondary index", "index", { options: [["", "None: the table itself"], ...indexes], value: indexName || "" });
        indexSelect.querySelector("select").addEventListener("change", (ev) => {
          location.hash = `#/metrics/${enc(tableName)}${ev.target.value ? `/${enc(ev.target.value)}` : ""}`;
        });
        parts.push(indexSelect);
      }
      parts.push(h("p", { class: "links" }, h("a", { href: `#/table/${enc(tableName)}` }, "Table details"), " · ", h("a", { href: "#/alarms" }, "Alarms")));
    }
    fill(el, h("form", { class: "row", "aria-label": "Table and index", onsubmit: (ev) => ev.preventDefault() }, parts));
  } catch (e) {
    fill(el, errorBox(e));
  }
}

/// The range and period selects, the refresh button, and the range as used.
function rangeControls(r, now, redraw) {
  const rangeSelect = field("Range", "range", { options: RANGES.map(([s, t]) => [String(s), t]), value: String(view.range) });
  const periodSelect = field("Period", "period", { options: periodsFor(view.range).map(([s, t]) => [String(s), t]), value: String(view.period) });
  rangeSelect.querySelector("select").addEventListener("change", (ev) => {
    view.range = Number(ev.target.value);
    view.period = defaultPeriod(view.range);
    redraw();
  });
  periodSelect.querySelector("select").addEventListener("change", (ev) => {
    view.period = Number(ev.target.value);
    redraw();
  });
  return [
    h(
      "form",
      { class: "row", "aria-label": "Time range", onsubmit: (ev) => ev.preventDefault() },
      rangeSelect,
      periodSelect,
      h("div", { class: "field button" }, h("button", { type: "button", class: "secondary", onclick: () => redraw() }, "Refresh")),
    ),
    h(
      "div",
      { class: "range", dataset: { start: String(r.start), end: String(r.end), period: String(r.period) } },
      facts([
        ["From", when(r.start)],
        ["To", `${when(r.end)} (the last whole minute)`],
        ["Period", `${r.period} s`],
        ["Now", `${when(Math.floor(now.seconds))}${now.simulated ? ` (test clock, ${offsetText(now.offset)} ahead of real time)` : ""}`],
      ]),
    ),
  ];
}

export function offsetText(seconds) {
  let s = Math.round(seconds || 0);
  const parts = [];
  for (const [n, unit] of [[86400, "d"], [3600, "h"], [60, "min"]]) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)} ${unit}`);
      s %= n;
    }
  }
  if (s || !parts.length) parts.push(`${s} s`);
  return parts.join(" ");
}

/// Every plot of one table or index over the range `r`.
function tablePlots(name, index, r) {
  const dims = [{ Name: "TableName", Value: name }];
  if (index) dims.push({ Name: "GlobalSecondaryIndexName", Value: index });
  const q = (metric, stat, d = dims) => statistic({ metric, dims: d, stat, ...r });
  const perSecond = (points) => points.map(([t, v]) => [t, v / r.period]);
  const capacity = (kind) => {
    const consumed = `Consumed${kind}CapacityUnits`;
    const provisioned = `Provisioned${kind}CapacityUnits`;
    return section(
      `${kind} capacity`,
      h(
        "div",
        { class: "plots" },
        chart(
          `${kind} capacity units per second: consumed vs provisioned`,
          r,
          async () => {
            const [c, p] = await Promise.all([q(consumed, "Sum"), q(provisioned, "Average")]);
            return { series: [{ name: `Consumed (Sum ÷ ${r.period} s)`, points: perSecond(c) }, { name: "Provisioned (Average)", points: p }] };
          },
          `Consumed: ${consumed}'s Sum (the units the requests of each period consumed) divided by the period's ${r.period} seconds, i.e. the average units per second, which is what provisioned capacity is. Provisioned: ${provisioned}'s Average in the period; DynamoDB publishes it every five minutes, so with shorter periods it shows every fifth minute (an on-demand table has none).`,
        ),
        chart(
          `${consumed} · Sum per period`,
          r,
          async () => ({ series: [{ name: `${consumed} (Sum)`, points: await q(consumed, "Sum") }] }),
          `The raw Sum of each ${r.period}-second period, exactly as GetMetricStatistics returns it: all the units consumed in the period, not per second. Open "Datapoints" for the values.`,
        ),
      ),
    );
  };
  const out = [capacity("Read"), capacity("Write")];
  out.push(
    section(
      "Throttling",
      h(
        "div",
        { class: "plots" },
        chart(
          "Throttle events · Sum per period",
          r,
          async () => {
            const [rd, wr] = await Promise.all([q("ReadThrottleEvents", "Sum"), q("WriteThrottleEvents", "Sum")]);
            return { series: [{ name: "ReadThrottleEvents (Sum)", points: rd }, { name: "WriteThrottleEvents (Sum)", points: wr }] };
          },
          "Requests (or parts of batches) refused because they exceeded the provisioned capacity, per period.",
        ),
      ),
    ),
  );
  const tableDim = [{ Name: "TableName", Value: name }];
  const perOperation = async (metric, stat) => {
    const ops = await operations(name, metric);
    const series = await Promise.all(ops.map(async (op) => ({ name: `${op} (${stat})`, points: await q(metric, stat, [...tableDim, { Name: "Operation", Value: op }]) })));
    return { series, extra: !ops.length && h("p", { class: "empty" }, `ListMetrics has no ${metric} for ${name} (no operation recorded one in the last two weeks).`) };
  };
  const tableOnly = index ? ` These are the table's: ${index} has none of its own.` : "";
  out.push(
    section(
      "Latency and errors",
      h(
        "div",
        { class: "plots" },
        chart("SuccessfulRequestLatency · Average per operation (ms)", r, () => perOperation("SuccessfulRequestLatency", "Average"), `The average time of the successful requests in each period, per operation (the operations are the Operation dimensions ListMetrics knows for this table).${tableOnly}`),
        chart("SystemErrors · Sum per operation", r, () => perOperation("SystemErrors", "Sum"), `Requests that failed with a server error (HTTP 500), per operation.${tableOnly}`),
        chart(
          "UserErrors · Sum per period (account-level)",
          r,
          async () => ({ series: [{ name: "UserErrors (Sum)", points: await q("UserErrors", "Sum", []) }] }),
          "Requests that failed with a client error (HTTP 400) in this region, for every table: DynamoDB publishes UserErrors without dimensions.",
        ),
      ),
    ),
  );
  return out;
}

// ---- Dashboards ----

async function dashboards(el) {
  const board = h("div", { "aria-live": "polite" });
  try {
    const entries = await all(cloudwatch, "ListDashboards", {}, "DashboardEntries");
    const show = async (name) => {
      fill(board, h("p", { class: "loading" }, `Loading ${name}…`));
      try {
        const { DashboardBody } = await cloudwatch("GetDashboard", { DashboardName: name });
        const now = await serverNow();
        fill(board, dashboard(name, DashboardBody, now));
      } catch (e) {
        fill(board, errorBox(e));
      }
    };
    fill(
      el,
      table(
        [
          ["Name", (d) => h("button", { type: "button", class: "link", onclick: () => show(d.DashboardName) }, d.DashboardName)],
          ["Last modified", (d) => when(d.LastModified)],
          ["Size", (d) => `${d.Size} B`],
        ],
        entries,
        { caption: "Dashboards (choose one to show its widgets)", empty: "No dashboards: PutDashboard makes one." },
      ),
      board,
    );
  } catch (e) {
    fill(el, errorBox(e));
  }
}

/// A relative dashboard range (`-PT3H`, `-P1D`, `-PT30M`) in seconds; null if not one.
function relative(text) {
  const m = /^-P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text || "");
  if (!m) return null;
  const [w, d, hh, mm, ss] = m.slice(1).map((x) => Number(x || 0));
  const s = w * 604800 + d * 86400 + hh * 3600 + mm * 60 + ss;
  return s || null;
}

/// A metric widget's `metrics` lines as metrics to fetch. Each line is `[namespace, name,
/// dimension name, value, …, {options}]`; "." repeats the previous line's item at the same
/// position and a leading "..." the previous line's leading items (the rest of the line replaces
/// its tail). Lines with only `{expression}` are metric math, which is not plotted here.
export function widgetMetrics(props) {
  const out = [];
  let previous = [];
  for (const line of props.metrics || []) {
    if (!Array.isArray(line)) continue;
    const last = line[line.length - 1];
    const opts = last && typeof last === "object" && !Array.isArray(last) ? last : {};
    let items = opts === last ? line.slice(0, -1) : line.slice();
    if (!items.length) {
      if (opts.expression) out.push({ expression: opts.expression, label: opts.label || opts.id || opts.expression });
      continue;
    }
    if (items[0] === "...") {
      const rest = items.slice(1);
      items = previous.slice(0, Math.max(0, previous.length - rest.length)).concat(rest);
    }
    items = items.map((x, i) => (x === "." ? previous[i] : x));
    previous = items;
    const [namespace, metricName, ...pairs] = items;
    const dims = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) dims.push({ Name: String(pairs[i]), Value: String(pairs[i + 1]) });
    if (opts.visible === false) continue;
    out.push({
      namespace,
      metricName,
      dims,
      stat: opts.stat || props.stat || "Average",
      period: Number(opts.period || props.period || 300),
      label: opts.label || [metricName, ...dims.map((d) => d.Value)].join(" "),
    });
  }
  return out;
}

/// A dashboard: its metric widgets as plots, its other widgets as their text.
function dashboard(name, body, now) {
  let doc;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    return [h("h3", {}, `Dashboard ${name}`), errorBox({ code: "InvalidJSON", message: `The dashboard body is not JSON: ${e.message}` }), code(body)];
  }
  const widgets = [...(doc.widgets || [])].sort((a, b) => (a.y ?? 0) - (b.y ?? 0) || (a.x ?? 0) - (b.x ?? 0));
  const span = relative(doc.start) || view.range;
  return [
    h("h3", {}, `Dashboard ${name}`),
    h("p", {}, `Range: the last ${RANGES.find(([s]) => s === span)?.[1] || offsetText(span)}${doc.start ? ` (the dashboard's start, ${doc.start})` : " (the range chosen above)"}.`),
    h("div", { class: "plots" }, widgets.map((w, i) => widget(w, i, span, now))),
    h("details", {}, h("summary", {}, "Dashboard body (JSON)"), code(JSON.stringify(doc, null, 2))),
  ];
}

function widget(w, i, span, now) {
  const props = w.properties || {};
  const title = props.title || `Widget ${i + 1} (${w.type || "unknown type"})`;
  if (w.type === "metric" && Array.isArray(props.metrics)) {
    // Whole minutes (this server keeps one-minute resolution), and longer periods when the
    // range holds more than GetMetricStatistics answers at once.
    const least = Math.ceil(span / MAX_POINTS / 60) * 60;
    const metrics = widgetMetrics(props).map((m) => (m.expression ? m : { ...m, period: Math.max(60, least, Math.ceil(m.period / 60) * 60) }));
    const r = rangeEnding(now.seconds, span, Math.max(60, ...metrics.map((m) => m.period || 60)));
    const lines = (props.annotations?.horizontal || []).filter((a) => typeof a.value === "number").map((a) => ({ name: a.label || "", value: a.value }));
    const math = metrics.filter((m) => m.expression);
    return chart(
      title,
      r,
      async () => ({
        series: await Promise.all(
          metrics.filter((m) => !m.expression).map(async (m) => ({
            name: `${m.label} (${m.stat}, ${m.period} s)`,
            points: await statistic({ namespace: m.namespace, metric: m.metricName, dims: m.dims, stat: m.stat, start: r.start, end: r.end, period: m.period }),
          })),
        ),
        lines,
      }),
      math.length ? `Metric math is not plotted here: ${math.map((m) => m.expression).join(", ")}.` : null,
    );
  }
  const text = props.markdown ?? (props.alarms ? `Alarms: ${props.alarms.join(", ")}` : props.query ?? "");
  return h("div", { class: "widget" }, h("h4", {}, props.title || (w.type === "text" ? "Text" : `${w.type || "Unknown"} widget`)), text ? h("pre", { class: "markdown" }, text) : h("p", { class: "empty" }, `A ${w.type} widget: not shown here.`));
}
