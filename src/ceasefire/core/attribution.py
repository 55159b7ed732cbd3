"""Who acted, when the dataset does not say: claims read from a source's words or inferred
from what only one side can do, and the grade of the attribution they support.

Pure: the reader (`extract.headlines`) turns a source's text into `TextAct`s; this
module turns those, the conduct and the agreement's actors into claims. A claim
never replaces what a dataset or a person recorded; it sits beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.incidents import Claim, Conduct
from ceasefire.core.model import Act, Capability, Grade

#: How a clause relates to the place of the row it is read for.
PlaceMatch = Literal["named", "only_clause", "other", "none"]


@dataclass(frozen=True)
class TextAct:
    """One act a clause of a source's text describes, with who it says acted and who was hit.

    `words` is the clause exactly as in the text (`text[span[0]:span[1]]`) and
    `agent_words` the words naming the agent: they are shown as the basis of a claim,
    never a paraphrase. `place_match`: the clause names this row's place, district or
    governorate (`named`); it is the only clause and names no place (`only_clause`);
    it names another place (`other`); several clauses and this one names none (`none`).
    `aggregate` marks a tally across places or days; `hedged` a "reportedly";
    `unidentified` an act the source says was by someone it does not know ("unidentified
    warplanes"): no rule may name who that was.
    """

    act: Act
    agent: str | None
    agent_words: str
    victims: tuple[str, ...]
    span: tuple[int, int]
    words: str
    place_match: PlaceMatch
    aggregate: bool
    hedged: bool
    unidentified: bool = False


# --------------------------------------------------------------------------- claimants

#: Claimant prefixes (`Claim[0]`): the source's words, a rule's inference, a person.
SOURCE_PREFIX = "source:"
CAPABILITY_PREFIX = "inferred:capability:"
USER_PREFIX = "user:"
ACTOR_PREFIX = "actor:"

#: What an act needs that only some actors have (a barrel bomb is read as an air strike).
NEEDS: dict[Act, Capability] = {Act.air_strike: Capability.air, Act.drone_strike: Capability.drone}

#: Place matches that make a clause about this row's place.
HERE: frozenset[str] = frozenset({"named", "only_clause"})

Dyad = tuple[tuple[str, ...], tuple[str, ...]]


def source_claimant(source_name: str | None) -> str:
    """`source:SOHR` for a source's words; `source:text` when the source is not named."""
    name = (source_name or "").strip()
    return SOURCE_PREFIX + (name or "text")


def is_inference(claimant: str | None) -> bool:
    """A claim made by a rule, not by a source or a person."""
    return bool(claimant) and str(claimant).startswith("inferred:")


def _side_of(agent: str, side: tuple[str, ...], registry: ActorRegistry) -> str | None:
    """The actor of `side` that `agent` is, belongs to, or stands above; None if none."""
    agent_chain = registry.ancestors(agent)
    for actor in side:
        if actor in agent_chain or agent in registry.ancestors(actor):
            return actor
    return None


def _recorded_under(agent: str, sides: Dyad, registry: ActorRegistry) -> str | None:
    """The dyad's actor that datasets file `agent`'s acts under (`Actor.recorded_under` of
    the agent or of an actor it belongs to), None if none."""
    for actor in registry.ancestors(agent):
        spec = registry.actors.get(actor)
        for under in spec.recorded_under if spec else ():
            found = _side_of(under, sides[0], registry) or _side_of(under, sides[1], registry)
            if found is not None:
                return found
    return None


def _resolve(agent: str, registry: ActorRegistry) -> str | None:
    if agent in registry.actors:
        return agent
    return registry.resolve(agent)


def _has(actor: str, capability: Capability, registry: ActorRegistry) -> bool:
    """The actor, an actor it belongs to, or one of its members has the capability."""
    related = set(registry.ancestors(actor))
    related.update(a for a in registry.actors if actor in registry.ancestors(a))
    return any(
        capability in registry.actors[a].capabilities for a in related if a in registry.actors
    )


def quote(act: TextAct) -> str:
    """The clause's words and where they are in the text: `"..." [12:40]`."""
    return f'"{act.words}" [{act.span[0]}:{act.span[1]}]'


def infer(
    conduct: Conduct,
    acts: Sequence[TextAct],
    registry: ActorRegistry,
    source_name: str | None,
) -> tuple[tuple[Claim, ...], list[str]]:
    """Claims of who acted in an undirected dyad, from a source's words and from capabilities.

    Returns the new claims (to stand beside what is recorded, never instead of it)
    and one basis line per claim, or per clause that named an actor and gave no
    claim, saying why. Nothing is inferred for a directed conduct: the dataset (or
    a person) already recorded who acted.

    - text rule: a clause about this place (`named` or `only_clause`), not a tally,
      whose agent is (or belongs to, or stands above) an actor of one side of the
      dyad → `("source:<name>", (that actor,))`. An agent outside the dyad gives no
      claim — the dataset's two sides are what fought there — unless the agreement file
      says datasets file its acts under one of them (`recorded_under`: a dataset that
      codes an ally's air strikes as the government's): then the claim names the agent.
    - capability rule: an act needing a capability (an air strike) at this place
      with no agent named, in a dyad where exactly one side has an actor (or an
      ancestor or member of one) with it → `("inferred:capability:air", (that actor,))`;
      not when the text also tells, at this place, an act anyone could have done by
      nobody named (shelling, clashes): the row may record that act; nor when the source
      says it does not know who acted ("unidentified warplanes").
    """
    if conduct.directed:
        return (), []
    sides: Dyad = conduct.dyad or (conduct.perpetrator_ids(), conduct.targets)
    if not sides[0] or not sides[1]:
        return (), []
    dyad = f"{'+'.join(sides[0])} ~ {'+'.join(sides[1])}"
    claimant = source_claimant(source_name)
    said = claimant.removeprefix(SOURCE_PREFIX)
    claims: dict[Claim, None] = {}
    inferred: dict[Claim, None] = {}
    lines: dict[str, None] = {}
    here = [a for a in acts if a.place_match in HERE and not a.aggregate]
    # An act at this place that anyone could have done, by nobody named (shells fell,
    # clashes), may be what the row records: then an air strike beside it does not tell.
    open_acts = sorted({a.act.value for a in here if a.agent is None and a.act not in NEEDS})
    # Agents one clause names for its act ("Russian and regime warplanes") acted together:
    # one claim naming them all when they stand on one side, else one claim each.
    joint: dict[tuple[int, int], dict[str, int]] = {}  # clause span -> actor -> its side

    def side(actor: str) -> int:
        """0 or 1: the side of the dyad the actor stands on, itself or as filed."""
        if _side_of(actor, sides[0], registry):
            return 0
        if _side_of(actor, sides[1], registry):
            return 1
        under = _recorded_under(actor, sides, registry)
        return 0 if under is not None and _side_of(under, sides[0], registry) else 1

    for act in here:
        hedge = " (hedged)" if act.hedged else ""
        if act.agent is not None:
            resolved = _resolve(act.agent, registry)
            found = None
            if resolved is not None:
                found = _side_of(resolved, sides[0], registry) or _side_of(
                    resolved, sides[1], registry
                )
            if found is None and resolved is not None:
                under = _recorded_under(resolved, sides, registry)
                if under is not None:
                    joint.setdefault(act.span, {})[resolved] = side(under)
                    lines[
                        f"{resolved} per {said}{hedge} (the dataset files {resolved}'s acts "
                        f"under {under}): {quote(act)}"
                    ] = None
                    continue
            if found is None:
                lines[
                    f"no claim: {said} names {act.agent} ({act.agent_words!r}), not a side of "
                    f"{dyad}: {quote(act)}"
                ] = None
                continue
            joint.setdefault(act.span, {})[found] = side(found)
            lines[f"{found} per {said}{hedge}: {quote(act)}"] = None
            continue
        need = NEEDS.get(act.act)
        if need is None:
            continue
        if act.unidentified:
            lines[f"no claim from capability: {said} says it does not know who: {quote(act)}"] = (
                None
            )
            continue
        if open_acts:
            lines[
                f"no claim from capability: {'/'.join(open_acts)} by nobody named at this place "
                f"too: {quote(act)}"
            ] = None
            continue
        able = [[a for a in side if _has(a, need, registry)] for side in sides]
        if bool(able[0]) == bool(able[1]):
            continue  # neither side, or both, can do it: the act does not tell
        actor = (able[0] or able[1])[0]
        inferred[(CAPABILITY_PREFIX + need.value, (actor,))] = None
        lines[
            f"{actor} per capability ({need.value}: only {actor}'s side of {dyad} has it): "
            f"{quote(act)}"
        ] = None
    for named in joint.values():
        if len(set(named.values())) == 1:
            claims[(claimant, tuple(named))] = None
        else:
            claims.update({(claimant, (actor,)): None for actor in named})
    # The capability tells only the side; a source naming who on that side acted says more
    # ("Russian jets" beside an air strike the capability gives to the government).
    named_sides = {
        (side(names[0]), a) for _, names in claims for a in names if len({*map(side, names)}) == 1
    }
    for claim in inferred:
        actor = claim[1][0]
        if (
            any(s == side(actor) for s, _ in named_sides)
            and (side(actor), actor) not in named_sides
        ):
            continue
        claims[claim] = None
    return tuple(claims), list(lines)


def told_act(
    conduct: Conduct, acts: Sequence[TextAct], source_name: str | None
) -> tuple[Act | None, str | None]:
    """The kind of act the source's words tell for this row, when the dataset recorded only
    `attack`: the one kind its clauses about this place (not tallies) name, with the basis
    line quoting the first of them. None when they name none or several kinds."""
    if conduct.act is not Act.attack:
        return None, None
    here = [
        a for a in acts if a.place_match in HERE and not a.aggregate and a.act is not Act.attack
    ]
    kinds = {a.act for a in here}
    if len(kinds) != 1:
        return None, None
    kind = kinds.pop()
    said = source_claimant(source_name).removeprefix(SOURCE_PREFIX)
    return kind, f"act {kind.value} from {said}'s words: {quote(here[0])}"


def inferred_conduct(
    conduct: Conduct,
    claims: Sequence[Claim],
    act: Act | None = None,
    registry: ActorRegistry | None = None,
) -> Conduct:
    """The conduct with the inferred claims as its perpetrators: directed, the dyad kept.

    Targets are the other side of the dyad; when the claims name both sides, both
    sides are targets (each claim is judged against the side it did not name). With
    `registry`, an actor the dataset files under a side (`recorded_under`) stands on it.
    """
    if conduct.directed or not claims:
        return conduct
    sides: Dyad = conduct.dyad or (conduct.perpetrator_ids(), conduct.targets)
    named = {a for _, names in claims for a in names}
    if registry is not None:
        named |= {u for a in named if (u := _recorded_under(a, sides, registry)) is not None}
    hit_a, hit_b = bool(named & set(sides[0])), bool(named & set(sides[1]))
    if hit_a and not hit_b:
        targets = sides[1]
    elif hit_b and not hit_a:
        targets = sides[0]
    else:
        targets = tuple(dict.fromkeys((*sides[0], *sides[1])))
    return Conduct(
        act if act is not None else conduct.act,
        tuple(claims),
        targets,
        directed=True,
        dyad=sides,
    )


# --------------------------------------------------------------------------- grades


def top_side(actor: str, registry: ActorRegistry) -> str:
    """The outermost actor `actor` belongs to (itself when it belongs to none)."""
    chain = registry.ancestors(actor)
    tops = [a for a in chain if not (registry.actors.get(a) and registry.actors[a].member_of)]
    return tops[0] if tops else chain[-1]


def grade(
    claims: Iterable[Claim],
    *,
    side_of: Callable[[str], str] | None = None,
    responsibility: bool = False,
    discounted: bool = False,
) -> Grade:
    """The grade of an attribution on the Airwars scale, the first that applies:

    discounted (a person discounted it) > confirmed (an actor claims its own act:
    a claimant `actor:<id>` naming itself or a member, or a responsibility claim)
    > contested (claims name different sides) > fair (two or more distinct sources
    name the same side) > weak (one source, the dataset's own coding, or an
    inference alone) > undetermined (no claim names anyone).

    `side_of` maps an actor to its side (default: itself). The claims' order does
    not matter.
    """
    side = side_of or (lambda a: a)
    named = [(by, names) for by, names in claims if names]
    if discounted:
        return Grade.discounted
    if responsibility:
        return Grade.confirmed
    for by, names in named:
        if by and by.startswith(ACTOR_PREFIX):
            who = by.removeprefix(ACTOR_PREFIX)
            if any(side(a) == side(who) for a in names):
                return Grade.confirmed
    if not named:
        return Grade.undetermined
    sides = {frozenset(side(a) for a in names) for _, names in named}
    if len(sides) > 1:
        return Grade.contested
    sources = {by for by, _ in named if not is_inference(by)}
    if len(sources) >= 2:
        return Grade.fair
    return Grade.weak


def conduct_grade(
    conduct: Conduct,
    registry: ActorRegistry,
    *,
    responsibility: bool = False,
    discounted: bool = False,
) -> Grade:
    """The grade of what a conduct says about who acted: an undirected dyad names sides, not
    who acted, so it is `undetermined` (unless a person discounted or an actor confirmed it)."""
    claims = conduct.perpetrators if conduct.directed else ()
    return grade(
        claims,
        side_of=lambda a: top_side(a, registry),
        responsibility=responsibility,
        discounted=discounted,
    )
