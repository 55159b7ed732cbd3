"""Findings as stored: one row per incident, agreement and reading the engine judged.

Only pairs the engine found possibly inside are stored; a pair with no row is
`out_of_scope` with probability 0. The store writes rows it is given (the
engine's output, turned into plain values by the service that ran it) and
answers every question about them in SQL, filters and pages included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Unpack

from sqlalchemy import ColumnElement, Connection, Select, Text, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from ceasefire.storage.agreements_store import AgreementStore
from ceasefire.storage.bulk import bulk_for
from ceasefire.storage.incidents_store import incident_dict
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
COLUMNS = ("incident_pk", "agreement_id", "reading", "category", "probability", "reasons")


class FindingQuery(IncidentQuery, total=False):
    """The filters `find` and `count` share, so a page and its total ask the same question."""

    agreement: str | None
    reading: str | None
    category: str | Sequence[str] | None
    actor: str | None
    incident_pk: int | None


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
        incident_columns = [c for c in INCIDENTS.c if c.name not in ("row_hash",)]
        return (
            select(*incident_columns, F.agreement_id, F.reading, F.category)
            .add_columns(F.probability, F.reasons)
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


__all__ = ["COLUMNS", "FindingQuery", "FindingStore"]
