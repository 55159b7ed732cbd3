"""News articles: one plain-text file in, candidate incidents, claims and terms out.

Shared by `ceasefire extract`, `ceasefire ingest --text` and the services, so
that every way in refuses the same inputs with the same words:

- plain UTF-8 text (a byte-order mark is allowed); other bytes are refused
  with the byte offset of the first bad byte;
- an empty (or blank) article is refused;
- over 5 MB is refused: one article is a few kilobytes, so a file that size is
  a collection or a dump — split it into one file per article.

An article is read from a path, from `Content` (its text or bytes, named), or
from a stream (standard input): the `Source` every reader in `formats` takes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ceasefire.core.errors import InputError
from ceasefire.formats.sources import Content, Source, source_name
from ceasefire.regions import Region

MAX_BYTES = 5 * 1024 * 1024


class ArticleError(InputError):
    """An article that cannot be read; names the file (or standard input)."""


@dataclass(frozen=True)
class Article:
    name: str  # as given ("-" for standard input)
    stem: str  # the default source name of its incidents
    text: str


def label(name: str) -> str:
    """How an article is named in messages."""
    return "standard input" if name == "-" else name


def read_article(source: Source, *, name: str | None = None) -> Article:
    """One checked article, or ArticleError naming it and what is wrong.

    A `str` or path-like is a file's path; `Content` holds the article's text
    or bytes; a stream is read (never more than one byte over the limit).
    `name` is what messages call it (`-` means standard input).
    """
    called = source_name(source, name)
    data: str | bytes
    if isinstance(source, str | os.PathLike):
        data = _read_file(Path(source), called)
    elif isinstance(source, Content):
        data = source.data
    else:
        data = source.read(MAX_BYTES + 1)  # one byte more than allowed tells a file too big
    if isinstance(data, str):
        return _from_text(data, called)
    return _from_bytes(data, called)


def _from_text(text: str, name: str) -> Article:
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise ArticleError(_too_big(size), file=label(name))
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ArticleError("the file is empty (no text to read)", file=label(name))
    return Article(name, "stdin" if name == "-" else Path(name).stem, text)


def _read_file(path: Path, name: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ArticleError(_too_big(size), file=label(name))
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ArticleError("file not found", file=label(name)) from exc
    except IsADirectoryError as exc:
        raise ArticleError("is a directory, not a file", file=label(name)) from exc
    except PermissionError as exc:
        raise ArticleError("permission denied", file=label(name)) from exc


def _from_bytes(data: bytes, name: str) -> Article:
    if len(data) > MAX_BYTES:
        raise ArticleError(_too_big(len(data)), file=label(name))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        raise ArticleError(
            f"not UTF-8 text: byte 0x{bad.hex()} at offset {exc.start} cannot be "
            "decoded (convert the file to UTF-8, e.g. with iconv)",
            file=label(name),
        ) from exc
    return _from_text(text, name)


def _too_big(size: int) -> str:
    return (
        f"{size / 1_000_000:.1f} MB is over the {MAX_BYTES // (1024 * 1024)} MB limit "
        "for one article; split it into one file per article"
    )


def source_names(articles: Sequence[Article], source: str | None = None) -> list[str]:
    """A distinct source name per article: incident ids are built from it, so two
    articles must never share one (`paper-a`, `paper-b` for `--source paper`)."""
    if source and len(articles) == 1:
        return [source]
    names = [f"{source}-{a.stem}" if source else a.stem for a in articles]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def extract_articles(
    articles: Sequence[Article],
    published: str | dt.date | dt.datetime,
    *,
    source: str | None = None,
    timezone: str | None = None,
    region: Region | None = None,
) -> list[dict[str, Any]]:
    """One document (incidents, claims, agreements) per article, through the text pipeline;
    places and actors are `region`'s (the workspace's by default), local times in
    `timezone`, else the region's."""
    from ceasefire.extract import extract_text  # spaCy: loaded only when an article is read

    return [
        extract_text(article.text, published, source=name, timezone=timezone, region=region)
        for article, name in zip(articles, source_names(articles, source), strict=True)
    ]


def documents_text(documents: Sequence[dict[str, Any]]) -> str:
    """One document pretty-printed; several as JSON Lines (both readable as incidents)."""
    if len(documents) == 1:
        return json.dumps(documents[0], ensure_ascii=False, indent=2) + "\n"
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents)
