"""The record's services: load agreements, ingest incidents, keep findings current.

Each takes an open `Record` and does read → check → store → assess: the
readers (`ceasefire.formats`) parse and check, the engine judges, the record's
stores write. Storage never sees a file or the engine; this module is where
the three meet.

Ingest reads and checks the whole input first (bad input raises before any
write), then upserts in batches, each batch committed together with the
findings of the incidents it changed. A crash part-way therefore leaves whole
batches, each with its findings, and running the same ingest again skips what
is already stored (same `row_hash`) and completes the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.catalogue import Catalogue
from ceasefire.core.engine import CATEGORIES, Findings, Scope, assess, build_scopes
from ceasefire.core.errors import InputError
from ceasefire.core.incidents import Incidents
from ceasefire.core.model import Grade
from ceasefire.formats.agreements import load_agreement_texts
from ceasefire.formats.boundaries import admin_unit, admin_units, land
from ceasefire.formats.findings import attributions, finding_reasons
from ceasefire.formats.incidents import Format, ReadReport, read_incidents
from ceasefire.formats.sources import Source
from ceasefire.regions import Region, default_region, load_region
from ceasefire.services.attribution import attribute, inferred_rows, merge_stored
from ceasefire.storage.incidents_store import IncidentRows
from ceasefire.storage.models import STATUSES
from ceasefire.storage.record import Record
from ceasefire.storage.tables import IncidentQuery

#: Rows per ingest transaction: large enough for bulk speed, small enough that a
#: crash loses little work and a transaction holds little memory.
DEFAULT_BATCH = 10_000

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    """What an ingest did: rows inserted, updated or unchanged, and what the reader saw."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    findings: int = 0
    batches: int = 0
    read: ReadReport = field(default_factory=ReadReport)
    seconds_read: float = 0.0
    seconds_write: float = 0.0
    seconds_findings: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def lines(self) -> list[str]:
        return [
            f"{self.rows:,} incidents: {self.inserted:,} inserted, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged; {self.findings:,} findings written",
            *self.read.lines(),
            *self.notes,
        ]


def open_record(db: str | None = None, *, ready: bool = True) -> Record:
    """The workspace at `db` (else `CEASEFIRE_DB`, else `./ceasefire.db`).

    With `ready`, an empty database gets the tables first (and names the
    default region), and one at an older schema raises `SchemaError` telling the
    user to run `ceasefire db upgrade`.
    """
    rec = Record.open(db)
    if ready:
        try:
            make_ready(rec)
        except BaseException:
            rec.close()
            raise
    return rec


def make_ready(rec: Record) -> None:
    """`Record.ensure_ready`, and a record it creates names the region it is made in.

    A record made without `ceasefire init` is still made in one region: the
    default, fixed at creation, so that a later `CEASEFIRE_REGION` cannot move it.
    """
    created = rec.revision() is None
    rec.ensure_ready()
    if created and rec.region_id is None:
        rec.name_region(default_region().id)
        rec.commit()


def workspace_region(rec: Record) -> Region:
    """The region the record names; the default region for a record made before records
    named theirs (schema 0002 and older)."""
    stored = rec.region_id
    if stored is None:
        return default_region()
    try:
        return load_region(stored)
    except InputError as exc:
        raise InputError(
            f"the workspace {rec.url} is in region {stored!r}, which is not found here: "
            f"{exc.message}",
            field="region",
        ) from exc


def area_geometry(code: str) -> BaseGeometry | None:
    """The bundled boundary of an area code (any region's), so stored incidents get their
    areas back."""
    unit = admin_unit(code)
    return None if unit is None else unit.geometry


def area_lookup(region: Region) -> Callable[[str], BaseGeometry | None]:
    """`area_geometry` that asks `region` first: a record's areas are its region's units,
    whichever region the environment names; a code of another region is still found."""
    units = admin_units(region)

    def geometry(code: str) -> BaseGeometry | None:
        unit = units.get(code.strip().upper()) if region.owns(code) else None
        return unit.geometry if unit is not None else area_geometry(code)

    return geometry


def stored_incidents(
    rec: Record, *, ids: Iterable[int] | None = None, **filters: Unpack[IncidentQuery]
) -> Incidents:
    """Stored incidents as the engine's columns, areas rebuilt from the record's region,
    with the claims stored beside them (inferred and a person's) in their conducts and
    their grades: judged as ingest and `ceasefire assess` judged them."""
    areas = area_lookup(workspace_region(rec))
    incidents, pks = rec.incidents.load(ids=ids, areas=areas, **filters)
    return with_claims(rec, incidents, pks)


def with_claims(rec: Record, incidents: Incidents, pks: npt.NDArray[np.int64]) -> Incidents:
    """`incidents` (stored, row keys `pks`) with the claims of table `attributions` merged."""
    position = {int(pk): i for i, pk in enumerate(pks.tolist())}
    rows: dict[int, list[dict[str, Any]]] = {}
    for row in rec.attributions.of(pks.tolist()) if len(pks) else []:
        rows.setdefault(position[int(row["incident_pk"])], []).append(row)
    return merge_stored(incidents, rec.agreements.actors(), rows)


# ---------------------------------------------------------------------- agreements


def load_agreements(rec: Record, paths: Source | Iterable[Source]) -> Catalogue:
    """Check agreement files, store them, recompute the findings of what changed.

    The files are validated together first (`InputErrors` names every
    problem, nothing is written). The files, actors, zones, agreements and the
    recomputed findings are written in the record's transaction: they are
    committed together when the record's unit of work is. Returns the catalogue
    of everything now stored.
    """
    loaded, files = load_agreement_texts(paths)
    texts = {f.name: f.text for f in files}
    file_of = {agreement: f.name for f in files for agreement in f.agreement_ids}
    changes = rec.agreements.store(loaded, texts, file_of)
    catalogue = rec.agreements.catalogue()
    changed = set(changes.agreements)
    if changes.actors:
        # Membership and designations decide standing under every agreement.
        changed = {a.id for a in catalogue.agreements}
    elif changes.zones:
        for agreement in catalogue.agreements:
            used = set(agreement.zones)
            for reading in agreement.readings:
                used.update(reading.zones or [])
            if used & changes.zones:
                changed.add(agreement.id)
    if changed:
        _recompute(rec, catalogue, None, sorted(changed))
    return catalogue


# ---------------------------------------------------------------------- findings


class _Scopes:
    """Scopes built once per operation: preparing zones costs far more than judging a batch.

    The engine caches area shares by the identity of the incidents' area list,
    so every area list used with these scopes is kept alive until they are
    dropped (an identity is never reused while its object lives). Land is the
    record's region's: the engine counts only the share of a place on land.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        agreement_ids: Iterable[str] | None = None,
        *,
        region: Region | None = None,
    ) -> None:
        wanted = None if agreement_ids is None else set(agreement_ids)
        self.region = region or default_region()
        self.land = land(region)
        self.agreements = [a for a in catalogue.agreements if wanted is None or a.id in wanted]
        self.catalogue = catalogue
        self.scopes: list[Scope] = build_scopes(self.agreements, catalogue.zones)
        self._alive: list[object] = []

    def assess(self, incidents: Incidents) -> Findings:
        self._alive.append(incidents.areas)
        return assess(incidents, self.scopes, self.catalogue.actors, land=self.land)

    def attribute(self, rec: Record, incidents: Incidents, pks: npt.NDArray[np.int64]) -> Incidents:
        """Who acted, as `ceasefire assess` infers it, with the people's claims merged in; the
        inferred claims of these incidents replace those stored in `attributions`."""
        people: dict[int, list[dict[str, Any]]] = {}
        if len(pks) and rec.attributions.any_people():
            by_pk = rec.attributions.people(pks.tolist())
            position = {int(pk): i for i, pk in enumerate(pks.tolist())}
            people = {position[pk]: rows for pk, rows in by_pk.items() if pk in position}
        attributed = attribute(incidents, self.catalogue, self.region, people=people)
        found = inferred_rows(attributed, range(len(attributed)))
        rows = [
            {**row, "incident_pk": int(pks[i])} for i, claims in found.items() for row in claims
        ]
        rec.attributions.replace_inferred(pks.tolist(), rows)
        return attributed


def finding_rows(
    findings: Findings, pks: npt.NDArray[np.int64], actors: ActorRegistry | None = None
) -> list[dict[str, Any]]:
    """The engine's findings as the record's rows; row `i` of its incidents is incident `pks[i]`.

    `party` is the party charged (`formats.findings.attributions`, as the findings
    table and `ceasefire assess` charge it) and `grade` the incident's attribution
    grade; `actors` is the registry the findings were judged with.
    """
    labels = [(s.agreement.id, s.reading) for s in findings.scopes]
    names = [c.value for c in CATEGORIES]
    incident = pks[findings.incident].tolist()
    scope = findings.scope.tolist()
    category = findings.category.tolist()
    probability = findings.probability.tolist()
    registry = actors if actors is not None else ActorRegistry()
    party = attributions(findings, registry, findings.incident, findings.scope)["party"]
    grade = [
        g or Grade.undetermined.value for g in findings.incidents.grade[findings.incident].tolist()
    ]
    return [
        {
            "incident_pk": incident[r],
            "agreement_id": labels[scope[r]][0],
            "reading": labels[scope[r]][1],
            "category": names[category[r]],
            "probability": probability[r],
            "reasons": finding_reasons(findings, r),
            "party": party[r],
            "grade": grade[r],
        }
        for r in range(len(findings))
    ]


def recompute_findings(
    rec: Record,
    incident_pks: Iterable[int] | None = None,
    agreement_ids: Iterable[str] | None = None,
) -> int:
    """Replace the findings of these incidents under these agreements (None: all).

    In the record's transaction: readers see the old findings or the new,
    never a mixture. Returns the number of findings written.
    """
    pks = None if incident_pks is None else sorted({int(p) for p in incident_pks})
    ids = None if agreement_ids is None else sorted(set(agreement_ids))
    return _recompute(rec, rec.agreements.catalogue(), pks, ids)


def _recompute(
    rec: Record, catalogue: Catalogue, pks: list[int] | None, agreement_ids: list[str] | None
) -> int:
    rec.findings.delete(incident_pks=pks, agreement_ids=agreement_ids)
    region = workspace_region(rec)
    scopes = _Scopes(catalogue, agreement_ids, region=region)
    if not scopes.scopes:
        return 0
    written = 0
    for chunk, chunk_pks in rec.incidents.batches(pks, areas=area_lookup(region)):
        attributed = scopes.attribute(rec, chunk, chunk_pks)
        written += rec.findings.insert(
            finding_rows(scopes.assess(attributed), chunk_pks, catalogue.actors)
        )
    return written


# ---------------------------------------------------------------------- incidents


class IngestOptions(TypedDict, total=False):
    """`ingest_incidents`' keywords, for the services that pass them on (its defaults apply)."""

    format: Format | None
    timezone: str | None
    batch_size: int
    status: str
    submitted_by: str | None
    progress: Progress | None


def ingest_incidents(
    rec: Record,
    paths: Source | Sequence[Source],
    *,
    format: Format | None = None,
    timezone: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    status: str = "accepted",
    submitted_by: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Read incident files with the stored actors and upsert them by (source, source id).

    The whole input is read and checked before anything is written; then
    `store_incidents` writes it, committing batch by batch. Places are matched
    to the record's region and dates without a zone are in its time zone.
    """
    started = time.perf_counter()
    catalogue = rec.agreements.catalogue()
    incidents, read_report = read_incidents(
        paths, catalogue.actors, format=format, timezone=timezone, region=workspace_region(rec)
    )
    report = store_incidents(
        rec,
        incidents,
        batch_size=batch_size,
        status=status,
        submitted_by=submitted_by,
        progress=progress,
        catalogue=catalogue,
    )
    report.read = read_report
    if not catalogue.actors.actors:
        report.notes.append(
            "no agreements are loaded, so no actor name was resolved and nothing was "
            "assessed: run `ceasefire agreements load` first, then ingest again"
        )
    report.seconds_read = time.perf_counter() - started - report.seconds_write
    report.seconds_read -= report.seconds_findings
    return report


def store_incidents(
    rec: Record,
    incidents: Incidents,
    *,
    batch_size: int = DEFAULT_BATCH,
    status: str = "accepted",
    submitted_by: str | None = None,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
) -> IngestReport:
    """Upsert incidents already in memory (a reader's or the text extractor's output).

    Commits the record once per batch, the batch's incidents with their
    findings: an ingest of millions of rows must not hold one transaction (and
    its memory and locks) for its whole length, and a crash must cost at most
    the batch in flight. Whatever the record held uncommitted before is
    committed with the first batch; a batch that fails is rolled back.
    """
    if status not in STATUSES:
        raise ValueError(f"status {status!r}: choose one of {', '.join(STATUSES)}")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    _check_unique(incidents)
    if catalogue is None:
        catalogue = rec.agreements.catalogue()
    scopes = _Scopes(catalogue, region=workspace_region(rec))
    rows = rec.incidents.rows(incidents)
    report = IngestReport()
    total = len(incidents)
    for start in range(0, total, batch_size):
        batch = np.arange(start, min(start + batch_size, total), dtype=np.int64)
        try:
            _store_batch(rec, incidents, rows, batch, scopes, status, submitted_by, report)
            rec.commit()
        except BaseException:
            rec.rollback()
            raise
        report.batches += 1
        if progress is not None:
            progress(int(batch[-1]) + 1, total)
    return report


def _check_unique(incidents: Incidents) -> None:
    keys = set()
    for source, ident in zip(incidents.source.tolist(), incidents.id.tolist(), strict=True):
        key = (source, ident)
        if key in keys:
            raise InputError(f"{source} id {ident!r} appears more than once in the input")
        keys.add(key)


def _store_batch(
    rec: Record,
    incidents: Incidents,
    rows: IncidentRows,
    batch: npt.NDArray[np.int64],
    scopes: _Scopes,
    status: str,
    submitted_by: str | None,
    report: IngestReport,
) -> None:
    """Upsert the batch, then replace the findings of what it changed."""
    began = time.perf_counter()
    done = rec.incidents.upsert(rows, batch, status=status, submitted_by=submitted_by)
    report.inserted += done.inserted
    report.updated += done.updated
    report.unchanged += done.unchanged
    if not len(done.written):
        report.seconds_write += time.perf_counter() - began
        return
    rec.findings.delete(incident_pks=done.updated_pks)
    middle = time.perf_counter()
    report.seconds_write += middle - began
    attributed = scopes.attribute(rec, incidents.take(done.written), done.pks)
    if scopes.scopes:
        findings = scopes.assess(attributed)
        report.findings += rec.findings.insert(
            finding_rows(findings, done.pks, scopes.catalogue.actors)
        )
    report.seconds_findings += time.perf_counter() - middle


__all__ = [
    "DEFAULT_BATCH",
    "IngestReport",
    "Progress",
    "area_geometry",
    "area_lookup",
    "finding_rows",
    "ingest_incidents",
    "load_agreements",
    "make_ready",
    "open_record",
    "recompute_findings",
    "store_incidents",
    "stored_incidents",
    "with_claims",
    "workspace_region",
]
