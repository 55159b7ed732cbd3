"""Browser tests: the demo record served by `ceasefire serve`'s app, driven in real Chromium.

The set-up installs what it needs: Debian's `chromium` (apt-get, when missing and
allowed) and Playwright (a test dependency in pyproject.toml), which drives it
through `executable_path`; Playwright's own browser download is never used.
Every page a test opens has its requests recorded, and each test fails if one
of them went anywhere but 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.web.browser import (
    ACCOUNTS,
    AXE,
    CHROMIUM_FLAGS,
    Server,
    build_record,
    chromium_path,
    log_in,
    output_dir,
    serve,
)

__all__ = ["ACCOUNTS", "AXE", "Server", "build_record", "serve"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "browser tests need Debian's chromium: `apt-get install chromium` "
            "(the set-up installs it when run as root with apt-get)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = serve(build_record(tmp_path_factory.mktemp("web")))
    yield running
    running.stop()


@dataclass
class Visit:
    """A browser context with every request it made."""

    context: Any
    page: Any
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def login(self, name: str) -> None:
        log_in(self.page, self.base, name)

    def logout(self) -> None:
        self.page.click("header form button")
        self.page.wait_for_url("**/map")

    def outside(self) -> list[str]:
        return [u for u in self.requests if urlparse(u).hostname not in ("127.0.0.1", None)]


@pytest.fixture
def visit(browser: Any, site: Server) -> Iterator[Any]:
    """Open browser contexts on the site; each fails the test if it left 127.0.0.1."""
    opened: list[Visit] = []

    def open_context(**options: Any) -> Visit:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, **options)
        page = context.new_page()
        record = Visit(context, page, site.base)
        context.on("request", lambda request: record.requests.append(request.url))
        page.on("pageerror", lambda error: record.errors.append(str(error)))
        opened.append(record)
        return record

    yield open_context
    for record in opened:
        record.context.close()
    for record in opened:
        assert record.outside() == [], f"requests left the machine: {record.outside()}"
        assert record.errors == [], f"script errors: {record.errors}"


def wait_ready(page: Any, handle: str, timeout: float = 20_000) -> dict[str, Any]:
    """Wait for a page's script to say it has drawn; fail on its error."""
    page.wait_for_function(
        f"window.{handle} && (window.{handle}.ready || window.{handle}.error)", timeout=timeout
    )
    state = page.evaluate(f"({{...window.{handle}, map: undefined}})")
    assert not state.get("error"), state["error"]
    return dict(state)


def screenshot(page: Any, name: str) -> None:
    """Save a page as it looks in the test (docs/screenshots only through tools/screenshots.py)."""
    page.screenshot(path=str(output_dir("screenshots") / f"{name}.png"), full_page=False)
