"""The review queue (table `review_items`) and incidents' review decisions.

What waits for a reviewer is of two kinds: a *candidate* incident (extracted
from an article or sent by a monitor, `incidents.status = 'candidate'`) and a
*duplicate*: a pair of reports the matcher scored between its thresholds, kept
as a `review_items` row. The rules (who may decide, what a decision does) live
in `ceasefire.services.review`; this store reads and writes rows in the session
it is given, so a decision commits with its ledger entry or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from sqlalchemy import and_, delete, func, inspect, or_, select, update
from sqlalchemy.orm import Session

from ceasefire.storage.models import (
    REVIEW_KINDS,
    REVIEW_STATUSES,
    AttributionRow,
    EventLinkRow,
    IncidentRow,
    ReviewItemRow,
    utcnow,
)
from ceasefire.storage.tables import INCIDENTS, I, IncidentQuery, chunks, incident_filters

#: The `basis_kind`s of attributions a person records (the ledger holds each).
PERSON_KINDS = ("person", "discount")


def item_id(kind: str, incident_pk: int, other_pk: int | None = None) -> str:
    """The id of a queue item: sha256 of its kind and incidents, so adding it again is a no-op."""
    text = f"{kind}\0{int(incident_pk)}\0{'' if other_pk is None else int(other_pk)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Item:
    """One row of `review_items`."""

    id: str
    kind: str
    incident_pk: int
    other_pk: int | None
    score: float | None
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str | None
    created_at: dt.datetime | None


def _item(row: ReviewItemRow) -> Item:
    return Item(
        id=row.id,
        kind=row.kind,
        incident_pk=int(row.incident_pk),
        other_pk=None if row.other_pk is None else int(row.other_pk),
        score=row.score,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        reason=row.reason,
        created_at=row.created_at,
    )


class ReviewStore:
    """The review queue, incidents' review decisions and the links a person makes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ the queue

    def add(
        self,
        kind: str,
        incident_pk: int,
        other_pk: int | None = None,
        score: float | None = None,
    ) -> str:
        """Queue an item (idempotent: the id is the sha256 of kind and pks); returns its id.

        An item already there keeps its status; an open one takes the new score.
        """
        if kind not in REVIEW_KINDS:
            raise ValueError(f"unknown review kind {kind!r}: one of {', '.join(REVIEW_KINDS)}")
        if other_pk is not None and int(other_pk) == int(incident_pk):
            raise ValueError("a duplicate pair needs two different incidents")
        ident = item_id(kind, incident_pk, other_pk)
        row = self.session.get(ReviewItemRow, ident)
        if row is None:
            self.session.add(
                ReviewItemRow(
                    id=ident,
                    kind=kind,
                    incident_pk=int(incident_pk),
                    other_pk=None if other_pk is None else int(other_pk),
                    score=score,
                    status="open",
                    created_at=utcnow(),
                )
            )
        elif row.status == "open" and score is not None:
            row.score = float(score)
        self.session.flush()
        return ident

    def item(self, ident: str) -> Item | None:
        """One queue item by id; None if there is none."""
        row = self.session.get(ReviewItemRow, ident)
        return None if row is None else _item(row)

    def items(
        self,
        *,
        kind: str | None = None,
        status: str | None = "open",
        incident_pk: int | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Item]:
        """Queue items, best score first, then oldest."""
        query = select(ReviewItemRow).where(*self._where(kind, status, incident_pk))
        query = query.order_by(
            ReviewItemRow.score.desc().nulls_last(),
            ReviewItemRow.created_at,
            ReviewItemRow.id,
        ).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [_item(r) for r in self.session.scalars(query)]

    def count_items(self, *, kind: str | None = None, status: str | None = "open") -> int:
        query = select(func.count()).select_from(ReviewItemRow).where(*self._where(kind, status))
        return int(self.session.execute(query).scalar_one())

    @staticmethod
    def _where(kind: str | None, status: str | None, incident_pk: int | None = None) -> list[Any]:
        where: list[Any] = []
        if kind is not None:
            where.append(ReviewItemRow.kind == kind)
        if status is not None:
            where.append(ReviewItemRow.status == status)
        if incident_pk is not None:
            where.append(
                (ReviewItemRow.incident_pk == incident_pk) | (ReviewItemRow.other_pk == incident_pk)
            )
        return where

    def decide(self, ident: str, status: str, by: str, reason: str | None = None) -> None:
        """Close (or reopen, with `open`) one item."""
        if status not in REVIEW_STATUSES:
            raise ValueError(f"unknown review status {status!r}")
        row = self.session.get(ReviewItemRow, ident)
        if row is None:
            raise KeyError(ident)
        row.status = status
        row.decided_by = None if status == "open" else by
        row.decided_at = None if status == "open" else utcnow()
        row.reason = reason
        self.session.flush()

    def close_open_of(self, incident_pk: int, status: str, by: str) -> list[str]:
        """Close every open item naming this incident (it was decided another way)."""
        items = self.items(incident_pk=incident_pk, status="open", limit=None)
        for it in items:
            self.decide(it.id, status, by)
        return [it.id for it in items]

    # ------------------------------------------------------------------ candidates

    def candidates(self, *, limit: int | None = 100, offset: int = 0) -> list[int]:
        """Row keys of the incidents awaiting review, oldest first."""
        query = select(I.pk).where(I.status == "candidate").order_by(I.pk).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [int(p) for p in self.session.execute(query).scalars()]

    def count_candidates(self) -> int:
        query = select(func.count()).select_from(INCIDENTS).where(I.status == "candidate")
        return int(self.session.execute(query).scalar_one())

    def set_status(
        self,
        pk: int,
        status: str,
        by: str,
        *,
        reason: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        """An incident's review decision: its status, who decided, when, why, and any edits.

        `values` are column values already validated by the service (an accepted
        candidate's edits, with the recomputed `row_hash`).
        """
        fields: dict[str, Any] = dict(values or {})
        fields.update(
            status=status,
            reviewed_by=by,
            reviewed_at=utcnow(),
            review_reason=reason,
            updated_at=utcnow(),
        )
        done = self.session.execute(
            update(IncidentRow).where(IncidentRow.pk == int(pk)).values(**fields)
        )
        if getattr(done, "rowcount", 1) == 0:
            raise KeyError(pk)
        self.session.expire_all()

    # ------------------------------------------------------------------ a person's links

    def event_of(self, pk: int) -> int | None:
        """The event (representative's row key) this report is linked into; None if its own."""
        row = self.session.get(EventLinkRow, int(pk))
        return None if row is None else int(row.event_pk)

    def link(self, report_pk: int, event_pk: int, by: str, score: float | None = None) -> None:
        """Link a report into an event (method `person`); its own reports move with it."""
        report_pk, event_pk = int(report_pk), int(event_pk)
        self.session.execute(
            update(EventLinkRow)
            .where(EventLinkRow.event_pk == report_pk)
            .values(event_pk=event_pk, method="person", linked_by=by, linked_at=utcnow())
        )
        self.session.execute(delete(EventLinkRow).where(EventLinkRow.report_pk == report_pk))
        self.session.add(
            EventLinkRow(
                report_pk=report_pk,
                event_pk=event_pk,
                score=score,
                method="person",
                linked_by=by,
                linked_at=utcnow(),
            )
        )
        self.session.flush()

    def unlink(self, report_pk: int) -> bool:
        """Make a report its own event again; False if it was not linked."""
        done = self.session.execute(
            delete(EventLinkRow).where(EventLinkRow.report_pk == int(report_pk))
        )
        self.session.flush()
        return bool(getattr(done, "rowcount", 0))

    def count_links(self) -> int:
        """How many reports are linked into another's event (0: every report is its event)."""
        query = select(func.count()).select_from(EventLinkRow)
        return int(self.session.execute(query).scalar_one())

    def representative_pks(self, **filters: Unpack[IncidentQuery]) -> list[int]:
        """Row keys of the incidents (so filtered) that stand for their event: not linked."""
        linked = select(EventLinkRow.report_pk).where(EventLinkRow.report_pk == I.pk).exists()
        query = select(I.pk).where(*incident_filters(**filters), ~linked).order_by(I.pk)
        return [int(p) for p in self.session.execute(query).scalars()]

    def reports_of(self, event_pk: int) -> list[int]:
        """The reports linked into this event (not the representative itself)."""
        query = (
            select(EventLinkRow.report_pk)
            .where(EventLinkRow.event_pk == int(event_pk))
            .order_by(EventLinkRow.report_pk)
        )
        return [int(p) for p in self.session.execute(query).scalars()]

    def links(self, pks: Iterable[int]) -> dict[int, int]:
        """Report → event for those of these row keys that are linked."""
        out: dict[int, int] = {}
        keys: Sequence[int] = sorted({int(p) for p in pks})
        for part in chunks(keys):
            query = select(EventLinkRow.report_pk, EventLinkRow.event_pk).where(
                EventLinkRow.report_pk.in_(part)
            )
            out.update({int(r): int(e) for r, e in self.session.execute(query)})
        return out

    def claims_of(self, pk: int) -> list[dict[str, Any]]:
        """Every claim of who acted on this incident (inferred and people's), oldest first."""
        query = (
            select(AttributionRow)
            .where(AttributionRow.incident_pk == int(pk))
            .order_by(AttributionRow.created_at, AttributionRow.id)
        )
        fields = (
            "id", "role", "actors", "claimed_by", "basis_kind", "basis", "span", "status",
            "created_by",
        )  # fmt: skip
        return [{f: getattr(row, f) for f in fields} for row in self.session.scalars(query)]

    # ------------------------------------------------------------------ replay

    def holds_reviews(self) -> bool:
        """Whether this database has the review tables (a cases-only one does not)."""
        have = inspect(self.session.connection())
        return all(
            have.has_table(t)
            for t in (
                IncidentRow.__tablename__,
                ReviewItemRow.__tablename__,
                EventLinkRow.__tablename__,
                AttributionRow.__tablename__,
            )
        )

    def person_attributions(self) -> list[dict[str, Any]]:
        """Every claim or discount a person recorded (`basis_kind` person or discount).

        As replay compares them: id, the incident's ref, actors, who claims, status.
        """
        query = (
            select(
                AttributionRow.id,
                I.source,
                I.source_id,
                AttributionRow.actors,
                AttributionRow.claimed_by,
                AttributionRow.status,
            )
            .join(INCIDENTS, I.pk == AttributionRow.incident_pk)
            .where(AttributionRow.basis_kind.in_(PERSON_KINDS))
            .order_by(AttributionRow.id)
        )
        return [
            {
                "id": ident,
                "incident": f"{source}:{source_id}",
                "actors": list(actors or []),
                "claimed_by": claimed_by,
                "status": status,
            }
            for ident, source, source_id, actors, claimed_by, status in self.session.execute(query)
        ]

    def replay_rows(self) -> list[dict[str, Any]]:
        """What replaying the ledger must rebuild: every decision a person made on an incident.

        One dict per incident a person reviewed (`reviewed_by` set; ingested rows
        have no ledger entry) or linked into an event by hand (method `person`):
        its ref, its status (None when only linked), the ref of the event it is
        linked into by a person (None otherwise) and who reviewed it.
        """
        rep = INCIDENTS.alias("rep")
        links = EventLinkRow.__table__
        joined = INCIDENTS.outerjoin(
            links, and_(links.c.report_pk == I.pk, links.c.method == "person")
        ).outerjoin(rep, rep.c.pk == links.c.event_pk)
        query = (
            select(I.source, I.source_id, I.status, I.reviewed_by, rep.c.source, rep.c.source_id)
            .select_from(joined)
            .where(or_(I.reviewed_by.is_not(None), rep.c.pk.is_not(None)))
            .order_by(I.source, I.source_id)
        )
        out: list[dict[str, Any]] = []
        for source, ident, status, by, esource, eident in self.session.execute(query):
            out.append(
                {
                    "incident": f"{source}:{ident}",
                    "status": status if by is not None else None,
                    "event": None if esource is None else f"{esource}:{eident}",
                    "decided_by": by,
                }
            )
        return out


__all__ = ["PERSON_KINDS", "Item", "ReviewStore", "item_id"]
