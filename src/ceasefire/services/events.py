"""One event, many reports: matching the record's sources, and linking tables in memory.

`match` links the accepted incidents of two or more sources on the record with the
shipped model (`ceasefire.link`): pairs scoring at least the upper threshold become
`event_links` (method `auto`, replacing the previous run's), pairs between the two
thresholds are queued for review as possible duplicates, and the run is one ledger
entry `incident.match` (its thresholds, counts and the sha256 of its links), not one
per link. What a person decided is kept: a report a person linked, or a pair a person
rejected, is left out of the run. It needs `incidents.review`.

`link_in_memory` does the same on a table read from files (no database), for
`ceasefire assess` with several inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.incidents import Incidents
from ceasefire.core.policy import Action, Principal, Settings, require
from ceasefire.link import Linkage, link_incidents
from ceasefire.link.model import load_settings
from ceasefire.services import ledger
from ceasefire.storage.models import utcnow
from ceasefire.storage.record import Record

ACTION = "incident.match"


@dataclass
class MatchReport:
    """What one run did."""

    run: str
    sources: list[str]
    reports: int
    pairs: int
    auto_links: int
    queued: int
    events: int
    thresholds: dict[str, float]
    links_sha256: str
    skipped: int = 0
    entry: int | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.reports:
            return self.notes or ["nothing to match"]
        return [
            f"matched {self.reports:,} reports of {', '.join(self.sources)}: "
            f"{self.pairs:,} pairs scored, {self.auto_links:,} linked automatically "
            f"(score >= {self.thresholds['auto']}), {self.queued:,} possible duplicates "
            f"queued for review (score >= {self.thresholds['review']}); "
            f"{self.events:,} events",
            *self.notes,
        ]


def _ref(incidents: Incidents, i: int) -> str:
    return f"{incidents.source[i]}:{incidents.id[i]}"


def links_digest(rows: Sequence[tuple[str, str, float]]) -> str:
    """sha256 of the run's links as canonical JSON: [[report, event, score], ...] sorted."""
    body = sorted([r, e, round(float(s), 6)] for r, e, s in rows)
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _link_scores(linkage: Linkage, n: int) -> npt.NDArray[np.float64]:
    """Each report's best auto-link score (NaN when unlinked)."""
    best = np.full(n, np.nan)
    links = linkage.decision.links
    for a, b, s in zip(links["left"], links["right"], links["score"], strict=True):
        for i in (int(a), int(b)):
            best[i] = s if np.isnan(best[i]) else max(best[i], s)
    return best


def match(
    rec: Record,
    who: Principal,
    sources: Sequence[str] | None = None,
    *,
    signer: ledger.Signer | None = None,
    settings: Settings | None = None,
    auto: float | None = None,
    review: float | None = None,
    model: dict[str, Any] | None = None,
) -> MatchReport:
    """Link the accepted reports of `sources` (None: every source on the record)."""
    settings = settings or Settings()
    require(who, Action.incidents_review, settings=settings, what="event links")
    from ceasefire.services.record import area_lookup, workspace_region

    model = model if model is not None else load_settings()
    chosen = sorted(dict.fromkeys(sources)) if sources else rec.events.sources()
    empty = MatchReport(
        run="", sources=chosen, reports=0, pairs=0, auto_links=0, queued=0, events=0,
        thresholds={}, links_sha256=links_digest([]),
    )  # fmt: skip
    if len(chosen) < 2:
        empty.notes.append(
            f"nothing to match: reports of one source ({', '.join(chosen) or 'none'}) are never "
            "linked to each other"
        )
        return empty
    wanted = rec.events.pks_of(chosen)
    incidents, pks = rec.incidents.load(ids=wanted, areas=area_lookup(workspace_region(rec)))
    present = sorted({str(s) for s in incidents.source})
    if len(present) < 2:
        empty.notes.append("nothing to match: fewer than two of these sources hold reports")
        return empty
    decided = rec.events.person_decided()
    held = np.isin(pks, np.fromiter(decided, dtype=np.int64, count=len(decided)))
    linkage = link_incidents(
        incidents,
        rec.agreements.catalogue().actors,
        aggregate=held,
        auto=auto,
        review=review,
        settings=model,
    )
    decision = linkage.decision
    scores = _link_scores(linkage, len(incidents))
    event_of = linkage.event_of
    links = [
        (int(pks[i]), int(pks[event_of[i]]), float(scores[i]))
        for i in range(len(incidents))
        if event_of[i] != i
    ]
    refs = [
        (_ref(incidents, i), _ref(incidents, int(event_of[i])), float(scores[i]))
        for i in range(len(incidents))
        if event_of[i] != i
    ]
    when = utcnow()
    among = [int(p) for p, h in zip(pks, held, strict=True) if not h]
    rec.events.replace_auto(links, among=among, at=when)
    rec.events.drop_open_duplicates(among)
    queued = 0
    for a, b, s in zip(decision.review["left"], decision.review["right"],
                       decision.review["score"], strict=True):  # fmt: skip
        first, second = sorted((int(pks[int(a)]), int(pks[int(b)])))
        rec.review.add("duplicate", first, second, float(s))
        queued += 1
    thresholds = {"auto": float(decision.auto), "review": float(decision.review_at)}
    if decision.margin is not None:
        thresholds["margin"] = float(decision.margin)
    digest = links_digest(refs)
    run = when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    payload = {
        "run": run,
        "sources": present,
        "thresholds": thresholds,
        "auto_links": len(links),
        "queued": queued,
        "links_sha256": digest,
    }
    entry = ledger.append(rec, who.name, ACTION, payload, signer=signer)
    return MatchReport(
        run=run,
        sources=present,
        reports=len(incidents),
        pairs=len(linkage.pairs),
        auto_links=len(links),
        queued=queued,
        events=linkage.events,
        thresholds=thresholds,
        links_sha256=digest,
        skipped=int(held.sum()),
        entry=getattr(entry, "seq", None),
    )


def link_in_memory(
    incidents: Incidents,
    registry: ActorRegistry | None = None,
    *,
    aggregate: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int64]:
    """`event_of` for a table of several sources read from files (no database): each
    report's event representative (itself when unlinked). One source: nothing is linked."""
    if len({str(s) for s in incidents.source}) < 2:
        return np.arange(len(incidents), dtype=np.int64)
    return link_incidents(incidents, registry, aggregate=aggregate).event_of


__all__ = ["ACTION", "MatchReport", "link_in_memory", "links_digest", "match"]
