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

from ceasefire.interfaces.cli.support import DbOption, reported
from ceasefire.services import cases as case_service
from ceasefire.services import ledger as ledger_service
from ceasefire.services import users as user_service
from ceasefire.storage.db import make_engine
from ceasefire.storage.record import Record

T = TypeVar("T")

Db = DbOption
As = Annotated[str, typer.Option("--as", help="act as this user (its key must be in the keystore)")]
AsOptional = Annotated[
    str | None, typer.Option("--as", help="read as this user (default: what the public sees)")
]


class Workspace:
    """The database and the keystore named by `--db` and the environment.

    Each command's work runs in one `Record` on the workspace's engine: its
    changes and their ledger entries commit together, or not at all.
    """

    def __init__(self, db: str | None) -> None:
        self.engine: Engine = make_engine(db)
        self.keys = user_service.Keystore.for_database(db)

    def write(self, work: Callable[[Record], T]) -> T:
        """Run a change in one unit of work, again on a fresh head if a writer got there first."""
        return ledger_service.run_serialised(self.engine, work)

    def read(self, work: Callable[[Record], T]) -> T:
        with Record.on(self.engine) as rec:
            return work(rec)

    def context(
        self, rec: Record, agreement_files: list[Path] | None = None
    ) -> case_service.CaseContext:
        agreements: case_service.AgreementLookup
        if agreement_files:
            from ceasefire.formats.agreements import load_agreements

            agreements = load_agreements(agreement_files)
        else:
            agreements = case_service.StoredAgreements(rec)
        return case_service.CaseContext(
            rec=rec,
            signer=self.keys,
            agreements=agreements,
            incident_status=case_service.stored_incident_status(rec),
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


def user(rec: Record, name: str | None) -> Any:
    """The user `--as NAME` names, or None (the caller decides what no name means)."""
    return user_service.get_user(rec, name) if name else None
