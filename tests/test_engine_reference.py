"""The vectorised engine against a slow, obvious reference written pair by pair.

The reference uses no grid, no bands and no batching: for each incident and
scope it tests each sample point of the uncertainty disc with a shapely Point,
integrates time piece by piece, and applies the decision rule as written in
the issue. Any shortcut in the engine that changes an answer shows up here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.engine import CATEGORIES, Judge, Scope, assess, build_scopes
from ceasefire.core.geo import DISC_DX, DISC_DY, M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR
from ceasefire.core.incidents import Conduct, Incidents
from ceasefire.core.model import Act, Actor, Agreement, Category, Party
from ceasefire.formats.findings import findings_frame
from ceasefire.services.assess import violations_by_party

ACTORS = [
    Actor(id="gov", name="Government"),
    Actor(id="opp", name="Opposition"),
    Actor(id="late", name="Late Brigade"),
    Actor(id="nusra", name="Nusra"),
    Actor(id="unit", name="A unit of the government", member_of=["gov"]),
]
REGISTRY = ActorRegistry.of(ACTORS)
CONDUCTS = [
    Conduct(Act.shelling, ((None, ("gov",)),), ("opp",)),
    Conduct(Act.shelling, ((None, ("late",)),), ("civilians",)),
    Conduct(Act.shelling, ((None, ("nusra",)),), ("gov",)),
    Conduct(Act.air_strike, ((None, ("gov",)),), ("nusra",)),
    Conduct(Act.attack, ((None, ("gov",)),), ("opp",), directed=False),
    Conduct(Act.shelling, (), ("opp",)),
    Conduct(Act.shelling, ((None, ("unit",)),), ("opp",)),
    Conduct(Act.shelling, (("opp", ("gov",)), ("gov", ("nusra",))), ("civilians",)),
    Conduct(Act.attack, ((None, ("unit",)),), ("gov",), directed=False),
]
#: Who each conduct names and charges, written out by hand: (perpetrator,
#: target, sides, party) of every finding about it, under every scope.
WHO = [
    ("gov", "opp", "gov ~ opp", "gov"),
    ("late", "civilians", "late ~ civilians", "late"),
    ("nusra", "gov", "nusra ~ gov", ""),
    ("gov", "nusra", "gov ~ nusra", "gov"),
    ("", "", "gov ~ opp", "undetermined (gov ~ opp)"),
    ("", "opp", "? ~ opp", ""),
    ("unit", "opp", "unit ~ opp", "gov"),
    (
        "gov (per opp) | nusra (per gov)",
        "civilians",
        "gov+nusra ~ civilians",
        "undetermined (gov | nusra)",
    ),
    ("", "", "unit ~ gov", "gov"),
]
ZONES = {
    "a": shapely.box(36.0, 35.0, 36.6, 35.6),
    "b": shapely.Polygon([(36.4, 35.3), (37.0, 35.2), (36.8, 35.9)]),
}
T0 = int(dt.datetime(2016, 4, 1, tzinfo=dt.UTC).timestamp())
DAY = 86400


def reference(
    incidents: Incidents, scopes: Sequence[Scope]
) -> dict[tuple[int, int], tuple[str, float]]:
    out = {}
    for s, scope in enumerate(scopes):
        zone = scope.zone.geometry
        bounds = [*scope.epochs, scope.window.end]
        for i in range(len(incidents)):
            lon, lat, r = incidents.lon[i], incidents.lat[i], incidents.radius_m[i]
            if r == 0:
                p_space = float(zone.intersects(shapely.Point(lon, lat)))
            else:
                dlat = r / M_PER_DEG_LAT
                dlon = r / (M_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat)))
                hits = [
                    zone.intersects(shapely.Point(lon + dlon * dx, lat + dlat * dy))
                    for dx, dy in zip(DISC_DX, DISC_DY, strict=True)
                ]
                p_space = sum(hits) / len(hits)
            t0, t1 = int(incidents.t0[i]), int(incidents.t1[i])
            probs = []
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                if t1 == t0:
                    frac = 1.0 if lo <= t0 < hi else 0.0
                else:
                    frac = max(0, min(t1, hi) - max(t0, lo)) / (t1 - t0)
                probs.append(p_space * frac)
            p_in = sum(probs)
            if p_in == 0:
                continue
            cats = []
            for e, start in enumerate(scope.epochs):
                if probs[e] >= 0.05:
                    judge = Judge(scope, REGISTRY, start)
                    cats.append(
                        (judge.conduct(incidents.conducts[incidents.conduct[i]]).category, probs[e])
                    )
            significant = {c for c, _ in cats}
            if 1 - p_in >= 0.05:
                significant.add(Category.out_of_scope)
            no_breach = {Category.out_of_scope, Category.permitted, Category.not_bound}
            if len(significant) == 1:
                category = significant.pop()
            elif significant <= {Category.violation, Category.contested}:
                category = (
                    Category.contested if Category.contested in significant else Category.violation
                )
            elif significant <= no_breach:
                inside = [(p, c) for c, p in cats if c in (Category.permitted, Category.not_bound)]
                category = max(inside, key=lambda pc: pc[0])[1]
            else:
                category = Category.indeterminate
            out[(i, s)] = (category.value, p_in)
    return out


incident = st.tuples(
    st.floats(35.9, 37.1),
    st.floats(34.9, 36.0),
    st.sampled_from([0.0, 0.0, 1000.0, 25000.0]),
    st.integers(0, 40 * 24),
    st.sampled_from([0, 3600, DAY, 7 * DAY]),
    st.integers(0, len(CONDUCTS) - 1),
)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(incident, min_size=1, max_size=40),
    start_day=st.integers(5, 20),
    length=st.one_of(st.none(), st.integers(1, 10)),
    late_day=st.integers(0, 8),
)
def test_engine_matches_reference(
    rows: list[tuple[float, float, float, int, int, int]],
    start_day: int,
    length: int | None,
    late_day: int,
) -> None:
    start = dt.datetime(2016, 4, 1) + dt.timedelta(days=start_day)
    agreement = Agreement(
        id="x",
        title="x",
        timezone="Asia/Damascus",
        start=start,
        end=None if length is None else start + dt.timedelta(days=length),
        zones=["a", "b"],
        parties=[
            "gov",
            "opp",
            Party(actor="late", since=(start + dt.timedelta(days=late_day)).date()),
        ],
        excluded=["nusra"],
    )
    scopes = build_scopes([agreement], ZONES)
    lon, lat, radius, hour, span, conduct = (np.array(c) for c in zip(*rows, strict=True))
    t0 = T0 + hour.astype(np.int64) * 3600
    incidents = Incidents.from_arrays(
        lon=lon, lat=lat, radius_m=radius, t0=t0, t1=t0 + span, conduct=conduct, conducts=CONDUCTS
    )
    findings = assess(incidents, scopes, REGISTRY)
    got = {
        (int(i), int(s)): (CATEGORIES[c].value, float(p))
        for i, s, c, p in zip(
            findings.incident, findings.scope, findings.category, findings.probability, strict=True
        )
    }
    want = reference(incidents, scopes)
    assert set(got) == set(want)
    for key, (category, p) in want.items():
        assert got[key][0] == category, (key, got[key], want[key])
        assert abs(got[key][1] - p) < 1e-9
    # Every pair in the table, each saying who acted and who is charged as written
    # above, and the per-party summary is the count of those charges.
    frame = findings_frame(findings, REGISTRY)
    assert len(frame) == len(incidents) * len(scopes)
    conduct_of = dict(zip(incidents.id, incidents.conduct.tolist(), strict=True))
    for row in frame.itertuples():
        expected = WHO[conduct_of[row.incident_id]]
        assert (row.perpetrator, row.target, row.sides, row.party) == expected
    charged: dict[tuple[str, str], int] = {}
    for (i, s), (category, _) in want.items():
        if category == "violation":
            charge = (scopes[s].reading, WHO[int(incidents.conduct[i])][3])
            charged[charge] = charged.get(charge, 0) + 1
    summary = violations_by_party(frame)
    pairs = zip(summary.reading, summary.party, strict=True)
    assert dict(zip(pairs, summary.violations, strict=True)) == charged
    assert "" not in set(summary.party)  # a violation is always charged to a party or a dyad
