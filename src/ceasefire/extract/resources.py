"""The region data the extractor reads: the actor dictionary and the gazetteer.

Both come from the region (the workspace's unless one is passed) and are read
once per region (cached). Actor names come from the region's actor dictionary
and from the actors of the agreement files its region.yaml lists, so extracted
actor ids are the ids agreements use. Places come from the region's gazetteer
CSV (for the bundled region, built by `tools/build_gazetteer.py`).
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ceasefire.core.errors import InputError
from ceasefire.regions import Region, default_region

#: Classes an actor is counted in (the benchmark's perpetrator classes and more).
CLASSES = ("government", "opposition", "is", "nusra", "coalition", "sdf", "turkey", "other")

#: Words that are place names in many gazetteers but ordinary words in English text; a
#: region adds its own (`extract.place_stoplist` in its region.yaml).
PLACE_STOPLIST = frozenset(
    """
    zone post camp farm mill well wells station bridge junction base hill
    hills road new old city town village centre center north south east west eastern western
    northern southern central upper lower great little big small red white black green blue
    march may june july august april court school market hospital mosque church
    al el as ar an at ad ash az ain ein tal tell deir dayr kafr beit bab jabal jebel ras umm abu
    tuesday monday wednesday thursday friday saturday sunday mission union free front army
    islam islamic state
    """.split()
)


def fold(text: str) -> str:
    """Accents off, typographic apostrophes to `'` ("Dūmā" -> "Duma")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    for ch in "ʿʼ‘’`´":
        text = text.replace(ch, "'")
    return text


def _yaml(path: Path) -> Any:
    try:
        with path.open("r", encoding="utf-8") as handle:
            return yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read region data: {exc}", file=str(path)) from exc


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


def actor_table(region: Region | None = None) -> ActorTable:
    """The extractor's actors in a region: its agreement files' actors plus its dictionary."""
    return _actor_table(region or default_region())


@cache
def _actor_table(region: Region) -> ActorTable:
    spec = _yaml(region.actors_path) if region.actors_path is not None else {}
    declared = [
        entry for path in region.actor_agreements for entry in _yaml(path).get("actors") or []
    ]
    table = ActorTable()
    parents: dict[str, list[str]] = {}
    own_class: dict[str, str] = {}
    for entry in spec.get("actors") or []:
        own_class[entry["id"]] = entry["class"]
    for entry in declared:
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
    for entry in spec.get("actors") or []:
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


_ARTICLE = re.compile(r"^(al|el|ar|as|ash|ad|at|az|an|ath)[- ]", re.IGNORECASE)


def place_variants(name: str, stoplist: frozenset[str] = PLACE_STOPLIST) -> list[str]:
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
    return sorted(v for v in out if len(v) >= 4 and v.lower() not in stoplist)


@dataclass
class Gazetteer:
    """A region's places by id and every spelling that names them.

    `country` is the place for text that names only the country (None when the region
    gives none); `outskirts` maps a city's id to the admin-1 unit its outskirts are in.
    """

    places: dict[str, Place] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)  # lower-case spelling -> ids
    surface: list[tuple[str, str]] = field(default_factory=list)  # (key, a written form)
    stoplist: frozenset[str] = PLACE_STOPLIST
    country: Place | None = None
    outskirts: dict[str, str] = field(default_factory=dict)
    country_names: frozenset[str] = frozenset()  # lower-case spellings of the country

    def candidates(self, text: str) -> list[Place]:
        """Places a span of text may name, biggest first (governorates, then by population)."""
        ids = self.by_name.get(fold(text).lower().strip(), [])
        found = [self.places[i] for i in ids]
        return sorted(found, key=lambda p: (p.rank, -p.population, p.kind != "city"))

    def governorate(self, code: str) -> Place | None:
        return self.places.get(code)

    def governorate_name(self, code: str) -> str | None:
        """The name of the admin-1 unit with this code (None if it is not one)."""
        place = self.places.get(code) if code else None
        return place.name if place is not None and place.is_governorate else None

    def add(self, place: Place, names: list[str]) -> None:
        """Index a place under every spelling of its names."""
        self.places[place.id] = place
        for name in names:
            for variant in place_variants(name, self.stoplist):
                key = variant.lower()
                if key not in self.by_name:
                    self.by_name[key] = []
                    self.surface.append((key, variant))
                if place.id not in self.by_name[key]:
                    self.by_name[key].append(place.id)


def gazetteer(region: Region | None = None) -> Gazetteer:
    """A region's gazetteer (the workspace's by default), read once."""
    return _gazetteer(region or default_region())


@cache
def _gazetteer(region: Region) -> Gazetteer:
    gaz = Gazetteer(
        stoplist=PLACE_STOPLIST | region.place_stoplist, outskirts=dict(region.outskirts)
    )
    if region.gazetteer_path is not None:
        _read_places(gaz, region.gazetteer_path)
    code = region.country_codes[0]
    if region.country is not None:
        c = region.country
        gaz.country = Place(code, c.name, "country", c.lon, c.lat, c.radius_km, "", "", 0, 0)
        gaz.add(gaz.country, list(c.aliases))
    else:
        # No country place given: the region's map bounds, as a disc that covers them.
        lon_min, lat_min, lon_max, lat_max = region.bounds
        lon, lat = (lon_min + lon_max) / 2, (lat_min + lat_max) / 2
        half = math.hypot((lon_max - lon_min) * math.cos(math.radians(lat)), lat_max - lat_min) / 2
        gaz.country = Place(code, region.name, "country", lon, lat, half * 111.32, "", "", 0, 0)
        gaz.add(gaz.country, [region.name])
    ident = gaz.country.id
    gaz.country_names = frozenset(k for k, ids in gaz.by_name.items() if ident in ids)
    return gaz


def _read_places(gaz: Gazetteer, path: Path) -> None:
    try:
        handle = path.open("r", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"cannot read region data: {exc}", file=str(path)) from exc
    with handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                place = Place(
                    id=row["id"],
                    name=row["name"],
                    kind=row["kind"],
                    lon=float(row["lon"]),
                    lat=float(row["lat"]),
                    radius_km=float(row["radius_km"]),
                    admin1=row.get("admin1") or "",
                    admin2=row.get("admin2") or "",
                    population=int(row.get("population") or 0),
                    rank=int(row.get("rank") or 9),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(
                    f"a place needs id, name, kind, lon, lat, radius_km ({exc})",
                    file=str(path),
                    line=line,
                    record=row.get("id"),
                ) from None
            names = [row["name"], *filter(None, (row.get("aliases") or "").split("|"))]
            gaz.add(place, names)
