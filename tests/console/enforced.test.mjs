// In enforced mode (serve --credentials) the console is a client like any other: it asks for an
// access key pair, signs every request with it, and is refused when the key is wrong.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { startServer, openBrowser, screenshots } from "./harness.mjs";

const KEY = "AKIACONSOLETEST00001";
const SECRET = "console/secret/for/tests/only/000000000";

let server, browser, page, problems, dir;
const shot = screenshots("enforced");
const signatures = [];

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "dynostack-console-keys-"));
  const creds = path.join(dir, "credentials");
  writeFileSync(creds, `[default]\naws_access_key_id = ${KEY}\naws_secret_access_key = ${SECRET}\n`);
  server = await startServer(["--in-memory", "--credentials", creds]);
  ({ browser, page, problems } = await openBrowser());
  page.on("request", (r) => {
    if (r.method() === "POST") signatures.push(r.headers()["authorization"] || "(none)");
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("without a key the console is refused and offers to sign in", async () => {
  await page.goto(server.endpoint + "/console/#/tables");
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /^UnrecognizedClientException: The security token included in the request is invalid/);
  await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
  await shot(page, "refused-without-key");
});

async function signIn(secret) {
  await page.goto(server.endpoint + "/console/#/signin");
  const form = page.getByRole("form", { name: "Credentials" });
  await form.getByLabel("Access key ID").fill(KEY);
  await form.getByLabel("Secret access key").fill(secret);
  await form.getByRole("button", { name: "Sign in" }).click();
}

test("a wrong secret is refused with AWS's signature error", async () => {
  signatures.length = 0;
  await signIn("not-the-secret");
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /^SignatureDoesNotMatch: The request signature we calculated does not match/);
  await shot(page, "wrong-secret");
  // It was signed, with the key given: the server refused the signature, not a missing one.
  assert.ok(signatures.length > 0);
  for (const s of signatures) assert.match(s, new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY}/\\d{8}/us-east-1/sts/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`));
  await page.goto(server.endpoint + "/console/#/tables");
  await page.getByRole("alert").waitFor();
});

test("the right key signs every request and the pages work", async () => {
  await signIn(SECRET);
  await page.getByText("Signed in.").waitFor();
  await page.getByText(`Signed in as arn:aws:iam::`).waitFor();
  signatures.length = 0;
  await page.goto(server.endpoint + "/console/#/tables");
  await page.getByRole("button", { name: "Create table" }).click();
  const form = page.getByRole("form", { name: "Create table" });
  await form.getByLabel("Table name").fill("signed");
  await form.getByLabel("Partition key name").fill("pk");
  await form.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(/#\/table\/signed$/);
  await page.getByText("ACTIVE").first().waitFor();
  await shot(page, "signed-in");
  assert.ok(signatures.some((s) => s.includes("/dynamodb/aws4_request")));
  for (const s of signatures) assert.match(s, new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY}/`));
});

test("no page raised an error", () => {
  assert.deepEqual(problems, []);
});
