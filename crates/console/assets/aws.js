// The console's AWS client: every call is an AWS API request signed with SigV4 in the browser,
// exactly as an SDK sends it. SHA-256 and HMAC are written out here because WebCrypto exists
// only in secure contexts (an http:// host given with --allow-host is not one).

const REGION_KEY = "dynostack.region";
const KEYS_KEY = "dynostack.credentials";

// Open mode accepts any key; these are what the console signs with until the user gives one.
const OPEN_MODE_KEYS = { accessKeyId: "console", secretAccessKey: "console" };

export const session = {
  region: localStorage.getItem(REGION_KEY) || "us-east-1",
  credentials: JSON.parse(sessionStorage.getItem(KEYS_KEY) || "null") || OPEN_MODE_KEYS,
  signedIn() {
    return this.credentials !== OPEN_MODE_KEYS;
  },
  signIn(credentials) {
    this.credentials = credentials;
    sessionStorage.setItem(KEYS_KEY, JSON.stringify(credentials));
  },
  signOut() {
    this.credentials = OPEN_MODE_KEYS;
    sessionStorage.removeItem(KEYS_KEY);
  },
  setRegion(region) {
    this.region = region;
    localStorage.setItem(REGION_KEY, region);
  },
};

/// An AWS error answer: its code, message and HTTP status.
export class AwsError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
  // Refusals that a key pair would cure.
  get needsCredentials() {
    return [
      "UnrecognizedClientException",
      "InvalidSignatureException",
      "MissingAuthenticationTokenException",
      "InvalidClientTokenId",
      "SignatureDoesNotMatch",
      "IncompleteSignature",
      "MissingAuthenticationToken",
    ].includes(this.code);
  }
}

// ---- SHA-256 and HMAC (FIPS 180-4, RFC 2104) ----

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256(bytes) {
  const len = bytes.length;
  const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(len / 0x20000000));
  view.setUint32(padded.length - 4, (len << 3) >>> 0);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  h.forEach((v, i) => ov.setUint32(i * 4, v));
  return out;
}

const utf8 = (s) => new TextEncoder().encode(s);
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

export function hmac(key, message) {
  let k = key.length > 64 ? sha256(key) : key;
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

// ---- SigV4 ----

// RFC 3986's unreserved characters stay; everything else is %XX, as AWS signs.
export function uriEscape(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function amzDate(now) {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/// Signs a request: returns the headers to send with it.
export function sign({ method, path, query = "", headers, body, service, region, credentials, now = new Date() }) {
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const all = { ...headers, host: location.host, "x-amz-date": date };
  if (credentials.sessionToken) all["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const canonicalHeaders = names.map((n) => `${n}:${lower[n]}\n`).join("");
  const signedHeaders = names.join(";");
  // Not S3: each segment of the path as sent is encoded once more.
  const canonicalUri = path.split("/").map(uriEscape).join("/");
  const canonicalQuery = query
    .split("&")
    .filter(Boolean)
    .map((p) => p.split("=").map((x) => uriEscape(decodeURIComponent(x.replace(/\+/g, "%20")))))
    .map(([k, v = ""]) => [k, v])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const payloadHash = hex(sha256(utf8(body || "")));
  const canonical = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, hex(sha256(utf8(canonical)))].join("\n");
  let key = utf8("AWS4" + credentials.secretAccessKey);
  for (const part of [day, region, service, "aws4_request"]) key = hmac(key, utf8(part));
  const signature = hex(hmac(key, utf8(toSign)));
  const out = { ...headers, "x-amz-date": date };
  if (credentials.sessionToken) out["x-amz-security-token"] = credentials.sessionToken;
  out.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return out;
}

/// Every request the console sends, for the "requests" log a user can open.
export const requestLog = [];
const listeners = new Set();
export function onRequest(fn) {
  listeners.add(fn);
}

async function send({ service, method = "POST", path = "/", query = "", headers = {}, body = "", region }) {
  const signed = sign({
    method, path, query, headers, body, service,
    region: region || session.region,
    credentials: session.credentials,
  });
  const url = path + (query ? "?" + query : "");
  const started = performance.now();
  const resp = await fetch(url, { method, headers: signed, body: method === "GET" || method === "DELETE" ? undefined : body });
  const text = await resp.text();
  const entry = { service, operation: headers["x-amz-target"] || `${method} ${path}`, status: resp.status, ms: Math.round(performance.now() - started) };
  requestLog.push(entry);
  if (requestLog.length > 200) requestLog.shift();
  listeners.forEach((fn) => fn(entry));
  return { status: resp.status, text, headers: resp.headers };
}

function jsonError(status, text, headers) {
  let body = {};
  try {
    body = JSON.parse(text || "{}");
  } catch {}
  const raw = headers.get("x-amzn-errortype") || body.__type || body.code || "UnknownError";
  const code = raw.split(":")[0].split("#").pop();
  return new AwsError(code, body.message || body.Message || text, status);
}

// awsJson 1.0 / 1.1: the operation in X-Amz-Target, the input as a JSON body.
function jsonService(service, prefix, version) {
  return async (operation, input = {}) => {
    const body = JSON.stringify(input);
    const { status, text, headers } = await send({
      service,
      headers: { "content-type": `application/x-amz-json-${version}`, "x-amz-target": `${prefix}.${operation}` },
      body,
    });
    if (status >= 300) throw jsonError(status, text, headers);
    return text ? JSON.parse(text) : {};
  };
}

export const dynamodb = jsonService("dynamodb", "DynamoDB_20120810", "1.0");
export const streams = jsonService("dynamodb", "DynamoDBStreams_20120810", "1.0");
export const cloudwatch = jsonService("monitoring", "GraniteServiceVersion20100801", "1.0");
export const kms = jsonService("kms", "TrentService", "1.1");
export const autoscaling = jsonService("application-autoscaling", "AnyScaleFrontendService", "1.1");

/// AWS Backup (restJson1): a method and path, JSON in and out.
export async function backup(method, path, input) {
  const body = input === undefined ? "" : JSON.stringify(input);
  const [p, q = ""] = path.split("?");
  const { status, text, headers } = await send({
    service: "backup", method, path: p, query: q,
    headers: input === undefined ? {} : { "content-type": "application/json" },
    body,
  });
  if (status >= 300) throw jsonError(status, text, headers);
  return text ? JSON.parse(text) : {};
}

/// IAM (awsQuery, global: signed for us-east-1): the parsed XML document of the answer.
export const iam = queryService("iam", "2010-05-08", "us-east-1");
export const sts = queryService("sts", "2011-06-15");

function queryService(service, version, region) {
  return (action, params) => query(service, version, region, action, params);
}

async function query(service, version, region, action, params = {}) {
  const form = new URLSearchParams({ Action: action, Version: version, ...params }).toString();
  const { status, text } = await send({
    service, region,
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: form,
  });
  const doc = new DOMParser().parseFromString(text, "application/xml");
  if (status >= 300) {
    const code = doc.querySelector("Code")?.textContent || "UnknownError";
    throw new AwsError(code, doc.querySelector("Message")?.textContent || text, status);
  }
  return doc;
}

/// The test clock (`serve --test-clock`): null when the server has none.
export async function clock() {
  const resp = await fetch("/_dynostack/clock");
  return resp.ok ? resp.json() : null;
}

export async function advanceClock(seconds) {
  const resp = await fetch("/_dynostack/clock/advance", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds }),
  });
  const body = await resp.json();
  if (!resp.ok) throw new AwsError(body.__type || "Error", body.message, resp.status);
  return body;
}

/// Every page of a paginated call: `key` is the token's name in and out.
export async function all(call, op, input, listKey, tokenIn = "NextToken", tokenOut = tokenIn, limit = 1000) {
  const out = [];
  let token;
  do {
    const page = await call(op, token ? { ...input, [tokenIn]: token } : input);
    out.push(...(page[listKey] || []));
    token = page[tokenOut];
  } while (token && out.length < limit);
  return out;
}
