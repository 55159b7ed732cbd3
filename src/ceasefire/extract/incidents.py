"""Incidents and the claims about them, from an analysed article.

An incident starts from the act words of one clause ("airstrikes ...
bombarding", "mortars"), gathers the casualty figures, actors, protected
objects, place and time around them, and records who attributes it to whom:
an actor named as a fact has `claimed_by: null`; "Russia said the mortars
were launched by Nusra" gives Nusra claimed by Russia; "airstrikes were
blamed for ..." with nobody named gives `claimed_by: null` and the verb
`blamed`. Incidents that repeat one another (a headline and its lead) are
merged. Words with no act, casualty, object, place or time near them give no
incident: a text without incidents gives an empty list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ceasefire.core.actors import CIVILIANS
from ceasefire.extract.analysis import (
    CLAUSE_BREAKS,
    ActorMention,
    Analysis,
    Casualty,
    PlaceMention,
)
from ceasefire.extract.dates import When, utc_iso
from ceasefire.extract.numbers import Count
from ceasefire.extract.resources import Gazetteer

#: Which act wins when one clause names several (most specific first).
ACT_PRIORITY = (
    "chemical", "suicide_bombing", "execution", "bombing", "air_strike", "drone_strike",
    "missile", "mortar", "shelling", "shooting", "clash", "abduction",
)  # fmt: skip
ACLED_SUB_EVENT = {
    "air_strike": "Air/drone strike",
    "drone_strike": "Air/drone strike",
    "shelling": "Shelling/artillery/missile attack",
    "mortar": "Shelling/artillery/missile attack",
    "missile": "Shelling/artillery/missile attack",
    "clash": "Armed clash",
    "bombing": "Remote explosive/landmine/IED",
    "suicide_bombing": "Suicide bomb",
    "chemical": "Chemical weapon",
    "abduction": "Abduction/forced disappearance",
    "shooting": "Attack",
    "execution": "Attack",
    "attack": "Attack",
}
CIVILIAN_OBJECTS = frozenset(
    {"hospital", "school", "market", "bakery", "mosque", "camp", "convoy", "residential"}
)
TARGET_BEFORE = frozenset(
    """
    on against targeting targeted at hit struck hitting striking killing killed wounding
    pounding pounded shelling shelled bombing bombed attacking attacked toward towards into
    """.split()
)
TARGET_AFTER = frozenset(
    """
    positions position targets target strongholds stronghold headquarters bases base fighters
    militants convoy convoys posts post checkpoint checkpoints members held controlled
    besieged hideouts areas area neighbourhoods neighborhoods districts territory towns
    villages enclave enclaves
    """.split()
)
#: Passive verbs whose "by X" names the perpetrator even far from the act word.
AGENT_VERBS = frozenset(
    """
    killed launched fired carried conducted committed dropped perpetrated shelled bombed
    targeted hit struck executed attacked out caused staged mounted
    """.split()
)
PREMODIFIER_GAP = frozenset(
    {"'s", "’s", "government", "air", "-", "led", "backed", "force", "forces", "and", "the"}
)
HEDGES = frozenset(
    "reportedly apparently allegedly alleged suspected purportedly unconfirmed possibly "
    "presumably likely".split()
)
HYPOTHETICAL = frozenset(
    "would could might may will if unless threatened threatens threaten plans planned plan "
    "planning intend intends vowed vows warned warns prevent avoid stop halt halted stopped "
    "reduce reduced reducing ban banned seeking seek seeks trying tried try aim aims aimed "
    "want wants wanted guise".split()
)
VERB_OF = {
    "SAY": "said",
    "ACCUSE": "accused",
    "BLAME": "blamed",
    "ACCORDING": "according to",
    "CLAIM_RESP": "claimed responsibility",
    "DENY": "denied",
}


@dataclass
class Attribution:
    actor: str
    claimed_by: str | None
    text: str
    verb: str | None
    token: int


@dataclass
class Event:
    sent: int
    start: int
    end: int
    acts: list[str]
    casualties: list[Casualty] = field(default_factory=list)
    perps: list[Attribution] = field(default_factory=list)
    targets: list[Attribution] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    place: PlaceMention | None = None
    place_inherited: bool = False
    when: When | None = None
    aggregate: bool = False
    hedged: bool = False
    evidence: list[tuple[int, int]] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)

    state_perp: bool = False  # a state (with an air force) is named as perpetrator
    claim_only: bool = False  # only a responsibility claim: merged into an incident or dropped

    @property
    def act(self) -> str:
        return resolve_act(self.acts, self.state_perp)

    def killed(self, victims: str | None = None) -> Count | None:
        """The total killed (largest non-subset figure), or the figure for one kind of victim."""
        figures = [c for c in self.casualties if c.kind == "killed"]
        if victims is not None:
            figures = [c for c in figures if c.victims == victims]
        else:
            figures = [c for c in figures if not c.subset] or figures
        if not figures:
            return None
        return max(figures, key=lambda c: c.count.point() or 0).count

    def injured(self) -> Count | None:
        figures = [c for c in self.casualties if c.kind == "injured" and not c.subset]
        if not figures:
            return None
        return max(figures, key=lambda c: c.count.point() or 0).count


def resolve_act(labels: list[str], state_perp: bool = False) -> str:
    """The act a clause names: the most specific strong act, else what weak words suggest.

    "Bombing" names an air strike when aircraft are mentioned or a state is the
    perpetrator ("regime bombing", "Russian bombing"), else an explosive attack.
    """
    strong = [lab.removeprefix("ACT_") for lab in labels if lab.startswith("ACT_")]
    weak = {lab for lab in labels if lab.startswith("WEAK_")}
    if strong:
        best = min(strong, key=ACT_PRIORITY.index)
        if "WEAK_air" in weak and best in ("missile", "shelling", "bombing"):
            return "air_strike"
        return best
    if "WEAK_air" in weak:
        return "air_strike"
    if "WEAK_bombing" in weak:
        return "air_strike" if state_perp else "bombing"
    if "WEAK_shelling" in weak:
        return "shelling"
    if "WEAK_clash" in weak:
        return "clash"
    if "WEAK_explosion" in weak:
        return "bombing"
    return "attack"


# Building -----------------------------------------------------------------------------


def _break_between(an: Analysis, start: int, end: int) -> bool:
    return any(w in CLAUSE_BREAKS for w in an.lower[start:end])


def _clusters(
    an: Analysis, triggers: list[tuple[str, int, int]]
) -> list[list[tuple[str, int, int]]]:
    clusters: list[list[tuple[str, int, int]]] = []
    for hit in triggers:
        if clusters:
            last = clusters[-1][-1]
            if hit[1] - last[2] <= 6 and not _break_between(an, last[2], hit[1]):
                clusters[-1].append(hit)
                continue
        clusters.append([hit])
    return clusters


def _distance(start: int, end: int, token: int) -> int:
    if start <= token < end:
        return 0
    return start - token if token < start else token - end + 1


def build_events(an: Analysis) -> list[Event]:
    """Candidate incidents, one per act clause (or per stray casualty figure)."""
    events: list[Event] = []
    for k in range(len(an.sents)):
        agreement_words = {i for _, s, e in an.hits_in("agr", k) for i in range(s, e)}
        triggers = [
            h for h in an.hits_in("act", k)
            if not (an.lower[h[1]] == "shot" and an.words(h[2], h[2] + 1) == ["down"])
            and h[1] not in agreement_words
        ]  # fmt: skip
        clusters = _clusters(an, triggers)
        casualties = [c for c in an.casualties if an.sent_index(c.anchor) == k]
        sent_events = [Event(k, cl[0][1], cl[-1][2], [h[0] for h in cl]) for cl in clusters]
        for cas in casualties:
            if not sent_events:
                sent_events.append(Event(k, cas.num[0], cas.anchor + 1, []))
            best = min(
                sent_events,
                key=lambda e: (
                    _distance(e.start, e.end, cas.anchor)
                    + (
                        8
                        if _break_between(an, min(e.end, cas.anchor), max(e.start, cas.anchor))
                        else 0
                    )
                ),
            )
            best.casualties.append(cas)
        air_in_sentence = any(h[0] == "WEAK_air" for h in triggers)
        for event in sent_events:
            if event.act == "attack" and air_in_sentence:
                event.acts.append("WEAK_air")
            _fill(an, event, sent_events)
        kept = [e for e in sent_events if _keep(an, e, sent_events)]
        events.extend(kept)
        if not any(e.perps for e in kept):
            claim = _responsibility_claim(an, k)
            if claim is not None:
                events.append(claim)
    return _merge(an, events)


def _responsibility_claim(an: Analysis, k: int) -> Event | None:
    """A sentence that only says who did it — "IS claimed responsibility for the attack",
    "the attack was blamed on government aircraft" — gives a perpetrator to the incident
    told just before (it is merged into it later, or dropped)."""
    sent = an.sents[k]
    actors = [m for m in an.in_sent(an.actors, k) if not m.is_source]
    for sp in an.speeches:
        if not (sent.start <= sp.start < sent.end):
            continue
        found: Attribution | None = None
        if sp.kind == "CLAIM_RESP":
            info = an.table.actors.get(sp.claimant or "")
            if info is not None and not info.is_source:
                text = sp.claimant_text or info.name
                found = Attribution(info.id, info.id, text, VERB_OF[sp.kind], sp.start)
        elif sp.kind == "BLAME":
            m = _blamed_on(an, sp.end, actors)
            if m is not None:
                found = Attribution(m.id, sp.claimant, m.text, VERB_OF[sp.kind], m.start)
        if found is not None:
            event = Event(k, sp.start, sp.end, ["WEAK_attack"], claim_only=True)
            event.perps.append(found)
            event.evidence = [(sent.start_char, sent.end_char)]
            event.sentences = [k]
            return event
    return None


def _blamed_on(an: Analysis, after: int, actors: list[ActorMention]) -> ActorMention | None:
    """The actor in "blamed (the shelling of Douma on Monday) on regime forces"."""
    sent = an.sents[an.sent_index(after)]
    for i in range(after, min(after + 14, sent.end)):
        if an.lower[i] in (";", ".") or _break_between(an, i, i + 1):
            return None
        if an.lower[i] == "on":
            named = [m for m in actors if i < m.start <= i + 3]
            if named:
                return named[0]
    return None


def _near(an: Analysis, event: Event, token: int, others: list[Event], limit: int = 12) -> bool:
    """Whether a token lies in the event's clause, closer to it than to any other event."""
    mine = _distance(event.start, event.end, token)
    if mine > limit or _break_between(an, min(event.end, token), max(event.start, token)):
        return False
    return all(o is event or _distance(o.start, o.end, token) >= mine for o in others)


def _keep(an: Analysis, event: Event, others: list[Event]) -> bool:
    """An incident needs an act and something concrete near it: casualties, an object, a
    place or a day. Hypothetical or negated acts ("would stop airstrikes") are dropped."""
    strong = any(a.startswith("ACT_") for a in event.acts)
    place = event.place
    has_place = (
        place is not None
        and not event.place_inherited
        and place.precision != "country"
        and _near(an, event, place.start, others)
    )
    when = event.when
    has_day = (
        when is not None
        and not when.running
        and when.precision in ("day", "exact")
        and _near(an, event, _token_at(an, when.span[0]), others)
    )
    evidence = bool(event.casualties) or bool(event.objects)
    if not evidence:
        clause = an.words(max(an.sents[event.sent].start, event.start - 6), event.start)
        if any(w in HYPOTHETICAL for w in clause) or "not" in clause:
            return False
    named = bool(event.perps and event.targets)  # "Russian jets pound rebel areas"
    if strong:
        return evidence or has_place or has_day or named
    return named or (evidence and (bool(event.casualties) or has_place or bool(event.perps)))


def _token_at(an: Analysis, char: int) -> int:
    span = an.doc.char_span(char, char + 1, alignment_mode="expand")
    return span.start if span is not None else 0


def _actor_is_area(an: Analysis, m: ActorMention) -> bool:
    """`rebel-held`, `regime-controlled`: the actor names who holds a place."""
    after = an.words(m.end, m.end + 2)
    return len(after) == 2 and after[0] == "-" and after[1] in ("held", "controlled", "besieged")


def _fill(an: Analysis, event: Event, others: list[Event]) -> None:
    doc = an.doc
    sent = an.sents[event.sent]
    a, b = event.start, event.end
    actors = [m for m in an.in_sent(an.actors, event.sent) if not m.is_source]
    used: set[int] = set()
    # victims first: "IS fighters were killed", "losses among X", "35 X jihadists" name who
    # was hit, never who acted
    for m in actors:
        if _victim_frame(an, m, sent.start, sent.end) and _same_clause(an, event, m):
            event.targets.append(Attribution(m.id, None, m.text, None, m.start))
            used.add(m.start)
    # targets next, so an actor after "on"/"against" is not read as the perpetrator
    for m in actors:
        if m.start in used:
            continue
        if m.start < b or m.start - b > 12 or _break_between(an, b, m.start):
            if not (_actor_is_area(an, m) and b <= m.start <= b + 12):
                continue
        before = an.words(m.start - 3, m.start)
        after = an.words(m.end, m.end + 2)
        agent_before = bool(set(before[-2:]) & {"by", "from"})  # "shelling by X"
        if (
            (any(w in TARGET_BEFORE for w in before) and not agent_before)
            or any(w in TARGET_AFTER for w in after)
            or _actor_is_area(an, m)
        ):
            event.targets.append(Attribution(m.id, None, m.text, None, m.start))
            used.add(m.start)
    perps: list[tuple[ActorMention | None, str, str, int]] = []  # (mention, id, text, token)
    trigger_starts = sorted({a, *(s for s in _trigger_starts(an, event))})
    for t in trigger_starts:
        # premodifier: "government airstrikes", "IS suicide bomber", and act words
        # inside an actor's name: "Russian jets", "Assad's air force"
        for m in actors:
            if m.start in used or _actor_is_area(an, m):
                continue
            inside = m.start <= t < m.end
            if (
                inside
                or m.end <= t
                and t - m.end <= 2
                and all(w in PREMODIFIER_GAP for w in an.words(m.end, t))
            ):
                perps.append((m, m.id, m.text, m.start))
                used.add(m.start)
        if t > 0:
            word = doc[t - 1].lower_ if doc[t - 1].text not in ("US", "U.S.") else "us"
            ident = an.table.adjectives.get(word)
            if (
                ident
                and word in an.gaz.country_names
                and an.words(t - 2, t - 1)[:1]
                and (an.words(t - 2, t - 1)[0] in PLACE_BEFORE)
            ):
                ident = None  # "in the central <country> attack": a place, not the state
            if ident and not any(m.start <= t - 1 < m.end for m in actors):
                perps.append((None, ident, doc[t - 1].text, t - 1))
    # agent: "launched by Jabhat al-Nusra", "killed by regime forces", "fire from rebels",
    # "an attack ... which the US says came from Assad's forces"
    first_anchor = min([a, *(c.anchor for c in event.casualties)])
    for i in range(first_anchor, min(b + 20, sent.end)):
        word = an.lower[i]
        if word not in ("by", "from") or _break_between(an, min(b, i), i):
            continue
        passive = an.lower[i - 1] in AGENT_VERBS if i > 0 else False
        if word == "from" and i - b > 2 and not (i > 0 and an.lower[i - 1] == "came"):
            continue
        if i - b > 12 and not passive and an.lower[i - 1] != "came":
            continue
        for m in actors:
            if i < m.start <= i + 3 and m.start not in used and not _actor_is_area(an, m):
                perps.append((m, m.id, m.text, m.start))
                used.add(m.start)
    # subject: "regime forces shelled ...", "IS fighters attacked ...", and the first actor
    # of the sentence when only its own apposition stands between it and the act
    if not perps:
        speech_words = {"said", "says", "reported", "told", "claimed", "added", "announced"}
        for n, m in enumerate(actors):
            if m.start in used or _actor_is_area(an, m) or m.end > a:
                continue
            if _break_between(an, m.end, a):
                continue
            between = an.words(m.end, a)
            if any(w in speech_words for w in between) or any(
                w in ("on", "against", "by", "targeting") for w in between
            ):
                continue
            first = n == 0 and not any(
                w in ("on", "against", "of", "targeting", "with", "to")
                for w in an.words(m.start - 2, m.start)
            )
            if (a - m.end <= 8 and "," not in between) or (first and a - m.end <= 25):
                perps.append((m, m.id, m.text, m.start))
                used.add(m.start)
                break
        # "it had carried out air strikes": the speaker is the subject
        for i in range(max(sent.start, a - 5), a):
            if doc[i].lower_ in ("it", "they") and not perps:
                speech = an.governing_speech(i)
                if (
                    speech
                    and speech.claimant
                    and an.table.actors.get(speech.claimant, None) is not None
                    and not an.table.actors[speech.claimant].is_source
                ):
                    perps.append((None, speech.claimant, doc[i].text, i))
    # "X were killed in clashes with Y", "X killed fighting Y": Y did the killing
    victims = {
        m.start for m in actors if m.start in used and _victim_frame(an, m, sent.start, sent.end)
    }
    if not perps and victims:
        for i in range(a, min(b + 6, sent.end)):
            if an.lower[i] not in ("with", "against", "fighting", "by") or _break_between(an, a, i):
                continue
            named = [
                m for m in actors
                if i < m.start <= i + 3 and m.start not in victims and not _actor_is_area(an, m)
            ]  # fmt: skip
            if named:
                m = named[0]
                perps.append((m, m.id, m.text, m.start))
                used.add(m.start)
                break
    # responsibility claims, blame and accusations in the sentence
    for sp in an.speeches:
        if not (sent.start <= sp.start < sent.end):
            continue
        if sp.kind == "CLAIM_RESP" and sp.claimant:
            info = an.table.actors.get(sp.claimant)
            if info and not info.is_source:
                event.perps.append(
                    Attribution(
                        sp.claimant, sp.claimant, sp.claimant_text or "", VERB_OF[sp.kind], sp.start
                    )
                )
        if sp.kind in ("BLAME", "ACCUSE"):
            blamed = _blamed_on(an, sp.end, actors) if sp.kind == "BLAME" else None
            for m in actors:
                if m.start in used:
                    continue
                direct = not sp.passive and sp.end <= m.start <= sp.end + 1
                if m is blamed or direct:
                    event.perps.append(
                        Attribution(m.id, sp.claimant, m.text, VERB_OF[sp.kind], m.start)
                    )
                    used.add(m.start)
    for _, ident, text, token in perps:
        claimant, verb = _claim_for(an, token, event)
        event.perps.append(Attribution(ident, claimant, text, verb, token))
    event.perps = _unique(event.perps)
    event.state_perp = any(
        an.table.cls(p.actor) in ("government", "coalition", "turkey", "other") for p in event.perps
    )
    event.targets = _unique(
        [t for t in event.targets if t.actor not in {p.actor for p in event.perps}]
    )
    # objects
    for label, s, e in an.hits_in("obj", event.sent):
        if s < a - 10 or s > b + 14 or _break_between(an, min(b, s), max(a, s)):
            continue
        mine = _distance(a, b, s)
        if any(o is not event and _distance(o.start, o.end, s) < mine for o in others):
            continue
        kind = label.removeprefix("OBJ_")
        event.objects.append(
            {
                "type": kind,
                "text": doc[s:e].text,
                "of": _owner(an, s, actors),
                "evidence": list(an.char_span(s, e)),
            }
        )
    civilian_victims = any(c.victims in ("civilians", "civilian") for c in event.casualties)
    if civilian_victims or any(o["type"] in CIVILIAN_OBJECTS for o in event.objects):
        event.targets.append(Attribution(CIVILIANS, None, "civilians", None, a))
    # place
    places = an.in_sent(an.places, event.sent)
    if places:
        specific = [p for p in places if p.precision != "country"] or places

        def score(p: PlaceMention) -> int:
            d = _distance(a, b, p.start)
            return (
                d
                + (6 if p.start < a else 0)
                + (10 if _break_between(an, min(b, p.start), max(a, p.start)) else 0)
            )

        event.place = min(specific, key=score)
    # time
    times = [
        w for w in an.times_in(event.sent) if not (w.precision == "exact" and w.start > _noon(an))
    ]
    if times:
        anchor_char = doc[a].idx
        event.when = min(times, key=lambda w: abs(w.span[0] - anchor_char))
        running = [w for w in times if w.running]
        if running and event.casualties:
            anchor = doc[event.casualties[0].anchor].idx
            event.when = min(running, key=lambda w: abs(w.span[0] - anchor))
    # aggregate: a count over a span of time ("in the past week", "since", "so far")
    if event.when is not None and event.when.running and event.casualties:
        event.aggregate = True
    sentence_words = set(an.lower[sent.start : sent.end])
    if event.casualties and ("so" in sentence_words and "far" in sentence_words):
        event.aggregate = True
    event.hedged = bool(sentence_words & HEDGES)
    event.evidence = [(sent.start_char, sent.end_char)]
    event.sentences = [event.sent]


#: Words before the country's name used as an adjective ("<country> air strikes") that
#: make it the place, not the state ("in central <country> attack").
PLACE_BEFORE = frozenset(
    "in on at near across of from into inside central northern southern eastern western "
    "north south east west northeast northwest southeast southwest northeastern northwestern "
    "southeastern southwestern".split()
)
#: Nouns of people or losses whose "of X" / "from X" / "among X" names the side that lost.
VICTIM_HEADS = frozenset(
    """
    members member fighters fighter soldiers soldier troops elements militants militant
    personnel officers officer commanders commander leaders leader losses casualties bodies
    corpses ranks dozens scores tens hundreds number jihadists jihadist gunmen men militiamen
    recruits conscripts dead deaths toll
    """.split()
)
#: Words of loss after an actor ("IS fighters were killed", "regime losses").
LOSS_AFTER = frozenset(
    "killed died dead wounded injured captured losses casualties perished slain".split()
)
LOSS_GAP = frozenset(
    """
    fighters fighter soldiers soldier troops militants militant members jihadists jihadist
    gunmen rebels insurgents personnel officers elements were was are is have has had been
    being reportedly also all
    """.split()
)
BOMBER_NOUNS = frozenset("bombers bomber attackers attacker gunmen snipers sniper".split())
#: Words that may stand between a number and the side it counts ("21 moderate opposition").
COUNT_GAP = frozenset("of the at least more than about other some around nearly almost".split())


def _victim_frame(an: Analysis, m: ActorMention, start: int, end: int) -> bool:
    """Whether the words around an actor name it as hit or losing, not acting: "members of
    X", "losses among X", "35 X jihadists", "X fighters were killed" (not "X killed 5")."""
    j = m.start - 1
    while j >= start and an.lower[j] == "the":
        j -= 1
    before = an.lower[j] if j >= start else ""
    if before == "among":
        return True
    if before in ("of", "from"):
        k = j - 1
        while k >= start and an.lower[k] in ("the", "'s"):
            k -= 1
        jet = k > start and an.lower[k - 1] in ("jet", "fighter")  # "jet fighters from X"
        if k >= start and an.lower[k] in VICTIM_HEADS and not jet:
            return True
    # a loss after it: "X (fighters) (were) killed", "6 IS bombers killed", without an
    # object ("X killed 5")
    i = m.end
    while (
        i < end
        and i - m.end <= 3
        and (
            an.lower[i] in LOSS_GAP
            or an.lower[i] in BOMBER_NOUNS
            or an.lower[i] in an.table.agent_nouns
        )
    ):
        i += 1
    if i < end and an.lower[i] in LOSS_AFTER:
        nxt = an.doc[i + 1] if i + 1 < end else None
        if an.lower[i] in ("killed", "wounded", "injured", "captured") and nxt is not None and (
            nxt.like_num or nxt.lower_ in ("at", "dozens", "scores", "hundreds", "civilians",
                                           "people", "children", "a", "an", "several")
        ):  # fmt: skip
            return False
        return True
    names_act = any(s == m.end for _, s, _ in an.hits.get("act", []))  # "two IS bombers"
    nxt_word = an.lower[m.end] if m.end < end else ""
    if names_act or nxt_word in an.table.agent_nouns:
        return False
    # a count before the actor: "35 IS jihadists", "dozens of regime soldiers"
    k = m.start - 1
    gap = 0
    while k >= start and gap <= 3:
        token = an.doc[k]
        if token.like_num:
            return _people_count(an, k)
        word = an.lower[k]
        if word in COUNT_GAP or (
            token.is_alpha and token.is_lower and word not in VICTIM_STOP_WORDS
        ):
            k -= 1
            gap += 1
            continue
        break
    return False


#: Words that end a counted noun phrase (a verb or preposition between number and actor).
VICTIM_STOP_WORDS = frozenset(
    """
    in on at by from to for with and or were was are is have has had been be killed wounded
    injured dead died including among while when after before as during into kill kills
    killing shelling bombing attack attacks strikes raids said says
    """.split()
)


_MONTHS = frozenset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june "
    "july august september october november december".split()
)


def _people_count(an: Analysis, k: int) -> bool:
    """A number that counts people, not a year or a date ("2016 army units kill ...")."""
    text = an.doc[k].text.replace(",", "")
    if not text.isalpha() and not text.isdigit():
        return False  # "03-04-2016", "12/10"
    if text.isdigit() and len(text) == 4 and text.startswith(("19", "20")):
        return False
    prev = an.lower[k - 1].rstrip(".") if k > 0 else ""
    return prev not in _MONTHS


def _same_clause(an: Analysis, event: Event, m: ActorMention) -> bool:
    """An actor within the event's clause (no clause break between, not far off)."""
    lo, hi = min(event.start, m.start), max(event.end, m.end)
    return hi - lo <= 25 and not _break_between(an, lo, hi)


def _noon(an: Analysis) -> dt.datetime:
    """Announced times after the publication day are terms, not incidents."""
    d = an.published + dt.timedelta(days=1)
    return dt.datetime(d.year, d.month, d.day, tzinfo=an.tz)


def _trigger_starts(an: Analysis, event: Event) -> list[int]:
    return [s for _, s, e in an.hits_in("act", event.sent) if event.start <= s < event.end]


def _owner(an: Analysis, token: int, actors: list[ActorMention]) -> str | None:
    """Whose object: "its consulate", "the Russian consulate", "Russia's embassy"."""
    doc = an.doc
    prev = doc[token - 1].lower_ if token > 0 else ""
    if prev in ("its", "their"):
        earlier = [m for m in actors if m.end <= token]
        return earlier[-1].id if earlier else None
    for m in actors:
        if (
            m.end <= token
            and token - m.end <= 2
            and all(w in ("'s", "’s", "the") for w in an.words(m.end, token))
        ):
            return m.id
    return an.table.adjectives.get(prev) or None


def _claim_for(an: Analysis, token: int, event: Event) -> tuple[str | None, str | None]:
    """Who attributes the act to the actor at `token`, and with which verb."""
    sent = an.sents[event.sent]
    for sp in an.speeches:
        if sent.start <= sp.start < sent.end and sp.kind == "BLAME" and sp.passive:
            if token < sp.start and sp.start - token <= 6:
                return None, "blamed"
    speech = an.governing_speech(token)
    if speech is None:
        return None, None
    return speech.claimant, VERB_OF[speech.kind]


def _unique(items: list[Attribution]) -> list[Attribution]:
    seen: set[tuple[str, str | None]] = set()
    out = []
    for item in items:
        key = (item.actor, item.claimed_by)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _family(act: str) -> str:
    if act in ("air_strike", "drone_strike", "missile", "shelling", "mortar"):
        return "fire"
    if act in ("bombing", "suicide_bombing"):
        return "explosive"
    return act


def _compatible(a: Event, b: Event, lead: bool = False) -> bool:
    """Whether two candidate incidents can be one (a headline and its lead, a report and
    its details). `lead`: `a` is the article's first incident, whose total may be told
    in parts later on."""
    if a.aggregate or b.aggregate:
        return False
    pa = {p.actor for p in a.perps}
    pb = {p.actor for p in b.perps}
    if pa and pb and not pa & pb:
        return False
    if b.claim_only:
        return True
    ka, kb = a.killed(), b.killed()
    same_figure = _same_figure(a, b)
    if a.act != "attack" and b.act != "attack" and a.act != b.act:
        family = _family(a.act) == _family(b.act)
        # one volley told two ways ("rockets" and "shells"; "bombing" and "air strikes")
        if not (family and (same_figure or a.sent == b.sent)):
            return False
    if a.place and b.place and not (a.place_inherited or b.place_inherited):
        pa_, pb_ = a.place.place, b.place.place
        if pa_.admin1 and pb_.admin1 and pa_.admin1 != pb_.admin1:
            return False
        broad = {"governorate", "country", "region", "area", "city"}
        if pa_.id != pb_.id and a.place.precision not in broad and b.place.precision not in broad:
            return False
    if ka is not None and kb is not None and not same_figure:
        part = lead and (kb.point() or 0) <= (ka.high if ka.high is not None else ka.point() or 0)
        if not part:
            return False
    if a.when and b.when and a.sent != b.sent and not (a.when.running or b.when.running):
        if a.when.start != b.when.start:
            return False
    return True


def _same_figure(a: Event, b: Event) -> bool:
    """Whether the two give the same death toll (one figure in common, or overlapping)."""
    ka, kb = a.killed(), b.killed()
    if ka is None or kb is None:
        return False
    figures_a = {c.count.point() for c in a.casualties if c.kind == "killed"}
    figures_b = {c.count.point() for c in b.casualties if c.kind == "killed"}
    if figures_a & figures_b:
        return True
    ha = ka.high if ka.high is not None else 10**9
    hb = kb.high if kb.high is not None else 10**9
    return (ka.low or 0) <= (kb.point() or 0) <= ha or (kb.low or 0) <= (ka.point() or 0) <= hb


def _absorb(a: Event, b: Event) -> None:
    a.acts.extend(x for x in b.acts if x.startswith("ACT_") or a.act == "attack")
    if a.killed() is None:
        a.casualties.extend(b.casualties)
    else:
        a.casualties.extend(c for c in b.casualties if c.kind == "injured" and a.injured() is None)
        a.casualties.extend(c for c in b.casualties if c.subset and c.victims)
    a.perps = _unique(a.perps + b.perps)
    a.targets = _unique(a.targets + b.targets)
    a.objects.extend(o for o in b.objects if o["type"] not in {x["type"] for x in a.objects})
    if b.place and (a.place is None or (a.place_inherited and not b.place_inherited)):
        a.place, a.place_inherited = b.place, b.place_inherited
    elif (
        b.place and a.place and not b.place_inherited
        and a.place.place.admin1 == b.place.place.admin1
        and _rank(b.place) < _rank(a.place)
    ):  # fmt: skip
        a.place = b.place
    if a.when is None:
        a.when = b.when
    a.hedged = a.hedged and b.hedged
    a.evidence.extend(x for x in b.evidence if x not in a.evidence)
    a.sentences.extend(b.sentences)


def _rank(p: PlaceMention) -> int:
    order = ("neighbourhood", "village", "camp", "town", "city", "area", "region", "governorate")
    return order.index(p.precision) if p.precision in order else len(order)


def _merge(an: Analysis, events: list[Event]) -> list[Event]:
    """Give places to events that lack one, then merge repeats of one incident."""
    last_place: PlaceMention | None = None
    first_place = next((p for p in an.places if p.precision != "country"), None)
    country = next((p for p in an.places if p.precision == "country"), None)
    by_sent: dict[int, list[PlaceMention]] = {}
    for p in an.places:
        by_sent.setdefault(an.sent_index(p.start), []).append(p)
    for event in events:
        if event.place is not None and event.place.precision != "country":
            continue
        found = None
        for k in range(event.sent - 1, max(-1, event.sent - 4), -1):
            specific = [p for p in by_sent.get(k, []) if p.precision != "country"]
            if specific:
                found = specific[-1]
                break
        found = found or last_place or first_place
        if found is not None:
            event.place, event.place_inherited = found, True
        elif event.place is None and country is not None:
            event.place, event.place_inherited = country, False
        if event.place is not None and event.place.precision != "country":
            last_place = event.place
    merged: list[Event] = []
    for event in events:
        target = None
        for previous in reversed(merged):
            lead = previous is merged[0] and previous.sent <= 2 and event.sent <= 10
            if event.sent - previous.sentences[-1] > 5 and not lead:
                continue
            if _compatible(previous, event, lead=lead):
                target = previous
                break
        if target is None:
            if not event.claim_only:
                merged.append(event)
        else:
            _absorb(target, event)
    for event in merged:
        killed = event.killed()
        if killed is not None and (killed.low or 0) >= 1000 and not _has_day(event):
            event.aggregate = True  # thousands dead with no day given: a running total
    return merged


def _has_day(event: Event) -> bool:
    return event.when is not None and event.when.precision in ("day", "exact")


# Output -------------------------------------------------------------------------------


def _place_dict(event: Event, gaz: Gazetteer) -> dict[str, Any]:
    mention = event.place
    if mention is None:
        if gaz.country is None:
            raise ValueError("the region's gazetteer has no country place")
        country = gaz.country
        place, precision, radius, text = country, "country", country.radius_km, None
    else:
        place, precision, radius, text = (
            mention.place, mention.precision, mention.radius_km, mention.text,
        )  # fmt: skip
    out: dict[str, Any] = {
        "name": place.name,
        "lon": round(place.lon, 5),
        "lat": round(place.lat, 5),
        "precision": precision,
        "radius_km": round(radius, 1),
        "admin1": place.admin1 or None,
        "governorate": gaz.governorate_name(place.admin1),
        "gazetteer_id": place.id,
        "text": text,
        "inherited": event.place_inherited or mention is None,
    }
    if precision in ("governorate", "country"):
        out["area"] = place.id
    return out


def _time_dict(an: Analysis, event: Event) -> dict[str, Any]:
    """The incident's time in UTC (and locally). With no time in the text: the day before
    publication and the publication day (`stated: false`), as news reports recent events."""
    if event.when is not None:
        start, end, precision, text = (
            event.when.start, event.when.end, event.when.precision, event.when.text,
        )  # fmt: skip
        stated = True
    else:
        before = an.published - dt.timedelta(days=1)
        after = an.published + dt.timedelta(days=1)
        start = dt.datetime(before.year, before.month, before.day, tzinfo=an.tz)
        end = dt.datetime(after.year, after.month, after.day, tzinfo=an.tz)
        precision, text, stated = "days", None, False
    if end <= start:
        end = start + dt.timedelta(minutes=1) if precision == "exact" else end
    return {
        "start": utc_iso(start),
        "end": utc_iso(end),
        "timezone": "UTC",
        "precision": precision,
        "local": {
            "start": start.isoformat(timespec="minutes"),
            "end": end.isoformat(timespec="minutes"),
            "timezone": an.tz.key,
        },
        "text": text,
        "stated": stated,
    }


def _count_dict(count: Count | None) -> dict[str, int | None]:
    """`{low, high}`, with `best` only when the text gives one figure (the incident reader
    then takes `low` as the best estimate: "at least 50" counts as 50)."""
    if count is None:
        return {"low": None, "high": None}
    out = count.as_dict()
    if out["best"] is None:
        del out["best"]
    return out


def _confidence(event: Event) -> float:
    score = 0.35
    if any(a.startswith("ACT_") for a in event.acts):
        score += 0.15
    if event.perps:
        score += 0.1
    if event.place is not None and not event.place_inherited and event.place.precision != "country":
        score += 0.1
    if event.when is not None:
        score += 0.1
    if event.casualties:
        score += 0.1
    if event.objects:
        score += 0.05
    if event.hedged:
        score -= 0.1
    if event.place_inherited:
        score -= 0.05
    return round(min(0.95, max(0.1, score)), 2)


def incident_dicts(
    an: Analysis, events: list[Event], source: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Native incident records and the attribution claims they carry."""
    incidents: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    for n, event in enumerate(events, start=1):
        ident = f"{source}-{n}"
        act = event.act
        total = event.killed()
        perpetrators = [
            {"actor": p.actor, "claimed_by": p.claimed_by, "text": p.text, "verb": p.verb}
            for p in event.perps
        ]
        record: dict[str, Any] = {
            "id": ident,
            "time": _time_dict(an, event),
            "place": _place_dict(event, an.gaz),
            "act": act,
            "acled_sub_event_type": ACLED_SUB_EVENT.get(act, "Attack"),
            "perpetrators": perpetrators,
            "targets": [{"actor": t.actor, "claimed_by": t.claimed_by} for t in event.targets],
            "objects": event.objects,
            "killed": _count_dict(total),
            "injured": _count_dict(event.injured()),
            "civilians_killed": _count_dict(civilians_killed(event)),
            "aggregate": event.aggregate,
            "evidence": [list(x) for x in event.evidence],
            "confidence": _confidence(event),
            "quote": an.doc.text[event.evidence[0][0] : event.evidence[0][1]].strip(),
        }
        incidents.append(record)
        for p in event.perps:
            if p.claimed_by is None and p.verb is None:
                continue
            speaker = an.table.actors.get(p.claimed_by or "")
            claims.append(
                {
                    "id": f"{ident}-c{len(claims) + 1}",
                    "by": p.claimed_by,
                    "by_name": speaker.name if speaker else None,
                    "verb": p.verb,
                    "about": p.actor,
                    "role": "perpetrator",
                    "incident": ident,
                    "statement": f"{p.actor} carried out the {act.replace('_', ' ')}",
                    "evidence": [list(event.evidence[0])],
                }
            )
    return incidents, claims


def civilians_killed(event: Event) -> Count | None:
    """Civilian deaths: the figure given for "civilians"; else the total when the dead are
    "people" (or children, women...) and no fighters are counted among them; else the
    figure for children, women and the like."""
    killed = [c for c in event.casualties if c.kind == "killed"]
    explicit = [c for c in killed if c.victims == "civilians"]
    if explicit:
        return max(explicit, key=lambda c: c.count.point() or 0).count
    total = event.killed()
    fighters = any(c.victims == "combatant" for c in killed)
    main = [c for c in killed if not c.subset and c.count == total]
    if (
        total is not None
        and not fighters
        and all(c.victims in ("people", None, "civilian") for c in main)
    ):
        return total
    kinds = [c for c in killed if c.victims == "civilian"]
    if kinds:
        return max(kinds, key=lambda c: c.count.point() or 0).count
    return None


def accusation_claims(an: Analysis, taken: set[int]) -> list[dict[str, Any]]:
    """Accusations that name no single incident ("X accused Y of violations")."""
    claims: list[dict[str, Any]] = []
    for sp in an.speeches:
        if sp.kind != "ACCUSE" or sp.start in taken:
            continue
        k = an.sent_index(sp.start)
        sent = an.sents[k]
        actors = [m for m in an.in_sent(an.actors, k) if not m.is_source]
        targets: list[str] = []
        speakers: list[str | None] = [sp.claimant]
        if sp.passive:
            before = [m for m in actors if m.end <= sp.start]
            targets = [before[-1].id] if before else []
            speakers = [None]
        else:
            after = an.words(sp.end, sp.end + 2)
            if after == ["each", "other"]:
                subjects = [m.id for m in actors if m.end <= sp.start]
                pairs = [(x, y) for x in subjects for y in subjects if x != y]
                for x, y in pairs:
                    claims.append(_accusation(an, sp, x, y, sent))
                continue
            nxt = [m for m in actors if sp.end <= m.start <= sp.end + 2]
            targets = [nxt[0].id] if nxt else []
        for speaker in speakers:
            for target in targets:
                claims.append(_accusation(an, sp, speaker, target, sent))
    return claims


def _accusation(an: Analysis, sp: Any, by: str | None, about: str, sent: Any) -> dict[str, Any]:
    speaker = an.table.actors.get(by or "")
    tail = an.doc[sp.end : sent.end].text.strip()
    return {
        "id": "",
        "by": by,
        "by_name": speaker.name if speaker else None,
        "verb": "accused",
        "about": about,
        "role": "accused",
        "incident": None,
        "statement": tail[:200],
        "evidence": [[sent.start_char, sent.end_char]],
    }


__all__ = ["Event", "accusation_claims", "build_events", "civilians_killed", "incident_dicts"]
