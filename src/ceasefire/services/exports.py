"""Exports of what the map, the dashboard, the agreement page and the case queue show.

Each function checks who asks and every parameter at once, in the request's own
unit of work, and returns an `Export`: its columns and a generator of batches
that opens a unit of work of its own (`reopen`) when the first batch is asked
for and closes it after the last. Nothing is refused once bytes have been sent,
and nothing is built whole: rows come from `storage.exports_store` a few thousand
at a time and leave, encoded by `formats.exports`, before the next are read.

The four exports (columns, in order, below):

- `findings`: what `/api/v1/findings` lists for the same filters (and, with
  `zone`, inside that zone; with `in_scope`, not `out_of_scope`), one row per
  incident, agreement and reading, in the listing's order. Needs `findings.read`;
  only incidents the viewer may see (accepted ones).
- `incidents`: what the map draws: every accepted incident with its finding
  under one agreement and reading (the first agreement and its text if not
  named); an incident with no stored finding is `out_of_scope` with probability 0.
  Needs `incidents.read` and `findings.read`, as the map does.
- `dashboard`: the weekly series the dashboard charts (violations per week by
  party charged and by attribution grade, `views.compliance`) and its tables
  (`views.summary`: events in the period by category, in all and by zone,
  governorate and act), as one tidy table.
- `cases`: the case queue the viewer may see (`cases.list_allegations`: the
  viewer's party's cases at any stage, others once published; everything for an
  adjudicator or admin), oldest first.

`from`/`to` are local calendar dates in the agreement's time zone, both included:
an incident counts when its interval overlaps [from 00:00, the day after `to`
00:00), as `/api/v1/findings?start=&end=` counts. Times are given in UTC
(`2016-04-29T21:00Z`, as the API writes them) and in the agreement's local time
(`2016-04-30T00:00+03:00`), with UTC seconds beside them (`t0`, `t1`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from ceasefire.core.engine import TEXT
from ceasefire.core.errors import InputError
from ceasefire.core.model import Agreement, Category
from ceasefire.core.policy import Action, Principal, Settings, require
from ceasefire.core.timing import iso, local_day, zone_info
from ceasefire.formats.agreements import Catalogue
from ceasefire.formats.exports import MEDIA_TYPES, Column, encode
from ceasefire.services import cases as case_service
from ceasefire.services import views
from ceasefire.services.visibility import incident_sight
from ceasefire.storage.cases import STATUSES as CASE_STATUSES
from ceasefire.storage.exports_store import (
    BATCH,
    FINDING_COLUMNS,
    MAP_COLUMNS,
    ExportStore,
)
from ceasefire.storage.record import Record

Row = tuple[Any, ...]
Batch = list[Row]
#: What opens the unit of work an export streams in (the app's `Workspace.record`).
Opener = Callable[[], AbstractContextManager[Record]]
CaseOpener = Callable[[], AbstractContextManager[case_service.CaseContext]]

#: The formats of each export.
FORMATS: dict[str, tuple[str, ...]] = {
    "findings": ("csv", "geojson", "parquet"),
    "incidents": ("csv", "geojson", "parquet"),
    "dashboard": ("csv", "parquet"),
    "cases": ("csv", "parquet"),
}
#: Allegations read per page of the case queue while it streams.
CASE_PAGE = 500
#: The most weeks a dashboard export spans on either side of the agreement's start.
MAX_WEEKS = 520
WEEK = 7 * 86400
#: The dashboard's default span around the start, as its page shows it.
WEEKS_BEFORE, WEEKS_AFTER = 4, 8
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUT_OF_SCOPE = Category.out_of_scope.value
IN_SCOPE = [c for c in views.CATEGORY_NAMES if c != OUT_OF_SCOPE]


class BadParameter(InputError):
    """A parameter of an export that cannot be honoured; `parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(message, location=f"parameter {parameter!r}")


# --- the columns ---------------------------------------------------------------------------

#: An incident as every row of the findings and incidents exports carries it.
INCIDENT_FIELDS = (
    Column("agreement", doc="the agreement judged against"),
    Column("reading", doc="the reading of its terms (`text`, or a party's)"),
    Column("incident_pk", "int", "the incident's row key (`/api/v1/incidents/{pk}`)"),
    Column("incident", doc="the incident's stable id, `source:source_id`"),
    Column("event_pk", "int", "the row key of the event's representative report, if linked"),
    Column("event", doc="the event's id (`source:source_id` of its representative), if linked"),
    Column("category", doc="the finding's category"),
    Column("probability", "float", "the finding's probability"),
    Column("party", doc="the party charged (as `ceasefire assess` names it)"),
    Column("grade", doc="the attribution's grade (Airwars scale)"),
    Column("act", doc="the kind of act"),
    Column("perpetrators", doc="who acted, as claimed (`ids per claimant`, `; ` between)"),
    Column("targets", doc="who or what was hit (`, ` between)"),
    Column("start_utc", doc="start of the incident's interval, UTC"),
    Column("end_utc", doc="end of the interval (exclusive), UTC"),
    Column("start_local", doc="start, in the agreement's time zone"),
    Column("end_local", doc="end, in the agreement's time zone"),
    Column("timezone", doc="the agreement's IANA time zone"),
    Column("t0", "int", "start, UTC seconds"),
    Column("t1", "int", "end, UTC seconds"),
    Column("time_precision", doc="exact, day, week, month, range"),
    Column("place", doc="the place name (or the area's name)"),
    Column("admin1", doc="the source's admin-1 name"),
    Column("admin2", doc="the source's admin-2 name"),
    Column("lon", "float", "longitude, WGS84"),
    Column("lat", "float", "latitude, WGS84"),
    Column("radius_m", "float", "uncertainty of the place, metres"),
    Column("killed_low", "float", "deaths, low estimate"),
    Column("killed_best", "float", "deaths, best estimate"),
    Column("killed_high", "float", "deaths, high estimate"),
    Column("source", doc="the dataset or source"),
    Column("source_id", doc="the source's own id"),
)
FINDING_EXPORT = (*INCIDENT_FIELDS, Column("reasons", doc="the engine's reasoning trace"))
INCIDENT_EXPORT = INCIDENT_FIELDS
DASHBOARD_EXPORT = (
    Column("table", doc="`weekly` (the charts), `totals`, `zones`, `governorates`, `acts`"),
    Column("agreement"),
    Column("reading"),
    Column("breakdown", doc="weekly: `party` or `grade`; the tables: empty"),
    Column("key", doc="weekly: the party or grade; zones: the zone's id; the governorate, act"),
    Column("name", doc="the zone's (governorate's, act's) name"),
    Column("week", "int", "weeks since the agreement's start (negative: before it)"),
    Column("week_start", doc="the week's first local day"),
    Column("week_start_utc", doc="the week's start, UTC"),
    Column("phase", doc="`before` (the baseline) or `in force`"),
    Column("category", doc="weekly: `violation`; the tables: each category, `any` for all"),
    Column("count", "int", "events (a report linked into another's event is not counted)"),
    Column("killed", "float", "deaths (weekly; the tables: in violations, on that row)"),
)
CASE_EXPORT = (
    Column("id", doc="the allegation's id"),
    Column("agreement"),
    Column("complainant"),
    Column("respondent"),
    Column("status"),
    Column("filed_at_utc"),
    Column("filed_at_local", doc="in the agreement's time zone"),
    Column("due_at_utc", doc="when the ruling is due"),
    Column("due_at_local"),
    Column("timezone"),
    Column("overdue", "bool"),
    Column("outcome", doc="the ruling's outcome, where the viewer may read it"),
)


@dataclass(frozen=True)
class Export:
    """An export checked and ready to stream: `chunks()` yields its bytes in `fmt`."""

    name: str
    fmt: str
    columns: tuple[Column, ...]
    batches: Callable[[], Iterator[Batch]]
    label: str = ""
    feature_id: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]

    @property
    def filename(self) -> str:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.label).strip("_")
        return f"{self.name}{'-' + safe if safe else ''}.{self.fmt}"

    def chunks(self) -> Iterator[bytes]:
        return encode(self.fmt, self.columns, self.batches(), feature_id=self.feature_id)


def check_format(name: str, fmt: str) -> str:
    """`fmt` if export `name` is written in it, else `BadParameter('format')`."""
    if name not in FORMATS:
        raise BadParameter("export", f"no export {name!r}: one of {', '.join(FORMATS)}")
    if fmt not in FORMATS[name]:
        raise BadParameter(
            "format", f"the {name} export is written as {', '.join(FORMATS[name])}, not {fmt!r}"
        )
    return fmt


# --- parameters ----------------------------------------------------------------------------


def local_date(text: str | None, name: str) -> dt.date | None:
    """A `YYYY-MM-DD` date, else `BadParameter(name)`."""
    if text is None or text == "":
        return None
    try:
        if not DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadParameter(name, f"{text!r} is not a date (YYYY-MM-DD)") from None


def period(
    date_from: str | None, date_to: str | None, tz: ZoneInfo
) -> tuple[int | None, int | None]:
    """[start, end) in UTC seconds of the local days `from`..`to`, both included."""
    first, last = local_date(date_from, "from"), local_date(date_to, "to")
    if first is not None and last is not None and last < first:
        raise BadParameter("to", f"{last.isoformat()} is before from {first.isoformat()}")
    start = None if first is None else local_day(first, tz)[0]
    end = None if last is None else local_day(last, tz)[1]
    return start, end


def _agreement(catalogue: Catalogue, agreement_id: str | None) -> Agreement | None:
    if agreement_id is None or agreement_id == "":
        return None
    try:
        return catalogue.agreement(agreement_id)
    except KeyError:
        known = ", ".join(a.id for a in catalogue.agreements) or "none are loaded"
        raise BadParameter("agreement", f"no agreement {agreement_id!r} ({known})") from None


def _reading(catalogue: Catalogue, agreement: Agreement | None, reading: str | None) -> str | None:
    if reading is None or reading == "":
        return None
    pool = [agreement] if agreement is not None else list(catalogue.agreements)
    names = sorted({n for a in pool for n in views.reading_names(a)})
    if reading not in names:
        whose = f"agreement {agreement.id!r} has" if agreement is not None else "no agreement has"
        raise BadParameter("reading", f"{whose} the reading {reading!r} ({', '.join(names)})")
    return reading


def _one_of(values: Sequence[str] | None, allowed: Sequence[str], name: str) -> list[str] | None:
    if not values:
        return None
    for value in values:
        if value not in allowed:
            raise BadParameter(name, f"unknown {name} {value!r}: one of {', '.join(allowed)}")
    return list(values)


def _limit(limit: int | None) -> int | None:
    if limit is not None and limit < 1:
        raise BadParameter("limit", "at least 1 row (leave it out for every row)")
    return limit


def _zones_tz(catalogue: Catalogue, agreement: Agreement | None) -> ZoneInfo:
    """The time zone local dates are read in: the agreement's, else the one all share."""
    if agreement is not None:
        return zone_info(agreement.timezone)
    zones = {a.timezone for a in catalogue.agreements}
    if len(zones) > 1:
        raise BadParameter(
            "agreement",
            "from and to are local dates: name the agreement whose time zone they are in "
            f"(the agreements here use {', '.join(sorted(zones))})",
        )
    return zone_info(zones.pop()) if zones else ZoneInfo("UTC")


# --- rows ----------------------------------------------------------------------------------


def _who(perpetrators: str | None) -> str:
    claims = json.loads(perpetrators or "[]")
    return "; ".join(", ".join(ids) + (f" per {by}" if by else "") for by, ids in claims)


def _targets(targets: str | None) -> str:
    return ", ".join(json.loads(targets or "[]"))


class _Clock:
    """Times in UTC and in each agreement's zone, each zone looked up once."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.names = {a.id: a.timezone for a in catalogue.agreements}
        self.zones: dict[str, ZoneInfo] = {}

    def zone(self, agreement_id: str) -> tuple[str, ZoneInfo]:
        name = self.names.get(agreement_id, "UTC")
        tz = self.zones.get(name)
        if tz is None:
            tz = self.zones[name] = zone_info(name)
        return name, tz

    @staticmethod
    def local(instant: int, tz: ZoneInfo) -> str:
        return dt.datetime.fromtimestamp(instant, tz).isoformat(timespec="minutes")


def _event(pk: int, ref: str, event_pk: Any, source: Any, ident: Any, has: Any) -> tuple[Any, str]:
    if event_pk is not None:
        return (int(event_pk), f"{source}:{ident}") if source is not None else (None, "")
    return (pk, ref) if has else (None, "")


def _incident_row(
    r: dict[str, Any], clock: _Clock, agreement_id: str, reading: str, reasons: bool
) -> Row:
    """One export row from a store row (by column name); a missing finding is out of scope."""
    pk = int(r["incident_pk"])
    ref = f"{r['source']}:{r['source_id']}"
    event_pk, event = _event(
        pk, ref, r["event_pk"], r["event_source"], r["event_source_id"], r["has_reports"]
    )
    name, tz = clock.zone(agreement_id)
    t0, t1 = int(r["t0"]), int(r["t1"])
    found = r["category"] is not None
    row: Row = (
        agreement_id, reading, pk, ref, event_pk, event,
        r["category"] if found else OUT_OF_SCOPE,
        float(r["probability"]) if found else 0.0,
        (r["party"] or "") if found else "",
        (r["grade"] or "undetermined") if found else "undetermined",
        r["act"], _who(r["perpetrators"]), _targets(r["targets"]),
        iso(t0), iso(t1), clock.local(t0, tz), clock.local(t1, tz), name, t0, t1,
        r["time_precision"] or "", r["place_name"] or r["area_name"] or "",
        r["admin1"] or "", r["admin2"] or "", r["lon"], r["lat"], r["radius_m"],
        r["killed_low"], r["killed_best"], r["killed_high"], r["source"], r["source_id"],
    )  # fmt: skip
    return (*row, r["reasons"] or "") if reasons else row


def _capped(batches: Iterator[Batch], limit: int | None) -> Iterator[Batch]:
    """At most `limit` rows in all (None: every row); the source is closed when done."""
    left = limit
    try:
        for batch in batches:
            if left is not None:
                batch = batch[:left]
                left -= len(batch)
            if batch:
                yield batch
            if left is not None and left <= 0:
                return
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def _inside(batch: Batch, geometry: Any, x: int, y: int) -> Batch:
    if not batch or geometry is None:
        return batch
    lon = np.fromiter((r[x] for r in batch), float, len(batch))
    lat = np.fromiter((r[y] for r in batch), float, len(batch))
    keep = shapely.intersects_xy(geometry, lon, lat)
    return [r for r, k in zip(batch, keep.tolist(), strict=True) if k]


# --- findings ------------------------------------------------------------------------------


def findings(
    rec: Record,
    who: Principal,
    fmt: str,
    *,
    settings: Settings,
    reopen: Opener,
    agreement: str | None = None,
    reading: str | None = None,
    category: Sequence[str] | None = None,
    party: Sequence[str] | None = None,
    grade: Sequence[str] | None = None,
    zone: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    in_scope: bool = False,
    limit: int | None = None,
    batch: int = BATCH,
) -> Export:
    """The findings of accepted incidents the viewer may see, filtered as `/api/v1/findings`.

    Columns: `FINDING_EXPORT` (`INCIDENT_FIELDS` and the reasoning trace). `category`,
    `party` and `grade` keep rows with any of the values given; `zone` those whose point
    lies in the zone (boundary included); `in_scope` drops `out_of_scope` findings.
    """
    check_format("findings", fmt)
    require(who, Action.findings_read, settings=settings, what="finding")
    catalogue = rec.agreements.catalogue()
    chosen = _agreement(catalogue, agreement)
    reading = _reading(catalogue, chosen, reading)
    categories = _one_of(category, views.CATEGORY_NAMES, "category")
    grades = _one_of(grade, views.GRADE_NAMES, "grade")
    if in_scope:
        categories = [c for c in (categories or views.CATEGORY_NAMES) if c != OUT_OF_SCOPE]
    geometry = None
    if zone:
        geometry = catalogue.zones.get(zone)
        if geometry is None:
            known = ", ".join(chosen.zones if chosen is not None else catalogue.zones)
            raise BadParameter("zone", f"no zone {zone!r} ({known})")
    start, end = (None, None)
    if date_from or date_to:
        start, end = period(date_from, date_to, _zones_tz(catalogue, chosen))
    where: dict[str, Any] = dict(
        agreement=chosen.id if chosen is not None else None, reading=reading,
        start=start, end=end, status="accepted", sight=incident_sight(who, settings),
    )  # fmt: skip
    if categories is not None:
        where["category"] = categories
    if grades:
        where["grade"] = grades
    if party:
        where["party"] = list(party)
    if geometry is not None:
        where["bbox"] = tuple(float(v) for v in geometry.bounds)
    rows = _finding_batches(reopen, catalogue, where, geometry, batch)
    return Export(
        "findings", fmt, FINDING_EXPORT, lambda: _capped(rows(), _limit(limit)),
        label="-".join(v for v in (agreement, reading) if v), feature_id=None,
        filters={k: v for k, v in where.items() if k != "sight"},
    )  # fmt: skip


def _finding_batches(
    reopen: Opener, catalogue: Catalogue, where: dict[str, Any], geometry: Any, batch: int
) -> Callable[[], Iterator[Batch]]:
    names = FINDING_COLUMNS
    clock = _Clock(catalogue)
    columns = [c.name for c in FINDING_EXPORT]
    x, y = columns.index("lon"), columns.index("lat")

    def batches() -> Iterator[Batch]:
        with reopen() as rec:
            for part in ExportStore(rec.session).findings(batch=batch, **where):
                rows = []
                for raw in part:
                    r = dict(zip(names, raw, strict=True))
                    rows.append(_incident_row(r, clock, r["agreement_id"], r["reading"], True))
                yield _inside(rows, geometry, x, y)

    return batches


# --- incidents (the map) -------------------------------------------------------------------


def incidents(
    rec: Record,
    who: Principal,
    fmt: str,
    *,
    settings: Settings,
    reopen: Opener,
    agreement: str | None = None,
    reading: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    in_scope: bool = False,
    limit: int | None = None,
    batch: int = BATCH,
) -> Export:
    """What the map draws: every accepted incident with its finding under one reading.

    Columns: `INCIDENT_EXPORT`; the GeoJSON feature's id is the incident's row key.
    `in_scope` leaves out incidents that are out of scope (no finding, or `out_of_scope`).
    """
    check_format("incidents", fmt)
    require(who, Action.incidents_read, settings=settings, what="incident")
    require(who, Action.findings_read, settings=settings, what="finding")
    catalogue = rec.agreements.catalogue()
    chosen = _agreement(catalogue, agreement)
    name = _reading(catalogue, chosen, reading)
    if chosen is None:
        if not catalogue.agreements:
            raise BadParameter("agreement", "no agreements are loaded")
        chosen = catalogue.agreements[0]
        name = _reading(catalogue, chosen, reading)
    name = name or TEXT
    start, end = period(date_from, date_to, zone_info(chosen.timezone))
    sight = incident_sight(who, settings)
    clock = _Clock(catalogue)
    agreement_id = chosen.id

    def batches() -> Iterator[Batch]:
        with reopen() as rec:
            store = ExportStore(rec.session)
            for part in store.map_rows(
                agreement_id, name, start=start, end=end, sight=sight,
                in_scope=IN_SCOPE if in_scope else None, batch=batch,
            ):  # fmt: skip
                yield [
                    _incident_row(dict(zip(MAP_COLUMNS, raw, strict=True)), clock,
                                  agreement_id, name, False)
                    for raw in part
                ]  # fmt: skip

    return Export(
        "incidents", fmt, INCIDENT_EXPORT, lambda: _capped(batches(), _limit(limit)),
        label=f"{agreement_id}-{name}", feature_id="incident_pk",
        filters=dict(agreement=agreement_id, reading=name, start=start, end=end,
                     in_scope=in_scope),
    )  # fmt: skip


# --- the dashboard -------------------------------------------------------------------------


def dashboard(
    rec: Record,
    who: Principal,
    fmt: str,
    *,
    settings: Settings,
    reopen: Opener,
    agreement: str | None = None,
    reading: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> Export:
    """The dashboard's weekly series (by party and by grade) and its zone table, as rows.

    Columns: `DASHBOARD_EXPORT`. Without `from`/`to`, the weeks the dashboard shows
    (4 before the start, 8 in force); with them, every week overlapping the days
    `from`..`to` (at most `MAX_WEEKS` on either side of the start); the tables count
    the events overlapping those days, as the dashboard's do.
    """
    check_format("dashboard", fmt)
    require(who, Action.findings_read, settings=settings, what="finding")
    catalogue = rec.agreements.catalogue()
    chosen = _agreement(catalogue, agreement) or (
        catalogue.agreements[0] if catalogue.agreements else None
    )
    if chosen is None:
        raise BadParameter("agreement", "no agreements are loaded")
    name = _reading(catalogue, chosen, reading) or TEXT
    start, end = period(date_from, date_to, zone_info(chosen.timezone))
    origin = views.utc_start(chosen)
    before = WEEKS_BEFORE if start is None else max(0, math.ceil((origin - start) / WEEK))
    after = WEEKS_AFTER if end is None else max(0, math.ceil((end - origin) / WEEK))
    if before > MAX_WEEKS or after > MAX_WEEKS:
        raise BadParameter(
            "from" if before > MAX_WEEKS else "to",
            f"a dashboard export spans at most {MAX_WEEKS} weeks either side of the start",
        )
    span = (start, end, before, after)
    days = (local_date(date_from, "from"), local_date(date_to, "to"))
    agreement_id, terms = chosen.id, chosen

    def batches() -> Iterator[Batch]:
        with reopen() as rec:
            yield _weekly_rows(rec, who, settings, terms, name, origin, span)
            yield _summary_rows(rec, who, settings, terms, name, days)

    return Export(
        "dashboard", fmt, DASHBOARD_EXPORT, batches, label=f"{agreement_id}-{name}",
        filters=dict(agreement=agreement_id, reading=name, start=start, end=end),
    )  # fmt: skip


def _weekly_rows(
    rec: Record,
    who: Principal,
    settings: Settings,
    agreement: Agreement,
    reading: str,
    origin: int,
    span: tuple[int | None, int | None, int, int],
) -> Batch:
    start, end, before, after = span
    rows: Batch = []
    for by in views.BREAKDOWNS:
        shown = views.compliance(
            rec, who, agreement.id, reading, settings=settings, by=by,
            weeks_before=before, weeks_after=after,
        )  # fmt: skip
        for w in shown["weekly"]:
            first = origin + int(w["week"]) * WEEK
            if (start is not None and first + WEEK <= start) or (end is not None and first >= end):
                continue
            row = (
                "weekly", agreement.id, reading, by, str(w[by]), "", int(w["week"]),
                w["week_start"], iso(first), w["phase"], Category.violation.value,
                int(w["violations"]), float(w["killed"]),
            )  # fmt: skip
            rows.append(row)
    return rows


#: The dashboard's tables of `views.summary`, by what they count events by.
SUMMARY_TABLES = ("zones", "governorates", "acts")


def _summary_rows(
    rec: Record,
    who: Principal,
    settings: Settings,
    agreement: Agreement,
    reading: str,
    days: tuple[dt.date | None, dt.date | None],
) -> Batch:
    """The dashboard's tables (`views.summary`: events in the period, each counted once):
    its totals, and the same by zone, governorate and act, a row per key and category."""
    shown = views.summary(
        rec, who, agreement.id, reading, settings=settings, first=days[0], last=days[1]
    )
    rows: Batch = []

    def add(
        table: str, key: str, name: str, events: int, counts: dict[str, Any], dead: float
    ) -> None:
        head = (table, agreement.id, reading, "", key, name, None, None, None, None)
        rows.append((*head, "any", int(events), None))
        for c in (*IN_SCOPE, OUT_OF_SCOPE):
            if c in counts:
                killed = float(dead) if c == Category.violation.value else None
                rows.append((*head, c, int(counts[c]), killed))

    add("totals", "", "", shown["events"], shown["totals"], shown["violation_deaths"])
    for table in SUMMARY_TABLES:
        for r in shown[table]:
            add(table, str(r["key"]), str(r["name"]), r["events"], r, r["violation_deaths"])
    return rows


# --- the case queue ------------------------------------------------------------------------


def case_queue(
    ctx: case_service.CaseContext,
    who: Principal | None,
    fmt: str,
    *,
    reopen: CaseOpener,
    status: str | None = None,
    agreement: str | None = None,
) -> Export:
    """The allegations the viewer may see (`cases.list_allegations`), oldest first.

    Columns: `CASE_EXPORT`; times in UTC and in the agreement's time zone.
    """
    check_format("cases", fmt)
    if status:
        _one_of([status], CASE_STATUSES, "status")
    catalogue = ctx.rec.agreements.catalogue()
    chosen = _agreement(catalogue, agreement)
    agreement_id, wanted = (chosen.id if chosen else None), (status or None)
    clock = _Clock(catalogue)

    def batches() -> Iterator[Batch]:
        with reopen() as ctx:
            offset = 0
            while True:
                page = case_service.list_allegations(
                    ctx, who, agreement_id=agreement_id, status=wanted, limit=CASE_PAGE,
                    offset=offset,
                )  # fmt: skip
                if not page:
                    return
                yield [_case_row(c, clock) for c in page]
                offset += len(page)

    return Export(
        "cases", fmt, CASE_EXPORT, batches, label="-".join(v for v in (agreement, status) if v),
        filters=dict(agreement=agreement_id, status=wanted),
    )  # fmt: skip


def _case_row(case: case_service.CaseSummary, clock: _Clock) -> Row:
    name, tz = clock.zone(case.agreement_id)

    def both(moment: dt.datetime) -> tuple[str, str]:
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
        instant = int(aware.timestamp())
        return iso(instant), clock.local(instant, tz)

    filed, due = both(case.filed_at), both(case.due_at)
    return (
        case.id, case.agreement_id, case.complainant, case.respondent, case.status,
        *filed, *due, name, bool(case.overdue), case.outcome,
    )  # fmt: skip


__all__ = [
    "CASE_EXPORT",
    "DASHBOARD_EXPORT",
    "FINDING_EXPORT",
    "FORMATS",
    "INCIDENT_EXPORT",
    "BadParameter",
    "Export",
    "case_queue",
    "check_format",
    "dashboard",
    "findings",
    "incidents",
    "local_date",
    "period",
]
