"""A large ingest killed part-way leaves a consistent database; the rerun completes it.

`ceasefire ingest` runs in a child process on 100,000 synthetic UCDP rows with
small batches, and is killed with SIGKILL once the database shows committed
rows. Whole batches survive, each with its findings, and nothing else; the
same command run again finishes the job with no duplicates.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ceasefire.services import record
from ceasefire.storage.record import Record

from .synthetic import write_ucdp_csv

ROWS = 100_000
BATCH = 5_000

# One small zone, so the findings written with each batch stay few and the test quick.
AGREEMENT = """
actors:
  - {id: gov, name: Government of Syria}
  - {id: opposition, name: Syrian insurgents}
  - {id: is, name: Islamic State, aliases: [IS]}
zones:
  - {id: lattakia, name: Latakia governorate, geometry: "bundled:SY06"}
agreements:
  - id: quiet
    title: Regime of quiet in Latakia
    timezone: Asia/Damascus
    start: "2016-04-30T00:00"
    zones: [lattakia]
    parties: [gov, opposition]
    excluded: [is]
"""


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("select count(*) from incidents").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_ingest_is_consistent_and_resumable(tmp_path: Path) -> None:
    events = write_ucdp_csv(tmp_path / "events.csv", ROWS)
    db = tmp_path / "record.db"
    url = f"sqlite:///{db}"
    with Record.open(url) as rec:
        rec.init()
        agreement = tmp_path / "quiet.yaml"
        agreement.write_text(AGREEMENT, encoding="utf-8")
        record.load_agreements(rec, [agreement])
    command = [
        sys.executable, "-m", "ceasefire.interfaces.cli.record", "ingest", str(events),
        "--db", url, "--batch-size", str(BATCH),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    deadline = time.monotonic() + 180
    try:
        while _count(db) < BATCH:
            assert child.poll() is None, f"ingest ended before it was killed: {child.stderr}"
            assert time.monotonic() < deadline, "no batch committed in time"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        count, low, high = conn.execute(
            "select count(*), min(pk), max(pk) from incidents"
        ).fetchone()
        assert 0 < count < ROWS, "killed too late to test anything"
        assert count % BATCH == 0, f"{count} rows: a partial batch was committed"
        assert (low, high) == (1, count)
        # Every committed batch carries its findings (written in the same transaction).
        batches = conn.execute(
            f"select count(distinct (incident_pk - 1) / {BATCH}) from findings"
        ).fetchone()[0]
        assert batches == count // BATCH
        orphans = conn.execute(
            "select count(*) from findings where incident_pk not in (select pk from incidents)"
        ).fetchone()[0]
        assert orphans == 0

    rerun = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{ROWS - count:,} inserted" in rerun.stdout, rerun.stdout
    assert f"{count:,} unchanged" in rerun.stdout, rerun.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        total, distinct = conn.execute(
            "select count(*), count(distinct source || ':' || source_id) from incidents"
        ).fetchone()
        assert total == distinct == ROWS
        assessed = conn.execute("select count(distinct incident_pk) from findings").fetchone()[0]
        assert assessed > ROWS // 20
