"""Alembic migrations of the record, run from code: users need no `alembic.ini`.

`config(engine)` builds the Alembic configuration in memory with this folder
as the script location; `upgrade(engine)` migrates to the newest revision.
Developers can still use the Alembic command line by passing the same
configuration to `alembic.command` functions.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

HERE = Path(__file__).resolve().parent


def config(engine: Engine) -> Config:
    """An in-memory Alembic config: scripts here, the engine handed to `env.py`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("version_locations", str(HERE / "versions"))
    cfg.set_main_option("path_separator", "os")
    # `%` is interpolation syntax in Alembic's config parser.
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (default: the newest)."""
    command.upgrade(config(engine), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
