"""Running the web app for a browser: Debian's Chromium, a demo record, a local server.

Shared by the browser tests and `bench/web.py`; no pytest here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
