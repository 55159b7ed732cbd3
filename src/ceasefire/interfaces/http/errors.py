"""One error body for the API, error pages for the site, and service errors as HTTP.

Every refusal of the API has the body
`{"error": {"status": 404, "code": "not_found", "message": "...", "details": null}}`;
a page gets the same status with an HTML error page (or, for 401, the login
form). Services raise their own exceptions; `SERVICE_ERRORS` says which status
each one means, so no route translates errors by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ceasefire.core.errors import InputError
from ceasefire.core.policy import PolicyError
from ceasefire.services import cases, users, views

API = "/api/v1"

#: Which status and code each service error means (a subclass finds its own entry first).
SERVICE_ERRORS: list[tuple[type[Exception], int, str]] = [
    (cases.StateConflict, 409, "conflict"),
    (cases.InvalidRequest, 422, "invalid_request"),
    (users.UserError, 422, "invalid_request"),
    (cases.CaseError, 400, "bad_request"),
    (views.UnknownView, 404, "not_found"),
]

#: Renders an error as a page: set on `app.state.error_page` by the pages.
ErrorPage = Callable[[Request, int, str], Response]


class ApiError(Exception):
    """A refusal decided at the edge (a malformed parameter, an unknown id)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


#: The error responses every API route documents.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422)
}


def error_json(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(status=status, code=code, message=message, details=details))
    return JSONResponse(body.model_dump(), status_code=status)


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API)


def answer(request: Request, status: int, code: str, message: str, details: Any = None) -> Any:
    """The API's error body, or the error page for a page of the site."""
    page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    if page is not None and not is_api(request):
        return page(request, status, message)
    return error_json(status, code, message, details)


async def respond(
    request: Request, status: int, code: str, message: str, details: Any = None
) -> Any:
    """`answer`, from a handler on the event loop: a page is rendered in a worker thread,
    since rendering looks the viewer up in the database."""
    if is_api(request) or getattr(request.app.state, "error_page", None) is None:
        return answer(request, status, code, message, details)
    return await run_in_threadpool(answer, request, status, code, message, details)


def _message(exc: Exception) -> str:
    # A KeyError's text is the repr of its argument; say the argument itself.
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


def _service_handler(status: int, code: str) -> Callable[[Request, Exception], Any]:
    async def handle(request: Request, exc: Exception) -> Any:
        return await respond(request, status, code, _message(exc))

    return handle


async def _api_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, ApiError)
    return await respond(request, exc.status, exc.code, exc.message, exc.details)


async def _policy_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, PolicyError)
    code = "not_found" if exc.status == 404 else "forbidden"
    return await respond(request, exc.status, code, str(exc))


async def _input_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, InputError)
    return await respond(request, 422, "invalid_input", exc.describe())


async def _validation_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    if not is_api(request):
        # A page's form: say which field, in words.
        said = "; ".join(f"{d['loc'][-1]}: {d['msg']}" for d in details if d["loc"])
        return await respond(request, 422, "invalid_request", f"the form is not valid ({said})")
    return error_json(422, "invalid_request", "the request is not valid", details)


async def _http_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    code = codes.get(exc.status_code, "http_error")
    return await respond(request, exc.status_code, code, str(exc.detail))


def install(app: FastAPI) -> None:
    """Answer every error of the app with the one body (or the error page)."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(PolicyError, _policy_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind, status, code in SERVICE_ERRORS:
        app.add_exception_handler(kind, _service_handler(status, code))
