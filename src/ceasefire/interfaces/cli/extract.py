"""`ceasefire extract`: news articles to incidents, claims and agreement terms.

The lead wires this into the main command with `cli_extract.register(app)`.

Input rules (every problem exits with status 2 and names the file; nothing is
written unless every input is good):

- plain UTF-8 text (a byte-order mark is allowed); other bytes are refused
  with the byte offset of the first bad byte;
- an empty (or blank) file is refused;
- a file over 5 MB is refused: one article is a few kilobytes, so a file that
  size is a collection or a dump — split it into one file per article;
- `-` reads one article from standard input;
- `--published` must be an ISO date (`2016-04-29`) or date-time.

Output: one JSON document per article. One input gives one pretty-printed
document; several give JSON Lines, one document per line (to `-o OUT` or
standard output). Either form can be given to `ceasefire assess` as incidents.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console

MAX_BYTES = 5 * 1024 * 1024
_errors = Console(stderr=True)


class ArticleError(Exception):
    """A bad input file: the message names the file."""


@dataclass(frozen=True)
class Article:
    name: str  # the file as given ("-" for standard input)
    stem: str
    text: str


def read_article(name: str, data: bytes | None = None) -> Article:
    """One article's text, or ArticleError naming the file and what is wrong."""
    label = "standard input" if name == "-" else name
    if data is None:
        path = Path(name)
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise ArticleError(_too_big(label, size))
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ArticleError(f"{label}: file not found") from exc
        except IsADirectoryError as exc:
            raise ArticleError(f"{label}: is a directory, not a file") from exc
        except PermissionError as exc:
            raise ArticleError(f"{label}: permission denied") from exc
    if len(data) > MAX_BYTES:
        raise ArticleError(_too_big(label, len(data)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        raise ArticleError(
            f"{label}: not UTF-8 text: byte 0x{bad.hex()} at offset {exc.start} cannot be "
            "decoded (convert the file to UTF-8, e.g. with iconv)"
        ) from exc
    if not text.strip():
        raise ArticleError(f"{label}: the file is empty (no text to read)")
    stem = "stdin" if name == "-" else Path(name).stem
    return Article(name, stem, text)


def _too_big(label: str, size: int) -> str:
    return (
        f"{label}: {size / 1_000_000:.1f} MB is over the {MAX_BYTES // (1024 * 1024)} MB limit "
        "for one article; split it into one file per article"
    )


def _sources(articles: list[Article], source: str | None) -> list[str]:
    """A distinct source name per article (incident ids are built from it)."""
    if source and len(articles) == 1:
        return [source]
    names = [f"{source}-{a.stem}" if source else a.stem for a in articles]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


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


def _fail(message: str) -> typer.Exit:
    _errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def run_extract(
    files: list[str],
    published: str,
    source: str | None = None,
    out: Path | None = None,
    timezone: str = "Asia/Damascus",
) -> list[dict[str, Any]]:
    """Check every input, extract each article, write the result; errors exit with 2."""
    from ceasefire.extract import extract_text, parse_published

    try:
        day = parse_published(published)
    except ValueError:
        raise _fail(
            f"--published {published!r}: unknown date format; give an ISO date like "
            "2016-04-29 (or a date-time like 2016-04-29T10:00Z)"
        ) from None
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(
            f"--timezone {timezone!r}: not an IANA time zone (e.g. Asia/Damascus)"
        ) from None
    if files.count("-") > 1:
        raise _fail("standard input ('-') can be read only once")
    articles: list[Article] = []
    problems: list[str] = []
    for name in files:
        try:
            data = sys.stdin.buffer.read(MAX_BYTES + 1) if name == "-" else None
            articles.append(read_article(name, data))
        except ArticleError as exc:
            problems.append(str(exc))
    if problems:
        for problem in problems[:-1]:
            _errors.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
        raise _fail(problems[-1])
    documents = []
    for article, name in zip(articles, _sources(articles, source), strict=True):
        document = extract_text(article.text, day, source=name, timezone=timezone)
        documents.append(document)
        _errors.print(
            f"[dim]{article.name}: {len(document['incidents'])} incidents, "
            f"{len(document['claims'])} claims, {len(document['agreements'])} agreements[/]",
            highlight=False,
        )
    if len(documents) == 1:
        content = json.dumps(documents[0], ensure_ascii=False, indent=2) + "\n"
    else:
        content = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents)
    if out is None:
        sys.stdout.write(content)
    else:
        _write(out, content)
        _errors.print(f"{len(documents)} document(s) written to [bold]{out}[/]")
    return documents


def register(app: typer.Typer) -> None:
    """Add `ceasefire extract` to the main command."""

    @app.command("extract")
    def extract(
        files: Annotated[
            list[str], typer.Argument(help="plain-text articles (UTF-8); '-' reads standard input")
        ],
        published: Annotated[
            str,
            typer.Option(
                "--published", help="publication date, ISO (2016-04-29): anchors 'Wednesday'"
            ),
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
            str, typer.Option("--timezone", help="local time zone of the articles' dates")
        ] = "Asia/Damascus",
    ) -> None:
        """Read news articles: candidate incidents, claims and agreement terms, as JSON.

        Each incident is a native incident (`ceasefire assess` reads the output as it is),
        with the character offsets of the words it came from. Files over 5 MB, empty files
        and bytes that are not UTF-8 are refused with a message (exit status 2).
        """
        run_extract(files, published, source, out, timezone)
