// The Streams page's triggers: each `serve --trigger TABLE=COMMAND`'s checkpoint, which must be
// the sequence number after the last record the command received.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateTableCommand, PutItemCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { startServer, openBrowser, screenshots, clients } from "./harness.mjs";

let server, browser, page, problems, sdk, dir;
const shot = screenshots("triggers");

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "dynostack-console-trigger-"));
  server = await startServer(["--in-memory", "--trigger", `orders=cat >> ${dir}/events.jsonl; echo >> ${dir}/events.jsonl`]);
  ({ browser, page, problems } = await openBrowser());
  sdk = clients(server.endpoint);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/// The records the trigger's command received, in order.
function delivered() {
  const file = path.join(dir, "events.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).flatMap((l) => JSON.parse(l).Records);
}

test("the trigger's checkpoint is the sequence number after the last record delivered", async () => {
  await sdk.dynamodb.send(new CreateTableCommand({
    TableName: "orders", BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
  }));
  await waitUntilTableExists({ client: sdk.dynamodb, maxWaitTime: 30, minDelay: 1 }, { TableName: "orders" });
  for (const pk of ["a", "b", "c"]) {
    await sdk.dynamodb.send(new PutItemCommand({ TableName: "orders", Item: { pk: { S: pk } } }));
  }
  const deadline = Date.now() + 20000;
  while (delivered().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const records = delivered();
  assert.deepEqual(records.map((r) => r.dynamodb.Keys.pk.S), ["a", "b", "c"]);
  const next = (BigInt(records[2].dynamodb.SequenceNumber) + 1n).toString();

  await page.goto(server.endpoint + "/console/#/streams");
  const row = page.locator("section", { has: page.getByRole("heading", { name: "Triggers" }) }).locator("tbody tr");
  await row.filter({ hasText: next }).waitFor({ timeout: 10000 });
  const cells = await row.first().locator("td").allInnerTexts();
  assert.equal(cells[0], "orders");
  assert.match(cells[1], /^cat >> /);
  assert.equal(cells[2], next);
  assert.equal(cells[4], "0");
  await shot(page, "trigger-checkpoint");
});

test("no page raised an error", () => {
  assert.deepEqual(problems, []);
});
