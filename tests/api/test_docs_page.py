"""The API's docs: the OpenAPI document is served; no page loads anything from elsewhere.

FastAPI's interactive docs page loads swagger-ui from a CDN, which a field
office may not reach (and the pages' Content Security Policy would block):
the app does not serve it (README, "The REST API").
"""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import Api

V = "/api/v1"
EXTERNAL = re.compile(r"""(src|href|action)\s*=\s*["']?(https?:)?//""", re.I)


@pytest.mark.parametrize("path", [f"{V}/docs", f"{V}/docs/oauth2-redirect", f"{V}/redoc", "/docs"])
def test_no_docs_page_that_would_load_a_cdn(api: Api, path: str) -> None:
    answer = api.get(path)
    assert answer.status_code == 404
    assert "swagger" not in answer.text.lower() and "cdn" not in answer.text.lower()


def test_the_openapi_document_is_served_and_names_every_route(api: Api) -> None:
    document = api.get(f"{V}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {f"{V}/incidents", f"{V}/allegations", f"{V}/health"} <= set(document["paths"])


@pytest.mark.parametrize("path", ["/map", "/login", "/agreements", "/register", "/cases"])
def test_pages_load_nothing_from_another_origin(api: Api, path: str) -> None:
    page = api.get(path, "admin")
    assert page.status_code == 200, path
    assert not EXTERNAL.search(page.text), EXTERNAL.search(page.text)
