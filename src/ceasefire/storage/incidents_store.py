"""Incidents as stored: bulk upsert by (source, source id), and every query on them.

Rows carry a `row_hash` of everything that came from the source, so writing
the same incident again is recognised and skipped. Stored incidents come back
as the engine's columns (`Incidents`) or as plain JSON-ready dicts; filters
and pages are applied in SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Unpack

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Connection, Select, Text, and_, cast, func, select
from sqlalchemy.orm import Session

from ceasefire.core.incidents import Area, Conduct, Incidents
from ceasefire.core.model import Act
from ceasefire.core.policy import IncidentSight
from ceasefire.core.timing import iso
from ceasefire.storage.bulk import Bulk, bulk_for
from ceasefire.storage.models import STATUSES
from ceasefire.storage.tables import (
    FINDINGS,
    INCIDENTS,
    F,
    I,
    IncidentQuery,
    chunks,
    incident_filters,
    sight_filter,
    utcnow,
)

#: Incidents per chunk when they are read back for the engine (`batches`).
CHUNK = 50_000

#: How an area code becomes geometry again (the region's boundaries); None: not known.
AreaLookup = Callable[[str], BaseGeometry | None]


@dataclass
class Upserted:
    """What one `upsert` did with a batch.

    `written` holds the positions (in the incidents given) of the rows inserted
    or changed, `pks` their row keys in the same order, and `updated_pks` the
    keys of rows that existed with other content (their findings are stale).
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    written: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    pks: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    updated_pks: list[int] = field(default_factory=list)


class IncidentRows:
    """Database rows (with their content hash) for the incidents of one read."""

    def __init__(self, inc: Incidents, bulk: Bulk) -> None:
        self.inc = inc
        self.cols = {
            name: getattr(inc, name).tolist()
            for name in (
                "id", "source", "t0", "t1", "time_precision", "lon", "lat", "radius_m", "area",
                "place_name", "conduct", "killed_low", "killed_best", "killed_high",
                "perpetrator_text", "target_text", "source_text", "source_name", "admin1",
                "admin2", "aggregate",
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

    def __len__(self) -> int:
        return len(self.inc)

    def record(self, i: int) -> dict[str, Any]:
        col = self.cols
        area = col["area"][i]
        code, area_name = (
            (None, "") if area < 0 else (self.inc.areas[area].code, self.inc.areas[area].name)
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
            "source_text": str(col["source_text"][i] or ""),
            "source_name": str(col["source_name"][i] or ""),
            "admin1": str(col["admin1"][i] or ""),
            "admin2": str(col["admin2"][i] or ""),
            "aggregate": str(col["aggregate"][i] or ""),
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
                record["source_text"],
                record["source_name"],
                record["admin1"],
                record["admin2"],
                *([record["aggregate"]] if record["aggregate"] else []),  # old hashes hold
            ]
        )
        record["row_hash"] = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
        return record


def incident_dict(row: Any) -> dict[str, Any]:
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


_LOAD_COLUMNS = (
    I.pk, I.source, I.source_id, I.t0, I.t1, I.time_precision, I.lon, I.lat,
    I.radius_m, I.area_code, I.area_name, I.place_name, I.act,
    cast(I.perpetrators, Text), cast(I.targets, Text), I.directed,
    I.killed_low, I.killed_best, I.killed_high, I.perpetrator_text, I.target_text,
    I.source_text, I.source_name, I.admin1, I.admin2, I.aggregate,
)  # fmt: skip


def _columns(rows: Sequence[Any], areas: AreaLookup | None) -> Incidents:
    """Columns from rows; conducts and areas are rebuilt once per distinct value."""
    n = len(rows)
    area_list: list[Area] = []
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
                geometry = None if areas is None else areas(code)
                # An area whose boundary is not known stays the point it was given.
                index = len(area_list) if geometry is not None else -1
                if geometry is not None:
                    area_list.append(Area(code, row[10] or code, geometry))
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
        source_text=column(21),
        source_name=column(22),
        admin1=column(23),
        admin2=column(24),
        aggregate=column(25),
        areas=area_list,
        conducts=conducts,
    )


class IncidentStore:
    """Incidents in the record's transaction: bulk upsert, the engine's columns, pages."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _conn(self) -> Connection:
        return self.session.connection()

    def _bulk(self) -> Bulk:
        return bulk_for(self._conn().dialect)

    # ------------------------------------------------------------------ writing

    def rows(self, incidents: Incidents) -> IncidentRows:
        """The rows `upsert` writes, prepared once for all the batches of one input."""
        return IncidentRows(incidents, self._bulk())

    def upsert(
        self,
        rows: IncidentRows,
        batch: npt.NDArray[np.int64],
        *,
        status: str = "accepted",
        submitted_by: str | None = None,
    ) -> Upserted:
        """Insert or update the rows at positions `batch`, skipping those stored unchanged.

        A row is unchanged when its `row_hash` (of everything from the source)
        matches the stored one: then neither it, its status nor its findings are
        touched.
        """
        if status not in STATUSES:
            raise ValueError(f"status {status!r}: choose one of {', '.join(STATUSES)}")
        conn = self._conn()
        bulk = self._bulk()
        now = bulk.timestamp(utcnow())
        records = [rows.record(int(i)) for i in batch]
        for record in records:
            record["status"] = status
            record["submitted_by"] = submitted_by
            record["updated_at"] = now
        if bulk.copy:
            bulk.stage(conn, records)
        existing = bulk.existing(conn, records)
        result = Upserted()
        positions: list[int] = []
        for n, record in enumerate(records):
            found = existing.get((record["source"], record["source_id"]))
            if found is not None and found[1] == record["row_hash"]:
                result.unchanged += 1
                continue
            if found is None:
                result.inserted += 1
            else:
                result.updated += 1
                result.updated_pks.append(found[0])
            positions.append(n)
        if not positions:
            return result
        to_write = [records[n] for n in positions]
        bulk.upsert(conn, to_write)
        pk_of = {key: found[0] for key, found in existing.items()}
        pk_of.update(
            bulk.keys(conn, [r for r in to_write if (r["source"], r["source_id"]) not in pk_of])
        )
        result.written = batch[np.asarray(positions, dtype=np.int64)]
        result.pks = np.array(
            [pk_of[(r["source"], r["source_id"])] for r in to_write], dtype=np.int64
        )
        return result

    # ------------------------------------------------------------------ the engine's columns

    def load(
        self,
        *,
        ids: Iterable[int] | None = None,
        areas: AreaLookup | None = None,
        **filters: Unpack[IncidentQuery],
    ) -> tuple[Incidents, npt.NDArray[np.int64]]:
        """Stored incidents as the engine's columns, with their row keys in the same order.

        `areas` turns the stored area codes back into geometry (the region's
        boundaries); without it, or for a code it does not know, an incident
        known only to an area keeps the point and radius it was stored with.
        """
        where = incident_filters(**filters)
        conn = self._conn()
        if ids is None:
            return self._load(conn, where, areas)
        parts = [
            self._load(conn, [*where, I.pk.in_(part)], areas)
            for part in chunks(sorted({int(i) for i in ids}))
        ]
        parts = [p for p in parts if len(p[0])]
        if not parts:
            return _columns([], areas), np.zeros(0, np.int64)
        if len(parts) == 1:
            return parts[0]
        return Incidents.concat([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def batches(
        self,
        pks: Sequence[int] | None = None,
        *,
        areas: AreaLookup | None = None,
        size: int = CHUNK,
    ) -> Iterator[tuple[Incidents, npt.NDArray[np.int64]]]:
        """The incidents with these row keys (None: all), a bounded chunk at a time."""
        conn = self._conn()
        if pks is not None:
            for part in chunks(sorted({int(p) for p in pks})):
                found = self._load(conn, [I.pk.in_(part)], areas)
                if len(found[0]):
                    yield found
            return
        last = -1
        while True:
            chunk, chunk_pks = self._load(conn, [I.pk > last], areas, limit=size)
            if not len(chunk):
                return
            yield chunk, chunk_pks
            last = int(chunk_pks[-1])

    @staticmethod
    def _load(
        conn: Connection,
        where: list[ColumnElement[bool]],
        areas: AreaLookup | None,
        limit: int | None = None,
    ) -> tuple[Incidents, npt.NDArray[np.int64]]:
        query: Select[Any] = select(*_LOAD_COLUMNS).where(*where).order_by(I.pk)
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query).all()
        return _columns(rows, areas), np.array([r[0] for r in rows], dtype=np.int64)

    # ------------------------------------------------------------------ plain values

    def get(
        self, key: int | str | tuple[str, str], *, sight: IncidentSight | None = None
    ) -> dict[str, Any] | None:
        """One incident with its findings; None if absent (or, with `sight`, not visible).

        `key` is the row key, `(source, source_id)`, or the text `source:source_id`
        (how allegations name incidents, so they survive a re-ingest).
        """
        if isinstance(key, str) and ":" in key:
            source, _, ident = key.partition(":")
            key = (source, ident)
        if isinstance(key, tuple):
            where = and_(I.source == key[0], I.source_id == str(key[1]))
        else:
            where = I.pk == int(key)
        if sight is not None:
            where = and_(where, sight_filter(sight))
        conn = self._conn()
        row = conn.execute(select(INCIDENTS).where(where)).mappings().first()
        if row is None:
            return None
        found = conn.execute(
            select(
                F.agreement_id, F.reading, F.category, F.probability, F.reasons, F.party, F.grade
            )
            .where(F.incident_pk == row["pk"])
            .order_by(F.agreement_id, F.reading)
        ).mappings()
        out = incident_dict(row)
        out["findings"] = [dict(f) for f in found]
        return out

    def find(
        self, *, limit: int | None = 100, offset: int = 0, **filters: Unpack[IncidentQuery]
    ) -> list[dict[str, Any]]:
        """Incidents as plain dicts (for JSON and GeoJSON), in row-key order, a page at a time."""
        query = select(INCIDENTS).where(*incident_filters(**filters)).order_by(I.pk).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [incident_dict(row) for row in self._conn().execute(query).mappings()]

    def count(self, *, status: str | None = None) -> int:
        """How many incidents are stored (with this status)."""
        query = select(func.count()).select_from(INCIDENTS).where(*incident_filters(status=status))
        return int(self._conn().execute(query).scalar_one())

    def points(self, agreement_id: str, reading: str, *, status: str = "accepted") -> list[Any]:
        """Every incident's point, interval, perpetrators and finding under one reading.

        Rows of `(pk, lon, lat, t0, t1, radius_m, perpetrators_json, killed_best,
        category, targets_json, directed, grade)`; `category` (and the finding's
        attribution `grade`) is None where the engine stored no finding, which
        means `out_of_scope`. What the map draws, read in one pass.
        """
        joined = INCIDENTS.outerjoin(
            FINDINGS,
            and_(F.incident_pk == I.pk, F.agreement_id == agreement_id, F.reading == reading),
        )
        query = (
            select(
                I.pk,
                I.lon,
                I.lat,
                I.t0,
                I.t1,
                I.radius_m,
                cast(I.perpetrators, Text),
                I.killed_best,
                F.category,
                cast(I.targets, Text),
                I.directed,
                F.grade,
            )
            .select_from(joined)
            .where(I.status == status)
            .order_by(I.pk)
        )
        return list(self._conn().execute(query).all())

    def labels(self, pks: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Id, start and place of many incidents at once, for lists of them."""
        out: dict[int, dict[str, Any]] = {}
        columns = (I.pk, I.source, I.source_id, I.t0, I.place_name, I.area_name)
        conn = self._conn()
        for part in chunks(sorted({int(p) for p in pks})):
            for row in conn.execute(select(*columns).where(I.pk.in_(part))):
                out[int(row[0])] = {
                    "id": f"{row[1]}:{row[2]}",
                    "start": iso(int(row[3])),
                    "place": row[4] or row[5] or "",
                }
        return out


__all__ = ["AreaLookup", "IncidentRows", "IncidentStore", "Upserted", "incident_dict"]
