"""Commands on files, no workspace needed: `assess`, `validate`, `schema`, `demo`.

Each imports what it needs when it runs, so that `ceasefire --help` and
`ceasefire validate` start without pandas or the database.
"""

from __future__ import annotations

import shutil
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ceasefire.interfaces.cli.support import console, errors, fail, print_json, progress, reported

if TYPE_CHECKING:
    import pandas as pd

PANEL = "Files"

CATEGORY_STYLE = {
    "violation": "bold red",
    "contested": "magenta",
    "indeterminate": "yellow",
    "permitted": "green",
    "not_bound": "cyan",
    "out_of_scope": "dim",
}

HEADERS = {
    "violation": "viola-\ntion",
    "permitted": "permit-\nted",
    "contested": "contes-\nted",
    "not_bound": "not\nbound",
    "out_of_scope": "out of\nscope",
    "indeterminate": "inde-\nter-\nminate",
}

OUTPUT_FORMATS = ("csv", "jsonl", "geojson", "parquet")
INPUT_FORMATS = ("ucdp", "acled", "jsonl")


def print_counts(counts: pd.DataFrame, title: str = "Findings per agreement and reading") -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("agreement\n  reading", no_wrap=True)
    categories = [c for c in counts.columns if c not in ("agreement_id", "reading")]
    for c in categories:
        table.add_column(
            HEADERS.get(c, c), justify="right", style=CATEGORY_STYLE.get(c, ""), min_width=6
        )
    for record in counts.to_dict(orient="records"):
        table.add_row(
            f"{record['agreement_id']}\n  {record['reading']}",
            *(f"{int(record[c]):,}" for c in categories),
        )
    console.print(table)


def print_parties(parties: pd.DataFrame, top: int = 8) -> None:
    table = Table(title="Violations per party (best-estimate deaths)", title_justify="left")
    table.add_column("agreement / reading", no_wrap=True)
    table.add_column("charged to")
    table.add_column("violations", justify="right")
    table.add_column("killed", justify="right")
    for (agreement, reading), group in parties.groupby(["agreement_id", "reading"], sort=False):
        for n, record in enumerate(group.head(top).to_dict(orient="records")):
            table.add_row(
                f"{agreement} / {reading}" if n == 0 else "",
                str(record["party"]),
                f"{int(record['violations']):,}",
                f"{record['killed']:,.0f}",
            )
        if len(group) > top:  # the rest in one row, so the table still adds up
            rest = group.iloc[top:]
            table.add_row(
                "",
                f"{len(rest)} more (in the findings' party column)",
                f"{int(rest['violations'].sum()):,}",
                f"{rest['killed'].sum():,.0f}",
            )
        table.add_section()
    console.print(table)


GRADE_STYLE = {
    "confirmed": "bold green",
    "fair": "green",
    "weak": "yellow",
    "contested": "magenta",
    "discounted": "dim",
    "undetermined": "dim",
}


def print_grades(grades: pd.DataFrame) -> None:
    """Violations per attribution grade: how well who-acted is supported (Airwars scale)."""
    table = Table(title="Violations by grade (of who acted)", title_justify="left")
    table.add_column("agreement / reading", no_wrap=True)
    table.add_column("grade")
    table.add_column("violations", justify="right")
    table.add_column("killed", justify="right")
    for (agreement, reading), group in grades.groupby(["agreement_id", "reading"], sort=False):
        for n, record in enumerate(group.to_dict(orient="records")):
            style = GRADE_STYLE.get(str(record["grade"]), "")
            table.add_row(
                f"{agreement} / {reading}" if n == 0 else "",
                f"[{style}]{record['grade']}[/]" if style else str(record["grade"]),
                f"{int(record['violations']):,}",
                f"{record['killed']:,.0f}",
            )
        table.add_section()
    console.print(table)


ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="a dask scheduler's address, or `local`: EVENTS is one folder of Parquet "
        "partitions (a history dataset), judged partition by partition; -o is the findings' "
        "folder",
    ),
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", min=1, help="with --cluster local: worker processes")
]


def assess(
    agreements: Annotated[Path, typer.Argument(help="agreement file (YAML or JSON)")],
    events: Annotated[list[Path], typer.Argument(help="incident files: UCDP, ACLED or JSONL")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="write findings here")] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="output format: csv, jsonl, geojson, parquet"),
    ] = None,
    input_format: Annotated[
        str | None, typer.Option("--input-format", help="ucdp, acled or jsonl (else detected)")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="time zone of the incidents' dates")
    ] = None,
    in_scope_only: Annotated[
        bool, typer.Option("--in-scope-only", help="omit pairs ruled out at once (p = 0)")
    ] = False,
    infer: Annotated[
        bool,
        typer.Option(
            "--infer/--no-infer",
            help="infer who acted where the data gives only a dyad: from the source's own "
            "words and from what only one side can do (each a claim, with its basis)",
        ),
    ] = True,
    link: Annotated[
        bool,
        typer.Option(
            "--link/--no-link",
            help="with several sources, merge their reports of one event (counts count events)",
        ),
    ] = True,
    cluster: ClusterOption = None,
    workers: WorkersOption = None,
) -> None:
    """Judge every incident against every agreement and each party's reading."""
    if cluster is not None:
        _assess_on_cluster(agreements, events, out, cluster, workers)
        return
    if fmt is not None and fmt not in OUTPUT_FORMATS:
        raise fail(f"--format {fmt!r}: choose {', '.join(OUTPUT_FORMATS)}")
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise fail(f"--input-format {input_format!r}: ucdp, acled or jsonl")
    from ceasefire.formats.findings import format_for, write_frame
    from ceasefire.services.assess import run_assessment

    with reported():
        with progress("assessing", "agreement readings") as on_progress:
            result = run_assessment(
                [agreements],
                events,
                format=input_format,  # type: ignore[arg-type]
                timezone=timezone,
                progress=on_progress,
                infer=infer,
                link=link,
            )
        frame = result.frame(every_pair=not in_scope_only)
        if out is not None:
            write_frame(frame, out, format_for(out, fmt))
        elif fmt is not None:
            errors.print("[yellow]--format given without --out; printing the summary only[/]")
    for line in result.report.lines():
        errors.print(f"[dim]{line}[/]", highlight=False)
    events_line = result.events_line()
    if events_line:
        console.print(events_line, soft_wrap=True, highlight=False)
    print_counts(result.counts())
    print_parties(result.violations_by_party())
    print_grades(result.violations_by_grade())
    if out is not None:
        console.print(f"{len(frame):,} findings written to [bold]{out}[/]")


def _assess_on_cluster(
    agreements: Path, events: list[Path], out: Path | None, address: str, workers: int | None
) -> None:
    """`assess --cluster`: a history dataset judged on dask, findings as a dataset."""
    if len(events) != 1 or not events[0].is_dir():
        raise fail("--cluster: give one folder of Parquet partitions (a history dataset)")
    if out is None:
        raise fail("--cluster: give -o FOLDER for the findings' partitions")
    from ceasefire.services import cluster

    with reported():
        client = cluster.connect(address, workers)
        try:
            with progress("assessing", "partitions") as on_progress:
                result = cluster.assess_dataset(
                    [agreements], events[0], out, client, progress=on_progress
                )
        finally:
            client.close()
    print_counts(result.counts)
    peak = max((p.worker_peak_kib for p in result.partitions), default=0) / 1024
    console.print(
        f"{result.incidents:,} incidents in {len(result.partitions):,} "
        f"partition{'' if len(result.partitions) == 1 else 's'}; "
        f"{result.findings:,} findings written to [bold]{out}[/] "
        f"(peak memory of a worker {peak:,.0f} MiB)"
    )


def validate(
    agreements: Annotated[list[Path], typer.Argument(help="agreement files to check")],
) -> None:
    """Check agreement files: schema, time zones, windows, ids, geometry."""
    from ceasefire.core.engine import build_scopes
    from ceasefire.formats.agreements import load_agreements

    with reported():
        catalogue = load_agreements(agreements)
    table = Table(title="Agreements", title_justify="left")
    for name in ("agreement", "reading", "window", "zones"):
        table.add_column(name)
    for scope in build_scopes(catalogue.agreements, catalogue.zones):
        table.add_row(
            scope.agreement.id,
            scope.reading,
            scope.window.describe().removeprefix("window "),
            ", ".join(scope.zone_ids),
        )
    console.print(table)
    console.print(
        f"[green]ok[/]: {len(catalogue.actors.actors)} actors, {len(catalogue.zones)} zones, "
        f"{len(catalogue.agreements)} agreements"
    )


class Schema(StrEnum):
    """The published JSON Schemas."""

    agreements = "agreements"
    incidents = "incidents"


def schema(
    name: Annotated[
        Schema,
        typer.Argument(help="agreements (YAML/JSON files) or incidents (native JSON Lines)"),
    ] = Schema.agreements,
) -> None:
    """Print a JSON Schema: of agreement files, or of native incident records."""
    if name is Schema.incidents:
        from ceasefire.formats.incidents import incident_json_schema

        print_json(incident_json_schema())
    else:
        from ceasefire.core.model import json_schema

        print_json(json_schema())


def demo(
    out: Annotated[Path, typer.Option("--out", help="where to write the findings")] = Path(
        "ceasefire-demo"
    ),
    serve_pages: Annotated[
        bool,
        typer.Option(
            "--serve", help="then build a demo record with one account per role and serve it"
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="port for --serve (on 127.0.0.1)")] = 8000,
) -> None:
    """The whole main job on bundled data: Syria 2016, UCDP events, findings, a summary."""
    from ceasefire.services.demo import run_demo

    with reported():
        with progress("assessing", "agreement readings") as on_progress:
            result = run_demo(out, progress=on_progress)
    console.rule("[bold]ceasefire demo — Syria, 2016")
    console.print(
        f"{len(result.assessment.incidents):,} UCDP GED events against "
        f"{len(result.assessment.catalogue.agreements)} agreements "
        f"({len(result.assessment.findings.scopes)} agreement readings)."
    )
    for line in result.assessment.report.lines():
        console.print(f"[dim]{line}[/]", highlight=False)
    print_counts(result.assessment.counts())
    print_parties(result.assessment.violations_by_party())
    print_grades(result.assessment.violations_by_grade())
    print_weeks(result.weekly_agreement, result.weekly)
    console.print("Written:")
    for path in result.files:
        console.print(f"  {path}")
    console.print(
        "\nTry next:\n"
        f"  ceasefire validate {result.agreement_file}\n"
        f"  ceasefire assess {result.agreement_file} YOUR_EVENTS.csv -o findings.csv\n"
        "  ceasefire schema > agreement.schema.json   # and: schema incidents\n"
        "  in Python: import ceasefire; ceasefire.assess(AGREEMENTS, EVENTS)  # a DataFrame\n"
        "  ceasefire demo --serve   # the same data in the web app, one account per role\n"
    )
    if serve_pages:
        serve_demo(out, port)


def print_weeks(agreement: str, weekly: pd.DataFrame) -> None:
    table = Table(
        title=f"{agreement}: violations per week (before = had the terms applied)",
        title_justify="left",
    )
    for name in ("week", "from", "phase", "violations", "killed", ""):
        table.add_column(name, justify="right" if name in ("violations", "killed") else "left")
    peak = max(1, int(weekly["violations"].max()))
    for record in weekly.to_dict(orient="records"):
        bar = "█" * round(20 * record["violations"] / peak)
        table.add_row(
            f"{record['week']:+d}",
            record["week_start"],
            record["phase"],
            f"{record['violations']:,}",
            f"{record['killed']:,.0f}",
            f"[red]{bar}[/]" if record["phase"] != "before" else f"[dim]{bar}[/]",
        )
    console.print(table)


def serve_demo(out: Path, port: int) -> None:
    """A fresh demo record in `out/record.db`, its accounts printed once, then the app."""
    from ceasefire.interfaces.cli.record import serve
    from ceasefire.services.demo import DEMO_ACCOUNTS, demo_passwords, demo_record
    from ceasefire.services.users import DEFAULT_KEYS

    for stale in (out / "record.db", out / DEFAULT_KEYS):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    passwords = demo_passwords()
    with reported():
        db = demo_record(out, passwords, story=True)
    table = Table(title="Demo accounts (new passwords on every run)", title_justify="left")
    for name in ("user", "role", "party", "password"):
        table.add_column(name)
    for name, (role, party) in DEMO_ACCOUNTS.items():
        table.add_row(name, role, party or "", passwords[name])
    console.print(table)
    serve(db=db, host="127.0.0.1", port=port)


def register(app: typer.Typer) -> None:
    """Add the commands on files to `app`."""
    for command in (assess, validate, schema, demo):
        app.command(rich_help_panel=PANEL)(command)
