"""Benchmark (not a test): exports stream, so their memory does not grow with their rows.

Builds two SQLite records from synthetic UCDP GED rows (`tests/storage/synthetic.py`)
with the demo agreements: a small one of about `--small` findings (default 10,000)
and a large one of about `--findings` (default 1,000,000). For each it measures the
peak resident memory (the kernel's high-water mark) of

- the API: `ceasefire serve` in its own process, the whole findings export
  `GET /api/v1/exports/findings.csv` (and `.parquet`) read by a client in this process
  and counted; the server's `VmHWM` from /proc;
- the CLI: `ceasefire export findings --format csv -o FILE` in its own process;
- a baseline that builds the export in memory: `pandas.read_sql` of the same
  findings table and `DataFrame.to_csv`, in its own process.

Each process reports its own high-water mark (`VmHWM` of /proc, read as it exits or,
for the server, after the export).

The figure the issue asks for is the ratio of peak memory, large record against small,
for each (1.0 is perfectly flat), and the rows exported. Usage::

    python bench/export.py                       # 10,000 and 1,000,000 findings
    python bench/export.py --findings 200000     # a quicker run
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ingest import AGREEMENTS  # bench/ingest.py, beside this file
from ingest import _synthetic as synthetic

from ceasefire.services import record
from ceasefire.storage.record import Record

CLI = [sys.executable, "-m", "ceasefire"]
BASELINE = """
import sys, pandas as pd, sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
frame = pd.read_sql("SELECT * FROM findings", engine)
frame.to_csv(sys.argv[2], index=False)
print(len(frame))
"""


def build(folder: Path, name: str, rows: int, seed: int) -> tuple[str, int]:
    """A record of `rows` synthetic incidents judged against the demo agreements."""
    csv = folder / f"{name}.csv"
    synthetic().write_ucdp_csv(csv, rows, seed=seed)
    url = f"sqlite:///{folder}/{name}.db"
    with Record.open(url) as rec:
        rec.init()
        record.load_agreements(rec, [AGREEMENTS])
        report = record.ingest_incidents(rec, csv, batch_size=10_000)
    csv.unlink()
    return url, report.findings


#: Runs a module (`-m NAME ARGS`) or code (`-c CODE ARGS`) and writes its own peak RSS
#: (VmHWM, KiB) to the file named first. Not `wait4`'s ru_maxrss: on Linux that counts
#: the parent's peak too (exec after vfork inherits its high-water mark), and this
#: process holds a whole record it has just built.
PEAK = """
import atexit, runpy, sys
def _peak():
    with open('/proc/self/status') as status:
        kib = next(l.split()[1] for l in status if l.startswith('VmHWM:'))
    with open(target, 'w') as out:
        out.write(kib)
target, how, what = sys.argv[1:4]
atexit.register(_peak)
sys.argv = [what, *sys.argv[4:]]
if how == '-m':
    runpy.run_module(what, run_name='__main__', alter_sys=True)
else:
    exec(compile(what, '<baseline>', 'exec'), {'__name__': '__main__'})
"""


def _peak_child(how: str, what: str, args: list[str]) -> tuple[int, str]:
    """Run a module or code in its own process; its own peak RSS (KiB) and its output."""
    with tempfile.TemporaryDirectory() as folder:
        peak = Path(folder) / "peak"
        done = subprocess.run(
            [sys.executable, "-c", PEAK, str(peak), how, what, *args],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"{how} {what[:40]} failed ({done.returncode}): {done.stderr[-2000:]}")
        return int(peak.read_text()), done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc (Linux only)")


def api_export(url: str, path: str) -> tuple[int, int, int, float]:
    """Serve the record, stream `path` from it; server peak RSS before and after (KiB), bytes."""
    port = _free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None:
                    err = server.stderr.read().decode() if server.stderr else ""
                    raise SystemExit(f"ceasefire serve stopped: {err[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise SystemExit(f"ceasefire serve did not answer on {base} in 300 s") from None
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/api/v1/agreements", timeout=60):
            pass  # the catalogue loaded: what every request needs, before the export
        idle = _hwm_kib(server.pid)
        size = 0
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=3600) as response:
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
            while chunk := response.read(1 << 16):
                size += len(chunk)
        seconds = time.perf_counter() - started
        return idle, _hwm_kib(server.pid), size, seconds
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass
class Figures:
    findings: int
    csv_rows: int
    api_idle: int
    api_csv: int
    api_csv_s: float
    api_csv_bytes: int
    api_parquet: int
    api_parquet_bytes: int
    cli: int
    baseline: int


def measure(folder: Path, url: str, findings: int) -> Figures:
    idle, csv_peak, csv_bytes, csv_s = api_export(url, "/api/v1/exports/findings.csv")
    _, parquet_peak, parquet_bytes, _ = api_export(url, "/api/v1/exports/findings.parquet")
    out = folder / "export.csv"
    command = ["export", "findings", "--format", "csv", "-o", str(out), "--db", url]
    cli, _ = _peak_child("-m", "ceasefire", command)
    with out.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1  # one header line; no field holds a line break
    out.unlink()
    baseline, _ = _peak_child("-c", BASELINE, [url, str(folder / "pandas.csv")])
    (folder / "pandas.csv").unlink()
    return Figures(
        findings, rows, idle, csv_peak, csv_s, csv_bytes, parquet_peak, parquet_bytes, cli, baseline
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ceasefire-bench-export-") as name:
        folder = Path(name)
        _, probe = build(folder, "probe", 2_000, args.seed)
        per_incident = probe / 2_000
        print(f"{per_incident:.2f} findings per synthetic incident", flush=True)
        results = []
        for label, wanted in (("small", args.small), ("large", args.findings)):
            rows = max(1, round(wanted / per_incident))
            started = time.perf_counter()
            url, findings = build(folder, label, rows, args.seed + 1)
            took = time.perf_counter() - started
            print(f"{label}: {rows:,} incidents, {findings:,} findings, built in {took:.0f} s",
                  flush=True)  # fmt: skip
            results.append(measure(folder, url, findings))
    small, large = results
    mib = 1024
    print()
    print(f"{'':28}{'small':>14}{'large':>14}{'large/small':>13}")
    print(f"{'findings':28}{small.findings:>14,}{large.findings:>14,}"
          f"{large.findings / small.findings:>12.0f}x")  # fmt: skip
    for title, a, b in (
        ("API server, idle (MiB)", small.api_idle, large.api_idle),
        ("API server, CSV (MiB)", small.api_csv, large.api_csv),
        ("API server, Parquet (MiB)", small.api_parquet, large.api_parquet),
        ("CLI export, CSV (MiB)", small.cli, large.cli),
        ("pandas read_sql+to_csv (MiB)", small.baseline, large.baseline),
    ):
        print(f"{title:28}{a / mib:>14,.0f}{b / mib:>14,.0f}{b / a:>12.2f}x")
    print(f"{'CSV rows exported':28}{small.csv_rows:>14,}{large.csv_rows:>14,}")
    print(f"{'API CSV bytes':28}{small.api_csv_bytes:>14,}{large.api_csv_bytes:>14,}")
    print(f"{'API CSV seconds':28}{small.api_csv_s:>14.1f}{large.api_csv_s:>14.1f}")
    print(
        f"peak memory, large/small: API CSV {large.api_csv / small.api_csv:.2f}x, "
        f"Parquet {large.api_parquet / small.api_parquet:.2f}x, CLI {large.cli / small.cli:.2f}x; "
        f"in-memory baseline {large.baseline / small.baseline:.2f}x"
    )
    for result in results:  # every finding once: the export is the whole table
        if result.csv_rows != result.findings:
            sys.exit(f"exported {result.csv_rows:,} rows of {result.findings:,} findings")


if __name__ == "__main__":
    main()
