"""What the pages show, read from a stored record, on SQLite and PostgreSQL alike, and
checked against the engine run on the files directly (`ceasefire.assess`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ceasefire.core.policy import LOCAL_OPERATOR, Settings
from ceasefire.services import record as records
from ceasefire.services import views
from ceasefire.storage.record import Record
from tests.conftest import event

from .helpers import BACKENDS, DEMO_AGREEMENTS, DEMO_EVENTS, database

#: The views are asked as the operator of a local workspace, who may see everything.
WHO, SETTINGS = LOCAL_OPERATOR, Settings()


@pytest.fixture(scope="module", params=BACKENDS)
def record(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Record]:
    with database(request.param, tmp_path_factory.mktemp("views")) as url:
        rec = Record.open(url)
        rec.init()
        records.load_agreements(rec, [DEMO_AGREEMENTS])
        records.ingest_incidents(rec, [DEMO_EVENTS])
        yield rec
        rec.close()


def test_map_layer_categories_are_the_engines(record: Record, demo_frame: pd.DataFrame) -> None:
    for agreement, reading in [("syria-coh-2016", "text"), ("syria-quiet-2016-04", "russia")]:
        layer = views.map_layer(record, WHO, agreement, reading, settings=SETTINGS)
        assert layer["count"] == 6170
        shown = pd.Series([layer["categories"][c] for c in layer["category"]]).value_counts()
        mine = demo_frame[(demo_frame.agreement_id == agreement) & (demo_frame.reading == reading)]
        assert shown.to_dict() == mine.category.value_counts().to_dict()


def test_differences_are_the_incidents_the_readings_split(
    record: Record, demo_frame: pd.DataFrame
) -> None:
    quiet = demo_frame[demo_frame.agreement_id == "syria-quiet-2016-04"]
    split = quiet.groupby("incident_id").category.nunique()
    found = views.reading_differences(
        record, WHO, "syria-quiet-2016-04", settings=SETTINGS, limit=10_000
    )
    assert found["total"] == int((split > 1).sum()) > 0
    assert {item["id"].split(":")[1] for item in found["items"]} == {
        str(i) for i in split[split > 1].index
    }
    assert (
        views.reading_differences(record, WHO, "syria-coh-2016", settings=SETTINGS)["total"] == 0
    )  # text only


def test_compliance_and_counts(record: Record, demo_frame: pd.DataFrame) -> None:
    body = views.compliance(record, WHO, "syria-coh-2016", "text", settings=SETTINGS)
    in_force = sum(r["violations"] for r in body["weekly"] if r["phase"] == "in force")
    assert in_force > 0 and {r["week"] for r in body["weekly"]} == set(range(-4, 8))
    [zone] = body["zones"]
    coh = demo_frame[(demo_frame.agreement_id == "syria-coh-2016")]
    assert zone["violation"] == int((coh.category == "violation").sum())
    counts = {
        (r["agreement"], r["reading"]): r
        for r in views.finding_counts(record, WHO, settings=SETTINGS)
    }
    for (agreement, reading), mine in demo_frame.groupby(["agreement_id", "reading"]):
        expected = mine.category.value_counts().to_dict()
        row = counts[(agreement, reading)]
        assert {c: n for c, n in row.items() if c in expected} == expected


def test_version_changes_with_the_record(record: Record, tmp_path: Path) -> None:
    before = record.version()
    assert record.version() == before
    records.load_agreements(record, [DEMO_AGREEMENTS])  # the same terms: nothing changes
    assert record.version() == before
    extra = tmp_path / "one.jsonl"
    extra.write_text(json.dumps(event("late-one")) + "\n", encoding="utf-8")
    records.ingest_incidents(record, [extra])
    assert record.version() != before
