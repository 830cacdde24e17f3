"""How Dynostack is distributed: the container image's recipe (Dockerfile) and the binary's
command line there.

No container engine runs on this machine (a Docker client, no daemon, and no registry to pull
base images from), so the image itself is not built here: this test reads the Dockerfile's
instructions and runs the binary the image packages with the same command line and
environment (data in a scratch directory instead of the /data volume), then checks what the
health check and a client see."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import boto3

from conftest import LISTEN_RE, binary_path, client_config
from dynohelpers import REGION

REPO = Path(__file__).resolve().parents[2]


def instructions() -> dict[str, list[str]]:
    """The final stage's instructions, joined across line continuations."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    final = text[text.rindex("\nFROM "):]
    found: dict[str, list[str]] = {}
    for line in final.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.setdefault(word, []).append(rest.strip())
    return found


def test_the_image_runs_unprivileged_with_a_volume_and_a_health_check():
    ins = instructions()
    assert ins["USER"] == ["dynostack"]
    assert ins["EXPOSE"] == ["8000"] and ins["VOLUME"] == ["/data"]
    assert "HEALTHCHECK" in ins and "GET / " in ins["HEALTHCHECK"][0]
    assert ins["FROM"][0].startswith("debian:") and "slim" in ins["FROM"][0]


def test_the_images_command_line_serves_with_its_environment(tmp_path):
    ins = instructions()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DYNOSTACK_"))}
    for pair in re.findall(r"(\w+)=(\S+)", ins["ENV"][0]):
        env[pair[0]] = pair[1]
    assert env["DYNOSTACK_LISTEN"] == "0.0.0.0:8000"
    env["DYNOSTACK_LISTEN"] = "0.0.0.0:0"  # a free port here; the image's is 8000
    env["DYNOSTACK_DATA_DIR"] = str(tmp_path / "data")  # the volume
    argv = [str(binary_path()), *json.loads(ins["CMD"][0])]
    assert json.loads(ins["ENTRYPOINT"][0]) == ["dynostack"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = None
        for line in proc.stdout:
            m = LISTEN_RE.search(line)
            if m:
                endpoint = m.group(1)
                break
        assert endpoint, proc.stderr.read() if proc.poll() is not None else "no listening line"
        port = endpoint.rsplit(":", 1)[1]
        local = f"http://127.0.0.1:{port}"
        # The health check's request, as bash sends it.
        check = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && grep -q healthy <&3"],
                               timeout=10)
        assert check.returncode == 0
        ddb = boto3.client("dynamodb", endpoint_url=local, region_name=REGION, aws_access_key_id="x",
                           aws_secret_access_key="x", config=client_config())
        assert ddb.list_tables()["TableNames"] == []
        assert (tmp_path / "data").is_dir()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
