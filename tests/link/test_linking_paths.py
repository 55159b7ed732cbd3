"""Linking where users meet it: `ceasefire assess` with several sources counts events (and
says of how many reports), `--no-link` counts reports; `ceasefire ingest` matches the
record's sources after storing them, unless `--no-match`."""

from __future__ import annotations

from pathlib import Path

import pytest
from cases.conftest import DEMO
from typer.testing import CliRunner

from ceasefire.interfaces.cli.main import app
from ceasefire.services.assess import run_assessment
from ceasefire.storage.record import Record

from .test_match_service import REPORTS


def _files(tmp_path: Path) -> list[Path]:
    """The reports as two files, one per source, as a user would have them."""
    out = []
    for source in ("ucdp", "acled"):
        path = tmp_path / f"{source}.jsonl"
        path.write_text("\n".join(r for r in REPORTS if f'"source": "{source}"' in r) + "\n")
        out.append(path)
    return out


def test_assess_counts_events_across_sources(tmp_path: Path) -> None:
    files = _files(tmp_path)
    linked = run_assessment([DEMO], files)
    apart = run_assessment([DEMO], files, link=False)
    assert len(apart.incidents) == apart.reports == 5
    assert linked.reports == 5 and len(linked.incidents) == 4  # the Aleppo pair is one event
    line = linked.events_line()
    assert line is not None and "4 events from 5 reports" in line
    assert apart.events_line() is None
    # The merged event keeps both reports' words on who acted: the claim of the report
    # that said who acted, tagged by its source.
    merged = [linked.incidents.conducts[c] for c in linked.incidents.conduct.tolist()]
    assert any(claimant == "source:acled" for c in merged for claimant, _ in c.perpetrators)


def test_one_source_links_nothing(tmp_path: Path) -> None:
    one = _files(tmp_path)[:1]
    result = run_assessment([DEMO], one)
    assert len(result.incidents) == result.reports == 3 and result.events_line() is None


def test_cli_assess_says_it_counts_events(tmp_path: Path) -> None:
    files = [str(p) for p in _files(tmp_path)]
    runner = CliRunner()
    linked = runner.invoke(app, ["assess", str(DEMO), *files])
    assert linked.exit_code == 0, linked.output
    assert "4 events from 5 reports" in linked.output
    apart = runner.invoke(app, ["assess", str(DEMO), *files, "--no-link"])
    assert apart.exit_code == 0 and "events from" not in apart.output


def test_ingest_matches_the_sources_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    runner = CliRunner()
    files = [str(p) for p in _files(tmp_path)]

    def cli(*args: str, code: int = 0, stdin: str | None = None) -> str:
        result = runner.invoke(app, list(args), input=stdin)
        assert result.exit_code == code, (args, result.output)
        return result.output

    def keys(name: str) -> None:  # each record its own keystore: the users' names repeat
        monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / f"keys-{name}"))

    for name in ("matched", "unmatched", "operator"):
        db = f"sqlite:///{tmp_path / name}.db"
        keys(name)
        cli("init", "--db", db)
        cli("agreements", "load", str(DEMO), "--db", db)
        cli("users", "add", "root", "--role", "admin", "--db", db, "--password-stdin",
            stdin="long enough\n")  # fmt: skip
        cli("users", "add", "mon", "--role", "monitor", "--as", "root", "--db", db)
        cli(
            "users",
            "add",
            "ana",
            "--role",
            "adjudicator",
            "--party",
            "russia",
            "--as",
            "root",
            "--db",
            db,
        )
    keys("matched")
    matched = cli("ingest", *files, "--db", f"sqlite:///{tmp_path / 'matched'}.db", "--as", "mon")
    assert "1 linked automatically" in matched
    unmatched = f"sqlite:///{tmp_path / 'unmatched'}.db"
    keys("unmatched")
    assert "linked" not in cli("ingest", *files, "--db", unmatched, "--as", "mon", "--no-match")
    # The local operator signs nothing: it is told who can run the match.
    keys("operator")
    told = cli("ingest", *files, "--db", f"sqlite:///{tmp_path / 'operator'}.db")
    assert "not matched into events" in told and "ceasefire match --as" in told
    for name, links in (("matched", 1), ("unmatched", 0), ("operator", 0)):
        with Record.open(f"sqlite:///{tmp_path / name}.db") as rec:
            assert rec.events.count(method="auto") == links
    keys("unmatched")
    assert "may not" in cli("match", "--db", unmatched, "--as", "ana", code=2)
    assert "1 linked automatically" in cli("match", "--db", unmatched, "--as", "mon")


def test_a_running_total_is_stored_and_never_linked(tmp_path: Path) -> None:
    """An article's "in the past week" toll at the same place and day is not the event."""
    import json

    from ceasefire.formats.sources import Content
    from ceasefire.services import record

    from .conftest import ALEPPO

    total = json.dumps(
        {
            "id": "t1", "source": "paper", "aggregate": True,
            "time": {"start": "2016-04-27", "timezone": "Asia/Damascus"},
            "place": {"lon": ALEPPO[0], "lat": ALEPPO[1], "radius_km": 1},
            "act": "air_strike", "perpetrators": ["gov"], "killed": {"low": 200},
        }
    )  # fmt: skip
    files = [*_files(tmp_path), tmp_path / "paper.jsonl"]
    files[-1].write_text(total + "\n")
    result = run_assessment([DEMO], files)
    assert result.reports == 6 and len(result.incidents) == 5  # only the Aleppo pair merged
    kept = [i for i, a in zip(result.incidents.id, result.incidents.aggregate, strict=True) if a]
    assert kept == ["t1"]
    db = f"sqlite:///{tmp_path / 'r.db'}"
    with Record.open(db) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO])
        record.ingest_incidents(rec, Content(total, "paper.jsonl"), format="jsonl")
    with Record.open(db) as rec:
        found = rec.incidents.get("paper:t1")
        assert found is not None and found["aggregate"] == "total"
