"""The incident visibility rule in SQL, on SQLite and PostgreSQL: lists, counts and fetches agree.

`IncidentSight` is the viewer's rule as data; the record's stores apply it in
the database, so a page of results is cut after it and an incident fetched by
id is there exactly when a list would show it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ceasefire.core.policy import IncidentSight
from ceasefire.services import record as records
from ceasefire.storage.record import Record
from tests.conftest import AGREEMENT_YAML, event

SIGHTS = {
    "nothing": IncidentSight(incidents=False, candidates=False),
    "accepted": IncidentSight(incidents=True, candidates=False),
    "reviewer": IncidentSight(incidents=True, candidates=True),
}
#: The statuses each sight shows, written out (not asked of `IncidentSight` itself).
SHOWN = {"nothing": set(), "accepted": {"accepted"}, "reviewer": {"accepted", "candidate"}}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(SIGHTS))
def test_one_rule_for_lists_counts_and_fetches(db_url: str, tmp_path: Path, name: str) -> None:
    sight = SIGHTS[name]
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(AGREEMENT_YAML, encoding="utf-8")
    accepted = _write(tmp_path / "accepted.jsonl", [event(f"a{i}") for i in range(5)])
    candidates = _write(tmp_path / "candidates.jsonl", [event(f"c{i}") for i in range(3)])
    with Record.open(db_url) as rec:
        rec.init()
        records.load_agreements(rec, [agreement])
        records.ingest_incidents(rec, [accepted])
        records.ingest_incidents(rec, [candidates], status="candidate")
        rec.commit()
        every = {r["pk"]: r["status"] for r in rec.incidents.find(limit=None)}
        assert sorted(every.values()) == ["accepted"] * 5 + ["candidate"] * 3
        shown = {pk for pk, status in every.items() if status in SHOWN[name]}

        listed = {r["pk"] for r in rec.incidents.find(sight=sight, limit=None)}
        fetched = {pk for pk in every if rec.incidents.get(pk, sight=sight) is not None}
        by_ref = {
            r["pk"]
            for r in rec.incidents.find(limit=None)
            if rec.incidents.get(f"{r['source']}:{r['source_id']}", sight=sight) is not None
        }
        assert listed == fetched == by_ref == shown

        # Pages are cut after the rule: two pages of two hold the first four shown.
        pages = [rec.incidents.find(sight=sight, limit=2, offset=o) for o in (0, 2)]
        assert [r["pk"] for page in pages for r in page] == sorted(shown)[:4]

        # Findings joined with their incidents follow the same rule, counted alike.
        found = rec.findings.find(sight=sight, limit=None)
        assert {r["incident_pk"] for r in found} <= shown
        assert rec.findings.count(sight=sight) == len(found)
        if name == "nothing":
            assert found == []
        else:
            assert {r["incident_pk"] for r in found} == shown  # every event here is judged
