"""Benchmark: the engine against a geopandas + pandas version of the same assessment.

    python bench/assess.py [--incidents N] [--zones Z] [--vertices V] [--seed S] [--memory]

Synthetic, seeded data: wobbly star-shaped zones over western Syria, one agreement per
zone, exact incident points with day-long, week-long and instant time spans, and a
handful of who-did-what-to-whom combinations. Both sides share the rule table (the
engine's `Judge`); everything else the baseline does with `geopandas.sjoin` and pandas,
as an analyst would. The results must be identical; the last line is `speedup: X`.

`--memory` runs only the engine, at 10,000,000 incidents x 50 zones by default, in a
child process and reports the child's peak resident set size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from shapely.geometry import Polygon

from ceasefire.core.actors import CIVILIANS, ActorRegistry
from ceasefire.core.engine import (
    CATEGORIES,
    CODE,
    INSIDE,
    OUTSIDE,
    Findings,
    Judge,
    Scope,
    build_scopes,
)
from ceasefire.core.engine import assess as engine_assess
from ceasefire.core.incidents import Conduct, Incidents
from ceasefire.core.model import Act, Actor, Agreement, Category

if TYPE_CHECKING:
    import pandas as pd

DAY = 86_400
LON = (35.0, 42.0)
LAT = (32.0, 37.0)
EPOCH_2016 = int(dt.datetime(2016, 1, 1, tzinfo=dt.UTC).timestamp())
INCIDENT_DAYS = 426  # 2016-01-01 to 2017-02-28: every window is covered to its end
TIMEZONES = ("UTC", "Asia/Damascus")
TARGET_SPEEDUP = 10.0
TARGET_RSS_GB = 4.0
KIB_PER_GB = 1024**2  # ru_maxrss is in KiB on Linux; GB here means GiB

ACTORS = (
    Actor(id="gov", name="Government of Syria"),
    Actor(id="opp", name="Syrian opposition"),
    Actor(id="nusra", name="Jabhat al-Nusra"),
    Actor(id="turkey", name="Government of Turkey"),
)


def _by(*names: str) -> tuple[tuple[str | None, tuple[str, ...]], ...]:
    return ((None, names),)


#: The conducts incidents draw from, with what they are under every bench agreement.
CONDUCTS: tuple[tuple[str, Conduct], ...] = (
    ("gov -> opp", Conduct(Act.air_strike, _by("gov"), ("opp",))),
    ("gov -> nusra", Conduct(Act.shelling, _by("gov"), ("nusra",))),
    ("nusra -> gov", Conduct(Act.bombing, _by("nusra"), ("gov",))),
    ("turkey -> opp", Conduct(Act.shelling, _by("turkey"), ("opp",))),
    ("? -> opp", Conduct(Act.attack, (), ("opp",))),
    ("gov -> opp+nusra", Conduct(Act.air_strike, _by("gov"), ("opp", "nusra"))),
    ("gov ~ opp", Conduct(Act.clash, _by("gov"), ("opp",), directed=False)),
    ("gov arrests civilians", Conduct(Act.arrest, _by("gov"), (CIVILIANS,))),
    (
        "sohr: gov, sana: nusra -> civilians",
        Conduct(Act.shelling, (("sohr", ("gov",)), ("sana", ("nusra",))), (CIVILIANS,)),
    ),
)


# --------------------------------------------------------------------------- data


@dataclass
class Bench:
    """One synthetic world: what both sides are given."""

    incidents: Incidents
    agreements: list[Agreement]
    zones: dict[str, Polygon]
    registry: ActorRegistry
    vertices: int  # total over all zones


def make_zones(
    rng: np.random.Generator, count: int, vertices: int
) -> tuple[dict[str, Polygon], npt.NDArray[np.float64]]:
    """Star-shaped polygons: a radius modulated by three sinusoids; also every vertex."""
    zones: dict[str, Polygon] = {}
    corners: list[npt.NDArray[np.float64]] = []
    width = len(str(count))
    for k in range(count):
        n = max(8, int(rng.integers(int(vertices * 0.9), int(vertices * 1.1) + 1)))
        theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
        amp = rng.uniform(0.02, 0.2, 3)  # sum < 0.6: the radius stays positive
        freq = rng.integers(2, 12, 3)
        phase = rng.uniform(0.0, 2 * np.pi, 3)
        wobble = (amp[:, None] * np.sin(freq[:, None] * theta + phase[:, None])).sum(axis=0)
        radius = rng.uniform(0.05, 0.5) * (1.0 + wobble)
        cx, cy = rng.uniform(*LON), rng.uniform(*LAT)
        xy = np.column_stack((cx + radius * np.cos(theta), cy + radius * np.sin(theta)))
        zones[f"z{k:0{width}d}"] = Polygon(xy)
        corners.append(xy)
    return zones, np.concatenate(corners)


def make_agreements(rng: np.random.Generator, zone_ids: Sequence[str]) -> list[Agreement]:
    """One agreement per zone, 3 to 60 days long (about 10% open-ended).

    Most start at local midnight; the rest at a 12-minute step, so that some day-long
    incidents overlap a window by exactly 5% or 95% (the thresholds).
    """
    out = []
    for k, zone_id in enumerate(zone_ids):
        minute = 0 if rng.random() < 0.7 else 12 * int(rng.integers(0, 120))
        start = dt.datetime(2016, 1, 1) + dt.timedelta(
            days=int(rng.integers(0, 366)), minutes=minute
        )
        end = None if rng.random() < 0.1 else start + dt.timedelta(days=int(rng.integers(3, 61)))
        out.append(
            Agreement(
                id=f"a{k:05d}",
                title=f"Local truce {k}",
                timezone=TIMEZONES[int(rng.integers(0, len(TIMEZONES)))],
                start=start,
                end=end,
                zones=[zone_id],
                parties=["gov", "opp"],
                excluded=["nusra"],
            )
        )
    return out


def make_incidents(
    rng: np.random.Generator, count: int, corners: npt.NDArray[np.float64]
) -> Incidents:
    """Exact points over the box; 80% day-long spans, 10% week-long, 10% instants.

    About 0.1% sit exactly on a zone vertex (boundary points count as inside).
    Built column by column with no per-row Python objects except what
    `Incidents.from_arrays` itself makes (ids are passed as int64).
    """
    lon = rng.uniform(*LON, count)
    lat = rng.uniform(*LAT, count)
    on_vertex = count // 1000
    pick = rng.integers(0, len(corners), on_vertex)
    lon[:on_vertex] = corners[pick, 0]
    lat[:on_vertex] = corners[pick, 1]

    t0 = rng.integers(0, INCIDENT_DAYS, count, dtype=np.int64)
    t0 *= DAY
    t0 += EPOCH_2016
    t1 = t0 + DAY
    kind = rng.integers(0, 20, count, dtype=np.int8)
    week = kind < 2
    t1[week] += 6 * DAY
    del week
    # Instants: half on the hour (they hit window starts and ends), half anywhere in the day.
    on_hour = np.flatnonzero(kind == 2)
    t0[on_hour] += 3600 * rng.integers(0, 24, len(on_hour))
    anywhere = np.flatnonzero(kind == 3)
    t0[anywhere] += rng.integers(0, DAY, len(anywhere))
    instant = np.concatenate((on_hour, anywhere))
    t1[instant] = t0[instant]
    del kind, on_hour, anywhere, instant

    conduct = rng.integers(0, len(CONDUCTS), count, dtype=np.int32)
    return Incidents.from_arrays(
        lon=lon,
        lat=lat,
        t0=t0,
        t1=t1,
        conduct=conduct,
        conducts=[c for _, c in CONDUCTS],
        id=np.arange(count, dtype=np.int64),
    )


def make_bench(incidents: int, zones: int, vertices: int, seed: int) -> Bench:
    rng = np.random.default_rng(seed)
    shapes, corners = make_zones(rng, zones, vertices)
    agreements = make_agreements(rng, list(shapes))
    return Bench(
        incidents=make_incidents(rng, incidents, corners),
        agreements=agreements,
        zones=shapes,
        registry=ActorRegistry.of(ACTORS),
        vertices=len(corners),
    )


# --------------------------------------------------------------------------- the two sides


@dataclass
class Result:
    """Findings as sorted (incident, scope) pairs with category codes and probabilities."""

    key: npt.NDArray[np.int64]  # incident * n_scopes + scope, sorted
    category: npt.NDArray[np.int8]
    probability: npt.NDArray[np.float64]

    @classmethod
    def of(
        cls,
        incident: npt.NDArray[np.int64],
        scope: npt.NDArray[np.int64],
        n_scopes: int,
        category: npt.NDArray[np.int8],
        probability: npt.NDArray[np.float64],
    ) -> Result:
        key = incident.astype(np.int64) * n_scopes + scope.astype(np.int64)
        order = np.argsort(key, kind="stable")
        return cls(key[order], category[order], probability[order])


def run_engine(bench: Bench) -> tuple[list[Scope], Findings, float]:
    gc.collect()
    start = time.perf_counter()
    scopes = build_scopes(bench.agreements, bench.zones)
    findings = engine_assess(bench.incidents, scopes, bench.registry)
    return scopes, findings, time.perf_counter() - start


def run_baseline(
    bench: Bench, scopes: Sequence[Scope], zones_left: bool = False
) -> tuple[Result, dict[str, float]]:
    """sjoin, then the time overlap, the time share and the threshold rule in pandas.

    `sjoin(points, zones)` queries a tree of zones with each point, testing the point
    against whole, unprepared polygons. With `zones_left` the join is written the other
    way round, `sjoin(zones, points)`: a tree of points queried with each (prepared) zone.
    Same pairs, same predicate; the second is what an analyst who knows shapely writes.
    """
    import geopandas as gpd
    import pandas as pd

    inc = bench.incidents
    laps: dict[str, float] = {}
    gc.collect()
    start = lap = time.perf_counter()

    points = gpd.GeoDataFrame(
        {"incident": np.arange(len(inc)), "t0": inc.t0, "t1": inc.t1, "conduct": inc.conduct},
        geometry=gpd.points_from_xy(inc.lon, inc.lat),
        crs="EPSG:4326",
    )
    for scope in scopes:
        if len(scope.zone_ids) != 1:
            raise ValueError("the bench gives every agreement exactly one zone")
    areas = gpd.GeoDataFrame(
        {
            "scope": np.arange(len(scopes)),
            "ws": [s.window.start for s in scopes],
            "we": [s.window.end for s in scopes],
        },
        geometry=[bench.zones[s.zone_ids[0]] for s in scopes],
        crs="EPSG:4326",
    )
    judged = rule_table(bench, scopes)
    now = time.perf_counter()
    laps["frames"], lap = now - lap, now

    if zones_left:
        joined = gpd.sjoin(areas, points, predicate="intersects", how="inner")
    else:
        joined = gpd.sjoin(points, areas, predicate="intersects", how="inner")
    now = time.perf_counter()
    laps["sjoin"], lap = now - lap, now
    pairs = len(joined)

    df = pd.DataFrame(joined.drop(columns=["geometry", "index_right"]), copy=False)
    del joined
    result = finish(df, judged, len(scopes))
    now = time.perf_counter()
    laps["pandas"] = now - lap
    laps["total"] = now - start
    laps["sjoin_pairs"] = float(pairs)
    return result, laps


def rule_table(bench: Bench, scopes: Sequence[Scope]) -> pd.DataFrame:
    """The shared rule table: what each conduct is under each agreement, were it inside."""
    import pandas as pd

    return pd.DataFrame(
        [
            (s, c, judge.conduct(conduct).category.value)
            for s, scope in enumerate(scopes)
            for judge in [Judge(scope, bench.registry, scope.window.start)]
            for c, conduct in enumerate(bench.incidents.conducts)
        ],
        columns=["scope", "conduct", "judged"],
    )


def finish(df: pd.DataFrame, judged: pd.DataFrame, n_scopes: int) -> Result:
    """From spatially joined pairs (incident, scope, conduct, t0, t1, ws, we): the time
    overlap, the time share and the threshold rule, in pandas, as every peer ends."""
    length = df["t1"] - df["t0"]
    instant = length == 0
    overlap = (df["t1"].clip(upper=df["we"]) - df["t0"].clip(lower=df["ws"])).clip(lower=0)
    inside = ((df["t0"] >= df["ws"]) & (df["t0"] < df["we"])).astype("float64")
    df["p"] = (overlap / length.where(~instant, 1)).where(~instant, inside)
    df = df.loc[df["p"] > 0, ["incident", "scope", "conduct", "p"]]
    df = df.merge(judged, on=["scope", "conduct"], how="left")
    stays = df["judged"].isin(
        [Category.permitted.value, Category.not_bound.value, Category.out_of_scope.value]
    )
    df["category"] = np.select(
        [df["p"] > INSIDE, df["p"] < OUTSIDE, stays],
        [df["judged"], Category.out_of_scope.value, df["judged"]],
        default=Category.indeterminate.value,
    )
    codes = df["category"].map({c.value: i for c, i in CODE.items()}).to_numpy(np.int8)
    return Result.of(
        df["incident"].to_numpy(np.int64),
        df["scope"].to_numpy(np.int64),
        n_scopes,
        codes,
        df["p"].to_numpy(np.float64),
    )


#: The spatial join each SQL peer runs: points against zones, boundary points inside
#: (ST_Intersects, the engine's and the baseline's predicate), windows carried along.
PEER_SQL = (
    "SELECT p.incident, z.scope, p.conduct, p.t0, p.t1, z.ws, z.we "
    "FROM points p JOIN (SELECT scope, ws, we, ST_GeomFromWKB(wkb) AS g FROM zones) z "
    "ON ST_Intersects(z.g, ST_Point(p.lon, p.lat))"
)


def peers() -> list[str]:
    """The SQL engines installed here (`pip install duckdb-extension-spatial sedonadb
    geoarrow-pyarrow`; both on the package registry): each runs when importable."""
    import importlib.util

    found = []
    if importlib.util.find_spec("duckdb_extension_spatial"):
        found.append("duckdb")
    if importlib.util.find_spec("sedonadb") and importlib.util.find_spec("geoarrow.pyarrow"):
        found.append("sedonadb")
    return found


def run_peer(
    name: str, bench: Bench, scopes: Sequence[Scope], threads: int
) -> tuple[Result, dict[str, float]]:
    """The same workload in DuckDB's spatial extension or SedonaDB: the spatial join in
    SQL on every core, the rest as the baseline does it (`finish`)."""
    import pandas as pd
    import shapely

    inc = bench.incidents
    laps: dict[str, float] = {}
    gc.collect()
    start = lap = time.perf_counter()
    points = pd.DataFrame({"incident": np.arange(len(inc)), "t0": inc.t0, "t1": inc.t1,
                           "conduct": inc.conduct, "lon": inc.lon, "lat": inc.lat})  # fmt: skip
    zones = pd.DataFrame(
        {
            "scope": np.arange(len(scopes)),
            "ws": [s.window.start for s in scopes],
            "we": [s.window.end for s in scopes],
            "wkb": [shapely.to_wkb(bench.zones[s.zone_ids[0]]) for s in scopes],
        }
    )
    judged = rule_table(bench, scopes)
    now = time.perf_counter()
    laps["frames"], lap = now - lap, now
    if name == "duckdb":
        import os

        import duckdb
        import duckdb_extension_spatial

        folder = os.path.dirname(duckdb_extension_spatial.__file__)
        extension = next(Path(folder).rglob("spatial.duckdb_extension"))
        con = duckdb.connect()
        con.execute(f"SET threads = {threads}")
        con.execute(f"LOAD '{extension}'")
        con.register("points", points)
        con.register("zones", zones)
        joined = con.execute(PEER_SQL).df()
        con.close()
    else:
        import warnings

        import sedonadb

        with warnings.catch_warnings():  # PROJ and GDAL are not needed for planar joins
            warnings.simplefilter("ignore")
            sd = sedonadb.connect()
        sd.create_data_frame(points).to_view("points")
        sd.create_data_frame(zones).to_view("zones")
        joined = sd.sql(PEER_SQL).to_pandas()
    now = time.perf_counter()
    laps["sjoin"], lap = now - lap, now
    laps["sjoin_pairs"] = float(len(joined))
    result = finish(joined, judged, len(scopes))
    now = time.perf_counter()
    laps["pandas"] = now - lap
    laps["total"] = now - start
    return result, laps


def compare(engine: Result, baseline: Result) -> tuple[bool, str]:
    """Same pairs, same category, probability within 1e-9."""
    if len(engine.key) != len(baseline.key) or not np.array_equal(engine.key, baseline.key):
        only_engine = len(np.setdiff1d(engine.key, baseline.key, assume_unique=True))
        only_base = len(np.setdiff1d(baseline.key, engine.key, assume_unique=True))
        return False, (
            f"MISMATCH: pairs differ (engine {len(engine.key):,}, baseline "
            f"{len(baseline.key):,}; only in engine {only_engine:,}, "
            f"only in baseline {only_base:,})"
        )
    wrong_cat = int((engine.category != baseline.category).sum())
    gap = np.abs(engine.probability - baseline.probability)
    wrong_p = int((gap > 1e-9).sum())
    worst = float(gap.max()) if len(gap) else 0.0
    if wrong_cat or wrong_p:
        return False, (
            f"MISMATCH: {len(engine.key):,} pairs, {wrong_cat:,} with another category, "
            f"{wrong_p:,} with probability off by > 1e-9 (max {worst:.3g})"
        )
    return True, (
        f"IDENTICAL: {len(engine.key):,} (incident, scope) pairs, same category, "
        f"probability max |diff| {worst:.3g}"
    )


# --------------------------------------------------------------------------- reporting


def category_counts(codes: npt.NDArray[np.int8]) -> str:
    counts = np.bincount(codes.astype(np.int64), minlength=len(CATEGORIES))
    return "\n".join(f"  {c.value:<14} {int(counts[CODE[c]]):>12,}" for c in CATEGORIES)


def describe_bench(bench: Bench) -> str:
    inc = bench.incidents
    length = inc.t1 - inc.t0
    open_ended = sum(a.end is None for a in bench.agreements)
    tz = Counter(a.timezone for a in bench.agreements)
    zones = len(bench.zones)
    return "\n".join(
        [
            f"incidents:  {len(inc):,} exact points ({int((length == DAY).sum()):,} day-long, "
            f"{int((length == 7 * DAY).sum()):,} week-long, {int((length == 0).sum()):,} "
            "instants)",
            f"zones:      {zones:,} polygons, {bench.vertices:,} vertices "
            f"(mean {bench.vertices / max(zones, 1):.0f})",
            f"agreements: {len(bench.agreements):,} ({open_ended} open-ended; "
            + ", ".join(f"{n} {name}" for name, n in sorted(tz.items()))
            + ")",
            f"conducts:   {len(inc.conducts)}",
        ]
    )


def describe_conducts(scope: Scope, registry: ActorRegistry) -> str:
    judge = Judge(scope, registry, scope.window.start)
    return "\n".join(
        f"  {label:<36} {judge.conduct(conduct).category.value}" for label, conduct in CONDUCTS
    )


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_GB


# --------------------------------------------------------------------------- modes


def compare_mode(incidents: int, zones: int, vertices: int, seed: int) -> int:
    bench = make_bench(incidents, zones, vertices, seed)
    print(describe_bench(bench))

    scopes, findings, engine_s = run_engine(bench)
    print(f"scopes:     {len(scopes):,}")
    print("conducts as judged (the shared rule table, any bench agreement):")
    print(describe_conducts(scopes[0], bench.registry))
    print(f"findings:   {len(findings):,} (incident, scope) pairs with p > 0")
    print(category_counts(findings.category))

    engine = Result.of(
        findings.incident,
        findings.scope.astype(np.int64),
        len(scopes),
        findings.category,
        findings.probability,
    )
    baseline, laps = run_baseline(bench, scopes)
    same, line = compare(engine, baseline)
    print(f"baseline:   {line}")
    swapped, swapped_laps = run_baseline(bench, scopes, zones_left=True)
    same_swapped, line = compare(engine, swapped)
    print(f"swapped:    {line}")
    print(f"engine:     {engine_s:8.2f} s  (build_scopes + assess)")
    for name, lap in (("baseline", laps), ("swapped", swapped_laps)):
        print(
            f"{name + ':':<11} {lap['total']:8.2f} s  (frames {lap['frames']:.2f} s, sjoin "
            f"{lap['sjoin']:.2f} s -> {int(lap['sjoin_pairs']):,} pairs, pandas "
            f"{lap['pandas']:.2f} s)"
        )
    print("            baseline: sjoin(points, zones); swapped: sjoin(zones, points)")
    all_same = True
    threads = os.cpu_count() or 1
    for name in peers():
        result, lap = run_peer(name, bench, scopes, threads)
        ok, line = compare(engine, result)
        all_same = all_same and ok
        print(
            f"{name + ':':<11} {lap['total']:8.2f} s  (frames {lap['frames']:.2f} s, SQL join "
            f"{lap['sjoin']:.2f} s -> {int(lap['sjoin_pairs']):,} pairs, pandas "
            f"{lap['pandas']:.2f} s; {threads} threads)  {line}"
        )
        print(f"            engine ahead of {name} by {lap['total'] / engine_s:.2f}x")
    if not peers():
        print("peers:      none installed (pip install duckdb-extension-spatial sedonadb "
              "geoarrow-pyarrow)")  # fmt: skip
    print(f"peak RSS:   {peak_rss_gb():.2f} GB (this process, all runs)")
    print(f"speedup over the swapped baseline: {swapped_laps['total'] / engine_s:.1f}")
    print(f"target:     speedup >= {TARGET_SPEEDUP:g} (over the baseline)")
    print(f"speedup: {laps['total'] / engine_s:.1f}")
    return 0 if same and same_swapped and all_same else 1


def memory_child(incidents: int, zones: int, vertices: int, seed: int) -> int:
    """Engine only, in a fresh process: print one JSON line with the numbers."""
    start = time.perf_counter()
    bench = make_bench(incidents, zones, vertices, seed)
    data_s = time.perf_counter() - start
    data_gb = peak_rss_gb()
    scopes, findings, engine_s = run_engine(bench)
    report = {
        "incidents": len(bench.incidents),
        "zones": len(bench.zones),
        "vertices": bench.vertices,
        "scopes": len(scopes),
        "findings": len(findings),
        "categories": {
            c.value: int(n)
            for c, n in zip(
                CATEGORIES,
                np.bincount(findings.category.astype(np.int64), minlength=len(CATEGORIES)),
                strict=True,
            )
        },
        "data_s": data_s,
        "engine_s": engine_s,
        "rss_after_data_gb": data_gb,
        "peak_rss_gb": peak_rss_gb(),
    }
    print(json.dumps(report))
    return 0


def memory_mode(incidents: int, zones: int, vertices: int, seed: int) -> int:
    command = [
        sys.executable,
        __file__,
        "--memory-child",
        f"--incidents={incidents}",
        f"--zones={zones}",
        f"--vertices={vertices}",
        f"--seed={seed}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        print(f"MEMORY RUN FAILED: child exited with {done.returncode}")
        return done.returncode or 1
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"incidents:  {report['incidents']:,} exact points; zones: {report['zones']:,} "
        f"({report['vertices']:,} vertices); scopes: {report['scopes']:,}"
    )
    print(f"findings:   {report['findings']:,}")
    for name, n in report["categories"].items():
        print(f"  {name:<14} {n:>12,}")
    print(f"data:       {report['data_s']:8.2f} s, peak RSS {report['rss_after_data_gb']:.2f} GB")
    print(f"engine:     {report['engine_s']:8.2f} s  (build_scopes + assess)")
    met = "met" if report["peak_rss_gb"] < TARGET_RSS_GB else "NOT met"
    print(f"target:     peak RSS < {TARGET_RSS_GB:g} GB: {met}")
    print(f"peak RSS: {report['peak_rss_gb']:.2f} GB")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, help="default 1,000,000 (--memory: 10,000,000)")
    parser.add_argument("--zones", type=int, help="default 2,000 (--memory: 50)")
    parser.add_argument("--vertices", type=int, default=500, help="mean vertices per zone")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--memory", action="store_true", help="engine only: peak RSS")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    big = args.memory or args.memory_child
    incidents = args.incidents if args.incidents is not None else (10_000_000 if big else 1_000_000)
    zones = args.zones if args.zones is not None else (50 if big else 2_000)
    if args.memory_child:
        return memory_child(incidents, zones, args.vertices, args.seed)
    if args.memory:
        return memory_mode(incidents, zones, args.vertices, args.seed)
    return compare_mode(incidents, zones, args.vertices, args.seed)


if __name__ == "__main__":
    sys.exit(main())
