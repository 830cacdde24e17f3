// Tables: the list (a page of ListTables at a time, each described), a table's details and
// every change UpdateTable, UpdateTimeToLive, UpdateContinuousBackups and tagging make.
import { dynamodb, cloudwatch } from "../aws.js";
import { h, fill, table, facts, field, values, busy, page, section, load, link, when, bytes } from "../ui.js";

const PAGE = 25;
const KEY_TYPES = [["S", "String"], ["N", "Number"], ["B", "Binary"]];
const STREAM_VIEWS = ["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"];

export const enc = encodeURIComponent;

function capacity(t) {
  if (t.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST") return "On-demand";
  const p = t.ProvisionedThroughput || {};
  return `${p.ReadCapacityUnits ?? "—"} RCU / ${p.WriteCapacityUnits ?? "—"} WCU`;
}

function keys(schema, defs) {
  const type = (n) => defs?.find((d) => d.AttributeName === n)?.AttributeType;
  return schema.map((k) => `${k.AttributeName} (${type(k.AttributeName) || "?"}, ${k.KeyType === "HASH" ? "partition" : "sort"})`).join(", ");
}

/// `#/tables`: one page of tables at a time, so 10 000 tables load as fast as 25.
export async function list(el) {
  const body = h("div");
  const create = h("div");
  fill(
    el,
    page(
      "Tables",
      h("div", { class: "actions" }, h("button", { type: "button", onclick: () => fill(create, createForm()) }, "Create table")),
      create,
      body,
    ),
  );
  const starts = [undefined];
  const show = async (i) => {
    await load(body, async () => {
      const input = { Limit: PAGE };
      if (starts[i]) input.ExclusiveStartTableName = starts[i];
      const { TableNames = [], LastEvaluatedTableName } = await dynamodb("ListTables", input);
      starts[i + 1] = LastEvaluatedTableName;
      const described = await Promise.all(
        TableNames.map((n) => dynamodb("DescribeTable", { TableName: n }).then((d) => d.Table, (e) => ({ TableName: n, TableStatus: e.code }))),
      );
      return [
        table(
          [
            ["Name", (t) => link(`#/table/${enc(t.TableName)}`, t.TableName)],
            ["Status", (t) => t.TableStatus],
            ["Capacity", capacity],
            ["Items", (t) => t.ItemCount],
            ["Size", (t) => bytes(t.TableSizeBytes)],
            ["Indexes", (t) => [...(t.GlobalSecondaryIndexes || []).map((g) => g.IndexName + " (GSI)"), ...(t.LocalSecondaryIndexes || []).map((l) => l.IndexName + " (LSI)")].join(", ") || "—"],
            ["Stream", (t) => (t.StreamSpecification?.StreamEnabled ? t.StreamSpecification.StreamViewType : "—")],
            ["Encryption", (t) => t.SSEDescription?.SSEType || "AWS owned key"],
          ],
          described,
          { caption: `Tables ${i * PAGE + 1}–${i * PAGE + described.length}`, empty: "No tables in this region." },
        ),
        h(
          "div",
          { class: "actions" },
          i > 0 && h("button", { type: "button", class: "secondary", onclick: () => show(i - 1) }, "Previous page"),
          LastEvaluatedTableName && h("button", { type: "button", class: "secondary", onclick: () => show(i + 1) }, "Next page"),
        ),
      ];
    });
  };
  await show(0);
}

function keyFields(prefix, label, required) {
  return h(
    "div",
    { class: "row" },
    field(`${label} name`, `${prefix}Name`, { required }),
    field(`${label} type`, `${prefix}Type`, { options: KEY_TYPES }),
  );
}

function gsiFieldset(n) {
  return h(
    "fieldset",
    { class: "gsi", dataset: { n: String(n) } },
    h("legend", {}, `Global secondary index ${n + 1}`),
    field("Index name", `gsi${n}Name`, { required: true }),
    keyFields(`gsi${n}Hash`, "Partition key", true),
    keyFields(`gsi${n}Range`, "Sort key (optional)", false),
    field("Projection", `gsi${n}Projection`, { options: ["ALL", "KEYS_ONLY"] }),
    h("div", { class: "row" }, field("Read capacity (provisioned)", `gsi${n}Rcu`, { type: "number", value: "5" }), field("Write capacity (provisioned)", `gsi${n}Wcu`, { type: "number", value: "5" })),
  );
}

function createForm() {
  const out = h("div", { "aria-live": "polite" });
  const gsis = h("div");
  const form = h(
    "form",
    { "aria-label": "Create table" },
    h("h2", {}, "Create table"),
    field("Table name", "name", { required: true }),
    keyFields("hash", "Partition key", true),
    keyFields("range", "Sort key (optional)", false),
    field("Capacity mode", "billing", { options: [["PAY_PER_REQUEST", "On-demand"], ["PROVISIONED", "Provisioned"]] }),
    h("div", { class: "row" }, field("Read capacity units", "rcu", { type: "number", value: "5" }), field("Write capacity units", "wcu", { type: "number", value: "5" })),
    gsis,
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => gsis.append(gsiFieldset(gsis.children.length)) }, "Add global secondary index")),
    field("Stream", "stream", { options: [["", "Off"], ...STREAM_VIEWS.map((v) => [v, v])] }),
    field("Time to live attribute (optional)", "ttl"),
    field("Encryption key", "sse", { options: [["", "AWS owned key"], ["alias/aws/dynamodb", "AWS managed key (alias/aws/dynamodb)"], ["custom", "Customer managed key…"]] }),
    field("KMS key (ID, ARN or alias) for a customer managed key", "kmsKey"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create")),
    out,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = values(form);
    busy(form.querySelector("button[type=submit]"), out, async () => {
      const input = createInput(v, gsis.children.length);
      await dynamodb("CreateTable", input);
      if (v.ttl) {
        await waitActive(v.name);
        await dynamodb("UpdateTimeToLive", { TableName: v.name, TimeToLiveSpecification: { Enabled: true, AttributeName: v.ttl } });
      }
      location.hash = `#/table/${enc(v.name)}`;
    });
  });
  return form;
}

function createInput(v, gsiCount) {
  const defs = new Map();
  const schema = (hash, hashType, range, rangeType) => {
    const ks = [{ AttributeName: hash, KeyType: "HASH" }];
    defs.set(hash, hashType);
    if (range) {
      ks.push({ AttributeName: range, KeyType: "RANGE" });
      defs.set(range, rangeType);
    }
    return ks;
  };
  const provisioned = v.billing === "PROVISIONED";
  const input = { TableName: v.name, BillingMode: v.billing, KeySchema: schema(v.hashName, v.hashType, v.rangeName, v.rangeType) };
  if (provisioned) input.ProvisionedThroughput = { ReadCapacityUnits: Number(v.rcu), WriteCapacityUnits: Number(v.wcu) };
  if (gsiCount) {
    input.GlobalSecondaryIndexes = [...Array(gsiCount).keys()].map((n) => {
      const g = {
        IndexName: v[`gsi${n}Name`],
        KeySchema: schema(v[`gsi${n}HashName`], v[`gsi${n}HashType`], v[`gsi${n}RangeName`], v[`gsi${n}RangeType`]),
        Projection: { ProjectionType: v[`gsi${n}Projection`] },
      };
      if (provisioned) g.ProvisionedThroughput = { ReadCapacityUnits: Number(v[`gsi${n}Rcu`]), WriteCapacityUnits: Number(v[`gsi${n}Wcu`]) };
      return g;
    });
  }
  input.AttributeDefinitions = [...defs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
  if (v.stream) input.StreamSpecification = { StreamEnabled: true, StreamViewType: v.stream };
  if (v.sse) input.SSESpecification = { Enabled: true, SSEType: "KMS", ...(v.sse === "custom" ? { KMSMasterKeyId: v.kmsKey } : {}) };
  return input;
}

export async function waitActive(name, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await dynamodb("DescribeTable", { TableName: name });
    const busyIndex = (Table.GlobalSecondaryIndexes || []).some((g) => g.IndexStatus !== "ACTIVE");
    if (Table.TableStatus === "ACTIVE" && !busyIndex) return Table;
    if (Date.now() > end) return Table;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/// Consumed capacity per second over the last five whole minutes, as CloudWatch has it.
async function consumedNow(name) {
  const end = new Date();
  const start = new Date(end.getTime() - 5 * 60000);
  const get = (MetricName) =>
    cloudwatch("GetMetricStatistics", {
      Namespace: "AWS/DynamoDB", MetricName, Dimensions: [{ Name: "TableName", Value: name }],
      StartTime: start.getTime() / 1000, EndTime: end.getTime() / 1000, Period: 300, Statistics: ["Sum"],
    }).then((r) => ((r.Datapoints || []).reduce((s, d) => s + d.Sum, 0) / 300).toFixed(2), () => "—");
  return Promise.all([get("ConsumedReadCapacityUnits"), get("ConsumedWriteCapacityUnits")]);
}

/// `#/table/NAME`: everything DescribeTable and its neighbours say, and the changes.
export async function detail(el, name) {
  const body = h("div");
  fill(el, page(`Table ${name}`, h("p", {}, link(`#/items/${enc(name)}`, "Items"), " · ", link(`#/metrics/${enc(name)}`, "Metrics"), " · ", link(`#/streams/${enc(name)}`, "Stream"), " · ", link("#/tables", "All tables")), body));
  await load(body, async () => {
    const [{ Table: t }, ttl, pitr, [rcu, wcu]] = await Promise.all([
      dynamodb("DescribeTable", { TableName: name }),
      dynamodb("DescribeTimeToLive", { TableName: name }).catch((e) => ({ error: e })),
      dynamodb("DescribeContinuousBackups", { TableName: name }).catch((e) => ({ error: e })),
      consumedNow(name),
    ]);
    const tagList = await dynamodb("ListTagsOfResource", { ResourceArn: t.TableArn }).then((r) => r.Tags || [], (e) => e);
    const ttlDesc = ttl.TimeToLiveDescription || {};
    const pitrDesc = pitr.ContinuousBackupsDescription?.PointInTimeRecoveryDescription || {};
    const indexes = [
      ...(t.GlobalSecondaryIndexes || []).map((g) => ({ ...g, kind: "Global" })),
      ...(t.LocalSecondaryIndexes || []).map((l) => ({ ...l, kind: "Local", IndexStatus: "ACTIVE" })),
    ];
    return [
      section(
        "Overview",
        facts([
          ["Status", t.TableStatus],
          ["ARN", t.TableArn],
          ["Created", when(t.CreationDateTime)],
          ["Keys", keys(t.KeySchema, t.AttributeDefinitions)],
          ["Capacity mode", t.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST" ? "On-demand" : "Provisioned"],
          ["Provisioned", capacity(t)],
          ["Consumed now (per second, last 5 min)", `${rcu} RCU / ${wcu} WCU`],
          ["Items", t.ItemCount],
          ["Size", bytes(t.TableSizeBytes)],
          ["Stream", t.StreamSpecification?.StreamEnabled ? `${t.StreamSpecification.StreamViewType} · ${t.LatestStreamArn}` : "Off"],
          ["Time to live", ttl.error ? ttl.error.code : `${ttlDesc.TimeToLiveStatus}${ttlDesc.AttributeName ? " on " + ttlDesc.AttributeName : ""}`],
          ["Encryption", t.SSEDescription ? `${t.SSEDescription.SSEType || ""} ${t.SSEDescription.Status || ""} ${t.SSEDescription.KMSMasterKeyArn || ""}` : "AWS owned key"],
          ["Point-in-time recovery", pitr.error ? pitr.error.code : `${pitrDesc.PointInTimeRecoveryStatus}${pitrDesc.EarliestRestorableDateTime ? ` · ${when(pitrDesc.EarliestRestorableDateTime)} to ${when(pitrDesc.LatestRestorableDateTime)}` : ""}`],
          ["Deletion protection", t.DeletionProtectionEnabled ? "On" : "Off"],
          ["Tags", Array.isArray(tagList) ? tagList.map((x) => `${x.Key}=${x.Value}`).join(", ") || "—" : tagList.code],
        ]),
      ),
      section(
        "Indexes",
        table(
          [
            ["Name", (i) => i.IndexName],
            ["Type", (i) => i.kind],
            ["Keys", (i) => keys(i.KeySchema, t.AttributeDefinitions)],
            ["Projection", (i) => i.Projection?.ProjectionType],
            ["Status", (i) => i.IndexStatus + (i.Backfilling ? " (backfilling)" : "")],
            ["Capacity", (i) => (i.ProvisionedThroughput?.ReadCapacityUnits ? `${i.ProvisionedThroughput.ReadCapacityUnits} RCU / ${i.ProvisionedThroughput.WriteCapacityUnits} WCU` : "—")],
            ["Items", (i) => i.ItemCount],
            ["", (i) => i.kind === "Global" && action("Delete index", "danger", () => dynamodb("UpdateTable", { TableName: name, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: i.IndexName } }] }))],
          ],
          indexes,
          { empty: "No secondary indexes." },
        ),
      ),
      changes(t, ttlDesc, pitrDesc),
    ];
  });
}

/// A button that runs one call, shows its error next to it, and reloads the page on success.
function action(label, kind, call) {
  const out = h("span", { "aria-live": "polite" });
  const b = h("button", { type: "button", class: kind }, label);
  b.addEventListener("click", () => busy(b, out, async () => {
    await call();
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  }));
  return h("span", {}, b, out);
}

/// A small form whose submit runs `call(values)`.
function change(title, fields, call, submit = "Save") {
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { "aria-label": title }, h("h3", {}, title), fields, h("div", { class: "actions" }, h("button", { type: "submit" }, submit)), out);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(form.querySelector("button[type=submit]"), out, async () => {
      await call(values(form));
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
  });
  return form;
}

function changes(t, ttl, pitr) {
  const name = t.TableName;
  const provisioned = t.BillingModeSummary?.BillingMode !== "PAY_PER_REQUEST";
  const p = t.ProvisionedThroughput || {};
  return section(
    "Change",
    change(
      "Capacity",
      [
        field("Capacity mode", "billing", { options: [["PAY_PER_REQUEST", "On-demand"], ["PROVISIONED", "Provisioned"]], value: provisioned ? "PROVISIONED" : "PAY_PER_REQUEST" }),
        h("div", { class: "row" }, field("Read capacity units", "rcu", { type: "number", value: String(p.ReadCapacityUnits || 5) }), field("Write capacity units", "wcu", { type: "number", value: String(p.WriteCapacityUnits || 5) })),
      ],
      (v) => {
        const input = { TableName: name };
        if (v.billing !== (provisioned ? "PROVISIONED" : "PAY_PER_REQUEST")) input.BillingMode = v.billing;
        if (v.billing === "PROVISIONED") input.ProvisionedThroughput = { ReadCapacityUnits: Number(v.rcu), WriteCapacityUnits: Number(v.wcu) };
        return dynamodb("UpdateTable", input);
      },
    ),
    change(
      "Stream",
      [field("Stream", "stream", { options: [["", "Off"], ...STREAM_VIEWS.map((x) => [x, x])], value: t.StreamSpecification?.StreamEnabled ? t.StreamSpecification.StreamViewType : "" })],
      (v) => dynamodb("UpdateTable", { TableName: name, StreamSpecification: v.stream ? { StreamEnabled: true, StreamViewType: v.stream } : { StreamEnabled: false } }),
    ),
    change(
      "Time to live",
      [field("Attribute", "attr", { value: ttl.AttributeName || "" }), field("Enabled", "enabled", { type: "checkbox", value: ttl.TimeToLiveStatus === "ENABLED" || ttl.TimeToLiveStatus === "ENABLING" })],
      (v) => dynamodb("UpdateTimeToLive", { TableName: name, TimeToLiveSpecification: { Enabled: v.enabled, AttributeName: v.attr } }),
    ),
    change(
      "Point-in-time recovery",
      [field("Enabled", "enabled", { type: "checkbox", value: pitr.PointInTimeRecoveryStatus === "ENABLED" })],
      (v) => dynamodb("UpdateContinuousBackups", { TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: v.enabled } }),
    ),
    change(
      "Add a global secondary index",
      [gsiFieldset(0)],
      (v) => {
        const g = createInput({ ...v, name, billing: provisioned ? "PROVISIONED" : "PAY_PER_REQUEST", hashName: t.KeySchema[0].AttributeName, hashType: "S" }, 1);
        const index = g.GlobalSecondaryIndexes[0];
        const defs = g.AttributeDefinitions.filter((d) => index.KeySchema.some((k) => k.AttributeName === d.AttributeName));
        return dynamodb("UpdateTable", { TableName: name, AttributeDefinitions: defs, GlobalSecondaryIndexUpdates: [{ Create: index }] });
      },
      "Add index",
    ),
    change(
      "Tags",
      [h("div", { class: "row" }, field("Key", "key", { required: true }), field("Value", "value"))],
      (v) => dynamodb("TagResource", { ResourceArn: t.TableArn, Tags: [{ Key: v.key, Value: v.value }] }),
      "Add tag",
    ),
    change(
      "Delete table",
      [field(`Type the table's name (${name}) to confirm`, "confirm", { required: true })],
      async (v) => {
        if (v.confirm !== name) throw Object.assign(new Error("The name typed is not the table's."), { code: "NotConfirmed" });
        await dynamodb("DeleteTable", { TableName: name });
        location.hash = "#/tables";
      },
      "Delete table",
    ),
  );
}
