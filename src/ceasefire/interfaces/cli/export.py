"""`ceasefire export findings|incidents|dashboard|cases`: the API's exports, as files.

The same services as `/api/v1/exports/...`, the same columns, the same rules: a
file holds only what the user named by `--as` may read (without `--as`, what the
public sees, as `ceasefire cases list` shows). Rows are written a batch at a
time to `FILE.part`, renamed to `FILE` once complete (standard output without `-o`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from ceasefire.core.policy import Settings
from ceasefire.interfaces.cli.support import console
from ceasefire.interfaces.cli.workspace import AsOptional, Db, Workspace
from ceasefire.interfaces.cli.workspace import user as _user
from ceasefire.interfaces.cli.workspace import workspace as _workspace
from ceasefire.services import cases as case_service
from ceasefire.services import exports
from ceasefire.storage.record import Record

export_app = typer.Typer(
    help="Files of what the pages show: findings, the map, the dashboard, the case queue.",
    no_args_is_help=True,
)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="csv, geojson or parquet")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="write here (default: standard output)")
]
Agreement = Annotated[str | None, typer.Option("--agreement", help="agreement id")]
Reading = Annotated[str | None, typer.Option("--reading", help="reading (`text`, a party's)")]
Many = Annotated[list[str] | None, typer.Option(help="repeat for several")]
From = Annotated[str | None, typer.Option("--from", help="first local day, YYYY-MM-DD")]
To = Annotated[str | None, typer.Option("--to", help="last local day, included")]
InScope = Annotated[bool, typer.Option("--in-scope", help="leave out what is out of scope")]
Limit = Annotated[int | None, typer.Option("--limit", help="at most this many rows")]


def _write(export: exports.Export, output: Path | None) -> int:
    """The export's bytes to `output` (through `output.part`) or standard output."""
    if output is None:
        return _copy(export, sys.stdout.buffer)
    part = output.with_name(output.name + ".part")
    try:
        with part.open("wb") as sink:
            size = _copy(export, sink)
        os.replace(part, output)
    finally:
        part.unlink(missing_ok=True)
    console.print(f"wrote {export.name} ({export.fmt}, {size:,} bytes) to {output}", style="dim")
    return size


def _copy(export: exports.Export, sink: BinaryIO) -> int:
    size = 0
    for chunk in export.chunks():
        sink.write(chunk)
        size += len(chunk)
    sink.flush()
    return size


def _run(
    db: str | None, output: Path | None, plan: Callable[[Workspace, Record], exports.Export]
) -> None:
    with _workspace(db) as space, Record.on(space.engine) as rec:
        export = plan(space, rec)
        _write(export, output)


def _opener(space: Workspace) -> Callable[[], Record]:
    return lambda: Record.on(space.engine)


@export_app.command("findings")
def findings(
    fmt: FormatOption = "csv",
    agreement: Agreement = None,
    reading: Reading = None,
    category: Many = None,
    party: Many = None,
    grade: Many = None,
    zone: Annotated[str | None, typer.Option(help="only findings inside this zone")] = None,
    date_from: From = None,
    date_to: To = None,
    in_scope: InScope = False,
    limit: Limit = None,
    output: Output = None,
    as_user: AsOptional = None,
    db: Db = None,
) -> None:
    """Findings of accepted incidents, filtered as `/api/v1/findings` filters them."""
    _run(
        db,
        output,
        lambda space, rec: exports.findings(
            rec,
            _user(rec, as_user),
            fmt,
            settings=Settings.from_env(),
            reopen=_opener(space),
            agreement=agreement,
            reading=reading,
            category=category,
            party=party,
            grade=grade,
            zone=zone,
            date_from=date_from,
            date_to=date_to,
            in_scope=in_scope,
            limit=limit,
        ),
    )


@export_app.command("incidents")
def incidents(
    fmt: FormatOption = "csv",
    agreement: Agreement = None,
    reading: Reading = None,
    date_from: From = None,
    date_to: To = None,
    in_scope: InScope = False,
    limit: Limit = None,
    output: Output = None,
    as_user: AsOptional = None,
    db: Db = None,
) -> None:
    """What the map draws: each accepted incident with its finding under one reading."""
    _run(
        db,
        output,
        lambda space, rec: exports.incidents(
            rec,
            _user(rec, as_user),
            fmt,
            settings=Settings.from_env(),
            reopen=_opener(space),
            agreement=agreement,
            reading=reading,
            date_from=date_from,
            date_to=date_to,
            in_scope=in_scope,
            limit=limit,
        ),
    )


@export_app.command("dashboard")
def dashboard(
    fmt: FormatOption = "csv",
    agreement: Agreement = None,
    reading: Reading = None,
    date_from: From = None,
    date_to: To = None,
    output: Output = None,
    as_user: AsOptional = None,
    db: Db = None,
) -> None:
    """The dashboard's weekly series by party and by grade, and its zone table."""
    _run(
        db,
        output,
        lambda space, rec: exports.dashboard(
            rec,
            _user(rec, as_user),
            fmt,
            settings=Settings.from_env(),
            reopen=_opener(space),
            agreement=agreement,
            reading=reading,
            date_from=date_from,
            date_to=date_to,
        ),
    )


@export_app.command("cases")
def cases(
    fmt: FormatOption = "csv",
    status: Annotated[str | None, typer.Option("--status", help="only this status")] = None,
    agreement: Agreement = None,
    output: Output = None,
    as_user: AsOptional = None,
    db: Db = None,
) -> None:
    """The case queue you may see: your party's cases, and published ones."""

    def plan(space: Workspace, rec: Record) -> exports.Export:
        @contextmanager
        def reopen() -> Iterator[case_service.CaseContext]:
            with Record.on(space.engine) as again:
                yield space.context(again)

        who = _user(rec, as_user)
        return exports.case_queue(
            space.context(rec), who, fmt, reopen=reopen, status=status, agreement=agreement
        )

    _run(db, output, plan)
