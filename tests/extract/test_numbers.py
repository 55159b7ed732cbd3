"""Casualty figures as news writes them: the documented low / best / high conventions."""

from __future__ import annotations

import pytest

from ceasefire.extract.numbers import parse_count


@pytest.mark.parametrize(
    ("text", "low", "best", "high"),
    [
        ("50", 50, 50, 50),
        ("fifty", 50, 50, 50),
        ("1,500", 1500, 1500, 1500),
        ("twenty - five", 25, 25, 25),
        ("at least 50", 50, None, None),
        ("no fewer than 12", 12, None, None),
        ("more than 200", 201, None, None),
        ("over 30", 31, None, None),
        ("up to 30", 1, None, 30),
        ("as many as 30", 1, None, 30),
        ("nearly 30", 27, None, 29),
        ("about 30", 27, 30, 33),
        ("some 40", 36, 40, 44),
        ("between 20 and 30", 20, None, 30),
        ("20 to 30", 20, None, 30),
        ("a dozen", 12, 12, 12),
        ("two dozen", 24, 24, 24),
        ("dozens", 24, None, 99),
        ("dozens of", 24, None, 99),
        ("scores", 40, None, 199),
        ("hundreds", 200, None, 999),
        ("thousands", 2000, None, 9999),
        ("several", 3, None, 9),
        ("three", 3, 3, 3),
        ("a", 1, 1, 1),
        ("two hundred", 200, 200, 200),
    ],
)
def test_conventions(text: str, low: int | None, best: int | None, high: int | None) -> None:
    count = parse_count(text)
    assert count is not None
    assert (count.low, count.best, count.high) == (low, best, high)


def test_not_a_number() -> None:
    assert parse_count("people") is None
    assert parse_count("") is None
