"""`Record` is a unit of work: one transaction, committed on success, rolled back on error."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from ceasefire.services import record
from ceasefire.storage.record import Record

from .helpers import DEMO_AGREEMENTS


class Boom(RuntimeError):
    pass


def _agreements(url: str) -> int:
    with Record.open(url) as rec:
        return rec.counts()["agreements"]


def test_an_error_leaves_nothing_written(db_url: str) -> None:
    with Record.open(db_url) as rec:
        rec.init()
    with pytest.raises(Boom), Record.open(db_url) as rec:
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        assert rec.counts()["agreements"] == 2  # seen inside the unit of work...
        raise Boom
    assert _agreements(db_url) == 0  # ...and gone with it
    with Record.open(db_url) as rec:
        assert rec.agreements.catalogue().agreements == []
        assert rec.session.execute(text("select count(*) from agreement_files")).scalar() == 0


def test_leaving_the_block_commits(db_url: str) -> None:
    with Record.open(db_url) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
    assert _agreements(db_url) == 2


def test_two_records_see_each_others_committed_work(db_url: str) -> None:
    with Record.open(db_url) as setup:
        setup.init()
    writer, reader = Record.open(db_url), Record.open(db_url)
    try:
        record.load_agreements(writer, [DEMO_AGREEMENTS])
        assert reader.counts()["agreements"] == 0  # not committed: not there for others
        reader.rollback()  # end the reader's transaction, so it reads afresh
        writer.commit()
        assert reader.counts()["agreements"] == 2
        assert [a.id for a in reader.agreements.catalogue().agreements] == [
            a.id for a in writer.agreements.catalogue().agreements
        ]
        writer.rollback()  # nothing left to undo: committed work stays
        assert writer.counts()["agreements"] == 2
    finally:
        writer.close()
        reader.close()


def test_rollback_forgets_and_the_record_goes_on(db_url: str) -> None:
    with Record.open(db_url) as rec:
        rec.init()
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        rec.rollback()
        assert rec.counts()["agreements"] == 0
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        rec.commit()
    assert _agreements(db_url) == 2


def test_a_record_on_a_shared_engine_leaves_it_open(db_url: str) -> None:
    with Record.open(db_url) as owner:
        owner.init()
        with Record.on(owner.engine) as per_request:
            record.load_agreements(per_request, [DEMO_AGREEMENTS])
        # The per-request record committed and closed; the engine still serves the owner.
        assert owner.counts()["agreements"] == 2


def test_cases_ledger_and_users_share_the_records_transaction(db_url: str) -> None:
    with Record.open(db_url) as rec:
        rec.init()
        assert rec.users.session is rec.session
        assert rec.cases.session is rec.session
        assert rec.ledger.session is rec.session
        assert rec.users is rec.users  # built once, on first use
    with pytest.raises(Boom), Record.open(db_url) as rec:
        rec.users.add(
            name="observer",
            role="monitor",
            party=None,
            password_hash=None,
            public_key="",
            created_at=dt.datetime.now(dt.UTC),
        )
        record.load_agreements(rec, [DEMO_AGREEMENTS])
        assert rec.users.names() == ["observer"]
        raise Boom
    with Record.open(db_url) as rec:
        assert rec.users.count() == 0 and rec.counts()["agreements"] == 0
        rec.users.add(
            name="observer",
            role="monitor",
            party=None,
            password_hash=None,
            public_key="",
            created_at=dt.datetime.now(dt.UTC),
        )
    with Record.open(db_url) as rec:
        assert rec.users.names() == ["observer"]
