"""`ceasefire extract`: news articles to incidents, claims and agreement terms.

What an article must be (UTF-8, not empty, at most 5 MB) is decided by
`ceasefire.formats.articles`, the same reader `ingest --text` uses. Here: `-`
reads one article from standard input; `--published` must be an ISO date
(`2016-04-29`) or date-time; every problem exits with status 2 and names the
file, and nothing is written unless every input is good.

Output: one JSON document per article. One input gives one pretty-printed
document; several give JSON Lines, one document per line (to `-o OUT` or
standard output). Either form can be given to `ceasefire assess` as incidents.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from ceasefire.core.errors import InputError, InputErrors
from ceasefire.formats.articles import (
    Article,
    documents_text,
    extract_articles,
    label,
    read_article,
)
from ceasefire.interfaces.cli.support import errors, fail, reported

PANEL = "Files"


def _write(out: Path, content: str) -> None:
    """Write atomically: the output appears whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _articles(files: list[str]) -> list[Article]:
    """Every article read and checked; all problems reported together."""
    if files.count("-") > 1:
        raise fail("standard input ('-') can be read only once")
    articles: list[Article] = []
    problems: list[InputError] = []
    for name in files:
        try:
            source = sys.stdin.buffer if name == "-" else name
            articles.append(read_article(source, name=name))
        except InputError as exc:
            problems.append(exc)
    if problems:
        raise InputErrors(problems)
    return articles


def run_extract(
    files: list[str],
    published: str,
    source: str | None = None,
    out: Path | None = None,
    timezone: str | None = None,
) -> list[dict[str, Any]]:
    """Check every input, extract each article, write the result; errors exit with 2."""
    from ceasefire.extract import parse_published

    try:
        day = parse_published(published)
    except ValueError:
        raise fail(
            f"--published {published!r}: unknown date format; give an ISO date like "
            "2016-04-29 (or a date-time like 2016-04-29T10:00Z)"
        ) from None
    if timezone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise fail(
                f"--timezone {timezone!r}: not an IANA time zone (e.g. Europe/Kyiv)"
            ) from None
    with reported():
        articles = _articles(files)
    documents = extract_articles(articles, day, source=source, timezone=timezone)
    for article, document in zip(articles, documents, strict=True):
        errors.print(
            f"[dim]{label(article.name)}: {len(document['incidents'])} incidents, "
            f"{len(document['claims'])} claims, {len(document['agreements'])} agreements[/]",
            highlight=False,
        )
    content = documents_text(documents)
    if out is None:
        sys.stdout.write(content)
    else:
        _write(out, content)
        errors.print(f"{len(documents)} document(s) written to [bold]{out}[/]")
    return documents


def extract(
    files: Annotated[
        list[str], typer.Argument(help="plain-text articles (UTF-8); '-' reads standard input")
    ],
    published: Annotated[
        str,
        typer.Option("--published", help="publication date, ISO (2016-04-29): anchors 'Wednesday'"),
    ],
    source: Annotated[
        str | None,
        typer.Option("--source", help="source name for ids (default: the file name)"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="write here (several inputs: JSON Lines)"),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="local time zone of the articles' dates (default: the region's)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Read news articles: candidate incidents, claims and agreement terms, as JSON.

    Each incident is a native incident (`ceasefire assess` reads the output as it is),
    with the character offsets of the words it came from. Files over 5 MB, empty files
    and bytes that are not UTF-8 are refused with a message (exit status 2).
    """
    run_extract(files, published, source, out, timezone)


def register(app: typer.Typer) -> None:
    """Add `ceasefire extract` to the main command."""
    app.command("extract", rich_help_panel=PANEL)(extract)
