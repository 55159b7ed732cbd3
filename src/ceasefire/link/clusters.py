"""From scored pairs to decisions and events.

Within each pair of sources a report describes at most one report of the other
source: pairs are taken greedily, best score first, skipping any whose report on
either side is already taken. Taken pairs scoring at least `auto` are linked; those
between `review` and `auto` are possible duplicates for a person to decide, and so is
a pair above `auto` that a rival pair of one of its reports comes within `margin`
(log2 odds) of: the matcher cannot tell which report is the one. Events are
the connected groups of linked reports (across every pair of sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

AUTO = 0.95
REVIEW = 0.6


@dataclass
class Decision:
    """`links` (auto) and `review` (possible duplicates): columns left, right, score, and
    source_left / source_right when the pairs named them."""

    links: pd.DataFrame
    review: pd.DataFrame
    auto: float
    review_at: float
    margin: float | None = None


def log_odds(score: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """log2(p / (1 - p)): splink's match weight of a probability."""
    p = np.clip(np.asarray(score, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log2(p / (1 - p))


def _runner_up(pairs: pd.DataFrame, keys: npt.NDArray[np.int64], side: str) -> pd.Series:
    """For each pair, the best weight of another pair of the same report on `side`."""
    import pandas as pd

    frame = pd.DataFrame(
        {"key": keys, "node": pairs[side].to_numpy(), "w": log_odds(pairs["score"])}
    )
    ranked = frame.sort_values("w", ascending=False, kind="stable")
    by = ranked.groupby(["key", "node"], sort=False)
    rank = by.cumcount().to_numpy()
    w = ranked["w"].to_numpy()
    ranked["second"] = np.where(rank == 1, w, -np.inf)
    top1 = by["w"].transform("max").to_numpy()
    top2 = ranked.groupby(["key", "node"], sort=False)["second"].transform("max").to_numpy()
    alt = np.where(rank == 0, top2, top1)
    return pd.Series(alt, index=ranked.index).reindex(frame.index)


def _group_keys(frame: pd.DataFrame, groups: list[str]) -> npt.NDArray[np.int64]:
    if not groups or not len(frame):
        return np.zeros(len(frame), dtype=np.int64)
    import pandas as pd

    return np.asarray(pd.MultiIndex.from_frame(frame[groups].astype(str)).factorize()[0])


def decide(
    pairs: pd.DataFrame,
    auto: float = AUTO,
    review: float = REVIEW,
    margin: float | None = None,
) -> Decision:
    """Greedy one-to-one assignment per pair of sources, then the two thresholds.

    With `margin`, a pair taken above `auto` is still only a possible duplicate when
    another pair of one of its two reports comes within `margin` of its weight (log2
    odds): the matcher could not tell which of two reports is the one.
    """
    if not 0.0 <= review <= auto <= 1.0:
        raise ValueError(f"thresholds must satisfy 0 <= review ({review}) <= auto ({auto}) <= 1")
    groups = ["source_left", "source_right"] if "source_left" in pairs.columns else []
    pairs = pairs.reset_index(drop=True)
    if margin is not None and len(pairs):
        every = _group_keys(pairs, groups)
        rival = np.maximum(
            _runner_up(pairs, every, "left").to_numpy(),
            _runner_up(pairs, every, "right").to_numpy(),
        )
        pairs = pairs.assign(_gap=log_odds(pairs["score"]) - rival)
    kept = pairs.loc[pairs["score"].to_numpy(float) >= review]
    # Best first; ties broken by ids so the result does not depend on input order.
    kept = kept.sort_values(["score", "left", "right"], ascending=[False, True, True])
    chosen = np.zeros(len(kept), dtype=bool)
    keys = _group_keys(kept, groups)
    taken_left: set[tuple[int, int]] = set()
    taken_right: set[tuple[int, int]] = set()
    for k, (key, a, b) in enumerate(
        zip(keys.tolist(), kept["left"].tolist(), kept["right"].tolist(), strict=True)
    ):
        if (key, a) in taken_left or (key, b) in taken_right:
            continue
        taken_left.add((key, a))
        taken_right.add((key, b))
        chosen[k] = True
    picked = kept.loc[chosen]
    is_auto = picked["score"].to_numpy(float) >= auto
    if "_gap" in picked.columns:
        is_auto &= picked["_gap"].to_numpy(float) >= float(margin or 0.0)
        picked = picked.drop(columns="_gap")
    return Decision(
        links=picked.loc[is_auto].reset_index(drop=True),
        review=picked.loc[~is_auto].reset_index(drop=True),
        auto=auto,
        review_at=review,
        margin=margin,
    )


def events(
    n: int,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    precision: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int64]:
    """`event_of[i]`: the row that stands for report i's event (itself when unlinked).

    The representative of a group is its most precise report (smallest `precision`,
    e.g. interval length x radius), the lowest row among equals.
    """
    parent = np.arange(n, dtype=np.int64)

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = int(parent[root])
        while parent[i] != root:
            parent[i], i = root, int(parent[i])
        return root

    for a, b in zip(
        np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64), strict=True
    ):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(n)], dtype=np.int64)
    if precision is None:
        return roots
    rank = np.asarray(precision, dtype=np.float64)
    order = np.lexsort((np.arange(n), rank))  # most precise first, then lowest row
    best: dict[int, int] = {}
    for i in order:
        best.setdefault(int(roots[i]), int(i))
    return np.array([best[int(r)] for r in roots], dtype=np.int64)


__all__ = ["AUTO", "REVIEW", "Decision", "decide", "events", "log_odds"]
