"""Commands of the record: `init`, `db upgrade`, `agreements load`, `ingest`, `serve`.

`register(app)` adds them to the main `ceasefire` command; each is a thin
wrapper over the services, acting as the user `--as NAME` names, else as the
local operator (whoever holds the database file:
`ceasefire.core.policy.LocalOperator`). `python -m
ceasefire.interfaces.cli.record` runs them on their own. The services (and
with them SQLAlchemy) are imported when a command runs, not at start-up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.interfaces.cli.support import (
    DEFAULT_BATCH,
    ENV_DB,
    DbOption,
    console,
    errors,
    fail,
    progress,
    reported,
)

PANEL = "Record"
INPUT_FORMATS = ("ucdp", "acled", "jsonl")
STATUSES = ("accepted", "candidate")
#: Without `--as`, a command acts as the local operator (see docs/policy.md).
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="act as this user (default: the local operator, as an admin)"),
]


def init(
    db: DbOption = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="the region of its places and local times (default: CEASEFIRE_REGION, else "
            "the default region; see `ceasefire regions list`)",
        ),
    ] = None,
) -> None:
    """Create a workspace: the database and its tables, in one region (safe to run again)."""
    from ceasefire.services.ingest import init_workspace

    with reported():
        info = init_workspace(db, region=region)
    console.print(f"workspace [bold]{info.url}[/] at schema {info.revision}", soft_wrap=True)
    console.print(
        f"region {info.region.id} ({info.region.name}, {info.region.timezone})", soft_wrap=True
    )
    console.print(", ".join(f"{n:,} {name}" for name, n in info.counts.items()), soft_wrap=True)


def db_upgrade(db: DbOption = None) -> None:
    """Migrate the database to the newest schema."""
    from ceasefire.services.ingest import upgrade_database

    with reported():
        before, after = upgrade_database(db)
    if before == after:
        console.print(f"already at schema {after}", soft_wrap=True)
    else:
        console.print(f"upgraded from {before or 'an empty database'} to {after}", soft_wrap=True)


def agreements_load(
    files: Annotated[list[Path], typer.Argument(help="agreement files (YAML or JSON)")],
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Check agreement files and store them; findings of changed agreements are recomputed."""
    from ceasefire.services.ingest import load_agreement_files
    from ceasefire.services.users import acting

    with reported():
        catalogue = load_agreement_files(files, db, who=acting(db, as_user))
    console.print(
        f"[green]stored[/]: {len(catalogue.agreements)} agreements, "
        f"{len(catalogue.actors.actors)} actors, {len(catalogue.zones)} zones in the workspace",
        soft_wrap=True,
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
        int | None,
        typer.Option(
            "--batch-size", min=1, help=f"rows per transaction (default: {DEFAULT_BATCH:,})"
        ),
    ] = None,
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
    no_match: Annotated[
        bool,
        typer.Option("--no-match", help="do not match the sources' reports into events after"),
    ] = False,
    as_user: AsOption = None,
) -> None:
    """Store incidents, updating rows seen before (by source and id) and never duplicating.

    With two or more sources on the record, their reports of one event are then linked
    (as `ceasefire match` does), so counts count events.
    """
    if text:
        ingest_text(events, db, published, source, as_user)
        return
    if format is not None and format not in INPUT_FORMATS:
        raise fail(f"--format {format!r}: choose ucdp, acled or jsonl")
    if status not in STATUSES:
        raise fail(f"--status {status!r}: choose accepted or candidate")
    from ceasefire.services.ingest import ingest_files
    from ceasefire.services.users import acting

    batch = {} if batch_size is None else {"batch_size": batch_size}
    with reported(), progress("storing") as on_progress:
        report = ingest_files(
            events,
            db,
            format=format,  # type: ignore[arg-type]
            timezone=timezone,
            status=status,
            progress=on_progress,
            submitted_by=as_user,
            who=acting(db, as_user),
            match=not no_match,
            **batch,
        )
    for line in [*report.read.lines(), *report.notes]:
        errors.print(f"[dim]{line}[/]", highlight=False)
    console.print(
        f"{report.rows:,} incidents: [green]{report.inserted:,} inserted[/], "
        f"[yellow]{report.updated:,} updated[/], {report.unchanged:,} unchanged; "
        f"{report.findings:,} findings written in {report.batches:,} batches",
        soft_wrap=True,
    )


def ingest_text(
    articles: list[Path],
    db: str | None,
    published: str | None,
    source: str | None,
    as_user: str | None = None,
) -> None:
    """`ingest --text`: articles become candidate incidents awaiting a monitor's review."""
    if not published:
        raise fail("--text needs --published DATE")
    from ceasefire.services.ingest import ingest_articles
    from ceasefire.services.users import acting

    with reported(), progress("storing") as on_progress:
        report = ingest_articles(
            articles,
            db,
            published=published,
            source=source,
            progress=on_progress,
            submitted_by=as_user,
            who=acting(db, as_user),
        )
    console.print(
        f"{report.rows:,} candidate incidents awaiting review: "
        f"{report.inserted:,} inserted, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged",
        soft_wrap=True,
    )


def match(
    as_user: Annotated[
        str, typer.Option("--as", help="the reviewer running it (its key signs the run)")
    ],
    sources: Annotated[
        list[str] | None,
        typer.Option("--source", help="match only these sources (repeat; default: all)"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Link reports of one event across sources: sure pairs linked, likely ones sent to review."""
    from ceasefire.interfaces.cli.workspace import workspace
    from ceasefire.services import events
    from ceasefire.services.users import get_user

    with workspace(db) as space:
        report = space.write(
            lambda rec: events.match(
                rec, get_user(rec, as_user), sources or None, signer=space.keys
            )
        )
    for line in report.lines():
        console.print(line, soft_wrap=True, highlight=False)


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="worker processes, each with its own copy of the app (SQLite: readers in "
            "parallel, one writer at a time; PostgreSQL: both)",
        ),
    ] = 1,
) -> None:
    """Serve the web pages and the REST API (OpenAPI at /api/v1/openapi.json) on 127.0.0.1:8000."""
    import uvicorn

    from ceasefire.interfaces.http.app import create_app

    with reported():
        api = create_app(db)  # the workspace checked (and created) once, before any worker
    console.print(
        f"serving [bold]{api.state.workspace.url}[/]: pages on http://{host}:{port}/, "
        f"API on http://{host}:{port}/api/v1"
        + (f", {workers} worker processes" if workers > 1 else ""),
        soft_wrap=True,
    )
    if workers == 1:
        uvicorn.run(api, host=host, port=port, log_level="info")
        return
    os.environ[ENV_DB] = api.state.workspace.address  # what each worker's app opens
    api.state.workspace.close()
    uvicorn.run(
        "ceasefire.interfaces.http.app:create_app",
        factory=True, host=host, port=port, workers=workers, log_level="info",
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the record's commands to `app`."""
    app.command("init", rich_help_panel=PANEL)(init)
    db_app = typer.Typer(help="The workspace database.", no_args_is_help=True)
    db_app.command("upgrade")(db_upgrade)
    app.add_typer(db_app, name="db", rich_help_panel=PANEL)
    agreements_app = typer.Typer(help="Agreements in the workspace.", no_args_is_help=True)
    agreements_app.command("load")(agreements_load)
    app.add_typer(agreements_app, name="agreements", rich_help_panel=PANEL)
    app.command("ingest", rich_help_panel=PANEL)(ingest)
    app.command("match", rich_help_panel=PANEL)(match)
    app.command("serve", rich_help_panel=PANEL)(serve)


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
