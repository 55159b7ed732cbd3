"""Which incidents a viewer may see: the one rule, for every place an incident shows.

Candidates (extracted from text, awaiting review) are shown only to those who
may review incidents; to anyone else they do not exist — by id, on the page of
a case that links one, in the ledger, and when an allegation is filed naming
one (answered as for an id the record does not hold). Accepted incidents are
shown to whoever may read incidents.
"""

from __future__ import annotations

from typing import Any, Protocol

from ceasefire.core.policy import Action, IncidentSight, Principal, Settings, can

ACCEPTED = "accepted"


class IncidentSource(Protocol):
    """Where one incident is read from (the record's `incidents` store)."""

    def get(
        self, key: int | str | tuple[str, str], *, sight: IncidentSight | None = None
    ) -> dict[str, Any] | None: ...


def incident_sight(who: Principal | None, settings: Settings) -> IncidentSight:
    """The rule as data: the record applies it in SQL to every list and fetch."""
    return IncidentSight(
        incidents=can(who, Action.incidents_read, settings=settings),
        candidates=can(who, Action.incidents_review, settings=settings),
    )


def incident_visible(who: Principal | None, status: str | None, settings: Settings) -> bool:
    """Whether an incident in this status is there at all for `who` (unknown: as a candidate)."""
    return incident_sight(who, settings).shows(status)


def visible_incident(
    repo: IncidentSource, who: Principal | None, key: int | str, settings: Settings
) -> dict[str, Any] | None:
    """One incident with its findings, or None if absent or not for this viewer (alike)."""
    return repo.get(key, sight=incident_sight(who, settings))
