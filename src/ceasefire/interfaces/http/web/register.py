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
        proofs = ledger.published_entries(ctx.rec, keys, login.who, panels, ws.settings)
        signed = ledger.published_checkpoint(ctx.rec, keys, login.who, ws.settings)
        check = ledger.check(ctx.rec, login.who, ws.settings)
        items = [{"case": v.as_dict(), "record": proofs.get(v.id)} for v in views]
        witnessed = ledger.witnesses(ctx.rec, signed)
    return render(
        request,
        "register.html",
        items=items,
        intact=check.ok,
        verdict=check.describe(),
        checkpoint=signed.text(),
        witnessed=witnessed,
    )
