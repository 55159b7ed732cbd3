"""core.events.merge: one row per event, competing claims kept, casualty ranges widened."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.core.events import merge
from ceasefire.core.model import Act

from .conftest import ALEPPO, DOUMA, R, table


def _three_reports_one_event() -> list[R]:
    return [
        R(
            "ucdp",
            "u1",
            0,
            *ALEPPO,
            perps=("gov",),
            targets=("opposition",),
            killed=12,
            radius_km=1,
        ),  # fmt: skip
        R(
            "acled",
            "a1",
            0,
            ALEPPO[0] + 0.02,
            ALEPPO[1],
            Act.air_strike,
            ("gov",),
            ("civilians",),
            True,
            killed=8,
            radius_km=15,
        ),  # fmt: skip
        R(
            "paper",
            "p1",
            0,
            *ALEPPO,
            Act.air_strike,
            ("opposition",),
            ("civilians",),
            True,
            killed=20,
            radius_km=10,
        ),  # fmt: skip
        R("ucdp", "u2", 3, *DOUMA, killed=4),
    ]


def test_one_row_per_event_with_the_representatives_time_and_place() -> None:
    t = table(_three_reports_one_event())
    merged = merge(t, [0, 0, 0, 3])
    assert len(merged) == 2
    assert merged.id.tolist() == ["u1", "u2"]
    assert merged.lon[0] == t.lon[0] and merged.radius_m[0] == 1000.0
    assert merged.t0[0] == t.t0[0]


def test_casualties_low_min_best_median_high_max() -> None:
    merged = merge(table(_three_reports_one_event()), [0, 0, 0, 3])
    assert (merged.killed_low[0], merged.killed_best[0], merged.killed_high[0]) == (8, 12, 20)
    assert merged.killed_best[1] == 4


def test_claims_tagged_by_source_and_competing() -> None:
    merged = merge(table(_three_reports_one_event()), [0, 0, 0, 3])
    conduct = merged.conducts[merged.conduct[0]]
    assert conduct.directed and conduct.act == Act.air_strike
    # Only the reports that say who acted give perpetrator claims; UCDP's dyad stays a dyad.
    assert conduct.perpetrators == (("source:acled", ("gov",)), ("source:paper", ("opposition",)))
    assert conduct.dyad == (("gov",), ("opposition",))
    assert set(conduct.targets) == {"civilians"}
    # The unlinked report is unchanged.
    assert (
        merged.conducts[merged.conduct[1]]
        == table(_three_reports_one_event()).conducts[table(_three_reports_one_event()).conduct[3]]
    )


def test_a_named_claimant_keeps_its_name() -> None:
    reports = [
        R(
            "acled",
            "a1",
            0,
            *ALEPPO,
            Act.shelling,
            ("nusra",),
            ("civilians",),
            True,
            claimed_by="russia",
        ),  # fmt: skip
        R("paper", "p1", 0, *ALEPPO, Act.shelling, ("opposition",), ("civilians",), True),
    ]
    merged = merge(table(reports), [0, 0])
    conduct = merged.conducts[merged.conduct[0]]
    assert conduct.perpetrators == (("russia", ("nusra",)), ("source:paper", ("opposition",)))


def test_nothing_linked_is_the_same_table() -> None:
    t = table(_three_reports_one_event())
    merged = merge(t, np.arange(len(t)))
    assert merged.id.tolist() == t.id.tolist()
    assert np.array_equal(merged.conduct, t.conduct)


def test_bad_event_of_is_refused() -> None:
    t = table(_three_reports_one_event())
    with pytest.raises(ValueError):
        merge(t, [0, 0, 0])
    with pytest.raises(ValueError):
        merge(t, [1, 0, 0, 3])  # row 1 stands for row 0, which stands for 1's... not itself
