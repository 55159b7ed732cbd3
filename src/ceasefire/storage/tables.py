"""What the record's stores share: table handles, time and box filters, key chunks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, and_, false, or_

from ceasefire.core.policy import IncidentSight
from ceasefire.storage.db import Base
from ceasefire.storage.models import (
    ActorRow,
    AgreementFileRow,
    AgreementRow,
    FindingRow,
    IncidentRow,
    ZoneRow,
)

#: Keys per `IN (...)` list: under SQLite's bound-parameter limit.
IN_CHUNK = 5_000

Instant = int | float | dt.datetime | dt.date | str
BBox = tuple[float, float, float, float]

FILES = Base.metadata.tables[AgreementFileRow.__tablename__]
AGREEMENTS = Base.metadata.tables[AgreementRow.__tablename__]
ACTORS = Base.metadata.tables[ActorRow.__tablename__]
ZONES = Base.metadata.tables[ZoneRow.__tablename__]
INCIDENTS = Base.metadata.tables[IncidentRow.__tablename__]
FINDINGS = Base.metadata.tables[FindingRow.__tablename__]
I = INCIDENTS.c  # noqa: E741 - the incident columns, read like `I.t0`
F = FINDINGS.c


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def instant(value: Instant | None) -> int | None:
    """UTC seconds from seconds, a datetime (naive means UTC), a date or ISO text."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a time must be seconds, a datetime, a date or ISO text")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        value = dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return int(moment.timestamp())
    return int(dt.datetime.combine(value, dt.time(), dt.UTC).timestamp())


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class IncidentQuery(TypedDict, total=False):
    """The filters on incidents (`incident_filters`' keywords), named once for every store."""

    start: Instant | None
    end: Instant | None
    bbox: BBox | None
    source: str | None
    status: str | None
    sight: IncidentSight | None


def incident_filters(
    start: Instant | None = None,
    end: Instant | None = None,
    bbox: BBox | None = None,
    source: str | None = None,
    status: str | None = None,
    sight: IncidentSight | None = None,
) -> list[ColumnElement[bool]]:
    """SQL conditions on incidents, shared by every query that lists them.

    `sight` is the viewer's visibility rule (`sight_filter`): with it, a page of
    results is cut after the rule, in the database.
    """
    where: list[ColumnElement[bool]] = []
    t_start, t_end = instant(start), instant(end)
    if t_end is not None:
        where.append(I.t0 < t_end)
    if t_start is not None:
        # Overlaps [start, end): an interval by a positive length, an instant by lying in it.
        where.append(or_(I.t1 > t_start, I.t0 >= t_start))
    if bbox is not None:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        where.append(and_(I.lon.between(minx, maxx), I.lat.between(miny, maxy)))
    if source is not None:
        where.append(I.source == source)
    if status is not None:
        where.append(I.status == status)
    if sight is not None:
        where.append(sight_filter(sight))
    return where


def sight_filter(sight: IncidentSight) -> ColumnElement[bool]:
    """The one visibility rule of incidents (`IncidentSight`), as SQL, for lists and fetches."""
    statuses = sight.statuses
    return I.status.in_(statuses) if statuses else false()
