"""Properties of the spatial index, the disc model, the decision rule and attribution."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.engine import CATEGORIES, CODE, _decide, _epoch_fractions, assess, build_scopes
from ceasefire.core.geo import GridIndex, PreparedZone
from ceasefire.core.incidents import Conduct, Incidents
from ceasefire.core.model import Act, Actor, Agreement, Category
from ceasefire.formats.findings import findings_frame
from ceasefire.services.assess import violations_by_party


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    box=st.tuples(st.floats(-6, 6), st.floats(-6, 6), st.floats(0, 8), st.floats(0, 8)),
)
def test_grid_query_returns_every_point_in_the_box(
    data: st.DataObject, box: tuple[float, float, float, float]
) -> None:
    n = data.draw(st.integers(0, 300))
    lon = data.draw(arrays(np.float64, n, elements=st.floats(-5, 5)))
    lat = data.draw(arrays(np.float64, n, elements=st.floats(-5, 5)))
    x0, y0, w, h = box
    grid = GridIndex(lon, lat)
    found = set(grid.query(x0, y0, x0 + w, y0 + h).tolist())
    truth = np.flatnonzero((lon >= x0) & (lon <= x0 + w) & (lat >= y0) & (lat <= y0 + h))
    assert set(truth.tolist()) <= found
    assert len(found) == len(set(found))


@settings(max_examples=40, deadline=None)
@given(
    lon=st.floats(35.0, 38.0),
    lat=st.floats(34.0, 37.0),
    radius=st.floats(0, 60_000),
)
def test_disc_share_is_a_probability_and_exact_far_from_the_edge(
    lon: float, lat: float, radius: float
) -> None:
    zone = PreparedZone(shapely.box(36.0, 35.0, 37.0, 36.0))
    share = zone.point_share(np.array([lon]), np.array([lat]), np.array([radius]))[0]
    assert 0.0 <= share <= 1.0
    # Farther than the radius from the boundary: the answer is certain.
    distance_deg = shapely.distance(
        shapely.box(36.0, 35.0, 37.0, 36.0).boundary, shapely.Point(lon, lat)
    )
    if distance_deg * 90_000 > radius * 1.02:
        inside = 36.0 <= lon <= 37.0 and 35.0 <= lat <= 36.0
        assert share == (1.0 if inside else 0.0)


@given(
    t0=st.integers(0, 10**6),
    length=st.integers(0, 10**6),
    cut=st.lists(st.integers(0, 3 * 10**6), min_size=1, max_size=4, unique=True),
)
def test_epoch_fractions_sum_to_the_window_share(t0: int, length: int, cut: list[int]) -> None:
    bounds = sorted(cut) + [4 * 10**6]
    frac = _epoch_fractions(np.array([t0]), np.array([t0 + length]), bounds)
    assert np.all(frac >= 0) and frac.sum() <= 1 + 1e-12
    whole = _epoch_fractions(np.array([t0]), np.array([t0 + length]), [bounds[0], bounds[-1]])
    assert np.isclose(frac.sum(), whole.sum())


category_codes = st.sampled_from([CODE[c] for c in CATEGORIES if c is not Category.out_of_scope])


@given(cat=category_codes, p=st.floats(0, 1))
def test_decision_thresholds(cat: int, p: float) -> None:
    category, p_in = _decide(np.array([[cat]]), np.array([[p]]))
    decided = CATEGORIES[category[0]]
    assert p_in[0] == p
    if p < 0.05:
        assert decided is Category.out_of_scope
    elif p > 0.95:
        assert decided is CATEGORIES[cat]
    elif CATEGORIES[cat] in (Category.permitted, Category.not_bound):
        assert decided is CATEGORIES[cat]  # no breach either way
    else:
        assert decided is Category.indeterminate


# ----------------------------------------------------------------- who is charged

ACTORS = ActorRegistry.of(
    [
        Actor(id="gov", name="Government"),
        Actor(id="unit", name="A government unit", member_of=["gov"]),
        Actor(id="opp", name="Opposition"),
        Actor(id="brigade", name="An opposition brigade", member_of=["opp"]),
        Actor(id="nusra", name="Nusra"),
        Actor(id="turkey", name="Turkey"),
    ]
)
#: The party each actor is bound through under the agreement below (written out).
PARTY_OF = {"gov": "gov", "unit": "gov", "opp": "opp", "brigade": "opp"}
SCOPES = build_scopes(
    [
        Agreement(
            id="x",
            title="x",
            timezone="UTC",
            start=dt.datetime(2016, 4, 1),
            zones=["z"],
            parties=["gov", "opp"],
            excluded=["nusra"],
        )
    ],
    {"z": shapely.box(36.0, 35.0, 37.0, 36.0)},
)
names = st.lists(
    st.sampled_from([*ACTORS.actors, "civilians", "?Unheard-of Brigade"]),
    max_size=2,
    unique=True,
)
conducts = st.builds(
    Conduct,
    act=st.sampled_from([Act.shelling, Act.attack, Act.air_strike]),
    perpetrators=st.lists(
        st.tuples(st.sampled_from([None, "russia", "usa"]), names.map(tuple)), max_size=3
    ).map(tuple),
    targets=names.map(tuple),
    directed=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(cases=st.lists(conducts, min_size=1, max_size=12))
def test_a_finding_charges_only_whom_the_data_names(cases: list[Conduct]) -> None:
    t0 = int(dt.datetime(2016, 4, 2, tzinfo=dt.UTC).timestamp())
    n = len(cases)
    incidents = Incidents.from_arrays(
        lon=np.full(n, 36.5), lat=np.full(n, 35.5), t0=np.full(n, t0), t1=np.full(n, t0),
        conduct=np.arange(n), conducts=cases,
    )  # fmt: skip
    frame = findings_frame(assess(incidents, SCOPES, ACTORS), ACTORS)
    assert len(frame) == n
    for row in frame.itertuples():
        conduct = cases[int(row.incident_id)]
        acted = "+".join(a.lstrip("?") for a in conduct.perpetrator_ids())
        against = "+".join(a.lstrip("?") for a in conduct.targets)
        assert row.sides == f"{acted or '?'} ~ {against or '?'}"
        charged = row.party.removeprefix("undetermined (").rstrip(")")
        named = set(re.split(r" ~ | \| |\+", charged)) - {""}
        if not conduct.directed:
            # Who attacked is not recorded: nobody is named as perpetrator or target,
            # and a party is charged only if both sides stand for it.
            assert (row.perpetrator, row.target) == ("", "")
            sides = [
                {PARTY_OF[a] for a in side if a in PARTY_OF}
                for side in (conduct.perpetrator_ids(), conduct.targets)
            ]
            if sides[0] != sides[1]:
                assert row.party.startswith("undetermined (")
            else:
                assert named == sides[0] and not row.party.startswith("undetermined")
        else:
            claims = {
                "+".join(sorted({PARTY_OF[a] for a in names if a in PARTY_OF}))
                for _, names in conduct.perpetrators
            }
            if len(conduct.perpetrators) <= 1:
                assert row.perpetrator == acted
            if len(claims) > 1:
                assert row.party.startswith("undetermined (")
            else:
                assert row.party == next(iter(claims), "")
        if row.category == "violation":
            assert row.party  # only a bound party can violate
    summary = violations_by_party(frame)
    assert summary.violations.sum() == (frame.category == "violation").sum()
