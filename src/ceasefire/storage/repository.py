"""The one interface to stored agreements, incidents and findings.

Everything the CLI, the API and notebooks do with the record goes through
`Repository`; none of them writes SQL. The engine runs unchanged on what is
stored: `catalogue()` and `incidents()` rebuild the objects the file readers
produce.

Ingest reads and checks the whole input first (bad input raises before any
write), then upserts in batches, each batch in its own transaction together
with the findings of the incidents it changed. A crash part-way therefore
leaves whole batches, each with its findings, and running the same ingest
again skips what is already stored (same `row_hash`) and completes the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely.geometry import mapping, shape
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    column,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.engine import CATEGORIES, Findings, Scope, assess, build_scopes
from ceasefire.core.errors import InputError
from ceasefire.core.incidents import Area, Conduct, Incidents
from ceasefire.core.model import Act, Actor, Agreement, Zone
from ceasefire.core.policy import IncidentSight
from ceasefire.core.timing import iso
from ceasefire.formats.agreements import Catalogue, read_document
from ceasefire.formats.agreements import load_agreements as read_agreement_files
from ceasefire.formats.boundaries import admin_units, land
from ceasefire.formats.incidents import Format, ReadReport, read_incidents
from ceasefire.storage import migrations
from ceasefire.storage.db import Base, database_url, make_engine
from ceasefire.storage.models import (
    STATUSES,
    ActorRow,
    AgreementFileRow,
    AgreementRow,
    FindingRow,
    IncidentRow,
    ZoneRow,
)

#: Rows per ingest transaction: large enough for bulk speed, small enough that a
#: crash loses little work and a transaction holds little memory.
DEFAULT_BATCH = 10_000
#: Keys per `IN (...)` list: under SQLite's bound-parameter limit.
IN_CHUNK = 5_000
#: Incidents per engine run when findings are recomputed from the database.
RECOMPUTE_CHUNK = 50_000

Progress = Callable[[int, int], None]
Instant = int | float | dt.datetime | dt.date | str
BBox = tuple[float, float, float, float]

#: Incident columns that come from the source: they make up `row_hash` and are
#: what an upsert overwrites.
CONTENT = (
    "t0",
    "t1",
    "time_precision",
    "lon",
    "lat",
    "radius_m",
    "area_code",
    "area_name",
    "place_name",
    "act",
    "perpetrators",
    "targets",
    "directed",
    "killed_low",
    "killed_best",
    "killed_high",
    "perpetrator_text",
    "target_text",
)

FILES = Base.metadata.tables[AgreementFileRow.__tablename__]
AGREEMENTS = Base.metadata.tables[AgreementRow.__tablename__]
ACTORS = Base.metadata.tables[ActorRow.__tablename__]
ZONES = Base.metadata.tables[ZoneRow.__tablename__]
INCIDENTS = Base.metadata.tables[IncidentRow.__tablename__]
FINDINGS = Base.metadata.tables[FindingRow.__tablename__]
_I = INCIDENTS.c
_F = FINDINGS.c


class SchemaError(RuntimeError):
    """The database is not at the schema this version of ceasefire expects."""


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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _instant(value: Instant | None) -> int | None:
    """UTC seconds from seconds, a datetime (naive means UTC), a date or ISO text."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a time must be seconds, a datetime, a date or ISO text")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        value = dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return int(moment.timestamp())
    return int(dt.datetime.combine(value, dt.time(), dt.UTC).timestamp())


def sight_filter(sight: IncidentSight) -> ColumnElement[bool]:
    """The one visibility rule of incidents (`IncidentSight`), as SQL.

    Listing and fetching share it, so a page is cut after it, in the database.
    """
    statuses = sight.statuses
    return _I.status.in_(statuses) if statuses else false()


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _take(inc: Incidents, rows: npt.NDArray[np.int64]) -> Incidents:
    """A subset of rows that shares the area and conduct tables (and so the engine's caches)."""
    columns = {
        name: getattr(inc, name)[rows]
        for name in (
            "id", "source", "t0", "t1", "time_precision", "lon", "lat", "radius_m", "area",
            "place_name", "conduct", "killed_low", "killed_best", "killed_high",
            "perpetrator_text", "target_text",
        )
    }  # fmt: skip
    return Incidents(**columns, areas=inc.areas, conducts=inc.conducts)


def _doc_equal(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class _Scopes:
    """Scopes built once per operation: preparing zones costs far more than judging a batch.

    The engine caches area shares by the identity of the incidents' area list,
    so every area list used with these scopes is kept alive until they are
    dropped (an identity is never reused while its object lives).
    """

    def __init__(self, catalogue: Catalogue, agreement_ids: Iterable[str] | None = None) -> None:
        wanted = None if agreement_ids is None else set(agreement_ids)
        self.agreements = [a for a in catalogue.agreements if wanted is None or a.id in wanted]
        self.catalogue = catalogue
        self.scopes: list[Scope] = build_scopes(self.agreements, catalogue.zones)
        self._alive: list[object] = []

    def assess(self, incidents: Incidents) -> Findings:
        self._alive.append(incidents.areas)
        return assess(incidents, self.scopes, self.catalogue.actors, land=land())


class Repository:
    """Agreements, incidents and findings in SQLite or PostgreSQL.

    Open with `Repository.open(url)`: `url` is `--db`, else `CEASEFIRE_DB`, else
    `./ceasefire.db`; a bare path is a SQLite file.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._bulk_statements: _Bulk | None = None
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {engine.dialect.name!r}: SQLite or PostgreSQL")

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, url: str | None = None, **engine_kwargs: Any) -> Repository:
        resolved = database_url(url)
        parsed = make_url(resolved)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            # A workspace may name a folder that does not exist yet.
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return cls(make_engine(resolved, **engine_kwargs))

    @property
    def url(self) -> str:
        """The database URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def upgrade(self, revision: str = "head") -> str | None:
        """Migrate to the newest schema (Alembic); safe to run again. Returns the revision."""
        migrations.upgrade(self.engine, revision)
        return self.revision()

    def init(self) -> str | None:
        """Create the workspace's tables (or bring them up to date); idempotent."""
        return self.upgrade()

    def revision(self) -> str | None:
        """The schema revision of the database; None before `init`."""
        return migrations.current(self.engine)

    def head(self) -> str | None:
        """The newest schema revision this version of ceasefire knows."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(migrations.config(self.engine)).get_current_head()

    def ensure_ready(self) -> None:
        """Create an empty workspace on first use; refuse to write into an old schema."""
        current = self.revision()
        if current is None:
            self.upgrade()
            return
        head = self.head()
        if current != head:
            raise SchemaError(
                f"the database {self.url} is at schema {current}, this version expects {head}: "
                "run `ceasefire db upgrade`"
            )

    # ------------------------------------------------------------------ agreements

    def load_agreements(self, paths: Iterable[str | Path]) -> Catalogue:
        """Check agreement files, store them, recompute findings of what changed.

        The files are validated together first (`InputErrors` names every
        problem, nothing is written). Files, actors, zones, agreements and the
        recomputed findings are written in one transaction. Returns the
        catalogue of everything now stored.
        """
        items = [Path(p) for p in paths]
        loaded = read_agreement_files(items)
        file_of: dict[str, str] = {}
        texts: dict[str, str] = {}
        for path in items:
            data, _ = read_document(path)
            texts[str(path)] = path.read_text(encoding="utf-8")
            for entry in (data or {}).get("agreements") or []:
                if isinstance(entry, dict) and "id" in entry:
                    file_of[str(entry["id"])] = str(path)
        with self.engine.begin() as conn:
            file_ids = {name: self._store_file(conn, name, text) for name, text in texts.items()}
            actors_changed = self._store_actors(conn, list(loaded.actors.actors.values()))
            zones_changed = self._store_zones(conn, loaded)
            changed = self._store_agreements(conn, loaded.agreements, file_ids, file_of)
            catalogue = self._catalogue(conn)
            if actors_changed:
                # Membership and designations decide standing under every agreement.
                changed = {a.id for a in catalogue.agreements}
            elif zones_changed:
                for agreement in catalogue.agreements:
                    used = set(agreement.zones)
                    for reading in agreement.readings:
                        used.update(reading.zones or [])
                    if used & zones_changed:
                        changed.add(agreement.id)
            if changed:
                self._recompute(conn, catalogue, None, sorted(changed))
        return catalogue

    def _store_file(self, conn: Connection, name: str, text: str) -> int:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        t = FILES
        found = conn.execute(select(t.c.id).where(t.c.sha256 == digest)).scalar()
        if found is not None:
            return int(found)
        result = conn.execute(
            insert(t).values(name=name, sha256=digest, content=text, loaded_at=_utcnow())
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    @staticmethod
    def _next_position(conn: Connection, table: Any) -> int:
        return int(conn.execute(select(func.coalesce(func.max(table.c.position), 0))).scalar_one())

    def _store_actors(self, conn: Connection, actors: list[Actor]) -> bool:
        t = ACTORS
        stored = {row.id: row.document for row in conn.execute(select(t.c.id, t.c.document))}
        position = self._next_position(conn, t)
        changed = False
        for actor in actors:
            document = actor.model_dump(mode="json", exclude_unset=True)
            if actor.id not in stored:
                position += 1
                conn.execute(insert(t).values(id=actor.id, position=position, document=document))
                changed = True
            elif not _doc_equal(stored[actor.id], document):
                conn.execute(update(t).where(t.c.id == actor.id).values(document=document))
                changed = True
        return changed

    def _store_zones(self, conn: Connection, loaded: Catalogue) -> set[str]:
        t = ZONES
        stored = {
            row.id: (row.geometry, row.document)
            for row in conn.execute(select(t.c.id, t.c.geometry, t.c.document))
        }
        position = self._next_position(conn, t)
        changed: set[str] = set()
        for zone_id, spec in loaded.zone_specs.items():
            # Python's float repr round-trips exactly, so the stored zone is the loaded one.
            geometry = json.dumps(mapping(loaded.zones[zone_id]))
            document = spec.model_dump(mode="json", exclude_unset=True)
            values = {"name": spec.name, "geometry": geometry, "document": document}
            if zone_id not in stored:
                position += 1
                conn.execute(insert(t).values(id=zone_id, position=position, **values))
                changed.add(zone_id)
            elif stored[zone_id][0] != geometry or not _doc_equal(stored[zone_id][1], document):
                conn.execute(update(t).where(t.c.id == zone_id).values(**values))
                changed.add(zone_id)
        return changed

    def _store_agreements(
        self,
        conn: Connection,
        agreements: list[Agreement],
        file_ids: dict[str, int],
        file_of: dict[str, str],
    ) -> set[str]:
        t = AGREEMENTS
        stored = {row.id: row.document for row in conn.execute(select(t.c.id, t.c.document))}
        position = self._next_position(conn, t)
        changed: set[str] = set()
        for agreement in agreements:
            # `exclude_unset` keeps what the file said and no more: a reading's explicit
            # `end: null` (open-ended) must stay distinct from saying nothing.
            document = agreement.model_dump(mode="json", exclude_unset=True)
            values = {
                "title": agreement.title,
                "kind": agreement.kind,
                "document": document,
                "file_id": file_ids.get(file_of.get(agreement.id, "")),
                "updated_at": _utcnow(),
            }
            if agreement.id not in stored:
                position += 1
                conn.execute(insert(t).values(id=agreement.id, position=position, **values))
                changed.add(agreement.id)
            elif not _doc_equal(stored[agreement.id], document):
                conn.execute(update(t).where(t.c.id == agreement.id).values(**values))
                changed.add(agreement.id)
            else:
                conn.execute(
                    update(t).where(t.c.id == agreement.id).values(file_id=values["file_id"])
                )
        return changed

    def catalogue(self) -> Catalogue:
        """Actors, zones and agreements as stored: what the engine needs, without the files."""
        with self.engine.connect() as conn:
            return self._catalogue(conn)

    def _catalogue(self, conn: Connection) -> Catalogue:
        a, z, g, f = ACTORS, ZONES, AGREEMENTS, FILES
        catalogue = Catalogue()
        actors = [
            Actor.model_validate(row.document)
            for row in conn.execute(select(a.c.document).order_by(a.c.position, a.c.id))
        ]
        catalogue.actors = ActorRegistry.of(actors)
        for row in conn.execute(
            select(z.c.id, z.c.geometry, z.c.document).order_by(z.c.position, z.c.id)
        ):
            catalogue.zones[row.id] = shape(json.loads(row.geometry))
            catalogue.zone_specs[row.id] = Zone.model_validate(row.document)
        catalogue.agreements = [
            Agreement.model_validate(row.document)
            for row in conn.execute(select(g.c.document).order_by(g.c.position, g.c.id))
        ]
        catalogue.files = [
            str(name) for name in conn.execute(select(f.c.name).order_by(f.c.id)).scalars()
        ]
        return catalogue

    # ------------------------------------------------------------------ ingest

    def ingest(
        self,
        paths: str | Path | Sequence[str | Path],
        *,
        format: Format | None = None,
        timezone: str | None = None,
        batch_size: int = DEFAULT_BATCH,
        status: str = "accepted",
        submitted_by: str | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Read incident files with the stored actors and upsert them by (source, source id).

        The whole input is read and checked before anything is written.
        """
        started = time.perf_counter()
        catalogue = self.catalogue()
        items = [paths] if isinstance(paths, str | Path) else list(paths)
        incidents, read_report = read_incidents(
            items, catalogue.actors, format=format, timezone=timezone
        )
        report = self.store_incidents(
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
        self,
        incidents: Incidents,
        *,
        batch_size: int = DEFAULT_BATCH,
        status: str = "accepted",
        submitted_by: str | None = None,
        progress: Progress | None = None,
        catalogue: Catalogue | None = None,
    ) -> IngestReport:
        """Upsert incidents already in memory (a reader's or the text extractor's output)."""
        if status not in STATUSES:
            raise ValueError(f"status {status!r}: choose one of {', '.join(STATUSES)}")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._check_unique(incidents)
        if catalogue is None:
            catalogue = self.catalogue()
        scopes = _Scopes(catalogue)
        bulk = self._bulk()
        rows = _IncidentRows(incidents, bulk)
        report = IngestReport()
        total = len(incidents)
        for start in range(0, total, batch_size):
            batch = np.arange(start, min(start + batch_size, total), dtype=np.int64)
            with self.engine.begin() as conn:
                self._store_batch(
                    conn, incidents, rows, batch, bulk, scopes, status, submitted_by, report
                )
            report.batches += 1
            if progress is not None:
                progress(int(batch[-1]) + 1, total)
        return report

    @staticmethod
    def _check_unique(incidents: Incidents) -> None:
        keys = set()
        for source, ident in zip(incidents.source.tolist(), incidents.id.tolist(), strict=True):
            key = (source, ident)
            if key in keys:
                raise InputError(f"{source} id {ident!r} appears more than once in the input")
            keys.add(key)

    def _bulk(self) -> _Bulk:
        if self._bulk_statements is None:
            self._bulk_statements = _Bulk(self.engine)
        return self._bulk_statements

    def _store_batch(
        self,
        conn: Connection,
        incidents: Incidents,
        rows: _IncidentRows,
        batch: npt.NDArray[np.int64],
        bulk: _Bulk,
        scopes: _Scopes,
        status: str,
        submitted_by: str | None,
        report: IngestReport,
    ) -> None:
        """One transaction: upsert the batch, then replace the findings of what it changed."""
        began = time.perf_counter()
        now = bulk.timestamp(_utcnow())
        records = [rows.record(int(i)) for i in batch]
        for record in records:
            record["status"] = status
            record["submitted_by"] = submitted_by
            record["updated_at"] = now
        if bulk.copy:
            bulk.stage(conn, records)
        existing = bulk.existing(conn, records)
        positions: list[int] = []
        changed_pks: list[int] = []
        for n, record in enumerate(records):
            found = existing.get((record["source"], record["source_id"]))
            if found is not None and found[1] == record["row_hash"]:
                report.unchanged += 1
                continue
            if found is None:
                report.inserted += 1
            else:
                report.updated += 1
                changed_pks.append(found[0])
            positions.append(n)
        if not positions:
            report.seconds_write += time.perf_counter() - began
            return
        to_write = [records[n] for n in positions]
        bulk.upsert(conn, to_write)
        pk_of = {key: found[0] for key, found in existing.items()}
        pk_of.update(
            bulk.keys(conn, [r for r in to_write if (r["source"], r["source_id"]) not in pk_of])
        )
        pks = np.array([pk_of[(r["source"], r["source_id"])] for r in to_write], dtype=np.int64)
        for part in _chunks(changed_pks, IN_CHUNK):
            conn.execute(delete(FINDINGS).where(_F.incident_pk.in_(part)))
        middle = time.perf_counter()
        report.seconds_write += middle - began
        if scopes.scopes:
            subset = _take(incidents, batch[np.asarray(positions, dtype=np.int64)])
            report.findings += self._write_findings(conn, bulk, scopes.assess(subset), pks)
        report.seconds_findings += time.perf_counter() - middle

    @staticmethod
    def _write_findings(
        conn: Connection, bulk: _Bulk, findings: Findings, pks: npt.NDArray[np.int64]
    ) -> int:
        """Insert the engine's findings; row `i` of its incidents is the incident `pks[i]`."""
        if not len(findings):
            return 0
        labels = [(s.agreement.id, s.reading) for s in findings.scopes]
        names = [c.value for c in CATEGORIES]
        incident = pks[findings.incident].tolist()
        scope = findings.scope.tolist()
        category = findings.category.tolist()
        probability = findings.probability.tolist()
        records = [
            {
                "incident_pk": incident[r],
                "agreement_id": labels[scope[r]][0],
                "reading": labels[scope[r]][1],
                "category": names[category[r]],
                "probability": probability[r],
                "reasons": " ; ".join(findings.reasons(r)),
            }
            for r in range(len(findings))
        ]
        bulk.insert_findings(conn, records)
        return len(records)

    # ------------------------------------------------------------------ findings

    def recompute_findings(
        self,
        incident_pks: Iterable[int] | None = None,
        agreement_ids: Iterable[str] | None = None,
    ) -> int:
        """Replace the findings of these incidents under these agreements (None: all).

        Runs in one transaction: readers see the old findings or the new, never
        a mixture. Returns the number of findings written.
        """
        pks = None if incident_pks is None else sorted({int(p) for p in incident_pks})
        ids = None if agreement_ids is None else sorted(set(agreement_ids))
        with self.engine.begin() as conn:
            return self._recompute(conn, self._catalogue(conn), pks, ids)

    def _recompute(
        self,
        conn: Connection,
        catalogue: Catalogue,
        pks: list[int] | None,
        agreement_ids: list[str] | None,
    ) -> int:
        agreement_filter = [] if agreement_ids is None else [_F.agreement_id.in_(agreement_ids)]
        if pks is None:
            conn.execute(delete(FINDINGS).where(*agreement_filter))
        else:
            for part in _chunks(pks, IN_CHUNK):
                conn.execute(delete(FINDINGS).where(_F.incident_pk.in_(part), *agreement_filter))
        scopes = _Scopes(catalogue, agreement_ids)
        if not scopes.scopes:
            return 0
        written = 0
        for chunk, chunk_pks in self._incident_chunks(conn, pks):
            written += self._write_findings(conn, self._bulk(), scopes.assess(chunk), chunk_pks)
        return written

    def _incident_chunks(
        self, conn: Connection, pks: list[int] | None
    ) -> Iterator[tuple[Incidents, npt.NDArray[np.int64]]]:
        if pks is not None:
            for part in _chunks(pks, IN_CHUNK):
                found = self._load(conn, [_I.pk.in_(part)])
                if len(found[0]):
                    yield found
            return
        last = -1
        while True:
            chunk, chunk_pks = self._load(conn, [_I.pk > last], limit=RECOMPUTE_CHUNK)
            if not len(chunk):
                return
            yield chunk, chunk_pks
            last = int(chunk_pks[-1])

    # ------------------------------------------------------------------ reading

    def incidents(
        self,
        *,
        start: Instant | None = None,
        end: Instant | None = None,
        bbox: BBox | None = None,
        source: str | None = None,
        status: str | None = None,
        ids: Iterable[int] | None = None,
    ) -> Incidents:
        """Stored incidents as the engine's columns (ids are the sources' ids)."""
        return self.load_incidents(
            start=start, end=end, bbox=bbox, source=source, status=status, ids=ids
        )[0]

    def load_incidents(
        self,
        *,
        start: Instant | None = None,
        end: Instant | None = None,
        bbox: BBox | None = None,
        source: str | None = None,
        status: str | None = None,
        ids: Iterable[int] | None = None,
    ) -> tuple[Incidents, npt.NDArray[np.int64]]:
        """Like `incidents`, with the row keys (`pk`) of the rows, in the same order."""
        where = self._incident_filters(start, end, bbox, source, status)
        with self.engine.connect() as conn:
            if ids is None:
                return self._load(conn, where)
            parts = [
                self._load(conn, [*where, _I.pk.in_(part)])
                for part in _chunks(sorted({int(i) for i in ids}), IN_CHUNK)
            ]
        parts = [p for p in parts if len(p[0])]
        if not parts:
            return self._load_rows([]), np.zeros(0, np.int64)
        if len(parts) == 1:
            return parts[0]
        return Incidents.concat([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    @staticmethod
    def _incident_filters(
        start: Instant | None,
        end: Instant | None,
        bbox: BBox | None,
        source: str | None,
        status: str | None,
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        t_start, t_end = _instant(start), _instant(end)
        if t_end is not None:
            where.append(_I.t0 < t_end)
        if t_start is not None:
            # Overlaps [start, end): an interval by a positive length, an instant by lying in it.
            where.append(or_(_I.t1 > t_start, _I.t0 >= t_start))
        if bbox is not None:
            minx, miny, maxx, maxy = (float(v) for v in bbox)
            where.append(and_(_I.lon.between(minx, maxx), _I.lat.between(miny, maxy)))
        if source is not None:
            where.append(_I.source == source)
        if status is not None:
            where.append(_I.status == status)
        return where

    _LOAD_COLUMNS = (
        _I.pk, _I.source, _I.source_id, _I.t0, _I.t1, _I.time_precision, _I.lon, _I.lat,
        _I.radius_m, _I.area_code, _I.area_name, _I.place_name, _I.act,
        cast(_I.perpetrators, Text), cast(_I.targets, Text), _I.directed,
        _I.killed_low, _I.killed_best, _I.killed_high, _I.perpetrator_text, _I.target_text,
    )  # fmt: skip

    def _load(
        self, conn: Connection, where: list[ColumnElement[bool]], limit: int | None = None
    ) -> tuple[Incidents, npt.NDArray[np.int64]]:
        query: Select[Any] = select(*self._LOAD_COLUMNS).where(*where).order_by(_I.pk)
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query).all()
        return self._load_rows(rows), np.array([r[0] for r in rows], dtype=np.int64)

    @staticmethod
    def _load_rows(rows: Sequence[Any]) -> Incidents:
        """Columns from rows; conducts and areas are rebuilt once per distinct value."""
        n = len(rows)
        units = admin_units()
        areas: list[Area] = []
        area_index: dict[str, int] = {}
        conducts: list[Conduct] = []
        conduct_index: dict[tuple[str, str, str, bool], int] = {}
        area_col = np.full(n, -1, dtype=np.int32)
        conduct_col = np.zeros(n, dtype=np.int32)
        for i, row in enumerate(rows):
            code = row[9]
            if code is not None:
                index = area_index.get(code)
                if index is None:
                    unit = units.get(code)
                    # Only bundled boundaries can be rebuilt; anything else stays a point.
                    index = len(areas) if unit is not None else -1
                    if unit is not None:
                        areas.append(Area(code, row[10] or unit.name, unit.geometry))
                    area_index[code] = index
                area_col[i] = index
            key = (row[12], row[13], row[14], bool(row[15]))
            c = conduct_index.get(key)
            if c is None:
                c = conduct_index[key] = len(conducts)
                perpetrators = tuple((by, tuple(names)) for by, names in json.loads(key[1] or "[]"))
                conducts.append(
                    Conduct(Act(key[0]), perpetrators, tuple(json.loads(key[2] or "[]")), key[3])
                )
            conduct_col[i] = c

        def column(k: int, dtype: Any = object) -> npt.NDArray[Any]:
            if dtype is object:
                return np.array([r[k] if r[k] is not None else "" for r in rows], dtype=object)
            return np.array([np.nan if r[k] is None else r[k] for r in rows], dtype=dtype)

        return Incidents(
            id=column(2),
            source=column(1),
            t0=np.array([r[3] for r in rows], dtype=np.int64),
            t1=np.array([r[4] for r in rows], dtype=np.int64),
            time_precision=column(5),
            lon=column(6, np.float64),
            lat=column(7, np.float64),
            radius_m=column(8, np.float64),
            area=area_col,
            place_name=column(11),
            conduct=conduct_col,
            killed_low=column(16, np.float64),
            killed_best=column(17, np.float64),
            killed_high=column(18, np.float64),
            perpetrator_text=column(19),
            target_text=column(20),
            areas=areas,
            conducts=conducts,
        )

    def incident(
        self, key: int | str | tuple[str, str], *, sight: IncidentSight | None = None
    ) -> dict[str, Any] | None:
        """One incident with its findings; None if absent (or, with `sight`, not visible).

        `key` is the row key, `(source, source_id)`, or the text `source:source_id`
        (how allegations name incidents, so they survive a re-ingest).
        """
        t = INCIDENTS
        if isinstance(key, str) and ":" in key:
            source, _, ident = key.partition(":")
            key = (source, ident)
        if isinstance(key, tuple):
            where = and_(_I.source == key[0], _I.source_id == str(key[1]))
        else:
            where = _I.pk == int(key)
        if sight is not None:
            where = and_(where, sight_filter(sight))
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(where)).mappings().first()
            if row is None:
                return None
            found = conn.execute(
                select(_F.agreement_id, _F.reading, _F.category, _F.probability, _F.reasons)
                .where(_F.incident_pk == row["pk"])
                .order_by(_F.agreement_id, _F.reading)
            ).mappings()
            out = _incident_dict(row)
            out["findings"] = [dict(f) for f in found]
        return out

    def list_incidents(
        self,
        *,
        start: Instant | None = None,
        end: Instant | None = None,
        bbox: BBox | None = None,
        source: str | None = None,
        status: str | None = None,
        sight: IncidentSight | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Incidents as plain dicts (for JSON and GeoJSON), in row-key order, a page at a time."""
        where = self._incident_filters(start, end, bbox, source, status)
        if sight is not None:
            where.append(sight_filter(sight))
        query = select(INCIDENTS).where(*where).order_by(_I.pk).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_incident_dict(row) for row in conn.execute(query).mappings()]

    def findings(
        self,
        *,
        agreement: str | None = None,
        reading: str | None = None,
        category: str | Sequence[str] | None = None,
        actor: str | None = None,
        start: Instant | None = None,
        end: Instant | None = None,
        bbox: BBox | None = None,
        status: str | None = None,
        source: str | None = None,
        incident_pk: int | None = None,
        sight: IncidentSight | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Stored findings joined with their incidents, filtered, a page at a time.

        `actor` matches incidents that name the actor, or any actor that belongs
        to it, as perpetrator or target. Pairs the engine ruled out at once
        (outside the window or the zones) have no row: they are `out_of_scope`.
        """
        query = self._findings_query(
            agreement, reading, category, actor, start, end, bbox, status, source, incident_pk,
            sight,
        )  # fmt: skip
        query = query.order_by(_F.incident_pk, _F.agreement_id, _F.reading).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            out = []
            for row in conn.execute(query).mappings():
                record = _incident_dict(row)
                record["incident_pk"] = record.pop("pk")
                out.append(record)
            return out

    def count_findings(
        self,
        *,
        agreement: str | None = None,
        reading: str | None = None,
        category: str | Sequence[str] | None = None,
        actor: str | None = None,
        start: Instant | None = None,
        end: Instant | None = None,
        bbox: BBox | None = None,
        status: str | None = None,
        source: str | None = None,
        incident_pk: int | None = None,
        sight: IncidentSight | None = None,
    ) -> int:
        """How many findings `findings` would list without a limit (for pagination)."""
        query = self._findings_query(
            agreement, reading, category, actor, start, end, bbox, status, source, incident_pk,
            sight,
        )  # fmt: skip
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            )

    def _findings_query(
        self,
        agreement: str | None,
        reading: str | None,
        category: str | Sequence[str] | None,
        actor: str | None,
        start: Instant | None,
        end: Instant | None,
        bbox: BBox | None,
        status: str | None,
        source: str | None,
        incident_pk: int | None,
        sight: IncidentSight | None = None,
    ) -> Select[Any]:
        where = self._incident_filters(start, end, bbox, source, status)
        if sight is not None:
            where.append(sight_filter(sight))
        if agreement is not None:
            where.append(_F.agreement_id == agreement)
        if reading is not None:
            where.append(_F.reading == reading)
        if category is not None:
            wanted = [category] if isinstance(category, str) else list(category)
            where.append(_F.category.in_(wanted))
        if incident_pk is not None:
            where.append(_F.incident_pk == int(incident_pk))
        if actor is not None:
            where.append(self._actor_filter(actor))
        incident_columns = [c for c in INCIDENTS.c if c.name not in ("row_hash",)]
        return (
            select(
                *incident_columns,
                _F.agreement_id,
                _F.reading,
                _F.category,
                _F.probability,
                _F.reasons,
            )
            .join_from(FINDINGS, INCIDENTS, _F.incident_pk == _I.pk)
            .where(*where)
        )

    def _actor_filter(self, actor: str) -> ColumnElement[bool]:
        registry = self.catalogue().actors
        members = [a for a in registry.actors if actor in registry.ancestors(a)] or [actor]
        tests = []
        for member in sorted(set(members) | {actor}):
            # Ids are stored as JSON strings: `"gov"` with its quotes matches only that id.
            needle = json.dumps(member)
            tests.append(cast(_I.perpetrators, Text).contains(needle, autoescape=True))
            tests.append(cast(_I.targets, Text).contains(needle, autoescape=True))
        return or_(*tests)

    def incident_points(
        self, agreement_id: str, reading: str, *, status: str = "accepted"
    ) -> list[Any]:
        """Every incident's point, interval, perpetrators and finding under one reading.

        Rows of `(pk, lon, lat, t0, t1, radius_m, perpetrators_json, killed_best,
        category)`; `category` is None where the engine stored no finding, which
        means `out_of_scope`. What the map draws, read in one pass.
        """
        joined = INCIDENTS.outerjoin(
            FINDINGS,
            and_(_F.incident_pk == _I.pk, _F.agreement_id == agreement_id, _F.reading == reading),
        )
        query = (
            select(
                _I.pk,
                _I.lon,
                _I.lat,
                _I.t0,
                _I.t1,
                _I.radius_m,
                cast(_I.perpetrators, Text),
                _I.killed_best,
                _F.category,
            )  # fmt: skip
            .select_from(joined)
            .where(_I.status == status)
            .order_by(_I.pk)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def reading_categories(self, agreement_id: str) -> list[Any]:
        """`(incident_pk, reading, category)` for every stored finding of one agreement."""
        query = (
            select(_F.incident_pk, _F.reading, _F.category)
            .join_from(FINDINGS, INCIDENTS, _F.incident_pk == _I.pk)
            .where(_F.agreement_id == agreement_id, _I.status == "accepted")
            .order_by(_F.incident_pk)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def incident_labels(self, pks: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Id, start and place of many incidents at once, for lists of them."""
        out: dict[int, dict[str, Any]] = {}
        columns = (_I.pk, _I.source, _I.source_id, _I.t0, _I.place_name, _I.area_name)
        with self.engine.connect() as conn:
            for part in _chunks(sorted({int(p) for p in pks}), IN_CHUNK):
                for row in conn.execute(select(*columns).where(_I.pk.in_(part))):
                    out[int(row[0])] = {
                        "id": f"{row[1]}:{row[2]}",
                        "start": iso(int(row[3])),
                        "place": row[4] or row[5] or "",
                    }
        return out

    def finding_counts(self) -> list[Any]:
        """`(agreement_id, reading, category, n)`: how the stored findings fall out."""
        query = (
            select(_F.agreement_id, _F.reading, _F.category, func.count())
            .join_from(FINDINGS, INCIDENTS, _F.incident_pk == _I.pk)
            .where(_I.status == "accepted")
            .group_by(_F.agreement_id, _F.reading, _F.category)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def version(self) -> tuple[Any, ...]:
        """Changes whenever what the findings depend on changes: for caching read models.

        Incidents (how many, the latest change), findings (how many), agreements
        (the latest change) and zones (a digest of their geometry and documents).
        """
        with self.engine.connect() as conn:
            incidents = conn.execute(select(func.count(), func.max(_I.updated_at))).one()
            findings = conn.execute(select(func.count()).select_from(FINDINGS)).scalar_one()
            agreements = conn.execute(select(func.max(AGREEMENTS.c.updated_at))).scalar_one()
            digest = hashlib.sha256()
            for row in conn.execute(select(ZONES.c.id, ZONES.c.geometry).order_by(ZONES.c.id)):
                digest.update(f"{row[0]}\0{row[1]}\0".encode())
        return (*incidents, findings, agreements, digest.hexdigest())

    def counts(self) -> dict[str, int]:
        """Rows per table: a quick look at a workspace."""
        tables = {
            "agreements": AGREEMENTS,
            "actors": ACTORS,
            "zones": ZONES,
            "incidents": INCIDENTS,
            "findings": FINDINGS,
        }
        with self.engine.connect() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for name, t in tables.items()
            }


def _incident_dict(row: Any) -> dict[str, Any]:
    """A stored row as plain JSON-ready values, with ISO times beside the seconds."""
    out = {k: v for k, v in dict(row).items() if k not in ("row_hash",)}
    for key in ("perpetrators", "targets"):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = json.loads(value)
    if "t0" in out:
        out["start"] = iso(int(out["t0"]))
        out["end"] = iso(int(out["t1"]))
    updated = out.get("updated_at")
    if isinstance(updated, dt.datetime):
        out["updated_at"] = updated.isoformat()
    return out


class _IncidentRows:
    """Database rows (with their content hash) for the incidents of one read."""

    def __init__(self, inc: Incidents, bulk: _Bulk) -> None:
        self.inc = inc
        self.cols = {
            name: getattr(inc, name).tolist()
            for name in (
                "id", "source", "t0", "t1", "time_precision", "lon", "lat", "radius_m", "area",
                "place_name", "conduct", "killed_low", "killed_best", "killed_high",
                "perpetrator_text", "target_text",
            )
        }  # fmt: skip
        self.conducts = [
            (
                c.act.value,
                [[by, list(names)] for by, names in c.perpetrators],
                list(c.targets),
                bool(c.directed),
            )
            for c in inc.conducts
        ]
        self.conduct_keys = [json.dumps(c, ensure_ascii=False) for c in self.conducts]
        # What the driver receives for the conduct columns, prepared once per conduct.
        self.conduct_values = [
            (act, bulk.json(perpetrators), bulk.json(targets), bulk.boolean(directed))
            for act, perpetrators, targets, directed in self.conducts
        ]

    def record(self, i: int) -> dict[str, Any]:
        col = self.cols
        area = col["area"][i]
        code, area_name = (
            (None, "")
            if area < 0
            else (
                self.inc.areas[area].code,
                self.inc.areas[area].name,
            )
        )
        act, perpetrators, targets, directed = self.conduct_values[col["conduct"][i]]
        killed = [
            None if v != v else float(v)  # NaN is "not recorded"
            for v in (col["killed_low"][i], col["killed_best"][i], col["killed_high"][i])
        ]
        record: dict[str, Any] = {
            "source": str(col["source"][i]),
            "source_id": str(col["id"][i]),
            "t0": int(col["t0"][i]),
            "t1": int(col["t1"][i]),
            "time_precision": str(col["time_precision"][i] or ""),
            "lon": float(col["lon"][i]),
            "lat": float(col["lat"][i]),
            "radius_m": float(col["radius_m"][i]),
            "area_code": code,
            "area_name": area_name,
            "place_name": str(col["place_name"][i] or ""),
            "act": act,
            "perpetrators": perpetrators,
            "targets": targets,
            "directed": directed,
            "killed_low": killed[0],
            "killed_best": killed[1],
            "killed_high": killed[2],
            "perpetrator_text": str(col["perpetrator_text"][i] or ""),
            "target_text": str(col["target_text"][i] or ""),
        }
        text = "\x1f".join(
            [
                record["source"],
                record["source_id"],
                str(record["t0"]),
                str(record["t1"]),
                record["time_precision"],
                repr(record["lon"]),
                repr(record["lat"]),
                repr(record["radius_m"]),
                code or "",
                area_name,
                record["place_name"],
                self.conduct_keys[col["conduct"][i]],
                repr(killed),
                record["perpetrator_text"],
                record["target_text"],
            ]
        )
        record["row_hash"] = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
        return record


class _Bulk:
    """Bulk writes, built with SQLAlchemy Core and handed to the driver in bulk.

    At a million rows SQLAlchemy's per-row parameter processing costs more than
    the insert itself, so parameters reach the driver ready-made: the few values
    that need a type's processing (JSON, booleans, timestamps) are processed
    once per distinct value with that same type's own processor.

    The upsert is `INSERT .. ON CONFLICT (source, source_id) DO UPDATE .. WHERE
    row_hash differs` on both databases. SQLite runs it with `executemany`.
    PostgreSQL first COPYs the batch into a temporary table (dropped at commit)
    and upserts from it with one statement: a round trip per row would cost
    more than the write.
    """

    STAGE = "cf_incident_stage"

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self.dialect = dialect
        self.copy = dialect.name == "postgresql"
        make_insert: Any = postgresql.insert if self.copy else sqlite.insert
        self.columns = ["source", "source_id", *CONTENT, "status", "submitted_by", "updated_at"]
        self.columns.append("row_hash")
        self.finding_columns = [c.name for c in FINDINGS.c]
        ins = make_insert(INCIDENTS)
        on_conflict = {
            "index_elements": ["source", "source_id"],
            "set_": {c: ins.excluded[c] for c in self.columns[2:]},
            "where": INCIDENTS.c.row_hash != ins.excluded.row_hash,
        }
        if self.copy:
            self.stage_table = table(self.STAGE, *(column(c) for c in self.columns))
            source = select(*(self.stage_table.c[c] for c in self.columns))
            self._upsert_from_stage = ins.from_select(self.columns, source).on_conflict_do_update(
                **on_conflict
            )
            self._upsert_sql, self._upsert_keys = "", None
            self._finding_sql, self._finding_keys = "", None
        else:
            values = ins.values({c: bindparam(c) for c in self.columns})
            self._upsert_sql, self._upsert_keys = self._compile(
                values.on_conflict_do_update(**on_conflict)
            )
            finding = insert(FINDINGS).values({c: bindparam(c) for c in self.finding_columns})
            self._finding_sql, self._finding_keys = self._compile(finding)
        self._json = INCIDENTS.c.perpetrators.type.dialect_impl(dialect).bind_processor(dialect)
        self._bool = INCIDENTS.c.directed.type.dialect_impl(dialect).bind_processor(dialect)
        self._time = INCIDENTS.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)

    def _compile(self, statement: Any) -> tuple[str, list[str] | None]:
        compiled = statement.compile(dialect=self.dialect)
        keys = list(compiled.positiontup) if compiled.positional else None
        return str(compiled), keys

    # Values as the driver takes them.

    def json(self, value: Any) -> Any:
        if self.copy:
            return json.dumps(value)  # COPY reads JSON as its text
        return self._json(value) if self._json else value

    def boolean(self, value: bool) -> Any:
        return self._bool(value) if self._bool and not self.copy else value

    def timestamp(self, value: dt.datetime) -> Any:
        return self._time(value) if self._time and not self.copy else value

    @staticmethod
    def _params(keys: list[str] | None, records: list[dict[str, Any]]) -> Any:
        """Rows in the driver's parameter style: tuples for `?`, the dicts for `%(name)s`."""
        if keys is None:
            return records
        return [tuple(record[k] for k in keys) for record in records]

    @staticmethod
    def _copy_rows(
        conn: Connection, table_name: str, columns: list[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    # The steps of a batch.

    def stage(self, conn: Connection, records: list[dict[str, Any]]) -> None:
        """PostgreSQL: the batch into a temporary table that disappears at commit."""
        listed = ", ".join(self.columns)
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {self.STAGE} ON COMMIT DROP AS "
            f"SELECT {listed} FROM incidents WITH NO DATA"
        )
        keys = self.columns
        self._copy_rows(conn, self.STAGE, keys, ([r[k] for k in keys] for r in records))

    def existing(
        self, conn: Connection, records: list[dict[str, Any]]
    ) -> dict[tuple[str, str], tuple[int, str]]:
        """(source, source id) -> (pk, row_hash) of the batch's rows already stored."""
        found: dict[tuple[str, str], tuple[int, str]] = {}
        if self.copy:
            stage = self.stage_table
            query = select(_I.pk, _I.source, _I.source_id, _I.row_hash).join_from(
                stage,
                INCIDENTS,
                and_(_I.source == stage.c.source, _I.source_id == stage.c.source_id),
            )
            for pk, source, sid, digest in conn.execute(query):
                found[(source, sid)] = (int(pk), str(digest))
            return found
        for source, ids in _by_source(records).items():
            for part in _chunks(ids, IN_CHUNK):
                query = select(_I.pk, _I.source_id, _I.row_hash).where(
                    _I.source == source, _I.source_id.in_(part)
                )
                for pk, sid, digest in conn.execute(query):
                    found[(source, sid)] = (int(pk), str(digest))
        return found

    def upsert(self, conn: Connection, records: list[dict[str, Any]]) -> None:
        if self.copy:
            # Unchanged staged rows are left alone by the statement's `WHERE row_hash <>`.
            conn.execute(self._upsert_from_stage)
        else:
            conn.exec_driver_sql(self._upsert_sql, self._params(self._upsert_keys, records))

    def keys(self, conn: Connection, records: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
        """The row keys given to newly inserted rows."""
        out: dict[tuple[str, str], int] = {}
        if self.copy:
            return {key: found[0] for key, found in self.existing(conn, records).items()}
        for source, ids in _by_source(records).items():
            for part in _chunks(ids, IN_CHUNK):
                query = select(_I.pk, _I.source_id).where(
                    _I.source == source, _I.source_id.in_(part)
                )
                for pk, sid in conn.execute(query):
                    out[(source, sid)] = int(pk)
        return out

    def insert_findings(self, conn: Connection, records: list[dict[str, Any]]) -> None:
        if self.copy:
            keys = self.finding_columns
            self._copy_rows(conn, "findings", keys, ([r[k] for k in keys] for r in records))
        else:
            conn.exec_driver_sql(self._finding_sql, self._params(self._finding_keys, records))


def _by_source(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for record in records:
        out.setdefault(record["source"], []).append(record["source_id"])
    return out


__all__ = ["DEFAULT_BATCH", "IngestReport", "Repository", "SchemaError"]
