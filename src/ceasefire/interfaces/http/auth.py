"""Who is asking: a bearer token for the API, the login cookie for the pages, CSRF for forms.

The login cookie carries a login token (HttpOnly, SameSite=Strict) that expires
with the session (`users.SESSION_TTL`, 12 h); an expired, revoked or disabled
user's token is no one's. The pages'
scripts read the API with it, but only with GET: nothing is changed by a
cookie alone. A form posts a token derived from the login, which a page of
another site cannot read.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from ceasefire.core.policy import Anonymous, PolicyError, Principal
from ceasefire.interfaces.http.deps import Ws, workspace
from ceasefire.interfaces.http.errors import ApiError
from ceasefire.services.users import SESSION_TTL

#: The login cookie the pages set; it carries a login token.
SESSION_COOKIE = "ceasefire_session"


def caller(request: Request, ws: Ws) -> Principal:
    """The API's caller: the bearer token's user, the login cookie's for reads, else the public."""
    header = request.headers.get("authorization")
    if not header:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and request.method in ("GET", "HEAD"):
            return ws.user_for(cookie) or Anonymous()
        return Anonymous()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "use `Authorization: Bearer TOKEN`")
    user = ws.user_for(token.strip())
    if user is None:
        raise ApiError(401, "unauthorized", "unknown, expired or revoked token")
    return user


Caller = Annotated[Principal, Depends(caller)]


@dataclass(frozen=True)
class Login:
    """The viewer of a page, and the login token when the cookie is a valid one."""

    who: Principal
    token: str | None

    @property
    def signed_in(self) -> bool:
        return self.token is not None


def viewer(request: Request) -> Login:
    """Who is looking at a page, looked up once per request (routes and rendering both ask)."""
    known: Login | None = getattr(request.state, "viewer", None)
    if known is None:
        token = request.cookies.get(SESSION_COOKIE)
        user = workspace(request).user_for(token) if token else None
        known = Login(user or Anonymous(), token if user else None)
        request.state.viewer = known
    return known


Viewer = Annotated[Login, Depends(viewer)]


def csrf_token(token: str | None) -> str:
    """A form token bound to this login (a cross-site page cannot read it)."""
    if not token:
        return ""
    return hmac.new(token.encode(), b"ceasefire-form", hashlib.sha256).hexdigest()[:32]


def csrf_ok(login: Login, csrf: str) -> bool:
    return login.token is not None and hmac.compare_digest(csrf, csrf_token(login.token))


def check_form(request: Request, csrf: str) -> Principal:
    """The signed-in user who posted a form of this site, or a refusal."""
    login = viewer(request)
    if login.token is None:
        raise PolicyError("log in first")
    if not csrf_ok(login, csrf):
        raise ApiError(403, "forbidden", "the form has expired; reload the page and try again")
    return login.who


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def client_address(request: Request) -> str:
    """The address login failures are counted against (the peer the server sees)."""
    return request.client.host if request.client is not None else "unknown"


def clear_login_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
