"""Benchmark: the API under 50 concurrent clients reading a bounding box of incidents.

Builds a workspace with the bundled UCDP 2016 events (6,170 incidents and their
findings), serves it with uvicorn on 127.0.0.1 in a child process, and drives it
from 50 concurrent asyncio clients for a fixed time. The baseline, measured in
the same run with the same clients, is the API's trivial `/health` route: the
ratio says how much of the server's capacity the bbox query itself costs.

    python bench/api.py [--clients 50] [--seconds 15] [--db URL] [--workers N]

Not a test: it prints req/s and p50/p99 latency for each route — `/health`, a bbox
page of 100 incidents, and the bbox + agreement + category query as GeoJSON — each
route's throughput as a ratio of `/health`'s and its p99 as a multiple of `/health`'s
(the issue's targets: at least 0.8x and at most 1.5x), and the map layer's bytes as
sent with and without gzip. `--workers N` serves with `ceasefire serve --workers N`.
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
AGREEMENT = "syria-coh-2016"


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


def report(
    name: str, done: int, latencies: list[float], failures: int, seconds: float
) -> tuple[float, float]:
    """Print a route's figures; its throughput (req/s) and p99 (ms)."""
    lat = np.array(latencies) * 1000
    rate = done / seconds
    p99 = float(np.percentile(lat, 99))
    print(
        f"{name:<28} {rate:8.1f} req/s   p50 {np.percentile(lat, 50):7.1f} ms   "
        f"p99 {p99:7.1f} ms   failures {failures}"
    )
    return rate, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--db", help="an existing workspace to serve instead of a new one")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
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
        [
            sys.executable,
            "-m",
            "ceasefire",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],  # fmt: skip
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
        geo = (
            f"{base}/incidents?bbox={BBOX}&agreement={AGREEMENT}&category=violation&format=geojson"
        )
        features = httpx.get(geo, timeout=60).json()["features"]
        print(f"bbox + {AGREEMENT} + violation as GeoJSON: {len(features)} features")
        layer = f"{base}/map/incidents?agreement={AGREEMENT}"
        plain = httpx.get(layer, headers={"Accept-Encoding": "identity"}, timeout=60)
        with httpx.stream("GET", layer, headers={"Accept-Encoding": "gzip"}, timeout=60) as r:
            packed = sum(len(chunk) for chunk in r.iter_raw())
            encoding = r.headers.get("content-encoding", "none")
        print(f"map layer: {len(plain.content):,} bytes as JSON, {packed:,} bytes sent "
              f"({encoding}, {packed / len(plain.content):.2f}x)")  # fmt: skip
        workers = f"{args.workers} server process" + ("es" if args.workers > 1 else "")
        print(f"{args.clients} concurrent clients, {args.seconds:g} s per route, {workers}")
        health, health_p99 = report(
            "baseline GET /health",
            *asyncio.run(drive(f"{base}/health", args.clients, args.seconds)),
            args.seconds,
        )
        for name, url in (
            ("GET /incidents?bbox=…", f"{base}/incidents?bbox={BBOX}&limit=100"),
            ("bbox+agreement+category geo", geo),
        ):
            rate, p99 = report(
                name, *asyncio.run(drive(url, args.clients, args.seconds)), args.seconds
            )
            print(f"  {name}: throughput {rate / health:.2f}x /health's (target >= 0.8), "
                  f"p99 {p99 / health_p99:.2f}x /health's (target <= 1.5)")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
