"""The ledger: its entries (payloads withheld from those who may not read them) and a check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ceasefire.interfaces.http.api.params import Limit, Offset
from ceasefire.interfaces.http.api.schemas import Page
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Ws
from ceasefire.interfaces.http.errors import API, ERRORS
from ceasefire.services import ledger

router = APIRouter(prefix=API, tags=["ledger"], responses=ERRORS)


class Verification(BaseModel):
    intact: bool
    entries: int
    first_bad: int | None
    message: str


@router.get("/ledger", response_model=Page[ledger.Entry])
def entries(ws: Ws, who: Caller, after: Offset = 0, limit: Limit = 100) -> Any:
    """Ledger entries; payloads the caller may not read are withheld, their hashes kept."""
    with ws.record() as rec:
        found = ledger.read_entries(rec, who, after=after, limit=limit, settings=ws.settings)
        items = [e.line() for e in found]
    return Page[ledger.Entry].of(items=items, total=None, limit=limit, offset=after)


@router.get("/ledger/verify", response_model=Verification)
def verify(ws: Ws, who: Caller) -> Any:
    with ws.record() as rec:
        result = ledger.check(rec, who, ws.settings)
    return Verification(
        intact=result.ok,
        entries=result.entries,
        first_bad=result.first_bad,
        message=result.describe(),
    )
