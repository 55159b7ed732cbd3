"""Two witnesses — two processes, two key files — co-sign a real server's checkpoints,
and both catch the server when its log is truncated.

The server is `create_app` under uvicorn in a subprocess on 127.0.0.1; each witness
is `python -m ceasefire ledger witness` in its own process, with its own state folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, update

from ceasefire.core import checkpoint as notes
from ceasefire.services import ledger, users
from ceasefire.storage.cases import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from ceasefire.storage.ledger_store import HEAD_ID
from ceasefire.storage.record import Record
from tests.api.conftest import build_workspace
from tests.api.test_abuse_live import SERVER, free_port

WITNESSES = ("adj-ru", "adj-us")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ceasefire", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.fixture
def server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str, dict[str, str]]]:
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    env = os.environ | {"CEASEFIRE_KEYS": str(tmp_path / "keys")}
    db, tokens = build_workspace(tmp_path)
    publish_a_ruling(db, tokens)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, db, str(port)], env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                pytest.fail("the server did not start")
            time.sleep(0.1)
        yield base, db, env
    finally:
        process.terminate()
        process.wait(timeout=10)


def publish_a_ruling(db: str, tokens: dict[str, str]) -> None:
    """A case through to a published ruling, while the panel's keys are still server-held."""
    from fastapi.testclient import TestClient

    from ceasefire.interfaces.http.app import create_app

    app = create_app(db)
    with TestClient(app) as client:

        def post(path: str, who: str, body: object = None) -> dict[str, object]:
            headers = {"Authorization": f"Bearer {tokens[who]}"}
            done = client.post(f"/api/v1/allegations{path}", headers=headers, json=body)
            assert done.status_code in (200, 201), done.text
            return dict(done.json())

        case = post("", "rep-opp", {
            "agreement_id": "quiet", "complainant": "opposition", "respondent": "gov",
            "narrative": "Shelling of a market.", "incidents": ["native:e1"],
        })["id"]  # fmt: skip
        post(f"/{case}/review", "adj-ru")
        post(f"/{case}/ruling", "adj-us", {"outcome": "violation_confirmed", "reasons": "Seen."})
        post(f"/{case}/sign", "adj-us", {"position": "agree"})
        post(f"/{case}/sign", "adj-ru", {"position": "agree"})
        post(f"/{case}/publish", "adj-ru")
    app.state.workspace.close()


def run_witnesses(
    base: str, tmp_path: Path, env: dict[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    def one(name: str) -> subprocess.CompletedProcess[str]:
        return cli(
            "ledger", "witness", base, "--key", str(tmp_path / f"{name}.pem"),
            "--state", str(tmp_path / f"state-{name}"), "--name", name, env=env,
        )  # fmt: skip

    with ThreadPoolExecutor(len(WITNESSES)) as pool:
        return list(pool.map(one, WITNESSES))


def test_two_witnesses_cosign_and_both_catch_a_truncated_server(
    server: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    base, db, env = server
    # Each adjudicator makes a key on their own machine and registers only its public half.
    for name in WITNESSES:
        made = cli("keys", "generate", "-o", str(tmp_path / f"{name}.pem"), env=env)
        assert made.returncode == 0, made.stderr
        public = users.public_key_b64(users.read_key_file(tmp_path / f"{name}.pem"))
        assert public in made.stdout
        with Record.open(db) as rec:
            admin = users.get_user(rec, "admin")
            users.register_key(rec, admin, name, public, keys=users.Keystore(tmp_path / "keys"))
    first = run_witnesses(base, tmp_path, env)
    assert [r.returncode for r in first] == [0, 0], [r.stderr for r in first]
    assert all("co-signed" in r.stdout for r in first)

    # The record grows; both witness again: consistent, and both cosignatures are on it.
    with Record.open(db) as rec:
        admin = users.get_user(rec, "admin")
        users.issue_token(rec, admin, "monitor", signer=users.Keystore(tmp_path / "keys"))
    second = run_witnesses(base, tmp_path, env)
    assert [r.returncode for r in second] == [0, 0], [r.stderr for r in second]
    assert all("consistent (from" in r.stdout for r in second)
    note = notes.parse(httpx.get(f"{base}/api/v1/ledger/checkpoint").text)
    with Record.open(db) as rec:
        assert ledger.witnesses(rec, note) == sorted(WITNESSES)
        assert ledger.verify_db(rec).ok
    page = httpx.get(f"{base}/register").text
    assert "Co-signed by adj-ru, adj-us" in page
    assert "checkpoint co-signed by the whole panel" in page  # both adjudicators of `quiet`

    # Whoever runs the server drops the newest entries and every trace of them.
    with Record.open(db) as rec:
        keep = note.size - 2
        rec.session.execute(delete(LedgerEntry).where(LedgerEntry.seq > keep))
        for level in range(40):
            rec.session.execute(
                delete(LedgerNode).where(
                    LedgerNode.level == level, LedgerNode.index >= keep >> level
                )
            )
        rec.session.execute(delete(LedgerCheckpoint))
        last = rec.session.get(LedgerEntry, keep)
        assert last is not None
        rec.session.execute(
            update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(seq=keep, hash=last.leaf_hash)
        )
    third = run_witnesses(base, tmp_path, env)
    for name, result in zip(WITNESSES, third, strict=True):
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert "not append-only" in result.stderr and "shrank" in result.stderr
        evidence = list((tmp_path / f"state-{name}" / "evidence").iterdir())
        assert len(evidence) == 1
        kept = {p.name for p in evidence[0].iterdir()}
        assert kept == {"previous.txt", "current.txt", "proof.json"}
        assert notes.parse((evidence[0] / "previous.txt").read_text()).size == note.size
    # Nothing new was co-signed.
    shrunk = notes.parse(httpx.get(f"{base}/api/v1/ledger/checkpoint").text)
    assert shrunk.size == note.size - 2 and not shrunk.cosignatures
    assert json.loads((tmp_path / "state-adj-ru" / "log.json").read_text())["origin"] == note.origin
