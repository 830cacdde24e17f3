"""The web console's files as served (its pages are tested in a browser: tests/console): from the
binary, with headers that keep other sites out, and only to loopback hosts."""

from __future__ import annotations

import http.client
from urllib.parse import urlparse


def get(endpoint: str, path: str, headers=None) -> http.client.HTTPResponse:
    url = urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    resp.body = resp.read()
    conn.close()
    return resp


def test_the_console_is_served_from_the_binary_with_a_strict_policy(endpoint):
    resp = get(endpoint, "/console/")
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b'<script type="module" src="app.js">' in resp.body
    csp = resp.getheader("Content-Security-Policy")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.getheader("X-Frame-Options") == "DENY"
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    js = get(endpoint, "/console/pages/items.js")
    assert js.status == 200 and js.getheader("Content-Type") == "text/javascript; charset=utf-8"
    assert get(endpoint, "/console/../Cargo.toml").status == 404
    assert get(endpoint, "/console/missing.js").status == 404
    moved = get(endpoint, "/console")
    assert moved.status == 308 and moved.getheader("Location") == "/console/"


def test_a_foreign_host_gets_nothing(endpoint):
    """A page that rebinds its name to 127.0.0.1 cannot read the console (nor call the APIs)."""
    resp = get(endpoint, "/console/app.js", {"Host": "attacker.example"})
    assert resp.status == 403
    assert b"attacker.example" in resp.body and b"function" not in resp.body


def test_the_front_page_links_browsers_to_the_console_and_keeps_the_health_line(endpoint):
    browser = get(endpoint, "/", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status == 200 and b'<a href="/console/">' in browser.body
    plain = get(endpoint, "/")
    assert plain.body == b"healthy: dynostack"


def test_trigger_checkpoints_are_served_in_open_mode_only_unless_the_test_clock_is_on(new_server, tmp_path):
    """`/_dynostack/triggers` (the console's Streams page) has no AWS API behind it: open mode or
    --test-clock serve it, an enforcing server without the test clock does not."""
    open_mode = new_server(in_memory=True)
    resp = get(open_mode.endpoint, "/_dynostack/triggers")
    assert resp.status == 200 and resp.body == b'{"triggers":[]}'
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = AKIAEXAMPLE000000001\naws_secret_access_key = secret\n")
    enforced = new_server(in_memory=True, args=["--credentials", str(creds)])
    assert get(enforced.endpoint, "/_dynostack/triggers").status == 404
    with_clock = new_server(in_memory=True, args=["--credentials", str(creds), "--test-clock"])
    assert get(with_clock.endpoint, "/_dynostack/triggers").status == 200
