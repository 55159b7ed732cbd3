"""The command line: outputs in each format, the schema, validate."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from ceasefire.core.errors import InputError
from ceasefire.interfaces.cli.main import app
from tests.conftest import AGREEMENT_YAML, event

runner = CliRunner()


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    rows = [
        event("a"),
        event("b", perpetrators=["nusra"]),
        event("c", time={"start": "2016-01-01"}),
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "geojson", "parquet"])
def test_assess_writes_every_format(
    tmp_path: Path, agreement_file: Path, events: Path, suffix: str
) -> None:
    out = tmp_path / f"findings.{suffix}"
    result = runner.invoke(app, ["assess", str(agreement_file), str(events), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "violation" in result.output and "9 findings written" in result.output
    if suffix == "csv":
        frame = pd.read_csv(out)
    elif suffix == "jsonl":
        frame = pd.read_json(out, lines=True)
    elif suffix == "parquet":
        frame = pd.read_parquet(out)
    else:
        data = json.loads(out.read_text())
        assert data["type"] == "FeatureCollection"
        frame = pd.DataFrame([f["properties"] for f in data["features"]])
        assert data["features"][0]["geometry"]["coordinates"] == [36.5, 35.5]
    assert len(frame) == 9  # 3 incidents x (text, russia, usa)
    assert set(frame.columns) >= {
        "incident_id", "agreement_id", "reading", "category", "probability",
        "perpetrator", "target", "time", "lon", "lat", "reasons",
    }  # fmt: skip
    got = dict(zip(frame.incident_id + "/" + frame.reading, frame.category, strict=True))
    assert got["a/text"] == "violation" and got["b/russia"] == "not_bound"
    assert got["c/usa"] == "out_of_scope"


def test_schema_is_a_json_schema_that_accepts_the_example(agreement_file: Path) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    # The schema is for typed JSON: dates become strings as they would in JSON.
    document = json.loads(json.dumps(yaml.safe_load(AGREEMENT_YAML), default=str))
    jsonschema.validate(document, schema)
    document["agreements"][0]["kind"] = "armistice-ish"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_validate_shows_windows(agreement_file: Path) -> None:
    result = runner.invoke(app, ["validate", str(agreement_file)])
    assert result.exit_code == 0, result.output
    assert "2016-04-29T21:00Z – 2016-05-02T21:00Z" in result.output
    assert "ok" in result.output


def test_demo_serve_builds_a_record_with_an_account_per_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from fastapi.testclient import TestClient

    served: dict[str, Any] = {}
    monkeypatch.delenv("CEASEFIRE_KEYS", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--serve", "--port", "8765"])
    assert result.exit_code == 0, result.output
    assert (out / "record.db").is_file() and served["port"] == 8765
    assert served["host"] == "127.0.0.1"
    passwords = dict(re.findall(r"│ (\S+)\s+│ \S+\s+│ [^│]*│ (\S+)\s+│", result.output))
    assert set(passwords) == {
        "chair", "ru-member", "us-member", "observer", "hnc", "damascus", "qamishli",
    }  # fmt: skip
    with TestClient(served["app"]) as client:
        login = {"name": "hnc", "password": passwords["hnc"], "next": "/cases"}
        page = client.post("/login", data=login)
        assert page.status_code == 200 and "hnc" in page.text and "party" in page.text
        assert client.get("/api/v1/map/incidents").json()["count"] == 6170
    served["app"].state.workspace.close()


def test_schema_incidents_is_the_readers_schema(tmp_path: Path) -> None:
    from ceasefire.formats.agreements import load_agreements
    from ceasefire.formats.incidents import read_incidents
    from tests.conftest import AGREEMENT_YAML

    result = runner.invoke(app, ["schema", "incidents"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    record = event("a")
    jsonschema.validate(record, schema)
    agreements = tmp_path / "agreements.yaml"
    agreements.write_text(AGREEMENT_YAML, encoding="utf-8")
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    table, _ = read_incidents(path, load_agreements([agreements]).actors, format="jsonl")
    assert len(table) == 1  # what the schema accepts, the reader reads
    wrong = {**record, "act": "carpet-bombing"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)
    path.write_text(json.dumps(wrong) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="act"):  # and what it refuses, the reader refuses
        read_incidents(path, load_agreements([agreements]).actors, format="jsonl")
    assert runner.invoke(app, ["schema", "findings"]).exit_code == 2


def test_lazy_groups_are_listed_with_their_own_help() -> None:
    from ceasefire.interfaces.cli.main import LAZY_GROUPS

    listing = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    for name, lazy in LAZY_GROUPS.items():
        assert lazy.load().info.help == lazy.help, name
        assert lazy.help in listing.output
        shown = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0 and lazy.help in shown.output
        assert "Commands" in shown.output and "--install-completion" not in shown.output
    typo = runner.invoke(app, ["ledgr"])
    assert typo.exit_code == 2 and "'ledger'" in typo.output


def test_defaults_shown_without_storage_are_storage_defaults() -> None:
    from ceasefire.interfaces.cli import support
    from ceasefire.services.record import DEFAULT_BATCH
    from ceasefire.storage.db import DEFAULT_DB, ENV_DB

    assert (support.ENV_DB, support.DEFAULT_DB) == (ENV_DB, DEFAULT_DB)
    assert support.DEFAULT_BATCH == DEFAULT_BATCH


def test_version() -> None:
    from ceasefire._version import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"ceasefire {__version__}"


def test_errors_of_every_group_exit_2_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("agreements:\n  - id: x\n    title: [unclosed\n", encoding="utf-8")
    missing = tmp_path / "nope.txt"
    db = str(tmp_path / "record.db")
    cases = [
        (["validate", str(broken)], "broken.yaml"),
        (["assess", str(broken), str(missing)], "broken.yaml"),
        (["agreements", "load", str(broken), "--db", db], "broken.yaml"),
        (["extract", str(missing), "--published", "2016-04-29"], "nope.txt"),
    ]
    for args, named in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert named in result.output and "Traceback" not in result.output, args


def test_the_one_reporter_knows_every_error_it_names() -> None:
    """The reporter names the services' errors rather than importing them (start-up):
    a renamed or moved class would silently become a traceback, so each must exist."""
    import importlib

    from ceasefire.interfaces.cli import support

    for module, name in (*support.REFUSALS, *support.SCHEMA_ERRORS):
        value = getattr(importlib.import_module(module), name)
        assert isinstance(value, type) and issubclass(value, Exception), (module, name)


@pytest.mark.parametrize(
    ("raise_", "code", "said"),
    [
        ("input", 2, "f.yaml, agreements[0], field 'start': bad date"),
        ("refusal", 2, "no such allegation"),
        ("policy", 2, "not allowed"),
        ("schema", 1, "run `ceasefire db upgrade`"),
        ("missing table", 2, "run `ceasefire db upgrade`"),
        ("database", 1, "database: could not connect"),
    ],
)
def test_the_one_reporter_exit_codes(
    raise_: str, code: int, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlalchemy.exc
    import typer

    from ceasefire.core.policy import PermissionDenied
    from ceasefire.interfaces.cli.support import reported
    from ceasefire.services.cases import InvalidRequest
    from ceasefire.storage.record import SchemaError

    errors = {
        "input": InputError("bad date", file="f.yaml", record="agreements[0]", field="start"),
        "refusal": InvalidRequest("no such allegation"),
        "policy": PermissionDenied("not allowed"),
        "schema": SchemaError("schema is old; run `ceasefire db upgrade`"),
        "missing table": sqlalchemy.exc.OperationalError(
            "SELECT", {}, Exception("no such table: allegations")
        ),
        "database": sqlalchemy.exc.OperationalError("SELECT", {}, Exception("could not connect")),
    }
    with pytest.raises(typer.Exit) as exit_, reported():
        raise errors[raise_]
    assert exit_.value.exit_code == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_the_one_reporter_lets_a_bug_through() -> None:
    from ceasefire.interfaces.cli.support import reported

    with pytest.raises(ZeroDivisionError), reported():
        _ = 1 / 0
