"""The report a monitoring mission publishes: one agreement, one reading, one period.

`build_report` reads the record through the existing stores and services and returns
`Report`, every figure the report prints; `ceasefire.formats.report` turns it into
HTML, Markdown or PDF. Modelled on the OSCE SMM daily report: one headline line per
zone and per governorate (admin-1 unit of the record's region), then the parties
charged with their grades and the rate before and after the start, a map and a weekly
chart, where the readings disagree, the cases of the period, the sources and caveats.

Rules kept here, not in the interfaces:

- the viewer needs `findings.read` (the whole report is findings); cases, rulings and
  referrals are those the viewer may read (`services.cases`, scoped in SQL), so a
  public viewer's report holds published cases only;
- counts are of **events**: a report linked into another's event (`event_links`) is
  left out, its event counted once by its representative;
- an incident counts in the period holding the middle of its time interval (as the
  dashboard's weekly counts do); periods are local calendar days in the agreement's
  time zone, [first 00:00, last + 1 day 00:00);
- after the start the counts are the stored findings of the reading; before it, the
  incidents are judged as if the text's terms had been in force (as
  `services.assess.weekly_series` judges the dashboard's baseline weeks);
- a report is reproducible: it names the record's signed ledger checkpoint and the
  code version, and the same record, viewer and request give the same figures.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import BaseModel

from ceasefire._version import __version__
from ceasefire.core.engine import CATEGORIES, TEXT
from ceasefire.core.errors import InputError
from ceasefire.core.model import Agreement, Category, Grade
from ceasefire.core.policy import Action, Principal, Settings, require, role_of
from ceasefire.core.timing import OPEN_END, local_day, window, zone_info
from ceasefire.formats.agreements import Catalogue
from ceasefire.formats.boundaries import boundary_text
from ceasefire.formats.findings import attributions
from ceasefire.regions import Region
from ceasefire.services import cases, ledger, views
from ceasefire.services.assess import assess_catalogue
from ceasefire.services.record import stored_incidents, workspace_region
from ceasefire.services.visibility import incident_sight
from ceasefire.storage.record import Record

PERIOD_KINDS = ("day", "week", "month")
DAY = 86400
WEEK = 7 * DAY
#: How the report names a kind of act, counted: one, many ("1 air strike", "12 air strikes").
ACT_NAMES = {
    "air_strike": ("air strike", "air strikes"),
    "drone_strike": ("drone strike", "drone strikes"),
    "shelling": ("shelling", "shelling"),
    "mortar": ("mortar attack", "mortar attacks"),
    "missile": ("missile strike", "missile strikes"),
    "clash": ("clash", "clashes"),
    "bombing": ("bombing", "bombings"),
    "suicide_bombing": ("suicide bombing", "suicide bombings"),
    "shooting": ("shooting", "shootings"),
    "chemical": ("chemical attack", "chemical attacks"),
    "execution": ("execution", "executions"),
    "abduction": ("abduction", "abductions"),
}
#: The act of an event whose source does not say which kind of attack it was (UCDP GED).
UNSPECIFIED = "attack"
#: What each attribution grade means (Airwars' scale, as `core.model.Grade`).
GRADE_MEANINGS = {
    "confirmed": "the actor accepted responsibility",
    "fair": "two or more sources name the same side",
    "weak": "one source, the dataset's own coding, or an inference alone",
    "contested": "claims name different sides",
    "discounted": "a reviewer found the attribution wrong",
    "undetermined": "nobody says who acted",
}
#: Datasets a record's incidents come from, with their licences, as the bundled data's
#: READMEs give them (src/ceasefire/data/demo/README.md for UCDP GED).
SOURCE_LICENCES = {
    "ucdp": (
        "UCDP Georeferenced Event Dataset (GED), Uppsala Conflict Data Program",
        "CC BY 4.0; cite Sundberg & Melander (2013) and the GED codebook",
    ),
    "acled": (
        "Armed Conflict Location & Event Data Project (ACLED)",
        "ACLED's terms of use (attribution required; raw data not for redistribution)",
    ),
}
RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")
#: Longest period a report covers (FROM..TO), in days.
MAX_DAYS = 3700


# ---------------------------------------------------------------------- the model


class Period(BaseModel):
    kind: Literal["day", "week", "month", "range"]
    first: str  # local dates, inclusive
    last: str
    days: int
    start: int  # UTC seconds, [start, end)
    end: int
    label: str


class Headline(BaseModel):
    """One SMM-style line: the period's violations in one zone or governorate."""

    kind: Literal["total", "zone", "governorate"]
    id: str
    name: str
    violations: int
    acts: list[tuple[str, int]]
    killed: float
    previous: int
    before_start: int
    since_start: int
    text: str


class RateRatio(BaseModel):
    """Violations per day after the start against before it, with a 95% interval."""

    before: int
    before_days: float
    after: int
    after_days: float
    ratio: float | None
    low: float | None
    high: float | None
    p_value: float | None
    note: str


class PartyRow(BaseModel):
    party: str
    violations: int
    grades: dict[str, int]
    killed: float
    previous: int
    since_start: int
    rate: RateRatio


class Difference(BaseModel):
    id: str
    start: str
    place: str
    categories: dict[str, str]


class CaseRow(BaseModel):
    id: str
    complainant: str
    respondent: str
    status: str
    filed_at: str
    due_at: str
    overdue: bool
    outcome: str | None


class PositionRow(BaseModel):
    adjudicator: str
    position: str | None
    statement: str


class RulingRow(BaseModel):
    id: str
    complainant: str
    respondent: str
    outcome: str
    joint: bool
    published_at: str
    reasons: str
    positions: list[PositionRow]


class ReferralRow(BaseModel):
    id: str
    respondent: str
    allegations: list[str]
    violations: int
    days: int
    created_at: str


class SourceRow(BaseModel):
    source: str
    events: int
    title: str
    licence: str


class CheckpointInfo(BaseModel):
    origin: str
    size: int
    root: str  # hex
    time: str
    note: str


class Report(BaseModel):
    """Every figure of one report, JSON-ready (what the formats render)."""

    agreement: str
    title: str
    kind: str
    timezone: str
    start_local: str
    start: int
    reading: str
    readings: list[str]
    window: str
    period: Period
    previous: Period
    before_start: Period
    data_first: str | None
    data_last: str | None
    unit: str
    linked_reports: int
    reports_in_period: int
    headlines: list[Headline]
    parties: list[PartyRow]
    total_rate: RateRatio
    grade_meanings: dict[str, str]
    points: list[dict[str, Any]]
    map_features: dict[str, Any]
    zone_features: dict[str, Any]
    bounds: list[float]
    weekly: list[dict[str, Any]]
    differences_total: int
    difference_patterns: list[dict[str, Any]]
    differences: list[Difference]
    cases_filed: list[CaseRow]
    rulings: list[RulingRow]
    no_joint: list[RulingRow]
    referrals: list[ReferralRow]
    sources: list[SourceRow]
    original_sources: list[tuple[str, int]]
    caveats: list[str]
    boundaries_credit: str
    viewer: str
    checkpoint: CheckpointInfo | None
    checkpoint_problem: str | None
    version: str
    generated_at: str


# ---------------------------------------------------------------------- periods


def _date(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def _add_month(day: dt.date) -> dt.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_dates(
    period: str, start_from: str | dt.date | None, last_data: dt.date | None
) -> tuple[str, dt.date, dt.date]:
    """(kind, first, last) local dates of a period asked as `day|week|month|FROM..TO`.

    `day`, `week` (Monday to Sunday) and `month` mean the latest full one in the data
    (ending on or before `last_data`, the local date of the record's latest incident),
    or the one starting on `start_from`. Errors name the parameter (`period`, `from`).
    """
    text = (period or "").strip().lower()
    first: dt.date | None = None
    if start_from is not None and start_from != "":
        first = start_from if isinstance(start_from, dt.date) else _date(start_from, "from")
    found = RANGE.match(text)
    if found:
        if first is not None:
            raise InputError("give --from only with day, week or month", field="from")
        a, b = _date(found.group(1), "period"), _date(found.group(2), "period")
        if b < a:
            raise InputError(f"{period!r}: FROM is after TO", field="period")
        if (b - a).days + 1 > MAX_DAYS:
            raise InputError(f"{period!r}: longer than {MAX_DAYS} days", field="period")
        return "range", a, b
    if text not in PERIOD_KINDS:
        raise InputError(
            f"{period!r}: choose day, week, month or FROM..TO (e.g. 2016-04-25..2016-05-01)",
            field="period",
        )
    if first is None:
        if last_data is None:
            raise InputError(
                "the record holds no incidents to find the latest period in: give --from DATE "
                "or FROM..TO",
                field="period",
            )
        if text == "day":
            return text, last_data, last_data
        if text == "week":
            last = last_data - dt.timedelta(days=(last_data.weekday() + 1) % 7)
            return text, last - dt.timedelta(days=6), last
        month_end = calendar.monthrange(last_data.year, last_data.month)[1]
        last = last_data if last_data.day == month_end else last_data.replace(day=1)
        if last.day != month_end:
            last -= dt.timedelta(days=1)
        return text, last.replace(day=1), last
    if text == "day":
        return text, first, first
    if text == "week":
        return text, first, first + dt.timedelta(days=6)
    return text, first, _add_month(first) - dt.timedelta(days=1)


def _period(kind: str, first: dt.date, last: dt.date, tz: Any) -> Period:
    start = local_day(first, tz)[0]
    end = local_day(last, tz)[1]
    days = (last - first).days + 1
    if kind == "day" or first == last:
        label = first.isoformat()
    else:
        label = f"{first.isoformat()} to {last.isoformat()}"
    return Period(
        kind=kind,  # type: ignore[arg-type]
        first=first.isoformat(),
        last=last.isoformat(),
        days=days,
        start=start,
        end=end,
        label=label,
    )


def _shifted(period: Period, first: dt.date, tz: Any) -> Period:
    """A period of the same length (in days) starting on `first`."""
    last = first + dt.timedelta(days=period.days - 1)
    return _period(period.kind, first, last, tz)


# ---------------------------------------------------------------------- violations


@dataclass
class Violations:
    """Violation events as columns: stored findings after the start, the baseline before."""

    pk: npt.NDArray[np.int64]
    middle: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    act: npt.NDArray[np.object_]
    party: npt.NDArray[np.object_]
    grade: npt.NDArray[np.object_]
    killed: npt.NDArray[np.float64]
    source: npt.NDArray[np.object_]
    source_name: npt.NDArray[np.object_]
    precision: npt.NDArray[np.object_]
    radius_m: npt.NDArray[np.float64]
    area: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, rows: Sequence[dict[str, Any]]) -> Violations:
        def col(key: str, dtype: Any = object, default: Any = "") -> npt.NDArray[Any]:
            return np.array(
                [default if r.get(key) is None else r[key] for r in rows], dtype=dtype
            ).reshape(len(rows))

        return cls(
            pk=col("pk", np.int64, 0),
            middle=col("middle", np.int64, 0),
            lon=col("lon", float, 0.0),
            lat=col("lat", float, 0.0),
            act=col("act"),
            party=col("party"),
            grade=col("grade", object, Grade.undetermined.value),
            killed=col("killed", float, 0.0),
            source=col("source"),
            source_name=col("source_name"),
            precision=col("precision"),
            radius_m=col("radius_m", float, 0.0),
            area=col("area", bool, False),
        )

    def __len__(self) -> int:
        return len(self.pk)

    def within(self, start: int, end: int) -> npt.NDArray[np.bool_]:
        return (self.middle >= start) & (self.middle < end)


def _stored_rows(
    rec: Record,
    who: Principal,
    settings: Settings,
    agreement: Agreement,
    reading: str,
    end: int,
    *,
    events: bool = True,
) -> list[dict[str, Any]]:
    found = rec.findings.find(
        agreement=agreement.id,
        reading=reading,
        category=Category.violation.value,
        status="accepted",
        sight=incident_sight(who, settings),
        representatives_only=events,
        end=end,
        limit=None,
    )
    rows = []
    for f in found:
        rows.append(
            {
                "pk": int(f["incident_pk"]),
                "middle": (int(f["t0"]) + int(f["t1"])) // 2,
                "lon": f["lon"],
                "lat": f["lat"],
                "act": f["act"],
                "party": f.get("party") or "",
                "grade": f.get("grade") or Grade.undetermined.value,
                "killed": f.get("killed_best"),
                "source": f["source"],
                "source_name": f.get("source_name") or "",
                "precision": f.get("time_precision") or "",
                "radius_m": f.get("radius_m") or 0.0,
                "area": f.get("area_code") is not None,
            }
        )
    return rows


def _baseline_rows(
    rec: Record,
    who: Principal,
    settings: Settings,
    catalogue: Catalogue,
    agreement: Agreement,
    start: int,
    origin: int,
) -> list[dict[str, Any]]:
    """Violations in [origin, start) had the text's terms been in force (the baseline).

    The agreement is judged from `origin` with the same parties (all bound from the
    start), zones and exclusions, as `services.assess.weekly_series` judges the weeks
    before the start; only events whose middle falls before the start are kept.
    """
    if origin >= start:
        return []
    span: dict[str, Any] = dict(
        start=origin, end=start, status="accepted", sight=incident_sight(who, settings)
    )
    ids = rec.review.representative_pks(**span) if rec.review.count_links() else None
    incidents = stored_incidents(rec, ids=ids, **span)
    if not len(incidents):
        return []
    tz = zone_info(agreement.timezone)
    shadow = agreement.model_copy(
        update={
            "start": dt.datetime.fromtimestamp(origin, tz).replace(tzinfo=None),
            "end": agreement.start,
            "duration": None,
            "readings": [],
            "parties": [p.actor for p in agreement.party_list()],
        }
    )
    findings = assess_catalogue(catalogue, incidents, [shadow])
    hits = np.flatnonzero(findings.category == CATEGORIES.index(Category.violation))
    rows = findings.incident[hits]
    parties = attributions(findings, catalogue.actors, rows, findings.scope[hits])["party"]
    inc = findings.incidents
    out = []
    for j, i in enumerate(rows.tolist()):
        middle = (int(inc.t0[i]) + int(inc.t1[i])) // 2
        if not origin <= middle < start:
            continue
        conduct = inc.conducts[int(inc.conduct[i])]
        out.append(
            {
                "pk": -1,
                "middle": middle,
                "lon": float(inc.lon[i]),
                "lat": float(inc.lat[i]),
                "act": str(conduct.act.value),
                "party": parties[j] or "",
                "grade": str(inc.grade[i] or Grade.undetermined.value),
                "killed": 0.0 if np.isnan(inc.killed_best[i]) else float(inc.killed_best[i]),
                "source": str(inc.source[i]),
                "source_name": str(inc.source_name[i] or ""),
                "precision": str(inc.time_precision[i] or ""),
                "radius_m": float(inc.radius_m[i]),
                "area": int(inc.area[i]) >= 0,
            }
        )
    return out


# ---------------------------------------------------------------------- areas


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    geometry: Any


def governorates(region: Region) -> list[Unit]:
    """The region's admin-1 units (code, English name, geometry)."""
    data = json.loads(boundary_text(region.boundaries(1)))
    out = []
    for feature in data["features"]:
        props = feature.get("properties") or {}
        code = str(props.get(region.code_property) or "")
        name = str(props.get(region.name_property) or code)
        geometry = shapely.geometry.shape(feature["geometry"])
        shapely.prepare(geometry)
        out.append(Unit(code, name, geometry))
    return sorted(out, key=lambda u: u.name)


def _inside(unit_geometry: Any, v: Violations, mask: npt.NDArray[np.bool_]) -> Any:
    if not len(v):
        return np.zeros(0, dtype=bool)
    return shapely.intersects_xy(unit_geometry, v.lon, v.lat) & mask


#: How far the printed map's boundaries may stray from the bundled ones (~1 km).
PRINT_TOLERANCE = 0.01


def _features(units: Iterable[Unit]) -> dict[str, Any]:
    features = []
    for unit in units:
        drawn = shapely.simplify(unit.geometry, PRINT_TOLERANCE, preserve_topology=True)
        geometry = shapely.geometry.mapping(shapely.set_precision(drawn, 1e-3))
        label = shapely.point_on_surface(unit.geometry)
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "id": unit.id,
                    "name": unit.name,
                    "lon": round(float(label.x), 3),
                    "lat": round(float(label.y), 3),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------------- figures


def rate_ratio(after: int, after_days: float, before: int, before_days: float) -> RateRatio:
    """The Poisson rate ratio (after / before) with its 95% score interval and test
    (statsmodels `confint_poisson_2indep`, `test_poisson_2indep`)."""
    from statsmodels.stats.rates import confint_poisson_2indep, test_poisson_2indep

    base: dict[str, Any] = dict(
        before=before, before_days=before_days, after=after, after_days=after_days
    )
    if before_days <= 0 or after_days <= 0:
        note = "no exposure before the start in the record's data" if before_days <= 0 else ""
        return RateRatio(**base, ratio=None, low=None, high=None, p_value=None, note=note)
    if before == 0 and after == 0:
        return RateRatio(
            **base, ratio=None, low=None, high=None, p_value=None, note="no violations either side"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        low, high = confint_poisson_2indep(
            after, after_days, before, before_days, method="score", compare="ratio"
        )
        test = test_poisson_2indep(
            after, after_days, before, before_days, method="score", compare="ratio"
        )

    def finite(x: Any) -> float | None:
        x = float(x)
        return round(x, 6) if math.isfinite(x) else None

    ratio = (after / after_days) / (before / before_days) if before else None
    note = "" if before else "none before the start: the ratio has no upper bound"
    return RateRatio(
        **base,
        ratio=finite(ratio) if ratio is not None else None,
        low=finite(low),
        high=finite(high),
        p_value=finite(test.pvalue),
        note=note,
    )


def _acts(act: npt.NDArray[np.object_]) -> list[tuple[str, int]]:
    counts = Counter(str(a) for a in act.tolist())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def act_phrase(acts: Sequence[tuple[str, int]]) -> str:
    """ "including 3 air strikes, 1 shelling and 40 of a kind the source does not record"."""
    named = [(a, n) for a, n in acts if a != UNSPECIFIED]
    unnamed = sum(n for a, n in acts if a == UNSPECIFIED)
    if not named:
        return " (the source does not record the kind of act)" if unnamed else ""
    parts = []
    for a, n in named:
        one, many = ACT_NAMES.get(a, (a.replace("_", " "), a.replace("_", " ")))
        parts.append(f"{n:,} {one if n == 1 else many}")
    if unnamed:
        parts.append(f"{unnamed:,} of a kind the source does not record")
    head = ", ".join(parts[:-1])
    return ", including " + (f"{head} and {parts[-1]}" if head else parts[-1])


def _headline_text(h: dict[str, Any], period_word: str) -> str:
    n = h["violations"]
    text = (
        f"{h['name']}: {n:,} event{'' if n == 1 else 's'} judged violation{'' if n == 1 else 's'}"
    )
    if n:
        text += act_phrase(h["acts"])
    killed = int(round(h["killed"]))
    if killed:
        text += f"; {killed:,} killed (best estimate)"
    return (
        f"{text} (the previous {period_word}: {h['previous']:,}; the same length before the "
        f"start: {h['before_start']:,}; {h['since_start']:,} since the start)."
    )


def _period_word(period: Period) -> str:
    return period.kind if period.kind != "range" else f"{period.days} days"


def _checkpoint(
    rec: Record, keys: ledger.LogKey | None, who: Principal, settings: Settings
) -> tuple[CheckpointInfo | None, str | None]:
    """The log's signed checkpoint as it is now (signed once per tree size)."""
    if keys is None:
        stored = rec.ledger.checkpoint()
        if stored is None:
            return None, "no checkpoint has been signed and no log key was given"
        from ceasefire.core.checkpoint import parse

        signed = parse(stored.note)
    else:
        try:
            signed = ledger.published_checkpoint(rec, keys, who, settings)
        except ledger.LedgerRefused as exc:
            return None, str(exc)
    body, _, signatures = signed.text().partition("\n\n")
    return (
        CheckpointInfo(
            origin=signed.origin,
            size=signed.size,
            root=signed.root.hex(),
            time=signed.time,
            note=body + "\n\n" + signatures.splitlines()[0],  # the log's own signature
        ),
        None,
    )


def _when(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _in(at: dt.datetime | None, period: Period) -> bool:
    return at is not None and period.start <= int(at.timestamp()) < period.end


# ---------------------------------------------------------------------- the report


def build_report(
    rec: Record,
    who: Principal,
    *,
    agreement_id: str | None,
    reading: str | None = None,
    period: str = "week",
    start_from: str | dt.date | None = None,
    settings: Settings | None = None,
    keys: ledger.LogKey | None = None,
    generated_at: dt.datetime | None = None,
) -> Report:
    """The report on `agreement_id` under `reading` (its text by default) for `period`.

    Bad input raises `InputError` naming the parameter (`agreement`, `reading`,
    `period`, `from`); a viewer who may not read findings gets `PermissionDenied`.
    `keys` (the workspace's keystore) signs the log's checkpoint if it grew; without
    it, the latest stored checkpoint is named.
    """
    settings = settings or Settings()
    require(who, Action.findings_read, settings=settings, what="report")
    catalogue = rec.agreements.catalogue()
    if not agreement_id:
        raise InputError("name the agreement to report on", field="agreement")
    known = [a.id for a in catalogue.agreements]
    if agreement_id not in known:
        raise InputError(
            f"no agreement {agreement_id!r} (the record holds: {', '.join(known) or 'none'})",
            field="agreement",
        )
    agreement = catalogue.agreement(agreement_id)
    names = views.reading_names(agreement)
    reading = reading or TEXT
    if reading not in names:
        raise InputError(
            f"agreement {agreement.id!r} has no reading {reading!r} (one of {', '.join(names)})",
            field="reading",
        )
    tz = zone_info(agreement.timezone)
    start = views.utc_start(agreement)
    spans = rec.incidents.points(agreement.id, reading)
    first_t = min((int(r[3]) for r in spans), default=None)
    last_t = max((int(r[4]) for r in spans), default=None)
    data_first = dt.datetime.fromtimestamp(first_t, tz).date() if first_t is not None else None
    data_last = (
        dt.datetime.fromtimestamp(max(last_t - 1, first_t or 0), tz).date()
        if last_t is not None
        else None
    )
    kind, first, last = period_dates(period, start_from, data_last)
    current = _period(kind, first, last, tz)
    if current.end <= start:
        raise InputError(
            f"{current.label} ends before the agreement's start "
            f"({agreement.start.strftime('%Y-%m-%d %H:%M')} {agreement.timezone})",
            field="period",
        )
    previous = _shifted(current, first - dt.timedelta(days=current.days), tz)
    start_day = agreement.start.date()
    before = _shifted(current, start_day - dt.timedelta(days=current.days), tz)
    after_days = (current.end - start) / DAY
    data_origin = local_day(data_first, tz)[0] if data_first is not None else start
    rate_origin = max(int(start - (current.end - start)), data_origin)
    origin = min(previous.start, before.start, rate_origin)

    stored = _stored_rows(rec, who, settings, agreement, reading, current.end)
    stored = [r for r in stored if r["middle"] >= start]
    baseline = _baseline_rows(rec, who, settings, catalogue, agreement, start, origin)
    v = Violations.of(stored + baseline)
    in_period = v.within(current.start, current.end)
    in_previous = v.within(previous.start, previous.end)
    in_before = v.within(before.start, before.end)
    since = v.within(start, current.end)
    rate_before = v.within(rate_origin, start)
    before_days = (start - rate_origin) / DAY

    region = workspace_region(rec)
    units = governorates(region)
    word = _period_word(current)

    def headline(kind: str, id_: str, name: str, inside: npt.NDArray[np.bool_]) -> Headline:
        mine = inside & in_period
        h: dict[str, Any] = dict(
            kind=kind,
            id=id_,
            name=name,
            violations=int(mine.sum()),
            acts=_acts(v.act[mine]),
            killed=float(np.nansum(v.killed[mine])),
            previous=int((inside & in_previous).sum()),
            before_start=int((inside & in_before).sum()),
            since_start=int((inside & since).sum()),
        )
        return Headline(**h, text=_headline_text(h, word))

    everything = np.ones(len(v), dtype=bool)
    headlines = [headline("total", "", "All zones", everything)]
    zone_units = []
    for zone_id in agreement.zones:
        geometry = catalogue.zones.get(zone_id)
        spec = catalogue.zone_specs.get(zone_id)
        if geometry is None:
            continue
        shapely.prepare(geometry)
        zone_units.append(Unit(zone_id, spec.name if spec else zone_id, geometry))
        headlines.append(
            headline(
                "zone", zone_id, spec.name if spec else zone_id, _inside(geometry, v, everything)
            )
        )
    placed = np.zeros(len(v), dtype=bool)
    for unit in units:
        inside = _inside(unit.geometry, v, everything)
        placed |= inside
        h = headline("governorate", unit.id, unit.name, inside)
        if h.violations or h.previous or h.since_start:
            headlines.append(h)
    if (~placed & in_period).any():
        headlines.append(headline("governorate", "", "Outside the governorates", ~placed))

    party_rows = []
    for party in sorted({str(p) for p in v.party[in_period | since].tolist()}):
        mine = v.party == party
        grades = Counter(str(g) for g in v.grade[mine & in_period].tolist())
        party_rows.append(
            PartyRow(
                party=party or "(no party charged)",
                violations=int((mine & in_period).sum()),
                grades={g.value: grades.get(g.value, 0) for g in Grade},
                killed=float(np.nansum(v.killed[mine & in_period])),
                previous=int((mine & in_previous).sum()),
                since_start=int((mine & since).sum()),
                rate=rate_ratio(
                    int((mine & since).sum()),
                    after_days,
                    int((mine & rate_before).sum()),
                    before_days,
                ),
            )
        )
    party_rows.sort(key=lambda r: (-r.violations, -r.since_start, r.party))
    total_rate = rate_ratio(int(since.sum()), after_days, int(rate_before.sum()), before_days)

    points = [
        {"lon": round(float(v.lon[i]), 4), "lat": round(float(v.lat[i]), 4),
         "party": str(v.party[i]) or "(none)", "grade": str(v.grade[i])}
        for i in np.flatnonzero(in_period).tolist()
    ]  # fmt: skip
    points.sort(key=lambda p: (p["lon"], p["lat"], p["party"], p["grade"]))

    weeks_after = max(1, math.ceil((current.end - start) / WEEK))
    weekly = views.compliance(
        rec, who, agreement.id, reading, settings=settings, by="party", weeks_after=weeks_after
    )["weekly"]
    linked = rec.review.count_links()

    differences, patterns, diff_total = _differences(rec, who, settings, agreement, current)
    filed, rulings, no_joint, referrals = _cases(rec, who, settings, keys, agreement, current)
    checkpoint, problem = _checkpoint(rec, keys, who, settings)

    sources = []
    for source, n in _acts(v.source[in_period]):
        title, licence = SOURCE_LICENCES.get(
            source, (source, "not recorded in the bundled data: see the source's own terms")
        )
        sources.append(SourceRow(source=source, events=n, title=title, licence=licence))
    original: Counter[str] = Counter()
    for name in v.source_name[in_period].tolist():
        for part in re.split(r"[;,]\s*", str(name)):
            if part.strip():
                original[part.strip()] += 1
    reports = int(in_period.sum())
    if linked:
        every = _stored_rows(rec, who, settings, agreement, reading, current.end, events=False)
        reports = sum(current.start <= r["middle"] < current.end for r in every)

    win = window(agreement, next((r for r in agreement.readings if r.by == reading), None))
    return Report(
        agreement=agreement.id,
        title=agreement.title,
        kind=agreement.kind,
        timezone=agreement.timezone,
        start_local=agreement.start.strftime("%Y-%m-%d %H:%M"),
        start=start,
        reading=reading,
        readings=names,
        window=win.label
        if win.end < OPEN_END or win.label.endswith("open-ended")
        else f"{win.label} (open-ended)",
        period=current,
        previous=previous,
        before_start=before,
        data_first=data_first.isoformat() if data_first else None,
        data_last=data_last.isoformat() if data_last else None,
        unit="events",
        linked_reports=linked,
        reports_in_period=reports,
        headlines=headlines,
        parties=party_rows,
        total_rate=total_rate,
        grade_meanings=GRADE_MEANINGS,
        points=points,
        map_features=_features(units),
        zone_features=_features(zone_units),
        bounds=list(region.bounds),
        weekly=weekly,
        differences_total=diff_total,
        difference_patterns=patterns,
        differences=differences,
        cases_filed=filed,
        rulings=rulings,
        no_joint=no_joint,
        referrals=referrals,
        sources=sources,
        original_sources=sorted(original.items(), key=lambda kv: (-kv[1], kv[0]))[:12],
        caveats=_caveats(v, in_period, linked, agreement, reading, rate_origin, start, tz),
        boundaries_credit=region.attribution,
        viewer=role_of(who).value,
        checkpoint=checkpoint,
        checkpoint_problem=problem,
        version=__version__,
        generated_at=(generated_at or dt.datetime.now(dt.UTC))
        .astimezone(dt.UTC)
        .strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def _differences(
    rec: Record, who: Principal, settings: Settings, agreement: Agreement, period: Period
) -> tuple[list[Difference], list[dict[str, Any]], int]:
    """Events starting in the period that the agreement's readings judge differently."""
    if len(agreement.readings) == 0:
        return [], [], 0
    found = views.reading_differences(rec, who, agreement.id, settings=settings, limit=10**9)
    links = rec.review.links(i["pk"] for i in found["items"])
    items = []
    for item in found["items"]:
        if item["pk"] in links or not item.get("start"):
            continue
        moment = dt.datetime.fromisoformat(str(item["start"]).replace("Z", "+00:00"))
        if _in(moment, period):
            items.append(item)
    names = found["readings"]
    summary = Counter(tuple(i["categories"][n] for n in names) for i in items)
    patterns = [
        {"categories": dict(zip(names, key, strict=True)), "events": n}
        for key, n in sorted(summary.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    shown = [
        Difference(id=i["id"], start=i["start"], place=i["place"], categories=i["categories"])
        for i in sorted(items, key=lambda i: (i["start"], i["id"]))[:25]
    ]
    return shown, patterns, len(items)


def _cases(
    rec: Record,
    who: Principal,
    settings: Settings,
    keys: Any,
    agreement: Agreement,
    period: Period,
) -> tuple[list[CaseRow], list[RulingRow], list[RulingRow], list[ReferralRow]]:
    ctx = cases.CaseContext(
        rec=rec, signer=keys, agreements=cases.StoredAgreements(rec), settings=settings
    )
    filed = [
        CaseRow(
            id=c.id, complainant=c.complainant, respondent=c.respondent, status=c.status,
            filed_at=_when(c.filed_at), due_at=_when(c.due_at), overdue=c.overdue,
            outcome=c.outcome,
        )
        for c in cases.list_allegations(ctx, who, agreement_id=agreement.id)
        if _in(c.filed_at, period)
    ]  # fmt: skip
    published = []
    for view in cases.published_rulings(ctx, who, agreement_id=agreement.id):
        ruling = view.ruling
        if ruling is None or not _in(ruling.published_at, period):
            continue
        published.append(
            RulingRow(
                id=view.id,
                complainant=view.complainant,
                respondent=view.respondent,
                outcome=ruling.outcome,
                joint=ruling.joint,
                published_at=_when(ruling.published_at),
                reasons=ruling.reasons,
                positions=[
                    PositionRow(
                        adjudicator=p.adjudicator, position=p.position, statement=p.statement
                    )
                    for p in ruling.positions
                ],
            )
        )
    no_joint = [r for r in published if r.outcome == "no_joint_ruling"]
    joint = [r for r in published if r.outcome != "no_joint_ruling"]
    referrals = [
        ReferralRow(
            id=r.id, respondent=r.respondent, allegations=list(r.allegations),
            violations=r.violations, days=r.days, created_at=_when(r.created_at),
        )
        for r in cases.list_referrals(ctx, who, agreement_id=agreement.id)
        if _in(r.created_at, period)
    ]  # fmt: skip
    return filed, joint, no_joint, referrals


def _caveats(
    v: Violations,
    in_period: npt.NDArray[np.bool_],
    linked: int,
    agreement: Agreement,
    reading: str,
    rate_origin: int,
    start: int,
    tz: Any,
) -> list[str]:
    n = int(in_period.sum())
    precision = Counter(str(p) or "unknown" for p in v.precision[in_period].tolist())
    exact = int(((v.radius_m <= 1000) & ~v.area & in_period).sum())
    areas = int((v.area & in_period).sum())
    acts = {str(a) for a in v.act[in_period].tolist()}
    out = [
        f"Counts are of events, not reports: {linked:,} report{'' if linked == 1 else 's'} "
        "linked into another's event "
        f"{'is' if linked == 1 else 'are'} counted once, with that event.",
        "Time precision of the period's events: "
        + (", ".join(f"{k} {m:,}" for k, m in sorted(precision.items())) or "none")
        + ". An event is counted in the period holding the middle of its time interval.",
        f"Place precision: {exact:,} of {n:,} events are placed to 1 km or better, {areas:,} "
        "only to a district or governorate (drawn at its recorded point); an event is "
        "counted in a zone or governorate by its recorded point.",
        "Attribution grades (Airwars' scale): "
        + "; ".join(f"{g}: {m}" for g, m in GRADE_MEANINGS.items())
        + ". A dyad whose two sides are both parties, with no source saying who attacked, "
        "is a violation charged to neither: 'undetermined (a ~ b)'.",
        "Before the start, events are judged as if the text's terms had been in force (the "
        "same parties, zones and exclusions): the baseline a truce is measured against"
        + (f"; after it, under {reading}'s reading." if reading != TEXT else "."),
        "The rate ratio compares violations per day from the start to the end of the period "
        "with as long a stretch before the start (from "
        f"{dt.datetime.fromtimestamp(rate_origin, tz).date()}"
        f", {(start - rate_origin) / DAY:g} days, cut at the first day the record holds): "
        "a Poisson score interval (statsmodels), which assumes events occur independently.",
    ]
    if acts <= {"attack"} and n:
        out.append(
            "The source records every event as an attack without saying which kind (UCDP "
            "GED codes no weapon), so the headlines cannot break the period down by kind of act."
        )
    return out


__all__ = [
    "PERIOD_KINDS",
    "Period",
    "RateRatio",
    "Report",
    "build_report",
    "governorates",
    "period_dates",
    "rate_ratio",
]
