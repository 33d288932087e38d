"""What ``make run`` does, end to end: quickstart serves, the printed password works."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLEDGER_")}
    env["FLOWLEDGER_INSTANCE_PATH"] = str(tmp_path / "instance")
    log = (tmp_path / "server.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "designer.cli", "quickstart", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail("quickstart did not serve:\n" + log.read())
                time.sleep(0.2)
        log.seek(0)
        yield base, log.read(), tmp_path / "instance"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_quickstart_serves_and_the_printed_password_signs_in(server) -> None:  # type: ignore[no-untyped-def]
    base, output, instance = server
    match = re.search(r"with password: (\S+)", output)
    assert match, output
    assert (instance / "flowledger.db").exists() and (instance / "secret_key").exists()

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login") as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert token
    form = urllib.parse.urlencode({"username": "admin", "password": match.group(1),
                                   "csrf_token": token.group(1)}).encode()
    with opener.open(base + "/login", data=form) as home:
        html = home.read().decode()
    assert home.url.rstrip("/") == base and "Administrator" in html and "demo" in html

    with urllib.request.urlopen(base + "/api/v1/health") as r:
        body = json.loads(r.read())
    assert body["database"]["backend"] == "sqlite" and body["status"] == "ok"
