"""The app `ceasefire serve` runs: the REST API under `/api/v1` and the pages beside it.

Every route does three things: find out who is asking (a bearer token, the
login cookie, or the public), call a service function with that principal,
and shape the answer. Who may do what is decided by the services and
`ceasefire.core.policy`, never here.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from ceasefire._version import __version__
from ceasefire.core.policy import Settings
from ceasefire.interfaces.http import errors, limits
from ceasefire.interfaces.http.api import (
    agreements,
    allegations,
    exports,
    findings,
    health,
    incidents,
    ledger,
    map,
    reports,
    review,
    rulings,
    tokens,
)
from ceasefire.interfaces.http.deps import Workspace
from ceasefire.interfaces.http.errors import API
from ceasefire.interfaces.http.web import site

API_ROUTERS = [
    agreements.router,
    incidents.router,
    findings.router,
    allegations.router,
    rulings.router,
    ledger.router,
    map.router,
    review.router,
    health.router,
    tokens.router,
    exports.router,
    reports.router,
]


def create_app(db: str | None = None, *, settings: Settings | None = None) -> FastAPI:
    """The API and the pages over the workspace `db` (else `CEASEFIRE_DB`, else ./ceasefire.db)."""
    app = FastAPI(
        title="ceasefire",
        version=__version__,
        description="Agreements, incidents, findings, allegations, rulings and the ledger.",
        openapi_url=f"{API}/openapi.json",
        # The interactive docs page would load its scripts from a CDN, which a
        # mission's offline network does not reach: the OpenAPI document is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.workspace = Workspace(db, settings)
    errors.install(app)
    app.add_exception_handler(limits.Refusal, limits.quiet)
    for router in API_ROUTERS:
        app.include_router(router)
    site.install(app)
    # Answers of a kilobyte or more gzipped for clients that accept it (those already
    # encoded, such as the prepared map layer, are left as they are).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    # Last added, so outermost: sizes and text are checked before any other work.
    routes = [route for router in (*API_ROUTERS, *site.ROUTERS) for route in router.routes]
    app.add_middleware(limits.Guard, routes=routes)
    return app
