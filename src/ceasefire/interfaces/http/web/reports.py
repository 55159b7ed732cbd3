"""The Reports page: choose a report, read it here, download it (the reports API's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from ceasefire.formats import report as documents
from ceasefire.interfaces.http.auth import Viewer
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.web.render import render
from ceasefire.services import ledger, report_page

router = APIRouter(include_in_schema=False)
#: What a problem with the form's parameters answers (the API's status for bad input).
BAD_INPUT = 422


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    ws: Ws,
    rec: Rec,
    login: Viewer,
    agreement: Annotated[str | None, Query(max_length=200)] = None,
    reading: Annotated[str | None, Query(max_length=200)] = None,
    period: Annotated[str | None, Query(max_length=40)] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    page = report_page.report_page(
        rec, login.who, agreement=agreement, reading=reading, period=period, start_from=from_,
        to=to, settings=ws.settings, keys=ledger.LogKey(ws.keys.directory),
    )  # fmt: skip
    body, unavailable = None, None
    try:
        body = Markup(documents.html_body(page.report)) if page.report is not None else None
    except documents.RenderError as exc:
        unavailable = str(exc)
    status = BAD_INPUT if page.problem else 503 if unavailable else 200
    return render(
        request, "reports.html", http_status=status, page=page, form=page.form, body=body,
        unavailable=unavailable, timezone=page.timezone,
    )  # fmt: skip
