"""Revision 0002_cases, with the later revisions that change them (0004_accounts), creates
exactly the tables of `ceasefire.storage.cases`."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect

from ceasefire.storage.cases import CASE_TABLE_NAMES, case_tables

VERSIONS = Path(__file__).resolve().parents[2] / "src/ceasefire/storage/migrations/versions"


#: The revisions that create or change the case tables, oldest first.
CASE_REVISIONS = ("0002_cases", "0004_accounts", "0005_transparency")


def revision(name: str = "0002_cases") -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"rev_{name}", VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_revision_ids() -> None:
    module = revision()
    assert (module.revision, module.down_revision) == ("0002_cases", "0001_record")


def test_upgrade_matches_the_models_and_downgrade_removes_them(bare_engine: Engine) -> None:
    modules = [revision(name) for name in CASE_REVISIONS]
    wanted = MetaData()
    for table in case_tables():
        table.to_metadata(wanted)
    with bare_engine.begin() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        with Operations.context(context):
            for module in modules:
                module.upgrade()
        assert set(CASE_TABLE_NAMES) <= set(inspect(conn).get_table_names())
        differences = compare_metadata(context, wanted)
        assert differences == [], differences
        with Operations.context(context):
            for module in reversed(modules):
                module.downgrade()
        assert not set(CASE_TABLE_NAMES) & set(inspect(conn).get_table_names())


def test_the_whole_chain_upgrades(bare_engine: Engine) -> None:
    """With the record's revision 0001 and its environment, `upgrade` reaches 0004."""
    try:
        from ceasefire.storage import migrations
    except ImportError as exc:  # pragma: no cover - the record side is absent
        pytest.skip(f"migrations environment not importable: {exc}")
    migrations.upgrade(bare_engine, CASE_REVISIONS[-1])
    assert migrations.current(bare_engine) == CASE_REVISIONS[-1]
    names = set(inspect(bare_engine).get_table_names())
    assert set(CASE_TABLE_NAMES) <= names and "incidents" in names


def test_attribution_revision_matches_the_models_and_downgrades(bare_engine: Engine) -> None:
    """Upgraded to head, the database has exactly the models' tables and columns (every
    table, record and cases alike); 0006 downgrades to 0005 without a trace of its own."""
    from ceasefire.storage import migrations, models  # noqa: F401  (models registers the tables)
    from ceasefire.storage.db import Base
    from ceasefire.storage.settings_store import SETTINGS

    wanted = MetaData()
    for table in [*Base.metadata.tables.values(), SETTINGS]:
        table.to_metadata(wanted)
    migrations.upgrade(bare_engine, "0006_attribution")
    with bare_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, wanted)
    assert differences == [], differences
    from alembic import command

    command.downgrade(migrations.config(bare_engine), "0005_transparency")
    names = set(inspect(bare_engine).get_table_names())
    assert not {"attributions", "event_links", "review_items"} & names
    columns = {c["name"] for c in inspect(bare_engine).get_columns("findings")}
    assert "grade" not in columns and "party" not in columns
