"""Query parameters several resources take: paging, a bounding box, instants."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query

from ceasefire.interfaces.http.errors import ApiError

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
BBoxText = Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")]


def bbox_of(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or not (
        -180 <= parts[0] <= parts[2] <= 180 and -90 <= parts[1] <= parts[3] <= 90
    ):
        raise ApiError(422, "invalid_request", "bbox is minlon,minlat,maxlon,maxlat in WGS84")
    return (parts[0], parts[1], parts[2], parts[3])


def instant(text: str | None, name: str) -> int | None:
    """An ISO date or date-time (UTC unless it says otherwise) as epoch seconds."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"{name}: not an ISO date or date-time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())
