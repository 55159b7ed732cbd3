"""From scored pairs to decisions and events.

Within each pair of sources a report describes at most one report of the other source.
The pairs scoring at least `review` are assigned one-to-one by a maximum-weight
bipartite matching (successive shortest augmenting paths, each confined to the
reports it can reach: near-linear over many small connected groups): the assignment
that maximises the summed evidence (log2 odds over the `review` threshold), so a report
gives way to its second-best candidate when that lets another report keep its only one.
Candidates the model scores alike are told apart by the `closeness` column when the
pairs carry one (the continuous evidence the model's levels round off: exact day gap,
distance against the radii, fatality ratio; worth far less than any level).

A picked pair scoring at least `auto` is linked; below `auto` it is a possible duplicate
for a person to decide. With `margin` (log2 odds), a picked pair is also only a possible
duplicate when the best assignment in which one of its two reports is paired with
another report instead comes within `margin` of the best one: the evidence cannot tell
which of two candidates is the one (true twins). Events are the connected groups of
linked reports (across every pair of sources).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

AUTO = 0.95
REVIEW = 0.6
#: Weight of the continuous tie-break (`closeness` in [-3, 0]) against the log2 odds.
TIE = 1e-3
#: Added to every eligible pair's gain, so that a pair exactly at `review` is still taken.
_EPS = 1e-9


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


class Assignment:
    """Maximum-gain one-to-one assignment of a bipartite graph, by successive shortest
    augmenting paths with potentials (Dijkstra on reduced costs).

    Left nodes `0..n_left-1`, right nodes `0..n_right-1`, one edge per (left, right, gain),
    gains > 0. Made square so that every node is always assigned: rows are the left nodes
    and one stand-in per right node ("right j unpaired"), columns the right nodes and one
    stand-in per left node ("left i unpaired"); a real edge costs -gain, the rest 0. Each
    search starts from one new row and stops at the nearest free column, so it only
    visits the reports that row can displace: the work follows the connected groups.
    """

    def __init__(self, left: list[int], right: list[int], gain: list[float]) -> None:
        self.n_left = nl = max(left) + 1 if left else 0
        self.n_right = nr = max(right) + 1 if right else 0
        adj: list[list[tuple[int, float]]] = [[] for _ in range(nl + nr)]
        for i, j, g in zip(left, right, gain, strict=True):
            adj[i].append((j, -g))
            adj[nl + j].append((nr + i, 0.0))
        for i in range(nl):
            adj[i].append((nr + i, 0.0))
        for j in range(nr):
            adj[nl + j].append((j, 0.0))
        self._adj = adj
        self._u = [0.0] * (nl + nr)
        self._v = [0.0] * (nl + nr)
        self._row_of = [-1] * (nl + nr)
        self.col_of = [-1] * (nl + nr)
        for row in range(nl + nr):
            self._augment(row)

    def partner(self, i: int) -> int:
        """The right node left `i` is paired with, or -1."""
        j = self.col_of[i]
        return j if j < self.n_right else -1

    def _augment(self, start: int) -> None:
        adj, u, v, row_of = self._adj, self._u, self._v, self._row_of
        u_start = min(c - v[col] for col, c in adj[start])
        label: dict[int, float] = {}
        pred: dict[int, int] = {}
        heap: list[tuple[float, int, int]] = []
        for col, c in adj[start]:
            d = c - u_start - v[col]
            if d < label.get(col, math.inf):
                label[col] = d
                heap.append((d, col, start))
        heapq.heapify(heap)
        scanned: dict[int, float] = {}
        end, total = -1, 0.0
        while heap:
            d, col, p = heapq.heappop(heap)
            if col in scanned or d > label[col]:
                continue
            scanned[col] = d
            pred[col] = p
            r = row_of[col]
            if r < 0:
                end, total = col, d
                break
            ur = u[r]
            for col2, c in adj[r]:
                if col2 not in scanned:
                    nd = d + c - ur - v[col2]
                    if nd < label.get(col2, math.inf):
                        label[col2] = nd
                        heapq.heappush(heap, (nd, col2, r))
        if end < 0:  # cannot happen: every row has its own stand-in column
            raise RuntimeError("no augmenting path")
        for col, d in scanned.items():
            v[col] += d - total
            r = row_of[col]
            if r >= 0:
                u[r] += total - d
        u[start] = u_start + total
        col = end
        while True:
            r = pred[col]
            prev = self.col_of[r]
            self.col_of[r] = col
            row_of[col] = r
            if r == start:
                break
            col = prev

    def rival_loss(self, i: int, cap: float) -> float:
        """How much gain the best assignment loses when left `i` and its partner j may not
        be paired and one of the two must be paired with another node instead; `cap` when
        that is at least `cap` (or impossible). The search stops at `cap`."""
        j = self.col_of[i]
        nl, nr = self.n_left, self.n_right
        return min(
            self._detour(i, j, {(i, j), (i, nr + i)}, cap),  # i is paired elsewhere
            self._detour(i, j, {(i, j), (nl + j, j)}, cap),  # j is paired elsewhere
        )

    def _detour(self, start: int, target: int, banned: set[tuple[int, int]], cap: float) -> float:
        """Shortest alternating path (reduced costs) from row `start` to column `target`."""
        adj, u, v, row_of = self._adj, self._u, self._v, self._row_of
        label: dict[int, float] = {}
        heap: list[tuple[float, int]] = []
        for col, c in adj[start]:
            d = c - u[start] - v[col]
            if (start, col) not in banned and d < cap and d < label.get(col, math.inf):
                label[col] = d
                heap.append((d, col))
        heapq.heapify(heap)
        done: set[int] = set()
        while heap:
            d, col = heapq.heappop(heap)
            if col in done or d > label[col]:
                continue
            if col == target:
                return max(d, 0.0)
            done.add(col)
            r = row_of[col]
            ur = u[r]
            for col2, c in adj[r]:
                if col2 in done or (r, col2) in banned:
                    continue
                nd = d + c - ur - v[col2]
                if nd < cap and nd < label.get(col2, math.inf):
                    label[col2] = nd
                    heapq.heappush(heap, (nd, col2))
        return cap


def _group_keys(frame: pd.DataFrame, groups: list[str]) -> npt.NDArray[np.int64]:
    if not groups or not len(frame):
        return np.zeros(len(frame), dtype=np.int64)
    import pandas as pd

    return np.asarray(pd.MultiIndex.from_frame(frame[groups].astype(str)).factorize()[0])


def assign(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    gain: npt.ArrayLike,
    margin: float | None = None,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """The one-to-one assignment of maximum total `gain` (pairs of gain <= 0 are never
    taken): which pairs are picked, and for each picked pair its rival loss (see
    `Assignment.rival_loss`), computed up to `margin` (inf for every pick without one)."""
    import pandas as pd

    a = np.asarray(left)
    b = np.asarray(right)
    g = np.asarray(gain, dtype=np.float64)
    chosen = np.zeros(len(a), dtype=bool)
    loss = np.full(len(a), np.inf)
    ok = np.flatnonzero(g > 0)
    if not len(ok):
        return chosen, loss
    li, _ = pd.factorize(a[ok], sort=True)
    ri, _ = pd.factorize(b[ok], sort=True)
    order = np.lexsort((ri, li))  # by (left, right): the result does not depend on input order
    ok, li, ri = ok[order], li[order], ri[order]
    solver = Assignment(li.tolist(), ri.tolist(), g[ok].tolist())
    cols = np.asarray(solver.col_of[: solver.n_left], dtype=np.int64)
    picked = cols[li] == ri
    chosen[ok[picked]] = True
    if margin is not None:
        cap = float(margin)
        for k, x in zip(ok[picked].tolist(), li[picked].tolist(), strict=True):
            loss[k] = solver.rival_loss(int(x), cap) if cap > 0 else 0.0
    return chosen, loss


def decide(
    pairs: pd.DataFrame,
    auto: float = AUTO,
    review: float = REVIEW,
    margin: float | None = None,
) -> Decision:
    """Maximum-weight one-to-one assignment per pair of sources, then the two thresholds.

    Each pair scoring at least `review` may be picked, worth its log2 odds over those of
    `review` (plus `TIE` x `closeness` when the pairs have that column). With `margin`, a
    picked pair above `auto` is still only a possible duplicate when pairing one of its
    two reports with another report instead costs the best assignment less than `margin`
    (log2 odds): the matcher could not tell which of two reports is the one.
    """
    if not 0.0 <= review <= auto <= 1.0:
        raise ValueError(f"thresholds must satisfy 0 <= review ({review}) <= auto ({auto}) <= 1")
    groups = ["source_left", "source_right"] if "source_left" in pairs.columns else []
    pairs = pairs.reset_index(drop=True)
    kept = pairs.loc[pairs["score"].to_numpy(float) >= review]
    gain = log_odds(kept["score"]) - float(log_odds(review)) + _EPS
    if "closeness" in kept.columns:
        gain = gain + TIE * np.nan_to_num(kept["closeness"].to_numpy(float), nan=0.0)
        gain = np.maximum(gain, _EPS)
    keys = _group_keys(kept, groups)
    chosen = np.zeros(len(kept), dtype=bool)
    loss = np.full(len(kept), np.inf)
    left = kept["left"].to_numpy()
    right = kept["right"].to_numpy()
    for key in np.unique(keys):
        rows = np.flatnonzero(keys == key)
        c, lo = assign(left[rows], right[rows], gain[rows], margin)
        chosen[rows], loss[rows] = c, lo
    is_auto = kept["score"].to_numpy(float) >= auto
    if margin is not None:
        is_auto &= loss >= float(margin)
    picked = kept.assign(_auto=is_auto).loc[chosen]
    # Best first, then by ids: the result does not depend on input order.
    picked = picked.sort_values(["score", "left", "right"], ascending=[False, True, True])
    flag = picked["_auto"].to_numpy(bool)
    picked = picked.drop(columns="_auto")
    return Decision(
        links=picked.loc[flag].reset_index(drop=True),
        review=picked.loc[~flag].reset_index(drop=True),
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


__all__ = ["AUTO", "REVIEW", "Assignment", "Decision", "assign", "decide", "events", "log_odds"]
