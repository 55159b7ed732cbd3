"""Relative dates resolved against the publication day (Friday 29 April 2016, Damascus)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ceasefire.extract.dates import find_times, utc_iso

TZ = ZoneInfo("Asia/Damascus")
FRIDAY = dt.date(2016, 4, 29)


def one(text: str, future: bool = False) -> tuple[str, str, str, bool]:
    found = find_times(text, FRIDAY, TZ, future=future)
    assert len(found) == 1, found
    w = found[0]
    return utc_iso(w.start), utc_iso(w.end), w.precision, w.running


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "running"),
    [
        (
            "a hospital was hit on Wednesday",
            "2016-04-26T21:00:00Z",
            "2016-04-27T21:00:00Z",
            "day",
            False,
        ),
        ("shelling on Friday", "2016-04-28T21:00:00Z", "2016-04-29T21:00:00Z", "day", False),
        ("last Friday", "2016-04-21T21:00:00Z", "2016-04-22T21:00:00Z", "day", False),
        ("yesterday", "2016-04-27T21:00:00Z", "2016-04-28T21:00:00Z", "day", False),
        (
            "200 killed in the past week",
            "2016-04-21T21:00:00Z",
            "2016-04-29T21:00:00Z",
            "week",
            True,
        ),
        ("over the past three days", "2016-04-25T21:00:00Z", "2016-04-29T21:00:00Z", "days", True),
        ("earlier this month", "2016-03-31T21:00:00Z", "2016-04-28T21:00:00Z", "range", False),
        ("on April 27, 2016", "2016-04-26T21:00:00Z", "2016-04-27T21:00:00Z", "day", False),
        ("the Feb. 27 truce", "2016-02-26T22:00:00Z", "2016-02-27T22:00:00Z", "day", False),
        ("on 27 February", "2016-02-26T22:00:00Z", "2016-02-27T22:00:00Z", "day", False),
        ("last month", "2016-02-29T22:00:00Z", "2016-03-31T21:00:00Z", "month", False),
        ("since Wednesday", "2016-04-26T21:00:00Z", "2016-04-29T21:00:00Z", "range", True),
        ("so far this year", "2015-12-31T22:00:00Z", "2016-04-29T21:00:00Z", "range", True),
    ],
)
def test_relative_dates(text: str, start: str, end: str, precision: str, running: bool) -> None:
    assert one(text) == (start, end, precision, running)


def test_midnight_saturday_is_the_coming_saturday_start() -> None:
    # announced on Friday 29 April: 00:00 on Saturday 30 April, Damascus (UTC+3)
    start, end, precision, _ = one("to begin at midnight Saturday morning")
    assert (start, end, precision) == ("2016-04-29T21:00:00Z", "2016-04-29T21:00:00Z", "exact")


def test_weekday_in_an_announcement_looks_ahead() -> None:
    start, _, _, _ = one("talks will resume on Monday", future=True)
    assert start == "2016-05-01T21:00:00Z"


def test_month_names_must_be_capitalised() -> None:
    assert find_times("they may march on", FRIDAY, TZ) == []


def test_since_the_war_began() -> None:
    start, end, _, running = one("since the war began in 2011")
    assert start.startswith("2011-03-1") and end == "2016-04-29T21:00:00Z" and running
