"""Start-up: `ceasefire --help` and `ceasefire validate` load no heavy library.

Each is run in a fresh interpreter with `-X importtime`, which lists every
module imported; pandas, SQLAlchemy, spaCy and FastAPI must not be among them
(they cost a second between them). The time is bounded too, loosely, as CPU
time; `python bench/startup.py` measures the wall time (best of 5).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "ceasefire" / "data" / "demo" / "syria-2016.yaml"
HEAVY = ("pandas", "sqlalchemy", "spacy", "fastapi")


def run(*args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if importtime else []
    env = {**os.environ, "COLUMNS": "100", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *flags, "-m", "ceasefire", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def imported(stderr: str) -> set[str]:
    """Top-level packages named in `-X importtime` output."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    return names


@pytest.mark.parametrize("args", [("--help",), ("validate", str(DEMO))], ids=["help", "validate"])
def test_no_heavy_import(args: tuple[str, ...]) -> None:
    result = run(*args, importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    names = imported(result.stderr)
    assert "ceasefire" in names and "typer" in names  # the listing is real
    assert sorted(n for n in HEAVY if n in names) == []


def test_validate_still_checks_the_file() -> None:
    result = run("validate", str(DEMO))
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr
    assert "syria-coh-2016" in result.stdout


def test_help_lists_every_group_without_loading_it() -> None:
    result = run("--help", importtime=True)
    for name in ("assess", "validate", "schema", "ingest", "serve", "cases", "ledger", "users"):
        assert name in result.stdout
    loaded = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "ceasefire.interfaces.cli.cases" not in loaded


def test_help_is_quick() -> None:
    """CPU time (user + system) of the child: a busy machine stretches the wall time,
    much less the CPU. Importing pandas alone costs about half a second of it."""
    best = float("inf")
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run("--help")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, cpu)
        assert result.returncode == 0
    assert best < 0.6, f"ceasefire --help took {best:.2f} s of CPU at best"


def test_import_ceasefire_is_light_and_every_public_name_resolves() -> None:
    code = (
        "import sys, ceasefire\n"
        "heavy = [m for m in sys.argv[1:] if m in sys.modules]\n"
        "from ceasefire import *\n"
        "import ceasefire.storage.record as r\n"
        "assert ceasefire.Record is r.Record, ceasefire.Record\n"
        "assert set(ceasefire.__all__) <= set(dir(ceasefire))\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *HEAVY], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    missing = subprocess.run(
        [sys.executable, "-c", "import ceasefire; ceasefire.nothing_here"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "has no attribute 'nothing_here'" in missing.stderr
