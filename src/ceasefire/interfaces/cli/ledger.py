"""`ceasefire ledger`: the transparency log — checkpoints, export, verify, proofs, witnessing.

An export carries a checkpoint signed by the log for exactly its entries, so anyone
can verify it offline with `ceasefire ledger verify FILE`; a checkpoint kept outside
the server (`ceasefire ledger checkpoint -o FILE`) catches anything but appending
(`--since FILE`). A tampered log exits 1, naming the first bad entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.interfaces.cli.support import console, errors, fail
from ceasefire.interfaces.cli.workspace import Db, workspace
from ceasefire.interfaces.cli.workspace import user as named_user
from ceasefire.services import ledger as ledger_service

if TYPE_CHECKING:
    from ceasefire.core.checkpoint import Checkpoint
    from ceasefire.storage.record import Record

ledger_app = typer.Typer(help="The signed transparency log of every change.")

Since = Annotated[
    Path | None,
    typer.Option("--since", help="a checkpoint kept earlier: prove the log only grew since"),
]


@ledger_app.command("export")
def ledger_export(
    file: Annotated[Path, typer.Argument(help="write JSON Lines here")],
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="export as this user sees it (others' entries withheld)"),
    ] = None,
    db: Db = None,
) -> None:
    """Write the log with its signed checkpoint, for anyone to verify offline."""
    with workspace(db) as space:
        keys = ledger_service.LogKey(space.keys.directory)

        def work(rec: Record) -> int:
            viewer = named_user(rec, as_user) or LOCAL_OPERATOR  # who holds the file: all of it
            return ledger_service.export(rec, file, keys=keys, viewer=viewer)

        count = space.write(work)
    console.print(f"{count} entries written to {file}")


@ledger_app.command("checkpoint")
def ledger_checkpoint(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="also write the checkpoint here")
    ] = None,
    db: Db = None,
) -> None:
    """Sign (if the log grew) and print the checkpoint: keep it to check the log later."""
    with workspace(db) as space:
        keys = ledger_service.LogKey(space.keys.directory)
        signed = space.write(lambda rec: ledger_service.checkpoint(rec, keys))
    if output is not None:
        output.write_text(signed.text(), encoding="utf-8")
    print(signed.text(), end="")


def _since(path: Path | None) -> Checkpoint | None:
    if path is None:
        return None
    try:
        return ledger_service.read_checkpoint(path)
    except ledger_service.LedgerRefused as exc:
        raise fail(str(exc)) from None


@ledger_app.command("verify")
def ledger_verify(
    file: Annotated[
        Path | None, typer.Argument(help="an exported ledger (default: the database's)")
    ] = None,
    since: Since = None,
    db: Db = None,
) -> None:
    """Check the tree, every signature and checkpoint, and (database) the live tables."""
    earlier = _since(since)
    if file is not None:
        try:
            result = ledger_service.verify_file(file, since=earlier)
        except OSError as exc:
            raise fail(f"{file}: {exc.strerror or exc}") from None
    else:
        with workspace(db) as space:
            result = space.read(lambda rec: ledger_service.verify_db(rec, since=earlier))
    if result.ok:
        console.print(f"[green]ok[/]: {result.describe()}")
        return
    errors.print(f"[bold red]tampered:[/] {result.describe()}", highlight=False)
    for line in result.differences:
        errors.print(f"  - {line}", highlight=False)
    raise typer.Exit(1)


@ledger_app.command("prove")
def ledger_prove(
    entry: Annotated[int, typer.Argument(help="the entry's number (seq)")],
    size: Annotated[
        int | None, typer.Option("--size", help="in the checkpoint of this many entries")
    ] = None,
    db: Db = None,
) -> None:
    """Print the inclusion proof of one entry in a checkpoint (the log's now, by default)."""
    with workspace(db) as space:
        keys = ledger_service.LogKey(space.keys.directory)
        proof = space.write(
            lambda rec: ledger_service.prove(rec, entry, LOCAL_OPERATOR, size=size, keys=keys)
        )
    print(json.dumps(proof.as_dict(), indent=2))


@ledger_app.command("witness")
def ledger_witness(
    url: Annotated[str, typer.Argument(help="the server, e.g. https://taskforce.example")],
    key: Annotated[Path, typer.Option("--key", help="your Ed25519 private key (PEM)")],
    state: Annotated[Path, typer.Option("--state", help="where this witness keeps what it saw")],
    name: Annotated[str, typer.Option("--name", help="your user name on the record")],
) -> None:
    """Check the log only grew since your last run, then co-sign its checkpoint.

    Exits 1 when the log is not append-only (the evidence is kept in the state folder),
    2 when it could not check (network, a refused cosignature).
    """
    from ceasefire.services import users
    from ceasefire.services import witness as witness_service

    own = users.read_key_file(key)
    try:
        outcome = witness_service.witness(url, own, name, state)
    except witness_service.Inconsistent as alarm:
        errors.print(f"[bold red]inconsistent:[/] {alarm}", highlight=False)
        raise typer.Exit(1) from None
    except witness_service.WitnessError as exc:
        raise fail(str(exc)) from None
    console.print(f"[green]ok[/]: {outcome.message}")
