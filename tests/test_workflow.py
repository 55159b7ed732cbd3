"""The README's task-force workflow, run line by line as a new user would."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from ceasefire.interfaces.cli.main import app

ROOT = Path(__file__).resolve().parents[1]


def workflow_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- workflow:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line.startswith("ceasefire ")]


def test_readme_workflow(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CEASEFIRE_DB", str(tmp_path / "taskforce.db"))
    monkeypatch.delenv("CEASEFIRE_KEYS", raising=False)
    runner = CliRunner()
    lines = workflow_lines()
    year = dt.datetime.now(dt.UTC).year
    assert len(lines) >= 15
    for line in lines:
        # Ids carry the filing year; the README shows the year it was written.
        line = line.replace("A-2026-", f"A-{year}-")
        args = [
            str(ROOT / a) if a.startswith("src/ceasefire/data/") else a
            for a in shlex.split(line)[1:]
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
    assert len(result.output.strip()) >= 32  # the last line printed a token
    verify = runner.invoke(app, ["ledger", "verify", "ledger.jsonl"])
    assert verify.exit_code == 0 and "intact" in verify.output
    exported = (tmp_path / "ledger.jsonl").read_text()
    # The entry the README proves is the publication, as its comment says.
    proved = next(json.loads(x) for x in exported.splitlines()[1:] if json.loads(x)["seq"] == 12)
    assert proved["action"] == "ruling.publish"
    (tmp_path / "bad.jsonl").write_text(exported.replace("violation_confirmed", "no_violation"))
    bad = runner.invoke(app, ["ledger", "verify", "bad.jsonl"])
    # Exit 1 naming the first entry changed (the command's documented answer), not any failure.
    changed = next(
        json.loads(line)["seq"] for line in exported.splitlines() if "violation_confirmed" in line
    )
    assert bad.exit_code == 1, bad.output
    assert f"tampered: entry {changed}:" in " ".join(bad.output.split()), bad.output


def record_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("<!-- record example:", 1)[1].split("```python", 1)[1].split("```", 1)[0]


def test_readme_record_example(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """The notebook's view of the record the commands made: the figures its comments state."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CEASEFIRE_KEYS", raising=False)
    runner = CliRunner()
    for line in workflow_lines()[1:4]:  # init, agreements load, ingest
        args = [
            str(ROOT / a) if a.startswith("src/ceasefire/data/") else a
            for a in shlex.split(line)[1:]
        ]
        result = runner.invoke(app, [*args, "--db", "taskforce.db"])
        assert result.exit_code == 0, f"{line}\n{result.output}"
    block = record_block()
    stated = [int(n) for n in re.findall(r"#\s*([\d,]+)\s*$", block, flags=re.M)]
    capsys.readouterr()
    exec(compile(block, "README.md (record example)", "exec"), {})
    printed = [int(n) for n in capsys.readouterr().out.split()]
    assert printed == stated and len(stated) == 2
    # The same count from the files, without the record: the notebook API on the demo data.
    import ceasefire

    demo = ROOT / "src" / "ceasefire" / "data" / "demo"
    frame = ceasefire.assess(demo / "syria-2016.yaml", demo / "ged_syria_2016.csv")
    quiet = frame.query(
        "agreement_id == 'syria-quiet-2016-04' and reading == 'text' and category == 'violation'"
    )
    assert printed == [frame.incident_id.nunique(), len(quiet)]
