"""The linkage model: which reports of two sources describe one event (splink on DuckDB).

Pairs are generated only within a week bucket and a 0.5° cell (each also half-shifted)
or, for reports whose place is a district or wider, within a week and a governorate;
never within one source (`link_only` between two tables). Each pair is compared on

- time: the same day (two reports of a day or less), else the gap between the two
  intervals (each widened by its precision): overlapping, touching, 1 or 3 days apart;
  each band split by how many days apart the two midpoints are (0, 1, 2, 3, more);
- place: the distance, within 1.5, 3, 6 or 12 km, else against the sum of the two
  uncertainty radii (a quarter of it, half of it, the radii + 2 or + 10 km, twice + 30);
- district: when one place is known only to 20 km or worse (a district, a governorate),
  whether the two points lie in one admin-2 unit of the region;
- sides: the top-level parties each names (same, some shared, none shared);
- act family: air / fire / explosive / clash;
- words: the telling words both sources' texts use (`features.report_words`: a headline,
  an ACLED note; no function words, none common to many reports): most of the shorter
  text's, two or three, one, none; null when either report has no text;
- casualties: the same best estimate (10 or more, 3 to 9, 1 or 2, none), else how many
  times one best estimate is the other (x1.2 with 5 or more, x1.2, x1.35, x1.5, x1.7,
  x2.2, x3); each band split by the larger estimate (at most 2, 3 to 8, 9 or more).

The levels are fine enough that two candidates of one report differing by a day, a few
kilometres or a casualty figure score apart; the decisions (`clusters.decide`) also
break ties between pairs scored alike by the exact evidence (`features.closeness`).

The parameters (m and u of every level, and the prior) are fitted once, by
`bench/match_eval.py --train`, on a labelled synthetic set, and shipped in
`model.json` beside this file, with the threshold and the margin chosen on the same
set; `predict` only reads them, so a run is deterministic. They are conditioned on
blocking: u is counted among blocked non-matching pairs, not random ones, because
every blocked pair is already near in time and place.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

MODEL_FILE = "model.json"
#: Where the trained model keeps its two thresholds (not a splink setting: removed before use).
THRESHOLDS = "ceasefire_thresholds"
#: What splink needs of each report (the rest of `link_frame` is not sent to it).
MODEL_COLUMNS = (
    "unique_id", "t0", "t1", "lon", "lat", "radius_km", "wk", "wk_s", "cell", "cell_s",
    "cell_xs", "cell_ys", "adm1", "adm2", "coarse", "act_family", "sides", "killed_low",
    "killed_best", "killed_high", "words",
)  # fmt: skip

_GAP = "greatest(t0_l - t1_r, t0_r - t1_l)"
_DIST = (
    "(2 * 6371.0088 * asin(sqrt(least(1.0, pow(sin(radians(lat_r - lat_l) / 2), 2)"
    " + cos(radians(lat_l)) * cos(radians(lat_r)) * pow(sin(radians(lon_r - lon_l) / 2), 2)))))"
)
_RADII = "(radius_km_l + radius_km_r)"
#: How many times one best estimate is the other (+1 each, so that 0 and 1 are near).
_RATIO = "(greatest(killed_best_l, killed_best_r) + 1) / (least(killed_best_l, killed_best_r) + 1)"
_LEAST = "least(killed_best_l, killed_best_r)"
_SHARED = "len(list_intersect(words_l, words_r))"
_FEWER = "least(len(words_l), len(words_r))"
#: The district says something only of a report this uncertain (km): for the others the
#: distance says it all.
DISTRICT_KM = 20.0


def _levels(*levels: tuple[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sql, label in levels:
        level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
        if label == "null":
            level["is_null_level"] = True
        out.append(level)
    return out


#: Time: bands from most to least alike (the last is ELSE), and the classes each band is
#: split by (how far apart the two midpoints are, in whole days).
TIME_BANDS = (
    (
        "t1_l - t0_l <= 1.5 AND t1_r - t0_r <= 1.5 AND abs((t0_l + t1_l) - (t0_r + t1_r)) < 1",
        "the same day",
    ),
    ("least(t1_l, t1_r) - greatest(t0_l, t0_r) >= 0.5", "overlap by half a day"),
    (f"{_GAP} <= 0", "intervals touch"),
    (f"{_GAP} <= 1", "gap <= 1 day"),
    (f"{_GAP} <= 3", "gap <= 3 days"),
    ("ELSE", "further apart"),
)
_MID = "abs((t0_l + t1_l) - (t0_r + t1_r)) / 2"
TIME_CLASSES = (
    (f"{_MID} < 0.5", "midpoints < 0.5 d apart"),
    (f"{_MID} < 1.5", "midpoints ~1 d apart"),
    (f"{_MID} < 2.5", "midpoints ~2 d apart"),
    (f"{_MID} < 3.5", "midpoints ~3 d apart"),
    ("ELSE", "midpoints further apart"),
)
#: Place: distance bands (not split: how far apart two reports of one event are given
#: their radii depends on how each source geocodes, which the radii already say).
PLACE_BANDS = (
    (f"{_DIST} <= 1.5", "within 1.5 km"),
    (f"{_DIST} <= 3", "within 3 km"),
    (f"{_DIST} <= 6", "within 6 km"),
    (f"{_DIST} <= 12", "within 12 km"),
    (f"{_DIST} <= 0.25 * {_RADII}", "within a quarter of the radii"),
    (f"{_DIST} <= 0.5 * {_RADII}", "within half the radii"),
    (f"{_DIST} <= {_RADII} + 2", "within the radii + 2 km"),
    (f"{_DIST} <= {_RADII} + 10", "within the radii + 10 km"),
    (f"{_DIST} <= 2 * {_RADII} + 30", "within twice the radii + 30 km"),
    ("ELSE", "further"),
)
#: Casualties: bands of agreement, split by the larger best estimate.
KILLED_BANDS = (
    (f"killed_best_l = killed_best_r AND {_LEAST} >= 10", "same best, 10 or more"),
    (f"killed_best_l = killed_best_r AND {_LEAST} >= 3", "same best, 3 to 9"),
    (f"killed_best_l = killed_best_r AND {_LEAST} >= 1", "same best, 1 or 2"),
    ("killed_best_l = killed_best_r", "both none"),
    (f"{_RATIO} <= 1.2 AND {_LEAST} >= 5", "best within x1.2, 5 or more"),
    (f"{_RATIO} <= 1.2", "best within x1.2"),
    (f"{_RATIO} <= 1.35", "best within x1.35"),
    (f"{_RATIO} <= 1.5", "best within x1.5"),
    (f"{_RATIO} <= 1.7", "best within x1.7"),
    (f"{_RATIO} <= 2.2", "best within x2.2"),
    (f"{_RATIO} <= 3", "best within x3"),
    ("ELSE", "far apart"),
)
_MOST = "greatest(killed_best_l, killed_best_r)"
KILLED_CLASSES = (
    (f"{_MOST} <= 2", "at most 2"),
    (f"{_MOST} <= 8", "3 to 8"),
    ("ELSE", "9 or more"),
)


def crossed(
    bands: Sequence[tuple[str, str]], classes: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Levels of every band split by every class (band first), the last one ELSE."""
    out: list[tuple[str, str]] = []
    for band, band_label in bands:
        for cls, cls_label in classes:
            parts = [x for x in (band, cls) if x != "ELSE"]
            sql = " AND ".join(f"({x})" for x in parts) if parts else "ELSE"
            out.append((sql, f"{band_label}; {cls_label}"))
    return out


def comparisons() -> list[dict[str, Any]]:
    """The comparisons, as splink settings (levels from most to least alike)."""
    return [
        {
            "output_column_name": "time",
            "comparison_description": "gap between the two intervals (days), and midpoints",
            "comparison_levels": _levels(
                ("t0_l IS NULL OR t0_r IS NULL", "null"), *crossed(TIME_BANDS, TIME_CLASSES)
            ),
        },
        {
            "output_column_name": "place",
            "comparison_description": "distance against the two places' uncertainty",
            "comparison_levels": _levels(("lat_l IS NULL OR lat_r IS NULL", "null"), *PLACE_BANDS),
        },
        {
            "output_column_name": "district",
            "comparison_description": "the admin-2 unit each point lies in",
            "comparison_levels": _levels(
                (
                    f"adm2_l IS NULL OR adm2_r IS NULL OR greatest(radius_km_l, radius_km_r)"
                    f" <= {DISTRICT_KM}",
                    "null",
                ),
                ("adm2_l = adm2_r", "same district"),
                ("ELSE", "other district"),
            ),
        },
        {
            "output_column_name": "sides",
            "comparison_description": "top-level parties named",
            "comparison_levels": _levels(
                ("sides_l IS NULL OR sides_r IS NULL", "null"),
                ("list_sort(sides_l) = list_sort(sides_r)", "same sides"),
                ("len(list_intersect(sides_l, sides_r)) > 0", "some side shared"),
                ("ELSE", "no side shared"),
            ),
        },
        {
            "output_column_name": "act",
            "comparison_description": "family of the act",
            "comparison_levels": _levels(
                ("act_family_l IS NULL OR act_family_r IS NULL", "null"),
                ("act_family_l = act_family_r", "same family"),
                ("ELSE", "different family"),
            ),
        },
        {
            "output_column_name": "words",
            "comparison_description": "telling words both texts use (a headline, a note)",
            "comparison_levels": _levels(
                ("words_l IS NULL OR words_r IS NULL", "null"),
                (
                    f"{_SHARED} >= 4 OR ({_SHARED} >= 2 AND 2 * {_SHARED} >= {_FEWER})",
                    "most words shared",
                ),  # fmt: skip
                (f"{_SHARED} >= 2", "two or three words shared"),
                (f"{_SHARED} = 1", "one word shared"),
                ("ELSE", "no word shared"),
            ),
        },
        {
            "output_column_name": "killed",
            "comparison_description": "casualty best estimates, by size",
            "comparison_levels": _levels(
                ("killed_best_l IS NULL OR killed_best_r IS NULL", "null"),
                *crossed(KILLED_BANDS, KILLED_CLASSES),
            ),
        },
    ]


def blocking_rules() -> list[str]:
    """Pairs worth scoring: same week bucket (plain or half-shifted) and same cell (plain,
    shifted by half a cell in both directions, or in one only: two points less than a
    quarter of a degree apart share at least one of the four), or, for a coarse place,
    same week bucket and governorate."""
    rules: list[str] = []
    for week in ("wk", "wk_s"):
        for cell in ("cell", "cell_s", "cell_xs", "cell_ys"):
            rules.append(f"l.{week} = r.{week} AND l.{cell} = r.{cell}")
    for week in ("wk", "wk_s"):
        for side in ("l", "r"):
            rules.append(f"{side}.coarse AND l.{week} = r.{week} AND l.adm1 = r.adm1")
    return rules


def base_settings(prior: float = 1e-4) -> dict[str, Any]:
    """The untrained settings (every m and u left to training)."""
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in blocking_rules()
        ],
        "comparisons": comparisons(),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "sql_dialect": "duckdb",
        "linker_uid": "ceasefire",
    }


def model_path() -> Path:
    return Path(str(resources.files("ceasefire.link").joinpath(MODEL_FILE)))


@cache
def _shipped() -> str:
    return model_path().read_text(encoding="utf-8")


def load_settings(path: str | Path | None = None) -> dict[str, Any]:
    """The trained model (the shipped one unless `path` names another)."""
    text = Path(path).read_text(encoding="utf-8") if path is not None else _shipped()
    settings: dict[str, Any] = json.loads(text)
    return settings


def _frame_for_splink(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = frame.loc[~frame["aggregate"].to_numpy(bool), list(MODEL_COLUMNS)].copy()
    for name in ("killed_low", "killed_best", "killed_high"):
        out[name] = pd.array(out[name].to_numpy(float), dtype="Float64")  # NaN -> NULL
    return out.reset_index(drop=True)


def _quiet() -> None:
    for name in ("splink", "duckdb"):
        logging.getLogger(name).setLevel(logging.WARNING)


def predict(
    left: pd.DataFrame,
    right: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    threshold: float | None = 0.01,
    threads: int | None = None,
) -> pd.DataFrame:
    """Scored pairs between two frames of `link_frame` (aggregates left out): columns
    `left`, `right` (their `unique_id`s), `score` (match probability), `weight` and the
    comparison levels `gamma_*` (when the settings retain matching columns). Pairs below
    `threshold` are dropped."""
    import pandas as pd
    from splink import DuckDBAPI, Linker

    _quiet()
    settings = copy.deepcopy(settings if settings is not None else load_settings())
    settings.pop(THRESHOLDS, None)
    a, b = _frame_for_splink(left), _frame_for_splink(right)
    gammas = [f"gamma_{c['output_column_name']}" for c in settings["comparisons"]]
    columns = ["left", "right", "score", "weight", *gammas]
    if not len(a) or not len(b):
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    import duckdb

    connection = duckdb.connect()
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    db = DuckDBAPI(connection)
    linker = Linker(
        [db.register(a, dataset_display_name="l"), db.register(b, dataset_display_name="r")],
        settings,
        log_level=None,
    )
    result = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    pairs = result.as_pandas_dataframe()
    connection.close()
    # link_only puts either table on the left; put `left`'s reports on the left.
    flip = (pairs["source_dataset_l"] != "l").to_numpy()
    left_id = pairs["unique_id_l"].to_numpy().copy()
    right_id = pairs["unique_id_r"].to_numpy().copy()
    left_id[flip], right_id[flip] = right_id[flip], left_id[flip]
    out = pd.DataFrame(
        {
            "left": left_id.astype("int64"),
            "right": right_id.astype("int64"),
            "score": pairs["match_probability"].to_numpy(float),
            "weight": pairs["match_weight"].to_numpy(float),
        }
    )
    for g in gammas:
        if g in pairs.columns:  # only with retain_matching_columns
            out[g] = pairs[g].to_numpy()
    return out.sort_values(["left", "right"], kind="stable").reset_index(drop=True)


def count_compared(
    left: pd.DataFrame,
    right: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    sample: float = 1.0,
) -> int:
    """How many pairs the blocking rules give splink to score (each pair once), counted by
    splink's blocking analysis; with `sample` < 1 estimated from that share of each side."""
    import duckdb
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    _quiet()
    settings = settings if settings is not None else load_settings()
    a, b = _frame_for_splink(left), _frame_for_splink(right)
    if not len(a) or not len(b):
        return 0
    connection = duckdb.connect()
    db = DuckDBAPI(connection)
    records = count_comparisons_from_blocking_rules(
        [db.register(a, dataset_display_name="l"), db.register(b, dataset_display_name="r")],
        blocking_rules=[
            r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]
        ],
        link_type="link_only",
        record_sample_proportion=sample,
    )
    connection.close()
    return int(records[-1]["cumulative_comparison_count"]) if records else 0


def fit(
    pairs: pd.DataFrame, matches: set[tuple[int, int]], settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """m and u of every level, and the prior, counted on scored blocked pairs (`predict`
    with `threshold=None`) against the known matches; add-one smoothing. Returns the
    trained settings."""
    trained = copy.deepcopy(settings if settings is not None else base_settings())
    keys = list(zip(pairs["left"].tolist(), pairs["right"].tolist(), strict=True))
    is_match = [k in matches for k in keys]
    import numpy as np

    flag = np.asarray(is_match, dtype=bool)
    n_match, n_non = int(flag.sum()), int((~flag).sum())
    if n_match == 0 or n_non == 0:
        raise ValueError("training needs both matching and non-matching blocked pairs")
    for comparison in trained["comparisons"]:
        gamma = pairs[f"gamma_{comparison['output_column_name']}"].to_numpy()
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        known = gamma >= 0  # the null level says nothing either way
        seen_m, seen_u = int((known & flag).sum()), int((known & ~flag).sum())
        for index, level in enumerate(levels):
            value = len(levels) - 1 - index
            hit = gamma == value
            level["m_probability"] = (int((hit & flag).sum()) + 1) / (seen_m + len(levels))
            level["u_probability"] = (int((hit & ~flag).sum()) + 1) / (seen_u + len(levels))
    trained["probability_two_random_records_match"] = n_match / (n_match + n_non)
    trained["retain_intermediate_calculation_columns"] = False
    trained["retain_matching_columns"] = False
    return trained


def thresholds(
    settings: dict[str, Any], auto: float, review: float
) -> tuple[float, float, float | None]:
    """The (auto, review, margin) the model was trained with, else the given ones (and no
    margin)."""
    found = settings.get(THRESHOLDS) or {}
    margin = found.get("margin")
    return (
        float(found.get("auto", auto)),
        float(found.get("review", review)),
        None if margin is None else float(margin),
    )


def save(settings: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def describe(settings: dict[str, Any]) -> list[str]:
    """One line per level: its label and its Bayes factor m/u (for the bench's report)."""
    lines = [f"prior (blocked pairs): {settings['probability_two_random_records_match']:.4f}"]
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            factor = f"{m / u:9.3f}" if m and u else "        -"
            lines.append(
                f"{comparison['output_column_name']:7} {factor}  {level['label_for_charts']}"
            )
    return lines


def frames_by_source(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(s): part for s, part in frame.groupby("source", sort=True)}


def source_pairs(sources: Sequence[str]) -> list[tuple[str, str]]:
    ordered = sorted(dict.fromkeys(sources))
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]]


__all__ = [
    "MODEL_COLUMNS",
    "base_settings",
    "blocking_rules",
    "comparisons",
    "count_compared",
    "describe",
    "fit",
    "frames_by_source",
    "load_settings",
    "model_path",
    "predict",
    "save",
    "thresholds",
    "source_pairs",
]
