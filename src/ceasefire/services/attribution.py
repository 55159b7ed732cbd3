"""Who acted, where the dataset does not say: read the source's words, infer, grade.

    incidents = attribute(incidents, catalogue, region)

reads each distinct (source text, place, district, governorate, day) once with the
region's reader (`ceasefire.extract.headlines.read_source_text`), turns what it
says into claims (`core.attribution.infer`: the text rule and the capability rule),
rebuilds the conduct table so an inferred incident's conduct is directed with the
inferred claims as its perpetrators (the dataset's dyad kept in `Conduct.dyad`), and
fills the incidents' `basis` (one line per claim: the rule, the words, their span)
and `grade` (`core.attribution.grade`).

A person's claims (table `attributions`, kinds person | responsibility | discount)
are given as `people` (row → rows): they join the conduct as claims, and an incident
a person attributed is not inferred again. The dataset's own fields are never
changed: inferred claims live in the conduct table of the returned incidents (and,
in a record, in `attributions`), never in `incidents.perpetrators`.

`ceasefire assess` (`services.assess.run_assessment`) and the record's ingest and
recompute (`services.record`) both call `attribute`, so the CLI and the database
agree. `acting_sides` answers the attribution benchmark from the same path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.attribution import (
    USER_PREFIX,
    TextAct,
    conduct_grade,
    infer,
    inferred_conduct,
    told_act,
    top_side,
)
from ceasefire.core.catalogue import Catalogue
from ceasefire.core.incidents import Claim, Conduct, Incidents
from ceasefire.core.model import Act
from ceasefire.core.timing import local_date, zone_info
from ceasefire.regions import Region, default_region

#: `basis_kind` of rows inference writes (replaced on every recompute) and of a person's
#: rows (never touched by it).
INFERRED_KINDS = ("text", "capability")
PERSON_KINDS = ("person", "responsibility", "discount")
#: How basis lines are joined in the `basis` column.
BASIS_SEPARATOR = " | "

Reader = Callable[..., list[TextAct]]


def _reader() -> Reader | None:
    """The region's reader of short source texts; None where it is not installed."""
    try:
        from ceasefire.extract.headlines import read_source_text
    except ImportError:  # the extraction extras (spaCy) are optional
        return None
    return read_source_text


def person_claims(rows: Sequence[Mapping[str, Any]]) -> tuple[tuple[Claim, ...], bool, bool]:
    """A person's active rows as claims, and whether one is a responsibility claim or a
    discount."""
    claims: dict[Claim, None] = {}
    responsibility = discounted = False
    for row in rows:
        if row.get("status", "active") != "active" or row.get("basis_kind") not in PERSON_KINDS:
            continue
        if row["basis_kind"] == "discount":
            discounted = True
            continue
        if row.get("role", "perpetrator") != "perpetrator":
            continue
        actors = tuple(str(a) for a in row.get("actors") or [])
        if not actors:
            continue
        by = row.get("claimed_by") or (
            USER_PREFIX + str(row["created_by"]) if row.get("created_by") else None
        )
        claims[(by, actors)] = None
        responsibility = responsibility or row["basis_kind"] == "responsibility"
    return tuple(claims), responsibility, discounted


def _with_person(conduct: Conduct, claims: Sequence[Claim], registry: ActorRegistry) -> Conduct:
    if not claims:
        return conduct
    if conduct.directed:
        merged = tuple(dict.fromkeys((*conduct.perpetrators, *claims)))
        return Conduct(conduct.act, merged, conduct.targets, True, conduct.dyad)
    return inferred_conduct(conduct, claims, registry=registry)


def attribute(
    incidents: Incidents,
    catalogue: Catalogue | ActorRegistry,
    region: Region | None = None,
    *,
    people: Mapping[int, Sequence[Mapping[str, Any]]] | None = None,
    infer_claims: bool = True,
    reader: Reader | None = None,
) -> Incidents:
    """The incidents with inferred claims in their conducts, and `basis` and `grade` filled.

    `people`: for row positions, the person's rows of table `attributions` (dicts with
    `role, actors, claimed_by, basis_kind, status, created_by`). With `infer_claims`
    false nothing is read or inferred; grades are still given.
    """
    registry = catalogue.actors if isinstance(catalogue, Catalogue) else catalogue
    where = region or default_region()
    read = (reader or _reader()) if infer_claims else None
    tz = zone_info(where.timezone)
    people = people or {}
    n = len(incidents)
    conducts: list[Conduct] = list(incidents.conducts)
    index: dict[Conduct, int] = {c: i for i, c in enumerate(conducts)}
    column = incidents.conduct.copy()
    basis = incidents.basis.copy()  # what an earlier pass read stays, unless read again
    grades = np.full(n, "", dtype=object)
    texts: dict[tuple[str, str, str, str, str], list[TextAct]] = {}
    done: dict[tuple[int, str, str, str, str, str, str], tuple[int, str]] = {}
    graded: dict[tuple[int, bool, bool], str] = {}

    def place(conduct: Conduct) -> int:
        found = index.get(conduct)
        if found is None:
            found = index[conduct] = len(conducts)
            conducts.append(conduct)
        return found

    def grade_of(c: int, responsibility: bool = False, discounted: bool = False) -> str:
        key = (c, responsibility, discounted)
        found = graded.get(key)
        if found is None:
            found = graded[key] = conduct_grade(
                conducts[c], registry, responsibility=responsibility, discounted=discounted
            ).value
        return found

    text_col = incidents.source_text
    for i in range(n):
        c = int(column[i])
        conduct = conducts[c]
        rows = people.get(i)
        responsibility = discounted = False
        if rows:
            claims, responsibility, discounted = person_claims(rows)
            if claims:  # a person said who acted: nothing is inferred
                c = place(_with_person(conduct, claims, registry))
                column[i] = c
                grades[i] = grade_of(c, responsibility, discounted)
                continue
        if read is None or not text_col[i] or (conduct.directed and conduct.act is not Act.attack):
            grades[i] = grade_of(c, responsibility, discounted)
            continue
        text = str(text_col[i])
        name = str(incidents.source_name[i])
        day = local_date(int(incidents.t0[i]), tz)
        key = (
            c, text, str(incidents.place_name[i]), str(incidents.admin2[i]),
            str(incidents.admin1[i]), day, name,
        )  # fmt: skip
        found = done.get(key)
        if found is None:
            tkey = key[1:6]
            acts = texts.get(tkey)
            if acts is None:
                acts = texts[tkey] = read(
                    text,
                    place=key[2],
                    admin2=key[3],
                    admin1=key[4],
                    day=dt.date.fromisoformat(day),
                    region=where,
                )
            claims, lines = infer(conduct, acts, registry, name)
            kind, told = told_act(conduct, acts, name)
            if told is not None:
                lines.append(told)
            target = c
            if claims:
                target = place(inferred_conduct(conduct, claims, kind, registry=registry))
            elif kind is not None:
                target = place(replace(conduct, act=kind))
            found = done[key] = (target, BASIS_SEPARATOR.join(lines))
        column[i] = found[0]
        basis[i] = found[1]
        grades[i] = grade_of(found[0], responsibility, discounted)
    out = incidents.take(np.arange(n))
    out.conduct = column.astype(np.int32)
    out.conducts = conducts
    out.basis = basis
    out.grade = grades
    return out


def merge_stored(
    incidents: Incidents,
    catalogue: Catalogue | ActorRegistry,
    rows: Mapping[int, Sequence[Mapping[str, Any]]],
) -> Incidents:
    """Stored incidents with the claims stored beside them (table `attributions`, by row
    position): what `attribute` gave when they were ingested or recomputed, without reading
    the text again. A person's rows win over inferred ones, as in `attribute`."""
    registry = catalogue.actors if isinstance(catalogue, Catalogue) else catalogue
    conducts: list[Conduct] = list(incidents.conducts)
    index: dict[Conduct, int] = {c: i for i, c in enumerate(conducts)}
    column = incidents.conduct.copy()
    basis = incidents.basis.copy()
    grades = np.full(len(incidents), "", dtype=object)
    graded: dict[tuple[int, bool, bool], str] = {}
    for i in range(len(incidents)):
        c = int(column[i])
        conduct = conducts[c]
        mine = rows.get(i) or ()
        claims, responsibility, discounted = person_claims(mine)
        new = conduct
        if claims:
            new = _with_person(conduct, claims, registry)
        else:
            inferred = [
                r for r in mine
                if r.get("basis_kind") in INFERRED_KINDS and r.get("status", "active") == "active"
            ]  # fmt: skip
            found = tuple(
                dict.fromkeys((r.get("claimed_by"), tuple(r["actors"])) for r in inferred)
            )
            if found and not conduct.directed:
                new = inferred_conduct(conduct, found, registry=registry)
            lines = [str(r.get("basis") or "") for r in inferred if r.get("basis")]
            if lines:
                basis[i] = BASIS_SEPARATOR.join(dict.fromkeys(lines))
        if new is not conduct:
            found_c = index.get(new)
            if found_c is None:
                found_c = index[new] = len(conducts)
                conducts.append(new)
            c = found_c
            column[i] = c
        key = (c, responsibility, discounted)
        if key not in graded:
            graded[key] = conduct_grade(
                conducts[c], registry, responsibility=responsibility, discounted=discounted
            ).value
        grades[i] = graded[key]
    out = incidents.take(np.arange(len(incidents)))
    out.conduct = column.astype(np.int32)
    out.conducts = conducts
    out.basis = basis
    out.grade = grades
    return out


def inferred_rows(incidents: Incidents, rows: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The inferred claims of these rows as `attributions` rows (without `incident_pk`).

    One row per claim that inference added (`source:` → basis_kind `text`,
    `inferred:capability:` → `capability`), with the basis lines that name its actor.
    """
    out: dict[int, list[dict[str, Any]]] = {}
    for i in rows:
        conduct = incidents.conducts[int(incidents.conduct[i])]
        if conduct.dyad is None:
            continue
        lines = [ln for ln in str(incidents.basis[i]).split(BASIS_SEPARATOR) if ln]
        found: list[dict[str, Any]] = []
        for by, names in conduct.perpetrators:
            if not by or not (by.startswith("source:") or by.startswith("inferred:")):
                continue
            kind = "text" if by.startswith("source:") else "capability"
            said = by.removeprefix("source:") if kind == "text" else "capability"
            mine = [ln for ln in lines if ln.startswith(f"{'+'.join(names)} per {said}")] or lines
            found.append(
                {
                    "role": "perpetrator",
                    "actors": list(names),
                    "claimed_by": by,
                    "basis_kind": kind,
                    "basis": BASIS_SEPARATOR.join(mine),
                    "span": _span(mine[0]) if mine else None,
                }
            )
        if found:
            out[int(i)] = found
    return out


def _span(line: str) -> list[int] | None:
    head, _, tail = line.rpartition("[")
    if not head or not tail.endswith("]"):
        return None
    a, _, b = tail[:-1].partition(":")
    return [int(a), int(b)] if a.isdigit() and b.isdigit() else None


def acting_sides(agreements: str | Path, events: str | Path, ids: Sequence[str]) -> dict[str, str]:
    """Per UCDP id, the top-level actor the product says acted (`gov`, `opposition`, ...),
    or `none` when it names none or names competing sides: what `ceasefire assess` says,
    through the same path (for `bench/attribution_eval.py`)."""
    from ceasefire.formats.agreements import load_agreements
    from ceasefire.formats.incidents import read_incidents

    # `services.assess.run_assessment`'s steps, without judging (who acted does not
    # depend on the agreement).
    catalogue = load_agreements([agreements])
    region = default_region()
    read, _ = read_incidents([events], catalogue.actors, region=region)
    inc = attribute(read, catalogue, region)
    registry = catalogue.actors
    row_of = {str(ident): i for i, ident in enumerate(inc.id.tolist())}
    out: dict[str, str] = {}
    for ident in ids:
        i = row_of.get(str(ident))
        if i is None:
            out[str(ident)] = "none"
            continue
        conduct = inc.conducts[int(inc.conduct[i])]
        tops = (
            {top_side(a, registry) for _, names in conduct.perpetrators for a in names}
            if conduct.directed
            else set()
        )
        out[str(ident)] = tops.pop() if len(tops) == 1 else "none"
    return out


__all__ = [
    "BASIS_SEPARATOR",
    "INFERRED_KINDS",
    "PERSON_KINDS",
    "acting_sides",
    "attribute",
    "inferred_rows",
    "merge_stored",
    "person_claims",
]
