// The console's monitoring pages against the APIs: a provisioned table's metrics plotted with
// exactly the Sums GetMetricStatistics returns, a dashboard's metric widget, and a metric alarm
// whose state changes while the test clock is moved from the console's Clock page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, openBrowser, screenshots, clients, advance } from "./harness.mjs";
import { CreateTableCommand, DescribeTableCommand, PutItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  GetMetricStatisticsCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  DescribeAlarmsCommand,
  DescribeAlarmHistoryCommand,
} from "@aws-sdk/client-cloudwatch";

const TABLE = "orders";
const ALARM = "orders-writes-high";
const BOARD = "orders-board";
const WRITES_CAPTION = "ConsumedWriteCapacityUnits · Sum per period";
const READS_CAPTION = "ConsumedReadCapacityUnits · Sum per period";

/// The test clock's time, in epoch seconds.
async function clockNow(endpoint) {
  const r = await fetch(`${endpoint}/_dynostack/clock`);
  assert.equal(r.status, 200, "the server runs with --test-clock");
  return (await r.json()).epoch_seconds;
}

/// Seconds to move the clock so that it is `into` seconds past a minute boundary, at least
/// `minutes` boundaries later: DynamoDB publishes at each boundary, and a page read well inside a
/// minute cannot race the next one.
function toBoundary(now, minutes, into = 5) {
  return (Math.floor(now / 60) + minutes) * 60 + into - now;
}

/// The datapoints a plot shows (its datapoints table), `[[epochSeconds, value]]`, for one series.
async function plotted(page, caption, series) {
  const figure = page.locator("figure.figure", { has: page.locator("figcaption", { hasText: caption }) });
  await figure.locator("svg.plot").waitFor();
  const rows = await figure.locator("tr[data-series]").evaluateAll((trs) => trs.map((tr) => ({ series: tr.dataset.series, time: Number(tr.dataset.time), value: Number(tr.dataset.value) })));
  return rows.filter((r) => r.series === series).map((r) => [r.time, r.value]);
}

async function sdkSums(cloudwatch, metric, { start, end, period }) {
  const { Datapoints = [] } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: "AWS/DynamoDB",
      MetricName: metric,
      Dimensions: [{ Name: "TableName", Value: TABLE }],
      StartTime: new Date(start * 1000),
      EndTime: new Date(end * 1000),
      Period: period,
      Statistics: ["Sum"],
    }),
  );
  return Datapoints.map((d) => [d.Timestamp.getTime() / 1000, d.Sum]).sort((a, b) => a[0] - b[0]);
}

async function alarmState(cloudwatch) {
  const { MetricAlarms } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }));
  return MetricAlarms[0].StateValue;
}

async function writes(dynamodb, n, prefix) {
  for (let i = 0; i < n; i++) {
    await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `${prefix}-${i}` }, note: { S: "small item: one write unit" } } }));
  }
}

/// Clicks one of the Clock page's buttons and waits for its answer; returns the new time.
async function clickAdvance(page, button) {
  const before = Number(await page.locator(".clock-now").getAttribute("data-epoch"));
  await button.click();
  await page.locator(".notice", { hasText: "Moved forward" }).waitFor();
  await page.waitForFunction((b) => Number(document.querySelector(".clock-now")?.dataset.epoch) > b, before);
  return Number(await page.locator(".clock-now").getAttribute("data-epoch"));
}

test("monitoring: metrics as CloudWatch has them, dashboards, alarms moved by the Clock page", async (t) => {
  const server = await startServer();
  let browser;
  try {
    const opened = await openBrowser();
    browser = opened.browser;
    const { page, problems } = opened;
    const shot = screenshots("monitoring");
    const { dynamodb, cloudwatch } = clients(server.endpoint);
    const base = `${server.endpoint}/console/`;
    let failed = false;
    const step = async (name, fn) => {
      await t.test(name, { skip: failed && "an earlier step failed" }, async () => {
        try {
          await fn();
        } catch (e) {
          failed = true;
          await shot(page, `failed-${name.replace(/\W+/g, "-")}`).catch(() => {});
          throw e;
        }
      });
    };

    await step("a provisioned table is used, and the clock moves past three minute boundaries", async () => {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: TABLE,
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PROVISIONED",
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
        }),
      );
      for (let i = 0; i < 100; i++) {
        const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));
        if (Table.TableStatus === "ACTIVE") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await writes(dynamodb, 6, "first");
      for (let i = 0; i < 4; i++) await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `first-${i}` } } }));
      await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "first-0" } }, ConsistentRead: true }));
      await advance(server.endpoint, toBoundary(await clockNow(server.endpoint), 3));
      await page.goto(`${base}#/table/${TABLE}`);
      await page.locator("dt", { hasText: "Consumed now" }).waitFor();
      await shot(page, "table");
    });

    await step("the metrics page plots the Sums GetMetricStatistics returns", async () => {
      await page.goto(`${base}#/metrics/${TABLE}`);
      await page.locator("h1", { hasText: `Metrics · ${TABLE}` }).waitFor();
      const range = page.locator(".range[data-start]");
      await range.waitFor();
      const r = {
        start: Number(await range.getAttribute("data-start")),
        end: Number(await range.getAttribute("data-end")),
        period: Number(await range.getAttribute("data-period")),
      };
      assert.equal(r.period, 60, "one hour is shown in one-minute periods");
      assert.equal(r.end - r.start >= 3600, true);
      for (const [caption, metric, total] of [
        [WRITES_CAPTION, "ConsumedWriteCapacityUnits", 6],
        [READS_CAPTION, "ConsumedReadCapacityUnits", 3],
      ]) {
        const shown = await plotted(page, caption, `${metric} (Sum)`);
        const api = await sdkSums(cloudwatch, metric, r);
        assert.deepEqual(shown, api, `${metric}: the console's datapoints are GetMetricStatistics'`);
        assert.ok(api.length >= 3, `${metric}: a datapoint for each published minute (${api.length})`);
        assert.equal(
          api.reduce((s, [, v]) => s + v, 0),
          total,
          `${metric}: 6 one-unit writes / 4 eventually consistent reads at ½ unit and a strongly consistent one`,
        );
      }
      // The per-second plot divides the same Sums by the period.
      const perSecond = await plotted(page, "Write capacity units per second: consumed vs provisioned", "Consumed (Sum ÷ 60 s)");
      const api = await sdkSums(cloudwatch, "ConsumedWriteCapacityUnits", r);
      assert.deepEqual(perSecond, api.map(([t, v]) => [t, v / 60]));
      await page.locator("figure", { has: page.locator("figcaption", { hasText: WRITES_CAPTION }) }).locator("summary").click();
      await page.locator("figure", { has: page.locator("figcaption", { hasText: "SuccessfulRequestLatency" }) }).locator("svg").waitFor();
      await shot(page, "metrics-table");
    });

    await step("a dashboard's metric widget is plotted", async () => {
      await cloudwatch.send(
        new PutDashboardCommand({
          DashboardName: BOARD,
          DashboardBody: JSON.stringify({
            widgets: [
              { type: "text", x: 0, y: 0, width: 24, height: 2, properties: { markdown: "# Orders\nWrites and reads of the orders table." } },
              {
                type: "metric",
                x: 0,
                y: 2,
                width: 12,
                height: 6,
                properties: {
                  title: "Orders capacity",
                  region: "us-east-1",
                  stat: "Sum",
                  period: 60,
                  metrics: [
                    ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", TABLE],
                    [".", "ConsumedReadCapacityUnits", ".", "."],
                    ["...", { stat: "Maximum", label: "Largest read" }],
                  ],
                  annotations: { horizontal: [{ label: "Budget", value: 4 }] },
                },
              },
            ],
          }),
        }),
      );
      await page.reload();
      await page.getByRole("button", { name: BOARD }).click();
      await page.locator("h3", { hasText: `Dashboard ${BOARD}` }).waitFor();
      const figure = page.locator("figure", { has: page.locator("figcaption", { hasText: "Orders capacity" }) });
      await figure.locator("svg.plot").waitFor();
      const names = await figure.locator(".legend li").allTextContents();
      assert.deepEqual(names, ["ConsumedWriteCapacityUnits orders (Sum, 60 s)", "ConsumedReadCapacityUnits orders (Sum, 60 s)", "Largest read (Maximum, 60 s)"]);
      const writesShown = await plotted(page, "Orders capacity", "ConsumedWriteCapacityUnits orders (Sum, 60 s)");
      assert.equal(writesShown.reduce((s, [, v]) => s + v, 0), 6);
      assert.equal(await figure.locator("line.threshold").count(), 1, "the horizontal annotation is drawn");
      await page.locator(".widget pre", { hasText: "Writes and reads of the orders table." }).waitFor();
      await page.locator("h3", { hasText: `Dashboard ${BOARD}` }).scrollIntoViewIfNeeded();
      await shot(page, "dashboard");
    });

    await step("a new metric alarm is listed in its first state", async () => {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: ALARM,
          AlarmDescription: "More than 5 write units in a minute",
          Namespace: "AWS/DynamoDB",
          MetricName: "ConsumedWriteCapacityUnits",
          Dimensions: [{ Name: "TableName", Value: TABLE }],
          Statistic: "Sum",
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 5,
          ComparisonOperator: "GreaterThanThreshold",
        }),
      );
      const before = await alarmState(cloudwatch);
      await page.goto(`${base}#/alarms`);
      const row = page.locator("tr", { has: page.locator(`a[href="#/alarms/${ALARM}"]`) });
      await row.waitFor();
      const firstState = (await row.locator(".state").textContent()).trim();
      // A new alarm is INSUFFICIENT_DATA until the evaluator first looks at it (which a real-time
      // poll may do at any moment): the console shows DescribeAlarms' state of that moment.
      assert.ok([before, await alarmState(cloudwatch)].includes(firstState), `the console shows DescribeAlarms' state (${firstState})`);
      assert.notEqual(firstState, "ALARM");
      assert.equal(await row.locator(`.state-${firstState}`).count(), 1);
      assert.match(await row.textContent(), /AWS\/DynamoDB ConsumedWriteCapacityUnits \(TableName=orders\)/);
      assert.match(await row.textContent(), /Sum > \(GreaterThanThreshold\)/);
      await shot(page, "alarm-listed");
    });

    await step("the Clock page moves time: the idle minute makes the alarm OK", async () => {
      await page.goto(`${base}#/clock`);
      await page.locator(".clock-now").waitFor();
      const before = Number(await page.locator(".clock-now").getAttribute("data-epoch"));
      assert.ok(Math.abs(before - (await clockNow(server.endpoint))) < 5, "the page shows the server's clock");
      const after = await clickAdvance(page, page.getByRole("button", { name: "+ 1 minute" }));
      assert.ok(after >= before + 60, `moved a minute: ${before} → ${after}`);
      await shot(page, "clock-one-minute");
      assert.equal(await alarmState(cloudwatch), "OK", "an evaluated minute without writes is OK");
    });

    await step("writes in three minutes, moved with the custom seconds, put the alarm in ALARM", async () => {
      // First to 5 s past a minute boundary (the custom field), so that each minute's ten writes
      // fall in that minute.
      const now = await clockNow(server.endpoint);
      const seconds = toBoundary(now, 1);
      await page.locator("input[name=seconds]").fill(String(seconds));
      await clickAdvance(page, page.getByRole("button", { name: "Advance", exact: true }));
      for (let minute = 0; minute < 3; minute++) {
        await writes(dynamodb, 10, `burst${minute}`);
        await clickAdvance(page, page.getByRole("button", { name: "+ 1 minute" }));
      }
      await shot(page, "clock-moved");
      assert.equal(await alarmState(cloudwatch), "ALARM");
    });

    await step("the alarm page shows ALARM, its metric against the threshold, and its history", async () => {
      await page.goto(`${base}#/alarms/${ALARM}`);
      await page.locator(".state-line .state-ALARM").waitFor();
      const figure = page.locator("figure", { has: page.locator("figcaption", { hasText: "ConsumedWriteCapacityUnits · Sum" }) });
      await figure.locator("svg.plot").waitFor();
      assert.equal(await figure.locator("line.threshold").count(), 1, "the threshold is drawn");
      const points = await plotted(page, "ConsumedWriteCapacityUnits · Sum", "ConsumedWriteCapacityUnits (Sum per 60 s)");
      assert.deepEqual(points.map(([, v]) => v), [10], "the evaluated minute: ten one-unit writes");
      // Ten periods: one-minute periods are GetMetricStatistics' own.
      await page.locator("select[name=periods]").selectOption("10");
      await page.locator('.range[data-start]').waitFor();
      await page.waitForFunction(() => {
        const r = document.querySelector(".range[data-start]");
        return r && Number(r.dataset.end) - Number(r.dataset.start) === 600;
      });
      const range = page.locator(".range[data-start]");
      const r = { start: Number(await range.getAttribute("data-start")), end: Number(await range.getAttribute("data-end")), period: 60 };
      const ten = await plotted(page, "ConsumedWriteCapacityUnits · Sum", "ConsumedWriteCapacityUnits (Sum per 60 s)");
      assert.deepEqual(ten, await sdkSums(cloudwatch, "ConsumedWriteCapacityUnits", r));
      assert.deepEqual(ten.slice(-2).map(([, v]) => v), [10, 10], "the two bursts before the evaluated range's end");
      const items = page.locator(".timeline li");
      await items.first().waitFor();
      const shown = await items.evaluateAll((lis) => lis.map((li) => ({ type: li.dataset.type, summary: li.querySelector(".summary-text").textContent })));
      const { AlarmHistoryItems } = await cloudwatch.send(new DescribeAlarmHistoryCommand({ AlarmName: ALARM }));
      assert.deepEqual(
        shown,
        AlarmHistoryItems.map((i) => ({ type: i.HistoryItemType, summary: i.HistorySummary })),
        "the timeline is DescribeAlarmHistory's, newest first",
      );
      assert.equal(shown[0].type, "StateUpdate");
      assert.equal(shown[0].summary, "Alarm updated from OK to ALARM");
      assert.ok(shown.some((i) => i.type === "ConfigurationUpdate"), "the alarm's creation is in its history");
      await shot(page, "alarm-detail");
      await page.getByRole("link", { name: "All alarms" }).click();
      const row = page.locator("tr", { has: page.locator(`a[href="#/alarms/${ALARM}"]`) });
      await row.locator(".state-ALARM").waitFor();
      await shot(page, "alarm-list-in-alarm");
    });

    await step("without --test-clock the Clock page says the server runs on the real clock", async () => {
      const real = await startServer(["--in-memory"]);
      try {
        await page.goto(`${real.endpoint}/console/#/clock`);
        await page.locator("p.notice", { hasText: "real clock" }).waitFor();
        assert.equal(await page.getByRole("button", { name: "+ 1 minute" }).count(), 0);
        await shot(page, "clock-real");
      } finally {
        await real.stop();
      }
    });

    assert.deepEqual(problems, [], "no page errors");
  } finally {
    await browser?.close();
    await server.stop();
  }
});
