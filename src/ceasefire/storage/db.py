"""Database URLs and engines. SQLite runs in WAL mode; PostgreSQL through psycopg 3.

Every table of the record derives from `Base`; Alembic migrations in
`ceasefire/storage/migrations/` create them (`ceasefire db upgrade`).

A new SQLite file is created with mode 0600 (under umask 077) before SQLite opens
it; SQLite gives its `-wal` and `-shm` files the database file's mode, so the
record is readable by its owner only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase

DEFAULT_DB = "ceasefire.db"
ENV_DB = "CEASEFIRE_DB"


class Base(DeclarativeBase):
    """Declarative base of every table in the record."""


def database_url(url: str | None = None) -> str:
    """`--db URL`, else `CEASEFIRE_DB`, else `./ceasefire.db`; a bare path means SQLite."""
    value = url or os.environ.get(ENV_DB) or DEFAULT_DB
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        # psycopg 3 is the driver for PostgreSQL.
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (umask 077 around the creation)."""
    previous = os.umask(0o077)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except (FileExistsError, FileNotFoundError, NotADirectoryError):
        return  # there already, or no such folder: SQLite says so when it opens it
    finally:
        os.umask(previous)
    os.close(fd)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    resolved = database_url(url)
    engine = create_engine(resolved, **kwargs)
    if engine.dialect.name == "sqlite":
        file = engine.url.database
        if file and file != ":memory:" and not file.startswith("file:"):
            create_private(Path(file))
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
