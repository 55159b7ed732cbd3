"""Alembic environment: runs migrations on the engine `ceasefire` hands over.

Invoked by `ceasefire.storage.migrations.upgrade`; with the plain Alembic
command line it falls back to `sqlalchemy.url`.
"""

from __future__ import annotations

import contextlib
import importlib

from alembic import context
from sqlalchemy import Engine

from ceasefire.storage.db import Base, make_engine

# Every module whose tables the migrations create, so `target_metadata` is complete
# for autogenerate (`storage.cases` belongs to the allegations side of the record).
for _module in ("ceasefire.storage.models", "ceasefire.storage.cases"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_module)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things in place; batch mode copies the table.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
