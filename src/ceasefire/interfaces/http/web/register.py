"""The public register: every published ruling with its ledger entry, and the ledger's check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ceasefire.interfaces.http.auth import Viewer
from ceasefire.interfaces.http.deps import Ws
from ceasefire.interfaces.http.web.render import render
from ceasefire.services import cases, ledger

router = APIRouter(include_in_schema=False)


@router.get("/register", response_class=HTMLResponse)
def register(request: Request, ws: Ws, login: Viewer) -> Response:
    with ws.cases() as ctx:
        items = []
        for view in cases.published_rulings(ctx, login.who):
            history = ledger.entries_about(ctx.rec, view.id, login.who, ws.settings)
            published = [e.line() for e in history if e.action == "ruling.publish"]
            items.append({"case": view.as_dict(), "entry": published[-1] if published else None})
        check = ledger.check(ctx.rec, login.who, ws.settings)
    return render(request, "register.html", items=items, intact=check.ok, verdict=check.describe())
