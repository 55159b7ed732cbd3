"""Reports linked into events (table `event_links`), as the matcher writes them.

A report with no row here stands for its own event. The matcher's links have
`method = 'auto'` and are replaced as a whole by each run; a person's links
(`method = 'person'`, written by the review store) are never touched here, and a
report a person linked or unlinked is left out of the next run's candidates by the
service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ceasefire.storage.models import EventLinkRow, IncidentRow, ReviewItemRow, utcnow
from ceasefire.storage.tables import chunks


class EventStore:
    """Reports linked into events."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def sources(self, *, status: str = "accepted") -> list[str]:
        """The sources of stored incidents (of this status), sorted."""
        rows = self.session.scalars(
            select(IncidentRow.source).where(IncidentRow.status == status).distinct()
        )
        return sorted(str(s) for s in rows)

    def pks_of(self, sources: Sequence[str], *, status: str = "accepted") -> list[int]:
        """Row keys of the incidents of these sources (of this status), in key order."""
        if not sources:
            return []
        rows = self.session.scalars(
            select(IncidentRow.pk)
            .where(IncidentRow.source.in_(list(sources)), IncidentRow.status == status)
            .order_by(IncidentRow.pk)
        )
        return [int(p) for p in rows]

    def person_decided(self) -> set[int]:
        """Reports whose event a person decided: either end of a person's link, or of a
        pair a person rejected or dismissed (the matcher does not undo either)."""
        linked = self.session.execute(
            select(EventLinkRow.report_pk, EventLinkRow.event_pk).where(
                EventLinkRow.method == "person"
            )
        )
        out: set[int] = set()
        for report, event in linked:
            out.update((int(report), int(event)))
        pairs = self.session.execute(
            select(ReviewItemRow.incident_pk, ReviewItemRow.other_pk).where(
                ReviewItemRow.kind == "duplicate", ReviewItemRow.status != "open"
            )
        )
        for a, b in pairs:
            out.add(int(a))
            if b is not None:
                out.add(int(b))
        return out

    def replace_auto(
        self,
        links: Iterable[tuple[int, int, float]],
        *,
        among: Sequence[int],
        at: dt.datetime | None = None,
    ) -> int:
        """Drop the matcher's links of the reports in `among`, then write `links`
        (report_pk, event_pk, score); returns how many were written."""
        for part in chunks(sorted({int(p) for p in among})):
            self.session.execute(
                delete(EventLinkRow).where(
                    EventLinkRow.method == "auto", EventLinkRow.report_pk.in_(part)
                )
            )
        when = at or utcnow()
        rows = [
            EventLinkRow(
                report_pk=int(report),
                event_pk=int(event),
                score=float(score),
                method="auto",
                linked_by=None,
                linked_at=when,
            )
            for report, event, score in links
        ]
        self.session.add_all(rows)
        self.session.flush()
        return len(rows)

    def links(self, *, method: str | None = None) -> list[tuple[int, int, float | None, str]]:
        """(report_pk, event_pk, score, method) of every link, by report key."""
        query = select(
            EventLinkRow.report_pk, EventLinkRow.event_pk, EventLinkRow.score, EventLinkRow.method
        ).order_by(EventLinkRow.report_pk)
        if method is not None:
            query = query.where(EventLinkRow.method == method)
        return [(int(r), int(e), s, str(m)) for r, e, s, m in self.session.execute(query)]

    def count(self, *, method: str | None = None) -> int:
        query = select(func.count()).select_from(EventLinkRow)
        if method is not None:
            query = query.where(EventLinkRow.method == method)
        return int(self.session.scalar(query) or 0)

    def open_duplicates(self) -> list[tuple[int, int | None, float | None]]:
        """(incident_pk, other_pk, score) of the open possible duplicates."""
        rows = self.session.execute(
            select(ReviewItemRow.incident_pk, ReviewItemRow.other_pk, ReviewItemRow.score)
            .where(ReviewItemRow.kind == "duplicate", ReviewItemRow.status == "open")
            .order_by(ReviewItemRow.incident_pk, ReviewItemRow.other_pk)
        )
        return [(int(a), None if b is None else int(b), s) for a, b, s in rows]

    def drop_open_duplicates(self, among: Sequence[int]) -> int:
        """Close the open possible duplicates about these reports (a new run re-queues the
        pairs it still finds); returns how many."""
        if not among:
            return 0
        wanted = {int(p) for p in among}
        rows = self.session.scalars(
            select(ReviewItemRow).where(
                ReviewItemRow.kind == "duplicate", ReviewItemRow.status == "open"
            )
        ).all()
        n = 0
        for row in rows:
            if row.incident_pk in wanted or (row.other_pk is not None and row.other_pk in wanted):
                self.session.delete(row)
                n += 1
        self.session.flush()
        return n


__all__ = ["EventStore"]
