"""Rows for exports, streamed from the database a bounded batch at a time.

An export of a million findings must not be built in memory. Each query here
is one SELECT run with `yield_per` (SQLite steps its cursor; PostgreSQL, through
psycopg 3, reads a server-side cursor), handed on in partitions of `batch` rows:
what is held at once is one partition, whatever the size of the result. The
caller pulls the next partition only when it has written the last one, so a
slow reader holds the cursor, not the rows.

- `findings(batch=..., **FindingQuery)`: the rows `FindingStore.find` lists for
  the same filters, in the same order (incident, agreement, reading), with the
  event each incident belongs to;
- `map_rows(agreement_id, reading, ...)`: every incident `IncidentStore.points`
  gives the map, with its finding under one reading (None: out of scope).

Each row is a tuple in `FINDING_COLUMNS` / `MAP_COLUMNS` order. `event_pk` and
`event_source`/`event_source_id` name the representative of the event a report
is linked into (`event_links`), where the viewer may see that representative;
`has_reports` says that other reports are linked into this incident's event.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Unpack

from sqlalchemy import ColumnElement, Select, Text, and_, cast, exists, select, true
from sqlalchemy.orm import Session

from ceasefire.core.policy import IncidentSight
from ceasefire.storage.findings_store import EVENT_LINKS, FindingQuery, FindingStore
from ceasefire.storage.tables import (
    FINDINGS,
    INCIDENTS,
    F,
    I,
    Instant,
    incident_filters,
)

#: Rows per partition: a few thousand, a few megabytes of Python values at most.
BATCH = 5_000

#: The incident's columns every export row carries, in order.
INCIDENT_COLUMNS = (
    "incident_pk", "source", "source_id", "t0", "t1", "time_precision", "lon", "lat",
    "radius_m", "place_name", "area_name", "admin1", "admin2", "act", "perpetrators",
    "targets", "killed_low", "killed_best", "killed_high",
)  # fmt: skip
#: The finding's columns (None where the incident has no finding under the reading).
FINDING_FIELDS = ("agreement_id", "reading", "category", "probability", "party", "grade")
EVENT_COLUMNS = ("event_pk", "event_source", "event_source_id", "has_reports")
FINDING_COLUMNS = (*INCIDENT_COLUMNS, *FINDING_FIELDS, "reasons", *EVENT_COLUMNS)
MAP_COLUMNS = (*INCIDENT_COLUMNS, *FINDING_FIELDS, *EVENT_COLUMNS)

EVENT = INCIDENTS.alias("event_incident")
OTHER_LINKS = EVENT_LINKS.alias("other_links")


def _incident_columns() -> list[Any]:
    return [
        I.pk, I.source, I.source_id, I.t0, I.t1, I.time_precision, I.lon, I.lat, I.radius_m,
        I.place_name, I.area_name, I.admin1, I.admin2, I.act, cast(I.perpetrators, Text),
        cast(I.targets, Text), I.killed_low, I.killed_best, I.killed_high,
    ]  # fmt: skip


def _event_columns() -> list[Any]:
    linked_here = select(OTHER_LINKS.c.report_pk).where(OTHER_LINKS.c.event_pk == I.pk)
    return [EVENT_LINKS.c.event_pk, EVENT.c.source, EVENT.c.source_id, exists(linked_here)]


def _with_events(query: Select[Any], sight: IncidentSight | None) -> Select[Any]:
    """`query` joined with the event each incident is a report of (its representative
    only where `sight` shows it: a hidden incident is not named, not even as an event)."""
    shown: ColumnElement[bool] = true() if sight is None else _sight_of_event(sight)
    return query.outerjoin(EVENT_LINKS, EVENT_LINKS.c.report_pk == I.pk).outerjoin(
        EVENT, and_(EVENT.c.pk == EVENT_LINKS.c.event_pk, shown)
    )


def _sight_of_event(sight: IncidentSight) -> ColumnElement[bool]:
    statuses = sight.statuses
    return EVENT.c.status.in_(statuses) if statuses else EVENT.c.pk.is_(None)


class ExportStore:
    """Streams of rows for exports, in the record's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _stream(self, query: Select[Any], batch: int) -> Iterator[Sequence[Any]]:
        size = max(1, int(batch))
        result = self.session.connection().execute(query.execution_options(yield_per=size))
        try:
            yield from result.partitions(size)
        finally:
            result.close()

    def findings(
        self, *, batch: int = BATCH, **where: Unpack[FindingQuery]
    ) -> Iterator[Sequence[Any]]:
        """The findings `FindingStore.find(**where)` lists, in its order, `batch` rows at a
        time, as tuples in `FINDING_COLUMNS` order. The filters are `find`'s own query."""
        base = FindingStore(self.session)._query(where)
        columns = [
            *_incident_columns(),
            F.agreement_id, F.reading, F.category, F.probability, F.party, F.grade, F.reasons,
            *_event_columns(),
        ]  # fmt: skip
        query = _with_events(base.with_only_columns(*columns), where.get("sight"))
        query = query.order_by(F.incident_pk, F.agreement_id, F.reading)
        return self._stream(query, batch)

    def map_rows(
        self,
        agreement_id: str,
        reading: str,
        *,
        start: Instant | None = None,
        end: Instant | None = None,
        sight: IncidentSight | None = None,
        in_scope: Sequence[str] | None = None,
        status: str = "accepted",
        batch: int = BATCH,
    ) -> Iterator[Sequence[Any]]:
        """Every incident in `status` (and shown by `sight`) overlapping [start, end), with its
        finding under one agreement and reading (None where none is stored: out of scope),
        in row-key order, as tuples in `MAP_COLUMNS` order. `in_scope` keeps only the
        incidents whose finding has one of these categories."""
        joined = INCIDENTS.outerjoin(
            FINDINGS,
            and_(F.incident_pk == I.pk, F.agreement_id == agreement_id, F.reading == reading),
        )
        where = incident_filters(start=start, end=end, status=status, sight=sight)
        if in_scope is not None:
            where.append(F.category.in_(list(in_scope)))
        query = (
            select(*_incident_columns(), *(getattr(F, name) for name in FINDING_FIELDS))
            .add_columns(*_event_columns())
            .select_from(joined)
            .where(*where)
        )
        return self._stream(_with_events(query, sight).order_by(I.pk), batch)


__all__ = [
    "BATCH",
    "EVENT_COLUMNS",
    "FINDING_COLUMNS",
    "INCIDENT_COLUMNS",
    "MAP_COLUMNS",
    "ExportStore",
]
