"""The review routes: the queue, one item, each decision, people's claims — every role on every
route (listing and fetching alike), bad input as 422 naming the field, unknown refs as 404."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.formats.sources import Content
from ceasefire.interfaces.http.app import create_app
from ceasefire.services import ingest, ledger
from ceasefire.services.record import open_record
from tests.api.conftest import ROLES, Api, build_workspace
from tests.conftest import event

V = "/api/v1"
REVIEWERS = {"admin", "monitor"}
EVERYONE = [*ROLES, "public"]


def _candidates(db: str, *idents: str) -> None:
    rows = [
        event(i, act="air_strike", killed={"best": 3}, quote=f"Jets struck a bakery ({i}).")
        for i in idents
    ]
    text = "\n".join(json.dumps(r) for r in rows)
    ingest.ingest_files([Content(text, "paper.jsonl")], db, who=LOCAL_OPERATOR, status="candidate")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("review-api")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(tmp / "keys"))
        db, tokens = build_workspace(tmp)
        _candidates(db, *(f"k{n}" for n in range(1, 9)))
        app = create_app(db)
        with TestClient(app) as client:
            yield Api(client, tokens, db)
        app.state.workspace.close()


def _pk(api: Api, ref: str) -> int:
    with open_record(api.db) as rec:
        found = rec.incidents.get(ref)
        assert found is not None
        return int(found["pk"])


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    return body


# ---------------------------------------------------------------------- every role, every route


def _routes(api: Api) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Each new route, asked so that an allowed caller gets past the policy and no further
    (the incident is already accepted, the actor unknown...), so nothing changes."""
    accepted = "native:e1"
    pk = _pk(api, accepted)
    return [
        ("GET", f"{V}/review", None),
        ("GET", f"{V}/review?kind=duplicate", None),
        ("GET", f"{V}/review/{accepted}", None),
        ("POST", f"{V}/review/{accepted}/accept", {}),
        ("POST", f"{V}/review/{accepted}/merge", {"into": "native:e2"}),
        ("POST", f"{V}/review/{accepted}/reject", {"reason": "no"}),
        ("POST", f"{V}/review/{accepted}/link", {"into": accepted}),
        ("POST", f"{V}/review/{accepted}/unlink", {}),
        ("POST", f"{V}/incidents/{pk}/attributions", {"actors": ["nobody"], "basis": "x"}),
        ("POST", f"{V}/incidents/{pk}/attributions/{'0' * 64}/withdraw", None),
        ("POST", f"{V}/incidents/{pk}/discount", {"reason": "   "}),
    ]


@pytest.mark.parametrize("name", EVERYONE)
def test_every_role_on_every_route(served: Api, name: str) -> None:
    for method, path, body in _routes(served):
        if method == "GET":
            response = served.get(path, name)
        else:
            response = served.post(path, name, json=body)
        if name in REVIEWERS:
            assert response.status_code in (200, 404, 409, 422), (path, response.text)
            assert response.status_code != 403
        else:
            error = _error(response, 403)
            assert error["code"] == "forbidden", (path, error)
    # Nothing changed: the candidates still wait, the accepted incident is as it was.
    with open_record(served.db) as rec:
        assert rec.incidents.count(status="candidate") >= 1
        found = rec.incidents.get("native:e1")
        assert found is not None and found["status"] == "accepted"
        assert found["reviewed_by"] is None


def test_candidates_are_hidden_from_others_by_id_too(served: Api) -> None:
    pk = _pk(served, "native:k8")
    assert served.get(f"{V}/incidents/{pk}", "monitor").status_code == 200
    for name in ("rep-gov", "adj-ru", "public"):
        _error(served.get(f"{V}/incidents/{pk}", name), 404)


# ---------------------------------------------------------------------- the queue and one item


def test_queue_and_item(served: Api) -> None:
    page = served.get(f"{V}/review", "monitor", params={"kind": "candidate", "limit": 3})
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["limit"] == 3 and len(body["items"]) == 3 and body["total"] >= 3
    first = body["items"][0]
    assert first["kind"] == "candidate" and first["incident"]["act"] == "air_strike"
    item = served.get(f"{V}/review/{first['ref']}", "admin").json()
    assert item["actions"] == ["accept", "merge", "reject"]
    assert item["incident"]["quote"].startswith("Jets struck a bakery")
    _error(served.get(f"{V}/review/native:nothing", "monitor"), 404)
    _error(served.get(f"{V}/review/{'a' * 64}", "monitor"), 404)
    _error(served.get(f"{V}/review", "monitor", params={"kind": "rumour"}), 422)


# ---------------------------------------------------------------------- decisions


def test_accept_with_edits(served: Api) -> None:
    bad = served.post(f"{V}/review/native:k1/accept", "monitor", json={"edits": {"place.lat": 235}})
    assert "place.lat" in _error(bad, 422)["message"]
    unknown = served.post(f"{V}/review/native:k1/accept", "monitor", json={"edit": {}})
    assert "edit" in json.dumps(_error(unknown, 422))
    done = served.post(
        f"{V}/review/native:k1/accept", "monitor", json={"edits": {"killed.best": 5}}
    )
    assert done.status_code == 200, done.text
    view = done.json()
    assert view["status"] == "accepted" and view["incident"]["killed_best"] == 5
    assert view["incident"]["findings"], "judged at once"
    again = served.post(f"{V}/review/native:k1/accept", "monitor", json={})
    _error(again, 409)


def test_merge_reject_and_link(served: Api) -> None:
    miss = served.post(f"{V}/review/native:k2/merge", "monitor", json={"into": "native:zz"})
    assert "into" in _error(miss, 422)["message"]
    merged = served.post(f"{V}/review/native:k2/merge", "monitor", json={"into": "native:e1"})
    assert merged.status_code == 200 and merged.json()["incident"]["event"] == "native:e1"
    empty = served.post(f"{V}/review/native:k3/reject", "monitor", json={"reason": ""})
    _error(empty, 422)
    gone = served.post(f"{V}/review/native:k3/reject", "admin", json={"reason": "a hoax"})
    assert gone.json()["status"] == "rejected" and gone.json()["reason"] == "a hoax"
    _error(served.get(f"{V}/incidents/{_pk(served, 'native:k3')}", "rep-gov"), 404)
    linked = served.post(f"{V}/review/native:e3/link", "monitor", json={"into": "native:e2"})
    assert linked.status_code == 200, linked.text
    assert linked.json()["incident"]["event"] == "native:e2"
    unlinked = served.post(f"{V}/review/native:e3/unlink", "monitor", json={})
    assert unlinked.status_code == 200 and unlinked.json()["incident"]["event"] is None
    with open_record(served.db) as rec:
        assert ledger.verify_db(rec).ok


def test_claims_and_discounts(served: Api) -> None:
    pk = _pk(served, "native:e2")
    bad = served.post(
        f"{V}/incidents/{pk}/attributions", "monitor", json={"actors": ["x"], "basis": "b"}
    )
    assert "actors" in _error(bad, 422)["message"]
    made = served.post(
        f"{V}/incidents/{pk}/attributions",
        "monitor",
        json={"actors": ["nusra"], "basis": "their own statement"},
    )
    assert made.status_code == 201, made.text
    ident = made.json()["id"]
    shown = served.get(f"{V}/review/native:e2", "monitor").json()
    assert any(
        c["id"] == ident and c["basis_kind"] == "person" for c in shown["incident"]["claims"]
    )
    off = served.post(f"{V}/incidents/{pk}/attributions/{ident}/withdraw", "admin")
    assert off.status_code == 200, off.text
    _error(served.post(f"{V}/incidents/{pk}/attributions/{ident}/withdraw", "admin"), 409)
    _error(served.post(f"{V}/incidents/{2**40}/discount", "admin", json={"reason": "r"}), 404)
    disc = served.post(f"{V}/incidents/{pk}/discount", "monitor", json={"reason": "fighters"})
    assert disc.status_code == 201, disc.text
    with open_record(served.db) as rec:
        assert ledger.verify_db(rec).ok
        assert rec.incidents.get(pk) is not None


def test_the_ledger_shows_decisions_only_to_those_who_see_the_incident(served: Api) -> None:
    gone = served.post(f"{V}/review/native:k4/reject", "monitor", json={"reason": "duplicate"})
    assert gone.status_code == 200
    entries = served.get(f"{V}/ledger", "rep-gov", params={"limit": 1000}).json()["items"]
    assert not [e for e in entries if e.get("action") == "incident.reject"]
    assert any(e.get("withheld") for e in entries)  # kept in the chain, its content withheld
    mine = served.get(f"{V}/ledger", "monitor", params={"limit": 1000}).json()["items"]
    assert any(
        e["action"] == "incident.reject" and (e.get("payload") or {}).get("incident") == "native:k4"
        for e in mine
    )
