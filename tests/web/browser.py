"""Running the web app for a browser: Debian's Chromium, a demo record, a local server.

Shared by the browser tests and `bench/web.py`; no pytest here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ceasefire.services.demo import DEMO_ACCOUNTS, demo_record

ROOT = Path(__file__).resolve().parents[2]
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
#: name: (role, party, password): the demo record's accounts, with known passwords.
ACCOUNTS = {
    name: (role, party, f"{name}-password") for name, (role, party) in DEMO_ACCOUNTS.items()
}


def output_dir(kind: str) -> Path:
    """Where a browser test writes what it makes: never the tree, unless asked.

    `CEASEFIRE_SCREENSHOTS` / `CEASEFIRE_ARTIFACTS` name a folder (the
    screenshot command sets the first to docs/screenshots); otherwise a folder
    under the system's temporary directory.
    """
    named = os.environ.get(f"CEASEFIRE_{kind.upper()}")
    folder = Path(named) if named else Path(tempfile.gettempdir()) / f"ceasefire-{kind}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
    """The demo record (`ceasefire demo --serve`'s) with the accounts' known passwords."""
    passwords = {name: password for name, (_r, _p, password) in ACCOUNTS.items()}
    return demo_record(folder, passwords, incident_files)


def log_in(page: Any, base: str, name: str) -> None:
    """Log in through the login form, as a person would, and land on the map."""
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", ACCOUNTS[name][2])
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/map")


@dataclass
class Server:
    base: str
    db: str
    thread: threading.Thread
    server: Any

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(db: str) -> Server:
    """The app `ceasefire serve` runs, on a free port of 127.0.0.1, in a thread."""
    import uvicorn

    from ceasefire.interfaces.http.app import create_app

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
