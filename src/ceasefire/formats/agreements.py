"""Agreement files (YAML or JSON) to a validated `Catalogue`.

Every problem is reported with the file, the place in the document
(`agreements[1].start`), the line where YAML gives one, and what is wrong; all
problems in a file are reported together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import shapely
import yaml
from pydantic import ValidationError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.catalogue import Catalogue
from ceasefire.core.errors import InputError, InputErrors
from ceasefire.core.model import Actor, Agreement, AgreementFile, Zone
from ceasefire.core.timing import window, zone_info
from ceasefire.formats.boundaries import bundled_geometry
from ceasefire.formats.sources import Content, Source, is_source, read_source, source_dir

Path_ = tuple[str | int, ...]


try:  # libyaml parses ten times faster (`ceasefire validate` of the demo: 0.3 s to 0.03 s)
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """Safe YAML that leaves dates as text, so a bad date is a clear field error."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lines(node: yaml.Node, path: Path_, into: dict[Path_, int]) -> None:
    into[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _lines(value, (*path, str(key.value)), into)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _lines(value, (*path, index), into)


def read_document(source: Source, name: str | None = None) -> tuple[Any, dict[Path_, int]]:
    """The parsed document and, for YAML, the line of every value.

    `source` is a path, `Content` or a stream; a name ending in `.json` is read
    as JSON, anything else as YAML.
    """
    label, text = read_source(source, name)
    return parse_document(label, text)


def parse_document(name: str, text: str) -> tuple[Any, dict[Path_, int]]:
    """`read_document` for text already read; `name` names it in errors."""
    if name.lower().endswith(".json"):
        try:
            return json.loads(text), {}
        except json.JSONDecodeError as exc:
            raise InputError(f"broken JSON: {exc.msg}", file=name, line=exc.lineno) from exc
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise InputError(
            f"broken YAML: {problem}", file=name, line=mark.line + 1 if mark else None
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"broken YAML: {exc}", file=name) from exc
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return data, lines


def _clean_loc(data: Any, loc: Sequence[str | int]) -> Path_:
    """Pydantic's location minus union tags, so it reads like the document."""
    out: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            out.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            out.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and not _is_tag(part):
            out.append(part)  # a missing or unexpected key
            current = None
    return tuple(out)


def _is_tag(part: str) -> bool:
    return part[:1].isupper() or part in ("str", "int", "float", "dict[str,any]") or "[" in part


def _record(path: Path_) -> str:
    """The record a field belongs to (`agreements[1]`), for the error's record slot."""
    for i, part in enumerate(path):
        if isinstance(part, int):
            return dotted(path[: i + 1])
    return dotted(path[:1]) if path else ""


class _Collector:
    def __init__(self, file: str, lines: dict[Path_, int]) -> None:
        self.file = file
        self.lines = lines
        self.errors: list[InputError] = []

    def add(self, path: Path_, message: str) -> None:
        line = None
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                break
        field_name = str(path[-1]) if path and isinstance(path[-1], str) else None
        self.errors.append(
            InputError(
                message,
                file=self.file,
                record=_record(path) or None,
                field=field_name,
                line=line,
                location=dotted(path) or None,
            )
        )


def _zone_geometry(zone: Zone, base: Path, errors: _Collector, at: Path_) -> BaseGeometry | None:
    geometry = zone.geometry
    try:
        if isinstance(geometry, str) and geometry.startswith("bundled:"):
            return bundled_geometry(geometry.removeprefix("bundled:"))
        if isinstance(geometry, str):
            file = (base / geometry).resolve()
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except FileNotFoundError:
                errors.add((*at, "geometry"), f"GeoJSON file {str(file)!r} not found")
                return None
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                errors.add((*at, "geometry"), f"GeoJSON file {str(file)!r} is broken: {exc}")
                return None
        else:
            data = geometry
        features = _features_of(data)
        if zone.where:
            wanted = {k: str(v) for k, v in zone.where.items()}
            features = [
                f
                for f in features
                if all(str((f.get("properties") or {}).get(k)) == v for k, v in wanted.items())
            ]
            if not features:
                errors.add((*at, "where"), f"no feature has properties {zone.where}")
                return None
        geoms = [shape(f["geometry"]) for f in features if f.get("geometry")]
        if not geoms:
            errors.add((*at, "geometry"), "no geometry found")
            return None
        for g in geoms:
            if not g.is_valid:
                errors.add((*at, "geometry"), f"invalid geometry: {explain_validity(g)}")
                return None
            minx, miny, maxx, maxy = g.bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                errors.add(
                    (*at, "geometry"),
                    f"coordinates out of range for WGS84 longitude, latitude: {g.bounds}",
                )
                return None
        merged = shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]
        if merged.area == 0:
            errors.add((*at, "geometry"), "a zone must be an area (Polygon or MultiPolygon)")
            return None
        return merged
    except KeyError as exc:
        errors.add((*at, "geometry"), str(exc.args[0]) if exc.args else "unknown key")
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
        errors.add((*at, "geometry"), f"invalid GeoJSON: {exc}")
    return None


def _features_of(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise ValueError("not a GeoJSON object")
    kind = data.get("type")
    if kind == "FeatureCollection":
        return list(data.get("features") or [])
    if kind == "Feature":
        return [data]
    return [{"type": "Feature", "properties": {}, "geometry": data}]


def _check_agreement(
    agreement: Agreement,
    at: Path_,
    actors: dict[str, Actor],
    zones: dict[str, Any],
    errors: _Collector,
) -> None:
    try:
        zone_info(agreement.timezone)
    except ValueError as exc:
        errors.add((*at, "timezone"), str(exc))
        return
    if agreement.start.tzinfo is not None:
        errors.add((*at, "start"), "give local time without an offset; `timezone` says where")
    for i, z in enumerate(agreement.zones):
        if z not in zones:
            errors.add((*at, "zones", i), f"unknown zone id {z!r}")
    for i, p in enumerate(agreement.parties):
        actor = p if isinstance(p, str) else p.actor
        if actor not in actors:
            place = (*at, "parties", i) if isinstance(p, str) else (*at, "parties", i, "actor")
            errors.add(place, f"unknown actor id {actor!r}")
    for key in ("excluded", "guarantors", "adjudicators"):
        for i, a in enumerate(getattr(agreement, key)):
            if isinstance(a, str) and a not in actors:
                errors.add((*at, key, i), f"unknown actor id {a!r}")
    try:
        text = window(agreement)
        if text.end <= text.start:
            errors.add((*at, "end"), "end is not after start")
    except ValueError as exc:
        errors.add((*at, "duration"), str(exc))
    for i, reading in enumerate(agreement.readings):
        here = (*at, "readings", i)
        if reading.by not in actors:
            errors.add((*here, "by"), f"unknown actor id {reading.by!r}")
        for j, z in enumerate(reading.zones or []):
            if z not in zones:
                errors.add((*here, "zones", j), f"unknown zone id {z!r}")
        try:
            w = window(agreement, reading)
            if w.end <= w.start:
                errors.add((*here, "end"), "end is not after the agreement's start")
        except ValueError as exc:
            errors.add((*here, "duration"), str(exc))


@dataclass(frozen=True)
class AgreementText:
    """One source as read: its name, its text and the agreements it defines."""

    name: str
    text: str
    agreement_ids: tuple[str, ...]


def load_agreements(sources: Source | Iterable[Source]) -> Catalogue:
    """Load and check agreement files; raises `InputErrors` naming every problem.

    Each source is a path (a `str` is a path), `Content` (text with the name its
    errors give it) or a stream; relative GeoJSON paths in a source are resolved
    from its folder (the current one for content without a folder in its name).
    """
    return load_agreement_texts(sources)[0]


def load_agreement_texts(
    sources: Source | Iterable[Source],
) -> tuple[Catalogue, list[AgreementText]]:
    """`load_agreements`, with the text of each source as it was read.

    For a record that keeps the files it loaded: a stream can be read only once.
    """
    items = [cast(Source, sources)] if is_source(sources) else list(cast(Iterable[Source], sources))
    catalogue = Catalogue()
    all_errors: list[InputError] = []
    parsed: list[tuple[AgreementText, AgreementFile, _Collector]] = []
    actors: dict[str, Actor] = {}
    zone_specs: dict[str, tuple[Zone, Path, Path_, _Collector]] = {}
    for raw in items:
        name, text = read_source(raw)
        data, lines = parse_document(name, text)
        errors = _Collector(name, lines)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            errors.add((), "the file must hold a mapping with `actors`, `zones`, `agreements`")
            all_errors.extend(errors.errors)
            continue
        try:
            document = AgreementFile.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = _clean_loc(data, err["loc"])
                message = err["msg"].removeprefix("Value error, ")
                if err["type"] == "missing":
                    message = "required field is missing"
                elif err["type"] == "extra_forbidden":
                    message = "unknown field"
                errors.add(loc, message)
            all_errors.extend(_unique(errors.errors))
            continue
        for i, actor in enumerate(document.actors):
            if actor.id in actors:
                errors.add(("actors", i, "id"), f"duplicate actor id {actor.id!r}")
            actors[actor.id] = actor
        base = source_dir(raw)
        for i, zone in enumerate(document.zones):
            if zone.id in zone_specs:
                errors.add(("zones", i, "id"), f"duplicate zone id {zone.id!r}")
            zone_specs[zone.id] = (zone, base, ("zones", i), errors)
        read = AgreementText(name, text, tuple(a.id for a in document.agreements))
        parsed.append((read, document, errors))
        catalogue.files.append(name)

    for zone_id, (zone, base, at, errors) in zone_specs.items():
        geometry = _zone_geometry(zone, base, errors, at)
        if geometry is not None:
            catalogue.zones[zone_id] = geometry
            catalogue.zone_specs[zone_id] = zone

    seen_agreements: set[str] = set()
    for _read, document, errors in parsed:
        for i, actor in enumerate(document.actors):
            for j, parent in enumerate(actor.member_of):
                if parent not in actors:
                    errors.add(("actors", i, "member_of", j), f"unknown actor id {parent!r}")
            for j, under in enumerate(actor.recorded_under):
                if under not in actors:
                    errors.add(("actors", i, "recorded_under", j), f"unknown actor id {under!r}")
        for i, agreement in enumerate(document.agreements):
            if agreement.id in seen_agreements:
                errors.add(("agreements", i, "id"), f"duplicate agreement id {agreement.id!r}")
            seen_agreements.add(agreement.id)
            _check_agreement(agreement, ("agreements", i), actors, zone_specs, errors)
            catalogue.agreements.append(agreement)
        all_errors.extend(errors.errors)

    if all_errors:
        raise InputErrors(_unique(all_errors))
    catalogue.actors = ActorRegistry.of(actors.values())
    return catalogue, [read for read, _document, _errors in parsed]


def _unique(errors: list[InputError]) -> list[InputError]:
    seen: set[str] = set()
    out = []
    for e in errors:
        key = e.describe()
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


__all__ = [
    "AgreementText",
    "Catalogue",
    "Content",
    "dotted",
    "load_agreement_texts",
    "load_agreements",
    "parse_document",
    "read_document",
]
