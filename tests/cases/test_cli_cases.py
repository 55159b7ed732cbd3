"""`ceasefire users|cases|ledger` end to end: a case through the commands, then tampering."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from ceasefire.interfaces.cli.cases import register

from .conftest import url_of

runner = CliRunner()

AGREEMENTS = """
actors:
  - {id: gov, name: Government of Syria}
  - {id: opposition, name: Syrian insurgents}
  - {id: russia, name: Russia}
  - {id: usa, name: United States}
zones:
  - id: square
    name: Test square
    geometry: {type: Polygon, coordinates: [[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]}
agreements:
  - id: quiet
    title: Test regime of quiet
    timezone: Asia/Damascus
    start: "2016-04-30T00:00"
    zones: [square]
    parties: [gov, opposition, russia]
    guarantors: [russia, usa]
    adjudicators: [russia, usa]
    ruling_due_days: 5
    escalation: {violations: 1, days: 30}
"""


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("CEASEFIRE_DB", url_of(engine))
    app = typer.Typer()
    register(app)

    def run(*args: str, code: int = 0, stdin: str | None = None) -> str:
        result = runner.invoke(app, list(args), input=stdin)
        output = result.stdout + (result.stderr or "")
        assert result.exit_code == code, (args, output, result.exception)
        return output

    return run


def test_a_case_through_the_command_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    terms = tmp_path / "agreements.yaml"
    terms.write_text(AGREEMENTS, encoding="utf-8")
    photo = tmp_path / "crater.jpg"
    photo.write_bytes(b"\xff\xd8\xff fake jpeg")

    cli("users", "add", "root", "--role", "admin", "--password-stdin", stdin="long enough\n")
    for name, party in (("ru-judge", "russia"), ("us-judge", "usa")):
        cli("users", "add", name, "--role", "adjudicator", "--party", party, "--as", "root")
    for name, party in (("opp-rep", "opposition"), ("gov-rep", "gov")):
        cli("users", "add", name, "--role", "party", "--party", party, "--as", "root")
    assert "needs --party" in cli("users", "add", "x", "--role", "party", "--as", "root", code=2)
    assert "may not" in cli("users", "add", "y", "--role", "monitor", "--as", "gov-rep", code=2)
    token = cli("users", "token", "opp-rep").strip().splitlines()[0]
    assert len(token) >= 43
    assert "gov-rep" in cli("users", "list")

    out = cli(
        "cases", "file", "--as", "opp-rep", "--agreement", "quiet", "--against", "gov",
        "--narrative", "Shelling of Douma market", "--incident", "ucdp:1234",
        "--evidence", str(photo), "--agreements", str(terms),
    )  # fmt: skip
    case = re.search(r"A-\d{4}-\d{4}", out)
    assert case is not None, out
    cid = case.group(0)
    cli("cases", "answer", cid, "--as", "gov-rep", "--text", "We returned fire.")
    assert "not found" in cli("cases", "show", cid, code=2)  # the public: not yet
    cli("cases", "review", cid, "--as", "ru-judge")
    cli(
        "cases", "rule", cid, "--as", "us-judge", "--outcome", "violation_confirmed",
        "--reasons", "Market shelled from government positions.", "--agreements", str(terms),
    )  # fmt: skip
    cli("cases", "sign", cid, "--as", "us-judge", "--position", "agree")
    # Ruled, not published: the respondent sees its case but not the ruling, by any command.
    early = json.loads(cli("cases", "show", cid, "--as", "gov-rep", "--json"))
    assert early["status"] == "ruled" and early["ruling"] is None
    assert json.loads(cli("cases", "list", "--as", "gov-rep", "--json"))[0]["outcome"] is None
    for who in ("gov-rep", "opp-rep"):
        seen = tmp_path / f"ledger-{who}.jsonl"
        cli("ledger", "export", str(seen), "--as", who)
        assert b"Market shelled" not in seen.read_bytes()
        assert b"Shelling of Douma market" in seen.read_bytes()  # the filing: their own case
        assert "withheld" in cli("ledger", "verify", str(seen))
    refused = cli("cases", "publish", cid, "--as", "us-judge", "--agreements", str(terms), code=2)
    assert "waiting for russia" in refused
    cli(
        "cases", "sign", cid, "--as", "ru-judge", "--position", "dissent",
        "--statement", "Counter-battery fire.",
    )  # fmt: skip
    published = cli("cases", "publish", cid, "--as", "ru-judge", "--agreements", str(terms))
    assert "violation_confirmed" in published and "referral R-" in published

    shown = json.loads(cli("cases", "show", cid, "--json"))
    assert shown["status"] == "published" and shown["evidence"] is None
    assert [p["position"] for p in shown["ruling"]["positions"]] == ["dissent", "agree"]
    mine = json.loads(cli("cases", "list", "--as", "gov-rep", "--json"))
    assert [c["id"] for c in mine] == [cid]
    sha = json.loads(cli("cases", "show", cid, "--as", "gov-rep", "--json"))["evidence"][0]
    saved = tmp_path / "copy.jpg"
    cli("cases", "evidence", cid, sha["sha256"], "-o", str(saved), "--as", "gov-rep")
    assert saved.read_bytes() == photo.read_bytes()
    assert "R-" in cli("cases", "referrals")

    export = tmp_path / "ledger.jsonl"
    assert "entries written" in cli("ledger", "export", str(export))
    assert "intact" in cli("ledger", "verify", str(export))
    assert "intact" in cli("ledger", "verify")

    # Tamper with the file, then with the database: both caught, the entry named.
    rows = export.read_bytes().split(b"\n")
    rows[7] = rows[7].replace(b"Shelling", b"Shellinx")
    export.write_bytes(b"\n".join(rows))
    assert "entry 7" in cli("ledger", "verify", str(export), code=1)
    from ceasefire.storage.db import make_engine

    engine = make_engine()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq = 9"))
    engine.dispose()
    assert "entry 9" in cli("ledger", "verify", code=1)


def test_missing_tables_are_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEASEFIRE_DB", str(tmp_path / "empty.db"))
    app = typer.Typer()
    register(app)
    result = runner.invoke(app, ["cases", "list"])
    assert result.exit_code == 2
    assert "ceasefire db upgrade" in result.stdout + (result.stderr or "")


def test_checkpoints_proofs_and_verify_since(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Keep a checkpoint, let the log grow, prove an entry; then truncate: --since catches it."""
    cli("users", "add", "root", "--role", "admin")
    cli("users", "add", "mon", "--role", "monitor", "--as", "root")
    held = tmp_path / "checkpoint.txt"
    note = cli("ledger", "checkpoint", "-o", str(held))
    lines = note.split("\n")
    assert lines[1] == "2" and lines[3].startswith("time ") and lines[5].startswith("\u2014 ")
    assert held.read_text() == note
    cli("users", "add", "gov-rep", "--role", "party", "--party", "gov", "--as", "root")
    cli("users", "token", "mon", "--as", "root")
    assert "consistent with the checkpoint of 2 entries" in cli(
        "ledger", "verify", "--since", str(held)
    )
    proof = json.loads(cli("ledger", "prove", "1"))
    assert proof["seq"] == 1 and proof["tree_size"] == 4 and len(proof["proof"]) == 2
    export = tmp_path / "ledger.jsonl"
    cli("ledger", "export", str(export))
    assert "intact" in cli("ledger", "verify", str(export), "--since", str(held))
    # A checkpoint from another log (or a garbled one) is refused, naming the file.
    held.write_text(note.replace(lines[2], "A" * 43 + "="))
    assert "checkpoint given" in cli("ledger", "verify", "--since", str(held), code=1)
    held.write_text("nonsense\n")
    assert "checkpoint.txt" in cli("ledger", "verify", "--since", str(held), code=2)
    # The newest entries removed and the head fixed: only the checkpoint held outside tells.
    held.write_text(note)
    from ceasefire.storage.db import make_engine

    engine = make_engine()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq > 1"))
        conn.execute(text("DELETE FROM ledger_nodes WHERE NOT (level = 0 AND idx = 0)"))
        conn.execute(text("DELETE FROM ledger_checkpoints"))
        conn.execute(text("DELETE FROM api_tokens"))
        conn.execute(text("DELETE FROM users WHERE name <> 'root'"))
        conn.execute(
            text("UPDATE ledger_head SET seq = 1, hash = (SELECT leaf_hash FROM ledger)")
        )
    engine.dispose()
    assert "intact" in cli("ledger", "verify")
    caught = cli("ledger", "verify", "--since", str(held), code=1)
    assert "entry 2" in caught and "truncated" in caught
