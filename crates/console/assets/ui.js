// Small DOM helpers the pages share: element building, tables, forms, errors, busy states.

/// `h("button", {onclick, class: "x"}, "text", child)`: an element. Attributes starting with
/// `on` are listeners; `null`/`false` children are skipped.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/// Replaces the children of `el`.
export function fill(el, ...children) {
  el.replaceChildren();
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/// A table: `columns` are `[heading, row => cell]`.
export function table(columns, rows, { caption, empty = "None" } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    caption && h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map(([name]) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(r) ?? ""))))),
  );
}

/// A definition list of `[term, value]` pairs.
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

/// An AWS error as the user sees it: its code and AWS's message.
export function errorBox(err) {
  return h(
    "div",
    { class: "error", role: "alert" },
    h("strong", {}, err.code || err.name || "Error"),
    ": ",
    err.message,
  );
}

/// A labelled input. `opts.options` makes a select.
export function field(label, name, opts = {}) {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  let input;
  if (opts.options) {
    input = h("select", { id, name }, opts.options.map((o) => {
      const [value, text] = Array.isArray(o) ? o : [o, o];
      return h("option", { value, selected: value === opts.value }, text);
    }));
  } else if (opts.multiline) {
    input = h("textarea", { id, name, rows: opts.rows || 8, spellcheck: "false" }, opts.value || "");
  } else if (opts.type === "checkbox") {
    input = h("input", { id, name, type: "checkbox", checked: !!opts.value });
    return h("div", { class: "field check" }, input, h("label", { for: id }, label));
  } else {
    input = h("input", { id, name, type: opts.type || "text", value: opts.value ?? "", placeholder: opts.placeholder, required: opts.required });
  }
  return h("div", { class: "field" }, h("label", { for: id }, label), input, opts.hint && h("small", {}, opts.hint));
}

/// The values of a form's named fields (checkboxes as booleans).
export function values(form) {
  const out = {};
  for (const el of form.querySelectorAll("[name]")) {
    out[el.name] = el.type === "checkbox" ? el.checked : el.value.trim();
  }
  return out;
}

/// Runs `work` with the button disabled, showing its error (if any) in `where`.
export async function busy(button, where, work) {
  button.disabled = true;
  if (where) fill(where);
  try {
    return await work();
  } catch (e) {
    if (where) fill(where, errorBox(e));
    else throw e;
  } finally {
    button.disabled = false;
  }
}

/// A page's frame: heading and body.
export function page(title, ...body) {
  document.title = `${title} · Dynostack`;
  return [h("h1", {}, title), ...body];
}

export function section(title, ...body) {
  return h("section", {}, h("h2", {}, title), ...body);
}

/// What a page shows while it loads, then its content or the error.
export async function load(el, work) {
  fill(el, h("p", { class: "loading", "aria-live": "polite" }, "Loading…"));
  try {
    fill(el, await work());
  } catch (e) {
    fill(el, errorBox(e));
  }
}

export function link(href, text) {
  return h("a", { href }, text);
}

export function when(ts) {
  if (ts === undefined || ts === null) return "—";
  const d = typeof ts === "number" ? new Date(ts * 1000) : new Date(ts);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function bytes(n) {
  if (n === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/// A note for something stored but not behaving yet (README's compatibility table says so too).
export function gap(text) {
  return h("p", { class: "gap", role: "note" }, "Not behaving yet: ", text);
}

export function code(text) {
  return h("pre", { class: "code" }, h("code", {}, text));
}
