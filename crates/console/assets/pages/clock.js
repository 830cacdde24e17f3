// The test clock (`serve --test-clock`): the installation's simulated time, and moving it forward.
// Each move runs every background step due meanwhile (DynamoDB's metrics, alarm evaluations, TTL,
// backups…) before it answers, so what the pages show afterwards is as of the new time.
import { clock, advanceClock } from "../aws.js";
import { h, fill, facts, field, values, busy, page, section, when, errorBox } from "../ui.js";
import { offsetText } from "./metrics.js";

const STEPS = [[60, "1 minute"], [300, "5 minutes"], [3600, "1 hour"], [86400, "1 day"]];
/// The server's limit on one move.
const MAX_SECONDS = 400 * 86400;

function shown(c) {
  return h(
    "div",
    { class: "clock-now", dataset: { epoch: String(c.epoch_seconds), offset: String(c.offset_seconds) } },
    facts([
      ["Now (installation clock)", h("time", { datetime: c.now }, c.now)],
      ["Epoch seconds", String(c.epoch_seconds)],
      ["Ahead of real time by", `${offsetText(c.offset_seconds)} (${c.offset_seconds} s)`],
    ]),
  );
}

/// `#/clock`.
export async function render(el) {
  let c;
  try {
    c = await clock();
  } catch (e) {
    fill(el, page("Clock", errorBox(e)));
    return;
  }
  if (!c) {
    fill(
      el,
      page(
        "Clock",
        h("p", { class: "notice" }, "This server runs on the real clock: time cannot be moved here."),
        h("p", {}, "Start it with ", h("code", {}, "dynostack serve --test-clock"), " to travel in time: the clock can then be moved forward (never back) from this page or with POST /_dynostack/clock/advance, and every background step due meanwhile — published metrics, alarm evaluations, TTL deletions, scheduled backups, scaling — runs at its due time."),
        facts([["Now (this browser)", when(Date.now() / 1000)]]),
      ),
    );
    return;
  }
  const now = h("div", { "aria-live": "polite" }, shown(c));
  const out = h("div", { "aria-live": "polite" });
  const move = (seconds, button) =>
    busy(button, out, async () => {
      const before = c;
      fill(out, h("p", { class: "loading" }, `Moving the clock forward by ${offsetText(seconds)}; running the work due meanwhile…`));
      c = await advanceClock(seconds);
      fill(now, shown(c));
      fill(out, h("p", { class: "notice", role: "status" }, `Moved forward by ${offsetText(seconds)}: from ${before.now} to ${c.now}.`));
    });
  const buttons = STEPS.map(([s, label]) => {
    const b = h("button", { type: "button", dataset: { seconds: String(s) } }, `+ ${label}`);
    b.addEventListener("click", () => move(s, b));
    return b;
  });
  const custom = h(
    "form",
    { "aria-label": "Advance by seconds", class: "row" },
    field("Seconds", "seconds", { type: "number", value: "30", hint: `From 1 to ${MAX_SECONDS} (400 days)` }),
    h("div", { class: "field button" }, h("button", { type: "submit" }, "Advance")),
  );
  const input = custom.querySelector("input");
  input.min = "1";
  input.max = String(MAX_SECONDS);
  input.step = "any";
  custom.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const seconds = Number(values(custom).seconds);
    const button = custom.querySelector("button[type=submit]");
    if (!(seconds > 0 && seconds <= MAX_SECONDS)) {
      fill(out, errorBox({ code: "InvalidSeconds", message: `Give a number of seconds from 1 to ${MAX_SECONDS}.` }));
      return;
    }
    move(seconds, button);
  });
  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
  refresh.addEventListener("click", () =>
    busy(refresh, out, async () => {
      c = (await clock()) || c;
      fill(now, shown(c));
    }),
  );
  fill(
    el,
    page(
      "Clock",
      h("p", {}, "The server runs on a test clock (", h("code", {}, "serve --test-clock"), "): its time is the real time plus an offset that only grows. Moving it forward runs every background step due meanwhile (DynamoDB's per-minute metrics, alarm evaluations, TTL, backups, scaling) at its due time, then answers."),
      section("Installation time", now, h("div", { class: "actions" }, refresh)),
      section("Move forward", h("div", { class: "actions", role: "group", "aria-label": "Advance by" }, buttons), custom, out),
    ),
  );
}
