"""The spaCy pipeline: a blank English model, an EntityRuler and Matcher rules.

No trained model is used or downloaded. The pipeline is:

1. the blank English tokenizer;
2. `newline_sentences`: a line break always starts a sentence (headlines);
3. the rule-based `sentencizer`;
4. an `entity_ruler` with ACTOR patterns (the actor dictionary, and
   nationality adjectives before agent nouns: "Russian jets") and PLACE
   patterns (every gazetteer spelling; the entity id is the spelling).

Matcher rules run on the finished document: acts (`ACT_*`, one label per
kind of act, `WEAK_*` for words that only hint at one), casualty verbs
(`KILL`, `INJURE`), number phrases (`NUM`), victims (`VICTIM_CIV`,
`VICTIM_MIL`, `VICTIM_ANY`), attribution (`SAY`, `ACCUSE`, `BLAME`,
`ACCORDING`, `CLAIM_RESP`, `DENY`), protected objects (`OBJ_*`), agreement
statements (`AGR_*`) and their terms (`DURATION`, `OPEN_ENDED`, `EXCLUDE`,
`NOT_COVER`, `COVER`, `BEGIN`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from ceasefire.extract.numbers import ONES, QUALIFIERS, SCALES, TENS, VAGUE
from ceasefire.extract.resources import ActorTable, Gazetteer, actor_table, gazetteer
from ceasefire.regions import Region, default_region

Pattern = list[dict[str, Any]]


def _expand(spec: str) -> list[str]:
    """All phrases a spec stands for: `|` separates alternatives for one word, `?` marks an
    optional word ("air strike|strikes" -> "air strike", "air strikes")."""
    out = [""]
    for word in spec.split():
        optional = word.endswith("?")
        options = word.rstrip("?").split("|")
        grown = [f"{prefix} {option}".strip() for prefix in out for option in options]
        out = grown + out if optional else grown
    return [p for p in dict.fromkeys(out) if p]


def _phrases(*specs: str) -> list[str]:
    """The phrases of several specs, for a PhraseMatcher on lower-case text."""
    return [p for spec in specs for p in _expand(spec)]


# Acts -------------------------------------------------------------------------------------

ACT_PATTERNS: dict[str, list[str]] = {
    "ACT_air_strike": _phrases(
        "airstrike|airstrikes|air-strike|air-strikes|airstrike's",
        "air strike|strikes|raid|raids|attack|attacks|bombardment|bombardments|bombing|bombings",
        "air - strike|strikes|raid|raids",
        "airraid|airraids|air-raid|air-raids",
        "aerial bombardment|bombardments|bombing|bombings|attack|attacks|strike|strikes",
        "barrel bomb|bombs|bombing|bombings",
        "barrel - bomb|bombs|bombing|bombed",
        "barrel-bomb|barrel-bombs|barrel-bombed|barrel-bombing",
        "warplanes|warplane|jets|helicopters|helicopter|gunships|bombers|aircraft "
        "struck|hit|bombed|pounded|targeted|raided|attacked|dropped|launched|carried|fired",
        "vacuum bomb|bombs",
        "cluster bomb|bombs|munitions",
        "incendiary bomb|bombs|weapons|munitions",
    ),
    "ACT_drone_strike": _phrases(
        "drone strike|strikes|attack|attacks", "drone - strike|strikes", "unmanned aircraft"
    ),
    "ACT_missile": _phrases(
        "missile|missiles strike|strikes|attack|attacks",
        "cruise|ballistic|tomahawk|scud|surface-to-surface missile|missiles",
        "tomahawk|tomahawks",
        "missile|missiles",
    ),
    "ACT_mortar": _phrases(
        "mortar|mortars",
        "mortar shell|shells|round|rounds|fire|attack|attacks|bomb|bombs",
    ),
    "ACT_shelling": _phrases(
        "shelling|shellings|shelled|shells|shell",
        "artillery fire|shells|shelling|strikes|attack|attacks|bombardment",
        "rocket|rockets",
        "rocket fire|attack|attacks",
        "grad rocket|rockets",
        "tank fire",
        "barrage|barrages",
        "cannon|cannons",
        "hell cannon|cannons",
        "gas cylinder|cylinders",
        "projectiles|projectile",
        "bombardment|bombardments",
    ),
    "ACT_clash": _phrases(
        "clash|clashes|clashed|firefight|firefights|skirmish|skirmishes|ambush|ambushed",
        "fierce|heavy|intense|street fighting|clashes|battles",
    ),
    "ACT_suicide_bombing": _phrases(
        "suicide bomber|bombers|bombing|bombings|attack|attacks|attacker|attackers|blast|car",
        "suicide bomb|bombs|vest|vests|belt|belts",
        "suicide truck|car bomb|bombs",
        "blew himself|herself|themselves up",
        "detonated his|her|their explosive? vest|vests|belt|belts",
        "self-detonated|self-detonation",
        "explosive belt|belts|vest|vests",
    ),
    "ACT_bombing": _phrases(
        "car bomb|bombs|bombing|bombings",
        "car - bomb|bombs",
        "car-bomb|car-bombs|car-bombing",
        "truck|motorcycle|motorbike|vehicle bomb|bombs",
        "booby-trapped|booby - trapped",
        "booby trapped",
        "explosive device|devices",
        "improvised explosive",
        "ied|ieds",
        "roadside bomb|bombs",
        "landmine|landmines|land-mine|land-mines",
        "land mine|mines",
        "bomb|bombs exploded|explosion|went|blast|attack|attacks",
        "bomb attack|attacks|blast|blasts",
        "twin|double bombings|blasts|explosions|bombing",
        "suicide|car|truck|bomb attack|attacks",
    ),
    "ACT_shooting": _phrases(
        "shot|shooting|shootings|gunfire|gunshot|gunshots|sniper|snipers",
        "shot dead",
        "opened|open fire",
        "sniper fire",
        "machine-gun|machinegun fire",
        "machine - gun fire",
        "gunmen|gunman",
        "bullets|bullet",
    ),
    "ACT_chemical": _phrases(
        "chemical attack|attacks|weapons|weapon|agent|agents|strike|strikes|munitions",
        "chlorine|sarin|mustard",
        "chlorine gas|bombs|barrel|barrels",
        "nerve agent|agents|gas",
        "toxic|poison|poisonous gas|gases|substance|substances|chemicals|agent",
        "gas attack|attacks",
        "organophosphorus",
        "chemical|chemicals",
        "suffocation|asphyxiation",
    ),
    "ACT_execution": _phrases(
        "executed|execution|executions|executing|execute|executes|beheaded|beheading|beheadings",
        "beheads|behead|decapitated|crucified|crucifixion|crucifies|crucify",
        "firing squad",
        "public execution|executions",
        "summary execution|executions",
        "summarily executed|killed",
        "slaughtered",
    ),
    "ACT_abduction": _phrases("kidnapped|abducted|abduction|abductions|kidnapping|kidnappings"),
    "WEAK_attack": _phrases(
        "attack|attacks|attacked|attacking|assault|assaults|massacre|massacres|offensive",
        "struck|targeted|targeting|pounded|pounding|pounds|bombarded|bombarding",
        "counterattack|counterattacks|counter-attack|counteroffensive|fire",
        "raided|stormed",
        "hit|hits",
    ),
    "WEAK_bombing": _phrases("bombed|bombing|bombings|bomb|bombs"),
    "WEAK_shelling": _phrases("artillery|tanks|tank"),
    "WEAK_clash": _phrases("fighting|battles|battle|fought|infighting"),
    "WEAK_explosion": _phrases(
        "explosion|explosions|blast|blasts|exploded|detonated|explosives|detonation",
    ),
    "WEAK_air": _phrases(
        "warplanes|warplane|jets|aircraft|helicopters|helicopter|gunships|bombers",
        "fighter jets",
        "air force",
        "raid|raids|sorties|sortie|strike|strikes",
    ),
}

# Casualties -------------------------------------------------------------------------------

KILL_WORDS = (
    "killed|kill|kills|killing|dead|died|die|dies|dying|death|deaths|perished|slain|"
    "martyred|martyrs|martyr|lives|fatalities|bodies|corpses|massacred|murdered|"
    "killings|lifeless|executed|execute|executes|executing|beheaded|beheads|crucified|"
    "crucifies"
)
INJURE_WORDS = "wounded|injured|hurt|wounding|injuring|injuries|wounds|wound|injury|injures|maimed"
KILL_PATTERNS = _phrases(
    KILL_WORDS, "lost their lives", "lost his life", "lost her life", "gunned down", "shot dead"
)
INJURE_PATTERNS = _phrases(INJURE_WORDS)
_QUAL_WORDS = sorted({w for q, _ in QUALIFIERS for w in q.split()})
_WORD_NUMBERS = sorted({*ONES, *TENS, *SCALES, *VAGUE, "dozen", "score", "hundreds", "-"})
NUM_PATTERNS: list[Pattern] = [
    # "at least 50", "1,500", "2 million"
    [
        {"LOWER": {"IN": _QUAL_WORDS}, "OP": "*"},
        {"TEXT": {"REGEX": r"^\d[\d,.]*$"}},
        {"LOWER": {"IN": ["hundred", "thousand", "million"]}, "OP": "?"},
    ],
    # "more than two hundred", "twenty-five", "dozens", "a dozen"
    [
        {"LOWER": {"IN": _QUAL_WORDS}, "OP": "*"},
        {"LOWER": {"IN": ["a", "an"]}, "OP": "?"},
        {"LOWER": {"IN": _WORD_NUMBERS}, "OP": "+"},
    ],
]
VICTIMS_CIVILIANS = "civilians|civilian"
VICTIMS_CIV = (
    "children|child|kids|women|woman|residents|villagers|students|pupils|"
    "patients|doctors|nurses|medics|paramedics|workers|worshippers|worshipers|journalists|"
    "refugees|babies|baby|infants|infant|girls|girl|boys|boy|elderly|passengers|shoppers|"
    "farmers|teachers|volunteers|rescuers|family|families|relatives|displaced|toddlers|"
    "schoolchildren|mourners|minors|teenagers|teenager|mother|father|brothers|siblings|man|"
    "men|citizens|inhabitants|locals|pedestrians|bystanders|wedding|guests"
)
VICTIMS_MIL = (
    "soldiers|soldier|troops|fighters|fighter|militants|militant|rebels|rebel|jihadists|"
    "jihadist|gunmen|members|member|officers|officer|personnel|terrorists|terrorist|"
    "insurgents|servicemen|recruits|mercenaries|guards|policemen|police|commanders|commander|"
    "attackers|militiamen|combatants|conscripts|pilots|pilot|generals|general|colonel|"
    "leaders|leader|emir|emirs|operatives|loyalists|defenders|army"
)
VICTIMS_ANY = "people|persons|person|individuals|others|victims|lives|bodies|corpses|souls"

# Attribution ------------------------------------------------------------------------------

SAY_PATTERNS = _phrases(
    "said|says|say|told|tells|stated|states|announced|announces|reported|reports|report",
    "added|adds|confirmed|confirms|insisted|insists|alleged|alleges|claimed|claims|claim",
    "quoted|cited|citing|quoting|noted|notes|declared|declares|explained|stressed|warned",
    "documented|documents|estimated|estimates|counted|recorded|tallied|affirmed|asserted",
    "put the death? toll",
    "said in a statement",
)
ACCUSE_PATTERNS = _phrases("accused|accuses|accuse|accusing|charged|charges|charging")
BLAME_PATTERNS = _phrases(
    "blamed|blames|blame|blaming", "attributed|attributes|attributing", "held responsible"
)
ACCORDING_PATTERNS = _phrases("according to", "citing", "quoted by", "reported by")
CLAIM_RESP_PATTERNS = _phrases(
    "claimed|claims|claim responsibility|credit",
    "took|takes|take responsibility",
    "claimed the attack|attacks|bombing|bombings|blast|blasts",
)
DENY_PATTERNS = _phrases("denied|denies|deny|denying|rejected|rejects|dismissed|refuted")

# Protected objects ------------------------------------------------------------------------

OBJECT_PATTERNS: dict[str, list[str]] = {
    "OBJ_hospital": _phrases(
        "hospital|hospitals|clinic|clinics|infirmary",
        "medical|health|healthcare centre|center|centres|centers|facility|facilities|point|"
        "points|clinic",
        "field hospital|hospitals",
    ),
    "OBJ_school": _phrases("school|schools|kindergarten|university|college"),
    "OBJ_market": _phrases("market|markets|marketplace|bazaar|souk"),
    "OBJ_bakery": _phrases("bakery|bakeries", "bread queue|line"),
    "OBJ_mosque": _phrases("mosque|mosques|church|churches|shrine|shrines"),
    "OBJ_consulate": _phrases("consulate|consulates|embassy|embassies"),
    "OBJ_camp": _phrases(
        "refugee|displacement|idp camp|camps", "camp for displaced", "displaced people's? camp"
    ),
    "OBJ_convoy": _phrases("aid|humanitarian|relief convoy|convoys|trucks|warehouse"),
    "OBJ_residential": _phrases(
        "residential area|areas|building|buildings|neighbourhood|neighbourhoods|neighborhood|"
        "neighborhoods|district|districts|compound",
        "homes|houses|apartment|apartments",
    ),
    "OBJ_infrastructure": _phrases(
        "water station|plant|pumping", "power station|plant|plants", "bridge|dam"
    ),
}

# Agreements -------------------------------------------------------------------------------

AGREEMENT_PATTERNS: dict[str, list[str]] = {
    "AGR_regime_of_quiet": _phrases("regime of quiet|silence|calm", "period of calm|quiet"),
    "AGR_cessation_of_hostilities": _phrases("cessation of hostilities", "cessation of violence"),
    "AGR_humanitarian_pause": _phrases(
        "humanitarian pause|pauses|truce|corridor", "humanitarian - pause"
    ),
    "AGR_ceasefire": _phrases(
        "ceasefire|ceasefires|cease-fire|cease-fires",
        "cease - fire|fires",
        "cease fire",
        "de-escalation zone|zones|agreement|deal",
        "de - escalation zone|zones|agreement|deal",
    ),
    "AGR_truce": _phrases("truce|truces|armistice"),
    "AGR_generic": _phrases(
        "the|this|that|a|new|renewed agreement|deal|arrangement|accord|recommitment|plan",
    ),
}
DURATION_UNITS = ["hour", "hours", "day", "days", "week", "weeks", "month", "months"]
DURATION_PATTERNS: list[Pattern] = [
    [{"LIKE_NUM": True}, {"LOWER": "-", "OP": "?"}, {"LOWER": {"IN": DURATION_UNITS}}],
    [
        {"LOWER": {"IN": [*ONES, *TENS, "a"]}},
        {"LOWER": "-", "OP": "?"},
        {"LOWER": {"IN": [*ONES]}, "OP": "?"},
        {"LOWER": "-", "OP": "?"},
        {"LOWER": {"IN": DURATION_UNITS}},
    ],
    [{"TEXT": {"REGEX": r"^\d+-(hour|day|week|month)s?$"}}],
]
TERM_PATTERNS: dict[str, list[str]] = {
    "OPEN_ENDED": _phrases(
        "open-ended|indefinite|indefinitely|unlimited|permanent",
        "open - ended",
        "open ended",
        "no end date",
        "no deadline",
        "no time limit",
        "without a? time limit",
        "without a? deadline|end",
        "without an end date",
    ),
    "EXCLUDE": _phrases(
        "excluded|excluding|exclude|excludes|exclusion",
        "except",
        "except for",
        "not apply|applies to",
        "exempt|exempted",
    ),
    "NOT_COVER": _phrases(
        "not include|includes|cover|covers|covered|included|extend",
        "does|do|did|would|will not include|cover|extend|apply",
        "n't|nt include|cover|extend|apply",
        "doesn't|doesnt|don't|won't|wouldn't|didn't include|cover|extend|apply",
        "excluding|except|outside",
        "leave|leaves|left|leaving out",
        "leave|leaves|left|leaving aside",
    ),
    "COVER": _phrases(
        "cover|covers|covering|covered|include|includes|including|included",
        "extend|extends|extended to",
        "apply|applies to",
        "in|for|across",
    ),
    "BEGIN": _phrases(
        "begin|begins|began|beginning|start|starts|started|starting|effective",
        "take|takes|took|taking effect",
        "came|come|comes|coming into effect|force",
        "go|goes|went into effect|force",
        "implementation|implemented|launched|entered",
        "from",
        "as of",
    ),
    "AGREE_VERB": _phrases(
        "agreed|arranged|brokered|forged|announced|reached|negotiated|signed|accepted|declared",
        "agreed to",
    ),
}


@dataclass(frozen=True)
class Rules:
    """The compiled rules, built once with the pipeline.

    Fixed phrases (acts, casualty words, speech verbs, objects, agreement words and
    terms) are PhraseMatchers on lower-case text; rules with operators (number
    phrases, durations) are token Matchers.
    """

    acts: PhraseMatcher
    casualty_words: PhraseMatcher
    numbers: Matcher
    attribution: PhraseMatcher
    objects: PhraseMatcher
    agreements: PhraseMatcher
    terms: PhraseMatcher
    durations: Matcher


@Language.component("newline_sentences")
def newline_sentences(doc: Doc) -> Doc:
    """A line break starts a new sentence: headlines and datelines stand alone."""
    for i, token in enumerate(doc[:-1]):
        if "\n" in token.text or (token.is_space and "\n" in token.text_with_ws):
            doc[i + 1].is_sent_start = True
        elif token.whitespace_ and "\n" in token.whitespace_:
            doc[i + 1].is_sent_start = True
    return doc


_ACRONYM = re.compile(r"^[A-Z][A-Z.\-]{0,5}$")


def actor_patterns(nlp: Language, table: ActorTable) -> list[dict[str, Any]]:
    """ACTOR patterns: dictionary names, and adjective + agent noun compositions."""
    patterns: list[dict[str, Any]] = []
    for name, ident in table.names.items():
        if _ACRONYM.match(name) or (name.isupper() and len(name) <= 6):
            tokens = [t.text for t in nlp.make_doc(name)]
            patterns.append(
                {"label": "ACTOR", "pattern": [{"ORTH": t} for t in tokens], "id": ident}
            )
        else:
            patterns.append({"label": "ACTOR", "pattern": name, "id": ident})
    nouns = sorted(table.agent_nouns | table.fighter_nouns)
    modifiers = ["", "air ", "ground ", "security ", "special ", "government ", "armed ",
                 "regular ", "elite "]  # fmt: skip
    for adjective, ident in table.adjectives.items():
        if not ident:
            continue
        if adjective in ("us", "u.s.", "us-led", "u.s.-led"):
            head: Pattern = [{"ORTH": t.text} for t in nlp.make_doc(adjective.upper())]
            tail = [{"LOWER": {"IN": nouns}}]
            patterns.append({"label": "ACTOR", "pattern": [*head, *tail], "id": ident})
            continue
        # adjective + agent noun ("Russian jets", "government air force") as plain phrases
        for modifier in modifiers:
            for noun in nouns:
                phrase = f"{adjective} {modifier}{noun}"
                if phrase not in table.names:
                    patterns.append({"label": "ACTOR", "pattern": phrase, "id": ident})
    return patterns


def place_patterns(gaz: Gazetteer) -> list[dict[str, Any]]:
    """PLACE patterns: every spelling in the gazetteer (looked up again by the matched text)."""
    return [{"label": "PLACE", "pattern": spelling} for _, spelling in gaz.surface]


def _phrase_matcher(nlp: Language, groups: dict[str, list[str]]) -> PhraseMatcher:
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for label, phrases in groups.items():
        matcher.add(label, [nlp.make_doc(phrase) for phrase in phrases])
    return matcher


def _matcher(nlp: Language, groups: dict[str, list[Pattern]]) -> Matcher:
    matcher = Matcher(nlp.vocab)
    for label, patterns in groups.items():
        matcher.add(label, patterns)
    return matcher


def load_pipeline(region: Region | None = None) -> tuple[Language, Rules]:
    """The pipeline and its rules for a region (the workspace's by default)."""
    return _pipeline(region or default_region())


@cache
def _pipeline(region: Region) -> tuple[Language, Rules]:
    """Built once per process and region (a second or two): its names are the region's."""
    table = actor_table(region)
    gaz = gazetteer(region)
    nlp = spacy.blank("en")
    nlp.add_pipe("newline_sentences")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": False})
    blockers = [
        {"label": "TERM", "pattern": p}
        for p in ("regime of quiet", "regime of silence", "regime of calm", "regime change")
    ]
    ruler.add_patterns(  # type: ignore[attr-defined]
        actor_patterns(nlp, table) + place_patterns(gaz) + blockers
    )
    rules = Rules(
        acts=_phrase_matcher(nlp, ACT_PATTERNS),
        casualty_words=_phrase_matcher(
            nlp,
            {
                "KILL": KILL_PATTERNS,
                "INJURE": INJURE_PATTERNS,
                "VICTIM_CIVILIANS": _phrases(VICTIMS_CIVILIANS),
                "VICTIM_CIV": _phrases(VICTIMS_CIV),
                "VICTIM_MIL": _phrases(VICTIMS_MIL),
                "VICTIM_ANY": _phrases(VICTIMS_ANY),
                "TOLL": _phrases("toll|tolls", "death toll", "casualty toll"),
            },
        ),
        numbers=_matcher(nlp, {"NUM": NUM_PATTERNS}),
        attribution=_phrase_matcher(
            nlp,
            {
                "SAY": SAY_PATTERNS,
                "ACCUSE": ACCUSE_PATTERNS,
                "BLAME": BLAME_PATTERNS,
                "ACCORDING": ACCORDING_PATTERNS,
                "CLAIM_RESP": CLAIM_RESP_PATTERNS,
                "DENY": DENY_PATTERNS,
            },
        ),
        objects=_phrase_matcher(nlp, OBJECT_PATTERNS),
        agreements=_phrase_matcher(nlp, AGREEMENT_PATTERNS),
        terms=_phrase_matcher(nlp, TERM_PATTERNS),
        durations=_matcher(nlp, {"DURATION": DURATION_PATTERNS}),
    )
    return nlp, rules
