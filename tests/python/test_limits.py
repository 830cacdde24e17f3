"""Limits every write path enforces, and what open mode refuses (issue 19, in part)."""

from __future__ import annotations

import http.client
import urllib.parse

from dynohelpers import UNVERIFIED, expect_error


def _nested(levels: int, leaf: dict) -> dict:
    """A value with `levels` maps around `leaf`, each under the name "a"."""
    v = leaf
    for _ in range(levels):
        v = {"M": {"a": v}}
    return v


class TestNesting:
    def test_update_item_cannot_build_past_32_levels(self, ddb, hash_table):
        # 31 maps around a leaf: the deepest value is at level 32, AWS's limit.
        ddb.put_item(TableName=hash_table, Item={"k": {"S": "deep"}, "v": _nested(31, {"S": "x"})})
        path = "v" + ".a" * 30
        # Each part is within the limit; together they would make a 61-level item.
        expect_error(
            ddb.update_item, "ValidationException", UNVERIFIED,
            TableName=hash_table, Key={"k": {"S": "deep"}},
            UpdateExpression=f"SET {path} = :v",
            ExpressionAttributeValues={":v": _nested(30, {"S": "y"})},
        )
        # The item is untouched and still reads; a shallow update still works.
        item = ddb.get_item(TableName=hash_table, Key={"k": {"S": "deep"}}, ConsistentRead=True)["Item"]
        assert item["v"] == _nested(31, {"S": "x"})
        ddb.update_item(TableName=hash_table, Key={"k": {"S": "deep"}},
                        UpdateExpression="SET w = :w", ExpressionAttributeValues={":w": {"S": "ok"}})

    def test_a_transaction_update_cannot_either(self, ddb, hash_table):
        ddb.put_item(TableName=hash_table, Item={"k": {"S": "deep-tx"}, "v": _nested(20, {"N": "1"})})
        path = "v" + ".a" * 19
        resp = expect_error(
            ddb.transact_write_items, "TransactionCanceledException", UNVERIFIED,
            TransactItems=[{"Update": {
                "TableName": hash_table, "Key": {"k": {"S": "deep-tx"}},
                "UpdateExpression": f"SET {path} = :v",
                "ExpressionAttributeValues": {":v": _nested(20, {"N": "2"})},
            }}],
        )
        reasons = resp["CancellationReasons"]
        assert reasons[0]["Code"] == "ValidationError", reasons


def _raw(endpoint: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    url = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _signed_headers(endpoint: str, target: str, body: bytes) -> dict:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY

    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", REGION).add_auth(req)
    return dict(req.prepare().headers)


class TestOpenModeAgainstWebPages:
    def test_a_foreign_host_is_refused(self, endpoint, hash_table):
        body = f'{{"TableName": "{hash_table}"}}'.encode()
        headers = _signed_headers(endpoint, "DynamoDB_20120810.Scan", body)
        status, _ = _raw(endpoint, "/", body, headers)
        assert status == 200
        # DNS rebinding: the browser names the attacker's host.
        headers["Host"] = "attacker.example"
        status, reply = _raw(endpoint, "/", body, headers)
        assert status == 403, reply
        assert b"AccessDeniedException" in reply

    def test_a_text_plain_cbor_post_cannot_delete_an_alarm(self, endpoint):
        import boto3
        from botocore.config import Config

        from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY

        cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"total_max_attempts": 1}))
        cw.put_metric_alarm(AlarmName="csrf-target", MetricName="M", Namespace="N", Statistic="Sum",
                            Period=60, EvaluationPeriods=1, Threshold=1.0,
                            ComparisonOperator="GreaterThanThreshold")
        # What a web page can send without a preflight: text/plain, no Authorization header, a
        # made-up presigned query string; the body is CBOR {"AlarmNames": ["csrf-target"]}.
        body = bytes.fromhex("a16a416c61726d4e616d657381") + b"\x6b" + b"csrf-target"
        query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1"
                 "%2Fmonitoring%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature=" + "0" * 64)
        host = urllib.parse.urlparse(endpoint).netloc
        status, reply = _raw(endpoint, "/service/GraniteServiceVersion20100801/operation/DeleteAlarms?" + query,
                             body, {"Host": host, "Content-Type": "text/plain"})
        assert status == 403, reply
        names = [a["AlarmName"] for a in cw.describe_alarms(AlarmNames=["csrf-target"])["MetricAlarms"]]
        assert names == ["csrf-target"]
        cw.delete_alarms(AlarmNames=["csrf-target"])


def test_the_data_directory_is_private(new_server):
    import os
    import stat

    srv = new_server()
    srv.client().list_tables()
    assert stat.S_IMODE(os.stat(srv.data_dir).st_mode) == 0o700
    files = [f for f in os.listdir(srv.data_dir) if f.startswith("dynostack.")]
    assert "dynostack.redb" in files, files
    for f in files:
        assert stat.S_IMODE(os.stat(srv.data_dir / f).st_mode) == 0o600, f


class TestConnections:
    def test_a_stalled_body_is_dropped_after_the_body_timeout(self, new_server):
        import socket
        import time

        srv = new_server(args=["--body-timeout-seconds", "1.5"])
        url = urllib.parse.urlparse(srv.endpoint)
        s = socket.create_connection((url.hostname, url.port), timeout=10)
        declared = 16 * 1024 * 1024
        head = (f"POST / HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/x-amz-json-1.0\r\n"
                f"X-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: AWS4-HMAC-SHA256 "
                f"Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, "
                f"Signature={'0' * 64}\r\nX-Amz-Date: 20260101T000000Z\r\n"
                f"Content-Length: {declared}\r\n\r\n").encode()
        s.sendall(head + b" " * (4 * 1024 * 1024))
        started = time.monotonic()
        reply = s.recv(4096)
        waited = time.monotonic() - started
        s.close()
        assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
        assert waited < 10
        srv.client().list_tables()

    def test_headers_that_trickle_in_and_idle_connections_are_closed(self, new_server):
        import socket
        import time

        srv = new_server(args=["--header-timeout-seconds", "1"])
        url = urllib.parse.urlparse(srv.endpoint)

        def closed_after(s) -> float:
            """Seconds until the server closes `s`, sending a header byte every 0.2 s."""
            started = time.monotonic()
            s.settimeout(0.2)
            while time.monotonic() - started < 10:
                try:
                    if s.recv(4096) == b"":
                        return time.monotonic() - started
                except socket.timeout:
                    try:
                        s.sendall(b"X")
                    except OSError:
                        return time.monotonic() - started
                except OSError:
                    return time.monotonic() - started
            return float("inf")

        trickle = socket.create_connection((url.hostname, url.port), timeout=10)
        trickle.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Pad: ")
        waited = closed_after(trickle)
        trickle.close()
        assert 0.9 <= waited < 3.5, waited

        # A keep-alive connection that answered a request and then sends nothing.
        idle = socket.create_connection((url.hostname, url.port), timeout=10)
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle.recv(4096).startswith(b"HTTP/1.1 200")
        idle.settimeout(10)
        started = time.monotonic()
        assert idle.recv(4096) == b""
        waited = time.monotonic() - started
        idle.close()
        assert 0.9 <= waited < 3.5, waited

        # A connection that keeps sending requests is not closed by the timeout.
        busy = srv.client()
        for _ in range(8):
            busy.list_tables()
            time.sleep(0.3)

    def test_running_out_of_file_descriptors_does_not_spin(self, tmp_path):
        import os
        import resource
        import socket
        import subprocess
        import time

        from conftest import LISTEN_RE, binary_path

        stderr = open(tmp_path / "stderr.log", "wb")
        proc = subprocess.Popen(
            [str(binary_path()), "serve", "--listen", "127.0.0.1:0", "--in-memory"],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
            # macOS's default limit, and the figures: 300 connections under 256.
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)),
        )
        sockets = []
        try:
            endpoint = None
            for line in iter(proc.stdout.readline, b""):
                m = LISTEN_RE.search(line.decode())
                if m:
                    endpoint = m.group(1)
                    break
            assert endpoint, "no listening line"
            url = urllib.parse.urlparse(endpoint)
            for _ in range(300):
                sockets.append(socket.create_connection((url.hostname, url.port), timeout=5))

            def cpu_seconds():
                fields = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

            before = cpu_seconds()
            time.sleep(3)
            spent = cpu_seconds() - before
            assert spent < 0.6, f"{spent:.2f} CPU s in 3 s with the descriptors exhausted"
            for s in sockets:
                s.close()
            sockets.clear()
            time.sleep(1.5)
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            conn.request("GET", "/")
            assert conn.getresponse().status == 200
            conn.close()
        finally:
            for s in sockets:
                s.close()
            proc.terminate()
            proc.wait(timeout=10)
            stderr.close()
        lines = (tmp_path / "stderr.log").read_text(errors="replace").splitlines()
        assert len(lines) < 100, lines[:5]


def test_a_streamed_tables_disk_use_stays_flat_past_the_retention(new_server):
    """The change log keeps one retention period of records: rounds of 50k writes, each followed by
    a day and an hour of test-clock time, leave the data directory no larger than after the
    first few rounds (without trimming it grows by every round's records)."""
    import json as _json
    import os
    import time
    import urllib.request

    srv = new_server(args=["--test-clock"])
    ddb = srv.client()
    name = "retention-flat"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    payload = "x" * 100

    def advance(seconds):
        req = urllib.request.Request(srv.endpoint + "/_dynostack/clock/advance", method="POST",
                                     data=_json.dumps({"seconds": seconds}).encode(),
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=120).read()

    def disk_bytes():
        # The ballast for a full disk is a constant apart from the data.
        return sum(os.path.getsize(os.path.join(srv.data_dir, f)) for f in os.listdir(srv.data_dir)
                   if f != "dynostack.reserve")

    sizes = []
    for round_ in range(10):
        for start in range(0, 50_000, 25):
            ddb.batch_write_item(RequestItems={name: [
                {"PutRequest": {"Item": {"k": {"S": f"k{(start + i) % 2000}"},
                                         "v": {"S": f"{round_}-{payload}"}}}}
                for i in range(25)
            ]})
        advance(25 * 3600)
        time.sleep(1.5)  # an idle second folds the memtable into the database file
        sizes.append(disk_bytes())
    print("data directory bytes after each round:", sizes)
    # The second half of the rounds takes no more room than the first did (without trimming,
    # each round adds its records: the issue measured 19 MB a round of 50k writes). The
    # slack absorbs a fold or checkpoint that had not caught up when a size was taken.
    assert max(sizes[5:]) <= max(sizes[:5]) * 1.2 + 1_000_000, sizes
    # The stream still works: the newest records are readable.
    streams = srv.streams_client()
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shards[-1]["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert isinstance(streams.get_records(ShardIterator=it)["Records"], list)


def test_a_16_mb_transaction_is_refused_before_it_is_decoded(new_server):
    import json as _json
    import re
    import time

    srv = new_server()
    action = {"Put": {"TableName": "t", "Item": {"k": {"S": "x"}}}}
    n = 16 * 1024 * 1024 // len(_json.dumps(action))
    body = _json.dumps({"TransactItems": [action] * n}).encode()
    assert len(body) > 15 * 1024 * 1024
    headers = _signed_headers(srv.endpoint, "DynamoDB_20120810.TransactWriteItems", body)
    started = time.monotonic()
    status, reply = _raw(srv.endpoint, "/", body, headers)
    elapsed = time.monotonic() - started
    assert status == 400, reply[:300]
    assert b"Member must have length less than or equal to 100" in reply
    status_text = open(f"/proc/{srv.proc.pid}/status").read()
    peak_kb = int(re.search(r"VmHWM:\s+(\d+) kB", status_text).group(1))
    print(f"16 MB TransactWriteItems: {status} in {elapsed:.2f} s, server peak RSS {peak_kb} kB")
    assert peak_kb < 100 * 1024, f"peak RSS {peak_kb} kB for a {len(body)} byte request ({elapsed:.1f} s)"


class TestDeepRecursion:
    def test_deeply_nested_statements_and_expressions_answer_without_crashing(self, ddb, hash_table):
        # PartiQL accepts 200 nested levels; a debug build overflowed its 2 MiB stacks at 150.
        for n in (199, 300, 1990):
            statement = f'SELECT * FROM "{hash_table}" WHERE ' + "(" * n + "k = 'a'" + ")" * n
            try:
                ddb.execute_statement(Statement=statement)
            except ddb.exceptions.ClientError as e:
                assert n > 200 and e.response["Error"]["Code"] == "ValidationException", e.response
        for n in (300, 1990):
            expect_error(ddb.put_item, "ValidationException", UNVERIFIED, TableName=hash_table,
                         Item={"k": {"S": "deep-cond"}},
                         ConditionExpression="(" * n + "attribute_not_exists(k)" + ")" * n)
        ddb.list_tables()

    def test_a_form_name_nested_past_any_shape_is_ignored(self, endpoint):
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY

        body = ("Action=DescribeAlarms&Version=2010-08-01&" + ".".join(["a"] * 200_000) + "=1").encode()
        req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "monitoring", REGION).add_auth(req)
        status, reply = _raw(endpoint, "/", body, dict(req.prepare().headers))
        assert status == 200, reply[:300]
        boto3.client("sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                     aws_secret_access_key=SECRET_KEY).get_caller_identity()


def _peak_rss_kb(pid: int) -> int:
    import re
    status_text = open(f"/proc/{pid}/status").read()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status_text).group(1))


class TestMemoryBudget:
    """Within AWS's action counts a request can still decode to far more than it weighs: each
    tiny JSON object becomes a map. Its cost is counted while the body is checked, before it is
    decoded, against the server's budget for requests in flight (`--request-memory-mb`)."""

    @staticmethod
    def _tiny_objects_put(table: str, mib: int, key: str = "many") -> bytes:
        import json as _json
        n = mib * 1024 * 1024 // len('{"NULL":true},')
        return _json.dumps({"TableName": table, "Item": {
            "k": {"S": key}, "l": {"L": [{"NULL": True}] * n}}}, separators=(",", ":")).encode()

    def test_a_request_that_would_decode_past_the_budget_is_refused_unbuilt(self, new_server):
        import concurrent.futures
        import time

        srv = new_server()
        srv.client().create_table(
            TableName="tiny", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
        body = self._tiny_objects_put("tiny", 16)
        headers = _signed_headers(srv.endpoint, "DynamoDB_20120810.PutItem", body)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda _: _raw(srv.endpoint, "/", body, headers), range(4)))
        elapsed = time.monotonic() - started
        peak_kb = _peak_rss_kb(srv.proc.pid)
        print(f"4 x {len(body)} byte PutItem of tiny objects: {elapsed:.2f} s, "
              f"server peak RSS {peak_kb} kB")
        for status, reply in replies:
            assert status == 413, reply[:300]
            assert b"RequestEntityTooLarge" in reply and b"--request-memory-mb" in reply, reply[:300]
        assert peak_kb < 150 * 1024, f"peak RSS {peak_kb} kB"

    def test_requests_within_the_budget_wait_for_each_other_and_all_succeed(self, new_server):
        import concurrent.futures

        # A 1 MiB PutItem of tiny objects is estimated at about 110 MiB decoded: two fit in
        # this budget at once, the others wait their turn.
        srv = new_server(args=["--request-memory-mb", "256"])
        ddb = srv.client()
        ddb.create_table(
            TableName="tiny", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
        def put(i):
            body = self._tiny_objects_put("tiny", 1, key=f"many-{i}")
            headers = _signed_headers(srv.endpoint, "DynamoDB_20120810.PutItem", body)
            return _raw(srv.endpoint, "/", body, headers)

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            replies = list(pool.map(put, range(6)))
        for status, reply in replies:
            assert status == 200, reply[:300]
        got = ddb.get_item(TableName="tiny", Key={"k": {"S": "many-5"}})["Item"]
        assert len(got["l"]["L"]) == 1024 * 1024 // len('{"NULL":true},')
        # An item of AWS's size passes with its 25-item batch (10 MB).
        ddb.batch_write_item(RequestItems={"tiny": [
            {"PutRequest": {"Item": {"k": {"S": f"big-{i}"}, "v": {"S": "x" * 390_000}}}}
            for i in range(25)]})
        pages = ddb.get_paginator("scan").paginate(TableName="tiny", Select="COUNT")
        assert sum(p["Count"] for p in pages) == 31
