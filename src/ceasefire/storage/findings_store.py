"""Findings as stored: one row per incident, agreement and reading the engine judged.

Only pairs the engine found possibly inside are stored; a pair with no row is
`out_of_scope` with probability 0. The store writes rows it is given (the
engine's output, turned into plain values by the service that ran it) and
answers every question about them in SQL, filters and pages included.

Each row carries the `party` charged and the attribution's `grade` (written by
`services.record.finding_rows`, as `ceasefire assess` names them). For the
dashboard and the API:

- `find(...)` / `count(...)` take `FindingQuery` filters, among them `party`,
  `grade` (one or several) and `representatives_only` (leave out reports that
  an `event_links` row ties to another report, so counts count events);
- `weekly(agreement_id, reading, origin, by="party"|"grade", category="violation",
  representatives_only=True, start=None, end=None)` → rows `(week, key, n, killed)`:
  findings per week (the week holding the middle of the incident's interval,
  counted from `origin`, UTC seconds, as `services.assess.weekly_series` counts)
  and per party charged or per grade;
- `breakdown(agreement_id, reading, by="party"|"grade", ...)` → `(key, n, killed)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Unpack

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    Text,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from ceasefire.storage.agreements_store import AgreementStore
from ceasefire.storage.bulk import bulk_for
from ceasefire.storage.db import Base
from ceasefire.storage.incidents_store import incident_dict
from ceasefire.storage.models import EventLinkRow
from ceasefire.storage.tables import (
    FINDINGS,
    INCIDENTS,
    F,
    I,
    IncidentQuery,
    chunks,
    incident_filters,
)

#: The columns of a finding row, as `insert` takes them.
COLUMNS = (
    "incident_pk", "agreement_id", "reading", "category", "probability", "reasons", "party",
    "grade",
)  # fmt: skip

WEEK = 7 * 86400
#: Weeks added before integer division so that weeks before the origin round down too.
_WEEK_OFFSET = 100_000

EVENT_LINKS = Base.metadata.tables[EventLinkRow.__tablename__]


class FindingQuery(IncidentQuery, total=False):
    """The filters `find` and `count` share, so a page and its total ask the same question."""

    agreement: str | None
    reading: str | None
    category: str | Sequence[str] | None
    actor: str | None
    incident_pk: int | None
    party: str | Sequence[str] | None
    grade: str | Sequence[str] | None
    representatives_only: bool


def _many(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def not_a_report_of_another() -> ColumnElement[bool]:
    """Incidents that stand for their own event: no `event_links` row makes them a report of
    another."""
    linked = select(EVENT_LINKS.c.report_pk).where(EVENT_LINKS.c.report_pk == I.pk)
    return ~exists(linked)


class FindingStore:
    """The engine's findings in the record's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _conn(self) -> Connection:
        return self.session.connection()

    # ------------------------------------------------------------------ writing

    def insert(self, records: Sequence[dict[str, Any]]) -> int:
        """Add finding rows (dicts with `COLUMNS`); returns how many."""
        if records:
            conn = self._conn()
            bulk_for(conn.dialect).insert_findings(conn, list(records))
        return len(records)

    def delete(
        self,
        *,
        incident_pks: Iterable[int] | None = None,
        agreement_ids: Iterable[str] | None = None,
    ) -> None:
        """Remove the findings of these incidents under these agreements (None: all)."""
        conn = self._conn()
        by_agreement = [] if agreement_ids is None else [F.agreement_id.in_(list(agreement_ids))]
        if incident_pks is None:
            conn.execute(delete(FINDINGS).where(*by_agreement))
            return
        for part in chunks(sorted({int(p) for p in incident_pks})):
            conn.execute(delete(FINDINGS).where(F.incident_pk.in_(part), *by_agreement))

    # ------------------------------------------------------------------ reading

    def find(
        self, *, limit: int | None = 100, offset: int = 0, **where: Unpack[FindingQuery]
    ) -> list[dict[str, Any]]:
        """Stored findings joined with their incidents, filtered, a page at a time.

        `actor` matches incidents that name the actor, or any actor that belongs
        to it, as perpetrator or target. Pairs the engine ruled out at once
        (outside the window or the zones) have no row: they are `out_of_scope`.
        """
        query = self._query(where)
        query = query.order_by(F.incident_pk, F.agreement_id, F.reading).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        out = []
        for row in self._conn().execute(query).mappings():
            record = incident_dict(row)
            record["incident_pk"] = record.pop("pk")
            out.append(record)
        return out

    def count(self, **where: Unpack[FindingQuery]) -> int:
        """How many findings `find` would list without a limit (for pagination)."""
        counted = select(func.count()).select_from(self._query(where).subquery())
        return int(self._conn().execute(counted).scalar_one())

    def _query(self, q: FindingQuery) -> Select[Any]:
        where = incident_filters(
            q.get("start"), q.get("end"), q.get("bbox"), q.get("source"), q.get("status"),
            q.get("sight"),
        )  # fmt: skip
        agreement, reading = q.get("agreement"), q.get("reading")
        category, incident_pk, actor = q.get("category"), q.get("incident_pk"), q.get("actor")
        if agreement is not None:
            where.append(F.agreement_id == agreement)
        if reading is not None:
            where.append(F.reading == reading)
        if category is not None:
            wanted = [category] if isinstance(category, str) else list(category)
            where.append(F.category.in_(wanted))
        if incident_pk is not None:
            where.append(F.incident_pk == int(incident_pk))
        if actor is not None:
            where.append(self._actor_filter(actor))
        party, grade = q.get("party"), q.get("grade")
        if party is not None:
            where.append(F.party.in_(_many(party)))
        if grade is not None:
            where.append(F.grade.in_(_many(grade)))
        if q.get("representatives_only"):
            where.append(not_a_report_of_another())
        incident_columns = [c for c in INCIDENTS.c if c.name not in ("row_hash",)]
        return (
            select(*incident_columns, F.agreement_id, F.reading, F.category)
            .add_columns(F.probability, F.reasons, F.party, F.grade)
            .join_from(FINDINGS, INCIDENTS, F.incident_pk == I.pk)
            .where(*where)
        )

    def _actor_filter(self, actor: str) -> ColumnElement[bool]:
        registry = AgreementStore(self.session).actors()
        members = [a for a in registry.actors if actor in registry.ancestors(a)] or [actor]
        tests = []
        for member in sorted(set(members) | {actor}):
            # Ids are stored as JSON strings: `"gov"` with its quotes matches only that id.
            needle = json.dumps(member)
            tests.append(cast(I.perpetrators, Text).contains(needle, autoescape=True))
            tests.append(cast(I.targets, Text).contains(needle, autoescape=True))
        return or_(*tests)

    def by_reading(self, agreement_id: str) -> list[Any]:
        """`(incident_pk, reading, category)` for every accepted incident's finding under one
        agreement."""
        query = (
            select(F.incident_pk, F.reading, F.category)
            .join_from(FINDINGS, INCIDENTS, F.incident_pk == I.pk)
            .where(F.agreement_id == agreement_id, I.status == "accepted")
            .order_by(F.incident_pk)
        )
        return list(self._conn().execute(query).all())

    def tally(self) -> list[Any]:
        """`(agreement_id, reading, category, n)`: how the accepted incidents' findings fall."""
        query = (
            select(F.agreement_id, F.reading, F.category, func.count())
            .join_from(FINDINGS, INCIDENTS, F.incident_pk == I.pk)
            .where(I.status == "accepted")
            .group_by(F.agreement_id, F.reading, F.category)
        )
        return list(self._conn().execute(query).all())

    def _grouped(
        self,
        agreement_id: str,
        reading: str,
        by: str,
        category: str | None,
        representatives_only: bool,
        start: int | None,
        end: int | None,
    ) -> tuple[Any, list[ColumnElement[bool]]]:
        if by not in ("party", "grade"):
            raise ValueError(f"by {by!r}: choose party or grade")
        key = F.party if by == "party" else F.grade
        where: list[ColumnElement[bool]] = [
            F.agreement_id == agreement_id,
            F.reading == reading,
            I.status == "accepted",
        ]
        if category is not None:
            where.append(F.category == category)
        if representatives_only:
            where.append(not_a_report_of_another())
        if start is not None:
            where.append(I.t1 > int(start))
        if end is not None:
            where.append(I.t0 < int(end))
        return key, where

    def weekly(
        self,
        agreement_id: str,
        reading: str,
        origin: int,
        *,
        by: str = "party",
        category: str | None = "violation",
        representatives_only: bool = True,
        start: int | None = None,
        end: int | None = None,
    ) -> list[tuple[int, str, int, float]]:
        """`(week, party or grade, findings, deaths)` per week since `origin` (UTC seconds).

        An incident counts in the week holding the middle of its interval,
        `floor(((t0 + t1) // 2 - origin) / 7 days)`, as `weekly_series` counts.
        """
        key, where = self._grouped(
            agreement_id, reading, by, category, representatives_only, start, end
        )
        shifted = (I.t0 + I.t1) // 2 - int(origin) + _WEEK_OFFSET * WEEK
        week = (cast(shifted, BigInteger) // WEEK - _WEEK_OFFSET).label("week")
        query = (
            select(week, key, func.count(), func.coalesce(func.sum(I.killed_best), 0.0))
            .join_from(FINDINGS, INCIDENTS, F.incident_pk == I.pk)
            .where(*where)
            .group_by(week, key)
            .order_by(week, key)
        )
        return [
            (int(w), str(k), int(n), float(killed))
            for w, k, n, killed in self._conn().execute(query)
        ]

    def breakdown(
        self,
        agreement_id: str,
        reading: str,
        *,
        by: str = "party",
        category: str | None = "violation",
        representatives_only: bool = True,
        start: int | None = None,
        end: int | None = None,
    ) -> list[tuple[str, int, float]]:
        """`(party or grade, findings, deaths)` under one reading (violations by default)."""
        key, where = self._grouped(
            agreement_id, reading, by, category, representatives_only, start, end
        )
        query = (
            select(key, func.count(), func.coalesce(func.sum(I.killed_best), 0.0))
            .join_from(FINDINGS, INCIDENTS, F.incident_pk == I.pk)
            .where(*where)
            .group_by(key)
            .order_by(func.count().desc(), key)
        )
        return [(str(k), int(n), float(killed)) for k, n, killed in self._conn().execute(query)]


__all__ = ["COLUMNS", "WEEK", "FindingQuery", "FindingStore", "not_a_report_of_another"]
