"""Databases for the record's tests: a SQLite file and a PostgreSQL schema of their own.

The same tests run on both. PostgreSQL comes from `CEASEFIRE_TEST_PG_URL`
(default `postgresql://postgres@127.0.0.1:5432/test`); every test gets a fresh
schema with a random name (the URL sets `search_path` to it), dropped after,
so runs never collide. Where no server answers, the PostgreSQL cases skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import ceasefire

from .helpers import BACKENDS, DEMO_AGREEMENTS, DEMO_EVENTS, database


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def demo_frame() -> pd.DataFrame:
    """The demo's findings computed from the files, every pair listed: the reference."""
    return ceasefire.assess(DEMO_AGREEMENTS, DEMO_EVENTS)
