"""Logging in and out: the login cookie carries an API token."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from ceasefire.interfaces.http.auth import (
    Viewer,
    clear_login_cookie,
    csrf_ok,
    set_login_cookie,
)
from ceasefire.interfaces.http.deps import Ws
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
    with ws.record() as rec:
        found = users.log_in(rec, name, password, signer=ws.keys)
    if found is None:
        return render(
            request, "login.html", http_status=401, next=safe_next(next), failed=True, name=name
        )
    _user, token = found
    response = redirect(safe_next(next))
    set_login_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(ws: Ws, login: Viewer, csrf: str = Form("")) -> Response:
    if login.token is not None and csrf_ok(login, csrf):
        with ws.record() as rec:
            users.log_out(rec, login.token, signer=ws.keys)
    response = redirect("/map")
    clear_login_cookie(response)
    return response
