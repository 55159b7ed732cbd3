"""Bulk writes of incidents and findings, the fast path of ingest.

Shared by the incident and finding stores of one database; `bulk_for` builds
the statements once per dialect.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, and_, bindparam, column, insert, select, table
from sqlalchemy.dialects import postgresql, sqlite

from ceasefire.storage.tables import FINDINGS, INCIDENTS, I, chunks

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
    "source_text",
    "source_name",
    "admin1",
    "admin2",
    "aggregate",
)

_BULK: dict[tuple[str, str], Bulk] = {}


def bulk_for(dialect: Dialect) -> Bulk:
    """The bulk statements for a dialect, compiled once per process."""
    key = (dialect.name, str(dialect.driver))
    found = _BULK.get(key)
    if found is None:
        found = _BULK[key] = Bulk(dialect)
    return found


class Bulk:
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

    def __init__(self, dialect: Dialect) -> None:
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
        """PostgreSQL: the batch into a temporary table that disappears at commit.

        A second batch in the same transaction replaces the first one's table.
        """
        listed = ", ".join(self.columns)
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{self.STAGE}")
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
            query = select(I.pk, I.source, I.source_id, I.row_hash).join_from(
                stage,
                INCIDENTS,
                and_(I.source == stage.c.source, I.source_id == stage.c.source_id),
            )
            for pk, source, sid, digest in conn.execute(query):
                found[(source, sid)] = (int(pk), str(digest))
            return found
        for source, ids in by_source(records).items():
            for part in chunks(ids):
                query = select(I.pk, I.source_id, I.row_hash).where(
                    I.source == source, I.source_id.in_(part)
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
        for source, ids in by_source(records).items():
            for part in chunks(ids):
                query = select(I.pk, I.source_id).where(I.source == source, I.source_id.in_(part))
                for pk, sid in conn.execute(query):
                    out[(source, sid)] = int(pk)
        return out

    def insert_findings(self, conn: Connection, records: list[dict[str, Any]]) -> None:
        if self.copy:
            keys = self.finding_columns
            self._copy_rows(conn, "findings", keys, ([r[k] for k in keys] for r in records))
        else:
            conn.exec_driver_sql(self._finding_sql, self._params(self._finding_keys, records))


def by_source(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for record in records:
        out.setdefault(record["source"], []).append(record["source_id"])
    return out
