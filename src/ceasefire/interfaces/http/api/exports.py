"""Exports: findings, the map's incidents, the dashboard's tables and the case queue, as files.

Every route checks the caller and every parameter before the first byte is sent
(a refusal is the API's error body, naming the parameter), then streams: CSV
and GeoJSON a batch of rows at a time, Parquet a row group at a time, each
batch read from the database only when the last one has been sent. What the
server holds per export is one batch, whatever the client asks for or however
slowly it reads (see `services.exports`). Columns are listed there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from ceasefire.formats.exports import MEDIA_TYPES
from ceasefire.interfaces.http.api.allegations import attachment
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import API, ERRORS, ApiError
from ceasefire.services import exports

router = APIRouter(prefix=f"{API}/exports", tags=["exports"], responses=ERRORS)


def _file(name: str) -> dict[int | str, dict[str, Any]]:
    formats = exports.FORMATS[name]
    return {
        200: {
            "description": f"the {name}, streamed, as {', '.join(formats)}",
            "content": {MEDIA_TYPES[f].split(";")[0]: {} for f in formats},
        }
    }


Format = Annotated[str, Path(alias="format", description="csv, geojson or parquet", max_length=20)]
Text = Annotated[str | None, Query(max_length=200)]
Many = Annotated[list[str] | None, Query(max_length=50, description="repeat for several")]
From = Annotated[
    str | None, Query(alias="from", max_length=40, description="first local day, YYYY-MM-DD")
]
To = Annotated[str | None, Query(max_length=40, description="last local day (included)")]
InScope = Annotated[bool, Query(description="leave out what is out of scope")]
RowLimit = Annotated[
    int | None, Query(ge=1, description="at most this many rows (memory does not depend on it)")
]


def streamed(plan: Callable[[], exports.Export]) -> StreamingResponse:
    """The export `plan` makes, streamed; a bad parameter is refused before any byte."""
    try:
        export = plan()
    except exports.BadParameter as exc:
        details = {"parameter": exc.parameter}
        raise ApiError(422, "invalid_request", exc.describe(), details) from None
    return StreamingResponse(
        export.chunks(),
        media_type=export.media_type,
        headers={
            "content-disposition": attachment(export.filename),
            "cache-control": "no-store",
        },
    )


@router.get("/findings.{format}", response_class=StreamingResponse, responses=_file("findings"))
def findings(
    ws: Ws,
    rec: Rec,
    who: Caller,
    fmt: Format,
    agreement: Text = None,
    reading: Text = None,
    category: Many = None,
    party: Many = None,
    grade: Many = None,
    zone: Text = None,
    from_: From = None,
    to: To = None,
    in_scope: InScope = False,
    limit: RowLimit = None,
) -> StreamingResponse:
    """The findings `/findings` lists for the same filters, every one, as a file."""
    return streamed(
        lambda: exports.findings(
            rec,
            who,
            fmt,
            settings=ws.settings,
            reopen=ws.record,
            agreement=agreement,
            reading=reading,
            category=category,
            party=party,
            grade=grade,
            zone=zone,
            date_from=from_,
            date_to=to,
            in_scope=in_scope,
            limit=limit,
        )
    )


@router.get("/incidents.{format}", response_class=StreamingResponse, responses=_file("incidents"))
def incidents(
    ws: Ws,
    rec: Rec,
    who: Caller,
    fmt: Format,
    agreement: Text = None,
    reading: Text = None,
    from_: From = None,
    to: To = None,
    in_scope: InScope = False,
    limit: RowLimit = None,
) -> StreamingResponse:
    """What the map draws: each accepted incident with its finding under one reading."""
    return streamed(
        lambda: exports.incidents(
            rec,
            who,
            fmt,
            settings=ws.settings,
            reopen=ws.record,
            agreement=agreement,
            reading=reading,
            date_from=from_,
            date_to=to,
            in_scope=in_scope,
            limit=limit,
        )
    )


@router.get("/dashboard.{format}", response_class=StreamingResponse, responses=_file("dashboard"))
def dashboard(
    ws: Ws,
    rec: Rec,
    who: Caller,
    fmt: Format,
    agreement: Text = None,
    reading: Text = None,
    from_: From = None,
    to: To = None,
) -> StreamingResponse:
    """The dashboard's weekly series by party and by grade, and its tables by zone."""
    return streamed(
        lambda: exports.dashboard(
            rec,
            who,
            fmt,
            settings=ws.settings,
            reopen=ws.record,
            agreement=agreement,
            reading=reading,
            date_from=from_,
            date_to=to,
        )
    )


@router.get("/cases.{format}", response_class=StreamingResponse, responses=_file("cases"))
def cases(
    ws: Ws, who: Caller, fmt: Format, status: Text = None, agreement: Text = None
) -> StreamingResponse:
    """The case queue as the caller may see it: its own party's cases, and published ones."""

    def plan() -> exports.Export:
        with ws.cases() as ctx:
            return exports.case_queue(
                ctx, who, fmt, reopen=ws.cases, status=status, agreement=agreement
            )

    return streamed(plan)
