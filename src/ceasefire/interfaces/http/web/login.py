"""Logging in and out, and the account page: the login cookie carries a login token.

Too many wrong passwords (per name, per client address) answer 429 with
`Retry-After` before any password work; the account page lists the viewer's
logins and API tokens with a revoke button each (CSRF-protected like every form).
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from ceasefire.core.policy import Principal
from ceasefire.interfaces.http.auth import (
    SESSION_COOKIE,
    Login,
    Viewer,
    check_form,
    clear_login_cookie,
    client_address,
    set_login_cookie,
)
from ceasefire.interfaces.http.deps import Ws
from ceasefire.interfaces.http.errors import ApiError
from ceasefire.interfaces.http.web.render import redirect, render
from ceasefire.services import users

router = APIRouter(include_in_schema=False)


def safe_next(target: str) -> str:
    """Only paths on this site: a login must not bounce the user elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/map"
    return target


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return redirect("/map")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/map") -> Response:
    return render(request, "login.html", next=safe_next(next), failed=False)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ws: Ws,
    name: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1000),
    next: str = Form("/map", max_length=2000),
) -> Response:
    try:
        with ws.record() as rec:
            found = users.log_in(
                rec, name, password, signer=ws.keys, client=client_address(request)
            )
    except users.TooManyAttempts as exc:
        page = render(
            request,
            "login.html",
            http_status=429,
            next=safe_next(next),
            failed=False,
            limited=str(exc),
            retry_after=exc.retry_after,
            name=name,
        )
        page.headers["retry-after"] = str(exc.retry_after)
        return page
    if found is None:
        return render(
            request, "login.html", http_status=401, next=safe_next(next), failed=True, name=name
        )
    _user, token = found
    response = redirect(safe_next(next))
    set_login_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, ws: Ws) -> Response:
    """Revoke this browser's login, whatever else was (or was not) posted."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with ws.record() as rec:
            users.log_out(rec, token, signer=ws.keys)
    response = redirect("/map")
    clear_login_cookie(response)
    return response


def signed_in(login: Login) -> Principal:
    """The signed-in viewer, or a 401 (the page sends the browser to the login form)."""
    if login.token is None:
        raise ApiError(401, "unauthorized", "log in first")
    return login.who


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, ws: Ws, login: Viewer) -> Response:
    """The viewer's logins and API tokens, this one marked, each with a revoke button."""
    who = signed_in(login)
    current = users.token_sha256(login.token or "")
    with ws.record() as rec:
        tokens = users.list_tokens(rec, who)
    return render(request, "account.html", tokens=tokens, current=current)


@router.post("/account/revoke")
def account_revoke(
    request: Request,
    ws: Ws,
    csrf: str = Form("", max_length=200),
    token: str = Form(..., max_length=200),
) -> Response:
    """Revoke one of the viewer's own tokens (revoking this login logs out)."""
    who = check_form(request, csrf)
    with ws.record() as rec:
        revoked = users.revoke_token(rec, who, token, signer=ws.keys)
    login = request.cookies.get(SESSION_COOKIE) or ""
    if revoked.id == users.token_sha256(login):
        response = redirect("/map")
        clear_login_cookie(response)
        return response
    return redirect("/account")
