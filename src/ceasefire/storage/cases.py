"""Tables of the task force's record: users and tokens, allegations, rulings, referrals, ledger.

Incidents are referred to as text (`source:source_id`), not by foreign key: the
incident tables belong to the ingest side of the record, and an allegation must
keep naming the incident it was filed about even if that row is re-ingested.
Times are stored as UTC; `UTCDateTime` gives them back time-zone aware on every
database (SQLite drops the zone).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ceasefire.storage.db import Base

ROLES = ("admin", "adjudicator", "monitor", "party", "public")
STATUSES = ("submitted", "under_review", "ruled", "published", "withdrawn")
#: Statuses in which an allegation still awaits a published ruling.
OPEN_STATUSES = ("submitted", "under_review", "ruled")
#: The status in which an allegation and its ruling are public.
PUBLISHED = "published"
OUTCOMES = (
    "violation_confirmed",
    "no_violation",
    "inconclusive",
    "perpetrator_excluded",
    "no_joint_ruling",
)
POSITIONS = ("agree", "dissent")
#: Where a user's private key is: in the server's keystore, or only with the user.
KEY_MODES = ("server", "own")
#: A browser's login session, or a token issued for scripts.
TOKEN_KINDS = ("login", "api")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime on every backend, so comparisons never mix naive and aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class User(Base):
    """Someone who acts on the record. The private key lives in the keystore, never here."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    party: Mapped[str | None] = mapped_column(String(64), default=None)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    public_key: Mapped[str] = mapped_column(String(64), doc="Ed25519 raw public key, base64")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    key_mode: Mapped[str] = mapped_column(
        String(8), default="server", server_default="server", doc="server | own (KEY_MODES)"
    )


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256 so a leaked table grants nothing."""

    __tablename__ = "api_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(
        String(8), default="api", server_default="api", doc="login | api (TOKEN_KINDS)"
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class LoginFailure(Base):
    """One wrong password: counted per name and per client to lock out guessing."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class LoginLock(Base):
    """A name locked against logins until `until` (or an admin's unlock); not a foreign key,
    so guessing at names that do not exist is locked out too and reveals nothing."""

    __tablename__ = "login_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    locked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Allegation(Base):
    """A formal claim that a respondent violated an agreement."""

    __tablename__ = "allegations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(128), index=True)
    complainant: Mapped[str] = mapped_column(String(64), index=True)
    respondent: Mapped[str] = mapped_column(String(64), index=True)
    narrative: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    filed_by: Mapped[str] = mapped_column(ForeignKey("users.name"))
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    incidents: Mapped[list[AllegationIncident]] = relationship(
        order_by="AllegationIncident.position", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        order_by="Evidence.filename", cascade="all, delete-orphan"
    )
    answers: Mapped[list[Answer]] = relationship(order_by="Answer.id", cascade="all")
    ruling: Mapped[Ruling | None] = relationship(back_populates="allegation", cascade="all")


class AllegationIncident(Base):
    """An incident an allegation is about, by reference (`source:source_id`)."""

    __tablename__ = "allegation_incidents"

    allegation_id: Mapped[str] = mapped_column(ForeignKey("allegations.id"), primary_key=True)
    incident_ref: Mapped[str] = mapped_column(String(255), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Evidence(Base):
    """A file attached to an allegation, addressed by the SHA-256 of its content."""

    __tablename__ = "evidence"

    allegation_id: Mapped[str] = mapped_column(ForeignKey("allegations.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class Answer(Base):
    """The respondent's reply to an allegation."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    allegation_id: Mapped[str] = mapped_column(ForeignKey("allegations.id"), index=True)
    by_user: Mapped[str] = mapped_column(ForeignKey("users.name"))
    party: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Ruling(Base):
    """The panel's decision on one allegation; `panel` fixes who must sign for it to be joint."""

    __tablename__ = "rulings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    allegation_id: Mapped[str] = mapped_column(ForeignKey("allegations.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(32))
    proposed_outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    reasons: Mapped[str] = mapped_column(Text)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    panel: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.name"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    published_by: Mapped[str | None] = mapped_column(ForeignKey("users.name"), default=None)

    allegation: Mapped[Allegation] = relationship(back_populates="ruling")
    signatures: Mapped[list[Signature]] = relationship(
        order_by="Signature.at", cascade="all, delete-orphan"
    )


class Signature(Base):
    """One panel member's sign-off on a ruling: agreement, or dissent with a statement."""

    __tablename__ = "signatures"

    ruling_id: Mapped[int] = mapped_column(ForeignKey("rulings.id"), primary_key=True)
    adjudicator: Mapped[str] = mapped_column(String(64), primary_key=True, doc="actor id")
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"))
    position: Mapped[str] = mapped_column(String(16))
    statement: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Referral(Base):
    """Escalation of a party's persistent non-compliance (K confirmed violations in D days)."""

    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(128), index=True)
    respondent: Mapped[str] = mapped_column(String(64), index=True)
    allegations: Mapped[list[str]] = mapped_column(JSON)
    violations: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    ruling_id: Mapped[int] = mapped_column(ForeignKey("rulings.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.name"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LedgerEntry(Base):
    """One leaf of the transparency log (see `ceasefire.core.log` for its exact form).

    `at` is text: the exact string that was hashed. `leaf_hash` is the RFC 9162 leaf
    hash of the entry; `payload_sha256`, `prev_hash` and `hash` are set only on
    entries written before the log was a tree (format 1), `salt` and `key_mode`
    only on those written since.
    """

    __tablename__ = "ledger"
    __table_args__ = (UniqueConstraint("prev_hash", name="uq_ledger_prev_hash"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    user: Mapped[str] = mapped_column("user_name", String(64))
    action: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text, doc="canonical JSON")
    salt: Mapped[str | None] = mapped_column(String(32), default=None)
    key_mode: Mapped[str | None] = mapped_column(String(8), default=None)
    signature: Mapped[str] = mapped_column(String(128))
    leaf_hash: Mapped[str] = mapped_column(String(64), unique=True)
    payload_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class LedgerHead(Base):
    """The single row every append locks first, so concurrent appends queue instead of forking.

    `seq` is the tree size, `hash` the newest leaf hash; `origin` and `log_key` name
    the log and the public key its checkpoints are signed with (set at the first one).
    """

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str | None] = mapped_column(String(128), default=None)
    log_key: Mapped[str | None] = mapped_column(String(64), default=None)


class LedgerNode(Base):
    """The hash of one complete subtree: leaves [index·2^level, (index+1)·2^level)."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column("idx", Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class LedgerCheckpoint(Base):
    """A checkpoint the log signed, as the note text, with the cosignatures witnesses sent."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


#: The tables of this module, in creation order (tests create them without migrations).
CASE_TABLE_NAMES = (
    "users",
    "api_tokens",
    "login_failures",
    "login_locks",
    "allegations",
    "allegation_incidents",
    "evidence",
    "answers",
    "rulings",
    "signatures",
    "referrals",
    "ledger",
    "ledger_head",
    "ledger_nodes",
    "ledger_checkpoints",
)


def case_tables() -> list[Table]:
    return [Base.metadata.tables[name] for name in CASE_TABLE_NAMES]
