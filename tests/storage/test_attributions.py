"""Claims of who acted in the record: the store, recompute, and the record agreeing with assess.

Each test runs on SQLite and on PostgreSQL (a schema of its own).
"""

from __future__ import annotations

import collections
import csv
from pathlib import Path

import pytest

from ceasefire.services import record
from ceasefire.services.assess import run_assessment
from ceasefire.storage.record import Record

from .helpers import DEMO_AGREEMENTS, DEMO_EVENTS

COH = ("syria-coh-2016", "text")

#: A few rows in the demo's columns, with headlines written for these tests.
ROWS = [
    # A dyad whose own text names the government as acting at this place.
    ("9001", "1", "Government of Syria", "Syrian insurgents", "Regime forces shelled Tall Rifaat",
     "Tall Rifaat town", "Azaz district", "Aleppo governorate", 37.10, 36.47),
    # A dyad whose text tells only of an air raid, by nobody named: the capability rule.
    ("9002", "1", "Government of Syria", "Syrian insurgents", "Warplanes raided Tall Rifaat",
     "Tall Rifaat town", "Azaz district", "Aleppo governorate", 37.10, 36.47),
    # A dyad whose text says nothing of who acted.
    ("9003", "1", "Government of Syria", "Syrian insurgents", "Three killed in Tall Rifaat",
     "Tall Rifaat town", "Azaz district", "Aleppo governorate", 37.10, 36.47),
]  # fmt: skip


def events_file(path: Path, rows: list[tuple[object, ...]] = ROWS) -> Path:
    with DEMO_EVENTS.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        template = next(reader)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for ident, kind, a, b, text, place, adm2, adm1, lon, lat in rows:
            writer.writerow(
                template
                | {
                    "id": ident,
                    "type_of_violence": kind,
                    "side_a": a,
                    "side_b": b,
                    "source_headline": text,
                    "source_original": "Monitor",
                    "where_prec": "1",
                    "where_coordinates": place,
                    "adm_2": adm2,
                    "adm_1": adm1,
                    "longitude": str(lon),
                    "latitude": str(lat),
                    "date_start": "2016-04-10",
                    "date_end": "2016-04-10",
                    "date_prec": "1",
                    "best": "3",
                    "low": "3",
                    "high": "3",
                }  # fmt: skip
            )
    return path


def ingested(db_url: str, events: Path) -> Record:
    rec = record.open_record(db_url)
    record.load_agreements(rec, [DEMO_AGREEMENTS])
    rec.commit()
    record.ingest_incidents(rec, [events])
    return rec


def coh_findings(rec: Record) -> dict[str, dict[str, object]]:
    rows = rec.findings.find(agreement=COH[0], reading=COH[1], limit=None)
    return {str(r["source_id"]): r for r in rows}


def test_the_store_adds_withdraws_and_lists(db_url: str, tmp_path: Path) -> None:
    with ingested(db_url, events_file(tmp_path / "e.csv")) as rec:
        pk = int(rec.incidents.get(("ucdp", "9003"))["pk"])  # type: ignore[index]
        first = rec.attributions.add(
            pk, role="perpetrator", actors=["gov"], claimed_by="user:alice",
            basis_kind="person", basis="the monitor's report", created_by="alice",
        )  # fmt: skip
        again = rec.attributions.add(
            pk, role="perpetrator", actors=["gov"], claimed_by="user:alice",
            basis_kind="person", basis="the monitor's report", created_by="alice",
        )  # fmt: skip
        assert first == again and len(first) == 64
        row = rec.attributions.get(first)
        assert row is not None
        assert (row["actors"], row["status"], row["basis_kind"]) == (["gov"], "active", "person")
        rec.attributions.set_status(first, "withdrawn")
        assert rec.attributions.get(first)["status"] == "withdrawn"  # type: ignore[index]
        with pytest.raises(ValueError):
            rec.attributions.set_status(first, "gone")
        with pytest.raises(ValueError):
            rec.attributions.add(pk, role="perpetrator", actors=["gov"], claimed_by=None,
                                 basis_kind="text", basis="x")  # fmt: skip
        assert [r["id"] for r in rec.attributions.replay_rows()] == [first]
        kinds = {r["basis_kind"] for r in rec.attributions.of([pk])}
        assert kinds == {"person"}


def test_ingest_stores_inferred_claims_and_the_findings_charge_them(
    db_url: str, tmp_path: Path
) -> None:
    with ingested(db_url, events_file(tmp_path / "e.csv")) as rec:
        found = coh_findings(rec)
        assert (found["9001"]["party"], found["9001"]["grade"]) == ("gov", "weak")
        assert 'attribution: gov per Monitor: "Regime forces shelled Tall Rifaat"' in str(
            found["9001"]["reasons"]
        )
        assert (found["9002"]["party"], found["9002"]["grade"]) == ("gov", "weak")
        assert found["9003"]["party"] == "undetermined (gov ~ opposition)"
        assert found["9003"]["grade"] == "undetermined"
        pks = {k: int(v["incident_pk"]) for k, v in found.items()}
        rows = rec.attributions.of(list(pks.values()))
        by = {(r["incident_pk"], r["basis_kind"], r["claimed_by"]) for r in rows}
        assert by == {
            (pks["9001"], "text", "source:Monitor"),
            (pks["9002"], "capability", "inferred:capability:air"),
        }
        # The dataset's own field is untouched: the dyad as UCDP coded it.
        stored = rec.incidents.get(pks["9001"])
        assert stored is not None and stored["perpetrators"] == [[None, ["gov"]]]
        assert stored["directed"] is False and stored["source_text"].startswith("Regime")
        # Filters and breakdowns in SQL.
        assert rec.findings.count(agreement=COH[0], reading=COH[1], grade="weak") == 2
        assert rec.findings.count(agreement=COH[0], reading=COH[1], party=["gov"]) == 2
        assert dict((k, n) for k, n, _ in rec.findings.breakdown(*COH, by="grade")) == {
            "weak": 2,
            "undetermined": 1,
        }


def test_a_persons_claim_survives_recompute_and_inference_is_replaced(
    db_url: str, tmp_path: Path
) -> None:
    with ingested(db_url, events_file(tmp_path / "e.csv")) as rec:
        pks = {k: int(v["incident_pk"]) for k, v in coh_findings(rec).items()}
        rec.attributions.add(
            pks["9003"], role="perpetrator", actors=["opposition"], claimed_by="user:alice",
            basis_kind="person", basis="a witness", created_by="alice",
        )  # fmt: skip
        rec.attributions.add(
            pks["9001"], role="perpetrator", actors=[], claimed_by="user:bob",
            basis_kind="discount", basis="those killed were fighters", created_by="bob",
        )  # fmt: skip
        before = {r["id"] for r in rec.attributions.of(list(pks.values()))}
        record.recompute_findings(rec)
        rec.commit()
        after = {r["id"] for r in rec.attributions.of(list(pks.values()))}
        assert before == after  # inferred rows replaced by the same rows, a person's kept
        found = coh_findings(rec)
        assert (found["9003"]["party"], found["9003"]["grade"]) == ("opposition", "weak")
        assert "attribution: opposition per user:alice (weak)" in str(found["9003"]["reasons"])
        assert found["9001"]["grade"] == "discounted"
        assert found["9002"]["grade"] == "weak"
        # The stored incidents, read for a page or a chart, carry the same claims.
        incidents = record.stored_incidents(rec)
        grades = dict(zip(incidents.id.tolist(), incidents.grade.tolist(), strict=True))
        assert grades == {"9001": "discounted", "9002": "weak", "9003": "weak"}


def test_representatives_only_leaves_out_linked_reports(db_url: str, tmp_path: Path) -> None:
    from sqlalchemy import insert

    from ceasefire.storage.models import EventLinkRow

    with ingested(db_url, events_file(tmp_path / "e.csv")) as rec:
        pks = {k: int(v["incident_pk"]) for k, v in coh_findings(rec).items()}
        rec.session.execute(
            insert(EventLinkRow).values(report_pk=pks["9002"], event_pk=pks["9001"], score=0.99)
        )
        assert rec.findings.count(agreement=COH[0], reading=COH[1]) == 3
        assert rec.findings.count(agreement=COH[0], reading=COH[1], representatives_only=True) == 2
        weekly = rec.findings.weekly(*COH, origin=0, by="party")
        assert sum(n for _, _, n, _ in weekly) == 2
        # Whole weeks, one row per (week, key): floor division in SQL, as weekly_series.
        keys = [(w, k) for w, k, _, _ in weekly]
        assert all(isinstance(w, int) for w, _ in keys) and len(set(keys)) == len(keys)


def test_the_record_agrees_with_assess_on_the_demo(db_url: str) -> None:
    """Ingest the demo: violations by party and by grade are those `ceasefire assess` gives."""
    with record.open_record(db_url) as rec:
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        rec.commit()
        record.ingest_incidents(rec, [DEMO_EVENTS])
        rows = rec.findings.find(category="violation", limit=None)
        stored = collections.Counter((r["agreement_id"], r["reading"], r["party"], r["grade"])
                                     for r in rows)  # fmt: skip
        by_grade = {
            (g, n)
            for g, n, _ in rec.findings.breakdown(*COH, by="grade", representatives_only=True)
        }
    result = run_assessment([DEMO_AGREEMENTS], [DEMO_EVENTS])
    frame = result.frame(every_pair=False)
    hits = frame[frame.category == "violation"]
    expected = collections.Counter(
        zip(hits.agreement_id, hits.reading, hits.party, hits.grade, strict=True)
    )
    assert stored == expected
    grades = result.violations_by_grade()
    coh = grades[(grades.agreement_id == COH[0]) & (grades.reading == COH[1])]
    assert by_grade == {(g, n) for g, n in zip(coh.grade, coh.violations, strict=True) if n}
    # Inference charged a real share of the cessation's violations, each with its basis.
    charged = hits[(hits.agreement_id == COH[0]) & (hits.reading == COH[1])]
    inferred = charged[charged.basis.str.contains(" per ", regex=False)]
    assert len(inferred) > 300
    assert set(inferred.grade) <= {"weak", "contested"}
    assert (inferred.perpetrator != "").all() and inferred.sides.str.contains(" ~ ").all()
