"""The record's commands: init, db upgrade, agreements load, ingest; errors exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ceasefire.interfaces.cli.record import register
from ceasefire.storage.record import Record

from .helpers import DEMO_AGREEMENTS, demo_subset

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return app


def test_workflow(db_url: str, tmp_path: Path) -> None:
    app = make_app()
    result = runner.invoke(app, ["init", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "at schema" in result.output
    result = runner.invoke(app, ["db", "upgrade", "--db", db_url])
    assert result.exit_code == 0 and "already at schema" in result.output, result.output

    result = runner.invoke(app, ["agreements", "load", str(DEMO_AGREEMENTS), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "2 agreements" in result.output

    events = demo_subset(tmp_path / "events.csv", 120)
    args = ["ingest", str(events), "--db", db_url, "--batch-size", "50", "--format", "ucdp"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "120 inserted" in result.output and "3 batches" in result.output
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "120 unchanged" in result.output, result.output
    with Record.open(db_url) as rec:
        assert rec.counts()["incidents"] == 120


def test_errors_exit_2_and_write_nothing(db_url: str, tmp_path: Path) -> None:
    app = make_app()
    bad = demo_subset(tmp_path / "bad.csv", 80, {40: {"date_start": "2016-13-45"}})
    result = runner.invoke(app, ["ingest", str(bad), "--db", db_url, "--batch-size", "10"])
    assert result.exit_code == 2, result.output
    assert "bad.csv" in result.output and "date_start" in result.output
    assert "Traceback" not in result.output
    with Record.open(db_url) as rec:
        assert rec.counts()["incidents"] == 0

    broken = tmp_path / "broken.yaml"
    broken.write_text("agreements:\n  - id: x\n    title: [unclosed\n", encoding="utf-8")
    result = runner.invoke(app, ["agreements", "load", str(broken), "--db", db_url])
    assert result.exit_code == 2 and "broken.yaml" in result.output, result.output

    result = runner.invoke(app, ["ingest", str(bad), "--db", db_url, "--format", "gdelt"])
    assert result.exit_code == 2 and "--format" in result.output


def test_db_falls_back_to_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "env" / "workspace.db"
    monkeypatch.setenv("CEASEFIRE_DB", str(target))
    result = runner.invoke(make_app(), ["init"])
    assert result.exit_code == 0, result.output
    assert target.exists()
    monkeypatch.delenv("CEASEFIRE_DB")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(make_app(), ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ceasefire.db").exists()
