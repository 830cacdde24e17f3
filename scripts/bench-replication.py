#!/usr/bin/env python3
"""Replication lag of a global table under the put benchmark (issue 28), and what replication
costs the writes: `dynostack-bench run --workload put` (1 KB items, fresh keys, 32 connections)
against `bench_put`, alternating rounds on two release servers of this build, one whose table has
a replica in eu-west-1 and one whose table has none (the baseline, same stream). The lag is each
replicated write's ReplicationLatency as the server publishes it to CloudWatch (commit in
us-east-1 to application in eu-west-1), read back as p50/p99/max per minute.

    cargo build --release -p dynostack -p dynostack-bench
    .venv/bin/python scripts/bench-replication.py [--duration 10] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "target/release/dynostack"
BENCH = ROOT / "target/release/dynostack-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data_dir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([str(SERVER), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, endpoint
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def client(endpoint: str, region: str, service: str = "dynamodb"):
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id="bench", aws_secret_access_key="bench")


def prepare(endpoint: str, replica: bool) -> None:
    us = client(endpoint, "us-east-1")
    us.create_table(TableName="bench_put", BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    if replica:
        us.update_table(TableName="bench_put", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
        eu = client(endpoint, "eu-west-1")
        while eu.describe_table(TableName="bench_put")["Table"]["TableStatus"] != "ACTIVE":
            time.sleep(0.1)


def put_run(endpoint: str, duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([str(BENCH), "run", "--target", endpoint, "--workload", "put", "--no-setup",
                        "--connections", str(connections), "--duration", str(duration), "--json", out.name],
                       check=True, stdout=subprocess.DEVNULL)
        return json.loads(Path(out.name).read_text())


def count(endpoint: str, region: str) -> int:
    ddb, total, kwargs = client(endpoint, region), 0, {"TableName": "bench_put", "Select": "COUNT"}
    while True:
        page = ddb.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10, help="seconds per round and server")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    dirs = [tempfile.mkdtemp(prefix="dynostack-repl-bench-") for _ in range(2)]
    (gproc, glob), (bproc, base) = start(dirs[0]), start(dirs[1])
    try:
        prepare(glob, replica=True)
        prepare(base, replica=False)
        started = time.time()
        rates = {"global": [], "baseline": []}
        p99s = {"global": [], "baseline": []}
        for _ in range(args.rounds):
            for name, endpoint in (("global", glob), ("baseline", base)):
                r = put_run(endpoint, args.duration, args.connections)
                rates[name].append(round(r["ops_per_s"]))
                p99s[name].append(round(r["latency_ms"]["p99"], 2))
        written_at = time.time()
        source = count(glob, "us-east-1")
        while count(glob, "eu-west-1") != source:
            time.sleep(0.2)
        drained = time.time() - written_at
        # The last minute is published once it ends.
        time.sleep(max(0.0, 62 - (time.time() % 60)) + 3)
        cw = client(glob, "us-east-1", "cloudwatch")
        points = cw.get_metric_statistics(
            Namespace="AWS/DynamoDB", MetricName="ReplicationLatency",
            Dimensions=[{"Name": "TableName", "Value": "bench_put"}, {"Name": "ReceivingRegion", "Value": "eu-west-1"}],
            StartTime=started - 120, EndTime=time.time(), Period=60,
            ExtendedStatistics=["p50", "p99", "p100"])["Datapoints"]
        report = {
            "items": source,
            "put_rps_global": rates["global"],
            "put_rps_baseline": rates["baseline"],
            "put_p99_ms_global": p99s["global"],
            "put_p99_ms_baseline": p99s["baseline"],
            "drained_after_s": round(drained, 2),
            "replication_latency_ms_per_minute": sorted(
                ({"minute": p["Timestamp"].isoformat(), **{k: round(v, 1) for k, v in p["ExtendedStatistics"].items()}}
                 for p in points), key=lambda p: p["minute"]),
            "put_rps_ratio_global_to_baseline": round(sum(rates["global"]) / sum(rates["baseline"]), 3),
        }
        print(json.dumps(report, indent=2))
    finally:
        for p in (gproc, bproc):
            p.terminate()
            p.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
