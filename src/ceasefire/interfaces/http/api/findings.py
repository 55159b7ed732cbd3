"""Findings: each accepted incident judged against an agreement under a reading."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ceasefire.interfaces.http.api.incidents import Finding
from ceasefire.interfaces.http.api.params import BBoxText, Limit, Offset, bbox_of, instant
from ceasefire.interfaces.http.api.schemas import Page
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import API, ERRORS
from ceasefire.services import views

router = APIRouter(prefix=API, tags=["findings"], responses=ERRORS)


@router.get("/findings", response_model=Page[Finding])
def findings(
    ws: Ws,
    rec: Rec,
    who: Caller,
    agreement: str | None = None,
    reading: str | None = None,
    category: str | None = None,
    actor: str | None = None,
    start: str | None = None,
    end: str | None = None,
    bbox: BBoxText = None,
    grade: Annotated[
        list[str] | None,
        Query(max_length=20, description="attribution grades (repeat: `grade=weak&grade=fair`)"),
    ] = None,
    party: Annotated[
        list[str] | None, Query(max_length=50, description="parties charged (repeat)")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Findings of accepted incidents; `grade` and `party` keep those graded or charged so."""
    found, total = views.list_findings(
        rec, who, settings=ws.settings, limit=limit, offset=offset,
        agreement=agreement, reading=reading, category=category, actor=actor,
        start=instant(start, "start"), end=instant(end, "end"), bbox=bbox_of(bbox),
        grade=grade, party=party,
    )  # fmt: skip
    return Page[Finding].of(items=found, total=total, limit=limit, offset=offset)
