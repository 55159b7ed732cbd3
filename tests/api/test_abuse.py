"""The server under abuse (issue 10): body limits, deep JSON, invalid text, one build per view.

Each refusal is asserted exactly (status, error code, the parameter named), on
SQLite and, where the database is what used to fail, PostgreSQL. The measured
cases, a 200 MB chunked upload and a login flood against a real uvicorn
server, are in `test_abuse_live.py`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ceasefire.interfaces.http import limits
from ceasefire.interfaces.http.app import create_app
from ceasefire.interfaces.http.auth import SESSION_COOKIE
from ceasefire.services import users, views
from tests.api.conftest import Api, build_workspace
from tests.cases.conftest import database, url_of
from tests.conftest import event

V = "/api/v1"


def refusal(response: Any) -> tuple[int, str, str]:
    """Status, error code and message of an API refusal."""
    error = response.json()["error"]
    assert error["status"] == response.status_code
    return response.status_code, error["code"], error["message"]


def allegation(**changes: Any) -> dict[str, Any]:
    body = {
        "agreement_id": "quiet",
        "complainant": "opposition",
        "respondent": "gov",
        "narrative": "Shelling of a market on the first day of the regime of quiet.",
        "incidents": ["native:e1"],
        "evidence": [],
    }
    return body | changes


# --- body size ------------------------------------------------------------------------------


def test_a_declared_length_over_the_limit_is_refused_before_authentication(api: Api) -> None:
    """413 with the API's body, even with a bearer token nobody issued (no 401: no lookup)."""
    huge = api.client.post(
        f"{V}/incidents",
        content=b"[]",
        headers={"content-length": str(limits.MAX_BODY + 1), "authorization": "Bearer forged"},
    )
    assert refusal(huge)[:2] == (413, "too_large")
    assert str(limits.MAX_BODY) in refusal(huge)[2]


def test_a_chunked_body_over_the_limit_is_refused(api: Api) -> None:
    """No Content-Length: the bytes are counted as they come."""
    chunk = b" " * (1024 * 1024)

    def body() -> Iterator[bytes]:
        for _ in range(limits.MAX_BODY // len(chunk) + 2):
            yield chunk

    answer = api.post(f"{V}/incidents", "monitor", content=body())
    assert refusal(answer)[:2] == (413, "too_large")
    assert api.get(f"{V}/incidents", "monitor").json()["items"][0]["source_id"] == "e1"


def test_a_page_over_the_limit_gets_the_error_page(api: Api) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(limits.MAX_BODY // (1024 * 1024) + 2):
            yield b"x" * (1024 * 1024)

    answer = api.client.post("/login", content=body(), headers={"content-type": "text/plain"})
    assert answer.status_code == 413 and answer.headers["content-type"].startswith("text/html")
    assert "limited to" in answer.text


def test_evidence_may_be_larger_than_other_bodies(api: Api) -> None:
    """A 16 MiB file, base64 in JSON (over MAX_BODY), files; the same size of incidents does not."""
    content = bytes(range(256)) * (16 * 4096)
    body = allegation(
        evidence=[
            {
                "filename": "drone-video.bin",
                "media_type": "application/octet-stream",
                "content_base64": base64.b64encode(content).decode(),
            }
        ]
    )
    raw = json.dumps(body).encode()
    assert limits.MAX_BODY < len(raw) <= limits.MAX_EVIDENCE_BODY
    headers = {"content-type": "application/json"} | api.headers("rep-opp")
    filed = api.client.post(f"{V}/allegations", content=raw, headers=headers)
    assert filed.status_code == 201, filed.text[:300]
    assert filed.json()["evidence"][0]["size"] == len(content)
    headers = {"content-type": "application/json"} | api.headers("monitor")
    refused = api.client.post(f"{V}/incidents", content=raw, headers=headers)
    assert refusal(refused)[:2] == (413, "too_large")


# --- JSON depth and size ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"{V}/incidents", f"{V}/allegations"])
def test_json_nested_too_deep_is_422_not_500(api: Api, path: str) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    who = "monitor" if path.endswith("incidents") else "rep-opp"
    headers = {"content-type": "application/json"} | api.headers(who)
    answer = api.client.post(path, content=deep, headers=headers)
    status, code, message = refusal(answer)
    assert (status, code) == (422, "too_deep") and str(limits.MAX_JSON_DEPTH) in message


def test_json_depth_counts_brackets_outside_strings_only(api: Api) -> None:
    """Brackets inside a string are text; a body at the limit reaches the route."""
    narrative = "[" * 5000 + ' "quoted \\" [[[ ' + "{" * 5000
    filed = api.post(f"{V}/allegations", "rep-opp", json=allegation(narrative=narrative))
    assert filed.status_code == 201, filed.text[:300]
    nested: Any = "x"
    for _ in range(limits.MAX_JSON_DEPTH - 1):
        nested = [nested]
    at_limit = allegation(evidence=nested)  # the object, then 63 lists: 64 levels
    assert limits.json_shape(json.dumps(at_limit).encode())[0] == limits.MAX_JSON_DEPTH
    answer = api.post(f"{V}/allegations", "rep-opp", json=at_limit)
    assert refusal(answer)[:2] == (422, "invalid_request")  # the route's schema refuses it
    one_more = allegation(evidence=[nested])
    answer = api.post(f"{V}/allegations", "rep-opp", json=one_more)
    assert refusal(answer)[:2] == (422, "too_deep")


def test_json_with_too_many_values_is_413(api: Api) -> None:
    many = ("[" + "0," * limits.MAX_JSON_ITEMS + "0]").encode()
    assert len(many) < limits.MAX_BODY
    headers = {"content-type": "application/json"} | api.headers("monitor")
    answer = api.client.post(f"{V}/incidents", content=many, headers=headers)
    status, code, message = refusal(answer)
    assert (status, code) == (413, "too_large") and "values" in message


# --- text no database can store ----------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Api]:
    """The API's workspace on SQLite and on PostgreSQL (which refuses NUL in text)."""
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    with database(request.param, tmp_path, tables=False) as engine:
        url = url_of(engine) if request.param == "postgresql" else None
        db, tokens = build_workspace(tmp_path, url)
        app = create_app(db)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, tokens, db)
        app.state.workspace.close()


#: Percent-escapes of text no backend stores: NUL, a lone surrogate (CESU), bytes not UTF-8.
BAD_ESCAPES = ["a%00b", "%ED%A0%80", "%FF%FE", "caf%C3"]


@pytest.mark.parametrize("escaped", BAD_ESCAPES)
def test_bad_text_in_a_query_parameter_is_422_naming_it(site: Api, escaped: str) -> None:
    for path in (f"{V}/incidents?actor={escaped}", f"{V}/findings?agreement={escaped}"):
        answer = site.get(path, "monitor")
        status, code, message = refusal(answer)
        assert (status, code) == (422, "invalid_text"), path
        name = re.search(r"\?(\w+)=", path).group(1)  # type: ignore[union-attr]
        assert answer.json()["error"]["details"] == {"parameter": f"query parameter {name!r}"}
        assert message.startswith(f"query parameter {name!r}")
    assert site.get(f"{V}/incidents?actor=%D9%86%D8%B5%D8%B1%D8%A9", "monitor").status_code == 200


@pytest.mark.parametrize("escaped", BAD_ESCAPES)
def test_bad_text_in_a_path_parameter_is_422_naming_it(site: Api, escaped: str) -> None:
    answer = site.get(f"{V}/allegations/{escaped}", "admin")
    assert refusal(answer)[:2] == (422, "invalid_text")
    assert answer.json()["error"]["details"] == {"parameter": "path parameter 'allegation_id'"}
    page = site.get(f"/cases/{escaped}", "admin")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("text", "where"),
    [("a\x00b", "narrative"), ("\ud800", "narrative"), ("ok", "incidents[1]")],
)
def test_bad_text_in_a_json_string_is_422_naming_it(site: Api, text: str, where: str) -> None:
    body = allegation(narrative=text if where == "narrative" else "fine")
    if where.startswith("incidents"):
        body["incidents"] = ["native:e1", "native:\x00"]
    raw = json.dumps(body).encode()  # \u0000 and \ud800 escapes, as any JSON encoder writes
    headers = {"content-type": "application/json"} | site.headers("rep-opp")
    answer = site.client.post(f"{V}/allegations", content=raw, headers=headers)
    assert refusal(answer)[:2] == (422, "invalid_text")
    assert answer.json()["error"]["details"] == {"parameter": where}
    assert site.get(f"{V}/allegations", "admin").json()["items"] == []


def test_bad_bytes_in_a_json_body_are_422(site: Api) -> None:
    raw = b'{"agreement_id": "quiet\xff"}'
    headers = {"content-type": "application/json"} | site.headers("rep-opp")
    answer = site.client.post(f"{V}/allegations", content=raw, headers=headers)
    assert refusal(answer)[:2] == (422, "invalid_text")
    raw = json.dumps({**event("nul-1"), "place": {"name": "Idlib\x00", "lon": 36.6, "lat": 35.9}})
    headers = {"content-type": "application/x-ndjson"} | site.headers("monitor")
    answer = site.client.post(f"{V}/incidents", content=raw.encode(), headers=headers)
    assert refusal(answer)[:2] == (422, "invalid_text")
    assert answer.json()["error"]["details"] == {"parameter": "place.name"}


def test_bad_text_in_form_fields_is_422_naming_them(site: Api) -> None:
    login = site.client.post("/login", data={"name": "admin\x00", "password": "x"})
    assert login.status_code == 422 and "form field &#39;name&#39;" in login.text
    site.client.cookies.set(SESSION_COOKIE, site.tokens["rep-opp"])
    page = site.client.get("/cases/new")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf": csrf, "agreement_id": "quiet", "respondent": "gov", "narrative": "a\x00"}
    files = {"evidence": ("scan.bin", b"\x00\x01binary is fine\x00", "application/octet-stream")}
    filed = site.client.post("/cases", data=form, files=files)
    assert filed.status_code == 422 and "form field &#39;narrative&#39;" in filed.text
    # A file name with a raw NUL (httpx, like browsers, would escape it as %00).
    raw = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (k.encode(), v.encode())
        for k, v in (form | {"narrative": "fine"}).items()
    )
    raw += b'--B\r\nContent-Disposition: form-data; name="evidence"; filename="scan\x00.bin"\r\n'
    raw += b"Content-Type: application/octet-stream\r\n\r\nx\r\n--B--\r\n"
    multipart = {"content-type": "multipart/form-data; boundary=B"}
    filed = site.client.post("/cases", content=raw, headers=multipart)
    assert filed.status_code == 422 and "form field &#39;evidence&#39;" in filed.text
    site.client.cookies.clear()
    assert site.get(f"{V}/allegations", "admin").json()["items"] == []


def test_a_nul_in_a_cookie_is_422_not_500(site: Api) -> None:
    answer = site.client.get(f"{V}/incidents", headers={"cookie": f'{SESSION_COOKIE}="a\\000b"'})
    assert refusal(answer)[:2] == (422, "invalid_text")


def test_binary_evidence_and_arabic_text_pass(site: Api) -> None:
    """The guard refuses what cannot be stored, not what is unusual."""
    content = b"\x00\xff\xfe binary evidence \x00"
    body = allegation(
        narrative="قصف سوق في اليوم الأول 🙂",
        evidence=[
            {
                "filename": "تقرير.bin",
                "media_type": "application/octet-stream",
                "content_base64": base64.b64encode(content).decode(),
            }
        ],
    )
    filed = site.post(f"{V}/allegations", "rep-opp", json=body)
    assert filed.status_code == 201, filed.text
    case = filed.json()
    got = site.get(
        f"{V}/allegations/{case['id']}/evidence/{case['evidence'][0]['sha256']}", "rep-opp"
    )
    assert got.content == content


# --- one build per view ----------------------------------------------------------------------


def test_fifty_concurrent_map_requests_after_a_write_build_the_view_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str | None] = []
    real = views._map_layer

    def counted(repo: Any, agreement_id: str | None, reading: str | None) -> dict[str, Any]:
        builds.append(agreement_id)
        time.sleep(0.3)  # long enough that every request arrives while it is built
        return real(repo, agreement_id, reading)

    monkeypatch.setattr(views, "_map_layer", counted)
    assert api.post(f"{V}/incidents", "monitor", json=event("e9")).status_code == 201
    answers: list[Any] = []

    def ask() -> None:
        got = api.get(f"{V}/map/incidents", "monitor", params={"agreement": "quiet"})
        answers.append((got.status_code, got.json()["count"]))

    threads = [threading.Thread(target=ask) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [(200, 4)] * 50
    assert builds == ["quiet"]
    assert api.post(f"{V}/incidents", "monitor", json=event("e10")).status_code == 201
    assert (
        api.get(f"{V}/map/incidents", "monitor", params={"agreement": "quiet"}).json()["count"] == 5
    )
    assert builds == ["quiet", "quiet"]  # a write still invalidates it


def test_a_failing_build_is_not_kept_and_leaves_no_lock(api: Api) -> None:
    unknown = api.get(f"{V}/map/incidents", "monitor", params={"agreement": "nope"})
    assert refusal(unknown)[:2] == (404, "not_found")
    assert views._FLIGHTS == {}


# --- password work -----------------------------------------------------------------------------


def test_password_checks_run_a_few_at_a_time(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve logins at once: never more than PASSWORD_CONCURRENCY hash at the same time."""
    monkeypatch.setattr(limits, "PASSWORD_CONCURRENCY", 2)
    running, most = 0, 0
    lock = threading.Lock()

    def slow_log_in(*args: Any, **kwargs: Any) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)  # as long as argon2 takes
        with lock:
            running -= 1

    monkeypatch.setattr(users, "log_in", slow_log_in)
    statuses: list[int] = []

    def attempt(i: int) -> None:
        answer = api.client.post("/login", data={"name": f"u{i}", "password": "wrong"})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [401] * 12
    assert most == 2


def test_password_checks_beyond_the_queue_are_503(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "PASSWORD_QUEUE", 0)
    answer = api.client.post("/login", data={"name": "admin", "password": "x"})
    assert answer.status_code == 503 and "too many logins" in answer.text
    assert answer.headers["retry-after"] == "5"


def test_the_routes_the_limits_name_exist() -> None:
    """A renamed route must not silently lose its evidence limit or its password gate."""
    from ceasefire.interfaces.http.app import API_ROUTERS
    from ceasefire.interfaces.http.web.site import ROUTERS

    served = {
        (method, route.path)
        for router in (*API_ROUTERS, *ROUTERS)
        for route in router.routes
        for method in getattr(route, "methods", ())
    }
    assert limits.EVIDENCE_ROUTES <= served
    assert limits.PASSWORD_ROUTES <= served
    assert limits.body_limit("POST", "/cases") == limits.MAX_EVIDENCE_BODY > limits.MAX_BODY


def test_concurrent_reading_differences_are_built_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str] = []
    real = views._reading_differences

    def counted(repo: Any, agreement_id: str, limit: int) -> dict[str, Any]:
        builds.append(agreement_id)
        time.sleep(0.3)
        return real(repo, agreement_id, limit)

    monkeypatch.setattr(views, "_reading_differences", counted)
    answers: list[int] = []

    def ask() -> None:
        answers.append(api.get(f"{V}/agreements/quiet/differences", "monitor").status_code)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [200] * 20 and builds == ["quiet"]
