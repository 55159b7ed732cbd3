"""`ceasefire ledger`: export the signed, hash-chained record and verify it.

An export carries every user's public key, so anyone can verify it offline
with `ceasefire ledger verify FILE`; a tampered entry exits 1, naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.interfaces.cli.support import console, errors, fail
from ceasefire.interfaces.cli.workspace import Db, workspace
from ceasefire.interfaces.cli.workspace import user as named_user
from ceasefire.services import ledger as ledger_service

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

ledger_app = typer.Typer(help="The signed, hash-chained record of every change.")


@ledger_app.command("export")
def ledger_export(
    file: Annotated[Path, typer.Argument(help="write JSON Lines here")],
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="export as this user sees it (others' payloads withheld)"),
    ] = None,
    db: Db = None,
) -> None:
    """Write the ledger with every user's public key, for anyone to verify offline."""
    with workspace(db) as space:

        def work(rec: Record) -> int:
            viewer = named_user(rec, as_user) or LOCAL_OPERATOR  # who holds the file: all of it
            return ledger_service.export(rec, file, viewer=viewer)

        count = space.read(work)
    console.print(f"{count} entries written to {file}")


@ledger_app.command("verify")
def ledger_verify(
    file: Annotated[
        Path | None, typer.Argument(help="an exported ledger (default: the database's)")
    ] = None,
    db: Db = None,
) -> None:
    """Check the chain and every signature; exit 1 naming the first bad entry."""
    if file is not None:
        try:
            result = ledger_service.verify_file(file)
        except OSError as exc:
            raise fail(f"{file}: {exc.strerror or exc}") from None
    else:
        with workspace(db) as space:
            result = space.read(ledger_service.verify_db)
    if result.ok:
        console.print(f"[green]ok[/]: {result.describe()}")
        return
    errors.print(f"[bold red]tampered:[/] {result.describe()}", highlight=False)
    raise typer.Exit(1)
