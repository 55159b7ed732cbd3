"""Bundled administrative boundaries of Syria, and matching place names to them.

Datasets spell places their own way (UCDP "Latakia governorate", "Rif Dimashq
governorate"; OCHA "Lattakia", "Rural Damascus"). Names are compared after
dropping admin words, articles and vowels, with a short table of true synonyms
for names that no spelling rule can bridge.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ceasefire.core.incidents import Area

_ADMIN_WORDS = re.compile(
    r"\b(governorate|province|muhafazah|mohafaza|district|mintaqat|mantiqa|markaz|subdistrict|"
    r"sub district|nahiya|city|region|country)\b"
)
_ARTICLE = re.compile(r"\b(al|el|ar|as|ash|ad|at|az|an|ath|adh)\b")
#: Names no spelling rule joins: (dataset spelling, OCHA English name).
SYNONYMS = {
    "rif dimashq": "rural damascus",
    "reef dimashq": "rural damascus",
    "rif damascus": "rural damascus",
    "damascus countryside": "rural damascus",
    "halab": "aleppo",
    "dimashq": "damascus",
    "ladhiqiyah": "lattakia",
    "latakia": "lattakia",
    "hims": "homs",
    "tartus": "tartous",
    "maarat al numaan": "al mara",
    "maarat al numan": "al mara",
    "maarat an numan": "al mara",
    "maarrat al numan": "al mara",
    "maaret al numan": "al mara",
}


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"['’‘`]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = _ADMIN_WORDS.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def place_key(name: str) -> str:
    """A loose key: admin words, articles, vowels and doubled letters do not matter."""
    text = _plain(name)
    text = SYNONYMS.get(text, text)
    text = _ARTICLE.sub(" ", text)
    text = re.sub(r"h\b", "", text)  # Hamah / Hama, Raqqah / Raqqa
    text = re.sub(r"[aeiouy\s]", "", text)
    return re.sub(r"(.)\1+", r"\1", text)


def boundary_text(name: str) -> str:
    """One bundled boundary file as text (`sy_admin1.geojson`, `region_admin0.geojson`)."""
    path = resources.files("ceasefire").joinpath("data", "boundaries", name)
    return path.read_text(encoding="utf-8")


@cache
def _features(level: str) -> list[dict[str, Any]]:
    return list(json.loads(boundary_text(f"sy_{level}.geojson"))["features"])


@dataclass(frozen=True)
class AdminUnit:
    code: str
    name: str
    level: int  # 0 country, 1 governorate, 2 district
    parent: str | None
    geometry: BaseGeometry

    def area(self) -> Area:
        kind = {0: "", 1: " governorate", 2: " district"}[self.level]
        return Area(self.code, f"{self.name}{kind}", self.geometry)


@cache
def admin_units() -> dict[str, AdminUnit]:
    """Every bundled unit by P-code: `SY`, `SY01`..`SY14`, districts `SY0100`...."""
    units: dict[str, AdminUnit] = {}
    for level, name in ((0, "admin0"), (1, "admin1"), (2, "admin2")):
        for feature in _features(name):
            props = feature["properties"]
            geometry = shape(feature["geometry"])
            shapely.prepare(geometry)
            code = str(props["PCODE"])
            parent = {0: None, 1: "SY", 2: props.get("ADMIN1_COD")}[level]
            units[code] = AdminUnit(code, str(props["NAME_EN"]), level, parent, geometry)
    return units


def bundled_geometry(code: str) -> BaseGeometry:
    """Geometry for `SY`, a governorate P-code or a district P-code; KeyError if none."""
    units = admin_units()
    unit = units.get(code.strip().upper())
    if unit is None:
        close = difflib.get_close_matches(code.upper(), list(units), n=3)
        hint = f"; close: {', '.join(close)}" if close else ""
        raise KeyError(f"no bundled boundary {code!r} (SY, SY01–SY14, or a district P-code{hint})")
    return unit.geometry


class AdminGazetteer:
    """Finds the governorate or district a dataset names."""

    def __init__(self) -> None:
        units = admin_units()
        self._by_level: dict[int, list[AdminUnit]] = {1: [], 2: []}
        for unit in units.values():
            if unit.level in self._by_level:
                self._by_level[unit.level].append(unit)
        self.country = units["SY"]
        self._keys = {
            level: {place_key(u.name): u for u in members}
            for level, members in self._by_level.items()
        }

    def _find(self, name: str, level: int, parent: str | None = None) -> AdminUnit | None:
        if not name or not name.strip():
            return None
        key = place_key(name)
        candidates = {
            k: u for k, u in self._keys[level].items() if parent is None or u.parent == parent
        }
        if key in candidates:
            return candidates[key]
        close = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.8)
        return candidates[close[0]] if close else None

    def governorate(self, name: str) -> AdminUnit | None:
        return self._find(name, 1)

    def district(self, name: str, governorate: str | None = None) -> AdminUnit | None:
        parent = self.governorate(governorate) if governorate else None
        found = self._find(name, 2, parent.code if parent else None)
        if found is None and parent is not None:
            found = self._find(name, 2)
        return found


@cache
def land() -> BaseGeometry:
    """Land in the bundled region (Syria and its neighbours): where events can happen."""
    features = json.loads(boundary_text("region_admin0.geojson"))["features"]
    # Syria's own coast comes from the OCHA outline, so zones and mask agree there.
    neighbours = [f for f in features if f["properties"].get("iso_a3") != "SYR"]
    parts = [shape(f["geometry"]) for f in neighbours] + [admin_units()["SY"].geometry]
    merged = shapely.union_all(parts)
    shapely.prepare(merged)
    return merged


@cache
def gazetteer() -> AdminGazetteer:
    return AdminGazetteer()
