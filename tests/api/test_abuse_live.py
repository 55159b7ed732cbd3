"""Measured against a real server: memory during a 200 MB chunked upload, /health in a login flood.

The app runs under uvicorn in a subprocess on 127.0.0.1 (so its memory is its
own), over a workspace in tmp_path. Each test is bounded in time and count and
prints its figures (`pytest -s tests/api/test_abuse_live.py` shows them).
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ceasefire.interfaces.http import limits
from ceasefire.services import users
from ceasefire.storage.record import Record
from tests.api.conftest import build_workspace, free_port, wait_for_health

MIB = 1024 * 1024
SERVER = """
import sys
import uvicorn
from ceasefire.interfaces.http.app import create_app
uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
FLOOD_USERS = 6
PASSWORD = "the right one, which the flood never sends"


@dataclass
class Live:
    base: str
    port: int
    pid: int

    def rss_mb(self) -> float:
        """The server's resident memory now (VmRSS), in MB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """`ceasefire serve`'s app on a free port of 127.0.0.1, with users that have passwords."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("reads the server's memory from /proc")
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    db, _tokens = build_workspace(tmp_path)
    with Record.open(db) as rec:
        keys = users.Keystore(tmp_path / "keys")
        admin = users.get_user(rec, "admin")
        for i in range(FLOOD_USERS):
            users.add_user(rec, admin, f"flood-{i}", "monitor", keys=keys, password=PASSWORD)
        rec.commit()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, db, str(port)],
        env=os.environ | {"CEASEFIRE_KEYS": str(tmp_path / "keys")},
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, server)
        yield Live(base, port, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def read_answer(sock: socket.socket, timeout: float) -> bytes:
    """What the server sent back, until it closes or `timeout` passes."""
    sock.settimeout(timeout)
    got = b""
    try:
        while b"\r\n\r\n" not in got or len(got) < got.index(b"\r\n\r\n") + 80:
            part = sock.recv(65536)
            if not part:
                break
            got += part
    except (TimeoutError, ConnectionResetError):
        pass
    return got


def test_a_200_mb_chunked_upload_is_refused_early_and_costs_the_server_little(
    live: Live,
) -> None:
    """Anonymous, no Content-Length: 413 as soon as the limit passes; RSS grows < 150 MB."""
    httpx.get(f"{live.base}/api/v1/incidents", timeout=10)  # imports and caches warmed up
    before = peak = live.rss_mb()
    sampling = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not sampling.is_set():
            peak = max(peak, live.rss_mb())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    frame = b"%x\r\n%s\r\n" % (MIB, b" " * MIB)
    sent = 0
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < 200 * MIB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(frame)
                sent += MIB
            if sent >= 200 * MIB:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the server answered and closed while the client was still sending
        answer = read_answer(sock, timeout=10)
    elapsed = time.monotonic() - started
    sampling.set()
    sampler.join()
    growth = peak - before
    print(
        f"\n200 MB chunked upload: answered {answer[:12].decode(errors='replace')!r} after "
        f"{sent // MIB} MiB sent, {elapsed:.2f} s; server RSS {before:.0f} -> peak "
        f"{peak:.0f} MB (+{growth:.0f} MB)"
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"too_large"' in answer
    assert sent < 200 * MIB and sent <= limits.MAX_BODY + 64 * MIB  # refused, not read whole
    assert elapsed < 15
    assert growth < 150
    assert httpx.get(f"{live.base}/api/v1/health", timeout=5).status_code == 200


def test_health_answers_within_a_second_during_a_login_flood(live: Live) -> None:
    """48 clients post wrong passwords (argon2 work) at once; /health is timed meanwhile."""
    statuses: list[int] = []

    def attempt(i: int) -> None:
        with httpx.Client(base_url=live.base, timeout=60) as client:
            for round_ in range(2):
                answer = client.post(
                    "/login", data={"name": f"flood-{(i + round_) % FLOOD_USERS}", "password": "x"}
                )
                statuses.append(answer.status_code)

    latencies: list[float] = []
    began = time.monotonic()
    with ThreadPoolExecutor(48) as pool, httpx.Client(base_url=live.base, timeout=10) as probe:
        flood = [pool.submit(attempt, i) for i in range(48)]
        deadline = time.monotonic() + 25
        while not all(f.done() for f in flood) and time.monotonic() < deadline:
            started = time.monotonic()
            assert probe.get("/api/v1/health").status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)
        for f in flood:
            f.result(timeout=30)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(
        f"\nlogin flood: {len(statuses)} attempts {counts} in {time.monotonic() - began:.1f} s; "
        f"/health {len(latencies)} probes, "
        f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    assert len(statuses) == 48 * 2 and set(statuses) <= {401, 429}
    assert 401 in counts  # some attempts did reach argon2
    assert len(latencies) >= 5
    assert p95 < 1.0 and latencies[-1] < 2.0
