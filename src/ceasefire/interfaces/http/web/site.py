"""The pages as one site: their routers, static files, error pages and security headers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ceasefire.interfaces.http.web import (
    agreements,
    cases,
    login,
    maps,
    register,
    report,
    reports,
    review,
)
from ceasefire.interfaces.http.web.render import HERE, error_page, security_headers

ROUTERS = [login.router, maps.router, agreements.router, report.router, reports.router,
           cases.router, register.router, review.router]  # fmt: skip


def install(app: FastAPI) -> None:
    """Serve the pages beside the API: HTML error pages for them, the CSP for everything."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.error_page = error_page
    app.middleware("http")(security_headers)
    for router in ROUTERS:
        app.include_router(router)
