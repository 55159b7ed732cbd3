"""A region's administrative boundaries, and matching place names to them.

Datasets spell places their own way (UCDP "Latakia governorate"; OCHA
"Lattakia"). Names are compared after dropping admin words, articles and
vowels, with the region's short table of true synonyms for names that no
spelling rule can bridge (`boundaries.synonyms` in its region.yaml).
Which region: the code's (`bundled:<code>`), else the workspace's.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ceasefire.core.errors import InputError
from ceasefire.core.incidents import Area
from ceasefire.regions import (
    Region,
    available_regions,
    default_region,
    load_region,
    read_json,
    region_for_code,
)

#: Words that say what kind of unit a name is, in any region; a region adds its own
#: (`boundaries.admin_words` in its region.yaml: transliterated ones, say).
ADMIN_WORDS = (
    "governorate", "province", "district", "subdistrict", "sub district", "city", "region",
    "country",
)  # fmt: skip


@cache
def _spelling(region: Region) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """The region's admin words and articles (`boundaries.articles`), as patterns."""
    words = sorted({*ADMIN_WORDS, *region.admin_words}, key=len, reverse=True)
    admin = re.compile(rf"\b({'|'.join(re.escape(w) for w in words)})\b")
    articles = sorted(region.articles, key=len, reverse=True)
    article = re.compile(rf"\b({'|'.join(re.escape(a) for a in articles)})\b") if articles else None
    return admin, article


def _plain(name: str, admin: re.Pattern[str]) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"['’‘`]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = admin.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def place_key(name: str, region: Region | None = None) -> str:
    """A loose key: admin words, articles, vowels and doubled letters do not matter.

    Admin words, articles and synonyms are the region's (the workspace's by default).
    """
    region = region or default_region()
    admin, article = _spelling(region)
    text = _plain(name, admin)
    text = region.synonyms.get(text, text)
    if article is not None:
        text = article.sub(" ", text)
    text = re.sub(r"h\b", "", text)  # Hamah / Hama, Raqqah / Raqqa
    text = re.sub(r"[aeiouy\s]", "", text)
    return re.sub(r"(.)\1+", r"\1", text)


def boundary_text(path: Path) -> str:
    """One region boundary file as text (a path from `Region.boundaries` or `base_layers`)."""
    return path.read_text(encoding="utf-8")


@cache
def _features(path: Path) -> list[dict[str, Any]]:
    data = read_json(path)
    try:
        return list(data["features"])
    except (KeyError, TypeError):
        raise InputError("must be a GeoJSON FeatureCollection", file=str(path)) from None


@dataclass(frozen=True)
class AdminUnit:
    code: str
    name: str
    level: int  # 0 the country, 1 and 2 its admin levels (governorate, district)
    parent: str | None
    geometry: BaseGeometry
    kind: str = ""  # what the region calls a unit of this level ("governorate")

    def area(self) -> Area:
        kind = f" {self.kind}" if self.level and self.kind else ""
        return Area(self.code, f"{self.name}{kind}", self.geometry)


def admin_units(region: Region | None = None) -> dict[str, AdminUnit]:
    """Every unit of a region (the workspace's by default) by code: `XX`, `XX01`, `XX0101`."""
    return _units(region or default_region())


@cache
def _units(region: Region) -> dict[str, AdminUnit]:
    units: dict[str, AdminUnit] = {}
    country: str | None = None
    for level, path in region.boundary_levels.items():
        for n, feature in enumerate(_features(path)):
            props = feature.get("properties") or {}
            if region.code_property not in props or region.name_property not in props:
                raise InputError(
                    f"needs properties {region.code_property!r} and {region.name_property!r}",
                    file=str(path),
                    record=f"features[{n}]",
                    field="properties",
                )
            geometry = shape(feature["geometry"])
            shapely.prepare(geometry)
            code = str(props[region.code_property]).upper()
            if level == 0:
                country = code
                parent = None
            elif level == 1:
                parent = country
            else:
                value = props.get(region.parent_property)
                parent = str(value).upper() if value else None
            name = str(props[region.name_property])
            kind = region.level_names.get(level, "")
            units[code] = AdminUnit(code, name, level, parent, geometry, kind)
    return units


def admin_unit(code: str) -> AdminUnit | None:
    """The unit with this code in whichever region owns the code; None if none does."""
    region = region_for_code(code)
    return None if region is None else _units(region).get(code.strip().upper())


def bundled_geometry(code: str) -> BaseGeometry:
    """Geometry for a region's country code, an admin-1 or an admin-2 code; KeyError if none."""
    code = code.strip().upper()
    region = region_for_code(code)
    if region is None:
        known = ", ".join(sorted({c for r in available_regions() for c in _codes(r)}))
        raise KeyError(f"no bundled boundary {code!r} (no region has codes starting so: {known})")
    units = _units(region)
    unit = units.get(code)
    if unit is None:
        close = difflib.get_close_matches(code, list(units), n=3)
        hint = f"; close: {', '.join(close)}" if close else ""
        raise KeyError(f"no bundled boundary {code!r} (region {region.id}: {_levels(units)}{hint})")
    return unit.geometry


def _codes(region_id: str) -> tuple[str, ...]:
    return load_region(region_id).country_codes


def _levels(units: dict[str, AdminUnit]) -> str:
    """What codes a region has, as an error hint: `XX, XX01–XX14, or a district code`."""
    parts = []
    for level in sorted({u.level for u in units.values()}):
        codes = sorted(c for c, u in units.items() if u.level == level)
        kind = next(u.kind for u in units.values() if u.level == level) or f"admin {level}"
        if len(codes) == 1:
            parts.append(codes[0])
        elif level == 1:
            parts.append(f"{codes[0]}–{codes[-1]}")
        else:
            parts.append(f"a {kind} code")
    return ", ".join(parts[:-1]) + f", or {parts[-1]}" if len(parts) > 1 else "".join(parts)


class AdminGazetteer:
    """Finds the admin-1 or admin-2 unit (governorate, district) a dataset names."""

    def __init__(self, region: Region | None = None) -> None:
        self.region = region or default_region()
        units = _units(self.region)
        self._by_level: dict[int, list[AdminUnit]] = {1: [], 2: []}
        for unit in units.values():
            if unit.level in self._by_level:
                self._by_level[unit.level].append(unit)
        self._countries = [u for u in units.values() if u.level == 0]
        self._keys = {
            level: {place_key(u.name, self.region): u for u in members}
            for level, members in self._by_level.items()
        }

    @property
    def country(self) -> AdminUnit:
        """The region's level-0 unit, for events known only to be in the country."""
        if not self._countries:
            raise KeyError(f"region {self.region.id!r} has no level-0 boundary")
        return self._countries[0]

    def _find(self, name: str, level: int, parent: str | None = None) -> AdminUnit | None:
        if not name or not name.strip():
            return None
        key = place_key(name, self.region)
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


def land(region: Region | None = None) -> BaseGeometry | None:
    """Land in a region (the workspace's by default): where events can happen.

    None when the region names no land outlines: then the engine counts the whole disc.
    """
    return _land(region or default_region())


@cache
def _land(region: Region) -> BaseGeometry | None:
    if region.land_outlines is None:
        return None
    features = _features(region.land_outlines)
    replace = dict(region.land_replace)
    # The region's own coast comes from its level-0 boundary, so zones and mask agree there.
    kept = [
        f
        for f in features
        if not replace
        or any(str((f.get("properties") or {}).get(k)) != v for k, v in replace.items())
    ]
    parts = [shape(f["geometry"]) for f in kept]
    if replace:
        parts += [u.geometry for u in _units(region).values() if u.level == 0]
    merged = shapely.union_all(parts)
    shapely.prepare(merged)
    return merged


def gazetteer(region: Region | None = None) -> AdminGazetteer:
    """The admin-unit gazetteer of a region (the workspace's by default), built once."""
    return _gazetteer(region or default_region())


@cache
def _gazetteer(region: Region) -> AdminGazetteer:
    return AdminGazetteer(region)
