"""A monitor's report of an incident, and the page of one incident with its findings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ceasefire.core.errors import InputError
from ceasefire.core.model import Act
from ceasefire.core.policy import Principal
from ceasefire.interfaces.http.auth import Viewer, check_form, viewer
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import ApiError
from ceasefire.interfaces.http.web.render import redirect, render
from ceasefire.services import ingest, views
from ceasefire.storage.record import Record

router = APIRouter(include_in_schema=False)

REPORT_SOURCE = "report"
REPORT_DEFAULTS = {"radius_km": "1", "act": "attack", "directed": "on"}  # + the region's zone


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def report_record(values: dict[str, str], ident: str) -> dict[str, Any]:
    """The report form as a native incident record: the reader checks it like any file."""
    record: dict[str, Any] = {
        "id": ident,
        "source": REPORT_SOURCE,
        "time": {"start": values.get("start", ""), "timezone": values.get("timezone", "")},
        "place": {},
        "act": values.get("act") or "attack",
        "perpetrators": _names(values.get("perpetrators", "")),
        "targets": _names(values.get("targets", "")),
        "directed": values.get("directed") == "on",
    }
    if values.get("end"):
        record["time"]["end"] = values["end"]
    place = record["place"]
    for key in ("lon", "lat", "radius_km"):
        text = values.get(key, "")
        if text:
            try:
                place[key] = float(text)
            except ValueError:
                place[key] = text  # the reader names the field and says what is wrong
    if values.get("place_name"):
        place["name"] = values["place_name"]
    killed = {k: values.get(f"killed_{k}", "") for k in ("low", "best", "high")}
    killed = {k: v for k, v in killed.items() if v}
    if killed:
        record["killed"] = {k: int(v) if v.isdigit() else v for k, v in killed.items()}
    return record


def report_form(request: Request, rec: Record, values: dict[str, str], error: str = "") -> Response:
    """The form, to those who may report (others are refused before they fill it in)."""
    actors = ingest.report_choices(rec, viewer(request).who)
    return render(
        request,
        "report.html",
        http_status=422 if error else 200,
        values=values,
        error=error,
        acts=[a.value for a in Act if a not in (Act.attack_on_excluded, Act.self_defence)],
        actors=actors,
    )


@router.get("/incidents/new", response_class=HTMLResponse)
def report_page(request: Request, ws: Ws, rec: Rec) -> Response:
    defaults = dict(REPORT_DEFAULTS, timezone=ws.region.timezone)  # the record's region's
    return report_form(request, rec, defaults)


def _submit(rec: Record, who: Principal, record: dict[str, Any]) -> None:
    ingest.submit_incidents(rec, who, json.dumps(record))


@router.post("/incidents/new", response_class=HTMLResponse)
async def report(request: Request, rec: Rec) -> Response:
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    # The login, the record and the page are database work: off the event loop.
    response: Response = await run_in_threadpool(_report, request, rec, values)
    return response


def _report(request: Request, rec: Record, values: dict[str, str]) -> Response:
    who = check_form(request, values.pop("csrf", ""))
    ident = values.get("id") or f"{who.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    try:
        _submit(rec, who, report_record(values, ident))
    except InputError as exc:
        return report_form(request, rec, values, error=exc.describe())
    stored = rec.incidents.get((REPORT_SOURCE, ident))
    assert stored is not None
    return redirect(f"/incidents/{stored['pk']}")


@router.get("/incidents/{pk}", response_class=HTMLResponse)
def incident_page(request: Request, ws: Ws, rec: Rec, login: Viewer, pk: int) -> Response:
    found = views.visible_incident(rec, login.who, pk, ws.settings) if 0 < pk < 2**62 else None
    if found is None:
        raise ApiError(404, "not_found", f"no incident {pk}")
    return render(request, "incident.html", incident=found)
