"""Time expressions in news text, resolved against the publication date.

News copy dates events relative to the day it was published: "on Wednesday"
(the last Wednesday up to the publication day), "in the past week", "earlier
this month", "midnight Saturday" (in an announcement: the coming Saturday at
00:00 local time). Explicit dates ("April 27", "Feb. 27", "27 February 2016")
are parsed with dateparser, preferring the past (or the future for
announcements). Every result is a local half-open interval in the article's
time zone; callers turn it into UTC.

Rules:

- a weekday is the latest such day on or before the publication day ("last"
  moves it a week back when that is the publication day itself); in an
  announcement ("to begin", "will") it is the next such day on or after it;
- "midnight Saturday" is Saturday 00:00 ("midnight Saturday night" is the
  midnight that ends Saturday);
- "today", "this morning", "tonight" are the publication day; "yesterday",
  "last night" the day before;
- "in the past week" is the seven days before the publication day and that
  day too (news copy counts the day of writing); "past N days/hours/weeks/
  months" likewise; "in recent days" five days;
- "earlier this month" runs from the first of the month to the publication
  day (excluded); "this month", "this year", "so far this year" include it;
  "last month", "last year" are the calendar month and year before;
- "since X" runs from the start of X to the end of the publication day;
- a month ("in March", "March 2011") is that calendar month; a year is that year.

Spans of time (past week, since, so far, this year, recent days) are marked
`span=True`: counts given for them are running totals (aggregates).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from ceasefire.regions import Region, default_region

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12,
}  # fmt: skip
UNITS = {"hour": "hours", "day": "days", "week": "weeks", "month": "months", "year": "years"}
SMALL = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "few": 3, "several": 4, "couple": 2, "48": 48, "24": 24,
    "72": 72,
}  # fmt: skip


@dataclass(frozen=True)
class Conflict:
    """The war a region's news counts from: "since the war began" starts on `start`."""

    start: dt.date
    names: tuple[str, ...] = ()  # possessives that may stand before "war" ("country's")

    @classmethod
    def of(cls, region: Region | None = None) -> Conflict | None:
        """The region's conflict (the workspace's region by default); None if it names none."""
        region = region or default_region()
        if region.conflict_start is None:
            return None
        return cls(region.conflict_start, tuple(n.lower() for n in region.conflict_names))


_WD = "|".join(WEEKDAYS)
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|several|couple)"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "midnight",
        re.compile(
            rf"\b(?:at\s+|from\s+|starting\s+(?:at\s+)?)?midnight\s+(?:on\s+|of\s+)?"
            rf"(?:(this|next|last|coming)\s+)?({_WD})(?:\s+(morning|night))?\b"
            rf"|\b({_WD})\s+(?:at\s+)?midnight\b"
        ),
    ),
    ("midnight_bare", re.compile(r"\b(?:at|from|after|since)\s+midnight(?:\s+(tonight))?\b")),
    ("since", re.compile(r"(?!)")),  # the region's conflict: `_since_pattern`
    (
        "date",
        re.compile(
            rf"\b(?:(?:{_WD}|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?,?\s+)?"
            rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MON})\.?(?:,?\s+(\d{{4}}))?\b"
            rf"|\b(?:(?:{_WD}),?\s+)?({_MON})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"
            rf"|\b(\d{{4}})-(\d{{2}})-(\d{{2}})\b"
        ),
    ),
    (
        "month",
        re.compile(
            r"\b(?:in|since|during|from|by|until|of|early|late|mid|mid-)\s+(?:early\s+|late\s+)?"
            r"(january|february|march|april|may|june|july|august|september|october|november|"
            r"december)(?:\s+(\d{4}))?\b"
            r"|\b(january|february|march|april|june|july|august|september|october|november|"
            r"december)\s+(\d{4})\b"
        ),
    ),
    ("year", re.compile(r"\b(?:in|since|during|of)\s+((?:19|20)\d{2})\b")),
    (
        "span",
        re.compile(
            rf"\b(?:in|over|during|for|within)\s+the\s+(?:past|last|previous)\s+(?:({_NUM})\s+)?"
            r"(hours?|days?|weeks?|months?|years?)\b"
            rf"|\b(?:the\s+(?:past|last)|past)\s+({_NUM})\s+(hours?|days?|weeks?|months?)\b"
            r"|\bin\s+recent\s+(days|weeks|months)\b|\brecent\s+(days|weeks)\b"
            r"|\b(so\s+far\s+this\s+(?:year|month|week)|so\s+far|to\s+date|"
            r"since\s+the\s+(?:start|beginning)\s+of\s+the\s+(?:year|month|week))\b"
            r"|\b(this\s+week|this\s+month|this\s+year)\b"
            r"|\b(earlier\s+this\s+(?:week|month|year)|last\s+(?:week|month|year))\b"
            rf"|\b(?:in|over|during|within)\s+(?:the\s+last\s+|the\s+past\s+|last\s+)?"
            rf"({_NUM})\s+(hours?|days?|weeks?|months?)\b"
        ),
    ),
    (
        "relative",
        re.compile(
            r"\b(the\s+day\s+before\s+yesterday|earlier\s+today|yesterday|today|tonight|"
            r"last\s+night|overnight|this\s+(?:morning|afternoon|evening)|tomorrow)\b"
        ),
    ),
    (
        "weekday",
        re.compile(
            rf"\b(?:(last|this|next|on|early|late|coming)\s+)?({_WD})"
            r"(?:\s+(morning|afternoon|evening|night))?\b"
        ),
    ),
]


@dataclass(frozen=True)
class When:
    """A resolved time expression: a local half-open interval and where it was written."""

    start: dt.datetime  # local, aware
    end: dt.datetime  # local, aware, exclusive
    precision: str  # exact, day, days, week, month, year, range
    text: str
    span: tuple[int, int]  # character offsets in the document
    running: bool = False  # a span of time (past week, since...): counts are totals


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def _weekday(published: dt.date, name: str, modifier: str | None, future: bool) -> dt.date:
    target = WEEKDAYS.index(name)
    if future or modifier in ("next", "coming"):
        delta = (target - published.weekday()) % 7
        if modifier in ("next", "coming") and delta == 0:
            delta = 7
        return published + dt.timedelta(days=delta)
    delta = (published.weekday() - target) % 7
    if modifier == "last" and delta == 0:
        delta = 7
    return published - dt.timedelta(days=delta)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _quick_date(m: re.Match[str], published: dt.date, future: bool) -> dt.date | None:
    """Day-month(-year) and month-day(-year) without dateparser; None if unsure."""
    if m.group(1):
        day_text, month_text, year_text = m.group(1), m.group(2), m.group(3)
    else:
        month_text, day_text, year_text = m.group(4), m.group(5), m.group(6)
    month = MONTHS.get(month_text.lower().rstrip("."))
    if month is None:
        return None
    day = int(day_text)
    years = [int(year_text)] if year_text else [published.year - 1, published.year,
                                                published.year + 1]  # fmt: skip
    options = []
    for year in years:
        try:
            options.append(dt.date(year, month, day))
        except ValueError:
            continue
    if not options:
        return None
    if year_text:
        return options[0]
    if future:
        ahead = [d for d in options if d >= published]
        return min(ahead) if ahead else None
    # news looks back; a date a few days ahead is an announcement of the coming days
    behind = [d for d in options if d <= published + dt.timedelta(days=2)]
    return max(behind) if behind else None


@lru_cache(maxsize=4096)
def _parse_date(text: str, published: dt.date, future: bool) -> dt.date | None:
    """An explicit date with dateparser; a missing year is the nearest past (or future) one."""
    import dateparser  # slow to import: only when an explicit date is met

    base = dt.datetime(published.year, published.month, published.day, 12)
    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future" if future else "past",
            "REQUIRE_PARTS": ["day", "month"],
            "STRICT_PARSING": False,
        },
    )
    return parsed.date() if parsed else None


def _span_days(published: dt.date, amount: int, unit: str) -> tuple[dt.date, str]:
    if unit.startswith("hour"):
        return published - dt.timedelta(days=max(1, (amount + 23) // 24)), "days"
    if unit.startswith("day"):
        return published - dt.timedelta(days=amount), "days"
    if unit.startswith("week"):
        return published - dt.timedelta(days=7 * amount), "week" if amount == 1 else "range"
    if unit.startswith("month"):
        return published - dt.timedelta(days=30 * amount), "month" if amount == 1 else "range"
    return published - dt.timedelta(days=365 * amount), "year" if amount == 1 else "range"


@lru_cache(maxsize=8)
def _since_pattern(conflict: Conflict) -> re.Pattern[str]:
    """ "since the start of the war", "since the war began in March 2011" for one conflict."""
    owners = "".join(rf"|{re.escape(name)}\s+" for name in conflict.names)
    month = max((k for k, v in MONTHS.items() if v == conflict.start.month), key=len)
    return re.compile(
        rf"\bsince\s+(?:the\s+)?(?:start|beginning|outbreak|onset)\s+of\s+(?:the\s+{owners})?"
        r"(?:war|conflict|uprising|crisis|revolution|civil\s+war)\b"
        rf"|\bsince\s+(?:the\s+{owners})(?:civil\s+)?"
        r"(?:war|conflict|uprising|crisis|revolution)\s+"
        rf"(?:began|started|erupted|broke\s+out)(?:\s+in\s+(?:{month}\s+)?{conflict.start.year})?"
    )


def _resolve(
    kind: str,
    m: re.Match[str],
    published: dt.date,
    tz: ZoneInfo,
    future: bool,
    conflict: Conflict | None = None,
) -> tuple[dt.datetime, dt.datetime, str, bool] | None:
    """(local start, local end, precision, running) for one match, or None."""
    pub0 = _midnight(published, tz)
    pub1 = _midnight(published + dt.timedelta(days=1), tz)
    text = m.group(0).lower()
    if kind == "midnight":
        # An announced midnight is ahead of the article unless "last" says otherwise.
        name = m.group(2) or m.group(4)
        modifier = m.group(1)
        day = _weekday(published, name, modifier, future=modifier != "last")
        if (m.group(3) or "") == "night":
            day += dt.timedelta(days=1)
        moment = _midnight(day, tz)
        return moment, moment, "exact", False
    if kind == "midnight_bare":
        moment = pub1
        return moment, moment, "exact", False
    if kind == "since":
        return None if conflict is None else (_midnight(conflict.start, tz), pub1, "range", True)
    if kind == "date":
        if m.group(7):
            try:
                day = dt.date(int(m.group(7)), int(m.group(8)), int(m.group(9)))
            except ValueError:
                return None
        else:
            parsed = _quick_date(m, published, future) or _parse_date(
                m.group(0).rstrip(".,"), published, future
            )
            if parsed is None:
                return None
            day = parsed
        return _midnight(day, tz), _midnight(day + dt.timedelta(days=1), tz), "day", False
    if kind == "month":
        name = (m.group(1) or m.group(3)).lower()
        year_text = m.group(2) or m.group(4)
        month = MONTHS[name]
        if year_text:
            year = int(year_text)
        else:
            year = published.year if month <= published.month or future else published.year - 1
        first = dt.date(year, month, 1)
        return _midnight(first, tz), _midnight(_next_month(first), tz), "month", False
    if kind == "year":
        year = int(m.group(1))
        if year > published.year + 1:
            return None
        start = _midnight(dt.date(year, 1, 1), tz)
        return start, min(_midnight(dt.date(year + 1, 1, 1), tz), pub1), "year", False
    if kind == "span":
        if m.group(2) or m.group(4) or m.group(11):
            amount_text = (m.group(1) or m.group(3) or m.group(10) or "1").lower()
            amount = int(amount_text) if amount_text.isdigit() else SMALL.get(amount_text, 1)
            unit = (m.group(2) or m.group(4) or m.group(11)).lower()
            first, precision = _span_days(published, amount, unit)
            return _midnight(first, tz), pub1, precision, True
        if m.group(5) or m.group(6):
            unit = (m.group(5) or m.group(6)).lower()
            first = published - dt.timedelta(days={"days": 5, "weeks": 21, "months": 90}[unit])
            return _midnight(first, tz), pub1, "range", True
        if m.group(7):
            phrase = m.group(7).lower()
            if "week" in phrase:
                first = published - dt.timedelta(days=published.weekday())
            elif "month" in phrase:
                first = _month_start(published)
            else:
                first = dt.date(published.year, 1, 1)
            return _midnight(first, tz), pub1, "range", True
        phrase = (m.group(8) or m.group(9) or "").lower()
        if phrase == "this week":
            return _midnight(published - dt.timedelta(days=6), tz), pub1, "week", True
        if phrase == "this month":
            return _midnight(_month_start(published), tz), pub1, "month", True
        if phrase == "this year":
            return _midnight(dt.date(published.year, 1, 1), tz), pub1, "year", True
        if phrase.startswith("earlier this"):
            if "week" in phrase:
                first = published - dt.timedelta(days=published.weekday())
            elif "month" in phrase:
                first = _month_start(published)
            else:
                first = dt.date(published.year, 1, 1)
            end = pub0 if first < published else pub1
            return _midnight(first, tz), end, "range", False
        if phrase == "last week":
            monday = published - dt.timedelta(days=published.weekday() + 7)
            return (
                _midnight(monday, tz),
                _midnight(monday + dt.timedelta(days=7), tz),
                "week",
                False,
            )
        if phrase == "last month":
            first = _month_start(_month_start(published) - dt.timedelta(days=1))
            return _midnight(first, tz), _midnight(_month_start(published), tz), "month", False
        if phrase == "last year":
            year = published.year - 1
            start = _midnight(dt.date(year, 1, 1), tz)
            return start, _midnight(dt.date(year + 1, 1, 1), tz), "year", False
        return None
    if kind == "relative":
        offsets = {
            "the day before yesterday": -2,
            "yesterday": -1,
            "last night": -1,
            "tomorrow": 1,
        }
        key = re.sub(r"\s+", " ", text)
        offset = offsets.get(key, 0)
        if key == "overnight":
            return _midnight(published - dt.timedelta(days=1), tz), pub1, "days", False
        day = published + dt.timedelta(days=offset)
        return _midnight(day, tz), _midnight(day + dt.timedelta(days=1), tz), "day", False
    if kind == "weekday":
        day = _weekday(published, m.group(2), m.group(1), future)
        return _midnight(day, tz), _midnight(day + dt.timedelta(days=1), tz), "day", False
    return None


def find_times(
    text: str,
    published: dt.date,
    tz: ZoneInfo,
    *,
    offset: int = 0,
    future: bool = False,
    region: Region | None = None,
) -> list[When]:
    """Every time expression in `text` (a sentence), earliest first; none overlap.

    "since the war began" counts from the region's conflict (the workspace's region
    by default); a region that names none has no such expression.
    """
    war = Conflict.of(region)
    lowered = text.lower()
    taken: list[tuple[int, int]] = []
    found: list[When] = []
    for kind, pattern in PATTERNS:
        if kind == "since":
            if war is None:
                continue
            pattern = _since_pattern(war)
        for m in pattern.finditer(lowered):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            resolved = _resolve(kind, m, published, tz, future, war)
            if resolved is None:
                continue
            start, end, precision, running = resolved
            if kind in ("date", "month", "weekday") and not _capitalised(text, s, kind):
                continue
            since = lowered[max(0, s - 6) : s].strip().endswith("since") or lowered[s:].startswith(
                "since "
            )
            if since and kind != "since":
                start, end, precision, running = start, _end_of(published, tz), "range", True
            taken.append((s, e))
            found.append(When(start, end, precision, text[s:e], (offset + s, offset + e), running))
    return sorted(found, key=lambda w: w.span)


def _capitalised(text: str, start: int, kind: str) -> bool:
    """Month names and weekdays are capitalised in English ("may" and "march" are verbs)."""
    if kind == "relative":
        return True
    for word in re.finditer(r"[A-Za-z]+", text[start:]):
        lowered = word.group(0).lower()
        if lowered in MONTHS or lowered in WEEKDAYS:
            return word.group(0)[0].isupper()
    return True


def _end_of(published: dt.date, tz: ZoneInfo) -> dt.datetime:
    return _midnight(published + dt.timedelta(days=1), tz)


def utc_iso(moment: dt.datetime) -> str:
    """`2016-04-29T21:00:00Z`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
