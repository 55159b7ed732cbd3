"""The record's stores used directly, without the services: what a notebook can do."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.incidents import read_incidents
from ceasefire.services import record
from ceasefire.storage.record import Record

from .helpers import DEMO_AGREEMENTS, demo_subset


def test_upserts_in_one_transaction_then_one_commit(db_url: str, tmp_path: Path) -> None:
    catalogue = load_agreements([DEMO_AGREEMENTS])
    incidents, _ = read_incidents(demo_subset(tmp_path / "e.csv", 60), catalogue.actors)
    with Record.open(db_url) as rec:
        rec.init()
        rows = rec.incidents.rows(incidents)
        first = rec.incidents.upsert(rows, np.arange(0, 30, dtype=np.int64))
        second = rec.incidents.upsert(rows, np.arange(20, 60, dtype=np.int64))
        assert (first.inserted, second.inserted, second.unchanged) == (30, 30, 10)
        # Every written row got its own key (PostgreSQL's sequence may skip some on conflicts).
        assert len(set(first.pks.tolist()) | set(second.pks.tolist())) == 60
        assert second.written.tolist() == list(range(30, 60))
    with Record.open(db_url) as rec:
        assert rec.incidents.count() == 60
        again = rec.incidents.upsert(rec.incidents.rows(incidents), np.arange(60, dtype=np.int64))
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 60)
        assert len(again.written) == 0


def test_areas_come_back_only_from_a_lookup(db_url: str, tmp_path: Path) -> None:
    """Storage keeps an area's code and name; its geometry is the region's, given by the caller."""
    events = demo_subset(tmp_path / "e.csv", 300)
    with Record.open(db_url) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        record.ingest_incidents(rec, events)
        catalogue = rec.agreements.catalogue()
        read, _ = read_incidents(events, catalogue.actors)
        assert (read.area >= 0).any(), "the sample needs incidents known only to an area"
        with_areas = record.stored_incidents(rec)
        bare, pks = rec.incidents.load()
    assert len(pks) == len(bare) == len(with_areas) == 300
    assert (with_areas.area >= 0).sum() == (read.area >= 0).sum()
    assert [a.code for a in with_areas.areas] == sorted(
        {a.code for a in read.areas}, key=[a.code for a in with_areas.areas].index
    )
    for stored, original in zip(
        (with_areas.areas[i] for i in with_areas.area[with_areas.area >= 0]),
        (read.areas[i] for i in read.area[read.area >= 0]),
        strict=True,
    ):
        assert stored.code == original.code
        assert stored.geometry.equals(original.geometry)
    assert (bare.area == -1).all() and bare.areas == []
    np.testing.assert_array_equal(bare.lon, with_areas.lon)  # the point is always kept


def test_recomputed_findings_are_the_ingested_ones(db_url: str, tmp_path: Path) -> None:
    events = demo_subset(tmp_path / "e.csv", 400)
    with Record.open(db_url) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        record.ingest_incidents(rec, events, batch_size=150)
        before = rec.findings.find(limit=None)
        some = sorted({f["incident_pk"] for f in before})[::3]
        rec.findings.delete(incident_pks=some)
        assert rec.findings.count() < len(before)
        written = record.recompute_findings(rec, incident_pks=some)
        assert written == len([f for f in before if f["incident_pk"] in set(some)]) > 0
        assert rec.findings.find(limit=None) == before
        rec.findings.delete(agreement_ids=["syria-coh-2016"])
        assert rec.findings.count(agreement="syria-coh-2016") == 0
        record.recompute_findings(rec, agreement_ids=["syria-coh-2016"])
        assert rec.findings.find(limit=None) == before
        assert record.recompute_findings(rec) == len(before)
        assert rec.findings.find(limit=None) == before
