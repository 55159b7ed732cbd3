"""Who acted where, read from a dataset's own short text (a UCDP `source_headline`, ACLED `notes`).

    from ceasefire.extract.headlines import read_source_text
    acts = read_source_text(headline, place="Douma town", admin2="Duma district",
                            admin1="Rif Dimashq Governorate", day=None)

returns one `TextAct` per act a clause describes: the act, the actor the clause says
ACTED (`agent`, or None when it names none), the actors it names as hit or losing
(`victims`), the clause's exact words and offsets, and how the clause relates to the
row's place. The rules are deliberately strict: a side is named only by a frame that
says it acted ("shelling by X", "X warplanes", "X shelled ...", "killed by X", "raids
of X"); an actor counted among the dead or hit ("X fighters killed", "losses among X",
"targeting X", "X positions"), an actor in "clashes between X and Y", a holder of an
area ("X-held") and the reporting source ("SOHR said", "activists say") are never the
agent. Warplanes, helicopters, barrel bombs and raids are air strikes whose agent is
None unless a side is named for them; raids or bombing by a side that flies nothing
here (rebels, IS, ...) are ground attacks, and a downed aircraft struck nothing.
`agent_words` and `words` are the source's own characters (`text[span[0]:span[1]]`).

Clauses: the text is split at `;`, sentence ends, ` - ` joins and `:` labels, and each
piece again at "and", commas or "while" where both sides tell an act of their own.
`place_match` is `named` when the clause names the row's place (`where_coordinates`,
without " town", " village"...), its district (`adm_2`) or its governorate (`adm_1`) —
when another clause names the place or district itself, a clause that names only the
governorate counts as about `other` places; `only_clause` when the text tells one act
clause and it names no place; `other` when it names another place; `none` otherwise.
`aggregate` marks a day's tally across places ("N people were killed yesterday,
including ..."), `hedged` a "reportedly", "believed to be", "claimed".

Parsing is the region's pipeline (`load_pipeline`: its actor dictionary, its gazetteer
and act words); each distinct text is parsed once per process (cached), so reading the
rows of a dataset costs about one parse per distinct headline. `day` is accepted for
callers that have it; nothing in these rules depends on it yet.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from functools import cache, lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from ceasefire.core.attribution import PlaceMatch, TextAct
from ceasefire.core.model import Act
from ceasefire.extract.pipeline import Rules, _phrases, load_pipeline
from ceasefire.extract.resources import ActorTable, Gazetteer, Place, actor_table, fold, gazetteer
from ceasefire.regions import Region, default_region

# Words -----------------------------------------------------------------------------------

#: Act words short texts use beyond the article rules ("35 barrels", "regime forces pound").
EXTRA_ACTS: dict[str, list[str]] = {
    "ACT_air_strike": _phrases(
        "barrels|barrel",
        "explosive barrels|barrel",
        "air raids|raid",
        "aerial raids|raid",
        "air and missile strikes",
        # one bombardment led from the air: the side that flies fires the guns beside it
        "air and artillery strikes|strike|bombardment|shelling",
        "aerial and artillery bombardment|strikes|shelling",
        "air bombardment|bombardments",
        "aerial bombardment",
        "airstrikes|airstrike",
        "warplanes|warplane|helicopters|helicopter|jets|aircraft|planes",
        "military helicopters|aircraft|planes",
        "fighter jets|planes",
    ),
    "ACT_shelling": _phrases(
        "shelling|shells|shell|shelled",
        "artillery shelling|shells",
        "rocket shells",
        "missile shells",
        "mortar shells",
        "tank shells",
        "heavy machine guns",
    ),
    "ACT_shooting": _phrases("sniper|snipers|sniping", "sniper bullets|fire"),
    "ACT_bombing": _phrases("explosion|explosions|blast|blasts", "bomb explosion|explosions"),
    "WEAK_attack": _phrases(
        "pound|pounds|pounded|pounding",
        "bombard|bombards|bombarded|bombarding",
        "massacre",
        "target|targets|targeted|targeting",
        "attack|attacks|attacked",
        # a raid may be from the air or on the ground: only an aircraft beside it says which
        "raids|raid",
        # an offensive: the side that advances attacks
        "advance|advances|advanced|advancing",
        "ambush|ambushes|ambushed",
    ),
}
ACTS_BY_LABEL = {
    "ACT_air_strike": Act.air_strike, "ACT_drone_strike": Act.drone_strike,
    "ACT_missile": Act.missile, "ACT_mortar": Act.mortar, "ACT_shelling": Act.shelling,
    "ACT_clash": Act.clash, "ACT_suicide_bombing": Act.suicide_bombing,
    "ACT_bombing": Act.bombing, "ACT_shooting": Act.shooting, "ACT_chemical": Act.chemical,
    "ACT_execution": Act.execution, "ACT_abduction": Act.abduction,
    "WEAK_air": Act.air_strike, "WEAK_shelling": Act.shelling, "WEAK_clash": Act.clash,
    "WEAK_explosion": Act.bombing, "WEAK_bombing": Act.air_strike, "WEAK_attack": Act.attack,
}  # fmt: skip
#: Kinds of act that name a fight between two sides, never one side acting.
MUTUAL = frozenset({Act.clash})
#: Words that make a shelling or fire mutual: nobody is named as the one who acted.
MUTUAL_WORDS = frozenset("exchange exchanged exchanging mutual reciprocal between".split())

#: Sides that fly nothing here: "raids" or "bombing" they carry out are ground attacks.
GROUND_SIDES = frozenset({"opposition", "nusra", "is", "sdf"})
#: "downed a warplane", "the crash of their helicopter": the aircraft was lost, it did
#: not strike.
AIRCRAFT_LOST = frozenset(
    "drop drops dropped down downed downing shoot shot crash crashed crashes fall".split()
)
#: "aircraft fly over the city": an aircraft seen flying struck nothing.
AIRCRAFT_FLYING = frozenset(
    "fly flies flew flying hover hovers hovered hovering circle circles circled circling "
    "roam roams roaming".split()
)
QUOTE_TOKENS = frozenset({'"', "'", "“", "”", "‘", "’"})
#: "unidentified warplanes", "unknown aircraft": the source says it does not know who.
UNKNOWN = frozenset("unidentified unknown unmarked anonymous".split())
#: Words of fighting that one side does to the other ("ambush"), not a mutual clash.
ONE_SIDED = frozenset("ambush ambushes ambushed ambushing".split())
#: Words of a killing whose "by X" names the killer even in a clash.
KILLED_BY = frozenset("killed wounded injured martyred shot executed".split())
AIRCRAFT_DETERMINERS = frozenset({"a", "an", "the", "regime", "its", "their", "of", "his"})

#: Words for fire that say nothing of the weapon: an aircraft's when an aircraft fires.
GENERIC_FIRE = frozenset(
    "bombardment bombardments bombing bombings bombard bombards bombarded strikes strike".split()
)
AIRCRAFT = frozenset(
    "warplane warplanes helicopter helicopters jet jets aircraft plane planes drone".split()
)
#: Active verbs whose subject acted ("regime forces shell Harasta", "IS executes ...").
ACTIVE_VERBS = frozenset(
    """
    shell shells shelled shelling bomb bombs bombed bombing target targets targeted targeting
    pound pounds pounded pounding hit hits strike strikes struck attack attacks attacked
    attacking fire fires fired firing launch launches launched launching drop drops dropped
    dropping commit commits committed committing carry carries carried carrying renew renews
    renewed renewing execute executes executed executing kill kills killing bombard bombards
    bombarded bombarding raid raids raided raiding storm storms stormed storming blow blows
    detonate detonates detonated shoot shoots shot use uses used continue continues continued
    escalate escalates escalated assassinate assassinates assassinated massacre massacres
    massacred slaughter slaughters slaughtered behead beheads beheaded kidnap kidnaps
    kidnapped abduct abducts abducted
    """.split()
)
#: Words that may stand between a subject and its verb ("regime forces again shell").
SUBJECT_GAP = frozenset(
    "'s ' \" again also still continue continues continued renew renews renewed the their its "
    "organization organisation group "
    "forces fighters troops militants members warplanes helicopters jets aircraft planes".split()
)
#: Verbs of loss: the actor before them lost ("IS fighters were killed", "regime losses").
LOSS_WORDS = frozenset(
    """
    killed died dead die dies wounded injured captured lost losses casualties fell bodies
    martyred martyrs perished suffered suffer suffers loses lose withdraw withdrew retreat
    retreated retreats withdraws
    """.split()
)
LOSS_AUX = frozenset("were was are is have has had been being at least".split())
#: Nouns of people counted as hit or lost ("members of X", "21 X soldiers").
VICTIM_NOUNS = frozenset(
    """
    members member fighters fighter soldiers soldier troops elements militants militant
    personnel officers officer commander commanders leader leaders losses casualties bodies
    corpses ranks dozens tens number dead killed gunmen men militiamen recruits conscripts
    pilots pilot crew colonel general brigadier captain lieutenant major officials
    """.split()
)
#: Nouns of a side's places or gear that were hit ("X positions", "sites of X").
TARGET_NOUNS = frozenset(
    """
    positions position sites site posts post headquarters base bases checkpoint checkpoints
    strongholds stronghold convoy convoys vehicles vehicle tanks tank gatherings gathering
    concentrations areas area territory territories barracks airport hideouts points point
    """.split()
)
#: Words before an actor that make it the one hit ("targeting X", "on X", "against X").
TARGET_BEFORE = frozenset(
    "on against targeting targeted target targets at toward towards hitting hit struck "
    "striking into upon".split()
)
#: Nouns whose "of X" or "by X" names who acted ("shelling of the regime forces").
AGENT_HEADS = frozenset(
    """
    shelling shells shell bombardment bombardments bombing bombings raids raid strikes strike
    airstrikes airstrike fire attack attacks barrels barrel rockets rocket missiles missile
    mortars mortar warplanes warplane helicopters helicopter jets jet aircraft planes plane
    artillery forces gunfire bullets snipers sniper massacre targeting
    """.split()
)
#: "by X" after these words does not say who acted ("held by X", "backed by X").
NOT_AGENT_BY = frozenset(
    "held controlled besieged surrounded captured recaptured seized led backed supported "
    "funded run administered retaken taken occupied".split()
)
#: Verbs whose object was hit ("kills 5 X", "targeting X members").
OBJECT_VERBS = frozenset(
    "kills killing kill killed wounding injuring wounds executes executing executed targets "
    "targeting hits hit".split()
)
#: Nouns of loss that can start a clause ("... and casualties in the shelling of X").
LOSS_NOUNS = frozenset(
    "casualties casualty martyrs martyr injuries injury losses deaths death victims victim".split()
)
HEDGE_WORDS = frozenset(
    "reportedly allegedly alleged believed suspected purportedly unconfirmed possibly "
    "probably likely presumably claimed claims claim apparently".split()
)
#: Starting words of a clause, for splitting at "and" / ",".
STARTERS = frozenset(
    "the a an more other several dozens tens hundreds at heavy intense violent fierce renewed "
    "continued continuous massive new fresh another two three four five six seven eight nine "
    "ten".split()
)
SPLIT_WORDS = frozenset({"and", ",", "while", "whereas", "meanwhile", "but", "amid"})
#: Cardinal words before a governorate name ("western Aleppo", "south of Hama").
CARDINALS = frozenset(
    "north south east west northern southern eastern western northeast northwest southeast "
    "southwest northeastern northwestern southeastern southwestern central".split()
)
COUNTRYSIDE = frozenset({"countryside", "province", "governorate", "provinces", "region", "rural"})
#: Words for a governorate outside its city ("Aleppo countryside", "rural Hama").
RURAL = frozenset({"countryside", "countrysides", "rural"})
CITY_WORDS = frozenset({"city", "town", "village", "neighbourhood", "neighborhood", "district"})
#: Words before a capitalised name that make it a place ("in Kafr Nabl", "targeting Binnish").
PLACE_PREPS = frozenset(
    "in on at near of targeting targeted target targets toward towards into around outside "
    "from to and".split()
)
_AGGREGATE = re.compile(
    r"\b(?:daily report|across (?:the country|the provinces)|so far|since the (?:start|"
    r"beginning)|in the (?:past|last) (?:\d+|two|three|four|five|six|seven|few) (?:days|weeks|"
    r"months|hours)|in \d+ days|during the (?:past|last)|(?:killed|died|dead|martyred|casualties)"
    r" yesterday|yesterday(?:'s)? (?:death )?toll|total (?:number|death)|per day|this month|"
    r"this week|last month|last week|monthly|weekly|(?:were|was) killed on \w+day, including|"
    r"in various (?:areas|provinces)|in several provinces)\b",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")
_HARD = re.compile(r";|\s[-–—]+\s|\.\.+|…|:\s|(?<=[a-z0-9)\"'”])[.!?]+(?=\s+[\"'“(]?[A-Z0-9])|\|")
_ARTICLES = frozenset("al el ash as ar ad at az an ath the ul".split())
_SUFFIXES = frozenset(
    "town village city district governorate province suburb suburbs area camp neighbourhood "
    "neighborhood countryside sub-district subdistrict region markaz mintaqat farms farm "
    "military base airbase airport field".split()
)


_QUOTES = str.maketrans("’‘“”", "''\"\"")


def _clean(text: str) -> tuple[str, list[int], list[int]]:
    """The text with HTML entities and typographic quotes made plain, and for each of its
    characters the offsets in `text` where it starts and ends."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for match in _ENTITY.finditer(text):
        for i in range(last, match.start()):
            out.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        plain = html.unescape(match.group(0))
        for ch in plain:
            out.append(ch)
            starts.append(match.start())
            ends.append(match.end())
        last = match.end()
    for i in range(last, len(text)):
        out.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return "".join(out).translate(_QUOTES), starts, ends


# Names -----------------------------------------------------------------------------------


def name_key(text: str) -> str:
    """A place name reduced for comparison: no accents, articles, "town"/"district" words,
    spaces or hyphens ("Khan ash-Shih town" -> "khanshih")."""
    words = re.split(r"[\s\-'’`]+", fold(text).lower())
    kept = [w for w in words if w and w not in _ARTICLES and w not in _SUFFIXES]
    return "".join(re.sub(r"[^a-z0-9]", "", w) for w in kept)


def _skeleton(key: str) -> str:
    """Consonants only, doubled letters once, common transliteration pairs merged."""
    key = key.replace("kh", "k").replace("q", "k").replace("ou", "u").replace("ee", "i")
    key = re.sub(r"[aeiouyw]", "", key)
    return re.sub(r"(.)\1+", r"\1", key)


def same_name(a: str, b: str) -> bool:
    """Whether two spellings name one place ("Hamouriyeh"/"Hamouriyah", "Daraya"/"Darayya")."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    sa, sb = _skeleton(ka), _skeleton(kb)
    if len(sa) >= 3 and sa == sb:
        return True
    if min(len(ka), len(kb)) < 4 or ka[0] != kb[0]:
        return False
    return SequenceMatcher(None, ka, kb).ratio() >= (0.8 if min(len(ka), len(kb)) >= 7 else 0.86)


# Parsed text -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """A place a clause names: its words, the gazetteer places it may be, and its level."""

    text: str
    places: tuple[Place, ...]
    level: str  # "place" (a town, a city, a region...), "governorate", "country"
    city_only: bool  # "Homs city", "the city of Homs": not the governorate
    countryside: bool = False  # "Aleppo countryside", "rural Hama": outside the city


@dataclass(frozen=True)
class Clause:
    span: tuple[int, int]
    acts: tuple[tuple[Act, str | None, tuple[int, int] | None], ...]  # act, agent, its words
    victims: tuple[str, ...]
    mentions: tuple[Mention, ...]
    aggregate: bool
    hedged: bool
    hard: int  # index of the hard clause it belongs to
    unidentified: bool = False  # "unidentified warplanes": the source does not know who


@dataclass(frozen=True)
class _Tools:
    nlp: Language
    rules: Rules
    extra: PhraseMatcher
    table: ActorTable
    gaz: Gazetteer
    capital: tuple[Place, ...]  # the places "the capital" is (none when the region's file
    # names no capital)


@cache
def _tools(region: Region) -> _Tools:
    nlp, rules = load_pipeline(region)
    extra = PhraseMatcher(nlp.vocab, attr="LOWER")
    for label, phrases in EXTRA_ACTS.items():
        extra.add(label, [nlp.make_doc(p) for p in phrases])
    gaz = gazetteer(region)
    name = region.country.capital if region.country else ""
    capital = tuple(p for p in gaz.candidates(name) if p.kind == "city") if name else ()
    return _Tools(nlp, rules, extra, actor_table(region), gaz, capital)


def read_source_text(
    text: str,
    *,
    place: str,
    admin2: str,
    admin1: str,
    day: dt.date | None,
    region: Region | None = None,
) -> list[TextAct]:
    """The acts a source's short text tells, each with its agent, victims and place match."""
    del day  # accepted for callers that have it; the rules do not depend on it
    region = region or default_region()
    if not text or not text.strip():
        return []
    clauses = _parse(text, region)
    if not clauses:
        return []
    row = _row(place or "", admin2 or "", admin1 or "", region)
    levels = [_level(c, row, text[c.span[0] : c.span[1]]) for c in clauses]
    finest = max((lv for lv, _, _ in levels), default=0)
    telling = [c for c in clauses if c.acts]
    act_hards = {c.hard for c in telling}
    # The text names the row's place nowhere. Leave out the clauses about places that
    # cannot be in the row's governorate; if what remains is one report (one piece of the
    # text) of acts, with no count of the dead at a place of its own beside it, its acts
    # are the row's, wherever the gazetteer puts the towns it names (a neighbourhood, a
    # farm, a village geocoded to the next town).
    maybe = [c for c in clauses if not c.mentions or any(_may_be_in(m, row) for m in c.mentions)]
    sole = (
        finest == 0
        and len({c.hard for c in maybe if c.acts}) == 1
        and not any(c.mentions for c in maybe if not c.acts)
        and not any(c.aggregate for c in telling)
    )
    sole_clauses = {id(c) for c in maybe if c.acts} if sole else set()
    out: list[TextAct] = []
    for clause, (level, other, other_here) in zip(clauses, levels, strict=True):
        match: PlaceMatch
        if level >= 2 or (level == 1 and not other_here and finest < 2):
            match = "named"
        elif id(clause) in sole_clauses:
            match = "only_clause"
        elif level == 1 or other:
            match = "other"
        elif len(act_hards) == 1 and not any(c.mentions for c in clauses):
            match = "only_clause"
        else:
            match = "none"
        s, e = clause.span
        for act, agent, where in clause.acts:
            out.append(
                TextAct(
                    act=act,
                    agent=agent,
                    agent_words=text[where[0] : where[1]] if where else "",
                    victims=clause.victims,
                    span=(s, e),
                    words=text[s:e],
                    place_match=match,
                    aggregate=clause.aggregate,
                    hedged=clause.hedged,
                    unidentified=clause.unidentified and agent is None,
                )
            )
    return out


@lru_cache(maxsize=50_000)
def _parse(text: str, region: Region) -> tuple[Clause, ...]:
    tools = _tools(region)
    clean, starts, ends = _clean(text)
    pieces = _hard_pieces(clean)
    out: list[Clause] = []
    docs = tools.nlp.pipe(clean[s:e] for s, e in pieces)
    for hard, ((s, _), doc) in enumerate(zip(pieces, docs, strict=True)):
        for clause in _Reader(doc, s, tools).clauses(hard):
            cs, ce = clause.span  # offsets in the plain text, back to the source's
            acts = tuple(
                (act, agent, (starts[w[0]], ends[w[1] - 1]) if w else None)
                for act, agent, w in clause.acts
            )
            out.append(replace(clause, span=(starts[cs], ends[ce - 1]), acts=acts))
    return tuple(out)


class _Reader:
    """The clauses of one parsed piece of a text (between `;`, sentence ends, joins)."""

    def __init__(self, doc: Doc, offset: int, tools: _Tools) -> None:
        self.doc = doc
        self.text = doc.text
        self.offset = offset
        self.tools = tools
        self.lower = [t.lower_ for t in doc]
        strings = doc.vocab.strings
        hits: list[tuple[str, int, int]] = []
        for matcher in (tools.rules.acts, tools.extra):
            hits.extend((strings[m], s, e) for m, s, e in matcher(doc))
        # a bare "raid" may be on the ground ("the raid on the village"): not an air strike
        # unless an aircraft word or "air" says so (the article rules read it as air)
        hits = [
            ("WEAK_attack", s, e) if e - s == 1 and self.lower[s] in ("raid", "raids") else h
            for h in hits
            for _, s, e in [h]
        ]
        agreement = {i for _, s, e in tools.rules.agreements(doc) for i in range(s, e)}
        self.acts = [
            h
            for h in _longest(hits)
            if h[1] not in agreement
            and not (self.lower[h[1]] == "shot" and self._next(h[2]) == "down")
        ]
        self.kills = [
            (strings[m], s, e)
            for m, s, e in tools.rules.casualty_words(doc)
            if strings[m] in ("KILL", "INJURE")
        ]
        self.losses = [i for i, w in enumerate(self.lower) if w in LOSS_NOUNS] + [
            h[1] for h in self.kills
        ]
        self.actors: list[tuple[int, int, str, str]] = []  # start, end, id, words
        self.places: list[tuple[int, int]] = []
        for ent in doc.ents:
            if ent.label_ == "ACTOR":
                info = tools.table.actors.get(ent.ent_id_)
                if info is not None and not info.is_source:
                    self.actors.append((ent.start, ent.end, ent.ent_id_, ent.text))
            elif ent.label_ == "PLACE":
                self.places.append((ent.start, ent.end))

    def _next(self, i: int) -> str:
        return self.lower[i] if 0 <= i < len(self.lower) else ""

    def _prev(self, i: int, skip: frozenset[str] = frozenset({"the"})) -> tuple[str, int]:
        j = i - 1
        while j >= 0 and self.lower[j] in skip:
            j -= 1
        return (self.lower[j], j) if j >= 0 else ("", -1)

    # --- splitting -----------------------------------------------------------------------

    def clauses(self, hard: int) -> list[Clause]:
        tokens = [t.i for t in self.doc if not t.is_space]
        if not tokens:
            return []
        aggregate = bool(_AGGREGATE.search(self.text)) or self._tally(tokens[0], tokens[-1] + 1)
        out: list[Clause] = []
        previous: tuple[Mention, ...] = ()
        for s, e in self._soft(tokens[0], tokens[-1] + 1):
            clause = self._clause(s, e, hard, aggregate, previous)
            if clause is None:
                continue
            previous = clause.mentions or previous
            out.append(clause)
        return out

    def _tally(self, s: int, e: int) -> bool:
        """ "N people were killed yesterday, including N members of ...", "N killed across
        <the country>": a day's total, not one place's."""
        words = self.lower[s:e]
        if "yesterday" in words and "including" in words:
            return True
        country = self.tools.gaz.country_names
        for k in range(1, len(words)):
            if words[k] in country and words[k - 1] in ("across", "in", "throughout"):
                if any(w in ("killed", "died", "dead", "death", "toll") for w in words[k - 4 : k]):
                    return True
        return False

    def _triggers_in(self, s: int, e: int) -> list[tuple[str, int, int]]:
        return [h for h in self.acts if s <= h[1] < e]

    def _kills_in(self, s: int, e: int) -> list[tuple[str, int, int]]:
        return [h for h in self.kills if s <= h[1] < e]

    def _soft(self, s: int, e: int) -> list[tuple[int, int]]:
        """Split at "and" / "," / "while" where the left part tells an act or a death and
        the right part starts a clause with an act of its own."""
        cuts = [s]
        for i in range(s + 1, e - 1):
            if self.lower[i] not in SPLIT_WORDS:
                continue
            j = i + 1
            if self.lower[i] == "," and self._next(j) == "and":
                j += 1
            left = (cuts[-1], i)
            if not (self._triggers_in(*left) or any(left[0] <= k < left[1] for k in self.losses)):
                continue
            if any(t[1] < i < t[2] for t in self.acts):
                continue
            if self._in_brackets(i, s):
                continue  # "(Maarat an Numan, Idleb)": a place's district and governorate
            subject = [
                x for x in self.actors if x[0] == j or (x[0] == j + 1 and self.lower[j] == "the")
            ]
            acting = bool(subject) and any(
                self.lower[k] in ACTIVE_VERBS
                for k in range(subject[0][1], min(e, subject[0][1] + 4))
            )
            if not (self._triggers_in(j, e) or acting or self._loss_report(j, e)):
                continue
            if not self._starts_clause(j):
                continue
            if (
                self.doc[i - 1].text[:1].isupper()
                and self.lower[i - 1] in self.tools.table.adjectives
            ):
                continue  # "Russian and Turkish airstrikes"
            if any(t[1] == j for t in self.acts) and (
                any(t[2] == i for t in self.acts)
                or any(
                    x[1] == i or (x[1] == i - 1 and self.lower[x[1]] in SUBJECT_GAP)
                    for x in self.actors
                )
            ):
                continue  # "air strikes and shelling", "by the regime forces and helicopters"
            if any(a[0] < i < a[1] for a in self.actors):
                continue
            cuts.append(i)
        bounds = [*cuts, e]
        out = []
        for a, b in zip(bounds, bounds[1:], strict=False):
            while a < b and self.lower[a] in SPLIT_WORDS:
                a += 1
            if a < b:
                out.append((a, b))
        return out

    def _loss_report(self, j: int, e: int) -> bool:
        """ "... and casualties in Douma", "and 5 killed in Harasta": a count of the dead at a
        place of its own, which may be the row's while the act beside it is elsewhere."""
        if not any(j <= k <= j + 3 for k in self.losses):
            return False
        return any(j < p0 < e for p0, _ in self.places) or any(
            self.lower[k] in ("in", "at") and self.doc[k + 1].text[:1].isupper()
            for k in range(j + 1, min(e, len(self.doc)) - 1)
        )

    def _in_brackets(self, i: int, s: int) -> bool:
        depth = 0
        for k in range(s, i):
            depth += {"(": 1, ")": -1}.get(self.lower[k], 0)
        return depth > 0

    def _starts_clause(self, j: int) -> bool:
        if j >= len(self.doc):
            return False
        if self.lower[j] in ('"', "'") and j + 1 < len(self.doc):
            j += 1  # and "Islamic State" organization executed ...
        token = self.doc[j]
        return (
            token.like_num
            or self.lower[j] in STARTERS
            or self.lower[j] in LOSS_NOUNS
            or token.text[:1].isupper()
            or any(a[0] == j for a in self.actors)
            or any(h[1] == j for h in self.acts)
        )

    # --- one clause ----------------------------------------------------------------------

    def _clause(
        self, s: int, e: int, hard: int, aggregate: bool, previous: tuple[Mention, ...]
    ) -> Clause | None:
        triggers = self._triggers_in(s, e)
        kills = self._kills_in(s, e)
        actors = [a for a in self.actors if s <= a[0] < e]
        victims: list[str] = []
        agents: list[tuple[str, tuple[int, int], int | None]] = []  # id, tokens, bound act
        mutual = bool(set(self.lower[s:e]) & MUTUAL_WORDS)
        for a in actors:
            role, bound = self._role(a, s, e, triggers, kills)
            if role == "victim" and a[2] not in victims:
                victims.append(a[2])
            elif role == "agent" and not mutual:
                agents.append((a[2], (a[0], a[1]), bound))
        if not mutual:
            agents.extend(self._adjective_agents(triggers, actors))
        acts = self._acts(triggers)
        if not acts and kills and (agents or victims):
            acts = [(Act.attack, None)]
        results: list[tuple[Act, str | None, tuple[int, int] | None]] = []
        group = self._coordinated(triggers)
        agents = [(i, w, group.get(b, b) if b is not None else None) for i, w, b in agents]
        acts = [(act, group.get(st, st) if st is not None else None) for act, st in acts]
        starts = {st for _, st in acts}
        agents = [(i, w, b if b in starts else None) for i, w, b in agents if i not in victims]
        for act, start in acts:
            if act in MUTUAL:
                # "killed by regime forces in clashes": the killing is theirs
                killers = [(i, w) for i, w, _ in agents if self._killed_by(w[0])]
                for ident, (w0, w1) in dict.fromkeys(killers):
                    results.append((act, ident, self._offsets(w0, w1)))
                if not killers:
                    results.append((act, None, None))
                continue
            # agents named for this act ("Hezbollah shell"), and those named for the clause
            # ("the regime forces and Hezbollah shell", "shelling ... by X")
            mine = [(i, w) for i, w, b in agents if b is not None and b == start]
            mine += [(i, w) for i, w, b in agents if b is None]
            if not mine:
                results.append((act, None, None))
            for ident, (w0, w1) in dict.fromkeys(mine):
                kind = act
                if act in (Act.air_strike, Act.drone_strike) and (
                    self.tools.table.cls(ident) in GROUND_SIDES
                ):
                    kind = Act.attack  # "IS raided the homes", "rebels' bombing": not from the air
                elif (
                    act is Act.attack
                    and start is not None
                    and self.lower[start] in ("raid", "raids")
                    and self.tools.table.cls(ident) not in GROUND_SIDES | {"gov"}
                ):
                    kind = Act.air_strike  # "Russian raids": a foreign force here flies
                results.append((kind, ident, self._offsets(w0, w1)))
        own = tuple(self._mentions(s, e))
        if not results and not own:
            return None  # neither an act nor a place: nothing to read
        cs, ce = self.doc[s].idx, self.doc[e - 1].idx + len(self.doc[e - 1].text)
        span = (self.offset + cs, self.offset + ce)
        mentions = own or previous
        words = set(self.lower[s:e])
        hedged = bool((words - {"claim", "claims", "claimed"}) & HEDGE_WORDS) or (
            bool(words & {"claim", "claims", "claimed"})
            and not words & {"lives", "life", "responsibility"}
        )
        hedged = hedged or "said to be" in self.text[cs:ce].lower()
        unidentified = any(
            self._prev(t[1], frozenset({"the", "an", "a"}))[0] in UNKNOWN for t in triggers
        )
        return Clause(
            span, tuple(dict.fromkeys(results)), tuple(victims), mentions, aggregate,
            hedged, hard, unidentified,
        )  # fmt: skip

    def _offsets(self, w0: int, w1: int) -> tuple[int, int]:
        """Character offsets (in the piece's text) of tokens w0..w1."""
        end = self.doc[w1 - 1]
        return (self.offset + self.doc[w0].idx, self.offset + end.idx + len(end.text))

    def _killed_by(self, a0: int) -> bool:
        """The actor at a0 follows "killed by" / "wounded by" (the killing is its act)."""
        word, j = self._prev(a0)
        return word == "by" and self._prev(j, frozenset())[0] in KILLED_BY

    def _coordinated(self, triggers: list[tuple[str, int, int]]) -> dict[int, int]:
        """Trigger starts to the first of their coordination ("bombardment and shelling")."""
        group: dict[int, int] = {}
        for a, b in zip(triggers, triggers[1:], strict=False):
            if b[1] == a[2] + 1 and self.lower[a[2]] in ("and", ",", "/", "&"):
                group[b[1]] = group.get(a[1], a[1])
        return group

    def _acts(self, triggers: list[tuple[str, int, int]]) -> list[tuple[Act, int | None]]:
        found: list[tuple[Act, int | None]] = []
        # "drop a warplane", "shot down a helicopter": the aircraft was hit, it did not strike;
        # "aircraft fly over the city": it was seen, it struck nothing
        triggers = [
            t
            for t in triggers
            if not (
                self.lower[t[1]] in AIRCRAFT
                and (
                    {self._prev(t[1], AIRCRAFT_DETERMINERS)[0]} & AIRCRAFT_LOST
                    or self.lower[t[2] : t[2] + 1] in (["crashed"], ["crashes"], ["crash"])
                    or self._next(t[2]) in AIRCRAFT_FLYING
                )
            )
        ]
        if any(label.startswith("ACT_") for label, _, _ in triggers):
            triggers = [t for t in triggers if t[0].startswith("ACT_")]
        # "warplanes intensify bombardment", "helicopters carry out strikes": a generic word
        # for fire whose subject is an aircraft is the aircraft's act, not a second one
        # and so is a word for fire right after an aircraft ("warplanes shelling")
        if any(self.lower[t[1]] in AIRCRAFT for t in triggers):
            flown = {t[2] for t in triggers if self.lower[t[2] - 1] in AIRCRAFT}
            triggers = [
                t
                for t in triggers
                if ACTS_BY_LABEL.get(t[0]) is Act.air_strike
                or not ((t[2] - t[1] == 1 and self.lower[t[1]] in GENERIC_FIRE) or t[1] in flown)
            ]
        for label, start, _ in triggers:
            act = ACTS_BY_LABEL.get(label)
            if act is Act.clash and self.lower[start] in ONE_SIDED:
                act = Act.attack  # "regime forces ambush rebels": one side's act
            if act is not None:
                found.append((act, start))
        kinds = {a for a, _ in found}
        if kinds - {Act.attack}:
            found = [x for x in found if x[0] is not Act.attack]
        seen: dict[Act, int | None] = {}
        for act, first in found:
            seen.setdefault(act, first)
        return list(seen.items())

    def _role(
        self,
        actor: tuple[int, int, str, str],
        s: int,
        e: int,
        triggers: list[tuple[str, int, int]],
        kills: list[tuple[str, int, int]],
    ) -> tuple[str, int | None]:
        """`victim`, `agent` (with the trigger it is bound to, if any), `area` or `none`."""
        a0, a1, _, words = actor
        after = self.lower[a1 : min(e, a1 + 4)]
        before, b_at = self._prev(a0)
        # "rebel-held", "regime-controlled": who holds a place
        if after[:2] in (["-", "held"], ["-", "controlled"], ["-", "besieged"]) or (
            after[:1] and after[0] in ("held", "controlled", "besieged")
        ):
            return "area", None
        # "between X and Y", "with X": the sides of a fight
        if before in ("between", "with") or (before == "and" and self._between_before(b_at, s)):
            return "none", None
        # "by X": who acted, unless held/backed by
        if before == "by" and b_at > s:
            head, _ = self._prev(b_at, frozenset())
            if head not in NOT_AGENT_BY and not self._victim_after(a1, e):
                return "agent", self._trigger_before(b_at, triggers)
            return "none", None
        # "on X", "targeting X", "against X": who was hit
        if before in TARGET_BEFORE:
            return "victim", None
        # "members of X", "losses among X", "fighters from X"; "shelling of X" names who acted
        if before in ("of", "among", "from", "amongst"):
            head, h_at = self._prev(b_at, frozenset({"the", "'s"}))
            if before == "among" or head in VICTIM_NOUNS or head in TARGET_NOUNS:
                return "victim", None
            if head in AGENT_HEADS and not self._victim_after(a1, e):
                return "agent", self._trigger_at_or_before(h_at, triggers)
            return "none", None
        # a number before: "21 X soldiers", "including 13 X members"
        if self._counted(a0, s):
            return "victim", None
        # "X positions", "X fighters were killed", "X losses"
        if self._victim_after(a1, e) or self._loss_after(a1, e):
            return "victim", None
        # object of an active verb: "kills 5 X", "killing X members"
        if self._object_of_kill(a0, s):
            return "victim", None
        # the actor names the act ("regime warplanes", "regime artillery") or comes right
        # before it ("regime shelling", "IS suicide bomber")
        for _, t0, _ in triggers:
            if a0 <= t0 < a1:
                if self._loss_after(a1, e):
                    return "victim", None
                return "agent", t0
            gap = self.lower[a1:t0]
            if 0 <= t0 - a1 <= 2 and all(w in ("'s", "'", "-", "air", "artillery") for w in gap):
                return "agent", t0
        # subject: "X shelled ...", "X renew targeting", "IS push killed 49 soldiers"
        j = a1
        while (
            j < e
            and j - a1 <= 3
            and (
                self.lower[j] in SUBJECT_GAP or self.doc[j].is_space or self.lower[j] in ('"', "'")
            )
        ):
            j += 1
        if j < e and self.lower[j] == "and":  # "the regime forces and Hezbollah shell ..."
            partner = [
                x
                for x in self.actors
                if x[0] == j + 1 or (x[0] == j + 2 and self.lower[j + 1] == "the")
            ]
            if partner:
                j = partner[0][1]
                while j < e and j - partner[0][1] <= 2 and self.lower[j] in SUBJECT_GAP:
                    j += 1
        verb = self._next(j)
        if verb in ("claims", "claimed", "claim") and self._next(j + 1) == "responsibility":
            return "agent", None  # "IS claims responsibility for the bombing"
        if j < e and verb in ACTIVE_VERBS:
            if verb in ("killed", "executed", "shot") and not self._has_object(j + 1, e):
                return "victim", None
            return "agent", None
        if (
            j + 1 < e
            and self.lower[j + 1] in ("killed", "kills", "kill")
            and self._has_object(j + 2, e)
        ):
            if self.lower[j] in ("push", "attack", "offensive", "assault", "bombardment", "fire"):
                return "agent", None
        return "none", None

    def _between_before(self, and_at: int, s: int) -> bool:
        for k in range(and_at - 1, max(s - 1, and_at - 8), -1):
            if self.lower[k] == "between":
                return True
        return False

    def _victim_after(self, a1: int, e: int) -> bool:
        after = self.lower[a1 : min(e, a1 + 3)]
        if not after:
            return False
        if after[0] in ("'s", "'"):
            after = after[1:]
        if after and after[0] in TARGET_NOUNS:
            return True
        if after and after[0] in VICTIM_NOUNS:
            return self._loss_after(a1 + 1, e) or after[0] in ("losses", "casualties", "dead")
        return bool(after) and after[0] in ("losses", "casualties")

    def _loss_after(self, i: int, e: int) -> bool:
        """A verb of loss follows: "(fighters) were killed", "died", "lost"."""
        j = i
        while (
            j < e
            and j - i <= 3
            and self.lower[j] not in LOSS_WORDS
            and (self.lower[j] in LOSS_AUX or self.lower[j] in VICTIM_NOUNS)
        ):
            j += 1
        if j >= e or self.lower[j] not in LOSS_WORDS:
            return False
        if self.lower[j] in ("killed", "lost", "captured") and self._has_object(j + 1, e):
            return False  # "X killed 5 rebels": X acted
        return True

    def _has_object(self, i: int, e: int) -> bool:
        """Whether the words after a verb name whom it hit ("killed 5", "killed civilians")."""
        if i >= e:
            return False
        token = self.doc[i]
        word = self.lower[i]
        if token.like_num or word in (
            "at",
            "dozens",
            "tens",
            "hundreds",
            "a",
            "an",
            "several",
            "more",
        ):
            return True
        if any(a[0] == i for a in self.actors):
            return True
        victim_words = {"civilians", "people", "children", "women", "members", "fighters",
                        "soldiers", "persons", "citizens", "residents"}  # fmt: skip
        return word in victim_words

    def _counted(self, a0: int, s: int) -> bool:
        j = a0 - 1
        while j >= s and j >= a0 - 3:
            if self.doc[j].like_num:
                return True
            if self.lower[j] not in ("of", "the", "at", "least", "more", "than", "about", "other"):
                return False
            j -= 1
        return False

    def _object_of_kill(self, a0: int, s: int) -> bool:
        for k in range(a0 - 1, max(s - 1, a0 - 5), -1):
            w = self.lower[k]
            if w in OBJECT_VERBS:
                return True
            if not (
                self.doc[k].like_num
                or w in ("the", "at", "least", "of", "a", "an", "dozens", "tens")
            ):
                return False
        return False

    def _trigger_before(self, i: int, triggers: list[tuple[str, int, int]]) -> int | None:
        earlier = [t for t in triggers if t[2] <= i]
        return earlier[-1][1] if earlier and i - earlier[-1][2] <= 3 else None

    def _trigger_at_or_before(self, i: int, triggers: list[tuple[str, int, int]]) -> int | None:
        for t in triggers:
            if t[1] <= i < t[2]:
                return t[1]
        return None

    def _adjective_agents(
        self, triggers: list[tuple[str, int, int]], actors: list[tuple[int, int, str, str]]
    ) -> list[tuple[str, tuple[int, int], int | None]]:
        """ "Russian air strikes", "Russian and Turkish warplanes", "Turkish shelling"."""
        out: list[tuple[str, tuple[int, int], int | None]] = []
        adjectives = self.tools.table.adjectives
        for _, t0, _ in triggers:
            j = t0 - 1
            while j >= 0 and self.lower[j] in QUOTE_TOKENS:
                j -= 1  # "“Turkish” bombing": the source's quotes around the adjective
            holder = [a for a in actors if a[0] <= t0 < a[1]]
            if holder:  # "Russian and Turkish warplanes": the actor names the act
                j = holder[0][0] - 1
                if j < 1 or self.lower[j] not in ("and", ",", "/"):
                    continue
                j -= 1
            while j >= 0:
                if any(a[0] <= j < a[1] for a in actors):
                    break
                word = self.lower[j]
                text = self.doc[j].text
                key = "us" if text in ("US", "U.S.") else word
                ident = adjectives.get(key) if key not in self.tools.gaz.country_names else None
                if ident and (
                    text[:1].isupper() or key in ("regime", "government", "rebel", "opposition")
                ):
                    before, _ = self._prev(j, QUOTE_TOKENS)
                    if before not in TARGET_BEFORE:
                        out.append((ident, (j, j + 1), t0))
                    j -= 1
                    if j >= 0 and self.lower[j] in ("and", ",", "/"):
                        j -= 1
                        continue
                    break
                break
        return out

    # --- places --------------------------------------------------------------------------

    def _mentions(self, s: int, e: int) -> list[Mention]:
        gaz = self.tools.gaz
        out: list[Mention] = []
        covered: set[int] = set()
        for p0, p1 in self.places:
            if not (s <= p0 < e) or any(a[0] <= p0 < a[1] for a in self.actors):
                continue
            span = self.doc[p0:p1]
            if not _capitalised(span.text):
                continue
            # a one-word fragment of a longer name ("Khan" of "Khan al-Shekh") is no place
            full_end = self._name_end(p1, e)
            if full_end > p1:
                name = self.doc[p0:full_end].text
                covered.update(range(p0, full_end))
                out.append(self._mention(name, tuple(gaz.candidates(name)), p0, full_end))
                continue
            covered.update(range(p0, p1))
            out.append(self._mention(span.text, tuple(gaz.candidates(span.text)), p0, p1))
        # capitalised names after a place word the gazetteer does not know
        for i in range(s, e):
            if (
                i in covered
                or i + 1 >= e
                or not (self.lower[i] in PLACE_PREPS or self.lower[i] in ACTIVE_VERBS)
            ):
                continue
            j = i + 1
            if j + 1 < e and self.lower[j] in ("the", "city", "town", "village"):
                j += 1
            if j + 1 < e and self.lower[j] == "of":
                j += 1
            article = (
                self.lower[j] in _ARTICLES
                and j + 2 < e
                and self.lower[j + 1] == "-"
                and self.doc[j + 2].text[:1].isupper()
            )  # "on al-Waer"
            if j >= e or j in covered or not (self.doc[j].text[:1].isupper() or article):
                continue
            if any(a[0] <= j < a[1] for a in self.actors):
                continue
            end = self._name_end(j + (3 if article else 1), e)
            name = self.doc[j:end].text
            if name.lower() in gaz.country_names:
                continue
            covered.update(range(j, end))
            out.append(self._mention(name, tuple(gaz.candidates(name)), j, end))
        # "the capital", "the provincial capital": a place, though not one a gazetteer knows
        for i in range(s, e):
            if self.lower[i] == "capital" and i not in covered:
                out.append(Mention("the capital", self.tools.capital, "place", True))
        return out

    def _name_end(self, i: int, e: int) -> int:
        """The end of a capitalised name that continues at token i ("al-Shekh", "Kafr Nabl")."""
        j = i
        while j < e:
            text = self.doc[j].text
            low = self.lower[j]
            if low in ("-",) and j + 1 < e:
                j += 1
                continue
            if (
                low in _ARTICLES - {"the"}
                and j + 1 < e
                and (self.doc[j + 1].text[:1].isupper() or self.doc[j + 1].text == "-")
            ):
                j += 1
                continue
            if text[:1].isupper() and text.isalpha() and low not in CITY_WORDS | COUNTRYSIDE:
                if low in ("and", "in", "on") or any(a[0] == j for a in self.actors):
                    break
                j += 1
                continue
            if re.match(r"^(al|el|ash|as|ar|ad|at|az|an)-[A-Za-z]", text):
                j += 1
                continue
            break
        return j

    def _mention(self, name: str, places: tuple[Place, ...], p0: int, p1: int) -> Mention:
        before = self.lower[max(0, p0 - 3) : p0]
        after = self.lower[p1 : p1 + 1]
        governorate_words = (after and after[0] in COUNTRYSIDE) or any(
            w in COUNTRYSIDE for w in before
        )
        # "south of Aleppo": around the city, in its governorate; "eastern Aleppo" may be
        # the city's east or the governorate's (both kept)
        around = len(before) >= 2 and before[-1] == "of" and before[-2] in CARDINALS
        cardinal = bool(before) and before[-1] in CARDINALS
        city_only = bool(after and after[0] in CITY_WORDS) or (
            len(before) >= 2 and before[-1] == "of" and before[-2] in CITY_WORDS
        )
        rural = (
            bool(after and after[0] in RURAL)
            or bool(before and before[-1] in RURAL)
            or (len(before) >= 2 and before[-1] == "of" and before[-2] in RURAL)
        )
        if places and all(p.is_governorate for p in places):
            # a governorate's own name ("Rif Dimashq", "Damascus countryside", "Rural Hama")
            words = name.lower().split()
            outside = rural or bool(set(words[:1] + words[-1:]) & RURAL)
            return Mention(name, places, "governorate", False, outside)
        if rural:
            # "Damascus countryside" is a governorate of its own (Rural Damascus)
            word = after[0] if after and after[0] in RURAL else "countryside"
            own = [p for p in self.tools.gaz.candidates(f"{name} {word}") if p.is_governorate]
            if own:
                return Mention(name, tuple(own), "governorate", False, True)
        has_governorate = any(p.is_governorate for p in places)
        # "Aleppo city and its countryside": the whole governorate, the city with it
        rest = self.lower[p1 : p1 + 4]
        if rest and rest[0] in CITY_WORDS:
            rest = rest[1:]
        if rest[:2] in (["and", "its"], ["and", "their"]) and rest[2:3] and rest[2] in RURAL:
            base = re.sub(r"\s+(?:city|town)$", "", name, flags=re.IGNORECASE)
            seat = [p for p in self.tools.gaz.candidates(base) if p.is_governorate]
            if seat:
                return Mention(name, tuple(seat), "governorate", False)
            return Mention(name, places, "place", False)
        if (governorate_words or around) and has_governorate and not city_only:
            governorates = tuple(p for p in places if p.is_governorate)
            return Mention(name, governorates, "governorate", False, rural)
        if places and all(p.kind == "country" for p in places):
            return Mention(name, places, "country", False)
        return Mention(name, places, "place", city_only and not cardinal)


def _capitalised(text: str) -> bool:
    for word in re.split(r"[\s\-]+", text):
        if word.lower() in _ARTICLES:
            continue
        return word[:1].isupper()
    return False


def _longest(hits: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Non-overlapping hits, strong acts before weak words, longest first."""

    def key(hit: tuple[str, int, int]) -> tuple[int, int, int]:
        return (1 if hit[0].startswith("WEAK") else 0, -(hit[2] - hit[1]), hit[1])

    chosen: list[tuple[str, int, int]] = []
    taken: set[int] = set()
    for hit in sorted(set(hits), key=key):
        if any(i in taken for i in range(hit[1], hit[2])):
            continue
        chosen.append(hit)
        taken.update(range(hit[1], hit[2]))
    return sorted(chosen, key=lambda h: h[1])


def _hard_pieces(text: str) -> list[tuple[int, int]]:
    """Character spans between `;`, sentence ends, " - " joins and ": " labels."""
    out: list[tuple[int, int]] = []
    start = 0
    for match in _HARD.finditer(text):
        out.append((start, match.start()))
        start = match.end()
    out.append((start, len(text)))
    trimmed = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1] in " \t\n.,":
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


# The row's place -------------------------------------------------------------------------


@dataclass(frozen=True)
class RowPlace:
    names: tuple[str, ...]  # the place's own names (as written, without "town" etc.)
    ids: frozenset[str]  # gazetteer ids it may be
    admin2_names: tuple[str, ...]
    admin2: str  # district code, "" if unknown
    admin1: str  # governorate code, "" if unknown
    point: tuple[float, float] | None
    city: bool = False  # the place is a city (its neighbourhoods are in it)


def _strip(name: str) -> str:
    words = [w for w in re.split(r"\s+", name.strip()) if w]
    while words and words[-1].lower() in _SUFFIXES:
        words.pop()
    while words and words[0].lower() in ("markaz", "mintaqat"):
        words.pop(0)
    return " ".join(words)


@lru_cache(maxsize=20_000)
def _row(place: str, admin2: str, admin1: str, region: Region) -> RowPlace:
    gaz = _tools(region).gaz
    admin1_code = _governorate_code(_strip(admin1), region)
    names = tuple(n for n in dict.fromkeys(_strip(x) for x in place.split("/")) if n)
    ids: set[str] = set()
    point = None
    for n in names:
        found = [p for p in gaz.candidates(n) if not p.is_governorate]
        if admin1_code:
            found = [p for p in found if p.admin1 == admin1_code]
        ids.update(p.id for p in found)
        if found and point is None:
            point = (found[0].lon, found[0].lat)
    a2 = _strip(admin2)
    admin2_code = ""
    for pid in ids:
        if gaz.places[pid].admin2:
            admin2_code = gaz.places[pid].admin2
            break
    if a2 and not admin2_code:
        for p in gaz.candidates(a2):
            if (
                not p.is_governorate
                and p.rank <= 3
                and (not admin1_code or p.admin1 == admin1_code)
            ):
                admin2_code = p.admin2
                break
    city = any(gaz.places[i].kind == "city" for i in ids)
    return RowPlace(
        names, frozenset(ids), (a2,) if a2 else (), admin2_code, admin1_code, point, city
    )


@lru_cache(maxsize=1_000)
def _governorate_code(name: str, region: Region) -> str:
    """The code of the governorate a name (UCDP `adm_1` without "Governorate") is."""
    if not name:
        return ""
    gaz = _tools(region).gaz
    for p in gaz.candidates(name):
        if p.is_governorate:
            return p.id
    spellings: dict[str, list[str]] = {}
    for key, ids in gaz.by_name.items():
        for pid in ids:
            spellings.setdefault(pid, []).append(key)
    for p in gaz.places.values():
        if p.is_governorate and any(same_name(k, name) for k in [p.name, *spellings[p.id]]):
            return p.id
    return ""


#: Words that may stand between places of one list ("Hama and Idlib countrysides").
LIST_GLUE = frozenset(
    "and , the of countryside countrysides province provinces governorate governorates "
    "city cities areas area rural western eastern northern southern".split()
)


def _listed_with(words: str, one: str, other: str) -> bool:
    """Whether two place names stand in one list in the clause's words."""
    lower = words.lower()
    a, b = lower.find(one.lower()), lower.find(other.lower())
    if a < 0 or b < 0:
        return False
    if a > b:
        a, b, one = b, a, other
    between = re.findall(r"[\w']+|,", lower[a + len(one) : b])
    return all(w in LIST_GLUE for w in between)


def _level(clause: Clause, row: RowPlace, words: str) -> tuple[int, bool, bool]:
    """How finely the clause names the row's place (3 the place, 2 its district or the area
    around it, 1 its governorate, 0 not at all), whether it names another place, and
    whether that other place counts against the row's: a governorate listed with the row's
    ("air strikes on Idlib and Homs") does not, since the clause is about both."""
    best = 0
    other = here = False
    levels = [(m, _mention_level(m, row)) for m in clause.mentions]
    own = [m for m, level in levels if level == 1]
    for m, level in levels:
        best = max(best, level)
        if level == 0 and m.level != "country":
            other = True
            elsewhere = (
                bool(row.admin1)
                and bool(m.places)
                and all(p.admin1 != row.admin1 and p.id != row.admin1 for p in m.places)
            )
            listed = elsewhere and any(_listed_with(words, g.text, m.text) for g in own)
            here = here or not listed
        if level == 1 and m.level == "place" and not any(p.is_governorate for p in m.places):
            other = here = True
    return best, other, here


def _may_be_in(m: Mention, row: RowPlace) -> bool:
    """The mention may be a place of the row's governorate (or the gazetteer cannot say);
    never the countryside of the row's own city."""
    if _outside_city(m, row):
        return False
    if not m.places or not row.admin1 or m.level == "country":
        return True
    return any(p.admin1 == row.admin1 or p.id == row.admin1 for p in m.places)


def _mention_level(m: Mention, row: RowPlace) -> int:
    if m.level == "country":
        return 0
    ids = {p.id for p in m.places}
    if m.level == "place":
        if ids & row.ids or any(same_name(m.text, n) for n in row.names):
            return 3
        # the district by its name, or by its centre ("Douma" for Duma district), unless the
        # name is the governorate's too ("Idlib" for Markaz Idlib district): that is level 1
        capital = any(p.is_governorate or p.rank <= 1 for p in m.places)
        if not capital and any(same_name(m.text, n) for n in row.admin2_names):
            return 2
        if row.admin2 and any(
            p.admin2 == row.admin2 and p.rank == 2 and not p.is_governorate for p in m.places
        ):
            return 2
        if (
            row.city
            and row.admin2
            and any(p.kind == "neighbourhood" and p.admin2 == row.admin2 for p in m.places)
        ):
            return 2  # a neighbourhood of the row's city
        if row.point is not None:
            for p in m.places:
                if p.kind in ("region", "area") and _km(p, row.point) <= p.radius_km + 5:
                    return 2
        if not m.city_only and row.admin1 and row.admin1 in ids:
            return 1  # "Aleppo", "Homs": the governorate's own name
        if (
            not m.city_only
            and row.admin1
            and m.places
            and all(p.admin1 == row.admin1 and p.kind in ("region", "area") for p in m.places)
        ):
            return 1
        return 0
    # a governorate ("Idlib countryside", "western Aleppo"); the countryside of a city is
    # not the city ("the countryside of Aleppo" for a row in Aleppo city)
    if _outside_city(m, row):
        return 0
    return 1 if row.admin1 and row.admin1 in ids else 0


def _outside_city(m: Mention, row: RowPlace) -> bool:
    """ "the countryside of Homs" for a row in Homs city; "Damascus countryside" for one in
    Damascus."""
    return m.countryside and row.city and any(same_name(m.text, n) for n in row.names)


def _km(p: Place, point: tuple[float, float]) -> float:
    import math

    lon, lat = point
    dx = (p.lon - lon) * math.cos(math.radians((p.lat + lat) / 2)) * 111.32
    dy = (p.lat - lat) * 110.57
    return math.hypot(dx, dy)


__all__ = ["RowPlace", "name_key", "read_source_text", "same_name"]
