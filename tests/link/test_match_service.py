"""services.events.match on the record (SQLite and PostgreSQL): auto links written as
event_links, the run on the ledger once, what a person decided kept, and the policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cases.conftest import BACKENDS, DEMO, START, database, register_cast
from sqlalchemy import Engine, func, select

from ceasefire.core.policy import PermissionDenied
from ceasefire.formats.sources import Content
from ceasefire.services import events, record
from ceasefire.services.users import Keystore
from ceasefire.storage.cases import LedgerEntry, User
from ceasefire.storage.models import EventLinkRow
from ceasefire.storage.record import Record

from .conftest import ALEPPO, DOUMA, IDLIB, R, registry, table


def _native(source: str, ident: str, day: str, lon: float, lat: float, **extra: Any) -> str:
    out: dict[str, Any] = {
        "id": ident,
        "source": source,
        "time": {"start": day, "timezone": "Asia/Damascus"},
        "place": {"lon": lon, "lat": lat, "radius_km": 1},
        "act": "attack",
        "perpetrators": ["gov"],
        "targets": ["opposition"],
        "directed": False,
        "killed": {"best": 12},
    }
    out.update(extra)
    return json.dumps(out)


REPORTS = [
    # One event in Aleppo, two sources a day apart.
    _native("ucdp", "u1", "2016-04-27", *ALEPPO),
    _native(
        "acled",
        "a1",
        "2016-04-28",
        ALEPPO[0] + 0.01,
        ALEPPO[1],
        act="air_strike",
        directed=True,
        targets=["civilians"],
        killed={"best": 10},
    ),  # fmt: skip
    # Douma: one source only.
    _native("ucdp", "u2", "2016-05-02", *DOUMA, killed={"best": 3}),
    # Idlib: two sources, far apart in time.
    _native("ucdp", "u3", "2016-06-01", *IDLIB, killed={"best": 2}),
    _native("acled", "a3", "2016-06-20", *IDLIB, killed={"best": 2}),
]


@pytest.fixture(params=BACKENDS)
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Keystore]]:
    with database(request.param, tmp_path, tables=False) as engine:
        with Record.on(engine) as rec:
            rec.init()
            record.load_agreements(rec, [DEMO])
        keys = Keystore(tmp_path / "keys")
        register_cast(engine, keys, START)
        with Record.on(engine) as rec:
            record.ingest_incidents(
                rec, Content("\n".join(REPORTS), "reports.jsonl"), format="jsonl"
            )
        yield engine, keys


def _who(rec: Record, name: str) -> User:
    found = rec.session.get(User, name)
    assert found is not None
    return found


def _pk(rec: Record, ref: str) -> int:
    found = rec.incidents.get(ref)
    assert found is not None, ref
    return int(found["pk"])


def test_match_links_one_event_and_logs_the_run_once(desk: tuple[Engine, Keystore]) -> None:
    engine, keys = desk
    with Record.on(engine) as rec:
        before = int(rec.session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)
        report = events.match(rec, _who(rec, "mon"), signer=keys)
    assert report.sources == ["acled", "ucdp"] and report.reports == 5
    assert report.auto_links == 1 and report.events == 4
    with Record.on(engine) as rec:
        links = rec.events.links()
        u1, a1 = _pk(rec, "ucdp:u1"), _pk(rec, "acled:a1")
        # The representative is the more precise report (same radius: the lower row key).
        assert [(r, e, m) for r, e, _s, m in links] == [(max(u1, a1), min(u1, a1), "auto")]
        entries = rec.session.scalars(
            select(LedgerEntry).where(LedgerEntry.seq > before).order_by(LedgerEntry.seq)
        ).all()
        assert [e.action for e in entries] == ["incident.match"]
        payload = json.loads(entries[0].payload)
        assert payload["auto_links"] == 1 and payload["links_sha256"] == report.links_sha256
        assert set(payload["thresholds"]) >= {"auto", "review"}


def test_a_second_run_replaces_its_links_and_is_the_same(desk: tuple[Engine, Keystore]) -> None:
    engine, keys = desk
    with Record.on(engine) as rec:
        first = events.match(rec, _who(rec, "mon"), signer=keys)
    with Record.on(engine) as rec:
        second = events.match(rec, _who(rec, "root"), signer=keys)
        assert rec.events.count(method="auto") == 1
    assert second.links_sha256 == first.links_sha256


def test_a_persons_link_is_kept(desk: tuple[Engine, Keystore]) -> None:
    engine, keys = desk
    with Record.on(engine) as rec:
        u3, a3 = _pk(rec, "ucdp:u3"), _pk(rec, "acled:a3")
        rec.review.link(a3, u3, "mon")
    with Record.on(engine) as rec:
        events.match(rec, _who(rec, "mon"), signer=keys)
        rows = rec.session.execute(
            select(EventLinkRow.report_pk, EventLinkRow.method).order_by(EventLinkRow.report_pk)
        ).all()
    assert (a3, "person") in [tuple(r) for r in rows]
    assert sum(1 for _, m in rows if m == "auto") == 1


def test_a_pair_a_person_rejected_is_not_linked_again(desk: tuple[Engine, Keystore]) -> None:
    engine, keys = desk
    with Record.on(engine) as rec:
        u1, a1 = _pk(rec, "ucdp:u1"), _pk(rec, "acled:a1")
        item = rec.review.add("duplicate", min(u1, a1), max(u1, a1), 0.5)
        rec.review.decide(item, "rejected", "mon", "two different strikes")
    with Record.on(engine) as rec:
        report = events.match(rec, _who(rec, "mon"), signer=keys)
        assert report.auto_links == 0 and report.skipped == 2
        assert rec.events.count() == 0
        assert rec.review.item(item) is not None and rec.review.item(item).status == "rejected"


def test_only_reviewers_match(desk: tuple[Engine, Keystore]) -> None:
    engine, keys = desk
    for name in ("reader", "gov-rep", "ru-judge"):
        with Record.on(engine) as rec:
            with pytest.raises(PermissionDenied):
                events.match(rec, _who(rec, name), signer=keys)
        with Record.on(engine) as rec:
            assert rec.events.count() == 0


def test_one_source_is_never_matched_with_itself(desk: tuple[Engine, Keystore]) -> None:
    engine, keys = desk
    with Record.on(engine) as rec:
        report = events.match(rec, _who(rec, "mon"), ["ucdp"], signer=keys)
        assert report.reports == 0 and "never" in report.lines()[0]
        assert rec.events.count() == 0


def test_link_in_memory() -> None:
    t = table(
        [
            R("a", "x", 0, *ALEPPO, killed=12),
            R("b", "y", 1, ALEPPO[0] + 0.01, ALEPPO[1], killed=10),
            R("b", "z", 0, *DOUMA, killed=3),
        ]
    )
    event_of = events.link_in_memory(t, registry())
    assert event_of.tolist() == [0, 0, 2]
    alone = table([R("a", "x", 0, *ALEPPO), R("a", "x2", 0, *ALEPPO)])
    assert np.array_equal(events.link_in_memory(alone), [0, 1])
