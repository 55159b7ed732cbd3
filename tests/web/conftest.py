"""Browser tests: the demo record served by `ceasefire serve`'s app, driven in real Chromium.

The set-up installs what it needs: Debian's `chromium` (apt-get, when missing and
allowed) and Playwright (a test dependency in pyproject.toml), which drives it
through `executable_path`; Playwright's own browser download is never used.
Every page a test opens has its requests recorded, and each test fails if one
of them went anywhere but 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from ceasefire.services import ingest, users
from ceasefire.services.demo import demo_data
from ceasefire.storage.db import session_factory, transaction

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
#: name: (role, party, password). One account per role, and a third party for privacy.
ACCOUNTS = {
    "chair": ("admin", None, "chair-password"),
    "ru-member": ("adjudicator", "russia", "ru-member-password"),
    "us-member": ("adjudicator", "usa", "us-member-password"),
    "observer": ("monitor", None, "observer-password"),
    "hnc": ("party", "opposition", "hnc-password"),
    "damascus": ("party", "gov", "damascus-password"),
    "qamishli": ("party", "sdf", "qamishli-password"),
}


def chromium_path() -> str | None:
    """Debian's Chromium, installed with apt-get when it is missing and we may."""
    wanted = os.environ.get("CEASEFIRE_CHROMIUM")
    for candidate in [wanted, "/usr/bin/chromium", shutil.which("chromium")]:
        if candidate and Path(candidate).is_file():
            return candidate
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = [apt, "install", "-y", "--no-install-recommends", "chromium"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run([apt, "update"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True)
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def build_record(folder: Path, incident_files: list[Path] | None = None) -> str:
    """A workspace with the bundled demo agreements, incidents and one user per role."""
    db = f"sqlite:///{folder / 'record.db'}"
    data = demo_data()
    ingest.init_workspace(db)
    ingest.load_agreement_files([data / "syria-2016.yaml"], db)
    with ingest.open_repository(db) as repo:
        repo.ingest(incident_files or [data / "ged_syria_2016.csv"])
        keys = users.Keystore(folder / "keys")
        factory = session_factory(repo.engine)
        with transaction(factory) as session:
            users.add_user(session, None, "chair", "admin", keys=keys, password="chair-password")
        for name, (role, party, password) in ACCOUNTS.items():
            if name == "chair":
                continue
            with transaction(factory) as session:
                admin = users.get_user(session, "chair")
                users.add_user(
                    session, admin, name, role, party=party, password=password, keys=keys
                )
    return db


@dataclass
class Server:
    base: str
    db: str
    thread: threading.Thread
    server: Any

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(db: str, keys: Path) -> Server:
    """The app `ceasefire serve` runs, on a free port of 127.0.0.1, in a thread."""
    import uvicorn

    from ceasefire.api.app import create_app

    os.environ["CEASEFIRE_KEYS"] = str(keys)
    app = create_app(db)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    return Server(f"http://127.0.0.1:{port}", db, thread, server)


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
    folder = tmp_path_factory.mktemp("web")
    keys = folder / "keys"
    previous = os.environ.get("CEASEFIRE_KEYS")
    os.environ["CEASEFIRE_KEYS"] = str(keys)
    db = build_record(folder)
    running = serve(db, keys)
    yield running
    running.stop()
    if previous is None:
        os.environ.pop("CEASEFIRE_KEYS", None)
    else:
        os.environ["CEASEFIRE_KEYS"] = previous


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
        self.goto("/login")
        self.page.fill("#name", name)
        self.page.fill("#password", ACCOUNTS[name][2])
        self.page.click("form.card button[type=submit]")
        self.page.wait_for_url("**/map")

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
    """Save a page for the README (docs/screenshots), as it looks in the test."""
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)
