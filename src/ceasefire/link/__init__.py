"""Reports of one event across sources: features, the linkage model, decisions.

`link_incidents` runs the whole chain on a table of incidents from several sources:
`link_frame` → the shipped splink model on every pair of sources (each pair also gets
its `closeness`, the exact evidence as a tie-break) → per pair of sources a
maximum-weight one-to-one assignment, the two thresholds and the margin (a pick whose
report could as well be paired with a rival is a possible duplicate) → events
(connected linked reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.incidents import Incidents
from ceasefire.link.clusters import AUTO, REVIEW, Decision, decide, events
from ceasefire.link.features import closeness, link_frame
from ceasefire.link.model import (
    frames_by_source,
    load_settings,
    predict,
    source_pairs,
    thresholds,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Linkage:
    """What a run decided: pairs scored, auto links, possible duplicates, events."""

    pairs: pd.DataFrame
    decision: Decision
    event_of: npt.NDArray[np.int64]

    @property
    def events(self) -> int:
        return int(len(np.unique(self.event_of)))


def precision_rank(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Smaller is more precise: interval length (days, at least one) times radius (km, at
    least one)."""
    span = np.maximum(frame["t1"].to_numpy(float) - frame["t0"].to_numpy(float), 1.0)
    return span * np.maximum(frame["radius_km"].to_numpy(float), 1.0)


def score_pairs(
    frame: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    threshold: float | None = 0.01,
) -> pd.DataFrame:
    """Scored pairs between every two sources of `frame` (never within one source)."""
    import pandas as pd

    parts = frames_by_source(frame)
    out: list[pd.DataFrame] = []
    for a, b in source_pairs(list(parts)):
        pairs = predict(parts[a], parts[b], settings, threshold=threshold)
        pairs["closeness"] = closeness(frame, pairs["left"], pairs["right"])
        pairs.insert(0, "source_right", b)
        pairs.insert(0, "source_left", a)
        out.append(pairs)
    if not out:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=float)
                for c in (
                    "source_left",
                    "source_right",
                    "left",
                    "right",
                    "score",
                    "weight",
                    "closeness",
                )  # fmt: skip
            }
        )
    return pd.concat(out, ignore_index=True)


def link_incidents(
    incidents: Incidents,
    registry: ActorRegistry | None = None,
    *,
    aggregate: npt.ArrayLike | None = None,
    auto: float | None = None,
    review: float | None = None,
    margin: float | None = None,
    settings: dict[str, Any] | None = None,
) -> Linkage:
    """Link the reports of `incidents` (several sources) into events. The thresholds and
    the margin are the model's own (chosen when it was trained) unless given."""
    settings = settings if settings is not None else load_settings()
    trained_auto, trained_review, trained_margin = thresholds(settings, AUTO, REVIEW)
    auto = trained_auto if auto is None else auto
    margin = trained_margin if margin is None else margin
    review = min(trained_review if review is None else review, auto)
    frame = link_frame(incidents, registry, aggregate=aggregate)
    pairs = score_pairs(frame, settings, threshold=min(review, 0.01))
    decision = decide(pairs, auto=auto, review=review, margin=margin)
    event_of = events(
        len(incidents), decision.links["left"], decision.links["right"], precision_rank(frame)
    )
    return Linkage(pairs, decision, event_of)


__all__ = ["Linkage", "link_frame", "link_incidents", "precision_rank", "score_pairs"]
