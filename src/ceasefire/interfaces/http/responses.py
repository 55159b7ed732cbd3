"""Prepared answers sent as HTTP wants them: gzipped when the client accepts it, and
nothing but a 304 when the client already holds this version (its `If-None-Match`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ceasefire.services.views import Payload

#: Revalidate on every use (the ETag makes that one cheap round trip), and keep out of
#: shared caches: what a caller may see depends on who they are.
CACHE_CONTROL = "private, no-cache"


def accepts_gzip(header: str | None) -> bool:
    """Whether an `Accept-Encoding` header names gzip: the gzip middleware's own rule, so
    that a prepared answer and a computed one are encoded alike."""
    return "gzip" in (header or "")


def _holds(header: str | None, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in (header or "").split(",")}
    return etag in tags or "*" in tags


def prepared(request: Request, payload: Payload, media_type: str = "application/json") -> Response:
    # (the gzip middleware adds `Vary: Accept-Encoding` to every answer)
    headers = {"ETag": payload.etag, "Cache-Control": CACHE_CONTROL}
    if _holds(request.headers.get("if-none-match"), payload.etag):
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request.headers.get("accept-encoding")):
        headers["Content-Encoding"] = "gzip"
        return Response(payload.gzipped, media_type=media_type, headers=headers)
    return Response(payload.body, media_type=media_type, headers=headers)
