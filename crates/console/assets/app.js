// The console's shell: the hash router, the region, who is signed in, and the sign-in page.
import { session, sts } from "./aws.js";
import { h, fill, field, values, busy, page, errorBox, facts } from "./ui.js";
import * as tables from "./pages/tables.js";
import * as items from "./pages/items.js";
import * as streams from "./pages/streams.js";
import * as metrics from "./pages/metrics.js";
import * as alarms from "./pages/alarms.js";
import * as scaling from "./pages/scaling.js";
import * as backups from "./pages/backups.js";
import * as security from "./pages/security.js";
import * as clock from "./pages/clock.js";

// `#/name/arg…` → the page and its arguments (decoded).
const routes = {
  tables: tables.list,
  table: tables.detail,
  items: items.browse,
  partiql: items.partiql,
  streams: streams.render,
  metrics: metrics.render,
  alarms: alarms.render,
  scaling: scaling.render,
  backups: backups.render,
  kms: security.kms,
  iam: security.iam,
  clock: clock.render,
  signin: signin,
};

const main = document.getElementById("main");

async function route() {
  const [name = "tables", ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const render = routes[name] || tables.list;
  for (const a of document.querySelectorAll("nav a")) {
    const target = a.getAttribute("href").slice(2);
    a.toggleAttribute("aria-current", target === name || (name === "table" && target === "tables"));
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  }
  fill(main);
  try {
    await render(main, ...args);
  } catch (e) {
    fill(main, errorBox(e), e.needsCredentials ? h("p", {}, h("a", { href: "#/signin" }, "Sign in with an access key")) : null);
  }
  main.focus({ preventScroll: true });
}

/// The caller, in the header: STS's GetCallerIdentity, as the SDKs ask it.
async function showWho() {
  const who = document.getElementById("who");
  try {
    const arn = (await sts("GetCallerIdentity")).querySelector("Arn")?.textContent;
    fill(who, session.signedIn() ? `Signed in as ${arn}` : `Open mode · ${arn}`);
  } catch (e) {
    fill(who, e.needsCredentials ? h("a", { href: "#/signin", class: "signin-link" }, "Sign in") : `${e.code}`);
  }
}

function signin(el) {
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { "aria-label": "Credentials" },
    field("Access key ID", "accessKeyId", { required: true }),
    field("Secret access key", "secretAccessKey", { type: "password", required: true }),
    field("Session token (temporary credentials only)", "sessionToken"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in"), h("button", { type: "button", class: "secondary", onclick: () => { session.signOut(); showWho(); fill(out, h("p", { class: "notice" }, "Signed out: open mode's key is used.")); } }, "Sign out")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = values(form);
    const button = form.querySelector("button[type=submit]");
    busy(button, out, async () => {
      const previous = session.signedIn() ? session.credentials : null;
      session.signIn({ accessKeyId: v.accessKeyId, secretAccessKey: v.secretAccessKey, sessionToken: v.sessionToken || undefined });
      try {
        const doc = await sts("GetCallerIdentity");
        fill(out, h("p", { class: "notice" }, "Signed in."), facts([["Account", doc.querySelector("Account")?.textContent], ["ARN", doc.querySelector("Arn")?.textContent]]));
        showWho();
      } catch (e) {
        if (previous) session.signIn(previous);
        else session.signOut();
        throw e;
      }
    });
  });
  fill(
    el,
    page(
      "Credentials",
      h("p", {}, "The console calls the same AWS APIs as the SDKs and signs them with SigV4 in this browser. With `serve --credentials`, give an access key pair; it is kept for this tab only (session storage). In open mode any key is accepted."),
      form,
      out,
    ),
  );
}

const region = document.getElementById("region");
region.value = session.region;
region.addEventListener("change", () => {
  session.setRegion(region.value.trim() || "us-east-1");
  route();
});
window.addEventListener("hashchange", route);
showWho();
route();
