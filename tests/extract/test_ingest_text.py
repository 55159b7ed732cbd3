"""`ceasefire ingest --text`: articles become candidate incidents in the record."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ceasefire.interfaces.cli.main import app
from ceasefire.services import record
from tests.extract.conftest import ARTICLE, DEMO, PUBLISHED


def test_ingest_text_stores_candidates(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "record.db")
    monkeypatch.setenv("CEASEFIRE_DB", db)
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["agreements", "load", str(DEMO)]).exit_code == 0
    result = runner.invoke(
        app, ["ingest", "--text", str(article), "--published", PUBLISHED, "--source", "paper"]
    )
    assert result.exit_code == 0, result.output
    assert "candidate incidents awaiting review" in result.output
    with record.open_record(db) as rec:
        stored = rec.incidents.find(status="candidate", limit=None)
        assert stored and all(i["status"] == "candidate" for i in stored)
        assert rec.incidents.find(status="accepted", limit=None) == []
    missing = runner.invoke(app, ["ingest", "--text", str(article)])
    assert missing.exit_code == 2 and "--published" in missing.output
