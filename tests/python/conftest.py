"""pytest fixtures: run the dynostack binary and hand out boto3 clients.

The binary comes from $DYNOSTACK_BIN, default <repo>/target/debug/dynostack.
Contract (see the project brief):
    dynostack serve --listen 127.0.0.1:0 --data-dir DIR   (or --in-memory)
prints ``listening on http://127.0.0.1:PORT`` on stdout when ready and stops
gracefully on SIGTERM.

Fixtures
--------
server        session   one shared server on a temp data dir
ddb           session   low-level boto3 client (client-side param validation on)
ddb_raw       session   low-level client with parameter_validation=False, so
                        requests reach the server and we test *its* messages
dynamodb      session   boto3 resource
streams       session   boto3 dynamodbstreams client
make_table    function  factory: creates uniquely-named tables, waits for
                        ACTIVE, deletes them at teardown
hash_table    session   shared table, HASH k (S), PAY_PER_REQUEST
range_table   session   shared table, HASH k (S) + RANGE r (N)
num_table     session   shared table, HASH k (N)
bin_table     session   shared table, HASH k (B)
new_server    function  factory for private servers (own data dir); each has
                        .restart() for durability tests; all stopped at teardown;
                        new_server(args=[...]) adds serve flags
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dynohelpers import ACCESS_KEY, REGION, SECRET_KEY, key_schema, unique_name, wait_table_active, wait_table_gone

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "target" / "debug" / "dynostack"
START_TIMEOUT = float(os.environ.get("DYNOSTACK_START_TIMEOUT", "30"))
STOP_TIMEOUT = 10.0
LISTEN_RE = re.compile(r"listening on (https?://\S+)")


def binary_path() -> Path:
    return Path(os.environ.get("DYNOSTACK_BIN", str(DEFAULT_BIN)))


def client_config(parameter_validation: bool = True) -> Config:
    return Config(
        region_name=REGION,
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        parameter_validation=parameter_validation,
    )


class Server:
    """One dynostack process. Restartable on the same data dir."""

    def __init__(self, workdir: Path, in_memory: bool = False, name: str = "server", args=()):
        self.workdir = workdir
        self.in_memory = in_memory
        self.extra_args = [str(a) for a in args]
        self.name = name
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self.starts = 0
        self._stdout_lines: list[str] = []

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> str:
        binary = binary_path()
        if not binary.exists():
            pytest.fail(
                f"dynostack binary not found at {binary}; build it (cargo build) "
                "or set DYNOSTACK_BIN",
                pytrace=False,
            )
        self.starts += 1
        args = [str(binary), "serve", "--listen", "127.0.0.1:0"]
        args += ["--in-memory"] if self.in_memory else ["--data-dir", str(self.data_dir)]
        args += self.extra_args
        self.stderr_path = self.workdir / f"stderr.{self.starts}.log"
        stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            cwd=self.workdir,
        )
        stderr.close()
        lines: queue.Queue = queue.Queue()
        self._stdout_lines = []

        def pump(stream, sink):
            # Keep draining stdout for the whole process lifetime so the
            # server never blocks on a full pipe.
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self._stdout_lines.append(line)
                sink.put(line)
            sink.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout, lines), daemon=True).start()

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill()
                raise RuntimeError(f"{self.name}: no 'listening on' line within {START_TIMEOUT}s\n{self.diagnostics()}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise RuntimeError(
                    f"{self.name}: exited with {self.proc.returncode} before listening\n{self.diagnostics()}"
                )
            match = LISTEN_RE.search(line)
            if match:
                self.endpoint = match.group(1).rstrip("/")
                return self.endpoint

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait, then SIGKILL. Returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        self.proc = None
        self.endpoint = None
        return proc.returncode

    def restart(self) -> str:
        """Graceful stop then start on the same data dir (new port)."""
        code = self.stop()
        assert code == 0, f"{self.name}: SIGTERM exit code {code}\n{self.diagnostics()}"
        return self.start()

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def diagnostics(self) -> str:
        try:
            err = self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            err = ""
        out = "\n".join(self._stdout_lines[-40:])
        return f"--- stdout (tail) ---\n{out}\n--- stderr (tail) ---\n{err}"

    # -- clients -----------------------------------------------------------

    def client(self, parameter_validation: bool = True):
        assert self.endpoint, "server not running"
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=client_config(parameter_validation),
        )

    def streams_client(self):
        assert self.endpoint, "server not running"
        return boto3.client(
            "dynamodbstreams",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=client_config(True),
        )

    def resource(self):
        assert self.endpoint, "server not running"
        return boto3.resource(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=client_config(True),
        )


# ---------------------------------------------------------------------------
# shared server and clients
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server():
    workdir = Path(tempfile.mkdtemp(prefix="dynostack-pytest-"))
    srv = Server(workdir, name="shared-server")
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def endpoint(server):
    return server.endpoint


@pytest.fixture(scope="session")
def ddb(server):
    return server.client()


@pytest.fixture(scope="session")
def ddb_raw(server):
    """Client that skips botocore's client-side validation."""
    return server.client(parameter_validation=False)


@pytest.fixture(scope="session")
def streams(server):
    """boto3 DynamoDB Streams client for the shared server."""
    return server.streams_client()


@pytest.fixture(scope="session")
def dynamodb(server):
    return server.resource()


# ---------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------


def _create_table(client, name, hash_key=("k", "S"), range_key=None, billing="PAY_PER_REQUEST",
                  throughput=(5, 5), wait=True, **extra):
    ks, ad = key_schema(hash_key, range_key)
    ad = extra.pop("AttributeDefinitions", ad)
    params = dict(TableName=name, KeySchema=ks, AttributeDefinitions=ad, **extra)
    if billing == "PAY_PER_REQUEST":
        params["BillingMode"] = "PAY_PER_REQUEST"
    elif billing == "PROVISIONED":
        params["BillingMode"] = "PROVISIONED"
        params["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput[0], "WriteCapacityUnits": throughput[1]}
    elif billing is None:  # legacy form: no BillingMode, throughput only
        params["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput[0], "WriteCapacityUnits": throughput[1]}
    response = client.create_table(**params)
    if wait:
        wait_table_active(client, name)
    return response


def _drop_table(client, name):
    try:
        wait_table_active(client, name, timeout=30)
    except (AssertionError, ClientError):
        pass
    try:
        client.delete_table(TableName=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


class TableFactory:
    """Creates tables with unique names and remembers them for cleanup."""

    def __init__(self, client):
        self.client = client
        self.names: list[str] = []

    def __call__(self, hash_key=("k", "S"), range_key=None, billing="PAY_PER_REQUEST", throughput=(5, 5),
                 wait=True, name=None, **extra) -> str:
        name = name or unique_name("tbl")
        self.names.append(name)
        self.last_response = _create_table(self.client, name, hash_key, range_key, billing, throughput, wait, **extra)
        return name

    def cleanup(self):
        for name in self.names:
            try:
                _drop_table(self.client, name)
            except Exception:  # never mask the test's own result
                pass


@pytest.fixture
def make_table(ddb):
    factory = TableFactory(ddb)
    yield factory
    factory.cleanup()


def _shared_table(client, prefix, hash_key, range_key=None):
    name = unique_name(prefix)
    _create_table(client, name, hash_key, range_key)
    return name


@pytest.fixture(scope="session")
def hash_table(ddb):
    name = _shared_table(ddb, "hash", ("k", "S"))
    yield name
    _drop_table(ddb, name)


@pytest.fixture(scope="session")
def range_table(ddb):
    name = _shared_table(ddb, "range", ("k", "S"), ("r", "N"))
    yield name
    _drop_table(ddb, name)


@pytest.fixture(scope="session")
def num_table(ddb):
    name = _shared_table(ddb, "num", ("k", "N"))
    yield name
    _drop_table(ddb, name)


@pytest.fixture(scope="session")
def bin_table(ddb):
    name = _shared_table(ddb, "bin", ("k", "B"))
    yield name
    _drop_table(ddb, name)


# ---------------------------------------------------------------------------
# private servers (durability, ListTables over a known set of tables)
# ---------------------------------------------------------------------------


@pytest.fixture
def new_server():
    """Factory: ``new_server(in_memory=False)`` starts a private server.

    The returned Server has ``.restart()`` (SIGTERM + start on the same data
    dir), ``.client()``, ``.resource()``. All are stopped at teardown.
    """
    servers: list[Server] = []
    dirs: list[Path] = []

    def start(in_memory: bool = False, args=()) -> Server:
        workdir = Path(tempfile.mkdtemp(prefix="dynostack-private-"))
        dirs.append(workdir)
        srv = Server(workdir, in_memory=in_memory, name=f"private-server-{len(servers)}", args=args)
        servers.append(srv)
        srv.start()
        return srv

    yield start
    for srv in servers:
        srv.stop()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


# Re-exported for test modules that build their own tables.
create_table = _create_table
drop_table = _drop_table
__all__ = ["Server", "create_table", "drop_table", "wait_table_gone"]
