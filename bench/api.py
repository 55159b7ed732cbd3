"""Benchmark: the API under 50 concurrent clients reading a bounding box of incidents.

Builds a workspace with the bundled UCDP 2016 events (6,170 incidents and their
findings), serves it with uvicorn on 127.0.0.1 in a child process, and drives it
from 50 concurrent asyncio clients for a fixed time. The baseline, measured in
the same run with the same clients, is the API's trivial `/health` route: the
ratio says how much of the server's capacity the bbox query itself costs.

    python bench/api.py [--clients 50] [--seconds 15] [--db URL]

Not a test: it prints req/s and p50/p99 latency for both routes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.services import ingest, record
from ceasefire.services.demo import EVENTS, demo_data

BBOX = "36.8,35.9,37.4,36.4"  # Aleppo and its surroundings: the busiest part of 2016


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(db: str) -> None:
    ingest.init_workspace(db)
    ingest.load_agreement_files([demo_data() / "syria-2016.yaml"], db, who=LOCAL_OPERATOR)
    with record.open_record(db) as rec:
        record.ingest_incidents(rec, [demo_data() / EVENTS])


async def drive(url: str, clients: int, seconds: float) -> tuple[int, list[float], int]:
    """Requests completed, their latencies (s) and failures, with `clients` in flight."""
    latencies: list[float] = []
    failures = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < stop:
                t = time.perf_counter()
                response = await client.get(url)
                if response.status_code != 200:
                    failures += 1
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return len(latencies), latencies, failures


def report(name: str, done: int, latencies: list[float], failures: int, seconds: float) -> float:
    lat = np.array(latencies) * 1000
    rate = done / seconds
    print(
        f"{name:<28} {rate:8.1f} req/s   p50 {np.percentile(lat, 50):7.1f} ms   "
        f"p99 {np.percentile(lat, 99):7.1f} ms   failures {failures}"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--db", help="an existing workspace to serve instead of a new one")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ceasefire-bench-api-"))
    db = args.db or str(tmp / "bench.db")
    if not args.db:
        t = time.perf_counter()
        build(db)
        print(f"workspace: {db} built in {time.perf_counter() - t:.1f} s")
    port = free_port()
    env = dict(os.environ, CEASEFIRE_KEYS=str(tmp / "keys"))
    server = subprocess.Popen(
        [sys.executable, "-m", "ceasefire", "serve", "--db", db, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            print("the server did not start", file=sys.stderr)
            return 1
        sample = httpx.get(f"{base}/incidents", params={"bbox": BBOX, "limit": 100}).json()
        print(f"bbox {BBOX}: {len(sample['items'])} incidents per page (limit 100)")
        print(
            f"{args.clients} concurrent clients, {args.seconds:g} s per route, one server process"
        )
        health = report(
            "baseline GET /health",
            *asyncio.run(drive(f"{base}/health", args.clients, args.seconds)),
            args.seconds,
        )
        bbox = report(
            "GET /incidents?bbox=…",
            *asyncio.run(
                drive(f"{base}/incidents?bbox={BBOX}&limit=100", args.clients, args.seconds)
            ),
            args.seconds,
        )
        print(f"bbox reads vs baseline: {bbox / health:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
