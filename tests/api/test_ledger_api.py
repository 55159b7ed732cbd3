"""The ledger over HTTP: honest downloads verify, proofs and checkpoints hold, bad asks are 422."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ceasefire.core import checkpoint as notes
from ceasefire.core import merkle
from ceasefire.core.policy import ANONYMOUS, Action, can
from ceasefire.services import ledger, users
from ceasefire.storage.record import Record

from .conftest import ROLES, Api

V = "/api/v1"


@pytest.mark.parametrize("who", ["public", *ROLES])
def test_an_honest_download_verifies_for_every_reader(api: Api, who: str) -> None:
    answer = api.get(f"{V}/ledger/export", who)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-ndjson"
    result = ledger.verify_export(answer.content)
    assert result.ok, result.describe()
    held = notes.parse(api.get(f"{V}/ledger/checkpoint", who).text)
    assert ledger.verify_export(answer.content, since=held).ok
    with Record.open(api.db) as rec:
        viewer = ANONYMOUS if who == "public" else users.get_user(rec, who)
        full = can(viewer, Action.ledger_read_full)
    # Without the full ledger others' tokens at least are given as position and commitment.
    assert (result.withheld > 0) == (not full), (who, result.withheld)


def test_checkpoint_log_key_and_proofs(api: Api) -> None:
    info = api.get(f"{V}/ledger/log").json()
    note = notes.parse(api.get(f"{V}/ledger/checkpoint").text)
    note.verify(base64.b64decode(info["public_key"]))
    assert note.origin == info["origin"] and note.size == info["size"]
    for seq in (1, note.size):
        proof = api.get(f"{V}/ledger/proof/{seq}", params={"size": note.size}).json()
        assert merkle.verify_inclusion(
            seq - 1,
            note.size,
            bytes.fromhex(proof["leaf_hash"]),
            [bytes.fromhex(h) for h in proof["proof"]],
            note.root,
        )
        assert notes.parse(proof["checkpoint"]).root == note.root
    consistency = api.get(f"{V}/ledger/consistency", params={"from": 2, "to": note.size}).json()
    first = notes.parse(api.get(f"{V}/ledger/checkpoint", params={"size": note.size}).text)
    assert first.size == note.size and consistency["proof"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/ledger/proof/0", {}),
        ("/ledger/proof/999999", {}),
        ("/ledger/proof/1", {"size": 999999}),
        ("/ledger/consistency", {"from": 5, "to": 2}),
        ("/ledger/consistency", {"from": 1, "to": 10**9}),
        ("/ledger/consistency", {"from": "x", "to": 2}),
        ("/ledger/checkpoint", {"size": 999999}),
    ],
)
def test_impossible_proofs_are_422(api: Api, path: str, params: dict[str, object]) -> None:
    answer = api.get(V + path, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"]


def test_cosignatures_must_verify_under_a_registered_key(api: Api) -> None:
    note = notes.parse(api.get(f"{V}/ledger/checkpoint").text)
    forged = notes.cosign(note, "adj-us", Ed25519PrivateKey.generate(), 1).line()
    for body in (
        {"size": note.size, "name": "adj-us", "cosignature": forged},
        {"size": note.size, "name": "nobody", "cosignature": forged},
        {"size": note.size, "name": "adj-us", "cosignature": "— adj-us not-base64"},
        {"size": 10**6, "name": "adj-us", "cosignature": forged},
    ):
        answer = api.post(f"{V}/ledger/cosign", json=body)
        assert answer.status_code == 422, (body, answer.text)
    assert not notes.parse(api.get(f"{V}/ledger/checkpoint").text).cosignatures


def publish(api: Api, second: dict[str, str]) -> str:
    """A case filed, ruled and published through the API; `second` is adj-ru's position."""
    body = {
        "agreement_id": "quiet", "complainant": "opposition", "respondent": "gov",
        "narrative": "Shelling of a market.", "incidents": ["native:e1"],
    }  # fmt: skip
    case = str(api.post(f"{V}/allegations", "rep-opp", json=body).json()["id"])
    for step, who, payload in [
        ("review", "adj-ru", None),
        ("ruling", "adj-us", {"outcome": "violation_confirmed", "reasons": "Seen by monitors."}),
        ("sign", "adj-us", {"position": "agree"}),
        ("sign", "adj-ru", second),
        ("publish", "adj-ru", None),
    ]:
        done = api.post(f"{V}/allegations/{case}/{step}", who, json=payload)
        assert done.status_code == 200, (step, done.text)
    return case


def test_the_register_shows_each_ruling_with_its_entry_proof_and_checkpoint(api: Api) -> None:
    publish(api, {"position": "dissent", "statement": "Not proven."})
    page = api.get("/register").text
    assert "signed by the server for adj-ru" in page and "signed by the server for adj-us" in page
    assert "No witness has co-signed this checkpoint yet." in page
    note = notes.parse(api.get(f"{V}/ledger/checkpoint").text)
    assert note.text().split("\n")[0] in page  # the checkpoint the proofs are in
    entries = api.get(f"{V}/ledger", params={"limit": 1000}).json()["items"]
    published = [e for e in entries if e.get("action") == "ruling.publish"][-1]
    assert f"Ledger entry #{published['seq']}" in page and published["leaf_hash"] in page
    proof = api.get(f"{V}/ledger/proof/{published['seq']}").json()
    assert all(h in page for h in proof["proof"])
    assert merkle.verify_inclusion(
        published["seq"] - 1,
        note.size,
        bytes.fromhex(published["leaf_hash"]),
        [bytes.fromhex(h) for h in proof["proof"]],
        note.root,
    )
    assert "intact" in page


def test_a_page_of_entries_is_told_apart_from_an_export(api: Api) -> None:
    """The paged JSON is what people download first: verify says what to download instead."""
    page = api.get(f"{V}/ledger", params={"limit": 1000}).content
    result = ledger.verify_export(page, "ledger.json")
    assert not result.ok and "GET /api/v1/ledger/export" in result.describe()
    assert ledger.verify_export(api.get(f"{V}/ledger/export").content).ok


def test_a_ruling_edited_in_the_database_is_flagged_on_the_register(api: Api) -> None:
    from sqlalchemy import update

    from ceasefire.storage.cases import Ruling

    publish(api, {"position": "agree"})
    assert 'id="ledger-state" class="ok"' in api.get("/register").text
    with Record.open(api.db) as rec:
        rec.session.execute(update(Ruling).values(outcome="no_violation"))
    page = api.get("/register").text
    assert 'id="ledger-state" class="error"' in page and "differs from the ledger" in page
    assert "1 ruling record differs from the ledger" in page  # the public learns where, not what
    answer = api.get(f"{V}/ledger/verify", "admin").json()
    assert not answer["intact"]
    assert any("no_violation" in d for d in answer["differences"])
