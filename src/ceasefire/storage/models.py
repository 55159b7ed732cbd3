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

#: Status of an incident: accepted into the record, a candidate awaiting review
#: (text-extracted incidents wait for a monitor), or rejected by a reviewer (kept, with
#: the reason, and seen only by those who review).
STATUSES = ("accepted", "candidate", "rejected")


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
    #: The source's own words (UCDP `source_headline`, ACLED `notes`, a report's quote)
    #: and its name (UCDP `source_original`, ACLED `source`): what attribution reads.
    source_text: Mapped[str] = mapped_column(Text, server_default="")
    source_name: Mapped[str] = mapped_column(String(200), server_default="")
    #: "total" for a running total over days or places (never matched to one event).
    aggregate: Mapped[str] = mapped_column(String(20), server_default="")
    #: The source's own admin names of the place (UCDP `adm_1`/`adm_2`, ACLED
    #: `admin1`/`admin2`): how the reader tells which clause of the text is about it.
    admin1: Mapped[str] = mapped_column(String(200), server_default="")
    admin2: Mapped[str] = mapped_column(String(200), server_default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    review_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
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
        Index("ix_findings_grade", "agreement_id", "reading", "grade"),
    )

    incident_pk: Mapped[int] = mapped_column(
        ForeignKey("incidents.pk", ondelete="CASCADE"), primary_key=True
    )
    agreement_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    reading: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    probability: Mapped[float] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text)
    #: The party charged (`formats.findings.attributions`) and the attribution's grade
    #: (`core.model.Grade`), kept so filters and breakdowns run in SQL.
    party: Mapped[str] = mapped_column(String(200), default="", server_default="")
    grade: Mapped[str] = mapped_column(
        String(20), default="undetermined", server_default="undetermined"
    )


class AttributionRow(Base):
    """A claim of who acted (or was hit) kept beside the dataset's own fields.

    `basis_kind`: `text` (read from the source's words; `basis` quotes them, `span`
    locates them), `capability` (inferred: only one side can do this act), `person`
    (a reviewer's claim), `responsibility` (an actor claiming its own act).
    Inferred rows are replaced when the incident is re-read; a person's never are.
    `id` is the sha256 of the claim's fields, so re-reading yields the same row.
    """

    __tablename__ = "attributions"
    __table_args__ = (Index("ix_attributions_incident", "incident_pk"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_pk: Mapped[int] = mapped_column(ForeignKey("incidents.pk", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="perpetrator")
    actors: Mapped[list[Any]] = mapped_column(JSON)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    basis_kind: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(Text, default="")
    span: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventLinkRow(Base):
    """A report of an event that another report (the event's representative) stands for.

    A report with no row here represents its own event; counts count those.
    """

    __tablename__ = "event_links"
    __table_args__ = (Index("ix_event_links_event", "event_pk"),)

    report_pk: Mapped[int] = mapped_column(
        ForeignKey("incidents.pk", ondelete="CASCADE"), primary_key=True
    )
    event_pk: Mapped[int] = mapped_column(ForeignKey("incidents.pk", ondelete="CASCADE"))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    method: Mapped[str] = mapped_column(String(20), default="auto")  # auto | person
    linked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


#: What waits for a reviewer: a candidate incident, or a pair that may be one event.
REVIEW_KINDS = ("candidate", "duplicate")
REVIEW_STATUSES = ("open", "accepted", "merged", "rejected", "linked", "dismissed")


class ReviewItemRow(Base):
    """One item of the review queue and, once decided, who decided it and why."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("kind", "incident_pk", "other_pk", name="uq_review_items_pair"),
        Index("ix_review_items_status", "status", "kind"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    incident_pk: Mapped[int] = mapped_column(ForeignKey("incidents.pk", ondelete="CASCADE"))
    other_pk: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.pk", ondelete="CASCADE"), nullable=True
    )
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


__all__ = [
    "REVIEW_KINDS",
    "REVIEW_STATUSES",
    "STATUSES",
    "ActorRow",
    "AgreementFileRow",
    "AgreementRow",
    "AttributionRow",
    "EventLinkRow",
    "FindingRow",
    "IncidentRow",
    "ReviewItemRow",
    "ZoneRow",
]
