"""Readers for incident datasets: UCDP GED CSV, ACLED CSV and native JSON Lines.

Each reader turns the dataset's precision codes into uncertainty (a radius, an
area, a time interval), resolves its actor names through the agreements'
actors, and reports the names that resolve to nothing. Bad rows raise an
`InputErrors` naming file, record (with its line) and field; nothing is
returned half-read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from ceasefire.core.actors import CIVILIANS, ActorRegistry, Resolution, split_cell
from ceasefire.core.errors import InputError, InputErrors
from ceasefire.core.incidents import AGGREGATE, Area, Claim, Conduct, IncidentBuilder, Incidents
from ceasefire.core.model import Act
from ceasefire.core.timing import local_day, local_to_utc, zone_info
from ceasefire.formats.boundaries import AdminGazetteer, bundled_geometry, gazetteer
from ceasefire.formats.native import (
    ActorClaim,
    Casualties,
    NativeIncident,
    Place,
    incident_json_schema,
    problems,
    validate_record,
)
from ceasefire.formats.sources import Content, Source, is_source, read_source
from ceasefire.regions import Region, available_regions, default_region, load_region

Format = Literal["ucdp", "acled", "jsonl"]
MAX_ERRORS = 20

#: Countries with several time zones: the zone their conflict datasets mean.
MULTI_ZONE_COUNTRIES = {
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "PS": "Asia/Gaza",
}


@cache
def _country_zones() -> dict[str, str]:
    """Country name (and code) -> time zone, from the IANA tables shipped with tzdata.

    Countries with one zone get it; those with several only as `MULTI_ZONE_COUNTRIES` says.
    """
    tables = resources.files("tzdata").joinpath("zoneinfo")
    zones: dict[str, list[str]] = {}
    for line in tables.joinpath("zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _coords, zone = line.split("\t")[:3]
            zones.setdefault(code, []).append(zone)
    out: dict[str, str] = {}
    for line in tables.joinpath("iso3166.tab").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        code, name = line.split("\t")[:2]
        only = zones.get(code, [])
        chosen = MULTI_ZONE_COUNTRIES.get(code) or (only[0] if len(only) == 1 else None)
        if chosen is None:
            continue
        # "Myanmar (Burma)", "Britain (UK)": each spelling names the country.
        names = {name, name.split(" (")[0], name.partition("(")[2].rstrip(")"), code}
        for each in names:
            if each.strip():
                out[each.strip().casefold()] = chosen
    return out


def country_timezone(country: str, region: Region) -> str | None:
    """The time zone of a dataset's `country` value: the region's own, another region's,
    else the country's only zone in the IANA tables; None when none is known."""
    key = country.strip().casefold()
    candidates = [region, *(load_region(r) for r in available_regions() if r != region.id)]
    for each in candidates:
        if key in {each.name.casefold(), each.id.casefold()} | {
            c.casefold() for c in each.country_codes
        }:
            return each.timezone
    return _country_zones().get(key)


# Place precision to an uncertainty radius, in metres.
UCDP_RADIUS = {1: 1_000.0, 2: 25_000.0, 5: 50_000.0, 7: 50_000.0}
UCDP_FALLBACK_RADIUS = {3: 25_000.0, 4: 75_000.0, 6: 150_000.0}
ACLED_RADIUS = {1: 1_000.0, 2: 15_000.0}
ACLED_FALLBACK_RADIUS = {3: 50_000.0}
UCDP_DATE_PRECISION = {1: "day", 2: "2-6 days", 3: "week", 4: "month", 5: "year"}

ACLED_ACTS = {
    "air/drone strike": Act.air_strike,
    "shelling/artillery/missile attack": Act.shelling,
    "armed clash": Act.clash,
    "remote explosive/landmine/ied": Act.bombing,
    "suicide bomb": Act.suicide_bombing,
    "grenade": Act.bombing,
    "attack": Act.attack,
    "abduction/forced disappearance": Act.abduction,
    "sexual violence": Act.sexual_violence,
    "chemical weapon": Act.chemical,
    "government regains territory": Act.territorial_gain,
    "non-state actor overtakes territory": Act.territorial_gain,
    "non-violent transfer of territory": Act.territorial_gain,
    "looting/property destruction": Act.looting,
    "arrests": Act.arrest,
    "excessive force against protesters": Act.shooting,
    "peaceful protest": Act.protest,
    "protest with intervention": Act.protest,
    "violent demonstration": Act.protest,
    "mob violence": Act.other,
    "agreement": Act.agreement,
    "headquarters or base established": Act.other,
    "disrupted weapons use": Act.other,
    "change to group/activity": Act.other,
    "other": Act.other,
}

UCDP_REQUIRED = (
    "id", "type_of_violence", "side_a", "side_b", "where_prec", "date_start", "date_end",
    "latitude", "longitude", "adm_1", "adm_2", "low", "best", "high",
)  # fmt: skip
ACLED_REQUIRED = (
    "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "actor2", "assoc_actor_2", "admin1", "latitude", "longitude",
    "geo_precision", "fatalities",
)  # fmt: skip


@dataclass
class ReadReport:
    """What a read did besides the incidents: names not resolved, places approximated."""

    rows: int = 0
    actors: Resolution = field(default_factory=Resolution)
    unmatched_places: Counter[str] = field(default_factory=Counter)

    def merge(self, other: ReadReport) -> None:
        self.rows += other.rows
        self.actors.merge(other.actors)
        self.unmatched_places.update(other.unmatched_places)

    def lines(self) -> list[str]:
        out = [self.actors.summary()]
        if self.unmatched_places:
            common = ", ".join(f"{n!r} ×{c}" for n, c in self.unmatched_places.most_common(5))
            out.append(
                f"{sum(self.unmatched_places.values())} area names matched no bundled boundary "
                f"(kept as points with a wide radius): {common}"
            )
        return out


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def detect_format(name: str | Path, head: str) -> Format:
    """The format from the first lines: a JSON object, or UCDP GED or ACLED CSV columns."""
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return "jsonl"
    first = stripped.splitlines()[0] if stripped else ""
    columns = {c.strip().strip('"').lower() for c in first.split(",")}
    if {"type_of_violence", "where_prec", "side_a"} <= columns:
        return "ucdp"
    if {"event_id_cnty", "event_date"} <= columns:
        return "acled"
    raise InputError(
        "cannot tell the format from the header (expected UCDP GED or ACLED CSV columns, or "
        "JSON Lines); use --format",
        file=str(name),
        record="header",
    )


def read_incidents(
    sources: Source | Iterable[Source],
    actors: ActorRegistry,
    *,
    format: Format | None = None,
    timezone: str | None = None,
    name: str | None = None,
    region: Region | None = None,
) -> tuple[Incidents, ReadReport]:
    """Read incidents from files, content in memory or streams into one table.

    A `str` is a path; content in memory comes as `Content(text, name)`; a stream
    (text or binary) is read to its end. `name` names a single source in errors
    (a stream's own name otherwise). Places are matched to `region`'s boundaries
    and dates without a zone are its local time (the workspace's region by default).
    """
    items = [cast(Source, sources)] if is_source(sources) else list(cast(Iterable[Source], sources))
    if name is not None and len(items) != 1:
        raise ValueError("`name` names one source; give each of several its own `Content`")
    where = region or default_region()
    parts: list[Incidents] = []
    labels: list[str] = []
    report = ReadReport()
    for item in items:
        label, text = read_source(item, name)
        labels.append(label)
        part, part_report = _read_text(label, text, actors, format, timezone, where)
        parts.append(part)
        report.merge(part_report)
    if not parts:
        return IncidentBuilder().build(), report
    try:
        return Incidents.concat(parts), report
    except ValueError as exc:
        raise InputError(str(exc), file=", ".join(labels)) from exc


def _read_text(
    name: str,
    text: str,
    actors: ActorRegistry,
    format: Format | None,
    timezone: str | None,
    region: Region,
) -> tuple[Incidents, ReadReport]:
    if not text.strip():
        raise InputError("the file is empty", file=name)
    kind = format or detect_format(name, text[:4096])
    tz = zone_info(timezone) if timezone else None
    reader = {"ucdp": _UcdpReader, "acled": _AcledReader, "jsonl": _JsonlReader}[kind]
    return reader(name, actors, tz, region).read(text)


class _Reader:
    source = ""

    def __init__(
        self, file: str, actors: ActorRegistry, tz: ZoneInfo | None, region: Region
    ) -> None:
        self.file = file
        self.actors = actors
        self.tz = tz
        self.region = region
        self.report = ReadReport()
        self.builder = IncidentBuilder()
        self.errors: list[InputError] = []
        self._zones: dict[str, ZoneInfo | None] = {}

    def fail(self, record: str, line: int | None, *errors: _RowError) -> None:
        for exc in errors:
            self.errors.append(
                InputError(exc.message, file=self.file, record=record, field=exc.field, line=line)
            )
        if len(self.errors) >= MAX_ERRORS:
            raise InputErrors(self.errors)

    def finish(self) -> tuple[Incidents, ReadReport]:
        if self.errors:
            raise InputErrors(self.errors)
        return self.builder.build(), self.report

    def read(self, text: str) -> tuple[Incidents, ReadReport]:
        raise NotImplementedError

    @property
    def gaz(self) -> AdminGazetteer:
        return gazetteer(self.region)

    # Shared field parsers -------------------------------------------------------------

    def timezone_for(self, country: str | None) -> ZoneInfo:
        """The zone of a row's local dates: --timezone, else its country's, else the region's."""
        if self.tz is not None:
            return self.tz
        key = (country or "").strip()
        if not key:
            return self.region.zone
        if key not in self._zones:
            found = country_timezone(key, self.region)
            self._zones[key] = zone_info(found) if found else None
        zone = self._zones[key]
        if zone is None:
            raise _RowError(
                "country", f"no time zone known for country {country!r}; use --timezone"
            )
        return zone

    def resolve(self, names: list[str]) -> tuple[str, ...]:
        return self.report.actors.names(self.actors, names)

    def area_for(self, level: int, name: str, governorate: str | None = None) -> Area | None:
        unit = self.gaz.governorate(name) if level == 1 else self.gaz.district(name, governorate)
        if unit is None:
            if name.strip():
                self.report.unmatched_places[name] += 1
            return None
        return unit.area()


def _number(row: dict[str, Any], key: str, *, lo: float, hi: float) -> float:
    value = row.get(key)
    if value is None or str(value).strip() == "":
        raise _RowError(key, "missing value")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise _RowError(key, f"{value!r} is not a number") from exc
    if not math.isfinite(number) or not lo <= number <= hi:
        raise _RowError(key, f"{value!r} is outside {lo:g}..{hi:g}")
    return number


def _count(row: dict[str, Any], key: str) -> float:
    value = row.get(key)
    if value is None or str(value).strip() == "":
        return float("nan")
    try:
        number = float(value)
    except ValueError as exc:
        raise _RowError(key, f"{value!r} is not a number") from exc
    if number < 0 or not math.isfinite(number):
        raise _RowError(key, f"{value!r} is not a count")
    return number


def _int(row: dict[str, Any], key: str, allowed: range) -> int:
    value = str(row.get(key) or "").strip()
    try:
        number = int(float(value))
    except ValueError as exc:
        raise _RowError(key, f"{value!r} is not a whole number") from exc
    if number not in allowed:
        raise _RowError(key, f"{number} is not one of {allowed.start}..{allowed.stop - 1}")
    return number


_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d %b %Y")


#: Incident times outside [EARLIEST, today + FUTURE] are refused when read: a year-0001
#: date is a typo, and such a time cannot be converted or listed on every backend.
EARLIEST = dt.date(1900, 1, 1)
FUTURE = dt.timedelta(days=365)


def sane_day(day: dt.date, field: str, text: str, today: dt.date | None = None) -> dt.date:
    """The day, if it lies between 1900-01-01 and a year from today; else a row error."""
    latest = (today or dt.datetime.now(dt.UTC).date()) + FUTURE
    if not EARLIEST <= day <= latest:
        raise _RowError(
            field, f"{text!r} is outside the accepted range ({EARLIEST} to {latest}, a year ahead)"
        )
    return day


def _date(row: dict[str, Any], key: str) -> dt.date:
    value = str(row.get(key) or "").strip()
    if not value:
        raise _RowError(key, "missing date")
    head = value[:10] if len(value) > 10 and value[4] == "-" else value
    for fmt in _DATE_FORMATS:
        try:
            return sane_day(dt.datetime.strptime(head, fmt).date(), key, value)
        except ValueError:
            continue
    raise _RowError(key, f"{value!r} is not a valid date")


def _csv_rows(
    text: str, required: tuple[str, ...], reader: _Reader
) -> Iterator[tuple[int, int, dict[str, str]]]:
    """Rows with their record number and line; a row with the wrong field count is an error."""
    handle = io.StringIO(text, newline="")
    rows = csv.reader(handle)
    try:
        header = next(rows)
    except (StopIteration, csv.Error) as exc:
        raise InputError("no header row", file=reader.file, record="header") from exc
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"missing column(s): {', '.join(missing)}", file=reader.file, record="header"
        )
    record = 0
    while True:
        line = rows.line_num + 1
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            record += 1
            reader.fail(f"record {record}", line, _RowError("(row)", f"malformed CSV: {exc}"))
            continue
        if not cells or all(not c.strip() for c in cells):
            continue
        record += 1
        if len(cells) != len(header):
            reader.fail(
                f"record {record}",
                line,
                _RowError("(row)", f"expected {len(header)} fields, found {len(cells)}"),
            )
            continue
        yield record, line, dict(zip(header, cells, strict=True))


class _CsvReader(_Reader):
    """A dataset export: one incident a row, its own id in `id_column`."""

    required: tuple[str, ...] = ()
    id_column = ""

    def read(self, text: str) -> tuple[Incidents, ReadReport]:
        for record, line, row in _csv_rows(text, self.required, self):
            try:
                self.row(row)
            except _RowError as exc:
                self.fail(
                    f"record {record} ({self.id_column} {row.get(self.id_column, '?')})", line, exc
                )
            self.report.rows += 1
        return self.finish()

    def row(self, row: dict[str, str]) -> None:
        raise NotImplementedError


class _UcdpReader(_CsvReader):
    source = "ucdp"
    required = UCDP_REQUIRED
    id_column = "id"

    def row(self, row: dict[str, str]) -> None:
        ident = row["id"].strip()
        if not ident:
            raise _RowError("id", "missing id")
        kind = _int(row, "type_of_violence", range(1, 4))
        tz = self.timezone_for(row.get("country"))
        start = _date(row, "date_start")
        end = _date(row, "date_end")
        if end < start:
            raise _RowError("date_end", f"{end} is before date_start {start}")
        t0 = local_day(start, tz)[0]
        t1 = local_day(end, tz)[1]
        date_prec = int(float(row.get("date_prec") or 1)) if row.get("date_prec") else 1
        precision = UCDP_DATE_PRECISION.get(date_prec, "range") if start == end else "range"
        if start == end and date_prec == 1:
            precision = "day"
        lat = _number(row, "latitude", lo=-90, hi=90)
        lon = _number(row, "longitude", lo=-180, hi=180)
        where = _int(row, "where_prec", range(1, 8))
        area, radius = self.place(where, row)
        side_a = split_cell(row["side_a"])
        side_b = split_cell(row["side_b"])
        a = self.resolve(side_a)
        b = self.resolve(side_b)
        if kind == 3:
            # One-sided violence: side_a against civilians.
            conduct = Conduct(Act.attack, ((None, a),), (CIVILIANS,), directed=True)
        else:
            conduct = Conduct(Act.attack, ((None, a),), b, directed=False)
        self.builder.add(
            id=ident,
            source=self.source,
            t0=t0,
            t1=t1,
            time_precision=precision,
            lon=lon,
            lat=lat,
            radius_m=radius,
            area=area,
            place_name=(row.get("where_coordinates") or "").strip(),
            conduct=conduct,
            killed=(_count(row, "low"), _count(row, "best"), _count(row, "high")),
            perpetrator_text=row["side_a"],
            target_text=row["side_b"],
            source_text=(row.get("source_headline") or "").strip(),
            source_name=(row.get("source_original") or "").strip(),
            admin1=(row.get("adm_1") or "").strip(),
            admin2=(row.get("adm_2") or "").strip(),
        )

    def place(self, where: int, row: dict[str, str]) -> tuple[Area | None, float]:
        area: Area | None = None
        if where == 3:
            area = self.area_for(2, row["adm_2"], row["adm_1"])
        elif where == 4 or (where == 5 and row["adm_1"].strip()):
            area = self.area_for(1, row["adm_1"])
        elif where == 6:
            area = self.gaz.country.area()
        if area is not None:
            return area, 0.0
        return None, UCDP_RADIUS.get(where, UCDP_FALLBACK_RADIUS.get(where, 50_000.0))


class _AcledReader(_CsvReader):
    source = "acled"
    required = ACLED_REQUIRED
    id_column = "event_id_cnty"

    def row(self, row: dict[str, str]) -> None:
        ident = row["event_id_cnty"].strip()
        if not ident:
            raise _RowError("event_id_cnty", "missing id")
        tz = self.timezone_for(row.get("country"))
        day = _date(row, "event_date")
        precision = _int(row, "time_precision", range(1, 4))
        if precision == 1:
            t0, t1 = local_day(day, tz)
            label = "day"
        elif precision == 2:
            t0 = local_day(day - dt.timedelta(days=3), tz)[0]
            t1 = local_day(day + dt.timedelta(days=3), tz)[1]
            label = "week"
        else:
            first = day.replace(day=1)
            nxt = (first + dt.timedelta(days=32)).replace(day=1)
            t0 = local_day(first, tz)[0]
            t1 = local_day(nxt, tz)[0]
            label = "month"
        lat = _number(row, "latitude", lo=-90, hi=90)
        lon = _number(row, "longitude", lo=-180, hi=180)
        geo = _int(row, "geo_precision", range(1, 4))
        area: Area | None = None
        if geo == 3:
            if row.get("admin2", "").strip():
                area = self.area_for(2, row["admin2"], row["admin1"])
            if area is None:
                area = self.area_for(1, row["admin1"])
        radius = 0.0 if area is not None else ACLED_RADIUS.get(geo, ACLED_FALLBACK_RADIUS[3])
        sub = row["sub_event_type"].strip().lower()
        act = ACLED_ACTS.get(sub)
        if act is None:
            raise _RowError(
                "sub_event_type", f"unknown ACLED sub-event type {row['sub_event_type']!r}"
            )
        perps = self.resolve(_acled_names(row["actor1"], row["assoc_actor_1"]))
        targets = self.resolve(_acled_names(row["actor2"], row["assoc_actor_2"]))
        if "civilian" in (row.get("civilian_targeting") or "").lower() and CIVILIANS not in targets:
            targets = (*targets, CIVILIANS)
        directed = row["event_type"].strip().lower() != "battles"
        self.builder.add(
            id=ident,
            source=self.source,
            t0=t0,
            t1=t1,
            time_precision=label,
            lon=lon,
            lat=lat,
            radius_m=radius,
            area=area,
            place_name=(row.get("location") or "").strip(),
            conduct=Conduct(act, ((None, perps),) if perps else (), targets, directed),
            killed=(_count(row, "fatalities"),) * 3,
            perpetrator_text="; ".join(_acled_names(row["actor1"], row["assoc_actor_1"])),
            target_text="; ".join(_acled_names(row["actor2"], row["assoc_actor_2"])),
            source_text=(row.get("notes") or "").strip(),
            source_name=(row.get("source") or "").strip(),
            admin1=(row.get("admin1") or "").strip(),
            admin2=(row.get("admin2") or "").strip(),
        )


def _acled_names(actor: str, associated: str) -> list[str]:
    names = [actor.strip()] if actor.strip() else []
    return names + split_cell(associated or "", ";")


class _JsonlReader(_Reader):
    """Native incidents: one JSON object a line (the format is in the README).

    A line (or a whole file) may also be a document of `ceasefire extract`,
    whose `incidents` are read in turn: extracted text goes straight to assess.
    """

    source = "native"

    def read(self, text: str) -> tuple[Incidents, ReadReport]:
        seen: set[str] = set()
        for record, line, data in self._objects(text):
            try:
                if isinstance(data, _RowError):
                    raise data
                self.row(data, seen)
            except (_RowError, _RowErrors) as exc:
                ident = data.get("id", "?") if isinstance(data, dict) else "?"
                self.fail(
                    f"record {record} (id {ident})" if ident != "?" else f"record {record}",
                    line,
                    *(exc.errors if isinstance(exc, _RowErrors) else [exc]),
                )
            self.report.rows += 1
        return self.finish()

    def _objects(self, text: str) -> Iterator[tuple[str, int, dict[str, Any] | _RowError]]:
        """(record label, line, incident or the error that stands in for it)."""
        stripped = text.strip()
        if stripped.startswith("{") and "\n{" not in stripped:
            try:
                whole = json.loads(stripped)
            except json.JSONDecodeError:
                whole = None
            if isinstance(whole, dict) and isinstance(whole.get("incidents"), list):
                yield from self._document(whole, "1", 1)
                return
        record = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            record += 1
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield str(record), number, _RowError("(row)", f"broken JSON: {exc.msg}")
                continue
            if not isinstance(data, dict):
                yield str(record), number, _RowError("(row)", "each line must be a JSON object")
            elif "id" not in data and isinstance(data.get("incidents"), list):
                yield from self._document(data, str(record), number)
            else:
                yield str(record), number, data

    def _document(
        self, document: dict[str, Any], record: str, line: int
    ) -> Iterator[tuple[str, int, dict[str, Any] | _RowError]]:
        for k, item in enumerate(document["incidents"], start=1):
            label = f"{record}.incidents[{k - 1}]"
            if isinstance(item, dict):
                yield label, line, item
            else:
                yield label, line, _RowError("(row)", "an incident must be a JSON object")

    def row(self, data: dict[str, Any], seen: set[str]) -> None:
        try:
            record = validate_record(data)
        except ValidationError as exc:
            raise _RowErrors([_RowError(f, m) for f, m in problems(exc)]) from exc
        ident = record.ident
        if ident in seen:
            raise _RowError("id", f"duplicate id {ident!r}")
        seen.add(ident)
        t0, t1, precision = self.time(record)
        lon, lat, radius, area, place_name = self.place(record.place)
        claims = self.claims(record.perpetrators or [])
        targets = self.resolve([t if isinstance(t, str) else t.actor for t in record.targets or []])
        low, best, high = _casualties(record.killed)
        self.builder.add(
            id=ident,
            source=record.source or self.source,
            t0=t0,
            t1=t1,
            time_precision=precision,
            lon=lon,
            lat=lat,
            radius_m=radius,
            area=area,
            place_name=place_name,
            conduct=Conduct(record.act or Act.attack, claims, targets, bool(record.directed)),
            killed=(low, best, high),
            perpetrator_text=json.dumps(data.get("perpetrators") or [], ensure_ascii=False),
            target_text=json.dumps(data.get("targets") or [], ensure_ascii=False),
            source_text=(record.quote or "").strip(),
            source_name=(record.source_name or "").strip(),
            aggregate=AGGREGATE if record.aggregate else "",
        )

    def claims(self, items: list[str | ActorClaim]) -> tuple[Claim, ...]:
        by_claimant: dict[str | None, list[str]] = {}
        for item in items:
            if isinstance(item, str):
                actor, claimant = item, None
            else:
                actor, claimant = item.actor, item.claimed_by
            by_claimant.setdefault(claimant, []).append(actor)
        return tuple((claimant, self.resolve(names)) for claimant, names in by_claimant.items())

    def time(self, record: NativeIncident) -> tuple[int, int, str]:
        spec = record.time_spec()
        try:
            tz = zone_info(spec.timezone) if spec.timezone else self.tz
        except ValueError as exc:
            raise _RowError("time.timezone", str(exc)) from exc
        t0, t1_default, precision = _instant_or_day(spec.start, tz, "time.start")
        if spec.end:
            e0, e1, _ = _instant_or_day(spec.end, tz, "time.end")
            t1 = e1 if len(spec.end.strip()) == 10 else e0
            precision = "range"
        else:
            t1 = t1_default
        if t1 < t0:
            raise _RowError("time.end", "end is before start")
        return t0, t1, spec.precision or precision

    def place(self, spec: Place) -> tuple[float, float, float, Area | None, str]:
        name = spec.name or ""
        area: Area | None = None
        if spec.area:
            code = spec.area.removeprefix("bundled:")
            try:
                geometry = bundled_geometry(code)
            except KeyError as exc:
                raise _RowError("place.area", str(exc.args[0])) from exc
            area = Area(code, name or code, geometry)
        if spec.lon is not None and spec.lat is not None:
            lon, lat = spec.lon, spec.lat
        elif area is not None:
            point = area.geometry.representative_point()
            lon, lat = point.x, point.y
        else:
            raise _RowError("place", "needs `lon` and `lat`, or an `area`")
        radius = 0.0
        if spec.radius_km is not None and area is None:
            radius = spec.radius_km * 1000.0
        return lon, lat, radius, area, name


class _RowErrors(Exception):
    """Every problem the model found in one row."""

    def __init__(self, errors: list[_RowError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def _casualties(killed: Casualties | float | None) -> tuple[float, float, float]:
    """(low, best, high); a missing estimate follows from the others, none at all is unknown."""
    if killed is None:
        return (math.nan,) * 3
    if not isinstance(killed, Casualties):
        return (float(killed),) * 3
    given = killed.model_fields_set

    def value(key: str) -> float:
        number = getattr(killed, key)
        return math.nan if number is None else float(number)

    low = value("low") if "low" in given else value("best")
    best = value("best") if "best" in given else low
    high = value("high") if "high" in given else best
    return low, best, high


def _instant_or_day(text: str, tz: ZoneInfo | None, field: str) -> tuple[int, int, str]:
    """A date is its whole local day; a date-time is an instant (local unless it has an offset).

    Local dates and times need a time zone (`time.timezone` or --timezone):
    the same date is a different day in a UTC+3 zone and in UTC.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = None
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            day = moment.date()
    except ValueError as exc:
        raise _RowError(field, f"{text!r} is not a valid date or date-time") from exc
    sane_day(day, field, text)
    if moment is not None and moment.tzinfo is not None:
        instant = int(moment.timestamp())
        return instant, instant, "exact"
    if tz is None:
        raise _RowError(
            "time.timezone", f"local time {text!r} needs `time.timezone` (or --timezone)"
        )
    if moment is None:
        start, end = local_day(day, tz)
        return start, end, "day"
    instant = local_to_utc(moment, tz)
    return instant, instant, "exact"


def empty_incidents() -> Incidents:
    return IncidentBuilder().build()


__all__ = [
    "Content",
    "Format",
    "NativeIncident",
    "ReadReport",
    "Source",
    "country_timezone",
    "detect_format",
    "empty_incidents",
    "incident_json_schema",
    "read_incidents",
]
