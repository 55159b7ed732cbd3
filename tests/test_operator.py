"""The command line acts as the local operator, unless `--as NAME` names a user.

Whoever holds the database file may load agreements and ingest incidents before
any user exists (the README's workflow); a named user is held to the matrix
exactly as through the API, and a refused command changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.interfaces.cli.main import app
from ceasefire.services import views
from ceasefire.services.record import open_record
from ceasefire.services.users import NAME_RE
from tests.conftest import AGREEMENT_YAML, event

runner = CliRunner()


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def stored(db: str) -> tuple[list[str], dict[str, str | None]]:
    """The agreement ids, and each incident's submitter, in the record."""
    with open_record(db) as rec:
        ids = [a.id for a in views.agreements(rec, LOCAL_OPERATOR)]
        rows = rec.incidents.find(limit=None)
    return ids, {r["source_id"]: r["submitted_by"] for r in rows}


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    out = {"db": str(tmp_path / "record.db")}
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(AGREEMENT_YAML, encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text(AGREEMENT_YAML.replace("- id: quiet", "- id: other-quiet"), encoding="utf-8")
    for name in ("first", "by-party", "by-monitor"):
        path = tmp_path / f"{name}.jsonl"
        path.write_text(json.dumps(event(f"{name}-1")) + "\n", encoding="utf-8")
        out[name] = str(path)
    out["agreement"], out["other"] = str(agreement), str(other)
    return out


def test_the_local_operator_starts_a_workspace_and_users_are_held_to_the_matrix(
    files: dict[str, str],
) -> None:
    db = ("--db", files["db"])
    cli("init", *db)
    # Before any user exists: the README's workflow.
    cli("agreements", "load", files["agreement"], *db)
    cli("ingest", files["first"], *db)
    cli("users", "add", "root", "--role", "admin", *db)
    cli("users", "add", "mon", "--role", "monitor", "--as", "root", *db)
    cli("users", "add", "rep", "--role", "party", "--party", "gov", "--as", "root", *db)
    listed = cli("users", "list", *db)
    assert all(name in listed for name in ("root", "mon", "rep"))

    # Named users: refused where the matrix refuses them, and nothing is stored.
    assert "agreements.write" in cli(
        "agreements", "load", files["other"], "--as", "mon", *db, code=2
    )
    assert "incidents.submit" in cli("ingest", files["by-party"], "--as", "rep", *db, code=2)
    assert "users.manage" in cli("users", "list", "--as", "mon", *db, code=2)
    assert "not found" in cli("users", "list", "--as", "nobody", *db, code=2)
    ids, submitters = stored(files["db"])
    assert ids == ["quiet"] and set(submitters) == {"first-1"}

    # ... and allowed where it allows them, on the record as themselves.
    cli("ingest", files["by-monitor"], "--as", "mon", *db)
    cli("agreements", "load", files["other"], "--as", "root", *db)
    ids, submitters = stored(files["db"])
    assert ids == ["quiet", "other-quiet"]
    assert submitters == {"first-1": None, "by-monitor-1": "mon"}

    # What is signed on the ledger needs a user with a key: the operator has none.
    assert "--as" in cli("users", "add", "late", "--role", "monitor", *db, code=2)
    assert not NAME_RE.match(LOCAL_OPERATOR.name)  # never the name of an account
