"""The record: one object over one database, a unit of work over one transaction.

`Record.open(url)` is what the CLI, the HTTP app, the tests and a notebook use::

    with Record.open("ceasefire.db") as rec:
        catalogue = rec.agreements.catalogue()
        page = rec.findings.find(agreement="syria-coh-2016", limit=50)

Everything done through one record's stores (`agreements`, `incidents`,
`findings`, `cases`, `ledger`, `users`) runs in the record's SQLAlchemy
session: leaving the `with` block commits it, an exception rolls it back, and
`commit()` / `rollback()` end the current transaction early (the next use
begins a new one). A record is for one thread and one piece of work; a server
opens one per request on a shared engine with `Record.on(engine)`.

Schema operations (`init`, `upgrade`) run on their own connection and commit
themselves: a migration is never part of somebody's unit of work.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ceasefire.storage import migrations
from ceasefire.storage.agreements_store import AgreementStore
from ceasefire.storage.db import database_url, make_engine
from ceasefire.storage.findings_store import FindingStore
from ceasefire.storage.incidents_store import IncidentStore
from ceasefire.storage.tables import ACTORS, AGREEMENTS, FINDINGS, INCIDENTS, ZONES, I

if TYPE_CHECKING:
    from ceasefire.storage.attributions_store import AttributionStore
    from ceasefire.storage.cases_store import CaseStore
    from ceasefire.storage.events_store import EventStore
    from ceasefire.storage.ledger_store import LedgerStore
    from ceasefire.storage.review_store import ReviewStore
    from ceasefire.storage.settings_store import SettingsStore
    from ceasefire.storage.users_store import UserStore

T = TypeVar("T")


class SchemaError(RuntimeError):
    """The database is not at the schema this version of ceasefire expects."""


class Record:
    """Agreements, incidents, findings, cases, the ledger and users in SQLite or PostgreSQL.

    Open with `Record.open(url)`: `url` is `--db`, else `CEASEFIRE_DB`, else
    `./ceasefire.db`; a bare path is a SQLite file.
    """

    def __init__(self, engine: Engine, *, owns_engine: bool = False) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {engine.dialect.name!r}: SQLite or PostgreSQL")
        self.engine = engine
        self._owns_engine = owns_engine
        # Objects stay readable after a commit: a record is a workspace, not a cache.
        self.session = Session(engine, expire_on_commit=False)
        self.agreements = AgreementStore(self.session)
        self.incidents = IncidentStore(self.session)
        self.findings = FindingStore(self.session)
        self._cases: CaseStore | None = None
        self._ledger: LedgerStore | None = None
        self._users: UserStore | None = None
        self._settings: SettingsStore | None = None
        self._attributions: AttributionStore | None = None
        self._events: EventStore | None = None
        self._review: ReviewStore | None = None

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, url: str | None = None, **engine_kwargs: Any) -> Record:
        """A record on its own engine, disposed of when the record closes."""
        resolved = database_url(url)
        parsed = make_url(resolved)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            # A workspace may name a folder that does not exist yet.
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return cls(make_engine(resolved, **engine_kwargs), owns_engine=True)

    @classmethod
    def on(cls, engine: Engine) -> Record:
        """A record on a shared engine (one per request of a server); closing keeps the engine."""
        return cls(engine)

    @property
    def url(self) -> str:
        """The database URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def commit(self) -> None:
        """Make the work so far permanent; the record stays open for more."""
        self.session.commit()

    def rollback(self) -> None:
        """Forget the work since the last commit; the record stays open for more."""
        self.session.rollback()

    def close(self) -> None:
        """End the record: uncommitted work is rolled back; an owned engine is disposed of."""
        self.session.close()
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Record:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()

    # ------------------------------------------------------------------ the other stores

    @property
    def cases(self) -> CaseStore:
        """Allegations, rulings and referrals."""
        if self._cases is None:
            from ceasefire.storage.cases_store import CaseStore

            self._cases = CaseStore(self.session)
        return self._cases

    @property
    def ledger(self) -> LedgerStore:
        """The hash-chained ledger of changes to cases and rulings."""
        if self._ledger is None:
            from ceasefire.storage.ledger_store import LedgerStore

            self._ledger = LedgerStore(self.session)
        return self._ledger

    @property
    def users(self) -> UserStore:
        """Accounts and their API tokens."""
        if self._users is None:
            from ceasefire.storage.users_store import UserStore

            self._users = UserStore(self.session)
        return self._users

    @property
    def settings(self) -> SettingsStore:
        """The workspace's own settings (its region)."""
        if self._settings is None:
            from ceasefire.storage.settings_store import SettingsStore

            self._settings = SettingsStore(self.session)
        return self._settings

    @property
    def attributions(self) -> AttributionStore:
        """Claims of who acted beside the datasets' own fields: inferred and people's."""
        if self._attributions is None:
            from ceasefire.storage.attributions_store import AttributionStore

            self._attributions = AttributionStore(self.session)
        return self._attributions

    @property
    def events(self) -> EventStore:
        """Which reports are of one event."""
        if self._events is None:
            from ceasefire.storage.events_store import EventStore

            self._events = EventStore(self.session)
        return self._events

    @property
    def review(self) -> ReviewStore:
        """The review queue: candidate incidents and possible duplicates."""
        if self._review is None:
            from ceasefire.storage.review_store import ReviewStore

            self._review = ReviewStore(self.session)
        return self._review

    @property
    def region_id(self) -> str | None:
        """The id of the region the record names; None for one made before records named it."""
        from ceasefire.storage.settings_store import REGION

        return self.settings.get(REGION)

    def name_region(self, region_id: str) -> None:
        """Store the record's region, in the record's transaction (the services check the id)."""
        from ceasefire.storage.settings_store import REGION

        self.settings.set(REGION, region_id)

    # ------------------------------------------------------------------ schema

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

    # ------------------------------------------------------------------ a look at the whole

    def version(self) -> tuple[Any, ...]:
        """Changes whenever what the findings depend on changes: for caching read models.

        Incidents (how many, the latest change), findings (how many), agreements
        (the latest change) and zones (a digest of their geometry and documents).
        """
        conn = self.session.connection()
        incidents = conn.execute(select(func.count(), func.max(I.updated_at))).one()
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
        conn = self.session.connection()
        return {
            name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for name, t in tables.items()
        }


def run_serialised(engine: Engine, work: Callable[[Record], T], attempts: int = 8) -> T:
    """Run `work` in one record on `engine`, retrying when a concurrent writer got there first.

    SQLite refuses a writer whose snapshot went stale ("database is locked"); the
    unique `prev_hash` of the ledger refuses a fork. Both mean: start again on the
    new head, in a fresh unit of work (the failed one was rolled back whole).
    """
    for attempt in range(attempts):
        try:
            with Record.on(engine) as rec:
                return work(rec)
        except (OperationalError, IntegrityError) as exc:
            retriable = isinstance(exc, OperationalError) or "ledger" in str(exc.orig).lower()
            if not retriable or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["Record", "SchemaError", "run_serialised"]
