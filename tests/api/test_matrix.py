"""Every role against every endpoint, through HTTP, on one workspace.

Each case-changing call gets a fresh allegation brought to the state the action
needs, so the only thing that decides the answer is who is asking. The
workspace also holds a candidate incident (awaiting review): it is listed and
fetched alike, by the API and the pages, only for those who may review it; and
a deployment with `public_incidents` off refuses the public incidents and
findings on every route that shows them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ceasefire.core.policy import LOCAL_OPERATOR, Settings
from ceasefire.interfaces.http.app import create_app
from ceasefire.interfaces.http.auth import SESSION_COOKIE
from ceasefire.services import ingest
from ceasefire.services.record import open_record
from tests.api.conftest import ROLES, Api, build_workspace
from tests.conftest import event

V = "/api/v1"
EVERYONE = {"public", *ROLES}
PANEL = {"adj-ru", "adj-us"}
REVIEWERS = {"admin", "monitor"}
#: The row keys of the workspace's incidents, filled in by the `world` fixture.
KEYS: dict[str, int] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The workspace of `build_workspace` and a candidate incident, awaiting review."""
    tmp = tmp_path_factory.mktemp("matrix")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(tmp / "keys"))
        db, tokens = build_workspace(tmp)
        candidate = tmp / "candidate.jsonl"
        secret = event("cand-1", place={"lon": 36.6, "lat": 35.6, "name": "Secret Hill"})
        candidate.write_text(json.dumps(secret) + "\n", encoding="utf-8")
        ingest.ingest_files([candidate], db, status="candidate", who=LOCAL_OPERATOR)
        with open_record(db) as rec:
            KEYS.update({r["source_id"]: r["pk"] for r in rec.incidents.find(limit=None)})
        yield db, tokens


@pytest.fixture(scope="module")
def api(world: tuple[str, dict[str, str]]) -> Iterator[Api]:
    db, tokens = world
    app = create_app(db, settings=Settings(public_incidents=True))
    with TestClient(app) as client:
        yield Api(client, tokens, db)
    app.state.workspace.close()


@pytest.fixture(scope="module")
def closed(world: tuple[str, dict[str, str]]) -> Iterator[Api]:
    """The same workspace served with `public_incidents` off."""
    db, tokens = world
    app = create_app(db, settings=Settings(public_incidents=False))
    with TestClient(app) as client:
        yield Api(client, tokens, db)
    app.state.workspace.close()


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
ENDPOINTS: dict[str, tuple[str | None, Callable[..., Any], set[str]]] = {
    "GET agreements": (None, lambda a, w, c, s: a.get(f"{V}/agreements", w), EVERYONE),
    "GET agreement": (None, lambda a, w, c, s: a.get(f"{V}/agreements/quiet", w), EVERYONE),
    "GET incidents": (None, lambda a, w, c, s: a.get(f"{V}/incidents", w), EVERYONE),
    "GET incident": (None, lambda a, w, c, s: a.get(f"{V}/incidents/1", w), EVERYONE),
    "GET incidents with findings": (
        None,
        lambda a, w, c, s: a.get(f"{V}/incidents", w, params={"agreement": "quiet"}),
        EVERYONE,
    ),
    "GET candidates": (
        None,
        lambda a, w, c, s: a.get(f"{V}/incidents", w, params={"status": "candidate"}),
        REVIEWERS,
    ),
    "GET candidate": (
        None,
        lambda a, w, c, s: a.get(f"{V}/incidents/{KEYS['cand-1']}", w),
        REVIEWERS,
    ),
    "GET map incidents": (None, lambda a, w, c, s: a.get(f"{V}/map/incidents", w), EVERYONE),
    "GET map zones": (None, lambda a, w, c, s: a.get(f"{V}/map/zones", w), EVERYONE),
    "GET map base": (None, lambda a, w, c, s: a.get(f"{V}/map/base", w), EVERYONE),
    "GET compliance": (None, lambda a, w, c, s: a.get(f"{V}/compliance", w), EVERYONE),
    "GET differences": (
        None,
        lambda a, w, c, s: a.get(f"{V}/agreements/quiet/differences", w),
        EVERYONE,
    ),
    "GET health": (None, lambda a, w, c, s: a.get(f"{V}/health", w), EVERYONE),
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


#: Who may read the unpublished case of `new_case` (the opposition against the government).
CASE_READERS = {"admin", "adj-ru", "adj-us", "rep-opp", "rep-gov"}
#: The error body's code for each refusal status (src/ceasefire/interfaces/http/errors.py).
ERROR_CODES = {403: "forbidden", 404: "not_found"}


def refusal(endpoint: str, who: str) -> int:
    """The status docs/policy.md gives a refused call: an allegation the caller may not
    see, or a candidate to one who may not review, is *not found* (404), exactly like a
    missing one; every other refusal, the public's too, is *forbidden* (403)."""
    state, _call, _allowed = ENDPOINTS[endpoint]
    if state is not None and who not in CASE_READERS:
        return 404
    if endpoint == "GET candidate":
        return 404
    return 403


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("who", sorted(EVERYONE))
def test_every_role_at_every_endpoint(api: Api, endpoint: str, who: str) -> None:
    state, call, allowed = ENDPOINTS[endpoint]
    cid, sha = new_case(api, state) if state else ("", "")
    response = call(api, who, cid, sha)
    if who in allowed:
        expected = 201 if endpoint in ("POST incidents", "POST allegations") else 200
        assert response.status_code == expected, (endpoint, who, response.text)
    else:
        status = refusal(endpoint, who)
        assert response.status_code == status, (endpoint, who, response.text)
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] == ERROR_CODES[status], response.text
        assert b"secret" not in response.content and b"bakery" not in response.content


#: Routes that show incidents or findings: refused to the public when `public_incidents` is off.
INCIDENT_ROUTES = {
    "GET incidents",
    "GET incident",
    "GET incidents with findings",
    "GET findings",
    "GET map incidents",
    "GET compliance",
    "GET differences",
}


@pytest.mark.parametrize("endpoint", sorted(INCIDENT_ROUTES | {"GET agreements", "GET map zones"}))
@pytest.mark.parametrize("who", sorted(EVERYONE))
def test_public_incidents_off(closed: Api, endpoint: str, who: str) -> None:
    _state, call, _allowed = ENDPOINTS[endpoint]
    response = call(closed, who, "", "")
    if who == "public" and endpoint in INCIDENT_ROUTES:
        assert response.status_code == 403, response.text
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] == "forbidden", response.text
    else:
        assert response.status_code == 200, (endpoint, who, response.text)


def stored(db: str) -> dict[str, set[int]]:
    """The row keys of the stored incidents, by status (other tests add some as they run)."""
    out: dict[str, set[int]] = {"accepted": set(), "candidate": set()}
    with open_record(db) as rec:
        for row in rec.incidents.find(limit=None):
            out[row["status"]].add(row["pk"])
    return out


def listed_and_fetched(api: Api, who: str, top: int, closed: bool) -> tuple[set[int], set[int]]:
    """The incidents a role finds by listing (every status it may ask for) and by id."""
    listed: set[int] = set()
    for status in ("accepted", "candidate"):
        response = api.get(f"{V}/incidents", who, params={"status": status, "limit": 1000})
        if response.status_code == 200:
            listed |= {item["pk"] for item in response.json()["items"]}
        else:
            # Listing what the role may not list is forbidden (there is no one object to hide).
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "forbidden", response.text
    fetched = set()
    for pk in range(1, top + 2):  # one past the last: an id that does not exist
        response = api.get(f"{V}/incidents/{pk}", who)
        if response.status_code == 200:
            fetched.add(pk)
        else:
            # With `public_incidents` off the public is forbidden every incident, whichever
            # id it asks for; otherwise a hidden candidate is not found, as a missing id is.
            refused = 403 if closed and who == "public" else 404
            assert response.status_code == refused, response.text
            assert response.json()["error"]["code"] == ERROR_CODES[refused], response.text
    return listed, fetched


@pytest.mark.parametrize("who", sorted(EVERYONE))
def test_listing_and_fetching_share_one_rule(api: Api, closed: Api, who: str) -> None:
    rows = stored(api.db)
    assert KEYS["cand-1"] in rows["candidate"] and rows["accepted"]
    top = max(rows["accepted"] | rows["candidate"])
    for served in (api, closed):
        listed, fetched = listed_and_fetched(served, who, top, closed=served is closed)
        if who == "public":
            expected = set() if served is closed else rows["accepted"]
        elif who in REVIEWERS:
            expected = rows["accepted"] | rows["candidate"]
        else:
            expected = rows["accepted"]
        assert listed == fetched == expected, (who, served is closed)


def test_a_hidden_candidate_answers_like_a_missing_incident(api: Api) -> None:
    rows = stored(api.db)
    missing = max(rows["accepted"] | rows["candidate"]) + 1
    for who in sorted(EVERYONE - REVIEWERS):
        hidden = api.get(f"{V}/incidents/{KEYS['cand-1']}", who)
        absent = api.get(f"{V}/incidents/{missing}", who)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["error"]["message"].replace(str(KEYS["cand-1"]), "N") == (
            absent.json()["error"]["message"].replace(str(missing), "N")
        )
        assert b"Secret Hill" not in hidden.content
        shown = page(api, who, f"/incidents/{KEYS['cand-1']}")
        assert shown.status_code == 404 and b"Secret Hill" not in shown.content


def cookie(api: Api, who: str) -> dict[str, str]:
    """The pages read who is asking from the login cookie (a token, as the API's bearer)."""
    return {} if who == "public" else {"cookie": f"{SESSION_COOKIE}={api.tokens[who]}"}


def page(api: Api, who: str, path: str) -> Any:
    return api.client.get(path, headers=cookie(api, who), follow_redirects=False)


# page -> (the roles shown it, the roles shown it with `public_incidents` off)
PAGES: dict[str, tuple[Callable[[], str], set[str], set[str]]] = {
    "map": (lambda: "/map", EVERYONE, EVERYONE),
    "dashboard": (lambda: "/dashboard", EVERYONE, set(ROLES)),
    "agreements": (lambda: "/agreements", EVERYONE, EVERYONE),
    "agreement": (lambda: "/agreements/quiet", EVERYONE, EVERYONE),
    "incident": (lambda: f"/incidents/{KEYS['e1']}", EVERYONE, set(ROLES)),
    "candidate": (lambda: f"/incidents/{KEYS['cand-1']}", REVIEWERS, REVIEWERS),
    "report form": (lambda: "/incidents/new", REVIEWERS, REVIEWERS),
    "register": (lambda: "/register", EVERYONE, EVERYONE),
}


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("who", sorted(EVERYONE))
def test_every_role_on_every_page(api: Api, closed: Api, name: str, who: str) -> None:
    path, shown, shown_closed = PAGES[name]
    for served, allowed in ((api, shown), (closed, shown_closed)):
        response = page(served, who, path())
        if who in allowed:
            assert response.status_code == 200, (name, who, response.text[:500])
        else:
            # As the API answers: a candidate page is not found to one who may not review,
            # unless incidents are forbidden to the public altogether (`public_incidents`
            # off); the report form is forbidden.
            hidden = name == "candidate" and not (served is closed and who == "public")
            status = 404 if hidden else 403
            assert response.status_code == status, (name, who, response.status_code)
            assert response.headers["content-type"].startswith("text/html")
            assert b"Secret Hill" not in response.content
