"""The map and the compliance dashboard of one agreement under one reading."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from ceasefire.core.policy import Principal
from ceasefire.interfaces.http.auth import Viewer
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.web.render import render
from ceasefire.services import views
from ceasefire.storage.record import Record

router = APIRouter(include_in_schema=False)


def choice(
    rec: Record, who: Principal, agreement: str | None, reading: str | None
) -> dict[str, Any]:
    """The agreement and reading asked for (else the first and its text), for the chooser."""
    catalogue = views.catalogue(rec, who)
    if not catalogue.agreements:
        return {"agreements": [], "agreement": None, "reading": None, "readings": []}
    chosen, name = views.agreement_and_reading(catalogue, agreement, reading)
    return {
        "agreements": [(a.id, a.title) for a in catalogue.agreements],
        "agreement": chosen,
        "reading": name,
        "readings": views.reading_names(chosen),
    }


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    ws: Ws,
    rec: Rec,
    login: Viewer,
    agreement: str | None = None,
    reading: str | None = None,
    grade: Annotated[list[str] | None, Query(max_length=10)] = None,
) -> Response:
    chosen = choice(rec, login.who, agreement, reading)
    picked = chosen["agreement"]
    return render(
        request,
        "map.html",
        exports=views.map_exports(picked.id, chosen["reading"]) if picked else [],
        timezone=picked.timezone if picked else None,
        readable=views.may_read_map(login.who, ws.settings),
        categories=views.CATEGORY_NAMES,
        grades=views.GRADE_NAMES,
        chosen_grades=[g for g in grade or [] if g in views.GRADE_NAMES],
        **chosen,
    )


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    ws: Ws,
    rec: Rec,
    login: Viewer,
    agreement: str | None = None,
    reading: str | None = None,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    counts = views.finding_counts(rec, login.who, settings=ws.settings)  # refuses first
    first, last = views.parse_day(from_, "from"), views.parse_day(to, "to")
    chosen = choice(rec, login.who, agreement, reading)
    data = graded = summary = None
    exports: dict[str, list[dict[str, str]]] = {}
    if chosen["agreement"] is not None:
        picked, name = chosen["agreement"].id, chosen["reading"]
        data, graded = (
            views.compliance(rec, login.who, picked, name, settings=ws.settings, by=by)
            for by in views.BREAKDOWNS
        )
        summary = views.summary(
            rec, login.who, picked, name, settings=ws.settings, first=first, last=last
        )
        exports = views.dashboard_exports(picked, name, first, last)
    return render(
        request,
        "dashboard.html",
        data=data,
        graded=graded,
        summary=summary,
        exports=exports,
        grades=views.GRADE_NAMES,
        counts=counts,
        categories=views.CATEGORY_NAMES,
        in_scope=views.IN_SCOPE,
        period={"from": first.isoformat() if first else "", "to": last.isoformat() if last else ""},
        timezone=chosen["agreement"].timezone if chosen["agreement"] else None,
        **chosen,
    )
