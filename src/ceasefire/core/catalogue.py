"""The catalogue: actors, zones and agreements together, as the engine takes them.

A pure domain type. The agreement reader (`ceasefire.formats.agreements`)
builds one from files and the record (`ceasefire.storage`) rebuilds one from
its rows; neither owns it, so it lives in the core both depend on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.model import Agreement, Zone


@dataclass
class Catalogue:
    """Actors, zones (as geometry) and agreements from one or more files."""

    actors: ActorRegistry = field(default_factory=ActorRegistry)
    zones: dict[str, BaseGeometry] = field(default_factory=dict)
    zone_specs: dict[str, Zone] = field(default_factory=dict)
    agreements: list[Agreement] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def agreement(self, agreement_id: str) -> Agreement:
        for agreement in self.agreements:
            if agreement.id == agreement_id:
                return agreement
        raise KeyError(agreement_id)


__all__ = ["Catalogue"]
