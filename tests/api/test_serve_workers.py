"""`ceasefire serve --workers N`: several processes answer for one workspace, on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.conftest import free_port, wait_for_health


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def test_two_worker_processes_serve_one_workspace(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, CEASEFIRE_KEYS=str(tmp_path / "keys"))
    env.pop("CEASEFIRE_DB", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "ceasefire", "serve", "--db", f"sqlite:///{tmp_path}/w.db",
         "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_for_health(f"http://127.0.0.1:{port}", server, seconds=60)
        answers = [httpx.get(f"{base}/agreements", timeout=10) for _ in range(20)]
        assert all(a.status_code == 200 and a.json()["items"] == [] for a in answers)
        # uvicorn's supervisor and its workers: both serving by now
        deadline = time.monotonic() + 30
        while len(_children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_children(server.pid)) >= 2
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert "2 worker processes" in output
