// Line plots in SVG for metrics and alarms, each with its datapoints as a table (for screen
// readers, and to read the exact values).
import { h, when } from "./ui.js";

const NS = "http://www.w3.org/2000/svg";
const COLORS = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490"];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/// `series`: `[{name, points: [[epochMs, value], …]}]`; `lines`: horizontal lines such as an
/// alarm's threshold, `[{name, value}]`; `from`/`to` in epoch ms.
export function plot({ title, series, lines = [], from, to }) {
  const W = 640, H = 220, L = 56, R = 12, T = 12, B = 28;
  const values = series.flatMap((x) => x.points.map((p) => p[1])).concat(lines.map((l) => l.value));
  const max = niceMax(Math.max(0, ...values) * 1.05);
  const x = (t) => L + ((t - from) / Math.max(1, to - from)) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, class: "plot" });
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    svg.append(
      s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }),
      s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, String(+v.toPrecision(3))),
    );
  }
  for (const [t, anchor] of [[from, "start"], [to, "end"]]) {
    svg.append(s("text", { x: x(t), y: H - 8, "text-anchor": anchor, class: "tick" }, when(t / 1000).slice(5, 16)));
  }
  series.forEach((ser, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...ser.points].sort((a, b) => a[0] - b[0]);
    if (pts.length > 1) {
      svg.append(s("polyline", { points: pts.map(([t, v]) => `${x(t)},${y(v)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 }));
    }
    for (const [t, v] of pts) svg.append(s("circle", { cx: x(t), cy: y(v), r: 3, fill: color }, s("title", {}, `${ser.name} ${when(t / 1000)}: ${v}`)));
  });
  for (const l of lines) {
    svg.append(s("line", { x1: L, x2: W - R, y1: y(l.value), y2: y(l.value), class: "threshold" }));
    svg.append(s("text", { x: W - R, y: y(l.value) - 4, "text-anchor": "end", class: "threshold-label" }, `${l.name} ${l.value}`));
  }
  const legend = h("ul", { class: "legend" }, series.map((ser, i) => h("li", {}, h("span", { class: `swatch c${i % COLORS.length}` }), ser.name)));
  const rows = series.flatMap((ser) => [...ser.points].sort((a, b) => a[0] - b[0]).map(([t, v]) => h("tr", { dataset: { series: ser.name, time: String(t / 1000), value: String(v) } }, h("td", {}, ser.name), h("td", {}, when(t / 1000)), h("td", {}, String(v)))));
  const data = h(
    "details",
    { class: "datapoints" },
    h("summary", {}, `Datapoints (${rows.length})`),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Series"), h("th", {}, "Time"), h("th", {}, "Value"))), h("tbody", {}, rows)),
  );
  return h("figure", { class: "figure" }, h("figcaption", {}, title), svg, legend, data);
}
