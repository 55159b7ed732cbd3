"""What every `ceasefire` command shares: the one error reporter, progress, options.

This module imports only typer, rich and the light core modules, so that every
command module can import it at start-up: `ceasefire --help` and `ceasefire
validate` never pay for SQLAlchemy, pandas, spaCy or FastAPI.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from ceasefire.core.errors import InputError

console = Console()
errors = Console(stderr=True, soft_wrap=True)

#: The workspace's environment variable and default file, and rows per transaction
#: of an ingest, as storage defines them (a test keeps them equal: importing storage
#: here would load SQLAlchemy for every `--help`).
ENV_DB = "CEASEFIRE_DB"
DEFAULT_DB = "ceasefire.db"
DEFAULT_BATCH = 10_000

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=f"database URL or SQLite file (default: ${ENV_DB}, else ./{DEFAULT_DB})",
        show_default=False,
    ),
]

#: Refusals of the services (a request that may not or cannot be carried out): exit 2.
#: Named rather than imported, so this module stays light; an exception class whose
#: module was never imported cannot have been raised.
REFUSALS = (
    ("ceasefire.core.policy", "PolicyError"),
    ("ceasefire.services.cases", "CaseError"),
    ("ceasefire.services.users", "UserError"),
    ("ceasefire.services.users", "KeystoreError"),
)
#: A database at another schema than this version expects: exit 1.
SCHEMA_ERRORS = (("ceasefire.storage.record", "SchemaError"),)


def _loaded(names: tuple[tuple[str, str], ...]) -> tuple[type[BaseException], ...]:
    found = []
    for module, name in names:
        value = getattr(sys.modules.get(module), name, None)
        if isinstance(value, type) and issubclass(value, BaseException):
            found.append(value)
    return tuple(found)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one error line; the caller raises what this returns (exit 2: bad input)."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Every command's errors, said one way: a clear line, never a traceback.

    Bad input (naming file, record and field) and refusals exit 2; a database
    that is missing tables exits 2 telling to run `ceasefire db upgrade`; a
    database at the wrong schema or out of reach exits 1.
    """
    try:
        yield
    except InputError as exc:
        raise fail(exc.describe()) from None
    except Exception as exc:
        if isinstance(exc, _loaded(REFUSALS)):
            raise fail(str(exc)) from None
        if isinstance(exc, _loaded(SCHEMA_ERRORS)):
            raise fail(str(exc), 1) from None
        database = _database_problem(exc)
        if database is None:
            raise
        raise fail(*database) from None


def _database_problem(exc: Exception) -> tuple[str, int] | None:
    """What to say about an error of the database driver, or None if it is not one."""
    sqlalchemy = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy is None or not isinstance(exc, sqlalchemy.DBAPIError):
        return None
    reason = (str(exc.orig) if exc.orig is not None else str(exc)).strip()
    if "no such table" in reason or "does not exist" in reason:
        first = reason.splitlines()[0]
        return f"the database lacks tables ({first}); run `ceasefire db upgrade`", 2
    return f"database: {reason}", 1


@contextmanager
def progress(label: str, unit: str = "rows") -> Iterator[Callable[[int, int], None]]:
    """A bar on standard error while long work runs (none when it is not a terminal)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} " + unit),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )
    with bar:
        task = bar.add_task(f"{label} (reading)", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        yield update


def print_json(value: Any) -> None:
    """JSON on standard output, for scripts (`--json`, `schema`)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
