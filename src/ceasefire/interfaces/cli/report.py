"""`ceasefire report`: the monitoring report of one agreement for a day, a week, a month.

A thin wrapper: `services.reports.build_report` makes the figures (and decides what
the viewer may see), `formats.report` the document. Imports of either happen when
the command runs, so `ceasefire --help` stays light.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.core.policy import ANONYMOUS, Settings
from ceasefire.interfaces.cli.support import DbOption, console, fail, reported

PANEL = "Record"
FORMATS = ("html", "pdf", "md")


def report(
    agreement: Annotated[str, typer.Option("--agreement", help="the agreement's id")],
    reading: Annotated[
        str | None, typer.Option("--reading", help="a party's reading (default: the text)")
    ] = None,
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="day, week (Monday to Sunday), month — the latest full one in the data "
            "unless --from — or FROM..TO (local dates, e.g. 2016-04-25..2016-05-01)",
        ),
    ] = "week",
    start_from: Annotated[
        str | None,
        typer.Option("--from", help="with day, week or month: the period's first local date"),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option("--format", help="html, pdf or md (default: from -o's suffix, else html)"),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="the file to write (default: report-ID-DATES.EXT)"),
    ] = None,
    db: DbOption = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="as this user sees it (default: what the public sees)"),
    ] = None,
) -> None:
    """Write the report an observer mission publishes: headlines per zone and governorate,
    parties charged, map and weekly chart, disputed readings, cases, sources and caveats."""
    chosen = format or (output.suffix.lstrip(".").lower() if output is not None else "html")
    if chosen not in FORMATS:
        what = "--format" if format else "-o's suffix"
        raise fail(f"{what} {chosen!r}: choose html, pdf or md")
    from ceasefire.formats import report as documents
    from ceasefire.interfaces.cli.workspace import user, workspace
    from ceasefire.services import ledger, reports

    with workspace(db) as space:
        keys = ledger.LogKey(space.keys.directory)
        built = space.write(
            lambda rec: reports.build_report(
                rec,
                user(rec, as_user) or ANONYMOUS,
                agreement_id=agreement,
                reading=reading,
                period=period,
                start_from=start_from,
                settings=Settings.from_env(),
                keys=keys,
            )
        )
    with reported():
        try:
            data = documents.render(built.model_dump(mode="json"), chosen)
        except documents.RenderError as exc:
            raise fail(str(exc), 1) from None
    if output is None:
        output = Path(f"report-{built.agreement}-{built.period.first}-{built.period.last}.{chosen}")
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        return
    partial = output.with_name(output.name + ".part")
    try:
        partial.write_bytes(data)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise fail(f"{output}: {exc.strerror or exc}") from None
    total = built.headlines[0]
    console.print(
        f"wrote [bold]{output}[/] ({len(data):,} bytes, {chosen}): {total.violations:,} events "
        f"judged violations in {built.period.label} under "
        f"{'the text' if built.reading == 'text' else built.reading + chr(39) + 's reading'}",
        soft_wrap=True,
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add `report` to the main command."""
    app.command("report", rich_help_panel=PANEL)(report)
