"""The `ceasefire` command: the app, its top-level options, and where each group lives.

One module per command group, each a thin wrapper over the services:

- `assess`:  assess, validate, schema, demo (files only, no workspace)
- `record`:  init, db, agreements, ingest, serve (the workspace)
- `extract`: extract (news articles)
- `users`, `cases`, `ledger`: one group each (signed actions on the record),
  over the workspace and `--as NAME` of `workspace`
- `keys`: own signing keys (generate, public), kept by their holder
- `regions`: the regions on the search path (bundled, `CEASEFIRE_REGIONS_PATH`)
- `support`: the one error reporter, progress bars and shared options

Start-up is kept small: the modules registered at once import only typer, rich
and light core modules at the top; the groups in `LAZY_GROUPS` are imported
only when one of their commands runs, and `ceasefire --help` lists them from
the help text written here (a test keeps it equal to the group's own).
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from ceasefire._version import __version__
from ceasefire.interfaces.cli import assess, extract, record
from ceasefire.interfaces.cli.support import console

if TYPE_CHECKING:  # typer vendors click: its own classes are the ones to name
    from typer._click import Command, Context, HelpFormatter


@dataclass(frozen=True)
class LazyGroup:
    """A command group imported on first use: `module:attribute` names its `typer.Typer`."""

    module: str
    attribute: str
    help: str
    panel: str = "Cases and ledger"

    def load(self) -> typer.Typer:
        group = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(group, typer.Typer):
            raise TypeError(f"{self.module}.{self.attribute} is not a typer.Typer")
        return group


LAZY_GROUPS = {
    "users": LazyGroup(
        "ceasefire.interfaces.cli.users", "users_app", "Users, roles and API tokens."
    ),
    "keys": LazyGroup(
        "ceasefire.interfaces.cli.keys", "keys_app", "Own signing keys, kept off the server."
    ),
    "cases": LazyGroup("ceasefire.interfaces.cli.cases", "cases_app", "Allegations and rulings."),
    "review": LazyGroup(
        "ceasefire.interfaces.cli.review",
        "review_app",
        "The review queue: candidate incidents and possible duplicates.",
    ),
    "ledger": LazyGroup(
        "ceasefire.interfaces.cli.ledger",
        "ledger_app",
        "The signed transparency log of every change.",
    ),
    "regions": LazyGroup(
        "ceasefire.interfaces.cli.regions",
        "regions_app",
        "The regions a workspace can be made in.",
        panel="Record",
    ),
    "export": LazyGroup(
        "ceasefire.interfaces.cli.export",
        "export_app",
        "Files of what the pages show: findings, the map, the dashboard, the case queue.",
        panel="Record",
    ),
}


class Commands(TyperGroup):
    """The top-level group: the groups in `LAZY_GROUPS` are loaded when first asked for."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in LAZY_GROUPS if n not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        lazy = LAZY_GROUPS.get(cmd_name)
        if lazy is not None and cmd_name not in self.commands:
            if self._listing:  # the list in `--help` needs only the name and help
                return TyperCommand(cmd_name, help=lazy.help, rich_help_panel=lazy.panel)
            command = typer.main.get_group(lazy.load())
            command.name = cmd_name
            self.commands[cmd_name] = command
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as exc:  # suggest among every name, the lazy groups too
            if args and isinstance(getattr(exc, "message", None), str):
                near = difflib.get_close_matches(args[0], self.list_commands(ctx))
                if near:
                    said = exc.message.split(". Did you mean")[0].rstrip(".")
                    exc.message = f"{said}. Did you mean {', '.join(repr(n) for n in near)}?"
            raise


app = typer.Typer(
    cls=Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"ceasefire {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def ceasefire(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="print the version and exit", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    """Monitor ceasefires: agreements as data, incidents from datasets, explained findings."""


assess.register(app)
extract.register(app)
record.register(app)
importlib.import_module("ceasefire.interfaces.cli.report").register(app)  # `ceasefire report`


def main() -> None:
    app()


if __name__ == "__main__":
    main()
