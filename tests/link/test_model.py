"""The shipped model on small hand-built pairs of reports (invented events)."""

from __future__ import annotations

import json

import numpy as np

from ceasefire.core.model import Act
from ceasefire.link import link_frame, link_incidents, score_pairs
from ceasefire.link.model import (
    THRESHOLDS,
    blocking_rules,
    load_settings,
    model_path,
)

from .conftest import ALEPPO, DOUMA, IDLIB, R, registry, table


def _reports() -> list[R]:
    return [
        # One strike in Aleppo, reported by both: b a day later, 3 km off, fewer dead.
        R("a", "a-strike", 0, *ALEPPO, killed=12),
        R(
            "b",
            "b-strike",
            1,
            ALEPPO[0] + 0.03,
            ALEPPO[1],
            Act.air_strike,
            ("air-force",),
            ("opposition",),
            True,
            killed=10,
            radius_km=15,
        ),  # fmt: skip
        # The same day and town, a clash of other sides with one dead: another event.
        R("a", "a-is", 0, *ALEPPO, perps=("is",), killed=1),
        R("b", "b-is", 0, *ALEPPO, Act.clash, ("is",), ("brigade",), killed=1),
        # Douma: same day and place, but 5 dead against 40: not one event.
        R("a", "a-douma", 3, *DOUMA, killed=5),
        R("b", "b-douma", 3, *DOUMA, killed=40),
        # Idlib, a week apart: never compared.
        R("a", "a-idlib", 0, *IDLIB, killed=3),
        R("b", "b-idlib", 9, *IDLIB, killed=3),
        # Two copies of one report within source a: never linked to each other.
        R("a", "a-twin-1", 5, *IDLIB, killed=2),
        R("a", "a-twin-2", 5, *IDLIB, killed=2),
    ]


def test_the_model_ships_trained_and_deterministic() -> None:
    settings = json.loads(model_path().read_text(encoding="utf-8"))
    assert settings["link_type"] == "link_only"
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert 0 < level["m_probability"] <= 1 and 0 < level["u_probability"] <= 1
    assert 0 < settings[THRESHOLDS]["review"] <= settings[THRESHOLDS]["auto"] <= 1
    assert [r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]] == (
        blocking_rules()
    )
    t = table(_reports())
    first = score_pairs(link_frame(t, registry()), load_settings(), threshold=None)
    again = score_pairs(link_frame(t, registry()), load_settings(), threshold=None)
    assert first[["left", "right"]].equals(again[["left", "right"]])
    assert np.allclose(first["score"], again["score"])


def test_pairs_are_only_across_sources_and_within_blocks() -> None:
    t = table(_reports())
    pairs = score_pairs(link_frame(t, registry()), threshold=None)
    assert len(pairs)
    for a, b in zip(pairs["left"], pairs["right"], strict=True):
        assert t.source[a] != t.source[b]
    ids = {(t.id[a], t.id[b]) for a, b in zip(pairs["left"], pairs["right"], strict=True)}
    assert ("a-idlib", "b-idlib") not in ids  # nine days apart: not blocked together


def test_the_same_event_scores_above_its_neighbours() -> None:
    t = table(_reports())
    pairs = score_pairs(link_frame(t, registry()), threshold=None)
    score = {
        (t.id[a], t.id[b]): s
        for a, b, s in zip(pairs["left"], pairs["right"], pairs["score"], strict=True)
    }
    assert score[("a-strike", "b-strike")] > score.get(("a-is", "b-strike"), 0.0)
    assert score[("a-strike", "b-strike")] > score.get(("a-strike", "b-is"), 0.0)
    assert score[("a-is", "b-is")] > score.get(("a-is", "b-strike"), 0.0)
    assert score.get(("a-douma", "b-douma"), 0.0) < score[("a-strike", "b-strike")] / 10


def test_link_incidents_makes_events() -> None:
    t = table(_reports())
    result = link_incidents(t, registry())
    ev = result.event_of
    row = {str(i): k for k, i in enumerate(t.id)}
    assert ev[row["a-strike"]] == ev[row["b-strike"]]
    assert ev[row["a-is"]] == ev[row["b-is"]]
    assert ev[row["a-strike"]] != ev[row["a-is"]]
    for alone in ("a-douma", "b-douma", "a-idlib", "b-idlib", "a-twin-1", "a-twin-2"):
        assert ev[row[alone]] == row[alone], alone
    # The representative is the most precise report: a's 1 km point, not b's 15 km town.
    assert ev[row["b-strike"]] == row["a-strike"]
    assert result.events == len(t) - 2


def test_aggregates_link_to_nothing() -> None:
    t = table(_reports())
    flags = [str(i) == "b-strike" for i in t.id]
    ev = link_incidents(t, registry(), aggregate=flags).event_of
    strike = [str(i) for i in t.id].index("b-strike")
    assert ev[strike] == strike and int((ev == strike).sum()) == 1
