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
from jinja2 import pass_context
from markupsafe import Markup

from ceasefire._version import __version__
from ceasefire.core.policy import role_of
from ceasefire.core.timing import zone_info
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


def moment(at: Any) -> dt.datetime | None:
    """UTC ISO text (`2016-11-13T22:00Z`), seconds or a datetime as an aware datetime."""
    if at is None or at == "":
        return None
    if isinstance(at, int | float) and not isinstance(at, bool):
        return dt.datetime.fromtimestamp(at, dt.UTC)
    if isinstance(at, str):
        try:
            at = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(at, dt.datetime):
        return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return None


def local_text(at: Any, timezone: str | None, *, date_only: bool = False) -> tuple[str, str]:
    """(local text, UTC text) of a moment: what a person reads, and what is stored.

    The local text is the wall clock of `timezone` (the agreement's, else the
    region's): an event at 00:00 in Damascus on 14 November 2016 reads
    `2016-11-14 00:00`, its UTC `2016-11-13 22:00 UTC`.
    """
    found = moment(at)
    if found is None:
        return ("" if at is None else str(at)), ""
    utc = found.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        local = found.astimezone(zone_info(timezone)) if timezone else found.astimezone(dt.UTC)
    except ValueError:
        local = found.astimezone(dt.UTC)
    return local.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M"), utc


@pass_context
def when(context: Any, at: Any, timezone: str | None = None, date_only: bool = False) -> Markup:
    """A moment for reading: the local date and time in the page's time zone (`timezone` in the
    page's context: the agreement's, else the region's), with UTC on hover (`title`) and in
    `datetime`. The one way every template shows a date."""
    tz = timezone or context.get("timezone") or getattr(context.get("region"), "timezone", None)
    local, utc = local_text(at, tz, date_only=date_only)
    if not utc:
        return Markup.escape(local)
    stamp = moment(at).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")  # type: ignore[union-attr]
    return Markup('<time datetime="{}" title="{}">{}</time>').format(stamp, utc, local)


def number(value: Any, digits: int = 0) -> str:
    """A count or figure with thousands separators (`1,625`); blank for none."""
    if value is None or value == "":
        return ""
    try:
        figure = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{figure:,.{digits}f}" if digits or not figure.is_integer() else f"{int(figure):,}"


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["when"] = when
templates.env.filters["num"] = number
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
        "timezone": workspace(request).region.timezone,  # a page about an agreement: its own
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
