"""Benchmark (not a test): how long `ceasefire --help` and `ceasefire validate` take to start.

Runs each command N times (default 5) in a fresh interpreter and prints the
best, the median and the worst wall time, the best CPU time, plus the heavy libraries the command
imported (none is the goal: pandas, SQLAlchemy, spaCy, FastAPI). The best of N
is the figure to quote: the others measure the machine's other work. Usage::

    python bench/startup.py            # best of 5
    python bench/startup.py --runs 20
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "ceasefire" / "data" / "demo" / "syria-2016.yaml"
HEAVY = ("pandas", "sqlalchemy", "spacy", "fastapi")
COMMANDS = {"ceasefire --help": ["--help"], "ceasefire validate DEMO": ["validate", str(DEMO)]}


def timed(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU (user + system) suffers less from a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ceasefire", *args], capture_output=True, check=True, cwd=ROOT
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy(args: list[str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ceasefire", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return [n for n in HEAVY if n in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    for label, args in COMMANDS.items():
        timed(args)  # warm the file cache and the bytecode
        runs_ = [timed(args) for _ in range(runs)]
        walls = sorted(w for w, _ in runs_)
        cpu = min(c for _, c in runs_)
        print(
            f"{label}: wall best {walls[0]:.3f} s, median {statistics.median(walls):.3f} s, "
            f"worst {walls[-1]:.3f} s over {runs} runs; CPU best {cpu:.3f} s; "
            f"heavy imports: {', '.join(heavy(args)) or 'none'}"
        )


if __name__ == "__main__":
    main()
