// What every console test needs: a private server on 127.0.0.1 (stopped by the test), the
// system's Chromium driven by playwright-core, screenshots under target/console-tests/, and AWS
// SDK clients to check what the console shows against what the APIs answer.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const OUT = path.join(ROOT, "target", "console-tests");

/// Starts `dynostack serve` on an ephemeral port (in memory, with the test clock unless
/// `args` says otherwise). `stop()` ends it.
export async function startServer(args = ["--in-memory", "--test-clock"]) {
  const bin = process.env.DYNOSTACK_BIN || path.join(ROOT, "target", "debug", "dynostack");
  const dir = mkdtempSync(path.join(tmpdir(), "dynostack-console-"));
  const extra = args.includes("--in-memory") ? [] : ["--data-dir", path.join(dir, "data")];
  const proc = spawn(bin, ["serve", "--listen", "127.0.0.1:0", ...extra, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const endpoint = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no 'listening on' line in 30 s\n${stderr}`)), 30000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (https?:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ""));
      }
    });
    proc.on("exit", (code) => reject(new Error(`dynostack exited with ${code}\n${stderr}`)));
  });
  return {
    endpoint,
    dir,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((r) => proc.once("exit", r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/// The system's Chromium (Debian's `chromium`; `DYNOSTACK_CHROMIUM` names another).
export async function openBrowser() {
  const executablePath = process.env.DYNOSTACK_CHROMIUM || "/usr/bin/chromium";
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  // An AWS error answer is an HTTP 4xx the browser logs; anything else logged as an error is one.
  const awsError = /^Failed to load resource: the server responded with a status of 4\d\d/;
  page.on("console", (m) => m.type() === "error" && !awsError.test(m.text()) && problems.push(`console error: ${m.text()}`));
  return { browser, page, problems };
}

/// A screenshot of the page as the step left it: target/console-tests/<suite>/<NN-step>.png.
export function screenshots(suite) {
  const dir = path.join(OUT, suite);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page, step) => {
    n += 1;
    const file = path.join(dir, `${String(n).padStart(2, "0")}-${step}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

const CREDENTIALS = { accessKeyId: "console-test", secretAccessKey: "console-test" };

/// SDK clients on the same server, to compare with what the console shows.
export function clients(endpoint, credentials = CREDENTIALS) {
  const config = { endpoint, region: "us-east-1", credentials };
  return { dynamodb: new DynamoDBClient(config), cloudwatch: new CloudWatchClient(config) };
}

/// Moves the test clock forward (`serve --test-clock`), waiting for the work due meanwhile.
export async function advance(endpoint, seconds) {
  const r = await fetch(`${endpoint}/_dynostack/clock/advance`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds }),
  });
  if (!r.ok) throw new Error(`advance: ${r.status} ${await r.text()}`);
  return r.json();
}
