"""What every page shares: the templates, the page frame (menu, login, CSRF), error pages.

Pages are rendered on the server from the same service functions the API
calls; the map and charts fetch their data from the API with the login
cookie. Every script and style comes from this app: the Content Security
Policy forbids any other origin, which is also what keeps the pages working
with no internet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ceasefire._version import __version__
from ceasefire.core.policy import role_of
from ceasefire.interfaces.http.auth import csrf_token, viewer
from ceasefire.interfaces.http.deps import workspace
from ceasefire.interfaces.http.web import vendor
from ceasefire.services import views

HERE = Path(__file__).resolve().parent
CSP = "; ".join(
    [
        "default-src 'self'",
        # Vega compiles its expressions with Function(); MapLibre runs its workers from blobs.
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def when(at: Any) -> str:
    """UTC ISO text or datetime as `2016-04-30 14:00 UTC` for reading."""
    if at is None:
        return ""
    if isinstance(at, str):
        try:
            at = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return at
    if isinstance(at, dt.datetime):
        return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(at)


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["when"] = when
templates.env.globals["version"] = __version__
#: Missing vendored scripts, looked up once: the files do not come and go while the app runs.
MISSING = vendor.missing()


def render(request: Request, template: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the site's frame, for the viewer of this request."""
    login = viewer(request)
    frame = {
        "who": login.who,
        "signed_in": login.signed_in,
        "role": role_of(login.who).value,
        "csrf": csrf_token(login.token),
        "nav": views.navigation(login.who, workspace(request).settings, login.signed_in),
        "path": request.url.path,
        "assets_missing": MISSING,
        "region": workspace(request).region,  # the one the record names
    }
    return templates.TemplateResponse(request, template, frame | context, status_code=http_status)


def error_page(request: Request, status: int, message: str) -> Response:
    """An error as a page; one that needs a login sends the viewer to the login form."""
    if status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return render(request, "error.html", http_status=status, status_code=status, message=message)


async def security_headers(request: Request, call_next: Callable[[Request], Any]) -> Any:
    response = await call_next(request)
    response.headers.setdefault("content-security-policy", CSP)
    response.headers.setdefault("x-content-type-options", "nosniff")
    response.headers.setdefault("referrer-policy", "same-origin")
    return response


def redirect(path: str) -> RedirectResponse:
    """After a form: see the result with GET."""
    return RedirectResponse(path, status_code=303)
