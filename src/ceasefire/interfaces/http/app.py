"""The app `ceasefire serve` runs: the REST API under `/api/v1` and the pages beside it.

Every route does three things: find out who is asking (a bearer token, the
login cookie, or the public), call a service function with that principal,
and shape the answer. Who may do what is decided by the services and
`ceasefire.core.policy`, never here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request

from ceasefire._version import __version__
from ceasefire.core.policy import Settings
from ceasefire.interfaces.http import errors
from ceasefire.interfaces.http.api import (
    agreements,
    allegations,
    findings,
    health,
    incidents,
    ledger,
    map,
    rulings,
    tokens,
)
from ceasefire.interfaces.http.deps import Workspace
from ceasefire.interfaces.http.errors import API, MAX_BODY
from ceasefire.interfaces.http.web import site

API_ROUTERS = [
    agreements.router,
    incidents.router,
    findings.router,
    allegations.router,
    rulings.router,
    ledger.router,
    map.router,
    health.router,
    tokens.router,
]


async def limit_body(request: Request, call_next: Callable[[Request], Any]) -> Any:
    """Refuse a body that says it is too large before reading any of it."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        return errors.answer(
            request, 413, "too_large", f"request bodies are limited to {MAX_BODY} bytes"
        )
    return await call_next(request)


def create_app(db: str | None = None, *, settings: Settings | None = None) -> FastAPI:
    """The API and the pages over the workspace `db` (else `CEASEFIRE_DB`, else ./ceasefire.db)."""
    app = FastAPI(
        title="ceasefire",
        version=__version__,
        description="Agreements, incidents, findings, allegations, rulings and the ledger.",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
    )
    app.state.workspace = Workspace(db, settings)
    errors.install(app)
    app.middleware("http")(limit_body)
    for router in API_ROUTERS:
        app.include_router(router)
    site.install(app)
    return app
