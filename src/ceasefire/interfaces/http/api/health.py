"""Whether the server answers, and which version it runs."""

from __future__ import annotations

import time

from fastapi import APIRouter
from pydantic import BaseModel

from ceasefire._version import __version__
from ceasefire.core.timing import iso
from ceasefire.interfaces.http.errors import API

router = APIRouter(prefix=API, tags=["meta"])


class Health(BaseModel):
    status: str
    version: str
    time: str


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Answered on the event loop, never queued behind the worker threads (logins, builds)."""
    return Health(status="ok", version=__version__, time=iso(int(time.time())))
