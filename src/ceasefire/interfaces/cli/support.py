"""What every `ceasefire` command shares: how errors and progress are shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import DBAPIError, OperationalError

from ceasefire.core.errors import InputError
from ceasefire.storage.repository import SchemaError

errors = Console(stderr=True, soft_wrap=True)


@contextmanager
def reported() -> Iterator[None]:
    """Bad input exits 2 and a database problem exits 1, each with one clear line."""
    try:
        yield
    except InputError as exc:
        errors.print(f"[bold red]error:[/] {exc.describe()}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except SchemaError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        errors.print(
            f"[bold red]error:[/] database: {reason.strip()}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(1) from None


@contextmanager
def progress(label: str, unit: str = "rows") -> Iterator[Callable[[int, int], None]]:
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
