"""Tables of the record: agreement files, actors, zones, agreements, incidents, findings.

Columns are chosen to behave the same on SQLite and PostgreSQL: times are UTC
seconds in BigInteger (no time-zone semantics that differ between backends),
documents are JSON, geometry is GeoJSON text (no PostGIS needed). The
migration `0001_record` creates exactly these tables; change both together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ceasefire.storage.db import Base

#: Status of an incident: accepted into the record, or a candidate awaiting review
#: (text-extracted incidents wait for a monitor).
STATUSES = ("accepted", "candidate")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AgreementFileRow(Base):
    """An agreement file as loaded, kept verbatim so a finding can be traced to its text."""

    __tablename__ = "agreement_files"
    __table_args__ = (UniqueConstraint("sha256", name="uq_agreement_files_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AgreementRow(Base):
    """One agreement; `document` is the validated pydantic `Agreement` as JSON."""

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: Load order; the catalogue lists agreements in it, as the files did.
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(50))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_files.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActorRow(Base):
    """One actor; `document` is the pydantic `Actor` as JSON."""

    __tablename__ = "actors"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: Load order: when two actors share a name, the first declared wins, as in the files.
    position: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class ZoneRow(Base):
    """One zone with its resolved geometry (GeoJSON), so the engine needs no files to run."""

    __tablename__ = "zones"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(Text)
    geometry: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class IncidentRow(Base):
    """One incident, keyed for re-ingest by (source, source_id).

    Conduct is stored as act, perpetrators (a list of `[claimed_by, [actor ids]]`),
    targets and `directed`; `row_hash` covers every field that comes from the
    source, so a re-ingested row that has not changed is skipped.
    """

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_incidents_source"),
        Index("ix_incidents_t0", "t0"),
        Index("ix_incidents_lon_lat", "lon", "lat"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[str] = mapped_column(String(200))
    t0: Mapped[int] = mapped_column(BigInteger)
    t1: Mapped[int] = mapped_column(BigInteger)
    time_precision: Mapped[str] = mapped_column(String(50), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float, default=0.0)
    area_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    area_name: Mapped[str] = mapped_column(Text, default="")
    place_name: Mapped[str] = mapped_column(Text, default="")
    act: Mapped[str] = mapped_column(String(50))
    perpetrators: Mapped[list[Any]] = mapped_column(JSON)
    targets: Mapped[list[Any]] = mapped_column(JSON)
    directed: Mapped[bool] = mapped_column(Boolean, default=True)
    killed_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    killed_best: Mapped[float | None] = mapped_column(Float, nullable=True)
    killed_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    perpetrator_text: Mapped[str] = mapped_column(Text, default="")
    target_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="accepted")
    submitted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    row_hash: Mapped[str] = mapped_column(String(64))


class FindingRow(Base):
    """The engine's finding for one incident under one agreement and reading.

    Only pairs the engine found possibly inside are stored; a pair with no row
    is `out_of_scope` with probability 0 (outside the window or the zones).
    """

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_category", "category"),
        Index("ix_findings_agreement", "agreement_id", "reading"),
    )

    incident_pk: Mapped[int] = mapped_column(
        ForeignKey("incidents.pk", ondelete="CASCADE"), primary_key=True
    )
    agreement_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    reading: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    probability: Mapped[float] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text)


__all__ = [
    "STATUSES",
    "ActorRow",
    "AgreementFileRow",
    "AgreementRow",
    "FindingRow",
    "IncidentRow",
    "ZoneRow",
]
