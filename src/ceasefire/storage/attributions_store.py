"""Claims of who acted, kept beside the datasets' own fields (table `attributions`).

Two kinds of row share the table:

- inferred rows (`basis_kind` text | capability), written by the record's ingest
  and recompute (`services.record` through `services.attribution`) and replaced per
  incident each time it is read again (`replace_inferred`);
- a person's rows (`basis_kind` person | responsibility | discount), written by the
  review service (`add`, `set_status`), never touched by a recompute; the ledger's
  replay reads them (`replay_rows`).

A row's id is the sha256 of its fields (incident, role, actors, claimant, kind,
basis, span, author), so writing the same claim twice yields the same row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Text, cast, delete, insert, select, update
from sqlalchemy.orm import Session

from ceasefire.storage.db import Base
from ceasefire.storage.models import AttributionRow
from ceasefire.storage.tables import chunks, utcnow

ATTRIBUTIONS = Base.metadata.tables[AttributionRow.__tablename__]
A = ATTRIBUTIONS.c

#: Rows inference writes and recompute replaces; rows only a person writes.
INFERRED_KINDS = ("text", "capability")
PERSON_KINDS = ("person", "responsibility", "discount")
BASIS_KINDS = INFERRED_KINDS + PERSON_KINDS
ROLES = ("perpetrator", "target")
STATUSES = ("active", "withdrawn")

_FIELDS = (
    "id", "incident_pk", "role", "actors", "claimed_by", "basis_kind", "basis", "span",
    "status", "created_by", "created_at",
)  # fmt: skip


def attribution_id(
    incident_pk: int,
    *,
    role: str,
    actors: Sequence[str],
    claimed_by: str | None,
    basis_kind: str,
    basis: str,
    span: Sequence[int] | None,
    created_by: str | None,
) -> str:
    """The sha256 of a claim's fields: the same claim always has the same id."""
    fields = [
        int(incident_pk), role, list(actors), claimed_by, basis_kind, basis,
        None if span is None else [int(x) for x in span], created_by,
    ]  # fmt: skip
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check(role: str, basis_kind: str, actors: Sequence[str]) -> None:
    if role not in ROLES:
        raise ValueError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    if basis_kind not in BASIS_KINDS:
        raise ValueError(f"basis_kind {basis_kind!r}: choose one of {', '.join(BASIS_KINDS)}")
    if basis_kind != "discount" and not actors:
        raise ValueError("a claim names at least one actor")


class AttributionStore:
    """Claims of who acted, in the record's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _conn(self) -> Connection:
        return self.session.connection()

    # ------------------------------------------------------------------ a person's claims

    def add(
        self,
        incident_pk: int,
        *,
        role: str,
        actors: list[str],
        claimed_by: str | None,
        basis_kind: str,
        basis: str,
        span: list[int] | None = None,
        created_by: str | None = None,
    ) -> str:
        """Store a person's claim (active); returns its id. The same claim again is the same row.

        Inferred kinds are refused: a recompute replaces them (`replace_inferred`).
        """
        if basis_kind not in PERSON_KINDS:
            raise ValueError(
                f"basis_kind {basis_kind!r}: a person's claim is one of {', '.join(PERSON_KINDS)}"
            )
        _check(role, basis_kind, actors)
        ident = attribution_id(
            incident_pk, role=role, actors=actors, claimed_by=claimed_by,
            basis_kind=basis_kind, basis=basis, span=span, created_by=created_by,
        )  # fmt: skip
        if self.get(ident) is None:
            self._conn().execute(
                insert(ATTRIBUTIONS).values(
                    id=ident,
                    incident_pk=int(incident_pk),
                    role=role,
                    actors=list(actors),
                    claimed_by=claimed_by,
                    basis_kind=basis_kind,
                    basis=basis,
                    span=None if span is None else [int(x) for x in span],
                    status="active",
                    created_by=created_by,
                    created_at=utcnow(),
                )  # fmt: skip
            )
        return ident

    def set_status(self, id: str, status: str) -> None:
        """`active` or `withdrawn` (a withdrawn claim is kept, and no longer judged)."""
        if status not in STATUSES:
            raise ValueError(f"status {status!r}: choose one of {', '.join(STATUSES)}")
        done = self._conn().execute(update(ATTRIBUTIONS).where(A.id == id).values(status=status))
        if not done.rowcount:
            raise KeyError(id)

    def get(self, id: str) -> dict[str, Any] | None:
        row = self._conn().execute(select(*self._columns()).where(A.id == id)).first()
        return None if row is None else _dict(row)

    # ------------------------------------------------------------------ every row

    def of(self, incident_pks: Sequence[int]) -> list[dict[str, Any]]:
        """Every row (inferred and a person's, any status) of these incidents, oldest first."""
        out: list[dict[str, Any]] = []
        conn = self._conn()
        for part in chunks(sorted({int(p) for p in incident_pks})):
            query = (
                select(*self._columns())
                .where(A.incident_pk.in_(part))
                .order_by(A.incident_pk, A.created_at, A.id)
            )
            out.extend(_dict(r) for r in conn.execute(query))
        return out

    def people(self, incident_pks: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """A person's rows (any status) of these incidents, by incident."""
        out: dict[int, list[dict[str, Any]]] = {}
        conn = self._conn()
        for part in chunks(sorted({int(p) for p in incident_pks})):
            query = (
                select(*self._columns())
                .where(A.incident_pk.in_(part), A.basis_kind.in_(PERSON_KINDS))
                .order_by(A.incident_pk, A.created_at, A.id)
            )
            for r in conn.execute(query):
                row = _dict(r)
                out.setdefault(int(row["incident_pk"]), []).append(row)
        return out

    def any_people(self) -> bool:
        """Whether any person's row is stored (so loading can skip the look-up)."""
        query = select(A.id).where(A.basis_kind.in_(PERSON_KINDS)).limit(1)
        return self._conn().execute(query).first() is not None

    def replace_inferred(self, incident_pks: Iterable[int], rows: Sequence[dict[str, Any]]) -> int:
        """Replace the inferred rows of these incidents by `rows` (each with `incident_pk`,
        `role`, `actors`, `claimed_by`, `basis_kind` text|capability, `basis`, `span`).

        A person's rows are left as they are. Returns how many rows were written.
        """
        conn = self._conn()
        pks = sorted({int(p) for p in incident_pks})
        for part in chunks(pks):
            conn.execute(
                delete(ATTRIBUTIONS).where(
                    A.incident_pk.in_(part), A.basis_kind.in_(INFERRED_KINDS)
                )
            )
        now = utcnow()
        records: dict[str, dict[str, Any]] = {}
        for row in rows:
            kind = row["basis_kind"]
            if kind not in INFERRED_KINDS:
                raise ValueError(f"basis_kind {kind!r} is not inferred: use `add`")
            role = row.get("role", "perpetrator")
            _check(role, kind, row["actors"])
            span = row.get("span")
            fields: dict[str, Any] = {
                "role": role,
                "actors": list(row["actors"]),
                "claimed_by": row.get("claimed_by"),
                "basis_kind": kind,
                "basis": row.get("basis", ""),
                "span": None if span is None else [int(x) for x in span],
                "created_by": None,
            }
            ident = attribution_id(int(row["incident_pk"]), **fields)
            records[ident] = {
                "id": ident, "incident_pk": int(row["incident_pk"]), **fields,
                "status": "active", "created_at": now,
            }  # fmt: skip
        values = list(records.values())
        for start in range(0, len(values), 1000):
            conn.execute(insert(ATTRIBUTIONS), values[start : start + 1000])
        return len(values)

    def replay_rows(self) -> list[dict[str, Any]]:
        """A person's rows, every incident, oldest first: what the ledger's replay compares."""
        query = (
            select(*self._columns())
            .where(A.basis_kind.in_(PERSON_KINDS))
            .order_by(A.created_at, A.id)
        )
        return [_dict(r) for r in self._conn().execute(query)]

    def count(self, *, basis_kind: str | None = None) -> int:
        from sqlalchemy import func

        query = select(func.count()).select_from(ATTRIBUTIONS)
        if basis_kind is not None:
            query = query.where(A.basis_kind == basis_kind)
        return int(self._conn().execute(query).scalar_one())

    @staticmethod
    def _columns() -> list[Any]:
        return [cast(A[name], Text) if name in ("actors", "span") else A[name] for name in _FIELDS]


def _dict(row: Any) -> dict[str, Any]:
    out = dict(zip(_FIELDS, row, strict=True))
    for key in ("actors", "span"):
        value = out[key]
        out[key] = json.loads(value) if isinstance(value, str) else value
    created = out.get("created_at")
    if created is not None and hasattr(created, "isoformat"):
        out["created_at"] = created.isoformat()
    return out


__all__ = [
    "BASIS_KINDS",
    "INFERRED_KINDS",
    "PERSON_KINDS",
    "AttributionStore",
    "attribution_id",
]
