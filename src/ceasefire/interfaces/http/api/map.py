"""What the map and the dashboard draw: incidents as columns, zones, the base map, compliance."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ceasefire.interfaces.http.api.schemas import FeatureCollection, Open
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import API, ERRORS
from ceasefire.interfaces.http.responses import prepared
from ceasefire.services import views

router = APIRouter(prefix=API, responses=ERRORS)


class Window(BaseModel):
    start: str
    end: str | None


class MapLayer(BaseModel):
    """Every incident as parallel columns; `side` is a bit mask over `sides`, `day` UTC days."""

    agreement: str
    reading: str
    readings: list[str]
    categories: list[str]
    sides: list[str]
    window: Window
    count: int
    pk: list[int]
    lon: list[float]
    lat: list[float]
    day: list[int]
    radius_km: list[float]
    category: list[int]
    grades: list[str]
    grade: list[int] = Field(description="index into `grades`: the finding's attribution grade")
    side: list[int]


class ZoneCount(Open):
    """One zone's findings under the reading (a count per category besides these)."""

    zone: str
    name: str
    incidents: int
    violation_deaths: float


class Compliance(BaseModel):
    agreement: str
    title: str
    reading: str
    readings: list[str]
    start: str
    by: Literal["party", "grade"]
    unit: Literal["events"] = Field(
        description="what is counted: events (a report linked into another's event is left out)"
    )
    linked_reports: int
    weekly: list[dict[str, Any]]
    zones: list[ZoneCount]


class RegionInfo(Open):
    id: str
    name: str
    timezone: str
    bounds: list[list[float]] = Field(description="[[lon_min, lat_min], [lon_max, lat_max]]")
    attribution: str


class BaseMap(Open):
    """The region and its base-map layers (countries, admin1, admin2), as GeoJSON."""

    region: RegionInfo
    countries: FeatureCollection | None = None
    admin1: FeatureCollection | None = None
    admin2: FeatureCollection | None = None


def _json(model: Any) -> dict[int | str, dict[str, Any]]:
    """The documented 200 answer of a route that sends prepared JSON."""
    return {200: {"model": model, "content": {"application/json": {}}}}


@router.get("/map/incidents", tags=["map"], responses=_json(MapLayer))
def map_incidents(
    request: Request,
    ws: Ws,
    rec: Rec,
    who: Caller,
    agreement: str | None = None,
    reading: str | None = None,
) -> Response:
    """Every incident as columns with its category under one agreement and reading
    (gzipped when the client accepts it; 304 when it already holds this version)."""
    payload = views.map_layer_payload(rec, who, agreement, reading, settings=ws.settings)
    return prepared(request, payload)


@router.get("/map/zones", tags=["map"], response_model=FeatureCollection)
def map_zones(rec: Rec, who: Caller, agreement: str | None = None) -> Any:
    """The zones of one agreement (or all) as GeoJSON, with their windows."""
    return views.zones_geojson(views.catalogue(rec, who), who, agreement)


@router.get("/map/base", tags=["map"], responses=_json(BaseMap))
def map_base(ws: Ws) -> Response:
    """The record's region's boundaries (countries, admin-1 and admin-2 units): the base map."""
    return Response(
        views.base_map_json(ws.region),
        media_type="application/json",
        headers={"cache-control": "public, max-age=86400"},
    )


@router.get("/compliance", tags=["findings"], response_model=Compliance)
def compliance(
    ws: Ws,
    rec: Rec,
    who: Caller,
    agreement: str | None = None,
    reading: str | None = None,
    by: Literal["party", "grade"] = "party",
) -> Any:
    """Violations (events) per week by party charged or by grade around an agreement's start,
    and per zone."""
    return views.compliance(rec, who, agreement, reading, settings=ws.settings, by=by)
