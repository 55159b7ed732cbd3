"""Fixtures for cases, rulings and the ledger, run on SQLite and on PostgreSQL.

PostgreSQL comes from `CEASEFIRE_TEST_PG_URL` (default: the local test server);
each test gets a fresh schema of its own, dropped afterwards. Where no server
answers, the PostgreSQL half is skipped with a message saying so.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text

from ceasefire.core.model import Agreement, Escalation
from ceasefire.formats.agreements import Catalogue, load_agreements
from ceasefire.services import cases
from ceasefire.services.users import Keystore, add_user
from ceasefire.storage.cases import User, case_tables
from ceasefire.storage.db import Base, make_engine
from ceasefire.storage.record import Record

DEMO = Path(__file__).resolve().parents[2] / "src/ceasefire/data/demo/syria-2016.yaml"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
START = dt.datetime(2016, 4, 28, 9, 0, tzinfo=dt.UTC)
COH = "syria-coh-2016"


def pg_url() -> str:
    return os.environ.get("CEASEFIRE_TEST_PG_URL", PG_DEFAULT)


@cache
def pg_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with psycopg.connect(pg_url(), connect_timeout=3) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL at {pg_url()} is not reachable ({first}); set CEASEFIRE_TEST_PG_URL"
    return None


def create_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        Base.metadata.create_all(conn, tables=case_tables(), checkfirst=False)


@contextmanager
def database(kind: str, tmp_path: Path, *, tables: bool = True) -> Iterator[Engine]:
    """A database of its own: a SQLite file, or a fresh PG schema dropped afterwards."""
    if kind == "sqlite":
        eng = make_engine(str(tmp_path / "cases.db"))
        if tables:
            create_tables(eng)
        try:
            yield eng
        finally:
            eng.dispose()
        return
    reason = pg_unreachable()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(pg_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(pg_url(), connect_args={"options": f"-csearch_path={schema}"})
    try:
        if tables:
            create_tables(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def url_of(engine: Engine) -> str:
    """A `--db` URL for the same database (for PG: with its schema as search path)."""
    if engine.dialect.name == "sqlite":
        return str(engine.url.database)
    with engine.connect() as conn:
        schema = conn.execute(text("select current_schema()")).scalar_one()
    return f"{pg_url()}?options=-csearch_path%3D{schema}"


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database holding the case tables and nothing else."""
    with database(request.param, tmp_path) as eng:
        yield eng


@pytest.fixture(params=BACKENDS)
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, for migrations."""
    with database(request.param, tmp_path, tables=False) as eng:
        yield eng


@pytest.fixture
def keys(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "keys")


class Clock:
    """An injectable clock the tests move forward."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, days: float = 0, hours: float = 0) -> None:
        self.now += dt.timedelta(days=days, hours=hours)


@dataclass
class Terms:
    """Agreement lookup over a dict, so tests can set adjudicators and escalation."""

    agreements: dict[str, Agreement] = field(default_factory=dict)

    def agreement(self, agreement_id: str) -> Agreement:
        return self.agreements[agreement_id]

    def update(self, agreement_id: str, **changes: object) -> None:
        self.agreements[agreement_id] = self.agreements[agreement_id].model_copy(update=changes)


@pytest.fixture(scope="session")
def demo_catalogue() -> Catalogue:
    return load_agreements([DEMO])


@pytest.fixture
def terms(demo_catalogue: Catalogue) -> Terms:
    """The demo agreements with the two co-chairs as adjudicators and an escalation rule."""
    out = Terms({a.id: a for a in demo_catalogue.agreements})
    for agreement_id in list(out.agreements):
        out.update(
            agreement_id,
            adjudicators=["russia", "usa"],
            escalation=Escalation(violations=2, days=30),
        )
    return out


#: The cast: name -> (role, party).
CAST: dict[str, tuple[str, str | None]] = {
    "root": ("admin", None),
    "ru-judge": ("adjudicator", "russia"),
    "us-judge": ("adjudicator", "usa"),
    "tr-judge": ("adjudicator", "turkey"),
    "mon": ("monitor", None),
    "gov-rep": ("party", "gov"),
    "opp-rep": ("party", "opposition"),
    "ru-rep": ("party", "russia"),
    "reader": ("public", None),
}


@dataclass
class World:
    """A workspace with the cast registered, a clock and the demo terms."""

    engine: Engine
    keys: Keystore
    terms: Terms
    clock: Clock

    def record(self) -> Record:
        """A unit of work on the world's database: committed at the end of `with`."""
        return Record.on(self.engine)

    def user(self, rec: Record, name: str) -> User:
        found = rec.session.get(User, name)
        assert found is not None
        return found

    def ctx(self, rec: Record) -> cases.CaseContext:
        return cases.CaseContext(rec=rec, signer=self.keys, agreements=self.terms, clock=self.clock)

    def do(self, name: str | None, fn: object, *args: object, **kwargs: object) -> object:
        """Run one service call as `name` in its own unit of work (one `Record`)."""
        with self.record() as rec:
            user = self.user(rec, name) if name else None
            return fn(self.ctx(rec), user, *args, **kwargs)  # type: ignore[operator]

    def file(self, name: str, complainant: str, respondent: str, **kwargs: object) -> str:
        kwargs.setdefault("narrative", f"{respondent} shelled {complainant}'s positions")
        view = self.do(
            name,
            cases.file_allegation,
            agreement_id=kwargs.pop("agreement_id", COH),
            complainant=complainant,
            respondent=respondent,
            **kwargs,
        )
        return view.id  # type: ignore[attr-defined]

    def to_ruled(self, allegation: str, outcome: str = "violation_confirmed") -> None:
        self.do("ru-judge", cases.review_allegation, allegation)
        self.do("us-judge", cases.propose_ruling, allegation, outcome=outcome, reasons="reasons")

    def to_published(self, allegation: str, outcome: str = "violation_confirmed") -> object:
        self.to_ruled(allegation, outcome)
        self.do("us-judge", cases.sign_ruling, allegation, position="agree")
        self.do("ru-judge", cases.sign_ruling, allegation, position="agree")
        return self.do("ru-judge", cases.publish_ruling, allegation)


def register_cast(engine: Engine, keys: Keystore, at: dt.datetime) -> None:
    with Record.on(engine) as rec:
        add_user(rec, None, "root", "admin", keys=keys, now=at)
    with Record.on(engine) as rec:
        root = rec.session.get(User, "root")
        for name, (role, party) in CAST.items():
            if name != "root":
                add_user(rec, root, name, role, party=party, keys=keys, now=at)


@pytest.fixture
def world(engine: Engine, keys: Keystore, terms: Terms) -> World:
    clock = Clock()
    register_cast(engine, keys, clock.now)
    return World(engine, keys, terms, clock)
