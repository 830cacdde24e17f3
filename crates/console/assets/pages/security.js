// Security: KMS keys (ListKeys, DescribeKey, ListAliases, GetKeyRotationStatus) and IAM,
// read-only (ListRoles, ListUsers, ListGroups, ListPolicies; a role's trust policy and its
// attached and inline policies). IAM answers XML: read with the DOM.
import { kms as kmsCall, iam as iamCall, all } from "../aws.js";
import { h, fill, table, facts, page, section, load, link, when, code } from "../ui.js";

const enc = encodeURIComponent;

function status(s) {
  return s ? h("span", { class: `status status-${s}` }, s) : "—";
}

function arn(text) {
  return text ? h("span", { class: "arn" }, text) : "—";
}

function refreshButton(fn) {
  return h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: fn }, "Refresh"));
}

// ---- KMS ----

/// Rotation as GetKeyRotationStatus tells it, for the keys it applies to (customer managed,
/// symmetric, key material from KMS, not pending deletion); AWS rotates its own every year.
async function rotation(m) {
  if (m.KeyManager === "AWS") return "Every year (AWS managed)";
  if (m.KeySpec !== "SYMMETRIC_DEFAULT" || m.Origin !== "AWS_KMS" || !["Enabled", "Disabled"].includes(m.KeyState)) return "—";
  try {
    const r = await kmsCall("GetKeyRotationStatus", { KeyId: m.KeyId });
    if (!r.KeyRotationEnabled) return "Off";
    return `On${r.RotationPeriodInDays ? `, every ${r.RotationPeriodInDays} days` : ""}${r.NextRotationDate ? ` (next ${when(r.NextRotationDate)})` : ""}`;
  } catch (e) {
    return e.code;
  }
}

/// `#/kms`: every key of the region, described, with its aliases.
export async function kms(el) {
  const body = h("div");
  const refresh = () =>
    load(body, async () => {
      const [keys, aliases] = await Promise.all([
        all(kmsCall, "ListKeys", {}, "Keys", "Marker", "NextMarker"),
        all(kmsCall, "ListAliases", {}, "Aliases", "Marker", "NextMarker"),
      ]);
      const described = await Promise.all(
        keys.map((k) =>
          kmsCall("DescribeKey", { KeyId: k.KeyId }).then(
            async ({ KeyMetadata: m }) => ({ ...m, rotation: await rotation(m) }),
            (e) => ({ KeyId: k.KeyId, KeyState: e.code }),
          ),
        ),
      );
      described.sort((a, b) => (a.CreationDate || 0) - (b.CreationDate || 0));
      const aliasesOf = (id) => aliases.filter((a) => a.TargetKeyId === id).map((a) => a.AliasName);
      const columns = [
        ["Key", (m) => [h("div", { class: "arn nowrap" }, m.KeyId), m.Description && h("div", { class: "small muted" }, m.Description)]],
        ["Aliases", (m) => aliasesOf(m.KeyId).join(", ") || "—"],
        ["State", (m) => status(m.KeyState)],
        ["Manager", (m) => m.KeyManager],
        ["Usage", (m) => [h("div", {}, m.KeyUsage || "—"), h("div", { class: "small muted" }, [m.KeySpec, m.Origin].filter(Boolean).join(" · "))]],
        ["Created", (m) => when(m.CreationDate)],
        ["Rotation", (m) => m.rotation || "—"],
        ["Deletion", (m) => (m.DeletionDate ? when(m.DeletionDate) : "—")],
      ];
      const byId = new Map(described.map((m) => [m.KeyId, m]));
      return [
        section(
          "Customer managed keys",
          table(columns, described.filter((m) => m.KeyManager !== "AWS"), { empty: "No customer managed keys." }),
        ),
        section(
          "AWS managed keys",
          table(columns, described.filter((m) => m.KeyManager === "AWS"), { empty: "No AWS managed keys yet: AWS creates one the first time it is used." }),
        ),
        section(
          "Aliases",
          table(
            [
              ["Alias", (a) => a.AliasName],
              ["Key", (a) => (a.TargetKeyId ? arn(a.TargetKeyId) : h("span", { class: "muted" }, "None yet: AWS creates this key on first use"))],
              ["Key state", (a) => status(byId.get(a.TargetKeyId)?.KeyState)],
              ["Created", (a) => when(a.CreationDate)],
              ["Updated", (a) => when(a.LastUpdatedDate)],
            ],
            aliases,
            { empty: "No aliases." },
          ),
        ),
      ];
    });
  fill(
    el,
    page(
      "KMS keys",
      h("p", {}, "The region's KMS keys: customer managed keys, and the AWS managed key DynamoDB encrypts tables with (alias/aws/dynamodb)."),
      refreshButton(refresh),
      body,
    ),
  );
  await refresh();
}

// ---- IAM ----

const kids = (el, tag) => Array.from(el?.children || []).filter((c) => c.localName === tag);
const child = (el, tag) => kids(el, tag)[0];
const text = (el, tag) => child(el, tag)?.textContent;

/// Every page of an IAM listing: the `member` elements of `listTag` (Marker / IsTruncated).
async function iamAll(action, params, listTag, limit = 1000) {
  const out = [];
  let marker;
  do {
    const doc = await iamCall(action, marker ? { ...params, Marker: marker } : params);
    const result = child(doc.documentElement, `${action}Result`);
    out.push(...kids(child(result, listTag), "member"));
    marker = text(result, "IsTruncated") === "true" ? text(result, "Marker") : null;
  } while (marker && out.length < limit);
  return out;
}

/// A policy document as IAM returns it (URL-encoded JSON), pretty-printed.
function policyText(encoded) {
  if (!encoded) return "";
  let raw = encoded;
  try {
    raw = decodeURIComponent(encoded);
  } catch {}
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

/// `#/iam` (the lists) and `#/iam/role/NAME` (a role).
export async function iam(el, kind, name) {
  if (kind === "role" && name) return role(el, name);
  const body = h("div");
  const refresh = () =>
    load(body, async () => {
      const [roles, users, groups, policies] = await Promise.all([
        iamAll("ListRoles", {}, "Roles"),
        iamAll("ListUsers", {}, "Users"),
        iamAll("ListGroups", {}, "Groups"),
        iamAll("ListPolicies", { Scope: "Local" }, "Policies"),
      ]);
      return [
        section(
          "Roles",
          table(
            [
              ["Role", (r) => link(`#/iam/role/${enc(text(r, "RoleName"))}`, text(r, "RoleName"))],
              ["Path", (r) => text(r, "Path")],
              ["Trusted", (r) => trusted(text(r, "AssumeRolePolicyDocument"))],
              ["Description", (r) => text(r, "Description") || "—"],
              ["Created", (r) => when(text(r, "CreateDate"))],
            ],
            roles,
            { empty: "No roles." },
          ),
        ),
        section(
          "Users",
          table(
            [
              ["User", (u) => text(u, "UserName")],
              ["Path", (u) => text(u, "Path")],
              ["ARN", (u) => arn(text(u, "Arn"))],
              ["Created", (u) => when(text(u, "CreateDate"))],
              ["Password last used", (u) => when(text(u, "PasswordLastUsed"))],
            ],
            users,
            { empty: "No users." },
          ),
        ),
        section(
          "Groups",
          table(
            [
              ["Group", (g) => text(g, "GroupName")],
              ["Path", (g) => text(g, "Path")],
              ["ARN", (g) => arn(text(g, "Arn"))],
              ["Created", (g) => when(text(g, "CreateDate"))],
            ],
            groups,
            { empty: "No groups." },
          ),
        ),
        section(
          "Customer managed policies",
          table(
            [
              ["Policy", (p) => text(p, "PolicyName")],
              ["ARN", (p) => arn(text(p, "Arn"))],
              ["Default version", (p) => text(p, "DefaultVersionId")],
              ["Attachments", (p) => text(p, "AttachmentCount")],
              ["Created", (p) => when(text(p, "CreateDate"))],
              ["Updated", (p) => when(text(p, "UpdateDate"))],
            ],
            policies,
            { empty: "No customer managed policies." },
          ),
        ),
      ];
    });
  fill(el, page("IAM", h("p", {}, "Identities and policies, read-only: the console lists them as IAM's Query API answers."), refreshButton(refresh), body));
  await refresh();
}

/// Who a trust policy lets assume the role: its principals, in short.
function trusted(encoded) {
  try {
    const doc = JSON.parse(decodeURIComponent(encoded || ""));
    const statements = [].concat(doc.Statement || []);
    const who = statements
      .filter((s) => s.Effect === "Allow")
      .flatMap((s) => (s.Principal === "*" ? ["*"] : Object.values(s.Principal || {}).flat()));
    return who.join(", ") || "—";
  } catch {
    return "—";
  }
}

async function role(el, name) {
  const body = h("div");
  fill(el, page(`Role ${name}`, h("p", {}, link("#/iam", "IAM")), body));
  await load(body, async () => {
    const [doc, attached, inlineNames] = await Promise.all([
      iamCall("GetRole", { RoleName: name }),
      iamAll("ListAttachedRolePolicies", { RoleName: name }, "AttachedPolicies"),
      iamAll("ListRolePolicies", { RoleName: name }, "PolicyNames"),
    ]);
    const r = child(child(doc.documentElement, "GetRoleResult"), "Role");
    const inline = await Promise.all(
      inlineNames.map((m) =>
        iamCall("GetRolePolicy", { RoleName: name, PolicyName: m.textContent }).then(
          (d) => ({ name: m.textContent, document: text(child(d.documentElement, "GetRolePolicyResult"), "PolicyDocument") }),
          (e) => ({ name: m.textContent, error: e }),
        ),
      ),
    );
    const tags = kids(child(r, "Tags"), "member").map((t) => `${text(t, "Key")}=${text(t, "Value")}`);
    const lastUsed = child(r, "RoleLastUsed");
    return [
      facts([
        ["ARN", arn(text(r, "Arn"))],
        ["Role ID", text(r, "RoleId")],
        ["Path", text(r, "Path")],
        ["Description", text(r, "Description") || "—"],
        ["Created", when(text(r, "CreateDate"))],
        ["Maximum session", `${text(r, "MaxSessionDuration") || 3600} s`],
        ["Last used", text(lastUsed, "LastUsedDate") ? `${when(text(lastUsed, "LastUsedDate"))} in ${text(lastUsed, "Region")}` : "—"],
        ["Permissions boundary", text(child(r, "PermissionsBoundary"), "PermissionsBoundaryArn") || "—"],
        ["Tags", tags.join(", ") || "—"],
      ]),
      section("Trust policy", h("div", { class: "trust-policy" }, code(policyText(text(r, "AssumeRolePolicyDocument"))))),
      section(
        "Attached policies",
        table(
          [
            ["Policy", (p) => text(p, "PolicyName")],
            ["ARN", (p) => arn(text(p, "PolicyArn"))],
            ["Kind", (p) => (/^arn:aws[^:]*:iam::aws:/.test(text(p, "PolicyArn") || "") ? "AWS managed" : "Customer managed")],
          ],
          attached,
          { empty: "No managed policies attached." },
        ),
      ),
      section(
        "Inline policies",
        inline.length
          ? inline.map((p) => h("div", { class: "inline-policy" }, h("h3", {}, p.name), p.error ? h("p", { class: "error" }, p.error.code) : code(policyText(p.document))))
          : h("p", { class: "empty" }, "No inline policies."),
      ),
    ];
  });
}
