"""What the API and the pages show, read from the record: one function per question.

Each function takes who is asking and checks the policy itself (`agreements.read`,
`incidents.read`, `findings.read`; candidates only with `incidents.review`), so a
route only passes on the viewer and the answer. Incident visibility is one rule
(`visibility.incident_sight`) that the record applies in SQL to listing and
fetching alike. The answers are plain JSON-ready values. No rule of the engine
is restated: categories come from stored findings, sides from `standing`,
windows from `timing.window`.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from ceasefire.core.actors import ActorRegistry, standing
from ceasefire.core.engine import CATEGORIES, TEXT, party_since
from ceasefire.core.errors import InputError
from ceasefire.core.model import Agreement, Category, Grade
from ceasefire.core.policy import Action, Principal, Settings, can, may_ever, require
from ceasefire.core.timing import OPEN_END, iso, local_day, local_to_utc, window, zone_info
from ceasefire.extract.resources import gazetteer
from ceasefire.formats.agreements import Catalogue
from ceasefire.formats.boundaries import boundary_text
from ceasefire.regions import Region, default_region
from ceasefire.services import visibility
from ceasefire.services.assess import weekly_series
from ceasefire.services.record import stored_incidents, workspace_region
from ceasefire.services.visibility import incident_sight
from ceasefire.storage.record import Record
from ceasefire.storage.tables import BBox, IncidentQuery, Instant

CATEGORY_NAMES = [c.value for c in CATEGORIES]
#: The attribution grades, in the scale's order (`core.model.Grade`): the map's grade filter.
GRADE_NAMES = [g.value for g in Grade]
#: What the dashboard's weekly charts break violations down by.
BREAKDOWNS = ("party", "grade")
OUT = CATEGORY_NAMES.index(Category.out_of_scope.value)
DAY = 86400
#: Sides an incident's perpetrators can be on, besides the agreement's parties.
EXCLUDED, OTHER = "excluded", "other"
T = TypeVar("T")


class UnknownView(KeyError):
    """An agreement or reading the record does not hold."""


_CACHE: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 16


class _Flight:
    """The lock that one build of a view holds, and how many requests share it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


#: The builds under way (or waited for), by cache slot.
_FLIGHTS: dict[tuple[Any, ...], _Flight] = {}


def _fresh(slot: tuple[Any, ...], version: tuple[Any, ...]) -> tuple[bool, Any]:
    with _CACHE_LOCK:
        hit = _CACHE.get(slot)
        if hit is not None and hit[0] == version:
            _CACHE.move_to_end(slot)
            return True, hit[1]
    return False, None


def cached(repo: Record, name: str, build: Callable[[], T], *key: Any) -> T:
    """`build()`, reused while the record's `version()` stays the same, built once.

    The map layer of 100,000 incidents takes about half a second to read; a
    monitor going back and forth between the map and the dashboard should not
    pay it each time. Any ingest, agreement or zone change invalidates it.
    Requests that ask while it is being built wait for that build (one lock per
    view), so fifty requests after a write cost one build, not fifty.
    """
    version = repo.version()
    slot = (repo.url, name, *key)
    found, value = _fresh(slot, version)
    if found:
        return cast(T, value)
    with _CACHE_LOCK:
        flight = _FLIGHTS.setdefault(slot, _Flight())
        flight.users += 1
    try:
        with flight.lock:
            found, value = _fresh(slot, version)  # built while this request waited
            if found:
                return cast(T, value)
            value = build()
            with _CACHE_LOCK:
                _CACHE[slot] = (version, value)
                while len(_CACHE) > CACHE_SIZE:
                    _CACHE.popitem(last=False)
            return value
    finally:
        with _CACHE_LOCK:
            flight.users -= 1
            if not flight.users:
                del _FLIGHTS[slot]


def visible_incident(
    repo: Record, who: Principal, key: int | str, settings: Settings
) -> dict[str, Any] | None:
    """One incident with its findings, or None if absent or not for this viewer (alike).

    `key` is a row key or `source:source_id` (how allegations link incidents).
    Refused outright (`PermissionDenied`) when the viewer may read no incidents.
    """
    require(who, Action.incidents_read, settings=settings, what="incident")
    return visibility.visible_incident(repo.incidents, who, key, settings)


def incident_detail(
    repo: Record, who: Principal, key: int | str, settings: Settings
) -> dict[str, Any] | None:
    """`visible_incident` with the claims of who acted beside it and, when reports of one
    event are linked, the event: its representative and every report the viewer may see,
    with the details they may disagree on (time, place, casualty range, who acted, grade)."""
    found = visible_incident(repo, who, key, settings)
    if found is None:
        return None
    pk = int(found["pk"])
    found["claims"] = repo.review.claims_of(pk)
    event = repo.review.event_of(pk) or pk
    reports = repo.review.reports_of(event)
    found["event"] = None
    if reports:
        sight = incident_sight(who, settings)
        listed = []
        for member in [event, *reports]:
            row = repo.incidents.get(member, sight=sight)
            if row is not None:
                listed.append(_event_report(repo, row, member == event))
        if listed and listed[0]["representative"]:
            found["event"] = {"ref": listed[0]["ref"], "pk": event, "reports": listed}
    return found


def _event_report(repo: Record, row: dict[str, Any], representative: bool) -> dict[str, Any]:
    who = [f"{', '.join(ids)}" + (f" per {by}" if by else "") for by, ids in row["perpetrators"]]
    who += [
        f"{', '.join(c['actors']) or 'discounted'} per {c['claimed_by'] or 'the source'}"
        f" ({c['basis_kind']})"
        for c in repo.review.claims_of(int(row["pk"]))
        if c["status"] == "active"
    ]
    return {
        "pk": int(row["pk"]),
        "ref": f"{row['source']}:{row['source_id']}",
        "representative": representative,
        "start": row["start"],
        "end": row["end"],
        "place": row.get("place_name") or row.get("area_name") or "",
        "act": row["act"],
        "killed_low": row.get("killed_low"),
        "killed_best": row.get("killed_best"),
        "killed_high": row.get("killed_high"),
        "who": who,
        "grades": sorted({str(f.get("grade") or "undetermined") for f in row["findings"]}),
    }


#: Filters that join incidents with their findings (and so need `findings.read`).
FINDING_FILTERS = ("agreement", "reading", "category", "actor")


def list_incidents(
    repo: Record,
    who: Principal,
    *,
    settings: Settings,
    status: str = "accepted",
    start: Instant | None = None,
    end: Instant | None = None,
    bbox: BBox | None = None,
    agreement: str | None = None,
    reading: str | None = None,
    category: str | None = None,
    actor: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of incidents and, when filtered by findings, how many there are in all.

    `status="candidate"` is the review queue, `"rejected"` what reviewers turned down:
    asking for either needs `incidents.review`.
    Filtered by `agreement`, `reading`, `category` or `actor`, the incidents come
    joined with their findings (which needs `findings.read`). The page is cut in
    the database, after the visibility rule.
    """
    require(who, Action.incidents_read, settings=settings, what="incident")
    if status in ("candidate", "rejected"):
        require(who, Action.incidents_review, settings=settings, what="incident")
    sight = incident_sight(who, settings)
    where: dict[str, Any] = dict(start=start, end=end, bbox=bbox, status=status, sight=sight)
    joined = dict(agreement=agreement, reading=reading, category=category, actor=actor)
    if all(v is None for v in joined.values()):
        return repo.incidents.find(**where, limit=limit, offset=offset), None
    require(who, Action.findings_read, settings=settings, what="finding")
    where |= joined
    return repo.findings.find(**where, limit=limit, offset=offset), repo.findings.count(**where)


def list_findings(
    repo: Record,
    who: Principal,
    *,
    settings: Settings,
    agreement: str | None = None,
    reading: str | None = None,
    category: str | None = None,
    actor: str | None = None,
    start: Instant | None = None,
    end: Instant | None = None,
    bbox: BBox | None = None,
    grade: Sequence[str] | None = None,
    party: Sequence[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the findings of accepted incidents, joined with them, and their total.

    `grade` keeps the findings whose attribution has one of these grades, `party` those
    charged to one of these parties (as `ceasefire assess` names them).
    """
    require(who, Action.findings_read, settings=settings, what="finding")
    unknown = [g for g in grade or () if g not in GRADE_NAMES]
    if unknown:
        raise InputError(
            f"unknown grade {unknown[0]!r}: one of {', '.join(GRADE_NAMES)}", field="grade"
        )
    where: dict[str, Any] = dict(
        agreement=agreement, reading=reading, category=category, actor=actor,
        start=start, end=end, bbox=bbox, status="accepted", sight=incident_sight(who, settings),
    )  # fmt: skip
    if grade:
        where["grade"] = list(grade)
    if party:
        where["party"] = list(party)
    return repo.findings.find(**where, limit=limit, offset=offset), repo.findings.count(**where)


def catalogue(repo: Record, who: Principal) -> Catalogue:
    """Everything the record holds about agreements (actors, zones, terms), for a reader."""
    require(who, Action.agreements_read, what="agreement")
    return repo.agreements.catalogue()


def agreements(repo: Record, who: Principal) -> list[Agreement]:
    """Every stored agreement, in the order it was loaded."""
    require(who, Action.agreements_read, what="agreement")
    return list(repo.agreements.catalogue().agreements)


def agreement(repo: Record, who: Principal, agreement_id: str) -> Agreement:
    """One stored agreement; `UnknownView` if there is none."""
    require(who, Action.agreements_read, what="agreement")
    try:
        return repo.agreements.catalogue().agreement(agreement_id)
    except KeyError:
        raise UnknownView(f"no agreement {agreement_id!r}") from None


def agreement_and_reading(
    catalogue: Catalogue, agreement_id: str | None, reading: str | None
) -> tuple[Agreement, str]:
    """The agreement asked for (else the first) and a reading it has (else its text)."""
    if not catalogue.agreements:
        raise UnknownView("no agreements are loaded")
    try:
        agreement = catalogue.agreement(agreement_id) if agreement_id else catalogue.agreements[0]
    except KeyError:
        raise UnknownView(f"no agreement {agreement_id!r}") from None
    readings = reading_names(agreement)
    if reading and reading not in readings:
        raise UnknownView(f"agreement {agreement.id!r} has no reading {reading!r}")
    return agreement, reading or TEXT


def reading_names(agreement: Agreement) -> list[str]:
    return [TEXT, *(r.by for r in agreement.readings)]


def side_names(agreement: Agreement) -> list[str]:
    return [p.actor for p in agreement.party_list()] + [EXCLUDED, OTHER]


def _side_mask(
    perpetrators_json: str | None,
    other_side_json: str | None,
    agreement: Agreement,
    registry: ActorRegistry,
    since: dict[str, int | None],
    sides: list[str],
) -> int:
    """A bit per side any claimed perpetrator stands on under this agreement.

    A dyad (`other_side_json`: its second side) is on both sides: either may
    have acted, so it is not put on its first side alone.
    """
    mask = 0
    claims = json.loads(perpetrators_json or "[]")
    claims += [[None, json.loads(other_side_json)]] if other_side_json is not None else []
    for _by, names in claims:
        for actor in names:
            st = standing(actor, agreement, registry, since)
            if st.kind == "party":
                mask |= 1 << sides.index(st.via)
            elif st.kind == "excluded":
                mask |= 1 << sides.index(EXCLUDED)
            else:
                mask |= 1 << sides.index(OTHER)
    return mask or 1 << sides.index(OTHER)


def map_layer(
    repo: Record,
    who: Principal,
    agreement_id: str | None,
    reading: str | None,
    *,
    settings: Settings,
) -> dict[str, Any]:
    """Every accepted incident as columns, with its category under one agreement and reading.

    Columns rather than GeoJSON features keep 100,000 incidents to a few
    megabytes; the page filters them by time, side and category without asking
    again. `side` is a bit mask over `sides`; `day` is the local calendar day (days since
    1970-01-01 in the agreement's `timezone`) on which the incident's time interval starts,
    `days` how many days later it ends (0: the same day), so a period of local days holds
    it when they overlap, as `summary` counts; `grade` indexes `grades`, the
    attribution grade of the incident's finding (`undetermined` where none is stored).
    """
    _require_map(who, settings)
    return _map_layer(repo, agreement_id, reading)


@dataclass(frozen=True)
class Payload:
    """A prepared answer: its bytes, the same gzipped (built once, not per request) and a
    strong entity tag (a digest of the bytes), so that a client holding it is sent nothing."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Payload:
        digest = hashlib.sha256(body).hexdigest()[:32]
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}"')


def map_layer_payload(
    repo: Record,
    who: Principal,
    agreement_id: str | None,
    reading: str | None,
    *,
    settings: Settings,
) -> Payload:
    """`map_layer` as compact JSON, cached while the record is unchanged (checked first)."""
    _require_map(who, settings)
    return cached(
        repo,
        "map_layer",
        lambda: Payload.of(
            json.dumps(_map_layer(repo, agreement_id, reading), separators=(",", ":")).encode()
        ),
        agreement_id,
        reading,
    )


def _require_map(who: Principal, settings: Settings) -> None:
    require(who, Action.incidents_read, settings=settings, what="incident")
    require(who, Action.findings_read, settings=settings, what="finding")


def navigation(who: Principal, settings: Settings, signed_in: bool) -> list[tuple[str, str]]:
    """The pages a viewer may open, as (path, label): what the site's menu shows."""
    pages = [
        ("/map", "Map", True),
        ("/dashboard", "Compliance", can(who, Action.findings_read, settings=settings)),
        ("/reports", "Reports", can(who, Action.findings_read, settings=settings)),
        ("/agreements", "Agreements", True),
        ("/incidents/new", "Report", can(who, Action.incidents_submit, settings=settings)),
        ("/review", "Review", can(who, Action.incidents_review, settings=settings)),
        ("/cases", "Cases", signed_in or may_ever(who, Action.allegations_file)),
        ("/register", "Public register", True),
    ]
    return [(path, label) for path, label, shown in pages if shown]


def may_read_map(who: Principal, settings: Settings) -> bool:
    """Whether the map may show this viewer incidents (else it shows the zones only)."""
    return can(who, Action.incidents_read, settings=settings) and can(
        who, Action.findings_read, settings=settings
    )


def _map_layer(repo: Record, agreement_id: str | None, reading: str | None) -> dict[str, Any]:
    catalogue = repo.agreements.catalogue()
    agreement, reading = agreement_and_reading(catalogue, agreement_id, reading)
    rows = repo.incidents.points(agreement.id, reading)
    sides = side_names(agreement)
    since = party_since(agreement)
    masks: dict[tuple[str | None, str | None], int] = {}
    n = len(rows)
    pk = np.empty(n, np.int64)
    lon = np.empty(n)
    lat = np.empty(n)
    t0 = np.empty(n, np.int64)
    t1 = np.empty(n, np.int64)
    radius = np.empty(n)
    cat = np.full(n, OUT, np.int8)
    grade = np.full(n, GRADE_NAMES.index(Grade.undetermined.value), np.int8)
    side = np.empty(n, np.int64)
    index = {name: i for i, name in enumerate(CATEGORY_NAMES)}
    grades = {name: i for i, name in enumerate(GRADE_NAMES)}
    for i, row in enumerate(rows):
        key, x, y, start, end, r, perps, _killed, category, targets, directed, graded = row
        pk[i], lon[i], lat[i], radius[i] = key, x, y, r or 0.0
        t0[i], t1[i] = start, end
        if category is not None:
            cat[i] = index[category]
        if graded is not None:
            grade[i] = grades.get(graded, grade[i])
        fought = (perps, None if directed else targets)
        mask = masks.get(fought)
        if mask is None:
            mask = masks[fought] = _side_mask(*fought, agreement, catalogue.actors, since, sides)
        side[i] = mask
    win = window(agreement, _reading(agreement, reading))
    tz = zone_info(agreement.timezone)
    open_ended = win.end >= OPEN_END
    first, last = local_days(np.array([win.start, win.start if open_ended else win.end - 1]), tz)
    first_day = local_days(t0, tz)
    return {
        "agreement": agreement.id,
        "reading": reading,
        "readings": reading_names(agreement),
        "categories": CATEGORY_NAMES,
        "sides": sides,
        "timezone": agreement.timezone,
        "window": {
            "start": iso(win.start),
            "end": None if open_ended else iso(win.end),
            "first_day": int(first),
            "last_day": None if open_ended else int(last),
        },
        "count": n,
        "pk": pk.tolist(),
        "lon": np.round(lon, 4).tolist(),
        "lat": np.round(lat, 4).tolist(),
        "day": first_day.tolist(),
        "days": (local_days(np.maximum(t1 - 1, t0), tz) - first_day).tolist(),
        "radius_km": np.round(radius / 1000.0, 1).tolist(),
        "category": cat.tolist(),
        "grades": GRADE_NAMES,
        "grade": grade.tolist(),
        "side": side.tolist(),
    }


def local_days(instants: Any, tz: ZoneInfo) -> Any:
    """The local calendar day of each UTC instant (seconds), as days since 1970-01-01 there.

    What a person in the agreement's time zone calls the day: an event at 00:30 in
    Damascus on 14 November (22:30 UTC on the 13th) is on the 14th. Vectorised: the
    offset is looked up once per distinct UTC hour.
    """
    instants = np.asarray(instants, dtype=np.int64)
    if not len(instants):
        return np.zeros(0, np.int64)
    hours, inverse = np.unique(instants // 3600, return_inverse=True)
    offsets = np.fromiter(
        (
            int(dt.datetime.fromtimestamp(int(h) * 3600, tz).utcoffset().total_seconds())  # type: ignore[union-attr]
            for h in hours
        ),
        np.int64,
        len(hours),
    )
    return (instants + offsets[inverse.reshape(-1)]) // DAY


def day_bounds(
    first: dt.date | None, last: dt.date | None, tz: ZoneInfo
) -> tuple[int | None, int | None]:
    """Local dates from and to (both included) as a UTC [start, end), either side open."""
    start = local_day(first, tz)[0] if first is not None else None
    end = local_day(last, tz)[1] if last is not None else None
    if start is not None and end is not None and end <= start:
        raise InputError("the date 'to' is before 'from'", field="to")
    return start, end


def parse_day(text: str | None, field: str) -> dt.date | None:
    """A local date as a person types it (`2016-11-14`), or None when blank."""
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{field} {text!r}: a date as YYYY-MM-DD", field=field) from None


def _reading(agreement: Agreement, name: str) -> Any:
    return next((r for r in agreement.readings if r.by == name), None)


def windows(agreement: Agreement) -> list[dict[str, Any]]:
    """The window under the text and under each party's reading, in UTC."""
    out = []
    for name in reading_names(agreement):
        reading = _reading(agreement, name)
        win = window(agreement, reading)
        zones = list(reading.zones) if reading is not None and reading.zones else agreement.zones
        out.append(
            {
                "reading": name,
                "start": iso(win.start),
                "end": None if win.end >= OPEN_END else iso(win.end),
                "open_ended": win.end >= OPEN_END,
                "label": win.label,
                "zones": zones,
                "note": reading.note if reading is not None else None,
            }
        )
    return out


def zones_geojson(
    catalogue: Catalogue, who: Principal, agreement_id: str | None = None
) -> dict[str, Any]:
    """The zones of one agreement (or of all), each with the agreements that cover it."""
    require(who, Action.agreements_read, what="agreement")
    agreements = [a for a in catalogue.agreements if agreement_id is None or a.id == agreement_id]
    covering: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for agreement in agreements:
        win = window(agreement)
        for zone_id in agreement.zones:
            covering[zone_id].append(
                {
                    "agreement": agreement.id,
                    "title": agreement.title,
                    "start": iso(win.start),
                    "end": None if win.end >= OPEN_END else iso(win.end),
                }
            )
    features = []
    for zone_id, covers in covering.items():
        geometry = catalogue.zones.get(zone_id)
        if geometry is None:
            continue
        spec = catalogue.zone_specs.get(zone_id)
        features.append(
            {
                "type": "Feature",
                "id": zone_id,
                "geometry": shapely.geometry.mapping(shapely.set_precision(geometry, 1e-4)),
                "properties": {
                    "id": zone_id,
                    "name": spec.name if spec is not None else zone_id,
                    "agreements": covers,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


#: How far the drawn base map may stray from the bundled boundaries, in degrees (~100 m):
#: invisible below street level, and it halves what the browser has to tessellate.
BASE_MAP_TOLERANCE = 0.001


def base_map_json(region: Region | None = None) -> str:
    """The region's base-map layers, simplified for drawing, as one JSON object.

    The map needs no tile server: countries, admin-1 and admin-2 units come
    from the region's files (`base_map` in its region.yaml), simplified within
    `BASE_MAP_TOLERANCE`; `region` carries its name, bounds and time zone.
    """
    with _BASE_MAP_LOCK:  # built once, however many first requests ask at the same time
        return _base_map_json(region or default_region())


_BASE_MAP_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _base_map_json(region: Region) -> str:
    layers: dict[str, Any] = {"region": region.describe()}
    for name, path in region.base_layers.items():
        data = json.loads(boundary_text(path))
        for feature in data["features"]:
            shape = shapely.geometry.shape(feature["geometry"])
            drawn = shapely.simplify(shape, BASE_MAP_TOLERANCE, preserve_topology=True)
            feature["geometry"] = shapely.geometry.mapping(shapely.set_precision(drawn, 1e-4))
        layers[name] = data
    layers["places"] = place_labels(region)
    return json.dumps(layers, separators=(",", ":"))


#: From which zoom a place of the gazetteer is labelled, by kind and rank (1 = a
#: governorate's seat): the larger places first, more as the map zooms in.
LABEL_ZOOM = {("city", 1): 0.0, ("city", 2): 6.0, ("city", 3): 6.5, ("town", 2): 7.0,
              ("region", 2): 8.0, ("town", 3): 8.5, ("camp", 2): 9.5, ("town", 9): 9.5,
              ("neighbourhood", 2): 10.5, ("village", 9): 11.0}  # fmt: skip


def place_labels(region: Region) -> dict[str, list[Any]]:
    """The region's gazetteer places to label on the base map, as columns.

    `zoom` is the zoom from which each is shown (`LABEL_ZOOM`); `seat` marks the
    governorates' seats and the cities of first rank. Governorates themselves are
    areas, not labels: their seats name them.
    """
    out: dict[str, list[Any]] = {"name": [], "lon": [], "lat": [], "zoom": [], "seat": []}
    places = sorted(gazetteer(region).places.values(), key=lambda p: (p.rank, p.name))
    for place in places:
        zoom = LABEL_ZOOM.get((place.kind, place.rank))
        if zoom is None:
            continue
        out["name"].append(place.name)
        out["lon"].append(round(place.lon, 4))
        out["lat"].append(round(place.lat, 4))
        out["zoom"].append(zoom)
        out["seat"].append(place.kind == "city" and place.rank == 1)
    return out


def finding_counts(repo: Record, who: Principal, *, settings: Settings) -> list[dict[str, Any]]:
    """Per agreement and reading, how many incidents fall in each category."""
    require(who, Action.findings_read, settings=settings, what="finding")
    catalogue = repo.agreements.catalogue()
    total = repo.counts()["incidents"]
    stored: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for agreement_id, reading, category, n in repo.findings.tally():
        stored[(agreement_id, reading)][category] += int(n)
    out = []
    for agreement in catalogue.agreements:
        for name in reading_names(agreement):
            counts = stored.get((agreement.id, name), Counter())
            counts[Category.out_of_scope.value] += total - sum(counts.values())
            out.append(
                {"agreement": agreement.id, "reading": name}
                | {c: counts.get(c, 0) for c in CATEGORY_NAMES}
            )
    return out


def compliance(
    repo: Record,
    who: Principal,
    agreement_id: str | None,
    reading: str | None,
    *,
    settings: Settings,
    by: str = "party",
    weeks_before: int = 4,
    weeks_after: int = 8,
) -> dict[str, Any]:
    """Violations per week around the start, by party charged or by grade, and each zone's
    findings.

    The weeks before the start are judged as if the same terms were in force,
    the baseline a truce is measured against (see `weekly_series`). Counts are of
    events: a report linked into another's event (`event_links`) is left out, its
    event counted once by its representative. Cached while the record is
    unchanged; the viewer is checked before the cache is asked.
    """
    require(who, Action.findings_read, settings=settings, what="finding")
    if by not in BREAKDOWNS:
        raise InputError(f"by {by!r}: one of {', '.join(BREAKDOWNS)}", field="by")
    return cached(
        repo,
        "compliance",
        lambda: _compliance(repo, agreement_id, reading, by, weeks_before, weeks_after),
        agreement_id,
        reading,
        by,
        weeks_before,
        weeks_after,
        repo.review.count_links(),
    )


def _compliance(
    repo: Record,
    agreement_id: str | None,
    reading: str | None,
    by: str,
    weeks_before: int,
    weeks_after: int,
) -> dict[str, Any]:
    catalogue = repo.agreements.catalogue()
    agreement, reading = agreement_and_reading(catalogue, agreement_id, reading)
    start = window(agreement).start
    span = IncidentQuery(
        start=start - weeks_before * 7 * DAY, end=start + weeks_after * 7 * DAY, status="accepted"
    )
    linked = repo.review.count_links()
    ids = repo.review.representative_pks(**span) if linked else None
    incidents = stored_incidents(repo, ids=ids, **span)
    baseline = weekly_series(
        catalogue,
        incidents,
        agreement.id,
        weeks_before,
        weeks_after,
        by_party=by == "party",
        by_grade=by == "grade",
    )
    stored = repo.findings.weekly(
        agreement.id,
        reading,
        utc_start(agreement),
        by=by,
        representatives_only=True,
        start=int(start - weeks_before * 7 * DAY),
        end=int(start + weeks_after * 7 * DAY),
    )
    before = [
        {str(k): v for k, v in r.items()}
        for r in baseline.to_dict(orient="records")
        if r["phase"] == "before"
    ]
    weekly = _weeks(agreement, by, before, stored, weeks_after)
    return {
        "agreement": agreement.id,
        "title": agreement.title,
        "reading": reading,
        "readings": reading_names(agreement),
        "start": iso(start),
        "by": by,
        "unit": "events",
        "linked_reports": linked,
        "weekly": weekly,
        "zones": zone_table(repo, catalogue, agreement, reading),
    }


def utc_start(agreement: Agreement) -> int:
    """The agreement's start as UTC seconds (its local start in its time zone)."""
    return int(local_to_utc(agreement.start, zone_info(agreement.timezone)))


def _weeks(
    agreement: Agreement,
    by: str,
    before: list[dict[str, Any]],
    stored: list[tuple[int, str, int, float]],
    weeks_after: int,
) -> list[dict[str, Any]]:
    """One row per week and party (or grade): the baseline weeks as `weekly_series` judged
    them, the weeks in force from the stored findings of the reading (what ingest judged,
    as `ceasefire assess` judges), each key in every week."""
    found: dict[tuple[int, str], tuple[int, float]] = {}
    for w, k, n, killed in stored:  # summed: a store may hand one week and key in parts
        if 0 <= w < weeks_after:
            had_n, had_killed = found.get((w, k), (0, 0.0))
            found[(w, k)] = (had_n + n, had_killed + killed)
    if by == "grade":
        names = GRADE_NAMES
    else:
        names = sorted({str(r[by]) for r in before} | {k for _w, k in found})
        names = names or [p.actor for p in agreement.party_list()]
    had = {(int(r["week"]), str(r[by])): r for r in before}
    weeks_before = -min((int(r["week"]) for r in before), default=0)
    out = []
    for w in range(-weeks_before, weeks_after):
        first = (agreement.start.date() + dt.timedelta(weeks=w)).isoformat()
        for name in names:
            if w < 0:
                row = had.get((w, name))
                n, killed = (int(row["violations"]), float(row["killed"])) if row else (0, 0.0)
            else:
                n, killed = found.get((w, name), (0, 0.0))
            phase = "before" if w < 0 else "in force"
            out.append(
                {"week": w, "week_start": first, "phase": phase, "violations": n, "killed": killed}
                | {by: name}
            )
    return out


def zone_table(
    repo: Record, catalogue: Catalogue, agreement: Agreement, reading: str
) -> list[dict[str, Any]]:
    """Findings under one reading, counted in each of the agreement's zones: `summary`'s zone
    table (events, each in one zone, `COUNTING_RULE`), so its rows sum to the totals that
    `ceasefire assess` prints for the same data."""
    rows = _summary(repo, agreement.id, reading, None, None)["zones"]
    return [
        {"zone": r["key"], "name": r["name"], "incidents": r["events"]}
        | {"violation_deaths": r["violation_deaths"]}
        | {c: r[c] for c in IN_SCOPE}
        for r in rows
    ]


#: The categories a finding places an incident in scope by (every one but out_of_scope).
IN_SCOPE = [c for c in CATEGORY_NAMES if c != Category.out_of_scope.value]
#: How the dashboard counts, said on the page beside every table that uses it.
COUNTING_RULE = (
    "Counts are of events, each once: a report linked into another's event is counted "
    "with that event. Every table below sums to the same totals: an event is counted in "
    "the one zone (or governorate) its recorded point lies in, or, when its point lies "
    "just outside them but the engine judged it in scope (the point's uncertainty "
    "reaches inside), in the nearest one."
)


def summary(
    repo: Record,
    who: Principal,
    agreement_id: str | None,
    reading: str | None,
    *,
    settings: Settings,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> dict[str, Any]:
    """The findings of one agreement and reading counted one way: totals per category and the
    same totals by zone, by governorate and by act, between two local dates (both included).

    Counts are of events (`COUNTING_RULE`); without dates and without linked reports
    they are `ceasefire assess`'s figures for the same data. An incident counts in the
    period when its time interval overlaps it (the local days in the agreement's time zone).
    Cached while the record is unchanged; the viewer is checked first.
    """
    require(who, Action.findings_read, settings=settings, what="finding")
    return cached(
        repo,
        "summary",
        lambda: _summary(repo, agreement_id, reading, first, last),
        agreement_id,
        reading,
        first,
        last,
        repo.review.count_links(),
    )


def _summary(
    repo: Record,
    agreement_id: str | None,
    reading: str | None,
    first: dt.date | None,
    last: dt.date | None,
) -> dict[str, Any]:
    catalogue = repo.agreements.catalogue()
    agreement, reading = agreement_and_reading(catalogue, agreement_id, reading)
    tz = zone_info(agreement.timezone)
    start, end = day_bounds(first, last, tz)
    span = IncidentQuery(start=start, end=end, status="accepted")
    events = len(repo.review.representative_pks(**span))
    rows = [
        r
        for r in repo.findings.find(
            agreement=agreement.id, reading=reading, representatives_only=True, limit=None, **span
        )
        if r["category"] in IN_SCOPE
    ]
    lon = np.fromiter((r["lon"] for r in rows), float, len(rows))
    lat = np.fromiter((r["lat"] for r in rows), float, len(rows))
    cats = np.array([r["category"] for r in rows], dtype=object)
    killed = np.array([r.get("killed_best") or 0.0 for r in rows], dtype=float)
    zone_ids = [z for z in agreement.zones if catalogue.zones.get(z) is not None]
    zone_of = _nearest_shape([catalogue.zones[z] for z in zone_ids], lon, lat)
    gov_names, gov_shapes = _governorates(workspace_region(repo))
    gov_of = _nearest_shape(gov_shapes, lon, lat)
    acts = sorted({str(r["act"]) for r in rows})
    act_of = np.array([acts.index(str(r["act"])) for r in rows], dtype=np.int64)

    def table(keys: list[tuple[str, str]], of: Any) -> list[dict[str, Any]]:
        out = []
        for i, (key, name) in enumerate(keys):
            inside = of == i
            counts = Counter(cats[inside].tolist())
            out.append(
                {"key": key, "name": name, "events": int(inside.sum())}
                | {c: int(counts.get(c, 0)) for c in IN_SCOPE}
                | {"violation_deaths": float(killed[inside & (cats == "violation")].sum())}
            )
        return out

    spec = catalogue.zone_specs
    zones = [(z, spec[z].name if z in spec else z) for z in zone_ids]
    totals = Counter(cats.tolist())
    in_scope = int(len(rows))
    return {
        "agreement": agreement.id,
        "reading": reading,
        "timezone": agreement.timezone,
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
        "unit": "events",
        "rule": COUNTING_RULE,
        "events": events,
        "totals": {c: int(totals.get(c, 0)) for c in IN_SCOPE}
        | {Category.out_of_scope.value: max(events - in_scope, 0)},
        "violation_deaths": float(killed[cats == "violation"].sum()) if len(rows) else 0.0,
        "zones": table(zones, zone_of),
        "governorates": [r for r in table([(n, n) for n in gov_names], gov_of) if r["events"]],
        "acts": table([(a, a.replace("_", " ")) for a in acts], act_of),
    }


def _nearest_shape(shapes: Sequence[Any], lon: Any, lat: Any) -> Any:
    """For each point, the index of the first shape that holds it, else of the nearest."""
    n = len(lon)
    if not shapes or not n:
        return np.full(n, -1, np.int64)
    holder = np.full(n, -1, np.int64)
    for i, shape in enumerate(shapes):
        inside = shapely.intersects_xy(shape, lon, lat) & (holder < 0)
        holder[inside] = i
    loose = holder < 0
    if loose.any():
        points = shapely.points(lon[loose], lat[loose])
        far = np.vstack([shapely.distance(shape, points) for shape in shapes])
        holder[loose] = far.argmin(axis=0)
    return holder


@lru_cache(maxsize=4)
def _governorates(region: Region) -> tuple[list[str], list[Any]]:
    """The region's admin-1 units (names and shapes), from its base map's boundaries."""
    path = region.base_layers.get("admin1")
    if path is None:
        return [], []
    data = json.loads(boundary_text(path))
    names, shapes = [], []
    for feature in data["features"]:
        props = feature.get("properties") or {}
        names.append(str(props.get("NAME_EN") or props.get("name") or props.get("PCODE")))
        shape = shapely.geometry.shape(feature["geometry"])
        shapely.prepare(shape)
        shapes.append(shape)
    return names, shapes


def export_links(kind: str, formats: Sequence[str], **filters: Any) -> list[dict[str, str]]:
    """Links to the exports of `kind` in each format, with the page's filters in force.

    Blank filters are left out; `True`/`False` are written `true`/`false`; a list
    repeats its parameter. The downloads themselves are the exports API's.
    """
    params: list[tuple[str, str]] = []
    for key, value in filters.items():
        if value is None or value == "" or value == []:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            text = ("true" if v else "false") if isinstance(v, bool) else str(v)
            params.append((key.removesuffix("_"), text))
    query = urlencode(params)
    return [
        {"format": f, "url": f"/api/v1/exports/{kind}.{f}" + (f"?{query}" if query else "")}
        for f in formats
    ]


#: What each page offers to download, and in which formats (the exports API's routes).
EXPORT_FORMATS = {
    "findings": ("csv", "geojson", "parquet"),
    "incidents": ("csv", "geojson", "parquet"),
    "dashboard": ("csv", "parquet"),
    "cases": ("csv", "parquet"),
}


def map_exports(agreement_id: str, reading: str) -> list[dict[str, str]]:
    """The map's downloads at its default view: in scope, the page's script adds its period."""
    return export_links(
        "incidents", EXPORT_FORMATS["incidents"], agreement=agreement_id, reading=reading,
        in_scope=True,
    )  # fmt: skip


def dashboard_exports(
    agreement_id: str, reading: str, first: dt.date | None, last: dt.date | None
) -> dict[str, list[dict[str, str]]]:
    """The dashboard's downloads with its agreement, reading and period: its tables, and the
    in-scope findings they count."""
    period = {
        "from_": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
    }
    return {
        "dashboard": export_links(
            "dashboard", EXPORT_FORMATS["dashboard"], agreement=agreement_id, reading=reading,
            **period,
        ),
        "findings": export_links(
            "findings", EXPORT_FORMATS["findings"], agreement=agreement_id, reading=reading,
            **period, in_scope=True,
        ),
    }  # fmt: skip


def agreement_exports(agreement_id: str) -> list[dict[str, str]]:
    """An agreement page's downloads: its findings in scope, under every reading."""
    return export_links(
        "findings", EXPORT_FORMATS["findings"], agreement=agreement_id, in_scope=True
    )


def case_exports(status: str | None, agreement_id: str | None) -> list[dict[str, str]]:
    """The case queue's downloads, with its status and agreement filters."""
    return export_links("cases", EXPORT_FORMATS["cases"], status=status, agreement=agreement_id)


def agreement_timezone(repo: Record, who: Principal, agreement_id: str | None) -> str | None:
    """The IANA time zone an agreement's dates are read in (None when the record has no such
    agreement: pages then use the region's)."""
    if not agreement_id:
        return None
    try:
        return agreement(repo, who, agreement_id).timezone
    except UnknownView:
        return None


def reading_differences(
    repo: Record, who: Principal, agreement_id: str, *, settings: Settings, limit: int = 500
) -> dict[str, Any]:
    """Accepted incidents whose category differs between readings: where the dispute matters.

    Cached like the map (one build however many ask); the viewer is checked first.
    """
    require(who, Action.findings_read, settings=settings, what="finding")
    return cached(
        repo,
        "differences",
        lambda: _reading_differences(repo, agreement_id, limit),
        agreement_id,
        limit,
    )


def _reading_differences(repo: Record, agreement_id: str, limit: int) -> dict[str, Any]:
    catalogue = repo.agreements.catalogue()
    agreement, _ = agreement_and_reading(catalogue, agreement_id, None)
    names = reading_names(agreement)
    by_incident: dict[int, dict[str, str]] = defaultdict(dict)
    for pk, reading, category in repo.findings.by_reading(agreement.id):
        by_incident[int(pk)][reading] = category
    differing = []
    for pk, found in by_incident.items():
        cats = {name: found.get(name, Category.out_of_scope.value) for name in names}
        if len(set(cats.values())) > 1:
            differing.append((pk, cats))
    shown = differing[:limit]
    labels = repo.incidents.labels(pk for pk, _cats in shown)
    unknown = {"id": "", "start": None, "place": ""}
    items = [{"pk": pk, **labels.get(pk, unknown), "categories": cats} for pk, cats in shown]
    summary = Counter(tuple(c[n] for n in names) for _pk, c in differing)
    return {
        "agreement": agreement.id,
        "readings": names,
        "total": len(differing),
        "patterns": [
            {"categories": dict(zip(names, key, strict=True)), "incidents": n}
            for key, n in summary.most_common()
        ],
        "items": items,
    }


def agreement_view(catalogue: Catalogue, who: Principal, agreement_id: str) -> dict[str, Any]:
    """An agreement's terms as a reader needs them: who, from when, where, except whom."""
    require(who, Action.agreements_read, what="agreement")
    agreement, _ = agreement_and_reading(catalogue, agreement_id, None)
    registry = catalogue.actors

    def name(actor_id: str) -> str:
        actor = registry.actors.get(actor_id)
        return actor.name if actor is not None else actor_id

    parties = [
        {
            "actor": p.actor,
            "name": name(p.actor),
            "since": p.since.isoformat() if p.since else None,
            "note": p.note,
        }
        for p in agreement.party_list()
    ]
    excluded = [{"actor": a, "name": name(a)} for a in agreement.excluded_ids()]
    designated = [{"designated_by": d} for d in agreement.excluded_designators()]
    return {
        "id": agreement.id,
        "title": agreement.title,
        "kind": agreement.kind,
        "timezone": agreement.timezone,
        "start_local": agreement.start.strftime("%Y-%m-%d %H:%M"),
        "parties": parties,
        "excluded": excluded,
        "excluded_designations": designated,
        "guarantors": [{"actor": g, "name": name(g)} for g in agreement.guarantors],
        "adjudicators": [{"actor": a, "name": name(a)} for a in agreement.adjudicators],
        "prohibited": [a.value for a in agreement.prohibited],
        "permitted": [a.value for a in agreement.permitted],
        "windows": windows(agreement),
        "zones": [
            {
                "id": z,
                "name": catalogue.zone_specs[z].name if z in catalogue.zone_specs else z,
            }
            for z in agreement.zones
        ],
        "source": agreement.source.model_dump(mode="json") if agreement.source else None,
        "note": agreement.note,
        "ruling_due_days": agreement.ruling_due_days,
    }
