"""Commands of the record: `init`, `db upgrade`, `agreements load`, `ingest`.

`register(app)` adds them to the main `ceasefire` command; each is a thin
wrapper over `ceasefire.services.ingest`. `python -m ceasefire.interfaces.cli.record`
runs them on their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ceasefire.interfaces.cli.support import errors, progress, reported
from ceasefire.storage.db import DEFAULT_DB, ENV_DB
from ceasefire.storage.repository import DEFAULT_BATCH

console = Console(soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=f"database URL or SQLite file (default: ${ENV_DB}, else ./{DEFAULT_DB})",
        show_default=False,
    ),
]


def init(db: DbOption = None) -> None:
    """Create a workspace: the database and its tables (safe to run again)."""
    from ceasefire.services.ingest import init_workspace

    with reported():
        info = init_workspace(db)
    console.print(f"workspace [bold]{info.url}[/] at schema {info.revision}")
    console.print(", ".join(f"{n:,} {name}" for name, n in info.counts.items()))


def db_upgrade(db: DbOption = None) -> None:
    """Migrate the database to the newest schema."""
    from ceasefire.services.ingest import upgrade_database

    with reported():
        before, after = upgrade_database(db)
    if before == after:
        console.print(f"already at schema {after}")
    else:
        console.print(f"upgraded from {before or 'an empty database'} to {after}")


def agreements_load(
    files: Annotated[list[Path], typer.Argument(help="agreement files (YAML or JSON)")],
    db: DbOption = None,
) -> None:
    """Check agreement files and store them; findings of changed agreements are recomputed."""
    from ceasefire.services.ingest import load_agreement_files

    with reported():
        catalogue = load_agreement_files(files, db)
    console.print(
        f"[green]stored[/]: {len(catalogue.agreements)} agreements, "
        f"{len(catalogue.actors.actors)} actors, {len(catalogue.zones)} zones in the workspace"
    )


def ingest(
    events: Annotated[list[Path], typer.Argument(help="incident files: UCDP, ACLED or JSONL")],
    db: DbOption = None,
    format: Annotated[
        str | None, typer.Option("--format", help="ucdp, acled or jsonl (else detected)")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="time zone of the incidents' dates")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="rows per transaction")
    ] = DEFAULT_BATCH,
    status: Annotated[
        str, typer.Option("--status", help="accepted, or candidate (awaiting review)")
    ] = "accepted",
    text: Annotated[
        bool,
        typer.Option("--text", help="the files are news articles: extract candidate incidents"),
    ] = False,
    published: Annotated[
        str | None, typer.Option("--published", help="with --text: the articles' date")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="with --text: outlet")] = None,
) -> None:
    """Store incidents, updating rows seen before (by source and id) and never duplicating."""
    from ceasefire.services.ingest import ingest_articles, ingest_files

    if text:
        if not published:
            errors.print("[bold red]error:[/] --text needs --published DATE")
            raise typer.Exit(2)
        with reported(), progress("storing") as on_progress:
            report = ingest_articles(
                events, db, published=published, source=source, progress=on_progress
            )
        console.print(
            f"{report.rows:,} candidate incidents awaiting review: "
            f"{report.inserted:,} inserted, {report.updated:,} updated, "
            f"{report.unchanged:,} unchanged"
        )
        return

    if format is not None and format not in ("ucdp", "acled", "jsonl"):
        errors.print(f"[bold red]error:[/] --format {format!r}: choose ucdp, acled or jsonl")
        raise typer.Exit(2)
    if status not in ("accepted", "candidate"):
        errors.print(f"[bold red]error:[/] --status {status!r}: choose accepted or candidate")
        raise typer.Exit(2)
    with reported(), progress("storing") as on_progress:
        report = ingest_files(
            events,
            db,
            format=format,  # type: ignore[arg-type]
            timezone=timezone,
            batch_size=batch_size,
            status=status,
            progress=on_progress,
        )
    for line in [*report.read.lines(), *report.notes]:
        errors.print(f"[dim]{line}[/]", highlight=False)
    console.print(
        f"{report.rows:,} incidents: [green]{report.inserted:,} inserted[/], "
        f"[yellow]{report.updated:,} updated[/], {report.unchanged:,} unchanged; "
        f"{report.findings:,} findings written in {report.batches:,} batches"
    )


def register(app: typer.Typer) -> None:
    """Add the record's commands to `app`."""
    app.command("init")(init)
    db_app = typer.Typer(help="The workspace database.", no_args_is_help=True)
    db_app.command("upgrade")(db_upgrade)
    app.add_typer(db_app, name="db")
    agreements_app = typer.Typer(help="Agreements in the workspace.", no_args_is_help=True)
    agreements_app.command("load")(agreements_load)
    app.add_typer(agreements_app, name="agreements")
    app.command("ingest")(ingest)


def main() -> None:
    app = typer.Typer(
        help="The ceasefire record.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    register(app)
    app()


if __name__ == "__main__":
    main()
