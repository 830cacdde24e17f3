// Streams: a table's streams and shards, a shard's records from its start, and a live tail that
// follows every open shard from its end (GetRecords once a second, as a consumer would).
import { dynamodb, streams } from "../aws.js";
import { h, fill, table, facts, page, section, load, link, when, gap } from "../ui.js";
import { enc } from "./tables.js";

function keysOf(record) {
  const keys = record.dynamodb?.Keys || {};
  return Object.entries(keys).map(([k, v]) => `${k}=${Object.values(v)[0]}`).join(", ");
}

function image(img) {
  return img ? JSON.stringify(img) : "—";
}

function recordsTable(records) {
  return table(
    [
      ["Event", (r) => r.eventName],
      ["Sequence number", (r) => r.dynamodb?.SequenceNumber],
      ["Created", (r) => when(r.dynamodb?.ApproximateCreationDateTime)],
      ["Keys", keysOf],
      ["New image", (r) => h("code", {}, image(r.dynamodb?.NewImage))],
      ["Old image", (r) => h("code", {}, image(r.dynamodb?.OldImage))],
    ],
    records,
    { empty: "No records." },
  );
}

/// `#/streams` lists every stream; `#/streams/TABLE` shows that table's latest stream.
export async function render(el, tableName) {
  const body = h("div");
  fill(el, page(tableName ? `Stream of ${tableName}` : "Streams", body));
  await load(body, async () => {
    const input = tableName ? { TableName: tableName } : {};
    const { Streams: list = [] } = await streams("ListStreams", { ...input, Limit: 100 });
    if (!tableName) {
      return [
        table(
          [
            ["Table", (s) => link(`#/streams/${enc(s.TableName)}`, s.TableName)],
            ["Stream", (s) => s.StreamArn],
            ["Label", (s) => s.StreamLabel],
          ],
          list,
          { empty: "No streams: enable one on a table (its Change section)." },
        ),
        await triggers(),
      ];
    }
    let arn = list[0]?.StreamArn;
    const latest = (await dynamodb("DescribeTable", { TableName: tableName })).Table.LatestStreamArn;
    if (latest) arn = latest;
    if (!arn) return h("p", { class: "empty" }, "This table has no stream.");
    return streamView(arn);
  });
}

async function describe(arn) {
  const shards = [];
  let start;
  let desc;
  do {
    desc = (await streams("DescribeStream", { StreamArn: arn, ...(start ? { ExclusiveStartShardId: start } : {}) })).StreamDescription;
    shards.push(...(desc.Shards || []));
    start = desc.LastEvaluatedShardId;
  } while (start);
  return { desc, shards };
}

async function streamView(arn) {
  const { desc, shards } = await describe(arn);
  const records = h("div", { "aria-live": "polite" });
  const tail = h("div", { class: "tail" });
  const tailButton = h("button", { type: "button" }, "Start live tail");
  let tailing = null;
  tailButton.addEventListener("click", () => {
    if (tailing) {
      tailing.stop();
      tailing = null;
      tailButton.textContent = "Start live tail";
      return;
    }
    tailing = liveTail(arn, tail);
    tailButton.textContent = "Stop live tail";
  });
  // The tail stops when the page is left.
  window.addEventListener("hashchange", () => tailing?.stop(), { once: true });
  return [
    section(
      "Stream",
      facts([
        ["ARN", desc.StreamArn],
        ["Table", desc.TableName],
        ["View type", desc.StreamViewType],
        ["Status", desc.StreamStatus],
        ["Created", when(desc.CreationRequestDateTime)],
      ]),
    ),
    section(
      "Shards",
      table(
        [
          ["Shard", (s) => s.ShardId],
          ["Parent", (s) => s.ParentShardId || "—"],
          ["First sequence number", (s) => s.SequenceNumberRange?.StartingSequenceNumber],
          ["Last", (s) => s.SequenceNumberRange?.EndingSequenceNumber || "open"],
          ["", (s) => h("button", { type: "button", class: "secondary", onclick: () => load(records, () => readShard(arn, s.ShardId)) }, "Read records")],
        ],
        shards,
      ),
      records,
    ),
    section("Live tail", h("p", {}, "New records of every open shard, newest first, read once a second."), h("div", { class: "actions" }, tailButton), tail),
  ];
}

/// A shard's records from its start, as many as GetRecords gives before it catches up.
async function readShard(arn, shardId) {
  let { ShardIterator: it } = await streams("GetShardIterator", { StreamArn: arn, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" });
  const out = [];
  while (it && out.length < 1000) {
    const r = await streams("GetRecords", { ShardIterator: it, Limit: 1000 });
    out.push(...(r.Records || []));
    if (!r.Records?.length) break;
    it = r.NextShardIterator;
  }
  return h("div", { class: "shard-records" }, h("h3", {}, `Records of ${shardId}`), recordsTable(out));
}

function liveTail(arn, el) {
  let stopped = false;
  const seen = [];
  const status = h("p", { class: "loading" }, "Following…");
  const list = h("div");
  fill(el, status, list);
  (async () => {
    const iterators = new Map();
    while (!stopped) {
      try {
        const { shards } = await describe(arn);
        for (const s of shards.filter((x) => !x.SequenceNumberRange?.EndingSequenceNumber && !iterators.has(x.ShardId))) {
          const { ShardIterator } = await streams("GetShardIterator", { StreamArn: arn, ShardId: s.ShardId, ShardIteratorType: "LATEST" });
          iterators.set(s.ShardId, ShardIterator);
        }
        for (const [shard, it] of iterators) {
          if (!it) continue;
          const r = await streams("GetRecords", { ShardIterator: it, Limit: 100 });
          iterators.set(shard, r.NextShardIterator);
          if (r.Records?.length) {
            seen.unshift(...r.Records.reverse());
            seen.length = Math.min(seen.length, 200);
            fill(list, recordsTable(seen));
          }
        }
        fill(status, `Following ${iterators.size} shard(s); ${seen.length} record(s) seen.`);
      } catch (e) {
        fill(status, `${e.code}: ${e.message}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return { stop: () => (stopped = true) };
}

/// Triggers (`serve --trigger TABLE=COMMAND`): each one's checkpoint — the next stream record
/// it delivers — and its worker. They have no AWS API here (Lambda's event source mappings are
/// not served), so this reads `/_dynostack/triggers`, served in open mode or with the test clock.
async function triggers() {
  const resp = await fetch("/_dynostack/triggers").catch(() => null);
  if (!resp || !resp.ok) {
    return section("Triggers", gap("triggers and their checkpoints are shown in open mode or with --test-clock only: they have no AWS API here."));
  }
  const { triggers: list = [] } = await resp.json();
  return section(
    "Triggers",
    table(
      [
        ["Table", (t) => link(`#/streams/${enc(t.table)}`, t.table)],
        ["Command", (t) => h("code", {}, t.command)],
        ["Checkpoint (next sequence number)", (t) => t.next_sequence_number],
        ["Worker steps", (t) => t.worker?.steps ?? "not running"],
        ["Failures", (t) => t.worker?.failures ?? "—"],
        ["Last error", (t) => t.worker?.last_error || "—"],
      ],
      list,
      { empty: "No triggers: serve --trigger TABLE=COMMAND runs one." },
    ),
  );
}
