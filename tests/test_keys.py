"""Own keys: generated and kept by their holder; the server signs nothing for them.

`ceasefire keys generate/public`, registering a public key (`users add --public-key`,
`users key`), refusing a server signature for an own-key user, and signing a ruling
with the key file (CLI) or a detached signature (API) over the one payload the
service records.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import os
import re
import shlex
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ceasefire.interfaces.cli.main import app
from ceasefire.interfaces.http.app import create_app
from ceasefire.services import cases, ledger, users
from ceasefire.services.record import open_record
from tests.api.conftest import Api, build_workspace
from tests.api.test_api import file_case
from tests.test_workflow import ROOT, workflow_lines

runner = CliRunner()
V = "/api/v1"


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The API tests' workspace (one user per role), served; keys in `tmp_path/keys`."""
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    db, tokens = build_workspace(tmp_path)
    served = create_app(db)
    with TestClient(served) as client:
        yield Api(client, tokens, db)
    served.state.workspace.close()


def generate(path: Path) -> str:
    result = runner.invoke(app, ["keys", "generate", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_generate_writes_a_private_0600_key_and_prints_its_public_key(tmp_path: Path) -> None:
    key = tmp_path / "me.pem"
    public = generate(key)
    assert len(base64.b64decode(public, validate=True)) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    shown = runner.invoke(app, ["keys", "public", str(key)])
    assert shown.exit_code == 0 and shown.stdout.strip() == public
    again = runner.invoke(app, ["keys", "generate", "-o", str(key)])
    assert again.exit_code == 2 and "not overwriting" in again.output
    os.chmod(key, 0o644)
    loose = runner.invoke(app, ["keys", "public", str(key)])
    assert loose.exit_code == 2 and "readable by others" in loose.output


def cli(api: Api, *args: str) -> object:
    return runner.invoke(app, [*args, "--db", api.db])


def ready_to_sign(api: Api) -> str:
    cid = file_case(api)["id"]
    assert api.post(f"{V}/allegations/{cid}/review", "adj-ru").status_code == 200
    ruling = {"outcome": "violation_confirmed", "reasons": "The finding holds.", "findings": []}
    assert api.post(f"{V}/allegations/{cid}/ruling", "adj-us", json=ruling).status_code == 200
    return str(cid)


def own_key(api: Api, tmp_path: Path, name: str) -> Path:
    """`name` switches to a key of their own (registered by the admin)."""
    key = tmp_path / f"{name}.pem"
    public = generate(key)
    done = cli(api, "users", "key", name, "--public-key", public, "--as", "admin")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    with open_record(api.db) as rec:
        user = users.get_user(rec, name)
        assert (user.key_mode, user.public_key) == ("own", public)
        entry = ledger.entries(rec)[-1]
        assert (entry.user, entry.action) == ("admin", "user.key")
        assert entry.payload == {"name": name, "public_key": public, "key": "own"}
    assert not users.Keystore(tmp_path / "keys").has(name)  # the server holds nothing
    return key


def test_a_user_added_with_their_public_key_has_no_server_key(api: Api, tmp_path: Path) -> None:
    public = generate(tmp_path / "judge.pem")
    added = cli(
        api, "users", "add", "judge2", "--role", "monitor", "--public-key", public,
        "--as", "admin",
    )  # fmt: skip
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    assert not users.Keystore(tmp_path / "keys").has("judge2")
    with open_record(api.db) as rec:
        assert users.get_user(rec, "judge2").key_mode == "own"
        entry = ledger.entries(rec)[-1]
        assert entry.payload == {
            "name": "judge2", "role": "monitor", "party": None, "public_key": public,
            "key": "own",
        }  # fmt: skip
    bad = cli(api, "users", "add", "x", "--role", "monitor", "--public-key", "abc", "--as", "admin")
    assert bad.exit_code == 2  # type: ignore[attr-defined]


def test_signing_a_ruling_with_an_own_key_on_the_command_line(api: Api, tmp_path: Path) -> None:
    cid = ready_to_sign(api)
    key = own_key(api, tmp_path, "adj-ru")
    # The server will not sign for them ...
    refused = cli(api, "cases", "sign", cid, "--as", "adj-ru", "--position", "agree")
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "holds their own key" in refused.output  # type: ignore[attr-defined]
    # ... a wrong key is refused by the ledger ...
    other = tmp_path / "other.pem"
    generate(other)
    wrong = cli(
        api, "cases", "sign", cid, "--as", "adj-ru", "--position", "agree", "--key", str(other)
    )
    assert wrong.exit_code == 2  # type: ignore[attr-defined]
    # ... and their own key signs here, over the payload the service records.
    signed = cli(
        api, "cases", "sign", cid, "--as", "adj-ru", "--position", "agree", "--key", str(key)
    )
    assert signed.exit_code == 0, signed.output  # type: ignore[attr-defined]
    with open_record(api.db) as rec:
        entry = ledger.entries(rec)[-1]
        public = users.get_user(rec, "adj-ru").public_key
    assert entry.action == "ruling.sign"
    assert entry.payload == cases.ruling_sign_payload(cid, "russia", "agree")
    assert entry.line()["key"] == "own"
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
        base64.b64decode(entry.signature), ledger.statement("adj-ru", "ruling.sign", entry.payload)
    )


def test_the_api_accepts_a_detached_signature_and_refuses_none_or_a_bad_one(
    api: Api, tmp_path: Path
) -> None:
    cid = ready_to_sign(api)
    key = users.read_key_file(own_key(api, tmp_path, "adj-us"))
    path = f"{V}/allegations/{cid}/sign"
    missing = api.post(path, "adj-us", json={"position": "dissent", "statement": "No."})
    assert missing.status_code == 403 and "holds their own key" in missing.text
    payload = cases.ruling_sign_payload(cid, "usa", "dissent", "No.")
    good = key.sign(ledger.statement("adj-us", "ruling.sign", payload))
    tampered = key.sign(ledger.statement("adj-us", "ruling.sign", payload | {"position": "agree"}))
    bad = api.post(
        path,
        "adj-us",
        json={"position": "dissent", "statement": "No.", "signature": ledger.b64(tampered)},
    )
    assert bad.status_code == 422, bad.text
    assert (
        api.post(
            path, "adj-us", json={"position": "dissent", "statement": "No.", "signature": "%%"}
        ).status_code
        == 422
    )
    done = api.post(
        path,
        "adj-us",
        json={"position": "dissent", "statement": "No.", "signature": ledger.b64(good)},
    )
    assert done.status_code == 200, done.text
    with open_record(api.db) as rec:
        entry = ledger.entries(rec)[-1]
    assert entry.payload == payload and entry.line()["key"] == "own"
    # A server-held key's user still signs without one.
    assert api.post(path, "adj-ru", json={"position": "agree"}).status_code == 200
    assert api.get(f"{V}/ledger/verify").json()["intact"] is True


def test_an_own_key_user_cannot_log_in_on_the_web(api: Api, tmp_path: Path) -> None:
    own_key(api, tmp_path, "monitor")
    with open_record(api.db) as rec:
        user = users.get_user(rec, "monitor")
        rec.users.set_password_hash(user, users._hasher.hash("correct horse"))
        rec.commit()
    response = api.client.post(
        "/login", data={"name": "monitor", "password": "correct horse"}, follow_redirects=False
    )
    assert response.status_code == 403 and "own key" in response.text


@pytest.mark.parametrize("who", ["rep-gov", "monitor", "adj-ru"])
def test_only_admins_register_another_s_key(api: Api, tmp_path: Path, who: str) -> None:
    public = generate(tmp_path / "k.pem")
    response = api.client.put(
        f"{V}/users/rep-opp/key", headers=api.headers(who), json={"public_key": public}
    )
    assert response.status_code == 403, response.text


def readme_blocks(heading: str) -> list[list[str]]:
    """The `ceasefire` lines of each sh block in the README section under `heading`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    out = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
        found = [line for line in lines if line.startswith("ceasefire ")]
        if found:
            out.append(found)
    return out


def test_the_readme_accounts_and_own_key_lines_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CEASEFIRE_DB", str(tmp_path / "taskforce.db"))
    monkeypatch.delenv("CEASEFIRE_KEYS", raising=False)
    year = dt.datetime.now(dt.UTC).year
    before_signing = list(itertools.takewhile(lambda x: " sign " not in x, workflow_lines()))
    accounts, own = readme_blocks("### Accounts, tokens and own keys")[:2]
    assert len(accounts) >= 6 and len(own) == 3
    public: str | None = None
    for line in [*before_signing, *accounts, *own]:
        line = line.replace("A-2026-", f"A-{year}-")
        if public is not None:
            line = line.replace('"$(ceasefire keys public ru-member.pem)"', public)
        args = [
            str(ROOT / a) if a.startswith("src/ceasefire/data/") else a
            for a in shlex.split(line)[1:]
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        if args[:2] == ["keys", "generate"]:
            public = result.stdout.strip()
    with open_record(str(tmp_path / "taskforce.db")) as rec:
        entry = ledger.entries(rec)[-1]
        assert entry.action == "ruling.sign" and entry.line()["key"] == "own"
        assert users.get_user(rec, "hnc").disabled and users.get_user(rec, "hnc").role == "monitor"
    verify = runner.invoke(app, ["ledger", "verify"])
    assert verify.exit_code == 0, verify.output


def test_any_service_action_of_an_own_key_user_needs_their_signature(
    api: Api, tmp_path: Path
) -> None:
    own_key(api, tmp_path, "rep-opp")
    body = {
        "agreement_id": "quiet",
        "complainant": "opposition",
        "respondent": "gov",
        "narrative": "Shelling of a market.",
        "incidents": ["native:e1"],
    }
    response = api.post(f"{V}/allegations", "rep-opp", json=body)
    assert response.status_code == 403 and "holds their own key" in response.text
    with open_record(api.db) as rec:
        assert not [e for e in ledger.entries(rec) if e.action.startswith("allegation.")]
    # Their token still reads: only what the server would sign for them is refused.
    assert api.get(f"{V}/allegations", "rep-opp").status_code == 200
