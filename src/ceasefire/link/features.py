"""The columns record linkage compares, one row per report (numpy in, a DataFrame out).

Each report becomes an interval in days (its own interval, widened by what its
precision means), a point with an uncertainty radius, the buckets blocking joins on
(a week and a 0.5° cell, each also half-shifted so that two reports a couple of days
or kilometres apart always share one of them), its governorate and its district (the
region's admin levels 1 and 2) when its point lies in one,
the family of its act, the top-level sides it names, its casualty range, the telling
words of its source's own text (a headline, an ACLED note), its source and whether it
is an aggregate (a running total over days or places: never linked).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import shapely

from ceasefire.core.actors import CIVILIANS, ActorRegistry
from ceasefire.core.incidents import Incidents
from ceasefire.core.model import Act
from ceasefire.regions import Region, default_region

if TYPE_CHECKING:
    import pandas as pd

DAY = 86_400.0
#: How much wider than its own interval a report's time may be, by stated precision (days).
WIDEN_DAYS = {"exact": 0.0, "day": 0.0, "week": 3.0, "month": 15.0}
#: Blocking grid: cell size in degrees (the shifted grid is offset by half a cell).
CELL_DEG = 0.5
#: Reports whose place is this uncertain (km) are also blocked on governorate.
COARSE_KM = 10.0
EARTH_KM = 6371.0088

#: Act families: two reports of one event name acts of one family (or one says only "attack").
FAMILIES: dict[Act, str] = {
    Act.air_strike: "air",
    Act.drone_strike: "air",
    Act.shelling: "fire",
    Act.mortar: "fire",
    Act.missile: "fire",
    Act.shooting: "fire",
    Act.bombing: "explosive",
    Act.suicide_bombing: "explosive",
    Act.clash: "clash",
    Act.territorial_gain: "clash",
}

COLUMNS = (
    "unique_id", "source", "t0", "t1", "mid", "lon", "lat", "radius_km", "wk", "wk_s",
    "cell", "cell_s", "cell_xs", "cell_ys", "adm1", "adm2", "coarse", "act_family", "sides",
    "killed_low", "killed_best", "killed_high", "words", "aggregate",
)  # fmt: skip

#: A word of a report's text: letters (any script) or a number.
_WORD = re.compile(r"[^\W\d_]{3,}|\d+")
#: Words that say nothing about which event a text reports (function words, and the
#: vocabulary of every conflict report: each report's act, place and toll are compared
#: on their own columns).
_PLAIN = frozenset(
    """about above after again against also among amid and are around as at away been
    before being between both but by can continue continued continues could day days did
    during each early from further had has have her here his its into late last least
    many more most near new news night not now off one only other out over own said says
    several since some still such than that the their them then there these they this
    those three through today two under until upon very was were what when where which
    while who whom will with within without would yesterday
    activist activists area areas attack attacked attacks casualty casualties civilian
    civilians continue dead death deaths die died dozens injured injuries kill killed
    killing kills people person report reported reports sources wounded""".split()
)
#: A word in more than this share of the reports (and of at least `_COMMON_MIN` of them)
#: is too common to tell one event from another: the name of a city, of a party.
COMMON_SHARE = 0.02
_COMMON_MIN = 20


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("shes", "ches", "xes", "sses", "zes")):
        return word[:-2]
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def text_words(text: str) -> set[str]:
    """The words of one text that could tell its event from another's (lower case, plural
    folded, function words and the generic vocabulary of conflict reports left out)."""
    words = (w.lower() for w in _WORD.findall(html.unescape(text)))
    return {_stem(w) for w in words if w not in _PLAIN} - _PLAIN


def report_words(texts: Iterable[object]) -> list[list[str] | None]:
    """Each report's telling words, sorted (None without any): `text_words` less the words
    common across these reports (a word in more than `COMMON_SHARE` of them)."""
    sets = [text_words(t) if isinstance(t, str) and t else set() for t in texts]
    counts = Counter(w for each in sets for w in each)
    cap = max(_COMMON_MIN, COMMON_SHARE * len(sets))
    common = {w for w, k in counts.items() if k > cap}
    out: list[list[str] | None] = []
    for each in sets:
        kept = sorted(each - common)
        out.append(kept or None)
    return out


def act_family(act: Act) -> str | None:
    """`air`, `fire` (shelling, mortars, rockets, gunfire), `explosive`, `clash`; None when the
    report says only that there was an attack (or something that is not an attack)."""
    return FAMILIES.get(act)


def top_sides(ids: Sequence[str], registry: ActorRegistry | None) -> tuple[str, ...]:
    """The top-level actor of each id (a unit's force, a force's side), civilians left out."""
    out: list[str] = []
    for ident in ids:
        if not ident or ident == CIVILIANS or ident.startswith("?"):
            continue
        top = registry.ancestors(ident)[-1] if registry is not None else ident
        if top not in out:
            out.append(top)
    return tuple(sorted(out))


def radius_km(incidents: Incidents) -> npt.NDArray[np.float64]:
    """Each report's place uncertainty: its radius, or for an area half its bounding box's
    diagonal (a district centroid may lie that far from the event)."""
    radius = incidents.radius_m / 1000.0
    if incidents.areas:
        sizes = np.zeros(len(incidents.areas) + 1)
        for k, area in enumerate(incidents.areas):
            x0, y0, x1, y1 = area.geometry.bounds
            mid = np.radians((y0 + y1) / 2)
            dx = (x1 - x0) * 111.32 * np.cos(mid)
            dy = (y1 - y0) * 110.57
            sizes[k] = 0.5 * float(np.hypot(dx, dy))
        sizes[-1] = 0.0
        radius = np.maximum(radius, sizes[incidents.area])
    return radius


@cache
def _units(region: Region, level: int) -> tuple[list[shapely.Geometry], list[str]]:
    with open(region.boundaries(level), encoding="utf-8") as handle:
        data = json.load(handle)
    shapes = [shapely.geometry.shape(f["geometry"]) for f in data["features"]]
    for shape in shapes:
        shapely.prepare(shape)
    codes = [str(f["properties"][region.code_property]) for f in data["features"]]
    return shapes, codes


def admin_units(
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    level: int,
    region: Region | None = None,
) -> npt.NDArray[np.object_]:
    """The code of the admin unit of `level` each point lies in ('' outside every one, or
    when the region has no such level; on a shared border, the first unit of the file)."""
    out = np.full(len(lon), "", dtype=object)
    if not len(lon):
        return out
    try:
        shapes, codes = _units(region or default_region(), level)
    except KeyError:
        return out
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    for shape, code in zip(shapes, codes, strict=True):
        x0, y0, x1, y1 = shape.bounds
        todo = np.flatnonzero((out == "") & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if len(todo):
            inside = shapely.intersects_xy(shape, lon[todo], lat[todo])
            out[todo[inside]] = code
    return out


def governorates(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], region: Region | None = None
) -> npt.NDArray[np.object_]:
    """The admin-1 code each point lies in ('' outside every one; on a shared border, the
    first unit of the file)."""
    return admin_units(lon, lat, 1, region)


def _cells(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], dx: float, dy: float
) -> npt.NDArray[np.int64]:
    x = np.floor((lon + dx) / CELL_DEG).astype(np.int64)
    y = np.floor((lat + dy) / CELL_DEG).astype(np.int64)
    return (x + 1000) * 10_000 + (y + 1000)


def link_frame(
    incidents: Incidents,
    registry: ActorRegistry | None = None,
    *,
    aggregate: npt.ArrayLike | None = None,
    region: Region | None = None,
) -> pd.DataFrame:
    """One row per report, `unique_id` its row in `incidents`: what the linkage model reads.

    `aggregate` marks reports that are running totals ("in the past week"); when not
    given, an `aggregate` column of the incidents is used if they have one.
    """
    import pandas as pd

    n = len(incidents)
    widen = (
        np.array([WIDEN_DAYS.get(str(p), 0.0) for p in incidents.time_precision])
        if n
        else (np.zeros(0))
    )
    t0 = incidents.t0 / DAY
    t1 = np.maximum(incidents.t1, incidents.t0) / DAY
    # A reader already widened a "week" or "month" to its interval; widen only what is narrower.
    short = (t1 - t0) < 2 * widen
    t0 = np.where(short, t0 - widen, t0)
    t1 = np.where(short, t1 + widen, t1)
    mid = (t0 + t1) / 2
    lon = np.asarray(incidents.lon, dtype=np.float64)
    lat = np.asarray(incidents.lat, dtype=np.float64)
    radius = radius_km(incidents)

    families: list[str | None] = []
    sides: list[list[str]] = []
    for each in incidents.conducts:
        families.append(act_family(each.act))
        named = list(each.perpetrator_ids()) + list(each.targets)
        dyad = getattr(each, "dyad", None)
        if dyad:
            for side in dyad:
                named.extend(side)
        sides.append(list(top_sides(named, registry)))
    conduct = np.asarray(incidents.conduct, dtype=np.int64)
    family_col = np.asarray(families + [None], dtype=object)[conduct]
    side_table = np.empty(len(sides) + 1, dtype=object)
    for k, value in enumerate(sides):
        side_table[k] = value or None
    side_col = side_table[conduct]

    if aggregate is None:
        aggregate = getattr(incidents, "aggregate", None)
    agg = np.zeros(n, dtype=bool) if aggregate is None else np.asarray(aggregate, dtype=bool)
    low = np.asarray(incidents.killed_low, dtype=np.float64)
    high = np.fmax(np.asarray(incidents.killed_high, dtype=np.float64), low)
    best = np.asarray(incidents.killed_best, dtype=np.float64)
    best = np.where(np.isnan(best), (low + high) / 2, best)
    adm1 = governorates(lon, lat, region)
    adm1[adm1 == ""] = None
    adm2 = admin_units(lon, lat, 2, region)
    adm2[adm2 == ""] = None
    frame = pd.DataFrame(
        {
            "unique_id": np.arange(n, dtype=np.int64),
            "source": np.asarray(incidents.source, dtype=object),
            "t0": t0,
            "t1": t1,
            "mid": mid,
            "lon": lon,
            "lat": lat,
            "radius_km": radius,
            "wk": np.floor(mid / 7).astype(np.int64),
            "wk_s": np.floor((mid + 3.5) / 7).astype(np.int64),
            "cell": _cells(lon, lat, 0.0, 0.0),
            "cell_s": _cells(lon, lat, CELL_DEG / 2, CELL_DEG / 2),
            "cell_xs": _cells(lon, lat, CELL_DEG / 2, 0.0),
            "cell_ys": _cells(lon, lat, 0.0, CELL_DEG / 2),
            "adm1": adm1,
            "adm2": adm2,
            "coarse": radius > COARSE_KM,
            "act_family": family_col,
            "sides": side_col,
            "killed_low": low,
            "killed_best": best,
            "killed_high": high,
            "words": _words(incidents),
            "aggregate": agg,
        }
    )
    return frame


def _words(incidents: Incidents) -> list[list[str] | None]:
    texts = incidents.source_text
    return report_words(texts) if len(texts) == len(incidents) else [None] * len(incidents)


def haversine_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in km (the same formula as the model's SQL)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def closeness(
    frame: pd.DataFrame, left: npt.ArrayLike, right: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """How close two reports are on the continuous evidence the model's levels round off,
    in [-3, 0] (0: the same): the gap between their midpoints in days, their distance
    against their radii, and the log ratio of their best casualty figures, each squashed
    as x / (1 + x) and summed, negated. Only a tie-break between pairs the model scores
    alike. `left` and `right` are `unique_id`s of `frame`."""
    import pandas as pd

    index = pd.Index(frame["unique_id"].to_numpy())
    a = index.get_indexer(np.asarray(left))
    b = index.get_indexer(np.asarray(right))
    mid = frame["mid"].to_numpy(float)
    lon = frame["lon"].to_numpy(float)
    lat = frame["lat"].to_numpy(float)
    radius = frame["radius_km"].to_numpy(float)
    best = frame["killed_best"].to_numpy(float)
    days = np.abs(mid[a] - mid[b])
    km = haversine_km(lon[a], lat[a], lon[b], lat[b]) / (1.0 + radius[a] + radius[b])
    ratio = np.abs(np.log1p(np.fmax(best[a], 0.0)) - np.log1p(np.fmax(best[b], 0.0)))
    parts = [np.nan_to_num(x, nan=0.0) for x in (days, km, ratio)]
    return -sum((x / (1.0 + x) for x in parts), np.zeros(len(a)))


__all__ = [
    "COLUMNS",
    "FAMILIES",
    "act_family",
    "admin_units",
    "closeness",
    "governorates",
    "haversine_km",
    "link_frame",
    "radius_km",
    "report_words",
    "text_words",
    "top_sides",
]
