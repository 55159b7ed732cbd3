"""Reports of one event merged into one incident (pure: arrays in, arrays out).

`event_of[i]` names the row standing for report i's event (itself when unlinked; the
most precise report of a linked group, as `link.clusters.events` chooses). The merged
table has one row per event, in the order of those rows:

- time, place, ids and texts are the representative report's;
- casualties: low = the lowest low, best = the median of the best estimates,
  high = the highest high (unknown figures ignored);
- who acted: each report's claims, tagged by the report's source when the report
  itself is the claimant (`None` becomes `"source:<source>"`), kept side by side, so
  reports naming different perpetrators are competing claims (the engine's
  `contested`). Only reports that say who acted (directed conducts) give perpetrator
  claims; a dataset's dyad (who fought whom) stays a dyad. The act is the first
  specific one (the representative's if it has one) when a report says only "attack".
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from ceasefire.core.incidents import Claim, Conduct, Incidents
from ceasefire.core.model import Act


def _tag(claim: Claim, source: str) -> Claim:
    claimant, ids = claim
    return (claimant if claimant is not None else f"source:{source}", ids)


def merge_conducts(conducts: list[Conduct], sources: list[str]) -> Conduct:
    """One conduct for an event from its reports' conducts (representative first)."""
    if len(conducts) == 1:
        return conducts[0]
    act = next((c.act for c in conducts if c.act not in (Act.attack, Act.other)), conducts[0].act)
    directed = [(c, s) for c, s in zip(conducts, sources, strict=True) if c.directed]
    dyad = next((c.dyad for c in conducts if c.dyad is not None), None)
    if not directed:
        first = conducts[0]
        claims: list[Claim] = []
        for c, s in zip(conducts, sources, strict=True):
            for claim in c.perpetrators:
                tagged = _tag(claim, s)
                if tagged not in claims:
                    claims.append(tagged)
        return Conduct(act, tuple(claims), first.targets, directed=False, dyad=dyad)
    claims = []
    targets: list[str] = []
    for c, s in directed:
        for claim in c.perpetrators:
            tagged = _tag(claim, s)
            if tagged not in claims:
                claims.append(tagged)
        targets.extend(t for t in c.targets if t not in targets)
    if dyad is None:
        undirected = next((c for c in conducts if not c.directed), None)
        if undirected is not None:
            dyad = (undirected.perpetrator_ids(), tuple(undirected.targets))
    return Conduct(act, tuple(claims), tuple(targets), directed=True, dyad=dyad)


def merge(incidents: Incidents, event_of: npt.ArrayLike) -> Incidents:
    """One row per event; see the module's description."""
    event = np.asarray(event_of, dtype=np.int64)
    n = len(incidents)
    if event.shape != (n,):
        raise ValueError(f"event_of has {event.shape[0]} entries for {n} reports")
    if n and (event.min() < 0 or event.max() >= n):
        raise ValueError("event_of must name rows of the table")
    if n and not np.all(event[event] == event):
        raise ValueError("each event's representative must stand for itself")
    reps = np.unique(event)  # sorted: representatives in row order
    columns = {
        f.name: getattr(incidents, f.name)[reps]
        for f in dataclasses.fields(incidents)
        if f.name not in ("areas", "conducts")
    }
    group = np.searchsorted(reps, event)
    counts = np.bincount(group, minlength=len(reps))
    multi = np.flatnonzero(counts > 1)
    if len(multi) == 0:
        return Incidents(**columns, areas=list(incidents.areas), conducts=list(incidents.conducts))

    low = columns["killed_low"].astype(np.float64).copy()
    best = columns["killed_best"].astype(np.float64).copy()
    high = columns["killed_high"].astype(np.float64).copy()
    conduct_ix = columns["conduct"].astype(np.int32).copy()
    conducts = list(incidents.conducts)
    index = {c: k for k, c in enumerate(conducts)}
    order = np.argsort(group, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for g in multi:
        members = order[starts[g] : starts[g] + counts[g]]
        rep = reps[g]
        members = np.concatenate([[rep], members[members != rep]])
        with np.errstate(all="ignore"):
            lows = incidents.killed_low[members]
            bests = incidents.killed_best[members]
            highs = incidents.killed_high[members]
            low[g] = np.nanmin(lows) if np.isfinite(lows).any() else np.nan
            best[g] = np.nanmedian(bests) if np.isfinite(bests).any() else np.nan
            high[g] = np.nanmax(highs) if np.isfinite(highs).any() else np.nan
        merged = merge_conducts(
            [incidents.conducts[int(incidents.conduct[m])] for m in members],
            [str(incidents.source[m]) for m in members],
        )
        k = index.get(merged)
        if k is None:
            k = index[merged] = len(conducts)
            conducts.append(merged)
        conduct_ix[g] = k
    columns.update(killed_low=low, killed_best=best, killed_high=high, conduct=conduct_ix)
    return Incidents(**columns, areas=list(incidents.areas), conducts=conducts)


__all__ = ["merge", "merge_conducts"]
