"""decide(): one-to-one assignment per pair of sources, the two thresholds; events()."""

from __future__ import annotations

import pandas as pd
import pytest

from ceasefire.link.clusters import decide, events


def _pairs(rows: list[tuple[str, str, int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source_left", "source_right", "left", "right", "score"])


def test_one_to_one_of_the_best_total() -> None:
    pairs = _pairs(
        [
            ("a", "b", 0, 10, 0.97),
            ("a", "b", 0, 11, 0.96),  # 0 already taken by a better pair
            ("a", "b", 1, 10, 0.99),  # with (0, 11): more than (0, 10) with (2, 11)
            ("a", "b", 2, 11, 0.70),
        ]
    )
    d = decide(pairs, auto=0.95, review=0.6)
    assert sorted(zip(d.links["left"], d.links["right"], strict=True)) == [(0, 11), (1, 10)]
    assert d.review.empty  # (2, 11): 11 is taken by an auto link


def test_the_band_between_thresholds_is_for_review() -> None:
    pairs = _pairs([("a", "b", 0, 10, 0.97), ("a", "b", 1, 11, 0.8), ("a", "b", 2, 12, 0.3)])
    d = decide(pairs, auto=0.95, review=0.6)
    assert list(zip(d.links["left"], d.links["right"], strict=True)) == [(0, 10)]
    assert list(zip(d.review["left"], d.review["right"], strict=True)) == [(1, 11)]


def test_each_pair_of_sources_is_assigned_on_its_own() -> None:
    # Report 0 of source a may be one event with a report of b and one of c.
    pairs = _pairs([("a", "b", 0, 10, 0.99), ("a", "c", 0, 20, 0.98), ("a", "c", 1, 20, 0.97)])
    d = decide(pairs, auto=0.95, review=0.6)
    assert sorted(zip(d.links["left"], d.links["right"], strict=True)) == [(0, 10), (0, 20)]


def test_ties_do_not_depend_on_input_order() -> None:
    rows = [("a", "b", 0, 10, 0.97), ("a", "b", 1, 10, 0.97)]
    one = decide(_pairs(rows), 0.95, 0.6).links
    two = decide(_pairs(rows[::-1]), 0.95, 0.6).links
    assert one[["left", "right"]].values.tolist() == two[["left", "right"]].values.tolist()


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        decide(_pairs([]), auto=0.5, review=0.9)


def test_events_are_connected_links_led_by_the_most_precise() -> None:
    ev = events(6, [0, 1, 4], [1, 2, 5], precision=[5.0, 1.0, 9.0, 1.0, 3.0, 2.0])
    assert ev.tolist() == [1, 1, 1, 3, 5, 5]
    assert events(3, [], []).tolist() == [0, 1, 2]
