"""What a reader reads: a file by its path, content already in memory, or an open stream.

Services hand readers what they have (a request body, an extractor's output, an
upload) without writing it to a temporary file first; errors then name the
content by the name it was given, as they would name a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ceasefire.core.errors import InputError


@dataclass(frozen=True)
class Content:
    """Text or bytes in memory, with the name that errors give it (`submitted.jsonl`)."""

    data: str | bytes
    name: str


#: A path (`str` is always a path), `Content`, or a text or binary stream.
Source = str | os.PathLike[str] | Content | IO[str] | IO[bytes]


def is_source(value: object) -> bool:
    """Whether `value` is one source rather than a collection of them."""
    return isinstance(value, str | os.PathLike | Content) or hasattr(value, "read")


def source_name(source: Source, name: str | None = None) -> str:
    """How errors name the source: the given name, the path, or the stream's own name."""
    if name:
        return name
    if isinstance(source, Content):
        return source.name
    if isinstance(source, str | os.PathLike):
        return str(source)
    own = getattr(source, "name", None)
    return own if isinstance(own, str) and own else "<stream>"


def source_dir(source: Source, name: str | None = None) -> Path:
    """The folder that relative references inside the source are resolved from."""
    if isinstance(source, str | os.PathLike) and not name:
        return Path(source).parent
    return Path(source_name(source, name)).parent


def read_source(source: Source, name: str | None = None) -> tuple[str, str]:
    """(name, text) of the source as UTF-8 text, a leading BOM dropped.

    A missing file, a folder or bytes that are not UTF-8 raise `InputError`
    naming the source.
    """
    label = source_name(source, name)
    raw: str | bytes
    if isinstance(source, Content):
        raw = source.data
    elif isinstance(source, str | os.PathLike):
        try:
            raw = Path(source).read_bytes()
        except FileNotFoundError as exc:
            raise InputError("file not found", file=label) from exc
        except IsADirectoryError as exc:
            raise InputError("is a directory, not a file", file=label) from exc
    else:
        raw = source.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})",
                file=label,
            ) from exc
    return label, raw.removeprefix("\ufeff")


__all__ = ["Content", "Source", "is_source", "read_source", "source_dir", "source_name"]
