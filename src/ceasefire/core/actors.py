"""Actor names from datasets to actor ids, and what each actor is under an agreement."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ceasefire.core.model import Actor, Agreement

#: Built in: civilians need no declaration and are always protected.
CIVILIANS = "civilians"
#: Marks a name that resolved to no actor: `?` + the name as written.
UNRESOLVED_PREFIX = "?"

_YEARS = re.compile(r"\(\s*\d{4}\s*-\s*(\d{4})?\s*\)")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_CIVILIAN = re.compile(r"^civilians?\b")
_UNKNOWN = re.compile(r"^(unidentified|unknown)\b")


def normalise_name(name: str) -> str:
    """Case, accents, punctuation, `(2000-)` suffixes and spacing do not tell names apart."""
    text = _YEARS.sub(" ", name)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'").replace("'", "")
    text = _PUNCT.sub(" ", text.lower())
    return _SPACES.sub(" ", text).strip()


@dataclass
class ActorRegistry:
    """All declared actors, indexed by every normalised name and alias."""

    actors: dict[str, Actor] = field(default_factory=dict)
    _by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, actors: Iterable[Actor]) -> ActorRegistry:
        registry = cls()
        for actor in actors:
            registry.add(actor)
        return registry

    def add(self, actor: Actor) -> None:
        self.actors[actor.id] = actor
        names = [actor.id, actor.name, *actor.aliases]
        for code in actor.codes.values():
            values = code if isinstance(code, list) else [code]
            names.extend(str(v) for v in values if isinstance(v, str))
        for name in names:
            key = normalise_name(name)
            if key:
                self._by_name.setdefault(key, actor.id)

    def resolve(self, name: str) -> str | None:
        """The actor id for a dataset name; `civilians` for civilians; None if unknown."""
        key = normalise_name(name)
        if not key:
            return None
        hit = self._by_name.get(key)
        if hit is not None:
            return hit
        if _CIVILIAN.match(key):
            return CIVILIANS
        return None

    def ancestors(self, actor_id: str) -> list[str]:
        """The actor and every actor it belongs to, nearest first (cycles are cut)."""
        seen: list[str] = []
        todo = [actor_id]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.append(current)
            actor = self.actors.get(current)
            if actor is not None:
                todo.extend(actor.member_of)
        return seen


def split_cell(cell: str, separator: str = ",") -> list[str]:
    """A cell listing several actors, split; empty parts dropped."""
    return [part.strip() for part in cell.split(separator) if part.strip()]


def is_unknown_name(name: str) -> bool:
    """Names that say the actor is not known ('Unidentified Armed Group (Syria)')."""
    return bool(_UNKNOWN.match(normalise_name(name)))


@dataclass
class Resolution:
    """What happened to dataset names: resolved ones, and a count of those that were not."""

    unresolved: Counter[str] = field(default_factory=Counter)
    resolved: int = 0

    def names(self, registry: ActorRegistry, cells: Sequence[str]) -> tuple[str, ...]:
        """Resolve the names; unknown names are kept as `?name` and counted, never dropped."""
        out: list[str] = []
        for name in cells:
            actor_id = registry.resolve(name)
            if actor_id is None:
                if is_unknown_name(name):
                    continue
                self.unresolved[name] += 1
                out.append(UNRESOLVED_PREFIX + name)
            else:
                self.resolved += 1
                out.append(actor_id)
        return tuple(dict.fromkeys(out))

    def merge(self, other: Resolution) -> None:
        self.unresolved.update(other.unresolved)
        self.resolved += other.resolved

    def summary(self, top: int = 5) -> str:
        total = sum(self.unresolved.values())
        if not total:
            return "all actor names resolved"
        common = ", ".join(f"{n!r} ×{c}" for n, c in self.unresolved.most_common(top))
        return (
            f"{total} actor mentions ({len(self.unresolved)} distinct names) resolved to no "
            f"declared actor; most frequent: {common}"
        )


@dataclass(frozen=True)
class Standing:
    """What one actor is under one agreement."""

    kind: str  # "party", "excluded", "civilian", "outside", "unknown"
    via: str  # the actor id that gives the standing (itself or what it belongs to)
    since: int | None = None  # UTC instant a late party became bound


def standing(
    actor_id: str,
    agreement: Agreement,
    registry: ActorRegistry,
    party_since: dict[str, int | None],
) -> Standing:
    """Party, excluded, civilian, outside or unknown, looking up the membership chain.

    Exclusion wins over party membership: a unit of an excluded group stays
    excluded even if it is also listed under a party's umbrella.
    """
    if actor_id == CIVILIANS:
        return Standing("civilian", CIVILIANS)
    if actor_id.startswith(UNRESOLVED_PREFIX):
        return Standing("unknown", actor_id)
    chain = registry.ancestors(actor_id)
    excluded = set(agreement.excluded_ids())
    designators = {d.lower() for d in agreement.excluded_designators()}
    for member in chain:
        if member in excluded:
            return Standing("excluded", member)
        actor = registry.actors.get(member)
        if actor and designators and any(d.by.lower() in designators for d in actor.designations):
            return Standing("excluded", member)
    for member in chain:
        if member in party_since:
            return Standing("party", member, party_since[member])
    return Standing("outside", actor_id)
