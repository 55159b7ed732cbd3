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
from ceasefire.storage.repository import INCIDENTS, IngestReport, Repository, SchemaError

from .helpers import BACKENDS, DEMO, DEMO_AGREEMENTS, DEMO_EVENTS, database, demo_subset

DEMO_ROWS = 6170


def stored_frame(repo: Repository) -> pd.DataFrame:
    rows = repo.findings(limit=None)
    frame = pd.DataFrame(rows)
    return frame.rename(columns={"source_id": "incident_id"})


def assert_matches(repo: Repository, expected: pd.DataFrame, ids: set[str] | None = None) -> None:
    """Stored findings equal the file-based ones; pairs without a row are out_of_scope, p=0."""
    stored = stored_frame(repo)
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
) -> Iterator[tuple[Repository, IngestReport]]:
    """The demo agreements and all 6,170 events, ingested once per backend."""
    with database(request.param, tmp_path_factory.mktemp("demo")) as url:
        repo = Repository.open(url)
        repo.init()
        repo.load_agreements([DEMO_AGREEMENTS])
        report = repo.ingest(DEMO_EVENTS, batch_size=1000)
        yield repo, report
        repo.close()


def test_init_and_upgrade_are_idempotent(db_url: str) -> None:
    with Repository.open(db_url) as repo:
        assert repo.revision() is None
        head = repo.head()
        assert repo.init() == head
        assert repo.init() == head
        assert repo.upgrade() == head
        repo.ensure_ready()
        assert repo.counts() == dict.fromkeys(
            ("agreements", "actors", "zones", "incidents", "findings"), 0
        )
    with Repository.open(db_url) as again:  # a second process opening the same workspace
        assert again.upgrade() == head


def test_agreements_round_trip(db_url: str) -> None:
    expected = load_agreements([DEMO_AGREEMENTS])
    with Repository.open(db_url) as repo:
        repo.init()
        returned = repo.load_agreements([DEMO_AGREEMENTS])
        stored = repo.catalogue()
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
        repo.load_agreements([DEMO_AGREEMENTS])  # the same file again changes nothing
        counts = repo.counts()
        assert counts["agreements"] == 2 and counts["zones"] == 3
        with repo.engine.connect() as conn:
            files = conn.execute(text("select count(*) from agreement_files")).scalar_one()
        assert files == 1


def test_demo_ingest_matches_assess(
    demo: tuple[Repository, IngestReport], demo_frame: pd.DataFrame
) -> None:
    repo, report = demo
    assert (report.inserted, report.updated, report.unchanged) == (DEMO_ROWS, 0, 0)
    assert report.batches == 7
    assert repo.counts()["incidents"] == DEMO_ROWS
    assert report.findings == repo.counts()["findings"] > 0
    assert_matches(repo, demo_frame)


def test_engine_runs_from_the_database(
    demo: tuple[Repository, IngestReport], demo_frame: pd.DataFrame
) -> None:
    repo, _ = demo
    incidents = repo.incidents()
    assert len(incidents) == DEMO_ROWS
    frame = ceasefire.assess(repo.catalogue(), incidents)
    keys = ["incident_id", "agreement_id", "reading"]
    left = frame.sort_values(keys).reset_index(drop=True)
    right = demo_frame.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_series_equal(left.category, right.category)
    assert (left.incident_id == right.incident_id).all()
    assert np.allclose(left.probability, right.probability)


def test_reingest_changes_nothing(demo: tuple[Repository, IngestReport]) -> None:
    repo, _ = demo
    before = repo.counts()
    report = repo.ingest(DEMO_EVENTS, batch_size=2500)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, DEMO_ROWS)
    assert report.findings == 0
    assert repo.counts() == before
    with repo.engine.connect() as conn:
        distinct = conn.execute(
            select(func.count()).select_from(
                select(INCIDENTS.c.source, INCIDENTS.c.source_id).distinct().subquery()
            )
        ).scalar_one()
    assert distinct == DEMO_ROWS


def test_queries(demo: tuple[Repository, IngestReport], demo_frame: pd.DataFrame) -> None:
    repo, _ = demo
    expected = demo_frame[
        (demo_frame.agreement_id == "syria-quiet-2016-04")
        & (demo_frame.reading == "russia")
        & (demo_frame.category == "violation")
    ]
    found = repo.findings(
        agreement="syria-quiet-2016-04", reading="russia", category="violation", limit=None
    )
    assert sorted(f["source_id"] for f in found) == sorted(expected.incident_id)
    assert repo.count_findings(
        agreement="syria-quiet-2016-04", reading="russia", category="violation"
    ) == len(expected)

    # Pages follow one order and add up to the whole.
    whole = repo.findings(agreement="syria-coh-2016", limit=None)
    pages = [repo.findings(agreement="syria-coh-2016", limit=500, offset=o) for o in (0, 500)]
    assert pages[0] + pages[1] == whole[:1000]

    # Actor: the actor itself or a member of it, as perpetrator or target.
    catalogue = repo.catalogue()
    gov_side = {a for a in catalogue.actors.actors if "gov" in catalogue.actors.ancestors(a)}
    by_gov = repo.findings(actor="gov", limit=None)
    assert by_gov
    for f in by_gov:
        named = {n for _, names in f["perpetrators"] for n in names} | set(f["targets"])
        assert named & gov_side
    assert repo.findings(actor="nobody-at-all") == []

    # Time range and box.
    start, end = "2016-04-30T00:00:00+03:00", "2016-05-03T00:00:00+03:00"
    in_time = repo.findings(start=start, end=end, limit=None)
    assert in_time and all(f["t0"] < 1462222800 and f["t1"] > 1461963600 for f in in_time)
    box = (36.0, 35.0, 36.5, 36.0)
    in_box = repo.findings(bbox=box, limit=None)
    assert in_box and all(36 <= f["lon"] <= 36.5 and 35 <= f["lat"] <= 36 for f in in_box)
    boxed, boxed_pks = repo.load_incidents(bbox=box)
    assert {f["incident_pk"] for f in in_box} <= set(boxed_pks.tolist())
    assert ((boxed.lat >= 35) & (boxed.lat <= 36)).all()
    subset = repo.incidents(start=start, end=end, bbox=box)
    assert 0 < len(subset) < DEMO_ROWS
    assert ((subset.lon >= 36) & (subset.lon <= 36.5)).all()

    # One incident, by key or by source id, with its findings.
    first = in_time[0]
    by_pk = repo.incident(first["incident_pk"])
    by_source = repo.incident(("ucdp", first["source_id"]))
    assert by_pk == by_source == repo.incident(f"ucdp:{first['source_id']}")
    assert by_pk is not None
    assert {(f["agreement_id"], f["reading"]) for f in by_pk["findings"]} >= {
        (first["agreement_id"], first["reading"])
    }
    assert repo.incident(("ucdp", "no-such-id")) is None
    assert len(repo.list_incidents(limit=10, bbox=box)) == 10


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
    with Repository.open(db_url) as repo:
        repo.init()
        repo.load_agreements([DEMO_AGREEMENTS])
        repo.ingest(original, batch_size=150)
        before = {f["source_id"]: f for f in repo.findings(limit=None) if f["source_id"] != ident}
        report = repo.ingest(edited, batch_size=150)
        assert (report.inserted, report.updated, report.unchanged) == (0, 1, rows - 1)
        assert repo.counts()["incidents"] == rows
        assert_matches(repo, ceasefire.assess(DEMO_AGREEMENTS, edited))
        quiet = repo.findings(agreement="syria-quiet-2016-04", limit=None)
        assert ident in {f["source_id"] for f in quiet}
        after = {f["source_id"]: f for f in repo.findings(limit=None) if f["source_id"] != ident}
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
    with Repository.open(db_url) as repo:
        repo.init()
        repo.load_agreements([DEMO_AGREEMENTS])
        repo.ingest(events)
        coh_before = repo.findings(agreement="syria-coh-2016", limit=None)
        repo.load_agreements([changed])
        assert repo.catalogue().agreement("syria-quiet-2016-04").readings[0].duration == "24h"
        assert_matches(repo, ceasefire.assess(changed, events))
        assert repo.findings(agreement="syria-coh-2016", limit=None) == coh_before


def test_bad_row_leaves_the_database_unchanged(db_url: str, tmp_path: Path) -> None:
    good = demo_subset(tmp_path / "good.csv", 100)
    bad = demo_subset(tmp_path / "bad.csv", 400, {250: {"latitude": "north-ish"}})
    with Repository.open(db_url) as repo:
        repo.init()
        repo.load_agreements([DEMO_AGREEMENTS])
        repo.ingest(good, batch_size=50)

        def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
            with repo.engine.connect() as conn:
                incidents = conn.execute(text("select * from incidents order by pk")).all()
                findings = conn.execute(
                    text("select * from findings order by incident_pk, agreement_id, reading")
                ).all()
            return [tuple(r) for r in incidents], [tuple(r) for r in findings]

        before = snapshot()
        with pytest.raises(InputError) as caught:
            repo.ingest(bad, batch_size=50)
        message = caught.value.describe()
        assert "bad.csv" in message and "latitude" in message and "record 251" in message
        assert snapshot() == before


def test_candidates_are_kept_apart(db_url: str, tmp_path: Path) -> None:
    events = demo_subset(tmp_path / "events.csv", 50)
    with Repository.open(db_url) as repo:
        repo.init()
        repo.load_agreements([DEMO_AGREEMENTS])
        report = repo.ingest(events, status="candidate")
        assert report.inserted == 50
        assert len(repo.incidents(status="candidate")) == 50
        assert len(repo.incidents(status="accepted")) == 0
        assert repo.count_findings(status="accepted") == 0
        assert repo.count_findings(status="candidate") == repo.counts()["findings"]
        with pytest.raises(ValueError):
            repo.ingest(events, status="maybe")


def test_old_schema_is_refused(db_url: str) -> None:
    with Repository.open(db_url) as repo:
        repo.upgrade("0001_record")
        if repo.head() == "0001_record":
            pytest.skip("only one revision exists")
        with pytest.raises(SchemaError, match="ceasefire db upgrade"):
            repo.ensure_ready()
        repo.upgrade()
        repo.ensure_ready()


def test_ingest_before_agreements_says_so(db_url: str, tmp_path: Path) -> None:
    events = demo_subset(tmp_path / "events.csv", 20)
    with Repository.open(db_url) as repo:
        repo.init()
        report = repo.ingest(events)
        assert report.inserted == 20 and report.findings == 0
        assert any("agreements load" in line for line in report.lines())
        # Loading agreements later and ingesting again resolves the names: every row changes.
        repo.load_agreements([DEMO_AGREEMENTS])
        again = repo.ingest(events)
        assert (again.updated, again.unchanged) == (20, 0)
        assert again.findings > 0
