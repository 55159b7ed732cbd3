"""The public register: every published ruling with its ledger entry, proof and checkpoint."""

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
    keys = ledger.LogKey(ws.keys.directory)
    with ws.cases() as ctx:
        views = cases.published_rulings(ctx, login.who)
        panels = [(v.id, v.ruling.panel if v.ruling else []) for v in views]
        record = ledger.register_record(ctx.rec, keys, login.who, panels, ws.settings)
        check = ledger.check(ctx.rec, login.who, ws.settings)
        items = [{"case": v.as_dict(), "record": record.rulings.get(v.id)} for v in views]
    return render(
        request,
        "register.html",
        items=items,
        intact=check.ok,
        verdict=check.describe(),
        checkpoint=record.checkpoint.text(),
        witnessed=record.witnesses,
    )
