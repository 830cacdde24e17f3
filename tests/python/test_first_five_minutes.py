"""What a newcomer does first: the README's test command on a machine that lacks a tool, and
installing the binary with cargo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from test_examples import PY_EXAMPLE, create_seed_tables, example_env, run_example

REPO = Path(__file__).resolve().parents[2]


def path_without(tool: str, scratch: Path) -> str:
    """PATH with `tool` gone: each directory holding it is replaced by one of links to
    everything else it holds."""
    dirs = []
    for n, d in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        here = Path(d)
        if not (here / tool).exists():
            dirs.append(d)
            continue
        twin = scratch / f"path-{n}"
        twin.mkdir()
        for entry in here.iterdir():
            if entry.name != tool:
                (twin / entry.name).symlink_to(entry)
        dirs.append(str(twin))
    return os.pathsep.join(dirs)


def suite_env(tmp_path: Path, **extra) -> dict:
    env = dict(os.environ, PATH=path_without("terraform", tmp_path), DYNOSTACK_CARGO_TESTS="0")
    for name in ("DYNOSTACK_REQUIRE_ALL", "DYNOSTACK_TF_PLUGIN_DIR", "DYNOSTACK_BIN"):
        env.pop(name, None)
    env.update(extra)
    return env


def test_the_suite_runs_without_terraform_and_says_what_it_skipped(tmp_path):
    env = suite_env(tmp_path)
    assert shutil.which("terraform", path=env["PATH"]) is None
    proc = subprocess.run(["bash", "scripts/test.sh", "tests/python/test_terraform.py"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "test.sh: skipping the Terraform checks and tests: terraform is not on PATH" in proc.stderr
    assert "terraform is not on PATH" in proc.stdout  # pytest's skip reasons (-rs)
    last = [line for line in proc.stdout.splitlines() if line.strip()][-1]
    assert "skipped" in last and "failed" not in last, last
    # CI asks for everything: there the same machine fails, and says why.
    ci = tmp_path / "ci"
    ci.mkdir()
    proc = subprocess.run(["bash", "scripts/test.sh"], cwd=REPO,
                          env=suite_env(ci, DYNOSTACK_REQUIRE_ALL="1"),
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 1
    assert "terraform is not on PATH, and DYNOSTACK_REQUIRE_ALL=1 asks for everything" in proc.stderr


def test_cargo_install_then_the_binary_serves_the_seeds_example(new_server, tmp_path, monkeypatch):
    """`cargo install --locked --path crates/dynostack`, as README gives it; here a debug build
    in the checkout's target directory, so the test reuses what the suite already compiled."""
    root = tmp_path / "root"
    proc = subprocess.run(
        ["cargo", "install", "--locked", "--path", "crates/dynostack", "--root", str(root),
         "--debug", "--target-dir", str(REPO / "target")],
        cwd=REPO, capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 0, proc.stderr[-3000:]
    installed = root / "bin" / "dynostack"
    version = subprocess.run([str(installed), "--version"], capture_output=True, text=True, timeout=30)
    assert version.stdout.startswith("dynostack ")
    monkeypatch.setenv("DYNOSTACK_BIN", str(installed))
    srv = new_server(in_memory=True)
    create_seed_tables(srv.client())
    got = run_example([sys.executable, str(PY_EXAMPLE)], example_env(srv.endpoint, tmp_path))
    assert [u["name"] for u in got["users"]] == ["John Doe"]


def test_doctor_says_what_a_data_directory_holds(new_server, tmp_path):
    """`dynostack doctor`: the directory, its size and privacy, key custody, the mode serve would
    run in; with the server stopped, the format, tables and how far the test clock moved."""
    from conftest import binary_path
    from test_clock import advance

    srv = new_server(args=["--test-clock"])
    for name in ("doctor-one", "doctor-two"):
        srv.client().create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                  KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    advance(srv, 7200)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNOSTACK_")}

    def doctor(*extra):
        proc = subprocess.run([str(binary_path()), "doctor", "--data-dir", str(srv.data_dir), *extra],
                              env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    running = doctor()
    assert f"data directory: {srv.data_dir}\n  permissions: 0700 (private to its owner)\n" in running
    assert "master key: kept in the data directory (master.key)" in running
    assert "mode: open" in running
    assert "a running server keeps it locked: stop it to see the tables and the clock" in running
    srv.stop()
    stopped = doctor("--credentials", str(tmp_path / "creds"))
    assert "mode: enforced — signatures verified against the keys of" in stopped
    assert "database: format 3 (the one this build reads)" in stopped
    assert "DynamoDB tables: 2\n" in stopped
    assert "clock: 7200 s ahead of the system clock" in stopped
    missing = subprocess.run([str(binary_path()), "doctor", "--data-dir", str(tmp_path / "none")],
                             env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 0 and "not created yet" in missing.stdout
