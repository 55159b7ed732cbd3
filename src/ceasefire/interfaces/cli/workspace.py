"""The workspace that `users`, `cases` and `ledger` commands act on, and who acts.

The local operator is trusted to act as a named user (`--as NAME`) whose private
key is in the keystore: every change is signed with that key and recorded on
the ledger, exactly as when the same user acts through the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ceasefire.interfaces.cli.support import DbOption, reported
from ceasefire.services import cases as case_service
from ceasefire.services import ledger as ledger_service
from ceasefire.services import users as user_service
from ceasefire.storage.db import make_engine, session_factory

T = TypeVar("T")

Db = DbOption
As = Annotated[str, typer.Option("--as", help="act as this user (its key must be in the keystore)")]
AsOptional = Annotated[
    str | None, typer.Option("--as", help="read as this user (default: what the public sees)")
]


class Workspace:
    """The database, its sessions and the keystore named by `--db` and the environment."""

    def __init__(self, db: str | None) -> None:
        self.engine: Engine = make_engine(db)
        self.factory: sessionmaker[Session] = session_factory(self.engine)
        self.keys = user_service.Keystore.for_database(db)

    def write(self, work: Callable[[Session], T]) -> T:
        return ledger_service.run_serialised(self.factory, work)

    def read(self, work: Callable[[Session], T]) -> T:
        with self.factory() as session, session.begin():
            return work(session)

    def context(
        self, session: Session, agreement_files: list[Path] | None = None
    ) -> case_service.CaseContext:
        agreements: case_service.AgreementLookup
        if agreement_files:
            from ceasefire.formats.agreements import load_agreements

            agreements = load_agreements(agreement_files)
        else:
            agreements = case_service.StoredAgreements(session)
        return case_service.CaseContext(
            session=session,
            signer=self.keys,
            agreements=agreements,
            incident_status=case_service.stored_incident_status(session),
        )

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def workspace(db: str | None) -> Iterator[Workspace]:
    """The workspace, closed at the end; errors inside are reported by `support.reported`."""
    space = Workspace(db)
    try:
        with reported():
            yield space
    finally:
        space.close()


def user(session: Session, name: str | None) -> Any:
    """The user `--as NAME` names, or None (the caller decides what no name means)."""
    return user_service.get_user(session, name) if name else None
