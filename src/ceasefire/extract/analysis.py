"""One analysed article: sentences, resolved actors and places, rule matches, times.

Everything the incident and agreement builders share is computed here once:
entity mentions (with places resolved in context), Matcher hits grouped by
label, casualty figures, time expressions per sentence, and who is speaking
where (claimants).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from spacy.tokens import Doc, Span

from ceasefire.extract.dates import When, find_times
from ceasefire.extract.numbers import Count, parse_count
from ceasefire.extract.pipeline import Rules
from ceasefire.extract.resources import ActorTable, Gazetteer, Place
from ceasefire.regions import Region

#: Words after a place name that make it the governorate ("Aleppo province").
GOVERNORATE_AFTER = frozenset({"province", "governorate", "countryside", "provinces", "region"})
#: Words before a place name that make it the governorate ("the countryside of Aleppo").
GOVERNORATE_BEFORE = ("province of", "governorate of", "countryside of", "rural", "provinces of")
NEAR_BEFORE = ("outskirts of", "suburbs of", "near", "outside", "around", "edge of", "west of",
               "east of", "north of", "south of", "northwest of", "northeast of",
               "southwest of", "southeast of", "outside of", "vicinity of")  # fmt: skip
PRONOUNS = frozenset({"it", "he", "she", "they", "who", "which", "we"})
#: Words around a capital that make it its government ("Damascus says", "helped Damascus").
METONYM_AFTER = frozenset(
    """
    says said say promise promises promised accused accuses accuse denied denies deny ally
    allies agreed agrees wants wanted regained regain regime government authorities officials
    insists insisted claims claimed announced announces blamed blames rejected rejects
    """.split()
)
METONYM_BEFORE = frozenset(
    "helped helping its backing backs supporting support allies ally".split()
)
#: Articles that continue a name ("Khan al-Assal"): a one-word name before them is a part.
FRAGMENT_ARTICLES = frozenset("al el ash as ar ad at az an ath".split())
#: Words before a one-word minor name that make it a place ("in Sarmin", "the town of Hayyan").
PLACE_WORDS = frozenset(
    """
    in at near of from to outside around into towards toward on targeting targeted hit struck
    town village city district neighbourhood neighborhood area suburb countryside outskirts
    """.split()
)
#: Nouns after a name that make it a place ("Madaya town", "Zamalka residents").
PLACE_NOUNS = frozenset(
    "town village city district neighbourhood neighborhood area suburb countryside residents "
    "camp outskirts".split()
)
#: Words allowed between a speaker and its verb ("a State Department official said").
SPEAKER_FILLERS = frozenset(
    """
    official officials spokesman spokeswoman spokesperson source sources minister ministry
    foreign defense defence interior
    statement 's ’s a an the senior also has have had initially later reportedly earlier
    previously repeatedly publicly head director chief commander envoy representative
    agency group media monitor itself ambassador , in its his her their on friday saturday
    sunday monday tuesday wednesday thursday today yesterday
    """.split()
)
GENERIC_SPEAKERS = frozenset(
    """
    activists witnesses residents medics doctors sources officials source witness resident
    activist doctor medic rescuers paramedics locals monitors
    """.split()
)
#: Words that end a clause for the purposes of attaching words to an act.
CLAUSE_BREAKS = frozenset({";", "while", "whereas", "but", "although", "though", "meanwhile",
                           "—", "–", ":", "(", ")"})  # fmt: skip
#: Tokens after a number that show it is not a count of people.
NOT_PEOPLE_AFTER = frozenset(
    """
    hours hour days day years year months month weeks week km kilometres kilometers miles mile
    metres meters percent % times am pm a.m. p.m. gmt mm kg tons tonnes dollars million billion
    housing homes houses buildings rockets missiles shells mortars strikes raids airstrikes
    barrel bombs trucks vehicles tanks planes aircraft jets sorties targets positions villages
    towns cities neighbourhoods neighborhoods points square hectares families groups factions
    brigades bodies-
    """.split()
)


#: Victim words to the kind of victim: "civilians" itself, other civilians (children,
#: women, residents...), combatants, or just "people".
VICTIM_KIND = {
    "VICTIM_CIVILIANS": "civilians",
    "VICTIM_CIV": "civilian",
    "VICTIM_MIL": "combatant",
    "VICTIM_ANY": "people",
}


#: Casualty verbs whose count follows them ("kills 16", "killing at least 50").
ACTIVE_VERBS = frozenset(
    """
    kill kills killing execute executes executing behead beheads beheading crucifies crucify
    wounding injuring injure injures wound left leaving claimed claiming slaughtered
    """.split()
)
#: Past forms: the count comes before ("50 were killed") or after ("killed 84 people").
PAST_VERBS = frozenset(
    "killed executed wounded injured beheaded crucified massacred murdered lives".split()
)
#: Words that end the noun phrase after a number: the victim word must come before them.
VICTIM_STOP = frozenset(
    """
    in on at by from to for with and or were was are is have has had been be killed
    wounded injured dead died including among while when after before as during into
    """.split()
)


M = TypeVar("M", "ActorMention", "PlaceMention")


@dataclass(frozen=True)
class ActorMention:
    start: int  # token index
    end: int
    id: str
    text: str
    is_source: bool


@dataclass(frozen=True)
class PlaceMention:
    start: int
    end: int
    text: str
    place: Place
    precision: str  # neighbourhood, village, town, city, region, governorate, country, area
    radius_km: float


@dataclass(frozen=True)
class Casualty:
    kind: str  # killed, injured
    count: Count
    victims: str | None  # civilians, civilian (children, women...), combatant, people
    num: tuple[int, int]  # token span of the number
    anchor: int  # token index of the verb
    subset: bool  # "including five children": part of a total given beside it


@dataclass(frozen=True)
class Speech:
    kind: str  # SAY, ACCUSE, BLAME, ACCORDING, CLAIM_RESP, DENY
    start: int
    end: int
    claimant: str | None  # actor or source id
    claimant_text: str | None
    passive: bool  # "were blamed", "was accused": nobody named


def _pick(
    hits: list[tuple[str, int, int]], strong_first: bool = False
) -> list[tuple[str, int, int]]:
    """Non-overlapping hits, longest first (strong labels before weak ones on ties)."""

    def key(hit: tuple[str, int, int]) -> tuple[int, int, int]:
        label, s, e = hit
        weak = 1 if strong_first and label.startswith("WEAK") else 0
        return (weak, -(e - s), s)

    chosen: list[tuple[str, int, int]] = []
    taken: set[int] = set()
    for hit in sorted(hits, key=key):
        _, s, e = hit
        if any(i in taken for i in range(s, e)):
            continue
        chosen.append(hit)
        taken.update(range(s, e))
    return sorted(chosen, key=lambda h: h[1])


@dataclass
class Analysis:
    """A parsed article and everything the builders need from it."""

    doc: Doc
    rules: Rules
    table: ActorTable
    gaz: Gazetteer
    published: dt.date
    tz: ZoneInfo
    region: Region | None = None  # whose conflict "since the war began" means
    sents: list[Span] = field(default_factory=list)
    sent_starts: list[int] = field(default_factory=list)
    actors: list[ActorMention] = field(default_factory=list)
    places: list[PlaceMention] = field(default_factory=list)
    hits: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    casualties: list[Casualty] = field(default_factory=list)
    speeches: list[Speech] = field(default_factory=list)
    times: dict[int, list[When]] = field(default_factory=dict)
    context_admin1: set[str] = field(default_factory=set)
    _placed: set[str] | None = None
    lower: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lower = [t.lower_ for t in self.doc]
        self.sents = list(self.doc.sents)
        self.sent_starts = [s.start for s in self.sents]
        self._entities()
        self._matches()
        self._casualties()
        self._speeches()

    # --- positions ---------------------------------------------------------------------

    def sent_index(self, token: int) -> int:
        return bisect.bisect_right(self.sent_starts, token) - 1

    def in_sent(self, items: list[M], k: int) -> list[M]:
        """Items (with .start) that lie in sentence k."""
        s = self.sents[k]
        return [x for x in items if s.start <= x.start < s.end]

    def hits_in(self, group: str, k: int) -> list[tuple[str, int, int]]:
        s = self.sents[k]
        return [h for h in self.hits.get(group, []) if s.start <= h[1] < s.end]

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        span = self.doc[start:end]
        return span.start_char, span.end_char

    def words(self, start: int, end: int) -> list[str]:
        return self.lower[max(0, start) : max(0, end)]

    def times_in(self, k: int, future: bool = False) -> list[When]:
        key = k * 2 + int(future)
        if key not in self.times:
            s = self.sents[k]
            self.times[key] = find_times(
                s.text,
                self.published,
                self.tz,
                offset=s.start_char,
                future=future,
                region=self.region,
            )
        return self.times[key]

    # --- entities ----------------------------------------------------------------------

    def _entities(self) -> None:
        pending: list[tuple[Span, list[Place]]] = []
        for ent in self.doc.ents:
            if ent.label_ == "ACTOR":
                info = self.table.actors.get(ent.ent_id_)
                self.actors.append(
                    ActorMention(
                        ent.start, ent.end, ent.ent_id_, ent.text, bool(info and info.is_source)
                    )
                )
            elif ent.label_ == "PLACE":
                if not _capitalised(ent):
                    continue
                nxt = self.doc[ent.end].text if ent.end < len(self.doc) else ""
                if nxt == "-" and ent.end + 1 < len(self.doc):
                    if self.doc[ent.end + 1].lower_ in ("based", "born"):
                        continue
                candidates = self.gaz.candidates(ent.text)
                if not candidates or self._dateline(ent) or self._metonym(ent, candidates):
                    continue
                if self._fragment(ent, candidates):
                    continue
                pending.append((ent, candidates))
        for _, candidates in pending:
            top = candidates[0]
            if top.rank <= 3 or top.population or top.kind in ("governorate", "region"):
                self.context_admin1.add(top.admin1)
        for ent, candidates in pending:
            mention = self._resolve_place(ent, candidates)
            if mention is not None:
                self.places.append(mention)

    def _dateline(self, ent: Span) -> bool:
        """ "DAMASCUS —", "BEIRUT (Reuters) -", "AMMAN, Jordan —": where the report was filed,
        not where the incident was. A name at the start of a line or sentence followed by an
        optional ", Country" and "(Agency)" and a dash, or a name in capitals with a dash."""
        doc = self.doc
        i = ent.end
        if i < len(doc) and doc[i].text == ",":
            i += 1
            while i < len(doc) and doc[i].text[:1].isupper() and doc[i].is_alpha:
                i += 1
        if i < len(doc) and doc[i].text == "(":
            close = next((j for j in range(i, min(i + 6, len(doc))) if doc[j].text == ")"), None)
            if close is None:
                return False
            i = close + 1
        dash = i < len(doc) and doc[i].text in ("-", "—", "–", "--", "—-", ":")
        if not dash:
            return False
        at_start = (
            ent.start == 0 or ent.start == ent.sent.start or "\n" in doc[ent.start - 1].text_with_ws
        )
        shouting = ent.text.isupper() and len(ent.text) >= 4
        return at_start or shouting

    def _metonym(self, ent: Span, candidates: list[Place]) -> bool:
        """A capital standing for its government: "Damascus says", "Moscow and Damascus",
        "Damascus promises", "its Damascus ally" (governorate capitals and the country's)."""
        if not any(c.rank <= 1 and c.kind == "city" for c in candidates):
            return False
        after = self.words(ent.end, ent.end + 1)
        before = self.words(ent.start - 1, ent.start)
        return bool(
            (after and after[0] in METONYM_AFTER)
            or (before and before[0] in METONYM_BEFORE)
            or " ".join(self.words(ent.start - 2, ent.start)) == "moscow and"
            or " ".join(self.words(ent.end, ent.end + 2)) == "and moscow"
        )

    def _fragment(self, ent: Span, candidates: list[Place]) -> bool:
        """A one-word minor name ("Sarin", "Khan") is a place only in context: not followed by
        more of a longer name ("Khan al-Assal"), not an act word ("sarin gas"), and written as
        a place somewhere in the article ("in Sarmin", "al-Zahraa", "Madaya town")."""
        if len(ent) != 1 or any(
            c.population or c.is_governorate or c.rank <= 2 for c in candidates
        ):
            return False
        doc = self.doc
        nxt = doc[ent.end] if ent.end < len(doc) else None
        if nxt is not None and (
            nxt.lower_ in FRAGMENT_ARTICLES
            or nxt.lower_ in ("gas", "nerve", "attack", "attacks", "agent", "toxin")
        ):
            return True
        return ent.text.lower() not in self._placed_names()

    def _placed_names(self) -> set[str]:
        """One-word names the article writes as places somewhere: after a place word ("in
        Sarmin"), with an article ("al-Zahraa") or before a place noun ("Madaya town")."""
        if self._placed is None:
            self._placed = set()
            doc = self.doc
            for ent in doc.ents:
                if ent.label_ != "PLACE" or len(ent) != 1:
                    continue
                before = self.words(ent.start - 1, ent.start)
                before2 = self.words(ent.start - 2, ent.start)
                after = self.words(ent.end, ent.end + 1)
                if (
                    (before and before[0] in PLACE_WORDS)
                    or (len(before2) == 2 and before2[1] == "-" and before2[0] in FRAGMENT_ARTICLES)
                    or (after and after[0] in PLACE_NOUNS)
                ):
                    self._placed.add(ent.text.lower())
        return self._placed

    def _resolve_place(self, ent: Span, candidates: list[Place]) -> PlaceMention | None:
        after = self.doc[ent.end].lower_ if ent.end < len(self.doc) else ""
        before2 = " ".join(self.words(ent.start - 2, ent.start))
        before1 = " ".join(self.words(ent.start - 1, ent.start))
        wants_governorate = (
            after in GOVERNORATE_AFTER
            or before2.endswith(GOVERNORATE_BEFORE)
            or before1 in ("rural", "province", "governorate")
        )
        near = before2.endswith(NEAR_BEFORE) or before1 in ("near", "outside", "around")
        governorates = [c for c in candidates if c.is_governorate]
        others = [c for c in candidates if not c.is_governorate]
        if wants_governorate:
            if governorates:
                g = governorates[0]
                return PlaceMention(ent.start, ent.end, ent.text, g, "governorate", g.radius_km)
            if others and others[0].rank <= 1:
                g2 = self.gaz.governorate(others[0].admin1)
                if g2 is not None:
                    return PlaceMention(
                        ent.start, ent.end, ent.text, g2, "governorate", g2.radius_km
                    )
            if others:
                c = others[0]
                return PlaceMention(ent.start, ent.end, ent.text, c, "area", max(15.0, c.radius_km))
        if not others:
            g = governorates[0]
            precision = "country" if g.kind == "country" else "governorate"
            return PlaceMention(ent.start, ent.end, ent.text, g, precision, g.radius_km)
        best = others[0]
        if best.rank >= 9 and not best.population and best.kind not in ("region", "camp"):
            # A village: trust it when it lies in a governorate the article names (or the
            # article names none); a village of the same name elsewhere is a false friend.
            local = [c for c in others if c.admin1 in self.context_admin1]
            if local:
                best = local[0]
            elif self.context_admin1 - {""} or len({c.admin1 for c in others}) > 1:
                return None
        around = self.gaz.outskirts.get(best.id) if near else None
        if around:  # a city whose outskirts are another governorate (the region says which)
            g3 = self.gaz.governorate(around)
            if g3 is not None:
                return PlaceMention(ent.start, ent.end, ent.text, g3, "governorate", g3.radius_km)
        radius = best.radius_km * 2 + 5 if near else best.radius_km
        precision = best.kind if not near else "area"
        return PlaceMention(ent.start, ent.end, ent.text, best, precision, radius)

    # --- matches -----------------------------------------------------------------------

    def _matches(self) -> None:
        vocab = self.doc.vocab.strings
        rules = self.rules
        groups: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for matcher, group in (
            (rules.acts, "act"),
            (rules.objects, "obj"),
            (rules.agreements, "agr"),
            (rules.attribution, "att"),
            (rules.numbers, "num"),
        ):
            for match_id, s, e in matcher(self.doc):
                groups[group].append((vocab[match_id], s, e))
        for match_id, s, e in rules.casualty_words(self.doc):
            label = vocab[match_id]
            groups["victim" if label.startswith("VICTIM") else "cas"].append((label, s, e))
        for matcher in (rules.terms, rules.durations):
            for match_id, s, e in matcher(self.doc):
                label = vocab[match_id]
                groups["term:" + label].append((label, s, e))
        # Each group (each term label) keeps its own longest, non-overlapping hits.
        self.hits = {
            group: _pick(hits, strong_first=(group == "act")) for group, hits in groups.items()
        }

    # --- casualties --------------------------------------------------------------------

    def _victims_near(self, start: int, end: int) -> str | None:
        """The kind of victim named right after a number ("50 civilians", "dozens of government
        soldiers"): only adjectives, "of" and hyphens may stand between."""
        for label, s, e in self.hits.get("victim", []):
            if s >= start and e <= end:
                between = self.doc[start:s]
                if any(
                    (not t.is_alpha and t.text not in ("-", "'s")) or (t.lower_ in VICTIM_STOP)
                    for t in between
                ):
                    return None
                return VICTIM_KIND.get(label, "people")
        return None

    def _num_ok(self, s: int, e: int) -> bool:
        """A number phrase that counts people (not a year, a date, a distance, an age)."""
        doc = self.doc
        nxt = doc[e].lower_ if e < len(doc) else ""
        if nxt in NOT_PEOPLE_AFTER or nxt.endswith(("-year", "-hour", "-day", "km")):
            return False
        if nxt == "-" and e + 1 < len(doc) and doc[e + 1].lower_ in ("year", "day", "hour"):
            return False
        prev = doc[s - 1].lower_ if s > 0 else ""
        text = doc[s:e].text
        if prev in ("aged", "age", "ages", "resolution", "number", "no.", "route", "highway"):
            return False
        if (
            prev.rstrip(".")
            in (
                "jan feb mar apr may jun jul aug sep sept oct nov dec january february march "
                "april june july august september october november december"
            ).split()
        ):
            return False
        nxt_month = nxt.rstrip(".")
        if (
            nxt_month
            in (
                "jan feb mar apr jun jul aug sep sept oct nov dec january february march april may "
                "june july august september october november december"
            ).split()
        ):
            return False
        digits = text.replace(",", "").strip()
        if digits.isdigit() and len(digits) == 4 and digits.startswith(("19", "20")):
            return False
        return True

    def _casualties(self) -> None:
        nums = [(s, e) for _, s, e in self.hits.get("num", []) if self._num_ok(s, e)]
        anchors = [h for h in self.hits.get("cas", []) if h[0] in ("KILL", "INJURE")]
        tolls = [h for h in self.hits.get("cas", []) if h[0] == "TOLL"]
        doc = self.doc
        used: set[tuple[int, int]] = set()
        out: list[Casualty] = []

        def count_of(span: tuple[int, int]) -> Count | None:
            words = [t.text for t in doc[span[0] : span[1]]]
            if words and words[-1].lower() == "-":
                words = words[:-1]
            return parse_count(" ".join(words))

        for label, a, b in anchors:
            kind = "killed" if label == "KILL" else "injured"
            k = self.sent_index(a)
            sent = self.sents[k]
            verb = doc[a].lower_
            chosen: tuple[int, int] | None = None
            subset_total: tuple[int, int] | None = None
            # left: "50 people were killed", "dozens of civilian deaths"
            left = [
                n for n in nums
                if n[1] <= a and n[0] >= sent.start and a - n[1] <= 7
                and not self._blocked(n[1], a) and self._plain(n[1], a)
            ]  # fmt: skip
            if left and verb not in ACTIVE_VERBS:
                chosen = left[-1]
                before = self.words(chosen[0] - 3, chosen[0])
                earlier = [
                    n for n in nums
                    if n[1] <= chosen[0] and n[0] >= sent.start and chosen[0] - n[1] <= 8
                ]  # fmt: skip
                if earlier and "among" in before:
                    subset_total = earlier[-1]  # "six civilians were among 22 killed"
                elif earlier and any(w in ("including", "whom", "them") for w in before):
                    subset_total = chosen  # "16 people, including five children, were killed"
                    chosen = earlier[-1]
            # right: "killing at least 50", "killed 84 people", "executes 24 civilians"
            if chosen is None and (verb in ACTIVE_VERBS or verb in PAST_VERBS):
                right = [n for n in nums if n[0] > a and n[0] - b <= 3 and n[1] <= sent.end]
                if right and not self._blocked(b, right[0][0]) and self._plain(b, right[0][0]):
                    after = self.lower[right[0][1]] if right[0][1] < len(self.lower) else ""
                    other_anchor = any(h[1] == right[0][1] for h in anchors)
                    if not other_anchor and after not in ("and", "others"):
                        chosen = right[0]
            if chosen is None:
                continue
            count = count_of(chosen)
            if count is None:
                continue
            victims = self._victims_near(chosen[1], min(chosen[1] + 4, sent.end)) or (
                self._victims_near(chosen[1], a) if chosen[1] <= a else None
            )
            if victims is None and chosen[0] > 0 and doc[chosen[1] - 1].lower_ in ("civilian",):
                victims = "civilians"
            key = (chosen[0], chosen[1])
            if (key, kind) in {((c.num[0], c.num[1]), c.kind) for c in out}:
                continue
            used.add(key)
            if subset_total is not None:
                used.add(subset_total)
            out.append(Casualty(kind, count, victims, key, a, False))
            if subset_total is None:
                # "killed 84 people, including 20 children"
                follow = self.words(chosen[1], min(chosen[1] + 5, sent.end))
                if "including" in follow or "among" in follow:
                    later = [n for n in nums if chosen[1] < n[0] <= chosen[1] + 7]
                    if later:
                        subset_total = later[0]
                        used.add(later[0])
            if subset_total is not None:
                sub = count_of(subset_total)
                if sub is not None:
                    sv = self._victims_near(subset_total[1], subset_total[1] + 4)
                    out.append(Casualty(kind, sub, sv, subset_total, a, True))
        # "Six civilians ... were among at least 22 people killed"
        for s, e in nums:
            if (s, e) in used:
                continue
            k = self.sent_index(s)
            sent = self.sents[k]
            following = self.words(e, min(e + 6, sent.end))
            if "among" in following:
                victims = self._victims_near(e, e + 3)
                count = count_of((s, e))
                if count is not None and victims is not None:
                    nearest = [c for c in out if c.num[0] > e and self.sent_index(c.num[0]) == k]
                    if nearest:
                        out.append(
                            Casualty(
                                nearest[0].kind, count, victims, (s, e), nearest[0].anchor, True
                            )
                        )
        # "the death toll rose to 70"
        for _, a, b in tolls:
            k = self.sent_index(a)
            sent = self.sents[k]
            right = [n for n in nums if n[0] >= b and n[0] - b <= 8 and n[1] <= sent.end]
            right = [n for n in right if n not in used]
            if right:
                count = count_of(right[0])
                if count is not None:
                    used.add(right[0])
                    out.append(Casualty("killed", count, None, right[0], a, False))
        self.casualties = sorted(out, key=lambda c: c.num)

    def _plain(self, start: int, end: int) -> bool:
        """Only words (and hyphens, commas) between two tokens: no figures, no dates."""
        return all(t.is_alpha or t.text in ("-", ",", "'s", "’s") for t in self.doc[start:end])

    def _blocked(self, start: int, end: int) -> bool:
        """Whether a clause break lies between two tokens."""
        stops = (";", ".", "?", "!", "while", "but", "whereas")
        return any(w in stops for w in self.lower[start:end])

    # --- speech --------------------------------------------------------------------------

    def _actor_ending_near(self, index: int, limit: int = 5) -> ActorMention | None:
        """An actor mention that ends shortly before `index` with only filler between."""
        best = None
        for m in self.actors:
            if m.end <= index and index - m.end <= limit:
                between = self.words(m.end, index)
                if all(w in SPEAKER_FILLERS for w in between):
                    best = m
        return best

    def _speeches(self) -> None:
        last: tuple[str | None, str | None] = (None, None)
        last_sent = -10
        for label, s, e in self.hits.get("att", []):
            k = self.sent_index(s)
            if k - last_sent > 3:
                last = (None, None)
            claimant: str | None = None
            text: str | None = None
            passive = False
            prev = self.words(s - 2, s)
            if label == "ACCORDING":
                after = [m for m in self.actors if e <= m.start <= e + 2]
                if after:
                    claimant, text = after[0].id, after[0].text
                else:
                    nxt = self.words(e, e + 3)
                    generic = [w for w in nxt if w in GENERIC_SPEAKERS]
                    text = generic[0] if generic else None
            else:
                m = self._actor_ending_near(s)
                if prev and prev[-1] in ("was", "were", "is", "are", "been", "be", "being"):
                    passive = label in ("BLAME", "ACCUSE")
                if m is not None and not passive:
                    claimant, text = m.id, m.text
                elif prev and prev[-1] in PRONOUNS and not passive:
                    claimant, text = last
                elif not passive:
                    after = [x for x in self.actors if e <= x.start <= e + 2]
                    if after and label == "SAY":
                        claimant, text = after[0].id, after[0].text
                    else:
                        window = self.words(s - 4, s)
                        generic = [w for w in window if w in GENERIC_SPEAKERS]
                        text = generic[-1] if generic else None
            if claimant:
                last = (claimant, text)
                last_sent = k
            self.speeches.append(Speech(label, s, e, claimant, text, passive))

    def governing_speech(self, token: int) -> Speech | None:
        """The speech act whose content holds this token, if any."""
        k = self.sent_index(token)
        sent = self.sents[k]
        inside = [sp for sp in self.speeches if sent.start <= sp.start < sent.end]
        for sp in inside:
            if sp.kind == "ACCORDING" and sp.claimant:
                return sp
        before = [sp for sp in inside if sp.end <= token and sp.kind in ("SAY", "ACCUSE", "DENY")]
        if before:
            return before[-1]
        after = [
            sp
            for sp in inside
            if sp.start > token and sp.kind == "SAY" and sent.end - sp.end <= 8
            and (sp.claimant or sp.claimant_text)
        ]  # fmt: skip
        if after:
            return after[0]
        return None


def _capitalised(ent: Span) -> bool:
    """A place name as a name: its first word after an article starts with a capital."""
    for token in ent:
        if token.lower_ in ("al", "el", "-", "ar", "as", "ash", "ad", "at", "az", "an", "the"):
            continue
        return token.text[:1].isupper()
    return False
