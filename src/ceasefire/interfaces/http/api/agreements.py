"""Agreements: the catalogue, one agreement's terms, where the parties' readings differ."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ceasefire.core.model import Agreement
from ceasefire.interfaces.http.api.params import Limit, Offset
from ceasefire.interfaces.http.api.schemas import Open, Page
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import API, ERRORS
from ceasefire.services import views

router = APIRouter(prefix=API, tags=["agreements"], responses=ERRORS)


class DifferencePattern(BaseModel):
    categories: dict[str, str]
    incidents: int


class DifferingIncident(Open):
    pk: int
    id: str
    start: str | None
    place: str
    categories: dict[str, str]


class Differences(BaseModel):
    """Incidents whose category differs between the parties' readings."""

    agreement: str
    readings: list[str]
    total: int
    patterns: list[DifferencePattern]
    items: list[DifferingIncident]


@router.get("/agreements", response_model=Page[Agreement])
def agreements(rec: Rec, who: Caller, limit: Limit = 100, offset: Offset = 0) -> Any:
    listed = views.agreements(rec, who)
    return Page[Agreement].of(
        items=listed[offset : offset + limit], total=len(listed), limit=limit, offset=offset
    )


@router.get("/agreements/{agreement_id}", response_model=Agreement)
def agreement(rec: Rec, who: Caller, agreement_id: str) -> Any:
    return views.agreement(rec, who, agreement_id)


@router.get("/agreements/{agreement_id}/differences", response_model=Differences)
def differences(ws: Ws, rec: Rec, who: Caller, agreement_id: str) -> Any:
    """Incidents whose category differs between the parties' readings."""
    return views.reading_differences(rec, who, agreement_id, settings=ws.settings)
