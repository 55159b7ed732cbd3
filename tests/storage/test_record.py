"""The record on SQLite and PostgreSQL: schema, agreements, ingest, findings, bad input."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, text

import ceasefire
from ceasefire.core.engine import build_scopes
from ceasefire.core.errors import InputError
from ceasefire.formats.agreements import load_agreements
from ceasefire.services import record
from ceasefire.services.record import IngestReport
from ceasefire.storage.record import Record, SchemaError
from ceasefire.storage.tables import INCIDENTS

from .helpers import BACKENDS, DEMO, DEMO_AGREEMENTS, DEMO_EVENTS, database, demo_subset

DEMO_ROWS = 6170


def stored_frame(rec: Record) -> pd.DataFrame:
    rows = rec.findings.find(limit=None)
    frame = pd.DataFrame(rows)
    return frame.rename(columns={"source_id": "incident_id"})


def assert_matches(rec: Record, expected: pd.DataFrame, ids: set[str] | None = None) -> None:
    """Stored findings equal the file-based ones; pairs without a row are out_of_scope, p=0."""
    stored = stored_frame(rec)
    if ids is not None:
        stored = stored[stored.incident_id.isin(ids)]
        expected = expected[expected.incident_id.isin(ids)]
    keys = ["incident_id", "agreement_id", "reading"]
    merged = expected.merge(
        stored[[*keys, "category", "probability", "reasons"]],
        on=keys,
        how="outer",
        suffixes=("", "_db"),
        indicator=True,
    )
    assert (merged["_merge"] != "right_only").all(), "stored findings the files do not give"
    listed = merged[merged["_merge"] == "both"]
    assert (listed.category == listed.category_db).all()
    assert np.allclose(listed.probability, listed.probability_db, atol=1e-4)
    assert (listed.reasons == listed.reasons_db).all()
    missing = merged[merged["_merge"] == "left_only"]
    assert (missing.category == "out_of_scope").all()
    assert (missing.probability == 0).all()


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Record, IngestReport]]:
    """The demo agreements and all 6,170 events, ingested once per backend."""
    with database(request.param, tmp_path_factory.mktemp("demo")) as url:
        rec = Record.open(url)
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        report = record.ingest_incidents(rec, DEMO_EVENTS, batch_size=1000)
        yield rec, report
        rec.close()


def test_init_and_upgrade_are_idempotent(db_url: str) -> None:
    with Record.open(db_url) as rec:
        assert rec.revision() is None
        head = rec.head()
        assert rec.init() == head
        assert rec.init() == head
        assert rec.upgrade() == head
        rec.ensure_ready()
        assert rec.counts() == dict.fromkeys(
            ("agreements", "actors", "zones", "incidents", "findings"), 0
        )
    with Record.open(db_url) as again:  # a second process opening the same workspace
        assert again.upgrade() == head


def test_agreements_round_trip(db_url: str) -> None:
    expected = load_agreements([DEMO_AGREEMENTS])
    with Record.open(db_url) as rec:
        rec.init()
        returned = record.load_agreements(rec, [DEMO_AGREEMENTS])
        stored = rec.agreements.catalogue()
        assert [a.id for a in returned.agreements] == [a.id for a in expected.agreements]
        assert stored.agreements == expected.agreements
        for mine, theirs in zip(stored.agreements, expected.agreements, strict=True):
            # An explicit `end: null` in a reading must survive the round trip.
            assert [r.sets_end() for r in mine.readings] == [r.sets_end() for r in theirs.readings]
        assert list(stored.actors.actors) == list(expected.actors.actors)
        assert stored.actors.actors == expected.actors.actors
        assert stored.zone_specs == expected.zone_specs
        for zone_id, geometry in expected.zones.items():
            assert stored.zones[zone_id].equals_exact(geometry, 0.0)
        windows = [
            (s.label, s.window.start, s.window.end)
            for s in build_scopes(stored.agreements, stored.zones)
        ]
        assert windows == [
            (s.label, s.window.start, s.window.end)
            for s in build_scopes(expected.agreements, expected.zones)
        ]
        record.load_agreements(rec, [DEMO_AGREEMENTS])  # the same file again changes nothing
        counts = rec.counts()
        assert counts["agreements"] == 2 and counts["zones"] == 3
        files = rec.session.execute(text("select count(*) from agreement_files")).scalar_one()
        assert files == 1


def test_demo_ingest_matches_assess(
    demo: tuple[Record, IngestReport], demo_frame: pd.DataFrame
) -> None:
    rec, report = demo
    assert (report.inserted, report.updated, report.unchanged) == (DEMO_ROWS, 0, 0)
    assert report.batches == 7
    assert rec.counts()["incidents"] == DEMO_ROWS
    assert report.findings == rec.counts()["findings"] > 0
    assert_matches(rec, demo_frame)


def test_engine_runs_from_the_database(
    demo: tuple[Record, IngestReport], demo_frame: pd.DataFrame
) -> None:
    rec, _ = demo
    incidents = record.stored_incidents(rec)
    assert len(incidents) == DEMO_ROWS
    frame = ceasefire.assess(rec.agreements.catalogue(), incidents)
    keys = ["incident_id", "agreement_id", "reading"]
    left = frame.sort_values(keys).reset_index(drop=True)
    right = demo_frame.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_series_equal(left.category, right.category)
    assert (left.incident_id == right.incident_id).all()
    assert np.allclose(left.probability, right.probability)


def test_reingest_changes_nothing(demo: tuple[Record, IngestReport]) -> None:
    rec, _ = demo
    before = rec.counts()
    report = record.ingest_incidents(rec, DEMO_EVENTS, batch_size=2500)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, DEMO_ROWS)
    assert report.findings == 0
    assert rec.counts() == before
    with rec.engine.connect() as conn:
        distinct = conn.execute(
            select(func.count()).select_from(
                select(INCIDENTS.c.source, INCIDENTS.c.source_id).distinct().subquery()
            )
        ).scalar_one()
    assert distinct == DEMO_ROWS


def test_queries(demo: tuple[Record, IngestReport], demo_frame: pd.DataFrame) -> None:
    rec, _ = demo
    expected = demo_frame[
        (demo_frame.agreement_id == "syria-quiet-2016-04")
        & (demo_frame.reading == "russia")
        & (demo_frame.category == "violation")
    ]
    found = rec.findings.find(
        agreement="syria-quiet-2016-04", reading="russia", category="violation", limit=None
    )
    assert sorted(f["source_id"] for f in found) == sorted(expected.incident_id)
    assert rec.findings.count(
        agreement="syria-quiet-2016-04", reading="russia", category="violation"
    ) == len(expected)

    # Pages follow one order and add up to the whole.
    whole = rec.findings.find(agreement="syria-coh-2016", limit=None)
    pages = [rec.findings.find(agreement="syria-coh-2016", limit=500, offset=o) for o in (0, 500)]
    assert pages[0] + pages[1] == whole[:1000]

    # Actor: the actor itself or a member of it, as perpetrator or target.
    catalogue = rec.agreements.catalogue()
    gov_side = {a for a in catalogue.actors.actors if "gov" in catalogue.actors.ancestors(a)}
    by_gov = rec.findings.find(actor="gov", limit=None)
    assert by_gov
    for f in by_gov:
        named = {n for _, names in f["perpetrators"] for n in names} | set(f["targets"])
        assert named & gov_side
    assert rec.findings.find(actor="nobody-at-all") == []

    # Time range and box.
    start, end = "2016-04-30T00:00:00+03:00", "2016-05-03T00:00:00+03:00"
    in_time = rec.findings.find(start=start, end=end, limit=None)
    assert in_time and all(f["t0"] < 1462222800 and f["t1"] > 1461963600 for f in in_time)
    box = (36.0, 35.0, 36.5, 36.0)
    in_box = rec.findings.find(bbox=box, limit=None)
    assert in_box and all(36 <= f["lon"] <= 36.5 and 35 <= f["lat"] <= 36 for f in in_box)
    boxed, boxed_pks = rec.incidents.load(bbox=box, areas=record.area_geometry)
    assert {f["incident_pk"] for f in in_box} <= set(boxed_pks.tolist())
    assert ((boxed.lat >= 35) & (boxed.lat <= 36)).all()
    subset = record.stored_incidents(rec, start=start, end=end, bbox=box)
    assert 0 < len(subset) < DEMO_ROWS
    assert ((subset.lon >= 36) & (subset.lon <= 36.5)).all()

    # One incident, by key or by source id, with its findings.
    first = in_time[0]
    by_pk = rec.incidents.get(first["incident_pk"])
    by_source = rec.incidents.get(("ucdp", first["source_id"]))
    assert by_pk == by_source == rec.incidents.get(f"ucdp:{first['source_id']}")
    assert by_pk is not None
    assert {(f["agreement_id"], f["reading"]) for f in by_pk["findings"]} >= {
        (first["agreement_id"], first["reading"])
    }
    assert rec.incidents.get(("ucdp", "no-such-id")) is None
    assert len(rec.incidents.find(limit=10, bbox=box)) == 10


def test_changed_row_is_updated_and_reassessed(db_url: str, tmp_path: Path) -> None:
    rows = 400
    original = demo_subset(tmp_path / "a.csv", rows)
    frame = pd.read_csv(original, dtype=str)
    # An event inside the cessation's window: move it to Latakia on the regime's first day.
    row = int(np.flatnonzero(frame.date_start.to_numpy() > "2016-03-01")[0])
    ident = frame.id[row]
    edited = demo_subset(
        tmp_path / "b.csv",
        rows,
        {row: {"date_start": "2016-04-30", "date_end": "2016-04-30", "latitude": "35.6",
               "longitude": "35.9", "where_prec": "1"}},
    )  # fmt: skip
    with Record.open(db_url) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        record.ingest_incidents(rec, original, batch_size=150)
        before = {
            f["source_id"]: f for f in rec.findings.find(limit=None) if f["source_id"] != ident
        }
        report = record.ingest_incidents(rec, edited, batch_size=150)
        assert (report.inserted, report.updated, report.unchanged) == (0, 1, rows - 1)
        assert rec.counts()["incidents"] == rows
        assert_matches(rec, ceasefire.assess(DEMO_AGREEMENTS, edited))
        quiet = rec.findings.find(agreement="syria-quiet-2016-04", limit=None)
        assert ident in {f["source_id"] for f in quiet}
        after = {
            f["source_id"]: f for f in rec.findings.find(limit=None) if f["source_id"] != ident
        }
        assert after == before  # nothing else was touched


def test_changed_agreement_is_reassessed(db_url: str, tmp_path: Path) -> None:
    events = demo_subset(tmp_path / "events.csv", 800)
    folder = tmp_path / "agreements"
    folder.mkdir()
    shutil.copy(Path(str(DEMO.joinpath("east-ghouta.geojson"))), folder)
    changed = folder / "syria-2016.yaml"
    yaml_text = DEMO_AGREEMENTS.read_text(encoding="utf-8")
    assert 'duration: "72h"' in yaml_text
    changed.write_text(yaml_text.replace('duration: "72h"', 'duration: "24h"'), encoding="utf-8")
    with Record.open(db_url) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        record.ingest_incidents(rec, events)
        coh_before = rec.findings.find(agreement="syria-coh-2016", limit=None)
        record.load_agreements(rec, [changed])
        assert (
            rec.agreements.catalogue().agreement("syria-quiet-2016-04").readings[0].duration
            == "24h"
        )
        assert_matches(rec, ceasefire.assess(changed, events))
        assert rec.findings.find(agreement="syria-coh-2016", limit=None) == coh_before


def test_bad_row_leaves_the_database_unchanged(db_url: str, tmp_path: Path) -> None:
    good = demo_subset(tmp_path / "good.csv", 100)
    bad = demo_subset(tmp_path / "bad.csv", 400, {250: {"latitude": "north-ish"}})
    with Record.open(db_url) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        record.ingest_incidents(rec, good, batch_size=50)

        def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
            with rec.engine.connect() as conn:
                incidents = conn.execute(text("select * from incidents order by pk")).all()
                findings = conn.execute(
                    text("select * from findings order by incident_pk, agreement_id, reading")
                ).all()
            return [tuple(r) for r in incidents], [tuple(r) for r in findings]

        before = snapshot()
        with pytest.raises(InputError) as caught:
            record.ingest_incidents(rec, bad, batch_size=50)
        message = caught.value.describe()
        assert "bad.csv" in message and "latitude" in message and "record 251" in message
        assert snapshot() == before


def test_candidates_are_kept_apart(db_url: str, tmp_path: Path) -> None:
    events = demo_subset(tmp_path / "events.csv", 50)
    with Record.open(db_url) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        report = record.ingest_incidents(rec, events, status="candidate")
        assert report.inserted == 50
        assert len(record.stored_incidents(rec, status="candidate")) == 50
        assert len(record.stored_incidents(rec, status="accepted")) == 0
        assert rec.findings.count(status="accepted") == 0
        assert rec.findings.count(status="candidate") == rec.counts()["findings"]
        with pytest.raises(ValueError):
            record.ingest_incidents(rec, events, status="maybe")


def test_old_schema_is_refused(db_url: str) -> None:
    with Record.open(db_url) as rec:
        rec.upgrade("0001_record")
        if rec.head() == "0001_record":
            pytest.skip("only one revision exists")
        with pytest.raises(SchemaError, match="ceasefire db upgrade"):
            rec.ensure_ready()
        rec.upgrade()
        rec.ensure_ready()


def test_ingest_before_agreements_says_so(db_url: str, tmp_path: Path) -> None:
    events = demo_subset(tmp_path / "events.csv", 20)
    with Record.open(db_url) as rec:
        rec.init()
        report = record.ingest_incidents(rec, events)
        assert report.inserted == 20 and report.findings == 0
        assert any("agreements load" in line for line in report.lines())
        # Loading agreements later and ingesting again resolves the names: every row changes.
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        again = record.ingest_incidents(rec, events)
        assert (again.updated, again.unchanged) == (20, 0)
        assert again.findings > 0
