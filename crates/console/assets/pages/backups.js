// Backups: DynamoDB's on-demand backups (CreateBackup, ListBackups, DescribeBackup,
// DeleteBackup, RestoreTableFromBackup), point-in-time recovery per table
// (DescribeContinuousBackups, UpdateContinuousBackups, RestoreTableToPointInTime) and AWS Backup
// (vaults, plans with their rules, backup jobs, recovery points, restore jobs).
//
// Routes: `#/backups` (on-demand), `#/backups/backup/ARN`, `#/backups/pitr`, `#/backups/aws`,
// `#/backups/vault/NAME`.
import { dynamodb, backup, sts, all } from "../aws.js";
import { h, fill, table, facts, field, values, busy, page, section, load, link, when, bytes, errorBox, gap } from "../ui.js";

const enc = encodeURIComponent;
const TABS = [["", "On-demand backups"], ["pitr", "Point-in-time recovery"], ["aws", "AWS Backup"]];
const POLL_MS = 500;
const PAGE = 25;
const DEFAULT_ROLE = (account) => `arn:aws:iam::${account}:role/service-role/AWSBackupDefaultServiceRole`;

export async function render(el, view = "", ...args) {
  if (view === "backup" && args[0]) return backupDetail(el, args[0]);
  if (view === "vault" && args[0]) return vaultDetail(el, args[0]);
  if (view === "pitr") return pitr(el);
  if (view === "aws") return awsBackup(el);
  return onDemand(el);
}

// ---- shared bits ----

function tabs(current) {
  return h(
    "div",
    { class: "tabs", role: "navigation", "aria-label": "Kinds of backup" },
    TABS.map(([k, label]) => h("a", { href: k ? `#/backups/${k}` : "#/backups", "aria-current": k === current ? "page" : null }, label)),
  );
}

function status(s) {
  return s ? h("span", { class: `status status-${s}` }, s) : "—";
}

function arn(text) {
  return text ? h("span", { class: "arn" }, text) : "—";
}

const tableLink = (name) => (name ? link(`#/table/${enc(name)}`, name) : "—");
const tableOfArn = (a) => (a || "").split(":table/")[1]?.split("/")[0];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tableNames() {
  return all(dynamodb, "ListTables", {}, "TableNames", "ExclusiveStartTableName", "LastEvaluatedTableName");
}

/// Every page of an AWS Backup listing (`nextToken` in the query, `NextToken` out).
async function backupAll(path, key, limit = 1000) {
  const out = [];
  let token;
  do {
    const r = await backup("GET", path + (token ? `?nextToken=${enc(token)}` : ""));
    out.push(...(r[key] || []));
    token = r.NextToken;
  } while (token && out.length < limit);
  return out;
}

async function account() {
  const doc = await sts("GetCallerIdentity");
  return doc.querySelector("Account")?.textContent || "000000000000";
}

/// A button that asks once more before it runs `call` (no window.confirm: it blocks the page).
function confirmButton(label, call, where) {
  const b = h("button", { type: "button", class: "danger" }, label);
  let armed = false;
  b.addEventListener("click", () => {
    if (!armed) {
      armed = true;
      b.textContent = `Confirm: ${label.toLowerCase()}`;
      setTimeout(() => {
        armed = false;
        if (b.isConnected) b.textContent = label;
      }, 5000);
      return;
    }
    busy(b, where, call);
  });
  return b;
}

function closeButton(area) {
  return h("button", { type: "button", class: "secondary", onclick: () => fill(area) }, "Cancel");
}

/// A form in a panel whose submit runs `call(values, out, form)`; its errors show in `out`.
function panelForm(label, children, submit, call, area) {
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "panel", "aria-label": label },
    h("h2", {}, label),
    children,
    h("div", { class: "actions" }, h("button", { type: "submit" }, submit), area && closeButton(area)),
    out,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(form.querySelector("button[type=submit]"), out, () => call(values(form), out, form));
  });
  return form;
}

/// The restored table as DescribeTable sees it, polled until ACTIVE (or the box leaves the page).
/// AWS drops RestoreSummary once the table is ACTIVE: the first one seen is kept.
function restoreProgress(first) {
  const name = first.TableName;
  const box = h("div", { class: "progress", "aria-live": "polite", dataset: { table: name } });
  let summary = first.RestoreSummary;
  const show = (t, error) => {
    if (t.RestoreSummary) summary = t.RestoreSummary;
    const done = t.TableStatus === "ACTIVE";
    fill(
      box,
      h("h3", {}, `Restore to ${name}`),
      facts([
        ["New table", tableLink(name)],
        ["Status", status(t.TableStatus)],
        ["Restore in progress", t.RestoreSummary ? (t.RestoreSummary.RestoreInProgress ? "Yes" : "No") : done ? "No (finished)" : "—"],
        summary?.SourceBackupArn && ["Source backup", arn(summary.SourceBackupArn)],
        ["Source table", arn(summary?.SourceTableArn)],
        ["Restored as of", when(summary?.RestoreDateTime)],
        ["Items", t.ItemCount],
        ["Size", bytes(t.TableSizeBytes)],
      ]),
      error && errorBox(error),
      done && h("p", { class: "notice" }, "The restore is complete: ", link(`#/table/${enc(name)}`, `open table ${name}`), "."),
    );
    return done;
  };
  show(first);
  (async () => {
    await sleep(POLL_MS);
    while (box.isConnected) {
      try {
        const { Table } = await dynamodb("DescribeTable", { TableName: name });
        if (show(Table)) return;
      } catch (e) {
        show({ TableName: name, TableStatus: e.code }, e);
        return;
      }
      await sleep(POLL_MS * 2);
    }
  })();
  return box;
}

function restoreFromBackupForm(b, area) {
  const source = b.TableName || tableOfArn(b.BackupArn) || "table";
  return panelForm(
    `Restore backup ${b.BackupName}`,
    [
      h("p", {}, `RestoreTableFromBackup makes a new table with the items of ${source} as the backup of ${when(b.BackupCreationDateTime)} holds them.`),
      field("New table name", "target", { required: true, value: `${source}-restored`.slice(0, 255) }),
    ],
    "Restore",
    async (v, out) => {
      const { TableDescription } = await dynamodb("RestoreTableFromBackup", { TargetTableName: v.target, BackupArn: b.BackupArn });
      fill(out, restoreProgress(TableDescription));
    },
    area,
  );
}

// ---- on-demand backups ----

function createBackupForm(names, area, done) {
  if (!names.length) return h("p", { class: "empty" }, "No tables to back up.");
  const stamp = () => new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  return panelForm(
    "Create backup",
    [
      field("Table", "table", { options: names }),
      field("Backup name", "name", { hint: "Letters, digits, '_', '-' and '.'; empty: the table's name and the time." }),
    ],
    "Create backup",
    async (v, out) => {
      const name = v.name || `${v.table}-${stamp()}`.slice(-255);
      const { BackupDetails } = await dynamodb("CreateBackup", { TableName: v.table, BackupName: name });
      let details = BackupDetails;
      for (let i = 0; details.BackupStatus === "CREATING" && i < 120; i++) {
        await sleep(POLL_MS);
        details = (await dynamodb("DescribeBackup", { BackupArn: details.BackupArn })).BackupDescription.BackupDetails;
      }
      fill(area, h("p", { class: "notice" }, `Backup ${name} of ${v.table}: ${details.BackupStatus}.`));
      done();
    },
    area,
  );
}

async function onDemand(el) {
  const area = h("div");
  const list = h("div");
  const refresh = () =>
    load(list, async () => {
      const backups = await all(dynamodb, "ListBackups", { BackupType: "ALL" }, "BackupSummaries", "ExclusiveStartBackupArn", "LastEvaluatedBackupArn");
      backups.sort((a, b) => (b.BackupCreationDateTime || 0) - (a.BackupCreationDateTime || 0));
      const out = h("span", { "aria-live": "polite" });
      return [
        out,
        table(
          [
            ["Name", (b) => link(`#/backups/backup/${enc(b.BackupArn)}`, b.BackupName)],
            ["Table", (b) => tableLink(b.TableName)],
            ["Status", (b) => status(b.BackupStatus)],
            ["Type", (b) => b.BackupType],
            ["Created", (b) => when(b.BackupCreationDateTime)],
            ["Expires", (b) => (b.BackupExpiryDateTime ? when(b.BackupExpiryDateTime) : "—")],
            ["Size", (b) => bytes(b.BackupSizeBytes)],
            [
              "",
              (b) =>
                h(
                  "div",
                  { class: "actions tight" },
                  b.BackupStatus === "AVAILABLE" &&
                    h("button", { type: "button", onclick: () => { fill(area, restoreFromBackupForm(b, area)); area.scrollIntoView(); } }, "Restore"),
                  b.BackupType === "USER" && b.BackupStatus === "AVAILABLE" &&
                    confirmButton("Delete", async () => { await dynamodb("DeleteBackup", { BackupArn: b.BackupArn }); refresh(); }, out),
                ),
            ],
          ],
          backups,
          { caption: `${backups.length} backup${backups.length === 1 ? "" : "s"}`, empty: "No backups in this region." },
        ),
      ];
    });
  const create = h("button", {
    type: "button",
    onclick: () => busy(create, area, async () => fill(area, createBackupForm(await tableNames(), area, refresh))),
  }, "Create backup");
  fill(
    el,
    page(
      "Backups",
      tabs(""),
      h("p", {}, "On-demand backups keep a table's items and settings as they were; a restore makes a new table from one."),
      h("div", { class: "actions" }, create, h("button", { type: "button", class: "secondary", onclick: refresh }, "Refresh")),
      area,
      list,
    ),
  );
  await refresh();
}

/// `#/backups/backup/ARN`: DescribeBackup, and its restore and deletion.
async function backupDetail(el, backupArn) {
  const body = h("div");
  fill(el, page("Backup", tabs(""), h("p", {}, link("#/backups", "All backups")), body));
  await load(body, async () => {
    const { BackupDescription: d } = await dynamodb("DescribeBackup", { BackupArn: backupArn });
    const b = d.BackupDetails;
    const s = d.SourceTableDetails || {};
    const f = d.SourceTableFeatureDetails || {};
    const area = h("div");
    const out = h("div", { "aria-live": "polite" });
    document.title = `Backup ${b.BackupName} · Dynostack`;
    const keySchema = (ks) => (ks || []).map((k) => `${k.AttributeName} (${k.KeyType === "HASH" ? "partition" : "sort"})`).join(", ");
    const indexes = [
      ...(f.GlobalSecondaryIndexes || []).map((i) => ({ ...i, kind: "Global" })),
      ...(f.LocalSecondaryIndexes || []).map((i) => ({ ...i, kind: "Local" })),
    ];
    return [
      h("h2", {}, b.BackupName),
      facts([
        ["Status", status(b.BackupStatus)],
        ["Type", b.BackupType],
        ["ARN", arn(b.BackupArn)],
        ["Created", when(b.BackupCreationDateTime)],
        b.BackupExpiryDateTime && ["Expires", when(b.BackupExpiryDateTime)],
        ["Size", bytes(b.BackupSizeBytes)],
      ]),
      section(
        "Source table",
        facts([
          ["Table", tableLink(s.TableName)],
          ["ARN", arn(s.TableArn)],
          ["Table ID", s.TableId],
          ["Created", when(s.TableCreationDateTime)],
          ["Keys", keySchema(s.KeySchema)],
          ["Capacity mode", s.BillingMode === "PAY_PER_REQUEST" ? "On-demand" : `Provisioned (${s.ProvisionedThroughput?.ReadCapacityUnits ?? "—"} RCU / ${s.ProvisionedThroughput?.WriteCapacityUnits ?? "—"} WCU)`],
          ["Items", s.ItemCount],
          ["Size", bytes(s.TableSizeBytes)],
          ["Stream", f.StreamDescription?.StreamEnabled ? f.StreamDescription.StreamViewType : "Off"],
          ["Time to live", f.TimeToLiveDescription ? `${f.TimeToLiveDescription.TimeToLiveStatus}${f.TimeToLiveDescription.AttributeName ? " on " + f.TimeToLiveDescription.AttributeName : ""}` : "—"],
          ["Encryption", f.SSEDescription ? `${f.SSEDescription.SSEType || ""} ${f.SSEDescription.Status || ""} ${f.SSEDescription.KMSMasterKeyArn || ""}` : "AWS owned key"],
        ]),
        indexes.length > 0 &&
          table(
            [
              ["Index", (i) => i.IndexName],
              ["Type", (i) => i.kind],
              ["Keys", (i) => keySchema(i.KeySchema)],
              ["Projection", (i) => i.Projection?.ProjectionType],
            ],
            indexes,
            { caption: "Indexes in the backup" },
          ),
      ),
      section(
        "Actions",
        h(
          "div",
          { class: "actions" },
          b.BackupStatus === "AVAILABLE" && h("button", { type: "button", onclick: () => fill(area, restoreFromBackupForm({ ...b, TableName: s.TableName }, area)) }, "Restore"),
          b.BackupType === "USER" &&
            confirmButton("Delete backup", async () => {
              await dynamodb("DeleteBackup", { BackupArn: backupArn });
              location.hash = "#/backups";
            }, out),
        ),
        out,
        area,
      ),
    ];
  });
}

// ---- point-in-time recovery ----

/// The time a user typed, in UTC unless it names its zone: epoch seconds.
function parseTime(text) {
  let t = text.trim().replace(" ", "T");
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(t)) t += "Z";
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw Object.assign(new Error(`Not a time: ${text} (write it as 2025-01-31 13:45:00Z)`), { code: "InvalidTime" });
  return ms / 1000;
}

function pitrRestoreForm(name, d, area) {
  const id = Math.random().toString(36).slice(2, 7);
  const radio = (value, label, checked) =>
    h("div", { class: "field check" }, h("input", { type: "radio", name: "point", value, id: `r-${value}-${id}`, checked }), h("label", { for: `r-${value}-${id}` }, label));
  const form = panelForm(
    `Restore ${name} to a point in time`,
    [
      h("p", {}, `Restorable from ${when(d.EarliestRestorableDateTime)} to ${when(d.LatestRestorableDateTime)}.`),
      field("New table name", "target", { required: true, value: `${name}-pitr`.slice(0, 255) }),
      h(
        "fieldset",
        {},
        h("legend", {}, "Restore to"),
        radio("latest", "The latest restorable time", true),
        radio("time", "The time below", false),
        field("Time (UTC)", "time", { value: when(d.LatestRestorableDateTime), hint: "As 2025-01-31 13:45:00Z, within the window." }),
      ),
    ],
    "Restore",
    async (v, out, form) => {
      const point = form.querySelector("input[name=point]:checked")?.value;
      const input = { SourceTableName: name, TargetTableName: v.target };
      if (point === "time") input.RestoreDateTime = parseTime(v.time);
      else input.UseLatestRestorableTime = true;
      const { TableDescription } = await dynamodb("RestoreTableToPointInTime", input);
      fill(out, restoreProgress(TableDescription));
    },
    area,
  );
  // Typing a time chooses it.
  form.querySelector("input[name=time]").addEventListener("input", () => {
    form.querySelector("input[name=point][value=time]").checked = true;
  });
  return form;
}

async function pitr(el) {
  const area = h("div");
  const list = h("div");
  // A page of tables at a time (as `#/tables`), each with its DescribeContinuousBackups.
  const starts = [undefined];
  let current = 0;
  const refresh = (i = current) =>
    load(list, async () => {
      current = i;
      const input = { Limit: PAGE };
      if (starts[i]) input.ExclusiveStartTableName = starts[i];
      const { TableNames: names = [], LastEvaluatedTableName } = await dynamodb("ListTables", input);
      starts[i + 1] = LastEvaluatedTableName;
      const rows = await Promise.all(
        names.map((n) =>
          dynamodb("DescribeContinuousBackups", { TableName: n }).then(
            (r) => ({ name: n, d: r.ContinuousBackupsDescription?.PointInTimeRecoveryDescription || {} }),
            (e) => ({ name: n, d: {}, error: e }),
          ),
        ),
      );
      const out = h("span", { "aria-live": "polite" });
      const toggle = (r, enable) => {
        const b = h("button", { type: "button", class: enable ? "" : "secondary" }, enable ? "Enable" : "Disable");
        b.addEventListener("click", () => busy(b, out, async () => {
          await dynamodb("UpdateContinuousBackups", { TableName: r.name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: enable } });
          await refresh();
        }));
        return b;
      };
      return [
        out,
        table(
          [
            ["Table", (r) => tableLink(r.name)],
            ["Point-in-time recovery", (r) => (r.error ? r.error.code : status(r.d.PointInTimeRecoveryStatus))],
            ["Recovery period", (r) => (r.d.RecoveryPeriodInDays ? `${r.d.RecoveryPeriodInDays} days` : "—")],
            ["Earliest restorable", (r) => when(r.d.EarliestRestorableDateTime)],
            ["Latest restorable", (r) => when(r.d.LatestRestorableDateTime)],
            [
              "",
              (r) =>
                !r.error &&
                h(
                  "div",
                  { class: "actions tight" },
                  r.d.PointInTimeRecoveryStatus === "ENABLED"
                    ? [h("button", { type: "button", onclick: () => { fill(area, pitrRestoreForm(r.name, r.d, area)); area.scrollIntoView(); } }, "Restore to a point in time"), toggle(r, false)]
                    : toggle(r, true),
                ),
            ],
          ],
          rows,
          { caption: `Tables ${i * PAGE + 1}–${i * PAGE + rows.length}`, empty: "No tables in this region." },
        ),
        h(
          "div",
          { class: "actions" },
          i > 0 && h("button", { type: "button", class: "secondary", onclick: () => refresh(i - 1) }, "Previous page"),
          LastEvaluatedTableName && h("button", { type: "button", class: "secondary", onclick: () => refresh(i + 1) }, "Next page"),
        ),
      ];
    });
  fill(
    el,
    page(
      "Backups",
      tabs("pitr"),
      h("p", {}, "With point-in-time recovery on, a table can be restored, as a new table, to any second of its restorable window."),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => refresh() }, "Refresh")),
      area,
      list,
    ),
  );
  await refresh();
}

// ---- AWS Backup ----

function lifecycle(l) {
  if (!l) return "—";
  const parts = [];
  if (l.MoveToColdStorageAfterDays) parts.push(`cold after ${l.MoveToColdStorageAfterDays} d`);
  if (l.DeleteAfterDays) parts.push(`deleted after ${l.DeleteAfterDays} d`);
  return parts.join(", ") || "Kept";
}

const shortId = (a) => (a ? a.split(/[:/]/).pop() : "—");

function startJobForm(names, vaults, acct, area, done) {
  if (!names.length) return h("p", { class: "empty" }, "No tables to back up.");
  if (!vaults.length) return h("p", { class: "empty" }, "Create a backup vault first: a job writes its recovery point into one.");
  return panelForm(
    "Start backup job",
    [
      field("Table", "table", { options: names }),
      field("Backup vault", "vault", { options: vaults.map((v) => v.BackupVaultName) }),
      field("IAM role ARN", "role", { required: true, value: DEFAULT_ROLE(acct), hint: "The role AWS Backup assumes to take the backup." }),
    ],
    "Start backup job",
    async (v, out) => {
      const { Table } = await dynamodb("DescribeTable", { TableName: v.table });
      const { BackupJobId } = await backup("PUT", "/backup-jobs", { BackupVaultName: v.vault, ResourceArn: Table.TableArn, IamRoleArn: v.role });
      let job = {};
      for (let i = 0; i < 60; i++) {
        job = await backup("GET", `/backup-jobs/${enc(BackupJobId)}`);
        if (["COMPLETED", "FAILED", "ABORTED", "EXPIRED", "PARTIAL"].includes(job.State)) break;
        await sleep(POLL_MS);
      }
      fill(area, h("p", { class: "notice" }, `Backup job ${BackupJobId} for ${v.table}: ${job.State}${job.StatusMessage ? ` (${job.StatusMessage})` : ""}.`));
      done();
    },
    area,
  );
}

function createVaultForm(area, done) {
  return panelForm(
    "Create backup vault",
    [field("Vault name", "name", { required: true, value: "Default", hint: "2 to 50 letters, digits, '-' and '_'." })],
    "Create vault",
    async (v) => {
      await backup("PUT", `/backup-vaults/${enc(v.name)}`, {});
      fill(area, h("p", { class: "notice" }, `Backup vault ${v.name} created.`));
      done();
    },
    area,
  );
}

async function awsBackup(el) {
  const area = h("div");
  const body = h("div");
  let known = { names: [], vaults: [], acct: "000000000000" };
  const refresh = () =>
    load(body, async () => {
      const [vaults, plans, jobs, restores, names, acct] = await Promise.all([
        backupAll("/backup-vaults/", "BackupVaultList"),
        backupAll("/backup/plans/", "BackupPlansList"),
        backupAll("/backup-jobs/", "BackupJobs"),
        backupAll("/restore-jobs/", "RestoreJobs"),
        tableNames(),
        account(),
      ]);
      known = { names, vaults, acct };
      const detailed = await Promise.all(plans.map((p) => backup("GET", `/backup/plans/${enc(p.BackupPlanId)}/`).then((d) => ({ ...p, detail: d }), (e) => ({ ...p, error: e }))));
      const rules = detailed.flatMap((p) => (p.detail?.BackupPlan?.Rules || []).map((r) => ({ plan: p, rule: r })));
      jobs.sort((a, b) => (b.CreationDate || 0) - (a.CreationDate || 0));
      restores.sort((a, b) => (b.CreationDate || 0) - (a.CreationDate || 0));
      return [
        section(
          "Backup vaults",
          table(
            [
              ["Name", (v) => link(`#/backups/vault/${enc(v.BackupVaultName)}`, v.BackupVaultName)],
              ["State", (v) => status(v.VaultState)],
              ["Recovery points", (v) => v.NumberOfRecoveryPoints],
              ["Locked", (v) => (v.Locked ? "Yes" : "No")],
              ["Encryption key", (v) => arn(v.EncryptionKeyArn)],
              ["Created", (v) => when(v.CreationDate)],
            ],
            vaults,
            { empty: "No backup vaults." },
          ),
        ),
        section(
          "Backup plans",
          table(
            [
              ["Plan", (p) => p.BackupPlanName],
              ["ID", (p) => arn(p.BackupPlanId)],
              ["Rules", (p) => (p.error ? p.error.code : (p.detail?.BackupPlan?.Rules || []).length)],
              ["Created", (p) => when(p.CreationDate)],
              ["Last run", (p) => when(p.LastExecutionDate)],
            ],
            detailed,
            { empty: "No backup plans." },
          ),
          rules.length > 0 &&
            table(
              [
                ["Plan", ({ plan }) => plan.BackupPlanName],
                ["Rule", ({ rule }) => rule.RuleName],
                ["Schedule", ({ rule }) => `${rule.ScheduleExpression || "—"}${rule.ScheduleExpressionTimezone ? ` (${rule.ScheduleExpressionTimezone})` : ""}`],
                ["Vault", ({ rule }) => rule.TargetBackupVaultName],
                ["Start within", ({ rule }) => (rule.StartWindowMinutes ? `${rule.StartWindowMinutes} min` : "—")],
                ["Complete within", ({ rule }) => (rule.CompletionWindowMinutes ? `${rule.CompletionWindowMinutes} min` : "—")],
                ["Lifecycle", ({ rule }) => lifecycle(rule.Lifecycle)],
                ["", ({ rule }) => (rule.CopyActions?.length || rule.EnableContinuousBackup) && gap("copy actions and continuous backups are stored, not run.")],
              ],
              rules,
              { caption: "Rules" },
            ),
        ),
        section(
          "Backup jobs",
          table(
            [
              ["Job", (j) => arn(j.BackupJobId)],
              ["Table", (j) => tableLink(j.ResourceName || tableOfArn(j.ResourceArn))],
              ["Vault", (j) => link(`#/backups/vault/${enc(j.BackupVaultName)}`, j.BackupVaultName)],
              ["State", (j) => status(j.State)],
              ["Created", (j) => when(j.CreationDate)],
              ["Completed", (j) => when(j.CompletionDate)],
              ["Size", (j) => bytes(j.BackupSizeInBytes)],
              ["Plan", (j) => j.CreatedBy?.BackupPlanName || "On demand"],
              ["Message", (j) => j.StatusMessage || ""],
            ],
            jobs,
            { empty: "No backup jobs." },
          ),
        ),
        section(
          "Restore jobs",
          table(
            [
              ["Job", (j) => arn(j.RestoreJobId)],
              ["Status", (j) => status(j.Status)],
              ["From", (j) => tableLink(tableOfArn(j.SourceResourceArn))],
              ["Recovery point", (j) => arn(shortId(j.RecoveryPointArn))],
              ["New table", (j) => tableLink(tableOfArn(j.CreatedResourceArn))],
              ["Created", (j) => when(j.CreationDate)],
              ["Completed", (j) => when(j.CompletionDate)],
              ["Message", (j) => j.StatusMessage || ""],
            ],
            restores,
            { empty: "No restore jobs." },
          ),
        ),
      ];
    });
  const start = h("button", { type: "button", onclick: () => fill(area, startJobForm(known.names, known.vaults, known.acct, area, refresh)) }, "Start backup job");
  fill(
    el,
    page(
      "Backups",
      tabs("aws"),
      h("p", {}, "AWS Backup: vaults hold recovery points, plans take them on a schedule, jobs take one now; a restore job makes a new table from a recovery point."),
      h(
        "div",
        { class: "actions" },
        start,
        h("button", { type: "button", class: "secondary", onclick: () => fill(area, createVaultForm(area, refresh)) }, "Create backup vault"),
        h("button", { type: "button", class: "secondary", onclick: refresh }, "Refresh"),
      ),
      area,
      body,
    ),
  );
  await refresh();
}

function restoreJobProgress(id) {
  const box = h("div", { class: "progress", "aria-live": "polite" });
  const show = (j) => {
    const table = tableOfArn(j.CreatedResourceArn);
    fill(
      box,
      h("h3", {}, `Restore job ${id}`),
      facts([
        ["Status", status(j.Status)],
        ["Done", j.PercentDone],
        ["New table", tableLink(table)],
        ["Created", when(j.CreationDate)],
        ["Completed", when(j.CompletionDate)],
        j.StatusMessage && ["Message", j.StatusMessage],
      ]),
    );
    return ["COMPLETED", "FAILED", "ABORTED"].includes(j.Status);
  };
  show({ Status: "PENDING" });
  (async () => {
    await sleep(POLL_MS);
    while (box.isConnected) {
      try {
        if (show(await backup("GET", `/restore-jobs/${enc(id)}`))) return;
      } catch (e) {
        fill(box, errorBox(e));
        return;
      }
      await sleep(POLL_MS * 2);
    }
  })();
  return box;
}

function restorePointForm(rp, acct, area) {
  const source = rp.ResourceName || tableOfArn(rp.ResourceArn) || "table";
  return panelForm(
    `Restore recovery point ${shortId(rp.RecoveryPointArn)}`,
    [
      h("p", {}, `StartRestoreJob makes a new table from ${source} as of ${when(rp.CreationDate)}.`),
      field("New table name", "target", { required: true, value: `${source}-restored`.slice(0, 255) }),
      field("IAM role ARN", "role", { required: true, value: DEFAULT_ROLE(acct) }),
    ],
    "Start restore job",
    async (v, out) => {
      const { RestoreJobId } = await backup("PUT", "/restore-jobs", {
        RecoveryPointArn: rp.RecoveryPointArn,
        IamRoleArn: v.role,
        ResourceType: "DynamoDB",
        Metadata: { targetTableName: v.target },
      });
      fill(out, restoreJobProgress(RestoreJobId));
    },
    area,
  );
}

/// `#/backups/vault/NAME`: a vault and its recovery points.
async function vaultDetail(el, name) {
  const area = h("div");
  const body = h("div");
  fill(el, page(`Backup vault ${name}`, tabs("aws"), h("p", {}, link("#/backups/aws", "AWS Backup")), area, body));
  await load(body, async () => {
    const [v, points, acct] = await Promise.all([
      backup("GET", `/backup-vaults/${enc(name)}`),
      backupAll(`/backup-vaults/${enc(name)}/recovery-points/`, "RecoveryPoints"),
      account(),
    ]);
    points.sort((a, b) => (b.CreationDate || 0) - (a.CreationDate || 0));
    const out = h("span", { "aria-live": "polite" });
    const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
    return [
      facts([
        ["ARN", arn(v.BackupVaultArn)],
        ["State", status(v.VaultState)],
        ["Type", v.VaultType],
        ["Recovery points", v.NumberOfRecoveryPoints],
        ["Locked", v.Locked ? "Yes" : "No"],
        ["Encryption key", arn(v.EncryptionKeyArn)],
        ["Created", when(v.CreationDate)],
      ]),
      section(
        "Recovery points",
        out,
        table(
          [
            ["Recovery point", (p) => arn(shortId(p.RecoveryPointArn))],
            ["Table", (p) => tableLink(p.ResourceName || tableOfArn(p.ResourceArn))],
            ["Status", (p) => status(p.Status)],
            ["Created", (p) => when(p.CreationDate)],
            ["Completed", (p) => when(p.CompletionDate)],
            ["Size", (p) => bytes(p.BackupSizeInBytes)],
            ["Storage", (p) => p.StorageClass || "—"],
            ["Lifecycle", (p) => lifecycle(p.Lifecycle)],
            [
              "",
              (p) =>
                p.Status === "COMPLETED" &&
                h(
                  "div",
                  { class: "actions tight" },
                  h("button", { type: "button", onclick: () => { fill(area, restorePointForm(p, acct, area)); area.scrollIntoView(); } }, "Restore"),
                  confirmButton("Delete", async () => {
                    await backup("DELETE", `/backup-vaults/${enc(name)}/recovery-points/${enc(p.RecoveryPointArn)}`);
                    reload();
                  }, out),
                ),
            ],
          ],
          points,
          { empty: "No recovery points in this vault." },
        ),
      ),
    ];
  });
}
