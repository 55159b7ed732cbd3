"""The agreements: the list, and one agreement's terms, windows and disputed readings."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ceasefire.core.policy import PermissionDenied
from ceasefire.interfaces.http.auth import Viewer
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.web.render import render
from ceasefire.services import views

router = APIRouter(include_in_schema=False)


@router.get("/agreements", response_class=HTMLResponse)
def agreements(request: Request, rec: Rec, login: Viewer) -> Response:
    catalogue = views.catalogue(rec, login.who)
    items = [views.agreement_view(catalogue, login.who, a.id) for a in catalogue.agreements]
    return render(request, "agreements.html", items=items)


@router.get("/agreements/{agreement_id}", response_class=HTMLResponse)
def agreement_page(
    request: Request, ws: Ws, rec: Rec, login: Viewer, agreement_id: str
) -> Response:
    item = views.agreement_view(views.catalogue(rec, login.who), login.who, agreement_id)
    try:
        differences = views.reading_differences(
            rec, login.who, agreement_id, settings=ws.settings, limit=100
        )
    except PermissionDenied:
        differences = None  # the section is for those who may read findings
    return render(
        request,
        "agreement.html",
        item=item,
        differences=differences,
        timezone=item["timezone"],
        exports=views.agreement_exports(agreement_id) if differences is not None else [],
    )
