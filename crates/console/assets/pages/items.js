// Items: a page of a Scan or Query at a time (the builder also writes the same call for the
// AWS CLI and boto3), an item editor (DynamoDB JSON or plain JSON, with a condition), PartiQL.
import { dynamodb } from "../aws.js";
import { h, fill, field, values, busy, page, load, link, code, errorBox } from "../ui.js";
import { enc } from "./tables.js";

// ---- DynamoDB JSON ⇄ plain JSON ----

/// Plain JSON → DynamoDB JSON. Numbers become N, and a plain document cannot say "set" or
/// "binary": those need DynamoDB JSON.
export function marshall(v) {
  if (v === null) return { NULL: true };
  if (typeof v === "string") return { S: v };
  if (typeof v === "number") return { N: String(v) };
  if (typeof v === "boolean") return { BOOL: v };
  if (Array.isArray(v)) return { L: v.map(marshall) };
  return { M: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, marshall(x)])) };
}

/// DynamoDB JSON → plain JSON, when nothing is lost (else null: sets, binary, numbers a
/// JavaScript number cannot hold exactly).
export function unmarshall(av) {
  const [[type, v]] = Object.entries(av);
  switch (type) {
    case "S": return v;
    case "N": {
      if (String(Number(v)) !== v) throw new Error("lossy");
      return Number(v);
    }
    case "BOOL": return v;
    case "NULL": return null;
    case "L": return v.map(unmarshall);
    case "M": return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unmarshall(x)]));
    default: throw new Error("lossy");
  }
}

function plainItem(item) {
  try {
    return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, unmarshall(v)]));
  } catch {
    return null;
  }
}

/// One attribute value in a cell.
function show(av) {
  const [[type, v]] = Object.entries(av);
  switch (type) {
    case "S": case "N": return v;
    case "BOOL": return String(v);
    case "NULL": return "null";
    case "B": return `<binary ${v.length * 0.75 | 0} B>`;
    case "SS": case "NS": return `{${v.join(", ")}}`;
    case "BS": return `{${v.length} binary}`;
    default: {
      const p = plainItem({ x: av });
      return JSON.stringify(p ? p.x : v);
    }
  }
}

// ---- the equivalent calls ----

function cliFlag(k) {
  return "--" + k.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
}

function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/// The same request for the AWS CLI and for boto3.
export function equivalents(operation, input) {
  const cmd = operation.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
  const cli = [`aws dynamodb ${cmd}`, `--endpoint-url ${location.origin}`];
  for (const [k, v] of Object.entries(input)) {
    if (typeof v === "boolean") cli.push(v ? cliFlag(k) : cliFlag(k).replace("--", "--no-"));
    else if (typeof v === "object") cli.push(`${cliFlag(k)} ${shellQuote(JSON.stringify(v))}`);
    else cli.push(`${cliFlag(k)} ${typeof v === "string" ? shellQuote(v) : v}`);
  }
  const py = (v) => JSON.stringify(v, null, 0).replace(/\btrue\b/g, "True").replace(/\bfalse\b/g, "False").replace(/\bnull\b/g, "None");
  const method = operation.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  const args = Object.entries(input).map(([k, v]) => `    ${k}=${py(v)},`);
  const boto3 = [
    "import boto3",
    `client = boto3.client("dynamodb", endpoint_url="${location.origin}")`,
    `response = client.${method}(`,
    ...args,
    ")",
  ].join("\n");
  return [h("h3", {}, "AWS CLI"), code(cli.join(" \\\n    ")), h("h3", {}, "boto3"), code(boto3)];
}

// ---- the builder ----

function indexKeys(t, indexName) {
  if (!indexName) return t.KeySchema;
  const idx = [...(t.GlobalSecondaryIndexes || []), ...(t.LocalSecondaryIndexes || [])].find((i) => i.IndexName === indexName);
  return idx ? idx.KeySchema : t.KeySchema;
}

function typed(t, name, text) {
  const type = t.AttributeDefinitions.find((d) => d.AttributeName === name)?.AttributeType || "S";
  return { [type]: text };
}

/// Parses a JSON field: plain values, or DynamoDB JSON when `typed` is ticked.
function parseValues(text, dynamo) {
  if (!text) return {};
  const obj = JSON.parse(text);
  return dynamo ? obj : Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, marshall(v)]));
}

/// The Scan or Query request the builder's fields describe.
export function request(t, v, startKey) {
  const input = { TableName: t.TableName };
  if (v.index) input.IndexName = v.index;
  const names = v.names ? JSON.parse(v.names) : {};
  const vals = parseValues(v.values, v.valuesTyped);
  if (v.mode === "Query") {
    const [hash, range] = indexKeys(t, v.index).map((k) => k.AttributeName);
    names["#pk"] = hash;
    vals[":pk"] = typed(t, hash, v.pk);
    let cond = "#pk = :pk";
    if (range && v.skOp) {
      names["#sk"] = range;
      vals[":sk"] = typed(t, range, v.sk);
      if (v.skOp === "between") {
        vals[":sk2"] = typed(t, range, v.sk2);
        cond += " AND #sk BETWEEN :sk AND :sk2";
      } else if (v.skOp === "begins_with") {
        cond += " AND begins_with(#sk, :sk)";
      } else {
        cond += ` AND #sk ${v.skOp} :sk`;
      }
    }
    input.KeyConditionExpression = cond;
    if (v.reverse) input.ScanIndexForward = false;
  }
  if (v.filter) input.FilterExpression = v.filter;
  if (v.projection) input.ProjectionExpression = v.projection;
  if (Object.keys(names).length) input.ExpressionAttributeNames = names;
  if (Object.keys(vals).length) input.ExpressionAttributeValues = vals;
  if (v.consistent) input.ConsistentRead = true;
  input.Limit = Number(v.limit) || 25;
  if (startKey) input.ExclusiveStartKey = startKey;
  return input;
}

/// `#/items/TABLE`: the builder and its results; `#/items` first picks a table.
export async function browse(el, name) {
  if (!name) {
    const { TableNames = [] } = await dynamodb("ListTables", { Limit: 100 });
    fill(el, page("Items", h("p", {}, "Choose a table:"), h("ul", {}, TableNames.map((n) => h("li", {}, link(`#/items/${enc(n)}`, n))))));
    return;
  }
  const { Table: t } = await dynamodb("DescribeTable", { TableName: name });
  const results = h("div", { class: "results", "aria-live": "polite" });
  const editor = h("div");
  const indexes = [...(t.GlobalSecondaryIndexes || []), ...(t.LocalSecondaryIndexes || [])].map((i) => i.IndexName);
  const keyHint = h("small", { class: "key-hint" });
  const form = h(
    "form",
    { "aria-label": "Scan or query" },
    h("div", { class: "row" },
      field("Operation", "mode", { options: ["Scan", "Query"] }),
      field("Index", "index", { options: [["", `${name} (table)`], ...indexes.map((i) => [i, i])] }),
      field("Page size", "limit", { type: "number", value: "25" }),
    ),
    h("fieldset", { class: "query-only" },
      h("legend", {}, "Key condition (Query)"),
      keyHint,
      h("div", { class: "row" },
        field("Partition key value", "pk"),
        field("Sort key condition", "skOp", { options: [["", "(none)"], "=", "<", "<=", ">", ">=", "between", "begins_with"] }),
        field("Sort key value", "sk"),
        field("…and (between)", "sk2"),
      ),
      field("Reverse order (ScanIndexForward = false)", "reverse", { type: "checkbox" }),
    ),
    field("Filter expression", "filter", { placeholder: "#s = :s AND price > :min" }),
    field("Projection expression", "projection"),
    h("div", { class: "row" },
      field("Expression attribute names (JSON)", "names", { placeholder: '{"#s": "status"}' }),
      field("Expression attribute values (JSON)", "values", { placeholder: '{":s": "open", ":min": 10}' }),
    ),
    field("Values are DynamoDB JSON", "valuesTyped", { type: "checkbox" }),
    field("Consistent read", "consistent", { type: "checkbox" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Run"), h("button", { type: "button", class: "secondary", onclick: () => fill(editor, itemEditor(t, null)) }, "Create item")),
  );
  const sync = () => {
    const v = values(form);
    form.querySelector(".query-only").hidden = v.mode !== "Query";
    const [hash, range] = indexKeys(t, v.index).map((k) => k.AttributeName);
    fill(keyHint, `Partition key: ${hash}${range ? `; sort key: ${range}` : ""}`);
  };
  form.addEventListener("change", sync);
  sync();
  const starts = [];
  const run = (i) =>
    load(results, async () => {
      const v = values(form);
      const input = request(t, v, starts[i]);
      const op = v.mode;
      const out = await dynamodb(op, { ...input, ReturnConsumedCapacity: "TOTAL" });
      starts[i + 1] = out.LastEvaluatedKey;
      return [
        h("p", {}, `${out.Count} item(s) returned, ${out.ScannedCount} scanned, ${out.ConsumedCapacity?.CapacityUnits ?? "?"} capacity units. Page ${i + 1}.`),
        itemsTable(t, out.Items || [], (item) => fill(editor, itemEditor(t, item))),
        h("div", { class: "actions" },
          i > 0 && h("button", { type: "button", class: "secondary", onclick: () => run(i - 1) }, "Previous page"),
          out.LastEvaluatedKey && h("button", { type: "button", class: "secondary", onclick: () => run(i + 1) }, "Next page"),
        ),
        h("details", { class: "equivalents" }, h("summary", {}, "The same call with the AWS CLI and boto3"), equivalents(op, input)),
      ];
    });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    starts.length = 0;
    run(0);
  });
  fill(el, page(`Items of ${name}`, h("p", {}, link(`#/table/${enc(name)}`, "Table details")), form, editor, results));
  run(0);
}

function itemsTable(t, items, edit) {
  if (!items.length) return h("p", { class: "empty" }, "No items.");
  const keys = t.KeySchema.map((k) => k.AttributeName);
  const cols = [...new Set([...keys, ...items.flatMap((i) => Object.keys(i))])];
  return h(
    "table",
    { class: "items" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), cols.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, items.map((item) =>
      h("tr", {},
        h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => edit(item), "aria-label": `Edit item ${keys.map((k) => item[k] && show(item[k])).join(" ")}` }, "Edit")),
        cols.map((c) => h("td", {}, item[c] ? show(item[c]) : "")),
      ),
    )),
  );
}

/// The editor of one item (a new one when `item` is null): PutItem with an optional
/// condition, DeleteItem by its key.
function itemEditor(t, item) {
  const keys = t.KeySchema.map((k) => k.AttributeName);
  const template = item || Object.fromEntries(keys.map((k) => [k, typed(t, k, "")]));
  const plain = plainItem(template);
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { "aria-label": "Item" },
    h("h2", {}, item ? "Edit item" : "Create item"),
    field("Format", "format", { options: [["dynamodb", "DynamoDB JSON"], ...(plain ? [["plain", "Plain JSON"]] : [])] }),
    field("Item", "item", { multiline: true, rows: 12, value: JSON.stringify(template, null, 2) }),
    field("Condition expression (optional)", "condition", { placeholder: "attribute_not_exists(pk)" }),
    h("div", { class: "row" },
      field("Expression attribute names (JSON)", "names"),
      field("Expression attribute values (DynamoDB JSON)", "values"),
    ),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Save item"),
      item && h("button", { type: "button", class: "danger", onclick: (ev) => remove(ev.target) }, "Delete item"),
      h("button", { type: "button", class: "secondary", onclick: () => fill(form.parentNode) }, "Close"),
    ),
    out,
  );
  const textarea = form.querySelector("textarea");
  let format = "dynamodb";
  form.querySelector("select[name=format]").addEventListener("change", (ev) => {
    try {
      const current = parseItem(textarea.value, format);
      format = ev.target.value;
      const shown = format === "plain" ? plainItem(current) : current;
      if (shown === null) throw new Error("This item has sets, binary or long numbers: only DynamoDB JSON shows them.");
      textarea.value = JSON.stringify(shown, null, 2);
    } catch (e) {
      ev.target.value = format;
      fill(out, errorBox(e));
    }
  });
  const conditional = (input, v) => {
    if (v.condition) input.ConditionExpression = v.condition;
    if (v.names) input.ExpressionAttributeNames = JSON.parse(v.names);
    if (v.values) input.ExpressionAttributeValues = JSON.parse(v.values);
    return input;
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(form.querySelector("button[type=submit]"), out, async () => {
      const v = values(form);
      await dynamodb("PutItem", conditional({ TableName: t.TableName, Item: parseItem(v.item, format) }, v));
      fill(out, h("p", { class: "notice" }, "Saved."));
    });
  });
  const remove = (button) =>
    busy(button, out, async () => {
      const v = values(form);
      const key = Object.fromEntries(keys.map((k) => [k, item[k]]));
      await dynamodb("DeleteItem", conditional({ TableName: t.TableName, Key: key }, v));
      fill(out, h("p", { class: "notice" }, "Deleted."));
    });
  return form;
}

function parseItem(text, format) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw Object.assign(new Error(`The item is not JSON: ${e.message}`), { code: "InvalidJSON" });
  }
  return format === "plain" ? Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, marshall(v)])) : parsed;
}

/// `#/partiql`: ExecuteStatement, a page at a time.
export function partiql(el) {
  const results = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { "aria-label": "PartiQL" },
    field("Statement", "statement", { multiline: true, rows: 5, placeholder: 'SELECT * FROM "orders" WHERE pk = ?' }),
    field("Parameters (a JSON list of DynamoDB JSON values)", "parameters", { placeholder: '[{"S": "o-1"}]' }),
    field("Consistent read", "consistent", { type: "checkbox" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Run")),
  );
  let token;
  const run = (next) =>
    load(results, async () => {
      const v = values(form);
      const input = { Statement: v.statement };
      if (v.parameters) input.Parameters = JSON.parse(v.parameters);
      if (v.consistent) input.ConsistentRead = true;
      if (next) input.NextToken = token;
      const out = await dynamodb("ExecuteStatement", input);
      token = out.NextToken;
      const items = out.Items || [];
      const cols = [...new Set(items.flatMap((i) => Object.keys(i)))];
      return [
        h("p", {}, `${items.length} item(s).`),
        items.length ? h("table", {}, h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, items.map((i) => h("tr", {}, cols.map((c) => h("td", {}, i[c] ? show(i[c]) : "")))))) : null,
        token && h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => run(true) }, "Next page")),
      ];
    });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    run(false);
  });
  fill(el, page("PartiQL", form, results));
}
