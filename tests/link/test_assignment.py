"""The decision rules: maximum-weight one-to-one assignment, ties broken by the closer day,
place and casualty figure, and true twins (that nothing tells apart) left for review."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.core.incidents import Incidents
from ceasefire.link import link_incidents
from ceasefire.link.clusters import Assignment, assign, decide, log_odds

from .conftest import ALEPPO, R, registry, table

KM_DEG = 1 / 111.32 / np.cos(np.radians(ALEPPO[1]))  # degrees of longitude per km at Aleppo


def _pairs(rows: list[tuple[int, int, float]], a: str = "a", b: str = "b") -> pd.DataFrame:
    return pd.DataFrame(
        [(a, b, x, y, s) for x, y, s in rows],
        columns=["source_left", "source_right", "left", "right", "score"],
    )


def _ids(frame: pd.DataFrame) -> list[tuple[int, int]]:
    return sorted(zip(frame["left"].tolist(), frame["right"].tolist(), strict=True))


# Assignment on crafted pairs. ----------------------------------------------------------


def test_one_to_one_assignment_beats_greedy() -> None:
    # Greedy best-first takes (0, 10) and leaves 1 with nothing; the assignment gives 0
    # its second-best candidate so that 1 keeps its only one.
    pairs = _pairs([(0, 10, 0.99), (0, 11, 0.98), (1, 10, 0.97)])
    d = decide(pairs, auto=0.9, review=0.5)
    assert _ids(d.links) == [(0, 11), (1, 10)]
    assert d.review.empty


def test_a_rival_held_by_a_better_pair_is_no_rival() -> None:
    # 1 scores 10 and 11 alike, but 10 is 0's far better match: (1, 11) is not ambiguous.
    pairs = _pairs([(0, 10, 0.999), (1, 10, 0.97), (1, 11, 0.97)])
    d = decide(pairs, auto=0.9, review=0.5, margin=1.0)
    assert _ids(d.links) == [(0, 10), (1, 11)]
    assert d.review.empty


def test_two_candidates_alike_go_to_review() -> None:
    # 0 scores 10 and 11 alike and nothing else claims either: a person decides.
    pairs = _pairs([(0, 10, 0.97), (0, 11, 0.97)])
    d = decide(pairs, auto=0.9, review=0.5, margin=0.5)
    assert d.links.empty
    assert len(d.review) == 1 and int(d.review["left"].iloc[0]) == 0
    # Without a margin the pick is linked; with one the rival must be 0.5 log2 odds worse.
    assert len(decide(pairs, auto=0.9, review=0.5).links) == 1
    apart = _pairs([(0, 10, 0.97), (0, 11, 0.95)])  # log2 odds 5.0 against 4.2
    assert _ids(decide(apart, auto=0.9, review=0.5, margin=0.5).links) == [(0, 10)]


def test_closeness_breaks_ties_between_pairs_scored_alike() -> None:
    pairs = _pairs([(0, 10, 0.97), (0, 11, 0.97)]).assign(closeness=[-0.4, -0.1])
    d = decide(pairs, auto=0.9, review=0.5, margin=0.5)
    assert _ids(d.review) == [(0, 11)]  # the closer one, still for review: a tie-break only
    assert _ids(decide(pairs, auto=0.9, review=0.5).links) == [(0, 11)]


# The solver against brute force. --------------------------------------------------------


def _best(edges: list[tuple[int, int, float]], keep: object = None) -> float:
    """The largest total gain of a one-to-one subset of `edges` (passing `keep`)."""
    best = -np.inf
    for k in range(len(edges) + 1):
        for subset in itertools.combinations(edges, k):
            lefts = [e[0] for e in subset]
            rights = [e[1] for e in subset]
            if len(set(lefts)) < k or len(set(rights)) < k:
                continue
            if keep is not None and not keep(subset):  # type: ignore[operator]
                continue
            best = max(best, sum(e[2] for e in subset))
    return float(best)


edge_lists = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.floats(0.05, 4.0, allow_nan=False)),
    min_size=1,
    max_size=7,
    unique_by=lambda e: (e[0], e[1]),
)


@settings(max_examples=150, deadline=None)
@given(edge_lists)
def test_the_assignment_is_optimal_and_its_rival_loss_exact(
    edges: list[tuple[int, int, float]],
) -> None:
    chosen, loss = assign(
        [e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges], margin=100.0
    )
    picked = [e for e, c in zip(edges, chosen, strict=True) if c]
    assert len({e[0] for e in picked}) == len({e[1] for e in picked}) == len(picked)
    optimum = _best(edges)
    assert abs(sum(e[2] for e in picked) - optimum) < 1e-7
    for e, c, lo in zip(edges, chosen, loss, strict=True):
        if not c:
            continue
        i, j = e[0], e[1]
        others = [x for x in edges if (x[0], x[1]) != (i, j)]

        def elsewhere(subset: tuple[tuple[int, int, float], ...], i: int = i, j: int = j) -> bool:
            return any(x[0] == i or x[1] == j for x in subset)

        rival = _best(others, elsewhere)
        expected = min(optimum - rival, 100.0) if np.isfinite(rival) else 100.0
        assert abs(lo - expected) < 1e-7, (edges, e, lo, expected)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([("a", "b"), ("a", "c"), ("b", "c")]),
            st.integers(0, 5),
            st.integers(0, 5),
            st.floats(0.0, 1.0, allow_nan=False),
        ),
        max_size=30,
    ),
    st.sampled_from([None, 0.0, 0.5, 2.0]),
)
def test_no_report_is_linked_twice_to_one_other_source(
    rows: list[tuple[tuple[str, str], int, int, float]], margin: float | None
) -> None:
    frame = pd.DataFrame(
        [(s[0], s[1], x, 100 + y, score) for s, x, y, score in rows],
        columns=["source_left", "source_right", "left", "right", "score"],
    ).drop_duplicates(["source_left", "source_right", "left", "right"])
    d = decide(frame, auto=0.8, review=0.3, margin=margin)
    picked = pd.concat([d.links, d.review])
    for side in ("left", "right"):
        assert not picked.duplicated(["source_left", "source_right", side]).any()
    assert (picked["score"] >= 0.3).all() and (d.links["score"] >= 0.8).all()
    # No one-to-one choice of the same pairs gains more (log2 odds over the review line).
    for key, group in frame.loc[frame["score"] >= 0.3].groupby(["source_left", "source_right"]):
        gain = log_odds(group["score"]) - log_odds(0.3)
        edges = list(zip(group["left"], group["right"], gain.tolist(), strict=True))
        if len(edges) > 6:
            continue
        mine = picked.loc[(picked["source_left"] == key[0]) & (picked["source_right"] == key[1])]
        total = float((log_odds(mine["score"]) - log_odds(0.3)).sum())
        assert total >= _best(edges) - 1e-6


def test_the_solver_follows_the_connected_groups() -> None:
    # A long chain (each report near the next one too): solved exactly, and a pick's rival
    # loss is found without walking the chain.
    n = 2000
    left = list(range(n)) + list(range(n - 1))
    right = list(range(n)) + list(range(1, n))
    gain = [2.0] * n + [1.0] * (n - 1)
    solver = Assignment(left, right, gain)
    assert [solver.partner(i) for i in range(n)] == list(range(n))
    # Left 0 must take right 1 (gain 1) and left 1 then goes unpaired: 2 + 2 -> 1.
    assert solver.rival_loss(0, 10.0) == 3.0
    assert solver.rival_loss(0, 2.0) == 2.0  # capped


# The whole chain on invented reports. ---------------------------------------------------


def _linked(reports: list[R]) -> tuple[Incidents, set[tuple[str, str]], set[tuple[str, str]]]:
    t = table(reports)
    d = link_incidents(t, registry()).decision

    def ids(frame: pd.DataFrame) -> set[tuple[str, str]]:
        return {
            tuple(sorted((str(t.id[a]), str(t.id[b]))))  # type: ignore[misc]
            for a, b in zip(frame["left"], frame["right"], strict=True)
        }

    return t, ids(d.links), ids(d.review)


def _near(km: float) -> tuple[float, float]:
    return (ALEPPO[0] + km * KM_DEG, ALEPPO[1])


def test_the_closer_day_wins_and_is_linked() -> None:
    _, links, review = _linked(
        [
            R("a", "a-same-day", 0, *ALEPPO, killed=4),
            R("a", "a-next-day", 1, *ALEPPO, killed=4),
            R("b", "b", 0, *ALEPPO, killed=4),
        ]
    )
    assert links == {("a-same-day", "b")} and not review


def test_the_closer_place_wins() -> None:
    _, links, review = _linked(
        [
            R("a", "a-near", 0, *_near(1.0), killed=4),
            R("a", "a-far", 0, *_near(9.0), killed=4),
            R("b", "b", 0, *ALEPPO, killed=4),
        ]
    )
    assert links == {("a-near", "b")} and not review
    # Both in one band of the model (within 3 km): the nearer one is picked, for review.
    _, links, review = _linked(
        [
            R("a", "a-near", 0, *_near(2.0), killed=4),
            R("a", "a-far", 0, *_near(2.8), killed=4),
            R("b", "b", 0, *ALEPPO, killed=4),
        ]
    )
    assert not links and review == {("a-near", "b")}


def test_the_closer_casualty_figure_wins() -> None:
    _, links, review = _linked(
        [
            R("a", "a-ten", 0, *ALEPPO, killed=10),
            R("a", "a-fifteen", 0, *ALEPPO, killed=15),
            R("b", "b", 0, *ALEPPO, killed=10),
        ]
    )
    assert links == {("a-ten", "b")} and not review


def test_true_twins_go_to_review() -> None:
    # Two reports of a alike in everything: whichever b's reports are, a person decides.
    twins = [R("a", "a-1", 0, *ALEPPO, killed=3), R("a", "a-2", 0, *ALEPPO, killed=3)]
    _, links, review = _linked([*twins, R("b", "b", 0, *ALEPPO, killed=3)])
    assert not links and len(review) == 1
    _, links, review = _linked(
        [*twins, R("b", "b-1", 0, *ALEPPO, killed=3), R("b", "b-2", 0, *ALEPPO, killed=3)]
    )
    assert not links and len(review) == 2
    # Told apart by their casualty figures, they are linked.
    _, links, review = _linked(
        [
            R("a", "a-1", 0, *ALEPPO, killed=2),
            R("a", "a-2", 0, *ALEPPO, killed=20),
            R("b", "b-1", 0, *ALEPPO, killed=2),
            R("b", "b-2", 0, *ALEPPO, killed=20),
        ]
    )
    assert links == {("a-1", "b-1"), ("a-2", "b-2")} and not review
