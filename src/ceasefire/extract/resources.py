"""Data the extractor ships with: the actor dictionary and the gazetteer.

Both are read once (cached). Actor names come from `data/extract/actors.yaml`
and from the actors of the bundled demo agreement file, so extracted actor ids
are the ids agreements use. Places come from `data/extract/gazetteer.csv`
(built by `tools/build_gazetteer.py`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

#: Classes an actor is counted in (the benchmark's perpetrator classes and more).
CLASSES = ("government", "opposition", "is", "nusra", "coalition", "sdf", "turkey", "other")

#: Words that are place names somewhere in Syria but ordinary words in English text.
PLACE_STOPLIST = frozenset(
    """
    hole mare dana salt zone post camp farm mill well wells station bridge junction base hill
    hills road new old city town village centre center north south east west eastern western
    northern southern central upper lower great little big small red white black green blue
    march may june july august april sham court school market hospital mosque church
    al el as ar an at ad ash az ain ein tal tell deir dayr kafr beit bab jabal jebel ras umm abu
    tuesday monday wednesday thursday friday saturday sunday mission union free front army
    islam islamic state jordan iraq israel turkey lebanon russia iran arab kurd kurds
    syrian damascus-based victoria sport prison hamdan mahmoud mohammed mohammad ahmad ahmed
    ali hassan hussein omar khaled khalid yousef youssef ibrahim salim saleh jamal nasser
    rami sheikh
    """.split()
)


def fold(text: str) -> str:
    """Accents off, typographic apostrophes to `'` ("Dūmā" -> "Duma")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    for ch in "ʿʼ‘’`´":
        text = text.replace(ch, "'")
    return text


def _data(*parts: str) -> Any:
    return resources.files("ceasefire").joinpath("data", *parts)


# Actors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorInfo:
    id: str
    name: str
    cls: str  # one of CLASSES or "source"
    is_source: bool = False


@dataclass
class ActorTable:
    """Actor ids, their classes, names to match, and nationality adjectives."""

    actors: dict[str, ActorInfo] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # surface name -> id
    adjectives: dict[str, str] = field(default_factory=dict)
    agent_nouns: frozenset[str] = frozenset()
    fighter_nouns: frozenset[str] = frozenset()

    def cls(self, actor_id: str | None) -> str:
        """The side an actor counts on; `unknown` for none."""
        if not actor_id:
            return "unknown"
        info = self.actors.get(actor_id)
        return info.cls if info else "other"


def _names_variants(name: str) -> list[str]:
    """The name, and the same without apostrophes (news copy often drops them)."""
    out = [name.strip()]
    if "'" in name or "’" in name:
        out.append(name.replace("’", "").replace("'", ""))
    folded = fold(name)
    if folded != name:
        out.append(folded)
    return [n for n in dict.fromkeys(out) if n]


@cache
def actor_table() -> ActorTable:
    """The extractor's actors: demo agreement actors plus `actors.yaml`."""
    with _data("extract", "actors.yaml").open("r", encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    with _data("demo", "syria-2016.yaml").open("r", encoding="utf-8") as handle:
        demo = yaml.safe_load(handle)
    table = ActorTable()
    parents: dict[str, list[str]] = {}
    own_class: dict[str, str] = {}
    for entry in spec["actors"]:
        own_class[entry["id"]] = entry["class"]
    for entry in demo.get("actors", []):
        ident = entry["id"]
        parents[ident] = list(entry.get("member_of") or [])
        table.actors[ident] = ActorInfo(ident, entry["name"], own_class.get(ident, ""))
        for name in [entry["name"], *(entry.get("aliases") or [])]:
            for variant in _names_variants(str(name)):
                table.names.setdefault(variant, ident)

    def inherited(ident: str, seen: frozenset[str] = frozenset()) -> str:
        if own_class.get(ident):
            return own_class[ident]
        for parent in parents.get(ident, []):
            if parent not in seen:
                found = inherited(parent, seen | {ident})
                if found != "other":
                    return found
        return "other"

    for ident, info in list(table.actors.items()):
        if not info.cls:
            table.actors[ident] = ActorInfo(ident, info.name, inherited(ident))
    for entry in spec["actors"]:
        ident = entry["id"]
        if ident not in table.actors:
            table.actors[ident] = ActorInfo(ident, entry.get("name", ident), entry["class"])
        for name in entry.get("aliases") or []:
            for variant in _names_variants(str(name)):
                table.names[variant] = ident
    for entry in spec.get("sources", []):
        ident = entry["id"]
        table.actors[ident] = ActorInfo(ident, entry["name"], "source", is_source=True)
        for name in [entry["name"], *(entry.get("aliases") or [])]:
            for variant in _names_variants(str(name)):
                table.names[variant] = ident
    table.adjectives = {k.lower(): v for k, v in (spec.get("adjectives") or {}).items()}
    nouns = spec.get("agent_nouns") or {}
    table.agent_nouns = frozenset(n.lower() for n in nouns.get("military", []))
    table.fighter_nouns = frozenset(n.lower() for n in nouns.get("fighters", []))
    return table


# Places ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    kind: str  # governorate, city, town, village, region, neighbourhood, camp, country
    lon: float
    lat: float
    radius_km: float
    admin1: str
    admin2: str
    population: int
    rank: int

    @property
    def is_governorate(self) -> bool:
        return self.kind == "governorate"


#: Syria as a whole, for text that names only the country.
SYRIA = Place("SY", "Syria", "country", 38.5, 35.0, 250.0, "", "", 0, 0)

GOVERNORATE_NAMES = {
    "SY01": "Damascus",
    "SY02": "Aleppo",
    "SY03": "Rural Damascus",
    "SY04": "Homs",
    "SY05": "Hama",
    "SY06": "Lattakia",
    "SY07": "Idleb",
    "SY08": "Al-Hasakeh",
    "SY09": "Deir-ez-Zor",
    "SY10": "Tartous",
    "SY11": "Ar-Raqqa",
    "SY12": "Dar'a",
    "SY13": "As-Sweida",
    "SY14": "Quneitra",
}

_ARTICLE = re.compile(r"^(al|el|ar|as|ash|ad|at|az|an|ath)[- ]", re.IGNORECASE)


def place_variants(name: str) -> list[str]:
    """Spellings of one name as news text writes it (hyphens, articles, accents, apostrophes)."""
    base = fold(name).strip()
    out = {base}
    out.add(base.replace("'", ""))
    for item in list(out):
        out.add(item.replace("-", " "))
        match = _ARTICLE.match(item)
        if match:
            rest = item[match.end() :]
            out.add(f"{match.group(1)}-{rest}")
            out.add(f"{match.group(1)} {rest}")
            if len(rest) >= 5:
                out.add(rest)
    return sorted(v for v in out if len(v) >= 4 and v.lower() not in PLACE_STOPLIST)


@dataclass
class Gazetteer:
    """Places by id and every spelling that names them."""

    places: dict[str, Place] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)  # lower-case spelling -> ids
    surface: list[tuple[str, str]] = field(default_factory=list)  # (key, a written form)

    def candidates(self, text: str) -> list[Place]:
        """Places a span of text may name, biggest first (governorates, then by population)."""
        ids = self.by_name.get(fold(text).lower().strip(), [])
        found = [self.places[i] for i in ids]
        return sorted(found, key=lambda p: (p.rank, -p.population, p.kind != "city"))

    def governorate(self, code: str) -> Place | None:
        return self.places.get(code)

    def add(self, place: Place, names: list[str]) -> None:
        """Index a place under every spelling of its names."""
        self.places[place.id] = place
        for name in names:
            for variant in place_variants(name):
                key = variant.lower()
                if key not in self.by_name:
                    self.by_name[key] = []
                    self.surface.append((key, variant))
                if place.id not in self.by_name[key]:
                    self.by_name[key].append(place.id)


@cache
def gazetteer() -> Gazetteer:
    """The bundled gazetteer, read once."""
    gaz = Gazetteer()
    with _data("extract", "gazetteer.csv").open("r", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            place = Place(
                id=row["id"],
                name=row["name"],
                kind=row["kind"],
                lon=float(row["lon"]),
                lat=float(row["lat"]),
                radius_km=float(row["radius_km"]),
                admin1=row["admin1"],
                admin2=row["admin2"],
                population=int(row["population"] or 0),
                rank=int(row["rank"] or 9),
            )
            names = [row["name"], *filter(None, row["aliases"].split("|"))]
            gaz.add(place, names)
    gaz.add(SYRIA, ["Syria", "Syrias", "Syrian Arab Republic"])
    return gaz
