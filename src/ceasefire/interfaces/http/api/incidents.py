"""Incidents: lists (alone or with findings, JSON or GeoJSON), one incident, submissions."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field, computed_field
from starlette.concurrency import run_in_threadpool

from ceasefire.core.policy import Principal
from ceasefire.formats.findings import who_acted
from ceasefire.interfaces.http.api.params import BBoxText, Limit, Offset, bbox_of, instant
from ceasefire.interfaces.http.api.schemas import Feature, FeatureCollection, Open, Page
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import API, ERRORS, ApiError
from ceasefire.services import ingest, views
from ceasefire.storage.record import Record

router = APIRouter(prefix=API, tags=["incidents"], responses=ERRORS)


class Located(Open):
    """What every stored incident row says: when, where, what, who (as the source put it)."""

    source: str
    source_id: str
    t0: int
    t1: int
    start: str
    end: str
    time_precision: str
    lon: float
    lat: float
    radius_m: float
    area_code: str | None
    area_name: str
    place_name: str
    act: str
    perpetrators: list[Any]
    targets: list[Any]
    directed: bool
    killed_low: float | None
    killed_best: float | None
    killed_high: float | None
    perpetrator_text: str
    target_text: str
    status: str
    submitted_by: str | None
    updated_at: str | None
    source_text: str = Field(default="", description="the source's own words (headline, notes)")
    source_name: str = Field(default="", description="the source's name (`SOHR`)")
    admin1: str = Field(default="", description="the source's governorate name")
    admin2: str = Field(default="", description="the source's district name")
    aggregate: str = Field(
        default="", description="`total` for a running total over days or places (never matched)"
    )
    reviewed_by: str | None = Field(default=None, description="who accepted or rejected it")
    reviewed_at: Any = None
    review_reason: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def perpetrator(self) -> str:
        """Who the source says acted, as in the findings table; empty for a dyad."""
        return self._who()[0]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sides(self) -> str:
        """The dyad as recorded (`gov ~ opposition`), whoever acted."""
        return self._who()[2]

    def _who(self) -> tuple[str, str, str]:
        claims = [(by, tuple(names)) for by, names in self.perpetrators]
        return who_acted(claims, [str(t) for t in self.targets], self.directed)


class Incident(Located):
    pk: int


class Finding(Located):
    """An incident joined with the finding of one agreement under one reading."""

    incident_pk: int
    agreement_id: str
    reading: str
    category: str
    probability: float
    reasons: str
    party: str = Field(default="", description="the party charged, as `ceasefire assess` names it")
    grade: str = Field(default="undetermined", description="the attribution's grade")


class IncidentFinding(BaseModel):
    agreement_id: str
    reading: str
    category: str
    probability: float
    reasons: str
    party: str = ""
    grade: str = "undetermined"


class IncidentClaim(Open):
    """A claim of who acted kept beside the source's fields: inferred, or a person's."""

    id: str
    role: str
    actors: list[str]
    claimed_by: str | None
    basis_kind: str
    basis: str
    span: list[int] | None = None
    status: str


class EventReport(Open):
    """One report of the event, with the details reports may disagree on."""

    pk: int
    ref: str
    representative: bool
    start: str
    end: str
    place: str
    act: str
    killed_low: float | None
    killed_best: float | None
    killed_high: float | None
    who: list[str]
    grades: list[str]


class Event(BaseModel):
    """The event this incident is a report of, when more than one report tells it."""

    ref: str
    pk: int
    reports: list[EventReport]


class IncidentDetail(Incident):
    findings: list[IncidentFinding]
    claims: list[IncidentClaim] = Field(default_factory=list)
    event: Event | None = None


class Submitted(BaseModel):
    inserted: int
    updated: int
    unchanged: int


def feature(record: dict[str, Any]) -> Feature:
    return Feature(
        type="Feature",
        geometry={"type": "Point", "coordinates": [record.get("lon"), record.get("lat")]},
        properties={k: v for k, v in record.items() if k not in ("lon", "lat")},
    )


@router.get("/incidents", response_model=Page[Incident] | Page[Finding] | FeatureCollection)
def incidents(
    ws: Ws,
    rec: Rec,
    who: Caller,
    start: str | None = None,
    end: str | None = None,
    bbox: BBoxText = None,
    agreement: str | None = None,
    reading: str | None = None,
    category: str | None = None,
    actor: str | None = None,
    format: Literal["json", "geojson"] = "json",
    status: Literal["accepted", "candidate", "rejected"] = "accepted",
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Incidents; with agreement, reading, category or actor, joined with their findings.

    Candidates (extracted from text, awaiting review) are listed only to those
    who may review incidents.
    """
    filters: dict[str, Any] = dict(
        start=instant(start, "start"), end=instant(end, "end"), bbox=bbox_of(bbox),
        agreement=agreement, reading=reading, category=category, actor=actor,
    )  # fmt: skip
    found, total = views.list_incidents(
        rec, who, settings=ws.settings, status=status, limit=limit, offset=offset, **filters
    )
    if format == "geojson":
        return FeatureCollection(type="FeatureCollection", features=[feature(i) for i in found])
    joined = any(filters[k] is not None for k in views.FINDING_FILTERS)
    shape = Page[Finding] if joined else Page[Incident]
    return shape.of(items=found, total=total, limit=limit, offset=offset)


@router.get("/incidents/{pk}", response_model=IncidentDetail)
def incident(ws: Ws, rec: Rec, who: Caller, pk: Annotated[int, PathParam(ge=1, le=2**62)]) -> Any:
    """One incident with its findings (party charged, grade), claims and, when several
    reports tell one event, that event's reports side by side."""
    found = views.incident_detail(rec, who, pk, ws.settings)
    if found is None:
        raise ApiError(404, "not_found", f"no incident {pk}")
    return found


@router.post("/incidents", status_code=201, response_model=Submitted)
async def submit_incidents(rec: Rec, who: Caller, request: Request) -> Any:
    """Monitors submit native incidents (one JSON object, a list, or JSON Lines)."""
    raw = await request.body()  # bounded, and checked for depth and text, by `limits.Guard`
    report = await run_in_threadpool(_submit, rec, who, raw)
    return Submitted(inserted=report.inserted, updated=report.updated, unchanged=report.unchanged)


def _submit(rec: Record, who: Principal, raw: bytes) -> ingest.IngestReport:
    return ingest.submit_incidents(rec, who, json_lines(raw))


def json_lines(raw: bytes) -> str:
    """A JSON object, a list of them, or JSON Lines, as JSON Lines (run in a worker thread)."""
    try:
        data = json.loads(raw)
        return "\n".join(json.dumps(d) for d in (data if isinstance(data, list) else [data]))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")
