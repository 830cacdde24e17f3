#!/usr/bin/env python3
"""Where a request's server CPU goes, by stage of the pipeline, from a perf profile.

    perf record -F 1999 -g --call-graph dwarf,16384 -p PID -o get.data -- sleep 8   # under load
    perf script -i get.data | scripts/profile-stages.py [CPU µs per request]

Each sample goes to the first stage whose markers one of its frames names, frames read from
the leaf outwards: a socket write made by hyper counts as the socket write, a redb page read
made by GetItem as the store read. With the server's CPU µs per request (the `wrk` and
`suite` reports print it) the shares are also given in µs. Profile `target/profiling/dynostack`
(`cargo build --profile profiling`): the release build has no symbols.
"""
import collections
import sys

STAGES = [
    ("kernel: socket write (incl. waking the client)", ["__GI___writev", "writev"]),
    ("kernel: socket read", ["__libc_recv", "recvfrom"]),
    ("auth (SigV4 header parsing)", ["auth::", "server::http::verify"]),
    ("write job: queue, wait, WAL append + fdatasync",
     ["write_job", "Writer", "wal::", "fdatasync", "syncer::", "group_commit"]),
    ("store read (memtable, redb, value decode)", ["store::", "redb::"]),
    ("request JSON parse", ["serde_json::de", "protocol::json::parse", "Deserialize for dynamodb"]),
    ("response JSON render", ["Render", "serde_json::ser", "tree_bytes"]),
    ("metering (capacity, metrics, throttle)",
     ["consume_on", "admit", "metrics::", "throttle::", "usage::"]),
    ("item encode/decode", ["items::", "item::"]),
    ("DynamoDB operation (validation, catalog, rest)", ["dynamodb::"]),
    ("request pipeline (route, body, budget, request id, send)", ["server::", "ceiling::"]),
    ("HTTP/1 (hyper: parse, encode, dispatch)", ["hyper::", "httparse"]),
    ("tokio (scheduling, timers, I/O readiness)", ["tokio::", "mio::"]),
]


def stage_of(stack: list[str]) -> str:
    for frame in stack:  # leaf first
        for stage, markers in STAGES:
            if any(m in frame for m in markers):
                return stage
    return "other (" + ("kernel" if stack[0].endswith("[kernel.kallsyms])") else "user") + ")"


def main() -> None:
    per_request_us = float(sys.argv[1]) if len(sys.argv) > 1 else None
    counts: collections.Counter[str] = collections.Counter()
    stack: list[str] = []
    for line in sys.stdin:
        if not line.strip():
            if stack:
                counts[stage_of(stack)] += 1
            stack = []
        elif line[0] in " \t":
            stack.append(line.strip())
    if stack:
        counts[stage_of(stack)] += 1
    total = sum(counts.values()) or 1
    for stage, n in counts.most_common():
        share = n / total
        us = f"  {per_request_us * share:5.1f} µs" if per_request_us else ""
        print(f"{100 * share:5.1f} %{us}  {stage}")


if __name__ == "__main__":
    main()
