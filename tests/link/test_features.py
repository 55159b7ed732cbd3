"""What the linkage model compares: link_frame's columns from hand-built reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ceasefire.core.model import Act
from ceasefire.link.features import act_family, closeness, link_frame, top_sides

from .conftest import ALEPPO, DOUMA, R, registry, table


def test_week_precision_is_widened_and_a_day_is_not() -> None:
    t = table(
        [
            R("a", "day", 0, *ALEPPO),
            R("a", "week", 0, *ALEPPO, precision="week"),
            R("a", "month", 0, *ALEPPO, precision="month"),
        ]
    )
    f = link_frame(t)
    spans = (f["t1"] - f["t0"]).round(6).tolist()
    assert spans == [1.0, 7.0, 31.0]
    assert f["mid"].iloc[0] == f["mid"].iloc[1]


def test_two_days_apart_always_share_a_week_bucket() -> None:
    # Every pair of days up to two apart, over several weeks: one bucket or the other.
    reports = [R("a", f"d{d}", d, *ALEPPO) for d in range(-10, 20)]
    f = link_frame(table(reports))
    wk, wk_s = f["wk"].to_numpy(), f["wk_s"].to_numpy()
    for i in range(len(f)):
        for j in range(i + 1, min(i + 3, len(f))):
            assert wk[i] == wk[j] or wk_s[i] == wk_s[j], (i, j)
    assert len(set(wk)) > 1  # the buckets do split somewhere


def test_cells_and_shifted_cells() -> None:
    # 0.1 degrees apart across a plain cell boundary (lon 37.0): the shifted cell joins them.
    f = link_frame(table([R("a", "w", 0, 36.95, 36.1), R("a", "e", 0, 37.05, 36.1)]))
    assert f["cell"].iloc[0] != f["cell"].iloc[1]
    assert f["cell_s"].iloc[0] == f["cell_s"].iloc[1]


def test_governorate_and_district_of_a_point() -> None:
    f = link_frame(table([R("a", "aleppo", 0, *ALEPPO), R("a", "douma", 0, *DOUMA),
                          R("a", "sea", 0, 34.0, 35.0)]))  # fmt: skip
    assert f["adm1"].iloc[0] == "SY02"  # Aleppo governorate
    assert f["adm1"].iloc[1] == "SY03"  # Rural Damascus
    assert pd.isna(f["adm1"].iloc[2])
    assert f["adm2"].iloc[0] == "SY0200"  # Jebel Saman district (Aleppo city)
    assert f["adm2"].iloc[1] == "SY0302"  # Duma district
    assert pd.isna(f["adm2"].iloc[2])


def test_act_families() -> None:
    assert act_family(Act.air_strike) == act_family(Act.drone_strike) == "air"
    assert act_family(Act.shelling) == act_family(Act.mortar) == "fire"
    assert act_family(Act.bombing) == "explosive"
    assert act_family(Act.clash) == "clash"
    assert act_family(Act.attack) is None


def test_sides_are_top_level_parties() -> None:
    reg = registry()
    assert top_sides(["air-force", "brigade", "civilians"], reg) == ("gov", "opposition")
    t = table([R("a", "x", 0, *ALEPPO, perps=("air-force",), targets=("civilians",))])
    f = link_frame(t, reg)
    assert f["sides"].iloc[0] == ["gov"]


def test_casualties_coarse_places_and_aggregates() -> None:
    t = table(
        [
            R("a", "known", 0, *ALEPPO, killed=4),
            R("a", "unknown", 0, *ALEPPO),
            R("a", "coarse", 0, *ALEPPO, radius_km=40),
        ]
    )
    f = link_frame(t, aggregate=[False, True, False])
    assert f["killed_best"].iloc[0] == 4 and np.isnan(f["killed_best"].iloc[1])
    assert f["coarse"].tolist() == [False, False, True]
    assert f["aggregate"].tolist() == [False, True, False]
    assert f["unique_id"].tolist() == [0, 1, 2]


def test_closeness_orders_by_day_place_and_casualties() -> None:
    reports = [
        R("a", "a", 0, *ALEPPO, killed=10),
        R("b", "same", 0, *ALEPPO, killed=10),
        R("b", "next-day", 1, *ALEPPO, killed=10),
        R("b", "5-km", 0, ALEPPO[0] + 0.056, ALEPPO[1], killed=10),
        R("b", "more-dead", 0, *ALEPPO, killed=14),
        R("b", "far", 9, *DOUMA, killed=400),
    ]
    f = link_frame(table(reports))
    c = closeness(f, [0] * 5, [1, 2, 3, 4, 5])
    assert c[0] == 0.0
    assert all(-3.0 <= x < 0.0 for x in c[1:])
    assert c[4] < min(c[1:4])  # worse on all three counts
