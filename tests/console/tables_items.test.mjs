// The console's tables, items, query builder, PartiQL and stream pages, driven in Chromium;
// what they did is checked with the AWS SDK on the same server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { startServer, openBrowser, screenshots, clients } from "./harness.mjs";

let server, browser, page, problems, sdk;
const shot = screenshots("tables-items");

before(async () => {
  server = await startServer();
  ({ browser, page, problems } = await openBrowser());
  sdk = clients(server.endpoint);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("GET / links a browser to the console", async () => {
  await page.goto(server.endpoint + "/");
  await page.getByRole("link", { name: "Open the console" }).click();
  await page.waitForURL(/\/console\/$/);
  await page.getByRole("heading", { name: "Tables" }).waitFor();
  const plain = await fetch(server.endpoint + "/");
  assert.equal(await plain.text(), "healthy: dynostack", "clients without HTML keep the health line");
  await shot(page, "front-page");
});

test("AWS's validation error is shown inline when a table cannot be created", async () => {
  await page.goto(server.endpoint + "/console/#/tables");
  await page.getByRole("button", { name: "Create table" }).click();
  const form = page.getByRole("form", { name: "Create table" });
  await form.getByLabel("Table name").fill("ab");
  await form.getByLabel("Partition key name").fill("pk");
  await form.getByRole("button", { name: "Create" }).click();
  const error = form.getByRole("alert");
  await error.waitFor();
  assert.match(await error.innerText(), /^ValidationException: TableName must be at least 3 characters long and at most 255 characters long$/);
  await shot(page, "create-table-error");
});

test("a table with a GSI and a stream is created from the console", async () => {
  await page.goto(server.endpoint + "/console/#/tables");
  await page.getByRole("button", { name: "Create table" }).click();
  const form = page.getByRole("form", { name: "Create table" });
  await form.getByLabel("Table name").fill("orders");
  await form.getByLabel("Partition key name").first().fill("pk");
  await form.getByLabel("Sort key (optional) name").first().fill("sk");
  await form.getByRole("button", { name: "Add global secondary index" }).click();
  const gsi = form.locator("fieldset.gsi");
  await gsi.getByLabel("Index name").fill("by_status");
  await gsi.getByLabel("Partition key name").fill("status");
  await form.getByLabel("Stream").selectOption("NEW_AND_OLD_IMAGES");
  await form.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(/#\/table\/orders$/);
  await page.getByRole("heading", { name: "Table orders" }).waitFor();
  await page.getByRole("cell", { name: "by_status" }).waitFor();
  await shot(page, "table-created");

  const { Table } = await sdk.dynamodb.send(new DescribeTableCommand({ TableName: "orders" }));
  assert.deepEqual(Table.KeySchema.map((k) => k.AttributeName), ["pk", "sk"]);
  assert.equal(Table.GlobalSecondaryIndexes[0].IndexName, "by_status");
  assert.deepEqual(Table.GlobalSecondaryIndexes[0].KeySchema, [{ AttributeName: "status", KeyType: "HASH" }]);
  assert.equal(Table.StreamSpecification.StreamViewType, "NEW_AND_OLD_IMAGES");
  assert.equal(Table.BillingModeSummary.BillingMode, "PAY_PER_REQUEST");
});

test("an item is put, then edited, from the item editor", async () => {
  await page.goto(server.endpoint + "/console/#/items/orders");
  await page.getByRole("button", { name: "Create item" }).click();
  const editor = page.getByRole("form", { name: "Item" });
  await editor.getByLabel("Item", { exact: true }).fill(JSON.stringify({ pk: { S: "o-1" }, sk: { S: "2026-12-07" }, status: { S: "open" }, total: { N: "42" } }));
  await editor.getByRole("button", { name: "Save item" }).click();
  await editor.getByText("Saved.").waitFor();

  await page.getByRole("form", { name: "Scan or query" }).getByRole("button", { name: "Run" }).click();
  await page.getByRole("cell", { name: "o-1", exact: true }).waitFor();
  await page.getByRole("button", { name: /^Edit item o-1/ }).click();
  const edit = page.getByRole("form", { name: "Item" });
  await edit.getByLabel("Format").selectOption("plain");
  const text = JSON.parse(await edit.getByLabel("Item", { exact: true }).inputValue());
  assert.deepEqual(text, { pk: "o-1", sk: "2026-12-07", status: "open", total: 42 });
  await edit.getByLabel("Item", { exact: true }).fill(JSON.stringify({ ...text, total: 45, note: "gift" }));
  // A condition that does not hold is refused with AWS's error, and nothing changes.
  await edit.getByLabel("Condition expression (optional)").fill("#total = :t");
  await edit.getByLabel("Expression attribute names (JSON)").fill('{"#total": "total"}');
  await edit.getByLabel("Expression attribute values (DynamoDB JSON)").fill('{":t": {"N": "1"}}');
  await edit.getByRole("button", { name: "Save item" }).click();
  await edit.getByRole("alert").filter({ hasText: "ConditionalCheckFailedException" }).waitFor();
  await shot(page, "item-condition-refused");
  await edit.getByLabel("Expression attribute values (DynamoDB JSON)").fill('{":t": {"N": "42"}}');
  await edit.getByRole("button", { name: "Save item" }).click();
  await edit.getByText("Saved.").waitFor();
  await shot(page, "item-edited");

  const { Item } = await sdk.dynamodb.send(new GetItemCommand({ TableName: "orders", Key: { pk: { S: "o-1" }, sk: { S: "2026-12-07" } } }));
  assert.deepEqual(Item.total, { N: "45" });
  assert.deepEqual(Item.note, { S: "gift" });
});

test("the query builder queries the GSI and shows the same call for the CLI and boto3", async () => {
  for (const [pk, status] of [["o-2", "shipped"], ["o-3", "open"]]) {
    await sdk.dynamodb.send(new PutItemCommand({ TableName: "orders", Item: { pk: { S: pk }, sk: { S: "2026-12-08" }, status: { S: status } } }));
  }
  await page.goto(server.endpoint + "/console/#/items/orders");
  const form = page.getByRole("form", { name: "Scan or query" });
  await form.getByLabel("Operation").selectOption("Query");
  await form.getByLabel("Index", { exact: true }).selectOption("by_status");
  await form.getByLabel("Partition key value").fill("open");
  await form.getByLabel("Filter expression").fill("attribute_exists(#n) OR pk = :p");
  await form.getByLabel("Expression attribute names (JSON)").fill('{"#n": "note"}');
  await form.getByLabel("Expression attribute values (JSON)").fill('{":p": "o-3"}');
  await form.getByRole("button", { name: "Run" }).click();
  await page.getByText(/2 item\(s\) returned, 2 scanned/).waitFor();
  const keys = await page.locator("table.items tbody tr td:nth-child(2)").allInnerTexts();
  assert.deepEqual(keys.sort(), ["o-1", "o-3"]);
  await page.getByText("The same call with the AWS CLI and boto3").click();
  const cli = await page.locator("details.equivalents pre").first().innerText();
  assert.match(cli, /aws dynamodb query/);
  assert.match(cli, /--index-name 'by_status'/);
  assert.match(cli, /--key-condition-expression '#pk = :pk'/);
  const boto3 = await page.locator("details.equivalents pre").nth(1).innerText();
  assert.match(boto3, /client\.query\(/);
  assert.match(boto3, /IndexName="by_status"/);
  await shot(page, "query-builder");
});

test("PartiQL statements run from the editor", async () => {
  await page.goto(server.endpoint + "/console/#/partiql");
  await page.getByLabel("Statement").fill(`SELECT pk, status FROM "orders" WHERE pk = ?`);
  await page.getByLabel("Parameters (a JSON list of DynamoDB JSON values)").fill('[{"S": "o-2"}]');
  await page.getByRole("button", { name: "Run" }).click();
  await page.getByRole("cell", { name: "shipped" }).waitFor();
  await shot(page, "partiql");
});

test("the live tail shows a record written after it started", async () => {
  await page.goto(server.endpoint + "/console/#/streams/orders");
  await page.getByRole("heading", { name: "Shards" }).waitFor();
  await page.getByRole("button", { name: "Start live tail" }).click();
  await page.getByText(/Following 1 shard/).waitFor();
  await sdk.dynamodb.send(new PutItemCommand({ TableName: "orders", Item: { pk: { S: "tailed" }, sk: { S: "x" }, status: { S: "new" } } }));
  const row = page.locator(".tail tbody tr").filter({ hasText: "pk=tailed" });
  await row.waitFor({ timeout: 10000 });
  assert.match(await row.innerText(), /INSERT/);
  await shot(page, "stream-tail");
  await page.getByRole("button", { name: "Stop live tail" }).click();
  // Reading the shard from its start shows every change, the console's own writes included.
  await page.getByRole("button", { name: "Read records" }).first().click();
  await page.getByRole("heading", { name: /^Records of / }).waitFor();
  const events = await page.locator(".shard-records tbody tr td:first-child").allInnerTexts();
  assert.deepEqual(events, ["INSERT", "MODIFY", "INSERT", "INSERT", "INSERT"]);
});

test("the tables page reads one page of 25 tables, however many there are", async () => {
  const names = Array.from({ length: 60 }, (_, i) => `many-${String(i).padStart(3, "0")}`);
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(names.slice(i, i + 10).map((TableName) =>
      sdk.dynamodb.send(new CreateTableCommand({ TableName, BillingMode: "PAY_PER_REQUEST", KeySchema: [{ AttributeName: "k", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "k", AttributeType: "S" }] }))));
  }
  const calls = [];
  const count = (r) => r.headers()["x-amz-target"] && calls.push(r.headers()["x-amz-target"].split(".")[1]);
  page.on("request", count);
  await page.goto(server.endpoint + "/console/#/tables");
  await page.getByText("Tables 1–25").waitFor();
  const tally = () => calls.filter((c) => c !== "GetCallerIdentity").reduce((m, c) => ((m[c] = (m[c] || 0) + 1), m), {});
  assert.deepEqual(tally(), { ListTables: 1, DescribeTable: 25 });
  calls.length = 0;
  await page.getByRole("button", { name: "Next page" }).click();
  await page.getByText("Tables 26–50").waitFor();
  assert.deepEqual(tally(), { ListTables: 1, DescribeTable: 25 });
  await page.getByRole("button", { name: "Next page" }).click();
  // The 60 and "orders" of the earlier tests.
  await page.getByText("Tables 51–61").waitFor();
  assert.equal(await page.getByRole("button", { name: "Next page" }).count(), 0);
  page.off("request", count);
  await shot(page, "tables-paged");
});

test("no page raised an error", () => {
  assert.deepEqual(problems, []);
});
