"""Benchmark (not a test): matching 10^6 reports against 10^6, and a naive baseline.

Synthetic events, uniform over the Syria box (35.5-42.5 E, 32.3-37.3 N) and
2016-2019, each reported twice with independent noise (date 0/±1/±2 days as in
`match_eval.py`'s default, positions jittered up to ~3 km, 20% moved up to 15 km with a
15 km radius, 5% coarse with a 30 km radius, casualties x U(0.6, 1.4), act family and
sides from a few combinations). The two copies are linked with the shipped model
(`ceasefire.link`: `link_frame` → splink `link_only` with its blocking → one-to-one
decisions): wall time of each step, pairs compared, links, pair precision/recall, and
the peak resident memory of the process.

In the same run, a naive baseline scores every pair of a subsample (`--naive`
events of each copy, 20,000 by default) with the same model's levels and weights in
numpy, without blocking; its time is extrapolated to the full size by the square of
the ratio of sizes (labelled as extrapolated), and the subsample is also linked by
splink, to show that blocking loses none of the pairs the exhaustive scoring links.

Usage::

    python bench/match.py --reports 1000000     # the issue's figure (a few minutes)
    python bench/match.py --reports 100000      # quick
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ceasefire.core.incidents import Conduct, Incidents
from ceasefire.core.model import Act
from ceasefire.link import link_frame, score_pairs
from ceasefire.link.clusters import decide
from ceasefire.link.features import haversine_km
from ceasefire.link.model import DISTRICT_KM, count_compared, load_settings, thresholds

BOX = (35.5, 32.3, 42.5, 37.3)
START = 16801.0  # 2016-01-01 in days since 1970 (UTC)
DAYS = 4 * 365
CONDUCTS = [
    Conduct(Act.air_strike, ((None, ("gov",)),), ("opposition",)),
    Conduct(Act.shelling, ((None, ("gov",)),), ("opposition",)),
    Conduct(Act.shelling, ((None, ("opposition",)),), ("gov",)),
    Conduct(Act.clash, ((None, ("gov",)),), ("opposition",), directed=False),
    Conduct(Act.clash, ((None, ("is",)),), ("sdf",), directed=False),
    Conduct(Act.air_strike, ((None, ("coalition",)),), ("is",)),
    Conduct(Act.bombing, ((None, ("is",)),), ("civilians",)),
    Conduct(Act.attack, ((None, ("gov",)),), ("opposition",), directed=False),
]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def events(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "lon": rng.uniform(BOX[0], BOX[2], n),
        "lat": rng.uniform(BOX[1], BOX[3], n),
        "day": np.floor(rng.uniform(0, DAYS, n)),
        "conduct": rng.integers(len(CONDUCTS), size=n).astype(np.int32),
        "killed": np.floor(rng.exponential(4.0, n)),
    }


def report(truth: dict[str, np.ndarray], source: str, rng: np.random.Generator) -> Incidents:
    n = len(truth["lon"])
    shift = rng.choice([0, -1, 1, -2, 2], size=n, p=[0.5, 0.15, 0.15, 0.1, 0.1])
    day = truth["day"] + shift
    km = np.where(rng.random(n) < 0.2, 15.0, 3.0) * np.sqrt(rng.random(n))
    radius = np.where(km > 3.0, 15.0, 1.0)
    coarse = rng.random(n) < 0.05
    km = np.where(coarse, 20.0 * np.sqrt(rng.random(n)), km)
    radius = np.where(coarse, 30.0, radius)
    angle = rng.uniform(0, 2 * np.pi, n)
    lat = truth["lat"] + km * np.sin(angle) / 110.57
    lon = truth["lon"] + km * np.cos(angle) / (111.32 * np.cos(np.radians(truth["lat"])))
    # Local day in UTC+2/3: a day starts at 21:00 UTC the evening before.
    t0 = ((START + day) * 86_400 - 3 * 3600).astype(np.int64)
    out = Incidents.from_arrays(
        lon=lon,
        lat=lat,
        t0=t0,
        t1=t0 + 86_400,
        conduct=truth["conduct"],
        conducts=CONDUCTS,
        radius_m=radius * 1000.0,
        id=[f"{source}-{i}" for i in range(n)],
        source=source,
    )
    killed = np.round(truth["killed"] * rng.uniform(0.6, 1.4, n))
    out.killed_low, out.killed_best, out.killed_high = killed, killed.copy(), killed.copy()
    out.time_precision = np.full(n, "day", dtype=object)
    return out


# The naive baseline: the model's levels in numpy, every pair. -------------------------


def _factors(settings: dict[str, Any]) -> dict[str, list[float]]:
    """Bayes factor of each non-null level, most alike first, per comparison."""
    out: dict[str, list[float]] = {}
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        out[comparison["output_column_name"]] = [
            lv["m_probability"] / lv["u_probability"] for lv in levels
        ]
    return out


def _pick(conditions: list[np.ndarray], factors: list[float]) -> np.ndarray:
    """log2 factor of the first level whose condition holds (the last is ELSE)."""
    logs = np.log2(factors)
    out = np.full(conditions[0].shape, logs[-1])
    for cond, value in zip(reversed(conditions), reversed(logs[: len(conditions)]), strict=True):
        out = np.where(cond, value, out)
    return out


def _first(conditions: list[np.ndarray]) -> np.ndarray:
    """Index of the first condition that holds (len(conditions) when none: the ELSE)."""
    out = np.full(np.broadcast(*conditions).shape, len(conditions), dtype=np.int64)
    for k in range(len(conditions) - 1, -1, -1):
        out = np.where(conditions[k], k, out)
    return out


def _crossed(
    bands: list[np.ndarray], classes: list[np.ndarray], factors: list[float]
) -> np.ndarray:
    """log2 factor of a level of `model.crossed`: band first, split by class."""
    logs = np.log2(factors)
    return logs[_first(bands) * (len(classes) + 1) + _first(classes)]


def naive_weights(
    a: pd.DataFrame, b: pd.DataFrame, settings: dict[str, Any], chunk: int = 500
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left row, right row, match weight) of every pair above the review threshold."""
    f = _factors(settings)
    prior = settings["probability_two_random_records_match"]
    base = np.log2(prior / (1 - prior))
    _, review, _ = thresholds(settings, 0.95, 0.6)
    cut = np.log2(review / (1 - review))
    B = {c: b[c].to_numpy() for c in b.columns if c != "sides"}
    # Sides are sets of a few ids: compare the distinct sets once, then index.
    sets = list(dict.fromkeys(frozenset(s or ()) for s in [*a["sides"], *b["sides"]]))
    code = {x: k for k, x in enumerate(sets)}
    equal = np.array([[x == y and bool(x) for y in sets] for x in sets])
    share = np.array([[bool(x & y) for y in sets] for x in sets])
    empty = np.array([not x for x in sets])
    a_code = np.array([code[frozenset(s or ())] for s in a["sides"]])
    b_code = np.array([code[frozenset(s or ())] for s in b["sides"]])
    out_l: list[np.ndarray] = []
    out_r: list[np.ndarray] = []
    out_w: list[np.ndarray] = []
    for start in range(0, len(a), chunk):
        A = {c: a[c].to_numpy()[start : start + chunk, None] for c in a.columns if c != "sides"}
        gap = np.maximum(A["t0"] - B["t1"], B["t0"] - A["t1"])
        overlap = np.minimum(A["t1"], B["t1"]) - np.maximum(A["t0"], B["t0"])
        same_day = (
            (A["t1"] - A["t0"] <= 1.5)
            & (B["t1"] - B["t0"] <= 1.5)
            & (np.abs((A["t0"] + A["t1"]) - (B["t0"] + B["t1"])) < 1)
        )
        mid = np.abs((A["t0"] + A["t1"]) - (B["t0"] + B["t1"])) / 2
        w = _crossed(
            [same_day, overlap >= 0.5, gap <= 0, gap <= 1, gap <= 3],
            [mid < 0.5, mid < 1.5, mid < 2.5, mid < 3.5],
            f["time"],
        )
        d = haversine_km(A["lon"], A["lat"], B["lon"], B["lat"])
        radii = A["radius_km"] + B["radius_km"]
        near = [d <= 1.5, d <= 3, d <= 6, d <= 12, d <= 0.25 * radii, d <= 0.5 * radii]
        far = [d <= radii + 2, d <= radii + 10, d <= 2 * radii + 30]
        w = w + _pick(near + far, f["place"])
        da, db = A["adm2"], B["adm2"]
        known_d = ~(pd.isna(da) | pd.isna(db))
        known_d &= np.maximum(A["radius_km"], B["radius_km"]) > DISTRICT_KM
        w = w + np.where(known_d, _pick([da == db], f["district"]), 0.0)
        ca = a_code[start : start + chunk, None]
        same, some = equal[ca, b_code], share[ca, b_code]
        null = empty[ca] | empty[b_code][None, :]
        w = w + np.where(null, 0.0, _pick([same, some], f["sides"]))
        fam_a, fam_b = A["act_family"], B["act_family"]
        known = (fam_a != None) & (fam_b != None)  # noqa: E711 - object arrays
        w = w + np.where(known, _pick([fam_a == fam_b], f["act"]), 0.0)
        ka, kb = A["killed_best"].astype(float), B["killed_best"].astype(float)
        ratio = (np.maximum(ka, kb) + 1) / (np.minimum(ka, kb) + 1)
        least, same = np.minimum(ka, kb), ka == kb
        levels = [same & (least >= 10), same & (least >= 3), same & (least >= 1), same]
        levels += [(ratio <= 1.2) & (least >= 5), ratio <= 1.2, ratio <= 1.35, ratio <= 1.5]
        levels += [ratio <= 1.7, ratio <= 2.2, ratio <= 3]
        known_k = ~(np.isnan(ka) | np.isnan(kb))
        most = np.maximum(ka, kb)
        w = w + np.where(known_k, _crossed(levels, [most <= 2, most <= 8], f["killed"]), 0.0)
        total = base + w
        i, j = np.nonzero(total >= cut)
        out_l.append(i + start)
        out_r.append(j)
        out_w.append(total[i, j])
    return np.concatenate(out_l), np.concatenate(out_r), np.concatenate(out_w)


def run(n_reports: int, n_naive: int, seed: int, count_only: bool = False) -> None:
    rng = np.random.default_rng(seed)
    settings = load_settings()
    auto, review, margin = thresholds(settings, 0.95, 0.6)
    print(f"{n_reports:,} reports vs {n_reports:,} (synthetic, Syria box, 2016-2019), seed {seed}")
    t = time.perf_counter()
    truth = events(n_reports, rng)
    left, right = report(truth, "a", rng), report(truth, "b", rng)
    both = Incidents.concat([left, right])
    print(f"  generate: {time.perf_counter() - t:.1f} s; RSS {rss_mb():,.0f} MB")
    t = time.perf_counter()
    frame = link_frame(both)
    t_frame = time.perf_counter() - t
    print(f"  link_frame (features, governorates): {t_frame:.1f} s")
    t = time.perf_counter()
    sample = 1.0 if n_reports <= 200_000 else 0.05
    compared = count_compared(frame.iloc[:n_reports], frame.iloc[n_reports:], settings,
                              sample=sample)  # fmt: skip
    how = "counted" if sample == 1.0 else f"estimated from a {sample:.0%} sample of each side"
    print(
        f"  pairs compared by splink (blocking, each pair once; {how}): {compared:,} "
        f"[{time.perf_counter() - t:.1f} s]"
    )
    if count_only:
        return
    t, c = time.perf_counter(), time.process_time()
    pairs = score_pairs(frame, settings, threshold=review)
    t_splink, c_splink = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    decision = decide(pairs, auto=auto, review=review, margin=margin)
    t_decide = time.perf_counter() - t
    n = n_reports
    found = set(zip(decision.links["left"].tolist(), decision.links["right"].tolist(), strict=True))
    true = {(i, i + n) for i in range(n)}
    hit = len(found & true)
    p = hit / max(len(found), 1)
    r = hit / n
    print(
        f"  splink predict (blocking + scoring, pairs >= {review}): {t_splink:.1f} s "
        f"({c_splink:.1f} CPU-s, all threads); "
        f"pairs kept {len(pairs):,}; decide {t_decide:.1f} s"
    )
    print(
        f"  auto links {len(decision.links):,}, review {len(decision.review):,}; "
        f"pair precision {p:.3f} recall {r:.3f}"
    )
    total = t_frame + t_splink + t_decide
    print(f"  total link time {total:.1f} s; peak RSS {rss_mb():,.0f} MB")

    # Naive: every pair of a subsample of events, the same model in numpy.
    k = min(n_naive, n_reports)
    sub = np.concatenate([np.arange(k), n + np.arange(k)])
    sub_frame = frame.iloc[sub].reset_index(drop=True)
    sub_frame["unique_id"] = np.arange(len(sub_frame))
    a = sub_frame.iloc[:k].reset_index(drop=True)
    b = sub_frame.iloc[k:].reset_index(drop=True)
    t, c = time.perf_counter(), time.process_time()
    li, ri, _w = naive_weights(a, b, settings)
    t_naive, c_naive = time.perf_counter() - t, time.process_time() - c
    naive_pairs = {(int(x), int(y) + k) for x, y in zip(li, ri, strict=True)}
    t = time.perf_counter()
    sub_pairs = score_pairs(sub_frame, settings, threshold=review)
    t_sub = time.perf_counter() - t
    splink_sub = set(zip(sub_pairs["left"].tolist(), sub_pairs["right"].tolist(), strict=True))
    both_found = len(naive_pairs & splink_sub)
    factor = (n_reports / k) ** 2
    print(f"naive pairwise numpy baseline on {k:,} x {k:,} ({k * k:,} pairs, no blocking):")
    print(f"  {t_naive:.1f} s ({c_naive:.1f} CPU-s); pairs >= {review}: {len(naive_pairs):,}")
    print(
        f"  splink on the same subsample: {t_sub:.1f} s; pairs >= {review}: "
        f"{len(splink_sub):,}; found by both {both_found:,} "
        f"({both_found / max(len(naive_pairs), 1):.4f} of the naive ones)"
    )
    naive_full = t_naive * factor
    print(
        f"  naive at {n_reports:,} x {n_reports:,}: EXTRAPOLATED x{factor:,.0f} = "
        f"{naive_full:,.0f} s ({naive_full / 3600:,.1f} h) vs splink measured {total:.1f} s: "
        f"ratio {naive_full / total:,.0f}x (extrapolated)"
    )
    print(
        f"  in CPU time: naive EXTRAPOLATED {c_naive * factor:,.0f} CPU-s vs splink predict "
        f"{c_splink:,.0f} CPU-s: ratio {c_naive * factor / max(c_splink, 1e-9):,.0f}x "
        "(extrapolated)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--count-only", action="store_true", help="stop after counting pairs")
    args = parser.parse_args(argv)
    run(args.reports, args.naive, args.seed, args.count_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
