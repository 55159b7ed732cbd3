"""`ceasefire extract` on the command line: outputs, and clear refusals (exit status 2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.articles import MAX_BYTES
from ceasefire.formats.incidents import read_incidents
from ceasefire.interfaces.cli.extract import register

from .conftest import ARTICLE, DEMO, QUIET_TEXT

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """ceasefire (test harness)"""

    register(app)
    return app


@pytest.fixture
def article_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def run(app: typer.Typer, *args: str, input: bytes | None = None) -> Result:
    return runner.invoke(app, ["extract", *args], input=input)


def test_one_file_to_stdout(app: typer.Typer, article_file: Path) -> None:
    result = run(app, str(article_file), "--published", "2016-04-29", "--source", "demo")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["source"] == "demo"
    assert [i["id"] for i in document["incidents"]][:1] == ["demo-1"]


def test_several_files_to_json_lines(app: typer.Typer, article_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "quiet.txt"
    other.write_text(QUIET_TEXT, encoding="utf-8")
    out = tmp_path / "out" / "docs.jsonl"
    result = run(app, str(article_file), str(other), "--published", "2016-04-29", "-o", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["source"] == "report" and second["source"] == "quiet"
    assert second["incidents"] == [] and second["agreements"] == []
    # the incidents, one a line, are native incidents for the reader
    incidents = tmp_path / "incidents.jsonl"
    incidents.write_text("".join(json.dumps(i) + "\n" for i in first["incidents"]))
    table, _ = read_incidents(incidents, load_agreements([DEMO]).actors, format="jsonl")
    assert len(table) == len(first["incidents"])


def test_standard_input(app: typer.Typer) -> None:
    result = run(app, "-", "--published", "2016-04-29", input=ARTICLE.encode("utf-8"))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["source"] == "stdin" and document["incidents"]


def test_not_utf8_names_file_and_offset(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"Shelling in Homs\n" + "caf\xe9".encode("latin-1"))
    out = tmp_path / "never.json"
    result = run(app, str(path), "--published", "2016-04-29", "-o", str(out))
    assert result.exit_code == 2
    assert "latin1.txt" in result.output and "not UTF-8" in result.output
    assert "0xe9" in result.output and "offset 20" in result.output
    assert not out.exists()


def test_empty_file(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n\n", encoding="utf-8")
    result = run(app, str(path), "--published", "2016-04-29")
    assert result.exit_code == 2
    assert "blank.txt" in result.output and "empty" in result.output


def test_file_over_5_mb_is_refused(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_bytes(b"a" * (MAX_BYTES + 1))
    result = run(app, str(path), "--published", "2016-04-29")
    assert result.exit_code == 2
    assert "dump.txt" in result.output and "5 MB" in result.output
    assert "one file per article" in result.output


def test_stdin_over_5_mb_is_refused(app: typer.Typer) -> None:
    result = run(app, "-", "--published", "2016-04-29", input=b"a" * (MAX_BYTES + 1))
    assert result.exit_code == 2 and "5 MB" in result.output


def test_unknown_published_format(app: typer.Typer, article_file: Path) -> None:
    result = run(app, str(article_file), "--published", "29/04/2016")
    assert result.exit_code == 2
    assert "--published" in result.output and "2016-04-29" in result.output


def test_missing_file_and_good_file_write_nothing(
    app: typer.Typer, article_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    result = run(
        app, str(article_file), str(tmp_path / "nope.txt"), "--published", "2016-04-29",
        "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 2 and "nope.txt" in result.output and "not found" in result.output
    assert not out.exists()


def test_an_article_is_read_alike_from_a_path_content_or_a_stream(article_file: Path) -> None:
    from ceasefire.formats.articles import ArticleError, read_article
    from ceasefire.formats.sources import Content

    data = article_file.read_bytes()
    from_path = read_article(article_file)
    from_content = read_article(Content(ARTICLE, "report.txt"))
    from_stream = read_article(io.BytesIO(b"\xef\xbb\xbf" + data), name="report.txt")
    assert from_path.text == from_content.text == from_stream.text == ARTICLE
    assert from_path.stem == from_content.stem == from_stream.stem == "report"
    with pytest.raises(ArticleError, match=r"standard input: .*offset 3"):
        read_article(io.BytesIO(b"abc\xff"), name="-")
    with pytest.raises(ArticleError, match="5 MB"):
        read_article(io.BytesIO(b"a" * (MAX_BYTES + 10)), name="big.txt")
    with pytest.raises(ArticleError, match="empty"):
        read_article(Content("\ufeff \n", "blank.txt"))


def test_several_articles_under_one_source_keep_distinct_ids(tmp_path: Path) -> None:
    from ceasefire.formats.articles import read_article, source_names

    paths = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        paths.append(tmp_path / folder / "report.txt")
        paths[-1].write_text(ARTICLE, encoding="utf-8")
    articles = [read_article(p) for p in paths]
    assert source_names(articles, "paper") == ["paper-report", "paper-report-2"]
    assert source_names(articles[:1], "paper") == ["paper"]


def test_ingest_text_refuses_what_extract_refuses(
    tmp_path: Path, article_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ingest --text` reads articles with the same reader as `extract`: a bad file
    exits 2 naming it, and the good article beside it is not stored either."""
    from ceasefire.interfaces.cli.main import app as ceasefire

    db = str(tmp_path / "record.db")
    monkeypatch.setenv("CEASEFIRE_DB", db)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Shelling in Homs, caf\xe9".encode("latin-1"))
    assert runner.invoke(ceasefire, ["agreements", "load", str(DEMO)]).exit_code == 0
    args = ["ingest", "--text", str(article_file), str(bad), "--published", "2016-04-29"]
    result = runner.invoke(ceasefire, args)
    assert result.exit_code == 2, result.output
    assert "latin1.txt" in result.output and "not UTF-8" in result.output
    assert "0xe9 at offset 21" in result.output
    from ceasefire.services.record import open_record

    with open_record(db) as rec:
        assert rec.incidents.find(limit=None) == []
