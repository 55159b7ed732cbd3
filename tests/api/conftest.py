"""A workspace served by the API: agreements, a few incidents, one user per role, tokens."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.interfaces.http.app import create_app
from ceasefire.services import ingest, users
from ceasefire.services.record import open_record
from tests.conftest import AGREEMENT_YAML, event

PANEL_YAML = AGREEMENT_YAML.replace(
    "    readings:\n",
    "    adjudicators: [russia, usa]\n    guarantors: [russia, usa]\n    ruling_due_days: 7\n"
    "    readings:\n",
)
ROLES = {
    "admin": ("admin", None),
    "adj-ru": ("adjudicator", "russia"),
    "adj-us": ("adjudicator", "usa"),
    "monitor": ("monitor", None),
    "rep-gov": ("party", "gov"),
    "rep-opp": ("party", "opposition"),
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    db: str

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who in (None, "public") else {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self.headers(who), **kw)

    def post(self, path: str, who: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.post(path, headers=self.headers(who), **kw)


def build_workspace(tmp_path: Path, db: str | None = None) -> tuple[str, dict[str, str]]:
    """The workspace in `db` (a PostgreSQL URL), else in a SQLite file under `tmp_path`."""
    db = db or str(tmp_path / "record.db")
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(PANEL_YAML, encoding="utf-8")
    events = tmp_path / "events.jsonl"
    rows = [
        event("e1"),
        event("e2", perpetrators=["nusra"], targets=["gov"]),
        event("e3", place={"lon": 38.5, "lat": 35.5}),
    ]
    events.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    ingest.init_workspace(db)
    ingest.load_agreement_files([agreement], db, who=LOCAL_OPERATOR)
    ingest.ingest_files([events], db, who=LOCAL_OPERATOR)
    with open_record(db) as rec:
        keys = users.Keystore(tmp_path / "keys")
        tokens: dict[str, str] = {}
        admin = users.add_user(rec, None, "admin", "admin", keys=keys)
        rec.commit()
        for name, (role, party) in ROLES.items():
            admin = users.get_user(rec, "admin")
            if name != "admin":
                users.add_user(rec, admin, name, role, party=party, keys=keys)
            tokens[name] = users.issue_token(rec, admin, name, signer=keys)
            rec.commit()
    return db, tokens


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    db, tokens = build_workspace(tmp_path)
    app = create_app(db)
    with TestClient(app) as client:
        yield Api(client, tokens, db)
    app.state.workspace.close()


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_health(base: str, server: subprocess.Popen[Any], seconds: float = 30) -> None:
    """Until `base`/api/v1/health answers 200; fails the test if the server stops or
    `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the test server at {base} did not start")
        time.sleep(0.1)
