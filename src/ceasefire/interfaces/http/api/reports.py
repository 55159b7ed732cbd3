"""The monitoring report as a document: `GET /api/v1/reports?agreement=&period=&format=`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ceasefire.formats import report as documents
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import API, ERRORS, ApiError
from ceasefire.services import ledger, reports

router = APIRouter(prefix=API, tags=["reports"], responses=ERRORS)


@router.get(
    "/reports",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in documents.MEDIA_TYPES.values()},
            "description": "the report: HTML, PDF or Markdown",
        }
    },
)
def report(
    ws: Ws,
    rec: Rec,
    who: Caller,
    agreement: Annotated[str, Query(description="the agreement's id", max_length=200)],
    reading: Annotated[
        str | None, Query(description="a party's reading (default: the text)", max_length=200)
    ] = None,
    period: Annotated[
        str,
        Query(
            description="day, week, month (the latest full one, or from `from`) or FROM..TO "
            "(local dates)",
            max_length=40,
        ),
    ] = "week",
    start_from: Annotated[
        str | None,
        Query(
            alias="from", description="the first local date of a day, week or month", max_length=20
        ),
    ] = None,
    format: Annotated[
        Literal["html", "pdf", "md"], Query(description="the document's format")
    ] = "html",
) -> Response:
    """The report of one agreement under one reading for a period, as the caller may see it."""
    built = reports.build_report(
        rec, who, agreement_id=agreement, reading=reading, period=period, start_from=start_from,
        settings=ws.settings, keys=ledger.LogKey(ws.keys.directory),
    )  # fmt: skip
    try:
        data = documents.render(built.model_dump(mode="json"), format)
    except documents.RenderError as exc:
        raise ApiError(503, "unavailable", str(exc)) from None
    name = f"report-{built.agreement}-{built.period.first}-{built.period.last}.{format}"
    return Response(
        data,
        media_type=documents.MEDIA_TYPES[format],
        headers={"content-disposition": f'inline; filename="{name}"'},
    )
