"""The Reports page: a form choosing a report, the report it chose, and its downloads.

What the page asks (`agreement`, `reading`, `period` = day | week | month | custom,
`from`, `to`) becomes what `reports.build_report` and `GET /api/v1/reports` take:
`period=week&from=2016-04-25`, or `period=2016-04-25..2016-05-01` for a custom range.
Decided here, not in the page:

- the viewer needs `findings.read` (refused before anything else, as the dashboard is);
- with no agreement named, the first of the catalogue, as the dashboard chooses; with
  no date, the latest full day, week or month in the agreement's data (the report's
  own default); the form then shows the dates the report covers;
- bad input (an unknown agreement or reading, a bad date, a custom range without its
  dates or running backwards) is not an error page: the form comes back with the
  problem, naming the parameter, and no report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ceasefire.core.engine import TEXT
from ceasefire.core.errors import InputError
from ceasefire.core.policy import Action, Principal, Settings, require
from ceasefire.services import ledger, reports, views
from ceasefire.storage.record import Record

#: The period kinds the form offers, with their labels.
PERIODS = [("day", "Day"), ("week", "Week (Monday to Sunday)"), ("month", "Month"),
           ("custom", "Custom: from … to …")]  # fmt: skip
CUSTOM = "custom"
#: The documents the page links to (the reports API's formats).
DOCUMENTS = ("html", "pdf", "md")
REPORTS_API = "/api/v1/reports"


@dataclass
class Problem:
    """Why no report is shown: the parameter at fault and what is wrong with it."""

    field: str
    message: str


@dataclass
class ReportForm:
    """The form as the page shows it: the choices and what is chosen."""

    agreements: list[tuple[str, str]]
    agreement: str
    readings: list[str]
    reading: str
    periods: list[tuple[str, str]]
    period: str
    start_from: str
    to: str


@dataclass
class ReportPage:
    form: ReportForm
    report: dict[str, Any] | None = None  # `Report.model_dump(mode="json")`
    links: list[dict[str, str]] = field(default_factory=list)
    problem: Problem | None = None
    timezone: str | None = None


def _text(value: str | None) -> str:
    return (value or "").strip()


def api_period(period: str, start_from: str, to: str) -> tuple[str, str | None]:
    """(`period`, `from`) as the report takes them, from the form's period, from and to."""
    if period != CUSTOM:
        if period not in reports.PERIOD_KINDS:
            kinds = ", ".join(k for k, _ in PERIODS)
            raise InputError(f"{period!r}: choose {kinds}", field="period")
        views.parse_day(start_from, "from")
        return period, start_from or None
    first, last = views.parse_day(start_from, "from"), views.parse_day(to, "to")
    if first is None:
        raise InputError("a custom period needs its first date", field="from")
    if last is None:
        raise InputError("a custom period needs its last date", field="to")
    if last < first:
        raise InputError(f"{last} is before the first date, {first}", field="to")
    return f"{first.isoformat()}..{last.isoformat()}", None


def report_links(
    agreement: str, reading: str, period: str, start_from: str | None
) -> list[dict[str, str]]:
    """The report's documents with the page's parameters, one link a format."""
    params = {"agreement": agreement, "reading": reading, "period": period}
    if start_from:
        params["from"] = start_from
    return [{"format": f, "url": f"{REPORTS_API}?{urlencode({**params, 'format': f})}"}
            for f in DOCUMENTS]  # fmt: skip


def _form(
    rec: Record, who: Principal, agreement: str, reading: str, period: str, start: str, to: str
) -> ReportForm:
    catalogue = views.catalogue(rec, who)
    known = {a.id: a for a in catalogue.agreements}
    default = catalogue.agreements[0] if catalogue.agreements else None
    chosen = known.get(agreement, default)
    return ReportForm(
        agreements=[(a.id, a.title) for a in catalogue.agreements],
        agreement=chosen.id if chosen else "",
        readings=views.reading_names(chosen) if chosen else [TEXT],
        reading=reading or TEXT,
        periods=PERIODS,
        period=period,
        start_from=start,
        to=to,
    )


def report_page(
    rec: Record,
    who: Principal,
    *,
    agreement: str | None = None,
    reading: str | None = None,
    period: str | None = None,
    start_from: str | None = None,
    to: str | None = None,
    settings: Settings | None = None,
    keys: ledger.LogKey | None = None,
) -> ReportPage:
    """The page for what the form asks; `PermissionDenied` if the viewer may not read
    findings, a `problem` (and no report) for bad input."""
    settings = settings or Settings()
    require(who, Action.findings_read, settings=settings, what="report")
    kind = _text(period).lower() or "week"
    start, last = _text(start_from), _text(to)
    form = _form(rec, who, _text(agreement), _text(reading), kind, start, last)
    asked = _text(agreement) or form.agreement
    try:
        wanted, first = api_period(kind, start, last)
        built = reports.build_report(
            rec, who, agreement_id=asked, reading=form.reading, period=wanted,
            start_from=first, settings=settings, keys=keys,
        )  # fmt: skip
    except InputError as exc:
        return ReportPage(form=form, problem=Problem(exc.field or "input", exc.message))
    form.start_from = built.period.first
    form.to = built.period.last if kind == CUSTOM else ""
    dated = None if kind == CUSTOM else built.period.first  # the links name the dates shown
    links = report_links(built.agreement, built.reading, wanted, dated)
    return ReportPage(
        form=form, report=built.model_dump(mode="json"), links=links, timezone=built.timezone
    )


__all__ = ["PERIODS", "Problem", "ReportForm", "ReportPage", "api_period", "report_links",
           "report_page"]  # fmt: skip
