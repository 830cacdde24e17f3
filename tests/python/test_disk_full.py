"""A full disk (issue 19): the failing write is told the disk is full, reads go on, writes resume
by themselves once space is freed, nothing acknowledged is lost, and a restart on a full disk
needs no new space. The data directory is a small tmpfs mounted for the test (skipped where
mounting is not allowed)."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import Server, create_table

DISK_MB = 160
MIB = 1024 * 1024


@pytest.fixture
def small_disk():
    workdir = Path(tempfile.mkdtemp(prefix="dynostack-diskfull-"))
    data = workdir / "data"
    data.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0700", "tmpfs", str(data)],
        capture_output=True, text=True,
    )
    if mounted.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.skip(f"cannot mount a {DISK_MB} MiB tmpfs here: {mounted.stderr.strip()}")
    servers: list[Server] = []

    def server(name: str = "diskfull") -> Server:
        srv = Server(workdir, name=name)
        servers.append(srv)
        return srv

    yield data, server
    for srv in servers:
        srv._kill()
    subprocess.run(["umount", "-l", str(data)], capture_output=True)
    shutil.rmtree(workdir, ignore_errors=True)


def fill(path: Path) -> Path:
    """Writes `path` until the disk is full; the disk then has no block left."""
    size = MIB
    with open(path, "wb", buffering=0) as f:
        while size >= 4096:
            try:
                f.write(b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                size //= 2
    assert shutil.disk_usage(path.parent).free < MIB
    return path


def is_disk_full(e: ClientError) -> bool:
    err = e.response["Error"]
    return (
        err["Code"] == "InternalServerError"
        and e.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        and "disk" in err["Message"] and "full" in err["Message"]
    )


def put(ddb, table: str, key: str, size: int = 1000):
    ddb.put_item(TableName=table, Item={"k": {"S": key}, "v": {"S": "x" * size}})


def keys_in(ddb, table: str) -> set[str]:
    keys, start = set(), None
    while True:
        page = ddb.scan(TableName=table, ConsistentRead=True,
                        **({"ExclusiveStartKey": start} if start else {}))
        keys |= {i["k"]["S"] for i in page["Items"]}
        start = page.get("LastEvaluatedKey")
        if not start:
            return keys


def write_until_full(ddb, table: str, prefix: str, acked: list[str], size: int = 1000,
                     limit: int = 100_000) -> ClientError:
    for n in range(limit):
        key = f"{prefix}-{n}"
        try:
            put(ddb, table, key, size)
        except ClientError as e:
            assert is_disk_full(e), e.response
            return e
        acked.append(key)
    pytest.fail(f"{limit} writes and the disk never filled")


def wait_writable(ddb, table: str, key: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            put(ddb, table, key)
            return
        except ClientError as e:
            assert is_disk_full(e), e.response
            if time.monotonic() > deadline:
                pytest.fail(f"writes did not resume within {timeout}s after space was freed")
            time.sleep(0.2)


def started(server, table: str, items: int, prefix: str):
    """A server with `table` and `items` acknowledged writes; the server, client and keys."""
    srv = server()
    srv.start()
    ddb = srv.client()
    create_table(ddb, table)
    acked: list[str] = []
    for n in range(items):
        put(ddb, table, f"{prefix}-{n}")
        acked.append(f"{prefix}-{n}")
    return srv, ddb, acked


def log_lines(srv: Server) -> int:
    return sum(len(p.read_text(errors="replace").splitlines())
               for p in srv.workdir.glob("stderr.*.log"))


def test_writes_stop_with_a_clear_error_and_resume_without_a_restart(small_disk):
    data, server = small_disk
    srv, ddb, acked = started(server, "full", 200, "before")

    filler = fill(data / "filler")
    # The writes that the ballast's room lets finish are acknowledged; then the error says why.
    write_until_full(ddb, "full", "during", acked, limit=2000)
    for _ in range(20):
        with pytest.raises(ClientError) as refused:
            put(ddb, "full", "refused")
        assert is_disk_full(refused.value), refused.value.response
    # Reads go on, from every source: an item, a query, a scan, the table's description.
    got = ddb.get_item(TableName="full", Key={"k": {"S": acked[-1]}}, ConsistentRead=True)
    assert got["Item"]["k"]["S"] == acked[-1]
    assert keys_in(ddb, "full") >= set(acked)
    assert ddb.describe_table(TableName="full")["Table"]["TableStatus"] == "ACTIVE"
    assert srv.proc.poll() is None
    # One line for the episode, not one per refused write.
    assert log_lines(srv) < 60, srv.diagnostics()

    filler.unlink()
    wait_writable(ddb, "full", "after")
    acked.append("after")
    for n in range(200):
        put(ddb, "full", f"after-{n}")
        acked.append(f"after-{n}")
    assert keys_in(ddb, "full") >= set(acked)
    srv.restart()
    ddb = srv.client()
    assert keys_in(ddb, "full") >= set(acked)


def test_the_server_filling_the_disk_itself(small_disk):
    data, server = small_disk
    # Room to free later: the server's own items fill the rest.
    spacer = data / "spacer"
    with open(spacer, "wb") as f:
        f.write(b"\0" * (24 * MIB))
    srv = server()
    srv.start()
    ddb = srv.client()
    create_table(ddb, "own")
    acked: list[str] = []
    write_until_full(ddb, "own", "item", acked, size=16_000)
    assert len(acked) > 1000, "the disk filled before the server wrote much"
    sample = acked[:: max(1, len(acked) // 50)]
    for key in sample:
        got = ddb.get_item(TableName="own", Key={"k": {"S": key}}, ConsistentRead=True)
        assert got["Item"]["v"]["S"] == "x" * 16_000

    spacer.unlink()
    wait_writable(ddb, "own", "after")
    acked.append("after")
    # Everything acknowledged is there, also after a crash.
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(timeout=10)
    srv.start()
    assert keys_in(srv.client(), "own") >= set(acked)


def test_a_restart_on_a_full_disk_needs_no_new_space(small_disk):
    data, server = small_disk
    srv, ddb, acked = started(server, "crash", 2000, "k")
    # Killed while the log holds the last writes (they are folded after a second's pause).
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait(timeout=10)
    log_bytes = sum((data / n).stat().st_size for n in ("dynostack.wal", "dynostack.wal.1")
                    if (data / n).exists())
    assert log_bytes > 0
    filler = fill(data / "filler")

    srv.start()
    ddb = srv.client()
    assert keys_in(ddb, "crash") >= set(acked)
    with pytest.raises(ClientError) as refused:
        put(ddb, "crash", "refused")
    assert is_disk_full(refused.value), refused.value.response

    filler.unlink()
    wait_writable(ddb, "crash", "after")
    srv.restart()
    assert keys_in(srv.client(), "crash") >= set(acked) | {"after"}
