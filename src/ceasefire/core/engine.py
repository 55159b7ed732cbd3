"""The assessment engine: every incident against every agreement and reading.

The work is split so that nothing loops over incidents in Python:

1. each agreement under each reading becomes a `Scope` (zones as one prepared
   geometry, a UTC window, when each party became bound);
2. per scope, candidates come from a grid over the incident points (and from
   the few area places), the time test runs first, then the prepared zone test;
3. who-did-what-to-whom is judged once per distinct `Conduct` and epoch (the
   stretches of the window between late acceptances), then broadcast;
4. the place and time uncertainty gives each scenario a probability, and a
   table decides the category from the scenarios that matter (>= 0.05).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from ceasefire.core.actors import CIVILIANS, UNRESOLVED_PREFIX, ActorRegistry, Standing, standing
from ceasefire.core.geo import (
    GridIndex,
    PreparedZone,
    metres_to_degrees,
    prepared_zone,
    thread_copy,
)
from ceasefire.core.incidents import Conduct, Incidents
from ceasefire.core.model import Act, Agreement, Category, act_is_prohibited
from ceasefire.core.timing import (
    OPEN_END,
    Window,
    iso,
    local_date,
    local_day,
    window,
    zone_info,
)

INSIDE = 0.95
OUTSIDE = 0.05
TEXT = "text"

CATEGORIES: tuple[Category, ...] = tuple(Category)
CODE: dict[Category, int] = {c: i for i, c in enumerate(CATEGORIES)}
_V, _P, _C, _N, _O, _I = (
    CODE[Category.violation],
    CODE[Category.permitted],
    CODE[Category.contested],
    CODE[Category.not_bound],
    CODE[Category.out_of_scope],
    CODE[Category.indeterminate],
)
_NO_BREACH = (1 << _O) | (1 << _P) | (1 << _N)
_BREACH = (1 << _V) | (1 << _C)


@dataclass
class Scope:
    """One agreement under one reading: what the engine tests incidents against."""

    agreement: Agreement
    reading: str
    window: Window
    zone_ids: tuple[str, ...]
    zone: PreparedZone
    party_since: dict[str, int | None]  # None: bound from the start
    epochs: tuple[int, ...] = field(init=False)  # window start and each later acceptance

    def __post_init__(self) -> None:
        late = sorted(
            {
                s
                for s in self.party_since.values()
                if s is not None and self.window.start < s < self.window.end
            }
        )
        self.epochs = (self.window.start, *late)

    def terms(self) -> tuple[object, ...]:
        """What judging a conduct depends on (not the window or the zones)."""
        a = self.agreement
        return (
            a.timezone,
            tuple(sorted(self.party_since.items(), key=lambda kv: kv[0])),
            tuple(a.excluded_ids()),
            tuple(a.excluded_designators()),
            tuple(a.prohibited),
            tuple(a.permitted),
        )

    @property
    def label(self) -> str:
        return f"{self.agreement.id}/{self.reading}"


def party_since(agreement: Agreement) -> dict[str, int | None]:
    """Each party's acceptance date as the UTC instant of that local midnight (None: the start)."""
    tz = zone_info(agreement.timezone)
    return {
        p.actor: (None if p.since is None else local_day(p.since, tz)[0])
        for p in agreement.party_list()
    }


def build_scopes(agreements: Iterable[Agreement], zones: Mapping[str, BaseGeometry]) -> list[Scope]:
    """Scopes for the agreements' own terms (`text`) and each party's reading."""
    prepared: dict[tuple[str, ...], PreparedZone] = {}
    scopes: list[Scope] = []
    for agreement in agreements:
        since = party_since(agreement)
        for reading in [None, *agreement.readings]:
            ids = tuple(reading.zones if reading and reading.zones else agreement.zones)
            zone = prepared.get(ids)
            if zone is None:
                geometry = shapely.union_all([zones[z] for z in ids])
                zone = prepared[ids] = prepared_zone(geometry)
            scopes.append(
                Scope(
                    agreement=agreement,
                    reading=TEXT if reading is None else reading.by,
                    window=window(agreement, reading),
                    zone_ids=ids,
                    zone=zone,
                    party_since=since,
                )
            )
    return scopes


# --------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class Judgement:
    """The category of one conduct under one agreement, were it inside zone and window."""

    category: Category
    reasons: tuple[str, ...]


class Judge:
    """Judges conducts under one agreement at one epoch (who is bound by then)."""

    def __init__(self, scope: Scope, registry: ActorRegistry, epoch_start: int) -> None:
        self.scope = scope
        self.registry = registry
        self.epoch_start = epoch_start
        agreement = scope.agreement
        self.prohibited = frozenset(agreement.prohibited)
        self.permitted = frozenset(agreement.permitted)
        self._standing: dict[str, Standing] = {}
        self.tz = zone_info(agreement.timezone)

    def day(self, instant: int | None) -> str:
        return "the start" if instant is None else local_date(instant, self.tz)

    def standing(self, actor_id: str) -> Standing:
        found = self._standing.get(actor_id)
        if found is None:
            found = standing(actor_id, self.scope.agreement, self.registry, self.scope.party_since)
            self._standing[actor_id] = found
        return found

    def bound(self, s: Standing) -> bool:
        return s.kind == "party" and (s.since is None or s.since <= self.epoch_start)

    def describe(self, actor_id: str, s: Standing) -> str:
        name = actor_id.removeprefix(UNRESOLVED_PREFIX)
        if s.kind == "party":
            via = "" if s.via == actor_id else f" (member of {s.via})"
            return f"{name} is a party{via} since {self.day(s.since)}"
        if s.kind == "excluded":
            via = "" if s.via == actor_id else f" (member of {s.via})"
            return f"{name} is excluded{via}"
        if s.kind == "civilian":
            return "civilians are protected"
        if s.kind == "unknown":
            return f"{name!r} is not a declared actor"
        return f"{name} is not a party"

    def directed(self, act: Act, perpetrators: Sequence[str], targets: Sequence[str]) -> Judgement:
        if not act_is_prohibited(act, self.prohibited):
            return Judgement(Category.out_of_scope, (f"act {act.value} is not prohibited",))
        if not perpetrators:
            return Judgement(Category.indeterminate, ("perpetrator unknown",))
        perps = [(p, self.standing(p)) for p in perpetrators]
        bound = [(p, s) for p, s in perps if self.bound(s)]
        if not bound:
            unknown = [(p, s) for p, s in perps if s.kind == "unknown"]
            if unknown:
                return Judgement(
                    Category.indeterminate,
                    tuple(f"perpetrator {self.describe(p, s)}" for p, s in unknown),
                )
            reasons = []
            for p, s in perps:
                if s.kind == "party":
                    reasons.append(f"perpetrator {p} is a party only since {self.day(s.since)}")
                else:
                    reasons.append(f"perpetrator {self.describe(p, s)}")
            return Judgement(Category.not_bound, tuple(reasons))
        reasons = [f"perpetrator {self.describe(p, s)}" for p, s in bound]
        if not targets:
            return Judgement(Category.indeterminate, (*reasons, "no target recorded"))
        tstand = [(t, self.standing(t)) for t in targets]
        excluded = [(t, s) for t, s in tstand if s.kind == "excluded"]
        # The terms bind parties towards each other: fighting inside one party
        # (rebel factions of the same opposition) is not an attack they prohibit.
        own = {s.via for _, s in bound}
        same = [(t, s) for t, s in tstand if s.kind == "party" and s.via in own]
        protected = [
            (t, s)
            for t, s in tstand
            if s.kind == "civilian" or (s.kind == "party" and s.via not in own)
        ]
        unknown = [(t, s) for t, s in tstand if s.kind == "unknown"]
        outside = [(t, s) for t, s in tstand if s.kind == "outside"]
        if excluded and (protected or unknown):
            mixed = ", ".join(t.removeprefix(UNRESOLVED_PREFIX) for t, _ in protected + unknown)
            ex = ", ".join(t for t, _ in excluded)
            return Judgement(
                Category.contested,
                (*reasons, f"target mixes excluded {ex} with {mixed}, which may be protected"),
            )
        if protected:
            return Judgement(
                Category.violation,
                (*reasons, *(f"target {self.describe(t, s)}" for t, s in protected)),
            )
        if unknown:
            return Judgement(
                Category.indeterminate,
                (*reasons, *(f"target {self.describe(t, s)}" for t, s in unknown)),
            )
        if excluded:
            tr = tuple(f"target {self.describe(t, s)}" for t, s in excluded)
            if Act.attack_on_excluded in self.permitted:
                return Judgement(Category.permitted, (*reasons, *tr))
            return Judgement(
                Category.violation, (*reasons, *tr, "the agreement permits no attack on them")
            )
        return Judgement(
            Category.permitted,
            (
                *reasons,
                *(
                    f"target {t} belongs to the same party ({s.via}): not an attack between parties"
                    for t, s in same
                ),
                *(f"target {t} is neither a party nor civilian" for t, _ in outside),
            ),
        )

    def conduct(self, conduct: Conduct) -> Judgement:
        if conduct.directed:
            return self._claims(conduct)
        # No direction: either side may have attacked; the finding holds only if both agree.
        a = conduct.perpetrator_ids()
        b = conduct.targets
        ab = self.directed(conduct.act, a, b)
        ba = self.directed(conduct.act, b, a)
        sides = f"{'+'.join(a) or '?'} ~ {'+'.join(b) or '?'}"
        lead = f"dyad {sides} (who attacked whom is not recorded)"
        if ab.category == ba.category:
            actors = dict.fromkeys((*a, *b))
            standings = tuple(self.describe(x, self.standing(x)) for x in actors)
            if ab.category is Category.violation:
                tail = "either side attacking the other is a violation: perpetrator undetermined"
                return Judgement(Category.violation, (lead, *standings, tail))
            if ab.category in (Category.out_of_scope, Category.indeterminate):
                return Judgement(ab.category, (lead, *ab.reasons))
            return Judgement(ab.category, (lead, *standings, f"either way: {ab.category.value}"))
        pair = {ab.category, ba.category}
        either = (
            f"{'+'.join(a)} attacking: {ab.category.value}",
            f"{'+'.join(b)} attacking: {ba.category.value}",
        )
        if pair <= {Category.permitted, Category.not_bound}:
            return Judgement(Category.permitted, (lead, *either, "no breach either way"))
        if pair <= {Category.violation, Category.contested}:
            return Judgement(Category.contested, (lead, *either))
        return Judgement(
            Category.indeterminate, (lead, *either, "the outcome depends on who attacked")
        )

    def _claims(self, conduct: Conduct) -> Judgement:
        claims = conduct.perpetrators
        if len(claims) <= 1:
            perps = claims[0][1] if claims else ()
            return self.directed(conduct.act, perps, conduct.targets)
        outcomes = [
            (by, names, self.directed(conduct.act, names, conduct.targets)) for by, names in claims
        ]
        cats = {j.category for _, _, j in outcomes}
        lines = tuple(
            f"{by or 'unattributed source'} blames {'+'.join(names) or 'nobody named'}: "
            f"{j.category.value}"
            for by, names, j in outcomes
        )
        if len(cats) == 1:
            return Judgement(outcomes[0][2].category, (*lines, *outcomes[0][2].reasons))
        return Judgement(
            Category.contested, (*lines, "competing attributions lead to different findings")
        )


# --------------------------------------------------------------------------- findings


@dataclass
class Findings:
    """Sparse findings: one row per (incident, scope) that is possibly inside.

    Pairs not listed are `out_of_scope` with probability 0; `ceasefire.formats.findings`
    writes them out when asked for every pair.
    """

    incidents: Incidents
    scopes: list[Scope]
    incident: npt.NDArray[np.int64]
    scope: npt.NDArray[np.int32]
    category: npt.NDArray[np.int8]
    probability: npt.NDArray[np.float64]
    p_space: npt.NDArray[np.float64]
    p_time: npt.NDArray[np.float64]
    epoch_blocks: list[npt.NDArray[np.float64]]  # per scope block: rows x epochs
    block_starts: npt.NDArray[np.int64]  # first row of each block
    judgements: dict[tuple[int, int, int], Judgement]  # (scope, conduct, epoch)

    def __len__(self) -> int:
        return len(self.incident)

    def epoch_probability(self, row: int) -> npt.NDArray[np.float64]:
        """Probability of each epoch scenario (inside the zone, in that stretch of window)."""
        block = int(np.searchsorted(self.block_starts, row, side="right")) - 1
        return self.epoch_blocks[block][row - int(self.block_starts[block])]

    def categories(self) -> list[Category]:
        return [CATEGORIES[c] for c in self.category]

    def reasons(self, row: int) -> list[str]:
        """The readable trace of one finding, with the values used."""
        inc = self.incidents
        i = int(self.incident[row])
        s = int(self.scope[row])
        scope = self.scopes[s]
        out = [scope.window.describe()]
        out.append(describe_time(inc, i, float(self.p_time[row])))
        out.append(describe_place(inc, i, float(self.p_space[row]), scope.zone_ids))
        probs = self.epoch_probability(row)
        conduct = int(inc.conduct[i])
        for e, p in enumerate(probs):
            if p < OUTSIDE and len(probs) > 1:
                continue
            judgement = self.judgements[(s, conduct, e)]
            tz = zone_info(scope.agreement.timezone)
            prefix = "" if len(scope.epochs) == 1 else f"from {local_date(scope.epochs[e], tz)}: "
            out.extend(prefix + r for r in judgement.reasons)
        category = CATEGORIES[self.category[row]]
        p = float(self.probability[row])
        out.append(decision_reason(category, p, probs, scope, conduct, s, self.judgements))
        return out


def describe_time(inc: Incidents, i: int, p_time: float | None) -> str:
    t0, t1 = int(inc.t0[i]), int(inc.t1[i])
    span = iso(t0) if t1 == t0 else f"{iso(t0)} – {iso(t1)}"
    precision = f" ({inc.time_precision[i]})" if inc.time_precision[i] else ""
    tail = "" if p_time is None else f": {p_time:.0%} inside the window"
    return f"time {span}{precision}{tail}"


def describe_place(inc: Incidents, i: int, p_space: float | None, zone_ids: Sequence[str]) -> str:
    area = int(inc.area[i])
    if area >= 0:
        where = f"place {inc.areas[area].name} (known only as this area)"
    else:
        radius = float(inc.radius_m[i])
        fuzz = f" ±{radius / 1000:g} km" if radius > 0 else ""
        name = f"{inc.place_name[i]} " if inc.place_name[i] else ""
        where = f"place {name}({inc.lon[i]:.4f}, {inc.lat[i]:.4f}){fuzz}"
    tail = "" if p_space is None else f": {p_space:.0%} inside zones {', '.join(zone_ids)}"
    return where + tail


def decision_reason(
    category: Category,
    p: float,
    probs: npt.NDArray[np.float64],
    scope: Scope,
    conduct: int,
    s: int,
    judgements: Mapping[tuple[int, int, int], Judgement],
) -> str:
    if p > INSIDE and category is not Category.indeterminate:
        return f"p={p:.2f} > {INSIDE}: inside, so {category.value}"
    if p < OUTSIDE:
        return f"p={p:.2f} < {OUTSIDE}: outside, so out_of_scope"
    inside = sorted(
        {judgements[(s, conduct, e)].category.value for e, q in enumerate(probs) if q >= OUTSIDE}
    )
    alt = ["out_of_scope"] if p <= INSIDE else []
    outcomes = " or ".join(dict.fromkeys(inside + alt))
    if category is Category.indeterminate and (len(inside) > 1 or alt):
        return f"p={p:.2f}: the outcome could be {outcomes}, so indeterminate"
    if len(inside) + len(alt) > 1:
        return f"p={p:.2f}: {outcomes} — no breach either way, so {category.value}"
    return f"p={p:.2f}: {category.value}"


# --------------------------------------------------------------------------- the run


def _decision_table() -> npt.NDArray[np.int8]:
    """Category for each set of significant scenarios (a bit mask of categories).

    One outcome: that one. Only breaches: contested if any is, else violation.
    Only non-breaches: -1, decided by the likeliest inside scenario. Else
    indeterminate: the outcome depends on what the data cannot tell.
    """
    table = np.full(1 << len(CATEGORIES), _I, dtype=np.int8)
    table[0] = _O
    for m in range(1, len(table)):
        bits = [c for c in range(len(CATEGORIES)) if m >> c & 1]
        if len(bits) == 1:
            table[m] = bits[0]
        elif m & ~_BREACH == 0:
            table[m] = _C if m >> _C & 1 else _V
        elif m & ~_NO_BREACH == 0:
            table[m] = -1
    return table


DECISION = _decision_table()


def _decide(
    cats: npt.NDArray[np.int64], probs: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """Category from the scenarios that matter: each epoch inside, and being outside."""
    p_in = probs.sum(axis=1)
    mask = np.where(1.0 - p_in >= OUTSIDE, 1 << _O, 0)
    for e in range(cats.shape[1]):
        mask |= np.where(probs[:, e] >= OUTSIDE, np.left_shift(1, cats[:, e]), 0)
    out = DECISION[mask]
    undecided = np.flatnonzero(out == -1)
    if len(undecided):
        weight = np.where(np.isin(cats[undecided], (_P, _N)), probs[undecided], -1.0)
        best = np.argmax(weight, axis=1)
        out[undecided] = cats[undecided, best]
    return out, p_in


def _epoch_fractions(
    t0: npt.NDArray[np.int64], t1: npt.NDArray[np.int64], bounds: Sequence[int]
) -> npt.NDArray[np.float64]:
    """Share of each incident's time interval inside each [bounds[k], bounds[k+1])."""
    length = (t1 - t0).astype(np.float64)
    instant = length <= 0
    out = np.empty((len(t0), len(bounds) - 1))
    for k in range(len(bounds) - 1):
        lo, hi = bounds[k], bounds[k + 1]
        overlap = np.minimum(t1, hi) - np.maximum(t0, lo)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(instant, 0.0, np.clip(overlap, 0, None) / np.where(instant, 1, length))
        out[:, k] = np.where(instant, ((t0 >= lo) & (t0 < hi)).astype(np.float64), frac)
    return out


def in_window(
    t0: npt.NDArray[np.int64], t1: npt.NDArray[np.int64], ws: int, we: int
) -> npt.NDArray[np.bool_]:
    """Overlaps [ws, we): an interval by a positive length, an instant by lying inside."""
    return np.where(t1 > t0, (t0 < we) & (t1 > ws), (t0 >= ws) & (t0 < we))


Progress = Callable[[int, int], None]


#: From this many incidents on, `assess` locates scopes on every core by default: with
#: fewer, each scope's arrays are small and the threads mostly wait on each other
#: (measured: 10^7 incidents x 50 zones 1.2x faster on two cores, 10^6 x 2,000 slower).
PARALLEL_ROWS = 2_000_000


def _in_order(
    work: Callable[[Scope], tuple[npt.NDArray[Any], ...]], scopes: Sequence[Scope], threads: int
) -> Iterator[tuple[npt.NDArray[Any], ...]]:
    """`work` on each scope, in order; with several threads, a few scopes ahead (so the
    results held at once stay a few scopes' worth)."""
    if threads <= 1 or len(scopes) < 2:
        yield from map(work, scopes)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ceasefire-engine") as pool:
        ahead: deque[Future[tuple[npt.NDArray[Any], ...]]] = deque()
        queued = iter(scopes)
        for scope in queued:
            ahead.append(pool.submit(work, scope))
            if len(ahead) >= 2 * threads:
                break
        while ahead:
            yield ahead.popleft().result()
            nxt = next(queued, None)
            if nxt is not None:
                ahead.append(pool.submit(work, nxt))


def assess(
    incidents: Incidents,
    scopes: Sequence[Scope],
    registry: ActorRegistry,
    progress: Progress | None = None,
    land: BaseGeometry | None = None,
    threads: int | None = None,
) -> Findings:
    """Every incident against every scope; returns the pairs that may be inside.

    `land`, if given, is where events can have happened: the part of an
    uncertainty disc at sea is left out of its share. `threads`: how many scopes are
    located at once (default: every core from `PARALLEL_ROWS` incidents on, else one);
    the findings are the same whatever it is.
    """
    if land is not None:
        shapely.prepare(land)
    inc = incidents
    point_rows = np.flatnonzero(inc.area < 0)
    area_rows = np.flatnonzero(inc.area >= 0)
    grid = GridIndex(inc.lon[point_rows], inc.lat[point_rows])
    # Point columns laid out in the grid's cell order: a query's positions are
    # runs of neighbours, so every column below is read nearly in sequence.
    order = point_rows[grid.order]
    cells: dict[str, npt.NDArray[Any]] = {
        "t0": inc.t0[order],
        "t1": inc.t1[order],
        "lon": inc.lon[order],
        "lat": inc.lat[order],
        "radius": inc.radius_m[order],
        "conduct": inc.conduct[order],
    }
    max_radius = float(cells["radius"].max()) if len(order) else 0.0

    parts: dict[str, list[npt.NDArray]] = {k: [] for k in ("inc", "scope", "cat", "p", "ps", "pt")}
    epoch_blocks: list[npt.NDArray[np.float64]] = []
    judgements: dict[tuple[int, int, int], Judgement] = {}
    judges: dict[tuple[object, frozenset[str]], Judge] = {}
    memo: dict[tuple[object, frozenset[str], int], Judgement] = {}
    if threads is None:
        threads = (os.cpu_count() or 1) if len(incidents) >= PARALLEL_ROWS else 1
    main = threading.get_ident()

    def candidates(scope: Scope) -> tuple[npt.NDArray[Any], ...]:
        """Where and when: the rows possibly inside the scope, with their share of space.
        Array work only (numpy and shapely release the GIL), so scopes run in threads,
        each querying geometry of its own (`thread_copy`, `prepared_zone`)."""
        own = threading.get_ident() == main
        zone = scope.zone if own else prepared_zone(scope.zone.geometry)
        mask = land if own or land is None else thread_copy(land)
        ws, we = scope.window.start, scope.window.end
        minx, miny, maxx, maxy = zone.bounds
        pad = metres_to_degrees(max_radius, max(abs(miny), abs(maxy)) + 1.0)
        # Time first: it is the cheapest test and removes most pairs.
        pos = grid.positions(minx - pad, miny - pad, maxx + pad, maxy + pad)
        pos = pos[in_window(cells["t0"][pos], cells["t1"][pos], ws, we)]
        share = zone.point_share(cells["lon"][pos], cells["lat"][pos], cells["radius"][pos], mask)
        pos, p_space = pos[share > 0], share[share > 0]
        cand = order[pos]
        t0, t1, conduct = cells["t0"][pos], cells["t1"][pos], cells["conduct"][pos]
        if len(area_rows):
            rows = area_rows[in_window(inc.t0[area_rows], inc.t1[area_rows], ws, we)]
            area_share = zone.area_share(inc.areas)[inc.area[rows]]
            rows, area_share = rows[area_share > 0], area_share[area_share > 0]
            cand = np.concatenate([cand, rows])
            p_space = np.concatenate([p_space, area_share])
            t0 = np.concatenate([t0, inc.t0[rows]])
            t1 = np.concatenate([t1, inc.t1[rows]])
            conduct = np.concatenate([conduct, inc.conduct[rows]])
        return cand, p_space, t0, t1, conduct

    found_all = _in_order(candidates, scopes, threads)
    for s, (scope, found) in enumerate(zip(scopes, found_all, strict=True)):
        we = scope.window.end
        cand, p_space, t0, t1, conduct = found
        if len(cand):
            bounds = (*scope.epochs, we)
            frac = _epoch_fractions(t0, t1, bounds)
            probs = p_space[:, None] * frac
            present = np.flatnonzero(np.bincount(conduct, minlength=len(incidents.conducts)))
            table = np.zeros((len(incidents.conducts), len(scope.epochs)), dtype=np.int64)
            terms = scope.terms()
            for e, start in enumerate(scope.epochs):
                bound = frozenset(
                    p for p, since in scope.party_since.items() if since is None or since <= start
                )
                # Agreements (and readings) with the same terms and the same parties
                # bound share their judgements: many local truces repeat the terms.
                judge = judges.get((terms, bound))
                if judge is None:
                    judge = judges[(terms, bound)] = Judge(scope, registry, start)
                for c in present:
                    key = (terms, bound, int(c))
                    j = memo.get(key)
                    if j is None:
                        j = memo[key] = judge.conduct(incidents.conducts[int(c)])
                    judgements[(s, int(c), e)] = j
                    table[c, e] = CODE[j.category]
            cats = table[conduct]
            category, p_in = _decide(cats, probs)
            parts["inc"].append(cand)
            parts["scope"].append(np.full(len(cand), s, np.int32))
            parts["cat"].append(category)
            parts["p"].append(np.clip(p_in, 0.0, 1.0))
            parts["ps"].append(p_space)
            parts["pt"].append(frac.sum(axis=1))
            epoch_blocks.append(probs)
        if progress is not None:
            progress(s + 1, len(scopes))

    def cat(key: str, dtype: type) -> npt.NDArray:
        return np.concatenate(parts[key]).astype(dtype) if parts[key] else np.zeros(0, dtype)

    return Findings(
        incidents=incidents,
        scopes=list(scopes),
        incident=cat("inc", np.int64),
        scope=cat("scope", np.int32),
        category=cat("cat", np.int8),
        probability=cat("p", np.float64),
        p_space=cat("ps", np.float64),
        p_time=cat("pt", np.float64),
        epoch_blocks=epoch_blocks,
        block_starts=np.cumsum([0] + [len(b) for b in epoch_blocks[:-1]]).astype(np.int64),
        judgements=judgements,
    )


__all__ = [
    "CATEGORIES",
    "CIVILIANS",
    "INSIDE",
    "OPEN_END",
    "OUTSIDE",
    "TEXT",
    "Findings",
    "Judge",
    "Judgement",
    "Scope",
    "assess",
    "build_scopes",
]
