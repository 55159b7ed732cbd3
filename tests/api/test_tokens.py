"""The accounts API and pages: tokens listed and revoked, users managed, logins limited.

Every role is tried on every new route; a refusal is asserted with its status and code.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from ceasefire.interfaces.http.app import create_app
from ceasefire.services import ledger, users
from ceasefire.services.record import open_record
from tests.api.conftest import ROLES, Api
from tests.conftest import event

EVERYONE = [*ROLES, "public"]
PASSWORD = "correct horse"


def token_id(api: Api, who: str) -> str:
    return users.token_sha256(api.tokens[who])


def set_password(api: Api, name: str) -> None:
    with open_record(api.db) as rec:
        user = users.get_user(rec, name)
        rec.users.set_password_hash(user, users._hasher.hash(PASSWORD))
        rec.commit()


def last_entry(api: Api) -> ledger.Entry:
    with open_record(api.db) as rec:
        return ledger.entries(rec)[-1]


def refused(response: object, status: int, code: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.json()["error"]["code"] == code  # type: ignore[attr-defined]


# ------------------------------------------------------------------- tokens


@pytest.mark.parametrize("who", EVERYONE)
def test_everyone_signed_in_lists_their_own_tokens_only(api: Api, who: str) -> None:
    response = api.get("/api/v1/tokens", who)
    if who == "public":
        refused(response, 403, "forbidden")
        return
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [t["id"] for t in listed] == [token_id(api, who)]
    assert listed[0]["user"] == who and listed[0]["live"] and listed[0]["kind"] == "api"
    assert "token" not in listed[0]


@pytest.mark.parametrize("who", EVERYONE)
def test_only_an_admin_lists_or_revokes_another_s_tokens(api: Api, who: str) -> None:
    listing = api.get("/api/v1/tokens", who, params={"user": "monitor"})
    other = token_id(api, "monitor")
    revoke = api.client.delete(f"/api/v1/tokens/{other}", headers=api.headers(who))
    if who in ("admin", "monitor"):
        assert listing.status_code == 200 and [t["id"] for t in listing.json()] == [other]
        assert revoke.status_code == 200 and revoke.json()["revoked"] is True
        assert api.get("/api/v1/tokens", "monitor").status_code == 401
        assert last_entry(api).payload == {"user": "monitor", "tokens": [other]}
    elif who == "public":
        refused(listing, 403, "forbidden")
        refused(revoke, 404, "not_found")
    else:
        refused(listing, 403, "forbidden")
        refused(revoke, 404, "not_found")  # another's token does not exist for them
        assert api.get("/api/v1/tokens", "monitor").status_code == 200


@pytest.mark.parametrize("who", EVERYONE)
def test_issuing_a_token_with_a_lifetime(api: Api, who: str) -> None:
    response = api.post("/api/v1/tokens", who, json={"expires": "30d"})
    if who == "public":
        refused(response, 403, "forbidden")
        return
    assert response.status_code == 201, response.text
    body = response.json()
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (dt.datetime.now(dt.UTC) + dt.timedelta(days=30))) < dt.timedelta(
        minutes=5
    )
    assert body["id"] == users.token_sha256(body["token"])
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert api.client.get("/api/v1/tokens", headers=headers).status_code == 200
    entry = last_entry(api)
    assert entry.action == "token.issue" and entry.payload["token_sha256"] == body["id"]
    refused(api.post("/api/v1/tokens", who, json={"expires": "soon"}), 422, "invalid_request")


def test_revoking_all_of_one_s_tokens(api: Api) -> None:
    extra = api.post("/api/v1/tokens", "rep-gov", json={}).json()
    response = api.client.delete("/api/v1/tokens", headers=api.headers("rep-gov"))
    assert response.status_code == 200
    assert sorted(response.json()["revoked"]) == sorted([extra["id"], token_id(api, "rep-gov")])
    assert api.get("/api/v1/tokens", "rep-gov").status_code == 401


def test_an_expired_token_is_refused(api: Api) -> None:
    with open_record(api.db) as rec:
        admin = users.get_user(rec, "admin")
        past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
        token = users.issue_token(
            rec, admin, "monitor", signer=users.Keystore.for_database(api.db),
            lifetime=dt.timedelta(days=1), now=past,
        )  # fmt: skip
        rec.commit()
    response = api.client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})
    refused(response, 401, "unauthorized")


# -------------------------------------------------------------------- users


@pytest.mark.parametrize("who", EVERYONE)
def test_only_admins_manage_users(api: Api, who: str) -> None:
    calls = [
        ("get", "/api/v1/users", None),
        ("post", "/api/v1/users/monitor/disable", None),
        ("post", "/api/v1/users/monitor/enable", None),
        ("post", "/api/v1/users/monitor/unlock", None),
        ("put", "/api/v1/users/monitor/role", {"role": "public"}),
        ("post", "/api/v1/users", {"name": "newbie", "role": "monitor"}),
    ]
    for method, path, body in calls:
        response = api.client.request(method, path, headers=api.headers(who), json=body)
        if who == "admin":
            assert response.status_code in (200, 201), (path, response.text)
        else:
            refused(response, 403, "forbidden")


def test_disabling_a_user_stops_their_token_and_enabling_restores_it(api: Api) -> None:
    assert api.post("/api/v1/users/rep-opp/disable", "admin").json()["disabled"] is True
    assert last_entry(api).payload == {"name": "rep-opp"}
    refused(api.get("/api/v1/tokens", "rep-opp"), 401, "unauthorized")
    assert api.post("/api/v1/users/rep-opp/enable", "admin").json()["disabled"] is False
    assert api.get("/api/v1/tokens", "rep-opp").status_code == 200


def test_a_role_change_through_the_api(api: Api) -> None:
    response = api.client.put(
        "/api/v1/users/monitor/role",
        headers=api.headers("admin"),
        json={"role": "party", "party": "gov"},
    )
    assert response.status_code == 200 and response.json()["role"] == "party"
    entry = last_entry(api)
    assert (entry.action, entry.payload) == (
        "user.role",
        {"name": "monitor", "role": "party", "party": "gov"},
    )
    refused(
        api.client.put(
            "/api/v1/users/monitor/role", headers=api.headers("admin"), json={"role": "party"}
        ),
        422,
        "invalid_request",
    )


# ------------------------------------------------------------- login pages


def log_in(client: TestClient, name: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"name": name, "password": password, "next": "/map"},
        follow_redirects=False,
    )


def test_five_wrong_passwords_lock_the_name_across_apps_until_an_admin_unlocks(
    api: Api,
) -> None:
    set_password(api, "monitor")
    for _ in range(users.NAME_FAILURES):
        assert log_in(api.client, "monitor", "wrong").status_code == 401
    locked = log_in(api.client, "monitor", PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert "too many wrong passwords" in locked.text
    # Another app (another worker, or after a restart) sees the same lock.
    other = create_app(api.db)
    try:
        with TestClient(other) as client:
            assert log_in(client, "monitor", PASSWORD).status_code == 429
    finally:
        other.state.workspace.close()
    assert api.post("/api/v1/users/monitor/unlock", "admin").json()["was_locked"] is True
    assert log_in(api.client, "monitor", PASSWORD).status_code == 303


def test_a_client_with_20_failures_in_a_minute_gets_429_with_retry_after(api: Api) -> None:
    set_password(api, "monitor")
    for i in range(users.CLIENT_FAILURES):
        assert log_in(api.client, f"guess{i}", "wrong").status_code == 401
    limited = log_in(api.client, "monitor", PASSWORD)
    assert limited.status_code == 429 and 0 < int(limited.headers["retry-after"]) <= 60


def test_a_login_lasts_12_hours_and_logout_needs_no_form_field(api: Api) -> None:
    set_password(api, "monitor")
    response = log_in(api.client, "monitor", PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "Max-Age=43200" in cookie and "HttpOnly" in cookie
    entry = last_entry(api)
    assert entry.payload["kind"] == "login"
    issued = dt.datetime.fromisoformat(entry.payload["expires_at"].replace("Z", "+00:00"))
    assert abs(issued - dt.datetime.now(dt.UTC) - dt.timedelta(hours=12)) < dt.timedelta(minutes=5)
    login = api.client.cookies.get("ceasefire_session")
    assert login is not None
    assert api.client.post("/logout", follow_redirects=False).status_code == 303  # no csrf
    with open_record(api.db) as rec:
        assert users.authenticate_token(rec, login) is None
    assert last_entry(api).payload == {"user": "monitor", "tokens": [users.token_sha256(login)]}


def test_the_account_page_lists_own_tokens_and_revokes_with_csrf(api: Api) -> None:
    set_password(api, "rep-gov")
    assert log_in(api.client, "rep-gov", PASSWORD).status_code == 303
    page = api.client.get("/account")
    assert page.status_code == 200
    assert token_id(api, "rep-gov")[:16] in page.text and "this login" in page.text
    assert token_id(api, "monitor")[:16] not in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    target = token_id(api, "rep-gov")
    forged = api.client.post("/account/revoke", data={"token": target, "csrf": "x"})
    assert forged.status_code == 403
    assert api.get("/api/v1/tokens", "rep-gov").status_code == 200
    done = api.client.post(
        "/account/revoke", data={"token": target, "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/account"
    refused(api.get("/api/v1/tokens", "rep-gov"), 401, "unauthorized")


def test_the_account_page_needs_a_login(api: Api) -> None:
    response = api.client.get("/account", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# -------------------------------------------------------------- time range


def test_a_report_dated_year_0001_is_refused_and_listings_stay_fine(api: Api) -> None:
    # A change to a valid event (the convention tests/test_native_schema.py relies on).
    bad = {**event("ancient"), "time": {"timezone": "Asia/Damascus", "start": "0001-01-01"}}
    response = api.post("/api/v1/incidents", "monitor", json=[event("fine"), bad])
    refused(response, 422, "invalid_input")
    message = response.json()["error"]["message"]
    assert "id ancient" in message and "'time.start'" in message and "outside" in message
    assert api.post("/api/v1/incidents", "monitor", json=[event("fine")]).status_code in (
        200,
        201,
    )
    for who in ("public", "monitor", "admin"):
        listing = api.get("/api/v1/incidents", who)
        assert listing.status_code == 200, listing.text
        assert "ancient" not in listing.text
