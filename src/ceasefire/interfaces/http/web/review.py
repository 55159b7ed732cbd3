"""The review queue as pages: the queue, one item with its evidence, and each decision as a form.

Every page and form calls `services.review`, which decides who may look and
decide; a form carries the login's CSRF token like every other form of the site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ceasefire.core.model import Act
from ceasefire.core.policy import Principal
from ceasefire.interfaces.http.auth import Viewer, check_form
from ceasefire.interfaces.http.deps import Rec, Workspace, Ws
from ceasefire.interfaces.http.errors import ApiError
from ceasefire.interfaces.http.web.render import redirect, render
from ceasefire.services import review
from ceasefire.storage.record import Record

router = APIRouter(include_in_schema=False)

#: The edit form's fields (native record paths), in the order shown.
EDIT_FIELDS = [
    ("act", "Act"),
    ("time.start", "Start (date or date-time)"),
    ("time.end", "End"),
    ("place.name", "Place"),
    ("place.lat", "Latitude"),
    ("place.lon", "Longitude"),
    ("place.radius_km", "Uncertainty (km)"),
    ("killed.best", "Killed (best)"),
    ("killed.low", "Killed (at least)"),
    ("killed.high", "Killed (at most)"),
    ("perpetrators", "Who acted (actor ids, comma-separated)"),
    ("targets", "Who was hit"),
]


def segments(text: str, spans: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The quote cut into (words, label or None), so the template marks the evidence."""
    out: list[tuple[str, str | None]] = []
    at = 0
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        start, end = int(span["start"]), int(span["end"])
        if start < at or end > len(text):
            continue
        if start > at:
            out.append((text[at:start], None))
        out.append((text[start:end], str(span["label"])))
        at = end
    if at < len(text):
        out.append((text[at:], None))
    return out


def _marked(incident: dict[str, Any] | None) -> dict[str, Any] | None:
    if incident is None:
        return None
    return {**incident, "segments": segments(incident.get("quote") or "", incident["spans"])}


@router.get("/review", response_class=HTMLResponse)
def queue_page(
    request: Request, ws: Ws, rec: Rec, login: Viewer, kind: str = "", offset: int = 0
) -> Response:
    page = review.queue(
        rec, login.who, kind or None, limit=50, offset=max(0, offset), settings=ws.settings
    )
    return render(request, "review.html", page=page, kind=kind)


@router.get("/review/{ref}", response_class=HTMLResponse)
def item_page(request: Request, ws: Ws, rec: Rec, login: Viewer, ref: str) -> Response:
    view = review.show(rec, login.who, ref, settings=ws.settings)
    near: list[dict[str, Any]] = []
    if "merge" in view.actions:
        near = review.nearby(rec, login.who, view.ref, settings=ws.settings)
    return render(
        request,
        "review_item.html",
        view=view,
        incident=_marked(view.incident),
        other=_marked(view.other),
        near=near,
        acts=[a.value for a in Act],
        fields=EDIT_FIELDS,
        quoted=quote(view.ref, safe=":"),
    )


Decision = Callable[[Record, Principal, str, dict[str, str], Workspace], review.ReviewView]

DECISIONS: dict[str, Decision] = {
    "accept": lambda rec, who, ref, f, ws: review.accept(
        rec, who, ref, _edits(f), signer=ws.keys, settings=ws.settings
    ),
    "merge": lambda rec, who, ref, f, ws: review.merge(
        rec,
        who,
        ref,
        f.get("into") or f.get("into_other") or "",
        signer=ws.keys,
        settings=ws.settings,
    ),  # fmt: skip
    "reject": lambda rec, who, ref, f, ws: review.reject(
        rec, who, ref, f.get("reason", ""), signer=ws.keys, settings=ws.settings
    ),
    "link": lambda rec, who, ref, f, ws: review.link(
        rec, who, ref, f.get("into") or None, signer=ws.keys, settings=ws.settings
    ),
    "unlink": lambda rec, who, ref, f, ws: review.unlink(
        rec, who, ref, signer=ws.keys, settings=ws.settings
    ),
}


def _edits(form: dict[str, str]) -> dict[str, str] | None:
    """The edit form's filled-in fields (`edit.place.lat` → `place.lat`); blank ones stay."""
    edits = {
        k.removeprefix("edit."): v.strip()
        for k, v in form.items()
        if k.startswith("edit.") and v.strip()
    }
    return edits or None


@router.post("/review/{ref}/{step}", response_class=HTMLResponse)
async def decide(request: Request, ws: Ws, ref: str, step: str) -> Response:
    """One decision from the item page's forms; the service decides who may take it."""
    call = DECISIONS.get(step)
    if call is None:
        raise ApiError(404, "not_found", f"no decision {step!r}")
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    who = await run_in_threadpool(check_form, request, values.pop("csrf", ""))

    def act() -> str:
        with ws.record() as rec:
            return call(rec, who, ref, values, ws).ref

    done = await run_in_threadpool(act)
    return redirect(f"/review/{quote(done, safe=':')}")
