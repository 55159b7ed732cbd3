"""Findings as a table, and writing them to CSV, JSON Lines, GeoJSON or Parquet.

Who acted is never guessed. Three columns say it, for every row:

- `perpetrator`: the actor(s) the data says acted, as recorded (a member such
  as `ndf` stays `ndf`; joint perpetrators joined with `+`; competing claims
  side by side, `nusra (per russia) | gov (per usa)`). Empty when the data does
  not say who acted: an undirected dyad (a UCDP state-based or non-state row,
  an ACLED battle) or a record with no perpetrator. `target` is likewise
  empty for a dyad.
- `sides`: the dyad as recorded, `gov ~ opposition` (the acting side(s) first
  for a directed act, `?` for a side not recorded).
- `party`: the agreement's party the act is charged to under that agreement:
  the party the perpetrator is bound through (`ndf`, a member of `gov`, is
  charged to `gov`), whatever the category; `undetermined (gov ~ opposition)`
  for a dyad whose sides stand for different parties (either may have acted),
  `undetermined (gov | nusra)` for competing claims that name different
  parties; empty when no party acted. The per-party summaries are a groupby of
  the violations over this column.

Where the dataset records only a dyad, `services.attribution` may infer who
acted from the source's words or from what only one side can do: the conduct is
then directed, `perpetrator` names the inferred side (`gov (per source:SOHR)`
when claims compete), `sides` still shows the dyad, and `party` charges the
claim's party. `grade` is the attribution's grade (`core.model.Grade`) and
`basis` the words each inferred claim rests on (one line per claim, joined by
` | `); the reasons end with `attribution: gov per SOHR: "<the words>" [a:b] (weak)`.

Files are written to a temporary name beside the target and moved into place
only when complete, so a failed run never leaves a partial output file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ceasefire.core.actors import UNRESOLVED_PREFIX, ActorRegistry, standing
from ceasefire.core.engine import (
    CATEGORIES,
    Findings,
    Scope,
    describe_place,
    describe_time,
    in_window,
)
from ceasefire.core.incidents import Conduct, Incidents
from ceasefire.core.model import Category, Grade
from ceasefire.core.timing import iso

OutputFormat = Literal["csv", "jsonl", "geojson", "parquet"]

COLUMNS = [
    "incident_id",
    "source",
    "agreement_id",
    "reading",
    "category",
    "probability",
    "perpetrator",
    "target",
    "sides",
    "party",
    "directed",
    "act",
    "time",
    "lon",
    "lat",
    "killed",
    "grade",
    "basis",
    "reasons",
]


def _side(ids: tuple[str, ...]) -> str:
    return "+".join(i.removeprefix(UNRESOLVED_PREFIX) for i in ids) if ids else ""


def who_acted(
    claims: Sequence[tuple[str | None, Sequence[str]]],
    targets: Sequence[str],
    directed: bool,
    dyad: tuple[Sequence[str], Sequence[str]] | None = None,
) -> tuple[str, str, str]:
    """`perpetrator`, `target` and `sides` of one conduct, as every output names them.

    Taking the claims as stored (`[claimed_by, [actor ids]]`) lets the API name
    a stored incident exactly as the findings table does. `dyad`: the dataset's
    sides of a conduct whose direction was inferred, shown as `sides`.
    """
    acted = _side(tuple(dict.fromkeys(a for _, names in claims for a in names)))
    against = _side(tuple(targets))
    if dyad is not None:
        sides = f"{_side(tuple(dyad[0])) or '?'} ~ {_side(tuple(dyad[1])) or '?'}"
    else:
        sides = f"{acted or '?'} ~ {against or '?'}"
    if not directed:
        return "", "", sides  # either side may have attacked the other
    if len(claims) > 1:
        perpetrator = " | ".join(f"{_side(tuple(n))} (per {by or 'source'})" for by, n in claims)
    else:
        perpetrator = acted
    return perpetrator, against or "unknown", sides


def _party(conduct: Conduct, scope: Scope, actors: ActorRegistry) -> str:
    """The party an act is charged to under one agreement, or `undetermined (...)`."""

    def bound_through(ids: tuple[str, ...]) -> str:
        via = {
            st.via
            for st in (standing(a, scope.agreement, actors, scope.party_since) for a in ids)
            if st.kind == "party"
        }
        return "+".join(sorted(via))

    if conduct.directed:
        claims = [names for _, names in conduct.perpetrators]
        charged = [bound_through(names) for names in claims]
        if len(set(charged)) <= 1:
            return charged[0] if charged else ""
        each = sorted({c or _side(n) or "?" for c, n in zip(charged, claims, strict=True)})
        return f"undetermined ({' | '.join(each)})"
    a, b = bound_through(conduct.perpetrator_ids()), bound_through(conduct.targets)
    if a == b or not (a or b):
        return a  # one party whichever side acted, or no party at all
    # Each side by the party it stands for, else as recorded: `gov ~ is`.
    named = (a or _side(conduct.perpetrator_ids()) or "?", b or _side(conduct.targets) or "?")
    return f"undetermined ({' ~ '.join(sorted(named))})"


def attributions(
    findings: Findings,
    actors: ActorRegistry,
    incident_rows: npt.NDArray[np.integer[Any]],
    scope_rows: npt.NDArray[np.integer[Any]],
) -> dict[str, list[str]]:
    """`perpetrator`, `target`, `sides` and `party` of (incident, scope) pairs.

    The one place that says who is charged: the findings table, the per-party
    summary and the dashboard's weekly series all take it from here.
    """
    conducts = findings.incidents.conducts
    which = findings.incidents.conduct[incident_rows]
    by_conduct = {
        c: who_acted(
            conducts[c].perpetrators, conducts[c].targets, conducts[c].directed, conducts[c].dyad
        )
        for c in set(which.tolist())
    }
    parties: dict[tuple[int, int], str] = {}
    party = []
    for c, k in zip(which.tolist(), scope_rows.tolist(), strict=True):
        found = parties.get((c, k))
        if found is None:
            found = parties[(c, k)] = _party(conducts[c], findings.scopes[k], actors)
        party.append(found)
    return {
        "perpetrator": [by_conduct[c][0] for c in which.tolist()],
        "target": [by_conduct[c][1] for c in which.tolist()],
        "sides": [by_conduct[c][2] for c in which.tolist()],
        "party": party,
    }


def findings_frame(
    findings: Findings, actors: ActorRegistry, *, every_pair: bool = True
) -> pd.DataFrame:
    """One row per (incident, agreement, reading), with the readable reasons.

    `perpetrator` is who the data says acted (empty for a dyad), `sides` the
    dyad as recorded, `party` the party charged under that agreement (see the
    module's docstring); `actors` is the registry the findings were judged with.

    With `every_pair` the pairs the engine ruled out at once are listed too, as
    `out_of_scope` with probability 0 and the reason (outside window or zones).
    """
    inc = findings.incidents
    scopes = findings.scopes
    n, s = len(inc), len(scopes)
    rows_inc = findings.incident
    rows_scope = findings.scope.astype(np.int64)
    category = findings.category.astype(np.int64)
    probability = findings.probability
    reasons: list[str] = [finding_reasons(findings, r) for r in range(len(findings))]
    if every_pair and n and s:
        listed = np.zeros(n * s, dtype=bool)
        listed[rows_inc * s + rows_scope] = True
        missing = np.flatnonzero(~listed)
        m_inc, m_scope = missing // s, missing % s
        rows_inc = np.concatenate([rows_inc, m_inc])
        rows_scope = np.concatenate([rows_scope, m_scope])
        category = np.concatenate(
            [category, np.full(len(missing), CATEGORIES.index(Category.out_of_scope))]
        )
        probability = np.concatenate([probability, np.zeros(len(missing))])
        reasons.extend(
            _outside_reason(findings, int(i), int(k)) for i, k in zip(m_inc, m_scope, strict=True)
        )
        order = np.lexsort((rows_scope, rows_inc))
    else:
        order = np.lexsort((rows_scope, rows_inc))
    conducts = inc.conducts
    who = attributions(findings, actors, rows_inc, rows_scope)
    frame = pd.DataFrame(
        {
            "incident_id": inc.id[rows_inc],
            "source": inc.source[rows_inc],
            "agreement_id": [scopes[k].agreement.id for k in rows_scope],
            "reading": [scopes[k].reading for k in rows_scope],
            "category": [CATEGORIES[c].value for c in category],
            "probability": np.round(probability, 4),
            "perpetrator": who["perpetrator"],
            "target": who["target"],
            "sides": who["sides"],
            "party": who["party"],
            "directed": [conducts[c].directed for c in inc.conduct[rows_inc]],
            "act": [conducts[c].act.value for c in inc.conduct[rows_inc]],
            "time": [
                f"{iso(int(a))}/{iso(int(b))}"
                for a, b in zip(inc.t0[rows_inc], inc.t1[rows_inc], strict=True)
            ],
            "lon": inc.lon[rows_inc],
            "lat": inc.lat[rows_inc],
            "killed": inc.killed_best[rows_inc],
            "grade": [g or Grade.undetermined.value for g in inc.grade[rows_inc]],
            "basis": inc.basis[rows_inc],
            "reasons": reasons,
        }
    )
    return frame.iloc[order].reset_index(drop=True)


def attribution_lines(incidents: Incidents, i: int) -> list[str]:
    """`attribution: ...` lines of one incident: each inferred claim's basis (the words, not
    a paraphrase) and each person's claim, with the attribution's grade."""
    grade = str(incidents.grade[i]) or Grade.undetermined.value
    lines = [ln for ln in str(incidents.basis[i]).split(" | ") if ln]
    conduct = incidents.conducts[int(incidents.conduct[i])]
    for by, names in conduct.perpetrators:
        if by and by.startswith(("user:", "actor:")):
            lines.append(f"{_side(tuple(names)) or 'nobody named'} per {by}")
    return [f"attribution: {line} ({grade})" for line in lines]


def finding_reasons(findings: Findings, row: int) -> str:
    """The readable trace of one finding (`Findings.reasons`) with its attribution lines."""
    i = int(findings.incident[row])
    return " ; ".join([*findings.reasons(row), *attribution_lines(findings.incidents, i)])


def _outside_reason(findings: Findings, i: int, k: int) -> str:
    scope = findings.scopes[k]
    inc = findings.incidents
    in_time = bool(in_window(inc.t0[i : i + 1], inc.t1[i : i + 1], *scope.window.bounds)[0])
    parts = [scope.window.describe()]
    if not in_time:
        parts.append(describe_time(inc, i, 0.0))
        parts.append("outside the window, so out_of_scope")
    else:
        parts.append(describe_place(inc, i, 0.0, scope.zone_ids))
        parts.append("outside the zones, so out_of_scope")
    return " ; ".join(parts)


@contextmanager
def atomic_output(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file that appears at `path` only if the block finishes without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        kwargs: dict[str, Any] = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _geojson(frame: pd.DataFrame, handle: IO[str]) -> None:
    handle.write('{"type": "FeatureCollection", "features": [\n')
    records = frame.to_dict(orient="records")
    for n, record in enumerate(records):
        lon, lat = record["lon"], record["lat"]
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()
            },
        }
        handle.write(json.dumps(feature, ensure_ascii=False, default=_json_default))
        handle.write(",\n" if n < len(records) - 1 else "\n")
    handle.write("]}\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))


def write_frame(frame: pd.DataFrame, path: Path, fmt: OutputFormat) -> None:
    """Write atomically in the chosen format."""
    writers: dict[str, Callable[[IO[Any]], None]] = {
        "csv": lambda h: frame.to_csv(h, index=False),
        "jsonl": lambda h: frame.to_json(h, orient="records", lines=True, force_ascii=False),
        "geojson": lambda h: _geojson(frame, h),
        "parquet": lambda h: frame.to_parquet(h, index=False),
    }
    if fmt not in writers:
        raise ValueError(f"unknown output format {fmt!r}")
    with atomic_output(path, "wb" if fmt == "parquet" else "w") as handle:
        writers[fmt](handle)


def format_for(path: Path, explicit: str | None) -> OutputFormat:
    """The explicit format, else the one the file name says, else CSV."""
    known: dict[str, OutputFormat] = {
        "csv": "csv",
        "jsonl": "jsonl",
        "json": "jsonl",
        "ndjson": "jsonl",
        "geojson": "geojson",
        "parquet": "parquet",
    }
    if explicit:
        if explicit not in known:
            raise ValueError(f"unknown output format {explicit!r}")
        return known[explicit]
    return known.get(path.suffix.lower().lstrip("."), "csv")
