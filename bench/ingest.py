"""Benchmark (not a test): `ceasefire ingest` against `pandas.DataFrame.to_sql`, same rows.

Writes N synthetic UCDP GED rows (default 1,000,000) to a temporary CSV, then
for SQLite (a temporary file) and PostgreSQL (a fresh schema; skipped with a
message when no server answers):

- ingest: `services.record.ingest_incidents` of the file into a workspace holding the demo
  agreements: read and check every row, resolve actors, upsert in batches by
  (source, id) with the findings of each batch. Its time is split into reading,
  writing incidents and findings.
- baseline: `pandas.read_csv` of the same file and `DataFrame.to_sql` into a
  plain table of the same database, in chunks of the batch size. The insert
  method is pandas' default on both (SQLAlchemy 2 batches it into multi-row
  statements); `--pg-method multi` uses `method="multi"` on PostgreSQL, which
  with SQLAlchemy 2.1 and psycopg 3 runs about 20 times slower.

Rows per second for each, and the ratio ingest / to_sql; the last line reads
`ingest vs to_sql: ...`. Usage::

    python bench/ingest.py                     # 1,000,000 rows
    python bench/ingest.py --rows 200000 --batch-size 10000
    CEASEFIRE_TEST_PG_URL=postgresql://... python bench/ingest.py --skip-sqlite
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd
from sqlalchemy.engine import make_url

from ceasefire.services import record
from ceasefire.storage.db import make_engine
from ceasefire.storage.record import Record

ROOT = Path(__file__).resolve().parents[1]
AGREEMENTS = ROOT / "src" / "ceasefire" / "data" / "demo" / "syria-2016.yaml"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def _synthetic() -> ModuleType:
    """The test suite's generator of synthetic GED rows (one generator for tests and bench)."""
    path = ROOT / "tests" / "storage" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("ceasefire_bench_synthetic", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Result:
    backend: str
    rows: int
    ingest_s: float
    read_s: float
    write_s: float
    findings_s: float
    findings: int
    to_sql_s: float

    def lines(self) -> list[str]:
        def rate(seconds: float) -> str:
            return f"{self.rows / seconds:>10,.0f} rows/s  ({seconds:7.1f} s)"

        return [
            f"{self.backend}:",
            f"  ingest, end to end      {rate(self.ingest_s)}",
            f"    read and check        {rate(self.read_s)}",
            f"    write incidents       {rate(self.write_s)}",
            f"    findings ({self.findings:,})  {rate(self.findings_s)}",
            f"  ingest without findings {rate(self.ingest_s - self.findings_s)}",
            f"  read_csv + to_sql       {rate(self.to_sql_s)}",
            f"  ratio ingest / to_sql: {self.to_sql_s / self.ingest_s:.2f}x end to end, "
            f"{self.to_sql_s / (self.ingest_s - self.findings_s):.2f}x without findings",
        ]


def run(backend: str, url: str, csv: Path, batch_size: int, pg_method: str) -> Result:
    rows = sum(1 for _ in csv.open("rb")) - 1
    with Record.open(url) as rec:
        rec.init()
        record.load_agreements(rec, [AGREEMENTS])
        print(f"{backend}: ingesting {rows:,} rows ...", flush=True)
        started = time.perf_counter()
        report = record.ingest_incidents(rec, csv, batch_size=batch_size)
        ingest_s = time.perf_counter() - started
        assert report.inserted == rows, report.lines()
        assert rec.counts()["incidents"] == rows
    engine = make_engine(url)
    try:
        print(f"{backend}: read_csv + to_sql ...", flush=True)
        started = time.perf_counter()
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if engine.dialect.name == "postgresql" and pg_method == "multi":
            # One statement may carry at most 65,535 parameters.
            chunk = max(1, min(batch_size, 60_000 // len(frame.columns)))
            frame.to_sql("ged_raw", engine, index=False, chunksize=chunk, method="multi")
        else:
            frame.to_sql("ged_raw", engine, index=False, chunksize=batch_size)
        to_sql_s = time.perf_counter() - started
    finally:
        engine.dispose()
    return Result(
        backend,
        rows,
        ingest_s,
        report.seconds_read,
        report.seconds_write,
        report.seconds_findings,
        report.findings,
        to_sql_s,
    )


def _pg_schema(base: str) -> tuple[str, str] | None:
    """A fresh schema and a URL that uses it, or None (with a message) if no server answers."""
    import psycopg

    plain = "postgresql://" + base.split("://", 1)[1]
    schema = f"cf_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(plain, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
    except psycopg.Error as exc:
        print(f"postgresql: skipped, not reachable at {base} ({str(exc).strip()})", flush=True)
        return None
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def _drop_schema(base: str, schema: str) -> None:
    import psycopg

    plain = "postgresql://" + base.split("://", 1)[1]
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--pg-url", default=os.environ.get("CEASEFIRE_TEST_PG_URL") or PG_DEFAULT)
    parser.add_argument("--pg-method", choices=("default", "multi"), default="default")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="ceasefire-bench-") as folder:
        csv = Path(folder) / "ged_synthetic.csv"
        started = time.perf_counter()
        _synthetic().write_ucdp_csv(csv, args.rows, seed=args.seed)
        size = csv.stat().st_size / 2**20
        took = time.perf_counter() - started
        print(f"{args.rows:,} synthetic UCDP rows, {size:,.0f} MiB, in {took:.1f} s", flush=True)
        if not args.skip_sqlite:
            sqlite_url = f"sqlite:///{folder}/record.db"
            results.append(run("sqlite", sqlite_url, csv, args.batch_size, args.pg_method))
        if not args.skip_pg:
            found = _pg_schema(args.pg_url)
            if found is not None:
                schema, url = found
                try:
                    results.append(run("postgresql", url, csv, args.batch_size, args.pg_method))
                finally:
                    _drop_schema(args.pg_url, schema)
    if not results:
        sys.exit("nothing was run")
    print()
    for result in results:
        print("\n".join(result.lines()))
    ratios = ", ".join(f"{r.to_sql_s / r.ingest_s:.2f}x ({r.backend})" for r in results)
    print(f"ingest vs to_sql: {ratios}")


if __name__ == "__main__":
    main()
