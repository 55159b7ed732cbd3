"""The API: the case lifecycle, the permission matrix by role, errors, GeoJSON, the ledger."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.services import ingest
from tests.api.conftest import Api
from tests.conftest import event

V = "/api/v1"


def file_case(api: Api, who: str = "rep-opp", respondent: str = "gov") -> dict[str, Any]:
    complainant = {"rep-opp": "opposition", "rep-gov": "gov"}.get(who, "opposition")
    body = {
        "agreement_id": "quiet",
        "complainant": complainant,
        "respondent": respondent,
        "narrative": "Shelling of a market on the first day of the regime of quiet.",
        "incidents": ["native:e1"],
        "evidence": [
            {
                "filename": "photo.txt",
                "media_type": "text/plain",
                "content_base64": base64.b64encode(b"evidence bytes").decode(),
            }
        ],
    }
    response = api.post(f"{V}/allegations", who, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_full_case_through_the_api(api: Api) -> None:
    case = file_case(api)
    cid = case["id"]
    sha = case["evidence"][0]["sha256"]
    assert (
        api.post(f"{V}/allegations/{cid}/answer", "rep-gov", json={"text": "Denied."}).status_code
        == 200
    )
    assert api.post(f"{V}/allegations/{cid}/review", "adj-ru").status_code == 200
    ruling = {"outcome": "violation_confirmed", "reasons": "The finding holds.", "findings": []}
    assert api.post(f"{V}/allegations/{cid}/ruling", "adj-us", json=ruling).status_code == 200
    for adj in ("adj-ru", "adj-us"):
        signed = api.post(f"{V}/allegations/{cid}/sign", adj, json={"position": "agree"})
        assert signed.status_code == 200, signed.text
    # Not public before publication.
    assert api.get(f"{V}/allegations/{cid}").status_code == 404
    published = api.post(f"{V}/allegations/{cid}/publish", "adj-ru")
    assert published.status_code == 200, published.text
    register = api.get(f"{V}/rulings").json()
    assert [r["id"] for r in register["items"]] == [cid]
    assert register["items"][0]["ruling"]["outcome"] == "violation_confirmed"
    # Evidence stays with the parties and the panel even after publication.
    assert api.get(f"{V}/allegations/{cid}/evidence/{sha}", "rep-opp").content == b"evidence bytes"
    verify = api.get(f"{V}/ledger/verify").json()
    assert verify["intact"] is True and verify["entries"] >= 10


def test_other_party_cannot_see_unpublished_allegation_or_evidence(api: Api) -> None:
    case = file_case(api, "rep-opp", respondent="russia")
    cid, sha = case["id"], case["evidence"][0]["sha256"]
    for who in ("rep-gov", "public", "monitor"):
        # Invisible to them: answered exactly as an allegation that does not exist.
        shown = api.get(f"{V}/allegations/{cid}", who)
        assert shown.status_code == 404, (who, shown.text)
        assert shown.json()["error"]["code"] == "not_found"
        assert "market" not in shown.text
        got = api.get(f"{V}/allegations/{cid}/evidence/{sha}", who)
        assert got.status_code == 404 and b"evidence bytes" not in got.content
        assert got.json()["error"]["code"] == "not_found"
        listed = api.get(f"{V}/allegations", who).json()["items"]
        assert cid not in [c["id"] for c in listed]
    assert api.get(f"{V}/allegations/{cid}", "rep-opp").status_code == 200
    assert api.get(f"{V}/allegations/{cid}", "adj-us").status_code == 200


# (method, path, body) -> the roles allowed; every other role must be refused.
MATRIX = [
    ("GET", "/agreements", None, {"public", "admin", "adj-ru", "monitor", "rep-gov"}),
    ("GET", "/incidents", None, {"public", "admin", "adj-ru", "monitor", "rep-gov"}),
    ("GET", "/findings", None, {"public", "admin", "adj-ru", "monitor", "rep-gov"}),
    ("GET", "/rulings", None, {"public", "admin", "adj-ru", "monitor", "rep-gov"}),
    (
        "POST",
        "/incidents",
        {
            "id": "m1",
            "time": {"start": "2016-05-01", "timezone": "Asia/Damascus"},
            "place": {"lon": 36.5, "lat": 35.5},
            "perpetrators": ["gov"],
            "targets": ["opposition"],
        },
        {"admin", "monitor"},
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX)
@pytest.mark.parametrize("who", ["public", "admin", "adj-ru", "monitor", "rep-gov"])
def test_role_matrix(
    api: Api, method: str, path: str, body: dict[str, Any] | None, allowed: set[str], who: str
) -> None:
    call = api.get if method == "GET" else api.post
    kwargs = {"json": body} if body is not None else {}
    response = call(V + path, who, **kwargs)
    if who in allowed:
        assert response.status_code == (201 if method == "POST" else 200), response.text
    else:
        # No object is hidden here: the public and the signed-in alike are forbidden.
        assert response.status_code == 403, response.text
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] == "forbidden"


# The status each answers: 200 allowed, 403 refused on a case the role may see, 404 refused
# on one it may not (the monitor does not see an unpublished case).
@pytest.mark.parametrize(
    ("who", "action", "status"),
    [
        ("rep-gov", "review", 403),
        ("monitor", "review", 404),
        ("adj-ru", "review", 200),
        ("rep-gov", "answer", 200),
        ("rep-opp", "answer", 403),
        ("adj-ru", "withdraw", 403),
        ("rep-opp", "withdraw", 200),
    ],
)
def test_case_actions_by_role(api: Api, who: str, action: str, status: int) -> None:
    cid = file_case(api)["id"]
    body = {"answer": {"text": "We deny it."}, "withdraw": {"reason": "settled"}}.get(action)
    response = api.post(f"{V}/allegations/{cid}/{action}", who, json=body)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.json()["error"]["code"] == {403: "forbidden", 404: "not_found"}[status]


def test_filing_for_another_party_is_refused(api: Api) -> None:
    body = {
        "agreement_id": "quiet",
        "complainant": "gov",
        "respondent": "opposition",
        "narrative": "x",
    }
    refused = api.post(f"{V}/allegations", "rep-opp", json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "forbidden"
    assert api.get(f"{V}/allegations", "admin").json()["items"] == []


def test_one_error_shape(api: Api) -> None:
    for response, status, code in (
        (api.get(f"{V}/agreements/nope"), 404, "not_found"),
        (api.get(f"{V}/incidents", params={"bbox": "1,2,3"}), 422, "invalid_request"),
        (
            api.client.get(f"{V}/incidents", headers={"Authorization": "Bearer wrong"}),
            401,
            "unauthorized",
        ),
        (api.get(f"{V}/no-such-route"), 404, "not_found"),
        (api.post(f"{V}/allegations", "rep-opp", json={"agreement_id": 3}), 422, "invalid_request"),
    ):
        body = response.json()
        assert set(body) == {"error"}, body
        assert response.status_code == body["error"]["status"] == status, body
        assert body["error"]["code"] == code, body
        assert body["error"]["message"]


def test_incidents_filters_and_geojson(api: Api) -> None:
    every = api.get(f"{V}/incidents").json()
    assert every["total"] is None or every["total"] == 3
    assert len(every["items"]) == 3
    boxed = api.get(f"{V}/incidents", params={"bbox": "36,35,37,36", "format": "geojson"}).json()
    assert boxed["type"] == "FeatureCollection" and len(boxed["features"]) == 2
    violations = api.get(
        f"{V}/incidents",
        params={"agreement": "quiet", "reading": "russia", "category": "violation"},
    ).json()
    assert [i["source_id"] for i in violations["items"]] == ["e1"]
    paged = api.get(f"{V}/incidents", params={"limit": 1, "offset": 1}).json()
    assert len(paged["items"]) == 1 and paged["offset"] == 1


def test_candidates_are_for_monitors_only(api: Api, tmp_path: Path) -> None:
    candidate = {
        "id": "c1",
        "time": {"start": "2016-05-01", "timezone": "Asia/Damascus"},
        "place": {"lon": 36.5, "lat": 35.5},
        "perpetrators": ["gov"],
        "targets": ["opposition"],
    }
    file = tmp_path / "c.jsonl"
    file.write_text(json.dumps(candidate) + "\n")
    ingest.ingest_files([file], api.db, status="candidate", who=LOCAL_OPERATOR)
    public = api.get(f"{V}/incidents")
    assert "c1" not in {i["source_id"] for i in public.json()["items"]}
    queue = api.get(f"{V}/incidents", params={"status": "candidate"})
    assert queue.status_code == 403 and queue.json()["error"]["code"] == "forbidden"
    listed = api.get(f"{V}/incidents", "monitor", params={"status": "candidate"}).json()
    assert [i["source_id"] for i in listed["items"]] == ["c1"]


def test_incidents_name_who_acted_as_the_findings_do(api: Api, tmp_path: Path) -> None:
    dyad = event("d1", directed=False)
    file = tmp_path / "dyad.jsonl"
    file.write_text(json.dumps(dyad) + "\n")
    ingest.ingest_files([file], api.db, who=LOCAL_OPERATOR)
    items = {i["source_id"]: i for i in api.get(f"{V}/incidents").json()["items"]}
    # The dyad is stored with the government as its first side, but nobody is
    # named as the one who acted: the sides say who fought.
    assert (items["d1"]["perpetrator"], items["d1"]["sides"]) == ("", "gov ~ opposition")
    assert (items["e1"]["perpetrator"], items["e1"]["sides"]) == ("gov", "gov ~ opposition")
    one = api.get(f"{V}/incidents/{items['d1']['pk']}").json()
    assert (one["perpetrator"], one["directed"]) == ("", False)


@pytest.mark.parametrize("name", ["تقرير الموقع.pdf", 'say "no" \\ now.txt', "photo.txt"])
def test_evidence_downloads_under_its_own_name(api: Api, name: str) -> None:
    """Any script, quotes, backslashes: the download answers; filename* gives the name back."""
    body = {
        "agreement_id": "quiet",
        "complainant": "opposition",
        "respondent": "gov",
        "narrative": "Evidence named in Arabic, as a field office would.",
        "incidents": ["native:e1"],
        "evidence": [
            {
                "filename": name,
                "media_type": "application/pdf",
                "content_base64": base64.b64encode(b"%PDF-1.4 report").decode(),
            }
        ],
    }
    filed = api.post(f"{V}/allegations", "rep-opp", json=body)
    assert filed.status_code == 201, filed.text
    case = filed.json()
    got = api.get(
        f"{V}/allegations/{case['id']}/evidence/{case['evidence'][0]['sha256']}", "rep-opp"
    )
    assert got.status_code == 200 and got.content == b"%PDF-1.4 report"
    header = got.headers["content-disposition"]
    header.encode("latin-1")  # a header a client can read
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    plain = re.search(r'filename="([^"]*)"', header)
    stored = case["evidence"][0]["filename"]  # the service keeps the last part of a path
    assert stored == name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    assert encoded is not None and unquote(encoded.group(1)) == stored
    assert plain is not None and plain.group(1).isascii()
