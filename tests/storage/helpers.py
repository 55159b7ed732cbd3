"""Shared by the record's tests: demo files, database set-up, edited copies of the demo."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import make_url

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]

DEMO = resources.files("ceasefire").joinpath("data", "demo")
DEMO_AGREEMENTS = Path(str(DEMO.joinpath("syria-2016.yaml")))
DEMO_EVENTS = Path(str(DEMO.joinpath("ged_syria_2016.csv")))


def pg_base_url() -> str:
    return os.environ.get("CEASEFIRE_TEST_PG_URL") or PG_DEFAULT


@functools.cache
def pg_problem(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used, or None when it can."""
    import psycopg

    try:
        with psycopg.connect(_plain(url), connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:  # any failure means "not reachable" for the skip message
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def _plain(url: str) -> str:
    """A libpq URL (no SQLAlchemy driver suffix)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_plain(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute("SET lock_timeout = '20s'")
        conn.execute(sql)


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A database URL for one test (or one module): empty, and removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'record.db'}"
        return
    base = pg_base_url()
    problem = pg_problem(base)
    if problem is not None:
        pytest.skip(f"PostgreSQL not reachable at {base}: set CEASEFIRE_TEST_PG_URL ({problem})")
    schema = f"cf_test_{secrets.token_hex(6)}"
    _admin(base, f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _admin(base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def demo_subset(path: Path, rows: int, edit: dict[int, dict[str, str]] | None = None) -> Path:
    """The first `rows` events of the demo file, with some fields changed (by row number)."""
    frame = pd.read_csv(DEMO_EVENTS, dtype=str, keep_default_na=False).head(rows)
    for row, changes in (edit or {}).items():
        for column, value in changes.items():
            frame.loc[row, column] = value
    frame.to_csv(path, index=False)
    return path
