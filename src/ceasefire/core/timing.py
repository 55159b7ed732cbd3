"""Local time to UTC instants, and agreement windows.

Instants are int64 seconds since the Unix epoch, UTC. Intervals are half-open
[start, end). An open end is `OPEN_END`, far enough away that arithmetic on it
cannot overflow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ceasefire.core.model import Agreement, Reading, parse_duration

OPEN_END: int = 2**62
UTC = dt.UTC


def zone_info(name: str) -> ZoneInfo:
    """The IANA zone, or a ValueError that suggests the nearest real name."""
    try:
        if not name or name != name.strip() or name.startswith("/"):
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError) as exc:
        import difflib

        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown time zone {name!r}{hint}") from exc


def local_to_utc(moment: dt.datetime, tz: ZoneInfo) -> int:
    """A wall-clock time in `tz` as a UTC instant.

    A time skipped by a DST jump (00:00 on 2016-03-25 in Damascus) maps to the
    instant the clocks jumped; a repeated time takes its first occurrence. Both
    are what a signatory writing "from midnight" means.
    """
    if moment.tzinfo is not None:
        return int(moment.timestamp())
    return int(moment.replace(tzinfo=tz, fold=0).timestamp())


def local_day(day: dt.date, tz: ZoneInfo) -> tuple[int, int]:
    """The local calendar day as [start, end) in UTC: 23 or 25 hours on DST days."""
    start = local_to_utc(dt.datetime.combine(day, dt.time()), tz)
    end = local_to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz)
    return start, end


def iso(instant: int) -> str:
    """`2016-04-29T21:00Z`, or `open` for an open end."""
    if instant >= OPEN_END:
        return "open"
    text = dt.datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    text = text.removesuffix(":00")
    return text + "Z"


def local_date(instant: int, tz: ZoneInfo) -> str:
    """The local calendar date of an instant, as the agreement's signatories would write it."""
    return dt.datetime.fromtimestamp(instant, tz).date().isoformat()


@dataclass(frozen=True)
class Window:
    """The effective window of one agreement under one reading, in UTC."""

    start: int
    end: int
    label: str  # how the end was decided, e.g. "russia: 72h", "open-ended"

    @property
    def bounds(self) -> tuple[int, int]:
        return self.start, self.end

    def describe(self) -> str:
        end = "open-ended" if self.end >= OPEN_END else iso(self.end)
        return f"window {iso(self.start)} – {end} ({self.label})"


def _end_from(
    start_local: dt.datetime,
    start_utc: int,
    end: dt.datetime | None,
    duration: str | None,
    tz: ZoneInfo,
) -> int:
    if duration is not None:
        amount, unit = parse_duration(duration)
        if unit == "h":
            return start_utc + round(amount * 3600)
        days = amount * (7 if unit == "w" else 1)
        whole = int(days)
        local_end = start_local + dt.timedelta(days=whole) + dt.timedelta(days=days - whole)
        return local_to_utc(local_end, tz)
    if end is not None:
        return local_to_utc(end, tz)
    return OPEN_END


def _end_label(end: dt.datetime | None, duration: str | None) -> str:
    if duration:
        return duration
    return "open-ended" if end is None else f"until {end:%Y-%m-%dT%H:%M} local"


def window(agreement: Agreement, reading: Reading | None = None) -> Window:
    """The window under the agreement's text (reading None) or under one party's reading.

    Hours are elapsed time; days and weeks are local calendar days, so `7d`
    from local midnight ends at local midnight even across a DST change.
    """
    tz = zone_info(agreement.timezone)
    start = local_to_utc(agreement.start, tz)
    if reading is not None and reading.sets_end():
        end = _end_from(agreement.start, start, reading.end, reading.duration, tz)
        label = f"{reading.by}: " + _end_label(reading.end, reading.duration)
    else:
        end = _end_from(agreement.start, start, agreement.end, agreement.duration, tz)
        who = "text" if reading is None else f"{reading.by}: as text"
        label = f"{who}: " + _end_label(agreement.end, agreement.duration)
    return Window(start, end, label)
