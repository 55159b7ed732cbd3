"""Every role against every endpoint, through HTTP, on one workspace.

Each case-changing call gets a fresh allegation brought to the state the action
needs, so the only thing that decides the answer is who is asking.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ceasefire.interfaces.http.app import create_app
from tests.api.conftest import ROLES, Api, build_workspace

V = "/api/v1"
EVERYONE = {"public", *ROLES}
PANEL = {"adj-ru", "adj-us"}


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    tmp = Path(tempfile.mkdtemp(prefix="ceasefire-matrix-"))
    old = os.environ.get("CEASEFIRE_KEYS")
    os.environ["CEASEFIRE_KEYS"] = str(tmp / "keys")
    db, tokens = build_workspace(tmp)
    app = create_app(db)
    with TestClient(app) as client:
        yield Api(client, tokens, db)
    app.state.workspace.close()
    if old is None:
        os.environ.pop("CEASEFIRE_KEYS", None)
    else:
        os.environ["CEASEFIRE_KEYS"] = old


def new_case(api: Api, state: str = "submitted") -> tuple[str, str]:
    """An allegation by the opposition against the government, in the given state."""
    body = {
        "agreement_id": "quiet",
        "complainant": "opposition",
        "respondent": "gov",
        "narrative": "Confidential account of a strike on a bakery.",
        "evidence": [{"filename": "a.txt", "content_base64": base64.b64encode(b"secret").decode()}],
    }
    case = api.post(f"{V}/allegations", "rep-opp", json=body).json()
    cid = case["id"]
    steps: list[tuple[str, str, dict | None]] = []
    if state in ("under_review", "proposed", "joint"):
        steps.append(("review", "adj-ru", None))
    if state in ("proposed", "joint"):
        steps.append(("ruling", "adj-us", {"outcome": "no_violation", "reasons": "Not shown."}))
    if state == "joint":
        steps += [("sign", a, {"position": "agree"}) for a in ("adj-ru", "adj-us")]
    for action, who, payload in steps:
        response = api.post(f"{V}/allegations/{cid}/{action}", who, json=payload)
        assert response.status_code == 200, response.text
    return cid, case["evidence"][0]["sha256"]


# endpoint -> (state of the case it needs or None, the request, the roles allowed)
ENDPOINTS: dict[str, tuple[str | None, Callable[..., object], set[str]]] = {
    "GET agreements": (None, lambda a, w, c, s: a.get(f"{V}/agreements", w), EVERYONE),
    "GET agreement": (None, lambda a, w, c, s: a.get(f"{V}/agreements/quiet", w), EVERYONE),
    "GET incidents": (None, lambda a, w, c, s: a.get(f"{V}/incidents", w), EVERYONE),
    "GET incident": (None, lambda a, w, c, s: a.get(f"{V}/incidents/1", w), EVERYONE),
    "GET findings": (None, lambda a, w, c, s: a.get(f"{V}/findings", w), EVERYONE),
    "GET rulings": (None, lambda a, w, c, s: a.get(f"{V}/rulings", w), EVERYONE),
    "GET referrals": (None, lambda a, w, c, s: a.get(f"{V}/referrals", w), EVERYONE),
    "GET ledger": (None, lambda a, w, c, s: a.get(f"{V}/ledger", w), EVERYONE),
    "GET ledger/verify": (None, lambda a, w, c, s: a.get(f"{V}/ledger/verify", w), EVERYONE),
    "GET allegations": (None, lambda a, w, c, s: a.get(f"{V}/allegations", w), EVERYONE),
    "POST incidents": (
        None,
        lambda a, w, c, s: a.post(
            f"{V}/incidents",
            w,
            json={
                "id": f"by-{w}",
                "time": {"start": "2016-05-01", "timezone": "Asia/Damascus"},
                "place": {"lon": 36.5, "lat": 35.5},
            },
        ),
        {"admin", "monitor"},
    ),
    "POST allegations": (
        None,
        lambda a, w, c, s: a.post(
            f"{V}/allegations",
            w,
            json={
                "agreement_id": "quiet",
                "complainant": "opposition",
                "respondent": "gov",
                "narrative": "x",
            },
        ),
        {"admin", "rep-opp"},
    ),
    "GET allegation": (
        "submitted",
        lambda a, w, c, s: a.get(f"{V}/allegations/{c}", w),
        {"admin", "adj-ru", "adj-us", "rep-opp", "rep-gov"},
    ),
    "GET evidence": (
        "submitted",
        lambda a, w, c, s: a.get(f"{V}/allegations/{c}/evidence/{s}", w),
        {"admin", "adj-ru", "adj-us", "rep-opp", "rep-gov"},
    ),
    "POST answer": (
        "submitted",
        lambda a, w, c, s: a.post(f"{V}/allegations/{c}/answer", w, json={"text": "No."}),
        {"admin", "rep-gov"},
    ),
    "POST review": (
        "submitted",
        lambda a, w, c, s: a.post(f"{V}/allegations/{c}/review", w),
        PANEL,
    ),
    "POST ruling": (
        "under_review",
        lambda a, w, c, s: a.post(
            f"{V}/allegations/{c}/ruling", w, json={"outcome": "inconclusive", "reasons": "r"}
        ),
        PANEL,
    ),
    "POST sign": (
        "proposed",
        lambda a, w, c, s: a.post(f"{V}/allegations/{c}/sign", w, json={"position": "agree"}),
        PANEL,
    ),
    "POST publish": ("joint", lambda a, w, c, s: a.post(f"{V}/allegations/{c}/publish", w), PANEL),
    "POST withdraw": (
        "submitted",
        lambda a, w, c, s: a.post(f"{V}/allegations/{c}/withdraw", w, json={"reason": "r"}),
        {"admin", "rep-opp"},
    ),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("who", sorted(EVERYONE))
def test_every_role_at_every_endpoint(api: Api, endpoint: str, who: str) -> None:
    state, call, allowed = ENDPOINTS[endpoint]
    cid, sha = new_case(api, state) if state else ("", "")
    response = call(api, who, cid, sha)
    if who in allowed:
        assert response.status_code in (200, 201), (endpoint, who, response.text)
    else:
        assert response.status_code in (401, 403, 404), (endpoint, who, response.text)
        assert set(response.json()) == {"error"}
        assert b"secret" not in response.content and b"bakery" not in response.content
