"""Small tables of reports written for these tests (our own invented events)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.incidents import Conduct, IncidentBuilder, Incidents
from ceasefire.core.model import Act, Actor

DAY = 86_400
#: 2016-04-27 00:00 in Damascus (UTC+3), as seconds since 1970 (UTC).
APR27 = int(dt.datetime(2016, 4, 26, 21, 0, tzinfo=dt.UTC).timestamp())


def registry() -> ActorRegistry:
    return ActorRegistry.of(
        [
            Actor(id="gov", name="Government"),
            Actor(id="air-force", name="Air Force", member_of=["gov"]),
            Actor(id="opposition", name="Opposition"),
            Actor(id="brigade", name="Some Brigade", member_of=["opposition"]),
            Actor(id="is", name="Islamic State"),
        ]
    )


@dataclass
class R:
    """One report: source, id, day offset from 27 April 2016, place, act, who, killed."""

    source: str
    ident: str
    day: int
    lon: float
    lat: float
    act: Act = Act.attack
    perps: tuple[str, ...] = ("gov",)
    targets: tuple[str, ...] = ("opposition",)
    directed: bool = False
    killed: float = float("nan")
    radius_km: float = 1.0
    precision: str = "day"
    days: int = 1
    claimed_by: str | None = None


def table(reports: Sequence[R]) -> Incidents:
    b = IncidentBuilder()
    for r in reports:
        t0 = APR27 + r.day * DAY
        b.add(
            id=r.ident,
            source=r.source,
            t0=t0,
            t1=t0 + r.days * DAY,
            time_precision=r.precision,
            lon=r.lon,
            lat=r.lat,
            radius_m=r.radius_km * 1000.0,
            conduct=Conduct(r.act, ((r.claimed_by, r.perps),), r.targets, r.directed),
            killed=(r.killed, r.killed, r.killed),
        )
    return b.build()


ALEPPO = (37.16, 36.20)
DOUMA = (36.40, 33.57)
IDLIB = (36.63, 35.93)


def rows(incidents: Incidents, source: str) -> np.ndarray:
    return np.flatnonzero(incidents.source == source)
