"""Regions: the data that ties the generic code to one part of the world.

A region is a folder holding a `region.yaml` (its id, name, default time zone,
country codes, map bounds) and the files it names: administrative boundaries,
a gazetteer, an actor dictionary and the base-map layers. Adding a region is
adding a folder, here or in a directory listed in `CEASEFIRE_REGIONS_PATH`;
no code names a region. A workspace works in one region: `CEASEFIRE_REGION`,
else the bundled region whose `region.yaml` says `default: true`.

Only `region.yaml` is read when a region is loaded; the files it names are read
by their users (formats, the extractor, the map), each caching what it builds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ceasefire.core.errors import InputError

#: The folder of the regions shipped with the package.
BUNDLED = Path(__file__).resolve().parent
#: Extra directories of region folders, `os.pathsep`-separated; searched before the bundled ones.
ENV_PATH = "CEASEFIRE_REGIONS_PATH"
#: The id of the workspace's region.
ENV_REGION = "CEASEFIRE_REGION"
REGION_FILE = "region.yaml"


@dataclass(frozen=True)
class Country:
    """The whole country as a place, for text that names only the country."""

    name: str
    lon: float
    lat: float
    radius_km: float
    aliases: tuple[str, ...]
    capital: str = ""  # the capital city's name, for "the capital" in text


@dataclass(frozen=True, eq=False)
class Region:
    """One region's settings and the paths of its data files (read lazily by their users).

    Compared and hashed by identity: `load_region` returns one object per folder, so a
    region can key the caches of the data built from it.
    """

    id: str
    name: str
    timezone: str
    country_codes: tuple[str, ...]
    bounds: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
    folder: Path
    default: bool = False
    attribution: str = ""
    boundary_levels: Mapping[int, Path] = field(default_factory=dict)
    code_property: str = "code"
    name_property: str = "name"
    parent_property: str = "parent"
    level_names: Mapping[int, str] = field(default_factory=dict)
    synonyms: Mapping[str, str] = field(default_factory=dict)
    admin_words: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    land_outlines: Path | None = None
    land_replace: Mapping[str, str] = field(default_factory=dict)
    base_layers: Mapping[str, Path] = field(default_factory=dict)
    gazetteer_path: Path | None = None
    actors_path: Path | None = None
    actor_agreements: tuple[Path, ...] = ()
    country: Country | None = None
    conflict_start: dt.date | None = None
    conflict_names: tuple[str, ...] = ()
    outskirts: Mapping[str, str] = field(default_factory=dict)
    place_stoplist: frozenset[str] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def boundaries(self, level: int) -> Path:
        """The GeoJSON of one admin level; KeyError naming the levels this region has."""
        try:
            return self.boundary_levels[level]
        except KeyError:
            have = ", ".join(str(n) for n in sorted(self.boundary_levels)) or "none"
            raise KeyError(f"region {self.id!r} has no admin level {level} (has {have})") from None

    def owns(self, code: str) -> bool:
        """Whether an admin code (`XX06`) belongs to this region."""
        code = code.strip().upper()
        return any(code.startswith(prefix) for prefix in self.country_codes)

    def describe(self) -> dict[str, Any]:
        """What a page or client needs to know about the region (JSON-ready)."""
        lon_min, lat_min, lon_max, lat_max = self.bounds
        return {
            "id": self.id,
            "name": self.name,
            "timezone": self.timezone,
            "country_codes": list(self.country_codes),
            "bounds": [[lon_min, lat_min], [lon_max, lat_max]],
            "attribution": self.attribution,
        }


# Loading ------------------------------------------------------------------------------


def _search_path() -> tuple[Path, ...]:
    extra = os.environ.get(ENV_PATH, "")
    dirs = [Path(part).expanduser() for part in extra.split(os.pathsep) if part.strip()]
    return (*dirs, BUNDLED)


def _folders(search: tuple[Path, ...]) -> dict[str, Path]:
    """Region id (its folder's name) -> folder; an earlier directory wins."""
    found: dict[str, Path] = {}
    for directory in search:
        if not directory.is_dir():
            continue
        for child in sorted(directory.iterdir()):
            if (child / REGION_FILE).is_file():
                found.setdefault(child.name, child)
    return found


def available_regions() -> list[str]:
    """Ids of every region folder on the search path (`CEASEFIRE_REGIONS_PATH`, bundled)."""
    return sorted(_folders(_search_path()))


def load_region(region_id: str) -> Region:
    """The region with this id; InputError naming the known ids if there is none."""
    return _load(region_id.strip(), _search_path())


@cache
def _load(region_id: str, search: tuple[Path, ...]) -> Region:
    folders = _folders(search)
    folder = folders.get(region_id)
    if folder is None:
        known = ", ".join(sorted(folders)) or "none"
        raise InputError(
            f"no region {region_id!r} (known: {known}; add a folder with a {REGION_FILE} "
            f"to {ENV_PATH})",
            field=ENV_REGION,
        )
    return _parse(folder)


def default_region() -> Region:
    """The workspace's region: `CEASEFIRE_REGION`, else the one marked `default: true`."""
    chosen = os.environ.get(ENV_REGION, "").strip()
    if chosen:
        return load_region(chosen)
    return _default(_search_path())


@cache
def _default(search: tuple[Path, ...]) -> Region:
    marked = [r for r in (_load(i, search) for i in sorted(_folders(search))) if r.default]
    if len(marked) != 1:
        names = ", ".join(r.id for r in marked) or "none"
        raise InputError(
            f"{len(marked)} regions are marked `default: true` ({names}); "
            f"set {ENV_REGION} to choose one",
            field=ENV_REGION,
        )
    return marked[0]


def region_for_code(code: str) -> Region | None:
    """The region whose country codes prefix an admin code (`bundled:XX06` -> XX06).

    The workspace's region is asked first, so that it wins where prefixes overlap;
    the longest matching prefix decides among the others.
    """
    code = code.strip().upper().removeprefix("BUNDLED:")
    if not code:
        return None
    try:
        first = default_region()
    except InputError:
        first = None
    if first is not None and first.owns(code):
        return first
    best: tuple[int, Region] | None = None
    for region_id in available_regions():
        region = load_region(region_id)
        for prefix in region.country_codes:
            if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), region)
    return best[1] if best else None


def read_json(path: Path) -> Any:
    """A region data file as parsed JSON, with the file named in the error."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read region data: {exc}", file=str(path)) from exc


# region.yaml --------------------------------------------------------------------------


class _Spec:
    """Typed access to one region.yaml, with errors naming the file and field."""

    def __init__(self, path: Path, data: Any) -> None:
        if not isinstance(data, dict):
            raise InputError("must be a mapping of settings", file=str(path))
        self.path = path
        self.data = data

    def error(self, name: str, message: str) -> InputError:
        return InputError(message, file=str(self.path), field=name)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name) or {}
        if not isinstance(value, dict):
            raise self.error(name, "must be a mapping")
        return value

    def text(self, name: str, value: Any, default: str | None = None) -> str:
        """A string setting; required when it has no default."""
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, "must be a non-empty string")
        return value.strip()

    def file(self, name: str, value: Any) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, "must be a path relative to the region folder")
        path = (self.path.parent / value).resolve()
        if not path.is_file():
            raise self.error(name, f"file not found: {path}")
        return path

    def files(self, name: str, values: Any) -> dict[Any, Path]:
        if not isinstance(values, dict):
            raise self.error(name, "must be a mapping of names to paths")
        return {key: self.file(f"{name}.{key}", value) for key, value in values.items()}

    def strings(self, name: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(name, "must be a list of strings")
        return tuple(value)


def _parse(folder: Path) -> Region:
    path = folder / REGION_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from exc
    spec = _Spec(path, data)
    top = spec.data
    region_id = spec.text("id", top.get("id"), folder.name)
    if region_id != folder.name:
        raise spec.error("id", f"is {region_id!r} but the folder is {folder.name!r}")
    timezone = spec.text("timezone", top.get("timezone"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise spec.error("timezone", f"{timezone!r} is not an IANA time zone") from None
    codes = tuple(c.upper() for c in spec.strings("country_codes", top.get("country_codes", [])))
    if not codes:
        raise spec.error("country_codes", "is required (the prefixes of the region's codes)")
    bounds = top.get("bounds")
    if (
        not isinstance(bounds, list)
        or len(bounds) != 4
        or not all(isinstance(b, int | float) for b in bounds)
        or not (bounds[0] < bounds[2] and bounds[1] < bounds[3])
    ):
        raise spec.error("bounds", "must be [lon_min, lat_min, lon_max, lat_max]")

    boundaries = spec.section("boundaries")
    levels = spec.files("boundaries.levels", boundaries.get("levels") or {})
    if not all(isinstance(level, int) for level in levels):
        raise spec.error("boundaries.levels", "keys must be admin levels 0, 1, 2, ...")
    land = spec.section("land")
    base = spec.section("base_map")
    actors = spec.section("actors")
    extract = spec.section("extract")
    country_spec = extract.get("country")
    country = None
    if country_spec is not None:
        if not isinstance(country_spec, dict):
            raise spec.error("extract.country", "must be a mapping")
        try:
            country = Country(
                name=str(country_spec["name"]),
                lon=float(country_spec["lon"]),
                lat=float(country_spec["lat"]),
                radius_km=float(country_spec["radius_km"]),
                aliases=spec.strings(
                    "extract.country.aliases", country_spec.get("aliases", [country_spec["name"]])
                ),
                capital=str(country_spec.get("capital") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise spec.error(
                "extract.country", f"needs name, lon, lat, radius_km ({exc})"
            ) from None
    start = extract.get("conflict_start")
    if start is not None and not isinstance(start, dt.date):
        raise spec.error("extract.conflict_start", "must be a date like 2011-03-15")
    return Region(
        id=region_id,
        name=spec.text("name", top.get("name"), region_id),
        timezone=timezone,
        country_codes=codes,
        bounds=(float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3])),
        folder=folder,
        default=bool(top.get("default", False)),
        attribution=spec.text("attribution", top.get("attribution"), ""),
        boundary_levels=MappingProxyType(dict(sorted(levels.items()))),
        code_property=spec.text("boundaries.code", boundaries.get("code"), "code"),
        name_property=spec.text("boundaries.name", boundaries.get("name"), "name"),
        parent_property=spec.text("boundaries.parent", boundaries.get("parent"), "parent"),
        level_names=MappingProxyType(
            {int(k): str(v) for k, v in (boundaries.get("level_names") or {}).items()}
        ),
        synonyms=MappingProxyType(
            {str(k): str(v) for k, v in (boundaries.get("synonyms") or {}).items()}
        ),
        admin_words=tuple(
            w.lower()
            for w in spec.strings("boundaries.admin_words", boundaries.get("admin_words", []))
        ),
        articles=tuple(
            w.lower() for w in spec.strings("boundaries.articles", boundaries.get("articles", []))
        ),
        land_outlines=spec.file("land.outlines", land["outlines"]) if "outlines" in land else None,
        land_replace=MappingProxyType(
            {str(k): str(v) for k, v in (land.get("replace") or {}).items()}
        ),
        base_layers=MappingProxyType(spec.files("base_map", base)),
        gazetteer_path=spec.file("gazetteer", top["gazetteer"]) if "gazetteer" in top else None,
        actors_path=(
            spec.file("actors.dictionary", actors["dictionary"]) if "dictionary" in actors else None
        ),
        actor_agreements=tuple(
            spec.file("actors.agreements", p)
            for p in spec.strings("actors.agreements", actors.get("agreements", []))
        ),
        country=country,
        conflict_start=start,
        conflict_names=spec.strings("extract.conflict_names", extract.get("conflict_names", [])),
        outskirts=MappingProxyType(
            {str(k): str(v) for k, v in (extract.get("outskirts") or {}).items()}
        ),
        place_stoplist=frozenset(
            w.lower()
            for w in spec.strings("extract.place_stoplist", extract.get("place_stoplist", []))
        ),
    )


__all__ = [
    "BUNDLED",
    "ENV_PATH",
    "ENV_REGION",
    "Country",
    "Region",
    "available_regions",
    "default_region",
    "load_region",
    "read_json",
    "region_for_code",
]
