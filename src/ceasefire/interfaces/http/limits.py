"""What a request may carry, checked as it arrives, before any route, login or database work.

`Guard` is the app's outermost ASGI middleware. It refuses, with the API's
error body (or the error page), before a route runs:

- a body longer than its route's limit (`body_limit`): a `Content-Length`
  over it before anything is read; a chunked body as soon as the bytes
  received pass it, so no more than the limit is ever held;
- JSON nested deeper than `MAX_JSON_DEPTH` (422) or with more than
  `MAX_JSON_ITEMS` values (413), found by a scan of the raw bytes, before
  any parser recurses;
- text no database can store faithfully (NUL, lone surrogates, bytes that
  are not UTF-8) in the path, a query parameter, a cookie, a form field or
  a JSON string (422, naming the parameter): PostgreSQL refuses NUL in text
  and no driver can encode a lone surrogate, so one guard serves all backends.

It also lets no more than `PASSWORD_CONCURRENCY` requests that hash a password
(argon2: CPU and memory) run at once; the others wait on the event loop, so a
login flood cannot take every worker thread or multiply argon2's memory.

Bodies other than multipart forms are read whole (they are bounded) and handed
on unchanged; multipart forms, which carry evidence files, stream through with
their text fields checked on the way.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import os
import re
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

import numpy as np
from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ceasefire.interfaces.http import errors
from ceasefire.services.cases import MAX_EVIDENCE_BYTES

MIB = 1024 * 1024
#: Any request body (JSON, forms, JSON Lines of incidents).
MAX_BODY = 20 * MIB
#: A request carrying evidence: one file of the largest size the cases service accepts,
#: base64-encoded in JSON (4/3 of it) or in a multipart form, with room for the rest.
MAX_EVIDENCE_BODY = MAX_EVIDENCE_BYTES * 4 // 3 + MIB
#: The routes that carry evidence files, by method and path.
EVIDENCE_ROUTES = {("POST", "/cases"), ("POST", f"{errors.API}/allegations")}
#: Nothing the API takes is nested deeper than a handful of levels.
MAX_JSON_DEPTH = 64
#: Values (scalars and containers) in one JSON body: ~30 per incident, 30,000 incidents.
MAX_JSON_ITEMS = 1_000_000
#: Routes that hash a password (argon2: ~64 MiB and a core's worth of work each).
PASSWORD_ROUTES = {("POST", "/login"), ("POST", f"{errors.API}/users")}
#: How many password hashes run at once; the rest wait their turn off the worker threads,
#: so a flood of logins neither starves the other requests nor multiplies argon2's memory.
PASSWORD_CONCURRENCY = max(1, os.cpu_count() or 1)
#: Beyond this many waiting, a password request is answered 503 at once.
PASSWORD_QUEUE = 200
#: Bodies up to this size are checked on the event loop; larger ones in a worker thread.
INLINE_CHECK = 256 * 1024
#: A text field of a multipart form longer than this is left to the form parser's own limit.
MAX_FIELD = MIB


def body_limit(method: str, path: str) -> int:
    """The most bytes a request to this route may send."""
    return MAX_EVIDENCE_BODY if (method, path) in EVIDENCE_ROUTES else MAX_BODY


class Refusal(HTTPException):
    """A request refused by the guard. An HTTPException, so FastAPI's body reading re-raises it."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None) -> None:
        super().__init__(status_code=status, detail=message)
        self.code, self.message = code, message
        self.details = None if parameter is None else {"parameter": parameter}


def too_large(limit: int) -> Refusal:
    return Refusal(413, "too_large", f"request bodies are limited to {limit} bytes here")


def bad_text(parameter: str) -> Refusal:
    return Refusal(
        422,
        "invalid_text",
        f"{parameter}: holds a NUL character or is not valid UTF-8 text",
        parameter,
    )


# --- text -------------------------------------------------------------------------------


def text_ok(raw: bytes) -> bool:
    """Whether bytes are UTF-8 text without NUL (the strict codec refuses encoded surrogates).

    Decoded a mebibyte at a time, so a large body is not copied whole into a string.
    """
    if b"\x00" in raw:
        return False
    if raw.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for start in range(0, len(view), MIB):
            decoder.decode(view[start : start + MIB])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def str_ok(text: str) -> bool:
    """Whether a decoded string can be stored: no NUL, no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def pairs_refusal(raw: bytes, what: str) -> Refusal | None:
    """The first bad name or value of a query string or urlencoded form, if any."""
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        name_raw = unquote_to_bytes(name.replace(b"+", b" "))
        if not text_ok(name_raw) or not text_ok(unquote_to_bytes(value.replace(b"+", b" "))):
            label = name_raw.decode("utf-8", "replace").replace("\x00", "\\0")
            return bad_text(f"{what} {label!r}")
    return None


def path_refusal(scope: Scope, routes: Sequence[BaseRoute]) -> Refusal | None:
    """A path whose decoded segments are not storable text, naming its route's parameter."""
    raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    if text_ok(unquote_to_bytes(raw.split(b"?", 1)[0])):
        return None
    for route in routes:
        match, child = route.matches(scope)
        if match is not Match.NONE:
            for name, value in child.get("path_params", {}).items():
                if not str_ok(str(value)) or "\ufffd" in str(value):
                    return bad_text(f"path parameter {name!r}")
    return bad_text("the path")


def url_refusal(scope: Scope, routes: Sequence[BaseRoute]) -> Refusal | None:
    """Bad text in the path, the query string or a cookie."""
    query = pairs_refusal(scope.get("query_string", b""), "query parameter")
    if query is not None:
        return query
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for key, text in cookie_parser(value.decode("latin-1")).items():
                if not str_ok(text):
                    return bad_text(f"cookie {label(key)!r}")
    return path_refusal(scope, routes)


# --- JSON ---------------------------------------------------------------------------------

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: A NUL or a surrogate escape inside a JSON string (after an even run of backslashes).
_SUSPECT = re.compile(rb"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def json_shape(raw: bytes) -> tuple[int, int]:
    """The deepest nesting of a JSON text (or JSON Lines) and about how many values it holds.

    Strings are blanked first, so brackets and commas inside them do not count.
    A plain scan, no recursion: a body nested 10^6 deep costs what its length costs.
    """
    bare = _STRING.sub(b'""', raw)
    brackets = bare.translate(None, _BRACKETS)
    opened = brackets.count(b"[") + brackets.count(b"{")
    items = bare.count(b",") + opened + 1
    if items > MAX_JSON_ITEMS:
        return 0, items
    codes = np.frombuffer(brackets, np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1).astype(np.int32)
    deepest = int(np.cumsum(steps).max()) if len(steps) else 0
    return deepest, items


def label(text: str) -> str:
    """A name as it can be shown in a message: NUL and lone surrogates escaped."""
    return text.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode("utf-8")


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value (keys included) with where it is."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{label(key)}" if where else label(key)
            yield inner, key
            yield from _strings(item, inner)


def _bad_json_string(raw: bytes) -> str | None:
    """Where in the body a string holds a NUL or a lone surrogate, if one does."""
    text = raw.decode("utf-8")
    docs: list[Any] = []
    try:
        docs = [json.loads(text)]
    except json.JSONDecodeError:
        try:  # JSON Lines
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            return None
    for doc in docs:
        for where, value in _strings(doc, ""):
            if not str_ok(value):
                return where or "the body"
    return None


def body_refusal(raw: bytes, kind: str) -> Refusal | None:
    """What is wrong with a whole body that is not a multipart form, if anything."""
    if kind == "form":
        return pairs_refusal(raw, "form field")
    if not raw:
        return None
    depth, items = json_shape(raw)
    if items > MAX_JSON_ITEMS:
        return Refusal(413, "too_large", f"JSON bodies are limited to {MAX_JSON_ITEMS} values")
    if depth > MAX_JSON_DEPTH:
        return Refusal(422, "too_deep", f"JSON bodies may nest at most {MAX_JSON_DEPTH} levels")
    if not text_ok(raw):
        return bad_text("the body")
    if _SUSPECT.search(raw):
        where = _bad_json_string(raw)
        if where is not None:
            return bad_text(where)
    return None


# --- multipart ------------------------------------------------------------------------------


@dataclass
class FormFields:
    """Checks the text fields (and file names) of a multipart form as its bytes stream by."""

    parser: MultipartParser | None = None
    header: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: bytes | None = None
    value: bytes = b""
    found: Refusal | None = None

    @classmethod
    def for_boundary(cls, boundary: bytes) -> FormFields:
        fields = cls()
        try:
            fields.parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": fields._begin,
                    "on_header_field": fields._header_field,
                    "on_header_value": fields._header_value,
                    "on_headers_finished": fields._headers_finished,
                    "on_part_data": fields._data,
                    "on_part_end": fields._end,
                },
            )
        except Exception:  # no usable boundary: the form parser refuses the form
            fields.parser = None
        return fields

    def feed(self, chunk: bytes) -> Refusal | None:
        if self.parser is not None and chunk and self.found is None:
            try:
                self.parser.write(chunk)
            except Exception:  # a malformed form is the form parser's to refuse
                self.parser = None
        return self.found

    def _begin(self) -> None:
        self.headers, self.value = {}, b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header = data[start:end].lower()

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.headers[self.header] = self.headers.get(self.header, b"") + data[start:end]

    def _headers_finished(self) -> None:
        _kind, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = label(options.get(b"name", b"").decode("utf-8", "replace"))
        self.filename = options.get(b"filename")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.filename is None and len(self.value) <= MAX_FIELD:
            self.value += data[start:end]

    def _end(self) -> None:
        text = self.value if self.filename is None else self.filename
        if self.found is None and len(self.value) <= MAX_FIELD and not text_ok(text):
            self.found = bad_text(f"form field {self.name!r}")


# --- the middleware ---------------------------------------------------------------------------


def body_kind(scope: Scope) -> tuple[str, bytes]:
    """`multipart` (with its boundary), `form` (urlencoded) or `other` (JSON, JSON Lines, ...)."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind, options = parse_options_header(value)
            if kind == b"multipart/form-data":
                return "multipart", options.get(b"boundary", b"")
            if kind == b"application/x-www-form-urlencoded":
                return "form", b""
    return "other", b""


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header, -1 when it is not a number, None when absent."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.strip().isdigit() else -1
    return None


def chunked(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _value in scope.get("headers", []))


class Gone(Exception):
    """The client went away before its body was read: nobody to answer."""


async def read_all(receive: Receive, limit: int) -> bytes:
    """The whole body, refused as soon as it passes `limit`."""
    parts: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Gone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
        more = message.get("more_body", False)
    return b"".join(parts)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body read already, then the client's later messages."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


def streamed(receive: Receive, limit: int, fields: FormFields) -> Receive:
    """A `receive` that counts the bytes and checks form fields, raising a `Refusal`."""
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            found = fields.feed(chunk)
            if found is not None:
                raise found
        return message

    return counted


class Gate:
    """`PASSWORD_CONCURRENCY` at a time through, counting those who wait."""

    def __init__(self) -> None:
        self.slots = asyncio.Semaphore(PASSWORD_CONCURRENCY)
        self.waiting = 0

    async def __aenter__(self) -> None:
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1

    async def __aexit__(self, *exc: object) -> None:
        self.slots.release()


class Guard:
    """The outermost middleware: refuse what no route should see (see the module's text)."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute] = ()) -> None:
        """`routes`: the app's routes, which name the parameter a bad path segment fills."""
        self.app = app
        self.routes = routes
        #: One gate per event loop (a test client may run the app on several).
        self.gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Gate] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            inner = await self.admit(scope, receive)
        except Refusal as refusal:
            await self.refuse(scope, receive, send, refusal)
            return
        except Gone:
            return
        if (scope["method"], scope["path"]) not in PASSWORD_ROUTES:
            await self.run(scope, inner, receive, send)
            return
        gate = self.gates.setdefault(asyncio.get_running_loop(), Gate())
        if gate.waiting >= PASSWORD_QUEUE:
            busy = Refusal(503, "busy", "too many logins at once; try again in a few seconds")
            await self.refuse(scope, receive, send, busy)
            return
        async with gate:
            await self.run(scope, inner, receive, send)

    async def admit(self, scope: Scope, receive: Receive) -> Receive:
        """The `receive` the app gets, once what can be checked before it runs is checked."""
        found = url_refusal(scope, self.routes)
        if found is not None:
            raise found
        limit = body_limit(scope["method"], scope["path"])
        length = declared_length(scope)
        if length is not None and not 0 <= length <= limit:
            raise too_large(limit)
        kind, boundary = body_kind(scope)
        if kind == "multipart":
            return streamed(receive, limit, FormFields.for_boundary(boundary))
        if not length and not chunked(scope):
            return streamed(receive, limit, FormFields())  # no body announced: count anyway
        body = await read_all(receive, limit)
        if len(body) <= INLINE_CHECK:
            found = body_refusal(body, kind)
        else:
            found = await run_in_threadpool(body_refusal, body, kind)
        if found is not None:
            raise found
        return replay(body, receive)

    async def run(self, scope: Scope, inner: Receive, receive: Receive, send: Send) -> None:
        """The app, answered with the refusal instead if its body is refused while it reads it."""
        started = False
        refused: list[Refusal] = []

        async def checked() -> Message:
            try:
                return await inner()
            except Refusal as refusal:
                refused.append(refusal)
                raise

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # the app's own answer to the refusal; ours follows
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, checked, guarded)
        except Exception:
            if not refused or started:
                raise
        if refused and not started:
            await self.refuse(scope, receive, send, refused[0])

    async def refuse(self, scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
        """The error body, or the error page (rendered off the event loop: it asks who views)."""
        request = Request(scope)
        args = (request, refusal.status_code, refusal.code, refusal.message, refusal.details)
        if errors.is_api(request):
            response = errors.answer(*args)
        else:
            response = await run_in_threadpool(errors.answer, *args)
        if refusal.status_code == 503:
            response.headers["retry-after"] = "5"
        await response(scope, receive, send)


async def quiet(request: Request, exc: Exception) -> Response:
    """The app's own answer to a `Refusal` while reading a body: never sent (`Guard` answers)."""
    return Response(status_code=getattr(exc, "status_code", 400))
