"""Benchmark (not a test): an event history of 10^8 incidents judged on a dask cluster.

    python bench/scale.py              # 10^8 on the cluster, 10^7 in one process
    python bench/scale.py --events 20000000 --single 5000000   # a quicker run

The world is `bench/assess.py`'s (50 wobbly zones over western Syria, one agreement
each, its conducts), seeded. The history is generated partition by partition on the
cluster's workers (`--rows` incidents a Parquet file, each from its own seed: never all
in memory) and judged by `ceasefire.services.cluster.assess_dataset` on a
`LocalCluster` of this machine (one single-threaded worker process per core). In the same
run, the single-process engine judges the first `--single` incidents, read from the
same partitions, in this process. Printed:

- throughput per core of the cluster (incidents / s / worker, reading, judging and
  writing the findings) against the single process (the same three steps, and the
  engine alone);
- the results of the first partition, from the cluster's output and from the
  single-process run, compared row by row (identical, or the bench fails);
- the peak resident memory of each worker (VmHWM) and of this process.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from assess import make_bench, make_incidents  # bench/assess.py, beside this file

from ceasefire.core.catalogue import Catalogue
from ceasefire.core.incidents import Incidents
from ceasefire.formats.history import history_table, read_partition
from ceasefire.services import cluster
from ceasefire.services.assess import assess_catalogue


def world(seed: int, zones: int, vertices: int) -> tuple[Catalogue, np.ndarray]:
    """The agreements, zones and actors of the bench world, and every zone vertex."""
    bench = make_bench(0, zones, vertices, seed)
    corners = np.concatenate([np.asarray(z.exterior.coords)[:-1] for z in bench.zones.values()])
    catalogue = Catalogue(
        actors=bench.registry, zones=dict(bench.zones), agreements=list(bench.agreements)
    )
    return catalogue, corners


def generate(k: int, rows: int, seed: int, corners: np.ndarray, folder: str) -> int:
    """Partition `k` of the history (a task: runs on a worker)."""
    incidents = make_incidents(np.random.default_rng([seed, k]), rows, corners)
    incidents.id = np.arange(k * rows, (k + 1) * rows, dtype=np.int64)
    incidents.source = np.full(rows, "synthetic", dtype=object)
    pq.write_table(history_table(incidents), Path(folder) / f"part-{k:05d}.parquet")
    return rows


def _on_path(folder: str) -> None:
    """Lets a worker import this folder's modules (`assess`, for `make_incidents`)."""
    if folder not in sys.path:
        sys.path.insert(0, folder)


def _peak_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=float, default=1e8, help="incidents in the history")
    parser.add_argument("--single", type=float, default=1e7, help="incidents, one process")
    parser.add_argument("--rows", type=int, default=1_000_000, help="incidents per partition")
    parser.add_argument("--zones", type=int, default=50)
    parser.add_argument("--vertices", type=int, default=500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    parts = max(1, round(args.events / args.rows))
    single_parts = max(1, min(parts, round(args.single / args.rows)))
    catalogue, corners = world(args.seed, args.zones, args.vertices)
    with tempfile.TemporaryDirectory(prefix="ceasefire-bench-scale-") as name:
        root = Path(name)
        history, out = root / "history", root / "findings"
        history.mkdir()
        client = cluster.connect("local", args.workers)
        try:
            client.run(_on_path, str(Path(__file__).resolve().parent))
            started = time.perf_counter()
            shared = client.scatter(corners, broadcast=True)
            made = client.gather(
                client.map(
                    generate,
                    range(parts),
                    rows=args.rows,
                    seed=args.seed,
                    corners=shared,
                    folder=str(history),
                    pure=False,
                )
            )
            print(
                f"history: {sum(made):,} incidents in {parts} partitions of {args.rows:,}, "
                f"generated on {args.workers} workers in {time.perf_counter() - started:.0f} s "
                f"({sum(f.stat().st_size for f in history.iterdir()) / 2**30:.1f} GiB)",
                flush=True,
            )
            started = time.perf_counter()
            result = cluster.assess_dataset(catalogue, history, out, client)
            on_cluster = time.perf_counter() - started
        finally:
            client.close()
        peaks = [p.worker_peak_kib / 1024 for p in result.partitions]
        print(
            f"cluster: {result.incidents:,} incidents x {len(catalogue.agreements)} "
            f"agreements in {on_cluster:.1f} s, {result.findings:,} findings",
            flush=True,
        )

        # the single process: the same partitions, read, judged and written here
        paths = sorted(history.glob("*.parquet"))[:single_parts]
        started = time.perf_counter()
        incidents = Incidents.concat([read_partition(p, catalogue.actors)[0] for p in paths])
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        findings = assess_catalogue(catalogue, incidents)
        engine_s = time.perf_counter() - started
        started = time.perf_counter()
        table = cluster.findings_table(findings)
        table.to_parquet(root / "single.parquet", index=False)
        write_s = time.perf_counter() - started
        single = read_s + engine_s + write_s
        print(
            f"single process: {len(incidents):,} incidents read {read_s:.1f} s, engine "
            f"{engine_s:.1f} s, findings written {write_s:.1f} s",
            flush=True,
        )

        # identical results on the first partition
        first = set(pd.read_parquet(paths[0], columns=["id"])["id"])
        key = ["id", "agreement_id", "reading"]
        mine = table[table["id"].isin(first)].sort_values(key).reset_index(drop=True)
        theirs = pd.read_parquet(out / paths[0].name).sort_values(key).reset_index(drop=True)
        same = mine.equals(theirs[list(cluster.FINDING_COLUMNS)])
        print(
            f"first partition ({len(first):,} incidents, {len(mine):,} findings): "
            f"{'identical' if same else 'DIFFERENT'} on the cluster and in one process"
        )

    per_core_cluster = result.incidents / on_cluster / args.workers
    per_core_single = len(incidents) / single
    print()
    print(
        f"throughput per core: cluster {per_core_cluster:,.0f} incidents/s/worker "
        f"({args.workers} workers); one process {per_core_single:,.0f} incidents/s "
        f"(engine alone {len(incidents) / engine_s:,.0f})"
    )
    print(
        f"ratio per core, cluster / one process: {per_core_cluster / per_core_single:.2f}x "
        f"(against the engine alone {per_core_cluster / (len(incidents) / engine_s):.2f}x)"
    )
    print(
        f"peak memory: worker max {max(peaks):,.0f} MiB (min {min(peaks):,.0f}); "
        f"this process {_peak_mib():,.0f} MiB (the single-process run of "
        f"{len(incidents):,})"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
